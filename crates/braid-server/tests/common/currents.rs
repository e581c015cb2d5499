//! Helpers of the Currents tests: tokens, posting to `/v1/currents`, fixture events.

use super::TestBraid;
use braid_currents::fixtures::FixtureEvent;
use braid_currents::model::spec;
use serde_json::{json, Value};

/// The Currents token the tests configure, and a second one (rotation).
pub const TOKEN: &str = "currents-token-0123456789";
pub const OLD_TOKEN: &str = "currents-token-old-98765";

/// Configure both tokens.
pub fn with_tokens(config: &mut braid_server::Config) {
    config.currents.tokens = vec![TOKEN.into(), OLD_TOKEN.into()];
}

impl TestBraid {
    /// `POST /v1/currents` with `Authorization: Bearer <token>`.
    pub async fn post_currents(&self, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/v1/currents", self.base))
            .header("content-type", "application/json")
            .header("Braze-Currents-Version", "1")
            .body(serde_json::to_vec(body).unwrap());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let r = request.send().await.expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Post events with the configured token, expecting 200.
    pub async fn send_currents(&self, events: Vec<Value>) -> Value {
        let (status, answer) = self
            .post_currents(Some(TOKEN), &json!({ "events": events }))
            .await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    /// The profile of a customer id, or `None` (404).
    pub async fn profile_of(&self, customer_id: &str) -> Option<Value> {
        let (status, body) = self
            .admin_get(&format!("/api/v1/profiles/customer_id/{customer_id}"))
            .await;
        (status == 200).then_some(body)
    }

    /// The names of a customer's recent events that came from Currents.
    pub async fn currents_events_of(&self, customer_id: &str) -> Vec<String> {
        let Some(profile) = self.profile_of(customer_id).await else {
            return Vec::new();
        };
        profile["recent_events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["source"] == "braze_currents")
            .map(|e| e["name"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// One Custom HTTP event of `event_type` numbered `n` for `external_id`, with property
/// overrides.
pub fn event(event_type: &str, n: u64, external_id: &str, overrides: Value) -> Value {
    let spec = spec(event_type).unwrap_or_else(|| panic!("{event_type} is in the catalogue"));
    let mut fixture = FixtureEvent::new(spec, n, Some(external_id));
    // Recent by default, so that windows and retention keep it.
    fixture.time = braid_core::clock::now_ms() / 1000 - 60;
    for (k, v) in overrides.as_object().cloned().unwrap_or_default() {
        fixture = fixture.with(&k, v);
    }
    fixture.custom_http()
}

/// The value of a counter (summed over label sets that contain `labels`), 0 if absent.
pub fn counter(metrics: &str, name: &str, labels: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{name} ")) || l.starts_with(&format!("{name}{{")))
        .filter(|l| labels.is_empty() || l.contains(labels))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
