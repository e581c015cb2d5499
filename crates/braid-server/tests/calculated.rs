//! Calculated attributes end to end: definitions from the config file and the admin API,
//! incremental values on ingest, expiry with no new event, the feed to `braze-sim`
//! (typed, only on change, 0 data points when unchanged), audiences on a calculated
//! attribute, the profile look-up, and a backfill with progress that survives a restart.

mod common;

use braid_audiences::calculated_attributes::{parse_calculated_attribute, CalculatedAttribute};
use braid_audiences::Audience;
use braid_server::config::Config;
use braze_sim::{SimConfig, SimHandle};
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const DAY: i64 = 86_400_000;

async fn with_sim(edit: impl FnOnce(&mut Config)) -> (SimHandle, TestBraid) {
    start_with_sim(SimConfig::default(), move |c| {
        c.delivery.max_linger_ms = 5;
        c.audiences.recheck_interval_ms = 50;
        edit(c);
    })
    .await
}

fn definition(value: Value) -> CalculatedAttribute {
    parse_calculated_attribute(value, "test").expect("valid definition")
}

fn now_ms() -> i64 {
    braid_core::clock::now_ms()
}

fn purchase(customer_id: &str, amount: f64, ts_ms: i64) -> Value {
    json!({"user_identities": {"customer_id": customer_id},
        "events": [{"event_type": "commerce_event", "data": {
            "timestamp_unixtime_ms": ts_ms,
            "product_action": {"action": "purchase", "total_amount": amount,
                "products": [{"id": "SKU-1", "name": "Shoe", "price": amount, "quantity": 1}]}}}]})
}

fn played(customer_id: &str, genre: &str, ts_ms: i64) -> Value {
    json!({"user_identities": {"customer_id": customer_id},
        "events": [{"event_type": "custom_event", "data": {"event_name": "Played", "custom_event_type": "other",
            "timestamp_unixtime_ms": ts_ms, "custom_attributes": {"genre": genre}}}]})
}

async fn send(braid: &TestBraid, body: Value) {
    let (status, answer) = braid.post("/v2/events", &body).await;
    assert_eq!(status, 202, "{answer}");
    braid.wait_delivered().await;
}

/// Every value of `key` written to Braze for `external_id`, in the order sent.
fn writes_of(sim: &SimHandle, external_id: &str, key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for request in sim.state().requests(10_000) {
        if request.status != Some(201) {
            continue;
        }
        for object in request.body["attributes"].as_array().into_iter().flatten() {
            if object["external_id"] == external_id {
                if let Some(v) = object.get(key) {
                    out.push(v.clone());
                }
            }
        }
    }
    out
}

/// Wait until Braze holds `expected` as `key` for `external_id`.
async fn wait_braze_value(sim: &SimHandle, external_id: &str, key: &str, expected: &Value) {
    for _ in 0..800 {
        let user = sim.state().user(external_id);
        let value = user.as_ref().and_then(|u| u.attributes.get(key).cloned());
        // Braze removes an attribute set to null.
        if value.as_ref() == Some(expected)
            || (expected.is_null() && value.is_none() && user.is_some())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let seen = sim.state().user(external_id).map(|u| u.attributes);
    panic!("braze never showed {key} = {expected} for {external_id}; it has {seen:?}");
}

async fn wait_job(braid: &TestBraid, job: u64) -> Value {
    for _ in 0..800 {
        let (status, body) = braid
            .admin_get(&format!("/api/v1/calculated-attributes/jobs/{job}"))
            .await;
        assert_eq!(status, 200, "{body}");
        if body["done"] == true {
            braid.wait_delivered().await;
            return body;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("calculated attribute job {job} did not finish");
}

fn clock(braid: &TestBraid) -> braid_core::clock::Clock {
    braid.server.as_ref().unwrap().state().clock.clone()
}

#[tokio::test]
async fn a_30_day_purchase_sum_rises_then_falls_by_expiry_and_each_value_is_sent_once() {
    let (sim, braid) = with_sim(|c| {
        c.calculated_attributes = vec![definition(json!({"name": "spent_30d",
            "function": "sum", "of": "$amount", "kind": "purchase", "within_days": 30}))];
    })
    .await;
    let now = now_ms();
    // Today and the 29 UTC days before it are inside the window: the first day is in.
    let first_day = (now.div_euclid(DAY) - 29) * DAY;
    send(&braid, purchase("u1", 20.0, first_day)).await;
    wait_braze_value(&sim, "u1", "spent_30d", &json!(20)).await;
    send(&braid, purchase("u1", 15.5, now)).await;
    wait_braze_value(&sim, "u1", "spent_30d", &json!(35.5)).await;

    // An event that leaves the value as it is costs no attribute data point.
    let points_before = sim.state().user("u1").unwrap().data_points.attributes;
    send(&braid, played("u1", "rock", now)).await;
    assert_eq!(
        sim.state().user("u1").unwrap().data_points.attributes,
        points_before,
        "an unchanged value was billed"
    );

    // The next UTC midnight: the first day leaves the window, with no new event.
    let to_midnight = (now.div_euclid(DAY) + 1) * DAY - now;
    clock(&braid).advance(to_midnight + 1_000);
    wait_braze_value(&sim, "u1", "spent_30d", &json!(15.5)).await;
    // Thirty days on, the window is empty: a sum of nothing is 0.
    clock(&braid).advance(30 * DAY);
    wait_braze_value(&sim, "u1", "spent_30d", &json!(0)).await;
    braid.wait_delivered().await;

    assert_eq!(
        writes_of(&sim, "u1", "spent_30d"),
        [json!(20), json!(35.5), json!(15.5), json!(0)],
        "each changed value is sent exactly once"
    );
    assert_eq!(sim.state().stats().objects_rejected, 0);
    braid.stop().await;
}

#[tokio::test]
async fn a_unique_list_keeps_the_most_recent_values_within_the_array_limit() {
    let (sim, braid) = with_sim(|c| {
        c.audiences.max_array_len = 3;
        c.calculated_attributes = vec![definition(json!({"name": "genres",
            "function": "unique", "of": "genre", "event": "Played"}))];
    })
    .await;
    let now = now_ms();
    for (i, genre) in ["rock", "jazz", "pop", "folk", "jazz"].iter().enumerate() {
        send(&braid, played("u1", genre, now - 10_000 + i as i64)).await;
    }
    // rock was seen least recently and is left out; the list is sorted.
    wait_braze_value(&sim, "u1", "genres", &json!(["folk", "jazz", "pop"])).await;
    let writes = writes_of(&sim, "u1", "genres");
    assert!(
        writes.iter().all(|w| w.as_array().unwrap().len() <= 3),
        "{writes:?}"
    );
    // The last jazz changed nothing: four writes for five events.
    assert_eq!(writes.len(), 4, "{writes:?}");
    assert_eq!(sim.state().stats().objects_rejected, 0);
    braid.stop().await;
}

#[tokio::test]
async fn an_audience_on_a_calculated_attribute_follows_its_changes() {
    let (sim, braid) = with_sim(|c| {
        c.calculated_attributes = vec![definition(json!({"name": "plays_7d",
            "function": "count", "event": "Played", "within_days": 7}))];
        c.audiences.definitions = vec![Audience::from_json(json!({"id": 301, "name": "Fans",
            "criteria": {"calculated_attribute": {"name": "plays_7d", "op": "gte", "value": 2}}}))
        .unwrap()];
    })
    .await;
    let now = now_ms();
    send(&braid, played("u1", "rock", now - 6 * DAY)).await;
    wait_braze_value(&sim, "u1", "plays_7d", &json!(1)).await;
    // One play: not a fan yet, so no membership was written.
    assert_eq!(
        sim.state()
            .user("u1")
            .unwrap()
            .attributes
            .get("SegmentMembership"),
        None
    );
    send(&braid, played("u1", "jazz", now)).await;
    wait_braze_value(&sim, "u1", "SegmentMembership", &json!("301")).await;
    // When the older play leaves the window the user leaves the audience, with no event.
    clock(&braid).advance(2 * DAY);
    wait_braze_value(&sim, "u1", "SegmentMembership", &json!("")).await;
    wait_braze_value(&sim, "u1", "plays_7d", &json!(1)).await;
    // The profile look-up shows the value and when it was computed.
    let (status, profile) = braid.admin_get("/api/v1/profiles/customer_id/u1").await;
    assert_eq!(status, 200, "{profile}");
    let shown = &profile["calculated_attributes"]["plays_7d"];
    assert_eq!(shown["value"], 1, "{profile}");
    assert!(
        shown["computed_at"].as_str().unwrap().ends_with('Z'),
        "{profile}"
    );
    assert!(
        profile.get("calculated").is_none(),
        "internal state leaked: {profile}"
    );

    // An audience naming an unknown calculated attribute is refused, naming the field.
    let (status, body) = braid
        .admin(
            reqwest::Method::POST,
            "/api/v1/audiences",
            Some(json!({"id": 302, "name": "x",
            "criteria": {"calculated_attribute": {"name": "nope", "op": "exists"}}})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("criteria.calculated_attribute.name") && message.contains("\"nope\""),
        "{message}"
    );
    // And a calculated attribute an audience reads cannot be deleted.
    let (status, body) = braid
        .admin(
            reqwest::Method::DELETE,
            "/api/v1/calculated-attributes/plays_7d",
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    braid.stop().await;
}

#[tokio::test]
async fn with_enrichment_off_braze_gets_the_feed_and_nothing_else_of_the_profile() {
    let (sim, braid) = with_sim(|c| {
        c.braze.include_enriched_user_attributes = false;
        c.calculated_attributes = vec![definition(json!({"name": "last_genre",
            "function": "last", "of": "genre", "event": "Played"}))];
    })
    .await;
    send(
        &braid,
        json!({"user_identities": {"customer_id": "u1"},
        "user_attributes": {"plan": "gold", "$FirstName": "Ada"}, "events": []}),
    )
    .await;
    let before = sim.state().requests(10_000).len();
    send(&braid, played("u1", "rock", now_ms())).await;
    let after: Vec<Value> = sim.state().requests(10_000)[before..]
        .iter()
        .flat_map(|r| r.body["attributes"].as_array().cloned().unwrap_or_default())
        .collect();
    assert_eq!(after, [json!({"external_id": "u1", "last_genre": "rock"})]);
    braid.stop().await;
}

#[tokio::test]
async fn with_enrichment_on_calculated_values_travel_with_the_enriched_attributes() {
    let (sim, braid) = with_sim(|c| {
        c.braze.include_enriched_user_attributes = true;
        c.braze.deltas = false;
        c.calculated_attributes = vec![definition(json!({"name": "plays",
            "function": "count", "event": "Played"}))];
    })
    .await;
    send(&braid, played("u1", "rock", now_ms())).await;
    send(
        &braid,
        json!({"user_identities": {"customer_id": "u1"},
        "user_attributes": {"plan": "gold"}, "events": []}),
    )
    .await;
    // The attribute batch carries the enriched set, the calculated value included.
    let last = sim.state().requests(10_000).last().cloned().unwrap();
    let object = &last.body["attributes"][0];
    assert_eq!(object["plan"], "gold", "{object}");
    assert_eq!(object["plays"], 1, "{object}");
    braid.stop().await;
}

#[tokio::test]
async fn a_backfill_shows_progress_survives_a_restart_and_says_what_history_limits() {
    let sim = braze_sim::start(SimConfig::default()).expect("sim starts");
    let dir = tempfile::tempdir().unwrap();
    let config = {
        let mut c = test_config(dir.path());
        c.delivery.instance = sim.base_url().parse().unwrap();
        c.delivery.rest_api_key = Some("sim-key".into());
        c.audiences.job_chunk = 1;
        c.audiences.recheck_interval_ms = 50;
        c
    };
    let start = |config: Config| async move {
        let server = braid_server::Server::start(config).await.unwrap();
        TestBraid {
            base: format!("http://{}", server.addr()),
            server: Some(server),
            client: reqwest::Client::new(),
            dir: tempfile::tempdir().unwrap(),
        }
    };
    let braid = start(config.clone()).await;
    let now = now_ms();
    let bulk: Vec<Value> = (0..200)
        .map(|i| {
            played(
                &format!("u{i}"),
                if i % 2 == 0 { "rock" } else { "jazz" },
                now - DAY,
            )
        })
        .collect();
    for chunk in bulk.chunks(100) {
        let (status, body) = braid.post("/v2/bulkevents", &json!(chunk)).await;
        assert_eq!(status, 202, "{body}");
    }
    braid.wait_delivered().await;
    // A lifetime count: the backfill can see only the history braid keeps, and says so.
    let (status, created) = braid
        .admin(
            reqwest::Method::POST,
            "/api/v1/calculated-attributes",
            Some(json!({"name": "plays", "function": "count", "event": "Played"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let job = created["job"]["id"].as_u64().unwrap();
    assert_eq!(created["job"]["total"], 200, "{created}");
    assert!(
        created["job"]["history_limit"]
            .as_str()
            .unwrap()
            .contains("30 days of event history"),
        "{created}"
    );
    // Progress is visible while it runs (one profile per transaction).
    let (_, running) = braid
        .admin_get(&format!("/api/v1/calculated-attributes/jobs/{job}"))
        .await;
    assert_eq!(
        running["done"], false,
        "the job must still run when braid stops: {running}"
    );
    let progress = running["progress"].as_f64().unwrap();
    assert!((0.0..1.0).contains(&progress), "{running}");
    braid.stop().await;

    let braid = start(config).await;
    let done = wait_job(&braid, job).await;
    assert_eq!(done["processed"], 200, "{done}");
    assert_eq!(done["changed"], 200, "{done}");
    assert_eq!(done["progress"], 1.0, "{done}");
    for i in 0..200 {
        assert_eq!(
            sim.state()
                .user(&format!("u{i}"))
                .unwrap()
                .attributes
                .get("plays"),
            Some(&json!(1)),
            "u{i}"
        );
    }
    // A sliding window inside the history braid keeps has no limit to report.
    let (status, created) = braid
        .admin(reqwest::Method::POST, "/api/v1/calculated-attributes",
            Some(json!({"name": "plays_7d", "function": "count", "event": "Played", "within_days": 7})))
        .await;
    assert_eq!(status, 201, "{created}");
    assert!(created["job"].get("history_limit").is_none(), "{created}");
    wait_job(&braid, created["job"]["id"].as_u64().unwrap()).await;
    assert_eq!(sim.state().stats().objects_rejected, 0);
    braid.stop().await;
}

#[tokio::test]
async fn definitions_that_do_not_validate_are_refused_naming_the_field() {
    let braid = start().await;
    let (status, body) = braid
        .admin(
            reqwest::Method::POST,
            "/api/v1/calculated-attributes",
            Some(json!({"name": "m", "function": "median", "of": "x"})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap().to_string();
    assert!(
        message.starts_with("calculated attribute \"m\": function: unknown variant `median`"),
        "{message}"
    );
    let (status, body) = braid
        .admin(
            reqwest::Method::POST,
            "/api/v1/calculated-attributes",
            Some(json!({"name": "s", "function": "sum", "within_days": 0})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("of: function sum needs `of`")
            && message.contains("within_days: must be between 1 and"),
        "{message}"
    );
    // Created, listed, fetched, replaced (a draft: no backfill) and deleted.
    let (status, _) = braid
        .admin(
            reqwest::Method::POST,
            "/api/v1/calculated-attributes",
            Some(json!({"name": "plays", "function": "count", "event": "Played"})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = braid
        .admin(
            reqwest::Method::POST,
            "/api/v1/calculated-attributes",
            Some(json!({"name": "plays", "function": "count"})),
        )
        .await;
    assert_eq!(status, 409);
    let (status, body) = braid
        .admin(
            reqwest::Method::PUT,
            "/api/v1/calculated-attributes/plays",
            Some(json!({"function": "count", "event": "Played", "state": "draft"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["job"].is_null(), "{body}");
    let (_, list) = braid.admin_get("/api/v1/calculated-attributes").await;
    assert_eq!(list["calculated_attributes"][0]["state"], "draft", "{list}");
    let (status, _) = braid
        .admin(
            reqwest::Method::DELETE,
            "/api/v1/calculated-attributes/plays",
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = braid.admin_get("/api/v1/calculated-attributes/plays").await;
    assert_eq!(status, 404);
    braid.stop().await;
}

#[tokio::test]
async fn the_cli_creates_and_follows_the_backfill_to_the_end() {
    let (sim, braid) = with_sim(|_| {}).await;
    for i in 0..5 {
        send(&braid, played(&format!("u{i}"), "rock", now_ms())).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("braid.toml");
    std::fs::write(
        &config,
        format!("[admin]\nkey = \"{ADMIN_KEY}\"\nsecret = \"{ADMIN_SECRET}\"\n"),
    )
    .unwrap();
    let file = dir.path().join("genres.json");
    std::fs::write(&file, json!({"name": "top_genre", "function": "most_frequent", "of": "genre", "event": "Played", "within_days": 14}).to_string()).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["calculated-attributes", "create", "--file"])
        .arg(&file)
        .args(["--url", &braid.base, "--config"])
        .arg(&config)
        .output()
        .await
        .expect("braid runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("calculated attribute \"top_genre\" created"),
        "{stdout}"
    );
    assert!(stdout.contains("done: 5 of 5 profiles changed"), "{stdout}");
    braid.wait_delivered().await;
    assert_eq!(
        sim.state().user("u3").unwrap().attributes.get("top_genre"),
        Some(&json!("rock"))
    );
    braid.stop().await;
}
