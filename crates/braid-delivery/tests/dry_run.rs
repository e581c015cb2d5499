//! Without a REST key, delivery writes every would-be request as a JSON line with its
//! data-point cost, and treats it as delivered.

mod support;

use braid_braze::limits::Limits;
use braid_braze::wire::{AliasRef, AliasToIdentify};
use braid_core::{OutboxEntry, OutboxPayload};
use braid_delivery::{Delivery, DeliveryConfig};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use support::*;
use tokio::sync::{watch, Notify};

async fn drain(
    outbox: &Arc<MemOutbox>,
    config: DeliveryConfig,
    dir: &std::path::Path,
) -> braid_delivery::DeliveryStatus {
    let delivery = Delivery::new(outbox.clone(), config, Limits::default(), dir).unwrap();
    let handle = delivery.handle();
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(delivery.run(Arc::new(Notify::new()), stopped));
    // A hang guard, not a timing assertion.
    tokio::time::timeout(Duration::from_secs(60), async {
        while outbox.queued() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the outbox drains");
    stop.send(true).unwrap();
    task.await.unwrap();
    handle.status()
}

#[tokio::test]
async fn dry_run_writes_each_request_with_its_cost_and_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(MemOutbox::new(2));
    outbox.push(0, (0..80).map(|i| event(&format!("u{}", i % 7), i)));
    outbox.push(
        1,
        [
            attribute("v", "plan", json!("gold")),
            OutboxEntry {
                mpid: 2,
                payload: OutboxPayload::Identify {
                    identify: AliasToIdentify {
                        external_id: "v".into(),
                        user_alias: AliasRef {
                            alias_name: "anon".into(),
                            alias_label: "device".into(),
                        },
                    },
                },
                data_points: 0,
                accepted_ms: 0,
            },
            OutboxEntry {
                mpid: 2,
                payload: OutboxPayload::Delete {
                    external_id: "v".into(),
                },
                data_points: 0,
                accepted_ms: 0,
            },
        ],
    );
    let status = drain(&outbox, DeliveryConfig::default(), dir.path()).await;

    let text = std::fs::read_to_string(dir.path().join("dry-run.jsonl")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let track: Vec<&Value> = lines
        .iter()
        .filter(|l| l["endpoint"] == "/users/track")
        .collect();
    let sizes: Vec<usize> = track
        .iter()
        .map(|l| {
            ["attributes", "events", "purchases"]
                .iter()
                .map(|k| l["body"][k].as_array().map_or(0, Vec::len))
                .sum()
        })
        .collect();
    // 81 objects; the first request is full (lane 0 alone fills it), the rest may be
    // combined across lanes depending on which lanes are free.
    assert_eq!(sizes.iter().sum::<usize>(), 81);
    assert_eq!(sizes.iter().max(), Some(&75));
    assert!(sizes.len() <= 3, "{sizes:?}");
    let points: u64 = track
        .iter()
        .map(|l| l["data_points"].as_u64().unwrap())
        .sum();
    assert_eq!(points, 81);

    // Lane 1 keeps its order: track, then identify, then delete.
    let lane1: Vec<&str> = lines
        .iter()
        .filter(|l| l["body"].to_string().contains("\"v\""))
        .map(|l| l["endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(
        lane1,
        vec!["/users/track", "/users/identify", "/users/delete"]
    );
    let identify = lines
        .iter()
        .find(|l| l["endpoint"] == "/users/identify")
        .unwrap();
    assert_eq!(
        identify["body"]["aliases_to_identify"][0]["user_alias"]["alias_name"],
        "anon"
    );
    assert_eq!(identify["data_points"], 0);

    assert!(status.dry_run);
    assert_eq!(status.delivered, 83);
    assert_eq!(status.data_points.events, 80);
    assert_eq!(status.data_points.attributes, 1);
    assert!(outbox.dead().is_empty());
    // Per-user order within lane 0.
    let seqs: Vec<u64> = outbox
        .delivered()
        .iter()
        .filter(|(lane, _)| *lane == 0)
        .filter_map(|(_, e)| seq_of(e))
        .collect();
    assert_eq!(seqs, (0..80).collect::<Vec<_>>());
}

#[tokio::test]
async fn invalid_objects_are_dead_lettered_with_the_validator_reason_even_in_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(MemOutbox::new(1));
    outbox.push(
        0,
        [
            event("a", 1),
            purchase("a", &"p".repeat(300)),
            event("a", 2),
        ],
    );
    let config = DeliveryConfig {
        dry_run_path: Some(dir.path().join("out/requests.jsonl")),
        ..DeliveryConfig::default()
    };
    let status = drain(&outbox, config, dir.path()).await;
    let dead = outbox.dead();
    assert_eq!(dead.len(), 1);
    assert!(dead[0].reason.contains("product_id"), "{}", dead[0].reason);
    assert_eq!(dead[0].status, None);
    assert_eq!(status.delivered, 2);
    assert_eq!(status.dead_lettered, 1);
    let text = std::fs::read_to_string(dir.path().join("out/requests.jsonl")).unwrap();
    assert!(
        !text.contains("ppppp"),
        "the invalid object was never written"
    );
}

#[tokio::test]
async fn bulk_mode_flushes_partial_requests_on_the_interval_in_one_request() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(MemOutbox::new(4));
    for lane in 0..4 {
        outbox.push(lane, (0..3).map(|i| event(&format!("u{lane}"), i)));
    }
    let config = DeliveryConfig {
        mode: braid_delivery::Mode::Bulk,
        bulk_interval_ms: 50,
        ..DeliveryConfig::default()
    };
    let status = drain(&outbox, config, dir.path()).await;
    let text = std::fs::read_to_string(dir.path().join("dry-run.jsonl")).unwrap();
    // All four lanes' entries were waiting at the first tick: one request.
    assert_eq!(text.lines().count(), 1);
    assert_eq!(status.delivered, 12);
}
