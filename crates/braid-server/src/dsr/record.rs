//! A data subject request as braid keeps it, and where it is kept: the store's meta
//! values (`dsr/index` lists the ids, `dsr/request/<id>` holds each record,
//! `dsr/result/<id>` an access result), in the embedded store or PostgreSQL, so requests
//! survive restarts, are shared by the nodes of a cluster, and are rewritten by
//! compaction like everything else.
//!
//! A record holds the subject's identities only while it is being worked on. Once it is
//! finished (completed or cancelled) they are replaced by salted hashes, and what stays
//! is the audit trail: id, type, regulation, times, outcome and counts, no personal data.

use super::request::{NewRequest, Regulation, RequestType, SubjectIdentity};
use crate::store::{LogMark, Store};
use braid_core::storage::{StateStore, StateTxn, StoreResult};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Where a request stands (OpenDSR's `request_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    InProgress,
    Completed,
    Cancelled,
}

impl Status {
    /// Completed or cancelled: nothing more will happen.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Completed | Status::Cancelled)
    }
}

/// Where the request stands at one forwarding destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationStatus {
    /// Not yet forwarded.
    Pending,
    /// Forwarded and acknowledged.
    Sent,
    /// Forwarding failed for good (the reason is recorded).
    Failed,
    /// Nothing to forward: not an erasure, or the person had no Braze external id.
    Skipped,
}

/// The request's state at Braze.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrazeForward {
    pub status: DestinationStatus,
    /// External ids still to delete, each with the profile it named (personal data:
    /// emptied once sent or failed).
    #[serde(default)]
    pub pending_deletes: Vec<PendingDelete>,
    /// How many external ids were (or are to be) deleted.
    pub external_ids: u32,
    /// `/users/delete` requests that carried this request's ids.
    pub requests: u32,
    /// When the ids became ready to forward (UNIX ms).
    pub ready_ms: Option<i64>,
    /// When Braze acknowledged (or finally refused) them (UNIX ms).
    pub finished_ms: Option<i64>,
    /// Why forwarding failed, or the last transient problem while it is retried.
    pub error: Option<String>,
}

/// One external id to delete in Braze, and the profile it named (whose outbox lane
/// carries the delete, after everything else queued for that profile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDelete {
    pub external_id: String,
    pub mpid: i64,
}

impl Default for BrazeForward {
    fn default() -> Self {
        BrazeForward {
            status: DestinationStatus::Pending,
            pending_deletes: Vec::new(),
            external_ids: 0,
            requests: 0,
            ready_ms: None,
            finished_ms: None,
            error: None,
        }
    }
}

/// What the local part of a request found and removed (counts only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalOutcome {
    pub profiles: u32,
    pub identities: u64,
    pub history_events: u64,
    pub outbox_entries: u64,
    pub dead_letters: u64,
    pub sent_states: u32,
}

/// One request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DsrRecord {
    pub id: String,
    pub request_type: RequestType,
    pub regulation: Regulation,
    pub submitted_time: String,
    pub received_ms: i64,
    pub status: Status,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    /// The subject's identities; emptied when the request is finished.
    #[serde(default)]
    pub identities: Vec<SubjectIdentity>,
    /// Salted SHA-256 of each identity (`type:format:value`), kept for the audit trail
    /// and to recognise a duplicate request without keeping the identities.
    pub identity_hashes: Vec<String>,
    pub status_callback_urls: Vec<String>,
    /// The ingest log head when work started (embedded backend): the pipeline must have
    /// applied every record up to it before the local part runs.
    pub log_head: Option<u64>,
    /// The same on the distributed backend: each Kafka partition's last offset when work
    /// started; the local part runs once every partition is applied through its entry.
    /// Absent in records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_partition_ends: Option<BTreeMap<i32, i64>>,
    /// The local part (erasure in the store, or the access export) is done.
    pub local_done: bool,
    pub local: LocalOutcome,
    pub braze: BrazeForward,
    /// An access/portability result is stored and downloadable.
    pub results_available: bool,
    /// When the result was deleted (retention).
    pub results_deleted_ms: Option<i64>,
}

impl DsrRecord {
    /// A new pending record.
    pub fn new(request: NewRequest, salt: &[u8], now_ms: i64) -> DsrRecord {
        let identity_hashes = request
            .identities
            .iter()
            .map(|i| salted_hash(salt, i))
            .collect();
        let braze = if request.request_type == RequestType::Erasure {
            BrazeForward::default()
        } else {
            BrazeForward {
                status: DestinationStatus::Skipped,
                ..BrazeForward::default()
            }
        };
        DsrRecord {
            id: request.id,
            request_type: request.request_type,
            regulation: request.regulation,
            submitted_time: request.submitted_time,
            received_ms: now_ms,
            status: Status::Pending,
            started_ms: None,
            finished_ms: None,
            identities: request.identities,
            identity_hashes,
            status_callback_urls: request.status_callback_urls,
            log_head: None,
            log_partition_ends: None,
            local_done: false,
            local: LocalOutcome::default(),
            braze,
            results_available: false,
            results_deleted_ms: None,
        }
    }

    /// Note where the ingest log ends as work starts (see [`Store::log_mark`]).
    pub fn set_log_mark(&mut self, mark: &LogMark) {
        match mark {
            LogMark::Position(position) => self.log_head = Some(*position),
            LogMark::Partitions(ends) => self.log_partition_ends = Some(ends.clone()),
        }
    }

    /// What the local part waits for the pipeline to apply (nothing when unset).
    pub fn log_mark(&self) -> LogMark {
        match &self.log_partition_ends {
            Some(ends) => LogMark::Partitions(ends.clone()),
            None => LogMark::Position(self.log_head.unwrap_or(0)),
        }
    }

    /// Drop every identity value and external id (the hashes and counts stay).
    pub fn scrub(&mut self) {
        self.identities.clear();
        self.braze.pending_deletes.clear();
    }

    /// Mark finished, scrubbed.
    pub fn finish(&mut self, status: Status, now_ms: i64) {
        self.scrub();
        self.status = status;
        self.finished_ms = Some(now_ms);
        if self.braze.status == DestinationStatus::Pending {
            self.braze.status = DestinationStatus::Skipped;
        }
    }
}

/// Salted SHA-256 of one identity, lowercase hex.
pub fn salted_hash(salt: &[u8], identity: &SubjectIdentity) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(identity.identity_type.as_bytes());
    hasher.update(b":");
    hasher.update(identity.identity_format.as_str().as_bytes());
    hasher.update(b":");
    hasher.update(identity.identity_value.as_bytes());
    hex(&hasher.finalize())
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const INDEX_KEY: &str = "dsr/index";

fn record_key(id: &str) -> String {
    format!("dsr/request/{id}")
}

fn result_key(id: &str) -> String {
    format!("dsr/result/{id}")
}

fn corrupt(what: &str, e: serde_json::Error) -> braid_core::StorageError {
    braid_core::StorageError::corrupt(what, e)
}

/// Every stored request, oldest first.
pub fn load_all(store: &Store) -> StoreResult<Vec<DsrRecord>> {
    store.transact(|txn| {
        let ids: Vec<String> = match txn.meta(INDEX_KEY)? {
            Some(v) => serde_json::from_value(v).map_err(|e| corrupt(INDEX_KEY, e))?,
            None => Vec::new(),
        };
        let mut records = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(v) = txn.meta(&record_key(&id))? {
                records.push(serde_json::from_value(v).map_err(|e| corrupt("dsr request", e))?);
            }
        }
        Ok(records)
    })
}

/// Store a record (adding its id to the index when new), durably.
pub fn save(store: &Store, record: &DsrRecord) -> StoreResult<()> {
    store.transact(|txn| save_in(txn, record))
}

/// [`save`] inside a transaction.
pub fn save_in(txn: &mut dyn StateTxn, record: &DsrRecord) -> StoreResult<()> {
    let value = serde_json::to_value(record).map_err(|e| corrupt("dsr request", e))?;
    let key = record_key(&record.id);
    if txn.meta(&key)?.is_none() {
        let mut ids: Vec<String> = match txn.meta(INDEX_KEY)? {
            Some(v) => serde_json::from_value(v).map_err(|e| corrupt(INDEX_KEY, e))?,
            None => Vec::new(),
        };
        ids.push(record.id.clone());
        txn.put_meta(INDEX_KEY, &serde_json::json!(ids))?;
    }
    txn.put_meta(&key, &value)
}

/// One stored request, read inside a transaction.
pub fn load_in(txn: &mut dyn StateTxn, id: &str) -> StoreResult<Option<DsrRecord>> {
    txn.meta(&record_key(id))?
        .map(|v| serde_json::from_value(v).map_err(|e| corrupt("dsr request", e)))
        .transpose()
}

/// Most records one scan query reads.
const SCAN_CHUNK: usize = 500;

/// Every stored request, read by scanning their keys (a query per 500 records, where
/// [`load_all`] reads each record on its own): how nodes sharing PostgreSQL see requests
/// written by the others.
pub fn scan_all(txn: &mut dyn StateTxn) -> StoreResult<Vec<DsrRecord>> {
    const PREFIX: &str = "dsr/request/";
    let mut records = Vec::new();
    let mut after = PREFIX.to_string();
    loop {
        let chunk = txn.meta_after(Some(&after), SCAN_CHUNK)?;
        let full = chunk.len() == SCAN_CHUNK;
        for (key, value) in chunk {
            if !key.starts_with(PREFIX) {
                return Ok(records);
            }
            records.push(serde_json::from_value(value).map_err(|e| corrupt("dsr request", e))?);
            after = key;
        }
        if !full {
            return Ok(records);
        }
    }
}

/// Store an access result next to its record.
pub fn save_result(store: &Store, id: &str, result: &Value) -> StoreResult<()> {
    store.transact(|txn| txn.put_meta(&result_key(id), result))
}

/// A stored access result (`None` once deleted).
pub fn load_result(store: &Store, id: &str) -> StoreResult<Option<Value>> {
    store.transact(|txn| Ok(txn.meta(&result_key(id))?.filter(|v| !v.is_null())))
}

/// Delete an access result (the meta table has no delete: the value becomes `null`, and
/// the next compaction scrubs the old bytes).
pub fn delete_result(store: &Store, id: &str) -> StoreResult<()> {
    store.transact(|txn| txn.put_meta(&result_key(id), &Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(extra: serde_json::Value) -> serde_json::Value {
        let mut record = serde_json::json!({
            "id": "0b8e2f4a-6c1d-4e3f-9a5b-7c8d9e0f1a2b",
            "request_type": "erasure",
            "regulation": "gdpr",
            "submitted_time": "2026-12-01T10:00:00Z",
            "received_ms": 1,
            "status": "in_progress",
            "started_ms": 2,
            "finished_ms": null,
            "identity_hashes": [],
            "status_callback_urls": [],
            "log_head": 42,
            "local_done": false,
            "local": LocalOutcome::default(),
            "braze": BrazeForward::default(),
            "results_available": false,
            "results_deleted_ms": null,
        });
        for (key, value) in extra.as_object().unwrap() {
            record[key] = value.clone();
        }
        record
    }

    #[test]
    fn a_record_from_before_partition_ends_loads_and_waits_for_its_head() {
        let record: DsrRecord = serde_json::from_value(stored(serde_json::json!({}))).unwrap();
        assert_eq!(record.log_partition_ends, None);
        assert_eq!(record.log_mark(), LogMark::Position(42));
        assert!(!serde_json::to_string(&record)
            .unwrap()
            .contains("log_partition_ends"));
    }

    #[test]
    fn partition_ends_round_trip_and_take_precedence() {
        let mut record: DsrRecord =
            serde_json::from_value(stored(serde_json::json!({"log_head": null}))).unwrap();
        let ends: BTreeMap<i32, i64> = [(0, 7), (3, 0)].into_iter().collect();
        record.set_log_mark(&LogMark::Partitions(ends.clone()));
        let back: DsrRecord =
            serde_json::from_value(serde_json::to_value(&record).unwrap()).unwrap();
        assert_eq!(back.log_partition_ends.as_ref(), Some(&ends));
        assert_eq!(back.log_mark(), LogMark::Partitions(ends));
        assert_eq!(back.log_head, None);
    }
}
