//! braid's configuration: one TOML file, every key overridable from the environment.
//!
//! Sources, later ones winning: built-in defaults, the TOML file given with `--config`,
//! then environment variables `BRAID_<SECTION>__<KEY>` (for example
//! `BRAID_SERVER__LISTEN=0.0.0.0:8080`). `braid check-config` loads and validates the
//! same way `braid serve` does, and names the key and the problem on error.

use braid_braze::settings::BrazeSettings;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub limits: LimitsConfig,
    /// Ingest credentials. Empty: braid generates one input on first run and keeps it
    /// in `<data_dir>/credentials.json`.
    pub inputs: Vec<InputConfig>,
    pub admin: Option<AdminConfig>,
    /// The Braze output's mapping settings (named after mParticle's connection settings).
    pub braze: BrazeSettings,
    /// How mapped objects reach Braze.
    pub delivery: braid_delivery::DeliveryConfig,
    /// Data subject requests (erasure, access) and their forwarding to Braze.
    pub dsr: crate::dsr::DsrConfig,
}

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on. Default `127.0.0.1:8080`.
    pub listen: String,
    /// Where the embedded store and generated credentials live. Default `braid-data`.
    pub data_dir: PathBuf,
    /// Outbox lanes: users are spread over lanes, each delivered in order. Default 16.
    pub lanes: u32,
    /// Seconds to let in-flight requests finish on SIGTERM. Default 30.
    pub shutdown_grace_secs: u64,
    /// Event history kept for audiences, in days. Default 30.
    pub history_retention_days: u32,
    /// Log format: `text` or `json`. Default `text`.
    pub log_format: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("braid-data"),
            lanes: 16,
            shutdown_grace_secs: 30,
            history_retention_days: 30,
            log_format: "text".into(),
        }
    }
}

/// `[limits]`: request and batch size limits, mParticle's by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest request body in bytes. Default 262144 (256 KB).
    pub max_request_bytes: usize,
    /// Largest single batch in bytes. Default 131072 (128 KB).
    pub max_batch_bytes: usize,
    /// Most batches in one bulk request. Default 100.
    pub max_bulk_batches: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_request_bytes: braid_mparticle::limits::MAX_REQUEST_BYTES,
            max_batch_bytes: braid_mparticle::limits::MAX_BATCH_BYTES,
            max_bulk_batches: braid_mparticle::limits::MAX_BULK_BATCHES,
        }
    }
}

/// `[[inputs]]`: one mParticle input (key and secret, as a platform feed has).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    /// A name for logs and metrics. Default: the key.
    #[serde(default)]
    pub name: Option<String>,
    pub key: String,
    pub secret: String,
}

impl InputConfig {
    /// The name used in logs, metrics and de-duplication.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.key)
    }
}

/// `[admin]`: credentials of the admin API (HTTP Basic).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    pub key: String,
    pub secret: String,
}

/// A configuration problem: the key and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Load(String),
    #[error("{key}: {problem}")]
    Invalid { key: String, problem: String },
}

impl Config {
    /// Load defaults, then the file (if any), then `BRAID_*` environment variables.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Load(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("BRAID_").split("__"));
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Load(describe_figment_error(e)))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks that serde cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, problem: String| ConfigError::Invalid {
            key: key.into(),
            problem,
        };
        self.server.listen.parse::<SocketAddr>().map_err(|e| {
            invalid(
                "server.listen",
                format!("not an address like 127.0.0.1:8080 ({e})"),
            )
        })?;
        if self.server.lanes == 0 || self.server.lanes > 1024 {
            return Err(invalid("server.lanes", "must be between 1 and 1024".into()));
        }
        if self.limits.max_request_bytes == 0 {
            return Err(invalid(
                "limits.max_request_bytes",
                "must be greater than 0".into(),
            ));
        }
        if self.limits.max_batch_bytes == 0 {
            return Err(invalid(
                "limits.max_batch_bytes",
                "must be greater than 0".into(),
            ));
        }
        if self.limits.max_bulk_batches == 0 {
            return Err(invalid(
                "limits.max_bulk_batches",
                "must be greater than 0".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, input) in self.inputs.iter().enumerate() {
            if input.key.trim().is_empty() {
                return Err(invalid(
                    &format!("inputs[{i}].key"),
                    "must not be empty".into(),
                ));
            }
            if input.secret.len() < 8 {
                return Err(invalid(
                    &format!("inputs[{i}].secret"),
                    "must be at least 8 characters".into(),
                ));
            }
            if !seen.insert(input.key.clone()) {
                return Err(invalid(
                    &format!("inputs[{i}].key"),
                    format!("duplicate key `{}`", input.key),
                ));
            }
        }
        if let Some(admin) = &self.admin {
            if admin.secret.len() < 8 {
                return Err(invalid(
                    "admin.secret",
                    "must be at least 8 characters".into(),
                ));
            }
        }
        self.delivery
            .validate()
            .map_err(|(key, problem)| invalid(&format!("delivery.{key}"), problem))?;
        self.dsr
            .validate()
            .map_err(|(key, problem)| invalid(&format!("dsr.{key}"), problem))?;
        Ok(())
    }
}

fn describe_figment_error(e: figment::Error) -> String {
    e.into_iter()
        .map(|err| {
            let key = err.path.join(".");
            let source = err
                .metadata
                .as_ref()
                .map(|m| format!(" (from {})", m.name))
                .unwrap_or_default();
            if key.is_empty() {
                format!("{}{source}", err.kind)
            } else {
                format!("{key}: {}{source}", err.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}
