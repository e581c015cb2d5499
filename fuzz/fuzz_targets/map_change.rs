//! Fuzz target: the Braze mapping and delta step on a parsed batch under settings drawn
//! from the input's first bytes (see `braid_fuzz::map_change`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| braid_fuzz::map_change(data));
