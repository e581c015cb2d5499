//! Probes of the systems around a load run: whether braid has finished the work it
//! accepted (to time the drain) and braze-sim's counters (to see what Braze would have
//! billed).
//!
//! braid has finished when two queues are empty: its ingest queue (batches answered 202
//! but not yet applied by the pipeline, the `braid_queue_depth` gauge of the
//! unauthenticated Prometheus endpoint `/metrics`) and its Braze outbox. The outbox
//! depth comes from braid's admin API (`GET /api/v1/delivery`, HTTP Basic admin
//! credentials, `{"outbox_depth": n}`) or, without admin credentials, from the
//! `braid_outbox_depth` gauge of `/metrics`. The outbox alone is not enough: while the
//! pipeline lags behind ingest, the outbox can be empty with work still in the log.
//!
//! braze-sim's `GET /sim/stats` is read leniently as JSON: counters that are missing
//! read as absent or zero, so the tool keeps working while the simulator grows fields.
//! Counters are cumulative since the simulator started, so a run takes a snapshot
//! before and after and reports the difference.

use crate::send::{basic_auth, endpoint, SendError};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Where to read braid's outbox depth.
#[derive(Debug, Clone)]
pub enum DepthSource {
    /// The admin API, with admin credentials.
    Admin {
        /// braid's base URL.
        url: String,
        /// Admin key.
        key: String,
        /// Admin secret.
        secret: String,
    },
    /// The Prometheus endpoint (no auth).
    Metrics {
        /// braid's base URL.
        url: String,
    },
}

impl DepthSource {
    /// braid's base URL.
    pub fn url(&self) -> &str {
        match self {
            DepthSource::Admin { url, .. } | DepthSource::Metrics { url } => url,
        }
    }

    /// A short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            DepthSource::Admin { .. } => "admin_api",
            DepthSource::Metrics { .. } => "metrics",
        }
    }
}

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The URL or credentials are unusable.
    #[error(transparent)]
    Setup(#[from] SendError),
    /// The request failed.
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The answer was not 2xx.
    #[error("answered http {0}")]
    Status(u16),
    /// The answer is not the expected JSON.
    #[error("answer is not json: {0}")]
    Json(#[from] serde_json::Error),
    /// The answer has no outbox depth.
    #[error("answer has no outbox depth")]
    NoDepth,
    /// `/metrics` has no `braid_queue_depth` gauge.
    #[error("metrics have no braid_queue_depth")]
    NoQueueDepth,
}

/// What braid still has to do: batches not yet applied and entries not yet sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    /// Accepted batches the pipeline has not applied (`braid_queue_depth`).
    pub queue: u64,
    /// Entries waiting in the Braze outbox.
    pub outbox: u64,
}

impl Backlog {
    /// Nothing left to do.
    pub fn is_empty(&self) -> bool {
        self.queue == 0 && self.outbox == 0
    }
}

/// braid's ingest queue and outbox depth, read as the module docs describe.
pub async fn backlog(client: &reqwest::Client, src: &DepthSource) -> Result<Backlog, ProbeError> {
    let resp = client.get(endpoint(src.url(), "metrics")?).send().await?;
    let body = ok_body(resp).await?;
    let text = String::from_utf8_lossy(&body);
    let queue = metric_value(&text, "braid_queue_depth")
        .map(|v| v.max(0.0) as u64)
        .ok_or(ProbeError::NoQueueDepth)?;
    let outbox = match src {
        DepthSource::Metrics { .. } => metric_value(&text, "braid_outbox_depth")
            .map(|v| v.max(0.0) as u64)
            .ok_or(ProbeError::NoDepth)?,
        DepthSource::Admin { .. } => outbox_depth(client, src).await?,
    };
    Ok(Backlog { queue, outbox })
}

/// braid's current outbox depth.
pub async fn outbox_depth(client: &reqwest::Client, src: &DepthSource) -> Result<u64, ProbeError> {
    match src {
        DepthSource::Admin { url, key, secret } => {
            let auth = basic_auth(key, secret).ok_or(SendError::BadCredentials)?;
            let resp = client
                .get(endpoint(url, "api/v1/delivery")?)
                .header(reqwest::header::AUTHORIZATION, auth)
                .send()
                .await?;
            let body = ok_body(resp).await?;
            let v: Value = serde_json::from_slice(&body)?;
            as_u64(v.get("outbox_depth")).ok_or(ProbeError::NoDepth)
        }
        DepthSource::Metrics { url } => {
            let resp = client.get(endpoint(url, "metrics")?).send().await?;
            let body = ok_body(resp).await?;
            let text = String::from_utf8_lossy(&body);
            metric_value(&text, "braid_outbox_depth")
                .map(|v| v.max(0.0) as u64)
                .ok_or(ProbeError::NoDepth)
        }
    }
}

/// The value of a metric in Prometheus text format, summed over its label sets;
/// `None` when no sample of that name is present.
pub fn metric_value(text: &str, name: &str) -> Option<f64> {
    let mut total = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        // The name must end here: `braid_outbox_depth_bytes` is another metric.
        let value_part = if let Some(labelled) = rest.strip_prefix('{') {
            match labelled.rfind('}') {
                Some(end) => &labelled[end + 1..],
                None => continue,
            }
        } else if rest.starts_with(char::is_whitespace) {
            rest
        } else {
            continue;
        };
        // A sample may carry a timestamp after the value.
        if let Some(v) = value_part
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
        {
            *total.get_or_insert(0.0) += v;
        }
    }
    total
}

/// How waiting for braid to drain went.
#[derive(Debug, Clone, Serialize)]
pub struct DrainReport {
    /// Where the outbox depth was read (`admin_api` or `metrics`).
    pub source: &'static str,
    /// The ingest queue and the outbox were both empty within the timeout.
    pub drained: bool,
    /// Seconds from the end of sending until both were empty (or the wait ended).
    pub secs: f64,
    /// Outbox depth at the first successful probe.
    pub initial_depth: Option<u64>,
    /// Outbox depth at the last successful probe.
    pub last_depth: Option<u64>,
    /// Ingest queue depth (batches not yet applied) at the first successful probe.
    pub initial_queue_depth: Option<u64>,
    /// Ingest queue depth at the last successful probe.
    pub last_queue_depth: Option<u64>,
    /// Probes that failed.
    pub probe_errors: u64,
    /// The last probe failure.
    pub last_error: Option<String>,
}

/// Poll braid's backlog every `poll` until the ingest queue and the outbox are both
/// empty on two probes in a row, or `timeout` has passed. With `progress`, print the
/// depths to stderr about once per second.
///
/// Two probes because the queue gauge is refreshed by braid's pipeline worker when it
/// wakes: a second look, one poll later, no longer catches the instant between a commit
/// and the worker noticing it. `secs` is the time of the first of the two.
pub async fn wait_drained(
    client: &reqwest::Client,
    src: &DepthSource,
    timeout: Duration,
    poll: Duration,
    progress: bool,
) -> DrainReport {
    let start = Instant::now();
    let mut report = DrainReport {
        source: src.name(),
        drained: false,
        secs: 0.0,
        initial_depth: None,
        last_depth: None,
        initial_queue_depth: None,
        last_queue_depth: None,
        probe_errors: 0,
        last_error: None,
    };
    let mut last_print = start;
    let mut empty_since: Option<Duration> = None;
    loop {
        match backlog(client, src).await {
            Ok(b) => {
                report.initial_depth.get_or_insert(b.outbox);
                report.initial_queue_depth.get_or_insert(b.queue);
                report.last_depth = Some(b.outbox);
                report.last_queue_depth = Some(b.queue);
                if !b.is_empty() {
                    empty_since = None;
                } else if let Some(first) = empty_since {
                    report.drained = true;
                    report.secs = first.as_secs_f64();
                    return report;
                } else {
                    empty_since = Some(start.elapsed());
                }
            }
            Err(e) => {
                empty_since = None;
                report.probe_errors += 1;
                report.last_error = Some(e.to_string());
            }
        }
        if progress && last_print.elapsed() >= Duration::from_secs(1) {
            last_print = Instant::now();
            let show = |v: Option<u64>| v.map_or_else(|| "unknown".to_owned(), |d| d.to_string());
            eprintln!(
                "[drain {:>5.1}s] ingest queue {}, outbox depth {}",
                start.elapsed().as_secs_f64(),
                show(report.last_queue_depth),
                show(report.last_depth)
            );
        }
        if start.elapsed() + poll > timeout {
            break;
        }
        tokio::time::sleep(poll).await;
    }
    report.secs = start.elapsed().as_secs_f64();
    report
}

/// The cumulative buckets `(le, count)` of a Prometheus histogram, summed over its
/// label sets, in increasing `le` (`+Inf` last).
pub fn histogram_buckets(text: &str, name: &str) -> Vec<(f64, f64)> {
    let prefix = format!("{name}_bucket{{");
    let mut buckets: Vec<(f64, f64)> = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix(prefix.as_str()) else {
            continue;
        };
        let Some(end) = rest.rfind('}') else {
            continue;
        };
        let le = rest[..end].split(',').find_map(|label| {
            let value = label.trim().strip_prefix("le=")?.trim_matches('"');
            if value == "+Inf" {
                Some(f64::INFINITY)
            } else {
                value.parse::<f64>().ok()
            }
        });
        let count = rest[end + 1..]
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok());
        if let (Some(le), Some(count)) = (le, count) {
            match buckets.iter_mut().find(|(l, _)| *l == le) {
                Some((_, c)) => *c += count,
                None => buckets.push((le, count)),
            }
        }
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    buckets
}

/// `after - before`, bucket by bucket (histograms are cumulative since braid started).
pub fn histogram_delta(before: &[(f64, f64)], after: &[(f64, f64)]) -> Vec<(f64, f64)> {
    after
        .iter()
        .map(|(le, count)| {
            let earlier = before
                .iter()
                .find(|(l, _)| l == le)
                .map_or(0.0, |(_, c)| *c);
            (*le, (count - earlier).max(0.0))
        })
        .collect()
}

/// The `q` quantile of cumulative buckets, interpolated linearly inside its bucket as
/// Prometheus' `histogram_quantile` does; `None` without observations. A quantile in the
/// `+Inf` bucket reads as the highest finite bound.
pub fn histogram_quantile(buckets: &[(f64, f64)], q: f64) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q.clamp(0.0, 1.0) * total;
    let mut lower = (0.0, 0.0);
    for &(le, count) in buckets {
        if count >= rank {
            if le.is_infinite() {
                return Some(lower.0);
            }
            let in_bucket = count - lower.1;
            let share = if in_bucket > 0.0 {
                (rank - lower.1) / in_bucket
            } else {
                1.0
            };
            return Some(lower.0 + (le - lower.0) * share);
        }
        lower = (le, count);
    }
    Some(lower.0)
}

/// braid's Prometheus text (`GET {url}/metrics`).
pub async fn metrics_text(client: &reqwest::Client, url: &str) -> Result<String, ProbeError> {
    let resp = client.get(endpoint(url, "metrics")?).send().await?;
    let body = ok_body(resp).await?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Latency from braid's 202 to Braze's acknowledgement over a run, from braid's
/// `braid_delivery_ack_latency_seconds` histogram (bucket resolution, interpolated).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AckLatency {
    /// Objects acknowledged during the run.
    pub count: u64,
    /// Median, seconds.
    pub p50_secs: f64,
    /// 99th percentile, seconds.
    pub p99_secs: f64,
}

/// The ack latency of the objects acknowledged between two `/metrics` snapshots.
pub fn ack_latency(before: &str, after: &str) -> Option<AckLatency> {
    const NAME: &str = "braid_delivery_ack_latency_seconds";
    let delta = histogram_delta(
        &histogram_buckets(before, NAME),
        &histogram_buckets(after, NAME),
    );
    Some(AckLatency {
        count: delta.last()?.1 as u64,
        p50_secs: histogram_quantile(&delta, 0.5)?,
        p99_secs: histogram_quantile(&delta, 0.99)?,
    })
}

/// braze-sim's counters (`GET {sim}/sim/stats`), as sent.
pub async fn sim_stats(client: &reqwest::Client, sim_url: &str) -> Result<Value, ProbeError> {
    let resp = client.get(endpoint(sim_url, "sim/stats")?).send().await?;
    let body = ok_body(resp).await?;
    Ok(serde_json::from_slice(&body)?)
}

/// Data points billed, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct DataPoints {
    /// Attribute values written.
    pub attributes: u64,
    /// Custom events.
    pub events: u64,
    /// Purchases.
    pub purchases: u64,
    /// All data points (the simulator's `total` when it reports one, else the sum of
    /// its kinds).
    pub total: u64,
}

/// What the Braze side received during a run.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SimSummary {
    /// `/users/track` requests.
    pub requests: u64,
    /// Objects (attributes, events, purchases) received.
    pub objects_received: u64,
    /// Objects applied.
    pub objects_applied: u64,
    /// Objects per `/users/track` request, on average.
    pub objects_per_request: Option<f64>,
    /// Most objects seen in one request (since the simulator started).
    pub max_objects_in_request: Option<u64>,
    /// Data points billed.
    pub data_points: DataPoints,
    /// Data points per 1000 events accepted by braid.
    pub data_points_per_1000_events: Option<f64>,
    /// `/users/track` requests per 1000 events accepted by braid.
    pub requests_per_1000_events: Option<f64>,
    /// Answers 429 (rate limited).
    pub rate_limited: u64,
    /// Answers by HTTP status.
    pub responses_by_status: BTreeMap<String, u64>,
}

/// Summarise the simulator's counters over a run: `after` minus `before` (when a
/// snapshot was taken before the run), related to the `events` braid accepted.
pub fn summarize_sim(before: Option<&Value>, after: &Value, events: u64) -> SimSummary {
    let delta = |path: &[&str]| -> u64 {
        let a = as_u64(lookup(after, path)).unwrap_or(0);
        let b = before.and_then(|b| as_u64(lookup(b, path))).unwrap_or(0);
        a.saturating_sub(b)
    };
    let requests = delta(&["track_requests"]);
    let objects_received = delta(&["objects_received"]);
    let attributes = delta(&["data_points", "attributes"]);
    let ev = delta(&["data_points", "events"]);
    let purchases = delta(&["data_points", "purchases"]);
    let total = if lookup(after, &["data_points", "total"]).is_some() {
        delta(&["data_points", "total"])
    } else {
        // Sum every numeric kind the simulator reports, not only the three known ones.
        after
            .get("data_points")
            .and_then(Value::as_object)
            .map(|m| m.keys().map(|k| delta(&["data_points", k])).sum())
            .unwrap_or(0)
    };
    let mut responses_by_status = BTreeMap::new();
    if let Some(m) = after.get("responses_by_status").and_then(Value::as_object) {
        for k in m.keys() {
            responses_by_status.insert(k.clone(), delta(&["responses_by_status", k]));
        }
    }
    let rate_limited = if lookup(after, &["rate_limited"]).is_some() {
        delta(&["rate_limited"])
    } else {
        responses_by_status.get("429").copied().unwrap_or(0)
    };
    let per_1000 = |n: u64| (events > 0).then(|| n as f64 * 1000.0 / events as f64);
    SimSummary {
        requests,
        objects_received,
        objects_applied: delta(&["objects_applied"]),
        objects_per_request: (requests > 0).then(|| objects_received as f64 / requests as f64),
        max_objects_in_request: as_u64(lookup(after, &["max_objects_in_request"])),
        data_points: DataPoints {
            attributes,
            events: ev,
            purchases,
            total,
        },
        data_points_per_1000_events: per_1000(total),
        requests_per_1000_events: per_1000(requests),
        rate_limited,
        responses_by_status,
    }
}

fn lookup<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// A counter as u64, accepting integers, floats and numeric strings.
fn as_u64(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

async fn ok_body(resp: reqwest::Response) -> Result<Vec<u8>, ProbeError> {
    let status = resp.status();
    let body = resp.bytes().await?;
    if !status.is_success() {
        return Err(ProbeError::Status(status.as_u16()));
    }
    Ok(body.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metric_value_sums_label_sets_and_ignores_lookalike_names() {
        let text = "# HELP braid_outbox_depth entries\n\
                    # TYPE braid_outbox_depth gauge\n\
                    braid_outbox_depth_bytes 999\n\
                    braid_outbox_depth{shard=\"0\"} 3\n\
                    braid_outbox_depth{shard=\"1\"} 4 1700000000000\n";
        assert_eq!(metric_value(text, "braid_outbox_depth"), Some(7.0));
        assert_eq!(
            metric_value("braid_outbox_depth 12\n", "braid_outbox_depth"),
            Some(12.0)
        );
        assert_eq!(metric_value("other 1\n", "braid_outbox_depth"), None);
    }

    #[test]
    fn ack_latency_comes_from_the_histogram_growth_over_the_run() {
        let before = "braid_delivery_ack_latency_seconds_bucket{le=\"0.1\"} 10\n\
                      braid_delivery_ack_latency_seconds_bucket{le=\"0.5\"} 10\n\
                      braid_delivery_ack_latency_seconds_bucket{le=\"+Inf\"} 10\n";
        // 100 more: 50 under 0.1 s, 40 in (0.1, 0.5], 10 above 0.5 s.
        let after = "# TYPE braid_delivery_ack_latency_seconds histogram\n\
                     braid_delivery_ack_latency_seconds_bucket{le=\"0.1\"} 60\n\
                     braid_delivery_ack_latency_seconds_bucket{le=\"0.5\"} 100\n\
                     braid_delivery_ack_latency_seconds_bucket{le=\"+Inf\"} 110\n\
                     braid_delivery_ack_latency_seconds_sum 31.5\n";
        let l = ack_latency(before, after).unwrap();
        assert_eq!(l.count, 100);
        assert!((l.p50_secs - 0.1).abs() < 1e-9, "{l:?}");
        // Rank 99 is in the +Inf bucket: reported as the highest finite bound.
        assert!((l.p99_secs - 0.5).abs() < 1e-9, "{l:?}");
        let buckets = [(0.1, 50.0), (0.5, 90.0), (f64::INFINITY, 100.0)];
        // Rank 70 is half-way through the (0.1, 0.5] bucket.
        assert!((histogram_quantile(&buckets, 0.7).unwrap() - 0.3).abs() < 1e-9);
        assert_eq!(ack_latency("", ""), None);
    }

    #[test]
    fn sim_summary_reports_the_difference_over_the_run() {
        let before = json!({
            "track_requests": 10, "objects_received": 500, "objects_applied": 490,
            "data_points": {"attributes": 100, "events": 50, "purchases": 5},
            "responses_by_status": {"201": 9, "429": 1}, "rate_limited": 1,
            "max_objects_in_request": 60
        });
        let after = json!({
            "track_requests": 30, "objects_received": 2000, "objects_applied": 1990,
            "data_points": {"attributes": 700, "events": 250, "purchases": 55},
            "responses_by_status": {"201": 27, "429": 3}, "rate_limited": 3,
            "max_objects_in_request": 75
        });
        let s = summarize_sim(Some(&before), &after, 4000);
        assert_eq!(s.requests, 20);
        assert_eq!(s.objects_received, 1500);
        assert_eq!(s.objects_per_request, Some(75.0));
        assert_eq!(s.max_objects_in_request, Some(75));
        assert_eq!(s.data_points.total, 600 + 200 + 50);
        assert_eq!(s.data_points_per_1000_events, Some(850.0 * 1000.0 / 4000.0));
        assert_eq!(s.requests_per_1000_events, Some(5.0));
        assert_eq!(s.rate_limited, 2);
        assert_eq!(s.responses_by_status.get("201"), Some(&18));
    }

    #[test]
    fn sim_summary_tolerates_missing_fields() {
        let s = summarize_sim(None, &json!({"responses_by_status": {"429": "4"}}), 0);
        assert_eq!(s.requests, 0);
        assert_eq!(s.objects_per_request, None);
        assert_eq!(s.data_points_per_1000_events, None);
        assert_eq!(s.rate_limited, 4);
    }
}
