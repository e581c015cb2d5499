//! Data subject requests end to end: the real server, the real store files and the real
//! `braze-sim` over HTTP. What an erasure leaves behind (in Braze and on disk), cancel,
//! duplicates, both identity forms, access results, signed callbacks, and a Braze outage
//! during the forward.

mod common;

use braid_server::config::Config;
use braze_sim::{Faults, SimConfig, SimHandle};
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const DSR_KEY: &str = "dsr-test";
const DSR_SECRET: &str = "dsr-secret-123";

fn with_dsr(c: &mut Config) {
    c.dsr.key = Some(DSR_KEY.into());
    c.dsr.secret = Some(DSR_SECRET.into());
}

async fn with_sim(edit: impl FnOnce(&mut Config) + Send + 'static) -> (SimHandle, TestBraid) {
    let sim = SimConfig {
        request_log_capacity: 100_000,
        ..SimConfig::default()
    };
    start_with_sim(sim, move |c| {
        with_dsr(c);
        edit(c);
    })
    .await
}

async fn dsr_send(
    braid: &TestBraid,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = braid
        .client
        .request(method, format!("{}{}", braid.base, path))
        .basic_auth(DSR_KEY, Some(DSR_SECRET));
    if let Some(body) = body {
        req = req.json(body);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap_or_default().to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, json, headers, bytes)
}

async fn create(braid: &TestBraid, body: &Value) -> (u16, Value) {
    let (status, json, _, _) =
        dsr_send(braid, reqwest::Method::POST, "/v3/requests", Some(body)).await;
    (status, json)
}

async fn request_status(braid: &TestBraid, id: &str) -> Value {
    let (status, json, _, _) = dsr_send(
        braid,
        reqwest::Method::GET,
        &format!("/v3/requests/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{json}");
    json
}

/// Poll a request's status until `done` holds for it.
async fn wait_for(braid: &TestBraid, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..1200 {
        let status = request_status(braid, id).await;
        if done(&status) {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "request {id} never reached the expected state: {}",
        request_status(braid, id).await
    );
}

fn completed(s: &Value) -> bool {
    s["request_status"] == "completed"
}

fn erasure(id: &str, identities: Value) -> Value {
    json!({
        "regulation": "gdpr",
        "subject_request_id": id,
        "subject_request_type": "erasure",
        "submitted_time": "2026-11-29T10:00:00Z",
        "subject_identities": identities,
    })
}

fn person_batch(customer_id: &str, email: &str) -> Value {
    json!({
        "user_identities": {"customer_id": customer_id, "email": email},
        "user_attributes": {"$FirstName": "Erin", "plan": "gold"},
        "events": [
            {"event_type": "custom_event", "data": {"event_name": "Viewed Plan", "custom_event_type": "other"}},
            {"event_type": "custom_event", "data": {"event_name": "Upgraded", "custom_event_type": "other"}}
        ]
    })
}

/// Whether any file in `dir` contains `needle`.
fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

fn mentions(body: &Value, needle: &str) -> bool {
    body.to_string().contains(needle)
}

#[tokio::test]
async fn erasure_of_a_user_with_queued_events_leaves_braze_only_a_delete_and_no_bytes_on_disk() {
    let (sim, braid) = with_sim(|c| {
        c.audiences.definitions = serde_json::from_value(json!([{
            "id": 7, "name": "Gold plan",
            "criteria": {"attribute": {"key": "plan", "op": "equals", "value": "gold"}}
        }]))
        .expect("audience definition");
    })
    .await;
    let gone = "erase-me-7731";
    let gone_email = "erase.me.7731@example.com";
    let kept = "keep-me-4410";
    // Braze is down: everything braid accepts stays queued, the requests being retried.
    sim.set_faults(Faults {
        status_5xx_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        braid
            .post("/v2/events", &person_batch(gone, gone_email))
            .await
            .0,
        202
    );
    assert_eq!(
        braid
            .post("/v2/events", &person_batch(kept, "kept@example.com"))
            .await
            .0,
        202
    );
    braid.wait_processed().await;
    let (code, profile) = braid
        .admin_get(&format!("/api/v1/profiles/customer_id/{gone}"))
        .await;
    assert_eq!(code, 200, "{profile}");
    let mpid = profile["mpid"].as_i64().expect("mpid").to_string();
    assert!(
        profile["audiences"].get("7").is_some(),
        "a member of the audience: {profile}"
    );

    let id = "6b4c3f0e-1f6a-4f43-9a57-3c1f0de2a001";
    // mParticle v3's identity map.
    let (code, created) = create(
        &braid,
        &erasure(
            id,
            json!({"email": {"value": gone_email, "encoding": "raw"}}),
        ),
    )
    .await;
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["subject_request_id"], id);

    // The local erasure happens while Braze is still down; the delete waits for it.
    let waiting = wait_for(&braid, id, |s| {
        s["request_status"] == "in_progress" && s["destinations"][0]["external_ids"] == 1
    })
    .await;
    assert_eq!(waiting["destinations"][0]["status"], "pending");
    let (code, _) = braid
        .admin_get(&format!("/api/v1/profiles/customer_id/{gone}"))
        .await;
    assert_eq!(code, 404, "the profile is gone from braid");
    let (code, _) = braid
        .admin_get(&format!("/api/v1/profiles/mpid/{mpid}"))
        .await;
    assert_eq!(code, 404);
    let seen_before = sim.state().requests(100_000).len();

    sim.set_faults(Faults::default());
    let done = wait_for(&braid, id, completed).await;
    assert_eq!(done["destinations"][0]["status"], "sent", "{done}");
    braid.wait_delivered().await;

    assert_eq!(sim.state().stats().deletes, vec![gone.to_string()]);
    assert!(
        sim.state().user(gone).is_none(),
        "braze holds nothing about the erased user"
    );
    let requests = sim.state().requests(100_000);
    for request in &requests[seen_before..] {
        assert!(
            !mentions(&request.body, gone) && !mentions(&request.body, gone_email),
            "sent to braze after the erasure: {}",
            request.body
        );
    }
    for request in requests.iter().filter(|r| r.status == Some(201)) {
        assert!(
            !mentions(&request.body, gone),
            "applied by braze: {}",
            request.body
        );
    }
    let keeper = sim
        .state()
        .user(kept)
        .expect("the other user still reached braze");
    assert_eq!(keeper.attributes["plan"], "gold");
    assert_eq!(keeper.events.len(), 2);

    // Nothing on disk: profile, identities, history, sent state, log, request record.
    let dir = braid.dir.path().to_path_buf();
    assert_eq!(files_containing(&dir, gone_email), Vec::<String>::new());
    assert_eq!(files_containing(&dir, gone), Vec::<String>::new());
    assert!(
        !files_containing(&dir, kept).is_empty(),
        "the scan does see live data"
    );

    // The audit trail keeps the request, without personal data.
    let (code, trail) = braid.admin_get("/api/v1/dsr/requests").await;
    assert_eq!(code, 200);
    let entry = &trail["requests"][0];
    assert_eq!(entry["id"], id);
    assert_eq!(entry["status"], "completed");
    assert_eq!(entry["local"]["profiles"], 1);
    assert_eq!(entry["local"]["history_events"], 2);
    assert!(
        !mentions(&trail, gone) && !mentions(&trail, gone_email),
        "{trail}"
    );

    // The same person comes back: a fresh profile, nothing resurrected.
    let again = json!({"user_identities": {"customer_id": gone},
        "events": [{"event_type": "custom_event", "data": {"event_name": "Returned", "custom_event_type": "other"}}]});
    assert_eq!(braid.post("/v2/events", &again).await.0, 202);
    braid.wait_delivered().await;
    let (code, fresh) = braid
        .admin_get(&format!("/api/v1/profiles/customer_id/{gone}"))
        .await;
    assert_eq!(code, 200);
    assert_ne!(fresh["mpid"].as_i64().unwrap().to_string(), mpid);
    assert_eq!(fresh["attributes"], json!({}), "{fresh}");
    assert!(
        fresh.get("audiences").is_none(),
        "no membership comes back: {fresh}"
    );
    assert!(fresh["identities"].get("email").is_none(), "{fresh}");
    let back = sim
        .state()
        .user(gone)
        .expect("the new profile reaches braze");
    assert!(
        back.attributes.get("first_name").is_none(),
        "{:?}",
        back.attributes
    );
    assert!(back.attributes.get("plan").is_none());
    assert_eq!(back.events.len(), 1);
    braid.stop().await;
}

#[tokio::test]
async fn pending_request_can_be_cancelled_and_duplicates_get_409() {
    let (_sim, braid) = with_sim(|c| c.dsr.processing_delay_ms = 600_000).await;
    let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    // OpenDSR's identity list.
    let body = erasure(
        id,
        json!([{"identity_type": "controller_customer_id", "identity_value": "c-1", "identity_format": "raw"}]),
    );
    assert_eq!(create(&braid, &body).await.0, 201);
    assert_eq!(
        request_status(&braid, id).await["request_status"],
        "pending"
    );

    let (code, conflict) = create(&braid, &body).await;
    assert_eq!(code, 409, "same subject_request_id: {conflict}");
    assert_eq!(conflict["error"]["code"], 409);
    let other = erasure(
        "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        json!({"customer_id": {"value": "c-1", "encoding": "raw"}}),
    );
    let (code, conflict) = create(&braid, &other).await;
    assert_eq!(
        code, 409,
        "same person, same type, still in flight: {conflict}"
    );

    let (code, answer, _, _) = dsr_send(
        &braid,
        reqwest::Method::DELETE,
        &format!("/v3/requests/{id}"),
        None,
    )
    .await;
    assert_eq!(code, 202, "{answer}");
    assert_eq!(answer["subject_request_id"], id);
    let status = request_status(&braid, id).await;
    assert_eq!(status["request_status"], "cancelled");
    assert_eq!(status["destinations"][0]["status"], "skipped");

    // Once the first is cancelled, the same person can be asked for again.
    assert_eq!(create(&braid, &other).await.0, 201);
    let (code, _, _, _) = dsr_send(
        &braid,
        reqwest::Method::DELETE,
        "/v3/requests/00000000-0000-4000-8000-000000000000",
        None,
    )
    .await;
    assert_eq!(code, 404);
    braid.stop().await;
}

#[tokio::test]
async fn bad_requests_get_opendsr_errors_naming_the_field() {
    let braid = start_with(with_dsr).await;
    let (code, body) = create(
        &braid,
        &json!({"subject_request_id": "not-a-uuid", "subject_request_type": "erasure",
            "submitted_time": "2026-11-29T10:00:00Z", "subject_identities": {"email": {"value": "a@b.c"}}}),
    )
    .await;
    assert_eq!(code, 400);
    assert_eq!(body["error"]["code"], 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("subject_request_id:"),
        "{body}"
    );
    assert_eq!(body["error"]["errors"][0]["reason"], "Validation");

    let r = braid
        .client
        .post(format!("{}/v3/requests", braid.base))
        .basic_auth(KEY, Some(SECRET))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        403,
        "ingest credentials do not open the DSR API"
    );
    braid.stop().await;
}

#[tokio::test]
async fn access_request_by_hashed_email_returns_profile_identities_and_history() {
    use sha2::Digest;
    let braid = start_with(with_dsr).await;
    assert_eq!(
        braid
            .post(
                "/v2/events",
                &person_batch("acc-1", "Access.Me@example.com")
            )
            .await
            .0,
        202
    );
    braid.wait_processed().await;
    let hashed: String = sha2::Sha256::digest(b"access.me@example.com")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let id = "3d6f4d1e-6f7b-4e59-8d3f-2a1b0c9d8e7f";
    let (code, created) = create(
        &braid,
        &json!({"subject_request_id": id, "subject_request_type": "access", "regulation": "ccpa",
            "submitted_time": "2026-11-29T10:00:00Z",
            "subject_identities": [{"identity_type": "email", "identity_value": hashed, "identity_format": "sha256"}]}),
    )
    .await;
    assert_eq!(code, 201, "{created}");
    let done = wait_for(&braid, id, completed).await;
    assert_eq!(done["destinations"][0]["status"], "skipped");
    assert_eq!(done["results_count"], 1);
    let url = done["results_url"].as_str().expect("results_url");
    let path = url
        .strip_prefix(&braid.base)
        .expect("results on this server");
    let (code, result, _, _) = dsr_send(&braid, reqwest::Method::GET, path, None).await;
    assert_eq!(code, 200, "{result}");
    let person = &result["profiles"][0];
    assert_eq!(person["profile"]["identities"]["customer_id"], "acc-1");
    assert_eq!(person["profile"]["attributes"]["plan"], "gold");
    let history = person["event_history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{person}");
    assert!(mentions(&person["event_history"], "Upgraded"), "{person}");
    assert_eq!(person["last_sent_to_braze"]["attributes"]["plan"], "gold");
    braid.stop().await;
}

/// Records the callbacks a controller receives.
async fn callback_receiver() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(axum::http::HeaderMap, Vec<u8>)>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send((headers, body.to_vec()));
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/callback"), rx)
}

fn verifying_key(pem: &str) -> rsa::pkcs1v15::VerifyingKey<sha2::Sha256> {
    use rsa::pkcs8::DecodePublicKey;
    use x509_cert::der::{DecodePem, Encode};
    let cert = x509_cert::Certificate::from_pem(pem.as_bytes()).expect("a PEM certificate");
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .expect("spki");
    let public = rsa::RsaPublicKey::from_public_key_der(&spki).expect("an RSA key");
    rsa::pkcs1v15::VerifyingKey::new(public)
}

fn verify(
    key: &rsa::pkcs1v15::VerifyingKey<sha2::Sha256>,
    body: &[u8],
    signature_b64: &str,
) -> bool {
    use base64::Engine;
    use rsa::signature::Verifier;
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(signature_b64) else {
        return false;
    };
    let Ok(signature) = rsa::pkcs1v15::Signature::try_from(raw.as_slice()) else {
        return false;
    };
    key.verify(body, &signature).is_ok()
}

#[tokio::test]
async fn callbacks_are_signed_with_the_key_of_the_published_certificate() {
    let (sim, braid) = with_sim(|_| {}).await;
    assert_eq!(
        braid
            .post("/v2/events", &person_batch("cb-1", "cb@example.com"))
            .await
            .0,
        202
    );
    braid.wait_delivered().await;
    let (callback_url, mut callbacks) = callback_receiver().await;
    let id = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d";
    let mut body = erasure(
        id,
        json!([{"identity_type": "controller_customer_id", "identity_value": "cb-1", "identity_format": "raw"}]),
    );
    body["status_callback_urls"] = json!([callback_url]);
    assert_eq!(create(&braid, &body).await.0, 201);
    wait_for(&braid, id, completed).await;

    let discovery: Value = braid
        .client
        .get(format!("{}/v3/discovery", braid.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(discovery["supported_subject_request_types"]
        .as_array()
        .unwrap()
        .contains(&json!("erasure")));
    let cert_url = discovery["processor_certificate"]
        .as_str()
        .expect("certificate url");
    let pem = braid
        .client
        .get(cert_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let key = verifying_key(&pem);

    let mut statuses = Vec::new();
    while !statuses.contains(&"completed".to_string()) {
        let (headers, raw) = tokio::time::timeout(Duration::from_secs(30), callbacks.recv())
            .await
            .expect("a callback arrives")
            .expect("receiver open");
        let signature = headers["x-opendsr-signature"].to_str().unwrap();
        assert!(verify(&key, &raw, signature), "callback signature verifies");
        assert!(!verify(&key, b"tampered", signature));
        let doc: Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(doc["subject_request_id"], id);
        assert_eq!(doc["status_callback_url"], json!(callback_url));
        statuses.push(doc["request_status"].as_str().unwrap().to_string());
    }
    assert_eq!(statuses.first().map(String::as_str), Some("in_progress"));

    // Answers are signed the same way.
    let (_, _, headers, raw) = dsr_send(
        &braid,
        reqwest::Method::GET,
        &format!("/v3/requests/{id}"),
        None,
    )
    .await;
    assert!(verify(
        &key,
        &raw,
        headers["x-opendsr-signature"].to_str().unwrap()
    ));
    assert_eq!(sim.state().stats().deletes, vec!["cb-1".to_string()]);
    braid.stop().await;
}

#[tokio::test]
async fn braze_outage_keeps_the_erasure_in_progress_until_braze_is_back() {
    let (sim, braid) = with_sim(|_| {}).await;
    assert_eq!(
        braid
            .post("/v2/events", &person_batch("out-1", "out@example.com"))
            .await
            .0,
        202
    );
    braid.wait_delivered().await;
    assert!(sim.state().user("out-1").is_some());
    sim.set_faults(Faults {
        status_5xx_rate: 1.0,
        ..Faults::default()
    });
    let id = "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed";
    assert_eq!(
        create(
            &braid,
            &erasure(
                id,
                json!({"customer_id": {"value": "out-1", "encoding": "raw"}})
            )
        )
        .await
        .0,
        201
    );
    let stuck = wait_for(&braid, id, |s| {
        s["destinations"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("50"))
    })
    .await;
    assert_eq!(stuck["request_status"], "in_progress", "{stuck}");
    assert_eq!(stuck["destinations"][0]["status"], "pending");
    assert!(
        sim.state().user("out-1").is_some(),
        "not deleted in braze yet"
    );

    sim.set_faults(Faults::default());
    let done = wait_for(&braid, id, completed).await;
    assert_eq!(done["destinations"][0]["status"], "sent");
    assert_eq!(done["destinations"][0]["error"], Value::Null);
    assert!(sim.state().user("out-1").is_none(), "deleted in braze");
    braid.stop().await;
}

#[tokio::test]
async fn many_erased_ids_are_forwarded_at_most_fifty_per_request() {
    let (sim, braid) = with_sim(|_| {}).await;
    let ids: Vec<String> = (0..60).map(|i| format!("bulk-{i}")).collect();
    let batches: Vec<Value> = ids
        .iter()
        .map(|id| json!({"user_identities": {"customer_id": id}, "user_attributes": {"plan": "x"}}))
        .collect();
    assert_eq!(braid.post("/v2/bulkevents", &json!(batches)).await.0, 202);
    braid.wait_delivered().await;
    let request = "5f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b";
    let identities: Vec<Value> = ids
        .iter()
        .map(|id| json!({"identity_type": "controller_customer_id", "identity_value": id, "identity_format": "raw"}))
        .collect();
    assert_eq!(
        create(&braid, &erasure(request, json!(identities))).await.0,
        201
    );
    let done = wait_for(&braid, request, completed).await;
    // braze-sim refuses a /users/delete with more than 50 ids, so "sent" means each fit.
    assert_eq!(done["destinations"][0]["status"], "sent", "{done}");
    // 60 ids need at least two requests; how many more depends on how delivery's linger
    // cuts the lanes' deletes, which a loaded machine changes.
    let requests = done["destinations"][0]["requests"]
        .as_u64()
        .expect("requests");
    assert!(requests >= 2, "60 ids in {requests} request(s): {done}");
    assert_eq!(done["destinations"][0]["external_ids"], 60);
    let mut deleted = sim.state().stats().deletes;
    deleted.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(deleted, expected);
    braid.stop().await;
}

#[tokio::test]
async fn requests_survive_a_restart_and_finish_afterwards() {
    let braid = start_with(|c| {
        with_dsr(c);
        c.dsr.processing_delay_ms = 600_000;
    })
    .await;
    let id = "2c5ea4c0-4067-41d9-8c53-6ad3b5a4e1f0";
    let body = json!({"subject_request_id": id, "subject_request_type": "portability",
        "submitted_time": "2026-11-29T10:00:00Z",
        "subject_identities": {"customer_id": {"value": "nobody", "encoding": "raw"}}});
    assert_eq!(create(&braid, &body).await.0, 201);
    let dir = braid.stop().await;

    let mut config = test_config(dir.path());
    with_dsr(&mut config);
    let server = braid_server::Server::start(config).await.expect("restarts");
    let braid = TestBraid {
        base: format!("http://{}", server.addr()),
        server: Some(server),
        client: reqwest::Client::new(),
        dir,
    };
    let done = wait_for(&braid, id, completed).await;
    assert_eq!(done["subject_request_type"], "portability");
    assert_eq!(done["results_count"], 0);
    assert_eq!(create(&braid, &body).await.0, 409, "the id is remembered");
    braid.stop().await;
}

#[tokio::test]
async fn generated_dsr_credentials_open_the_api_and_no_other() {
    let braid = start().await;
    let creds: Value = serde_json::from_slice(
        &std::fs::read(braid.dir.path().join("credentials.json")).expect("credentials.json"),
    )
    .unwrap();
    let (key, secret) = (
        creds["dsr"]["key"].as_str().expect("dsr key"),
        creds["dsr"]["secret"].as_str().expect("dsr secret"),
    );
    let status = |user: &str, pass: &str| {
        braid
            .client
            .get(format!(
                "{}/v3/requests/00000000-0000-4000-8000-000000000000",
                braid.base
            ))
            .basic_auth(user, Some(pass))
            .send()
    };
    assert_eq!(status(key, secret).await.unwrap().status().as_u16(), 404);
    assert_eq!(
        status(ADMIN_KEY, ADMIN_SECRET)
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    braid.stop().await;
}

#[tokio::test]
async fn erasure_removes_what_braze_refused_from_the_dead_letters() {
    let (sim, braid) = with_sim(|_| {}).await;
    // Braze fails every object: the user's objects end up as dead letters.
    sim.set_faults(Faults {
        partial_error_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        braid
            .post("/v2/events", &person_batch("dead-1", "dead@example.com"))
            .await
            .0,
        202
    );
    braid.wait_delivered().await;
    let (_, letters) = braid.admin_get("/api/v1/dead-letters").await;
    assert!(mentions(&letters, "dead-1"), "{letters}");
    sim.set_faults(Faults::default());

    let id = "8e3b7c1a-2d4f-4e6a-9b8c-1d2e3f4a5b6c";
    assert_eq!(
        create(
            &braid,
            &erasure(
                id,
                json!({"email": {"value": "dead@example.com", "encoding": "raw"}})
            )
        )
        .await
        .0,
        201
    );
    wait_for(&braid, id, completed).await;
    let (_, letters) = braid.admin_get("/api/v1/dead-letters").await;
    assert!(
        !mentions(&letters, "dead-1") && !mentions(&letters, "dead@example.com"),
        "{letters}"
    );
    let (_, trail) = braid.admin_get("/api/v1/dsr/requests").await;
    assert!(
        trail["requests"][0]["local"]["dead_letters"]
            .as_u64()
            .unwrap()
            > 0,
        "{trail}"
    );
    assert_eq!(
        files_containing(braid.dir.path(), "dead@example.com"),
        Vec::<String>::new()
    );
    braid.stop().await;
}
