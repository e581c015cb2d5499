//! Assembling a running braid: credentials, store, committer and pipeline worker,
//! delivery, data subject requests and the HTTP router, with graceful shutdown (one
//! grace period shared by every task, see `shutdown`). Tests use [`Server::start`] on
//! port 0.

use crate::auth::{Credential, Guard};
use crate::cluster::{self, Roles};
use crate::committer::Committer;
use crate::config::Config;
use crate::config::StorageBackend;
use crate::shutdown::{NamedTask, Shutdown, ShutdownReport};
use crate::store::Store;
use crate::store_health::StoreHealth;
use crate::{admin, console, credentials, dsr, ingest, telemetry, tls, web, worker};
use anyhow::Context;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use braid_core::pipeline::{Pipeline, PipelineConfig};
use braid_store::{EmbeddedStore, StoreOptions};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Shared state of the HTTP handlers.
pub struct AppState {
    pub config: Config,
    pub inputs: Vec<Credential>,
    pub admin: Vec<Credential>,
    pub committer: Committer,
    pub store: Store,
    /// Free-space reserve and store faults: ingest refuses, `/readyz` reports.
    pub store_health: Arc<StoreHealth>,
    pub delivery: braid_delivery::DeliveryHandle,
    pub prometheus: metrics_exporter_prometheus::PrometheusHandle,
    /// Data points queued and saved by the delta step since start.
    pub ledger: Arc<worker::Ledger>,
    /// Data subject requests.
    pub dsr: Arc<dsr::Dsr>,
    /// The audiences in force (shared with the pipeline).
    pub audiences: braid_core::membership::AudienceHandle,
    /// Serialises audience definition changes from the admin API.
    pub audience_changes: tokio::sync::Mutex<()>,
    /// Wakes the worker when audience work is queued.
    pub audience_work: Arc<Notify>,
    /// The browser console's sessions, live stream and history.
    pub console: Arc<console::Console>,
    /// The clock ingest stamps batches with and the worker runs time-driven work by.
    pub clock: braid_core::clock::Clock,
    /// The Web SDK's inputs, rate limits and rejected batches.
    pub web: crate::web::Web,
}

/// A running braid.
pub struct Server {
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: Shutdown,
    /// Background tasks, in the order they stop (the committer first: once the HTTP
    /// server is gone, it drains what was accepted).
    tasks: Vec<NamedTask>,
    http: NamedTask,
    /// Credentials created on this first run (to print), if any.
    pub generated: Option<credentials::GeneratedCredentials>,
}

/// The credentials each API surface accepts: from the config, else generated on the
/// first run and kept in the data directory.
struct ApiCredentials {
    inputs: Vec<Credential>,
    admin: Vec<Credential>,
    dsr: Vec<Credential>,
    /// Set when this run generated them (to print once).
    generated: Option<credentials::GeneratedCredentials>,
}

/// The pipeline side: the committer in front of the log, and the worker behind it.
struct Processing {
    committer: Committer,
    store_health: Arc<StoreHealth>,
    ledger: Arc<worker::Ledger>,
    audiences: braid_core::membership::AudienceHandle,
    audience_work: Arc<Notify>,
    /// Notified by the worker when it has queued work for delivery.
    processed: Arc<Notify>,
    /// The console, fed by the worker (live stream) and its own sampler (history).
    console: Arc<console::Console>,
    tasks: Vec<NamedTask>,
}

impl Server {
    /// Open the store and start everything. Binds `config.server.listen` (port 0 picks
    /// a free port; see [`Server::addr`]).
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        Self::start_as(config, Roles::ALL).await
    }

    /// [`Server::start`] for a node that plays only `roles` (the distributed backend).
    pub async fn start_as(config: Config, roles: Roles) -> anyhow::Result<Server> {
        roles.check(&config).map_err(anyhow::Error::msg)?;
        let clock = braid_core::clock::Clock::system();
        let prometheus = telemetry::prometheus();
        let data_dir = config.server.data_dir.clone();
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating data directory {}", data_dir.display()))?;
        let credentials = api_credentials(&config)?;
        let shutdown = Shutdown::new(Duration::from_secs(config.server.shutdown_grace_secs));
        let mut engine_tasks = Vec::new();
        let (store, store_health) = match config.storage.backend {
            StorageBackend::Embedded => {
                let embedded = open_store(&config).await?;
                let health = StoreHealth::new(embedded.clone(), config.storage.min_free_bytes());
                (Store::Embedded(embedded), health)
            }
            StorageBackend::Distributed => {
                let cluster = cluster::connect(&config, roles).await?;
                let engines = Arc::new(cluster::health::EngineHealth::default());
                engine_tasks.push(NamedTask::spawn(
                    "engine health",
                    cluster::health::run(cluster.clone(), engines.clone(), shutdown.subscribe()),
                ));
                tracing::info!(node = %cluster.node_id, roles = %roles.describe(), "joined the cluster");
                (
                    Store::Distributed(cluster),
                    StoreHealth::for_engines(engines),
                )
            }
        };
        let processing =
            start_processing(&config, &store, roles, store_health, &shutdown, &clock).await?;

        let outbox: Arc<dyn braid_core::storage::Outbox> = Arc::new(store.clone());
        let delivery = match &store {
            Store::Embedded(_) => braid_delivery::Delivery::new(
                outbox,
                config.delivery.clone(),
                config.braze.limits.clone(),
                &data_dir,
            )?,
            Store::Distributed(cluster) => {
                if roles.delivery {
                    let state = cluster.state.clone();
                    tokio::task::spawn_blocking(move || state.start_lane_leasing())
                        .await?
                        .context("taking outbox lanes in PostgreSQL")?;
                    cluster.state.watch_outbox(processing.processed.clone());
                }
                braid_delivery::Delivery::new_with_budget(
                    outbox,
                    config.delivery.clone(),
                    config.braze.limits.clone(),
                    &data_dir,
                    cluster.budget.clone(),
                )?
            }
        };
        let delivery_handle = delivery.handle();
        let dsr = open_dsr(&config, credentials.dsr, &store, delivery_handle.clone()).await?;
        let mut tasks = processing.tasks;
        tasks.extend(engine_tasks);
        if roles.delivery {
            tasks.push(NamedTask::spawn(
                "delivery",
                delivery.run(processing.processed.clone(), shutdown.subscribe()),
            ));
        }
        // Requests are taken and processed only where delivery runs (it sends their
        // `/users/delete` requests); among several delivery nodes, one leads (see
        // `dsr::process`).
        if roles.delivery {
            tasks.push(NamedTask::spawn(
                "data subject requests",
                dsr::process::run(dsr.clone(), shutdown.subscribe()),
            ));
        }

        let state = Arc::new(AppState {
            config: config.clone(),
            inputs: credentials.inputs,
            admin: credentials.admin,
            committer: processing.committer,
            store_health: processing.store_health,
            store,
            delivery: delivery_handle,
            prometheus,
            ledger: processing.ledger,
            dsr: dsr.clone(),
            audiences: processing.audiences,
            audience_changes: tokio::sync::Mutex::new(()),
            audience_work: processing.audience_work,
            console: processing.console,
            clock,
            web: crate::web::Web::new(&config),
        });
        let (addr, http) = serve_http(&config, router(state.clone(), roles), &shutdown).await?;
        dsr.set_listen_addr(addr);
        tracing::info!(%addr, data_dir = %config.server.data_dir.display(), "braid listening");
        Ok(Server {
            addr,
            state,
            shutdown,
            tasks,
            http,
            generated: credentials.generated,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Shared state (for tests and the CLI).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stop accepting, let in-flight requests finish, let the pipeline finish what was
    /// committed, stop delivery, and close the store: all within one grace period from
    /// now (`server.shutdown_grace_secs`). Tasks still running at its end are aborted.
    pub async fn shutdown(self) -> ShutdownReport {
        let mut stopping = self.shutdown.begin();
        stopping.join(self.http).await;
        // The committer stops once the last handle to it (in the state) is gone.
        drop(self.state);
        for task in self.tasks {
            stopping.join(task).await;
        }
        stopping.finish()
    }
}

/// The credentials of inputs, admin and data subject requests.
fn api_credentials(config: &Config) -> anyhow::Result<ApiCredentials> {
    // Web inputs have no secret: they are served by `web`, never by HTTP Basic.
    let mut inputs: Vec<Credential> = config
        .inputs
        .iter()
        .filter_map(|i| {
            Some(Credential {
                name: i.display_name().to_string(),
                key: i.key.clone(),
                secret: i.secret.clone()?,
            })
        })
        .collect();
    let mut admin: Vec<Credential> = config
        .admin
        .iter()
        .map(|a| Credential {
            name: "admin".into(),
            key: a.key.clone(),
            secret: a.secret.clone(),
        })
        .collect();
    let mut dsr: Vec<Credential> = match (&config.dsr.key, &config.dsr.secret) {
        (Some(key), Some(secret)) => vec![Credential {
            name: "dsr".into(),
            key: key.clone(),
            secret: secret.clone(),
        }],
        _ => Vec::new(),
    };
    let mut generated = None;
    // A config naming only web inputs still gets a generated server input.
    if inputs.is_empty() || admin.is_empty() || dsr.is_empty() {
        let (creds, created) = credentials::load_or_create(&config.server.data_dir)
            .context("loading generated credentials")?;
        if inputs.is_empty() {
            inputs.push(Credential {
                name: creds.input.display_name().to_string(),
                key: creds.input.key.clone(),
                secret: creds.input.secret.clone(),
            });
        }
        if admin.is_empty() {
            admin.push(Credential {
                name: "admin".into(),
                key: creds.admin.key.clone(),
                secret: creds.admin.secret.clone(),
            });
        }
        if dsr.is_empty() {
            if let Some(d) = &creds.dsr {
                dsr.push(Credential {
                    name: "dsr".into(),
                    key: d.key.clone(),
                    secret: d.secret.clone(),
                });
            }
        }
        if created {
            generated = Some(creds);
        }
    }
    Ok(ApiCredentials {
        inputs,
        admin,
        dsr,
        generated,
    })
}

/// Open the embedded store in the data directory.
async fn open_store(config: &Config) -> anyhow::Result<EmbeddedStore> {
    let data_dir = config.server.data_dir.clone();
    let store_dir = data_dir.clone();
    let options = StoreOptions {
        lanes: config.server.lanes,
        ..StoreOptions::default()
    }
    .with_cache_bytes(config.storage.cache_bytes());
    tokio::task::spawn_blocking(move || EmbeddedStore::open(&store_dir, options))
        .await?
        .with_context(|| format!("opening the store in {}", data_dir.display()))
}

/// Start the committer and the pipeline worker, with the audiences in force.
async fn start_processing(
    config: &Config,
    store: &Store,
    roles: Roles,
    store_health: Arc<StoreHealth>,
    shutdown: &Shutdown,
    clock: &braid_core::clock::Clock,
) -> anyhow::Result<Processing> {
    let committed = Arc::new(Notify::new());
    let processed = Arc::new(Notify::new());
    let (committer, committer_task) = Committer::start(
        Arc::new(store.clone()),
        committed.clone(),
        store_health.clone(),
    );
    let committer_task = NamedTask::from_handle("committer", committer_task);
    let health_task = NamedTask::spawn(
        "store health",
        store_health.clone().run(shutdown.subscribe()),
    );

    let audiences = load_audiences(store, config).await?;
    let audience_work = Arc::new(Notify::new());
    let pipeline = Arc::new(Pipeline::with_audiences(
        PipelineConfig {
            braze: config.braze.clone(),
            forward_to_braze: true,
            // The store's lane count, read back so the pipeline cannot disagree with it.
            lanes: braid_core::storage::Outbox::lane_count(store),
            history_retention_ms: i64::from(config.server.history_retention_days) * 86_400_000,
            currents: config.currents.pipeline_settings(),
        },
        audiences.clone(),
    ));
    let ledger = Arc::new(worker::Ledger::default());
    let console = Arc::new(console::Console::new(&config.console, shutdown.subscribe()));
    let reporting = worker::Reporting {
        ledger: ledger.clone(),
        live: console.live.clone(),
        health: store_health.clone(),
    };
    let timing = worker::AudienceTiming {
        interval: Duration::from_millis(config.audiences.recheck_interval_ms),
        chunk: config.audiences.job_chunk,
        wake: audience_work.clone(),
        clock: clock.clone(),
    };
    let mut tasks = vec![committer_task, health_task];
    match store {
        Store::Embedded(_) => tasks.push(NamedTask::spawn(
            "pipeline worker",
            worker::run(
                store.clone(),
                pipeline,
                committed,
                processed.clone(),
                reporting,
                timing,
                config.storage.records_per_pass(),
                shutdown.subscribe(),
            ),
        )),
        Store::Distributed(cluster) if roles.pipeline => tasks.push(NamedTask::spawn(
            "pipeline worker",
            cluster::consumer::run(
                cluster.clone(),
                pipeline,
                processed.clone(),
                reporting,
                timing,
                shutdown.subscribe(),
            ),
        )),
        Store::Distributed(_) => {}
    }
    let console_task = NamedTask::spawn(
        "console history",
        console::history::run(
            store.clone(),
            ledger.clone(),
            console.history.clone(),
            shutdown.subscribe(),
        ),
    );
    Ok(Processing {
        committer,
        store_health,
        ledger,
        audiences,
        audience_work,
        processed,
        console,
        tasks: {
            tasks.push(console_task);
            tasks
        },
    })
}

/// Open data subject requests (their records, keys and forwarding to Braze).
async fn open_dsr(
    config: &Config,
    credentials: Vec<Credential>,
    store: &Store,
    delivery: braid_delivery::DeliveryHandle,
) -> anyhow::Result<Arc<dsr::Dsr>> {
    let dsr = dsr::Dsr::open(
        config.dsr.clone(),
        credentials,
        store.clone(),
        &config.server.data_dir,
        config.braze.clone(),
        delivery,
    )
    .await
    .context("starting data subject requests")?;
    Ok(Arc::new(dsr))
}

/// Bind `server.listen` and serve `router` until shutdown begins: plain HTTP, or HTTPS
/// when `[server.tls]` is set. Handlers see the client's address (`ConnectInfo`).
async fn serve_http(
    config: &Config,
    router: Router,
    shutdown: &Shutdown,
) -> anyhow::Result<(SocketAddr, NamedTask)> {
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("binding {}", config.server.listen))?;
    let addr = listener.local_addr()?;
    let mut stop = shutdown.subscribe();
    let stopped = async move {
        let _ = stop.wait_for(|stop| *stop).await;
    };
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let http = match &config.server.tls {
        None => NamedTask::spawn("http", async move {
            let serve = axum::serve(listener, service).with_graceful_shutdown(stopped);
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "http server failed");
            }
        }),
        Some(settings) => {
            use axum::serve::ListenerExt;
            // `tap_io` gives the listener axum's `ConnectInfo` support.
            let listener = tls::TlsListener::new(listener, tls::acceptor(settings)?).tap_io(|_| {});
            NamedTask::spawn("http", async move {
                let serve = axum::serve(listener, service).with_graceful_shutdown(stopped);
                if let Err(e) = serve.await {
                    tracing::error!(error = %e, "https server failed");
                }
            })
        }
    };
    Ok((addr, http))
}

/// The audiences to put in force: stored ones with the config file's applied on top.
async fn load_audiences(
    store: &Store,
    config: &Config,
) -> anyhow::Result<braid_core::membership::AudienceHandle> {
    use braid_core::membership::{self, AudienceOutput, AudienceRuntime};
    use braid_core::storage::StateStore;
    let store_kind = config.storage.backend;
    let store = store.clone();
    // Read before the definitions are: what is loaded below is at least this new.
    let version_store = store.clone();
    let read_after = tokio::task::spawn_blocking(move || {
        version_store.transact(|txn| membership::definitions_version(txn))
    })
    .await?
    .context("reading the definitions version")?;
    let definitions = config.audiences.definitions.clone();
    let now = braid_core::clock::now_ms();
    let calculated_store = store.clone();
    let (set, jobs) = tokio::task::spawn_blocking(move || {
        membership::transact_change(&store, |txn| {
            membership::load_definitions(txn, &definitions, now)
        })
    })
    .await?
    .context("loading audience definitions")?;
    let calculated = crate::calculated_api::load(&calculated_store, config, &set).await?;
    for job in &jobs {
        tracing::info!(
            job = job.id,
            audience = job.audience_id,
            "audience backfill queued"
        );
    }
    tracing::info!(audiences = set.audiences().count(), "audiences loaded");
    let runtime = AudienceRuntime {
        set,
        output: AudienceOutput {
            sync: config.audiences.sync,
            send_segments_as: config.audiences.send_segments_as,
            limits: braid_audiences::FormLimits {
                max_string_chars: braid_audiences::FormLimits::default().max_string_chars,
                max_array_len: config.audiences.max_array_len,
            },
        },
        calculated,
    };
    // On the distributed backend any node's admin API may change the definitions: every
    // transaction of this node checks the stored version and reloads when it moved.
    Ok(match store_kind {
        StorageBackend::Distributed => {
            membership::AudienceHandle::following_store(runtime, read_after)
        }
        StorageBackend::Embedded => membership::AudienceHandle::new(runtime),
    })
}

/// All routes; the ingest routes only on a node with the ingest role.
pub fn router(state: Arc<AppState>, roles: Roles) -> Router {
    let max = state.config.limits.max_request_bytes;
    let inputs = Guard::new::<ingest::IngestError>(state.inputs.clone());
    let admin = Guard::new::<admin::AdminError>(state.admin.clone());
    let dsr = Guard::new::<dsr::routes::OpenDsrError>(state.dsr.credentials.clone());
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(admin::routes(admin))
        .merge(dsr::routes::routes(dsr, roles.delivery))
        .merge(console::routes(&state.config.console));
    if roles.ingest {
        router = router
            .merge(ingest::routes(inputs))
            .merge(crate::currents::routes(&state))
            .merge(web::routes(&state));
    }
    router.layer(DefaultBodyLimit::max(max)).with_state(state)
}

async fn healthz() -> Response {
    (StatusCode::OK, Json(json!({"status": "ok"}))).into_response()
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let (ready, problems) = readiness(&state);
    let body = json!({
        "ready": ready,
        "problems": problems,
        "delivery": state.delivery.status(),
    });
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

/// Whether braid is ready (what `/readyz` answers), and the problems when it is not.
pub(crate) fn readiness(state: &AppState) -> (bool, Vec<String>) {
    let status = state.delivery.status();
    let mut problems = Vec::new();
    if let Some(reason) = state.store_health.refusal() {
        problems.push(format!("not accepting batches: {reason}"));
    }
    for problem in state.store_health.engine_problems() {
        if !problems.iter().any(|p| p.contains(&problem)) {
            problems.push(problem);
        }
    }
    if status.auth_failed {
        problems.push(format!(
            "braze rejected the REST API key ({}); sending is paused and everything stays queued",
            status.last_error.clone().unwrap_or_default()
        ));
    }
    (problems.is_empty(), problems)
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    if let Ok(depth) = braid_core::storage::Outbox::depth(&state.store) {
        metrics::gauge!("braid_outbox_depth").set(depth as f64);
    }
    (
        StatusCode::OK,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.prometheus.render(),
    )
        .into_response()
}
