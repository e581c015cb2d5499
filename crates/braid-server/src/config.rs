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
    /// Audience definitions and how memberships reach Braze.
    pub audiences: AudiencesConfig,
    /// Calculated attributes defined in the file (`[[calculated_attributes]]`). They are
    /// stored at start-up, replacing a stored one with the same name; those created
    /// through the admin API are kept alongside.
    pub calculated_attributes: Vec<braid_audiences::calculated_attributes::CalculatedAttribute>,
}

/// `[audiences]`: audience evaluation and the audience output. The connection settings
/// carry mParticle's names; braid sends memberships through the main Braze output, so
/// the ones that name a workspace may be left unset (they default to the main output's)
/// and must match it when set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AudiencesConfig {
    /// Send membership changes to Braze. Default true.
    pub sync: bool,
    /// mParticle's "Send Segments As": a list of `string`, `array`, `per_segment`, or one
    /// of mParticle's labels. Default `["string"]` (mParticle's default).
    pub send_segments_as: braid_audiences::SendSegmentsAs,
    /// Longest `SegmentMembershipArray` (Braze's default is 25; raise it only if Braze
    /// raised it for your workspace). Default 25.
    pub max_array_len: usize,
    /// How often due time-window re-checks and audience jobs are looked for, in ms.
    /// Default 1000.
    pub recheck_interval_ms: u64,
    /// Profiles per transaction for backfill and clean-up jobs. Default 256.
    pub job_chunk: usize,
    /// mParticle's "API Key" of the audience output; informational (the main output's
    /// app group is used).
    pub api_key: Option<String>,
    /// mParticle's "API Key Operating System"; informational for audiences (membership
    /// attributes carry no push tokens).
    pub api_key_operating_system: Option<braid_braze::settings::OperatingSystem>,
    /// Must equal `delivery.rest_api_key` when set.
    pub workspace_rest_api_key: Option<String>,
    /// Must equal `braze.external_identity_type` when set.
    pub external_identity_type: Option<braid_braze::settings::ExternalIdentityType>,
    /// Must equal `braze.email_identity_type` when set.
    pub email_identity_type: Option<braid_mparticle::IdentityType>,
    /// Must equal `delivery.instance` when set.
    pub braze_instance: Option<braid_braze::instance::BrazeInstance>,
    /// Audiences defined in the file (`[[audiences.definitions]]`). They are stored at
    /// start-up, replacing a stored audience with the same id; audiences created through
    /// the admin API are kept alongside.
    pub definitions: Vec<braid_audiences::Audience>,
}

impl Default for AudiencesConfig {
    fn default() -> Self {
        AudiencesConfig {
            sync: true,
            send_segments_as: braid_audiences::SendSegmentsAs::default(),
            max_array_len: 25,
            recheck_interval_ms: 1000,
            job_chunk: 256,
            api_key: None,
            api_key_operating_system: None,
            workspace_rest_api_key: None,
            external_identity_type: None,
            email_identity_type: None,
            braze_instance: None,
            definitions: Vec::new(),
        }
    }
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
        self.validate_audiences()
    }

    fn validate_audiences(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, problem: String| ConfigError::Invalid {
            key: format!("audiences.{key}"),
            problem,
        };
        let a = &self.audiences;
        let shared = "braid sends memberships through the main Braze output; leave it unset";
        if a.workspace_rest_api_key.is_some()
            && a.workspace_rest_api_key != self.delivery.rest_api_key
        {
            return Err(invalid(
                "workspace_rest_api_key",
                format!("differs from delivery.rest_api_key ({shared})"),
            ));
        }
        if a.braze_instance
            .as_ref()
            .is_some_and(|i| *i != self.delivery.instance)
        {
            return Err(invalid(
                "braze_instance",
                format!("differs from delivery.instance ({shared})"),
            ));
        }
        if a.external_identity_type
            .is_some_and(|t| t != self.braze.external_identity_type)
        {
            return Err(invalid(
                "external_identity_type",
                format!("differs from braze.external_identity_type ({shared})"),
            ));
        }
        if a.email_identity_type
            .is_some_and(|t| t != self.braze.email_identity_type)
        {
            return Err(invalid(
                "email_identity_type",
                format!("differs from braze.email_identity_type ({shared})"),
            ));
        }
        if a.max_array_len == 0 {
            return Err(invalid("max_array_len", "must be at least 1".into()));
        }
        if a.recheck_interval_ms == 0 {
            return Err(invalid("recheck_interval_ms", "must be at least 1".into()));
        }
        if a.job_chunk == 0 {
            return Err(invalid("job_chunk", "must be at least 1".into()));
        }
        braid_audiences::AudienceSet::new(a.definitions.clone())
            .map_err(|e| invalid("definitions", e.to_string()))?;
        self.validate_calculated_attributes()
    }

    fn validate_calculated_attributes(&self) -> Result<(), ConfigError> {
        let stored = self
            .calculated_attributes
            .iter()
            .map(
                |definition| braid_audiences::calculated_attributes::StoredAttribute {
                    definition: definition.clone(),
                    revision: 0,
                },
            )
            .collect();
        braid_audiences::CalculatedSet::new(stored, self.audiences.max_array_len).map_err(|e| {
            ConfigError::Invalid {
                key: "calculated_attributes".into(),
                problem: e.to_string(),
            }
        })?;
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
