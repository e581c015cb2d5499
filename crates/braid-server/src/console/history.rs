//! The overview's time series: every few seconds, how far ingest, the pipeline and the
//! outbox have got and what the delta step's ledger says, kept in memory for the last
//! hour (since start when braid has run for less).

use crate::store::Store;
use crate::worker::{Ledger, LedgerTotals};
use braid_core::storage::Outbox;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often a sample is taken.
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(5);
/// Samples kept: one hour.
const KEPT: usize = 720;

/// One moment of braid's progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    pub at_ms: i64,
    /// Batches accepted so far (counted from the start of the log).
    pub accepted: u64,
    /// Batches the pipeline has applied (counted the same way).
    pub applied: u64,
    /// Objects waiting for Braze.
    pub outbox: u64,
    /// Data points queued and saved so far.
    pub ledger: LedgerTotals,
}

/// The kept samples.
#[derive(Debug, Default)]
pub struct History {
    samples: Mutex<VecDeque<Sample>>,
}

impl History {
    /// Add a sample, forgetting the oldest beyond an hour.
    pub fn push(&self, sample: Sample) {
        let mut samples = self.samples.lock();
        if samples.len() == KEPT {
            samples.pop_front();
        }
        samples.push_back(sample);
    }

    /// Every kept sample, oldest first.
    pub fn samples(&self) -> Vec<Sample> {
        self.samples.lock().iter().copied().collect()
    }
}

/// Read one sample from the store and the ledger now.
pub fn take_sample(store: &Store, ledger: &Ledger, now_ms: i64) -> Sample {
    let (accepted, applied) = store.log_progress().unwrap_or((0, 0));
    Sample {
        at_ms: now_ms,
        accepted,
        applied,
        outbox: store.depth().unwrap_or(0),
        ledger: ledger.totals(),
    }
}

/// Sample every [`SAMPLE_INTERVAL`] until shutdown.
pub async fn run(
    store: Store,
    ledger: Arc<Ledger>,
    history: Arc<History>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let (s, l) = (store.clone(), ledger.clone());
        match tokio::task::spawn_blocking(move || take_sample(&s, &l, braid_core::clock::now_ms()))
            .await
        {
            Ok(sample) => history.push(sample),
            Err(e) => tracing::warn!(error = %e, "console sample failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(SAMPLE_INTERVAL) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}
