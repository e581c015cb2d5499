//! CORS for the web routes: a page's origin must be one its input allows.
//!
//! Every answer to an allowed origin carries `Access-Control-Allow-Origin` (errors
//! included): without it the browser reports a network error and the SDK retries for
//! ever. Preflights (IDSync and alias send `application/json` and `x-mp-key`) are
//! answered here. A preflight carries no key, so it is allowed when any web input allows
//! the origin; the request itself is then checked against its own input's origins.
//! A request with no `Origin` header is not from a browser page and is not checked.

use super::WebError;
use crate::app::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Check one configured origin: `scheme://host[:port]`, exact, no path.
pub fn check_origin(origin: &str) -> Result<(), String> {
    if origin == "*" {
        return Err(
            "`*` is not allowed: list each page origin exactly, like \"https://shop.example.com\""
                .into(),
        );
    }
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("`{origin}` must start with https:// or http://"))?;
    if rest.is_empty() || rest.contains('/') || rest.contains('*') || rest.contains(' ') {
        return Err(format!(
            "`{origin}` must be a scheme and host (and port) only, like \"https://shop.example.com\", with no path, slash or wildcard"
        ));
    }
    Ok(())
}

/// The web key a request names: the path segment before `events`, `Alias`, `config`
/// or `Forwarding`, else the `x-mp-key` header (IDSync).
pub fn key_of(path: &str, headers: &HeaderMap) -> Option<String> {
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let last = segments.next()?;
    if matches!(last, "events" | "Alias" | "config" | "Forwarding") {
        return segments.next().map(str::to_string);
    }
    headers
        .get("x-mp-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The CORS layer of the web routes.
pub async fn cors(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let Some(origin) = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return next.run(request).await;
    };
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let key = key_of(request.uri().path(), request.headers());
    let allowed = match key.as_deref().and_then(|k| state.web.input(k)) {
        Some(input) if !preflight => input.allowed_origins.contains(&origin),
        // A preflight has no x-mp-key; an unknown key is refused by the route itself,
        // and the page should be able to read why.
        _ => state.web.any_input_allows(&origin),
    };
    if !allowed {
        metrics::counter!("braid_web_origin_refused_total").increment(1);
        tracing::info!(%origin, key = ?key, "web request from an origin not allowed");
        // No allow-origin header: the browser does not let the page read this.
        return if preflight {
            StatusCode::FORBIDDEN.into_response()
        } else {
            WebError::OriginRefused(origin).into_response()
        };
    }
    let mut response = if preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, x-mp-key, accept"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        response
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-mp-max-age"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_must_be_exact() {
        assert!(check_origin("https://shop.example.com").is_ok());
        assert!(check_origin("http://127.0.0.1:8080").is_ok());
        assert!(check_origin("*").unwrap_err().contains("not allowed"));
        assert!(check_origin("https://shop.example.com/").is_err());
        assert!(check_origin("shop.example.com").is_err());
        assert!(check_origin("https://*.example.com").is_err());
    }

    #[test]
    fn the_key_comes_from_the_path_or_the_header() {
        let none = HeaderMap::new();
        assert_eq!(key_of("/v3/JS/k1/events", &none).as_deref(), Some("k1"));
        assert_eq!(
            key_of("/tags/JS/v2/k2/config", &none).as_deref(),
            Some("k2")
        );
        assert_eq!(
            key_of("/v1/identity/k3/Alias", &none).as_deref(),
            Some("k3")
        );
        let mut h = HeaderMap::new();
        h.insert("x-mp-key", "k4".parse().unwrap());
        assert_eq!(key_of("/v1/identify", &h).as_deref(), Some("k4"));
        assert_eq!(key_of("/v1/identify", &none), None);
    }
}
