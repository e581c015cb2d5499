//! Braze's storage-connector files: Avro object containers, one event type per file,
//! written with codec null, deflate or snappy. Each record becomes a [`CurrentsEvent`]
//! in the Custom HTTP shape (`id`, `time` at the top, the user fields in `user`, the
//! rest in `properties`; a custom event's or purchase's `properties` JSON string becomes
//! `custom_properties` / `purchase_properties`). The event type comes from the writer
//! schema's namespace and name.

use crate::http::parse_event;
use crate::model::{CurrentsEvent, TOP_LEVEL_FIELDS, USER_FIELDS};
use apache_avro::schema::Schema;
use apache_avro::types::Value as AvroValue;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Why a file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum AvroError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a readable Avro file: {reason}")]
    Format { path: String, reason: String },
}

/// What one file held: each record as an event, or why it is unusable.
#[derive(Debug, Default)]
pub struct AvroFile {
    /// The Currents type, from the writer schema.
    pub event_type: String,
    pub events: Vec<Result<CurrentsEvent, String>>,
}

/// The Currents type a writer schema names: `dataexport.S3.inner.users.messages.email`
/// + `Open` → `users.messages.email.Open`.
pub fn event_type_of(schema: &Schema) -> Option<String> {
    let Schema::Record(record) = schema else {
        return None;
    };
    let name = &record.name;
    let namespace = name.namespace.as_deref().unwrap_or("");
    let prefix = namespace
        .find(".inner.")
        .map(|i| &namespace[i + ".inner.".len()..])
        .unwrap_or(namespace);
    Some(if prefix.is_empty() {
        name.name.clone()
    } else {
        format!("{prefix}.{}", name.name)
    })
}

/// Read one Avro file from bytes. `path` names it in errors.
pub fn read_avro(bytes: &[u8], path: &str) -> Result<AvroFile, AvroError> {
    let reader = apache_avro::Reader::new(bytes).map_err(|e| AvroError::Format {
        path: path.into(),
        reason: e.to_string(),
    })?;
    let event_type = event_type_of(reader.writer_schema()).ok_or_else(|| AvroError::Format {
        path: path.into(),
        reason: "the writer schema is not a record".into(),
    })?;
    let mut file = AvroFile {
        event_type: event_type.clone(),
        events: Vec::new(),
    };
    for (index, record) in reader.enumerate() {
        let event = match record {
            Ok(value) => record_to_event(&event_type, value)
                .map_err(|reason| format!("{path}: record {index}: {reason}")),
            Err(e) => Err(format!("{path}: record {index}: {e}")),
        };
        file.events.push(event);
    }
    Ok(file)
}

/// Read one Avro file from disk.
pub fn read_avro_file(path: &Path) -> Result<AvroFile, AvroError> {
    let bytes = std::fs::read(path).map_err(|source| AvroError::Io {
        path: path.display().to_string(),
        source,
    })?;
    read_avro(&bytes, &path.display().to_string())
}

/// The `.avro` files under `path` (itself, if it is a file), in path order: the
/// storage connectors' `event_type=…/date=…/…` layout sorts by type, then hour.
pub fn list_avro_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if path.is_file() {
        files.push(path.to_path_buf());
        return Ok(files);
    }
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let p = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "avro") {
                files.push(p);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn record_to_event(event_type: &str, value: AvroValue) -> Result<CurrentsEvent, String> {
    let AvroValue::Record(fields) = value else {
        return Err("not a record".into());
    };
    let mut top = Map::new();
    let mut user = Map::new();
    let mut properties = Map::new();
    top.insert("event_type".into(), Value::String(event_type.into()));
    for (name, value) in fields {
        let value = to_json(value);
        if value.is_null() {
            continue;
        }
        if TOP_LEVEL_FIELDS.contains(&name.as_str()) {
            top.insert(name, value);
        } else if USER_FIELDS.contains(&name.as_str()) {
            user.insert(name, value);
        } else if name == "properties" {
            // Custom event and purchase properties are a JSON-encoded string in Avro.
            let key = if event_type.ends_with(".Purchase") {
                "purchase_properties"
            } else {
                "custom_properties"
            };
            let parsed = match &value {
                Value::String(s) => serde_json::from_str(s).unwrap_or(value.clone()),
                other => other.clone(),
            };
            properties.insert(key.into(), parsed);
        } else {
            properties.insert(name, value);
        }
    }
    top.insert("user".into(), Value::Object(user));
    top.insert("properties".into(), Value::Object(properties));
    parse_event(&Value::Object(top))
}

fn to_json(value: AvroValue) -> Value {
    match value {
        AvroValue::Null => Value::Null,
        AvroValue::Boolean(b) => Value::Bool(b),
        AvroValue::Int(i) => Value::from(i),
        AvroValue::Long(i) => Value::from(i),
        AvroValue::Float(f) => serde_json::Number::from_f64(f as f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        AvroValue::Double(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        AvroValue::String(s) | AvroValue::Enum(_, s) => Value::String(s),
        AvroValue::Bytes(b) | AvroValue::Fixed(_, b) => {
            Value::String(String::from_utf8_lossy(&b).into_owned())
        }
        AvroValue::Union(_, inner) => to_json(*inner),
        AvroValue::Array(items) => Value::Array(items.into_iter().map(to_json).collect()),
        AvroValue::Map(m) => Value::Object(m.into_iter().map(|(k, v)| (k, to_json(v))).collect()),
        AvroValue::Record(fields) => {
            Value::Object(fields.into_iter().map(|(k, v)| (k, to_json(v))).collect())
        }
        other => Value::String(format!("{other:?}")),
    }
}
