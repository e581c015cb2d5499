//! The schema's versioned migrations (`migrations/NNNN_name.sql`), applied by
//! [`PgStore::connect`](crate::PgStore::connect) and recorded in `schema_migrations`.
//!
//! They run in one transaction that first takes a transaction-scoped advisory lock on the
//! schema's name, so nodes starting at once apply each migration exactly once: the others
//! wait, then find it recorded. A schema recorded at a version newer than this binary
//! knows is refused (an older node must not write to tables it does not understand).

use crate::{pg_error, wait, PgStore};
use braid_core::storage::{StorageError, StoreResult};

/// Every migration this binary knows, in order: version, name, SQL.
const MIGRATIONS: &[(i32, &str, &str)] = &[(
    1,
    "0001_state",
    include_str!("../migrations/0001_state.sql"),
)];

/// Bring the store's schema to the newest version.
pub(crate) fn apply(store: &PgStore) -> StoreResult<()> {
    let inner = &store.inner;
    let schema = &inner.schema;
    let client = inner.dedicated_client("migrations")?;
    let step = |what: &str, sql: &str| -> StoreResult<()> {
        inner.count(1);
        wait(client.batch_execute(sql)).map_err(|e| pg_error(&format!("migrate: {what}"), e))
    };
    step("begin", "BEGIN")?;
    let result = (|| {
        inner.count(1);
        wait(client.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[&format!("braid/migrate/{schema}")],
        ))
        .map_err(|e| pg_error("migrate: lock the schema", e))?;
        step(
            "create the schema",
            &format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path = {schema}; \
                 CREATE TABLE IF NOT EXISTS schema_migrations (\
                   version integer PRIMARY KEY, name text NOT NULL, \
                   applied_at timestamptz NOT NULL DEFAULT now())"
            ),
        )?;
        inner.count(1);
        let row = wait(client.query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        ))
        .map_err(|e| pg_error("migrate: read schema_migrations", e))?;
        let current: i32 = row.get(0);
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if current > known {
            return Err(StorageError::Backend(
                format!(
                    "postgres schema `{schema}` is at migration {current}, newer than this \
                     braid knows ({known}): run a braid release at least as new as the one \
                     that migrated it"
                )
                .into(),
            ));
        }
        for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
            step(name, sql)?;
            inner.count(1);
            wait(client.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                &[version, name],
            ))
            .map_err(|e| pg_error("migrate: record the migration", e))?;
            tracing::info!(schema = %schema, migration = %name, "applied postgres migration");
        }
        Ok(())
    })();
    match result {
        Ok(()) => step("commit", "COMMIT"),
        Err(e) => {
            let _ = wait(client.batch_execute("ROLLBACK"));
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    #[test]
    fn migrations_are_numbered_one_after_another() {
        for (index, (version, name, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version as usize, index + 1);
            assert!(name.starts_with(&format!("{version:04}_")));
        }
    }
}
