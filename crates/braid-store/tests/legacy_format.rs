//! A store written by releases that encoded values as bare `serde_json` (no version byte)
//! opens with this release and keeps working: the test writes such files itself, table by
//! table with redb and `serde_json`, as those releases laid them out.

use braid_core::storage::{lane_of, AppendRequest, IngestLog, Maintenance, Outbox, StateStore};
use braid_core::{LogRecord, LogRecordKind, OutboxEntry, OutboxPayload, Profile};
use braid_mparticle::{IdentityType, Mpid};
use braid_store::{EmbeddedStore, StoreOptions};
use redb::{Database, TableDefinition};
use serde_json::json;
use std::path::Path;

const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
const LOG_META: TableDefinition<&str, u64> = TableDefinition::new("log_meta");
const PROFILES: TableDefinition<i64, &[u8]> = TableDefinition::new("profiles");
const IDENTITIES: TableDefinition<&str, i64> = TableDefinition::new("identities");
const SENT_STATE: TableDefinition<i64, &[u8]> = TableDefinition::new("sent_state");
const OUTBOX: TableDefinition<(u32, u64), &[u8]> = TableDefinition::new("outbox");
const HISTORY: TableDefinition<(i64, i64, u64), &[u8]> = TableDefinition::new("history");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");

const EMAIL: &str = "legacy-person@example.com";

fn legacy_profile() -> Profile {
    let mut profile = Profile::new(Mpid(41), 1_700_000_000_000);
    profile.identities.insert(IdentityType::Email, EMAIL.into());
    profile
}

fn legacy_entry() -> OutboxEntry {
    OutboxEntry {
        mpid: 41,
        payload: OutboxPayload::Delete {
            external_id: "legacy-external".into(),
        },
        data_points: 1,
        accepted_ms: 1_700_000_000_000,
    }
}

fn json_bytes<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("json")
}

/// Write `log.redb` and `state.redb` as a JSON-encoding release left them: one applied
/// log record and one waiting, a profile with an identity, sent state, history, a meta
/// value and one queued outbox entry.
fn write_legacy_store(dir: &Path) {
    let log = Database::create(dir.join("log.redb")).expect("log");
    let txn = log.begin_write().expect("write");
    {
        let mut records = txn.open_table(LOG).expect("log table");
        for (position, body) in [(1u64, "first batch"), (2, "second batch")] {
            let record = LogRecord {
                input: "ios".into(),
                kind: LogRecordKind::Live,
                received_ms: 1_000,
                batch_json: body.into(),
            };
            records
                .insert(position, json_bytes(&record).as_slice())
                .expect("insert");
        }
        let mut meta = txn.open_table(LOG_META).expect("meta");
        meta.insert("head", 2).expect("head");
    }
    txn.commit().expect("commit");

    let state = Database::create(dir.join("state.redb")).expect("state");
    let txn = state.begin_write().expect("write");
    {
        let mut profiles = txn.open_table(PROFILES).expect("profiles");
        profiles
            .insert(41, json_bytes(&legacy_profile()).as_slice())
            .expect("profile");
        let mut identities = txn.open_table(IDENTITIES).expect("identities");
        identities
            .insert(format!("email\0{EMAIL}").as_str(), 41)
            .expect("identity");
        let mut sent = txn.open_table(SENT_STATE).expect("sent");
        sent.insert(41, json_bytes(&json!({"plan": "gold"})).as_slice())
            .expect("sent");
        let mut history = txn.open_table(HISTORY).expect("history");
        history
            .insert(
                (41, 1_700_000_000_000, 1),
                json_bytes(&json!({"name": "viewed"})).as_slice(),
            )
            .expect("history");
        let mut meta = txn.open_table(META).expect("meta");
        meta.insert(
            "note",
            json_bytes(&json!({"written_by": "json"})).as_slice(),
        )
        .expect("meta");
        let mut outbox = txn.open_table(OUTBOX).expect("outbox");
        let mut prefixed = 41i64.to_be_bytes().to_vec();
        prefixed.extend_from_slice(&json_bytes(&legacy_entry()));
        outbox
            .insert((lane_of(Mpid(41), 16), 1), prefixed.as_slice())
            .expect("outbox");
        let mut counters = txn.open_table(COUNTERS).expect("counters");
        for (name, value) in [
            ("cursor", 1),
            ("outbox_seq", 1),
            ("history_seq", 1),
            ("lanes", 16),
        ] {
            counters.insert(name, value).expect("counter");
        }
    }
    txn.commit().expect("commit");
}

fn file_contains(path: &Path, needle: &[u8]) -> bool {
    let bytes = std::fs::read(path).expect("read");
    bytes.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_store_written_with_json_values_opens_reads_and_keeps_working() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_legacy_store(dir.path());

    let store = EmbeddedStore::open(dir.path(), StoreOptions::default()).expect("open");
    assert_eq!(store.head().expect("head"), 2);
    assert_eq!(store.cursor().expect("cursor"), 1);
    let waiting = store.read_after(1, 10).expect("read log");
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].1.batch_json, "second batch");
    let (profile, owner, sent, history, note) = store
        .transact(|txn| {
            Ok((
                txn.profile(Mpid(41))?,
                txn.identity_owner(IdentityType::Email, EMAIL)?,
                txn.sent_state(Mpid(41))?,
                txn.history(Mpid(41), 0)?,
                txn.meta("note")?,
            ))
        })
        .expect("read state");
    assert_eq!(profile, Some(legacy_profile()));
    assert_eq!(owner, Some(Mpid(41)));
    assert_eq!(sent, Some(json!({"plan": "gold"})));
    assert_eq!(
        history,
        vec![(1_700_000_000_000, json!({"name": "viewed"}))]
    );
    assert_eq!(note, Some(json!({"written_by": "json"})));
    let lane = lane_of(Mpid(41), 16);
    let queued = store.peek(lane, 10).expect("peek");
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].1, legacy_entry());

    // Keep working: new writes (in the new format) sit beside the old values.
    store
        .append(vec![AppendRequest {
            record: LogRecord {
                input: "ios".into(),
                kind: LogRecordKind::Live,
                received_ms: 2_000,
                batch_json: "third batch".into(),
            },
            source_request_id: None,
        }])
        .expect("append");
    let mut updated = legacy_profile();
    updated.last_seen_ms += 5;
    store
        .transact(|txn| {
            txn.put_profile(&updated)?;
            txn.append_history(Mpid(41), 1_700_000_000_005, &json!({"name": "bought"}))?;
            txn.enqueue(lane, &[legacy_entry()])?;
            txn.set_cursor(3)
        })
        .expect("write");
    drop(store);

    let store = EmbeddedStore::open(dir.path(), StoreOptions::default()).expect("reopen");
    let log = store.read_after(0, 10).expect("read log");
    let bodies: Vec<_> = log.iter().map(|(_, r)| r.batch_json.as_str()).collect();
    assert_eq!(bodies, ["first batch", "second batch", "third batch"]);
    let (profile, history) = store
        .transact(|txn| Ok((txn.profile(Mpid(41))?, txn.history(Mpid(41), 0)?)))
        .expect("read");
    assert_eq!(profile, Some(updated));
    assert_eq!(history.len(), 2);
    assert_eq!(store.peek(lane, 10).expect("peek").len(), 2);

    // Erasure still finds and removes the old values, bytes included.
    let erased = store.remove_user_everywhere(Mpid(41)).expect("erase");
    assert!(erased.profile && erased.sent_state);
    assert_eq!(erased.outbox, 2);
    assert_eq!(erased.history, 2);
    store.prune_log_through(3).expect("prune");
    store.compact().expect("compact");
    for file in ["log.redb", "state.redb"] {
        assert!(
            !file_contains(&dir.path().join(file), EMAIL.as_bytes()),
            "{file} still holds the erased email"
        );
    }
}
