//! The per-user, per-attribute incremental state: running aggregates for lifetime and
//! fixed-start windows, compact per-UTC-day buckets for sliding windows, and the value
//! they give, typed for Braze.
//!
//! The cost of one event is one aggregate update (plus dropping buckets that left the
//! window); it never depends on how much history the user has. A sliding window's value
//! is folded from at most `within_days` buckets.

use super::definition::{Calculation, CompiledAttribute, Source, Window};
use crate::eval::{find_json, record_matches};
use crate::history::EventRecord;
use crate::matching::{parse_number, DAY_MS};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Distinct values `most_frequent` counts per aggregate; beyond it, new values are not
/// counted (values already tracked keep counting). Keeps a profile bounded whatever the
/// attribute's cardinality.
pub const MAX_TRACKED_VALUES: usize = 200;

/// One aggregate over the events it has seen. Only the fields the calculation needs are
/// filled, and empty ones are not stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// Contributions counted.
    #[serde(default, rename = "n", skip_serializing_if = "is_zero")]
    pub count: u64,
    /// Sum of numeric contributions.
    #[serde(default, rename = "s", skip_serializing_if = "is_zero_f")]
    pub sum: f64,
    /// Numeric contributions (the denominator of `average`).
    #[serde(default, rename = "k", skip_serializing_if = "is_zero")]
    pub numbers: u64,
    #[serde(default, rename = "lo", skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, rename = "hi", skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Earliest (time, value).
    #[serde(default, rename = "f", skip_serializing_if = "Option::is_none")]
    pub first: Option<(i64, Value)>,
    /// Latest (time, value).
    #[serde(default, rename = "l", skip_serializing_if = "Option::is_none")]
    pub last: Option<(i64, Value)>,
    /// Distinct values: text form → (times seen, last seen, the value as sent).
    #[serde(default, rename = "v", skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, (u64, i64, Value)>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_zero_f(n: &f64) -> bool {
    *n == 0.0
}

/// What a contribution looks like for the calculations.
pub(crate) fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
        Value::String(s) => parse_number(s),
        _ => None,
    }
}

/// The text a value is made distinct by (and sent as, in `unique` lists).
pub(crate) fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The key `unique` keeps the most recent values by: last seen, then the text.
fn recency(text: &str, last_ms: i64) -> (i64, &str) {
    (last_ms, text)
}

impl Aggregate {
    /// Count one contribution at `ts_ms`.
    pub(crate) fn add(&mut self, function: Calculation, ts_ms: i64, value: &Value, limit: usize) {
        self.count += 1;
        match function {
            Calculation::Count => {}
            Calculation::Sum | Calculation::Average | Calculation::Min | Calculation::Max => {
                if let Some(n) = as_number(value) {
                    self.numbers += 1;
                    self.sum += n;
                    self.min = Some(self.min.map_or(n, |m| m.min(n)));
                    self.max = Some(self.max.map_or(n, |m| m.max(n)));
                }
            }
            Calculation::First | Calculation::FirstTime => {
                if self.first.as_ref().is_none_or(|(t, _)| ts_ms < *t) {
                    self.first = Some((ts_ms, value.clone()));
                }
            }
            Calculation::Last | Calculation::LastTime => {
                if self.last.as_ref().is_none_or(|(t, _)| ts_ms >= *t) {
                    self.last = Some((ts_ms, value.clone()));
                }
            }
            Calculation::Unique | Calculation::MostFrequent => {
                let Some(text) = as_text(value) else { return };
                if let Some(entry) = self.values.get_mut(&text) {
                    entry.0 += 1;
                    entry.1 = entry.1.max(ts_ms);
                    return;
                }
                let cap = if function == Calculation::Unique {
                    limit
                } else {
                    MAX_TRACKED_VALUES
                };
                if self.values.len() >= cap {
                    if function == Calculation::MostFrequent {
                        return;
                    }
                    // `unique` keeps the most recent values: the least recent goes, unless
                    // the newcomer is older still.
                    let oldest = self
                        .values
                        .iter()
                        .min_by(|a, b| recency(a.0, a.1 .1).cmp(&recency(b.0, b.1 .1)))
                        .map(|(k, v)| (k.clone(), v.1));
                    match oldest {
                        Some((k, t)) if recency(&k, t) < recency(&text, ts_ms) => {
                            self.values.remove(&k);
                        }
                        _ => return,
                    }
                }
                self.values.insert(text, (1, ts_ms, value.clone()));
            }
        }
    }

    /// Fold `other` (a later or earlier bucket) into `self`.
    fn merge(&mut self, other: &Aggregate) {
        self.count += other.count;
        self.sum += other.sum;
        self.numbers += other.numbers;
        self.min = match (self.min, other.min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max = match (self.max, other.max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if let Some((t, v)) = &other.first {
            if self.first.as_ref().is_none_or(|(s, _)| t < s) {
                self.first = Some((*t, v.clone()));
            }
        }
        if let Some((t, v)) = &other.last {
            if self.last.as_ref().is_none_or(|(s, _)| t >= s) {
                self.last = Some((*t, v.clone()));
            }
        }
        for (k, (n, t, v)) in &other.values {
            let e = self.values.entry(k.clone()).or_insert((0, *t, v.clone()));
            e.0 += n;
            e.1 = e.1.max(*t);
        }
    }

    /// The value for Braze: numbers as numbers, times as Braze times, lists as arrays of
    /// at most `limit` strings. `Null` when there is nothing to report (Braze then
    /// removes the attribute); `count` and `sum` are 0 instead.
    pub(crate) fn value(&self, function: Calculation, limit: usize) -> Value {
        match function {
            Calculation::Count => Value::from(self.count),
            Calculation::Sum => number(self.sum),
            Calculation::Average if self.numbers > 0 => number(self.sum / self.numbers as f64),
            Calculation::Min => self.min.map_or(Value::Null, number),
            Calculation::Max => self.max.map_or(Value::Null, number),
            Calculation::First | Calculation::FirstTime => {
                self.first.as_ref().map_or(Value::Null, |(_, v)| v.clone())
            }
            Calculation::Last | Calculation::LastTime => {
                self.last.as_ref().map_or(Value::Null, |(_, v)| v.clone())
            }
            Calculation::Unique => {
                let mut by_recency: Vec<(&String, i64)> =
                    self.values.iter().map(|(k, v)| (k, v.1)).collect();
                by_recency.sort_by(|a, b| recency(b.0, b.1).cmp(&recency(a.0, a.1)));
                by_recency.truncate(limit);
                let mut kept: Vec<&String> = by_recency.into_iter().map(|(k, _)| k).collect();
                kept.sort();
                Value::Array(kept.into_iter().map(|k| Value::String(k.clone())).collect())
            }
            Calculation::MostFrequent => self
                .values
                .iter()
                .max_by(|a, b| (a.1 .0, a.1 .1, a.0.as_str()).cmp(&(b.1 .0, b.1 .1, b.0.as_str())))
                .map_or(Value::Null, |(_, v)| v.2.clone()),
            Calculation::Average => Value::Null,
        }
    }
}

/// A calculation's result as a JSON number: whole numbers as integers (Braze shows `3`,
/// not `3.0`), others as floats.
pub(crate) fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// One user's state of one calculated attribute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AttributeState {
    /// The definition revision this state was computed for.
    #[serde(rename = "rev")]
    pub revision: u64,
    /// The current value, as sent to Braze.
    pub value: Value,
    /// When the value was last computed (UNIX ms).
    pub computed_ms: i64,
    /// Lifetime and fixed-start windows: the running aggregate.
    #[serde(default, rename = "all", skip_serializing_if = "Option::is_none")]
    pub running: Option<Aggregate>,
    /// Sliding windows: UTC day (days since the epoch) → aggregate of that day.
    #[serde(default, rename = "days", skip_serializing_if = "BTreeMap::is_empty")]
    pub buckets: BTreeMap<i64, Aggregate>,
}

/// The contributions of one record to an attribute: none when it does not match.
pub(crate) fn contributions(
    attr: &CompiledAttribute,
    record: &EventRecord,
    now_ms: i64,
    out: &mut Vec<Value>,
) {
    out.clear();
    if !record_matches(&attr.filter, record, now_ms) {
        return;
    }
    let time_of = || Value::String(braze_time(record.ts_ms));
    match &attr.source {
        Source::Event => out.push(match attr.definition.function {
            Calculation::FirstTime | Calculation::LastTime => time_of(),
            _ => Value::Bool(true),
        }),
        Source::Amount => {
            if let Some(a) = record.amount {
                out.push(number(a));
            }
        }
        Source::Sku | Source::ProductName | Source::Quantity => {
            for p in &record.products {
                let v = match attr.source {
                    Source::Sku => p.sku.clone().map(Value::String),
                    Source::ProductName => p.name.clone().map(Value::String),
                    _ => Some(number(p.quantity.unwrap_or(1.0))),
                };
                out.extend(v);
            }
        }
        Source::Attribute(key) => {
            if let Some(v) = find_json(&record.attributes, key).filter(|v| !v.is_null()) {
                out.push(v.clone());
            }
        }
    }
    if matches!(
        attr.definition.function,
        Calculation::FirstTime | Calculation::LastTime
    ) && !matches!(attr.source, Source::Event)
    {
        // `first_time` of an attribute: the time of the first event carrying it.
        let n = out.len().min(1);
        out.clear();
        for _ in 0..n {
            out.push(time_of());
        }
    }
}

/// Braze's time form of UNIX milliseconds.
pub fn braze_time(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl AttributeState {
    /// A fresh state for `attr`.
    pub fn new(attr: &CompiledAttribute) -> AttributeState {
        AttributeState {
            revision: attr.revision,
            value: Aggregate::default().value(attr.definition.function, 0),
            computed_ms: 0,
            running: None,
            buckets: BTreeMap::new(),
        }
    }

    /// Count `records` (new events), drop buckets that left the window, and recompute
    /// the value at `now_ms`. Returns whether the value changed.
    pub fn update(
        &mut self,
        attr: &CompiledAttribute,
        records: &[EventRecord],
        now_ms: i64,
        limit: usize,
    ) -> bool {
        let function = attr.definition.function;
        let mut values = Vec::new();
        for r in records {
            if !attr.window.contains(r.ts_ms, now_ms) {
                continue;
            }
            contributions(attr, r, now_ms, &mut values);
            if values.is_empty() {
                continue;
            }
            let agg = match attr.window {
                Window::Days(_) => self.buckets.entry(r.ts_ms.div_euclid(DAY_MS)).or_default(),
                _ => self.running.get_or_insert_with(Aggregate::default),
            };
            for v in &values {
                agg.add(function, r.ts_ms, v, limit);
            }
        }
        self.refresh(attr, now_ms, limit)
    }

    /// Drop expired buckets and recompute the value at `now_ms`; whether it changed.
    pub fn refresh(&mut self, attr: &CompiledAttribute, now_ms: i64, limit: usize) -> bool {
        let function = attr.definition.function;
        let value = match attr.window {
            Window::Days(d) => {
                let first = Window::first_day(d, now_ms);
                self.buckets = self.buckets.split_off(&first);
                let mut all = Aggregate::default();
                for b in self.buckets.values() {
                    all.merge(b);
                }
                all.value(function, limit)
            }
            _ => self.running.as_ref().map_or_else(
                || Aggregate::default().value(function, limit),
                |a| a.value(function, limit),
            ),
        };
        self.computed_ms = now_ms;
        self.revision = attr.revision;
        if value != self.value {
            self.value = value;
            true
        } else {
            false
        }
    }

    /// When time alone next changes this state: the oldest bucket leaving the window.
    pub fn next_expiry(&self, attr: &CompiledAttribute) -> Option<i64> {
        match attr.window {
            Window::Days(d) => self
                .buckets
                .keys()
                .next()
                .map(|day| (day + i64::from(d)) * DAY_MS),
            _ => None,
        }
    }
}

/// A calculated value recomputed from a full event list, without the incremental state:
/// the reference the incremental engine is tested against.
pub fn recompute(
    attr: &CompiledAttribute,
    records: &[EventRecord],
    now_ms: i64,
    limit: usize,
) -> Value {
    let function = attr.definition.function;
    let mut contributions_all: Vec<(i64, Value)> = Vec::new();
    let mut values = Vec::new();
    for r in records {
        if !attr.window.contains(r.ts_ms, now_ms) {
            continue;
        }
        contributions(attr, r, now_ms, &mut values);
        contributions_all.extend(values.drain(..).map(|v| (r.ts_ms, v)));
    }
    let nums = || contributions_all.iter().filter_map(|(_, v)| as_number(v));
    match function {
        Calculation::Count => Value::from(contributions_all.len() as u64),
        Calculation::Sum => number(nums().sum()),
        Calculation::Average => {
            let n: Vec<f64> = nums().collect();
            if n.is_empty() {
                Value::Null
            } else {
                number(n.iter().sum::<f64>() / n.len() as f64)
            }
        }
        Calculation::Min => nums().reduce(f64::min).map_or(Value::Null, number),
        Calculation::Max => nums().reduce(f64::max).map_or(Value::Null, number),
        Calculation::First | Calculation::FirstTime => {
            let mut best: Option<&(i64, Value)> = None;
            for c in &contributions_all {
                if best.is_none_or(|b| c.0 < b.0) {
                    best = Some(c);
                }
            }
            best.map_or(Value::Null, |b| b.1.clone())
        }
        Calculation::Last | Calculation::LastTime => {
            let mut best: Option<&(i64, Value)> = None;
            for c in &contributions_all {
                if best.is_none_or(|b| c.0 >= b.0) {
                    best = Some(c);
                }
            }
            best.map_or(Value::Null, |b| b.1.clone())
        }
        Calculation::Unique => {
            let mut last_seen: BTreeMap<String, i64> = BTreeMap::new();
            for (t, v) in &contributions_all {
                if let Some(k) = as_text(v) {
                    let e = last_seen.entry(k).or_insert(*t);
                    *e = (*e).max(*t);
                }
            }
            let mut all: Vec<(i64, String)> = last_seen.into_iter().map(|(k, t)| (t, k)).collect();
            all.sort();
            let kept: std::collections::BTreeSet<String> =
                all.into_iter().rev().take(limit).map(|(_, k)| k).collect();
            Value::Array(kept.into_iter().map(Value::String).collect())
        }
        Calculation::MostFrequent => {
            let mut seen: BTreeMap<String, (u64, i64, Value)> = BTreeMap::new();
            for (t, v) in &contributions_all {
                if let Some(k) = as_text(v) {
                    let e = seen.entry(k).or_insert((0, *t, v.clone()));
                    e.0 += 1;
                    e.1 = e.1.max(*t);
                }
            }
            seen.iter()
                .max_by(|a, b| (a.1 .0, a.1 .1, a.0).cmp(&(b.1 .0, b.1 .1, b.0)))
                .map_or(Value::Null, |(_, v)| v.2.clone())
        }
    }
}
