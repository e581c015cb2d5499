//! The console in a real browser: braid and braze-sim on port 0, data sent as real
//! mParticle JSON, Debian's chromium driven by the scripts in `e2e/console/`, then
//! checks of what the page showed and of what reached braid and braze-sim. The scripts
//! write the screenshots shown in docs/console.md.

mod common;

use common::browser::run_script;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

fn script_env(braid: &TestBraid) -> Vec<(&'static str, String)> {
    vec![
        ("BRAID_URL", braid.base.clone()),
        ("ADMIN_KEY", ADMIN_KEY.into()),
        ("ADMIN_SECRET", ADMIN_SECRET.into()),
        ("INPUT_KEY", KEY.into()),
        ("INPUT_SECRET", SECRET.into()),
    ]
}

async fn braid_with_sim() -> (braze_sim::SimHandle, TestBraid) {
    start_with_sim(braze_sim::SimConfig::default(), |_| {}).await
}

async fn send(braid: &TestBraid, batch: &Value) {
    let (status, body) = braid.post("/v2/events", batch).await;
    assert_eq!(status, 202, "{body}");
}

#[tokio::test]
async fn sign_in_refuses_a_wrong_secret_sets_a_strict_cookie_and_refuses_cross_site_posts() {
    let (_sim, braid) = braid_with_sim().await;
    let seen = run_script("console/signin.mjs", &script_env(&braid)).await;
    assert_eq!(seen["redirectedTo"], "/login", "{seen}");
    assert_eq!(seen["wrongStatus"], 401, "{seen}");
    assert_eq!(seen["wrongMessage"], "wrong admin key or secret", "{seen}");
    assert_eq!(seen["cookiesAfterWrong"], 0, "{seen}");
    assert_eq!(seen["landedOn"], "/", "{seen}");
    assert_eq!(seen["heading"], "Overview", "{seen}");
    assert_eq!(seen["cookie"]["httpOnly"], true, "{seen}");
    assert_eq!(seen["cookie"]["sameSite"], "Strict", "{seen}");
    let expires = seen["cookie"]["expiresInS"].as_i64().unwrap();
    assert!(
        (8 * 3600 - 600..=8 * 3600).contains(&expires),
        "the session expires after the configured 8 hours: {seen}"
    );
    assert_eq!(seen["crossSiteStatus"], 403, "{seen}");
    assert_eq!(
        seen["crossSiteMessage"], "cross-site request refused",
        "{seen}"
    );
    assert_eq!(
        seen["stillSignedIn"], true,
        "the forged sign-out did nothing: {seen}"
    );
    assert_eq!(seen["firstTab"], "Skip to content", "{seen}");
    assert_eq!(seen["afterSkip"], "main", "{seen}");
    assert_eq!(seen["afterLogout"], "/login", "{seen}");
    braid.stop().await;
}

/// Post the sign-in form with reqwest.
async fn sign_in(braid: &TestBraid, secret: &str) -> reqwest::Response {
    braid
        .client
        .post(format!("{}/login", braid.base))
        .form(&[("key", ADMIN_KEY), ("secret", secret), ("next", "/")])
        .send()
        .await
        .unwrap()
}

fn redirect_free_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn state_changes_need_the_session_token_and_the_json_api_keeps_basic_auth() {
    let (sim, mut braid) = braid_with_sim().await;
    braid.client = redirect_free_client();
    sim.set_faults(braze_sim::Faults {
        partial_error_rate: 1.0,
        ..braze_sim::Faults::default()
    });
    send(&braid, &batch("forged-1", "Clicked")).await;
    braid.wait_delivered().await;
    sim.set_faults(braze_sim::Faults::default());
    let letters = braid.admin_get("/api/v1/dead-letters").await.1["dead_letters"]
        .as_array()
        .unwrap()
        .len();
    assert!(letters > 0);

    let signed = sign_in(&braid, ADMIN_SECRET).await;
    assert_eq!(signed.status(), 303);
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Max-Age="),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let page = braid
        .client
        .get(format!("{}/dead-letters", braid.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page carries its token")
        .to_string();
    let replay = |form: Vec<(&'static str, String)>, origin: Option<&'static str>| {
        let mut request = braid
            .client
            .post(format!("{}/dead-letters/replay", braid.base))
            .header("cookie", &session)
            .form(&form);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    let id = braid.admin_get("/api/v1/dead-letters").await.1["dead_letters"][0]["id"].to_string();
    let without = replay(vec![("id", id.clone())], None).await.unwrap();
    assert_eq!(without.status(), 403, "no token, no change");
    let forged = replay(vec![("id", id.clone()), ("csrf", "guess".into())], None)
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let cross = replay(
        vec![("id", id.clone()), ("csrf", token.clone())],
        Some("http://evil.example"),
    )
    .await
    .unwrap();
    assert_eq!(
        cross.status(),
        403,
        "another site's origin is refused even with the token"
    );
    assert_eq!(
        braid.admin_get("/api/v1/dead-letters").await.1["dead_letters"]
            .as_array()
            .unwrap()
            .len(),
        letters,
        "refused requests changed nothing"
    );
    let ok = replay(vec![("id", id.clone()), ("csrf", token.clone())], None)
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    assert_eq!(
        braid.admin_get("/api/v1/dead-letters").await.1["dead_letters"]
            .as_array()
            .unwrap()
            .len(),
        letters - 1
    );

    // The JSON admin API is unchanged: HTTP Basic, and the console cookie is no credential.
    let with_cookie_only = braid
        .client
        .get(format!("{}/api/v1/delivery", braid.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie_only.status(), 401);
    assert_eq!(braid.admin_get("/api/v1/delivery").await.0, 200);
    braid.stop().await;
}

#[tokio::test]
async fn wrong_sign_ins_are_throttled_per_key() {
    let (_sim, mut braid) = braid_with_sim().await;
    braid.client = redirect_free_client();
    for _ in 0..5 {
        assert_eq!(sign_in(&braid, "wrong-secret").await.status(), 401);
    }
    let throttled = sign_in(&braid, ADMIN_SECRET).await;
    assert_eq!(
        throttled.status(),
        429,
        "even the right secret waits once throttled"
    );
    assert!(throttled.headers().contains_key("retry-after"));
    assert!(throttled
        .text()
        .await
        .unwrap()
        .contains("too many failed sign-ins"));
    braid.stop().await;
}

#[tokio::test]
async fn a_batch_sent_while_watching_appears_in_the_live_stream_with_its_cost() {
    let (_sim, braid) = braid_with_sim().await;
    let seen = run_script("console/stream.mjs", &script_env(&braid)).await;
    assert_eq!(seen["status"], 202, "{seen}");
    assert_eq!(seen["otherStatus"], 202, "{seen}");
    let text = seen["text"].as_str().unwrap();
    assert!(
        text.contains("stream-1") && text.contains("Stream Test"),
        "{seen}"
    );
    assert!(text.contains("Queued for Braze"), "{seen}");
    let objects = seen["objects"].as_array().unwrap();
    let arrays: Vec<&str> = objects
        .iter()
        .map(|o| o["array"].as_str().unwrap())
        .collect();
    assert!(
        arrays.contains(&"attributes") && arrays.contains(&"events"),
        "{seen}"
    );
    let event = objects.iter().find(|o| o["array"] == "events").unwrap();
    assert_eq!(
        event["dataPoints"], 1,
        "one custom event costs one data point: {seen}"
    );
    assert_eq!(
        seen["shown"], 1,
        "the user filter hides the other user's batch: {seen}"
    );
    assert_eq!(seen["anonymousStatus"], 202, "{seen}");
    assert_eq!(seen["historicalStatus"], 202, "{seen}");
    let mut reasons: Vec<&str> = seen["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "Not forwarded: anonymous: the user has no external id for Braze",
            "Not forwarded: historical batch: kept in the profile, never forwarded",
        ],
        "{seen}"
    );
    braid.stop().await;
}

#[tokio::test]
async fn looking_a_user_up_shows_attributes_and_memberships() {
    let (_sim, braid) = start_with_sim(braze_sim::SimConfig::default(), |c| {
        c.audiences.definitions = vec![braid_audiences::Audience::from_json(json!({
            "id": 7, "name": "Gold members",
            "criteria": {"attribute": {"key": "plan", "op": "equals", "value": "gold"}}
        }))
        .unwrap()];
    })
    .await;
    send(&braid, &batch("lookup-1", "Looked")).await;
    braid.wait_processed().await;
    let mut env = script_env(&braid);
    env.push(("CUSTOMER_ID", "lookup-1".into()));
    let seen = run_script("console/lookup.mjs", &env).await;
    assert_eq!(seen["attributes"]["plan"], "\"gold\"", "{seen}");
    assert_eq!(seen["attributes"]["$FirstName"], "\"Ada\"", "{seen}");
    let memberships = seen["memberships"].as_array().unwrap();
    assert_eq!(memberships.len(), 1, "{seen}");
    assert_eq!(memberships[0]["audience"], 7, "{seen}");
    assert!(
        memberships[0]["text"]
            .as_str()
            .unwrap()
            .contains("Gold members"),
        "{seen}"
    );
    let profile = braid
        .admin_get("/api/v1/profiles/customer_id/lookup-1")
        .await
        .1;
    assert_eq!(
        seen["heading"],
        format!("MPID {}", profile["mpid"]),
        "{seen}"
    );
    assert!(
        seen["missing"].as_str().unwrap().contains("no profile"),
        "{seen}"
    );
    braid.stop().await;
}

#[tokio::test]
async fn an_audience_created_in_the_form_is_fixed_at_its_field_and_backfilled() {
    let (sim, braid) = braid_with_sim().await;
    for i in 0..12 {
        let plan = if i % 3 == 0 { "gold" } else { "free" };
        send(
            &braid,
            &json!({
                "user_identities": {"customer_id": format!("aud-{i}")},
                "user_attributes": {"plan": plan},
            }),
        )
        .await;
    }
    braid.wait_delivered().await;
    let mut env = script_env(&braid);
    env.push(("AUDIENCE_ID", "42".into()));
    let seen = run_script("console/audience.mjs", &env).await;
    let error = seen["fieldError"].as_str().unwrap();
    assert!(
        error.contains("criteria.attribute.op") && error.contains("resembles"),
        "{seen}"
    );
    assert_eq!(seen["criteriaInvalid"], "true", "{seen}");
    assert!(
        seen["describedBy"]
            .as_str()
            .unwrap()
            .contains("criteria-error"),
        "{seen}"
    );
    assert!(seen["job"].as_str().unwrap().contains("done"), "{seen}");
    assert_eq!(
        seen["members"], 4,
        "aud-0, 3, 6 and 9 have the gold plan: {seen}"
    );
    let (status, audience) = braid.admin_get("/api/v1/audiences/42").await;
    assert_eq!(status, 200);
    assert_eq!(audience["name"], "Gold plan");
    braid.wait_delivered().await;
    for i in [0, 3, 6, 9] {
        let user = sim
            .state()
            .user(&format!("aud-{i}"))
            .expect("user in braze");
        assert_eq!(
            user.attributes.get("SegmentMembership"),
            Some(&json!("42")),
            "the backfill's membership reached braze for aud-{i}"
        );
    }
    assert!(sim
        .state()
        .user("aud-1")
        .unwrap()
        .attributes
        .get("SegmentMembership")
        .is_none());
    braid.stop().await;
}

#[tokio::test]
async fn replaying_a_selected_dead_letter_reaches_braze() {
    let (sim, braid) = braid_with_sim().await;
    sim.set_faults(braze_sim::Faults {
        partial_error_rate: 1.0,
        ..braze_sim::Faults::default()
    });
    send(&braid, &batch("dead-1", "Refused")).await;
    braid.wait_delivered().await;
    sim.set_faults(braze_sim::Faults::default());
    let listed = braid.admin_get("/api/v1/dead-letters").await.1["dead_letters"].clone();
    let before = listed.as_array().unwrap().len();
    assert!(
        before >= 2,
        "the attributes and the event were refused: {listed}"
    );
    assert!(sim.state().user("dead-1").is_none());

    let seen = run_script("console/dead_letters.mjs", &script_env(&braid)).await;
    assert_eq!(seen["before"], before, "{seen}");
    assert!(
        seen["reasons"][0]
            .as_str()
            .unwrap()
            .contains("Simulated error"),
        "{seen}"
    );
    assert_eq!(seen["notice"], "1 object put back in the outbox", "{seen}");
    braid.wait_delivered().await;
    let after = braid.admin_get("/api/v1/dead-letters").await.1["dead_letters"].clone();
    assert_eq!(
        after.as_array().unwrap().len(),
        before - 1,
        "only the selected one: {after}"
    );
    let replayed = seen["replayedId"].as_u64().unwrap();
    assert!(after
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["id"] != replayed));
    let user = sim
        .state()
        .user("dead-1")
        .expect("the replayed object reached braze");
    assert!(!user.attributes.is_empty() || !user.events.is_empty());
    braid.stop().await;
}

#[tokio::test]
async fn the_ledger_chart_shows_the_points_a_resent_batch_saved() {
    let (_sim, braid) = braid_with_sim().await;
    let seen = run_script("console/ledger.mjs", &script_env(&braid)).await;
    assert_eq!(seen["firstStatus"], 202, "{seen}");
    assert_eq!(seen["secondStatus"], 202, "{seen}");
    assert_eq!(seen["before"]["chartSaved"], 0, "{seen}");
    let first = &seen["afterFirst"];
    let second = &seen["afterSecond"];
    assert_eq!(
        first["chartSaved"], 0,
        "the first copy saves nothing: {seen}"
    );
    // The first copy sent plan, tier, city and the new email; the second copy's three
    // attributes are all saved (its unchanged email is not mapped at all).
    assert_eq!(first["chartSent"], 4, "{seen}");
    assert_eq!(
        second["chartSaved"], 3,
        "the second copy's attributes were saved: {seen}"
    );
    assert_eq!(
        second["chartSent"], first["chartSent"],
        "and cost nothing more: {seen}"
    );
    assert_eq!(second["tableSaved"], second["chartSaved"], "{seen}");
    let ledger = braid.admin_get("/api/v1/delivery").await.1["ledger"].clone();
    assert_eq!(
        ledger["saved"]["attributes"], second["chartSaved"],
        "{ledger}"
    );
    assert_eq!(
        ledger["queued"]["attributes"], second["chartSent"],
        "{ledger}"
    );
    braid.stop().await;
}

#[tokio::test]
async fn dsr_and_settings_pages_show_the_trail_and_redact_secrets() {
    let (_sim, braid) = start_with_sim(braze_sim::SimConfig::default(), |c| {
        c.dsr.key = Some("dsr-key".into());
        c.dsr.secret = Some("dsr-secret-never-shown".into());
    })
    .await;
    send(&braid, &batch("dsr-1", "Hello")).await;
    braid.wait_processed().await;
    let id = "3f6c1a52-8a7e-4a4c-9d7e-2b1f0c9e5a11";
    let created = braid
        .client
        .post(format!("{}/v3/requests", braid.base))
        .basic_auth("dsr-key", Some("dsr-secret-never-shown"))
        .json(&json!({
            "regulation": "gdpr",
            "subject_request_id": id,
            "subject_request_type": "erasure",
            "submitted_time": "2026-11-29T10:00:00Z",
            "subject_identities": {"customer_id": {"value": "dsr-1", "encoding": "raw"}},
        }))
        .send()
        .await
        .unwrap();
    assert!(
        created.status().is_success(),
        "{}",
        created.text().await.unwrap()
    );
    let mut finished = false;
    for _ in 0..1200 {
        let trail = braid.admin_get("/api/v1/dsr/requests").await.1;
        if trail["requests"][0]["status"] == "completed" {
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(finished, "the erasure completed");
    let mut env = script_env(&braid);
    env.push(("DSR_ID", id.into()));
    let seen = run_script("console/pages.mjs", &env).await;
    let row = seen["dsrRow"].as_str().unwrap();
    assert!(
        row.contains("erasure") && row.contains("gdpr") && row.contains("completed"),
        "{seen}"
    );
    let settings = seen["settings"].as_str().unwrap();
    assert!(
        settings.contains("[console]") && settings.contains("<redacted>"),
        "{seen}"
    );
    for secret in [ADMIN_SECRET, SECRET, "sim-key", "dsr-secret-never-shown"] {
        assert!(
            !settings.contains(secret),
            "{secret} is shown in the settings"
        );
    }
    assert!(
        seen["phoneOverflow"].as_i64().unwrap() <= 0,
        "no sideways scrolling at 390 px: {seen}"
    );
    braid.stop().await;
}

#[tokio::test]
async fn a_disabled_console_serves_no_pages_and_bad_console_settings_are_named() {
    let braid = start_with(|c| c.console.enabled = false).await;
    let page = braid
        .client
        .get(format!("{}/login", braid.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    assert_eq!(
        braid.admin_get("/api/v1/delivery").await.0,
        200,
        "the admin API stays"
    );
    braid.stop().await;

    let mut config = braid_server::Config::default();
    config.console.session_minutes = 0;
    let err = config.validate().unwrap_err().to_string();
    assert_eq!(err, "console.session_minutes: must be at least 1");
}

#[tokio::test]
async fn console_pages_need_a_session_and_carry_a_strict_content_policy() {
    let (_sim, mut braid) = braid_with_sim().await;
    braid.client = redirect_free_client();
    for path in [
        "/",
        "/stream",
        "/users",
        "/audiences",
        "/dead-letters",
        "/dsr",
        "/settings",
    ] {
        let r = braid
            .client
            .get(format!("{}{path}", braid.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            303,
            "{path} sends a stranger to the sign-in page"
        );
        let location = r.headers()["location"].to_str().unwrap();
        assert!(location.starts_with("/login?next="), "{path}: {location}");
    }
    let events = braid
        .client
        .get(format!("{}/stream/events", braid.base))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 401);
    let login = braid
        .client
        .get(format!("{}/login", braid.base))
        .send()
        .await
        .unwrap();
    let policy = login.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'"));
    assert_eq!(login.headers()["x-frame-options"], "DENY");
    braid.stop().await;
}
