//! User identities (`user_identities`) and the MPID.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
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

impl<'de> Deserialize<'de> for Mpid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Signed(i64),
            Unsigned(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Signed(v) => Ok(Mpid(v)),
            // mParticle MPIDs are signed 64-bit; an unsigned value above i64::MAX is the
            // same bit pattern as a negative MPID.
            Raw::Unsigned(v) => Ok(Mpid(v as i64)),
            Raw::Text(t) => t
                .trim()
                .parse::<i64>()
                .or_else(|_| t.trim().parse::<u64>().map(|v| v as i64))
                .map(Mpid)
                .map_err(|_| serde::de::Error::custom("expected a 64-bit integer")),
        }
    }
}

/// The identity types of `user_identities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityType {
    /// Official SDKs send `customerid`; the JSON schema says `customer_id`.
    #[serde(alias = "customerid")]
    CustomerId,
    Email,
    Other,
    #[serde(alias = "otherid2")]
    OtherId2,
    #[serde(alias = "otherid3")]
    OtherId3,
    #[serde(alias = "otherid4")]
    OtherId4,
    #[serde(alias = "otherid5")]
    OtherId5,
    #[serde(alias = "otherid6")]
    OtherId6,
    #[serde(alias = "otherid7")]
    OtherId7,
    #[serde(alias = "otherid8")]
    OtherId8,
    #[serde(alias = "otherid9")]
    OtherId9,
    #[serde(alias = "otherid10")]
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

impl FromStr for IdentityType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_string()))
            .map_err(|_| format!("unknown identity type `{s}`"))
    }
}

/// A user's identities by type.
pub type Identities = BTreeMap<IdentityType, String>;
