//! Batches from a Braze feed input (the shape Braze's "mParticle for Currents" connector
//! sends, relayed to braid): one mParticle Events API batch whose custom events carry the
//! Braze event name in `event_name`, the Braze event id in `source_message_id` (and
//! `custom_attributes.source_request_id`), the properties in `custom_attributes`, and the
//! user's external id in `user_identities.customerid` (`customer_id` too). Each event is
//! read as a [`CurrentsEvent`]; the mParticle name is mapped to the Currents type in both
//! its plural and singular spellings (letter case ignored), and an unknown name is kept
//! as the type.

use crate::http::{parse_event, RejectedEvent};
use crate::model::CurrentsEvent;
use serde_json::{Map, Value};

/// mParticle event names (plural, as Braze's glossary has them) → Currents types.
const NAMES: &[(&str, &str)] = &[
    ("Application Uninstalls", "users.behaviors.Uninstall"),
    (
        "Global Subscription State Changes",
        "users.behaviors.subscription.GlobalStateChange",
    ),
    (
        "Subscription Group State Changes",
        "users.behaviors.subscriptiongroup.StateChange",
    ),
    ("Campaign Conversions", "users.campaigns.Conversion"),
    (
        "Campaign Control Group Enrollments",
        "users.campaigns.EnrollInControl",
    ),
    ("Canvas Conversions", "users.canvas.Conversion"),
    ("Canvas Entries", "users.canvas.Entry"),
    (
        "Exit Matched Audiences",
        "users.canvas.exit.MatchedAudience",
    ),
    ("Exit Performed Events", "users.canvas.exit.PerformedEvent"),
    (
        "Experiment Step Conversions",
        "users.canvas.experimentstep.Conversion",
    ),
    (
        "Experiment Split Entries",
        "users.canvas.experimentstep.SplitEntry",
    ),
    ("Canvas Step Progressions", "users.canvasstep.Progression"),
    ("Banner Aborts", "users.messages.banner.Abort"),
    ("Banner Clicks", "users.messages.banner.Click"),
    ("Banner Impressions", "users.messages.banner.Impression"),
    ("Content Card Aborts", "users.messages.contentcard.Abort"),
    ("Content Card Clicks", "users.messages.contentcard.Click"),
    (
        "Content Card Dismisses",
        "users.messages.contentcard.Dismiss",
    ),
    (
        "Content Card Impressions",
        "users.messages.contentcard.Impression",
    ),
    ("Content Card Sends", "users.messages.contentcard.Send"),
    ("Email Aborts", "users.messages.email.Abort"),
    ("Email Bounces", "users.messages.email.Bounce"),
    ("Email Clicks", "users.messages.email.Click"),
    ("Email Deliveries", "users.messages.email.Delivery"),
    ("Email Marks As Spam", "users.messages.email.MarkAsSpam"),
    ("Email Opens", "users.messages.email.Open"),
    ("Email Sends", "users.messages.email.Send"),
    ("Email Soft Bounces", "users.messages.email.SoftBounce"),
    ("Email Unsubscribes", "users.messages.email.Unsubscribe"),
    ("In-App Message Clicks", "users.messages.inappmessage.Click"),
    (
        "In-App Message Impressions",
        "users.messages.inappmessage.Impression",
    ),
    (
        "Push Notification Sends",
        "users.messages.pushnotification.Send",
    ),
    (
        "Push Notification Opens",
        "users.messages.pushnotification.Open",
    ),
    (
        "Push Notification Bounces",
        "users.messages.pushnotification.Bounce",
    ),
    ("SMS Rejections", "users.messages.sms.Rejection"),
    ("SMS Sends", "users.messages.sms.Send"),
    ("SMS Carrier Sends", "users.messages.sms.CarrierSend"),
    ("SMS Deliveries", "users.messages.sms.Delivery"),
    (
        "SMS Delivery Failures",
        "users.messages.sms.DeliveryFailure",
    ),
    ("SMS Inbound Received", "users.messages.sms.InboundReceive"),
    ("Webhook Sends", "users.messages.webhook.Send"),
    (
        "News Feed Card Views",
        "users.messages.newsfeedcard.Impression",
    ),
    ("News Feed Card Clicks", "users.messages.newsfeedcard.Click"),
    (
        "Experiment Conversions",
        "users.canvas.experimentstep.Conversion",
    ),
];

/// Singular spellings mParticle's own docs use, where they differ from dropping an `s`.
const SINGULAR: &[(&str, &str)] = &[
    ("Uninstall", "users.behaviors.Uninstall"),
    ("Canvas Entry", "users.canvas.Entry"),
    ("Email Delivery", "users.messages.email.Delivery"),
    ("Email Mark As Span", "users.messages.email.MarkAsSpam"),
    ("Email Mark As Spam", "users.messages.email.MarkAsSpam"),
    (
        "In-App Message Impression",
        "users.messages.inappmessage.Impression",
    ),
    (
        "News Feed Card Impression",
        "users.messages.newsfeedcard.Impression",
    ),
    (
        "Campaign Control Group Enrollment",
        "users.campaigns.EnrollInControl",
    ),
];

/// The Currents type of an mParticle event name, plural or singular, any letter case.
pub fn currents_type_of(event_name: &str) -> Option<&'static str> {
    let name = event_name.trim();
    let eq = |a: &str| a.eq_ignore_ascii_case(name);
    if let Some((_, t)) = NAMES.iter().chain(SINGULAR).find(|(n, _)| eq(n)) {
        return Some(t);
    }
    NAMES
        .iter()
        .find(|(n, _)| {
            n.strip_suffix("es").is_some_and(&eq) || n.strip_suffix('s').is_some_and(&eq)
        })
        .map(|(_, t)| *t)
}

/// The events of one feed batch (an mParticle batch as JSON), each accepted or rejected
/// with its reason.
pub fn events_of_feed_batch(batch: &Value) -> (Vec<CurrentsEvent>, Vec<RejectedEvent>) {
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    let identities = batch.get("user_identities").and_then(Value::as_object);
    let identity = |k: &str| {
        identities
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let external = identity("customerid").or_else(|| identity("customer_id"));
    let email = identity("email");
    let device_id = batch
        .pointer("/device_info/ios_idfv")
        .and_then(Value::as_str)
        .map(str::to_string);
    let events = batch
        .get("events")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (index, raw) in events.into_iter().enumerate() {
        let data = raw.get("data").cloned().unwrap_or(Value::Null);
        let name = data.get("event_name").and_then(Value::as_str);
        let event_type = match (raw.get("event_type").and_then(Value::as_str), name) {
            (_, Some(n)) => currents_type_of(n)
                .map(str::to_string)
                .unwrap_or(n.to_string()),
            (Some("uninstall"), None) => "users.behaviors.Uninstall".to_string(),
            _ => String::new(),
        };
        let mut properties: Map<String, Value> = data
            .get("custom_attributes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let id = data
            .get("source_message_id")
            .and_then(Value::as_str)
            .or_else(|| properties.get("source_request_id").and_then(Value::as_str))
            .map(str::to_string);
        if let Some(email) = &email {
            properties
                .entry("email_address")
                .or_insert_with(|| Value::String(email.clone()));
        }
        let time_ms = data.get("timestamp_unixtime_ms").and_then(Value::as_i64);
        let mut event = Map::new();
        if !event_type.is_empty() {
            event.insert("event_type".into(), Value::String(event_type));
        }
        if let Some(id) = id {
            event.insert("id".into(), Value::String(id));
        }
        if let Some(ms) = time_ms {
            event.insert("time".into(), Value::from(ms.div_euclid(1000)));
            properties.insert("time_ms".into(), Value::from(ms));
        }
        let mut user = Map::new();
        if let Some(e) = &external {
            user.insert("external_user_id".into(), Value::String(e.clone()));
        }
        if let Some(d) = &device_id {
            user.insert("device_id".into(), Value::String(d.clone()));
        }
        event.insert("user".into(), Value::Object(user));
        event.insert("properties".into(), Value::Object(properties));
        match parse_event(&Value::Object(event)) {
            Ok(e) => accepted.push(e),
            Err(reason) => rejected.push(RejectedEvent {
                index,
                reason: format!("events[{index}].{reason}"),
                raw,
            }),
        }
    }
    (accepted, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_and_singular_names_map_to_the_type() {
        assert_eq!(
            currents_type_of("Email Opens"),
            Some("users.messages.email.Open")
        );
        assert_eq!(
            currents_type_of("email open"),
            Some("users.messages.email.Open")
        );
        assert_eq!(currents_type_of("Canvas Entry"), Some("users.canvas.Entry"));
        assert_eq!(currents_type_of("Something New"), None);
    }
}
