//! The body of `POST /v3/requests`, read and validated: both identity forms (mParticle v3's
//! map and OpenDSR's list), request types, regulation, callbacks. Pure; every error names
//! the field and the reason, and never echoes an identity value.

use braid_mparticle::IdentityType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What the data subject asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestType {
    /// Delete the person from braid and from Braze.
    Erasure,
    /// Return what braid holds about the person.
    Access,
    /// The same data as access, meant to be taken elsewhere.
    Portability,
}

impl RequestType {
    /// Every type braid supports, as discovery lists them.
    pub const ALL: [RequestType; 3] = [
        RequestType::Erasure,
        RequestType::Access,
        RequestType::Portability,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestType::Erasure => "erasure",
            RequestType::Access => "access",
            RequestType::Portability => "portability",
        }
    }
}

/// The regulation the request is made under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regulation {
    Gdpr,
    Ccpa,
}

/// How an identity value is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityFormat {
    Raw,
    Sha1,
    Md5,
    Sha256,
}

impl IdentityFormat {
    /// Every format, as discovery lists them.
    pub const ALL: [IdentityFormat; 4] = [
        IdentityFormat::Raw,
        IdentityFormat::Sha1,
        IdentityFormat::Md5,
        IdentityFormat::Sha256,
    ];

    fn parse(name: &str) -> Option<IdentityFormat> {
        Some(match name.to_ascii_lowercase().as_str() {
            "raw" => IdentityFormat::Raw,
            "sha1" => IdentityFormat::Sha1,
            "md5" => IdentityFormat::Md5,
            "sha256" => IdentityFormat::Sha256,
            _ => return None,
        })
    }

    /// Length of the lowercase hex digest, for hashed formats.
    fn hex_len(self) -> Option<usize> {
        match self {
            IdentityFormat::Raw => None,
            IdentityFormat::Sha1 => Some(40),
            IdentityFormat::Md5 => Some(32),
            IdentityFormat::Sha256 => Some(64),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityFormat::Raw => "raw",
            IdentityFormat::Sha1 => "sha1",
            IdentityFormat::Md5 => "md5",
            IdentityFormat::Sha256 => "sha256",
        }
    }
}

/// OpenDSR's device identity types: accepted, but braid holds no such identities, so
/// they match nothing.
pub const DEVICE_IDENTITY_TYPES: [&str; 9] = [
    "android_advertising_id",
    "android_id",
    "fire_advertising_id",
    "ios_advertising_id",
    "ios_vendor_id",
    "microsoft_advertising_id",
    "microsoft_publisher_id",
    "roku_advertising_id",
    "roku_publisher_id",
];

/// What an identity type names in braid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    /// A profile's MPID.
    Mpid,
    /// A user identity braid indexes.
    Identity(IdentityType),
    /// A type braid accepts but never holds (device ids).
    NotHeld,
}

/// The identity type names braid understands (for discovery).
pub fn supported_identity_types() -> Vec<&'static str> {
    let mut names = vec!["mpid", "controller_customer_id"];
    names.extend(IdentityType::ALL.iter().map(|t| t.as_str()));
    names
}

/// Read an identity type as OpenDSR or mParticle spell it.
pub fn kind_of(name: &str) -> Option<SubjectKind> {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "mpid" => Some(SubjectKind::Mpid),
        "controller_customer_id" => Some(SubjectKind::Identity(IdentityType::CustomerId)),
        _ if DEVICE_IDENTITY_TYPES.contains(&lower.as_str()) => Some(SubjectKind::NotHeld),
        _ => IdentityType::parse_lenient(&lower).map(SubjectKind::Identity),
    }
}

/// One identity of the data subject, normalised (hashes as lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SubjectIdentity {
    pub identity_type: String,
    pub identity_value: String,
    pub identity_format: IdentityFormat,
}

impl SubjectIdentity {
    /// What the type names in braid (always known: validated on the way in).
    pub fn kind(&self) -> SubjectKind {
        kind_of(&self.identity_type).unwrap_or(SubjectKind::NotHeld)
    }
}

/// A validated new request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    /// `subject_request_id`, lowercase.
    pub id: String,
    pub request_type: RequestType,
    pub regulation: Regulation,
    /// `submitted_time` as sent (RFC 3339, checked).
    pub submitted_time: String,
    pub identities: Vec<SubjectIdentity>,
    pub status_callback_urls: Vec<String>,
}

/// A refused request body: the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    pub field: String,
    pub reason: String,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ValidationError {
    ValidationError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Most identities in one request.
pub const MAX_IDENTITIES: usize = 100;

/// The mParticle extension key that may carry extra MPIDs and identities.
const MPARTICLE_EXTENSION: &str = "opendsr.mparticle.com";

/// Read and validate a request body.
pub fn parse(body: &[u8]) -> Result<NewRequest, ValidationError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| invalid("body", format!("not valid JSON ({e})")))?;
    let Value::Object(obj) = value else {
        return Err(invalid("body", "must be a JSON object"));
    };
    let id = required_str(&obj, "subject_request_id")?;
    let uuid =
        uuid::Uuid::parse_str(id).map_err(|_| invalid("subject_request_id", "must be a UUID"))?;
    let request_type = match required_str(&obj, "subject_request_type")?
        .to_ascii_lowercase()
        .as_str()
    {
        "erasure" => RequestType::Erasure,
        "access" => RequestType::Access,
        "portability" => RequestType::Portability,
        other => {
            return Err(invalid(
                "subject_request_type",
                format!("`{other}` is not one of erasure, access, portability"),
            ))
        }
    };
    let regulation = match obj.get("regulation") {
        None | Some(Value::Null) => Regulation::Gdpr,
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "gdpr" => Regulation::Gdpr,
            "ccpa" => Regulation::Ccpa,
            other => {
                return Err(invalid(
                    "regulation",
                    format!("`{other}` is not one of gdpr, ccpa"),
                ))
            }
        },
        Some(_) => return Err(invalid("regulation", "must be a string")),
    };
    let submitted_time = required_str(&obj, "submitted_time")?;
    chrono::DateTime::parse_from_rfc3339(submitted_time)
        .map_err(|_| invalid("submitted_time", "must be an RFC 3339 time"))?;

    let mut identities = match obj.get("subject_identities") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => identities_from_map(map)?,
        Some(Value::Array(list)) => identities_from_list(list, "subject_identities")?,
        Some(_) => {
            return Err(invalid(
                "subject_identities",
                "must be an object (v3) or an array of identity objects (OpenDSR)",
            ))
        }
    };
    if let Some(ext) = obj
        .get("extensions")
        .and_then(|e| e.get(MPARTICLE_EXTENSION))
    {
        identities.extend(identities_from_extension(ext)?);
    }
    if identities.is_empty() {
        return Err(invalid(
            "subject_identities",
            "must name at least one identity",
        ));
    }
    if identities.len() > MAX_IDENTITIES {
        return Err(invalid(
            "subject_identities",
            format!("at most {MAX_IDENTITIES} identities per request"),
        ));
    }
    identities.dedup();

    let status_callback_urls = match obj.get("status_callback_urls") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(urls)) => urls
            .iter()
            .enumerate()
            .map(|(i, url)| {
                let field = format!("status_callback_urls[{i}]");
                let url = url
                    .as_str()
                    .ok_or_else(|| invalid(&field, "must be a string"))?;
                reqwest::Url::parse(url)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| invalid(&field, "must be an http(s) URL"))?;
                Ok(url.to_string())
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("status_callback_urls", "must be an array of URLs")),
    };

    Ok(NewRequest {
        id: uuid.hyphenated().to_string(),
        request_type,
        regulation,
        submitted_time: submitted_time.to_string(),
        identities,
        status_callback_urls,
    })
}

fn required_str<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<&'a str, ValidationError> {
    match obj.get(field) {
        None | Some(Value::Null) => Err(invalid(field, "is required")),
        Some(Value::String(s)) if s.trim().is_empty() => Err(invalid(field, "must not be empty")),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(invalid(field, "must be a string")),
    }
}

/// v3: `{"email": {"value": "...", "encoding": "raw"}}`.
fn identities_from_map(map: &Map<String, Value>) -> Result<Vec<SubjectIdentity>, ValidationError> {
    map.iter()
        .map(|(kind, entry)| {
            let field = format!("subject_identities.{kind}");
            let (value, format) = match entry {
                // A bare string is read as a raw value.
                Value::String(v) => (v.as_str(), None),
                Value::Object(o) => (
                    o.get("value")
                        .and_then(Value::as_str)
                        .ok_or_else(|| invalid(format!("{field}.value"), "is required"))?,
                    o.get("encoding").or_else(|| o.get("format")),
                ),
                _ => return Err(invalid(&field, "must be an object with value and encoding")),
            };
            identity(&field, kind, value, format, "encoding")
        })
        .collect()
}

/// OpenDSR: `[{"identity_type", "identity_value", "identity_format"}]`.
fn identities_from_list(list: &[Value], at: &str) -> Result<Vec<SubjectIdentity>, ValidationError> {
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            let field = format!("{at}[{i}]");
            let kind = entry
                .get("identity_type")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(format!("{field}.identity_type"), "is required"))?;
            let value = entry
                .get("identity_value")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(format!("{field}.identity_value"), "is required"))?;
            identity(
                &field,
                kind,
                value,
                entry.get("identity_format"),
                "identity_format",
            )
        })
        .collect()
}

/// mParticle's extension: `{"mpids": [..], "identities": [{identity_type, identity_value}]}`.
fn identities_from_extension(ext: &Value) -> Result<Vec<SubjectIdentity>, ValidationError> {
    let at = format!("extensions.{MPARTICLE_EXTENSION}");
    let mut out = Vec::new();
    if let Some(mpids) = ext.get("mpids") {
        let list = mpids
            .as_array()
            .ok_or_else(|| invalid(format!("{at}.mpids"), "must be an array"))?;
        for (i, mpid) in list.iter().enumerate() {
            let text = match mpid {
                Value::Number(n) if n.is_i64() => n.to_string(),
                Value::String(s) => s.clone(),
                _ => {
                    return Err(invalid(
                        format!("{at}.mpids[{i}]"),
                        "must be a 64-bit integer",
                    ))
                }
            };
            out.push(identity(
                &format!("{at}.mpids[{i}]"),
                "mpid",
                &text,
                None,
                "",
            )?);
        }
    }
    if let Some(list) = ext.get("identities") {
        let list = list
            .as_array()
            .ok_or_else(|| invalid(format!("{at}.identities"), "must be an array"))?;
        out.extend(identities_from_list(list, &format!("{at}.identities"))?);
    }
    Ok(out)
}

fn identity(
    field: &str,
    kind: &str,
    value: &str,
    format: Option<&Value>,
    format_name: &str,
) -> Result<SubjectIdentity, ValidationError> {
    let parsed = kind_of(kind).ok_or_else(|| {
        invalid(
            field,
            format!("`{kind}` is not a supported identity type (see /v3/discovery)"),
        )
    })?;
    let format = match format {
        None | Some(Value::Null) => IdentityFormat::Raw,
        Some(Value::String(f)) => IdentityFormat::parse(f).ok_or_else(|| {
            invalid(
                format!("{field}.{format_name}"),
                format!("`{f}` is not one of raw, sha1, md5, sha256"),
            )
        })?,
        Some(_) => {
            return Err(invalid(
                format!("{field}.{format_name}"),
                "must be a string",
            ))
        }
    };
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(field, "the identity value must not be empty"));
    }
    let value = match format.hex_len() {
        Some(len) => {
            let hex = value.to_ascii_lowercase();
            if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid(
                    field,
                    format!("a {} value must be {len} hex digits", format.as_str()),
                ));
            }
            hex
        }
        None => value.to_string(),
    };
    if parsed == SubjectKind::Mpid {
        if format != IdentityFormat::Raw {
            return Err(invalid(field, "an mpid cannot be hashed"));
        }
        value
            .parse::<i64>()
            .map_err(|_| invalid(field, "an mpid must be a 64-bit integer"))?;
    }
    let canonical = match parsed {
        SubjectKind::Mpid => "mpid".to_string(),
        SubjectKind::Identity(t) => t.as_str().to_string(),
        SubjectKind::NotHeld => kind.to_ascii_lowercase(),
    };
    Ok(SubjectIdentity {
        identity_type: canonical,
        identity_value: value,
        identity_format: format,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "a7551968-d5d6-44b2-9831-815ac9017798";

    fn parse_json(v: Value) -> Result<NewRequest, ValidationError> {
        parse(&serde_json::to_vec(&v).unwrap())
    }

    #[test]
    fn v3_map_and_opendsr_list_read_the_same() {
        let map = parse_json(json!({
            "regulation": "gdpr", "subject_request_id": ID, "subject_request_type": "erasure",
            "submitted_time": "2026-11-29T10:00:00Z",
            "subject_identities": {"email": {"value": "a@example.com", "encoding": "raw"}}
        }))
        .unwrap();
        let list = parse_json(json!({
            "regulation": "gdpr", "subject_request_id": ID, "subject_request_type": "erasure",
            "submitted_time": "2026-11-29T10:00:00Z",
            "subject_identities": [{"identity_type": "email", "identity_value": "a@example.com", "identity_format": "raw"}]
        }))
        .unwrap();
        assert_eq!(map, list);
        assert_eq!(
            map.identities[0].kind(),
            SubjectKind::Identity(IdentityType::Email)
        );
    }

    #[test]
    fn controller_customer_id_is_the_customer_id_and_hashes_are_lowercased() {
        let hash = "AB".repeat(32);
        let r = parse_json(json!({
            "subject_request_id": ID, "subject_request_type": "access",
            "submitted_time": "2026-11-29T10:00:00+01:00",
            "subject_identities": [
                {"identity_type": "controller_customer_id", "identity_value": "u-1", "identity_format": "raw"},
                {"identity_type": "email", "identity_value": hash, "identity_format": "sha256"}
            ]
        }))
        .unwrap();
        assert_eq!(r.identities[0].identity_type, "customer_id");
        assert_eq!(r.identities[1].identity_value, "ab".repeat(32));
        assert_eq!(r.regulation, Regulation::Gdpr);
    }

    #[test]
    fn errors_name_the_field_and_never_the_value() {
        let base = json!({"subject_request_id": ID, "subject_request_type": "erasure",
            "submitted_time": "2026-11-29T10:00:00Z",
            "subject_identities": {"email": {"value": "secret@example.com", "encoding": "sha256"}}});
        let err = parse_json(base.clone()).unwrap_err();
        assert_eq!(err.field, "subject_identities.email");
        assert!(!err.to_string().contains("secret@example.com"), "{err}");

        let mut no_id = base.clone();
        no_id.as_object_mut().unwrap().remove("subject_request_id");
        assert_eq!(parse_json(no_id).unwrap_err().field, "subject_request_id");

        let mut bad_type = base.clone();
        bad_type["subject_request_type"] = json!("rectification");
        assert_eq!(
            parse_json(bad_type).unwrap_err().field,
            "subject_request_type"
        );

        let mut bad_kind = base.clone();
        bad_kind["subject_identities"] =
            json!([{"identity_type": "shoe_size", "identity_value": "42"}]);
        assert_eq!(
            parse_json(bad_kind).unwrap_err().field,
            "subject_identities[0]"
        );

        let mut bad_time = base;
        bad_time["submitted_time"] = json!("yesterday");
        assert_eq!(parse_json(bad_time).unwrap_err().field, "submitted_time");
    }

    #[test]
    fn mparticle_extension_adds_mpids() {
        let r = parse_json(
            json!({"subject_request_id": ID, "subject_request_type": "erasure",
            "submitted_time": "2026-11-29T10:00:00Z",
            "extensions": {"opendsr.mparticle.com": {"mpids": [1234567890]}}}),
        )
        .unwrap();
        assert_eq!(r.identities[0].kind(), SubjectKind::Mpid);
        assert_eq!(r.identities[0].identity_value, "1234567890");
    }
}
