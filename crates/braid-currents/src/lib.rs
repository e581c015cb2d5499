//! Braze Currents, as braid reads them: the typed model of a Currents event
//! ([`CurrentsEvent`], with the catalogue of every event type and its fields), the
//! Custom HTTP connector's JSON shape (`{"events":[...]}`, one outcome per event), the
//! storage connectors' Avro files, the mParticle-feed shape, and fixture builders for
//! every event type in both forms.
//!
//! - `model`: the event, its user, its family, the field specs;
//! - `catalogue`: every known event type with its fields (from Braze's storage schemas);
//! - `http`: parsing a Custom HTTP body where one bad event never fails the batch;
//! - `avro`: reading Avro files (codecs null, deflate, snappy) and storage-connector folders;
//! - `feed`: mParticle-shape batches from a Braze feed input, read as Currents events;
//! - `fixtures`: builders of valid events of every type, in JSON and Avro.

pub mod avro;
pub mod catalogue;
pub mod feed;
pub mod fixtures;
pub mod http;
pub mod model;

pub use http::{parse_body, ParsedBody, RejectedEvent};
pub use model::{CurrentsEvent, CurrentsUser, EventTypeSpec, Family, FieldKind, FieldSpec};

/// The `source` braid gives everything that came from Braze Currents.
pub const SOURCE: &str = "braze_currents";
