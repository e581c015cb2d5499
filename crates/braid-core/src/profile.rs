//! The stored profile of one user.

use braid_mparticle::{AttributeMap, Identities, Mpid};
use serde::{Deserialize, Serialize};

/// One user as braid knows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub mpid: Mpid,
    pub identities: Identities,
    /// Typed user attributes with deletions applied.
    pub attributes: AttributeMap,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
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
        }
    }
}
