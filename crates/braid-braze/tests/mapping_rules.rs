//! Table-driven tests for every rule of the mParticle → Braze mapping (issue 3), with
//! the Braze `/users/track` body each case must produce written out in full.

mod common;

use braid_braze::mapping::MappingCounters;
use braid_braze::settings::{
    BrazeSettings, ExternalIdentityType, OperatingSystem, OversizeRule, SubscriptionGroupMapping,
    TypeDetection,
};
use braid_braze::wire::{AliasRef, AliasToIdentify};
use braid_mparticle::IdentityType;
use common::*;
use serde_json::{json, Value};

fn settings() -> BrazeSettings {
    BrazeSettings::default()
}

/// One case: settings, profile before, batch, expected body, expected counters.
struct Case {
    name: &'static str,
    settings: BrazeSettings,
    before: Profile,
    batch: Value,
    expect: Value,
    counters: MappingCounters,
}

fn run(cases: Vec<Case>) {
    for case in cases {
        let out = map(&case.settings, &case.before, &batch(case.batch));
        assert_eq!(
            request(&out),
            case.expect,
            "case `{}`: request body",
            case.name
        );
        assert_eq!(
            out.counters, case.counters,
            "case `{}`: counters",
            case.name
        );
    }
}

fn counters(f: impl FnOnce(&mut MappingCounters)) -> MappingCounters {
    let mut c = MappingCounters::default();
    f(&mut c);
    c
}

// ---------------------------------------------------------------- identity

#[test]
fn identity_rules() {
    run(vec![
        Case {
            name: "customer id becomes external_id and the email identity becomes email",
            settings: settings(),
            before: Profile::default(),
            batch: json!({"user_identities": {"customerid": "c1", "email": "a@example.com"}, "user_attributes": {"plan": "pro"}}),
            expect: json!({"attributes": [{"external_id": "c1", "email": "a@example.com", "plan": "pro"}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "mpid as external identity is the MPID as a decimal string",
            settings: BrazeSettings {
                external_identity_type: ExternalIdentityType::Mpid,
                ..settings()
            },
            before: Profile::default(),
            batch: json!({"user_attributes": {"plan": "pro"}}),
            expect: json!({"attributes": [{"external_id": "8675309", "plan": "pro"}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "other identity types can be chosen for external_id and email",
            settings: BrazeSettings {
                external_identity_type: ExternalIdentityType::Identity(IdentityType::OtherId2),
                email_identity_type: IdentityType::Other,
                ..settings()
            },
            before: Profile::default(),
            batch: json!({"user_identities": {"customer_id": "c1", "other_id_2": "x2", "other": "o@example.com", "email": "e@example.com"}, "user_attributes": {"plan": "pro"}}),
            expect: json!({"attributes": [{"external_id": "x2", "email": "o@example.com", "plan": "pro"}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "a user without the external identity is not forwarded and is counted",
            settings: settings(),
            before: Profile::default(),
            batch: json!({"user_identities": {"email": "a@example.com"}, "user_attributes": {"plan": "pro"},
                "events": [{"event_type": "custom_event", "data": {"event_name": "x"}}]}),
            expect: json!({}),
            counters: counters(|c| c.skipped_no_external_id = 1),
        },
        Case {
            name: "a blank external identity counts as absent",
            settings: settings(),
            before: Profile::default(),
            batch: json!({"user_identities": {"customer_id": "  "}, "user_attributes": {"plan": "pro"}}),
            expect: json!({}),
            counters: counters(|c| c.skipped_no_external_id = 1),
        },
        Case {
            name: "anonymous users become alias profiles when enabled",
            settings: BrazeSettings {
                forward_anonymous_as_alias: true,
                ..settings()
            },
            before: Profile::default(),
            batch: json!({"events": [{"event_type": "custom_event", "data": {"event_name": "Opened", "timestamp_unixtime_ms": EVENT_MS}}]}),
            expect: json!({
                "attributes": [{"user_alias": {"alias_name": "8675309", "alias_label": "mpid"}, "_update_existing_only": false}],
                "events": [{"user_alias": {"alias_name": "8675309", "alias_label": "mpid"}, "_update_existing_only": false, "name": "Opened", "time": EVENT_TIME}]
            }),
            counters: counters(|c| c.forwarded_as_alias = 1),
        },
        Case {
            name: "with the external id constraint disabled, email identifies the user",
            settings: BrazeSettings {
                disable_external_id_constraint: true,
                ..settings()
            },
            before: Profile::default(),
            batch: json!({"user_identities": {"email": "a@example.com"}, "user_attributes": {"plan": "pro"}}),
            expect: json!({"attributes": [{"email": "a@example.com", "plan": "pro"}]}),
            counters: counters(|c| c.forwarded_by_email = 1),
        },
        Case {
            name: "an unchanged email is not re-sent without enrichment",
            settings: settings(),
            before: Profile::with_identities(
                json!({"customer_id": "c1", "email": "a@example.com"}),
            ),
            batch: json!({"user_identities": {"customer_id": "c1", "email": "a@example.com"}, "user_attributes": {"plan": "pro"}}),
            expect: json!({"attributes": [{"external_id": "c1", "plan": "pro"}]}),
            counters: MappingCounters::default(),
        },
    ]);
}

#[test]
fn anonymous_user_gaining_an_external_id_merges_their_alias() {
    let s = BrazeSettings {
        forward_anonymous_as_alias: true,
        ..settings()
    };
    let out = map(
        &s,
        &Profile::default(),
        &batch(json!({"user_identities": {"customer_id": "c9"}})),
    );
    assert_eq!(
        out.identify,
        vec![AliasToIdentify {
            external_id: "c9".into(),
            user_alias: AliasRef {
                alias_name: "8675309".into(),
                alias_label: "mpid".into()
            }
        }]
    );
    // Later batches of the same user do not merge again.
    let out = map(
        &s,
        &customer(),
        &batch(json!({"user_identities": {"customer_id": "c1"}})),
    );
    assert!(out.identify.is_empty());
    // Without alias forwarding there is nothing to merge.
    let out = map(
        &settings(),
        &Profile::default(),
        &batch(json!({"user_identities": {"customer_id": "c9"}})),
    );
    assert!(out.identify.is_empty());
}

// ---------------------------------------------------------------- reserved attributes

#[test]
fn reserved_attribute_rules() {
    run(vec![
        Case {
            name: "every reserved attribute maps to its Braze field",
            settings: settings(),
            before: customer(),
            batch: json!({"user_attributes": {
                "$FirstName": "Ada", "$LastName": "Lovelace", "$Gender": "female", "$Age": 36,
                "$Country": "United Kingdom", "$City": "London", "$Mobile": "+447700900000",
                "$Zip": "01234", "$State": "Greater London", "$Address": "12 St James's Sq"
            }}),
            // Keys come out in the profile's (sorted) order.
            expect: json!({"attributes": [{
                "external_id": "c1", "Address": "12 St James's Sq", "dob": "1988-01-01", "home_city": "London",
                "country": "GB", "first_name": "Ada", "gender": "F", "last_name": "Lovelace",
                "phone": "+447700900000", "State": "Greater London", "Zip": "01234"
            }]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "reserved keys match in any letter case and zip stays a string",
            settings: BrazeSettings {
                type_detection: TypeDetection::Both,
                ..settings()
            },
            before: customer(),
            batch: json!({"user_attributes": {"$firstname": "ada", "$GENDER": "M", "$zip": 2134, "$COUNTRY": "fra"}}),
            expect: json!({"attributes": [{"external_id": "c1", "country": "FR", "gender": "M", "first_name": "ada", "Zip": "2134"}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "an exact dob wins over the estimate from age",
            settings: settings(),
            before: customer(),
            batch: json!({"user_attributes": {"$Age": "30", "dob": "1990-05-17"}}),
            expect: json!({"attributes": [{"external_id": "c1", "dob": "1990-05-17"}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "values that cannot be normalised are not sent and are counted",
            settings: settings(),
            before: customer(),
            batch: json!({"user_attributes": {"$Gender": "robot", "$Country": "Atlantis", "$Age": "old", "email_subscribe": "maybe"}}),
            expect: json!({}),
            counters: counters(|c| c.unrecognised_values = 4),
        },
        Case {
            name: "deleted reserved attributes become null",
            settings: settings(),
            before: customer().attrs(json!({"$FirstName": "Ada", "$Gender": "F", "$Age": 30})),
            batch: json!({"deleted_user_attributes": ["$FirstName", "$Gender", "$Age"]}),
            expect: json!({"attributes": [{"external_id": "c1", "first_name": null, "gender": null, "dob": null}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "subscription state attributes map to the Braze fields",
            settings: settings(),
            before: customer(),
            batch: json!({"user_attributes": {"email_subscribe": "Opted_In", "push_subscribe": false}}),
            expect: json!({"attributes": [{"external_id": "c1", "email_subscribe": "opted_in", "push_subscribe": "unsubscribed"}]}),
            counters: MappingCounters::default(),
        },
    ]);
}

// ---------------------------------------------------------------- custom attributes

#[test]
fn custom_attribute_rules() {
    let long = "x".repeat(300);
    let cut = "x".repeat(255);
    let many: Vec<String> = (0..30).map(|i| format!("v{i:02}")).collect();
    let first25: Vec<String> = many[..25].to_vec();
    run(vec![
        Case {
            name: "custom attributes keep their type, lose a leading $, and objects and nulls are not sent",
            settings: settings(),
            before: customer(),
            batch: json!({"user_attributes": {
                "$plan": "pro", "score": 12.5, "vip": true, "tags": ["a", "b", "a"], "tag_only": null, "nested": {"a": 1}
            }}),
            expect: json!({"attributes": [{"external_id": "c1", "plan": "pro", "score": 12.5, "tags": ["a", "b"], "vip": true}]}),
            counters: counters(|c| {
                c.skipped_null_attributes = 1;
                c.dropped_object_attributes = 1;
            }),
        },
        Case {
            name: "lists become comma-separated strings when arrays are off",
            settings: BrazeSettings { send_user_attribute_lists_as_arrays: false, ..settings() },
            before: customer(),
            batch: json!({"user_attributes": {"tags": ["a", "b", "c"]}}),
            expect: json!({"attributes": [{"external_id": "c1", "tags": "a,b,c"}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "a deleted custom attribute becomes null",
            settings: settings(),
            before: customer().attrs(json!({"plan": "pro"})),
            batch: json!({"deleted_user_attributes": ["plan"]}),
            expect: json!({"attributes": [{"external_id": "c1", "plan": null}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "oversize strings and arrays are truncated and counted",
            settings: settings(),
            before: customer(),
            batch: json!({"user_attributes": {"bio": long, "many": many}}),
            expect: json!({"attributes": [{"external_id": "c1", "bio": cut, "many": first25}]}),
            counters: counters(|c| {
                c.truncated_strings = 1;
                c.truncated_arrays = 1;
            }),
        },
        Case {
            name: "oversize values are dropped and counted under the drop rule",
            settings: BrazeSettings { oversize: OversizeRule::Drop, ..settings() },
            before: customer(),
            batch: json!({"user_attributes": {"bio": "x".repeat(300), "many": (0..30).map(|i| i.to_string()).collect::<Vec<_>>(), "ok": "fine"}}),
            expect: json!({"attributes": [{"external_id": "c1", "ok": "fine"}]}),
            counters: counters(|c| c.dropped_oversize_values = 2),
        },
        Case {
            name: "user type detection turns strings into booleans, numbers and times",
            settings: BrazeSettings { type_detection: TypeDetection::User, ..settings() },
            before: customer(),
            batch: json!({"user_attributes": {"a_bool": "True", "b_int": "42", "c_dec": "4.5", "d_date": "2024-02-29", "e_far": "3001-01-01", "f_code": "007"}}),
            expect: json!({"attributes": [{"external_id": "c1", "a_bool": true, "b_int": 42, "c_dec": 4.5,
                "d_date": "2024-02-29T00:00:00.000Z", "e_far": "3001-01-01", "f_code": "007"}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "without type detection strings stay strings",
            settings: BrazeSettings { type_detection: TypeDetection::Event, ..settings() },
            before: customer(),
            batch: json!({"user_attributes": {"a_bool": "true", "b_int": "42"}}),
            expect: json!({"attributes": [{"external_id": "c1", "a_bool": "true", "b_int": "42"}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "attributes named like identifiers are renamed so they cannot retarget the object",
            settings: settings(),
            before: customer(),
            batch: json!({"user_attributes": {"external_id": "evil", "$braze_id": "b"}}),
            expect: json!({"attributes": [{"external_id": "c1", "mp_braze_id": "b", "mp_external_id": "evil"}]}),
            counters: counters(|c| c.renamed_reserved_keys = 2),
        },
    ]);
}

#[test]
fn enrichment_rules() {
    let before = customer().attrs(json!({"$FirstName": "Ada", "plan": "pro"}));
    run(vec![
        Case {
            name: "without enrichment only the attributes the batch changed are sent",
            settings: settings(),
            before: before.clone(),
            batch: json!({"user_attributes": {"plan": "max"},
                "events": [{"event_type": "user_attribute_change", "data": {"user_attribute_name": "seats", "new": 3}}]}),
            expect: json!({"attributes": [{"external_id": "c1", "plan": "max", "seats": 3}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "with enrichment the whole profile travels with the batch",
            settings: BrazeSettings {
                include_enriched_user_attributes: true,
                ..settings()
            },
            before: before.clone(),
            batch: json!({"user_attributes": {"plan": "max"}, "deleted_user_attributes": ["gone"],
                "events": [{"event_type": "custom_event", "data": {"event_name": "Upgraded", "timestamp_unixtime_ms": EVENT_MS}}]}),
            expect: json!({
                "attributes": [{"external_id": "c1", "first_name": "Ada", "plan": "max", "gone": null}],
                "events": [{"external_id": "c1", "name": "Upgraded", "time": EVENT_TIME}]
            }),
            counters: MappingCounters::default(),
        },
    ]);
}

#[test]
fn subscription_group_mapping_adds_or_removes_groups() {
    let s = BrazeSettings {
        subscription_group_mapping: vec![
            SubscriptionGroupMapping {
                attribute: "newsletter".into(),
                subscription_group_id: "g-news".into(),
            },
            SubscriptionGroupMapping {
                attribute: "SMS_Promos".into(),
                subscription_group_id: "g-sms".into(),
            },
        ],
        ..settings()
    };
    run(vec![Case {
        name: "true subscribes, false unsubscribes, the attribute itself is not sent",
        settings: s,
        before: customer(),
        batch: json!({"user_attributes": {"newsletter": true, "sms_promos": "false", "plan": "pro"}}),
        expect: json!({"attributes": [{"external_id": "c1", "subscription_groups": [
            {"subscription_group_id": "g-news", "subscription_state": "subscribed"},
            {"subscription_group_id": "g-sms", "subscription_state": "unsubscribed"}
        ], "plan": "pro"}]}),
        counters: MappingCounters::default(),
    }]);
}

// ---------------------------------------------------------------- events

#[test]
fn custom_event_rules() {
    run(vec![
        Case {
            name: "a custom event keeps scalar properties, strips $, renames reserved keys, drops the rest",
            settings: settings(),
            before: customer(),
            batch: json!({"events": [{"event_type": "custom_event", "data": {
                "event_name": "Played", "timestamp_unixtime_ms": EVENT_MS, "custom_event_type": "media",
                "custom_attributes": {"$song": "Hey", "plays": 3, "liked": true, "when": "2024-01-01",
                    "time": "now", "event_name": "dup", "list": [1, 2], "obj": {"a": 1}, "nothing": null}
            }}]}),
            expect: json!({"events": [{"external_id": "c1", "name": "Played", "time": EVENT_TIME, "properties": {
                "song": "Hey", "plays": 3, "liked": true, "when": "2024-01-01", "mp_time": "now", "mp_event_name": "dup"
            }}]}),
            counters: counters(|c| {
                c.renamed_reserved_keys = 2;
                c.dropped_event_properties = 3;
            }),
        },
        Case {
            name: "event time falls back to the batch timestamp, then to now, and is never in the future",
            settings: settings(),
            before: customer(),
            batch: json!({"timestamp_unixtime_ms": 1_717_230_000_000_i64, "events": [
                {"event_type": "custom_event", "data": {"event_name": "a"}},
                {"event_type": "custom_event", "data": {"event_name": "b", "timestamp_unixtime_ms": 1_900_000_000_000_i64}}
            ]}),
            expect: json!({"events": [
                {"external_id": "c1", "name": "a", "time": "2024-06-01T08:20:00.000Z"},
                {"external_id": "c1", "name": "b", "time": "2024-06-01T12:00:00.000Z"}
            ]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "without any timestamp the event time is now",
            settings: settings(),
            before: customer(),
            batch: json!({"events": [{"event_type": "custom_event", "data": {"event_name": "a"}}]}),
            expect: json!({"events": [{"external_id": "c1", "name": "a", "time": "2024-06-01T12:00:00.000Z"}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "event type detection converts property strings",
            settings: BrazeSettings { type_detection: TypeDetection::Event, app_id: Some("app-1".into()), ..settings() },
            before: customer(),
            batch: json!({"events": [{"event_type": "custom_event", "data": {"event_name": "a", "timestamp_unixtime_ms": EVENT_MS,
                "custom_attributes": {"n": "5", "b": "false", "d": "2024-06-01T00:00:00Z", "s": "hello"}}}]}),
            expect: json!({"events": [{"external_id": "c1", "app_id": "app-1", "name": "a", "time": EVENT_TIME,
                "properties": {"n": 5, "b": false, "d": EVENT_TIME, "s": "hello"}}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "long property strings are truncated and counted",
            settings: settings(),
            before: customer(),
            batch: json!({"events": [{"event_type": "custom_event", "data": {"event_name": "a", "timestamp_unixtime_ms": EVENT_MS,
                "custom_attributes": {"s": "y".repeat(256)}}}]}),
            expect: json!({"events": [{"external_id": "c1", "name": "a", "time": EVENT_TIME, "properties": {"s": "y".repeat(255)}}]}),
            counters: counters(|c| c.truncated_strings = 1),
        },
    ]);
}

#[test]
fn session_screen_and_other_event_rules() {
    let events = json!([
        {"event_type": "session_start", "data": {"timestamp_unixtime_ms": EVENT_MS}},
        {"event_type": "screen_view", "data": {"screen_name": "Home", "timestamp_unixtime_ms": EVENT_MS, "custom_attributes": {"tab": "1"}}},
        {"event_type": "session_end", "data": {"timestamp_unixtime_ms": EVENT_MS, "session_duration_ms": 5000}},
        {"event_type": "crash_report", "data": {}}
    ]);
    run(vec![
        Case {
            name: "sessions and screen views are not forwarded by default",
            settings: settings(),
            before: customer(),
            batch: json!({"events": events.clone()}),
            expect: json!({}),
            counters: counters(|c| c.unforwarded_events = 4),
        },
        Case {
            name: "enabled, sessions become Session Start/End and screen views Screen View",
            settings: BrazeSettings {
                forward_session_events: true,
                forward_screen_views: true,
                ..settings()
            },
            before: customer(),
            batch: json!({"events": events.clone()}),
            expect: json!({"events": [
                {"external_id": "c1", "name": "Session Start", "time": EVENT_TIME},
                {"external_id": "c1", "name": "Screen View", "time": EVENT_TIME, "properties": {"tab": "1", "screen_name": "Home"}},
                {"external_id": "c1", "name": "Session End", "time": EVENT_TIME}
            ]}),
            counters: counters(|c| c.unforwarded_events = 1),
        },
        Case {
            name: "page name as event name names the event after the screen",
            settings: BrazeSettings {
                forward_screen_views: true,
                forward_page_name_as_event_name: true,
                ..settings()
            },
            before: customer(),
            batch: json!({"events": [events[1].clone()]}),
            expect: json!({"events": [{"external_id": "c1", "name": "Home", "time": EVENT_TIME, "properties": {"tab": "1"}}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "opt-out becomes email_subscribe",
            settings: settings(),
            before: customer(),
            batch: json!({"events": [{"event_type": "opt_out", "data": {"is_opted_out": true}}]}),
            expect: json!({"attributes": [{"external_id": "c1", "email_subscribe": "unsubscribed"}]}),
            counters: MappingCounters::default(),
        },
    ]);
}

#[test]
fn attributes_set_by_events_follow_the_profile_attributes_in_order() {
    // An opt-out event and a profile attribute both set email_subscribe: the event,
    // later in the batch's meaning, wins, and the key keeps its first place; the push
    // token, set only by an event, comes after every profile attribute.
    let settings = BrazeSettings {
        app_id: Some("app-ios".into()),
        ..settings()
    };
    let out = map(
        &settings,
        &customer(),
        &batch(json!({
            "user_attributes": {"email_subscribe": "opted_in", "plan": "pro"},
            "events": [
                {"event_type": "push_registration", "data": {"register": true, "registration_token": "tok-1"}},
                {"event_type": "opt_out", "data": {"is_opted_out": true}}
            ]
        })),
    );
    let attributes = &out.objects[0].body;
    let keys: Vec<&str> = attributes.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["external_id", "email_subscribe", "plan", "push_tokens"]
    );
    assert_eq!(attributes["email_subscribe"], "unsubscribed");
    assert_eq!(
        attributes["push_tokens"],
        json!([{"app_id": "app-ios", "token": "tok-1"}])
    );
}

#[test]
fn push_registration_rules() {
    let reg = |platform: &str| {
        json!({"device_info": {"platform": platform}, "events": [
            {"event_type": "push_registration", "data": {"register": true, "registration_token": "tok-1"}}
        ]})
    };
    let with_app = BrazeSettings {
        app_id: Some("app-ios".into()),
        ..settings()
    };
    run(vec![
        Case {
            name: "a push registration becomes a push token",
            settings: with_app.clone(),
            before: customer(),
            batch: reg("Android"),
            expect: json!({"attributes": [{"external_id": "c1", "push_tokens": [{"app_id": "app-ios", "token": "tok-1"}]}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "the api key operating system lets matching platforms through",
            settings: BrazeSettings {
                api_key_operating_system: Some(OperatingSystem::Ios),
                ..with_app.clone()
            },
            before: customer(),
            batch: reg("iOS"),
            expect: json!({"attributes": [{"external_id": "c1", "push_tokens": [{"app_id": "app-ios", "token": "tok-1"}]}]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "tokens from other platforms are filtered and counted",
            settings: BrazeSettings {
                api_key_operating_system: Some(OperatingSystem::Ios),
                ..with_app.clone()
            },
            before: customer(),
            batch: reg("Android"),
            expect: json!({}),
            counters: counters(|c| c.filtered_push_tokens = 1),
        },
        Case {
            name: "without an app id a token cannot be forwarded",
            settings: settings(),
            before: customer(),
            batch: reg("iOS"),
            expect: json!({}),
            counters: counters(|c| c.filtered_push_tokens = 1),
        },
    ]);
}

// ---------------------------------------------------------------- commerce

fn purchase_event(currency: Option<&str>, bundle_products: Value) -> Value {
    let mut data = json!({
        "timestamp_unixtime_ms": EVENT_MS,
        "custom_attributes": {"channel": "app"},
        "product_action": {
            "action": "purchase", "transaction_id": "T-1", "total_amount": 59.0, "tax_amount": 4.0,
            "shipping_amount": 5.0, "coupon_code": "SPRING", "products": bundle_products
        }
    });
    if let Some(c) = currency {
        data["currency_code"] = json!(c);
    }
    json!({"events": [{"event_type": "commerce_event", "data": data}]})
}

fn two_products() -> Value {
    json!([
        {"id": "SKU-1", "name": "Shirt", "brand": "Acme", "category": "Tops", "variant": "Blue", "price": 20.0, "quantity": 2,
         "custom_attributes": {"size": "M", "channel": "web"}},
        {"id": "SKU-2", "name": "Hat", "price": 10.0}
    ])
}

#[test]
fn purchase_rules() {
    let order = json!({"Transaction Id": "T-1", "Coupon Code": "SPRING", "Total Amount": 59.0, "Tax Amount": 4.0, "Shipping Amount": 5.0});
    let with = |extra: Value| {
        let mut m = json!({"channel": "app"});
        for (k, v) in order.as_object().unwrap() {
            m[k] = v.clone();
        }
        for (k, v) in extra.as_object().unwrap() {
            m[k] = v.clone();
        }
        m
    };
    run(vec![
        Case {
            name: "unbundled, each product is a purchase with the order's and product's properties",
            settings: settings(),
            before: customer(),
            batch: purchase_event(Some("eur"), two_products()),
            expect: json!({"purchases": [
                {"external_id": "c1", "product_id": "SKU-1", "currency": "EUR", "price": 20.0, "quantity": 2, "time": EVENT_TIME,
                 "properties": with(json!({"size": "M", "channel": "web", "Name": "Shirt", "Category": "Tops", "Brand": "Acme", "Variant": "Blue"}))},
                {"external_id": "c1", "product_id": "SKU-2", "currency": "EUR", "price": 10.0, "quantity": 1, "time": EVENT_TIME,
                 "properties": with(json!({"Name": "Hat"}))}
            ]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "the currency defaults to USD and the product name can replace the SKU",
            settings: BrazeSettings {
                replace_sku_with_product_name: true,
                ..settings()
            },
            before: customer(),
            batch: purchase_event(None, json!([{"id": "SKU-2", "name": "Hat", "price": 10.0}])),
            expect: json!({"purchases": [
                {"external_id": "c1", "product_id": "Hat", "currency": "USD", "price": 10.0, "quantity": 1, "time": EVENT_TIME,
                 "properties": with(json!({"Name": "Hat"}))}
            ]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "quantities over 100 are split so revenue stays right",
            settings: settings(),
            before: customer(),
            batch: purchase_event(
                Some("USD"),
                json!([{"id": "BOLT", "price": 0.5, "quantity": 250}]),
            ),
            expect: json!({"purchases": [
                {"external_id": "c1", "product_id": "BOLT", "currency": "USD", "price": 0.5, "quantity": 100, "time": EVENT_TIME, "properties": with(json!({}))},
                {"external_id": "c1", "product_id": "BOLT", "currency": "USD", "price": 0.5, "quantity": 100, "time": EVENT_TIME, "properties": with(json!({}))},
                {"external_id": "c1", "product_id": "BOLT", "currency": "USD", "price": 0.5, "quantity": 50, "time": EVENT_TIME, "properties": with(json!({}))}
            ]}),
            counters: counters(|c| c.split_purchases = 2),
        },
        Case {
            name: "bundled, one purchase for the order with a products array",
            settings: BrazeSettings {
                bundle_commerce_event_data: true,
                ..settings()
            },
            before: customer(),
            batch: purchase_event(Some("USD"), two_products()),
            expect: json!({"purchases": [
                {"external_id": "c1", "product_id": "Order", "currency": "USD", "price": 59.0, "quantity": 1, "time": EVENT_TIME,
                 "properties": with(json!({"products": [
                    {"size": "M", "channel": "web", "Id": "SKU-1", "Name": "Shirt", "Category": "Tops", "Brand": "Acme", "Variant": "Blue", "Price": 20.0, "Quantity": 2.0},
                    {"Id": "SKU-2", "Name": "Hat", "Price": 10.0}
                 ]}))}
            ]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "products without any id are skipped and counted; bad currencies become USD",
            settings: settings(),
            before: customer(),
            batch: purchase_event(Some("dollars"), json!([{"price": 3.0}])),
            expect: json!({}),
            counters: counters(|c| {
                c.invalid_products = 1;
                c.invalid_currencies = 1;
            }),
        },
    ]);
}

#[test]
fn other_commerce_action_rules() {
    let action = |action: &str| {
        json!({"events": [{"event_type": "commerce_event", "data": {"timestamp_unixtime_ms": EVENT_MS,
            "product_action": {"action": action, "transaction_id": "T-2", "total_amount": 30.0,
                "products": [{"id": "SKU-1", "name": "Shirt", "price": 20.0, "quantity": 1, "custom_attributes": {"size": "M"}},
                             {"id": "SKU-2", "name": "Hat", "price": 10.0}]}}}]})
    };
    run(vec![
        Case {
            name: "unbundled, each product gives an Item event",
            settings: settings(),
            before: customer(),
            batch: action("add_to_cart"),
            expect: json!({"events": [
                {"external_id": "c1", "name": "eCommerce - add_to_cart - Item", "time": EVENT_TIME,
                 "properties": {"size": "M", "Id": "SKU-1", "Name": "Shirt", "Price": 20.0, "Quantity": 1.0}},
                {"external_id": "c1", "name": "eCommerce - add_to_cart - Item", "time": EVENT_TIME,
                 "properties": {"Id": "SKU-2", "Name": "Hat", "Price": 10.0}}
            ]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "a refund also gives a Total event",
            settings: settings(),
            before: customer(),
            batch: action("refund"),
            expect: json!({"events": [
                {"external_id": "c1", "name": "eCommerce - refund - Item", "time": EVENT_TIME,
                 "properties": {"size": "M", "Id": "SKU-1", "Name": "Shirt", "Price": 20.0, "Quantity": 1.0}},
                {"external_id": "c1", "name": "eCommerce - refund - Item", "time": EVENT_TIME,
                 "properties": {"Id": "SKU-2", "Name": "Hat", "Price": 10.0}},
                {"external_id": "c1", "name": "eCommerce - refund - Total", "time": EVENT_TIME,
                 "properties": {"Transaction Id": "T-2", "Total Amount": 30.0}}
            ]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "bundled, one event with a products array",
            settings: BrazeSettings {
                bundle_commerce_event_data: true,
                ..settings()
            },
            before: customer(),
            batch: action("remove_from_wishlist"),
            expect: json!({"events": [
                {"external_id": "c1", "name": "eCommerce - remove_from_wish_list", "time": EVENT_TIME,
                 "properties": {"Transaction Id": "T-2", "Total Amount": 30.0, "products": [
                    {"size": "M", "Id": "SKU-1", "Name": "Shirt", "Price": 20.0, "Quantity": 1.0},
                    {"Id": "SKU-2", "Name": "Hat", "Price": 10.0}
                 ]}}
            ]}),
            counters: MappingCounters::default(),
        },
    ]);
}

#[test]
fn promotion_and_impression_rules() {
    let batch = json!({"events": [
        {"event_type": "commerce_event", "data": {"timestamp_unixtime_ms": EVENT_MS,
            "promotion_action": {"action": "click", "promotions": [{"id": "P1", "name": "Sale", "creative": "banner", "position": "top"}]}}},
        {"event_type": "commerce_event", "data": {"timestamp_unixtime_ms": EVENT_MS,
            "product_impressions": [{"product_impression_list": "Search", "products": [{"id": "SKU-1"}, {"id": "SKU-2"}]}]}}
    ]});
    run(vec![
        Case {
            name: "unbundled promotions and impressions give Item events",
            settings: settings(),
            before: customer(),
            batch: batch.clone(),
            expect: json!({"events": [
                {"external_id": "c1", "name": "eCommerce - promotion_click - Item", "time": EVENT_TIME,
                 "properties": {"Id": "P1", "Name": "Sale", "Creative": "banner", "Position": "top"}},
                {"external_id": "c1", "name": "eCommerce - impression - Item", "time": EVENT_TIME,
                 "properties": {"Id": "SKU-1", "Product Impression List": "Search"}},
                {"external_id": "c1", "name": "eCommerce - impression - Item", "time": EVENT_TIME,
                 "properties": {"Id": "SKU-2", "Product Impression List": "Search"}}
            ]}),
            counters: MappingCounters::default(),
        },
        Case {
            name: "bundled promotions and impressions give one event with an array",
            settings: BrazeSettings {
                bundle_commerce_event_data: true,
                ..settings()
            },
            before: customer(),
            batch,
            expect: json!({"events": [
                {"external_id": "c1", "name": "eCommerce - promotion_click", "time": EVENT_TIME,
                 "properties": {"products": [{"Id": "P1", "Name": "Sale", "Creative": "banner", "Position": "top"}]}},
                {"external_id": "c1", "name": "eCommerce - impression", "time": EVENT_TIME,
                 "properties": {"products": [
                    {"Id": "SKU-1", "Product Impression List": "Search"},
                    {"Id": "SKU-2", "Product Impression List": "Search"}
                 ]}}
            ]}),
            counters: MappingCounters::default(),
        },
    ]);
}
