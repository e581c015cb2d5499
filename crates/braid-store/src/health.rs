//! Store faults: what kind of failure a storage error is (disk full, permission, other
//! I/O, corrupt data), the fault that currently stops the store from writing, the free
//! space of the data directory, and recovery by reopening the files without a restart.
//!
//! After a failed write redb refuses every later transaction on that file with
//! "Previous I/O error occurred. Please close and re-open the database": a file handle
//! that saw an I/O error is poisoned for good. [`EmbeddedStore::recover`] closes and
//! reopens each poisoned file (redb repairs it from its last durable commit, so nothing
//! committed is lost) and then proves with a small durable write that the store can
//! write again. The server calls it on a short interval while a fault is noted.

use crate::codec::backend;
use crate::tables::{self, COUNTERS, LOG_META};
use crate::{open_db, EmbeddedStore, LOG_FILE, STATE_FILE};
use braid_core::storage::{BoxError, StorageError, StoreResult};
use redb::Durability;
use serde::Serialize;
use std::io;
use std::path::Path;

/// What kind of failure a storage error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The filesystem is full (or a quota is exhausted): free space and the store
    /// recovers by itself.
    DiskFull,
    /// The data directory or a store file may not be written (permissions, a read-only
    /// mount): an operator must fix it; the store then recovers by itself.
    Permission,
    /// Any other I/O error (a failing disk, a lost network volume).
    Io,
    /// A stored value or page does not decode: needs an operator (restore a backup).
    Corrupt,
    /// Anything else the engine refused (a value too large, a bad argument).
    Other,
}

impl FaultKind {
    /// The label used in metrics and readiness (`disk_full`, `permission`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::DiskFull => "disk_full",
            FaultKind::Permission => "permission",
            FaultKind::Io => "io",
            FaultKind::Corrupt => "corrupt",
            FaultKind::Other => "other",
        }
    }

    /// Whether this kind of error means the store cannot write until it is reopened.
    pub fn stops_writes(self) -> bool {
        matches!(
            self,
            FaultKind::DiskFull | FaultKind::Permission | FaultKind::Io
        )
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fault that stops the store from writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreFault {
    pub kind: FaultKind,
    /// The first error seen, as the engine told it.
    pub message: String,
    /// When it was first seen (UNIX ms).
    pub since_ms: i64,
}

/// A store file closed after an I/O error and not yet reopened.
#[derive(Debug, thiserror::Error)]
#[error("{file} is closed after an I/O error; braid reopens it once it can write again")]
pub struct FileClosed {
    pub file: &'static str,
}

/// Classify a storage error.
pub fn classify(error: &StorageError) -> FaultKind {
    match error {
        StorageError::Corrupt { .. } => FaultKind::Corrupt,
        StorageError::Encode { .. } | StorageError::Conflict(_) => FaultKind::Other,
        StorageError::Backend(source) | StorageError::Operation { source, .. } => {
            classify_source(source)
        }
    }
}

fn classify_source(source: &BoxError) -> FaultKind {
    let source: &(dyn std::error::Error + 'static) = source.as_ref();
    if let Some(e) = source.downcast_ref::<io::Error>() {
        return io_kind(e);
    }
    if source.downcast_ref::<FileClosed>().is_some() {
        return FaultKind::Io;
    }
    if let Some(e) = source.downcast_ref::<redb::StorageError>() {
        return storage_kind(e);
    }
    let inner = if let Some(redb::TransactionError::Storage(e)) = source.downcast_ref() {
        Some(e)
    } else if let Some(redb::CommitError::Storage(e)) = source.downcast_ref() {
        Some(e)
    } else if let Some(redb::TableError::Storage(e)) = source.downcast_ref() {
        Some(e)
    } else if let Some(redb::DatabaseError::Storage(e)) = source.downcast_ref() {
        Some(e)
    } else if let Some(redb::SavepointError::Storage(e)) = source.downcast_ref() {
        Some(e)
    } else if let Some(redb::CompactionError::Storage(e)) = source.downcast_ref() {
        Some(e)
    } else {
        None
    };
    if let Some(e) = inner {
        return storage_kind(e);
    }
    match source.downcast_ref::<redb::Error>() {
        Some(redb::Error::Io(e)) => io_kind(e),
        Some(redb::Error::PreviousIo) => FaultKind::Io,
        Some(redb::Error::Corrupted(_)) => FaultKind::Corrupt,
        _ => FaultKind::Other,
    }
}

fn storage_kind(e: &redb::StorageError) -> FaultKind {
    match e {
        redb::StorageError::Io(e) => io_kind(e),
        redb::StorageError::PreviousIo => FaultKind::Io,
        redb::StorageError::Corrupted(_) => FaultKind::Corrupt,
        _ => FaultKind::Other,
    }
}

/// ENOSPC and EDQUOT are a full disk; EACCES, EPERM and EROFS a permission problem.
fn io_kind(e: &io::Error) -> FaultKind {
    const ENOSPC: i32 = 28;
    const EDQUOT: i32 = 122;
    const EPERM: i32 = 1;
    const EACCES: i32 = 13;
    const EROFS: i32 = 30;
    match e.raw_os_error() {
        Some(ENOSPC | EDQUOT) => FaultKind::DiskFull,
        Some(EPERM | EACCES | EROFS) => FaultKind::Permission,
        _ => match e.kind() {
            io::ErrorKind::PermissionDenied => FaultKind::Permission,
            _ => FaultKind::Io,
        },
    }
}

/// Bytes an unprivileged process may still write on the filesystem holding `path`
/// (`statvfs`: available blocks × fragment size). One system call; no file is touched.
pub fn free_bytes(path: &Path) -> io::Result<u64> {
    let stats = rustix::fs::statvfs(path)?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

impl EmbeddedStore {
    /// Note an error a store call returned. An error that stops writes (disk full,
    /// permission, I/O) becomes the store's [`StoreFault`] unless one is already noted
    /// (the first error says most: later ones only repeat redb's "previous I/O error").
    /// Returns the error's kind.
    pub fn note_error(&self, error: &StorageError) -> FaultKind {
        let kind = classify(error);
        if kind.stops_writes() {
            let mut fault = self.inner.fault.lock();
            if fault.is_none() {
                tracing::error!(kind = kind.as_str(), error = %error, "the store cannot write; braid stops accepting batches until it can");
                *fault = Some(StoreFault {
                    kind,
                    message: error.to_string(),
                    since_ms: braid_core::clock::now_ms(),
                });
            }
        }
        kind
    }

    /// The fault that stops the store from writing, if any.
    pub fn fault(&self) -> Option<StoreFault> {
        self.inner.fault.lock().clone()
    }

    /// Bytes still free on the data directory's filesystem.
    pub fn free_bytes(&self) -> io::Result<u64> {
        free_bytes(&self.inner.dir)
    }

    /// Whether either file's handle is poisoned by an earlier I/O error (or closed). Cheap:
    /// begins a write transaction on each file and drops it unused (waiting, like any
    /// writer, for a transaction in progress to finish).
    pub fn is_poisoned(&self) -> bool {
        [&self.inner.log, &self.inner.state].iter().any(|slot| {
            slot.read()
                .map_or(true, |db| db.begin_write().map(drop).is_err())
        })
    }

    /// Try to make the store writable again after a fault: reopen every file whose handle
    /// is poisoned or closed (redb repairs it from its last durable commit), then prove
    /// both files take a durable write. On success the fault is cleared; on failure the
    /// new error is noted and returned, and the caller tries again later.
    ///
    /// Concurrent calls are safe: a file is swapped under its write lock, so every other
    /// store call either finishes before or starts after it (and meets a clear error while
    /// a file is closed).
    pub fn recover(&self) -> StoreResult<()> {
        let result = self.reopen_poisoned().and_then(|()| self.probe_write());
        match &result {
            Ok(()) => {
                if let Some(fault) = self.inner.fault.lock().take() {
                    tracing::info!(
                        kind = fault.kind.as_str(),
                        down_ms = braid_core::clock::now_ms() - fault.since_ms,
                        "the store writes again; accepting batches"
                    );
                }
            }
            Err(e) => {
                self.note_error(e);
            }
        }
        result
    }

    fn reopen_poisoned(&self) -> StoreResult<()> {
        let opts = &self.inner.options;
        for (slot, name, cache) in [
            (&self.inner.log, LOG_FILE, opts.log_cache_bytes),
            (&self.inner.state, STATE_FILE, opts.state_cache_bytes),
        ] {
            let mut db = slot.write();
            let healthy = db
                .as_ref()
                .is_some_and(|db| db.begin_write().map(drop).is_ok());
            if healthy {
                continue;
            }
            // Close first: redb locks the file, so a second handle cannot open it while
            // the poisoned one lives. A poisoned handle writes nothing on close.
            *db = None;
            let reopened = open_db(&self.inner.dir.join(name), cache)?;
            tracing::info!(file = name, "reopened after an I/O error");
            *db = Some(reopened);
        }
        Ok(())
    }

    /// One small durable write to each file (a counter only this probe uses).
    fn probe_write(&self) -> StoreResult<()> {
        for (slot, table) in [(&self.inner.log, LOG_META), (&self.inner.state, COUNTERS)] {
            let db = slot.read()?;
            let txn =
                tables::begin_write(&db, Durability::Immediate, self.inner.options.quick_repair)?;
            {
                let mut counters = txn.open_table(table).map_err(backend)?;
                tables::next(&mut counters, WRITE_PROBE)?;
            }
            txn.commit().map_err(backend)?;
        }
        Ok(())
    }
}

/// The counter [`EmbeddedStore::recover`] increments to prove a file takes writes.
const WRITE_PROBE: &str = "write_probe";

#[cfg(test)]
mod tests {
    use super::*;

    fn os(code: i32) -> io::Error {
        io::Error::from_raw_os_error(code)
    }

    #[test]
    fn a_full_disk_is_recognised_however_redb_wraps_it() {
        let wrapped = [
            StorageError::Backend(Box::new(os(28))),
            StorageError::Backend(Box::new(redb::StorageError::Io(os(28)))),
            StorageError::Backend(Box::new(redb::CommitError::Storage(
                redb::StorageError::Io(os(28)),
            ))),
            StorageError::Backend(Box::new(redb::TransactionError::Storage(
                redb::StorageError::Io(os(122)),
            ))),
            StorageError::operation(
                "open state.redb",
                redb::DatabaseError::Storage(redb::StorageError::Io(os(28))),
            ),
            StorageError::Backend(Box::new(redb::Error::Io(os(28)))),
        ];
        for e in &wrapped {
            assert_eq!(classify(e), FaultKind::DiskFull, "{e}");
        }
    }

    #[test]
    fn permission_other_io_corrupt_and_the_rest_are_told_apart() {
        let kind = |e: StorageError| classify(&e);
        for code in [1, 13, 30] {
            assert_eq!(
                kind(StorageError::Backend(Box::new(redb::TableError::Storage(
                    redb::StorageError::Io(os(code))
                )))),
                FaultKind::Permission
            );
        }
        assert_eq!(kind(StorageError::Backend(Box::new(os(5)))), FaultKind::Io);
        assert_eq!(
            kind(StorageError::Backend(Box::new(redb::CommitError::Storage(
                redb::StorageError::PreviousIo
            )))),
            FaultKind::Io,
            "redb's 'previous I/O error' means the handle must be reopened"
        );
        assert_eq!(
            kind(StorageError::Backend(Box::new(FileClosed {
                file: "log.redb"
            }))),
            FaultKind::Io
        );
        assert_eq!(
            kind(StorageError::Backend(Box::new(
                redb::StorageError::Corrupted("bad page".into())
            ))),
            FaultKind::Corrupt
        );
        assert_eq!(
            kind(StorageError::corrupt("profile", "not json")),
            FaultKind::Corrupt
        );
        assert_eq!(
            kind(StorageError::Backend("lanes must be at least 1".into())),
            FaultKind::Other
        );
        assert!(FaultKind::DiskFull.stops_writes());
        assert!(!FaultKind::Corrupt.stops_writes());
    }

    #[test]
    fn a_healthy_store_is_not_poisoned_and_recovering_it_is_harmless() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path(), crate::StoreOptions::default()).unwrap();
        assert!(!store.is_poisoned());
        assert_eq!(store.fault(), None);
        store.note_error(&StorageError::Backend(Box::new(os(28))));
        assert_eq!(store.fault().map(|f| f.kind), Some(FaultKind::DiskFull));
        // A later error does not replace the first, which says most.
        store.note_error(&StorageError::Backend(Box::new(os(5))));
        assert_eq!(store.fault().map(|f| f.kind), Some(FaultKind::DiskFull));
        store.recover().unwrap();
        assert_eq!(store.fault(), None);
        assert!(store.free_bytes().unwrap() > 0);
    }
}
