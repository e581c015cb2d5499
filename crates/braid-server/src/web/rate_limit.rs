//! Rate limits of the web routes. Web keys are public, so anyone can send with one: a
//! token bucket per key and one per client address bound what a flood can cost. A
//! refusal is answered 429 with `Retry-After` (the SDK keeps the batch and retries).

use super::WebError;
use crate::app::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

/// `[web.rate_limit]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Requests per second one web key may make, over all its clients. Default 1000.
    pub per_key_per_second: f64,
    /// Requests one web key may make at once above that rate. Default 2000.
    pub per_key_burst: u32,
    /// Requests per second one client address may make. Default 20.
    pub per_client_per_second: f64,
    /// Requests one client address may make at once above that rate. Default 100.
    pub per_client_burst: u32,
    /// A header holding the client's address, set by a proxy in front of braid (for
    /// example `x-forwarded-for`; its first address is used). Unset: the connection's
    /// peer address. Behind a proxy, set it, or every client shares the proxy's bucket.
    pub client_address_header: Option<String>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            per_key_per_second: 1000.0,
            per_key_burst: 2000,
            per_client_per_second: 20.0,
            per_client_burst: 100,
            client_address_header: None,
        }
    }
}

impl RateLimitConfig {
    /// `(key, problem)` for a setting out of range.
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (key, rate) in [
            ("per_key_per_second", self.per_key_per_second),
            ("per_client_per_second", self.per_client_per_second),
        ] {
            if !(rate.is_finite() && rate > 0.0) {
                return Err((key.into(), "must be a number greater than 0".into()));
            }
        }
        for (key, burst) in [
            ("per_key_burst", self.per_key_burst),
            ("per_client_burst", self.per_client_burst),
        ] {
            if burst == 0 {
                return Err((key.into(), "must be at least 1".into()));
            }
        }
        Ok(())
    }
}

/// One token bucket: `tokens` refill at `rate` per second up to `burst`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn take(&mut self, now: Instant, rate: f64, burst: f64) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Most client buckets kept; beyond it, buckets that have refilled are forgotten.
const MAX_CLIENT_BUCKETS: usize = 100_000;

/// The buckets of every key and client address.
pub struct RateLimiter {
    config: RateLimitConfig,
    keys: Mutex<HashMap<String, Bucket>>,
    clients: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig) -> RateLimiter {
        RateLimiter {
            config,
            keys: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Take one request's token from the client's bucket and the key's; `Err` names the
    /// bucket that is empty.
    pub fn check(&self, key: Option<&str>, client: Option<IpAddr>) -> Result<(), &'static str> {
        let now = Instant::now();
        let c = &self.config;
        if let Some(ip) = client {
            let burst = f64::from(c.per_client_burst);
            let mut clients = self.clients.lock();
            if clients.len() >= MAX_CLIENT_BUCKETS {
                let rate = c.per_client_per_second;
                clients.retain(|_, b| {
                    b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
                });
            }
            let bucket = clients.entry(ip).or_insert(Bucket {
                tokens: burst,
                at: now,
            });
            if !bucket.take(now, c.per_client_per_second, burst) {
                return Err("client address");
            }
        }
        if let Some(key) = key {
            let burst = f64::from(c.per_key_burst);
            let mut keys = self.keys.lock();
            let bucket = keys.entry(key.to_string()).or_insert(Bucket {
                tokens: burst,
                at: now,
            });
            if !bucket.take(now, c.per_key_per_second, burst) {
                return Err("key");
            }
        }
        Ok(())
    }

    /// The client address of a request: the configured header's first address, else
    /// the connection's peer.
    fn client_of(&self, request: &Request) -> Option<IpAddr> {
        if let Some(name) = &self.config.client_address_header {
            return request
                .headers()
                .get(name.as_str())
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse().ok());
        }
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())
    }
}

/// The rate-limit layer of the web routes. Only keys braid knows get a key bucket, so
/// made-up keys cannot grow the table (they are refused by the route anyway).
pub async fn limit(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if request.method() == Method::OPTIONS {
        return next.run(request).await;
    }
    let key = super::cors::key_of(request.uri().path(), request.headers())
        .filter(|k| state.web.input(k).is_some());
    let client = state.web.limiter.client_of(&request);
    if let Err(which) = state.web.limiter.check(key.as_deref(), client) {
        metrics::counter!("braid_web_rate_limited_total", "bucket" => which).increment(1);
        return WebError::RateLimited(which).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refuses_past_its_burst() {
        let limiter = RateLimiter::new(RateLimitConfig {
            per_client_per_second: 0.001,
            per_client_burst: 3,
            ..RateLimitConfig::default()
        });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limiter.check(None, Some(ip)), Ok(()));
        }
        assert_eq!(limiter.check(None, Some(ip)), Err("client address"));
        // Another client has its own bucket.
        assert_eq!(
            limiter.check(None, Some("10.0.0.2".parse().unwrap())),
            Ok(())
        );
    }
}
