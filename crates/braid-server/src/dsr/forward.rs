//! Forwarding erasures to Braze: `/users/delete` with external ids, at most 50 per
//! request, retried by the same rules as delivery (429: wait for the reset; 5xx,
//! timeouts, connection errors, 404: exponential backoff with jitter, forever; 401/403:
//! wait and probe again; 400: refused for good). Without a REST key the request is
//! written to the dry-run file, as delivery does.
//!
//! Before sending, [`Forwarder::send`] waits until every `/users/track` request that was
//! in flight has finished: the erasure removed the person's queued entries, but a
//! request already on its way could still carry them, and must reach Braze before the
//! delete, never after it.

use super::DsrError;
use braid_braze::response::{classify, Outcome, RateLimitInfo};
use braid_delivery::{BackoffConfig, DeliveryConfig, DeliveryHandle};
use rand::Rng;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::Duration;
use tokio::sync::watch;

/// Braze's limit of ids per `/users/delete` request.
pub const MAX_IDS_PER_DELETE: usize = braid_delivery::batch::MAX_IDS_PER_REQUEST;

/// How one `/users/delete` request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forwarded {
    /// Braze acknowledged it (or it was written to the dry-run file).
    Sent,
    /// Braze refused it for good (400); the reason.
    Refused(String),
    /// Shutdown came first; nothing is settled.
    Stopped,
}

/// Sends `/users/delete` requests.
pub struct Forwarder {
    client: reqwest::Client,
    url: String,
    key: RwLock<Option<String>>,
    backoff: BackoffConfig,
    auth_probe_interval: Duration,
    rate_window: Duration,
    dry_run_path: PathBuf,
    delivery: DeliveryHandle,
}

impl Forwarder {
    /// A forwarder for the Braze instance and key of `[delivery]`.
    pub fn new(
        config: &DeliveryConfig,
        data_dir: &std::path::Path,
        delivery: DeliveryHandle,
    ) -> Result<Forwarder, DsrError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.request_timeout_ms))
            .build()
            .map_err(|e| DsrError::Task(format!("building the http client: {e}")))?;
        Ok(Forwarder {
            client,
            url: format!("{}/users/delete", config.instance.rest_url()),
            key: RwLock::new(config.rest_api_key.as_ref().map(|k| k.expose().to_owned())),
            backoff: config.backoff.clone(),
            auth_probe_interval: Duration::from_millis(config.auth_probe_interval_ms),
            rate_window: Duration::from_millis(config.rate_window_ms),
            dry_run_path: config
                .dry_run_path
                .clone()
                .unwrap_or_else(|| data_dir.join("dry-run.jsonl")),
            delivery,
        })
    }

    pub(crate) fn set_key(&self, key: Option<String>) {
        *self.key.write().expect("key lock poisoned") = key;
    }

    /// Wait until no Braze request from before this call is still in flight.
    pub async fn wait_for_earlier_requests(&self) {
        self.delivery.wait_for_requests_in_flight().await;
    }

    /// Delete up to [`MAX_IDS_PER_DELETE`] external ids in Braze, retrying until Braze
    /// gives a final answer or `shutdown` turns true. `problem` hears every transient
    /// failure (to show on the request's status while it is retried).
    pub async fn send(
        &self,
        external_ids: &[String],
        shutdown: &mut watch::Receiver<bool>,
        problem: impl Fn(String),
    ) -> Forwarded {
        assert!(
            external_ids.len() <= MAX_IDS_PER_DELETE,
            "caller chunks the ids"
        );
        let body = json!({ "external_ids": external_ids });
        let mut attempt: u32 = 0;
        loop {
            if *shutdown.borrow() {
                return Forwarded::Stopped;
            }
            let key = self.key.read().expect("key lock poisoned").clone();
            let Some(key) = key else {
                return match self.write_dry_run(&body) {
                    Ok(()) => Forwarded::Sent,
                    Err(e) => {
                        problem(e.clone());
                        self.pause(self.backoff.delay(attempt, 0.0), shutdown).await;
                        attempt = attempt.saturating_add(1);
                        continue;
                    }
                };
            };
            let answer = self
                .client
                .post(&self.url)
                .bearer_auth(key)
                .json(&body)
                .send()
                .await;
            let response = match answer {
                Ok(r) => r,
                Err(e) => {
                    metrics::counter!("braid_braze_requests_total", "endpoint" => "/users/delete", "status" => "transport").increment(1);
                    problem(format!("braze /users/delete failed: {e}"));
                    self.retry_later(&mut attempt, shutdown).await;
                    continue;
                }
            };
            let status = response.status().as_u16();
            metrics::counter!("braid_braze_requests_total", "endpoint" => "/users/delete", "status" => status.to_string()).increment(1);
            let rate_limit = RateLimitInfo::from_headers(
                response
                    .headers()
                    .iter()
                    .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v))),
            );
            let bytes = response.bytes().await.unwrap_or_default();
            match classify(status, &rate_limit, &bytes) {
                Outcome::Success | Outcome::PartialSuccess { .. } => return Forwarded::Sent,
                Outcome::Fatal {
                    status, message, ..
                } => return Forwarded::Refused(format!("braze answered {status}: {message}")),
                Outcome::PayloadTooLarge => {
                    return Forwarded::Refused("braze answered 413: payload too large".into())
                }
                Outcome::AuthFailure { status, message } => {
                    problem(format!(
                        "braze answered {status}: {message}; retrying every {} ms",
                        self.auth_probe_interval.as_millis()
                    ));
                    self.pause(self.auth_probe_interval, shutdown).await;
                }
                Outcome::RateLimited { .. } => {
                    problem("braze answered 429: waiting for the rate-limit reset".into());
                    let now_ms = u64::try_from(super::process::now_ms()).unwrap_or(0);
                    let pause = rate_limit
                        .reset_at_unix_s(now_ms / 1000)
                        .map(|reset| Duration::from_millis((reset * 1000).saturating_sub(now_ms)))
                        .unwrap_or(self.rate_window);
                    self.pause(pause.max(Duration::from_millis(250)), shutdown)
                        .await;
                }
                Outcome::Retry { status } => {
                    problem(format!("braze answered {status}; retrying"));
                    self.retry_later(&mut attempt, shutdown).await;
                }
                Outcome::NotFound => {
                    problem("braze answered 404: check the instance; retrying".into());
                    self.retry_later(&mut attempt, shutdown).await;
                }
            }
        }
    }

    async fn retry_later(&self, attempt: &mut u32, shutdown: &mut watch::Receiver<bool>) {
        let random: f64 = rand::thread_rng().gen();
        let delay = self.backoff.delay(*attempt, random);
        *attempt = attempt.saturating_add(1);
        self.pause(delay, shutdown).await;
    }

    async fn pause(&self, delay: Duration, shutdown: &mut watch::Receiver<bool>) {
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.changed() => {}
        }
    }

    fn write_dry_run(&self, body: &serde_json::Value) -> Result<(), String> {
        let line = json!({"endpoint": "/users/delete", "body": body, "data_points": 0});
        let mut bytes = serde_json::to_vec(&line).expect("json values serialize");
        bytes.push(b'\n');
        let path = &self.dry_run_path;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("writing the dry-run file {}: {e}", path.display()))?;
        }
        // One append-mode write per line, so lines never interleave with delivery's.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(&bytes))
            .map_err(|e| format!("writing the dry-run file {}: {e}", path.display()))
    }
}
