//! Web batches braid could not take. The SDK drops a batch answered 4xx (other than
//! 429), so braid keeps each one here, with the reason, before answering:
//! `<data_dir>/web-rejected.jsonl`, one JSON object a line, listed by the admin API at
//! `GET /api/v1/web/rejected`.

use crate::admin::AdminError;
use crate::app::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file's name in the data directory.
pub const FILE_NAME: &str = "web-rejected.jsonl";

/// One kept batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedBatch {
    pub received_ms: i64,
    /// The input's name.
    pub input: String,
    /// The route, like `/v3/JS/{key}/events`.
    pub route: String,
    /// The HTTP status answered.
    pub status: u16,
    /// Why it was refused (the JSON path and the problem).
    pub reason: String,
    /// The body as sent (lossy UTF-8).
    pub body: String,
}

/// The append-only file of rejected batches.
pub struct RejectedLog {
    path: PathBuf,
    lock: parking_lot::Mutex<()>,
}

impl RejectedLog {
    pub fn new(data_dir: &Path) -> RejectedLog {
        RejectedLog {
            path: data_dir.join(FILE_NAME),
            lock: parking_lot::Mutex::new(()),
        }
    }

    /// Append one batch durably (fsync): the SDK forgets it once answered.
    pub fn keep(&self, batch: &RejectedBatch) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(batch).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let _guard = self.lock.lock();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        file.write_all(&line)?;
        file.sync_data()
    }

    /// The newest `limit` kept batches (newest last) and how many there are in all.
    pub fn list(&self, limit: usize) -> std::io::Result<(Vec<RejectedBatch>, usize)> {
        let text = {
            let _guard = self.lock.lock();
            match std::fs::read_to_string(&self.path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(e) => return Err(e),
            }
        };
        let all: Vec<RejectedBatch> = text
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        let total = all.len();
        let skip = total.saturating_sub(limit);
        Ok((all.into_iter().skip(skip).collect(), total))
    }
}

/// `?limit=` of the listing.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<usize>,
}

/// The admin route (mounted behind the admin credentials).
pub fn admin_routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/v1/web/rejected", get(list))
}

async fn list(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, AdminError> {
    let limit = query.limit.unwrap_or(100).min(10_000);
    let state = state.clone();
    let (batches, total) = tokio::task::spawn_blocking(move || state.web.rejected.list(limit))
        .await
        .map_err(AdminError::internal)?
        .map_err(AdminError::internal)?;
    Ok(Json(json!({"total": total, "rejected": batches})))
}
