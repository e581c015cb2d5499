//! Crash safety: a real `braid` process under concurrent load is killed with SIGKILL at
//! random moments, several times. After the last restart every batch that had been
//! answered 202 is in the store exactly once, and reached the Braze simulator (duplicates
//! from the at-least-once window are counted and reported).

mod common;

use braid_core::storage::StateStore;
use braid_mparticle::{IdentityType, Mpid};
use rand::Rng;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn write_config(dir: &Path, port: u16, sim_url: &str) -> std::path::PathBuf {
    let path = dir.join("braid.toml");
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:{port}"
data_dir = "{data}"

[[inputs]]
name = "crash"
key = "{key}"
secret = "{secret}"

[admin]
key = "{admin}"
secret = "{admin_secret}"

[delivery]
instance = "{sim_url}"
rest_api_key = "sim-key"
"#,
        data = dir.join("data").display(),
        key = common::KEY,
        secret = common::SECRET,
        admin = common::ADMIN_KEY,
        admin_secret = common::ADMIN_SECRET,
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn spawn_braid(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("braid starts")
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    for _ in 0..400 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("braid did not become healthy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_accepted_batch() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let sim = braze_sim::start(braze_sim::SimConfig::default()).expect("sim starts");
    let config = write_config(dir.path(), port, &sim.base_url());
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let acked: Arc<Mutex<BTreeSet<u64>>> = Arc::default();
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut rng = rand::thread_rng();
    const KILLS: usize = 4;

    for _round in 0..KILLS {
        let mut child = spawn_braid(&config);
        wait_healthy(&client, &base).await;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut senders = Vec::new();
        for _ in 0..8 {
            let (client, base, acked, next, stop) = (
                client.clone(),
                base.clone(),
                acked.clone(),
                next.clone(),
                stop.clone(),
            );
            senders.push(tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let mut body = common::batch(&format!("crash-{n}"), "Crash Test");
                    body["source_request_id"] = serde_json::json!(format!("crash-req-{n}"));
                    body["events"][0]["data"]["timestamp_unixtime_ms"] =
                        serde_json::json!(braid_core::clock::now_ms());
                    let sent = client
                        .post(format!("{base}/v2/events"))
                        .basic_auth(common::KEY, Some(common::SECRET))
                        .json(&body)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().as_u16() == 202 => {
                            acked.lock().await.insert(n);
                        }
                        Ok(r) => panic!("unexpected status {}", r.status()),
                        Err(_) => break, // the server died under us
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(150..700))).await;
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for s in senders {
            s.await.unwrap();
        }
    }

    // Restart once more and let the pipeline apply everything that was committed.
    let mut child = spawn_braid(&config);
    wait_healthy(&client, &base).await;
    let acked = acked.lock().await.clone();
    assert!(
        acked.len() > 50,
        "the load produced too few accepted batches ({}) to prove anything",
        acked.len()
    );
    let last = *acked.iter().max().unwrap();
    for _ in 0..800 {
        let r = client
            .get(format!("{base}/api/v1/profiles/customer_id/crash-{last}"))
            .basic_auth(common::ADMIN_KEY, Some(common::ADMIN_SECRET))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Give the pipeline a moment to finish the rest, then stop braid and read the store.
    let mut caught_up = false;
    for _ in 0..400 {
        let metrics = client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics
            .lines()
            .any(|l| l.starts_with("braid_queue_depth ") && l.trim_end().ends_with(" 0"))
        {
            caught_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(caught_up, "pipeline did not catch up after restart");
    let mut undelivered: Vec<u64> = acked.iter().copied().collect();
    for _ in 0..800 {
        undelivered.retain(|n| sim.state().user(&format!("crash-{n}")).is_none());
        if undelivered.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        undelivered.is_empty(),
        "accepted batches that never reached braze: {undelivered:?}"
    );
    let resent: usize = acked
        .iter()
        .map(|n| {
            sim.state()
                .user(&format!("crash-{n}"))
                .map(|u| u.events.len().saturating_sub(1))
                .unwrap_or(0)
        })
        .sum();
    // At-least-once: only requests in flight at a kill may be resent (one per lane per kill).
    eprintln!(
        "crash test: {} accepted, {} kills, {} events resent to braze",
        acked.len(),
        KILLS,
        resent
    );
    assert!(
        resent <= KILLS * 16 * 75,
        "more resends than the in-flight window allows: {resent}"
    );
    child.kill().unwrap();
    let _ = child.wait();

    let store = braid_store::EmbeddedStore::open(
        &dir.path().join("data"),
        braid_store::StoreOptions::default(),
    )
    .unwrap();
    let mut missing = Vec::new();
    let mut duplicated = Vec::new();
    store
        .transact(|txn| {
            for &n in &acked {
                let Some(mpid) =
                    txn.identity_owner(IdentityType::CustomerId, &format!("crash-{n}"))?
                else {
                    missing.push(n);
                    continue;
                };
                let events = txn.history(Mpid(mpid.0), 0)?;
                if events.len() != 1 {
                    duplicated.push((n, events.len()));
                }
            }
            Ok(())
        })
        .unwrap();
    assert!(
        missing.is_empty(),
        "accepted batches lost after SIGKILL: {missing:?}"
    );
    assert!(
        duplicated.is_empty(),
        "batches applied more than once: {duplicated:?}"
    );
}
