//! The background work on requests: a processor that moves them through their states
//! and does the local part (erasure in the store, or the access export), and a listener
//! that hears from delivery what became of the erasures' `/users/delete` requests.
//!
//! Both run on delivery nodes only. On the distributed backend the records live in
//! PostgreSQL, shared by every delivery node: each node's listener records what its own
//! delivery reports in the stored records (read-modify-write transactions), and only the
//! node holding the `dsr` lead runs the processor, which reads the records afresh on each
//! pass and completes requests whose deletes another node's delivery settled.
//!
//! An erasure hands its Braze external ids to delivery as `Delete` outbox entries, on
//! each profile's lane after the profile's data was removed, so delivery sends them with
//! its one client, retries and dry-run path, and nothing about the person can follow the
//! delete. The request completes once delivery reports every id acknowledged (or refused
//! for good); during an outage it stays `in_progress`, showing delivery's last problem.

use super::record::{self, DestinationStatus, DsrRecord, LocalOutcome, PendingDelete, Status};
use super::request::RequestType;
use super::{blocking, lookup, Dsr, DsrError};
use crate::store::LogMark;
use braid_braze::mapping::external_id;
use braid_core::clock::now_ms;
use braid_core::storage::{lane_of, Erased, Maintenance, Outbox, StateStore};
use braid_core::{OutboxEntry, OutboxPayload};
use braid_delivery::DeleteReport;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How often the processor looks at its requests without being woken (the pipeline
/// cursor it waits for is not signalled to it).
const POLL: Duration = Duration::from_millis(200);

/// Run the processor and the listener to delivery's delete reports until `shutdown`
/// turns true.
pub async fn run(dsr: Arc<Dsr>, shutdown: watch::Receiver<bool>) {
    let reports = dsr.delete_reports.lock().take();
    let listener =
        reports.map(|reports| tokio::spawn(listen(dsr.clone(), reports, shutdown.clone())));
    let mut stop = shutdown;
    let mut leading = false;
    loop {
        match dsr.lead().await {
            Ok(true) => {
                if !leading {
                    leading = true;
                    if dsr.shared() {
                        tracing::info!("this node leads data subject requests");
                    }
                    // Started, or took over from a lead that may have stopped between
                    // storing an erasure's deletes and queueing them.
                    if let Err(e) = dsr.queue_waiting_deletes_again().await {
                        tracing::error!(error = %e, "queueing the erasures that wait for braze failed");
                    }
                }
                if let Err(e) = dsr.step().await {
                    tracing::error!(error = %e, "data subject request processing failed; retrying");
                }
            }
            Ok(false) => leading = false,
            Err(e) => {
                leading = false;
                tracing::warn!(error = %e, "cannot tell whether this node leads data subject requests; retrying");
            }
        }
        tokio::select! {
            _ = dsr.wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            break;
        }
    }
    if let Some(listener) = listener {
        let _ = listener.await;
    }
}

/// Apply delivery's delete reports to the requests until shutdown.
async fn listen(
    dsr: Arc<Dsr>,
    mut reports: mpsc::UnboundedReceiver<DeleteReport>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let report = tokio::select! {
            report = reports.recv() => report,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        let Some(report) = report else { return };
        if let Err(e) = dsr.on_delete_report(report).await {
            tracing::error!(error = %e, "recording braze's answer to an erasure failed");
        }
    }
}

/// Most log records one pruning transaction deletes: ingest appends need the log's
/// writer, so bounded chunks let them interleave instead of waiting for one long delete.
const PRUNE_CHUNK: u64 = 2_048;

/// Prune the ingest log through the pipeline cursor, then rewrite both store files, so
/// nothing removed survives in free pages.
async fn prune_and_compact<S>(store: &S) -> Result<(), DsrError>
where
    S: StateStore + Maintenance + Clone,
{
    let store = store.clone();
    blocking(move || {
        let cursor = store.cursor()?;
        let mut done = store.pruned_through()?;
        while done < cursor {
            let through = cursor.min(done.saturating_add(PRUNE_CHUNK));
            store.prune_log_through(through)?;
            done = through;
        }
        store.compact()
    })
    .await
}

fn audit(record: &DsrRecord) {
    tracing::info!(
        subject_request_id = %record.id,
        subject_request_type = record.request_type.as_str(),
        status = ?record.status,
        braze = ?record.braze.status,
        profiles = record.local.profiles,
        "data subject request"
    );
}

impl Dsr {
    fn ids_where(&self, pred: impl Fn(&DsrRecord) -> bool) -> Vec<String> {
        let records = self.records.lock();
        let mut matching: Vec<&DsrRecord> = records.values().filter(|r| pred(r)).collect();
        matching.sort_by_key(|r| r.received_ms);
        matching.into_iter().map(|r| r.id.clone()).collect()
    }

    fn update(&self, id: &str, f: impl FnOnce(&mut DsrRecord)) -> Option<DsrRecord> {
        let mut records = self.records.lock();
        let record = records.get_mut(id)?;
        f(record);
        Some(record.clone())
    }

    /// Whether this node runs the processor: always on the embedded store; on the
    /// distributed backend only the holder of the `dsr` lead in PostgreSQL.
    async fn lead(&self) -> Result<bool, DsrError> {
        let store = self.store.clone();
        blocking(move || store.try_lead("dsr")).await
    }

    /// One pass over the requests.
    async fn step(self: &Arc<Self>) -> Result<(), DsrError> {
        self.refresh().await?;
        let now = now_ms();
        let delay = self.config.processing_delay_ms as i64;
        let pending =
            self.ids_where(|r| r.status == Status::Pending && r.received_ms + delay <= now);
        if !pending.is_empty() {
            let store = self.store.clone();
            let mark = blocking(move || store.log_mark()).await?;
            for id in pending {
                let mark = mark.clone();
                let started = self
                    .modify(&id, move |r| {
                        let starts = r.status == Status::Pending;
                        if starts {
                            r.status = Status::InProgress;
                            r.started_ms = Some(now);
                            r.set_log_mark(&mark);
                        }
                        starts
                    })
                    .await?;
                if let Some((record, true)) = started {
                    audit(&record);
                    self.send_callbacks(&record);
                }
            }
        }

        let mut need_compaction = self.expire_results(now).await? | self.take_scrub_request();

        let waiting = |r: &DsrRecord| r.status == Status::InProgress && !r.local_done;
        let marks: Vec<(String, LogMark)> = self
            .ids_where(waiting)
            .into_iter()
            .filter_map(|id| self.record(&id).map(|r| (id, r.log_mark())))
            .collect();
        let ready = if marks.is_empty() {
            // Nothing waits for the pipeline: no need to read how far it is.
            Vec::new()
        } else {
            let store = self.store.clone();
            blocking(move || {
                let mut ready = Vec::new();
                for (id, mark) in marks {
                    if store.has_applied(&mark)? {
                        ready.push(id);
                    }
                }
                Ok(ready)
            })
            .await?
        };
        let mut to_complete = Vec::new();
        if self.shared() {
            // Erasures whose deletes a delivery node settled (the listeners record that
            // in the stored records; completing is the lead's).
            let settled = self.ids_where(|r| {
                r.status == Status::InProgress && r.local_done && r.braze.finished_ms.is_some()
            });
            need_compaction |= !settled.is_empty();
            to_complete.extend(settled);
        }
        for id in ready {
            let Some(record) = self.record(&id) else {
                continue;
            };
            let complete = match record.request_type {
                RequestType::Erasure => self.erase_locally(&record).await?,
                RequestType::Access | RequestType::Portability => {
                    self.export_locally(&record).await?
                }
            };
            need_compaction = true;
            if complete && !to_complete.contains(&id) {
                to_complete.push(id);
            }
        }
        if need_compaction {
            prune_and_compact(&self.store).await?;
        }
        // Completed only once the bytes are gone: `completed` is a promise.
        self.complete(&to_complete).await
    }

    /// Mark requests completed (they are scrubbed and compacted already), callbacks.
    async fn complete(self: &Arc<Self>, ids: &[String]) -> Result<(), DsrError> {
        let now = now_ms();
        for id in ids {
            let done = self
                .modify(id, move |r| {
                    let finishes = !r.status.is_final();
                    if finishes {
                        r.finish(Status::Completed, now);
                    }
                    finishes
                })
                .await?;
            if let Some((record, true)) = done {
                audit(&record);
                self.send_callbacks(&record);
            }
        }
        Ok(())
    }

    /// Remove the subject from the store, then queue the deletes for Braze. Their Braze
    /// external ids are recorded durably first, so a crash between the steps cannot lose
    /// what Braze must delete. Returns true when nothing is left to delete in Braze (the
    /// request can complete).
    async fn erase_locally(&self, record: &DsrRecord) -> Result<bool, DsrError> {
        let (store, identities, settings) = (
            self.store.clone(),
            record.identities.clone(),
            self.braze.clone(),
        );
        let (mpids, deletes) = blocking(move || {
            let mpids = lookup::find_profiles(&store, &identities)?;
            let deletes = store.transact(|txn| {
                let mut deletes = Vec::new();
                for &mpid in &mpids {
                    if let Some(profile) = txn.profile(mpid)? {
                        deletes.extend(external_id(&settings, mpid, &profile.identities).map(
                            |external_id| PendingDelete {
                                external_id,
                                mpid: mpid.0,
                            },
                        ));
                    }
                }
                Ok(deletes)
            })?;
            Ok((mpids, deletes))
        })
        .await?;
        self.modify(&record.id, move |r| {
            for delete in &deletes {
                if !r.braze.pending_deletes.contains(delete) {
                    r.braze.pending_deletes.push(delete.clone());
                }
            }
            r.braze.external_ids = r.braze.pending_deletes.len() as u32;
        })
        .await?;

        let store = self.store.clone();
        let removed: Vec<Erased> = blocking(move || {
            mpids
                .iter()
                .map(|&mpid| store.remove_user_everywhere(mpid))
                .collect()
        })
        .await?;
        let mut local = LocalOutcome::default();
        for erased in &removed {
            local.profiles += u32::from(erased.profile);
            local.sent_states += u32::from(erased.sent_state);
            local.identities += erased.identities;
            local.history_events += erased.history;
            local.outbox_entries += erased.outbox;
            local.dead_letters += erased.dead_letters;
        }
        metrics::counter!("braid_dsr_profiles_erased_total").increment(u64::from(local.profiles));
        let now = now_ms();
        // Marked done and stored before the deletes are queued: delivery (on any delivery
        // node) may report on them at once, and its report changes the stored record.
        let updated = self
            .modify(&record.id, move |r| {
                r.local = local;
                r.local_done = true;
                if r.braze.pending_deletes.is_empty() {
                    // Nobody braid knows was ever named in Braze: nothing to delete there.
                    r.braze.status = DestinationStatus::Skipped;
                    r.scrub();
                } else {
                    r.braze.ready_ms = Some(now);
                }
            })
            .await?
            .map(|(record, ())| record);
        if let Some(record) = updated
            .as_ref()
            .filter(|r| !r.braze.pending_deletes.is_empty())
        {
            self.queue_deletes(record.braze.pending_deletes.clone())
                .await?;
        }
        Ok(updated.is_some_and(|r| r.braze.status == DestinationStatus::Skipped))
    }

    /// Queue `/users/delete` entries for delivery, each on its profile's lane (behind
    /// whatever of that lane is in flight, so no older request can overtake it).
    async fn queue_deletes(&self, deletes: Vec<PendingDelete>) -> Result<(), DsrError> {
        let store = self.store.clone();
        blocking(move || {
            let lanes = Outbox::lane_count(&store);
            let accepted_ms = now_ms();
            let mut per_lane: BTreeMap<u32, Vec<OutboxEntry>> = BTreeMap::new();
            for delete in deletes {
                per_lane
                    .entry(lane_of(braid_mparticle::Mpid(delete.mpid), lanes))
                    .or_default()
                    .push(OutboxEntry {
                        mpid: delete.mpid,
                        payload: OutboxPayload::Delete {
                            external_id: delete.external_id,
                        },
                        data_points: 0,
                        accepted_ms,
                    });
            }
            store.transact(|txn| {
                for (lane, entries) in &per_lane {
                    txn.enqueue(*lane, entries)?;
                }
                Ok(())
            })
        })
        .await?;
        self.delivery.wake();
        Ok(())
    }

    /// After a restart: queue again the deletes of requests still waiting for Braze. An
    /// acknowledgement that arrived just before the stop may not have been recorded, so
    /// Braze may see such an id twice, which is harmless (at-least-once, as delivery).
    pub(crate) async fn queue_waiting_deletes_again(&self) -> Result<(), DsrError> {
        let waiting: Vec<PendingDelete> = self
            .records
            .lock()
            .values()
            .filter(|r| r.status == Status::InProgress && r.local_done)
            .flat_map(|r| r.braze.pending_deletes.iter().cloned())
            .collect();
        if waiting.is_empty() {
            return Ok(());
        }
        tracing::info!(
            external_ids = waiting.len(),
            "queueing again the braze deletes of unfinished erasures"
        );
        self.queue_deletes(waiting).await
    }

    /// Store the subject's data for download; the request can then complete.
    async fn export_locally(&self, record: &DsrRecord) -> Result<bool, DsrError> {
        let (store, identities, id) = (
            self.store.clone(),
            record.identities.clone(),
            record.id.clone(),
        );
        let request_type = record.request_type;
        let profiles = blocking(move || {
            let mpids = lookup::find_profiles(&store, &identities)?;
            let mut result = lookup::export(&store, &mpids)?;
            let count = result["profiles"].as_array().map_or(0, Vec::len);
            result["subject_request_id"] = serde_json::json!(id);
            result["subject_request_type"] = serde_json::json!(request_type.as_str());
            result["generated_time"] = serde_json::json!(super::callback::rfc3339(now_ms()));
            record::save_result(&store, &id, &result)?;
            Ok(count)
        })
        .await?;
        self.modify(&record.id, move |r| {
            r.local.profiles = profiles as u32;
            r.local_done = true;
            r.results_available = true;
            r.scrub();
        })
        .await?;
        Ok(true)
    }

    /// Delete access results older than the retention; true when any was deleted.
    async fn expire_results(&self, now: i64) -> Result<bool, DsrError> {
        let retention_ms = self.config.results_retention_hours as i64 * 3_600_000;
        let expired = self.ids_where(|r| {
            r.results_available && r.finished_ms.is_some_and(|f| f + retention_ms <= now)
        });
        for id in &expired {
            let (store, key) = (self.store.clone(), id.clone());
            blocking(move || record::delete_result(&store, &key)).await?;
            self.modify(id, move |r| {
                r.results_available = false;
                r.results_deleted_ms = Some(now);
            })
            .await?;
        }
        Ok(!expired.is_empty())
    }

    /// Record what delivery reported about one `/users/delete` request on every request
    /// whose ids it carried; complete those with nothing left to wait for (on the
    /// distributed backend the `dsr` lead's processor completes them, as this node may
    /// not lead).
    async fn on_delete_report(self: &Arc<Self>, report: DeleteReport) -> Result<(), DsrError> {
        let (external_ids, settled) = match report {
            DeleteReport::Acknowledged { external_ids } => (external_ids, None),
            DeleteReport::Refused {
                external_ids,
                reason,
            } => (external_ids, Some(reason)),
            DeleteReport::Retrying {
                external_ids,
                problem,
            } => {
                for id in self.owners_of(&external_ids).await? {
                    if self.shared() {
                        let problem = problem.clone();
                        self.modify(&id, move |r| r.braze.error = Some(problem.clone()))
                            .await?;
                    } else {
                        self.update(&id, |r| r.braze.error = Some(problem.clone()));
                    }
                }
                return Ok(());
            }
        };
        if let Some(reason) = &settled {
            tracing::error!(reason = %reason, "braze refused a /users/delete request");
        } else {
            metrics::counter!("braid_dsr_braze_forwarded_total")
                .increment(external_ids.len() as u64);
        }
        let now = now_ms();
        let external_ids = Arc::new(external_ids);
        let mut finished = Vec::new();
        for id in self.owners_of(&external_ids).await? {
            let (external_ids, settled) = (external_ids.clone(), settled.clone());
            let updated = self
                .modify(&id, move |r| {
                    let carried = |d: &PendingDelete| external_ids.contains(&d.external_id);
                    if r.status != Status::InProgress
                        || !r.braze.pending_deletes.iter().any(carried)
                    {
                        return; // recorded already (by another node, or a repeated report)
                    }
                    r.braze.pending_deletes.retain(|d| !carried(d));
                    r.braze.requests += 1;
                    match &settled {
                        None if r.braze.status == DestinationStatus::Pending => {
                            r.braze.error = None
                        }
                        None => {}
                        Some(reason) => {
                            r.braze.status = DestinationStatus::Failed;
                            r.braze.error = Some(reason.clone());
                        }
                    }
                    if r.braze.pending_deletes.is_empty() {
                        if r.braze.status == DestinationStatus::Pending {
                            r.braze.status = DestinationStatus::Sent;
                        }
                        r.braze.finished_ms = Some(now);
                        r.scrub();
                    }
                })
                .await?;
            if updated.is_some_and(|(r, ())| {
                r.status == Status::InProgress && r.braze.finished_ms.is_some() && r.local_done
            }) {
                finished.push(id);
            }
        }
        if finished.is_empty() {
            return Ok(());
        }
        if self.shared() {
            self.wake.notify_one();
            return Ok(());
        }
        // The records no longer hold identities or external ids: scrub the old bytes,
        // then say completed.
        prune_and_compact(&self.store).await?;
        self.complete(&finished).await
    }

    /// Unfinished requests waiting for Braze to delete any of `external_ids` (read afresh
    /// when records are shared: the request may have started at another node).
    async fn owners_of(&self, external_ids: &[String]) -> Result<Vec<String>, DsrError> {
        self.refresh().await?;
        Ok(self.ids_where(|r| {
            r.status == Status::InProgress
                && r.braze
                    .pending_deletes
                    .iter()
                    .any(|d| external_ids.contains(&d.external_id))
        }))
    }
}
