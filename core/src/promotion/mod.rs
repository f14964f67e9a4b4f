//! Promotion and the deploy gate: same-digest promotion between environments, with the
//! evidence, approvals, version and freeze rules each environment states.

mod gate;
pub mod rules;

pub use gate::{Approval, DeployOutcome, DeployRequest, PROMOTION_PREDICATE, ReleasedSecret};
pub use rules::{ValueError, parse_duration, parse_time};
