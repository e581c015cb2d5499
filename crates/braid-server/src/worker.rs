//! The pipeline worker: takes committed batches from the log, in order, and applies
//! them to profiles and the Braze outbox (see `braid_core::pipeline`). Between batches it
//! runs audience work: due time-window re-checks and one chunk of the oldest backfill or
//! clean-up job, so jobs make progress under load without starving ingest.

use crate::store::Store;
use braid_core::pipeline::{Pipeline, PipelineReport};
use braid_core::storage::{IngestLog, Maintenance, StateStore};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Data points the delta step queued for Braze and saved, since this process started.
#[derive(Debug, Default)]
pub struct Ledger {
    inner: std::sync::Mutex<LedgerTotals>,
}

/// A snapshot of the [`Ledger`].
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct LedgerTotals {
    /// Data points of the objects queued for Braze (after the delta step).
    pub queued: braid_braze::billing::DataPoints,
    /// Data points the delta step did not spend: values Braze already had.
    pub saved: braid_braze::billing::DataPoints,
}

impl Ledger {
    /// The totals so far.
    pub fn totals(&self) -> LedgerTotals {
        *self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn add(&self, report: &PipelineReport) {
        let mut totals = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        totals.queued += report.data_points;
        totals.saved += report.data_points_saved;
    }
}

/// Where the worker reports what it did: the data-point ledger, and batch traces for the
/// console's live stream (built only while someone watches).
#[derive(Clone)]
pub struct Reporting {
    pub ledger: Arc<Ledger>,
    pub live: Arc<crate::console::LiveStream>,
    /// Storage errors are counted and noted here (recovery starts from them).
    pub health: Arc<crate::store_health::StoreHealth>,
}

/// How often records the pipeline has applied are removed from the ingest log. Often,
/// so that each pass is small.
const LOG_PRUNE_INTERVAL: Duration = Duration::from_secs(1);

/// Most log records deleted in one transaction. Ingest appends need the same file's
/// writer, so a long delete would hold every 202 behind it; bounded chunks let appends
/// interleave. (Measured: 2,048 records every 10 s held single 202s for 100–350 ms on
/// the 2-core bench machine; see BENCHMARKS.md.)
const LOG_PRUNE_CHUNK: u64 = 256;

/// Drop log records whose effects are committed, so the log stays bounded. Runs as its
/// own task so that neither the pipeline nor ingest waits for one large delete. De-dup
/// ids outlive their records (the store keeps them for its window).
async fn prune_log_forever<S>(store: S, mut shutdown: watch::Receiver<bool>)
where
    S: StateStore + Maintenance + Clone,
{
    loop {
        tokio::select! {
            _ = tokio::time::sleep(LOG_PRUNE_INTERVAL) => {}
            _ = shutdown.changed() => return,
        }
        let store = store.clone();
        let pruned = tokio::task::spawn_blocking(move || {
            let cursor = store.cursor()?;
            let mut done = store.pruned_through()?;
            let mut removed = 0;
            while done < cursor {
                let through = cursor.min(done.saturating_add(LOG_PRUNE_CHUNK));
                removed += store.prune_log_through(through)?;
                done = through;
            }
            Ok::<_, braid_core::StorageError>(removed)
        })
        .await;
        match pruned {
            Ok(Ok(n)) => metrics::counter!("braid_log_pruned_records_total").increment(n),
            Ok(Err(e)) => tracing::warn!(error = %e, "log pruning failed; will retry"),
            Err(e) => tracing::warn!(error = %e, "log pruning task failed; will retry"),
        }
    }
}

/// When and how much audience work the worker does.
#[derive(Debug, Clone)]
pub struct AudienceTiming {
    /// How often to look for due re-checks and pending jobs when nothing woke us.
    pub interval: Duration,
    /// Profiles per job transaction (and re-checks per transaction).
    pub chunk: usize,
    /// Notified when the admin API queues a job.
    pub wake: Arc<Notify>,
    /// What "now" is for re-checks and jobs.
    pub clock: braid_core::clock::Clock,
}

/// One step of audience work; returns whether there was any.
pub(crate) async fn audience_step(
    store: &Store,
    pipeline: &Arc<Pipeline>,
    timing: &AudienceTiming,
    ledger: &Ledger,
) -> bool {
    let (store, pipeline) = (store.clone(), pipeline.clone());
    let (chunk, now) = (timing.chunk, timing.clock.now_ms());
    let outcome = tokio::task::spawn_blocking(move || {
        let mut report = PipelineReport::default();
        let (worked, _) = pipeline.run_audience_work(&store, now, chunk, &mut report)?;
        Ok::<_, braid_core::StorageError>((worked, report))
    })
    .await;
    match outcome {
        Ok(Ok((worked, report))) => {
            record_metrics(&report);
            ledger.add(&report);
            worked
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "audience work failed; will retry");
            false
        }
        Err(e) => {
            tracing::error!(error = %e, "audience task panicked; will retry");
            false
        }
    }
}

/// Run until `shutdown` flips, then finish the work already committed to the log.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    store: Store,
    pipeline: Arc<Pipeline>,
    committed: Arc<Notify>,
    processed: Arc<Notify>,
    reporting: Reporting,
    audience: AudienceTiming,
    records_per_pass: usize,
    mut shutdown: watch::Receiver<bool>,
) {
    let Reporting {
        ledger,
        live,
        health,
    } = reporting;
    tokio::spawn(prune_log_forever(store.clone(), shutdown.clone()));
    let mut last_audience_step = std::time::Instant::now();
    let mut audience_pending = true;
    // The next pass, read and parsed while the last one committed.
    let mut ahead: Option<braid_core::pipeline::ReadAhead> = None;
    loop {
        if audience_pending || last_audience_step.elapsed() >= audience.interval {
            last_audience_step = std::time::Instant::now();
            audience_pending = audience_step(&store, &pipeline, &audience, &ledger).await;
        }
        let (store2, pipeline2, live2) = (store.clone(), pipeline.clone(), live.clone());
        let mut ahead2 = ahead.take();
        let outcome = tokio::task::spawn_blocking(move || {
            let mut report = PipelineReport {
                // Batch traces cost allocations: built only while the console watches.
                traces: live2.watching().then(Vec::new),
                ..PipelineReport::default()
            };
            let started = std::time::Instant::now();
            let before = store2.cursor()?;
            // Set before the pass too, not only after it: records committed while the
            // worker waited must never read as an empty queue (load tools wait for 0).
            if let Ok(head) = store2.head() {
                metrics::gauge!("braid_queue_depth").set(head.saturating_sub(before) as f64);
            }
            let after = pipeline2.process_pending_read_ahead(
                &store2,
                &store2,
                records_per_pass,
                &mut ahead2,
                &mut report,
            )?;
            if after > before {
                // How long the state writer is held per transaction (delivery's
                // acknowledgements used to queue behind it).
                metrics::histogram!("braid_pipeline_transaction_seconds")
                    .record(started.elapsed().as_secs_f64());
            }
            Ok::<_, braid_core::StorageError>((before, after, report, ahead2))
        })
        .await;
        let progressed = match outcome {
            Ok(Ok((before, after, mut report, read_ahead))) => {
                ahead = read_ahead;
                if let Some(traces) = report.traces.take().filter(|t| !t.is_empty()) {
                    live.publish(traces);
                }
                record_metrics(&report);
                ledger.add(&report);
                if let Ok(head) = store.head() {
                    metrics::gauge!("braid_queue_depth").set(head.saturating_sub(after) as f64);
                }
                if after > before {
                    processed.notify_waiters();
                    true
                } else {
                    false
                }
            }
            Ok(Err(e)) => {
                // While the store cannot write, every retry fails the same way: said once
                // (by the first failure and by the store's health), then quietly.
                let quiet = health.is_faulted();
                let kind = health.observe(&e);
                if quiet {
                    tracing::debug!(error = %e, kind = kind.as_str(), "pipeline transaction failed; retrying");
                } else {
                    tracing::error!(error = %e, kind = kind.as_str(), "pipeline transaction failed; retrying");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            Err(e) => {
                tracing::error!(error = %e, "pipeline task panicked; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        if progressed {
            continue;
        }
        // Committed batches are always finished before stopping; audience jobs are not:
        // they are durable and resume where they stopped on the next start.
        if *shutdown.borrow() {
            return;
        }
        if audience_pending {
            continue;
        }
        let idle = audience.interval.min(Duration::from_millis(250));
        tokio::select! {
            _ = committed.notified() => {}
            _ = audience.wake.notified() => audience_pending = true,
            _ = tokio::time::sleep(idle) => {}
            _ = shutdown.changed() => {}
        }
    }
}

pub(crate) fn record_metrics(report: &PipelineReport) {
    metrics::counter!("braid_pipeline_records_total").increment(report.records);
    metrics::counter!("braid_pipeline_profiles_created_total").increment(report.profiles_created);
    metrics::counter!("braid_pipeline_identities_reassigned_total")
        .increment(report.identities_reassigned);
    metrics::counter!("braid_pipeline_unparseable_records_total")
        .increment(report.unparseable_records);
    metrics::counter!("braid_pipeline_outbox_entries_total").increment(report.outbox_entries);
    for (kind, v) in [
        ("attribute", report.data_points.attributes),
        ("event", report.data_points.events),
        ("purchase", report.data_points.purchases),
    ] {
        metrics::counter!("braid_braze_data_points_queued_total", "kind" => kind).increment(v);
    }
    for (kind, v) in [
        ("attribute", report.data_points_saved.attributes),
        ("event", report.data_points_saved.events),
        ("purchase", report.data_points_saved.purchases),
    ] {
        metrics::counter!("braid_braze_data_points_saved_total", "kind" => kind).increment(v);
    }
    crate::telemetry::record_mapping_counters(&report.mapping);
    let a = &report.audiences;
    metrics::counter!("braid_audience_evaluations_total").increment(a.evaluations);
    metrics::counter!("braid_audience_memberships_entered_total").increment(a.entered);
    metrics::counter!("braid_audience_memberships_left_total").increment(a.left);
    metrics::counter!("braid_audience_rechecks_total").increment(a.rechecks);
    metrics::counter!("braid_audience_job_profiles_total").increment(a.job_profiles);
    metrics::counter!("braid_audience_skipped_no_external_id_total")
        .increment(a.skipped_no_external_id);
    let c = &report.calculated;
    metrics::counter!("braid_calculated_attribute_changes_total").increment(c.changed);
    metrics::counter!("braid_calculated_attribute_expired_total").increment(c.expired);
    metrics::counter!("braid_calculated_attribute_rebuilds_total").increment(c.rebuilds);
    metrics::counter!("braid_calculated_attribute_job_profiles_total").increment(c.job_profiles);
    metrics::counter!("braid_calculated_attribute_skipped_no_external_id_total")
        .increment(c.skipped_no_external_id);
    let cur = &report.currents;
    for (event_type, n) in &cur.events_by_type {
        metrics::counter!("braid_currents_events_total", "type" => event_type.clone())
            .increment(*n);
    }
    metrics::counter!("braid_currents_duplicate_events_total").increment(cur.duplicates);
    metrics::counter!("braid_currents_rejected_events_kept_total").increment(cur.rejected);
    metrics::counter!("braid_currents_subscription_changes_total")
        .increment(cur.subscription_changes);
    metrics::counter!("braid_currents_stale_subscription_changes_total")
        .increment(cur.stale_subscription_changes);
    for ((audience, form), n) in &a.truncated {
        metrics::counter!(
            "braid_audience_membership_truncated_total",
            "audience" => audience.to_string(),
            "form" => *form
        )
        .increment(*n);
    }
}
