//! Keeps docs/architecture.md's crate table true to the workspace: every crate under
//! `crates/` has a row, and its "depends on" column names exactly the braid crates its
//! `Cargo.toml` lists under `[dependencies]`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The workspace crates and the braid crates each depends on, from the manifests.
fn manifest_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(repo().join("crates")).expect("crates/") {
        let manifest = entry.expect("entry").path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let doc: toml::Table = text.parse().expect("manifest parses");
        let name = doc["package"]["name"].as_str().expect("name").to_string();
        let deps = doc
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|d| {
                d.keys()
                    .filter(|k| k.starts_with("braid") || k.starts_with("braze"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        graph.insert(name, deps);
    }
    graph
}

/// The same, from the table in docs/architecture.md.
fn documented_graph() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(repo().join("docs/architecture.md")).expect("doc");
    text.lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells[1].trim_matches('`').to_string();
            let deps = cells[3]
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty() && *d != "—")
                .map(str::to_string)
                .collect();
            (name, deps)
        })
        .collect()
}

#[test]
fn architecture_crate_table_matches_the_manifests() {
    let manifests = manifest_graph();
    assert!(manifests.contains_key("braid-core"), "read the workspace");
    assert_eq!(documented_graph(), manifests);
}
