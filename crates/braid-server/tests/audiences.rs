//! Audiences end to end: definitions from the config file and the admin API, real-time
//! evaluation on ingest, backfill, time-window expiry, clean-up, overflow, and what
//! reaches `braze-sim` in each of the seven "Send Segments As" forms.

mod common;

use braid_audiences::{Audience, SendSegmentsAs};
use braid_core::clock::now_ms;
use braid_server::config::Config;
use braze_sim::{SimConfig, SimHandle};
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

async fn with_sim(edit: impl FnOnce(&mut Config)) -> (SimHandle, TestBraid) {
    start_with_sim(SimConfig::default(), move |c| {
        c.delivery.max_linger_ms = 5;
        c.audiences.recheck_interval_ms = 100;
        edit(c);
    })
    .await
}

fn audience(value: Value) -> Audience {
    Audience::from_json(value).expect("valid audience")
}

/// "Gold" (101): plan is gold. "Buyers" (102): did `Buy` within 30 days.
fn gold_and_buyers() -> Vec<Audience> {
    vec![
        audience(json!({"id": 101, "name": "Gold",
            "criteria": {"attribute": {"key": "plan", "op": "equals", "value": "GOLD"}}})),
        audience(json!({"id": 102, "name": "Buyers",
            "criteria": {"event": {"name": "buy", "within_days": 30}}})),
    ]
}

fn plan(customer_id: &str, plan: &str) -> Value {
    json!({"user_identities": {"customer_id": customer_id}, "user_attributes": {"plan": plan}, "events": []})
}

fn event(customer_id: &str, name: &str, ts_ms: i64) -> Value {
    json!({"user_identities": {"customer_id": customer_id},
        "events": [{"event_type": "custom_event", "data": {"event_name": name, "custom_event_type": "other",
            "timestamp_unixtime_ms": ts_ms}}]})
}

async fn send(braid: &TestBraid, body: Value) {
    let (status, answer) = braid.post("/v2/events", &body).await;
    assert_eq!(status, 202, "{answer}");
    braid.wait_delivered().await;
}

/// Wait for an audience job to finish, then for its writes to reach Braze.
async fn wait_job(braid: &TestBraid, job: u64) -> Value {
    for _ in 0..400 {
        let (status, body) = braid
            .admin(
                reqwest::Method::GET,
                &format!("/api/v1/audiences/jobs/{job}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        if body["done"] == true {
            braid.wait_delivered().await;
            return body;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("audience job {job} did not finish");
}

/// Wait until Braze's view of a user satisfies `check`.
async fn wait_braze(
    sim: &SimHandle,
    external_id: &str,
    what: &str,
    check: impl Fn(&serde_json::Map<String, Value>) -> bool,
) {
    for _ in 0..400 {
        if let Some(user) = sim.state().user(external_id) {
            if check(&user.attributes) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let seen = sim.state().user(external_id).map(|u| u.attributes);
    panic!("braze never showed {what} for {external_id}; it has {seen:?}");
}

/// The membership attributes Braze holds for a user, by form.
fn membership(sim: &SimHandle, external_id: &str) -> (Value, Value, Value, Value) {
    let user = sim.state().user(external_id).expect("user in braze");
    let a = &user.attributes;
    let get = |k: &str| a.get(k).cloned().unwrap_or(Value::Null);
    (
        get("SegmentMembership"),
        get("SegmentMembershipArray"),
        get("In Gold"),
        get("In Buyers"),
    )
}

#[tokio::test]
async fn each_send_segments_as_form_tracks_entering_leaving_and_reentering() {
    for form in SendSegmentsAs::ALL {
        let (sim, braid) = with_sim(|c| {
            c.audiences.send_segments_as = form;
            c.audiences.definitions = gold_and_buyers();
        })
        .await;
        let label = form.label();
        let expect = |string: &str, array: &[&str], gold: Option<bool>, buyers: Option<bool>| {
            let (s, a, g, b) = membership(&sim, "u1");
            let absent = Value::Null;
            assert_eq!(
                s,
                if form.string {
                    json!(string)
                } else {
                    absent.clone()
                },
                "{label}: SegmentMembership"
            );
            assert_eq!(
                a,
                if form.array {
                    json!(array)
                } else {
                    absent.clone()
                },
                "{label}: SegmentMembershipArray"
            );
            let flag = |f: Option<bool>| match (form.per_segment, f) {
                (true, Some(v)) => json!(v),
                _ => absent.clone(),
            };
            assert_eq!(g, flag(gold), "{label}: In Gold");
            assert_eq!(b, flag(buyers), "{label}: In Buyers");
        };

        send(&braid, plan("u1", "gold")).await;
        expect("101", &["101"], Some(true), None);

        send(&braid, event("u1", "Buy", now_ms())).await;
        expect("101,102", &["101", "102"], Some(true), Some(true));

        send(&braid, plan("u1", "silver")).await;
        expect("102", &["102"], Some(false), Some(true));

        send(&braid, plan("u1", "Gold")).await;
        expect("101,102", &["101", "102"], Some(true), Some(true));

        // braid's profile agrees.
        let (status, profile) = braid.admin_get("/api/v1/profiles/customer_id/u1").await;
        assert_eq!(status, 200);
        let ids: Vec<&str> = profile["audiences"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(ids, ["101", "102"], "{label}");
        braid.stop().await;
    }
}

#[tokio::test]
async fn an_unchanged_membership_costs_nothing() {
    let (sim, braid) = with_sim(|c| {
        c.audiences.send_segments_as = SendSegmentsAs::new(true, true, true);
        c.audiences.definitions = gold_and_buyers();
    })
    .await;
    send(&braid, plan("u1", "gold")).await;
    let before = sim.state().user("u1").unwrap().data_points;
    // Another Gold-preserving change: the `plan` attribute itself is unchanged, and the
    // membership did not move, so no attribute is written at all.
    send(&braid, plan("u1", "gold")).await;
    send(&braid, json!({"user_identities": {"customer_id": "u1"}, "user_attributes": {"plan": "gold", "tier": 2}})).await;
    let after = sim.state().user("u1").unwrap().data_points;
    assert_eq!(
        after.attributes - before.attributes,
        1,
        "only `tier` was billed"
    );
    braid.stop().await;
}

#[tokio::test]
async fn users_without_an_external_id_get_no_membership_in_braze() {
    let (sim, braid) = with_sim(|c| {
        c.audiences.send_segments_as = SendSegmentsAs::new(true, true, true);
        c.audiences.definitions = gold_and_buyers();
    })
    .await;
    let anonymous = json!({"user_identities": {"email": "anon@example.com"}, "user_attributes": {"plan": "gold"}});
    send(&braid, anonymous).await;
    assert_eq!(
        sim.state().stats().track_requests,
        0,
        "nothing reached braze"
    );
    // braid still knows the membership, and says why it was not sent.
    let (_, profile) = braid
        .admin_get("/api/v1/profiles/email/anon@example.com")
        .await;
    assert!(profile["audiences"].get("101").is_some(), "{profile}");
    let metrics = braid.metrics().await;
    assert!(
        metrics.lines().any(
            |l| l.starts_with("braid_audience_skipped_no_external_id_total") && !l.ends_with(" 0")
        ),
        "{metrics}"
    );
    braid.stop().await;
}

#[tokio::test]
async fn alias_forwarding_gives_anonymous_users_their_membership() {
    let (sim, braid) = with_sim(|c| {
        c.audiences.definitions = gold_and_buyers();
        c.braze.forward_anonymous_as_alias = true;
    })
    .await;
    send(&braid, json!({"user_identities": {"email": "anon@example.com"}, "user_attributes": {"plan": "gold"}})).await;
    let (_, profile) = braid
        .admin_get("/api/v1/profiles/email/anon@example.com")
        .await;
    let mpid = profile["mpid"].to_string();
    let alias = sim
        .state()
        .alias_user("mpid", &mpid)
        .expect("alias profile in braze");
    assert_eq!(alias.attributes["SegmentMembership"], "101");
    braid.stop().await;
}

#[tokio::test]
async fn over_the_array_limit_the_most_recent_memberships_are_kept_and_counted() {
    let definitions: Vec<Audience> = (1..=5)
        .map(|i| {
            audience(json!({"id": i, "name": format!("A{i}"),
            "criteria": {"attribute": {"key": format!("a{i}"), "op": "exists"}}}))
        })
        .collect();
    let (sim, braid) = with_sim(move |c| {
        c.audiences.send_segments_as = SendSegmentsAs::ARRAY;
        c.audiences.max_array_len = 3;
        c.audiences.definitions = definitions;
    })
    .await;
    for i in 1..=5 {
        send(&braid, json!({"user_identities": {"customer_id": "u1"}, "user_attributes": {format!("a{i}"): true}})).await;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let (_, array, _, _) = membership(&sim, "u1");
    assert_eq!(
        array,
        json!(["3", "4", "5"]),
        "the three most recently joined"
    );
    let metrics = braid.metrics().await;
    assert!(
        metrics.lines().any(
            |l| l.starts_with("braid_audience_membership_truncated_total")
                && l.contains("audience=\"1\"")
                && l.contains("form=\"array\"")
        ),
        "{metrics}"
    );
    braid.stop().await;
}

#[tokio::test]
async fn over_255_characters_the_string_keeps_the_most_recent_audiences() {
    // 19-digit ids: 13 of them (with commas) pass 255 characters.
    let base: u64 = 1_000_000_000_000_000_000;
    let definitions: Vec<Audience> = (0..14u64)
        .map(|i| {
            audience(json!({"id": base + i, "name": format!("L{i}"),
            "criteria": {"attribute": {"key": "level", "op": "gte", "value": i}}}))
        })
        .collect();
    let (sim, braid) = with_sim(move |c| {
        c.audiences.definitions = definitions;
    })
    .await;
    send(
        &braid,
        json!({"user_identities": {"customer_id": "u1"}, "user_attributes": {"level": 20}}),
    )
    .await;
    let (string, _, _, _) = membership(&sim, "u1");
    let text = string.as_str().unwrap();
    assert!(text.len() <= 255, "{} characters", text.len());
    assert_eq!(text.split(',').count(), 12, "{text}");
    assert!(!text.is_empty());
    braid.stop().await;
}

#[tokio::test]
async fn a_sliding_window_expires_membership_without_a_new_event() {
    let (sim, braid) = with_sim(|c| {
        c.audiences.send_segments_as = SendSegmentsAs::PER_SEGMENT;
        c.audiences.definitions = vec![audience(json!({"id": 7, "name": "Recent",
            "criteria": {"event": {"name": "Visit", "within_days": 1}}}))];
    })
    .await;
    // The visit happened a day ago less two seconds: it ages out of the window in two.
    let day = 86_400_000;
    send(&braid, event("u1", "Visit", now_ms() - day + 2_000)).await;
    assert_eq!(membership_flag(&sim, "u1", "In Recent"), json!(true));
    wait_braze(&sim, "u1", "In Recent = false", |a| {
        a.get("In Recent") == Some(&json!(false))
    })
    .await;
    let (_, profile) = braid.admin_get("/api/v1/profiles/customer_id/u1").await;
    assert!(profile.get("audiences").is_none(), "{profile}");
    braid.stop().await;
}

fn membership_flag(sim: &SimHandle, external_id: &str, key: &str) -> Value {
    sim.state()
        .user(external_id)
        .and_then(|u| u.attributes.get(key).cloned())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn an_audience_created_at_run_time_is_backfilled_with_progress() {
    let (sim, braid) =
        with_sim(|c| c.audiences.send_segments_as = SendSegmentsAs::new(true, false, true)).await;
    for i in 0..30 {
        send(
            &braid,
            plan(&format!("u{i}"), if i % 3 == 0 { "gold" } else { "free" }),
        )
        .await;
    }
    let (status, created) = braid.admin(reqwest::Method::POST, "/api/v1/audiences",
        Some(json!({"id": 101, "name": "Gold", "criteria": {"attribute": {"key": "plan", "op": "equals", "value": "gold"}}}))).await;
    assert_eq!(status, 201, "{created}");
    let job = created["job"]["id"].as_u64().expect("backfill job");
    let done = wait_job(&braid, job).await;
    assert_eq!(done["processed"], 30);
    assert_eq!(done["changed"], 10);
    assert_eq!(done["progress"], 1.0);
    for i in 0..30 {
        let id = format!("u{i}");
        let expected = if i % 3 == 0 { json!(true) } else { Value::Null };
        assert_eq!(membership_flag(&sim, &id, "In Gold"), expected, "{id}");
    }
    // A duplicate id is a conflict; a bad definition names the field.
    let (status, body) = braid
        .admin(
            reqwest::Method::POST,
            "/api/v1/audiences",
            Some(json!({"id": 101, "name": "Again", "criteria": {"identity": "email"}})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = braid.admin(reqwest::Method::POST, "/api/v1/audiences",
        Some(json!({"id": 5, "name": "Bad", "criteria": {"attribute": {"key": "plan", "op": "resembles", "value": 1}}}))).await;
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("criteria.attribute.op"),
        "{body}"
    );
    braid.stop().await;
}

#[tokio::test]
async fn deleting_without_cleanup_leaves_braze_as_it_was() {
    let (sim, braid) = with_sim(|c| {
        c.audiences.send_segments_as = SendSegmentsAs::new(true, false, true);
        c.audiences.definitions = gold_and_buyers();
    })
    .await;
    send(&braid, plan("u1", "gold")).await;
    let requests_before = sim.state().stats().track_requests;
    let (status, body) = braid
        .admin(reqwest::Method::DELETE, "/api/v1/audiences/101", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["job"].is_null());
    braid.wait_delivered().await;
    assert_eq!(
        sim.state().stats().track_requests,
        requests_before,
        "nothing was sent"
    );
    assert_eq!(
        membership_flag(&sim, "u1", "In Gold"),
        json!(true),
        "braze keeps the attribute"
    );
    let (status, _) = braid
        .admin(reqwest::Method::GET, "/api/v1/audiences/101", None)
        .await;
    assert_eq!(status, 404);
    // Later changes no longer list it.
    send(&braid, event("u1", "Buy", now_ms())).await;
    assert_eq!(
        membership_flag(&sim, "u1", "SegmentMembership"),
        json!("102")
    );
    braid.stop().await;
}

#[tokio::test]
async fn deleting_with_cleanup_takes_every_member_out_of_braze_first() {
    let (sim, braid) = with_sim(|c| {
        c.audiences.send_segments_as = SendSegmentsAs::new(true, true, true);
        c.audiences.definitions = gold_and_buyers();
    })
    .await;
    for i in 0..5 {
        send(&braid, plan(&format!("u{i}"), "gold")).await;
    }
    send(&braid, event("u0", "Buy", now_ms())).await;
    assert_eq!(
        membership_flag(&sim, "u0", "SegmentMembership"),
        json!("101,102")
    );
    let (status, body) = braid
        .admin(
            reqwest::Method::DELETE,
            "/api/v1/audiences/101?cleanup=true",
            None,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let done = wait_job(&braid, body["job"]["id"].as_u64().unwrap()).await;
    assert_eq!(done["changed"], 5);
    for i in 0..5 {
        let id = format!("u{i}");
        assert_eq!(membership_flag(&sim, &id, "In Gold"), json!(false), "{id}");
    }
    assert_eq!(
        membership_flag(&sim, "u0", "SegmentMembership"),
        json!("102")
    );
    assert_eq!(
        membership_flag(&sim, "u0", "SegmentMembershipArray"),
        json!(["102"])
    );
    assert_eq!(membership_flag(&sim, "u1", "SegmentMembership"), json!(""));
    let (status, _) = braid
        .admin(reqwest::Method::GET, "/api/v1/audiences/101", None)
        .await;
    assert_eq!(status, 404, "the audience is gone once cleaned up");
    braid.stop().await;
}

#[tokio::test]
async fn deactivating_with_cleanup_keeps_the_audience_inactive() {
    let (sim, braid) = with_sim(|c| {
        c.audiences.send_segments_as = SendSegmentsAs::PER_SEGMENT;
        c.audiences.definitions = gold_and_buyers();
    })
    .await;
    send(&braid, plan("u1", "gold")).await;
    let (status, body) = braid
        .admin(
            reqwest::Method::POST,
            "/api/v1/audiences/101/deactivate?cleanup=true",
            None,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    wait_job(&braid, body["job"]["id"].as_u64().unwrap()).await;
    assert_eq!(membership_flag(&sim, "u1", "In Gold"), json!(false));
    let (_, audience) = braid
        .admin(reqwest::Method::GET, "/api/v1/audiences/101", None)
        .await;
    assert_eq!(audience["state"], "inactive");
    // An inactive audience is not evaluated.
    send(&braid, plan("u2", "gold")).await;
    assert_eq!(membership_flag(&sim, "u2", "In Gold"), Value::Null);
    braid.stop().await;
}

#[tokio::test]
async fn audiences_created_at_run_time_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let start = |path: std::path::PathBuf| async move {
        let mut config = test_config(&path);
        config.delivery.dry_run_path = Some(path.join("dry-run.jsonl"));
        let server = braid_server::Server::start(config).await.expect("starts");
        let base = format!("http://{}", server.addr());
        (server, base)
    };
    let (server, base) = start(path.clone()).await;
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/api/v1/audiences"))
        .basic_auth(ADMIN_KEY, Some(ADMIN_SECRET))
        .json(&json!({"id": 9, "name": "Emailable", "criteria": {"identity": "email"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    server.shutdown().await;
    let (server, base) = start(path).await;
    let r = client
        .get(format!("{base}/api/v1/audiences/9"))
        .basic_auth(ADMIN_KEY, Some(ADMIN_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["name"], "Emailable");
    server.shutdown().await;
}

#[tokio::test]
async fn the_check_warns_which_forms_would_overflow() {
    let (_sim, braid) = with_sim(|c| {
        c.audiences.max_array_len = 2;
        c.audiences.definitions = gold_and_buyers();
    })
    .await;
    send(&braid, plan("u1", "gold")).await;
    send(&braid, event("u1", "Buy", now_ms())).await;
    send(&braid, plan("u2", "gold")).await;
    // Current memberships fit; one more audience would push u1 over the array limit.
    let (status, body) = braid
        .admin(
            reqwest::Method::POST,
            "/api/v1/audiences/check",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["users"], 2);
    assert_eq!(body["configured_form_users_overflowing"], 0);
    let trial = json!({"definitions": [{"id": 103, "name": "Everyone", "criteria": {"identity": "customer_id"}}]});
    let (status, body) = braid
        .admin(
            reqwest::Method::POST,
            "/api/v1/audiences/check",
            Some(trial),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let by_label = |label: &str| {
        body["forms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["label"] == label)
            .unwrap()["users_overflowing"]
            .clone()
    };
    assert_eq!(by_label("Single array attribute"), 1);
    assert_eq!(by_label("Single string attribute"), 0);
    assert_eq!(by_label("One attribute per segment"), 0);
    // Nothing was stored by the check.
    let (status, _) = braid
        .admin(reqwest::Method::GET, "/api/v1/audiences/103", None)
        .await;
    assert_eq!(status, 404);
    braid.stop().await;
}

#[tokio::test]
async fn the_cli_creates_with_a_backfill_and_warns_before_sync() {
    let (_sim, braid) = with_sim(|c| c.audiences.max_array_len = 1).await;
    for i in 0..4 {
        send(&braid, plan(&format!("u{i}"), "gold")).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("braid.toml");
    std::fs::write(
        &config,
        format!("[admin]\nkey = \"{ADMIN_KEY}\"\nsecret = \"{ADMIN_SECRET}\"\n"),
    )
    .unwrap();
    let definitions = dir.path().join("gold.json");
    std::fs::write(&definitions, json!([
        {"id": 101, "name": "Gold", "criteria": {"attribute": {"key": "plan", "op": "equals", "value": "gold"}}},
        {"id": 102, "name": "Customers", "criteria": {"identity": "customer_id"}}
    ]).to_string()).unwrap();
    let cli = |args: Vec<String>| {
        let base = braid.base.clone();
        let config = config.clone();
        async move {
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_braid"))
                .arg("audiences")
                .args(&args)
                .arg("--url")
                .arg(base)
                .arg("--config")
                .arg(config)
                .output()
                .await
                .expect("braid runs");
            let stdout = String::from_utf8_lossy(&out.stdout).to_string();
            assert!(
                out.status.success(),
                "{args:?}: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            stdout
        }
    };
    // Before any sync: with both audiences every user would overflow a one-item array.
    let check = cli(vec![
        "check".into(),
        "--file".into(),
        definitions.display().to_string(),
    ])
    .await;
    assert!(check.contains("checked 4 profiles"), "{check}");
    assert!(
        check.contains("warning: Single array attribute: 4 users would overflow"),
        "{check}"
    );
    assert!(
        check.contains("ok: Single string attribute (configured): no user overflows"),
        "{check}"
    );
    // Create: each backfill is followed to the end.
    let created = cli(vec![
        "create".into(),
        "--file".into(),
        definitions.display().to_string(),
    ])
    .await;
    assert!(
        created.contains("audience 101 \"Gold\" created"),
        "{created}"
    );
    assert!(
        created.contains("done: 4 of 4 profiles changed"),
        "{created}"
    );
    let (_, profile) = braid.admin_get("/api/v1/profiles/customer_id/u0").await;
    assert_eq!(
        profile["audiences"].as_object().unwrap().len(),
        2,
        "{profile}"
    );
    // A bad id is refused with the server's reason.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_braid"))
        .args([
            "audiences",
            "delete",
            "999",
            "--url",
            &braid.base,
            "--config",
        ])
        .arg(&config)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("audience 999 does not exist"));
    braid.stop().await;
}

#[tokio::test]
async fn a_backfill_stopped_by_a_restart_resumes_where_it_stopped() {
    let sim = braze_sim::start(SimConfig::default()).expect("sim starts");
    let dir = tempfile::tempdir().unwrap();
    let config = {
        let mut c = test_config(dir.path());
        c.delivery.instance = sim.base_url().parse().unwrap();
        c.delivery.rest_api_key = Some("sim-key".into());
        c.audiences.send_segments_as = SendSegmentsAs::PER_SEGMENT;
        c.audiences.job_chunk = 1;
        c
    };
    let server = braid_server::Server::start(config.clone()).await.unwrap();
    let braid = TestBraid {
        server: Some(server),
        base: String::new(),
        client: reqwest::Client::new(),
        dir: tempfile::tempdir().unwrap(),
    };
    let base = format!("http://{}", braid.server.as_ref().unwrap().addr());
    let braid = TestBraid { base, ..braid };
    let bulk: Vec<Value> = (0..300).map(|i| plan(&format!("u{i}"), "gold")).collect();
    for chunk in bulk.chunks(100) {
        let (status, body) = braid.post("/v2/bulkevents", &json!(chunk)).await;
        assert_eq!(status, 202, "{body}");
    }
    braid.wait_delivered().await;
    let (status, created) = braid.admin(reqwest::Method::POST, "/api/v1/audiences",
        Some(json!({"id": 101, "name": "Gold", "criteria": {"attribute": {"key": "plan", "op": "equals", "value": "gold"}}}))).await;
    assert_eq!(status, 201, "{created}");
    let job = created["job"]["id"].as_u64().unwrap();
    // Stop while the backfill (one profile per transaction) is under way.
    braid.stop().await;
    let server = braid_server::Server::start(config).await.unwrap();
    let braid = TestBraid {
        base: format!("http://{}", server.addr()),
        server: Some(server),
        client: reqwest::Client::new(),
        dir: tempfile::tempdir().unwrap(),
    };
    let done = wait_job(&braid, job).await;
    assert_eq!(done["changed"], 300, "{done}");
    for i in 0..300 {
        assert_eq!(
            membership_flag(&sim, &format!("u{i}"), "In Gold"),
            json!(true),
            "u{i}"
        );
    }
    assert_eq!(sim.state().stats().objects_rejected, 0);
    braid.stop().await;
}
