//! Graceful shutdown: one signal every background task watches, and one grace period
//! (`server.shutdown_grace_secs`) that all of them share, measured once from the
//! signal. A task still running at the deadline is aborted and logged by name.

use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How long to wait for an aborted task to be dropped.
const ABORT_SETTLE: Duration = Duration::from_secs(1);

/// The shutdown signal and the grace period that follows it.
pub struct Shutdown {
    signal: watch::Sender<bool>,
    grace: Duration,
}

/// A background task with the name shutdown reports it by.
pub struct NamedTask {
    name: &'static str,
    handle: JoinHandle<()>,
}

impl NamedTask {
    /// Spawn `task` on the runtime under `name`.
    pub fn spawn(name: &'static str, task: impl Future<Output = ()> + Send + 'static) -> Self {
        NamedTask {
            name,
            handle: tokio::spawn(task),
        }
    }

    /// Name a task spawned elsewhere.
    pub fn from_handle(name: &'static str, handle: JoinHandle<()>) -> Self {
        NamedTask { name, handle }
    }
}

impl Shutdown {
    /// A signal not yet given; tasks get `grace` after it to finish.
    pub fn new(grace: Duration) -> Self {
        let (signal, _) = watch::channel(false);
        Shutdown { signal, grace }
    }

    /// A receiver that turns `true` when shutdown begins.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.signal.subscribe()
    }

    /// Give the signal and start the one grace period.
    pub fn begin(&self) -> Stopping {
        self.signal.send_replace(true);
        tracing::info!(
            grace_secs = self.grace.as_secs_f64(),
            "shutting down; background tasks share one grace period"
        );
        Stopping {
            deadline: Instant::now() + self.grace,
            report: ShutdownReport::default(),
        }
    }
}

/// Shutdown under way: tasks are joined, in the order they must stop, against one
/// deadline.
pub struct Stopping {
    deadline: Instant,
    report: ShutdownReport,
}

/// How each task ended.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Tasks that returned (or had already failed) before the deadline, in join order.
    pub finished: Vec<&'static str>,
    /// Tasks still running at the deadline, aborted, in join order.
    pub aborted: Vec<&'static str>,
}

impl Stopping {
    /// Wait for `task` until the shared deadline; abort it if it is still running then.
    pub async fn join(&mut self, task: NamedTask) {
        let NamedTask { name, mut handle } = task;
        match tokio::time::timeout_at(self.deadline, &mut handle).await {
            Ok(Ok(())) => self.report.finished.push(name),
            Ok(Err(e)) => {
                tracing::error!(task = name, error = %e, "task failed before shutdown");
                self.report.finished.push(name);
            }
            Err(_) => {
                handle.abort();
                // An aborted task is dropped at its next await point; wait briefly for
                // that, so what it holds (the store) is released when shutdown returns.
                let _ = tokio::time::timeout(ABORT_SETTLE, handle).await;
                tracing::warn!(
                    task = name,
                    "task still running at the end of the shutdown grace period; aborted"
                );
                self.report.aborted.push(name);
            }
        }
    }

    /// What happened to each task.
    pub fn finish(self) -> ShutdownReport {
        if self.report.aborted.is_empty() {
            tracing::info!(tasks = self.report.finished.len(), "shutdown complete");
        }
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task that stops when the signal is given.
    fn polite(shutdown: &Shutdown) -> impl Future<Output = ()> + Send + 'static {
        let mut signal = shutdown.subscribe();
        async move {
            let _ = signal.wait_for(|stop| *stop).await;
        }
    }

    #[tokio::test]
    async fn tasks_that_never_end_share_one_grace_period_and_are_aborted() {
        let grace = Duration::from_secs(1);
        let shutdown = Shutdown::new(grace);
        let stuck = ["stuck-1", "stuck-2", "stuck-3", "stuck-4", "stuck-5"];
        let mut tasks = vec![NamedTask::spawn("polite-first", polite(&shutdown))];
        for name in stuck {
            tasks.push(NamedTask::spawn(name, std::future::pending()));
        }
        tasks.push(NamedTask::spawn("polite-last", polite(&shutdown)));

        let started = Instant::now();
        let mut stopping = shutdown.begin();
        for task in tasks {
            stopping.join(task).await;
        }
        let report = stopping.finish();
        let took = started.elapsed();

        assert_eq!(report.finished, vec!["polite-first", "polite-last"]);
        assert_eq!(report.aborted, stuck.to_vec());
        // The stuck tasks got their grace period, and only one between them: joined one
        // after another with a grace period each, this would take five.
        assert!(
            took >= grace,
            "returned after {took:?}, before the grace period"
        );
        assert!(
            took < grace * 5,
            "returned after {took:?}: each stuck task got its own grace period"
        );
    }

    #[tokio::test]
    async fn an_aborted_task_is_stopped() {
        let shutdown = Shutdown::new(Duration::from_millis(50));
        let (alive, mut watch_alive) = tokio::sync::mpsc::channel::<()>(1);
        let task = NamedTask::spawn("holds-a-sender", async move {
            let _alive = alive;
            std::future::pending::<()>().await;
        });
        let mut stopping = shutdown.begin();
        stopping.join(task).await;
        assert_eq!(stopping.finish().aborted, vec!["holds-a-sender"]);
        // The channel closes only when the aborted task has been dropped.
        let closed = tokio::time::timeout(Duration::from_secs(60), watch_alive.recv()).await;
        assert_eq!(closed, Ok(None), "the aborted task is still alive");
    }

    #[tokio::test]
    async fn a_task_that_ends_on_the_signal_is_not_aborted() {
        let shutdown = Shutdown::new(Duration::from_secs(600));
        let task = NamedTask::spawn("polite", polite(&shutdown));
        let mut stopping = shutdown.begin();
        stopping.join(task).await;
        let report = stopping.finish();
        assert_eq!(report.finished, vec!["polite"]);
        assert!(report.aborted.is_empty());
    }
}
