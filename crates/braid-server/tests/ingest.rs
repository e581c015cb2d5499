//! The Events API through the real server: auth, limits, bad input, every event type,
//! bulk requests, de-duplication, historical data, profiles and operations endpoints.

mod common;

use common::*;
use serde_json::{json, Value};

fn every_event_type(customer_id: &str) -> Value {
    let ts = 1_700_000_000_000i64;
    json!({
        "source_request_id": format!("all-types-{customer_id}"),
        "environment": "development",
        "mpid": "8934528972398734",
        "user_identities": {"customerid": customer_id},
        "user_attributes": {"$Age": 30, "vip": true, "tags": ["x", "y"], "score": 4.5},
        "deleted_user_attributes": ["old"],
        "device_info": {"platform": "iOS", "ios_advertising_id": "x"},
        "application_info": {"application_name": "demo", "application_version": "1.2"},
        "consent_state": {"gdpr": {"marketing": {"consented": true, "timestamp_unixtime_ms": ts}}},
        "brand_new_field": {"kept": "or ignored"},
        "events": [
            {"event_type": "custom_event", "data": {"event_name": "Played", "custom_event_type": "media", "timestamp_unixtime_ms": ts, "custom_attributes": {"song": "x"}}},
            {"event_type": "commerce_event", "data": {"timestamp_unixtime_ms": ts, "currency_code": "EUR", "product_action": {"action": "purchase", "transaction_id": "t1", "total_amount": 20.0, "products": [{"id": "sku1", "name": "Shoe", "price": 10.0, "quantity": 2}]}}},
            {"event_type": "commerce_event", "data": {"product_action": {"action": "remove_from_wish_list", "products": [{"id": "sku2"}]}}},
            {"event_type": "commerce_event", "data": {"promotion_action": {"action": "view", "promotions": [{"id": "p1", "name": "Sale"}]}}},
            {"event_type": "commerce_event", "data": {"product_impressions": [{"product_impression_list": "home", "products": [{"id": "sku3"}]}]}},
            {"event_type": "screen_view", "data": {"screen_name": "Home"}},
            {"event_type": "session_start", "data": {"session_uuid": "s1"}},
            {"event_type": "session_end", "data": {"session_uuid": "s1", "session_duration_ms": 1000}},
            {"event_type": "opt_out", "data": {"is_opted_out": true}},
            {"event_type": "push_registration", "data": {"register": true, "registration_token": "tok"}},
            {"event_type": "push_message", "data": {"push_message_token": "tok", "message": "hi"}},
            {"event_type": "user_attribute_change", "data": {"user_attribute_name": "level", "new": "3", "old": "2"}},
            {"event_type": "user_identity_change", "data": {"new": {"identity_type": "email", "identity": "a@b.c"}}},
            {"event_type": "crash_report", "data": {"exception_name": "Boom"}},
            {"event_type": "first_run", "data": {}},
            {"event_type": "application_state_transition", "data": {"application_transition_type": "application_background"}},
            {"event_type": "breadcrumb", "data": {"label": "x"}},
            {"event_type": "network_performance", "data": {"url": "https://example.com"}},
            {"event_type": "profile", "data": {}},
            {"event_type": "uninstall", "data": {}}
        ]
    })
}

#[tokio::test]
async fn every_event_type_is_accepted_and_builds_the_profile() {
    let braid = start().await;
    let (status, body) = braid.post("/v2/events", &every_event_type("all-1")).await;
    assert_eq!(status, 202, "{body}");
    braid.wait_processed().await;
    let (status, profile) = braid
        .admin_get("/api/v1/profiles/mpid/8934528972398734")
        .await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["identities"]["customer_id"], "all-1");
    assert_eq!(profile["attributes"]["vip"], true);
    assert_eq!(profile["attributes"]["tags"], json!(["x", "y"]));
    assert_eq!(
        profile["attributes"]["level"], "3",
        "user_attribute_change applied"
    );
    let (status, same) = braid.admin_get("/api/v1/profiles/customer_id/all-1").await;
    assert_eq!(status, 200);
    assert_eq!(same["mpid"], profile["mpid"]);
    braid.stop().await;
}

#[tokio::test]
async fn missing_credentials_get_401_and_wrong_ones_403() {
    let braid = start().await;
    let url = format!("{}/v2/events", braid.base);
    let body = serde_json::to_vec(&batch("u", "e")).unwrap();
    let none = braid
        .client
        .post(&url)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    let wrong_secret = braid
        .client
        .post(&url)
        .basic_auth(KEY, Some("nope"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_secret.status(), 403);
    let wrong_key = braid
        .client
        .post(&url)
        .basic_auth("other", Some(SECRET))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status(), 403);
    let bearer = braid
        .client
        .post(&url)
        .bearer_auth(SECRET)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 401);
    let admin = braid
        .client
        .get(format!("{}/api/v1/profiles/mpid/1", braid.base))
        .basic_auth(KEY, Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(
        admin.status(),
        403,
        "ingest credentials do not open the admin API"
    );
    braid.stop().await;
}

/// Each API surface's credentials are checked by a layer in front of its routes, and
/// each refuses in its own error body; refusals still count as ingest requests, open
/// routes stay open, and a path no route matches is a 404, not a refusal.
#[tokio::test]
async fn each_surface_refuses_in_its_own_body() {
    let braid = start().await;
    let send = |method: reqwest::Method, path: &str, auth: Option<(&str, &str)>| {
        let mut request = braid
            .client
            .request(method, format!("{}{path}", braid.base));
        if let Some((key, secret)) = auth {
            request = request.basic_auth(key, Some(secret));
        }
        async move {
            let r = request.send().await.expect("request");
            let status = r.status().as_u16();
            let challenge = r
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_string());
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (status, challenge, body)
        }
    };
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;

    let (status, challenge, body) = send(post.clone(), "/v2/bulkevents", None).await;
    assert_eq!(status, 401);
    assert_eq!(challenge.as_deref(), Some("Basic realm=\"braid\""));
    assert_eq!(
        body,
        json!({"errors": [{"code": "UNAUTHORIZED", "message": "missing or malformed basic authorization header"}]})
    );
    let (status, _, body) = send(post.clone(), "/v2/events", Some((KEY, "nope"))).await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"errors": [{"code": "FORBIDDEN", "message": "unknown input key or wrong secret"}]})
    );

    let (status, _, body) = send(get.clone(), "/api/v1/delivery", None).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"errors": [{"code": "UNAUTHORIZED", "message": "admin credentials required"}]})
    );
    let (status, _, body) = send(get.clone(), "/api/v1/dsr/requests", Some((KEY, SECRET))).await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"errors": [{"code": "FORBIDDEN", "message": "wrong admin credentials"}]})
    );

    let (status, _, body) = send(get.clone(), "/v3/requests/abc", None).await;
    assert_eq!(status, 401);
    let message = "data subject request credentials required (HTTP Basic)";
    assert_eq!(
        body,
        json!({"error": {"code": 401, "message": message,
            "errors": [{"domain": "opendsr", "reason": "Unauthorized", "message": message}]}})
    );
    let (status, _, body) = send(post, "/v3/requests", Some((ADMIN_KEY, ADMIN_SECRET))).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["errors"][0]["reason"], "Forbidden");

    let (status, _, body) = send(get.clone(), "/v3/discovery", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["api_version"], "3.0");
    let (status, _, _) = send(get, "/api/v1/no-such-route", None).await;
    assert_eq!(status, 404);

    let metrics = braid.metrics().await;
    let refused = metrics.lines().find(|line| {
        line.starts_with("braid_ingest_requests_total{")
            && line.contains("route=\"bulkevents\"")
            && line.contains("status=\"401\"")
    });
    assert!(refused.is_some(), "401 not counted:\n{metrics}");
    braid.stop().await;
}

#[tokio::test]
async fn malformed_input_names_the_json_path() {
    let braid = start().await;
    let (status, body) = braid.post_raw("/v2/events", b"{not json".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "BAD_REQUEST");

    let bad = json!({"events": [
        {"event_type": "custom_event", "data": {"event_name": "ok", "custom_event_type": "other"}},
        {"event_type": "custom_event", "data": {"custom_event_type": "other"}}
    ]});
    let (status, body) = braid.post("/v2/events", &bad).await;
    assert_eq!(status, 400);
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("events[1].data.event_name"),
        "{message}"
    );
    braid.stop().await;
}

#[tokio::test]
async fn bulk_with_a_bad_batch_accepts_the_good_ones_and_reports_the_bad() {
    let braid = start().await;
    let bulk = json!([
        batch("bulk-1", "A"),
        {"events": [{"event_type": "custom_event", "data": {"custom_event_type": "other"}}]},
        batch("bulk-2", "B"),
    ]);
    let (status, body) = braid.post("/v2/bulkevents", &bulk).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["accepted"], 2);
    assert_eq!(body["rejected"][0]["index"], 1);
    assert!(
        body["rejected"][0]["message"]
            .as_str()
            .unwrap()
            .contains("event_name"),
        "{body}"
    );
    braid.wait_processed().await;
    assert_eq!(
        braid
            .admin_get("/api/v1/profiles/customer_id/bulk-1")
            .await
            .0,
        200
    );
    assert_eq!(
        braid
            .admin_get("/api/v1/profiles/customer_id/bulk-2")
            .await
            .0,
        200
    );

    let too_many = Value::Array((0..101).map(|i| batch(&format!("m{i}"), "x")).collect());
    let (status, _) = braid.post("/v2/bulkevents", &too_many).await;
    assert_eq!(status, 400);
    let (status, _) = braid
        .post("/v2/bulkevents", &json!({"not": "an array"}))
        .await;
    assert_eq!(status, 400);
    braid.stop().await;
}

#[tokio::test]
async fn oversized_requests_and_batches_get_413() {
    let braid = start_with(|c| {
        c.limits.max_request_bytes = 64 * 1024;
        c.limits.max_batch_bytes = 8 * 1024;
    })
    .await;
    let mut big = batch("big", "x");
    big["user_attributes"]["blob"] = json!("x".repeat(9 * 1024));
    let (status, body) = braid.post("/v2/events", &big).await;
    assert_eq!(status, 413, "{body}");
    let huge = json!([{"user_attributes": {"blob": "y".repeat(70 * 1024)}}]);
    let (status, _) = braid.post("/v2/bulkevents", &huge).await;
    assert_eq!(status, 413);
    braid.stop().await;
}

#[tokio::test]
async fn duplicate_source_request_id_is_stored_once() {
    use braid_core::storage::IngestLog;
    let braid = start().await;
    let mut b = batch("dup-1", "Once");
    b["source_request_id"] = json!("req-42");
    assert_eq!(braid.post("/v2/events", &b).await.0, 202);
    let (status, body) = braid.post("/v2/events", &b).await;
    assert_eq!(status, 202);
    assert_eq!(body["duplicates"], 1);
    let (status, body) = braid.post("/v2/bulkevents", &json!([b.clone(), b])).await;
    assert_eq!(status, 202);
    assert_eq!(body["duplicates"], 2);
    let store = braid.server.as_ref().unwrap().state().store.clone();
    assert_eq!(
        store.head().unwrap(),
        1,
        "only the first copy reached the log"
    );
    braid.stop().await;
}

#[tokio::test]
async fn historical_batches_are_stored_but_never_forwarded() {
    use braid_core::storage::Outbox;
    let braid = start().await;
    let (status, _) = braid
        .post(
            "/v2/bulkevents/historical",
            &json!([batch("hist-1", "Old")]),
        )
        .await;
    assert_eq!(status, 202);
    braid.wait_processed().await;
    assert_eq!(
        braid
            .admin_get("/api/v1/profiles/customer_id/hist-1")
            .await
            .0,
        200
    );
    let store = braid.server.as_ref().unwrap().state().store.clone();
    assert_eq!(store.depth().unwrap(), 0, "nothing queued for Braze");
    braid.stop().await;
}

#[tokio::test]
async fn operations_endpoints_answer() {
    let braid = start().await;
    assert_eq!(braid.post("/v2/events", &batch("ops-1", "x")).await.0, 202);
    let health = braid
        .client
        .get(format!("{}/healthz", braid.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let ready = braid
        .client
        .get(format!("{}/readyz", braid.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let metrics = braid.metrics().await;
    for name in [
        "braid_ingest_requests_total",
        "braid_ingest_events_total",
        "braid_store_commit_seconds",
        "braid_ingest_bytes_total",
    ] {
        assert!(metrics.contains(name), "{name} missing from /metrics");
    }
    braid.stop().await;
}

#[tokio::test]
async fn restart_keeps_profiles_and_resolves_known_identities() {
    let braid = start().await;
    assert_eq!(braid.post("/v2/events", &batch("keep-1", "x")).await.0, 202);
    braid.wait_processed().await;
    let (_, first) = braid.admin_get("/api/v1/profiles/customer_id/keep-1").await;
    let dir = braid.stop().await;

    let mut config = test_config(dir.path());
    config.server.listen = "127.0.0.1:0".into();
    let server = braid_server::Server::start(config).await.unwrap();
    let again = TestBraid {
        base: format!("http://{}", server.addr()),
        server: Some(server),
        client: reqwest::Client::new(),
        dir,
    };
    // Same email, no customer id: resolves to the same profile.
    let by_email = json!({"user_identities": {"email": "keep-1@example.com"}, "user_attributes": {"plan": "silver"}});
    assert_eq!(again.post("/v2/events", &by_email).await.0, 202);
    again.wait_processed().await;
    let (_, second) = again.admin_get("/api/v1/profiles/customer_id/keep-1").await;
    assert_eq!(first["mpid"], second["mpid"]);
    assert_eq!(second["attributes"]["plan"], "silver");
    again.stop().await;
}

#[tokio::test]
async fn official_python_sdk_works_unchanged() {
    let braid = start().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sdk_send.py");
    let base = braid.base.clone();
    let output = tokio::process::Command::new("python3")
        .args([script, &base, KEY, SECRET])
        .output()
        .await
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "python SDK failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    braid.wait_processed().await;
    for user in ["py-user-1", "py-user-2", "py-user-3"] {
        let (status, profile) = braid
            .admin_get(&format!("/api/v1/profiles/customer_id/{user}"))
            .await;
        assert_eq!(status, 200, "{user}: {profile}");
        assert_eq!(profile["attributes"]["plan"], "gold");
    }
    braid.stop().await;
}
