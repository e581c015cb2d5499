//! What a simulator instance is started with ([`SimConfig`]) and the faults it injects
//! on demand ([`Faults`]).

use std::net::SocketAddr;
use std::time::Duration;

use braid_braze::limits::Limits;
use serde::{Deserialize, Serialize};

/// How to start a simulator.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Address to listen on; `None` binds `127.0.0.1:0` (a free port).
    pub listen: Option<SocketAddr>,
    /// The REST API key clients must send as `Authorization: Bearer <key>`.
    pub api_key: String,
    /// Requests allowed per rate window (Braze: 3,000 per 3 seconds for `/users/track`).
    pub rate_limit: u64,
    /// Length of the fixed rate-limit window.
    pub rate_window: Duration,
    /// Request and object limits, including the contract shape.
    pub limits: Limits,
    /// Faults injected from the start (and restored by a reset).
    pub faults: Faults,
    /// Seed for fault randomness; `None` seeds from the OS.
    pub seed: Option<u64>,
    /// How many `/users/track` requests `/sim/requests` remembers.
    pub request_log_capacity: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: None,
            api_key: "sim-key".into(),
            rate_limit: 3000,
            rate_window: Duration::from_secs(3),
            limits: Limits::default(),
            faults: Faults::default(),
            seed: None,
            request_log_capacity: 1000,
        }
    }
}

/// Faults the simulator injects into authenticated `/users/*` calls. Rates are
/// probabilities from 0 to 1, drawn per request (per object for `partial_error_rate`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Share of requests answered 500 or 503 (nothing applied).
    pub status_5xx_rate: f64,
    /// Delay added before every answer, in milliseconds.
    pub latency_ms: u64,
    /// Share of requests that hang for a minute (longer than any sane client timeout).
    pub timeout_rate: f64,
    /// Share of requests whose connection is closed without an answer (nothing applied).
    pub drop_connection_rate: f64,
    /// Share of valid objects reported failed as `"Simulated error"` (not applied).
    pub partial_error_rate: f64,
    /// Answer 401 to everything, as Braze does for a revoked key.
    pub unauthorized: bool,
    /// Use this rate limit instead of the configured one.
    pub rate_limit_override: Option<u64>,
}

impl Faults {
    /// Whether no fault at all is configured.
    pub fn is_none(&self) -> bool {
        *self == Faults::default()
    }
}
