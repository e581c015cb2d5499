//! Calculated attributes: per-user values computed incrementally from the user's events
//! (`count`, `sum`, `average`, `min`, `max`, `first`, `last`, `first_time`, `last_time`,
//! `unique`, `most_frequent`) over a lifetime, fixed-start or sliding window, typed for
//! Braze. Pure: time is passed in.
//!
//! - [`definition`]: the definition format and its validation, naming the field;
//! - [`state`]: the per-attribute state (running aggregates, per-day buckets) kept in the
//!   profile, and [`recompute`], the from-scratch reference;
//! - [`CalculatedSet`]: the definitions in force with their change index, which the
//!   pipeline asks which attributes a batch's events can affect, and which updates,
//!   expires and rebuilds a user's [`CalculatedValues`].
//!
//! # How the server uses it
//! ```text
//! on batch:    changed = set.apply(&mut values, &records, rebuild_from, now)
//!              (rebuild_from: the user's history when set.needs_rebuild(&values))
//! on re-check: changed = set.expire(&mut values, now); schedule set.next_expiry(&values)
//! on backfill: changed = set.rebuild(name, &mut values, &history, now)
//! to Braze:    set.braze_attributes(&values, &changed)
//! ```

pub mod definition;
pub mod state;

pub use definition::{
    compile_attribute, parse_calculated_attribute, CalculatedAttribute, CalculatedState,
    Calculation, CompiledAttribute, Window,
};
pub use state::{braze_time, recompute, Aggregate, AttributeState, MAX_TRACKED_VALUES};

use crate::definition::{DefinitionError, DefinitionErrors};
use crate::history::{EventKindTag, EventRecord};
use crate::matching::DAY_MS;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One user's calculated attributes. Kept in the profile, so a value commits with the
/// events that changed it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalculatedValues {
    /// Attribute name → state.
    #[serde(default, rename = "v", skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, AttributeState>,
    /// When time alone next changes one of the values (a day leaving a sliding window):
    /// the profile's re-check is scheduled no later than this.
    #[serde(default, rename = "next", skip_serializing_if = "Option::is_none")]
    pub next_expiry_ms: Option<i64>,
}

impl CalculatedValues {
    /// No attribute has a state.
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty() && self.next_expiry_ms.is_none()
    }

    /// The current value of the attribute `name`, if computed.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.attributes.get(name).map(|s| &s.value)
    }
}

/// A stored definition: the definition and the revision its states are computed for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAttribute {
    #[serde(flatten)]
    pub definition: CalculatedAttribute,
    /// Bumped whenever the calculation changes.
    pub revision: u64,
}

/// The calculated attributes in force, validated, with their change index.
#[derive(Debug, Clone)]
pub struct CalculatedSet {
    /// Every definition (any state), by name.
    stored: BTreeMap<String, StoredAttribute>,
    /// Active attributes, by name order.
    active: Vec<CompiledAttribute>,
    by_event_name: HashMap<String, Vec<usize>>,
    by_event_kind: HashMap<EventKindTag, Vec<usize>>,
    any_event: Vec<usize>,
    array_limit: usize,
    retain_window_ms: i64,
}

impl Default for CalculatedSet {
    fn default() -> Self {
        CalculatedSet {
            stored: BTreeMap::new(),
            active: Vec::new(),
            by_event_name: HashMap::new(),
            by_event_kind: HashMap::new(),
            any_event: Vec::new(),
            array_limit: DEFAULT_ARRAY_LIMIT,
            retain_window_ms: 0,
        }
    }
}

/// Braze's default longest array attribute.
pub const DEFAULT_ARRAY_LIMIT: usize = 25;

impl CalculatedSet {
    /// Validate and compile. Reports every error: bad fields, duplicate names, two
    /// attributes writing the same Braze attribute. `array_limit` bounds `unique` lists.
    pub fn new(
        definitions: Vec<StoredAttribute>,
        array_limit: usize,
    ) -> Result<CalculatedSet, DefinitionErrors> {
        let mut errors = Vec::new();
        let mut set = CalculatedSet {
            array_limit: array_limit.max(1),
            ..CalculatedSet::default()
        };
        let mut braze_names: BTreeMap<String, String> = BTreeMap::new();
        for (i, stored) in definitions.into_iter().enumerate() {
            let label = format!("calculated_attributes[{i}]");
            let def = &stored.definition;
            if set.stored.contains_key(&def.name) {
                errors.push(DefinitionError {
                    audience: definition::attribute_label(&label, Some(&def.name)),
                    path: "name".into(),
                    reason: format!("duplicate calculated attribute {:?}", def.name),
                });
                continue;
            }
            match compile_attribute(def, stored.revision, &label) {
                Ok(compiled) => {
                    if def.state != CalculatedState::Deleted {
                        let braze = compiled.braze_name().to_string();
                        if let Some(other) = braze_names.insert(braze.clone(), def.name.clone()) {
                            errors.push(DefinitionError {
                                audience: definition::attribute_label(&label, Some(&def.name)),
                                path: if def.braze_name.is_some() {
                                    "braze_name".into()
                                } else {
                                    "name".into()
                                },
                                reason: format!(
                                    "calculated attribute {other:?} already writes the braze attribute {braze:?}"
                                ),
                            });
                        }
                    }
                    if def.state == CalculatedState::Active {
                        set.active.push(compiled);
                    }
                }
                Err(e) => errors.extend(e),
            }
            set.stored.insert(def.name.clone(), stored);
        }
        if !errors.is_empty() {
            return Err(DefinitionErrors(errors));
        }
        set.active
            .sort_by(|a, b| a.definition.name.cmp(&b.definition.name));
        for (i, a) in set.active.iter().enumerate() {
            match (&a.filter.name, a.filter.kind) {
                (Some(n), _) => set.by_event_name.entry(n.clone()).or_default().push(i),
                (None, Some(k)) => set.by_event_kind.entry(k).or_default().push(i),
                (None, None) => set.any_event.push(i),
            }
            if let Window::Days(d) = a.window {
                set.retain_window_ms = set.retain_window_ms.max(i64::from(d) * DAY_MS);
            }
        }
        Ok(set)
    }

    /// The set with `definition` added, or replacing the one with the same name; its
    /// revision is bumped when the calculation changed. Returns whether a backfill is
    /// needed (the attribute is active and its calculation is new or changed).
    pub fn with_attribute(
        &self,
        definition: CalculatedAttribute,
    ) -> Result<(CalculatedSet, bool), DefinitionErrors> {
        let previous = self.stored.get(&definition.name);
        let same_calculation = previous.is_some_and(|p| {
            let strip = |d: &CalculatedAttribute| CalculatedAttribute {
                braze_name: None,
                state: CalculatedState::Active,
                ..d.clone()
            };
            strip(&p.definition) == strip(&definition)
        });
        let was_active = previous.is_some_and(|p| p.definition.state == CalculatedState::Active);
        let revision = match previous {
            Some(p) if same_calculation => p.revision,
            _ => self.next_revision(),
        };
        let active = definition.state == CalculatedState::Active;
        let mut all: Vec<StoredAttribute> = self
            .stored
            .values()
            .filter(|s| s.definition.name != definition.name)
            .cloned()
            .collect();
        all.push(StoredAttribute {
            definition,
            revision,
        });
        let set = CalculatedSet::new(all, self.array_limit)?;
        let backfill = active && (!same_calculation || !was_active);
        Ok((set, backfill))
    }

    /// The set without the attribute `name`.
    pub fn without(&self, name: &str) -> Result<CalculatedSet, DefinitionErrors> {
        CalculatedSet::new(
            self.stored
                .values()
                .filter(|s| s.definition.name != name)
                .cloned()
                .collect(),
            self.array_limit,
        )
    }

    /// The same definitions with another array limit.
    pub fn with_array_limit(&self, array_limit: usize) -> Result<CalculatedSet, DefinitionErrors> {
        CalculatedSet::new(self.stored.values().cloned().collect(), array_limit)
    }

    fn next_revision(&self) -> u64 {
        self.stored.values().map(|s| s.revision).max().unwrap_or(0) + 1
    }

    /// One definition by name, in any state.
    pub fn get(&self, name: &str) -> Option<&StoredAttribute> {
        self.stored.get(name)
    }

    /// Every definition, in any state, by name.
    pub fn definitions(&self) -> impl Iterator<Item = &StoredAttribute> {
        self.stored.values()
    }

    /// The active attribute `name`, compiled.
    pub fn active(&self, name: &str) -> Option<&CompiledAttribute> {
        self.active.iter().find(|a| a.definition.name == name)
    }

    /// Active attributes, by name.
    pub fn active_attributes(&self) -> &[CompiledAttribute] {
        &self.active
    }

    /// Whether any attribute is active (the pipeline skips this step when none is).
    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }

    /// The longest `unique` list.
    pub fn array_limit(&self) -> usize {
        self.array_limit
    }

    /// The longest sliding window, in ms: the store keeps history at least this long so
    /// that a backfill sees the whole window.
    pub fn retain_window_ms(&self) -> i64 {
        self.retain_window_ms
    }

    /// Whether some active attribute has no state, or a state of another revision, in
    /// `values`: the caller then passes the user's history to [`CalculatedSet::apply`].
    pub fn needs_rebuild(&self, values: &CalculatedValues) -> bool {
        self.active.iter().any(|a| {
            values
                .attributes
                .get(&a.definition.name)
                .is_none_or(|s| s.revision != a.revision)
        })
    }

    fn affected(&self, records: &[EventRecord]) -> BTreeSet<usize> {
        let mut hit = BTreeSet::new();
        for r in records {
            if let Some(v) = self
                .by_event_name
                .get(crate::matching::lower(&r.name).as_ref())
            {
                hit.extend(v);
            }
            if let Some(v) = self.by_event_kind.get(&r.kind.tag()) {
                hit.extend(v);
            }
        }
        if !records.is_empty() {
            hit.extend(&self.any_event);
        }
        hit
    }

    /// Count a batch's new `records` into the attributes they can affect, at `now_ms`.
    /// An attribute without a current state is built from `rebuild_from` (the user's
    /// history, which already holds `records`) when given, else from `records` (a new
    /// user). Returns the names whose value changed.
    pub fn apply(
        &self,
        values: &mut CalculatedValues,
        records: &[EventRecord],
        rebuild_from: Option<&[EventRecord]>,
        now_ms: i64,
    ) -> Vec<String> {
        let affected = self.affected(records);
        let mut changed = Vec::new();
        for (i, a) in self.active.iter().enumerate() {
            let name = &a.definition.name;
            let state = values.attributes.get(name);
            let current = state.is_some_and(|s| s.revision == a.revision);
            // A due expiry is applied too, so a value read after this call is never stale.
            let expired = state.is_some_and(|s| s.next_expiry(a).is_some_and(|t| t <= now_ms));
            if current && !expired && !affected.contains(&i) {
                continue;
            }
            let state = values
                .attributes
                .entry(name.clone())
                .or_insert_with(|| AttributeState::new(a));
            let did_change = if current {
                let counted: &[EventRecord] = if affected.contains(&i) { records } else { &[] };
                state.update(a, counted, now_ms, self.array_limit)
            } else {
                let before = std::mem::replace(state, AttributeState::new(a)).value;
                state.value = before;
                state.update(a, rebuild_from.unwrap_or(records), now_ms, self.array_limit)
            };
            if did_change {
                changed.push(name.clone());
            }
        }
        values.next_expiry_ms = self.next_expiry(values);
        changed
    }

    /// Rebuild the attribute `name` from `history` at `now_ms` (a backfill step).
    /// Returns whether its value changed.
    pub fn rebuild(
        &self,
        name: &str,
        values: &mut CalculatedValues,
        history: &[EventRecord],
        now_ms: i64,
    ) -> bool {
        let Some(a) = self.active(name) else {
            return false;
        };
        let before = values.value(name).cloned();
        let mut state = AttributeState::new(a);
        if let Some(before) = before {
            state.value = before;
        }
        let changed = state.update(a, history, now_ms, self.array_limit);
        values.attributes.insert(name.to_string(), state);
        values.next_expiry_ms = self.next_expiry(values);
        changed
    }

    /// Let time pass to `now_ms`: drop buckets that left their window and recompute what
    /// they held. Returns the names whose value changed.
    pub fn expire(&self, values: &mut CalculatedValues, now_ms: i64) -> Vec<String> {
        let mut changed = Vec::new();
        for a in &self.active {
            let Some(state) = values.attributes.get_mut(&a.definition.name) else {
                continue;
            };
            if state.next_expiry(a).is_some_and(|t| t <= now_ms)
                && state.refresh(a, now_ms, self.array_limit)
            {
                changed.push(a.definition.name.clone());
            }
        }
        values.next_expiry_ms = self.next_expiry(values);
        changed
    }

    /// When time alone next changes one of these values.
    pub fn next_expiry(&self, values: &CalculatedValues) -> Option<i64> {
        self.active
            .iter()
            .filter_map(|a| values.attributes.get(&a.definition.name)?.next_expiry(a))
            .min()
    }

    /// Forget the states of attributes that are no longer defined (deleted ones).
    pub fn prune(&self, values: &mut CalculatedValues) {
        values.attributes.retain(|name, _| {
            self.stored
                .get(name)
                .is_some_and(|s| s.definition.state != CalculatedState::Deleted)
        });
        values.next_expiry_ms = self.next_expiry(values);
    }

    /// The Braze custom attributes for the attributes `names`: `{braze_name: value}`.
    pub fn braze_attributes(
        &self,
        values: &CalculatedValues,
        names: &[String],
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for name in names {
            if let (Some(a), Some(v)) = (self.active(name), values.value(name)) {
                out.insert(a.braze_name().to_string(), v.clone());
            }
        }
        out
    }

    /// Every active attribute's current value as Braze custom attributes: the enriched
    /// set, with `include_enriched_user_attributes` on.
    pub fn all_braze_attributes(&self, values: &CalculatedValues) -> Map<String, Value> {
        let names: Vec<String> = self
            .active
            .iter()
            .map(|a| a.definition.name.clone())
            .collect();
        self.braze_attributes(values, &names)
    }

    /// What the profile look-up shows: each defined attribute's value and when it was
    /// last computed (ISO-8601 UTC).
    pub fn summary(&self, values: &CalculatedValues) -> Value {
        let mut out = Map::new();
        for (name, state) in &values.attributes {
            let Some(stored) = self.stored.get(name) else {
                continue;
            };
            out.insert(
                name.clone(),
                serde_json::json!({
                    "value": state.value,
                    "computed_at": braze_time(state.computed_ms),
                    "state": stored.definition.state,
                    "current": state.revision == stored.revision,
                }),
            );
        }
        Value::Object(out)
    }
}
