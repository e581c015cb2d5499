//! The storage conformance suite (braid-core's `conformance` module) against the embedded
//! backend: the same checks the in-memory reference passes.

use braid_store::{EmbeddedStore, StoreOptions};

fn embedded(lanes: u32) -> (EmbeddedStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let options = StoreOptions {
        lanes,
        ..StoreOptions::default()
    };
    let store = EmbeddedStore::open(dir.path(), options).expect("open the embedded store");
    (store, dir)
}

braid_core::storage_conformance_tests!(embedded);
