//! What an erasure costs as the store grows: removing one user everywhere (the identity,
//! outbox and dead-letter tables are scanned in full), scanning one identity type (how a
//! hashed identity is matched), and compacting both files (what makes the removal
//! physical). Stores of 10k and 100k users, each with two identities, three history
//! events and one queued outbox entry.

use braid_braze::wire::{TrackArray, TrackObject, UserRef};
use braid_core::storage::{Maintenance, StateStore, StateTxn};
use braid_core::{OutboxEntry, OutboxPayload, Profile};
use braid_mparticle::{IdentityType, Mpid};
use braid_store::{EmbeddedStore, StoreOptions};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use serde_json::json;
use std::sync::atomic::{AtomicI64, Ordering};

fn add_user(txn: &mut dyn StateTxn, n: i64) -> braid_core::StoreResult<()> {
    let mpid = Mpid(n);
    let mut profile = Profile::new(mpid, 1_700_000_000_000);
    let email = format!("user{n}@example.com");
    let customer = format!("c{n}");
    profile
        .identities
        .insert(IdentityType::Email, email.clone());
    profile
        .identities
        .insert(IdentityType::CustomerId, customer.clone());
    txn.put_profile(&profile)?;
    txn.set_identity_owner(IdentityType::Email, &email, mpid)?;
    txn.set_identity_owner(IdentityType::CustomerId, &customer, mpid)?;
    for k in 0..3 {
        txn.append_history(
            mpid,
            1_700_000_000_000 + k,
            &json!({"name": "viewed", "k": k}),
        )?;
    }
    let object = TrackObject {
        array: TrackArray::Attributes,
        user: UserRef::ExternalId(customer.clone()),
        body: json!({"external_id": customer, "plan": "gold"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    };
    let entry = OutboxEntry {
        mpid: n,
        payload: OutboxPayload::Track { object },
        data_points: 1,
        accepted_ms: 1_700_000_000_000,
    };
    txn.enqueue(braid_core::storage::lane_of(mpid, 16), &[entry])
}

fn filled(users: i64) -> (tempfile::TempDir, EmbeddedStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(dir.path(), StoreOptions::default()).expect("open");
    for chunk in (1..=users).collect::<Vec<_>>().chunks(10_000) {
        store
            .transact(|txn| {
                for &n in chunk {
                    add_user(txn, n)?;
                }
                Ok(())
            })
            .expect("fill");
    }
    (dir, store)
}

fn bench_erasure(c: &mut Criterion) {
    let mut group = c.benchmark_group("erasure");
    group.sample_size(10);
    for users in [10_000i64, 100_000] {
        let (_dir, store) = filled(users);
        let next = AtomicI64::new(users + 1);
        group.bench_function(format!("remove_user_everywhere/{users}"), |b| {
            b.iter_batched(
                || {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    store.transact(|txn| add_user(txn, n)).expect("add");
                    Mpid(n)
                },
                |mpid| store.remove_user_everywhere(mpid).expect("erase"),
                BatchSize::PerIteration,
            )
        });
        group.bench_function(format!("identities_of_type_email/{users}"), |b| {
            b.iter(|| store.identities_of_type(IdentityType::Email).expect("scan"))
        });
        group.bench_function(format!("compact/{users}"), |b| {
            b.iter(|| store.compact().expect("compact"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_erasure);
criterion_main!(benches);
