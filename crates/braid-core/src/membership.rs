//! Audiences inside the pipeline: evaluating a user's memberships in the same transaction
//! as the change that caused it, turning membership changes into Braze attributes, the
//! re-check schedule for time windows, and the durable audience jobs (backfill and
//! clean-up) that walk every profile in resumable chunks.
//!
//! The definitions themselves are pure (`braid-audiences`); this module owns where they
//! are kept (the store's meta table, key [`DEFINITIONS_KEY`]) and how a change to them
//! reaches every profile:
//! - **create / change** → the definition is stored and a backfill job is queued; the
//!   worker evaluates the audience for every existing profile, chunk by chunk, and the
//!   job's progress is durable;
//! - **delete / deactivate without clean-up** → mParticle's behaviour: evaluation stops and
//!   Braze keeps whatever it has;
//! - **delete / deactivate with clean-up** → a clean-up job removes the membership from
//!   every member and writes the attributes that take it out of Braze (`In <name>` =
//!   `false`, string and array rewritten), through the outbox and so within the rate
//!   limit; a deleted audience disappears once the job is done.
//!
//! Membership lives in the profile (`Profile::audiences`), so it commits with the change
//! that caused it and the pipeline cursor: a crash never loses or repeats a membership
//! change, and erasing the profile erases the memberships.

use crate::meta_list;
use crate::profile::Profile;
use crate::storage::{StateStore, StateTxn, StoreResult};
use crate::StorageError;
use braid_audiences::{
    cleanup_attributes, membership_attributes, Audience, AudienceSet, AudienceState,
    DefinitionErrors, EventRecord, FormLimits, MembershipDelta, Memberships, OverflowReport,
    SendSegmentsAs, UserView,
};
use braid_braze::mapping::{resolve_user, MappingInput};
use braid_braze::settings::BrazeSettings;
use braid_braze::wire::{TrackArray, TrackObject};
use braid_mparticle::{Batch, Mpid};
use serde::{Deserialize, Serialize};
use serde_json::Map;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

/// Meta key of the stored definitions (every audience, any state).
pub const DEFINITIONS_KEY: &str = "audience_definitions";
/// Meta key of the audience jobs (pending first, then the most recent finished ones).
pub const JOBS_KEY: &str = "audience_jobs";
/// Meta key of the definitions version, counted up in the transaction of every change to
/// the audience or calculated-attribute definitions (see [`definitions_version`]).
pub const DEFINITIONS_VERSION_KEY: &str = "definitions_version";

/// How memberships are sent to Braze.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudienceOutput {
    /// Whether membership changes are sent to Braze at all.
    pub sync: bool,
    /// mParticle's "Send Segments As".
    pub send_segments_as: SendSegmentsAs,
    /// Braze's limits on the string and array forms.
    pub limits: FormLimits,
}

impl Default for AudienceOutput {
    fn default() -> Self {
        AudienceOutput {
            sync: true,
            send_segments_as: SendSegmentsAs::default(),
            limits: FormLimits::default(),
        }
    }
}

/// The definitions in force (audiences and the calculated attributes they can read)
/// and how memberships are synced.
#[derive(Debug, Clone, Default)]
pub struct AudienceRuntime {
    pub set: AudienceSet,
    pub output: AudienceOutput,
    pub calculated: braid_audiences::CalculatedSet,
}

/// The current [`AudienceRuntime`], shared by the pipeline, the worker and the admin API.
/// Readers take a cheap snapshot; a definition change swaps in a new set.
///
/// A handle made with [`AudienceHandle::following_store`] also follows changes other
/// processes make: [`in_force`](Self::in_force) compares the store's
/// [`DEFINITIONS_VERSION_KEY`] with the version it holds, inside the caller's
/// transaction, and reloads the definitions when they differ (the distributed backend,
/// where any node's admin API may change them).
#[derive(Debug, Clone, Default)]
pub struct AudienceHandle(Arc<RwLock<InForce>>);

#[derive(Debug, Default)]
struct InForce {
    runtime: Arc<AudienceRuntime>,
    /// The stored version `runtime` was read at; `None` until known.
    version: Option<u64>,
    /// Whether [`AudienceHandle::in_force`] checks the store.
    follow_store: bool,
}

impl AudienceHandle {
    /// A handle holding `runtime`.
    pub fn new(runtime: AudienceRuntime) -> Self {
        AudienceHandle(Arc::new(RwLock::new(InForce {
            runtime: Arc::new(runtime),
            version: None,
            follow_store: false,
        })))
    }

    /// A handle holding `runtime` that follows the stored definitions (see the type's
    /// docs). `read_after` is a stored version read before `runtime`'s definitions were:
    /// they are at least that new, and a later version reloads them.
    pub fn following_store(runtime: AudienceRuntime, read_after: u64) -> Self {
        let handle = Self::new(runtime);
        {
            let mut slot = handle.write();
            slot.follow_store = true;
            slot.version = Some(read_after);
        }
        handle
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, InForce> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, InForce> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    /// A snapshot of what is in force now.
    pub fn current(&self) -> Arc<AudienceRuntime> {
        self.read().runtime.clone()
    }

    /// Whether this handle follows the stored definitions.
    pub fn follows_store(&self) -> bool {
        self.read().follow_store
    }

    /// The stored definitions version of what is in force, when known.
    pub fn version(&self) -> Option<u64> {
        self.read().version
    }

    /// What is in force for a transaction: for a handle that follows the store, the
    /// definitions as `txn` sees them (reloaded and put in force when the stored version
    /// moved; one meta read when it did not); otherwise [`current`](Self::current).
    ///
    /// Reading the version inside the transaction is what makes a change safe across
    /// processes: a transaction that read the old version is ordered before the change
    /// (PostgreSQL's SERIALIZABLE), so the backfill the change queued, which runs after
    /// it, sees what that transaction wrote.
    pub fn in_force(&self, txn: &mut dyn StateTxn) -> StoreResult<Arc<AudienceRuntime>> {
        let (follow, held, runtime) = {
            let slot = self.read();
            (slot.follow_store, slot.version, slot.runtime.clone())
        };
        if !follow {
            return Ok(runtime);
        }
        let version = definitions_version(txn)?;
        if held == Some(version) {
            return Ok(runtime);
        }
        let stored = read_stored(txn, runtime.output.limits.max_array_len)?;
        let fresh = Arc::new(AudienceRuntime {
            set: stored.set,
            output: runtime.output,
            calculated: stored.calculated,
        });
        if self.install_runtime(version, fresh.clone()) {
            tracing::info!(
                version,
                audiences = fresh.set.audiences().count(),
                calculated_attributes = fresh.calculated.definitions().count(),
                "definitions changed in the store; reloaded"
            );
        }
        // What this transaction read, even if a newer version was put in force meanwhile:
        // the transaction's effects are ordered by what it read.
        Ok(fresh)
    }

    /// [`in_force`](Self::in_force) in a transaction of its own; `true` when what is in
    /// force changed.
    pub fn refresh<S: StateStore>(&self, store: &S) -> StoreResult<bool> {
        if !self.follows_store() {
            return Ok(false);
        }
        let before = self.version();
        store.transact(|txn| self.in_force(txn).map(|_| ()))?;
        Ok(self.version() != before)
    }

    /// Put definitions read (or written) at stored version `version` in force, unless
    /// what is in force is newer. Returns whether they were put in force.
    pub fn install(
        &self,
        version: u64,
        set: AudienceSet,
        calculated: braid_audiences::CalculatedSet,
    ) -> bool {
        let output = self.current().output;
        self.install_runtime(
            version,
            Arc::new(AudienceRuntime {
                set,
                output,
                calculated,
            }),
        )
    }

    fn install_runtime(&self, version: u64, runtime: Arc<AudienceRuntime>) -> bool {
        let mut slot = self.write();
        if slot.version.is_some_and(|held| held >= version) {
            return false;
        }
        slot.runtime = runtime;
        slot.version = Some(version);
        true
    }

    /// Put a new audience set in force (the output settings stay).
    pub fn replace_set(&self, set: AudienceSet) {
        let mut slot = self.write();
        let output = slot.runtime.output;
        let calculated = slot.runtime.calculated.clone();
        slot.runtime = Arc::new(AudienceRuntime {
            set,
            output,
            calculated,
        });
    }

    /// Put a new set of calculated attributes in force (audiences stay).
    pub fn replace_calculated(&self, calculated: braid_audiences::CalculatedSet) {
        let mut slot = self.write();
        slot.runtime = Arc::new(AudienceRuntime {
            set: slot.runtime.set.clone(),
            output: slot.runtime.output,
            calculated,
        });
    }
}

/// Counters from audience work, turned into metrics by the server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudienceReport {
    /// Users evaluated (one per batch or re-check or backfill step that had candidates).
    pub evaluations: u64,
    /// Memberships entered.
    pub entered: u64,
    /// Memberships left.
    pub left: u64,
    /// Membership changes not sent because the user has no Braze identifier.
    pub skipped_no_external_id: u64,
    /// (audience id, form) → times the audience was left out of a value to respect a
    /// Braze limit (`string` or `array`).
    pub truncated: BTreeMap<(u64, &'static str), u64>,
    /// Time-window re-checks run.
    pub rechecks: u64,
    /// Profiles visited by backfill and clean-up jobs.
    pub job_profiles: u64,
}

impl AudienceReport {
    fn record_overflow(&mut self, mpid: Mpid, overflow: &OverflowReport) {
        for (form, ids) in [
            ("string", &overflow.string_dropped),
            ("array", &overflow.array_dropped),
        ] {
            for id in ids {
                *self.truncated.entry((*id, form)).or_default() += 1;
            }
            if !ids.is_empty() {
                tracing::warn!(
                    mpid = mpid.0,
                    form,
                    audiences = ?ids,
                    "membership over Braze's limit: oldest memberships left out"
                );
            }
        }
    }
}

/// Re-evaluate `candidates` (every active audience when `None`) for `profile` at `now_ms`:
/// update its memberships and its re-check schedule, and return what changed.
pub fn reevaluate(
    txn: &mut dyn StateTxn,
    set: &AudienceSet,
    profile: &mut Profile,
    candidates: Option<&[u64]>,
    now_ms: i64,
    report: &mut AudienceReport,
) -> StoreResult<MembershipDelta> {
    let history = if set.retain_window_ms() > 0 {
        load_history(txn, profile.mpid, now_ms - set.retain_window_ms())?
    } else {
        Vec::new()
    };
    // Memberships of audiences deleted without clean-up are dropped here, so an audience
    // later re-created with the same id starts from the truth.
    profile.audiences.retain(|id, _| set.get(*id).is_some());
    let before: BTreeSet<u64> = profile.audiences.keys().copied().collect();
    let view = UserView {
        attributes: &profile.attributes,
        identities: &profile.identities,
        history: &history,
        memberships: &before,
        calculated: &profile.calculated,
    };
    let delta = set.evaluate_user(&view, candidates, now_ms);
    report.evaluations += 1;
    report.entered += delta.entered.len() as u64;
    report.left += delta.left.len() as u64;
    let after = delta.apply(&before);
    let next = set.next_expiry(
        &UserView {
            memberships: &after,
            ..view
        },
        now_ms,
    );
    // One re-check serves both: the earlier of the audiences' and the calculated
    // attributes' next expiry.
    let next = match (next, profile.calculated.next_expiry_ms) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    for id in &delta.left {
        profile.audiences.remove(id);
    }
    for id in &delta.entered {
        profile.audiences.insert(*id, now_ms);
    }
    reschedule(txn, profile, next)?;
    Ok(delta)
}

pub(crate) fn reschedule(
    txn: &mut dyn StateTxn,
    profile: &mut Profile,
    next: Option<i64>,
) -> StoreResult<()> {
    if next == profile.audience_recheck_ms {
        return Ok(());
    }
    if let Some(old) = profile.audience_recheck_ms {
        txn.cancel_recheck(profile.mpid, old)?;
    }
    if let Some(at) = next {
        txn.schedule_recheck(profile.mpid, at)?;
    }
    profile.audience_recheck_ms = next;
    Ok(())
}

pub(crate) fn load_history(
    txn: &mut dyn StateTxn,
    mpid: Mpid,
    since_ms: i64,
) -> StoreResult<Vec<EventRecord>> {
    txn.history(mpid, since_ms)?
        .into_iter()
        .map(|(_, v)| {
            serde_json::from_value(v).map_err(|e| StorageError::corrupt("history event", e))
        })
        .collect()
}

/// The memberships Braze should see: audiences still known and not deleted.
pub fn synced_memberships(set: &AudienceSet, profile: &Profile) -> Memberships {
    Memberships {
        ids_with_join_time: profile
            .audiences
            .iter()
            .filter(|(id, _)| {
                set.get(**id)
                    .is_some_and(|a| a.state != AudienceState::Deleted)
            })
            .map(|(id, joined)| (*id, *joined))
            .collect(),
    }
}

/// The `/users/track` attributes object for a membership change of `profile`, or `None`
/// when nothing is to be sent (sync off, no change, or no Braze identifier — counted).
pub fn membership_object(
    runtime: &AudienceRuntime,
    braze: &BrazeSettings,
    profile: &Profile,
    delta: &MembershipDelta,
    report: &mut AudienceReport,
) -> Option<TrackObject> {
    if !runtime.output.sync || delta.is_empty() {
        return None;
    }
    let memberships = synced_memberships(&runtime.set, profile);
    let (attributes, overflow) = membership_attributes(
        runtime.output.send_segments_as,
        &memberships,
        delta,
        &runtime.set,
        runtime.output.limits,
    );
    report.record_overflow(profile.mpid, &overflow);
    attributes_object(braze, profile, attributes, report)
}

fn attributes_object(
    braze: &BrazeSettings,
    profile: &Profile,
    attributes: Map<String, serde_json::Value>,
    report: &mut AudienceReport,
) -> Option<TrackObject> {
    if attributes.is_empty() {
        return None;
    }
    let object = user_attributes_object(braze, profile, attributes);
    if object.is_none() {
        // mParticle's rule: only users with the external identity get memberships.
        report.skipped_no_external_id += 1;
    }
    object
}

/// An attributes object for `profile` carrying `attributes`, addressed as the mapping
/// addresses the user (external id, or alias when anonymous users are forwarded);
/// `None` when the user has no Braze identifier.
pub(crate) fn user_attributes_object(
    braze: &BrazeSettings,
    profile: &Profile,
    attributes: Map<String, serde_json::Value>,
) -> Option<TrackObject> {
    let empty = Batch::default();
    let input = MappingInput {
        mpid: profile.mpid,
        identities_before: &profile.identities,
        identities: &profile.identities,
        attributes_before: &profile.attributes,
        attributes: &profile.attributes,
        batch: &empty,
        now_ms: 0,
    };
    let user = resolve_user(braze, &input)?;
    let mut body = Map::new();
    user.write_into(&mut body);
    body.extend(attributes);
    Some(TrackObject {
        array: TrackArray::Attributes,
        user,
        body,
    })
}

/// Fold a membership object into the batch's objects: into the user's first attributes
/// object when there is one (one object, one request slot), else in front (Braze
/// processes attributes first).
pub fn merge_into(objects: &mut Vec<TrackObject>, membership: TrackObject) {
    if let Some(existing) = objects
        .iter_mut()
        .find(|o| o.array == TrackArray::Attributes && o.user == membership.user)
    {
        existing.body.extend(membership.body);
    } else {
        objects.insert(0, membership);
    }
}

/// What to do once a clean-up job has visited every member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CleanupThen {
    /// Remove the audience from the definitions.
    Delete,
    /// Keep it, inactive.
    Deactivate,
}

/// What an audience job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum JobKind {
    /// Evaluate the audience (and its dependents) for every existing profile.
    Backfill,
    /// Take the audience out of every member's profile and out of Braze.
    Cleanup { then: CleanupThen },
}

/// A durable, resumable walk over every profile on behalf of one audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceJob {
    /// Job id, increasing.
    pub id: u64,
    pub audience_id: u64,
    #[serde(flatten)]
    pub kind: JobKind,
    /// Last MPID visited; the next chunk starts after it.
    pub after_mpid: Option<i64>,
    /// Profiles visited so far.
    pub processed: u64,
    /// Profiles in the store when the job was queued (progress denominator; profiles
    /// created meanwhile are evaluated by the pipeline itself).
    pub total: u64,
    /// Profiles whose membership the job changed.
    pub changed: u64,
    pub created_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_ms: Option<i64>,
}

impl AudienceJob {
    /// Whether the job has visited every profile.
    pub fn is_finished(&self) -> bool {
        self.finished_ms.is_some()
    }
}

/// Why a definition change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AudienceChangeError {
    #[error("{0}")]
    Invalid(DefinitionErrors),
    #[error("audience {0} does not exist")]
    NotFound(u64),
    #[error("audience {0} already exists")]
    Exists(u64),
    #[error("audience {id} has a clean-up job running (job {job}); wait for it to finish")]
    Busy { id: u64, job: u64 },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The stored definitions (empty when none were ever stored).
pub fn stored_definitions(txn: &mut dyn StateTxn) -> StoreResult<Vec<Audience>> {
    meta_list::read_list(txn, DEFINITIONS_KEY)
}

fn put_definitions(txn: &mut dyn StateTxn, set: &AudienceSet) -> StoreResult<()> {
    let all: Vec<&Audience> = set.audiences().collect();
    meta_list::write_list(txn, DEFINITIONS_KEY, &all)?;
    bump_definitions_version(txn).map(|_| ())
}

/// The stored definitions version: 0 until a definition was first stored, then one more
/// with every change to the audience or calculated-attribute definitions.
pub fn definitions_version(txn: &mut dyn StateTxn) -> StoreResult<u64> {
    match txn.meta(DEFINITIONS_VERSION_KEY)? {
        None => Ok(0),
        Some(v) => v.as_u64().ok_or_else(|| {
            StorageError::corrupt(DEFINITIONS_VERSION_KEY, "not a non-negative integer")
        }),
    }
}

/// Count one more definition change, in the transaction that stores it; the new version.
pub(crate) fn bump_definitions_version(txn: &mut dyn StateTxn) -> StoreResult<u64> {
    let next = definitions_version(txn)? + 1;
    txn.put_meta(DEFINITIONS_VERSION_KEY, &serde_json::json!(next))?;
    Ok(next)
}

/// Every definition as stored, at one version: what a node puts in force.
#[derive(Debug, Clone)]
pub struct StoredDefinitions {
    pub version: u64,
    pub set: AudienceSet,
    pub calculated: braid_audiences::CalculatedSet,
}

/// Read [`StoredDefinitions`] in `txn` (`array_limit`: the calculated attributes' array
/// limit, `audiences.max_array_len`).
pub fn read_stored(txn: &mut dyn StateTxn, array_limit: usize) -> StoreResult<StoredDefinitions> {
    let version = definitions_version(txn)?;
    let set = AudienceSet::new(stored_definitions(txn)?)
        .map_err(|e| StorageError::corrupt(DEFINITIONS_KEY, e))?;
    let calculated = braid_audiences::CalculatedSet::new(
        crate::calculated::stored_definitions(txn)?,
        array_limit,
    )
    .map_err(|e| StorageError::corrupt(crate::calculated::DEFINITIONS_KEY, e))?;
    Ok(StoredDefinitions {
        version,
        set,
        calculated,
    })
}

/// Every job, pending first (oldest first), then finished ones (newest last).
pub fn jobs(txn: &mut dyn StateTxn) -> StoreResult<Vec<AudienceJob>> {
    meta_list::read_list(txn, JOBS_KEY)
}

fn put_jobs(txn: &mut dyn StateTxn, all: Vec<AudienceJob>) -> StoreResult<()> {
    meta_list::write_jobs(txn, JOBS_KEY, all, AudienceJob::is_finished)
}

fn queue_job(
    txn: &mut dyn StateTxn,
    audience_id: u64,
    kind: JobKind,
    now_ms: i64,
) -> StoreResult<AudienceJob> {
    let mut all = jobs(txn)?;
    // A newer backfill of the same audience supersedes an unfinished one.
    if kind == JobKind::Backfill {
        all.retain(|j| {
            j.is_finished() || j.audience_id != audience_id || j.kind != JobKind::Backfill
        });
    }
    let id = all.iter().map(|j| j.id).max().unwrap_or(0) + 1;
    let job = AudienceJob {
        id,
        audience_id,
        kind,
        after_mpid: None,
        processed: 0,
        total: txn.profile_count()?,
        changed: 0,
        created_ms: now_ms,
        finished_ms: None,
    };
    all.push(job.clone());
    put_jobs(txn, all)?;
    Ok(job)
}

fn running_cleanup(txn: &mut dyn StateTxn, audience_id: u64) -> StoreResult<Option<u64>> {
    Ok(jobs(txn)?
        .into_iter()
        .find(|j| {
            !j.is_finished()
                && j.audience_id == audience_id
                && matches!(j.kind, JobKind::Cleanup { .. })
        })
        .map(|j| j.id))
}

/// Create (`replace = false`) or replace an audience. Stores the new definitions and,
/// for an active audience, queues its backfill. Returns the new set (to put in force
/// after the transaction commits) and the job.
pub fn put_audience(
    txn: &mut dyn StateTxn,
    current: &AudienceSet,
    audience: Audience,
    replace: bool,
    now_ms: i64,
) -> Result<(AudienceSet, Option<AudienceJob>), AudienceChangeError> {
    let id = audience.id;
    match (current.get(id), replace) {
        (Some(_), false) => return Err(AudienceChangeError::Exists(id)),
        (None, true) => return Err(AudienceChangeError::NotFound(id)),
        _ => {}
    }
    if let Some(job) = running_cleanup(txn, id)? {
        return Err(AudienceChangeError::Busy { id, job });
    }
    let active = audience.state == AudienceState::Active;
    let set = current
        .with_audience(audience)
        .map_err(AudienceChangeError::Invalid)?;
    put_definitions(txn, &set)?;
    let job = if active {
        Some(queue_job(txn, id, JobKind::Backfill, now_ms)?)
    } else {
        None
    };
    Ok((set, job))
}

/// Delete (`then = Delete`) or deactivate an audience. Without clean-up, evaluation
/// stops at once and Braze keeps what it has (mParticle's behaviour); with clean-up, the
/// audience stops being evaluated and a job takes it out of every member's Braze profile
/// first.
pub fn retire_audience(
    txn: &mut dyn StateTxn,
    current: &AudienceSet,
    id: u64,
    then: CleanupThen,
    cleanup: bool,
    now_ms: i64,
) -> Result<(AudienceSet, Option<AudienceJob>), AudienceChangeError> {
    let Some(audience) = current.get(id).cloned() else {
        return Err(AudienceChangeError::NotFound(id));
    };
    if let Some(job) = running_cleanup(txn, id)? {
        return Err(AudienceChangeError::Busy { id, job });
    }
    let set = match (then, cleanup) {
        (CleanupThen::Delete, false) => current.without(id),
        // During the clean-up the audience is kept (deleted state: never evaluated, not
        // listed) so its `In <name>` attribute is known; it goes when the job is done.
        (CleanupThen::Delete, true) => current.with_audience(Audience {
            state: AudienceState::Deleted,
            ..audience
        }),
        (CleanupThen::Deactivate, _) => current.with_audience(Audience {
            state: AudienceState::Inactive,
            ..audience
        }),
    }
    .map_err(AudienceChangeError::Invalid)?;
    put_definitions(txn, &set)?;
    let job = if cleanup {
        Some(queue_job(txn, id, JobKind::Cleanup { then }, now_ms)?)
    } else {
        None
    };
    Ok((set, job))
}

/// A membership write the caller must send through the delta step and the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipWrite {
    pub mpid: Mpid,
    pub object: TrackObject,
}

/// What one chunk of job work did.
#[derive(Debug, Default)]
pub struct JobStep {
    /// Objects to send, in profile order.
    pub writes: Vec<MembershipWrite>,
    /// A new set to put in force after commit (a deleted audience whose clean-up ended).
    pub new_set: Option<AudienceSet>,
    /// Whether there was a pending job.
    pub worked: bool,
}

/// Advance the oldest pending job by up to `chunk` profiles.
pub fn run_job_step(
    txn: &mut dyn StateTxn,
    runtime: &AudienceRuntime,
    braze: &BrazeSettings,
    chunk: usize,
    now_ms: i64,
    report: &mut AudienceReport,
) -> StoreResult<JobStep> {
    let mut all = jobs(txn)?;
    let Some(index) = all.iter().position(|j| !j.is_finished()) else {
        return Ok(JobStep::default());
    };
    let mut step = JobStep {
        worked: true,
        ..JobStep::default()
    };
    let job = &mut all[index];
    // The admin API stores a definition change and queues its job in one transaction,
    // then puts the new set in force; a step in between would run the job against the
    // old set. Wait for the swap instead.
    let stored = stored_definitions(txn)?;
    let stored_audience = stored.iter().find(|a| a.id == job.audience_id);
    if stored_audience != runtime.set.get(job.audience_id) {
        return Ok(step);
    }
    let profiles = txn.profiles_after(job.after_mpid.map(Mpid), chunk)?;
    let fetched = profiles.len();
    let set = &runtime.set;
    let audience = set.get(job.audience_id).cloned();
    let mut candidates = vec![job.audience_id];
    candidates.extend(set.dependents_of(job.audience_id));
    for mut profile in profiles {
        job.after_mpid = Some(profile.mpid.0);
        job.processed += 1;
        report.job_profiles += 1;
        let object = match (job.kind, &audience) {
            (JobKind::Backfill, Some(a)) if a.state == AudienceState::Active => {
                let delta = reevaluate(txn, set, &mut profile, Some(&candidates), now_ms, report)?;
                if delta.is_empty() {
                    continue;
                }
                job.changed += 1;
                txn.put_profile(&profile)?;
                membership_object(runtime, braze, &profile, &delta, report)
            }
            // The audience changed state or went away since the job was queued.
            (JobKind::Backfill, _) => continue,
            (JobKind::Cleanup { .. }, _) => {
                if profile.audiences.remove(&job.audience_id).is_none() {
                    continue;
                }
                job.changed += 1;
                report.left += 1;
                txn.put_profile(&profile)?;
                match (&audience, runtime.output.sync) {
                    (Some(a), true) => {
                        let (attributes, overflow) = cleanup_attributes(
                            runtime.output.send_segments_as,
                            a,
                            &synced_memberships(set, &profile),
                            runtime.output.limits,
                        );
                        report.record_overflow(profile.mpid, &overflow);
                        attributes_object(braze, &profile, attributes, report)
                    }
                    _ => None,
                }
            }
        };
        if let Some(object) = object {
            step.writes.push(MembershipWrite {
                mpid: profile.mpid,
                object,
            });
        }
    }
    let done = fetched < chunk || txn.profiles_after(job.after_mpid.map(Mpid), 1)?.is_empty();
    if done {
        job.finished_ms = Some(now_ms);
        tracing::info!(
            job = job.id,
            audience = job.audience_id,
            kind = ?job.kind,
            processed = job.processed,
            changed = job.changed,
            "audience job finished"
        );
        if job.kind
            == (JobKind::Cleanup {
                then: CleanupThen::Delete,
            })
        {
            let without = set
                .without(job.audience_id)
                .map_err(|e| StorageError::corrupt("audience definitions", e))?;
            put_definitions(txn, &without)?;
            step.new_set = Some(without);
        }
    }
    put_jobs(txn, all)?;
    Ok(step)
}

/// Run up to `max` re-checks due at `now_ms`: users whose time-windowed audiences may
/// have changed with time alone.
pub fn run_due_rechecks(
    txn: &mut dyn StateTxn,
    runtime: &AudienceRuntime,
    braze: &BrazeSettings,
    now_ms: i64,
    max: usize,
    report: &mut AudienceReport,
    calculated_report: &mut crate::calculated::CalculatedReport,
) -> StoreResult<Vec<MembershipWrite>> {
    let due = txn.due_rechecks(now_ms, max)?;
    let candidates = runtime.set.time_sensitive();
    let mut writes = Vec::new();
    for (at, mpid) in due {
        txn.cancel_recheck(mpid, at)?;
        let Some(mut profile) = txn.profile(mpid)? else {
            continue;
        };
        if profile.audience_recheck_ms != Some(at) {
            // A stale entry: the profile was rescheduled since.
            continue;
        }
        profile.audience_recheck_ms = None;
        report.rechecks += 1;
        // Calculated values first: audiences may read them.
        let changed =
            crate::calculated::expire(&runtime.calculated, &mut profile, now_ms, calculated_report);
        let object = crate::calculated::after_change(
            txn,
            runtime,
            braze,
            &mut profile,
            &changed,
            &candidates,
            now_ms,
            report,
            calculated_report,
        )?;
        txn.put_profile(&profile)?;
        if let Some(object) = object {
            writes.push(MembershipWrite { mpid, object });
        }
    }
    Ok(writes)
}

/// At start-up: the stored definitions with the config file's applied on top (a file
/// definition replaces a stored one with the same id). Every file definition that is new
/// or changed, and active, gets a backfill job. Returns the set to put in force and the
/// jobs queued.
pub fn load_definitions(
    txn: &mut dyn StateTxn,
    from_config: &[Audience],
    now_ms: i64,
) -> Result<(AudienceSet, Vec<AudienceJob>), AudienceChangeError> {
    let stored = stored_definitions(txn)?;
    let mut set = AudienceSet::new(stored.clone()).map_err(AudienceChangeError::Invalid)?;
    let mut changed = Vec::new();
    for audience in from_config {
        if set.get(audience.id) != Some(audience) {
            changed.push(audience.id);
            set = set
                .with_audience(audience.clone())
                .map_err(AudienceChangeError::Invalid)?;
        }
    }
    if changed.is_empty() {
        return Ok((set, Vec::new()));
    }
    put_definitions(txn, &set)?;
    let mut queued = Vec::new();
    for id in changed {
        if set
            .get(id)
            .is_some_and(|a| a.state == AudienceState::Active)
        {
            queued.push(queue_job(txn, id, JobKind::Backfill, now_ms)?);
        }
    }
    Ok((set, queued))
}

/// A definition change's error: a refusal, or a storage failure.
pub trait ChangeError: From<StorageError> {
    /// The storage failure, or the refusal itself.
    fn into_storage(self) -> Result<StorageError, Self>;
}

impl ChangeError for AudienceChangeError {
    fn into_storage(self) -> Result<StorageError, Self> {
        match self {
            AudienceChangeError::Storage(e) => Ok(e),
            other => Err(other),
        }
    }
}

/// Run a definition change in one transaction: committed when `f` succeeds, rolled back
/// when it refuses the change or storage fails.
pub fn transact_change<S: StateStore, T, E: ChangeError>(
    state: &S,
    f: impl FnOnce(&mut dyn StateTxn) -> Result<T, E>,
) -> Result<T, E> {
    let mut refused = None;
    let outcome = state.transact(|txn| match f(txn).map_err(E::into_storage) {
        Ok(value) => Ok(value),
        Err(Ok(e)) => Err(e),
        Err(Err(other)) => {
            refused = Some(other);
            Err(StorageError::Backend("change refused".into()))
        }
    });
    match (outcome, refused) {
        (_, Some(refusal)) => Err(refusal),
        (Ok(value), None) => Ok(value),
        (Err(e), None) => Err(e.into()),
    }
}
