//! The Custom HTTP connector's body, `{"events":[...]}`. Each event stands alone: one
//! that is malformed is returned with its reason, and the others are accepted, because
//! a 400 would make Braze split the batch and drop events for good. Unknown event types
//! and unknown fields are accepted.

use crate::model::{CurrentsEvent, CurrentsUser, Family};
use serde_json::{Map, Value};

/// Why a whole body is unreadable (not a JSON object with an `events` array).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct BodyError {
    pub path: String,
    pub reason: String,
}

/// An event that could not be accepted, kept with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedEvent {
    /// Its position in `events`.
    pub index: usize,
    /// `events[3].id: missing`, say.
    pub reason: String,
    /// The event as sent.
    pub raw: Value,
}

/// A body read event by event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedBody {
    pub accepted: Vec<CurrentsEvent>,
    pub rejected: Vec<RejectedEvent>,
}

/// Read a Custom HTTP body. An empty body, `{}` and `{"events":[]}` are empty batches
/// (Braze's credential check).
pub fn parse_body(body: &[u8]) -> Result<ParsedBody, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ParsedBody::default());
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| BodyError {
        path: "$".into(),
        reason: format!("not JSON ({e})"),
    })?;
    let Value::Object(mut object) = value else {
        return Err(BodyError {
            path: "$".into(),
            reason: "expected an object with an `events` array".into(),
        });
    };
    let events = match object.remove("events") {
        None | Some(Value::Null) => return Ok(ParsedBody::default()),
        Some(Value::Array(events)) => events,
        Some(_) => {
            return Err(BodyError {
                path: "$.events".into(),
                reason: "expected an array".into(),
            })
        }
    };
    Ok(parse_events(events))
}

/// Read events one by one.
pub fn parse_events(events: Vec<Value>) -> ParsedBody {
    let mut parsed = ParsedBody::default();
    for (index, raw) in events.into_iter().enumerate() {
        match parse_event(&raw) {
            Ok(event) => parsed.accepted.push(event),
            Err(reason) => parsed.rejected.push(RejectedEvent {
                index,
                reason: format!("events[{index}].{reason}"),
                raw,
            }),
        }
    }
    parsed
}

/// One event, or why it cannot be accepted (`field: reason`).
pub fn parse_event(raw: &Value) -> Result<CurrentsEvent, String> {
    let Value::Object(object) = raw else {
        return Err("$: expected an object".into());
    };
    let mut object = object.clone();
    let event_type = match object.remove("event_type") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::String(_)) => return Err("event_type: empty".into()),
        Some(_) => return Err("event_type: expected a string".into()),
        None => return Err("event_type: missing".into()),
    };
    let id = match object.remove("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::String(_)) => return Err("id: empty".into()),
        Some(_) => return Err("id: expected a string".into()),
        None => return Err("id: missing".into()),
    };
    let time = match object.remove("time") {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .ok_or("time: not a UNIX time in seconds")?,
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| "time: not a UNIX time in seconds")?,
        Some(_) => return Err("time: expected a number (UNIX seconds)".into()),
        None => return Err("time: missing".into()),
    };
    let user: CurrentsUser = match object.remove("user") {
        None | Some(Value::Null) => CurrentsUser::default(),
        Some(v @ Value::Object(_)) => {
            serde_json::from_value(v).map_err(|e| format!("user: {e}"))?
        }
        Some(_) => return Err("user: expected an object".into()),
    };
    let properties = match object.remove("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p,
        // The storage connectors' JSON form carries custom properties as a JSON string.
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(p)) => p,
            _ => return Err("properties: expected an object".into()),
        },
        Some(_) => return Err("properties: expected an object".into()),
    };
    let event = CurrentsEvent {
        event_type,
        id,
        time,
        user,
        properties,
        extra: object,
    };
    if event.family().is_about_a_user() && event.user_key().is_none() {
        return Err("user: neither user_id nor external_user_id is set".into());
    }
    if matches!(
        event.family(),
        Family::Subscription | Family::SubscriptionGroup
    ) && event.subscription_change().is_none()
    {
        return Err("properties.subscription_status: missing or not one of Subscribed, Unsubscribed, Opted In (or subscription_group_id missing)".into());
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_bad_event_never_fails_the_batch() {
        let body = json!({"events": [
            {"event_type": "users.messages.email.Open", "id": "a", "time": 1, "user": {"user_id": "b1"}},
            {"event_type": "users.messages.email.Open", "time": 1, "user": {"user_id": "b1"}},
            {"event_type": "users.new.Thing", "id": "c", "time": 2, "user": {"external_user_id": "u"}, "surprise": 1}
        ]});
        let parsed = parse_body(body.to_string().as_bytes()).unwrap();
        assert_eq!(parsed.accepted.len(), 2);
        assert_eq!(parsed.rejected.len(), 1);
        assert_eq!(parsed.rejected[0].reason, "events[1].id: missing");
        assert_eq!(parsed.accepted[1].extra["surprise"], json!(1));
    }

    #[test]
    fn empty_bodies_are_empty_batches() {
        for body in ["", "{}", "{\"events\":[]}"] {
            assert_eq!(parse_body(body.as_bytes()).unwrap(), ParsedBody::default());
        }
        assert!(parse_body(b"[1]").is_err());
    }
}
