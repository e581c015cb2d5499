//! Data subject requests: the OpenDSR API as mParticle's DSR API v3 speaks it, erasure
//! that leaves nothing of the person in braid, access/portability exports, and
//! forwarding of erasures to Braze as `/users/delete`.
//!
//! - `config`: the `[dsr]` section;
//! - `request`: reading and validating `POST /v3/requests` (both identity forms);
//! - `record`: the stored request, its statuses and the audit trail;
//! - `lookup`: finding the person's profiles (raw and hashed identities), the export;
//! - `process`: the background task that works requests through their states and
//!   hands erasures to delivery as `/users/delete` entries;
//! - `callback`: signed status callbacks;
//! - `signing`: the RSA key pair and certificate;
//! - `routes`: the HTTP handlers.
//!
//! # Life of an erasure
//! 1. `POST /v3/requests` validates, stores the record (`pending`) durably, answers 201.
//! 2. The processor marks it `in_progress` and notes where the ingest log ends
//!    ([`crate::store::LogMark`]): every batch accepted before that point must be applied
//!    before the person is removed, so that none of them re-creates the profile afterwards.
//! 3. Once the pipeline has applied everything up to it: find every profile the identities
//!    point to, note their Braze external ids (durably, so a crash cannot lose them),
//!    remove each profile everywhere (profile, identity index, sent state, history,
//!    audience memberships (held in the profile), outbox entries, dead letters), prune
//!    the ingest log through the cursor and compact both files, so the bytes are gone.
//! 4. Each external id is queued in the outbox as a `Delete` entry on its profile's lane,
//!    behind any request of that lane still in flight. Delivery sends them as
//!    `/users/delete` (at most 50 ids per request) with its retries and dry run, and
//!    reports each request's outcome; the request stays `in_progress` until every id is
//!    acknowledged (or refused for good).
//! 5. `completed`: identities are dropped from the record (salted hashes stay), the store
//!    is compacted again, callbacks are sent.
//!
//! # On several nodes
//! Only delivery nodes serve requests (others answer 503). On the distributed backend the
//! records are shared in PostgreSQL: every change is a read-modify-write of the stored
//! record (`Dsr::modify`), the in-memory map is each node's latest copy, and one
//! delivery node, the holder of the `dsr` lead, runs the processor (see `process`).

pub mod callback;
pub mod config;
pub mod lookup;
pub mod process;
pub mod record;
pub mod request;
pub mod routes;
pub mod signing;

pub use config::DsrConfig;

use crate::auth::Credential;
use crate::store::Store;
use braid_braze::settings::BrazeSettings;
use braid_core::storage::StateStore;
use record::DsrRecord;
use signing::Signer;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::{Notify, OnceCell};

/// A data subject request failure that is braid's, not the caller's.
#[derive(Debug, thiserror::Error)]
pub enum DsrError {
    #[error("storage: {0}")]
    Storage(#[from] braid_core::StorageError),
    #[error("signing: {0}")]
    Signing(String),
    #[error("reading or writing {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("background task failed: {0}")]
    Task(String),
}

/// The salt of the audit trail's identity hashes, kept next to the store.
const SALT_FILE: &str = "dsr-audit-salt";

/// The data subject request service, shared by the HTTP handlers and its tasks.
pub struct Dsr {
    pub(crate) config: DsrConfig,
    pub(crate) credentials: Vec<Credential>,
    pub(crate) store: Store,
    pub(crate) data_dir: PathBuf,
    pub(crate) braze: BrazeSettings,
    pub(crate) salt: Vec<u8>,
    /// Every request by id. Changed under this lock, then persisted by [`Dsr::persist`].
    pub(crate) records: parking_lot::Mutex<BTreeMap<String, DsrRecord>>,
    /// Orders writes of records so the newest in-memory state is what lands last.
    persist_lock: tokio::sync::Mutex<()>,
    signer: OnceCell<Arc<Signer>>,
    /// Wakes the processor (new request, cancel).
    pub(crate) wake: Notify,
    /// Delivery, which sends the erasures' `/users/delete` requests.
    pub(crate) delivery: braid_delivery::DeliveryHandle,
    /// What delivery reports about those requests, until the processor takes it.
    pub(crate) delete_reports: parking_lot::Mutex<
        Option<tokio::sync::mpsc::UnboundedReceiver<braid_delivery::DeleteReport>>,
    >,
    pub(crate) http: reqwest::Client,
    /// The last callback task of each unfinished request (callbacks go out in order).
    pub(crate) callback_chains:
        parking_lot::Mutex<std::collections::HashMap<String, tokio::task::JoinHandle<()>>>,
    /// A cancelled request dropped identities: the next pass compacts the store.
    scrub_requested: std::sync::atomic::AtomicBool,
    /// The address the server is bound to (for links when `public_url` is unset).
    pub(crate) listen: std::sync::OnceLock<String>,
}

impl Dsr {
    /// Load stored requests and prepare the service. Call before delivery runs, so that
    /// no report about a `/users/delete` request is missed.
    pub async fn open(
        config: DsrConfig,
        credentials: Vec<Credential>,
        store: Store,
        data_dir: &Path,
        braze: BrazeSettings,
        delivery: braid_delivery::DeliveryHandle,
    ) -> Result<Dsr, DsrError> {
        let salt = match &store {
            Store::Embedded(_) => load_or_create_salt(data_dir)?,
            // Every node must hash identities alike to recognise a duplicate request
            // made at another node.
            Store::Distributed(_) => {
                let shared = store.clone();
                blocking(move || retry_conflicts(|| shared_salt(&shared))).await?
            }
        };
        let loader = store.clone();
        let records = tokio::task::spawn_blocking(move || record::load_all(&loader))
            .await
            .map_err(|e| DsrError::Task(e.to_string()))??;
        let records = records.into_iter().map(|r| (r.id.clone(), r)).collect();
        Ok(Dsr {
            config,
            credentials,
            store,
            data_dir: data_dir.to_path_buf(),
            braze,
            salt,
            records: parking_lot::Mutex::new(records),
            persist_lock: tokio::sync::Mutex::new(()),
            signer: OnceCell::new(),
            wake: Notify::new(),
            delete_reports: parking_lot::Mutex::new(Some(delivery.delete_reports())),
            delivery,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .map_err(|e| DsrError::Task(format!("building the http client: {e}")))?,
            listen: std::sync::OnceLock::new(),
            scrub_requested: std::sync::atomic::AtomicBool::new(false),
            callback_chains: parking_lot::Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// The signing key pair, created on first use (key generation takes a moment, so
    /// servers that never see a data subject request never pay for it).
    pub async fn signer(&self) -> Result<Arc<Signer>, DsrError> {
        self.signer
            .get_or_try_init(|| async {
                let dir = self.data_dir.clone();
                let domain = self.config.processor_domain.clone();
                tokio::task::spawn_blocking(move || Signer::load_or_create(&dir, &domain))
                    .await
                    .map_err(|e| DsrError::Task(e.to_string()))?
                    .map(Arc::new)
            })
            .await
            .cloned()
    }

    /// Whether the records are shared with other nodes (the distributed backend): then
    /// PostgreSQL holds the truth and the in-memory map is only this node's latest copy.
    pub(crate) fn shared(&self) -> bool {
        matches!(self.store, Store::Distributed(_))
    }

    /// Change one record and store it durably; the record as stored and what `f`
    /// returned, or `None` when there is no such record. With shared records the change
    /// is a read-modify-write of the stored record in one transaction (run again on a
    /// lost race), so changes made by other nodes meanwhile are never overwritten.
    pub(crate) async fn modify<T: Send + 'static>(
        &self,
        id: &str,
        mut f: impl FnMut(&mut DsrRecord) -> T + Send + 'static,
    ) -> Result<Option<(DsrRecord, T)>, DsrError> {
        if !self.shared() {
            let changed = {
                let mut records = self.records.lock();
                records.get_mut(id).map(|r| {
                    let out = f(r);
                    (r.clone(), out)
                })
            };
            self.persist(id).await?;
            return Ok(changed);
        }
        let (store, key) = (self.store.clone(), id.to_string());
        let stored = blocking(move || {
            retry_conflicts(|| {
                store.transact(|txn| {
                    let Some(mut record) = record::load_in(txn, &key)? else {
                        return Ok(None);
                    };
                    let out = f(&mut record);
                    record::save_in(txn, &record)?;
                    Ok(Some((record, out)))
                })
            })
        })
        .await?;
        if let Some((record, _)) = &stored {
            self.records
                .lock()
                .insert(record.id.clone(), record.clone());
        }
        Ok(stored)
    }

    /// Store a new request unless its id exists or an unfinished request of the same
    /// type names the same identities. With shared records the checks and the write are
    /// one transaction, so two nodes cannot both accept the same request.
    pub(crate) async fn insert(&self, record: DsrRecord) -> Result<Inserted, DsrError> {
        if !self.shared() {
            let id = record.id.clone();
            {
                let mut records = self.records.lock();
                if let Some(clash) = clash(records.values(), &record) {
                    return Ok(clash);
                }
                records.insert(id.clone(), record);
            }
            if let Err(e) = self.persist(&id).await {
                self.records.lock().remove(&id);
                return Err(e);
            }
            return Ok(Inserted::Stored);
        }
        let store = self.store.clone();
        let new = record.clone();
        let outcome = blocking(move || {
            retry_conflicts(|| {
                store.transact(|txn| {
                    let existing = record::scan_all(txn)?;
                    if let Some(clash) = clash(existing.iter(), &new) {
                        return Ok(clash);
                    }
                    record::save_in(txn, &new)?;
                    Ok(Inserted::Stored)
                })
            })
        })
        .await?;
        if outcome == Inserted::Stored {
            self.records.lock().insert(record.id.clone(), record);
        }
        Ok(outcome)
    }

    /// The latest state of one record: from PostgreSQL when records are shared (another
    /// node may have changed it), else from memory.
    pub(crate) async fn current(&self, id: &str) -> Result<Option<DsrRecord>, DsrError> {
        if !self.shared() {
            return Ok(self.record(id));
        }
        let (store, key) = (self.store.clone(), id.to_string());
        let stored = blocking(move || store.transact(|txn| record::load_in(txn, &key))).await?;
        if let Some(record) = &stored {
            self.records
                .lock()
                .insert(record.id.clone(), record.clone());
        }
        Ok(stored)
    }

    /// With shared records: read every record from PostgreSQL into memory. A request
    /// another node cancelled since the last refresh asks for a scrub (its identities
    /// left the stored record, and compaction removes the old bytes).
    pub(crate) async fn refresh(&self) -> Result<(), DsrError> {
        if !self.shared() {
            return Ok(());
        }
        let store = self.store.clone();
        let stored = blocking(move || store.transact(|txn| record::scan_all(txn))).await?;
        let newly_cancelled = {
            let mut records = self.records.lock();
            let newly_cancelled = stored.iter().any(|r| {
                r.status == record::Status::Cancelled
                    && records.get(&r.id).is_none_or(|old| !old.status.is_final())
            });
            *records = stored.into_iter().map(|r| (r.id.clone(), r)).collect();
            newly_cancelled
        };
        if newly_cancelled {
            self.request_scrub();
        }
        Ok(())
    }

    /// Write the current in-memory state of one record durably.
    pub(crate) async fn persist(&self, id: &str) -> Result<(), DsrError> {
        let _order = self.persist_lock.lock().await;
        let Some(record) = self.records.lock().get(id).cloned() else {
            return Ok(());
        };
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || record::save(&store, &record))
            .await
            .map_err(|e| DsrError::Task(e.to_string()))??;
        Ok(())
    }

    /// Tell the service the address the server is bound to.
    pub fn set_listen_addr(&self, addr: std::net::SocketAddr) {
        let _ = self.listen.set(addr.to_string());
    }

    /// Ask the processor to compact the store on its next pass.
    pub(crate) fn request_scrub(&self) {
        self.scrub_requested
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Take a pending scrub request.
    pub(crate) fn take_scrub_request(&self) -> bool {
        self.scrub_requested
            .swap(false, std::sync::atomic::Ordering::SeqCst)
    }

    /// A copy of one record.
    pub fn record(&self, id: &str) -> Option<DsrRecord> {
        self.records.lock().get(id).cloned()
    }
}

/// What [`Dsr::insert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Inserted {
    Stored,
    /// A request with this id exists, in this state.
    IdTaken(record::Status),
    /// This unfinished request is of the same type for the same identities.
    Duplicate(String),
}

/// Why `new` cannot join `existing`, if it cannot.
fn clash<'a>(existing: impl Iterator<Item = &'a DsrRecord>, new: &DsrRecord) -> Option<Inserted> {
    let mut duplicate = None;
    for r in existing {
        if r.id == new.id {
            return Some(Inserted::IdTaken(r.status));
        }
        if duplicate.is_none()
            && !r.status.is_final()
            && r.request_type == new.request_type
            && same_set(&r.identity_hashes, &new.identity_hashes)
        {
            duplicate = Some(Inserted::Duplicate(r.id.clone()));
        }
    }
    duplicate
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    a == b
}

/// Run a PostgreSQL transaction again while it loses races (SERIALIZABLE conflicts).
fn retry_conflicts<T>(
    mut f: impl FnMut() -> braid_core::storage::StoreResult<T>,
) -> braid_core::storage::StoreResult<T> {
    const ATTEMPTS: u32 = 20;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match f() {
            Err(e) if e.is_conflict() && attempt < ATTEMPTS => {
                std::thread::sleep(std::time::Duration::from_millis(5 * u64::from(attempt)));
            }
            other => return other,
        }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, braid_core::StorageError> + Send + 'static,
) -> Result<T, DsrError> {
    Ok(tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| DsrError::Task(e.to_string()))??)
}

/// The state key of the audit salt shared by the nodes of a cluster.
const SALT_KEY: &str = "dsr/salt";

/// The cluster's audit salt, made by the first node that needs it.
fn shared_salt(store: &Store) -> braid_core::storage::StoreResult<Vec<u8>> {
    use rand::RngCore;
    store.transact(|txn| {
        if let Some(hex) = txn.meta(SALT_KEY)?.as_ref().and_then(|v| v.as_str()) {
            return (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|e| braid_core::StorageError::corrupt(SALT_KEY, e));
        }
        let mut salt = vec![0u8; 32];
        rand::thread_rng().fill_bytes(&mut salt);
        txn.put_meta(SALT_KEY, &serde_json::json!(record::hex(&salt)))?;
        Ok(salt)
    })
}

fn load_or_create_salt(dir: &Path) -> Result<Vec<u8>, DsrError> {
    use rand::RngCore;
    let path = dir.join(SALT_FILE);
    let io = |source| DsrError::Io {
        path: path.display().to_string(),
        source,
    };
    if path.exists() {
        return std::fs::read(&path).map_err(io);
    }
    let mut salt = vec![0u8; 32];
    rand::thread_rng().fill_bytes(&mut salt);
    crate::credentials::write_private(&path, &salt).map_err(io)?;
    Ok(salt)
}
