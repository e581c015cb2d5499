//! `GET /JS/v2/{key}/config?env=0|1`: the remote config the Web SDK loads at start-up.
//!
//! The SDK merges this answer over its init options, so braid returns only what it
//! owns: `kitConfigs` (the Braze web kit, module 28, when `[web.braze_kit]` enables it)
//! and `pixelConfigs` (none). It never returns `flags`, URLs or `directURLRouting`,
//! which would override the page's own settings (a returned `flags` object replaces the
//! page's whole `flags`).

use super::WebError;
use crate::app::AppState;
use crate::config::BrazeForwarding;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

/// `[web.braze_kit]`: the Braze web kit's settings, named after the settings of
/// mParticle's Braze kit configuration. Used by web inputs with
/// `braze_forwarding = "kit"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrazeKitConfig {
    /// Return the kit in `/config`. Default false.
    pub enabled: bool,
    /// The Braze Web app identifier ("API key" of the web app in Braze). It is public:
    /// the page sends it to Braze from every browser.
    pub api_key: String,
    /// Braze's SDK cluster: `01`…`06`, `08`, `EU` or `EU02`. Give this or `sdk_endpoint`.
    pub cluster: Option<String>,
    /// A Braze SDK endpoint host (like `sdk.iad-05.braze.com`), instead of `cluster`.
    pub sdk_endpoint: Option<String>,
    /// Which identity the kit passes to Braze's `changeUser`: `MPID`, `CustomerId`,
    /// `Email`, `Other`, `Other2` … Keep it the same as `braze.external_identity_type`,
    /// or the browser and braid name the Braze user differently. Default `CustomerId`.
    pub user_identification_type: String,
    /// Braze session timeout in seconds. Default 1800.
    pub session_timeout_secs: u32,
    /// Forward page views as custom events. Default false.
    pub forward_screen_views: bool,
    /// Name forwarded page views by page name rather than URL path. Default false.
    pub set_event_name_for_page_view: bool,
    /// One purchase per commerce event instead of one per product. Default false.
    pub bundle_commerce_event_data: bool,
    /// Use the SKU as the purchase's product id. Default false.
    pub forward_sku_as_product_name: bool,
    /// Allow HTML in-app messages. Default false.
    pub enable_html_in_app_messages: bool,
    /// Do not load Font Awesome for in-app messages. Default false.
    pub do_not_load_font_awesome: bool,
    /// Show in-app messages automatically. Default true.
    pub register_inapp: bool,
    /// Safari website push id, if web push is used.
    pub safari_website_push_id: Option<String>,
    /// Where the page serves Braze's service worker, if web push is used.
    pub service_worker_location: Option<String>,
    /// A custom event that triggers the soft push prompt.
    pub soft_push_custom_event_name: Option<String>,
    /// The kit's registration suffix: `v4` for `@mparticle/web-braze-kit` 4.x, `v3` for
    /// 3.x. Default `v4`.
    pub kit_suffix: String,
}

impl Default for BrazeKitConfig {
    fn default() -> Self {
        BrazeKitConfig {
            enabled: false,
            api_key: String::new(),
            cluster: None,
            sdk_endpoint: None,
            user_identification_type: "CustomerId".into(),
            session_timeout_secs: 1800,
            forward_screen_views: false,
            set_event_name_for_page_view: false,
            bundle_commerce_event_data: false,
            forward_sku_as_product_name: false,
            enable_html_in_app_messages: false,
            do_not_load_font_awesome: false,
            register_inapp: true,
            safari_website_push_id: None,
            service_worker_location: None,
            soft_push_custom_event_name: None,
            kit_suffix: "v4".into(),
        }
    }
}

/// Braze's SDK clusters the kit knows by name.
const CLUSTERS: [&str; 9] = ["01", "02", "03", "04", "05", "06", "08", "EU", "EU02"];

impl BrazeKitConfig {
    /// `(key, problem)` for an unusable setting.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !self.enabled {
            return Ok(());
        }
        if self.api_key.trim().is_empty() {
            return Err((
                "api_key".into(),
                "required when the kit is enabled: the Braze Web app identifier".into(),
            ));
        }
        match (&self.cluster, &self.sdk_endpoint) {
            (Some(_), Some(_)) => {
                return Err((
                    "sdk_endpoint".into(),
                    "give cluster or sdk_endpoint, not both".into(),
                ))
            }
            (None, None) => {
                return Err((
                    "cluster".into(),
                    "required when the kit is enabled (or give sdk_endpoint)".into(),
                ))
            }
            (Some(cluster), None) if !CLUSTERS.contains(&cluster.as_str()) => {
                return Err((
                    "cluster".into(),
                    format!("`{cluster}` is not one of {}", CLUSTERS.join(", ")),
                ))
            }
            (None, Some(host)) if host.contains('/') || host.trim().is_empty() => {
                return Err((
                    "sdk_endpoint".into(),
                    "a host (and port) only, like sdk.iad-05.braze.com".into(),
                ))
            }
            _ => {}
        }
        if !matches!(self.kit_suffix.as_str(), "v3" | "v4") {
            return Err(("kit_suffix".into(), "must be v3 or v4".into()));
        }
        Ok(())
    }

    /// The `kitConfigs` entry for the Braze kit (module 28); `is_debug` must equal the
    /// page's `isDevelopmentMode`, or the SDK skips the kit.
    pub fn kit_config(&self, is_debug: bool) -> Value {
        let flag = |b: bool| if b { "True" } else { "False" };
        // A custom endpoint travels in the `cluster` setting as `{"JS": "<host>"}`.
        let cluster = match (&self.cluster, &self.sdk_endpoint) {
            (Some(cluster), _) => cluster.clone(),
            (None, Some(host)) => json!({"JS": host}).to_string(),
            (None, None) => String::new(),
        };
        let mut settings = json!({
            "apiKey": self.api_key,
            "cluster": cluster,
            "userIdentificationType": self.user_identification_type,
            "ABKSessionTimeoutKey": self.session_timeout_secs.to_string(),
            "forwardScreenViews": flag(self.forward_screen_views),
            "setEventNameForPageView": flag(self.set_event_name_for_page_view),
            "bundleCommerceEventData": flag(self.bundle_commerce_event_data),
            "forwardSkuAsProductName": flag(self.forward_sku_as_product_name),
            "enableHtmlInAppMessages": flag(self.enable_html_in_app_messages),
            "doNotLoadFontAwesome": flag(self.do_not_load_font_awesome),
            "register_inapp": flag(self.register_inapp),
        });
        for (name, value) in [
            ("safariWebsitePushId", &self.safari_website_push_id),
            ("serviceWorkerLocation", &self.service_worker_location),
            ("softPushCustomEventName", &self.soft_push_custom_event_name),
        ] {
            if let Some(value) = value {
                settings[name] = Value::String(value.clone());
            }
        }
        json!({
            "name": "Appboy",
            "suffix": self.kit_suffix,
            "moduleId": 28,
            "isDebug": is_debug,
            "isVisible": true,
            "isDebugString": if is_debug { "true" } else { "false" },
            "hasDebugString": "true",
            "eventSubscriptionId": 0,
            "excludeAnonymousUser": false,
            "eventTypeFilters": [],
            "eventNameFilters": [],
            "screenNameFilters": [],
            "screenAttributeFilters": [],
            "userIdentityFilters": [],
            "userAttributeFilters": [],
            "attributeFilters": [],
            "filteringEventAttributeValue": null,
            "filteringUserAttributeValue": null,
            "filteringConsentRuleValues": null,
            "consentRegulationFilters": [],
            "consentRegulationPurposeFilters": [],
            "messageTypeFilters": [],
            "messageTypeStateFilters": [],
            "settings": settings,
        })
    }
}

/// `?env=` (1 = development) and the data plan parameters, which braid ignores.
#[derive(Debug, Deserialize)]
pub struct ConfigQuery {
    env: Option<String>,
}

/// `GET /JS/v2/{key}/config`.
pub async fn config(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    Query(query): Query<ConfigQuery>,
) -> Result<Response, WebError> {
    let input = state
        .web
        .input(&key)
        .ok_or_else(|| WebError::UnknownKey(key.clone()))?;
    let kit = &state.config.web.braze_kit;
    let is_debug = query.env.as_deref() == Some("1");
    let kits: Vec<Value> = if kit.enabled && input.braze_forwarding == BrazeForwarding::Kit {
        vec![kit.kit_config(is_debug)]
    } else {
        Vec::new()
    };
    Ok((
        StatusCode::OK,
        Json(json!({"kitConfigs": kits, "pixelConfigs": []})),
    )
        .into_response())
}
