//! braze-sim: a strict Braze REST simulator for tests, benchmarks and dry runs.
//!
//! It answers `/users/track`, `/users/delete`, `/users/identify`, `/users/alias/new` and
//! `/users/export/ids` as Braze documents them, validating every object with the same
//! validator braid uses before sending (`braid_braze::validate`) and billing applied
//! objects with the same rules (`braid_braze::billing`), so a disagreement between the
//! two is impossible by construction. It rate-limits with a fixed window, injects faults
//! on demand (5xx, latency, hangs, dropped connections, partial errors, 401), and exposes
//! what it received through an unauthenticated admin API:
//!
//! | route | what |
//! |---|---|
//! | `GET /sim/users/{external_id}` | the stored [`Profile`] (404 if none) |
//! | `GET /sim/aliases/{label}/{name}` | the profile holding an alias |
//! | `GET /sim/stats` | [`SimStats`] |
//! | `GET /sim/requests?limit=N` | the last N `/users/track` calls ([`RecordedRequest`]) |
//! | `POST /sim/reset` | forget everything, restore the starting faults |
//! | `GET`/`PUT /sim/faults` | read or replace the [`Faults`] |
//!
//! Modules: `config` (what a simulator starts with), `state` (profiles, counters, rate
//! window), `http` (routes and the fault gate).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = braze_sim::start(braze_sim::SimConfig::default())?;
//! let url = sim.base_url(); // point braid's custom Braze instance here
//! # let _ = url;
//! assert_eq!(sim.state().stats().track_requests, 0);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod config;
mod http;
mod state;

use std::net::SocketAddr;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{Faults, SimConfig};
pub use state::{Profile, RecordedRequest, SimState, SimStats};

/// A running simulator. Dropping it stops the server without waiting; prefer
/// [`SimHandle::shutdown`].
pub struct SimHandle {
    addr: SocketAddr,
    state: SimState,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// Start a simulator on `config.listen` (default `127.0.0.1:0`) and serve it on the current
/// tokio runtime. Must be called from within a tokio runtime.
pub fn start(config: SimConfig) -> std::io::Result<SimHandle> {
    let listen = config
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    // Bind synchronously so the address is known (and the port taken) on return.
    let std_listener = std::net::TcpListener::bind(listen)?;
    std_listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(std_listener)?;
    let addr = listener.local_addr()?;
    let state = SimState::new(&config);
    let (shutdown, shutdown_rx) = watch::channel(false);
    let app = http::App {
        state: state.clone(),
        shutdown: shutdown_rx.clone(),
    };
    let router = http::router(app);
    let mut stop = shutdown_rx;
    let task = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<http::ConnKill>();
        let served = axum::serve(http::SimListener(listener), service)
            .with_graceful_shutdown(async move {
                // A dropped sender also means stop.
                let _ = stop.wait_for(|stop| *stop).await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "braze-sim server failed");
        }
    });
    tracing::info!(%addr, "braze-sim listening");
    Ok(SimHandle {
        addr,
        state,
        shutdown,
        task: Some(task),
    })
}

impl SimHandle {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Direct access to the data the admin API serves.
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// Replace the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        self.state.set_faults(faults);
    }

    /// Stop accepting, finish answering in-flight calls (hung calls are released), and
    /// wait for the server to stop.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
