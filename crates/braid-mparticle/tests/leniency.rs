//! What real clients send that differs from the documentation, and must still parse.

mod common;

use braid_mparticle::{
    parse_batch, AttributeValue, Environment, Event, IdentityType, Mpid, ProductActionKind,
};
use serde_json::{json, Value};

fn parse(v: Value) -> braid_mparticle::Batch {
    parse_batch(v.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn customer_id_is_read_from_both_spellings() {
    for key in ["customerid", "customer_id", "CustomerId"] {
        let b = parse(json!({"user_identities": {key: "c-1"}}));
        assert_eq!(b.user_identities[&IdentityType::CustomerId], "c-1", "{key}");
    }
}

#[test]
fn other_id_spellings_are_all_accepted() {
    for key in ["other_id_2", "otherid2", "other_2"] {
        let b = parse(json!({"user_identities": {key: "o-2"}}));
        assert_eq!(b.user_identities[&IdentityType::OtherId2], "o-2", "{key}");
    }
}

#[test]
fn identities_serialise_with_canonical_names() {
    let b = parse(json!({"user_identities": {"customerid": "c", "otherid3": "o"}}));
    let out = serde_json::to_value(&b).unwrap();
    assert_eq!(
        out["user_identities"],
        json!({"customer_id": "c", "other_id_3": "o"})
    );
}

#[test]
fn unknown_identity_types_and_null_identities_are_dropped_not_fatal() {
    let b = parse(json!({"user_identities": {
        "ios_idfa": "x", "email": null, "customerid": "", "other": 42
    }}));
    assert_eq!(b.user_identities.len(), 1);
    assert_eq!(b.user_identities[&IdentityType::Other], "42");
}

#[test]
fn mpid_is_accepted_as_number_or_string() {
    assert_eq!(parse(json!({"mpid": 42})).mpid, Some(Mpid(42)));
    assert_eq!(parse(json!({"mpid": "-42"})).mpid, Some(Mpid(-42)));
    assert_eq!(parse(json!({"mpid": " 7 "})).mpid, Some(Mpid(7)));
    assert_eq!(parse(json!({"mpid": null})).mpid, None);
    assert_eq!(parse(json!({"mpid": ""})).mpid, None);
    // Unsigned renderings of negative MPIDs keep their bits.
    assert_eq!(
        parse(json!({"mpid": "14324815733582490506"})).mpid,
        Some(Mpid(-4121928340127061110))
    );
}

#[test]
fn both_wish_list_spellings_parse_to_the_same_action() {
    for spelling in ["remove_from_wish_list", "remove_from_wishlist"] {
        let b = parse(json!({"events": [{"event_type": "commerce_event",
            "data": {"product_action": {"action": spelling}}}]}));
        let Event::CommerceEvent(c) = &b.events[0] else {
            panic!()
        };
        assert_eq!(
            c.product_action.as_ref().unwrap().action,
            ProductActionKind::RemoveFromWishList
        );
    }
}

#[test]
fn unknown_fields_are_kept_at_every_level() {
    let b = parse(json!({
        "api_key": "k",
        "events": [
            {"event_type": "custom_event", "data": {"event_name": "e", "new_field": [1]}, "ignored": true},
            {"event_type": "commerce_event", "data": {"product_action": {"action": "click", "future": 1,
                "products": [{"id": "p", "added_to_cart_time_ms": 5}]}}}
        ]
    }));
    assert_eq!(b.extra["api_key"], json!("k"));
    assert_eq!(b.events[0].common().extra["new_field"], json!([1]));
    let Event::CommerceEvent(c) = &b.events[1] else {
        panic!()
    };
    let a = c.product_action.as_ref().unwrap();
    assert_eq!(a.extra["future"], json!(1));
    assert_eq!(a.products[0].extra["added_to_cart_time_ms"], json!(5));
    // And they are written back when the batch is stored.
    let stored = serde_json::to_value(&b).unwrap();
    assert_eq!(stored["api_key"], json!("k"));
    assert_eq!(stored["events"][0]["data"]["new_field"], json!([1]));
}

#[test]
fn unknown_event_types_are_kept_not_rejected() {
    let b = parse(json!({"events": [
        {"event_type": "media_session_start", "data": {"timestamp_unixtime_ms": 5, "media_content_id": "c"}},
        {"event_type": "custom_event", "data": {"event_name": "after"}}
    ]}));
    assert_eq!(b.events.len(), 2);
    let e = &b.events[0];
    assert!(e.is_unknown());
    assert_eq!(e.event_type(), "unknown");
    assert_eq!(e.wire_event_type(), "media_session_start");
    assert_eq!(e.common().timestamp_unixtime_ms, Some(5));
    assert_eq!(e.common().extra["media_content_id"], json!("c"));
    let stored = serde_json::to_value(e).unwrap();
    assert_eq!(
        stored,
        json!({"event_type": "media_session_start", "data": {"timestamp_unixtime_ms": 5, "media_content_id": "c"}})
    );
}

#[test]
fn known_event_types_match_in_any_case() {
    let b = parse(json!({"events": [{"event_type": "Screen_View", "data": {"screen_name": "s"}}]}));
    assert_eq!(b.events[0].event_type(), "screen_view");
}

#[test]
fn user_attribute_lists_with_numbers_and_bools_become_strings() {
    let b = parse(json!({"user_attributes": {"tags": ["a", 1, 2.5, true, false]}}));
    assert_eq!(
        b.user_attributes["tags"],
        AttributeValue::List(vec![
            "a".into(),
            "1".into(),
            "2.5".into(),
            "true".into(),
            "false".into()
        ])
    );
}

#[test]
fn null_and_structured_attribute_values_are_accepted() {
    let b = parse(json!({"user_attributes": {"gone": null, "obj": {"a": 1}, "n": 3, "b": false}}));
    assert_eq!(b.user_attributes["gone"], AttributeValue::Null);
    assert_eq!(
        b.user_attributes["obj"],
        AttributeValue::Other(json!({"a": 1}))
    );
    assert_eq!(b.user_attributes["n"], AttributeValue::Number(3.into()));
    assert_eq!(b.user_attributes["b"], AttributeValue::Bool(false));
    let b = parse(
        json!({"events": [{"event_type": "custom_event", "data": {"event_name": "e",
        "custom_attributes": {"none": null}}}]}),
    );
    assert_eq!(
        b.events[0].common().custom_attributes.as_ref().unwrap()["none"],
        Value::Null
    );
}

#[test]
fn environment_is_read_in_any_case() {
    for (sent, want) in [
        ("production", Environment::Production),
        ("Production", Environment::Production),
        ("DEVELOPMENT", Environment::Development),
        ("staging", Environment::Unknown),
    ] {
        assert_eq!(
            parse(json!({"environment": sent})).environment,
            Some(want),
            "{sent}"
        );
    }
}

#[test]
fn amounts_prices_and_quantities_are_accepted_as_strings() {
    let b = parse(
        json!({"events": [{"event_type": "commerce_event", "data": {"product_action": {
            "action": "purchase", "total_amount": "19.98", "tax_amount": "1.5", "shipping_amount": "0",
            "checkout_step": "2",
            "products": [{"id": 4711, "price": "9.99", "quantity": "2", "position": "1",
                          "total_product_amount": "19.98"}]
        }}}]}),
    );
    let Event::CommerceEvent(c) = &b.events[0] else {
        panic!()
    };
    let a = c.product_action.as_ref().unwrap();
    assert_eq!(a.total_amount, Some(19.98));
    assert_eq!(a.tax_amount, Some(1.5));
    assert_eq!(a.shipping_amount, Some(0.0));
    assert_eq!(a.checkout_step, Some(2));
    let p = &a.products[0];
    assert_eq!(p.id.as_deref(), Some("4711"));
    assert_eq!(
        (p.price, p.quantity, p.position),
        (Some(9.99), Some(2.0), Some(1))
    );
    assert_eq!(p.total_product_amount, Some(19.98));
}

#[test]
fn timestamps_are_accepted_as_strings_and_whole_floats() {
    let b = parse(json!({"timestamp_unixtime_ms": "1718000000000", "events": [
        {"event_type": "session_start", "data": {"timestamp_unixtime_ms": 1.718e12}}]}));
    assert_eq!(b.timestamp_unixtime_ms, Some(1_718_000_000_000));
    assert_eq!(
        b.events[0].common().timestamp_unixtime_ms,
        Some(1_718_000_000_000)
    );
}

#[test]
fn missing_data_reads_as_empty() {
    let b = parse(
        json!({"events": [{"event_type": "session_start"}, {"event_type": "first_run", "data": null}]}),
    );
    assert_eq!(b.events.len(), 2);
}

#[test]
fn nulls_for_optional_top_level_fields_read_as_absent() {
    let b = parse(
        json!({"events": null, "user_attributes": null, "user_identities": null,
        "deleted_user_attributes": null, "device_info": null, "environment": null, "ip": null}),
    );
    assert_eq!(b, braid_mparticle::Batch::default());
}

#[test]
fn lenient_client_fixture_parses_with_everything_kept() {
    let b = parse_batch(&common::fixture("lenient_client_batch.json")).unwrap();
    assert_eq!(b.events.len(), 5);
    assert_eq!(b.events.iter().filter(|e| e.is_unknown()).count(), 1);
    assert_eq!(b.mpid, Some(Mpid(-4121928340127661110)));
    assert_eq!(b.user_identities[&IdentityType::CustomerId], "cust-42");
    assert_eq!(b.user_identities[&IdentityType::OtherId2], "legacy-7");
    assert_eq!(b.environment, Some(Environment::Production));
}
