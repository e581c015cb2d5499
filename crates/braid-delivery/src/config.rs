//! The `[delivery]` section of braid's configuration: where Braze is, the key, how
//! requests are batched and paced, and how failures are retried.
//!
//! Every field has a default, documented on the field, so an empty section is valid and
//! means "dry run on US-01". Braze's limits live in `[braze.limits]`, shared with the
//! mapping.

use braid_braze::instance::BrazeInstance;
use braid_core::Secret;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// The pacing margin: 1/20 (5%) of the rate window (see [`DeliveryConfig::pacing_window`]).
const PACING_MARGIN_DIVISOR: u32 = 20;

/// How mapped objects reach Braze.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    /// The Braze instance (`US-01` … `US-08`, `US-10`, `EU-01`, `EU-02`, `AU-01`,
    /// `ID-01`, `JP-01`, `KR-01`, case-insensitive) or any `http(s)://` base URL.
    /// Default `US-01`.
    pub instance: BrazeInstance,
    /// The Braze REST API key (needs `users.track`, `users.identify`, `users.delete`).
    /// Default unset: braid runs in dry-run mode and writes what it would send to
    /// `dry_run_path` instead.
    pub rest_api_key: Option<Secret>,
    /// `stream` (real-time: send a request when it is full, or when it has waited
    /// `max_linger_ms` for more objects) or `bulk` (flush every `bulk_interval_ms`, or
    /// when full). Default `stream`.
    pub mode: Mode,
    /// Stream mode: the latency bound of the adaptive linger, in ms. A request that is
    /// not full is held for more objects (looked at again when the arrivals should have
    /// filled it) for at most this long, then sent as it is. Default 400.
    pub max_linger_ms: u64,
    /// Bulk mode: how often partial requests are flushed, in ms. Default 10000.
    pub bulk_interval_ms: u64,
    /// Requests allowed per `rate_window_ms`, shared by all lanes (Braze's
    /// `/users/track` limit). braid stays under it before Braze has to say 429, pacing
    /// over a window 5% longer than `rate_window_ms` to absorb network jitter.
    /// Default 3000.
    pub rate_limit: u32,
    /// The rate-limit window, in ms. Default 3000.
    pub rate_window_ms: u64,
    /// Most requests in flight at once. Default unset: one per outbox lane.
    pub max_concurrency: Option<usize>,
    /// Time allowed for one request, answer included, in ms; past it the request is
    /// retried. Default 30000.
    pub request_timeout_ms: u64,
    /// After Braze rejects the key (401/403), how often one small request probes
    /// whether it works again, in ms (at most 60000). Default 30000.
    pub auth_probe_interval_ms: u64,
    /// Where dry-run mode writes would-be requests as JSON lines. Default
    /// `<data_dir>/dry-run.jsonl`.
    pub dry_run_path: Option<PathBuf>,
    /// Retry backoff for 5xx answers, timeouts and connection errors.
    pub backoff: BackoffConfig,
}

/// Stream or bulk forwarding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Real-time: flush on size or after a short linger.
    #[default]
    Stream,
    /// Flush on an interval.
    Bulk,
}

/// Exponential backoff with jitter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackoffConfig {
    /// First retry delay, in ms. Default 250.
    pub initial_ms: u64,
    /// Longest retry delay, in ms. Default 30000.
    pub max_ms: u64,
    /// Fraction of each delay that is randomised (0 = none, 1 = "full jitter"), so
    /// that lanes do not retry in lock-step. Default 0.5.
    pub jitter: f64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            initial_ms: 250,
            max_ms: 30_000,
            jitter: 0.5,
        }
    }
}

impl BackoffConfig {
    /// The delay before retry number `attempt` (0-based); `random` is uniform in [0, 1).
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let doubled = self
            .initial_ms
            .saturating_mul(1u64 << attempt.min(32))
            .min(self.max_ms);
        let jitter = self.jitter.clamp(0.0, 1.0) * random.clamp(0.0, 1.0);
        Duration::from_millis((doubled as f64 * (1.0 - jitter)).round() as u64)
    }
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            instance: BrazeInstance::default(),
            rest_api_key: None,
            mode: Mode::Stream,
            max_linger_ms: 200,
            bulk_interval_ms: 10_000,
            rate_limit: 3000,
            rate_window_ms: 3000,
            max_concurrency: None,
            request_timeout_ms: 30_000,
            auth_probe_interval_ms: 30_000,
            dry_run_path: None,
            backoff: BackoffConfig::default(),
        }
    }
}

/// The longest allowed auth probe interval: the issue asks for a minute or less.
pub const MAX_AUTH_PROBE_INTERVAL_MS: u64 = 60_000;

impl DeliveryConfig {
    /// Checks serde cannot express; on error returns the key and the problem.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let fail = |key: &str, problem: &str| Err((key.to_string(), problem.to_string()));
        if let Some(key) = &self.rest_api_key {
            let key = key.expose();
            if key.trim().is_empty() {
                return fail("rest_api_key", "is empty; remove it to run in dry-run mode");
            }
            if key.trim() != key || key.starts_with(['"', '\'']) || key.ends_with(['"', '\'']) {
                // Braze answers 401 to a key with quotes or spaces around it.
                return fail(
                    "rest_api_key",
                    "has surrounding quotes or whitespace, which braze rejects",
                );
            }
        }
        if self.rate_limit == 0 {
            return fail("rate_limit", "must be greater than 0");
        }
        if self.rate_window_ms == 0 {
            return fail("rate_window_ms", "must be greater than 0");
        }
        if self.max_concurrency == Some(0) {
            return fail("max_concurrency", "must be greater than 0");
        }
        if self.request_timeout_ms == 0 {
            return fail("request_timeout_ms", "must be greater than 0");
        }
        if self.auth_probe_interval_ms == 0
            || self.auth_probe_interval_ms > MAX_AUTH_PROBE_INTERVAL_MS
        {
            return fail("auth_probe_interval_ms", "must be between 1 and 60000");
        }
        if self.max_linger_ms > 60_000 {
            return fail("max_linger_ms", "must be at most 60000");
        }
        if self.mode == Mode::Bulk && self.bulk_interval_ms == 0 {
            return fail("bulk_interval_ms", "must be greater than 0 in bulk mode");
        }
        if self.backoff.initial_ms == 0 {
            return fail("backoff.initial_ms", "must be greater than 0");
        }
        if self.backoff.max_ms < self.backoff.initial_ms {
            return fail("backoff.max_ms", "must be at least backoff.initial_ms");
        }
        if !(0.0..=1.0).contains(&self.backoff.jitter) {
            return fail("backoff.jitter", "must be between 0 and 1");
        }
        Ok(())
    }

    /// Whether this configuration sends nothing (no REST key).
    pub fn is_dry_run(&self) -> bool {
        self.rest_api_key.is_none()
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    pub(crate) fn rate_window(&self) -> Duration {
        Duration::from_millis(self.rate_window_ms)
    }

    /// The window every rate budget paces over: Braze's `rate_window_ms` plus 1/20 (5%).
    /// Requests reach Braze a little after they leave, unevenly, and Braze counts
    /// arrivals; the margin absorbs that. Give it to `RedisBudget::connect`.
    pub fn pacing_window(&self) -> Duration {
        let window = self.rate_window();
        window + window / PACING_MARGIN_DIVISOR
    }

    pub(crate) fn auth_probe_interval(&self) -> Duration {
        Duration::from_millis(self.auth_probe_interval_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_section_means_dry_run_with_documented_defaults() {
        let config: DeliveryConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config, DeliveryConfig::default());
        assert!(config.is_dry_run());
        assert_eq!(config.instance, BrazeInstance::Us01);
        assert_eq!(config.mode, Mode::Stream);
        assert_eq!(config.max_linger_ms, 200);
        assert_eq!(config.rate_limit, 3000);
        assert_eq!(config.rate_window_ms, 3000);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn full_section_deserializes() {
        let config: DeliveryConfig = serde_json::from_value(serde_json::json!({
            "instance": "eu-02",
            "rest_api_key": "abc-123",
            "mode": "bulk",
            "bulk_interval_ms": 5000,
            "max_concurrency": 4,
            "backoff": {"initial_ms": 100},
        }))
        .unwrap();
        assert_eq!(config.instance, BrazeInstance::Eu02);
        assert_eq!(config.mode, Mode::Bulk);
        assert_eq!(config.backoff.initial_ms, 100);
        assert_eq!(config.backoff.max_ms, 30_000);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn configuration_round_trips_through_toml() {
        // The key serialises redacted, so the round trip is of everything else.
        let config = DeliveryConfig {
            instance: BrazeInstance::Kr01,
            max_concurrency: Some(3),
            dry_run_path: Some(PathBuf::from("/tmp/dry.jsonl")),
            ..DeliveryConfig::default()
        };
        let text = toml::to_string_pretty(&config).unwrap();
        assert!(text.contains("instance = \"KR-01\""), "{text}");
        assert_eq!(toml::from_str::<DeliveryConfig>(&text).unwrap(), config);
        let default_text = toml::to_string_pretty(&DeliveryConfig::default()).unwrap();
        assert_eq!(
            toml::from_str::<DeliveryConfig>(&default_text).unwrap(),
            DeliveryConfig::default()
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = serde_json::from_str::<DeliveryConfig>(r#"{"rate_limt": 5}"#).unwrap_err();
        assert!(err.to_string().contains("rate_limt"));
    }

    #[test]
    fn quoted_or_empty_keys_are_rejected_by_name() {
        for key in ["", "  ", "\"abc\"", "'abc'", " abc"] {
            let config = DeliveryConfig {
                rest_api_key: Some(key.into()),
                ..DeliveryConfig::default()
            };
            assert_eq!(config.validate().unwrap_err().0, "rest_api_key", "{key:?}");
        }
    }

    #[test]
    fn auth_probe_interval_above_a_minute_is_rejected() {
        let config = DeliveryConfig {
            auth_probe_interval_ms: 60_001,
            ..DeliveryConfig::default()
        };
        assert_eq!(config.validate().unwrap_err().0, "auth_probe_interval_ms");
    }

    #[test]
    fn the_key_never_prints_but_keeps_live_mode() {
        let config = DeliveryConfig {
            rest_api_key: Some("secret-rest-key".into()),
            ..DeliveryConfig::default()
        };
        let printed = format!("{config:?}\n{}", toml::to_string_pretty(&config).unwrap());
        assert!(!printed.contains("secret-rest-key"), "{printed}");
        assert!(printed.contains("<redacted>"), "{printed}");
        assert!(!config.is_dry_run());
        assert_eq!(
            config.rest_api_key.as_ref().map(|k| k.expose()),
            Some("secret-rest-key")
        );
        assert!(DeliveryConfig::default().is_dry_run());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let backoff = BackoffConfig {
            initial_ms: 100,
            max_ms: 1000,
            jitter: 0.0,
        };
        let delays: Vec<u64> = (0..6)
            .map(|a| backoff.delay(a, 0.9).as_millis() as u64)
            .collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff.delay(200, 0.0).as_millis(), 1000);
    }

    #[test]
    fn jitter_only_shortens_the_delay() {
        let backoff = BackoffConfig {
            initial_ms: 1000,
            max_ms: 1000,
            jitter: 0.5,
        };
        assert_eq!(backoff.delay(0, 0.0).as_millis(), 1000);
        assert_eq!(backoff.delay(0, 0.5).as_millis(), 750);
        assert_eq!(backoff.delay(0, 0.999_999).as_millis(), 500);
    }
}
