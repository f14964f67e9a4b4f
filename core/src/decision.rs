//! Decisions: allow or deny, with every failed rule and the facts behind it.
//!
//! A denial is data, not an error: callers log it, render it, post it as a review comment. A
//! `Decision` can only say `allowed` when it carries no violation, so no code path can build an
//! allow that also lists a reason to deny.

use std::fmt::{self, Write as _};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::rule;

/// The facts behind a finding, as a JSON object (ordered by key).
pub type Facts = Map<String, Value>;

/// One failed rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    /// Stable rule code, e.g. `rbac/missing-permission`.
    pub code: &'static str,
    /// What was denied and why, for a person.
    pub message: String,
    /// How to fix it (from the rule catalogue).
    pub help: &'static str,
    /// The facts the rule looked at.
    pub facts: Facts,
}

impl Violation {
    /// A violation of `code`; the help text comes from the catalogue.
    pub fn new(code: &'static str, message: impl Into<String>, facts: Facts) -> Self {
        Violation {
            code,
            message: message.into(),
            help: rule::rule(code).map(|r| r.help).unwrap_or_default(),
            facts,
        }
    }
}

/// Who reads the findings, and so which ones are shown: a maintainer (`regular`: direct,
/// exploitable flows), a reviewer of design (`pedantic`: also design lints and concerns that
/// need a same-repository branch) or an auditor (`auditor`: also findings resting on
/// assumptions, flows a gate suppressed, and coverage notes). A finding says its persona in
/// its `persona` fact; without one it is `regular`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Persona {
    /// Direct, exploitable flows only (the default).
    #[default]
    Regular,
    /// Adds design lints and same-repository concerns.
    Pedantic,
    /// Adds assumptions, suppressed flows and coverage notes.
    Auditor,
}

impl Persona {
    /// Every persona, from the fewest findings shown to the most.
    pub const ALL: [Persona; 3] = [Persona::Regular, Persona::Pedantic, Persona::Auditor];

    /// The name used on command lines and in facts.
    pub fn as_str(self) -> &'static str {
        match self {
            Persona::Regular => "regular",
            Persona::Pedantic => "pedantic",
            Persona::Auditor => "auditor",
        }
    }

    /// The persona a finding is for; an unknown name counts as `regular`, so a finding is never
    /// hidden by a typo in its facts (fail closed).
    pub fn of(violation: &Violation) -> Persona {
        violation
            .facts
            .get("persona")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or_default()
    }
}

impl fmt::Display for Persona {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Persona {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Persona::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown persona `{s}`: expected regular, pedantic or auditor"))
    }
}

/// The answer to a request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decision {
    allowed: bool,
    /// What was asked, in a few words (e.g. `alice: deploy project=x environment=production`).
    subject: String,
    violations: Vec<Violation>,
    /// Codes of the checks that ran and passed.
    passed: Vec<&'static str>,
}

impl Decision {
    /// Starts a decision about `subject` with no check run yet.
    pub fn new(subject: impl Into<String>) -> Self {
        Decision {
            allowed: true,
            subject: subject.into(),
            violations: Vec::new(),
            passed: Vec::new(),
        }
    }

    /// Records a failed check: the decision becomes a denial.
    pub fn deny(&mut self, violation: Violation) {
        self.allowed = false;
        self.violations.push(violation);
    }

    /// Records a check that ran and passed.
    pub fn pass(&mut self, code: &'static str) {
        if !self.passed.contains(&code) {
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

    /// Codes of checks that passed.
    pub fn passed(&self) -> &[&'static str] {
        &self.passed
    }

    /// The findings `persona` is shown: those whose persona is at or below it. The decision is
    /// allowed when none is left, which is what the exit code of a check follows.
    pub fn for_persona(&self, persona: Persona) -> Decision {
        let mut out = Decision::new(self.subject.clone());
        for v in &self.violations {
            if Persona::of(v) <= persona {
                out.deny(v.clone());
            }
        }
        for p in &self.passed {
            out.pass(p);
        }
        out
    }

    /// Whether a violation with `code` was recorded.
    pub fn has(&self, code: &str) -> bool {
        self.violations.iter().any(|v| v.code == code)
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

    /// The form for people (also what `Display` prints).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let verdict = if self.allowed { "ALLOW" } else { "DENY" };
        let _ = writeln!(out, "{verdict} {}", self.subject);
        for v in &self.violations {
            let _ = writeln!(out, "  error[{}]: {}", v.code, v.message);
            for (key, value) in &v.facts {
                match value {
                    Value::Array(items) if items.iter().any(Value::is_object) => {
                        let _ = writeln!(out, "      {key}:");
                        for item in items {
                            let _ = writeln!(out, "        - {}", render_fact(item));
                        }
                    }
                    _ => {
                        let _ = writeln!(out, "      {key}: {}", render_fact(value));
                    }
                }
            }
            if !v.help.is_empty() {
                let _ = writeln!(out, "    help: {}", v.help);
            }
        }
        if !self.passed.is_empty() {
            let _ = writeln!(out, "  passed: {}", self.passed.join(", "));
        }
        out
    }
}

/// Facts for people: strings unquoted, lists comma-separated, objects as `key: value` pairs.
fn render_fact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "(none)".to_owned(),
        Value::Array(items) if items.is_empty() => "(none)".to_owned(),
        Value::Array(items) => items.iter().map(render_fact).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{k}: {}", render_fact(v)))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
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
        let mut d = Decision::new("x");
        d.deny(Violation::new("a", "regular", facts! {}));
        d.deny(Violation::new(
            "b",
            "pedantic",
            facts! {"persona" => "pedantic"},
        ));
        d.deny(Violation::new(
            "c",
            "auditor",
            facts! {"persona" => "auditor"},
        ));
        d.deny(Violation::new(
            "d",
            "typo",
            facts! {"persona" => "pedantik"},
        ));
        let codes = |p: Persona| -> Vec<&str> {
            d.for_persona(p)
                .violations()
                .iter()
                .map(|v| v.code)
                .collect()
        };
        assert_eq!(codes(Persona::Regular), vec!["a", "d"]);
        assert_eq!(codes(Persona::Pedantic), vec!["a", "b", "d"]);
        assert_eq!(codes(Persona::Auditor), vec!["a", "b", "c", "d"]);
        let mut quiet = Decision::new("y");
        quiet.deny(Violation::new(
            "c",
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
        d.pass(rule::codes::RBAC_SELF_APPROVAL);
        assert!(d.allowed());
        d.deny(Violation::new(
            rule::codes::RBAC_MISSING_PERMISSION,
            "no",
            facts! {"principal" => "alice"},
        ));
        d.pass(rule::codes::RBAC_INSUFFICIENT_APPROVALS);
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
            rule::codes::RBAC_SELF_APPROVAL,
            "m",
            Facts::new(),
        ));
        a.absorb(b);
        assert!(!a.allowed());
        assert!(a.has("rbac/self-approval"));
    }
}
