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

use super::values::{detected_or_fitted, fit_string};
use super::{commerce, Ctx};
use crate::validate::json_object_len_exceeds;
use crate::wire::{TrackArray, TrackObject};
use braid_mparticle::event::{Event, EventCommon, PushRegistration};
use serde_json::{Map, Value};

/// Map one event of the batch.
pub(crate) fn map_event(ctx: &mut Ctx<'_>, event: &Event) {
    let settings = ctx.settings;
    match event {
        Event::CustomEvent(e) => custom_event(ctx, &e.event_name, &e.common, None),
        Event::CommerceEvent(c) => commerce::map_commerce(ctx, c),
        Event::ScreenView(v) if settings.forward_screen_views => {
            let screen = v.screen_name.as_deref().unwrap_or("").trim();
            if settings.forward_page_name_as_event_name && !screen.is_empty() {
                custom_event(ctx, screen, &v.common, None);
            } else {
                let extra = if screen.is_empty() {
                    None
                } else {
                    string_property_value(ctx, screen).map(|v| ("screen_name", v))
                };
                custom_event(ctx, "Screen View", &v.common, extra);
            }
        }
        Event::SessionStart(c) if settings.forward_session_events => {
            custom_event(ctx, "Session Start", c, None)
        }
        Event::SessionEnd(e) if settings.forward_session_events => {
            custom_event(ctx, "Session End", &e.common, None)
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

/// Add one Braze event named `name` with the event's attributes plus the `extra`
/// property as properties (`extra` wins on a clash).
pub(crate) fn custom_event(
    ctx: &mut Ctx<'_>,
    name: &str,
    common: &EventCommon,
    extra: Option<(&str, Value)>,
) {
    let reserve = usize::from(extra.is_some());
    let mut properties = map_properties(ctx, common.custom_attributes.as_ref(), reserve);
    if let Some((key, value)) = extra {
        properties.insert(key.into(), value);
    }
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
    let mut body = ctx.body(TrackArray::Events, 3);
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
    while json_object_len_exceeds(properties, limit) {
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

/// Event attributes → Braze properties (see the module documentation for the rules),
/// in a map with room for `reserve` more entries.
pub(crate) fn map_properties(
    ctx: &mut Ctx<'_>,
    attrs: Option<&Map<String, Value>>,
    reserve: usize,
) -> Map<String, Value> {
    let Some(attrs) = attrs else {
        return Map::with_capacity(reserve);
    };
    let mut out = Map::with_capacity(attrs.len() + reserve);
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
    match value {
        Value::String(s) => string_property_value(ctx, s),
        Value::Number(_) | Value::Bool(_) => Some(value.clone()),
        Value::Null | Value::Array(_) | Value::Object(_) => {
            ctx.counters.dropped_event_properties += 1;
            None
        }
    }
}

/// A string property value, through type detection (when enabled) and the oversize
/// rule.
fn string_property_value(ctx: &mut Ctx<'_>, s: &str) -> Option<Value> {
    let (max, rule) = (ctx.max_chars(), ctx.settings.oversize);
    let detect = ctx.settings.type_detection.events();
    detected_or_fitted(s, detect, max, rule, &mut ctx.counters)
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
