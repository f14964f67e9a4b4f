//! The policy document: zones, environments, principals, groups, roles, bindings, builders,
//! secrets and policy-wide switches.
//!
//! A [`Policy`] value has passed validation: every reference resolves, the orders are acyclic,
//! and required lists are non-empty. Code that holds one never re-checks those facts.

mod grants;
mod schema;
mod validate;

use std::collections::{BTreeMap, BTreeSet};

use crate::error::Error;
use crate::keys::PublicKey;
use crate::promotion::rules::{ApprovalRule, AttestationRule, FreezeWindow};
use crate::role::{Permission, Role};
use crate::scope::Pattern;
use crate::source::{Format, Location};
use crate::zone::{ZoneId, Zones};

pub use validate::WILDCARD;

/// Whether a principal is a person or a bot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    /// A human account.
    Person,
    /// An automation account.
    Bot,
}

/// An account that can be granted roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// Account name.
    pub name: String,
    /// Person or bot.
    pub kind: PrincipalKind,
    /// Free text for explanations.
    pub description: Option<String>,
}

/// A deployment target.
#[derive(Clone, Debug, PartialEq)]
pub struct Environment {
    /// The environment's name.
    pub name: String,
    /// Environments an artifact is promoted from (empty for an entry environment).
    pub from: Vec<String>,
    /// The least trusted zone an artifact deployed here may have been built in.
    pub min_build_zone: Option<ZoneId>,
    /// Free text for explanations.
    pub description: Option<String>,
    /// Attestations required besides build provenance.
    pub attestations: Vec<AttestationRule>,
    /// Approvals required.
    pub approvals: Option<ApprovalRule>,
    /// Versions allowed here.
    pub version: Option<semver::VersionReq>,
    /// Times nothing may enter.
    pub freeze: Vec<FreezeWindow>,
    /// The role whose holders may override a freeze in an emergency (recorded).
    pub emergency_role: Option<String>,
    /// The artifact must be an image that passes the policy's `images` rules.
    pub require_image_policy: bool,
    /// The least SLSA build level (0 to 3) the verified build must have.
    pub min_slsa_build_level: Option<u8>,
}

/// The deployment service: the only holder of deploy credentials, and the signer of promotion
/// records (the evidence that a digest passed an environment).
#[derive(Clone, Debug, PartialEq)]
pub struct DeployService {
    /// Its identity, written into promotion records.
    pub id: String,
    /// The zone it runs in; secrets are released to it only if that zone may receive them.
    pub zone: ZoneId,
    /// Keys trusted to sign promotion records.
    pub keys: Vec<PublicKey>,
    /// The keyless identity (Sigstore certificate) trusted to sign promotion records, as a
    /// builder's `identity` is: a VSA in a bundle whose certificate matches it counts as one
    /// signed by the deploy service.
    pub identity: Option<crate::sigstore::IdentityPolicy>,
    /// The policies (by digest) a promotion record it signed must state it verified against
    /// (`predicate.policy.digest`); any when empty. Pins which policy a verifier's PASSED means.
    pub policy_digests: Vec<crate::digest::Digest>,
}

/// A role given to principals and groups within a scope.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    /// Position in the policy's `bindings` list, used in explanations.
    pub index: usize,
    /// The role granted.
    pub role: String,
    /// Principals granted the role directly (`*` means every principal).
    pub principals: Vec<String>,
    /// Groups whose members are granted the role.
    pub groups: Vec<String>,
    /// Projects the grant covers (all when `None`).
    pub project: Option<Pattern>,
    /// Refs the grant covers (all when `None`).
    pub git_ref: Option<Pattern>,
    /// Environment the grant covers (all when `None`).
    pub environment: Option<String>,
    /// Why the binding exists, shown in explanations.
    pub reason: Option<String>,
    /// Where the binding is written.
    pub location: Option<Location>,
}

/// A builder identity, the zone its builds count as, and the keys trusted to sign for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Builder {
    /// Builder id, as written in provenance (`runDetails.builder.id`).
    pub id: String,
    /// The zone the builder runs in.
    pub zone: ZoneId,
    /// Public keys trusted for this builder.
    pub keys: Vec<PublicKey>,
    /// How many distinct keys of this builder must sign its provenance.
    pub threshold: usize,
    /// Free text for explanations.
    pub description: Option<String>,
    /// The keyless identity (Sigstore certificate) trusted to sign for this builder.
    pub identity: Option<crate::sigstore::IdentityPolicy>,
    /// The SLSA build level (0 to 3) the policy's authors vouch the builder meets: written into
    /// promotion VSAs as `SLSA_BUILD_LEVEL_n`, and what `min_slsa_build_level` is checked against.
    pub slsa_build_level: Option<u8>,
}

/// A credential and where it may be released.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    /// The secret's name.
    pub name: String,
    /// Zones whose jobs may receive it.
    pub zones: Vec<ZoneId>,
    /// Environments it belongs to (any when empty).
    pub environments: Vec<String>,
    /// Free text for explanations.
    pub description: Option<String>,
}

/// A source repository (and refs) builds may come from.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceRule {
    /// Repository URI pattern, e.g. `git+https://gerrit.wikimedia.org/r/mediawiki/**`.
    pub uri: Pattern,
    /// Ref patterns; any ref when empty.
    pub refs: Vec<Pattern>,
    /// Free text for explanations.
    pub description: Option<String>,
}

impl SourceRule {
    /// Whether the rule admits `uri` at `git_ref`. A rule that limits refs does not admit a
    /// source whose provenance names no ref.
    pub fn admits(&self, uri: &str, git_ref: Option<&str>) -> bool {
        self.uri.matches(uri)
            && (self.refs.is_empty()
                || git_ref.is_some_and(|r| self.refs.iter().any(|p| p.matches(r))))
    }
}

/// Policy-wide switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Require {
    /// Who may merge may deploy, and only they (the seeds' merger/deployer role).
    pub merge_implies_deploy: bool,
    /// The author of a change never counts as one of its approvers. On by default.
    pub separation_of_duties: bool,
}

/// A validated policy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// `sha256:<hex>` of the text the policy was read from: decisions name the exact policy.
    pub(crate) digest: String,
    pub(crate) description: Option<String>,
    pub(crate) zones: Zones,
    pub(crate) environments: BTreeMap<String, Environment>,
    pub(crate) principals: BTreeMap<String, Principal>,
    pub(crate) groups: BTreeMap<String, BTreeSet<String>>,
    pub(crate) roles: BTreeMap<String, Role>,
    pub(crate) bindings: Vec<Binding>,
    pub(crate) builders: BTreeMap<String, Builder>,
    pub(crate) secrets: BTreeMap<String, Secret>,
    pub(crate) require: Require,
    pub(crate) sources: Vec<SourceRule>,
    pub(crate) deploy_service: Option<DeployService>,
    pub(crate) images: crate::image::ImagePolicy,
    pub(crate) pipelines: crate::pipeline::PipelineRules,
    /// The bindings indexed by subject and permission, for deciding without a scan.
    pub(crate) grants: grants::Grants,
    /// Sigstore trusted roots bundles are verified against (set by the caller, never read from
    /// the policy text: the core does no I/O).
    pub(crate) trusted_roots: Vec<crate::sigstore::TrustedRoot>,
}

impl Policy {
    /// The environment a request names, or an error under `code` (each entry point has its
    /// own) that lists the defined ones: a misspelt name is never an empty rule set that
    /// allows.
    pub(crate) fn named_environment(
        &self,
        name: &str,
        code: crate::rule::Code,
    ) -> Result<&Environment, Error> {
        self.environments.get(name).ok_or_else(|| {
            let defined = if self.environments.is_empty() {
                "none".to_owned()
            } else {
                self.environments
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Error::invalid(
                code,
                format!("environment `{name}` is not defined in the policy (defined: {defined})"),
            )
        })
    }

    /// Reads a policy from YAML text, reporting every problem found.
    pub fn from_yaml(text: &str) -> Result<Policy, Error> {
        Policy::parse(text, Format::Yaml)
    }

    /// Reads a policy from JSON text, reporting every problem found.
    pub fn from_json(text: &str) -> Result<Policy, Error> {
        Policy::parse(text, Format::Json)
    }

    /// Reads a policy from text in the given format.
    ///
    /// ```
    /// let policy = lockkeeper::Policy::parse(
    ///     "zones: {untrusted: {}, trusted: {dominates: [untrusted]}}",
    ///     lockkeeper::Format::Yaml,
    /// )?;
    /// assert_eq!(policy.zones().len(), 2);
    /// # Ok::<(), lockkeeper::Error>(())
    /// ```
    ///
    /// A policy that does not hold together is [`Error::Problems`], every problem with its
    /// code, path and position.
    pub fn parse(text: &str, format: Format) -> Result<Policy, Error> {
        Ok(validate::parse(text, format)?)
    }

    /// `sha256:<hex>` of the bytes the policy was read from; every decision made under it
    /// carries it as `policy_digest`.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The policy's own description.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Trust zones and their order.
    pub fn zones(&self) -> &Zones {
        &self.zones
    }

    /// Environments by name.
    pub fn environments(&self) -> &BTreeMap<String, Environment> {
        &self.environments
    }

    /// Declared principals by name.
    pub fn principals(&self) -> &BTreeMap<String, Principal> {
        &self.principals
    }

    /// Groups and their members.
    pub fn groups(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.groups
    }

    /// Roles by name.
    pub fn roles(&self) -> &BTreeMap<String, Role> {
        &self.roles
    }

    /// Role bindings, in policy order.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// Builders by id.
    pub fn builders(&self) -> &BTreeMap<String, Builder> {
        &self.builders
    }

    /// Secrets by name.
    pub fn secrets(&self) -> &BTreeMap<String, Secret> {
        &self.secrets
    }

    /// Policy-wide switches.
    pub fn require(&self) -> Require {
        self.require
    }

    /// The deployment service, if the policy declares one.
    pub fn deploy_service(&self) -> Option<&DeployService> {
        self.deploy_service.as_ref()
    }

    /// Sources builds may come from (any when empty).
    pub fn sources(&self) -> &[SourceRule] {
        &self.sources
    }

    /// How pipeline triggers and platform contexts map to zones (the `pipelines` section).
    pub fn pipeline_rules(&self) -> &crate::pipeline::PipelineRules {
        &self.pipelines
    }

    /// Roles that grant `permission`, by name.
    pub fn roles_granting(&self, permission: Permission) -> Vec<&str> {
        self.roles
            .values()
            .filter(|r| r.grants(permission))
            .map(|r| r.name.as_str())
            .collect()
    }

    /// Groups `principal` is a member of.
    pub fn groups_of(&self, principal: &str) -> Vec<&str> {
        self.grants.groups_of(principal)
    }
}
