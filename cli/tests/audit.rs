//! `lockkeeper audit`: appending, verifying and checkpointing a log through the CLI, with its
//! exit codes, and appends from concurrent processes.

mod common;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::{TestResult, lockkeeper_with_input as lockkeeper, text};

/// A fresh directory with a service key pair `svc.key` / `svc.pub`.
fn workdir(name: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!(
        "lockkeeper-cli-audit-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let out = lockkeeper(
        &["keygen", "--out", &dir.join("svc").to_string_lossy()],
        None,
    )?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    Ok(dir)
}

fn p(dir: &std::path::Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

#[test]
fn append_verify_checkpoint_and_truncation() -> TestResult {
    let dir = workdir("basic")?;
    let (log, key, public, cp) = (
        p(&dir, "audit.jsonl"),
        p(&dir, "svc.key"),
        p(&dir, "svc.pub"),
        p(&dir, "cp.json"),
    );
    for i in 1..=3 {
        let out = lockkeeper(
            &["audit", "append", "--log", &log, "--key", &key],
            Some(&format!("{{\"allowed\": true, \"i\": {i}}}")),
        )?;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let (seq, hash) = stdout.trim().split_once(' ').ok_or("no seq and hash")?;
        assert_eq!(seq, i.to_string());
        assert!(hash.starts_with("sha256:") && hash.len() == 71, "{hash}");
    }
    let out = lockkeeper(
        &["audit", "append", "--log", &log, "--key", &key, "--json"],
        Some("{\"allowed\": false}"),
    )?;
    let appended: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(appended["seq"], 4);

    let out = lockkeeper(
        &[
            "audit",
            "checkpoint",
            "--log",
            &log,
            "--key",
            &key,
            "--out",
            &cp,
        ],
        None,
    )?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let checkpoint: serde_json::Value = serde_json::from_slice(&std::fs::read(&cp)?)?;
    assert_eq!(checkpoint["count"], 4);
    assert_eq!(checkpoint["head"], appended["hash"]);

    let verify = |log: &str| {
        lockkeeper(
            &[
                "audit",
                "verify",
                "--log",
                log,
                "--pub",
                &public,
                "--checkpoint",
                &cp,
                "--json",
            ],
            None,
        )
    };
    let out = verify(&log)?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(d["allowed"], true);

    // Cut the last entry: only the checkpoint shows it.
    let full = std::fs::read_to_string(&log)?;
    let short = p(&dir, "short.jsonl");
    std::fs::write(
        &short,
        full.lines()
            .take(3)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )?;
    let out = verify(&short)?;
    assert_eq!(out.status.code(), Some(1));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(d["violations"][0]["code"], "audit/truncated");

    // Edit a record: broken chain at that line, in the text form too.
    let edited = p(&dir, "edited.jsonl");
    std::fs::write(&edited, full.replacen("\"i\":2", "\"i\":5", 1))?;
    let out = lockkeeper(
        &["audit", "verify", "--log", &edited, "--pub", &public],
        None,
    )?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout)
            .contains("error[audit/broken-chain]: line 2 (seq 2): its content was altered"),
        "{}",
        text(&out.stdout)
    );
    // And no checkpoint is made of it.
    let out = lockkeeper(
        &["audit", "checkpoint", "--log", &edited, "--key", &key],
        None,
    )?;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("audit/broken-chain"));
    Ok(())
}

#[test]
fn a_torn_tail_is_reported_and_refused_and_nothing_is_lost() -> TestResult {
    let dir = workdir("torn")?;
    let (log, key, public) = (
        p(&dir, "audit.jsonl"),
        p(&dir, "svc.key"),
        p(&dir, "svc.pub"),
    );
    for _ in 0..2 {
        let out = lockkeeper(
            &["audit", "append", "--log", &log, "--key", &key],
            Some("{}"),
        )?;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let mut torn = std::fs::read(&log)?;
    torn.extend_from_slice(b"{\"hash\":\"sha256:12");
    std::fs::write(&log, &torn)?;

    let out = lockkeeper(
        &["audit", "append", "--log", &log, "--key", &key],
        Some("{}"),
    )?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error[audit/torn-entry]"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&log)?,
        torn,
        "the refused append changed the log"
    );

    let out = lockkeeper(
        &["audit", "verify", "--log", &log, "--pub", &public, "--json"],
        None,
    )?;
    assert_eq!(out.status.code(), Some(1));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(d["violations"].as_array().map(Vec::len), Some(1));
    assert_eq!(d["violations"][0]["code"], "audit/torn-entry");
    assert_eq!(d["violations"][0]["facts"]["line"], 3);
    Ok(())
}

#[test]
fn bad_input_exits_2() -> TestResult {
    let dir = workdir("input")?;
    let (log, key, public) = (
        p(&dir, "audit.jsonl"),
        p(&dir, "svc.key"),
        p(&dir, "svc.pub"),
    );
    for (record, code) in [
        ("[1, 2]", "input/malformed-audit-record"),
        ("{\"a\": 1, \"a\": 2}", "input/malformed-audit-record"),
        ("{} {}", "input/malformed-audit-record"),
    ] {
        let out = lockkeeper(
            &["audit", "append", "--log", &log, "--key", &key],
            Some(record),
        )?;
        assert_eq!(out.status.code(), Some(2), "{record}");
        assert!(
            text(&out.stderr).starts_with(&format!("error[{code}]")),
            "{}",
            text(&out.stderr)
        );
    }
    let out = lockkeeper(
        &["audit", "append", "--log", &log, "--key", &public],
        Some("{}"),
    )?;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("input/invalid-key"));
    let out = lockkeeper(
        &[
            "audit",
            "verify",
            "--log",
            &p(&dir, "missing.jsonl"),
            "--pub",
            &public,
        ],
        None,
    )?;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read"));
    let out = lockkeeper(
        &[
            "audit",
            "verify",
            "--log",
            &log,
            "--pub",
            &public,
            "--checkpoint",
            &public,
        ],
        None,
    )?;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error[input/malformed-checkpoint]"));
    Ok(())
}

#[test]
fn a_log_is_verified_with_the_key_that_wrote_it() -> TestResult {
    let dir = workdir("keys")?;
    let (log, key) = (p(&dir, "audit.jsonl"), p(&dir, "svc.key"));
    let out = lockkeeper(
        &["audit", "append", "--log", &log, "--key", &key],
        Some("{}"),
    )?;
    assert_eq!(out.status.code(), Some(0));
    let other = p(&dir, "other");
    lockkeeper(&["keygen", "--out", &other], None)?;
    let out = lockkeeper(
        &[
            "audit",
            "verify",
            "--log",
            &log,
            "--pub",
            &format!("{other}.pub"),
        ],
        None,
    )?;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("error[audit/bad-signature]"));
    // Appending with another key is refused: the log would no longer verify under one key.
    let out = lockkeeper(
        &[
            "audit",
            "append",
            "--log",
            &log,
            "--key",
            &format!("{other}.key"),
        ],
        Some("{}"),
    )?;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error[audit/bad-signature]"));
    Ok(())
}

#[test]
fn concurrent_appends_queue_on_the_lock_and_keep_the_chain() -> TestResult {
    let dir = workdir("concurrent")?;
    let (log, key, public) = (
        p(&dir, "audit.jsonl"),
        p(&dir, "svc.key"),
        p(&dir, "svc.pub"),
    );
    let writers = 8;
    let children = (0..writers)
        .map(|i| {
            let mut child = Command::new(env!("CARGO_BIN_EXE_lockkeeper"))
                .args(["audit", "append", "--log", &log, "--key", &key])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()?;
            if let Some(mut input) = child.stdin.take() {
                input.write_all(format!("{{\"writer\": {i}}}").as_bytes())?;
            }
            Ok(child)
        })
        .collect::<Result<Vec<_>, std::io::Error>>()?;
    let mut seqs = Vec::new();
    for child in children {
        let out = child.wait_with_output()?;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        seqs.push(
            text(&out.stdout)
                .split(' ')
                .next()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    seqs.sort_by_key(|s| s.parse::<u32>().unwrap_or(0));
    assert_eq!(
        seqs,
        (1..=writers).map(|i| i.to_string()).collect::<Vec<_>>()
    );
    let out = lockkeeper(&["audit", "verify", "--log", &log, "--pub", &public], None)?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains(&format!("audit log of {writers} entries")));
    Ok(())
}
