//! Braze Currents through the real server: `POST /v1/currents` (every event type, broken
//! events, tokens, size), de-duplication (also across a restart), the Braze feed input,
//! audiences on Currents events syncing to braze-sim, subscription changes that are not
//! echoed, and the loop-prevention rule (no `/users/track` object but memberships).

mod common;

use braid_audiences::{Audience, SendSegmentsAs};
use braid_currents::fixtures::FixtureEvent;
use braid_currents::model::{all_types, Family};
use braid_server::Server;
use braze_sim::{SimConfig, SimHandle};
use common::currents::{counter, event, with_tokens, OLD_TOKEN, TOKEN};
use common::*;
use serde_json::{json, Value};

fn audience(value: Value) -> Audience {
    Audience::from_json(value).expect("valid audience")
}

/// Every `/users/track` object braze-sim received, as `(array, object)`.
fn track_objects(sim: &SimHandle) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for request in sim.state().requests(100_000) {
        for array in ["attributes", "events", "purchases"] {
            for object in request.body[array].as_array().into_iter().flatten() {
                out.push((array.to_string(), object.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_event_type_is_accepted_and_recorded() {
    let braid = start_with(with_tokens).await;
    let mut events = Vec::new();
    let mut expected = Vec::new();
    let now = braid_core::clock::now_ms() / 1000;
    for (n, spec) in all_types().enumerate() {
        let customer = format!("every-{n}");
        let mut fixture = FixtureEvent::new(spec, n as u64, Some(&customer));
        fixture.time = now - 60;
        events.push(fixture.custom_http());
        let has_external_id = spec.fields.iter().any(|f| f.name == "external_user_id");
        expected.push((
            spec.name,
            customer,
            fixture.braze_id.clone(),
            has_external_id,
        ));
    }
    assert!(events.len() > 90, "the catalogue lists every type");
    for chunk in events.chunks(100) {
        let answer = braid.send_currents(chunk.to_vec()).await;
        assert_eq!(answer["accepted"], json!(chunk.len()), "{answer}");
        assert_eq!(answer["rejected"], json!([]), "{answer}");
    }
    braid.wait_processed().await;
    let (_, kept) = braid.admin_get("/api/v1/currents/rejected").await;
    let without_user: Vec<&str> = kept["without_user"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["event"]["event_type"].as_str().unwrap())
        .collect();
    let metrics = braid.metrics().await;
    for (event_type, customer, braze_id, has_external_id) in &expected {
        assert!(
            counter(
                &metrics,
                "braid_currents_events_total",
                &format!("type=\"{event_type}\"")
            ) >= 1.0,
            "{event_type} counted"
        );
        if Family::of(event_type) == Family::AgentConsole {
            assert!(without_user.contains(event_type), "{event_type} kept");
            continue;
        }
        // Braze's own user id is kept as an identity: every profile is found by it.
        let (status, profile) = braid
            .admin_get(&format!("/api/v1/profiles/other_id_10/{braze_id}"))
            .await;
        assert_eq!(status, 200, "{event_type}: {profile}");
        if *has_external_id {
            assert_eq!(profile["identities"]["customer_id"], json!(customer));
        } else {
            // Without an external id the event is kept on a profile of its own.
            assert!(profile["identities"]["customer_id"].is_null(), "{profile}");
        }
        let recent = profile["recent_events"].as_array().unwrap();
        assert_eq!(recent.len(), 1, "{event_type}: {profile}");
        assert_eq!(recent[0]["name"], json!(event_type));
        assert_eq!(recent[0]["source"], json!("braze_currents"));
    }
    braid.stop().await;
}

#[tokio::test]
async fn one_broken_event_is_kept_with_its_reason_and_the_rest_accepted() {
    let braid = start_with(with_tokens).await;
    let good = event("users.messages.email.Open", 1, "broken-1", json!({}));
    let mut no_id = event("users.messages.email.Click", 2, "broken-1", json!({}));
    no_id.as_object_mut().unwrap().remove("id");
    let unknown = json!({"event_type": "users.messages.hologram.Beam", "id": "holo-1",
        "time": braid_core::clock::now_ms() / 1000, "user": {"external_user_id": "broken-1"},
        "properties": {"beam": 3}, "brand_new_top_level": true});
    let answer = braid.send_currents(vec![good, no_id, unknown]).await;
    assert_eq!(answer["accepted"], json!(2), "{answer}");
    assert_eq!(answer["rejected"][0]["index"], json!(1));
    assert_eq!(
        answer["rejected"][0]["reason"],
        json!("events[1].id: missing")
    );
    braid.wait_processed().await;
    let names = braid.currents_events_of("broken-1").await;
    assert_eq!(
        names,
        vec!["users.messages.hologram.Beam", "users.messages.email.Open"]
    );
    let (_, kept) = braid.admin_get("/api/v1/currents/rejected").await;
    assert_eq!(
        kept["rejected"][0]["reason"],
        json!("events[1].id: missing")
    );
    assert_eq!(
        kept["rejected"][0]["event"]["event_type"],
        json!("users.messages.email.Click")
    );
    let metrics = braid.metrics().await;
    assert!(counter(&metrics, "braid_currents_rejected_events_total", "") >= 1.0);
    // A body that is not the Custom HTTP shape at all is a 400.
    let (status, body) = braid.post_currents(Some(TOKEN), &json!([1, 2])).await;
    assert_eq!(status, 400, "{body}");
    braid.stop().await;
}

#[tokio::test]
async fn tokens_are_checked_on_every_request_including_empty_ones() {
    let braid = start_with(|c| {
        with_tokens(c);
        c.currents.max_request_bytes = 4096;
    })
    .await;
    let empty = json!({"events": []});
    let one = json!({"events": [event("users.messages.email.Open", 1, "tok-1", json!({}))]});
    // Missing token: 401 with a Bearer challenge.
    let r = braid
        .client
        .post(format!("{}/v1/currents", braid.base))
        .json(&empty)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    // Basic credentials are not a bearer token.
    let r = braid
        .client
        .post(format!("{}/v1/currents", braid.base))
        .basic_auth(KEY, Some(SECRET))
        .json(&empty)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Wrong token: 403, also for the empty credential check.
    assert_eq!(
        braid
            .post_currents(Some("not-the-token-at-all"), &empty)
            .await
            .0,
        403
    );
    assert_eq!(
        braid
            .post_currents(Some("not-the-token-at-all"), &one)
            .await
            .0,
        403
    );
    // The empty batch with a good token is Braze's credential check: 200.
    let (status, body) = braid.post_currents(Some(TOKEN), &empty).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], json!(0));
    // An empty body too.
    let r = braid
        .client
        .post(format!("{}/v1/currents", braid.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Rotation: the old token still works.
    let (status, body) = braid.post_currents(Some(OLD_TOKEN), &one).await;
    assert_eq!(status, 200, "{body}");
    // Oversized: 413, so that Braze splits the batch.
    let big: Vec<Value> = (0..40)
        .map(|i| event("users.messages.email.Open", i, "tok-big", json!({})))
        .collect();
    let (status, body) = braid
        .post_currents(Some(TOKEN), &json!({"events": big}))
        .await;
    assert_eq!(status, 413, "{body}");
    braid.wait_processed().await;
    assert_eq!(braid.currents_events_of("tok-1").await.len(), 1);
    assert!(braid.profile_of("tok-big").await.is_none());
    braid.stop().await;

    // No tokens configured: every request is refused.
    let braid = start().await;
    assert_eq!(braid.post_currents(Some(TOKEN), &empty).await.0, 403);
    braid.stop().await;
}

#[tokio::test]
async fn a_duplicate_batch_is_recorded_once_also_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        let mut c = test_config(dir.path());
        with_tokens(&mut c);
        c
    };
    let batch: Vec<Value> = (0..3)
        .map(|i| event("users.messages.email.Open", i, "dup-1", json!({})))
        .collect();
    let server = Server::start(config()).await.unwrap();
    let braid = TestBraid {
        base: format!("http://{}", server.addr()),
        server: Some(server),
        client: reqwest::Client::new(),
        dir: tempfile::tempdir().unwrap(),
    };
    braid.send_currents(batch.clone()).await;
    braid.send_currents(batch.clone()).await;
    braid.wait_processed().await;
    assert_eq!(braid.currents_events_of("dup-1").await.len(), 3);
    let metrics = braid.metrics().await;
    assert!(counter(&metrics, "braid_currents_duplicate_events_total", "") >= 3.0);
    braid.stop().await;

    // Braze retries after braid restarted: still recorded once.
    let server = Server::start(config()).await.unwrap();
    let braid = TestBraid {
        base: format!("http://{}", server.addr()),
        server: Some(server),
        client: reqwest::Client::new(),
        dir: tempfile::tempdir().unwrap(),
    };
    braid.send_currents(batch.clone()).await;
    let mut more = batch.clone();
    more.push(event("users.messages.email.Click", 9, "dup-1", json!({})));
    braid.send_currents(more).await;
    braid.wait_processed().await;
    let names = braid.currents_events_of("dup-1").await;
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(names[0], "users.messages.email.Click");
    braid.stop().await;
}

#[tokio::test]
async fn an_audience_on_email_opens_syncs_membership_and_nothing_else() {
    let (sim, braid) = start_with_sim(SimConfig::default(), |c| {
        with_tokens(c);
        c.delivery.max_linger_ms = 5;
        c.audiences.send_segments_as = SendSegmentsAs::PER_SEGMENT;
        c.audiences.definitions = vec![audience(json!({"id": 31, "name": "Opened Spring",
            "criteria": {"event": {"name": "users.messages.email.Open",
                "where": [{"key": "campaign_id", "op": "equals", "value": "spring"}],
                "within_days": 7}}}))];
    })
    .await;
    // First the users exist in Braze through braid's own data.
    for user in ["aud-1", "aud-2"] {
        let mut signed_up = batch(user, "Signed Up");
        signed_up["events"][0]["data"]["timestamp_unixtime_ms"] =
            json!(braid_core::clock::now_ms() - 120_000);
        let (status, body) = braid.post("/v2/events", &signed_up).await;
        assert_eq!(status, 202, "{body}");
    }
    braid.wait_delivered().await;
    let before = sim.state().requests(100_000).len();
    let events = vec![
        event(
            "users.messages.email.Open",
            1,
            "aud-1",
            json!({"campaign_id": "spring"}),
        ),
        event(
            "users.messages.email.Open",
            2,
            "aud-2",
            json!({"campaign_id": "autumn"}),
        ),
        event(
            "users.behaviors.CustomEvent",
            3,
            "aud-1",
            json!({"name": "Played"}),
        ),
        event(
            "users.behaviors.Purchase",
            4,
            "aud-2",
            json!({"product_id": "sku-1"}),
        ),
        event(
            "users.profile.Update",
            5,
            "aud-1",
            json!({"first_name": "Echo"}),
        ),
        event(
            "users.messages.email.Click",
            6,
            "aud-1",
            json!({"campaign_id": "spring"}),
        ),
    ];
    braid.send_currents(events).await;
    braid.wait_delivered().await;
    assert_eq!(
        sim.state()
            .user("aud-1")
            .unwrap()
            .attributes
            .get("In Opened Spring"),
        Some(&json!(true))
    );
    assert_eq!(
        sim.state()
            .user("aud-2")
            .unwrap()
            .attributes
            .get("In Opened Spring"),
        None
    );
    // Loop prevention: after the Currents batch, the only objects are memberships.
    let after: Vec<(String, Value)> = sim.state().requests(100_000)[before..]
        .iter()
        .flat_map(|r| {
            ["attributes", "events", "purchases"]
                .into_iter()
                .flat_map(move |a| {
                    r.body[a]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .map(move |o| (a.to_string(), o))
                })
        })
        .collect();
    assert_eq!(after.len(), 1, "{after:?}");
    let (array, object) = &after[0];
    assert_eq!(array, "attributes");
    let keys: Vec<&str> = object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, vec!["external_id", "In Opened Spring"], "{object}");
    // The profile look-up shows the history with its source.
    let (_, profile) = braid.admin_get("/api/v1/profiles/customer_id/aud-1").await;
    let sources: Vec<&str> = profile["recent_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        vec![
            "braze_currents",
            "braze_currents",
            "braze_currents",
            "braze_currents",
            "mparticle"
        ],
        "{profile}"
    );
    braid.stop().await;
}

#[tokio::test]
async fn a_currents_batch_alone_sends_braze_nothing() {
    let (sim, braid) = start_with_sim(SimConfig::default(), |c| {
        with_tokens(c);
        c.delivery.max_linger_ms = 5;
        c.braze.include_enriched_user_attributes = true;
    })
    .await;
    let mut events = Vec::new();
    for (n, spec) in all_types().enumerate() {
        let mut fixture = FixtureEvent::new(spec, 1_000 + n as u64, Some("loop-1"));
        fixture.time = braid_core::clock::now_ms() / 1000 - 30;
        events.push(fixture.custom_http());
    }
    for chunk in events.chunks(100) {
        braid.send_currents(chunk.to_vec()).await;
    }
    braid.wait_delivered().await;
    let objects = track_objects(&sim);
    assert!(
        objects.is_empty(),
        "nothing from Braze goes back: {objects:?}"
    );
    assert!(braid.currents_events_of("loop-1").await.len() > 40);
    braid.stop().await;
}

#[tokio::test]
async fn a_subscription_change_from_braze_is_never_echoed_nor_overwritten_by_a_stale_one() {
    let (sim, braid) = start_with_sim(SimConfig::default(), |c| {
        with_tokens(c);
        c.delivery.max_linger_ms = 5;
        c.braze.include_enriched_user_attributes = true;
    })
    .await;
    // braid told Braze the user is subscribed.
    let mut first = batch("sub-1", "Signed Up");
    first["user_attributes"]["email_subscribe"] = json!("subscribed");
    braid.post("/v2/events", &first).await;
    braid.wait_delivered().await;
    assert_eq!(
        sim.state()
            .user("sub-1")
            .unwrap()
            .attributes
            .get("email_subscribe"),
        Some(&json!("subscribed"))
    );
    let now = braid_core::clock::now_ms() / 1000;
    let unsubscribe = event(
        "users.behaviors.subscription.GlobalStateChange",
        1,
        "sub-1",
        json!({"subscription_status": "Unsubscribed", "channel": "email", "time": now - 10}),
    );
    let group = event(
        "users.behaviors.subscriptiongroup.StateChange",
        2,
        "sub-1",
        json!({"subscription_status": "Unsubscribed", "subscription_group_id": "news", "time": now - 10}),
    );
    // A late (retried) event from before the unsubscribe.
    let stale = event(
        "users.behaviors.subscription.GlobalStateChange",
        3,
        "sub-1",
        json!({"subscription_status": "Subscribed", "channel": "email", "time": now - 3_600}),
    );
    braid.send_currents(vec![unsubscribe, group]).await;
    braid.send_currents(vec![stale]).await;
    braid.wait_delivered().await;
    let (_, profile) = braid.admin_get("/api/v1/profiles/customer_id/sub-1").await;
    assert_eq!(
        profile["subscriptions"]["email"]["state"],
        json!("unsubscribed"),
        "{profile}"
    );
    assert_eq!(
        profile["subscriptions"]["group:news"]["state"],
        json!("unsubscribed")
    );
    assert_eq!(
        profile["attributes"]["email_subscribe"],
        json!("unsubscribed")
    );
    let before = sim.state().requests(100_000).len();
    // braid's next batch for the user (enriched: the whole attribute set) and one that
    // states the unsubscribe Braze already has: neither sends a subscription value.
    let mut next = batch("sub-1", "Played");
    next["user_attributes"]["plan"] = json!("platinum");
    braid.post("/v2/events", &next).await;
    let mut same = batch("sub-1", "Played Again");
    same["user_attributes"]["email_subscribe"] = json!("unsubscribed");
    braid.post("/v2/events", &same).await;
    braid.wait_delivered().await;
    let later = &sim.state().requests(100_000)[before..];
    assert!(!later.is_empty());
    for request in later {
        let text = request.body.to_string();
        assert!(!text.contains("email_subscribe"), "echoed: {text}");
        assert!(!text.contains("subscription_groups"), "echoed: {text}");
    }
    braid.stop().await;
}

#[tokio::test]
async fn a_braze_feed_input_is_read_as_currents_and_never_forwarded() {
    let (sim, braid) = start_with_sim(SimConfig::default(), |c| {
        c.delivery.max_linger_ms = 5;
        c.inputs[0].braze_feed = true;
    })
    .await;
    let now_ms = braid_core::clock::now_ms();
    let feed = |customer: &str, name: &str, id: &str| {
        json!({
            "schema_version": 2,
            "environment": "production",
            "device_info": {"ios_idfv": "braze-device-1"},
            "user_identities": {"customerid": customer, "email": format!("{customer}@example.com")},
            "user_attributes": {},
            "events": [{"event_type": "custom_event", "data": {
                "event_name": name, "custom_event_type": "other",
                "source_message_id": id, "timestamp_unixtime_ms": now_ms - 5_000,
                "custom_attributes": {"source_request_id": id, "campaign_id": "spring", "dispatch_id": "d1"}}}]
        })
    };
    let (status, body) = braid
        .post("/v2/events", &feed("feed-1", "Email Opens", "f-1"))
        .await;
    assert_eq!(status, 202, "{body}");
    let bulk = json!([
        feed("feed-1", "Email Click", "f-2"),
        feed("feed-2", "Push Notification Sends", "f-3"),
        feed("feed-1", "Email Opens", "f-1")
    ]);
    let (status, body) = braid.post("/v2/bulkevents", &bulk).await;
    assert_eq!(status, 202, "{body}");
    braid.wait_delivered().await;
    assert_eq!(
        braid.currents_events_of("feed-1").await,
        vec!["users.messages.email.Click", "users.messages.email.Open"]
    );
    assert_eq!(
        braid.currents_events_of("feed-2").await,
        vec!["users.messages.pushnotification.Send"]
    );
    assert!(track_objects(&sim).is_empty(), "{:?}", track_objects(&sim));
    braid.stop().await;
}

#[test]
fn the_documented_currents_audiences_are_valid_definitions() {
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/currents.md"
    ))
    .unwrap();
    assert!(docs.contains(r#"name = "users.messages.email.Open", where = [{ key = "campaign_id""#));
    let clicked_push_no_purchase: braid_audiences::Audience = toml::from_str(
        r#"
id = 32
name = "Clicked push, did not buy"
criteria = { all = [
  { event = { name = "users.messages.pushnotification.Open", within_days = 7 } },
  { not = { event = { kind = "purchase", within_days = 7 } } },
] }
"#,
    )
    .expect("valid audience");
    braid_audiences::AudienceSet::new(vec![clicked_push_no_purchase]).expect("valid set");
    assert!(docs.contains(r#"{ not = { event = { kind = "purchase", within_days = 7 } } },"#));
}
