//! Braze's documented `/users/track` limits and the contract shapes that decide how many
//! objects one request may carry.
//!
//! Braze's pages disagree on some numbers (array length 25 or 500); every limit is
//! configurable and defaults to the conservative value.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How many objects one `/users/track` request may carry, by contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ContractShape {
    /// 75 objects in total across attributes, events and purchases (current default).
    #[default]
    Total75,
    /// 75 attributes + 75 events + 75 purchases (legacy contracts).
    PerArray75,
    /// 50 objects per request (some monthly-active-user contracts).
    Total50,
}

impl ContractShape {
    /// Whether a request with these array sizes is within the contract.
    pub fn fits(&self, attributes: usize, events: usize, purchases: usize) -> bool {
        match self {
            ContractShape::Total75 | ContractShape::Total50 => {
                attributes + events + purchases <= self.max_total()
            }
            ContractShape::PerArray75 => attributes <= 75 && events <= 75 && purchases <= 75,
        }
    }

    /// The largest number of objects one request may carry in total.
    pub fn max_total(&self) -> usize {
        match self {
            ContractShape::Total75 => 75,
            ContractShape::PerArray75 => 225,
            ContractShape::Total50 => 50,
        }
    }

    /// The largest number of objects one array may carry.
    pub fn max_per_array(&self) -> usize {
        match self {
            ContractShape::Total75 | ContractShape::PerArray75 => 75,
            ContractShape::Total50 => 50,
        }
    }

    /// The command-line spelling (`total75`, `per-array75`, `total50`).
    pub fn as_str(&self) -> &'static str {
        match self {
            ContractShape::Total75 => "total75",
            ContractShape::PerArray75 => "per-array75",
            ContractShape::Total50 => "total50",
        }
    }
}

impl fmt::Display for ContractShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A contract shape name that is none of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown contract shape {0:?} (expected total75, per-array75 or total50)")]
pub struct UnknownContractShape(pub String);

impl FromStr for ContractShape {
    type Err = UnknownContractShape;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "total75" => Ok(ContractShape::Total75),
            "per-array75" => Ok(ContractShape::PerArray75),
            "total50" => Ok(ContractShape::Total50),
            _ => Err(UnknownContractShape(s.to_string())),
        }
    }
}

/// The limits a `/users/track` request and its objects must respect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Objects per request.
    pub contract: ContractShape,
    /// Longest string attribute or property value, in characters (255).
    pub max_string_chars: usize,
    /// Longest array-of-strings attribute (25; some workspaces raise it to 500).
    pub max_array_len: usize,
    /// Distinct `external_id`s per request (75, "Max Input Length Exceeded").
    pub max_distinct_external_ids: usize,
    /// Largest request body in bytes (4 MB, 413 above).
    pub max_body_bytes: usize,
    /// Longest custom attribute or property key, in characters (255).
    pub max_property_key_chars: usize,
    /// Largest serialized `properties` object of an event or purchase, in bytes (50 KB).
    pub max_properties_bytes: usize,
    /// Largest purchase `quantity` (100).
    pub max_purchase_quantity: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            contract: ContractShape::default(),
            max_string_chars: 255,
            max_array_len: 25,
            max_distinct_external_ids: 75,
            max_body_bytes: 4 * 1024 * 1024,
            max_property_key_chars: 255,
            max_properties_bytes: 50 * 1024,
            max_purchase_quantity: 100,
        }
    }
}

impl Limits {
    /// Default limits with another contract shape.
    pub fn with_contract(contract: ContractShape) -> Self {
        Limits {
            contract,
            ..Limits::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total75_counts_all_arrays_together() {
        let c = ContractShape::Total75;
        assert!(c.fits(75, 0, 0));
        assert!(c.fits(25, 25, 25));
        assert!(!c.fits(25, 25, 26));
        assert!(!c.fits(76, 0, 0));
        assert_eq!(c.max_total(), 75);
    }

    #[test]
    fn per_array75_limits_each_array_separately() {
        let c = ContractShape::PerArray75;
        assert!(c.fits(75, 75, 75));
        assert!(!c.fits(76, 0, 0));
        assert!(!c.fits(0, 76, 0));
        assert!(!c.fits(0, 0, 76));
        assert_eq!(c.max_total(), 225);
    }

    #[test]
    fn total50_counts_all_arrays_together() {
        let c = ContractShape::Total50;
        assert!(c.fits(50, 0, 0));
        assert!(c.fits(20, 20, 10));
        assert!(!c.fits(20, 20, 11));
        assert_eq!(c.max_total(), 50);
    }

    #[test]
    fn default_limits_are_the_conservative_documented_values() {
        let l = Limits::default();
        assert_eq!(l.contract, ContractShape::Total75);
        assert_eq!(l.max_string_chars, 255);
        assert_eq!(l.max_array_len, 25);
        assert_eq!(l.max_distinct_external_ids, 75);
        assert_eq!(l.max_body_bytes, 4 * 1024 * 1024);
        assert_eq!(l.max_property_key_chars, 255);
        assert_eq!(l.max_properties_bytes, 50 * 1024);
        assert_eq!(l.max_purchase_quantity, 100);
    }

    #[test]
    fn contract_shape_parses_its_cli_spelling_and_serde_spelling() {
        for c in [
            ContractShape::Total75,
            ContractShape::PerArray75,
            ContractShape::Total50,
        ] {
            assert_eq!(c.as_str().parse::<ContractShape>().unwrap(), c);
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<ContractShape>(&json).unwrap(), c);
        }
        assert_eq!(
            "per_array75".parse::<ContractShape>().unwrap(),
            ContractShape::PerArray75
        );
        assert!("total100".parse::<ContractShape>().is_err());
    }

    #[test]
    fn limits_deserialize_with_missing_fields_defaulted() {
        let l: Limits =
            serde_json::from_str(r#"{"contract":"total50","max_array_len":500}"#).unwrap();
        assert_eq!(l.contract, ContractShape::Total50);
        assert_eq!(l.max_array_len, 500);
        assert_eq!(l.max_string_chars, 255);
    }
}
