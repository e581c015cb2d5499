//! The stored profile of one user.

use braid_audiences::CalculatedValues;
use braid_mparticle::{AttributeMap, Identities, Mpid};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One user as braid knows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub mpid: Mpid,
    pub identities: Identities,
    /// Typed user attributes with deletions applied.
    pub attributes: AttributeMap,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    /// Audience id → when the user joined it (ms). Kept in the profile so that the
    /// membership, the attributes it was computed from and the cursor commit together,
    /// and so that erasing the profile erases the memberships.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub audiences: BTreeMap<u64, i64>,
    /// When this user's time-windowed audiences are next re-evaluated (the key of the
    /// store's re-check schedule), if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience_recheck_ms: Option<i64>,
    /// Calculated attributes: each value with the state it is kept up to date from.
    #[serde(default, skip_serializing_if = "CalculatedValues::is_empty")]
    pub calculated: CalculatedValues,
    /// Identities IDSync gave the user that no batch has been applied with since. The
    /// mapping treats them as new on the next batch, so Braze learns of them (an email,
    /// the external id) as it would had the batch brought them.
    #[serde(default, skip_serializing_if = "Identities::is_empty")]
    pub idsync_pending: Identities,
    /// Subscription states Braze reported through Currents: `email`, `push` or
    /// `group:<id>` → the state and when Braze recorded it. The time guards against a
    /// stale (retried or out-of-order) event overwriting a newer state.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subscriptions: BTreeMap<String, SubscriptionRecord>,
}

/// One subscription state as Braze last reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    /// `opted_in`, `subscribed` or `unsubscribed`.
    pub state: String,
    /// When Braze recorded it, UNIX ms.
    pub at_ms: i64,
}

impl Profile {
    /// A new, empty profile first seen at `now_ms`.
    pub fn new(mpid: Mpid, now_ms: i64) -> Self {
        Profile {
            mpid,
            identities: Identities::new(),
            attributes: AttributeMap::new(),
            first_seen_ms: now_ms,
            last_seen_ms: now_ms,
            audiences: BTreeMap::new(),
            audience_recheck_ms: None,
            calculated: CalculatedValues::default(),
            subscriptions: BTreeMap::new(),
            idsync_pending: Identities::new(),
        }
    }
}
