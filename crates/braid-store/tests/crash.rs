//! Crash safety of the ingest log: a child process appends in a loop, printing every
//! position `append` reported as committed, and is SIGKILLed mid-stream. After reopening,
//! every printed position must be there exactly once, holding what was appended there.

use braid_core::storage::{AppendOutcome, AppendRequest, IngestLog};
use braid_core::{LogRecord, LogRecordKind};
use braid_store::{EmbeddedStore, StoreOptions};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Set in the child process: the data directory to append into.
const CHILD_DIR: &str = "BRAID_STORE_CRASH_CHILD_DIR";
/// Positions the parent waits to see before killing the child.
const KILL_AFTER: usize = 150;

fn request(n: u64) -> AppendRequest {
    AppendRequest {
        record: LogRecord {
            input: "crash".into(),
            kind: LogRecordKind::Live,
            received_ms: n as i64,
            batch_json: format!(r#"{{"n":{n}}}"#),
        },
        source_request_id: Some(format!("req-{n}")),
    }
}

/// Body of the child process; only runs when spawned by the parent test.
#[test]
#[ignore = "helper run as a child process by acknowledged_appends_survive_sigkill"]
fn crash_child_appends_forever() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let store = EmbeddedStore::open(Path::new(&dir), StoreOptions::default()).unwrap();
    let mut out = std::io::stdout().lock();
    let mut n = 0u64;
    loop {
        // Groups of varying size, each with a retry of the group's first request, so
        // group commit and in-group de-duplication are both exercised.
        let size = 1 + n % 7;
        let mut batch: Vec<_> = (n..n + size).map(request).collect();
        batch.push(request(n));
        let outcomes = store.append(batch).unwrap();
        for (i, outcome) in outcomes.iter().enumerate().take(size as usize) {
            if let AppendOutcome::Appended(pos) = outcome {
                writeln!(out, "{pos} {}", n + i as u64).unwrap();
            }
        }
        out.flush().unwrap();
        n += size;
    }
}

/// Record one "position n" line of the child; the harness's own lines are ignored.
fn parse(line: &str, acknowledged: &mut BTreeMap<u64, u64>) {
    let mut parts = line.split(' ');
    if let (Some(Ok(pos)), Some(Ok(n)), None) = (
        parts.next().map(str::parse::<u64>),
        parts.next().map(str::parse::<u64>),
        parts.next(),
    ) {
        assert!(
            acknowledged.insert(pos, n).is_none(),
            "position {pos} reported twice"
        );
    }
}

#[test]
fn acknowledged_appends_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "crash_child_appends_forever",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acknowledged = BTreeMap::new();
    for line in lines.by_ref() {
        parse(&line.unwrap(), &mut acknowledged);
        if acknowledged.len() >= KILL_AFTER {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
                           // Whatever the child printed before it died was acknowledged too.
    for line in lines {
        match line {
            Ok(line) => parse(&line, &mut acknowledged),
            Err(_) => break,
        }
    }
    child.wait().unwrap();
    assert!(acknowledged.len() >= KILL_AFTER, "child stopped early");

    let store = EmbeddedStore::open(dir.path(), StoreOptions::default()).unwrap();
    let stored = store.read_after(0, usize::MAX).unwrap();
    let mut by_position = BTreeMap::new();
    for (pos, record) in &stored {
        assert!(by_position.insert(*pos, record).is_none());
    }
    // Every stored record appears once: positions strictly increase and no request is
    // stored twice.
    assert!(stored.windows(2).all(|w| w[0].0 < w[1].0));
    let mut bodies: Vec<_> = stored.iter().map(|(_, r)| r.batch_json.as_str()).collect();
    bodies.sort_unstable();
    bodies.dedup();
    assert_eq!(bodies.len(), stored.len(), "a request was stored twice");
    for (pos, n) in &acknowledged {
        let record = by_position
            .get(pos)
            .unwrap_or_else(|| panic!("acknowledged position {pos} lost"));
        assert_eq!(record.batch_json, format!(r#"{{"n":{n}}}"#));
    }
    assert!(store.head().unwrap() >= *acknowledged.keys().last().unwrap());
    // De-dup state survived too: retrying an acknowledged request is a duplicate.
    let (pos, n) = acknowledged.iter().next_back().unwrap();
    assert_eq!(
        store.append(vec![request(*n)]).unwrap(),
        vec![AppendOutcome::Duplicate(*pos)]
    );
}
