//! Commerce events: product actions, promotion actions and product impressions.

use crate::event::EventCommon;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `commerce_event` data. At most one of the three actions is normally present.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommerceEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_action: Option<ProductAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_action: Option<PromotionAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_impressions: Option<Vec<ProductImpression>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shopping_cart: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_non_interactive: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    #[serde(flatten)]
    pub common: EventCommon,
}

/// The kinds of product action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    #[serde(alias = "remove_from_wishlist")]
    RemoveFromWishList,
}

impl ProductActionKind {
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
}

/// `product_action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductAction {
    pub action: ProductActionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_step: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_options: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_action_list: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_list_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affiliation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_amount: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_amount: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_code: Option<String>,
    #[serde(default)]
    pub products: Vec<Product>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A product in an action or impression.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// The SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_product_amount: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `promotion_action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromotionAction {
    /// `view` or `click`.
    pub action: String,
    #[serde(default)]
    pub promotions: Vec<Promotion>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One promotion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Promotion {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creative: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of `product_impressions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductImpression {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_impression_list: Option<String>,
    #[serde(default)]
    pub products: Vec<Product>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
