//! The admin API (`/api/v1/...`), with its own credentials (HTTP Basic): profile
//! look-ups, dead letters (list and replay), the Braze data-point ledger, and audiences
//! (`audiences_api`).

use crate::app::AppState;
use crate::auth::{AuthFailure, Guard};
use crate::ingest::errors_body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use braid_core::membership::AudienceChangeError;
use braid_core::storage::{Outbox, StateStore};
use braid_mparticle::{IdentityType, Mpid};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// The admin routes (with the audience API and the data subject request audit trail),
/// behind the admin credentials.
pub fn routes(admin: Guard) -> Router<Arc<AppState>> {
    let routes = Router::new()
        .route("/api/v1/profiles/mpid/{mpid}", get(profile_by_mpid))
        .route(
            "/api/v1/profiles/{identity_type}/{value}",
            get(profile_by_identity),
        )
        .route("/api/v1/dead-letters", get(list_dead_letters))
        .route("/api/v1/dead-letters/replay", post(replay_dead_letters))
        .route("/api/v1/delivery", get(delivery_status))
        .route("/api/v1/currents/rejected", get(currents_rejected))
        .merge(crate::audiences_api::routes())
        .merge(crate::calculated_api::routes())
        .merge(crate::dsr::routes::admin_routes())
        .merge(crate::web::rejected::admin_routes());
    admin.protect(routes)
}

/// Why the admin API refused a request. The answer uses the same body as the Events
/// API: `{"errors":[{"code":"NOT_FOUND","message":"no profile with mpid 7"}]}`.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("admin credentials required")]
    Unauthorized,
    #[error("wrong admin credentials")]
    Forbidden,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
}

impl AdminError {
    /// An unexpected failure (storage, a lost task), reported with its message.
    pub fn internal(e: impl std::fmt::Display) -> AdminError {
        AdminError::Internal(e.to_string())
    }
}

impl From<AuthFailure> for AdminError {
    fn from(failure: AuthFailure) -> Self {
        match failure {
            AuthFailure::Missing => AdminError::Unauthorized,
            AuthFailure::Wrong => AdminError::Forbidden,
        }
    }
}

impl From<braid_core::StorageError> for AdminError {
    fn from(e: braid_core::StorageError) -> Self {
        AdminError::internal(e)
    }
}

impl From<tokio::task::JoinError> for AdminError {
    fn from(e: tokio::task::JoinError) -> Self {
        AdminError::internal(e)
    }
}

impl From<AudienceChangeError> for AdminError {
    fn from(e: AudienceChangeError) -> Self {
        let message = e.to_string();
        match e {
            AudienceChangeError::Invalid(_) => AdminError::BadRequest(message),
            AudienceChangeError::NotFound(_) => AdminError::NotFound(message),
            AudienceChangeError::Exists(_) | AudienceChangeError::Busy { .. } => {
                AdminError::Conflict(message)
            }
            AudienceChangeError::Storage(_) => AdminError::Internal(message),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            AdminError::Unauthorized => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
            AdminError::Forbidden => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            AdminError::BadRequest(_) => (StatusCode::BAD_REQUEST, "BAD_REQUEST"),
            AdminError::NotFound(_) => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            AdminError::Conflict(_) => (StatusCode::CONFLICT, "CONFLICT"),
            AdminError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
        };
        errors_body(status, code, &self.to_string())
    }
}

async fn load_profile(state: &AppState, mpid: Mpid) -> Result<Response, AdminError> {
    let store = state.store.clone();
    let found = tokio::task::spawn_blocking(move || {
        store.transact(|txn| {
            let Some(profile) = txn.profile(mpid)? else {
                return Ok(None);
            };
            let history = txn.history(mpid, i64::MIN)?;
            Ok(Some((profile, history)))
        })
    })
    .await??;
    match found {
        Some((profile, history)) => {
            // The look-up shows each calculated value with the time it was computed,
            // not the aggregates it is kept from.
            let summary = state
                .audiences
                .current()
                .calculated
                .summary(&profile.calculated);
            let mut body = serde_json::to_value(&profile).unwrap_or_default();
            if let Some(map) = body.as_object_mut() {
                map.remove("calculated");
                map.insert("calculated_attributes".into(), summary);
                map.insert("recent_events".into(), recent_events(history));
            }
            Ok((StatusCode::OK, Json(body)).into_response())
        }
        None => Err(AdminError::NotFound(format!("no profile with mpid {mpid}"))),
    }
}

/// `GET /api/v1/currents/rejected`: the Currents events braid could not accept, each
/// with its reason, and those about no user (`agentconsole.*`), newest last.
async fn currents_rejected(State(state): State<Arc<AppState>>) -> Result<Response, AdminError> {
    let store = state.store.clone();
    let (rejected, without_user) = tokio::task::spawn_blocking(move || {
        store.transact(|txn| {
            Ok((
                txn.meta(braid_core::currents::REJECTED_META_KEY)?,
                txn.meta(braid_core::currents::WITHOUT_USER_META_KEY)?,
            ))
        })
    })
    .await??;
    let list = |v: Option<serde_json::Value>| v.unwrap_or_else(|| json!([]));
    Ok((
        StatusCode::OK,
        Json(json!({"rejected": list(rejected), "without_user": list(without_user)})),
    )
        .into_response())
}

/// How many of a user's most recent history events the look-up shows.
const RECENT_EVENTS: usize = 50;

/// The newest history events, newest first, each with its name, time, kind,
/// attributes and source (`mparticle`, or `braze_currents` for Currents events).
fn recent_events(history: Vec<(i64, serde_json::Value)>) -> serde_json::Value {
    let events: Vec<serde_json::Value> = history
        .into_iter()
        .rev()
        .take(RECENT_EVENTS)
        .map(|(ts, mut event)| {
            if let Some(map) = event.as_object_mut() {
                map.entry("source")
                    .or_insert_with(|| serde_json::json!("mparticle"));
                map.insert("ts_ms".into(), serde_json::json!(ts));
            }
            event
        })
        .collect();
    serde_json::Value::Array(events)
}

async fn profile_by_mpid(
    State(state): State<Arc<AppState>>,
    Path(mpid): Path<String>,
) -> Result<Response, AdminError> {
    let id = mpid
        .parse::<i64>()
        .map_err(|_| AdminError::BadRequest(format!("mpid: `{mpid}` is not a 64-bit integer")))?;
    load_profile(&state, Mpid(id)).await
}

async fn profile_by_identity(
    State(state): State<Arc<AppState>>,
    Path((identity_type, value)): Path<(String, String)>,
) -> Result<Response, AdminError> {
    let kind: IdentityType = identity_type
        .parse()
        .map_err(|e| AdminError::BadRequest(format!("identity_type: {e}")))?;
    let store = state.store.clone();
    let owner =
        tokio::task::spawn_blocking(move || store.transact(|txn| txn.identity_owner(kind, &value)))
            .await??;
    match owner {
        Some(mpid) => load_profile(&state, mpid).await,
        None => Err(AdminError::NotFound(format!("no profile with that {kind}"))),
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    after: u64,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    100
}

async fn list_dead_letters(
    State(state): State<Arc<AppState>>,
    Query(page): Query<Page>,
) -> Result<Response, AdminError> {
    let store = state.store.clone();
    let limit = page.limit.min(1000);
    let items =
        tokio::task::spawn_blocking(move || store.dead_letters(page.after, limit)).await??;
    let items: Vec<_> = items
        .into_iter()
        .map(|(id, letter)| json!({"id": id, "dead_letter": letter}))
        .collect();
    Ok((StatusCode::OK, Json(json!({"dead_letters": items}))).into_response())
}

#[derive(Deserialize)]
struct ReplayRequest {
    /// Dead-letter ids; omitted or empty means all of them.
    #[serde(default)]
    ids: Vec<u64>,
}

async fn replay_dead_letters(
    State(state): State<Arc<AppState>>,
    body: Option<Json<ReplayRequest>>,
) -> Result<Response, AdminError> {
    let ids = body.map(|Json(b)| b.ids).unwrap_or_default();
    let store = state.store.clone();
    let replayed = tokio::task::spawn_blocking(move || replay(&store, ids)).await??;
    state.delivery.wake();
    Ok((StatusCode::OK, Json(json!({"replayed": replayed}))).into_response())
}

/// Replay the given dead letters, or all of them when `ids` is empty.
pub fn replay(store: &crate::store::Store, ids: Vec<u64>) -> braid_core::StoreResult<usize> {
    if !ids.is_empty() {
        return store.replay_dead_letters(&ids);
    }
    let mut total = 0;
    loop {
        let page: Vec<u64> = store
            .dead_letters(0, 1000)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        if page.is_empty() {
            return Ok(total);
        }
        total += store.replay_dead_letters(&page)?;
    }
}

async fn delivery_status(State(state): State<Arc<AppState>>) -> Response {
    let depth = state.store.depth().unwrap_or(0);
    (
        StatusCode::OK,
        Json(json!({
            "outbox_depth": depth,
            "status": state.delivery.status(),
            "ledger": state.ledger.totals(),
        })),
    )
        .into_response()
}
