//! The ingest log in `log.redb`: group-committed appends, de-duplication by
//! `(input, source_request_id)` with bounded memory, and ordered reads (pruning is in
//! `maintenance`).

use crate::codec::{backend, decode, encode};
use crate::tables::{self, DEDUP, DEDUP_ORDER, HEAD, LOG, LOG_META};
use crate::EmbeddedStore;
use braid_core::storage::{AppendOutcome, AppendRequest, IngestLog, StoreResult};
use braid_core::LogRecord;
use redb::{Durability, ReadableTable, ReadableTableMetadata};

/// Beyond one removal per appended record, expiry removes at most this many extra
/// de-dup entries per `append`, so a backlog drains over a few calls without a pause.
const EXPIRY_SLACK: usize = 64;

fn dedup_key(input: &str, source_request_id: &str) -> String {
    format!("{input}\0{source_request_id}")
}

impl IngestLog for EmbeddedStore {
    fn append(&self, batch: Vec<AppendRequest>) -> StoreResult<Vec<AppendOutcome>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let opts = &self.inner.options;
        let db = self.inner.log.read()?;
        let txn = tables::begin_write(&db, Durability::Immediate, opts.quick_repair)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        {
            let mut log = txn.open_table(LOG).map_err(backend)?;
            let mut dedup = txn.open_table(DEDUP).map_err(backend)?;
            let mut order = txn.open_table(DEDUP_ORDER).map_err(backend)?;
            let mut meta = txn.open_table(LOG_META).map_err(backend)?;
            let mut head = tables::counter(&meta, HEAD)?;
            let mut newest_ms = i64::MIN;
            for req in &batch {
                newest_ms = newest_ms.max(req.record.received_ms);
                let key = req
                    .source_request_id
                    .as_deref()
                    .map(|id| dedup_key(&req.record.input, id));
                if let Some(key) = &key {
                    // Looked up in the same transaction, so repeats inside one group are
                    // caught as well as repeats of earlier groups.
                    if let Some(seen) = dedup.get(key.as_str()).map_err(backend)? {
                        outcomes.push(AppendOutcome::Duplicate(seen.value().0));
                        continue;
                    }
                }
                head += 1;
                log.insert(head, encode(&req.record)?.as_slice())
                    .map_err(backend)?;
                if let Some(key) = &key {
                    let received = req.record.received_ms;
                    dedup
                        .insert(key.as_str(), (head, received))
                        .map_err(backend)?;
                    order
                        .insert(head, (received, key.as_str()))
                        .map_err(backend)?;
                }
                outcomes.push(AppendOutcome::Appended(head));
            }
            meta.insert(HEAD, head).map_err(backend)?;

            let horizon = newest_ms.saturating_sub(opts.dedup_window_ms);
            let mut held = dedup.len().map_err(backend)?;
            for _ in 0..batch.len() + EXPIRY_SLACK {
                let expired = match order.first().map_err(backend)? {
                    Some((pos, value)) => {
                        let (received, key) = value.value();
                        if held > opts.dedup_max_entries || received < horizon {
                            Some((pos.value(), key.to_string()))
                        } else {
                            None
                        }
                    }
                    None => None,
                };
                let Some((pos, key)) = expired else { break };
                order.remove(pos).map_err(backend)?;
                dedup.remove(key.as_str()).map_err(backend)?;
                held -= 1;
            }
        }
        txn.commit().map_err(backend)?;
        Ok(outcomes)
    }

    fn read_after(&self, after: u64, max: usize) -> StoreResult<Vec<(u64, LogRecord)>> {
        let db = self.inner.log.read()?;
        let txn = db.begin_read().map_err(backend)?;
        let log = txn.open_table(LOG).map_err(backend)?;
        let Some(start) = after.checked_add(1) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(max.min(1024));
        for item in log.range(start..).map_err(backend)?.take(max) {
            let (pos, bytes) = item.map_err(backend)?;
            out.push((pos.value(), decode(bytes.value(), "log record")?));
        }
        Ok(out)
    }

    fn head(&self) -> StoreResult<u64> {
        let db = self.inner.log.read()?;
        let txn = db.begin_read().map_err(backend)?;
        let meta = txn.open_table(LOG_META).map_err(backend)?;
        tables::counter(&meta, HEAD)
    }
}

impl EmbeddedStore {
    /// Number of `source_request_id`s currently remembered for de-duplication.
    pub fn dedup_entries(&self) -> StoreResult<u64> {
        let db = self.inner.log.read()?;
        let txn = db.begin_read().map_err(backend)?;
        let dedup = txn.open_table(DEDUP).map_err(backend)?;
        dedup.len().map_err(backend)
    }

    /// Number of records currently held in the log (after pruning).
    pub fn log_len(&self) -> StoreResult<u64> {
        let db = self.inner.log.read()?;
        let txn = db.begin_read().map_err(backend)?;
        let log = txn.open_table(LOG).map_err(backend)?;
        log.len().map_err(backend)
    }
}
