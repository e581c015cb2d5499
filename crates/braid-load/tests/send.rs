//! The sender against a tiny in-test Events API (port 0): it authenticates, sends what
//! it reports, stops by itself, and counts failures by kind.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use braid_load::send::{self, SendConfig, SendError};
use braid_load::workload::WorkloadConfig;
use braid_mparticle::{parse_batch, parse_bulk};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "in-key";
const SECRET: &str = "in-secret";

#[derive(Default)]
struct Seen {
    single_requests: u64,
    bulk_requests: u64,
    batches: u64,
    events: u64,
    refused: u64,
    source_request_ids: HashSet<String>,
    bulk_sizes: Vec<usize>,
}

type Shared = Arc<Mutex<Seen>>;

fn authorised(headers: &HeaderMap) -> Result<(), StatusCode> {
    let expected = format!(
        "Basic {}",
        base64_encode(format!("{KEY}:{SECRET}").as_bytes())
    );
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        None => Err(StatusCode::UNAUTHORIZED),
        Some(v) if v == expected => Ok(()),
        Some(_) => Err(StatusCode::FORBIDDEN),
    }
}

/// A plain base64 encoder, so the server checks the header independently of the
/// sender's encoding code.
fn base64_encode(input: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn events(State(seen): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut s = seen.lock().unwrap();
    if let Err(code) = authorised(&headers) {
        s.refused += 1;
        return code;
    }
    let Ok(batch) = parse_batch(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    s.single_requests += 1;
    s.batches += 1;
    s.events += batch.events.len() as u64;
    s.source_request_ids
        .insert(batch.source_request_id.unwrap());
    StatusCode::ACCEPTED
}

async fn bulk(State(seen): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut s = seen.lock().unwrap();
    if let Err(code) = authorised(&headers) {
        s.refused += 1;
        return code;
    }
    let Ok(items) = parse_bulk(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    s.bulk_requests += 1;
    s.bulk_sizes.push(items.len());
    for item in items {
        let batch = item.expect("the load tool sends valid batches");
        s.batches += 1;
        s.events += batch.events.len() as u64;
        s.source_request_ids
            .insert(batch.source_request_id.unwrap());
    }
    StatusCode::ACCEPTED
}

async fn start_server() -> (String, Shared) {
    let seen = Shared::default();
    let app = Router::new()
        .route("/v2/events", post(events))
        .route("/v2/bulkevents", post(bulk))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn send_config(url: &str) -> SendConfig {
    SendConfig {
        url: url.to_owned(),
        key: KEY.to_owned(),
        secret: SECRET.to_owned(),
        concurrency: 8,
        request_timeout: Duration::from_secs(10),
        ..SendConfig::default()
    }
}

fn workload() -> WorkloadConfig {
    WorkloadConfig {
        users: 100,
        run_id: "e2e".to_owned(),
        ..WorkloadConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_single_batch_run_sends_exactly_what_it_reports() {
    let (url, seen) = start_server().await;
    let cfg = SendConfig {
        batches: Some(250),
        ..send_config(&url)
    };
    let report = send::run(&cfg, &workload()).await.unwrap();

    let s = seen.lock().unwrap();
    assert_eq!(s.single_requests, 250);
    assert_eq!(s.bulk_requests, 0);
    assert_eq!(s.source_request_ids.len(), 250, "every batch id is unique");
    assert_eq!(report.requests, 250);
    assert_eq!(report.requests_accepted, 250);
    assert_eq!(report.batches_sent, 250);
    assert_eq!(report.batches_accepted, 250);
    assert_eq!(report.events_accepted, s.events);
    assert_eq!(report.events_accepted, 250 * 3);
    assert_eq!(report.workload.all.batches, 250);
    assert!(report.errors.is_empty(), "{:?}", report.errors);

    let l = report.latency_ms;
    assert_eq!(l.count, 250);
    assert!(l.p50 > 0.0);
    assert!(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max);
    assert!(report.elapsed_secs > 0.0);
    assert!(report.batches_per_sec > 0.0 && report.events_per_sec > report.batches_per_sec);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_run_fills_requests_and_sends_the_remainder_last() {
    let (url, seen) = start_server().await;
    let cfg = SendConfig {
        batches: Some(105),
        bulk_size: 10,
        concurrency: 4,
        ..send_config(&url)
    };
    let report = send::run(&cfg, &workload()).await.unwrap();

    let s = seen.lock().unwrap();
    assert_eq!(s.single_requests, 0);
    assert_eq!(s.bulk_requests, 11);
    let mut sizes = s.bulk_sizes.clone();
    sizes.sort_unstable();
    assert_eq!(sizes[0], 5);
    assert!(sizes[1..].iter().all(|&n| n == 10));
    assert_eq!(s.batches, 105);
    assert_eq!(report.requests, 11);
    assert_eq!(report.batches_accepted, 105);
    assert_eq!(report.events_accepted, s.events);
    assert_eq!(report.latency_ms.count, 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_run_at_a_fixed_rate_stops_by_itself_within_its_schedule() {
    let (url, seen) = start_server().await;
    let cfg = SendConfig {
        duration: Some(Duration::from_millis(400)),
        rate: 100.0,
        ..send_config(&url)
    };
    let report = send::run(&cfg, &workload()).await.unwrap();

    // Request r is scheduled at r / rate seconds and none is scheduled at or after the
    // deadline, so at most rate × duration requests leave, however fast the server is.
    assert!(report.batches_sent <= 40, "{} batches", report.batches_sent);
    assert!(report.batches_sent >= 1);
    assert_eq!(report.batches_accepted, seen.lock().unwrap().batches);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_reported_as_http_403_errors() {
    let (url, seen) = start_server().await;
    let cfg = SendConfig {
        batches: Some(20),
        secret: "wrong".to_owned(),
        ..send_config(&url)
    };
    let report = send::run(&cfg, &workload()).await.unwrap();

    assert_eq!(seen.lock().unwrap().refused, 20);
    assert_eq!(report.batches_accepted, 0);
    assert_eq!(report.events_accepted, 0);
    assert_eq!(report.errors.get("http_403"), Some(&20));
    assert_eq!(report.error_count(), 20);
    // Refusals are answers: their latency is measured too.
    assert_eq!(report.latency_ms.count, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_reported_as_connection_errors() {
    // Bind and drop a listener so the port is (almost certainly) closed.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let cfg = SendConfig {
        batches: Some(6),
        concurrency: 2,
        ..send_config(&format!("http://{addr}"))
    };
    let report = send::run(&cfg, &workload()).await.unwrap();
    assert_eq!(report.batches_accepted, 0);
    assert_eq!(
        report.errors.get("connect"),
        Some(&6),
        "{:?}",
        report.errors
    );
    assert_eq!(report.latency_ms.count, 0);
}

#[tokio::test]
async fn a_run_without_a_bound_or_with_an_oversized_bulk_is_refused() {
    let cfg = send_config("http://127.0.0.1:9");
    assert!(matches!(
        send::run(&cfg, &workload()).await,
        Err(SendError::Unbounded)
    ));
    let cfg = SendConfig {
        batches: Some(1),
        bulk_size: 101,
        ..send_config("http://127.0.0.1:9")
    };
    assert!(matches!(
        send::run(&cfg, &workload()).await,
        Err(SendError::BulkTooLarge(101))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_above_the_user_count_still_sends_every_batch() {
    let (url, seen) = start_server().await;
    let cfg = SendConfig {
        batches: Some(30),
        concurrency: 64,
        ..send_config(&url)
    };
    let wl = WorkloadConfig {
        users: 3,
        ..workload()
    };
    let report = send::run(&cfg, &wl).await.unwrap();
    assert_eq!(report.batches_accepted, 30);
    assert_eq!(seen.lock().unwrap().batches, 30);
}
