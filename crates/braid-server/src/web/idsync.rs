//! The IDSync routes (`/v1/identify`, `/v1/login`, `/v1/logout`, `/v1/search`,
//! `/v1/{mpid}/modify`, key in `x-mp-key`) and alias (`/v1/identity/{key}/Alias`).
//! The identity logic is `braid_core::idsync`, on the pipeline's own store; this module
//! reads the HTTP side and answers in IDSync's shapes:
//!
//! - success: 200 `{"mpid": "<string>", "context": null, "is_ephemeral": false,
//!   "is_logged_in": …, "matched_identities": {…}}` (modify: `{"change_results": […]}`);
//! - refusal: mParticle's IDSync error body, `{"Errors": [{"code", "message"}],
//!   "ErrorCode", "StatusCode", "RequestId"}` (with a lowercase `errors` copy, as the
//!   public docs spell it), 400 for a bad request or a conflict, 401 for a missing or
//!   unknown key, 404 when a search finds nobody, 503 when the store fails.

use super::WebError;
use crate::app::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use braid_core::idsync::{self, IdSyncCall, IdSyncError};
use braid_core::storage::{Outbox, StateStore};
use braid_mparticle::{Identities, Mpid};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// An IDSync refusal, answered in IDSync's error shape.
#[derive(Debug)]
pub struct IdSyncHttpError {
    status: StatusCode,
    code: &'static str,
    message: String,
    request_id: Option<String>,
}

impl IdSyncHttpError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        IdSyncHttpError {
            status,
            code,
            message: message.into(),
            request_id: None,
        }
    }

    fn from_core(e: IdSyncError) -> Self {
        let (status, code) = match &e {
            IdSyncError::BadRequest(_) => (StatusCode::BAD_REQUEST, "BAD_REQUEST"),
            IdSyncError::Conflict { .. } => (StatusCode::BAD_REQUEST, "IDENTITY_CONFLICT"),
            IdSyncError::UnknownMpid(_) => (StatusCode::BAD_REQUEST, "UNKNOWN_MPID"),
            IdSyncError::NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            IdSyncError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
        };
        if matches!(e, IdSyncError::Store(_)) {
            tracing::error!(error = %e, "idsync call failed in the store");
        }
        IdSyncHttpError::new(status, code, e.to_string())
    }
}

impl IntoResponse for IdSyncHttpError {
    fn into_response(self) -> Response {
        let error = json!({"code": self.code, "message": self.message});
        let body = json!({
            "Errors": [error],
            "errors": [error],
            "ErrorCode": self.code,
            "StatusCode": self.status.as_u16(),
            "RequestId": self.request_id,
        });
        (self.status, Json(body)).into_response()
    }
}

/// The web input named by `x-mp-key`.
fn input_of(state: &AppState, headers: &HeaderMap) -> Result<super::WebInput, IdSyncHttpError> {
    let key = headers
        .get("x-mp-key")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            IdSyncHttpError::new(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "x-mp-key header missing",
            )
        })?;
    state.web.input(key).cloned().ok_or_else(|| {
        IdSyncHttpError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            format!("x-mp-key: unknown web key `{key}`"),
        )
    })
}

fn parse_json(body: &[u8]) -> Result<Value, IdSyncHttpError> {
    serde_json::from_slice(body).map_err(|e| {
        IdSyncHttpError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!("$: invalid json: {e}"),
        )
    })
}

fn request_id(body: &Value) -> Option<String> {
    body.get("request_id")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Run `f` in one state transaction on a blocking thread; a storage failure rolls it
/// back, an IDSync refusal (always raised before any write) is returned as is.
async fn in_transaction<R: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&mut dyn braid_core::storage::StateTxn) -> Result<R, IdSyncError> + Send + 'static,
) -> Result<R, IdSyncError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        store.transact(|txn| match f(txn) {
            Err(IdSyncError::Store(e)) => Err(e),
            other => Ok(other),
        })
    })
    .await
    .map_err(|e| IdSyncError::Store(braid_core::StorageError::operation("idsync task", e)))?
    .map_err(IdSyncError::Store)?
}

fn matched(identities: &Identities) -> Map<String, Value> {
    identities
        .iter()
        .map(|(kind, value)| (idsync::idsync_name(*kind), Value::String(value.clone())))
        .collect()
}

async fn identity_route(
    state: Arc<AppState>,
    headers: HeaderMap,
    body: Bytes,
    call: IdSyncCall,
) -> Result<Response, IdSyncHttpError> {
    let input = input_of(&state, &headers)?;
    let body = parse_json(&body)?;
    let id = request_id(&body);
    let with_id = |mut e: IdSyncHttpError| {
        e.request_id = id.clone();
        e
    };
    let request = idsync::parse_identity_request(&body)
        .map_err(|e| with_id(IdSyncHttpError::from_core(e)))?;
    let now = state.clock.now_ms();
    let answer = in_transaction(&state, move |txn| {
        idsync::identity_call(txn, call, &request, now)
    })
    .await
    .map_err(|e| with_id(IdSyncHttpError::from_core(e)))?;
    metrics::counter!("braid_web_idsync_calls_total", "call" => call_name(call), "input" => input.name.clone())
        .increment(1);
    if answer.created {
        metrics::counter!("braid_web_idsync_users_created_total").increment(1);
    }
    Ok((
        StatusCode::OK,
        Json(json!({
            "context": null,
            "mpid": answer.mpid.to_string(),
            "is_ephemeral": false,
            "is_logged_in": answer.is_logged_in,
            "matched_identities": matched(&answer.identities),
        })),
    )
        .into_response())
}

fn call_name(call: IdSyncCall) -> &'static str {
    match call {
        IdSyncCall::Identify => "identify",
        IdSyncCall::Login => "login",
        IdSyncCall::Logout => "logout",
        IdSyncCall::Search => "search",
    }
}

/// `POST /v1/identify`.
pub async fn identify(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, IdSyncHttpError> {
    identity_route(state, headers, body, IdSyncCall::Identify).await
}

/// `POST /v1/login`.
pub async fn login(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, IdSyncHttpError> {
    identity_route(state, headers, body, IdSyncCall::Login).await
}

/// `POST /v1/logout`.
pub async fn logout(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, IdSyncHttpError> {
    identity_route(state, headers, body, IdSyncCall::Logout).await
}

/// `POST /v1/search`.
pub async fn search(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, IdSyncHttpError> {
    identity_route(state, headers, body, IdSyncCall::Search).await
}

/// `POST /v1/{mpid}/modify`.
pub async fn modify(
    State(state): State<Arc<AppState>>,
    Path(mpid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, IdSyncHttpError> {
    let input = input_of(&state, &headers)?;
    let body = parse_json(&body)?;
    let id = request_id(&body);
    let with_id = |mut e: IdSyncHttpError| {
        e.request_id = id.clone();
        e
    };
    let mpid = Mpid::from_value(&Value::String(mpid.clone())).ok_or_else(|| {
        with_id(IdSyncHttpError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!("mpid in the path: `{mpid}` is not a 64-bit integer"),
        ))
    })?;
    let changes =
        idsync::parse_modify_request(&body).map_err(|e| with_id(IdSyncHttpError::from_core(e)))?;
    let results: Vec<Value> = changes
        .iter()
        .map(|c| {
            json!({"identity_type": idsync::idsync_name(c.identity_type), "modified_mpid": mpid.to_string()})
        })
        .collect();
    in_transaction(&state, move |txn| idsync::modify(txn, mpid, &changes))
        .await
        .map_err(|e| with_id(IdSyncHttpError::from_core(e)))?;
    metrics::counter!("braid_web_idsync_calls_total", "call" => "modify", "input" => input.name.clone())
        .increment(1);
    Ok((StatusCode::OK, Json(json!({"change_results": results}))).into_response())
}

/// An alias refusal: 400 with `{"code", "message"}`, the body the SDK reports.
fn alias_error(code: &str, message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"code": code, "message": message})),
    )
        .into_response()
}

/// `POST /v1/identity/{key}/Alias`: 202 with no body once merged.
pub async fn alias(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let input = state
        .web
        .input(&key)
        .cloned()
        .ok_or_else(|| WebError::UnknownKey(key.clone()))?;
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return Ok(alias_error("BAD_REQUEST", format!("$: invalid json: {e}"))),
    };
    let (source, destination) = match idsync::parse_alias_request(&body) {
        Ok(pair) => pair,
        Err(e) => return Ok(alias_error("BAD_REQUEST", e.to_string())),
    };
    let settings = state.config.braze.clone();
    let lanes = state.store.lane_count();
    let now = state.clock.now_ms();
    let outcome = in_transaction(&state, move |txn| {
        idsync::alias(txn, source, destination, &settings, lanes, now)
    })
    .await;
    match outcome {
        Ok(outcome) => {
            metrics::counter!("braid_web_idsync_calls_total", "call" => "alias", "input" => input.name.clone())
                .increment(1);
            tracing::info!(
                input = %input.name,
                source = %source,
                destination = %destination,
                merged = outcome.merged,
                history = outcome.history_moved,
                "alias"
            );
            if outcome.braze_identify_queued {
                state.delivery.wake();
            }
            Ok(StatusCode::ACCEPTED.into_response())
        }
        Err(IdSyncError::Store(e)) => Err(WebError::NotStored(e.to_string())),
        Err(e @ IdSyncError::UnknownMpid(_)) => Ok(alias_error("UNKNOWN_MPID", e.to_string())),
        Err(e) => Ok(alias_error("BAD_REQUEST", e.to_string())),
    }
}
