//! The console is a client of the JSON admin API, called in-process: every change it
//! makes (audiences, dead-letter replays) and most of what it reads go through the very
//! handlers `curl` reaches, with the admin credentials, so the console can never write
//! around the pipeline or drift from the API's rules.

use crate::app::AppState;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use base64::Engine;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

/// Call the admin API at `path` (with its query); the status and JSON answer.
pub async fn call(
    state: &Arc<AppState>,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let Some(admin) = state.admin.first() else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            error_body("no admin credentials are configured"),
        );
    };
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        admin.key,
        admin.secret.expose()
    ));
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Basic {basic}"));
    let body = match body {
        Some(v) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(serde_json::to_vec(v).unwrap_or_default())
        }
        None => Body::empty(),
    };
    let request = match request.body(body) {
        Ok(r) => r,
        Err(e) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                error_body(&e.to_string()),
            )
        }
    };
    let guard = crate::auth::Guard::new::<crate::admin::AdminError>(state.admin.clone());
    let api = crate::admin::routes(guard).with_state(state.clone());
    let response = match api.oneshot(request).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The message of an admin API error body (`{"errors":[{"message":...}]}`).
pub fn error_message(body: &Value) -> String {
    body["errors"][0]["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| body.to_string())
}

fn error_body(message: &str) -> Value {
    serde_json::json!({"errors": [{"code": "INTERNAL", "message": message}]})
}
