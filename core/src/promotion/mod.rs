//! Promotion and the deploy gate: same-digest promotion between environments, with the
//! evidence, approvals, version and freeze rules each environment states.

mod gate;
pub mod rules;

pub use gate::{
    Approval, DeployOutcome, DeployRequest, Evidence, IgnoredEvidence, PROMOTION_PREDICATE,
    ReleasedSecret, parse_time, parse_version,
};
pub use rules::{ValueError, parse_duration};
