//! Property tests of the mapping and the delta step: for any well-formed batch and any
//! settings, nothing panics, every object passes the shared validator (none is
//! dropped as invalid), the delta step never drops a change, and sending the same
//! profile data twice costs no attribute data points the second time.

mod common;

use braid_braze::delta::{apply_delta, SentState};
use braid_braze::settings::{
    BrazeSettings, ExternalIdentityType, OperatingSystem, OversizeRule, TypeDetection,
};
use braid_braze::validate::validate_object;
use braid_braze::wire::{TrackArray, TrackObject};
use braid_mparticle::IdentityType;
use common::*;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

fn settings_strategy() -> impl Strategy<Value = BrazeSettings> {
    (
        prop::sample::select(vec![
            ExternalIdentityType::Mpid,
            ExternalIdentityType::Identity(IdentityType::CustomerId),
            ExternalIdentityType::Identity(IdentityType::Email),
            ExternalIdentityType::Identity(IdentityType::OtherId2),
        ]),
        any::<[bool; 10]>(),
        prop::sample::select(vec![
            TypeDetection::None,
            TypeDetection::User,
            TypeDetection::Event,
            TypeDetection::Both,
        ]),
        prop::sample::select(vec![OversizeRule::Truncate, OversizeRule::Drop]),
        prop::option::of(prop::sample::select(vec![
            OperatingSystem::Ios,
            OperatingSystem::Android,
        ])),
    )
        .prop_map(|(ext, b, td, oversize, os)| BrazeSettings {
            external_identity_type: ext,
            include_enriched_user_attributes: b[0],
            send_user_attribute_lists_as_arrays: b[1],
            forward_session_events: b[2],
            forward_screen_views: b[3],
            forward_page_name_as_event_name: b[4],
            replace_sku_with_product_name: b[5],
            bundle_commerce_event_data: b[6],
            disable_external_id_constraint: b[7],
            forward_anonymous_as_alias: b[8],
            deltas: b[9],
            type_detection: td,
            oversize,
            api_key_operating_system: os,
            app_id: if b[3] { Some("app-1".into()) } else { None },
            subscription_group_mapping: vec![braid_braze::settings::SubscriptionGroupMapping {
                attribute: "news".into(),
                subscription_group_id: "g1".into(),
            }],
            ..BrazeSettings::default()
        })
}

/// Text that exercises the edges: empty, `$`-prefixed, long, unicode, look-alikes of
/// numbers, booleans and dates.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _$.-]{0,12}",
        "\\PC{0,300}",
        prop::sample::select(vec![
            "true",
            "FALSE",
            "42",
            "-7",
            "3.25",
            "007",
            "2024-02-29",
            "3001-01-01",
            "2024-06-01T10:00:00Z",
            "",
            "$",
            "time",
            "event_name",
            "female",
            "usa",
            "opted_in",
        ])
        .prop_map(str::to_string),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[$]{0,2}[a-zA-Z_]{1,10}",
        prop::sample::select(vec![
            "$FirstName",
            "$lastname",
            "$Gender",
            "$Age",
            "$Country",
            "$City",
            "$Mobile",
            "$Zip",
            "$State",
            "$Address",
            "dob",
            "email_subscribe",
            "push_subscribe",
            "news",
            "first_name",
            "gender",
            "country",
            "email",
            "phone",
            "external_id",
            "time",
            "event_name",
            "language",
        ])
        .prop_map(str::to_string),
        "\\PC{256,260}",
    ]
}

fn attr_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(Value::String),
        any::<i32>().prop_map(|n| json!(n)),
        (-1e9f64..1e9).prop_map(|n| json!(n)),
        any::<bool>().prop_map(Value::Bool),
        prop::collection::vec(text(), 0..40).prop_map(|v| json!(v)),
        Just(Value::Null),
        Just(json!({"nested": {"a": 1}})),
    ]
}

fn prop_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(Value::String),
        any::<i64>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(Value::Bool),
        Just(json!([1, 2])),
        Just(json!({"a": 1})),
        Just(Value::Null),
    ]
}

fn props() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(key(), prop_value(), 0..8).prop_map(|m| m.into_iter().collect())
}

fn product() -> impl Strategy<Value = Value> {
    (
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(-1e6f64..1e6),
        prop::option::of(prop_oneof![0.0f64..300.0, (0u32..20_000).prop_map(f64::from)]),
        props(),
    )
        .prop_map(|(id, name, price, qty, attrs)| {
            json!({"id": id, "name": name, "brand": "b", "price": price, "quantity": qty, "custom_attributes": attrs})
        })
}

fn event() -> impl Strategy<Value = Value> {
    let ts = prop::option::of(0i64..2_000_000_000_000);
    prop_oneof![
        (text(), props(), ts.clone()).prop_map(|(name, attrs, ts)| json!({"event_type": "custom_event",
            "data": {"event_name": name, "custom_attributes": attrs, "timestamp_unixtime_ms": ts}})),
        (
            prop::sample::select(vec![
                "purchase", "refund", "add_to_cart", "checkout", "view_detail", "remove_from_wish_list"
            ]),
            prop::collection::vec(product(), 0..4),
            prop::option::of(prop::sample::select(vec!["USD", "eur", "xx", "dollars"])),
            props(),
            ts.clone()
        )
            .prop_map(|(action, products, currency, attrs, ts)| json!({"event_type": "commerce_event", "data": {
                "currency_code": currency, "custom_attributes": attrs, "timestamp_unixtime_ms": ts,
                "product_action": {"action": action, "transaction_id": "T", "total_amount": 10.0, "products": products}}})),
        (text(), props()).prop_map(|(name, attrs)| json!({"event_type": "commerce_event", "data": {
            "promotion_action": {"action": "click", "promotions": [{"id": name, "name": "n"}]},
            "product_impressions": [{"product_impression_list": "l", "products": [{"id": "p"}]}],
            "custom_attributes": attrs}})),
        (text(), props()).prop_map(|(screen, attrs)| json!({"event_type": "screen_view",
            "data": {"screen_name": screen, "custom_attributes": attrs}})),
        Just(json!({"event_type": "session_start", "data": {}})),
        Just(json!({"event_type": "session_end", "data": {"session_duration_ms": 10}})),
        any::<bool>().prop_map(|b| json!({"event_type": "opt_out", "data": {"is_opted_out": b}})),
        (any::<bool>(), text()).prop_map(|(r, t)| json!({"event_type": "push_registration",
            "data": {"register": r, "registration_token": t}})),
        (key(), attr_value()).prop_map(|(k, v)| json!({"event_type": "user_attribute_change",
            "data": {"user_attribute_name": k, "new": v}})),
        Just(json!({"event_type": "crash_report", "data": {}})),
    ]
}

fn batch_json() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map(key(), attr_value(), 0..12),
        prop::collection::vec(key(), 0..3),
        prop::collection::vec(event(), 0..6),
        prop::option::of("[a-z0-9]{1,8}"),
        prop::option::of(prop::sample::select(vec!["a@example.com", "not an email", " b@example.org "])),
        prop::option::of(prop::sample::select(vec!["iOS", "Android", "web"])),
    )
        .prop_map(|(attrs, deleted, events, customer, email, platform)| {
            json!({
                "user_attributes": attrs, "deleted_user_attributes": deleted, "events": events,
                "user_identities": {"customer_id": customer, "email": email, "other_id_2": customer},
                "device_info": {"platform": platform},
                "timestamp_unixtime_ms": 1_717_000_000_000_i64
            })
        })
}

/// Drop JSON nulls that stand for "absent" in the generated identities.
fn clean(mut v: Value) -> Value {
    if let Some(ids) = v.get_mut("user_identities").and_then(Value::as_object_mut) {
        ids.retain(|_, v| !v.is_null());
    }
    if let Some(d) = v.get_mut("device_info").and_then(Value::as_object_mut) {
        d.retain(|_, v| !v.is_null());
    }
    v
}

/// What Braze holds for one user after applying attribute objects in order.
fn braze_view(start: &BTreeMap<String, Value>, objects: &[TrackObject]) -> BTreeMap<String, Value> {
    let mut view = start.clone();
    for o in objects.iter().filter(|o| o.array == TrackArray::Attributes) {
        for (k, v) in &o.body {
            if matches!(
                k.as_str(),
                "external_id" | "user_alias" | "braze_id" | "_update_existing_only"
            ) {
                continue;
            }
            match (k.as_str(), v) {
                ("push_tokens", Value::Array(items))
                | ("subscription_groups", Value::Array(items)) => {
                    for item in items {
                        let id = item
                            .get("token")
                            .or_else(|| item.get("subscription_group_id"))
                            .cloned()
                            .unwrap_or_default();
                        view.insert(format!("{k}:{id}"), item.clone());
                    }
                }
                _ => {
                    // Numbers compare by value, as Braze stores them.
                    let v = match v.as_f64() {
                        Some(f) if v.is_number() => json!(f),
                        _ => v.clone(),
                    };
                    view.insert(k.clone(), v);
                }
            }
        }
    }
    view
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_output_object_is_valid_braze_input(settings in settings_strategy(), b in batch_json(), known in any::<bool>()) {
        let before = if known { customer().attrs(json!({"plan": "pro", "$FirstName": "Ada"})) } else { Profile::default() };
        let batch = batch(clean(b));
        let out = map(&settings, &before, &batch);
        prop_assert_eq!(out.counters.invalid_objects, 0, "the mapping produced objects the validator rejects");
        for o in &out.objects {
            prop_assert!(validate_object(o.array, &o.body, &settings.limits).is_ok(), "{:?}", o.body);
        }
        let delta = apply_delta(&mut SentState::default(), out.objects, settings.deltas);
        for o in &delta.objects {
            prop_assert!(validate_object(o.array, &o.body, &settings.limits).is_ok(), "after delta: {:?}", o.body);
        }
    }

    #[test]
    fn the_delta_step_never_drops_a_change(settings in settings_strategy(), b1 in batch_json(), b2 in batch_json()) {
        let settings = BrazeSettings { deltas: true, ..settings };
        let mut state = SentState::default();
        let first = map(&settings, &customer(), &batch(clean(b1)));
        let sent1 = apply_delta(&mut state, first.objects.clone(), true);
        let braze_after_first = braze_view(&BTreeMap::new(), &sent1.objects);
        prop_assert_eq!(&braze_after_first, &braze_view(&BTreeMap::new(), &first.objects));

        let second = map(&settings, &customer(), &batch(clean(b2)));
        let sent2 = apply_delta(&mut state, second.objects.clone(), true);
        // Braze ends up exactly where sending everything would have left it.
        prop_assert_eq!(
            braze_view(&braze_after_first, &sent2.objects),
            braze_view(&braze_after_first, &second.objects)
        );
        // Events and purchases always pass.
        let facts = |objs: &[TrackObject]| objs.iter().filter(|o| o.array != TrackArray::Attributes).count();
        prop_assert_eq!(facts(&sent2.objects), facts(&second.objects));
    }

    #[test]
    fn resending_the_same_profile_costs_no_attribute_data_points(settings in settings_strategy(), b in batch_json()) {
        let settings = BrazeSettings { deltas: true, ..settings };
        let batch = batch(clean(b));
        let mut state = SentState::default();
        let first = map(&settings, &customer(), &batch);
        apply_delta(&mut state, first.objects, true);
        let again = map(&settings, &customer(), &batch);
        let second = apply_delta(&mut state, again.objects, true);
        prop_assert_eq!(second.cost.attributes, 0);
    }

    #[test]
    fn mapping_is_deterministic(settings in settings_strategy(), b in batch_json()) {
        let batch = batch(clean(b));
        prop_assert_eq!(map(&settings, &customer(), &batch), map(&settings, &customer(), &batch));
    }
}
