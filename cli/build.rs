//! Records the git commit the binary is built from, for `lockkeeper --version`: a release
//! engineer reading a decision log needs to know exactly which build decided.
//!
//! `LOCKKEEPER_GIT_COMMIT` wins (a packager building from a tarball sets it); otherwise git is
//! asked; without either the commit is `unknown`, never a guess.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=LOCKKEEPER_GIT_COMMIT");
    let commit = std::env::var("LOCKKEEPER_GIT_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=LOCKKEEPER_GIT_COMMIT={}", commit.trim());
}

fn git_commit() -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let head = git(&["rev-parse", "--short=12", "HEAD"])?;
    // Rebuild when HEAD moves (a commit, a checkout), so the recorded commit is never stale.
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={dir}/{reference}");
        }
    }
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}
