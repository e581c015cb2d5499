//! mParticle events → Braze events and the attribute changes some events imply.
//!
//! - `custom_event` → a Braze event named as the event, properties from its attributes;
//! - `session_start` / `session_end` → `Session Start` / `Session End` (setting);
//! - `screen_view` → `Screen View` with a `screen_name` property, or, with
//!   `forward_page_name_as_event_name`, an event named after the screen (setting);
//! - `opt_out` → `email_subscribe`: opted out → `unsubscribed`, opted back in →
//!   `subscribed` (not `opted_in`, which claims an explicit opt-in the event lacks);
//! - `push_registration` → `push_tokens` (needs `app_id`; filtered by platform);
//! - `commerce_event` → see `commerce`;
//! - attribute and identity changes are already in the profile, so they map through
//!   the attributes object; every other type has no Braze counterpart and is counted.
//!
//! Event properties keep string, number and boolean values (and dates, which are ISO
//! strings). Arrays, objects and nulls are dropped and counted. Leading `$` is
//! stripped from keys. Braze rejects the keys `time` and `event_name`, so they are
//! renamed `mp_time` and `mp_event_name` (a property already named so wins).

use super::values::{detect_type, fit_string};
use super::{commerce, Ctx};
use crate::wire::{TrackArray, TrackObject};
use braid_mparticle::event::{Event, EventCommon, PushRegistration};
use serde_json::{Map, Value};

/// Map one event of the batch.
pub(crate) fn map_event(ctx: &mut Ctx<'_>, event: &Event) {
    let settings = ctx.settings;
    match event {
        Event::CustomEvent(e) => custom_event(ctx, &e.event_name, &e.common, Map::new()),
        Event::CommerceEvent(c) => commerce::map_commerce(ctx, c),
        Event::ScreenView(v) if settings.forward_screen_views => {
            let screen = v.screen_name.as_deref().unwrap_or("").trim();
            if settings.forward_page_name_as_event_name && !screen.is_empty() {
                custom_event(ctx, screen, &v.common, Map::new());
            } else {
                let mut extra = Map::new();
                if !screen.is_empty() {
                    let value = property_value(ctx, &Value::String(screen.to_string()));
                    if let Some(v) = value {
                        extra.insert("screen_name".into(), v);
                    }
                }
                custom_event(ctx, "Screen View", &v.common, extra);
            }
        }
        Event::SessionStart(c) if settings.forward_session_events => {
            custom_event(ctx, "Session Start", c, Map::new())
        }
        Event::SessionEnd(e) if settings.forward_session_events => {
            custom_event(ctx, "Session End", &e.common, Map::new())
        }
        Event::OptOut(o) => {
            let state = if o.is_opted_out {
                "unsubscribed"
            } else {
                "subscribed"
            };
            ctx.attributes
                .insert("email_subscribe".into(), Value::String(state.into()));
        }
        Event::PushRegistration(p) => push_token(ctx, p),
        Event::UserAttributeChange(_) | Event::UserIdentityChange(_) => {}
        _ => ctx.counters.unforwarded_events += 1,
    }
}

/// Add one Braze event named `name` with the event's attributes plus `extra` as
/// properties (`extra` wins on a clash).
pub(crate) fn custom_event(
    ctx: &mut Ctx<'_>,
    name: &str,
    common: &EventCommon,
    extra: Map<String, Value>,
) {
    let mut properties = map_properties(ctx, common.custom_attributes.as_ref());
    properties.extend(extra);
    push_event(ctx, name, common.timestamp_unixtime_ms, properties);
}

/// Add one Braze event with ready properties.
pub(crate) fn push_event(
    ctx: &mut Ctx<'_>,
    name: &str,
    ts_ms: Option<i64>,
    properties: Map<String, Value>,
) {
    if name.trim().is_empty() {
        ctx.counters.unforwarded_events += 1;
        return;
    }
    let (max, rule) = (ctx.max_chars(), ctx.settings.oversize);
    let Some(name) = fit_string(name, max, rule, &mut ctx.counters) else {
        ctx.counters.unforwarded_events += 1;
        return;
    };
    let mut properties = properties;
    fit_properties(ctx, &mut properties);
    let mut body = ctx.body(TrackArray::Events);
    body.insert("name".into(), Value::String(name));
    body.insert("time".into(), Value::String(ctx.event_time(ts_ms)));
    if !properties.is_empty() {
        body.insert("properties".into(), Value::Object(properties));
    }
    let user = ctx.user.clone();
    ctx.events.push(TrackObject {
        array: TrackArray::Events,
        user,
        body,
    });
}

/// Keep a properties object under Braze's size limit (`limits.max_properties_bytes`,
/// 50 KB): entries of a nested `products` array are dropped from the end first, and if
/// that is not enough the properties are dropped altogether; each dropped entry is
/// counted in `dropped_event_properties`. Only bundled commerce events get near it.
pub(crate) fn fit_properties(ctx: &mut Ctx<'_>, properties: &mut Map<String, Value>) {
    let limit = ctx.settings.limits.max_properties_bytes;
    // Cheap bound first: serialising is only needed for big objects.
    if rough_size(properties) <= limit / 2 {
        return;
    }
    let size = |p: &Map<String, Value>| serde_json::to_vec(p).map_or(usize::MAX, |b| b.len());
    while size(properties) > limit {
        match properties.get_mut("products") {
            Some(Value::Array(items)) if !items.is_empty() => {
                items.pop();
                ctx.counters.dropped_event_properties += 1;
            }
            _ => {
                ctx.counters.dropped_event_properties += properties.len() as u64;
                properties.clear();
            }
        }
    }
}

/// An upper bound of a flat-ish JSON object's serialised size, without serialising:
/// each string may at worst double when escaped (six bytes per control character is
/// covered by the factor 6), plus quotes and separators.
fn rough_size(properties: &Map<String, Value>) -> usize {
    fn value(v: &Value) -> usize {
        match v {
            Value::String(s) => 6 * s.len() + 2,
            Value::Number(_) => 24,
            Value::Bool(_) | Value::Null => 5,
            Value::Array(items) => 2 + items.iter().map(|i| value(i) + 1).sum::<usize>(),
            Value::Object(m) => {
                2 + m
                    .iter()
                    .map(|(k, v)| 6 * k.len() + 3 + value(v) + 1)
                    .sum::<usize>()
            }
        }
    }
    2 + properties
        .iter()
        .map(|(k, v)| 6 * k.len() + 3 + value(v) + 1)
        .sum::<usize>()
}

/// Event attributes → Braze properties (see the module documentation for the rules).
pub(crate) fn map_properties(
    ctx: &mut Ctx<'_>,
    attrs: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(attrs) = attrs else { return out };
    let max_key = ctx.settings.limits.max_property_key_chars;
    let mut renamed: Vec<(String, Value)> = Vec::new();
    for (key, value) in attrs {
        let Some(value) = property_value(ctx, value) else {
            continue;
        };
        let key = key.trim_start_matches('$');
        if key.is_empty() || key.chars().count() > max_key {
            ctx.counters.dropped_event_properties += 1;
            continue;
        }
        if key == "time" || key == "event_name" {
            ctx.counters.renamed_reserved_keys += 1;
            renamed.push((format!("mp_{key}"), value));
            continue;
        }
        out.insert(key.to_string(), value);
    }
    for (key, value) in renamed {
        if out.contains_key(&key) {
            ctx.counters.dropped_event_properties += 1;
        } else {
            out.insert(key, value);
        }
    }
    out
}

/// One property value: scalars pass (strings through type detection when enabled and
/// the oversize rule); arrays, objects and nulls are dropped and counted.
pub(crate) fn property_value(ctx: &mut Ctx<'_>, value: &Value) -> Option<Value> {
    let (max, rule) = (ctx.max_chars(), ctx.settings.oversize);
    match value {
        Value::String(s) => {
            if ctx.settings.type_detection.events() {
                match detect_type(s) {
                    Value::String(s) => {
                        fit_string(&s, max, rule, &mut ctx.counters).map(Value::String)
                    }
                    other => Some(other),
                }
            } else {
                fit_string(s, max, rule, &mut ctx.counters).map(Value::String)
            }
        }
        Value::Number(_) | Value::Bool(_) => Some(value.clone()),
        Value::Null | Value::Array(_) | Value::Object(_) => {
            ctx.counters.dropped_event_properties += 1;
            None
        }
    }
}

/// A push registration → `push_tokens: [{app_id, token}]`. Braze needs the app
/// identifier, so without `app_id` the token is filtered; with
/// `api_key_operating_system`, only tokens from batches whose `device_info.platform`
/// (or `application_info.os`) names that system are forwarded. An unregistration has
/// no `/users/track` form and is counted as unforwarded.
fn push_token(ctx: &mut Ctx<'_>, p: &PushRegistration) {
    let token = p.registration_token.as_deref().map(str::trim).unwrap_or("");
    if !p.register || token.is_empty() {
        ctx.counters.unforwarded_events += 1;
        return;
    }
    let Some(app_id) = ctx.settings.app_id.clone() else {
        ctx.counters.filtered_push_tokens += 1;
        return;
    };
    if let Some(os) = ctx.settings.api_key_operating_system {
        let batch = ctx.input.batch;
        let platform = batch
            .device_info
            .as_ref()
            .and_then(|d| d.get("platform"))
            .or_else(|| batch.application_info.as_ref().and_then(|a| a.get("os")))
            .and_then(Value::as_str);
        if !platform.is_some_and(|p| os.matches_platform(p)) {
            ctx.counters.filtered_push_tokens += 1;
            return;
        }
    }
    let mut entry = Map::new();
    entry.insert("app_id".into(), Value::String(app_id));
    entry.insert("token".into(), Value::String(token.to_string()));
    let tokens = ctx
        .attributes
        .entry("push_tokens")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = tokens {
        if !list
            .iter()
            .any(|t| t.get("token").and_then(Value::as_str) == Some(token))
        {
            list.push(Value::Object(entry));
        }
    }
}
