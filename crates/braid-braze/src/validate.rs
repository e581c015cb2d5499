//! The one validator of `/users/track` objects and requests, used by braid before sending
//! and by `braze-sim` on receipt, so the two can never disagree.
//!
//! Two levels, as Braze answers them:
//! - [`validate_request_shape`] (and [`parse_track_request`]) reject a whole request —
//!   Braze answers 400 or 413 and applies nothing;
//! - [`validate_object`] rejects one object — Braze answers 201 with that object listed in
//!   `errors` and applies the others.
//!
//! The rules are those of Braze's `/users/track` reference narrowed to what the mParticle
//! integration sends: no objects or nested objects as custom attributes, no arrays or
//! nested objects as event properties except the bundled commerce `products` array.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use crate::limits::Limits;
use crate::wire::{TrackArray, TrackRequest};

/// Identifier fields that always name the user when present.
const STRONG_IDENTIFIERS: [&str; 3] = ["external_id", "user_alias", "braze_id"];

/// Event property keys Braze reserves.
const RESERVED_PROPERTY_KEYS: [&str; 2] = ["time", "event_name"];

/// Standard attributes that hold a free-form string (or null to remove it).
const STANDARD_STRING_ATTRIBUTES: [&str; 6] = [
    "first_name",
    "last_name",
    "home_city",
    "language",
    "time_zone",
    "phone",
];

/// Allowed values of `email_subscribe` and `push_subscribe`.
const SUBSCRIBE_STATES: [&str; 3] = ["opted_in", "subscribed", "unsubscribed"];

/// Allowed values of `gender`.
const GENDERS: [&str; 5] = ["M", "F", "O", "N", "P"];

/// The field that names the object's user, if any.
///
/// `external_id`, `user_alias` and `braze_id` take precedence; without them `email`, then
/// `phone`, is the identifier. Next to a stronger identifier `email`/`phone` are attributes.
pub fn identifier_field(object: &Map<String, Value>) -> Option<&'static str> {
    IdentifierFields::scan(object)
        .identifier()
        .map(|(field, _)| field)
}

/// The fields that can name an object's user, found in one pass over its keys.
///
/// Objects are small, so comparing keys is cheaper than hashing each candidate name
/// for a map lookup (the maps hash with SipHash).
#[derive(Default)]
struct IdentifierFields<'a> {
    external_id: Option<&'a Value>,
    user_alias: Option<&'a Value>,
    braze_id: Option<&'a Value>,
    email: Option<&'a Value>,
    phone: Option<&'a Value>,
    update_existing_only: Option<&'a Value>,
}

impl<'a> IdentifierFields<'a> {
    fn scan(object: &'a Map<String, Value>) -> Self {
        let mut found = IdentifierFields::default();
        for (key, value) in object {
            let slot = match key.as_str() {
                "external_id" => &mut found.external_id,
                "user_alias" => &mut found.user_alias,
                "braze_id" => &mut found.braze_id,
                "email" => &mut found.email,
                "phone" => &mut found.phone,
                "_update_existing_only" => &mut found.update_existing_only,
                _ => continue,
            };
            *slot = Some(value);
        }
        found
    }

    /// The strong identifiers present, in `STRONG_IDENTIFIERS` order.
    fn strong(&self) -> impl Iterator<Item = (&'static str, &'a Value)> {
        STRONG_IDENTIFIERS
            .into_iter()
            .zip([self.external_id, self.user_alias, self.braze_id])
            .filter_map(|(field, value)| Some((field, value?)))
    }

    /// The identifying field and its value, by the precedence of [`identifier_field`].
    fn identifier(&self) -> Option<(&'static str, &'a Value)> {
        self.strong().next().or_else(|| {
            [("email", self.email), ("phone", self.phone)]
                .into_iter()
                .find_map(|(field, value)| Some((field, value?)))
        })
    }
}

/// One object Braze would reject, with Braze's error `type` and a human detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error_type}: {detail}")]
pub struct ObjectError {
    /// Braze-style error type, e.g. `"Invalid product_id"`, `"Invalid time"`,
    /// `"Missing identifier"`; this is what goes into the answer's `errors[].type`.
    pub error_type: String,
    /// What exactly is wrong, for logs and dead letters.
    pub detail: String,
}

impl ObjectError {
    fn new(error_type: impl Into<String>, detail: impl Into<String>) -> Self {
        ObjectError {
            error_type: error_type.into(),
            detail: detail.into(),
        }
    }

    fn invalid(field: &str, detail: impl Into<String>) -> Self {
        ObjectError::new(format!("Invalid {field}"), detail)
    }
}

/// A whole request Braze would reject (400, or 413 for the body size): nothing is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// More objects than the contract shape allows.
    #[error("too many objects: {attributes} attributes, {events} events and {purchases} purchases exceed the {contract} contract")]
    TooManyObjects {
        contract: crate::limits::ContractShape,
        attributes: usize,
        events: usize,
        purchases: usize,
    },
    /// More distinct `external_id`s than allowed ("Max Input Length Exceeded").
    #[error("max input length exceeded: {count} distinct external ids, at most {max} allowed")]
    TooManyExternalIds { count: usize, max: usize },
    /// The body is over the size limit (413).
    #[error("body of {bytes} bytes exceeds the {max} byte limit")]
    BodyTooLarge { bytes: usize, max: usize },
    /// The body is JSON but not an object.
    #[error("request body is not a json object")]
    NotAnObject,
    /// The body is not valid JSON, or its arrays are not arrays of objects.
    #[error("malformed request body: {0}")]
    Malformed(String),
    /// No attributes, events or purchases at all.
    #[error("request has no attributes, events or purchases")]
    Empty,
}

impl RequestError {
    /// The HTTP status Braze answers with.
    pub fn status(&self) -> u16 {
        match self {
            RequestError::BodyTooLarge { .. } => 413,
            _ => 400,
        }
    }

    /// The `message` Braze puts in the answer body.
    pub fn braze_message(&self) -> String {
        match self {
            RequestError::TooManyExternalIds { .. } => "Max Input Length Exceeded".into(),
            RequestError::BodyTooLarge { .. } => "Payload Too Large".into(),
            RequestError::Malformed(_) | RequestError::NotAnObject => {
                "Received unparsable JSON body".into()
            }
            other => other.to_string(),
        }
    }
}

/// Parse a `/users/track` body and check its shape: everything that makes Braze reject
/// the whole request before looking at objects.
pub fn parse_track_request(body: &[u8], limits: &Limits) -> Result<TrackRequest, RequestError> {
    let req = parse_track_body(body, limits)?;
    validate_request_shape(&req, body.len(), limits)?;
    Ok(req)
}

/// Parse a `/users/track` body without checking its shape: the size (Braze refuses to
/// read an oversized body), then the JSON.
pub fn parse_track_body(body: &[u8], limits: &Limits) -> Result<TrackRequest, RequestError> {
    if body.len() > limits.max_body_bytes {
        return Err(RequestError::BodyTooLarge {
            bytes: body.len(),
            max: limits.max_body_bytes,
        });
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| RequestError::Malformed(e.to_string()))?;
    if !value.is_object() {
        return Err(RequestError::NotAnObject);
    }
    serde_json::from_value(value).map_err(|e| RequestError::Malformed(e.to_string()))
}

/// Check what makes Braze reject a whole request: size, object count, distinct ids.
pub fn validate_request_shape(
    req: &TrackRequest,
    body_bytes: usize,
    limits: &Limits,
) -> Result<(), RequestError> {
    if body_bytes > limits.max_body_bytes {
        return Err(RequestError::BodyTooLarge {
            bytes: body_bytes,
            max: limits.max_body_bytes,
        });
    }
    let (attributes, events, purchases) =
        (req.attributes.len(), req.events.len(), req.purchases.len());
    if attributes + events + purchases == 0 {
        return Err(RequestError::Empty);
    }
    if !limits.contract.fits(attributes, events, purchases) {
        return Err(RequestError::TooManyObjects {
            contract: limits.contract,
            attributes,
            events,
            purchases,
        });
    }
    let distinct: HashSet<&str> = req
        .attributes
        .iter()
        .chain(&req.events)
        .chain(&req.purchases)
        .filter_map(|o| o.get("external_id").and_then(Value::as_str))
        .collect();
    if distinct.len() > limits.max_distinct_external_ids {
        return Err(RequestError::TooManyExternalIds {
            count: distinct.len(),
            max: limits.max_distinct_external_ids,
        });
    }
    Ok(())
}

/// Check one object of `array` against Braze's rules.
pub fn validate_object(
    array: TrackArray,
    object: &Map<String, Value>,
    limits: &Limits,
) -> Result<(), ObjectError> {
    let fields = IdentifierFields::scan(object);
    let identifier = validate_identifier(&fields)?;
    if let Some(flag) = fields.update_existing_only {
        if !flag.is_boolean() {
            return Err(ObjectError::invalid(
                "_update_existing_only",
                "must be a boolean",
            ));
        }
    }
    match array {
        TrackArray::Attributes => validate_attributes(object, identifier, limits),
        TrackArray::Events => validate_event(object, identifier, limits),
        TrackArray::Purchases => validate_purchase(object, identifier, limits),
    }
}

/// Parse a Braze time: ISO-8601 with a timezone offset or `Z`, or a bare `yyyy-MM-dd`
/// (midnight UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // ISO-8601 also allows offsets without a colon (`+0000`).
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    if s.len() == 10 {
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        }
    }
    None
}

/// Whether `s` is empty or only whitespace.
fn is_blank(s: &str) -> bool {
    // A visible ASCII first character settles it without the Unicode trim.
    !s.as_bytes().first().is_some_and(u8::is_ascii_graphic) && s.trim().is_empty()
}

/// Whether `s` looks like an email address Braze would accept.
pub fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    // Every ASCII whitespace character but the space is a control character.
    let has_space_or_control = if s.is_ascii() {
        s.bytes().any(|b| b == b' ' || b.is_ascii_control())
    } else {
        s.chars().any(|c| c.is_whitespace() || c.is_control())
    };
    s.len() <= 255
        && !local.is_empty()
        && !domain.contains('@')
        && !has_space_or_control
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

fn non_empty_str<'a>(value: &'a Value, field: &str) -> Result<&'a str, ObjectError> {
    match value.as_str() {
        Some(s) if !is_blank(s) => Ok(s),
        Some(_) => Err(ObjectError::invalid(field, "must not be empty")),
        None => Err(ObjectError::invalid(field, "must be a string")),
    }
}

/// Checks there is exactly one identifier and that it is well formed; returns its field.
fn validate_identifier(fields: &IdentifierFields<'_>) -> Result<&'static str, ObjectError> {
    if fields.strong().nth(1).is_some() {
        let strong: Vec<&str> = fields.strong().map(|(field, _)| field).collect();
        return Err(ObjectError::new(
            "Multiple identifiers",
            format!(
                "exactly one identifier is allowed, found {}",
                strong.join(", ")
            ),
        ));
    }
    let Some((field, value)) = fields.identifier() else {
        return Err(ObjectError::new(
            "Missing identifier",
            "one of external_id, user_alias, braze_id, email or phone is required",
        ));
    };
    match field {
        "user_alias" => {
            let Some(alias) = value.as_object() else {
                return Err(ObjectError::invalid(
                    "user_alias",
                    "must be an object with alias_name and alias_label",
                ));
            };
            for key in ["alias_name", "alias_label"] {
                let v = alias.get(key).ok_or_else(|| {
                    ObjectError::invalid("user_alias", format!("{key} is required"))
                })?;
                non_empty_str(v, "user_alias")?;
            }
            if let Some(extra) = alias
                .keys()
                .find(|k| *k != "alias_name" && *k != "alias_label")
            {
                return Err(ObjectError::invalid(
                    "user_alias",
                    format!("unexpected field {extra}"),
                ));
            }
        }
        "email" => {
            let email = non_empty_str(value, "email")?;
            if !is_plausible_email(email) {
                return Err(ObjectError::invalid(
                    "email",
                    format!("{email:?} is not an email address"),
                ));
            }
        }
        other => {
            non_empty_str(value, other)?;
        }
    }
    Ok(field)
}

/// Whether `s` has at most `max` characters. The byte length bounds the character
/// count, so most strings need no walk over their characters.
fn within_chars(s: &str, max: usize) -> bool {
    s.len() <= max || s.chars().count() <= max
}

fn check_string_len(s: &str, field: &str, limits: &Limits) -> Result<(), ObjectError> {
    if !within_chars(s, limits.max_string_chars) {
        let chars = s.chars().count();
        return Err(ObjectError::invalid(
            field,
            format!(
                "string of {chars} characters exceeds {} characters",
                limits.max_string_chars
            ),
        ));
    }
    Ok(())
}

fn check_custom_key(key: &str, kind: &str, limits: &Limits) -> Result<(), ObjectError> {
    let error_type = || format!("Invalid {kind} key");
    if key.is_empty() {
        return Err(ObjectError::new(error_type(), "keys must not be empty"));
    }
    if key.starts_with('$') {
        return Err(ObjectError::new(
            error_type(),
            format!("{key:?} must not start with '$'"),
        ));
    }
    if !within_chars(key, limits.max_property_key_chars) {
        return Err(ObjectError::new(
            error_type(),
            format!(
                "key of {} characters exceeds {} characters",
                key.chars().count(),
                limits.max_property_key_chars
            ),
        ));
    }
    Ok(())
}

fn validate_attributes(
    object: &Map<String, Value>,
    identifier: &str,
    limits: &Limits,
) -> Result<(), ObjectError> {
    for (key, value) in object {
        let key = key.as_str();
        if key == identifier || key == "_update_existing_only" {
            continue;
        }
        match key {
            k if STANDARD_STRING_ATTRIBUTES.contains(&k) => match value {
                Value::Null => {}
                Value::String(s) => check_string_len(s, k, limits)?,
                _ => return Err(ObjectError::invalid(k, "must be a string or null")),
            },
            "email" => match value {
                Value::Null => {}
                Value::String(s) if is_plausible_email(s) => {}
                _ => {
                    return Err(ObjectError::invalid(
                        "email",
                        format!("{value} is not an email address"),
                    ))
                }
            },
            "gender" => match value {
                Value::Null => {}
                Value::String(s) if GENDERS.contains(&s.as_str()) => {}
                _ => {
                    return Err(ObjectError::invalid(
                        "gender",
                        format!("{value} is not one of M, F, O, N, P or null"),
                    ))
                }
            },
            "dob" => match value {
                Value::Null => {}
                Value::String(s) if is_valid_date(s) => {}
                _ => {
                    return Err(ObjectError::invalid(
                        "dob",
                        format!("{value} is not a YYYY-MM-DD date"),
                    ))
                }
            },
            "country" => match value {
                Value::Null => {}
                Value::String(s) if s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic()) => {}
                _ => {
                    return Err(ObjectError::invalid(
                        "country",
                        format!("{value} is not an ISO-3166-1 alpha-2 code"),
                    ))
                }
            },
            "email_subscribe" | "push_subscribe" => match value {
                Value::String(s) if SUBSCRIBE_STATES.contains(&s.as_str()) => {}
                _ => {
                    return Err(ObjectError::invalid(
                        key,
                        format!("{value} is not one of opted_in, subscribed, unsubscribed"),
                    ))
                }
            },
            "push_tokens" => validate_push_tokens(value)?,
            "subscription_groups" => validate_subscription_groups(value)?,
            "external_id" | "user_alias" | "braze_id" => {
                // Only reachable when this field is not the identifier, which
                // `validate_identifier` already rejected; kept for clarity.
                return Err(ObjectError::new(
                    "Multiple identifiers",
                    format!("{key} next to {identifier}"),
                ));
            }
            custom => {
                check_custom_key(custom, "attribute", limits)?;
                validate_custom_attribute_value(custom, value, limits)?;
            }
        }
    }
    Ok(())
}

/// Arrays up to this length are checked for repeats without a set.
const SHORT_ARRAY: usize = 16;

fn validate_string_array(key: &str, values: &[Value], limits: &Limits) -> Result<(), ObjectError> {
    if values.len() > limits.max_array_len {
        return Err(ObjectError::new(
            "Invalid attribute value",
            format!(
                "{key}: array of {} values exceeds {} values",
                values.len(),
                limits.max_array_len
            ),
        ));
    }
    // Short arrays (the usual case) find repeats by comparing with the values before,
    // which needs no allocation; long ones use a set.
    let mut seen = (values.len() > SHORT_ARRAY).then(HashSet::new);
    for (i, v) in values.iter().enumerate() {
        let Some(s) = v.as_str() else {
            return Err(ObjectError::new(
                "Invalid attribute value",
                format!("{key}: arrays may only hold strings, found {v}"),
            ));
        };
        if !within_chars(s, limits.max_string_chars) {
            return Err(ObjectError::new(
                "Invalid attribute value",
                format!(
                    "{key}: array value exceeds {} characters",
                    limits.max_string_chars
                ),
            ));
        }
        let repeated = match &mut seen {
            Some(seen) => !seen.insert(s),
            None => values[..i].iter().any(|before| before.as_str() == Some(s)),
        };
        if repeated {
            return Err(ObjectError::new(
                "Invalid attribute value",
                format!("{key}: array value {s:?} is repeated"),
            ));
        }
    }
    Ok(())
}

fn validate_custom_attribute_value(
    key: &str,
    value: &Value,
    limits: &Limits,
) -> Result<(), ObjectError> {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
        Value::String(s) => {
            if !within_chars(s, limits.max_string_chars) {
                let chars = s.chars().count();
                return Err(ObjectError::new(
                    "Invalid attribute value",
                    format!(
                        "{key}: string of {chars} characters exceeds {} characters",
                        limits.max_string_chars
                    ),
                ));
            }
            Ok(())
        }
        Value::Array(values) => validate_string_array(key, values, limits),
        Value::Object(op) => {
            if op.len() == 1 {
                if let Some(n) = op.get("inc") {
                    if n.is_i64() || n.is_u64() {
                        return Ok(());
                    }
                    return Err(ObjectError::new(
                        "Invalid attribute value",
                        format!("{key}: inc must be an integer, found {n}"),
                    ));
                }
            }
            let is_array_op = !op.is_empty() && op.keys().all(|k| k == "add" || k == "remove");
            if !is_array_op {
                return Err(ObjectError::new(
                    "Invalid attribute value",
                    format!("{key}: objects are not supported as attribute values"),
                ));
            }
            for (verb, values) in op {
                let Some(values) = values.as_array() else {
                    return Err(ObjectError::new(
                        "Invalid attribute value",
                        format!("{key}: {verb} must be an array of strings"),
                    ));
                };
                validate_string_array(key, values, limits)?;
            }
            Ok(())
        }
    }
}

fn validate_push_tokens(value: &Value) -> Result<(), ObjectError> {
    let Some(tokens) = value.as_array() else {
        return Err(ObjectError::invalid("push_tokens", "must be an array"));
    };
    for token in tokens {
        let Some(token) = token.as_object() else {
            return Err(ObjectError::invalid(
                "push_tokens",
                "entries must be objects",
            ));
        };
        for key in ["app_id", "token"] {
            let v = token
                .get(key)
                .ok_or_else(|| ObjectError::invalid("push_tokens", format!("{key} is required")))?;
            non_empty_str(v, "push_tokens")?;
        }
        if let Some(device_id) = token.get("device_id") {
            if !device_id.is_string() {
                return Err(ObjectError::invalid(
                    "push_tokens",
                    "device_id must be a string",
                ));
            }
        }
    }
    Ok(())
}

fn validate_subscription_groups(value: &Value) -> Result<(), ObjectError> {
    let Some(groups) = value.as_array() else {
        return Err(ObjectError::invalid(
            "subscription_groups",
            "must be an array",
        ));
    };
    for group in groups {
        let Some(group) = group.as_object() else {
            return Err(ObjectError::invalid(
                "subscription_groups",
                "entries must be objects",
            ));
        };
        let id = group.get("subscription_group_id").ok_or_else(|| {
            ObjectError::invalid("subscription_groups", "subscription_group_id is required")
        })?;
        non_empty_str(id, "subscription_groups")?;
        match group.get("subscription_state").and_then(Value::as_str) {
            Some("subscribed" | "unsubscribed") => {}
            _ => {
                return Err(ObjectError::invalid(
                    "subscription_groups",
                    "subscription_state must be subscribed or unsubscribed",
                ))
            }
        }
    }
    Ok(())
}

fn validate_time_field(time: Option<&Value>) -> Result<(), ObjectError> {
    match time {
        None => Err(ObjectError::invalid("time", "time is required")),
        Some(Value::String(s)) if is_valid_time(s) => Ok(()),
        Some(other) => Err(ObjectError::invalid(
            "time",
            format!("{other} is not an ISO-8601 time"),
        )),
    }
}

/// Whether `s` is a time [`parse_time`] accepts. The form braid itself writes
/// (`2024-05-01T12:00:00.000Z`) is checked directly; anything else goes to the parser.
fn is_valid_time(s: &str) -> bool {
    canonical_time_is_valid(s) || parse_time(s).is_some()
}

/// `true` when `s` is exactly `YYYY-MM-DDTHH:MM:SS.mmmZ` naming a real instant (every
/// such string is RFC 3339, so the parser would accept it too); `false` means "not
/// known to be valid", not "invalid" (leap seconds, say, are left to the parser).
fn canonical_time_is_valid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 24
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
        || b[23] != b'Z'
    {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let parts = (
        number(0..4),
        number(5..7),
        number(8..10),
        number(11..13),
        number(14..16),
        number(17..19),
        number(20..23),
    );
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec), Some(ms)) = parts else {
        return false;
    };
    // Four digits keep the year within chrono's range.
    NaiveDate::from_ymd_opt(y as i32, mo, d).is_some() && h < 24 && mi < 60 && sec < 60 && ms < 1000
}

/// Whether `s` is a `YYYY-MM-DD` date as `dob` takes it: ten characters that parse as
/// `%Y-%m-%d`. The plain form is checked directly; anything else goes to the parser.
fn is_valid_date(s: &str) -> bool {
    s.len() == 10
        && (plain_date(s.as_bytes()).is_some() || NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())
}

/// The date of exactly `dddd-dd-dd` when it names a real day (every such string
/// parses as `%Y-%m-%d` to the same day).
fn plain_date(b: &[u8]) -> Option<NaiveDate> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b else {
        return None;
    };
    let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |ds: &[u8]| ds.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    NaiveDate::from_ymd_opt(n(&digits[..4]) as i32, n(&digits[4..6]), n(&digits[6..]))
}

/// The fields of an event or purchase, found in one pass over its keys.
#[derive(Default)]
struct TrackFields<'a> {
    time: Option<&'a Value>,
    app_id: Option<&'a Value>,
    properties: Option<&'a Value>,
    name: Option<&'a Value>,
    product_id: Option<&'a Value>,
    currency: Option<&'a Value>,
    price: Option<&'a Value>,
    quantity: Option<&'a Value>,
}

/// Collects the fields of an event or purchase, rejecting any field that is neither
/// its identifier, one every event and purchase may carry, nor one of `array`'s own.
fn known_fields<'a>(
    object: &'a Map<String, Value>,
    identifier: &str,
    array: TrackArray,
) -> Result<TrackFields<'a>, ObjectError> {
    let mut fields = TrackFields::default();
    for (key, value) in object {
        let key = key.as_str();
        if key == identifier || key == "_update_existing_only" {
            continue;
        }
        let slot = match (key, array) {
            ("time", _) => &mut fields.time,
            ("app_id", _) => &mut fields.app_id,
            ("properties", _) => &mut fields.properties,
            ("name", TrackArray::Events) => &mut fields.name,
            ("product_id", TrackArray::Purchases) => &mut fields.product_id,
            ("currency", TrackArray::Purchases) => &mut fields.currency,
            ("price", TrackArray::Purchases) => &mut fields.price,
            ("quantity", TrackArray::Purchases) => &mut fields.quantity,
            (unknown, _) => {
                return Err(ObjectError::new(
                    "Invalid field",
                    format!("unexpected field {unknown}"),
                ))
            }
        };
        *slot = Some(value);
    }
    if let Some(app_id) = fields.app_id {
        non_empty_str(app_id, "app_id")?;
    }
    Ok(fields)
}

fn validate_event(
    object: &Map<String, Value>,
    identifier: &str,
    limits: &Limits,
) -> Result<(), ObjectError> {
    let fields = known_fields(object, identifier, TrackArray::Events)?;
    let name = fields
        .name
        .ok_or_else(|| ObjectError::invalid("name", "name is required"))?;
    let name = non_empty_str(name, "name")?;
    check_string_len(name, "name", limits)?;
    validate_time_field(fields.time)?;
    validate_properties(fields.properties, limits)
}

fn validate_purchase(
    object: &Map<String, Value>,
    identifier: &str,
    limits: &Limits,
) -> Result<(), ObjectError> {
    let fields = known_fields(object, identifier, TrackArray::Purchases)?;
    let product_id = fields
        .product_id
        .ok_or_else(|| ObjectError::invalid("product_id", "product_id is required"))?;
    let product_id = non_empty_str(product_id, "product_id")?;
    check_string_len(product_id, "product_id", limits)?;
    match fields.currency.and_then(Value::as_str) {
        Some(c) if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()) => {}
        _ => {
            return Err(ObjectError::invalid(
                "currency",
                "currency must be an ISO-4217 code of three uppercase letters",
            ))
        }
    }
    match fields.price {
        Some(Value::Number(_)) => {}
        _ => return Err(ObjectError::invalid("price", "price must be a number")),
    }
    if let Some(quantity) = fields.quantity {
        match quantity.as_u64() {
            Some(q) if q >= 1 && q <= u64::from(limits.max_purchase_quantity) => {}
            _ => {
                return Err(ObjectError::invalid(
                    "quantity",
                    format!(
                        "quantity must be an integer from 1 to {}, found {quantity}",
                        limits.max_purchase_quantity
                    ),
                ))
            }
        }
    }
    validate_time_field(fields.time)?;
    validate_properties(fields.properties, limits)
}

fn validate_properties(properties: Option<&Value>, limits: &Limits) -> Result<(), ObjectError> {
    let Some(properties) = properties else {
        return Ok(());
    };
    let Some(map) = properties.as_object() else {
        return Err(ObjectError::invalid(
            "properties",
            "properties must be an object",
        ));
    };
    if json_object_len_exceeds(map, limits.max_properties_bytes) {
        let bytes = json_len(map);
        return Err(ObjectError::invalid(
            "properties",
            format!(
                "properties of {bytes} bytes exceed {} bytes",
                limits.max_properties_bytes
            ),
        ));
    }
    for (key, value) in map {
        check_property_key(key, limits)?;
        if key == "products" {
            // The bundled commerce event carries its products as one array of flat objects.
            let Some(products) = value.as_array() else {
                return Err(ObjectError::invalid(
                    "properties",
                    "products must be an array",
                ));
            };
            for product in products {
                let Some(product) = product.as_object() else {
                    return Err(ObjectError::invalid(
                        "properties",
                        "products entries must be objects",
                    ));
                };
                for (k, v) in product {
                    check_property_key(k, limits)?;
                    check_property_value(k, v, limits)?;
                }
            }
            continue;
        }
        check_property_value(key, value, limits)?;
    }
    Ok(())
}

/// The length in bytes of `value` serialised as compact JSON (as sent), counted
/// without building the text.
pub fn json_len<T: serde::Serialize + ?Sized>(value: &T) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing a `Value` to a sink that cannot fail does not fail.
    serde_json::to_writer(&mut counter, value).map_or(0, |()| counter.0)
}

/// Whether a JSON object serialised compactly is longer than `limit` bytes. An upper
/// bound of the length is computed first, so only objects near the limit are counted
/// exactly.
pub fn json_object_len_exceeds(object: &Map<String, Value>, limit: usize) -> bool {
    object_len_bound(object) > limit && json_len(object) > limit
}

/// An upper bound of [`json_len`]: an escaped string byte takes at most six bytes
/// (`\u001f`), a number at most 24 (`-2.2250738585072014e-308`; 32 is used).
fn json_len_bound(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 32,
        Value::String(s) => string_len_bound(s),
        // Brackets, and a comma after every item (one too many is still a bound).
        Value::Array(items) => 2 + items.iter().map(|v| json_len_bound(v) + 1).sum::<usize>(),
        Value::Object(map) => object_len_bound(map),
    }
}

fn object_len_bound(object: &Map<String, Value>) -> usize {
    2 + object
        .iter()
        .map(|(k, v)| string_len_bound(k) + 1 + json_len_bound(v) + 1)
        .sum::<usize>()
}

fn string_len_bound(s: &str) -> usize {
    6 * s.len() + 2
}

fn check_property_key(key: &str, limits: &Limits) -> Result<(), ObjectError> {
    check_custom_key(key, "property", limits)
        .map_err(|e| ObjectError::invalid("properties", e.detail))?;
    if RESERVED_PROPERTY_KEYS.contains(&key) {
        return Err(ObjectError::invalid(
            "properties",
            format!("{key:?} is a reserved property key"),
        ));
    }
    Ok(())
}

fn check_property_value(key: &str, value: &Value, limits: &Limits) -> Result<(), ObjectError> {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
        Value::String(s) => {
            if !within_chars(s, limits.max_string_chars) {
                let chars = s.chars().count();
                return Err(ObjectError::invalid(
                    "properties",
                    format!(
                        "{key}: string of {chars} characters exceeds {} characters",
                        limits.max_string_chars
                    ),
                ));
            }
            Ok(())
        }
        Value::Array(_) | Value::Object(_) => Err(ObjectError::invalid(
            "properties",
            format!("{key}: arrays and nested objects are not supported"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: TrackArray = TrackArray::Attributes;
    const E: TrackArray = TrackArray::Events;
    const P: TrackArray = TrackArray::Purchases;
    const T: &str = "2024-05-01T12:00:00Z";

    fn check(array: TrackArray, v: Value) -> Result<(), String> {
        let object = v.as_object().expect("test object").clone();
        validate_object(array, &object, &Limits::default()).map_err(|e| e.error_type)
    }

    fn event(extra: Value) -> Value {
        let mut e = json!({"external_id": "u1", "name": "Signed Up", "time": T});
        e.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        e
    }

    fn purchase(extra: Value) -> Value {
        let mut p = json!({"external_id": "u1", "product_id": "sku-1", "currency": "USD", "price": 9.99, "time": T});
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        p
    }

    fn run_table(cases: Vec<(&str, TrackArray, Value, Result<(), &str>)>) {
        for (name, array, object, expected) in cases {
            let got = check(array, object);
            assert_eq!(
                got,
                expected.map_err(str::to_string),
                "case {name:?} gave {got:?}"
            );
        }
    }

    #[test]
    fn identifier_rules() {
        let long = "x".repeat(300);
        run_table(vec![
            ("external id", A, json!({"external_id": "u1"}), Ok(())),
            ("braze id", A, json!({"braze_id": "b1"}), Ok(())),
            (
                "alias",
                A,
                json!({"user_alias": {"alias_name": "n", "alias_label": "l"}}),
                Ok(()),
            ),
            ("email as identifier", A, json!({"email": "a@b.co"}), Ok(())),
            (
                "phone as identifier",
                A,
                json!({"phone": "+15551234567"}),
                Ok(()),
            ),
            (
                "email identifier plus phone attribute",
                A,
                json!({"email": "a@b.co", "phone": "+1555"}),
                Ok(()),
            ),
            (
                "no identifier",
                A,
                json!({"plan": "x"}),
                Err("Missing identifier"),
            ),
            (
                "two identifiers",
                A,
                json!({"external_id": "u1", "braze_id": "b1"}),
                Err("Multiple identifiers"),
            ),
            (
                "alias and external id",
                E,
                event(json!({"user_alias": {"alias_name": "n", "alias_label": "l"}})),
                Err("Multiple identifiers"),
            ),
            (
                "empty external id",
                A,
                json!({"external_id": ""}),
                Err("Invalid external_id"),
            ),
            (
                "numeric external id",
                A,
                json!({"external_id": 12}),
                Err("Invalid external_id"),
            ),
            (
                "empty braze id",
                A,
                json!({"braze_id": " "}),
                Err("Invalid braze_id"),
            ),
            (
                "alias without label",
                A,
                json!({"user_alias": {"alias_name": "n"}}),
                Err("Invalid user_alias"),
            ),
            (
                "alias with empty name",
                A,
                json!({"user_alias": {"alias_name": "", "alias_label": "l"}}),
                Err("Invalid user_alias"),
            ),
            (
                "alias not an object",
                A,
                json!({"user_alias": "n"}),
                Err("Invalid user_alias"),
            ),
            (
                "bad email identifier",
                A,
                json!({"email": "nope"}),
                Err("Invalid email"),
            ),
            (
                "update flag must be boolean",
                A,
                json!({"external_id": "u1", "_update_existing_only": "yes"}),
                Err("Invalid _update_existing_only"),
            ),
            (
                "update flag",
                A,
                json!({"external_id": "u1", "_update_existing_only": true}),
                Ok(()),
            ),
            (
                "long external id is allowed",
                A,
                json!({"external_id": long}),
                Ok(()),
            ),
        ]);
    }

    #[test]
    fn custom_attribute_rules() {
        let s255 = "é".repeat(255);
        let s256 = "é".repeat(256);
        let k256 = "k".repeat(256);
        let arr25: Vec<String> = (0..25).map(|i| format!("v{i}")).collect();
        let arr26: Vec<String> = (0..26).map(|i| format!("v{i}")).collect();
        run_table(vec![
            (
                "scalars",
                A,
                json!({"external_id": "u", "s": "x", "n": 1.5, "i": -3, "b": false, "t": "2024-01-01"}),
                Ok(()),
            ),
            (
                "null removes",
                A,
                json!({"external_id": "u", "s": null}),
                Ok(()),
            ),
            (
                "255 chars",
                A,
                json!({"external_id": "u", "s": s255}),
                Ok(()),
            ),
            (
                "256 chars",
                A,
                json!({"external_id": "u", "s": s256}),
                Err("Invalid attribute value"),
            ),
            (
                "empty key",
                A,
                json!({"external_id": "u", "": 1}),
                Err("Invalid attribute key"),
            ),
            (
                "dollar key",
                A,
                json!({"external_id": "u", "$plan": 1}),
                Err("Invalid attribute key"),
            ),
            (
                "long key",
                A,
                json!({"external_id": "u", k256: 1}),
                Err("Invalid attribute key"),
            ),
            (
                "string array",
                A,
                json!({"external_id": "u", "tags": ["a", "b"]}),
                Ok(()),
            ),
            (
                "array of 25",
                A,
                json!({"external_id": "u", "tags": arr25}),
                Ok(()),
            ),
            (
                "array of 26",
                A,
                json!({"external_id": "u", "tags": arr26}),
                Err("Invalid attribute value"),
            ),
            (
                "array with repeats",
                A,
                json!({"external_id": "u", "tags": ["a", "a"]}),
                Err("Invalid attribute value"),
            ),
            (
                "array of numbers",
                A,
                json!({"external_id": "u", "tags": [1, 2]}),
                Err("Invalid attribute value"),
            ),
            (
                "add",
                A,
                json!({"external_id": "u", "tags": {"add": ["a"]}}),
                Ok(()),
            ),
            (
                "remove",
                A,
                json!({"external_id": "u", "tags": {"remove": ["a"]}}),
                Ok(()),
            ),
            (
                "add and remove",
                A,
                json!({"external_id": "u", "tags": {"add": ["a"], "remove": ["b"]}}),
                Ok(()),
            ),
            (
                "add not an array",
                A,
                json!({"external_id": "u", "tags": {"add": "a"}}),
                Err("Invalid attribute value"),
            ),
            (
                "inc",
                A,
                json!({"external_id": "u", "n": {"inc": -2}}),
                Ok(()),
            ),
            (
                "inc by float",
                A,
                json!({"external_id": "u", "n": {"inc": 1.5}}),
                Err("Invalid attribute value"),
            ),
            (
                "nested object",
                A,
                json!({"external_id": "u", "o": {"a": 1}}),
                Err("Invalid attribute value"),
            ),
            (
                "empty object",
                A,
                json!({"external_id": "u", "o": {}}),
                Err("Invalid attribute value"),
            ),
            (
                "inc mixed with add",
                A,
                json!({"external_id": "u", "o": {"inc": 1, "add": ["a"]}}),
                Err("Invalid attribute value"),
            ),
        ]);
    }

    #[test]
    fn standard_attribute_rules() {
        let mut cases = vec![];
        for g in ["M", "F", "O", "N", "P"] {
            cases.push((
                "gender",
                A,
                json!({"external_id": "u", "gender": g}),
                Ok(()),
            ));
        }
        for s in ["opted_in", "subscribed", "unsubscribed"] {
            cases.push((
                "email_subscribe",
                A,
                json!({"external_id": "u", "email_subscribe": s}),
                Ok(()),
            ));
            cases.push((
                "push_subscribe",
                A,
                json!({"external_id": "u", "push_subscribe": s}),
                Ok(()),
            ));
        }
        cases.extend(vec![
            ("gender null", A, json!({"external_id": "u", "gender": null}), Ok(())),
            ("gender lowercase", A, json!({"external_id": "u", "gender": "m"}), Err("Invalid gender")),
            ("gender word", A, json!({"external_id": "u", "gender": "male"}), Err("Invalid gender")),
            ("dob", A, json!({"external_id": "u", "dob": "1990-02-28"}), Ok(())),
            ("dob impossible date", A, json!({"external_id": "u", "dob": "1990-02-30"}), Err("Invalid dob")),
            ("dob with time", A, json!({"external_id": "u", "dob": "1990-02-28T00:00:00Z"}), Err("Invalid dob")),
            ("country", A, json!({"external_id": "u", "country": "DE"}), Ok(())),
            ("country three letters", A, json!({"external_id": "u", "country": "DEU"}), Err("Invalid country")),
            ("email attribute", A, json!({"external_id": "u", "email": "a.b+c@example.co.uk"}), Ok(())),
            ("email attribute null", A, json!({"external_id": "u", "email": null}), Ok(())),
            ("email without domain dot", A, json!({"external_id": "u", "email": "a@b"}), Err("Invalid email")),
            ("email with space", A, json!({"external_id": "u", "email": "a b@c.de"}), Err("Invalid email")),
            ("subscribe bogus", A, json!({"external_id": "u", "email_subscribe": "yes"}), Err("Invalid email_subscribe")),
            ("subscribe null", A, json!({"external_id": "u", "push_subscribe": null}), Err("Invalid push_subscribe")),
            ("first name number", A, json!({"external_id": "u", "first_name": 3}), Err("Invalid first_name")),
            ("push tokens", A, json!({"external_id": "u", "push_tokens": [{"app_id": "a", "token": "t", "device_id": "d"}]}), Ok(())),
            ("push token without token", A, json!({"external_id": "u", "push_tokens": [{"app_id": "a"}]}), Err("Invalid push_tokens")),
            ("push tokens not array", A, json!({"external_id": "u", "push_tokens": {"app_id": "a", "token": "t"}}), Err("Invalid push_tokens")),
            ("subscription groups", A, json!({"external_id": "u", "subscription_groups": [{"subscription_group_id": "g", "subscription_state": "subscribed"}]}), Ok(())),
            ("subscription group bad state", A, json!({"external_id": "u", "subscription_groups": [{"subscription_group_id": "g", "subscription_state": "opted_in"}]}), Err("Invalid subscription_groups")),
        ]);
        run_table(cases);
    }

    #[test]
    fn event_rules() {
        let long = "n".repeat(256);
        let big = "v".repeat(250);
        let mut big_props = Map::new();
        for i in 0..220 {
            big_props.insert(format!("k{i}"), json!(big));
        }
        run_table(vec![
            ("minimal", E, event(json!({})), Ok(())),
            (
                "with app id and properties",
                E,
                event(
                    json!({"app_id": "app", "properties": {"s": "x", "n": 1, "b": true, "d": T, "z": null}}),
                ),
                Ok(()),
            ),
            (
                "bundled products",
                E,
                event(json!({"properties": {"products": [{"id": "p1", "price": 2.5}]}})),
                Ok(()),
            ),
            (
                "no name",
                E,
                json!({"external_id": "u1", "time": T}),
                Err("Invalid name"),
            ),
            (
                "empty name",
                E,
                event(json!({"name": ""})),
                Err("Invalid name"),
            ),
            (
                "long name",
                E,
                event(json!({"name": long})),
                Err("Invalid name"),
            ),
            (
                "no time",
                E,
                json!({"external_id": "u1", "name": "x"}),
                Err("Invalid time"),
            ),
            (
                "bad time",
                E,
                event(json!({"time": "yesterday"})),
                Err("Invalid time"),
            ),
            (
                "numeric time",
                E,
                event(json!({"time": 1714564800})),
                Err("Invalid time"),
            ),
            (
                "time without zone",
                E,
                event(json!({"time": "2024-05-01T12:00:00"})),
                Err("Invalid time"),
            ),
            (
                "date only time",
                E,
                event(json!({"time": "2024-05-01"})),
                Ok(()),
            ),
            (
                "offset time",
                E,
                event(json!({"time": "2024-05-01T12:00:00.123+02:00"})),
                Ok(()),
            ),
            (
                "offset without colon",
                E,
                event(json!({"time": "2024-05-01T12:00:00+0200"})),
                Ok(()),
            ),
            (
                "properties not object",
                E,
                event(json!({"properties": [1]})),
                Err("Invalid properties"),
            ),
            (
                "empty property key",
                E,
                event(json!({"properties": {"": 1}})),
                Err("Invalid properties"),
            ),
            (
                "dollar property key",
                E,
                event(json!({"properties": {"$x": 1}})),
                Err("Invalid properties"),
            ),
            (
                "reserved time key",
                E,
                event(json!({"properties": {"time": 1}})),
                Err("Invalid properties"),
            ),
            (
                "reserved event_name key",
                E,
                event(json!({"properties": {"event_name": "x"}})),
                Err("Invalid properties"),
            ),
            (
                "array property",
                E,
                event(json!({"properties": {"a": [1]}})),
                Err("Invalid properties"),
            ),
            (
                "nested property",
                E,
                event(json!({"properties": {"a": {"b": 1}}})),
                Err("Invalid properties"),
            ),
            (
                "long string property",
                E,
                event(json!({"properties": {"a": "x".repeat(256)}})),
                Err("Invalid properties"),
            ),
            (
                "products not array",
                E,
                event(json!({"properties": {"products": {"id": 1}}})),
                Err("Invalid properties"),
            ),
            (
                "nested inside products",
                E,
                event(json!({"properties": {"products": [{"id": {"x": 1}}]}})),
                Err("Invalid properties"),
            ),
            (
                "properties over 50 KB",
                E,
                event(json!({"properties": big_props})),
                Err("Invalid properties"),
            ),
            (
                "unknown field",
                E,
                event(json!({"colour": "red"})),
                Err("Invalid field"),
            ),
            (
                "empty app id",
                E,
                event(json!({"app_id": ""})),
                Err("Invalid app_id"),
            ),
        ]);
    }

    #[test]
    fn purchase_rules() {
        run_table(vec![
            ("minimal", P, purchase(json!({})), Ok(())),
            ("quantity 1", P, purchase(json!({"quantity": 1})), Ok(())),
            (
                "quantity 100",
                P,
                purchase(json!({"quantity": 100})),
                Ok(()),
            ),
            (
                "quantity 0",
                P,
                purchase(json!({"quantity": 0})),
                Err("Invalid quantity"),
            ),
            (
                "quantity 101",
                P,
                purchase(json!({"quantity": 101})),
                Err("Invalid quantity"),
            ),
            (
                "quantity fractional",
                P,
                purchase(json!({"quantity": 1.5})),
                Err("Invalid quantity"),
            ),
            (
                "quantity string",
                P,
                purchase(json!({"quantity": "2"})),
                Err("Invalid quantity"),
            ),
            ("integer price", P, purchase(json!({"price": 0})), Ok(())),
            (
                "price string",
                P,
                purchase(json!({"price": "9.99"})),
                Err("Invalid price"),
            ),
            (
                "no price",
                P,
                json!({"external_id": "u1", "product_id": "p", "currency": "USD", "time": T}),
                Err("Invalid price"),
            ),
            (
                "no product id",
                P,
                json!({"external_id": "u1", "currency": "USD", "price": 1, "time": T}),
                Err("Invalid product_id"),
            ),
            (
                "empty product id",
                P,
                purchase(json!({"product_id": ""})),
                Err("Invalid product_id"),
            ),
            (
                "long product id",
                P,
                purchase(json!({"product_id": "p".repeat(256)})),
                Err("Invalid product_id"),
            ),
            (
                "lowercase currency",
                P,
                purchase(json!({"currency": "usd"})),
                Err("Invalid currency"),
            ),
            (
                "four letter currency",
                P,
                purchase(json!({"currency": "USDT"})),
                Err("Invalid currency"),
            ),
            (
                "no currency",
                P,
                json!({"external_id": "u1", "product_id": "p", "price": 1, "time": T}),
                Err("Invalid currency"),
            ),
            (
                "no time",
                P,
                json!({"external_id": "u1", "product_id": "p", "currency": "EUR", "price": 1}),
                Err("Invalid time"),
            ),
            (
                "properties with products",
                P,
                purchase(json!({"properties": {"products": [{"sku": "a"}], "coupon": "X"}})),
                Ok(()),
            ),
            (
                "reserved property",
                P,
                purchase(json!({"properties": {"time": "x"}})),
                Err("Invalid properties"),
            ),
            (
                "unknown field",
                P,
                purchase(json!({"name": "x"})),
                Err("Invalid field"),
            ),
        ]);
    }

    #[test]
    fn limits_are_configurable() {
        let limits = Limits {
            max_array_len: 500,
            max_purchase_quantity: 1000,
            ..Limits::default()
        };
        let tags: Vec<String> = (0..400).map(|i| i.to_string()).collect();
        let o = json!({"external_id": "u", "tags": tags});
        assert!(validate_object(A, o.as_object().unwrap(), &limits).is_ok());
        let p = purchase(json!({"quantity": 500}));
        assert!(validate_object(P, p.as_object().unwrap(), &limits).is_ok());
    }

    #[test]
    fn parse_time_accepts_iso_8601_forms() {
        assert_eq!(
            parse_time("2024-05-01").unwrap().to_rfc3339(),
            "2024-05-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2024-05-01T14:00:00+02:00").unwrap(),
            parse_time("2024-05-01T12:00:00Z").unwrap()
        );
        assert!(parse_time("2024-5-1").is_none());
        assert!(parse_time("").is_none());
    }

    #[test]
    fn the_direct_time_check_accepts_only_what_the_parser_accepts() {
        let mut accepted_directly = 0;
        for year in ["0000", "1969", "2024", "2023", "9999"] {
            for month in ["00", "01", "02", "12", "13"] {
                for day in ["00", "01", "28", "29", "30", "31", "32"] {
                    for (hour, minute, second) in [
                        ("00", "00", "00"),
                        ("23", "59", "59"),
                        ("23", "59", "60"),
                        ("24", "00", "00"),
                        ("12", "60", "00"),
                    ] {
                        let s = format!("{year}-{month}-{day}T{hour}:{minute}:{second}.999Z");
                        if canonical_time_is_valid(&s) {
                            accepted_directly += 1;
                            assert!(parse_time(&s).is_some(), "{s}");
                        }
                        assert_eq!(is_valid_time(&s), parse_time(&s).is_some(), "{s}");
                    }
                }
            }
        }
        assert!(accepted_directly > 100, "the direct check is used");
        for s in [
            "2024-05-01T12:00:00.000+00:00",
            "2024-05-01T12:00:00Z",
            "2024-05-01T12:00:00.000z",
            "2024-05-01 12:00:00.000Z",
            "2024-05-01T12:00:00,000Z",
            "+024-05-01T12:00:00.000Z",
        ] {
            assert!(!canonical_time_is_valid(s), "{s}");
            assert_eq!(is_valid_time(s), parse_time(s).is_some(), "{s}");
        }
    }

    #[test]
    fn the_direct_date_check_accepts_only_what_the_parser_accepts() {
        let mut accepted_directly = 0;
        for year in ["0000", "1900", "2000", "2023", "2024", "9999"] {
            for month in ["00", "01", "02", "09", "12", "13"] {
                for day in ["00", "01", "28", "29", "30", "31", "32"] {
                    let s = format!("{year}-{month}-{day}");
                    let parsed = NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok();
                    if let Some(date) = plain_date(s.as_bytes()) {
                        accepted_directly += 1;
                        assert_eq!(Some(date), parsed, "{s}");
                    }
                    assert_eq!(is_valid_date(&s), parsed.is_some(), "{s}");
                }
            }
        }
        assert!(accepted_directly > 80, "the direct check is used");
        for s in [
            "2024-1-011",
            "+2024-1-01",
            "2024/01/01",
            "2024-01-1 ",
            " 2024-01-1",
        ] {
            assert!(plain_date(s.as_bytes()).is_none(), "{s}");
            let parsed = NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok();
            assert_eq!(is_valid_date(s), parsed, "{s}");
        }
    }

    #[test]
    fn blank_and_email_checks_agree_with_their_plain_definitions() {
        for s in ["", " ", "\u{a0}", "\t x", "x", "é", " é", "\u{2003}"] {
            assert_eq!(is_blank(s), s.trim().is_empty(), "{s:?}");
        }
        for s in [
            "a@b.co",
            "a b@c.co",
            "a\u{b}b@c.co",
            "a\u{a0}b@c.co",
            "é@b.co",
            "a@b\u{7f}.co",
        ] {
            let plain = s.split_once('@').is_some_and(|(local, domain)| {
                s.len() <= 255
                    && !local.is_empty()
                    && !domain.contains('@')
                    && !s.chars().any(|c| c.is_whitespace() || c.is_control())
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            });
            assert_eq!(is_plausible_email(s), plain, "{s:?}");
        }
    }

    #[test]
    fn json_length_is_counted_exactly_and_bounded() {
        for v in [
            json!({}),
            json!({"a": "b", "n": -1.5e-300, "i": i64::MIN, "u": u64::MAX, "t": true, "z": null}),
            json!({"esc": "quote \" back \\ nl \n ctl \u{1} é 漢", "k\u{2}": [1, "x", [], {}]}),
            json!({"products": [{"Name": "Shirt", "Price": 20.0}, {"Name": "Hat", "Price": 0.1}]}),
            json!({"f": f64::MAX, "g": f64::MIN_POSITIVE, "h": -2.2250738585072014e-308}),
        ] {
            let exact = serde_json::to_vec(&v).unwrap().len();
            assert_eq!(json_len(&v), exact, "{v}");
            assert!(json_len_bound(&v) >= exact, "{v}");
            let object = v.as_object().unwrap();
            assert!(!json_object_len_exceeds(object, exact));
            assert!(json_object_len_exceeds(object, exact - 1));
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn request(attributes: usize, events: usize, purchases: usize) -> TrackRequest {
        TrackRequest {
            attributes: (0..attributes)
                .map(|_| obj(json!({"external_id": "u", "a": 1})))
                .collect(),
            events: (0..events).map(|_| obj(event(json!({})))).collect(),
            purchases: (0..purchases).map(|_| obj(purchase(json!({})))).collect(),
        }
    }

    #[test]
    fn request_shape_follows_the_contract() {
        use crate::limits::ContractShape::*;
        let cases = [
            (Total75, (75, 0, 0), true),
            (Total75, (25, 25, 25), true),
            (Total75, (26, 25, 25), false),
            (PerArray75, (75, 75, 75), true),
            (PerArray75, (0, 76, 0), false),
            (Total50, (50, 0, 0), true),
            (Total50, (20, 20, 11), false),
        ];
        for (contract, (a, e, p), ok) in cases {
            let limits = Limits::with_contract(contract);
            let got = validate_request_shape(&request(a, e, p), 100, &limits);
            assert_eq!(got.is_ok(), ok, "{contract} {a}/{e}/{p}: {got:?}");
            if !ok {
                assert!(matches!(got, Err(RequestError::TooManyObjects { .. })));
                assert_eq!(got.unwrap_err().status(), 400);
            }
        }
    }

    #[test]
    fn more_than_75_distinct_external_ids_is_max_input_length_exceeded() {
        let limits = Limits::with_contract(crate::limits::ContractShape::PerArray75);
        let mut req = TrackRequest::default();
        for i in 0..75 {
            req.attributes
                .push(obj(json!({"external_id": format!("u{i}"), "a": 1})));
        }
        // The same 75 users again in events: still 75 distinct.
        for i in 0..75 {
            req.events.push(obj(
                json!({"external_id": format!("u{i}"), "name": "e", "time": T}),
            ));
        }
        assert_eq!(validate_request_shape(&req, 100, &limits), Ok(()));
        req.purchases.push(obj(
            json!({"external_id": "u75", "product_id": "p", "currency": "USD", "price": 1, "time": T}),
        ));
        let err = validate_request_shape(&req, 100, &limits).unwrap_err();
        assert_eq!(err, RequestError::TooManyExternalIds { count: 76, max: 75 });
        assert_eq!(err.braze_message(), "Max Input Length Exceeded");
    }

    #[test]
    fn empty_request_is_rejected() {
        assert_eq!(
            validate_request_shape(&TrackRequest::default(), 2, &Limits::default()),
            Err(RequestError::Empty)
        );
    }

    #[test]
    fn oversized_body_is_413() {
        let limits = Limits {
            max_body_bytes: 10,
            ..Limits::default()
        };
        let err = validate_request_shape(&request(1, 0, 0), 11, &limits).unwrap_err();
        assert_eq!(err.status(), 413);
        let body = br#"{"attributes":[{"external_id":"u"}]}"#;
        assert!(matches!(
            parse_track_request(body, &limits),
            Err(RequestError::BodyTooLarge { .. })
        ));
    }

    #[test]
    fn parse_rejects_malformed_and_non_object_bodies() {
        let l = Limits::default();
        assert!(matches!(
            parse_track_request(b"{not json", &l),
            Err(RequestError::Malformed(_))
        ));
        assert_eq!(
            parse_track_request(b"[1,2]", &l),
            Err(RequestError::NotAnObject)
        );
        assert!(matches!(
            parse_track_request(br#"{"events": "x"}"#, &l),
            Err(RequestError::Malformed(_))
        ));
        let req = parse_track_request(
            br#"{"events":[{"external_id":"u","name":"e","time":"2024-01-01"}]}"#,
            &l,
        )
        .unwrap();
        assert_eq!(req.events.len(), 1);
    }
}
