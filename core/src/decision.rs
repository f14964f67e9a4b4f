//! Decisions: allow or deny, with every failed rule and the facts behind it.
//!
//! A denial is data, not an error: callers log it, render it, post it as a review comment. A
//! `Decision` can only say `allowed` when it carries no violation, so no code path can build an
//! allow that also lists a reason to deny.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::rule::{Code, Confidence, Persona, Severity};

/// The facts behind a finding, as a JSON object (ordered by key).
pub type Facts = Map<String, Value>;

/// One failed rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    /// Stable rule code, e.g. `rbac/missing-permission` (serialized as that text).
    pub code: Code,
    /// What was denied and why, for a person.
    pub message: String,
    /// How to fix it (from the rule catalogue).
    pub help: &'static str,
    /// How much it matters (from the rule catalogue).
    pub severity: Severity,
    /// How sure the finding is: the rule's default, or less when it rests on assumptions.
    pub confidence: Confidence,
    /// Who the finding is for (from the rule catalogue).
    pub persona: Persona,
    /// What the finding takes for granted, when it could not see everything it needed (e.g.
    /// "reusable workflow checked without its callers"); empty for a finding that rests on
    /// nothing but what was read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assumptions: Vec<String>,
    /// The facts the rule looked at.
    pub facts: Facts,
}

impl Violation {
    /// A violation of `code`; help, severity, confidence and persona come from the catalogue.
    ///
    /// An importer that knows more than the catalogue about one finding says so in its facts:
    /// `persona` (replaces the rule's), `confidence` (can only lower it) and `assumptions` (a
    /// list of text). They are moved from the facts into the typed fields here, the one place
    /// every finding passes through; a value that does not parse is left as a fact and changes
    /// nothing, so a typo can never hide a finding.
    pub fn new(code: Code, message: impl Into<String>, mut facts: Facts) -> Self {
        let rule = code.rule();
        let mut v = Violation {
            code,
            message: message.into(),
            help: rule.help,
            severity: rule.severity,
            confidence: rule.confidence,
            persona: rule.persona,
            assumptions: Vec::new(),
            facts: Facts::new(),
        };
        if let Some(p) = facts
            .get("persona")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
        {
            v.persona = p;
            facts.remove("persona");
        }
        if let Some(c) = facts
            .get("confidence")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Confidence>().ok())
        {
            v.confidence = v.confidence.min(c);
            facts.remove("confidence");
        }
        if let Some(Value::Array(items)) = facts.get("assumptions") {
            if items.iter().all(Value::is_string) {
                v.assumptions
                    .extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
                facts.remove("assumptions");
            }
        } else if let Some(Value::String(one)) = facts.get("assumptions") {
            v.assumptions.push(one.clone());
            facts.remove("assumptions");
        }
        v.facts = facts;
        v
    }

    /// The same finding, resting on `assumption`: its confidence drops to at most `confidence`
    /// (never rises), and the assumption is listed so a reader can judge it.
    pub fn assuming(mut self, confidence: Confidence, assumption: impl Into<String>) -> Self {
        self.confidence = self.confidence.min(confidence);
        self.assumptions.push(assumption.into());
        self
    }
}

/// A piece of signed evidence a decision relied on, and what about it was verified: so that an
/// allow says which bytes, signed by whom, proven at what time, carried it, and an auditor can
/// find that evidence again without re-running the decision.
///
/// Only evidence that counted is listed (the provenance that passed, the promotion record and
/// the attestations that satisfied a rule), one entry each, so the list is bounded by the
/// evidence given; decisions that read no signed evidence (RBAC) carry an empty list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifiedEvidence {
    /// The evidence's name: its file path in the CLI (`PATH:LINE` for a line of a `.jsonl`
    /// file), `evidence[i]` in the bindings, `envelope` or the bundle's place in its file for
    /// `verify_provenance`.
    pub evidence: String,
    /// `sha256:<hex>` of the evidence's bytes as received.
    pub digest: String,
    /// What the decision used it as: `provenance`, `promotion-record` or `attestation`.
    pub used_as: &'static str,
    /// The in-toto statement's `predicateType`.
    pub predicate_type: String,
    /// For provenance: the policy builder whose signers and zone were accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub builder: Option<String>,
    /// Each distinct signer whose signature verified and that the policy trusts.
    pub signers: Vec<VerifiedSigner>,
    /// How the signing time was proven; `None` for a bare DSSE envelope, whose signature says
    /// nothing about when it was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeProof>,
}

/// Who signed a piece of evidence, as far as it was verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum VerifiedSigner {
    /// A key of the policy (or given for a keyed Sigstore bundle).
    Key {
        /// Its securesystemslib key id.
        keyid: String,
        /// The policy builder or verifier it belongs to.
        owner: String,
    },
    /// A Fulcio certificate (a keyless Sigstore bundle).
    Certificate {
        /// The OIDC issuer.
        issuer: String,
        /// The certificate's subject (SAN).
        subject: String,
        /// The Fulcio extension claims the owner's `identity` constrained, with the values the
        /// certificate carries: what the policy actually relied on, not every claim present.
        claims: std::collections::BTreeMap<String, String>,
        /// The policy builder or verifier whose `identity` it matched.
        owner: String,
    },
}

/// How a Sigstore bundle's signing time was proven.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimeProof {
    /// The Rekor entry's log index, when an inclusion proof or promise was verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// The Rekor v1 integrated time (RFC 3339), when verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrated_time: Option<String>,
    /// How many RFC 3161 timestamps from a trusted TSA the bundle carried.
    pub rfc3161_timestamps: usize,
    /// Every authenticated time the certificate was checked at (RFC 3339).
    pub verified_times: Vec<String>,
}

/// The version of the decision's JSON form; it changes only when a field changes meaning or
/// goes away.
pub const DECISION_SCHEMA_VERSION: u32 = 1;

/// The answer to a request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decision {
    /// [`DECISION_SCHEMA_VERSION`].
    schema_version: u32,
    /// The version of lockkeeper that decided.
    lockkeeper_version: &'static str,
    /// `sha256:<hex>` of the policy's text, for a decision made under a policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_digest: Option<String>,
    /// When it was decided (RFC 3339), for a decision that knows the time: the request's time,
    /// or the time a front end stamped on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    decided_at: Option<String>,
    allowed: bool,
    /// What was asked, in a few words (e.g. `alice: deploy project=x environment=production`).
    subject: String,
    violations: Vec<Violation>,
    /// Codes of the checks that ran on something and passed.
    passed: Vec<Code>,
    /// The signed evidence the decision relied on (empty when it read none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    verified: Vec<VerifiedEvidence>,
}

impl Decision {
    /// Starts a decision about `subject` with no check run yet.
    pub fn new(subject: impl Into<String>) -> Self {
        Decision {
            schema_version: DECISION_SCHEMA_VERSION,
            lockkeeper_version: env!("CARGO_PKG_VERSION"),
            policy_digest: None,
            decided_at: None,
            allowed: true,
            subject: subject.into(),
            violations: Vec::new(),
            passed: Vec::new(),
            verified: Vec::new(),
        }
    }

    /// Names the policy the decision was made under (by the digest of its text).
    pub fn under(mut self, policy: &crate::Policy) -> Self {
        self.policy_digest = Some(policy.digest().to_owned());
        self
    }

    /// Records when the decision was made, unless it already says so (a gate's decision is
    /// made at the request's time).
    pub fn decided_at(&mut self, at: jiff::Timestamp) {
        if self.decided_at.is_none() {
            self.decided_at = Some(at.to_string());
        }
    }

    /// Records the present as the decision time, unless the decision states its own (a gate's
    /// decision is made at its request's time). Front ends call this as a decision reaches
    /// their caller, so the clock is read here and not in each of them.
    pub fn stamp_now(&mut self) {
        self.decided_at(jiff::Timestamp::now());
    }

    /// `sha256:<hex>` of the policy's text, for a decision made under a policy.
    pub fn policy_digest(&self) -> Option<&str> {
        self.policy_digest.as_deref()
    }

    /// Records a failed check: the decision becomes a denial, and the code no longer counts as
    /// passed (one decision never both passes and denies a code).
    pub fn deny(&mut self, violation: Violation) {
        self.allowed = false;
        self.passed.retain(|&c| c != violation.code);
        self.violations.push(violation);
    }

    /// Records a check that ran on something and passed; a code already denied stays denied.
    pub fn pass(&mut self, code: Code) {
        if !self.passed.contains(&code) && !self.has(code) {
            self.passed.push(code);
        }
    }

    /// Folds another decision's findings into this one (used when a gate combines checks).
    pub fn absorb(&mut self, other: Decision) {
        for v in other.violations {
            self.deny(v);
        }
        for p in other.passed {
            self.pass(p);
        }
        for v in other.verified {
            self.relied_on(v);
        }
    }

    /// Records a piece of signed evidence the decision relied on; the same evidence used the
    /// same way is listed once.
    pub fn relied_on(&mut self, evidence: VerifiedEvidence) {
        if !self
            .verified
            .iter()
            .any(|e| e.digest == evidence.digest && e.used_as == evidence.used_as)
        {
            self.verified.push(evidence);
        }
    }

    /// The signed evidence the decision relied on, and what about each was verified: which
    /// bytes, which signers, how the signing time was proven.
    pub fn verified(&self) -> &[VerifiedEvidence] {
        &self.verified
    }

    /// Whether the request is allowed: true exactly when no violation was recorded.
    pub fn allowed(&self) -> bool {
        self.allowed
    }

    /// What was asked.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Every failed rule, in the order the checks ran.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Codes of checks that ran on something and passed; none of them is also denied.
    pub fn passed(&self) -> &[Code] {
        &self.passed
    }

    /// The findings `persona` is shown: those whose persona is at or below it. The decision is
    /// allowed when none is left, which is what the exit code of a check follows.
    pub fn for_persona(&self, persona: Persona) -> Decision {
        let mut out = self.clone();
        out.violations.retain(|v| v.persona <= persona);
        out.allowed = out.violations.is_empty();
        out
    }

    /// Whether a violation with `code` (a [`Code`] or its text) was recorded.
    pub fn has(&self, code: impl AsRef<str>) -> bool {
        let code = code.as_ref();
        self.violations.iter().any(|v| v.code.as_str() == code)
    }

    /// The machine form: `{"allowed", "subject", "violations": [{"code", "message", "help",
    /// "facts"}], "passed"}`.
    pub fn to_json_value(&self) -> Value {
        // Serializing plain strings, bools and JSON maps cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// [`Decision::to_json_value`] as compact text.
    pub fn to_json(&self) -> String {
        self.to_json_value().to_string()
    }

    /// The form for people (also what `Display` prints); see [`crate::render`].
    pub fn to_text(&self) -> String {
        crate::render::text(self)
    }

    /// SARIF 2.1.0 for code scanning, one result per violation and the evidence relied on in
    /// the run's properties; see [`crate::render::sarif`].
    pub fn to_sarif(&self) -> Value {
        crate::render::sarif::decision_log(self)
    }

    /// One line: the verdict, the subject and the codes that denied.
    pub fn summary(&self) -> String {
        crate::render::summary(self)
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_text().trim_end())
    }
}

/// Builds a [`Facts`] map from `key => value` pairs.
#[macro_export]
macro_rules! facts {
    ($($key:expr => $value:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut map = $crate::decision::Facts::new();
        $( map.insert(($key).to_string(), ::serde_json::json!($value)); )*
        map
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_persona_sees_its_findings_and_those_below() {
        use crate::rule::codes::{
            PIPELINE_BUILD_PUBLISHES as LINT, PIPELINE_CYCLE as A,
            PIPELINE_SECRET_NOT_ALLOWED as B, PIPELINE_TAINTED_INPUT as C,
            PIPELINE_UNKNOWN_ZONE as D,
        };
        let mut d = Decision::new("x");
        d.deny(Violation::new(A, "regular", facts! {}));
        d.deny(Violation::new(
            B,
            "pedantic",
            facts! {"persona" => "pedantic"},
        ));
        d.deny(Violation::new(
            C,
            "auditor",
            facts! {"persona" => "auditor", "confidence" => "low", "assumptions" => ["no callers"]},
        ));
        // A typo keeps the rule's own persona (and stays visible as a fact): never hidden by it.
        d.deny(Violation::new(D, "typo", facts! {"persona" => "pedantik"}));
        // The catalogue's persona holds where the facts say nothing: a design lint is pedantic.
        d.deny(Violation::new(LINT, "lint", facts! {}));
        let codes = |p: Persona| -> Vec<Code> {
            d.for_persona(p)
                .violations()
                .iter()
                .map(|v| v.code)
                .collect()
        };
        assert_eq!(codes(Persona::Regular), vec![A, D]);
        assert_eq!(codes(Persona::Pedantic), vec![A, B, D, LINT]);
        assert_eq!(codes(Persona::Auditor), vec![A, B, C, D, LINT]);
        let lifted = &d.violations()[2];
        assert_eq!(lifted.confidence, Confidence::Low);
        assert_eq!(lifted.assumptions, ["no callers"]);
        assert!(lifted.facts.get("persona").is_none() && lifted.facts.get("confidence").is_none());
        assert_eq!(d.violations()[3].facts["persona"], "pedantik");
        let mut quiet = Decision::new("y");
        quiet.deny(Violation::new(
            C,
            "auditor",
            facts! {"persona" => "auditor"},
        ));
        assert!(quiet.for_persona(Persona::Regular).allowed());
        assert!(!quiet.for_persona(Persona::Auditor).allowed());
        assert_eq!("pedantic".parse::<Persona>(), Ok(Persona::Pedantic));
        assert!("loud".parse::<Persona>().is_err());
    }

    #[test]
    fn a_decision_with_a_violation_is_never_allowed() {
        let mut d = Decision::new("x");
        assert!(d.allowed());
        d.pass(crate::rule::codes::RBAC_SELF_APPROVAL);
        assert!(d.allowed());
        d.deny(Violation::new(
            crate::rule::codes::RBAC_MISSING_PERMISSION,
            "no",
            facts! {"principal" => "alice"},
        ));
        d.pass(crate::rule::codes::RBAC_INSUFFICIENT_APPROVALS);
        assert!(!d.allowed());
        let json = d.to_json_value();
        assert_eq!(json["allowed"], false);
        assert_eq!(json["violations"][0]["code"], "rbac/missing-permission");
        assert_eq!(json["violations"][0]["facts"]["principal"], "alice");
        assert!(d.to_text().contains("error[rbac/missing-permission]"));
        assert!(d.to_text().contains("help: Add a binding"));
    }

    #[test]
    fn absorbing_a_denial_denies() {
        let mut a = Decision::new("a");
        let mut b = Decision::new("b");
        b.deny(Violation::new(
            crate::rule::codes::RBAC_SELF_APPROVAL,
            "m",
            Facts::new(),
        ));
        a.absorb(b);
        assert!(!a.allowed());
        assert!(a.has("rbac/self-approval"));
    }

    #[test]
    fn a_decision_never_both_passes_and_denies_a_code() {
        let code = crate::rule::codes::PROMOTION_MISSING_ATTESTATION;
        let mut passed_first = Decision::new("p");
        passed_first.pass(code);
        passed_first.deny(Violation::new(code, "missing", Facts::new()));
        let mut denied_first = Decision::new("d");
        denied_first.deny(Violation::new(code, "missing", Facts::new()));
        denied_first.pass(code);
        let mut absorbed = Decision::new("a");
        absorbed.pass(code);
        absorbed.absorb(denied_first.clone());
        for d in [&passed_first, &denied_first, &absorbed] {
            assert!(d.has(code));
            assert!(!d.passed().contains(&code), "{d}");
            assert!(!d.allowed());
        }
    }

    #[test]
    fn a_finding_on_assumptions_lowers_its_confidence_and_says_so() {
        let v = Violation::new(
            crate::rule::codes::PIPELINE_SECRET_NOT_ALLOWED,
            "m",
            Facts::new(),
        )
        .assuming(
            Confidence::Medium,
            "reusable workflow checked without its callers",
        )
        .assuming(Confidence::High, "a second assumption never raises it");
        assert_eq!(v.confidence, Confidence::Medium);
        assert_eq!(v.assumptions.len(), 2);
        let json = serde_json::to_value(&v).unwrap_or_default();
        assert_eq!(json["code"], "pipeline/secret-not-allowed");
        assert_eq!(json["severity"], "error");
        assert_eq!(json["confidence"], "medium");
        assert_eq!(json["persona"], "regular");
        assert_eq!(
            json["assumptions"][0],
            "reusable workflow checked without its callers"
        );
    }
}
