//! The server's clock: UNIX milliseconds, UTC. One value shared by ingest (the time a
//! batch is accepted, which the pipeline uses as "now") and the worker (when re-checks
//! and jobs run), so that time-driven behaviour reads one source. It can be moved
//! forward by an offset: tests let days pass (sliding windows expiring) without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The clock: system time plus an offset (0 unless moved forward).
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// System time.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Now, in UNIX milliseconds.
    pub fn now_ms(&self) -> i64 {
        crate::ingest::now_ms() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Move the clock forward by `ms` (every holder of this clock sees it).
    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms.max(0), Ordering::Relaxed);
    }
}
