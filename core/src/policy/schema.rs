//! The policy document as written: plain serde types, checked by `validate` into a
//! [`super::Policy`]. Every type rejects fields it does not know (through the unknown-field
//! collection in [`crate::source`]), so a typo is an error, never a silent no-op.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawPolicy {
    #[serde(default)]
    pub version: Option<u64>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub zones: BTreeMap<String, RawZone>,
    #[serde(default)]
    pub environments: BTreeMap<String, RawEnvironment>,
    #[serde(default)]
    pub principals: BTreeMap<String, RawPrincipal>,
    #[serde(default)]
    pub groups: BTreeMap<String, RawGroup>,
    #[serde(default)]
    pub roles: BTreeMap<String, RawRole>,
    #[serde(default)]
    pub bindings: Vec<RawBinding>,
    #[serde(default)]
    pub builders: BTreeMap<String, RawBuilder>,
    #[serde(default)]
    pub secrets: BTreeMap<String, RawSecret>,
    #[serde(default)]
    pub require: RawRequire,
    #[serde(default)]
    pub pipelines: crate::pipeline::mapping::RawPipelines,
    #[serde(default)]
    pub sources: Vec<RawSource>,
    #[serde(default)]
    pub deploy_service: Option<RawDeployService>,
    #[serde(default)]
    pub images: Option<crate::image::RawImagePolicy>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawSource {
    #[serde(default)]
    pub uri: String,
    #[serde(default)]
    pub refs: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawZone {
    #[serde(default)]
    pub dominates: Vec<String>,
    #[serde(default)]
    pub credentials: bool,
    #[serde(default)]
    pub publish: bool,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawEnvironment {
    #[serde(default)]
    pub from: Vec<String>,
    #[serde(default)]
    pub min_build_zone: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub attestations: Vec<RawAttestationRule>,
    #[serde(default)]
    pub approvals: Option<RawApprovalRule>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub freeze: Vec<RawFreeze>,
    #[serde(default)]
    pub emergency_role: Option<String>,
    #[serde(default)]
    pub require_image_policy: bool,
    #[serde(default)]
    pub min_slsa_build_level: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawAttestationRule {
    #[serde(default)]
    pub predicate_type: String,
    #[serde(default)]
    pub signer_zone: Option<String>,
    #[serde(default)]
    pub max_age: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawApprovalRule {
    #[serde(default)]
    pub required: usize,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub max_age: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawFreeze {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub weekly: Option<RawWeekly>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawWeekly {
    #[serde(default)]
    pub days: Vec<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawDeployService {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub zone: String,
    #[serde(default)]
    pub keys: Vec<serde_json::Value>,
    /// A keyless (Sigstore) signer of promotion records, written as a builder's `identity`.
    #[serde(default)]
    pub identity: Option<serde_json::Value>,
    /// `sha256:...` digests of the policies its promotion records must state.
    #[serde(default)]
    pub policy_digests: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawPrincipal {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawGroup {
    #[serde(default)]
    pub members: Vec<String>,
    // Accepted so a policy can say what a group is for; decisions do not need it.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawRole {
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawBinding {
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub principals: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawBuilder {
    #[serde(default)]
    pub zone: String,
    /// PEM or hex text, or a securesystemslib key object.
    #[serde(default)]
    pub keys: Vec<serde_json::Value>,
    #[serde(default)]
    pub threshold: Option<u64>,
    #[serde(default)]
    pub description: Option<String>,
    /// A keyless (Sigstore) signer: `{issuer, subject | subject_pattern, <Fulcio claim>: ...}`.
    #[serde(default)]
    pub identity: Option<serde_json::Value>,
    /// The SLSA build level the builder meets, 0 to 3.
    #[serde(default)]
    pub slsa_build_level: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawSecret {
    #[serde(default)]
    pub zones: Vec<String>,
    #[serde(default)]
    pub environments: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawRequire {
    #[serde(default)]
    pub merge_implies_deploy: bool,
    #[serde(default = "yes")]
    pub separation_of_duties: bool,
}

impl Default for RawRequire {
    fn default() -> Self {
        RawRequire {
            merge_implies_deploy: false,
            separation_of_duties: true,
        }
    }
}

fn yes() -> bool {
    true
}
