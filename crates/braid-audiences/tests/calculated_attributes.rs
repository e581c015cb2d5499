//! Calculated attributes: every calculation and window edge (inclusive bounds, UTC days,
//! empty windows), the audience criterion on them, and the property that the
//! incremental value always equals a recomputation from the full event list.

mod common;

use braid_audiences::calculated_attributes::{
    parse_calculated_attribute, recompute, CalculatedSet, CalculatedValues, StoredAttribute,
};
use braid_audiences::{EventKind, EventRecord, ProductRef};
use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};

/// Midnight UTC starting 2024-03-15 (NOW is noon of that day).
const TODAY: i64 = NOW - DAY / 2;

fn set_of(defs: Vec<Value>) -> CalculatedSet {
    let stored = defs
        .into_iter()
        .map(|d| StoredAttribute {
            definition: parse_calculated_attribute(d, "t").unwrap_or_else(|e| panic!("{e}")),
            revision: 1,
        })
        .collect();
    CalculatedSet::new(stored, 3).unwrap_or_else(|e| panic!("{e}"))
}

/// The value of the only attribute after feeding `records` one batch each at `now`.
fn value_after(def: Value, records: &[EventRecord], now: i64) -> Value {
    let set = set_of(vec![def]);
    let mut values = CalculatedValues::default();
    for r in records {
        set.apply(&mut values, std::slice::from_ref(r), None, now);
    }
    set.expire(&mut values, now);
    let name = set.active_attributes()[0].definition.name.clone();
    let incremental = values.value(&name).cloned().unwrap_or(Value::Null);
    let reference = recompute(&set.active_attributes()[0], records, now, set.array_limit());
    assert_eq!(incremental, reference, "incremental and recomputed differ");
    incremental
}

fn played(ts: i64, minutes: Value) -> EventRecord {
    custom("Played", ts, json!({"minutes": minutes, "genre": "rock"}))
}

fn purchase(ts: i64, amount: f64, skus: &[&str]) -> EventRecord {
    EventRecord {
        ts_ms: ts,
        kind: EventKind::Purchase,
        name: "purchase".into(),
        attributes: Default::default(),
        amount: Some(amount),
        products: skus
            .iter()
            .map(|s| ProductRef {
                sku: Some(s.to_string()),
                name: Some(format!("{s} name")),
                price: None,
                quantity: Some(2.0),
            })
            .collect(),
    }
}

fn def(function: &str, extra: Value) -> Value {
    let mut d = json!({"name": "x", "function": function, "event": "Played"});
    if let (Value::Object(d), Value::Object(e)) = (&mut d, extra) {
        d.extend(e);
    }
    d
}

#[test]
fn count_sum_average_min_max_over_a_lifetime() {
    let events = [
        played(NOW - 40 * DAY, json!(10)),
        played(NOW, json!("5")),
        played(NOW, json!("x")),
    ];
    assert_eq!(value_after(def("count", json!({})), &events, NOW), json!(3));
    assert_eq!(
        value_after(def("count", json!({"of": "minutes"})), &events, NOW),
        json!(3)
    );
    assert_eq!(
        value_after(def("sum", json!({"of": "minutes"})), &events, NOW),
        json!(15)
    );
    assert_eq!(
        value_after(def("average", json!({"of": "minutes"})), &events, NOW),
        json!(7.5)
    );
    assert_eq!(
        value_after(def("min", json!({"of": "minutes"})), &events, NOW),
        json!(5)
    );
    assert_eq!(
        value_after(def("max", json!({"of": "minutes"})), &events, NOW),
        json!(10)
    );
}

#[test]
fn empty_windows_give_zero_for_count_and_sum_and_null_for_the_rest() {
    for (f, expected) in [
        ("count", json!(0)),
        ("sum", json!(0)),
        ("average", Value::Null),
        ("min", Value::Null),
        ("max", Value::Null),
        ("first", Value::Null),
        ("last", Value::Null),
        ("first_time", Value::Null),
        ("last_time", Value::Null),
        ("unique", json!([])),
        ("most_frequent", Value::Null),
    ] {
        let d = def(f, json!({"of": "minutes", "within_days": 1}));
        assert_eq!(
            value_after(d, &[played(NOW - 2 * DAY, json!(1))], NOW),
            expected,
            "{f}"
        );
    }
}

#[test]
fn first_last_and_their_times_follow_event_time_not_arrival() {
    let events = [
        played(NOW - DAY, json!(2)),
        played(NOW - 3 * DAY, json!(1)),
        played(NOW, json!(3)),
    ];
    assert_eq!(
        value_after(def("first", json!({"of": "minutes"})), &events, NOW),
        json!(1)
    );
    assert_eq!(
        value_after(def("last", json!({"of": "minutes"})), &events, NOW),
        json!(3)
    );
    assert_eq!(
        value_after(def("first_time", json!({})), &events, NOW),
        json!("2024-03-12T12:00:00.000Z")
    );
    assert_eq!(
        value_after(def("last_time", json!({})), &events, NOW),
        json!("2024-03-15T12:00:00.000Z")
    );
}

#[test]
fn unique_keeps_the_most_recent_values_within_the_array_limit_sorted() {
    let events = [
        played(NOW - 4 * DAY, json!("a")),
        played(NOW - 3 * DAY, json!("b")),
        played(NOW - 2 * DAY, json!("c")),
        played(NOW - DAY, json!("d")),
        played(NOW - 5 * DAY, json!("b")),
    ];
    // The array limit of the set is 3: a, the least recently seen, is left out.
    assert_eq!(
        value_after(def("unique", json!({"of": "minutes"})), &events, NOW),
        json!(["b", "c", "d"])
    );
    // Seeing `a` again makes it recent; `b` goes.
    let mut more = events.to_vec();
    more.push(played(NOW, json!("a")));
    assert_eq!(
        value_after(def("unique", json!({"of": "minutes"})), &more, NOW),
        json!(["a", "c", "d"])
    );
}

#[test]
fn most_frequent_breaks_ties_by_recency_and_keeps_the_type() {
    let events = [
        played(NOW - 2 * DAY, json!(5)),
        played(NOW - DAY, json!(7)),
        played(NOW - 3 * DAY, json!(5)),
        played(NOW, json!(7)),
    ];
    // 5 and 7 are both seen twice; 7 was seen last.
    assert_eq!(
        value_after(def("most_frequent", json!({"of": "minutes"})), &events, NOW),
        json!(7)
    );
}

#[test]
fn sliding_windows_are_whole_utc_days_with_inclusive_first_day() {
    let d = def("sum", json!({"of": "minutes", "within_days": 3}));
    // Window at NOW: 2024-03-13 00:00:00.000 to now (and later).
    let first_instant = TODAY - 2 * DAY;
    assert_eq!(
        value_after(d.clone(), &[played(first_instant, json!(1))], NOW),
        json!(1)
    );
    assert_eq!(
        value_after(d.clone(), &[played(first_instant - 1, json!(1))], NOW),
        json!(0)
    );
    // An event stamped in the future counts.
    assert_eq!(
        value_after(d, &[played(NOW + DAY, json!(4))], NOW),
        json!(4)
    );
}

#[test]
fn since_windows_start_at_an_inclusive_instant() {
    let d = def("count", json!({"since": "2024-03-14"}));
    let start = TODAY - DAY;
    let events = [
        played(start - 1, json!(1)),
        played(start, json!(1)),
        played(NOW, json!(1)),
    ];
    assert_eq!(value_after(d, &events, NOW), json!(2));
}

#[test]
fn expiry_drops_whole_days_at_utc_midnight_without_a_new_event() {
    let set = set_of(vec![def("sum", json!({"of": "minutes", "within_days": 2}))]);
    let mut values = CalculatedValues::default();
    let changed = set.apply(
        &mut values,
        &[played(TODAY - DAY + 1, json!(30)), played(NOW, json!(12))],
        None,
        NOW,
    );
    assert_eq!(changed, ["x"]);
    assert_eq!(values.value("x"), Some(&json!(42)));
    // The first day leaves the window at the second midnight from it.
    let expiry = set.next_expiry(&values).expect("an expiry");
    assert_eq!(expiry, TODAY + DAY);
    assert!(set.expire(&mut values, expiry - 1).is_empty());
    assert_eq!(set.expire(&mut values, expiry), ["x"]);
    assert_eq!(values.value("x"), Some(&json!(12)));
    assert_eq!(set.next_expiry(&values), Some(TODAY + 2 * DAY));
    assert_eq!(set.expire(&mut values, TODAY + 2 * DAY), ["x"]);
    assert_eq!(values.value("x"), Some(&json!(0)));
    assert_eq!(set.next_expiry(&values), None);
}

#[test]
fn commerce_totals_skus_and_quantities_are_read_from_purchases() {
    let events = [
        purchase(NOW - DAY, 20.5, &["A", "B"]),
        purchase(NOW, 10.0, &["B"]),
    ];
    let p = |f: &str, of: &str| json!({"name": "x", "function": f, "of": of, "kind": "purchase"});
    assert_eq!(value_after(p("sum", "$amount"), &events, NOW), json!(30.5));
    assert_eq!(value_after(p("count", "$sku"), &events, NOW), json!(3));
    assert_eq!(
        value_after(p("unique", "$sku"), &events, NOW),
        json!(["A", "B"])
    );
    assert_eq!(value_after(p("sum", "$quantity"), &events, NOW), json!(6));
    assert_eq!(
        value_after(p("most_frequent", "$product_name"), &events, NOW),
        json!("B name")
    );
}

#[test]
fn where_filters_use_the_audience_rules() {
    let d = json!({"name": "x", "function": "count", "event": "played",
        "where": [{"key": "Genre", "op": "equals", "value": "ROCK"}]});
    let events = [
        played(NOW, json!(1)),
        custom("Played", NOW, json!({"genre": "jazz"})),
    ];
    assert_eq!(value_after(d, &events, NOW), json!(1));
}

#[test]
fn only_affected_attributes_are_touched_by_a_batch() {
    let set = set_of(vec![
        json!({"name": "plays", "function": "count", "event": "Played"}),
        json!({"name": "buys", "function": "count", "kind": "purchase"}),
    ]);
    let mut values = CalculatedValues::default();
    set.apply(&mut values, &[played(NOW, json!(1))], None, NOW);
    let buys_computed = values.attributes["buys"].computed_ms;
    let changed = set.apply(
        &mut values,
        &[played(NOW + 1000, json!(1))],
        None,
        NOW + 1000,
    );
    assert_eq!(changed, ["plays"]);
    assert_eq!(
        values.attributes["buys"].computed_ms, buys_computed,
        "buys was recomputed"
    );
    assert_eq!(values.attributes["plays"].computed_ms, NOW + 1000);
}

#[test]
fn a_changed_definition_is_rebuilt_from_history_on_the_next_event() {
    let set = set_of(vec![def("count", json!({}))]);
    let mut values = CalculatedValues::default();
    let history = [played(NOW - DAY, json!(1)), played(NOW, json!(1))];
    set.apply(&mut values, &history[..1], None, NOW - DAY);
    set.apply(&mut values, &history[1..], None, NOW);
    assert_eq!(values.value("x"), Some(&json!(2)));
    let (changed_set, backfill) = set
        .with_attribute(
            parse_calculated_attribute(def("sum", json!({"of": "minutes"})), "t").unwrap(),
        )
        .unwrap();
    assert!(backfill);
    assert!(changed_set.needs_rebuild(&values));
    let next = played(NOW + 1, json!(5));
    let mut all = history.to_vec();
    all.push(next.clone());
    changed_set.apply(&mut values, &[next], Some(&all), NOW + 1);
    assert_eq!(values.value("x"), Some(&json!(7)));
    assert!(!changed_set.needs_rebuild(&values));
}

#[test]
fn renaming_in_braze_or_drafting_keeps_the_revision() {
    let set = set_of(vec![def("count", json!({}))]);
    let mut renamed = def("count", json!({"braze_name": "plays"}));
    let (s2, backfill) = set
        .with_attribute(parse_calculated_attribute(renamed.clone(), "t").unwrap())
        .unwrap();
    assert!(!backfill);
    assert_eq!(s2.get("x").unwrap().revision, 1);
    renamed["state"] = json!("draft");
    let (s3, backfill) = s2
        .with_attribute(parse_calculated_attribute(renamed, "t").unwrap())
        .unwrap();
    assert!(!backfill && !s3.has_active());
}

#[test]
fn two_attributes_cannot_write_one_braze_attribute() {
    let stored = [
        json!({"name": "a", "function": "count"}),
        json!({"name": "b", "braze_name": "a", "function": "count"}),
    ]
    .into_iter()
    .map(|d| StoredAttribute {
        definition: parse_calculated_attribute(d, "t").unwrap(),
        revision: 1,
    })
    .collect();
    let e = CalculatedSet::new(stored, 25).unwrap_err();
    assert_eq!(e.0[0].path, "braze_name");
    assert!(
        e.to_string()
            .contains("already writes the braze attribute \"a\""),
        "{e}"
    );
}

#[test]
fn audiences_can_test_a_calculated_attribute() {
    let set = set_of(vec![def(
        "sum",
        json!({"of": "minutes", "within_days": 30}),
    )]);
    let mut user = User::default();
    set.apply(&mut user.calculated, &[played(NOW, json!(45))], None, NOW);
    let criteria = json!({"calculated_attribute": {"name": "x", "op": "gte", "value": 40}});
    assert!(matches(criteria.clone(), &user));
    let mut less = User::default();
    set.apply(&mut less.calculated, &[played(NOW, json!(39))], None, NOW);
    assert!(!matches(criteria, &less));
    // A user without the value does not match, whatever the test.
    assert!(!matches(
        json!({"calculated_attribute": {"name": "nope", "op": "exists"}}),
        &user
    ));
}

#[test]
fn an_audience_on_a_calculated_attribute_is_re_evaluated_when_it_changes() {
    let audiences = set(vec![audience(
        1,
        json!({"calculated_attribute": {"name": "x", "op": "gt", "value": 1}}),
    )]);
    let mut change = braid_audiences::Change::default();
    assert!(audiences.affected_by(&change).is_empty());
    change.calculated.insert("x".into());
    assert_eq!(audiences.affected_by(&change), [1]);
    assert_eq!(
        audiences.calculated_references()[0].2,
        "criteria.calculated_attribute.name"
    );
}

// ---- the property: incremental == recomputation from the full event list ----

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0i64..50).prop_map(Value::from),
        "[a-e]".prop_map(Value::from),
        Just(Value::Null),
    ]
}

fn arb_record() -> impl Strategy<Value = EventRecord> {
    // Times over ten days around NOW, on exact midnights too (the edges).
    let ts = prop_oneof![
        (-10i64..3).prop_map(|d| TODAY + d * DAY),
        (-10i64..3).prop_map(|d| TODAY + d * DAY - 1),
        (-10 * DAY..3 * DAY).prop_map(|o| NOW + o),
    ];
    (
        ts,
        prop_oneof![Just("Played"), Just("Paused")],
        arb_value(),
        prop::collection::vec("[A-D]", 0..3),
        any::<bool>(),
    )
        .prop_map(|(ts, name, v, skus, buy)| {
            if buy {
                let mut r = purchase(
                    ts,
                    0.0,
                    &skus.iter().map(String::as_str).collect::<Vec<_>>(),
                );
                r.amount = v.as_i64().map(|n| n as f64);
                r
            } else {
                custom(name, ts, json!({"minutes": v}))
            }
        })
}

fn arb_definition() -> impl Strategy<Value = Value> {
    let function = prop_oneof![
        Just("count"),
        Just("sum"),
        Just("average"),
        Just("min"),
        Just("max"),
        Just("first"),
        Just("last"),
        Just("first_time"),
        Just("last_time"),
        Just("unique"),
        Just("most_frequent"),
    ];
    let of = prop_oneof![
        Just(Some("minutes")),
        Just(Some("$amount")),
        Just(Some("$sku")),
        Just(None)
    ];
    let window = prop_oneof![
        Just(json!({})),
        (1u32..6).prop_map(|d| json!({"within_days": d})),
        Just(json!({"since": "2024-03-10"})),
    ];
    let filter = prop_oneof![
        Just(json!({"event": "Played"})),
        Just(json!({"kind": "purchase"})),
        Just(json!({}))
    ];
    (function, of, window, filter).prop_map(|(f, of, w, filter)| {
        let mut d = json!({"name": "p", "function": f});
        let needs_of = !matches!(f, "count" | "first_time" | "last_time");
        if let Some(of) = of.or(needs_of.then_some("minutes")) {
            d["of"] = json!(of);
        }
        for extra in [w, filter] {
            if let (Value::Object(d), Value::Object(e)) = (&mut d, extra) {
                d.extend(e);
            }
        }
        d
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Events arrive in any time order, in batches, while the clock moves forward; expiry
    /// runs at arbitrary moments. After every step the incremental value equals the value
    /// recomputed from every event so far.
    #[test]
    fn incremental_value_equals_recomputation_from_the_full_event_list(
        definition in arb_definition(),
        batches in prop::collection::vec((prop::collection::vec(arb_record(), 0..4), 0i64..(2 * DAY), any::<bool>()), 1..12),
    ) {
        let set = set_of(vec![definition]);
        let attr = &set.active_attributes()[0];
        let mut values = CalculatedValues::default();
        let mut all: Vec<EventRecord> = Vec::new();
        let mut now = NOW - 3 * DAY;
        for (records, advance, expire_first) in batches {
            now += advance;
            if expire_first {
                set.expire(&mut values, now);
            }
            all.extend(records.iter().cloned());
            set.apply(&mut values, &records, None, now);
            let incremental = values.value("p").cloned().unwrap_or(Value::Null);
            prop_assert_eq!(&incremental, &recompute(attr, &all, now, set.array_limit()), "at {}", now);
        }
        // And after time alone passes.
        now += 4 * DAY;
        set.expire(&mut values, now);
        prop_assert_eq!(values.value("p").cloned().unwrap_or(Value::Null), recompute(attr, &all, now, set.array_limit()));
    }
}
