//! The request budget of one process ([`LocalBudget`]): every lane of this node shares
//! it; other nodes do not see it (see `redis_budget` for that).
//!
//! Two rules, both shared by every sender:
//! - braid's own limit: at most `limit` requests start in any `window` (a sliding log of
//!   start times, so no window of that length ever holds more, whatever Braze's window
//!   boundaries are);
//! - Braze's word: after a 429, or an answer saying `X-RateLimit-Remaining: 0`, nobody
//!   sends until the reset Braze named.
//!
//! It also keeps whether Braze refused the REST key.

use crate::budget::{AcquireFuture, RateBudget};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// The in-memory request budget of one process.
#[derive(Debug)]
pub struct LocalBudget {
    limit: usize,
    window: Duration,
    state: Mutex<State>,
    auth_failed: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    started: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

impl LocalBudget {
    /// At most `limit` request starts per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        LocalBudget {
            limit: limit.max(1) as usize,
            window,
            state: Mutex::new(State::default()),
            auth_failed: AtomicBool::new(false),
        }
    }

    async fn take(&self) {
        loop {
            let wake_at = {
                let mut state = self.state.lock().expect("pacer lock poisoned");
                let now = Instant::now();
                match state.paused_until {
                    Some(until) if until > now => until,
                    _ => {
                        state.paused_until = None;
                        while state
                            .started
                            .front()
                            .is_some_and(|t| *t + self.window <= now)
                        {
                            state.started.pop_front();
                        }
                        if state.started.len() < self.limit {
                            state.started.push_back(now);
                            return;
                        }
                        *state.started.front().expect("log is full") + self.window
                    }
                }
            };
            tokio::time::sleep_until(wake_at).await;
        }
    }
}

impl RateBudget for LocalBudget {
    fn acquire(&self) -> AcquireFuture<'_> {
        Box::pin(self.take())
    }

    fn wait_hint(&self) -> Duration {
        let mut state = self.state.lock().expect("pacer lock poisoned");
        let now = Instant::now();
        if let Some(until) = state.paused_until.filter(|until| *until > now) {
            return until - now;
        }
        while state
            .started
            .front()
            .is_some_and(|t| *t + self.window <= now)
        {
            state.started.pop_front();
        }
        if state.started.len() < self.limit {
            Duration::ZERO
        } else {
            (*state.started.front().expect("log is full") + self.window)
                .saturating_duration_since(now)
        }
    }

    fn pause_until(&self, reset: Duration) {
        let until = Instant::now() + reset;
        let mut state = self.state.lock().expect("pacer lock poisoned");
        if !matches!(state.paused_until, Some(current) if current >= until) {
            state.paused_until = Some(until);
        }
    }

    fn paused_for(&self) -> Option<Duration> {
        let state = self.state.lock().expect("pacer lock poisoned");
        let now = Instant::now();
        state
            .paused_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    fn set_auth_failed(&self, failed: bool) {
        self.auth_failed.store(failed, Ordering::SeqCst);
    }

    fn auth_failed(&self) -> bool {
        self.auth_failed.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn no_window_ever_holds_more_than_the_limit() {
        let pacer = Arc::new(LocalBudget::new(5, Duration::from_secs(3)));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..23 {
            let pacer = pacer.clone();
            tasks.push(tokio::spawn(async move {
                pacer.acquire().await;
                Instant::now()
            }));
        }
        let mut starts = Vec::new();
        for task in tasks {
            starts.push(task.await.unwrap());
        }
        starts.sort();
        for (i, t) in starts.iter().enumerate() {
            let in_window = starts[i..]
                .iter()
                .take_while(|u| **u < *t + Duration::from_secs(3))
                .count();
            assert!(in_window <= 5, "window starting at {i} holds {in_window}");
        }
        // And the budget is used: 23 starts need exactly four more windows.
        assert_eq!(*starts.last().unwrap() - start, Duration::from_secs(12));
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_hint_says_when_the_budget_frees_up_without_spending_it() {
        let pacer = LocalBudget::new(2, Duration::from_secs(3));
        assert_eq!(pacer.wait_hint(), Duration::ZERO);
        pacer.acquire().await;
        tokio::time::advance(Duration::from_secs(1)).await;
        pacer.acquire().await;
        assert_eq!(pacer.wait_hint(), Duration::from_secs(2));
        assert_eq!(
            pacer.wait_hint(),
            Duration::from_secs(2),
            "a hint takes nothing"
        );
        pacer.pause_until(Duration::from_secs(5));
        assert_eq!(pacer.wait_hint(), Duration::from_secs(5));
    }

    #[test]
    fn the_refused_key_flag_is_kept_until_cleared() {
        let budget = LocalBudget::new(1, Duration::from_secs(1));
        assert!(!budget.auth_failed());
        budget.set_auth_failed(true);
        assert!(budget.auth_failed());
        budget.set_auth_failed(false);
        assert!(!budget.auth_failed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_sender_until_it_ends() {
        let pacer = LocalBudget::new(100, Duration::from_secs(3));
        let start = Instant::now();
        pacer.pause_until(Duration::from_secs(7));
        pacer.pause_until(Duration::from_secs(2)); // an earlier reset does not shorten it
        assert_eq!(pacer.paused_for(), Some(Duration::from_secs(7)));
        pacer.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(7));
        assert_eq!(pacer.paused_for(), None);
    }
}
