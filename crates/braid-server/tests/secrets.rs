//! Secrets never print: every key, secret and token of a configuration is set to its own
//! unique value, then the real `braid check-config` runs and the real server runs with
//! debug logging and uses every secret; none of the values appears in any output.

use std::process::{Command, Stdio};
use std::time::Duration;

const INPUT_SECRET: &str = "scan-input-secret-7d1f0c2a";
const ADMIN_SECRET: &str = "scan-admin-secret-4b8e913d";
const DSR_SECRET: &str = "scan-dsr-secret-a92c55e0";
const REST_KEY: &str = "scan-rest-key-e03b7741";
const AUDIENCE_API_KEY: &str = "scan-audience-api-key-5f6a28c9";
const MISMATCHED_WORKSPACE_KEY: &str = "scan-other-workspace-key-0c4d8e12";

const ALL_SECRETS: [&str; 6] = [
    INPUT_SECRET,
    ADMIN_SECRET,
    DSR_SECRET,
    REST_KEY,
    AUDIENCE_API_KEY,
    MISMATCHED_WORKSPACE_KEY,
];

fn config_text(
    port: u16,
    data_dir: &std::path::Path,
    braze_url: &str,
    workspace_key: &str,
) -> String {
    format!(
        r#"[server]
listen = "127.0.0.1:{port}"
data_dir = "{data}"

[[inputs]]
name = "scan"
key = "scan-input"
secret = "{INPUT_SECRET}"

[admin]
key = "scan-admin"
secret = "{ADMIN_SECRET}"

[delivery]
instance = "{braze_url}"
rest_api_key = "{REST_KEY}"
max_linger_ms = 5

[dsr]
key = "scan-dsr"
secret = "{DSR_SECRET}"

[audiences]
api_key = "{AUDIENCE_API_KEY}"
workspace_rest_api_key = "{workspace_key}"
"#,
        data = data_dir.display()
    )
}

fn assert_no_secret(what: &str, output: &str) {
    for secret in ALL_SECRETS {
        assert!(
            !output.contains(secret),
            "{what} shows the secret {secret}:\n{output}"
        );
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn check_config_prints_no_secret_valid_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("braid.toml");
    let data = dir.path().join("data");
    std::fs::write(&path, config_text(free_port(), &data, "US-01", REST_KEY)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["check-config", "--config"])
        .arg(&path)
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("configuration is valid"), "{stdout}");
    assert!(
        stdout.contains("rest_api_key = \"<redacted>\""),
        "the key is shown as set, redacted: {stdout}"
    );
    assert!(stdout.contains("key = \"scan-input\""), "{stdout}");
    assert_no_secret("check-config", &format!("{stdout}\n{stderr}"));

    // A mismatch is named, without showing either value.
    std::fs::write(
        &path,
        config_text(free_port(), &data, "US-01", MISMATCHED_WORKSPACE_KEY),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("audiences.workspace_rest_api_key: differs from delivery.rest_api_key"),
        "{stderr}"
    );
    assert_no_secret(
        "check-config on a mismatch",
        &format!("{}\n{stderr}", String::from_utf8_lossy(&out.stdout)),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_with_debug_logging_prints_no_secret_while_using_every_one() {
    let sim = braze_sim::start(braze_sim::SimConfig {
        api_key: REST_KEY.into(),
        ..braze_sim::SimConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = dir.path().join("braid.toml");
    std::fs::write(
        &path,
        config_text(port, &dir.path().join("data"), &sim.base_url(), REST_KEY),
    )
    .unwrap();
    let stdout_path = dir.path().join("stdout.log");
    let stderr_path = dir.path().join("stderr.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["serve", "--config"])
        .arg(&path)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::from(std::fs::File::create(&stdout_path).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&stderr_path).unwrap()))
        .spawn()
        .unwrap();

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let batch = serde_json::json!({"user_identities": {"customer_id": "scan-user"},
        "user_attributes": {"plan": "gold"},
        "events": [{"event_type": "custom_event", "data": {"event_name": "Scanned", "custom_event_type": "other"}}]});
    let mut status = None;
    for _ in 0..1200 {
        if let Ok(r) = client
            .post(format!("{base}/v2/events"))
            .basic_auth("scan-input", Some(INPUT_SECRET))
            .json(&batch)
            .send()
            .await
        {
            status = Some(r.status().as_u16());
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(status, Some(202), "the input secret is accepted");
    // A wrong secret is refused (and must not be logged either way).
    let wrong = client
        .post(format!("{base}/v2/events"))
        .basic_auth("scan-input", Some("not-the-secret"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let admin = client
        .get(format!("{base}/api/v1/profiles/customer_id/scan-user"))
        .basic_auth("scan-admin", Some(ADMIN_SECRET))
        .send()
        .await
        .unwrap();
    assert!(
        admin.status() == 200 || admin.status() == 404,
        "the admin secret is accepted: {}",
        admin.status()
    );
    let dsr = client
        .get(format!(
            "{base}/v3/requests/00000000-0000-4000-8000-000000000000"
        ))
        .basic_auth("scan-dsr", Some(DSR_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(dsr.status(), 404, "the DSR secret is accepted");

    // The REST key is used: braze-sim only takes requests that carry it.
    let mut delivered = false;
    for _ in 0..2400 {
        if sim.state().user("scan-user").is_some() {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(delivered, "the user reached braze-sim with the REST key");

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(exit.success(), "braid exits 0 on SIGTERM: {exit:?}");

    let output = format!(
        "{}\n{}",
        std::fs::read_to_string(&stdout_path).unwrap(),
        std::fs::read_to_string(&stderr_path).unwrap()
    );
    assert!(
        output.contains("DEBUG"),
        "debug logging was on, so there was output to scan:\n{output}"
    );
    assert!(output.contains("braid listening"), "{output}");
    assert_no_secret("braid serve with RUST_LOG=debug", &output);
}
