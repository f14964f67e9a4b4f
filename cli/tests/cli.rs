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
