//! Maintenance on PgStore beyond the conformance suite: compaction rewrites the tables that
//! held personal data, and log pruning has nothing to track.

mod common;

use braid_core::storage::{Maintenance, StateStore};
use braid_core::Profile;
use braid_mparticle::Mpid;

fn filenode(schema: &str, table: &str) -> i64 {
    common::query_i64(&format!(
        "SELECT pg_relation_filenode('{schema}.{table}')::bigint"
    ))
}

#[test]
fn compaction_rewrites_every_table_that_held_personal_data() {
    let (store, _guard) = common::store(4);
    store
        .transact(|txn| txn.put_profile(&Profile::new(Mpid(1), 1)))
        .expect("write");
    store.remove_user_everywhere(Mpid(1)).expect("erase");
    let tables = [
        "profiles",
        "identities",
        "sent_state",
        "outbox",
        "dead_letters",
        "history",
        "rechecks",
        "event_ids",
        "meta",
    ];
    let before: Vec<i64> = tables.iter().map(|t| filenode(store.schema(), t)).collect();
    store.compact().expect("compact");
    for (table, old) in tables.iter().zip(before) {
        // VACUUM FULL writes the table into a new file and drops the old one.
        assert_ne!(
            filenode(store.schema(), table),
            old,
            "{table} was rewritten"
        );
    }
}

#[test]
fn log_pruning_tracks_nothing_because_the_log_is_elsewhere() {
    let (store, _guard) = common::store(4);
    store.transact(|txn| txn.set_cursor(10)).expect("cursor");
    assert_eq!(store.prune_log_through(10).expect("prune"), 0);
    assert_eq!(store.pruned_through().expect("pruned"), 0);
}
