//! The CLI's contract: exit codes, stdout/stderr split, text and JSON output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn example() -> String {
    root()
        .join("examples/wikimedia/policy.yaml")
        .to_string_lossy()
        .into_owned()
}

fn lockkeeper(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_lockkeeper"))
        .args(args)
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("cannot run lockkeeper: {e}"),
    }
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn temp_file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("lockkeeper-cli-test-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(name);
    if let Err(e) = std::fs::write(&path, text) {
        panic!("cannot write {}: {e}", path.display());
    }
    path.to_string_lossy().into_owned()
}

#[test]
fn policy_check_accepts_the_example() {
    let out = lockkeeper(&["policy", "check", &example()]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("valid (4 zones, 3 environments"));
}

#[test]
fn policy_check_reports_every_problem_with_file_line_and_column() {
    let path = temp_file(
        "bad.yaml",
        "zones:\n  a: {dominates: [b]}\n  b: {dominates: [a], colour: red}\nroles: {r: {permissions: [fly]}}\n",
    );
    let out = lockkeeper(&["policy", "check", &path]);
    assert_eq!(code(&out), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{path}:3:23: error[policy/unknown-field]")),
        "{text}"
    );
    assert!(text.contains("error[policy/cycle]"), "{text}");
    assert!(
        text.contains(&format!("{path}:4:27: error[policy/invalid-value]")),
        "{text}"
    );
    assert!(text.contains("3 problem(s)"), "{text}");

    let out = lockkeeper(&["policy", "check", "--json", &path]);
    assert_eq!(code(&out), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    assert_eq!(v["valid"], false);
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["problems"][0]["code"], "policy/cycle");
    assert_eq!(v["problems"][0]["line"], 2);
}

#[test]
fn authorize_allows_with_exit_0_and_denies_with_exit_1() {
    let policy = example();
    let allowed = lockkeeper(&[
        "authorize",
        "--policy",
        &policy,
        "--principal",
        "alice",
        "--action",
        "deploy",
        "--project",
        "mediawiki/core",
        "--environment",
        "production",
    ]);
    assert_eq!(code(&allowed), Some(0), "{}", stdout(&allowed));
    assert!(stdout(&allowed).starts_with("ALLOW alice: deploy"));

    let denied = lockkeeper(&[
        "authorize",
        "--policy",
        &policy,
        "--principal",
        "dave",
        "--action",
        "deploy",
        "--project",
        "mediawiki/core",
        "--environment",
        "production",
        "--json",
    ]);
    assert_eq!(code(&denied), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&denied)).unwrap_or_default();
    assert_eq!(v["allowed"], false);
    assert_eq!(v["violations"][0]["code"], "rbac/missing-permission");
    assert_eq!(v["violations"][0]["facts"]["principal"], "dave");
    assert_eq!(v["violations"][0]["facts"]["action"], "deploy");
    assert!(
        v["violations"][0]["facts"]["bindings_considered"]
            .as_array()
            .is_some_and(|b| b.len() == 2)
    );
}

#[test]
fn bad_input_exits_2_with_the_error_on_stderr() {
    let policy = example();
    let out = lockkeeper(&[
        "authorize",
        "--policy",
        &policy,
        "--principal",
        "a",
        "--action",
        "fly",
    ]);
    assert_eq!(code(&out), Some(2));
    assert!(stdout(&out).is_empty());
    assert!(stderr(&out).contains("error[rbac/unknown-action]"));

    let out = lockkeeper(&[
        "authorize",
        "--policy",
        "/nonexistent.yaml",
        "--principal",
        "a",
        "--action",
        "merge",
    ]);
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("cannot read /nonexistent.yaml"));

    let broken = temp_file(
        "broken.json",
        "{\"zones\": {\"a\": {\"dominates\": [\"x\"]}}}",
    );
    let out = lockkeeper(&[
        "authorize",
        "--policy",
        &broken,
        "--principal",
        "a",
        "--action",
        "merge",
    ]);
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains(&format!("{broken}:1:32: error[policy/undefined-reference]")),
        "{}",
        stderr(&out)
    );

    let out = lockkeeper(&["authorize", "--policy", &policy]);
    assert_eq!(code(&out), Some(2), "usage errors exit 2");
    let out = lockkeeper(&["no-such-command"]);
    assert_eq!(code(&out), Some(2));
}

#[test]
fn approvals_count_distinct_qualified_approvers() {
    let policy = example();
    let base = [
        "approvals",
        "--policy",
        policy.as_str(),
        "--project",
        "mediawiki/core",
        "--required",
        "2",
        "--author",
        "alice",
    ];
    let mut ok = base.to_vec();
    ok.extend([
        "--approval",
        "bob",
        "--approval",
        "alice",
        "--approval",
        "carol",
    ]);
    // bob qualifies; alice is the author; carol is ops, not a mediawiki merger.
    let out = lockkeeper(&ok);
    assert_eq!(code(&out), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("error[rbac/self-approval]"), "{text}");
    assert!(
        text.contains("error[rbac/insufficient-approvals]"),
        "{text}"
    );

    let mut role = base.to_vec();
    role.extend(["--approval", "bob", "--role", "no-such-role"]);
    let out = lockkeeper(&role);
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("error[rbac/unknown-role]"));
}

fn pipeline_example(name: &str) -> String {
    root()
        .join("examples/pipelines")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn check_pipeline_exits_0_on_a_clean_pipeline_with_or_without_a_policy() {
    let policy = pipeline_example("policy.yaml");
    let clean = pipeline_example("native/clean.yaml");
    let out = lockkeeper(&["check", "pipeline", "--policy", &policy, &clean]);
    assert_eq!(code(&out), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).starts_with("CLEAN pipeline"),
        "{}",
        stdout(&out)
    );
    let out = lockkeeper(&["check", "pipeline", &pipeline_example("github/release.yml")]);
    assert_eq!(code(&out), Some(0), "{}", stdout(&out));
}

#[test]
fn check_pipeline_names_file_job_and_line_and_exits_1() {
    let file = pipeline_example("github/pr-target.yml");
    let out = lockkeeper(&["check", "pipeline", &file]);
    assert_eq!(code(&out), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "{file}:9: error[pipeline/tainted-input] job `preview`"
        )),
        "{text}"
    );
    assert!(text.contains("help: "), "{text}");
    assert!(text.contains("1 violation"), "{text}");
}

#[test]
fn check_pipeline_imports_several_formats_in_one_run_and_prints_json() {
    let files = [
        pipeline_example("zuul/violations.zuul.yaml"),
        pipeline_example("argo/clean.yaml"),
    ];
    let out = lockkeeper(&[
        "check",
        "pipeline",
        "--json",
        "--policy",
        &pipeline_example("policy.yaml"),
        &files[0],
        &files[1],
    ]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    assert_eq!(v["allowed"], false);
    assert_eq!(v["jobs"], 6);
    assert_eq!(v["files"].as_array().map(Vec::len), Some(2));
    let codes: Vec<&str> = v["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["code"].as_str())
        .collect();
    assert!(codes.contains(&"pipeline/secret-not-allowed"), "{codes:?}");
    assert!(
        codes.iter().all(|c| c.starts_with("pipeline/")),
        "{codes:?}"
    );
}

#[test]
fn check_pipeline_bad_input_exits_2_with_the_position() {
    let path = temp_file("broken.yaml", "jobs:\n  build: {trigger: merge}\n");
    let out = lockkeeper(&["check", "pipeline", "--format", "native", &path]);
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains(&format!("{path}:2:20: error[pipeline/invalid-value]")),
        "{}",
        stderr(&out)
    );
    let out = lockkeeper(&["check", "pipeline", "--format", "jenkins", &path]);
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains("unknown pipeline format"),
        "{}",
        stderr(&out)
    );
    let out = lockkeeper(&["check", "pipeline", "/nonexistent/ci.yml"]);
    assert_eq!(code(&out), Some(2));
    let unknown = temp_file("settings.yaml", "colour: blue\n");
    let out = lockkeeper(&["check", "pipeline", &unknown]);
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains("import/unknown-format"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_pipeline_dump_prints_the_model() {
    let out = lockkeeper(&[
        "check",
        "pipeline",
        "--dump",
        &pipeline_example("gitlab/clean.gitlab-ci.yml"),
    ]);
    assert_eq!(code(&out), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    let jobs = v["jobs"].as_array().cloned().unwrap_or_default();
    let publish = jobs
        .iter()
        .find(|j| j["name"] == "publish [default_branch]");
    assert_eq!(
        publish.map(|j| j["runs_repo_code"].clone()),
        Some(serde_json::json!(false))
    );
    assert_eq!(
        publish.map(|j| j["publishes"].clone()),
        Some(serde_json::json!(true))
    );
}
