//! The `braid` command line.

use anyhow::Context;
use braid_core::Secret;
use braid_server::cluster::Roles;
use braid_server::config::Config;
use braid_server::{telemetry, Server};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

// The pipeline allocates and frees many small values per batch (parsed events, mapped
// objects, encoded rows); mimalloc's thread-local free lists make that markedly cheaper
// than the system allocator (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "braid",
    version,
    about = "Self-hosted mParticle-compatible ingest that keeps Braze in sync, sending only what changed"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default when no command is given).
    Serve {
        /// TOML config file; without it braid runs on built-in defaults.
        #[arg(long, env = "BRAID_CONFIG")]
        config: Option<PathBuf>,
        /// What this node does, with the distributed backend: `ingest`, `pipeline`,
        /// `delivery` or `all` (the default); repeat or separate with commas.
        #[arg(long = "role", env = "BRAID_ROLE", value_enum, value_delimiter = ',')]
        roles: Vec<braid_server::cluster::Role>,
    },
    /// Validate a config file and print the effective configuration.
    CheckConfig {
        #[arg(long, env = "BRAID_CONFIG")]
        config: Option<PathBuf>,
    },
    /// List or replay dead letters through a running braid's admin API.
    DeadLetters {
        #[command(subcommand)]
        action: DeadLetterAction,
        #[arg(long, env = "BRAID_CONFIG", global = true)]
        config: Option<PathBuf>,
        /// Base URL of the running braid. Default: from the config's listen address.
        #[arg(long, global = true)]
        url: Option<String>,
    },
    /// Manage audiences of a running braid: list, create, replace, delete, deactivate,
    /// follow jobs, and check for overflow before syncing.
    Audiences {
        #[command(subcommand)]
        action: braid_server::audiences_cli::AudienceAction,
        #[arg(long, env = "BRAID_CONFIG", global = true)]
        config: Option<PathBuf>,
        /// Base URL of the running braid. Default: from the config's listen address.
        #[arg(long, global = true)]
        url: Option<String>,
    },
    /// Manage calculated attributes of a running braid: list, create, replace, delete,
    /// and follow backfills.
    CalculatedAttributes {
        #[command(subcommand)]
        action: braid_server::calculated_cli::CalculatedAction,
        #[arg(long, env = "BRAID_CONFIG", global = true)]
        config: Option<PathBuf>,
        /// Base URL of the running braid. Default: from the config's listen address.
        #[arg(long, global = true)]
        url: Option<String>,
    },
    /// Braze Currents: import storage-connector Avro files into a running braid.
    Currents {
        #[command(subcommand)]
        action: CurrentsAction,
        #[arg(long, env = "BRAID_CONFIG", global = true)]
        config: Option<PathBuf>,
        /// Base URL of the running braid. Default: from the config's listen address.
        #[arg(long, global = true)]
        url: Option<String>,
        /// Bearer token for `/v1/currents`. Default: the first of `[currents] tokens`.
        #[arg(long, global = true)]
        token: Option<String>,
    },
}

#[derive(Subcommand)]
enum CurrentsAction {
    /// Send Avro files (or folders laid out as Braze's storage connectors write them)
    /// to braid; safe to re-run, resumes after an interruption.
    Import {
        /// Avro files or folders (searched recursively for `.avro` files).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Progress file for resuming. Default: `<first PATH>.currents-import.json`.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DeadLetterAction {
    /// Print dead letters as JSON lines.
    List {
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Put dead letters back on the outbox (all of them unless ids are given).
    Replay { ids: Vec<u64> },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve {
        config: None,
        roles: Vec::new(),
    }) {
        Command::Serve { config, roles } => serve(config, Roles::from_list(&roles)),
        Command::CheckConfig { config } => check_config(config),
        Command::DeadLetters {
            action,
            config,
            url,
        } => dead_letters(action, config, url),
        Command::Audiences {
            action,
            config,
            url,
        } => {
            let (base, key, secret) = admin_endpoint(config, url)?;
            let client = braid_server::audiences_cli::AdminClient::new(base, key, secret);
            tokio::runtime::Runtime::new()?
                .block_on(braid_server::audiences_cli::run(&client, action))
        }
        Command::Currents {
            action: CurrentsAction::Import { paths, checkpoint },
            config,
            url,
            token,
        } => {
            let loaded = load(config)?;
            let base_url = url.unwrap_or_else(|| format!("http://{}", loaded.server.listen));
            let token = match token {
                Some(t) => Secret::from(t),
                None => loaded
                    .currents
                    .tokens
                    .first()
                    .cloned()
                    .context("no token: pass --token or set [currents] tokens in the config")?,
            };
            let options = braid_server::currents_cli::ImportOptions {
                base_url,
                token,
                paths,
                checkpoint,
            };
            tokio::runtime::Runtime::new()?
                .block_on(braid_server::currents_cli::import(&options))
                .map(|_| ())
        }
        Command::CalculatedAttributes {
            action,
            config,
            url,
        } => {
            let (base, key, secret) = admin_endpoint(config, url)?;
            let client = braid_server::audiences_cli::AdminClient::new(base, key, secret);
            tokio::runtime::Runtime::new()?
                .block_on(braid_server::calculated_cli::run(&client, action))
        }
    }
}

/// The admin API's base URL and credentials, from the config (or first-run credentials).
fn admin_endpoint(
    path: Option<PathBuf>,
    url: Option<String>,
) -> anyhow::Result<(String, String, Secret)> {
    let config = load(path)?;
    let base = url.unwrap_or_else(|| format!("http://{}", config.server.listen));
    let (key, secret) = match &config.admin {
        Some(a) => (a.key.clone(), a.secret.clone()),
        None => {
            let (creds, _) = braid_server::credentials::load_or_create(&config.server.data_dir)?;
            (creds.admin.key, creds.admin.secret)
        }
    };
    Ok((base, key, secret))
}

/// Load the configuration for a command that is not `serve`; stray `BRAID_` variables
/// are named on stderr.
fn load(config: Option<PathBuf>) -> anyhow::Result<Config> {
    let (config, ignored) = Config::load_noting_ignored(config.as_deref())
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    if let Some(warning) = ignored.warning() {
        eprintln!("warning: {warning}");
    }
    Ok(config)
}

fn check_config(path: Option<PathBuf>) -> anyhow::Result<()> {
    match Config::load_noting_ignored(path.as_deref()) {
        Ok((config, ignored)) => {
            if let Some(warning) = ignored.warning() {
                eprintln!("warning: {warning}");
            }
            if config.storage.backend == braid_server::config::StorageBackend::Distributed {
                // Settings can be well-formed and still point nowhere: connect, as a node would.
                let problems = tokio::runtime::Runtime::new()?
                    .block_on(braid_server::cluster::check_connections(&config));
                if !problems.is_empty() {
                    for problem in problems {
                        eprintln!("invalid configuration: {problem}");
                    }
                    std::process::exit(2);
                }
                println!("kafka, postgres and redis answered");
            }
            println!("configuration is valid");
            // Secrets serialise as `<redacted>`.
            println!(
                "{}",
                toml::to_string_pretty(&config).context("rendering the configuration")?
            );
            Ok(())
        }
        Err(e) => {
            eprintln!("invalid configuration: {e}");
            std::process::exit(2);
        }
    }
}

fn serve(path: Option<PathBuf>, roles: Roles) -> anyhow::Result<()> {
    let (config, ignored) = Config::load_noting_ignored(path.as_deref())
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    telemetry::init_logging(config.server.log_format == "json");
    if let Some(warning) = ignored.warning() {
        tracing::warn!(variables = ?ignored.0, "{warning}");
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        // Listen for signals before anything starts, so an early SIGTERM is a clean stop.
        let mut signal = ShutdownSignal::install()?;
        let server = Server::start_as(config.clone(), roles).await?;
        if let Some(creds) = &server.generated {
            print_first_run(&config, server.addr(), creds);
        }
        loop {
            match signal.next().await {
                SignalEvent::Stop => break,
                SignalEvent::Reload => reload(path.as_deref(), &server),
            }
        }
        tracing::info!("shutting down: draining in-flight requests");
        server.shutdown().await;
        tracing::info!("stopped");
        Ok(())
    })
}

fn print_first_run(
    config: &Config,
    addr: std::net::SocketAddr,
    creds: &braid_server::credentials::GeneratedCredentials,
) {
    let file = config.server.data_dir.join("credentials.json");
    // Printing generated credentials once, on the run that made them, is the point here.
    let (key, secret) = (&creds.input.key, creds.input.secret.expose());
    let (admin_key, admin_secret) = (&creds.admin.key, creds.admin.secret.expose());
    let dsr = match &creds.dsr {
        Some(d) if config.dsr.key.is_none() => format!(
            "  data subject requests (/v3/requests): key {}   secret {}\n",
            d.key,
            d.secret.expose()
        ),
        _ => String::new(),
    };
    let example = r#"{"user_identities":{"customer_id":"user-1"},"user_attributes":{"$FirstName":"Ada"},"events":[{"event_type":"custom_event","data":{"event_name":"Signed Up","custom_event_type":"other"}}]}"#;
    let text = format!(
        "\nbraid created credentials on this first run (kept in {file}):\n  input key:    {key}\n  input secret: {secret}\n  admin key:    {admin_key}   admin secret: {admin_secret}\n{dsr}\nSend a batch:\n  curl -u '{key}:{secret}' -H 'content-type: application/json' http://{addr}/v2/events \\\n    -d '{example}'\nLook the user up:\n  curl -u '{admin_key}:{admin_secret}' http://{addr}/api/v1/profiles/customer_id/user-1\n\n",
        file = file.display()
    );
    // A closed stdout (piped into a reader that has gone) must not take the server down.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
}

/// What a signal asks for.
enum SignalEvent {
    /// SIGTERM or Ctrl-C: drain and stop.
    Stop,
    /// SIGHUP: re-read the config file and apply what can change live.
    Reload,
}

/// SIGTERM, Ctrl-C and SIGHUP.
struct ShutdownSignal {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hangup: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    fn install() -> std::io::Result<Self> {
        Ok(ShutdownSignal {
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?,
            #[cfg(unix)]
            hangup: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?,
        })
    }

    async fn next(&mut self) -> SignalEvent {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => SignalEvent::Stop,
            _ = self.hangup.recv() => SignalEvent::Reload,
            _ = tokio::signal::ctrl_c() => SignalEvent::Stop,
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            SignalEvent::Stop
        }
    }
}

/// Re-read the configuration. Today only the Braze REST key changes live: a fixed key
/// resumes delivery paused by a 401/403 at once. Other changes need a restart.
fn reload(path: Option<&std::path::Path>, server: &Server) {
    match Config::load(path) {
        Ok(config) => {
            server
                .state()
                .delivery
                .update_api_key(config.delivery.rest_api_key.clone());
            tracing::info!("configuration reloaded: braze rest key applied; other changes take effect on restart");
        }
        Err(e) => {
            tracing::error!(error = %e, "configuration reload refused; keeping the running configuration")
        }
    }
}

fn dead_letters(
    action: DeadLetterAction,
    path: Option<PathBuf>,
    url: Option<String>,
) -> anyhow::Result<()> {
    let (base, key, secret) = admin_endpoint(path, url)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let client = reqwest::Client::new();
        match action {
            DeadLetterAction::List { limit } => {
                let mut after = 0u64;
                let mut printed = 0usize;
                while printed < limit {
                    let page: serde_json::Value = client
                        .get(format!(
                            "{base}/api/v1/dead-letters?after={after}&limit={}",
                            (limit - printed).min(1000)
                        ))
                        .basic_auth(&key, Some(secret.expose()))
                        .send()
                        .await?
                        .error_for_status()?
                        .json()
                        .await?;
                    let items = page["dead_letters"].as_array().cloned().unwrap_or_default();
                    if items.is_empty() {
                        break;
                    }
                    for item in &items {
                        println!("{item}");
                        after = item["id"].as_u64().unwrap_or(after);
                    }
                    printed += items.len();
                }
            }
            DeadLetterAction::Replay { ids } => {
                let answer: serde_json::Value = client
                    .post(format!("{base}/api/v1/dead-letters/replay"))
                    .basic_auth(&key, Some(secret.expose()))
                    .json(&serde_json::json!({"ids": ids}))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                println!("replayed {}", answer["replayed"]);
            }
        }
        Ok(())
    })
}
