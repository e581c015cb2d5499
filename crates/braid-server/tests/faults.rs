//! Fault harness (small, runs in CI): a real braid server delivers to a real braze-sim
//! over HTTP while load keeps arriving and the simulator goes through fault phases — a
//! 5xx outage, a 429 storm, slow answers with hung and dropped connections, and partial
//! errors. Afterwards the faults clear and the backlog must drain, and:
//!
//! - nothing accepted is lost: every event of every 202-answered batch reached Braze, or
//!   sits in braid's dead letters because Braze refused that very object;
//! - dead letters are counted exactly: as many as the objects braze-sim refused, each
//!   with braze-sim's reason, none for a retryable fault;
//! - per-user order holds: each user's events reach Braze in the order they were sent,
//!   and an attribute counter that only increases ends at the last value sent;
//! - duplicates (re-sends after a request timed out) are counted and reported.
//!
//! Each phase keeps sending until braze-sim has provably injected that fault a few times,
//! so every phase is exercised whatever the machine's speed; every wait has a generous
//! deadline and no assertion depends on timing. `scripts/fault-harness.sh` is the bigger
//! local run with the release binaries.

mod common;

use braze_sim::{Faults, SimConfig, SimHandle, SimStats};
use common::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// How big a run is. CI uses the defaults; `scripts/fault-harness.sh` sets the
/// `FAULT_HARNESS_*` variables for a bigger local run.
#[derive(Debug, Clone, Copy)]
struct Scale {
    /// Distinct users; each is owned by one sender so its batches go out in order.
    users: u64,
    /// Concurrent senders.
    senders: u64,
    /// Rounds (one batch per user each) sent before each check of the phase's fault.
    rounds_per_step: u64,
    /// Rounds every phase sends at least, even once its fault has been seen.
    min_rounds_per_phase: u64,
    /// Longest wait for one condition; generous, because CI shares two cores.
    deadline: Duration,
}

impl Scale {
    fn from_env() -> Scale {
        let var = |name: &str, default: u64| -> u64 {
            match std::env::var(name) {
                Ok(v) => v
                    .parse()
                    .unwrap_or_else(|_| panic!("{name} must be a whole number, got {v:?}")),
                Err(_) => default,
            }
        };
        let scale = Scale {
            users: var("FAULT_HARNESS_USERS", 24),
            senders: var("FAULT_HARNESS_SENDERS", 6),
            rounds_per_step: var("FAULT_HARNESS_ROUNDS_PER_STEP", 2),
            min_rounds_per_phase: var("FAULT_HARNESS_MIN_ROUNDS", 2),
            deadline: Duration::from_secs(var("FAULT_HARNESS_DEADLINE_SECS", 90)),
        };
        assert!(
            scale.users >= scale.senders && scale.senders > 0 && scale.rounds_per_step > 0,
            "FAULT_HARNESS_SENDERS and FAULT_HARNESS_ROUNDS_PER_STEP must be above 0 and \
             FAULT_HARNESS_USERS at least FAULT_HARNESS_SENDERS: {scale:?}"
        );
        scale
    }
}

fn customer(user: u64) -> String {
    format!("fault-user-{user}")
}

/// Batch `seq` of `user`: the attribute `counter` is `seq` (it only ever increases) and
/// one custom event carries `seq` as a property.
fn batch(user: u64, seq: u64) -> Value {
    json!({
        "source_request_id": format!("fault-{user}-{seq}"),
        "environment": "production",
        "user_identities": {"customer_id": customer(user)},
        "user_attributes": {"counter": seq, "plan": "gold"},
        "events": [{"event_type": "custom_event", "data": {
            "event_name": "Tick", "custom_event_type": "other",
            "timestamp_unixtime_ms": 1_700_000_000_000i64 + seq as i64,
            "custom_attributes": {"seq": seq.to_string()}}}]
    })
}

/// One fault phase: what braze-sim injects and how to tell it happened often enough.
struct Phase {
    name: &'static str,
    faults: Faults,
    exercised: fn(&SimStats, &SimStats) -> bool,
}

fn phases() -> Vec<Phase> {
    fn count(stats: &SimStats, status: &str) -> u64 {
        stats.responses_by_status.get(status).copied().unwrap_or(0)
    }
    vec![
        Phase {
            name: "5xx outage",
            faults: Faults {
                status_5xx_rate: 1.0,
                ..Faults::default()
            },
            exercised: |before, now| {
                count(now, "500") + count(now, "503")
                    >= count(before, "500") + count(before, "503") + 5
            },
        },
        Phase {
            name: "429 storm",
            faults: Faults {
                rate_limit_override: Some(1),
                ..Faults::default()
            },
            exercised: |before, now| now.rate_limited >= before.rate_limited + 2,
        },
        Phase {
            name: "slow answers, hung and dropped connections",
            faults: Faults {
                latency_ms: 100,
                timeout_rate: 0.15,
                drop_connection_rate: 0.15,
                ..Faults::default()
            },
            exercised: |before, now| {
                now.timeouts > before.timeouts
                    && now.dropped_connections > before.dropped_connections
                    && count(now, "201") >= count(before, "201") + 3
            },
        },
        Phase {
            name: "partial errors",
            faults: Faults {
                partial_error_rate: 0.25,
                ..Faults::default()
            },
            exercised: |before, now| now.objects_rejected >= before.objects_rejected + 5,
        },
    ]
}

/// Sends rounds of batches: in each round every user gets its next batch, users are
/// split over `Scale::senders` tasks, and a user's next batch leaves only after the previous
/// one was answered 202.
struct Load {
    scale: Scale,
    braid_base: String,
    client: reqwest::Client,
    /// Last sequence number sent (and accepted) per user.
    last: Vec<u64>,
}

impl Load {
    async fn send_rounds(&mut self, rounds: u64) {
        let mut tasks = Vec::new();
        let senders = self.scale.senders;
        for sender in 0..senders {
            let users: Vec<(u64, u64)> = (0..self.scale.users)
                .filter(|u| u % senders == sender)
                .map(|u| (u, self.last[u as usize]))
                .collect();
            let (client, base) = (self.client.clone(), self.braid_base.clone());
            tasks.push(tokio::spawn(async move {
                for r in 1..=rounds {
                    for &(user, last) in &users {
                        let seq = last + r;
                        let answer = client
                            .post(format!("{base}/v2/events"))
                            .basic_auth(KEY, Some(SECRET))
                            .json(&batch(user, seq))
                            .send()
                            .await
                            .expect("braid answers");
                        let status = answer.status().as_u16();
                        let text = answer.text().await.unwrap_or_default();
                        assert_eq!(status, 202, "batch {seq} of user {user}: {text}");
                    }
                }
            }));
        }
        for task in tasks {
            task.await.expect("sender");
        }
        for last in &mut self.last {
            *last += rounds;
        }
    }
}

async fn start_pair() -> (SimHandle, TestBraid) {
    let sim = braze_sim::start(SimConfig {
        // A short window lets the 429 storm reset quickly.
        rate_window: Duration::from_secs(1),
        seed: Some(7),
        request_log_capacity: 0,
        ..SimConfig::default()
    })
    .expect("sim starts");
    let url = sim.base_url();
    let braid = start_with(move |c| {
        c.delivery.instance = url.parse().expect("custom url");
        c.delivery.rest_api_key = Some("sim-key".into());
        c.delivery.backoff.initial_ms = 20;
        c.delivery.backoff.max_ms = 200;
        // Hung calls are given up (and re-sent) after a second.
        c.delivery.request_timeout_ms = 1000;
        c.delivery.max_linger_ms = 5;
    })
    .await;
    (sim, braid)
}

async fn wait_for(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < deadline, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn dead_letters(braid: &TestBraid) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = 0u64;
    loop {
        let (status, page) = braid
            .admin_get(&format!("/api/v1/dead-letters?after={after}&limit=1000"))
            .await;
        assert_eq!(status, 200, "{page}");
        let items = page["dead_letters"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            return all;
        }
        after = items.last().unwrap()["id"]
            .as_u64()
            .expect("dead letter id");
        all.extend(items);
    }
}

async fn metric_sum(braid: &TestBraid, name: &str) -> f64 {
    let text = braid.metrics().await;
    text.lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn seq_of(event: &serde_json::Map<String, Value>) -> u64 {
    let seq = &event["properties"]["seq"];
    seq.as_u64()
        .or_else(|| seq.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("event without seq: {event:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_in_phases_lose_nothing_keep_order_and_count_dead_letters() {
    let scale = Scale::from_env();
    let (sim, braid) = start_pair().await;
    let mut load = Load {
        scale,
        braid_base: braid.base.clone(),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        last: vec![0; scale.users as usize],
    };

    // Healthy start, so each phase meets a warm pipeline.
    load.send_rounds(scale.rounds_per_step).await;
    let mut report = Vec::new();
    for phase in phases() {
        let before = sim.state().stats();
        sim.set_faults(phase.faults.clone());
        let started = Instant::now();
        let mut rounds = 0;
        // Keep load arriving until braze-sim has injected this fault often enough.
        loop {
            load.send_rounds(scale.rounds_per_step).await;
            rounds += scale.rounds_per_step;
            let now = sim.state().stats();
            if rounds >= scale.min_rounds_per_phase && (phase.exercised)(&before, &now) {
                break;
            }
            assert!(
                started.elapsed() < scale.deadline,
                "phase {:?} never exercised its fault: {now:?}",
                phase.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let after = sim.state().stats();
        report.push(format!(
            "{}: {rounds} rounds, +{} requests, +{} 429, +{} hung, +{} dropped, +{} refused objects",
            phase.name,
            after.track_requests - before.track_requests,
            after.rate_limited - before.rate_limited,
            after.timeouts - before.timeouts,
            after.dropped_connections - before.dropped_connections,
            after.objects_rejected - before.objects_rejected,
        ));
    }

    // Faults clear; the backlog must drain.
    sim.set_faults(Faults::default());
    let store = braid.server.as_ref().unwrap().state().store.clone();
    let depth = move || {
        use braid_core::storage::{IngestLog, Outbox, StateStore};
        let processed = store.transact(|t| t.cursor()).unwrap() >= store.head().unwrap();
        processed && store.depth().unwrap() == 0
    };
    wait_for(
        "the backlog drains after the faults clear",
        scale.deadline,
        depth,
    )
    .await;

    // What braid kept as dead letters, by (user, seq) for events and by user for counters.
    let letters = dead_letters(&braid).await;
    let mut dead_events: BTreeMap<(String, u64), usize> = BTreeMap::new();
    let mut dead_counters: HashMap<String, BTreeSet<u64>> = HashMap::new();
    for letter in &letters {
        let letter = &letter["dead_letter"];
        assert_eq!(
            letter["reason"], "Simulated error",
            "only objects braze-sim refused are dead-lettered, never a retryable fault: {letter}"
        );
        let object = &letter["entry"]["payload"]["object"];
        let body = &object["body"];
        let external_id = body["external_id"]
            .as_str()
            .expect("external id")
            .to_owned();
        match object["array"].as_str() {
            Some("events") => {
                let seq = seq_of(body.as_object().unwrap());
                *dead_events.entry((external_id, seq)).or_default() += 1;
            }
            Some("attributes") => {
                if let Some(counter) = body.get("counter").and_then(Value::as_u64) {
                    dead_counters
                        .entry(external_id)
                        .or_default()
                        .insert(counter);
                }
            }
            other => panic!("unexpected dead-lettered array {other:?}: {letter}"),
        }
    }
    let sim_stats = sim.state().stats();
    assert_eq!(
        letters.len() as u64,
        sim_stats.objects_rejected,
        "every object braze-sim refused is a dead letter, and nothing else is"
    );
    assert_eq!(
        metric_sum(&braid, "braid_braze_dead_letters_total").await as usize,
        letters.len(),
        "the dead-letter metric counts exactly the dead letters kept"
    );

    let mut lost = Vec::new();
    let mut out_of_order = Vec::new();
    let mut wrong_counter = Vec::new();
    let mut phantom = Vec::new();
    let mut duplicates = 0usize;
    let mut delivered_events = 0usize;
    for user in 0..scale.users {
        let id = customer(user);
        let last = load.last[user as usize];
        let profile = sim.state().user(&id);
        let events = profile
            .as_ref()
            .map(|p| p.events.clone())
            .unwrap_or_default();
        let mut seen: HashMap<u64, usize> = HashMap::new();
        let mut highest = 0;
        for event in &events {
            let seq = seq_of(event);
            let times = seen.entry(seq).or_default();
            *times += 1;
            if *times > 1 {
                duplicates += 1;
                continue;
            }
            if seq < highest {
                out_of_order.push((id.clone(), seq, highest));
            }
            highest = highest.max(seq);
        }
        delivered_events += seen.len();
        phantom.extend(
            seen.keys()
                .filter(|&&s| s == 0 || s > last)
                .map(|&s| (id.clone(), s)),
        );
        for seq in 1..=last {
            let dead = dead_events.get(&(id.clone(), seq)).copied().unwrap_or(0);
            match (seen.contains_key(&seq), dead) {
                (false, 0) => lost.push((id.clone(), seq)),
                (true, d) => duplicates += d,
                (false, _) => {}
            }
        }
        let counter = profile
            .as_ref()
            .and_then(|p| p.attributes.get("counter"))
            .and_then(Value::as_u64);
        let last_dead = dead_counters
            .get(&id)
            .is_some_and(|dead| dead.contains(&last));
        if counter != Some(last) && !last_dead {
            wrong_counter.push((id.clone(), counter, last));
        }
    }
    let accepted: u64 = load.last.iter().sum();
    eprintln!(
        "fault harness: {accepted} batches accepted; {delivered_events} events delivered, \
         {} dead-lettered objects ({} events), {duplicates} duplicates",
        letters.len(),
        dead_events.len()
    );
    for line in &report {
        eprintln!("  {line}");
    }
    assert!(lost.is_empty(), "accepted events lost: {lost:?}");
    assert!(
        out_of_order.is_empty(),
        "events of one user out of order (user, seq, after seq): {out_of_order:?}"
    );
    assert!(
        wrong_counter.is_empty(),
        "counter not at its last value (user, braze value, last sent): {wrong_counter:?}"
    );
    assert!(
        phantom.is_empty(),
        "events braze received that were never sent (user, seq): {phantom:?}"
    );
    braid.stop().await;
    sim.shutdown().await;
}

/// Braze hangs on every call, so at shutdown delivery's request is still in flight when
/// the one grace period ends: delivery is aborted and named, every other task stops in
/// time, and the batch delivery was holding is still queued and reaches Braze from the
/// next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_aborts_delivery_stuck_past_the_one_grace_period_and_loses_nothing() {
    const WAIT: Duration = Duration::from_secs(120);
    let sim = braze_sim::start(SimConfig {
        seed: Some(11),
        ..SimConfig::default()
    })
    .expect("sim starts");
    sim.set_faults(Faults {
        timeout_rate: 1.0,
        ..Faults::default()
    });
    let url = sim.base_url();
    let point_at_sim = move |c: &mut braid_server::Config| {
        c.delivery.instance = url.parse().expect("custom url");
        c.delivery.rest_api_key = Some("sim-key".into());
        // Longer than braze-sim's hang: only the shutdown deadline ends the call.
        c.delivery.request_timeout_ms = 600_000;
        c.delivery.max_linger_ms = 5;
        c.server.shutdown_grace_secs = 1;
    };
    let mut braid = start_with(point_at_sim.clone()).await;
    assert_eq!(
        braid
            .post("/v2/events", &common::batch("stuck-1", "Held"))
            .await
            .0,
        202
    );
    wait_for("braze-sim to hold delivery's call", WAIT, || {
        sim.state().stats().timeouts >= 1
    })
    .await;

    let server = braid.server.take().expect("running");
    let report = server.shutdown().await;
    assert_eq!(report.aborted, vec!["delivery"]);
    assert_eq!(
        report.finished,
        vec![
            "http",
            "committer",
            "store health",
            "pipeline worker",
            "console history",
            "data subject requests"
        ]
    );

    sim.set_faults(Faults::default());
    // The aborted delivery's in-flight sends are dropped as the runtime gets to them;
    // the store opens again once the last of them has let go of it.
    let started = Instant::now();
    let mut attempts = 0;
    let again = loop {
        let mut config = test_config(braid.dir.path());
        point_at_sim(&mut config);
        attempts += 1;
        match braid_server::Server::start(config).await {
            Ok(server) => break server,
            Err(e) if started.elapsed() < WAIT => {
                eprintln!("restart attempt {attempts}: {e:#}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("no restart after {attempts} attempts: {e:#}"),
        }
    };
    wait_for("the held batch to reach braze-sim", WAIT, || {
        sim.state()
            .user("stuck-1")
            .is_some_and(|u| u.events.iter().any(|e| e["name"] == "Held"))
    })
    .await;
    again.shutdown().await;
    sim.shutdown().await;
}
