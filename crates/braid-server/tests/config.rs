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
fn the_pipelines_pass_size_follows_the_cache_setting_within_bounds() {
    let with_cache = |cache_mib| braid_server::config::StorageConfig {
        cache_mib,
        ..Default::default()
    };
    assert_eq!(Config::default().storage.records_per_pass(), 1_024);
    assert_eq!(with_cache(8).records_per_pass(), 256);
    assert_eq!(with_cache(32).records_per_pass(), 512);
    assert_eq!(with_cache(128).records_per_pass(), 2_048);
    assert_eq!(with_cache(1 << 20).records_per_pass(), 2_048);
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

fn check_config(path: &std::path::Path, env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_braid"));
    command.args(["check-config", "--config"]).arg(path);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[test]
fn stray_braid_variables_are_ignored_with_one_warning_naming_them() {
    let (_d, path) = write("[server]\nlanes = 4\n");
    let out = check_config(
        &path,
        &[
            ("BRAID_URL", "http://localhost:8080"),
            ("BRAID_CMD", "serve"),
            ("BRAID_SERVER__LANES", "8"),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("configuration is valid"), "{stdout}");
    assert!(
        stdout.contains("lanes = 8"),
        "settings from the environment still apply: {stdout}"
    );
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "one warning: {stderr}");
    assert!(
        warnings[0].contains("BRAID_CMD") && warnings[0].contains("BRAID_URL"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_key_in_a_known_section_from_the_environment_is_named() {
    let (_d, path) = write("");
    let out = check_config(&path, &[("BRAID_SERVER__LISTNE", "0.0.0.0:1")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("server.listne: unknown field: found `listne`"),
        "{stderr}"
    );
}

#[test]
fn a_config_given_as_a_pipe_is_read() {
    // `--config /dev/stdin`, with the file piped in.
    let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
        .args(["check-config", "--config", "/dev/stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"[server]\nlanes = 7\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("lanes = 7"),
        "the piped file was read: {stdout}"
    );

    // Process substitution, as a shell user writes it; a bad value is reported by key.
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "\"{}\" check-config --config <(printf '[limits]\\nmax_batch_bytes = 0\\n')",
            env!("CARGO_BIN_EXE_braid")
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("limits.max_batch_bytes: must be greater than 0"),
        "{stderr}"
    );
}

#[test]
fn the_environment_sections_are_the_config_sections() {
    let mut config = Config::default();
    config.admin = Some(braid_server::config::AdminConfig {
        key: "admin".into(),
        secret: "admin-secret".into(),
    });
    let value = toml::Value::try_from(&config).unwrap();
    let mut fields: Vec<&str> = value
        .as_table()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    let mut sections = braid_server::config::SECTIONS.to_vec();
    sections.sort_unstable();
    assert_eq!(fields, sections);
}
