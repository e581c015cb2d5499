//! The mParticle Web SDK's endpoints: event batches (`/v3/JS/{key}/events`), IDSync
//! (`/v1/identify|login|logout|search`, `/v1/{mpid}/modify`), alias
//! (`/v1/identity/{key}/Alias`), the SDK's remote config (`/JS/v2/{key}/config`) and
//! forwarding-stats uploads (accepted, dropped). Every route is served twice: on the
//! SDK's default paths and on the single-`domain` (CNAME) layout (`/webevents/...`,
//! `/identity/v1/...`, `/tags/JS/v2/...`).
//!
//! Web keys are public, so these routes have no secret: a request names its input by
//! key (path or `x-mp-key`), its page origin is checked for CORS ([`cors`]) and it is
//! rate limited per key and per client address ([`rate_limit`]). Status codes follow
//! the SDK's retry rules: a batch braid cannot take is answered 422 (the SDK drops it;
//! braid keeps it in [`rejected`]), never 400 (retried for ever); IDSync answers 200.

pub mod config_route;
pub mod cors;
pub mod events;
pub mod idsync;
pub mod rate_limit;
pub mod rejected;

use crate::app::AppState;
use crate::config::{BrazeForwarding, Config, InputPlatform};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// `[web]`: settings of the Web SDK's endpoints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// `[web.rate_limit]`: how much one key and one client address may send.
    pub rate_limit: rate_limit::RateLimitConfig,
    /// `[web.braze_kit]`: the Braze web kit configuration `/config` hands the SDK.
    pub braze_kit: config_route::BrazeKitConfig,
}

impl WebConfig {
    /// Checks serde cannot express: `(key, problem)`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        self.rate_limit
            .validate()
            .map_err(|(k, p)| (format!("rate_limit.{k}"), p))?;
        self.braze_kit
            .validate()
            .map_err(|(k, p)| (format!("braze_kit.{k}"), p))
    }
}

/// One web input as the routes need it.
#[derive(Debug, Clone)]
pub struct WebInput {
    /// The input's name (logs, metrics, de-duplication).
    pub name: String,
    pub key: String,
    /// Exact origins allowed to call it.
    pub allowed_origins: Vec<String>,
    pub braze_forwarding: BrazeForwarding,
}

/// The web side's shared state: inputs by key, the rate limiter, the rejected batches.
pub struct Web {
    inputs: HashMap<String, WebInput>,
    /// Every origin of every web input (IDSync preflights carry no key).
    any_origin: Vec<String>,
    pub limiter: rate_limit::RateLimiter,
    pub rejected: rejected::RejectedLog,
}

impl Web {
    /// The web inputs of `config`, its rate limits and the rejected-batch file.
    pub fn new(config: &Config) -> Web {
        let inputs: HashMap<String, WebInput> = config
            .inputs
            .iter()
            .filter(|i| i.platform == InputPlatform::Web)
            .map(|i| {
                (
                    i.key.clone(),
                    WebInput {
                        name: i.display_name().to_string(),
                        key: i.key.clone(),
                        allowed_origins: i.allowed_origins.clone(),
                        braze_forwarding: i.braze_forwarding,
                    },
                )
            })
            .collect();
        let mut any_origin: Vec<String> = inputs
            .values()
            .flat_map(|i| i.allowed_origins.iter().cloned())
            .collect();
        any_origin.sort();
        any_origin.dedup();
        Web {
            inputs,
            any_origin,
            limiter: rate_limit::RateLimiter::new(config.web.rate_limit.clone()),
            rejected: rejected::RejectedLog::new(&config.server.data_dir),
        }
    }

    /// The web input with this key.
    pub fn input(&self, key: &str) -> Option<&WebInput> {
        self.inputs.get(key)
    }

    /// Whether any web input allows `origin`.
    pub fn any_input_allows(&self, origin: &str) -> bool {
        self.any_origin.iter().any(|o| o == origin)
    }

    /// Whether any web input is configured.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }
}

/// Why a web route refused a request. Events, alias and config answer mParticle's
/// Events API body (`{"errors":[{"code","message"}]}`); IDSync answers its own
/// ([`idsync::IdSyncHttpError`]).
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("unknown web key `{0}`")]
    UnknownKey(String),
    #[error("origin `{0}` is not allowed for this key")]
    OriginRefused(String),
    #[error("too many requests for this {0}; retry later")]
    RateLimited(&'static str),
    #[error("request body exceeds {max} bytes")]
    BodyTooLarge { max: usize },
    /// The batch cannot be processed (kept in `web-rejected.jsonl`).
    #[error("{0}")]
    Unprocessable(String),
    #[error("not stored, retry later: {0}")]
    NotStored(String),
}

impl WebError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            // 401–499 other than 429: the SDK drops the batch (it cannot be sent here).
            WebError::UnknownKey(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            WebError::OriginRefused(_) => (StatusCode::FORBIDDEN, "ORIGIN_NOT_ALLOWED"),
            WebError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS"),
            WebError::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
            WebError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "UNPROCESSABLE"),
            // 5xx: the SDK keeps the batch and retries.
            WebError::NotStored(_) => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let mut response = (
            status,
            Json(json!({"errors": [{"code": code, "message": self.to_string()}]})),
        )
            .into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                "1".parse().expect("static"),
            );
        }
        response
    }
}

/// The web routes on both layouts, behind the rate limiter and the CORS layer.
pub fn routes(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    let mut router = Router::new();
    // (prefix of the SDK's default layout, prefix of the CNAME layout)
    for (events, identity, alias, config) in [
        ("/v3/JS", "/v1", "/v1/identity", "/JS/v2"),
        (
            "/webevents/v3/JS",
            "/identity/v1",
            "/webevents/v1/identity",
            "/tags/JS/v2",
        ),
    ] {
        router = router
            .route(&format!("{events}/{{key}}/events"), post(events::events))
            .route(&format!("{identity}/identify"), post(idsync::identify))
            .route(&format!("{identity}/login"), post(idsync::login))
            .route(&format!("{identity}/logout"), post(idsync::logout))
            .route(&format!("{identity}/search"), post(idsync::search))
            .route(&format!("{identity}/{{mpid}}/modify"), post(idsync::modify))
            .route(&format!("{alias}/{{key}}/Alias"), post(idsync::alias))
            .route(
                &format!("{config}/{{key}}/config"),
                get(config_route::config),
            );
    }
    for stats in ["/v1/JS", "/v2/JS", "/webevents/v1/JS", "/webevents/v2/JS"] {
        router = router.route(
            &format!("{stats}/{{key}}/Forwarding"),
            post(events::forwarding_stats),
        );
    }
    router
        .layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limit::limit,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), cors::cors))
}
