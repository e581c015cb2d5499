//! The sender: concurrent workers that post generated batches to an mParticle-compatible
//! Events API and measure what comes back.
//!
//! Each worker owns one shard of the workload's users (so one user's batches leave in
//! order) and one request in flight at a time; `concurrency` workers share one pooled
//! HTTP client. Requests are numbered, and worker `w` of `W` sends requests `w`, `w + W`,
//! `w + 2W`, …: a bounded run (`batches`) stops exactly, a fixed rate schedules request
//! `r` at `start + r * batches_per_request / rate`, and — because which worker (shard)
//! builds which request never depends on scheduling — the same seed, run id and settings
//! always send the same batches. With a fixed clock ([`SendConfig::clock_start_ms`]) they
//! are byte-identical; see [`request_bodies`].
//!
//! Latency is measured from just before the request is sent to the end of the answer's
//! body, per worker in an HDR histogram (merged at the end), so measuring costs no
//! locking. A progress line goes to stderr once per interval.

use crate::workload::{Workload, WorkloadConfig, WorkloadError, WorkloadStats};
use base64::Engine as _;
use hdrhistogram::Histogram;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Most batches mParticle accepts in one `/v2/bulkevents` request.
pub const MAX_BULK_SIZE: usize = 100;

/// How to send.
#[derive(Debug, Clone)]
pub struct SendConfig {
    /// Base URL of the Events API (`http://127.0.0.1:8080`); `/v2/...` is appended.
    pub url: String,
    /// Input key (HTTP Basic user name).
    pub key: String,
    /// Input secret (HTTP Basic password).
    pub secret: String,
    /// 0: one batch per `POST /v2/events`; k: `POST /v2/bulkevents` with k batches.
    pub bulk_size: usize,
    /// Batches per second across all workers; 0 sends as fast as possible.
    pub rate: f64,
    /// Requests in flight at once (clamped to the number of users).
    pub concurrency: usize,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after this many batches.
    pub batches: Option<u64>,
    /// Give up on one request after this long (counted as a `timeout` error).
    pub request_timeout: Duration,
    /// Print a progress line to stderr this often; `None` is silent.
    pub progress_every: Option<Duration>,
    /// Stamp batches from this fixed clock instead of the wall clock: request `r`'s
    /// batches are stamped `clock_start_ms + r * batches_per_request` ms, so a run is
    /// byte-for-byte repeatable. `None` uses the wall clock.
    pub clock_start_ms: Option<i64>,
}

impl Default for SendConfig {
    fn default() -> Self {
        SendConfig {
            url: "http://127.0.0.1:8080".to_owned(),
            key: String::new(),
            secret: String::new(),
            bulk_size: 0,
            rate: 0.0,
            concurrency: 32,
            duration: None,
            batches: None,
            request_timeout: Duration::from_secs(30),
            progress_every: None,
            clock_start_ms: None,
        }
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Neither a duration nor a batch count bounds the run.
    #[error("a run needs a duration or a batch count to stop by itself")]
    Unbounded,
    /// The bulk size is above mParticle's limit.
    #[error("bulk size must be at most {MAX_BULK_SIZE}, got {0}")]
    BulkTooLarge(usize),
    /// Concurrency is zero.
    #[error("concurrency must be at least 1")]
    NoConcurrency,
    /// The rate is negative or not a number.
    #[error("rate must be a non-negative number, got {0}")]
    BadRate(f64),
    /// The base URL does not parse.
    #[error("invalid url {url}: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// Credentials cannot form a header.
    #[error("credentials cannot be sent in an http header")]
    BadCredentials,
    /// The workload configuration is invalid.
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    /// Bodies can only be listed in advance for a bounded run on a fixed clock.
    #[error("request bodies are fixed in advance only with a batch count and a fixed clock")]
    NotRepeatable,
    /// The HTTP client could not be built.
    #[error("cannot build http client: {0}")]
    Client(#[source] reqwest::Error),
}

/// Latency percentiles of answered requests, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Latency {
    /// Answered requests measured.
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
}

impl Latency {
    fn from_histogram(h: &Histogram<u64>) -> Latency {
        let ms = |us: u64| us as f64 / 1000.0;
        if h.is_empty() {
            return Latency::default();
        }
        Latency {
            count: h.len(),
            mean: h.mean() / 1000.0,
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
        }
    }
}

/// What a run sent and how it was answered.
#[derive(Debug, Clone, Serialize)]
pub struct SendReport {
    /// Wall time from the first request to the last answer, in seconds.
    pub elapsed_secs: f64,
    /// Requests attempted.
    pub requests: u64,
    /// Requests answered 2xx.
    pub requests_accepted: u64,
    /// Batches attempted.
    pub batches_sent: u64,
    /// Batches in requests answered 2xx.
    pub batches_accepted: u64,
    /// Events in requests answered 2xx.
    pub events_accepted: u64,
    /// Accepted batches per second.
    pub batches_per_sec: f64,
    /// Accepted events per second.
    pub events_per_sec: f64,
    /// Latency of answered requests (any status).
    pub latency_ms: Latency,
    /// Failed requests by kind: `http_<status>`, `timeout`, `connect`, `body`, `request`.
    pub errors: BTreeMap<String, u64>,
    /// What the workload generated (sent, whether accepted or not).
    pub workload: WorkloadStats,
}

impl SendReport {
    /// Failed requests of every kind.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Counters shared by the workers and the progress line.
#[derive(Default)]
struct Shared {
    batches_sent: AtomicU64,
    batches_accepted: AtomicU64,
    events_accepted: AtomicU64,
    errors: AtomicU64,
}

/// Everything a worker needs that does not change during the run.
struct Plan {
    client: reqwest::Client,
    endpoint: reqwest::Url,
    auth: HeaderValue,
    content_type: HeaderValue,
    bulk: bool,
    per_request: u64,
    workers: u64,
    clock_start_ms: Option<i64>,
    rate: f64,
    batches: Option<u64>,
    start: tokio::time::Instant,
    deadline: Option<tokio::time::Instant>,
}

struct WorkerResult {
    latency: Histogram<u64>,
    errors: BTreeMap<String, u64>,
    requests: u64,
    requests_accepted: u64,
    stats: WorkloadStats,
}

/// Run the load until the duration or batch count is reached, and report.
pub async fn run(cfg: &SendConfig, workload: &WorkloadConfig) -> Result<SendReport, SendError> {
    if cfg.duration.is_none() && cfg.batches.is_none() {
        return Err(SendError::Unbounded);
    }
    if cfg.bulk_size > MAX_BULK_SIZE {
        return Err(SendError::BulkTooLarge(cfg.bulk_size));
    }
    if cfg.concurrency == 0 {
        return Err(SendError::NoConcurrency);
    }
    if !(cfg.rate >= 0.0 && cfg.rate.is_finite()) {
        return Err(SendError::BadRate(cfg.rate));
    }
    let path = if cfg.bulk_size == 0 {
        "v2/events"
    } else {
        "v2/bulkevents"
    };
    let endpoint = endpoint(&cfg.url, path)?;
    let auth = basic_auth(&cfg.key, &cfg.secret).ok_or(SendError::BadCredentials)?;

    // One in-flight request per user at most, so that shards are never empty and each
    // user's batches stay ordered.
    let workers = worker_count(cfg, workload);
    let mut shards = Vec::with_capacity(workers as usize);
    for w in 0..workers {
        shards.push(Workload::shard(workload.clone(), w, workers)?);
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(workers as usize)
        .tcp_nodelay(true)
        .timeout(cfg.request_timeout)
        .build()
        .map_err(SendError::Client)?;

    let start = tokio::time::Instant::now();
    let plan = Arc::new(Plan {
        client,
        endpoint,
        auth,
        content_type: HeaderValue::from_static("application/json"),
        bulk: cfg.bulk_size > 0,
        per_request: cfg.bulk_size.max(1) as u64,
        workers,
        clock_start_ms: cfg.clock_start_ms,
        rate: cfg.rate,
        batches: cfg.batches,
        start,
        deadline: cfg.duration.map(|d| start + d),
    });
    let shared = Arc::new(Shared::default());

    let progress = cfg.progress_every.map(|every| {
        let shared = shared.clone();
        tokio::spawn(progress_loop(shared, every, start.into_std()))
    });

    let handles: Vec<_> = shards
        .into_iter()
        .map(|wl| tokio::spawn(worker(plan.clone(), shared.clone(), wl)))
        .collect();
    let mut latency = new_histogram();
    let mut errors = BTreeMap::new();
    let mut requests = 0;
    let mut requests_accepted = 0;
    let mut stats = WorkloadStats::default();
    for h in handles {
        let r = h.await.expect("a load worker panicked");
        latency
            .add(&r.latency)
            .expect("histograms share their bounds");
        for (k, v) in r.errors {
            *errors.entry(k).or_insert(0) += v;
        }
        requests += r.requests;
        requests_accepted += r.requests_accepted;
        stats += r.stats;
    }
    let elapsed = start.elapsed().as_secs_f64();
    if let Some(p) = progress {
        p.abort();
    }

    let batches_accepted = shared.batches_accepted.load(Relaxed);
    let events_accepted = shared.events_accepted.load(Relaxed);
    let per_sec = |n: u64| {
        if elapsed > 0.0 {
            n as f64 / elapsed
        } else {
            0.0
        }
    };
    Ok(SendReport {
        elapsed_secs: elapsed,
        requests,
        requests_accepted,
        batches_sent: shared.batches_sent.load(Relaxed),
        batches_accepted,
        events_accepted,
        batches_per_sec: per_sec(batches_accepted),
        events_per_sec: per_sec(events_accepted),
        latency_ms: Latency::from_histogram(&latency),
        errors,
        workload: stats,
    })
}

async fn worker(plan: Arc<Plan>, shared: Arc<Shared>, mut wl: Workload) -> WorkerResult {
    let mut out = WorkerResult {
        latency: new_histogram(),
        errors: BTreeMap::new(),
        requests: 0,
        requests_accepted: 0,
        stats: WorkloadStats::default(),
    };
    let mut capacity = 1024;
    let worker_index = wl.shard_index();
    for r in (worker_index..).step_by(plan.workers as usize) {
        let first_batch = r.saturating_mul(plan.per_request);
        let Some(n) = batches_in_request(first_batch, plan.per_request, plan.batches) else {
            break;
        };
        if plan.rate > 0.0 {
            let at = plan.start + Duration::from_secs_f64(first_batch as f64 / plan.rate);
            if plan.deadline.is_some_and(|d| at >= d) {
                break;
            }
            tokio::time::sleep_until(at).await;
        } else if plan
            .deadline
            .is_some_and(|d| tokio::time::Instant::now() >= d)
        {
            break;
        }

        let now_ms = match plan.clock_start_ms {
            Some(start) => fixed_clock_ms(start, first_batch),
            None => unix_ms(),
        };
        let mut body = Vec::with_capacity(capacity);
        let events = write_request(&mut wl, plan.bulk, n, now_ms, &mut body);
        // Size the next buffer from this one so a body is allocated once, not grown.
        capacity = capacity.max(body.len() + body.len() / 4);
        shared.batches_sent.fetch_add(n, Relaxed);
        out.requests += 1;

        let t0 = Instant::now();
        let answer = plan
            .client
            .post(plan.endpoint.clone())
            .header(AUTHORIZATION, plan.auth.clone())
            .header(CONTENT_TYPE, plan.content_type.clone())
            .body(body)
            .send()
            .await;
        let failure = match answer {
            Ok(resp) => {
                let status = resp.status();
                // Read the body to its end so the connection goes back to the pool.
                match resp.bytes().await {
                    Ok(_) => {
                        out.latency
                            .saturating_record(t0.elapsed().as_micros().max(1) as u64);
                        if status.is_success() {
                            out.requests_accepted += 1;
                            shared.batches_accepted.fetch_add(n, Relaxed);
                            shared.events_accepted.fetch_add(events, Relaxed);
                            None
                        } else {
                            Some(format!("http_{}", status.as_u16()))
                        }
                    }
                    Err(e) => Some(error_kind(&e).to_owned()),
                }
            }
            Err(e) => Some(error_kind(&e).to_owned()),
        };
        if let Some(kind) = failure {
            shared.errors.fetch_add(1, Relaxed);
            *out.errors.entry(kind).or_insert(0) += 1;
        }
    }
    out.stats = *wl.stats();
    out
}

/// Workers a run uses: one per in-flight request, at most one per user, so that shards
/// are never empty and each user's batches stay ordered.
fn worker_count(cfg: &SendConfig, workload: &WorkloadConfig) -> u64 {
    (cfg.concurrency as u64).min(workload.users.max(1))
}

/// How many batches the request starting at `first_batch` carries; `None` past the end
/// of a bounded run.
fn batches_in_request(first_batch: u64, per_request: u64, total: Option<u64>) -> Option<u64> {
    match total {
        Some(total) if first_batch >= total => None,
        Some(total) => Some(per_request.min(total - first_batch)),
        None => Some(per_request),
    }
}

/// The fixed clock: one millisecond per batch from the start, so every user's batches
/// carry increasing timestamps.
fn fixed_clock_ms(start_ms: i64, first_batch: u64) -> i64 {
    start_ms.saturating_add(i64::try_from(first_batch).unwrap_or(i64::MAX))
}

/// Append one request's body (`n` batches: a single batch, or a bulk array) to `body`;
/// returns the events it holds.
fn write_request(wl: &mut Workload, bulk: bool, n: u64, now_ms: i64, body: &mut Vec<u8>) -> u64 {
    let mut events = 0u64;
    if bulk {
        body.push(b'[');
        for i in 0..n {
            if i > 0 {
                body.push(b',');
            }
            events += u64::from(wl.write_batch(now_ms, body).events);
        }
        body.push(b']');
    } else {
        events += u64::from(wl.write_batch(now_ms, body).events);
    }
    events
}

/// The bodies a bounded run with a fixed clock sends, by request number — exactly what
/// [`run`] puts on the wire for the same configurations, without sending anything. A
/// run sends them concurrently, but each user's requests in this order.
pub fn request_bodies(
    cfg: &SendConfig,
    workload: &WorkloadConfig,
) -> Result<Vec<Vec<u8>>, SendError> {
    let (Some(total), Some(clock)) = (cfg.batches, cfg.clock_start_ms) else {
        return Err(SendError::NotRepeatable);
    };
    let workers = worker_count(cfg, workload);
    let per_request = cfg.bulk_size.max(1) as u64;
    let mut shards = (0..workers)
        .map(|w| Workload::shard(workload.clone(), w, workers))
        .collect::<Result<Vec<_>, _>>()?;
    let mut bodies = Vec::new();
    for r in 0.. {
        let first_batch = r * per_request;
        let Some(n) = batches_in_request(first_batch, per_request, Some(total)) else {
            break;
        };
        let wl = &mut shards[(r % workers) as usize];
        let mut body = Vec::new();
        write_request(
            wl,
            cfg.bulk_size > 0,
            n,
            fixed_clock_ms(clock, first_batch),
            &mut body,
        );
        bodies.push(body);
    }
    Ok(bodies)
}

async fn progress_loop(shared: Arc<Shared>, every: Duration, start: Instant) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    let (mut last_batches, mut last_events, mut last_at) = (0u64, 0u64, start);
    loop {
        tick.tick().await;
        let now = Instant::now();
        let batches = shared.batches_accepted.load(Relaxed);
        let events = shared.events_accepted.load(Relaxed);
        let dt = now.duration_since(last_at).as_secs_f64().max(1e-9);
        eprintln!(
            "[{:>6.1}s] sent {} batches, accepted {} ({:.0}/s), events {} ({:.0}/s), errors {}",
            now.duration_since(start).as_secs_f64(),
            shared.batches_sent.load(Relaxed),
            batches,
            (batches - last_batches) as f64 / dt,
            events,
            (events - last_events) as f64 / dt,
            shared.errors.load(Relaxed),
        );
        (last_batches, last_events, last_at) = (batches, events, now);
    }
}

/// `base/path`, tolerating a trailing slash on the base.
pub(crate) fn endpoint(base: &str, path: &str) -> Result<reqwest::Url, SendError> {
    let joined = format!("{}/{}", base.trim_end_matches('/'), path);
    reqwest::Url::parse(&joined).map_err(|e| SendError::BadUrl {
        url: base.to_owned(),
        reason: e.to_string(),
    })
}

/// The `Authorization` header for HTTP Basic credentials, built once per run.
pub fn basic_auth(user: &str, password: &str) -> Option<HeaderValue> {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let mut v = HeaderValue::from_str(&format!("Basic {token}")).ok()?;
    v.set_sensitive(true);
    Some(v)
}

/// A short, stable name for a transport failure (used as an error-count key).
pub fn error_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    }
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs to one hour at three significant digits: every plausible answer fits.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
