//! Configuration loading and `braid check-config`: errors name the key and the problem.

use braid_server::Config;
use std::process::Command;

fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("braid.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn shipped_example_config_is_valid_and_equals_the_defaults() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../braid.example.toml");
    let loaded = Config::load(Some(std::path::Path::new(example))).expect("example config loads");
    assert_eq!(
        loaded,
        Config::default(),
        "the example documents the defaults"
    );
}

#[test]
fn bad_values_are_reported_with_their_key() {
    let (_d, path) = write("[server]\nlisten = \"not an address\"\n");
    let err = Config::load(Some(&path)).unwrap_err().to_string();
    assert!(err.starts_with("server.listen:"), "{err}");

    let (_d, path) = write("[braze]\ninclude_enriched_user_attributes = \"yes\"\n");
    let err = Config::load(Some(&path)).unwrap_err().to_string();
    assert!(
        err.contains("braze.include_enriched_user_attributes"),
        "{err}"
    );

    let (_d, path) = write("[delivery]\ninstance = \"US-99\"\n");
    let err = Config::load(Some(&path)).unwrap_err().to_string();
    assert!(err.contains("delivery.instance"), "{err}");

    let (_d, path) = write("[[inputs]]\nkey = \"k\"\nsecret = \"short\"\n");
    let err = Config::load(Some(&path)).unwrap_err().to_string();
    assert!(err.starts_with("inputs[0].secret:"), "{err}");
}

#[test]
fn unknown_keys_are_refused_by_name() {
    let (_d, path) = write("[server]\nlisten_adress = \"127.0.0.1:1\"\n");
    let err = Config::load(Some(&path)).unwrap_err().to_string();
    assert!(err.contains("listen_adress"), "{err}");
}

#[test]
fn check_config_command_exits_2_and_names_the_key() {
    let (_d, path) = write("[limits]\nmax_batch_bytes = 0\n");
    let out = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("limits.max_batch_bytes: must be greater than 0"),
        "{stderr}"
    );

    let ok = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args([
            "check-config",
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../braid.example.toml"),
        ])
        .output()
        .unwrap();
    assert!(ok.status.success());
}

#[test]
fn environment_overrides_the_file() {
    // Runs in its own test binary process space; the variable is unique to this test.
    let (_d, path) = write("[server]\nlanes = 4\n");
    std::env::set_var("BRAID_SERVER__LANES", "8");
    let loaded = Config::load(Some(&path)).unwrap();
    std::env::remove_var("BRAID_SERVER__LANES");
    assert_eq!(loaded.server.lanes, 8);
}
