//! The CLI's contract: exit codes, stdout/stderr split, text and JSON output.

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::{lockkeeper, root, stderr, stdout};

fn example() -> String {
    root()
        .join("examples/wikimedia/policy.yaml")
        .to_string_lossy()
        .into_owned()
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
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

    let out = lockkeeper(&["policy", "check", "--output", "sarif", &path]);
    assert_eq!(code(&out), Some(1));
    let log: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    let results = &log["runs"][0]["results"];
    assert_eq!(results.as_array().map(Vec::len), Some(3));
    assert_eq!(results[1]["ruleId"], "policy/unknown-field");
    assert_eq!(
        results[1]["locations"][0]["physicalLocation"]["region"]["startColumn"],
        23
    );
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
    assert_eq!(v["schema_version"], 1);
    assert!(
        v["decided_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{v}"
    );
    assert!(
        v["policy_digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:")),
        "{v}"
    );
    assert!(
        v["violations"][0]["facts"]["bindings_considered"]
            .as_array()
            .is_some_and(|b| b.len() == 3)
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

fn cases() -> PathBuf {
    root().join("core/tests/cases")
}

fn case(rel: &str) -> String {
    cases().join(rel).to_string_lossy().into_owned()
}

#[test]
fn keygen_sign_and_verify_round_trip() {
    let dir = std::env::temp_dir().join(format!("lockkeeper-cli-keys-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    let prefix = dir.join("builder").to_string_lossy().into_owned();
    let out = lockkeeper(&["keygen", "--out", &prefix]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let keyid = stdout(&out).trim().to_owned();
    assert_eq!(keyid.len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode =
            std::fs::metadata(format!("{prefix}.key")).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o600), "private key must be owner-only");
    }
    let again = lockkeeper(&["keygen", "--out", &prefix]);
    assert_eq!(code(&again), Some(2), "keygen must not overwrite keys");

    let artifact = temp_file("app.tar.gz", "the artifact");
    let out = lockkeeper(&["digest", &artifact]);
    assert_eq!(code(&out), Some(0));
    let digest = stdout(&out)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(digest.starts_with("sha256:"));

    let out = lockkeeper(&[
        "statement",
        "provenance",
        "--builder",
        "https://ci/b",
        "--subject",
        &format!("app.tar.gz={digest}"),
        "--source",
        "git+https://g/r/app",
        "--ref",
        "refs/heads/main",
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let statement = temp_file("statement.json", &stdout(&out));
    let out = lockkeeper(&[
        "sign",
        "--key",
        &format!("{prefix}.key"),
        "--statement",
        &statement,
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let envelope = temp_file("envelope.json", &stdout(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    assert_eq!(v["signatures"][0]["keyid"], keyid.as_str());

    let out = lockkeeper(&[
        "envelope",
        "verify",
        "--pub",
        &format!("{prefix}.pub"),
        &envelope,
    ]);
    assert_eq!(code(&out), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains(&keyid));

    let pubkey = std::fs::read_to_string(format!("{prefix}.pub")).unwrap_or_default();
    let policy = temp_file(
        "prov-policy.yaml",
        &format!(
            "zones: {{trusted: {{}}}}\nenvironments: {{production: {{min_build_zone: trusted}}}}\n\
             builders: {{\"https://ci/b\": {{zone: trusted, keys: [{}]}}}}\n",
            serde_json::Value::String(pubkey)
        ),
    );
    let out = lockkeeper(&[
        "verify",
        "--policy",
        &policy,
        "--envelope",
        &envelope,
        "--artifact",
        &digest,
        "--environment",
        "production",
    ]);
    assert_eq!(code(&out), Some(0), "{}{}", stdout(&out), stderr(&out));
    // An allow says what it rests on: the envelope's digest and the key that signed it.
    assert!(
        stdout(&out).contains("verified provenance: envelope (sha256:"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains(&format!("signed by key {keyid} (https://ci/b)")),
        "{}",
        stdout(&out)
    );
    let out = lockkeeper(&[
        "verify",
        "--policy",
        &policy,
        "--envelope",
        &envelope,
        "--artifact",
        &digest,
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    assert_eq!(v["verified"][0]["used_as"], "provenance");
    assert_eq!(v["verified"][0]["signers"][0]["keyid"], keyid.as_str());
    assert_eq!(v["verified"][0]["builder"], "https://ci/b");
    let other = "sha256:".to_owned() + &"0".repeat(64);
    let out = lockkeeper(&[
        "verify",
        "--policy",
        &policy,
        "--envelope",
        &envelope,
        "--artifact",
        &other,
        "--json",
    ]);
    assert_eq!(code(&out), Some(1));
    assert!(stdout(&out).contains("provenance/subject-mismatch"));
    let out = lockkeeper(&[
        "verify",
        "--policy",
        &policy,
        "--envelope",
        &envelope,
        "--artifact",
        "sha256:ABC",
    ]);
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("digest"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn envelope_verify_exit_codes_follow_the_threshold() {
    let two = case("envelopes/release-two-keys.json");
    let (a, b) = (case("keys/trusted-a.pub"), case("keys/trusted-b.pub"));
    let ok = lockkeeper(&[
        "envelope",
        "verify",
        "--pub",
        &a,
        "--pub",
        &b,
        "--threshold",
        "2",
        &two,
    ]);
    assert_eq!(code(&ok), Some(0), "{}", stdout(&ok));
    let same = lockkeeper(&[
        "envelope",
        "verify",
        "--pub",
        &a,
        "--pub",
        &a,
        "--threshold",
        "2",
        "--json",
        &two,
    ]);
    assert_eq!(code(&same), Some(1), "one key listed twice is one key");
    let v: serde_json::Value = serde_json::from_str(&stdout(&same)).unwrap_or_default();
    assert_eq!(v["verified"], false);
    let bad = lockkeeper(&[
        "envelope",
        "verify",
        "--pub",
        &a,
        &case("envelopes/not-an-envelope.json"),
    ]);
    assert_eq!(code(&bad), Some(2));
}

#[test]
fn envelope_verify_takes_several_files_with_one_result_each() {
    let a = case("keys/trusted-a.pub");
    let files = [
        case("envelopes/release-one-key.json"),
        case("envelopes/bad-signature.json"),
        case("envelopes/release-two-keys.json"),
    ];
    let mut args = vec!["envelope", "verify", "--pub", &a];
    args.extend(files.iter().map(String::as_str));
    let text = lockkeeper(&args);
    assert_eq!(code(&text), Some(1), "{}", stdout(&text));
    let lines: Vec<String> = stdout(&text).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("{}: VERIFIED", files[0])),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with(&format!("{}: NOT VERIFIED", files[1])),
        "{lines:?}"
    );
    assert!(
        lines[2].starts_with(&format!("{}: VERIFIED", files[2])),
        "{lines:?}"
    );
    args.push("--json");
    let out = lockkeeper(&args);
    assert_eq!(code(&out), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    let verdicts: Vec<_> = (0..3).map(|i| v[i]["verified"].clone()).collect();
    assert_eq!(verdicts, [true, false, true].map(serde_json::Value::Bool));
    assert_eq!(v[1]["file"], files[1].as_str());
    // All good: exit 0. One unreadable file: an error (2), never a partial success.
    let good = lockkeeper(&["envelope", "verify", "--pub", &a, &files[0], &files[2]]);
    assert_eq!(code(&good), Some(0), "{}", stdout(&good));
    let unreadable = lockkeeper(&[
        "envelope",
        "verify",
        "--pub",
        &a,
        &files[0],
        &case("envelopes/not-an-envelope.json"),
    ]);
    assert_eq!(code(&unreadable), Some(2));
}

#[test]
fn verify_explains_a_zone_too_low_for_production() {
    let out = lockkeeper(&[
        "verify",
        "--policy",
        &case("policies/provenance.yaml"),
        "--envelope",
        &case("envelopes/patchset-good.json"),
        "--artifact",
        std::fs::read_to_string(cases().join("envelopes/artifact.txt"))
            .unwrap_or_default()
            .trim(),
        "--environment",
        "production",
    ]);
    assert_eq!(code(&out), Some(1));
    let text = stdout(&out);
    assert!(text.contains("error[provenance/build-zone-too-low]: built in zone `untrusted`, but production requires builds from `trusted` or above"), "{text}");
    assert!(text.contains("help:"), "{text}");
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

    let out = lockkeeper(&["check", "pipeline", "--output", "sarif", &file]);
    assert_eq!(code(&out), Some(1));
    let log: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    assert_eq!(log["version"], "2.1.0");
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "pipeline/tainted-input");
    assert_eq!(result["level"], "error");
    let place = &result["locations"][0]["physicalLocation"];
    assert_eq!(place["artifactLocation"]["uri"], file.as_str());
    assert_eq!(place["region"]["startLine"], 9);
    let out = lockkeeper(&["check", "pipeline", "--output", "xml", &file]);
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
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

/// A Zuul v2 layout and the Jenkins Job Builder file defining its jobs, both auto-detected, are
/// read as one set: the credential a `check` job binds is reported by job and credential.
#[test]
fn check_pipeline_reads_a_zuul_v2_layout_with_its_jjb_files() {
    let layout = temp_file(
        "v2-jjb-layout.yaml",
        "pipelines:\n  - name: check\n    trigger:\n      gerrit:\n        - event: patchset-created\nprojects:\n  - name: org/app\n    check: [app-lint]\n",
    );
    let jjb = temp_file(
        "v2-jjb-jobs.yaml",
        "- job-template:\n    name: '{name}-lint'\n    wrappers:\n      - credentials-binding:\n          - file: {credential-id: sonar-token, variable: T}\n    builders:\n      - shell: make lint\n- project: {name: app, jobs: ['{name}-lint']}\n",
    );
    let out = lockkeeper(&["check", "pipeline", "--json", &layout, &jjb]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    let found: Vec<(String, String)> = v["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            (
                x["code"].as_str().unwrap_or_default().to_owned(),
                x["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        found.iter().any(|(c, m)| c == "pipeline/secret-not-allowed"
            && m.contains("org/app check: app-lint")
            && m.contains("sonar-token")),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(c, _)| c.starts_with("import/")),
        "{found:?}"
    );
    // Without the JJB file the job is not read: incomplete, never a pass.
    let out = lockkeeper(&["check", "pipeline", "--json", &layout]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("import/incomplete"),
        "{}",
        stdout(&out)
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
    // Not YAML at all (a plain scalar may not hold `: `): the syntax error is the answer.
    let broken = temp_file(
        "dispatch.yml",
        "on: pull_request_target\njobs:\n  a:\n    if: github.event.label.name == 'Trigger: x'\n",
    );
    let out = lockkeeper(&["check", "pipeline", &broken]);
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains(":4:") && stderr(&out).contains("error[import/syntax]"),
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

#[test]
fn the_argo_gate_example_passes_lockkeepers_own_pipeline_checks() {
    let path = root().join("examples/argo/deploy-gate.yaml");
    let out = lockkeeper(&["check", "pipeline", &path.to_string_lossy()]);
    assert_eq!(code(&out), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).starts_with("CLEAN pipeline"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_pipeline_fails_on_an_incomplete_reading_unless_allowed() {
    let fragment = temp_file("fragment.gitlab-ci.yml", ".build:\n  script: [make]\n");
    let out = lockkeeper(&["check", "pipeline", "--format", "gitlab", &fragment]);
    assert_eq!(code(&out), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("import/incomplete"),
        "{}",
        stdout(&out)
    );
    let out = lockkeeper(&[
        "check",
        "pipeline",
        "--format",
        "gitlab",
        "--allow-incomplete",
        &fragment,
    ]);
    assert_eq!(code(&out), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("incomplete, accepted"),
        "{}",
        stdout(&out)
    );
    let unsupported = pipeline_example("gitlab/unsupported.gitlab-ci.yml");
    let out = lockkeeper(&["check", "pipeline", "--json", &unsupported]);
    assert_eq!(code(&out), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("\"import/incomplete\""));
}

#[test]
fn check_pipeline_reads_gitlab_includes_from_an_include_dir() {
    let main = temp_file(
        "inc-main.gitlab-ci.yml",
        "include:\n  - project: group/ci\n    file: /build.yml\ntest:\n  extends: .build\n",
    );
    let out = lockkeeper(&["check", "pipeline", &main]);
    assert_eq!(code(&out), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("--include-dir"), "{}", stdout(&out));
    let dir = std::env::temp_dir().join(format!("lockkeeper-inc-{}", std::process::id()));
    let ci = dir.join("group/ci");
    if let Err(e) = std::fs::create_dir_all(&ci)
        .and_then(|()| std::fs::write(ci.join("build.yml"), ".build:\n  script: [make]\n"))
    {
        panic!("cannot write the include dir: {e}");
    }
    let dir = dir.to_string_lossy().into_owned();
    let out = lockkeeper(&["check", "pipeline", "--include-dir", &dir, &main]);
    assert_eq!(code(&out), Some(0), "{}", stdout(&out));
}

#[test]
fn check_pipeline_interpolates_component_inputs_from_an_include_dir() {
    let main = temp_file(
        "comp-main.gitlab-ci.yml",
        "include:\n  - component: gitlab.example.com/ci/npm/publish@1.0\n    inputs: {stage: deploy}\nstages: [deploy]\n",
    );
    let dir = std::env::temp_dir().join(format!("lockkeeper-comp-{}", std::process::id()));
    let templates = dir.join("gitlab.example.com/ci/npm/templates");
    let component = "spec:\n  inputs:\n    stage: {default: test}\n    job: {default: publish}\n---\n$[[ inputs.job ]]:\n  stage: $[[ inputs.stage ]]\n  script: [npm publish]\n";
    if let Err(e) = std::fs::create_dir_all(&templates)
        .and_then(|()| std::fs::write(templates.join("publish.yml"), component))
    {
        panic!("cannot write the include dir: {e}");
    }
    let dir = dir.to_string_lossy().into_owned();
    let out = lockkeeper(&[
        "check",
        "pipeline",
        "--format",
        "gitlab",
        "--include-dir",
        &dir,
        // The finding it is expected to show, a build that publishes, is a design lint.
        "--persona",
        "pedantic",
        &main,
    ]);
    // The component's job, named and staged from its inputs, is read and checked.
    let text = stdout(&out);
    assert!(text.contains("job `publish ["), "{text}");
    assert!(!text.contains("import/incomplete"), "{text}");
}

/// A reader that goes away (`| head -0`) ends the CLI quietly with SIGPIPE's status (141, never
/// 0), not with a panic; a reader that stays gets the whole report.
#[test]
fn a_closed_stdout_is_not_a_panic() -> Result<(), Box<dyn std::error::Error>> {
    use std::process::{Command, Stdio};
    let file = common::path("examples/pipelines/native/violations.yaml");
    // A decision, and generated text (the completions), go through the same writer.
    for args in [
        &["check", "pipeline", "--persona", "auditor", file.as_str()][..],
        &["completions", "bash"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lockkeeper"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        // Close the reading end before the report is written.
        drop(child.stdout.take());
        let out = child.wait_with_output()?;
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(141), "{args:?}: {err}");
    }
    let open = lockkeeper(&["check", "pipeline", "--persona", "auditor", &file]);
    assert_eq!(open.status.code(), Some(1));
    assert!(stdout(&open).contains("violations"), "{}", stdout(&open));
    Ok(())
}
