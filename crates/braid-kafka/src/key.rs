//! The partition key of a log record: the same user always gets the same key, so all of a
//! user's batches land in one partition and keep their order.
//!
//! Keys are `"<kind>:<value>"` so values of different kinds never share a key by accident.
//! A Currents record's `external_user_id` is the Braze external id, which is the
//! configured identity's value, so it gets the same key as that user's mParticle batches.

use braid_core::log::{LogRecord, LogRecordKind};
use braid_mparticle::{IdentityType, Mpid};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The key `record` is produced with: the `key_identity` identity when the batch has one,
/// else its `mpid`, else its first other identity (in [`IdentityType::ALL`] order), else
/// a unique key (a batch that names nobody goes to any partition). Currents records: the
/// external id (as `key_identity`), else the Braze id. A body that does not parse gets a
/// unique key too: the pipeline reports it, and it has no user whose order could matter.
pub fn partition_key(record: &LogRecord, key_identity: IdentityType) -> String {
    let key = match record.kind {
        LogRecordKind::Live | LogRecordKind::Historical | LogRecordKind::ViaKit => {
            batch_key(&record.batch_json, key_identity)
        }
        LogRecordKind::Currents => currents_key(&record.batch_json, key_identity),
        LogRecordKind::CurrentsRejected => None,
    };
    key.unwrap_or_else(|| format!("unique:{}", uuid::Uuid::new_v4()))
}

/// Only what the key needs of an mParticle batch.
#[derive(Deserialize)]
struct BatchKeys {
    #[serde(default)]
    mpid: Option<Value>,
    #[serde(default)]
    user_identities: Option<BTreeMap<String, Value>>,
}

fn batch_key(batch_json: &str, key_identity: IdentityType) -> Option<String> {
    let batch: BatchKeys = serde_json::from_str(batch_json).ok()?;
    // The same reading as the batch parser: lenient names, strings or integers, blanks
    // ignored.
    let mut identities: BTreeMap<usize, (IdentityType, String)> = BTreeMap::new();
    for (name, value) in batch.user_identities.unwrap_or_default() {
        let Some(kind) = IdentityType::parse_lenient(&name) else {
            continue;
        };
        let value = match value {
            Value::String(s) => s,
            Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
            _ => continue,
        };
        if value.trim().is_empty() {
            continue;
        }
        let order = IdentityType::ALL.iter().position(|t| *t == kind)?;
        identities.entry(order).or_insert((kind, value));
    }
    if let Some((_, value)) = identities.values().find(|(kind, _)| *kind == key_identity) {
        return Some(format!("{key_identity}:{value}"));
    }
    if let Some(mpid) = batch.mpid.as_ref().and_then(Mpid::from_value) {
        return Some(format!("mpid:{mpid}"));
    }
    let (kind, value) = identities.into_values().next()?;
    Some(format!("{kind}:{value}"))
}

/// Only what the key needs of a Currents record (`{"events":[...]}`, one user's events).
#[derive(Deserialize)]
struct CurrentsKeys {
    #[serde(default)]
    events: Vec<CurrentsEventKeys>,
}

#[derive(Deserialize)]
struct CurrentsEventKeys {
    #[serde(default)]
    user: CurrentsUserKeys,
}

#[derive(Deserialize, Default)]
struct CurrentsUserKeys {
    #[serde(default)]
    external_user_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
}

fn currents_key(body: &str, key_identity: IdentityType) -> Option<String> {
    let body: CurrentsKeys = serde_json::from_str(body).ok()?;
    let user = body.events.into_iter().next()?.user;
    match (user.external_user_id, user.user_id) {
        (Some(external), _) if !external.is_empty() => Some(format!("{key_identity}:{external}")),
        (_, Some(braze)) if !braze.is_empty() => Some(format!("braze:{braze}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(kind: LogRecordKind, body: Value) -> LogRecord {
        LogRecord {
            input: "web".into(),
            kind,
            received_ms: 0,
            batch_json: body.to_string(),
        }
    }

    fn live(body: Value) -> String {
        partition_key(&record(LogRecordKind::Live, body), IdentityType::CustomerId)
    }

    #[test]
    fn the_configured_identity_wins_over_the_mpid() {
        let body = json!({"mpid": 42, "user_identities": {"email": "a@x", "customerid": "c1"}});
        assert_eq!(live(body), "customer_id:c1");
        let other = record(
            LogRecordKind::Live,
            json!({"mpid": 42, "user_identities": {"email": "a@x"}}),
        );
        assert_eq!(partition_key(&other, IdentityType::Email), "email:a@x");
    }

    #[test]
    fn without_the_configured_identity_the_mpid_then_other_identities_decide() {
        assert_eq!(
            live(json!({"mpid": "42", "user_identities": {"email": "a@x"}})),
            "mpid:42"
        );
        assert_eq!(
            live(
                json!({"user_identities": {"other_id_2": "o2", "email": "a@x", "customerid": " "}})
            ),
            "email:a@x"
        );
    }

    #[test]
    fn a_batch_naming_nobody_gets_a_unique_key() {
        let a = live(json!({"events": []}));
        let b = live(json!({"events": []}));
        assert!(a.starts_with("unique:"));
        assert_ne!(a, b);
        assert!(live(json!("not a batch")).starts_with("unique:"));
    }

    #[test]
    fn currents_records_share_the_key_of_the_users_batches() {
        let currents = record(
            LogRecordKind::Currents,
            json!({"events": [{"event_type": "users.messages.email.Open", "id": "e1", "time": 1,
                               "user": {"user_id": "b1", "external_user_id": "c1"}}]}),
        );
        assert_eq!(
            partition_key(&currents, IdentityType::CustomerId),
            live(json!({"mpid": 1, "user_identities": {"customer_id": "c1"}}))
        );
        let braze_only = record(
            LogRecordKind::Currents,
            json!({"events": [{"event_type": "x", "id": "e1", "time": 1, "user": {"user_id": "b1"}}]}),
        );
        assert_eq!(
            partition_key(&braze_only, IdentityType::CustomerId),
            "braze:b1"
        );
    }
}
