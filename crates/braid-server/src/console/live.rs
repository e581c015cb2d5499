//! The live stream's hub: the pipeline worker publishes batch traces here while at least
//! one browser watches (and builds none otherwise); each watcher gets them through a
//! broadcast channel, and the most recent ones are kept for a page that opens later.

use braid_core::trace::BatchTrace;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Traces kept for a page that opens after they were published.
const RECENT: usize = 50;
/// Traces a slow watcher may fall behind by before it is told it missed some.
const CHANNEL: usize = 1024;

/// Where batch traces go.
#[derive(Debug)]
pub struct LiveStream {
    watchers: AtomicUsize,
    sender: broadcast::Sender<Arc<BatchTrace>>,
    recent: Mutex<VecDeque<Arc<BatchTrace>>>,
}

impl Default for LiveStream {
    fn default() -> Self {
        LiveStream {
            watchers: AtomicUsize::new(0),
            sender: broadcast::channel(CHANNEL).0,
            recent: Mutex::new(VecDeque::with_capacity(RECENT)),
        }
    }
}

/// A watcher's subscription; dropping it stops the pipeline's tracing once no one is left.
pub struct Watch {
    hub: Arc<LiveStream>,
    /// The traces published after the subscription.
    pub receiver: broadcast::Receiver<Arc<BatchTrace>>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.hub.watchers.fetch_sub(1, Ordering::SeqCst);
    }
}

impl LiveStream {
    /// Whether anyone watches: the worker asks the pipeline for traces only then.
    pub fn watching(&self) -> bool {
        self.watchers.load(Ordering::SeqCst) > 0
    }

    /// Start watching.
    pub fn subscribe(self: &Arc<Self>) -> Watch {
        self.watchers.fetch_add(1, Ordering::SeqCst);
        Watch {
            hub: self.clone(),
            receiver: self.sender.subscribe(),
        }
    }

    /// Hand traces to every watcher and keep the latest.
    pub fn publish(&self, traces: Vec<BatchTrace>) {
        let mut recent = self.recent.lock();
        for trace in traces {
            let trace = Arc::new(trace);
            if recent.len() == RECENT {
                recent.pop_front();
            }
            recent.push_back(trace.clone());
            // No receiver is fine: the last watcher just left.
            let _ = self.sender.send(trace);
        }
    }

    /// The most recent traces, newest first.
    pub fn recent(&self) -> Vec<Arc<BatchTrace>> {
        self.recent.lock().iter().rev().cloned().collect()
    }
}

/// The live stream's filter: by input, user (MPID or any identity value) and event name.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct StreamFilter {
    #[serde(default)]
    pub input: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub event: String,
}

impl StreamFilter {
    /// Whether `trace` passes. Empty fields match everything; the event name matches
    /// case-insensitively.
    pub fn matches(&self, trace: &BatchTrace) -> bool {
        let input = self.input.trim();
        let user = self.user.trim();
        let event = self.event.trim();
        (input.is_empty() || trace.input == input)
            && (user.is_empty()
                || trace.mpid.to_string() == user
                || trace.identities.iter().any(|(_, v)| v == user))
            && (event.is_empty() || trace.events.iter().any(|e| e.eq_ignore_ascii_case(event)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(input: &str, mpid: i64, event: &str) -> BatchTrace {
        BatchTrace {
            position: 1,
            input: input.into(),
            received_ms: 0,
            mpid,
            identities: vec![("customer_id".into(), "c-1".into())],
            events: vec![event.into()],
            queued: Vec::new(),
            data_points: Default::default(),
            data_points_saved: Default::default(),
            not_forwarded: None,
        }
    }

    #[test]
    fn filter_matches_input_user_by_mpid_or_identity_and_event_name() {
        let t = trace("ios", 42, "Checkout");
        assert!(StreamFilter::default().matches(&t));
        let by = |input: &str, user: &str, event: &str| StreamFilter {
            input: input.into(),
            user: user.into(),
            event: event.into(),
        };
        assert!(by("ios", "", "").matches(&t));
        assert!(!by("web", "", "").matches(&t));
        assert!(by("", "42", "").matches(&t));
        assert!(by("", "c-1", "").matches(&t));
        assert!(!by("", "c-2", "").matches(&t));
        assert!(by("", "", "checkout").matches(&t));
        assert!(!by("", "", "Search").matches(&t));
    }

    #[test]
    fn watching_lasts_as_long_as_a_subscription() {
        let hub = Arc::new(LiveStream::default());
        assert!(!hub.watching());
        let watch = hub.subscribe();
        assert!(hub.watching());
        drop(watch);
        assert!(!hub.watching());
    }
}
