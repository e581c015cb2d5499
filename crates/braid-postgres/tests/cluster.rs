//! Several PgStores on one schema, as several nodes: migrations at start-up, the lane
//! count, leaders, lane leases with their grace, and the enqueue wake-up.

mod common;

use braid_core::storage::{Outbox, StateStore};
use braid_core::{OutboxEntry, OutboxPayload};
use braid_postgres::PgStore;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

fn entry(mpid: i64) -> OutboxEntry {
    OutboxEntry {
        mpid,
        payload: OutboxPayload::Delete {
            external_id: format!("c{mpid}"),
        },
        data_points: 1,
        accepted_ms: 1,
    }
}

fn fill_every_lane(store: &PgStore) {
    let lanes = store.lane_count();
    store
        .transact(|txn| (0..lanes).try_for_each(|lane| txn.enqueue(lane, &[entry(lane as i64)])))
        .expect("enqueue");
}

fn lanes_with_entries(store: &PgStore) -> BTreeSet<u32> {
    (0..store.lane_count())
        .filter(|&lane| !store.peek(lane, 10).expect("peek").is_empty())
        .collect()
}

#[test]
fn nodes_starting_at_once_apply_each_migration_once() {
    let schema = common::fresh_schema();
    let _guard = common::SchemaGuard(schema.clone());
    let stores: Vec<PgStore> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|n| {
                let options = common::options(&schema, 4, &format!("node{n}"));
                scope.spawn(move || common::connect(&options))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("connect"))
            .collect()
    });
    assert_eq!(stores.len(), 3);
    let applied = common::query_i64(&format!("SELECT count(*) FROM {schema}.schema_migrations"));
    assert_eq!(applied, 1);
    stores[0].ping().expect("ping");
}

#[test]
fn a_schema_newer_than_the_binary_is_refused() {
    let (store, _guard) = common::store(4);
    let schema = store.schema().to_string();
    common::run_sql(&format!(
        "INSERT INTO {schema}.schema_migrations (version, name) VALUES (999, '0999_future')"
    ))
    .expect("record a future migration");
    let error = PgStore::connect(&common::options(&schema, 4, "b"))
        .err()
        .expect("refused");
    let message = error.to_string();
    assert!(
        message.contains("999") && message.contains("newer"),
        "{message}"
    );
}

#[test]
fn a_different_lane_count_is_refused_naming_lanes() {
    let (store, _guard) = common::store(4);
    let error = PgStore::connect(&common::options(store.schema(), 8, "b"))
        .err()
        .expect("refused");
    let message = error.to_string();
    assert!(
        message.contains("`lanes`") && message.contains('4') && message.contains('8'),
        "{message}"
    );
    common::connect(&common::options(store.schema(), 4, "c"));
}

#[test]
fn a_schema_name_that_is_not_plain_is_refused() {
    let mut options = common::options("braid; DROP TABLE x", 4, "a");
    let error = PgStore::connect(&options).err().expect("refused");
    assert!(error.to_string().contains("`schema`"), "{error}");
    options.schema = "Braid".to_string();
    assert!(PgStore::connect(&options).is_err());
}

#[test]
fn one_leader_per_name_until_its_connection_ends() {
    let (a, _guard) = common::store(4);
    let b = common::connect(&common::options(a.schema(), 4, "b"));
    assert!(a.try_lead("rechecks").expect("lead"));
    assert!(a.try_lead("rechecks").expect("still leading"), "idempotent");
    assert!(!b.try_lead("rechecks").expect("lead"));
    assert!(b.try_lead("jobs").expect("another name"));
    assert!(!a.try_lead("jobs").expect("lead"));
    drop(a);
    common::eventually("b takes over once a's session is gone", || {
        b.try_lead("rechecks").expect("lead")
    });
}

#[test]
fn leadership_is_per_schema() {
    let (a, _guard_a) = common::store(4);
    let (b, _guard_b) = common::store(4);
    assert!(a.try_lead("rechecks").expect("lead"));
    assert!(b
        .try_lead("rechecks")
        .expect("another cluster leads on its own"));
}

#[test]
fn before_leasing_a_node_peeks_every_lane() {
    let (store, _guard) = common::store(4);
    fill_every_lane(&store);
    assert_eq!(lanes_with_entries(&store), (0..4).collect());
    assert_eq!(store.leased_lanes(), vec![0, 1, 2, 3]);
}

#[test]
fn delivery_nodes_share_the_lanes_and_take_over_when_one_leaves() {
    let (a, _guard) = common::store(4);
    let b = common::connect(&common::options(a.schema(), 4, "b"));
    fill_every_lane(&a);
    a.start_lane_leasing().expect("lease");
    b.start_lane_leasing().expect("lease");
    common::eventually("two lanes each, every lane covered", || {
        let (la, lb) = (a.leased_lanes(), b.leased_lanes());
        la.len() == 2 && lb.len() == 2 && la.iter().chain(&lb).collect::<BTreeSet<_>>().len() == 4
    });
    // Each node peeks exactly its own lanes.
    let (la, lb) = (a.leased_lanes(), b.leased_lanes());
    assert_eq!(lanes_with_entries(&a), la.iter().copied().collect());
    assert_eq!(lanes_with_entries(&b), lb.iter().copied().collect());
    drop(b);
    common::eventually("a takes every lane once b has left", || {
        a.leased_lanes().len() == 4
    });
    assert_eq!(lanes_with_entries(&a), (0..4).collect());
}

#[test]
fn a_newly_leased_lane_is_left_alone_for_the_grace_period() {
    let (store, _guard) = common::store(2);
    fill_every_lane(&store);
    let mut options = common::options(store.schema(), 2, "patient");
    options.lane_grace = Duration::from_secs(3600);
    let patient = common::connect(&options);
    assert_eq!(lanes_with_entries(&patient), [0, 1].into());
    patient.start_lane_leasing().expect("lease");
    // The lanes are leased (no one else wants them) but still in their grace.
    assert!(patient.leased_lanes().is_empty());
    assert!(lanes_with_entries(&patient).is_empty());
    assert_eq!(patient.depth().expect("depth"), 2, "the entries are there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enqueue_on_one_node_wakes_a_watcher_on_another() {
    let schema = common::fresh_schema();
    let _guard = common::SchemaGuard(schema.clone());
    let writer = common::connect(&common::options(&schema, 2, "writer"));
    let deliverer = common::connect(&common::options(&schema, 2, "deliverer"));
    let notify = Arc::new(tokio::sync::Notify::new());
    deliverer.watch_outbox(notify.clone());
    let deadline = Duration::from_secs(60);
    // The watcher wakes once when its LISTEN is in place.
    tokio::time::timeout(deadline, notify.notified())
        .await
        .expect("the watcher connects");
    let waiting = notify.notified();
    tokio::pin!(waiting);
    waiting.as_mut().enable();
    let enqueued = {
        let writer = writer.clone();
        tokio::task::spawn_blocking(move || writer.transact(|txn| txn.enqueue(1, &[entry(5)])))
    };
    enqueued.await.expect("task").expect("enqueue");
    tokio::time::timeout(deadline, waiting)
        .await
        .expect("the enqueue woke the watcher");
    assert_eq!(deliverer.peek(1, 10).expect("peek").len(), 1);
}

#[test]
fn an_unreachable_server_fails_connect_naming_the_step() {
    let mut options = common::options(&common::fresh_schema(), 4, "a");
    options.url = braid_core::Secret::new("postgres://braid:hunter2@127.0.0.1:1/test");
    let error = PgStore::connect(&options).err().expect("refused");
    let message = error.to_string();
    assert!(message.contains("connect postgres"), "{message}");
    assert!(
        !message.contains("hunter2"),
        "the password never prints: {message}"
    );
    assert!(!format!("{options:?}").contains("hunter2"));
}

#[test]
fn leadership_is_lost_with_the_lock_connection() {
    let schema = common::fresh_schema();
    let _guard = common::SchemaGuard(schema.clone());
    let node_a = format!("a-{schema}");
    let a = common::connect(&common::options(&schema, 4, &node_a));
    let b = common::connect(&common::options(&schema, 4, "b"));
    assert!(a.try_lead("jobs").expect("lead"));
    // The server ends every session of node a (as a failover or a network cut would).
    let ended = common::query_i64(&format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE application_name = 'braid {node_a}'"
    ));
    assert!(ended >= 1);
    common::eventually("b takes the leadership a lost", || {
        b.try_lead("jobs").expect("lead")
    });
    // a finds out (an error, or `false`), and never claims it while b holds it.
    for _ in 0..3 {
        assert!(!a.try_lead("jobs").unwrap_or(false));
    }
    // A pooled connection the server ended may fail one call; then the pool has a new one.
    common::eventually("a's pool recovers", || a.ping().is_ok());
}
