//! Two delivery "nodes" (two `Delivery` instances with their own outboxes) sending to one
//! real `braze-sim` over HTTP: sharing a `RedisBudget` (real Redis, `BRAID_TEST_REDIS`)
//! they stay under the workspace's limit together; each with its own local budget they
//! do not, which is what the shared budget is for.

mod support;

use braid_braze::limits::{ContractShape, Limits};
use braid_delivery::{BackoffConfig, Delivery, DeliveryConfig, DeliveryStatus, RateBudget};
use braze_sim::{SimConfig, SimHandle};
use std::sync::Arc;
use std::time::Duration;
use support::*;
use tokio::sync::{watch, Notify};

/// A hang guard for waits (never a timing assertion).
const GUARD: Duration = Duration::from_secs(120);

/// Braze's (and braid's) limit in these tests: 5 requests per second.
const LIMIT: u32 = 5;
const WINDOW_MS: u64 = 1000;

fn node_config(sim: &SimHandle) -> DeliveryConfig {
    DeliveryConfig {
        instance: sim.base_url().parse().unwrap(),
        rest_api_key: Some("sim-key".into()),
        rate_limit: LIMIT,
        rate_window_ms: WINDOW_MS,
        request_timeout_ms: 5_000,
        backoff: BackoffConfig {
            initial_ms: 10,
            max_ms: 200,
            jitter: 0.5,
        },
        ..DeliveryConfig::default()
    }
}

/// 250 events of 50 users on 4 lanes: five full requests of 50 objects.
fn loaded_outbox(node: &str) -> Arc<MemOutbox> {
    let outbox = Arc::new(MemOutbox::new(4));
    for seq in 0..5 {
        for u in 0..50 {
            outbox.push(u % 4, [event(&format!("{node}-user-{u}"), seq)]);
        }
    }
    outbox
}

/// Run both nodes until their outboxes drain; their statuses.
async fn run_two_nodes(
    sim: &SimHandle,
    budgets: [Arc<dyn RateBudget>; 2],
) -> Vec<(Arc<MemOutbox>, DeliveryStatus)> {
    let (stop, stopped) = watch::channel(false);
    let mut nodes = Vec::new();
    for (name, budget) in ["a", "b"].into_iter().zip(budgets) {
        let dir = tempfile::tempdir().unwrap();
        let outbox = loaded_outbox(name);
        let delivery = Delivery::new_with_budget(
            outbox.clone(),
            node_config(sim),
            Limits::with_contract(ContractShape::Total50),
            dir.path(),
            budget,
        )
        .unwrap();
        let handle = delivery.handle();
        let task = tokio::spawn(delivery.run(Arc::new(Notify::new()), stopped.clone()));
        nodes.push((outbox, handle, task, dir));
    }
    tokio::time::timeout(GUARD, async {
        while nodes.iter().any(|(outbox, ..)| outbox.queued() > 0) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("both outboxes drain");
    stop.send(true).unwrap();
    let mut done = Vec::new();
    for (outbox, handle, task, _dir) in nodes {
        task.await.unwrap();
        done.push((outbox, handle.status()));
    }
    done
}

#[tokio::test]
async fn two_nodes_sharing_a_redis_budget_stay_under_braze_limit_together() {
    let sim = braze_sim::start(SimConfig {
        rate_limit: u64::from(LIMIT),
        rate_window: Duration::from_millis(WINDOW_MS),
        ..SimConfig::default()
    })
    .expect("simulator starts");
    let prefix = unique_prefix("two-nodes");
    let pacing_window = node_config(&sim).pacing_window();
    let a = Arc::new(redis_budget(&prefix, LIMIT, pacing_window).await);
    let b = Arc::new(redis_budget(&prefix, LIMIT, pacing_window).await);
    let nodes = run_two_nodes(&sim, [a, b]).await;

    let stats = sim.state().stats();
    assert_eq!(
        stats.rate_limited, 0,
        "braze-sim never counted more than {LIMIT} requests in a window"
    );
    assert_eq!(stats.objects_applied, 500);
    for (outbox, status) in &nodes {
        assert_eq!(status.rate_limited, 0);
        assert_eq!(status.delivered, 250);
        assert_eq!(status.rate_budget_error, None);
        assert!(outbox.dead().is_empty());
    }
}

#[tokio::test]
async fn two_nodes_each_with_a_local_budget_overrun_braze_limit() {
    // The problem the shared budget solves: each node keeps the limit alone, together
    // they send twice what Braze allows. (Braze's 429s are retried; nothing is lost.)
    let sim = braze_sim::start(SimConfig {
        rate_limit: u64::from(LIMIT),
        rate_window: Duration::from_millis(WINDOW_MS),
        ..SimConfig::default()
    })
    .expect("simulator starts");
    let pacing_window = node_config(&sim).pacing_window();
    let nodes = run_two_nodes(
        &sim,
        [
            Arc::new(braid_delivery::LocalBudget::new(LIMIT, pacing_window)),
            Arc::new(braid_delivery::LocalBudget::new(LIMIT, pacing_window)),
        ],
    )
    .await;
    let stats = sim.state().stats();
    assert!(stats.rate_limited > 0, "braze-sim had to refuse requests");
    assert_eq!(stats.objects_applied, 500);
    for (outbox, status) in &nodes {
        assert_eq!(status.delivered, 250);
        assert!(outbox.dead().is_empty());
    }
}
