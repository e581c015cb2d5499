//! The Currents event types braid knows, with each type's fields as Braze's storage
//! connectors write them (generated from the field lists in the reference sheet). The
//! table drives the Avro fixture schemas and tells which fields are required; events of
//! a type not listed here are still accepted (Braze adds types with little notice).

use crate::model::{EventTypeSpec, FieldKind, FieldSpec};

use FieldKind::*;

/// Every event type in the catalogue, in name order.
pub static EVENT_TYPES: &[EventTypeSpec] = &[
    EventTypeSpec {
        name: "agentconsole.AgentExecuted",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "invocation_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "request_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "duration",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "prompt_tokens",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "completion_tokens",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "total_tokens",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "cache_tokens",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "reasoning_tokens",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Long,
                required: true,
            },
            FieldSpec {
                name: "agent_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "agent_name",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "model_provider",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "model_name",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "provider_request_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "cache_hit",
                kind: Bool,
                required: true,
            },
            FieldSpec {
                name: "llm_owned_by_customer",
                kind: Bool,
                required: true,
            },
            FieldSpec {
                name: "is_error",
                kind: Bool,
                required: true,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "input",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "output",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "invocation_source",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "error",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "agentconsole.ToolInvocation",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "tool_call_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "duration",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Long,
                required: true,
            },
            FieldSpec {
                name: "agent_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "agent_name",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "is_error",
                kind: Bool,
                required: true,
            },
            FieldSpec {
                name: "tool_name",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "tool_arguments",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "invocation_source",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "request_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.RandomBucketNumberUpdate",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "random_bucket_number",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "prev_random_bucket_number",
                kind: Int,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.UserDeleteRequest",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
        ],
    },
    EventTypeSpec {
        name: "users.UserOrphan",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "orphaned_by_id",
                kind: String,
                required: true,
            },
        ],
    },
    EventTypeSpec {
        name: "users.behaviors.CustomEvent",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "name",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "properties",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.behaviors.InstallAttribution",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "source",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.behaviors.Location",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "latitude",
                kind: Float,
                required: true,
            },
            FieldSpec {
                name: "longitude",
                kind: Float,
                required: true,
            },
            FieldSpec {
                name: "altitude",
                kind: Float,
                required: false,
            },
            FieldSpec {
                name: "ll_accuracy",
                kind: Float,
                required: false,
            },
            FieldSpec {
                name: "alt_accuracy",
                kind: Float,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.behaviors.Purchase",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "product_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "price",
                kind: Float,
                required: true,
            },
            FieldSpec {
                name: "currency",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "properties",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.behaviors.Uninstall",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.behaviors.app.FirstSession",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "session_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "gender",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "country",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "language",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "sdk_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.behaviors.app.SessionEnd",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "duration",
                kind: Float,
                required: false,
            },
            FieldSpec {
                name: "session_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.behaviors.app.SessionStart",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "session_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.behaviors.liveactivity.PushToStartTokenChange",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "activity_attributes_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "push_to_start_token",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "sdk_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ios_push_token_apns_gateway",
                kind: Int,
                required: false,
            },
            FieldSpec {
                name: "push_token_state_change_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.behaviors.liveactivity.UpdateTokenChange",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "activity_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "update_token",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "sdk_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ios_push_token_apns_gateway",
                kind: Int,
                required: false,
            },
            FieldSpec {
                name: "push_token_state_change_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.behaviors.pushnotification.TokenStateChange",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time_ms",
                kind: Long,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "push_token",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "sdk_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "push_token_device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "push_token_created_at",
                kind: Int,
                required: false,
            },
            FieldSpec {
                name: "push_token_updated_at",
                kind: Int,
                required: false,
            },
            FieldSpec {
                name: "web_push_token_user_auth",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "web_push_token_public_key",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ios_push_token_apns_gateway",
                kind: Int,
                required: false,
            },
            FieldSpec {
                name: "push_token_state_change_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "web_push_token_vapid_public_key",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "push_token_provisionally_opted_in",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "push_token_foreground_push_disabled",
                kind: Bool,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.behaviors.subscription.GlobalStateChange",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "state_change_source",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_status",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "channel",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "channel_identifier",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.behaviors.subscriptiongroup.StateChange",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "subscription_status",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "channel",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "state_change_source",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "channel_identifier",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.campaigns.Conversion",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "conversion_behavior_index",
                kind: Int,
                required: false,
            },
            FieldSpec {
                name: "conversion_behavior",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.campaigns.EnrollInControl",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.canvas.Conversion",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "conversion_behavior_index",
                kind: Int,
                required: false,
            },
            FieldSpec {
                name: "conversion_behavior",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.canvas.Entry",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "in_control_group",
                kind: Bool,
                required: true,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.canvas.costep.Send",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "channel",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "content_optimizer_step_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "combination_token",
                kind: String,
                required: true,
            },
        ],
    },
    EventTypeSpec {
        name: "users.canvas.exit.MatchedAudience",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "app_group_api_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_api_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_api_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_api_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.canvas.exit.PerformedEvent",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "app_group_api_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_api_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_api_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_api_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.canvas.experimentstep.Conversion",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "experiment_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "experiment_split_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "experiment_split_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "conversion_behavior_index",
                kind: Int,
                required: false,
            },
            FieldSpec {
                name: "conversion_behavior",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.canvas.experimentstep.SplitEntry",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "experiment_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "experiment_split_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "experiment_split_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "in_control_group",
                kind: Bool,
                required: true,
            },
        ],
    },
    EventTypeSpec {
        name: "users.canvasstep.Progression",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "progression_type",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "is_canvas_entry",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "exit_reason",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_entry_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "next_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.banner.Abort",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "gender",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "country",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "language",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "sdk_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "resolution",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "carrier",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "browser",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "abort_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "abort_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "banner_placement_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.banner.Click",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "gender",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "country",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "language",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "sdk_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "resolution",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "carrier",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "browser",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "button_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "banner_placement_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.banner.Dismiss",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "gender",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "country",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "language",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "sdk_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "resolution",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "carrier",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "browser",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "button_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "banner_placement_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.banner.Impression",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "gender",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "country",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "language",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "sdk_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "resolution",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "carrier",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "browser",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "banner_placement_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.contentcard.Abort",
        fields: &[
            FieldSpec {
                name: "abort_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "abort_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.contentcard.Click",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "content_card_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.contentcard.Dismiss",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "content_card_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.contentcard.Impression",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "content_card_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.contentcard.Send",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "content_card_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_extras",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.email.Abort",
        fields: &[
            FieldSpec {
                name: "abort_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "abort_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "ip_pool",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.email.Bounce",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "sending_ip",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ip_pool",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "bounce_reason",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "esp",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_domain",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "is_drop",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.email.Click",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "url",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_agent",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ip_pool",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "link_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "link_alias",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "esp",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_domain",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "is_amp",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_class",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_os",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "browser",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "mailbox_provider",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "is_suspected_bot_click",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "suspected_bot_click_reason",
                kind: StringArray,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.email.Deferral",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "recipient_domain",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "esp",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_domain",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ip_pool",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "sending_ip",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "deferral_reason",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "attempt_count",
                kind: Int,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.email.Delivery",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "sending_ip",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ip_pool",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "esp",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_domain",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.email.MarkAsSpam",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_agent",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ip_pool",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "esp",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_domain",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.email.Open",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_agent",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ip_pool",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "machine_open",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "esp",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_domain",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "is_amp",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_class",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_os",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "browser",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "mailbox_provider",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.email.Retry",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "retry_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "retry_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "gender",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "country",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "language",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "ip_pool",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.email.Send",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ip_pool",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_extras",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_domain",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.email.SoftBounce",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "sending_ip",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ip_pool",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "bounce_reason",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "esp",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_domain",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.email.Unsubscribe",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ip_pool",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.featureflag.Impression",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "feature_flag_id_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "gender",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "browser",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "carrier",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "country",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "language",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "resolution",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "sdk_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.inappmessage.Abort",
        fields: &[
            FieldSpec {
                name: "abort_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "abort_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "browser",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "card_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "carrier",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "resolution",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "version",
                kind: String,
                required: true,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.inappmessage.Click",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "card_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "button_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.inappmessage.Impression",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "card_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_extras",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "locale_key",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.line.Abort",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "abort_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "abort_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "line_channel_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "line_channel_name",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "native_line_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.line.Click",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "native_line_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "line_channel_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "line_channel_name",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "is_suspected_bot_click",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "short_url",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "url",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_agent",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.line.InboundReceive",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "line_channel_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "line_channel_name",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "media_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_body",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "native_line_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.line.Retry",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "retry_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "retry_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "line_channel_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "line_channel_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "native_line_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.line.Send",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "line_channel_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "line_channel_name",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "message_extras",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "native_line_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.liveactivity.Outcome",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "activity_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "activity_attributes_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "push_to_start_token",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "update_token",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "live_activity_event_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "live_activity_event_outcome",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.liveactivity.Send",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "activity_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "activity_attributes_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "push_to_start_token",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "update_token",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "live_activity_event_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.pushnotification.Abort",
        fields: &[
            FieldSpec {
                name: "abort_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "abort_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.pushnotification.Bounce",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "push_token",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.pushnotification.IosForeground",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.pushnotification.Open",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "os_version",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_model",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "button_action_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "button_string",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.pushnotification.Retry",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "gender",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "country",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "language",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "retry_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "retry_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.pushnotification.Send",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "platform",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_id_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "ad_tracking_enabled",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "message_extras",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "push_token",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "locale_key",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.rcs.Abort",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "abort_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "abort_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.rcs.Click",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "is_suspected_bot_click",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "short_url",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "suspected_bot_click_reason",
                kind: StringArray,
                required: false,
            },
            FieldSpec {
                name: "user_agent",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "interaction_type",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "element_label",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "element_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "url",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.rcs.Delivery",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_rcs_sender",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.rcs.InboundReceive",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "action",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "media_urls",
                kind: StringArray,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_phone_number",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_body",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "to_rcs_sender",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.rcs.Read",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.rcs.Rejection",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "error",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_rcs_sender",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "is_sms_fallback",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "provider_error_code",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.rcs.Send",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "category",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_rcs_sender",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_extras",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.sms.Abort",
        fields: &[
            FieldSpec {
                name: "abort_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "abort_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.sms.CarrierSend",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.sms.Delivery",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "is_sms_fallback",
                kind: Bool,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.sms.DeliveryFailure",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "error",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "provider_error_code",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "is_sms_fallback",
                kind: Bool,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.sms.InboundReceive",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_phone_number",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "inbound_phone_number",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "action",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "message_body",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "media_urls",
                kind: StringArray,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.sms.Rejection",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "error",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "provider_error_code",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "is_sms_fallback",
                kind: Bool,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.sms.Retry",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "retry_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "retry_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.sms.Send",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "category",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_extras",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.sms.ShortLinkClick",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "url",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "short_url",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_agent",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "is_suspected_bot_click",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "suspected_bot_click_reason",
                kind: StringArray,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.webhook.Abort",
        fields: &[
            FieldSpec {
                name: "abort_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "abort_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.webhook.Failure",
        fields: &[
            FieldSpec {
                name: "http_status_code",
                kind: Int,
                required: false,
            },
            FieldSpec {
                name: "endpoint_url",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "content_length",
                kind: Int,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "host",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "raw_response",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "retry_count",
                kind: Int,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "url_path",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "webhook_duration",
                kind: Int,
                required: false,
            },
            FieldSpec {
                name: "webhook_failure_source",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "is_terminal",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.webhook.Retry",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "gender",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "country",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "language",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "retry_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "retry_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.webhook.Send",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_extras",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.whatsapp.Abort",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Long,
                required: true,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "abort_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "abort_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "bsuid",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.whatsapp.Click",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "url",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "short_url",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "user_agent",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.whatsapp.Delivery",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Long,
                required: true,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_phone_number",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "flow_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "template_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "bsuid",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.whatsapp.Failure",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Long,
                required: true,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_phone_number",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "provider_error_code",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "provider_error_title",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "template_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "flow_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "bsuid",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.whatsapp.InboundReceive",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Long,
                required: true,
            },
            FieldSpec {
                name: "user_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "inbound_phone_number",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_body",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "quick_reply_text",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "media_urls",
                kind: StringArray,
                required: false,
            },
            FieldSpec {
                name: "action",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "catalog_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "product_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "flow_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "flow_response_json",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "in_reply_to",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "bsuid",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.whatsapp.Read",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Long,
                required: true,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_phone_number",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "template_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "flow_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "bsuid",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.whatsapp.Retry",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "retry_type",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "retry_log",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "bsuid",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.messages.whatsapp.Send",
        fields: &[
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Long,
                required: true,
            },
            FieldSpec {
                name: "to_phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "device_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "from_phone_number",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "subscription_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "campaign_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_variation_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "canvas_step_message_variation_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dispatch_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_extras",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "send_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "flow_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "template_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "message_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "bsuid",
                kind: String,
                required: false,
            },
        ],
    },
    EventTypeSpec {
        name: "users.profile.Update",
        fields: &[
            FieldSpec {
                name: "app_group_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "external_user_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "time",
                kind: Int,
                required: true,
            },
            FieldSpec {
                name: "time_ms",
                kind: Long,
                required: true,
            },
            FieldSpec {
                name: "user_id",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "app_id",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "update_source",
                kind: String,
                required: true,
            },
            FieldSpec {
                name: "archived",
                kind: Bool,
                required: false,
            },
            FieldSpec {
                name: "first_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "last_name",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "email_address",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "gender",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "phone_number",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "dob",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "timezone",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "home_city",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "country",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "language",
                kind: String,
                required: false,
            },
            FieldSpec {
                name: "custom_attributes",
                kind: String,
                required: false,
            },
        ],
    },
];
