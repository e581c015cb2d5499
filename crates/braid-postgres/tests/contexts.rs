//! PgStore's sync methods work from every context callers use: async tasks of both runtime
//! flavours (connect, use and drop inside them), `spawn_blocking`, and plain threads.

mod common;

use braid_core::storage::{Outbox, StateStore};
use braid_core::{OutboxEntry, OutboxPayload};
use braid_postgres::PgStore;
use serde_json::json;

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

/// A transaction, an outbox round and a ping: every kind of call.
fn exercise(store: &PgStore, n: i64) {
    store.ping().expect("ping");
    store
        .transact(|txn| {
            txn.put_meta(&format!("k{n}"), &json!(n))?;
            txn.enqueue(0, &[entry(n)])
        })
        .expect("transact");
    let value = store
        .transact(|txn| txn.meta(&format!("k{n}")))
        .expect("read");
    assert_eq!(value, Some(json!(n)));
    let queued = store.peek(0, 100).expect("peek");
    let (seq, _) = queued.iter().find(|(_, e)| e.mpid == n).expect("queued");
    store.complete(0, &[*seq], Vec::new()).expect("complete");
}

#[tokio::test(flavor = "current_thread")]
async fn works_inside_a_current_thread_runtime_task() {
    let schema = common::fresh_schema();
    let _guard = common::SchemaGuard(schema.clone());
    let store = common::connect(&common::options(&schema, 2, "a"));
    exercise(&store, 1);
    drop(store); // dropping the last handle inside the runtime must not panic
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_inside_a_multi_thread_runtime_task() {
    let schema = common::fresh_schema();
    let _guard = common::SchemaGuard(schema.clone());
    let store = common::connect(&common::options(&schema, 2, "a"));
    exercise(&store, 1);
    let task = {
        let store = store.clone();
        tokio::spawn(async move { exercise(&store, 2) })
    };
    task.await.expect("task");
    let blocking = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || exercise(&store, 3))
    };
    blocking.await.expect("spawn_blocking");
    drop(store);
}

#[test]
fn works_from_plain_threads() {
    let (store, _guard) = common::store(2);
    std::thread::scope(|scope| {
        for n in 0..4 {
            let store = store.clone();
            scope.spawn(move || exercise(&store, n));
        }
    });
    assert_eq!(store.depth().expect("depth"), 0);
}

#[test]
fn a_panicking_closure_commits_nothing_and_leaves_its_connection_clean() {
    let schema = common::fresh_schema();
    let _guard = common::SchemaGuard(schema.clone());
    let mut options = common::options(&schema, 2, "a");
    options.pool_size = 1; // the next transaction gets the same connection
    let store = common::connect(&options);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _: Result<(), _> = store.transact(|txn| {
            txn.put_meta("half", &json!(1))?;
            txn.meta("half")?; // sends the write: the transaction is open on the server
            panic!("the closure gives up mid-way");
        });
    }));
    assert!(panicked.is_err());
    let after = store
        .transact(|txn| {
            let half = txn.meta("half")?;
            txn.put_meta("whole", &json!(2))?;
            Ok(half)
        })
        .expect("the connection works");
    assert_eq!(after, None, "the panicked transaction was rolled back");
    let whole = store.transact(|txn| txn.meta("whole")).expect("read");
    assert_eq!(
        whole,
        Some(json!(2)),
        "and the next one committed on its own"
    );
}
