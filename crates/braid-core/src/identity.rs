//! Identity resolution: which profile a batch belongs to.
//!
//! Rules (documented for users in `docs/identity.md`):
//! 1. A batch that carries `mpid` belongs to that profile (created if braid has never
//!    seen it).
//! 2. Otherwise the batch's identities are looked up in priority order
//!    ([`LOOKUP_ORDER`]: customer id, email, other ids, phone numbers, social ids); the
//!    first identity braid already knows decides the profile.
//! 3. Otherwise a new profile is created with a new 64-bit MPID.
//!
//! An identity value belongs to at most one profile. When a batch resolved to profile A
//! carries an identity that currently belongs to profile B, A claims it and B loses it
//! (the newest statement about an identity wins, as an mParticle identity `modify`
//! would). Such moves are counted in [`Resolution::reassigned`].

use crate::profile::Profile;
use crate::storage::{StateTxn, StoreResult};
use braid_mparticle::{Batch, IdentityType, Mpid};

/// Identity types in the order they are consulted when a batch has no `mpid`.
pub const LOOKUP_ORDER: [IdentityType; 22] = IdentityType::ALL;

/// The outcome of resolving one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// The profile as it was before this batch (a fresh empty one when new).
    pub profile: Profile,
    /// Whether the profile did not exist before.
    pub created: bool,
    /// Identities this batch moved away from other profiles: (type, previous owner).
    pub reassigned: Vec<(IdentityType, Mpid)>,
    /// The batch's identity types whose value the index already gives to this profile:
    /// claiming them writes nothing (the common case of a known user's next batch).
    pub already_owned: Vec<IdentityType>,
}

/// Resolve `batch` to a profile. `fresh_mpid` supplies a new MPID when one is needed;
/// it must be deterministic for a given log position so that replays after a crash
/// resolve the same way.
pub fn resolve(
    txn: &mut dyn StateTxn,
    batch: &Batch,
    now_ms: i64,
    fresh_mpid: impl FnOnce() -> Mpid,
) -> StoreResult<Resolution> {
    // Each identity is looked up once: the owners decide the profile, and then what it
    // takes from others and what it already holds.
    let mut owners = Vec::with_capacity(batch.user_identities.len());
    for (&kind, value) in &batch.user_identities {
        if !value.is_empty() {
            owners.push((kind, txn.identity_owner(kind, value)?));
        }
    }
    let known = batch.mpid.or_else(|| {
        LOOKUP_ORDER.iter().find_map(|kind| {
            owners
                .iter()
                .find(|(k, _)| k == kind)
                .and_then(|(_, owner)| *owner)
        })
    });
    let (profile, created) = match known {
        Some(mpid) => match txn.profile(mpid)? {
            Some(p) => (p, false),
            None => (Profile::new(mpid, now_ms), true),
        },
        None => (Profile::new(fresh_mpid(), now_ms), true),
    };
    let mut reassigned = Vec::new();
    let mut already_owned = Vec::new();
    for (kind, owner) in owners {
        match owner {
            Some(owner) if owner == profile.mpid => already_owned.push(kind),
            Some(owner) => reassigned.push((kind, owner)),
            None => {}
        }
    }
    Ok(Resolution {
        profile,
        created,
        reassigned,
        already_owned,
    })
}

/// Write the batch's identities onto `profile` and the identity index, taking each one
/// away from any previous owner (`reassigned`, from the [`Resolution`]). Index entries
/// that already name the profile (`already_owned`) are left as they are.
pub fn claim_identities(
    txn: &mut dyn StateTxn,
    profile: &mut Profile,
    batch: &Batch,
    reassigned: &[(IdentityType, Mpid)],
    already_owned: &[IdentityType],
) -> StoreResult<()> {
    for &(kind, previous_owner) in reassigned {
        if let Some(mut other) = txn.profile(previous_owner)? {
            other.identities.remove(&kind);
            txn.put_profile(&other)?;
        }
    }
    for (&kind, value) in &batch.user_identities {
        if value.is_empty() {
            continue;
        }
        if let Some(old) = profile.identities.get(&kind) {
            if old != value {
                // The profile's identity of this type changed: free the old value.
                txn.remove_identity(kind, old)?;
            }
        }
        profile.identities.insert(kind, value.clone());
        if !already_owned.contains(&kind) {
            txn.set_identity_owner(kind, value, profile.mpid)?;
        }
    }
    Ok(())
}

/// A new MPID derived from the log position and an install-wide salt: unique per
/// position, stable across replays, and never 0 (mParticle reserves 0).
pub fn mpid_for_position(position: u64, salt: u64) -> Mpid {
    let mut x = position ^ salt;
    // splitmix64 finaliser: a bijection, so distinct positions give distinct MPIDs.
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    let id = x as i64;
    Mpid(if id == 0 { 1 } else { id })
}
