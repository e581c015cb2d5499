//! Assembling a running braid: store, committer, pipeline worker, delivery and the
//! HTTP router, with graceful shutdown. Tests use [`Server::start`] on port 0.

use crate::auth::Credential;
use crate::committer::Committer;
use crate::config::Config;
use crate::{admin, credentials, dsr, ingest, telemetry, worker};
use anyhow::Context;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use braid_core::pipeline::{Pipeline, PipelineConfig};
use braid_store::{EmbeddedStore, StoreOptions};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// Shared state of the HTTP handlers.
pub struct AppState {
    pub config: Config,
    pub inputs: Vec<Credential>,
    pub admin: Vec<Credential>,
    pub batch_limits: braid_mparticle::limits::Limits,
    pub committer: Committer,
    pub store: EmbeddedStore,
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
    /// The clock ingest stamps batches with and the worker runs time-driven work by.
    pub clock: crate::clock::Clock,
}

/// A running braid.
pub struct Server {
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    http: JoinHandle<()>,
    /// Credentials created on this first run (to print), if any.
    pub generated: Option<credentials::GeneratedCredentials>,
}

impl Server {
    /// Open the store and start everything. Binds `config.server.listen` (port 0 picks
    /// a free port; see [`Server::addr`]).
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        Server::start_with_clock(config, crate::clock::Clock::system()).await
    }

    /// [`Server::start`] with a given clock (tests move it forward to let time pass).
    pub async fn start_with_clock(
        config: Config,
        clock: crate::clock::Clock,
    ) -> anyhow::Result<Server> {
        let prometheus = telemetry::prometheus();
        let data_dir = config.server.data_dir.clone();
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating data directory {}", data_dir.display()))?;

        let mut inputs: Vec<Credential> = config
            .inputs
            .iter()
            .map(|i| Credential {
                name: i.display_name().to_string(),
                key: i.key.clone(),
                secret: i.secret.clone(),
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
        let mut dsr_credentials: Vec<Credential> = match (&config.dsr.key, &config.dsr.secret) {
            (Some(key), Some(secret)) => vec![Credential {
                name: "dsr".into(),
                key: key.clone(),
                secret: secret.clone(),
            }],
            _ => Vec::new(),
        };
        let mut generated = None;
        if inputs.is_empty() || admin.is_empty() || dsr_credentials.is_empty() {
            let (creds, created) =
                credentials::load_or_create(&data_dir).context("loading generated credentials")?;
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
            if dsr_credentials.is_empty() {
                if let Some(d) = &creds.dsr {
                    dsr_credentials.push(Credential {
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

        let store_dir = data_dir.clone();
        let lanes = config.server.lanes;
        let store = tokio::task::spawn_blocking(move || {
            EmbeddedStore::open(
                &store_dir,
                StoreOptions {
                    lanes,
                    ..StoreOptions::default()
                },
            )
        })
        .await?
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;

        let (shutdown, shutdown_rx) = watch::channel(false);
        let committed = Arc::new(Notify::new());
        let processed = Arc::new(Notify::new());
        let (committer, committer_task) =
            Committer::start(Arc::new(store.clone()), committed.clone());

        let audiences = load_audiences(&store, &config).await?;
        let audience_work = Arc::new(Notify::new());
        let pipeline = Arc::new(Pipeline::with_audiences(
            PipelineConfig {
                braze: config.braze.clone(),
                forward_to_braze: true,
                lanes,
                history_retention_ms: i64::from(config.server.history_retention_days) * 86_400_000,
            },
            audiences.clone(),
        ));
        let ledger = Arc::new(worker::Ledger::default());
        let worker_task = tokio::spawn(worker::run(
            store.clone(),
            pipeline,
            committed.clone(),
            processed.clone(),
            ledger.clone(),
            worker::AudienceTiming {
                interval: Duration::from_millis(config.audiences.recheck_interval_ms),
                chunk: config.audiences.job_chunk,
                wake: audience_work.clone(),
                clock: clock.clone(),
            },
            shutdown_rx.clone(),
        ));

        let delivery = braid_delivery::Delivery::new(
            Arc::new(store.clone()),
            config.delivery.clone(),
            &data_dir,
        )?;
        let delivery_handle = delivery.handle();
        let dsr = Arc::new(
            dsr::Dsr::open(
                config.dsr.clone(),
                dsr_credentials,
                store.clone(),
                &data_dir,
                config.braze.clone(),
                &config.delivery,
                delivery_handle.clone(),
            )
            .await
            .context("starting data subject requests")?,
        );
        let delivery_task = tokio::spawn(delivery.run(processed.clone(), shutdown_rx.clone()));
        let dsr_task = tokio::spawn(dsr::process::run(dsr.clone(), shutdown_rx.clone()));

        let state = Arc::new(AppState {
            batch_limits: braid_mparticle::limits::Limits::default(),
            config: config.clone(),
            inputs,
            admin,
            committer,
            store,
            delivery: delivery_handle,
            prometheus,
            ledger,
            dsr: dsr.clone(),
            audiences,
            audience_changes: tokio::sync::Mutex::new(()),
            audience_work,
            clock,
        });
        let router = router(state.clone());
        let listener = tokio::net::TcpListener::bind(&config.server.listen)
            .await
            .with_context(|| format!("binding {}", config.server.listen))?;
        let addr = listener.local_addr()?;
        dsr.set_listen_addr(addr);
        let mut http_shutdown = shutdown_rx.clone();
        let http = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = http_shutdown.wait_for(|stop| *stop).await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "http server failed");
            }
        });
        tracing::info!(%addr, data_dir = %config.server.data_dir.display(), "braid listening");
        Ok(Server {
            addr,
            state,
            shutdown,
            tasks: vec![committer_task, worker_task, delivery_task, dsr_task],
            http,
            generated,
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

    /// Stop accepting, let in-flight requests finish (up to the grace period), let the
    /// pipeline finish what was committed, stop delivery, and close the store.
    pub async fn shutdown(self) {
        let grace = Duration::from_secs(self.state.config.server.shutdown_grace_secs);
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(grace, self.http).await;
        drop(self.state);
        for task in self.tasks {
            let _ = tokio::time::timeout(grace, task).await;
        }
    }
}

/// The audiences to put in force: stored ones with the config file's applied on top.
async fn load_audiences(
    store: &EmbeddedStore,
    config: &Config,
) -> anyhow::Result<braid_core::membership::AudienceHandle> {
    use braid_core::membership::{self, AudienceOutput, AudienceRuntime};
    let store = store.clone();
    let definitions = config.audiences.definitions.clone();
    let now = crate::ingest::now_ms();
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
    Ok(membership::AudienceHandle::new(AudienceRuntime {
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
    }))
}

/// All routes.
pub fn router(state: Arc<AppState>) -> Router {
    let max = state.config.limits.max_request_bytes;
    Router::new()
        .route("/v2/events", post(ingest::events))
        .route("/v2/bulkevents", post(ingest::bulk))
        .route("/v2/bulkevents/historical", post(ingest::bulk_historical))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(admin::routes())
        .merge(dsr::routes::routes())
        .layer(DefaultBodyLimit::max(max))
        .with_state(state)
}

async fn healthz() -> Response {
    (StatusCode::OK, Json(json!({"status": "ok"}))).into_response()
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let status = state.delivery.status();
    let mut problems = Vec::new();
    if status.auth_failed {
        problems.push(format!(
            "braze rejected the REST API key ({}); sending is paused and everything stays queued",
            status.last_error.clone().unwrap_or_default()
        ));
    }
    let body = json!({
        "ready": problems.is_empty(),
        "problems": problems,
        "delivery": status,
    });
    let code = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
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
