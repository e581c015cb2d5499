//! The change index, sliding-window expiry and retention of an `AudienceSet`.

mod common;

use braid_audiences::{AudienceSet, Change, EventKind, EventKindTag, EventRecord};
use braid_mparticle::IdentityType;
use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn change(attrs: &[&str], ids: &[IdentityType], events: &[EventRecord]) -> Change {
    let mut c = Change {
        attribute_keys: attrs.iter().map(|s| s.to_string()).collect(),
        identity_types: ids.iter().copied().collect(),
        ..Change::default()
    };
    for e in events {
        c.record_event(e);
    }
    c
}

#[test]
fn affected_by_finds_audiences_by_key_identity_event_and_dependency() {
    let s = set(vec![
        audience(1, json!({"attribute": {"key": "$Country", "op": "exists"}})),
        audience(2, json!({"identity": "email"})),
        audience(3, json!({"event": {"name": "Search", "within_days": 7}})),
        audience(
            4,
            json!({"purchase_total": {"op": "gte", "value": 10, "within_days": 7}}),
        ),
        audience(5, json!({"member": 1})),
        audience(6, json!({"not": {"member": 5}})),
        audience(7, json!({"event": {"within_days": 7}})),
        audience(
            8,
            json!({"event": {"kind": "screen_view", "within_days": 7}}),
        ),
    ]);
    assert_eq!(
        s.affected_by(&change(&["$COUNTRY"], &[], &[])),
        vec![1, 5, 6]
    );
    assert_eq!(
        s.affected_by(&change(&[], &[IdentityType::Email], &[])),
        vec![2]
    );
    assert_eq!(
        s.affected_by(&change(&["other"], &[IdentityType::CustomerId], &[])),
        Vec::<u64>::new()
    );
    let search = custom("SEARCH", NOW, json!({}));
    assert_eq!(s.affected_by(&change(&[], &[], &[search])), vec![3, 7]);
    let mut purchase = custom("purchase", NOW, json!({}));
    purchase.kind = EventKind::Purchase;
    assert_eq!(s.affected_by(&change(&[], &[], &[purchase])), vec![4, 7]);
    let mut screen = custom("Home", NOW, json!({}));
    screen.kind = EventKind::ScreenView;
    assert_eq!(s.affected_by(&change(&[], &[], &[screen])), vec![7, 8]);
    assert_eq!(s.dependents_of(1), vec![5, 6]);
}

#[test]
fn time_sensitive_lists_windowed_audiences_and_their_dependents() {
    let s = set(vec![
        audience(1, json!({"event": {"name": "a", "within_days": 1}})),
        audience(
            2,
            json!({"attribute": {"key": "d", "op": "within_last_days", "days": 3}}),
        ),
        audience(
            3,
            json!({"attribute": {"key": "d", "op": "before", "value": "2024-01-01"}}),
        ),
        audience(4, json!({"not": {"member": 1}})),
    ]);
    assert_eq!(s.time_sensitive(), vec![1, 2, 4]);
}

#[test]
fn sliding_window_expires_membership_without_a_new_event() {
    let s = set(vec![
        audience(
            1,
            json!({"event": {"name": "Open", "at_least": 2, "within_days": 7}}),
        ),
        audience(2, json!({"member": 1})),
    ]);
    let t1 = NOW - 3 * DAY;
    let t2 = NOW - DAY;
    let mut u = User::default()
        .event("open", t1, json!({}))
        .event("Open", t2, json!({}));
    let d = s.evaluate_user(&u.view(), None, NOW);
    assert_eq!(d.entered, vec![1, 2]);
    u.memberships = d.apply(&u.memberships);

    // The oldest event ages out first, one millisecond after exactly 7 days.
    let expiry = s.next_expiry(&u.view(), NOW).unwrap();
    assert_eq!(expiry, t1 + 7 * DAY + 1);
    let just_before = s.evaluate_user(&u.view(), Some(&s.time_sensitive()), expiry - 1);
    assert!(just_before.is_empty());
    let at = s.evaluate_user(&u.view(), Some(&s.time_sensitive()), expiry);
    assert_eq!(at.left, vec![1, 2]);
    u.memberships = at.apply(&u.memberships);
    // The remaining event still has an expiry (harmless: re-evaluation finds no change).
    assert_eq!(s.next_expiry(&u.view(), expiry), Some(t2 + 7 * DAY + 1));
}

#[test]
fn not_performed_recently_enters_when_the_last_event_ages_out() {
    let s = set(vec![audience(
        1,
        json!({"not": {"event": {"name": "Open", "within_days": 14}}}),
    )]);
    let t = NOW - 10 * DAY;
    let u = User::default().event("Open", t, json!({}));
    assert!(s.evaluate_user(&u.view(), None, NOW).is_empty());
    let when = s.next_expiry(&u.view(), NOW).unwrap();
    assert_eq!(when, t + 14 * DAY + 1);
    assert_eq!(s.evaluate_user(&u.view(), None, when).entered, vec![1]);
}

#[test]
fn date_attribute_windows_schedule_entry_and_exit() {
    let s = set(vec![audience(
        1,
        json!({"attribute": {"key": "renewal", "op": "within_last_days", "days": 2}}),
    )]);
    let future = NOW + DAY;
    let u = User::default().attr("renewal", json!(future));
    assert_eq!(s.next_expiry(&u.view(), NOW), Some(future));
    assert_eq!(s.evaluate_user(&u.view(), None, future).entered, vec![1]);
    assert_eq!(s.next_expiry(&u.view(), future), Some(future + 2 * DAY + 1));
}

#[test]
fn nothing_time_dependent_means_no_expiry() {
    let s = set(vec![audience(
        1,
        json!({"attribute": {"key": "a", "op": "exists"}}),
    )]);
    let u = User::default()
        .attr("a", json!(1))
        .event("x", NOW, json!({}));
    assert_eq!(s.next_expiry(&u.view(), NOW), None);
    // Events outside every window never come back.
    let s = set(vec![audience(
        1,
        json!({"event": {"name": "x", "within_days": 1}}),
    )]);
    let old = User::default().event("x", NOW - 2 * DAY, json!({}));
    assert_eq!(s.next_expiry(&old.view(), NOW), None);
}

#[test]
fn retain_window_is_the_longest_event_window_of_live_audiences() {
    let mut inactive = audience(3, json!({"event": {"name": "x", "within_days": 400}}));
    inactive.state = braid_audiences::AudienceState::Inactive;
    let s = set(vec![
        audience(1, json!({"event": {"name": "x", "within_days": 30}})),
        audience(
            2,
            json!({"calculated": {"function": "count", "name": "y", "within_days": 90, "op": "gt", "value": 1}}),
        ),
        audience(
            4,
            json!({"attribute": {"key": "d", "op": "within_last_days", "days": 1000}}),
        ),
        inactive,
    ]);
    assert_eq!(s.retain_window_ms(), 90 * DAY);
    assert_eq!(AudienceSet::default().retain_window_ms(), 0);
}

#[test]
fn with_audience_replaces_and_without_removes() {
    let s = set(vec![
        audience(1, json!({"all": []})),
        audience(2, json!({"member": 1})),
    ]);
    let s2 = s.with_audience(audience(1, json!({"any": []}))).unwrap();
    assert_eq!(
        s2.get(1).unwrap().criteria,
        braid_audiences::Criteria::Any(vec![])
    );
    // Removing an audience others depend on is refused with the reason.
    let err = s.without(1).unwrap_err();
    assert!(
        err.to_string().contains("audience 1 does not exist"),
        "{err}"
    );
    assert_eq!(s.without(2).unwrap().active_ids(), vec![1]);
}

// ---- property: evaluating only the affected audiences equals evaluating all ----

const KEYS: [&str; 3] = ["plan", "Age", "city"];
const EVENTS: [&str; 3] = ["open", "Search", "buy"];
const IDS: [IdentityType; 2] = [IdentityType::Email, IdentityType::CustomerId];

fn leaf(max_member: u64) -> BoxedStrategy<Value> {
    let mut options: Vec<BoxedStrategy<Value>> = vec![
        (0..3usize, 0..3u32)
            .prop_map(|(k, v)| json!({"attribute": {"key": KEYS[k].to_uppercase(), "op": "equals", "value": format!("v{v}")}}))
            .boxed(),
        (0..3usize, 0..5u32)
            .prop_map(|(k, v)| json!({"attribute": {"key": KEYS[k], "op": "gte", "value": v}}))
            .boxed(),
        (0..3usize).prop_map(|k| json!({"attribute": {"key": KEYS[k], "op": "exists"}})).boxed(),
        (0..2usize).prop_map(|i| json!({"identity": IDS[i]})).boxed(),
        (0..3usize, 0..3u32, 1..10u32)
            .prop_map(|(e, n, d)| json!({"event": {"name": EVENTS[e], "at_least": n, "within_days": d}}))
            .boxed(),
        (0..3usize, 1..10u32)
            .prop_map(|(e, d)| json!({"event": {"kind": "custom", "name": EVENTS[e], "exactly": 1, "within_days": d}}))
            .boxed(),
        (0..3u32, 1..10u32)
            .prop_map(|(n, d)| json!({"event": {"kind": "purchase", "at_least": n, "within_days": d}}))
            .boxed(),
        (0..50u32, 1..10u32)
            .prop_map(|(v, d)| json!({"purchase_total": {"op": "gte", "value": v, "within_days": d}}))
            .boxed(),
        (0..3usize, 0..5u32)
            .prop_map(|(e, v)| json!({"calculated": {"function": "sum", "of": "n", "name": EVENTS[e], "within_days": 5, "op": "gt", "value": v}}))
            .boxed(),
        (1..10u32).prop_map(|d| json!({"event": {"within_days": d}})).boxed(),
    ];
    if max_member > 0 {
        options.push((1..=max_member).prop_map(|m| json!({"member": m})).boxed());
    }
    proptest::strategy::Union::new(options).boxed()
}

fn criteria(max_member: u64) -> BoxedStrategy<Value> {
    leaf(max_member)
        .prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"all": v})),
                prop::collection::vec(inner.clone(), 0..3).prop_map(|v| json!({"any": v})),
                inner.prop_map(|v| json!({"not": v})),
            ]
        })
        .boxed()
}

/// Up to 8 audiences; audience `i` may only refer to audiences `1..i` (no cycles).
fn audience_set() -> impl Strategy<Value = AudienceSet> {
    (1..8u64)
        .prop_flat_map(|n| (1..=n).map(|i| criteria(i - 1)).collect::<Vec<_>>())
        .prop_map(|cs| {
            set(cs
                .into_iter()
                .enumerate()
                .map(|(i, c)| audience(i as u64 + 1, c))
                .collect())
        })
}

#[derive(Debug, Clone)]
enum Step {
    Attr(usize, Option<Value>),
    Identity(usize, bool),
    Event(usize, bool, i64, u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (
            0..3usize,
            prop::option::of(prop_oneof![
                (0..3u32).prop_map(|v| json!(format!("V{v}"))),
                (0..6u32).prop_map(|v| json!(v)),
            ])
        )
            .prop_map(|(k, v)| Step::Attr(k, v)),
        (0..2usize, any::<bool>()).prop_map(|(i, p)| Step::Identity(i, p)),
        (0..3usize, any::<bool>(), 0..12i64, 0..4u32)
            .prop_map(|(e, p, age, n)| Step::Event(e, p, age, n)),
    ]
}

fn apply(user: &mut User, steps: &[Step], now: i64, change: &mut Change) {
    for s in steps {
        match s {
            Step::Attr(k, v) => {
                let key = KEYS[*k].to_string();
                match v {
                    Some(v) => {
                        user.attributes
                            .insert(key.clone(), serde_json::from_value(v.clone()).unwrap());
                    }
                    None => {
                        user.attributes.remove(&key);
                    }
                }
                change.attribute_keys.insert(key);
            }
            Step::Identity(i, present) => {
                if *present {
                    user.identities.insert(IDS[*i], "x".into());
                } else {
                    user.identities.remove(&IDS[*i]);
                }
                change.identity_types.insert(IDS[*i]);
            }
            Step::Event(e, purchase, age_days, n) => {
                let mut r = custom(EVENTS[*e], now - age_days * DAY / 2, json!({"n": n}));
                if *purchase {
                    r.kind = EventKind::Purchase;
                    r.name = "purchase".into();
                    r.amount = Some(f64::from(*n) * 10.0);
                }
                change.record_event(&r);
                user.history.push(r);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn evaluating_only_affected_audiences_matches_evaluating_all(
        s in audience_set(),
        before in prop::collection::vec(step(), 0..6),
        batch in prop::collection::vec(step(), 0..4),
    ) {
        let mut user = User::default();
        let mut ignored = Change::default();
        apply(&mut user, &before, NOW, &mut ignored);
        // A consistent starting point: the full evaluation of the earlier state.
        user.memberships = s.evaluate_user(&user.view(), None, NOW).apply(&BTreeSet::new());

        let mut change = Change::default();
        apply(&mut user, &batch, NOW, &mut change);
        let full = s.evaluate_user(&user.view(), None, NOW);
        let affected = s.affected_by(&change);
        let partial = s.evaluate_user(&user.view(), Some(&affected), NOW);
        prop_assert_eq!(&partial, &full);
        // Every audience that changed was in the affected list.
        for id in full.entered.iter().chain(&full.left) {
            prop_assert!(affected.contains(id));
        }
        // And nothing beyond the changed keys is needed when the change is empty.
        if change.is_empty() {
            prop_assert!(full.is_empty());
        }
    }

    #[test]
    fn nothing_changes_before_next_expiry_and_time_sensitive_covers_time_changes(
        s in audience_set(),
        before in prop::collection::vec(step(), 0..8),
        later in 1..(12 * DAY),
    ) {
        let mut user = User::default();
        let mut ignored = Change::default();
        apply(&mut user, &before, NOW, &mut ignored);
        user.memberships = s.evaluate_user(&user.view(), None, NOW).apply(&BTreeSet::new());
        let t = NOW + later;
        let full = s.evaluate_user(&user.view(), None, t);
        match s.next_expiry(&user.view(), NOW) {
            Some(e) if e <= t => {}
            // Time alone changed nothing before the next expiry.
            _ => prop_assert!(full.is_empty(), "changed at {} without expiry: {:?}", t, full),
        }
        let timed = s.evaluate_user(&user.view(), Some(&s.time_sensitive()), t);
        prop_assert_eq!(timed, full);
    }
}

#[test]
fn change_records_event_kind_and_lowercased_name() {
    let mut c = Change::default();
    let mut r = custom("Add To Cart", NOW, json!({}));
    r.kind = EventKind::CommerceAction("add_to_cart".into());
    c.record_event(&r);
    assert!(c.event_names.contains("add to cart"));
    assert!(c.event_kinds.contains(&EventKindTag::CommerceAction));
}
