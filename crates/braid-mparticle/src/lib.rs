//! mParticle's Events API batch format as typed Rust values.
//!
//! This crate owns everything about the *inbound* wire format: the types (`batch`,
//! `event`, `commerce`, `identity`, `attribute`), parsing with errors that name the JSON
//! path (`parse`), and the limits mParticle documents (`limits`). It does no I/O.
//!
//! Parsing is strict where a wrong value would corrupt data (a non-numeric price, an
//! unknown product action, an MPID that is not an integer) and lenient where real
//! clients differ from the documentation: identity key spellings (`customerid`),
//! numbers sent as strings, unknown fields and unknown event types (kept, never fatal).

pub mod attribute;
pub mod batch;
pub mod commerce;
pub mod event;
pub mod identity;
mod json;
pub mod limits;
pub mod parse;
mod path;

pub use attribute::{AttributeMap, AttributeValue};
pub use batch::{Batch, Environment};
pub use commerce::{
    CommerceEvent, Product, ProductAction, ProductActionKind, ProductImpression, Promotion,
    PromotionAction,
};
pub use event::{Event, EventCommon};
pub use identity::{Identities, IdentityType, Mpid};
pub use limits::{check_bulk_len, validate_batch, Limits};
pub use parse::{batch_from_value, parse_batch, parse_bulk, BatchError};
