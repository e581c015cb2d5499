//! One handler per console page. Pages read through the admin API (in-process) and the
//! storage traits, and change things only through the admin API.

use super::admin_client::{self, error_message};
use super::live::StreamFilter;
use super::session::{cleared_cookie, session_cookie, LoginRefusal};
use super::view::{self, count, int, json_block, notice, page, time, time_el, Kind};
use super::{checked_post, field, signed_in, Census};
use crate::app::AppState;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use braid_audiences::{Audience, AudienceState};
use braid_core::clock::now_ms;
use braid_core::outbox::OutboxPayload;
use braid_core::storage::StateStore;
use braid_core::trace::BatchTrace;
use braid_core::Profile;
use braid_mparticle::IdentityType;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

type Fields = Vec<(String, String)>;

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Where to go after signing in: only a path on this site.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

// ---------------------------------------------------------------------------------
// Sign-in

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

fn login_page(next: &str, problem: Option<&str>) -> Markup {
    page(
        "Sign in",
        "",
        None,
        html! {
            @if let Some(problem) = problem { (notice("error", problem)) }
            form class="login" method="post" action="/login" {
                input type="hidden" name="next" value=(safe_next(next));
                p {
                    label for="key" { "Admin key" }
                    input id="key" name="key" autocomplete="username" required autofocus;
                }
                p {
                    label for="secret" { "Admin secret" }
                    input id="secret" name="secret" type="password" autocomplete="current-password" required;
                }
                p { button type="submit" { "Sign in" } }
            }
            p class="hint" {
                "Use the admin API's key and secret: " code { "[admin]" } " in the configuration, or "
                code { "credentials.json" } " in the data directory when braid generated them."
            }
        },
    )
}

pub async fn login_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    if state.console.sessions.current(&headers).is_some() {
        return Redirect::to(safe_next(&q.next)).into_response();
    }
    login_page(&q.next, None).into_response()
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<Fields>,
) -> Response {
    if !super::session::same_origin(&headers) {
        return (
            StatusCode::FORBIDDEN,
            login_page("/", Some("cross-site sign-in refused")),
        )
            .into_response();
    }
    let next = safe_next(field(&form, "next")).to_string();
    match state
        .console
        .sessions
        .login(field(&form, "key"), field(&form, "secret"), &state.admin)
    {
        Ok(token) => {
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&token, state.console.sessions.ttl()),
            );
            response
        }
        Err(LoginRefusal::Wrong) => (
            StatusCode::UNAUTHORIZED,
            login_page(&next, Some("wrong admin key or secret")),
        )
            .into_response(),
        Err(LoginRefusal::Throttled(wait)) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, wait.as_secs().to_string())],
            login_page(
                &next,
                Some(&format!(
                    "too many failed sign-ins for this key: try again in {}",
                    count(wait.as_secs(), "second", "seconds")
                )),
            ),
        )
            .into_response(),
    }
}

pub async fn logout(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<Fields>,
) -> Response {
    if let Err(refused) = checked_post(&state, &headers, &form) {
        return *refused;
    }
    state.console.sessions.logout(&headers);
    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cleared_cookie());
    response
}

// ---------------------------------------------------------------------------------
// Overview

pub async fn overview(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let session = match signed_in(&state, &headers, "/") {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let (store, ledger) = (state.store.clone(), state.ledger.clone());
    let now = now_ms();
    let current = tokio::task::spawn_blocking(move || {
        let sample = super::history::take_sample(&store, &ledger, now);
        let dead = braid_core::storage::Outbox::dead_letters(&store, 0, 1001)
            .map(|d| d.len())
            .unwrap_or(0);
        (sample, dead)
    })
    .await;
    let Ok((now_sample, dead_letters)) = current else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "overview failed").into_response();
    };
    let mut samples = state.console.history.samples();
    samples.push(now_sample);
    let minute_ago = samples
        .iter()
        .find(|s| s.at_ms >= now - 60_000 && s.at_ms < now)
        .copied();
    let ingest_rate = minute_ago.map(|s| {
        let seconds = ((now - s.at_ms) as f64 / 1000.0).max(1.0);
        now_sample.accepted.saturating_sub(s.accepted) as f64 / seconds
    });
    let lag = now_sample.accepted.saturating_sub(now_sample.applied);
    let status = state.delivery.status();
    let (ready, problems) = crate::app::readiness(&state);
    let totals = now_sample.ledger;
    let body = html! {
        div id="live" data-refresh="5" {
            section class="cards" aria-label="Pipeline" {
                div class="card" {
                    h2 { "Ingest" }
                    p class="big" {
                        @match ingest_rate {
                            Some(r) => { (view::rate(r)) " batches/s" }
                            None => { "measuring…" }
                        }
                    }
                    p { (count(now_sample.accepted, "batch", "batches")) " accepted since the store was created" }
                }
                div class="card" {
                    h2 { "Pipeline lag" }
                    p class="big" data-metric="lag" { (count(lag, "batch", "batches")) }
                    p { "accepted but not yet applied (queue depth)" }
                }
                div class="card" {
                    h2 { "Outbox" }
                    p class="big" data-metric="outbox" { (count(now_sample.outbox, "object", "objects")) }
                    p { "waiting for Braze" }
                }
                div class="card" {
                    h2 { "Dead letters" }
                    p class="big" {
                        @if dead_letters > 1000 { "more than 1,000" } @else { (int(dead_letters as u64)) }
                    }
                    p { a href="/dead-letters" { "objects Braze refused" } }
                }
            }
            section aria-labelledby="health" {
                h2 id="health" { "Braze delivery" }
                @if status.auth_failed {
                    (notice("error", &format!("paused: Braze refused the REST API key ({}); everything stays queued", status.last_error.clone().unwrap_or_default())))
                } @else if let Some(until) = status.paused_until_ms.filter(|u| *u > now) {
                    (notice("warn", &format!("paused after a 429 until {}", time(until))))
                } @else if status.dry_run {
                    (notice("warn", "dry run: no REST API key is set, requests are written to the dry-run file"))
                } @else {
                    (notice("ok", "sending"))
                }
                dl class="facts" {
                    dt { "Last success" } dd { @match status.last_success_ms { Some(ms) => (time_el(ms)), None => "never" } }
                    dt { "Requests" } dd { (int(status.requests)) }
                    dt { "Objects delivered" } dd { (int(status.delivered)) }
                    dt { "Retries" } dd { (int(status.retries)) }
                    dt { "429 answers" } dd { (int(status.rate_limited)) }
                    dt { "Dead-lettered" } dd { (int(status.dead_lettered)) }
                    dt { "Last error" } dd { (status.last_error.clone().unwrap_or_else(|| "none".into())) }
                }
            }
            section aria-labelledby="readiness" {
                h2 id="readiness" { "Readiness" }
                @if ready {
                    (notice("ok", "ready: /readyz answers 200"))
                } @else {
                    @for problem in &problems { (notice("error", problem)) }
                }
            }
            section aria-labelledby="ledger" {
                h2 id="ledger" { "Data points: sent against saved" }
                p {
                    "Braze bills every data point. The delta step drops values Braze already has; "
                    "this is what it saved since braid started."
                }
                table class="ledger" {
                    thead { tr { th scope="col" { "Kind" } th scope="col" class="num" { "Sent" } th scope="col" class="num" { "Saved" } th scope="col" class="num" { "Saved share" } } }
                    tbody {
                        @for (label, sent, saved) in [
                            ("attributes", totals.queued.attributes, totals.saved.attributes),
                            ("events", totals.queued.events, totals.saved.events),
                            ("purchases", totals.queued.purchases, totals.saved.purchases),
                            ("total", totals.queued.total(), totals.saved.total()),
                        ] {
                            tr data-kind=(label) {
                                th scope="row" { (label) }
                                td class="num" data-sent=(sent) { (int(sent)) }
                                td class="num" data-saved=(saved) { (int(saved)) }
                                td class="num" {
                                    @if sent + saved == 0 { "–" } @else { (format!("{:.1} %", saved as f64 / (sent + saved) as f64 * 100.0)) }
                                }
                            }
                        }
                    }
                }
                div class="charts" {
                    @for kind in Kind::ALL { (view::ledger_chart(kind, &samples)) }
                }
            }
        }
    };
    page("Overview", "/", Some(&session.csrf), body).into_response()
}

// ---------------------------------------------------------------------------------
// Live stream

fn payload_kind(payload: &OutboxPayload) -> (&'static str, Value) {
    match payload {
        OutboxPayload::Track { object } => {
            (object.array.as_str(), Value::Object(object.body.clone()))
        }
        OutboxPayload::Identify { identify } => (
            "identify",
            serde_json::to_value(identify).unwrap_or(Value::Null),
        ),
        OutboxPayload::Delete { external_id } => ("delete", json!({ "external_id": external_id })),
    }
}

/// One batch in the live stream.
pub fn trace_view(trace: &BatchTrace) -> Markup {
    let user = format!("/users?type=mpid&value={}", trace.mpid);
    html! {
        li class="batch" data-mpid=(trace.mpid) data-input=(trace.input) {
            header {
                (time_el(trace.received_ms)) " · input " strong { (trace.input) }
                " · MPID " a href=(user) { (trace.mpid) }
                @for (kind, value) in &trace.identities { " · " (kind) " " code { (value) } }
            }
            p class="events" {
                @if trace.events.is_empty() { "no events (attributes or identities only)" }
                @else { @for (i, e) in trace.events.iter().enumerate() { @if i > 0 { ", " } span class="event" { (e) } } }
            }
            @match trace.not_forwarded {
                Some(reason) => {
                    p class="not-forwarded" { "Not forwarded: " (reason.describe()) }
                    @if trace.data_points_saved.total() > 0 {
                        p { (count(trace.data_points_saved.total(), "data point", "data points")) " saved" }
                    }
                }
                None => {
                    p class="cost" {
                        "Queued for Braze: " (count(trace.queued.len() as u64, "object", "objects")) ", "
                        strong { (count(trace.data_points.total(), "data point", "data points")) }
                        " (attributes " (int(trace.data_points.attributes)) ", events " (int(trace.data_points.events)) ", purchases "
                        (int(trace.data_points.purchases)) "); "
                        (count(trace.data_points_saved.total(), "data point", "data points")) " saved by the delta step"
                    }
                    details {
                        summary { "Braze objects" }
                        table {
                            thead { tr { th scope="col" { "Array" } th scope="col" class="num" { "Data points" } th scope="col" { "Object" } } }
                            tbody {
                                @for entry in &trace.queued {
                                    @let (kind, body) = payload_kind(&entry.payload);
                                    tr { td { (kind) } td class="num" { (int(u64::from(entry.data_points))) } td { (json_block(&body)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn stream(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(filter): Query<StreamFilter>,
) -> Response {
    let query = format!(
        "input={}&user={}&event={}",
        encode(&filter.input),
        encode(&filter.user),
        encode(&filter.event)
    );
    let session = match signed_in(&state, &headers, &format!("/stream?{query}")) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let source = format!("/stream/events?{query}");
    let recent: Vec<_> = state
        .console
        .live
        .recent()
        .into_iter()
        .filter(|t| filter.matches(t))
        .collect();
    let body = html! {
        form class="filters" method="get" action="/stream" {
            p {
                label for="input" { "Input" }
                select id="input" name="input" {
                    option value="" { "any input" }
                    @for input in &state.inputs {
                        option value=(input.name) selected[input.name == filter.input] { (input.name) }
                    }
                }
            }
            p { label for="user" { "User (MPID or identity)" } input id="user" name="user" value=(filter.user); }
            p { label for="event" { "Event name" } input id="event" name="event" value=(filter.event); }
            p { button type="submit" { "Filter" } }
        }
        p id="stream-status" role="status" aria-live="polite" { "connecting…" }
        p class="hint" { "Batches appear here as the pipeline applies them, newest first, while this page is open." }
        ol id="stream" class="stream" data-source=(source) {
            @for trace in &recent { (trace_view(trace)) }
        }
    };
    page("Live stream", "/stream", Some(&session.csrf), body).into_response()
}

pub async fn stream_events(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(filter): Query<StreamFilter>,
) -> Response {
    if state.console.sessions.current(&headers).is_none() {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    }
    let watch = state.console.live.subscribe();
    let shutdown = state.console.shutdown.clone();
    let events = futures_util::stream::unfold(
        (watch, filter, shutdown),
        |(mut watch, filter, mut shutdown)| async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                let received = tokio::select! {
                    r = watch.receiver.recv() => r,
                    _ = shutdown.wait_for(|stop| *stop) => return None,
                };
                let event = match received {
                    Ok(trace) if filter.matches(&trace) => Event::default()
                        .event("batch")
                        .data(trace_view(&trace).into_string()),
                    Ok(_) => continue,
                    Err(RecvError::Lagged(n)) => {
                        Event::default().event("lagged").data(n.to_string())
                    }
                    Err(RecvError::Closed) => return None,
                };
                return Some((
                    Ok::<_, std::convert::Infallible>(event),
                    (watch, filter, shutdown),
                ));
            }
        },
    );
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

// ---------------------------------------------------------------------------------
// User look-up

#[derive(Deserialize, Default)]
pub struct LookupQuery {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    value: String,
}

/// What the look-up page shows of one user beyond the profile.
struct UserDetails {
    profile: Profile,
    history: Vec<(i64, Value)>,
    sent: Option<Value>,
}

/// Events shown on the look-up page.
const RECENT_EVENTS: usize = 50;

pub async fn users(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<LookupQuery>,
) -> Response {
    let here = format!("/users?type={}&value={}", encode(&q.kind), encode(&q.value));
    let session = match signed_in(&state, &headers, &here) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let value = q.value.trim();
    let kind = if q.kind.is_empty() {
        "customer_id"
    } else {
        q.kind.as_str()
    };
    let mut problem = None;
    let mut found = None;
    if !value.is_empty() {
        let path = if kind == "mpid" {
            format!("/api/v1/profiles/mpid/{}", encode(value))
        } else {
            format!("/api/v1/profiles/{}/{}", encode(kind), encode(value))
        };
        let (status, body) = admin_client::call(&state, Method::GET, &path, None).await;
        if status == StatusCode::OK {
            match serde_json::from_value::<Profile>(body) {
                Ok(profile) => {
                    let store = state.store.clone();
                    let since = now_ms()
                        - i64::from(state.config.server.history_retention_days) * 86_400_000;
                    let details = tokio::task::spawn_blocking(move || {
                        store.transact(|txn| {
                            let history = txn.history(profile.mpid, since)?;
                            let sent = txn.sent_state(profile.mpid)?;
                            Ok(UserDetails {
                                profile,
                                history,
                                sent,
                            })
                        })
                    })
                    .await;
                    match details {
                        Ok(Ok(d)) => found = Some(d),
                        Ok(Err(e)) => problem = Some(e.to_string()),
                        Err(e) => problem = Some(e.to_string()),
                    }
                }
                Err(e) => problem = Some(format!("unexpected profile from the admin API: {e}")),
            }
        } else {
            problem = Some(error_message(&body));
        }
    }
    let runtime = crate::audiences_api::in_force(&state).await;
    let body = html! {
        form class="filters" method="get" action="/users" role="search" {
            p {
                label for="type" { "Look up by" }
                select id="type" name="type" {
                    option value="mpid" selected[kind == "mpid"] { "MPID" }
                    @for t in IdentityType::ALL {
                        @let name = t.to_string();
                        option value=(name) selected[name == kind] { (name) }
                    }
                }
            }
            p { label for="value" { "Value" } input id="value" name="value" value=(q.value) required; }
            p { button type="submit" { "Look up" } }
        }
        @if let Some(problem) = &problem { (notice("error", problem)) }
        @if let Some(d) = &found {
            @let p = &d.profile;
            section aria-labelledby="who" {
                h2 id="who" { "MPID " (p.mpid.0) }
                p { "First seen " (time_el(p.first_seen_ms)) ", last seen " (time_el(p.last_seen_ms)) }
            }
            // Sections in order. Calculated attributes and Currents add theirs here.
            section aria-labelledby="identities" {
                h2 id="identities" { "Identities" }
                table { thead { tr { th scope="col" { "Type" } th scope="col" { "Value" } } }
                    tbody { @for (t, v) in &p.identities { tr { td { (t.to_string()) } td { code { (v) } } } } } }
            }
            section aria-labelledby="attributes" {
                h2 id="attributes" { "Attributes" }
                @if p.attributes.is_empty() { p { "none" } } @else {
                    table id="attribute-table" { thead { tr { th scope="col" { "Key" } th scope="col" { "Value" } } }
                        tbody { @for (k, v) in &p.attributes {
                            tr data-key=(k) { td { (k) } td { code { (serde_json::to_string(v).unwrap_or_default()) } } }
                        } } }
                }
            }
            section aria-labelledby="memberships" {
                h2 id="memberships" { "Audience memberships" }
                @if p.audiences.is_empty() { p { "none" } } @else {
                    table id="membership-table" { thead { tr { th scope="col" { "Audience" } th scope="col" { "Joined" } } }
                        tbody { @for (id, joined) in &p.audiences {
                            tr data-audience=(id) {
                                td { a href={"/audiences/" (id)} { (runtime.set.get(*id).map(|a| a.name.clone()).unwrap_or_else(|| format!("audience {id}"))) } " (" (id) ")" }
                                td { (time_el(*joined)) }
                            }
                        } } }
                }
            }
            section aria-labelledby="events" {
                h2 id="events" { "Recent events" }
                p class="hint" { "From the event history braid keeps for audiences (" (count(u64::from(state.config.server.history_retention_days), "day", "days")) "), newest first; up to " (RECENT_EVENTS) " shown." }
                @if d.history.is_empty() { p { "none" } } @else {
                    table { thead { tr { th scope="col" { "When" } th scope="col" { "Kind" } th scope="col" { "Name" } th scope="col" { "Attributes" } } }
                        tbody { @for (ts, event) in d.history.iter().rev().take(RECENT_EVENTS) {
                            tr {
                                td { (time_el(*ts)) }
                                td { (event["kind"].as_str().unwrap_or("")) }
                                td { (event["name"].as_str().unwrap_or("")) }
                                td { @if let Some(a) = event.get("attributes") { code { (a.to_string()) } } }
                            }
                        } } }
                }
            }
            section aria-labelledby="sent" {
                h2 id="sent" { "Last sent to Braze" }
                p class="hint" { "What the delta step records as Braze's copy of this user: values here are not sent again." }
                @match &d.sent { Some(v) => (json_block(v)), None => p { "nothing sent yet" } }
            }
        }
    };
    page("User look-up", "/users", Some(&session.csrf), body).into_response()
}

// ---------------------------------------------------------------------------------
// Audiences

/// How old a census may be before viewing the audiences page starts a new one.
const CENSUS_MAX_AGE_MS: i64 = 60_000;

fn start_census(state: &Arc<AppState>) {
    let fresh = state
        .console
        .census
        .lock()
        .as_ref()
        .is_some_and(|c| now_ms() - c.finished_ms < CENSUS_MAX_AGE_MS);
    if fresh || state.console.census_running.swap(true, Ordering::SeqCst) {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let store = state.store.clone();
        let counted = tokio::task::spawn_blocking(move || count_members(&store)).await;
        let (overflow_status, overflow) =
            admin_client::call(&state, Method::POST, "/api/v1/audiences/check", None).await;
        let overflow = if overflow_status == StatusCode::OK {
            Ok(overflow)
        } else {
            Err(error_message(&overflow))
        };
        match counted {
            Ok(Ok((profiles, members))) => {
                *state.console.census.lock() = Some(Census {
                    finished_ms: now_ms(),
                    profiles,
                    members,
                    overflow,
                });
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "audience census failed"),
            Err(e) => tracing::warn!(error = %e, "audience census failed"),
        }
        state.console.census_running.store(false, Ordering::SeqCst);
    });
}

/// Profiles read per transaction by the census.
const CENSUS_CHUNK: usize = 1000;

fn count_members(
    store: &crate::store::Store,
) -> braid_core::StoreResult<(u64, BTreeMap<u64, u64>)> {
    let mut members = BTreeMap::new();
    let mut profiles = 0u64;
    let mut after = None;
    loop {
        let chunk = store.transact(|txn| txn.profiles_after(after, CENSUS_CHUNK))?;
        let Some(last) = chunk.last().map(|p| p.mpid) else {
            return Ok((profiles, members));
        };
        for profile in &chunk {
            profiles += 1;
            for id in profile.audiences.keys() {
                *members.entry(*id).or_insert(0u64) += 1;
            }
        }
        after = Some(last);
    }
}

fn job_row(job: &Value) -> Markup {
    let progress = job["progress"].as_f64().unwrap_or(0.0);
    let kind = match job["kind"].as_str() {
        Some("cleanup") => format!("clean-up, then {}", job["then"].as_str().unwrap_or("")),
        Some(k) => k.to_string(),
        None => String::new(),
    };
    let done = job["done"].as_bool().unwrap_or(false);
    html! {
        tr class="job" data-job=(job["id"]) data-done=(done) {
            td { (job["id"]) }
            td { a href={"/audiences/" (job["audience_id"])} { (job["audience_id"]) } }
            td { (kind) }
            td {
                progress max="1" value=(progress) aria-label={"job " (job["id"]) " progress"} { (format!("{:.0} %", progress * 100.0)) }
                " " (int(job["processed"].as_u64().unwrap_or(0))) " of " (count(job["total"].as_u64().unwrap_or(0), "profile", "profiles"))
            }
            td { @if done { "done" } @else { "running" } " · " (int(job["changed"].as_u64().unwrap_or(0))) " changed" }
        }
    }
}

fn jobs_table(jobs: &[Value]) -> Markup {
    html! {
        table class="jobs" {
            thead { tr { th scope="col" { "Job" } th scope="col" { "Audience" } th scope="col" { "Kind" } th scope="col" { "Progress" } th scope="col" { "State" } } }
            tbody { @for job in jobs { (job_row(job)) } }
        }
    }
}

pub async fn audiences(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let session = match signed_in(&state, &headers, "/audiences") {
        Ok(s) => s,
        Err(r) => return *r,
    };
    start_census(&state);
    let (status, listed) = admin_client::call(&state, Method::GET, "/api/v1/audiences", None).await;
    if status != StatusCode::OK {
        return (
            StatusCode::BAD_GATEWAY,
            page(
                "Audiences",
                "/audiences",
                Some(&session.csrf),
                notice("error", &error_message(&listed)),
            ),
        )
            .into_response();
    }
    let census = state.console.census.lock().clone();
    let running = state.console.census_running.load(Ordering::SeqCst);
    let audiences: Vec<Audience> = listed["audiences"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| serde_json::from_value(v.clone()).ok())
                .collect()
        })
        .unwrap_or_default();
    let pending: Vec<Value> = listed["pending_jobs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let forms = listed["send_segments_as"].clone();
    let sync = listed["sync"].as_bool().unwrap_or(false);
    let body = html! {
        p { a class="button" href="/audiences/new" { "New audience" } }
        p {
            "Sync to Braze: " strong { @if sync { "on" } @else { "off" } }
            " · sent as " code { (forms) }
        }
        div id="census" data-refresh=[(running || census.is_none()).then_some("2")] {
            @match &census {
                None => p role="status" { "Counting members…" },
                Some(c) => {
                    p class="hint" { "Members counted over " (count(c.profiles, "profile", "profiles")) " at " (time_el(c.finished_ms)) " (recounted when older than a minute)." }
                    @match &c.overflow {
                        Ok(check) => {
                            @let over = check["configured_form_users_overflowing"].as_u64().unwrap_or(0);
                            @if over > 0 {
                                (notice("warn", &format!("{} have more memberships than the configured form can carry (limit {} per array): the most recently joined are kept", count(over, "user", "users"), check["limits"]["max_array_len"])))
                            } @else {
                                (notice("ok", "overflow check: every user's memberships fit the configured form"))
                            }
                        }
                        Err(e) => (notice("error", &format!("overflow check failed: {e}"))),
                    }
                }
            }
        @if audiences.is_empty() { p { "No audiences yet." } } @else {
            table id="audience-table" {
                thead { tr { th scope="col" class="num" { "Id" } th scope="col" { "Name" } th scope="col" { "Braze name" } th scope="col" { "State" } th scope="col" class="num" { "Members" } } }
                tbody { @for a in &audiences {
                    tr data-audience=(a.id) {
                        td class="num" { (a.id) }
                        td { a href={"/audiences/" (a.id)} { (a.name) } }
                        td { code { (a.segment_name()) } }
                        td { (state_label(a.state)) }
                        td class="num" { @match &census { Some(c) => (int(c.members.get(&a.id).copied().unwrap_or(0))), None => "…" } }
                    }
                } }
            }
        }
        }
        section aria-labelledby="jobs" id="job-section" data-refresh=[(!pending.is_empty()).then_some("1")] {
            h2 id="jobs" { "Backfill and clean-up jobs in progress" }
            @if pending.is_empty() { p { "none" } } @else { (jobs_table(&pending)) }
        }
    };
    page("Audiences", "/audiences", Some(&session.csrf), body).into_response()
}

fn state_label(state: AudienceState) -> &'static str {
    match state {
        AudienceState::Active => "active",
        AudienceState::Inactive => "inactive",
        AudienceState::Deleted => "deleted",
    }
}

/// The audience form's values and the errors to show at its fields.
#[derive(Default)]
struct AudienceForm {
    id: String,
    name: String,
    external_name: String,
    state: String,
    criteria: String,
    errors: BTreeMap<&'static str, String>,
}

impl AudienceForm {
    fn from_audience(a: &Audience) -> Self {
        AudienceForm {
            id: a.id.to_string(),
            name: a.name.clone(),
            external_name: a.external_name.clone().unwrap_or_default(),
            state: state_label(a.state).into(),
            criteria: serde_json::to_string_pretty(&a.criteria).unwrap_or_default(),
            errors: BTreeMap::new(),
        }
    }

    fn from_fields(form: &[(String, String)]) -> Self {
        AudienceForm {
            id: field(form, "id").trim().into(),
            name: field(form, "name").into(),
            external_name: field(form, "external_name").into(),
            state: field(form, "state").into(),
            criteria: field(form, "criteria").into(),
            errors: BTreeMap::new(),
        }
    }

    /// The audience JSON, with every problem found put at its field.
    fn checked_json(&mut self) -> Option<Value> {
        let id: Option<u64> = match self.id.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                self.errors.insert(
                    "id",
                    format!("`{}` is not a non-negative whole number", self.id),
                );
                None
            }
        };
        let criteria: Option<Value> = match serde_json::from_str(&self.criteria) {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors
                    .insert("criteria", format!("not valid JSON: {e}"));
                None
            }
        };
        if self.name.trim().is_empty() {
            self.errors.insert("name", "must not be empty".into());
        }
        let (Some(id), Some(criteria)) = (id, criteria) else {
            return None;
        };
        let mut value =
            json!({"id": id, "name": self.name.trim(), "state": self.state, "criteria": criteria});
        if !self.external_name.trim().is_empty() {
            value["external_name"] = json!(self.external_name.trim());
        }
        if let Err(e) = Audience::from_json(value.clone()) {
            self.place_error(&e.path, e.reason);
            return None;
        }
        if !self.errors.is_empty() {
            return None;
        }
        Some(value)
    }

    /// Put a definition error at the field its path names.
    fn place_error(&mut self, path: &str, reason: String) {
        let field = ["id", "name", "external_name", "state", "criteria"]
            .into_iter()
            .find(|f| {
                path == *f
                    || path.starts_with(&format!("{f}."))
                    || path.starts_with(&format!("{f}["))
            })
            .unwrap_or("criteria");
        let text = if path == field || path == "$" {
            reason
        } else {
            format!("{path}: {reason}")
        };
        self.errors.insert(field, text);
    }
}

const CRITERIA_EXAMPLE: &str = r#"{"attribute": {"key": "plan", "op": "equals", "value": "gold"}}"#;

fn audience_form(
    form: &AudienceForm,
    action: &str,
    creating: bool,
    csrf: &str,
    problem: Option<&str>,
) -> Markup {
    let described = |name: &str| {
        form.errors
            .contains_key(name)
            .then(|| format!("{name}-error"))
    };
    let err = |name: &str| -> Markup {
        html! { @if let Some(e) = form.errors.get(name) { p class="field-error" id={(name) "-error"} role="alert" { (e) } } }
    };
    html! {
        @if let Some(problem) = problem { (notice("error", problem)) }
        form class="audience" method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(csrf);
            p {
                label for="id" { "Id" }
                @if creating {
                    input id="id" name="id" inputmode="numeric" value=(form.id) required aria-invalid=[described("id").map(|_| "true")] aria-describedby=[described("id")];
                } @else {
                    input id="id" name="id" value=(form.id) readonly;
                }
                (err("id"))
            }
            p {
                label for="name" { "Name" }
                input id="name" name="name" value=(form.name) required aria-invalid=[described("name").map(|_| "true")] aria-describedby=[described("name")];
                (err("name"))
            }
            p {
                label for="external_name" { "Braze name (optional)" }
                input id="external_name" name="external_name" value=(form.external_name) aria-describedby="external-hint";
                span class="hint" id="external-hint" { "sent as " code { "In <name>" } "; the name when empty" }
                (err("external_name"))
            }
            p {
                label for="state" { "State" }
                select id="state" name="state" {
                    option value="active" selected[form.state != "inactive"] { "active" }
                    option value="inactive" selected[form.state == "inactive"] { "inactive" }
                }
                (err("state"))
            }
            p {
                label for="criteria" { "Criteria (JSON)" }
                textarea id="criteria" name="criteria" rows="8" spellcheck="false" aria-invalid=[described("criteria").map(|_| "true")] aria-describedby={"criteria-hint" @if described("criteria").is_some() { " criteria-error" }} { (form.criteria) }
                span class="hint" id="criteria-hint" { "for example " code { (CRITERIA_EXAMPLE) } "; see docs/audiences.md for every criterion" }
                (err("criteria"))
            }
            p { button type="submit" { @if creating { "Create audience" } @else { "Save changes" } } }
        }
    }
}

pub async fn audience_new(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let session = match signed_in(&state, &headers, "/audiences/new") {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let next_id = state
        .audiences
        .current()
        .set
        .audiences()
        .map(|a| a.id)
        .max()
        .map(|m| m + 1)
        .unwrap_or(1);
    let form = AudienceForm {
        id: next_id.to_string(),
        state: "active".into(),
        criteria: CRITERIA_EXAMPLE.into(),
        ..AudienceForm::default()
    };
    page(
        "New audience",
        "/audiences",
        Some(&session.csrf),
        audience_form(&form, "/audiences/new", true, &session.csrf, None),
    )
    .into_response()
}

/// Submit an audience through the admin API; on refusal, the form again with the errors
/// at their fields.
async fn submit_audience(state: &Arc<AppState>, form: Fields, existing: Option<u64>) -> Response {
    let mut audience = AudienceForm::from_fields(&form);
    let csrf = field(&form, "csrf").to_string();
    let action = match existing {
        Some(id) => format!("/audiences/{id}"),
        None => "/audiences/new".into(),
    };
    let title = if existing.is_some() {
        "Edit audience"
    } else {
        "New audience"
    };
    let invalid = |audience: &AudienceForm, problem: Option<&str>| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                title,
                "/audiences",
                Some(&csrf),
                audience_form(audience, &action, existing.is_none(), &csrf, problem),
            ),
        )
            .into_response()
    };
    let Some(body) = audience.checked_json() else {
        return invalid(
            &audience,
            Some("the audience was not saved: fix the fields marked below"),
        );
    };
    let id = body["id"].as_u64().unwrap_or(0);
    let (status, answer) = match existing {
        None => admin_client::call(state, Method::POST, "/api/v1/audiences", Some(&body)).await,
        Some(id) => {
            admin_client::call(
                state,
                Method::PUT,
                &format!("/api/v1/audiences/{id}"),
                Some(&body),
            )
            .await
        }
    };
    if status.is_success() {
        return Redirect::to(&format!("/audiences/{id}?saved=1")).into_response();
    }
    let message = error_message(&answer);
    if status == StatusCode::CONFLICT && message.contains("exists") {
        audience.errors.insert("id", message);
    } else {
        audience.place_error(
            message
                .split(": ")
                .nth(1)
                .filter(|p| !p.contains(' '))
                .unwrap_or("criteria"),
            message.clone(),
        );
    }
    invalid(
        &audience,
        Some("the audience was not saved: fix the fields marked below"),
    )
}

pub async fn audience_create(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<Fields>,
) -> Response {
    if let Err(refused) = checked_post(&state, &headers, &form) {
        return *refused;
    }
    submit_audience(&state, form, None).await
}

fn parse_id(id: &str) -> Result<u64, Box<Response>> {
    id.parse()
        .map_err(|_| Box::new((StatusCode::NOT_FOUND, "no such audience").into_response()))
}

pub async fn audience_replace(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    if let Err(refused) = checked_post(&state, &headers, &form) {
        return *refused;
    }
    match parse_id(&id) {
        Ok(id) => submit_audience(&state, form, Some(id)).await,
        Err(r) => *r,
    }
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    retired: Option<String>,
}

pub async fn audience_detail(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let session = match signed_in(&state, &headers, &format!("/audiences/{id}")) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let (status, answer) = admin_client::call(
        &state,
        Method::GET,
        &format!("/api/v1/audiences/{id}"),
        None,
    )
    .await;
    if status != StatusCode::OK {
        return (
            status,
            page(
                "Audience",
                "/audiences",
                Some(&session.csrf),
                notice("error", &error_message(&answer)),
            ),
        )
            .into_response();
    }
    let Ok(audience) = serde_json::from_value::<Audience>(answer) else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "unexpected audience from the admin API",
        )
            .into_response();
    };
    let (_, jobs) = admin_client::call(&state, Method::GET, "/api/v1/audiences/jobs", None).await;
    let mine: Vec<Value> = jobs["jobs"]
        .as_array()
        .map(|j| {
            j.iter()
                .filter(|j| j["audience_id"].as_u64() == Some(id))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let running = mine.iter().any(|j| !j["done"].as_bool().unwrap_or(false));
    let csrf = session.csrf.clone();
    let retire_action = format!("/audiences/{id}/retire");
    let body = html! {
        @if q.saved.is_some() { (notice("ok", "saved")) }
        @if let Some(what) = &q.retired { (notice("ok", &format!("{what}: queued"))) }
        p { "State: " strong { (state_label(audience.state)) } " · Braze attribute " code { (audience.braze_attribute()) } }
        section id="job-section" aria-labelledby="jobs" data-refresh=[running.then_some("1")] {
            h2 id="jobs" { "Jobs" }
            @if mine.is_empty() { p { "none" } } @else { (jobs_table(&mine)) }
        }
        h2 { "Definition" }
        (audience_form(&AudienceForm::from_audience(&audience), &format!("/audiences/{id}"), false, &csrf, None))
        section aria-labelledby="retire" {
            h2 id="retire" { "Deactivate or delete" }
            p class="hint" { "Deactivating freezes memberships (no more updates); deleting removes the audience. With clean-up, braid first takes the audience out of every member's Braze profile, as a job you can follow above." }
            form method="post" action=(retire_action) data-confirm="Change this audience?" {
                input type="hidden" name="csrf" value=(csrf);
                p {
                    input type="checkbox" id="cleanup" name="cleanup" value="on";
                    label for="cleanup" { " remove memberships from Braze first (clean-up)" }
                }
                p {
                    button type="submit" name="action" value="deactivate" { "Deactivate" }
                    " "
                    button type="submit" name="action" value="delete" class="danger" { "Delete" }
                }
            }
        }
    };
    page(
        &format!("Audience {}: {}", audience.id, audience.name),
        "/audiences",
        Some(&session.csrf),
        body,
    )
    .into_response()
}

pub async fn audience_retire(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let session = match checked_post(&state, &headers, &form) {
        Ok(s) => s,
        Err(refused) => return *refused,
    };
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let cleanup = field(&form, "cleanup") == "on";
    let (route, label) = match field(&form, "action") {
        "delete" => (
            format!("/api/v1/audiences/{id}?cleanup={cleanup}"),
            "delete",
        ),
        _ => (
            format!("/api/v1/audiences/{id}/deactivate?cleanup={cleanup}"),
            "deactivate",
        ),
    };
    let method = if label == "delete" {
        Method::DELETE
    } else {
        Method::POST
    };
    let (status, answer) = admin_client::call(&state, method, &route, None).await;
    if !status.is_success() {
        return (
            status,
            page(
                "Audience",
                "/audiences",
                Some(&session.csrf),
                notice("error", &error_message(&answer)),
            ),
        )
            .into_response();
    }
    if label == "delete" && !cleanup {
        return Redirect::to("/audiences").into_response();
    }
    Redirect::to(&format!("/audiences/{id}?retired={label}")).into_response()
}

// ---------------------------------------------------------------------------------
// Dead letters

/// Dead letters per page.
const DEAD_LETTERS_PER_PAGE: usize = 50;

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    replayed: Option<usize>,
}

pub async fn dead_letters(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let session = match signed_in(&state, &headers, "/dead-letters") {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let path = format!(
        "/api/v1/dead-letters?after={}&limit={}",
        q.after, DEAD_LETTERS_PER_PAGE
    );
    let (status, listed) = admin_client::call(&state, Method::GET, &path, None).await;
    if status != StatusCode::OK {
        return (
            StatusCode::BAD_GATEWAY,
            page(
                "Dead letters",
                "/dead-letters",
                Some(&session.csrf),
                notice("error", &error_message(&listed)),
            ),
        )
            .into_response();
    }
    let letters = listed["dead_letters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let next = (letters.len() == DEAD_LETTERS_PER_PAGE)
        .then(|| letters.last().and_then(|l| l["id"].as_u64()))
        .flatten();
    let body = html! {
        @if let Some(n) = q.replayed { (notice("ok", &format!("{} put back in the outbox", count(n as u64, "object", "objects")))) }
        p class="hint" { "Objects Braze refused for good, with its reason. Replaying puts them back on their user's lane, after what is queued." }
        @if letters.is_empty() { p { "No dead letters." } } @else {
            form method="post" action="/dead-letters/replay" {
                input type="hidden" name="csrf" value=(session.csrf);
                p {
                    input type="checkbox" id="select-all" data-select-all="id";
                    label for="select-all" { " select all on this page" }
                    " "
                    button type="submit" { "Replay selected" }
                }
                table id="dead-letter-table" {
                    thead { tr { th scope="col" { "Select" } th scope="col" { "Failed" } th scope="col" { "Reason" } th scope="col" { "User" } th scope="col" { "Object" } } }
                    tbody { @for letter in &letters {
                        @let id = letter["id"].as_u64().unwrap_or(0);
                        @let dl = &letter["dead_letter"];
                        @let entry: Option<braid_core::OutboxEntry> = serde_json::from_value(dl["entry"].clone()).ok();
                        tr data-dead-letter=(id) {
                            td { input type="checkbox" name="id" value=(id) id={"dl-" (id)} aria-label={"select dead letter " (id)}; }
                            td { (time_el(dl["failed_ms"].as_i64().unwrap_or(0))) }
                            td { (dl["reason"].as_str().unwrap_or("")) @if let Some(s) = dl["status"].as_u64() { " (HTTP " (s) ")" } }
                            td { @if let Some(e) = &entry { a href={"/users?type=mpid&value=" (e.mpid)} { (e.mpid) } } }
                            td { @if let Some(e) = &entry { @let (kind, body) = payload_kind(&e.payload); (kind) (json_block(&body)) } }
                        }
                    } }
                }
            }
            (view::pager("/dead-letters", next))
        }
    };
    page("Dead letters", "/dead-letters", Some(&session.csrf), body).into_response()
}

pub async fn dead_letters_replay(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<Fields>,
) -> Response {
    let session = match checked_post(&state, &headers, &form) {
        Ok(s) => s,
        Err(refused) => return *refused,
    };
    let ids: Vec<u64> = form
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    if ids.is_empty() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                "Dead letters",
                "/dead-letters",
                Some(&session.csrf),
                html! {
                    (notice("error", "select at least one dead letter to replay"))
                    p { a href="/dead-letters" { "Back to the dead letters" } }
                },
            ),
        )
            .into_response();
    }
    let (status, answer) = admin_client::call(
        &state,
        Method::POST,
        "/api/v1/dead-letters/replay",
        Some(&json!({ "ids": ids })),
    )
    .await;
    if status != StatusCode::OK {
        return (
            status,
            page(
                "Dead letters",
                "/dead-letters",
                Some(&session.csrf),
                notice("error", &error_message(&answer)),
            ),
        )
            .into_response();
    }
    Redirect::to(&format!(
        "/dead-letters?replayed={}",
        answer["replayed"].as_u64().unwrap_or(0)
    ))
    .into_response()
}

// ---------------------------------------------------------------------------------
// Data subject requests

/// Requests per page of the audit trail.
const DSR_PER_PAGE: usize = 50;

pub async fn dsr(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let session = match signed_in(&state, &headers, "/dsr") {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let (status, trail) =
        admin_client::call(&state, Method::GET, "/api/v1/dsr/requests", None).await;
    if status != StatusCode::OK {
        return (
            StatusCode::BAD_GATEWAY,
            page(
                "Data subject requests",
                "/dsr",
                Some(&session.csrf),
                notice("error", &error_message(&trail)),
            ),
        )
            .into_response();
    }
    let mut requests = trail["requests"].as_array().cloned().unwrap_or_default();
    requests.reverse();
    let skip = q.after as usize;
    let shown: Vec<&Value> = requests.iter().skip(skip).take(DSR_PER_PAGE).collect();
    let next = (skip + DSR_PER_PAGE < requests.len()).then_some((skip + DSR_PER_PAGE) as u64);
    let body = html! {
        p class="hint" { "Every request braid received (OpenDSR " code { "/v3/requests" } "), newest first. Identities are never shown: the trail keeps only salted hashes." }
        @if shown.is_empty() { p { "No requests." } } @else {
            table id="dsr-table" {
                thead { tr { th scope="col" { "Request" } th scope="col" { "Type" } th scope="col" { "Regulation" } th scope="col" { "Status" } th scope="col" { "Received" } th scope="col" { "Finished" } th scope="col" { "Details" } } }
                tbody { @for r in &shown {
                    tr data-request=(r["id"].as_str().unwrap_or("")) {
                        td { code { (r["id"].as_str().unwrap_or("")) } }
                        td { (r["request_type"].as_str().unwrap_or("")) }
                        td { (r["regulation"].as_str().unwrap_or("")) }
                        td { strong { (r["status"].as_str().unwrap_or("")) } }
                        td { (time_el(r["received_ms"].as_i64().unwrap_or(0))) }
                        td { @match r["finished_ms"].as_i64() { Some(ms) => (time_el(ms)), None => "–" } }
                        td { details { summary { "local and Braze outcome" } (json_block(&json!({"local": r["local"], "braze": r["braze"]}))) } }
                    }
                } }
            }
            (view::pager("/dsr", next))
        }
    };
    page("Data subject requests", "/dsr", Some(&session.csrf), body).into_response()
}

// ---------------------------------------------------------------------------------
// Settings

pub async fn settings(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let session = match signed_in(&state, &headers, "/settings") {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let text = toml::to_string_pretty(&state.config)
        .unwrap_or_else(|e| format!("# cannot show the configuration: {e}"));
    let body = html! {
        p class="hint" { "The configuration in force (defaults, the file, then " code { "BRAID_*" } " variables), with every secret redacted. Change it in the file and restart (or send SIGHUP for what reloads)." }
        pre id="settings" class="config" { (text) }
    };
    page("Settings", "/settings", Some(&session.csrf), body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(id: &str, name: &str, criteria: &str) -> AudienceForm {
        AudienceForm {
            id: id.into(),
            name: name.into(),
            state: "active".into(),
            criteria: criteria.into(),
            ..AudienceForm::default()
        }
    }

    #[test]
    fn each_audience_form_error_lands_at_its_field() {
        let mut bad_id = form("x1", "A", CRITERIA_EXAMPLE);
        assert!(bad_id.checked_json().is_none());
        assert!(bad_id.errors["id"].contains("x1"));

        let mut bad_json = form("1", "A", "{not json");
        assert!(bad_json.checked_json().is_none());
        assert!(bad_json.errors["criteria"].starts_with("not valid JSON"));

        let mut empty_name = form("1", " ", CRITERIA_EXAMPLE);
        assert!(empty_name.checked_json().is_none());
        assert_eq!(empty_name.errors["name"], "must not be empty");

        let mut bad_op = form(
            "1",
            "A",
            r#"{"attribute": {"key": "plan", "op": "resembles", "value": "x"}}"#,
        );
        assert!(bad_op.checked_json().is_none());
        assert!(bad_op.errors["criteria"].starts_with("criteria.attribute.op: "));
        assert_eq!(bad_op.errors.len(), 1);
    }

    #[test]
    fn a_valid_form_becomes_the_admin_api_body() {
        let mut ok = form("5", "Gold", CRITERIA_EXAMPLE);
        ok.external_name = "Gold Members".into();
        let body = ok.checked_json().expect("valid");
        assert_eq!(body["id"], 5);
        assert_eq!(body["external_name"], "Gold Members");
        assert!(ok.errors.is_empty());
        assert!(Audience::from_json(body).is_ok());
    }

    #[test]
    fn sign_in_only_returns_to_paths_on_this_site() {
        assert_eq!(safe_next("/audiences?x=1"), "/audiences?x=1");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
    }
}
