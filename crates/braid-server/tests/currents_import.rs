//! `braid currents import`: the real binary reads a folder laid out as Braze's storage
//! connectors write it (Avro files written here with apache-avro, codecs null, deflate
//! and snappy), sends the events to a running braid with progress, is safe to re-run,
//! and resumes from its checkpoint after an interruption.

mod common;

use braid_currents::fixtures::{avro_file, storage_path, FixtureCodec, FixtureEvent};
use braid_currents::model::spec;
use common::currents::{with_tokens, TOKEN};
use common::*;
use std::path::Path;
use std::process::Command;

/// Writes three files (opens, clicks, custom events) of `per_file` events each, for
/// users `imp-0` … `imp-{users-1}`. Returns their paths in import order.
fn write_layout(root: &Path, per_file: u64, users: u64) -> Vec<std::path::PathBuf> {
    let now = braid_core::clock::now_ms() / 1000;
    let files = [
        ("users.messages.email.Open", FixtureCodec::Null),
        ("users.messages.email.Click", FixtureCodec::Deflate),
        ("users.behaviors.CustomEvent", FixtureCodec::Snappy),
    ];
    let mut paths = Vec::new();
    for (f, (event_type, codec)) in files.iter().enumerate() {
        let spec = spec(event_type).unwrap();
        let events: Vec<FixtureEvent<'_>> = (0..per_file)
            .map(|i| {
                let n = f as u64 * 10_000 + i;
                let user = format!("imp-{}", i % users);
                let mut e = FixtureEvent::new(spec, n, Some(&user));
                e.braze_id = format!("{:024x}", 0xb0_0000 + i % users);
                e.time = now - 600 + i as i64;
                e
            })
            .collect();
        let path = root.join(storage_path(event_type, "2026-12-01-10", 0));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, avro_file(&events, *codec)).unwrap();
        paths.push(path);
    }
    paths.sort();
    paths
}

fn import(base: &str, args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["currents", "import", "--url", base, "--token", TOKEN])
        .args(args)
        .output()
        .expect("braid runs")
}

async fn events_of_all(braid: &TestBraid, users: u64) -> usize {
    let mut total = 0;
    for u in 0..users {
        total += braid.currents_events_of(&format!("imp-{u}")).await.len();
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_imports_a_storage_layout_with_progress_and_resumes() {
    let braid = start_with(|c| {
        with_tokens(c);
        c.server.history_retention_days = 30;
    })
    .await;
    let data = tempfile::tempdir().unwrap();
    let files = write_layout(data.path(), 150, 10);
    let checkpoint = data.path().join("import-progress.json");
    let out = import(
        &braid.base,
        &[
            data.path().as_os_str(),
            "--checkpoint".as_ref(),
            checkpoint.as_os_str(),
        ],
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for n in 1..=3 {
        assert!(
            stderr.contains(&format!("imported {n}/3 files")),
            "{stderr}"
        );
    }
    assert!(
        stdout.contains("currents import done: 3 files (0 already imported), 450 events sent"),
        "{stdout}"
    );
    braid.wait_processed().await;
    assert_eq!(events_of_all(&braid, 10).await, 450);
    // The custom events' Avro `properties` string became an object.
    let (_, profile) = braid.admin_get("/api/v1/profiles/customer_id/imp-0").await;
    let custom = profile["recent_events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "users.behaviors.CustomEvent")
        .cloned()
        .unwrap();
    assert_eq!(
        custom["attributes"]["custom_properties"]["plan"],
        serde_json::json!("pro"),
        "{custom}"
    );

    // Re-run with the checkpoint: nothing to do.
    let out = import(
        &braid.base,
        &[
            data.path().as_os_str(),
            "--checkpoint".as_ref(),
            checkpoint.as_os_str(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains("0 files (3 already imported), 0 events sent"),
        "{stdout}"
    );

    // An interruption in the second file: the checkpoint says the first file and 50
    // events of the second were sent. The import resumes there.
    let interrupted = serde_json::json!({"done": [files[0]], "current": [files[1], 50]});
    std::fs::write(&checkpoint, interrupted.to_string()).unwrap();
    let out = import(
        &braid.base,
        &[
            data.path().as_os_str(),
            "--checkpoint".as_ref(),
            checkpoint.as_os_str(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains("2 files (1 already imported), 250 events sent"),
        "{stdout}"
    );

    // Re-run from scratch (no checkpoint): every event is a duplicate, none recorded twice.
    std::fs::remove_file(&checkpoint).unwrap();
    let out = import(
        &braid.base,
        &[
            data.path().as_os_str(),
            "--checkpoint".as_ref(),
            checkpoint.as_os_str(),
        ],
    );
    assert!(out.status.success());
    braid.wait_processed().await;
    assert_eq!(events_of_all(&braid, 10).await, 450);

    // A wrong token is a clear failure, not a silent skip.
    let out = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args([
            "currents",
            "import",
            "--url",
            &braid.base,
            "--token",
            "wrong-token-0000000",
        ])
        .arg(&files[0])
        .arg("--checkpoint")
        .arg(data.path().join("other.json"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("403"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    braid.stop().await;
}
