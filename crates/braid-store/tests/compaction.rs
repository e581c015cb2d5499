//! Compaction copies each file while the store keeps working, then catches up on what
//! was written meanwhile: nothing written during a compaction may be lost or come back.

use braid_core::storage::{
    lane_of, AppendOutcome, AppendRequest, IngestLog, Maintenance, Outbox, StateStore,
};
use braid_core::{LogRecord, LogRecordKind, OutboxEntry, OutboxPayload, Profile};
use braid_mparticle::{IdentityType, Mpid};
use braid_store::{EmbeddedStore, StoreOptions};
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

const FILLED: i64 = 20_000;
const ERASED_EMAIL: &str = "erased-during-load-41d2@example.com";

fn record(body: String) -> LogRecord {
    LogRecord {
        input: "ios".into(),
        kind: LogRecordKind::Live,
        received_ms: 1_000,
        batch_json: body,
    }
}

fn entry(mpid: i64, external_id: String) -> OutboxEntry {
    OutboxEntry {
        mpid,
        payload: OutboxPayload::Delete { external_id },
        data_points: 1,
        accepted_ms: 5,
    }
}

fn file_contains(path: &Path, needle: &[u8]) -> bool {
    let bytes = std::fs::read(path).expect("read");
    bytes.windows(needle.len()).any(|w| w == needle)
}

fn fill(store: &EmbeddedStore) {
    for chunk in (1..=FILLED).collect::<Vec<_>>().chunks(5_000) {
        store
            .transact(|txn| {
                for &n in chunk {
                    let mut p = Profile::new(Mpid(n), n);
                    let email = format!("filled{n}@example.com");
                    p.identities.insert(IdentityType::Email, email.clone());
                    txn.put_profile(&p)?;
                    txn.set_identity_owner(IdentityType::Email, &email, Mpid(n))?;
                    txn.append_history(Mpid(n), n, &json!({"n": n}))?;
                }
                Ok(())
            })
            .expect("fill");
    }
    let mut erased = Profile::new(Mpid(FILLED + 1), 0);
    erased
        .identities
        .insert(IdentityType::Email, ERASED_EMAIL.into());
    store
        .append(vec![AppendRequest {
            record: record(format!(r#"{{"email":"{ERASED_EMAIL}"}}"#)),
            source_request_id: Some("erased".into()),
        }])
        .expect("append");
    store
        .transact(|txn| {
            txn.put_profile(&erased)?;
            txn.set_identity_owner(IdentityType::Email, ERASED_EMAIL, erased.mpid)?;
            txn.put_sent_state(erased.mpid, &json!({"email": ERASED_EMAIL}))?;
            txn.enqueue(
                lane_of(erased.mpid, 16),
                &[entry(erased.mpid.0, ERASED_EMAIL.into())],
            )?;
            txn.set_cursor(1)
        })
        .expect("erased user");
}

/// One round of the writer: a log append with a de-dup id, and a state transaction that
/// adds a profile with identity, history, outbox entry and meta value, deletes one filled
/// profile and advances the cursor; every other round acknowledges the entry it queued.
fn write_round(store: &EmbeddedStore, i: i64) {
    let outcome = store
        .append(vec![AppendRequest {
            record: record(format!("round {i}")),
            source_request_id: Some(format!("round-{i}")),
        }])
        .expect("append");
    let AppendOutcome::Appended(position) = outcome[0] else {
        panic!("round {i} was a duplicate");
    };
    let mpid = Mpid(1_000_000 + i);
    let lane = lane_of(mpid, 16);
    store
        .transact(|txn| {
            let mut p = Profile::new(mpid, i);
            p.identities
                .insert(IdentityType::CustomerId, format!("round-{i}"));
            txn.put_profile(&p)?;
            txn.set_identity_owner(IdentityType::CustomerId, &format!("round-{i}"), mpid)?;
            txn.append_history(mpid, i, &json!({"round": i}))?;
            txn.enqueue(lane, &[entry(mpid.0, format!("round-{i}"))])?;
            txn.put_meta(&format!("round-{i}"), &json!(i))?;
            txn.delete_profile(Mpid(i))?;
            txn.remove_identity(IdentityType::Email, &format!("filled{i}@example.com"))?;
            txn.set_cursor(position)
        })
        .expect("transact");
    if i % 2 == 0 {
        let queued = store.peek(lane, 1_000).expect("peek");
        let mine: Vec<u64> = queued
            .iter()
            .filter(|(_, e)| e.mpid == mpid.0)
            .map(|(seq, _)| *seq)
            .collect();
        store.complete(lane, &mine, Vec::new()).expect("complete");
    }
}

#[test]
fn writes_made_while_compaction_copies_are_kept_and_erased_bytes_are_gone() {
    writes_are_kept_through_a_compaction(StoreOptions {
        // Every acknowledgement written at once, so they are writes the copy must catch.
        ack_flush_max: 1,
        ..StoreOptions::default()
    });
}

/// With no key count small enough to end them, the catch-up rounds without the hold run
/// to their limit while the writer goes on: each round's keys, and the keys written again
/// after their round, must still end up in the copy with their newest values.
#[test]
fn writes_are_kept_through_every_catch_up_round() {
    writes_are_kept_through_a_compaction(StoreOptions {
        ack_flush_max: 1,
        compaction_held_keys: 0,
        ..StoreOptions::default()
    });
}

fn writes_are_kept_through_a_compaction(options: StoreOptions) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path(), options.clone()).expect("open");
    fill(&store);
    store
        .remove_user_everywhere(Mpid(FILLED + 1))
        .expect("erase");
    store.prune_log_through(1).expect("prune");

    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU64::new(0));
    let writer = {
        let (store, stop, rounds) = (store.clone(), stop.clone(), rounds.clone());
        std::thread::spawn(move || {
            let mut i = 1;
            while !stop.load(Ordering::SeqCst) {
                write_round(&store, i);
                rounds.store(i as u64, Ordering::SeqCst);
                i += 1;
            }
            i - 1
        })
    };
    while rounds.load(Ordering::SeqCst) < 3 {
        std::thread::yield_now();
    }
    let before = rounds.load(Ordering::SeqCst);
    store.compact().expect("compact");
    let during = rounds.load(Ordering::SeqCst) - before;
    let at_end = rounds.load(Ordering::SeqCst);
    while rounds.load(Ordering::SeqCst) < at_end + 3 {
        std::thread::yield_now();
    }
    stop.store(true, Ordering::SeqCst);
    let written = writer.join().expect("writer");
    assert!(
        during > 0,
        "no write landed while the compaction ran; the test would prove nothing"
    );

    for file in ["log.redb", "state.redb"] {
        assert!(
            !file_contains(&dir.path().join(file), ERASED_EMAIL.as_bytes()),
            "{file} still holds the erased email"
        );
    }
    drop(store);
    let store = EmbeddedStore::open(dir.path(), options).expect("reopen");
    let head = store.head().expect("head");
    assert_eq!(head, 1 + written as u64);
    assert_eq!(store.cursor().expect("cursor"), head);
    let log = store.read_after(1, 1_000_000).expect("log");
    assert_eq!(log.len() as i64, written);
    for (n, (_, r)) in log.iter().enumerate() {
        assert_eq!(r.batch_json, format!("round {}", n + 1));
    }
    for i in 1..=written {
        let outcome = store
            .append(vec![AppendRequest {
                record: record("again".into()),
                source_request_id: Some(format!("round-{i}")),
            }])
            .expect("append");
        assert!(
            matches!(outcome[0], AppendOutcome::Duplicate(_)),
            "round {i}'s de-dup id was lost"
        );
    }
    let mut queued = 0;
    for lane in 0..16 {
        queued += store.peek(lane, 1_000_000).expect("peek").len() as i64;
    }
    // Odd rounds' entries wait; even rounds' were acknowledged (and stay deleted).
    assert_eq!(queued, (written + 1) / 2, "outbox after compaction");
    store
        .transact(|txn| {
            for i in 1..=written {
                let mpid = Mpid(1_000_000 + i);
                assert!(txn.profile(mpid)?.is_some(), "round {i}'s profile was lost");
                assert_eq!(
                    txn.identity_owner(IdentityType::CustomerId, &format!("round-{i}"))?,
                    Some(mpid)
                );
                assert_eq!(txn.history(mpid, 0)?.len(), 1, "round {i}'s history");
                assert_eq!(txn.meta(&format!("round-{i}"))?, Some(json!(i)));
                assert!(
                    txn.profile(Mpid(i))?.is_none(),
                    "deleted profile {i} came back"
                );
                assert_eq!(
                    txn.identity_owner(IdentityType::Email, &format!("filled{i}@example.com"))?,
                    None
                );
            }
            let kept = Mpid(FILLED);
            assert!(txn.profile(kept)?.is_some());
            assert_eq!(txn.history(kept, 0)?.len(), 1);
            assert!(txn.profile(Mpid(FILLED + 1))?.is_none());
            assert_eq!(txn.identity_owner(IdentityType::Email, ERASED_EMAIL)?, None);
            Ok(())
        })
        .expect("check");
}
