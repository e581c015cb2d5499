//! Finding the data subject in the store: every profile that one of the request's
//! identities points to, raw or hashed, and the JSON an access request returns.
//!
//! A raw identity matches the value braid holds (emails also case-insensitively, after
//! trimming). A hashed one (`sha1`, `md5`, `sha256`, lowercase hex) matches a held value
//! whose hash is equal, for emails also the hash of the trimmed, lowercased address (how
//! mParticle and most controllers hash emails). Hashed matching scans that identity
//! type's index entries: requests are rare, and no hash index has to be kept.

use super::request::{IdentityFormat, SubjectIdentity, SubjectKind};
use crate::store::Store;
use braid_core::storage::{StateStore, StoreResult};
use braid_mparticle::{IdentityType, Mpid};
use md5::Md5;
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// Every profile the identities point to (MPIDs given directly are included as they are).
pub fn find_profiles(store: &Store, identities: &[SubjectIdentity]) -> StoreResult<BTreeSet<Mpid>> {
    let mut found = BTreeSet::new();
    for identity in identities {
        match identity.kind() {
            SubjectKind::Mpid => {
                if let Ok(mpid) = identity.identity_value.parse::<i64>() {
                    found.insert(Mpid(mpid));
                }
            }
            SubjectKind::Identity(kind) => {
                for (value, owner) in store.identities_of_type(kind)? {
                    if matches(kind, identity, &value) {
                        found.insert(owner);
                    }
                }
            }
            SubjectKind::NotHeld => {}
        }
    }
    Ok(found)
}

/// Whether a held identity value matches the requested one.
pub fn matches(kind: IdentityType, wanted: &SubjectIdentity, held: &str) -> bool {
    let normalised = (kind == IdentityType::Email).then(|| held.trim().to_lowercase());
    match wanted.identity_format {
        IdentityFormat::Raw => {
            held == wanted.identity_value
                || normalised
                    .as_deref()
                    .is_some_and(|n| n == wanted.identity_value.trim().to_lowercase())
        }
        format => {
            let digest = |v: &str| digest_hex(format, v.as_bytes());
            digest(held) == wanted.identity_value
                || normalised
                    .as_deref()
                    .is_some_and(|n| digest(n) == wanted.identity_value)
        }
    }
}

fn digest_hex(format: IdentityFormat, bytes: &[u8]) -> String {
    match format {
        IdentityFormat::Raw => String::from_utf8_lossy(bytes).into_owned(),
        IdentityFormat::Sha1 => super::record::hex(&Sha1::digest(bytes)),
        IdentityFormat::Md5 => super::record::hex(&Md5::digest(bytes)),
        IdentityFormat::Sha256 => super::record::hex(&Sha256::digest(bytes)),
    }
}

/// What braid holds about these profiles: each profile (attributes, identities and
/// audience memberships), its event history, and what braid last sent to Braze.
pub fn export(store: &Store, mpids: &BTreeSet<Mpid>) -> StoreResult<Value> {
    store.transact(|txn| {
        let mut profiles = Vec::new();
        for &mpid in mpids {
            let Some(profile) = txn.profile(mpid)? else {
                continue;
            };
            let history: Vec<Value> = txn
                .history(mpid, i64::MIN)?
                .into_iter()
                .map(|(ts_ms, event)| json!({"timestamp_unixtime_ms": ts_ms, "event": event}))
                .collect();
            let sent = txn.sent_state(mpid)?;
            profiles.push(json!({
                "mpid": mpid.0.to_string(),
                "profile": profile,
                "event_history": history,
                "last_sent_to_braze": sent,
            }));
        }
        Ok(json!({ "profiles": profiles }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(format: IdentityFormat, value: &str) -> SubjectIdentity {
        SubjectIdentity {
            identity_type: "email".into(),
            identity_value: value.into(),
            identity_format: format,
        }
    }

    #[test]
    fn hashed_email_matches_the_raw_address_braid_holds() {
        let held = " Ada@Example.com";
        let sha = super::super::record::hex(&Sha256::digest(b"ada@example.com"));
        assert!(matches(
            IdentityType::Email,
            &wanted(IdentityFormat::Sha256, &sha),
            held
        ));
        let md5 = super::super::record::hex(&Md5::digest(b"ada@example.com"));
        assert!(matches(
            IdentityType::Email,
            &wanted(IdentityFormat::Md5, &md5),
            held
        ));
        let other = super::super::record::hex(&Sha256::digest(b"bob@example.com"));
        assert!(!matches(
            IdentityType::Email,
            &wanted(IdentityFormat::Sha256, &other),
            held
        ));
    }

    #[test]
    fn raw_customer_ids_match_exactly_and_emails_ignore_case() {
        let id = SubjectIdentity {
            identity_type: "customer_id".into(),
            identity_value: "User-1".into(),
            identity_format: IdentityFormat::Raw,
        };
        assert!(matches(IdentityType::CustomerId, &id, "User-1"));
        assert!(!matches(IdentityType::CustomerId, &id, "user-1"));
        assert!(matches(
            IdentityType::Email,
            &wanted(IdentityFormat::Raw, "ada@example.com"),
            "Ada@Example.com"
        ));
    }
}
