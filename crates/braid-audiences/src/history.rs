//! The compact event history that event criteria and calculated values read.
//!
//! The store keeps, per user, the [`EventRecord`]s of the last
//! `max(retention setting, AudienceSet::retain_window_ms())`; records are small and
//! serde-able so they can live in the embedded store. Only what criteria can test is kept:
//! time, kind, name, event attributes, monetary amount and products.

use braid_mparticle::commerce::ProductActionKind;
use braid_mparticle::event::Event;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What kind of event a record is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// `custom_event`.
    Custom,
    /// `screen_view`.
    ScreenView,
    /// `session_start`.
    SessionStart,
    /// `session_end`.
    SessionEnd,
    /// A commerce event with product action `purchase`.
    Purchase,
    /// Any other commerce action (`add_to_cart`, `refund`, `promotion_click`,
    /// `impression`, …).
    CommerceAction(String),
    /// Other event types kept for criteria (`first_run`, `opt_out`, `uninstall`, …).
    Other(String),
}

impl EventKind {
    /// The kind without its payload, as used in `kind = "..."` filters.
    pub fn tag(&self) -> EventKindTag {
        match self {
            EventKind::Custom => EventKindTag::Custom,
            EventKind::ScreenView => EventKindTag::ScreenView,
            EventKind::SessionStart => EventKindTag::SessionStart,
            EventKind::SessionEnd => EventKindTag::SessionEnd,
            EventKind::Purchase => EventKindTag::Purchase,
            EventKind::CommerceAction(_) => EventKindTag::CommerceAction,
            EventKind::Other(_) => EventKindTag::Other,
        }
    }
}

/// An event kind as written in criteria: `custom`, `screen_view`, `session_start`,
/// `session_end`, `purchase`, `commerce_action`, `other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKindTag {
    Custom,
    ScreenView,
    SessionStart,
    SessionEnd,
    Purchase,
    CommerceAction,
    Other,
}

/// A product of a commerce record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductRef {
    /// SKU (`product.id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
}

/// One event in a user's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// When it happened (the event's timestamp, else the batch's), UNIX ms.
    pub ts_ms: i64,
    pub kind: EventKind,
    /// The name criteria match: custom event name, screen name, `Session Start` /
    /// `Session End`, the commerce action (`purchase`, `add_to_cart`, …) or the event type.
    pub name: String,
    /// The event's custom attributes, as sent.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
    /// Monetary amount: the action's `total_amount`, else the sum of price × quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<ProductRef>,
}

/// Name of session start records (the name Braze's mParticle integration uses too).
pub const SESSION_START: &str = "Session Start";
/// Name of session end records.
pub const SESSION_END: &str = "Session End";

impl EventRecord {
    /// The record for an inbound event, or `None` for event types no criterion tests
    /// (attribute and identity changes, breadcrumbs, network performance, …: their effect
    /// is already in the profile).
    pub fn from_event(event: &Event, batch_ts_ms: i64) -> Option<EventRecord> {
        let common = event.common();
        let ts_ms = common.timestamp_unixtime_ms.unwrap_or(batch_ts_ms);
        let attributes = common.custom_attributes.clone().unwrap_or_default();
        let (kind, name, amount, products) = match event {
            Event::CustomEvent(e) => (EventKind::Custom, e.event_name.clone(), None, Vec::new()),
            Event::ScreenView(e) => (
                EventKind::ScreenView,
                e.screen_name.clone().unwrap_or_default(),
                None,
                Vec::new(),
            ),
            Event::SessionStart(_) => (
                EventKind::SessionStart,
                SESSION_START.to_string(),
                None,
                Vec::new(),
            ),
            Event::SessionEnd(_) => (
                EventKind::SessionEnd,
                SESSION_END.to_string(),
                None,
                Vec::new(),
            ),
            Event::CommerceEvent(c) => {
                if let Some(pa) = &c.product_action {
                    let products: Vec<ProductRef> = pa
                        .products
                        .iter()
                        .map(|p| ProductRef {
                            sku: p.id.clone(),
                            name: p.name.clone(),
                            price: p.price,
                            quantity: p.quantity,
                        })
                        .collect();
                    let amount = pa.total_amount.or_else(|| {
                        let priced: Vec<f64> = products
                            .iter()
                            .filter_map(|p| p.price.map(|pr| pr * p.quantity.unwrap_or(1.0)))
                            .collect();
                        (!priced.is_empty()).then(|| priced.iter().sum())
                    });
                    let kind = match pa.action {
                        ProductActionKind::Purchase => EventKind::Purchase,
                        other => EventKind::CommerceAction(other.as_str().to_string()),
                    };
                    (kind, pa.action.as_str().to_string(), amount, products)
                } else if let Some(promo) = &c.promotion_action {
                    let name = format!("promotion_{}", promo.action.to_lowercase());
                    (
                        EventKind::CommerceAction(name.clone()),
                        name,
                        None,
                        Vec::new(),
                    )
                } else if let Some(imps) = &c.product_impressions {
                    let products = imps
                        .iter()
                        .flat_map(|i| i.products.iter())
                        .map(|p| ProductRef {
                            sku: p.id.clone(),
                            name: p.name.clone(),
                            price: p.price,
                            quantity: p.quantity,
                        })
                        .collect();
                    let name = "impression".to_string();
                    (
                        EventKind::CommerceAction(name.clone()),
                        name,
                        None,
                        products,
                    )
                } else {
                    return None;
                }
            }
            Event::FirstRun(_)
            | Event::OptOut(_)
            | Event::Uninstall(_)
            | Event::PushRegistration(_)
            | Event::PushMessage(_)
            | Event::CrashReport(_) => {
                let t = event.event_type().to_string();
                (EventKind::Other(t.clone()), t, None, Vec::new())
            }
            Event::UserAttributeChange(_)
            | Event::UserIdentityChange(_)
            | Event::ApplicationStateTransition(_)
            | Event::Breadcrumb(_)
            | Event::NetworkPerformance(_)
            | Event::Profile(_)
            | Event::Unknown { .. } => return None,
        };
        Some(EventRecord {
            ts_ms,
            kind,
            name,
            attributes,
            amount,
            products,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(v: Value) -> Event {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn custom_event_keeps_name_attributes_and_own_timestamp() {
        let e = event(json!({"event_type": "custom_event", "data": {
            "event_name": "Search", "custom_event_type": "search",
            "timestamp_unixtime_ms": 1000, "custom_attributes": {"q": "Ibiza"}
        }}));
        let r = EventRecord::from_event(&e, 5000).unwrap();
        assert_eq!(r.ts_ms, 1000);
        assert_eq!(r.kind, EventKind::Custom);
        assert_eq!(r.name, "Search");
        assert_eq!(r.attributes["q"], json!("Ibiza"));
    }

    #[test]
    fn event_without_timestamp_takes_the_batch_time() {
        let e = event(json!({"event_type": "session_start", "data": {}}));
        let r = EventRecord::from_event(&e, 5000).unwrap();
        assert_eq!(
            (r.ts_ms, r.kind, r.name.as_str()),
            (5000, EventKind::SessionStart, "Session Start")
        );
    }

    #[test]
    fn purchase_amount_is_total_or_sum_of_price_times_quantity() {
        let with_total = event(json!({"event_type": "commerce_event", "data": {
            "product_action": {"action": "purchase", "total_amount": 42.5,
                "products": [{"id": "SKU1", "name": "Shoe", "price": 10.0, "quantity": 2}]}
        }}));
        let r = EventRecord::from_event(&with_total, 0).unwrap();
        assert_eq!(r.kind, EventKind::Purchase);
        assert_eq!(r.name, "purchase");
        assert_eq!(r.amount, Some(42.5));
        assert_eq!(r.products[0].sku.as_deref(), Some("SKU1"));

        let without_total = event(json!({"event_type": "commerce_event", "data": {
            "product_action": {"action": "purchase",
                "products": [{"id": "A", "price": 10.0, "quantity": 2}, {"id": "B", "price": 5.0}]}
        }}));
        assert_eq!(
            EventRecord::from_event(&without_total, 0).unwrap().amount,
            Some(25.0)
        );
    }

    #[test]
    fn other_commerce_actions_are_named_by_action() {
        let e = event(json!({"event_type": "commerce_event", "data": {
            "product_action": {"action": "add_to_cart", "products": [{"id": "A"}]}
        }}));
        let r = EventRecord::from_event(&e, 0).unwrap();
        assert_eq!(r.kind, EventKind::CommerceAction("add_to_cart".into()));
        assert_eq!(r.name, "add_to_cart");
        let promo = event(json!({"event_type": "commerce_event", "data": {
            "promotion_action": {"action": "click", "promotions": []}
        }}));
        assert_eq!(
            EventRecord::from_event(&promo, 0).unwrap().name,
            "promotion_click"
        );
    }

    #[test]
    fn profile_change_events_are_not_kept() {
        let e = event(
            json!({"event_type": "user_attribute_change", "data": {"user_attribute_name": "a"}}),
        );
        assert_eq!(EventRecord::from_event(&e, 0), None);
    }

    #[test]
    fn records_round_trip_through_json_compactly() {
        let e = event(json!({"event_type": "screen_view", "data": {"screen_name": "Home"}}));
        let r = EventRecord::from_event(&e, 7).unwrap();
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(text, r#"{"ts_ms":7,"kind":"screen_view","name":"Home"}"#);
        assert_eq!(serde_json::from_str::<EventRecord>(&text).unwrap(), r);
    }
}
