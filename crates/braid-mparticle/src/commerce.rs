//! Commerce events: product actions, promotion actions and product impressions.

use crate::event::{from_json_via_from_data, EventCommon, FromData};
use crate::json::{
    self, array_of, deserialize_via_from_json, opt_bool, opt_f64, opt_i64, opt_object, opt_string,
    opt_value, FromJson,
};
use crate::parse::BatchError;
use crate::path::Path;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// `commerce_event` data. At most one of the three actions is normally present.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CommerceEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_action: Option<ProductAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promotion_action: Option<PromotionAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_impressions: Option<Vec<ProductImpression>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shopping_cart: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screen_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_non_interactive: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// The kinds of product action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductActionKind {
    AddToCart,
    RemoveFromCart,
    Checkout,
    CheckoutOption,
    Click,
    ViewDetail,
    Purchase,
    Refund,
    AddToWishlist,
    /// mParticle's own spelling; `remove_from_wishlist` is accepted too.
    RemoveFromWishList,
}

impl ProductActionKind {
    /// Every product action, in mParticle's documented order.
    pub const ALL: [ProductActionKind; 10] = [
        ProductActionKind::AddToCart,
        ProductActionKind::RemoveFromCart,
        ProductActionKind::Checkout,
        ProductActionKind::CheckoutOption,
        ProductActionKind::Click,
        ProductActionKind::ViewDetail,
        ProductActionKind::Purchase,
        ProductActionKind::Refund,
        ProductActionKind::AddToWishlist,
        ProductActionKind::RemoveFromWishList,
    ];

    /// The action name as mParticle spells it on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductActionKind::AddToCart => "add_to_cart",
            ProductActionKind::RemoveFromCart => "remove_from_cart",
            ProductActionKind::Checkout => "checkout",
            ProductActionKind::CheckoutOption => "checkout_option",
            ProductActionKind::Click => "click",
            ProductActionKind::ViewDetail => "view_detail",
            ProductActionKind::Purchase => "purchase",
            ProductActionKind::Refund => "refund",
            ProductActionKind::AddToWishlist => "add_to_wishlist",
            ProductActionKind::RemoveFromWishList => "remove_from_wish_list",
        }
    }

    /// Reads an action name without regard to case or underscores, so both wish-list
    /// spellings (`remove_from_wish_list`, `remove_from_wishlist`) and SDK enum names
    /// (`AddToCart`) are accepted.
    pub fn parse_lenient(name: &str) -> Option<ProductActionKind> {
        let norm: String = name
            .chars()
            .filter(|c| *c != '_' && *c != '-' && *c != ' ')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        ProductActionKind::ALL
            .into_iter()
            .find(|k| k.as_str().replace('_', "") == norm)
    }
}

impl Serialize for ProductActionKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl FromJson for ProductActionKind {
    fn from_json(value: Value, p: &Path<'_>) -> Result<Self, BatchError> {
        let name = json::string(value, p)?;
        ProductActionKind::parse_lenient(&name)
            .ok_or_else(|| p.err(format!("unknown product action {name:?}")))
    }
}

/// `product_action`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductAction {
    pub action: ProductActionKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout_step: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout_options: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_action_list: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_list_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affiliation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_amount: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_code: Option<String>,
    pub products: Vec<Product>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A product in an action or impression.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Product {
    /// The SKU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_product_amount: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `promotion_action`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromotionAction {
    /// `view` or `click`.
    pub action: String,
    pub promotions: Vec<Promotion>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One promotion.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Promotion {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creative: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of `product_impressions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProductImpression {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_impression_list: Option<String>,
    pub products: Vec<Product>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FromData for CommerceEvent {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let mut e = CommerceEvent::default();
        e.common = EventCommon::read_data(data, p, |k, v, kp| {
            match k {
                "product_action" => {
                    e.product_action = match v {
                        Value::Null => None,
                        v => Some(ProductAction::from_json(v, kp)?),
                    }
                }
                "promotion_action" => {
                    e.promotion_action = match v {
                        Value::Null => None,
                        v => Some(PromotionAction::from_json(v, kp)?),
                    }
                }
                "product_impressions" => {
                    e.product_impressions = match v {
                        Value::Null => None,
                        v => Some(array_of(v, kp, ProductImpression::from_json)?),
                    }
                }
                "currency_code" => e.currency_code = opt_string(v, kp)?,
                "shopping_cart" => e.shopping_cart = opt_value(v),
                "screen_name" => e.screen_name = opt_string(v, kp)?,
                "is_non_interactive" => e.is_non_interactive = opt_bool(v, kp)?,
                "event_name" => e.event_name = opt_string(v, kp)?,
                _ => return Ok(Some(v)),
            }
            Ok(None)
        })?;
        Ok(e)
    }
}

impl FromData for ProductAction {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let mut action = None;
        let mut a = ProductAction {
            action: ProductActionKind::Purchase,
            checkout_step: None,
            checkout_options: None,
            product_action_list: None,
            product_list_source: None,
            transaction_id: None,
            affiliation: None,
            total_amount: None,
            tax_amount: None,
            shipping_amount: None,
            coupon_code: None,
            products: Vec::new(),
            extra: Map::new(),
        };
        for (key, v) in data {
            let kp = p.key(&key);
            match key.as_str() {
                "action" => {
                    action = match v {
                        Value::Null => None,
                        v => Some(ProductActionKind::from_json(v, &kp)?),
                    }
                }
                "checkout_step" => a.checkout_step = opt_i64(v, &kp)?,
                "checkout_options" => a.checkout_options = opt_string(v, &kp)?,
                "product_action_list" => a.product_action_list = opt_string(v, &kp)?,
                "product_list_source" => a.product_list_source = opt_string(v, &kp)?,
                "transaction_id" => a.transaction_id = opt_string(v, &kp)?,
                "affiliation" => a.affiliation = opt_string(v, &kp)?,
                "total_amount" => a.total_amount = opt_f64(v, &kp)?,
                "tax_amount" => a.tax_amount = opt_f64(v, &kp)?,
                "shipping_amount" => a.shipping_amount = opt_f64(v, &kp)?,
                "coupon_code" => a.coupon_code = opt_string(v, &kp)?,
                "products" => a.products = array_of(v, &kp, Product::from_json)?,
                _ => {
                    a.extra.insert(key, v);
                }
            }
        }
        a.action = action.ok_or_else(|| p.key("action").err("missing"))?;
        Ok(a)
    }
}

impl FromData for Product {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let mut pr = Product::default();
        for (key, v) in data {
            let kp = p.key(&key);
            match key.as_str() {
                "id" => pr.id = opt_string(v, &kp)?,
                "name" => pr.name = opt_string(v, &kp)?,
                "brand" => pr.brand = opt_string(v, &kp)?,
                "category" => pr.category = opt_string(v, &kp)?,
                "variant" => pr.variant = opt_string(v, &kp)?,
                "position" => pr.position = opt_i64(v, &kp)?,
                "price" => pr.price = opt_f64(v, &kp)?,
                "quantity" => pr.quantity = opt_f64(v, &kp)?,
                "coupon_code" => pr.coupon_code = opt_string(v, &kp)?,
                "total_product_amount" => pr.total_product_amount = opt_f64(v, &kp)?,
                "custom_attributes" => pr.custom_attributes = opt_object(v, &kp)?,
                _ => {
                    pr.extra.insert(key, v);
                }
            }
        }
        Ok(pr)
    }
}

impl FromData for PromotionAction {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let (mut action, mut promotions, mut extra) = (None, Vec::new(), Map::new());
        for (key, v) in data {
            let kp = p.key(&key);
            match key.as_str() {
                "action" => action = opt_string(v, &kp)?,
                "promotions" => promotions = array_of(v, &kp, Promotion::from_json)?,
                _ => {
                    extra.insert(key, v);
                }
            }
        }
        Ok(PromotionAction {
            action: action.ok_or_else(|| p.key("action").err("missing"))?,
            promotions,
            extra,
        })
    }
}

impl FromData for Promotion {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let mut pr = Promotion::default();
        for (key, v) in data {
            let kp = p.key(&key);
            match key.as_str() {
                "id" => pr.id = opt_string(v, &kp)?,
                "name" => pr.name = opt_string(v, &kp)?,
                "creative" => pr.creative = opt_string(v, &kp)?,
                "position" => pr.position = opt_string(v, &kp)?,
                _ => {
                    pr.extra.insert(key, v);
                }
            }
        }
        Ok(pr)
    }
}

impl FromData for ProductImpression {
    fn from_data(data: Map<String, Value>, p: &Path<'_>) -> Result<Self, BatchError> {
        let mut im = ProductImpression::default();
        for (key, v) in data {
            let kp = p.key(&key);
            match key.as_str() {
                "product_impression_list" => im.product_impression_list = opt_string(v, &kp)?,
                "products" => im.products = array_of(v, &kp, Product::from_json)?,
                _ => {
                    im.extra.insert(key, v);
                }
            }
        }
        Ok(im)
    }
}

from_json_via_from_data!(
    CommerceEvent,
    ProductAction,
    Product,
    PromotionAction,
    Promotion,
    ProductImpression
);
deserialize_via_from_json!(ProductActionKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_wire_name() {
        for k in ProductActionKind::ALL {
            assert_eq!(ProductActionKind::parse_lenient(k.as_str()), Some(k));
        }
    }

    #[test]
    fn both_wish_list_spellings_are_accepted() {
        assert_eq!(
            ProductActionKind::parse_lenient("remove_from_wishlist"),
            Some(ProductActionKind::RemoveFromWishList)
        );
        assert_eq!(
            ProductActionKind::parse_lenient("remove_from_wish_list"),
            Some(ProductActionKind::RemoveFromWishList)
        );
        assert_eq!(
            ProductActionKind::parse_lenient("add_to_wish_list"),
            Some(ProductActionKind::AddToWishlist)
        );
        assert_eq!(ProductActionKind::parse_lenient("buy"), None);
    }
}
