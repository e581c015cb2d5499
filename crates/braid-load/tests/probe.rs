//! The probes against in-test stand-ins for braid's admin API, its metrics endpoint and
//! braze-sim's stats.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use braid_load::probe::{self, Backlog, DepthSource};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What the stand-in still has to do: (outbox entries, ingest queue).
struct Remaining {
    outbox: AtomicU64,
    queue: AtomicU64,
}

fn take_one(v: &AtomicU64) -> u64 {
    v.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| {
        Some(v.saturating_sub(1))
    })
    .unwrap()
}

/// A braid stand-in whose outbox shrinks by one entry per admin API read, and whose
/// ingest queue shrinks by one batch per `/metrics` read.
async fn start(outbox: u64, queue: u64) -> (String, Arc<Remaining>) {
    let backlog = Arc::new(Remaining {
        outbox: AtomicU64::new(outbox),
        queue: AtomicU64::new(queue),
    });
    async fn delivery(State(b): State<Arc<Remaining>>, headers: HeaderMap) -> impl IntoResponse {
        // "admin:pw" in base64.
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Basic YWRtaW46cHc=")
        {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        Json(json!({"outbox_depth": take_one(&b.outbox), "status": "running"})).into_response()
    }
    async fn metrics(State(b): State<Arc<Remaining>>) -> String {
        format!(
            "# TYPE braid_outbox_depth gauge\nbraid_outbox_depth {}\n\
             # TYPE braid_queue_depth gauge\nbraid_queue_depth {}\nother_metric 5\n",
            b.outbox.load(Ordering::SeqCst),
            take_one(&b.queue)
        )
    }
    async fn stats() -> Json<serde_json::Value> {
        Json(json!({"track_requests": 4, "objects_received": 300,
                    "data_points": {"attributes": 10, "events": 5, "purchases": 1}}))
    }
    let app = Router::new()
        .route("/api/v1/delivery", get(delivery))
        .route("/metrics", get(metrics))
        .route("/sim/stats", get(stats))
        .with_state(backlog.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), backlog)
}

#[tokio::test]
async fn waiting_for_the_drain_through_the_admin_api_ends_when_the_outbox_is_empty() {
    let (url, remaining) = start(3, 0).await;
    let src = DepthSource::Admin {
        url,
        key: "admin".to_owned(),
        secret: "pw".to_owned(),
    };
    let client = reqwest::Client::new();
    let r = probe::wait_drained(
        &client,
        &src,
        Duration::from_secs(30),
        Duration::from_millis(1),
        false,
    )
    .await;
    assert!(r.drained, "{r:?}");
    assert_eq!(r.source, "admin_api");
    assert_eq!(r.initial_depth, Some(3));
    assert_eq!(r.last_depth, Some(0));
    assert_eq!(r.probe_errors, 0);
    assert_eq!(remaining.outbox.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_empty_outbox_is_not_drained_while_the_ingest_queue_still_holds_batches() {
    // The pipeline lags: nothing in the outbox yet, three batches not yet applied.
    let (url, remaining) = start(0, 3).await;
    let src = DepthSource::Admin {
        url,
        key: "admin".to_owned(),
        secret: "pw".to_owned(),
    };
    let client = reqwest::Client::new();
    let r = probe::wait_drained(
        &client,
        &src,
        Duration::from_secs(30),
        Duration::from_millis(1),
        false,
    )
    .await;
    assert!(r.drained, "{r:?}");
    assert_eq!(r.initial_depth, Some(0));
    assert_eq!(r.initial_queue_depth, Some(3));
    assert_eq!(r.last_queue_depth, Some(0));
    assert_eq!(remaining.queue.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn without_admin_credentials_both_depths_come_from_metrics() {
    let (url, _) = start(7, 2).await;
    let client = reqwest::Client::new();
    let src = DepthSource::Metrics { url };
    assert_eq!(probe::outbox_depth(&client, &src).await.unwrap(), 7);
    // That read of /metrics took one batch off the stand-in's queue.
    assert_eq!(
        probe::backlog(&client, &src).await.unwrap(),
        Backlog {
            queue: 1,
            outbox: 7
        }
    );
}

#[tokio::test]
async fn waiting_for_the_drain_through_metrics_waits_for_the_queue_gauge() {
    let (url, remaining) = start(0, 2).await;
    let client = reqwest::Client::new();
    let src = DepthSource::Metrics { url };
    let r = probe::wait_drained(
        &client,
        &src,
        Duration::from_secs(30),
        Duration::from_millis(1),
        false,
    )
    .await;
    assert!(r.drained, "{r:?}");
    assert_eq!(r.source, "metrics");
    assert_eq!(r.initial_queue_depth, Some(2));
    assert_eq!(r.last_depth, Some(0));
    assert_eq!(remaining.queue.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_drain_wait_gives_up_at_its_timeout_and_says_why() {
    let (url, _) = start(1_000_000, 0).await;
    let src = DepthSource::Admin {
        url,
        key: "admin".to_owned(),
        secret: "wrong".to_owned(),
    };
    let client = reqwest::Client::new();
    let r = probe::wait_drained(
        &client,
        &src,
        Duration::from_millis(50),
        Duration::from_millis(5),
        false,
    )
    .await;
    assert!(!r.drained);
    assert!(r.probe_errors >= 1);
    assert_eq!(r.last_error.as_deref(), Some("answered http 401"));
    assert_eq!(r.last_depth, None);
}

#[tokio::test]
async fn sim_stats_are_fetched_and_summarised() {
    let (url, _) = start(0, 0).await;
    let client = reqwest::Client::new();
    let stats = probe::sim_stats(&client, &url).await.unwrap();
    let s = probe::summarize_sim(None, &stats, 2000);
    assert_eq!(s.requests, 4);
    assert_eq!(s.objects_per_request, Some(75.0));
    assert_eq!(s.data_points.total, 16);
    assert_eq!(s.data_points_per_1000_events, Some(8.0));
    assert_eq!(s.requests_per_1000_events, Some(2.0));
}
