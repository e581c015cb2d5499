//! The storage conformance suite (braid-core's `conformance` module) against the embedded
//! backend: the same checks the in-memory reference passes, and, since its log lives in
//! files, that records survive closing and opening the store again.

use braid_core::storage::Outbox;
use braid_store::{EmbeddedStore, StoreOptions};
use tempfile::TempDir;

fn open(dir: &TempDir, lanes: u32) -> EmbeddedStore {
    let options = StoreOptions {
        lanes,
        ..StoreOptions::default()
    };
    EmbeddedStore::open(dir.path(), options).expect("open the embedded store")
}

fn embedded(lanes: u32) -> (EmbeddedStore, TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    (open(&dir, lanes), dir)
}

/// Close the store (its files are locked while open) and open the same directory again.
fn reopen(store: EmbeddedStore, dir: &TempDir) -> EmbeddedStore {
    let lanes = store.lane_count();
    drop(store);
    open(dir, lanes)
}

braid_core::storage_conformance_tests!(embedded, reopen: reopen);
