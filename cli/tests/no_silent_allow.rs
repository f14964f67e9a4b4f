//! Requests that look like they ask something but would be answered about something else are
//! refused (exit 2), never decided: a misspelt environment, a misspelt approval key, a record
//! that would be written unsigned. Evidence the gate did not use is named by its path.

mod common;

use std::process::Output;

use common::{TestResult, lockkeeper, path, stderr, stdout};

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

/// A fresh directory for one test's files.
fn scratch(test: &str) -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "lockkeeper-cli-silent-{}-{test}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[test]
fn authorize_refuses_an_environment_the_policy_does_not_define() {
    let policy = path("examples/wikimedia/policy.yaml");
    for principal in ["dave", "alice"] {
        let out = lockkeeper(&[
            "authorize",
            "--policy",
            &policy,
            "--principal",
            principal,
            "--action",
            "deploy",
            "--project",
            "mediawiki/core",
            "--environment",
            "prodution",
        ]);
        assert_eq!(code(&out), Some(2), "{}", stdout(&out));
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
        let err = stderr(&out);
        assert!(err.contains("error[rbac/unknown-environment]"), "{err}");
        assert!(err.contains("`prodution`"), "{err}");
        assert!(err.contains("production, staging, testing"), "{err}");
    }
    let out = lockkeeper(&[
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
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
}

#[test]
fn approvals_refuse_an_environment_the_policy_does_not_define() {
    let policy = path("examples/wikimedia/policy.yaml");
    let ask = |environment: &str| {
        lockkeeper(&[
            "approvals",
            "--policy",
            &policy,
            "--project",
            "mediawiki/core",
            "--environment",
            environment,
            "--required",
            "1",
            "--approval",
            "bob",
        ])
    };
    let out = ask("prodution");
    assert_eq!(code(&out), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("error[rbac/unknown-environment]"));
    let out = ask("production");
    assert_eq!(code(&out), Some(0), "{}", stdout(&out));
}

const ARTIFACT: &str = "sha256:d4f8968f9598a92443ed10908fd854db3399e3c58a0d5f7a61039f14cf52b808";

/// `promote` to production as the shared promotion cases do (allowed with these approvals),
/// plus `extra` arguments.
fn promote(approvals: &str, extra: &[&str]) -> Output {
    let policy = path("core/tests/cases/policies/promotion.yaml");
    let build = path("core/tests/cases/envelopes/promo-build.json");
    let staging = path("core/tests/cases/envelopes/promo-in-staging.json");
    let mut args = vec![
        "promote",
        "--policy",
        &policy,
        "--artifact",
        ARTIFACT,
        "--to",
        "production",
        "--by",
        "alice",
        "--version",
        "1.4.2",
        "--at",
        "2026-11-24T10:00:00Z",
        "--approvals",
        approvals,
        "--evidence",
        &build,
        &staging,
    ];
    args.extend_from_slice(extra);
    lockkeeper(&args)
}

fn approvals_file(dir: &std::path::Path, name: &str, json: &str) -> std::io::Result<String> {
    let file = dir.join(name);
    std::fs::write(&file, json)?;
    Ok(file.to_string_lossy().into_owned())
}

#[test]
fn an_approvals_file_with_an_unknown_key_is_refused() -> TestResult {
    let dir = scratch("approvals")?;
    let good = approvals_file(
        &dir,
        "good.json",
        r#"[{"principal": "bob", "at": "2026-11-23T10:00:00Z"}, {"principal": "carol", "at": "2026-11-23T10:00:00Z"}]"#,
    )?;
    let out = promote(&good, &[]);
    assert_eq!(code(&out), Some(0), "{}{}", stdout(&out), stderr(&out));

    // `when` for `at` would drop the time, and with it the approvals' max_age check.
    let misspelt = approvals_file(
        &dir,
        "misspelt.json",
        r#"[{"principal": "bob", "when": "2026-11-23T10:00:00Z"}, {"principal": "carol", "at": "2026-11-23T10:00:00Z"}]"#,
    )?;
    let out = promote(&misspelt, &[]);
    assert_eq!(code(&out), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("approval 0 has the unknown key `when` (known: principal, at)"),
        "{err}"
    );

    for (name, json, says) in [
        (
            "not-object.json",
            r#"["bob"]"#,
            "approval 0 is not an object",
        ),
        (
            "no-principal.json",
            r#"[{"at": "2026-11-23T10:00:00Z"}]"#,
            "no `principal`",
        ),
        (
            "number-at.json",
            r#"[{"principal": "bob", "at": 1764000000}]"#,
            "`at` is 1764000000",
        ),
        (
            "bad-at.json",
            r#"[{"principal": "bob", "at": "noon"}]"#,
            "error[input/invalid-time]",
        ),
    ] {
        let out = promote(&approvals_file(&dir, name, json)?, &[]);
        assert_eq!(code(&out), Some(2), "{name}: {}", stdout(&out));
        assert!(stderr(&out).contains(says), "{name}: {}", stderr(&out));
    }
    Ok(())
}

#[test]
fn record_and_sign_with_go_together() -> TestResult {
    let dir = scratch("record")?;
    let approvals = approvals_file(
        &dir,
        "approvals.json",
        r#"[{"principal": "bob", "at": "2026-11-23T10:00:00Z"}, {"principal": "carol", "at": "2026-11-23T10:00:00Z"}]"#,
    )?;
    let record = dir.join("record.json").to_string_lossy().into_owned();
    let key = path("core/tests/cases/keys/deploy.TEST-ONLY.key");

    let out = promote(&approvals, &["--record", &record]);
    assert_eq!(code(&out), Some(2), "{}", stdout(&out));
    assert!(
        stdout(&out).is_empty(),
        "nothing is decided: {}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("--record needs --sign-with"),
        "{}",
        stderr(&out)
    );
    assert!(
        !std::path::Path::new(&record).exists(),
        "no unsigned record"
    );

    let out = promote(&approvals, &["--sign-with", &key]);
    assert_eq!(code(&out), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("--sign-with needs --record"),
        "{}",
        stderr(&out)
    );

    let out = promote(&approvals, &["--record", &record, "--sign-with", &key]);
    assert_eq!(code(&out), Some(0), "{}{}", stdout(&out), stderr(&out));
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&record)?)?;
    assert!(
        written["signatures"]
            .as_array()
            .is_some_and(|s| s.len() == 1),
        "{written}"
    );
    Ok(())
}

#[test]
fn ignored_evidence_is_named_by_its_path_on_allow_and_on_deny() -> TestResult {
    let dir = scratch("ignored")?;
    let approvals = approvals_file(
        &dir,
        "approvals.json",
        r#"[{"principal": "bob", "at": "2026-11-23T10:00:00Z"}, {"principal": "carol", "at": "2026-11-23T10:00:00Z"}]"#,
    )?;
    let junk = path("core/tests/cases/envelopes/not-an-envelope.json");
    let untrusted = path("core/tests/cases/envelopes/untrusted-key.json");

    // Allowed, and still says which files it did not use.
    let out = promote(&approvals, &["--evidence", &junk, &untrusted]);
    assert_eq!(code(&out), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("ALLOW"), "{text}");
    assert!(
        text.contains(&format!("evidence ignored: {junk}: ")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "evidence ignored: {untrusted}: no signature by a key the policy trusts"
        )),
        "{text}"
    );

    let out = promote(&approvals, &["--evidence", &junk, &untrusted, "--json"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out))?;
    assert_eq!(v["allowed"], true);
    assert_eq!(v["evidence_ignored"][0]["evidence"], junk.as_str());
    assert_eq!(v["evidence_ignored"][1]["evidence"], untrusted.as_str());
    assert_eq!(
        v["evidence_ignored"][1]["why"],
        "no signature by a key the policy trusts"
    );

    // Denied (no approvals): the violations' facts name the files too.
    let none = approvals_file(&dir, "none.json", "[]")?;
    let out = promote(&none, &["--evidence", &junk, "--json"]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out))?;
    assert_eq!(v["evidence_ignored"][0]["evidence"], junk.as_str());
    assert_eq!(
        v["violations"][0]["facts"]["evidence_ignored"][0]["evidence"],
        junk.as_str()
    );
    Ok(())
}

#[test]
fn a_decision_time_that_is_not_rfc_3339_is_refused() {
    let policy = path("core/tests/cases/policies/promotion.yaml");
    let out = lockkeeper(&[
        "promote",
        "--policy",
        &policy,
        "--artifact",
        ARTIFACT,
        "--to",
        "staging",
        "--by",
        "alice",
        "--at",
        "yesterday",
    ]);
    assert_eq!(code(&out), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("error[input/invalid-time]: `yesterday` is not an RFC 3339 time"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn without_at_the_gate_decides_now_and_a_bad_version_is_refused_before_it() -> TestResult {
    let policy = path("core/tests/cases/policies/promotion.yaml");
    let build = path("core/tests/cases/envelopes/promo-build.json");
    let ask = |extra: &[&str]| {
        let mut args = vec![
            "promote",
            "--policy",
            &policy,
            "--artifact",
            ARTIFACT,
            "--to",
            "testing",
            "--by",
            "alice",
            "--evidence",
            &build,
            "--json",
        ];
        args.extend_from_slice(extra);
        lockkeeper(&args)
    };
    let before = jiff::Timestamp::now();
    let out = ask(&[]);
    let after = jiff::Timestamp::now();
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out))?;
    let decided: jiff::Timestamp = v["decided_at"].as_str().ok_or("no decided_at")?.parse()?;
    assert!(before <= decided && decided <= after, "{decided}");

    let out = ask(&["--version", "1.x"]);
    assert_eq!(code(&out), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("input/invalid-version"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "nothing was decided");
    Ok(())
}
