//! Group commit: concurrent ingest requests hand their batches to one committer task,
//! which appends everything waiting in a single durable transaction (one fsync) and
//! then answers every request. While one commit runs, the next group gathers.

use crate::store_health::StoreHealth;
use braid_core::storage::{AppendOutcome, AppendRequest, IngestLog, StorageError};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot, Notify};

/// One request's batches waiting to be committed.
pub struct AppendJob {
    pub requests: Vec<AppendRequest>,
    pub reply: oneshot::Sender<Result<Vec<AppendOutcome>, String>>,
}

/// Most batches committed in one transaction; bounds the commit's size and latency.
const MAX_GROUP_RECORDS: usize = 4096;

/// Handle used by ingest to submit batches.
#[derive(Clone)]
pub struct Committer {
    sender: mpsc::Sender<AppendJob>,
}

impl Committer {
    /// Start the committer task. `committed` is notified after every commit so the
    /// pipeline worker wakes up; a failed commit is reported to `health`.
    pub fn start(
        log: Arc<dyn IngestLog>,
        committed: Arc<Notify>,
        health: Arc<StoreHealth>,
    ) -> (Committer, tokio::task::JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel::<AppendJob>(8192);
        let task = tokio::spawn(run(receiver, log, committed, health));
        (Committer { sender }, task)
    }

    /// Durably append `requests`; returns once they are committed.
    pub async fn append(&self, requests: Vec<AppendRequest>) -> Result<Vec<AppendOutcome>, String> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(AppendJob { requests, reply })
            .await
            .map_err(|_| "store is shutting down".to_string())?;
        answer
            .await
            .map_err(|_| "store is shutting down".to_string())?
    }
}

async fn run(
    mut receiver: mpsc::Receiver<AppendJob>,
    log: Arc<dyn IngestLog>,
    committed: Arc<Notify>,
    health: Arc<StoreHealth>,
) {
    while let Some(first) = receiver.recv().await {
        let mut jobs = vec![first];
        let mut records: usize = jobs[0].requests.len();
        while records < MAX_GROUP_RECORDS {
            match receiver.try_recv() {
                Ok(job) => {
                    records += job.requests.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let mut all = Vec::with_capacity(records);
        let mut sizes = Vec::with_capacity(jobs.len());
        let mut replies = Vec::with_capacity(jobs.len());
        for job in jobs {
            sizes.push(job.requests.len());
            all.extend(job.requests);
            replies.push(job.reply);
        }
        let log = log.clone();
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(move || log.append(all))
            .await
            .unwrap_or_else(|e| Err(StorageError::operation("commit task", e)));
        metrics::histogram!("braid_store_commit_seconds").record(started.elapsed().as_secs_f64());
        metrics::counter!("braid_store_commits_total").increment(1);
        metrics::histogram!("braid_store_commit_group_size").record(records as f64);
        match result {
            Ok(outcomes) => {
                let mut rest = outcomes.into_iter();
                for (size, reply) in sizes.into_iter().zip(replies) {
                    let mine: Vec<AppendOutcome> = rest.by_ref().take(size).collect();
                    let _ = reply.send(Ok(mine));
                }
                committed.notify_one();
            }
            Err(e) => {
                let kind = health.observe(&e);
                tracing::error!(error = %e, kind = kind.as_str(), "commit failed; answering 503 to the group");
                let message = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(message.clone()));
                }
            }
        }
    }
}
