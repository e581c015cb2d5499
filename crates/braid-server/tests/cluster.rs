//! The distributed backend with several real braid processes on Kafka, PostgreSQL and
//! Redis: nodes killed under load, workers racing on a new user, delivery nodes sharing
//! Braze's rate limit, and an engine cut off for a while. See docs/scale-out.md for the
//! guarantees these check.

mod cluster_support;
mod common;

use cluster_support::*;
use serde_json::{json, Value};
use std::time::Duration;

/// SIGKILL a pipeline worker, then a delivery node, under load: every batch answered 202
/// reaches Braze, each user's steps arrive in order, and re-sends are counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_pipeline_and_delivery_nodes_lose_nothing_and_keep_order() {
    let engines = Engines::from_env();
    let sim = braze_sim::start(braze_sim::SimConfig::default()).expect("sim starts");
    let spec = ClusterSpec::new(&engines, &sim.base_url());
    let ingest = spec.start_node("ingest", "ingest").await;
    let mut pipeline_a = spec.start_node("pipeline-a", "pipeline").await;
    let pipeline_b = spec.start_node("pipeline-b", "pipeline").await;
    let mut delivery_a = spec.start_node("delivery-a", "delivery").await;
    let delivery_b = spec.start_node("delivery-b", "delivery").await;

    let load = Load::start(vec![ingest.base.clone()], 24, "kill");
    tokio::time::sleep(Duration::from_secs(4)).await;
    pipeline_a.kill();
    tokio::time::sleep(Duration::from_secs(4)).await;
    delivery_a.kill();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let refused = load.refused.load(std::sync::atomic::Ordering::Relaxed);
    let acked = load.finish().await;
    let accepted: u64 = acked.values().sum();
    assert!(
        accepted > 200,
        "the load got too few batches accepted ({accepted}, {refused} refused) to prove anything"
    );
    // The survivors take over the killed nodes' partitions and lanes (after the group's
    // session timeout and the lanes' take-over grace).
    let (repeats, rewinds) = assert_delivered_in_order(
        &sim,
        &acked,
        Duration::from_secs(120),
        &[&ingest, &pipeline_b, &delivery_b],
    )
    .await;
    eprintln!("{accepted} batches accepted, {refused} refused, {repeats} steps re-sent");
    // The documented window: a killed pipeline worker re-sends nothing (its effects and
    // offsets commit together); a killed delivery node's lanes re-send at most what its
    // requests held, once.
    assert!(
        rewinds <= 1,
        "a user's steps were re-sent in {rewinds} separate runs (at most one per delivery node killed)"
    );
    let metrics = pipeline_b.metrics().await;
    assert!(
        metrics.contains("braid_kafka_consumer_lag"),
        "the pipeline worker reports consumer lag per partition"
    );
    drop((ingest, pipeline_b, delivery_b));
    spec.drop_schema().await;
}

/// Two ingest nodes and two pipeline workers see a new user's identities at once (one
/// batch keyed by customer id, one by email, so on different partitions): one profile.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_workers_make_one_profile_per_new_user() {
    let engines = Engines::from_env();
    let sim = braze_sim::start(braze_sim::SimConfig::default()).expect("sim starts");
    let spec = ClusterSpec::new(&engines, &sim.base_url());
    let ingest_a = spec.start_node("ingest-a", "ingest").await;
    let ingest_b = spec.start_node("ingest-b", "ingest").await;
    let pipeline_a = spec.start_node("pipeline-a", "pipeline").await;
    let pipeline_b = spec.start_node("pipeline-b", "pipeline").await;
    // Both workers must hold partitions before the race starts.
    wait_for_assignment(&[&pipeline_a, &pipeline_b]).await;

    const USERS: usize = 150;
    let mut sends = Vec::new();
    for u in 0..USERS {
        let email = format!("race-{u}@example.com");
        let with_id = json!({
            "user_identities": {"customer_id": format!("race-{u}"), "email": email},
            "events": [{"event_type": "custom_event", "data": {"event_name": "A", "custom_event_type": "other"}}]
        });
        let email_only = json!({
            "user_identities": {"email": email},
            "events": [{"event_type": "custom_event", "data": {"event_name": "B", "custom_event_type": "other"}}]
        });
        let (a, b) = (ingest_a.client.clone(), ingest_b.client.clone());
        let (base_a, base_b) = (ingest_a.base.clone(), ingest_b.base.clone());
        sends.push(tokio::spawn(async move {
            let first = a
                .post(format!("{base_a}/v2/events"))
                .basic_auth(KEY, Some(SECRET))
                .json(&with_id)
                .send();
            let second = b
                .post(format!("{base_b}/v2/events"))
                .basic_auth(KEY, Some(SECRET))
                .json(&email_only)
                .send();
            let (first, second) = tokio::join!(first, second);
            assert_eq!(first.unwrap().status().as_u16(), 202);
            assert_eq!(second.unwrap().status().as_u16(), 202);
        }));
    }
    for send in sends {
        send.await.unwrap();
    }
    let mut split = Vec::new();
    for u in 0..USERS {
        let by_id =
            wait_profile(&ingest_a, &format!("/api/v1/profiles/customer_id/race-{u}")).await;
        let by_email = wait_profile(
            &ingest_b,
            &format!("/api/v1/profiles/email/race-{u}@example.com"),
        )
        .await;
        if by_id["mpid"] != by_email["mpid"] {
            split.push((u, by_id["mpid"].clone(), by_email["mpid"].clone()));
        }
    }
    assert!(split.is_empty(), "users split over two profiles: {split:?}");
    let conflicts = metric(
        &pipeline_a.metrics().await,
        "braid_pipeline_conflicts_total",
    ) + metric(
        &pipeline_b.metrics().await,
        "braid_pipeline_conflicts_total",
    );
    eprintln!("{USERS} racing users, one profile each; {conflicts} transactions lost a race and ran again");
    drop((ingest_a, ingest_b, pipeline_a, pipeline_b));
    spec.drop_schema().await;
}

/// Three delivery nodes share one Braze rate budget in Redis: braze-sim, limiting
/// `/users/track` to 5 requests per second, never answers 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delivery_nodes_together_stay_under_the_rate_limit() {
    let engines = Engines::from_env();
    let sim = braze_sim::start(braze_sim::SimConfig {
        rate_limit: 5,
        rate_window: Duration::from_secs(1),
        ..braze_sim::SimConfig::default()
    })
    .expect("sim starts");
    let mut spec = ClusterSpec::new(&engines, &sim.base_url());
    spec.delivery_extra = "rate_limit = 5\nrate_window_ms = 1000\n".into();
    let nodes = [
        spec.start_node("node-a", "all").await,
        spec.start_node("node-b", "all").await,
        spec.start_node("node-c", "all").await,
    ];
    let load = Load::start(nodes.iter().map(|n| n.base.clone()).collect(), 30, "rate");
    tokio::time::sleep(Duration::from_secs(8)).await;
    let acked = load.finish().await;
    assert_delivered_in_order(
        &sim,
        &acked,
        Duration::from_secs(120),
        &nodes.iter().collect::<Vec<_>>(),
    )
    .await;
    let stats = sim.state().stats();
    assert!(
        stats.track_requests >= 10,
        "too few requests ({}) to test the limit",
        stats.track_requests
    );
    assert_eq!(
        stats.rate_limited, 0,
        "braze-sim answered 429 to the nodes together: {:?}",
        stats.responses_by_status
    );
    drop(nodes);
    spec.drop_schema().await;
}

/// The last value of a counter or gauge in a Prometheus page (0 when absent).
fn metric(page: &str, name: &str) -> f64 {
    page.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn wait_profile(node: &Node, path: &str) -> serde_json::Value {
    for _ in 0..1200 {
        let (status, body) = node.admin_get(path).await;
        if status == 200 {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} never found:\n{}", tail(&node.log_text(), 40));
}

async fn wait_for_assignment(workers: &[&Node]) {
    for _ in 0..600 {
        let mut all = true;
        for worker in workers {
            if !worker.metrics().await.contains("braid_kafka_consumer_lag") {
                all = false;
            }
        }
        if all {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the workers never both held partitions");
}

/// Kafka, then PostgreSQL, cut off for a while under load (through TCP proxies): while
/// the log does not answer, ingest answers 503 and `/readyz` says why; while PostgreSQL
/// does not, ingest keeps accepting (the log has the batches) and readiness names it.
/// Once each is back the node carries on by itself, and every batch answered 202 reaches
/// Braze in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_engine_cut_off_refuses_or_waits_then_recovers_by_itself() {
    let engines = Engines::from_env();
    let sim = braze_sim::start(braze_sim::SimConfig::default()).expect("sim starts");
    // A broker of the test's own, advertising the proxy in front of it: Kafka clients
    // connect to the address the broker advertises.
    let broker_port = free_port();
    let kafka_proxy = Proxy::start(format!("127.0.0.1:{broker_port}")).await;
    let _broker = Broker::start(broker_port, &kafka_proxy.addr.to_string());
    let pg_proxy = Proxy::start(host_port(&engines.postgres)).await;
    let mut spec = ClusterSpec::new(&engines, &sim.base_url());
    spec.kafka = kafka_proxy.addr.to_string();
    spec.postgres = engines
        .postgres
        .replace(&host_port(&engines.postgres), &pg_proxy.addr.to_string());
    let node = spec.start_node("node", "all").await;
    wait_ready(&node, true, Duration::from_secs(60)).await;

    let load = Load::start(vec![node.base.clone()], 8, "outage");
    tokio::time::sleep(Duration::from_secs(3)).await;

    kafka_proxy.cut();
    wait_problem(&node, "kafka does not answer", Duration::from_secs(30)).await;
    // Requests already waiting for the log fail when the client's message timeout (5 s
    // here) runs out; new ones are refused at once.
    let refused_before = load.refused.load(std::sync::atomic::Ordering::Relaxed);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while load.refused.load(std::sync::atomic::Ordering::Relaxed) == refused_before {
        assert!(
            std::time::Instant::now() < deadline,
            "ingest kept answering without its log"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    kafka_proxy.restore();
    wait_ready(&node, true, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    pg_proxy.cut();
    wait_problem(&node, "postgres does not answer", Duration::from_secs(30)).await;
    let accepted_before: u64 = load.acked.lock().values().sum();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let accepted_during: u64 = load.acked.lock().values().sum::<u64>() - accepted_before;
    assert!(
        accepted_during > 0,
        "the log still takes batches while PostgreSQL is away ({} refused so far, readyz {:?})\n{}",
        load.refused.load(std::sync::atomic::Ordering::Relaxed),
        node.readyz().await,
        tail(&node.log_text(), 30)
    );
    pg_proxy.restore();
    wait_ready(&node, true, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let acked = load.finish().await;
    let (repeats, _) =
        assert_delivered_in_order(&sim, &acked, Duration::from_secs(120), &[&node]).await;
    eprintln!(
        "{} batches accepted, {accepted_during} while PostgreSQL was away, {repeats} steps re-sent",
        acked.values().sum::<u64>()
    );
    drop(node);
    spec.postgres = engines.postgres.clone();
    spec.drop_schema().await;
}

/// Wait until `/readyz` answers not ready, naming `problem`.
async fn wait_problem(node: &Node, problem: &str, within: Duration) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let (status, body) = node.readyz().await;
        if status == 503 && body["problems"].to_string().contains(problem) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "/readyz never named {problem:?}: {status} {body}\n{}",
            tail(&node.log_text(), 40)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Wait until `/readyz` answers ready (or not); the problems it named.
async fn wait_ready(node: &Node, ready: bool, within: Duration) -> String {
    let deadline = std::time::Instant::now() + within;
    loop {
        let (status, body) = node.readyz().await;
        if (status == 200) == ready {
            return body["problems"].to_string();
        }
        if std::time::Instant::now() > deadline {
            panic!(
                "/readyz never became {}: {status} {body}\n{}",
                if ready { "ready" } else { "not ready" },
                tail(&node.log_text(), 40)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `braid migrate-store` moves an embedded store into the cluster: profiles keep their
/// MPIDs, and batches the embedded pipeline had not applied are applied by the cluster.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_embedded_store_moves_into_the_cluster() {
    use braid_core::storage::IngestLog;
    let engines = Engines::from_env();
    let sim = braze_sim::start(braze_sim::SimConfig::default()).expect("sim starts");
    let spec = ClusterSpec::new(&engines, &sim.base_url());

    // One embedded braid with 20 users, stopped.
    let embedded = common::start().await;
    for u in 0..20 {
        let (status, _) = embedded
            .post(
                "/v2/events",
                &common::batch(&format!("moved-{u}"), "Before"),
            )
            .await;
        assert_eq!(status, 202);
    }
    embedded.wait_processed().await;
    let (_, before) = embedded
        .admin_get("/api/v1/profiles/customer_id/moved-7")
        .await;
    let mpid_before = before["mpid"].clone();
    assert!(mpid_before.is_i64() || mpid_before.is_string(), "{before}");
    let dir = embedded.stop().await;
    // Three batches accepted but not applied when it stopped.
    {
        let store =
            braid_store::EmbeddedStore::open(dir.path(), braid_store::StoreOptions::default())
                .expect("embedded store opens");
        let records = (0..3)
            .map(|u| braid_core::storage::AppendRequest {
                record: braid_core::log::LogRecord {
                    input: "test".into(),
                    kind: braid_core::log::LogRecordKind::Live,
                    received_ms: braid_core::clock::now_ms(),
                    batch_json: common::batch(&format!("unapplied-{u}"), "Late").to_string(),
                },
                source_request_id: None,
            })
            .collect();
        store.append(records).expect("append");
    }

    let config = spec.write_config("migrate", free_port());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["migrate-store", "--config"])
        .arg(&config)
        .arg("--from")
        .arg(dir.path())
        .output()
        .expect("braid migrate-store runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "migrate-store failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("20 profiles"),
        "progress and summary: {stdout}"
    );
    assert!(stdout.contains("3 unapplied batches"), "{stdout}");

    let node = spec.start_node("node", "all").await;
    let (status, after) = node.admin_get("/api/v1/profiles/customer_id/moved-7").await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["mpid"], mpid_before, "the profile keeps its MPID");
    wait_profile(&node, "/api/v1/profiles/customer_id/unapplied-2").await;
    // A second copy into the same schema is refused, not merged.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["migrate-store", "--config"])
        .arg(&config)
        .arg("--from")
        .arg(dir.path())
        .output()
        .expect("braid migrate-store runs");
    assert!(
        !again.status.success(),
        "a copy into a non-empty schema is refused"
    );
    drop(node);
    spec.drop_schema().await;
}

/// `braid check-config` on a distributed config connects to each engine, and names the
/// setting of the one that does not answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_connects_to_each_engine() {
    let engines = Engines::from_env();
    let mut spec = ClusterSpec::new(&engines, "http://127.0.0.1:9");
    let check = |config: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_braid"))
            .args(["check-config", "--config"])
            .arg(config)
            .output()
            .expect("braid check-config runs")
    };
    let good = check(&spec.write_config("good", free_port()));
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(String::from_utf8_lossy(&good.stdout).contains("kafka, postgres and redis answered"));

    spec.redis = format!("redis://127.0.0.1:{}", free_port());
    let bad = check(&spec.write_config("bad", free_port()));
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("storage.redis.url"),
        "names the setting: {stderr}"
    );
    spec.drop_schema().await;
}

/// The data subject request credentials every node of the DSR tests shares.
const DSR_KEY: &str = "cluster-dsr";
const DSR_SECRET: &str = "cluster-dsr-secret";

fn dsr_section() -> String {
    format!("\n[dsr]\nkey = \"{DSR_KEY}\"\nsecret = \"{DSR_SECRET}\"\n")
}

/// An erasure of the people with these customer ids (one request, one subject).
fn erasure_of(id: &str, customer_ids: &[&str]) -> serde_json::Value {
    let identities: Vec<serde_json::Value> = customer_ids
        .iter()
        .map(|c| json!({"identity_type": "customer_id", "identity_value": c, "identity_format": "raw"}))
        .collect();
    json!({
        "regulation": "gdpr",
        "subject_request_id": id,
        "subject_request_type": "erasure",
        "submitted_time": "2026-12-01T10:00:00Z",
        "subject_identities": identities,
    })
}

/// A `/v3` call with the DSR credentials: status and JSON body.
async fn dsr_call(
    node: &Node,
    method: reqwest::Method,
    path: &str,
    body: Option<&serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = node
        .client
        .request(method, format!("{}{path}", node.base))
        .basic_auth(DSR_KEY, Some(DSR_SECRET));
    if let Some(body) = body {
        request = request.json(body);
    }
    let r = request.send().await.expect("dsr request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// Poll a request's status at `node` until `done` says so.
async fn wait_request(
    node: &Node,
    id: &str,
    done: impl Fn(&serde_json::Value) -> bool,
    logs: &[&Node],
) -> serde_json::Value {
    let path = format!("/v3/requests/{id}");
    for _ in 0..2400 {
        let (status, body) = dsr_call(node, reqwest::Method::GET, &path, None).await;
        if status == 200 && done(&body) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, body) = dsr_call(node, reqwest::Method::GET, &path, None).await;
    let logs: String = logs
        .iter()
        .map(|n| format!("--- {}\n{}", n.name, tail(&n.log_text(), 40)))
        .collect();
    panic!("request {id} never reached the expected state: {body}\n{logs}");
}

/// Rows of the test's schema in PostgreSQL that mention `needle` anywhere: every table
/// that holds personal data, and the meta values (where requests are kept).
async fn rows_mentioning(spec: &ClusterSpec, needle: &str) -> Vec<String> {
    let (client, connection) = tokio_postgres::connect(&spec.postgres, tokio_postgres::NoTls)
        .await
        .expect("connect to PostgreSQL");
    tokio::spawn(connection);
    let schema = &spec.schema;
    let mut found = Vec::new();
    for (table, column) in [
        ("profiles", "convert_from(body, 'UTF8')"),
        ("identities", "value"),
        ("sent_state", "convert_from(body, 'UTF8')"),
        ("outbox", "convert_from(body, 'UTF8')"),
        ("history", "convert_from(body, 'UTF8')"),
        ("dead_letters", "convert_from(body, 'UTF8')"),
        ("meta", "convert_from(value, 'UTF8')"),
    ] {
        let rows = client
            .query(
                &format!("SELECT {column} FROM {schema}.{table} WHERE strpos({column}, $1) > 0"),
                &[&needle],
            )
            .await
            .unwrap_or_else(|e| panic!("reading {schema}.{table}: {e}"));
        found.extend(
            rows.iter()
                .map(|row| format!("{table}: {}", row.get::<_, String>(0))),
        );
    }
    found
}

/// Batches for a user are accepted while no pipeline worker runs; then an erasure of
/// that user is requested. It must not run before the pipeline applied those batches (or
/// they would re-create the person after it): it stays `in_progress`, noting each Kafka
/// partition's end, until a worker applied everything up to it. Then the profile the
/// batches made is erased, Braze gets its `/users/delete`, and nothing of the user is left
/// in PostgreSQL or Braze.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_erasure_waits_for_batches_accepted_before_it() {
    let engines = Engines::from_env();
    let sim = braze_sim::start(braze_sim::SimConfig::default()).expect("sim starts");
    let mut spec = ClusterSpec::new(&engines, &sim.base_url());
    spec.extra = dsr_section();
    let ingest = spec.start_node("ingest", "ingest").await;
    let delivery = spec.start_node("delivery", "delivery").await;

    // No pipeline worker yet: the batches wait in the log.
    const ERASED: &str = "erasure-subject";
    const KEPT: &str = "bystander";
    for step in 1..=5 {
        assert_eq!(ingest.send(&step_batch(ERASED, step)).await.unwrap(), 202);
    }
    assert_eq!(ingest.send(&step_batch(KEPT, 1)).await.unwrap(), 202);

    let id = "7d1c6a52-3b9e-4f0a-8c21-5e6f7a8b9c0d";
    let (code, created) = dsr_call(
        &delivery,
        reqwest::Method::POST,
        "/v3/requests",
        Some(&erasure_of(id, &[ERASED])),
    )
    .await;
    assert_eq!(code, 201, "{created}");
    // Once started it waits: no worker has applied the batches accepted before it.
    let started = wait_request(
        &delivery,
        id,
        |s| s["request_status"] != "pending",
        &[&delivery],
    )
    .await;
    assert_eq!(
        started["request_status"], "in_progress",
        "the erasure finished before the pipeline applied the batches accepted before it: {started}"
    );
    let (_, trail) = delivery.admin_get("/api/v1/dsr/requests").await;
    let ends = &trail["requests"][0]["log_partition_ends"];
    assert!(
        ends.as_object().is_some_and(|ends| !ends.is_empty()),
        "the request notes where each partition ended: {trail}"
    );
    assert_eq!(trail["requests"][0]["local_done"], false, "{trail}");
    assert!(sim.state().stats().deletes.is_empty());

    let pipeline = spec.start_node("pipeline", "pipeline").await;
    let done = wait_request(
        &delivery,
        id,
        |s| s["request_status"] == "completed",
        &[&ingest, &pipeline, &delivery],
    )
    .await;
    assert_eq!(done["destinations"][0]["status"], "sent", "{done}");
    let (_, trail) = delivery.admin_get("/api/v1/dsr/requests").await;
    assert_eq!(
        trail["requests"][0]["local"]["profiles"], 1,
        "the erasure found the profile the earlier batches made: {trail}"
    );
    assert_eq!(sim.state().stats().deletes, vec![ERASED.to_string()]);
    assert!(
        sim.state().user(ERASED).is_none(),
        "braze holds nothing of the erased user after the delete"
    );
    assert_eq!(rows_mentioning(&spec, ERASED).await, Vec::<String>::new());
    let (code, _) = ingest
        .admin_get(&format!("/api/v1/profiles/customer_id/{ERASED}"))
        .await;
    assert_eq!(code, 404, "no profile of the erased user remains");

    // The bystander's batch went through as usual.
    wait_profile(&ingest, &format!("/api/v1/profiles/customer_id/{KEPT}")).await;
    for _ in 0..1200 {
        if steps_at_braze(&sim, KEPT) == vec![1] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(steps_at_braze(&sim, KEPT), vec![1]);
    assert!(
        sim.state().user(ERASED).is_none(),
        "nothing of the user after the delete"
    );
    drop((ingest, pipeline, delivery));
    spec.drop_schema().await;
}

/// A node without the delivery role takes no data subject requests (nobody there would
/// process them): every request route answers 503 with an OpenDSR error naming why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_delivery_refuses_data_subject_requests() {
    let engines = Engines::from_env();
    let sim = braze_sim::start(braze_sim::SimConfig::default()).expect("sim starts");
    let mut spec = ClusterSpec::new(&engines, &sim.base_url());
    spec.extra = dsr_section();
    let node = spec.start_node("ingest-pipeline", "ingest,pipeline").await;
    let id = "0b8e2f4a-6c1d-4e3f-9a5b-7c8d9e0f1a2b";
    for (method, path, body) in [
        (
            reqwest::Method::POST,
            "/v3/requests".to_string(),
            Some(erasure_of(id, &["someone"])),
        ),
        (reqwest::Method::GET, format!("/v3/requests/{id}"), None),
        (reqwest::Method::DELETE, format!("/v3/requests/{id}"), None),
        (
            reqwest::Method::GET,
            format!("/v3/requests/{id}/results"),
            None,
        ),
    ] {
        let (code, answer) = dsr_call(&node, method.clone(), &path, body.as_ref()).await;
        assert_eq!(code, 503, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["code"], 503, "{answer}");
        assert_eq!(
            answer["error"]["errors"][0]["reason"], "Unavailable",
            "{answer}"
        );
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("does not serve data subject requests")
                && message.contains("delivery role"),
            "the error says why: {answer}"
        );
    }
    drop(node);
    spec.drop_schema().await;
}

/// Two delivery nodes: one leads data subject requests, and the outbox lanes are shared
/// between both. An erasure of many users (asked at the node that does not lead) queues
/// deletes on lanes of both nodes; the ones the other node sends are reported there, and
/// the request still completes, at the lead, once Braze acknowledged every id.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_erasure_completes_when_another_delivery_node_sends_its_deletes() {
    let engines = Engines::from_env();
    let sim = braze_sim::start(braze_sim::SimConfig::default()).expect("sim starts");
    let mut spec = ClusterSpec::new(&engines, &sim.base_url());
    spec.extra = dsr_section();
    let ingest = spec.start_node("ingest", "ingest,pipeline").await;
    let lead = spec.start_node("lead", "delivery").await;
    for _ in 0..1200 {
        if lead
            .log_text()
            .contains("this node leads data subject requests")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(lead
        .log_text()
        .contains("this node leads data subject requests"));
    let other = spec.start_node("other", "delivery").await;

    // Until both nodes have sent something, both hold lanes.
    const USERS: usize = 32;
    let users: Vec<String> = (0..USERS).map(|u| format!("spread-{u}")).collect();
    let mut step = 0;
    loop {
        step += 1;
        assert!(step < 60, "the lanes never spread over both delivery nodes");
        let mut acked = std::collections::BTreeMap::new();
        for user in &users {
            assert_eq!(ingest.send(&step_batch(user, step)).await.unwrap(), 202);
            acked.insert(user.clone(), step);
        }
        assert_delivered_in_order(
            &sim,
            &acked,
            Duration::from_secs(60),
            &[&ingest, &lead, &other],
        )
        .await;
        let sent = |page: &str| metric(page, "braid_braze_requests_total");
        if sent(&lead.metrics().await) > 0.0 && sent(&other.metrics().await) > 0.0 {
            break;
        }
    }

    let id = "3f2a1b0c-9d8e-4f7a-b6c5-d4e3f2a1b0c9";
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    let (code, created) = dsr_call(
        &other,
        reqwest::Method::POST,
        "/v3/requests",
        Some(&erasure_of(id, &names)),
    )
    .await;
    assert_eq!(code, 201, "{created}");
    let done = wait_request(
        &other,
        id,
        |s| s["request_status"] == "completed",
        &[&ingest, &lead, &other],
    )
    .await;
    assert_eq!(done["destinations"][0]["status"], "sent", "{done}");
    // At least once: a delete re-sent after a failed attempt counts once here.
    let deleted: std::collections::BTreeSet<String> =
        sim.state().stats().deletes.into_iter().collect();
    let expected: std::collections::BTreeSet<String> = users.iter().cloned().collect();
    assert_eq!(deleted, expected, "every user's external id was deleted");
    assert!(
        metric(&other.metrics().await, "braid_dsr_braze_forwarded_total") > 0.0,
        "some deletes went out from the node that does not lead"
    );
    assert!(
        !other
            .log_text()
            .contains("this node leads data subject requests"),
        "one processor in the cluster"
    );
    for user in &users {
        assert!(sim.state().user(user).is_none(), "braze still holds {user}");
    }
    assert_eq!(
        rows_mentioning(&spec, "spread-").await,
        Vec::<String>::new()
    );
    drop((ingest, lead, other));
    spec.drop_schema().await;
}

/// The delivery node leading data subject requests is killed while an erasure waits for
/// the pipeline: the other delivery node takes the lead, finds the request in PostgreSQL
/// and finishes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_delivery_node_takes_over_data_subject_requests() {
    let engines = Engines::from_env();
    let sim = braze_sim::start(braze_sim::SimConfig::default()).expect("sim starts");
    let mut spec = ClusterSpec::new(&engines, &sim.base_url());
    spec.extra = dsr_section();
    let ingest = spec.start_node("ingest", "ingest").await;
    let mut lead = spec.start_node("lead", "delivery").await;
    for _ in 0..1200 {
        if lead
            .log_text()
            .contains("this node leads data subject requests")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(lead
        .log_text()
        .contains("this node leads data subject requests"));
    let other = spec.start_node("other", "delivery").await;

    const ERASED: &str = "takeover-subject";
    for step in 1..=3 {
        assert_eq!(ingest.send(&step_batch(ERASED, step)).await.unwrap(), 202);
    }
    let id = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    let (code, created) = dsr_call(
        &other,
        reqwest::Method::POST,
        "/v3/requests",
        Some(&erasure_of(id, &[ERASED])),
    )
    .await;
    assert_eq!(code, 201, "{created}");
    // The lead started it; with no worker yet it waits.
    let started = wait_request(
        &other,
        id,
        |s| s["request_status"] != "pending",
        &[&lead, &other],
    )
    .await;
    assert_eq!(started["request_status"], "in_progress", "{started}");

    lead.kill();
    let pipeline = spec.start_node("pipeline", "pipeline").await;
    let done = wait_request(
        &other,
        id,
        |s| s["request_status"] == "completed",
        &[&ingest, &pipeline, &other],
    )
    .await;
    assert_eq!(done["destinations"][0]["status"], "sent", "{done}");
    assert!(
        other
            .log_text()
            .contains("this node leads data subject requests"),
        "the survivor took the lead"
    );
    assert_eq!(sim.state().stats().deletes, vec![ERASED.to_string()]);
    assert!(sim.state().user(ERASED).is_none());
    assert_eq!(rows_mentioning(&spec, ERASED).await, Vec::<String>::new());
    drop((ingest, pipeline, other));
    spec.drop_schema().await;
}

/// The console's overview counts batches on the distributed backend as on the embedded
/// one: accepted and applied added up over the partitions (a Kafka position is a
/// partition and an offset, not a count), so a drained cluster shows what it took and no
/// lag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_counts_accepted_batches_and_lag_across_partitions() {
    const USERS: usize = 12;
    let engines = Engines::from_env();
    let sim = braze_sim::start(braze_sim::SimConfig::default()).expect("sim starts");
    let spec = ClusterSpec::new(&engines, &sim.base_url());
    let node = spec.start_node("all", "all").await;
    let users: Vec<String> = (0..USERS)
        .map(|n| unique(&format!("console-{n}")))
        .collect();
    for user in &users {
        assert_eq!(node.send(&step_batch(user, 1)).await.expect("send"), 202);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while users.iter().any(|u| steps_at_braze(&sim, u) != vec![1]) {
        assert!(
            std::time::Instant::now() < deadline,
            "the batches did not reach braze-sim: {}",
            tail(&node.log_text(), 30)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let signed = client
        .post(format!("{}/login", node.base))
        .form(&[("key", ADMIN_KEY), ("secret", ADMIN_SECRET), ("next", "/")])
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed.status(), 303);
    let cookie = signed.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("session")
        .to_string();
    let page = client
        .get(format!("{}/", node.base))
        .header("cookie", cookie)
        .send()
        .await
        .expect("overview")
        .text()
        .await
        .expect("page");
    assert!(
        page.contains(&format!(
            "{USERS} batches accepted since the store was created"
        )),
        "accepted count: {page}"
    );
    assert!(
        page.contains(r#"data-metric="lag">0 batches<"#),
        "no lag once drained: {page}"
    );
    drop(node);
    spec.drop_schema().await;
}

/// Definitions created, deactivated and deleted through one node's admin API reach both
/// pipeline workers without a restart: users on every partition are evaluated against
/// the new definitions, a change made through a node that had never seen the definition
/// is applied to the stored one, and jobs queued through any node run on the worker that
/// leads audience work.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn definition_changes_reach_every_pipeline_worker_without_a_restart() {
    let engines = Engines::from_env();
    let sim = braze_sim::start(braze_sim::SimConfig::default()).expect("sim starts");
    let mut spec = ClusterSpec::new(&engines, &sim.base_url());
    spec.extra = "[audiences]\nsend_segments_as = \"per_segment\"\n".into();
    let ingest = spec.start_node("ingest", "ingest").await;
    let pipeline_a = spec.start_node("pipeline-a", "pipeline").await;
    let pipeline_b = spec.start_node("pipeline-b", "pipeline").await;
    let delivery = spec.start_node("delivery", "delivery").await;
    wait_for_assignment(&[&pipeline_a, &pipeline_b]).await;
    let nodes = [&ingest, &pipeline_a, &pipeline_b, &delivery];

    // Both definitions are created after both workers started, each through a different
    // node, neither of them through a worker that would apply it.
    let (status, body) = admin(
        &ingest,
        reqwest::Method::POST,
        "/api/v1/calculated-attributes",
        json!({"name": "plays", "function": "count", "event": "Played"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = admin(
        &pipeline_a,
        reqwest::Method::POST,
        "/api/v1/audiences",
        json!({"id": 31, "name": "Gold",
            "criteria": {"attribute": {"key": "plan", "op": "equals", "value": "gold"}}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // Users keyed by customer id, so spread over all 8 partitions and both workers.
    const USERS: usize = 48;
    let users: Vec<String> = (0..USERS).map(|u| format!("defs-{u}")).collect();
    let gold = |u: usize| u.is_multiple_of(2);
    for (u, user) in users.iter().enumerate() {
        let plan = if gold(u) { "gold" } else { "silver" };
        let status = ingest.send(&played(user, plan, 1)).await.unwrap();
        assert_eq!(status, 202);
    }
    wait_at_braze(
        &sim,
        &users,
        "round 1 with memberships and plays",
        &nodes,
        |u, a| {
            a.get("round") == Some(&json!(1))
                && a.get("plays") == Some(&json!(1))
                && (!gold(u) || a.get("In Gold") == Some(&json!(true)))
        },
    )
    .await;
    for (u, user) in users.iter().enumerate().filter(|(u, _)| !gold(*u)) {
        let attributes = sim.state().user(user).unwrap().attributes;
        assert!(
            attributes.get("In Gold").is_none(),
            "user {u}: {attributes:?}"
        );
    }
    // Each worker evaluated some of them against the definitions it never had at start.
    for worker in [&pipeline_a, &pipeline_b] {
        let page = worker.metrics().await;
        assert!(
            metric(&page, "braid_audience_memberships_entered_total") > 0.0
                && metric(&page, "braid_calculated_attribute_changes_total") > 0.0,
            "{} applied no membership or calculated value:\n{}",
            worker.name,
            tail(&worker.log_text(), 20)
        );
    }

    // Deactivated through the other worker, and the attribute deleted through the first:
    // no worker evaluates or computes them any more. Were the audience still active on
    // a worker, its gold users would leave it (`In Gold` false); were the attribute
    // still computed, `plays` would reach 2.
    let (status, body) = admin(
        &pipeline_b,
        reqwest::Method::POST,
        "/api/v1/audiences/31/deactivate",
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["audience"]["state"], "inactive", "{body}");
    let (status, body) = admin(
        &pipeline_a,
        reqwest::Method::DELETE,
        "/api/v1/calculated-attributes/plays",
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let newcomers: Vec<String> = (0..USERS).map(|u| format!("defs-new-{u}")).collect();
    for user in users.iter().chain(&newcomers) {
        let plan = if user.starts_with("defs-new") {
            "gold"
        } else {
            "silver"
        };
        let status = ingest.send(&played(user, plan, 2)).await.unwrap();
        assert_eq!(status, 202);
    }
    let everyone: Vec<String> = users.iter().chain(&newcomers).cloned().collect();
    // A membership or value change travels in the same attributes object as `round`.
    wait_at_braze(&sim, &everyone, "round 2", &nodes, |_, a| {
        a.get("round") == Some(&json!(2))
    })
    .await;
    for (u, user) in users.iter().enumerate() {
        let attributes = sim.state().user(user).unwrap().attributes;
        assert_eq!(attributes.get("plays"), Some(&json!(1)), "{user}");
        let expected = gold(u).then(|| json!(true));
        assert_eq!(attributes.get("In Gold"), expected.as_ref(), "{user}");
    }
    for user in &newcomers {
        let attributes = sim.state().user(user).unwrap().attributes;
        assert!(
            attributes.get("In Gold").is_none() && attributes.get("plays").is_none(),
            "{user}: {attributes:?}"
        );
    }

    // Deleted with clean-up through the ingest node: the clean-up job runs on whichever
    // worker leads, takes the audience out of Braze, and then the audience is gone on
    // every node.
    let (status, body) = admin(
        &ingest,
        reqwest::Method::DELETE,
        "/api/v1/audiences/31?cleanup=true",
        Value::Null,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    wait_at_braze(&sim, &users, "clean-up of Gold", &nodes, |u, a| {
        !gold(u) || a.get("In Gold") == Some(&json!(false))
    })
    .await;
    wait_for(&nodes, "audience 31 gone on every node", || async {
        for node in &nodes {
            if node.admin_get("/api/v1/audiences/31").await.0 != 404 {
                return false;
            }
        }
        true
    })
    .await;

    // A new audience over existing profiles, created through the other worker: its
    // backfill runs on the leader and reaches every member.
    let (status, body) = admin(
        &pipeline_b,
        reqwest::Method::POST,
        "/api/v1/audiences",
        json!({"id": 32, "name": "Silver",
            "criteria": {"attribute": {"key": "plan", "op": "equals", "value": "silver"}}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert!(
        body["job"]["total"].as_u64().unwrap() >= 2 * USERS as u64,
        "{body}"
    );
    wait_at_braze(&sim, &users, "backfill of Silver", &nodes, |_, a| {
        a.get("In Silver") == Some(&json!(true))
    })
    .await;
    let job = body["job"]["id"].as_u64().unwrap();
    wait_for(&nodes, "the backfill job finished", || async {
        let (_, job) = ingest
            .admin_get(&format!("/api/v1/audiences/jobs/{job}"))
            .await;
        job["done"] == json!(true)
    })
    .await;
    for user in &newcomers {
        let attributes = sim.state().user(user).unwrap().attributes;
        assert!(
            attributes.get("In Silver").is_none(),
            "{user}: {attributes:?}"
        );
    }
    drop((ingest, pipeline_a, pipeline_b, delivery));
    spec.drop_schema().await;
}

/// A batch for `user`: attributes `plan` and `round`, and one `Played` event.
fn played(user: &str, plan: &str, round: u64) -> Value {
    json!({
        "source_request_id": format!("{user}-round-{round}"),
        "user_identities": {"customer_id": user},
        "user_attributes": {"plan": plan, "round": round},
        "events": [{"event_type": "custom_event",
            "data": {"event_name": "Played", "custom_event_type": "other"}}]
    })
}

/// An admin API request with a JSON body (`null`: none); the status and the answer.
async fn admin(node: &Node, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
    let mut request = node
        .client
        .request(method, format!("{}{path}", node.base))
        .basic_auth(ADMIN_KEY, Some(ADMIN_SECRET));
    if !body.is_null() {
        request = request.json(&body);
    }
    let r = request.send().await.expect("admin request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Wait (two minutes at most) until `ok` holds for every user's attributes at braze-sim
/// (the user's index in `users`, and the attributes).
async fn wait_at_braze(
    sim: &braze_sim::SimHandle,
    users: &[String],
    what: &str,
    nodes: &[&Node],
    ok: impl Fn(usize, &serde_json::Map<String, Value>) -> bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let failing: Vec<(usize, Option<serde_json::Map<String, Value>>)> = users
            .iter()
            .enumerate()
            .filter_map(|(u, user)| {
                let attributes = sim.state().user(user).map(|p| p.attributes);
                match &attributes {
                    Some(a) if ok(u, a) => None,
                    _ => Some((u, attributes)),
                }
            })
            .collect();
        if failing.is_empty() {
            return;
        }
        if std::time::Instant::now() > deadline {
            let logs = recent_logs(nodes);
            panic!(
                "{what}: {} users never got there, e.g. {:?}\n{logs}",
                failing.len(),
                &failing[..failing.len().min(3)]
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Wait (two minutes at most) until `ok` answers true.
async fn wait_for<F, Fut>(nodes: &[&Node], what: &str, ok: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !ok().await {
        if std::time::Instant::now() > deadline {
            let logs = recent_logs(nodes);
            panic!("never: {what}\n{logs}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The last lines of each node's log, without librdkafka's end-of-partition and config
/// notices (which would fill them).
fn recent_logs(nodes: &[&Node]) -> String {
    nodes
        .iter()
        .map(|n| {
            let text = n.log_text();
            let kept: Vec<&str> = text
                .lines()
                .filter(|l| !l.contains("PartitionEOF") && !l.contains("CONFWARN"))
                .collect();
            format!("--- {}\n{}\n", n.name, tail(&kept.join("\n"), 60))
        })
        .collect()
}
