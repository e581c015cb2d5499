//! `POST /v3/JS/{key}/events`: one Web SDK batch, sent as `text/plain` (or as a
//! `navigator.sendBeacon` blob), parsed as JSON whatever its content type. A good batch
//! is committed to the same log as server batches, durably, before the 202; a
//! duplicate `source_request_id` is accepted once. A batch braid cannot take is kept in
//! `web-rejected.jsonl` and answered 422, so the SDK does not retry it for ever.
//!
//! Also the forwarding-stats uploads (`/v1/JS/{key}/Forwarding`,
//! `/v2/JS/{key}/Forwarding`): the SDK reports what its kits forwarded; braid has no
//! use for it, accepts it and drops it.

use super::rejected::RejectedBatch;
use super::WebError;
use crate::app::AppState;
use crate::config::BrazeForwarding;
use crate::ingest::IngestError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{MatchedPath, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use braid_core::storage::AppendOutcome;
use braid_core::LogRecordKind;
use serde_json::json;
use std::sync::Arc;

/// `POST /v3/JS/{key}/events`.
pub async fn events(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    route: MatchedPath,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, WebError> {
    let input = state
        .web
        .input(&key)
        .ok_or_else(|| WebError::UnknownKey(key.clone()))?
        .clone();
    let received_ms = state.clock.now_ms();
    let reject = |status: StatusCode, reason: String, body: &[u8]| {
        let kept = RejectedBatch {
            received_ms,
            input: input.name.clone(),
            route: route.as_str().to_string(),
            status: status.as_u16(),
            reason: reason.clone(),
            body: String::from_utf8_lossy(body).into_owned(),
        };
        let state = state.clone();
        async move {
            metrics::counter!("braid_web_rejected_batches_total", "input" => kept.input.clone())
                .increment(1);
            tracing::info!(input = %kept.input, reason = %kept.reason, "web batch refused and kept");
            match tokio::task::spawn_blocking(move || state.web.rejected.keep(&kept)).await {
                Ok(Ok(())) => Ok(()),
                // Not kept: answer 503 so the SDK keeps it and retries.
                Ok(Err(e)) => Err(WebError::NotStored(e.to_string())),
                Err(e) => Err(WebError::NotStored(e.to_string())),
            }
        }
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let too_large = rejection.status() == StatusCode::PAYLOAD_TOO_LARGE;
            let error = if too_large {
                WebError::BodyTooLarge {
                    max: state.config.limits.max_request_bytes,
                }
            } else {
                WebError::Unprocessable(rejection.body_text())
            };
            let status = error.status_and_code().0;
            reject(status, error.to_string(), b"").await?;
            return Err(error);
        }
    };
    let batch = match crate::ingest::check_batch(&state, &body) {
        Ok(batch) => batch,
        Err(e) => {
            let (error, reason) = match e {
                IngestError::BatchTooLarge(e) => (
                    WebError::BodyTooLarge {
                        max: state.config.limits.max_batch_bytes,
                    },
                    e.to_string(),
                ),
                other => {
                    let error = WebError::Unprocessable(other.to_string());
                    let reason = error.to_string();
                    (error, reason)
                }
            };
            reject(error.status_and_code().0, reason, &body).await?;
            return Err(error);
        }
    };
    let kind = match input.braze_forwarding {
        BrazeForwarding::Server => LogRecordKind::Live,
        BrazeForwarding::Kit => LogRecordKind::ViaKit,
    };
    let request = crate::ingest::append_request(received_ms, &input.name, kind, &batch, &body);
    let outcomes = crate::ingest::append_unless_refused(&state, vec![request])
        .await
        .map_err(WebError::NotStored)?;
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

/// `POST /v1/JS/{key}/Forwarding` and `/v2/JS/{key}/Forwarding`: accepted, dropped.
pub async fn forwarding_stats(Path(_key): Path<String>, _body: Bytes) -> StatusCode {
    metrics::counter!("braid_web_forwarding_stats_dropped_total").increment(1);
    StatusCode::ACCEPTED
}
