//! Validation of one audience's criteria and their compiled form: lowercased operands,
//! parsed dates and patterns, windows in milliseconds, and what the audience depends on
//! (for the change index and the dependency order).
//!
//! Everything the evaluator needs is resolved here once, so evaluation never parses.

use crate::definition::{
    AttributeCriterion, AttributeOp, CalcFunction, Criteria, DefinitionError, Scalar,
};
use crate::history::EventKindTag;
use crate::matching::{lower, parse_date, parse_number, DateText, Pattern, DAY_MS};
use braid_mparticle::IdentityType;
use std::collections::BTreeSet;

/// Longest window accepted, in days (ten years): keeps millisecond arithmetic far from
/// overflow and catches typos like `within_days = 3000000`.
pub const MAX_WINDOW_DAYS: u32 = 3660;

/// Numeric comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum NumOp {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Ne,
}

impl NumOp {
    pub(crate) fn test(self, a: f64, b: f64) -> bool {
        match self {
            NumOp::Gt => a > b,
            NumOp::Gte => a >= b,
            NumOp::Lt => a < b,
            NumOp::Lte => a <= b,
            NumOp::Eq => a == b,
            NumOp::Ne => a != b,
        }
    }

    fn from_op(op: AttributeOp) -> Option<NumOp> {
        Some(match op {
            AttributeOp::Gt => NumOp::Gt,
            AttributeOp::Gte => NumOp::Gte,
            AttributeOp::Lt => NumOp::Lt,
            AttributeOp::Lte => NumOp::Lte,
            AttributeOp::Eq => NumOp::Eq,
            AttributeOp::Ne => NumOp::Ne,
            _ => return None,
        })
    }
}

/// A compiled value test.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ValueTest {
    /// Lowercased text, and the number when the operand is one.
    Equals {
        lc: String,
        num: Option<f64>,
    },
    Contains(String),
    Pattern(Pattern),
    Exists,
    Num(NumOp, f64),
    /// Instant strictly before.
    Before(i64),
    /// Instant at or after.
    AtOrAfter(i64),
    /// `start <= t < end`.
    Within(i64, i64),
    /// `now - window <= t <= now`.
    WithinLast(i64),
}

/// How many times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CountTest {
    AtLeast(u32),
    AtMost(u32),
    Exactly(u32),
}

impl CountTest {
    pub(crate) fn test(self, n: usize) -> bool {
        match self {
            CountTest::AtLeast(k) => n >= k as usize,
            CountTest::AtMost(k) => n <= k as usize,
            CountTest::Exactly(k) => n == k as usize,
        }
    }
}

/// Which events a leaf looks at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EventFilter {
    pub name: Option<String>,
    pub kind: Option<EventKindTag>,
    pub filters: Vec<(String, ValueTest)>,
}

/// What a calculated value reads from each event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Of {
    Nothing,
    Amount,
    Attr(String),
}

/// A compiled criteria node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Attr {
        key: String,
        test: ValueTest,
    },
    Identity(IdentityType),
    Member(u64),
    Events {
        filter: EventFilter,
        window_ms: i64,
        count: CountTest,
    },
    Purchased {
        sku: Option<String>,
        name: Option<String>,
        window_ms: i64,
        count: CountTest,
    },
    PurchaseTotal {
        op: NumOp,
        value: f64,
        window_ms: i64,
    },
    Calculated {
        filter: EventFilter,
        function: CalcFunction,
        of: Of,
        window_ms: i64,
        test: ValueTest,
    },
    /// A test on a calculated attribute's current value.
    CalculatedAttribute {
        name: String,
        test: ValueTest,
    },
}

/// What an audience's result depends on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Deps {
    pub attribute_keys: BTreeSet<String>,
    pub identity_types: BTreeSet<IdentityType>,
    pub event_names: BTreeSet<String>,
    pub event_kinds: BTreeSet<EventKindTag>,
    /// Depends on events of any name and kind.
    pub any_event: bool,
    /// Other audiences, with the path of the leaf (for error messages).
    pub members: Vec<(u64, String)>,
    /// Time passing alone can change the result.
    pub time_sensitive: bool,
    /// Longest event window.
    pub max_window_ms: i64,
    /// Calculated attributes read, with the path of the leaf.
    pub calculated: Vec<(String, String)>,
}

/// Compiles one audience's criteria, collecting every error.
pub(crate) struct Compiler<'a> {
    pub audience: &'a str,
    pub errors: Vec<DefinitionError>,
    pub deps: Deps,
}

impl<'a> Compiler<'a> {
    pub(crate) fn new(audience: &'a str) -> Self {
        Compiler {
            audience,
            errors: Vec::new(),
            deps: Deps::default(),
        }
    }

    fn err(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.errors.push(DefinitionError {
            audience: self.audience.to_string(),
            path: path.into(),
            reason: reason.into(),
        });
    }

    /// Compile a tree; `None` when it has errors (they are in `self.errors`).
    pub(crate) fn node(&mut self, c: &Criteria, path: &str) -> Option<Node> {
        match c {
            Criteria::All(children) | Criteria::Any(children) => {
                let tag = if matches!(c, Criteria::All(_)) {
                    "all"
                } else {
                    "any"
                };
                let mut out = Vec::with_capacity(children.len());
                let mut ok = true;
                for (i, child) in children.iter().enumerate() {
                    match self.node(child, &format!("{path}.{tag}[{i}]")) {
                        Some(n) => out.push(n),
                        None => ok = false,
                    }
                }
                ok.then(|| {
                    if tag == "all" {
                        Node::All(out)
                    } else {
                        Node::Any(out)
                    }
                })
            }
            Criteria::Not(child) => self
                .node(child, &format!("{path}.not"))
                .map(|n| Node::Not(Box::new(n))),
            Criteria::Attribute(a) => {
                let p = format!("{path}.attribute");
                let key = self.key(&a.key, &p)?;
                let test = self.value_test(a, &p)?;
                self.deps.attribute_keys.insert(key.clone());
                if matches!(test, ValueTest::WithinLast(_)) {
                    self.deps.time_sensitive = true;
                }
                Some(Node::Attr { key, test })
            }
            Criteria::Identity(t) => {
                self.deps.identity_types.insert(*t);
                Some(Node::Identity(*t))
            }
            Criteria::Member(id) => {
                self.deps.members.push((*id, format!("{path}.member")));
                Some(Node::Member(*id))
            }
            Criteria::Event(e) => {
                let p = format!("{path}.event");
                let filter = self.filter(e.name.as_deref(), e.kind, &e.filters, &p);
                let count = self.count(e.at_least, e.at_most, e.exactly, &p);
                let window_ms = self.window(e.within_days, &p);
                Some(Node::Events {
                    filter: filter?,
                    window_ms: window_ms?,
                    count: count?,
                })
            }
            Criteria::Purchased(pc) => {
                let p = format!("{path}.purchased");
                if pc.sku.is_none() && pc.name.is_none() {
                    self.err(&p, "needs a sku or a name");
                }
                let count = self.count(pc.at_least, pc.at_most, pc.exactly, &p);
                let window_ms = self.window(pc.within_days, &p);
                self.deps.event_kinds.insert(EventKindTag::Purchase);
                if pc.sku.is_none() && pc.name.is_none() {
                    return None;
                }
                Some(Node::Purchased {
                    sku: pc.sku.as_deref().map(|s| lower(s).into_owned()),
                    name: pc.name.as_deref().map(|s| lower(s).into_owned()),
                    window_ms: window_ms?,
                    count: count?,
                })
            }
            Criteria::PurchaseTotal(pt) => {
                let p = format!("{path}.purchase_total");
                let op = NumOp::from_op(pt.op);
                if op.is_none() {
                    self.err(
                        format!("{p}.op"),
                        format!(
                            "operator \"{}\" is not numeric: use gt, gte, lt, lte, eq or ne",
                            pt.op
                        ),
                    );
                }
                if !pt.value.is_finite() {
                    self.err(format!("{p}.value"), "must be a finite number");
                }
                let window_ms = self.window(pt.within_days, &p);
                self.deps.event_kinds.insert(EventKindTag::Purchase);
                Some(Node::PurchaseTotal {
                    op: op?,
                    value: pt.value,
                    window_ms: window_ms?,
                })
            }
            Criteria::CalculatedAttribute(ca) => {
                let p = format!("{path}.calculated_attribute");
                if ca.name.trim().is_empty() {
                    self.err(format!("{p}.name"), "must not be empty");
                    return None;
                }
                let test = self.test(ca.op, ca.value.as_ref(), ca.days, &p)?;
                if matches!(test, ValueTest::WithinLast(_)) {
                    self.deps.time_sensitive = true;
                }
                self.deps
                    .calculated
                    .push((ca.name.clone(), format!("{p}.name")));
                Some(Node::CalculatedAttribute {
                    name: ca.name.clone(),
                    test,
                })
            }
            Criteria::Calculated(cc) => {
                let p = format!("{path}.calculated");
                let filter = self.filter(cc.name.as_deref(), cc.kind, &cc.filters, &p);
                let window_ms = self.window(cc.within_days, &p);
                let of = match (&cc.of, cc.function) {
                    (None, CalcFunction::Count) => Some(Of::Nothing),
                    (None, f) => {
                        self.err(
                            format!("{p}.of"),
                            format!("function {f:?} needs `of` (an event attribute or $amount)")
                                .to_lowercase(),
                        );
                        None
                    }
                    (Some(k), _) if k.eq_ignore_ascii_case("$amount") => Some(Of::Amount),
                    (Some(k), _) => self.key(k, &format!("{p}.of")).map(Of::Attr),
                };
                let test = self.test(cc.op, cc.value.as_ref(), None, &p);
                Some(Node::Calculated {
                    filter: filter?,
                    function: cc.function,
                    of: of?,
                    window_ms: window_ms?,
                    test: test?,
                })
            }
        }
    }

    fn key(&mut self, key: &str, path: &str) -> Option<String> {
        if key.trim().is_empty() {
            self.err(format!("{path}.key"), "must not be empty");
            return None;
        }
        Some(lower(key).into_owned())
    }

    fn value_test(&mut self, a: &AttributeCriterion, path: &str) -> Option<ValueTest> {
        self.test(a.op, a.value.as_ref(), a.days, path)
    }

    fn test(
        &mut self,
        op: AttributeOp,
        value: Option<&Scalar>,
        days: Option<u32>,
        path: &str,
    ) -> Option<ValueTest> {
        let vpath = format!("{path}.value");
        if days.is_some() && op != AttributeOp::WithinLastDays {
            self.err(
                format!("{path}.days"),
                format!("only within_last_days takes days, not \"{op}\""),
            );
            return None;
        }
        let needs_value = !matches!(op, AttributeOp::Exists | AttributeOp::WithinLastDays);
        match (needs_value, value) {
            (true, None) => {
                self.err(vpath, format!("operator \"{op}\" needs a value"));
                return None;
            }
            (false, Some(_)) => {
                let hint = if op == AttributeOp::WithinLastDays {
                    ": use days"
                } else {
                    ""
                };
                self.err(vpath, format!("operator \"{op}\" takes no value{hint}"));
                return None;
            }
            _ => {}
        }
        let text = value.map(|v| v.to_string());
        match op {
            AttributeOp::Equals => {
                let v = value?;
                let num = match v {
                    Scalar::Number(n) => Some(*n),
                    Scalar::String(s) => parse_number(s),
                    Scalar::Bool(_) => None,
                };
                Some(ValueTest::Equals {
                    lc: lower(&text?).into_owned(),
                    num,
                })
            }
            AttributeOp::Contains => Some(ValueTest::Contains(lower(&text?).into_owned())),
            AttributeOp::Pattern => Some(ValueTest::Pattern(Pattern::new(&text?))),
            AttributeOp::Exists => Some(ValueTest::Exists),
            AttributeOp::Gt
            | AttributeOp::Gte
            | AttributeOp::Lt
            | AttributeOp::Lte
            | AttributeOp::Eq
            | AttributeOp::Ne => {
                let n = match value? {
                    Scalar::Number(n) if n.is_finite() => Some(*n),
                    Scalar::String(s) => parse_number(s),
                    _ => None,
                };
                match n {
                    Some(n) => Some(ValueTest::Num(NumOp::from_op(op)?, n)),
                    None => {
                        self.err(vpath, format!("operator \"{op}\" needs a number"));
                        None
                    }
                }
            }
            AttributeOp::Before | AttributeOp::After | AttributeOp::On => {
                let date = match value? {
                    Scalar::String(s) => parse_date(s),
                    Scalar::Number(n) => crate::matching::unix_to_ms(*n).map(DateText::Instant),
                    Scalar::Bool(_) => None,
                };
                let Some(date) = date else {
                    self.err(
                        vpath,
                        format!(
                            "operator \"{op}\" needs a date (2024-03-01, 2024-03-01T12:00:00Z or unix time)"
                        ),
                    );
                    return None;
                };
                Some(match (op, date) {
                    (AttributeOp::Before, d) => ValueTest::Before(d.instant()),
                    (AttributeOp::After, DateText::Day(d)) => ValueTest::AtOrAfter(d + DAY_MS),
                    (AttributeOp::After, DateText::Instant(t)) => ValueTest::AtOrAfter(t + 1),
                    (_, d) => {
                        let start = d.instant().div_euclid(DAY_MS) * DAY_MS;
                        ValueTest::Within(start, start + DAY_MS)
                    }
                })
            }
            AttributeOp::WithinLastDays => match days {
                Some(d) if (1..=MAX_WINDOW_DAYS).contains(&d) => {
                    Some(ValueTest::WithinLast(i64::from(d) * DAY_MS))
                }
                Some(_) => {
                    self.err(
                        format!("{path}.days"),
                        format!("must be between 1 and {MAX_WINDOW_DAYS}"),
                    );
                    None
                }
                None => {
                    self.err(format!("{path}.days"), "within_last_days needs days");
                    None
                }
            },
        }
    }

    /// Compile an event filter (`name`, `kind`, `where`) at `path`.
    pub(crate) fn event_filter(
        &mut self,
        name: Option<&str>,
        kind: Option<EventKindTag>,
        filters: &[AttributeCriterion],
        path: &str,
    ) -> Option<EventFilter> {
        self.filter(name, kind, filters, path)
    }

    fn filter(
        &mut self,
        name: Option<&str>,
        kind: Option<EventKindTag>,
        filters: &[AttributeCriterion],
        path: &str,
    ) -> Option<EventFilter> {
        let mut out = Vec::with_capacity(filters.len());
        let mut ok = true;
        for (i, f) in filters.iter().enumerate() {
            let p = format!("{path}.where[{i}]");
            match (self.key(&f.key, &p), self.value_test(f, &p)) {
                (Some(k), Some(t)) => out.push((k, t)),
                _ => ok = false,
            }
        }
        let name = name.map(|n| lower(n).into_owned());
        match (&name, kind) {
            (Some(n), _) => {
                self.deps.event_names.insert(n.clone());
            }
            (None, Some(k)) => {
                self.deps.event_kinds.insert(k);
            }
            (None, None) => self.deps.any_event = true,
        }
        ok.then_some(EventFilter {
            name,
            kind,
            filters: out,
        })
    }

    fn count(
        &mut self,
        at_least: Option<u32>,
        at_most: Option<u32>,
        exactly: Option<u32>,
        path: &str,
    ) -> Option<CountTest> {
        match (at_least, at_most, exactly) {
            (None, None, None) => Some(CountTest::AtLeast(1)),
            (Some(n), None, None) => Some(CountTest::AtLeast(n)),
            (None, Some(n), None) => Some(CountTest::AtMost(n)),
            (None, None, Some(n)) => Some(CountTest::Exactly(n)),
            _ => {
                self.err(path, "give only one of at_least, at_most, exactly");
                None
            }
        }
    }

    fn window(&mut self, days: u32, path: &str) -> Option<i64> {
        if !(1..=MAX_WINDOW_DAYS).contains(&days) {
            self.err(
                format!("{path}.within_days"),
                format!("must be between 1 and {MAX_WINDOW_DAYS}"),
            );
            return None;
        }
        let ms = i64::from(days) * DAY_MS;
        self.deps.time_sensitive = true;
        self.deps.max_window_ms = self.deps.max_window_ms.max(ms);
        Some(ms)
    }
}
