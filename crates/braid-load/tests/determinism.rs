//! Seed determinism of a whole run: with the same seed, run id, batch count and a fixed
//! clock, `braid-load` sends byte-identical batches however its requests happen to be
//! scheduled — each shard's requests in the same order, with the same bytes, as
//! `send::request_bodies` lists them in advance. A sink that answers after a random
//! pause shuffles the scheduling between runs.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use braid_load::send::{self, SendConfig, SendError, SendReport};
use braid_load::workload::WorkloadConfig;
use rand::Rng;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Bodies in the order they arrived.
type Received = Arc<Mutex<Vec<Vec<u8>>>>;

async fn record(State(seen): State<Received>, body: Bytes) -> StatusCode {
    seen.lock().unwrap().push(body.to_vec());
    // Answer after a random pause so that workers finish in a different order each run.
    let pause = rand::thread_rng().gen_range(0..3);
    tokio::time::sleep(Duration::from_millis(pause)).await;
    StatusCode::ACCEPTED
}

async fn start_sink() -> (String, Received) {
    let seen = Received::default();
    let app = Router::new()
        .route("/v2/events", post(record))
        .route("/v2/bulkevents", post(record))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn repeatable(url: &str, bulk_size: usize, batches: u64) -> SendConfig {
    SendConfig {
        url: url.to_owned(),
        key: "k".to_owned(),
        secret: "s".to_owned(),
        bulk_size,
        concurrency: 8,
        batches: Some(batches),
        request_timeout: Duration::from_secs(30),
        clock_start_ms: Some(1_760_000_000_000),
        ..SendConfig::default()
    }
}

fn workload(seed: u64) -> WorkloadConfig {
    WorkloadConfig {
        users: 300,
        seed,
        run_id: "repeat".to_owned(),
        ..WorkloadConfig::default()
    }
}

/// The shard a request came from: the middle part of its first batch's
/// `source_request_id` (`<run id>-<shard>-<n>`).
fn shard_of(body: &[u8]) -> u64 {
    let json: serde_json::Value = serde_json::from_slice(body).expect("a JSON body");
    let first = if json.is_array() { &json[0] } else { &json };
    let id = first["source_request_id"]
        .as_str()
        .expect("a source_request_id");
    id.rsplit('-').nth(1).unwrap().parse().unwrap()
}

/// Bodies grouped by shard, each group in the order it was sent.
fn by_shard(bodies: &[Vec<u8>]) -> BTreeMap<u64, Vec<Vec<u8>>> {
    let mut out: BTreeMap<u64, Vec<Vec<u8>>> = BTreeMap::new();
    for body in bodies {
        out.entry(shard_of(body)).or_default().push(body.clone());
    }
    out
}

async fn run_once(bulk_size: usize, batches: u64, seed: u64) -> (Vec<Vec<u8>>, SendReport) {
    let (url, seen) = start_sink().await;
    let report = send::run(&repeatable(&url, bulk_size, batches), &workload(seed))
        .await
        .expect("run");
    assert_eq!(report.batches_accepted, batches, "{:?}", report.errors);
    let bodies = seen.lock().unwrap().clone();
    (bodies, report)
}

async fn same_seed_same_bytes(bulk_size: usize, batches: u64) {
    let (first, first_report) = run_once(bulk_size, batches, 42).await;
    let (second, second_report) = run_once(bulk_size, batches, 42).await;
    let planned = send::request_bodies(
        &repeatable("http://unused", bulk_size, batches),
        &workload(42),
    )
    .expect("a repeatable plan");
    assert_eq!(first.len(), planned.len(), "requests sent");
    let first = by_shard(&first);
    assert_eq!(first, by_shard(&second), "two runs sent different bytes");
    assert_eq!(first, by_shard(&planned), "a run differs from the plan");
    assert_eq!(
        first_report.workload, second_report.workload,
        "what the workload generated depends on scheduling"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_sends_byte_identical_single_batches() {
    same_seed_same_bytes(0, 400).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_sends_byte_identical_bulk_requests() {
    // 405 is not a multiple of the bulk size: the short last request is planned too.
    same_seed_same_bytes(10, 405).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_seed_sends_other_batches() {
    let (a, _) = run_once(0, 100, 1).await;
    let (b, _) = run_once(0, 100, 2).await;
    let a = by_shard(&a);
    let b = by_shard(&b);
    let same = a
        .values()
        .flatten()
        .filter(|body| b.values().flatten().any(|other| other == *body))
        .count();
    assert_eq!(same, 0, "bodies shared by two seeds");
}

#[test]
fn a_plan_needs_a_batch_count_and_a_fixed_clock() {
    let mut cfg = repeatable("http://unused", 0, 10);
    cfg.clock_start_ms = None;
    assert!(matches!(
        send::request_bodies(&cfg, &workload(1)),
        Err(SendError::NotRepeatable)
    ));
    let mut cfg = repeatable("http://unused", 0, 10);
    cfg.batches = None;
    cfg.duration = Some(Duration::from_secs(1));
    assert!(matches!(
        send::request_bodies(&cfg, &workload(1)),
        Err(SendError::NotRepeatable)
    ));
}
