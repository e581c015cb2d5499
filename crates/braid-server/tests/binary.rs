//! The `braid` binary as a user runs it: a first run with no config creates and prints
//! credentials that work, and SIGTERM shuts down cleanly with accepted data kept.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn first_run_prints_working_credentials_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
        .current_dir(dir.path())
        .env("BRAID_SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (key, secret, dsr) = tokio::task::spawn_blocking(move || {
        let (mut key, mut secret, mut dsr) = (None, None, None);
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(v) = line
                .trim()
                .strip_prefix("data subject requests (/v3/requests): key")
            {
                let mut words = v.split_whitespace();
                if let (Some(k), Some("secret"), Some(s)) =
                    (words.next(), words.next(), words.next())
                {
                    dsr = Some((k.to_string(), s.to_string()));
                }
            }
            if let Some(v) = line.trim().strip_prefix("input key:") {
                key = Some(v.trim().to_string());
            }
            if let Some(v) = line.trim().strip_prefix("input secret:") {
                secret = Some(v.trim().to_string());
            }
            if line.contains("curl -u") && key.is_some() && secret.is_some() {
                break;
            }
        }
        (
            key.expect("key printed"),
            secret.expect("secret printed"),
            dsr.expect("data subject request credentials printed"),
        )
    })
    .await
    .unwrap();
    assert!(
        dir.path().join("braid-data/credentials.json").exists(),
        "credentials are persisted in the default data dir"
    );

    let client = reqwest::Client::new();
    let body = serde_json::json!({"user_identities": {"customer_id": "first-run"},
        "events": [{"event_type": "custom_event", "data": {"event_name": "Hello", "custom_event_type": "other"}}]});
    let mut status = 0;
    for _ in 0..200 {
        if let Ok(r) = client
            .post(format!("http://127.0.0.1:{port}/v2/events"))
            .basic_auth(&key, Some(&secret))
            .json(&body)
            .send()
            .await
        {
            status = r.status().as_u16();
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(status, 202, "the printed credentials are accepted");
    let dsr_status = client
        .get(format!(
            "http://127.0.0.1:{port}/v3/requests/00000000-0000-4000-8000-000000000000"
        ))
        .basic_auth(&dsr.0, Some(&dsr.1))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(dsr_status, 404, "the printed DSR credentials are accepted");

    let dry_run_file = dir.path().join("braid-data/dry-run.jsonl");
    let mut dry_run = String::new();
    for _ in 0..400 {
        dry_run = std::fs::read_to_string(&dry_run_file).unwrap_or_default();
        if dry_run.contains("first-run") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        dry_run.contains("first-run"),
        "dry-run output shows what would reach Braze: {dry_run}"
    );
    assert!(
        dry_run.contains("data_points"),
        "each dry-run request carries its cost"
    );

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(exit.success(), "braid exits 0 on SIGTERM: {exit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_applies_a_fixed_braze_key_and_delivery_resumes() {
    let sim = braze_sim::start(braze_sim::SimConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config_path = dir.path().join("braid.toml");
    let write_config = |key: &str| {
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\n\n[[inputs]]\nkey = \"k\"\nsecret = \"secret-123\"\n\n[delivery]\ninstance = \"{}\"\nrest_api_key = \"{key}\"\nauth_probe_interval_ms = 60000\n",
            dir.path().join("data").display(),
            sim.base_url()
        );
        std::fs::write(&config_path, text).unwrap();
    };
    write_config("revoked-key");
    let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["serve", "--config"])
        .arg(&config_path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let body = serde_json::json!({"user_identities": {"customer_id": "hup-1"},
        "events": [{"event_type": "custom_event", "data": {"event_name": "Hello", "custom_event_type": "other"}}]});
    let mut accepted = false;
    for _ in 0..400 {
        if let Ok(r) = client
            .post(format!("{base}/v2/events"))
            .basic_auth("k", Some("secret-123"))
            .json(&body)
            .send()
            .await
        {
            accepted = r.status() == 202;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(accepted);
    let mut paused = false;
    for _ in 0..400 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status()
            == 503
        {
            paused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(paused, "a rejected key shows in /readyz");
    assert!(sim.state().user("hup-1").is_none());

    write_config("sim-key");
    assert!(Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let mut delivered = false;
    for _ in 0..400 {
        if sim.state().user("hup-1").is_some() {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        delivered,
        "after SIGHUP the fixed key is used at once, without waiting for the probe"
    );
}
