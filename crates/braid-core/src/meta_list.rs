//! Lists kept as one typed value in the store's meta table: the audience and
//! calculated-attribute definitions and their durable jobs, with the finished jobs trimmed
//! to a bounded history.

use crate::storage::{StateTxn, StoreResult};
use crate::StorageError;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// How many finished jobs a job list keeps, so that progress stays visible without growing.
pub const FINISHED_JOBS_KEPT: usize = 50;

/// The list stored under `key`, empty when none was ever stored.
pub fn read_list<T: DeserializeOwned>(txn: &mut dyn StateTxn, key: &str) -> StoreResult<Vec<T>> {
    match txn.meta(key)? {
        Some(v) => serde_json::from_value(v).map_err(|e| StorageError::corrupt(key, e)),
        None => Ok(Vec::new()),
    }
}

/// Store `items` under `key`, replacing what was there.
pub fn write_list<T: Serialize>(txn: &mut dyn StateTxn, key: &str, items: &[T]) -> StoreResult<()> {
    let value = serde_json::to_value(items).map_err(|e| StorageError::encode(key, e))?;
    txn.put_meta(key, &value)
}

/// Store a job list under `key`, first dropping the oldest finished jobs beyond
/// [`FINISHED_JOBS_KEPT`]; pending jobs are always kept.
pub fn write_jobs<J: Serialize>(
    txn: &mut dyn StateTxn,
    key: &str,
    mut jobs: Vec<J>,
    is_finished: impl Fn(&J) -> bool,
) -> StoreResult<()> {
    let finished = jobs.iter().filter(|j| is_finished(j)).count();
    let mut to_drop = finished.saturating_sub(FINISHED_JOBS_KEPT);
    jobs.retain(|j| {
        let drop = to_drop > 0 && is_finished(j);
        to_drop -= usize::from(drop);
        !drop
    });
    write_list(txn, key, &jobs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;
    use crate::storage::StateStore;

    #[test]
    fn job_list_keeps_every_pending_job_and_only_the_newest_finished_ones() {
        let store = MemoryStore::new(1);
        // (id, finished): 60 finished jobs interleaved with 3 pending ones.
        let mut jobs: Vec<(u32, bool)> = (0..60).map(|id| (id, true)).collect();
        jobs.insert(5, (100, false));
        jobs.insert(30, (101, false));
        jobs.push((102, false));
        store
            .transact(|txn| write_jobs(txn, "jobs", jobs.clone(), |j| j.1))
            .unwrap();
        let kept: Vec<(u32, bool)> = store.transact(|txn| read_list(txn, "jobs")).unwrap();
        let pending: Vec<u32> = kept.iter().filter(|j| !j.1).map(|j| j.0).collect();
        assert_eq!(pending, vec![100, 101, 102]);
        let finished: Vec<u32> = kept.iter().filter(|j| j.1).map(|j| j.0).collect();
        assert_eq!(finished, (10..60).collect::<Vec<_>>());
    }

    #[test]
    fn a_list_never_stored_reads_as_empty() {
        let store = MemoryStore::new(1);
        let read: Vec<String> = store.transact(|txn| read_list(txn, "absent")).unwrap();
        assert!(read.is_empty());
    }
}
