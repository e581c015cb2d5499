//! Reachability of the engines the distributed backend runs on. A background task asks
//! Kafka, PostgreSQL and Redis for one round trip each second; ingest refuses batches
//! (503) while the log cannot take them, and `/readyz` names every engine that did not
//! answer. The gauge `braid_engine_up{engine}` is 1 while an engine answers.

use super::Cluster;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often each engine is asked.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// Longest wait for one engine's answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The engines, as `/readyz` and the metrics name them.
pub const KAFKA: &str = "kafka";
pub const POSTGRES: &str = "postgres";
pub const REDIS: &str = "redis";

/// The last answer of each engine: `None` while it answers, else why not.
#[derive(Debug, Default)]
pub struct EngineHealth {
    problems: parking_lot::Mutex<Vec<(&'static str, Option<String>)>>,
}

impl EngineHealth {
    /// Why ingest must refuse now: the log cannot take batches.
    pub fn refusal(&self) -> Option<String> {
        self.problem(KAFKA).map(|problem| {
            format!("the ingest log (Kafka) does not answer ({problem}); batches are accepted again once it does")
        })
    }

    /// Every engine that did not answer, for `/readyz`.
    pub fn problems(&self) -> Vec<String> {
        self.problems
            .lock()
            .iter()
            .filter_map(|(engine, problem)| {
                problem
                    .as_ref()
                    .map(|p| format!("{engine} does not answer: {p}"))
            })
            .collect()
    }

    fn problem(&self, engine: &str) -> Option<String> {
        self.problems
            .lock()
            .iter()
            .find(|(name, _)| *name == engine)
            .and_then(|(_, p)| p.clone())
    }

    fn set(&self, results: Vec<(&'static str, Option<String>)>) {
        for (engine, problem) in &results {
            metrics::gauge!("braid_engine_up", "engine" => *engine).set(if problem.is_none() {
                1.0
            } else {
                0.0
            });
        }
        *self.problems.lock() = results;
    }
}

/// Ask each engine once.
pub async fn probe_once(cluster: &Arc<Cluster>) -> Vec<(&'static str, Option<String>)> {
    let (pg, kafka) = (cluster.state.clone(), cluster.log.clone());
    // All three at once: one slow engine must not make the others look late.
    let (postgres, kafka, redis) = tokio::join!(
        tokio::time::timeout(
            PROBE_TIMEOUT,
            tokio::task::spawn_blocking(move || pg.ping())
        ),
        tokio::task::spawn_blocking(move || kafka.ping(PROBE_TIMEOUT)),
        tokio::time::timeout(PROBE_TIMEOUT, cluster.budget.ping()),
    );
    let postgres = match postgres {
        Ok(Ok(Ok(()))) => None,
        Ok(Ok(Err(e))) => Some(e.to_string()),
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no answer in {PROBE_TIMEOUT:?}")),
    };
    let kafka = match kafka {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(e) => Some(e.to_string()),
    };
    let redis = match redis {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no answer in {PROBE_TIMEOUT:?}")),
    };
    vec![(KAFKA, kafka), (POSTGRES, postgres), (REDIS, redis)]
}

/// Probe every [`PROBE_INTERVAL`] until shutdown.
pub async fn run(
    cluster: Arc<Cluster>,
    health: Arc<EngineHealth>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let results = probe_once(&cluster).await;
        for (engine, problem) in &results {
            if let Some(problem) = problem {
                tracing::warn!(engine, %problem, "engine does not answer");
            }
        }
        health.set(results);
        tokio::select! {
            _ = tokio::time::sleep(PROBE_INTERVAL) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}
