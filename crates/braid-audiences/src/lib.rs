//! Audiences: definitions, criteria evaluation, calculated values, and membership as Braze
//! attributes. Pure: no I/O, no clock — time is passed in as `now_ms` (UNIX milliseconds,
//! UTC).
//!
//! - [`definition`]: the serde types of the config file / admin API, with parsing errors
//!   that name the audience and the field;
//! - [`history`]: the compact [`EventRecord`] the store keeps per user;
//! - [`eval`]: [`evaluate`] one audience, or the compiled [`AudienceSet`] with its change
//!   index, dependency order, sliding-window expiry and history retention;
//! - [`braze_form`]: `SegmentMembership`, `SegmentMembershipArray` and `In <name>` in the
//!   seven "Send Segments As" choices, with the overflow rule;
//! - [`check`]: how many users would overflow each form (`braid audiences check`);
//! - [`calculated_attributes`]: per-user calculated attributes, computed incrementally;
//! - [`fixtures`]: a realistic set of 100 audiences for benchmarks.

pub mod braze_form;
pub mod calculated_attributes;
pub mod check;
mod compile;
pub mod definition;
pub mod eval;
pub mod fixtures;
pub mod history;
pub mod matching;

pub use braze_form::{
    cleanup_attributes, membership_attributes, FormLimits, Memberships, OverflowReport,
    SegmentNames, SendSegmentsAs, SEGMENT_MEMBERSHIP, SEGMENT_MEMBERSHIP_ARRAY,
};
pub use calculated_attributes::{CalculatedSet, CalculatedValues};
pub use check::{check_overflow, OverflowCheck};
pub use compile::MAX_WINDOW_DAYS;
pub use definition::{
    parse_audiences, AttributeCriterion, AttributeOp, Audience, AudienceState, CalcFunction,
    CalculatedAttributeCriterion, CalculatedCriterion, Criteria, DefinitionError, DefinitionErrors,
    EventCriterion, PurchaseTotalCriterion, PurchasedCriterion, Scalar,
};
pub use eval::{evaluate, AudienceSet, Change, MembershipDelta, UserView};
pub use history::{EventKind, EventKindTag, EventRecord, ProductRef};
