//! Calculated attributes inside the pipeline: updating a user's values in the same
//! transaction as the batch that changed them, the feed that writes each changed value to
//! Braze as a custom attribute (through the delta step, the ledger and the outbox like
//! everything else), expiry of sliding windows on the shared re-check schedule, and the
//! durable backfill job that computes a new or changed definition for every profile.
//!
//! The calculation itself is pure (`braid_audiences::calculated_attributes`); this module
//! owns where definitions are kept (meta key [`DEFINITIONS_KEY`]), the jobs (meta key
//! [`JOBS_KEY`]), and how a value reaches Braze and the audiences that read it.

use crate::membership::{
    self as audiences, AudienceReport, AudienceRuntime, ChangeError, MembershipWrite,
};
use crate::meta_list;
use crate::profile::Profile;
use crate::storage::{StateTxn, StoreResult};
use crate::StorageError;
use braid_audiences::calculated_attributes::{
    CalculatedAttribute, CalculatedSet, CalculatedState, StoredAttribute, Window,
};
use braid_audiences::{AudienceSet, Change, DefinitionErrors, EventRecord};
use braid_braze::settings::BrazeSettings;
use braid_braze::wire::{TrackArray, TrackObject};
use braid_mparticle::Mpid;
use serde::{Deserialize, Serialize};

/// Meta key of the stored definitions (every calculated attribute, any state).
pub const DEFINITIONS_KEY: &str = "calculated_attribute_definitions";
/// Meta key of the backfill jobs (pending first, then the most recent finished ones).
pub const JOBS_KEY: &str = "calculated_attribute_jobs";
const DAY_MS: i64 = 86_400_000;

/// Counters from calculated-attribute work, turned into metrics by the server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CalculatedReport {
    /// Values that changed (each is one custom attribute for Braze).
    pub changed: u64,
    /// Users whose values were rebuilt from history (a definition changed since).
    pub rebuilds: u64,
    /// Values changed by time alone (a day leaving a sliding window).
    pub expired: u64,
    /// Profiles visited by backfill jobs.
    pub job_profiles: u64,
    /// Changed values not sent because the user has no Braze identifier.
    pub skipped_no_external_id: u64,
}

/// Count a batch's `records` into `profile`'s calculated attributes. A profile that
/// existed before an attribute was defined (or changed) is first rebuilt from its
/// history. Returns the names whose value changed.
pub fn apply_batch(
    txn: &mut dyn StateTxn,
    set: &CalculatedSet,
    profile: &mut Profile,
    records: &[EventRecord],
    created: bool,
    now_ms: i64,
    report: &mut CalculatedReport,
) -> StoreResult<Vec<String>> {
    if !set.has_active() {
        if !profile.calculated.is_empty() {
            set.prune(&mut profile.calculated);
        }
        return Ok(Vec::new());
    }
    set.prune(&mut profile.calculated);
    let history = if !created && set.needs_rebuild(&profile.calculated) {
        report.rebuilds += 1;
        Some(audiences::load_history(txn, profile.mpid, i64::MIN)?)
    } else {
        None
    };
    let changed = set.apply(&mut profile.calculated, records, history.as_deref(), now_ms);
    report.changed += changed.len() as u64;
    schedule(txn, profile)?;
    Ok(changed)
}

/// Keep the profile's re-check no later than its next calculated expiry (audience
/// evaluation folds the same value in when it reschedules).
fn schedule(txn: &mut dyn StateTxn, profile: &mut Profile) -> StoreResult<()> {
    let next = match (
        profile.calculated.next_expiry_ms,
        profile.audience_recheck_ms,
    ) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    audiences::reschedule(txn, profile, next)
}

/// Fold the feed into a batch's objects: the changed values (with
/// `include_enriched_user_attributes`, every value whenever the user's attributes are
/// sent) as custom attributes of the user's attributes object.
pub fn merge_feed(
    runtime: &AudienceRuntime,
    braze: &BrazeSettings,
    profile: &Profile,
    changed: &[String],
    objects: &mut Vec<TrackObject>,
    report: &mut CalculatedReport,
) {
    let set = &runtime.calculated;
    if !set.has_active() {
        return;
    }
    let attributes = if braze.include_enriched_user_attributes {
        let sending_attributes = objects.iter().any(|o| o.array == TrackArray::Attributes);
        if changed.is_empty() && !sending_attributes {
            return;
        }
        set.all_braze_attributes(&profile.calculated)
    } else {
        set.braze_attributes(&profile.calculated, changed)
    };
    if attributes.is_empty() {
        return;
    }
    match audiences::user_attributes_object(braze, profile, attributes) {
        Some(object) => audiences::merge_into(objects, object),
        None => report.skipped_no_external_id += 1,
    }
}

/// Re-check step for one due profile: expire its sliding windows at `now_ms`. Returns
/// the names whose value changed.
pub fn expire(
    set: &CalculatedSet,
    profile: &mut Profile,
    now_ms: i64,
    report: &mut CalculatedReport,
) -> Vec<String> {
    let changed = set.expire(&mut profile.calculated, now_ms);
    report.expired += changed.len() as u64;
    report.changed += changed.len() as u64;
    changed
}

/// The objects for values that changed outside a batch (expiry, backfill), with the
/// membership changes they caused, for one profile; re-schedules its re-check.
#[allow(clippy::too_many_arguments)]
pub fn after_change(
    txn: &mut dyn StateTxn,
    runtime: &AudienceRuntime,
    braze: &BrazeSettings,
    profile: &mut Profile,
    changed: &[String],
    extra_candidates: &[u64],
    now_ms: i64,
    audience_report: &mut AudienceReport,
    report: &mut CalculatedReport,
) -> StoreResult<Option<TrackObject>> {
    let mut change = Change::default();
    change.calculated.extend(changed.iter().cloned());
    let mut candidates: Vec<u64> = runtime.set.affected_by(&change);
    candidates.extend(extra_candidates.iter().copied());
    candidates.sort_unstable();
    candidates.dedup();
    if candidates.is_empty() && changed.is_empty() {
        schedule(txn, profile)?;
        return Ok(None);
    }
    let delta = audiences::reevaluate(
        txn,
        &runtime.set,
        profile,
        Some(&candidates),
        now_ms,
        audience_report,
    )?;
    let mut objects = Vec::new();
    if let Some(object) =
        audiences::membership_object(runtime, braze, profile, &delta, audience_report)
    {
        objects.push(object);
    }
    let feed = runtime
        .calculated
        .braze_attributes(&profile.calculated, changed);
    if !feed.is_empty() {
        match audiences::user_attributes_object(braze, profile, feed) {
            Some(object) => audiences::merge_into(&mut objects, object),
            None => report.skipped_no_external_id += 1,
        }
    }
    Ok(objects.into_iter().next())
}

/// Why a definition change was refused.
#[derive(Debug, thiserror::Error)]
pub enum CalculatedChangeError {
    #[error("{0}")]
    Invalid(DefinitionErrors),
    #[error("calculated attribute {0:?} does not exist")]
    NotFound(String),
    #[error("calculated attribute {0:?} already exists")]
    Exists(String),
    #[error("calculated attribute {name:?} is used by audience {audience} ({path}); change that audience first")]
    InUse {
        name: String,
        audience: u64,
        path: String,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ChangeError for CalculatedChangeError {
    fn into_storage(self) -> Result<StorageError, Self> {
        match self {
            CalculatedChangeError::Storage(e) => Ok(e),
            other => Err(other),
        }
    }
}

/// A durable, resumable walk over every profile computing one calculated attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalculatedJob {
    /// Job id, increasing.
    pub id: u64,
    /// The calculated attribute.
    pub attribute: String,
    /// The definition revision the job computes.
    pub revision: u64,
    /// Last MPID visited; the next chunk starts after it.
    pub after_mpid: Option<i64>,
    /// Profiles visited so far.
    pub processed: u64,
    /// Profiles in the store when the job was queued.
    pub total: u64,
    /// Profiles whose value the job changed.
    pub changed: u64,
    pub created_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_ms: Option<i64>,
    /// Set when the window reaches further back than the history braid keeps: the
    /// values count only the events since then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_limit: Option<String>,
}

impl CalculatedJob {
    /// Whether the job has visited every profile.
    pub fn is_finished(&self) -> bool {
        self.finished_ms.is_some()
    }
}

/// Why a backfill of `window` cannot see everything, with history kept for
/// `retention_ms`: `None` when the history covers the window.
fn history_limit(window: Window, retention_ms: i64, now_ms: i64) -> Option<String> {
    let kept_from = now_ms - retention_ms;
    let days = retention_ms / DAY_MS;
    let from = braid_audiences::calculated_attributes::braze_time(kept_from);
    match window.start_ms(now_ms) {
        Some(start) if start >= kept_from => None,
        Some(_) | None => Some(format!(
            "braid keeps {days} days of event history (server.history_retention_days): the backfill counts events since {from}; later events are counted in full"
        )),
    }
}

/// The stored definitions (empty when none were ever stored).
pub fn stored_definitions(txn: &mut dyn StateTxn) -> StoreResult<Vec<StoredAttribute>> {
    meta_list::read_list(txn, DEFINITIONS_KEY)
}

fn put_definitions(txn: &mut dyn StateTxn, set: &CalculatedSet) -> StoreResult<()> {
    let all: Vec<&StoredAttribute> = set.definitions().collect();
    meta_list::write_list(txn, DEFINITIONS_KEY, &all)?;
    audiences::bump_definitions_version(txn).map(|_| ())
}

/// Every job, pending first (oldest first), then finished ones.
pub fn jobs(txn: &mut dyn StateTxn) -> StoreResult<Vec<CalculatedJob>> {
    meta_list::read_list(txn, JOBS_KEY)
}

fn put_jobs(txn: &mut dyn StateTxn, all: Vec<CalculatedJob>) -> StoreResult<()> {
    meta_list::write_jobs(txn, JOBS_KEY, all, CalculatedJob::is_finished)
}

fn queue_job(
    txn: &mut dyn StateTxn,
    set: &CalculatedSet,
    name: &str,
    retention_ms: i64,
    now_ms: i64,
) -> StoreResult<Option<CalculatedJob>> {
    let (Some(stored), Some(active)) = (set.get(name), set.active(name)) else {
        return Ok(None);
    };
    let mut all = jobs(txn)?;
    // A newer backfill of the same attribute supersedes an unfinished one.
    all.retain(|j| j.is_finished() || j.attribute != name);
    let id = all.iter().map(|j| j.id).max().unwrap_or(0) + 1;
    let job = CalculatedJob {
        id,
        attribute: name.to_string(),
        revision: stored.revision,
        after_mpid: None,
        processed: 0,
        total: txn.profile_count()?,
        changed: 0,
        created_ms: now_ms,
        finished_ms: None,
        history_limit: history_limit(active.window(), retention_ms, now_ms),
    };
    all.push(job.clone());
    put_jobs(txn, all)?;
    Ok(Some(job))
}

/// Create (`replace = false`) or replace a calculated attribute. Stores the new
/// definitions and, when the calculation is new or changed and active, queues its
/// backfill. Returns the new set (to put in force after commit) and the job.
pub fn put_attribute(
    txn: &mut dyn StateTxn,
    current: &CalculatedSet,
    audiences_in_force: &AudienceSet,
    definition: CalculatedAttribute,
    replace: bool,
    retention_ms: i64,
    now_ms: i64,
) -> Result<(CalculatedSet, Option<CalculatedJob>), CalculatedChangeError> {
    let name = definition.name.clone();
    match (current.get(&name), replace) {
        (Some(_), false) => return Err(CalculatedChangeError::Exists(name)),
        (None, true) => return Err(CalculatedChangeError::NotFound(name)),
        _ => {}
    }
    let (set, backfill) = current
        .with_attribute(definition)
        .map_err(CalculatedChangeError::Invalid)?;
    check_references(audiences_in_force, &set)?;
    put_definitions(txn, &set)?;
    let job = if backfill {
        queue_job(txn, &set, &name, retention_ms, now_ms)?
    } else {
        None
    };
    Ok((set, job))
}

/// Delete a calculated attribute: it is no longer computed or sent, and Braze keeps the
/// last value it got. Refused while an audience reads it.
pub fn delete_attribute(
    txn: &mut dyn StateTxn,
    current: &CalculatedSet,
    audiences_in_force: &AudienceSet,
    name: &str,
) -> Result<(CalculatedSet, Option<CalculatedJob>), CalculatedChangeError> {
    if current.get(name).is_none() {
        return Err(CalculatedChangeError::NotFound(name.to_string()));
    }
    let set = current
        .without(name)
        .map_err(CalculatedChangeError::Invalid)?;
    check_references(audiences_in_force, &set)?;
    put_definitions(txn, &set)?;
    let mut all = jobs(txn)?;
    all.retain(|j| j.is_finished() || j.attribute != name);
    put_jobs(txn, all)?;
    Ok((set, None))
}

/// Every calculated attribute an audience reads must exist and be active: a deletion
/// or deactivation that would break an audience is refused.
pub fn check_references(
    audiences_in_force: &AudienceSet,
    set: &CalculatedSet,
) -> Result<(), CalculatedChangeError> {
    match first_missing(audiences_in_force, set) {
        Some((audience, name, path)) => Err(CalculatedChangeError::InUse {
            name,
            audience,
            path,
        }),
        None => Ok(()),
    }
}

/// The first audience criterion naming a calculated attribute that is not active, as a
/// definition error of that audience (an audience change that would read one is refused).
pub fn unknown_reference(
    audiences_in_force: &AudienceSet,
    set: &CalculatedSet,
) -> Option<braid_audiences::DefinitionError> {
    let (audience, name, path) = first_missing(audiences_in_force, set)?;
    Some(braid_audiences::DefinitionError {
        audience: format!("audience (id {audience})"),
        path,
        reason: format!("no active calculated attribute {name:?}"),
    })
}

fn first_missing(
    audiences_in_force: &AudienceSet,
    set: &CalculatedSet,
) -> Option<(u64, String, String)> {
    audiences_in_force
        .calculated_references()
        .into_iter()
        .find(|(_, name, _)| {
            !set.get(name)
                .is_some_and(|s| s.definition.state == CalculatedState::Active)
        })
}

/// At start-up: the stored definitions with the config file's applied on top (a file
/// definition replaces a stored one with the same name). Every file definition whose
/// calculation is new or changed, and active, gets a backfill job.
pub fn load_definitions(
    txn: &mut dyn StateTxn,
    from_config: &[CalculatedAttribute],
    array_limit: usize,
    retention_ms: i64,
    now_ms: i64,
) -> Result<(CalculatedSet, Vec<CalculatedJob>), CalculatedChangeError> {
    let stored = stored_definitions(txn)?;
    let mut set =
        CalculatedSet::new(stored, array_limit).map_err(CalculatedChangeError::Invalid)?;
    let mut to_backfill = Vec::new();
    let mut changed = false;
    for definition in from_config {
        if set.get(&definition.name).map(|s| &s.definition) == Some(definition) {
            continue;
        }
        changed = true;
        let name = definition.name.clone();
        let (next, backfill) = set
            .with_attribute(definition.clone())
            .map_err(CalculatedChangeError::Invalid)?;
        set = next;
        if backfill {
            to_backfill.push(name);
        }
    }
    if !changed {
        return Ok((set, Vec::new()));
    }
    put_definitions(txn, &set)?;
    let mut queued = Vec::new();
    for name in to_backfill {
        queued.extend(queue_job(txn, &set, &name, retention_ms, now_ms)?);
    }
    Ok((set, queued))
}

/// What one chunk of backfill work did.
#[derive(Debug, Default)]
pub struct CalculatedJobStep {
    /// Objects to send, in profile order.
    pub writes: Vec<MembershipWrite>,
    /// Whether there was a pending job.
    pub worked: bool,
}

/// Advance the oldest pending backfill by up to `chunk` profiles.
pub fn run_job_step(
    txn: &mut dyn StateTxn,
    runtime: &AudienceRuntime,
    braze: &BrazeSettings,
    chunk: usize,
    now_ms: i64,
    audience_report: &mut AudienceReport,
    report: &mut CalculatedReport,
) -> StoreResult<CalculatedJobStep> {
    let mut all = jobs(txn)?;
    let Some(index) = all.iter().position(|j| !j.is_finished()) else {
        return Ok(CalculatedJobStep::default());
    };
    let mut step = CalculatedJobStep {
        worked: true,
        ..CalculatedJobStep::default()
    };
    let job = &mut all[index];
    let set = &runtime.calculated;
    // The admin API stores a change and queues its job in one transaction, then puts the
    // new set in force; wait for the swap rather than run against the old set.
    if set.get(&job.attribute).map(|s| s.revision) != Some(job.revision) {
        let stored = stored_definitions(txn)?;
        let still_wanted = stored
            .iter()
            .any(|s| s.definition.name == job.attribute && s.revision == job.revision);
        if still_wanted {
            return Ok(step);
        }
        // Superseded or deleted meanwhile: nothing left to do.
        job.finished_ms = Some(now_ms);
        put_jobs(txn, all)?;
        return Ok(step);
    }
    let profiles = txn.profiles_after(job.after_mpid.map(Mpid), chunk)?;
    let fetched = profiles.len();
    for mut profile in profiles {
        job.after_mpid = Some(profile.mpid.0);
        job.processed += 1;
        report.job_profiles += 1;
        let history = audiences::load_history(txn, profile.mpid, i64::MIN)?;
        let changed = set.rebuild(&job.attribute, &mut profile.calculated, &history, now_ms);
        let changed: Vec<String> = if changed {
            job.changed += 1;
            report.changed += 1;
            vec![job.attribute.clone()]
        } else {
            Vec::new()
        };
        let object = after_change(
            txn,
            runtime,
            braze,
            &mut profile,
            &changed,
            &[],
            now_ms,
            audience_report,
            report,
        )?;
        txn.put_profile(&profile)?;
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
            attribute = %job.attribute,
            processed = job.processed,
            changed = job.changed,
            "calculated attribute backfill finished"
        );
    }
    put_jobs(txn, all)?;
    Ok(step)
}
