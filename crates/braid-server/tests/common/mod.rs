//! Shared test harness: a real braid server on port 0 with its own data directory.
#![allow(dead_code)]

pub mod browser;
pub mod currents;

use braid_server::config::{AdminConfig, Config, InputConfig};
use braid_server::Server;
use serde_json::Value;
use std::time::Duration;

pub const KEY: &str = "test-key";
pub const SECRET: &str = "test-secret-123";
pub const ADMIN_KEY: &str = "admin";
pub const ADMIN_SECRET: &str = "admin-secret-123";

pub struct TestBraid {
    pub server: Option<Server>,
    pub base: String,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
}

/// A config for tests: port 0, a temp data dir, fixed credentials, dry-run delivery.
pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".into();
    config.server.data_dir = dir.to_path_buf();
    config.server.shutdown_grace_secs = 5;
    config.inputs = vec![InputConfig {
        name: Some("test".into()),
        key: KEY.into(),
        secret: Some(SECRET.into()),
        ..InputConfig::default()
    }];
    config.admin = Some(AdminConfig {
        key: ADMIN_KEY.into(),
        secret: ADMIN_SECRET.into(),
    });
    config
}

pub async fn start_with(edit: impl FnOnce(&mut Config)) -> TestBraid {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(dir.path());
    edit(&mut config);
    let server = Server::start(config).await.expect("server starts");
    let base = format!("http://{}", server.addr());
    TestBraid {
        server: Some(server),
        base,
        client: reqwest::Client::new(),
        dir,
    }
}

/// A fresh braze-sim and a braid delivering to it (REST key `sim-key`, quick retries);
/// `edit` runs last.
pub async fn start_with_sim(
    sim: braze_sim::SimConfig,
    edit: impl FnOnce(&mut Config),
) -> (braze_sim::SimHandle, TestBraid) {
    let sim = braze_sim::start(sim).expect("sim starts");
    let url = sim.base_url();
    let braid = start_with(move |c| {
        c.delivery.instance = url.parse().expect("custom url");
        c.delivery.rest_api_key = Some("sim-key".into());
        c.delivery.backoff.initial_ms = 20;
        c.delivery.backoff.max_ms = 200;
        edit(c);
    })
    .await;
    (sim, braid)
}

pub async fn start() -> TestBraid {
    start_with(|_| {}).await
}

impl TestBraid {
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post_raw(path, serde_json::to_vec(body).unwrap()).await
    }

    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{}", self.base, path))
            .basic_auth(KEY, Some(SECRET))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn admin_get(&self, path: &str) -> (u16, Value) {
        self.admin(reqwest::Method::GET, path, None).await
    }

    /// An admin API call with admin credentials; the answer's status and JSON body.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .basic_auth(ADMIN_KEY, Some(ADMIN_SECRET));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics body")
    }

    /// Wait until the pipeline has applied everything in the log.
    pub async fn wait_processed(&self) {
        let store = self.server.as_ref().unwrap().state().store.clone();
        for _ in 0..400 {
            let s = store.clone();
            let done = tokio::task::spawn_blocking(move || {
                use braid_core::storage::{IngestLog, StateStore};
                let head = s.head().unwrap();
                let cursor = s.transact(|t| t.cursor()).unwrap();
                cursor >= head
            })
            .await
            .unwrap();
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("pipeline did not catch up");
    }

    /// Wait until the Braze outbox is empty.
    pub async fn wait_delivered(&self) {
        self.wait_processed().await;
        let store = self.server.as_ref().unwrap().state().store.clone();
        for _ in 0..800 {
            use braid_core::storage::Outbox;
            if store.depth().unwrap() == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("outbox did not drain");
    }

    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
        self.dir
    }
}

/// A small valid batch for `customer_id`.
pub fn batch(customer_id: &str, event_name: &str) -> Value {
    serde_json::json!({
        "environment": "production",
        "user_identities": {"customer_id": customer_id, "email": format!("{customer_id}@example.com")},
        "user_attributes": {"$FirstName": "Ada", "plan": "gold"},
        "events": [{"event_type": "custom_event", "data": {"event_name": event_name, "custom_event_type": "other", "timestamp_unixtime_ms": 1_700_000_000_000i64}}]
    })
}
