//! The one validator of `/users/track` objects and requests, used by braid before sending
//! and by `braze-sim` on receipt, so the two can never disagree.

use serde_json::{Map, Value};

/// Identifier fields that always name the user when present.
const STRONG_IDENTIFIERS: [&str; 3] = ["external_id", "user_alias", "braze_id"];

/// The field that names the object's user, if any.
///
/// `external_id`, `user_alias` and `braze_id` take precedence; without them `email`, then
/// `phone`, is the identifier. Next to a stronger identifier `email`/`phone` are attributes.
pub fn identifier_field(object: &Map<String, Value>) -> Option<&'static str> {
    STRONG_IDENTIFIERS
        .into_iter()
        .chain(["email", "phone"])
        .find(|key| object.contains_key(*key))
}
