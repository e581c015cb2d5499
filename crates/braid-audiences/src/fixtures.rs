//! A realistic set of audience definitions for benchmarks and load runs: 100 audiences
//! mixing every criterion family (attributes, identities, event counts with filters,
//! purchases, calculated values, `not`, membership chains and date windows) over the
//! event names `Event 0` … `Event 19`, the attributes `attr0` … `attr9`, `$Country`, `age`
//! and `signup`, and the SKUs `SKU-0` … `SKU-6`. Ids are 1000 … 1099.

use crate::{Audience, Criteria};
use serde_json::json;

const EVENT_NAMES: usize = 20;

/// 100 audiences mixing every criterion family, over 20 event names and 10 attributes.
pub fn hundred_mixed_audiences() -> Vec<Audience> {
    (0..100u64)
        .map(|i| {
            let ev = format!("Event {}", i as usize % EVENT_NAMES);
            let criteria = match i % 6 {
                0 => json!({"all": [
                    {"attribute": {"key": format!("attr{}", i % 10), "op": "contains", "value": "a"}},
                    {"event": {"name": ev, "at_least": 2, "within_days": 30}}
                ]}),
                1 => json!({"any": [
                    {"attribute": {"key": "$Country", "op": "equals", "value": "es"}},
                    {"event": {"name": ev, "where": [{"key": "category", "op": "pattern", "value": "sh*"}], "within_days": 7}}
                ]}),
                2 => json!({"calculated": {"function": "sum", "of": "$amount", "kind": "purchase",
                    "within_days": 30, "op": "gt", "value": (i * 3) as f64}}),
                3 => json!({"all": [{"identity": "email"}, {"purchased": {"sku": format!("SKU-{}", i % 7), "within_days": 90}}]}),
                4 => json!({"all": [
                    {"attribute": {"key": "age", "op": "gte", "value": (i % 50) as f64}},
                    {"not": {"event": {"name": ev, "within_days": 14}}}
                ]}),
                _ => json!({"all": [{"member": i - 5}, {"attribute": {"key": "signup", "op": "within_last_days", "days": 60}}]}),
            };
            Audience::from_json(json!({"id": 1000 + i, "name": format!("Audience {i}"), "criteria": criteria}))
                .unwrap()
        })
        .map(|mut a| {
            // Member criteria refer by index; map to the real ids.
            if let Criteria::All(children) = &mut a.criteria {
                for c in children {
                    if let Criteria::Member(m) = c {
                        *m += 1000;
                    }
                }
            }
            a
        })
        .collect()
}

/// `n` active calculated attributes over the same events, cycling through every
/// calculation and the three window kinds (lifetime, 7 and 30 days, since a date):
/// attribute `i` reads `Event {i % 20}` (its `category` attribute where the calculation
/// needs a value), or purchases (`$amount`) for every seventh. Names `calc0` … .
pub fn calculated_attributes(n: usize) -> Vec<crate::calculated_attributes::StoredAttribute> {
    const FUNCTIONS: [&str; 11] = [
        "count",
        "sum",
        "average",
        "min",
        "max",
        "first",
        "last",
        "first_time",
        "last_time",
        "unique",
        "most_frequent",
    ];
    (0..n)
        .map(|i| {
            let function = FUNCTIONS[i % FUNCTIONS.len()];
            let mut d = if i % 7 == 6 {
                json!({"name": format!("calc{i}"), "function": function, "of": "$amount", "kind": "purchase"})
            } else {
                json!({"name": format!("calc{i}"), "function": function,
                    "event": format!("Event {}", i % EVENT_NAMES), "of": "category"})
            };
            if matches!(function, "count" | "first_time" | "last_time") && i % 7 != 6 {
                d.as_object_mut().expect("object").remove("of");
            }
            match i % 4 {
                0 => {}
                1 => d["within_days"] = json!(7),
                2 => d["within_days"] = json!(30),
                _ => d["since"] = json!("2024-01-01"),
            }
            crate::calculated_attributes::StoredAttribute {
                definition: crate::calculated_attributes::parse_calculated_attribute(d, "fixture")
                    .expect("fixture definitions are valid"),
                revision: 1,
            }
        })
        .collect()
}
