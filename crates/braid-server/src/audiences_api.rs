//! The audience part of the admin API (`/api/v1/audiences...`): list, create, replace,
//! deactivate and delete audiences (durably, with backfill and clean-up jobs whose
//! progress is shown), and the overflow check behind `braid audiences check`.

use crate::admin::AdminError;
use crate::app::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use braid_audiences::{
    check_overflow, Audience, AudienceSet, AudienceState, Memberships, SendSegmentsAs, UserView,
};
use braid_core::clock::now_ms;
use braid_core::membership::{self, AudienceChangeError, AudienceJob, CleanupThen};
use braid_core::storage::StateStore;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The audience routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/audiences", get(list).post(create))
        .route("/api/v1/audiences/check", post(check))
        .route("/api/v1/audiences/jobs", get(list_jobs))
        .route("/api/v1/audiences/jobs/{job}", get(get_job))
        .route(
            "/api/v1/audiences/{id}",
            get(get_one).put(replace).delete(delete),
        )
        .route("/api/v1/audiences/{id}/deactivate", post(deactivate))
}

/// A job as the API shows it: the stored fields plus progress.
fn job_json(job: &AudienceJob) -> Value {
    with_progress(job, job.processed, job.total, job.is_finished())
}

/// A stored job plus `done` and `progress` (0 to 1; 1 only once done): how the admin
/// API shows every profile-walking job.
pub(crate) fn with_progress(
    job: &impl serde::Serialize,
    processed: u64,
    total: u64,
    done: bool,
) -> Value {
    let mut v = serde_json::to_value(job).unwrap_or(Value::Null);
    let progress = if done {
        1.0
    } else if total == 0 {
        0.0
    } else {
        (processed as f64 / total as f64).min(0.999)
    };
    if let Value::Object(map) = &mut v {
        map.insert("done".into(), Value::Bool(done));
        map.insert("progress".into(), json!(progress));
    }
    v
}

fn parse_audience(body: Value) -> Result<Audience, AdminError> {
    Audience::from_json(body).map_err(|e| AdminError::BadRequest(e.to_string()))
}

fn parse_id(id: &str) -> Result<u64, AdminError> {
    id.parse()
        .map_err(|_| AdminError::BadRequest(format!("id: `{id}` is not a non-negative integer")))
}

async fn all_jobs(state: &AppState) -> Result<Vec<AudienceJob>, AdminError> {
    let store = state.store.clone();
    Ok(tokio::task::spawn_blocking(move || store.transact(|txn| membership::jobs(txn))).await??)
}

async fn list(State(state): State<Arc<AppState>>) -> Result<Response, AdminError> {
    let runtime = in_force(&state).await;
    let jobs = all_jobs(&state).await?;
    let audiences: Vec<&Audience> = runtime.set.audiences().collect();
    let pending: Vec<Value> = jobs
        .iter()
        .filter(|j| !j.is_finished())
        .map(job_json)
        .collect();
    Ok((
        StatusCode::OK,
        Json(json!({
            "audiences": audiences,
            "pending_jobs": pending,
            "send_segments_as": runtime.output.send_segments_as,
            "sync": runtime.output.sync,
        })),
    )
        .into_response())
}

async fn get_one(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let id = parse_id(&id)?;
    match in_force(&state).await.set.get(id) {
        Some(a) => Ok((StatusCode::OK, Json(json!(a))).into_response()),
        None => Err(AudienceChangeError::NotFound(id).into()),
    }
}

/// What is in force, first brought up to date with the stored definitions when the
/// handle follows the store (the distributed backend: another node's admin API may have
/// changed them). A store that does not answer leaves what is in force, with a warning.
pub(crate) async fn in_force(state: &AppState) -> Arc<membership::AudienceRuntime> {
    if state.audiences.follows_store() {
        let (handle, store) = (state.audiences.clone(), state.store.clone());
        match tokio::task::spawn_blocking(move || handle.refresh(&store)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot read the stored definitions; answering with the ones in force")
            }
            Err(e) => tracing::warn!(error = %e, "definitions refresh panicked"),
        }
    }
    state.audiences.current()
}

/// Apply a definition change durably, then put the new set in force and wake the worker.
///
/// The change starts from the stored definitions, read in its own transaction, not from
/// the ones in force here: on the distributed backend another node may have changed them
/// a moment ago, and PostgreSQL refuses one of two changes racing on them.
async fn apply_change(
    state: &Arc<AppState>,
    change: impl Fn(
            &mut dyn braid_core::storage::StateTxn,
            &AudienceSet,
            i64,
        ) -> Result<(AudienceSet, Option<AudienceJob>), AudienceChangeError>
        + Send
        + Sync
        + 'static,
) -> Result<(AudienceSet, Option<AudienceJob>), AdminError> {
    let _serialised = state.audience_changes.lock().await;
    let change = Arc::new(change);
    let array_limit = state.config.audiences.max_array_len;
    let (set, calculated, version, job) = with_conflict_retries(|| {
        let (store, change) = (state.store.clone(), change.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                membership::transact_change(&store, |txn| {
                    let stored = membership::read_stored(txn, array_limit)?;
                    let (set, job) = change(txn, &stored.set, now_ms())?;
                    // An audience may only read calculated attributes that are active.
                    if let Some(e) =
                        braid_core::calculated::unknown_reference(&set, &stored.calculated)
                    {
                        return Err(AudienceChangeError::Invalid(
                            braid_audiences::DefinitionErrors(vec![e]),
                        ));
                    }
                    // The version this change stored (its own write, counted up).
                    let version = membership::definitions_version(txn)?;
                    Ok((set, stored.calculated, version, job))
                })
            })
            .await
            .map_err(|e| {
                AudienceChangeError::Storage(braid_core::StorageError::operation(
                    "definition change",
                    e,
                ))
            })?
        }
    })
    .await?;
    state.audiences.install(version, set.clone(), calculated);
    if let Some(job) = &job {
        tracing::info!(job = job.id, audience = job.audience_id, kind = ?job.kind, "audience job queued");
        state.audience_work.notify_one();
    }
    Ok((set, job))
}

/// Attempts at a definition change that lost a race in PostgreSQL: with another node's
/// change, or with pipeline transactions, which read the definitions version while the
/// change counts the profiles for its job's progress (under load, most attempts overlap
/// one; as many as a pipeline transaction gets).
const CHANGE_ATTEMPTS: u32 = 20;

/// Run a definition change again while it loses races (nothing of a lost attempt was
/// stored); any other outcome is returned as it is.
pub(crate) async fn with_conflict_retries<T, E, F, Fut>(attempt: F) -> Result<T, E>
where
    E: membership::ChangeError,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await.map_err(E::into_storage) {
            Ok(value) => return Ok(value),
            Err(Ok(e)) if e.is_conflict() && tries < CHANGE_ATTEMPTS => {
                tracing::debug!(attempt = tries, error = %e, "definition change lost a race; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(10 * u64::from(tries))).await;
            }
            Err(Ok(e)) => return Err(E::from(e)),
            Err(Err(refusal)) => return Err(refusal),
        }
    }
}

fn changed_response(
    status: StatusCode,
    set: &AudienceSet,
    id: u64,
    job: Option<AudienceJob>,
) -> Response {
    (
        status,
        Json(json!({
            "audience": set.get(id),
            "job": job.as_ref().map(job_json),
        })),
    )
        .into_response()
}

async fn create(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> Result<Response, AdminError> {
    let audience = parse_audience(body)?;
    let id = audience.id;
    let (set, job) = apply_change(&state, move |txn, set, now| {
        membership::put_audience(txn, set, audience.clone(), false, now)
    })
    .await?;
    Ok(changed_response(StatusCode::CREATED, &set, id, job))
}

async fn replace(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Json(mut body): Json<Value>,
) -> Result<Response, AdminError> {
    let id = parse_id(&id)?;
    if let Value::Object(map) = &mut body {
        match map.get("id") {
            None => {
                map.insert("id".into(), json!(id));
            }
            Some(v) if v.as_u64() == Some(id) => {}
            Some(v) => {
                return Err(AdminError::BadRequest(format!(
                    "id: {v} does not match the audience in the path ({id})"
                )))
            }
        }
    }
    let audience = parse_audience(body)?;
    let (set, job) = apply_change(&state, move |txn, set, now| {
        membership::put_audience(txn, set, audience.clone(), true, now)
    })
    .await?;
    Ok(changed_response(StatusCode::OK, &set, id, job))
}

#[derive(Deserialize)]
struct CleanupQuery {
    /// Take the audience out of every member's Braze profile first.
    #[serde(default)]
    cleanup: bool,
}

async fn retire(
    state: Arc<AppState>,
    id: String,
    then: CleanupThen,
    cleanup: bool,
) -> Result<Response, AdminError> {
    let id = parse_id(&id)?;
    let (set, job) = apply_change(&state, move |txn, set, now| {
        membership::retire_audience(txn, set, id, then, cleanup, now)
    })
    .await?;
    let status = if job.is_some() {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok(changed_response(status, &set, id, job))
}

async fn delete(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<CleanupQuery>,
) -> Result<Response, AdminError> {
    retire(state, id, CleanupThen::Delete, q.cleanup).await
}

async fn deactivate(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<CleanupQuery>,
) -> Result<Response, AdminError> {
    retire(state, id, CleanupThen::Deactivate, q.cleanup).await
}

async fn list_jobs(State(state): State<Arc<AppState>>) -> Result<Response, AdminError> {
    let jobs: Vec<Value> = all_jobs(&state).await?.iter().map(job_json).collect();
    Ok((StatusCode::OK, Json(json!({"jobs": jobs}))).into_response())
}

async fn get_job(
    State(state): State<Arc<AppState>>,
    Path(job): Path<String>,
) -> Result<Response, AdminError> {
    let wanted = parse_id(&job)?;
    match all_jobs(&state).await?.iter().find(|j| j.id == wanted) {
        Some(j) => Ok((StatusCode::OK, Json(job_json(j))).into_response()),
        None => Err(AdminError::NotFound(format!("no audience job {wanted}"))),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    /// Definitions to try (added to, or replacing, the ones in force). Without them the
    /// check looks at current memberships.
    #[serde(default)]
    definitions: Vec<Value>,
}

/// Profiles read per transaction by the check.
const CHECK_CHUNK: usize = 1000;

async fn check(
    State(state): State<Arc<AppState>>,
    body: Option<Json<Value>>,
) -> Result<Response, AdminError> {
    let request: CheckRequest = match body {
        None => CheckRequest::default(),
        Some(Json(v)) => {
            serde_json::from_value(v).map_err(|e| AdminError::BadRequest(e.to_string()))?
        }
    };
    let runtime = in_force(&state).await;
    let mut set = runtime.set.clone();
    let mut trying = Vec::new();
    for (i, v) in request.definitions.into_iter().enumerate() {
        let audience = Audience::from_json(v)
            .map_err(|e| AdminError::BadRequest(format!("definitions[{i}]: {e}")))?;
        trying.push(audience.id);
        set = set
            .with_audience(audience)
            .map_err(|e| AdminError::BadRequest(e.to_string()))?;
    }
    let limits = runtime.output.limits;
    let store = state.store.clone();
    let evaluate = !trying.is_empty();
    let check_set = set.clone();
    let population =
        tokio::task::spawn_blocking(move || population(&store, &check_set, evaluate, now_ms()))
            .await??;
    let found = check_overflow(&set, population.iter(), limits);
    let forms: Vec<Value> = found
        .by_form()
        .into_iter()
        .map(|(form, users)| {
            json!({
                "send_segments_as": form,
                "label": form.label(),
                "users_overflowing": users,
                "configured": form == runtime.output.send_segments_as,
            })
        })
        .collect();
    let configured: SendSegmentsAs = runtime.output.send_segments_as;
    Ok((
        StatusCode::OK,
        Json(json!({
            "users": found.users,
            "evaluated_definitions": trying,
            "limits": limits,
            "configured_form": configured,
            "configured_form_users_overflowing": found.users_overflowing(configured),
            "forms": forms,
            "string_dropped_by_audience": found.string_dropped_by_audience,
            "array_dropped_by_audience": found.array_dropped_by_audience,
        })),
    )
        .into_response())
}

/// Every profile's memberships: as stored, or (`evaluate`) as `set` would make them now.
fn population(
    store: &crate::store::Store,
    set: &AudienceSet,
    evaluate: bool,
    now: i64,
) -> braid_core::StoreResult<Vec<Memberships>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let chunk = store.transact(|txn| {
            let profiles = txn.profiles_after(after, CHECK_CHUNK)?;
            let mut rows = Vec::with_capacity(profiles.len());
            for profile in &profiles {
                if !evaluate {
                    rows.push(membership::synced_memberships(set, profile));
                    continue;
                }
                let history: Vec<braid_audiences::EventRecord> = txn
                    .history(profile.mpid, now - set.retain_window_ms())?
                    .into_iter()
                    .filter_map(|(_, v)| serde_json::from_value(v).ok())
                    .collect();
                let none = BTreeSet::new();
                let view = UserView {
                    attributes: &profile.attributes,
                    identities: &profile.identities,
                    history: &history,
                    memberships: &none,
                    calculated: &profile.calculated,
                };
                let entered = set.evaluate_user(&view, None, now).entered;
                // Inactive audiences keep their frozen memberships.
                let frozen = profile.audiences.keys().copied().filter(|id| {
                    set.get(*id)
                        .is_some_and(|a| a.state == AudienceState::Inactive)
                });
                let ids: BTreeSet<u64> = entered.into_iter().chain(frozen).collect();
                rows.push(Memberships {
                    ids_with_join_time: ids
                        .into_iter()
                        .map(|id| (id, profile.audiences.get(&id).copied().unwrap_or(now)))
                        .collect(),
                });
            }
            Ok((rows, profiles.last().map(|p| p.mpid)))
        })?;
        let (rows, last) = chunk;
        out.extend(rows);
        match last {
            Some(m) => after = Some(m),
            None => return Ok(out),
        }
    }
}
