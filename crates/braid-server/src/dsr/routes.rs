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
//! On a node without the delivery role (distributed backend) the three request routes
//! answer 503 (`Unavailable`) instead: requests are taken and processed on delivery nodes.
//!
//! Every `/v3` answer is signed like a callback. Errors use OpenDSR's body:
//! `{"error": {"code": 400, "message": "...", "errors": [{"domain", "reason", "message"}]}}`.

use super::callback::{API_VERSION, DOMAIN_HEADER, SIGNATURE_HEADER};
use super::record::{DsrRecord, Status};
use super::request::{self, IdentityFormat, RequestType};
use super::{Dsr, Inserted};
use crate::app::AppState;
use crate::auth::{AuthFailure, Guard};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use base64::Engine;
use braid_core::clock::now_ms;
use serde_json::{json, Value};
use std::sync::Arc;

/// The OpenDSR routes: requests behind the data subject request credentials, discovery
/// and the certificate open to all. A node that does not serve requests (no `delivery`
/// role: requests are processed on delivery nodes) answers every request route 503.
pub fn routes(dsr: Guard, serves_requests: bool) -> Router<Arc<AppState>> {
    let requests = if serves_requests {
        dsr.protect(
            Router::new()
                .route("/v3/requests", axum::routing::post(create))
                .route("/v3/requests/{id}", get(status).delete(cancel))
                .route("/v3/requests/{id}/results", get(results)),
        )
    } else {
        Router::new()
            .route("/v3/requests", any(not_served))
            .route("/v3/requests/{id}", any(not_served))
            .route("/v3/requests/{id}/results", any(not_served))
    };
    requests
        .route("/v3/discovery", get(discovery))
        .route("/v3/certificate.pem", get(certificate))
}

/// The audit trail, for the admin router (admin credentials and error body).
pub fn admin_routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/v1/dsr/requests", get(audit_trail))
}

/// Why an OpenDSR request was refused, answered with OpenDSR's error body:
/// `{"error": {"code": 404, "message": "...", "errors": [{"domain": "opendsr",
/// "reason": "NotFound", "message": "..."}]}}`.
#[derive(Debug, thiserror::Error)]
pub enum OpenDsrError {
    #[error("data subject request credentials required (HTTP Basic)")]
    Unauthorized,
    #[error("wrong data subject request credentials")]
    Forbidden,
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
    #[error("{0}")]
    Unavailable(String),
}

impl OpenDsrError {
    fn internal(e: impl std::fmt::Display) -> OpenDsrError {
        OpenDsrError::Internal(e.to_string())
    }

    fn no_request(id: &str) -> OpenDsrError {
        OpenDsrError::NotFound(format!("no request with subject_request_id {id}"))
    }
}

impl From<AuthFailure> for OpenDsrError {
    fn from(failure: AuthFailure) -> Self {
        match failure {
            AuthFailure::Missing => OpenDsrError::Unauthorized,
            AuthFailure::Wrong => OpenDsrError::Forbidden,
        }
    }
}

impl IntoResponse for OpenDsrError {
    fn into_response(self) -> Response {
        let (status, reason) = match &self {
            OpenDsrError::Unauthorized => (StatusCode::UNAUTHORIZED, "Unauthorized"),
            OpenDsrError::Forbidden => (StatusCode::FORBIDDEN, "Forbidden"),
            OpenDsrError::Validation(_) => (StatusCode::BAD_REQUEST, "Validation"),
            OpenDsrError::NotFound(_) => (StatusCode::NOT_FOUND, "NotFound"),
            OpenDsrError::Conflict(_) => (StatusCode::CONFLICT, "Conflict"),
            OpenDsrError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Internal"),
            OpenDsrError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "Unavailable"),
        };
        let message = self.to_string();
        let body = json!({"error": {
            "code": status.as_u16(),
            "message": message,
            "errors": [{"domain": "opendsr", "reason": reason, "message": message}],
        }});
        (status, axum::Json(body)).into_response()
    }
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

async fn create(State(state): State<Arc<AppState>>, body: Bytes) -> Result<Response, OpenDsrError> {
    let dsr = &state.dsr;
    let new = request::parse(&body).map_err(|e| OpenDsrError::Validation(e.to_string()))?;
    let now = now_ms();
    let record = DsrRecord::new(new, &dsr.salt, now);
    let id = record.id.clone();
    match dsr.insert(record).await.map_err(OpenDsrError::internal)? {
        Inserted::Stored => {}
        Inserted::IdTaken(status) => {
            return Err(OpenDsrError::Conflict(format!(
                "a request with subject_request_id {id} already exists ({status:?})"
            )))
        }
        Inserted::Duplicate(other) => {
            return Err(OpenDsrError::Conflict(format!(
                "request {other} of the same type for the same identities is still in flight"
            )))
        }
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
    Ok(signed(dsr, StatusCode::CREATED, &answer).await)
}

async fn status(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, OpenDsrError> {
    let dsr = &state.dsr;
    let id = id.to_ascii_lowercase();
    let record = dsr
        .current(&id)
        .await
        .map_err(OpenDsrError::internal)?
        .ok_or_else(|| OpenDsrError::no_request(&id))?;
    let doc = dsr.status_document(&record, &base_url(dsr, &headers));
    Ok(signed(dsr, StatusCode::OK, &doc).await)
}

async fn cancel(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, OpenDsrError> {
    let dsr = &state.dsr;
    let id = id.to_ascii_lowercase();
    let now = now_ms();
    let outcome = dsr
        .modify(&id, move |r| match r.status {
            Status::Pending => {
                r.finish(Status::Cancelled, now);
                Ok(true)
            }
            Status::Cancelled => Ok(false),
            other => Err(other),
        })
        .await
        .map_err(OpenDsrError::internal)?;
    let cancelled = match outcome {
        None => return Err(OpenDsrError::no_request(&id)),
        Some((record, Ok(true))) => Some(record),
        Some((_, Ok(false))) => None,
        Some((_, Err(status))) => {
            return Err(OpenDsrError::Conflict(format!(
            "request {id} is {status:?} and can no longer be cancelled; only pending requests can"
        )))
        }
    };
    if let Some(record) = cancelled {
        dsr.request_scrub();
        dsr.send_callbacks(&record);
    }
    let answer = json!({
        "controller_id": dsr.controller_id(),
        "subject_request_id": id,
        "received_time": super::callback::rfc3339(now),
        "api_version": API_VERSION,
    });
    Ok(signed(dsr, StatusCode::ACCEPTED, &answer).await)
}

async fn results(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, OpenDsrError> {
    let dsr = &state.dsr;
    let id = id.to_ascii_lowercase();
    let record = dsr
        .current(&id)
        .await
        .map_err(OpenDsrError::internal)?
        .ok_or_else(|| OpenDsrError::no_request(&id))?;
    if !record.results_available {
        let why = if record.request_type == RequestType::Erasure {
            "an erasure has no results"
        } else if record.results_deleted_ms.is_some() {
            "the results were deleted after the retention period"
        } else {
            "the results are not ready yet"
        };
        return Err(OpenDsrError::NotFound(why.to_string()));
    }
    let store = dsr.store.clone();
    let loaded = tokio::task::spawn_blocking(move || super::record::load_result(&store, &id))
        .await
        .map_err(OpenDsrError::internal)?
        .map_err(OpenDsrError::internal)?;
    match loaded {
        Some(result) => Ok(signed(dsr, StatusCode::OK, &result).await),
        None => Err(OpenDsrError::NotFound("the results were deleted".into())),
    }
}

/// A node without the delivery role: data subject requests are neither taken nor
/// processed here.
async fn not_served() -> OpenDsrError {
    OpenDsrError::Unavailable(
        "this node does not serve data subject requests: they are served by nodes with the \
         delivery role (--role delivery or all); send them there"
            .into(),
    )
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

async fn certificate(State(state): State<Arc<AppState>>) -> Result<Response, OpenDsrError> {
    let signer = state.dsr.signer().await.map_err(OpenDsrError::internal)?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        signer.certificate_pem().to_string(),
    )
        .into_response())
}

async fn audit_trail(State(state): State<Arc<AppState>>) -> Response {
    if let Err(e) = state.dsr.refresh().await {
        tracing::warn!(error = %e, "reading data subject requests for the audit trail failed");
    }
    let mut records: Vec<DsrRecord> = state.dsr.records.lock().values().cloned().collect();
    records.sort_by_key(|r| r.received_ms);
    let trail: Vec<Value> = records
        .into_iter()
        .map(|mut r| {
            // In-flight requests still hold identities; the trail never shows them.
            r.identities.clear();
            r.braze.pending_deletes.clear();
            serde_json::to_value(r).unwrap_or(Value::Null)
        })
        .collect();
    (StatusCode::OK, axum::Json(json!({ "requests": trail }))).into_response()
}
