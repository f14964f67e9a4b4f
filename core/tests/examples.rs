//! The pipelines in `examples/pipelines/` give what `examples/pipelines/expected.yaml` says, with
//! the example policy and with the built-in one (the Python and Node suites run the same list).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use lockkeeper::{Pipeline, Policy, SourceFile};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/pipelines")
}

fn codes(v: &Value, key: &str) -> BTreeSet<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_example_gives_the_expected_codes() -> TestResult {
    let dir = examples();
    let expected: Value = serde_saphyr::from_str(&fs::read_to_string(dir.join("expected.yaml"))?)?;
    let site = Policy::from_yaml(&fs::read_to_string(dir.join("policy.yaml"))?)
        .map_err(|p| p.render("policy.yaml"))?;
    let builtin = Policy::builtin();
    let entries = expected.as_array().ok_or("expected.yaml is a list")?;
    assert!(entries.len() >= 10);
    let mut seen = BTreeSet::new();
    let mut clean = 0;
    for entry in entries {
        // One `file`, or several `files` checked as one set.
        let names: Vec<&str> = match entry.get("files").and_then(Value::as_array) {
            Some(list) => list.iter().filter_map(Value::as_str).collect(),
            None => entry
                .get("file")
                .and_then(Value::as_str)
                .into_iter()
                .collect(),
        };
        if names.is_empty() {
            return Err("entry without file or files".into());
        }
        let file = names.join(" + ");
        let texts = names
            .iter()
            .map(|n| fs::read_to_string(dir.join(n)))
            .collect::<Result<Vec<_>, _>>()?;
        let sources: Vec<SourceFile<'_>> = names
            .iter()
            .zip(&texts)
            .map(|(name, text)| SourceFile { name, text })
            .collect();
        let pipeline = Pipeline::import(&sources, None)?;
        for (policy, key) in [(&site, "with_policy"), (builtin, "builtin")] {
            let decision = policy.check_pipeline(&pipeline);
            let got: BTreeSet<String> = decision
                .violations()
                .iter()
                .map(|v| v.code.to_string())
                .collect();
            assert_eq!(got, codes(entry, key), "{file} ({key}):\n{decision}");
            assert_eq!(decision.allowed(), got.is_empty());
            // Every finding names the file, the job and its line.
            for v in decision.violations() {
                assert!(v.facts.contains_key("file"), "{file}: {v:?}");
                assert!(v.facts.contains_key("line"), "{file}: {v:?}");
            }
            seen.extend(got);
        }
        if codes(entry, "with_policy").is_empty() {
            clean += 1;
        }
    }
    // At least one clean example per format, and every class of violation shown somewhere.
    assert!(clean >= 5, "only {clean} clean examples");
    for rule in lockkeeper::RULES {
        if rule.kind == lockkeeper::RuleKind::Violation
            && (rule.code.as_str().starts_with("pipeline/")
                || rule.code.as_str().starts_with("import/"))
        {
            assert!(
                seen.contains(rule.code.as_str()),
                "no example shows {}",
                rule.code
            );
        }
    }
    Ok(())
}
