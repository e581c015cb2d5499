//! Every criterion operator and window edge, evaluated through a compiled audience set.

mod common;

use braid_mparticle::IdentityType;
use common::*;
use serde_json::json;

fn attr_test(key: &str, op: &str, value: serde_json::Value) -> serde_json::Value {
    json!({"attribute": {"key": key, "op": op, "value": value}})
}

// ---- user attributes: strings ----

#[test]
fn equals_ignores_case_of_value_and_key() {
    let u = User::default().attr("$Country", json!("ES"));
    assert!(matches(attr_test("$Country", "equals", json!("es")), &u));
    assert!(matches(attr_test("$country", "equals", json!("Es")), &u));
    assert!(!matches(attr_test("$Country", "equals", json!("fr")), &u));
    assert!(!matches(attr_test("$City", "equals", json!("es")), &u));
}

#[test]
fn equals_compares_numbers_as_numbers_and_booleans_as_words() {
    let u = User::default()
        .attr("n", json!("5.0"))
        .attr("m", json!(5))
        .attr("b", json!(true));
    assert!(matches(attr_test("n", "equals", json!(5)), &u));
    assert!(matches(attr_test("m", "equals", json!("5")), &u));
    assert!(!matches(attr_test("m", "equals", json!(6)), &u));
    assert!(matches(attr_test("b", "equals", json!(true)), &u));
    assert!(matches(attr_test("b", "equals", json!("TRUE")), &u));
    assert!(!matches(attr_test("b", "equals", json!(false)), &u));
}

#[test]
fn list_attributes_match_when_any_element_matches() {
    let u = User::default().attr("tags", json!(["Gold", "Early Adopter"]));
    assert!(matches(attr_test("tags", "equals", json!("gold")), &u));
    assert!(matches(attr_test("tags", "contains", json!("adopt")), &u));
    assert!(matches(attr_test("tags", "pattern", json!("early*")), &u));
    assert!(!matches(attr_test("tags", "equals", json!("silver")), &u));
}

#[test]
fn contains_ignores_case() {
    let u = User::default().attr("bio", json!("Loves IBIZA in summer"));
    assert!(matches(attr_test("bio", "contains", json!("ibiza")), &u));
    assert!(!matches(attr_test("bio", "contains", json!("paris")), &u));
}

#[test]
fn pattern_supports_star_and_question_mark_over_the_whole_value() {
    let u = User::default().attr("email_domain", json!("Mail.Example.COM"));
    assert!(matches(
        attr_test("email_domain", "pattern", json!("*.example.com")),
        &u
    ));
    assert!(matches(
        attr_test("email_domain", "pattern", json!("m??l.*")),
        &u
    ));
    assert!(!matches(
        attr_test("email_domain", "pattern", json!("m?l.*")),
        &u
    ));
    assert!(!matches(
        attr_test("email_domain", "pattern", json!("example")),
        &u
    ));
}

#[test]
fn exists_needs_a_present_non_null_value() {
    let u = User::default()
        .attr("a", json!("x"))
        .attr("z", json!(null))
        .attr("empty", json!(""));
    let exists = |k: &str| json!({"attribute": {"key": k, "op": "exists"}});
    assert!(matches(exists("A"), &u));
    assert!(matches(exists("empty"), &u));
    assert!(!matches(exists("z"), &u));
    assert!(!matches(exists("missing"), &u));
}

// ---- user attributes: numbers ----

#[test]
fn numeric_comparisons_at_the_boundary() {
    let u = User::default().attr("score", json!("10"));
    let cases = [
        ("gt", 10, false),
        ("gt", 9, true),
        ("gte", 10, true),
        ("gte", 11, false),
        ("lt", 10, false),
        ("lt", 11, true),
        ("lte", 10, true),
        ("lte", 9, false),
        ("eq", 10, true),
        ("eq", 11, false),
        ("ne", 10, false),
        ("ne", 11, true),
    ];
    for (op, v, want) in cases {
        assert_eq!(
            matches(attr_test("score", op, json!(v)), &u),
            want,
            "score {op} {v}"
        );
    }
}

#[test]
fn numeric_comparisons_never_match_text_that_is_not_a_number() {
    let u = User::default()
        .attr("score", json!("high"))
        .attr("flag", json!(true));
    for op in ["gt", "gte", "lt", "lte", "eq", "ne"] {
        assert!(!matches(attr_test("score", op, json!(5)), &u), "{op}");
        assert!(!matches(attr_test("flag", op, json!(1)), &u), "{op}");
    }
}

// ---- user attributes: dates (UTC) ----

#[test]
fn before_a_day_excludes_that_day() {
    let c = attr_test("d", "before", json!("2024-03-01"));
    assert!(matches(
        c.clone(),
        &User::default().attr("d", json!("2024-02-29T23:59:59.999Z"))
    ));
    assert!(!matches(
        c.clone(),
        &User::default().attr("d", json!("2024-03-01T00:00:00Z"))
    ));
    assert!(!matches(
        c.clone(),
        &User::default().attr("d", json!("2024-03-01"))
    ));
    // 00:30 at +01:00 is still February 29th in UTC.
    assert!(matches(
        c,
        &User::default().attr("d", json!("2024-03-01T00:30:00+01:00"))
    ));
}

#[test]
fn after_a_day_excludes_that_day() {
    let c = attr_test("d", "after", json!("2024-03-01"));
    assert!(!matches(
        c.clone(),
        &User::default().attr("d", json!("2024-03-01T23:59:59.999Z"))
    ));
    assert!(matches(
        c.clone(),
        &User::default().attr("d", json!("2024-03-02T00:00:00Z"))
    ));
    assert!(matches(c, &User::default().attr("d", json!("2024-03-02"))));
}

#[test]
fn on_a_day_covers_exactly_that_utc_day() {
    let c = attr_test("d", "on", json!("2024-03-01"));
    assert!(matches(
        c.clone(),
        &User::default().attr("d", json!("2024-03-01T00:00:00Z"))
    ));
    assert!(matches(
        c.clone(),
        &User::default().attr("d", json!("2024-03-01T23:59:59.999Z"))
    ));
    assert!(!matches(
        c.clone(),
        &User::default().attr("d", json!("2024-03-02T00:00:00Z"))
    ));
    assert!(!matches(
        c,
        &User::default().attr("d", json!("2024-02-29T23:59:59.999Z"))
    ));
}

#[test]
fn before_and_after_an_instant_are_strict() {
    let at = "2024-03-01T12:00:00Z";
    let t = 1_709_294_400_000i64;
    let u = |ms: i64| User::default().attr("d", json!(ms));
    assert!(!matches(attr_test("d", "before", json!(at)), &u(t)));
    assert!(matches(attr_test("d", "before", json!(at)), &u(t - 1)));
    assert!(!matches(attr_test("d", "after", json!(at)), &u(t)));
    assert!(matches(attr_test("d", "after", json!(at)), &u(t + 1)));
}

#[test]
fn dates_are_read_from_unix_seconds_and_milliseconds() {
    let c = attr_test("d", "on", json!("2024-03-01"));
    assert!(matches(
        c.clone(),
        &User::default().attr("d", json!(1_709_251_200))
    ));
    assert!(matches(
        c.clone(),
        &User::default().attr("d", json!("1709251200000"))
    ));
    assert!(!matches(c, &User::default().attr("d", json!("not a date"))));
}

#[test]
fn within_last_days_is_inclusive_at_exactly_n_days_and_excludes_the_future() {
    let c = json!({"attribute": {"key": "signup", "op": "within_last_days", "days": 7}});
    let u = |ms: i64| User::default().attr("signup", json!(ms));
    assert!(matches(c.clone(), &u(NOW - 7 * DAY)));
    assert!(!matches(c.clone(), &u(NOW - 7 * DAY - 1)));
    assert!(matches(c.clone(), &u(NOW)));
    assert!(!matches(c.clone(), &u(NOW + 1)));
    // A bare day is its UTC midnight: 2024-03-08 is 7.5 days before NOW.
    assert!(!matches(
        c.clone(),
        &User::default().attr("signup", json!("2024-03-08"))
    ));
    assert!(matches(
        c,
        &User::default().attr("signup", json!("2024-03-09"))
    ));
}

// ---- identities, combinators ----

#[test]
fn identity_present_needs_a_non_empty_value() {
    let c = json!({"identity": "email"});
    assert!(matches(
        c.clone(),
        &User::default().identity(IdentityType::Email, "a@b.c")
    ));
    assert!(!matches(
        c.clone(),
        &User::default().identity(IdentityType::Email, "")
    ));
    assert!(!matches(
        c,
        &User::default().identity(IdentityType::CustomerId, "c1")
    ));
}

#[test]
fn nested_all_any_not_combine() {
    let c = json!({"all": [
        {"any": [
            {"attribute": {"key": "plan", "op": "equals", "value": "gold"}},
            {"attribute": {"key": "plan", "op": "equals", "value": "silver"}}
        ]},
        {"not": {"identity": "email"}},
        {"not": {"not": {"attribute": {"key": "age", "op": "gte", "value": 18}}}}
    ]});
    let base = User::default()
        .attr("plan", json!("Silver"))
        .attr("age", json!(20));
    assert!(matches(c.clone(), &base));
    assert!(!matches(
        c.clone(),
        &base.clone().identity(IdentityType::Email, "x@y.z")
    ));
    assert!(!matches(c.clone(), &base.clone().attr("age", json!(17))));
    assert!(!matches(c, &base.attr("plan", json!("bronze"))));
}

#[test]
fn empty_all_always_matches_and_empty_any_never_does() {
    assert!(matches(json!({"all": []}), &User::default()));
    assert!(!matches(json!({"any": []}), &User::default()));
}

// ---- event criteria ----

#[test]
fn event_counts_at_least_at_most_exactly() {
    let u = User::default()
        .event("Search", NOW - DAY, json!({}))
        .event("search", NOW - 2 * DAY, json!({}))
        .event("Other", NOW, json!({}));
    let ev = |k: &str, n: u32| json!({"event": {"name": "SEARCH", k: n, "within_days": 7}});
    assert!(matches(ev("at_least", 2), &u));
    assert!(!matches(ev("at_least", 3), &u));
    assert!(matches(ev("at_most", 2), &u));
    assert!(!matches(ev("at_most", 1), &u));
    assert!(matches(ev("exactly", 2), &u));
    assert!(!matches(ev("exactly", 1), &u));
    // "at most" includes never.
    assert!(matches(
        json!({"event": {"name": "Never", "at_most": 0, "within_days": 7}}),
        &u
    ));
    // Default is "at least once".
    assert!(matches(
        json!({"event": {"name": "other", "within_days": 1}}),
        &u
    ));
}

#[test]
fn event_window_includes_exactly_d_days_ago_and_not_a_millisecond_more() {
    let c = json!({"event": {"name": "Open", "within_days": 30}});
    assert!(matches(
        c.clone(),
        &User::default().event("Open", NOW - 30 * DAY, json!({}))
    ));
    assert!(!matches(
        c.clone(),
        &User::default().event("Open", NOW - 30 * DAY - 1, json!({}))
    ));
    // Events stamped in the future (client clock skew) count as recent.
    assert!(matches(
        c,
        &User::default().event("Open", NOW + DAY, json!({}))
    ));
}

#[test]
fn event_attribute_filters_all_must_match_ignoring_key_case() {
    let u = User::default()
        .event(
            "Search",
            NOW,
            json!({"Destination": "Ibiza Town", "nights": "3"}),
        )
        .event(
            "Search",
            NOW,
            json!({"Destination": "Paris", "nights": "7"}),
        );
    let c = |filters: serde_json::Value, n: u32| json!({"event": {"name": "search", "where": filters, "exactly": n, "within_days": 1}});
    assert!(matches(
        c(
            json!([{"key": "destination", "op": "pattern", "value": "ibiza*"}]),
            1
        ),
        &u
    ));
    assert!(matches(
        c(json!([{"key": "nights", "op": "gte", "value": 3}]), 2),
        &u
    ));
    assert!(matches(
        c(
            json!([
                {"key": "nights", "op": "gte", "value": 3},
                {"key": "destination", "op": "equals", "value": "paris"}
            ]),
            1
        ),
        &u
    ));
    assert!(matches(
        c(json!([{"key": "missing", "op": "exists"}]), 0),
        &u
    ));
}

#[test]
fn event_kind_filters_and_any_event_criteria() {
    let mut u = User::default().event("Home", NOW, json!({}));
    u.history[0].kind = braid_audiences::EventKind::ScreenView;
    assert!(matches(
        json!({"event": {"kind": "screen_view", "within_days": 1}}),
        &u
    ));
    assert!(!matches(
        json!({"event": {"kind": "custom", "within_days": 1}}),
        &u
    ));
    assert!(matches(
        json!({"event": {"name": "home", "kind": "screen_view", "within_days": 1}}),
        &u
    ));
    assert!(matches(json!({"event": {"within_days": 1}}), &u));
    assert!(!matches(
        json!({"event": {"within_days": 1}}),
        &User::default()
    ));
}

// ---- commerce ----

#[test]
fn purchased_product_by_sku_or_name_within_window() {
    let u = User::default().purchase(NOW - 10 * DAY, 30.0, &[("SKU-1", "Red Shoe")]);
    assert!(matches(
        json!({"purchased": {"sku": "sku-1", "within_days": 10}}),
        &u
    ));
    assert!(matches(
        json!({"purchased": {"name": "red shoe", "within_days": 30}}),
        &u
    ));
    assert!(!matches(
        json!({"purchased": {"sku": "sku-1", "within_days": 9}}),
        &u
    ));
    assert!(!matches(
        json!({"purchased": {"sku": "SKU-2", "within_days": 30}}),
        &u
    ));
    assert!(!matches(
        json!({"purchased": {"sku": "SKU-1", "name": "blue shoe", "within_days": 30}}),
        &u
    ));
    assert!(matches(
        json!({"purchased": {"sku": "SKU-1", "at_most": 0, "within_days": 9}}),
        &u
    ));
}

#[test]
fn purchase_total_sums_purchases_in_the_window() {
    let u = User::default()
        .purchase(NOW - DAY, 60.0, &[])
        .purchase(NOW - 5 * DAY, 40.0, &[])
        .purchase(NOW - 40 * DAY, 500.0, &[]);
    let total = |op: &str, v: f64, d: u32| json!({"purchase_total": {"op": op, "value": v, "within_days": d}});
    assert!(matches(total("gte", 100.0, 30), &u));
    assert!(!matches(total("gt", 100.0, 30), &u));
    assert!(!matches(total("gte", 100.0, 2), &u));
    assert!(matches(total("gte", 600.0, 40), &u));
    assert!(matches(total("lt", 1.0, 30), &User::default()));
}

// ---- calculated values ----

#[test]
fn calculated_sum_of_amount_spent_more_than_100_in_30_days() {
    let c = json!({"calculated": {"function": "sum", "of": "$amount", "kind": "purchase",
        "within_days": 30, "op": "gt", "value": 100}});
    let u = User::default()
        .purchase(NOW - DAY, 60.0, &[])
        .purchase(NOW - 2 * DAY, 41.0, &[]);
    assert!(matches(c.clone(), &u));
    assert!(!matches(
        c.clone(),
        &User::default().purchase(NOW, 100.0, &[])
    ));
    assert!(!matches(c, &User::default()));
}

#[test]
fn calculated_count_min_max_avg_of_an_event_attribute() {
    let u = User::default()
        .event("Rate", NOW - 3 * DAY, json!({"Stars": "2"}))
        .event("rate", NOW - 2 * DAY, json!({"stars": 5}))
        .event("Rate", NOW - DAY, json!({"comment": "no stars"}))
        .event("Rate", NOW - 9 * DAY, json!({"stars": 1}));
    let calc = |f: &str, of: Option<&str>, op: &str, v: f64| {
        let mut c = json!({"function": f, "name": "rate", "within_days": 7, "op": op, "value": v});
        if let Some(of) = of {
            c["of"] = json!(of);
        }
        json!({"calculated": c})
    };
    assert!(matches(calc("count", None, "eq", 3.0), &u));
    assert!(matches(calc("count", Some("stars"), "eq", 2.0), &u));
    assert!(matches(calc("sum", Some("stars"), "eq", 7.0), &u));
    assert!(matches(calc("min", Some("stars"), "eq", 2.0), &u));
    assert!(matches(calc("max", Some("stars"), "eq", 5.0), &u));
    assert!(matches(calc("avg", Some("stars"), "eq", 3.5), &u));
    // No values: min has no result, so no comparison matches.
    assert!(!matches(calc("min", Some("nothing"), "lt", 100.0), &u));
    assert!(matches(calc("sum", Some("nothing"), "eq", 0.0), &u));
}

#[test]
fn calculated_first_and_last_take_earliest_and_latest_by_time() {
    let u = User::default()
        .event("Visit", NOW - DAY, json!({"page": "Pricing"}))
        .event("Visit", NOW - 3 * DAY, json!({"page": "Home"}))
        .event("Visit", NOW - 2 * DAY, json!({"page": "Blog"}));
    let calc = |f: &str, v: &str| json!({"calculated": {"function": f, "of": "page", "name": "visit", "within_days": 7, "op": "equals", "value": v}});
    assert!(matches(calc("first", "home"), &u));
    assert!(matches(calc("last", "PRICING"), &u));
    assert!(!matches(calc("last", "blog"), &u));
}

// ---- membership of other audiences ----

#[test]
fn member_criteria_are_evaluated_after_their_dependencies() {
    // 3 depends on 2, which depends on 1: listed in reverse to prove ordering.
    let s = set(vec![
        audience(3, json!({"all": [{"member": 2}, {"identity": "email"}]})),
        audience(2, json!({"not": {"member": 1}})),
        audience(
            1,
            json!({"attribute": {"key": "vip", "op": "equals", "value": true}}),
        ),
    ]);
    assert_eq!(s.active_ids(), vec![1, 2, 3]);
    let u = User::default().identity(IdentityType::Email, "e@x.y");
    let d = s.evaluate_user(&u.view(), None, NOW);
    assert_eq!(d.entered, vec![2, 3]);

    // Becoming vip enters 1, which makes them leave 2 and therefore 3, in one pass, even
    // when only audience 1 is asked for.
    let u = u.member(2).member(3).attr("vip", json!(true));
    let d = s.evaluate_user(&u.view(), Some(&[1]), NOW);
    assert_eq!(d.entered, vec![1]);
    assert_eq!(d.left, vec![2, 3]);
}

#[test]
fn membership_cycles_are_refused_with_the_chain() {
    let err = braid_audiences::AudienceSet::new(vec![
        audience(1, json!({"member": 2})),
        audience(2, json!({"any": [{"member": 3}]})),
        audience(3, json!({"all": [{"member": 1}]})),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("membership cycle: 1 -> 2 -> 3 -> 1"),
        "{text}"
    );
    assert!(text.contains("criteria.all[0].member"), "{text}");
}

#[test]
fn member_of_itself_unknown_or_deleted_audience_is_refused() {
    let mut deleted = audience(9, json!({"all": []}));
    deleted.state = braid_audiences::AudienceState::Deleted;
    let err = braid_audiences::AudienceSet::new(vec![
        audience(1, json!({"member": 1})),
        audience(2, json!({"member": 42})),
        audience(3, json!({"not": {"member": 9}})),
        deleted,
    ])
    .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.0.len(), 3, "{text}");
    assert!(
        text.contains(
            "audiences[0] (id 1 \"A1\"): criteria.member: an audience cannot contain itself"
        ),
        "{text}"
    );
    assert!(text.contains("audience 42 does not exist"), "{text}");
    assert!(
        text.contains("criteria.not.member: audience 9 is deleted"),
        "{text}"
    );
}

// ---- states ----

#[test]
fn inactive_and_deleted_audiences_are_never_entered_or_left() {
    let mut inactive = audience(1, json!({"all": []}));
    inactive.state = braid_audiences::AudienceState::Inactive;
    let mut deleted = audience(2, json!({"all": []}));
    deleted.state = braid_audiences::AudienceState::Deleted;
    let s = set(vec![inactive, deleted, audience(3, json!({"member": 1}))]);
    assert_eq!(s.active_ids(), vec![3]);
    let d = s.evaluate_user(&User::default().view(), None, NOW);
    assert!(d.is_empty());
    // A frozen membership of the inactive audience is still seen by dependents.
    let d = s.evaluate_user(&User::default().member(1).view(), None, NOW);
    assert_eq!(d.entered, vec![3]);
}

// ---- validation ----

#[test]
fn operand_errors_name_the_field() {
    let err = braid_audiences::AudienceSet::new(vec![audience(
        7,
        json!({"all": [
            {"attribute": {"key": "a", "op": "gt", "value": "lots"}},
            {"attribute": {"key": "b", "op": "within_last_days"}},
            {"attribute": {"key": "c", "op": "exists", "value": 1}},
            {"event": {"name": "x", "at_least": 1, "exactly": 2, "within_days": 7}},
            {"event": {"name": "x", "within_days": 0}},
            {"attribute": {"key": "d", "op": "before", "value": "soon"}},
            {"calculated": {"function": "sum", "within_days": 7, "op": "gt", "value": 1}},
            {"purchase_total": {"op": "contains", "value": 1, "within_days": 7}},
            {"purchased": {"within_days": 7}}
        ]}),
    )])
    .unwrap_err();
    let msgs: Vec<String> = err
        .0
        .iter()
        .map(|e| format!("{}: {}", e.path, e.reason))
        .collect();
    let expect = [
        "criteria.all[0].attribute.value: operator \"gt\" needs a number",
        "criteria.all[1].attribute.days: within_last_days needs days",
        "criteria.all[2].attribute.value: operator \"exists\" takes no value",
        "criteria.all[3].event: give only one of at_least, at_most, exactly",
        "criteria.all[4].event.within_days: must be between 1 and 3660",
        "criteria.all[5].attribute.value: operator \"before\" needs a date",
        "criteria.all[6].calculated.of: function sum needs `of`",
        "criteria.all[7].purchase_total.op: operator \"contains\" is not numeric",
        "criteria.all[8].purchased: needs a sku or a name",
    ];
    for e in expect {
        assert!(
            msgs.iter().any(|m| m.starts_with(e)),
            "missing {e:?} in {msgs:#?}"
        );
    }
    assert!(err
        .0
        .iter()
        .all(|e| e.audience == "audiences[0] (id 7 \"A7\")"));
}

#[test]
fn duplicate_ids_are_refused() {
    let err = braid_audiences::AudienceSet::new(vec![
        audience(1, json!({"all": []})),
        audience(1, json!({"any": []})),
    ])
    .unwrap_err();
    assert!(err
        .to_string()
        .contains("audiences[1] (id 1 \"A1\"): id: duplicate audience id 1"));
}

#[test]
fn invalid_definition_never_matches_through_evaluate() {
    let a = audience(
        1,
        json!({"attribute": {"key": "a", "op": "gt", "value": "x"}}),
    );
    let u = User::default().attr("a", json!(5));
    assert!(!braid_audiences::evaluate(&a, &u.view(), NOW));
}
