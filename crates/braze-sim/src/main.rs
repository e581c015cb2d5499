//! The `braze-sim` binary: a strict Braze REST simulator on a fixed address, for
//! staging, load tests and dry runs. Stops on Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use braid_braze::limits::{ContractShape, Limits};
use braze_sim::{Faults, SimConfig};
use clap::Parser;

/// Command-line options; every one can also come from a `BRAZE_SIM_*` variable.
#[derive(Debug, Parser)]
#[command(name = "braze-sim", version, about = "A strict Braze REST simulator")]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "BRAZE_SIM_LISTEN", default_value = "127.0.0.1:9400")]
    listen: SocketAddr,
    /// REST API key clients must send as a bearer token.
    #[arg(long, env = "BRAZE_SIM_API_KEY", default_value = "sim-key")]
    api_key: String,
    /// Requests allowed per rate window.
    #[arg(long, env = "BRAZE_SIM_RATE_LIMIT", default_value_t = 3000)]
    rate_limit: u64,
    /// Rate window length in seconds.
    #[arg(long, env = "BRAZE_SIM_RATE_WINDOW_SECS", default_value_t = 3)]
    rate_window_secs: u64,
    /// Objects per request: total75, per-array75 or total50.
    #[arg(long, env = "BRAZE_SIM_CONTRACT", default_value = "total75")]
    contract: ContractShape,
    /// Longest array-of-strings attribute accepted.
    #[arg(long, env = "BRAZE_SIM_MAX_ARRAY_LEN", default_value_t = 25)]
    max_array_len: usize,
    /// Seed for fault randomness (random when absent).
    #[arg(long, env = "BRAZE_SIM_SEED")]
    seed: Option<u64>,
    /// Share of calls answered 500/503.
    #[arg(long, env = "BRAZE_SIM_STATUS_5XX_RATE", default_value_t = 0.0)]
    status_5xx_rate: f64,
    /// Delay before every answer, in milliseconds.
    #[arg(long, env = "BRAZE_SIM_LATENCY_MS", default_value_t = 0)]
    latency_ms: u64,
    /// Share of calls that hang for a minute.
    #[arg(long, env = "BRAZE_SIM_TIMEOUT_RATE", default_value_t = 0.0)]
    timeout_rate: f64,
    /// Share of calls whose connection is closed without an answer.
    #[arg(long, env = "BRAZE_SIM_DROP_CONNECTION_RATE", default_value_t = 0.0)]
    drop_connection_rate: f64,
    /// Share of valid objects reported as "Simulated error".
    #[arg(long, env = "BRAZE_SIM_PARTIAL_ERROR_RATE", default_value_t = 0.0)]
    partial_error_rate: f64,
    /// Answer 401 to every call.
    #[arg(long, env = "BRAZE_SIM_UNAUTHORIZED")]
    unauthorized: bool,
    /// How many /users/track calls /sim/requests remembers.
    #[arg(long, env = "BRAZE_SIM_REQUEST_LOG", default_value_t = 1000)]
    request_log: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let config = SimConfig {
        listen: Some(cli.listen),
        api_key: cli.api_key,
        rate_limit: cli.rate_limit,
        rate_window: Duration::from_secs(cli.rate_window_secs.max(1)),
        limits: Limits {
            contract: cli.contract,
            max_array_len: cli.max_array_len,
            ..Limits::default()
        },
        faults: Faults {
            status_5xx_rate: cli.status_5xx_rate,
            latency_ms: cli.latency_ms,
            timeout_rate: cli.timeout_rate,
            drop_connection_rate: cli.drop_connection_rate,
            partial_error_rate: cli.partial_error_rate,
            unauthorized: cli.unauthorized,
            rate_limit_override: None,
        },
        seed: cli.seed,
        request_log_capacity: cli.request_log,
    };
    let sim = braze_sim::start(config)?;
    println!("braze-sim listening on {}", sim.base_url());
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}
