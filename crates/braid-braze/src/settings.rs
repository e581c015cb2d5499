//! The Braze output's settings: the `[braze]` section of braid's configuration.
//!
//! Names follow mParticle's Braze connection settings in snake_case, so that a reader of
//! mParticle's documentation recognises them. Defaults differ from mParticle's where
//! mParticle's default costs data points for nothing (enriched attributes are off here,
//! and braid's delta step is on). Every setting and its default is documented on its
//! field; the configuration reference is written from these comments.

use crate::limits::Limits;
use braid_mparticle::IdentityType;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The Braze output's mapping settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrazeSettings {
    /// Which mParticle identity becomes Braze's `external_id`: `customer_id` (default),
    /// `mpid` (the MPID as a decimal string), or any other identity type (`email`,
    /// `other`, `other_id_2` … `other_id_10`, `mobile_number`, …).
    pub external_identity_type: ExternalIdentityType,
    /// Which mParticle identity becomes Braze's `email` attribute. Default `email`.
    pub email_identity_type: IdentityType,
    /// Send the profile's whole attribute set with every forwarded batch, as mParticle
    /// does when "Include Enriched User Attributes" is on. Default **false** (mParticle's
    /// default is true): off, only the attributes the batch changed are sent. With
    /// `deltas` on, unchanged enriched values are dropped anyway, so this mainly matters
    /// for calculated attributes and the first sync of an existing profile.
    pub include_enriched_user_attributes: bool,
    /// Send attribute lists as Braze arrays; off, a list becomes one comma-separated
    /// string. Default **true**: a whole array costs one data point and stays searchable.
    pub send_user_attribute_lists_as_arrays: bool,
    /// Forward `session_start` / `session_end` as the custom events `Session Start` /
    /// `Session End`. Default false (each costs a data point).
    pub forward_session_events: bool,
    /// Forward screen views as custom events. Default false (each costs a data point).
    pub forward_screen_views: bool,
    /// Name a forwarded screen view event after the screen instead of `Screen View`
    /// (with the screen in a `screen_name` property). Default false.
    pub forward_page_name_as_event_name: bool,
    /// Use the product name instead of the SKU as a purchase's `product_id`. Default false.
    pub replace_sku_with_product_name: bool,
    /// One Braze purchase or event per commerce event with a nested `products` array,
    /// instead of one per product. Default false.
    pub bundle_commerce_event_data: bool,
    /// Turn strings that look like booleans, numbers or dates into those types, for user
    /// attributes (`user`), event attributes (`event`) or both (`both`). Default `none`.
    pub type_detection: TypeDetection,
    /// User attributes whose true/false value subscribes or unsubscribes the user from
    /// a Braze subscription group. Default empty.
    pub subscription_group_mapping: Vec<SubscriptionGroupMapping>,
    /// The operating system of the Braze app identifier key: only push tokens from
    /// batches of this platform are forwarded. Default unset: tokens of any platform
    /// are forwarded (they still need `app_id`).
    pub api_key_operating_system: Option<OperatingSystem>,
    /// The Braze app identifier key: the `app_id` of forwarded push tokens and events.
    /// Default unset (push tokens cannot be forwarded without it and are counted).
    pub app_id: Option<String>,
    /// Forward users who lack the external identity but have the email identity, naming
    /// them by `email` (Braze's email identifier) instead of `external_id`. Default false:
    /// as in mParticle, such users are not forwarded.
    pub disable_external_id_constraint: bool,
    /// braid's opt-in improvement: forward users without an external id as Braze alias
    /// profiles (`user_alias {alias_name: <mpid>, alias_label: "mpid"}`), and merge the
    /// alias into the external id with `/users/identify` once the user gains one.
    /// Default false.
    pub forward_anonymous_as_alias: bool,
    /// braid's delta step: drop attribute values Braze already has from braid. Default
    /// **true**. Off, everything mapped is sent (mParticle's behaviour).
    pub deltas: bool,
    /// What to do with strings longer than Braze keeps and arrays longer than the
    /// configured maximum. Default `truncate`. Either way the case is counted.
    pub oversize: OversizeRule,
    /// Braze's limits in force for this workspace (string length, array length, …).
    pub limits: Limits,
}

impl Default for BrazeSettings {
    fn default() -> Self {
        BrazeSettings {
            external_identity_type: ExternalIdentityType::default(),
            email_identity_type: IdentityType::Email,
            include_enriched_user_attributes: false,
            send_user_attribute_lists_as_arrays: true,
            forward_session_events: false,
            forward_screen_views: false,
            forward_page_name_as_event_name: false,
            replace_sku_with_product_name: false,
            bundle_commerce_event_data: false,
            type_detection: TypeDetection::None,
            subscription_group_mapping: Vec::new(),
            api_key_operating_system: None,
            app_id: None,
            disable_external_id_constraint: false,
            forward_anonymous_as_alias: false,
            deltas: true,
            oversize: OversizeRule::Truncate,
            limits: Limits::default(),
        }
    }
}

/// The identity that becomes `external_id`: the MPID or one of the user identities.
/// In configuration: `"mpid"` or an identity type name (`"customer_id"`, `"other_id_2"`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExternalIdentityType {
    /// The MPID, as a decimal string.
    Mpid,
    /// One of the user identities.
    Identity(IdentityType),
}

impl Default for ExternalIdentityType {
    fn default() -> Self {
        ExternalIdentityType::Identity(IdentityType::CustomerId)
    }
}

impl fmt::Display for ExternalIdentityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternalIdentityType::Mpid => f.write_str("mpid"),
            ExternalIdentityType::Identity(t) => f.write_str(t.as_str()),
        }
    }
}

impl Serialize for ExternalIdentityType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ExternalIdentityType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        if name.eq_ignore_ascii_case("mpid") {
            return Ok(ExternalIdentityType::Mpid);
        }
        name.parse::<IdentityType>()
            .map(ExternalIdentityType::Identity)
            .map_err(serde::de::Error::custom)
    }
}

/// Which strings type detection converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypeDetection {
    /// Strings stay strings.
    #[default]
    None,
    /// User attribute values only.
    User,
    /// Event attribute values (event properties) only.
    Event,
    /// Both.
    Both,
}

impl TypeDetection {
    /// Whether user attribute strings are converted.
    pub fn users(self) -> bool {
        matches!(self, TypeDetection::User | TypeDetection::Both)
    }

    /// Whether event attribute strings are converted.
    pub fn events(self) -> bool {
        matches!(self, TypeDetection::Event | TypeDetection::Both)
    }
}

/// A user attribute whose boolean value maps to a Braze subscription group state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionGroupMapping {
    /// The mParticle user attribute (matched without regard to case).
    pub attribute: String,
    /// The Braze subscription group id.
    pub subscription_group_id: String,
}

/// The platform a Braze app identifier key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatingSystem {
    Ios,
    Android,
    Web,
    FireOs,
    Tvos,
    Roku,
}

impl OperatingSystem {
    /// Whether a batch's `device_info.platform` (or `application_info.os`) names this
    /// system. mParticle spells platforms `iOS`, `Android`, `web`, `FireTV`, `tvOS`,
    /// `Roku`; matching ignores case.
    pub fn matches_platform(self, platform: &str) -> bool {
        let p = platform.trim().to_ascii_lowercase();
        match self {
            OperatingSystem::Ios => p == "ios",
            OperatingSystem::Android => p == "android",
            OperatingSystem::Web => p == "web" || p == "mobileweb" || p == "mobile_web",
            OperatingSystem::FireOs => {
                p == "fireos" || p == "firetv" || p == "fire_os" || p == "fire_tv"
            }
            OperatingSystem::Tvos => p == "tvos" || p == "apple_tv" || p == "appletv",
            OperatingSystem::Roku => p == "roku",
        }
    }
}

/// What the mapping does with values over Braze's limits (strings over
/// `limits.max_string_chars`, arrays over `limits.max_array_len`).
///
/// Braze itself truncates such values silently; braid never sends them, and counts
/// every case (`truncated_strings`, `truncated_arrays`, `dropped_oversize_values`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OversizeRule {
    /// Cut strings to the maximum number of characters and arrays to their first
    /// `max_array_len` values, and count each case. What Braze keeps is then exactly
    /// what braid sent, and the delta step compares like with like.
    #[default]
    Truncate,
    /// Drop the value (an attribute, property or array entry is not sent), and count it.
    Drop,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_favour_low_data_point_cost() {
        let s = BrazeSettings::default();
        assert!(!s.include_enriched_user_attributes);
        assert!(s.deltas);
        assert!(s.send_user_attribute_lists_as_arrays);
        assert!(!s.forward_session_events);
        assert!(!s.forward_screen_views);
        assert_eq!(
            s.external_identity_type,
            ExternalIdentityType::Identity(IdentityType::CustomerId)
        );
        assert_eq!(s.email_identity_type, IdentityType::Email);
    }

    #[test]
    fn settings_parse_from_snake_case_toml_like_json() {
        let s: BrazeSettings = serde_json::from_value(serde_json::json!({
            "external_identity_type": "mpid",
            "email_identity_type": "other",
            "type_detection": "both",
            "subscription_group_mapping": [{"attribute": "news", "subscription_group_id": "g1"}],
            "api_key_operating_system": "ios",
            "oversize": "drop"
        }))
        .unwrap();
        assert_eq!(s.external_identity_type, ExternalIdentityType::Mpid);
        assert_eq!(s.email_identity_type, IdentityType::Other);
        assert_eq!(s.type_detection, TypeDetection::Both);
        assert_eq!(s.api_key_operating_system, Some(OperatingSystem::Ios));
        assert_eq!(s.oversize, OversizeRule::Drop);
        assert!(s.deltas, "unset fields keep their defaults");
    }

    #[test]
    fn external_identity_type_accepts_every_identity_name() {
        for t in IdentityType::ALL {
            let parsed: ExternalIdentityType =
                serde_json::from_value(serde_json::json!(t.as_str())).unwrap();
            assert_eq!(parsed, ExternalIdentityType::Identity(t));
            assert_eq!(
                serde_json::to_value(parsed).unwrap(),
                serde_json::json!(t.as_str())
            );
        }
        let sdk_spelling: ExternalIdentityType =
            serde_json::from_value(serde_json::json!("customerid")).unwrap();
        assert_eq!(
            sdk_spelling,
            ExternalIdentityType::Identity(IdentityType::CustomerId)
        );
    }

    #[test]
    fn unknown_settings_are_rejected() {
        let err = serde_json::from_value::<BrazeSettings>(serde_json::json!({"enriched": true}));
        assert!(err.is_err());
        let err = serde_json::from_value::<BrazeSettings>(
            serde_json::json!({"external_identity_type": "nope"}),
        );
        assert!(err.is_err());
    }
}
