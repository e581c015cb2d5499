//! Audience work over the in-memory store: backfill of a new audience over existing
//! profiles, clean-up of a deleted one, and time-window re-checks, each checked in the
//! profiles and in what is queued for Braze.

mod common;

use braid_audiences::{Audience, AudienceSet, SendSegmentsAs};
use braid_braze::settings::BrazeSettings;
use braid_braze::wire::TrackArray;
use braid_core::membership::{
    self, AudienceHandle, AudienceOutput, AudienceRuntime, CleanupThen, JobKind,
};
use braid_core::memory::MemoryStore;
use braid_core::pipeline::{Pipeline, PipelineConfig, PipelineReport};
use braid_core::storage::StateTxn;
use braid_core::LogRecordKind;
use braid_mparticle::{IdentityType, Mpid};
use common::*;
use serde_json::{json, Value};

/// A pipeline sending one `In <name>` attribute per audience, so membership is readable.
fn per_segment_pipeline(set: AudienceSet) -> Pipeline {
    Pipeline::with_audiences(
        PipelineConfig {
            braze: BrazeSettings::default(),
            forward_to_braze: true,
            lanes: LANES,
            history_retention_ms: 30 * DAY_MS,
            currents: Default::default(),
        },
        AudienceHandle::new(AudienceRuntime {
            set,
            output: AudienceOutput {
                send_segments_as: SendSegmentsAs::PER_SEGMENT,
                ..AudienceOutput::default()
            },
            calculated: Default::default(),
        }),
    )
}

fn gold() -> Audience {
    Audience::from_json(json!({"id": 1, "name": "Gold",
        "criteria": {"attribute": {"key": "plan", "op": "equals", "value": "gold"}}}))
    .expect("definition")
}

fn user(store: &MemoryStore, pipeline: &Pipeline, n: u32, plan: &str) -> Mpid {
    ingest(
        store,
        pipeline,
        LogRecordKind::Live,
        NOW,
        json!({"user_identities": {"customer_id": format!("c{n}")},
               "user_attributes": {"plan": plan}}),
    );
    owner(store, IdentityType::CustomerId, &format!("c{n}")).expect("indexed")
}

/// Run audience work until there is none; returns the reports' sum of job profiles.
fn run_until_idle(store: &MemoryStore, pipeline: &Pipeline, now_ms: i64) -> PipelineReport {
    let mut report = PipelineReport::default();
    for _ in 0..100 {
        let (worked, _) = pipeline
            .run_audience_work(store, now_ms, 2, &mut report)
            .expect("audience work");
        if !worked {
            return report;
        }
    }
    panic!("audience work did not finish in 100 steps");
}

/// The `In Gold` values queued, per external id.
fn in_gold(store: &MemoryStore) -> Vec<(Value, Value)> {
    track_bodies(store)
        .into_iter()
        .filter(|(array, body)| *array == TrackArray::Attributes && body.contains_key("In Gold"))
        .map(|(_, body)| (body["external_id"].clone(), body["In Gold"].clone()))
        .collect()
}

fn change(
    store: &MemoryStore,
    pipeline: &Pipeline,
    f: impl FnOnce(
        &mut dyn StateTxn,
        &AudienceSet,
    ) -> Result<
        (AudienceSet, Option<membership::AudienceJob>),
        membership::AudienceChangeError,
    >,
) -> membership::AudienceJob {
    let current = pipeline.audiences().current().set.clone();
    let (set, job) =
        membership::transact_change(store, |txn| f(txn, &current)).expect("change accepted");
    pipeline.audiences().replace_set(set);
    job.expect("a job was queued")
}

#[test]
fn backfill_evaluates_every_existing_profile_in_chunks() {
    let store = MemoryStore::new(LANES);
    let pipeline = per_segment_pipeline(AudienceSet::default());
    let members: Vec<Mpid> = (0..3).map(|n| user(&store, &pipeline, n, "gold")).collect();
    let other = user(&store, &pipeline, 9, "free");
    deliver_all(&store);

    let job = change(&store, &pipeline, |txn, set| {
        membership::put_audience(txn, set, gold(), false, NOW)
    });
    assert_eq!(job.kind, JobKind::Backfill);
    assert_eq!(job.total, 4);
    let report = run_until_idle(&store, &pipeline, NOW);
    assert_eq!(report.audiences.job_profiles, 4);
    assert_eq!(report.audiences.entered, 3);

    for mpid in &members {
        assert!(profile(&store, *mpid)
            .expect("member")
            .audiences
            .contains_key(&1));
    }
    assert!(profile(&store, other).expect("other").audiences.is_empty());
    let mut sent = in_gold(&store);
    sent.sort_by_key(|(id, _)| id.to_string());
    assert_eq!(
        sent,
        vec![
            (json!("c0"), json!(true)),
            (json!("c1"), json!(true)),
            (json!("c2"), json!(true)),
        ]
    );
    let jobs = read(&store, |txn| membership::jobs(txn));
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].is_finished());
    assert_eq!(jobs[0].processed, 4);
    assert_eq!(jobs[0].changed, 3);
}

#[test]
fn the_pipeline_keeps_memberships_current_once_an_audience_is_in_force() {
    let store = MemoryStore::new(LANES);
    let set = AudienceSet::new(vec![gold()]).expect("set");
    let pipeline = per_segment_pipeline(set);
    let mpid = user(&store, &pipeline, 1, "gold");
    assert!(profile(&store, mpid).expect("p").audiences.contains_key(&1));
    assert_eq!(in_gold(&store), vec![(json!("c1"), json!(true))]);
    deliver_all(&store);
    user(&store, &pipeline, 1, "free");
    assert!(profile(&store, mpid).expect("p").audiences.is_empty());
    assert_eq!(in_gold(&store), vec![(json!("c1"), json!(false))]);
}

#[test]
fn cleanup_takes_a_deleted_audience_out_of_every_member_then_drops_it() {
    let store = MemoryStore::new(LANES);
    let pipeline = per_segment_pipeline(AudienceSet::new(vec![gold()]).expect("set"));
    let members: Vec<Mpid> = (0..3).map(|n| user(&store, &pipeline, n, "gold")).collect();
    user(&store, &pipeline, 9, "free");
    deliver_all(&store);

    let job = change(&store, &pipeline, |txn, set| {
        membership::retire_audience(txn, set, 1, CleanupThen::Delete, true, NOW)
    });
    assert_eq!(
        job.kind,
        JobKind::Cleanup {
            then: CleanupThen::Delete
        }
    );
    run_until_idle(&store, &pipeline, NOW);
    for mpid in &members {
        assert!(profile(&store, *mpid).expect("member").audiences.is_empty());
    }
    let mut sent = in_gold(&store);
    sent.sort_by_key(|(id, _)| id.to_string());
    assert_eq!(
        sent,
        vec![
            (json!("c0"), json!(false)),
            (json!("c1"), json!(false)),
            (json!("c2"), json!(false)),
        ]
    );
    assert!(pipeline.audiences().current().set.get(1).is_none());
    let stored = read(&store, |txn| membership::stored_definitions(txn));
    assert!(stored.iter().all(|a| a.id != 1));
}

#[test]
fn a_time_window_recheck_removes_the_member_once_the_event_ages_out() {
    let store = MemoryStore::new(LANES);
    let recent = Audience::from_json(json!({"id": 2, "name": "Recent",
        "criteria": {"event": {"name": "Opened", "within_days": 1}}}))
    .expect("definition");
    let pipeline = per_segment_pipeline(AudienceSet::new(vec![recent]).expect("set"));
    ingest(
        &store,
        &pipeline,
        LogRecordKind::Live,
        NOW,
        json!({"user_identities": {"customer_id": "c1"},
               "events": [{"event_type": "custom_event",
                           "data": {"event_name": "Opened", "custom_event_type": "other",
                                    "timestamp_unixtime_ms": NOW}}]}),
    );
    let mpid = owner(&store, IdentityType::CustomerId, "c1").expect("indexed");
    let member = profile(&store, mpid).expect("profile");
    assert!(member.audiences.contains_key(&2));
    let due_at = member.audience_recheck_ms.expect("a re-check is scheduled");
    assert!(due_at > NOW && due_at <= NOW + 2 * DAY_MS);
    assert_eq!(
        read(&store, |txn| txn.due_rechecks(i64::MAX, 10)),
        vec![(due_at, mpid)]
    );
    deliver_all(&store);

    // Before it is due, nothing happens.
    let early = run_until_idle(&store, &pipeline, due_at - 1);
    assert_eq!(early.audiences.rechecks, 0);
    assert!(profile(&store, mpid).expect("p").audiences.contains_key(&2));

    let report = run_until_idle(&store, &pipeline, due_at);
    assert_eq!(report.audiences.rechecks, 1);
    assert_eq!(report.audiences.left, 1);
    let after = profile(&store, mpid).expect("p");
    assert!(after.audiences.is_empty());
    assert_eq!(after.audience_recheck_ms, None);
    assert!(read(&store, |txn| txn.due_rechecks(i64::MAX, 10)).is_empty());
    let sent: Vec<_> = track_bodies(&store)
        .into_iter()
        .filter_map(|(_, body)| body.get("In Recent").cloned())
        .collect();
    assert_eq!(sent, vec![json!(false)]);
}
