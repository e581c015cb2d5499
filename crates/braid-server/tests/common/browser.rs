//! Running one of the browser scripts in `e2e/` (Debian's chromium driven by
//! playwright-core) from a Rust test. The script gets its inputs as environment
//! variables and prints one JSON object on its last line of standard output: what the
//! page saw. The Rust test then checks what reached braid and braze-sim.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Stdio;

/// The repository's `e2e/` folder.
pub fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

/// Run `e2e/<script>` with `env`, fail the test with the script's output if it fails,
/// and return the JSON object it printed last.
pub async fn run_script(script: &str, env: &[(&str, String)]) -> Value {
    let dir = e2e_dir();
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "browser test dependencies are missing: run scripts/e2e-deps.sh"
    );
    let mut command = tokio::process::Command::new("node");
    command
        .arg(dir.join(script))
        .current_dir(&dir)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().await.expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    let last = stdout
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_else(|| panic!("{script} printed nothing; stderr:\n{stderr}"));
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{script}'s last line is not JSON ({e}): {last}\n{stderr}"))
}
