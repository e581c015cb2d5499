//! Everything the simulator remembers: profiles, statistics, the request log, the rate
//! window and the current faults, behind one lock.
//!
//! [`SimState`] is what both the HTTP handlers and Rust tests (through
//! [`crate::SimHandle::state`]) use, so the admin API and direct access always agree.
//! Applying `/users/track` objects follows Braze's documented semantics: attributes first,
//! then events, then purchases; `null` removes an attribute; `add`/`remove`/`inc` operate
//! on the stored value; `_update_existing_only` never creates a profile.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use braid_braze::billing::{object_data_points, DataPoints};
use braid_braze::limits::Limits;
use braid_braze::validate::identifier_field;
use braid_braze::wire::{AliasRef, TrackArray};
use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::{Faults, SimConfig};

/// One simulated Braze user profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The id the simulator assigned (`sim-<n>`).
    pub braze_id: String,
    /// The external id, absent for alias-only profiles.
    pub external_id: Option<String>,
    /// Aliases attached to this profile.
    pub user_aliases: Vec<AliasRef>,
    /// Standard and custom attributes as currently stored.
    pub attributes: Map<String, Value>,
    /// Subscription group id → `subscribed` / `unsubscribed`.
    pub subscription_groups: BTreeMap<String, String>,
    /// Events received, in order, without identifier fields.
    pub events: Vec<Map<String, Value>>,
    /// Purchases received, in order, without identifier fields.
    pub purchases: Vec<Map<String, Value>>,
    /// Push tokens registered (`{app_id, token, device_id?}`), one per token.
    pub push_tokens: Vec<Value>,
    /// Data points billed to this profile.
    pub data_points: DataPoints,
}

/// Counters over everything the simulator received since start or the last reset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimStats {
    /// `/users/track` calls received, whatever their fate.
    pub track_requests: u64,
    /// Objects in `/users/track` bodies that parsed as JSON.
    pub objects_received: u64,
    /// Objects applied to a profile.
    pub objects_applied: u64,
    /// Objects rejected: invalid, simulated errors, or in a request rejected whole.
    pub objects_rejected: u64,
    /// Valid objects ignored because of `_update_existing_only` (or an unknown braze_id).
    pub objects_skipped: u64,
    /// Attribute objects applied.
    pub attributes_objects: u64,
    /// Event objects applied.
    pub events: u64,
    /// Purchase objects applied (each may carry a quantity above 1).
    pub purchases: u64,
    /// Data points billed for applied objects.
    pub data_points: DataPoints,
    /// `/users/track` answers by HTTP status (`"201"`, `"429"`, ...).
    pub responses_by_status: BTreeMap<String, u64>,
    /// `/users/track` calls answered 429.
    pub rate_limited: u64,
    /// Calls whose connection was dropped by fault injection.
    pub dropped_connections: u64,
    /// Calls that hung by fault injection.
    pub timeouts: u64,
    /// External ids named in `/users/delete` calls, in order.
    pub deletes: Vec<String>,
    /// Aliases identified through `/users/identify`.
    pub identifies: u64,
    /// Aliases created through `/users/alias/new`.
    pub aliases_created: u64,
    /// The largest object count seen in one `/users/track` body.
    pub max_objects_in_request: u64,
    /// Profiles currently stored (external-id and alias-only).
    pub distinct_users: u64,
}

/// One `/users/track` call as received, for tests (`GET /sim/requests`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// The answer's status; `None` when the connection was dropped or hung.
    pub status: Option<u16>,
    /// The body: JSON when it parsed, otherwise the raw text.
    pub body: Value,
}

/// The outcome of taking one request from the rate window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request is within the limit.
    pub allowed: bool,
    /// `X-RateLimit-Limit`.
    pub limit: u64,
    /// `X-RateLimit-Remaining`.
    pub remaining: u64,
    /// `X-RateLimit-Reset`, UNIX seconds.
    pub reset_unix_s: u64,
}

/// The result of applying one valid object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    /// Written to a profile, costing these data points.
    Written,
    /// Ignored: the profile does not exist and may not be created.
    Skipped,
}

#[derive(Debug)]
struct RateWindow {
    start: SystemTime,
    count: u64,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) limits: Limits,
    pub(crate) api_key: String,
    rate_limit: u64,
    rate_window: Duration,
    initial_faults: Faults,
    pub(crate) faults: Faults,
    seed: Option<u64>,
    rng: StdRng,
    next_id: u64,
    profiles: HashMap<u64, Profile>,
    by_external: HashMap<String, u64>,
    by_alias: HashMap<(String, String), u64>,
    by_braze: HashMap<String, u64>,
    pub(crate) stats: SimStats,
    requests: VecDeque<RecordedRequest>,
    request_log_capacity: usize,
    window: Option<RateWindow>,
}

/// Shared handle on the simulator's state; cheap to clone.
#[derive(Debug, Clone)]
pub struct SimState {
    inner: Arc<Mutex<Inner>>,
}

fn rng_from(seed: Option<u64>) -> StdRng {
    match seed {
        Some(seed) => StdRng::seed_from_u64(seed),
        None => StdRng::from_entropy(),
    }
}

fn alias_key(alias: &AliasRef) -> (String, String) {
    (alias.alias_label.clone(), alias.alias_name.clone())
}

impl SimState {
    /// Fresh state for a configuration.
    pub fn new(config: &SimConfig) -> Self {
        SimState {
            inner: Arc::new(Mutex::new(Inner {
                limits: config.limits.clone(),
                api_key: config.api_key.clone(),
                rate_limit: config.rate_limit,
                rate_window: config.rate_window,
                initial_faults: config.faults.clone(),
                faults: config.faults.clone(),
                seed: config.seed,
                rng: rng_from(config.seed),
                next_id: 1,
                profiles: HashMap::new(),
                by_external: HashMap::new(),
                by_alias: HashMap::new(),
                by_braze: HashMap::new(),
                stats: SimStats::default(),
                requests: VecDeque::new(),
                request_log_capacity: config.request_log_capacity,
                window: None,
            })),
        }
    }

    pub(crate) fn lock(&self) -> parking_lot::MutexGuard<'_, Inner> {
        self.inner.lock()
    }

    /// Counters since start or the last reset (`GET /sim/stats`).
    pub fn stats(&self) -> SimStats {
        let inner = self.inner.lock();
        let mut stats = inner.stats.clone();
        stats.distinct_users = inner.profiles.len() as u64;
        stats
    }

    /// The profile with this external id (`GET /sim/users/{external_id}`).
    pub fn user(&self, external_id: &str) -> Option<Profile> {
        let inner = self.inner.lock();
        let id = inner.by_external.get(external_id)?;
        inner.profiles.get(id).cloned()
    }

    /// The profile holding this alias (`GET /sim/aliases/{label}/{name}`).
    pub fn alias_user(&self, alias_label: &str, alias_name: &str) -> Option<Profile> {
        let inner = self.inner.lock();
        let id = inner
            .by_alias
            .get(&(alias_label.to_string(), alias_name.to_string()))?;
        inner.profiles.get(id).cloned()
    }

    /// The last `limit` `/users/track` calls, oldest first (`GET /sim/requests`).
    pub fn requests(&self, limit: usize) -> Vec<RecordedRequest> {
        let inner = self.inner.lock();
        let skip = inner.requests.len().saturating_sub(limit);
        inner.requests.iter().skip(skip).cloned().collect()
    }

    /// The faults currently injected.
    pub fn faults(&self) -> Faults {
        self.inner.lock().faults.clone()
    }

    /// Replace the faults injected from now on (`PUT /sim/faults`).
    pub fn set_faults(&self, faults: Faults) {
        self.inner.lock().faults = faults;
    }

    /// Forget every profile, counter, recorded request and the rate window, and restore
    /// the faults and random seed the simulator started with (`POST /sim/reset`).
    pub fn reset(&self) {
        let mut inner = self.inner.lock();
        inner.faults = inner.initial_faults.clone();
        inner.rng = rng_from(inner.seed);
        inner.next_id = 1;
        inner.profiles.clear();
        inner.by_external.clear();
        inner.by_alias.clear();
        inner.by_braze.clear();
        inner.stats = SimStats::default();
        inner.requests.clear();
        inner.window = None;
    }
}

impl Inner {
    /// Draw a fault with probability `rate` (clamped to 0..=1).
    pub(crate) fn roll(&mut self, rate: f64) -> bool {
        let rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        rate > 0.0 && self.rng.gen_bool(rate)
    }

    /// Pick between two values with equal odds.
    pub(crate) fn coin(&mut self) -> bool {
        self.rng.gen_bool(0.5)
    }

    fn current_limit(&self) -> u64 {
        self.faults.rate_limit_override.unwrap_or(self.rate_limit)
    }

    /// The rate window as it stands, rolling it over when it has expired.
    fn window_at(&mut self, now: SystemTime) -> &mut RateWindow {
        let expired = match &self.window {
            Some(w) => now.duration_since(w.start).unwrap_or_default() >= self.rate_window,
            None => true,
        };
        if expired {
            self.window = Some(RateWindow {
                start: now,
                count: 0,
            });
        }
        self.window.as_mut().expect("window was just set")
    }

    fn decision(&self, allowed: bool) -> RateDecision {
        let limit = self.current_limit();
        let (count, start) = self
            .window
            .as_ref()
            .map_or((0, SystemTime::now()), |w| (w.count, w.start));
        let reset = start + self.rate_window;
        let reset_unix = reset.duration_since(UNIX_EPOCH).unwrap_or_default();
        // Round up: a client waiting until the reset second must find a fresh window.
        let reset_unix_s = reset_unix.as_secs() + u64::from(reset_unix.subsec_nanos() > 0);
        RateDecision {
            allowed,
            limit,
            remaining: limit.saturating_sub(count),
            reset_unix_s,
        }
    }

    /// Count one request against the fixed window.
    pub(crate) fn take_rate(&mut self) -> RateDecision {
        let limit = self.current_limit();
        let window = self.window_at(SystemTime::now());
        let allowed = window.count < limit;
        if allowed {
            window.count += 1;
        }
        self.decision(allowed)
    }

    pub(crate) fn record_status(&mut self, status: u16) {
        *self
            .stats
            .responses_by_status
            .entry(status.to_string())
            .or_default() += 1;
    }

    pub(crate) fn record_request(&mut self, status: Option<u16>, body: &[u8]) {
        if self.request_log_capacity == 0 {
            return;
        }
        self.record_parsed(status, Some(recorded_body(body)));
    }

    /// Whether requests are kept in the log (`/sim/requests`).
    pub(crate) fn logs_requests(&self) -> bool {
        self.request_log_capacity > 0
    }

    /// Keep a body already made by [`recorded_body`] (made outside the state lock).
    pub(crate) fn record_parsed(&mut self, status: Option<u16>, body: Option<Value>) {
        let Some(body) = body else { return };
        if self.request_log_capacity == 0 {
            return;
        }
        if self.requests.len() == self.request_log_capacity {
            self.requests.pop_front();
        }
        self.requests.push_back(RecordedRequest { status, body });
    }

    fn create_profile(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let braze_id = format!("sim-{id}");
        self.by_braze.insert(braze_id.clone(), id);
        self.profiles.insert(
            id,
            Profile {
                braze_id,
                ..Profile::default()
            },
        );
        id
    }

    fn find_by_attribute(&self, key: &str, value: &str) -> Option<u64> {
        // Email and phone identifiers are rare in braid's traffic; a scan keeps the
        // indexes simple and always consistent with attribute updates.
        self.profiles
            .iter()
            .filter(|(_, p)| p.attributes.get(key).and_then(Value::as_str) == Some(value))
            .map(|(id, _)| *id)
            .min()
    }

    fn external_profile(&mut self, external_id: &str) -> u64 {
        if let Some(id) = self.by_external.get(external_id) {
            return *id;
        }
        let id = self.create_profile();
        self.by_external.insert(external_id.to_string(), id);
        if let Some(p) = self.profiles.get_mut(&id) {
            p.external_id = Some(external_id.to_string());
        }
        id
    }

    fn attach_alias(&mut self, id: u64, alias: AliasRef) {
        self.by_alias.insert(alias_key(&alias), id);
        if let Some(p) = self.profiles.get_mut(&id) {
            if !p.user_aliases.contains(&alias) {
                p.user_aliases.push(alias);
            }
        }
    }

    /// The profile an object names, creating it when Braze would.
    fn resolve(&mut self, object: &Map<String, Value>) -> Option<u64> {
        let field = identifier_field(object)?;
        let flag = object.get("_update_existing_only").and_then(Value::as_bool);
        let value = &object[field];
        match field {
            "external_id" => {
                let external_id = value.as_str()?;
                match self.by_external.get(external_id) {
                    Some(id) => Some(*id),
                    None if flag == Some(true) => None,
                    None => Some(self.external_profile(external_id)),
                }
            }
            "user_alias" => {
                let alias: AliasRef = serde_json::from_value(value.clone()).ok()?;
                match self.by_alias.get(&alias_key(&alias)) {
                    Some(id) => Some(*id),
                    // Braze only creates alias-only profiles when asked explicitly.
                    None if flag == Some(false) => {
                        let id = self.create_profile();
                        self.attach_alias(id, alias);
                        Some(id)
                    }
                    None => None,
                }
            }
            // Braze ids are assigned by Braze: an unknown one names nobody.
            "braze_id" => self.by_braze.get(value.as_str()?).copied(),
            key => {
                let v = value.as_str()?;
                match self.find_by_attribute(key, v) {
                    Some(id) => Some(id),
                    None if flag == Some(true) => None,
                    None => {
                        let id = self.create_profile();
                        if let Some(p) = self.profiles.get_mut(&id) {
                            p.attributes.insert(key.to_string(), value.clone());
                        }
                        Some(id)
                    }
                }
            }
        }
    }

    /// Apply one object that passed validation.
    pub(crate) fn apply(&mut self, array: TrackArray, object: &Map<String, Value>) -> Applied {
        let Some(id) = self.resolve(object) else {
            self.stats.objects_skipped += 1;
            return Applied::Skipped;
        };
        let identifier = identifier_field(object);
        let max_array_len = self.limits.max_array_len;
        let points = object_data_points(array, object);
        let profile = self.profiles.get_mut(&id).expect("resolved profile exists");
        let body = || -> Map<String, Value> {
            object
                .iter()
                .filter(|(k, _)| Some(k.as_str()) != identifier && *k != "_update_existing_only")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        match array {
            TrackArray::Attributes => {
                for (key, value) in body() {
                    apply_attribute(profile, key, value, max_array_len);
                }
                self.stats.attributes_objects += 1;
            }
            TrackArray::Events => {
                profile.events.push(body());
                self.stats.events += 1;
            }
            TrackArray::Purchases => {
                profile.purchases.push(body());
                self.stats.purchases += 1;
            }
        }
        profile.data_points.add(array, points);
        self.stats.data_points.add(array, points);
        self.stats.objects_applied += 1;
        Applied::Written
    }

    /// `/users/delete`: remove profiles; returns how many existed.
    pub(crate) fn delete(
        &mut self,
        external_ids: &[String],
        aliases: &[AliasRef],
        braze_ids: &[String],
    ) -> usize {
        self.stats.deletes.extend(external_ids.iter().cloned());
        let mut ids: Vec<u64> = external_ids
            .iter()
            .filter_map(|e| self.by_external.get(e).copied())
            .chain(
                aliases
                    .iter()
                    .filter_map(|a| self.by_alias.get(&alias_key(a)).copied()),
            )
            .chain(
                braze_ids
                    .iter()
                    .filter_map(|b| self.by_braze.get(b).copied()),
            )
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for id in &ids {
            self.remove_profile(*id);
        }
        ids.len()
    }

    fn remove_profile(&mut self, id: u64) -> Option<Profile> {
        let profile = self.profiles.remove(&id)?;
        if let Some(e) = &profile.external_id {
            self.by_external.remove(e);
        }
        for a in &profile.user_aliases {
            self.by_alias.remove(&alias_key(a));
        }
        self.by_braze.remove(&profile.braze_id);
        Some(profile)
    }

    /// `/users/identify`: merge the alias profile into the external-id profile.
    pub(crate) fn identify(&mut self, external_id: &str, alias: AliasRef) {
        self.stats.identifies += 1;
        let alias_id = self.by_alias.get(&alias_key(&alias)).copied();
        let external = self.by_external.get(external_id).copied();
        match (alias_id, external) {
            (Some(a), Some(e)) if a == e => {}
            (Some(a), Some(e)) => {
                let from = self.remove_profile(a).expect("indexed profile exists");
                let into = self.profiles.get_mut(&e).expect("indexed profile exists");
                // The identified profile keeps its own values; the alias adds what it lacks.
                for (k, v) in from.attributes {
                    into.attributes.entry(k).or_insert(v);
                }
                for (k, v) in from.subscription_groups {
                    into.subscription_groups.entry(k).or_insert(v);
                }
                into.events.extend(from.events);
                into.purchases.extend(from.purchases);
                for t in from.push_tokens {
                    if !into.push_tokens.contains(&t) {
                        into.push_tokens.push(t);
                    }
                }
                into.data_points += from.data_points;
                for a in from.user_aliases {
                    self.attach_alias(e, a);
                }
            }
            (Some(a), None) => {
                // The alias-only profile becomes the external id's profile.
                self.by_external.insert(external_id.to_string(), a);
                if let Some(p) = self.profiles.get_mut(&a) {
                    p.external_id = Some(external_id.to_string());
                }
            }
            (None, _) => {
                let e = self.external_profile(external_id);
                self.attach_alias(e, alias);
            }
        }
    }

    /// `/users/alias/new`: add an alias to an external id's profile, or create an
    /// alias-only profile.
    pub(crate) fn new_alias(&mut self, external_id: Option<&str>, alias: AliasRef) {
        self.stats.aliases_created += 1;
        let id = match external_id {
            Some(e) => self.external_profile(e),
            None => match self.by_alias.get(&alias_key(&alias)) {
                Some(id) => *id,
                None => self.create_profile(),
            },
        };
        self.attach_alias(id, alias);
    }

    /// `/users/export/ids`: the stored profiles, and the ids that matched none.
    pub(crate) fn export(&self, external_ids: &[String]) -> (Vec<Profile>, Vec<String>) {
        let mut users = Vec::new();
        let mut missing = Vec::new();
        for e in external_ids {
            match self.by_external.get(e).and_then(|id| self.profiles.get(id)) {
                Some(p) => users.push(p.clone()),
                None => missing.push(e.clone()),
            }
        }
        (users, missing)
    }
}

fn string_values(v: &Value) -> Vec<Value> {
    v.as_array()
        .map(|a| a.iter().filter(|x| x.is_string()).cloned().collect())
        .unwrap_or_default()
}

fn apply_attribute(profile: &mut Profile, key: String, value: Value, max_array_len: usize) {
    match (key.as_str(), value) {
        ("push_tokens", Value::Array(tokens)) => {
            for token in tokens {
                let same_token = |t: &Value| t.get("token") == token.get("token");
                profile.push_tokens.retain(|t| !same_token(t));
                profile.push_tokens.push(token);
            }
        }
        ("subscription_groups", Value::Array(groups)) => {
            for g in groups {
                if let (Some(id), Some(state)) = (
                    g.get("subscription_group_id").and_then(Value::as_str),
                    g.get("subscription_state").and_then(Value::as_str),
                ) {
                    profile
                        .subscription_groups
                        .insert(id.to_string(), state.to_string());
                }
            }
        }
        (_, Value::Null) => {
            profile.attributes.remove(&key);
        }
        (_, Value::Object(op)) => {
            if let Some(n) = op.get("inc") {
                let current = profile.attributes.get(&key).and_then(Value::as_i64);
                let next = current.unwrap_or(0).saturating_add(n.as_i64().unwrap_or(0));
                profile.attributes.insert(key, Value::from(next));
                return;
            }
            let mut values = profile
                .attributes
                .get(&key)
                .map(string_values)
                .unwrap_or_default();
            for added in op.get("add").map(string_values).unwrap_or_default() {
                if !values.contains(&added) {
                    values.push(added);
                }
            }
            let removed = op.get("remove").map(string_values).unwrap_or_default();
            values.retain(|v| !removed.contains(v));
            // Braze truncates arrays past the workspace maximum; keep the newest values.
            let excess = values.len().saturating_sub(max_array_len);
            values.drain(..excess);
            profile.attributes.insert(key, Value::Array(values));
        }
        (_, value) => {
            profile.attributes.insert(key, value);
        }
    }
}

/// A request body as the request log keeps it: its JSON, or the text when it is not JSON.
pub(crate) fn recorded_body(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}
