//! Audience definitions as written in the config file or sent to the admin API: the
//! serde types, and parsing with errors that name the audience and the field.
//!
//! Criteria are an externally tagged tree (`all` / `any` / `not` and leaves), which reads
//! naturally in TOML and in JSON:
//!
//! ```toml
//! [[audiences]]
//! id = 11036
//! name = "Ibiza dreamers"
//! external_name = "Ibiza Dreamers"     # optional: Braze gets `In Ibiza Dreamers`
//! state = "active"                     # active (default) | inactive | deleted
//!
//! [audiences.criteria]
//! all = [
//!   { attribute = { key = "$Country", op = "equals", value = "es" } },
//!   { identity = "email" },
//!   { any = [
//!       { event = { name = "Search", where = [{ key = "destination", op = "pattern", value = "ibiza*" }], at_least = 2, within_days = 30 } },
//!       { purchased = { sku = "IBZ-FLIGHT", within_days = 90 } },
//!   ] },
//!   { calculated = { function = "sum", of = "$amount", kind = "purchase", within_days = 30, op = "gt", value = 100 } },
//!   { not = { member = 13052 } },
//! ]
//! ```
//!
//! The same audience in JSON (admin API):
//! `{"id": 11036, "name": "Ibiza dreamers", "criteria": {"all": [{"identity": "email"}]}}`.
//!
//! | leaf | fields |
//! |---|---|
//! | `attribute` | `key`, `op`, `value` or `days` (see [`AttributeOp`]) |
//! | `identity` | an identity type: `customer_id`, `email`, `other_id_2`, … |
//! | `member` | another audience's id |
//! | `event` | `name` and/or `kind`, optional `where` filters, one of `at_least` / `at_most` / `exactly` (default `at_least = 1`), `within_days` |
//! | `purchased` | `sku` and/or `name`, optional count as for `event`, `within_days` |
//! | `purchase_total` | `op` (numeric), `value`, `within_days` |
//! | `calculated` | `function`, `of` (event attribute, or `$amount`), event `name` / `kind` / `where`, `within_days`, `op`, `value` |
//! | `calculated_attribute` | a calculated attribute's `name`, `op`, `value` or `days` |
//!
//! Semantic checks (operator/value combinations, membership cycles, unknown ids) happen
//! when the definitions are compiled into an [`crate::AudienceSet`].

use crate::history::EventKindTag;
use braid_mparticle::IdentityType;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One audience.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Numeric id, as mParticle audience ids are; it is what `SegmentMembership` lists.
    pub id: u64,
    /// Name shown to operators.
    pub name: String,
    /// Name used in the Braze attribute `In <name>`; `name` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_name: Option<String>,
    /// Whether the audience is evaluated and synced.
    #[serde(default)]
    pub state: AudienceState,
    /// Who is in the audience.
    pub criteria: Criteria,
}

impl Audience {
    /// The name Braze sees: `external_name`, or `name`.
    pub fn segment_name(&self) -> &str {
        self.external_name.as_deref().unwrap_or(&self.name)
    }

    /// The per-segment Braze attribute: `In <segment_name>`.
    pub fn braze_attribute(&self) -> String {
        crate::braze_form::per_segment_attribute(self.segment_name())
    }

    /// Parse one audience from JSON (admin API), naming the failing field.
    pub fn from_json(value: serde_json::Value) -> Result<Audience, DefinitionError> {
        parse_one(value, "audience".to_string())
    }
}

/// An audience's life cycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudienceState {
    /// Evaluated on every change and synced to Braze.
    #[default]
    Active,
    /// Not evaluated; memberships are frozen (mParticle: "stops updates").
    Inactive,
    /// Gone; memberships are no longer listed. Other audiences may not refer to it.
    Deleted,
}

/// A criteria tree: combinators and leaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Criteria {
    /// Every child matches (an empty list always matches).
    All(Vec<Criteria>),
    /// At least one child matches (an empty list never matches).
    Any(Vec<Criteria>),
    /// The child does not match (mParticle's "exclude").
    Not(Box<Criteria>),
    /// A test on a user attribute.
    Attribute(AttributeCriterion),
    /// The user has this identity.
    Identity(IdentityType),
    /// The user is a member of the audience with this id.
    Member(u64),
    /// The user performed an event a number of times within a window.
    Event(EventCriterion),
    /// The user bought a product within a window.
    Purchased(PurchasedCriterion),
    /// The user's purchases add up to an amount within a window.
    PurchaseTotal(PurchaseTotalCriterion),
    /// A value calculated over the user's events within a window.
    Calculated(CalculatedCriterion),
    /// A test on one of the user's calculated attributes.
    CalculatedAttribute(CalculatedAttributeCriterion),
}

/// "The calculated attribute `name` `op` `value`": reads the value braid keeps for the
/// user (see `calculated_attributes`); a user without the value does not match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalculatedAttributeCriterion {
    /// The calculated attribute's name.
    pub name: String,
    /// The test, as for user attributes.
    pub op: AttributeOp,
    /// Operand of every operator except `exists` and `within_last_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Scalar>,
    /// Operand of `within_last_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
}

/// Operators of value tests. String tests ignore case; numeric tests read numbers sent as
/// strings; date tests read ISO-8601 or UNIX time, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeOp {
    /// Equal, ignoring case (numbers compare as numbers). Lists: any element.
    Equals,
    /// Contains the text, ignoring case. Lists: any element.
    Contains,
    /// Whole value matches a pattern with `*` (any run) and `?` (one character).
    Pattern,
    /// Present and not null.
    Exists,
    /// Greater than a number.
    Gt,
    /// Greater than or equal to a number.
    Gte,
    /// Less than a number.
    Lt,
    /// Less than or equal to a number.
    Lte,
    /// Numerically equal.
    Eq,
    /// Numerically different (a value that is not a number never matches).
    Ne,
    /// Before a date: strictly before that UTC day (a day), or that instant (a timestamp).
    Before,
    /// After a date: strictly after that UTC day (a day), or that instant (a timestamp).
    After,
    /// On the same UTC day as the date.
    On,
    /// Between `now - days` and `now`, both inclusive (needs `days`).
    WithinLastDays,
}

impl AttributeOp {
    /// The operator's name as written in definitions.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeOp::Equals => "equals",
            AttributeOp::Contains => "contains",
            AttributeOp::Pattern => "pattern",
            AttributeOp::Exists => "exists",
            AttributeOp::Gt => "gt",
            AttributeOp::Gte => "gte",
            AttributeOp::Lt => "lt",
            AttributeOp::Lte => "lte",
            AttributeOp::Eq => "eq",
            AttributeOp::Ne => "ne",
            AttributeOp::Before => "before",
            AttributeOp::After => "after",
            AttributeOp::On => "on",
            AttributeOp::WithinLastDays => "within_last_days",
        }
    }
}

impl fmt::Display for AttributeOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A literal in a definition: text, number or boolean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Number(f64),
    String(String),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Number(n) => write!(f, "{n}"),
            Scalar::String(s) => f.write_str(s),
        }
    }
}

/// A test on one attribute (of the user, or of an event in `where`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeCriterion {
    /// Attribute key, matched ignoring case (`$firstname` finds `$FirstName`).
    pub key: String,
    /// The test.
    pub op: AttributeOp,
    /// Operand of every operator except `exists` and `within_last_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Scalar>,
    /// Operand of `within_last_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
}

/// "Performed `name` at least / at most / exactly N times within the last D days".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventCriterion {
    /// Event name, ignoring case: the custom event name, the screen name, `Session Start` /
    /// `Session End`, or the commerce action (`purchase`, `add_to_cart`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Event kind (`custom`, `screen_view`, `purchase`, `commerce_action`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<EventKindTag>,
    /// Filters on the event's attributes; all must match.
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<AttributeCriterion>,
    /// At least this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u32>,
    /// At most this many times (zero times matches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<u32>,
    /// Exactly this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exactly: Option<u32>,
    /// Window: events at or after `now - within_days × 24 h` count.
    pub within_days: u32,
}

/// "Purchased a product (by SKU and/or name) within the last D days".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchasedCriterion {
    /// Product SKU, ignoring case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Product name, ignoring case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// At least this many purchases containing the product (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u32>,
    /// At most this many purchases containing the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<u32>,
    /// Exactly this many purchases containing the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exactly: Option<u32>,
    /// Window in days.
    pub within_days: u32,
}

/// "Purchase total `op` `value` within the last D days" (sum of purchase amounts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseTotalCriterion {
    /// A numeric operator (`gt`, `gte`, `lt`, `lte`, `eq`, `ne`).
    pub op: AttributeOp,
    /// The amount compared with.
    pub value: f64,
    /// Window in days.
    pub within_days: u32,
}

/// The function of a calculated value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalcFunction {
    /// Number of matching events (with `of`: events where that attribute is present).
    Count,
    /// Sum of the numeric values.
    Sum,
    /// Smallest numeric value.
    Min,
    /// Largest numeric value.
    Max,
    /// Mean of the numeric values.
    Avg,
    /// Value of the earliest matching event.
    First,
    /// Value of the latest matching event.
    Last,
}

/// A calculated value over the user's events in a window, compared with a literal:
/// "sum of `$amount` of purchases in 30 days > 100".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalculatedCriterion {
    /// What is calculated.
    pub function: CalcFunction,
    /// The event attribute (ignoring case), or `$amount` for the event's monetary amount;
    /// required except for `count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<String>,
    /// Event name filter (ignoring case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Event kind filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<EventKindTag>,
    /// Filters on the event's attributes.
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<AttributeCriterion>,
    /// Window in days.
    pub within_days: u32,
    /// How the result is compared.
    pub op: AttributeOp,
    /// What the result is compared with (not for `exists`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Scalar>,
}

/// Why a definition was refused. Displays as
/// `audiences[2] (id 7 "Big spenders"): criteria.all[0].attribute.op: unknown variant ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{audience}: {path}: {reason}")]
pub struct DefinitionError {
    /// Which audience: its position in the list and, when known, its id and name.
    pub audience: String,
    /// Field path inside the audience (`criteria.all[0].attribute.value`).
    pub path: String,
    /// What is wrong, lowercase, no trailing period.
    pub reason: String,
}

/// Every error found in a set of definitions (validation reports all of them at once).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct DefinitionErrors(pub Vec<DefinitionError>);

/// A label for an audience in error messages.
pub(crate) fn audience_label(prefix: &str, id: Option<u64>, name: Option<&str>) -> String {
    match (id, name) {
        (Some(id), Some(name)) => format!("{prefix} (id {id} {name:?})"),
        (Some(id), None) => format!("{prefix} (id {id})"),
        _ => prefix.to_string(),
    }
}

fn parse_one(value: serde_json::Value, prefix: String) -> Result<Audience, DefinitionError> {
    let id = value.get("id").and_then(serde_json::Value::as_u64);
    let name = value
        .get("name")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    serde_path_to_error::deserialize(value).map_err(|e| DefinitionError {
        audience: audience_label(&prefix, id, name.as_deref()),
        path: match e.path().to_string() {
            p if p == "." => "$".to_string(),
            p => p,
        },
        reason: e.inner().to_string(),
    })
}

/// Parse a list of audiences (the config file's `audiences` array, converted to JSON),
/// reporting every audience that fails with its position and the field path.
pub fn parse_audiences(value: serde_json::Value) -> Result<Vec<Audience>, DefinitionErrors> {
    let items = match value {
        serde_json::Value::Array(items) => items,
        other => {
            return Err(DefinitionErrors(vec![DefinitionError {
                audience: "audiences".into(),
                path: "$".into(),
                reason: format!("expected a list of audiences, found {}", kind_of(&other)),
            }]))
        }
    };
    let mut out = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match parse_one(item, format!("audiences[{i}]")) {
            Ok(a) => out.push(a),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(DefinitionErrors(errors))
    }
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_example_in_module_docs_parses_from_toml() {
        let text = r#"
[[audiences]]
id = 11036
name = "Ibiza dreamers"
external_name = "Ibiza Dreamers"
state = "active"

[audiences.criteria]
all = [
  { attribute = { key = "$Country", op = "equals", value = "es" } },
  { identity = "email" },
  { any = [
      { event = { name = "Search", where = [{ key = "destination", op = "pattern", value = "ibiza*" }], at_least = 2, within_days = 30 } },
      { purchased = { sku = "IBZ-FLIGHT", within_days = 90 } },
  ] },
  { calculated = { function = "sum", of = "$amount", kind = "purchase", within_days = 30, op = "gt", value = 100 } },
  { not = { member = 13052 } },
]
"#;
        #[derive(Deserialize)]
        struct File {
            audiences: serde_json::Value,
        }
        let file: File = toml::from_str(text).unwrap();
        let audiences = parse_audiences(file.audiences).unwrap();
        assert_eq!(audiences.len(), 1);
        let a = &audiences[0];
        assert_eq!(a.id, 11036);
        assert_eq!(a.segment_name(), "Ibiza Dreamers");
        let Criteria::All(children) = &a.criteria else {
            panic!("expected all")
        };
        assert_eq!(children.len(), 5);
        assert_eq!(children[1], Criteria::Identity(IdentityType::Email));
        assert_eq!(
            children[4],
            Criteria::Not(Box::new(Criteria::Member(13052)))
        );
        // Round trip through JSON keeps the definition identical (admin API storage).
        let back: Audience = serde_json::from_value(serde_json::to_value(a).unwrap()).unwrap();
        assert_eq!(&back, a);
    }

    #[test]
    fn unknown_operator_error_names_audience_and_field() {
        let err = parse_audiences(json!([
            {"id": 1, "name": "ok", "criteria": {"all": []}},
            {"id": 2, "name": "ok too", "criteria": {"all": []}},
            {"id": 7, "name": "Big spenders", "criteria": {"all": [
                {"attribute": {"key": "x", "op": "eqq", "value": 1}}
            ]}}
        ]))
        .unwrap_err();
        assert_eq!(err.0.len(), 1);
        let e = &err.0[0];
        assert_eq!(e.audience, r#"audiences[2] (id 7 "Big spenders")"#);
        assert_eq!(e.path, "criteria.all[0].attribute.op");
        assert!(e.reason.contains("unknown variant `eqq`"), "{}", e.reason);
        assert!(err
            .to_string()
            .starts_with("audiences[2] (id 7 \"Big spenders\"): criteria.all[0].attribute.op: "));
    }

    #[test]
    fn unknown_field_and_missing_window_are_refused() {
        let err = Audience::from_json(json!({"id": 3, "name": "x", "criteria": {
            "event": {"name": "a", "at_least": 1}
        }}))
        .unwrap_err();
        assert_eq!(err.path, "criteria.event");
        assert!(err.reason.contains("within_days"), "{}", err.reason);

        let err = Audience::from_json(
            json!({"id": 3, "name": "x", "colour": "red", "criteria": {"all": []}}),
        )
        .unwrap_err();
        assert!(err.reason.contains("colour"), "{}", err.reason);
    }

    #[test]
    fn state_defaults_to_active_and_external_name_to_name() {
        let a = Audience::from_json(
            json!({"id": 3, "name": "Possible Parisians", "criteria": {"all": []}}),
        )
        .unwrap();
        assert_eq!(a.state, AudienceState::Active);
        assert_eq!(a.braze_attribute(), "In Possible Parisians");
    }

    #[test]
    fn a_non_list_is_refused_with_a_clear_message() {
        let err = parse_audiences(json!({"id": 1})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "audiences: $: expected a list of audiences, found an object"
        );
    }
}
