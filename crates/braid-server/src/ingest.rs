//! The mParticle Events API routes: `/v2/events`, `/v2/bulkevents` and
//! `/v2/bulkevents/historical`.
//!
//! A request is authenticated (HTTP Basic, per input), size-checked, parsed and
//! validated; its good batches are committed durably (group commit) before the 202.
//! In a bulk request each batch stands alone: bad ones are reported in the answer and
//! logged, good ones are accepted.

use crate::app::AppState;
use crate::auth::{check_basic, AuthFailure};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use braid_core::storage::{AppendOutcome, AppendRequest};
use braid_core::{LogRecord, LogRecordKind};
use braid_mparticle::BatchError;
use serde_json::json;
use std::sync::Arc;

/// mParticle's error body: `{"errors":[{"code":"BAD_REQUEST","message":...}]}`.
pub fn error_response(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = json!({"errors": [{"code": code, "message": message.into()}]});
    (status, Json(body)).into_response()
}

fn auth_error(failure: AuthFailure) -> Response {
    match failure {
        AuthFailure::Missing => {
            let mut r = error_response(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "missing or malformed basic authorization header",
            );
            r.headers_mut().insert(
                "www-authenticate",
                "Basic realm=\"braid\"".parse().expect("static header"),
            );
            r
        }
        AuthFailure::Wrong => error_response(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "unknown input key or wrong secret",
        ),
    }
}

fn body_or_error(state: &AppState, body: Result<Bytes, BytesRejection>) -> Result<Bytes, Response> {
    match body {
        Ok(b) => Ok(b),
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                format!(
                    "request body exceeds {} bytes",
                    state.config.limits.max_request_bytes
                ),
            ))
        }
        Err(rejection) => Err(error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            rejection.body_text(),
        )),
    }
}

fn record_request(route: &'static str, status: StatusCode) {
    metrics::counter!("braid_ingest_requests_total", "route" => route, "status" => status.as_u16().to_string()).increment(1);
}

/// Parse and validate one batch's bytes; returns the error to report for it.
fn check_batch(
    state: &AppState,
    raw: &[u8],
) -> Result<braid_mparticle::Batch, (StatusCode, BatchError)> {
    if raw.len() > state.config.limits.max_batch_bytes {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            BatchError {
                path: "$".into(),
                reason: format!(
                    "batch is {} bytes, at most {} allowed",
                    raw.len(),
                    state.config.limits.max_batch_bytes
                ),
            },
        ));
    }
    let batch = braid_mparticle::parse_batch(raw).map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    braid_mparticle::validate_batch(&batch, &state.batch_limits)
        .map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    Ok(batch)
}

fn append_request(
    received_ms: i64,
    input: &str,
    kind: LogRecordKind,
    batch: &braid_mparticle::Batch,
    raw: &[u8],
) -> AppendRequest {
    metrics::counter!("braid_ingest_batches_total", "input" => input.to_string()).increment(1);
    metrics::counter!("braid_ingest_bytes_total").increment(raw.len() as u64);
    for event in &batch.events {
        metrics::counter!("braid_ingest_events_total", "type" => event.event_type()).increment(1);
    }
    AppendRequest {
        record: LogRecord {
            input: input.to_string(),
            kind,
            received_ms,
            // Keep the batch exactly as sent: validated JSON, re-parsed by the pipeline.
            batch_json: String::from_utf8_lossy(raw).into_owned(),
        },
        source_request_id: batch.source_request_id.clone().filter(|s| !s.is_empty()),
    }
}

/// Milliseconds since the UNIX epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

async fn commit(
    state: &AppState,
    requests: Vec<AppendRequest>,
) -> Result<Vec<AppendOutcome>, Response> {
    state.committer.append(requests).await.map_err(|e| {
        error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            format!("batch not stored, retry later: {e}"),
        )
    })
}

/// `POST /v2/events`: one batch.
pub async fn events(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let response = events_inner(&state, &headers, body).await;
    record_request("events", response.status());
    response
}

async fn events_inner(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let input = match check_basic(headers, &state.inputs) {
        Ok(name) => name.to_string(),
        Err(f) => return auth_error(f),
    };
    let body = match body_or_error(state, body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let batch = match check_batch(state, &body) {
        Ok(b) => b,
        Err((status, e)) => {
            tracing::info!(input = %input, error = %e, "batch refused");
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "PAYLOAD_TOO_LARGE"
            } else {
                "BAD_REQUEST"
            };
            return error_response(status, code, e.to_string());
        }
    };
    let request = append_request(
        state.clock.now_ms(),
        &input,
        LogRecordKind::Live,
        &batch,
        &body,
    );
    match commit(state, vec![request]).await {
        Ok(outcomes) => {
            let duplicate = matches!(outcomes.first(), Some(AppendOutcome::Duplicate(_)));
            if duplicate {
                metrics::counter!("braid_ingest_duplicate_batches_total").increment(1);
            }
            (
                StatusCode::ACCEPTED,
                Json(json!({"accepted": 1, "duplicates": u8::from(duplicate)})),
            )
                .into_response()
        }
        Err(r) => r,
    }
}

/// `POST /v2/bulkevents`: up to 100 batches, forwarded.
pub async fn bulk(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let response = bulk_inner(&state, &headers, body, LogRecordKind::Live).await;
    record_request("bulkevents", response.status());
    response
}

/// `POST /v2/bulkevents/historical`: like bulk, stored but never forwarded.
pub async fn bulk_historical(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let response = bulk_inner(&state, &headers, body, LogRecordKind::Historical).await;
    record_request("bulkevents_historical", response.status());
    response
}

async fn bulk_inner(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    kind: LogRecordKind,
) -> Response {
    let input = match check_basic(headers, &state.inputs) {
        Ok(name) => name.to_string(),
        Err(f) => return auth_error(f),
    };
    let body = match body_or_error(state, body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let items: Vec<&serde_json::value::RawValue> = match serde_json::from_slice(&body) {
        Ok(items) => items,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("$: expected a JSON array of batches ({e})"),
            );
        }
    };
    let max = state.config.limits.max_bulk_batches;
    if items.len() > max {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!(
                "$: {} batches in one request, at most {max} allowed",
                items.len()
            ),
        );
    }
    let mut requests = Vec::with_capacity(items.len());
    let mut rejected = Vec::new();
    for (index, raw) in items.iter().enumerate() {
        let bytes = raw.get().as_bytes();
        match check_batch(state, bytes) {
            Ok(batch) => {
                requests.push(append_request(
                    state.clock.now_ms(),
                    &input,
                    kind,
                    &batch,
                    bytes,
                ));
            }
            Err((_, e)) => {
                tracing::info!(input = %input, index, error = %e, "batch in bulk request refused");
                metrics::counter!("braid_ingest_rejected_batches_total", "input" => input.clone())
                    .increment(1);
                rejected.push(json!({"index": index, "code": "BAD_REQUEST", "message": format!("[{index}].{e}")}));
            }
        }
    }
    let mut duplicates = 0usize;
    let accepted = requests.len();
    if !requests.is_empty() {
        match commit(state, requests).await {
            Ok(outcomes) => {
                duplicates = outcomes
                    .iter()
                    .filter(|o| matches!(o, AppendOutcome::Duplicate(_)))
                    .count();
                metrics::counter!("braid_ingest_duplicate_batches_total")
                    .increment(duplicates as u64);
            }
            Err(r) => return r,
        }
    }
    (
        StatusCode::ACCEPTED,
        Json(json!({"accepted": accepted, "duplicates": duplicates, "rejected": rejected})),
    )
        .into_response()
}
