//! The run report: what was sent and accepted, how fast, what Braze received, how long
//! the outbox took to drain — as JSON (for scripts and `BENCHMARKS.md`) and as a short
//! human summary.

use crate::probe::{AckLatency, DrainReport, SimSummary};
use crate::send::SendReport;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always `braid-load`.
    pub tool: &'static str,
    /// When sending began, in Unix milliseconds.
    pub started_unix_ms: i64,
    /// The settings of the run (no secrets).
    pub settings: Value,
    /// Sending and acceptance.
    pub send: SendReport,
    /// The fewest Braze data points the accepted workload can cost (see
    /// [`crate::workload::Counts::min_data_points`]), counted over identified users.
    pub min_data_points: u64,
    /// The same per 1000 accepted events.
    pub min_data_points_per_1000_events: Option<f64>,
    /// Waiting for braid's ingest queue and outbox to drain, when asked.
    pub drain: Option<DrainReport>,
    /// Latency from braid's 202 to Braze's acknowledgement of the objects delivered
    /// during the run (from braid's metrics, read after the drain wait).
    pub ack_latency: Option<AckLatency>,
    /// What braze-sim received during the run, when a simulator was given.
    pub sim: Option<SimSummary>,
    /// braze-sim's counters at the end, as sent.
    pub sim_stats: Option<Value>,
    /// Probes that failed (simulator unreachable, …).
    pub warnings: Vec<String>,
}

impl Report {
    /// Assemble a report; the data-point minimum is derived from the workload counts.
    pub fn new(started_unix_ms: i64, settings: Value, send: SendReport) -> Report {
        let min = send.workload.identified.min_data_points();
        let events = send.events_accepted;
        Report {
            tool: "braid-load",
            started_unix_ms,
            settings,
            min_data_points: min,
            min_data_points_per_1000_events: (events > 0)
                .then(|| min as f64 * 1000.0 / events as f64),
            send,
            drain: None,
            ack_latency: None,
            sim: None,
            sim_stats: None,
            warnings: Vec::new(),
        }
    }

    /// A few lines for a terminal.
    pub fn human(&self) -> String {
        let s = &self.send;
        let l = &s.latency_ms;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "sent      {} requests, {} batches in {:.2}s",
            s.requests, s.batches_sent, s.elapsed_secs
        );
        let _ = writeln!(
            out,
            "accepted  {} batches ({:.0}/s), {} events ({:.0}/s)",
            s.batches_accepted, s.batches_per_sec, s.events_accepted, s.events_per_sec
        );
        let _ = writeln!(
            out,
            "latency   p50 {:.2}ms  p90 {:.2}ms  p99 {:.2}ms  max {:.2}ms  ({} answers)",
            l.p50, l.p90, l.p99, l.max, l.count
        );
        if s.errors.is_empty() {
            let _ = writeln!(out, "errors    none");
        } else {
            let list: Vec<String> = s.errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            let _ = writeln!(out, "errors    {}", list.join(", "));
        }
        let w = &s.workload;
        let _ = writeln!(
            out,
            "workload  {} users seen ({} identified), {} churned batches, {} events of identified users",
            w.all.new_users, w.identified.new_users, w.all.churned_batches, w.identified.events
        );
        let _ = writeln!(
            out,
            "minimum   {} data points ({})",
            self.min_data_points,
            per_1000(self.min_data_points_per_1000_events)
        );
        if let Some(d) = &self.drain {
            if d.drained {
                let _ = writeln!(
                    out,
                    "drained   in {:.2}s (ingest queue {}, outbox depth {} at the end of sending)",
                    d.secs,
                    d.initial_queue_depth.unwrap_or(0),
                    d.initial_depth.unwrap_or(0)
                );
            } else {
                let _ = writeln!(
                    out,
                    "drained   NO after {:.2}s (ingest queue {}, outbox depth {}){}",
                    d.secs,
                    d.last_queue_depth
                        .map_or_else(|| "unknown".to_owned(), |v| v.to_string()),
                    d.last_depth
                        .map_or_else(|| "unknown".to_owned(), |v| v.to_string()),
                    d.last_error
                        .as_ref()
                        .map_or_else(String::new, |e| format!(", last error: {e}"))
                );
            }
        }
        if let Some(a) = &self.ack_latency {
            let _ = writeln!(
                out,
                "202→ack   p50 {:.1}ms  p99 {:.1}ms  ({} objects; braid's histogram, interpolated in its buckets)",
                a.p50_secs * 1000.0,
                a.p99_secs * 1000.0,
                a.count
            );
        }
        if let Some(sim) = &self.sim {
            let _ = writeln!(
                out,
                "braze     {} requests, {} objects ({} per request, max {}), {} requests per 1000 events, {} × 429",
                sim.requests,
                sim.objects_received,
                sim.objects_per_request
                    .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}")),
                sim.max_objects_in_request
                    .map_or_else(|| "n/a".to_owned(), |v| v.to_string()),
                sim.requests_per_1000_events
                    .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.2}")),
                sim.rate_limited
            );
            let dp = &sim.data_points;
            let _ = writeln!(
                out,
                "data pts  {} ({} attributes, {} events, {} purchases), {}",
                dp.total,
                dp.attributes,
                dp.events,
                dp.purchases,
                per_1000(sim.data_points_per_1000_events)
            );
        }
        for w in &self.warnings {
            let _ = writeln!(out, "warning   {w}");
        }
        out
    }
}

fn per_1000(v: Option<f64>) -> String {
    v.map_or_else(
        || "n/a per 1000 events".to_owned(),
        |v| format!("{v:.1} per 1000 events"),
    )
}
