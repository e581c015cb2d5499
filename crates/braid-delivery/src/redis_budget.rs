//! The request budget shared by every node of one Braze workspace, kept in Redis
//! ([`RedisBudget`]): request starts paced by GCRA in a Lua script, Braze's 429 pause and
//! the refused-key flag as keys with an expiry.
//!
//! # Keys
//! All under the prefix given to [`RedisBudget::connect`], in one hash slot (`{prefix}`):
//! - `{prefix}:tat`: the GCRA theoretical arrival time, in µs of Redis's clock; expires
//!   when it falls behind the clock (then it means nothing);
//! - `{prefix}:pause`: present while Braze asked everyone to wait; its TTL is the pause;
//! - `{prefix}:auth_failed`: present while Braze refuses the REST key; it expires after
//!   [`AUTH_FLAG_TTL`] unless a failed probe sets it again (probes run at most every
//!   60 s), so a flag nobody maintains does not outlive its nodes.
//!
//! # The bound: no window of length `window` admits more than `limit` starts
//! The script runs atomically in Redis and reads Redis's `TIME`, so admissions are
//! serialised on one clock, whatever the nodes' clocks say. Let `T` be the emission
//! interval, `B` the burst and `τ = (B−1)·T` the tolerance. Write `a_k` for the Redis time
//! of the k-th admission and `X_k` for the stored arrival time after it:
//! `X_k = max(X_{k−1}, a_k) + T`, and the k-th request is admitted only if
//! `a_k ≥ X_{k−1} − τ`. (When the key has expired, Redis's clock has passed `X_{k−1}`,
//! because the expiry is set at least `X_k − now`, so reading "no key" as "now" is the
//! same as the `max`.)
//!
//! Each admission adds at least `T`, so for `i < j`: `X_{j−1} ≥ X_i + (j−1−i)·T` and
//! `X_i ≥ a_i + T`, hence `a_j ≥ X_{j−1} − τ ≥ a_i + (j−i)·T − τ`. If `n` admissions fell
//! in one window `[s, s + W)`, the first and last are less than `W` apart:
//! `(n−1)·T − τ < W`, that is `(n−B)·T < W`. With `T ≥ W / (L−B+1)`, `n = L+1` would
//! need `(L+1−B)·T < W`, which is false. So **no window of length `W` holds more than
//! `L` admissions.** ∎
//!
//! braid uses `B = 1` (`τ = 0`) and `T = ⌈W/L⌉` µs: the sustained rate is the whole
//! limit (a larger burst would cost sustained rate, `(L−B+1)/W`), and an idle budget still
//! admits the first request at once. `W` is the pacing window
//! ([`crate::DeliveryConfig::pacing_window`]: Braze's window plus 5%), the same margin
//! the local pacer keeps: a request reaches Braze a little after Redis admitted it, and
//! the bound holds for arrivals at Braze as long as that delay varies by less than the
//! margin. What can still break it: Redis's own clock stepping forward, or a failover
//! to a replica that had not received the latest arrival time.
//!
//! # When Redis cannot be reached
//! [`RateBudget::acquire`] does not return: it retries (50 ms doubling to 2 s) until
//! Redis admits the request, so no node sends unpaced, and entries simply stay in the
//! outbox (nothing is dropped). The problem is in [`RateBudget::problem`] (delivery
//! status `rate_budget_error`), the gauge `braid_delivery_rate_budget_unavailable` and
//! the counter `braid_delivery_rate_budget_errors_total`. Pauses and the refused-key flag
//! set meanwhile are kept locally (this node obeys them at once) and written when Redis
//! is back.
//!
//! # Caching
//! The pause is checked inside the admission script, so a pause in Redis stops every
//! node's next start exactly. Only the answers of the synchronous reads
//! ([`RateBudget::paused_for`], [`RateBudget::auth_failed`]) come from a copy refreshed
//! every [`REFRESH_INTERVAL`] (100 ms): a refused key seen by one node stops the others'
//! new requests within that time (their requests in flight get their own 401).

use crate::budget::{AcquireFuture, RateBudget};
use braid_core::Secret;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// How often the copy of the pause and the refused-key flag is read from Redis.
pub const REFRESH_INTERVAL: Duration = Duration::from_millis(100);

/// How long the refused-key flag lives unless a failed probe sets it again.
pub const AUTH_FLAG_TTL: Duration = Duration::from_secs(600);

/// Requests admitted back to back from an idle budget (see the module docs for why 1).
const BURST: u64 = 1;

/// Time allowed for one Redis command and for one connection attempt: a Redis that does
/// not answer counts as unreachable (and holds delivery), not as slow.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// The first and the longest wait between attempts while Redis cannot be reached.
const RETRY_FIRST: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_secs(2);

/// The admission script: `{1, now_us}` when a request may start now (and it is counted),
/// `{0, wait_us}` when the pace says wait, `{2, wait_us}` while Braze's pause holds.
const ADMIT_LUA: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then
  return {2, paused * 1000}
end
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then
  tat = now
end
if now < tat - tolerance then
  return {0, tat - tolerance - now}
end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_tat),
  'PX', math.ceil((next_tat - now) / 1000) + 1)
return {1, now}
";

/// Extend the pause to `ARGV[1]` ms from now unless it already lasts longer. Redis counts
/// expiry from a whole-millisecond clock, so a key set with `PX n` can vanish up to 1 ms
/// under n after the call; one more millisecond keeps Braze's pause at least as asked.
const PAUSE_LUA: &str = r"
local wanted = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < wanted then
  redis.call('SET', KEYS[1], '1', 'PX', wanted + 1)
end
return 0
";

const ADMITTED: i64 = 1;
const PAUSED: i64 = 2;

/// The shared budget could not be set up or consulted.
#[derive(Debug, thiserror::Error)]
pub enum RedisBudgetError {
    /// A setting is invalid (the message names it; never the URL, which may hold a
    /// password).
    #[error("{setting}: {problem}")]
    Setting {
        setting: &'static str,
        problem: String,
    },
    /// Redis refused or did not answer.
    #[error("redis: {0}")]
    Redis(String),
}

/// The Braze request budget shared through Redis by every node. See the module docs.
pub struct RedisBudget {
    inner: Arc<Inner>,
    writes: mpsc::UnboundedSender<Write>,
    background: tokio::task::JoinHandle<()>,
}

struct Inner {
    connection: ConnectionManager,
    tat_key: String,
    pause_key: String,
    auth_key: String,
    interval_us: u64,
    tolerance_us: u64,
    admit: Script,
    pause: Script,
    /// One caller per node asks Redis at a time; the others queue here, so the load on
    /// Redis grows with nodes, not with lanes.
    turn: tokio::sync::Mutex<()>,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    /// Braze's pause as Redis last said.
    remote_paused_until: Option<Instant>,
    /// A pause this node asked for (obeyed at once, written to Redis in the background).
    local_paused_until: Option<Instant>,
    auth_failed: bool,
    /// Bumped by every local change of the flag, so a refresh that read Redis before the
    /// change was written does not undo it.
    auth_generation: u64,
    /// When the pace should admit the next request (a hint for the linger).
    next_start: Option<Instant>,
    /// Why Redis cannot be consulted right now.
    problem: Option<String>,
}

/// A change to write to Redis, in call order.
enum Write {
    Pause(Instant),
    Auth(bool),
    Flush(oneshot::Sender<()>),
}

impl RedisBudget {
    /// Connect to Redis at `url` and share, under `key_prefix` (one per Braze workspace),
    /// a budget of `limit` request starts per `window` (give the pacing window,
    /// [`crate::DeliveryConfig::pacing_window`]). Fails when Redis cannot be reached.
    pub async fn connect(
        url: &Secret,
        key_prefix: &str,
        limit: u32,
        window: Duration,
    ) -> Result<RedisBudget, RedisBudgetError> {
        if key_prefix.is_empty() {
            return Err(RedisBudgetError::Setting {
                setting: "key_prefix",
                problem: "must not be empty".into(),
            });
        }
        if limit == 0 {
            return Err(RedisBudgetError::Setting {
                setting: "delivery.rate_limit",
                problem: "must be at least 1".into(),
            });
        }
        let window_us = u64::try_from(window.as_micros()).unwrap_or(u64::MAX);
        if window_us == 0 {
            return Err(RedisBudgetError::Setting {
                setting: "delivery.rate_window_ms",
                problem: "must be more than 0".into(),
            });
        }
        let client = redis::Client::open(url.expose()).map_err(|e| RedisBudgetError::Setting {
            setting: "storage.redis.url",
            problem: format!("not a usable Redis URL: {e}"),
        })?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| RedisBudgetError::Redis(e.to_string()))?;
        let burst = BURST.min(u64::from(limit));
        let interval_us = window_us.div_ceil(u64::from(limit) - burst + 1);
        let inner = Arc::new(Inner {
            connection,
            tat_key: format!("{{{key_prefix}}}:tat"),
            pause_key: format!("{{{key_prefix}}}:pause"),
            auth_key: format!("{{{key_prefix}}}:auth_failed"),
            interval_us,
            tolerance_us: interval_us * (burst - 1),
            admit: Script::new(ADMIT_LUA),
            pause: Script::new(PAUSE_LUA),
            turn: tokio::sync::Mutex::new(()),
            cache: Mutex::new(Cache::default()),
        });
        // Read the shared state once before anyone asks.
        inner
            .refresh()
            .await
            .map_err(|e| RedisBudgetError::Redis(e.to_string()))?;
        let (writes, pending) = mpsc::unbounded_channel();
        let background = tokio::spawn(inner.clone().keep_in_sync(pending));
        Ok(RedisBudget {
            inner,
            writes,
            background,
        })
    }

    /// Whether Redis answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), RedisBudgetError> {
        redis::cmd("PING")
            .query_async::<String>(&mut self.inner.connection.clone())
            .await
            .map(drop)
            .map_err(|e| RedisBudgetError::Redis(e.to_string()))
    }

    /// Wait until a request may start and count it, like [`RateBudget::acquire`];
    /// returns when Redis admitted it, on Redis's clock (since the UNIX epoch), so the
    /// starts of many nodes can be audited on one clock.
    pub async fn acquire_admitted_at(&self) -> Duration {
        self.inner.admit_one().await
    }

    /// Wait until the pauses and flags set so far on this instance are in Redis.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.writes.send(Write::Flush(done)).is_ok() {
            let _ = written.await;
        }
    }

    /// The emission interval: one request start per this much time.
    pub fn emission_interval(&self) -> Duration {
        Duration::from_micros(self.inner.interval_us)
    }
}

impl Drop for RedisBudget {
    fn drop(&mut self) {
        self.background.abort();
    }
}

impl RateBudget for RedisBudget {
    fn acquire(&self) -> AcquireFuture<'_> {
        Box::pin(async move {
            self.inner.admit_one().await;
        })
    }

    fn pause_until(&self, reset: Duration) {
        let until = Instant::now() + reset;
        {
            let mut cache = self.inner.lock_cache();
            if !matches!(cache.local_paused_until, Some(current) if current >= until) {
                cache.local_paused_until = Some(until);
            }
        }
        // The receiver lives as long as `self`.
        let _ = self.writes.send(Write::Pause(until));
    }

    fn paused_for(&self) -> Option<Duration> {
        let cache = self.inner.lock_cache();
        let until = cache.remote_paused_until.max(cache.local_paused_until)?;
        let now = Instant::now();
        (until > now).then(|| until - now)
    }

    fn wait_hint(&self) -> Duration {
        let paused = self.paused_for().unwrap_or(Duration::ZERO);
        let paced = self
            .inner
            .lock_cache()
            .next_start
            .map_or(Duration::ZERO, |at| {
                at.saturating_duration_since(Instant::now())
            });
        paused.max(paced)
    }

    fn set_auth_failed(&self, failed: bool) {
        {
            let mut cache = self.inner.lock_cache();
            cache.auth_failed = failed;
            cache.auth_generation += 1;
        }
        let _ = self.writes.send(Write::Auth(failed));
    }

    fn auth_failed(&self) -> bool {
        self.inner.lock_cache().auth_failed
    }

    fn problem(&self) -> Option<String> {
        self.inner.lock_cache().problem.clone()
    }
}

impl Inner {
    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().expect("budget cache lock poisoned")
    }

    async fn admit_one(&self) -> Duration {
        let _turn = self.turn.lock().await;
        let mut failures: u32 = 0;
        loop {
            let answer: redis::RedisResult<(i64, i64)> = self
                .admit
                .key(&self.tat_key)
                .key(&self.pause_key)
                .arg(self.interval_us)
                .arg(self.tolerance_us)
                .invoke_async(&mut self.connection.clone())
                .await;
            let wait = match answer {
                Ok((ADMITTED, now_us)) => {
                    self.reachable();
                    self.lock_cache().next_start =
                        Some(Instant::now() + Duration::from_micros(self.interval_us));
                    return Duration::from_micros(now_us.max(0) as u64);
                }
                Ok((kind, wait_us)) => {
                    self.reachable();
                    let wait = Duration::from_micros(wait_us.max(1) as u64);
                    let at = Instant::now() + wait;
                    let mut cache = self.lock_cache();
                    if kind == PAUSED {
                        cache.remote_paused_until = Some(at);
                    }
                    cache.next_start = Some(at);
                    wait
                }
                Err(e) => {
                    self.unreachable(&e);
                    failures = failures.saturating_add(1);
                    retry_delay(failures)
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Read the pause and the refused-key flag into the cache.
    async fn refresh(&self) -> redis::RedisResult<()> {
        let generation = self.lock_cache().auth_generation;
        let (pause_ms, auth_failed): (i64, bool) = redis::pipe()
            .cmd("PTTL")
            .arg(&self.pause_key)
            .cmd("EXISTS")
            .arg(&self.auth_key)
            .query_async(&mut self.connection.clone())
            .await?;
        let now = Instant::now();
        let mut cache = self.lock_cache();
        cache.remote_paused_until =
            (pause_ms > 0).then(|| now + Duration::from_millis(pause_ms as u64));
        if cache.auth_generation == generation {
            cache.auth_failed = auth_failed;
        }
        Ok(())
    }

    /// Write this node's changes in order (retrying while Redis is away) and keep the
    /// cache fresh, until the budget is dropped.
    async fn keep_in_sync(self: Arc<Self>, mut pending: mpsc::UnboundedReceiver<Write>) {
        let mut tick = tokio::time::interval(REFRESH_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                write = pending.recv() => match write {
                    Some(write) => self.write(write).await,
                    None => return,
                },
                _ = tick.tick() => {
                    match self.refresh().await {
                        Ok(()) => self.reachable(),
                        Err(e) => self.unreachable(&e),
                    }
                }
            }
        }
    }

    async fn write(&self, write: Write) {
        let mut failures: u32 = 0;
        loop {
            let mut connection = self.connection.clone();
            let result = match &write {
                Write::Pause(until) => {
                    let left = until.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return;
                    }
                    let left_ms = left.as_millis().max(1) as u64;
                    self.pause
                        .key(&self.pause_key)
                        .arg(left_ms)
                        .invoke_async::<i64>(&mut connection)
                        .await
                        .map(drop)
                }
                Write::Auth(true) => {
                    redis::cmd("SET")
                        .arg(&self.auth_key)
                        .arg(1)
                        .arg("PX")
                        .arg(AUTH_FLAG_TTL.as_millis() as u64)
                        .query_async::<()>(&mut connection)
                        .await
                }
                Write::Auth(false) => {
                    redis::cmd("DEL")
                        .arg(&self.auth_key)
                        .query_async::<()>(&mut connection)
                        .await
                }
                Write::Flush(_) => Ok(()),
            };
            match result {
                Ok(()) => {
                    self.reachable();
                    if let Write::Flush(done) = write {
                        let _ = done.send(());
                    }
                    return;
                }
                Err(e) => {
                    self.unreachable(&e);
                    failures = failures.saturating_add(1);
                    tokio::time::sleep(retry_delay(failures)).await;
                }
            }
        }
    }

    fn reachable(&self) {
        let was = self.lock_cache().problem.take();
        if was.is_some() {
            metrics::gauge!("braid_delivery_rate_budget_unavailable").set(0.0);
            tracing::info!("redis answers again: the shared braze rate budget is back");
        }
    }

    fn unreachable(&self, error: &redis::RedisError) {
        metrics::counter!("braid_delivery_rate_budget_errors_total").increment(1);
        let problem = format!("the shared rate budget in redis cannot be consulted: {error}");
        let was = self.lock_cache().problem.replace(problem);
        if was.is_none() {
            metrics::gauge!("braid_delivery_rate_budget_unavailable").set(1.0);
            tracing::warn!(
                error = %error,
                "redis does not answer: no braze request starts until it does; everything stays queued"
            );
        }
    }
}

/// The wait before attempt `failures + 1` while Redis cannot be reached.
fn retry_delay(failures: u32) -> Duration {
    RETRY_FIRST
        .saturating_mul(1u32 << failures.saturating_sub(1).min(8))
        .min(RETRY_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_50_ms_to_2_s() {
        assert_eq!(retry_delay(1), Duration::from_millis(50));
        assert_eq!(retry_delay(2), Duration::from_millis(100));
        assert_eq!(retry_delay(6), Duration::from_millis(1600));
        assert_eq!(retry_delay(7), RETRY_MAX);
        assert_eq!(retry_delay(u32::MAX), RETRY_MAX);
    }
}
