//! The `[dsr]` section: credentials of the data subject request API, when work on a
//! request starts, and how long access results are kept. (Erasures reach Braze through
//! delivery, under the `[delivery]` settings.)

use braid_core::Secret;
use serde::{Deserialize, Serialize};

/// Data subject requests (OpenDSR / mParticle DSR API v3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DsrConfig {
    /// HTTP Basic key of the DSR API, separate from ingest and admin. Default unset:
    /// braid generates a key and secret on first run (in `<data_dir>/credentials.json`).
    pub key: Option<String>,
    /// The secret that goes with `key` (at least 8 characters).
    pub secret: Option<Secret>,
    /// How long a new request stays `pending` (and can be cancelled) before work on it
    /// starts, in ms. Default 0: work starts at once.
    pub processing_delay_ms: u64,
    /// How long the result of an access or portability request stays downloadable, in
    /// hours; afterwards it is deleted. Default 168 (a week).
    pub results_retention_hours: u64,
    /// The base URL controllers reach braid at (for `processor_certificate` and
    /// `results_url`), e.g. `https://braid.example.com`. Default unset: taken from the
    /// request's `Host` header.
    pub public_url: Option<String>,
    /// The domain named in `X-OpenDSR-Processor-Domain` and in the signing certificate.
    /// Default `braid.local`.
    pub processor_domain: String,
}

impl Default for DsrConfig {
    fn default() -> Self {
        DsrConfig {
            key: None,
            secret: None,
            processing_delay_ms: 0,
            results_retention_hours: 168,
            public_url: None,
            processor_domain: "braid.local".into(),
        }
    }
}

impl DsrConfig {
    /// Checks serde cannot express; on error returns the key and the problem.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let fail = |key: &str, problem: &str| Err((key.to_string(), problem.to_string()));
        match (&self.key, &self.secret) {
            (Some(key), Some(secret)) => {
                if key.trim().is_empty() {
                    return fail("key", "must not be empty");
                }
                if secret.len() < 8 {
                    return fail("secret", "must be at least 8 characters");
                }
            }
            (Some(_), None) => return fail("secret", "is required when key is set"),
            (None, Some(_)) => return fail("key", "is required when secret is set"),
            (None, None) => {}
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return fail("public_url", "must start with http:// or https://");
            }
        }
        if self.processor_domain.trim().is_empty() {
            return fail("processor_domain", "must not be empty");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_section_is_valid_and_means_generated_credentials() {
        let config: DsrConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config, DsrConfig::default());
        assert!(config.validate().is_ok());
        assert!(config.key.is_none());
    }

    #[test]
    fn problems_name_the_key() {
        let half = DsrConfig {
            key: Some("k".into()),
            ..DsrConfig::default()
        };
        assert_eq!(half.validate().unwrap_err().0, "secret");
        let short = DsrConfig {
            key: Some("k".into()),
            secret: Some("short".into()),
            ..DsrConfig::default()
        };
        assert_eq!(short.validate().unwrap_err().0, "secret");
        let url = DsrConfig {
            public_url: Some("braid.example.com".into()),
            ..DsrConfig::default()
        };
        assert_eq!(url.validate().unwrap_err().0, "public_url");
    }
}
