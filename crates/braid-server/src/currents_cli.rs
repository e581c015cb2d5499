//! `braid currents import PATH...`: Braze's storage-connector files (Avro; codecs null,
//! deflate, snappy), or folders laid out as the connectors lay them out, sent to a
//! running braid's `POST /v1/currents` in batches of up to 100 events.
//!
//! Re-running is safe: braid de-duplicates on the event id. An interrupted import
//! resumes where it stopped: after every batch braid accepted, a checkpoint file
//! (default `<first PATH>.currents-import.json`, or `--checkpoint`) records the files
//! finished and how many events of the current one were sent. Progress is drawn as a bar
//! and, because a bar is invisible when output is not a terminal, printed per file.

use anyhow::Context;
use braid_core::Secret;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Events per request: Braze's own batch size for the Custom HTTP connector.
pub const BATCH_EVENTS: usize = 100;

/// What an import has done, kept in the checkpoint file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Files sent completely.
    pub done: Vec<PathBuf>,
    /// The file being sent and how many of its records were accepted.
    pub current: Option<(PathBuf, usize)>,
}

impl Checkpoint {
    fn load(path: &Path) -> anyhow::Result<Checkpoint> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("checkpoint {} is not readable", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Checkpoint::default()),
            Err(e) => Err(e).with_context(|| format!("reading checkpoint {}", path.display())),
        }
    }

    fn save(&self, path: &Path) -> anyhow::Result<()> {
        // Written aside and renamed, so an interruption never leaves half a checkpoint.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(self)?)
            .with_context(|| format!("writing checkpoint {}", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("writing checkpoint {}", path.display()))
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub files: usize,
    pub files_skipped: usize,
    pub events_sent: u64,
    pub events_rejected: u64,
    /// Records braid could not read (kept out, named on stderr).
    pub unreadable: u64,
}

/// Where and how to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// `http://host:port` of the running braid.
    pub base_url: String,
    pub token: Secret,
    pub paths: Vec<PathBuf>,
    pub checkpoint: Option<PathBuf>,
}

/// Run an import.
pub async fn import(options: &ImportOptions) -> anyhow::Result<ImportSummary> {
    let mut files = Vec::new();
    for path in &options.paths {
        let found = braid_currents::avro::list_avro_files(path)
            .with_context(|| format!("listing {}", path.display()))?;
        if found.is_empty() {
            eprintln!("warning: no .avro files under {}", path.display());
        }
        files.extend(found);
    }
    let checkpoint_path = options.checkpoint.clone().unwrap_or_else(|| {
        let first = options.paths.first().cloned().unwrap_or_default();
        let mut name = first.file_name().unwrap_or_default().to_os_string();
        name.push(".currents-import.json");
        first.with_file_name(name)
    });
    let mut checkpoint = Checkpoint::load(&checkpoint_path)?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let url = format!("{}/v1/currents", options.base_url.trim_end_matches('/'));
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} files ({elapsed}, eta {eta})")
            .context("progress bar template")?
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let mut summary = ImportSummary::default();
    for (n, file) in files.iter().enumerate() {
        if checkpoint.done.contains(file) {
            summary.files_skipped += 1;
            bar.inc(1);
            continue;
        }
        let read = braid_currents::avro::read_avro_file(file)?;
        let mut events = Vec::with_capacity(read.events.len());
        for event in read.events {
            match event {
                Ok(e) => events.push(serde_json::to_value(e)?),
                Err(reason) => {
                    summary.unreadable += 1;
                    eprintln!("skipped: {reason}");
                }
            }
        }
        let resume_at = match &checkpoint.current {
            Some((path, sent)) if path == file => *sent,
            _ => 0,
        };
        let mut sent = resume_at;
        for chunk in events[resume_at.min(events.len())..].chunks(BATCH_EVENTS) {
            let answer = send(&client, &url, &options.token, chunk).await?;
            summary.events_sent += answer.0;
            summary.events_rejected += answer.1;
            sent += chunk.len();
            checkpoint.current = Some((file.clone(), sent));
            checkpoint.save(&checkpoint_path)?;
            bar.set_message(format!("{} events", summary.events_sent));
        }
        checkpoint.done.push(file.clone());
        checkpoint.current = None;
        checkpoint.save(&checkpoint_path)?;
        summary.files += 1;
        bar.inc(1);
        bar.suspend(|| {
            eprintln!(
                "imported {}/{} files: {} ({} events of {})",
                n + 1,
                files.len(),
                file.display(),
                events.len() - resume_at.min(events.len()),
                read.event_type
            )
        });
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64().max(1e-6);
    println!(
        "currents import done: {} files ({} already imported), {} events sent ({:.0} events/s), {} rejected by braid, {} unreadable records",
        summary.files,
        summary.files_skipped,
        summary.events_sent,
        summary.events_sent as f64 / secs,
        summary.events_rejected,
        summary.unreadable
    );
    Ok(summary)
}

/// One batch; returns (accepted, rejected). Retries 5xx and connection errors with
/// backoff; gives up on 4xx with braid's explanation.
async fn send(
    client: &reqwest::Client,
    url: &str,
    token: &Secret,
    events: &[serde_json::Value],
) -> anyhow::Result<(u64, u64)> {
    let body = serde_json::json!({ "events": events });
    let mut delay = Duration::from_millis(200);
    for attempt in 1..=8 {
        let result = client
            .post(url)
            .bearer_auth(token.expose())
            .json(&body)
            .send()
            .await;
        match result {
            Ok(r) if r.status().is_success() => {
                let answer: serde_json::Value = r.json().await.unwrap_or_default();
                let accepted = answer["accepted"].as_u64().unwrap_or(events.len() as u64);
                let rejected = answer["rejected"].as_array().map_or(0, |a| a.len() as u64);
                return Ok((accepted, rejected));
            }
            Ok(r) if r.status().is_client_error() => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                anyhow::bail!("braid refused the batch ({status}): {text}");
            }
            Ok(r) => eprintln!("attempt {attempt}: braid answered {}; retrying", r.status()),
            Err(e) => eprintln!("attempt {attempt}: {e}; retrying"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
    anyhow::bail!("braid did not accept a batch after 8 attempts; re-run to resume")
}
