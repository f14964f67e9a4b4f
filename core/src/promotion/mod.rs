//! Promotion and the deploy gate: same-digest promotion between environments, with the
//! evidence, approvals, version and freeze rules each environment states.

mod gate;
pub mod rules;

pub use gate::{
    Approval, DeployOutcome, DeployRequest, ENVIRONMENT_URI_PREFIX, Evidence, IgnoredEvidence,
    POLICY_URI, PROMOTION_ANNOTATION, PROMOTION_PREDICATE, ReleasedSecret, VSA_PREDICATE,
    environment_level, parse_time, parse_version, record_emergency,
};
pub use rules::{ValueError, parse_duration};
