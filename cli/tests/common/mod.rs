//! What the CLI's test files share: finding the repository, running the built binary and
//! reading what it printed. Each test file uses part of it.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A path under the repository root, as an argument.
pub fn path(rel: &str) -> String {
    root().join(rel).to_string_lossy().into_owned()
}

/// Runs the CLI with no input.
pub fn lockkeeper(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_lockkeeper"))
        .args(args)
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("cannot run lockkeeper: {e}"),
    }
}

/// Runs the CLI with `stdin` as its input.
pub fn lockkeeper_with_input(args: &[&str], stdin: Option<&str>) -> std::io::Result<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockkeeper"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut input) = child.stdin.take() {
        // A command that refuses its arguments (a public key given to sign with) exits before
        // reading its input; the closed pipe is then part of what is tested, not a failure.
        match input.write_all(stdin.unwrap_or_default().as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other?,
        }
    }
    child.wait_with_output()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn stdout(out: &Output) -> String {
    text(&out.stdout)
}

pub fn stderr(out: &Output) -> String {
    text(&out.stderr)
}
