//! The Braze rate budget shared through a real Redis (`BRAID_TEST_REDIS`, default
//! 127.0.0.1:6379): several `RedisBudget` instances stand for several nodes, each test
//! under its own key prefix. Starts are audited on Redis's clock (the one the bound is
//! proved on), so the checks do not depend on how busy this machine is.

mod support;

use braid_delivery::{RateBudget, RedisBudget};
use std::sync::Arc;
use std::time::Duration;
use support::{redis_budget, redis_url, unique_prefix};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// A hang guard for waits (never a timing assertion).
const GUARD: Duration = Duration::from_secs(60);

async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    tokio::time::timeout(GUARD, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("gave up waiting for {what}"));
}

async fn raw_connection() -> redis::aio::MultiplexedConnection {
    let url = redis_url();
    redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("these tests need Redis 7 at {url} (start `redis-server`): {e}"))
}

/// Redis's clock, since the UNIX epoch.
async fn redis_now(connection: &mut redis::aio::MultiplexedConnection) -> Duration {
    let (seconds, micros): (u64, u64) = redis::cmd("TIME").query_async(connection).await.unwrap();
    Duration::from_secs(seconds) + Duration::from_micros(micros)
}

async fn pttl(connection: &mut redis::aio::MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("PTTL")
        .arg(key)
        .query_async(connection)
        .await
        .unwrap()
}

/// The most starts any half-open window `[t, t + window)` holds.
fn busiest_window(starts: &mut [Duration], window: Duration) -> usize {
    starts.sort();
    (0..starts.len())
        .map(|i| {
            starts[i..]
                .iter()
                .take_while(|t| **t < starts[i] + window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn four_nodes_hammering_together_never_exceed_the_limit_in_any_window() {
    let prefix = unique_prefix("four-nodes");
    let (limit, window) = (10, Duration::from_millis(400));
    let mut nodes = Vec::new();
    for _ in 0..4 {
        nodes.push(Arc::new(redis_budget(&prefix, limit, window).await));
    }
    // Each node with three lanes asking at once, 60 starts in all: six windows' worth.
    let mut tasks = JoinSet::new();
    for (node_index, node) in nodes.iter().enumerate() {
        for _ in 0..3 {
            let node = node.clone();
            tasks.spawn(async move {
                let mut starts = Vec::new();
                for _ in 0..5 {
                    starts.push((node_index, node.acquire_admitted_at().await));
                }
                starts
            });
        }
    }
    let mut starts = Vec::new();
    while let Some(done) = tasks.join_next().await {
        starts.extend(done.unwrap());
    }
    assert_eq!(starts.len(), 60);
    for node_index in 0..4 {
        assert_eq!(
            starts.iter().filter(|(n, _)| *n == node_index).count(),
            15,
            "node {node_index} got its starts"
        );
    }
    let mut times: Vec<Duration> = starts.iter().map(|(_, t)| *t).collect();
    let busiest = busiest_window(&mut times, window);
    assert!(
        busiest <= limit as usize,
        "a {window:?} window admitted {busiest} starts, over the limit of {limit}"
    );
    // With a burst of one, consecutive starts (of any nodes) are an emission interval apart.
    let interval = nodes[0].emission_interval();
    assert_eq!(interval, Duration::from_millis(40));
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= interval, "starts at {pair:?}");
    }
}

#[tokio::test]
async fn the_budget_audit_catches_a_window_over_the_limit() {
    // The checker above is not vacuous: 11 starts 10 ms apart break a 10-per-400-ms limit.
    let mut starts: Vec<Duration> = (0..11).map(|i| Duration::from_millis(10 * i)).collect();
    assert_eq!(busiest_window(&mut starts, Duration::from_millis(400)), 11);
    let mut spaced: Vec<Duration> = (0..11).map(|i| Duration::from_millis(40 * i)).collect();
    assert_eq!(busiest_window(&mut spaced, Duration::from_millis(400)), 10);
}

#[tokio::test]
async fn a_pause_set_by_one_node_holds_the_others_and_expires_by_itself() {
    let prefix = unique_prefix("pause");
    let window = Duration::from_secs(1);
    let a = redis_budget(&prefix, 100, window).await;
    let b = redis_budget(&prefix, 100, window).await;
    let c = redis_budget(&prefix, 100, window).await;
    let mut raw = raw_connection().await;
    let pause = Duration::from_millis(800);

    let before = redis_now(&mut raw).await;
    a.pause_until(pause);
    assert!(
        a.paused_for().is_some(),
        "the node that was told obeys at once"
    );
    a.flush().await;
    let pause_key = format!("{{{prefix}}}:pause");
    assert!(
        pttl(&mut raw, &pause_key).await > 0,
        "the pause is a key with an expiry"
    );
    wait_for("the other nodes to see the pause", || {
        b.paused_for().is_some() && c.paused_for().is_some()
    })
    .await;

    let admitted = b.acquire_admitted_at().await;
    assert!(
        admitted >= before + pause,
        "node b started {:?} after the pause began, before its end",
        admitted.saturating_sub(before)
    );
    assert_eq!(pttl(&mut raw, &pause_key).await, -2, "the pause expired");
    wait_for("every node to see the pause end", || {
        a.paused_for().is_none() && b.paused_for().is_none() && c.paused_for().is_none()
    })
    .await;
}

#[tokio::test]
async fn a_shorter_pause_never_shortens_a_longer_one() {
    let prefix = unique_prefix("pause-order");
    let a = redis_budget(&prefix, 100, Duration::from_secs(1)).await;
    let b = redis_budget(&prefix, 100, Duration::from_secs(1)).await;
    let mut raw = raw_connection().await;
    a.pause_until(Duration::from_secs(30));
    a.flush().await;
    b.pause_until(Duration::from_millis(100));
    b.flush().await;
    let left = pttl(&mut raw, &format!("{{{prefix}}}:pause")).await;
    assert!(left > 20_000, "the longer pause holds ({left} ms left)");
}

#[tokio::test]
async fn a_refused_key_flag_set_on_one_node_is_seen_by_all_and_cleared_by_any() {
    let prefix = unique_prefix("auth");
    let window = Duration::from_secs(1);
    let a = redis_budget(&prefix, 100, window).await;
    let b = redis_budget(&prefix, 100, window).await;
    let c = redis_budget(&prefix, 100, window).await;
    let mut raw = raw_connection().await;
    assert!(!a.auth_failed() && !b.auth_failed() && !c.auth_failed());

    a.set_auth_failed(true);
    a.flush().await;
    assert!(
        pttl(&mut raw, &format!("{{{prefix}}}:auth_failed")).await > 0,
        "the flag is a key with an expiry"
    );
    wait_for("every node to see the refused key", || {
        b.auth_failed() && c.auth_failed()
    })
    .await;

    // Node c's probe succeeded.
    c.set_auth_failed(false);
    c.flush().await;
    wait_for("every node to see the key accepted again", || {
        !a.auth_failed() && !b.auth_failed()
    })
    .await;
    assert!(!c.auth_failed());
}

#[tokio::test]
async fn a_node_that_joins_later_sees_the_state_already_shared() {
    let prefix = unique_prefix("join");
    let a = redis_budget(&prefix, 100, Duration::from_secs(1)).await;
    a.set_auth_failed(true);
    a.pause_until(Duration::from_secs(30));
    a.flush().await;
    let late = redis_budget(&prefix, 100, Duration::from_secs(1)).await;
    assert!(late.auth_failed());
    assert!(late.paused_for().is_some());
}

/// A TCP relay to the test Redis that can be cut and restored on the same port.
struct Relay {
    port: u16,
    tasks: JoinSet<()>,
}

impl Relay {
    async fn start(port: u16) -> Relay {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let target = redis_url()
            .trim_start_matches("redis://")
            .trim_end_matches('/')
            .to_string();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let target = target.clone();
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Relay { port, tasks }
    }

    /// Drop the listener and every relayed connection.
    async fn cut(mut self) -> u16 {
        self.tasks.shutdown().await;
        self.port
    }
}

#[tokio::test]
async fn while_redis_is_unreachable_nothing_is_admitted_and_the_problem_is_reported() {
    let prefix = unique_prefix("outage");
    let relay = Relay::start(0).await;
    let url = braid_core::Secret::new(format!("redis://127.0.0.1:{}", relay.port));
    let node = RedisBudget::connect(&url, &prefix, 100, Duration::from_secs(1))
        .await
        .expect("connect through the relay");
    node.acquire_admitted_at().await;
    assert_eq!(node.problem(), None);
    node.ping().await.expect("redis answers");

    let port = relay.cut().await;
    assert!(node.ping().await.is_err(), "redis is out of reach");
    let mut waiting = std::pin::pin!(node.acquire_admitted_at());
    // The request waits while the outage is reported, and never starts unpaced.
    tokio::select! {
        admitted = &mut waiting => panic!("admitted at {admitted:?} with redis out of reach"),
        () = wait_for("the outage to be reported", || node.problem().is_some()) => {}
    }
    let problem = node.problem().unwrap();
    assert!(problem.contains("redis"), "{problem}");

    let _relay = Relay::start(port).await;
    tokio::time::timeout(GUARD, waiting)
        .await
        .expect("admitted once redis is back");
    assert_eq!(node.problem(), None, "the outage is over");
}

#[tokio::test]
async fn an_unreachable_redis_fails_connect_saying_so() {
    let free_port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = braid_core::Secret::new(format!("redis://127.0.0.1:{free_port}"));
    let error = RedisBudget::connect(&url, "braid-test", 10, Duration::from_secs(1))
        .await
        .err()
        .expect("nothing listens there");
    assert!(error.to_string().starts_with("redis: "), "{error}");

    let bad = braid_core::Secret::new("http://user:hunter2@127.0.0.1");
    let error = RedisBudget::connect(&bad, "braid-test", 10, Duration::from_secs(1))
        .await
        .err()
        .expect("not a redis url");
    let message = error.to_string();
    assert!(message.starts_with("storage.redis.url: "), "{message}");
    assert!(
        !message.contains("hunter2"),
        "the URL's password is not shown"
    );
}
