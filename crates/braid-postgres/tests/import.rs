//! Moving an embedded store into PostgreSQL: fill one through the traits, copy, read back.

mod common;

use braid_braze::wire::{TrackArray, TrackObject, UserRef};
use braid_core::storage::{lane_of, Outbox, StateStore};
use braid_core::{DeadLetter, OutboxEntry, OutboxPayload, Profile};
use braid_mparticle::{IdentityType, Mpid};
use braid_postgres::import::{copy_state, ImportStage};
use braid_store::{EmbeddedStore, StoreOptions};
use serde_json::json;

const LANES: u32 = 4;
const USERS: i64 = 1_200; // more than one chunk

fn track(mpid: i64, n: i64) -> OutboxEntry {
    let body = json!({"n": n});
    OutboxEntry {
        mpid,
        payload: OutboxPayload::Track {
            object: TrackObject {
                array: TrackArray::Events,
                user: UserRef::ExternalId(format!("c{mpid}")),
                body: body.as_object().cloned().unwrap_or_default(),
            },
        },
        data_points: 1,
        accepted_ms: n,
    }
}

fn fill(source: &EmbeddedStore) {
    source
        .transact(|txn| {
            for mpid in 1..=USERS {
                let mut profile = Profile::new(Mpid(mpid), mpid);
                profile
                    .identities
                    .insert(IdentityType::CustomerId, format!("c{mpid}"));
                profile
                    .identities
                    .insert(IdentityType::Email, format!("u{mpid}@example.com"));
                profile.audiences.insert(3, mpid);
                txn.put_profile(&profile)?;
                txn.set_identity_owner(IdentityType::CustomerId, &format!("c{mpid}"), Mpid(mpid))?;
                txn.set_identity_owner(
                    IdentityType::Email,
                    &format!("u{mpid}@example.com"),
                    Mpid(mpid),
                )?;
                txn.put_sent_state(Mpid(mpid), &json!({"plan": mpid}))?;
                txn.append_history(Mpid(mpid), 10, &json!({"e": "a"}))?;
                txn.append_history(Mpid(mpid), 10, &json!({"e": "b"}))?;
                if mpid % 100 == 0 {
                    txn.schedule_recheck(Mpid(mpid), 5_000 + mpid)?;
                }
                if mpid % 10 == 0 {
                    let lane = lane_of(Mpid(mpid), LANES);
                    txn.enqueue(lane, &[track(mpid, 1), track(mpid, 2)])?;
                }
            }
            txn.put_meta("audiences", &json!([{"id": 3}]))?;
            txn.put_meta("mpid_salt", &json!("salt"))?;
            txn.put_meta("dsr/requests", &json!({"r1": "done"}))?;
            txn.set_cursor(77)
        })
        .expect("fill");
    // One refused entry, so there is a dead letter to move.
    let lane = lane_of(Mpid(10), LANES);
    let (seq, refused) = source
        .peek(lane, 100)
        .expect("peek")
        .into_iter()
        .find(|(_, e)| e.mpid == 10 && e.accepted_ms == 2)
        .expect("queued");
    let letter = DeadLetter {
        entry: refused,
        reason: "refused".into(),
        status: Some(400),
        failed_ms: 9,
    };
    source
        .complete(lane, &[], vec![(seq, letter)])
        .expect("dead-letter");
}

#[test]
fn an_embedded_store_copies_into_postgres_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = EmbeddedStore::open(
        dir.path(),
        StoreOptions {
            lanes: LANES,
            ..StoreOptions::default()
        },
    )
    .expect("open");
    fill(&source);
    let (target, _guard) = common::store(LANES);
    let mut stages = Vec::new();
    let summary = copy_state(&source, &target, |p| {
        if stages.last() != Some(&p.stage) {
            stages.push(p.stage);
        }
    })
    .expect("copy");
    assert_eq!(
        stages,
        vec![
            ImportStage::Profiles,
            ImportStage::Rechecks,
            ImportStage::Outbox,
            ImportStage::DeadLetters,
            ImportStage::Meta
        ]
    );
    assert_eq!(summary.profiles, USERS as u64);
    assert_eq!(summary.identities, 2 * USERS as u64);
    assert_eq!(summary.sent_states, USERS as u64);
    assert_eq!(summary.history, 2 * USERS as u64);
    assert_eq!(summary.rechecks, (USERS / 100) as u64);
    assert_eq!(summary.outbox, 2 * (USERS / 10) as u64 - 1);
    assert_eq!(summary.dead_letters, 1);
    assert_eq!(summary.meta, 3);

    for lane in 0..LANES {
        assert_eq!(
            target
                .peek(lane, 1_000)
                .expect("peek target")
                .into_iter()
                .map(|(_, e)| e)
                .collect::<Vec<_>>(),
            source
                .peek(lane, 1_000)
                .expect("peek source")
                .into_iter()
                .map(|(_, e)| e)
                .collect::<Vec<_>>(),
            "lane {lane} holds the same entries in the same order"
        );
    }
    let letters = |s: &dyn Outbox| {
        s.dead_letters(0, 10)
            .expect("dead")
            .into_iter()
            .map(|(_, d)| d)
            .collect::<Vec<_>>()
    };
    assert_eq!(letters(&target), letters(&source));

    let source_state = source
        .transact(|txn| {
            Ok((
                txn.profiles_after(None, 10_000)?,
                txn.sent_state(Mpid(640))?,
                txn.history(Mpid(640), i64::MIN)?,
                txn.due_rechecks(i64::MAX, 100)?,
                txn.meta_after(None, 100)?,
            ))
        })
        .expect("read source");
    target
        .transact(|txn| {
            let target_state = (
                txn.profiles_after(None, 10_000)?,
                txn.sent_state(Mpid(640))?,
                txn.history(Mpid(640), i64::MIN)?,
                txn.due_rechecks(i64::MAX, 100)?,
                txn.meta_after(None, 100)?,
            );
            assert!(
                target_state == source_state,
                "profiles, sent state, history, re-checks and meta read the same"
            );
            assert_eq!(
                txn.identity_owner(IdentityType::Email, "u640@example.com")?,
                Some(Mpid(640))
            );
            assert_eq!(
                txn.identity_owner(IdentityType::CustomerId, "c1200")?,
                Some(Mpid(1200))
            );
            assert_eq!(txn.cursor()?, 0, "the embedded log's cursor is not copied");
            Ok(())
        })
        .expect("read target");

    let again = copy_state(&source, &target, |_| {}).expect_err("a used target is refused");
    let message = again.to_string();
    assert!(
        message.contains("refusing to import") && message.contains("profiles"),
        "{message}"
    );
}

#[test]
fn entries_move_onto_the_users_lane_when_the_lane_counts_differ() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = EmbeddedStore::open(
        dir.path(),
        StoreOptions {
            lanes: 2,
            ..StoreOptions::default()
        },
    )
    .expect("open");
    source
        .transact(|txn| {
            for mpid in 1..=20 {
                txn.enqueue(lane_of(Mpid(mpid), 2), &[track(mpid, 1), track(mpid, 2)])?;
            }
            Ok(())
        })
        .expect("fill");
    let (target, _guard) = common::store(8);
    let summary = copy_state(&source, &target, |_| {}).expect("copy");
    assert_eq!(summary.outbox, 40);
    for lane in 0..8 {
        let entries = target.peek(lane, 100).expect("peek");
        assert!(entries
            .iter()
            .all(|(_, e)| lane_of(Mpid(e.mpid), 8) == lane));
        for mpid in 1..=20 {
            let mine: Vec<i64> = entries
                .iter()
                .filter(|(_, e)| e.mpid == mpid)
                .map(|(_, e)| e.accepted_ms)
                .collect();
            assert!(
                mine.is_empty() || mine == vec![1, 2],
                "user {mpid} keeps its order"
            );
        }
    }
    assert_eq!(target.depth().expect("depth"), 40);
}
