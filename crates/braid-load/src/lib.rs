//! braid-load: drive braid with a realistic mParticle workload and report what it cost.
//!
//! - [`workload`] generates batches (pure, seedable; reusable by tests and harnesses);
//! - [`send`] pushes them over HTTP at a fixed rate or as fast as possible and measures
//!   acceptance, latency and errors;
//! - [`probe`] asks braid how deep its Braze outbox is and braze-sim what it received;
//! - [`report`] puts it together as JSON and as a human summary.

pub mod probe;
pub mod report;
pub mod send;
pub mod workload;
