//! Fill a data directory with profiles for the erasure-at-scale benchmark
//! (`scripts/bench-erasure.sh`): `fill_profiles DATA_DIR COUNT`.
//!
//! Writes through the store's own traits what the pipeline would leave for a known user:
//! a profile with `customer_id` and `email` (`user{n}@bench.example`, `cust-{n}`) and a few
//! attributes, both identity index entries, the sent state and three history events. The
//! pipeline cursor and the log stay at zero, so braid starts on the directory as on any
//! store it wrote itself. Prints progress to stderr.

use braid_core::storage::StateStore;
use braid_core::Profile;
use braid_mparticle::{AttributeValue, IdentityType, Mpid};
use braid_store::{EmbeddedStore, StoreOptions};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// Profiles per transaction.
const CHUNK: u64 = 10_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(count)) = (args.next(), args.next()) else {
        return Err("usage: fill_profiles DATA_DIR COUNT".into());
    };
    let count: u64 = count
        .parse()
        .map_err(|e| format!("COUNT must be a whole number: {e}"))?;
    let store = EmbeddedStore::open(&PathBuf::from(dir), StoreOptions::default())?;
    let started = Instant::now();
    let mut next = 1u64;
    while next <= count {
        let last = (next + CHUNK - 1).min(count);
        store.transact(|txn| {
            for n in next..=last {
                let mpid = Mpid(1_000_000_000 + n as i64);
                let seen = 1_764_000_000_000 + n as i64;
                let mut profile = Profile::new(mpid, seen);
                let email = format!("user{n}@bench.example");
                let customer = format!("cust-{n}");
                profile
                    .identities
                    .insert(IdentityType::Email, email.clone());
                profile
                    .identities
                    .insert(IdentityType::CustomerId, customer.clone());
                for (k, v) in [
                    ("$FirstName", json!(format!("First{n}"))),
                    ("plan", json!(["free", "gold", "pro"][(n % 3) as usize])),
                    ("score", json!(n % 1000)),
                ] {
                    profile
                        .attributes
                        .insert(k.to_string(), AttributeValue::from_value(v));
                }
                txn.put_profile(&profile)?;
                txn.set_identity_owner(IdentityType::Email, &email, mpid)?;
                txn.set_identity_owner(IdentityType::CustomerId, &customer, mpid)?;
                txn.put_sent_state(
                    mpid,
                    &json!({"attributes": {"first_name": format!("First{n}"), "email": email}}),
                )?;
                for k in 0..3 {
                    txn.append_history(mpid, seen + k, &json!({"t": "custom", "n": "viewed"}))?;
                }
            }
            Ok(())
        })?;
        if last.is_multiple_of(100_000) || last == count {
            eprintln!(
                "fill_profiles: {last}/{count} profiles ({:.1}s)",
                started.elapsed().as_secs_f64()
            );
        }
        next = last + 1;
    }
    store.flush()?;
    Ok(())
}
