//! The typed model of one Currents event, in the Custom HTTP connector's shape, which is
//! also the form braid keeps: `event_type`, `id`, `time` (UNIX seconds), `user` and
//! `properties`. Unknown fields are kept, not dropped: Braze adds fields with little
//! notice.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One Currents event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentsEvent {
    /// The Currents type, e.g. `users.messages.email.Open`.
    pub event_type: String,
    /// Braze's globally unique event id: the de-duplication key.
    pub id: String,
    /// When it happened, UNIX seconds.
    pub time: i64,
    /// Who it is about.
    #[serde(default)]
    pub user: CurrentsUser,
    /// Everything else Braze sent about the event.
    #[serde(default)]
    pub properties: Map<String, Value>,
    /// Top-level fields this model does not name, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `user` object of a Currents event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CurrentsUser {
    /// Braze's own user id (`braze_id`), not the external id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The customer's `external_id` in Braze.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Fields of `user` this model does not name, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CurrentsEvent {
    /// When it happened in UNIX milliseconds: `time_ms` when Braze gave it, else `time`.
    pub fn time_ms(&self) -> i64 {
        self.properties
            .get("time_ms")
            .and_then(Value::as_i64)
            .unwrap_or(self.time.saturating_mul(1000))
    }

    /// The catalogue entry of its type, if braid knows the type.
    pub fn spec(&self) -> Option<&'static EventTypeSpec> {
        spec(&self.event_type)
    }

    /// The family its type belongs to.
    pub fn family(&self) -> Family {
        Family::of(&self.event_type)
    }

    /// The key events of one user share: external id, else Braze id, else none.
    pub fn user_key(&self) -> Option<String> {
        match (&self.user.external_user_id, &self.user.user_id) {
            (Some(e), _) if !e.is_empty() => Some(format!("external:{e}")),
            (_, Some(b)) if !b.is_empty() => Some(format!("braze:{b}")),
            _ => None,
        }
    }

    /// A subscription change this event states, if it is one.
    pub fn subscription_change(&self) -> Option<SubscriptionChange> {
        let status = self.properties.get("subscription_status")?.as_str()?;
        let state = SubscriptionState::parse(status)?;
        let target = match self.family() {
            Family::SubscriptionGroup => SubscriptionTarget::Group(
                self.properties
                    .get("subscription_group_id")?
                    .as_str()?
                    .to_string(),
            ),
            Family::Subscription => {
                let channel = self
                    .properties
                    .get("channel")
                    .and_then(Value::as_str)
                    .unwrap_or("email")
                    .to_ascii_lowercase();
                match channel.as_str() {
                    "push" => SubscriptionTarget::Push,
                    _ => SubscriptionTarget::Email,
                }
            }
            _ => return None,
        };
        Some(SubscriptionChange {
            target,
            state,
            at_ms: self.time_ms(),
        })
    }
}

/// What a subscription change is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionTarget {
    /// The global email subscription (`email_subscribe`).
    Email,
    /// The global push subscription (`push_subscribe`).
    Push,
    /// A subscription group, by id.
    Group(String),
}

/// A subscription state as Braze reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionState {
    OptedIn,
    Subscribed,
    Unsubscribed,
}

impl SubscriptionState {
    /// `Subscribed`, `Unsubscribed` or `Opted In`, in any letter case.
    pub fn parse(s: &str) -> Option<Self> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['_', ' '], "")
            .as_str()
        {
            "optedin" => Some(SubscriptionState::OptedIn),
            "subscribed" => Some(SubscriptionState::Subscribed),
            "unsubscribed" => Some(SubscriptionState::Unsubscribed),
            _ => None,
        }
    }

    /// Braze's attribute value: `opted_in`, `subscribed`, `unsubscribed`.
    pub fn as_braze(self) -> &'static str {
        match self {
            SubscriptionState::OptedIn => "opted_in",
            SubscriptionState::Subscribed => "subscribed",
            SubscriptionState::Unsubscribed => "unsubscribed",
        }
    }
}

/// One subscription change from a Currents event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionChange {
    pub target: SubscriptionTarget,
    pub state: SubscriptionState,
    /// When Braze recorded it, UNIX ms.
    pub at_ms: i64,
}

/// What braid does with an event type, by the area its name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// `users.messages.*`: sends, deliveries, opens, clicks, bounces on every channel.
    MessageEngagement,
    /// `users.campaigns.*`, `users.canvas.*`, `users.canvasstep.*`.
    CampaignCanvas,
    /// `users.behaviors.CustomEvent`.
    CustomEvent,
    /// `users.behaviors.Purchase`.
    Purchase,
    /// `users.behaviors.subscription.GlobalStateChange`.
    Subscription,
    /// `users.behaviors.subscriptiongroup.StateChange`.
    SubscriptionGroup,
    /// Other `users.behaviors.*`: sessions, location, install attribution, uninstall,
    /// push tokens, live activity tokens.
    Behavior,
    /// `users.profile.Update`, `users.UserDeleteRequest`, `users.UserOrphan`,
    /// `users.RandomBucketNumberUpdate`.
    UserLifecycle,
    /// `agentconsole.*`: about an agent, not a user.
    AgentConsole,
    /// A type braid does not know yet.
    Unknown,
}

impl Family {
    /// The family of an event type name.
    pub fn of(event_type: &str) -> Family {
        match event_type {
            "users.behaviors.CustomEvent" => Family::CustomEvent,
            "users.behaviors.Purchase" => Family::Purchase,
            "users.behaviors.subscription.GlobalStateChange" => Family::Subscription,
            "users.behaviors.subscriptiongroup.StateChange" => Family::SubscriptionGroup,
            t if t.starts_with("users.messages.") => Family::MessageEngagement,
            t if t.starts_with("users.campaigns.")
                || t.starts_with("users.canvas.")
                || t.starts_with("users.canvasstep.") =>
            {
                Family::CampaignCanvas
            }
            t if t.starts_with("users.behaviors.") => Family::Behavior,
            "users.profile.Update"
            | "users.UserDeleteRequest"
            | "users.UserOrphan"
            | "users.RandomBucketNumberUpdate" => Family::UserLifecycle,
            t if t.starts_with("agentconsole.") => Family::AgentConsole,
            _ => Family::Unknown,
        }
    }

    /// Whether events of this family are about a user (and so go on a profile).
    pub fn is_about_a_user(self) -> bool {
        !matches!(self, Family::AgentConsole)
    }
}

/// The type of a field in Braze's storage schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    String,
    Int,
    Long,
    Float,
    Bool,
    StringArray,
}

/// One field of an event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    /// Non-null in Braze's schema.
    pub required: bool,
}

/// One event type and its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTypeSpec {
    pub name: &'static str,
    pub fields: &'static [FieldSpec],
}

impl EventTypeSpec {
    /// The Avro record namespace Braze's storage connectors use for this type.
    pub fn avro_namespace(&self) -> String {
        let prefix = self.name.rsplit_once('.').map(|(p, _)| p).unwrap_or("");
        format!("dataexport.S3.inner.{prefix}")
    }

    /// The Avro record name: the last segment of the type.
    pub fn avro_name(&self) -> &'static str {
        self.name
            .rsplit_once('.')
            .map(|(_, n)| n)
            .unwrap_or(self.name)
    }
}

/// The catalogue entry of an event type (the storage schemas, plus the legacy News Feed
/// types that only the Custom HTTP connector sends).
pub fn spec(event_type: &str) -> Option<&'static EventTypeSpec> {
    crate::catalogue::EVENT_TYPES
        .iter()
        .chain(LEGACY_CUSTOM_HTTP_TYPES)
        .find(|s| s.name == event_type)
}

/// Every event type braid knows, storage types first.
pub fn all_types() -> impl Iterator<Item = &'static EventTypeSpec> {
    crate::catalogue::EVENT_TYPES
        .iter()
        .chain(LEGACY_CUSTOM_HTTP_TYPES)
}

const LEGACY_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "id",
        kind: FieldKind::String,
        required: true,
    },
    FieldSpec {
        name: "user_id",
        kind: FieldKind::String,
        required: true,
    },
    FieldSpec {
        name: "external_user_id",
        kind: FieldKind::String,
        required: false,
    },
    FieldSpec {
        name: "time",
        kind: FieldKind::Int,
        required: true,
    },
    FieldSpec {
        name: "timezone",
        kind: FieldKind::String,
        required: false,
    },
    FieldSpec {
        name: "device_id",
        kind: FieldKind::String,
        required: false,
    },
    FieldSpec {
        name: "app_id",
        kind: FieldKind::String,
        required: false,
    },
    FieldSpec {
        name: "campaign_id",
        kind: FieldKind::String,
        required: false,
    },
    FieldSpec {
        name: "platform",
        kind: FieldKind::String,
        required: false,
    },
];

/// The deprecated News Feed card types: only the Custom HTTP connector has samples of
/// them, so their field list is the common user fields only.
pub static LEGACY_CUSTOM_HTTP_TYPES: &[EventTypeSpec] = &[
    EventTypeSpec {
        name: "users.messages.newsfeedcard.Abort",
        fields: LEGACY_FIELDS,
    },
    EventTypeSpec {
        name: "users.messages.newsfeedcard.Click",
        fields: LEGACY_FIELDS,
    },
    EventTypeSpec {
        name: "users.messages.newsfeedcard.Impression",
        fields: LEGACY_FIELDS,
    },
];

/// Fields of the storage schema that the Custom HTTP shape moves out of `properties`.
pub const TOP_LEVEL_FIELDS: [&str; 2] = ["id", "time"];
/// Fields of the storage schema that the Custom HTTP shape puts in `user`.
pub const USER_FIELDS: [&str; 4] = ["user_id", "external_user_id", "device_id", "timezone"];
