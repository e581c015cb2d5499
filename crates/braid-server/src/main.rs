//! The `braid` command line.

use anyhow::Context;
use braid_server::config::Config;
use braid_server::{telemetry, Server};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

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
    match cli.command.unwrap_or(Command::Serve { config: None }) {
        Command::Serve { config } => serve(config),
        Command::CheckConfig { config } => check_config(config),
        Command::DeadLetters {
            action,
            config,
            url,
        } => dead_letters(action, config, url),
    }
}

fn load(config: Option<PathBuf>) -> anyhow::Result<Config> {
    Config::load(config.as_deref()).map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))
}

fn check_config(path: Option<PathBuf>) -> anyhow::Result<()> {
    match Config::load(path.as_deref()) {
        Ok(config) => {
            println!("configuration is valid");
            println!(
                "{}",
                toml::to_string_pretty(&redacted(config)).context("rendering the configuration")?
            );
            Ok(())
        }
        Err(e) => {
            eprintln!("invalid configuration: {e}");
            std::process::exit(2);
        }
    }
}

fn redacted(mut config: Config) -> Config {
    for input in &mut config.inputs {
        input.secret = "<redacted>".into();
    }
    if let Some(admin) = &mut config.admin {
        admin.secret = "<redacted>".into();
    }
    config.delivery.redact();
    config
}

fn serve(path: Option<PathBuf>) -> anyhow::Result<()> {
    let config = load(path)?;
    telemetry::init_logging(config.server.log_format == "json");
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        // Listen for signals before anything starts, so an early SIGTERM is a clean stop.
        let signal = ShutdownSignal::install()?;
        let server = Server::start(config.clone()).await?;
        if let Some(creds) = &server.generated {
            print_first_run(&config, server.addr(), creds);
        }
        signal.wait().await;
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
    println!();
    println!(
        "braid created credentials on this first run (kept in {}):",
        file.display()
    );
    println!("  input key:    {}", creds.input.key);
    println!("  input secret: {}", creds.input.secret);
    println!(
        "  admin key:    {}   admin secret: {}",
        creds.admin.key, creds.admin.secret
    );
    println!();
    println!("Send a batch:");
    println!(
        "  curl -u '{}:{}' -H 'content-type: application/json' http://{addr}/v2/events \\\n    -d '{{\"user_identities\":{{\"customer_id\":\"user-1\"}},\"user_attributes\":{{\"$FirstName\":\"Ada\"}},\"events\":[{{\"event_type\":\"custom_event\",\"data\":{{\"event_name\":\"Signed Up\",\"custom_event_type\":\"other\"}}}}]}}'",
        creds.input.key, creds.input.secret
    );
    println!("Look the user up:");
    println!(
        "  curl -u '{}:{}' http://{addr}/api/v1/profiles/customer_id/user-1",
        creds.admin.key, creds.admin.secret
    );
    println!();
}

/// SIGTERM or Ctrl-C.
struct ShutdownSignal {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    fn install() -> std::io::Result<Self> {
        Ok(ShutdownSignal {
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?,
        })
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn dead_letters(
    action: DeadLetterAction,
    path: Option<PathBuf>,
    url: Option<String>,
) -> anyhow::Result<()> {
    let config = load(path)?;
    let base = url.unwrap_or_else(|| format!("http://{}", config.server.listen));
    let (key, secret) = match &config.admin {
        Some(a) => (a.key.clone(), a.secret.clone()),
        None => {
            let (creds, _) = braid_server::credentials::load_or_create(&config.server.data_dir)?;
            (creds.admin.key, creds.admin.secret)
        }
    };
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
                        .basic_auth(&key, Some(&secret))
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
                    .basic_auth(&key, Some(&secret))
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
