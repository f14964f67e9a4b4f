//! The deploy gate: *who* wants *what* (an artifact digest) deployed *where*.
//!
//! One decision combines RBAC, build provenance and the target environment's promotion rules.
//! Evidence only ever adds support: an envelope that cannot be read, is not signed by a trusted
//! key or is about something else is ignored (and listed in the facts), so removing evidence can
//! never turn a denial into an allow, and a failing test result denies only when no passing one
//! satisfies the rule (in-toto's monotonic principle).
//!
//! [`Policy::promote`] and [`Policy::deploy_request`] read the evidence once and then run each
//! rule of the target environment as its own function below, in a fixed order; every rule adds
//! its pass or its denial to one decision, so a denial lists every rule that failed.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};

use crate::attestation::slsa::{PROVENANCE_V1, PROVENANCE_V02};
use crate::attestation::{Envelope, IN_TOTO_PAYLOAD_TYPE, Statement};
use crate::decision::{Decision, Facts, TimeProof, VerifiedEvidence, VerifiedSigner, Violation};
use crate::digest::Digest;
use crate::error::Error;
use crate::facts;
use crate::policy::{Environment, Policy};
use crate::provenance::{
    CheckedEnvelope, Claim, Owner, TrustedKeys, USED_AS_PROVENANCE, VerifiedProvenance,
    verified_signers,
};
use crate::rbac::{ApprovalRequest, AuthorizeRequest};
use crate::role::Permission;
use crate::rule::codes;
use crate::scope::Scope;

/// `predicateType` of the promotion records lockkeeper wrote before they became SLSA VSAs;
/// still accepted as evidence, so records already signed keep carrying artifacts forward.
pub const PROMOTION_PREDICATE: &str = "https://lockkeeper.dev/promotion/v1";

/// `predicateType` of a SLSA Verification Summary Attestation v1: the promotion record's type,
/// so that any VSA reader can tell that a digest passed an environment's policy.
pub const VSA_PREDICATE: &str = "https://slsa.dev/verification_summary/v1";

/// How a promotion VSA's `resourceUri` names the environment the artifact passed
/// (`lockkeeper:environment/staging`). The environment is what was verified for; a VSA whose
/// `resourceUri` does not start with this passed no environment the gate knows.
pub const ENVIRONMENT_URI_PREFIX: &str = "lockkeeper:environment/";

/// The subject annotation holding what the VSA predicate has no field for (version, emergency,
/// rollback, principal, action). It lives on the subject because VSA readers such as the
/// in-toto-attestation models reject unknown predicate fields, while in-toto allows any
/// annotations on a resource descriptor.
pub const PROMOTION_ANNOTATION: &str = "lockkeeper.dev/promotion";

/// `policy.uri` of the VSAs lockkeeper writes: the policy has no address of its own, its
/// digest (`policy.digest`) is what identifies it.
pub const POLICY_URI: &str = "lockkeeper:policy";

/// `used_as` of a promotion record a decision relied on.
const USED_AS_PROMOTION_RECORD: &str = "promotion-record";

/// `used_as` of a required attestation a decision relied on.
const USED_AS_ATTESTATION: &str = "attestation";

/// `verifier.id` when the policy declares no deploy service.
const GATE_VERIFIER: &str = "https://lockkeeper.dev/gate";

/// The custom SLSA level a promotion VSA states for its environment
/// (`LOCKKEEPER_ENVIRONMENT_STAGING`): custom levels must not start with `SLSA_`, and levels
/// are upper case with underscores.
pub fn environment_level(environment: &str) -> String {
    let name: String = environment
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("LOCKKEEPER_ENVIRONMENT_{name}")
}

/// The SLSA build level a VSA states it verified (`SLSA_BUILD_LEVEL_n` in `verifiedLevels`),
/// the highest when it lists several; `None` for a statement that states none.
pub fn vsa_build_level(statement: &Statement) -> Option<u8> {
    if statement.predicate_type() != VSA_PREDICATE {
        return None;
    }
    statement
        .predicate()
        .get("verifiedLevels")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(|l| {
            l.as_str()?
                .strip_prefix(SLSA_BUILD_LEVEL_PREFIX)?
                .parse::<u8>()
                .ok()
        })
        .filter(|l| *l <= 3)
        .max()
}

/// How SLSA v1 names build-track levels in a VSA's `verifiedLevels` and `dependencyLevels`.
pub const SLSA_BUILD_LEVEL_PREFIX: &str = "SLSA_BUILD_LEVEL_";

/// What a promotion record (a VSA or an old `lockkeeper.dev/promotion/v1` record) says beyond
/// its subject: read the same way for both formats.
fn record_field<'s>(statement: &'s Statement, field: &str) -> Option<&'s Value> {
    if statement.predicate_type() == VSA_PREDICATE {
        statement
            .subjects()
            .iter()
            .filter_map(|s| s.annotations.as_ref())
            .find_map(|a| a.get(PROMOTION_ANNOTATION).and_then(|p| p.get(field)))
    } else {
        statement.predicate().get(field)
    }
}

/// Whether a promotion record says the freeze was overridden in an emergency; `None` when the
/// statement is no promotion record or does not say.
pub fn record_emergency(statement: &Statement) -> Option<bool> {
    record_field(statement, "emergency").and_then(Value::as_bool)
}

/// An approval of the change behind the artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    /// Who approved.
    pub principal: String,
    /// When; approvals without a time are ignored where approvals expire.
    pub at: Option<Timestamp>,
}

impl Approval {
    /// `principal`'s approval, given at `at` where the time is known.
    pub fn new(principal: impl Into<String>, at: Option<Timestamp>) -> Self {
        Approval {
            principal: principal.into(),
            at,
        }
    }
}

/// Reads a time written in RFC 3339 (`2026-11-24T12:00:00Z`), as front ends take it from
/// people; the error is `input/invalid-time`. Front ends convert their own time values
/// (Python's aware `datetime`, JavaScript's `Date`) directly and strings through here, once, and
/// the gate takes the typed time.
pub fn parse_time(text: &str) -> Result<Timestamp, Error> {
    super::rules::parse_time(text).map_err(Error::from)
}

/// Reads a semantic version as people write it, with or without a leading `v` (`v1.4.2`); the
/// error is `input/invalid-version`. Front ends convert through here once; the gate takes the
/// typed version.
pub fn parse_version(text: &str) -> Result<semver::Version, Error> {
    semver::Version::parse(text.strip_prefix('v').unwrap_or(text)).map_err(|e| {
        Error::invalid(
            codes::INPUT_INVALID_VERSION,
            format!("`{text}` is not a semantic version: {e}"),
        )
    })
}

/// One piece of evidence: a DSSE envelope's bytes, and the name findings give it (the file it
/// was read from), so that a person can tell which file was used or ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// Where the evidence came from, e.g. its file path; `evidence[2]` where it has no name.
    pub name: String,
    /// The envelope, as received.
    pub bytes: Vec<u8>,
}

impl Evidence {
    /// Evidence named `name`.
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Evidence {
            name: name.into(),
            bytes: bytes.into(),
        }
    }

    /// Evidence known by its position only (`evidence[i]`), as the bindings pass it.
    pub fn numbered(list: impl IntoIterator<Item = Vec<u8>>) -> Vec<Evidence> {
        list.into_iter()
            .enumerate()
            .map(|(i, bytes)| Evidence::new(format!("evidence[{i}]"), bytes))
            .collect()
    }
}

/// Evidence the gate did not use, and why: it is reported on allow too, so that a missing
/// signature or a wrong file is seen before it matters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IgnoredEvidence {
    /// The evidence's name ([`Evidence::name`]).
    pub evidence: String,
    /// Why it was ignored.
    pub why: String,
}

/// A request to promote ([`Policy::promote`]) or deploy ([`Policy::deploy_request`]) an
/// artifact: *who* wants *what* *where*, and the evidence for it.
///
/// Built by [`DeployRequest::new`] from the three values every request needs, already typed
/// (the artifact is a [`Digest`], not text), so no request can reach the gate without them; the
/// rest defaults to "not given" and is set with the `with_*` methods or the public fields.
/// Front ends parse text once ([`Digest::parse`], [`parse_time`], [`parse_version`]) and pass
/// the typed values.
///
/// ```
/// use lockkeeper::{DeployRequest, Digest, Timestamp};
/// let request = DeployRequest::new("alice", Digest::sha256(b"web-app-1.4.2.tar.gz"), "staging")
///     .with_version("1.4.2".parse()?)
///     .at("2026-11-24T10:00:00Z".parse::<Timestamp>()?);
/// assert_eq!(request.environment, "staging");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DeployRequest {
    /// Who asks.
    pub principal: String,
    /// The artifact, by digest.
    pub artifact: Digest,
    /// The target environment.
    pub environment: String,
    /// Its semantic version, where the environment constrains versions.
    pub version: Option<semver::Version>,
    /// The last version the environment received, if known outside the evidence.
    pub last_version: Option<semver::Version>,
    /// DSSE envelopes: build provenance, promotion records, other attestations.
    pub evidence: Vec<Evidence>,
    /// Approvals of the change.
    pub approvals: Vec<Approval>,
    /// The change's author.
    pub author: Option<String>,
    /// Project, for scoped bindings.
    pub project: Option<String>,
    /// Git ref, for scoped bindings.
    pub git_ref: Option<String>,
    /// The decision time; `None` is the moment the gate decides (see
    /// [`DeployRequest::decision_time`]). A fixed time makes a decision reproducible.
    pub at: Option<Timestamp>,
    /// A declared rollback may go below the last version the environment received.
    pub rollback: bool,
    /// An emergency override of freeze windows (needs the environment's emergency role).
    pub emergency: bool,
    /// Images read by the caller (OCI layouts or manifest + config pairs), for environments
    /// that require the image policy; an image's bases may be among them.
    pub images: Vec<crate::image::ImageSet>,
}

impl DeployRequest {
    /// `principal` asks for `artifact` in `environment`; nothing else is given yet.
    pub fn new(
        principal: impl Into<String>,
        artifact: Digest,
        environment: impl Into<String>,
    ) -> Self {
        DeployRequest {
            principal: principal.into(),
            artifact,
            environment: environment.into(),
            version: None,
            last_version: None,
            evidence: Vec::new(),
            approvals: Vec::new(),
            author: None,
            project: None,
            git_ref: None,
            at: None,
            rollback: false,
            emergency: false,
            images: Vec::new(),
        }
    }

    /// The artifact's version.
    pub fn with_version(mut self, version: semver::Version) -> Self {
        self.version = Some(version);
        self
    }

    /// The last version the environment received.
    pub fn with_last_version(mut self, version: semver::Version) -> Self {
        self.last_version = Some(version);
        self
    }

    /// Adds evidence.
    pub fn with_evidence(mut self, evidence: impl IntoIterator<Item = Evidence>) -> Self {
        self.evidence.extend(evidence);
        self
    }

    /// Adds approvals.
    pub fn with_approvals(mut self, approvals: impl IntoIterator<Item = Approval>) -> Self {
        self.approvals.extend(approvals);
        self
    }

    /// The change's author (excluded from approving it under separation of duties).
    pub fn with_author(mut self, author: impl Into<String>) -> Self {
        self.author = Some(author.into());
        self
    }

    /// The project, for bindings scoped to projects.
    pub fn with_project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// The git ref, for bindings scoped to refs.
    pub fn with_git_ref(mut self, git_ref: impl Into<String>) -> Self {
        self.git_ref = Some(git_ref.into());
        self
    }

    /// Decides as at `time` rather than now.
    pub fn at(mut self, time: Timestamp) -> Self {
        self.at = Some(time);
        self
    }

    /// Declares a rollback (a version below the environment's last is then allowed).
    pub fn with_rollback(mut self, rollback: bool) -> Self {
        self.rollback = rollback;
        self
    }

    /// Asks for an emergency override of freeze windows.
    pub fn with_emergency(mut self, emergency: bool) -> Self {
        self.emergency = emergency;
        self
    }

    /// Adds images, for environments that require the image policy.
    pub fn with_images(mut self, images: impl IntoIterator<Item = crate::image::ImageSet>) -> Self {
        self.images.extend(images);
        self
    }

    /// The time the request is decided at: [`DeployRequest::at`] when given, else the clock.
    /// This is the one place the gate reads the clock, so that no front end keeps its own.
    pub fn decision_time(&self) -> Timestamp {
        self.at.unwrap_or_else(Timestamp::now)
    }
}

/// A secret the deploy service may now use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReleasedSecret {
    /// The secret's name.
    pub name: String,
    /// The zone it is released to (the deploy service's).
    pub zone: String,
}

/// The gate's answer.
#[derive(Clone, Debug)]
pub struct DeployOutcome {
    /// Allow or deny, with every failed rule.
    pub decision: Decision,
    /// On an allowed deploy: the secrets released, and to which zone.
    pub released_secrets: Vec<ReleasedSecret>,
    /// On allow: the promotion record to sign with the deploy service's key; it is the
    /// evidence for the next hop.
    pub promotion_record: Option<Statement>,
    /// Evidence that could not be read, was signed by no trusted key or was not an in-toto
    /// statement, in the order given.
    pub evidence_ignored: Vec<IgnoredEvidence>,
}

impl DeployOutcome {
    /// The decision's JSON with `released_secrets`, `promotion_record` and
    /// `evidence_ignored` (`[{"evidence": name, "why"}]`) added.
    pub fn to_json_value(&self) -> Value {
        let mut v = self.decision.to_json_value();
        if let Some(obj) = v.as_object_mut() {
            obj.insert("released_secrets".into(), json!(self.released_secrets));
            obj.insert("evidence_ignored".into(), json!(self.evidence_ignored));
            obj.insert(
                "promotion_record".into(),
                self.promotion_record
                    .as_ref()
                    .map_or(Value::Null, Statement::to_json_value),
            );
        }
        v
    }

    /// The decision for people, followed by the secrets released (on an allowed deploy) and
    /// each piece of evidence ignored, by name (on allow and on deny).
    pub fn to_text(&self) -> String {
        let mut out = self.decision.to_text();
        if self.decision.allowed() {
            for s in &self.released_secrets {
                out.push_str(&format!(
                    "  secret released: {} (to zone {})\n",
                    s.name, s.zone
                ));
            }
        }
        for e in &self.evidence_ignored {
            out.push_str(&format!("  evidence ignored: {}: {}\n", e.evidence, e.why));
        }
        out
    }
}

impl std::fmt::Display for DeployOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.to_text().trim_end())
    }
}

/// One piece of evidence that a trusted key signed.
struct Signed<'p> {
    name: String,
    /// sha256 of the evidence as received: how the promotion VSA names its input attestations.
    sha256: Digest,
    envelope: Envelope,
    verifying: Vec<Option<usize>>,
    statement: Statement,
    owners: Vec<Owner<'p>>,
    /// The trusted signers whose signatures verified, as a decision lists them.
    signers: Vec<VerifiedSigner>,
    /// How a Sigstore bundle's signing time was proven; `None` for a bare envelope.
    time: Option<TimeProof>,
}

impl Signed<'_> {
    /// This evidence as a decision lists what it relied on.
    fn relied_on(&self, used_as: &'static str, builder: Option<&str>) -> VerifiedEvidence {
        VerifiedEvidence {
            evidence: self.name.clone(),
            digest: self.sha256.to_string(),
            used_as,
            predicate_type: self.statement.predicate_type().to_owned(),
            builder: builder.map(str::to_owned),
            signers: self.signers.clone(),
            time: self.time.clone(),
        }
    }

    /// A promotion record signed by the deploy service: the only evidence that a digest
    /// passed an environment.
    /// A VSA counts only when it says `PASSED`; one that failed is no evidence of passing.
    fn is_promotion_record(&self) -> bool {
        let kind = match self.statement.predicate_type() {
            PROMOTION_PREDICATE => true,
            VSA_PREDICATE => {
                self.statement
                    .predicate()
                    .get("verificationResult")
                    .and_then(Value::as_str)
                    == Some("PASSED")
            }
            _ => false,
        };
        kind && self.owners.iter().any(|o| match o {
            Owner::DeployService(d) => {
                d.policy_digests.is_empty()
                    || d.policy_digests.iter().any(|pin| self.states_policy(pin))
            }
            Owner::Builder(_) => false,
        })
    }

    /// Whether a VSA's `policy.digest` names the policy `pin` (one of the verifier's pinned
    /// policies); an old-format record names none.
    fn states_policy(&self, pin: &Digest) -> bool {
        self.statement.predicate_type() == VSA_PREDICATE
            && self
                .statement
                .predicate()
                .pointer("/policy/digest")
                .and_then(|d| d.get(pin.algorithm().as_str()))
                .and_then(Value::as_str)
                == Some(pin.hex())
    }

    /// The environment a promotion record says the artifact passed: a VSA's `resourceUri`
    /// (`lockkeeper:environment/NAME`), an old record's `environment`.
    fn environment(&self) -> Option<&str> {
        let p = self.statement.predicate();
        if self.statement.predicate_type() == VSA_PREDICATE {
            p.get("resourceUri")
                .and_then(Value::as_str)
                .and_then(|u| u.strip_prefix(ENVIRONMENT_URI_PREFIX))
                .filter(|e| !e.is_empty())
        } else {
            p.get("environment").and_then(Value::as_str)
        }
    }

    /// The version a promotion record says entered its environment.
    fn version(&self) -> Option<&str> {
        record_field(&self.statement, "version").and_then(Value::as_str)
    }
}

/// What a gate decision is about, in a few words: `alice: deploy sha256:... (1.4.2) to staging`.
fn subject(req: &DeployRequest, action: Permission, env: &Environment) -> String {
    let version = req
        .version
        .as_ref()
        .map(|v| format!(" ({v})"))
        .unwrap_or_default();
    format!(
        "{}: {action} {}{version} to {}",
        req.principal, req.artifact, env.name
    )
}

/// The time a statement states: test and scan results' `timestamp`, SLSA's `finishedOn`,
/// promotion records' `timeVerified` (VSA) or `decided_at` (old format).
fn stated_time(statement: &Statement) -> Option<Timestamp> {
    let p = statement.predicate();
    [
        p.get("timestamp"),
        p.get("timeVerified"),
        p.get("decided_at"),
        p.get("finishedOn"),
        p.pointer("/runDetails/metadata/finishedOn"),
        p.pointer("/metadata/buildFinishedOn"),
    ]
    .into_iter()
    .flatten()
    .find_map(|v| v.as_str().and_then(|t| super::rules::parse_time(t).ok()))
}

impl Policy {
    /// Decides a promotion of `request.artifact` into `request.environment` (the `promote`
    /// permission).
    pub fn promote(&self, request: &DeployRequest) -> Result<DeployOutcome, Error> {
        self.gate(request, Permission::Promote)
    }

    /// Decides a deployment (the `deploy` permission); on allow it also says which secrets
    /// the deploy service may use.
    pub fn deploy_request(&self, request: &DeployRequest) -> Result<DeployOutcome, Error> {
        self.gate(request, Permission::Deploy)
    }

    /// Reads the evidence once, then runs every rule of the target environment into one
    /// decision; on allow, adds the secrets released and the promotion record.
    fn gate(&self, req: &DeployRequest, action: Permission) -> Result<DeployOutcome, Error> {
        let env = self.target_environment(&req.environment)?;
        let now = req.decision_time();
        let mut d = Decision::new(subject(req, action, env)).under(self);
        d.decided_at(now);
        let scope = Scope {
            project: req.project.clone(),
            git_ref: req.git_ref.clone(),
            environment: Some(env.name.clone()),
        };
        d.absorb(self.decide(&AuthorizeRequest {
            principal: req.principal.clone(),
            action,
            scope: scope.clone(),
        }));

        let mut trusted = self.trusted_keys(true);
        let (signed, ignored) = self.read_evidence(&req.evidence, &req.artifact, &mut trusted);
        let names = artifact_names(&signed, &req.artifact);
        let records: Vec<&Signed<'_>> = signed.iter().filter(|s| s.is_promotion_record()).collect();
        let target = Target {
            policy: self,
            env,
            artifact: &req.artifact,
            now,
            scope,
            base: facts! {
                "artifact" => req.artifact,
                "environment" => env.name,
                "evidence_count" => req.evidence.len(),
                "evidence_ignored" => ignored,
            },
        };
        let built = target.check_build(&signed, &trusted, &mut d);
        let source = target.check_source(&names, &records, &mut d);
        let build_level = built.or_else(|| source.and_then(|r| vsa_build_level(&r.statement)));
        target.check_slsa_level(build_level, source, &mut d);
        target.check_attestations(&signed, &mut d);
        target.check_quorum(&req.approvals, req.author.as_deref(), &mut d)?;
        target.check_image_policy(&req.images, &mut d);
        target.check_version_constraint(req.version.as_ref(), &mut d);
        let last = target.last_version(req.last_version.as_ref(), &records);
        target.check_downgrade(req.version.as_ref(), last.as_ref(), req.rollback, &mut d);
        let emergency_used = target.check_freeze(&req.principal, req.emergency, &mut d);

        // Secrets and the record exist only on allow; a promotion releases no secret.
        let (released, record) = if d.allowed() {
            let released = match action {
                Permission::Deploy => self.released_secrets(env),
                _ => Vec::new(),
            };
            let inputs: Vec<&Signed<'_>> = signed
                .iter()
                .filter(|s| s.statement.covers(&req.artifact))
                .collect();
            let record = self.promotion_record(
                env,
                req,
                action,
                &names,
                &inputs,
                now,
                emergency_used,
                build_level,
            );
            (released, Some(record))
        } else {
            (Vec::new(), None)
        };
        Ok(DeployOutcome {
            decision: d,
            released_secrets: released,
            promotion_record: record,
            evidence_ignored: ignored,
        })
    }

    /// The environment a request names: one the policy does not define is an error
    /// (`promotion/unknown-environment`), never an empty rule set that allows.
    fn target_environment(&self, name: &str) -> Result<&Environment, Error> {
        self.named_environment(name, codes::PROMOTION_UNKNOWN_ENVIRONMENT)
    }

    /// The secrets bound to `env` that the deploy service's zone may receive; none without a
    /// deploy service.
    fn released_secrets(&self, env: &Environment) -> Vec<ReleasedSecret> {
        let Some(service) = &self.deploy_service else {
            return Vec::new();
        };
        self.secrets
            .values()
            .filter(|s| s.environments.contains(&env.name) && s.zones.contains(&service.zone))
            .map(|s| ReleasedSecret {
                name: s.name.clone(),
                zone: self.zones.name(service.zone).to_owned(),
            })
            .collect()
    }

    /// The statement that this digest passed the environment, as a SLSA VSA v1: signed by the
    /// deploy service, it is the evidence [`check_source`] asks for at the next hop, and any
    /// VSA reader can check it. `inputs` are the signed statements about the digest the
    /// decision read.
    #[allow(clippy::too_many_arguments)]
    fn promotion_record(
        &self,
        env: &Environment,
        req: &DeployRequest,
        action: Permission,
        names: &[String],
        inputs: &[&Signed<'_>],
        now: Timestamp,
        emergency_used: bool,
        build_level: Option<u8>,
    ) -> Statement {
        let name = names
            .first()
            .cloned()
            .unwrap_or_else(|| "artifact".to_owned());
        let verifier = self
            .deploy_service
            .as_ref()
            .map_or(GATE_VERIFIER, |s| s.id.as_str());
        let policy_digest = match self.digest().split_once(':') {
            Some((algorithm, hex)) => json!({ algorithm: hex }),
            None => json!({}),
        };
        let input_attestations: Vec<Value> = inputs
            .iter()
            .map(|s| json!({"uri": s.name, "digest": {s.sha256.algorithm().as_str(): s.sha256.hex()}}))
            .collect();
        let mut annotation = serde_json::Map::new();
        annotation.insert(
            PROMOTION_ANNOTATION.to_owned(),
            json!({
                "version": req.version.as_ref().map(ToString::to_string),
                "principal": req.principal,
                "action": action.as_str(),
                "emergency": emergency_used,
                "rollback": req.rollback,
            }),
        );
        let mut verified_levels = vec![environment_level(&env.name)];
        if let Some(level) = build_level {
            verified_levels.push(format!("{SLSA_BUILD_LEVEL_PREFIX}{level}"));
        }
        // What the input VSAs say of the builds they verified: how many inputs at each level.
        let mut dependency_levels = serde_json::Map::new();
        for level in inputs.iter().filter_map(|s| vsa_build_level(&s.statement)) {
            let count = dependency_levels
                .entry(format!("{SLSA_BUILD_LEVEL_PREFIX}{level}"))
                .or_insert(json!(0));
            *count = json!(count.as_u64().unwrap_or(0) + 1);
        }
        let mut predicate = json!({
            "verifier": {"id": verifier},
            "timeVerified": now.to_string(),
            "resourceUri": format!("{ENVIRONMENT_URI_PREFIX}{}", env.name),
            "policy": {"uri": POLICY_URI, "digest": policy_digest},
            "inputAttestations": input_attestations,
            "verificationResult": "PASSED",
            "verifiedLevels": verified_levels,
            "slsaVersion": "1.0",
        });
        if !dependency_levels.is_empty()
            && let Some(p) = predicate.as_object_mut()
        {
            p.insert("dependencyLevels".into(), Value::Object(dependency_levels));
        }
        Statement::new(vec![(name, req.artifact.clone())], VSA_PREDICATE, predicate)
            .with_subject_annotations(annotation)
    }
}

/// What every rule of one decision reads: the policy, the target environment, the artifact,
/// the decision time, the request's scope, and the facts each finding starts from. Each rule is
/// one method taking only its own inputs besides these, so it can be tested alone.
struct Target<'p> {
    policy: &'p Policy,
    env: &'p Environment,
    artifact: &'p Digest,
    now: Timestamp,
    scope: Scope,
    base: Facts,
}

impl Target<'_> {
    /// Valid build provenance is required for an entry environment and wherever a minimum
    /// build zone is set.
    ///
    /// Returns the highest SLSA build level declared for a builder whose provenance verified.
    fn check_build(
        &self,
        signed: &[Signed<'_>],
        trusted: &TrustedKeys<'_>,
        d: &mut Decision,
    ) -> Option<u8> {
        let (policy, env, artifact, base) = (self.policy, self.env, self.artifact, &self.base);
        if !(env.from.is_empty()
            || env.min_build_zone.is_some()
            || env.min_slsa_build_level.is_some())
        {
            return None;
        }
        let mut good: Vec<VerifiedProvenance> = Vec::new();
        let mut failures: Vec<Decision> = Vec::new();
        for s in signed {
            let pt = s.statement.predicate_type();
            if pt != PROVENANCE_V1 && pt != PROVENANCE_V02 {
                continue;
            }
            let checked = CheckedEnvelope {
                envelope: &s.envelope,
                verifying: &s.verifying,
                trusted,
                statement: Some(s.statement.clone()),
            };
            let claim = Claim {
                artifact,
                environment: None,
                min_zone: None,
            };
            let (pd, verified) = policy.judge_provenance(
                checked,
                &claim,
                Decision::new(format!("evidence {}", s.name)),
            );
            match verified {
                Some(v) if pd.allowed() => {
                    d.relied_on(s.relied_on(USED_AS_PROVENANCE, Some(&v.builder)));
                    good.push(v);
                }
                _ => failures.push(pd),
            }
        }
        if good.is_empty() {
            if failures.is_empty() {
                let mut f = base.clone();
                f.insert(
                    "required".into(),
                    json!("SLSA provenance (v1 or v0.2) by a builder in the policy"),
                );
                d.deny(Violation::new(
                    codes::PROMOTION_MISSING_ATTESTATION,
                    format!("no valid build provenance for this artifact among the evidence, and {} requires it", env.name),
                    f,
                ));
            } else {
                for f in failures {
                    d.absorb(f);
                }
            }
            return None;
        }
        d.pass(codes::PROMOTION_MISSING_ATTESTATION);
        let level = good
            .iter()
            .filter_map(|v| policy.builders.get(&v.builder)?.slsa_build_level)
            .max();
        let Some(min) = env.min_build_zone else {
            return level;
        };
        let zones: Vec<(String, ZoneName)> = good
            .iter()
            .filter_map(|v| {
                policy
                    .builders
                    .get(&v.builder)
                    .map(|b| (v.builder.clone(), b.zone))
            })
            .collect();
        if zones.iter().any(|(_, z)| policy.zones.dominates(*z, min)) {
            d.pass(codes::PROMOTION_BUILD_ZONE_TOO_LOW);
        } else {
            let mut f = base.clone();
            f.insert("min_build_zone".into(), json!(policy.zones.name(min)));
            f.insert(
                "builds".into(),
                json!(
                    zones
                        .iter()
                        .map(|(b, z)| json!({"builder": b, "zone": policy.zones.name(*z)}))
                        .collect::<Vec<_>>()
                ),
            );
            d.deny(Violation::new(
                codes::PROMOTION_BUILD_ZONE_TOO_LOW,
                format!(
                    "the artifact was built only in zones below `{}`, which {} requires",
                    policy.zones.name(min),
                    env.name
                ),
                f,
            ));
        }
        level
    }

    /// An environment with `min_slsa_build_level` admits only an artifact whose verified build
    /// is at that level or above: the level the policy declares for the builder of this hop's
    /// verified provenance, or else the one the promotion record it came with states.
    fn check_slsa_level(&self, level: Option<u8>, source: Option<&Signed<'_>>, d: &mut Decision) {
        let Some(min) = self.env.min_slsa_build_level else {
            return;
        };
        if level.is_some_and(|l| l >= min) {
            d.pass(codes::PROMOTION_SLSA_LEVEL_TOO_LOW);
            return;
        }
        let mut f = self.base.clone();
        f.insert("min_slsa_build_level".into(), json!(min));
        f.insert("build_level".into(), json!(level));
        f.insert(
            "level_from".into(),
            json!(source.map_or("build provenance", |s| s.name.as_str())),
        );
        d.deny(Violation::new(
            codes::PROMOTION_SLSA_LEVEL_TOO_LOW,
            match level {
                Some(l) => format!(
                    "the verified build is at SLSA build level {l}, and {} requires {min}",
                    self.env.name
                ),
                None => format!(
                    "{} requires SLSA build level {min}, and no verified build states a level (declare `slsa_build_level` on the builder)",
                    self.env.name
                ),
            },
            f,
        ));
    }

    /// Each attestation the environment requires needs one statement about this digest, of its
    /// predicate type, signed by a signer in its zone or above and, where it limits the age,
    /// stating a time within it; a test result must also say `PASSED`. A failing candidate
    /// denies only when no candidate satisfies the rule.
    fn check_attestations(&self, signed: &[Signed<'_>], d: &mut Decision) {
        let (policy, env, artifact, now, base) =
            (self.policy, self.env, self.artifact, self.now, &self.base);
        for rule in &env.attestations {
            let is_test_result = crate::attestation::is_test_result(&rule.predicate_type);
            let mut seen: Vec<Value> = Vec::new();
            let (mut ok, mut failed, mut stale) = (false, false, false);
            for s in signed {
                if s.statement.predicate_type() != rule.predicate_type
                    || !s.statement.covers(artifact)
                {
                    continue;
                }
                let signer_ok = rule.signer_zone.is_none_or(|min| {
                    s.owners
                        .iter()
                        .any(|o| policy.zones.dominates(o.zone(), min))
                });
                let signers: Vec<&str> = s.owners.iter().map(Owner::name).collect();
                if !signer_ok {
                    seen.push(json!({"evidence": s.name, "signers": signers, "why": "signed only by signers below the required zone"}));
                    continue;
                }
                if let Some(max_age) = rule.max_age {
                    match stated_time(&s.statement) {
                        None => {
                            stale = true;
                            seen.push(json!({"evidence": s.name, "why": "states no time, and the rule limits its age"}));
                            continue;
                        }
                        Some(t) if now.duration_since(t) > max_age => {
                            stale = true;
                            seen.push(json!({"evidence": s.name, "stated_time": t.to_string(), "why": "older than max_age"}));
                            continue;
                        }
                        Some(_) => {}
                    }
                }
                let result = s
                    .statement
                    .predicate()
                    .get("result")
                    .and_then(Value::as_str);
                if is_test_result && result != Some("PASSED") {
                    failed = true;
                    seen.push(json!({"evidence": s.name, "result": result, "why": "the tests did not pass"}));
                    continue;
                }
                ok = true;
                d.relied_on(s.relied_on(USED_AS_ATTESTATION, None));
                break;
            }
            let mut f = base.clone();
            f.insert("predicate_type".into(), json!(rule.predicate_type));
            f.insert(
                "signer_zone".into(),
                json!(rule.signer_zone.map(|z| policy.zones.name(z))),
            );
            f.insert(
                "max_age".into(),
                json!(rule.max_age.map(|a| format!("{a:#}"))),
            );
            f.insert("candidates".into(), json!(seen));
            let (code, message) = if ok {
                // Only the checks this rule asks for ran.
                d.pass(codes::PROMOTION_MISSING_ATTESTATION);
                if rule.max_age.is_some() {
                    d.pass(codes::PROMOTION_STALE_EVIDENCE);
                }
                if is_test_result {
                    d.pass(codes::PROMOTION_TEST_FAILED);
                }
                continue;
            } else if failed {
                (
                    codes::PROMOTION_TEST_FAILED,
                    format!(
                        "the {} attestation for this artifact reports tests that did not pass",
                        rule.predicate_type
                    ),
                )
            } else if stale {
                (
                    codes::PROMOTION_STALE_EVIDENCE,
                    format!(
                        "the {} attestation for this artifact is too old (or states no time)",
                        rule.predicate_type
                    ),
                )
            } else {
                (
                    codes::PROMOTION_MISSING_ATTESTATION,
                    format!(
                        "{} requires a {} attestation for this artifact from a trusted signer",
                        env.name, rule.predicate_type
                    ),
                )
            };
            d.deny(Violation::new(code, message, f));
        }
    }

    /// Environments with an approvals rule need that many distinct qualified approvers, the
    /// author excluded; where approvals expire, an undated or old approval does not count.
    fn check_quorum(
        &self,
        approvals: &[Approval],
        author: Option<&str>,
        d: &mut Decision,
    ) -> Result<(), Error> {
        let (policy, env, now, scope, base) =
            (self.policy, self.env, self.now, &self.scope, &self.base);
        let Some(rule) = &env.approvals else {
            return Ok(());
        };
        let mut fresh = Vec::new();
        let mut expired = Vec::new();
        for Approval { principal, at } in approvals {
            let valid = match (rule.max_age, at) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(max), Some(t)) => now.duration_since(*t) <= max && *t <= now,
            };
            if valid {
                fresh.push(principal.clone());
            } else {
                expired.push(json!({"principal": principal, "at": at.map(|t| t.to_string())}));
            }
        }
        let quorum = policy.check_approvals(&ApprovalRequest {
            approvals: fresh,
            author: author.map(str::to_owned),
            required: rule.required,
            role: rule.role.clone(),
            scope: scope.clone(),
        })?;
        for v in quorum.violations() {
            if v.code == codes::RBAC_INSUFFICIENT_APPROVALS {
                let mut f = v.facts.clone();
                f.extend(base.clone());
                f.insert("approvals_expired_or_undated".into(), json!(expired));
                f.insert(
                    "max_age".into(),
                    json!(rule.max_age.map(|a| format!("{a:#}"))),
                );
                d.deny(Violation::new(
                    codes::PROMOTION_INSUFFICIENT_APPROVALS,
                    format!("{} requires {}: {}", env.name, rule.required, v.message),
                    f,
                ));
            } else {
                d.deny(v.clone());
            }
        }
        for p in quorum.passed() {
            if *p == codes::RBAC_INSUFFICIENT_APPROVALS {
                d.pass(codes::PROMOTION_INSUFFICIENT_APPROVALS);
            } else {
                d.pass(*p);
            }
        }
        Ok(())
    }

    /// Environments with `require_image_policy` admit only an image, given with the request,
    /// whose digest is the artifact and which passes the `images` rules.
    fn check_image_policy(&self, images: &[crate::image::ImageSet], d: &mut Decision) {
        let (policy, env, artifact, base) = (self.policy, self.env, self.artifact, &self.base);
        if !env.require_image_policy {
            return;
        }
        let wanted = artifact.to_string();
        let Some(index) = images
            .iter()
            .position(|set| set.images.iter().any(|i| i.answers_to(&wanted)))
        else {
            let mut f = base.clone();
            f.insert(
                "images_given".into(),
                json!(images.iter().map(|s| s.origin.clone()).collect::<Vec<_>>()),
            );
            d.deny(Violation::new(
                codes::PROMOTION_MISSING_ATTESTATION,
                format!(
                    "{} requires the image policy to pass, and no image given with the request has this digest",
                    env.name
                ),
                f,
            ));
            return;
        };
        if let Some(image_decision) = policy.check_images(images).into_iter().nth(index) {
            d.absorb(image_decision);
        }
    }

    /// Nothing enters an environment during one of its freeze windows, unless a holder of its
    /// emergency role asks for an emergency override. Returns whether the override was used.
    fn check_freeze(&self, principal: &str, emergency: bool, d: &mut Decision) -> bool {
        let (policy, env, now, scope, base) =
            (self.policy, self.env, self.now, &self.scope, &self.base);
        let active: Vec<Value> = env
            .freeze
            .iter()
            .filter(|w| w.contains(now))
            .map(|w| json!({"window": w.describe(), "reason": w.reason()}))
            .collect();
        if active.is_empty() {
            d.pass(codes::PROMOTION_FREEZE_WINDOW);
            return false;
        }
        let may_override = env
            .emergency_role
            .as_ref()
            .is_some_and(|role| policy.bound_to(principal, role, scope));
        if emergency && may_override {
            d.pass(codes::PROMOTION_FREEZE_WINDOW);
            return true;
        }
        let mut f = base.clone();
        f.insert("now".into(), json!(now.to_string()));
        f.insert("active_windows".into(), json!(active));
        f.insert("emergency_requested".into(), json!(emergency));
        f.insert("emergency_role".into(), json!(env.emergency_role));
        let extra = if emergency {
            match &env.emergency_role {
                Some(role) => format!(
                    "; `{}` does not hold the emergency role `{role}`",
                    principal
                ),
                None => format!("; {} has no emergency role", env.name),
            }
        } else {
            String::new()
        };
        d.deny(Violation::new(
            codes::PROMOTION_FREEZE_WINDOW,
            format!("{} is frozen now{extra}", env.name),
            f,
        ));
        false
    }

    /// The artifact must come from one of the environment's sources: a promotion record by the
    /// deploy service saying this exact digest passed it.
    ///
    /// Returns the promotion record relied on.
    fn check_source<'r, 'p>(
        &self,
        names: &[String],
        records: &[&'r Signed<'p>],
        d: &mut Decision,
    ) -> Option<&'r Signed<'p>> {
        let (env, artifact, base) = (self.env, self.artifact, &self.base);
        if env.from.is_empty() {
            return None;
        }
        let env_of = |s: &Signed<'_>| s.environment().map(str::to_owned);
        let in_source = records.iter().find(|r| {
            env_of(r).is_some_and(|e| env.from.contains(&e)) && r.statement.covers(artifact)
        });
        if let Some(record) = in_source {
            d.relied_on(record.relied_on(USED_AS_PROMOTION_RECORD, None));
            d.pass(codes::PROMOTION_NOT_IN_SOURCE);
            d.pass(codes::PROMOTION_NO_EDGE);
            d.pass(codes::PROMOTION_DIGEST_MISMATCH);
            return Some(record);
        }
        let mut f = base.clone();
        f.insert("from".into(), json!(env.from));
        f.insert("artifact_names".into(), json!(names));
        let mismatched: Vec<Value> = records
            .iter()
            .filter(|r| env_of(r).is_some_and(|e| env.from.contains(&e)))
            .flat_map(|r| {
                r.statement
                    .subjects()
                    .iter()
                    .filter(|s| s.name.as_ref().is_some_and(|n| names.contains(n)) && !s.matches(artifact))
                    .map(|s| json!({"evidence": r.name, "environment": env_of(r), "name": s.name, "digest": s.digest}))
                    .collect::<Vec<_>>()
            })
            .collect();
        if !mismatched.is_empty() {
            f.insert("promoted_digests".into(), json!(mismatched));
            d.deny(Violation::new(
                codes::PROMOTION_DIGEST_MISMATCH,
                format!(
                    "a different digest of this artifact passed {}; promotion copies, it never rebuilds: deploy the promoted digest",
                    env.from.join("/")
                ),
                f,
            ));
            return None;
        }
        let elsewhere: Vec<String> = records
            .iter()
            .filter(|r| r.statement.covers(artifact))
            .filter_map(|r| env_of(r))
            .collect();
        if !elsewhere.is_empty() {
            f.insert("passed".into(), json!(elsewhere));
            d.deny(Violation::new(
                codes::PROMOTION_NO_EDGE,
                format!(
                    "the artifact passed {}, but {} is promoted only from {}",
                    elsewhere.join(", "),
                    env.name,
                    env.from.join(", ")
                ),
                f,
            ));
            return None;
        }
        d.deny(Violation::new(
            codes::PROMOTION_NOT_IN_SOURCE,
            format!(
                "no promotion record by the deploy service shows this digest passed {}",
                env.from.join(" or ")
            ),
            f,
        ));
        None
    }

    /// An environment with a version requirement admits only a request whose version meets it;
    /// a request without a version does not.
    fn check_version_constraint(&self, version: Option<&semver::Version>, d: &mut Decision) {
        let (env, base) = (self.env, &self.base);
        let Some(requirement) = &env.version else {
            return;
        };
        match version {
            Some(v) if requirement.matches(v) => d.pass(codes::PROMOTION_VERSION_CONSTRAINT),
            other => {
                let mut f = base.clone();
                f.insert("required".into(), json!(requirement.to_string()));
                f.insert("version".into(), json!(other.map(ToString::to_string)));
                d.deny(Violation::new(
                    codes::PROMOTION_VERSION_CONSTRAINT,
                    match other {
                        Some(v) => format!(
                            "version {v} does not satisfy {}'s requirement `{requirement}`",
                            env.name
                        ),
                        None => format!(
                            "{} requires a version matching `{requirement}` and the request gives none",
                            env.name
                        ),
                    },
                    f,
                ));
            }
        }
    }

    /// The highest version the environment is known to have received: the one the request
    /// states, or a higher one from the deploy service's promotion records into it.
    fn last_version(
        &self,
        given: Option<&semver::Version>,
        records: &[&Signed<'_>],
    ) -> Option<semver::Version> {
        let env = self.env;
        records
            .iter()
            .filter(|r| r.environment() == Some(env.name.as_str()))
            .filter_map(|r| r.version().and_then(|v| parse_version(v).ok()))
            .chain(given.cloned())
            .max()
    }

    /// A version below the environment's last is a downgrade, allowed only as a declared
    /// rollback. Runs only when both versions are known.
    fn check_downgrade(
        &self,
        version: Option<&semver::Version>,
        last: Option<&semver::Version>,
        rollback: bool,
        d: &mut Decision,
    ) {
        let (env, base) = (self.env, &self.base);
        let (Some(v), Some(last)) = (version, last) else {
            return;
        };
        if v < last && !rollback {
            let mut f = base.clone();
            f.insert("version".into(), json!(v.to_string()));
            f.insert("last_version".into(), json!(last.to_string()));
            d.deny(Violation::new(
                codes::PROMOTION_VERSION_DOWNGRADE,
                format!(
                    "{} last received {last}; {v} would be a downgrade",
                    env.name
                ),
                f,
            ));
        } else {
            d.pass(codes::PROMOTION_VERSION_DOWNGRADE);
        }
    }
}

type ZoneName = crate::zone::ZoneId;

impl Policy {
    /// Reads every piece of evidence once: what is a DSSE envelope signed by a key the policy
    /// trusts and carries an in-toto statement is kept with its signers; the rest is ignored, by
    /// name and with the reason, so removing it can never change the decision.
    ///
    /// A Sigstore bundle is verified against the policy's trusted roots first; its certificate's
    /// key (or the given key) is appended to `trusted` and verifies only its own envelope, so a
    /// certificate never vouches for other evidence.
    fn read_evidence<'p>(
        &'p self,
        evidence: &[Evidence],
        artifact: &Digest,
        trusted: &mut TrustedKeys<'p>,
    ) -> (Vec<Signed<'p>>, Vec<IgnoredEvidence>) {
        // Keys of the policy itself; the keys of Sigstore certificates come after them.
        let policy_keys = trusted.keys.len();
        let mut signed = Vec::new();
        let mut ignored = Vec::new();
        let mut ignore = |evidence: &Evidence, why: String| {
            ignored.push(IgnoredEvidence {
                evidence: evidence.name.clone(),
                why,
            });
        };
        for evidence in evidence {
            let (envelope, verifying, bundle) =
                if crate::sigstore::looks_like_bundle(&evidence.bytes) {
                    match self.bundle_evidence(&evidence.bytes, artifact, true) {
                        Ok(bundle) => {
                            let first = trusted.keys.len();
                            let verifying: Vec<Option<usize>> = bundle
                                .envelope
                                .verifying_keys(&bundle.keys)
                                .into_iter()
                                .map(|i| i.map(|i| first + i))
                                .collect();
                            trusted.keys.extend(bundle.keys);
                            trusted.owners.extend(bundle.owners);
                            (bundle.envelope, verifying, Some(bundle.verified))
                        }
                        Err(v) => {
                            ignore(evidence, format!("{}: {}", v.code, v.message));
                            continue;
                        }
                    }
                } else {
                    let envelope = match Envelope::from_json(&evidence.bytes) {
                        Ok(e) => e,
                        Err(e) => {
                            ignore(evidence, e.to_string());
                            continue;
                        }
                    };
                    let verifying = envelope.verifying_keys(&trusted.keys[..policy_keys]);
                    (envelope, verifying, None)
                };
            let mut owners: Vec<Owner<'p>> = Vec::new();
            for i in verifying.iter().flatten() {
                if let Some(o) = trusted.owners.get(*i)
                    && !owners.iter().any(|x| x.name() == o.name())
                {
                    owners.push(*o);
                }
            }
            if owners.is_empty() {
                ignore(evidence, "no signature by a key the policy trusts".into());
                continue;
            }
            if envelope.payload_type() != IN_TOTO_PAYLOAD_TYPE {
                ignore(
                    evidence,
                    format!("payloadType `{}` is not in-toto", envelope.payload_type()),
                );
                continue;
            }
            match Statement::from_json(envelope.payload()) {
                Ok(statement) => signed.push(Signed {
                    name: evidence.name.clone(),
                    sha256: Digest::sha256(&evidence.bytes),
                    signers: verified_signers(
                        &verifying,
                        trusted,
                        bundle.as_ref().map(|b| &b.signer),
                    ),
                    time: bundle.as_ref().map(crate::sigstore::Verified::time_proof),
                    envelope,
                    verifying,
                    statement,
                    owners,
                }),
                Err(e) => ignore(evidence, e.to_string()),
            }
        }
        (signed, ignored)
    }
}

/// The names the artifact goes by in signed statements about its digest, first seen first:
/// how a different digest under the same name is recognised as a rebuild.
fn artifact_names(signed: &[Signed<'_>], artifact: &Digest) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for s in signed {
        for subject in s.statement.subjects() {
            if subject.matches(artifact)
                && let Some(n) = &subject.name
                && !names.contains(n)
            {
                names.push(n.clone());
            }
        }
    }
    names
}

#[cfg(test)]
#[path = "gate_tests.rs"]
mod tests;
