//! End-to-end tests: a real simulator on port 0, driven over HTTP with reqwest.

use std::time::Duration;

use braid_braze::billing::DataPoints;
use braid_braze::limits::{ContractShape, Limits};
use braze_sim::{start, Faults, Profile, RecordedRequest, SimConfig, SimHandle, SimStats};
use serde_json::{json, Value};

const T: &str = "2024-05-01T12:00:00Z";

fn sim_with(config: SimConfig) -> SimHandle {
    start(config).expect("simulator starts")
}

fn sim() -> SimHandle {
    sim_with(SimConfig {
        seed: Some(7),
        ..SimConfig::default()
    })
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn post_with(
    client: &reqwest::Client,
    sim: &SimHandle,
    path: &str,
    key: Option<&str>,
    body: Vec<u8>,
) -> Result<Answer, reqwest::Error> {
    let mut req = client
        .post(format!("{}{path}", sim.base_url()))
        .header("content-type", "application/json")
        .body(body);
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    let res = req.send().await?;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok(Answer {
        status,
        headers,
        body,
    })
}

async fn post(sim: &SimHandle, path: &str, body: Value) -> Answer {
    post_with(
        &reqwest::Client::new(),
        sim,
        path,
        Some("sim-key"),
        serde_json::to_vec(&body).unwrap(),
    )
    .await
    .expect("answer")
}

async fn stats(sim: &SimHandle) -> SimStats {
    reqwest::get(format!("{}/sim/stats", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn user(sim: &SimHandle, external_id: &str) -> Option<Profile> {
    let res = reqwest::get(format!("{}/sim/users/{external_id}", sim.base_url()))
        .await
        .unwrap();
    if res.status() == 404 {
        return None;
    }
    Some(res.json().await.unwrap())
}

fn attrs(id: &str, extra: Value) -> Value {
    let mut o = json!({"external_id": id});
    o.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    o
}

fn event(id: &str, name: &str) -> Value {
    json!({"external_id": id, "name": name, "time": T})
}

fn purchase(id: &str, quantity: u32) -> Value {
    json!({"external_id": id, "product_id": "sku-1", "currency": "USD", "price": 9.5, "quantity": quantity, "time": T})
}

#[tokio::test]
async fn valid_request_is_applied_and_billed() {
    let sim = sim();
    let a = post(
        &sim,
        "/users/track",
        json!({
            "attributes": [attrs("u1", json!({"first_name": "Ada", "plan": "pro", "tags": ["a", "b"], "push_tokens": [{"app_id": "app", "token": "tok"}]}))],
            "events": [event("u1", "Session Start"), event("u1", "Signed Up")],
            "purchases": [purchase("u1", 3)],
        }),
    )
    .await;
    assert_eq!(a.status, 201);
    assert_eq!(a.body["message"], "success");
    assert!(a.body.get("errors").is_none());

    let profile = user(&sim, "u1").await.expect("profile created");
    assert_eq!(profile.attributes["first_name"], "Ada");
    assert_eq!(profile.attributes["tags"], json!(["a", "b"]));
    assert_eq!(profile.events.len(), 2);
    assert_eq!(profile.events[1]["name"], "Signed Up");
    assert_eq!(profile.purchases[0]["quantity"], 3);
    assert_eq!(
        profile.push_tokens,
        vec![json!({"app_id": "app", "token": "tok"})]
    );
    let expected = DataPoints {
        attributes: 3,
        events: 2,
        purchases: 3,
    };
    assert_eq!(profile.data_points, expected);

    let s = stats(&sim).await;
    assert_eq!(s.track_requests, 1);
    assert_eq!(s.objects_received, 4);
    assert_eq!(s.objects_applied, 4);
    assert_eq!(s.objects_rejected, 0);
    assert_eq!(s.attributes_objects, 1);
    assert_eq!(s.events, 2);
    assert_eq!(s.purchases, 1);
    assert_eq!(s.data_points, expected);
    assert_eq!(s.responses_by_status.get("201"), Some(&1));
    assert_eq!(s.max_objects_in_request, 4);
    assert_eq!(s.distinct_users, 1);
    assert_eq!(sim.state().stats(), s);
    sim.shutdown().await;
}

#[tokio::test]
async fn partial_success_applies_only_valid_objects() {
    let sim = sim();
    let a = post(
        &sim,
        "/users/track",
        json!({
            "attributes": [attrs("u1", json!({"plan": "pro"})), attrs("u2", json!({"gender": "male"}))],
            "events": [event("u1", "ok"), json!({"external_id": "u1", "name": "no time"}), event("u3", "ok")],
            "purchases": [json!({"external_id": "u1", "product_id": "", "currency": "USD", "price": 1, "time": T})],
        }),
    )
    .await;
    assert_eq!(a.status, 201);
    assert_eq!(a.body["message"], "success");
    assert_eq!(
        a.body["errors"],
        json!([
            {"type": "Invalid gender", "input_array": "attributes", "index": 1},
            {"type": "Invalid time", "input_array": "events", "index": 1},
            {"type": "Invalid product_id", "input_array": "purchases", "index": 0},
        ])
    );
    assert_eq!(user(&sim, "u1").await.unwrap().events.len(), 1);
    assert!(user(&sim, "u1").await.unwrap().purchases.is_empty());
    assert!(
        user(&sim, "u2").await.is_none(),
        "the invalid object created no profile"
    );
    assert!(user(&sim, "u3").await.is_some());
    let s = stats(&sim).await;
    assert_eq!((s.objects_applied, s.objects_rejected), (3, 3));
    assert_eq!(s.data_points.total(), 3);
    sim.shutdown().await;
}

fn objects(n: usize, make: impl Fn(usize) -> Value) -> Vec<Value> {
    (0..n).map(make).collect()
}

#[tokio::test]
async fn too_many_objects_is_fatal_and_applies_nothing_per_contract_shape() {
    // (contract, attributes, events, purchases, accepted)
    let cases = [
        (ContractShape::Total75, 75, 0, 0, true),
        (ContractShape::Total75, 25, 25, 26, false),
        (ContractShape::PerArray75, 75, 75, 75, true),
        (ContractShape::PerArray75, 76, 0, 0, false),
        (ContractShape::Total50, 50, 0, 0, true),
        (ContractShape::Total50, 30, 21, 0, false),
    ];
    for (contract, a, e, p, accepted) in cases {
        let sim = sim_with(SimConfig {
            limits: Limits::with_contract(contract),
            ..SimConfig::default()
        });
        // Few distinct users so only the object count matters.
        let body = json!({
            "attributes": objects(a, |i| attrs(&format!("u{}", i % 10), json!({"n": i}))),
            "events": objects(e, |i| event(&format!("u{}", i % 10), "e")),
            "purchases": objects(p, |i| purchase(&format!("u{}", i % 10), 1)),
        });
        let answer = post(&sim, "/users/track", body).await;
        let s = stats(&sim).await;
        let total = (a + e + p) as u64;
        assert_eq!(s.max_objects_in_request, total);
        if accepted {
            assert_eq!(answer.status, 201, "{contract} {a}/{e}/{p}");
            assert_eq!(s.objects_applied, total);
        } else {
            assert_eq!(answer.status, 400, "{contract} {a}/{e}/{p}");
            assert!(answer.body["message"].is_string());
            assert!(answer.body["errors"].is_array());
            assert_eq!(s.objects_applied, 0);
            assert_eq!(s.objects_rejected, total);
            assert_eq!(s.distinct_users, 0);
            assert_eq!(s.data_points.total(), 0);
        }
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn too_many_distinct_external_ids_is_fatal_max_input_length_exceeded() {
    // Under total75 one request cannot name more than 75 users, so the distinct-id limit
    // is exercised there with a lower configured maximum.
    let cases = [
        (ContractShape::PerArray75, 75, (75, 76)),
        (ContractShape::Total75, 10, (10, 11)),
    ];
    for (contract, max_ids, (ok_ids, too_many_ids)) in cases {
        let sim = sim_with(SimConfig {
            limits: Limits {
                max_distinct_external_ids: max_ids,
                ..Limits::with_contract(contract)
            },
            ..SimConfig::default()
        });
        let ok = post(
            &sim,
            "/users/track",
            json!({"attributes": objects(ok_ids, |i| attrs(&format!("u{i}"), json!({"n": 1})))}),
        )
        .await;
        assert_eq!(ok.status, 201, "{contract}");
        let body = json!({
            "attributes": objects(too_many_ids - 1, |i| attrs(&format!("u{i}"), json!({"n": 1}))),
            "events": [event("v0", "e")],
        });
        let rejected = post(&sim, "/users/track", body).await;
        assert_eq!(rejected.status, 400, "{contract}");
        assert_eq!(rejected.body["message"], "Max Input Length Exceeded");
        let s = stats(&sim).await;
        assert_eq!(
            s.objects_applied, ok_ids as u64,
            "nothing from the rejected request"
        );
        assert!(sim.state().user("v0").is_none());
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn malformed_json_and_non_object_bodies_are_400() {
    let sim = sim();
    let client = reqwest::Client::new();
    for body in [&b"{\"attributes\": ["[..], b"[1, 2]", b"{\"events\": 3}"] {
        let a = post_with(
            &client,
            &sim,
            "/users/track",
            Some("sim-key"),
            body.to_vec(),
        )
        .await
        .unwrap();
        assert_eq!(a.status, 400);
        assert!(a.body["message"].is_string());
    }
    let empty = post(&sim, "/users/track", json!({})).await;
    assert_eq!(empty.status, 400);
    assert_eq!(stats(&sim).await.responses_by_status.get("400"), Some(&4));
    sim.shutdown().await;
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let sim = sim_with(SimConfig {
        limits: Limits {
            max_body_bytes: 2000,
            ..Limits::default()
        },
        ..SimConfig::default()
    });
    let big = json!({"attributes": objects(20, |i| attrs(&format!("u{i}"), json!({"s": "x".repeat(200)})))});
    assert!(serde_json::to_vec(&big).unwrap().len() > 2000);
    let a = post(&sim, "/users/track", big).await;
    assert_eq!(a.status, 413);
    assert_eq!(stats(&sim).await.objects_applied, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn missing_or_wrong_key_is_401() {
    let sim = sim();
    let client = reqwest::Client::new();
    let body = serde_json::to_vec(&json!({"events": [event("u1", "e")]})).unwrap();
    for key in [None, Some("wrong"), Some("\"sim-key\"")] {
        let a = post_with(&client, &sim, "/users/track", key, body.clone())
            .await
            .unwrap();
        assert_eq!(a.status, 401, "key {key:?}");
    }
    let a = post_with(&client, &sim, "/users/delete", None, b"{}".to_vec())
        .await
        .unwrap();
    assert_eq!(a.status, 401);
    let s = stats(&sim).await;
    assert_eq!(s.objects_applied, 0);
    assert_eq!(s.responses_by_status.get("401"), Some(&3));
    sim.shutdown().await;
}

fn header(a: &Answer, name: &str) -> u64 {
    a.headers
        .get(name)
        .unwrap_or_else(|| panic!("{name} header"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn rate_limit_headers_count_down_and_429_past_the_limit() {
    let sim = sim_with(SimConfig {
        rate_limit: 2,
        // A window far longer than the test, so it cannot roll over mid-test.
        rate_window: Duration::from_secs(3600),
        ..SimConfig::default()
    });
    let body = json!({"events": [event("u1", "e")]});
    let first = post(&sim, "/users/track", body.clone()).await;
    let second = post(&sim, "/users/track", body.clone()).await;
    let third = post(&sim, "/users/track", body).await;
    assert_eq!((first.status, second.status, third.status), (201, 201, 429));
    for a in [&first, &second, &third] {
        assert_eq!(header(a, "x-ratelimit-limit"), 2);
    }
    assert_eq!(header(&first, "x-ratelimit-remaining"), 1);
    assert_eq!(header(&second, "x-ratelimit-remaining"), 0);
    assert_eq!(header(&third, "x-ratelimit-remaining"), 0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset = header(&third, "x-ratelimit-reset");
    assert!(
        reset > now && reset <= now + 3601,
        "reset {reset} vs now {now}"
    );
    let s = stats(&sim).await;
    assert_eq!(s.rate_limited, 1);
    assert_eq!(s.responses_by_status.get("429"), Some(&1));
    assert_eq!(
        s.objects_applied, 2,
        "the rate-limited request applied nothing"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn rate_window_rolls_over() {
    let sim = sim_with(SimConfig {
        rate_limit: 1,
        rate_window: Duration::from_millis(200),
        ..SimConfig::default()
    });
    let body = json!({"events": [event("u1", "e")]});
    assert_eq!(post(&sim, "/users/track", body.clone()).await.status, 201);
    // Wait for the window to end rather than asserting on timing.
    let mut status = 429;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        status = post(&sim, "/users/track", body.clone()).await.status;
        if status == 201 {
            break;
        }
    }
    assert_eq!(status, 201);
    sim.shutdown().await;
}

#[tokio::test]
async fn rate_limit_override_fault_lowers_the_limit() {
    let sim = sim();
    sim.set_faults(Faults {
        rate_limit_override: Some(1),
        ..Faults::default()
    });
    let body = json!({"events": [event("u1", "e")]});
    let first = post(&sim, "/users/track", body.clone()).await;
    assert_eq!(first.status, 201);
    assert_eq!(header(&first, "x-ratelimit-limit"), 1);
    assert_eq!(post(&sim, "/users/track", body).await.status, 429);
    sim.shutdown().await;
}

#[tokio::test]
async fn status_5xx_fault_answers_500_or_503_and_applies_nothing() {
    let sim = sim();
    sim.set_faults(Faults {
        status_5xx_rate: 1.0,
        ..Faults::default()
    });
    for _ in 0..6 {
        let a = post(&sim, "/users/track", json!({"events": [event("u1", "e")]})).await;
        assert!(a.status == 500 || a.status == 503, "got {}", a.status);
        assert!(a.headers.contains_key("x-ratelimit-remaining"));
    }
    let s = stats(&sim).await;
    assert_eq!(s.objects_applied, 0);
    let fives = s.responses_by_status.get("500").copied().unwrap_or(0)
        + s.responses_by_status.get("503").copied().unwrap_or(0);
    assert_eq!(fives, 6);
    sim.shutdown().await;
}

#[tokio::test]
async fn latency_fault_delays_answers() {
    let sim = sim();
    sim.set_faults(Faults {
        latency_ms: 2_000,
        ..Faults::default()
    });
    // The answer cannot arrive before the injected delay, so a shorter client timeout
    // must always fire.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let body = serde_json::to_vec(&json!({"events": [event("u1", "e")]})).unwrap();
    let err = post_with(&client, &sim, "/users/track", Some("sim-key"), body.clone())
        .await
        .err()
        .expect("client timed out");
    assert!(err.is_timeout(), "{err}");
    sim.set_faults(Faults::default());
    let a = post_with(&client, &sim, "/users/track", Some("sim-key"), body)
        .await
        .unwrap();
    assert_eq!(a.status, 201);
    sim.shutdown().await;
}

#[tokio::test]
async fn timeout_fault_hangs_and_applies_nothing_and_shutdown_releases_it() {
    let sim = sim();
    sim.set_faults(Faults {
        timeout_rate: 1.0,
        ..Faults::default()
    });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let body = serde_json::to_vec(&json!({"events": [event("u1", "e")]})).unwrap();
    let err = post_with(&client, &sim, "/users/track", Some("sim-key"), body)
        .await
        .err()
        .expect("no answer");
    assert!(err.is_timeout(), "{err}");
    let s = stats(&sim).await;
    assert_eq!(s.timeouts, 1);
    assert_eq!(s.objects_applied, 0);
    assert_eq!(sim.state().requests(10)[0].status, None);
    // Must return although a call is still hanging server-side.
    sim.shutdown().await;
}

#[tokio::test]
async fn drop_connection_fault_closes_without_answer() {
    let sim = sim();
    sim.set_faults(Faults {
        drop_connection_rate: 1.0,
        ..Faults::default()
    });
    let client = reqwest::Client::new();
    let body = serde_json::to_vec(&json!({"events": [event("u1", "e")]})).unwrap();
    let err = post_with(&client, &sim, "/users/track", Some("sim-key"), body.clone())
        .await
        .err()
        .expect("no answer");
    assert!(!err.is_timeout(), "{err}");
    assert!(err.status().is_none());
    let s = stats(&sim).await;
    assert_eq!(s.dropped_connections, 1);
    assert_eq!(s.objects_applied, 0);
    assert!(s.responses_by_status.is_empty());
    // The simulator keeps serving once the fault is lifted.
    sim.set_faults(Faults::default());
    let a = post_with(&client, &sim, "/users/track", Some("sim-key"), body)
        .await
        .unwrap();
    assert_eq!(a.status, 201);
    sim.shutdown().await;
}

#[tokio::test]
async fn partial_error_fault_fails_objects_without_applying_them() {
    let sim = sim();
    sim.set_faults(Faults {
        partial_error_rate: 1.0,
        ..Faults::default()
    });
    let a = post(
        &sim,
        "/users/track",
        json!({"attributes": [attrs("u1", json!({"a": 1}))], "events": [event("u1", "e")]}),
    )
    .await;
    assert_eq!(a.status, 201);
    assert_eq!(
        a.body["errors"],
        json!([
            {"type": "Simulated error", "input_array": "attributes", "index": 0},
            {"type": "Simulated error", "input_array": "events", "index": 0},
        ])
    );
    let s = stats(&sim).await;
    assert_eq!((s.objects_applied, s.objects_rejected), (0, 2));
    assert!(sim.state().user("u1").is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn partial_errors_are_reproducible_with_a_seed() {
    async fn failed_indices(seed: u64) -> Value {
        let sim = sim_with(SimConfig {
            seed: Some(seed),
            faults: Faults {
                partial_error_rate: 0.5,
                ..Faults::default()
            },
            ..SimConfig::default()
        });
        let a = post(
            &sim,
            "/users/track",
            json!({"events": objects(40, |i| event(&format!("u{i}"), "e"))}),
        )
        .await;
        sim.shutdown().await;
        a.body["errors"].clone()
    }
    let first = failed_indices(42).await;
    assert_eq!(first, failed_indices(42).await);
    let n = first.as_array().map_or(0, Vec::len);
    assert!(n > 0 && n < 40, "about half fail, got {n}");
}

#[tokio::test]
async fn unauthorized_fault_answers_401_even_with_the_right_key() {
    let sim = sim();
    sim.set_faults(Faults {
        unauthorized: true,
        ..Faults::default()
    });
    let a = post(&sim, "/users/track", json!({"events": [event("u1", "e")]})).await;
    assert_eq!(a.status, 401);
    assert_eq!(stats(&sim).await.objects_applied, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_can_be_set_over_http_and_reset_restores_the_start() {
    let sim = sim();
    let client = reqwest::Client::new();
    let res = client
        .put(format!("{}/sim/faults", sim.base_url()))
        .json(&json!({"unauthorized": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(sim.state().faults().unauthorized);
    let current: Faults = reqwest::get(format!("{}/sim/faults", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(current.unauthorized);
    assert_eq!(
        post(&sim, "/users/track", json!({"events": [event("u1", "e")]}))
            .await
            .status,
        401
    );
    let res = client
        .post(format!("{}/sim/reset", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(sim.state().faults().is_none());
    assert_eq!(stats(&sim).await, SimStats::default());
    assert_eq!(
        post(&sim, "/users/track", json!({"events": [event("u1", "e")]}))
            .await
            .status,
        201
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn recorded_requests_keep_the_last_bodies_with_their_status() {
    let sim = sim();
    post(
        &sim,
        "/users/track",
        json!({"events": [event("u1", "first")]}),
    )
    .await;
    post(
        &sim,
        "/users/track",
        json!({"events": [event("u1", "second")]}),
    )
    .await;
    post(&sim, "/users/track", json!({})).await;
    let recorded: Vec<RecordedRequest> =
        reqwest::get(format!("{}/sim/requests?limit=2", sim.base_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].status, Some(201));
    assert_eq!(recorded[0].body["events"][0]["name"], "second");
    assert_eq!(recorded[1].status, Some(400));
    assert_eq!(sim.state().requests(10).len(), 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn attribute_operators_update_the_stored_profile() {
    let sim = sim();
    let steps = [
        attrs(
            "u1",
            json!({"tags": ["a", "b"], "logins": 1, "plan": "free"}),
        ),
        attrs(
            "u1",
            json!({"tags": {"add": ["c", "a"], "remove": ["b"]}, "logins": {"inc": 2}, "plan": null}),
        ),
    ];
    for step in steps {
        assert_eq!(
            post(&sim, "/users/track", json!({"attributes": [step]}))
                .await
                .status,
            201
        );
    }
    let p = user(&sim, "u1").await.unwrap();
    assert_eq!(p.attributes["tags"], json!(["a", "c"]));
    assert_eq!(p.attributes["logins"], 3);
    assert!(!p.attributes.contains_key("plan"));
    // 3 (set) + add 2 values + inc 1; the removal and the null are free.
    assert_eq!(p.data_points.attributes, 6);
    sim.shutdown().await;
}

#[tokio::test]
async fn update_existing_only_never_creates_a_profile() {
    let sim = sim();
    let a = post(
        &sim,
        "/users/track",
        json!({"attributes": [attrs("ghost", json!({"_update_existing_only": true, "plan": "x"}))]}),
    )
    .await;
    assert_eq!(a.status, 201);
    assert!(user(&sim, "ghost").await.is_none());
    let s = stats(&sim).await;
    assert_eq!((s.objects_skipped, s.objects_applied), (1, 0));
    assert_eq!(s.data_points.total(), 0);
    post(
        &sim,
        "/users/track",
        json!({"attributes": [attrs("ghost", json!({"plan": "a"}))]}),
    )
    .await;
    post(
        &sim,
        "/users/track",
        json!({"attributes": [attrs("ghost", json!({"_update_existing_only": true, "plan": "b"}))]}),
    )
    .await;
    assert_eq!(user(&sim, "ghost").await.unwrap().attributes["plan"], "b");
    sim.shutdown().await;
}

#[tokio::test]
async fn delete_removes_profiles_and_is_recorded() {
    let sim = sim();
    post(
        &sim,
        "/users/track",
        json!({"attributes": [attrs("u1", json!({"a": 1})), attrs("u2", json!({"a": 1}))]}),
    )
    .await;
    let a = post(
        &sim,
        "/users/delete",
        json!({"external_ids": ["u1", "nobody"]}),
    )
    .await;
    assert_eq!(a.status, 201);
    assert_eq!(a.body, json!({"deleted": 1, "message": "success"}));
    assert!(user(&sim, "u1").await.is_none());
    assert!(user(&sim, "u2").await.is_some());
    let s = stats(&sim).await;
    assert_eq!(s.deletes, vec!["u1".to_string(), "nobody".to_string()]);
    assert_eq!(s.distinct_users, 1);
    let ids: Vec<String> = (0..51).map(|i| format!("x{i}")).collect();
    let too_many = post(&sim, "/users/delete", json!({"external_ids": ids})).await;
    assert_eq!(too_many.status, 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn identify_merges_the_alias_profile_into_the_external_id() {
    let sim = sim();
    let alias = json!({"alias_name": "anon-1", "alias_label": "mpid"});
    post(
        &sim,
        "/users/track",
        json!({
            "attributes": [
                {"user_alias": alias, "_update_existing_only": false, "color": "red", "plan": "alias"},
                attrs("u1", json!({"plan": "known"})),
            ],
            "events": [{"user_alias": alias, "name": "browsed", "time": T}],
        }),
    )
    .await;
    assert!(sim.state().alias_user("mpid", "anon-1").is_some());
    let a = post(
        &sim,
        "/users/identify",
        json!({"aliases_to_identify": [{"external_id": "u1", "user_alias": alias}]}),
    )
    .await;
    assert_eq!(a.status, 201);
    let p = user(&sim, "u1").await.unwrap();
    assert_eq!(p.attributes["plan"], "known", "the identified profile wins");
    assert_eq!(p.attributes["color"], "red");
    assert_eq!(p.events.len(), 1);
    assert_eq!(p.user_aliases.len(), 1);
    let by_alias = sim.state().alias_user("mpid", "anon-1").unwrap();
    assert_eq!(by_alias.external_id.as_deref(), Some("u1"));
    let s = stats(&sim).await;
    assert_eq!(s.identifies, 1);
    assert_eq!(s.distinct_users, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn alias_events_without_an_alias_profile_are_skipped() {
    let sim = sim();
    let a = post(
        &sim,
        "/users/track",
        json!({"events": [{"user_alias": {"alias_name": "n", "alias_label": "l"}, "name": "e", "time": T}]}),
    )
    .await;
    assert_eq!(a.status, 201);
    assert_eq!(stats(&sim).await.objects_skipped, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn alias_new_attaches_aliases_and_export_returns_profiles() {
    let sim = sim();
    let a = post(
        &sim,
        "/users/alias/new",
        json!({"user_aliases": [
            {"external_id": "u1", "alias_name": "a1", "alias_label": "crm"},
            {"alias_name": "a2", "alias_label": "crm"},
        ]}),
    )
    .await;
    assert_eq!(a.status, 201);
    assert_eq!(a.body["aliases_processed"], 2);
    assert!(sim
        .state()
        .alias_user("crm", "a2")
        .unwrap()
        .external_id
        .is_none());
    // Events by the new alias now reach the alias-only profile.
    post(
        &sim,
        "/users/track",
        json!({"events": [{"user_alias": {"alias_name": "a2", "alias_label": "crm"}, "name": "e", "time": T}]}),
    )
    .await;
    assert_eq!(sim.state().alias_user("crm", "a2").unwrap().events.len(), 1);

    let export = post(
        &sim,
        "/users/export/ids",
        json!({"external_ids": ["u1", "nobody"]}),
    )
    .await;
    assert_eq!(export.status, 201);
    let users: Vec<Profile> = serde_json::from_value(export.body["users"].clone()).unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].external_id.as_deref(), Some("u1"));
    assert_eq!(users[0].user_aliases[0].alias_name, "a1");
    assert_eq!(export.body["invalid_user_ids"], json!(["nobody"]));
    assert_eq!(stats(&sim).await.aliases_created, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn email_identified_objects_find_the_profile_by_email() {
    let sim = sim();
    post(
        &sim,
        "/users/track",
        json!({"attributes": [attrs("u1", json!({"email": "ada@example.com"}))]}),
    )
    .await;
    post(
        &sim,
        "/users/track",
        json!({"attributes": [{"email": "ada@example.com", "plan": "pro"}]}),
    )
    .await;
    let p = user(&sim, "u1").await.unwrap();
    assert_eq!(p.attributes["plan"], "pro");
    // The email next to an external id is billed; as identifier it is free.
    assert_eq!(p.data_points.attributes, 2);
    assert_eq!(stats(&sim).await.distinct_users, 1);
    sim.shutdown().await;
}
