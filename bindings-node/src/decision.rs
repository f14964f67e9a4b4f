//! `Decision` as a JavaScript class; `JSON.stringify(decision)` gives the machine form.

use napi_derive::napi;
use serde_json::Value;

/// One failed rule of a decision.
#[napi(object)]
pub struct Violation {
    /// Stable rule code, e.g. `rbac/missing-permission`.
    pub code: String,
    /// What was denied and why.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// How much it matters, in SARIF's levels.
    #[napi(ts_type = "'error' | 'warning' | 'note'")]
    pub severity: String,
    /// How sure the finding is (lowered when it rests on assumptions).
    #[napi(ts_type = "'high' | 'medium' | 'low'")]
    pub confidence: String,
    /// Who the finding is for.
    #[napi(ts_type = "'regular' | 'pedantic' | 'auditor'")]
    pub persona: String,
    /// What the finding takes for granted; empty when it rests only on what was read.
    pub assumptions: Vec<String>,
    /// The facts the rule looked at.
    #[napi(ts_type = "Record<string, unknown>")]
    pub facts: Value,
}

/// Who signed a piece of evidence a decision relied on.
#[napi(object)]
pub struct VerifiedSigner {
    /// A policy key, or a Fulcio certificate (keyless Sigstore bundle).
    #[napi(ts_type = "'key' | 'certificate'")]
    pub kind: String,
    /// The policy builder or verifier it counted for.
    pub owner: String,
    /// A key's securesystemslib key id.
    pub keyid: Option<String>,
    /// A certificate's OIDC issuer.
    pub issuer: Option<String>,
    /// A certificate's subject (SAN).
    pub subject: Option<String>,
    /// The Fulcio claims the owner's `identity` constrained, with the certificate's values.
    pub claims: Option<std::collections::HashMap<String, String>>,
}

/// How a Sigstore bundle's signing time was proven.
#[napi(object)]
pub struct TimeProof {
    /// The Rekor entry's log index, when a log proof was verified.
    pub log_index: Option<i64>,
    /// The Rekor v1 integrated time (RFC 3339).
    pub integrated_time: Option<String>,
    /// How many RFC 3161 timestamps the bundle carried.
    pub rfc3161_timestamps: u32,
    /// Every authenticated time the certificate was checked at.
    pub verified_times: Vec<String>,
}

/// A piece of signed evidence a decision relied on, and what about it was verified.
#[napi(object)]
pub struct VerifiedEvidence {
    /// Its name: `evidence[i]`, `envelope`, or a bundle's place in its file.
    pub evidence: String,
    /// `sha256:<hex>` of its bytes as received.
    pub digest: String,
    /// What the decision used it as.
    #[napi(ts_type = "'provenance' | 'promotion-record' | 'attestation'")]
    pub used_as: String,
    /// The statement's `predicateType`.
    pub predicate_type: String,
    /// For provenance: the policy builder accepted.
    pub builder: Option<String>,
    /// Each distinct trusted signer that verified.
    pub signers: Vec<VerifiedSigner>,
    /// How the signing time was proven; absent for a bare DSSE envelope.
    pub time: Option<TimeProof>,
}

impl From<&lockkeeper::VerifiedEvidence> for VerifiedEvidence {
    fn from(e: &lockkeeper::VerifiedEvidence) -> Self {
        VerifiedEvidence {
            evidence: e.evidence.clone(),
            digest: e.digest.clone(),
            used_as: e.used_as.to_owned(),
            predicate_type: e.predicate_type.clone(),
            builder: e.builder.clone(),
            signers: e
                .signers
                .iter()
                .map(|s| match s {
                    lockkeeper::VerifiedSigner::Key { keyid, owner } => VerifiedSigner {
                        kind: "key".into(),
                        owner: owner.clone(),
                        keyid: Some(keyid.clone()),
                        issuer: None,
                        subject: None,
                        claims: None,
                    },
                    lockkeeper::VerifiedSigner::Certificate {
                        issuer,
                        subject,
                        claims,
                        owner,
                    } => VerifiedSigner {
                        kind: "certificate".into(),
                        owner: owner.clone(),
                        keyid: None,
                        issuer: Some(issuer.clone()),
                        subject: Some(subject.clone()),
                        claims: Some(claims.clone().into_iter().collect()),
                    },
                })
                .collect(),
            time: e.time.as_ref().map(|t| TimeProof {
                log_index: t.log_index.and_then(|i| i64::try_from(i).ok()),
                integrated_time: t.integrated_time.clone(),
                rfc3161_timestamps: u32::try_from(t.rfc3161_timestamps).unwrap_or(u32::MAX),
                verified_times: t.verified_times.clone(),
            }),
        }
    }
}

/// Allow or deny, with every failed rule and the facts behind it.
#[napi]
pub struct Decision {
    inner: lockkeeper::Decision,
}

impl From<lockkeeper::Decision> for Decision {
    /// Stamps the time it crosses into the caller's hands, unless the decision states its own
    /// (a gate's request time).
    fn from(mut inner: lockkeeper::Decision) -> Self {
        inner.stamp_now();
        Decision { inner }
    }
}

#[napi]
impl Decision {
    /// True exactly when there is no violation.
    #[napi(getter)]
    pub fn allowed(&self) -> bool {
        self.inner.allowed()
    }

    /// What was asked.
    #[napi(getter)]
    pub fn subject(&self) -> String {
        self.inner.subject().to_owned()
    }

    /// Every failed rule.
    #[napi(getter)]
    pub fn violations(&self) -> Vec<Violation> {
        self.inner
            .violations()
            .iter()
            .map(|v| Violation {
                code: v.code.to_string(),
                message: v.message.clone(),
                help: v.help.to_owned(),
                severity: v.severity.to_string(),
                confidence: v.confidence.to_string(),
                persona: v.persona.to_string(),
                assumptions: v.assumptions.clone(),
                facts: Value::Object(v.facts.clone()),
            })
            .collect()
    }

    /// Codes of the checks that passed.
    #[napi(getter)]
    pub fn passed(&self) -> Vec<String> {
        self.inner.passed().iter().map(|c| c.to_string()).collect()
    }

    /// The signed evidence the decision relied on: name, digest, signers (key id, or
    /// certificate issuer, subject and constrained claims), how the signing time was proven.
    #[napi(getter)]
    pub fn verified(&self) -> Vec<VerifiedEvidence> {
        self.inner.verified().iter().map(Into::into).collect()
    }

    /// Codes of the failed rules.
    #[napi(getter)]
    pub fn codes(&self) -> Vec<String> {
        self.inner
            .violations()
            .iter()
            .map(|v| v.code.to_string())
            .collect()
    }

    /// The machine form as JSON text.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The machine form as an object (used by `JSON.stringify`).
    #[napi(
        js_name = "toJSON",
        ts_return_type = "{ schema_version: number; lockkeeper_version: string; policy_digest?: string; decided_at?: string; allowed: boolean; subject: string; violations: Violation[]; passed: string[]; verified?: Array<{ evidence: string; digest: string; used_as: 'provenance' | 'promotion-record' | 'attestation'; predicate_type: string; builder?: string; signers: Array<{ kind: 'key'; keyid: string; owner: string } | { kind: 'certificate'; issuer: string; subject: string; claims: Record<string, string>; owner: string }>; time?: { log_index?: number; integrated_time?: string; rfc3161_timestamps: number; verified_times: string[] } }> }"
    )]
    pub fn to_json_value(&self) -> Value {
        self.inner.to_json_value()
    }

    /// SARIF 2.1.0 as JSON text, for code scanning (one result per violation).
    #[napi]
    pub fn to_sarif(&self) -> String {
        self.inner.to_sarif().to_string()
    }

    /// One line: the verdict, the subject and the codes that denied.
    #[napi]
    pub fn summary(&self) -> String {
        self.inner.summary()
    }

    /// The explanation for people.
    #[napi(js_name = "toString")]
    pub fn to_text(&self) -> String {
        self.inner.to_string()
    }
}

/// One entry of the rule catalogue.
#[napi(object)]
pub struct Rule {
    /// Stable code.
    pub code: String,
    /// `problem`, `violation` or `error`.
    #[napi(ts_type = "'problem' | 'violation' | 'error'")]
    pub kind: String,
    /// How much a finding matters, in SARIF's levels.
    #[napi(ts_type = "'error' | 'warning' | 'note'")]
    pub severity: String,
    /// How sure a finding is, unless it says less.
    #[napi(ts_type = "'high' | 'medium' | 'low'")]
    pub confidence: String,
    /// Who the findings are for.
    #[napi(ts_type = "'regular' | 'pedantic' | 'auditor'")]
    pub persona: String,
    /// What the rule protects.
    pub summary: String,
    /// How to fix a finding.
    pub help: String,
}

/// The rule catalogue: every code with its kind, severity, confidence, persona, summary and
/// help.
#[napi]
pub fn rules() -> Vec<Rule> {
    lockkeeper::RULES
        .iter()
        .map(|r| Rule {
            code: r.code.to_string(),
            kind: r.kind.as_str().to_owned(),
            severity: r.severity.to_string(),
            confidence: r.confidence.to_string(),
            persona: r.persona.to_string(),
            summary: r.summary.to_owned(),
            help: r.help.to_owned(),
        })
        .collect()
}
