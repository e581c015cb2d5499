//! The real `@mparticle/web-sdk` (and the real Braze web kit) from npm, in Debian's
//! headless chromium, against a real braid on port 0 serving HTTPS with a certificate
//! generated here, and braze-sim behind it. `e2e/web-sdk/run.mjs` serves the page on
//! localhost and runs one scenario; this test checks what reached braid and braze-sim.

mod common;

use braid_server::config::{BrazeForwarding, Config, InputConfig, InputPlatform, TlsConfig};
use common::browser::run_script;
use common::*;
use serde_json::Value;

const WEB_KEY: &str = "browser-web-key";

/// A free local port for the page server (the origin braid must allow is known first).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Setup {
    sim: braze_sim::SimHandle,
    braid: TestBraid,
    page_port: u16,
    _certs: tempfile::TempDir,
}

async fn setup(edit: impl FnOnce(&mut Config, &str)) -> Setup {
    let page_port = free_port();
    let certs = tempfile::tempdir().unwrap();
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let cert_path = certs.path().join("cert.pem");
    let key_path = certs.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let origin = format!("http://localhost:{page_port}");
    let (sim, braid) = start_with_sim(braze_sim::SimConfig::default(), move |c| {
        c.server.tls = Some(TlsConfig {
            cert_path,
            key_path,
        });
        c.inputs.push(InputConfig {
            name: Some("web".into()),
            key: WEB_KEY.into(),
            platform: InputPlatform::Web,
            allowed_origins: vec![origin.clone()],
            ..InputConfig::default()
        });
        edit(c, &origin);
    })
    .await;
    Setup {
        sim,
        braid,
        page_port,
        _certs: certs,
    }
}

async fn run(setup: &Setup, scenario: &str) -> Value {
    let port = setup.braid.server.as_ref().unwrap().addr().port();
    run_script(
        "web-sdk/run.mjs",
        &[
            ("BRAID_PORT", port.to_string()),
            ("WEB_KEY", WEB_KEY.into()),
            ("PAGE_PORT", setup.page_port.to_string()),
            ("SCENARIO", scenario.into()),
        ],
    )
    .await
}

/// The admin API over the TLS listener (the harness's client speaks plain HTTP).
async fn admin_get(setup: &Setup, path: &str) -> (u16, Value) {
    let port = setup.braid.server.as_ref().unwrap().addr().port();
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let r = client
        .get(format!("https://127.0.0.1:{port}{path}"))
        .basic_auth(ADMIN_KEY, Some(ADMIN_SECRET))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn names(events: &[serde_json::Map<String, Value>]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn the_web_sdk_identifies_shops_retries_logs_in_and_out_modifies_and_aliases() {
    let setup = setup(|c, _| c.braze.forward_anonymous_as_alias = true).await;
    let seen = run(&setup, "shop").await;
    assert_eq!(seen["identify"]["httpCode"], 200, "{seen}");
    let u1 = seen["identify"]["mpid"]
        .as_str()
        .expect("an mpid")
        .to_string();
    assert!(
        seen["configFetches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == 200),
        "the SDK loaded its config from braid: {seen}"
    );
    assert_eq!(seen["pageErrors"], serde_json::json!([]), "{seen}");

    // The retry: braid committed the first attempt, the SDK saw 503 and sent it again.
    assert_eq!(seen["injected"][0]["braidStatus"], 202, "{seen}");
    // Login, logout, modify and alias all answered as the SDK expects.
    let anonymous = seen["logout"]["mpid"].as_str().unwrap().to_string();
    assert_ne!(anonymous, u1);
    assert_eq!(seen["logout"]["loggedIn"], false, "{seen}");
    assert_eq!(seen["loginBack"]["mpid"], u1.as_str(), "{seen}");
    assert_eq!(
        seen["loginBack"]["previousMpid"],
        anonymous.as_str(),
        "{seen}"
    );
    assert_eq!(seen["loginBack"]["loggedIn"], true, "{seen}");
    assert_eq!(seen["alias"]["httpCode"], 202, "{seen}");
    let u2 = seen["login2"]["mpid"].as_str().unwrap().to_string();
    assert_ne!(u2, u1);
    assert_eq!(seen["modify"]["httpCode"], 200, "{seen}");

    setup.braid.wait_delivered().await;
    let sim = setup.sim.state();
    let user1 = sim.user("web-u1").expect("web-u1 reached braze");
    let events = names(&user1.events);
    assert_eq!(
        events.iter().filter(|n| *n == "Retried Event").count(),
        1,
        "the retried batch is in braze once: {events:?}"
    );
    assert!(events.contains(&"Clicked Buy".to_string()), "{events:?}");
    assert!(
        events.contains(&"Anonymous Browse".to_string()),
        "the aliased anonymous history is the known user's in braze: {events:?}"
    );
    assert_eq!(user1.purchases.len(), 1, "{:?}", user1.purchases);
    assert_eq!(user1.purchases[0]["product_id"], "sku-1");
    assert_eq!(user1.purchases[0]["quantity"], 3);
    assert_eq!(user1.attributes["plan"], "gold");
    assert_eq!(
        user1.attributes.get("email"),
        Some(&Value::from("u1@example.com")),
        "{:?}",
        user1.attributes
    );
    assert!(
        sim.alias_user("mpid", &anonymous)
            .is_none_or(|p| p.external_id.as_deref() == Some("web-u1")),
        "the anonymous alias profile was identified into web-u1"
    );

    let user2 = sim.user("web-u2").expect("web-u2 reached braze");
    assert!(names(&user2.events).contains(&"As U2".to_string()));
    assert_eq!(seen["beaconQueued"], true, "{seen}");
    assert!(
        names(&user2.events).contains(&"Beacon Event".to_string()),
        "a navigator.sendBeacon batch is taken like any other: {:?}",
        user2.events
    );
    assert_eq!(
        user2.attributes["email"], "u2@example.com",
        "the modify's email"
    );

    // braid: one profile each; the anonymous one was merged away; the page view arrived.
    let (status, p1) = admin_get(&setup, &format!("/api/v1/profiles/mpid/{u1}")).await;
    assert_eq!(status, 200);
    assert_eq!(p1["identities"]["customer_id"], "web-u1");
    assert_eq!(
        admin_get(&setup, &format!("/api/v1/profiles/mpid/{anonymous}"))
            .await
            .0,
        404
    );
    let (_, p2) = admin_get(&setup, "/api/v1/profiles/customer_id/web-u2").await;
    assert_eq!(p2["mpid"].to_string().trim_matches('"'), u2);
    assert_eq!(p2["identities"]["email"], "u2@example.com");
    let metrics = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
        .get(format!(
            "https://127.0.0.1:{}/metrics",
            setup.braid.server.as_ref().unwrap().addr().port()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("braid_ingest_events_total{type=\"screen_view\"}"),
        "the page view reached braid"
    );
    assert!(
        metrics.contains("braid_ingest_duplicate_batches_total 1"),
        "the retry was a duplicate: {metrics}"
    );
    setup.braid.stop().await;
}

#[tokio::test]
async fn a_page_on_an_origin_braid_does_not_allow_gets_nothing_through() {
    let setup = setup(|_, _| {}).await;
    let seen = run(&setup, "refused").await;
    assert_ne!(seen["identify"]["httpCode"], 200, "{seen}");
    assert!(
        seen["pageFetch"]["error"].is_string(),
        "the page cannot read braid's answer: {seen}"
    );
    let uploads: Vec<&Value> = seen["braidCalls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["path"].as_str().unwrap().ends_with("/events"))
        .collect();
    assert!(uploads.is_empty(), "no batch without an mpid: {seen}");
    setup.braid.wait_processed().await;
    assert_eq!(
        admin_get(&setup, "/api/v1/profiles/customer_id/refused-1")
            .await
            .0,
        404
    );
    assert_eq!(setup.sim.state().stats().track_requests, 0);
    setup.braid.stop().await;
}

#[tokio::test]
async fn the_braze_kit_initialises_from_braids_config_and_braid_forwards_nothing() {
    let setup = setup(|c, _| {
        c.web.braze_kit.enabled = true;
        c.web.braze_kit.api_key = "braze-web-app-key".into();
        c.web.braze_kit.sdk_endpoint = Some("braze-sdk.test".into());
        for input in &mut c.inputs {
            if input.key == WEB_KEY {
                input.braze_forwarding = BrazeForwarding::Kit;
            }
        }
    })
    .await;
    let seen = run(&setup, "kit").await;
    assert_eq!(seen["identify"]["httpCode"], 200, "{seen}");
    assert_eq!(seen["brazeInitialised"], true, "{seen}");
    assert_eq!(
        seen["brazeUserId"], "kit-web-1",
        "the kit named the braze user: {seen}"
    );
    let requests = seen["brazeRequests"].as_array().unwrap();
    assert!(
        requests.iter().all(|r| r["url"]
            .as_str()
            .unwrap()
            .starts_with("https://braze-sdk.test/api/v3/")),
        "{seen}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r["body"].as_str().unwrap().contains("braze-web-app-key")),
        "the Braze SDK sends with the configured key: {seen}"
    );
    setup.braid.wait_delivered().await;
    let mpid = seen["identify"]["mpid"].as_str().unwrap();
    let (status, profile) = admin_get(&setup, &format!("/api/v1/profiles/mpid/{mpid}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        profile["attributes"]["plan"], "gold",
        "braid keeps the profile: {profile}"
    );
    assert_eq!(
        setup.sim.state().stats().track_requests,
        0,
        "braid sent nothing to braze itself"
    );
    assert!(setup.sim.state().user("kit-web-1").is_none());
    setup.braid.stop().await;
}
