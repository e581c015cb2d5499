//! The admin API (`/api/v1/...`), with its own credentials (HTTP Basic): profile
//! look-ups, dead letters (list and replay), the Braze data-point ledger, and audiences
//! (`audiences_api`).

use crate::app::AppState;
use crate::auth::{check_basic, AuthFailure};
use crate::ingest::error_response;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use braid_core::storage::{Outbox, StateStore};
use braid_mparticle::{IdentityType, Mpid};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// The admin routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/profiles/mpid/{mpid}", get(profile_by_mpid))
        .route(
            "/api/v1/profiles/{identity_type}/{value}",
            get(profile_by_identity),
        )
        .route("/api/v1/dead-letters", get(list_dead_letters))
        .route("/api/v1/dead-letters/replay", post(replay_dead_letters))
        .route("/api/v1/delivery", get(delivery_status))
        .merge(crate::audiences_api::routes())
        .merge(crate::calculated_api::routes())
}

pub(crate) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    check_basic(headers, &state.admin)
        .map(|_| ())
        .map_err(|f| match f {
            AuthFailure::Missing => error_response(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "admin credentials required",
            ),
            AuthFailure::Wrong => error_response(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                "wrong admin credentials",
            ),
        })
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Response {
    error_response(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", e.to_string())
}

async fn load_profile(state: &AppState, mpid: Mpid) -> Response {
    let store = state.store.clone();
    let found = tokio::task::spawn_blocking(move || store.transact(|txn| txn.profile(mpid))).await;
    match found {
        Ok(Ok(Some(profile))) => {
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
            }
            (StatusCode::OK, Json(body)).into_response()
        }
        Ok(Ok(None)) => error_response(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no profile with mpid {mpid}"),
        ),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

async fn profile_by_mpid(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(mpid): Path<String>,
) -> Response {
    if let Err(r) = authorize(&state, &headers) {
        return r;
    }
    match mpid.parse::<i64>() {
        Ok(id) => load_profile(&state, Mpid(id)).await,
        Err(_) => error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!("mpid: `{mpid}` is not a 64-bit integer"),
        ),
    }
}

async fn profile_by_identity(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((identity_type, value)): Path<(String, String)>,
) -> Response {
    if let Err(r) = authorize(&state, &headers) {
        return r;
    }
    let kind: IdentityType = match identity_type.parse() {
        Ok(k) => k,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("identity_type: {e}"),
            )
        }
    };
    let store = state.store.clone();
    let owner =
        tokio::task::spawn_blocking(move || store.transact(|txn| txn.identity_owner(kind, &value)))
            .await;
    match owner {
        Ok(Ok(Some(mpid))) => load_profile(&state, mpid).await,
        Ok(Ok(None)) => error_response(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no profile with that {kind}"),
        ),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
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
    headers: HeaderMap,
    Query(page): Query<Page>,
) -> Response {
    if let Err(r) = authorize(&state, &headers) {
        return r;
    }
    let store = state.store.clone();
    let limit = page.limit.min(1000);
    match tokio::task::spawn_blocking(move || store.dead_letters(page.after, limit)).await {
        Ok(Ok(items)) => {
            let items: Vec<_> = items
                .into_iter()
                .map(|(id, letter)| json!({"id": id, "dead_letter": letter}))
                .collect();
            (StatusCode::OK, Json(json!({"dead_letters": items}))).into_response()
        }
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
struct ReplayRequest {
    /// Dead-letter ids; omitted or empty means all of them.
    #[serde(default)]
    ids: Vec<u64>,
}

async fn replay_dead_letters(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Option<Json<ReplayRequest>>,
) -> Response {
    if let Err(r) = authorize(&state, &headers) {
        return r;
    }
    let ids = body.map(|Json(b)| b.ids).unwrap_or_default();
    let store = state.store.clone();
    let result = tokio::task::spawn_blocking(move || replay(&store, ids)).await;
    match result {
        Ok(Ok(n)) => {
            state.delivery.wake();
            (StatusCode::OK, Json(json!({"replayed": n}))).into_response()
        }
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

/// Replay the given dead letters, or all of them when `ids` is empty.
pub fn replay(store: &braid_store::EmbeddedStore, ids: Vec<u64>) -> braid_core::StoreResult<usize> {
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

async fn delivery_status(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&state, &headers) {
        return r;
    }
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
