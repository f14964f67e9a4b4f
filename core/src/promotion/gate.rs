//! The deploy gate: *who* wants *what* (an artifact digest) deployed *where*.
//!
//! One decision combines RBAC, build provenance and the target environment's promotion rules.
//! Evidence only ever adds support: an envelope that cannot be read, is not signed by a trusted
//! key or is about something else is ignored (and listed in the facts), so removing evidence can
//! never turn a denial into an allow, and a failing test result denies only when no passing one
//! satisfies the rule (in-toto's monotonic principle).

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};

use crate::attestation::slsa::{PROVENANCE_V1, PROVENANCE_V02};
use crate::attestation::{Envelope, IN_TOTO_PAYLOAD_TYPE, Statement};
use crate::decision::{Decision, Violation};
use crate::digest::Digest;
use crate::error::Error;
use crate::facts;
use crate::policy::{Environment, Policy};
use crate::provenance::{Owner, VerifiedProvenance};
use crate::rbac::{ApprovalRequest, AuthorizeRequest};
use crate::role::Permission;
use crate::rule::codes;
use crate::scope::Scope;

/// `predicateType` of lockkeeper's promotion records.
pub const PROMOTION_PREDICATE: &str = "https://lockkeeper.dev/promotion/v1";

/// An approval of the change behind the artifact.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Approval {
    /// Who approved.
    pub principal: String,
    /// When; approvals without a time are ignored where approvals expire.
    pub at: Option<Timestamp>,
}

/// Reads a time written in RFC 3339 (`2026-11-24T12:00:00Z`), as front ends take it from
/// people; the error is `input/invalid-time`. Front ends convert their own time values
/// (Python's aware `datetime`, JavaScript's `Date`) and strings through here once, and the gate
/// takes the typed time.
pub fn parse_time(text: &str) -> Result<Timestamp, Error> {
    super::rules::parse_time(text).map_err(Error::from)
}

/// One piece of evidence: a DSSE envelope's bytes, and the name findings give it (the file it
/// was read from), so that a person can tell which file was used or ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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

/// A request to promote or deploy an artifact.
#[derive(Clone, Debug, Default)]
pub struct DeployRequest {
    /// Who asks.
    pub principal: String,
    /// The artifact, by digest.
    pub artifact: Option<Digest>,
    /// Its semantic version, where the environment constrains versions.
    pub version: Option<String>,
    /// The target environment.
    pub environment: String,
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
    /// The decision time: the core has no clock.
    pub now: Timestamp,
    /// A declared rollback may go below the last version the environment received.
    pub rollback: bool,
    /// An emergency override of freeze windows (needs the environment's emergency role).
    pub emergency: bool,
    /// The last version the environment received, if known outside the evidence.
    pub last_version: Option<String>,
    /// Images read by the caller (OCI layouts or manifest + config pairs), for environments
    /// that require the image policy; an image's bases may be among them.
    pub images: Vec<crate::image::ImageSet>,
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
    envelope: Envelope,
    verifying: Vec<Option<usize>>,
    statement: Statement,
    owners: Vec<Owner<'p>>,
}

/// The time a statement states: test and scan results' `timestamp`, SLSA's `finishedOn`,
/// promotion records' `decided_at`.
fn stated_time(statement: &Statement) -> Option<Timestamp> {
    let p = statement.predicate();
    [
        p.get("timestamp"),
        p.get("decided_at"),
        p.get("finishedOn"),
        p.pointer("/runDetails/metadata/finishedOn"),
        p.pointer("/metadata/buildFinishedOn"),
    ]
    .into_iter()
    .flatten()
    .find_map(|v| v.as_str().and_then(|t| super::rules::parse_time(t).ok()))
}

fn parse_version(text: &str) -> Result<semver::Version, Error> {
    semver::Version::parse(text.trim_start_matches('v')).map_err(|e| {
        Error::invalid(
            codes::INPUT_INVALID_VERSION,
            format!("`{text}` is not a semantic version: {e}"),
        )
    })
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

    fn gate(&self, req: &DeployRequest, action: Permission) -> Result<DeployOutcome, Error> {
        let env = self.environments.get(&req.environment).ok_or_else(|| {
            Error::invalid(
                codes::PROMOTION_UNKNOWN_ENVIRONMENT,
                format!(
                    "environment `{}` is not defined in the policy (defined: {})",
                    req.environment,
                    self.environments
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        let artifact = req.artifact.clone().ok_or_else(|| {
            Error::invalid(
                codes::INPUT_INVALID_DIGEST,
                "the request names no artifact digest",
            )
        })?;
        let now = req.now;
        let version = req.version.as_deref().map(parse_version).transpose()?;
        let mut last_version = req.last_version.as_deref().map(parse_version).transpose()?;
        let approvals: Vec<(&str, Option<Timestamp>)> = req
            .approvals
            .iter()
            .map(|a| (a.principal.as_str(), a.at))
            .collect();

        let mut d = Decision::new(format!(
            "{}: {} {artifact}{} to {}",
            req.principal,
            action,
            version
                .as_ref()
                .map(|v| format!(" ({v})"))
                .unwrap_or_default(),
            env.name
        ))
        .under(self);
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

        // One pass over the evidence: each signature is checked once.
        let mut trusted = self.trusted_keys(true);
        // Keys of the policy itself; the keys of Sigstore certificates are appended after them,
        // each verifying only the envelope of its own bundle.
        let policy_keys = trusted.keys.len();
        let mut signed: Vec<Signed<'_>> = Vec::new();
        let mut ignored: Vec<IgnoredEvidence> = Vec::new();
        let mut ignore = |evidence: &Evidence, why: String| {
            ignored.push(IgnoredEvidence {
                evidence: evidence.name.clone(),
                why,
            });
        };
        for evidence in &req.evidence {
            let (envelope, verifying) = if crate::sigstore::looks_like_bundle(&evidence.bytes) {
                match self.bundle_evidence(&evidence.bytes, &artifact) {
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
                        (bundle.envelope, verifying)
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
                (envelope, verifying)
            };
            let mut owners: Vec<Owner<'_>> = Vec::new();
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
                    envelope,
                    verifying,
                    statement,
                    owners,
                }),
                Err(e) => ignore(evidence, e.to_string()),
            }
        }
        let base = facts! {
            "artifact" => artifact,
            "environment" => env.name,
            "evidence_count" => req.evidence.len(),
            "evidence_ignored" => ignored,
        };

        // Names the artifact goes by, from statements about its digest.
        let mut names: Vec<String> = Vec::new();
        for s in &signed {
            for subject in s.statement.subjects() {
                if subject.matches(&artifact)
                    && let Some(n) = &subject.name
                    && !names.contains(n)
                {
                    names.push(n.clone());
                }
            }
        }

        self.check_build(env, &artifact, &signed, &trusted, &base, &mut d);
        let records: Vec<&Signed<'_>> = signed
            .iter()
            .filter(|s| {
                s.statement.predicate_type() == PROMOTION_PREDICATE
                    && s.owners
                        .iter()
                        .any(|o| matches!(o, Owner::DeployService(_)))
            })
            .collect();
        check_source(env, &artifact, &names, &records, &base, &mut d);
        self.check_attestations(env, &artifact, &signed, now, &base, &mut d);
        self.check_quorum(env, req, &approvals, now, &scope, &base, &mut d)?;
        self.check_image_policy(env, req, &artifact, &base, &mut d);

        // Versions: the request's against the environment's requirement and its last version.
        if let Some(requirement) = &env.version {
            match &version {
                Some(v) if requirement.matches(v) => d.pass(codes::PROMOTION_VERSION_CONSTRAINT),
                other => {
                    let mut f = base.clone();
                    f.insert("required".into(), json!(requirement.to_string()));
                    f.insert(
                        "version".into(),
                        json!(other.as_ref().map(ToString::to_string)),
                    );
                    d.deny(Violation::new(
                        codes::PROMOTION_VERSION_CONSTRAINT,
                        match other {
                            Some(v) => format!("version {v} does not satisfy {}'s requirement `{requirement}`", env.name),
                            None => format!("{} requires a version matching `{requirement}` and the request gives none", env.name),
                        },
                        f,
                    ));
                }
            }
        }
        for r in records.iter().filter(|r| {
            r.statement
                .predicate()
                .get("environment")
                .and_then(Value::as_str)
                == Some(env.name.as_str())
        }) {
            if let Some(v) = r
                .statement
                .predicate()
                .get("version")
                .and_then(Value::as_str)
                .and_then(|v| parse_version(v).ok())
                && last_version.as_ref().is_none_or(|l| v > *l)
            {
                last_version = Some(v);
            }
        }
        if let (Some(v), Some(last)) = (&version, &last_version) {
            if v < last && !req.rollback {
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

        let emergency_used = self.check_freeze(env, req, now, &scope, &base, &mut d);

        let mut released = Vec::new();
        let mut record = None;
        if d.allowed() {
            if action == Permission::Deploy
                && let Some(service) = &self.deploy_service
            {
                for s in self.secrets.values() {
                    if s.environments.contains(&env.name) && s.zones.contains(&service.zone) {
                        released.push(ReleasedSecret {
                            name: s.name.clone(),
                            zone: self.zones.name(service.zone).to_owned(),
                        });
                    }
                }
            }
            let name = names
                .first()
                .cloned()
                .unwrap_or_else(|| "artifact".to_owned());
            record = Some(Statement::new(
                vec![(name, artifact.clone())],
                PROMOTION_PREDICATE,
                json!({
                    "environment": env.name,
                    "version": version.as_ref().map(ToString::to_string),
                    "decided_at": now.to_string(),
                    "principal": req.principal,
                    "action": action.as_str(),
                    "emergency": emergency_used,
                    "rollback": req.rollback,
                    "deploy_service": self.deploy_service.as_ref().map(|s| s.id.clone()),
                }),
            ));
        }
        Ok(DeployOutcome {
            decision: d,
            released_secrets: released,
            promotion_record: record,
            evidence_ignored: ignored,
        })
    }

    /// Valid build provenance is required for an entry environment and wherever a minimum
    /// build zone is set.
    fn check_build(
        &self,
        env: &Environment,
        artifact: &Digest,
        signed: &[Signed<'_>],
        trusted: &crate::provenance::TrustedKeys<'_>,
        base: &crate::Facts,
        d: &mut Decision,
    ) {
        if !(env.from.is_empty() || env.min_build_zone.is_some()) {
            return;
        }
        let mut good: Vec<VerifiedProvenance> = Vec::new();
        let mut failures: Vec<Decision> = Vec::new();
        for s in signed {
            let pt = s.statement.predicate_type();
            if pt != PROVENANCE_V1 && pt != PROVENANCE_V02 {
                continue;
            }
            let (pd, verified) = self.judge_provenance(
                &s.envelope,
                &s.verifying,
                trusted,
                Some(s.statement.clone()),
                artifact,
                None,
                None,
                Decision::new(format!("evidence {}", s.name)),
            );
            match verified {
                Some(v) if pd.allowed() => good.push(v),
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
            return;
        }
        d.pass(codes::PROMOTION_MISSING_ATTESTATION);
        let Some(min) = env.min_build_zone else {
            return;
        };
        let zones: Vec<(String, ZoneName)> = good
            .iter()
            .filter_map(|v| {
                self.builders
                    .get(&v.builder)
                    .map(|b| (v.builder.clone(), b.zone))
            })
            .collect();
        if zones.iter().any(|(_, z)| self.zones.dominates(*z, min)) {
            d.pass(codes::PROMOTION_BUILD_ZONE_TOO_LOW);
        } else {
            let mut f = base.clone();
            f.insert("min_build_zone".into(), json!(self.zones.name(min)));
            f.insert(
                "builds".into(),
                json!(
                    zones
                        .iter()
                        .map(|(b, z)| json!({"builder": b, "zone": self.zones.name(*z)}))
                        .collect::<Vec<_>>()
                ),
            );
            d.deny(Violation::new(
                codes::PROMOTION_BUILD_ZONE_TOO_LOW,
                format!(
                    "the artifact was built only in zones below `{}`, which {} requires",
                    self.zones.name(min),
                    env.name
                ),
                f,
            ));
        }
    }

    fn check_attestations(
        &self,
        env: &Environment,
        artifact: &Digest,
        signed: &[Signed<'_>],
        now: Timestamp,
        base: &crate::Facts,
        d: &mut Decision,
    ) {
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
                let signer_ok = rule
                    .signer_zone
                    .is_none_or(|min| s.owners.iter().any(|o| self.zones.dominates(o.zone(), min)));
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
                break;
            }
            let mut f = base.clone();
            f.insert("predicate_type".into(), json!(rule.predicate_type));
            f.insert(
                "signer_zone".into(),
                json!(rule.signer_zone.map(|z| self.zones.name(z))),
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

    #[allow(clippy::too_many_arguments)]
    fn check_quorum(
        &self,
        env: &Environment,
        req: &DeployRequest,
        approvals: &[(&str, Option<Timestamp>)],
        now: Timestamp,
        scope: &Scope,
        base: &crate::Facts,
        d: &mut Decision,
    ) -> Result<(), Error> {
        let Some(rule) = &env.approvals else {
            return Ok(());
        };
        let mut fresh = Vec::new();
        let mut expired = Vec::new();
        for (who, at) in approvals {
            let valid = match (rule.max_age, at) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(max), Some(t)) => now.duration_since(*t) <= max && *t <= now,
            };
            if valid {
                fresh.push((*who).to_owned());
            } else {
                expired.push(json!({"principal": who, "at": at.map(|t| t.to_string())}));
            }
        }
        let quorum = self.check_approvals(&ApprovalRequest {
            approvals: fresh,
            author: req.author.clone(),
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
    fn check_image_policy(
        &self,
        env: &Environment,
        req: &DeployRequest,
        artifact: &Digest,
        base: &crate::Facts,
        d: &mut Decision,
    ) {
        if !env.require_image_policy {
            return;
        }
        let wanted = artifact.to_string();
        let Some(index) = req
            .images
            .iter()
            .position(|set| set.images.iter().any(|i| i.answers_to(&wanted)))
        else {
            let mut f = base.clone();
            f.insert(
                "images_given".into(),
                json!(
                    req.images
                        .iter()
                        .map(|s| s.origin.clone())
                        .collect::<Vec<_>>()
                ),
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
        if let Some(image_decision) = self.check_images(&req.images).into_iter().nth(index) {
            d.absorb(image_decision);
        }
    }

    /// Returns whether an emergency override was used.
    fn check_freeze(
        &self,
        env: &Environment,
        req: &DeployRequest,
        now: Timestamp,
        scope: &Scope,
        base: &crate::Facts,
        d: &mut Decision,
    ) -> bool {
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
            .is_some_and(|role| self.bound_to(&req.principal, role, scope));
        if req.emergency && may_override {
            d.pass(codes::PROMOTION_FREEZE_WINDOW);
            return true;
        }
        let mut f = base.clone();
        f.insert("now".into(), json!(now.to_string()));
        f.insert("active_windows".into(), json!(active));
        f.insert("emergency_requested".into(), json!(req.emergency));
        f.insert("emergency_role".into(), json!(env.emergency_role));
        let extra = if req.emergency {
            match &env.emergency_role {
                Some(role) => format!(
                    "; `{}` does not hold the emergency role `{role}`",
                    req.principal
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
}

type ZoneName = crate::zone::ZoneId;

/// The artifact must come from one of the environment's sources: a promotion record by the
/// deploy service saying this exact digest passed it.
fn check_source(
    env: &Environment,
    artifact: &Digest,
    names: &[String],
    records: &[&Signed<'_>],
    base: &crate::Facts,
    d: &mut Decision,
) {
    if env.from.is_empty() {
        return;
    }
    let env_of = |s: &Signed<'_>| {
        s.statement
            .predicate()
            .get("environment")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let in_source = records
        .iter()
        .any(|r| env_of(r).is_some_and(|e| env.from.contains(&e)) && r.statement.covers(artifact));
    if in_source {
        d.pass(codes::PROMOTION_NOT_IN_SOURCE);
        d.pass(codes::PROMOTION_NO_EDGE);
        d.pass(codes::PROMOTION_DIGEST_MISMATCH);
        return;
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
        return;
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
        return;
    }
    d.deny(Violation::new(
        codes::PROMOTION_NOT_IN_SOURCE,
        format!(
            "no promotion record by the deploy service shows this digest passed {}",
            env.from.join(" or ")
        ),
        f,
    ));
}
