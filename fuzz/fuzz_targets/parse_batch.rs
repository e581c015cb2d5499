//! Fuzz target: `braid_mparticle::parse_batch` on arbitrary bytes (see `braid_fuzz::parse_batch`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| braid_fuzz::parse_batch(data));
