//! `braid-load`: send a realistic mParticle workload to braid and report throughput,
//! latency, errors, the outbox drain time and what braze-sim received.

use anyhow::Context as _;
use braid_load::probe::{self, DepthSource};
use braid_load::report::Report;
use braid_load::send::{self, SendConfig};
use braid_load::workload::{EventMix, WorkloadConfig};
use clap::Parser;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Generate mParticle Events API load against braid (or any compatible endpoint).
#[derive(Debug, Parser)]
#[command(name = "braid-load", version, about)]
struct Args {
    /// Base URL of braid's Events API.
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "BRAID_LOAD_URL")]
    url: String,
    /// Input key (HTTP Basic user name).
    #[arg(long, env = "BRAID_LOAD_KEY")]
    key: String,
    /// Input secret (HTTP Basic password).
    #[arg(long, env = "BRAID_LOAD_SECRET")]
    secret: String,
    /// braid admin key, to read the outbox depth from the admin API.
    #[arg(long, env = "BRAID_LOAD_ADMIN_KEY", requires = "admin_secret")]
    admin_key: Option<String>,
    /// braid admin secret.
    #[arg(long, env = "BRAID_LOAD_ADMIN_SECRET", requires = "admin_key")]
    admin_secret: Option<String>,
    /// Base URL of braze-sim, to report what the Braze side received.
    #[arg(long)]
    sim_url: Option<String>,

    /// Number of distinct users.
    #[arg(long, default_value_t = 10_000)]
    users: u64,
    /// Share of users that are anonymous (0..1).
    #[arg(long, default_value_t = 0.2)]
    anonymous_share: f64,
    /// Share of batches that change a user attribute value (0..1); the rest re-send
    /// unchanged values.
    #[arg(long, default_value_t = 0.1)]
    attribute_churn: f64,
    /// Events per batch.
    #[arg(long, default_value_t = 3)]
    events_per_batch: u32,
    /// Weight of custom events in the mix.
    #[arg(long, default_value_t = 50)]
    mix_custom: u32,
    /// Weight of screen views.
    #[arg(long, default_value_t = 20)]
    mix_screen_view: u32,
    /// Weight of session start/end events.
    #[arg(long, default_value_t = 10)]
    mix_session: u32,
    /// Weight of purchases (1–5 products each).
    #[arg(long, default_value_t = 8)]
    mix_purchase: u32,
    /// Weight of other product actions (add to cart, view detail, …).
    #[arg(long, default_value_t = 12)]
    mix_commerce_other: u32,

    /// 0: single batches to /v2/events; k: /v2/bulkevents with k batches per request.
    #[arg(long, default_value_t = 0)]
    bulk_size: usize,
    /// Batches per second (0: as fast as possible).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Stop after this many seconds (default 10 when --batches is not given).
    #[arg(long)]
    duration_secs: Option<f64>,
    /// Stop after this many batches.
    #[arg(long)]
    batches: Option<u64>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30.0)]
    request_timeout_secs: f64,
    /// Seed of the workload.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Prefix of source_request_id (default: derived from the clock, so runs never
    /// de-duplicate each other).
    #[arg(long)]
    run_id: Option<String>,
    /// Stamp batches from this fixed clock (UNIX ms) instead of the wall clock: batch b
    /// is stamped start + b ms. With --batches and a fixed --run-id, the same --seed then
    /// sends byte-identical batches.
    #[arg(long)]
    clock_start_ms: Option<i64>,
    /// After sending, wait up to this many seconds for braid's ingest queue and Braze
    /// outbox to empty; also reports the 202→ack latency from braid's metrics.
    #[arg(long, default_value_t = 0.0)]
    wait_drain_secs: f64,
    /// Write the report as JSON to this path.
    #[arg(long)]
    report_json: Option<PathBuf>,
    /// No progress lines.
    #[arg(long)]
    quiet: bool,
}

fn secs(name: &str, v: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(v).with_context(|| format!("{name} must be a non-negative number"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started_unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let run_id = args
        .run_id
        .clone()
        .unwrap_or_else(|| format!("load-{started_unix_ms:x}"));
    let workload = WorkloadConfig {
        users: args.users,
        anonymous_share: args.anonymous_share,
        attribute_churn: args.attribute_churn,
        events_per_batch: args.events_per_batch,
        mix: EventMix {
            custom: args.mix_custom,
            screen_view: args.mix_screen_view,
            session: args.mix_session,
            purchase: args.mix_purchase,
            commerce_other: args.mix_commerce_other,
        },
        seed: args.seed,
        run_id: run_id.clone(),
    };
    let duration = match (args.duration_secs, args.batches) {
        (Some(d), _) => Some(secs("--duration-secs", d)?),
        (None, Some(_)) => None,
        (None, None) => Some(Duration::from_secs(10)),
    };
    let cfg = SendConfig {
        url: args.url.clone(),
        key: args.key.clone(),
        secret: args.secret.clone(),
        bulk_size: args.bulk_size,
        rate: args.rate,
        concurrency: args.concurrency,
        duration,
        batches: args.batches,
        request_timeout: secs("--request-timeout-secs", args.request_timeout_secs)?,
        progress_every: (!args.quiet).then_some(Duration::from_secs(1)),
        clock_start_ms: args.clock_start_ms,
    };
    let wait_drain = secs("--wait-drain-secs", args.wait_drain_secs)?;
    let settings = json!({
        "url": args.url,
        "sim_url": args.sim_url,
        "workload": workload,
        "bulk_size": args.bulk_size,
        "rate": args.rate,
        "concurrency": args.concurrency,
        "duration_secs": duration.map(|d| d.as_secs_f64()),
        "batches": args.batches,
        "clock_start_ms": args.clock_start_ms,
        "wait_drain_secs": args.wait_drain_secs,
    });

    let probe_client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .context("cannot build http client")?;
    let mut warnings = Vec::new();
    let sim_before = match &args.sim_url {
        Some(sim) => match probe::sim_stats(&probe_client, sim).await {
            Ok(v) => Some(v),
            Err(e) => {
                warnings.push(format!("braze-sim stats before the run: {e}"));
                None
            }
        },
        None => None,
    };

    // braid's metrics before the run, to report the 202→ack latency of this run only.
    let metrics_before = if wait_drain.is_zero() {
        None
    } else {
        probe::metrics_text(&probe_client, &args.url).await.ok()
    };

    let sent = send::run(&cfg, &workload).await?;
    let mut report = Report::new(started_unix_ms, settings, sent);
    report.warnings = warnings;

    if !wait_drain.is_zero() {
        let src = match (&args.admin_key, &args.admin_secret) {
            (Some(key), Some(secret)) => DepthSource::Admin {
                url: args.url.clone(),
                key: key.clone(),
                secret: secret.clone(),
            },
            _ => DepthSource::Metrics {
                url: args.url.clone(),
            },
        };
        report.drain = Some(
            probe::wait_drained(
                &probe_client,
                &src,
                wait_drain,
                Duration::from_millis(100),
                !args.quiet,
            )
            .await,
        );
        match probe::metrics_text(&probe_client, &args.url).await {
            Ok(after) => {
                report.ack_latency =
                    probe::ack_latency(metrics_before.as_deref().unwrap_or(""), &after);
            }
            Err(e) => report
                .warnings
                .push(format!("braid metrics after the run: {e}")),
        }
    }

    if let Some(sim) = &args.sim_url {
        match probe::sim_stats(&probe_client, sim).await {
            Ok(after) => {
                report.sim = Some(probe::summarize_sim(
                    sim_before.as_ref(),
                    &after,
                    report.send.events_accepted,
                ));
                report.sim_stats = Some(after);
            }
            Err(e) => report
                .warnings
                .push(format!("braze-sim stats after the run: {e}")),
        }
    }

    print!("{}", report.human());
    if let Some(path) = &args.report_json {
        let body = serde_json::to_vec_pretty(&report)?;
        std::fs::write(path, body)
            .with_context(|| format!("cannot write report to {}", path.display()))?;
    }
    Ok(())
}
