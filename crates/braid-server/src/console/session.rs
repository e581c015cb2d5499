//! Console sign-in: sessions kept in memory behind an HttpOnly, SameSite=Strict,
//! expiring cookie; a per-session token that every state-changing form carries
//! (checked together with the `Origin` header); and the throttle on wrong credentials.
//!
//! Sessions live in memory: a restart signs everyone out, which is the safe failure.

use crate::auth::{check_pair, Credential};
use axum::http::{header, HeaderMap, HeaderValue};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE: &str = "braid_console";

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The token every state-changing request must carry.
    pub csrf: String,
    expires: Instant,
}

/// Why a sign-in was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    /// Wrong key or secret.
    Wrong,
    /// Too many failures for this key lately; try again after this long.
    Throttled(Duration),
}

#[derive(Debug, Default)]
struct Failures {
    count: u32,
    first: Option<Instant>,
}

/// The signed-in sessions and the sign-in throttle.
#[derive(Debug)]
pub struct Sessions {
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<String, Failures>>,
    ttl: Duration,
    max_failures: u32,
    lockout: Duration,
}

impl Sessions {
    /// Sessions lasting `ttl`; `max_failures` wrong sign-ins per key within `lockout`.
    pub fn new(ttl: Duration, max_failures: u32, lockout: Duration) -> Self {
        Sessions {
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            ttl,
            max_failures,
            lockout,
        }
    }

    /// How long a session lasts.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Check credentials (throttled per key) and open a session: its cookie value.
    pub fn login(
        &self,
        key: &str,
        secret: &str,
        allowed: &[Credential],
    ) -> Result<String, LoginRefusal> {
        let now = Instant::now();
        {
            let mut failures = self.failures.lock();
            failures.retain(|_, f| f.first.is_some_and(|t| now - t < self.lockout));
            if let Some(f) = failures.get(key) {
                if f.count >= self.max_failures {
                    let waited = f.first.map(|t| now - t).unwrap_or_default();
                    return Err(LoginRefusal::Throttled(
                        self.lockout
                            .saturating_sub(waited)
                            .max(Duration::from_secs(1)),
                    ));
                }
            }
        }
        if check_pair(key, secret, allowed).is_none() {
            let mut failures = self.failures.lock();
            let f = failures.entry(key.to_string()).or_default();
            f.count += 1;
            f.first.get_or_insert(now);
            tracing::warn!(key, failures = f.count, "console sign-in refused");
            return Err(LoginRefusal::Wrong);
        }
        self.failures.lock().remove(key);
        let token = crate::credentials::random_token(43);
        let session = Session {
            csrf: crate::credentials::random_token(43),
            expires: now + self.ttl,
        };
        let mut sessions = self.sessions.lock();
        sessions.retain(|_, s| s.expires > now);
        sessions.insert(token.clone(), session);
        tracing::info!(key, "console sign-in");
        Ok(token)
    }

    /// The live session named by the request's cookie.
    pub fn current(&self, headers: &HeaderMap) -> Option<Session> {
        let token = cookie_value(headers, COOKIE)?;
        let mut sessions = self.sessions.lock();
        match sessions.get(token) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                sessions.remove(token);
                None
            }
            None => None,
        }
    }

    /// End the session named by the request's cookie.
    pub fn logout(&self, headers: &HeaderMap) {
        if let Some(token) = cookie_value(headers, COOKIE) {
            self.sessions.lock().remove(token);
        }
    }
}

impl Session {
    /// Whether `token` is this session's anti-forgery token (constant time).
    pub fn csrf_matches(&self, token: &str) -> bool {
        bool::from(self.csrf.as_bytes().ct_eq(token.as_bytes()))
    }
}

/// The `Set-Cookie` value that stores a session for `ttl`.
pub fn session_cookie(token: &str, ttl: Duration) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        ttl.as_secs()
    ))
    .expect("cookie is ascii")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_cookie() -> HeaderValue {
    HeaderValue::from_static("braid_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Whether the request's `Origin` (or, without one, `Referer`) names this host. Browsers
/// send `Origin` on every cross-site POST, so a form posted from another site fails here
/// even before its missing token is noticed. A request with neither header (a script,
/// not a browser) passes this check and still needs the session and its token.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match source {
        None => true,
        Some(url) => url
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or("") == host)
            .unwrap_or(false),
    }
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin() -> Vec<Credential> {
        vec![Credential {
            name: "admin".into(),
            key: "admin".into(),
            secret: "right-secret".into(),
        }]
    }

    fn with_cookie(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            format!("other=1; {COOKIE}={token}").parse().unwrap(),
        );
        h
    }

    #[test]
    fn right_credentials_open_a_session_the_cookie_finds_and_logout_ends() {
        let sessions = Sessions::new(Duration::from_secs(60), 3, Duration::from_secs(60));
        let token = sessions.login("admin", "right-secret", &admin()).unwrap();
        let headers = with_cookie(&token);
        let session = sessions.current(&headers).expect("signed in");
        assert!(session.csrf_matches(&session.csrf.clone()));
        assert!(!session.csrf_matches("forged"));
        sessions.logout(&headers);
        assert!(sessions.current(&headers).is_none());
    }

    #[test]
    fn repeated_wrong_secrets_are_throttled_even_for_the_right_one() {
        let sessions = Sessions::new(Duration::from_secs(60), 3, Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(
                sessions.login("admin", "wrong", &admin()),
                Err(LoginRefusal::Wrong)
            );
        }
        assert!(matches!(
            sessions.login("admin", "right-secret", &admin()),
            Err(LoginRefusal::Throttled(_))
        ));
    }

    #[test]
    fn expired_sessions_are_gone() {
        let sessions = Sessions::new(Duration::ZERO, 3, Duration::from_secs(60));
        let token = sessions.login("admin", "right-secret", &admin()).unwrap();
        assert!(sessions.current(&with_cookie(&token)).is_none());
    }

    #[test]
    fn origin_of_another_site_is_not_same_origin() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!same_origin(&h));
    }
}
