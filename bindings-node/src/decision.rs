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
        ts_return_type = "{ schema_version: number; lockkeeper_version: string; policy_digest?: string; decided_at?: string; allowed: boolean; subject: string; violations: Violation[]; passed: string[] }"
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
