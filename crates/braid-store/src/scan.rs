//! Read-only scans that data subject requests need and the hot path never does: every
//! value of one identity type, so a hashed identity (`sha256` of an email) can be matched
//! against the raw values braid holds.

use crate::codec::backend;
use crate::tables::IDENTITIES;
use crate::EmbeddedStore;
use braid_core::storage::StoreResult;
use braid_mparticle::{IdentityType, Mpid};

impl EmbeddedStore {
    /// Every `(value, owner)` of one identity type in the identity index, in key order.
    /// A range scan over that type's keys only; meant for rare requests (erasure, access).
    pub fn identities_of_type(&self, kind: IdentityType) -> StoreResult<Vec<(String, Mpid)>> {
        let db = self.inner.state.read()?;
        let txn = db.begin_read().map_err(backend)?;
        let table = txn.open_table(IDENTITIES).map_err(backend)?;
        // Keys are "type\0value": every key of the type sorts between "type\0" and "type\x01".
        let from = format!("{}\0", kind.as_str());
        let to = format!("{}\u{1}", kind.as_str());
        let mut found = Vec::new();
        for item in table.range(from.as_str()..to.as_str()).map_err(backend)? {
            let (key, owner) = item.map_err(backend)?;
            if let Some((_, value)) = key.value().split_once('\0') {
                found.push((value.to_string(), Mpid(owner.value())));
            }
        }
        Ok(found)
    }
}
