//! Who may have signed a keyless bundle: the certificate's issuer and subject, and the claims
//! Fulcio copied from the CI workload's token (repository, ref, trigger, runner, ...).
//!
//! sigstore-verify matches identity and issuer by exact string only; here the subject may be a
//! glob and any Fulcio claim may be pinned, and every value checked is reported, matched or not.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sigstore_verify::crypto::FulcioCiClaims;

use super::{Signer, SigstoreError};
use crate::rule::{Code, codes};
use crate::scope::Pattern;

/// A Fulcio certificate extension a policy may constrain, by the name lockkeeper gives it (the
/// snake_case of Fulcio's own name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FulcioClaim {
    /// `1.3.6.1.4.1.57264.1.12`: the repository the artifact was built from.
    SourceRepository,
    /// `.1.14`: the git ref built, e.g. `refs/tags/v1.2.0`.
    SourceRepositoryRef,
    /// `.1.13`: the commit built.
    SourceRepositoryDigest,
    /// `.1.16`: the repository owner's URI.
    SourceRepositoryOwner,
    /// `.1.22`: `public`, `private` or `internal` when signed.
    SourceRepositoryVisibility,
    /// `.1.9`: the workflow that signed, with its ref (`.../release.yml@refs/tags/v1`).
    BuildSignerUri,
    /// `.1.18`: the build configuration that ran (the top-level workflow).
    BuildConfigUri,
    /// `.1.20`: the event that triggered the build (`push`, `release`, ...).
    BuildTrigger,
    /// `.1.11`: `github-hosted` or `self-hosted`.
    RunnerEnvironment,
    /// `.1.23`: the deployment environment the job targeted.
    DeploymentEnvironment,
    /// `.1.21`: the run's URL.
    RunInvocationUri,
}

impl FulcioClaim {
    /// Every claim, in the order facts list them.
    pub const ALL: [FulcioClaim; 11] = [
        FulcioClaim::SourceRepository,
        FulcioClaim::SourceRepositoryRef,
        FulcioClaim::SourceRepositoryDigest,
        FulcioClaim::SourceRepositoryOwner,
        FulcioClaim::SourceRepositoryVisibility,
        FulcioClaim::BuildSignerUri,
        FulcioClaim::BuildConfigUri,
        FulcioClaim::BuildTrigger,
        FulcioClaim::RunnerEnvironment,
        FulcioClaim::DeploymentEnvironment,
        FulcioClaim::RunInvocationUri,
    ];

    /// The name a policy uses.
    pub fn name(self) -> &'static str {
        match self {
            FulcioClaim::SourceRepository => "source_repository",
            FulcioClaim::SourceRepositoryRef => "source_repository_ref",
            FulcioClaim::SourceRepositoryDigest => "source_repository_digest",
            FulcioClaim::SourceRepositoryOwner => "source_repository_owner",
            FulcioClaim::SourceRepositoryVisibility => "source_repository_visibility",
            FulcioClaim::BuildSignerUri => "build_signer_uri",
            FulcioClaim::BuildConfigUri => "build_config_uri",
            FulcioClaim::BuildTrigger => "build_trigger",
            FulcioClaim::RunnerEnvironment => "runner_environment",
            FulcioClaim::DeploymentEnvironment => "deployment_environment",
            FulcioClaim::RunInvocationUri => "run_invocation_uri",
        }
    }

    /// The claim a policy calls `name`.
    pub fn from_name(name: &str) -> Option<FulcioClaim> {
        FulcioClaim::ALL.into_iter().find(|c| c.name() == name)
    }

    fn value(self, claims: &FulcioCiClaims) -> Option<&String> {
        match self {
            FulcioClaim::SourceRepository => claims.source_repository_uri.as_ref(),
            FulcioClaim::SourceRepositoryRef => claims.source_repository_ref.as_ref(),
            FulcioClaim::SourceRepositoryDigest => claims.source_repository_digest.as_ref(),
            FulcioClaim::SourceRepositoryOwner => claims.source_repository_owner_uri.as_ref(),
            FulcioClaim::SourceRepositoryVisibility => {
                claims.source_repository_visibility_at_signing.as_ref()
            }
            FulcioClaim::BuildSignerUri => claims.build_signer_uri.as_ref(),
            FulcioClaim::BuildConfigUri => claims.build_config_uri.as_ref(),
            FulcioClaim::BuildTrigger => claims.build_trigger.as_ref(),
            FulcioClaim::RunnerEnvironment => claims.runner_environment.as_ref(),
            FulcioClaim::DeploymentEnvironment => claims.deployment_environment.as_ref(),
            FulcioClaim::RunInvocationUri => claims.run_invocation_uri.as_ref(),
        }
    }
}

/// The Fulcio claims a certificate carries, by lockkeeper's names.
pub(crate) fn claims_of(claims: &FulcioCiClaims) -> BTreeMap<String, String> {
    FulcioClaim::ALL
        .into_iter()
        .filter_map(|c| c.value(claims).map(|v| (c.name().to_owned(), v.clone())))
        .collect()
}

/// One constraint: the claim must be present and match one of the patterns.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimCheck {
    /// Which claim.
    pub claim: FulcioClaim,
    /// Globs (`*` stops at `/`, `**` crosses it); a value matching any one passes.
    pub allowed: Vec<Pattern>,
}

/// How a subject is matched.
#[derive(Clone, Debug, PartialEq)]
enum Subject {
    Exact(String),
    Pattern(Pattern),
}

/// The identity a keyless signature must carry.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityPolicy {
    issuer: String,
    subject: Subject,
    checks: Vec<ClaimCheck>,
}

/// An identity block that cannot be used, with the field at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("identity.{field}: {message}")]
pub struct IdentityPolicyError {
    /// The field (`issuer`, `subject_pattern`, a claim name, ...).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn bad(field: &str, message: impl Into<String>) -> IdentityPolicyError {
    IdentityPolicyError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// A mismatch between the policy and a certificate.
pub(crate) struct Mismatch {
    code: Code,
    message: String,
}

impl Mismatch {
    pub(crate) fn into_error(self) -> SigstoreError {
        SigstoreError::new(self.code, self.message)
    }
}

impl IdentityPolicy {
    /// An exact issuer and subject, as `--certificate-identity`/`--certificate-oidc-issuer` say.
    pub fn exact(issuer: &str, subject: &str) -> IdentityPolicy {
        IdentityPolicy {
            issuer: issuer.to_owned(),
            subject: Subject::Exact(subject.to_owned()),
            checks: Vec::new(),
        }
    }

    /// Reads `{issuer, subject | subject_pattern, <claim>: pattern | [patterns], ...}`. Unknown
    /// fields, a missing issuer, both or neither of `subject`/`subject_pattern`, and patterns
    /// that do not compile are errors: an identity block is never read as looser than written.
    pub fn from_value(value: &Value) -> Result<IdentityPolicy, IdentityPolicyError> {
        let Value::Object(map) = value else {
            return Err(bad("", "expected a mapping"));
        };
        let text = |field: &str| -> Result<Option<String>, IdentityPolicyError> {
            match map.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
                Some(_) => Err(bad(field, "expected a non-empty string")),
            }
        };
        let issuer = text("issuer")?.ok_or_else(|| bad("issuer", "required"))?;
        let subject = match (text("subject")?, text("subject_pattern")?) {
            (Some(s), None) => Subject::Exact(s),
            (None, Some(p)) => Subject::Pattern(
                Pattern::new(&p).map_err(|e| bad("subject_pattern", e.to_string()))?,
            ),
            (Some(_), Some(_)) => {
                return Err(bad(
                    "subject",
                    "give `subject` or `subject_pattern`, not both",
                ));
            }
            (None, None) => {
                return Err(bad("subject", "required (or `subject_pattern`)"));
            }
        };
        let mut checks = Vec::new();
        for (key, v) in map {
            if matches!(key.as_str(), "issuer" | "subject" | "subject_pattern") {
                continue;
            }
            let Some(claim) = FulcioClaim::from_name(key) else {
                return Err(bad(
                    key,
                    format!(
                        "unknown field; expected issuer, subject, subject_pattern or a Fulcio claim ({})",
                        FulcioClaim::ALL.map(FulcioClaim::name).join(", ")
                    ),
                ));
            };
            let texts: Vec<&str> = match v {
                Value::String(s) => vec![s.as_str()],
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().ok_or_else(|| bad(key, "expected strings")))
                    .collect::<Result<_, _>>()?,
                _ => return Err(bad(key, "expected a pattern or a list of patterns")),
            };
            if texts.is_empty() {
                return Err(bad(key, "an empty list would admit nothing"));
            }
            let allowed = texts
                .into_iter()
                .map(|t| Pattern::new(t).map_err(|e| bad(key, e.to_string())))
                .collect::<Result<_, _>>()?;
            checks.push(ClaimCheck { claim, allowed });
        }
        Ok(IdentityPolicy {
            issuer,
            subject,
            checks,
        })
    }

    /// Adds a constraint on a Fulcio claim.
    pub fn require(mut self, check: ClaimCheck) -> IdentityPolicy {
        self.checks.push(check);
        self
    }

    /// The required issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The Fulcio claims this policy constrains: what a decision lists as relied on.
    pub fn constrained_claims(&self) -> impl Iterator<Item = FulcioClaim> + '_ {
        self.checks.iter().map(|c| c.claim)
    }

    /// The policy as JSON, as it would be written.
    pub fn to_value(&self) -> Value {
        let mut map = serde_json::Map::new();
        map.insert("issuer".into(), json!(self.issuer));
        match &self.subject {
            Subject::Exact(s) => map.insert("subject".into(), json!(s)),
            Subject::Pattern(p) => map.insert("subject_pattern".into(), json!(p.as_str())),
        };
        for c in &self.checks {
            map.insert(
                c.claim.name().into(),
                json!(c.allowed.iter().map(Pattern::as_str).collect::<Vec<_>>()),
            );
        }
        Value::Object(map)
    }

    /// Every value this policy checks on `signer`, each with what was expected and whether it
    /// matched: the facts behind a decision, whatever its outcome.
    pub fn report(&self, signer: &Signer) -> Vec<Value> {
        let Signer::Certificate {
            subject,
            issuer,
            claims,
            ..
        } = signer
        else {
            return Vec::new();
        };
        let mut out = vec![
            json!({"field": "issuer", "expected": self.issuer, "actual": issuer, "ok": issuer == &self.issuer}),
            match &self.subject {
                Subject::Exact(s) => {
                    json!({"field": "subject", "expected": s, "actual": subject, "ok": subject == s})
                }
                Subject::Pattern(p) => {
                    json!({"field": "subject_pattern", "expected": p.as_str(), "actual": subject, "ok": p.matches(subject)})
                }
            },
        ];
        for c in &self.checks {
            let actual = claims.get(c.claim.name());
            let ok = actual.is_some_and(|a| c.allowed.iter().any(|p| p.matches(a)));
            out.push(json!({
                "field": c.claim.name(),
                "expected": c.allowed.iter().map(Pattern::as_str).collect::<Vec<_>>(),
                "actual": actual,
                "ok": ok,
            }));
        }
        out
    }

    /// Whether `signer` satisfies the policy; the first failing field names the code.
    pub(crate) fn check(&self, signer: &Signer) -> Result<(), Mismatch> {
        let Signer::Certificate { .. } = signer else {
            return Err(Mismatch {
                code: codes::SIGSTORE_KEY_MISMATCH,
                message: "signed with a key, but the policy names a certificate identity".into(),
            });
        };
        for r in self.report(signer) {
            if r["ok"] == json!(true) {
                continue;
            }
            let field = r["field"].as_str().unwrap_or_default();
            let code = if matches!(field, "issuer" | "subject" | "subject_pattern") {
                codes::SIGSTORE_IDENTITY_MISMATCH
            } else {
                codes::SIGSTORE_CLAIM_MISMATCH
            };
            let actual = match &r["actual"] {
                Value::String(s) => format!("`{s}`"),
                _ => "absent".to_owned(),
            };
            return Err(Mismatch {
                code,
                message: format!(
                    "certificate {field} is {actual}, the policy requires {}",
                    r["expected"]
                ),
            });
        }
        Ok(())
    }
}
