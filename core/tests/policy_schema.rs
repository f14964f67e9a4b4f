//! `docs/schema/policy.schema.json` describes the policy document lockkeeper reads: every policy
//! of the repository validates, every scenario policy lockkeeper accepts validates, and what the
//! parser refuses as an unknown field, the schema refuses too (so the schema can fail).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod common;

use lockkeeper::rule::codes;
use lockkeeper::{Error, Format, Policy};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// What the policy schema says is wrong with a document.
fn schema_errors(doc: &Value) -> Vec<String> {
    static SCHEMA: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    let schema = SCHEMA.get_or_init(|| common::schema("../docs/schema/policy.schema.json", &|t| t));
    common::schema_errors(schema, doc)
}

fn document(text: &str, format: Format) -> Result<Value, Box<dyn std::error::Error>> {
    Ok(match format {
        Format::Yaml => serde_saphyr::from_str(text)?,
        Format::Json => serde_json::from_str(text)?,
    })
}

/// The codes of the problems lockkeeper finds in a policy (none: it is accepted).
fn problems(text: &str, format: Format) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    match Policy::parse(text, format) {
        Ok(_) => Ok(Vec::new()),
        Err(Error::Problems(p)) => Ok(p.iter().map(|p| p.code.to_string()).collect()),
        Err(e) => Err(e.into()),
    }
}

fn files(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, keep, out)?;
        } else if keep(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn format_of(path: &Path) -> Format {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => Format::Json,
        _ => Format::Yaml,
    }
}

/// The policy files of the repository: `policy*` files of the examples and the scenario suite's
/// shared policies.
fn policy_files() -> std::io::Result<Vec<PathBuf>> {
    let is_policy = |p: &Path| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        name.starts_with("policy")
            && (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json"))
    };
    let any = |p: &Path| p.extension().is_some_and(|e| e == "yaml" || e == "json");
    let mut out = Vec::new();
    files(&repo().join("examples"), &is_policy, &mut out)?;
    files(&repo().join("core/tests/cases/policies"), &any, &mut out)?;
    out.sort();
    Ok(out)
}

#[test]
fn every_policy_of_the_repository_validates() -> TestResult {
    let paths = policy_files()?;
    assert!(paths.len() >= 9, "{paths:?}");
    for path in &paths {
        let text = fs::read_to_string(path)?;
        let format = format_of(path);
        // A policy file that lockkeeper refuses is a bug of its own, not of the schema.
        assert_eq!(
            problems(&text, format)?,
            Vec::<String>::new(),
            "{}",
            path.display()
        );
        let errors = schema_errors(&document(&text, format)?);
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
    let builtin = document(lockkeeper::pipeline::DEFAULT_POLICY, Format::Yaml)?;
    assert_eq!(schema_errors(&builtin), Vec::<String>::new());
    Ok(())
}

/// The ```yaml blocks of a Markdown file.
fn yaml_blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut block: Option<String> = None;
    for line in text.lines() {
        match (&mut block, line.trim_end()) {
            (None, "```yaml") => block = Some(String::new()),
            (Some(b), "```") => {
                out.push(std::mem::take(b));
                block = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    out
}

#[test]
fn the_documented_policies_validate() -> TestResult {
    // docs/policy.md shows every field in one document (with `...` for keys); it must validate.
    let reference = yaml_blocks(&fs::read_to_string(repo().join("docs/policy.md"))?);
    let whole = reference
        .first()
        .ok_or("docs/policy.md has no yaml block")?;
    assert_eq!(
        schema_errors(&document(whole, Format::Yaml)?),
        Vec::<String>::new()
    );
    // Every other documented block that lockkeeper accepts as a policy validates too.
    let mut accepted = 0;
    for entry in fs::read_dir(repo().join("docs"))? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        for block in yaml_blocks(&fs::read_to_string(&path)?) {
            if problems(&block, Format::Yaml).is_ok_and(|p| p.is_empty()) {
                accepted += 1;
                let errors = schema_errors(&document(&block, Format::Yaml)?);
                assert!(
                    errors.is_empty(),
                    "{}:\n{block}\n{errors:?}",
                    path.display()
                );
            }
        }
    }
    assert!(accepted > 0);
    Ok(())
}

#[test]
fn the_schema_agrees_with_the_parser_on_the_scenario_policies() -> TestResult {
    let (mut accepted, mut refused) = (0, 0);
    let dir = repo().join("core/tests/cases");
    for entry in fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let file: Value = serde_saphyr::from_str(&fs::read_to_string(&path)?)?;
        let cases = file
            .get("cases")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for case in cases {
            for (key, format) in [("policy_yaml", Format::Yaml), ("policy_json", Format::Json)] {
                let Some(text) = case.get(key).and_then(Value::as_str) else {
                    continue;
                };
                let found = problems(text, format)?;
                let Ok(doc) = document(text, format) else {
                    continue;
                };
                let errors = schema_errors(&doc);
                let name = format!("{}: {}", path.display(), case["name"]);
                if found.is_empty() {
                    accepted += 1;
                    assert!(errors.is_empty(), "{name}: {errors:?}");
                } else if found.iter().any(|c| {
                    c == codes::POLICY_UNKNOWN_FIELD.as_str() || c == codes::POLICY_SYNTAX.as_str()
                }) {
                    // An unknown field, or a value of the wrong type.
                    refused += 1;
                    assert!(!errors.is_empty(), "{name}: the schema accepts {found:?}");
                }
            }
        }
    }
    assert!(
        accepted >= 5 && refused >= 3,
        "{accepted} accepted, {refused} refused"
    );
    Ok(())
}

#[test]
fn a_typo_in_a_key_is_refused() -> TestResult {
    let text = fs::read_to_string(repo().join("examples/wikimedia/policy.yaml"))?;
    let mut doc = document(&text, Format::Yaml)?;
    assert!(schema_errors(&doc).is_empty());
    let zones = doc
        .get_mut("zones")
        .and_then(Value::as_object_mut)
        .ok_or("the example has zones")?;
    let (_, zone) = zones.iter_mut().next().ok_or("a zone")?;
    let zone = zone.as_object_mut().ok_or("a zone is a mapping")?;
    zone.insert("dominate".into(), serde_json::json!([]));
    let errors = schema_errors(&doc);
    assert!(errors.iter().any(|e| e.contains("dominate")), "{errors:?}");
    let top = document("enviroments: {}\n", Format::Yaml)?;
    assert!(!schema_errors(&top).is_empty());
    Ok(())
}
