//! Delivery of braid's Braze outbox to Braze's REST API.
//!
//! - `config`: the `[delivery]` section ([`DeliveryConfig`]);
//! - `request`: packing lanes' oldest entries into one Braze request ([`request::BrazeRequest`], pure);
//! - `budget`: the request budget every sender of a Braze workspace shares
//!   ([`RateBudget`]): pacing, pauses on 429, the refused-key flag;
//! - `pacer`: that budget for one process ([`LocalBudget`], in memory);
//! - `redis_budget`: that budget for many nodes ([`RedisBudget`], in Redis);
//! - `linger`: when a part-full request is sent in stream mode (the adaptive linger, pure);
//! - `sender`: one HTTP request, or one dry-run line;
//! - `delivery`: the dispatcher that fills requests from free lanes, and the worker that
//!   sends one request and handles every answer class ([`Delivery`]).
//!
//! Answers are classified by `braid_braze::response::classify`, in one place.
//!
//! # Guarantees
//! - **Order**: a lane belongs to one request at a time, which is completed in the
//!   outbox before the lane is read again, so a user's entries reach Braze in order.
//! - **At-least-once**: entries leave the outbox only after Braze answered. A crash
//!   between Braze's answer and the outbox commit resends the requests that were in
//!   flight (at most `max_concurrency`) after restart; nothing else is sent twice.
//! - **Nothing dropped silently**: an entry leaves the outbox either acknowledged by
//!   Braze or as a dead letter with its reason (validator, partial failure, isolated
//!   400, oversize).
//!
//! # Metrics
//! | name | kind | labels | meaning |
//! |---|---|---|---|
//! | `braid_braze_requests_total` | counter | `endpoint`, `status` (HTTP code, `dry_run`, `timeout`, `connection`, `transport`) | requests sent |
//! | `braid_braze_objects_total` | counter | | outbox entries Braze acknowledged |
//! | `braid_braze_data_points_total` | counter | `kind` (`attribute`, `event`, `purchase`) | data points of acknowledged objects |
//! | `braid_braze_retries_total` | counter | `reason` (`rate_limited`, `server_error`, `timeout`, `connection`, `transport`, `not_found`) | retried requests |
//! | `braid_braze_dead_letters_total` | counter | `reason` (`invalid`, `partial`, `rejected`, `too_large`) | entries moved to the dead letters |
//! | `braid_braze_rate_limited_total` | counter | | 429 answers |
//! | `braid_delivery_ack_latency_seconds` | histogram | | from acceptance (202) to Braze's acknowledgement |
//! | `braid_delivery_auth_failed` | gauge | | 1 while Braze refuses the REST key |
//! | `braid_delivery_rate_budget_unavailable` | gauge | | 1 while the shared rate budget (Redis) cannot be consulted; nothing is sent meanwhile |
//! | `braid_delivery_rate_budget_errors_total` | counter | | failed calls to the shared rate budget (Redis) |

pub mod budget;
pub mod config;
mod delivery;
pub mod linger;
pub mod pacer;
pub mod redis_budget;
pub mod request;
mod sender;

pub use budget::RateBudget;
pub use config::{BackoffConfig, DeliveryConfig, Mode};
pub use delivery::{DeleteReport, Delivery, DeliveryHandle, DeliveryStatus};
pub use pacer::LocalBudget;
pub use redis_budget::{RedisBudget, RedisBudgetError};

/// Delivery could not start.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// A `[delivery]` setting is invalid.
    #[error("delivery.{key}: {problem}")]
    Config { key: String, problem: String },
    /// The HTTP client could not be built.
    #[error("building the http client: {0}")]
    Client(String),
}
