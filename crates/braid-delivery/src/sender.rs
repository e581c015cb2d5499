//! One HTTP request to Braze, or, without a REST key, one line in the dry-run file.
//!
//! The sender knows nothing about retries or batches: it sends bytes and reports what
//! came back (status, rate-limit headers, body) or how the transport failed.

use crate::request::Endpoint;
use braid_braze::response::RateLimitInfo;
use braid_core::Secret;
use serde_json::{json, Value};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

/// What came back for one request.
#[derive(Debug)]
pub(crate) enum Answer {
    /// Braze answered.
    Http {
        status: u16,
        rate_limit: RateLimitInfo,
        body: Vec<u8>,
    },
    /// Dry run: the request was written to the dry-run file.
    DryRun,
}

/// The request did not get an answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TransportError {
    #[error("request timed out")]
    Timeout,
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("transport error: {0}")]
    Other(String),
    #[error("writing the dry-run file {path}: {source}")]
    DryRun {
        path: String,
        source: std::io::Error,
    },
}

impl TransportError {
    /// The `reason` label of `braid_braze_retries_total`.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            TransportError::Timeout => "timeout",
            TransportError::Connect(_) => "connection",
            TransportError::Other(_) => "transport",
            TransportError::DryRun { .. } => "dry_run_write",
        }
    }
}

/// Sends requests to one Braze base URL with the current key.
pub(crate) struct Sender {
    client: reqwest::Client,
    base_url: String,
    key: RwLock<Option<Secret>>,
    dry_run_path: PathBuf,
    dry_run_file: Mutex<Option<File>>,
}

impl Sender {
    pub(crate) fn new(
        base_url: &str,
        key: Option<Secret>,
        timeout: Duration,
        dry_run_path: PathBuf,
    ) -> Result<Sender, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("braid/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Sender {
            client,
            base_url: base_url.trim_end_matches('/').to_string(),
            key: RwLock::new(key),
            dry_run_path,
            dry_run_file: Mutex::new(None),
        })
    }

    /// Replace the key; `None` switches to dry run.
    pub(crate) fn set_key(&self, key: Option<Secret>) {
        *self.key.write().expect("key lock poisoned") = key;
    }

    /// Whether requests currently go to the dry-run file.
    pub(crate) fn is_dry_run(&self) -> bool {
        self.key.read().expect("key lock poisoned").is_none()
    }

    pub(crate) fn dry_run_path(&self) -> &std::path::Path {
        &self.dry_run_path
    }

    /// Send one request body to an endpoint.
    pub(crate) async fn send(
        &self,
        endpoint: Endpoint,
        body: &Value,
        data_points: u64,
    ) -> Result<Answer, TransportError> {
        let key = self.key.read().expect("key lock poisoned").clone();
        let Some(key) = key else {
            return self
                .write_dry_run(endpoint, body, data_points)
                .map(|()| Answer::DryRun);
        };
        let url = format!("{}{}", self.base_url, endpoint.path());
        let result = self
            .client
            .post(url)
            .bearer_auth(key.expose())
            .json(body)
            .send()
            .await;
        let response = match result {
            Ok(response) => response,
            Err(e) => return Err(transport_error(e)),
        };
        let status = response.status().as_u16();
        let rate_limit = RateLimitInfo::from_headers(
            response
                .headers()
                .iter()
                .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str(), v))),
        );
        let body = response.bytes().await.map_err(transport_error)?.to_vec();
        Ok(Answer::Http {
            status,
            rate_limit,
            body,
        })
    }

    fn write_dry_run(
        &self,
        endpoint: Endpoint,
        body: &Value,
        data_points: u64,
    ) -> Result<(), TransportError> {
        let line = json!({"endpoint": endpoint.path(), "body": body, "data_points": data_points});
        let mut guard = self.dry_run_file.lock().expect("dry-run lock poisoned");
        let wrap = |source| TransportError::DryRun {
            path: self.dry_run_path.display().to_string(),
            source,
        };
        if guard.is_none() {
            if let Some(parent) = self.dry_run_path.parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(wrap)?;
                }
            }
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.dry_run_path)
                .map_err(wrap)?;
            *guard = Some(file);
        }
        let file = guard.as_mut().expect("opened above");
        let mut bytes = serde_json::to_vec(&line).expect("json values serialize");
        bytes.push(b'\n');
        file.write_all(&bytes).map_err(wrap)?;
        file.flush().map_err(wrap)
    }
}

fn transport_error(e: reqwest::Error) -> TransportError {
    if e.is_timeout() {
        TransportError::Timeout
    } else if e.is_connect() {
        TransportError::Connect(e.to_string())
    } else {
        TransportError::Other(e.to_string())
    }
}
