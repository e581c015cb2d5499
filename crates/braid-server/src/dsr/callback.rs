//! The status document of a request (the body of `GET /v3/requests/{id}` and of every
//! callback), and signed callbacks to `status_callback_urls` on each status change.
//!
//! A callback body is signed with the processor key (`X-OpenDSR-Signature`: base64
//! RSA-SHA256 over the exact bytes sent) and names the processor domain
//! (`X-OpenDSR-Processor-Domain`). A failed callback is retried a few times with a
//! growing pause; the status stays available by polling either way.

use super::record::{DestinationStatus, DsrRecord, Status};
use super::Dsr;
use chrono::{SecondsFormat, TimeZone, Utc};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// The OpenDSR API version braid speaks (mParticle's DSR API v3).
pub const API_VERSION: &str = "3.0";
/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-OpenDSR-Signature";
/// Header naming the processor domain.
pub const DOMAIN_HEADER: &str = "X-OpenDSR-Processor-Domain";
/// Attempts per callback URL.
const CALLBACK_ATTEMPTS: u32 = 4;

/// RFC 3339 (UTC, seconds) of a UNIX-ms time.
pub fn rfc3339(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Pending => "pending",
        Status::InProgress => "in_progress",
        Status::Completed => "completed",
        Status::Cancelled => "cancelled",
    }
}

fn destination_name(status: DestinationStatus) -> &'static str {
    match status {
        DestinationStatus::Pending => "pending",
        DestinationStatus::Sent => "sent",
        DestinationStatus::Failed => "failed",
        DestinationStatus::Skipped => "skipped",
    }
}

impl Dsr {
    /// When braid expects to finish a request received at `received_ms`: once its
    /// processing delay has passed, plus an hour of slack for Braze's retries.
    pub fn expected_completion_ms(&self, received_ms: i64) -> i64 {
        received_ms + self.config.processing_delay_ms as i64 + 3_600_000
    }

    /// The status document of a request. `base_url` builds `results_url`.
    pub fn status_document(&self, record: &DsrRecord, base_url: &str) -> Value {
        let mut doc = json!({
            "controller_id": self.controller_id(),
            "expected_completion_time": rfc3339(self.expected_completion_ms(record.received_ms)),
            "subject_request_id": record.id,
            "subject_request_type": record.request_type.as_str(),
            "request_status": status_name(record.status),
            "api_version": API_VERSION,
            "received_time": rfc3339(record.received_ms),
            "destinations": [{
                "destination": "braze",
                "status": destination_name(record.braze.status),
                "external_ids": record.braze.external_ids,
                "requests": record.braze.requests,
                "error": record.braze.error,
            }],
        });
        if record.results_available {
            doc["results_url"] = json!(format!("{base_url}/v3/requests/{}/results", record.id));
            doc["results_count"] = json!(record.local.profiles);
        }
        doc
    }

    /// The id controllers know braid's side by: the DSR key.
    pub fn controller_id(&self) -> &str {
        self.credentials
            .first()
            .map(|c| c.key.as_str())
            .unwrap_or("braid")
    }

    /// The base URL for links when no request names one.
    pub fn default_base_url(&self) -> String {
        self.config.public_url.clone().unwrap_or_else(|| {
            let listen = self.listen.get().map_or("127.0.0.1:8080", String::as_str);
            format!("http://{listen}")
        })
    }

    /// Send the record's current status to each of its callback URLs, in the background.
    /// A request's callbacks go out in the order of its status changes: each waits for
    /// the previous one (with its retries) to finish.
    pub fn send_callbacks(self: &Arc<Self>, record: &DsrRecord) {
        if record.status_callback_urls.is_empty() {
            return;
        }
        let base = self.default_base_url();
        let document = self.status_document(record, &base);
        let urls = record.status_callback_urls.clone();
        let dsr = self.clone();
        let mut chains = self.callback_chains.lock();
        let previous = chains.remove(&record.id);
        let task = tokio::spawn(async move {
            if let Some(previous) = previous {
                let _ = previous.await;
            }
            for url in urls {
                let mut body = document.clone();
                body["status_callback_url"] = json!(url);
                dsr.post_callback(&url, &body).await;
            }
        });
        // A finished request has no later callbacks to order behind this one.
        if !record.status.is_final() {
            chains.insert(record.id.clone(), task);
        }
    }

    async fn post_callback(&self, url: &str, body: &Value) {
        let bytes = serde_json::to_vec(body).expect("json values serialize");
        let signer = match self.signer().await {
            Ok(signer) => signer,
            Err(e) => {
                tracing::error!(error = %e, "cannot sign data subject request callbacks");
                return;
            }
        };
        let signature = signer.sign(&bytes);
        for attempt in 0..CALLBACK_ATTEMPTS {
            let sent = self
                .http
                .post(url)
                .header("content-type", "application/json")
                .header(SIGNATURE_HEADER, &signature)
                .header(DOMAIN_HEADER, &self.config.processor_domain)
                .body(bytes.clone())
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => return,
                Ok(r) => tracing::warn!(
                    status = r.status().as_u16(),
                    attempt,
                    "status callback refused"
                ),
                Err(e) => tracing::warn!(error = %e, attempt, "status callback failed"),
            }
            if attempt + 1 < CALLBACK_ATTEMPTS {
                tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
            }
        }
        tracing::error!(
            subject_request_id = %body["subject_request_id"],
            "status callback gave up after {CALLBACK_ATTEMPTS} attempts"
        );
    }
}
