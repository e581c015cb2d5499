//! The storage contract as executable checks, run against every backend.
//!
//! Each `pub fn` here checks one part of what [`IngestLog`], [`StateStore`], [`Outbox`] and
//! [`Maintenance`] promise, on a fresh backend made by a factory. A backend's tests run
//! them with the macros below, which write one `#[test]` per check:
//!
//! ```ignore
//! braid_core::storage_conformance_tests!(|lanes| {
//!     let dir = tempfile::tempdir().unwrap();
//!     let store = MyStore::open(dir.path(), lanes).unwrap();
//!     (store, dir) // the second value lives as long as the check (a temporary directory)
//! });
//! ```
//!
//! The checks come in groups, by what a backend is:
//!
//! | macro | checks | run by |
//! |---|---|---|
//! | [`log_conformance_tests!`](crate::log_conformance_tests) | what every [`IngestLog`] promises (see its docs): an outcome per request, positions unique, in range and increasing per user, reads in position order with no gap or repeat, the head, repeated requests; with `reopen:`, records survive reopening | the embedded store, the memory reference (without reopening), `KafkaLog` |
//! | [`dedup_log_conformance_tests!`](crate::dedup_log_conformance_tests) | a totally ordered log that catches duplicates at append: positions consecutive from 1 across users, repeats answered [`AppendOutcome::Duplicate`] | the embedded store, the memory reference |
//! | [`pruned_log_conformance_tests!`](crate::pruned_log_conformance_tests) | a log braid prunes and compacts itself, next to its state ([`Maintenance`]) | the embedded store, the memory reference |
//! | [`state_conformance_tests!`](crate::state_conformance_tests) | [`StateStore`], [`Outbox`] and [`Maintenance`] without the log | the embedded store, the memory reference, PostgreSQL |
//!
//! [`storage_conformance_tests!`](crate::storage_conformance_tests) runs all four (a
//! complete single-node backend). Kafka (`KafkaLog`) runs only the first: it keeps a
//! partitioned log, catches duplicates when the pipeline applies them, and leaves pruning
//! to the topic's retention; PostgreSQL, whose log is Kafka, runs only the last.
//!
//! The in-memory backend ([`crate::memory::MemoryStore`]) is the reference: a check that
//! it fails is a bug in the check or in the contract. Compiled with the `conformance`
//! feature (and in braid-core's own tests).

use crate::log::{LogRecord, LogRecordKind};
use crate::outbox::{DeadLetter, OutboxEntry, OutboxPayload};
use crate::profile::Profile;
use crate::storage::{
    lane_of, AppendOutcome, AppendRequest, Erased, IngestLog, Maintenance, Outbox, StateStore,
    StateTxn, StorageError, StoreResult,
};
use braid_braze::wire::{TrackArray, TrackObject, UserRef};
use braid_mparticle::{IdentityType, Mpid};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What a state backend implements (one whose log lives elsewhere, e.g. PostgreSQL with
/// Kafka): what [`state_conformance_tests!`](crate::state_conformance_tests) checks.
pub trait StateBackend: StateStore + Outbox + Maintenance {}
impl<T: StateStore + Outbox + Maintenance> StateBackend for T {}

/// Everything a complete backend implements.
pub trait Backend: IngestLog + StateBackend {}
impl<T: IngestLog + StateBackend> Backend for T {}

/// Lanes of the backends the checks make.
pub const LANES: u32 = 4;

/// How many users the log checks' records belong to ([`user_request`]).
pub const LOG_USERS: u32 = 5;

/// Write one `#[test]` per conformance check, each on a backend from `$factory`: an
/// expression callable as `Fn(u32) -> (store, guard)` (lanes in, a fresh empty store and
/// whatever must outlive it out). Every check of a complete backend:
/// [`state_conformance_tests!`](crate::state_conformance_tests),
/// [`log_conformance_tests!`](crate::log_conformance_tests),
/// [`dedup_log_conformance_tests!`](crate::dedup_log_conformance_tests) and
/// [`pruned_log_conformance_tests!`](crate::pruned_log_conformance_tests); with `reopen:`
/// as in [`log_conformance_tests!`](crate::log_conformance_tests).
#[macro_export]
macro_rules! storage_conformance_tests {
    ($factory:expr) => {
        $crate::state_conformance_tests!($factory);
        $crate::log_conformance_tests!($factory);
        $crate::dedup_log_conformance_tests!($factory);
        $crate::pruned_log_conformance_tests!($factory);
    };
    ($factory:expr, reopen: $reopen:expr) => {
        $crate::state_conformance_tests!($factory);
        $crate::log_conformance_tests!($factory, reopen: $reopen);
        $crate::dedup_log_conformance_tests!($factory);
        $crate::pruned_log_conformance_tests!($factory);
    };
}

/// The checks of the state alone ([`StateStore`], [`Outbox`], [`Maintenance`] without the
/// log), for backends whose log lives elsewhere; factory as in
/// [`storage_conformance_tests!`](crate::storage_conformance_tests).
#[macro_export]
macro_rules! state_conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests_each!($factory;
            failed_transaction_changes_nothing,
            identity_index_points_each_value_at_one_profile,
            profiles_are_walked_in_mpid_order,
            sent_state_is_kept_per_user,
            outbox_keeps_order_per_lane,
            complete_removes_delivered_and_dead_letters_refused,
            refused_attributes_forget_the_sent_state,
            dead_letters_replay_onto_the_users_lane,
            history_is_ordered_and_prunable,
            history_appended_a_batch_at_a_time_reads_and_prunes_event_by_event,
            event_ids_are_remembered_once_and_forgotten_oldest_first,
            rechecks_come_due_earliest_first,
            meta_values_round_trip,
            meta_values_are_walked_in_key_order,
            erasure_leaves_nothing_of_the_user,
            compaction_keeps_live_state,
        );
    };
}

/// What every [`IngestLog`] promises (its "Positions" and "Duplicates"), whether it is
/// totally ordered or partitioned, and whether it catches duplicates at append or leaves
/// them to the pipeline. The factory's store needs only be an [`IngestLog`]; factory as
/// in [`storage_conformance_tests!`](crate::storage_conformance_tests). The records carry
/// users ([`user_request`]), so a partitioned log spreads them over its partitions.
///
/// With `reopen: $reopen`, also [`records_survive_reopening`]: `$reopen` is callable as
/// `Fn(store, &guard) -> store`, and closes the store it is given before opening the
/// same log again (the same directory, the same topic).
#[macro_export]
macro_rules! log_conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests_each!($factory;
            an_empty_log_reads_nothing,
            append_answers_each_request_in_order,
            positions_increase_in_append_order_per_user,
            read_after_pages_through_every_record_once,
            head_is_the_highest_position,
            a_repeated_request_is_stored_again_or_named_as_a_duplicate,
        );
    };
    ($factory:expr, reopen: $reopen:expr) => {
        $crate::log_conformance_tests!($factory);

        #[test]
        fn records_survive_reopening() {
            $crate::conformance::records_survive_reopening(&$factory, &$reopen);
        }
    };
}

/// What a totally ordered log that catches duplicates at append adds to
/// [`log_conformance_tests!`](crate::log_conformance_tests): positions consecutive from 1
/// in append order across all users, and repeats of `(input, source_request_id)` answered
/// [`AppendOutcome::Duplicate`]. The embedded store and the memory reference are such
/// logs; Kafka is not. Factory as in
/// [`storage_conformance_tests!`](crate::storage_conformance_tests).
#[macro_export]
macro_rules! dedup_log_conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests_each!($factory;
            append_assigns_positions_and_catches_duplicates,
        );
    };
}

/// The checks of a log braid prunes and compacts itself, with the state next to it
/// ([`Maintenance`] on a complete backend): pruning never passes the cursor, compaction
/// keeps live data, and a pruned batch's `source_request_id` is still caught. They assume
/// a log that also passes
/// [`dedup_log_conformance_tests!`](crate::dedup_log_conformance_tests) (braid prunes
/// only such logs); a log whose records expire elsewhere (Kafka retention) does not run
/// them. Factory as in [`storage_conformance_tests!`](crate::storage_conformance_tests).
#[macro_export]
macro_rules! pruned_log_conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests_each!($factory;
            log_pruning_stops_at_the_cursor,
            compaction_keeps_live_data,
        );
    };
}

/// One `#[test]` per named check (the macros above share it).
#[doc(hidden)]
#[macro_export]
macro_rules! conformance_tests_each {
    ($factory:expr; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::conformance::$check(&$factory);
            }
        )*
    };
}

fn record(input: &str, n: i64) -> LogRecord {
    LogRecord {
        input: input.to_string(),
        kind: LogRecordKind::Live,
        received_ms: 1_700_000_000_000 + n,
        batch_json: format!(r#"{{"n":{n}}}"#),
    }
}

fn request(input: &str, n: i64, source_request_id: Option<&str>) -> AppendRequest {
    AppendRequest {
        record: record(input, n),
        source_request_id: source_request_id.map(str::to_string),
    }
}

/// The `n`-th record of one of the [`LOG_USERS`] users: a batch naming the user by MPID
/// and customer id, so every log keys it by that user (Kafka: one partition per user).
pub fn user_record(user: u32, n: i64) -> LogRecord {
    let body = json!({
        "mpid": 1_000 + i64::from(user),
        "user_identities": {"customer_id": format!("user-{user}")},
        "events": [],
        "n": n,
    });
    LogRecord {
        input: "web".to_string(),
        kind: LogRecordKind::Live,
        received_ms: 1_700_000_000_000 + n,
        batch_json: body.to_string(),
    }
}

/// [`user_record`] as an append request without a `source_request_id`.
pub fn user_request(user: u32, n: i64) -> AppendRequest {
    AppendRequest {
        record: user_record(user, n),
        source_request_id: None,
    }
}

/// The user and number of a [`user_record`].
fn user_and_n(record: &LogRecord) -> (u32, i64) {
    let body: Value = serde_json::from_str(&record.batch_json).expect("a record of the checks");
    let user = body["mpid"].as_i64().expect("mpid") - 1_000;
    (user as u32, body["n"].as_i64().expect("n"))
}

/// `count` records numbered from `first`, over all the users, mostly two of a user in a
/// row (so one call holds several records of one user).
fn user_requests(first: i64, count: i64) -> Vec<AppendRequest> {
    (first..first + count)
        .map(|n| user_request(((n / 2 + n / 7) % i64::from(LOG_USERS)) as u32, n))
        .collect()
}

/// The position of an outcome that must be a fresh append.
fn appended(outcome: &AppendOutcome) -> u64 {
    match outcome {
        AppendOutcome::Appended(position) => *position,
        AppendOutcome::Duplicate(position) => {
            panic!("a request without source_request_id came back a duplicate of {position}")
        }
    }
}

/// Append `requests` in one call and check the answer's shape: one fresh position per
/// request, each in range. Returns the positions with the records they hold.
fn append_all<S: IngestLog>(log: &S, requests: Vec<AppendRequest>) -> Vec<(u64, LogRecord)> {
    let records: Vec<LogRecord> = requests.iter().map(|r| r.record.clone()).collect();
    let outcomes = log.append(requests).expect("append");
    assert_eq!(outcomes.len(), records.len(), "one outcome per request");
    let positions: Vec<u64> = outcomes.iter().map(appended).collect();
    for position in &positions {
        assert!(*position > 0, "0 is no position");
        assert!(
            *position < 1 << 62,
            "position {position} is not below 1 << 62"
        );
    }
    positions.into_iter().zip(records).collect()
}

/// Everything the log holds, read in one call.
fn read_everything<S: IngestLog>(log: &S) -> Vec<(u64, LogRecord)> {
    log.read_after(0, 100_000).expect("read")
}

fn entry(mpid: i64, array: TrackArray, n: i64) -> OutboxEntry {
    let body = json!({"external_id": format!("c{mpid}"), "n": n});
    OutboxEntry {
        mpid,
        payload: OutboxPayload::Track {
            object: TrackObject {
                array,
                user: UserRef::ExternalId(format!("c{mpid}")),
                body: body.as_object().cloned().unwrap_or_default(),
            },
        },
        data_points: 1,
        accepted_ms: 1_700_000_000_000 + n,
    }
}

fn letter(entry: OutboxEntry) -> DeadLetter {
    DeadLetter {
        entry,
        reason: "refused".to_string(),
        status: Some(400),
        failed_ms: 1_700_000_000_999,
    }
}

fn commit<S: StateStore, R>(store: &S, f: impl FnOnce(&mut dyn StateTxn) -> StoreResult<R>) -> R {
    store.transact(f).expect("transaction commits")
}

fn entry_ns(entries: &[(u64, OutboxEntry)]) -> Vec<i64> {
    entries
        .iter()
        .map(|(_, e)| e.accepted_ms - 1_700_000_000_000)
        .collect()
}

/// Everything one user owns, in every table: what erasure must remove.
fn add_user<S: StateBackend>(store: &S, mpid: Mpid) {
    let email = format!("user{}@example.com", mpid.0);
    commit(store, |txn| {
        let mut profile = Profile::new(mpid, 1_700_000_000_000);
        profile
            .identities
            .insert(IdentityType::Email, email.clone());
        profile.audiences.insert(7, 1_700_000_000_000);
        txn.put_profile(&profile)?;
        txn.set_identity_owner(IdentityType::Email, &email, mpid)?;
        txn.set_identity_owner(IdentityType::CustomerId, &format!("c{}", mpid.0), mpid)?;
        txn.put_sent_state(mpid, &json!({"plan": "gold"}))?;
        txn.append_history(mpid, 1_700_000_000_000, &json!({"name": "viewed"}))?;
        txn.schedule_recheck(mpid, 1_700_000_100_000)?;
        let lane = lane_of(mpid, LANES);
        txn.enqueue(
            lane,
            &[
                entry(mpid.0, TrackArray::Attributes, 1),
                entry(mpid.0, TrackArray::Events, 2),
            ],
        )
    });
    // One of them refused, so the user has a dead letter too.
    let lane = lane_of(mpid, LANES);
    let (seq, refused) = store
        .peek(lane, 100)
        .expect("peek")
        .into_iter()
        .rev()
        .find(|(_, e)| e.mpid == mpid.0)
        .expect("the user's entry is queued");
    store
        .complete(lane, &[], vec![(seq, letter(refused))])
        .expect("complete");
}

/// An empty log has head 0 and nothing to read; an empty append answers nothing and
/// stores nothing.
pub fn an_empty_log_reads_nothing<S: IngestLog, G>(new: &impl Fn(u32) -> (S, G)) {
    let (log, _guard) = new(LANES);
    assert_eq!(log.head().expect("head"), 0);
    assert!(log.read_after(0, 10).expect("read").is_empty());
    assert_eq!(log.append(Vec::new()).expect("empty append"), Vec::new());
    assert_eq!(log.head().expect("head"), 0);
    assert!(log.read_after(0, 10).expect("read").is_empty());
}

/// `append` answers each request, in order, with a fresh position in range, and the record
/// at each position is that request's, exactly as appended; no two records share a
/// position, also across calls.
pub fn append_answers_each_request_in_order<S: IngestLog, G>(new: &impl Fn(u32) -> (S, G)) {
    let (log, _guard) = new(LANES);
    let mut appended = append_all(&log, user_requests(0, 12));
    appended.extend(append_all(&log, user_requests(12, 1)));
    appended.extend(append_all(&log, user_requests(13, 7)));
    let held: BTreeMap<u64, LogRecord> = read_everything(&log).into_iter().collect();
    assert_eq!(
        held.len(),
        appended.len(),
        "every position is a record of its own"
    );
    for (position, record) in &appended {
        assert_eq!(held.get(position), Some(record), "the record at {position}");
    }
}

/// Positions of one user's records increase strictly in append order: within one call (in
/// request order) and across calls.
pub fn positions_increase_in_append_order_per_user<S: IngestLog, G>(new: &impl Fn(u32) -> (S, G)) {
    let (log, _guard) = new(LANES);
    let mut per_user: BTreeMap<u32, Vec<(i64, u64)>> = BTreeMap::new();
    for (first, count) in [(0, 9), (9, 1), (10, 6), (16, 9)] {
        for (position, record) in append_all(&log, user_requests(first, count)) {
            let (user, n) = user_and_n(&record);
            per_user.entry(user).or_default().push((n, position));
        }
    }
    assert_eq!(per_user.len(), LOG_USERS as usize, "every user has records");
    for (user, appended) in per_user {
        for pair in appended.windows(2) {
            let ((n1, p1), (n2, p2)) = (pair[0], pair[1]);
            assert!(
                p1 < p2,
                "user {user}: record {n1} is at {p1}, the later {n2} at {p2}"
            );
        }
    }
}

/// `read_after` returns records in increasing position order, at most `max`, exactly as
/// appended; paging (after the last position returned) with any `max` reads every record
/// once, and so each user's records in append order; nothing comes after the head.
pub fn read_after_pages_through_every_record_once<S: IngestLog, G>(new: &impl Fn(u32) -> (S, G)) {
    let (log, _guard) = new(LANES);
    let mut appended = append_all(&log, user_requests(0, 10));
    appended.extend(append_all(&log, user_requests(10, 5)));
    appended.sort_by_key(|(position, _)| *position);

    let all = read_everything(&log);
    assert_eq!(all, appended, "everything, in position order, as appended");
    for max in [1, 2, 3, 7] {
        let mut paged = Vec::new();
        let mut after = 0;
        loop {
            let page = log.read_after(after, max).expect("read");
            assert!(page.len() <= max, "at most {max}");
            let Some(&(last, _)) = page.last() else { break };
            paged.extend(page);
            after = last;
        }
        assert_eq!(paged, all, "paging {max} at a time");
    }
    for start in [0, 4, 13] {
        let after = all[start].0;
        let want: Vec<_> = all[start + 1..].iter().take(3).cloned().collect();
        assert_eq!(
            log.read_after(after, 3).expect("read"),
            want,
            "after #{start}"
        );
    }
    for user in 0..LOG_USERS {
        let numbers: Vec<i64> = all
            .iter()
            .map(|(_, record)| user_and_n(record))
            .filter(|(u, _)| *u == user)
            .map(|(_, n)| n)
            .collect();
        let mut in_append_order = numbers.clone();
        in_append_order.sort_unstable();
        assert_eq!(
            numbers, in_append_order,
            "user {user}'s records in append order"
        );
    }
    assert!(log.read_after(0, 0).expect("read none").is_empty());
    let last = all.last().expect("records").0;
    assert!(log.read_after(last, 10).expect("read").is_empty());
    assert!(log.read_after(u64::MAX, 10).expect("read").is_empty());
}

/// The head is 0 on an empty log and, after every append, the highest position appended
/// so far, which is also the last record `read_after` returns.
pub fn head_is_the_highest_position<S: IngestLog, G>(new: &impl Fn(u32) -> (S, G)) {
    let (log, _guard) = new(LANES);
    assert_eq!(log.head().expect("head"), 0);
    let mut highest = 0;
    for (first, count) in [(0, 4), (4, 1), (5, 8)] {
        let appended = append_all(&log, user_requests(first, count));
        highest = appended.iter().map(|(p, _)| *p).fold(highest, u64::max);
        assert_eq!(log.head().expect("head"), highest);
    }
    let last = read_everything(&log).last().expect("records").0;
    assert_eq!(last, highest);
}

/// A repeated `(input, source_request_id)` (across calls and within one) is either named a
/// duplicate of the first position, storing nothing, or stored again at a fresh position
/// (the pipeline then drops it when it applies it); the record is never lost. The same id
/// from another input is a batch of its own.
pub fn a_repeated_request_is_stored_again_or_named_as_a_duplicate<S: IngestLog, G>(
    new: &impl Fn(u32) -> (S, G),
) {
    let (log, _guard) = new(LANES);
    let with_id = |input: &str, user: u32, n: i64| {
        let mut request = user_request(user, n);
        request.record.input = input.to_string();
        request.source_request_id = Some("retried".to_string());
        request
    };
    let first = log.append(vec![with_id("web", 0, 1)]).expect("append");
    let original = appended(&first[0]);
    let again = log
        .append(vec![
            with_id("web", 0, 1),
            user_request(1, 2),
            with_id("web", 0, 1),
            with_id("ios", 0, 3),
        ])
        .expect("append");
    assert_eq!(again.len(), 4, "one outcome per request");
    let mut stored_copies = 1;
    let mut seen = BTreeSet::from([original]);
    for outcome in [again[0], again[2]] {
        match outcome {
            AppendOutcome::Duplicate(position) => assert_eq!(position, original),
            AppendOutcome::Appended(position) => {
                assert!(seen.insert(position), "{position} is fresh");
                stored_copies += 1;
            }
        }
    }
    let other = appended(&again[1]);
    let other_input = appended(&again[3]);
    assert!(seen.insert(other) && seen.insert(other_input));

    let held = read_everything(&log);
    let copies = held
        .iter()
        .filter(|(_, record)| *record == with_id("web", 0, 1).record)
        .count();
    assert_eq!(copies, stored_copies, "one record per Appended outcome");
    let positions: BTreeSet<u64> = held.iter().map(|(p, _)| *p).collect();
    assert_eq!(positions, seen);
    let held: BTreeMap<u64, LogRecord> = held.into_iter().collect();
    assert_eq!(held[&other_input], with_id("ios", 0, 3).record);
}

/// Records survive closing and opening the log again (`reopen` closes the store it is
/// given, then opens the same log): the same records at the same positions, the same
/// head; later appends get fresh positions, after each user's earlier ones.
pub fn records_survive_reopening<S: IngestLog, G>(
    new: &impl Fn(u32) -> (S, G),
    reopen: &impl Fn(S, &G) -> S,
) {
    let (log, guard) = new(LANES);
    let before = append_all(&log, user_requests(0, 10));
    let all = read_everything(&log);
    let head = log.head().expect("head");

    let log = reopen(log, &guard);
    assert_eq!(
        read_everything(&log),
        all,
        "the same records at the same positions"
    );
    assert_eq!(log.head().expect("head"), head);

    let after = append_all(&log, user_requests(10, 10));
    let old: BTreeSet<u64> = before.iter().map(|(p, _)| *p).collect();
    for (position, record) in &after {
        assert!(!old.contains(position), "{position} was handed out before");
        let (user, _) = user_and_n(record);
        let latest = before
            .iter()
            .filter(|(_, r)| user_and_n(r).0 == user)
            .map(|(p, _)| *p)
            .max();
        assert!(
            latest.is_none_or(|latest| *position > latest),
            "user {user}: {position} after {latest:?}"
        );
    }
    assert_eq!(read_everything(&log).len(), before.len() + after.len());
}

/// Appends get consecutive positions from 1, in append order whatever the record (a totally
/// ordered log); a repeated `(input, source_request_id)` is a duplicate of the first
/// position, within one call and across calls, and the same id from another input is not.
pub fn append_assigns_positions_and_catches_duplicates<S: IngestLog, G>(
    new: &impl Fn(u32) -> (S, G),
) {
    let (store, _guard) = new(LANES);
    assert_eq!(store.head().expect("head"), 0);
    let outcomes = store
        .append(vec![
            request("web", 1, Some("a")),
            request("web", 2, None),
            request("web", 3, Some("a")),
            request("ios", 4, Some("a")),
        ])
        .expect("append");
    assert_eq!(
        outcomes,
        vec![
            AppendOutcome::Appended(1),
            AppendOutcome::Appended(2),
            AppendOutcome::Duplicate(1),
            AppendOutcome::Appended(3),
        ]
    );
    let again = store
        .append(vec![request("web", 5, Some("a")), request("web", 6, None)])
        .expect("append");
    assert_eq!(
        again,
        vec![AppendOutcome::Duplicate(1), AppendOutcome::Appended(4)]
    );
    assert_eq!(store.head().expect("head"), 4);
    assert_eq!(store.append(Vec::new()).expect("empty append"), Vec::new());
}

/// A transaction whose closure fails leaves nothing behind, the cursor included; one that
/// succeeds commits everything, and the cursor reads the same outside a transaction.
pub fn failed_transaction_changes_nothing<S: StateBackend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    let mpid = Mpid(42);
    let write_all = |txn: &mut dyn StateTxn| -> StoreResult<()> {
        txn.set_cursor(9)?;
        txn.put_profile(&Profile::new(mpid, 1))?;
        txn.set_identity_owner(IdentityType::Email, "a@example.com", mpid)?;
        txn.put_sent_state(mpid, &json!({"a": 1}))?;
        txn.enqueue(lane_of(mpid, LANES), &[entry(42, TrackArray::Events, 1)])?;
        txn.append_history(mpid, 5, &json!({"e": 1}))?;
        txn.schedule_recheck(mpid, 5)?;
        txn.put_meta("k", &json!("v"))
    };
    let failed = store.transact(|txn| {
        write_all(txn)?;
        Err::<(), _>(StorageError::Backend("the caller gave up".into()))
    });
    assert!(matches!(failed, Err(StorageError::Backend(_))));
    assert_eq!(StateStore::cursor(&store).expect("cursor"), 0);
    assert_eq!(store.depth().expect("depth"), 0);
    commit(&store, |txn| {
        assert_eq!(txn.cursor()?, 0);
        assert_eq!(txn.profile(mpid)?, None);
        assert_eq!(
            txn.identity_owner(IdentityType::Email, "a@example.com")?,
            None
        );
        assert_eq!(txn.sent_state(mpid)?, None);
        assert!(txn.history(mpid, i64::MIN)?.is_empty());
        assert!(txn.due_rechecks(i64::MAX, 10)?.is_empty());
        assert_eq!(txn.meta("k")?, None);
        Ok(())
    });

    commit(&store, write_all);
    assert_eq!(StateStore::cursor(&store).expect("cursor"), 9);
    assert_eq!(store.depth().expect("depth"), 1);
    commit(&store, |txn| {
        assert_eq!(txn.cursor()?, 9);
        assert!(txn.profile(mpid)?.is_some());
        assert_eq!(txn.meta("k")?, Some(json!("v")));
        Ok(())
    });
}

/// An identity value points at one profile: set, overwritten by a new owner, removed;
/// the same value under another identity type is a different identity.
pub fn identity_index_points_each_value_at_one_profile<S: StateBackend, G>(
    new: &impl Fn(u32) -> (S, G),
) {
    let (store, _guard) = new(LANES);
    commit(&store, |txn| {
        txn.set_identity_owner(IdentityType::Email, "x@example.com", Mpid(1))?;
        txn.set_identity_owner(IdentityType::CustomerId, "x@example.com", Mpid(2))?;
        Ok(())
    });
    commit(&store, |txn| {
        let email = txn.identity_owner(IdentityType::Email, "x@example.com")?;
        assert_eq!(email, Some(Mpid(1)));
        let customer = txn.identity_owner(IdentityType::CustomerId, "x@example.com")?;
        assert_eq!(customer, Some(Mpid(2)));
        txn.set_identity_owner(IdentityType::Email, "x@example.com", Mpid(3))?;
        let moved = txn.identity_owner(IdentityType::Email, "x@example.com")?;
        assert_eq!(moved, Some(Mpid(3)));
        txn.remove_identity(IdentityType::Email, "x@example.com")?;
        assert_eq!(
            txn.identity_owner(IdentityType::Email, "x@example.com")?,
            None
        );
        let kept = txn.identity_owner(IdentityType::CustomerId, "x@example.com")?;
        assert_eq!(kept, Some(Mpid(2)));
        assert_eq!(txn.identity_owner(IdentityType::Email, "unknown")?, None);
        Ok(())
    });
}

/// Profiles round-trip whole; `profiles_after` walks them in MPID order (negative MPIDs
/// first) in chunks; the count follows puts and deletes.
pub fn profiles_are_walked_in_mpid_order<S: StateBackend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    let mut full = Profile::new(Mpid(5), 10);
    full.identities
        .insert(IdentityType::Email, "five@example.com".into());
    full.audiences.insert(3, 11);
    full.audience_recheck_ms = Some(99);
    commit(&store, |txn| {
        for mpid in [30, -7, 1, i64::MAX] {
            txn.put_profile(&Profile::new(Mpid(mpid), 1))?;
        }
        txn.put_profile(&full)
    });
    commit(&store, |txn| {
        assert_eq!(txn.profile(Mpid(5))?, Some(full.clone()));
        assert_eq!(txn.profile_count()?, 5);
        let mpids = |profiles: Vec<Profile>| profiles.iter().map(|p| p.mpid.0).collect::<Vec<_>>();
        assert_eq!(mpids(txn.profiles_after(None, 3)?), vec![-7, 1, 5]);
        assert_eq!(
            mpids(txn.profiles_after(Some(Mpid(5)), 3)?),
            vec![30, i64::MAX]
        );
        assert!(txn.profiles_after(Some(Mpid(i64::MAX)), 3)?.is_empty());
        txn.delete_profile(Mpid(30))?;
        assert_eq!(txn.profile(Mpid(30))?, None);
        assert_eq!(txn.profile_count()?, 4);
        Ok(())
    });
}

/// Sent state is stored, replaced and deleted per user.
pub fn sent_state_is_kept_per_user<S: StateBackend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    commit(&store, |txn| {
        txn.put_sent_state(Mpid(1), &json!({"a": 1}))?;
        txn.put_sent_state(Mpid(2), &json!({"b": 2}))?;
        txn.put_sent_state(Mpid(1), &json!({"a": 3}))
    });
    commit(&store, |txn| {
        assert_eq!(txn.sent_state(Mpid(1))?, Some(json!({"a": 3})));
        txn.delete_sent_state(Mpid(1))?;
        assert_eq!(txn.sent_state(Mpid(1))?, None);
        assert_eq!(txn.sent_state(Mpid(2))?, Some(json!({"b": 2})));
        Ok(())
    });
}

/// Entries come out of a lane in the order they were queued, across transactions, at most
/// `max` at a time, and only from their own lane; `depth` counts every lane.
pub fn outbox_keeps_order_per_lane<S: StateBackend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    assert_eq!(store.lane_count(), LANES);
    commit(&store, |txn| {
        txn.enqueue(
            0,
            &[
                entry(1, TrackArray::Events, 1),
                entry(1, TrackArray::Events, 2),
            ],
        )?;
        txn.enqueue(2, &[entry(2, TrackArray::Events, 3)])
    });
    commit(&store, |txn| {
        txn.enqueue(0, &[entry(1, TrackArray::Attributes, 4)])
    });
    assert_eq!(entry_ns(&store.peek(0, 10).expect("peek")), vec![1, 2, 4]);
    assert_eq!(entry_ns(&store.peek(0, 2).expect("peek")), vec![1, 2]);
    assert_eq!(entry_ns(&store.peek(2, 10).expect("peek")), vec![3]);
    assert!(store.peek(1, 10).expect("peek").is_empty());
    assert_eq!(store.depth().expect("depth"), 4);
    let lane0 = store.peek(0, 10).expect("peek");
    assert!(lane0.windows(2).all(|w| w[0].0 < w[1].0), "positions rise");
    assert_eq!(lane0[2].1, entry(1, TrackArray::Attributes, 4));
}

/// `complete` removes delivered entries and moves refused ones to the dead letters, once
/// even when completed twice; dead letters list oldest first, in pages.
pub fn complete_removes_delivered_and_dead_letters_refused<S: StateBackend, G>(
    new: &impl Fn(u32) -> (S, G),
) {
    let (store, _guard) = new(LANES);
    commit(&store, |txn| {
        let entries: Vec<_> = (1..=4).map(|n| entry(1, TrackArray::Events, n)).collect();
        txn.enqueue(1, &entries)
    });
    let queued = store.peek(1, 10).expect("peek");
    let seqs: Vec<u64> = queued.iter().map(|(s, _)| *s).collect();
    store
        .complete(
            1,
            &[seqs[0]],
            vec![
                (seqs[1], letter(queued[1].1.clone())),
                (seqs[2], letter(queued[2].1.clone())),
            ],
        )
        .expect("complete");
    assert_eq!(entry_ns(&store.peek(1, 10).expect("peek")), vec![4]);
    assert_eq!(store.depth().expect("depth"), 1);
    // The same refusal again (a retried completion) lists nothing twice.
    store
        .complete(1, &[], vec![(seqs[1], letter(queued[1].1.clone()))])
        .expect("complete again");
    let dead = store.dead_letters(0, 10).expect("dead letters");
    assert_eq!(dead.len(), 2);
    assert_eq!(dead[0].1, letter(queued[1].1.clone()));
    assert_eq!(dead[1].1, letter(queued[2].1.clone()));
    assert!(dead[0].0 < dead[1].0);
    let page = store.dead_letters(dead[0].0, 10).expect("next page");
    assert_eq!(page, vec![dead[1].clone()]);
    assert_eq!(
        store.dead_letters(0, 1).expect("first page"),
        vec![dead[0].clone()]
    );
    store.complete(1, &[seqs[3]], Vec::new()).expect("deliver");
    assert!(store.peek(1, 10).expect("peek").is_empty());
    assert_eq!(store.depth().expect("depth"), 0);
}

/// Core's rule ([`OutboxEntry::refusal_forgets_sent_state`]): a refused attributes object
/// deletes its user's sent state in the same commit; a refused event does not.
pub fn refused_attributes_forget_the_sent_state<S: StateBackend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    let (attrs_user, events_user) = (Mpid(1), Mpid(2));
    commit(&store, |txn| {
        txn.put_sent_state(attrs_user, &json!({"plan": "gold"}))?;
        txn.put_sent_state(events_user, &json!({"plan": "free"}))?;
        txn.enqueue(
            0,
            &[
                entry(1, TrackArray::Attributes, 1),
                entry(2, TrackArray::Events, 2),
            ],
        )
    });
    let queued = store.peek(0, 10).expect("peek");
    let refused = queued
        .iter()
        .map(|(seq, e)| (*seq, letter(e.clone())))
        .collect();
    store.complete(0, &[], refused).expect("complete");
    commit(&store, |txn| {
        assert_eq!(txn.sent_state(attrs_user)?, None);
        assert_eq!(txn.sent_state(events_user)?, Some(json!({"plan": "free"})));
        Ok(())
    });
}

/// Replay moves dead letters back to the end of their user's lane (whatever lane they were
/// refused on) and out of the dead letters; unknown ids are skipped.
pub fn dead_letters_replay_onto_the_users_lane<S: StateBackend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    let mpid = Mpid(77);
    let lane = lane_of(mpid, LANES);
    let wrong_lane = (lane + 1) % LANES;
    commit(&store, |txn| {
        txn.enqueue(wrong_lane, &[entry(77, TrackArray::Events, 1)])?;
        txn.enqueue(lane, &[entry(77, TrackArray::Events, 2)])
    });
    let (seq, refused) = store.peek(wrong_lane, 1).expect("peek")[0].clone();
    store
        .complete(wrong_lane, &[], vec![(seq, letter(refused.clone()))])
        .expect("complete");
    let dead = store.dead_letters(0, 10).expect("dead letters");
    let ids: Vec<u64> = dead.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        store
            .replay_dead_letters(&[ids[0], ids[0] + 1000])
            .expect("replay"),
        1
    );
    assert!(store.dead_letters(0, 10).expect("dead letters").is_empty());
    assert!(store.peek(wrong_lane, 10).expect("peek").is_empty());
    let replayed = store.peek(lane, 10).expect("peek");
    assert_eq!(entry_ns(&replayed), vec![2, 1]);
    assert_eq!(replayed[1].1, refused);
    assert_eq!(store.replay_dead_letters(&ids).expect("replay again"), 0);
}

/// History comes back oldest first from `since_ms` (equal timestamps in arrival order),
/// per user; pruning drops what is older than a time and says how much went.
pub fn history_is_ordered_and_prunable<S: StateBackend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    let (user, other) = (Mpid(1), Mpid(2));
    commit(&store, |txn| {
        txn.append_history(user, 30, &json!("c"))?;
        txn.append_history(user, 10, &json!("a"))?;
        txn.append_history(user, 20, &json!("b1"))?;
        txn.append_history(other, 15, &json!("other"))?;
        txn.append_history(user, 20, &json!("b2"))
    });
    commit(&store, |txn| {
        let all: Vec<(i64, Value)> = txn.history(user, i64::MIN)?;
        let expected = vec![
            (10, json!("a")),
            (20, json!("b1")),
            (20, json!("b2")),
            (30, json!("c")),
        ];
        assert_eq!(all, expected);
        assert_eq!(txn.history(user, 20)?.len(), 3);
        assert_eq!(txn.prune_history(user, 20)?, 1);
        assert_eq!(txn.prune_history(user, 20)?, 0);
        assert_eq!(txn.history(user, i64::MIN)?.len(), 3);
        assert_eq!(txn.history(other, i64::MIN)?, vec![(15, json!("other"))]);
        assert_eq!(txn.prune_history(user, i64::MIN)?, 0);
        Ok(())
    });
}

/// A batch's events appended in one call read back, from any `since`, and prune exactly
/// as if appended one by one: in time order, arrival order among equal times, also when
/// the batch spans hours and when a pruning bound falls inside it.
pub fn history_appended_a_batch_at_a_time_reads_and_prunes_event_by_event<S: StateBackend, G>(
    new: &impl Fn(u32) -> (S, G),
) {
    let (store, _guard) = new(LANES);
    let user = Mpid(3);
    const HOUR: i64 = 3_600_000;
    commit(&store, |txn| {
        txn.append_history(user, 20, &json!("single 20"))?;
        txn.append_history_events(
            user,
            &[
                (30, json!("b30")),
                (10, json!("b10")),
                (20, json!("b20")),
                (20, json!("b20 second")),
                (5 * HOUR, json!("b5h")),
                (2 * HOUR, json!("b2h")),
            ],
        )?;
        txn.append_history_events(user, &[(20, json!("later 20"))])?;
        txn.append_history_events(user, &[])
    });
    let expected: Vec<(i64, Value)> = [
        (10, "b10"),
        (20, "single 20"),
        (20, "b20"),
        (20, "b20 second"),
        (20, "later 20"),
        (30, "b30"),
        (2 * HOUR, "b2h"),
        (5 * HOUR, "b5h"),
    ]
    .into_iter()
    .map(|(ts, name)| (ts, json!(name)))
    .collect();
    commit(&store, |txn| {
        assert_eq!(txn.history(user, i64::MIN)?, expected);
        assert_eq!(txn.history(user, 20)?, expected[1..]);
        assert_eq!(txn.history(user, 21)?, expected[5..]);
        assert_eq!(txn.history(user, 2 * HOUR)?, expected[6..]);
        assert_eq!(txn.prune_history(user, 25)?, 5, "prunes events, not rows");
        assert_eq!(txn.history(user, i64::MIN)?, expected[5..]);
        assert_eq!(txn.prune_history(user, 25)?, 0);
        txn.append_history_events(user, &[(27, json!("late 27")), (26, json!("late 26"))])?;
        let all = txn.history(user, i64::MIN)?;
        assert_eq!(all[..2], [(26, json!("late 26")), (27, json!("late 27"))]);
        assert_eq!(all[2..], expected[5..]);
        assert_eq!(txn.prune_history(user, i64::MAX)?, 5);
        assert!(txn.history(user, i64::MIN)?.is_empty());
        Ok(())
    });
}

/// A Currents event id is remembered once (a second time says duplicate), survives the
/// transaction, and is forgotten oldest first: by age, and beyond a count.
pub fn event_ids_are_remembered_once_and_forgotten_oldest_first<S: StateBackend, G>(
    new: &impl Fn(u32) -> (S, G),
) {
    let (store, _guard) = new(LANES);
    commit(&store, |txn| {
        assert!(txn.remember_event_id("a", 10)?);
        assert!(!txn.remember_event_id("a", 11)?);
        assert!(txn.remember_event_id("b", 20)?);
        assert!(txn.remember_event_id("c", 30)?);
        txn.remember_event_id("d", 40).map(|_| ())
    });
    commit(&store, |txn| {
        assert!(
            !txn.remember_event_id("a", 50)?,
            "remembered across transactions"
        );
        // Older than 21: only `a` and `b`; at most one per call.
        assert_eq!(txn.forget_event_ids(21, u64::MAX, 1)?, 1);
        assert_eq!(txn.forget_event_ids(21, u64::MAX, 10)?, 1);
        assert_eq!(txn.forget_event_ids(21, u64::MAX, 10)?, 0);
        assert!(
            txn.remember_event_id("a", 50)?,
            "forgotten ids are new again"
        );
        // Three remembered (c, d, a): keep at most two → `c` goes.
        assert_eq!(txn.forget_event_ids(i64::MIN, 2, 10)?, 1);
        assert!(!txn.remember_event_id("d", 60)?);
        assert!(txn.remember_event_id("c", 60)?);
        Ok(())
    });
}

/// Re-checks come due at or before `now`, earliest first, at most `max`; cancelling one
/// removes exactly that one.
pub fn rechecks_come_due_earliest_first<S: StateBackend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    commit(&store, |txn| {
        txn.schedule_recheck(Mpid(1), 300)?;
        txn.schedule_recheck(Mpid(2), 100)?;
        txn.schedule_recheck(Mpid(3), 200)?;
        txn.schedule_recheck(Mpid(1), 150)
    });
    commit(&store, |txn| {
        assert_eq!(
            txn.due_rechecks(200, 10)?,
            vec![(100, Mpid(2)), (150, Mpid(1)), (200, Mpid(3))]
        );
        assert_eq!(txn.due_rechecks(1_000, 1)?, vec![(100, Mpid(2))]);
        assert!(txn.due_rechecks(99, 10)?.is_empty());
        txn.cancel_recheck(Mpid(1), 150)?;
        assert_eq!(
            txn.due_rechecks(1_000, 10)?,
            vec![(100, Mpid(2)), (200, Mpid(3)), (300, Mpid(1))]
        );
        Ok(())
    });
}

/// Meta values round-trip, are replaced by a second put, and are absent until put.
pub fn meta_values_round_trip<S: StateBackend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    commit(&store, |txn| {
        assert_eq!(txn.meta("settings")?, None);
        txn.put_meta("settings", &json!({"a": [1, 2]}))?;
        txn.put_meta("counter", &json!(1))?;
        txn.put_meta("counter", &json!(2))
    });
    commit(&store, |txn| {
        assert_eq!(txn.meta("settings")?, Some(json!({"a": [1, 2]})));
        assert_eq!(txn.meta("counter")?, Some(json!(2)));
        Ok(())
    });
}

/// `meta_after` walks meta values in key (byte) order, after a key, at most `max` at a time.
pub fn meta_values_are_walked_in_key_order<S: StateBackend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    commit(&store, |txn| {
        for key in ["b", "a/2", "a/10", "B", "c"] {
            txn.put_meta(key, &json!(key))?;
        }
        Ok(())
    });
    commit(&store, |txn| {
        let keys = |values: Vec<(String, Value)>| {
            values
                .into_iter()
                .map(|(k, v)| {
                    assert_eq!(v, json!(k), "each value comes with its own key");
                    k
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(txn.meta_after(None, 3)?), vec!["B", "a/10", "a/2"]);
        assert_eq!(keys(txn.meta_after(Some("a/2"), 10)?), vec!["b", "c"]);
        assert_eq!(keys(txn.meta_after(Some("a"), 1)?), vec!["a/10"]);
        assert!(txn.meta_after(Some("c"), 10)?.is_empty());
        Ok(())
    });
}

/// Erasure removes the user from every table and says what it removed; another user is
/// untouched; erasing again removes nothing.
pub fn erasure_leaves_nothing_of_the_user<S: StateBackend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    let (gone, kept) = (Mpid(11), Mpid(12));
    add_user(&store, gone);
    add_user(&store, kept);
    // A batch's events, which a backend may keep in one row: erasure counts events.
    commit(&store, |txn| {
        txn.append_history_events(
            gone,
            &[
                (1_700_000_000_001, json!({"name": "a"})),
                (1_700_000_000_002, json!({"name": "b"})),
            ],
        )
    });
    let erased = store.remove_user_everywhere(gone).expect("erase");
    assert_eq!(
        erased,
        Erased {
            profile: true,
            sent_state: true,
            identities: 2,
            history: 3,
            outbox: 1,
            dead_letters: 1,
        }
    );
    let owned_by = |entries: Vec<(u64, OutboxEntry)>, mpid: Mpid| {
        entries.iter().filter(|(_, e)| e.mpid == mpid.0).count()
    };
    let mut queued = Vec::new();
    for lane in 0..LANES {
        queued.extend(store.peek(lane, 100).expect("peek"));
    }
    assert_eq!(owned_by(queued.clone(), gone), 0);
    assert_eq!(owned_by(queued, kept), 1);
    let dead = store.dead_letters(0, 100).expect("dead letters");
    assert!(dead.iter().all(|(_, d)| d.entry.mpid != gone.0));
    assert_eq!(dead.len(), 1);
    commit(&store, |txn| {
        assert_eq!(txn.profile(gone)?, None);
        assert_eq!(txn.sent_state(gone)?, None);
        assert!(txn.history(gone, i64::MIN)?.is_empty());
        let email = txn.identity_owner(IdentityType::Email, "user11@example.com")?;
        assert_eq!(email, None);
        assert_eq!(txn.identity_owner(IdentityType::CustomerId, "c11")?, None);
        assert_eq!(
            txn.due_rechecks(i64::MAX, 10)?,
            vec![(1_700_000_100_000, kept)]
        );
        assert!(txn.profile(kept)?.is_some());
        assert!(txn.sent_state(kept)?.is_some());
        assert_eq!(txn.history(kept, i64::MIN)?.len(), 1);
        assert_eq!(
            txn.identity_owner(IdentityType::CustomerId, "c12")?,
            Some(kept)
        );
        Ok(())
    });
    assert_eq!(
        store.remove_user_everywhere(gone).expect("erase again"),
        Erased::default()
    );
}

/// Pruning removes log records through a position but never past the pipeline cursor;
/// the head stays, and a pruned batch's `source_request_id` is still a duplicate.
pub fn log_pruning_stops_at_the_cursor<S: Backend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    let requests = (1..=5)
        .map(|n| request("web", n, Some(&format!("r{n}"))))
        .collect();
    store.append(requests).expect("append");
    assert_eq!(store.pruned_through().expect("pruned"), 0);
    commit(&store, |txn| txn.set_cursor(3));
    assert_eq!(store.prune_log_through(5).expect("prune"), 3);
    assert_eq!(store.pruned_through().expect("pruned"), 3);
    let left: Vec<u64> = store
        .read_after(0, 10)
        .expect("read")
        .iter()
        .map(|(p, _)| *p)
        .collect();
    assert_eq!(left, vec![4, 5]);
    assert_eq!(store.head().expect("head"), 5);
    assert_eq!(store.prune_log_through(5).expect("prune again"), 0);
    assert_eq!(store.prune_log_through(1).expect("prune behind"), 0);
    assert_eq!(store.pruned_through().expect("pruned"), 3);
    let retry = store
        .append(vec![request("web", 2, Some("r2"))])
        .expect("append");
    assert_eq!(retry, vec![AppendOutcome::Duplicate(2)]);
    let next = store.append(vec![request("web", 6, None)]).expect("append");
    assert_eq!(next, vec![AppendOutcome::Appended(6)]);
}

/// Compaction keeps every live record of the state: profiles, sent state, history,
/// re-checks, identities, outbox and dead letters read the same before and after (the
/// log-free half of [`compaction_keeps_live_data`]).
pub fn compaction_keeps_live_state<S: StateBackend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    add_user(&store, Mpid(1));
    add_user(&store, Mpid(2));
    store.remove_user_everywhere(Mpid(1)).expect("erase");
    commit(&store, |txn| txn.set_cursor(1));
    let snapshot = |store: &S| {
        let mut queued = Vec::new();
        for lane in 0..LANES {
            queued.extend(store.peek(lane, 100).expect("peek"));
        }
        let dead = store.dead_letters(0, 100).expect("dead letters");
        let state = commit(store, |txn| {
            Ok((
                txn.cursor()?,
                txn.profiles_after(None, 100)?,
                txn.sent_state(Mpid(2))?,
                txn.history(Mpid(2), i64::MIN)?,
                txn.due_rechecks(i64::MAX, 100)?,
                txn.identity_owner(IdentityType::CustomerId, "c2")?,
            ))
        });
        (queued, dead, state)
    };
    let before = snapshot(&store);
    store.compact().expect("compact");
    assert_eq!(snapshot(&store), before);
}

/// Compaction keeps every live record: log, state, outbox and dead letters read the same
/// before and after.
pub fn compaction_keeps_live_data<S: Backend, G>(new: &impl Fn(u32) -> (S, G)) {
    let (store, _guard) = new(LANES);
    store
        .append((1..=3).map(|n| request("web", n, None)).collect())
        .expect("append");
    add_user(&store, Mpid(1));
    add_user(&store, Mpid(2));
    store.remove_user_everywhere(Mpid(1)).expect("erase");
    commit(&store, |txn| txn.set_cursor(1));
    store.prune_log_through(1).expect("prune");
    let snapshot = |store: &S| {
        let log = store.read_after(0, 100).expect("read");
        let mut queued = Vec::new();
        for lane in 0..LANES {
            queued.extend(store.peek(lane, 100).expect("peek"));
        }
        let dead = store.dead_letters(0, 100).expect("dead letters");
        let state = commit(store, |txn| {
            Ok((
                txn.cursor()?,
                txn.profiles_after(None, 100)?,
                txn.sent_state(Mpid(2))?,
                txn.history(Mpid(2), i64::MIN)?,
                txn.due_rechecks(i64::MAX, 100)?,
                txn.identity_owner(IdentityType::CustomerId, "c2")?,
            ))
        });
        (log, queued, dead, state)
    };
    let before = snapshot(&store);
    store.compact().expect("compact");
    assert_eq!(snapshot(&store), before);
    assert_eq!(store.head().expect("head"), 3);
    assert_eq!(store.pruned_through().expect("pruned"), 1);
}
