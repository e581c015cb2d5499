//! Parsing throughput on realistic bodies: "parse a realistic batch", reported as
//! events per second (criterion's element throughput) and bytes per second.

use braid_mparticle::{parse_batch, parse_bulk, validate_batch, Limits};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse a realistic batch");
    for name in [
        "all_event_types.json",
        "python_sdk_batch.json",
        "commerce_purchase.json",
    ] {
        let body = fixture(name);
        let events = parse_batch(&body).expect("fixture parses").events.len() as u64;
        group.throughput(Throughput::Elements(events));
        group.bench_function(name, |b| b.iter(|| parse_batch(black_box(&body)).unwrap()));
        // Baseline: reading the same bytes into a `serde_json::Value` only, so the cost of
        // braid's conversion can be told apart from JSON decoding on a busy machine.
        group.bench_function(format!("{name} (serde_json::Value only)"), |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap())
        });
    }
    group.finish();

    let body = fixture("all_event_types.json");
    let batch = parse_batch(&body).unwrap();
    let mut group = c.benchmark_group("validate a realistic batch");
    group.throughput(Throughput::Elements(batch.events.len() as u64));
    group.bench_function("all_event_types.json", |b| {
        b.iter(|| validate_batch(black_box(&batch), &Limits::default()).unwrap())
    });
    group.finish();

    let body = fixture("bulk.json");
    let events: u64 = parse_bulk(&body)
        .unwrap()
        .iter()
        .map(|b| b.as_ref().unwrap().events.len() as u64)
        .sum();
    let mut group = c.benchmark_group("parse a bulk body");
    group.throughput(Throughput::Elements(events));
    group.bench_function("bulk.json", |b| {
        b.iter(|| parse_bulk(black_box(&body)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
