//! `check repo [DIR]` and `check pipeline DIR`: a repository's pipeline files found and checked
//! together, built in temporary directories from the example repository and the labeled corpus.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{TestResult, lockkeeper, root, stderr, stdout};
use serde_json::Value;

/// The vulnerable workflow of the labeled corpus whose labeled job is `quality` (pwn request).
const PWN: &str = "testdata/fixtures/realworld/github/avelino__awesome-go__.github__workflows__pr-quality-check@470fa15543.yaml";
/// Its fixed twin.
const FIXED: &str = "testdata/fixtures/realworld/github/avelino__awesome-go__.github__workflows__pr-quality-check@24273bf86b.yaml";

/// A fresh directory holding `files` (`(path in the repository, source under the clone)`).
fn repo(name: &str, files: &[(&str, &str)]) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let dir =
        std::env::temp_dir().join(format!("lockkeeper-cli-repo-{}-{name}", std::process::id()));
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    fs::create_dir_all(&dir)?;
    for (to, from) in files {
        let to = dir.join(to);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::copy(root().join(from), to)?;
    }
    Ok(dir)
}

/// The example repository (examples/repo) plus the corpus's pwn request, copied.
fn vulnerable() -> Result<PathBuf, Box<dyn std::error::Error>> {
    let ex = "examples/repo/.github";
    repo(
        "vulnerable",
        &[
            (
                ".github/workflows/pr.yml",
                &format!("{ex}/workflows/pr.yml"),
            ),
            (
                ".github/workflows/build.yml",
                &format!("{ex}/workflows/build.yml"),
            ),
            (
                ".github/workflows/release.yml",
                &format!("{ex}/workflows/release.yml"),
            ),
            (
                ".github/actions/setup/action.yml",
                &format!("{ex}/actions/setup/action.yml"),
            ),
            (".github/workflows/pr-quality-check.yaml", PWN),
        ],
    )
}

fn arg(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `(file, job, code)` of each violation of a JSON decision, files relative to `dir`.
fn findings(json: &Value, dir: &str) -> Vec<(String, String, String)> {
    json["violations"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|v| {
            let s = |k: &str| v["facts"][k].as_str().unwrap_or_default().to_owned();
            (
                s("file")
                    .trim_start_matches(dir)
                    .trim_start_matches('/')
                    .to_owned(),
                s("job"),
                v["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_repository_is_checked_as_one_set_with_its_local_actions_and_reusable_workflows() -> TestResult
{
    let dir = vulnerable()?;
    let d = arg(&dir);
    let out = lockkeeper(&["check", "repo", &d, "--output", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out))?;
    assert_eq!(json["allowed"], false);
    assert_eq!(json["files"].as_array().map(Vec::len), Some(5));
    assert_eq!(json["skipped"], serde_json::json!([]));
    let found = findings(&json, &d);
    let has = |file: &str, job: &str, code: &str| {
        found
            .iter()
            .any(|(f, j, c)| f == file && j == job && c == code)
    };
    // The pwn request of the corpus, named at its labeled job.
    assert!(
        found
            .iter()
            .any(|(f, j, _)| f == ".github/workflows/pr-quality-check.yaml" && j == "quality"),
        "{found:?}"
    );
    // The cache the local composite action writes under pull_request_target reaches the
    // release: only visible when the action is read with the workflows.
    assert!(
        has(
            ".github/workflows/release.yml",
            "publish",
            "pipeline/tainted-input"
        ),
        "{found:?}"
    );
    // The reusable workflow, called with `./` from a privileged event, runs the PR's code.
    assert!(
        has(
            ".github/workflows/build.yml",
            "build",
            "pipeline/tainted-input"
        ),
        "{found:?}"
    );

    // Without the action, the same workflows given as files miss the cache.
    let workflows: Vec<String> = ["pr.yml", "build.yml", "release.yml"]
        .iter()
        .map(|w| arg(&dir.join(".github/workflows").join(w)))
        .collect();
    let mut args = vec!["check", "pipeline", "--output", "json"];
    args.extend(workflows.iter().map(String::as_str));
    let files = lockkeeper(&args);
    let json: Value = serde_json::from_str(&stdout(&files))?;
    assert!(!findings(&json, &d).iter().any(|(_, j, _)| j == "publish"));

    // `check pipeline DIR` is the same check; text names file and job; SARIF has locations.
    let text = lockkeeper(&["check", "pipeline", &d]);
    assert_eq!(text.status.code(), Some(1));
    assert!(
        stdout(&text).contains(&format!(
            "{d}/.github/workflows/release.yml:10: error[pipeline/tainted-input] job `publish`"
        )),
        "{}",
        stdout(&text)
    );
    let sarif: Value = serde_json::from_str(&stdout(&lockkeeper(&[
        "check", "repo", &d, "--output", "sarif",
    ])))?;
    let uris: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(
        uris.iter()
            .any(|u| u.ends_with(".github/workflows/release.yml")),
        "{uris:?}"
    );
    fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn an_empty_repository_fails_and_a_clean_one_passes() -> TestResult {
    let empty = repo("empty", &[])?;
    let out = lockkeeper(&["check", "repo", &arg(&empty)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("import/incomplete"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("no pipeline file was found"));
    // Accepted, the gap stays in the subject.
    let accepted = lockkeeper(&["check", "repo", &arg(&empty), "--allow-incomplete"]);
    assert_eq!(accepted.status.code(), Some(0));
    assert!(stdout(&accepted).contains("incomplete, accepted"));

    let clean = repo(
        "clean",
        &[(".github/workflows/pr-quality-check.yaml", FIXED)],
    )?;
    let out = lockkeeper(&["check", "repo", &arg(&clean)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).starts_with("CLEAN repository"));

    // A directory among other arguments, or not a directory at all, is a usage error.
    let mixed = lockkeeper(&["check", "pipeline", &arg(&clean), PWN]);
    assert_eq!(mixed.status.code(), Some(2));
    assert!(stderr(&mixed).contains("is a directory"));
    let missing = lockkeeper(&["check", "repo", &arg(&clean.join("nope"))]);
    assert_eq!(missing.status.code(), Some(2));
    for d in [empty, clean] {
        fs::remove_dir_all(d)?;
    }
    Ok(())
}

#[test]
fn a_missing_local_action_or_a_broken_workflow_is_reported_at_its_file() -> TestResult {
    let dir = repo(
        "broken",
        &[(
            ".github/workflows/pr.yml",
            "examples/repo/.github/workflows/pr.yml",
        )],
    )?;
    fs::write(dir.join(".github/workflows/bad.yml"), "on: [push\n")?;
    let d = arg(&dir);
    let out = lockkeeper(&["check", "repo", &d, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_str(&stdout(&out))?;
    let found = findings(&json, &d);
    assert!(
        found
            .iter()
            .any(|(f, _, c)| f == ".github/workflows/bad.yml" && c == "import/syntax"),
        "{found:?}"
    );
    // `./.github/actions/setup` and `./.github/workflows/build.yml` are not there.
    let skipped: Vec<&str> = json["skipped"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s["path"].as_str())
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(
        found
            .iter()
            .filter(|(_, _, c)| c == "import/incomplete")
            .count()
            >= 2
    );
    fs::remove_dir_all(&dir)?;
    Ok(())
}

/// Copies the files under `from` (a directory of the corpus) into `to`, keeping their paths.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

#[test]
fn each_format_of_a_repository_is_its_own_set() -> TestResult {
    // cryptsetup's GitLab CI with its `.gitlab/ci/` includes, kolla's `zuul.d/` (with a
    // subdirectory), and an Argo Events sensor of the corpus (labeled job `process-emoji`).
    let dir = repo(
        "formats",
        &[(
            "deploy/sensor.yaml",
            "testdata/fixtures/realworld/argo/argoproj__argo-events__examples__sensors__gitlab-emoji.yaml",
        )],
    )?;
    let corpus = root().join("testdata/fixtures/realworld");
    copy_tree(&corpus.join("gitlab/mbroz__cryptsetup"), &dir)?;
    fs::create_dir_all(dir.join("zuul.d"))?;
    copy_tree(
        &corpus.join("zuul/openstack__kolla/zuul.d"),
        &dir.join("zuul.d"),
    )?;
    let d = arg(&dir);
    let out = lockkeeper(&["check", "repo", &d, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_str(&stdout(&out))?;
    let subject = json["subject"].as_str().unwrap_or_default();
    assert!(
        subject.starts_with(&format!(
            "repository {d}: gitlab (15 files), zuul (10 files), argo (1 file)"
        )),
        "{subject}"
    );
    let found = findings(&json, &d);
    assert!(
        found.iter().any(|(f, j, c)| f == "deploy/sensor.yaml"
            && j == "process-emoji"
            && c == "pipeline/tainted-input"),
        "{found:?}"
    );
    // The includes in the repository were read with `.gitlab-ci.yml`; the one the corpus does
    // not hold (cifuzz.yml) is named.
    let gitlab_gaps: Vec<&Value> = json["violations"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|v| {
            v["code"] == "import/incomplete"
                && v["facts"]["file"]
                    .as_str()
                    .is_some_and(|f| f.contains(".gitlab"))
        })
        .collect();
    assert_eq!(gitlab_gaps.len(), 1, "{gitlab_gaps:?}");
    assert!(
        gitlab_gaps[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("cifuzz.yml"))
    );
    // Accepting the gaps leaves the Argo finding.
    let accepted = lockkeeper(&["check", "repo", &d, "--allow-incomplete"]);
    assert_eq!(accepted.status.code(), Some(1));
    assert!(stdout(&accepted).contains("incomplete, accepted"));
    assert!(!stdout(&accepted).contains("error[import/"));
    fs::remove_dir_all(&dir)?;
    Ok(())
}
