//! The mParticle Events API routes: `/v2/events`, `/v2/bulkevents` and
//! `/v2/bulkevents/historical`.
//!
//! A request is authenticated (HTTP Basic, per input), size-checked, parsed and
//! validated; its good batches are committed durably (group commit) before the 202.
//! In a bulk request each batch stands alone: bad ones are reported in the answer and
//! logged, good ones are accepted.

use crate::app::AppState;
use crate::auth::{AuthFailure, Authenticated, Guard};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use braid_core::storage::{AppendOutcome, AppendRequest};
use braid_core::{LogRecord, LogRecordKind};
use braid_mparticle::BatchError;
use serde_json::json;
use std::sync::Arc;

/// The Events API routes, behind the inputs' credentials; every answer (refusals
/// included) is counted in `braid_ingest_requests_total`.
pub fn routes(inputs: Guard) -> Router<Arc<AppState>> {
    let routes = Router::new()
        .route("/v2/events", post(events))
        .route("/v2/bulkevents", post(bulk))
        .route("/v2/bulkevents/historical", post(bulk_historical));
    inputs
        .protect(routes)
        .route_layer(middleware::from_fn(count_requests))
}

async fn count_requests(path: MatchedPath, request: Request, next: Next) -> Response {
    let route = match path.as_str() {
        "/v2/events" => "events",
        "/v2/bulkevents" => "bulkevents",
        _ => "bulkevents_historical",
    };
    let response = next.run(request).await;
    metrics::counter!("braid_ingest_requests_total", "route" => route, "status" => response.status().as_u16().to_string()).increment(1);
    response
}

/// Why the Events API refused a request. The answer is mParticle's error body:
/// `{"errors":[{"code":"BAD_REQUEST","message":"events[1].data.event_name: missing"}]}`.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("missing or malformed basic authorization header")]
    Unauthorized,
    #[error("unknown input key or wrong secret")]
    Forbidden,
    #[error("request body exceeds {max} bytes")]
    BodyTooLarge { max: usize },
    /// The body could not be read (the extractor's own explanation).
    #[error("{0}")]
    UnreadableBody(String),
    #[error("{0}")]
    BatchTooLarge(BatchError),
    #[error("{0}")]
    InvalidBatch(BatchError),
    #[error("$: expected a JSON array of batches ({0})")]
    NotAnArray(serde_json::Error),
    #[error("batch not stored, retry later: {0}")]
    NotStored(String),
}

impl IngestError {
    /// The HTTP status and mParticle's error code.
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            IngestError::Unauthorized => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
            IngestError::Forbidden => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            IngestError::BodyTooLarge { .. } | IngestError::BatchTooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE")
            }
            IngestError::UnreadableBody(_)
            | IngestError::InvalidBatch(_)
            | IngestError::NotAnArray(_) => (StatusCode::BAD_REQUEST, "BAD_REQUEST"),
            IngestError::NotStored(_) => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
        }
    }
}

impl From<AuthFailure> for IngestError {
    fn from(failure: AuthFailure) -> Self {
        match failure {
            AuthFailure::Missing => IngestError::Unauthorized,
            AuthFailure::Wrong => IngestError::Forbidden,
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let mut response = errors_body(status, code, &self.to_string());
        if matches!(self, IngestError::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"braid\""),
            );
        }
        response
    }
}

/// mParticle's error body, `{"errors":[{"code":"BAD_REQUEST","message":...}]}`; the
/// admin API answers with it too.
pub(crate) fn errors_body(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"errors": [{"code": code, "message": message}]});
    (status, Json(body)).into_response()
}

fn read_body(state: &AppState, body: Result<Bytes, BytesRejection>) -> Result<Bytes, IngestError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            IngestError::BodyTooLarge {
                max: state.config.limits.max_request_bytes,
            }
        } else {
            IngestError::UnreadableBody(rejection.body_text())
        }
    })
}

/// Parse and validate one batch's bytes.
pub(crate) fn check_batch(
    state: &AppState,
    raw: &[u8],
) -> Result<braid_mparticle::Batch, IngestError> {
    if raw.len() > state.config.limits.max_batch_bytes {
        return Err(IngestError::BatchTooLarge(BatchError {
            path: "$".into(),
            reason: format!(
                "batch is {} bytes, at most {} allowed",
                raw.len(),
                state.config.limits.max_batch_bytes
            ),
        }));
    }
    let batch = braid_mparticle::parse_batch(raw).map_err(IngestError::InvalidBatch)?;
    braid_mparticle::validate_batch(&batch, &state.config.limits)
        .map_err(IngestError::InvalidBatch)?;
    Ok(batch)
}

pub(crate) fn append_request(
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

/// Durably store `requests`, unless the store cannot take them now (a fault, or the
/// free-space reserve reached): then 503 with the reason, and nothing is half-stored.
async fn commit(
    state: &AppState,
    requests: Vec<AppendRequest>,
) -> Result<Vec<AppendOutcome>, IngestError> {
    append_unless_refused(state, requests)
        .await
        .map_err(IngestError::NotStored)
}

/// The one way every ingest surface (Events API, Web SDK, Currents) appends to the log:
/// refused with the reason while the store cannot write or its free-space reserve is
/// reached, else committed durably before the caller answers.
pub(crate) async fn append_unless_refused(
    state: &AppState,
    requests: Vec<AppendRequest>,
) -> Result<Vec<AppendOutcome>, String> {
    if let Some(reason) = state.store_health.refusal() {
        return Err(reason);
    }
    state.committer.append(requests).await
}

/// Whether `input` is declared a Braze feed (`[[inputs]] braze_feed = true`).
fn is_braze_feed(state: &AppState, input: &str) -> bool {
    state
        .config
        .inputs
        .iter()
        .any(|i| i.braze_feed && i.display_name() == input)
}

/// The Currents events of a Braze feed's batches (each already validated JSON).
fn feed_events(
    batches: &[&[u8]],
) -> (
    Vec<braid_currents::CurrentsEvent>,
    Vec<braid_currents::RejectedEvent>,
) {
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for raw in batches {
        let value: serde_json::Value = serde_json::from_slice(raw).unwrap_or_default();
        let (good, bad) = braid_currents::feed::events_of_feed_batch(&value);
        accepted.extend(good);
        rejected.extend(bad);
    }
    (accepted, rejected)
}

/// `POST /v2/events`: one batch.
pub async fn events(
    State(state): State<Arc<AppState>>,
    Extension(Authenticated(input)): Extension<Authenticated>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, IngestError> {
    let body = read_body(&state, body)?;
    let batch = check_batch(&state, &body).inspect_err(|e| {
        tracing::info!(input = %input, error = %e, "batch refused");
    })?;
    if is_braze_feed(&state, &input) {
        let (accepted, rejected) = feed_events(&[&body[..]]);
        let (accepted, rejected) =
            crate::currents::store_events(&state, &input, accepted, rejected)
                .await
                .map_err(IngestError::NotStored)?;
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({"accepted": 1, "duplicates": 0, "currents_events": accepted, "rejected_events": rejected})),
        )
            .into_response());
    }
    let request = append_request(
        state.clock.now_ms(),
        &input,
        LogRecordKind::Live,
        &batch,
        &body,
    );
    let outcomes = commit(&state, vec![request]).await?;
    let duplicate = matches!(outcomes.first(), Some(AppendOutcome::Duplicate(_)));
    if duplicate {
        metrics::counter!("braid_ingest_duplicate_batches_total").increment(1);
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"accepted": 1, "duplicates": u8::from(duplicate)})),
    )
        .into_response())
}

/// `POST /v2/bulkevents`: up to 100 batches, forwarded.
pub async fn bulk(
    State(state): State<Arc<AppState>>,
    Extension(Authenticated(input)): Extension<Authenticated>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, IngestError> {
    bulk_of_kind(&state, &input, body, LogRecordKind::Live).await
}

/// `POST /v2/bulkevents/historical`: like bulk, stored but never forwarded.
pub async fn bulk_historical(
    State(state): State<Arc<AppState>>,
    Extension(Authenticated(input)): Extension<Authenticated>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, IngestError> {
    bulk_of_kind(&state, &input, body, LogRecordKind::Historical).await
}

async fn bulk_of_kind(
    state: &AppState,
    input: &str,
    body: Result<Bytes, BytesRejection>,
    kind: LogRecordKind,
) -> Result<Response, IngestError> {
    let body = read_body(state, body)?;
    let items: Vec<&serde_json::value::RawValue> =
        serde_json::from_slice(&body).map_err(IngestError::NotAnArray)?;
    braid_mparticle::limits::check_bulk_len(items.len(), &state.config.limits)
        .map_err(IngestError::InvalidBatch)?;
    let mut requests = Vec::with_capacity(items.len());
    let mut rejected = Vec::new();
    for (index, raw) in items.iter().enumerate() {
        let bytes = raw.get().as_bytes();
        match check_batch(state, bytes) {
            Ok(batch) => {
                requests.push(append_request(
                    state.clock.now_ms(),
                    input,
                    kind,
                    &batch,
                    bytes,
                ));
            }
            Err(e) => {
                tracing::info!(input = %input, index, error = %e, "batch in bulk request refused");
                metrics::counter!("braid_ingest_rejected_batches_total", "input" => input.to_string())
                    .increment(1);
                rejected.push(json!({"index": index, "code": "BAD_REQUEST", "message": format!("[{index}].{e}")}));
            }
        }
    }
    if is_braze_feed(state, input) {
        // A Braze feed's batches are Currents: recorded, never forwarded (also on the
        // historical route). Each batch was validated above; its events enter as
        // Currents events.
        let good: Vec<&[u8]> = requests
            .iter()
            .map(|r| r.record.batch_json.as_bytes())
            .collect();
        let (events, bad) = feed_events(&good);
        let accepted = requests.len();
        let (currents_events, rejected_events) =
            crate::currents::store_events(state, input, events, bad)
                .await
                .map_err(IngestError::NotStored)?;
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({"accepted": accepted, "duplicates": 0, "rejected": rejected, "currents_events": currents_events, "rejected_events": rejected_events})),
        )
            .into_response());
    }
    let mut duplicates = 0usize;
    let accepted = requests.len();
    if !requests.is_empty() {
        let outcomes = commit(state, requests).await?;
        duplicates = outcomes
            .iter()
            .filter(|o| matches!(o, AppendOutcome::Duplicate(_)))
            .count();
        metrics::counter!("braid_ingest_duplicate_batches_total").increment(duplicates as u64);
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"accepted": accepted, "duplicates": duplicates, "rejected": rejected})),
    )
        .into_response())
}
