//! End to end through the real server and the real `braze-sim` over HTTP: what a
//! mParticle batch becomes in Braze, what it costs, and that nothing is lost when Braze
//! refuses the key, is down, or fails objects.

mod common;

use braze_sim::{Faults, SimConfig, SimHandle};
use common::*;
use serde_json::json;
use std::time::Duration;

async fn with_sim(key: &str) -> (SimHandle, TestBraid) {
    let key = key.to_string();
    start_with_sim(SimConfig::default(), move |c| {
        c.delivery.rest_api_key = Some(key.into());
        c.delivery.auth_probe_interval_ms = 200;
    })
    .await
}

fn purchase_batch(customer_id: &str) -> serde_json::Value {
    json!({
        "user_identities": {"customer_id": customer_id, "email": format!("{customer_id}@example.com")},
        "user_attributes": {"$FirstName": "Ada", "$LastName": "Lovelace", "plan": "gold"},
        "events": [
            {"event_type": "custom_event", "data": {"event_name": "Signed Up", "custom_event_type": "other",
              "timestamp_unixtime_ms": 1_700_000_000_000i64, "custom_attributes": {"source": "ads"}}},
            {"event_type": "commerce_event", "data": {"timestamp_unixtime_ms": 1_700_000_000_000i64, "currency_code": "EUR",
              "product_action": {"action": "purchase", "transaction_id": "t-1", "total_amount": 30.0,
                "products": [{"id": "sku-1", "name": "Shoe", "price": 10.0, "quantity": 3}]}}}
        ]
    })
}

#[tokio::test]
async fn identified_user_reaches_braze_with_attributes_events_and_purchases() {
    let (sim, braid) = with_sim("sim-key").await;
    assert_eq!(
        braid.post("/v2/events", &purchase_batch("e2e-1")).await.0,
        202
    );
    braid.wait_delivered().await;
    let user = sim.state().user("e2e-1").expect("user reached braze");
    assert_eq!(user.attributes["first_name"], "Ada");
    assert_eq!(user.attributes["last_name"], "Lovelace");
    assert_eq!(user.attributes["plan"], "gold");
    assert_eq!(user.attributes["email"], "e2e-1@example.com");
    assert_eq!(user.events.len(), 1);
    assert_eq!(user.events[0]["name"], "Signed Up");
    assert_eq!(user.events[0]["properties"]["source"], "ads");
    assert_eq!(user.purchases.len(), 1);
    assert_eq!(user.purchases[0]["product_id"], "sku-1");
    assert_eq!(user.purchases[0]["quantity"], 3);
    assert_eq!(user.purchases[0]["currency"], "EUR");
    braid.stop().await;
}

#[tokio::test]
async fn anonymous_user_is_not_forwarded() {
    let (sim, braid) = with_sim("sim-key").await;
    let anonymous = json!({"user_identities": {"email": "anon@example.com"}, "user_attributes": {"plan": "free"},
        "events": [{"event_type": "custom_event", "data": {"event_name": "Browse", "custom_event_type": "other"}}]});
    assert_eq!(braid.post("/v2/events", &anonymous).await.0, 202);
    braid.wait_delivered().await;
    assert_eq!(
        sim.state().stats().track_requests,
        0,
        "nothing about an anonymous user reached braze"
    );
    let metrics = braid.metrics().await;
    assert!(
        metrics.contains("skipped_no_external_id"),
        "the skip is counted in /metrics"
    );
    braid.stop().await;
}

#[tokio::test]
async fn unchanged_attributes_cost_nothing_the_second_time() {
    let (sim, braid) = with_sim("sim-key").await;
    let mut first = batch("delta-1", "Opened App");
    first["source_request_id"] = json!("a");
    assert_eq!(braid.post("/v2/events", &first).await.0, 202);
    braid.wait_delivered().await;
    let after_first = sim.state().stats().data_points;
    assert!(
        after_first.attributes >= 3,
        "first_name, plan and email are billed once"
    );

    let mut second = first.clone();
    second["source_request_id"] = json!("b");
    assert_eq!(braid.post("/v2/events", &second).await.0, 202);
    braid.wait_delivered().await;
    let after_second = sim.state().stats().data_points;
    assert_eq!(
        after_second.attributes, after_first.attributes,
        "re-sent unchanged attributes cost nothing"
    );
    assert_eq!(
        after_second.events,
        after_first.events + 1,
        "the event itself is still sent"
    );

    let mut changed = first.clone();
    changed["source_request_id"] = json!("c");
    changed["user_attributes"]["plan"] = json!("platinum");
    assert_eq!(braid.post("/v2/events", &changed).await.0, 202);
    braid.wait_delivered().await;
    assert_eq!(
        sim.state().stats().data_points.attributes,
        after_first.attributes + 1,
        "only the change is billed"
    );
    assert_eq!(
        sim.state().user("delta-1").unwrap().attributes["plan"],
        "platinum"
    );
    braid.stop().await;
}

#[tokio::test]
async fn rejected_key_pauses_delivery_and_a_fixed_key_resumes_without_loss() {
    let (sim, braid) = with_sim("wrong-key").await;
    for i in 0..5 {
        assert_eq!(
            braid
                .post("/v2/events", &batch(&format!("auth-{i}"), "x"))
                .await
                .0,
            202
        );
    }
    let mut not_ready = false;
    for _ in 0..200 {
        let r = braid
            .client
            .get(format!("{}/readyz", braid.base))
            .send()
            .await
            .unwrap();
        if r.status() == 503 {
            let body: serde_json::Value = r.json().await.unwrap();
            assert!(
                body["problems"][0]
                    .as_str()
                    .unwrap()
                    .contains("REST API key"),
                "{body}"
            );
            not_ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(not_ready, "readyz reports the auth failure");
    assert!(sim.state().user("auth-0").is_none());
    braid
        .server
        .as_ref()
        .unwrap()
        .state()
        .delivery
        .update_api_key(Some("sim-key".into()));
    braid.wait_delivered().await;
    for i in 0..5 {
        assert!(
            sim.state().user(&format!("auth-{i}")).is_some(),
            "auth-{i} delivered after the key was fixed"
        );
    }
    braid.stop().await;
}

#[tokio::test]
async fn braze_outage_then_the_backlog_drains() {
    let (sim, braid) = with_sim("sim-key").await;
    sim.set_faults(Faults {
        status_5xx_rate: 1.0,
        ..Faults::default()
    });
    for i in 0..20 {
        assert_eq!(
            braid
                .post("/v2/events", &batch(&format!("outage-{i}"), "x"))
                .await
                .0,
            202
        );
    }
    braid.wait_processed().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sim.state().stats().distinct_users,
        0,
        "nothing applied during the outage"
    );
    sim.set_faults(Faults::default());
    braid.wait_delivered().await;
    for i in 0..20 {
        let user = sim
            .state()
            .user(&format!("outage-{i}"))
            .expect("delivered after the outage");
        assert_eq!(user.events.len(), 1, "exactly once for outage-{i}");
    }
    braid.stop().await;
}

#[tokio::test]
async fn partial_failures_are_dead_lettered_listed_and_replayable() {
    let (sim, braid) = with_sim("sim-key").await;
    sim.set_faults(Faults {
        partial_error_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        braid
            .post("/v2/events", &batch("partial-1", "Clicked"))
            .await
            .0,
        202
    );
    braid.wait_delivered().await;
    let (status, listed) = braid.admin_get("/api/v1/dead-letters").await;
    assert_eq!(status, 200);
    let letters = listed["dead_letters"].as_array().unwrap();
    assert!(!letters.is_empty(), "failed objects are kept, not dropped");
    assert!(
        letters[0]["dead_letter"]["reason"]
            .as_str()
            .unwrap()
            .contains("Simulated"),
        "{listed}"
    );

    sim.set_faults(Faults::default());
    let replay = braid
        .client
        .post(format!("{}/api/v1/dead-letters/replay", braid.base))
        .basic_auth(ADMIN_KEY, Some(ADMIN_SECRET))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 200);
    braid.wait_delivered().await;
    let user = sim
        .state()
        .user("partial-1")
        .expect("replayed objects reach braze");
    assert_eq!(user.events.len(), 1);
    assert_eq!(
        braid.admin_get("/api/v1/dead-letters").await.1["dead_letters"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    braid.stop().await;
}
