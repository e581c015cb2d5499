//! The background work on requests: a processor that moves them through their states
//! and does the local part (erasure in the store, or the access export), and a
//! forwarder loop that batches erased external ids into Braze `/users/delete` calls.
//!
//! The two loops touch a record in different phases (the processor until its local part
//! is done, the forwarder afterwards), so they never race on one record.

use super::forward::{Forwarded, MAX_IDS_PER_DELETE};
use super::record::{self, DestinationStatus, DsrRecord, LocalOutcome, Status};
use super::request::RequestType;
use super::{lookup, Dsr, DsrError};
use braid_braze::mapping::external_id;
use braid_core::storage::{Erased, IngestLog, Maintenance, StateStore};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

/// How often the processor looks at its requests without being woken (the pipeline
/// cursor it waits for is not signalled to it).
const POLL: Duration = Duration::from_millis(200);

/// Run the processor and the forwarder until `shutdown` turns true.
pub async fn run(dsr: Arc<Dsr>, shutdown: watch::Receiver<bool>) {
    let forwarder = tokio::spawn(forward_loop(dsr.clone(), shutdown.clone()));
    let mut stop = shutdown;
    loop {
        if let Err(e) = dsr.step().await {
            tracing::error!(error = %e, "data subject request processing failed; retrying");
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
    let _ = forwarder.await;
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, braid_core::StorageError> + Send + 'static,
) -> Result<T, DsrError> {
    Ok(tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| DsrError::Task(e.to_string()))??)
}

/// Prune the ingest log through the pipeline cursor, then rewrite both store files, so
/// nothing removed survives in free pages.
async fn prune_and_compact<S>(store: &S) -> Result<(), DsrError>
where
    S: StateStore + Maintenance + Clone,
{
    let store = store.clone();
    blocking(move || {
        let cursor = store.cursor()?;
        store.prune_log_through(cursor)?;
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

    /// One pass over the requests.
    async fn step(self: &Arc<Self>) -> Result<(), DsrError> {
        let now = now_ms();
        let delay = self.config.processing_delay_ms as i64;
        let pending =
            self.ids_where(|r| r.status == Status::Pending && r.received_ms + delay <= now);
        if !pending.is_empty() {
            let store = self.store.clone();
            let head = blocking(move || store.head()).await?;
            for id in pending {
                let started = self.update(&id, |r| {
                    if r.status == Status::Pending {
                        r.status = Status::InProgress;
                        r.started_ms = Some(now);
                        r.log_head = Some(head);
                    }
                });
                self.persist(&id).await?;
                if let Some(record) = started.filter(|r| r.status == Status::InProgress) {
                    audit(&record);
                    self.send_callbacks(&record);
                }
            }
        }

        let mut need_compaction = self.expire_results(now).await? | self.take_scrub_request();

        let waiting = |r: &DsrRecord| r.status == Status::InProgress && !r.local_done;
        let ready = if self.ids_where(waiting).is_empty() {
            // Nothing waits for the pipeline: no need to read its cursor.
            Vec::new()
        } else {
            let store = self.store.clone();
            let cursor = blocking(move || store.cursor()).await?;
            self.ids_where(|r| waiting(r) && r.log_head.unwrap_or(0) <= cursor)
        };
        let mut to_complete = Vec::new();
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
            if complete {
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
            let done = self.update(id, |r| r.finish(Status::Completed, now));
            self.persist(id).await?;
            if let Some(record) = done {
                audit(&record);
                self.send_callbacks(&record);
            }
        }
        Ok(())
    }

    /// Remove the subject from the store. Their Braze external ids are recorded durably
    /// first, so a crash between the two steps cannot lose what Braze must delete.
    /// Returns true when nothing is left to forward (the request can complete).
    async fn erase_locally(&self, record: &DsrRecord) -> Result<bool, DsrError> {
        let (store, identities, settings) = (
            self.store.clone(),
            record.identities.clone(),
            self.braze.clone(),
        );
        let (mpids, external_ids) = blocking(move || {
            let mpids = lookup::find_profiles(&store, &identities)?;
            let external_ids = store.transact(|txn| {
                let mut ids = Vec::new();
                for &mpid in &mpids {
                    if let Some(profile) = txn.profile(mpid)? {
                        ids.extend(external_id(&settings, mpid, &profile.identities));
                    }
                }
                Ok(ids)
            })?;
            Ok((mpids, external_ids))
        })
        .await?;
        self.update(&record.id, |r| {
            for id in external_ids {
                if !r.braze.pending_external_ids.contains(&id) {
                    r.braze.pending_external_ids.push(id);
                }
            }
            r.braze.external_ids = r.braze.pending_external_ids.len() as u32;
        });
        self.persist(&record.id).await?;

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
        let updated = self.update(&record.id, |r| {
            r.local = local;
            r.local_done = true;
            if r.braze.pending_external_ids.is_empty() {
                // Nobody braid knows was ever named in Braze: nothing to forward.
                r.braze.status = DestinationStatus::Skipped;
                r.scrub();
            } else {
                r.braze.ready_ms = Some(now);
            }
        });
        self.persist(&record.id).await?;
        Ok(updated.is_some_and(|r| r.braze.status == DestinationStatus::Skipped))
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
        self.update(&record.id, |r| {
            r.local.profiles = profiles as u32;
            r.local_done = true;
            r.results_available = true;
            r.scrub();
        });
        self.persist(&record.id).await?;
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
            self.update(id, |r| {
                r.results_available = false;
                r.results_deleted_ms = Some(now);
            });
            self.persist(id).await?;
        }
        Ok(!expired.is_empty())
    }

    /// Requests whose external ids wait for Braze: `(id, ids, ready since)`.
    fn waiting_for_braze(&self) -> Vec<(String, Vec<String>, i64)> {
        let records = self.records.lock();
        let mut waiting: Vec<_> = records
            .values()
            .filter(|r| {
                r.status == Status::InProgress
                    && r.local_done
                    && r.braze.status == DestinationStatus::Pending
                    && !r.braze.pending_external_ids.is_empty()
            })
            .map(|r| {
                (
                    r.id.clone(),
                    r.braze.pending_external_ids.clone(),
                    r.braze.ready_ms.unwrap_or(r.received_ms),
                )
            })
            .collect();
        waiting.sort_by_key(|w| w.2);
        waiting
    }

    /// Forward what waits, if the batch is full or the oldest id has waited long enough.
    /// Returns false when shutdown interrupted it.
    async fn forward_due(
        self: &Arc<Self>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<bool, DsrError> {
        let waiting = self.waiting_for_braze();
        let Some(oldest) = waiting.iter().map(|w| w.2).min() else {
            return Ok(true);
        };
        let total: usize = waiting.iter().map(|w| w.1.len()).sum();
        let due = total >= self.config.forward_batch_size
            || now_ms() - oldest >= self.config.forward_interval_ms as i64;
        if !due {
            return Ok(true);
        }
        tokio::select! {
            _ = self.forwarder.wait_for_earlier_requests() => {}
            _ = shutdown.changed() => return Ok(false),
        }
        // Each external id once, with every request that asked for it.
        let mut owners: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut order = Vec::new();
        for (id, external_ids, _) in &waiting {
            for external in external_ids {
                let entry = owners.entry(external.clone()).or_default();
                if entry.is_empty() {
                    order.push(external.clone());
                }
                entry.push(id.clone());
            }
        }
        let mut touched: Vec<String> = waiting.iter().map(|w| w.0.clone()).collect();
        touched.dedup();
        for chunk in order.chunks(MAX_IDS_PER_DELETE) {
            let mut chunk_owners: Vec<String> = chunk
                .iter()
                .flat_map(|e| owners[e].iter().cloned())
                .collect();
            chunk_owners.sort();
            chunk_owners.dedup();
            let note = |problem: String| {
                for id in &chunk_owners {
                    self.update(id, |r| r.braze.error = Some(problem.clone()));
                }
            };
            let outcome = self.forwarder.send(chunk, shutdown, note).await;
            let now = now_ms();
            match outcome {
                Forwarded::Stopped => return Ok(false),
                Forwarded::Sent => {
                    for id in &chunk_owners {
                        self.update(id, |r| {
                            r.braze.pending_external_ids.retain(|e| !chunk.contains(e));
                            r.braze.requests += 1;
                            if r.braze.status == DestinationStatus::Pending {
                                r.braze.error = None;
                                if r.braze.pending_external_ids.is_empty() {
                                    r.braze.status = DestinationStatus::Sent;
                                    r.braze.finished_ms = Some(now);
                                }
                            }
                        });
                    }
                }
                Forwarded::Refused(reason) => {
                    tracing::error!(reason = %reason, "braze refused a /users/delete request");
                    for id in &chunk_owners {
                        self.update(id, |r| {
                            r.braze.pending_external_ids.retain(|e| !chunk.contains(e));
                            r.braze.requests += 1;
                            r.braze.status = DestinationStatus::Failed;
                            r.braze.error = Some(reason.clone());
                            r.braze.finished_ms = Some(now);
                        });
                    }
                }
            }
        }
        let mut finished = Vec::new();
        for id in &touched {
            let done = self.update(id, |r| {
                if matches!(
                    r.braze.status,
                    DestinationStatus::Sent | DestinationStatus::Failed
                ) {
                    r.scrub();
                }
            });
            self.persist(id).await?;
            if done.is_some_and(|r| r.braze.status != DestinationStatus::Pending) {
                finished.push(id.clone());
            }
        }
        metrics::counter!("braid_dsr_braze_forwarded_total").increment(order.len() as u64);
        if !finished.is_empty() {
            // The records no longer hold identities or external ids: scrub the old bytes,
            // then say completed.
            prune_and_compact(&self.store).await?;
            self.complete(&finished).await?;
        }
        Ok(true)
    }
}

async fn forward_loop(dsr: Arc<Dsr>, mut shutdown: watch::Receiver<bool>) {
    let tick = Duration::from_millis(dsr.config.forward_interval_ms.clamp(20, 1000));
    loop {
        if *shutdown.borrow() {
            return;
        }
        match dsr.forward_due(&mut shutdown).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::error!(error = %e, "forwarding erasures to braze failed; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = shutdown.changed() => {}
        }
    }
}
