//! Commerce events → Braze purchases and custom events.
//!
//! Purchases (`product_action.action = purchase`):
//! - unbundled (default): one Braze purchase per product; `product_id` is the SKU (or
//!   the name with `replace_sku_with_product_name`, each falling back to the other);
//!   `price` and `quantity` from the product; properties carry the order's
//!   `Transaction Id`, `Affiliation`, `Total Amount`, `Tax Amount`, `Shipping Amount`,
//!   `Coupon Code` (the product's own coupon wins), the product's `Name`, `Category`,
//!   `Brand`, `Variant`, then the product's and the event's custom attributes (named
//!   fields win over custom attributes, product attributes over event attributes);
//! - Braze takes at most 100 per purchase object, so a larger whole quantity is split
//!   into objects of at most 100 (revenue = price × quantity stays right); a fractional
//!   quantity is sent as quantity 1 at price × quantity; past 100 splits
//!   (10,000 units) one object at price × quantity is sent and counted;
//! - bundled, or a purchase without products: one purchase for the order with
//!   `product_id` `Order` (a fixed name keeps Braze's product list small; the
//!   transaction id is a property), `price` = total amount (else the sum of the
//!   products), quantity 1, and a nested `products` array when bundled.
//!
//! Other product actions become custom events: unbundled, one
//! `eCommerce - <action> - Item` per product (mParticle's action names, e.g.
//! `add_to_cart`), plus `eCommerce - refund - Total` for a refund; bundled, one
//! `eCommerce - <action>` with a `products` array. Promotions follow the same pattern
//! as `eCommerce - promotion_<view|click> - Item` / `eCommerce - promotion_<action>`,
//! impressions as `eCommerce - impression - Item` / `eCommerce - impression` (each
//! impressed product carries its `Product Impression List`). The `promotion_` prefix
//! is braid's: it keeps a promotion click apart from a product click. Bundled, the
//! nested array is always named `products`: Braze's page speaks of `promotions` and
//! `impressions` arrays, but the validator shared with `braze-sim` admits one nested
//! array, `products`, and an object it rejects would be lost.
//!
//! `currency` is the event's currency code in upper case, or USD when absent or not
//! three letters (counted).

use super::events::{fit_properties, map_properties, push_event};
use super::values::{fit_string, number};
use super::Ctx;
use crate::wire::{TrackArray, TrackObject};
use braid_mparticle::{CommerceEvent, Product, ProductAction, ProductActionKind};
use serde_json::{Map, Value};

/// The most objects one product's quantity is split into.
const MAX_SPLITS: u64 = 100;
/// The `product_id` of an order-level purchase.
pub const ORDER_PRODUCT_ID: &str = "Order";

/// Map one commerce event.
pub(crate) fn map_commerce(ctx: &mut Ctx<'_>, c: &CommerceEvent) {
    let event_props = map_properties(ctx, c.common.custom_attributes.as_ref(), 0);
    let ts = c.common.timestamp_unixtime_ms;
    let mut mapped = false;
    if let Some(pa) = &c.product_action {
        mapped = true;
        if pa.action == ProductActionKind::Purchase {
            let currency = currency(ctx, c.currency_code.as_deref());
            purchase(ctx, pa, &currency, &event_props, ts);
        } else {
            product_action_events(ctx, pa, &event_props, ts);
        }
    }
    if let Some(promo) = &c.promotion_action {
        mapped = true;
        let action = format!("promotion_{}", promo.action.trim().to_ascii_lowercase());
        let items: Vec<Map<String, Value>> = promo
            .promotions
            .iter()
            .map(|p| {
                let mut m = Map::new();
                for (k, v) in [
                    ("Id", &p.id),
                    ("Name", &p.name),
                    ("Creative", &p.creative),
                    ("Position", &p.position),
                ] {
                    if let Some(v) = v {
                        put_str(ctx, &mut m, k, v);
                    }
                }
                m
            })
            .collect();
        item_events(ctx, &action, items, &event_props, ts);
    }
    if let Some(impressions) = &c.product_impressions {
        mapped = true;
        let mut items = Vec::new();
        for imp in impressions {
            for p in &imp.products {
                let mut m = product_props(ctx, p);
                if let Some(list) = &imp.product_impression_list {
                    put_str(ctx, &mut m, "Product Impression List", list);
                }
                items.push(m);
            }
        }
        item_events(ctx, "impression", items, &event_props, ts);
    }
    if !mapped {
        ctx.counters.unforwarded_events += 1;
    }
}

/// Item events (unbundled) or one event with a nested array (bundled).
fn item_events(
    ctx: &mut Ctx<'_>,
    action: &str,
    items: Vec<Map<String, Value>>,
    event_props: &Map<String, Value>,
    ts: Option<i64>,
) {
    if ctx.settings.bundle_commerce_event_data {
        let mut props = cloned_with_room(event_props, 1);
        props.insert(
            "products".into(),
            Value::Array(items.into_iter().map(Value::Object).collect()),
        );
        push_event(ctx, &format!("eCommerce - {action}"), ts, props);
    } else if items.is_empty() {
        // Nothing to itemise: keep the action itself rather than lose it.
        push_event(
            ctx,
            &format!("eCommerce - {action}"),
            ts,
            event_props.clone(),
        );
    } else {
        let name = format!("eCommerce - {action} - Item");
        for item in items {
            let mut props = cloned_with_room(event_props, item.len());
            props.extend(item);
            push_event(ctx, &name, ts, props);
        }
    }
}

fn product_action_events(
    ctx: &mut Ctx<'_>,
    pa: &ProductAction,
    event_props: &Map<String, Value>,
    ts: Option<i64>,
) {
    let action = pa.action.as_str();
    let order = action_props(ctx, pa);
    if ctx.settings.bundle_commerce_event_data {
        let mut props = cloned_with_room(event_props, order.len() + 1);
        insert_named(&mut props, order);
        let products: Vec<Value> = pa
            .products
            .iter()
            .map(|p| Value::Object(product_props(ctx, p)))
            .collect();
        props.insert("products".into(), Value::Array(products));
        push_event(ctx, &format!("eCommerce - {action}"), ts, props);
        return;
    }
    let refund = pa.action == ProductActionKind::Refund;
    let item_name = format!("eCommerce - {action} - Item");
    for p in &pa.products {
        let product = product_props(ctx, p);
        let mut props = cloned_with_room(event_props, product.len());
        props.extend(product);
        push_event(ctx, &item_name, ts, props);
    }
    if refund {
        let mut props = cloned_with_room(event_props, order.len());
        insert_named(&mut props, order);
        push_event(ctx, &format!("eCommerce - {action} - Total"), ts, props);
    } else if pa.products.is_empty() {
        let mut props = cloned_with_room(event_props, order.len());
        insert_named(&mut props, order);
        push_event(ctx, &format!("eCommerce - {action}"), ts, props);
    }
}

fn purchase(
    ctx: &mut Ctx<'_>,
    pa: &ProductAction,
    currency: &str,
    event_props: &Map<String, Value>,
    ts: Option<i64>,
) {
    let order = action_props(ctx, pa);
    if ctx.settings.bundle_commerce_event_data || pa.products.is_empty() {
        let total = pa
            .total_amount
            .filter(|t| t.is_finite())
            .unwrap_or_else(|| {
                pa.products
                    .iter()
                    .map(|p| p.price.unwrap_or(0.0) * p.quantity.unwrap_or(1.0))
                    .filter(|x| x.is_finite())
                    .sum()
            });
        let mut props = cloned_with_room(event_props, order.len() + 1);
        insert_named(&mut props, order);
        if ctx.settings.bundle_commerce_event_data {
            let products: Vec<Value> = pa
                .products
                .iter()
                .map(|p| Value::Object(product_props(ctx, p)))
                .collect();
            props.insert("products".into(), Value::Array(products));
        }
        push_purchase(
            ctx,
            ORDER_PRODUCT_ID.to_string(),
            currency,
            total,
            1,
            ts,
            props,
        );
        return;
    }
    for p in &pa.products {
        let (first, second) = if ctx.settings.replace_sku_with_product_name {
            (&p.name, &p.id)
        } else {
            (&p.id, &p.name)
        };
        let id = first
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .or(second.as_deref().map(str::trim).filter(|s| !s.is_empty()));
        let (max, rule) = (ctx.max_chars(), ctx.settings.oversize);
        let Some(mut product_id) = id.and_then(|id| fit_string(id, max, rule, &mut ctx.counters))
        else {
            ctx.counters.invalid_products += 1;
            continue;
        };
        // Named fields win over the product's attributes, which win over the event's.
        let product_attrs = map_properties(ctx, p.custom_attributes.as_ref(), 0);
        let mut props = cloned_with_room(event_props, product_attrs.len() + order.len() + 5);
        props.extend(product_attrs);
        insert_named(&mut props, order.clone());
        for (k, v) in [
            ("Name", &p.name),
            ("Category", &p.category),
            ("Brand", &p.brand),
            ("Variant", &p.variant),
            ("Coupon Code", &p.coupon_code),
        ] {
            if let Some(v) = v {
                put_str(ctx, &mut props, k, v);
            }
        }
        let price = p.price.filter(|x| x.is_finite()).unwrap_or(0.0);
        let mut quantity = p.quantity.unwrap_or(1.0);
        if !quantity.is_finite() || quantity <= 0.0 {
            ctx.counters.invalid_products += 1;
            quantity = 1.0;
        }
        if quantity.fract() != 0.0 {
            push_purchase(ctx, product_id, currency, price * quantity, 1, ts, props);
            continue;
        }
        let max_quantity = u64::from(ctx.settings.limits.max_purchase_quantity.max(1));
        let mut units = quantity as u64;
        if units > max_quantity * MAX_SPLITS {
            ctx.counters.invalid_products += 1;
            push_purchase(ctx, product_id, currency, price * quantity, 1, ts, props);
            continue;
        }
        let mut first_object = true;
        while units > 0 {
            let take = units.min(max_quantity);
            if !first_object {
                ctx.counters.split_purchases += 1;
            }
            units -= take;
            // The last object takes the id and properties; earlier ones get copies.
            let (id, properties) = if units == 0 {
                (std::mem::take(&mut product_id), std::mem::take(&mut props))
            } else {
                (product_id.clone(), props.clone())
            };
            push_purchase(ctx, id, currency, price, take, ts, properties);
            first_object = false;
        }
    }
}

fn push_purchase(
    ctx: &mut Ctx<'_>,
    product_id: String,
    currency: &str,
    price: f64,
    quantity: u64,
    ts: Option<i64>,
    properties: Map<String, Value>,
) {
    let mut properties = properties;
    fit_properties(ctx, &mut properties);
    let mut body = ctx.body(TrackArray::Purchases, 6);
    body.insert("product_id".into(), Value::String(product_id));
    body.insert("currency".into(), Value::String(currency.to_string()));
    body.insert("price".into(), number(price));
    body.insert("quantity".into(), Value::Number(quantity.into()));
    body.insert("time".into(), Value::String(ctx.event_time(ts)));
    if !properties.is_empty() {
        body.insert("properties".into(), Value::Object(properties));
    }
    let user = ctx.user.clone();
    ctx.purchases.push(TrackObject {
        array: TrackArray::Purchases,
        user,
        body,
    });
}

/// Properties with fixed names, in the order they are set (names are distinct).
type NamedFields = Vec<(&'static str, Value)>;

/// The order-level fields of a product action, as properties. Kept as a list rather
/// than a map: they are copied into each product's properties, which hashes them there.
fn action_props(ctx: &mut Ctx<'_>, pa: &ProductAction) -> NamedFields {
    let mut fields = Vec::new();
    let (max, rule) = (ctx.max_chars(), ctx.settings.oversize);
    for (k, v) in [
        ("Transaction Id", &pa.transaction_id),
        ("Affiliation", &pa.affiliation),
        ("Coupon Code", &pa.coupon_code),
        ("Checkout Options", &pa.checkout_options),
    ] {
        if let Some(v) = v
            .as_deref()
            .and_then(|v| fit_string(v, max, rule, &mut ctx.counters))
        {
            fields.push((k, Value::String(v)));
        }
    }
    for (k, v) in [
        ("Total Amount", pa.total_amount),
        ("Tax Amount", pa.tax_amount),
        ("Shipping Amount", pa.shipping_amount),
    ] {
        if let Some(v) = v.filter(|x| x.is_finite()) {
            fields.push((k, number(v)));
        }
    }
    if let Some(step) = pa.checkout_step {
        fields.push(("Checkout Step", Value::Number(step.into())));
    }
    fields
}

/// Set each of `fields` in `props` (as `extend` would).
fn insert_named(props: &mut Map<String, Value>, fields: NamedFields) {
    for (key, value) in fields {
        props.insert(key.to_string(), value);
    }
}

/// A product's fields and custom attributes, as properties (fields win).
fn product_props(ctx: &mut Ctx<'_>, p: &Product) -> Map<String, Value> {
    // Room for the named fields below.
    let mut m = map_properties(ctx, p.custom_attributes.as_ref(), 10);
    for (k, v) in [
        ("Id", &p.id),
        ("Name", &p.name),
        ("Category", &p.category),
        ("Brand", &p.brand),
        ("Variant", &p.variant),
        ("Coupon Code", &p.coupon_code),
    ] {
        if let Some(v) = v {
            put_str(ctx, &mut m, k, v);
        }
    }
    for (k, v) in [
        ("Price", p.price),
        ("Quantity", p.quantity),
        ("Total Product Amount", p.total_product_amount),
    ] {
        if let Some(v) = v.filter(|x| x.is_finite()) {
            m.insert(k.into(), number(v));
        }
    }
    if let Some(pos) = p.position {
        m.insert("Position".into(), Value::Number(pos.into()));
    }
    m
}

/// A copy of `from` with room for `room` more entries.
fn cloned_with_room(from: &Map<String, Value>, room: usize) -> Map<String, Value> {
    let mut to = Map::with_capacity(from.len() + room);
    extend_cloned(&mut to, from);
    to
}

/// `to.extend(from.clone())` without copying `from`'s hash table.
fn extend_cloned(to: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (key, value) in from {
        to.insert(key.clone(), value.clone());
    }
}

fn put_str(ctx: &mut Ctx<'_>, m: &mut Map<String, Value>, key: &str, value: &str) {
    let (max, rule) = (ctx.max_chars(), ctx.settings.oversize);
    if let Some(v) = fit_string(value, max, rule, &mut ctx.counters) {
        m.insert(key.into(), Value::String(v));
    }
}

/// The event's currency in upper case, or USD (counted when a bad code was replaced).
fn currency(ctx: &mut Ctx<'_>, code: Option<&str>) -> String {
    match code.map(str::trim) {
        None | Some("") => "USD".into(),
        Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            c.to_ascii_uppercase()
        }
        Some(_) => {
            ctx.counters.invalid_currencies += 1;
            "USD".into()
        }
    }
}
