//! braid's admin console: server-rendered pages under `/` on the main listener, signed
//! in with the admin credentials (a session cookie, not HTTP Basic), with a little
//! script for the live stream and for refreshing progress. Every asset is compiled into
//! the binary; nothing is loaded from elsewhere.
//!
//! - `config`: `[console]`;
//! - `session`: sign-in, sessions, anti-forgery tokens, the sign-in throttle;
//! - `admin_client`: the JSON admin API, called in-process (the console's only way to
//!   change anything);
//! - `live`: the live stream's hub, fed by the pipeline worker while someone watches;
//! - `history`: the overview's time series (ledger, ingest, lag, outbox);
//! - `view`: the page frame, number and time formatting, the ledger chart;
//! - `pages`: one handler per page.

pub mod admin_client;
pub mod config;
pub mod history;
pub mod live;
pub mod pages;
pub mod session;
pub mod view;

pub use config::ConsoleConfig;
pub use live::LiveStream;

use crate::app::AppState;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The console's shared state.
pub struct Console {
    pub sessions: session::Sessions,
    pub live: Arc<LiveStream>,
    pub history: Arc<history::History>,
    /// The last audience census (member counts and the overflow check).
    pub census: Mutex<Option<Census>>,
    /// A census is being taken.
    pub census_running: AtomicBool,
    /// Ends live streams on shutdown (they would otherwise hold the listener open).
    pub shutdown: watch::Receiver<bool>,
}

/// Audience member counts and the overflow check's answer, taken in the background so
/// that the audiences page never walks the profiles itself.
#[derive(Debug, Clone)]
pub struct Census {
    pub finished_ms: i64,
    pub profiles: u64,
    pub members: BTreeMap<u64, u64>,
    /// The admin API's `/api/v1/audiences/check` answer, or its error.
    pub overflow: Result<serde_json::Value, String>,
}

impl Console {
    /// The console's state for `config`; `shutdown` flips when braid stops.
    pub fn new(config: &ConsoleConfig, shutdown: watch::Receiver<bool>) -> Self {
        Console {
            sessions: session::Sessions::new(
                Duration::from_secs(config.session_minutes * 60),
                config.max_failed_logins,
                Duration::from_secs(config.login_lockout_secs),
            ),
            live: Arc::new(LiveStream::default()),
            history: Arc::new(history::History::default()),
            census: Mutex::new(None),
            census_running: AtomicBool::new(false),
            shutdown,
        }
    }
}

/// The console's routes (empty when `[console] enabled = false`).
pub fn routes(config: &ConsoleConfig) -> Router<Arc<AppState>> {
    if !config.enabled {
        return Router::new();
    }
    Router::new()
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/", get(pages::overview))
        .route("/stream", get(pages::stream))
        .route("/stream/events", get(pages::stream_events))
        .route("/users", get(pages::users))
        .route("/audiences", get(pages::audiences))
        .route(
            "/audiences/new",
            get(pages::audience_new).post(pages::audience_create),
        )
        .route(
            "/audiences/{id}",
            get(pages::audience_detail).post(pages::audience_replace),
        )
        .route("/audiences/{id}/retire", post(pages::audience_retire))
        .route("/dead-letters", get(pages::dead_letters))
        .route("/dead-letters/replay", post(pages::dead_letters_replay))
        .route("/dsr", get(pages::dsr))
        .route("/settings", get(pages::settings))
        .route("/console/assets/{file}", get(asset))
        .layer(axum::middleware::map_response(security_headers))
}

/// Every console answer: no framing, no caching, scripts and styles only from braid.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");

async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// The signed-in session, or the answer to give instead: a redirect to the sign-in page
/// for a page, 401 for the live stream.
pub(crate) fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    next: &str,
) -> Result<session::Session, Box<Response>> {
    state.console.sessions.current(headers).ok_or_else(|| {
        let target = format!(
            "/login?next={}",
            percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
        );
        Box::new(Redirect::to(&target).into_response())
    })
}

/// A state-changing request: same origin, signed in, and carrying the session's token.
/// Anything else is refused with 403 and changes nothing.
pub(crate) fn checked_post(
    state: &AppState,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<session::Session, Box<Response>> {
    let refuse = |why: &str| {
        tracing::warn!(reason = why, "console request refused");
        Box::new(
            (
                StatusCode::FORBIDDEN,
                view::page(
                    "Request refused",
                    "",
                    None,
                    maud::html! {
                        (view::notice("error", why))
                        p { a href="/" { "Back to the console" } }
                    },
                ),
            )
                .into_response(),
        )
    };
    if !session::same_origin(headers) {
        return Err(refuse("cross-site request refused"));
    }
    let Some(session) = state.console.sessions.current(headers) else {
        return Err(refuse(
            "not signed in (or the session expired): sign in again",
        ));
    };
    if !session.csrf_matches(field(form, "csrf")) {
        return Err(refuse(
            "the form's anti-forgery token is missing or stale: reload the page and retry",
        ));
    }
    Ok(session)
}

/// A form field's value ("" when absent).
pub(crate) fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}
