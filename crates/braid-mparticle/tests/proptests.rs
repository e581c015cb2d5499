//! Property tests: no input makes the parsers panic, and every batch they accept is
//! written back and re-read unchanged.

mod common;

use braid_mparticle::{parse_batch, parse_bulk, validate_batch, Batch, Limits};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};
use std::sync::OnceLock;

/// Field names braid knows, so random objects reach deep into the parser.
const KEYS: &[&str] = &[
    "events",
    "event_type",
    "data",
    "mpid",
    "user_identities",
    "user_attributes",
    "deleted_user_attributes",
    "environment",
    "timestamp_unixtime_ms",
    "customerid",
    "customer_id",
    "other_id_2",
    "email",
    "event_name",
    "custom_event_type",
    "custom_attributes",
    "product_action",
    "promotion_action",
    "product_impressions",
    "products",
    "action",
    "price",
    "quantity",
    "position",
    "total_amount",
    "id",
    "name",
    "promotions",
    "screen_name",
    "is_opted_out",
    "register",
    "user_attribute_name",
    "new",
    "old",
    "deleted",
    "session_duration_ms",
    "device_info",
    "source_request_id",
    "ip",
    "session_id",
    "event_id",
    "location",
    "x",
    "",
];

const EVENT_TYPES: &[&str] = &[
    "custom_event",
    "commerce_event",
    "screen_view",
    "session_start",
    "session_end",
    "opt_out",
    "push_registration",
    "push_message",
    "user_attribute_change",
    "user_identity_change",
    "crash_report",
    "first_run",
    "application_state_transition",
    "breadcrumb",
    "network_performance",
    "profile",
    "uninstall",
    "Custom_Event",
    "media_event",
    "",
];

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            " ",
            "0",
            "-1",
            "9.99",
            "1e999",
            "NaN",
            "true",
            "FALSE",
            "purchase",
            "remove_from_wishlist",
            "production",
            "Development",
            "18446744073709551615",
            "-9223372036854775808",
            "1.5",
            "é",
            "$FirstName",
            "a.b",
        ])
        .prop_map(String::from),
        ".{0,12}",
    ]
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e15f64..1e15).prop_map(Value::from),
        any::<f64>()
            .prop_filter_map("finite", Number::from_f64)
            .prop_map(Value::Number),
        arb_string().prop_map(Value::String),
    ]
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(String::from),
        1 => "[a-z_$]{0,8}",
    ]
}

/// Any JSON value, biased towards the keys the parser looks for.
fn arb_json() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn obj(pairs: Vec<(String, Value)>) -> Value {
    Value::Object(pairs.into_iter().collect::<Map<_, _>>())
}

/// A value that is usually right for a field, and sometimes anything at all.
fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![6 => arb_leaf(), 1 => arb_json()]
}

fn arb_product() -> impl Strategy<Value = Value> {
    prop::collection::vec(
        (
            prop::sample::select(
                &[
                    "id",
                    "name",
                    "brand",
                    "price",
                    "quantity",
                    "position",
                    "coupon_code",
                    "total_product_amount",
                    "custom_attributes",
                    "extra_field",
                ][..],
            ),
            field_value(),
        ),
        0..6,
    )
    .prop_map(|kv| obj(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

fn arb_event() -> impl Strategy<Value = Value> {
    let action = prop::sample::select(
        &[
            "purchase",
            "refund",
            "add_to_cart",
            "click",
            "remove_from_wishlist",
            "checkout",
        ][..],
    );
    let product_action = (action, prop::collection::vec(arb_product(), 0..4), field_value())
        .prop_map(|(a, products, total)| {
            serde_json::json!({"action": a, "products": products, "total_amount": total})
        });
    let data = (
        prop::collection::vec((arb_key(), field_value()), 0..6),
        prop::option::of(product_action),
        prop::option::of(arb_string()),
        prop::option::of(prop::collection::btree_map("[a-z]{1,4}", arb_leaf(), 0..4)),
    )
        .prop_map(|(kv, pa, name, attrs)| {
            let mut m: Map<String, Value> = kv.into_iter().collect();
            if let Some(pa) = pa {
                m.insert("product_action".into(), pa);
            }
            if let Some(n) = name {
                m.insert("event_name".into(), Value::String(n));
            }
            if let Some(a) = attrs {
                m.insert("custom_attributes".into(), serde_json::to_value(a).unwrap());
            }
            Value::Object(m)
        });
    (prop::sample::select(EVENT_TYPES), data)
        .prop_map(|(t, d)| serde_json::json!({"event_type": t, "data": d}))
}

/// Batch-shaped JSON: mostly valid, with random values in every field.
fn arb_batch_json() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(arb_event(), 0..6),
        field_value(),
        prop::collection::vec(
            (
                prop::sample::select(
                    &[
                        "customerid",
                        "customer_id",
                        "email",
                        "other_2",
                        "otherid3",
                        "ios_idfa",
                    ][..],
                ),
                field_value(),
            ),
            0..4,
        ),
        prop::collection::vec(
            (
                "[a-z$]{1,6}",
                prop_oneof![
                    arb_leaf(),
                    prop::collection::vec(arb_leaf(), 0..4).prop_map(Value::Array)
                ],
            ),
            0..5,
        ),
        prop::collection::vec((arb_key(), field_value()), 0..4),
    )
        .prop_map(|(events, mpid, ids, attrs, extra)| {
            let mut m: Map<String, Value> = extra.into_iter().collect();
            m.insert("events".into(), Value::Array(events));
            m.insert("mpid".into(), mpid);
            m.insert(
                "user_identities".into(),
                obj(ids.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
            );
            m.insert("user_attributes".into(), obj(attrs));
            Value::Object(m)
        })
}

fn fixture_values() -> &'static Vec<Value> {
    static CELL: OnceLock<Vec<Value>> = OnceLock::new();
    CELL.get_or_init(|| {
        common::batch_fixtures()
            .into_iter()
            .map(|(_, b)| serde_json::from_slice(&b).unwrap())
            .collect()
    })
}

/// Walks `v` along `picks` (each choosing a child modulo the number of children) and
/// replaces, or deletes, what it lands on.
fn mutate(v: &mut Value, picks: &[usize], replacement: Value, delete: bool) {
    let Some((pick, rest)) = picks.split_first() else {
        *v = replacement;
        return;
    };
    match v {
        Value::Object(m) if !m.is_empty() => {
            let key = m.keys().nth(pick % m.len()).unwrap().clone();
            if rest.is_empty() && delete {
                m.remove(&key);
            } else {
                mutate(m.get_mut(&key).unwrap(), rest, replacement, delete);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let i = pick % a.len();
            if rest.is_empty() && delete {
                a.remove(i);
            } else {
                mutate(&mut a[i], rest, replacement, delete);
            }
        }
        _ => *v = replacement,
    }
}

/// An accepted batch is stored as JSON and re-read; it must come back identical.
fn assert_round_trip(batch: &Batch) -> Result<(), TestCaseError> {
    let stored = serde_json::to_vec(batch).expect("serialise");
    let again = parse_batch(&stored)
        .map_err(|e| TestCaseError::fail(format!("stored batch does not re-parse: {e}")))?;
    prop_assert_eq!(batch, &again);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn any_json_value_parses_or_errors_without_panicking(v in arb_json()) {
        let body = v.to_string();
        if let Ok(b) = parse_batch(body.as_bytes()) {
            let _ = validate_batch(&b, &Limits::default());
            assert_round_trip(&b)?;
        }
        let wrapped = Value::Array(vec![v]).to_string();
        let bulk = parse_bulk(wrapped.as_bytes()).expect("an array is a bulk body");
        prop_assert_eq!(bulk.len(), 1);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_batch(&bytes);
        let _ = parse_bulk(&bytes);
    }

    #[test]
    fn accepted_batches_round_trip(v in arb_batch_json()) {
        let body = v.to_string();
        if let Ok(b) = parse_batch(body.as_bytes()) {
            let _ = validate_batch(&b, &Limits::default());
            assert_round_trip(&b)?;
        }
    }

    #[test]
    fn mutated_fixtures_parse_or_error_and_round_trip(
        which in any::<prop::sample::Index>(),
        picks in prop::collection::vec(any::<usize>(), 1..7),
        replacement in arb_json(),
        delete in any::<bool>(),
    ) {
        let fixtures = fixture_values();
        let mut v = fixtures[which.index(fixtures.len())].clone();
        mutate(&mut v, &picks, replacement, delete);
        let body = v.to_string();
        match parse_batch(body.as_bytes()) {
            Ok(b) => assert_round_trip(&b)?,
            Err(e) => {
                prop_assert!(!e.path.is_empty());
                prop_assert!(!e.reason.is_empty());
            }
        }
    }

    #[test]
    fn truncated_fixtures_are_refused_at_the_root(
        which in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let fixtures = common::batch_fixtures();
        let (_, bytes) = &fixtures[which.index(fixtures.len())];
        let end = cut.index(bytes.len() - 1); // strictly shorter than the whole body
        let e = parse_batch(&bytes[..end]).unwrap_err();
        prop_assert_eq!(e.path, "$");
    }
}

#[test]
fn batch_shaped_generator_mostly_produces_accepted_batches() {
    // Guards the round-trip property against a generator that only makes errors.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = arb_batch_json();
    let accepted = (0..200)
        .filter(|_| {
            let v = strategy.new_tree(&mut runner).unwrap().current();
            parse_batch(v.to_string().as_bytes()).is_ok()
        })
        .count();
    assert!(
        accepted >= 20,
        "only {accepted} of 200 generated batches parsed"
    );
}
