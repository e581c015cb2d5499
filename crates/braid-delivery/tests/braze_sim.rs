//! End-to-end delivery against the real `braze-sim` over HTTP: every answer class,
//! 429 storms, outages, poison objects, refused keys, per-user order and request
//! fullness. After each, the test checks what the simulator holds and that every entry
//! is either acknowledged or dead-lettered with a reason (nothing lost).

mod support;

use braid_braze::limits::{ContractShape, Limits};
use braid_core::{OutboxEntry, OutboxPayload};
use braid_delivery::{
    BackoffConfig, DeleteReport, Delivery, DeliveryConfig, DeliveryHandle, DeliveryStatus,
};
use braze_sim::{Faults, SimConfig, SimHandle};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use support::*;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// A hang guard for waits (never a timing assertion).
const GUARD: Duration = Duration::from_secs(120);

struct Run {
    outbox: Arc<MemOutbox>,
    handle: DeliveryHandle,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    _dir: tempfile::TempDir,
}

fn live_config(sim: &SimHandle) -> DeliveryConfig {
    DeliveryConfig {
        instance: sim.base_url().parse().unwrap(),
        rest_api_key: Some("sim-key".into()),
        request_timeout_ms: 2_000,
        auth_probe_interval_ms: 200,
        backoff: BackoffConfig {
            initial_ms: 10,
            max_ms: 200,
            jitter: 0.5,
        },
        ..DeliveryConfig::default()
    }
}

fn start(outbox: Arc<MemOutbox>, config: DeliveryConfig) -> Run {
    start_within(outbox, config, Limits::default())
}

fn start_within(outbox: Arc<MemOutbox>, config: DeliveryConfig, limits: Limits) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let delivery = Delivery::new(outbox.clone(), config, limits, dir.path()).unwrap();
    let handle = delivery.handle();
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(delivery.run(Arc::new(Notify::new()), stopped));
    Run {
        outbox,
        handle,
        stop,
        task,
        _dir: dir,
    }
}

async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    tokio::time::timeout(GUARD, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("gave up waiting for {what}"));
}

impl Run {
    async fn drained(self) -> (Arc<MemOutbox>, DeliveryStatus) {
        let outbox = self.outbox.clone();
        wait_for("the outbox to drain", || outbox.queued() == 0).await;
        self.stop.send(true).unwrap();
        self.task.await.unwrap();
        (self.outbox, self.handle.status())
    }
}

/// `users` users with `per_user` events each, spread over `lanes` lanes by user.
fn load(outbox: &MemOutbox, lanes: u32, users: usize, per_user: u64) -> usize {
    for seq in 0..per_user {
        for u in 0..users {
            outbox.push(
                (u % lanes as usize) as u32,
                [event(&format!("user-{u}"), seq)],
            );
        }
    }
    users * per_user as usize
}

/// The `seq` of every event the simulator holds for a user, in stored order.
fn sim_seqs(sim: &SimHandle, user: &str) -> Vec<u64> {
    sim.state()
        .user(user)
        .map(|p| {
            p.events
                .iter()
                .filter_map(|e| e.get("properties")?.get("seq")?.as_u64())
                .collect()
        })
        .unwrap_or_default()
}

/// Every user's events are in the simulator exactly once and in order.
fn assert_every_event_once_in_order(sim: &SimHandle, users: usize, per_user: u64) {
    for u in 0..users {
        let user = format!("user-{u}");
        assert_eq!(
            sim_seqs(sim, &user),
            (0..per_user).collect::<Vec<_>>(),
            "{user}"
        );
    }
}

async fn sim(config: SimConfig) -> SimHandle {
    braze_sim::start(config).expect("simulator starts")
}

#[tokio::test]
async fn full_load_is_delivered_in_full_requests_and_in_order() {
    let sim = sim(SimConfig::default()).await;
    let outbox = Arc::new(MemOutbox::new(16));
    let total = load(&outbox, 16, 150, 10);
    let (outbox, status) = start(outbox, live_config(&sim)).drained().await;

    let stats = sim.state().stats();
    assert_eq!(stats.objects_applied, total as u64);
    assert_eq!(stats.events, total as u64);
    assert_eq!(stats.data_points.events, total as u64);
    assert_eq!(status.data_points.events, total as u64);
    assert_eq!(status.delivered, total as u64);
    assert!(outbox.dead().is_empty());
    assert_every_event_once_in_order(&sim, 150, 10);
    // 1500 objects fit 20 requests of 75; the backlog is there from the start, so at
    // least 95% of requests' capacity is used on average.
    let average = stats.objects_received as f64 / stats.track_requests as f64;
    assert!(
        average >= 0.95 * 75.0,
        "{} requests, {average:.1} objects each",
        stats.track_requests
    );
    assert_eq!(stats.max_objects_in_request, 75);
}

#[tokio::test]
async fn partial_failures_dead_letter_only_the_failed_objects_with_braze_error_type() {
    let sim = sim(SimConfig {
        seed: Some(7),
        faults: Faults {
            partial_error_rate: 0.1,
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .await;
    let outbox = Arc::new(MemOutbox::new(4));
    let total = load(&outbox, 4, 40, 10);
    let (outbox, status) = start(outbox, live_config(&sim)).drained().await;

    let dead = outbox.dead();
    let stats = sim.state().stats();
    assert!(
        !dead.is_empty(),
        "a 10% error rate over 400 objects fails some"
    );
    assert_eq!(
        stats.objects_applied as usize + dead.len(),
        total,
        "nothing lost"
    );
    assert_eq!(status.delivered as usize, stats.objects_applied as usize);
    for letter in &dead {
        assert_eq!(letter.reason, "Simulated error");
        assert!(
            matches!(letter.status, Some(200 | 201)),
            "{:?}",
            letter.status
        );
    }
    // Each user holds exactly the events that were not dead-lettered, in order.
    for u in 0..40 {
        let user = format!("user-{u}");
        let mut expected: Vec<u64> = (0..10).collect();
        expected.retain(|seq| {
            !dead
                .iter()
                .any(|d| seq_of(&d.entry) == Some(*seq) && user_of(&d.entry) == user)
        });
        assert_eq!(sim_seqs(&sim, &user), expected, "{user}");
    }
}

fn user_of(entry: &OutboxEntry) -> String {
    match &entry.payload {
        OutboxPayload::Track { object } => object.body["external_id"].as_str().unwrap().to_string(),
        _ => String::new(),
    }
}

#[tokio::test]
async fn one_poison_object_in_a_full_batch_sinks_only_itself() {
    // The simulator is stricter than braid's configured limits, so braid's validator
    // lets the poison through and Braze's answer has to isolate it.
    let sim = sim(SimConfig {
        limits: Limits {
            max_string_chars: 100,
            ..Limits::default()
        },
        ..SimConfig::default()
    })
    .await;
    let outbox = Arc::new(MemOutbox::new(1));
    let mut entries: Vec<OutboxEntry> = (0..75)
        .map(|i| event(&format!("user-{}", i % 5), i))
        .collect();
    entries[40] = attribute("user-0", "bio", json!("x".repeat(200)));
    outbox.push(0, entries);
    let (outbox, status) = start(outbox, live_config(&sim)).drained().await;

    let dead = outbox.dead();
    assert_eq!(dead.len(), 1);
    let poison = attribute("user-0", "bio", json!("x".repeat(200)));
    assert_eq!(dead[0].entry, poison);
    assert!(
        dead[0].reason.starts_with("Invalid"),
        "braze's error type: {}",
        dead[0].reason
    );
    assert_eq!(dead[0].status, Some(201));
    assert_eq!(status.delivered, 74);
    let stats = sim.state().stats();
    assert_eq!(stats.objects_applied, 74);
    assert!(sim
        .state()
        .user("user-0")
        .unwrap()
        .attributes
        .get("bio")
        .is_none());
}

#[tokio::test]
async fn a_request_braze_rejects_whole_is_bisected_until_it_fits() {
    // braid is configured for the legacy per-array contract; this workspace only takes
    // 75 in total, so a 150-object request is refused whole (400) and must be split.
    let sim = sim(SimConfig::default()).await;
    let outbox = Arc::new(MemOutbox::new(1));
    let mut entries = Vec::new();
    for i in 0..75u64 {
        entries.push(event(&format!("user-{}", i % 25), i));
        entries.push(attribute(&format!("user-{}", i % 25), "level", json!(i)));
    }
    outbox.push(0, entries);
    let limits = Limits::with_contract(ContractShape::PerArray75);
    let (outbox, status) = start_within(outbox, live_config(&sim), limits)
        .drained()
        .await;
    assert!(
        outbox.dead().is_empty(),
        "{:?}",
        outbox.dead().first().map(|d| &d.reason)
    );
    assert_eq!(status.delivered, 150);
    let stats = sim.state().stats();
    assert_eq!(stats.objects_applied, 150);
    assert!(stats.responses_by_status.get("400").copied().unwrap_or(0) >= 1);
    assert_eq!(
        sim.state().user("user-0").unwrap().attributes["level"],
        json!(50)
    );
}

#[tokio::test]
async fn a_body_over_braze_size_limit_is_split_not_dropped() {
    let sim = sim(SimConfig {
        limits: Limits {
            max_body_bytes: 4_000,
            ..Limits::default()
        },
        ..SimConfig::default()
    })
    .await;
    let outbox = Arc::new(MemOutbox::new(1));
    let total = load(&outbox, 1, 10, 6);
    let (outbox, status) = start(outbox, live_config(&sim)).drained().await;
    assert!(outbox.dead().is_empty());
    assert_eq!(status.delivered as usize, total);
    let stats = sim.state().stats();
    assert!(stats.responses_by_status.get("413").copied().unwrap_or(0) >= 1);
    assert_every_event_once_in_order(&sim, 10, 6);
}

#[tokio::test]
async fn a_long_429_storm_loses_nothing_and_everyone_waits_for_the_reset() {
    // Braze allows far less than braid is configured for: braid learns it from 429s.
    let sim = sim(SimConfig {
        rate_limit: 3,
        rate_window: Duration::from_secs(1),
        ..SimConfig::default()
    })
    .await;
    let outbox = Arc::new(MemOutbox::new(8));
    let limits = Limits::with_contract(ContractShape::Total50);
    let total = load(&outbox, 8, 80, 5); // 400 objects, at least 8 requests
    let (outbox, status) = start_within(outbox, live_config(&sim), limits)
        .drained()
        .await;
    let stats = sim.state().stats();
    assert!(stats.rate_limited > 0, "the storm happened");
    assert_eq!(status.rate_limited, stats.rate_limited);
    assert_eq!(stats.objects_applied as usize, total);
    assert!(outbox.dead().is_empty());
    assert_every_event_once_in_order(&sim, 80, 5);
}

#[tokio::test]
async fn pacing_keeps_under_the_configured_limit_so_braze_never_says_429() {
    let sim = sim(SimConfig {
        rate_limit: 5,
        rate_window: Duration::from_secs(1),
        ..SimConfig::default()
    })
    .await;
    let outbox = Arc::new(MemOutbox::new(8));
    let config = DeliveryConfig {
        rate_limit: 5,
        rate_window_ms: 1000,
        ..live_config(&sim)
    };
    let limits = Limits::with_contract(ContractShape::Total50);
    let total = load(&outbox, 8, 100, 6); // 600 objects: 12 requests at 5 per second
    let (_, status) = start_within(outbox, config, limits).drained().await;
    let stats = sim.state().stats();
    assert_eq!(stats.rate_limited, 0);
    assert_eq!(status.rate_limited, 0);
    assert_eq!(stats.objects_applied as usize, total);
}

#[tokio::test]
async fn a_5xx_outage_is_retried_until_the_backlog_drains() {
    let sim = sim(SimConfig {
        faults: Faults {
            status_5xx_rate: 1.0,
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .await;
    let outbox = Arc::new(MemOutbox::new(4));
    let total = load(&outbox, 4, 60, 8);
    let run = start(outbox.clone(), live_config(&sim));
    let state = sim.state();
    wait_for("several failed attempts", || {
        let s = state.stats();
        s.responses_by_status.get("500").copied().unwrap_or(0)
            + s.responses_by_status.get("503").copied().unwrap_or(0)
            >= 20
    })
    .await;
    assert_eq!(
        outbox.queued(),
        total,
        "nothing leaves the outbox during the outage"
    );
    assert!(run.handle.status().retries > 0);
    sim.set_faults(Faults::default());
    let (outbox, _) = run.drained().await;
    assert!(outbox.dead().is_empty());
    assert_eq!(sim.state().stats().objects_applied as usize, total);
    assert_every_event_once_in_order(&sim, 60, 8);
}

#[tokio::test]
async fn dropped_connections_and_timeouts_are_retried() {
    let sim = sim(SimConfig {
        seed: Some(3),
        faults: Faults {
            drop_connection_rate: 0.3,
            timeout_rate: 0.1,
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .await;
    let outbox = Arc::new(MemOutbox::new(4));
    let total = load(&outbox, 4, 40, 5);
    let config = DeliveryConfig {
        request_timeout_ms: 300,
        ..live_config(&sim)
    };
    let (outbox, status) = start(outbox, config).drained().await;
    assert!(outbox.dead().is_empty());
    assert!(status.retries > 0);
    let stats = sim.state().stats();
    assert!(stats.dropped_connections + stats.timeouts > 0);
    assert_eq!(stats.objects_applied as usize, total);
    assert_every_event_once_in_order(&sim, 40, 5);
}

#[tokio::test]
async fn a_refused_key_pauses_everything_until_the_key_is_fixed() {
    let sim = sim(SimConfig::default()).await;
    let outbox = Arc::new(MemOutbox::new(4));
    let total = load(&outbox, 4, 20, 5);
    let config = DeliveryConfig {
        rest_api_key: Some("wrong-key".into()),
        auth_probe_interval_ms: 60_000,
        ..live_config(&sim)
    };
    let run = start(outbox.clone(), config);
    let handle = run.handle.clone();
    wait_for("the auth failure to be flagged", || {
        handle.status().auth_failed
    })
    .await;
    let status = handle.status();
    assert!(status.last_error.unwrap().contains("401"));
    assert_eq!(outbox.queued(), total, "everything stays queued");
    assert!(outbox.dead().is_empty());
    assert_eq!(sim.state().stats().objects_applied, 0);

    handle.update_api_key(Some("sim-key".into()));
    let (outbox, status) = run.drained().await;
    assert!(!status.auth_failed);
    assert!(outbox.dead().is_empty());
    assert_every_event_once_in_order(&sim, 20, 5);
}

#[tokio::test]
async fn a_revoked_key_is_probed_and_sending_resumes_when_braze_accepts_it() {
    let sim = sim(SimConfig {
        faults: Faults {
            unauthorized: true,
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .await;
    let outbox = Arc::new(MemOutbox::new(4));
    let total = load(&outbox, 4, 20, 5);
    let run = start(outbox.clone(), live_config(&sim));
    let handle = run.handle.clone();
    wait_for("the auth failure to be flagged", || {
        handle.status().auth_failed
    })
    .await;
    let state = sim.state();
    // Probes are single small requests: with every lane stopped, 401s grow slowly.
    wait_for("a probe", || {
        state
            .stats()
            .responses_by_status
            .get("401")
            .copied()
            .unwrap_or(0)
            >= 3
    })
    .await;
    assert_eq!(outbox.queued(), total);
    let refused = state.requests(1000);
    let full_requests = refused
        .iter()
        .filter(|r| r.status == Some(401) && object_count(&r.body) > 1)
        .count();
    // Only the requests already in flight when the key was first refused carry more
    // than one object; after that, one-object probes.
    assert!(
        full_requests <= 4,
        "{full_requests} multi-object requests after the refusal"
    );
    assert!(
        refused
            .iter()
            .filter(|r| r.status == Some(401) && object_count(&r.body) == 1)
            .count()
            >= 2
    );
    sim.set_faults(Faults::default());
    let (outbox, status) = run.drained().await;
    assert!(!status.auth_failed);
    assert!(outbox.dead().is_empty());
    assert_every_event_once_in_order(&sim, 20, 5);
}

fn object_count(body: &Value) -> usize {
    ["attributes", "events", "purchases"]
        .iter()
        .map(|k| body.get(*k).and_then(Value::as_array).map_or(0, Vec::len))
        .sum()
}

#[tokio::test]
async fn per_user_order_holds_under_concurrency_and_latency() {
    let sim = sim(SimConfig {
        seed: Some(11),
        faults: Faults {
            latency_ms: 5,
            status_5xx_rate: 0.2,
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .await;
    let outbox = Arc::new(MemOutbox::new(8));
    load(&outbox, 8, 120, 12);
    let (outbox, _) = start(outbox, live_config(&sim)).drained().await;
    assert!(outbox.dead().is_empty());
    assert_every_event_once_in_order(&sim, 120, 12);
}

#[tokio::test]
async fn identifies_and_deletes_reach_braze_after_the_objects_before_them() {
    let sim = sim(SimConfig::default()).await;
    let outbox = Arc::new(MemOutbox::new(2));
    outbox.push(
        0,
        [
            event("keep", 0),
            OutboxEntry {
                mpid: 1,
                payload: OutboxPayload::Identify {
                    identify: braid_braze::wire::AliasToIdentify {
                        external_id: "keep".into(),
                        user_alias: braid_braze::wire::AliasRef {
                            alias_name: "anon-1".into(),
                            alias_label: "device".into(),
                        },
                    },
                },
                data_points: 0,
                accepted_ms: 0,
            },
            event("gone", 0),
            OutboxEntry {
                mpid: 1,
                payload: OutboxPayload::Delete {
                    external_id: "gone".into(),
                },
                data_points: 0,
                accepted_ms: 0,
            },
        ],
    );
    let (outbox, status) = start(outbox, live_config(&sim)).drained().await;
    assert!(outbox.dead().is_empty());
    assert_eq!(status.delivered, 4);
    let stats = sim.state().stats();
    assert_eq!(stats.deletes, vec!["gone".to_string()]);
    assert_eq!(stats.identifies, 1);
    assert!(
        sim.state().user("gone").is_none(),
        "the delete came after the event"
    );
    assert_eq!(sim_seqs(&sim, "keep"), vec![0]);
}

#[tokio::test]
async fn shutdown_during_an_outage_stops_promptly_and_keeps_everything_queued() {
    let sim = sim(SimConfig {
        faults: Faults {
            status_5xx_rate: 1.0,
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .await;
    let outbox = Arc::new(MemOutbox::new(4));
    let total = load(&outbox, 4, 20, 5);
    let config = DeliveryConfig {
        backoff: BackoffConfig {
            initial_ms: 60_000,
            max_ms: 60_000,
            jitter: 0.0,
        },
        ..live_config(&sim)
    };
    let run = start(outbox.clone(), config);
    let handle = run.handle.clone();
    wait_for("a failed attempt", || handle.status().retries > 0).await;
    run.stop.send(true).unwrap();
    // Workers sleeping a minute of backoff wake up for the shutdown.
    tokio::time::timeout(GUARD, run.task)
        .await
        .expect("delivery stops")
        .unwrap();
    assert_eq!(outbox.queued(), total);
    assert!(outbox.dead().is_empty());
}

#[tokio::test]
async fn a_wrong_url_keeps_everything_queued_and_says_so() {
    let sim = sim(SimConfig::default()).await;
    let outbox = Arc::new(MemOutbox::new(2));
    let total = load(&outbox, 2, 5, 2);
    let config = DeliveryConfig {
        instance: format!("{}/not-braze", sim.base_url()).parse().unwrap(),
        ..live_config(&sim)
    };
    let run = start(outbox.clone(), config);
    let handle = run.handle.clone();
    wait_for("the 404 to be reported", || {
        handle
            .status()
            .last_error
            .is_some_and(|e| e.contains("404"))
    })
    .await;
    run.stop.send(true).unwrap();
    run.task.await.unwrap();
    assert_eq!(outbox.queued(), total);
    assert!(outbox.dead().is_empty());
    assert_eq!(sim.state().stats().objects_applied, 0);
}

fn delete(external_id: &str) -> OutboxEntry {
    OutboxEntry {
        mpid: 1,
        payload: OutboxPayload::Delete {
            external_id: external_id.into(),
        },
        data_points: 0,
        accepted_ms: 0,
    }
}

/// Every report until `ids` are all settled (acknowledged or refused), in arrival order.
async fn reports_until_settled(
    reports: &mut tokio::sync::mpsc::UnboundedReceiver<DeleteReport>,
    ids: &[String],
) -> Vec<DeleteReport> {
    let mut seen = Vec::new();
    let mut settled = std::collections::HashSet::new();
    tokio::time::timeout(GUARD, async {
        while settled.len() < ids.len() {
            let report = reports.recv().await.expect("delivery keeps reporting");
            if let DeleteReport::Acknowledged { external_ids }
            | DeleteReport::Refused { external_ids, .. } = &report
            {
                settled.extend(external_ids.iter().cloned());
            }
            seen.push(report);
        }
    })
    .await
    .expect("every delete settles");
    seen
}

#[tokio::test]
async fn deletes_go_at_most_fifty_ids_per_request_and_each_request_is_reported() {
    let sim = sim(SimConfig::default()).await;
    let outbox = Arc::new(MemOutbox::new(4));
    let ids: Vec<String> = (0..130).map(|i| format!("gone-{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        outbox.push((i % 4) as u32, [delete(id)]);
    }
    let delivery = Delivery::new(
        outbox.clone(),
        live_config(&sim),
        braid_braze::limits::Limits::default(),
        &std::env::temp_dir(),
    );
    let delivery = delivery.unwrap();
    let mut reports = delivery.handle().delete_reports();
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(delivery.run(Arc::new(Notify::new()), stopped));

    let seen = reports_until_settled(&mut reports, &ids).await;
    let mut acknowledged = Vec::new();
    for report in &seen {
        match report {
            DeleteReport::Acknowledged { external_ids } => {
                assert!(external_ids.len() <= 50, "{} ids", external_ids.len());
                acknowledged.extend(external_ids.iter().cloned());
            }
            other => panic!("braze-sim accepts every delete of at most 50 ids: {other:?}"),
        }
    }
    // 130 ids need at least three requests of 50.
    assert!(seen.len() >= 3, "{} requests", seen.len());
    let mut deleted = sim.state().stats().deletes;
    deleted.sort();
    acknowledged.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(deleted, expected, "braze-sim received each id once");
    assert_eq!(acknowledged, expected, "each id reported once");
    assert_eq!(outbox.queued(), 0);
    assert!(outbox.dead().is_empty());
    stop.send(true).unwrap();
    task.await.unwrap();
}

#[tokio::test]
async fn deletes_wait_out_a_5xx_outage_reporting_why_then_go() {
    let sim = sim(SimConfig {
        faults: Faults {
            status_5xx_rate: 1.0,
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .await;
    let outbox = Arc::new(MemOutbox::new(2));
    let ids: Vec<String> = (0..10).map(|i| format!("later-{i}")).collect();
    outbox.push(0, ids.iter().map(|id| delete(id)));
    let delivery = Delivery::new(
        outbox.clone(),
        live_config(&sim),
        braid_braze::limits::Limits::default(),
        &std::env::temp_dir(),
    );
    let delivery = delivery.unwrap();
    let mut reports = delivery.handle().delete_reports();
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(delivery.run(Arc::new(Notify::new()), stopped));

    let mut retries = 0;
    tokio::time::timeout(GUARD, async {
        while retries < 3 {
            match reports.recv().await.expect("delivery keeps reporting") {
                DeleteReport::Retrying {
                    external_ids,
                    problem,
                } => {
                    assert_eq!(external_ids, ids);
                    assert!(problem.contains("braze answered 50"), "{problem}");
                    retries += 1;
                }
                other => panic!("nothing settles during the outage: {other:?}"),
            }
        }
    })
    .await
    .expect("retries are reported");
    assert_eq!(outbox.queued(), 10, "the deletes stay queued");
    assert!(sim.state().stats().deletes.is_empty());

    sim.set_faults(Faults::default());
    let seen = reports_until_settled(&mut reports, &ids).await;
    assert!(
        matches!(seen.last(), Some(DeleteReport::Acknowledged { external_ids }) if *external_ids == ids),
        "{seen:?}"
    );
    assert_eq!(sim.state().stats().deletes, ids);
    assert_eq!(outbox.queued(), 0);
    stop.send(true).unwrap();
    task.await.unwrap();
}
