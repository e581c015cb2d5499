//! Classification of Braze's answers, in one place.
//!
//! Delivery never looks at a status code itself: it asks [`classify`] what an answer
//! means and acts on the [`Outcome`] (deliver, dead-letter, bisect, wait, stop). Keeping
//! the rules here, like Vector's `RetryLogic`, means a new Braze behaviour is one table
//! row and one test. Timeouts and connection errors never reach this function; the
//! caller treats them as [`Outcome::Retry`].
//!
//! [`RateLimitInfo::from_headers`] reads the `X-RateLimit-*` headers Braze puts on every
//! answer (lowercase over HTTP/2), so senders can slow down before Braze says 429.

use crate::wire::TrackArray;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One object Braze reported as failed inside a 2xx (or listed in a 400).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedObject {
    /// The request array the object was in.
    pub array: TrackArray,
    /// Its index inside that array.
    pub index: usize,
    /// Braze's error `type`, e.g. `"Invalid product_id"`.
    pub error_type: String,
}

/// What an answer from Braze means for the request that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every object was processed.
    Success,
    /// 2xx with `errors`: the listed objects failed, every other object was processed.
    PartialSuccess {
        /// Failures that name an object (`input_array` and `index`).
        failed: Vec<FailedObject>,
        /// Errors that name no object; the objects are still counted as processed.
        unattributed: Vec<String>,
    },
    /// 400 (or another 4xx not listed below): the whole request was rejected and
    /// sending it again unchanged will fail again.
    Fatal {
        status: u16,
        message: String,
        /// Objects the answer blames, when it names them.
        errors: Vec<FailedObject>,
    },
    /// 429: wait until the rate-limit window resets, then retry unchanged.
    RateLimited {
        /// `X-RateLimit-Reset`, UNIX seconds, when Braze sent it.
        reset_unix_s: Option<u64>,
    },
    /// 5xx, 408 or anything unexpected: retry unchanged with backoff.
    Retry { status: u16 },
    /// 401/403: the key is wrong, quoted, for another instance, or lacks permission.
    AuthFailure { status: u16, message: String },
    /// 413: the body is over Braze's 4 MB limit; split and retry.
    PayloadTooLarge,
    /// 404: the URL is wrong (a misconfigured custom instance); keep everything queued.
    NotFound,
}

impl Outcome {
    /// A short label for metrics and logs (`success`, `partial`, `fatal`, …).
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::PartialSuccess { .. } => "partial",
            Outcome::Fatal { .. } => "fatal",
            Outcome::RateLimited { .. } => "rate_limited",
            Outcome::Retry { .. } => "retry",
            Outcome::AuthFailure { .. } => "auth_failure",
            Outcome::PayloadTooLarge => "payload_too_large",
            Outcome::NotFound => "not_found",
        }
    }
}

/// Classify one HTTP answer from Braze.
///
/// `rate_limit` is what [`RateLimitInfo::from_headers`] read from the same answer.
pub fn classify(status: u16, rate_limit: &RateLimitInfo, body: &[u8]) -> Outcome {
    match status {
        200..=299 => classify_success(body),
        400 => fatal(status, body),
        401 | 403 => Outcome::AuthFailure {
            status,
            message: message_of(body).unwrap_or_else(|| default_message(status).to_string()),
        },
        404 => Outcome::NotFound,
        408 => Outcome::Retry { status },
        413 => Outcome::PayloadTooLarge,
        429 => Outcome::RateLimited {
            reset_unix_s: rate_limit.reset,
        },
        402..=499 => fatal(status, body),
        // 5xx, and anything Braze does not document (1xx, unfollowed 3xx): Braze does
        // not replay lost calls, so the only safe answer is to try again later.
        _ => Outcome::Retry { status },
    }
}

fn classify_success(body: &[u8]) -> Outcome {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        // The status says processed; an unreadable body cannot say otherwise.
        return Outcome::Success;
    };
    let (failed, unattributed) = errors_of(&json);
    if failed.is_empty() && unattributed.is_empty() {
        Outcome::Success
    } else {
        Outcome::PartialSuccess {
            failed,
            unattributed,
        }
    }
}

fn fatal(status: u16, body: &[u8]) -> Outcome {
    let json = serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
    let (errors, unattributed) = errors_of(&json);
    let message = json
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| unattributed.first().cloned())
        .or_else(|| errors.first().map(|e| e.error_type.clone()))
        .unwrap_or_else(|| default_message(status).to_string());
    Outcome::Fatal {
        status,
        message,
        errors,
    }
}

fn default_message(status: u16) -> &'static str {
    match status {
        400 => "bad request",
        401 => "unauthorized",
        403 => "forbidden",
        _ => "rejected",
    }
}

fn message_of(body: &[u8]) -> Option<String> {
    let json = serde_json::from_slice::<Value>(body).ok()?;
    json.get("message")?.as_str().map(str::to_string)
}

/// Split an answer's `errors` array into object failures and errors that name no object.
fn errors_of(json: &Value) -> (Vec<FailedObject>, Vec<String>) {
    let mut failed = Vec::new();
    let mut unattributed = Vec::new();
    let Some(errors) = json.get("errors").and_then(Value::as_array) else {
        return (failed, unattributed);
    };
    for error in errors {
        let error_type = error
            .get("type")
            .and_then(Value::as_str)
            .or_else(|| error.get("message").and_then(Value::as_str))
            .map(str::to_string)
            .unwrap_or_else(|| match error {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
        let array = error
            .get("input_array")
            .and_then(Value::as_str)
            .and_then(|name| match name {
                "attributes" => Some(TrackArray::Attributes),
                "events" => Some(TrackArray::Events),
                "purchases" => Some(TrackArray::Purchases),
                _ => None,
            });
        let index = error
            .get("index")
            .and_then(Value::as_u64)
            .and_then(|i| usize::try_from(i).ok());
        match (array, index) {
            (Some(array), Some(index)) => failed.push(FailedObject {
                array,
                index,
                error_type,
            }),
            _ => unattributed.push(error_type),
        }
    }
    (failed, unattributed)
}

/// The `X-RateLimit-*` headers of one answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimitInfo {
    /// `X-RateLimit-Limit`: requests allowed in the window.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`: requests left in the current window.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`: when the window resets, UNIX seconds (UTC).
    pub reset: Option<u64>,
}

/// Values of `X-RateLimit-Reset` below this are read as seconds from now rather than a
/// UNIX time (2001-09-09); Braze documents UNIX seconds, but a proxy may rewrite it.
const RELATIVE_RESET_BELOW: u64 = 1_000_000_000;

impl RateLimitInfo {
    /// Read the headers from `(name, value)` pairs; names match case-insensitively.
    pub fn from_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut info = RateLimitInfo::default();
        for (name, value) in headers {
            let parsed = value.trim().parse::<f64>().ok().filter(|v| *v >= 0.0);
            // Some servers send fractional seconds; round a reset up so we never wake
            // before the window really resets.
            let whole = parsed.map(|v| v.ceil() as u64);
            if name.eq_ignore_ascii_case("x-ratelimit-limit") {
                info.limit = whole;
            } else if name.eq_ignore_ascii_case("x-ratelimit-remaining") {
                info.remaining = whole;
            } else if name.eq_ignore_ascii_case("x-ratelimit-reset") {
                info.reset = whole;
            }
        }
        info
    }

    /// Whether the answer says the window is used up.
    pub fn exhausted(&self) -> bool {
        self.remaining == Some(0)
    }

    /// The reset as UNIX seconds, given the current time.
    pub fn reset_at_unix_s(&self, now_unix_s: u64) -> Option<u64> {
        self.reset.map(|reset| {
            if reset < RELATIVE_RESET_BELOW {
                now_unix_s + reset
            } else {
                reset
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> RateLimitInfo {
        RateLimitInfo::default()
    }

    #[test]
    fn answers_are_classified_by_the_documented_table() {
        let rl = RateLimitInfo {
            reset: Some(1_700_000_003),
            ..none()
        };
        let cases: Vec<(u16, &str, Outcome)> = vec![
            (201, r#"{"message":"success"}"#, Outcome::Success),
            (
                200,
                r#"{"message":"success","attributes_processed":3}"#,
                Outcome::Success,
            ),
            (200, "", Outcome::Success),
            (
                400,
                r#"{"message":"Missing request body"}"#,
                Outcome::Fatal {
                    status: 400,
                    message: "Missing request body".into(),
                    errors: vec![],
                },
            ),
            (
                401,
                r#"{"message":"Invalid API key: x"}"#,
                Outcome::AuthFailure {
                    status: 401,
                    message: "Invalid API key: x".into(),
                },
            ),
            (
                403,
                "",
                Outcome::AuthFailure {
                    status: 403,
                    message: "forbidden".into(),
                },
            ),
            (404, "not found", Outcome::NotFound),
            (408, "", Outcome::Retry { status: 408 }),
            (413, "", Outcome::PayloadTooLarge),
            (
                429,
                "",
                Outcome::RateLimited {
                    reset_unix_s: Some(1_700_000_003),
                },
            ),
            (500, "", Outcome::Retry { status: 500 }),
            (502, "<html>", Outcome::Retry { status: 502 }),
            (503, "", Outcome::Retry { status: 503 }),
            (504, "", Outcome::Retry { status: 504 }),
            (
                422,
                "",
                Outcome::Fatal {
                    status: 422,
                    message: "rejected".into(),
                    errors: vec![],
                },
            ),
            (302, "", Outcome::Retry { status: 302 }),
        ];
        for (status, body, expected) in cases {
            assert_eq!(
                classify(status, &rl, body.as_bytes()),
                expected,
                "status {status} body {body}"
            );
        }
    }

    #[test]
    fn success_with_indexed_errors_is_a_partial_success() {
        let body = r#"{"message":"success","errors":[
            {"type":"Invalid product_id","input_array":"purchases","index":3},
            {"type":"'time' is reserved","input_array":"events","index":0}]}"#;
        assert_eq!(
            classify(201, &none(), body.as_bytes()),
            Outcome::PartialSuccess {
                failed: vec![
                    FailedObject {
                        array: TrackArray::Purchases,
                        index: 3,
                        error_type: "Invalid product_id".into()
                    },
                    FailedObject {
                        array: TrackArray::Events,
                        index: 0,
                        error_type: "'time' is reserved".into()
                    },
                ],
                unattributed: vec![],
            }
        );
    }

    #[test]
    fn errors_without_an_index_are_kept_as_unattributed() {
        let body = r#"{"message":"success","errors":[{"type":"something odd"}, "plain"]}"#;
        assert_eq!(
            classify(200, &none(), body.as_bytes()),
            Outcome::PartialSuccess {
                failed: vec![],
                unattributed: vec!["something odd".into(), "plain".into()],
            }
        );
    }

    #[test]
    fn empty_errors_array_is_a_full_success() {
        let body = r#"{"message":"success","errors":[]}"#;
        assert_eq!(classify(201, &none(), body.as_bytes()), Outcome::Success);
    }

    #[test]
    fn fatal_400_keeps_the_objects_it_blames() {
        let body = r#"{"message":"Invalid request","errors":[{"type":"Max Input Length Exceeded"},
            {"type":"Invalid currency","input_array":"purchases","index":1}]}"#;
        assert_eq!(
            classify(400, &none(), body.as_bytes()),
            Outcome::Fatal {
                status: 400,
                message: "Invalid request".into(),
                errors: vec![FailedObject {
                    array: TrackArray::Purchases,
                    index: 1,
                    error_type: "Invalid currency".into()
                }],
            }
        );
    }

    #[test]
    fn fatal_400_without_a_message_uses_the_first_error() {
        let body = r#"{"errors":[{"type":"Max Input Length Exceeded"}]}"#;
        match classify(400, &none(), body.as_bytes()) {
            Outcome::Fatal { message, .. } => assert_eq!(message, "Max Input Length Exceeded"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn rate_limit_without_reset_header_still_rate_limits() {
        assert_eq!(
            classify(429, &none(), b""),
            Outcome::RateLimited { reset_unix_s: None }
        );
    }

    #[test]
    fn rate_limit_headers_are_read_in_any_case() {
        let info = RateLimitInfo::from_headers([
            ("x-ratelimit-limit", "3000"),
            ("X-RateLimit-Remaining", "0"),
            ("X-RATELIMIT-RESET", "1700000003"),
            ("content-type", "application/json"),
        ]);
        assert_eq!(
            info,
            RateLimitInfo {
                limit: Some(3000),
                remaining: Some(0),
                reset: Some(1_700_000_003)
            }
        );
        assert!(info.exhausted());
    }

    #[test]
    fn unreadable_rate_limit_headers_are_ignored() {
        let info = RateLimitInfo::from_headers([
            ("X-RateLimit-Limit", "lots"),
            ("X-RateLimit-Remaining", "-1"),
        ]);
        assert_eq!(info, RateLimitInfo::default());
        assert!(!info.exhausted());
    }

    #[test]
    fn fractional_reset_rounds_up() {
        let info = RateLimitInfo::from_headers([("X-RateLimit-Reset", "1700000002.2")]);
        assert_eq!(info.reset, Some(1_700_000_003));
    }

    #[test]
    fn small_reset_values_are_read_as_seconds_from_now() {
        let info = RateLimitInfo {
            reset: Some(3),
            ..none()
        };
        assert_eq!(info.reset_at_unix_s(1_700_000_000), Some(1_700_000_003));
        let absolute = RateLimitInfo {
            reset: Some(1_700_000_009),
            ..none()
        };
        assert_eq!(absolute.reset_at_unix_s(1_700_000_000), Some(1_700_000_009));
    }

    #[test]
    fn no_5xx_answer_is_final() {
        for status in 100..600u16 {
            let outcome = classify(status, &none(), b"");
            if status >= 500 {
                assert_eq!(outcome, Outcome::Retry { status });
            }
        }
    }
}
