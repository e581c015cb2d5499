//! mParticle's Events API batch format as typed Rust values.
//!
//! This crate owns everything about the *inbound* wire format: the serde types
//! (`batch`, `event`, `commerce`, `identity`, `attribute`), parsing with errors that
//! name the JSON path (`parse`), and the size limits mParticle documents (`limits`).
//! It does no I/O.

pub mod attribute;
pub mod batch;
pub mod commerce;
pub mod event;
pub mod identity;
pub mod limits;
pub mod parse;

pub use attribute::{AttributeMap, AttributeValue};
pub use batch::{Batch, Environment};
pub use commerce::{
    CommerceEvent, Product, ProductAction, ProductActionKind, ProductImpression, Promotion,
    PromotionAction,
};
pub use event::{Event, EventCommon};
pub use identity::{Identities, IdentityType, Mpid};
pub use parse::{parse_batch, parse_bulk, BatchError};
