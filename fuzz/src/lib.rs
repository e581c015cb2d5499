//! The bodies of braid's fuzz targets, as plain functions of the input bytes: they panic
//! on a broken invariant and return quietly otherwise.
//!
//! The cargo-fuzz targets in `fuzz_targets/` call them (that needs nightly), and a stable
//! test in CI (`crates/braid-server/tests/fuzz_targets.rs`) runs the same functions over
//! the fixture-seeded corpus and mutations of it, so the invariants are checked on every
//! build even where nothing can fuzz. This file therefore depends only on braid's crates
//! and `serde_json`, never on `libfuzzer-sys`.
//!
//! Invariants:
//! - the parsers never panic, whatever the bytes;
//! - a batch the parser accepts is stored as JSON and re-read unchanged, and checking it
//!   against the limits never panics;
//! - mapping an accepted batch never panics under any settings, emits only objects that
//!   Braze's validator accepts (before and after the delta step), and is deterministic.

use braid_braze::delta::{apply_delta, SentState};
use braid_braze::mapping::{map_change as map, MappingInput, MappingOutput};
use braid_braze::settings::{
    BrazeSettings, ExternalIdentityType, OperatingSystem, OversizeRule, SubscriptionGroupMapping,
    TypeDetection,
};
use braid_braze::validate::validate_object;
use braid_mparticle::{AttributeMap, Batch, Identities, IdentityType, Limits, Mpid};

/// Bytes at the start of a `map_change` input that choose the settings; the rest is the
/// batch body.
pub const SETTINGS_PREFIX_LEN: usize = 3;

/// A fixed clock for the mapping (2024-06-01T12:00:00Z), so runs are repeatable.
const NOW_MS: i64 = 1_717_243_200_000;

/// Fuzz body for `braid_mparticle::parse_batch`.
pub fn parse_batch(data: &[u8]) {
    if let Ok(batch) = braid_mparticle::parse_batch(data) {
        check_accepted(&batch);
    }
}

/// Fuzz body for `braid_mparticle::parse_bulk`: every batch of an accepted bulk body
/// obeys the same invariants as a single batch.
pub fn parse_bulk(data: &[u8]) {
    if let Ok(items) = braid_mparticle::parse_bulk(data) {
        for batch in items.iter().flatten() {
            check_accepted(batch);
        }
    }
}

/// Fuzz body for the mapping: the first [`SETTINGS_PREFIX_LEN`] bytes choose the
/// settings and whether the user is already known, the rest must parse as a batch.
pub fn map_change(data: &[u8]) {
    if data.len() < SETTINGS_PREFIX_LEN {
        return;
    }
    let (prefix, body) = data.split_at(SETTINGS_PREFIX_LEN);
    let Ok(batch) = braid_mparticle::parse_batch(body) else {
        return;
    };
    let settings = settings_from(prefix);
    let known_user = prefix[2] & 0x80 != 0;

    // The profile before the batch: empty for a new user, or the batch's own identities
    // and attributes for a known one; after it: the batch applied on top.
    let (identities_before, attributes_before) = if known_user {
        (batch.user_identities.clone(), batch.user_attributes.clone())
    } else {
        (Identities::new(), AttributeMap::new())
    };
    let mut identities = identities_before.clone();
    identities.extend(batch.user_identities.iter().map(|(t, v)| (*t, v.clone())));
    let mut attributes = attributes_before.clone();
    attributes.extend(
        batch
            .user_attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    for key in &batch.deleted_user_attributes {
        attributes.remove(key);
    }
    let input = MappingInput {
        mpid: batch.mpid.unwrap_or(Mpid(1)),
        identities_before: &identities_before,
        identities: &identities,
        attributes_before: &attributes_before,
        attributes: &attributes,
        batch: &batch,
        now_ms: NOW_MS,
    };
    let out = map(&settings, &input);
    assert_valid(&settings, &out.objects, "mapped");
    assert_eq!(
        out,
        map(&settings, &input),
        "the mapping is not deterministic"
    );
    check_delta(&settings, out);
}

fn check_accepted(batch: &Batch) {
    let _ = braid_mparticle::validate_batch(batch, &Limits::default());
    let stored = serde_json::to_vec(batch).expect("an accepted batch serialises");
    let again = braid_mparticle::parse_batch(&stored)
        .unwrap_or_else(|e| panic!("a stored batch does not re-parse: {e}"));
    assert_eq!(batch, &again, "a stored batch reads back different");
}

fn check_delta(settings: &BrazeSettings, out: MappingOutput) {
    let mut state = SentState::default();
    let first = apply_delta(&mut state, out.objects.clone(), settings.deltas);
    assert_valid(settings, &first.objects, "after the delta step");
    // The same objects again: with deltas on, no attribute value is new any more.
    let again = apply_delta(&mut state, out.objects, settings.deltas);
    if settings.deltas {
        assert_eq!(
            again.cost.attributes, 0,
            "re-sent attributes cost data points"
        );
    }
}

fn assert_valid(settings: &BrazeSettings, objects: &[braid_braze::wire::TrackObject], when: &str) {
    for object in objects {
        if let Err(e) = validate_object(object.array, &object.body, &settings.limits) {
            panic!("{when}: Braze would refuse {:?}: {e:?}", object.body);
        }
    }
}

/// Settings from three bytes: ten switches, type detection, the oversize rule, the push
/// operating system, the external identity, and whether an app id is set.
pub fn settings_from(prefix: &[u8]) -> BrazeSettings {
    let bits = u32::from(prefix[0]) | u32::from(prefix[1]) << 8 | u32::from(prefix[2]) << 16;
    let bit = |i: u32| bits >> i & 1 == 1;
    BrazeSettings {
        include_enriched_user_attributes: bit(0),
        send_user_attribute_lists_as_arrays: bit(1),
        forward_session_events: bit(2),
        forward_screen_views: bit(3),
        forward_page_name_as_event_name: bit(4),
        replace_sku_with_product_name: bit(5),
        bundle_commerce_event_data: bit(6),
        disable_external_id_constraint: bit(7),
        forward_anonymous_as_alias: bit(8),
        deltas: !bit(9),
        type_detection: [
            TypeDetection::None,
            TypeDetection::User,
            TypeDetection::Event,
            TypeDetection::Both,
        ][(bits >> 10 & 3) as usize],
        oversize: if bit(12) {
            OversizeRule::Drop
        } else {
            OversizeRule::Truncate
        },
        api_key_operating_system: [
            None,
            Some(OperatingSystem::Ios),
            Some(OperatingSystem::Android),
            Some(OperatingSystem::Web),
        ][(bits >> 13 & 3) as usize],
        external_identity_type: [
            ExternalIdentityType::Identity(IdentityType::CustomerId),
            ExternalIdentityType::Mpid,
            ExternalIdentityType::Identity(IdentityType::Email),
            ExternalIdentityType::Identity(IdentityType::OtherId2),
        ][(bits >> 15 & 3) as usize],
        app_id: bit(17).then(|| "fuzz-app".to_owned()),
        subscription_group_mapping: if bit(18) {
            vec![SubscriptionGroupMapping {
                attribute: "newsletter".into(),
                subscription_group_id: "group-1".into(),
            }]
        } else {
            Vec::new()
        },
        ..BrazeSettings::default()
    }
}
