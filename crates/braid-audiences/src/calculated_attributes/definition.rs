//! Calculated-attribute definitions as written in the config file
//! (`[[calculated_attributes]]`) or sent to the admin API, and their validation into the
//! compiled form the incremental engine runs. Errors name the attribute and the field.
//!
//! The vocabulary is the audience `calculated` criterion's (`function`, `of`, `where`,
//! `within_days`), with `event` for the event name, since `name` is the attribute's own:
//!
//! ```toml
//! [[calculated_attributes]]
//! name = "minutes_30d"        # also the Braze custom attribute, unless braze_name is set
//! function = "sum"
//! of = "minutes"
//! event = "Played"
//! within_days = 30
//! ```

use crate::compile::{Compiler, EventFilter};
use crate::definition::{AttributeCriterion, DefinitionError};
use crate::history::EventKindTag;
use crate::matching::{lower, parse_date, DAY_MS};
use crate::MAX_WINDOW_DAYS;
use serde::{Deserialize, Serialize};

/// One calculated attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalculatedAttribute {
    /// The attribute's name: how audiences and the admin API refer to it, and the Braze
    /// custom attribute it writes unless `braze_name` is given.
    pub name: String,
    /// The Braze custom attribute written, when it differs from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub braze_name: Option<String>,
    /// What is calculated.
    pub function: Calculation,
    /// What each event contributes: an event attribute (ignoring case), or one of the
    /// commerce values `$amount`, `$sku`, `$product_name`, `$quantity`. Required except
    /// for `count`, `first_time` and `last_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<String>,
    /// Event name filter (ignoring case): custom event name, screen name, commerce action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Event kind filter (`custom`, `screen_view`, `purchase`, `commerce_action`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<EventKindTag>,
    /// Filters on the event's attributes, as in audience criteria; all must match.
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<AttributeCriterion>,
    /// Sliding window: the current UTC day and the `within_days - 1` days before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_days: Option<u32>,
    /// Fixed start: events at or after this date (`2024-03-01`, RFC 3339 or UNIX time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Life cycle: `draft` (stored, not computed), `active` (default) or `deleted`.
    #[serde(default)]
    pub state: CalculatedState,
}

/// A calculated attribute's life cycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalculatedState {
    /// Stored and validated, not computed or sent.
    Draft,
    /// Computed on every matching event and sent to Braze when it changes.
    #[default]
    Active,
    /// No longer computed or sent; Braze keeps the last value it got.
    Deleted,
}

/// The calculations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Calculation {
    /// Matching events (with `of`: values of that attribute, or products for `$sku`).
    Count,
    /// Sum of the numeric values.
    Sum,
    /// Mean of the numeric values.
    #[serde(alias = "avg")]
    Average,
    /// Smallest numeric value.
    Min,
    /// Largest numeric value.
    Max,
    /// Value of the earliest matching event.
    First,
    /// Value of the latest matching event.
    Last,
    /// Time of the earliest matching event.
    FirstTime,
    /// Time of the latest matching event.
    LastTime,
    /// The distinct values, the most recently seen ones up to Braze's array limit.
    Unique,
    /// The value seen most often.
    MostFrequent,
}

impl Calculation {
    /// The calculation's name as written in definitions.
    pub fn as_str(self) -> &'static str {
        match self {
            Calculation::Count => "count",
            Calculation::Sum => "sum",
            Calculation::Average => "average",
            Calculation::Min => "min",
            Calculation::Max => "max",
            Calculation::First => "first",
            Calculation::Last => "last",
            Calculation::FirstTime => "first_time",
            Calculation::LastTime => "last_time",
            Calculation::Unique => "unique",
            Calculation::MostFrequent => "most_frequent",
        }
    }

    fn needs_of(self) -> bool {
        !matches!(
            self,
            Calculation::Count | Calculation::FirstTime | Calculation::LastTime
        )
    }
}

/// What each matching event contributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// The event itself (counts, times).
    Event,
    /// The monetary amount of a commerce event.
    Amount,
    /// Each product's SKU.
    Sku,
    /// Each product's name.
    ProductName,
    /// Each product's quantity (1 when absent).
    Quantity,
    /// An event attribute, lowercased.
    Attribute(String),
}

/// The time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Every event ever seen by braid.
    Lifetime,
    /// Events at or after this instant.
    Since(i64),
    /// Events on the current UTC day or the `days - 1` before it.
    Days(u32),
}

impl Window {
    /// The first UTC day (days since the epoch) inside a sliding window at `now_ms`.
    pub fn first_day(days: u32, now_ms: i64) -> i64 {
        now_ms.div_euclid(DAY_MS) - i64::from(days) + 1
    }

    /// Whether an event at `ts_ms` is inside the window at `now_ms`. Events stamped in
    /// the future count.
    pub fn contains(self, ts_ms: i64, now_ms: i64) -> bool {
        match self {
            Window::Lifetime => true,
            Window::Since(start) => ts_ms >= start,
            Window::Days(d) => ts_ms.div_euclid(DAY_MS) >= Window::first_day(d, now_ms),
        }
    }

    /// How far back the window reaches at `now_ms` (`None`: forever).
    pub fn start_ms(self, now_ms: i64) -> Option<i64> {
        match self {
            Window::Lifetime => None,
            Window::Since(start) => Some(start),
            Window::Days(d) => Some(Window::first_day(d, now_ms) * DAY_MS),
        }
    }
}

/// A validated calculated attribute, ready to run.
#[derive(Debug, Clone)]
pub struct CompiledAttribute {
    /// The definition as given.
    pub definition: CalculatedAttribute,
    /// Bumped by the store whenever the definition's calculation changes; a profile's
    /// state computed for another revision is recomputed.
    pub revision: u64,
    pub(crate) filter: EventFilter,
    pub(crate) source: Source,
    pub(crate) window: Window,
}

impl CompiledAttribute {
    /// The Braze custom attribute written.
    pub fn braze_name(&self) -> &str {
        self.definition
            .braze_name
            .as_deref()
            .unwrap_or(&self.definition.name)
    }

    /// The window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// The calculation.
    pub fn function(&self) -> Calculation {
        self.definition.function
    }
}

/// Names Braze reserves for its own profile fields; a calculated attribute may not write
/// them (they are not custom attributes).
const RESERVED_BRAZE_NAMES: &[&str] = &[
    "external_id",
    "user_alias",
    "braze_id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "gender",
    "dob",
    "country",
    "home_city",
    "language",
    "time_zone",
    "push_tokens",
    "email_subscribe",
    "push_subscribe",
    "subscription_groups",
    "SegmentMembership",
    "SegmentMembershipArray",
];

/// Parse one definition from JSON (admin API or config), naming the failing field.
pub fn parse_calculated_attribute(
    value: serde_json::Value,
    label: &str,
) -> Result<CalculatedAttribute, DefinitionError> {
    let name = value
        .get("name")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    serde_path_to_error::deserialize(value).map_err(|e| DefinitionError {
        audience: attribute_label(label, name.as_deref()),
        path: match e.path().to_string() {
            p if p == "." => "$".to_string(),
            p => p,
        },
        reason: e.inner().to_string(),
    })
}

/// A label for a calculated attribute in error messages.
pub(crate) fn attribute_label(prefix: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{prefix} {name:?}"),
        None => prefix.to_string(),
    }
}

/// Validate one definition, reporting every problem with its field.
pub fn compile_attribute(
    definition: &CalculatedAttribute,
    revision: u64,
    label: &str,
) -> Result<CompiledAttribute, Vec<DefinitionError>> {
    let label = attribute_label(label, Some(&definition.name));
    let mut c = Compiler::new(&label);
    let mut errors = Vec::new();
    let mut err = |path: &str, reason: String| {
        errors.push(DefinitionError {
            audience: label.clone(),
            path: path.to_string(),
            reason,
        })
    };
    let name = definition.name.trim();
    if name.is_empty() {
        err("name", "must not be empty".into());
    } else if name != definition.name {
        err("name", "must not start or end with spaces".into());
    }
    let braze_name = definition.braze_name.as_deref().unwrap_or(name);
    let braze_field = if definition.braze_name.is_some() {
        "braze_name"
    } else {
        "name"
    };
    if braze_name.trim().is_empty() {
        err(braze_field, "must not be empty".into());
    } else if braze_name.starts_with('$') {
        err(
            braze_field,
            "braze custom attributes cannot start with `$`".into(),
        );
    } else if braze_name.len() > 255 {
        err(
            braze_field,
            "braze custom attribute names are at most 255 characters".into(),
        );
    } else if RESERVED_BRAZE_NAMES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(braze_name))
        || braze_name.starts_with("In ")
    {
        err(
            braze_field,
            format!("`{braze_name}` is a braze profile field or a membership attribute, not a custom attribute"),
        );
    }
    let function = definition.function;
    let source = match (&definition.of, function.needs_of()) {
        (None, true) => {
            err(
                "of",
                format!(
                    "function {} needs `of` (an event attribute, $amount, $sku, $product_name or $quantity)",
                    function.as_str()
                ),
            );
            None
        }
        (None, false) => Some(Source::Event),
        (Some(of), _) => match lower(of.trim()).as_ref() {
            "" => {
                err("of", "must not be empty".into());
                None
            }
            "$amount" => Some(Source::Amount),
            "$sku" => Some(Source::Sku),
            "$product_name" => Some(Source::ProductName),
            "$quantity" => Some(Source::Quantity),
            s if s.starts_with('$') && !s.starts_with("$$") => {
                // mParticle reserves `$` names for its own attributes; events may carry
                // them (`$Amount` as a custom attribute), so only the known commerce
                // names are special and everything else is an attribute key.
                Some(Source::Attribute(s.to_string()))
            }
            s => Some(Source::Attribute(s.to_string())),
        },
    };
    let window = match (definition.within_days, &definition.since) {
        (Some(_), Some(_)) => {
            err("since", "give either within_days or since, not both".into());
            None
        }
        (Some(d), None) if !(1..=MAX_WINDOW_DAYS).contains(&d) => {
            err(
                "within_days",
                format!("must be between 1 and {MAX_WINDOW_DAYS}"),
            );
            None
        }
        (Some(d), None) => Some(Window::Days(d)),
        (None, Some(s)) => match parse_date(s) {
            Some(date) => Some(Window::Since(date.instant())),
            None => {
                err(
                    "since",
                    "needs a date (2024-03-01, 2024-03-01T12:00:00Z or unix time)".into(),
                );
                None
            }
        },
        (None, None) => Some(Window::Lifetime),
    };
    let filter = c.event_filter(
        definition.event.as_deref(),
        definition.kind,
        &definition.filters,
        "",
    );
    for mut e in c.errors {
        // The compiler's paths start with the leaf path it was given (here empty).
        e.path = e.path.trim_start_matches('.').to_string();
        errors.push(e);
    }
    match (filter, source, window) {
        (Some(filter), Some(source), Some(window)) if errors.is_empty() => Ok(CompiledAttribute {
            definition: definition.clone(),
            revision,
            filter,
            source,
            window,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn compile(v: serde_json::Value) -> Result<CompiledAttribute, Vec<DefinitionError>> {
        let def = parse_calculated_attribute(v, "calculated_attributes[0]").map_err(|e| vec![e])?;
        compile_attribute(&def, 1, "calculated_attributes[0]")
    }

    #[test]
    fn the_issue_example_parses_from_toml() {
        let text = r#"
[[calculated_attributes]]
name = "minutes_30d"
function = "sum"
of = "minutes"
event = "Played"
within_days = 30
"#;
        #[derive(Deserialize)]
        struct File {
            calculated_attributes: Vec<CalculatedAttribute>,
        }
        let file: File = toml::from_str(text).unwrap();
        let c = compile_attribute(&file.calculated_attributes[0], 1, "x").unwrap();
        assert_eq!(c.braze_name(), "minutes_30d");
        assert_eq!(c.window, Window::Days(30));
        assert_eq!(c.source, Source::Attribute("minutes".into()));
        assert_eq!(c.definition.state, CalculatedState::Active);
    }

    #[test]
    fn an_unknown_function_is_refused_naming_the_field() {
        let e = compile(json!({"name": "x", "function": "median", "of": "a"})).unwrap_err();
        assert_eq!(e[0].path, "function");
        assert_eq!(e[0].audience, "calculated_attributes[0] \"x\"");
        assert!(
            e[0].reason.contains("unknown variant `median`"),
            "{}",
            e[0].reason
        );
    }

    #[test]
    fn sum_without_of_and_both_windows_are_refused_together() {
        let e = compile(
            json!({"name": "x", "function": "sum", "within_days": 3, "since": "2024-01-01"}),
        )
        .unwrap_err();
        let paths: Vec<&str> = e.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["of", "since"]);
        assert!(e[0].reason.contains("needs `of`"));
    }

    #[test]
    fn window_bounds_and_dates_are_checked() {
        let e = compile(json!({"name": "x", "function": "count", "within_days": 0})).unwrap_err();
        assert_eq!(e[0].path, "within_days");
        let e = compile(json!({"name": "x", "function": "count", "since": "last tuesday"}))
            .unwrap_err();
        assert_eq!(e[0].path, "since");
        let c = compile(json!({"name": "x", "function": "count", "since": "2024-03-01"})).unwrap();
        assert_eq!(c.window, Window::Since(1_709_251_200_000));
    }

    #[test]
    fn filters_are_checked_with_the_audience_rules() {
        let e = compile(json!({"name": "x", "function": "count", "event": "Played",
            "where": [{"key": "genre", "op": "gt", "value": "rock"}]}))
        .unwrap_err();
        assert_eq!(e[0].path, "where[0].value");
        assert!(e[0].reason.contains("needs a number"), "{}", e[0].reason);
    }

    #[test]
    fn braze_reserved_and_empty_names_are_refused() {
        let e =
            compile(json!({"name": "x", "braze_name": "email", "function": "count"})).unwrap_err();
        assert_eq!(e[0].path, "braze_name");
        let e = compile(json!({"name": "", "function": "count"})).unwrap_err();
        assert_eq!(e[0].path, "name");
        let e = compile(json!({"name": "$x", "function": "count"})).unwrap_err();
        assert_eq!(e[0].path, "name");
    }

    #[test]
    fn commerce_sources_are_recognised_in_any_case() {
        let c = compile(
            json!({"name": "skus", "function": "unique", "of": "$SKU", "kind": "purchase"}),
        )
        .unwrap();
        assert_eq!(c.source, Source::Sku);
        let c = compile(json!({"name": "spent", "function": "sum", "of": "$Amount"})).unwrap();
        assert_eq!(c.source, Source::Amount);
    }

    #[test]
    fn sliding_windows_are_whole_utc_days_including_today() {
        let day = DAY_MS;
        let now = 10 * day + 5; // just after midnight of day 10
        let w = Window::Days(3);
        assert!(w.contains(8 * day, now)); // first instant of day 8: inside
        assert!(!w.contains(8 * day - 1, now)); // last instant of day 7: outside
        assert!(w.contains(20 * day, now)); // the future counts
        assert_eq!(w.start_ms(now), Some(8 * day));
    }
}
