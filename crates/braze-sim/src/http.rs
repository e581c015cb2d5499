//! The HTTP face of the simulator: Braze's `/users/*` endpoints, the unauthenticated
//! `/sim/*` admin API, and the connection wrapper that lets a fault close a connection
//! without an answer.
//!
//! Every authenticated call goes through the same gate, in Braze's order: injected
//! latency, dropped connection or hang, authentication (401), rate limit (429), injected
//! 5xx — and only then the endpoint. Every answer past authentication carries the
//! `X-RateLimit-*` headers. All `/users/*` endpoints share one fixed rate window.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use braid_braze::validate::{parse_track_body, validate_object, validate_request_shape};
use braid_braze::wire::{AliasRef, TrackArray};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::config::Faults;
use crate::state::{Applied, RateDecision, SimState};

/// How long a "timeout" fault hangs: longer than any client timeout worth having.
const HANG: Duration = Duration::from_secs(60);

/// At most this many entries in `/users/delete`, `/users/identify`, `/users/alias/new`
/// and `/users/export/ids` calls.
const MAX_BULK_ENTRIES: usize = 50;

#[derive(Clone)]
pub(crate) struct App {
    pub(crate) state: SimState,
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// A TCP listener whose connections can be killed from a handler.
pub(crate) struct SimListener(pub(crate) TcpListener);

/// A TCP stream that turns into a dead end once its kill switch is set: reads see the
/// end of the stream and writes fail, so hyper drops the connection without an answer.
pub(crate) struct KillableStream {
    inner: TcpStream,
    killed: Arc<AtomicBool>,
}

/// The kill switch of the connection a request arrived on.
#[derive(Clone)]
pub(crate) struct ConnKill(Arc<AtomicBool>);

impl ConnKill {
    fn kill(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl axum::serve::Listener for SimListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((inner, addr)) => {
                    let _ = inner.set_nodelay(true);
                    let stream = KillableStream {
                        inner,
                        killed: Arc::new(AtomicBool::new(false)),
                    };
                    return (stream, addr);
                }
                Err(error) => {
                    // Usually too many open files: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl Connected<axum::serve::IncomingStream<'_, SimListener>> for ConnKill {
    fn connect_info(stream: axum::serve::IncomingStream<'_, SimListener>) -> Self {
        ConnKill(stream.io().killed.clone())
    }
}

fn dropped() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by fault injection",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The simulator's routes.
pub(crate) fn router(app: App) -> Router {
    let body_limit = app.state.lock().limits.max_body_bytes;
    Router::new()
        .route("/users/track", post(track))
        .route("/users/delete", post(delete))
        .route("/users/identify", post(identify))
        .route("/users/alias/new", post(alias_new))
        .route("/users/export/ids", post(export_ids))
        .route("/sim/users/{external_id}", get(sim_user))
        .route("/sim/aliases/{label}/{name}", get(sim_alias))
        .route("/sim/stats", get(sim_stats))
        .route("/sim/requests", get(sim_requests))
        .route("/sim/reset", post(sim_reset))
        .route("/sim/faults", get(sim_faults).put(put_faults))
        // Read bodies up to twice the Braze limit so oversized ones get Braze's own 413
        // answer from the handler rather than axum's.
        .layer(DefaultBodyLimit::max(
            body_limit.saturating_mul(2).max(1024),
        ))
        .with_state(app)
}

fn rate_headers(rate: &RateDecision) -> [(&'static str, HeaderValue); 3] {
    [
        ("X-RateLimit-Limit", HeaderValue::from(rate.limit)),
        ("X-RateLimit-Remaining", HeaderValue::from(rate.remaining)),
        ("X-RateLimit-Reset", HeaderValue::from(rate.reset_unix_s)),
    ]
}

fn answer(status: StatusCode, rate: Option<&RateDecision>, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Some(rate) = rate {
        for (name, value) in rate_headers(rate) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// Why the gate did not let a call through to its endpoint.
enum Gate {
    /// Answer this (401, 429, 5xx).
    Answer(Response),
    /// The connection was dropped or the call hung: no answer.
    Silent(Response),
}

/// Runs faults, authentication and the rate limit; returns the rate state to report.
async fn gate(
    app: &App,
    conn: &ConnKill,
    headers: &HeaderMap,
    track_body: Option<&[u8]>,
) -> Result<RateDecision, Gate> {
    let is_track = track_body.is_some();
    let faults: Faults = app.state.faults();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    let (drop_it, hang) = {
        let mut inner = app.state.lock();
        let drop_it = inner.roll(faults.drop_connection_rate);
        let hang = !drop_it && inner.roll(faults.timeout_rate);
        if drop_it {
            inner.stats.dropped_connections += 1;
        }
        if hang {
            inner.stats.timeouts += 1;
        }
        if let (true, Some(body)) = (drop_it || hang, track_body) {
            // Recorded now: a hung call only ends when the client is long gone.
            inner.record_request(None, body);
        }
        (drop_it, hang)
    };
    if drop_it {
        conn.kill();
        return Err(Gate::Silent(
            StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        ));
    }
    if hang {
        let mut shutdown = app.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(HANG) => {}
            _ = shutdown.changed() => {}
        }
        // Whoever waited this long has gone; make sure nothing is answered.
        conn.kill();
        return Err(Gate::Silent(StatusCode::GATEWAY_TIMEOUT.into_response()));
    }
    let mut inner = app.state.lock();
    let expected = format!("Bearer {}", inner.api_key);
    let authorized = !faults.unauthorized
        && headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == expected);
    if !authorized {
        if is_track {
            inner.record_status(401);
        }
        return Err(Gate::Answer(answer(
            StatusCode::UNAUTHORIZED,
            None,
            json!({"message": "Invalid API Key"}),
        )));
    }
    let rate = inner.take_rate();
    if !rate.allowed {
        if is_track {
            inner.stats.rate_limited += 1;
            inner.record_status(429);
        }
        return Err(Gate::Answer(answer(
            StatusCode::TOO_MANY_REQUESTS,
            Some(&rate),
            json!({"message": "Too Many Requests"}),
        )));
    }
    if inner.roll(faults.status_5xx_rate) {
        let status = if inner.coin() {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        if is_track {
            inner.record_status(status.as_u16());
        }
        return Err(Gate::Answer(answer(
            status,
            Some(&rate),
            json!({"message": "Simulated server error"}),
        )));
    }
    Ok(rate)
}

async fn track(
    State(app): State<App>,
    ConnectInfo(conn): ConnectInfo<ConnKill>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    app.state.lock().stats.track_requests += 1;
    let rate = match gate(&app, &conn, &headers, Some(&body)).await {
        Ok(rate) => rate,
        Err(Gate::Answer(response)) => {
            let status = response.status().as_u16();
            app.state.lock().record_request(Some(status), &body);
            return response;
        }
        Err(Gate::Silent(response)) => return response,
    };
    // Parse and validate before taking the state lock: they are most of a call's work,
    // and outside the lock calls on different connections use every core.
    let (limits, log_requests) = {
        let inner = app.state.lock();
        (inner.limits.clone(), inner.logs_requests())
    };
    let recorded = log_requests.then(|| crate::state::recorded_body(&body));
    let req = match parse_track_body(&body, &limits) {
        Ok(req) => req,
        Err(error) => return refuse_track(&app, &rate, &error, 0, recorded),
    };
    if let Err(error) = validate_request_shape(&req, body.len(), &limits) {
        let count = req.object_count() as u64;
        return refuse_track(&app, &rate, &error, count, recorded);
    }
    let verdicts: Vec<Vec<Option<String>>> = [&req.attributes, &req.events, &req.purchases]
        .into_iter()
        .zip([
            TrackArray::Attributes,
            TrackArray::Events,
            TrackArray::Purchases,
        ])
        .map(|(objects, array)| {
            objects
                .iter()
                .map(|object| {
                    validate_object(array, object, &limits)
                        .err()
                        .map(|e| e.error_type)
                })
                .collect()
        })
        .collect();
    let mut inner = app.state.lock();
    let count = req.object_count() as u64;
    inner.stats.objects_received += count;
    inner.stats.max_objects_in_request = inner.stats.max_objects_in_request.max(count);
    let partial_error_rate = inner.faults.partial_error_rate;
    let mut errors = Vec::new();
    let mut processed = [0u64; 3];
    // Braze processes attributes first, then events, then purchases.
    for (slot, (array, objects)) in [
        (TrackArray::Attributes, &req.attributes),
        (TrackArray::Events, &req.events),
        (TrackArray::Purchases, &req.purchases),
    ]
    .into_iter()
    .enumerate()
    {
        for (index, object) in objects.iter().enumerate() {
            let failure = match verdicts[slot][index].clone() {
                Some(error_type) => Some(error_type),
                None if inner.roll(partial_error_rate) => Some("Simulated error".to_string()),
                None => None,
            };
            match failure {
                Some(error_type) => {
                    inner.stats.objects_rejected += 1;
                    errors.push(json!({
                        "type": error_type,
                        "input_array": array.as_str(),
                        "index": index,
                    }));
                }
                None => {
                    if inner.apply(array, object) == Applied::Written {
                        processed[slot] += 1;
                    }
                }
            }
        }
    }
    let mut body_json = json!({"message": "success"});
    for (slot, name) in [
        "attributes_processed",
        "events_processed",
        "purchases_processed",
    ]
    .into_iter()
    .enumerate()
    {
        if processed[slot] > 0 {
            body_json[name] = json!(processed[slot]);
        }
    }
    if !errors.is_empty() {
        body_json["errors"] = Value::Array(errors);
    }
    inner.record_status(201);
    inner.record_parsed(Some(201), recorded);
    drop(inner);
    answer(StatusCode::CREATED, Some(&rate), body_json)
}

/// Braze's answer to a `/users/track` body it refuses whole; a body that parsed counts
/// its `objects` as received and rejected.
fn refuse_track(
    app: &App,
    rate: &RateDecision,
    error: &braid_braze::validate::RequestError,
    objects: u64,
    recorded: Option<Value>,
) -> Response {
    let status = error.status();
    let mut inner = app.state.lock();
    if objects > 0 {
        inner.stats.objects_received += objects;
        inner.stats.max_objects_in_request = inner.stats.max_objects_in_request.max(objects);
        inner.stats.objects_rejected += objects;
    }
    inner.record_status(status);
    inner.record_parsed(Some(status), recorded);
    drop(inner);
    answer(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        Some(rate),
        json!({"message": error.braze_message(), "errors": [error.to_string()]}),
    )
}

fn bad_request(rate: &RateDecision, message: impl Into<String>) -> Response {
    answer(
        StatusCode::BAD_REQUEST,
        Some(rate),
        json!({"message": message.into()}),
    )
}

fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("Received unparsable JSON body: {e}"))
}

#[derive(Deserialize)]
struct DeleteBody {
    #[serde(default)]
    external_ids: Vec<String>,
    #[serde(default)]
    user_aliases: Vec<AliasRef>,
    #[serde(default)]
    braze_ids: Vec<String>,
}

async fn delete(
    State(app): State<App>,
    ConnectInfo(conn): ConnectInfo<ConnKill>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rate = match gate(&app, &conn, &headers, None).await {
        Ok(rate) => rate,
        Err(Gate::Answer(r) | Gate::Silent(r)) => return r,
    };
    let req: DeleteBody = match parse_json(&body) {
        Ok(req) => req,
        Err(message) => return bad_request(&rate, message),
    };
    let total = req.external_ids.len() + req.user_aliases.len() + req.braze_ids.len();
    if total == 0 {
        return bad_request(
            &rate,
            "no external_ids, user_aliases or braze_ids to delete",
        );
    }
    if total > MAX_BULK_ENTRIES {
        return bad_request(
            &rate,
            format!("at most {MAX_BULK_ENTRIES} users per request"),
        );
    }
    let deleted = app
        .state
        .lock()
        .delete(&req.external_ids, &req.user_aliases, &req.braze_ids);
    answer(
        StatusCode::CREATED,
        Some(&rate),
        json!({"deleted": deleted, "message": "success"}),
    )
}

#[derive(Deserialize)]
struct IdentifyBody {
    aliases_to_identify: Vec<IdentifyEntry>,
}

#[derive(Deserialize)]
struct IdentifyEntry {
    external_id: String,
    user_alias: AliasRef,
}

async fn identify(
    State(app): State<App>,
    ConnectInfo(conn): ConnectInfo<ConnKill>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rate = match gate(&app, &conn, &headers, None).await {
        Ok(rate) => rate,
        Err(Gate::Answer(r) | Gate::Silent(r)) => return r,
    };
    let req: IdentifyBody = match parse_json(&body) {
        Ok(req) => req,
        Err(message) => return bad_request(&rate, message),
    };
    if req.aliases_to_identify.len() > MAX_BULK_ENTRIES {
        return bad_request(
            &rate,
            format!("at most {MAX_BULK_ENTRIES} aliases per request"),
        );
    }
    if req
        .aliases_to_identify
        .iter()
        .any(|e| e.external_id.is_empty())
    {
        return bad_request(&rate, "external_id must not be empty");
    }
    let count = req.aliases_to_identify.len();
    let mut inner = app.state.lock();
    for entry in req.aliases_to_identify {
        inner.identify(&entry.external_id, entry.user_alias);
    }
    answer(
        StatusCode::CREATED,
        Some(&rate),
        json!({"aliases_processed": count, "message": "success"}),
    )
}

#[derive(Deserialize)]
struct AliasNewBody {
    user_aliases: Vec<AliasNewEntry>,
}

#[derive(Deserialize)]
struct AliasNewEntry {
    external_id: Option<String>,
    alias_name: String,
    alias_label: String,
}

async fn alias_new(
    State(app): State<App>,
    ConnectInfo(conn): ConnectInfo<ConnKill>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rate = match gate(&app, &conn, &headers, None).await {
        Ok(rate) => rate,
        Err(Gate::Answer(r) | Gate::Silent(r)) => return r,
    };
    let req: AliasNewBody = match parse_json(&body) {
        Ok(req) => req,
        Err(message) => return bad_request(&rate, message),
    };
    if req.user_aliases.len() > MAX_BULK_ENTRIES {
        return bad_request(
            &rate,
            format!("at most {MAX_BULK_ENTRIES} aliases per request"),
        );
    }
    if req
        .user_aliases
        .iter()
        .any(|a| a.alias_name.is_empty() || a.alias_label.is_empty())
    {
        return bad_request(&rate, "alias_name and alias_label must not be empty");
    }
    let count = req.user_aliases.len();
    let mut inner = app.state.lock();
    for entry in req.user_aliases {
        let alias = AliasRef {
            alias_name: entry.alias_name,
            alias_label: entry.alias_label,
        };
        inner.new_alias(entry.external_id.as_deref(), alias);
    }
    answer(
        StatusCode::CREATED,
        Some(&rate),
        json!({"aliases_processed": count, "message": "success"}),
    )
}

#[derive(Deserialize)]
struct ExportBody {
    #[serde(default)]
    external_ids: Vec<String>,
}

async fn export_ids(
    State(app): State<App>,
    ConnectInfo(conn): ConnectInfo<ConnKill>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rate = match gate(&app, &conn, &headers, None).await {
        Ok(rate) => rate,
        Err(Gate::Answer(r) | Gate::Silent(r)) => return r,
    };
    let req: ExportBody = match parse_json(&body) {
        Ok(req) => req,
        Err(message) => return bad_request(&rate, message),
    };
    if req.external_ids.len() > MAX_BULK_ENTRIES {
        return bad_request(&rate, format!("at most {MAX_BULK_ENTRIES} ids per request"));
    }
    let (users, invalid) = app.state.lock().export(&req.external_ids);
    answer(
        StatusCode::CREATED,
        Some(&rate),
        json!({"users": users, "invalid_user_ids": invalid, "message": "success"}),
    )
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"message": "no such user"})),
    )
        .into_response()
}

async fn sim_user(State(app): State<App>, Path(external_id): Path<String>) -> Response {
    match app.state.user(&external_id) {
        Some(profile) => Json(profile).into_response(),
        None => not_found(),
    }
}

async fn sim_alias(
    State(app): State<App>,
    Path((label, name)): Path<(String, String)>,
) -> Response {
    match app.state.alias_user(&label, &name) {
        Some(profile) => Json(profile).into_response(),
        None => not_found(),
    }
}

async fn sim_stats(State(app): State<App>) -> Response {
    Json(app.state.stats()).into_response()
}

#[derive(Deserialize)]
struct RequestsQuery {
    limit: Option<usize>,
}

async fn sim_requests(State(app): State<App>, Query(q): Query<RequestsQuery>) -> Response {
    Json(app.state.requests(q.limit.unwrap_or(100))).into_response()
}

async fn sim_reset(State(app): State<App>) -> Response {
    app.state.reset();
    Json(json!({"message": "reset"})).into_response()
}

async fn sim_faults(State(app): State<App>) -> Response {
    Json(app.state.faults()).into_response()
}

async fn put_faults(State(app): State<App>, Json(faults): Json<Faults>) -> Response {
    app.state.set_faults(faults.clone());
    Json(faults).into_response()
}
