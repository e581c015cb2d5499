//! The Currents event types braid knows, with each type's fields as Braze's storage
//! connectors write them. The table itself is data (`catalogue.txt`, written from the
//! field lists in the reference sheet); this module reads it once. The table drives the
//! Avro fixture schemas and tells which fields are required; events of a type not listed
//! here are still accepted (Braze adds types with little notice).

use crate::model::{EventTypeSpec, FieldKind, FieldSpec};
use std::sync::LazyLock;

const CATALOGUE: &str = include_str!("catalogue.txt");

/// Every event type in the catalogue, in name order.
pub static EVENT_TYPES: LazyLock<Vec<EventTypeSpec>> = LazyLock::new(|| {
    CATALOGUE
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| parse_line(line).unwrap_or_else(|e| panic!("catalogue.txt: {e}: {line}")))
        .collect()
});

/// One line: the type name, then `name:kind` per field, `!` marking a required one.
fn parse_line(line: &'static str) -> Result<EventTypeSpec, String> {
    let mut words = line.split_whitespace();
    let name = words.next().ok_or("empty line")?;
    let fields: Vec<FieldSpec> = words
        .map(|word| {
            let (field, kind) = word
                .split_once(':')
                .ok_or_else(|| format!("field {word:?} has no kind"))?;
            let (kind, required) = match kind.strip_suffix('!') {
                Some(kind) => (kind, true),
                None => (kind, false),
            };
            let kind = match kind {
                "string" => FieldKind::String,
                "int" => FieldKind::Int,
                "long" => FieldKind::Long,
                "float" => FieldKind::Float,
                "bool" => FieldKind::Bool,
                "string[]" => FieldKind::StringArray,
                other => return Err(format!("field {field:?} has unknown kind {other:?}")),
            };
            Ok(FieldSpec {
                name: field,
                kind,
                required,
            })
        })
        .collect::<Result<_, String>>()?;
    // The catalogue lives as long as the process; leaking its field lists once keeps
    // `EventTypeSpec` a plain `'static` view shared with the legacy types in `model`.
    Ok(EventTypeSpec {
        name,
        fields: Box::leak(fields.into_boxed_slice()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_catalogue_reads_and_names_are_unique_and_sorted() {
        let names: Vec<&str> = EVENT_TYPES.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), 94);
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
        let fields: usize = EVENT_TYPES.iter().map(|t| t.fields.len()).sum();
        assert_eq!(fields, 2022);
        let open = EVENT_TYPES
            .iter()
            .find(|t| t.name == "users.messages.email.Open")
            .expect("email opens are in the catalogue");
        let id = open.fields.iter().find(|f| f.name == "id").expect("id");
        assert_eq!((id.kind, id.required), (FieldKind::String, true));
    }

    #[test]
    fn a_field_with_an_unknown_kind_is_refused_by_name() {
        let err = parse_line("users.X id:string! when:date").unwrap_err();
        assert!(
            err.contains("\"when\"") && err.contains("\"date\""),
            "{err}"
        );
    }
}
