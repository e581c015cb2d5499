//! braid's configuration: one TOML file, every key overridable from the environment.
//!
//! Sources, later ones winning: built-in defaults, the TOML file given with `--config`,
//! then environment variables `BRAID_<SECTION>__<KEY>` (for example
//! `BRAID_SERVER__LISTEN=0.0.0.0:8080`). `braid check-config` loads and validates the
//! same way `braid serve` does, and names the key and the problem on error.
//!
//! Each setting has one home: Braze's limits are `[braze.limits]` (the mapping and
//! delivery both read them), mParticle's are `[limits]` (`braid_mparticle::Limits`), and
//! every key, secret and token is a [`Secret`], which never prints.

use braid_braze::settings::BrazeSettings;
use braid_core::Secret;
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
    /// The embedded store's memory and disk limits.
    pub storage: StorageConfig,
    /// mParticle's Events API limits (answered 413 / 400 when exceeded).
    pub limits: braid_mparticle::Limits,
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
    /// The browser console.
    pub console: crate::console::ConsoleConfig,
    /// Calculated attributes defined in the file (`[[calculated_attributes]]`). They are
    /// stored at start-up, replacing a stored one with the same name; those created
    /// through the admin API are kept alongside.
    pub calculated_attributes: Vec<braid_audiences::calculated_attributes::CalculatedAttribute>,
    /// The mParticle Web SDK's endpoints: rate limits and the Braze web kit.
    pub web: crate::web::WebConfig,
    /// Braze Currents coming back in (`POST /v1/currents`).
    pub currents: CurrentsConfig,
}

/// `[currents]`: Braze Currents into braid through the Custom HTTP connector
/// (`POST /v1/currents`), and how its events are applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CurrentsConfig {
    /// Bearer tokens `/v1/currents` accepts; more than one while rotating. Empty: the
    /// endpoint refuses every request (403).
    pub tokens: Vec<Secret>,
    /// Largest request body, in bytes; a larger one gets 413 and Braze splits the
    /// batch. Default 16 MiB.
    pub max_request_bytes: usize,
    /// The identity type that keeps Braze's own `user_id` on the profile. Default
    /// `other_id_10`.
    pub braze_user_id_identity: braid_mparticle::IdentityType,
    /// How long event ids are remembered for de-duplication, in days. Default 7
    /// (Braze's retry horizon).
    pub dedup_window_days: u32,
    /// At most this many event ids are remembered; the oldest are forgotten first.
    /// Default 10,000,000.
    pub dedup_max_ids: u64,
    /// How many rejected events are kept (with their reason) for
    /// `GET /api/v1/currents/rejected`. Default 1000.
    pub keep_rejected: usize,
}

impl Default for CurrentsConfig {
    fn default() -> Self {
        CurrentsConfig {
            tokens: Vec::new(),
            max_request_bytes: 16 * 1024 * 1024,
            braze_user_id_identity: braid_mparticle::IdentityType::OtherId10,
            dedup_window_days: 7,
            dedup_max_ids: 10_000_000,
            keep_rejected: 1_000,
        }
    }
}

impl CurrentsConfig {
    /// The pipeline's view of these settings.
    pub fn pipeline_settings(&self) -> braid_core::currents::CurrentsSettings {
        braid_core::currents::CurrentsSettings {
            braze_user_id_identity: self.braze_user_id_identity,
            dedup_window_ms: i64::from(self.dedup_window_days) * 86_400_000,
            dedup_max_ids: self.dedup_max_ids,
            keep_rejected: self.keep_rejected,
        }
    }

    fn validate(&self) -> Result<(), (String, String)> {
        for (i, token) in self.tokens.iter().enumerate() {
            let t = token.expose();
            if t.len() < 16 {
                return Err((
                    format!("tokens[{i}]"),
                    "must be at least 16 characters".into(),
                ));
            }
            if !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~+/=".contains(c))
            {
                return Err((
                    format!("tokens[{i}]"),
                    "may only hold letters, digits and - . _ ~ + / = (a bearer token)".into(),
                ));
            }
        }
        if self.max_request_bytes < 1024 {
            return Err(("max_request_bytes".into(), "must be at least 1024".into()));
        }
        if self.dedup_window_days == 0 {
            return Err(("dedup_window_days".into(), "must be at least 1".into()));
        }
        if self.dedup_max_ids == 0 {
            return Err(("dedup_max_ids".into(), "must be at least 1".into()));
        }
        Ok(())
    }
}

/// `[audiences]`: audience evaluation and the audience output. The connection settings
/// carry mParticle's names; braid sends memberships through the main Braze output, so
/// the ones that name a workspace may be left unset (they default to the main output's)
/// and must match it when set. They are checked on load and then forgotten: the main
/// output's settings are the only copy kept.
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
    pub api_key: Option<Secret>,
    /// mParticle's "API Key Operating System"; informational for audiences (membership
    /// attributes carry no push tokens).
    pub api_key_operating_system: Option<braid_braze::settings::OperatingSystem>,
    /// Must equal `delivery.rest_api_key` when set.
    pub workspace_rest_api_key: Option<Secret>,
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

impl AudiencesConfig {
    /// Drop the copies of main-output settings once they are checked, so that the main
    /// output's (`delivery.rest_api_key`, `delivery.instance`, `braze.*_identity_type`)
    /// are the only ones kept and read.
    fn forget_main_output_copies(&mut self) {
        self.workspace_rest_api_key = None;
        self.external_identity_type = None;
        self.email_identity_type = None;
        self.braze_instance = None;
    }
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
    /// Seconds shutdown may take in all (requests, pipeline, delivery), shared by
    /// every task from the signal on. Default 30.
    pub shutdown_grace_secs: u64,
    /// Event history kept for audiences, in days. Default 30.
    pub history_retention_days: u32,
    /// Log format: `text` or `json`. Default `text`.
    pub log_format: String,
    /// `[server.tls]`: terminate HTTPS on `listen` with this certificate. Unset: plain
    /// HTTP (put a TLS-terminating proxy in front for the Web SDK).
    pub tls: Option<TlsConfig>,
}

/// `[server.tls]`: a PEM certificate chain and its PEM private key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, leaf first (PEM).
    pub cert_path: PathBuf,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_path: PathBuf,
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
            tls: None,
        }
    }
}

/// `[storage]`: which backend holds braid's data. The embedded store (the default) keeps
/// everything in the data directory; `distributed` runs braid as one of many nodes, with
/// the ingest log in Kafka, state in PostgreSQL and the Braze rate budget in Redis (see
/// docs/scale-out.md). `cache_mib` and `min_free_mib` apply to the embedded store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// `embedded` (default) or `distributed`.
    pub backend: StorageBackend,
    /// Page cache of the store in MiB, shared by its two files (7/8 for the state, 1/8
    /// for the ingest log). The bulk of braid's memory: resident memory is about this
    /// plus 150-170 MiB (measured with a 1 M-event backlog). It also sizes the pipeline's
    /// passes ([`StorageConfig::records_per_pass`]). Default 64: that backlog peaked at
    /// 219-230 MiB.
    pub cache_mib: u32,
    /// Free space, in MiB, that braid keeps on the data directory's filesystem: below it
    /// ingest answers 503 (and `/readyz` says why) while the pipeline and delivery keep
    /// draining, and it accepts again by itself once space is freed. 0 turns the reserve
    /// off (the store then meets the full disk itself, and still recovers). Default 256.
    pub min_free_mib: u64,
    /// `[storage.kafka]`: the ingest log, for the distributed backend.
    pub kafka: Option<KafkaConfig>,
    /// `[storage.postgres]`: profiles and all other state, for the distributed backend.
    pub postgres: Option<PostgresConfig>,
    /// `[storage.redis]`: the Braze rate budget shared by every node, for the
    /// distributed backend.
    pub redis: Option<RedisConfig>,
}

/// Where braid keeps its data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageBackend {
    /// One node, everything in the data directory (redb).
    #[default]
    Embedded,
    /// Many nodes on Kafka, PostgreSQL and Redis.
    Distributed,
}

/// `[storage.kafka]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap brokers, `host:port[,host:port...]`.
    pub brokers: String,
    /// The topic accepted batches go to; created with `partitions` if absent.
    /// Default `braid.batches`.
    pub topic: String,
    /// Partitions of the topic when braid creates it. The most pipeline workers that can
    /// share the work. Default 8.
    pub partitions: i32,
    /// The pipeline workers' consumer group. Default `braid-pipeline`.
    pub group_id: String,
    /// How long the group waits for a silent worker before giving its partitions to
    /// the others. Default 10000.
    pub session_timeout_ms: u32,
    /// Further client properties, passed to the Kafka client as they are
    /// (`security.protocol`, `sasl.username`, `sasl.password`, ...). Secrets: they may
    /// hold passwords, so they never print.
    pub properties: std::collections::BTreeMap<String, Secret>,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: String::new(),
            topic: "braid.batches".into(),
            partitions: 8,
            group_id: "braid-pipeline".into(),
            session_timeout_ms: 10_000,
            properties: Default::default(),
        }
    }
}

/// `[storage.postgres]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresConfig {
    /// `postgres://user:password@host:port/database`; a secret (it may hold a password).
    pub url: Secret,
    /// The schema braid's tables live in; braid creates and migrates it. Default `braid`.
    pub schema: String,
    /// Pooled connections per node. Default 16.
    pub pool_size: usize,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        PostgresConfig {
            url: Secret::from(String::new()),
            schema: "braid".into(),
            pool_size: 16,
        }
    }
}

/// `[storage.redis]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://[:password@]host:port[/db]`; a secret (it may hold a password).
    pub url: Secret,
    /// Prefix of braid's keys, so several braid clusters can share one Redis.
    /// Default `braid`.
    pub key_prefix: String,
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            url: Secret::from(String::new()),
            key_prefix: "braid".into(),
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            backend: StorageBackend::Embedded,
            cache_mib: 64,
            min_free_mib: 256,
            kafka: None,
            postgres: None,
            redis: None,
        }
    }
}

impl StorageConfig {
    /// The page cache in bytes.
    pub fn cache_bytes(&self) -> usize {
        (self.cache_mib as usize) << 20
    }

    /// Most log records one pipeline transaction applies on the embedded store: 16 per
    /// MiB of cache, from 256 to 2,048 (1,024 at the default). A pass only reaches it
    /// under a backlog, where larger passes share each commit's fsync and rewritten pages
    /// among more batches, but hold those pages in memory until the commit: measured with
    /// a 1 M-event backlog at a 64 MiB cache, 2,048 per pass peaked at 271-301 MiB and
    /// 1,024 at 219-230 MiB (BENCHMARKS.md). Derived from `cache_mib` so that the one memory
    /// setting bounds both.
    pub fn records_per_pass(&self) -> usize {
        (self.cache_mib as usize)
            .saturating_mul(16)
            .clamp(256, 2_048)
    }

    /// The free-space reserve in bytes.
    pub fn min_free_bytes(&self) -> u64 {
        self.min_free_mib.saturating_mul(1 << 20)
    }

    /// Checks of the backend choice: the distributed backend needs all three engines,
    /// and the embedded one none of them (a half-configured cluster is a mistake).
    fn validate(&self) -> Result<(), (String, String)> {
        let invalid = |key: &str, problem: &str| Err((key.to_string(), problem.to_string()));
        match self.backend {
            StorageBackend::Embedded => {
                for (key, set) in [
                    ("kafka", self.kafka.is_some()),
                    ("postgres", self.postgres.is_some()),
                    ("redis", self.redis.is_some()),
                ] {
                    if set {
                        return invalid(
                            key,
                            "only the distributed backend uses it; set storage.backend = \"distributed\" or remove the section",
                        );
                    }
                }
            }
            StorageBackend::Distributed => {
                let Some(kafka) = &self.kafka else {
                    return invalid(
                        "kafka",
                        "the distributed backend needs [storage.kafka] brokers",
                    );
                };
                if kafka.brokers.trim().is_empty() {
                    return invalid(
                        "kafka.brokers",
                        "must name at least one broker, like \"kafka-1:9092\"",
                    );
                }
                if kafka.topic.trim().is_empty() {
                    return invalid("kafka.topic", "must not be empty");
                }
                if !(1..=1 << 20).contains(&kafka.partitions) {
                    return invalid("kafka.partitions", "must be between 1 and 1048576");
                }
                if kafka.group_id.trim().is_empty() {
                    return invalid("kafka.group_id", "must not be empty");
                }
                if kafka.session_timeout_ms < 1000 {
                    return invalid("kafka.session_timeout_ms", "must be at least 1000");
                }
                let Some(postgres) = &self.postgres else {
                    return invalid(
                        "postgres",
                        "the distributed backend needs [storage.postgres] url",
                    );
                };
                if !postgres.url.expose().starts_with("postgres://")
                    && !postgres.url.expose().starts_with("postgresql://")
                {
                    return invalid(
                        "postgres.url",
                        "must be a URL like postgres://braid@db:5432/braid",
                    );
                }
                if postgres.schema.is_empty()
                    || !postgres
                        .schema
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    return invalid("postgres.schema", "must be lowercase letters, digits and _");
                }
                if postgres.pool_size == 0 {
                    return invalid("postgres.pool_size", "must be at least 1");
                }
                let Some(redis) = &self.redis else {
                    return invalid("redis", "the distributed backend needs [storage.redis] url (the Braze rate budget every node shares)");
                };
                if !redis.url.expose().starts_with("redis://")
                    && !redis.url.expose().starts_with("rediss://")
                {
                    return invalid("redis.url", "must be a URL like redis://cache:6379");
                }
            }
        }
        Ok(())
    }
}

/// `[[inputs]]`: one mParticle input. A `server` input has a key and secret, as a
/// platform feed has; a `web` input has a public key, no secret, and the origins whose
/// pages may call it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    /// A name for logs and metrics. Default: the key.
    #[serde(default)]
    pub name: Option<String>,
    pub key: String,
    /// Required for `server` inputs; must be absent for `web` inputs (web keys are public).
    #[serde(default)]
    pub secret: Option<Secret>,
    /// A Braze feed: this input's batches are Braze Currents in the mParticle shape
    /// (`event_name` = Braze's event, `customerid` = external id), recorded and never
    /// sent back to Braze. Default false.
    #[serde(default)]
    pub braze_feed: bool,
    /// `server` (the Events API, HTTP Basic) or `web` (the Web SDK's routes). Default `server`.
    #[serde(default)]
    pub platform: InputPlatform,
    /// Web inputs: the page origins allowed to call braid (exact, like
    /// `https://shop.example.com`; `*` is not accepted). Required, non-empty.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Web inputs: who sends this input's events and attributes to Braze, `server`
    /// (braid) or `kit` (the Braze web kit in the page; braid then keeps the profile,
    /// history and audiences and forwards only memberships and calculated attributes).
    /// Default `server`.
    #[serde(default)]
    pub braze_forwarding: BrazeForwarding,
}

/// Where an input's data comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputPlatform {
    /// Server SDKs and feeds: `/v2/events`, `/v2/bulkevents` with HTTP Basic.
    #[default]
    Server,
    /// The mParticle Web SDK: `/v3/JS/{key}/events`, IDSync, alias, config.
    Web,
}

/// Who sends a web input's events and attributes to Braze (never both: Braze would
/// count them twice).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrazeForwarding {
    /// braid, server-side, like any batch.
    #[default]
    Server,
    /// The Braze web kit, from the browser.
    Kit,
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
    pub secret: Secret,
}

/// A configuration problem: the key and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Load(String),
    #[error("{key}: {problem}")]
    Invalid { key: String, problem: String },
}

/// The top-level sections of [`Config`]: only `BRAID_<SECTION>` and
/// `BRAID_<SECTION>__<KEY>` for these are configuration.
pub const SECTIONS: [&str; 13] = [
    "server",
    "storage",
    "limits",
    "inputs",
    "admin",
    "braze",
    "delivery",
    "dsr",
    "audiences",
    "console",
    "calculated_attributes",
    "currents",
    "web",
];

/// The prefix of configuration environment variables.
const ENV_PREFIX: &str = "BRAID_";

/// Variables with the prefix that belong to the command line, not to the configuration.
const CLI_VARIABLES: [&str; 2] = ["BRAID_CONFIG", "BRAID_ROLE"];

/// `BRAID_` environment variables that are not settings and were left alone (a deploy
/// script's `BRAID_URL`, say). They are reported once, as a warning, never an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoredEnv(pub Vec<String>);

impl IgnoredEnv {
    /// The one warning to give, if any variable was ignored.
    pub fn warning(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| {
            format!(
                "ignoring environment variable(s) {}: not a braid setting (settings are BRAID_<SECTION>__<KEY> for the sections {})",
                self.0.join(", "),
                SECTIONS.join(", ")
            )
        })
    }
}

/// Whether a variable name, without the `BRAID_` prefix, names a setting.
fn is_setting(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECTIONS.iter().any(|section| {
        name == *section
            || name
                .strip_prefix(section)
                .is_some_and(|rest| rest.starts_with("__"))
    })
}

impl Config {
    /// Load defaults, then the file (if any), then `BRAID_<SECTION>__<KEY>` environment
    /// variables. Other `BRAID_` variables are ignored; [`Config::load_noting_ignored`]
    /// says which.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_noting_ignored(file).map(|(config, _)| config)
    }

    /// [`Config::load`], also returning the `BRAID_` variables that were not settings.
    pub fn load_noting_ignored(file: Option<&Path>) -> Result<(Config, IgnoredEnv), ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            figment = figment.merge(Toml::string(&read_config_file(path)?));
        }
        figment = figment.merge(
            Env::prefixed(ENV_PREFIX)
                .filter(|name| is_setting(name.as_str()))
                .split("__"),
        );
        let mut config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Load(describe_figment_error(e, file)))?;
        config.validate()?;
        config.audiences.forget_main_output_copies();
        Ok((config, ignored_env()))
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
        if self.storage.cache_mib == 0 || self.storage.cache_mib > 1 << 20 {
            return Err(invalid(
                "storage.cache_mib",
                "must be between 1 and 1048576 (MiB)".into(),
            ));
        }
        self.storage
            .validate()
            .map_err(|(key, problem)| invalid(&format!("storage.{key}"), problem))?;
        if self.storage.backend == StorageBackend::Distributed {
            // Generated credentials live in each node's data directory, so every node
            // would accept a different key.
            if !self
                .inputs
                .iter()
                .any(|i| i.platform == InputPlatform::Server)
            {
                return Err(invalid(
                    "inputs",
                    "the distributed backend needs at least one server input in the config: every node must accept the same key (generated credentials differ per node)".into(),
                ));
            }
            if self.admin.is_none() {
                return Err(invalid(
                    "admin",
                    "the distributed backend needs [admin] key and secret in the config: every node must accept the same admin credentials".into(),
                ));
            }
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
            validate_input(i, input)?;
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
        if self.braze.limits.max_distinct_external_ids == 0 {
            return Err(invalid(
                "braze.limits.max_distinct_external_ids",
                "must be greater than 0".into(),
            ));
        }
        if self.braze.limits.max_body_bytes < 1024 {
            return Err(invalid(
                "braze.limits.max_body_bytes",
                "must be at least 1024".into(),
            ));
        }
        self.delivery
            .validate()
            .map_err(|(key, problem)| invalid(&format!("delivery.{key}"), problem))?;
        self.dsr
            .validate()
            .map_err(|(key, problem)| invalid(&format!("dsr.{key}"), problem))?;
        self.console
            .validate()
            .map_err(|(key, problem)| invalid(&format!("console.{key}"), problem))?;
        self.currents
            .validate()
            .map_err(|(key, problem)| invalid(&format!("currents.{key}"), problem))?;
        self.web
            .validate()
            .map_err(|(key, problem)| invalid(&format!("web.{key}"), problem))?;
        if let Some(i) = self
            .inputs
            .iter()
            .position(|i| i.braze_forwarding == BrazeForwarding::Kit)
        {
            if !self.web.braze_kit.enabled {
                return Err(invalid(
                    &format!("inputs[{i}].braze_forwarding"),
                    "`kit` leaves Braze to the web kit, which needs [web.braze_kit] enabled (else this input's data would reach Braze from nowhere)".into(),
                ));
            }
        }
        if let Some(tls) = &self.server.tls {
            for (key, path) in [("cert_path", &tls.cert_path), ("key_path", &tls.key_path)] {
                if !path.is_file() {
                    return Err(invalid(
                        &format!("server.tls.{key}"),
                        format!("{} is not a readable file", path.display()),
                    ));
                }
            }
        }
        self.validate_audiences()
    }

    /// Checks of `[audiences]`. Its copies of main-output settings must equal the main
    /// output's; a mismatch is named.
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

/// Checks of one `[[inputs]]` entry: a server input needs a secret, a web input must
/// not have one and needs exact origins.
fn validate_input(i: usize, input: &InputConfig) -> Result<(), ConfigError> {
    let invalid = |key: &str, problem: &str| ConfigError::Invalid {
        key: format!("inputs[{i}].{key}"),
        problem: problem.into(),
    };
    match input.platform {
        InputPlatform::Server => {
            let Some(secret) = &input.secret else {
                return Err(invalid("secret", "required for a server input"));
            };
            if secret.len() < 8 {
                return Err(invalid("secret", "must be at least 8 characters"));
            }
            if !input.allowed_origins.is_empty() {
                return Err(invalid(
                    "allowed_origins",
                    "only web inputs have origins (set platform = \"web\")",
                ));
            }
            if input.braze_forwarding != BrazeForwarding::Server {
                return Err(invalid(
                    "braze_forwarding",
                    "only web inputs can leave Braze to the web kit (set platform = \"web\")",
                ));
            }
        }
        InputPlatform::Web => {
            if input.braze_feed {
                return Err(invalid(
                    "braze_feed",
                    "a Braze feed relays Currents server-to-server; it cannot be a web input",
                ));
            }
            if input.secret.is_some() {
                return Err(invalid(
                    "secret",
                    "must be absent for a web input: web keys are public, anyone can read them in the page",
                ));
            }
            if input.allowed_origins.is_empty() {
                return Err(invalid(
                    "allowed_origins",
                    "a web input needs at least one origin, like \"https://shop.example.com\"",
                ));
            }
            for (j, origin) in input.allowed_origins.iter().enumerate() {
                crate::web::cors::check_origin(origin).map_err(|problem| ConfigError::Invalid {
                    key: format!("inputs[{i}].allowed_origins[{j}]"),
                    problem,
                })?;
            }
        }
    }
    Ok(())
}

/// The file's text. Read here rather than by figment, whose file provider silently
/// skips anything that is not a regular file: `--config <(cat braid.toml)` and
/// `--config /dev/stdin` are pipes, and must be read like any file.
fn read_config_file(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| {
        ConfigError::Load(if e.kind() == std::io::ErrorKind::NotFound {
            format!("config file {} does not exist", path.display())
        } else {
            format!("config file {} cannot be read: {e}", path.display())
        })
    })
}

/// The `BRAID_` variables in the environment that are neither settings nor the command
/// line's own.
fn ignored_env() -> IgnoredEnv {
    let mut names: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| {
            name.get(..ENV_PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(ENV_PREFIX))
                && !is_setting(&name[ENV_PREFIX.len()..])
                && !CLI_VARIABLES.iter().any(|v| v.eq_ignore_ascii_case(name))
        })
        .collect();
    names.sort();
    IgnoredEnv(names)
}

fn describe_figment_error(e: figment::Error, file: Option<&Path>) -> String {
    e.into_iter()
        .map(|err| {
            let key = err.path.join(".");
            let source = err
                .metadata
                .as_ref()
                .map(|m| match file {
                    // The file is given to figment as a string; name it as the file.
                    Some(path) if m.name.ends_with("source string") => {
                        format!(" (from config file {})", path.display())
                    }
                    _ => format!(" (from {})", m.name),
                })
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
