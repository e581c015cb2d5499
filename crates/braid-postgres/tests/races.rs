//! Concurrent transactions on PgStore: the races the pipeline has when several workers
//! share one PostgreSQL, and that the loser of each gets `Conflict` and retries cleanly.

mod common;

use braid_core::storage::{StateStore, StoreResult};
use braid_core::Profile;
use braid_mparticle::{IdentityType, Mpid};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};

/// Run `attempt` until it does not lose a race; counts the races lost.
fn retrying<R>(conflicts: &AtomicU64, mut attempt: impl FnMut(bool) -> StoreResult<R>) -> R {
    let mut first = true;
    loop {
        match attempt(first) {
            Ok(value) => return value,
            Err(e) if e.is_conflict() => {
                conflicts.fetch_add(1, Ordering::Relaxed);
                first = false;
            }
            Err(e) => panic!("transaction failed: {e}"),
        }
    }
}

#[test]
fn workers_seeing_one_new_identity_at_once_create_one_profile() {
    const WORKERS: usize = 6;
    let (store, _guard) = common::store(4);
    // Every worker reads the identity before any writes it, so all of them race.
    let all_read = Arc::new(Barrier::new(WORKERS));
    let conflicts = Arc::new(AtomicU64::new(0));
    let owners: Vec<Mpid> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WORKERS)
            .map(|worker| {
                let (store, all_read, conflicts) =
                    (store.clone(), all_read.clone(), conflicts.clone());
                scope.spawn(move || {
                    retrying(&conflicts, |first| {
                        store.transact(|txn| {
                            let owner =
                                txn.identity_owner(IdentityType::Email, "new@example.com")?;
                            if first {
                                all_read.wait();
                            }
                            if let Some(owner) = owner {
                                return Ok(owner);
                            }
                            let mpid = Mpid(1000 + worker as i64);
                            let mut profile = Profile::new(mpid, 1);
                            profile
                                .identities
                                .insert(IdentityType::Email, "new@example.com".into());
                            txn.put_profile(&profile)?;
                            txn.set_identity_owner(IdentityType::Email, "new@example.com", mpid)?;
                            Ok(mpid)
                        })
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect()
    });
    let winner = owners[0];
    assert!(
        owners.iter().all(|o| *o == winner),
        "every worker ends on one owner: {owners:?}"
    );
    store
        .transact(|txn| {
            assert_eq!(txn.profile_count()?, 1, "exactly one profile was created");
            assert!(txn.profile(winner)?.is_some());
            assert_eq!(
                txn.identity_owner(IdentityType::Email, "new@example.com")?,
                Some(winner)
            );
            Ok(())
        })
        .expect("read back");
    assert!(
        conflicts.load(Ordering::Relaxed) >= (WORKERS - 1) as u64,
        "every loser saw a conflict"
    );
}

#[test]
fn read_modify_write_of_one_meta_key_loses_no_update() {
    const WORKERS: usize = 4;
    const INCREMENTS: u64 = 20;
    let (store, _guard) = common::store(4);
    let all_read = Arc::new(Barrier::new(WORKERS));
    let conflicts = Arc::new(AtomicU64::new(0));
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            let (store, all_read, conflicts) = (store.clone(), all_read.clone(), conflicts.clone());
            scope.spawn(move || {
                for round in 0..INCREMENTS {
                    retrying(&conflicts, |first| {
                        store.transact(|txn| {
                            // The first round starts with the key absent, as a new partition's
                            // offset does.
                            let offset = txn
                                .meta("kafka/offset/0")?
                                .and_then(|v| v.as_u64())
                                .unwrap_or(0);
                            if first && round == 0 {
                                all_read.wait();
                            }
                            txn.put_meta("kafka/offset/0", &json!(offset + 1))
                        })
                    });
                }
            });
        }
    });
    let total = store
        .transact(|txn| txn.meta("kafka/offset/0"))
        .expect("read back");
    assert_eq!(total, Some(json!(WORKERS as u64 * INCREMENTS)));
    assert!(conflicts.load(Ordering::Relaxed) >= (WORKERS - 1) as u64);
}

#[test]
fn an_ignored_statement_error_does_not_commit_the_rest() {
    let (store, _guard) = common::store(4);
    let result = store.transact(|txn| {
        txn.put_meta("kept?", &json!(1))?;
        // A key PostgreSQL refuses (NUL in text), its error dropped by the caller.
        let _ = txn.meta("bad\0key");
        Ok(())
    });
    let error = result.expect_err("the transaction must not report success");
    assert!(
        error.to_string().contains("nothing was committed"),
        "{error}"
    );
    let kept = store.transact(|txn| txn.meta("kept?")).expect("read");
    assert_eq!(kept, None);
}

#[test]
fn a_write_that_fails_when_sent_fails_the_transaction() {
    let (store, _guard) = common::store(4);
    // Writes are sent with the commit; the refused one must still sink the whole
    // transaction, and the error name the write.
    let result = store.transact(|txn| {
        txn.put_meta("kept?", &json!(1))?;
        txn.put_meta("bad\0key", &json!(2))?;
        txn.put_sent_state(Mpid(1), &json!({"a": 1}))
    });
    let error = result.expect_err("the transaction must not report success");
    assert!(error.to_string().contains("write a meta value"), "{error}");
    store
        .transact(|txn| {
            assert_eq!(txn.meta("kept?")?, None);
            assert_eq!(txn.sent_state(Mpid(1))?, None);
            Ok(())
        })
        .expect("read");
}
