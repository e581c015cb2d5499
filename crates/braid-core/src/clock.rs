//! The wall clock, read one way everywhere: milliseconds since the UNIX epoch, as the
//! `i64` that stored records (`received_ms`, `failed_ms`, join times) use. [`Clock`] is
//! the same reading with an offset, shared by what time-driven behaviour depends on
//! (ingest stamps batches with it, the worker runs re-checks and jobs by it), so tests can
//! let days pass (sliding windows expiring) without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// [`now_ms`] plus an offset that is 0 unless moved forward; clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// Now, in milliseconds since the UNIX epoch.
    pub fn now_ms(&self) -> i64 {
        now_ms().saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Move the clock forward by `ms` (never back), for every holder of this clock.
    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms.max(0), Ordering::Relaxed);
    }
}

/// Milliseconds since the UNIX epoch (0 if the system clock is set before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::now_ms;

    #[test]
    fn an_advanced_clock_runs_ahead_for_every_clone() {
        let clock = super::Clock::system();
        let clone = clock.clone();
        clock.advance(86_400_000);
        assert!(clone.now_ms() >= now_ms() + 86_400_000 - 1_000);
        clock.advance(-5);
        assert!(clone.now_ms() >= now_ms() + 86_400_000 - 1_000, "went back");
    }

    #[test]
    fn now_is_after_2020_and_does_not_go_back() {
        let first = now_ms();
        // 2020-01-01T00:00:00Z: a clock reading before it means the helper is broken.
        assert!(first > 1_577_836_800_000, "{first}");
        assert!(now_ms() >= first);
    }
}
