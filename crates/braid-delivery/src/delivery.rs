//! The delivery loop: a dispatcher that assembles requests from the outbox lanes, and a
//! worker per request that sends it and handles every answer class.
//!
//! A lane belongs to at most one request at a time and its entries are completed in the
//! outbox before the lane is read again, so a user's objects reach Braze in order and a
//! restart resends at most the requests that were in flight (at-least-once). The
//! dispatcher fills one request from several free lanes (each contributing a prefix), so
//! requests are full under load even when each lane alone is not; a request that is not
//! full is held by the adaptive linger (stream, see `linger`: at most `max_linger_ms`) or
//! until the `bulk_interval_ms` tick (bulk). Requests in
//! flight are capped by `max_concurrency`.
//!
//! Per request ([`Worker::settle`]): pace, send, classify, then
//! - success: deliver; partial: deliver all but the failed objects, dead-letter those with
//!   Braze's error type; fatal 400 or 413: bisect until the bad objects are alone, then
//!   dead-letter them;
//! - 429: pause every sender until the reset and retry; 5xx/408/timeouts/connection
//!   errors: retry with exponential backoff and jitter, forever (nothing is dropped);
//! - 401/403: stop every lane, keep everything queued, flag it in [`DeliveryStatus`],
//!   and probe with a one-entry request every `auth_probe_interval_ms`
//!   until Braze accepts the key or [`DeliveryHandle::update_api_key`] is called.
//!
//! `/users/delete` requests (erasures) go the same way; what became of each one is also
//! told to whoever subscribed with [`DeliveryHandle::delete_reports`] (data subject
//! requests), after the outbox has recorded it.

use crate::budget::RateBudget;
use crate::config::{DeliveryConfig, Mode};
use crate::linger;
use crate::pacer::LocalBudget;
use crate::request::{BrazeRequest, Endpoint, Item, Packer, Refusal, MAX_IDS_PER_REQUEST};
use crate::sender::{Answer, Sender};
use crate::DeliveryError;
use braid_braze::billing::DataPoints;
use braid_braze::limits::Limits;
use braid_braze::response::{classify, FailedObject, Outcome, RateLimitInfo};
use braid_braze::validate::validate_object;
use braid_core::clock::now_ms;
use braid_core::storage::Outbox;
use braid_core::{DeadLetter, OutboxEntry, OutboxPayload};
use rand::Rng;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch, Notify, Semaphore};
use tokio::time::Instant;

/// How long an idle lane sleeps before looking again without being woken (a safety
/// net in case a wake-up is missed; the pipeline normally wakes delivery).
const IDLE_POLL: Duration = Duration::from_millis(500);

/// The smallest pause after a 429 whose reset is already past (clock skew), so a lane
/// never spins on 429s.
const MIN_RATE_LIMIT_PAUSE: Duration = Duration::from_millis(250);

/// While Braze refuses the key, how often an idle dispatcher looks whether another node's
/// probe (through a shared budget) found it accepted again.
const AUTH_RECHECK: Duration = Duration::from_millis(250);

/// Delivery's state for the admin API and `/readyz`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeliveryStatus {
    /// No REST key: requests are written to the dry-run file.
    pub dry_run: bool,
    /// Braze rejected the key (401/403); nothing is sent until a probe succeeds or the
    /// key is replaced.
    pub auth_failed: bool,
    /// Every sender is paused until this time (UNIX ms) after a 429 or an exhausted
    /// rate-limit window.
    pub paused_until_ms: Option<i64>,
    /// The last problem seen (failed request, refused key, storage error).
    pub last_error: Option<String>,
    /// Why the shared rate budget cannot be consulted (Redis unreachable); while set, no
    /// request starts and everything stays queued.
    pub rate_budget_error: Option<String>,
    /// When Braze last accepted a request (UNIX ms).
    pub last_success_ms: Option<i64>,
    /// Requests sent (answers of any kind, dry-run lines included).
    pub requests: u64,
    /// Outbox entries acknowledged by Braze (or written in dry run).
    pub delivered: u64,
    /// Entries moved to the dead letters.
    pub dead_lettered: u64,
    /// Retries (429, 5xx, timeouts, connection errors).
    pub retries: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// Data points of delivered objects, by kind.
    pub data_points: DataPoints,
}

/// What became of one `/users/delete` request (or of one part of it, when Braze refused
/// a request and delivery bisected it). Settled reports are sent after the outbox has
/// recorded the outcome, so an id reported settled no longer waits there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteReport {
    /// Braze acknowledged the request (or, in dry run, it was written to the file).
    Acknowledged { external_ids: Vec<String> },
    /// Braze refused the id for good; it is in the dead letters with this reason.
    Refused {
        external_ids: Vec<String>,
        reason: String,
    },
    /// The request failed for now and is retried (outage, 429, refused key, ...).
    Retrying {
        external_ids: Vec<String>,
        problem: String,
    },
}

/// The Braze delivery loop, before it runs. See the module docs.
pub struct Delivery {
    shared: Arc<Shared>,
}

/// A cheap handle to a running delivery: status, wake-ups and key reloads.
#[derive(Clone)]
pub struct DeliveryHandle {
    shared: Arc<Shared>,
}

struct Shared {
    outbox: Arc<dyn Outbox>,
    config: DeliveryConfig,
    /// Braze's limits (`[braze.limits]`), shared with the mapping.
    limits: Limits,
    sender: Sender,
    /// Pacing, Braze's pauses and the refused-key flag, shared with every sender of the
    /// workspace (this node's lanes, or every node through Redis).
    budget: Arc<dyn RateBudget>,
    in_flight: Arc<Semaphore>,
    /// Lanes owned by a request being sent.
    busy: Mutex<Vec<bool>>,
    status: Mutex<DeliveryStatus>,
    auth: watch::Sender<bool>,
    next_probe_at: Mutex<Instant>,
    wake: watch::Sender<u64>,
    /// Where [`DeleteReport`]s go, once someone subscribed.
    delete_reports: Mutex<Option<mpsc::UnboundedSender<DeleteReport>>>,
}

impl Delivery {
    /// Prepare delivery of `outbox` to Braze within `limits` (the mapping's, so that both
    /// read one setting). `data_dir` holds the default dry-run file. The rate budget is
    /// this process's own ([`LocalBudget`]); see [`Delivery::new_with_budget`] for many
    /// nodes.
    pub fn new(
        outbox: Arc<dyn Outbox>,
        config: DeliveryConfig,
        limits: Limits,
        data_dir: &Path,
    ) -> Result<Delivery, DeliveryError> {
        let budget = Arc::new(LocalBudget::new(config.rate_limit, config.pacing_window()));
        Delivery::new_with_budget(outbox, config, limits, data_dir, budget)
    }

    /// Like [`Delivery::new`], pacing with `budget` (for example a
    /// [`crate::RedisBudget`] shared by every node sending to the same Braze workspace,
    /// made with `config.rate_limit` and `config.pacing_window()`).
    pub fn new_with_budget(
        outbox: Arc<dyn Outbox>,
        config: DeliveryConfig,
        limits: Limits,
        data_dir: &Path,
        budget: Arc<dyn RateBudget>,
    ) -> Result<Delivery, DeliveryError> {
        config
            .validate()
            .map_err(|(key, problem)| DeliveryError::Config { key, problem })?;
        let dry_run_path = config
            .dry_run_path
            .clone()
            .unwrap_or_else(|| data_dir.join("dry-run.jsonl"));
        let sender = Sender::new(
            config.instance.rest_url(),
            config.rest_api_key.clone(),
            config.request_timeout(),
            dry_run_path,
        )
        .map_err(|e| DeliveryError::Client(e.to_string()))?;
        let lane_count = outbox.lane_count();
        let concurrency = config.max_concurrency.unwrap_or(lane_count.max(1) as usize);
        let status = DeliveryStatus {
            dry_run: config.is_dry_run(),
            ..DeliveryStatus::default()
        };
        let shared = Shared {
            outbox,
            sender,
            budget,
            in_flight: Arc::new(Semaphore::new(concurrency)),
            busy: Mutex::new(vec![false; lane_count as usize]),
            status: Mutex::new(status),
            auth: watch::Sender::new(false),
            next_probe_at: Mutex::new(Instant::now()),
            wake: watch::Sender::new(0),
            delete_reports: Mutex::new(None),
            config,
            limits,
        };
        Ok(Delivery {
            shared: Arc::new(shared),
        })
    }

    /// A handle for status, wake-ups and key reloads (valid while and after running).
    pub fn handle(&self) -> DeliveryHandle {
        DeliveryHandle {
            shared: self.shared.clone(),
        }
    }

    /// A snapshot of delivery's status.
    pub fn status(&self) -> DeliveryStatus {
        self.shared.snapshot()
    }

    /// Deliver until `shutdown` turns true. `new_entries` is notified by the pipeline when
    /// it has queued entries (delivery also polls, so a missed notification only delays).
    ///
    /// On shutdown no new request starts; a request in flight finishes and is completed,
    /// entries waiting for a retry stay queued.
    pub async fn run(self, new_entries: Arc<Notify>, shutdown: watch::Receiver<bool>) {
        let shared = self.shared;
        if shared.sender.is_dry_run() {
            tracing::warn!(
                path = %shared.sender.dry_run_path().display(),
                "no braze rest api key configured: dry run, requests are written to a file and not sent"
            );
        }
        let relay = {
            let shared = shared.clone();
            let mut shutdown = shutdown.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = new_entries.notified() => shared.wake_all(),
                        _ = shutdown.wait_for(|stop| *stop) => return,
                    }
                }
            })
        };
        Dispatcher { shared, shutdown }.run().await;
        relay.abort();
    }
}

impl DeliveryHandle {
    /// A snapshot of delivery's status.
    pub fn status(&self) -> DeliveryStatus {
        self.shared.snapshot()
    }

    /// Look at the outbox now (after new entries or a dead-letter replay).
    pub fn wake(&self) {
        self.shared.wake_all();
    }

    /// Hear what becomes of every `/users/delete` request from now on. One subscriber:
    /// a new call replaces the previous one. Subscribe before [`Delivery::run`] so that
    /// no report is missed.
    pub fn delete_reports(&self) -> mpsc::UnboundedReceiver<DeleteReport> {
        let (sender, receiver) = mpsc::unbounded_channel();
        *self
            .shared
            .delete_reports
            .lock()
            .expect("report lock poisoned") = Some(sender);
        receiver
    }

    /// Use another REST key (config reload): clears an auth failure and resumes at once.
    /// `None` switches to dry run.
    pub fn update_api_key(&self, key: Option<braid_core::Secret>) {
        let dry_run = key.is_none();
        self.shared.sender.set_key(key);
        self.shared
            .status
            .lock()
            .expect("status lock poisoned")
            .dry_run = dry_run;
        self.shared.auth_recovered();
        tracing::info!(dry_run, "braze rest api key replaced");
        self.shared.wake_all();
    }
}

impl Shared {
    fn snapshot(&self) -> DeliveryStatus {
        let mut status = self.status.lock().expect("status lock poisoned").clone();
        status.paused_until_ms = self
            .budget
            .paused_for()
            .map(|left| now_ms() + left.as_millis() as i64);
        status.auth_failed = self.budget.auth_failed();
        status.rate_budget_error = self.budget.problem();
        status
    }

    fn wake_all(&self) {
        self.wake
            .send_modify(|generation| *generation = generation.wrapping_add(1));
    }

    fn is_auth_failed(&self) -> bool {
        self.budget.auth_failed()
    }

    fn auth_failure(&self, status: u16, message: &str) {
        *self.next_probe_at.lock().expect("probe lock poisoned") =
            Instant::now() + self.config.auth_probe_interval();
        let was_failed = self.budget.auth_failed();
        // Set even when already set: a failed probe keeps the shared flag alive.
        self.budget.set_auth_failed(true);
        self.auth.send_replace(true);
        let error = format!("braze answered {status}: {message}");
        {
            let mut s = self.status.lock().expect("status lock poisoned");
            s.auth_failed = true;
            s.last_error = Some(error.clone());
        }
        metrics::gauge!("braid_delivery_auth_failed").set(1.0);
        if !was_failed {
            tracing::error!(
                status,
                message,
                probe_interval_ms = self.config.auth_probe_interval_ms,
                "braze rejected the rest api key: sending is paused, everything stays queued"
            );
        }
    }

    fn auth_recovered(&self) {
        if self.budget.auth_failed() {
            tracing::info!("braze accepts the rest api key again: sending resumes");
        }
        self.budget.set_auth_failed(false);
        self.auth.send_replace(false);
        self.status
            .lock()
            .expect("status lock poisoned")
            .auth_failed = false;
        metrics::gauge!("braid_delivery_auth_failed").set(0.0);
    }

    /// Whether this caller may send the next probe (one per interval, across lanes).
    fn claim_probe(&self) -> bool {
        let mut next = self.next_probe_at.lock().expect("probe lock poisoned");
        let now = Instant::now();
        if now >= *next {
            *next = now + self.config.auth_probe_interval();
            true
        } else {
            false
        }
    }

    fn next_probe_at(&self) -> Instant {
        *self.next_probe_at.lock().expect("probe lock poisoned")
    }

    fn report_delete(&self, report: DeleteReport) {
        if let Some(sender) = &*self.delete_reports.lock().expect("report lock poisoned") {
            // A subscriber that went away (shutdown) has nothing left to learn.
            let _ = sender.send(report);
        }
    }

    fn note_error(&self, error: String) {
        self.status.lock().expect("status lock poisoned").last_error = Some(error);
    }

    /// Obey the rate-limit headers of any answer: an exhausted window pauses everyone.
    fn observe_rate_limit(&self, info: &RateLimitInfo, status: u16) {
        if status == 429 {
            self.status
                .lock()
                .expect("status lock poisoned")
                .rate_limited += 1;
            metrics::counter!("braid_braze_rate_limited_total").increment(1);
            let pause = self.until_reset(info).unwrap_or(self.config.rate_window());
            self.budget.pause_until(pause.max(MIN_RATE_LIMIT_PAUSE));
            tracing::warn!(
                pause_ms = pause.as_millis() as u64,
                "braze answered 429: every sender pauses until the rate-limit reset"
            );
        } else if info.exhausted() {
            if let Some(pause) = self.until_reset(info) {
                self.budget.pause_until(pause);
            }
        }
    }

    fn until_reset(&self, info: &RateLimitInfo) -> Option<Duration> {
        let now = u64::try_from(now_ms()).unwrap_or(0);
        let reset_ms = info.reset_at_unix_s(now / 1000)?.saturating_mul(1000);
        Some(Duration::from_millis(reset_ms.saturating_sub(now)))
    }

    fn validator(&self) -> impl Fn(&braid_braze::wire::TrackObject) -> Result<(), String> + '_ {
        move |object| {
            validate_object(object.array, &object.body, &self.limits).map_err(|e| e.to_string())
        }
    }
}

/// How one request (or one bisected part of it) ended.
enum Settled {
    /// Braze processed every object.
    Delivered,
    /// Braze processed all but these (`(item index, error type)`).
    Partial {
        failed: Vec<(usize, String)>,
        status: u16,
    },
    /// Braze rejected the whole request.
    Rejected { status: u16, message: String },
    /// The body was too large (413).
    TooLarge,
    /// Not settled: shutdown, or the key was refused; the entries stay queued.
    Stopped,
}

/// A request being assembled or in flight owns its lanes: no other request takes
/// entries from them until it is completed (per-lane order).
struct LaneLease {
    shared: Arc<Shared>,
    lanes: Vec<u32>,
}

impl Drop for LaneLease {
    fn drop(&mut self) {
        {
            let mut busy = self.shared.busy.lock().expect("busy lock poisoned");
            for lane in &self.lanes {
                busy[*lane as usize] = false;
            }
        }
        // Freed lanes may hold more entries.
        self.shared.wake_all();
    }
}

/// Entries gathered from the free lanes for the next request.
struct Gathered {
    request: Option<BrazeRequest>,
    refused: Vec<Refusal>,
    /// Send now: the request is full, or a lane's next entry waits for it.
    urgent: bool,
}

/// Assembles requests from the free lanes and starts a [`Worker`] for each.
struct Dispatcher {
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
}

impl Dispatcher {
    async fn run(mut self) {
        let shared = self.shared.clone();
        let mut wake = shared.wake.subscribe();
        let mut auth = shared.auth.subscribe();
        let mut tasks = tokio::task::JoinSet::new();
        // When the dispatcher first held back a request that was not full (linger).
        let mut pending_since: Option<Instant> = None;
        // The held request's size at the dispatcher's last look, and when (since
        // `pending_since`): how fast it fills.
        let mut last_look: Option<(usize, Duration)> = None;
        let mut last_flush = Instant::now();
        let mut rotation: u32 = 0;
        loop {
            while let Some(done) = tasks.try_join_next() {
                if let Err(e) = done {
                    tracing::error!(error = %e, "delivery request task failed");
                }
            }
            if stopping(&self.shutdown) {
                break;
            }
            // A free request slot first: assembling a request that cannot start would
            // only hold its lanes.
            let permit = tokio::select! {
                permit = shared.in_flight.clone().acquire_owned() => permit.expect("never closed"),
                _ = self.shutdown.changed() => continue,
            };
            let probing = shared.is_auth_failed();
            if probing && Instant::now() < shared.next_probe_at() {
                drop(permit);
                let probe_at = shared.next_probe_at();
                tokio::select! {
                    _ = auth.wait_for(|failed| !*failed) => {}
                    // Another node's probe may clear a shared flag first.
                    _ = tokio::time::sleep_until(probe_at.min(Instant::now() + AUTH_RECHECK)) => {}
                    _ = self.shutdown.changed() => {}
                }
                continue;
            }
            wake.borrow_and_update();
            let gathered = {
                let shared = shared.clone();
                let start = rotation;
                tokio::task::spawn_blocking(move || {
                    let started = std::time::Instant::now();
                    let gathered = gather(&shared, probing, start);
                    record_stage("read_outbox", started);
                    gathered
                })
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
            };
            rotation = rotation.wrapping_add(1);
            let gathered = match gathered {
                Ok(gathered) => gathered,
                Err(e) => {
                    drop(permit);
                    tracing::error!(error = %e, "reading the outbox failed");
                    shared.note_error(format!("reading the outbox: {e}"));
                    sleep_or_stop(&mut self.shutdown, Duration::from_secs(1)).await;
                    continue;
                }
            };
            if gathered.request.is_none() && gathered.refused.is_empty() {
                drop(permit);
                pending_since = None;
                last_look = None;
                tokio::select! {
                    _ = wake.changed() => {}
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                    _ = self.shutdown.changed() => {}
                }
                continue;
            }
            if gathered.request.is_some() && !probing && !gathered.urgent {
                let now = Instant::now();
                let wait = match shared.config.mode {
                    Mode::Stream => {
                        let since = *pending_since.get_or_insert(now);
                        let (objects, capacity) =
                            gathered.request.as_ref().map_or((0, 1), |request| {
                                let capacity = match request.endpoint {
                                    Endpoint::Track => shared.limits.contract.max_total(),
                                    _ => MAX_IDS_PER_REQUEST,
                                };
                                (request.len(), capacity)
                            });
                        let at = now - since;
                        let arriving_per_sec = last_look
                            .and_then(|before| linger::arrival_rate(before, (objects, at)));
                        last_look = Some((objects, at));
                        let held = linger::Held {
                            objects,
                            capacity,
                            waited: at,
                            arriving_per_sec,
                            budget_wait: shared.budget.wait_hint(),
                        };
                        match linger::decide(
                            held,
                            Duration::from_millis(shared.config.max_linger_ms),
                        ) {
                            linger::Decision::Send => None,
                            linger::Decision::LookAgainIn(wait) => Some(wait),
                        }
                    }
                    Mode::Bulk => {
                        let deadline =
                            last_flush + Duration::from_millis(shared.config.bulk_interval_ms);
                        (now < deadline).then(|| deadline - now)
                    }
                };
                if let Some(wait) = wait {
                    drop(permit);
                    // Not woken by new entries here: re-reading every lane on each
                    // notification under load costs more than the linger saves; the
                    // linger looks again when the arrivals should have filled it.
                    sleep_or_stop(&mut self.shutdown, wait).await;
                    continue;
                }
            }
            if probing && gathered.request.is_some() {
                if !shared.claim_probe() {
                    continue;
                }
                tracing::info!("probing braze with one request");
            }
            pending_since = None;
            last_look = None;
            last_flush = Instant::now();
            let mut lanes: Vec<u32> = gathered
                .request
                .iter()
                .flat_map(|b| b.items.iter().map(|i| i.lane))
                .chain(gathered.refused.iter().map(|r| r.lane))
                .collect();
            lanes.sort_unstable();
            lanes.dedup();
            {
                let mut busy = shared.busy.lock().expect("busy lock poisoned");
                for lane in &lanes {
                    busy[*lane as usize] = true;
                }
            }
            let lease = LaneLease {
                shared: shared.clone(),
                lanes,
            };
            let mut worker = Worker {
                shared: shared.clone(),
                shutdown: self.shutdown.clone(),
            };
            tasks.spawn(async move {
                worker
                    .deliver(gathered.request, gathered.refused, probing)
                    .await;
                drop(lease);
                drop(permit);
            });
        }
        // No new request starts; let the ones in flight finish and complete.
        while let Some(done) = tasks.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = %e, "delivery request task failed");
            }
        }
    }
}

/// Read the free lanes, starting at `start`, into one request (blocking storage calls).
fn gather(shared: &Shared, probing: bool, start: u32) -> braid_core::StoreResult<Gathered> {
    let lanes = shared.outbox.lane_count();
    let busy = shared.busy.lock().expect("busy lock poisoned").clone();
    let limits = &shared.limits;
    let mut packer = Packer::new(limits);
    let peek_max = if probing {
        packer = packer.with_max_items(1);
        1
    } else {
        limits.contract.max_total().max(MAX_IDS_PER_REQUEST)
    };
    let validator = shared.validator();
    let mut refused = Vec::new();
    for k in 0..lanes {
        let lane = (start.wrapping_add(k)) % lanes;
        if busy.get(lane as usize).copied().unwrap_or(true) {
            continue;
        }
        let entries = shared.outbox.peek(lane, peek_max)?;
        if entries.is_empty() {
            continue;
        }
        refused.extend(packer.offer(lane, entries, &validator).0);
        if packer.is_full() {
            break;
        }
    }
    let urgent = packer.is_full() || packer.is_blocking();
    Ok(Gathered {
        request: packer.finish(),
        refused,
        urgent,
    })
}

fn stopping(shutdown: &watch::Receiver<bool>) -> bool {
    // A dropped sender must not make the loops spin on `changed()`.
    *shutdown.borrow() || shutdown.has_changed().is_err()
}

async fn sleep_or_stop(shutdown: &mut watch::Receiver<bool>, delay: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(delay) => {}
        _ = shutdown.changed() => {}
    }
}

/// Delivered positions and dead letters of one lane.
type LaneCompletion = (Vec<u64>, Vec<(u64, DeadLetter)>);

/// Complete lanes in order; on a failure, the lanes not completed (the failing one first)
/// and the error.
fn complete_lanes(
    outbox: &dyn Outbox,
    work: Vec<(u32, LaneCompletion)>,
) -> Result<(), (Vec<(u32, LaneCompletion)>, String)> {
    let mut work = work.into_iter();
    while let Some((lane, (positions, dead_letters))) = work.next() {
        if let Err(e) = outbox.complete(lane, &positions, dead_letters.clone()) {
            let mut rest = vec![(lane, (positions, dead_letters))];
            rest.extend(work);
            return Err((rest, format!("lane {lane}: {e}")));
        }
    }
    Ok(())
}

/// Sends one request (bisecting it as needed) and completes its entries.
struct Worker {
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
}

impl Worker {
    fn stopping(&self) -> bool {
        stopping(&self.shutdown)
    }

    /// Send a request (bisecting as needed) and complete what settled.
    async fn deliver(
        &mut self,
        request: Option<BrazeRequest>,
        refusals: Vec<Refusal>,
        probing: bool,
    ) {
        let mut delivered: Vec<Item> = Vec::new();
        let mut refused: Vec<(u32, u64, DeadLetter)> = refusals
            .into_iter()
            .map(|r| {
                tracing::warn!(lane = r.lane, position = r.position, reason = %r.reason, "object refused by the validator");
                (r.lane, r.position, dead_letter(r.entry, r.reason, None, "invalid"))
            })
            .collect();
        let mut reports: Vec<DeleteReport> = Vec::new();
        let mut queue: VecDeque<BrazeRequest> = request.into_iter().collect();
        while let Some(mut request) = queue.pop_front() {
            let settled = self.settle(&mut request, probing).await;
            if request.endpoint == Endpoint::Delete && !request.is_empty() {
                reports.extend(delete_report(&request, &settled));
            }
            match settled {
                Settled::Delivered => delivered.extend(request.items),
                Settled::Partial { failed, status } => {
                    let mut items: Vec<Option<Item>> =
                        request.items.into_iter().map(Some).collect();
                    for (index, error_type) in failed {
                        if let Some(item) = items.get_mut(index).and_then(Option::take) {
                            tracing::warn!(lane = item.lane, position = item.position, error_type = %error_type, "braze refused an object");
                            refused.push((
                                item.lane,
                                item.position,
                                dead_letter(item.entry, error_type, Some(status), "partial"),
                            ));
                        }
                    }
                    delivered.extend(items.into_iter().flatten());
                }
                Settled::Rejected { status, message } if request.len() > 1 => {
                    tracing::info!(objects = request.len(), status, message = %message, "braze rejected a request: bisecting");
                    let (first, second) = request.split();
                    queue.push_front(second);
                    queue.push_front(first);
                }
                Settled::Rejected { status, message } => {
                    let item = request.items.into_iter().next().expect("one item");
                    tracing::warn!(lane = item.lane, position = item.position, status, message = %message, "braze rejected an object");
                    refused.push((
                        item.lane,
                        item.position,
                        dead_letter(item.entry, message, Some(status), "rejected"),
                    ));
                }
                Settled::TooLarge if request.len() > 1 => {
                    let (first, second) = request.split();
                    queue.push_front(second);
                    queue.push_front(first);
                }
                Settled::TooLarge => {
                    let item = request.items.into_iter().next().expect("one item");
                    refused.push((
                        item.lane,
                        item.position,
                        dead_letter(
                            item.entry,
                            "Payload Too Large".into(),
                            Some(413),
                            "too_large",
                        ),
                    ));
                }
                Settled::Stopped => break,
            }
        }
        if self.complete(delivered, refused).await {
            for report in reports {
                self.shared.report_delete(report);
            }
        }
    }

    /// Record the result in the outbox, one commit per lane, retrying storage errors
    /// (a lost completion would only resend, but keep trying while running). False when
    /// shutdown came first and some of it is not recorded.
    async fn complete(
        &mut self,
        delivered: Vec<Item>,
        refused: Vec<(u32, u64, DeadLetter)>,
    ) -> bool {
        if delivered.is_empty() && refused.is_empty() {
            return true;
        }
        let delivered_count = delivered.len() as u64;
        let dead = refused.len() as u64;
        let mut points = DataPoints::default();
        let now = now_ms();
        let mut per_lane: BTreeMap<u32, LaneCompletion> = BTreeMap::new();
        for item in &delivered {
            if let OutboxPayload::Track { object } = &item.entry.payload {
                points.add(
                    object.array,
                    braid_braze::billing::object_data_points(object.array, &object.body),
                );
            }
            let latency_ms = now.saturating_sub(item.entry.accepted_ms).max(0);
            metrics::histogram!("braid_delivery_ack_latency_seconds")
                .record(latency_ms as f64 / 1000.0);
            per_lane.entry(item.lane).or_default().0.push(item.position);
        }
        for (lane, position, dead) in refused {
            per_lane.entry(lane).or_default().1.push((position, dead));
        }
        let started = std::time::Instant::now();
        // All lanes of the request in one blocking call: a thread hand-off per lane costs
        // more than the (in-memory) acknowledgement itself on a busy machine.
        let mut remaining: Vec<(u32, LaneCompletion)> = per_lane.into_iter().collect();
        let mut attempt = 0;
        while !remaining.is_empty() {
            let outbox = self.shared.outbox.clone();
            let work = remaining.clone();
            let result = tokio::task::spawn_blocking(move || complete_lanes(&*outbox, work)).await;
            let error = match result {
                Ok(Ok(())) => break,
                Ok(Err((rest, e))) => {
                    remaining = rest;
                    e
                }
                // Completing twice is harmless: retry every lane.
                Err(e) => e.to_string(),
            };
            tracing::error!(error = %error, "completing delivered entries failed");
            self.shared
                .note_error(format!("completing delivered entries: {error}"));
            if self.stopping() {
                return false;
            }
            tokio::time::sleep(self.shared.config.backoff.delay(attempt, 0.0)).await;
            attempt += 1;
        }
        record_stage("complete", started);
        for (kind, value) in [
            ("attribute", points.attributes),
            ("event", points.events),
            ("purchase", points.purchases),
        ] {
            if value > 0 {
                metrics::counter!("braid_braze_data_points_total", "kind" => kind).increment(value);
            }
        }
        metrics::counter!("braid_braze_objects_total").increment(delivered_count);
        let mut status = self.shared.status.lock().expect("status lock poisoned");
        status.delivered += delivered_count;
        status.dead_lettered += dead;
        status.data_points.attributes += points.attributes;
        status.data_points.events += points.events;
        status.data_points.purchases += points.purchases;
        true
    }

    /// Send one request until Braze gives a final answer about it (or we must stop).
    ///
    /// Before each retry the request drops entries that left the outbox meanwhile (an
    /// erasure removes a user's entries): nothing about an erased user is sent after the
    /// erasure, even by a request that was already being retried.
    async fn settle(&mut self, request: &mut BrazeRequest, probing: bool) -> Settled {
        let mut body = request.body();
        let mut points = request.data_points().total();
        let endpoint_label = request.endpoint.path();
        let mut attempt: u32 = 0;
        let mut sent_before = false;
        loop {
            if self.stopping() || (!probing && self.shared.is_auth_failed()) {
                return Settled::Stopped;
            }
            if std::mem::replace(&mut sent_before, true) && self.drop_removed(request).await {
                if request.is_empty() {
                    return Settled::Delivered;
                }
                body = request.body();
                points = request.data_points().total();
            }
            if !self.shared.sender.is_dry_run() {
                let started = std::time::Instant::now();
                tokio::select! {
                    _ = self.shared.budget.acquire() => {}
                    _ = self.shutdown.changed() => continue,
                }
                record_stage("pace", started);
            }
            // The request slot (`max_concurrency`) is held by this worker's task.
            let started = std::time::Instant::now();
            let answer = self
                .shared
                .sender
                .send(request.endpoint, &body, points)
                .await;
            record_stage("send", started);
            self.shared
                .status
                .lock()
                .expect("status lock poisoned")
                .requests += 1;
            let (status, rate_limit, response) = match answer {
                Ok(Answer::DryRun) => {
                    metrics::counter!("braid_braze_requests_total", "endpoint" => endpoint_label, "status" => "dry_run").increment(1);
                    self.on_accepted(request);
                    return Settled::Delivered;
                }
                Ok(Answer::Http {
                    status,
                    rate_limit,
                    body,
                }) => (status, rate_limit, body),
                Err(e) => {
                    metrics::counter!("braid_braze_requests_total", "endpoint" => endpoint_label, "status" => e.reason()).increment(1);
                    tracing::warn!(error = %e, attempt, "braze request failed; retrying");
                    self.report_retry(request, format!("braze {endpoint_label} failed: {e}"));
                    self.shared.note_error(e.to_string());
                    self.retry_after_backoff(e.reason(), &mut attempt).await;
                    continue;
                }
            };
            metrics::counter!("braid_braze_requests_total", "endpoint" => endpoint_label, "status" => status.to_string()).increment(1);
            self.shared.observe_rate_limit(&rate_limit, status);
            match classify(status, &rate_limit, &response) {
                Outcome::Success => {
                    self.on_accepted(request);
                    return Settled::Delivered;
                }
                Outcome::PartialSuccess {
                    failed,
                    unattributed,
                } => {
                    self.on_accepted(request);
                    for error in &unattributed {
                        tracing::warn!(error = %error, "braze reported an error naming no object");
                    }
                    return Settled::Partial {
                        failed: locate(request, &failed),
                        status,
                    };
                }
                Outcome::Fatal {
                    status, message, ..
                } => {
                    if probing {
                        // A 400 means the key was accepted.
                        self.shared.auth_recovered();
                    }
                    return Settled::Rejected { status, message };
                }
                Outcome::PayloadTooLarge => return Settled::TooLarge,
                Outcome::AuthFailure { status, message } => {
                    self.report_retry(
                        request,
                        format!(
                            "braze answered {status}: {message}; retrying every {} ms",
                            self.shared.config.auth_probe_interval_ms
                        ),
                    );
                    self.shared.auth_failure(status, &message);
                    return Settled::Stopped;
                }
                Outcome::RateLimited { .. } => {
                    self.report_retry(
                        request,
                        "braze answered 429: waiting for the rate-limit reset".into(),
                    );
                    self.count_retry("rate_limited");
                    // The pause is already in the budget; the retry waits for it there.
                }
                Outcome::Retry { status } => {
                    self.report_retry(request, format!("braze answered {status}; retrying"));
                    self.shared.note_error(format!("braze answered {status}"));
                    self.retry_after_backoff("server_error", &mut attempt).await;
                }
                Outcome::NotFound => {
                    self.report_retry(
                        request,
                        "braze answered 404: check the instance; retrying".into(),
                    );
                    self.shared.note_error(format!(
                        "braze answered 404 for {}{}: check the instance",
                        self.shared.config.instance.rest_url(),
                        endpoint_label
                    ));
                    self.retry_after_backoff("not_found", &mut attempt).await;
                }
            }
        }
    }

    /// Remove from `request` the items no longer in the outbox; true when any was removed.
    /// A request's items of a lane are a prefix of that lane taken when it was gathered,
    /// and the lane stays leased, so the survivors are among the lane's first
    /// `peek_max` entries.
    async fn drop_removed(&self, request: &mut BrazeRequest) -> bool {
        let mut lanes: Vec<u32> = request.items.iter().map(|i| i.lane).collect();
        lanes.sort_unstable();
        lanes.dedup();
        let outbox = self.shared.outbox.clone();
        let peek_max = self
            .shared
            .limits
            .contract
            .max_total()
            .max(MAX_IDS_PER_REQUEST);
        let present = tokio::task::spawn_blocking(move || {
            let mut present = std::collections::HashSet::new();
            for lane in lanes {
                for (position, _) in outbox.peek(lane, peek_max)? {
                    present.insert((lane, position));
                }
            }
            Ok::<_, braid_core::StorageError>(present)
        })
        .await;
        let Ok(Ok(present)) = present else {
            // Cannot tell: send as gathered (at-least-once, as before).
            return false;
        };
        let before = request.items.len();
        request
            .items
            .retain(|item| present.contains(&(item.lane, item.position)));
        let removed = before - request.items.len();
        if removed > 0 {
            tracing::info!(
                removed,
                "entries erased while their request was retried are not sent"
            );
        }
        removed > 0
    }

    fn on_accepted(&self, _batch: &BrazeRequest) {
        self.shared.auth_recovered_if_failed();
        self.shared
            .status
            .lock()
            .expect("status lock poisoned")
            .last_success_ms = Some(now_ms());
    }

    /// Tell the subscriber why a `/users/delete` request waits (shown on the data subject
    /// requests it carries).
    fn report_retry(&self, request: &BrazeRequest, problem: String) {
        if request.endpoint == Endpoint::Delete {
            self.shared.report_delete(DeleteReport::Retrying {
                external_ids: request.external_ids_to_delete(),
                problem,
            });
        }
    }

    fn count_retry(&self, reason: &'static str) {
        metrics::counter!("braid_braze_retries_total", "reason" => reason).increment(1);
        self.shared
            .status
            .lock()
            .expect("status lock poisoned")
            .retries += 1;
    }

    async fn retry_after_backoff(&mut self, reason: &'static str, attempt: &mut u32) {
        self.count_retry(reason);
        let random: f64 = rand::thread_rng().gen();
        let delay = self.shared.config.backoff.delay(*attempt, random);
        *attempt = attempt.saturating_add(1);
        self.sleep(delay).await;
    }

    async fn sleep(&mut self, delay: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = self.shutdown.changed() => {}
        }
    }
}

impl Shared {
    fn auth_recovered_if_failed(&self) {
        if self.is_auth_failed() {
            self.auth_recovered();
        }
    }
}

/// What a settled `/users/delete` request tells the subscriber; `None` while unsettled
/// (bisecting, shutdown).
fn delete_report(request: &BrazeRequest, settled: &Settled) -> Option<DeleteReport> {
    let external_ids = request.external_ids_to_delete();
    match settled {
        Settled::Delivered | Settled::Partial { .. } => {
            Some(DeleteReport::Acknowledged { external_ids })
        }
        Settled::Rejected { status, message } if request.len() == 1 => {
            Some(DeleteReport::Refused {
                external_ids,
                reason: format!("braze answered {status}: {message}"),
            })
        }
        Settled::TooLarge if request.len() == 1 => Some(DeleteReport::Refused {
            external_ids,
            reason: "braze answered 413: payload too large".into(),
        }),
        Settled::Rejected { .. } | Settled::TooLarge | Settled::Stopped => None,
    }
}

/// Map Braze's `(input_array, index)` failures to item indexes of the request.
fn locate(request: &BrazeRequest, failed: &[FailedObject]) -> Vec<(usize, String)> {
    failed
        .iter()
        .filter_map(|f| {
            let located = request.locate(f.array, f.index);
            if located.is_none() {
                tracing::warn!(
                    array = f.array.as_str(),
                    index = f.index,
                    "braze named an object the request did not have"
                );
            }
            located.map(|i| (i, f.error_type.clone()))
        })
        .collect()
}

fn dead_letter(
    entry: OutboxEntry,
    reason: String,
    status: Option<u16>,
    kind: &'static str,
) -> DeadLetter {
    metrics::counter!("braid_braze_dead_letters_total", "reason" => kind).increment(1);
    DeadLetter {
        entry,
        reason,
        status,
        failed_ms: now_ms(),
    }
}

/// Time spent in one stage of delivery (`read_outbox`, `pace`, `send`, `complete`), so
/// `/metrics` shows where a request's time goes.
fn record_stage(stage: &'static str, started: std::time::Instant) {
    metrics::histogram!("braid_delivery_stage_seconds", "stage" => stage)
        .record(started.elapsed().as_secs_f64());
}
