//! IDSync: mParticle's identity API (identify, login, logout, search, modify, alias) on
//! braid's own identity store, under the rules the batch path follows
//! ([`crate::identity`], `docs/identity.md`).
//!
//! The web SDK must learn its MPID before it uploads anything, so IDSync answers from
//! the state store at once, in one state transaction per call:
//!
//! - **identify / login**: the first request identity braid knows, in
//!   [`crate::identity::LOOKUP_ORDER`], names the user. Unknown identities of the request
//!   are claimed by that user (identities owned by someone else are left where they
//!   are). With no known identity, an anonymous `previous_mpid` is given the identities
//!   (the anonymous visitor becomes known), else a new profile is created.
//! - **identify with no identities, logout**: the device's anonymous user, whose MPID is
//!   derived from the device application stamp, so one browser keeps one anonymous user.
//! - **modify**: adds, changes and removes a known user's identities; taking an identity
//!   another user owns is a [`IdSyncError::Conflict`] (IDSync does not move identities
//!   silently, unlike a batch, where the newest statement wins).
//! - **alias**: merges the source profile (identities the destination lacks, attributes
//!   it lacks, history) into the destination and removes the source. With
//!   `forward_anonymous_as_alias`, Braze's alias profile of the source is identified
//!   into the destination's external id too.
//!
//! IDSync names identities as the web SDK does (`customerid`, `other2`); they are read
//! into batch names (`customer_id`, `other_id_2`) by [`idsync_identity_type`].

use crate::identity::{mpid_for_position, LOOKUP_ORDER};
use crate::outbox::{OutboxEntry, OutboxPayload};
use crate::profile::Profile;
use crate::storage::{lane_of, StateTxn, StorageError};
use braid_braze::settings::BrazeSettings;
use braid_braze::wire::AliasToIdentify;
use braid_mparticle::{Identities, IdentityType, Mpid};
use serde_json::{Map, Value};

/// Which identity call is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdSyncCall {
    Identify,
    Login,
    Logout,
    Search,
}

/// One identify / login / logout / search request, as read from its JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdentityRequest {
    /// `known_identities`, in batch names.
    pub known: Identities,
    /// `known_identities.device_application_stamp`: the browser's device id.
    pub device_application_stamp: Option<String>,
    /// `previous_mpid`: the user the SDK had before this call.
    pub previous_mpid: Option<Mpid>,
}

/// One entry of a modify request's `identity_changes`.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityChange {
    pub identity_type: IdentityType,
    pub old_value: Option<String>,
    /// `None` (or empty) removes the identity.
    pub new_value: Option<String>,
}

/// What an identity call answers.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityAnswer {
    pub mpid: Mpid,
    /// Whether the user has identities (a known, "logged in" user).
    pub is_logged_in: bool,
    /// Whether this call created the profile.
    pub created: bool,
    /// The user's identities after the call.
    pub identities: Identities,
}

/// What an alias call did.
#[derive(Debug, Clone, PartialEq)]
pub struct AliasOutcome {
    /// Whether a source profile existed and was merged.
    pub merged: bool,
    /// History records moved to the destination.
    pub history_moved: u64,
    /// Whether a Braze `/users/identify` was queued.
    pub braze_identify_queued: bool,
}

/// A request field that cannot be read: its JSON path and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct RequestError {
    pub path: String,
    pub reason: String,
}

/// Why an IDSync call failed.
#[derive(Debug, thiserror::Error)]
pub enum IdSyncError {
    #[error("{0}")]
    BadRequest(RequestError),
    #[error("{identity_type} `{value}` belongs to another user (mpid {owner})")]
    Conflict {
        identity_type: IdentityType,
        value: String,
        owner: Mpid,
    },
    #[error("mpid {0} is not a user braid knows")]
    UnknownMpid(Mpid),
    #[error("no user has any of the given identities")]
    NotFound,
    #[error("{0}")]
    Store(#[from] StorageError),
}

/// What a `known_identities` key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdSyncName {
    /// A user identity, in batch terms.
    User(IdentityType),
    /// `device_application_stamp`.
    DeviceApplicationStamp,
    /// A device identity braid does not keep (`ios_idfa`, `push_token`, …).
    Device,
}

/// Read an IDSync identity name: `customerid`→`customer_id`, `other2`→`other_id_2`,
/// `facebookcustomaudienceid`→`facebook_custom_audience_id`, the web SDK's
/// `email_sha256`→`other` and `mobile_sha256`→`other_id_2`; the batch spellings are
/// accepted too. `None` for a name IDSync does not define.
pub fn idsync_identity_type(name: &str) -> Option<IdSyncName> {
    const DEVICE: [&str; 9] = [
        "ios_idfa",
        "ios_idfv",
        "android_aaid",
        "android_uuid",
        "push_token",
        "roku_aid",
        "roku_publisher_id",
        "fire_aid",
        "amp_id",
    ];
    if name == "device_application_stamp" {
        return Some(IdSyncName::DeviceApplicationStamp);
    }
    if DEVICE.contains(&name) {
        return Some(IdSyncName::Device);
    }
    match name {
        "email_sha256" => return Some(IdSyncName::User(IdentityType::Other)),
        "mobile_sha256" => return Some(IdSyncName::User(IdentityType::OtherId2)),
        _ => {}
    }
    IdentityType::parse_lenient(name).map(IdSyncName::User)
}

/// The IDSync spelling of an identity type (`customer_id` → `customerid`).
pub fn idsync_name(kind: IdentityType) -> String {
    match kind {
        IdentityType::CustomerId => "customerid".into(),
        IdentityType::FacebookCustomAudienceId => "facebookcustomaudienceid".into(),
        other => {
            let s = other.as_str();
            match s.strip_prefix("other_id_") {
                Some(n) => format!("other{n}"),
                None => s.to_string(),
            }
        }
    }
}

fn bad(path: impl Into<String>, reason: impl Into<String>) -> IdSyncError {
    IdSyncError::BadRequest(RequestError {
        path: path.into(),
        reason: reason.into(),
    })
}

fn opt_string(value: Option<&Value>, path: &str) -> Result<Option<String>, IdSyncError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(path, "expected a string or null")),
    }
}

fn opt_mpid(value: Option<&Value>, path: &str) -> Result<Option<Mpid>, IdSyncError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => match Mpid::from_value(v) {
            Some(Mpid(0)) => Ok(None),
            Some(mpid) => Ok(Some(mpid)),
            None => Err(bad(
                path,
                "expected a 64-bit integer (as a string or number)",
            )),
        },
    }
}

fn object(body: &Value) -> Result<&Map<String, Value>, IdSyncError> {
    body.as_object()
        .ok_or_else(|| bad("$", "expected a JSON object"))
}

/// Read an identify / login / logout / search body.
pub fn parse_identity_request(body: &Value) -> Result<IdentityRequest, IdSyncError> {
    let body = object(body)?;
    let mut request = IdentityRequest {
        previous_mpid: opt_mpid(body.get("previous_mpid"), "$.previous_mpid")?,
        ..IdentityRequest::default()
    };
    match body.get("known_identities") {
        None | Some(Value::Null) => {}
        Some(Value::Object(known)) => {
            for (name, value) in known {
                let path = format!("$.known_identities.{name}");
                let kind = idsync_identity_type(name)
                    .ok_or_else(|| bad(&path, "not an IDSync identity type"))?;
                let Some(value) = opt_string(Some(value), &path)? else {
                    continue;
                };
                match kind {
                    IdSyncName::User(kind) => {
                        request.known.insert(kind, value);
                    }
                    IdSyncName::DeviceApplicationStamp => {
                        request.device_application_stamp = Some(value);
                    }
                    IdSyncName::Device => {}
                }
            }
        }
        Some(_) => return Err(bad("$.known_identities", "expected an object")),
    }
    Ok(request)
}

/// Read a modify body's `identity_changes`.
pub fn parse_modify_request(body: &Value) -> Result<Vec<IdentityChange>, IdSyncError> {
    let body = object(body)?;
    let changes = match body.get("identity_changes") {
        Some(Value::Array(changes)) => changes,
        None | Some(Value::Null) => return Err(bad("$.identity_changes", "missing")),
        Some(_) => return Err(bad("$.identity_changes", "expected an array")),
    };
    let mut out = Vec::with_capacity(changes.len());
    for (i, change) in changes.iter().enumerate() {
        let path = format!("$.identity_changes[{i}]");
        let change = change
            .as_object()
            .ok_or_else(|| bad(&path, "expected an object"))?;
        let type_path = format!("{path}.identity_type");
        let name = match change.get("identity_type") {
            Some(Value::String(s)) => s,
            None | Some(Value::Null) => return Err(bad(type_path, "missing")),
            Some(_) => return Err(bad(type_path, "expected a string")),
        };
        let identity_type = match idsync_identity_type(name) {
            Some(IdSyncName::User(kind)) => kind,
            Some(_) => {
                return Err(bad(
                    type_path,
                    format!("`{name}` is a device identity; only user identities can be modified"),
                ))
            }
            None => {
                return Err(bad(
                    type_path,
                    format!("`{name}` is not an IDSync identity type"),
                ))
            }
        };
        out.push(IdentityChange {
            identity_type,
            old_value: opt_string(change.get("old_value"), &format!("{path}.old_value"))?,
            new_value: opt_string(change.get("new_value"), &format!("{path}.new_value"))?,
        });
    }
    Ok(out)
}

/// An alias request's source and destination MPIDs.
pub fn parse_alias_request(body: &Value) -> Result<(Mpid, Mpid), IdSyncError> {
    let body = object(body)?;
    let data = body
        .get("data")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("$.data", "missing or not an object"))?;
    let source = opt_mpid(data.get("source_mpid"), "$.data.source_mpid")?
        .ok_or_else(|| bad("$.data.source_mpid", "missing"))?;
    let destination = opt_mpid(data.get("destination_mpid"), "$.data.destination_mpid")?
        .ok_or_else(|| bad("$.data.destination_mpid", "missing"))?;
    if source == destination {
        return Err(bad(
            "$.data.source_mpid",
            "equals destination_mpid: nothing to merge",
        ));
    }
    Ok((source, destination))
}

/// The three disjoint MPID spaces fed to [`mpid_for_position`]: log positions (the
/// pipeline's, top two bits clear), IDSync's counter (bit 62) and device stamps
/// (bit 63), so an IDSync MPID never equals one the pipeline derives.
const COUNTER_SPACE: u64 = 1 << 62;
const DEVICE_SPACE: u64 = 1 << 63;
const COUNTER_KEY: &str = "idsync_next_mpid";

/// A new MPID no profile has.
fn fresh_mpid(txn: &mut dyn StateTxn, salt: u64) -> Result<Mpid, IdSyncError> {
    let mut next = txn.meta(COUNTER_KEY)?.and_then(|v| v.as_u64()).unwrap_or(0);
    loop {
        next += 1;
        let mpid = mpid_for_position((next & (COUNTER_SPACE - 1)) | COUNTER_SPACE, salt);
        if txn.profile(mpid)?.is_none() {
            txn.put_meta(COUNTER_KEY, &Value::from(next))?;
            return Ok(mpid);
        }
    }
}

/// The device's anonymous MPID: the same for the same device application stamp.
fn device_mpid(stamp: &str, salt: u64) -> Mpid {
    // FNV-1a: stable across releases (the std hasher is not).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in stamp.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mpid_for_position(
        (hash & !(COUNTER_SPACE | DEVICE_SPACE)) | DEVICE_SPACE,
        salt,
    )
}

/// The first request identity that belongs to a user, in lookup order.
fn find_owner(txn: &mut dyn StateTxn, known: &Identities) -> Result<Option<Mpid>, IdSyncError> {
    for kind in LOOKUP_ORDER {
        if let Some(value) = known.get(&kind) {
            if let Some(owner) = txn.identity_owner(kind, value)? {
                return Ok(Some(owner));
            }
        }
    }
    Ok(None)
}

/// Give `profile` the request identities nobody else owns (an identity of a type the
/// profile already has is replaced, and its old value freed).
fn claim_free(
    txn: &mut dyn StateTxn,
    profile: &mut Profile,
    known: &Identities,
) -> Result<(), IdSyncError> {
    for (&kind, value) in known {
        match txn.identity_owner(kind, value)? {
            Some(owner) if owner != profile.mpid => continue,
            Some(_) => {}
            None => {
                if let Some(old) = profile.identities.get(&kind) {
                    if old != value {
                        txn.remove_identity(kind, old)?;
                    }
                }
                txn.set_identity_owner(kind, value, profile.mpid)?;
                profile.idsync_pending.insert(kind, value.clone());
            }
        }
        profile.identities.insert(kind, value.clone());
    }
    Ok(())
}

fn load_or_new(
    txn: &mut dyn StateTxn,
    mpid: Mpid,
    now_ms: i64,
) -> Result<(Profile, bool), IdSyncError> {
    Ok(match txn.profile(mpid)? {
        Some(p) => (p, false),
        None => (Profile::new(mpid, now_ms), true),
    })
}

/// The device's anonymous user: its derived MPID when that profile is still
/// anonymous, else a new one.
fn anonymous_user(
    txn: &mut dyn StateTxn,
    stamp: Option<&str>,
    salt: u64,
    now_ms: i64,
) -> Result<(Profile, bool), IdSyncError> {
    if let Some(stamp) = stamp {
        let (profile, created) = load_or_new(txn, device_mpid(stamp, salt), now_ms)?;
        if profile.identities.is_empty() {
            return Ok((profile, created));
        }
    }
    let mpid = fresh_mpid(txn, salt)?;
    Ok((Profile::new(mpid, now_ms), true))
}

/// Answer identify, login, logout or search (see the module documentation).
pub fn identity_call(
    txn: &mut dyn StateTxn,
    call: IdSyncCall,
    request: &IdentityRequest,
    now_ms: i64,
) -> Result<IdentityAnswer, IdSyncError> {
    let salt = crate::pipeline::mpid_salt(txn)?;
    let stamp = request.device_application_stamp.as_deref();
    if call == IdSyncCall::Search {
        let mpid = find_owner(txn, &request.known)?.ok_or(IdSyncError::NotFound)?;
        let identities = txn.profile(mpid)?.map(|p| p.identities).unwrap_or_default();
        return Ok(IdentityAnswer {
            mpid,
            is_logged_in: !identities.is_empty(),
            created: false,
            identities,
        });
    }
    let (mut profile, created) = if call == IdSyncCall::Logout || request.known.is_empty() {
        let previous = match (call, request.previous_mpid) {
            (IdSyncCall::Identify, Some(previous)) => {
                txn.profile(previous)?.filter(|p| p.identities.is_empty())
            }
            _ => None,
        };
        match previous {
            Some(p) => (p, false),
            None => anonymous_user(txn, stamp, salt, now_ms)?,
        }
    } else if let Some(owner) = find_owner(txn, &request.known)? {
        load_or_new(txn, owner, now_ms)?
    } else {
        let previous = match request.previous_mpid {
            Some(previous) => txn.profile(previous)?.filter(|p| p.identities.is_empty()),
            None => None,
        };
        match previous {
            Some(p) => (p, false),
            None => {
                let mpid = fresh_mpid(txn, salt)?;
                (Profile::new(mpid, now_ms), true)
            }
        }
    };
    if call != IdSyncCall::Logout {
        claim_free(txn, &mut profile, &request.known)?;
    }
    profile.last_seen_ms = profile.last_seen_ms.max(now_ms);
    txn.put_profile(&profile)?;
    Ok(IdentityAnswer {
        mpid: profile.mpid,
        is_logged_in: call != IdSyncCall::Logout && !profile.identities.is_empty(),
        created,
        identities: profile.identities,
    })
}

/// Apply a modify request to `mpid`'s identities; returns the user's identities after.
/// Every error but a storage failure comes before the first write, so a refused modify
/// changes nothing (the same holds for the other calls).
pub fn modify(
    txn: &mut dyn StateTxn,
    mpid: Mpid,
    changes: &[IdentityChange],
) -> Result<Identities, IdSyncError> {
    let mut profile = txn.profile(mpid)?.ok_or(IdSyncError::UnknownMpid(mpid))?;
    // Every check before the first write: a refused modify changes nothing.
    for change in changes {
        if let Some(new) = &change.new_value {
            if let Some(owner) = txn.identity_owner(change.identity_type, new)? {
                if owner != mpid {
                    return Err(IdSyncError::Conflict {
                        identity_type: change.identity_type,
                        value: new.clone(),
                        owner,
                    });
                }
            }
        }
    }
    for change in changes {
        let kind = change.identity_type;
        match &change.new_value {
            Some(new) => {
                if let Some(old) = profile.identities.get(&kind) {
                    if old != new {
                        txn.remove_identity(kind, old)?;
                    }
                }
                txn.set_identity_owner(kind, new, mpid)?;
                if profile.identities.get(&kind) != Some(new) {
                    profile.idsync_pending.insert(kind, new.clone());
                }
                profile.identities.insert(kind, new.clone());
            }
            None => {
                if let Some(old) = profile.identities.remove(&kind) {
                    txn.remove_identity(kind, &old)?;
                }
                profile.idsync_pending.remove(&kind);
            }
        }
    }
    txn.put_profile(&profile)?;
    Ok(profile.identities)
}

/// Merge `source` into `destination` (see the module documentation). `lanes` is the
/// outbox's lane count, for the Braze identify.
pub fn alias(
    txn: &mut dyn StateTxn,
    source: Mpid,
    destination: Mpid,
    settings: &BrazeSettings,
    lanes: u32,
    now_ms: i64,
) -> Result<AliasOutcome, IdSyncError> {
    let mut target = txn
        .profile(destination)?
        .ok_or(IdSyncError::UnknownMpid(destination))?;
    let Some(from) = txn.profile(source)? else {
        return Ok(AliasOutcome {
            merged: false,
            history_moved: 0,
            braze_identify_queued: false,
        });
    };
    for (kind, value) in &from.identities {
        if target.identities.contains_key(kind) {
            txn.remove_identity(*kind, value)?;
        } else {
            txn.set_identity_owner(*kind, value, destination)?;
            target.identities.insert(*kind, value.clone());
            target.idsync_pending.insert(*kind, value.clone());
        }
    }
    for (name, value) in &from.attributes {
        target
            .attributes
            .entry(name.clone())
            .or_insert_with(|| value.clone());
    }
    target.first_seen_ms = target.first_seen_ms.min(from.first_seen_ms);
    target.last_seen_ms = target.last_seen_ms.max(from.last_seen_ms);
    let history = txn.history(source, i64::MIN)?;
    for (ts, event) in &history {
        txn.append_history(destination, *ts, event)?;
    }
    txn.prune_history(source, i64::MAX)?;
    if let Some(at) = from.audience_recheck_ms {
        txn.cancel_recheck(source, at)?;
    }
    txn.delete_sent_state(source)?;
    txn.delete_profile(source)?;
    txn.put_profile(&target)?;

    let mut queued = false;
    if settings.forward_anonymous_as_alias {
        if let Some(external_id) =
            braid_braze::mapping::external_id(settings, destination, &target.identities)
        {
            let entry = OutboxEntry {
                mpid: destination.0,
                payload: OutboxPayload::Identify {
                    identify: AliasToIdentify {
                        external_id,
                        user_alias: braid_braze::mapping::alias_of(source),
                    },
                },
                data_points: 0,
                accepted_ms: now_ms,
            };
            txn.enqueue(lane_of(destination, lanes), &[entry])?;
            queued = true;
        }
    }
    Ok(AliasOutcome {
        merged: true,
        history_moved: history.len() as u64,
        braze_identify_queued: queued,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idsync_names_read_as_batch_names() {
        let read = |n| match idsync_identity_type(n) {
            Some(IdSyncName::User(kind)) => kind.as_str(),
            other => panic!("{n}: {other:?}"),
        };
        assert_eq!(read("customerid"), "customer_id");
        assert_eq!(read("other2"), "other_id_2");
        assert_eq!(read("other10"), "other_id_10");
        assert_eq!(
            read("facebookcustomaudienceid"),
            "facebook_custom_audience_id"
        );
        assert_eq!(read("mobile_number"), "mobile_number");
        assert_eq!(
            idsync_identity_type("device_application_stamp"),
            Some(IdSyncName::DeviceApplicationStamp)
        );
        assert_eq!(idsync_identity_type("ios_idfa"), Some(IdSyncName::Device));
        assert_eq!(idsync_identity_type("shoe_size"), None);
        assert_eq!(idsync_name(IdentityType::OtherId2), "other2");
        assert_eq!(idsync_name(IdentityType::CustomerId), "customerid");
    }

    #[test]
    fn idsync_mpids_never_fall_in_the_pipelines_space() {
        // The pipeline feeds log positions (small) to the same bijection.
        let salt = 0x1234_5678;
        let device = device_mpid("das-1", salt);
        assert_eq!(device, device_mpid("das-1", salt));
        assert_ne!(device, device_mpid("das-2", salt));
        for position in 0..1000 {
            assert_ne!(mpid_for_position(position, salt), device);
        }
    }

    #[test]
    fn malformed_requests_name_the_field() {
        let e = parse_identity_request(&serde_json::json!({"known_identities": {"shoe": "x"}}))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "$.known_identities.shoe: not an IDSync identity type"
        );
        let e =
            parse_modify_request(&serde_json::json!({"identity_changes": [{"new_value": "x"}]}))
                .unwrap_err();
        assert_eq!(
            e.to_string(),
            "$.identity_changes[0].identity_type: missing"
        );
        let e =
            parse_alias_request(&serde_json::json!({"data": {"source_mpid": "x1"}})).unwrap_err();
        assert!(
            e.to_string().starts_with("$.data.source_mpid: expected"),
            "{e}"
        );
    }
}
