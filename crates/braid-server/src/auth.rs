//! HTTP Basic authentication, compared in constant time so response timing reveals
//! nothing about a secret, and [`Guard`]: the layer that puts it in front of one
//! sub-router (ingest inputs, admin, data subject requests).

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Why a request was not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No (usable) `Authorization` header: 401.
    Missing,
    /// Credentials given but wrong: 403.
    Wrong,
}

/// One key/secret pair that may be accepted.
#[derive(Debug, Clone)]
pub struct Credential {
    pub name: String,
    pub key: String,
    pub secret: braid_core::Secret,
}

/// Check `headers` against `allowed`; returns the matching credential's name.
pub fn check_basic<'a>(
    headers: &HeaderMap,
    allowed: &'a [Credential],
) -> Result<&'a str, AuthFailure> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthFailure::Missing)?;
    let (scheme, encoded) = value.split_once(' ').ok_or(AuthFailure::Missing)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(AuthFailure::Missing);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| AuthFailure::Wrong)?;
    let text = String::from_utf8(decoded).map_err(|_| AuthFailure::Wrong)?;
    let (key, secret) = text.split_once(':').ok_or(AuthFailure::Wrong)?;
    let mut found = None;
    // Compare against every credential without stopping early.
    for cred in allowed {
        let key_ok = cred.key.as_bytes().ct_eq(key.as_bytes());
        let secret_ok = cred.secret.expose().as_bytes().ct_eq(secret.as_bytes());
        if bool::from(key_ok & secret_ok) {
            found = Some(cred.name.as_str());
        }
    }
    found.ok_or(AuthFailure::Wrong)
}

/// The name of the credential a request authenticated with, put in the request's
/// extensions by [`Guard`] (for ingest, the input's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated(pub String);

/// Who may call one sub-router, and how that API surface answers a refusal (each
/// surface has its own error body).
#[derive(Clone)]
pub struct Guard {
    allowed: Arc<[Credential]>,
    refuse: fn(AuthFailure) -> Response,
}

impl Guard {
    /// Accept `allowed`; refuse with the surface's error type `E`.
    pub fn new<E>(allowed: Vec<Credential>) -> Guard
    where
        E: From<AuthFailure> + IntoResponse,
    {
        Guard {
            allowed: allowed.into(),
            refuse: refuse_with::<E>,
        }
    }

    /// Require these credentials on every route of `router` (routes added later, and
    /// requests that match no route, are not guarded).
    pub fn protect<S>(self, router: Router<S>) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        router.route_layer(middleware::from_fn_with_state(self, require))
    }
}

fn refuse_with<E: From<AuthFailure> + IntoResponse>(failure: AuthFailure) -> Response {
    E::from(failure).into_response()
}

async fn require(State(guard): State<Guard>, mut request: Request, next: Next) -> Response {
    match check_basic(request.headers(), &guard.allowed) {
        Ok(name) => {
            let name = Authenticated(name.to_string());
            request.extensions_mut().insert(name);
            next.run(request).await
        }
        Err(failure) => (guard.refuse)(failure),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::AUTHORIZATION, v.parse().unwrap());
        h
    }

    fn creds() -> Vec<Credential> {
        vec![Credential {
            name: "web".into(),
            key: "k1".into(),
            secret: "s1-secret".into(),
        }]
    }

    #[test]
    fn correct_credentials_name_the_input() {
        let enc = base64::engine::general_purpose::STANDARD.encode("k1:s1-secret");
        assert_eq!(
            check_basic(&header(&format!("Basic {enc}")), &creds()),
            Ok("web")
        );
    }

    #[test]
    fn missing_header_is_missing_and_wrong_secret_is_wrong() {
        assert_eq!(
            check_basic(&HeaderMap::new(), &creds()),
            Err(AuthFailure::Missing)
        );
        assert_eq!(
            check_basic(&header("Bearer x"), &creds()),
            Err(AuthFailure::Missing)
        );
        let enc = base64::engine::general_purpose::STANDARD.encode("k1:nope");
        assert_eq!(
            check_basic(&header(&format!("Basic {enc}")), &creds()),
            Err(AuthFailure::Wrong)
        );
        assert_eq!(
            check_basic(&header("Basic !!!"), &creds()),
            Err(AuthFailure::Wrong)
        );
    }
}
