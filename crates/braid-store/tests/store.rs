//! Behaviour of the embedded store through braid-core's storage traits.

use braid_core::storage::{
    lane_of, AppendOutcome, AppendRequest, IngestLog, Maintenance, Outbox, StateStore, StorageError,
};
use braid_core::{DeadLetter, LogRecord, LogRecordKind, OutboxEntry, OutboxPayload, Profile};
use braid_mparticle::{IdentityType, Mpid};
use braid_store::{EmbeddedStore, StoreOptions};
use serde_json::json;
use std::path::Path;

fn open(dir: &Path) -> EmbeddedStore {
    EmbeddedStore::open(dir, StoreOptions::default()).expect("open store")
}

fn req(input: &str, id: Option<&str>, body: &str) -> AppendRequest {
    req_at(input, id, body, 1_000)
}

fn req_at(input: &str, id: Option<&str>, body: &str, received_ms: i64) -> AppendRequest {
    AppendRequest {
        record: LogRecord {
            input: input.into(),
            kind: LogRecordKind::Live,
            received_ms,
            batch_json: body.into(),
        },
        source_request_id: id.map(str::to_string),
    }
}

fn entry(mpid: i64, external_id: &str) -> OutboxEntry {
    OutboxEntry {
        mpid,
        payload: OutboxPayload::Delete {
            external_id: external_id.into(),
        },
        data_points: 1,
        accepted_ms: 5,
    }
}

fn letter(entry: OutboxEntry) -> DeadLetter {
    DeadLetter {
        entry,
        reason: "Invalid product_id".into(),
        status: Some(201),
        failed_ms: 9,
    }
}

fn external_ids(entries: &[(u64, OutboxEntry)]) -> Vec<String> {
    entries
        .iter()
        .map(|(_, e)| match &e.payload {
            OutboxPayload::Delete { external_id } => external_id.clone(),
            other => panic!("unexpected payload {other:?}"),
        })
        .collect()
}

#[test]
fn appended_records_read_back_in_order_from_position_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    assert_eq!(store.head().unwrap(), 0);
    let out = store
        .append(vec![req("ios", None, "a"), req("ios", None, "b")])
        .unwrap();
    assert_eq!(
        out,
        vec![AppendOutcome::Appended(1), AppendOutcome::Appended(2)]
    );
    let out = store.append(vec![req("web", None, "c")]).unwrap();
    assert_eq!(out, vec![AppendOutcome::Appended(3)]);
    assert_eq!(store.head().unwrap(), 3);

    let all = store.read_after(0, 100).unwrap();
    let bodies: Vec<_> = all
        .iter()
        .map(|(p, r)| (*p, r.batch_json.as_str()))
        .collect();
    assert_eq!(bodies, vec![(1, "a"), (2, "b"), (3, "c")]);
    assert_eq!(all[2].1.input, "web");

    let page = store.read_after(1, 1).unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].0, 2);
    assert!(store.read_after(3, 10).unwrap().is_empty());
    assert!(store.append(Vec::new()).unwrap().is_empty());
}

#[test]
fn repeated_source_request_id_in_one_group_is_a_duplicate_of_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let out = store
        .append(vec![
            req("ios", Some("r1"), "first"),
            req("ios", Some("r1"), "retry"),
            req("ios", None, "no id"),
            req("ios", None, "no id again"),
        ])
        .unwrap();
    assert_eq!(
        out,
        vec![
            AppendOutcome::Appended(1),
            AppendOutcome::Duplicate(1),
            AppendOutcome::Appended(2),
            AppendOutcome::Appended(3),
        ]
    );
    assert_eq!(store.read_after(0, 10).unwrap().len(), 3);
}

#[test]
fn repeated_source_request_id_is_a_duplicate_across_groups_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        store.append(vec![req("ios", Some("r1"), "x")]).unwrap();
        let again = store.append(vec![req("ios", Some("r1"), "x")]).unwrap();
        assert_eq!(again, vec![AppendOutcome::Duplicate(1)]);
    }
    let store = open(dir.path());
    let out = store
        .append(vec![
            req("ios", Some("r1"), "x"),
            // The same id from another input is a different request.
            req("android", Some("r1"), "y"),
        ])
        .unwrap();
    assert_eq!(
        out,
        vec![AppendOutcome::Duplicate(1), AppendOutcome::Appended(2)]
    );
    assert_eq!(store.head().unwrap(), 2);
}

#[test]
fn source_request_ids_are_forgotten_after_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        dedup_window_ms: 1_000,
        ..StoreOptions::default()
    };
    let store = EmbeddedStore::open(dir.path(), options).unwrap();
    store
        .append(vec![req_at("ios", Some("old"), "a", 0)])
        .unwrap();
    // Still inside the window: remembered.
    let out = store
        .append(vec![req_at("ios", Some("old"), "a", 999)])
        .unwrap();
    assert_eq!(out, vec![AppendOutcome::Duplicate(1)]);
    // A later append moves the horizon past it; the id is forgotten and accepted anew.
    store
        .append(vec![req_at("ios", Some("new"), "b", 5_000)])
        .unwrap();
    assert_eq!(store.dedup_entries().unwrap(), 1);
    let out = store
        .append(vec![req_at("ios", Some("old"), "a", 5_001)])
        .unwrap();
    assert_eq!(out, vec![AppendOutcome::Appended(3)]);
}

#[test]
fn at_most_the_configured_number_of_source_request_ids_are_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        dedup_max_entries: 3,
        ..StoreOptions::default()
    };
    let store = EmbeddedStore::open(dir.path(), options).unwrap();
    for i in 0..10 {
        let id = format!("r{i}");
        store.append(vec![req("ios", Some(&id), "x")]).unwrap();
        assert!(store.dedup_entries().unwrap() <= 3);
    }
    // The newest are remembered, the oldest forgotten.
    assert_eq!(
        store.append(vec![req("ios", Some("r9"), "x")]).unwrap(),
        vec![AppendOutcome::Duplicate(10)]
    );
    assert_eq!(
        store.append(vec![req("ios", Some("r0"), "x")]).unwrap(),
        vec![AppendOutcome::Appended(11)]
    );
}

#[test]
fn pruning_stops_at_the_pipeline_cursor_and_keeps_head() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let reqs = (0..10)
        .map(|i| req("ios", Some(&format!("r{i}")), "x"))
        .collect();
    store.append(reqs).unwrap();
    store.transact(|txn| txn.set_cursor(4)).unwrap();

    // Asking for more than the cursor prunes only through the cursor.
    assert_eq!(store.prune_log_through(8).unwrap(), 4);
    assert_eq!(store.pruned_through().unwrap(), 4);
    let rest: Vec<u64> = store
        .read_after(0, 100)
        .unwrap()
        .iter()
        .map(|(p, _)| *p)
        .collect();
    assert_eq!(rest, (5..=10).collect::<Vec<_>>());
    assert_eq!(store.log_len().unwrap(), 6);

    store.transact(|txn| txn.set_cursor(10)).unwrap();
    assert_eq!(store.prune_log_through(10).unwrap(), 6);
    assert_eq!(store.head().unwrap(), 10);
    // Positions keep increasing after the log is emptied, and a pruned request is still
    // recognised as a duplicate.
    let out = store
        .append(vec![req("ios", None, "y"), req("ios", Some("r3"), "x")])
        .unwrap();
    assert_eq!(
        out,
        vec![AppendOutcome::Appended(11), AppendOutcome::Duplicate(4)]
    );
}

#[test]
fn transaction_commits_on_ok_and_rolls_back_on_err() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut profile = Profile::new(Mpid(42), 100);
    profile
        .identities
        .insert(IdentityType::Email, "a@example.com".into());
    store
        .transact(|txn| {
            txn.put_profile(&profile)?;
            txn.set_identity_owner(IdentityType::Email, "a@example.com", Mpid(42))?;
            txn.put_sent_state(Mpid(42), &json!({"plan": "gold"}))?;
            txn.put_meta("audiences", &json!([1, 2]))?;
            txn.set_cursor(7)
        })
        .unwrap();

    let failed: Result<(), StorageError> = store.transact(|txn| {
        txn.delete_profile(Mpid(42))?;
        txn.remove_identity(IdentityType::Email, "a@example.com")?;
        txn.set_cursor(8)?;
        txn.enqueue(0, &[entry(42, "x")])?;
        Err(StorageError::Backend("mapping failed".into()))
    });
    assert!(failed.is_err());

    let (p, owner, sent, meta, cursor) = store
        .transact(|txn| {
            Ok((
                txn.profile(Mpid(42))?,
                txn.identity_owner(IdentityType::Email, "a@example.com")?,
                txn.sent_state(Mpid(42))?,
                txn.meta("audiences")?,
                txn.cursor()?,
            ))
        })
        .unwrap();
    assert_eq!(p, Some(profile));
    assert_eq!(owner, Some(Mpid(42)));
    assert_eq!(sent, Some(json!({"plan": "gold"})));
    assert_eq!(meta, Some(json!([1, 2])));
    assert_eq!(cursor, 7);
    assert_eq!(store.cursor().unwrap(), 7);
    assert_eq!(store.depth().unwrap(), 0);
}

#[test]
fn deletes_inside_a_transaction_remove_profile_identity_and_sent_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .transact(|txn| {
            txn.put_profile(&Profile::new(Mpid(1), 0))?;
            txn.set_identity_owner(IdentityType::CustomerId, "c1", Mpid(1))?;
            txn.put_sent_state(Mpid(1), &json!({}))
        })
        .unwrap();
    let after = store
        .transact(|txn| {
            txn.delete_profile(Mpid(1))?;
            txn.remove_identity(IdentityType::CustomerId, "c1")?;
            txn.delete_sent_state(Mpid(1))?;
            Ok((
                txn.profile(Mpid(1))?,
                txn.identity_owner(IdentityType::CustomerId, "c1")?,
                txn.sent_state(Mpid(1))?,
            ))
        })
        .unwrap();
    assert_eq!(after, (None, None, None));
}

#[test]
fn identities_of_different_types_with_the_same_value_are_distinct() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let owners = store
        .transact(|txn| {
            txn.set_identity_owner(IdentityType::CustomerId, "123", Mpid(1))?;
            txn.set_identity_owner(IdentityType::Other, "123", Mpid(2))?;
            Ok((
                txn.identity_owner(IdentityType::CustomerId, "123")?,
                txn.identity_owner(IdentityType::Other, "123")?,
                txn.identity_owner(IdentityType::Email, "123")?,
            ))
        })
        .unwrap();
    assert_eq!(owners, (Some(Mpid(1)), Some(Mpid(2)), None));
}

#[test]
fn history_is_per_user_oldest_first_from_since() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let got = store
        .transact(|txn| {
            txn.append_history(Mpid(1), 300, &json!("c"))?;
            txn.append_history(Mpid(1), 100, &json!("a"))?;
            txn.append_history(Mpid(1), 200, &json!("b1"))?;
            txn.append_history(Mpid(1), 200, &json!("b2"))?;
            txn.append_history(Mpid(2), 150, &json!("other user"))?;
            txn.append_history(Mpid(-5), 150, &json!("negative mpid"))?;
            txn.history(Mpid(1), 150)
        })
        .unwrap();
    assert_eq!(
        got,
        vec![(200, json!("b1")), (200, json!("b2")), (300, json!("c"))]
    );
    let neg = store
        .transact(|txn| txn.history(Mpid(-5), i64::MIN))
        .unwrap();
    assert_eq!(neg, vec![(150, json!("negative mpid"))]);
}

#[test]
fn outbox_lanes_keep_their_own_order_and_depth_counts_all() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    assert_eq!(store.lane_count(), 16);
    store
        .transact(|txn| {
            txn.enqueue(3, &[entry(1, "a1"), entry(1, "a2")])?;
            txn.enqueue(5, &[entry(2, "b1")])?;
            txn.enqueue(3, &[entry(1, "a3")])
        })
        .unwrap();
    assert_eq!(store.depth().unwrap(), 4);
    let lane3 = store.peek(3, 10).unwrap();
    assert_eq!(external_ids(&lane3), vec!["a1", "a2", "a3"]);
    assert!(lane3.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(external_ids(&store.peek(5, 10).unwrap()), vec!["b1"]);
    assert!(store.peek(4, 10).unwrap().is_empty());
    assert_eq!(external_ids(&store.peek(3, 2).unwrap()), vec!["a1", "a2"]);
    assert_eq!(lane3[0].1, entry(1, "a1"));
}

#[test]
fn complete_removes_delivered_and_dead_letters_refused_entries() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .transact(|txn| txn.enqueue(0, &[entry(1, "ok"), entry(1, "bad"), entry(1, "later")]))
        .unwrap();
    let lane = store.peek(0, 10).unwrap();
    let (ok, bad) = (lane[0].0, lane[1].0);
    store
        .complete(0, &[ok], vec![(bad, letter(lane[1].1.clone()))])
        .unwrap();
    assert_eq!(external_ids(&store.peek(0, 10).unwrap()), vec!["later"]);
    assert_eq!(store.depth().unwrap(), 1);

    let dead = store.dead_letters(0, 10).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].1, letter(entry(1, "bad")));
    assert_eq!(store.dead_letter_count().unwrap(), 1);

    // Acknowledging the same entries again changes nothing.
    store
        .complete(0, &[ok], vec![(bad, letter(lane[1].1.clone()))])
        .unwrap();
    assert_eq!(store.depth().unwrap(), 1);
    assert_eq!(store.dead_letters(0, 10).unwrap().len(), 1);
}

#[test]
fn replayed_dead_letters_go_to_the_end_of_their_users_lane() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let lanes = store.lane_count();
    let lane = lane_of(Mpid(77), lanes);
    store
        .transact(|txn| txn.enqueue(lane, &[entry(77, "first"), entry(77, "second")]))
        .unwrap();
    let waiting = store.peek(lane, 10).unwrap();
    store
        .complete(
            lane,
            &[],
            vec![(waiting[0].0, letter(waiting[0].1.clone()))],
        )
        .unwrap();
    let dead = store.dead_letters(0, 10).unwrap();
    let id = dead[0].0;
    assert_eq!(store.dead_letters(id, 10).unwrap().len(), 0);

    assert_eq!(store.replay_dead_letters(&[id, 9_999]).unwrap(), 1);
    assert_eq!(
        external_ids(&store.peek(lane, 10).unwrap()),
        vec!["second", "first"]
    );
    assert_eq!(store.depth().unwrap(), 2);
    assert!(store.dead_letters(0, 10).unwrap().is_empty());
    // A replayed id is gone from the dead letters; replaying it again moves nothing.
    assert_eq!(store.replay_dead_letters(&[id]).unwrap(), 0);
}

#[test]
fn everything_survives_dropping_and_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (lane, acked) = {
        let store = open(dir.path());
        store.append(vec![req("ios", Some("r1"), "batch")]).unwrap();
        store
            .transact(|txn| {
                txn.put_profile(&Profile::new(Mpid(9), 1))?;
                txn.set_identity_owner(IdentityType::Email, "n@example.com", Mpid(9))?;
                txn.append_history(Mpid(9), 10, &json!({"e": 1}))?;
                txn.enqueue(2, &[entry(9, "a"), entry(9, "b"), entry(9, "c")])?;
                txn.set_cursor(1)
            })
            .unwrap();
        let waiting = store.peek(2, 10).unwrap();
        // A cheap (non-durable) acknowledgement is made durable by the clean drop.
        store
            .complete(
                2,
                &[waiting[0].0],
                vec![(waiting[1].0, letter(waiting[1].1.clone()))],
            )
            .unwrap();
        (2, waiting[0].0)
    };
    let store = open(dir.path());
    assert_eq!(store.head().unwrap(), 1);
    assert_eq!(store.read_after(0, 10).unwrap()[0].1.batch_json, "batch");
    assert_eq!(store.cursor().unwrap(), 1);
    let (profile, owner, history) = store
        .transact(|txn| {
            Ok((
                txn.profile(Mpid(9))?,
                txn.identity_owner(IdentityType::Email, "n@example.com")?,
                txn.history(Mpid(9), 0)?,
            ))
        })
        .unwrap();
    assert_eq!(profile, Some(Profile::new(Mpid(9), 1)));
    assert_eq!(owner, Some(Mpid(9)));
    assert_eq!(history, vec![(10, json!({"e": 1}))]);
    let waiting = store.peek(lane, 10).unwrap();
    assert_eq!(external_ids(&waiting), vec!["c"]);
    assert!(waiting[0].0 > acked);
    assert_eq!(store.depth().unwrap(), 1);
    assert_eq!(store.dead_letters(0, 10).unwrap().len(), 1);
    // Sequences continue after a reopen rather than restarting.
    store
        .transact(|txn| txn.enqueue(lane, &[entry(9, "d")]))
        .unwrap();
    let waiting = store.peek(lane, 10).unwrap();
    assert_eq!(external_ids(&waiting), vec!["c", "d"]);
}

#[test]
fn changing_the_lane_count_moves_waiting_entries_to_their_new_lanes_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let users: Vec<i64> = (1..=20).collect();
    {
        let store = open(dir.path());
        store
            .transact(|txn| {
                for round in 0..3 {
                    for &u in &users {
                        let lane = lane_of(Mpid(u), 16);
                        txn.enqueue(lane, &[entry(u, &format!("{u}-{round}"))])?;
                    }
                }
                Ok(())
            })
            .unwrap();
    }
    let options = StoreOptions {
        lanes: 5,
        ..StoreOptions::default()
    };
    let store = EmbeddedStore::open(dir.path(), options).unwrap();
    assert_eq!(store.lane_count(), 5);
    assert_eq!(store.depth().unwrap(), 60);
    let mut seen = 0;
    for lane in 0..5 {
        for &u in &users {
            let mine: Vec<String> = external_ids(&store.peek(lane, 1000).unwrap())
                .into_iter()
                .filter(|id| id.starts_with(&format!("{u}-")))
                .collect();
            if lane_of(Mpid(u), 5) == lane {
                assert_eq!(
                    mine,
                    vec![format!("{u}-0"), format!("{u}-1"), format!("{u}-2")]
                );
                seen += 3;
            } else {
                assert!(mine.is_empty());
            }
        }
    }
    assert_eq!(seen, 60);
}

#[test]
fn removing_a_user_deletes_their_state_outbox_and_dead_letters_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .transact(|txn| {
            for mpid in [1, 2] {
                let mut p = Profile::new(Mpid(mpid), 0);
                let email = format!("u{mpid}@example.com");
                p.identities.insert(IdentityType::Email, email.clone());
                txn.put_profile(&p)?;
                txn.set_identity_owner(IdentityType::Email, &email, Mpid(mpid))?;
                txn.set_identity_owner(IdentityType::CustomerId, &format!("c{mpid}"), Mpid(mpid))?;
                txn.put_sent_state(Mpid(mpid), &json!({"x": mpid}))?;
                txn.append_history(Mpid(mpid), 5, &json!("ev"))?;
                txn.enqueue(
                    lane_of(Mpid(mpid), 16),
                    &[entry(mpid, "a"), entry(mpid, "b")],
                )?;
            }
            Ok(())
        })
        .unwrap();
    let lane1 = lane_of(Mpid(1), 16);
    let first = store.peek(lane1, 1).unwrap().remove(0);
    store
        .complete(lane1, &[], vec![(first.0, letter(first.1))])
        .unwrap();

    let erased = store.remove_user_everywhere(Mpid(1)).unwrap();
    assert_eq!(
        erased,
        braid_core::storage::Erased {
            profile: true,
            sent_state: true,
            identities: 2,
            history: 1,
            outbox: 1,
            dead_letters: 1,
        }
    );
    let (gone, kept) = store
        .transact(|txn| {
            let gone = (
                txn.profile(Mpid(1))?,
                txn.identity_owner(IdentityType::CustomerId, "c1")?,
                txn.sent_state(Mpid(1))?,
                txn.history(Mpid(1), 0)?,
            );
            let kept = (
                txn.profile(Mpid(2))?.is_some(),
                txn.identity_owner(IdentityType::CustomerId, "c2")?,
                txn.history(Mpid(2), 0)?.len(),
            );
            Ok((gone, kept))
        })
        .unwrap();
    assert_eq!(gone, (None, None, None, Vec::new()));
    assert_eq!(kept, (true, Some(Mpid(2)), 1));
    assert_eq!(store.depth().unwrap(), 2);
    assert!(store.dead_letters(0, 10).unwrap().is_empty());
}

fn file_contains(path: &Path, needle: &[u8]) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn erased_email_is_physically_gone_from_both_files_after_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let email = "erase-me-7c1f9a@example.com";
    let needle = email.as_bytes();
    // Unrelated data that must survive.
    store
        .append(vec![req(
            "ios",
            Some("keep"),
            r#"{"email":"keep@example.com"}"#,
        )])
        .unwrap();
    store
        .append(vec![req(
            "ios",
            Some("gone"),
            &format!(r#"{{"email":"{email}"}}"#),
        )])
        .unwrap();
    store
        .transact(|txn| {
            let mut p = Profile::new(Mpid(66), 0);
            p.identities.insert(IdentityType::Email, email.into());
            txn.put_profile(&p)?;
            txn.put_profile(&Profile::new(Mpid(67), 0))?;
            txn.set_identity_owner(IdentityType::Email, email, Mpid(66))?;
            txn.put_sent_state(Mpid(66), &json!({"email": email}))?;
            txn.append_history(Mpid(66), 1, &json!({"email": email}))?;
            txn.enqueue(lane_of(Mpid(66), 16), &[entry(66, email)])?;
            txn.set_cursor(2)
        })
        .unwrap();
    let log = dir.path().join("log.redb");
    let state = dir.path().join("state.redb");
    assert!(file_contains(&log, needle) && file_contains(&state, needle));

    store.remove_user_everywhere(Mpid(66)).unwrap();
    store.prune_log_through(2).unwrap();
    store.compact().unwrap();

    assert!(!file_contains(&log, needle), "email survived in log.redb");
    assert!(
        !file_contains(&state, needle),
        "email survived in state.redb"
    );
    // Live data is intact and the store keeps working, also after reopening.
    assert_eq!(store.head().unwrap(), 2);
    assert_eq!(
        store.append(vec![req("ios", Some("keep"), "x")]).unwrap(),
        vec![AppendOutcome::Duplicate(1)]
    );
    drop(store);
    let store = open(dir.path());
    assert_eq!(store.cursor().unwrap(), 2);
    let kept = store.transact(|txn| txn.profile(Mpid(67))).unwrap();
    assert_eq!(kept, Some(Profile::new(Mpid(67), 0)));
    assert_eq!(
        store.append(vec![req("ios", None, "y")]).unwrap(),
        vec![AppendOutcome::Appended(3)]
    );
}

#[test]
fn deleted_bytes_linger_in_redb_files_until_compaction() {
    // Why `compact` rewrites the files: redb neither zeroes freed pages nor gets rid of
    // them with a plain delete, so erasure alone does not remove the bytes.
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let needle = "lingering-3b9d@example.com";
    store
        .transact(|txn| txn.put_sent_state(Mpid(5), &json!({"email": needle})))
        .unwrap();
    store.remove_user_everywhere(Mpid(5)).unwrap();
    assert!(file_contains(
        &dir.path().join("state.redb"),
        needle.as_bytes()
    ));
    store.compact().unwrap();
    assert!(!file_contains(
        &dir.path().join("state.redb"),
        needle.as_bytes()
    ));
}

#[test]
fn clones_share_one_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let other = store.clone();
    store.append(vec![req("ios", None, "a")]).unwrap();
    assert_eq!(other.head().unwrap(), 1);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let s = store.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    let id = format!("t{t}-{i}");
                    s.append(vec![req("ios", Some(&id), "x")]).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let positions: Vec<u64> = store
        .read_after(0, 100)
        .unwrap()
        .iter()
        .map(|(p, _)| *p)
        .collect();
    assert_eq!(positions, (1..=41).collect::<Vec<_>>());
}

#[test]
fn dead_lettered_attributes_make_the_delta_step_forget_what_was_sent() {
    use braid_braze::wire::{TrackArray, TrackObject, UserRef};
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let attributes = |mpid: i64| OutboxEntry {
        mpid,
        payload: OutboxPayload::Track {
            object: TrackObject {
                array: TrackArray::Attributes,
                user: UserRef::ExternalId(format!("u{mpid}")),
                body: serde_json::json!({"external_id": format!("u{mpid}"), "plan": "gold"})
                    .as_object()
                    .unwrap()
                    .clone(),
            },
        },
        data_points: 1,
        accepted_ms: 5,
    };
    store
        .transact(|txn| {
            txn.put_sent_state(Mpid(1), &serde_json::json!({"plan": "gold"}))?;
            txn.put_sent_state(Mpid(2), &serde_json::json!({"plan": "gold"}))?;
            txn.enqueue(0, &[attributes(1), entry(2, "delete-only")])
        })
        .unwrap();
    let lane = store.peek(0, 10).unwrap();
    store
        .complete(
            0,
            &[],
            vec![
                (lane[0].0, letter(lane[0].1.clone())),
                (lane[1].0, letter(lane[1].1.clone())),
            ],
        )
        .unwrap();
    store
        .transact(|txn| {
            assert_eq!(
                txn.sent_state(Mpid(1))?,
                None,
                "refused attributes: sent state forgotten"
            );
            assert!(
                txn.sent_state(Mpid(2))?.is_some(),
                "other refusals leave it alone"
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn acknowledged_entries_are_hidden_at_once_and_deleted_by_the_next_state_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .transact(|txn| txn.enqueue(0, &[entry(1, "a"), entry(1, "b"), entry(1, "c")]))
        .unwrap();
    let waiting = store.peek(0, 10).unwrap();
    store
        .complete(0, &[waiting[0].0, waiting[1].0], vec![])
        .unwrap();
    // Hidden from readers before any transaction has deleted them.
    assert_eq!(store.pending_acknowledgements(), 2);
    assert_eq!(external_ids(&store.peek(0, 10).unwrap()), vec!["c"]);
    assert_eq!(external_ids(&store.peek(0, 1).unwrap()), vec!["c"]);
    assert_eq!(store.depth().unwrap(), 1);
    // Acknowledging the same positions again hides nothing more.
    store.complete(0, &[waiting[0].0], vec![]).unwrap();
    assert_eq!(store.pending_acknowledgements(), 2);

    // Any state transaction (normally the pipeline's) deletes them.
    store.transact(|txn| txn.set_cursor(1)).unwrap();
    assert_eq!(store.pending_acknowledgements(), 0);
    assert_eq!(external_ids(&store.peek(0, 10).unwrap()), vec!["c"]);
    assert_eq!(store.depth().unwrap(), 1);
    drop(store);
    let store = open(dir.path());
    assert_eq!(external_ids(&store.peek(0, 10).unwrap()), vec!["c"]);
}

#[test]
fn a_failed_state_transaction_keeps_the_acknowledgements_for_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .transact(|txn| txn.enqueue(3, &[entry(1, "a"), entry(1, "b")]))
        .unwrap();
    let waiting = store.peek(3, 10).unwrap();
    store.complete(3, &[waiting[0].0], vec![]).unwrap();
    let failed: Result<(), _> =
        store.transact(|_| Err(StorageError::Backend("pipeline failed".into())));
    assert!(failed.is_err());
    assert_eq!(store.pending_acknowledgements(), 1);
    assert_eq!(external_ids(&store.peek(3, 10).unwrap()), vec!["b"]);
    store.transact(|txn| txn.set_cursor(2)).unwrap();
    assert_eq!(store.pending_acknowledgements(), 0);
    assert_eq!(store.depth().unwrap(), 1);
}

#[test]
fn acknowledging_does_not_wait_for_a_state_transaction_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .transact(|txn| txn.enqueue(1, &[entry(4, "a"), entry(4, "b")]))
        .unwrap();
    let waiting = store.peek(1, 10).unwrap();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let pipeline = {
        let store = store.clone();
        std::thread::spawn(move || {
            // Holds state.redb's single writer until released, as a long pipeline
            // transaction does.
            store.transact(|txn| {
                started_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                txn.set_cursor(7)
            })
        })
    };
    started_rx.recv().unwrap();
    // The writer is held: these return without it (a regression would hang here).
    store.complete(1, &[waiting[0].0], vec![]).unwrap();
    assert_eq!(external_ids(&store.peek(1, 10).unwrap()), vec!["b"]);
    assert_eq!(store.depth().unwrap(), 1);
    release_tx.send(()).unwrap();
    pipeline.join().unwrap().unwrap();
    // The pipeline's transaction deleted the acknowledged entry along with its own work.
    assert_eq!(store.pending_acknowledgements(), 0);
    assert_eq!(store.cursor().unwrap(), 7);
    assert_eq!(external_ids(&store.peek(1, 10).unwrap()), vec!["b"]);
}

#[test]
fn complete_deletes_acknowledgements_itself_once_ack_flush_max_are_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        ack_flush_max: 3,
        ..StoreOptions::default()
    };
    let store = EmbeddedStore::open(dir.path(), options).unwrap();
    let entries: Vec<OutboxEntry> = (0..5).map(|i| entry(1, &format!("e{i}"))).collect();
    store.transact(|txn| txn.enqueue(0, &entries)).unwrap();
    let waiting = store.peek(0, 10).unwrap();
    store
        .complete(0, &[waiting[0].0, waiting[1].0], vec![])
        .unwrap();
    assert_eq!(store.pending_acknowledgements(), 2);
    store.complete(0, &[waiting[2].0], vec![]).unwrap();
    assert_eq!(store.pending_acknowledgements(), 0);
    assert_eq!(external_ids(&store.peek(0, 10).unwrap()), vec!["e3", "e4"]);
    assert_eq!(store.depth().unwrap(), 2);
}

#[test]
fn acknowledgements_waiting_at_close_are_written_and_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path());
        store
            .transact(|txn| txn.enqueue(5, &[entry(2, "a"), entry(2, "b")]))
            .unwrap();
        let waiting = store.peek(5, 10).unwrap();
        store.complete(5, &[waiting[0].0], vec![]).unwrap();
        assert_eq!(store.pending_acknowledgements(), 1);
    }
    let store = open(dir.path());
    assert_eq!(external_ids(&store.peek(5, 10).unwrap()), vec!["b"]);
    assert_eq!(store.depth().unwrap(), 1);
}

#[test]
fn an_erased_user_with_acknowledged_entries_is_not_subtracted_twice_from_depth() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let (lane1, lane2) = (lane_of(Mpid(1), 16), lane_of(Mpid(2), 16));
    store
        .transact(|txn| {
            txn.enqueue(lane1, &[entry(1, "a1"), entry(1, "a2")])?;
            txn.enqueue(lane2, &[entry(2, "b1")])
        })
        .unwrap();
    let first = store.peek(lane1, 1).unwrap().remove(0);
    store.complete(lane1, &[first.0], vec![]).unwrap();
    assert_eq!(store.depth().unwrap(), 2);
    // Erasure deletes the acknowledged entry too, before any transaction took it.
    store.remove_user_everywhere(Mpid(1)).unwrap();
    assert_eq!(store.depth().unwrap(), 1);
    store.flush().unwrap();
    assert_eq!(store.pending_acknowledgements(), 0);
    assert_eq!(store.depth().unwrap(), 1);
    assert_eq!(external_ids(&store.peek(lane2, 10).unwrap()), vec!["b1"]);
}

#[test]
fn storage_errors_keep_their_source_and_say_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the data directory should be: the directory cannot be created.
    let path = dir.path().join("not-a-dir");
    std::fs::write(&path, b"x").unwrap();
    let Err(error) = EmbeddedStore::open(&path.join("data"), StoreOptions::default()) else {
        panic!("opening under a file must fail");
    };
    let message = error.to_string();
    assert!(message.starts_with("storage backend: create "), "{message}");
    assert!(message.contains("not-a-dir"), "{message}");
    let source = std::error::Error::source(&error).expect("the io error is kept");
    assert!(
        source.downcast_ref::<std::io::Error>().is_some(),
        "{source:?}"
    );

    // A stored value that no longer decodes names what it was and keeps serde's error.
    let store = EmbeddedStore::open(dir.path(), StoreOptions::default()).unwrap();
    store
        .transact(|txn| txn.put_meta(braid_core::membership::JOBS_KEY, &json!("not a list")))
        .unwrap();
    let corrupt = store
        .transact(|txn| braid_core::membership::jobs(txn))
        .unwrap_err();
    assert!(
        matches!(corrupt, StorageError::Corrupt { .. }),
        "{corrupt:?}"
    );
    assert!(corrupt.to_string().contains("audience_jobs"), "{corrupt}");
    let source = std::error::Error::source(&corrupt).expect("serde's error is kept");
    assert!(
        source.downcast_ref::<serde_json::Error>().is_some(),
        "{source:?}"
    );
}
