//! A full disk, for real: each test mounts a small filesystem of its own (an ext4 image
//! on a loop device, or a size-limited tmpfs where loop devices are missing), puts braid's
//! data directory on it, fills it with a file of its own and sends batches through real
//! HTTP until braid answers 503. Then it deletes that file and braid must accept again by
//! itself, with `/readyz` ready, and every batch ever answered 202 must reach braze-sim.
//!
//! Mounting needs root, which these tests have in CI and on the development machines; a
//! test that cannot mount fails (it never skips).

mod common;

use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Longest wait for one condition: generous, CI shares two cores.
const WAIT: Duration = Duration::from_secs(90);

/// Metrics are process-wide: the tests take turns so that each reads only its own.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A filesystem mounted for one test, unmounted when dropped.
struct SmallFs {
    dir: tempfile::TempDir,
    mount: PathBuf,
}

impl SmallFs {
    fn mount(mib: u64) -> SmallFs {
        let dir = tempfile::tempdir().expect("tempdir");
        let mount = dir.path().join("mnt");
        std::fs::create_dir(&mount).expect("mount point");
        let image = dir.path().join("fs.img");
        let run = |cmd: &mut Command| -> Result<(), String> {
            let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "{cmd:?}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
        };
        let ext4 = run(Command::new("truncate")
            .arg("-s")
            .arg(format!("{mib}M"))
            .arg(&image))
        // No blocks reserved for root: the test runs as root and must meet a full disk.
        .and_then(|()| {
            run(Command::new("mkfs.ext4")
                .args(["-q", "-F", "-m", "0"])
                .arg(&image))
        })
        .and_then(|()| {
            run(Command::new("mount")
                .args(["-o", "loop"])
                .arg(&image)
                .arg(&mount))
        });
        if let Err(loop_error) = ext4 {
            let _ = std::fs::remove_file(&image);
            let tmpfs = run(Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
                .arg(&mount));
            if let Err(tmpfs_error) = tmpfs {
                panic!(
                    "cannot mount a small filesystem (these tests need root): \
                     loop-mounted ext4: {loop_error}; tmpfs: {tmpfs_error}"
                );
            }
        }
        SmallFs { dir, mount }
    }

    fn path(&self) -> &Path {
        &self.mount
    }

    fn free_bytes(&self) -> u64 {
        braid_store::health::free_bytes(&self.mount).expect("statvfs")
    }

    /// Write (really, not sparse) a file that leaves about `leave` bytes free.
    fn fill_leaving(&self, leave: u64) -> PathBuf {
        let path = self.mount.join("filler");
        let mut file = std::fs::File::create(&path).expect("filler");
        let chunk = vec![0xA5u8; 1 << 20];
        let mut to_write = self.free_bytes().saturating_sub(leave);
        while to_write > 0 {
            let n = to_write.min(chunk.len() as u64) as usize;
            file.write_all(&chunk[..n]).expect("writing the filler");
            to_write -= n as u64;
        }
        file.sync_all().expect("fsync filler");
        path
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
        let _ = &self.dir;
    }
}

/// Batch `seq` of a test: its own user, one event carrying `seq`, and a padded attribute
/// so the disk fills in a few hundred requests.
fn batch(seq: u64) -> Value {
    json!({
        "source_request_id": format!("disk-{seq}"),
        "environment": "production",
        "user_identities": {"customer_id": format!("disk-user-{seq}")},
        "user_attributes": {"padding": "p".repeat(2000), "seq": seq},
        "events": [{"event_type": "custom_event", "data": {
            "event_name": "Fill", "custom_event_type": "other",
            "timestamp_unixtime_ms": 1_700_000_000_000i64 + seq as i64,
            "custom_attributes": {"seq": seq.to_string()}}}]
    })
}

/// Sends bulk requests of numbered batches and remembers which were answered 202.
struct Sender {
    next: u64,
    accepted: BTreeSet<u64>,
}

const PER_REQUEST: u64 = 20;

impl Sender {
    /// One bulk request; its status and body.
    async fn send(&mut self, braid: &TestBraid) -> (u16, Value) {
        let seqs: Vec<u64> = (self.next..self.next + PER_REQUEST).collect();
        self.next += PER_REQUEST;
        let body: Vec<Value> = seqs.iter().map(|s| batch(*s)).collect();
        let (status, answer) = braid.post("/v2/bulkevents", &json!(body)).await;
        match status {
            202 => {
                assert_eq!(answer["accepted"], PER_REQUEST, "{answer}");
                self.accepted.extend(seqs);
            }
            503 => {}
            other => panic!("unexpected answer {other}: {answer}"),
        }
        (status, answer)
    }

    /// Send until braid answers 503; returns that answer's body.
    async fn until_refused(&mut self, braid: &TestBraid) -> Value {
        for _ in 0..20_000 {
            let (status, answer) = self.send(braid).await;
            if status == 503 {
                return answer;
            }
        }
        panic!("braid never refused a batch on a full disk");
    }
}

async fn readyz(braid: &TestBraid) -> (u16, Value) {
    let r = braid
        .client
        .get(format!("{}/readyz", braid.base))
        .send()
        .await
        .expect("readyz");
    (r.status().as_u16(), r.json().await.expect("readyz body"))
}

fn message(answer: &Value) -> String {
    answer["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Wait until braid accepts batches again by itself (it is never restarted).
async fn until_accepting(braid: &TestBraid, sender: &mut Sender) {
    let started = Instant::now();
    loop {
        let (status, answer) = sender.send(braid).await;
        if status == 202 {
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "braid still refuses after space was freed: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every batch answered 202 reached braze-sim: its user holds its event.
async fn assert_all_delivered(sim: &braze_sim::SimHandle, braid: &TestBraid, sender: &Sender) {
    braid.wait_delivered().await;
    let started = Instant::now();
    loop {
        let missing: Vec<u64> = sender
            .accepted
            .iter()
            .copied()
            .filter(|seq| {
                !sim.state()
                    .user(&format!("disk-user-{seq}"))
                    .is_some_and(|p| {
                        p.events
                            .iter()
                            .any(|e| e["properties"]["seq"] == json!(seq.to_string()))
                    })
            })
            .collect();
        if missing.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "{} of {} accepted batches never reached braze-sim, first {:?}",
            missing.len(),
            sender.accepted.len(),
            &missing[..missing.len().min(10)]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn start_on(fs: &SmallFs, min_free_mib: u64) -> (braze_sim::SimHandle, TestBraid) {
    let data_dir = fs.path().join("data");
    start_with_sim(braze_sim::SimConfig::default(), move |c| {
        c.server.data_dir = data_dir;
        c.storage.cache_mib = 8;
        c.storage.min_free_mib = min_free_mib;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_and_braid_writes_again_by_itself_once_space_is_freed() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let fs = SmallFs::mount(48);
    // No reserve: the store itself meets the full disk (ENOSPC inside redb, which then
    // refuses every write until the file is reopened).
    let (sim, braid) = start_on(&fs, 0).await;
    let mut sender = Sender {
        next: 1,
        accepted: BTreeSet::new(),
    };
    for _ in 0..5 {
        assert_eq!(sender.send(&braid).await.0, 202);
    }
    let filler = fs.fill_leaving(3 << 20);
    let refused = sender.until_refused(&braid).await;
    assert!(
        message(&refused).contains("not stored"),
        "the 503 says the batch was not stored: {refused}"
    );
    assert!(!sender.accepted.is_empty());

    // Once the error is noted, ingest and /readyz name it.
    let started = Instant::now();
    let (status, ready) = loop {
        let (status, ready) = readyz(&braid).await;
        if status == 503 || started.elapsed() > WAIT {
            break (status, ready);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        status, 503,
        "not ready while the store cannot write: {ready}"
    );
    let problems = ready["problems"].to_string();
    assert!(problems.contains("disk_full"), "{ready}");
    let (status, answer) = sender.send(&braid).await;
    assert_eq!(status, 503);
    assert!(message(&answer).contains("disk_full"), "{answer}");
    let metrics = braid.metrics().await;
    assert!(
        metric(&metrics, "braid_store_errors_total{kind=\"disk_full\"}") >= 1.0,
        "disk-full errors are counted: {}",
        metrics
            .lines()
            .filter(|l| l.starts_with("braid_store"))
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Free the space: braid reopens the store by itself, without a restart.
    std::fs::remove_file(&filler).expect("delete filler");
    until_accepting(&braid, &mut sender).await;
    let (status, ready) = readyz(&braid).await;
    assert_eq!(status, 200, "ready again: {ready}");
    for _ in 0..5 {
        assert_eq!(sender.send(&braid).await.0, 202, "keeps accepting");
    }
    let recoveries = metric(&braid.metrics().await, "braid_store_recoveries_total");
    assert!(recoveries >= 1.0, "recoveries are counted: {recoveries}");
    assert_all_delivered(&sim, &braid, &sender).await;
    braid.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_free_space_reserve_refuses_batches_before_the_disk_is_full_and_delivery_keeps_draining(
) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let fs = SmallFs::mount(64);
    let (sim, braid) = start_on(&fs, 16).await;
    let errors_before = metric(&braid.metrics().await, "braid_store_errors_total");
    let mut sender = Sender {
        next: 1,
        accepted: BTreeSet::new(),
    };
    assert_eq!(sender.send(&braid).await.0, 202);
    let filler = fs.fill_leaving(24 << 20);
    let refused = sender.until_refused(&braid).await;
    assert!(
        message(&refused).contains("storage.min_free_mib"),
        "the 503 names the reserve: {refused}"
    );
    let (status, ready) = readyz(&braid).await;
    assert_eq!(status, 503, "{ready}");
    assert!(
        ready["problems"]
            .to_string()
            .contains("storage.min_free_mib"),
        "{ready}"
    );
    assert!(
        fs.free_bytes() > 4 << 20,
        "refused before the disk was full"
    );

    // While ingest is refused, the pipeline and delivery go on: everything accepted
    // reaches braze-sim, and the store never met the full disk.
    assert_all_delivered(&sim, &braid, &sender).await;
    assert_eq!(
        metric(&braid.metrics().await, "braid_store_errors_total"),
        errors_before,
        "no storage error: the reserve stopped ingest first"
    );

    std::fs::remove_file(&filler).expect("delete filler");
    until_accepting(&braid, &mut sender).await;
    assert_eq!(readyz(&braid).await.0, 200);
    assert_all_delivered(&sim, &braid, &sender).await;
    braid.stop().await;
}
