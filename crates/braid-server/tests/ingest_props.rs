//! Property: any JSON value sent to the ingest routes is answered 202, 400 or 413 —
//! never a 500, never a dropped connection (which is what a panic would look like).

mod common;

use proptest::prelude::*;
use serde_json::{json, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-z_$]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("custom_event"),
            Just("commerce_event"),
            Just("purchase"),
            Just("customer_id"),
            Just("events"),
            Just("data"),
            Just("-1"),
            Just("9223372036854775808")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("events".to_string()),
                    Just("event_type".to_string()),
                    Just("data".to_string()),
                    Just("event_name".to_string()),
                    Just("user_identities".to_string()),
                    Just("user_attributes".to_string()),
                    Just("mpid".to_string()),
                    Just("product_action".to_string()),
                    Just("products".to_string()),
                    "[a-z_]{1,10}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn any_json_gets_202_400_or_413(value in arb_json(), wrap in any::<bool>()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let braid = shared().await;
            for route in ["/v2/events", "/v2/bulkevents", "/v2/bulkevents/historical"] {
                let body = if wrap { json!([value.clone()]) } else { value.clone() };
                let response = reqwest::Client::new()
                    .post(format!("{}{route}", braid))
                    .basic_auth(common::KEY, Some(common::SECRET))
                    .json(&body)
                    .send()
                    .await
                    .expect("the server answered");
                let status = response.status().as_u16();
                prop_assert!(matches!(status, 202 | 400 | 413), "{route} answered {status} for {body}");
            }
            Ok(())
        })?;
    }
}

/// One server for all cases, on its own runtime thread so it outlives each case's runtime.
async fn shared() -> String {
    static BASE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BASE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async move {
                let braid = common::start().await;
                tx.send(braid.base.clone()).unwrap();
                // Keep the server (and its temp dir) alive for the whole test process.
                std::future::pending::<()>().await;
                drop(braid);
            });
        });
        rx.recv().unwrap()
    })
    .clone()
}
