//! SARIF 2.1.0, as GitHub code scanning reads it: the catalogue as `tool.driver.rules` (with
//! each rule's default level and a link to its entry in docs/rules.md), and one result per
//! finding with its rule, level, message and, where known, file, line and column.

use serde_json::{Map, Value, json};

use super::Finding;
use crate::rule::{Code, RULES, Rule};

/// The schema URI written into every log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where docs/rules.md is published: the repository of the package.
const DOCS: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/rules.md");

/// The anchor of a code's heading in docs/rules.md (`### `a/b-c`` becomes `#ab-c`, as
/// Markdown renderers derive it: lower case, punctuation other than `-` and `_` dropped).
pub fn anchor(code: Code) -> String {
    code.as_str()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where a code is documented.
pub fn help_uri(code: Code) -> String {
    format!("{DOCS}#{}", anchor(code))
}

fn rule(r: &Rule) -> Value {
    json!({
        "id": r.code.as_str(),
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": format!("{} {}", r.summary, r.help)},
        "help": {"text": r.help},
        "helpUri": help_uri(r.code),
        "defaultConfiguration": {"level": r.severity.as_str()},
        "properties": {
            "kind": r.kind.as_str(),
            "confidence": r.confidence.as_str(),
            "persona": r.persona.as_str(),
        },
    })
}

fn result(f: &Finding<'_>) -> Value {
    let mut out = Map::new();
    out.insert("ruleId".into(), json!(f.code.as_str()));
    if let Some(index) = RULES.iter().position(|r| r.code == f.code) {
        out.insert("ruleIndex".into(), json!(index));
    }
    out.insert("level".into(), json!(f.severity().as_str()));
    out.insert("message".into(), json!({"text": f.message}));
    if let Some(file) = &f.file {
        let mut physical = Map::new();
        physical.insert("artifactLocation".into(), json!({"uri": file}));
        if let Some(line) = f.line.filter(|&l| l >= 1) {
            let mut region = Map::new();
            region.insert("startLine".into(), json!(line));
            if let Some(column) = f.column.filter(|&c| c >= 1) {
                region.insert("startColumn".into(), json!(column));
            }
            physical.insert("region".into(), Value::Object(region));
        }
        out.insert(
            "locations".into(),
            json!([{"physicalLocation": Value::Object(physical)}]),
        );
    }
    let mut properties = Map::new();
    properties.insert("confidence".into(), json!(f.confidence.as_str()));
    if !f.assumptions.is_empty() {
        properties.insert("assumptions".into(), json!(f.assumptions));
    }
    if let Some(job) = &f.job {
        properties.insert("job".into(), json!(job));
    }
    if let Some(facts) = f.facts {
        properties.insert("facts".into(), Value::Object(facts.clone()));
    }
    out.insert("properties".into(), Value::Object(properties));
    Value::Object(out)
}

/// A SARIF log of one run of lockkeeper with `findings` as its results.
pub fn log(findings: &[Finding<'_>]) -> Value {
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "lockkeeper",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": RULES.iter().map(rule).collect::<Vec<_>>(),
            }},
            "results": findings.iter().map(result).collect::<Vec<_>>(),
        }],
    })
}

/// A decision's SARIF log: its violations as results, and the evidence it relied on (what was
/// verified, by whom, when) in the run's `properties.verified`, so that a scan that allowed
/// still records what it trusted.
pub fn decision_log(decision: &crate::Decision) -> Value {
    let mut log = log(&super::findings(decision));
    if !decision.verified().is_empty()
        && let Some(run) = log.pointer_mut("/runs/0").and_then(Value::as_object_mut)
    {
        run.insert(
            "properties".into(),
            json!({"verified": decision.verified()}),
        );
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::codes;

    #[test]
    fn anchors_follow_the_markdown_headings() {
        assert_eq!(
            anchor(codes::PIPELINE_BUILD_PUBLISHES),
            "pipelinebuild-publishes"
        );
        assert!(
            help_uri(codes::RBAC_MISSING_PERMISSION)
                .ends_with("docs/rules.md#rbacmissing-permission")
        );
    }
}
