//! User attributes → the Braze attributes object: reserved mParticle attributes to
//! Braze standard fields, everything else to custom attributes, plus `email`,
//! subscription states and subscription groups.
//!
//! Which attributes are sent: with `include_enriched_user_attributes` every attribute
//! of the profile after the batch; otherwise only those the batch changed
//! (`user_attributes`, `deleted_user_attributes`, `user_attribute_change` events).
//! Values always come from the profile after the batch, so every source of change
//! agrees; a changed key missing from the profile was deleted and is sent as `null`.

use super::values::{detected_or_fitted, fit_array, fit_string, parse_dob, year_of};
use super::{identity, Ctx};
use crate::wire::UserRef;
use braid_mparticle::event::Event;
use braid_mparticle::AttributeValue;
use isocountry::CountryCode;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::OnceLock;

/// Keys of an attributes object that are not attributes: a user attribute with one of
/// these names would change who the object names, so it is renamed `mp_<name>`.
const OBJECT_KEYS: [&str; 6] = [
    "external_id",
    "user_alias",
    "braze_id",
    "_update_existing_only",
    "push_tokens",
    "subscription_groups",
];

/// The attribute keys to send, in order: with enrichment every key of the profile,
/// else the keys the batch changed.
pub(crate) fn changed_keys<'a>(ctx: &Ctx<'a>) -> Vec<&'a str> {
    let input = ctx.input;
    let settings = ctx.settings;
    let batch = input.batch;
    let mut changed: Vec<&str> = Vec::with_capacity(
        if settings.include_enriched_user_attributes {
            input.attributes.len()
        } else {
            batch.user_attributes.len()
        } + batch.deleted_user_attributes.len(),
    );
    if settings.include_enriched_user_attributes {
        for k in input.attributes.keys() {
            add(k, &mut changed);
        }
    } else {
        for k in batch.user_attributes.keys() {
            add(k, &mut changed);
        }
    }
    for k in &batch.deleted_user_attributes {
        add(k, &mut changed);
    }
    for event in &batch.events {
        if let Event::UserAttributeChange(c) = event {
            add(&c.user_attribute_name, &mut changed);
        }
    }
    changed
}

/// Map the attributes `changed` (from [`changed_keys`]) into `ctx.attributes`.
pub(crate) fn map_attributes(ctx: &mut Ctx<'_>, changed: Vec<&str>) {
    let input = ctx.input;
    let settings = ctx.settings;

    // `email` from the email identity: sent when it changed, or always when enriched
    // (mParticle's "enriched identities" travel with enriched attributes). When email
    // is the object's identifier it is already there.
    if !matches!(ctx.user, UserRef::Email(_)) {
        if let Some(email) = identity::email_str(settings, input.identities) {
            let changed = identity::email_str(settings, input.identities_before) != Some(email);
            if changed || settings.include_enriched_user_attributes {
                ctx.attributes
                    .insert("email".into(), Value::String(email.to_string()));
            }
        }
    }

    // An explicit `dob` gives an exact date and wins over the estimate from `$Age`.
    let has_dob = input
        .attributes
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("dob") && dob_value(v).is_some());
    for key in changed {
        map_one(ctx, key, input.attributes.get(key), has_dob);
    }
}

fn add<'a>(k: &'a str, changed: &mut Vec<&'a str>) {
    if !changed.contains(&k) {
        changed.push(k);
    }
}

/// mParticle's reserved attribute names (and braid's reserved `dob` and subscription
/// states), in lower case.
const RESERVED_KEYS: [&str; 13] = [
    "$firstname",
    "$lastname",
    "$city",
    "$mobile",
    "$gender",
    "$country",
    "$age",
    "dob",
    "$zip",
    "$state",
    "$address",
    "email_subscribe",
    "push_subscribe",
];

/// Map one attribute; `None` means it was deleted.
fn map_one(ctx: &mut Ctx<'_>, key: &str, value: Option<&AttributeValue>, has_dob: bool) {
    if let Some(m) = ctx
        .settings
        .subscription_group_mapping
        .iter()
        .find(|m| m.attribute.eq_ignore_ascii_case(key))
    {
        let id = m.subscription_group_id.clone();
        subscription_group(ctx, id, value);
        return;
    }
    // Reserved names match in any letter case.
    let reserved = RESERVED_KEYS
        .iter()
        .find(|name| name.eq_ignore_ascii_case(key))
        .copied()
        .unwrap_or_default();
    match reserved {
        "$firstname" => standard_string(ctx, "first_name", value),
        "$lastname" => standard_string(ctx, "last_name", value),
        "$city" => standard_string(ctx, "home_city", value),
        "$mobile" => standard_string(ctx, "phone", value),
        "$gender" => normalised(ctx, "gender", value, gender),
        "$country" => normalised(ctx, "country", value, country),
        "$age" => {
            if !has_dob {
                let year = year_of(ctx.input.now_ms);
                normalised(ctx, "dob", value, |s| dob_from_age(s, year));
            }
        }
        "dob" => normalised(ctx, "dob", value, parse_dob),
        // Custom attributes kept as strings (no type detection): a ZIP code such as
        // 01234 must not become a number.
        "$zip" => standard_string(ctx, "Zip", value),
        "$state" => standard_string(ctx, "State", value),
        "$address" => standard_string(ctx, "Address", value),
        "email_subscribe" => subscription_state(ctx, "email_subscribe", value),
        "push_subscribe" => subscription_state(ctx, "push_subscribe", value),
        _ => {
            let stripped = key.trim_start_matches('$');
            if stripped.is_empty()
                || stripped.chars().count() > ctx.settings.limits.max_property_key_chars
            {
                ctx.counters.dropped_invalid_keys += 1;
                return;
            }
            if is_object_key(ctx, stripped) {
                ctx.counters.renamed_reserved_keys += 1;
                return custom(ctx, format!("mp_{stripped}"), value);
            }
            standard_or_custom(ctx, stripped, value);
        }
    }
}

/// An attribute that is not an mParticle reserved attribute. One named exactly like a
/// Braze standard field (`first_name`, `country`, `email`, …; Braze's names are
/// case-sensitive) sets that field, with the field's normalisation, since that is
/// what Braze would do with it anyway; anything else is a custom attribute.
fn standard_or_custom(ctx: &mut Ctx<'_>, name: &str, value: Option<&AttributeValue>) {
    match name {
        "first_name" | "last_name" | "home_city" | "language" | "time_zone" | "phone" => {
            standard_string(ctx, name, value)
        }
        "gender" => normalised(ctx, "gender", value, gender),
        "country" => normalised(ctx, "country", value, country),
        "dob" => normalised(ctx, "dob", value, parse_dob),
        "email" => normalised(ctx, "email", value, |s| {
            crate::validate::is_plausible_email(s).then(|| s.to_string())
        }),
        "email_subscribe" | "push_subscribe" => subscription_state(ctx, name, value),
        _ => custom(ctx, name.to_string(), value),
    }
}

fn is_object_key(ctx: &Ctx<'_>, key: &str) -> bool {
    OBJECT_KEYS.contains(&key)
        || (key == "email" && matches!(ctx.user, UserRef::Email(_)))
        || (key == "phone" && matches!(ctx.user, UserRef::Phone(_)))
}

/// A value as text for a string field; counts and returns `None` for nulls and objects.
fn text_of<'v>(ctx: &mut Ctx<'_>, value: &'v AttributeValue) -> Option<Cow<'v, str>> {
    match value {
        AttributeValue::String(s) => Some(Cow::Borrowed(s)),
        AttributeValue::Number(n) => Some(Cow::Owned(n.to_string())),
        AttributeValue::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        AttributeValue::List(items) => Some(Cow::Owned(items.join(","))),
        AttributeValue::Null => {
            ctx.counters.skipped_null_attributes += 1;
            None
        }
        AttributeValue::Other(_) => {
            ctx.counters.dropped_object_attributes += 1;
            None
        }
    }
}

/// A standard string field (first_name, …) or a custom attribute kept as a string.
fn standard_string(ctx: &mut Ctx<'_>, field: &str, value: Option<&AttributeValue>) {
    let Some(value) = value else {
        ctx.attributes.insert(field.into(), Value::Null);
        return;
    };
    let Some(text) = text_of(ctx, value) else {
        return;
    };
    let (max, rule) = (ctx.max_chars(), ctx.settings.oversize);
    if let Some(s) = fit_string(&text, max, rule, &mut ctx.counters) {
        ctx.attributes.insert(field.into(), Value::String(s));
    }
}

/// A standard field whose value must be normalised; unrecognised values are not sent
/// (Braze would store null, silently erasing the previous value) and are counted.
fn normalised(
    ctx: &mut Ctx<'_>,
    field: &str,
    value: Option<&AttributeValue>,
    normalise: impl Fn(&str) -> Option<String>,
) {
    let Some(value) = value else {
        ctx.attributes.insert(field.into(), Value::Null);
        return;
    };
    let Some(text) = text_of(ctx, value) else {
        return;
    };
    match normalise(text.trim()) {
        Some(v) => {
            ctx.attributes.insert(field.into(), Value::String(v));
        }
        None => ctx.counters.unrecognised_values += 1,
    }
}

/// A custom attribute.
fn custom(ctx: &mut Ctx<'_>, name: String, value: Option<&AttributeValue>) {
    let Some(value) = value else {
        ctx.attributes.insert(name, Value::Null);
        return;
    };
    let (max, rule) = (ctx.max_chars(), ctx.settings.oversize);
    let out = match value {
        AttributeValue::String(s) => {
            let detect = ctx.settings.type_detection.users();
            detected_or_fitted(s, detect, max, rule, &mut ctx.counters)
        }
        AttributeValue::Number(n) => Some(Value::Number(n.clone())),
        AttributeValue::Bool(b) => Some(Value::Bool(*b)),
        AttributeValue::List(items) => {
            if ctx.settings.send_user_attribute_lists_as_arrays {
                let max_len = ctx.max_array();
                fit_array(items, max, max_len, rule, &mut ctx.counters).map(Value::Array)
            } else {
                fit_string(&items.join(","), max, rule, &mut ctx.counters).map(Value::String)
            }
        }
        AttributeValue::Null => {
            ctx.counters.skipped_null_attributes += 1;
            None
        }
        AttributeValue::Other(_) => {
            ctx.counters.dropped_object_attributes += 1;
            None
        }
    };
    if let Some(v) = out {
        ctx.attributes.insert(name, v);
    }
}

/// `email_subscribe` / `push_subscribe`: `opted_in`, `subscribed` or `unsubscribed` in
/// any letter case; a boolean true means `opted_in` and false `unsubscribed`. A deleted
/// state is not sent: Braze has no "unset" for subscription states.
fn subscription_state(ctx: &mut Ctx<'_>, field: &str, value: Option<&AttributeValue>) {
    let Some(value) = value else { return };
    let state = match value {
        AttributeValue::Bool(true) => Some("opted_in"),
        AttributeValue::Bool(false) => Some("unsubscribed"),
        AttributeValue::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "opted_in" => Some("opted_in"),
            "subscribed" => Some("subscribed"),
            "unsubscribed" => Some("unsubscribed"),
            _ => None,
        },
        _ => None,
    };
    match state {
        Some(s) => {
            ctx.attributes.insert(field.into(), Value::String(s.into()));
        }
        None => ctx.counters.unrecognised_values += 1,
    }
}

/// A mapped subscription-group attribute: true subscribes, false unsubscribes (also
/// the strings `true` / `false`). The attribute itself is not sent as a custom
/// attribute: the group state is what it means, and it is free of data points.
fn subscription_group(ctx: &mut Ctx<'_>, group_id: String, value: Option<&AttributeValue>) {
    let subscribed = match value {
        Some(AttributeValue::Bool(b)) => Some(*b),
        Some(AttributeValue::String(s)) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Some(AttributeValue::String(s)) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        // Deleting the attribute says nothing about the subscription.
        None => return,
        _ => None,
    };
    let Some(subscribed) = subscribed else {
        ctx.counters.unrecognised_values += 1;
        return;
    };
    let mut entry = Map::new();
    entry.insert(
        "subscription_group_id".into(),
        Value::String(group_id.clone()),
    );
    let state = if subscribed {
        "subscribed"
    } else {
        "unsubscribed"
    };
    entry.insert("subscription_state".into(), Value::String(state.into()));
    let groups = ctx
        .attributes
        .entry("subscription_groups")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = groups {
        list.retain(|g| {
            g.get("subscription_group_id").and_then(Value::as_str) != Some(group_id.as_str())
        });
        list.push(Value::Object(entry));
    }
}

fn dob_value(v: &AttributeValue) -> Option<String> {
    match v {
        AttributeValue::String(s) => parse_dob(s),
        _ => None,
    }
}

/// `$Gender` → Braze's `M`, `F`, `O` (other), `N` (not applicable), `P` (prefer not to
/// say). Accepted spellings, in any case: m/male/man, f/female/woman,
/// o/other/non-binary/nonbinary, n/na/n/a/not applicable/unknown/u (mParticle SDKs use
/// "unknown"/"NA" for not available), p/prefer not to say.
pub fn gender(s: &str) -> Option<String> {
    const SPELLINGS: [(&str, &str); 21] = [
        ("m", "M"),
        ("male", "M"),
        ("man", "M"),
        ("f", "F"),
        ("female", "F"),
        ("woman", "F"),
        ("o", "O"),
        ("other", "O"),
        ("non binary", "O"),
        ("nonbinary", "O"),
        ("n", "N"),
        ("na", "N"),
        ("n/a", "N"),
        ("not applicable", "N"),
        ("unknown", "N"),
        ("u", "N"),
        ("not available", "N"),
        ("p", "P"),
        ("prefer not to say", "P"),
        ("prefer not to answer", "P"),
        ("undisclosed", "P"),
    ];
    // Compared in place, as if lower-cased with `_` and `-` read as spaces.
    let g = s.trim().as_bytes();
    let loosely_equal = |spelling: &str| {
        spelling.len() == g.len()
            && spelling.bytes().zip(g).all(|(want, &got)| {
                let got = match got {
                    b'_' | b'-' => b' ',
                    other => other.to_ascii_lowercase(),
                };
                want == got
            })
    };
    SPELLINGS
        .iter()
        .find(|(spelling, _)| loosely_equal(spelling))
        .map(|(_, code)| (*code).to_string())
}

/// `$Age` → `dob`: January 1st of (current year − age). Ages must be whole or decimal
/// numbers in 0…=150 (a decimal age is rounded down).
pub fn dob_from_age(s: &str, current_year: i32) -> Option<String> {
    let age: f64 = s.trim().parse().ok()?;
    if !age.is_finite() || !(0.0..=150.0).contains(&age) {
        return None;
    }
    let year = current_year - age.floor() as i32;
    let year = u16::try_from(year).ok().filter(|y| *y <= 9999)?;
    // `{year:04}-01-01`, without the formatting machinery.
    let mut dob = String::with_capacity(10);
    for divisor in [1000, 100, 10, 1] {
        dob.push(char::from(b'0' + (year / divisor % 10) as u8));
    }
    dob.push_str("-01-01");
    Some(dob)
}

/// `$Country` → ISO 3166-1 alpha-2. Accepts alpha-2 and alpha-3 codes in any case, the
/// ISO English short name (also its part before a parenthesis or comma when that is
/// unambiguous, e.g. "Bolivia"), and a few common names (UK, USA, Russia, …).
pub fn country(s: &str) -> Option<String> {
    let s = s.trim();
    let found = match s.len() {
        2 => alpha2_caseless(s),
        3 => CountryCode::for_alpha3_caseless(s).ok(),
        _ => None,
    };
    if let Some(c) = found {
        return Some(c.alpha2().to_string());
    }
    let lower = s.to_lowercase();
    const COMMON: [(&str, &str); 16] = [
        ("uk", "GB"),
        ("great britain", "GB"),
        ("united kingdom", "GB"),
        ("england", "GB"),
        ("scotland", "GB"),
        ("wales", "GB"),
        ("united states", "US"),
        ("america", "US"),
        ("russia", "RU"),
        ("south korea", "KR"),
        ("north korea", "KP"),
        ("vietnam", "VN"),
        ("czech republic", "CZ"),
        ("taiwan", "TW"),
        ("syria", "SY"),
        ("laos", "LA"),
    ];
    if let Some((_, code)) = COMMON.iter().find(|(name, _)| *name == lower) {
        return Some((*code).to_string());
    }
    if let Some(c) = CountryCode::iter().find(|c| c.name().to_lowercase() == lower) {
        return Some(c.alpha2().to_string());
    }
    let short = |name: &str| {
        name.split([',', '('])
            .next()
            .unwrap_or(name)
            .trim()
            .to_lowercase()
    };
    let mut matches = CountryCode::iter().filter(|c| short(c.name()) == lower);
    match (matches.next(), matches.next()) {
        (Some(c), None) => Some(c.alpha2().to_string()),
        _ => None,
    }
}

/// The country of a two-letter code in any letter case, from a table indexed by the
/// letters (the country crate's own lookup upper-cases into a new string and tries
/// every code in turn). Same answers as `CountryCode::for_alpha2_caseless`.
fn alpha2_caseless(code: &str) -> Option<CountryCode> {
    static BY_LETTERS: OnceLock<Vec<Option<CountryCode>>> = OnceLock::new();
    let index = |a: u8, b: u8| usize::from(a - b'A') * 26 + usize::from(b - b'A');
    let table = BY_LETTERS.get_or_init(|| {
        let mut table = vec![None; 26 * 26];
        for country in CountryCode::iter() {
            if let [a, b] = *country.alpha2().as_bytes() {
                table[index(a, b)] = Some(*country);
            }
        }
        table
    });
    match *code.as_bytes() {
        [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            table[index(a.to_ascii_uppercase(), b.to_ascii_uppercase())]
        }
        // Anything else (one two-byte character) keeps the crate's own rules.
        _ => CountryCode::for_alpha2_caseless(code).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gender_spellings_normalise_to_braze_codes() {
        for (input, code) in [
            ("Male", "M"),
            ("m", "M"),
            ("FEMALE", "F"),
            ("woman", "F"),
            ("non-binary", "O"),
            ("other", "O"),
            ("unknown", "N"),
            ("NA", "N"),
            ("prefer_not_to_say", "P"),
        ] {
            assert_eq!(gender(input).as_deref(), Some(code), "{input}");
        }
        assert_eq!(gender("robot"), None);
    }

    #[test]
    fn age_becomes_january_first_of_the_birth_year() {
        assert_eq!(dob_from_age("30", 2024).as_deref(), Some("1994-01-01"));
        assert_eq!(dob_from_age("30.9", 2024).as_deref(), Some("1994-01-01"));
        assert_eq!(dob_from_age("150", 2024).as_deref(), Some("1874-01-01"));
        assert_eq!(dob_from_age("5", 10).as_deref(), Some("0005-01-01"));
        assert_eq!(dob_from_age("11", 10), None);
        assert_eq!(dob_from_age("-1", 2024), None);
        assert_eq!(dob_from_age("200", 2024), None);
        assert_eq!(dob_from_age("old", 2024), None);
    }

    #[test]
    fn countries_normalise_to_alpha_2() {
        for (input, code) in [
            ("us", "US"),
            ("USA", "US"),
            ("deu", "DE"),
            ("Germany", "DE"),
            ("UK", "GB"),
            ("United States of America", "US"),
            ("bolivia", "BO"),
            ("Viet Nam", "VN"),
        ] {
            assert_eq!(country(input).as_deref(), Some(code), "{input}");
        }
        assert_eq!(country("Korea"), None, "ambiguous names are not guessed");
        for code in CountryCode::iter() {
            let lower = code.alpha2().to_ascii_lowercase();
            assert_eq!(alpha2_caseless(&lower), Some(*code), "{lower}");
        }
        assert_eq!(alpha2_caseless("é"), None);
        assert_eq!(country("Atlantis"), None);
        assert_eq!(country("XX"), None);
    }
}
