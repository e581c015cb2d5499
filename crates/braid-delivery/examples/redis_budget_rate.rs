//! Load tool: how many `RedisBudget::acquire` calls per second the Redis at
//! `BRAID_TEST_REDIS` (default 127.0.0.1:6379) serves, with N budget instances (nodes)
//! calling back to back under a limit too high to ever make them wait.
//!
//! `cargo run -p braid-delivery --example redis_budget_rate -- <nodes> <seconds>`

use braid_delivery::{RateBudget, RedisBudget};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let nodes: usize = args
        .next()
        .map_or(1, |a| a.parse().expect("nodes: a number"));
    let seconds: u64 = args
        .next()
        .map_or(5, |a| a.parse().expect("seconds: a number"));
    let url = std::env::var("BRAID_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("braid-bench:{}", std::process::id());
    // One start per microsecond: far above what one Redis admits, so nobody waits.
    let (limit, window) = (1_000_000, Duration::from_secs(1));
    let mut budgets = Vec::new();
    for _ in 0..nodes {
        let budget = RedisBudget::connect(
            &braid_core::Secret::new(url.clone()),
            &prefix,
            limit,
            window,
        )
        .await
        .unwrap_or_else(|e| panic!("redis at {url}: {e}"));
        budgets.push(Arc::new(budget));
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for budget in budgets {
        tasks.spawn(async move {
            let mut calls: u64 = 0;
            while Instant::now() < deadline {
                budget.acquire().await;
                calls += 1;
            }
            calls
        });
    }
    let mut calls = 0;
    while let Some(done) = tasks.join_next().await {
        calls += done.expect("a node task failed");
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{nodes} node(s): {calls} acquire calls in {elapsed:.2} s = {:.0} calls/s",
        calls as f64 / elapsed
    );
}
