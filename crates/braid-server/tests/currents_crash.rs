//! Crash safety of Currents: a real `braid` process receiving a stream of Currents
//! batches is killed with SIGKILL at random moments, several times. Senders behave as
//! Braze does: a batch without an answer is sent again. After the last restart every
//! batch that was answered 2xx is in the store exactly once (de-duplication on the event
//! id holds across crashes).

mod common;

use braid_core::storage::StateStore;
use braid_mparticle::{IdentityType, Mpid};
use common::currents::{event, TOKEN};
use rand::Rng;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

const EVENTS_PER_BATCH: u64 = 3;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn write_config(dir: &Path, port: u16) -> std::path::PathBuf {
    let path = dir.join("braid.toml");
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:{port}"
data_dir = "{data}"

[admin]
key = "{admin}"
secret = "{admin_secret}"

[currents]
tokens = ["{TOKEN}"]
"#,
        data = dir.join("data").display(),
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

fn currents_batch(n: u64) -> serde_json::Value {
    let events: Vec<serde_json::Value> = (0..EVENTS_PER_BATCH)
        .map(|k| {
            event(
                "users.messages.email.Open",
                n * 10 + k,
                &format!("cc-{n}"),
                serde_json::json!({}),
            )
        })
        .collect();
    serde_json::json!({ "events": events })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_currents_loses_and_doubles_no_answered_batch() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), port);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let acked: Arc<Mutex<BTreeSet<u64>>> = Arc::default();
    // Batches sent without an answer: Braze sends them again, so do we.
    let unanswered: Arc<Mutex<Vec<u64>>> = Arc::default();
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut rng = rand::thread_rng();
    const KILLS: usize = 4;

    for _round in 0..=KILLS {
        let mut child = spawn_braid(&config);
        wait_healthy(&client, &base).await;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut senders = Vec::new();
        for _ in 0..6 {
            let (client, base, acked, unanswered, next, stop) = (
                client.clone(),
                base.clone(),
                acked.clone(),
                unanswered.clone(),
                next.clone(),
                stop.clone(),
            );
            senders.push(tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let retry = unanswered.lock().await.pop();
                    let n = retry
                        .unwrap_or_else(|| next.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
                    let sent = client
                        .post(format!("{base}/v1/currents"))
                        .bearer_auth(TOKEN)
                        .json(&currents_batch(n))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => {
                            acked.lock().await.insert(n);
                        }
                        Ok(r) => panic!("unexpected status {}", r.status()),
                        Err(_) => {
                            unanswered.lock().await.push(n);
                            break; // the server died under us
                        }
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(200..700))).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if _round < KILLS {
            child.kill().expect("SIGKILL");
        }
        for s in senders {
            s.await.unwrap();
        }
        if _round == KILLS {
            // The last round ends cleanly: let the pipeline apply everything, then stop.
            let mut caught_up = false;
            for _ in 0..800 {
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
            child.kill().unwrap();
        }
        let _ = child.wait();
    }

    let acked = acked.lock().await.clone();
    assert!(
        acked.len() > 50,
        "the load produced too few answered batches ({}) to prove anything",
        acked.len()
    );
    let store = braid_store::EmbeddedStore::open(
        &dir.path().join("data"),
        braid_store::StoreOptions::default(),
    )
    .unwrap();
    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    store
        .transact(|txn| {
            for &n in &acked {
                let Some(mpid) =
                    txn.identity_owner(IdentityType::CustomerId, &format!("cc-{n}"))?
                else {
                    missing.push(n);
                    continue;
                };
                let events = txn.history(Mpid(mpid.0), 0)?;
                if events.len() as u64 != EVENTS_PER_BATCH {
                    wrong.push((n, events.len()));
                }
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "currents crash test: {} batches answered, {} kills",
        acked.len(),
        KILLS
    );
    assert!(
        missing.is_empty(),
        "answered batches lost after SIGKILL: {missing:?}"
    );
    assert!(
        wrong.is_empty(),
        "batches recorded other than once: {wrong:?}"
    );
}
