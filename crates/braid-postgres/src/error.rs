//! How PostgreSQL errors become [`StorageError`]s: lost races are [`StorageError::Conflict`]
//! (the caller runs the transaction again), everything else names the step that failed.

use braid_core::storage::StorageError;
use tokio_postgres::error::SqlState;

/// SQLSTATEs that mean "another transaction won; nothing was changed, run again".
fn is_lost_race(code: &SqlState) -> bool {
    *code == SqlState::T_R_SERIALIZATION_FAILURE
        || *code == SqlState::T_R_DEADLOCK_DETECTED
        || *code == SqlState::UNIQUE_VIOLATION
}

/// A driver error at `operation`: a conflict when the server said it lost a race.
pub(crate) fn pg_error(operation: &str, error: tokio_postgres::Error) -> StorageError {
    match error.code() {
        Some(code) if is_lost_race(code) => {
            StorageError::Conflict(format!("{operation}: {error}").into())
        }
        _ => {
            // The driver's Display of a server error is just "db error"; the details are
            // in the source, and most callers log only the top error.
            let detail = error
                .as_db_error()
                .map(|db| format!("{}: {} ({})", error, db.message(), db.code().code()))
                .unwrap_or_else(|| error.to_string());
            StorageError::operation(operation, detail)
        }
    }
}

/// Any other failure at `operation`.
pub(crate) fn backend(
    operation: &str,
    error: impl Into<braid_core::storage::BoxError>,
) -> StorageError {
    StorageError::operation(operation, error)
}
