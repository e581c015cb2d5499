//! The HTTP side of data subject requests.
//!
//! | route | auth | what |
//! |---|---|---|
//! | `POST /v3/requests` | DSR | create a request (201), 409 for a duplicate |
//! | `GET /v3/requests/{id}` | DSR | its status, with each destination's status |
//! | `DELETE /v3/requests/{id}` | DSR | cancel it while it is still `pending` (202) |
//! | `GET /v3/requests/{id}/results` | DSR | the data of a completed access/portability request |
//! | `GET /v3/discovery` | none | what braid supports, and where its certificate is |
//! | `GET /v3/certificate.pem` | none | the certificate that verifies `X-OpenDSR-Signature` |
//! | `GET /api/v1/dsr/requests` | admin | the audit trail (no personal data) |
//!
//! Every `/v3` answer is signed like a callback. Errors use OpenDSR's body:
//! `{"error": {"code": 400, "message": "...", "errors": [{"domain", "reason", "message"}]}}`.

use super::callback::{API_VERSION, DOMAIN_HEADER, SIGNATURE_HEADER};
use super::record::{DsrRecord, Status};
use super::request::{self, IdentityFormat, RequestType};
use super::Dsr;
use crate::app::AppState;
use crate::auth::{check_basic, AuthFailure};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use serde_json::{json, Value};
use std::sync::Arc;

/// The routes, for the main router.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/requests", axum::routing::post(create))
        .route("/v3/requests/{id}", get(status).delete(cancel))
        .route("/v3/requests/{id}/results", get(results))
        .route("/v3/discovery", get(discovery))
        .route("/v3/certificate.pem", get(certificate))
        .route("/api/v1/dsr/requests", get(audit_trail))
}

/// OpenDSR's error body.
fn error(status: StatusCode, reason: &str, message: impl Into<String>) -> Response {
    let message = message.into();
    let body = json!({"error": {
        "code": status.as_u16(),
        "message": message,
        "errors": [{"domain": "opendsr", "reason": reason, "message": message}],
    }});
    (status, axum::Json(body)).into_response()
}

fn authorize(dsr: &Dsr, headers: &HeaderMap) -> Result<(), Response> {
    check_basic(headers, &dsr.credentials)
        .map(|_| ())
        .map_err(|failure| match failure {
            AuthFailure::Missing => error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "data subject request credentials required (HTTP Basic)",
            ),
            AuthFailure::Wrong => error(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "wrong data subject request credentials",
            ),
        })
}

/// A JSON answer signed with the processor key.
async fn signed(dsr: &Dsr, status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).expect("json values serialize");
    let signature = match dsr.signer().await {
        Ok(signer) => Some(signer.sign(&bytes)),
        Err(e) => {
            tracing::error!(error = %e, "cannot sign a data subject request answer");
            None
        }
    };
    let mut response =
        (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response();
    let headers = response.headers_mut();
    if let Some(signature) = signature.and_then(|s| HeaderValue::from_str(&s).ok()) {
        headers.insert(SIGNATURE_HEADER, signature);
    }
    if let Ok(domain) = HeaderValue::from_str(&dsr.config.processor_domain) {
        headers.insert(DOMAIN_HEADER, domain);
    }
    response
}

fn base_url(dsr: &Dsr, headers: &HeaderMap) -> String {
    if let Some(url) = &dsr.config.public_url {
        return url.trim_end_matches('/').to_string();
    }
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| format!("http://{host}"))
        .unwrap_or_else(|| dsr.default_base_url())
}

fn internal(e: impl std::fmt::Display) -> Response {
    error(StatusCode::INTERNAL_SERVER_ERROR, "Internal", e.to_string())
}

async fn create(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let dsr = &state.dsr;
    if let Err(r) = authorize(dsr, &headers) {
        return r;
    }
    let new = match request::parse(&body) {
        Ok(new) => new,
        Err(e) => return error(StatusCode::BAD_REQUEST, "Validation", e.to_string()),
    };
    let now = braid_core::clock::now_ms();
    let record = DsrRecord::new(new, &dsr.salt, now);
    let id = record.id.clone();
    {
        let mut records = dsr.records.lock();
        if let Some(existing) = records.get(&id) {
            return error(
                StatusCode::CONFLICT,
                "Conflict",
                format!(
                    "a request with subject_request_id {id} already exists ({:?})",
                    existing.status
                ),
            );
        }
        let duplicate = records.values().find(|r| {
            !r.status.is_final()
                && r.request_type == record.request_type
                && same_set(&r.identity_hashes, &record.identity_hashes)
        });
        if let Some(other) = duplicate {
            return error(
                StatusCode::CONFLICT,
                "Conflict",
                format!(
                    "request {} of the same type for the same identities is still in flight",
                    other.id
                ),
            );
        }
        records.insert(id.clone(), record);
    }
    if let Err(e) = dsr.persist(&id).await {
        dsr.records.lock().remove(&id);
        return internal(e);
    }
    metrics::counter!("braid_dsr_requests_total").increment(1);
    dsr.wake.notify_one();
    let received = dsr.record(&id).map_or(now, |r| r.received_ms);
    let answer = json!({
        "controller_id": dsr.controller_id(),
        "expected_completion_time": super::callback::rfc3339(dsr.expected_completion_ms(received)),
        "received_time": super::callback::rfc3339(received),
        "encoded_request": base64::engine::general_purpose::STANDARD.encode(&body),
        "subject_request_id": id,
        "api_version": API_VERSION,
    });
    signed(dsr, StatusCode::CREATED, &answer).await
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    a == b
}

fn not_found(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("no request with subject_request_id {id}"),
    )
}

async fn status(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let dsr = &state.dsr;
    if let Err(r) = authorize(dsr, &headers) {
        return r;
    }
    let id = id.to_ascii_lowercase();
    match dsr.record(&id) {
        Some(record) => {
            let doc = dsr.status_document(&record, &base_url(dsr, &headers));
            signed(dsr, StatusCode::OK, &doc).await
        }
        None => not_found(&id),
    }
}

async fn cancel(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let dsr = &state.dsr;
    if let Err(r) = authorize(dsr, &headers) {
        return r;
    }
    let id = id.to_ascii_lowercase();
    let now = braid_core::clock::now_ms();
    let outcome = {
        let mut records = dsr.records.lock();
        match records.get_mut(&id) {
            None => Err(not_found(&id)),
            Some(r) if r.status == Status::Pending => {
                r.finish(Status::Cancelled, now);
                Ok(Some(r.clone()))
            }
            Some(r) if r.status == Status::Cancelled => Ok(None),
            Some(r) => Err(error(
                StatusCode::CONFLICT,
                "Conflict",
                format!(
                    "request {id} is {:?} and can no longer be cancelled; only pending requests can",
                    r.status
                ),
            )),
        }
    };
    let cancelled = match outcome {
        Ok(cancelled) => cancelled,
        Err(response) => return response,
    };
    if let Some(record) = cancelled {
        if let Err(e) = dsr.persist(&id).await {
            return internal(e);
        }
        dsr.request_scrub();
        dsr.send_callbacks(&record);
    }
    let answer = json!({
        "controller_id": dsr.controller_id(),
        "subject_request_id": id,
        "received_time": super::callback::rfc3339(now),
        "api_version": API_VERSION,
    });
    signed(dsr, StatusCode::ACCEPTED, &answer).await
}

async fn results(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let dsr = &state.dsr;
    if let Err(r) = authorize(dsr, &headers) {
        return r;
    }
    let id = id.to_ascii_lowercase();
    let Some(record) = dsr.record(&id) else {
        return not_found(&id);
    };
    if !record.results_available {
        let why = if record.request_type == RequestType::Erasure {
            "an erasure has no results"
        } else if record.results_deleted_ms.is_some() {
            "the results were deleted after the retention period"
        } else {
            "the results are not ready yet"
        };
        return error(StatusCode::NOT_FOUND, "NotFound", why);
    }
    let store = dsr.store.clone();
    let loaded = tokio::task::spawn_blocking(move || super::record::load_result(&store, &id)).await;
    match loaded {
        Ok(Ok(Some(result))) => signed(dsr, StatusCode::OK, &result).await,
        Ok(Ok(None)) => error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the results were deleted",
        ),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

async fn discovery(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let dsr = &state.dsr;
    let mut identities = Vec::new();
    for kind in request::supported_identity_types() {
        let formats: &[IdentityFormat] = if kind == "mpid" {
            &[IdentityFormat::Raw]
        } else {
            &IdentityFormat::ALL
        };
        for format in formats {
            identities.push(json!({"identity_type": kind, "identity_format": format.as_str()}));
        }
    }
    let doc = json!({
        "api_version": API_VERSION,
        "supported_identities": identities,
        "supported_subject_request_types": RequestType::ALL.map(RequestType::as_str),
        "supported_regulations": ["gdpr", "ccpa"],
        "processor_certificate": format!("{}/v3/certificate.pem", base_url(dsr, &headers)),
        "destinations": ["braze"],
    });
    signed(dsr, StatusCode::OK, &doc).await
}

async fn certificate(State(state): State<Arc<AppState>>) -> Response {
    match state.dsr.signer().await {
        Ok(signer) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            signer.certificate_pem().to_string(),
        )
            .into_response(),
        Err(e) => internal(e),
    }
}

async fn audit_trail(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(r) = crate::admin::authorize(&state, &headers) {
        return r;
    }
    let mut records: Vec<DsrRecord> = state.dsr.records.lock().values().cloned().collect();
    records.sort_by_key(|r| r.received_ms);
    let trail: Vec<Value> = records
        .into_iter()
        .map(|mut r| {
            // In-flight requests still hold identities; the trail never shows them.
            r.identities.clear();
            r.braze.pending_external_ids.clear();
            serde_json::to_value(r).unwrap_or(Value::Null)
        })
        .collect();
    (StatusCode::OK, axum::Json(json!({ "requests": trail }))).into_response()
}
