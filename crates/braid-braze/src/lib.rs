//! Everything braid knows about Braze, with no I/O.
//!
//! - `wire`: the `/users/track` request and its objects, as Braze documents them;
//! - `limits`: Braze's documented limits and the configurable contract shapes;
//! - `validate`: the one validator used both by braid before sending and by `braze-sim`
//!   when receiving, so the two can never disagree;
//! - `billing`: data-point counting by Braze's billing rules;
//! - `response`: classification of Braze's answers (success, partial, retry, fatal);
//! - `instance`: Braze instances and their REST hosts;
//! - `settings` and `mapping`: the pure mParticle → Braze mapping;
//! - `delta`: drops what Braze already has and prices what is left.

pub mod billing;
pub mod delta;
pub mod instance;
pub mod limits;
pub mod mapping;
pub mod response;
pub mod settings;
pub mod validate;
pub mod wire;
