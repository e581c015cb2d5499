//! User identities (`user_identities`) and the MPID.

use crate::json::{deserialize_via_from_json, FromJson};
use crate::parse::BatchError;
use crate::path::Path;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// An mParticle ID: a signed 64-bit integer. Clients send it as a number or a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mpid(pub i64);

impl fmt::Display for Mpid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Mpid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl Mpid {
    /// Reads an MPID sent as a JSON number or a decimal string. Values above `i64::MAX`
    /// are read as the same 64 bits, since mParticle MPIDs are signed and some clients
    /// print them unsigned.
    pub fn from_value(v: &Value) -> Option<Mpid> {
        match v {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_u64().map(|u| u as i64))
                .map(Mpid),
            Value::String(s) => {
                let t = s.trim();
                t.parse::<i64>()
                    .ok()
                    .or_else(|| t.parse::<u64>().ok().map(|u| u as i64))
                    .map(Mpid)
            }
            _ => None,
        }
    }
}

impl FromJson for Mpid {
    fn from_json(value: Value, path: &Path<'_>) -> Result<Self, BatchError> {
        Mpid::from_value(&value).ok_or_else(|| path.err("expected a 64-bit integer"))
    }
}

deserialize_via_from_json!(Mpid);

/// Reads `mpid`; `null` and `""` read as absent.
pub(crate) fn opt_mpid(v: Value, p: &Path<'_>) -> Result<Option<Mpid>, BatchError> {
    match &v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        _ => Mpid::from_json(v, p).map(Some),
    }
}

/// The identity types of `user_identities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentityType {
    /// `customer_id`; the official Python and Node SDKs send `customerid`.
    CustomerId,
    Email,
    Other,
    OtherId2,
    OtherId3,
    OtherId4,
    OtherId5,
    OtherId6,
    OtherId7,
    OtherId8,
    OtherId9,
    OtherId10,
    MobileNumber,
    PhoneNumber2,
    PhoneNumber3,
    Facebook,
    Twitter,
    Google,
    Microsoft,
    Yahoo,
    Alias,
    FacebookCustomAudienceId,
}

impl IdentityType {
    /// Every identity type, in a stable order.
    pub const ALL: [IdentityType; 22] = [
        IdentityType::CustomerId,
        IdentityType::Email,
        IdentityType::Other,
        IdentityType::OtherId2,
        IdentityType::OtherId3,
        IdentityType::OtherId4,
        IdentityType::OtherId5,
        IdentityType::OtherId6,
        IdentityType::OtherId7,
        IdentityType::OtherId8,
        IdentityType::OtherId9,
        IdentityType::OtherId10,
        IdentityType::MobileNumber,
        IdentityType::PhoneNumber2,
        IdentityType::PhoneNumber3,
        IdentityType::Facebook,
        IdentityType::Twitter,
        IdentityType::Google,
        IdentityType::Microsoft,
        IdentityType::Yahoo,
        IdentityType::Alias,
        IdentityType::FacebookCustomAudienceId,
    ];

    /// The canonical snake_case name (`customer_id`, `other_id_2`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityType::CustomerId => "customer_id",
            IdentityType::Email => "email",
            IdentityType::Other => "other",
            IdentityType::OtherId2 => "other_id_2",
            IdentityType::OtherId3 => "other_id_3",
            IdentityType::OtherId4 => "other_id_4",
            IdentityType::OtherId5 => "other_id_5",
            IdentityType::OtherId6 => "other_id_6",
            IdentityType::OtherId7 => "other_id_7",
            IdentityType::OtherId8 => "other_id_8",
            IdentityType::OtherId9 => "other_id_9",
            IdentityType::OtherId10 => "other_id_10",
            IdentityType::MobileNumber => "mobile_number",
            IdentityType::PhoneNumber2 => "phone_number_2",
            IdentityType::PhoneNumber3 => "phone_number_3",
            IdentityType::Facebook => "facebook",
            IdentityType::Twitter => "twitter",
            IdentityType::Google => "google",
            IdentityType::Microsoft => "microsoft",
            IdentityType::Yahoo => "yahoo",
            IdentityType::Alias => "alias",
            IdentityType::FacebookCustomAudienceId => "facebook_custom_audience_id",
        }
    }
}

impl fmt::Display for IdentityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl IdentityType {
    /// Reads an identity key as clients spell it: case, underscores and the `_id` of
    /// `other_id_N` are not significant, so `customer_id`, `customerid`, `CustomerId`,
    /// `other_id_2`, `otherid2` and `other_2` (the Python SDK's spelling) all match.
    pub fn parse_lenient(key: &str) -> Option<IdentityType> {
        let norm: String = key
            .chars()
            .filter(|c| *c != '_' && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let norm = match norm.strip_prefix("otherid") {
            Some(n) if !n.is_empty() => format!("other{n}"),
            _ => norm,
        };
        Some(match norm.as_str() {
            "customerid" => IdentityType::CustomerId,
            "email" => IdentityType::Email,
            "other" | "otherid" | "other1" => IdentityType::Other,
            "other2" => IdentityType::OtherId2,
            "other3" => IdentityType::OtherId3,
            "other4" => IdentityType::OtherId4,
            "other5" => IdentityType::OtherId5,
            "other6" => IdentityType::OtherId6,
            "other7" => IdentityType::OtherId7,
            "other8" => IdentityType::OtherId8,
            "other9" => IdentityType::OtherId9,
            "other10" => IdentityType::OtherId10,
            "mobilenumber" => IdentityType::MobileNumber,
            "phonenumber2" => IdentityType::PhoneNumber2,
            "phonenumber3" => IdentityType::PhoneNumber3,
            "facebook" => IdentityType::Facebook,
            "twitter" => IdentityType::Twitter,
            "google" => IdentityType::Google,
            "microsoft" => IdentityType::Microsoft,
            "yahoo" => IdentityType::Yahoo,
            "alias" => IdentityType::Alias,
            "facebookcustomaudienceid" => IdentityType::FacebookCustomAudienceId,
            _ => return None,
        })
    }
}

impl FromStr for IdentityType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdentityType::parse_lenient(s).ok_or_else(|| format!("unknown identity type `{s}`"))
    }
}

impl Serialize for IdentityType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for IdentityType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A user's identities by type.
pub type Identities = BTreeMap<IdentityType, String>;

/// Reads `user_identities`. Keys are matched with [`IdentityType::parse_lenient`]; keys
/// that name no identity type are ignored (mParticle adds types over time and an unknown
/// one must not sink the batch). `null` and empty values read as absent, since an empty
/// id would merge every user that sends one. Integer ids are kept as their decimal text.
pub(crate) fn identities(v: Value, p: &Path<'_>) -> Result<Identities, BatchError> {
    let mut out = Identities::new();
    for (key, value) in crate::json::opt_object(v, p)?.unwrap_or_default() {
        let Some(kind) = IdentityType::parse_lenient(&key) else {
            continue;
        };
        let kp = p.key(&key);
        let id = match value {
            Value::Null => continue,
            Value::String(s) => s,
            Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
            _ => return Err(kp.err("expected a string")),
        };
        if !id.trim().is_empty() {
            out.insert(kind, id);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_identity_type_reads_back_from_its_canonical_name() {
        for t in IdentityType::ALL {
            assert_eq!(IdentityType::parse_lenient(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), json!(t.as_str()));
            assert_eq!(
                serde_json::from_value::<IdentityType>(json!(t.as_str())).unwrap(),
                t
            );
        }
    }

    #[test]
    fn sdk_spellings_of_identity_keys_are_accepted() {
        for (key, want) in [
            ("customerid", IdentityType::CustomerId),
            ("customer_id", IdentityType::CustomerId),
            ("CustomerId", IdentityType::CustomerId),
            ("other_id_2", IdentityType::OtherId2),
            ("otherid2", IdentityType::OtherId2),
            ("other_2", IdentityType::OtherId2),
            ("other_id_10", IdentityType::OtherId10),
            ("phone_number_2", IdentityType::PhoneNumber2),
        ] {
            assert_eq!(IdentityType::parse_lenient(key), Some(want), "{key}");
        }
        assert_eq!(IdentityType::parse_lenient("other_id_11"), None);
        assert_eq!(IdentityType::parse_lenient("ios_idfa"), None);
    }

    #[test]
    fn mpid_reads_numbers_and_strings() {
        assert_eq!(Mpid::from_value(&json!(-42)), Some(Mpid(-42)));
        assert_eq!(Mpid::from_value(&json!("8675309")), Some(Mpid(8675309)));
        assert_eq!(Mpid::from_value(&json!(u64::MAX)), Some(Mpid(-1)));
        assert_eq!(
            Mpid::from_value(&json!("18446744073709551615")),
            Some(Mpid(-1))
        );
        assert_eq!(Mpid::from_value(&json!(1.5)), None);
        assert_eq!(Mpid::from_value(&json!("abc")), None);
    }
}
