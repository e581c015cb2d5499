//! The fuzz targets' bodies (`fuzz/src/lib.rs`) on stable, in CI: each runs over every
//! mParticle fixture (the seed corpus of `scripts/fuzz-corpus.sh`), then over fixtures
//! mutated at the byte level (as libFuzzer does) and at the JSON level (a value anywhere
//! replaced by an odd one, so the mutant still parses and reaches the mapping), under
//! settings drawn from every combination the targets can choose. Real fuzzing needs
//! nightly and runs the same functions for longer; see docs/testing.md.

// The bodies live in the fuzz project so that the fuzz targets and this test share one
// definition; the file depends only on crates braid-server already has.
#[path = "../../../fuzz/src/lib.rs"]
mod fuzz_bodies;

use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::OnceLock;

fn fixtures() -> &'static Vec<(String, Vec<u8>)> {
    static CELL: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    CELL.get_or_init(|| {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../braid-mparticle/tests/fixtures");
        let mut all: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("fixtures at {}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        all.sort();
        assert!(
            all.len() >= 20,
            "expected the mParticle fixtures, found {}",
            all.len()
        );
        all
    })
}

fn with_prefix(prefix: [u8; 3], body: &[u8]) -> Vec<u8> {
    let mut input = prefix.to_vec();
    input.extend_from_slice(body);
    input
}

fn run_all(prefix: [u8; 3], body: &[u8]) {
    fuzz_bodies::parse_batch(body);
    fuzz_bodies::parse_bulk(body);
    fuzz_bodies::map_change(&with_prefix(prefix, body));
}

#[test]
fn every_fixture_passes_every_target_under_the_seed_settings() {
    // The prefixes scripts/fuzz-corpus.sh seeds map_change with, plus single switches.
    let mut prefixes = vec![
        [0x00, 0x00, 0x00],
        [0xff, 0xff, 0xff],
        [0x0f, 0x14, 0x82],
        [0x00, 0x83, 0x80],
    ];
    prefixes.extend((0..19).map(|bit| {
        let bits = 1u32 << bit;
        [bits as u8, (bits >> 8) as u8, (bits >> 16) as u8]
    }));
    let mut mapped = 0;
    for (name, body) in fixtures() {
        for &prefix in &prefixes {
            run_all(prefix, body);
        }
        mapped += usize::from(braid_mparticle::parse_batch(body).is_ok());
        let wrapped = [b"[".as_slice(), body, b"]"].concat();
        fuzz_bodies::parse_bulk(&wrapped);
        eprintln!("fuzz bodies: {name} passed");
    }
    assert!(
        mapped >= fixtures().len() - 2,
        "most fixtures are single batches that reach the mapping ({mapped})"
    );
}

/// A byte-level edit, as libFuzzer's mutators make them.
#[derive(Debug, Clone)]
enum ByteEdit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Flip(i, b)),
        (
            any::<usize>(),
            prop::sample::select(b"{}[]\",:0-e.\\ ntf".to_vec())
        )
            .prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        any::<usize>().prop_map(ByteEdit::Delete),
        any::<usize>().prop_map(ByteEdit::Truncate),
    ]
}

fn apply(body: &mut Vec<u8>, edit: &ByteEdit) {
    if body.is_empty() {
        return;
    }
    let len = body.len();
    match *edit {
        ByteEdit::Flip(i, b) => body[i % len] ^= b,
        ByteEdit::Insert(i, b) => body.insert(i % (len + 1), b),
        ByteEdit::Delete(i) => {
            body.remove(i % len);
        }
        ByteEdit::Truncate(i) => body.truncate(i % len),
    }
}

/// Odd values to put anywhere in a batch: huge, negative, empty, nested, wrong-typed.
fn odd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        Just(json!(u64::MAX)),
        ".{0,12}".prop_map(Value::from),
        "[a-z$]{1,3}".prop_map(|s| Value::from(s.repeat(400))),
        Just(json!("2024-06-01T00:00:00Z")),
        Just(json!("true")),
        Just(json!("12.50")),
        Just(json!([])),
        Just(json!(["a", 1, null, {"k": "v"}])),
        Just(json!({})),
        Just(json!({"$FirstName": {"nested": [1, 2]}})),
    ]
}

/// Replace (or delete) the value that `picks` leads to, choosing a child modulo the
/// number of children at each step.
fn replace_at(v: &mut Value, picks: &[usize], replacement: Value, delete: bool) {
    let Some((&pick, rest)) = picks.split_first() else {
        *v = replacement;
        return;
    };
    match v {
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth(pick % map.len()).unwrap().clone();
            if rest.is_empty() && delete {
                map.remove(&key);
            } else {
                replace_at(map.get_mut(&key).unwrap(), rest, replacement, delete);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let i = pick % items.len();
            if rest.is_empty() && delete {
                items.remove(i);
            } else {
                replace_at(&mut items[i], rest, replacement, delete);
            }
        }
        _ => *v = replacement,
    }
}

proptest! {
    // Cases: PROPTEST_CASES (scripts/test sets 64 for CI), else proptest's 256.
    #[test]
    fn byte_mutated_fixtures_break_no_invariant(
        fixture in any::<prop::sample::Index>(),
        prefix in any::<[u8; 3]>(),
        edits in prop::collection::vec(byte_edit(), 1..6),
    ) {
        let (_, body) = fixture.get(fixtures());
        let mut body = body.clone();
        for edit in &edits {
            apply(&mut body, edit);
        }
        run_all(prefix, &body);
    }

    #[test]
    fn json_mutated_fixtures_break_no_invariant(
        fixture in any::<prop::sample::Index>(),
        prefix in any::<[u8; 3]>(),
        mutations in prop::collection::vec(
            (prop::collection::vec(any::<usize>(), 1..6), odd_value(), any::<bool>()),
            1..4,
        ),
    ) {
        let (_, body) = fixture.get(fixtures());
        let mut value: Value = serde_json::from_slice(body).expect("fixtures are JSON");
        for (picks, replacement, delete) in mutations {
            replace_at(&mut value, &picks, replacement, delete);
        }
        run_all(prefix, &serde_json::to_vec(&value).unwrap());
    }
}
