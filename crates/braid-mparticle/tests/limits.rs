//! `validate_batch` enforces mParticle's documented limits and names the path.

use braid_mparticle::limits::{check_bulk_len, validate_batch, Limits, MAX_BULK_BATCHES};
use braid_mparticle::parse_batch;
use serde_json::{json, Map, Value};

fn check(body: Value) -> Result<(), String> {
    let b = parse_batch(body.to_string().as_bytes()).expect("parses");
    validate_batch(&b, &Limits::default()).map_err(|e| e.to_string())
}

fn custom(data: Value) -> Value {
    json!({"events": [{"event_type": "session_start"}, {"event_type": "custom_event", "data": data}]})
}

fn attrs(n: usize) -> Map<String, Value> {
    (0..n).map(|i| (format!("k{i}"), json!("v"))).collect()
}

#[test]
fn limit_violations_name_the_path() {
    let long = |n: usize| "x".repeat(n);
    let cases: Vec<(Value, &str)> = vec![
        (
            custom(json!({"event_name": ""})),
            "events[1].data.event_name: must not be empty",
        ),
        (
            custom(json!({"event_name": "  "})),
            "events[1].data.event_name: must not be empty",
        ),
        (
            custom(json!({"event_name": long(257)})),
            "events[1].data.event_name: at most 256 characters, got 257",
        ),
        (
            custom(json!({"event_name": "e", "custom_attributes": attrs(101)})),
            "events[1].data.custom_attributes: at most 100 attributes, got 101",
        ),
        (
            custom(json!({"event_name": "e", "custom_attributes": {"note": long(4097)}})),
            "events[1].data.custom_attributes.note: at most 4096 characters, got 4097",
        ),
        (
            custom(json!({"event_name": "e", "timestamp_unixtime_ms": -1})),
            "events[1].data.timestamp_unixtime_ms: must not be negative",
        ),
        (
            json!({"timestamp_unixtime_ms": -5}),
            "timestamp_unixtime_ms: must not be negative",
        ),
        (
            json!({"user_attributes": attrs(101)}),
            "user_attributes: at most 100 attributes, got 101",
        ),
        (
            json!({"user_attributes": {"bio": long(4097)}}),
            "user_attributes.bio: at most 4096 characters, got 4097",
        ),
        (
            json!({"user_attributes": {"tags": vec!["t"; 1001]}}),
            "user_attributes.tags: at most 1000 entries, got 1001",
        ),
        (
            json!({"user_attributes": {"tags": ["ok", long(513)]}}),
            "user_attributes.tags[1]: at most 512 characters, got 513",
        ),
        (
            json!({"events": [{"event_type": "screen_view", "data": {"screen_name": long(300)}}]}),
            "events[0].data.screen_name: at most 256 characters, got 300",
        ),
        (
            json!({"events": [{"event_type": "commerce_event", "data": {"event_name": long(300)}}]}),
            "events[0].data.event_name: at most 256 characters, got 300",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(check(body).unwrap_err(), want);
    }
}

#[test]
fn values_at_the_limits_are_accepted() {
    let at = |n: usize| "é".repeat(n); // multi-byte: limits count characters, not bytes
    assert_eq!(
        check(custom(
            json!({"event_name": at(256), "custom_attributes": attrs(100)})
        )),
        Ok(())
    );
    assert_eq!(
        check(custom(
            json!({"event_name": "e", "custom_attributes": {"a": at(4096)}})
        )),
        Ok(())
    );
    assert_eq!(
        check(
            json!({"user_attributes": {"tags": vec![at(512); 1000]}, "timestamp_unixtime_ms": 0})
        ),
        Ok(())
    );
    assert_eq!(check(json!({"user_attributes": attrs(100)})), Ok(()));
}

#[test]
fn limits_are_configurable() {
    let b = parse_batch(
        custom(json!({"event_name": "abcdef"}))
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let tight = Limits {
        max_event_name_chars: 5,
        ..Limits::default()
    };
    assert_eq!(
        validate_batch(&b, &tight).unwrap_err().to_string(),
        "events[1].data.event_name: at most 5 characters, got 6"
    );
    assert!(validate_batch(&b, &Limits::default()).is_ok());
}

#[test]
fn bulk_requests_hold_at_most_one_hundred_batches() {
    let l = Limits::default();
    assert_eq!(l.max_bulk_batches, MAX_BULK_BATCHES);
    assert!(check_bulk_len(100, &l).is_ok());
    assert_eq!(
        check_bulk_len(101, &l).unwrap_err().to_string(),
        "$: at most 100 batches per request, got 101"
    );
}
