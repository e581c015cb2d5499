//! Builders of valid Currents events of every type, from the catalogue's field lists:
//! the Custom HTTP JSON form and the storage connectors' Avro form (schemas built as
//! Braze's are: required fields bare, optional ones `["null", T]`). Tests and
//! benchmarks write their own files with these; no sample file is shipped.

use crate::model::{EventTypeSpec, FieldKind, FieldSpec, TOP_LEVEL_FIELDS, USER_FIELDS};
use apache_avro::schema::Schema;
use apache_avro::types::Value as AvroValue;
use apache_avro::{Codec, Writer};
use serde_json::{json, Map, Value};

/// Who a fixture event is about, its id and time.
#[derive(Debug, Clone)]
pub struct FixtureEvent<'a> {
    pub spec: &'a EventTypeSpec,
    pub id: String,
    /// UNIX seconds.
    pub time: i64,
    pub external_user_id: Option<String>,
    /// Braze's user id.
    pub braze_id: String,
    /// Values that replace the generated ones (by field name; `custom_properties` /
    /// `purchase_properties` for the Custom HTTP form's objects).
    pub overrides: Map<String, Value>,
}

impl<'a> FixtureEvent<'a> {
    /// An event of type `spec` numbered `n`, about `external_user_id`.
    pub fn new(spec: &'a EventTypeSpec, n: u64, external_user_id: Option<&str>) -> Self {
        FixtureEvent {
            spec,
            id: format!("{}-{n:08}", spec.name),
            time: 1_700_000_000 + n as i64,
            external_user_id: external_user_id.map(str::to_string),
            braze_id: format!("{:024x}", 0x5eed_0000_u64 + n),
            overrides: Map::new(),
        }
    }

    /// Replace one field's generated value.
    pub fn with(mut self, field: &str, value: Value) -> Self {
        self.overrides.insert(field.into(), value);
        self
    }

    /// Every field of the storage schema, as JSON (nulls for optional fields the
    /// generator leaves out).
    fn flat(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for field in self.spec.fields {
            let value = if let Some(v) = self.overrides.get(field.name) {
                v.clone()
            } else {
                self.generated(field)
            };
            out.insert(field.name.into(), value);
        }
        out
    }

    fn generated(&self, field: &FieldSpec) -> Value {
        match field.name {
            "id" => return Value::String(self.id.clone()),
            "time" => return Value::from(self.time),
            "time_ms" => return Value::from(self.time * 1000),
            "user_id" => return Value::String(self.braze_id.clone()),
            "external_user_id" => {
                return self
                    .external_user_id
                    .clone()
                    .map(Value::String)
                    .unwrap_or(Value::Null)
            }
            "subscription_status" => return json!("Subscribed"),
            "channel" => return json!("email"),
            "properties" => return json!(r#"{"plan":"pro"}"#),
            "email_address" => {
                return json!(format!(
                    "{}@example.com",
                    self.external_user_id.as_deref().unwrap_or("anon")
                ))
            }
            _ => {}
        }
        match field.kind {
            FieldKind::String => json!(format!("{}-value", field.name)),
            FieldKind::Int | FieldKind::Long => json!(1),
            FieldKind::Float => json!(9.5),
            FieldKind::Bool => json!(false),
            FieldKind::StringArray => json!(["one"]),
        }
    }

    /// The Custom HTTP connector's form.
    pub fn custom_http(&self) -> Value {
        let mut user = Map::new();
        let mut properties = Map::new();
        let mut event = Map::new();
        event.insert("event_type".into(), json!(self.spec.name));
        for (name, value) in self.flat() {
            if value.is_null() {
                continue;
            }
            if TOP_LEVEL_FIELDS.contains(&name.as_str()) {
                event.insert(name, value);
            } else if USER_FIELDS.contains(&name.as_str()) {
                user.insert(name, value);
            } else if name == "properties" {
                let key = if self.spec.name.ends_with(".Purchase") {
                    "purchase_properties"
                } else {
                    "custom_properties"
                };
                let object = match &value {
                    Value::String(s) => serde_json::from_str(s).unwrap_or(value.clone()),
                    other => other.clone(),
                };
                properties.insert(
                    key.into(),
                    self.overrides.get(key).cloned().unwrap_or(object),
                );
            } else {
                properties.insert(name, value);
            }
        }
        event.insert("user".into(), Value::Object(user));
        event.insert("properties".into(), Value::Object(properties));
        Value::Object(event)
    }

    fn avro_value(&self) -> AvroValue {
        let flat = self.flat();
        let fields = self
            .spec
            .fields
            .iter()
            .map(|f| {
                let v = flat.get(f.name).cloned().unwrap_or(Value::Null);
                let inner = avro_of(f.kind, &v);
                let value = if f.required {
                    inner.unwrap_or(AvroValue::Null)
                } else {
                    match inner {
                        Some(v) => AvroValue::Union(1, Box::new(v)),
                        None => AvroValue::Union(0, Box::new(AvroValue::Null)),
                    }
                };
                (f.name.to_string(), value)
            })
            .collect();
        AvroValue::Record(fields)
    }
}

fn avro_of(kind: FieldKind, v: &Value) -> Option<AvroValue> {
    if v.is_null() {
        return None;
    }
    Some(match kind {
        FieldKind::String => AvroValue::String(match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
        FieldKind::Int => AvroValue::Int(v.as_i64()? as i32),
        FieldKind::Long => AvroValue::Long(v.as_i64()?),
        FieldKind::Float => AvroValue::Float(v.as_f64()? as f32),
        FieldKind::Bool => AvroValue::Boolean(v.as_bool()?),
        FieldKind::StringArray => AvroValue::Array(
            v.as_array()?
                .iter()
                .map(|s| AvroValue::String(s.as_str().unwrap_or_default().to_string()))
                .collect(),
        ),
    })
}

/// The Avro schema of an event type, as Braze's storage connectors write it.
pub fn avro_schema(spec: &EventTypeSpec) -> Schema {
    let fields: Vec<Value> = spec
        .fields
        .iter()
        .map(|f| {
            let ty = match f.kind {
                FieldKind::String => json!("string"),
                FieldKind::Int => json!("int"),
                FieldKind::Long => json!("long"),
                FieldKind::Float => json!("float"),
                FieldKind::Bool => json!("boolean"),
                FieldKind::StringArray => json!({"type": "array", "items": "string"}),
            };
            if f.required {
                json!({"name": f.name, "type": ty})
            } else {
                json!({"name": f.name, "type": ["null", ty], "default": null})
            }
        })
        .collect();
    let schema = json!({
        "type": "record",
        "name": spec.avro_name(),
        "namespace": spec.avro_namespace(),
        "fields": fields,
    });
    Schema::parse_str(&schema.to_string()).expect("catalogue schemas are valid Avro")
}

/// Which codec a fixture file is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixtureCodec {
    Null,
    Deflate,
    Snappy,
}

/// One Avro file of events of one type.
pub fn avro_file(events: &[FixtureEvent<'_>], codec: FixtureCodec) -> Vec<u8> {
    let spec = events.first().expect("at least one event").spec;
    let schema = avro_schema(spec);
    let codec = match codec {
        FixtureCodec::Null => Codec::Null,
        FixtureCodec::Deflate => Codec::Deflate,
        FixtureCodec::Snappy => Codec::Snappy,
    };
    let mut writer = Writer::with_codec(&schema, Vec::new(), codec);
    for event in events {
        writer
            .append(event.avro_value())
            .expect("fixture record matches its schema");
    }
    writer.into_inner().expect("avro file is written")
}

/// The storage connectors' object path of a file of `event_type` for `hour`
/// (`YYYY-MM-DD-HH`), number `n`.
pub fn storage_path(event_type: &str, hour: &str, n: u32) -> String {
    format!(
        "currents/dataexport.prod-01.S3.integration.fixture/event_type={event_type}/date={hour}/1/0/dataexport.prod-01.S3.integration.fixture+0+{n:010}.avro"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avro::read_avro;
    use crate::http::parse_event;
    use crate::model::all_types;

    #[test]
    fn every_type_round_trips_in_both_forms() {
        for (n, spec) in all_types().enumerate() {
            let event = FixtureEvent::new(spec, n as u64, Some("user-1"));
            let from_json =
                parse_event(&event.custom_http()).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
            assert_eq!(from_json.event_type, spec.name);
            for codec in [
                FixtureCodec::Null,
                FixtureCodec::Deflate,
                FixtureCodec::Snappy,
            ] {
                let bytes = avro_file(std::slice::from_ref(&event), codec);
                let file = read_avro(&bytes, "mem").unwrap();
                assert_eq!(file.event_type, spec.name);
                let from_avro = file.events[0].as_ref().unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(from_avro.id, from_json.id);
                assert_eq!(from_avro.time, from_json.time);
                assert_eq!(from_avro.user, from_json.user, "{}", spec.name);
                assert_eq!(from_avro.properties, from_json.properties, "{}", spec.name);
            }
        }
    }
}
