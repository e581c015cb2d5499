//! Batch traces for the console's live stream: built only when asked for, and saying
//! what each batch queued for Braze or why it queued nothing.

mod common;

use braid_core::memory::MemoryStore;
use braid_core::pipeline::PipelineReport;
use braid_core::storage::{AppendRequest, IngestLog};
use braid_core::trace::{BatchTrace, NotForwarded};
use braid_core::{LogRecord, LogRecordKind};
use common::*;
use serde_json::{json, Value};

/// Append one batch and apply it with traces on; the traces built.
fn traced(
    store: &MemoryStore,
    pipeline: &braid_core::pipeline::Pipeline,
    kind: LogRecordKind,
    batch: Value,
) -> Vec<BatchTrace> {
    store
        .append(vec![AppendRequest {
            record: LogRecord {
                input: "web".into(),
                kind,
                received_ms: NOW,
                batch_json: batch.to_string(),
            },
            source_request_id: None,
        }])
        .expect("append");
    let mut report = PipelineReport {
        traces: Some(Vec::new()),
        ..PipelineReport::default()
    };
    pipeline
        .process_pending(store, store, 100, &mut report)
        .expect("process");
    report.traces.expect("traces were asked for")
}

fn identified(event: &str) -> Value {
    json!({
        "user_identities": {"customer_id": "c1"},
        "user_attributes": {"plan": "gold"},
        "events": [{"event_type": "custom_event", "data": {"event_name": event, "custom_event_type": "other"}}]
    })
}

#[test]
fn a_forwarded_batch_traces_its_objects_and_their_cost() {
    let store = MemoryStore::new(LANES);
    let pipeline = pipeline(Default::default());
    let traces = traced(&store, &pipeline, LogRecordKind::Live, identified("Viewed"));
    assert_eq!(traces.len(), 1);
    let trace = &traces[0];
    assert_eq!(trace.input, "web");
    assert_eq!(trace.events, ["Viewed"]);
    assert!(trace
        .identities
        .contains(&("customer_id".into(), "c1".into())));
    assert_eq!(trace.not_forwarded, None);
    assert_eq!(
        trace.queued,
        queued(&store),
        "the trace shows exactly what was queued"
    );
    assert_eq!(trace.data_points.events, 1);
    assert_eq!(trace.data_points.attributes, 1);
    assert_eq!(trace.data_points_saved.total(), 0);
}

#[test]
fn batches_that_send_nothing_say_why() {
    let store = MemoryStore::new(LANES);
    let pipeline = pipeline(Default::default());
    let historical = traced(
        &store,
        &pipeline,
        LogRecordKind::Historical,
        identified("Old"),
    );
    assert_eq!(historical[0].not_forwarded, Some(NotForwarded::Historical));

    let anonymous = traced(
        &store,
        &pipeline,
        LogRecordKind::Live,
        json!({"user_identities": {"other": "anon"}, "user_attributes": {"plan": "x"}}),
    );
    assert_eq!(anonymous[0].not_forwarded, Some(NotForwarded::Anonymous));

    let session = traced(
        &store,
        &pipeline,
        LogRecordKind::Live,
        json!({"user_identities": {"customer_id": "c2"},
               "events": [{"event_type": "session_start", "data": {}}]}),
    );
    assert_eq!(session[0].not_forwarded, Some(NotForwarded::Filtered));

    traced(
        &store,
        &pipeline,
        LogRecordKind::Live,
        json!({"user_identities": {"customer_id": "c3"}, "user_attributes": {"plan": "gold"}}),
    );
    let again = traced(
        &store,
        &pipeline,
        LogRecordKind::Live,
        json!({"user_identities": {"customer_id": "c3"}, "user_attributes": {"plan": "gold"}}),
    );
    assert_eq!(again[0].not_forwarded, Some(NotForwarded::Unchanged));
    assert_eq!(again[0].data_points_saved.attributes, 1);
}

#[test]
fn no_traces_are_built_unless_asked_for() {
    let store = MemoryStore::new(LANES);
    let pipeline = pipeline(Default::default());
    let report = ingest(
        &store,
        &pipeline,
        LogRecordKind::Live,
        NOW,
        identified("Viewed"),
    );
    assert_eq!(report.traces, None);
}
