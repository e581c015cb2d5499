//! braid-core's state conformance suite against PgStore, each check in a fresh schema.

mod common;

braid_core::state_conformance_tests!(common::store);
