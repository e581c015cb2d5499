//! Moving a store (the embedded one, normally) into PostgreSQL: [`copy_state`].
//!
//! Everything is read through the storage traits, so any backend can be the source; stop
//! the server that uses the source first (nothing may write it or deliver from it while it
//! is copied). What is copied:
//! - profiles, with the identity index rebuilt from each profile's identities, their sent
//!   state and their history;
//! - scheduled audience re-checks (all of them, through `due_rechecks(i64::MAX, …)`);
//! - outbox entries, lane by lane in order (onto the same lane when both stores have the
//!   same lane count, else onto the user's lane under the target's count);
//! - dead letters, in order;
//! - meta values (audience and calculated-attribute definitions, jobs, DSR records, the
//!   MPID salt, …).
//!
//! Not copied: the pipeline cursor (it counts positions of the embedded log, which Kafka
//! replaces), remembered Currents event ids (the traits cannot list them; the de-duplication
//! window starts afresh), sent state of users without a profile, and identity index entries
//! that point at a profile which no longer lists them (neither is reachable through the
//! traits, and the pipeline re-creates both when such users are next seen).
//!
//! The copy is **refused on a non-empty target** rather than resumed: it runs in chunks,
//! one transaction each, so a copy that failed half-way leaves a partial schema; drop it
//! (`DROP SCHEMA … CASCADE`) and run the copy again.

use crate::txn::encode;
use crate::PgStore;
use braid_core::storage::{lane_of, Outbox, StateStore, StorageError, StoreResult};
use braid_core::Profile;
use braid_mparticle::Mpid;
use serde_json::Value;

/// Records read and written per transaction.
const CHUNK: usize = 500;

/// Which part of the state is being copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStage {
    /// Profiles with their identities, sent state and history.
    Profiles,
    Rechecks,
    Outbox,
    DeadLetters,
    Meta,
}

/// How far a copy has come: reported after every chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    pub stage: ImportStage,
    /// Records of this stage copied so far.
    pub copied: u64,
}

/// What [`copy_state`] copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub profiles: u64,
    pub identities: u64,
    pub sent_states: u64,
    pub history: u64,
    pub rechecks: u64,
    pub outbox: u64,
    pub dead_letters: u64,
    pub meta: u64,
}

/// One user as read from the source.
struct UserCopy {
    profile: Profile,
    sent: Option<Value>,
    history: Vec<(i64, Value)>,
}

/// Copy the state of `from` into the empty store `to` (see the module docs for what is
/// and is not copied), calling `progress` after each chunk.
pub fn copy_state<S: StateStore + Outbox>(
    from: &S,
    to: &PgStore,
    mut progress: impl FnMut(&ImportProgress),
) -> StoreResult<ImportSummary> {
    refuse_non_empty(to)?;
    let mut summary = ImportSummary::default();
    let mut report = |stage, copied| progress(&ImportProgress { stage, copied });

    let mut after: Option<Mpid> = None;
    loop {
        let users = from.transact(|txn| {
            let profiles = txn.profiles_after(after, CHUNK)?;
            profiles
                .into_iter()
                .map(|profile| {
                    let sent = txn.sent_state(profile.mpid)?;
                    let history = txn.history(profile.mpid, i64::MIN)?;
                    Ok(UserCopy {
                        profile,
                        sent,
                        history,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()
        })?;
        let Some(last) = users.last() else { break };
        after = Some(last.profile.mpid);
        let written = to.transact(|txn| {
            let mut written = ImportSummary::default();
            for user in &users {
                let mpid = user.profile.mpid;
                txn.put_profile(&user.profile)?;
                written.profiles += 1;
                for (kind, value) in &user.profile.identities {
                    txn.set_identity_owner(*kind, value, mpid)?;
                    written.identities += 1;
                }
                if let Some(sent) = &user.sent {
                    txn.put_sent_state(mpid, sent)?;
                    written.sent_states += 1;
                }
                for (ts_ms, event) in &user.history {
                    txn.append_history(mpid, *ts_ms, event)?;
                    written.history += 1;
                }
            }
            Ok(written)
        })?;
        summary.profiles += written.profiles;
        summary.identities += written.identities;
        summary.sent_states += written.sent_states;
        summary.history += written.history;
        report(ImportStage::Profiles, summary.profiles);
    }

    let rechecks = from.transact(|txn| txn.due_rechecks(i64::MAX, usize::MAX))?;
    for chunk in rechecks.chunks(CHUNK) {
        to.transact(|txn| {
            chunk
                .iter()
                .try_for_each(|&(at_ms, mpid)| txn.schedule_recheck(mpid, at_ms))
        })?;
        summary.rechecks += chunk.len() as u64;
        report(ImportStage::Rechecks, summary.rechecks);
    }

    let same_lanes = from.lane_count() == to.lane_count();
    for lane in 0..from.lane_count() {
        // `peek` has no "after": a lane is read whole (entries are small).
        let entries = from.peek(lane, usize::MAX)?;
        for chunk in entries.chunks(CHUNK) {
            to.transact(|txn| {
                for (_, entry) in chunk {
                    let target = if same_lanes {
                        lane
                    } else {
                        lane_of(Mpid(entry.mpid), to.lane_count())
                    };
                    txn.enqueue(target, std::slice::from_ref(entry))?;
                }
                Ok(())
            })?;
            summary.outbox += chunk.len() as u64;
            report(ImportStage::Outbox, summary.outbox);
        }
    }

    let mut after_id = 0;
    loop {
        let letters = from.dead_letters(after_id, CHUNK)?;
        let Some(&(last, _)) = letters.last() else {
            break;
        };
        after_id = last;
        to.in_transaction("SERIALIZABLE", |txn| {
            for (_, letter) in &letters {
                txn.execute(
                    "import a dead letter",
                    "INSERT INTO dead_letters (mpid, body) VALUES ($1, $2)",
                    &[&letter.entry.mpid, &encode(letter, "dead letter")?],
                )?;
            }
            Ok(())
        })?;
        summary.dead_letters += letters.len() as u64;
        report(ImportStage::DeadLetters, summary.dead_letters);
    }

    let mut after_key: Option<String> = None;
    loop {
        let values = from.transact(|txn| txn.meta_after(after_key.as_deref(), CHUNK))?;
        let Some((last, _)) = values.last() else {
            break;
        };
        after_key = Some(last.clone());
        to.transact(|txn| {
            values
                .iter()
                .try_for_each(|(key, value)| txn.put_meta(key, value))
        })?;
        summary.meta += values.len() as u64;
        report(ImportStage::Meta, summary.meta);
    }
    Ok(summary)
}

/// Refuse a target that holds anything a copy would write.
fn refuse_non_empty(to: &PgStore) -> StoreResult<()> {
    let occupied = to.in_transaction("REPEATABLE READ", |txn| {
        let rows = txn.query(
            "check the import target is empty",
            "SELECT t FROM (VALUES \
               ('profiles', EXISTS (SELECT 1 FROM profiles)), \
               ('identities', EXISTS (SELECT 1 FROM identities)), \
               ('sent_state', EXISTS (SELECT 1 FROM sent_state)), \
               ('history', EXISTS (SELECT 1 FROM history)), \
               ('rechecks', EXISTS (SELECT 1 FROM rechecks)), \
               ('outbox', EXISTS (SELECT 1 FROM outbox)), \
               ('dead_letters', EXISTS (SELECT 1 FROM dead_letters)), \
               ('meta', EXISTS (SELECT 1 FROM meta))) AS v(t, used) WHERE used",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>())
    })?;
    if occupied.is_empty() {
        return Ok(());
    }
    Err(StorageError::Backend(
        format!(
            "refusing to import into postgres schema `{}`: it already holds {} (copying \
             into a used schema would mix two states; drop the schema or name a new one)",
            to.schema(),
            occupied.join(", ")
        )
        .into(),
    ))
}
