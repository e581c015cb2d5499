//! Reads outside a transaction that walk one kind of row: what data subject requests
//! need to match hashed identities against every value of a type.

use crate::{pg_error, wait, PgStore};
use braid_core::storage::StoreResult;
use braid_mparticle::{IdentityType, Mpid};

impl PgStore {
    /// Every value of one identity type with the profile it points to.
    pub fn identities_of_type(&self, kind: IdentityType) -> StoreResult<Vec<(String, Mpid)>> {
        let client = self.inner.client()?;
        self.inner.count(1);
        let rows = wait(client.query(
            "SELECT value, mpid FROM identities WHERE kind = $1 ORDER BY value",
            &[&kind.as_str()],
        ))
        .map_err(|e| pg_error("scan the identity index", e))?;
        Ok(rows
            .iter()
            .map(|row| (row.get::<_, String>(0), Mpid(row.get(1))))
            .collect())
    }
}
