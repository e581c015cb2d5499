//! Every refusal names the JSON path and the reason, mParticle style.

use braid_mparticle::{parse_batch, parse_bulk, BatchError};
use serde_json::{json, Value};

fn err_of(body: Value) -> String {
    match parse_batch(body.to_string().as_bytes()) {
        Ok(b) => panic!("expected an error, parsed {b:?}"),
        Err(e) => e.to_string(),
    }
}

fn custom(data: Value) -> Value {
    json!({"events": [{"event_type": "custom_event", "data": data}]})
}

fn purchase(action: Value) -> Value {
    json!({"events": [{"event_type": "commerce_event", "data": {"product_action": action}}]})
}

#[test]
fn refusals_name_the_path_and_the_reason() {
    let ok_event = json!({"event_type": "session_start", "data": {}});
    let cases: Vec<(Value, &str)> = vec![
        (json!([]), "$: expected an object"),
        (json!("batch"), "$: expected an object"),
        (json!({"events": {}}), "events: expected an array"),
        (json!({"events": [5]}), "events[0]: expected an object"),
        (
            json!({"events": [ok_event.clone(), ok_event.clone(), ok_event, {"event_type": "custom_event", "data": {}}]}),
            "events[3].data.event_name: missing",
        ),
        (
            custom(json!({"event_name": null})),
            "events[0].data.event_name: missing",
        ),
        (
            custom(json!({"event_name": {"a": 1}})),
            "events[0].data.event_name: expected a string",
        ),
        (
            json!({"events": [{"data": {}}]}),
            "events[0].event_type: missing",
        ),
        (
            json!({"events": [{"event_type": 7}]}),
            "events[0].event_type: expected a string",
        ),
        (
            json!({"events": [{"event_type": "custom_event", "data": "x"}]}),
            "events[0].data: expected an object",
        ),
        (
            custom(json!({"event_name": "a", "timestamp_unixtime_ms": "soon"})),
            "events[0].data.timestamp_unixtime_ms: expected an integer",
        ),
        (
            custom(json!({"event_name": "a", "custom_attributes": ["x"]})),
            "events[0].data.custom_attributes: expected an object",
        ),
        (
            json!({"user_identities": {"customerid": {"id": 1}}}),
            "user_identities.customerid: expected a string",
        ),
        (
            json!({"user_identities": {"email": true}}),
            "user_identities.email: expected a string",
        ),
        (
            json!({"user_identities": []}),
            "user_identities: expected an object",
        ),
        (json!({"mpid": "abc"}), "mpid: expected a 64-bit integer"),
        (json!({"mpid": 1.5}), "mpid: expected a 64-bit integer"),
        (json!({"mpid": true}), "mpid: expected a 64-bit integer"),
        (json!({"environment": 1}), "environment: expected a string"),
        (
            json!({"user_attributes": "x"}),
            "user_attributes: expected an object",
        ),
        (
            json!({"deleted_user_attributes": "x"}),
            "deleted_user_attributes: expected an array",
        ),
        (
            json!({"deleted_user_attributes": ["a", {}]}),
            "deleted_user_attributes[1]: expected a string",
        ),
        (json!({"device_info": 3}), "device_info: expected an object"),
        (
            json!({"timestamp_unixtime_ms": "yesterday"}),
            "timestamp_unixtime_ms: expected an integer",
        ),
        (
            purchase(json!({"products": []})),
            "events[0].data.product_action.action: missing",
        ),
        (
            purchase(json!({"action": "buy"})),
            "events[0].data.product_action.action: unknown product action \"buy\"",
        ),
        (
            purchase(json!({"action": "purchase", "products": [{"id": "a"}, {"price": "cheap"}]})),
            "events[0].data.product_action.products[1].price: expected a number",
        ),
        (
            purchase(json!({"action": "purchase", "total_amount": "NaN"})),
            "events[0].data.product_action.total_amount: expected a number",
        ),
        (
            purchase(json!({"action": "purchase", "products": [{"quantity": [1]}]})),
            "events[0].data.product_action.products[0].quantity: expected a number",
        ),
        (
            purchase(json!({"action": "purchase", "products": [{"custom_attributes": 1}]})),
            "events[0].data.product_action.products[0].custom_attributes: expected an object",
        ),
        (
            json!({"events": [{"event_type": "commerce_event", "data": {"promotion_action": {"promotions": []}}}]}),
            "events[0].data.promotion_action.action: missing",
        ),
        (
            json!({"events": [{"event_type": "commerce_event", "data": {"product_impressions": [{"products": [{"position": "first"}]}]}}]}),
            "events[0].data.product_impressions[0].products[0].position: expected an integer",
        ),
        (
            json!({"events": [{"event_type": "opt_out", "data": {"is_opted_out": "maybe"}}]}),
            "events[0].data.is_opted_out: expected a boolean",
        ),
        (
            json!({"events": [{"event_type": "user_attribute_change", "data": {"new": "x"}}]}),
            "events[0].data.user_attribute_name: missing",
        ),
        (
            json!({"events": [{"event_type": "session_end", "data": {"session_duration_ms": "long"}}]}),
            "events[0].data.session_duration_ms: expected an integer",
        ),
        (
            json!({"events": [{"event_type": "some_new_type", "data": {"timestamp_unixtime_ms": {}}}]}),
            "events[0].data.timestamp_unixtime_ms: expected an integer",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(err_of(body.clone()), want, "body: {body}");
    }
}

#[test]
fn error_fields_split_path_and_reason() {
    let e = parse_batch(br#"{"mpid": "x"}"#).unwrap_err();
    assert_eq!(
        e,
        BatchError {
            path: "mpid".into(),
            reason: "expected a 64-bit integer".into()
        }
    );
}

#[test]
fn malformed_json_is_reported_at_the_root() {
    for body in [&b""[..], b"{", b"{\"events\": [}", b"nul", b"\xff"] {
        let e = parse_batch(body).unwrap_err();
        assert_eq!(e.path, "$");
        assert!(e.reason.starts_with("invalid json: "), "{}", e.reason);
    }
}

#[test]
fn unusual_attribute_keys_are_quoted_in_paths() {
    let body = custom(json!({"event_name": "a", "custom_attributes": {"ok": "1"}, "x": 1}));
    assert!(parse_batch(body.to_string().as_bytes()).is_ok());
    let body = json!({"user_identities": {"customer_id": ["a"]}});
    assert_eq!(
        err_of(body),
        "user_identities.customer_id: expected a string"
    );
    let body = json!({"events": [{"event_type": "commerce_event", "data": {"product_action": {"action": "click", "products": [{"name": {"x": 1}}]}}}]});
    assert_eq!(
        err_of(body),
        "events[0].data.product_action.products[0].name: expected a string"
    );
}

#[test]
fn bulk_errors_are_per_batch_and_prefixed_with_the_index() {
    let body = json!([
        {"mpid": 1},
        {"events": [{"event_type": "custom_event", "data": {}}]},
        "not a batch",
        {"mpid": "x"}
    ]);
    let out = parse_bulk(body.to_string().as_bytes()).unwrap();
    assert_eq!(out.len(), 4);
    assert!(out[0].is_ok());
    assert_eq!(
        out[1].as_ref().unwrap_err().to_string(),
        "[1].events[0].data.event_name: missing"
    );
    assert_eq!(
        out[2].as_ref().unwrap_err().to_string(),
        "[2]: expected an object"
    );
    assert_eq!(
        out[3].as_ref().unwrap_err().to_string(),
        "[3].mpid: expected a 64-bit integer"
    );
}

#[test]
fn bulk_body_must_be_an_array() {
    let e = parse_bulk(br#"{"events": []}"#).unwrap_err();
    assert_eq!(e.to_string(), "$: expected an array of batches");
    let e = parse_bulk(b"[{").unwrap_err();
    assert_eq!(e.path, "$");
}
