//! Braze instances and their REST hosts.
//!
//! A workspace lives on one instance, and a REST key sent to another instance is
//! answered with 401, so the instance is configuration, not a guess. Configuration names
//! an instance as Braze's dashboard does (`US-01`, `eu-02`, case-insensitive) or gives
//! any `http(s)://` URL (staging proxies, and tests pointing at `braze-sim`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// One Braze instance, or a custom REST base URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum BrazeInstance {
    #[default]
    Us01,
    Us02,
    Us03,
    Us04,
    Us05,
    Us06,
    Us07,
    Us08,
    Us10,
    Eu01,
    Eu02,
    Au01,
    Id01,
    Jp01,
    Kr01,
    /// Any `http://` or `https://` base URL, kept without a trailing slash.
    Custom(String),
}

/// Every named instance with its dashboard name and REST base URL.
const NAMED: &[(BrazeInstance, &str, &str)] = &[
    (
        BrazeInstance::Us01,
        "US-01",
        "https://rest.iad-01.braze.com",
    ),
    (
        BrazeInstance::Us02,
        "US-02",
        "https://rest.iad-02.braze.com",
    ),
    (
        BrazeInstance::Us03,
        "US-03",
        "https://rest.iad-03.braze.com",
    ),
    (
        BrazeInstance::Us04,
        "US-04",
        "https://rest.iad-04.braze.com",
    ),
    (
        BrazeInstance::Us05,
        "US-05",
        "https://rest.iad-05.braze.com",
    ),
    (
        BrazeInstance::Us06,
        "US-06",
        "https://rest.iad-06.braze.com",
    ),
    (
        BrazeInstance::Us07,
        "US-07",
        "https://rest.iad-07.braze.com",
    ),
    (
        BrazeInstance::Us08,
        "US-08",
        "https://rest.iad-08.braze.com",
    ),
    (BrazeInstance::Us10, "US-10", "https://rest.us-10.braze.com"),
    (BrazeInstance::Eu01, "EU-01", "https://rest.fra-01.braze.eu"),
    (BrazeInstance::Eu02, "EU-02", "https://rest.fra-02.braze.eu"),
    (BrazeInstance::Au01, "AU-01", "https://rest.au-01.braze.com"),
    (BrazeInstance::Id01, "ID-01", "https://rest.id-01.braze.com"),
    (BrazeInstance::Jp01, "JP-01", "https://rest.jp-01.braze.com"),
    (BrazeInstance::Kr01, "KR-01", "https://rest.kr-01.braze.com"),
];

/// An instance name that is neither a known instance nor an http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown braze instance `{0}`: expected one of US-01…US-08, US-10, EU-01, EU-02, AU-01, ID-01, JP-01, KR-01, or an http(s):// URL")]
pub struct UnknownInstance(pub String);

impl BrazeInstance {
    /// The REST base URL, without a trailing slash (append `/users/track`).
    pub fn rest_url(&self) -> &str {
        match self {
            BrazeInstance::Custom(url) => url,
            named => NAMED
                .iter()
                .find(|(instance, _, _)| instance == named)
                .map(|(_, _, url)| *url)
                .expect("every named instance is listed"),
        }
    }

    /// The dashboard name (`US-01`), or the URL of a custom instance.
    pub fn name(&self) -> &str {
        match self {
            BrazeInstance::Custom(url) => url,
            named => NAMED
                .iter()
                .find(|(instance, _, _)| instance == named)
                .map(|(_, name, _)| *name)
                .expect("every named instance is listed"),
        }
    }

    /// All named instances (not `Custom`).
    pub fn all_named() -> impl Iterator<Item = BrazeInstance> {
        NAMED.iter().map(|(instance, _, _)| instance.clone())
    }
}

impl FromStr for BrazeInstance {
    type Err = UnknownInstance;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let lower = trimmed.to_ascii_lowercase();
        let scheme_len = ["https://", "http://"]
            .iter()
            .find(|scheme| lower.starts_with(*scheme))
            .map(|scheme| scheme.len());
        if let Some(scheme_len) = scheme_len {
            let url = trimmed.trim_end_matches('/');
            let host = url.get(scheme_len..).unwrap_or("");
            if host.is_empty() || host.contains(char::is_whitespace) {
                return Err(UnknownInstance(s.to_string()));
            }
            return Ok(BrazeInstance::Custom(url.to_string()));
        }
        NAMED
            .iter()
            .find(|(_, name, _)| name.eq_ignore_ascii_case(trimmed))
            .map(|(instance, _, _)| instance.clone())
            .ok_or_else(|| UnknownInstance(s.to_string()))
    }
}

impl fmt::Display for BrazeInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for BrazeInstance {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for BrazeInstance {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_us_instance_maps_to_its_iad_host() {
        for n in 1..=8 {
            let instance: BrazeInstance = format!("US-0{n}").parse().unwrap();
            assert_eq!(
                instance.rest_url(),
                format!("https://rest.iad-0{n}.braze.com")
            );
        }
    }

    #[test]
    fn named_instances_map_to_the_reference_hosts() {
        let cases = [
            ("US-10", "https://rest.us-10.braze.com"),
            ("EU-01", "https://rest.fra-01.braze.eu"),
            ("EU-02", "https://rest.fra-02.braze.eu"),
            ("AU-01", "https://rest.au-01.braze.com"),
            ("ID-01", "https://rest.id-01.braze.com"),
            ("JP-01", "https://rest.jp-01.braze.com"),
            ("KR-01", "https://rest.kr-01.braze.com"),
        ];
        for (name, url) in cases {
            assert_eq!(name.parse::<BrazeInstance>().unwrap().rest_url(), url);
        }
    }

    #[test]
    fn instance_names_are_case_insensitive() {
        assert_eq!(
            "eu-01".parse::<BrazeInstance>().unwrap(),
            BrazeInstance::Eu01
        );
        assert_eq!(
            " Us-03 ".parse::<BrazeInstance>().unwrap(),
            BrazeInstance::Us03
        );
    }

    #[test]
    fn custom_url_is_kept_without_trailing_slash() {
        let instance: BrazeInstance = "http://127.0.0.1:4010/".parse().unwrap();
        assert_eq!(
            instance,
            BrazeInstance::Custom("http://127.0.0.1:4010".into())
        );
        assert_eq!(instance.rest_url(), "http://127.0.0.1:4010");
    }

    #[test]
    fn unknown_names_and_bare_schemes_are_rejected() {
        for bad in [
            "US-09",
            "EU-03",
            "",
            "rest.iad-01.braze.com",
            "https://",
            "http:",
        ] {
            assert!(bad.parse::<BrazeInstance>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn serde_round_trips_as_the_dashboard_name() {
        for instance in BrazeInstance::all_named()
            .chain([BrazeInstance::Custom("https://braze.example.test".into())])
        {
            let json = serde_json::to_string(&instance).unwrap();
            let back: BrazeInstance = serde_json::from_str(&json).unwrap();
            assert_eq!(back, instance);
        }
        assert_eq!(
            serde_json::to_string(&BrazeInstance::Jp01).unwrap(),
            "\"JP-01\""
        );
        let err = serde_json::from_str::<BrazeInstance>("\"mars-01\"").unwrap_err();
        assert!(err.to_string().contains("unknown braze instance"));
    }

    #[test]
    fn all_fifteen_named_instances_are_listed() {
        assert_eq!(BrazeInstance::all_named().count(), 15);
    }
}
