//! Fuzz target: `braid_mparticle::parse_bulk` on arbitrary bytes (see `braid_fuzz::parse_bulk`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| braid_fuzz::parse_bulk(data));
