//! The calculated-attribute part of the admin API (`/api/v1/calculated-attributes...`):
//! list, create, replace and delete definitions (durably, with a backfill job whose
//! progress is shown, and a plain note when history retention limits it).

use crate::admin::AdminError;
use crate::app::AppState;
use crate::audiences_api::{in_force, with_progress};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use braid_audiences::calculated_attributes::{parse_calculated_attribute, CalculatedAttribute};
use braid_audiences::{AudienceSet, CalculatedSet};
use braid_core::calculated::{self, CalculatedChangeError, CalculatedJob};
use braid_core::clock::now_ms;
use braid_core::storage::{StateStore, StateTxn};
use serde_json::{json, Value};
use std::sync::Arc;

/// The calculated-attribute routes (behind the admin guard with the other admin routes).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/calculated-attributes", get(list).post(create))
        .route("/api/v1/calculated-attributes/jobs", get(list_jobs))
        .route("/api/v1/calculated-attributes/jobs/{job}", get(get_job))
        .route(
            "/api/v1/calculated-attributes/{name}",
            get(get_one).put(replace).delete(delete),
        )
}

impl From<CalculatedChangeError> for AdminError {
    fn from(e: CalculatedChangeError) -> Self {
        let message = e.to_string();
        match e {
            CalculatedChangeError::Invalid(_) | CalculatedChangeError::InUse { .. } => {
                AdminError::BadRequest(message)
            }
            CalculatedChangeError::NotFound(_) => AdminError::NotFound(message),
            CalculatedChangeError::Exists(_) => AdminError::Conflict(message),
            CalculatedChangeError::Storage(_) => AdminError::Internal(message),
        }
    }
}

/// At start-up: the stored calculated attributes with the config file's applied on top,
/// checked against the audiences that read them; backfills are queued for new or
/// changed ones.
pub(crate) async fn load(
    store: &crate::store::Store,
    config: &crate::config::Config,
    audiences: &AudienceSet,
) -> anyhow::Result<CalculatedSet> {
    use anyhow::Context;
    let store = store.clone();
    let definitions = config.calculated_attributes.clone();
    let array_limit = config.audiences.max_array_len;
    let retention_ms = (i64::from(config.server.history_retention_days) * 86_400_000)
        .max(audiences.retain_window_ms());
    let now = now_ms();
    let (set, jobs) = tokio::task::spawn_blocking(move || {
        braid_core::membership::transact_change(&store, |txn| {
            calculated::load_definitions(txn, &definitions, array_limit, retention_ms, now)
        })
    })
    .await?
    .context("loading calculated attribute definitions")?;
    if let Some(e) = calculated::unknown_reference(audiences, &set) {
        anyhow::bail!("audience definitions: {e}");
    }
    for job in &jobs {
        tracing::info!(job = job.id, attribute = %job.attribute, history_limit = job.history_limit.as_deref().unwrap_or(""), "calculated attribute backfill queued");
    }
    tracing::info!(
        calculated_attributes = set.definitions().count(),
        "calculated attributes loaded"
    );
    Ok(set)
}

fn job_json(job: &CalculatedJob) -> Value {
    with_progress(job, job.processed, job.total, job.is_finished())
}

fn parse(body: Value) -> Result<CalculatedAttribute, AdminError> {
    parse_calculated_attribute(body, "calculated attribute")
        .map_err(|e| AdminError::BadRequest(e.to_string()))
}

async fn all_jobs(state: &AppState) -> Result<Vec<CalculatedJob>, AdminError> {
    let store = state.store.clone();
    Ok(tokio::task::spawn_blocking(move || store.transact(|txn| calculated::jobs(txn))).await??)
}

async fn list(State(state): State<Arc<AppState>>) -> Result<Response, AdminError> {
    let runtime = in_force(&state).await;
    let jobs = all_jobs(&state).await?;
    let definitions: Vec<_> = runtime.calculated.definitions().collect();
    let pending: Vec<Value> = jobs
        .iter()
        .filter(|j| !j.is_finished())
        .map(job_json)
        .collect();
    Ok((
        StatusCode::OK,
        Json(json!({"calculated_attributes": definitions, "pending_jobs": pending})),
    )
        .into_response())
}

async fn get_one(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Result<Response, AdminError> {
    match in_force(&state).await.calculated.get(&name) {
        Some(a) => Ok((StatusCode::OK, Json(json!(a))).into_response()),
        None => Err(CalculatedChangeError::NotFound(name).into()),
    }
}

type Change = dyn Fn(
        &mut dyn StateTxn,
        &CalculatedSet,
        &AudienceSet,
        i64,
        i64,
    ) -> Result<(CalculatedSet, Option<CalculatedJob>), CalculatedChangeError>
    + Send
    + Sync;

/// Apply a definition change durably, then put the new set in force and wake the worker.
/// Like an audience change, it starts from the stored definitions (another node may have
/// changed them).
async fn apply_change(
    state: &Arc<AppState>,
    change: Box<Change>,
) -> Result<(CalculatedSet, Option<CalculatedJob>), AdminError> {
    // Audience and calculated-attribute changes share one lock: audiences read
    // calculated attributes, and both swap the same runtime.
    let _serialised = state.audience_changes.lock().await;
    let change: Arc<Change> = Arc::from(change);
    let array_limit = state.config.audiences.max_array_len;
    let retention_days = i64::from(state.config.server.history_retention_days);
    let (set, audiences, version, job) = crate::audiences_api::with_conflict_retries(|| {
        let (store, change) = (state.store.clone(), change.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                braid_core::membership::transact_change(&store, |txn| {
                    let stored = braid_core::membership::read_stored(txn, array_limit)?;
                    // How far back the history kept so far reaches: the setting or an
                    // audience's window.
                    let retention_ms =
                        (retention_days * 86_400_000).max(stored.set.retain_window_ms());
                    let (set, job) =
                        change(txn, &stored.calculated, &stored.set, retention_ms, now_ms())?;
                    let version = braid_core::membership::definitions_version(txn)?;
                    Ok::<_, CalculatedChangeError>((set, stored.set, version, job))
                })
            })
            .await
            .map_err(|e| {
                CalculatedChangeError::Storage(braid_core::StorageError::operation(
                    "definition change",
                    e,
                ))
            })?
        }
    })
    .await?;
    state.audiences.install(version, audiences, set.clone());
    if let Some(job) = &job {
        tracing::info!(job = job.id, attribute = %job.attribute, "calculated attribute backfill queued");
        state.audience_work.notify_one();
    }
    Ok((set, job))
}

fn changed_response(
    status: StatusCode,
    set: &CalculatedSet,
    name: &str,
    job: Option<CalculatedJob>,
) -> Response {
    (
        status,
        Json(json!({
            "calculated_attribute": set.get(name),
            "job": job.as_ref().map(job_json),
        })),
    )
        .into_response()
}

async fn create(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> Result<Response, AdminError> {
    let definition = parse(body)?;
    let name = definition.name.clone();
    let (set, job) = apply_change(
        &state,
        Box::new(move |txn, set, audiences, retention, now| {
            calculated::put_attribute(
                txn,
                set,
                audiences,
                definition.clone(),
                false,
                retention,
                now,
            )
        }),
    )
    .await?;
    Ok(changed_response(StatusCode::CREATED, &set, &name, job))
}

async fn replace(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Json(mut body): Json<Value>,
) -> Result<Response, AdminError> {
    if let Value::Object(map) = &mut body {
        match map.get("name") {
            None => {
                map.insert("name".into(), json!(name));
            }
            Some(v) if v.as_str() == Some(name.as_str()) => {}
            Some(v) => {
                return Err(AdminError::BadRequest(format!(
                    "name: {v} does not match the calculated attribute in the path ({name:?})"
                )))
            }
        }
    }
    let definition = parse(body)?;
    let (set, job) = apply_change(
        &state,
        Box::new(move |txn, set, audiences, retention, now| {
            calculated::put_attribute(
                txn,
                set,
                audiences,
                definition.clone(),
                true,
                retention,
                now,
            )
        }),
    )
    .await?;
    Ok(changed_response(StatusCode::OK, &set, &name, job))
}

async fn delete(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Result<Response, AdminError> {
    let target = name.clone();
    apply_change(
        &state,
        Box::new(move |txn, set, audiences, _, _| {
            calculated::delete_attribute(txn, set, audiences, &target)
        }),
    )
    .await?;
    Ok((StatusCode::OK, Json(json!({"deleted": name}))).into_response())
}

async fn list_jobs(State(state): State<Arc<AppState>>) -> Result<Response, AdminError> {
    let jobs: Vec<Value> = all_jobs(&state).await?.iter().map(job_json).collect();
    Ok((StatusCode::OK, Json(json!({"jobs": jobs}))).into_response())
}

async fn get_job(
    State(state): State<Arc<AppState>>,
    Path(job): Path<String>,
) -> Result<Response, AdminError> {
    let wanted: u64 = job.parse().map_err(|_| {
        AdminError::BadRequest(format!("job: `{job}` is not a non-negative integer"))
    })?;
    match all_jobs(&state).await?.iter().find(|j| j.id == wanted) {
        Some(j) => Ok((StatusCode::OK, Json(job_json(j))).into_response()),
        None => Err(AdminError::NotFound(format!(
            "no calculated attribute job {wanted}"
        ))),
    }
}
