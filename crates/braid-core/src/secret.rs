//! `Secret`: a configured key, secret or token that never prints. `Debug`, `Display` and
//! `Serialize` show `<redacted>`; the value is read with [`Secret::expose`] only where it
//! is really used, and compared in constant time.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use subtle::ConstantTimeEq;

/// What a secret prints as.
pub const REDACTED: &str = "<redacted>";

/// A secret string: deserialised from a plain string, printed as `<redacted>`.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wrap a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the one place that sends or checks it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this secret, in time that does not depend on where they
    /// differ.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        bool::from(self.0.as_bytes().ct_eq(candidate))
    }

    /// Length in bytes (for validation messages that must not show the value).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.matches(other.0.as_bytes())
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// For `#[serde(serialize_with = ...)]` on the one field that must store the value
/// itself (a credentials file readable by its owner only).
pub fn serialize_exposed<S: Serializer>(secret: &Secret, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose())
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rendering_is_redacted() {
        let secret = Secret::new("hunter2-unique-value");
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert_eq!(format!("{secret}"), REDACTED);
        assert_eq!(
            serde_json::to_string(&secret).unwrap(),
            format!("\"{REDACTED}\"")
        );
        assert_eq!(
            format!("{:?}", Some(secret.clone())),
            format!("Some({REDACTED})")
        );
        assert_eq!(secret.expose(), "hunter2-unique-value");
    }

    #[test]
    fn deserialises_from_a_plain_string_and_compares_by_value() {
        let secret: Secret = serde_json::from_str("\"abc-123\"").unwrap();
        assert_eq!(secret, Secret::from("abc-123"));
        assert_ne!(secret, Secret::from("abc-124"));
        assert!(secret.matches(b"abc-123"));
        assert!(!secret.matches(b"abc-12"));
        assert_eq!(secret.len(), 7);
    }

    #[test]
    fn serialize_exposed_writes_the_value_for_storage() {
        #[derive(Serialize)]
        struct Stored {
            #[serde(serialize_with = "serialize_exposed")]
            secret: Secret,
        }
        let stored = Stored {
            secret: Secret::new("kept-in-file"),
        };
        assert_eq!(
            serde_json::to_string(&stored).unwrap(),
            r#"{"secret":"kept-in-file"}"#
        );
    }
}
