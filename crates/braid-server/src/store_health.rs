//! Watching the store: the data directory's free space against `storage.min_free_mib`,
//! the faults the store noted (disk full, permission, other I/O), and recovery without a
//! restart. Ingest asks [`StoreHealth::refusal`] before every commit (an atomic read and
//! a mutex, no system call), `/readyz` reports the same reason, and a background task
//! refreshes the free space and reopens the store once it can write again.
//!
//! # Metrics
//! | name | kind | labels | meaning |
//! |---|---|---|---|
//! | `braid_store_errors_total` | counter | `kind` (`disk_full`, `permission`, `io`, `corrupt`, `other`) | storage errors seen by ingest, the pipeline and recovery |
//! | `braid_store_free_bytes` | gauge | | free space of the data directory's filesystem |
//! | `braid_store_writable` | gauge | | 1 while the store takes writes and the reserve is kept |
//! | `braid_store_recoveries_total` | counter | | times the store was made writable again without a restart |

use braid_core::storage::StorageError;
use braid_store::health::FaultKind;
use braid_store::EmbeddedStore;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// How often free space is read and a fault is retried. Short, because ingest decides by
/// the last reading: at full speed ingest writes a few tens of MB per second, far less in
/// half a second than any sensible reserve.
const CHECK_INTERVAL: Duration = Duration::from_millis(500);

/// Longest wait between two recovery attempts that failed (each reopen of a poisoned
/// file repairs it, which reads the whole file).
const MAX_RETRY_INTERVAL: Duration = Duration::from_secs(10);

const MIB: u64 = 1 << 20;

/// The store's health as ingest, `/readyz` and the console see it.
pub struct StoreHealth {
    /// The embedded store watched; `None` on the distributed backend, whose engines'
    /// reachability `engines` holds instead.
    store: Option<EmbeddedStore>,
    engines: Option<Arc<crate::cluster::health::EngineHealth>>,
    min_free_bytes: u64,
    /// The last free-space reading (`u64::MAX` when the filesystem cannot tell).
    free_bytes: AtomicU64,
    /// Woken when an error that stops writes is observed, so recovery starts at once.
    wake: Notify,
}

impl StoreHealth {
    /// Watch `store`, keeping `min_free_bytes` free on its filesystem.
    pub fn new(store: EmbeddedStore, min_free_bytes: u64) -> Arc<StoreHealth> {
        let health = StoreHealth {
            store: Some(store),
            engines: None,
            min_free_bytes,
            free_bytes: AtomicU64::new(u64::MAX),
            wake: Notify::new(),
        };
        health.refresh_free_space();
        Arc::new(health)
    }

    /// The health of the distributed backend: its engines' reachability.
    pub fn for_engines(engines: Arc<crate::cluster::health::EngineHealth>) -> Arc<StoreHealth> {
        Arc::new(StoreHealth {
            store: None,
            engines: Some(engines),
            min_free_bytes: 0,
            free_bytes: AtomicU64::new(u64::MAX),
            wake: Notify::new(),
        })
    }

    /// The engines that do not answer (distributed backend), for `/readyz`.
    pub fn engine_problems(&self) -> Vec<String> {
        self.engines
            .as_ref()
            .map(|engines| engines.problems())
            .unwrap_or_default()
    }

    fn fault(&self) -> Option<braid_store::health::StoreFault> {
        self.store.as_ref().and_then(|store| store.fault())
    }

    /// Why ingest must not accept a batch now, if it must not: the store cannot write, or
    /// the free space is below the reserve (or, distributed, the log does not answer).
    pub fn refusal(&self) -> Option<String> {
        if let Some(engines) = &self.engines {
            return engines.refusal();
        }
        if let Some(fault) = self.fault() {
            return Some(format!(
                "the store cannot write ({}: {}); braid reopens it by itself once it can{}",
                fault.kind,
                fault.message,
                match fault.kind {
                    FaultKind::DiskFull => " (free space on the data directory's filesystem)",
                    FaultKind::Permission => " (an operator must make the data directory writable)",
                    _ => "",
                }
            ));
        }
        let free = self.free_bytes.load(Ordering::Relaxed);
        (free < self.min_free_bytes).then(|| {
            format!(
                "the data directory's filesystem has {} MiB free, less than storage.min_free_mib ({} MiB); \
                 batches are accepted again once space is freed, and queued work keeps draining",
                free / MIB,
                self.min_free_bytes / MIB
            )
        })
    }

    /// Count a storage error by kind and note it in the store; an error that stops
    /// writes wakes recovery.
    pub fn observe(&self, error: &StorageError) -> FaultKind {
        let kind = match &self.store {
            Some(store) => store.note_error(error),
            None => braid_store::health::classify(error),
        };
        metrics::counter!("braid_store_errors_total", "kind" => kind.as_str()).increment(1);
        if kind.stops_writes() {
            metrics::gauge!("braid_store_writable").set(0.0);
            self.wake.notify_one();
        }
        kind
    }

    /// Whether the store has a fault noted (the pipeline then logs its retries quietly).
    pub fn is_faulted(&self) -> bool {
        self.fault().is_some()
    }

    fn refresh_free_space(&self) -> u64 {
        let Some(store) = &self.store else {
            return u64::MAX;
        };
        let free = match store.free_bytes() {
            Ok(free) => free,
            Err(e) => {
                tracing::debug!(error = %e, "cannot read the data directory's free space");
                u64::MAX
            }
        };
        self.free_bytes.store(free, Ordering::Relaxed);
        if free != u64::MAX {
            metrics::gauge!("braid_store_free_bytes").set(free as f64);
        }
        free
    }

    /// Refresh free space every [`CHECK_INTERVAL`]; while a fault is noted, try to
    /// recover, backing off after failures. Runs until shutdown.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        if self.store.is_none() {
            // The distributed backend's engines are probed by `cluster::health`.
            let _ = shutdown.wait_for(|stop| *stop).await;
            return;
        }
        let mut failures: u32 = 0;
        let mut next_attempt = tokio::time::Instant::now();
        let mut was_refusing = false;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(CHECK_INTERVAL) => {}
                _ = self.wake.notified() => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() || shutdown.has_changed().is_err() {
                return;
            }
            let health = self.clone();
            let attempt_due = tokio::time::Instant::now() >= next_attempt;
            let outcome = tokio::task::spawn_blocking(move || health.check(attempt_due)).await;
            match outcome {
                Ok(Check::Healthy | Check::Waiting) => {}
                Ok(Check::Recovered) => {
                    failures = 0;
                    metrics::counter!("braid_store_recoveries_total").increment(1);
                }
                Ok(Check::Failed(e)) => {
                    let kind = self.observe(&e);
                    failures = failures.saturating_add(1);
                    let delay = CHECK_INTERVAL
                        .saturating_mul(1 << failures.min(5))
                        .min(MAX_RETRY_INTERVAL);
                    next_attempt = tokio::time::Instant::now() + delay;
                    tracing::warn!(kind = kind.as_str(), error = %e, retry_in_ms = delay.as_millis() as u64, "the store cannot write yet");
                }
                Err(e) => tracing::error!(error = %e, "store health check panicked"),
            }
            let refusing = self.refusal();
            metrics::gauge!("braid_store_writable").set(if refusing.is_some() { 0.0 } else { 1.0 });
            match (&refusing, was_refusing) {
                (Some(reason), false) => tracing::warn!(reason = %reason, "not accepting batches"),
                (None, true) => tracing::info!("accepting batches again"),
                _ => {}
            }
            was_refusing = refusing.is_some();
        }
    }

    /// One check (blocking): read free space, notice a handle poisoned by an error nobody
    /// observed, and try to recover when a fault is noted and an attempt is due.
    fn check(&self, attempt_due: bool) -> Check {
        let free = self.refresh_free_space();
        let Some(store) = &self.store else {
            return Check::Healthy;
        };
        if store.fault().is_none() {
            if !store.is_poisoned() {
                return Check::Healthy;
            }
            // Delivery, log pruning and erasure see their own errors; a poisoned handle
            // says one of them failed to write.
            store.note_error(&StorageError::Backend(
                "a store file refuses writes after an earlier I/O error".into(),
            ));
            metrics::counter!("braid_store_errors_total", "kind" => FaultKind::Io.as_str())
                .increment(1);
        }
        let fault = store.fault();
        let full = fault
            .as_ref()
            .is_some_and(|f| f.kind == FaultKind::DiskFull);
        // A disk that is still full would only fail again (and every reopen of a poisoned
        // file reads it whole to repair it): wait until the reserve is free, or at least
        // a MiB when no reserve is kept.
        if !attempt_due || (full && free < self.min_free_bytes.max(MIB)) {
            return Check::Waiting;
        }
        match store.recover() {
            Ok(()) => Check::Recovered,
            Err(e) => Check::Failed(e),
        }
    }
}

/// What one check found.
enum Check {
    Healthy,
    /// A fault is noted; no attempt now.
    Waiting,
    Recovered,
    Failed(StorageError),
}
