//! Every fixture parses, validates, holds the event it is named after, and survives
//! parse → serialise → parse unchanged.

mod common;

use braid_mparticle::{
    parse_batch, parse_bulk, validate_batch, Batch, Event, IdentityType, Limits, Mpid,
    ProductActionKind,
};
use common::{batch_fixtures, fixture};

#[test]
fn every_fixture_round_trips_through_json() {
    let fixtures = batch_fixtures();
    assert!(fixtures.len() >= 30, "found {} fixtures", fixtures.len());
    for (name, bytes) in fixtures {
        let first = parse_batch(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let stored = serde_json::to_vec(&first).unwrap();
        let second = parse_batch(&stored).unwrap_or_else(|e| panic!("{name} re-parse: {e}"));
        assert_eq!(first, second, "{name}");
        // Stored batches are also re-read with plain serde; it must agree.
        let via_serde: Batch = serde_json::from_slice(&stored).unwrap();
        assert_eq!(first, via_serde, "{name}");
    }
}

#[test]
fn every_fixture_is_within_mparticle_limits() {
    for (name, bytes) in batch_fixtures() {
        let batch = parse_batch(&bytes).unwrap();
        validate_batch(&batch, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            bytes.len() <= braid_mparticle::limits::MAX_BATCH_BYTES,
            "{name}"
        );
    }
}

#[test]
fn single_event_fixtures_hold_the_event_they_are_named_after() {
    for (name, bytes) in batch_fixtures() {
        let stem = name.trim_end_matches(".json");
        let batch = parse_batch(&bytes).unwrap();
        let expected_type = if stem.starts_with("commerce_")
            || stem == "promotion_action"
            || stem == "product_impressions"
        {
            "commerce_event"
        } else {
            stem
        };
        if [
            "all_event_types",
            "python_sdk_batch",
            "lenient_client_batch",
        ]
        .contains(&stem)
        {
            continue;
        }
        assert_eq!(batch.events.len(), 1, "{name}");
        assert_eq!(batch.events[0].event_type(), expected_type, "{name}");
        if let Some(action) = stem.strip_prefix("commerce_") {
            let Event::CommerceEvent(c) = &batch.events[0] else {
                unreachable!()
            };
            assert_eq!(c.product_action.as_ref().unwrap().action.as_str(), action);
        }
    }
}

#[test]
fn all_event_types_fixture_covers_every_type_and_action() {
    let batch = parse_batch(&fixture("all_event_types.json")).unwrap();
    let types: std::collections::BTreeSet<_> =
        batch.events.iter().map(|e| e.event_type()).collect();
    for t in [
        "custom_event",
        "commerce_event",
        "screen_view",
        "session_start",
        "session_end",
        "opt_out",
        "push_registration",
        "push_message",
        "user_attribute_change",
        "user_identity_change",
        "crash_report",
        "first_run",
        "application_state_transition",
        "breadcrumb",
        "network_performance",
        "profile",
        "uninstall",
    ] {
        assert!(types.contains(t), "missing {t}");
    }
    let actions: Vec<_> = batch
        .events
        .iter()
        .filter_map(|e| match e {
            Event::CommerceEvent(c) => c.product_action.as_ref().map(|a| a.action),
            _ => None,
        })
        .collect();
    for k in ProductActionKind::ALL {
        assert!(actions.contains(&k), "missing {k:?}");
    }
    assert!(!batch.events.iter().any(Event::is_unknown));
}

#[test]
fn purchase_fixture_carries_products_and_totals() {
    let batch = parse_batch(&fixture("commerce_purchase.json")).unwrap();
    let Event::CommerceEvent(c) = &batch.events[0] else {
        panic!("not commerce")
    };
    let a = c.product_action.as_ref().unwrap();
    assert_eq!(a.action, ProductActionKind::Purchase);
    assert_eq!(a.products.len(), 3);
    assert_eq!(a.transaction_id.as_deref(), Some("T-20240610-0001"));
    assert_eq!(a.total_amount, Some(276.49));
    assert_eq!(a.products[1].quantity, Some(3.0));
    assert_eq!(c.currency_code.as_deref(), Some("USD"));
}

#[test]
fn python_sdk_batch_reads_customerid_and_other_2() {
    let batch = parse_batch(&fixture("python_sdk_batch.json")).unwrap();
    assert_eq!(
        batch
            .user_identities
            .get(&IdentityType::CustomerId)
            .map(String::as_str),
        Some("123456")
    );
    assert_eq!(
        batch
            .user_identities
            .get(&IdentityType::OtherId2)
            .map(String::as_str),
        Some("crm-55")
    );
    assert_eq!(batch.mpid, Some(Mpid(1234567890123456789)));
    assert_eq!(batch.events.len(), 5);
    // Fields the SDK sends that braid does not model are kept.
    assert!(batch.extra.contains_key("mp_deviceid"));
}

#[test]
fn bulk_fixture_parses_every_batch() {
    let batches = parse_bulk(&fixture("bulk.json")).unwrap();
    assert_eq!(batches.len(), 3);
    for b in &batches {
        assert!(b.is_ok(), "{b:?}");
    }
    assert_eq!(
        batches[1].as_ref().unwrap().mpid,
        Some(Mpid(-4121928340127661110))
    );
}
