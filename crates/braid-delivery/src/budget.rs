//! The request budget every sender of one Braze workspace shares ([`RateBudget`]): when
//! a request may start, Braze's "wait" after a 429, and whether Braze refused the key.
//!
//! Two implementations: [`crate::pacer::LocalBudget`] (one process, in memory) and
//! [`crate::redis_budget::RedisBudget`] (many nodes, in Redis). Delivery only sees the
//! trait, so it behaves the same on one node and on many.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The future [`RateBudget::acquire`] returns.
pub type AcquireFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// The request budget all senders of one Braze workspace share.
pub trait RateBudget: Send + Sync {
    /// Wait until a request may start, and count it as started. Never returns while the
    /// budget cannot be consulted (a shared budget that is unreachable holds every
    /// sender rather than let one send unpaced).
    fn acquire(&self) -> AcquireFuture<'_>;

    /// Braze said wait: nobody (on any node sharing the budget) starts a request for
    /// `reset` from now. A later pause wins over an earlier one; none shortens one.
    fn pause_until(&self, reset: Duration);

    /// How long the current pause still lasts, if one is in force (for status).
    fn paused_for(&self) -> Option<Duration>;

    /// How long until a request could start (zero when one could now), without taking
    /// it: the adaptive linger keeps filling a request that could not start anyway.
    /// A hint only; [`RateBudget::acquire`] decides.
    fn wait_hint(&self) -> Duration {
        self.paused_for().unwrap_or(Duration::ZERO)
    }

    /// Braze refused (or accepts again) the REST key. Shared: one node's 401 pauses every
    /// node, and one node's successful probe resumes them all.
    fn set_auth_failed(&self, failed: bool);

    /// Whether Braze refuses the REST key.
    fn auth_failed(&self) -> bool;

    /// Why the budget cannot be consulted right now (a shared store unreachable), for
    /// status; `None` when it works.
    fn problem(&self) -> Option<String> {
        None
    }
}
