//! Writes a storage-connector folder of Avro files for benchmarks and manual tests:
//! `currents_fixtures OUT_DIR FILES EVENTS_PER_FILE USERS [FIRST_ID]`. Files cycle through
//! email opens, email clicks, push sends and custom events (codec deflate); events are
//! spread over `USERS` external ids `bench-<n>`, timed in the last hour.

use braid_currents::fixtures::{avro_file, storage_path, FixtureCodec, FixtureEvent};
use braid_currents::model::spec;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: currents_fixtures OUT_DIR FILES EVENTS_PER_FILE USERS [FIRST_ID]");
        std::process::exit(2);
    }
    let out = std::path::PathBuf::from(&args[0]);
    let number = |i: usize| -> u64 {
        args[i].parse().unwrap_or_else(|_| {
            eprintln!("argument {} must be a number, not {:?}", i + 1, args[i]);
            std::process::exit(2)
        })
    };
    let (files, per_file, users) = (number(1), number(2), number(3).max(1));
    let first_id = if args.len() > 4 { number(4) } else { 0 };
    let types = [
        "users.messages.email.Open",
        "users.messages.email.Click",
        "users.messages.pushnotification.Send",
        "users.behaviors.CustomEvent",
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut id = first_id;
    for f in 0..files {
        let event_type = types[f as usize % types.len()];
        let spec = spec(event_type).expect("catalogue type");
        let events: Vec<FixtureEvent<'_>> = (0..per_file)
            .map(|i| {
                id += 1;
                let user = (id * 7919 + i) % users;
                let mut e = FixtureEvent::new(spec, id, Some(&format!("bench-{user}")));
                e.braze_id = format!("{:024x}", 0xbe_0000_0000u64 + user);
                e.time = now - 3_600 + (id % 3_600) as i64;
                e
            })
            .collect();
        let path = out.join(storage_path(event_type, "2026-12-01-10", f as u32));
        std::fs::create_dir_all(path.parent().expect("path has a folder")).expect("mkdir");
        std::fs::write(&path, avro_file(&events, FixtureCodec::Deflate)).expect("write file");
    }
    println!(
        "wrote {files} files of {per_file} events ({} events) under {}",
        files * per_file,
        out.display()
    );
}
