//! One renderer for every front end: text for people, JSON for machines, SARIF 2.1.0 for code
//! scanners, and a one-line summary. The CLI, Python and Node call these instead of keeping
//! their own copies, so the three cannot drift apart.

use std::fmt::Write as _;
use std::str::FromStr;

use serde_json::Value;

use crate::decision::{Decision, Facts, VerifiedEvidence, VerifiedSigner, Violation};
use crate::diagnostic::{Problem, Problems};
use crate::rule::{Code, Confidence, Severity};

pub mod sarif;

/// The output forms a front end offers (`--output` in the CLI).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// For people.
    Text,
    /// One JSON document, for machines.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

/// An output name that names no output form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown output `{0}`: use text, json or sarif")]
pub struct UnknownOutput(pub String);

impl FromStr for Output {
    type Err = UnknownOutput;
    fn from_str(text: &str) -> Result<Output, UnknownOutput> {
        match text {
            "text" => Ok(Output::Text),
            "json" => Ok(Output::Json),
            "sarif" => Ok(Output::Sarif),
            other => Err(UnknownOutput(other.to_owned())),
        }
    }
}

/// A finding as the renderers see it: a violation of a decision or a problem of a document,
/// with where it is when that is known.
#[derive(Clone, Debug)]
pub struct Finding<'a> {
    /// The rule code.
    pub code: Code,
    /// What is wrong, for a person.
    pub message: &'a str,
    /// How sure the finding is.
    pub confidence: Confidence,
    /// What it assumed.
    pub assumptions: &'a [String],
    /// The file it is in, when known.
    pub file: Option<String>,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// 1-based column, when known.
    pub column: Option<u64>,
    /// The job it is about, when it is about one.
    pub job: Option<String>,
    /// The facts behind it (violations only).
    pub facts: Option<&'a Facts>,
}

impl<'a> Finding<'a> {
    /// A violation; its place comes from the `file`, `line`, `column` and `job` facts.
    pub fn violation(v: &'a Violation) -> Self {
        let text = |k: &str| v.facts.get(k).map(fact);
        let number = |k: &str| v.facts.get(k).and_then(Value::as_u64);
        Finding {
            code: v.code,
            message: &v.message,
            confidence: v.confidence,
            assumptions: &v.assumptions,
            file: text("file"),
            line: number("line"),
            column: number("column"),
            job: text("job"),
            facts: Some(&v.facts),
        }
    }

    /// A problem of the document read from `origin` (usually its path).
    pub fn problem(origin: &str, p: &'a Problem) -> Self {
        Finding {
            code: p.code,
            message: &p.message,
            confidence: p.code.rule().confidence,
            assumptions: &[],
            file: Some(origin.to_owned()),
            line: p.location.map(|l| u64::from(l.line)),
            column: p.location.map(|l| u64::from(l.column)),
            job: None,
            facts: None,
        }
    }

    /// The same finding, placed in `file` if it names no file of its own (an image finding is
    /// in the layout it was read from).
    pub fn in_file(mut self, file: &str) -> Self {
        if self.file.is_none() {
            self.file = Some(file.to_owned());
        }
        self
    }

    /// How much it matters.
    pub fn severity(&self) -> Severity {
        self.code.rule().severity
    }

    /// `FILE:LINE: error[CODE] job `NAME`: message`, the head line of a located finding.
    pub fn head_line(&self) -> String {
        let mut place = self.file.clone().unwrap_or_else(|| "?".to_owned());
        if let Some(line) = self.line {
            let _ = write!(place, ":{line}");
        }
        let job = self
            .job
            .as_ref()
            .map(|j| format!(" job `{j}`"))
            .unwrap_or_default();
        format!(
            "{place}: {}[{}]{job}: {}",
            self.severity(),
            self.code,
            self.message
        )
    }
}

/// Every violation of a decision as findings.
pub fn findings(decision: &Decision) -> Vec<Finding<'_>> {
    decision
        .violations()
        .iter()
        .map(Finding::violation)
        .collect()
}

/// Every problem of a document as findings.
pub fn problem_findings<'a>(origin: &str, problems: &'a Problems) -> Vec<Finding<'a>> {
    problems
        .iter()
        .map(|p| Finding::problem(origin, p))
        .collect()
}

/// A fact for people: strings unquoted, lists comma-separated, objects as `key: value` pairs.
pub fn fact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "(none)".to_owned(),
        Value::Array(items) if items.is_empty() => "(none)".to_owned(),
        Value::Array(items) => items.iter().map(fact).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{k}: {}", fact(v)))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// The facts of a finding, indented under it; `skip` names facts already shown in its head.
fn facts_text(out: &mut String, facts: &Facts, skip: &[&str]) {
    for (key, value) in facts {
        if skip.contains(&key.as_str()) {
            continue;
        }
        match value {
            Value::Array(items) if items.iter().any(Value::is_object) => {
                let _ = writeln!(out, "      {key}:");
                for item in items {
                    let _ = writeln!(out, "        - {}", fact(item));
                }
            }
            _ => {
                let _ = writeln!(out, "      {key}: {}", fact(value));
            }
        }
    }
}

/// A decision for people: `ALLOW`/`DENY subject`, each violation with its facts and help, and
/// the checks that passed.
pub fn text(decision: &Decision) -> String {
    let mut out = String::new();
    let verdict = if decision.allowed() { "ALLOW" } else { "DENY" };
    let _ = writeln!(out, "{verdict} {}", decision.subject());
    for v in decision.violations() {
        let _ = writeln!(out, "  {}[{}]: {}", v.severity, v.code, v.message);
        facts_text(&mut out, &v.facts, &[]);
        if !v.help.is_empty() {
            let _ = writeln!(out, "    help: {}", v.help);
        }
    }
    if !decision.passed().is_empty() {
        let passed: Vec<&str> = decision.passed().iter().map(|c| c.as_str()).collect();
        let _ = writeln!(out, "  passed: {}", passed.join(", "));
    }
    for e in decision.verified() {
        verified_text(&mut out, e);
    }
    out
}

/// One piece of evidence a decision relied on: what it is, who signed it, how its time was
/// proven.
fn verified_text(out: &mut String, e: &VerifiedEvidence) {
    let builder = e
        .builder
        .as_ref()
        .map(|b| format!(", builder {b}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  verified {}: {} ({}, {}{builder})",
        e.used_as, e.evidence, e.digest, e.predicate_type
    );
    for s in &e.signers {
        match s {
            VerifiedSigner::Key { keyid, owner } => {
                let _ = writeln!(out, "    signed by key {keyid} ({owner})");
            }
            VerifiedSigner::Certificate {
                issuer,
                subject,
                claims,
                owner,
            } => {
                let _ = writeln!(
                    out,
                    "    signed by certificate {subject} (issuer {issuer}) for {owner}"
                );
                for (claim, value) in claims {
                    let _ = writeln!(out, "      {claim}: {value}");
                }
            }
        }
    }
    if let Some(t) = &e.time {
        let mut parts = Vec::new();
        if let Some(i) = t.log_index {
            parts.push(format!("Rekor log index {i}"));
        }
        if let Some(at) = &t.integrated_time {
            parts.push(format!("integrated {at}"));
        }
        if t.rfc3161_timestamps > 0 {
            parts.push(format!("{} RFC 3161 timestamp(s)", t.rfc3161_timestamps));
        }
        if parts.is_empty() {
            parts.push("no transparency proof (the root lists no log)".to_owned());
        }
        let _ = writeln!(out, "    time proven by {}", parts.join(", "));
    }
}

/// A decision about files (a pipeline) for people: each violation headed
/// `FILE:LINE: error[CODE] job `NAME`: message`, then its facts and help, then a count.
pub fn located_text(decision: &Decision) -> String {
    let verdict = if decision.allowed() {
        "CLEAN"
    } else {
        "VIOLATIONS"
    };
    let mut out = format!("{verdict} {}\n", decision.subject());
    for v in decision.violations() {
        let _ = writeln!(out, "{}", Finding::violation(v).head_line());
        facts_text(&mut out, &v.facts, &["file", "line", "job", "column"]);
        let _ = writeln!(out, "    help: {}", v.help);
    }
    let n = decision.violations().len();
    let _ = writeln!(out, "{n} violation{}", if n == 1 { "" } else { "s" });
    out
}

/// `subject: N violations` and one head line per violation: what a failed test assertion says.
pub fn violation_list(decision: &Decision) -> String {
    let n = decision.violations().len();
    let mut out = format!(
        "{}: {n} violation{}",
        decision.subject(),
        if n == 1 { "" } else { "s" }
    );
    for f in findings(decision) {
        let _ = write!(out, "\n{}", f.head_line());
    }
    out
}

/// One line: `ALLOW subject`, or `DENY subject: 2 violations (code, code)`.
pub fn summary(decision: &Decision) -> String {
    if decision.allowed() {
        return format!("ALLOW {}", decision.subject());
    }
    let n = decision.violations().len();
    let mut codes: Vec<&str> = decision
        .violations()
        .iter()
        .map(|v| v.code.as_str())
        .collect();
    codes.dedup();
    format!(
        "DENY {}: {n} violation{} ({})",
        decision.subject(),
        if n == 1 { "" } else { "s" },
        codes.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts;
    use crate::rule::codes;

    fn denied() -> Decision {
        let mut d = Decision::new("pipeline ci.yml (1 jobs)");
        d.deny(Violation::new(
            codes::PIPELINE_BUILD_PUBLISHES,
            "job `build` publishes",
            facts! {"file" => "ci.yml", "line" => 3, "column" => 5, "job" => "build", "zone" => "untrusted"},
        ));
        d
    }

    #[test]
    fn a_located_finding_names_file_line_severity_code_and_job() {
        let d = denied();
        let text = located_text(&d);
        assert!(
            text.contains(
                "ci.yml:3: warning[pipeline/build-publishes] job `build`: job `build` publishes"
            ),
            "{text}"
        );
        assert!(text.contains("      zone: untrusted"));
        assert!(!text.contains("      file:"));
        assert!(text.ends_with("1 violation\n"));
        assert_eq!(
            summary(&d),
            "DENY pipeline ci.yml (1 jobs): 1 violation (pipeline/build-publishes)"
        );
        assert_eq!(summary(&Decision::new("x")), "ALLOW x");
    }

    #[test]
    fn outputs_are_named_as_the_cli_spells_them() {
        assert_eq!("sarif".parse(), Ok(Output::Sarif));
        assert!("xml".parse::<Output>().is_err());
    }
}
