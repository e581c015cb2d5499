//! The Web SDK's routes over real HTTP against a real braid on port 0 (and braze-sim
//! where Braze matters): events, IDSync and its edge cases, alias, config, CORS, rate
//! limits, rejected batches, TLS, and a user seen from the web and from a server SDK
//! landing on one profile.

mod common;

use braid_server::config::{BrazeForwarding, Config, InputConfig, InputPlatform, TlsConfig};
use common::*;
use serde_json::{json, Value};

const WEB_KEY: &str = "web-key-1";
const KIT_KEY: &str = "web-kit-key";
const ORIGIN: &str = "https://shop.example.com";

fn web_input(c: &mut Config) {
    c.inputs.push(InputConfig {
        name: Some("web".into()),
        key: WEB_KEY.into(),
        platform: InputPlatform::Web,
        allowed_origins: vec![ORIGIN.into()],
        ..InputConfig::default()
    });
}

fn kit_input(c: &mut Config) {
    c.web.braze_kit.enabled = true;
    c.web.braze_kit.api_key = "braze-web-app-id".into();
    c.web.braze_kit.cluster = Some("05".into());
    c.inputs.push(InputConfig {
        name: Some("web-kit".into()),
        key: KIT_KEY.into(),
        platform: InputPlatform::Web,
        allowed_origins: vec![ORIGIN.into()],
        braze_forwarding: BrazeForwarding::Kit,
        ..InputConfig::default()
    });
}

/// A POST as the Web SDK makes it: `text/plain` for events, JSON plus `x-mp-key` for
/// IDSync; the page's origin on every request.
async fn web_post(
    braid: &TestBraid,
    path: &str,
    key: Option<&str>,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = braid
        .client
        .post(format!("{}{path}", braid.base))
        .header("origin", ORIGIN)
        .body(body.to_string());
    request = match key {
        Some(key) => request
            .header("x-mp-key", key)
            .header("content-type", "application/json"),
        None => request.header("content-type", "text/plain;charset=UTF-8"),
    };
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn identify_body(known: Value) -> Value {
    json!({
        "client_sdk": {"platform": "web", "sdk_vendor": "mparticle", "sdk_version": "2.68.0"},
        "context": null, "environment": "production", "request_id": "req-1",
        "request_timestamp_ms": 1_700_000_000_000i64, "previous_mpid": null,
        "known_identities": known,
    })
}

async fn identify(braid: &TestBraid, path: &str, known: Value) -> Value {
    let (status, _, body) = web_post(braid, path, Some(WEB_KEY), &identify_body(known)).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn web_batch(mpid: &str, customer_id: Option<&str>, event: &str) -> Value {
    let mut identities = json!({});
    if let Some(id) = customer_id {
        identities["customer_id"] = json!(id);
        identities["email"] = json!(format!("{id}@example.com"));
    }
    json!({
        "source_request_id": format!("src-{mpid}-{event}"),
        "mpid": mpid,
        "timestamp_unixtime_ms": 1_700_000_000_000i64,
        "environment": "production",
        "mp_deviceid": "das-1",
        "sdk_version": "2.68.0",
        "device_info": {"platform": "web"},
        "user_identities": identities,
        "user_attributes": {"plan": "gold"},
        "events": [
            {"event_type": "custom_event", "data": {"event_name": event, "custom_event_type": "other",
              "timestamp_unixtime_ms": 1_700_000_000_000i64, "session_uuid": "s-1", "page_url": "https://shop.example.com/"}},
            {"event_type": "screen_view", "data": {"screen_name": "Home", "timestamp_unixtime_ms": 1_700_000_000_000i64}}
        ]
    })
}

async fn profile(braid: &TestBraid, mpid: &str) -> (u16, Value) {
    braid
        .admin_get(&format!("/api/v1/profiles/mpid/{mpid}"))
        .await
}

#[tokio::test]
async fn identify_returns_the_same_mpid_for_the_same_identity_and_events_land_on_it() {
    let (sim, braid) = start_with_sim(braze_sim::SimConfig::default(), web_input).await;
    let first = identify(
        &braid,
        "/v1/identify",
        json!({"customerid": "u-1", "device_application_stamp": "das-1"}),
    )
    .await;
    let mpid = first["mpid"]
        .as_str()
        .expect("mpid is a string")
        .to_string();
    assert_eq!(first["is_logged_in"], true);
    assert_eq!(first["is_ephemeral"], false);
    assert!(first.get("context").is_some());
    assert_eq!(first["matched_identities"]["customerid"], "u-1");
    // The CNAME layout answers the same.
    let again = identify(
        &braid,
        "/identity/v1/identify",
        json!({"customerid": "u-1"}),
    )
    .await;
    assert_eq!(again["mpid"], mpid.as_str());

    let (status, headers, _) = web_post(
        &braid,
        &format!("/v3/JS/{WEB_KEY}/events"),
        None,
        &web_batch(&mpid, Some("u-1"), "Viewed"),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    braid.wait_delivered().await;
    let (status, p) = profile(&braid, &mpid).await;
    assert_eq!(status, 200, "{p}");
    let user = sim.state().user("u-1").expect("the web user reached braze");
    assert_eq!(user.events.len(), 1, "{:?}", user.events);
    assert_eq!(user.events[0]["name"], "Viewed");
    assert_eq!(user.attributes["plan"], "gold");
    braid.stop().await;
}

#[tokio::test]
async fn a_duplicate_source_request_id_is_accepted_once() {
    let (sim, braid) = start_with_sim(braze_sim::SimConfig::default(), web_input).await;
    let mpid = identify(&braid, "/v1/identify", json!({"customerid": "dup-1"})).await["mpid"]
        .as_str()
        .unwrap()
        .to_string();
    let batch = web_batch(&mpid, Some("dup-1"), "Clicked");
    for _ in 0..2 {
        let (status, _, _) = web_post(
            &braid,
            &format!("/webevents/v3/JS/{WEB_KEY}/events"),
            None,
            &batch,
        )
        .await;
        assert_eq!(status, 202);
    }
    braid.wait_delivered().await;
    assert_eq!(sim.state().user("dup-1").unwrap().events.len(), 1);
    braid.stop().await;
}

#[tokio::test]
async fn unknown_keys_are_refused_and_still_readable_by_the_page() {
    let braid = start_with(web_input).await;
    let (status, headers, body) = web_post(
        &braid,
        "/v1/identify",
        Some("nope"),
        &identify_body(json!({})),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    assert!(
        body["Errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown web key"),
        "{body}"
    );
    let (status, headers, _) = web_post(
        &braid,
        "/v3/JS/nope/events",
        None,
        &web_batch("1", None, "x"),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    // A server input's key is not a web key.
    let (status, _, _) = web_post(
        &braid,
        &format!("/v3/JS/{KEY}/events"),
        None,
        &web_batch("1", None, "x"),
    )
    .await;
    assert_eq!(status, 403);
    braid.stop().await;
}

#[tokio::test]
async fn a_malformed_idsync_body_is_answered_400_naming_the_field() {
    let braid = start_with(web_input).await;
    let (status, _, body) = web_post(
        &braid,
        "/v1/identify",
        Some(WEB_KEY),
        &identify_body(json!({"shoe_size": "9"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["Errors"][0]["message"],
        "$.known_identities.shoe_size: not an IDSync identity type"
    );
    assert_eq!(body["RequestId"], "req-1");
    let mut bad = identify_body(json!({}));
    bad["previous_mpid"] = json!("not-a-number");
    let (status, _, body) = web_post(&braid, "/v1/login", Some(WEB_KEY), &bad).await;
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("$.previous_mpid:"),
        "{body}"
    );
    let (status, _, body) = web_post(
        &braid,
        "/v1/5/modify",
        Some(WEB_KEY),
        &json!({"identity_changes": [{"identity_type": "customerid"}], "x": 1}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    braid.stop().await;
}

#[tokio::test]
async fn modify_of_an_unknown_mpid_is_refused() {
    let braid = start_with(web_input).await;
    let body = json!({"identity_changes": [{"identity_type": "email", "old_value": null, "new_value": "a@example.com"}]});
    let (status, _, answer) = web_post(&braid, "/v1/123456/modify", Some(WEB_KEY), &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["Errors"][0]["code"], "UNKNOWN_MPID");
    assert_eq!(
        answer["Errors"][0]["message"],
        "mpid 123456 is not a user braid knows"
    );
    braid.stop().await;
}

#[tokio::test]
async fn modify_adds_changes_and_removes_identities_and_refuses_a_conflict() {
    let braid = start_with(web_input).await;
    let a = identify(&braid, "/v1/login", json!({"customerid": "a-1"})).await["mpid"]
        .as_str()
        .unwrap()
        .to_string();
    let b = identify(
        &braid,
        "/v1/login",
        json!({"customerid": "b-1", "email": "b@example.com"}),
    )
    .await["mpid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(a, b);
    let change = |t: &str, old: Value, new: Value| json!({"identity_changes": [{"identity_type": t, "old_value": old, "new_value": new}]});
    // Add, then change.
    let (status, _, answer) = web_post(
        &braid,
        &format!("/v1/{a}/modify"),
        Some(WEB_KEY),
        &change("other2", Value::Null, json!("o-1")),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["change_results"][0]["identity_type"], "other2");
    let (status, _, _) = web_post(
        &braid,
        &format!("/v1/{a}/modify"),
        Some(WEB_KEY),
        &change("email", Value::Null, json!("a@example.com")),
    )
    .await;
    assert_eq!(status, 200);
    let (_, p) = profile(&braid, &a).await;
    assert_eq!(p["identities"]["other_id_2"], "o-1", "{p}");
    assert_eq!(p["identities"]["email"], "a@example.com");
    // Taking b's email is a conflict, in mParticle's error shape, and changes nothing.
    let (status, _, answer) = web_post(
        &braid,
        &format!("/v1/{a}/modify"),
        Some(WEB_KEY),
        &change("email", json!("a@example.com"), json!("b@example.com")),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(answer["Errors"][0]["code"], "IDENTITY_CONFLICT");
    assert_eq!(answer["StatusCode"], 400);
    let (_, p) = profile(&braid, &a).await;
    assert_eq!(p["identities"]["email"], "a@example.com");
    // Remove.
    let (status, _, _) = web_post(
        &braid,
        &format!("/v1/{a}/modify"),
        Some(WEB_KEY),
        &change("other2", json!("o-1"), Value::Null),
    )
    .await;
    assert_eq!(status, 200);
    let (_, p) = profile(&braid, &a).await;
    assert!(p["identities"].get("other_id_2").is_none(), "{p}");
    // The freed identity can be found by nobody; the kept one still names a.
    let (status, _, found) = web_post(
        &braid,
        "/v1/search",
        Some(WEB_KEY),
        &json!({"known_identities": {"email": "a@example.com"}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(found["mpid"], a.as_str());
    let (status, _, _) = web_post(
        &braid,
        "/v1/search",
        Some(WEB_KEY),
        &json!({"known_identities": {"other2": "o-1"}}),
    )
    .await;
    assert_eq!(status, 404);
    braid.stop().await;
}

#[tokio::test]
async fn login_promotes_the_anonymous_user_then_logout_returns_an_anonymous_one() {
    let braid = start_with(web_input).await;
    let anonymous = identify(
        &braid,
        "/v1/identify",
        json!({"device_application_stamp": "das-9"}),
    )
    .await;
    assert_eq!(anonymous["is_logged_in"], false);
    let anon_mpid = anonymous["mpid"].as_str().unwrap().to_string();
    // The same browser identifies to the same anonymous user.
    let again = identify(
        &braid,
        "/v1/identify",
        json!({"device_application_stamp": "das-9"}),
    )
    .await;
    assert_eq!(again["mpid"], anon_mpid.as_str());

    let mut login =
        identify_body(json!({"customerid": "new-1", "device_application_stamp": "das-9"}));
    login["previous_mpid"] = json!(anon_mpid);
    let (status, _, logged_in) = web_post(&braid, "/v1/login", Some(WEB_KEY), &login).await;
    assert_eq!(status, 200);
    assert_eq!(
        logged_in["mpid"],
        anon_mpid.as_str(),
        "an anonymous previous user becomes the known one"
    );
    assert_eq!(logged_in["is_logged_in"], true);

    // Logging in as someone braid already knows switches to them.
    let other = identify(&braid, "/v1/login", json!({"customerid": "known-2"})).await["mpid"]
        .as_str()
        .unwrap()
        .to_string();
    let mut switch = identify_body(json!({"customerid": "known-2"}));
    switch["previous_mpid"] = json!(anon_mpid);
    let (_, _, switched) = web_post(&braid, "/v1/login", Some(WEB_KEY), &switch).await;
    assert_eq!(switched["mpid"], other.as_str());

    let logout = identify(
        &braid,
        "/v1/logout",
        json!({"device_application_stamp": "das-9"}),
    )
    .await;
    assert_eq!(logout["is_logged_in"], false);
    let out = logout["mpid"].as_str().unwrap();
    assert_ne!(
        out, anon_mpid,
        "the device's old anonymous user is known now"
    );
    assert_ne!(out, other);
    braid.stop().await;
}

#[tokio::test]
async fn alias_merges_the_anonymous_profile_into_the_known_one_and_identifies_braze_alias() {
    let (sim, braid) = start_with_sim(braze_sim::SimConfig::default(), |c| {
        web_input(c);
        c.braze.forward_anonymous_as_alias = true;
    })
    .await;
    let anon = identify(
        &braid,
        "/v1/identify",
        json!({"device_application_stamp": "das-a"}),
    )
    .await["mpid"]
        .as_str()
        .unwrap()
        .to_string();
    let mut batch = web_batch(&anon, None, "Browsed");
    batch["user_attributes"] = json!({"color": "blue"});
    let (status, _, _) = web_post(&braid, &format!("/v3/JS/{WEB_KEY}/events"), None, &batch).await;
    assert_eq!(status, 202);
    braid.wait_delivered().await;
    assert!(
        sim.state().alias_user("mpid", &anon).is_some(),
        "the anonymous user is an alias profile in braze"
    );

    let known = identify(&braid, "/v1/login", json!({"customerid": "alias-1"})).await["mpid"]
        .as_str()
        .unwrap()
        .to_string();
    let alias = json!({"request_id": "r", "request_type": "alias", "environment": "production", "api_key": WEB_KEY,
        "data": {"source_mpid": anon, "destination_mpid": known, "start_unixtime_ms": 0, "end_unixtime_ms": 1, "scope": "mpid"}});
    let (status, headers, _) = web_post(
        &braid,
        &format!("/v1/identity/{WEB_KEY}/Alias"),
        None,
        &alias,
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    let (status, _) = profile(&braid, &anon).await;
    assert_eq!(status, 404, "the source profile is merged away");
    let (_, merged) = profile(&braid, &known).await;
    assert_eq!(merged["attributes"]["color"], "blue", "{merged}");
    let (_, history) = braid
        .admin_get(&format!("/api/v1/profiles/mpid/{known}"))
        .await;
    assert!(history.to_string().contains("alias-1"));
    braid.wait_delivered().await;
    assert_eq!(sim.state().stats().identifies, 1);
    let user = sim
        .state()
        .user("alias-1")
        .expect("the alias profile was identified into the known user");
    assert_eq!(user.events.len(), 1, "the anonymous history came with it");
    braid.stop().await;
}

#[tokio::test]
async fn a_batch_braid_cannot_take_is_answered_422_and_kept_with_its_reason() {
    let braid = start_with(web_input).await;
    let mut batch = web_batch("5", None, "x");
    batch["events"][0]["data"]["timestamp_unixtime_ms"] = json!("yesterday");
    let (status, headers, body) =
        web_post(&braid, &format!("/v3/JS/{WEB_KEY}/events"), None, &batch).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    let message = body["errors"][0]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("events[0].data.timestamp_unixtime_ms"),
        "{message}"
    );
    let (status, kept) = braid.admin_get("/api/v1/web/rejected").await;
    assert_eq!(status, 200);
    assert_eq!(kept["total"], 1);
    assert_eq!(kept["rejected"][0]["reason"], message.as_str());
    assert_eq!(kept["rejected"][0]["input"], "web");
    assert_eq!(kept["rejected"][0]["status"], 422);
    assert!(kept["rejected"][0]["body"]
        .as_str()
        .unwrap()
        .contains("\"yesterday\""));
    // Not JSON at all: kept too.
    let response = braid
        .client
        .post(format!("{}/v3/JS/{WEB_KEY}/events", braid.base))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert_eq!(braid.admin_get("/api/v1/web/rejected").await.1["total"], 2);
    braid.stop().await;
}

#[tokio::test]
async fn cors_answers_preflights_for_allowed_origins_and_refuses_others() {
    let braid = start_with(web_input).await;
    let preflight = |origin: &'static str, path: &'static str| {
        braid
            .client
            .request(reqwest::Method::OPTIONS, format!("{}{path}", braid.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,x-mp-key")
            .send()
    };
    let ok = preflight(ORIGIN, "/v1/identify").await.unwrap();
    assert_eq!(ok.status().as_u16(), 204);
    assert_eq!(ok.headers()["access-control-allow-origin"], ORIGIN);
    let allowed_headers = ok.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(allowed_headers.contains("x-mp-key") && allowed_headers.contains("content-type"));
    let refused = preflight("https://evil.example.com", "/v1/identify")
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    // A simple request from a refused origin is refused, without the header.
    let r = braid
        .client
        .post(format!("{}/v3/JS/{WEB_KEY}/events", braid.base))
        .header("origin", "https://evil.example.com")
        .body(web_batch("7", None, "x").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // The config route carries it too.
    let r = braid
        .client
        .get(format!("{}/JS/v2/{WEB_KEY}/config?env=0", braid.base))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], ORIGIN);
    let config: Value = r.json().await.unwrap();
    assert_eq!(config["kitConfigs"], json!([]));
    assert!(
        config.get("flags").is_none(),
        "flags would replace the page's own"
    );
    // Forwarding statistics are accepted and dropped, on every layout.
    for path in ["/v1/JS", "/v2/JS", "/webevents/v1/JS", "/webevents/v2/JS"] {
        let (status, headers, _) = web_post(
            &braid,
            &format!("{path}/{WEB_KEY}/Forwarding"),
            None,
            &json!({"mid": 28, "n": "x"}),
        )
        .await;
        assert_eq!(status, 202, "{path}");
        assert_eq!(headers["access-control-allow-origin"], ORIGIN);
    }
    braid.stop().await;
}

#[tokio::test]
async fn a_flood_from_one_client_is_answered_429_with_the_cors_header() {
    let braid = start_with(|c| {
        web_input(c);
        c.web.rate_limit.per_client_burst = 3;
        c.web.rate_limit.per_client_per_second = 0.01;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let (status, headers, _) = web_post(
            &braid,
            "/v1/identify",
            Some(WEB_KEY),
            &identify_body(json!({"customerid": "flood"})),
        )
        .await;
        if status == 429 {
            assert_eq!(headers["access-control-allow-origin"], ORIGIN);
            assert_eq!(headers["retry-after"], "1");
        }
        statuses.push(status);
    }
    assert_eq!(statuses, vec![200, 200, 200, 429, 429]);
    braid.stop().await;
}

#[tokio::test]
async fn a_kit_input_keeps_the_profile_and_sends_nothing_to_braze_itself() {
    let (sim, braid) = start_with_sim(braze_sim::SimConfig::default(), kit_input).await;
    let r = braid
        .client
        .get(format!("{}/tags/JS/v2/{KIT_KEY}/config?env=1", braid.base))
        .send()
        .await
        .unwrap();
    let config: Value = r.json().await.unwrap();
    let kit = &config["kitConfigs"][0];
    assert_eq!(kit["name"], "Appboy");
    assert_eq!(kit["suffix"], "v4");
    assert_eq!(kit["moduleId"], 28);
    assert_eq!(kit["isDebug"], true);
    assert_eq!(kit["settings"]["apiKey"], "braze-web-app-id");
    assert_eq!(kit["settings"]["cluster"], "05");

    let (status, _, answer) = web_post(
        &braid,
        "/v1/identify",
        Some(KIT_KEY),
        &identify_body(json!({"customerid": "kit-1"})),
    )
    .await;
    assert_eq!(status, 200);
    let mpid = answer["mpid"].as_str().unwrap().to_string();
    let (status, _, _) = web_post(
        &braid,
        &format!("/v3/JS/{KIT_KEY}/events"),
        None,
        &web_batch(&mpid, Some("kit-1"), "Kit Event"),
    )
    .await;
    assert_eq!(status, 202);
    braid.wait_delivered().await;
    let (_, p) = profile(&braid, &mpid).await;
    assert_eq!(
        p["attributes"]["plan"], "gold",
        "braid keeps the profile: {p}"
    );
    assert!(
        sim.state().user("kit-1").is_none(),
        "the kit sends it; braid must not"
    );
    assert_eq!(sim.state().stats().track_requests, 0);
    braid.stop().await;
}

#[tokio::test]
async fn one_user_from_the_web_and_from_a_server_sdk_lands_on_one_profile() {
    let (sim, braid) = start_with_sim(braze_sim::SimConfig::default(), web_input).await;
    // The server SDK first: braid creates the profile from customer_id.
    assert_eq!(
        braid
            .post("/v2/events", &batch("both-1", "Server Event"))
            .await
            .0,
        202
    );
    braid.wait_processed().await;
    let (_, server_profile) = braid.admin_get("/api/v1/profiles/customer_id/both-1").await;
    let server_mpid = server_profile["mpid"]
        .to_string()
        .trim_matches('"')
        .to_string();
    // The browser identifies with the same customer id and gets the same MPID.
    let web = identify(&braid, "/v1/identify", json!({"customerid": "both-1"})).await;
    assert_eq!(web["mpid"], server_mpid.as_str());
    let (status, _, _) = web_post(
        &braid,
        &format!("/v3/JS/{WEB_KEY}/events"),
        None,
        &web_batch(&server_mpid, Some("both-1"), "Web Event"),
    )
    .await;
    assert_eq!(status, 202);
    braid.wait_delivered().await;
    let user = sim.state().user("both-1").unwrap();
    let names: Vec<&str> = user
        .events
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Server Event", "Web Event"]);
    assert_eq!(sim.state().stats().distinct_users, 1);
    braid.stop().await;
}

#[tokio::test]
async fn braid_serves_https_with_a_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let braid = start_with(|c| {
        web_input(c);
        c.server.tls = Some(TlsConfig {
            cert_path,
            key_path,
        });
    })
    .await;
    let port = braid.server.as_ref().unwrap().addr().port();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let r = client
        .get(format!(
            "https://localhost:{port}/JS/v2/{WEB_KEY}/config?env=0"
        ))
        .header("origin", ORIGIN)
        .send()
        .await
        .expect("https answers");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], ORIGIN);
    // Plain HTTP on the same port is not served.
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
    assert!(
        !plain.is_ok_and(|r| r.status().is_success()),
        "plain http must not be answered on a TLS listener"
    );
    braid.stop().await;
}

#[test]
fn check_config_names_the_field_of_a_bad_web_input() {
    let check = |edit: &dyn Fn(&mut InputConfig)| {
        let mut config = Config::default();
        let mut input = InputConfig {
            key: "w".into(),
            platform: InputPlatform::Web,
            allowed_origins: vec![ORIGIN.into()],
            ..InputConfig::default()
        };
        edit(&mut input);
        config.inputs.push(input);
        config.validate().map(|_| ()).map_err(|e| e.to_string())
    };
    assert_eq!(check(&|_| {}), Ok(()));
    let e = check(&|i| i.secret = Some("a-secret-here".into())).unwrap_err();
    assert!(
        e.starts_with("inputs[0].secret: must be absent for a web input"),
        "{e}"
    );
    let e = check(&|i| i.allowed_origins.clear()).unwrap_err();
    assert!(
        e.starts_with("inputs[0].allowed_origins: a web input needs"),
        "{e}"
    );
    let e = check(&|i| i.allowed_origins = vec!["*".into()]).unwrap_err();
    assert!(
        e.starts_with("inputs[0].allowed_origins[0]: `*` is not allowed"),
        "{e}"
    );
    let e = check(&|i| i.braze_forwarding = BrazeForwarding::Kit).unwrap_err();
    assert!(e.starts_with("inputs[0].braze_forwarding:"), "{e}");
    let e = check(&|i| {
        i.platform = InputPlatform::Server;
        i.allowed_origins.clear();
    })
    .unwrap_err();
    assert_eq!(e, "inputs[0].secret: required for a server input");
}
