//! Requests that look like they ask something but would be answered about something else are
//! refused (exit 2), never decided: a misspelt environment, a misspelt approval key, a record
//! that would be written unsigned. Evidence the gate did not use is named by its path.

mod common;

use std::process::Output;

use common::{lockkeeper, path, stderr, stdout};

fn code(out: &Output) -> Option<i32> {
    out.status.code()
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
