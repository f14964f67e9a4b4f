//! What a shell user gets besides the commands: the version with its commit, completion scripts
//! and the man page, all generated from the parser itself.

mod common;

use common::{TestResult, lockkeeper, stdout};

#[test]
fn version_names_the_release_and_the_commit() -> TestResult {
    let out = lockkeeper(&["--version"]);
    assert!(out.status.success());
    let line = stdout(&out);
    let expected = format!("lockkeeper {} (", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&expected), "{line}");
    // A commit id (12 hex digits, maybe marked dirty), or `unknown` outside a git checkout.
    let commit = line
        .trim_end()
        .trim_start_matches(&expected)
        .trim_end_matches(')')
        .trim_end_matches("-dirty");
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "commit part: {commit:?}"
    );
    Ok(())
}

#[test]
fn completions_cover_every_shell_and_every_command() -> TestResult {
    for (shell, marker) in [
        ("bash", "complete -F _lockkeeper"),
        ("zsh", "#compdef lockkeeper"),
        ("fish", "complete -c lockkeeper"),
    ] {
        let out = lockkeeper(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        for command in [
            "authorize",
            "promote",
            "deploy-request",
            "check",
            "audit",
            "completions",
        ] {
            assert!(
                script.contains(command),
                "{shell}: `{command}` is not completed"
            );
        }
    }
    let out = lockkeeper(&["completions", "powershell-ish"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
    Ok(())
}

#[test]
fn the_man_page_is_roff_with_every_command() -> TestResult {
    let out = lockkeeper(&["manpage"]);
    assert!(out.status.success());
    let page = stdout(&out);
    assert!(page.contains(".TH lockkeeper 1"), "{page}");
    assert!(page.contains(env!("CARGO_PKG_VERSION")));
    // roff escapes the hyphens of the names it lists.
    for command in ["authorize", "deploy\\-request", "audit", "manpage"] {
        assert!(page.contains(command), "the man page misses `{command}`");
    }
    Ok(())
}

#[test]
fn man_pages_for_every_command_go_into_a_directory() -> TestResult {
    let dir = std::env::temp_dir().join(format!("lockkeeper-man-{}", std::process::id()));
    let out = lockkeeper(&["manpage", "--dir", &dir.to_string_lossy()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    for page in [
        "lockkeeper.1",
        "lockkeeper-authorize.1",
        "lockkeeper-deploy-request.1",
        "lockkeeper-audit-verify.1",
    ] {
        let text = std::fs::read_to_string(dir.join(page))?;
        assert!(text.starts_with(".ie"), "{page} is not roff");
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
