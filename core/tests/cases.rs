//! Runs the shared scenario files in `tests/cases/` (the Python and Node suites run the same
//! files), and checks that every rule in the catalogue has a case that triggers it and one that
//! does not, and is documented in `docs/rules.md`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use lockkeeper::{
    ApprovalRequest, AuthorizeRequest, Decision, Error, Pipeline, PipelineFormat, Policy, RULES,
    Scope, SourceFile,
};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

fn case_files() -> Result<Vec<(PathBuf, Value)>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(cases_dir())? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("yaml") {
            let text = fs::read_to_string(&path)?;
            let value: Value = serde_saphyr::from_str(&text)?;
            out.push((path, value));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn scope(v: &Value) -> Scope {
    Scope {
        project: s(v, "project"),
        git_ref: s(v, "ref"),
        environment: s(v, "environment"),
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// What one case produced: violation codes of a decision, problem codes, or an error code.
#[derive(Debug)]
enum Outcome {
    Decision(Decision),
    Problems(Vec<(String, Option<String>, String)>),
    Error(String),
}

fn run_case(file: &Value, case: &Value) -> Result<Outcome, Box<dyn std::error::Error>> {
    for (key, format) in [
        ("policy_yaml", lockkeeper::Format::Yaml),
        ("policy_json", lockkeeper::Format::Json),
    ] {
        if let Some(text) = case.get(key).and_then(Value::as_str) {
            return Ok(match Policy::parse(text, format) {
                Ok(_) => Outcome::Problems(Vec::new()),
                Err(problems) => Outcome::Problems(
                    problems
                        .as_slice()
                        .iter()
                        .map(|p| {
                            (
                                p.code.to_owned(),
                                p.location.map(|l| l.to_string()),
                                p.message.clone(),
                            )
                        })
                        .collect(),
                ),
            });
        }
    }
    if let Some(text) = case.get("pipeline_yaml").and_then(Value::as_str) {
        return run_pipeline_case(file, case, text);
    }
    let policy_file = s(file, "policy").ok_or("case file names no policy")?;
    let policy = Policy::from_yaml(&fs::read_to_string(cases_dir().join(policy_file))?)?;
    if let Some(req) = case.get("authorize") {
        let principal = s(req, "principal").unwrap_or_default();
        let action = s(req, "action").unwrap_or_default();
        return Ok(
            match AuthorizeRequest::new(&principal, &action, scope(req)) {
                Ok(r) => Outcome::Decision(policy.authorize(&r)),
                Err(e) => Outcome::Error(e.code().to_owned()),
            },
        );
    }
    if let Some(req) = case.get("approvals") {
        let request = ApprovalRequest {
            approvals: strings(req.get("approvals")),
            author: s(req, "author"),
            required: req.get("required").and_then(Value::as_u64).unwrap_or(0) as usize,
            role: s(req, "role"),
            scope: scope(req),
        };
        return Ok(match policy.check_approvals(&request) {
            Ok(d) => Outcome::Decision(d),
            Err(e @ Error::InvalidInput { .. }) => Outcome::Error(e.code().to_owned()),
            Err(e) => return Err(e.into()),
        });
    }
    Err("case has no request".into())
}

/// A pipeline case: import `pipeline_yaml` (as `format`, default native; `auto` detects from
/// `file`), then check it against the file's `policy`, or the built-in one when there is none.
fn run_pipeline_case(
    file: &Value,
    case: &Value,
    text: &str,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let format = match s(case, "format").as_deref() {
        None => Some(PipelineFormat::Native),
        Some("auto") => None,
        Some(f) => Some(f.parse::<PipelineFormat>()?),
    };
    let name = s(case, "file").unwrap_or_else(|| "pipeline.yaml".to_owned());
    let source = SourceFile { name: &name, text };
    let pipeline = match Pipeline::import(&[source], format) {
        Ok(p) => p,
        Err(e) => {
            return Ok(Outcome::Problems(
                e.files
                    .iter()
                    .flat_map(|f| f.problems.as_slice())
                    .map(|p| {
                        (
                            p.code.to_owned(),
                            p.location.map(|l| l.to_string()),
                            p.message.clone(),
                        )
                    })
                    .collect(),
            ));
        }
    };
    let policy = match s(file, "policy") {
        Some(path) => Policy::from_yaml(&fs::read_to_string(cases_dir().join(path))?)?,
        None => Policy::builtin()?,
    };
    Ok(Outcome::Decision(policy.check_pipeline(&pipeline)))
}

fn check(file: &Value, case: &Value) -> Result<(), String> {
    let expect = case.get("expect").ok_or("case has no expect")?;
    let outcome = run_case(file, case).map_err(|e| e.to_string())?;
    match outcome {
        Outcome::Decision(d) => {
            if let Some(code) = s(expect, "error") {
                return Err(format!("expected error {code}, got decision {d}"));
            }
            let allowed = expect.get("allowed").and_then(Value::as_bool);
            if allowed != Some(d.allowed()) {
                return Err(format!("expected allowed={allowed:?}, got:\n{d}"));
            }
            let mut want = strings(expect.get("codes"));
            let mut got: Vec<String> = d.violations().iter().map(|v| v.code.to_owned()).collect();
            want.sort();
            got.sort();
            if want != got {
                return Err(format!("expected codes {want:?}, got {got:?}:\n{d}"));
            }
            if let Some(needle) = s(expect, "message_contains")
                && !d.violations().iter().any(|v| v.message.contains(&needle))
            {
                return Err(format!("no message contains {needle:?}:\n{d}"));
            }
            // `path`: the job names along the last violation's `path` fact.
            if let Some(want_path) = expect.get("path") {
                let got: Vec<String> = d
                    .violations()
                    .last()
                    .and_then(|v| v.facts.get("path"))
                    .and_then(Value::as_array)
                    .map(|steps| {
                        steps
                            .iter()
                            .filter_map(|st| st.get("job").or(Some(st)).and_then(Value::as_str))
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                if strings(Some(want_path)) != got {
                    return Err(format!("expected path {want_path}, got {got:?}:\n{d}"));
                }
            }
            // The machine form must say the same thing.
            let json = d.to_json_value();
            if json["allowed"] != Value::Bool(d.allowed()) {
                return Err("JSON disagrees with the decision".into());
            }
        }
        Outcome::Problems(problems) => {
            let want = strings(expect.get("problems"));
            let got: Vec<String> = problems.iter().map(|p| p.0.clone()).collect();
            let (mut ws, mut gs) = (want.clone(), got.clone());
            ws.sort();
            gs.sort();
            if ws != gs {
                return Err(format!("expected problems {want:?}, got {problems:#?}"));
            }
            if let Some(at) = expect.get("at") {
                let want_at = strings(Some(at));
                let got_at: Vec<String> = problems
                    .iter()
                    .map(|p| p.1.clone().unwrap_or_default())
                    .collect();
                if want_at != got_at {
                    return Err(format!("expected positions {want_at:?}, got {problems:#?}"));
                }
            }
            if let Some(needle) = s(expect, "message_contains")
                && !problems.iter().any(|p| p.2.contains(&needle))
            {
                return Err(format!("no message contains {needle:?}: {problems:#?}"));
            }
        }
        Outcome::Error(code) => {
            if s(expect, "error").as_deref() != Some(code.as_str()) {
                return Err(format!("unexpected error {code}"));
            }
        }
    }
    Ok(())
}

#[test]
fn every_shared_case_gives_the_expected_outcome() -> TestResult {
    let mut failures = Vec::new();
    let mut count = 0;
    for (path, file) in case_files()? {
        for case in file
            .get("cases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            count += 1;
            if let Err(e) = check(&file, case) {
                failures.push(format!(
                    "{} / {}: {e}",
                    path.display(),
                    s(case, "name").unwrap_or_default()
                ));
            }
        }
    }
    assert!(count > 20, "only {count} cases found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    Ok(())
}

/// The codes a case's expectation names (as violation, problem or error).
fn expected_codes(case: &Value) -> BTreeSet<String> {
    let e = case.get("expect").cloned().unwrap_or(Value::Null);
    let mut out: BTreeSet<String> = strings(e.get("codes")).into_iter().collect();
    out.extend(strings(e.get("problems")));
    out.extend(s(&e, "error"));
    out
}

#[test]
fn every_rule_is_triggered_by_one_case_and_not_by_another() -> TestResult {
    let files = case_files()?;
    let mut missing = Vec::new();
    for rule in RULES {
        let own: Vec<&Value> = files
            .iter()
            .filter(|(_, f)| s(f, "rule").as_deref() == Some(rule.code))
            .flat_map(|(_, f)| {
                f.get("cases")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
            })
            .collect();
        let triggers = own.iter().any(|c| expected_codes(c).contains(rule.code));
        let passes = own.iter().any(|c| !expected_codes(c).contains(rule.code));
        if !(triggers && passes) {
            missing.push(format!(
                "{} (triggers: {triggers}, passes: {passes})",
                rule.code
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "rules without both kinds of case: {missing:?}"
    );
    Ok(())
}

#[test]
fn the_rule_catalogue_and_docs_agree() -> TestResult {
    let docs = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules.md"))?;
    let documented: BTreeSet<&str> = docs
        .lines()
        .filter_map(|l| l.strip_prefix("### `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let catalogue: BTreeSet<&str> = RULES.iter().map(|r| r.code).collect();
    assert_eq!(
        documented, catalogue,
        "docs/rules.md headings vs rule catalogue"
    );
    Ok(())
}

#[test]
fn the_example_policy_is_valid() -> TestResult {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/wikimedia/policy.yaml"),
    )?;
    let policy = Policy::from_yaml(&text).map_err(|p| p.render("policy.yaml"))?;
    assert_eq!(policy.zones().len(), 4);
    assert!(policy.require().merge_implies_deploy);
    Ok(())
}
