//! Typed reads out of `serde_json::Value` with braid's leniency rules and path-naming
//! errors. Every wire type is parsed through these helpers so that the same input shape
//! is accepted (or refused with the same message) wherever it appears.

use crate::parse::BatchError;
use crate::path::Path;
use serde_json::{Map, Value};

/// Conversion from a JSON value, reporting errors at `path`.
pub(crate) trait FromJson: Sized {
    fn from_json(value: Value, path: &Path<'_>) -> Result<Self, BatchError>;
}

/// Implements `serde::Deserialize` through [`FromJson`], so `serde_json::from_str::<T>`
/// accepts exactly what `parse_batch` accepts (stored batches are re-parsed this way).
macro_rules! deserialize_via_from_json {
    ($($t:ty),* $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
                <$t as $crate::json::FromJson>::from_json(value, &$crate::path::Path::ROOT)
                    .map_err(serde::de::Error::custom)
            }
        }
    )*};
}
pub(crate) use deserialize_via_from_json;

/// An object; anything else is an error.
pub(crate) fn object(v: Value, p: &Path<'_>) -> Result<Map<String, Value>, BatchError> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(p.err("expected an object")),
    }
}

/// An object, or `None` for `null`.
pub(crate) fn opt_object(v: Value, p: &Path<'_>) -> Result<Option<Map<String, Value>>, BatchError> {
    match v {
        Value::Null => Ok(None),
        v => object(v, p).map(Some),
    }
}

/// An array (`null` reads as empty).
pub(crate) fn array(v: Value, p: &Path<'_>) -> Result<Vec<Value>, BatchError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(a) => Ok(a),
        _ => Err(p.err("expected an array")),
    }
}

/// An array whose elements are each converted with `f` at their own index.
pub(crate) fn array_of<T>(
    v: Value,
    p: &Path<'_>,
    mut f: impl FnMut(Value, &Path<'_>) -> Result<T, BatchError>,
) -> Result<Vec<T>, BatchError> {
    array(v, p)?
        .into_iter()
        .enumerate()
        .map(|(i, item)| f(item, &p.index(i)))
        .collect()
}

/// A string that must really be a string (`event_type`).
pub(crate) fn strict_string(v: Value, p: &Path<'_>) -> Result<String, BatchError> {
    match v {
        Value::String(s) => Ok(s),
        _ => Err(p.err("expected a string")),
    }
}

/// A string; numbers are accepted as their JSON text because hand-written servers send
/// numeric ids (`"transaction_id": 1234`). Booleans, arrays and objects are refused.
pub(crate) fn string(v: Value, p: &Path<'_>) -> Result<String, BatchError> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(p.err("expected a string")),
    }
}

/// Like [`string`], with `null` read as absent.
pub(crate) fn opt_string(v: Value, p: &Path<'_>) -> Result<Option<String>, BatchError> {
    match v {
        Value::Null => Ok(None),
        v => string(v, p).map(Some),
    }
}

/// Any value, with `null` read as absent.
pub(crate) fn opt_value(v: Value) -> Option<Value> {
    match v {
        Value::Null => None,
        v => Some(v),
    }
}

/// A finite number. SDKs and hand-written servers send amounts as strings (`"9.99"`), so
/// numeric strings are accepted; an empty string reads as absent.
pub(crate) fn opt_f64(v: Value, p: &Path<'_>) -> Result<Option<f64>, BatchError> {
    let parsed = match &v {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    // Non-finite values cannot be written back as JSON, so they are refused here rather
    // than turning into `null` when the batch is stored.
    match parsed {
        Some(x) if x.is_finite() => Ok(Some(x)),
        _ => Err(p.err("expected a number")),
    }
}

/// A signed 64-bit integer; numeric strings and integral floats (`1.7e12`) are accepted,
/// an empty string reads as absent.
pub(crate) fn opt_i64(v: Value, p: &Path<'_>) -> Result<Option<i64>, BatchError> {
    let parsed = match &v {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(integral_f64)),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => {
            let t = s.trim();
            t.parse::<i64>()
                .ok()
                .or_else(|| t.parse::<f64>().ok().and_then(integral_f64))
        }
        _ => None,
    };
    parsed.map(Some).ok_or_else(|| p.err("expected an integer"))
}

/// `x` as an i64 when it is a whole number in range.
fn integral_f64(x: f64) -> Option<i64> {
    // 2^63 as f64; values at or above it do not fit.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (x.is_finite() && x.fract() == 0.0 && (-LIMIT..LIMIT).contains(&x)).then_some(x as i64)
}

/// A boolean; `"true"`/`"false"` in any case and the numbers 0 and 1 are accepted, as
/// form-encoding clients send them.
pub(crate) fn opt_bool(v: Value, p: &Path<'_>) -> Result<Option<bool>, BatchError> {
    match &v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(Some(true)),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(Some(false)),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(Some(true)),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(Some(false)),
        _ => Err(p.err("expected a boolean")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_sent_as_strings_are_numbers() {
        let p = Path::ROOT;
        assert_eq!(opt_f64(json!("9.99"), &p).unwrap(), Some(9.99));
        assert_eq!(opt_f64(json!(" 3 "), &p).unwrap(), Some(3.0));
        assert_eq!(opt_f64(json!(""), &p).unwrap(), None);
        assert_eq!(opt_f64(json!(null), &p).unwrap(), None);
    }

    #[test]
    fn non_finite_amounts_are_refused() {
        let p = Path::ROOT;
        for bad in [
            json!("NaN"),
            json!("inf"),
            json!("1e999"),
            json!("abc"),
            json!(true),
        ] {
            assert_eq!(opt_f64(bad, &p).unwrap_err().reason, "expected a number");
        }
    }

    #[test]
    fn integers_accept_whole_floats_and_strings() {
        let p = Path::ROOT;
        assert_eq!(opt_i64(json!(1.7e12), &p).unwrap(), Some(1_700_000_000_000));
        assert_eq!(opt_i64(json!("42"), &p).unwrap(), Some(42));
        assert_eq!(opt_i64(json!("-7"), &p).unwrap(), Some(-7));
        assert!(opt_i64(json!(1.5), &p).is_err());
        assert!(opt_i64(json!(u64::MAX), &p).is_err());
        assert!(opt_i64(json!(9.3e18), &p).is_err());
    }

    #[test]
    fn booleans_accept_common_spellings() {
        let p = Path::ROOT;
        assert_eq!(opt_bool(json!("TRUE"), &p).unwrap(), Some(true));
        assert_eq!(opt_bool(json!(0), &p).unwrap(), Some(false));
        assert_eq!(
            opt_bool(json!("yes"), &p).unwrap_err().reason,
            "expected a boolean"
        );
    }

    #[test]
    fn strings_accept_numbers_but_not_structures() {
        let p = Path::ROOT;
        assert_eq!(string(json!(1234), &p).unwrap(), "1234");
        assert_eq!(
            string(json!(true), &p).unwrap_err().reason,
            "expected a string"
        );
        assert_eq!(
            string(json!({}), &p).unwrap_err().reason,
            "expected a string"
        );
    }
}
