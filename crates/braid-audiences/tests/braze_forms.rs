//! Membership as Braze attributes: the seven "Send Segments As" choices through enter,
//! leave and re-enter; the overflow rule; clean-up; and the overflow check.

mod common;

use braid_audiences::{
    check_overflow, cleanup_attributes, membership_attributes, FormLimits, MembershipDelta,
    Memberships, SendSegmentsAs, SEGMENT_MEMBERSHIP, SEGMENT_MEMBERSHIP_ARRAY,
};
use common::*;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Audiences 11036 and 13052 with the names of the Braze page's examples.
fn named_set() -> braid_audiences::AudienceSet {
    let mut a = audience(
        11036,
        json!({"attribute": {"key": "ibiza", "op": "equals", "value": true}}),
    );
    a.name = "Ibiza dreamers".into();
    let mut b = audience(
        13052,
        json!({"attribute": {"key": "paris", "op": "equals", "value": true}}),
    );
    b.name = "internal paris".into();
    b.external_name = Some("Possible Parisians".into());
    set(vec![a, b])
}

/// A fake Braze profile: the attributes as last written.
#[derive(Default)]
struct Profile(Map<String, Value>);

/// Drives one user through evaluations, keeping join times, and writes to the profile.
struct Sync {
    set: braid_audiences::AudienceSet,
    form: SendSegmentsAs,
    user: User,
    joined: BTreeMap<u64, i64>,
    profile: Profile,
}

impl Sync {
    fn step(&mut self, attrs: &[(&str, bool)], now: i64) -> Map<String, Value> {
        for (k, v) in attrs {
            self.user = std::mem::take(&mut self.user).attr(k, json!(v));
        }
        let delta = self.set.evaluate_user(&self.user.view(), None, now);
        self.user.memberships = delta.apply(&self.user.memberships);
        for id in &delta.left {
            self.joined.remove(id);
        }
        for id in &delta.entered {
            self.joined.insert(*id, now);
        }
        let m = Memberships {
            ids_with_join_time: self.joined.iter().map(|(k, v)| (*k, *v)).collect(),
        };
        let (attrs, report) =
            membership_attributes(self.form, &m, &delta, &self.set, FormLimits::default());
        assert!(report.is_empty());
        for (k, v) in &attrs {
            self.profile.0.insert(k.clone(), v.clone());
        }
        attrs
    }
}

#[test]
fn all_seven_forms_through_enter_leave_and_reenter() {
    for form in SendSegmentsAs::ALL {
        let mut s = Sync {
            set: named_set(),
            form,
            user: User::default(),
            joined: BTreeMap::new(),
            profile: Profile::default(),
        };
        // Enter both.
        let w = s.step(&[("ibiza", true), ("paris", true)], NOW);
        assert_eq!(w.get(SEGMENT_MEMBERSHIP).is_some(), form.string, "{form}");
        assert_eq!(
            w.get(SEGMENT_MEMBERSHIP_ARRAY).is_some(),
            form.array,
            "{form}"
        );
        let p = &s.profile.0;
        if form.string {
            assert_eq!(p[SEGMENT_MEMBERSHIP], json!("11036,13052"), "{form}");
        }
        if form.array {
            assert_eq!(
                p[SEGMENT_MEMBERSHIP_ARRAY],
                json!(["11036", "13052"]),
                "{form}"
            );
        }
        if form.per_segment {
            assert_eq!(p["In Ibiza dreamers"], json!(true), "{form}");
            assert_eq!(p["In Possible Parisians"], json!(true), "{form}");
        }
        assert!(
            !p.contains_key("In internal paris"),
            "external name is used: {form}"
        );

        // Leave one.
        let w = s.step(&[("ibiza", false)], NOW + 1);
        let p = &s.profile.0;
        if form.string {
            assert_eq!(p[SEGMENT_MEMBERSHIP], json!("13052"), "{form}");
        }
        if form.array {
            assert_eq!(p[SEGMENT_MEMBERSHIP_ARRAY], json!(["13052"]), "{form}");
        }
        if form.per_segment {
            assert_eq!(w["In Ibiza dreamers"], json!(false), "{form}");
            // Unchanged audiences are not rewritten.
            assert!(!w.contains_key("In Possible Parisians"), "{form}");
        }

        // Nothing changes: nothing is written.
        assert!(s.step(&[], NOW + 2).is_empty(), "{form}");

        // Re-enter.
        s.step(&[("ibiza", true)], NOW + 3);
        let p = &s.profile.0;
        if form.string {
            assert_eq!(p[SEGMENT_MEMBERSHIP], json!("11036,13052"), "{form}");
        }
        if form.array {
            assert_eq!(
                p[SEGMENT_MEMBERSHIP_ARRAY],
                json!(["11036", "13052"]),
                "{form}"
            );
        }
        if form.per_segment {
            assert_eq!(p["In Ibiza dreamers"], json!(true), "{form}");
        }

        // Leave all: the string and array become empty, the flags false.
        s.step(&[("ibiza", false), ("paris", false)], NOW + 4);
        let p = &s.profile.0;
        if form.string {
            assert_eq!(p[SEGMENT_MEMBERSHIP], json!(""), "{form}");
        }
        if form.array {
            assert_eq!(p[SEGMENT_MEMBERSHIP_ARRAY], json!([]), "{form}");
        }
        if form.per_segment {
            assert_eq!(p["In Ibiza dreamers"], json!(false), "{form}");
            assert_eq!(p["In Possible Parisians"], json!(false), "{form}");
        }
        let expected_keys =
            usize::from(form.string) + usize::from(form.array) + 2 * usize::from(form.per_segment);
        assert_eq!(p.len(), expected_keys, "{form}: {p:?}");
    }
}

fn members(ids: impl IntoIterator<Item = (u64, i64)>) -> Memberships {
    Memberships {
        ids_with_join_time: ids.into_iter().collect(),
    }
}

fn entered(id: u64) -> MembershipDelta {
    MembershipDelta {
        entered: vec![id],
        left: vec![],
    }
}

#[test]
fn array_overflow_keeps_the_most_recently_joined() {
    // 30 audiences joined one per minute: ids 100..130, the newest is 129.
    let m = members((0..30).map(|i| (100 + i, NOW + i as i64 * 60_000)));
    let names: BTreeMap<u64, String> = BTreeMap::new();
    let (attrs, report) = membership_attributes(
        SendSegmentsAs::ARRAY,
        &m,
        &entered(129),
        &names,
        FormLimits::default(),
    );
    let expect: Vec<String> = (105..130).map(|i: u64| i.to_string()).collect();
    assert_eq!(attrs[SEGMENT_MEMBERSHIP_ARRAY], json!(expect));
    assert_eq!(report.array_dropped, vec![100, 101, 102, 103, 104]);
    assert!(report.string_dropped.is_empty());
}

#[test]
fn string_overflow_never_passes_255_characters_and_keeps_the_newest_run() {
    // 60 five-digit ids: "10000,...": each costs 6 characters, so 42 fit in 255 (251).
    let m = members((0..60).map(|i| (10_000 + i, NOW + i as i64)));
    let names: BTreeMap<u64, String> = BTreeMap::new();
    let (attrs, report) = membership_attributes(
        SendSegmentsAs::STRING,
        &m,
        &entered(10_059),
        &names,
        FormLimits::default(),
    );
    let text = attrs[SEGMENT_MEMBERSHIP].as_str().unwrap();
    assert!(text.len() <= 255, "{}", text.len());
    let kept: Vec<u64> = text.split(',').map(|s| s.parse().unwrap()).collect();
    assert_eq!(kept, (10_018..10_060).collect::<Vec<_>>());
    assert_eq!(report.string_dropped, (10_000..10_018).collect::<Vec<_>>());
    assert_eq!(report.dropped_ids().len(), 18);
}

#[test]
fn string_overflow_does_not_let_an_older_short_id_replace_a_newer_long_one() {
    // Limit 11: the newest "123456" fits (6), then "7890123" (7 + comma) does not, and the
    // older "9" must not take its place even though it would fit.
    let m = members([(9, NOW), (7_890_123, NOW + 1), (123_456, NOW + 2)]);
    let names: BTreeMap<u64, String> = BTreeMap::new();
    let limits = FormLimits {
        max_string_chars: 11,
        max_array_len: 25,
    };
    let (attrs, report) = membership_attributes(
        SendSegmentsAs::STRING,
        &m,
        &entered(123_456),
        &names,
        limits,
    );
    assert_eq!(attrs[SEGMENT_MEMBERSHIP], json!("123456"));
    assert_eq!(report.string_dropped, vec![9, 7_890_123]);
}

#[test]
fn join_time_ties_keep_the_higher_id() {
    let m = members([(1, NOW), (2, NOW), (3, NOW)]);
    let names: BTreeMap<u64, String> = BTreeMap::new();
    let limits = FormLimits {
        max_string_chars: 255,
        max_array_len: 2,
    };
    let (attrs, report) =
        membership_attributes(SendSegmentsAs::ARRAY, &m, &entered(3), &names, limits);
    assert_eq!(attrs[SEGMENT_MEMBERSHIP_ARRAY], json!(["2", "3"]));
    assert_eq!(report.array_dropped, vec![1]);
}

#[test]
fn unknown_names_are_reported_not_invented() {
    let names: BTreeMap<u64, String> = BTreeMap::from([(1, "One".to_string())]);
    let delta = MembershipDelta {
        entered: vec![1, 2],
        left: vec![],
    };
    let (attrs, report) = membership_attributes(
        SendSegmentsAs::PER_SEGMENT,
        &members([(1, NOW), (2, NOW)]),
        &delta,
        &names,
        FormLimits::default(),
    );
    assert_eq!(attrs, json!({"In One": true}).as_object().unwrap().clone());
    assert_eq!(report.unnamed, vec![2]);
}

#[test]
fn cleanup_writes_false_and_removes_the_id_for_every_form() {
    let s = named_set();
    let gone = s.get(13052).unwrap().clone();
    let remaining = members([(11036, NOW), (13052, NOW + 1)]);
    for form in SendSegmentsAs::ALL {
        let (attrs, report) = cleanup_attributes(form, &gone, &remaining, FormLimits::default());
        assert!(report.is_empty());
        if form.string {
            assert_eq!(attrs[SEGMENT_MEMBERSHIP], json!("11036"), "{form}");
        }
        if form.array {
            assert_eq!(attrs[SEGMENT_MEMBERSHIP_ARRAY], json!(["11036"]), "{form}");
        }
        if form.per_segment {
            assert_eq!(attrs["In Possible Parisians"], json!(false), "{form}");
        }
        assert_eq!(
            attrs.len(),
            usize::from(form.string) + usize::from(form.array) + usize::from(form.per_segment)
        );
    }
}

#[test]
fn check_counts_overflowing_users_per_form_and_audience() {
    let ids: Vec<u64> = (1..=30).collect();
    let s = set(ids
        .iter()
        .map(|i| audience(*i, json!({"all": []})))
        .collect());
    let small = members([(1, NOW)]);
    // 30 audiences: array overflows (25), string "1,2,...,30" is 80 chars: fits.
    let many = members(ids.iter().map(|i| (*i, NOW + *i as i64)));
    // Unknown audience ids are not counted.
    let unknown = members((1000..1030).map(|i| (i, NOW)));
    let pop = [small, many.clone(), many, unknown];
    let limits = FormLimits::default();
    let r = check_overflow(&s, pop.iter(), limits);
    assert_eq!(r.users, 4);
    assert_eq!((r.string_only, r.array_only, r.both), (0, 2, 0));
    assert_eq!(r.users_overflowing(SendSegmentsAs::STRING), 0);
    assert_eq!(r.users_overflowing(SendSegmentsAs::ARRAY), 2);
    assert_eq!(r.users_overflowing(SendSegmentsAs::PER_SEGMENT), 0);
    assert_eq!(
        r.array_dropped_by_audience,
        BTreeMap::from([(1, 2), (2, 2), (3, 2), (4, 2), (5, 2)])
    );
    let by_form: Vec<u64> = r.by_form().into_iter().map(|(_, n)| n).collect();
    assert_eq!(by_form, vec![0, 2, 0, 2, 2, 0, 2]);

    // A tight string limit makes the same users overflow both.
    let tight = FormLimits {
        max_string_chars: 10,
        max_array_len: 25,
    };
    let r = check_overflow(&s, pop.iter(), tight);
    assert_eq!((r.string_only, r.array_only, r.both), (0, 0, 2));
    assert_eq!(
        r.users_overflowing(SendSegmentsAs::new(true, false, true)),
        2
    );
}
