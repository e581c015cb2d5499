//! `POST /v1/currents`: Braze Currents through the Custom HTTP connector, and the
//! shared path by which Braze feed inputs' batches (`/v2/events`, `/v2/bulkevents`)
//! enter as Currents.
//!
//! Answers follow Braze's retry rules: 2xx only once the events are durably committed
//! (group commit, as ingest); an empty batch (Braze's credential check) gets 200; a
//! missing token 401 and a wrong one 403 (Braze stops and alerts); a body over
//! `currents.max_request_bytes` 413 (Braze splits it); a body that is not
//! `{"events":[...]}` 400. One malformed event never fails its batch: it is counted,
//! logged and kept with its reason (a `CurrentsRejected` log record), and the rest are
//! accepted. Accepted events are grouped per user into one `Currents` log record each;
//! de-duplication on the event `id` happens in the pipeline, in the same transaction as
//! the events' effects.

use crate::app::AppState;
use crate::auth::AuthFailure;
use crate::ingest::errors_body;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use braid_core::storage::AppendRequest;
use braid_core::{LogRecord, LogRecordKind, Secret};
use braid_currents::{CurrentsEvent, RejectedEvent};
use serde_json::json;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The input name Currents records carry in the log.
pub const CURRENTS_INPUT: &str = "braze_currents";

/// The Currents route, behind the bearer tokens of `[currents] tokens`.
pub fn routes(state: &AppState) -> Router<Arc<AppState>> {
    let tokens: Arc<[Secret]> = state.config.currents.tokens.clone().into();
    Router::new()
        .route("/v1/currents", post(receive))
        .route_layer(middleware::from_fn_with_state(tokens, require_token))
        .route_layer(middleware::from_fn(count_requests))
        .layer(DefaultBodyLimit::max(
            state.config.currents.max_request_bytes,
        ))
}

async fn count_requests(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    metrics::counter!("braid_currents_requests_total", "status" => response.status().as_u16().to_string())
        .increment(1);
    response
}

/// Why `/v1/currents` refused a request; the body is `{"errors":[{"code","message"}]}`.
#[derive(Debug, thiserror::Error)]
pub enum CurrentsError {
    #[error("missing bearer token (Authorization: Bearer <token>)")]
    Unauthorized,
    #[error("unknown bearer token")]
    Forbidden,
    #[error("no Currents tokens are configured ([currents] tokens)")]
    NotConfigured,
    #[error("request body exceeds {max} bytes")]
    BodyTooLarge { max: usize },
    #[error("{0}")]
    UnreadableBody(String),
    #[error("{0}")]
    InvalidBody(braid_currents::http::BodyError),
    #[error("events not stored, retry later: {0}")]
    NotStored(String),
}

impl From<AuthFailure> for CurrentsError {
    fn from(failure: AuthFailure) -> Self {
        match failure {
            AuthFailure::Missing => CurrentsError::Unauthorized,
            AuthFailure::Wrong => CurrentsError::Forbidden,
        }
    }
}

impl IntoResponse for CurrentsError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            CurrentsError::Unauthorized => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
            CurrentsError::Forbidden | CurrentsError::NotConfigured => {
                (StatusCode::FORBIDDEN, "FORBIDDEN")
            }
            CurrentsError::BodyTooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE")
            }
            CurrentsError::UnreadableBody(_) | CurrentsError::InvalidBody(_) => {
                (StatusCode::BAD_REQUEST, "BAD_REQUEST")
            }
            CurrentsError::NotStored(_) => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
        };
        let mut response = errors_body(status, code, &self.to_string());
        if matches!(self, CurrentsError::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"braid\""),
            );
        }
        response
    }
}

/// The bearer token of a request, checked in constant time against every configured one.
pub fn check_bearer(headers: &axum::http::HeaderMap, tokens: &[Secret]) -> Result<(), AuthFailure> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthFailure::Missing)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthFailure::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthFailure::Missing);
    }
    let token = token.trim().as_bytes();
    let mut ok = subtle::Choice::from(0);
    for t in tokens {
        ok |= t.expose().as_bytes().ct_eq(token);
    }
    if bool::from(ok) {
        Ok(())
    } else {
        Err(AuthFailure::Wrong)
    }
}

async fn require_token(
    State(tokens): State<Arc<[Secret]>>,
    request: Request,
    next: Next,
) -> Response {
    if tokens.is_empty() {
        return CurrentsError::NotConfigured.into_response();
    }
    match check_bearer(request.headers(), &tokens) {
        Ok(()) => next.run(request).await,
        Err(failure) => CurrentsError::from(failure).into_response(),
    }
}

/// `POST /v1/currents`.
async fn receive(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, CurrentsError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            CurrentsError::BodyTooLarge {
                max: state.config.currents.max_request_bytes,
            }
        } else {
            CurrentsError::UnreadableBody(rejection.body_text())
        }
    })?;
    let parsed = braid_currents::parse_body(&body).map_err(|e| {
        tracing::info!(error = %e, "currents body refused");
        CurrentsError::InvalidBody(e)
    })?;
    let (accepted, rejected) =
        store_events(&state, CURRENTS_INPUT, parsed.accepted, parsed.rejected)
            .await
            .map_err(CurrentsError::NotStored)?;
    Ok((
        StatusCode::OK,
        Json(json!({"accepted": accepted, "rejected": rejected})),
    )
        .into_response())
}

/// Commit Currents events (grouped per user) and rejected ones (with their reasons)
/// durably. Returns how many were accepted and the rejections as answered to the
/// sender. Used by `/v1/currents` and the Braze feed inputs.
pub(crate) async fn store_events(
    state: &AppState,
    input: &str,
    events: Vec<CurrentsEvent>,
    rejected: Vec<RejectedEvent>,
) -> Result<(usize, Vec<serde_json::Value>), String> {
    let received_ms = state.clock.now_ms();
    let accepted = events.len();
    metrics::counter!("braid_currents_received_events_total", "input" => input.to_string())
        .increment(accepted as u64);
    let mut requests = group_per_user(events)
        .into_iter()
        .map(|group| AppendRequest {
            record: LogRecord {
                input: input.to_string(),
                kind: LogRecordKind::Currents,
                received_ms,
                batch_json: braid_core::currents::record_body(&group),
            },
            source_request_id: None,
        })
        .collect::<Vec<_>>();
    let answers: Vec<serde_json::Value> = rejected
        .iter()
        .map(|r| json!({"index": r.index, "reason": r.reason}))
        .collect();
    if !rejected.is_empty() {
        for r in &rejected {
            tracing::warn!(input, reason = %r.reason, "currents event rejected and kept");
        }
        metrics::counter!("braid_currents_rejected_events_total", "input" => input.to_string())
            .increment(rejected.len() as u64);
        let kept: Vec<(String, serde_json::Value)> =
            rejected.into_iter().map(|r| (r.reason, r.raw)).collect();
        requests.push(AppendRequest {
            record: LogRecord {
                input: input.to_string(),
                kind: LogRecordKind::CurrentsRejected,
                received_ms,
                batch_json: braid_core::currents::rejected_body(&kept),
            },
            source_request_id: None,
        });
    }
    if !requests.is_empty() {
        crate::ingest::append_unless_refused(state, requests).await?;
    }
    Ok((accepted, answers))
}

/// Events grouped by user, in the order each user first appears; a user's events stay
/// in their order. Events about no user form one group.
fn group_per_user(events: Vec<CurrentsEvent>) -> Vec<Vec<CurrentsEvent>> {
    let mut index: std::collections::HashMap<Option<String>, usize> = Default::default();
    let mut groups: Vec<Vec<CurrentsEvent>> = Vec::new();
    for event in events {
        let key = event.user_key();
        let i = *index.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[i].push(event);
    }
    groups
}
