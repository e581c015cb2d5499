//! Evaluation: one audience against one user ([`evaluate`]), and the compiled
//! [`AudienceSet`] the pipeline uses — change index, dependency order, membership deltas,
//! sliding-window expiry and history retention.
//!
//! # How the server uses it
//! ```text
//! on batch:    change = Change::default(); change.attribute_keys ∪= changed + deleted keys;
//!              change.identity_types ∪= changed types; change.record_event(r) per new record
//!              ids   = set.affected_by(&change)             (None for a user never evaluated)
//!              delta = set.evaluate_user(&view, Some(&ids), now_ms)
//!              store delta + join times; schedule set.next_expiry(&view', now_ms)
//! on expiry:   delta = set.evaluate_user(&view, Some(&set.time_sensitive()), now_ms)
//! on create / change of an audience (backfill): evaluate_user(&view, Some(&[id]), now) per profile
//! history:     keep records newer than now - max(retention, set.retain_window_ms())
//! ```
//! Time windows are inclusive: an event at exactly `now - within_days × 24 h` counts, one
//! millisecond earlier does not. Events stamped in the future count as recent.

use crate::calculated_attributes::CalculatedValues;
use crate::compile::{Compiler, Deps, EventFilter, Node, Of, ValueTest};
use crate::definition::{
    audience_label, Audience, AudienceState, CalcFunction, DefinitionError, DefinitionErrors,
};
use crate::history::{EventKind, EventKindTag, EventRecord};
use crate::matching::{contains_ci, eq_ci, parse_date, parse_number, unix_to_ms};
use braid_mparticle::{AttributeMap, AttributeValue, Identities, IdentityType};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Everything evaluation reads about one user.
#[derive(Debug, Clone, Copy)]
pub struct UserView<'a> {
    /// Current user attributes (after the batch).
    pub attributes: &'a AttributeMap,
    /// Current identities.
    pub identities: &'a Identities,
    /// Event history (any order), including the batch's new records.
    pub history: &'a [EventRecord],
    /// Audiences the user is currently in (before this evaluation).
    pub memberships: &'a BTreeSet<u64>,
    /// The user's calculated attributes (after the batch).
    pub calculated: &'a CalculatedValues,
}

/// Audiences entered and left by one evaluation, each in ascending id order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipDelta {
    pub entered: Vec<u64>,
    pub left: Vec<u64>,
}

impl MembershipDelta {
    /// No audience entered or left.
    pub fn is_empty(&self) -> bool {
        self.entered.is_empty() && self.left.is_empty()
    }

    /// `memberships` with this delta applied.
    pub fn apply(&self, memberships: &BTreeSet<u64>) -> BTreeSet<u64> {
        let mut out = memberships.clone();
        for id in &self.left {
            out.remove(id);
        }
        out.extend(self.entered.iter().copied());
        out
    }
}

/// What a batch changed for one user: the keys for [`AudienceSet::affected_by`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// User attribute keys set or deleted (any case).
    pub attribute_keys: BTreeSet<String>,
    /// Identity types added, changed or removed.
    pub identity_types: BTreeSet<IdentityType>,
    /// Names of new history records (any case). Fill with [`Change::record_event`].
    pub event_names: BTreeSet<String>,
    /// Kinds of new history records. Fill with [`Change::record_event`].
    pub event_kinds: BTreeSet<EventKindTag>,
    /// Calculated attributes whose value changed.
    pub calculated: BTreeSet<String>,
}

impl Change {
    /// Note a new history record (its name and kind).
    pub fn record_event(&mut self, record: &EventRecord) {
        self.event_names.insert(record.name.to_lowercase());
        self.event_kinds.insert(record.kind.tag());
    }

    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.attribute_keys.is_empty()
            && self.identity_types.is_empty()
            && self.event_names.is_empty()
            && self.event_kinds.is_empty()
            && self.calculated.is_empty()
    }
}

/// Evaluate one audience for one user, ignoring its state. Member criteria read
/// `user.memberships`. A definition that does not validate never matches; use
/// [`AudienceSet`] to validate and to evaluate many audiences fast.
pub fn evaluate(audience: &Audience, user: &UserView, now_ms: i64) -> bool {
    let mut compiler = Compiler::new("audience");
    match compiler.node(&audience.criteria, "criteria") {
        Some(node) if compiler.errors.is_empty() => eval_node(&node, user, now_ms),
        _ => false,
    }
}

#[derive(Debug, Clone)]
struct Compiled {
    id: u64,
    node: Node,
    member_deps: Vec<u64>,
    time_sensitive: bool,
}

/// A validated, compiled set of audiences with its change index.
#[derive(Debug, Clone, Default)]
pub struct AudienceSet {
    /// Every audience given (any state), by id.
    audiences: BTreeMap<u64, Audience>,
    /// Active audiences in dependency order (dependencies first).
    compiled: Vec<Compiled>,
    by_attr: HashMap<String, Vec<usize>>,
    by_identity: HashMap<IdentityType, Vec<usize>>,
    by_event_name: HashMap<String, Vec<usize>>,
    by_event_kind: HashMap<EventKindTag, Vec<usize>>,
    any_event: Vec<usize>,
    by_calculated: HashMap<String, Vec<usize>>,
    retain_window_ms: i64,
}

impl AudienceSet {
    /// Validate and compile. Reports every error: bad operands, duplicate ids, member
    /// criteria naming an unknown or deleted audience or itself, and membership cycles.
    /// Deleted audiences are kept (for names and clean-up) but never evaluated.
    pub fn new(audiences: Vec<Audience>) -> Result<AudienceSet, DefinitionErrors> {
        let mut errors = Vec::new();
        let mut by_id: BTreeMap<u64, Audience> = BTreeMap::new();
        let mut compiled: BTreeMap<u64, (Node, Deps, String)> = BTreeMap::new();
        for (i, a) in audiences.into_iter().enumerate() {
            let label = audience_label(&format!("audiences[{i}]"), Some(a.id), Some(&a.name));
            if by_id.contains_key(&a.id) {
                errors.push(DefinitionError {
                    audience: label,
                    path: "id".into(),
                    reason: format!("duplicate audience id {}", a.id),
                });
                continue;
            }
            let mut c = Compiler::new(&label);
            let node = c.node(&a.criteria, "criteria");
            let (errs, deps) = (c.errors, c.deps);
            match node {
                Some(n) if errs.is_empty() => {
                    compiled.insert(a.id, (n, deps, label));
                }
                _ => errors.extend(errs),
            }
            by_id.insert(a.id, a);
        }

        // Member references: must name a known, non-deleted audience other than itself.
        for (id, (_, deps, label)) in &compiled {
            if by_id[id].state == AudienceState::Deleted {
                continue;
            }
            for (dep, path) in &deps.members {
                let reason = match by_id.get(dep) {
                    None => Some(format!("audience {dep} does not exist")),
                    Some(d) if d.state == AudienceState::Deleted => {
                        Some(format!("audience {dep} is deleted"))
                    }
                    Some(_) if dep == id => Some("an audience cannot contain itself".to_string()),
                    Some(_) => None,
                };
                if let Some(reason) = reason {
                    errors.push(DefinitionError {
                        audience: label.clone(),
                        path: path.clone(),
                        reason,
                    });
                }
            }
        }
        if !errors.is_empty() {
            return Err(DefinitionErrors(errors));
        }

        // Dependency order over non-deleted audiences (depth-first, reporting a cycle).
        let live: Vec<u64> = compiled
            .keys()
            .copied()
            .filter(|id| by_id[id].state != AudienceState::Deleted)
            .collect();
        let mut order = Vec::with_capacity(live.len());
        let mut mark: HashMap<u64, u8> = HashMap::new(); // 1 = on stack, 2 = done
        for &start in &live {
            let mut stack = vec![start];
            if let Err(cycle) = visit(start, &compiled, &mut mark, &mut order, &mut stack) {
                let closing = cycle[cycle.len() - 2];
                let (_, deps, label) = &compiled[&closing];
                let path = deps
                    .members
                    .iter()
                    .find(|(d, _)| *d == *cycle.last().unwrap_or(&0))
                    .map(|(_, p)| p.clone())
                    .unwrap_or_default();
                let chain: Vec<String> = cycle.iter().map(u64::to_string).collect();
                return Err(DefinitionErrors(vec![DefinitionError {
                    audience: label.clone(),
                    path,
                    reason: format!("membership cycle: {}", chain.join(" -> ")),
                }]));
            }
        }

        let mut set = AudienceSet {
            audiences: by_id,
            ..AudienceSet::default()
        };
        for id in order {
            if set.audiences[&id].state != AudienceState::Active {
                continue;
            }
            let (node, deps, _) = compiled.remove(&id).expect("compiled");
            let idx = set.compiled.len();
            for k in &deps.attribute_keys {
                set.by_attr.entry(k.clone()).or_default().push(idx);
            }
            for t in &deps.identity_types {
                set.by_identity.entry(*t).or_default().push(idx);
            }
            for n in &deps.event_names {
                set.by_event_name.entry(n.clone()).or_default().push(idx);
            }
            for k in &deps.event_kinds {
                set.by_event_kind.entry(*k).or_default().push(idx);
            }
            if deps.any_event {
                set.any_event.push(idx);
            }
            for (name, _) in &deps.calculated {
                set.by_calculated.entry(name.clone()).or_default().push(idx);
            }
            set.retain_window_ms = set.retain_window_ms.max(deps.max_window_ms);
            set.compiled.push(Compiled {
                id,
                node,
                member_deps: deps.members.iter().map(|(d, _)| *d).collect(),
                time_sensitive: deps.time_sensitive,
            });
        }
        Ok(set)
    }

    /// The set with `audience` added, or replacing the one with the same id (admin API).
    pub fn with_audience(&self, audience: Audience) -> Result<AudienceSet, DefinitionErrors> {
        let mut all: Vec<Audience> = self
            .audiences
            .values()
            .filter(|a| a.id != audience.id)
            .cloned()
            .collect();
        all.push(audience);
        AudienceSet::new(all)
    }

    /// The set without the audience `id` (after a deletion has been cleaned up).
    pub fn without(&self, id: u64) -> Result<AudienceSet, DefinitionErrors> {
        AudienceSet::new(
            self.audiences
                .values()
                .filter(|a| a.id != id)
                .cloned()
                .collect(),
        )
    }

    /// Calculated attributes that non-deleted audiences read, with the audience and the
    /// field path of each reference (to refuse references to unknown attributes).
    pub fn calculated_references(&self) -> Vec<(u64, String, String)> {
        let mut out = Vec::new();
        for a in self.audiences.values() {
            if a.state == AudienceState::Deleted {
                continue;
            }
            let mut c = Compiler::new("audience");
            c.node(&a.criteria, "criteria");
            for (name, path) in c.deps.calculated {
                out.push((a.id, name, path));
            }
        }
        out
    }

    /// One audience by id, in any state.
    pub fn get(&self, id: u64) -> Option<&Audience> {
        self.audiences.get(&id)
    }

    /// Every audience, in any state, by ascending id.
    pub fn audiences(&self) -> impl Iterator<Item = &Audience> {
        self.audiences.values()
    }

    /// Whether any audience is active (evaluation can be skipped when none is).
    pub fn has_active(&self) -> bool {
        !self.compiled.is_empty()
    }

    /// Active audiences in evaluation order (dependencies first).
    pub fn active_ids(&self) -> Vec<u64> {
        self.compiled.iter().map(|c| c.id).collect()
    }

    /// Active audiences whose result can change with time alone (event windows,
    /// `within_last_days`), plus their dependents: what a scheduled re-evaluation needs.
    pub fn time_sensitive(&self) -> Vec<u64> {
        let direct: BTreeSet<usize> = (0..self.compiled.len())
            .filter(|&i| self.compiled[i].time_sensitive)
            .collect();
        self.close_over_dependents(direct)
    }

    /// Active audiences that refer to `id` through member criteria, directly or not.
    pub fn dependents_of(&self, id: u64) -> Vec<u64> {
        let mut found: BTreeSet<u64> = BTreeSet::from([id]);
        let mut out = Vec::new();
        for c in &self.compiled {
            if c.member_deps.iter().any(|d| found.contains(d)) {
                found.insert(c.id);
                out.push(c.id);
            }
        }
        out
    }

    /// The active audiences whose result `change` can affect, with their dependents, in
    /// evaluation order. A user evaluated for the first time needs every audience
    /// (`evaluate_user(.., None, ..)`): "not" criteria can hold without any change.
    pub fn affected_by(&self, change: &Change) -> Vec<u64> {
        let mut hit: BTreeSet<usize> = BTreeSet::new();
        for k in &change.attribute_keys {
            if let Some(v) = self.by_attr.get(&k.to_lowercase()) {
                hit.extend(v);
            }
        }
        for t in &change.identity_types {
            if let Some(v) = self.by_identity.get(t) {
                hit.extend(v);
            }
        }
        for n in &change.event_names {
            if let Some(v) = self.by_event_name.get(&n.to_lowercase()) {
                hit.extend(v);
            }
        }
        for k in &change.event_kinds {
            if let Some(v) = self.by_event_kind.get(k) {
                hit.extend(v);
            }
        }
        if !change.event_names.is_empty() || !change.event_kinds.is_empty() {
            hit.extend(&self.any_event);
        }
        for n in &change.calculated {
            if let Some(v) = self.by_calculated.get(n) {
                hit.extend(v);
            }
        }
        self.close_over_dependents(hit)
    }

    fn close_over_dependents(&self, mut hit: BTreeSet<usize>) -> Vec<u64> {
        // Dependency order means one forward pass reaches every transitive dependent.
        let mut ids: HashSet<u64> = hit.iter().map(|&i| self.compiled[i].id).collect();
        for (i, c) in self.compiled.iter().enumerate() {
            if !hit.contains(&i) && c.member_deps.iter().any(|d| ids.contains(d)) {
                hit.insert(i);
                ids.insert(c.id);
            }
        }
        hit.into_iter().map(|i| self.compiled[i].id).collect()
    }

    /// Evaluate the `candidates` (every active audience when `None`) for one user, in
    /// dependency order; an audience whose dependency changed in this pass is evaluated
    /// too, so a candidate list without dependents is still handled correctly. Inactive and
    /// deleted audiences are never entered or left.
    pub fn evaluate_user(
        &self,
        user: &UserView,
        candidates: Option<&[u64]>,
        now_ms: i64,
    ) -> MembershipDelta {
        let wanted: Option<HashSet<u64>> = candidates.map(|c| c.iter().copied().collect());
        let mut current = user.memberships.clone();
        let mut changed: HashSet<u64> = HashSet::new();
        let mut delta = MembershipDelta::default();
        for c in &self.compiled {
            let asked = wanted.as_ref().is_none_or(|w| w.contains(&c.id));
            if !asked && !c.member_deps.iter().any(|d| changed.contains(d)) {
                continue;
            }
            let view = UserView {
                memberships: &current,
                ..*user
            };
            let is_in = eval_node(&c.node, &view, now_ms);
            let was_in = user.memberships.contains(&c.id);
            if is_in != was_in {
                changed.insert(c.id);
                if is_in {
                    current.insert(c.id);
                    delta.entered.push(c.id);
                } else {
                    current.remove(&c.id);
                    delta.left.push(c.id);
                }
            }
        }
        delta.entered.sort_unstable();
        delta.left.sort_unstable();
        delta
    }

    /// The earliest time after `now_ms` at which time alone could change one of this
    /// user's active audiences: when an event in a window ages out, or a date attribute
    /// enters or leaves a `within_last_days` window. `None`: nothing is time-dependent.
    /// Conservative: re-evaluating then may find no change.
    pub fn next_expiry(&self, user: &UserView, now_ms: i64) -> Option<i64> {
        let mut best: Option<i64> = None;
        for c in self.compiled.iter().filter(|c| c.time_sensitive) {
            expiry_of(&c.node, user, now_ms, &mut best);
        }
        best
    }

    /// The longest event window any active audience needs, in milliseconds (0 when none):
    /// the store keeps history for `max(retention setting, this)`.
    pub fn retain_window_ms(&self) -> i64 {
        self.retain_window_ms
    }
}

fn visit(
    id: u64,
    compiled: &BTreeMap<u64, (Node, Deps, String)>,
    mark: &mut HashMap<u64, u8>,
    order: &mut Vec<u64>,
    stack: &mut Vec<u64>,
) -> Result<(), Vec<u64>> {
    match mark.get(&id) {
        Some(2) => return Ok(()),
        Some(1) => {
            let from = stack.iter().position(|&x| x == id).unwrap_or(0);
            return Err(stack[from..].to_vec());
        }
        _ => {}
    }
    mark.insert(id, 1);
    if let Some((_, deps, _)) = compiled.get(&id) {
        for (dep, _) in &deps.members {
            // Deleted or unknown dependencies were refused earlier; only live ones remain.
            if compiled.contains_key(dep) {
                stack.push(*dep);
                visit(*dep, compiled, mark, order, stack)?;
                stack.pop();
            }
        }
    }
    mark.insert(id, 2);
    order.push(id);
    Ok(())
}

// ---- evaluation of compiled nodes ----

/// A loosely typed value as tests see it.
#[derive(Clone, Copy)]
enum V<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
    List(&'a [String]),
    Json(&'a [Value]),
    /// Objects and other shapes: they exist, but match no other test.
    Opaque,
    Null,
}

fn from_attr(v: &AttributeValue) -> V<'_> {
    match v {
        AttributeValue::Bool(b) => V::Bool(*b),
        AttributeValue::Number(n) => n.as_f64().map_or(V::Opaque, V::Num),
        AttributeValue::String(s) => V::Str(s),
        AttributeValue::List(l) => V::List(l),
        AttributeValue::Null => V::Null,
        AttributeValue::Other(j) => from_json(j),
    }
}

fn from_json(v: &Value) -> V<'_> {
    match v {
        Value::Null => V::Null,
        Value::Bool(b) => V::Bool(*b),
        Value::Number(n) => n.as_f64().map_or(V::Opaque, V::Num),
        Value::String(s) => V::Str(s),
        Value::Array(a) => V::Json(a),
        Value::Object(_) => V::Opaque,
    }
}

fn test_value(t: &ValueTest, v: V<'_>, now_ms: i64) -> bool {
    match v {
        V::Null => false,
        V::Opaque => matches!(t, ValueTest::Exists),
        V::List(items) => {
            matches!(t, ValueTest::Exists)
                || items.iter().any(|s| test_scalar(t, V::Str(s), now_ms))
        }
        V::Json(items) => {
            matches!(t, ValueTest::Exists)
                || items.iter().any(|e| match from_json(e) {
                    s @ (V::Str(_) | V::Num(_) | V::Bool(_)) => test_scalar(t, s, now_ms),
                    _ => false,
                })
        }
        scalar => test_scalar(t, scalar, now_ms),
    }
}

fn as_text(v: V<'_>) -> Option<std::borrow::Cow<'_, str>> {
    match v {
        V::Str(s) => Some(std::borrow::Cow::Borrowed(s)),
        V::Num(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        V::Bool(b) => Some(std::borrow::Cow::Borrowed(if b { "true" } else { "false" })),
        _ => None,
    }
}

fn as_number(v: V<'_>) -> Option<f64> {
    match v {
        V::Num(n) => Some(n),
        V::Str(s) => parse_number(s),
        _ => None,
    }
}

fn as_instant(v: V<'_>) -> Option<i64> {
    match v {
        V::Num(n) => unix_to_ms(n),
        V::Str(s) => parse_date(s).map(|d| d.instant()),
        _ => None,
    }
}

fn test_scalar(t: &ValueTest, v: V<'_>, now_ms: i64) -> bool {
    match t {
        ValueTest::Exists => true,
        ValueTest::Equals { lc, num } => match v {
            V::Num(n) => *num == Some(n),
            V::Str(s) => eq_ci(s, lc) || (num.is_some() && parse_number(s) == *num),
            V::Bool(b) => lc == if b { "true" } else { "false" },
            _ => false,
        },
        ValueTest::Contains(lc) => as_text(v).is_some_and(|s| contains_ci(&s, lc)),
        ValueTest::Pattern(p) => as_text(v).is_some_and(|s| p.matches(&s)),
        ValueTest::Num(op, x) => as_number(v).is_some_and(|n| op.test(n, *x)),
        ValueTest::Before(x) => as_instant(v).is_some_and(|t| t < *x),
        ValueTest::AtOrAfter(x) => as_instant(v).is_some_and(|t| t >= *x),
        ValueTest::Within(a, b) => as_instant(v).is_some_and(|t| *a <= t && t < *b),
        ValueTest::WithinLast(w) => as_instant(v).is_some_and(|t| now_ms - w <= t && t <= now_ms),
    }
}

/// Attribute by key, ignoring case (an exact match wins).
fn find_attr<'a>(map: &'a AttributeMap, key_lc: &str) -> Option<&'a AttributeValue> {
    map.get(key_lc)
        .or_else(|| map.iter().find(|(k, _)| eq_ci(k, key_lc)).map(|(_, v)| v))
}

pub(crate) fn find_json<'a>(map: &'a Map<String, Value>, key_lc: &str) -> Option<&'a Value> {
    map.get(key_lc)
        .or_else(|| map.iter().find(|(k, _)| eq_ci(k, key_lc)).map(|(_, v)| v))
}

pub(crate) fn record_matches(f: &EventFilter, r: &EventRecord, now_ms: i64) -> bool {
    f.kind.is_none_or(|k| r.kind.tag() == k)
        && f.name.as_deref().is_none_or(|n| eq_ci(&r.name, n))
        && f.filters.iter().all(|(k, t)| {
            find_json(&r.attributes, k).is_some_and(|v| test_value(t, from_json(v), now_ms))
        })
}

fn in_window(r: &EventRecord, window_ms: i64, now_ms: i64) -> bool {
    r.ts_ms >= now_ms - window_ms
}

fn purchase_has(r: &EventRecord, sku: Option<&str>, name: Option<&str>) -> bool {
    r.kind == EventKind::Purchase
        && r.products.iter().any(|p| {
            sku.is_none_or(|s| p.sku.as_deref().is_some_and(|ps| eq_ci(ps, s)))
                && name.is_none_or(|n| p.name.as_deref().is_some_and(|pn| eq_ci(pn, n)))
        })
}

fn eval_node(node: &Node, user: &UserView, now_ms: i64) -> bool {
    match node {
        Node::All(c) => c.iter().all(|n| eval_node(n, user, now_ms)),
        Node::Any(c) => c.iter().any(|n| eval_node(n, user, now_ms)),
        Node::Not(c) => !eval_node(c, user, now_ms),
        Node::Attr { key, test } => {
            find_attr(user.attributes, key).is_some_and(|v| test_value(test, from_attr(v), now_ms))
        }
        Node::Identity(t) => user.identities.get(t).is_some_and(|v| !v.is_empty()),
        Node::Member(id) => user.memberships.contains(id),
        Node::Events {
            filter,
            window_ms,
            count,
        } => {
            let n = user
                .history
                .iter()
                .filter(|r| in_window(r, *window_ms, now_ms) && record_matches(filter, r, now_ms))
                .count();
            count.test(n)
        }
        Node::Purchased {
            sku,
            name,
            window_ms,
            count,
        } => {
            let n = user
                .history
                .iter()
                .filter(|r| {
                    in_window(r, *window_ms, now_ms)
                        && purchase_has(r, sku.as_deref(), name.as_deref())
                })
                .count();
            count.test(n)
        }
        Node::PurchaseTotal {
            op,
            value,
            window_ms,
        } => {
            let total: f64 = user
                .history
                .iter()
                .filter(|r| r.kind == EventKind::Purchase && in_window(r, *window_ms, now_ms))
                .filter_map(|r| r.amount)
                .sum();
            op.test(total, *value)
        }
        Node::Calculated {
            filter,
            function,
            of,
            window_ms,
            test,
        } => calculate(user.history, filter, *function, of, *window_ms, now_ms)
            .is_some_and(|v| test_value(test, v.view(), now_ms)),
        Node::CalculatedAttribute { name, test } => user
            .calculated
            .value(name)
            .is_some_and(|v| test_value(test, from_json(v), now_ms)),
    }
}

/// The result of a calculated value.
enum Calc<'a> {
    Num(f64),
    Json(&'a Value),
}

impl Calc<'_> {
    fn view(&self) -> V<'_> {
        match self {
            Calc::Num(n) => V::Num(*n),
            Calc::Json(v) => from_json(v),
        }
    }
}

fn calculate<'a>(
    history: &'a [EventRecord],
    filter: &EventFilter,
    function: CalcFunction,
    of: &Of,
    window_ms: i64,
    now_ms: i64,
) -> Option<Calc<'a>> {
    let records = history
        .iter()
        .filter(|r| in_window(r, window_ms, now_ms) && record_matches(filter, r, now_ms));
    // The value each record contributes; records without one are skipped.
    let value = |r: &'a EventRecord| -> Option<Calc<'a>> {
        match of {
            Of::Nothing => Some(Calc::Num(1.0)),
            Of::Amount => r.amount.map(Calc::Num),
            Of::Attr(k) => find_json(&r.attributes, k)
                .filter(|v| !v.is_null())
                .map(Calc::Json),
        }
    };
    let number = |c: &Calc| match c {
        Calc::Num(n) => Some(*n),
        Calc::Json(v) => as_number(from_json(v)),
    };
    match function {
        CalcFunction::Count => Some(Calc::Num(records.filter_map(value).count() as f64)),
        CalcFunction::Sum => Some(Calc::Num(
            records.filter_map(value).filter_map(|c| number(&c)).sum(),
        )),
        CalcFunction::Min | CalcFunction::Max | CalcFunction::Avg => {
            let nums: Vec<f64> = records
                .filter_map(value)
                .filter_map(|c| number(&c))
                .collect();
            if nums.is_empty() {
                return None;
            }
            Some(Calc::Num(match function {
                CalcFunction::Min => nums.iter().copied().fold(f64::INFINITY, f64::min),
                CalcFunction::Max => nums.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                _ => nums.iter().sum::<f64>() / nums.len() as f64,
            }))
        }
        CalcFunction::First | CalcFunction::Last => {
            // Earliest / latest by timestamp; ties keep history order.
            let mut pick: Option<(i64, Calc<'a>)> = None;
            for r in records {
                let Some(v) = value(r) else { continue };
                let better = match &pick {
                    None => true,
                    Some((t, _)) if function == CalcFunction::First => r.ts_ms < *t,
                    Some((t, _)) => r.ts_ms >= *t,
                };
                if better {
                    pick = Some((r.ts_ms, v));
                }
            }
            pick.map(|(_, v)| v)
        }
    }
}

fn consider(best: &mut Option<i64>, t: i64, now_ms: i64) {
    if t > now_ms && best.is_none_or(|b| t < b) {
        *best = Some(t);
    }
}

fn expiry_of(node: &Node, user: &UserView, now_ms: i64, best: &mut Option<i64>) {
    let mut events = |window_ms: i64, keep: &dyn Fn(&EventRecord) -> bool| {
        for r in user.history {
            if in_window(r, window_ms, now_ms) && keep(r) {
                // The record stops counting one millisecond after the window passes it.
                consider(best, r.ts_ms + window_ms + 1, now_ms);
            }
        }
    };
    match node {
        Node::All(c) | Node::Any(c) => c.iter().for_each(|n| expiry_of(n, user, now_ms, best)),
        Node::Not(c) => expiry_of(c, user, now_ms, best),
        Node::Attr {
            key,
            test: ValueTest::WithinLast(w),
        } => {
            let instants: Vec<i64> = match find_attr(user.attributes, key).map(from_attr) {
                Some(V::List(items)) => {
                    items.iter().filter_map(|s| as_instant(V::Str(s))).collect()
                }
                Some(v) => as_instant(v).into_iter().collect(),
                None => Vec::new(),
            };
            for t in instants {
                consider(best, t, now_ms); // a future date enters the window
                consider(best, t + w + 1, now_ms); // and leaves it
            }
        }
        Node::CalculatedAttribute {
            name,
            test: ValueTest::WithinLast(w),
        } => {
            if let Some(t) = user
                .calculated
                .value(name)
                .and_then(|v| as_instant(from_json(v)))
            {
                consider(best, t, now_ms);
                consider(best, t + w + 1, now_ms);
            }
        }
        Node::Attr { .. }
        | Node::Identity(_)
        | Node::Member(_)
        | Node::CalculatedAttribute { .. } => {}
        Node::Events {
            filter, window_ms, ..
        }
        | Node::Calculated {
            filter, window_ms, ..
        } => events(*window_ms, &|r| record_matches(filter, r, now_ms)),
        Node::Purchased {
            sku,
            name,
            window_ms,
            ..
        } => events(*window_ms, &|r| {
            purchase_has(r, sku.as_deref(), name.as_deref())
        }),
        Node::PurchaseTotal { window_ms, .. } => {
            events(*window_ms, &|r| r.kind == EventKind::Purchase)
        }
    }
}
