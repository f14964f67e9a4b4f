//! A repository as input: every pipeline file a repository holds, checked as the platform
//! runs them together.
//!
//! The core reads no files. A front end walks the repository (the `lockkeeper-fs` crate does it
//! for the CLI and both bindings), using the rules here to say which paths are pipeline files
//! ([`pipeline_path`], [`argo_manifest`]) and which files those name ([`references`]), and hands
//! over a [`Repository`]: the files it read, each with the format it was found as, and what it
//! could not read. [`crate::Policy::check_repository`] then checks each format's files as one
//! set (so a GitHub caller resolves its `./` reusable workflows and local composite actions)
//! and returns one decision whose findings name their file, line and job.

use std::collections::BTreeSet;

use globset::Glob;
use serde_json::json;

use crate::decision::{Decision, Facts, Violation};
use crate::import::{PipelineFormat, SourceFile, github, gitlab};
use crate::pipeline::{CheckOptions, Pipeline};
use crate::policy::Policy;
use crate::rule::codes;

/// One file of a repository, as discovery read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoFile {
    /// Its path relative to the repository root, `/`-separated (`.github/workflows/ci.yml`).
    pub path: String,
    /// The format it was found as (its place, or for Argo its content), which is the set it is
    /// checked with.
    pub format: PipelineFormat,
    /// Its bytes; text that is not UTF-8 is reported, not guessed at.
    pub bytes: Vec<u8>,
}

/// Something discovery saw but did not read: the check is incomplete for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The path relative to the root (or a description such as `<walk>` for a cap).
    pub path: String,
    /// Why, for a person.
    pub reason: String,
}

/// What a front end found in a repository: the input of [`Policy::check_repository`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Repository {
    /// The root as the user named it (`.`, `../app`): file names in findings are `ROOT/PATH`,
    /// or `PATH` alone for `.`.
    pub root: String,
    /// The files read, in the order found.
    pub files: Vec<RepoFile>,
    /// What was seen but not read (too large, past a cap, named but missing); each makes the
    /// check incomplete.
    pub skipped: Vec<Skipped>,
}

impl Repository {
    /// The name a file is reported under: its path as the user can open it from where the
    /// command ran.
    pub fn display_name(&self, path: &str) -> String {
        let root = self.root.trim_end_matches('/');
        if root.is_empty() && self.root.starts_with('/') {
            return format!("/{path}");
        }
        if root.is_empty() || root == "." {
            return path.to_owned();
        }
        format!("{root}/{path}")
    }
}

/// Directories discovery never enters: version control, dependencies and build output, where a
/// YAML file is somebody else's (a vendored project's CI is not this repository's).
pub const EXCLUDED_DIRS: [&str; 9] = [
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "target",
    "vendor",
    ".venv",
    ".tox",
    "__pycache__",
];

/// The kinds of the Argo family that are pipelines: Argo Workflows' own, and Argo Events'
/// `Sensor`, which submits workflows. Argo CD's `Application`, Argo Rollouts and the other
/// `argoproj.io` kinds deploy or configure; they are not pipelines and are not read.
const ARGO_PIPELINE_KINDS: [&str; 5] = [
    "Workflow",
    "WorkflowTemplate",
    "ClusterWorkflowTemplate",
    "CronWorkflow",
    "Sensor",
];

/// The format of a pipeline file known by its place in the repository alone (`rel` is relative
/// to the root, `/`-separated): GitHub workflows (`.github/workflows/*.yml|yaml`, not in
/// subdirectories, as GitHub runs them) and local actions (`.github/actions/**/action.yml|yaml`),
/// GitLab's `.gitlab-ci.yml` at the root, and Zuul's `zuul.yaml`, `.zuul.yaml`, `zuul.d/**/*.yaml`
/// and `.zuul.d/**/*.yaml` at the root. Argo manifests have no place; see [`argo_manifest`].
///
/// ```
/// use lockkeeper::{PipelineFormat, repository::pipeline_path};
/// assert_eq!(pipeline_path(".github/workflows/ci.yml"), Some(PipelineFormat::Github));
/// assert_eq!(pipeline_path(".github/actions/setup/action.yaml"), Some(PipelineFormat::Github));
/// assert_eq!(pipeline_path(".github/workflows/old/ci.yml"), None);
/// assert_eq!(pipeline_path("zuul.d/jobs.yaml"), Some(PipelineFormat::Zuul));
/// assert_eq!(pipeline_path("docs/.gitlab-ci.yml"), None);
/// ```
pub fn pipeline_path(rel: &str) -> Option<PipelineFormat> {
    let yaml = |name: &str| name.ends_with(".yml") || name.ends_with(".yaml");
    if let Some(name) = rel.strip_prefix(".github/workflows/") {
        return (!name.contains('/') && yaml(name)).then_some(PipelineFormat::Github);
    }
    if let Some(rest) = rel.strip_prefix(".github/actions/") {
        let file = rest.rsplit('/').next().unwrap_or(rest);
        return matches!(file, "action.yml" | "action.yaml").then_some(PipelineFormat::Github);
    }
    match rel {
        ".gitlab-ci.yml" | ".gitlab-ci.yaml" => return Some(PipelineFormat::Gitlab),
        "zuul.yaml" | ".zuul.yaml" => return Some(PipelineFormat::Zuul),
        _ => {}
    }
    if (rel.starts_with("zuul.d/") || rel.starts_with(".zuul.d/")) && rel.ends_with(".yaml") {
        return Some(PipelineFormat::Zuul);
    }
    None
}

/// What the content of a YAML file found elsewhere in the tree says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Manifest {
    /// At least one document is an Argo pipeline object (`apiVersion: argoproj.io/...` and a
    /// workflow kind or `Sensor`): it is checked with the repository's other Argo files.
    Argo,
    /// Not an Argo pipeline: ignored.
    Other,
    /// It names an Argo pipeline kind and `argoproj.io/` but is not YAML (a Helm or Jsonnet
    /// template, say): it cannot be checked, so the check is incomplete.
    Unreadable,
}

/// Whether a YAML file holds an Argo pipeline (see [`Manifest`]). Files that do not mention
/// `argoproj.io/` are not parsed at all, so scanning a large tree stays cheap.
///
/// ```
/// use lockkeeper::repository::{Manifest, argo_manifest};
/// let wf = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec: {}\n";
/// assert_eq!(argo_manifest(wf), Manifest::Argo);
/// let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\n";
/// assert_eq!(argo_manifest(app), Manifest::Other);
/// let helm = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\n{{- if .Values.x }}\nspec: {}\n";
/// assert_eq!(argo_manifest(helm), Manifest::Unreadable);
/// ```
pub fn argo_manifest(text: &str) -> Manifest {
    if !text.contains("argoproj.io/") {
        return Manifest::Other;
    }
    let Ok(docs) = crate::import::parse_documents(text) else {
        // Not YAML: a template. Unreadable only if it looks like it renders an Argo pipeline.
        let names_kind = text.lines().any(|l| {
            l.trim()
                .strip_prefix("kind:")
                .map(|k| k.trim().trim_matches(['"', '\'']))
                .is_some_and(|k| ARGO_PIPELINE_KINDS.contains(&k))
        });
        return if names_kind {
            Manifest::Unreadable
        } else {
            Manifest::Other
        };
    };
    let argo = docs.iter().any(|d| {
        let api = d.get("apiVersion").and_then(crate::import::Node::as_str);
        let kind = d.get("kind").and_then(crate::import::Node::as_str);
        api.is_some_and(|a| a.starts_with("argoproj.io/"))
            && kind.is_some_and(|k| ARGO_PIPELINE_KINDS.contains(&k))
    });
    if argo {
        Manifest::Argo
    } else {
        Manifest::Other
    }
}

/// What a pipeline file names that is part of its set: the repository paths (among `tree`, the
/// repository's files relative to the root) to read with it, and, for each name that is in no
/// file, why the check cannot be complete.
///
/// GitHub: `uses: ./DIR` is `DIR/action.yml` (or `.yaml`), `uses: ./FILE.yml` a reusable
/// workflow; a name outside the repository or not found is reported. GitLab: local includes and
/// local child pipelines, globs matched against `tree`; one that matches nothing is left to the
/// importer, which reports it where it is written. Other formats name nothing discovery follows.
pub fn references(format: PipelineFormat, text: &str, tree: &[String]) -> References {
    let mut out = References::default();
    match format {
        PipelineFormat::Github => {
            for wanted in github::local_uses(text) {
                if wanted.split('/').any(|c| c == "..") {
                    out.missing.push((
                        wanted.clone(),
                        format!("`uses: ./{wanted}` points outside the repository"),
                    ));
                    continue;
                }
                let base = wanted.trim_start_matches('/');
                let candidates = if base.is_empty() {
                    vec!["action.yml".to_owned(), "action.yaml".to_owned()]
                } else {
                    vec![
                        format!("{base}/action.yml"),
                        format!("{base}/action.yaml"),
                        base.to_owned(),
                    ]
                };
                match candidates.into_iter().find(|c| tree.contains(c)) {
                    Some(found) => out.found.push(found),
                    None => {
                        let looked = if base.ends_with(".yml") || base.ends_with(".yaml") {
                            format!("no file {base}")
                        } else {
                            format!("no {base}/action.yml")
                        };
                        out.missing.push((
                            wanted.clone(),
                            format!(
                                "`uses: ./{wanted}` names a local action or workflow that is not in the repository ({looked}); what it runs is not checked"
                            ),
                        ));
                    }
                }
            }
        }
        PipelineFormat::Gitlab => {
            for wanted in gitlab::local_includes(text) {
                let pattern = wanted.trim_start_matches('/');
                if pattern.split('/').any(|c| c == "..") {
                    continue;
                }
                if pattern.contains('*') {
                    if let Ok(glob) = Glob::new(pattern) {
                        let m = glob.compile_matcher();
                        out.found
                            .extend(tree.iter().filter(|p| m.is_match(p.as_str())).cloned());
                    }
                } else if tree.iter().any(|p| p == pattern) {
                    out.found.push(pattern.to_owned());
                }
            }
        }
        PipelineFormat::Native | PipelineFormat::Argo | PipelineFormat::Zuul => {}
    }
    out
}

/// The result of [`references`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct References {
    /// Repository paths to read and check in the same set.
    pub found: Vec<String>,
    /// Names that lead nowhere: `(name, why the check is incomplete)`.
    pub missing: Vec<(String, String)>,
}

/// The order sets are checked and reported in.
const ORDER: [PipelineFormat; 5] = [
    PipelineFormat::Github,
    PipelineFormat::Gitlab,
    PipelineFormat::Zuul,
    PipelineFormat::Argo,
    PipelineFormat::Native,
];

impl Policy {
    /// Checks every pipeline file of a repository: each format's files as one set, imported
    /// and checked together, into one decision. A file that cannot be read as a pipeline (not
    /// YAML, wrong shape) is a denial at its line, and the rest of its set is still checked;
    /// what discovery skipped, and a repository without any pipeline file, are
    /// `import/incomplete` (accepted, and named in the subject, with `allow_incomplete`).
    ///
    /// ```
    /// use lockkeeper::{Policy, PipelineFormat, pipeline::CheckOptions};
    /// use lockkeeper::repository::{RepoFile, Repository};
    /// let workflow = "on: pull_request_target\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n        with: {ref: '${{ github.event.pull_request.head.sha }}'}\n      - run: make\n        env: {T: '${{ secrets.T }}'}\n";
    /// let repo = Repository {
    ///     root: ".".into(),
    ///     files: vec![RepoFile {
    ///         path: ".github/workflows/ci.yml".into(),
    ///         format: PipelineFormat::Github,
    ///         bytes: workflow.as_bytes().to_vec(),
    ///     }],
    ///     skipped: vec![],
    /// };
    /// let policy = Policy::builtin();
    /// let decision = policy.check_repository(&repo, CheckOptions::default());
    /// assert!(!decision.allowed());
    /// assert!(decision.violations().iter().all(|v| v.facts["file"] == ".github/workflows/ci.yml"));
    /// let empty = Repository { root: ".".into(), ..Repository::default() };
    /// assert!(policy.check_repository(&empty, CheckOptions::default()).has("import/incomplete"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_repository(&self, repo: &Repository, options: CheckOptions) -> Decision {
        let per_set = CheckOptions {
            allow_incomplete: false,
            ..options
        };
        let mut violations: Vec<Violation> = Vec::new();
        let mut passed = Vec::new();
        let mut sets: Vec<String> = Vec::new();
        let mut jobs = 0usize;
        for format in ORDER {
            let mut members: Vec<(String, String)> = Vec::new();
            for f in repo.files.iter().filter(|f| f.format == format) {
                let name = repo.display_name(&f.path);
                if members.iter().any(|(n, _)| *n == name) {
                    continue;
                }
                match std::str::from_utf8(&f.bytes) {
                    Ok(text) => members.push((name, text.to_owned())),
                    Err(e) => violations.push(file_problem(
                        &name,
                        format!("not UTF-8 text ({e}); nothing in it is checked"),
                        None,
                        "",
                    )),
                }
            }
            if members.is_empty() {
                continue;
            }
            let count = members.len();
            sets.push(format!(
                "{format} ({count} file{})",
                if count == 1 { "" } else { "s" }
            ));
            // A file that cannot be read is reported and left out; the others are checked.
            while !members.is_empty() {
                let files: Vec<SourceFile<'_>> = members
                    .iter()
                    .map(|(name, text)| SourceFile { name, text })
                    .collect();
                match Pipeline::import(&files, Some(format)) {
                    Ok(pipeline) => {
                        jobs += pipeline.len();
                        let d = self.check_pipeline_with(&pipeline, per_set);
                        violations.extend(d.violations().iter().cloned());
                        passed.extend(d.passed().iter().copied());
                        break;
                    }
                    Err(crate::Error::Import(e)) => {
                        let bad: BTreeSet<String> = e.files().map(|f| f.file.clone()).collect();
                        for f in e.files() {
                            for p in f.problems.iter() {
                                violations.push(file_problem(
                                    &f.file,
                                    p.message.clone(),
                                    p.location.map(|l| (l.line, l.column)),
                                    &p.path.to_string(),
                                ));
                            }
                        }
                        let before = members.len();
                        members.retain(|(n, _)| !bad.contains(n));
                        if members.len() == before {
                            // The error names no file of the set: nothing left to narrow.
                            break;
                        }
                    }
                    Err(other) => {
                        violations.push(file_problem(
                            &repo.display_name(""),
                            other.to_string(),
                            None,
                            "",
                        ));
                        break;
                    }
                }
            }
        }
        for s in &repo.skipped {
            let name = repo.display_name(&s.path);
            violations.push(Violation::new(
                codes::IMPORT_INCOMPLETE,
                format!(
                    "{name} was not read: {}; give it by hand with `check pipeline`, or accept the gap with --allow-incomplete",
                    s.reason
                ),
                facts(&[("file", json!(name)), ("reason", json!(s.reason))]),
            ));
        }
        let root = if repo.root.is_empty() {
            "."
        } else {
            repo.root.as_str()
        };
        if repo.files.is_empty() && repo.skipped.is_empty() {
            violations.push(Violation::new(
                codes::IMPORT_INCOMPLETE,
                format!(
                    "no pipeline file was found in {root} (looked for .github/workflows/*.yml, .gitlab-ci.yml, zuul.yaml, .zuul.yaml, zuul.d/, .zuul.d/ and Argo workflow manifests): nothing was checked; is this the repository's root?"
                ),
                facts(&[("directory", json!(root))]),
            ));
        }
        let mut subject = format!(
            "repository {root}: {} ({jobs} jobs)",
            if sets.is_empty() {
                "no pipeline files".to_owned()
            } else {
                sets.join(", ")
            }
        );
        if options.allow_incomplete {
            // Accepted gaps leave the denial but stay in the subject (as for one pipeline).
            let gaps: Vec<&str> = violations
                .iter()
                .filter(|v| v.code == codes::IMPORT_INCOMPLETE)
                .map(|v| v.message.as_str())
                .collect();
            if !gaps.is_empty() {
                subject = format!("{subject} (incomplete, accepted: {})", gaps.join("; "));
            }
            violations.retain(|v| {
                v.code != codes::IMPORT_INCOMPLETE && v.code != codes::IMPORT_UNSUPPORTED
            });
        }
        let mut decision = Decision::new(subject).under(self);
        for v in violations {
            decision.deny(v);
        }
        for code in passed {
            decision.pass(code);
        }
        decision
    }
}

fn facts(pairs: &[(&str, serde_json::Value)]) -> Facts {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// A file that could not be read as a pipeline, as a finding at its place.
fn file_problem(file: &str, message: String, at: Option<(u32, u32)>, path: &str) -> Violation {
    let mut f = facts(&[("file", json!(file))]);
    if let Some((line, column)) = at {
        f.insert("line".into(), json!(line));
        f.insert("column".into(), json!(column));
    }
    if !path.is_empty() {
        f.insert("path".into(), json!(path));
    }
    Violation::new(codes::IMPORT_SYNTAX, message, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    type R = Result<(), Box<dyn std::error::Error>>;

    fn file(path: &str, format: PipelineFormat, text: &str) -> RepoFile {
        RepoFile {
            path: path.into(),
            format,
            bytes: text.as_bytes().to_vec(),
        }
    }

    const CALLER: &str = "on: pull_request_target\njobs:\n  call:\n    uses: ./.github/workflows/build.yml\n    secrets: inherit\n";
    const CALLEE: &str = "on: workflow_call\njobs:\n  build:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n        with: {ref: '${{ github.event.pull_request.head.sha }}'}\n      - run: make\n        env: {T: '${{ secrets.T }}'}\n";

    #[test]
    fn a_reusable_workflow_is_checked_in_its_callers_context() -> R {
        let repo = Repository {
            root: "app".into(),
            files: vec![
                file(".github/workflows/pr.yml", PipelineFormat::Github, CALLER),
                file(
                    ".github/workflows/build.yml",
                    PipelineFormat::Github,
                    CALLEE,
                ),
            ],
            skipped: vec![],
        };
        let options = CheckOptions {
            persona: crate::Persona::Regular,
            ..CheckOptions::default()
        };
        let d = Policy::builtin().check_repository(&repo, options);
        assert!(!d.allowed(), "{d}");
        assert!(
            d.violations().iter().any(|v| v.facts.get("file")
                == Some(&json!("app/.github/workflows/build.yml"))
                && v.facts
                    .get("job")
                    .is_some_and(|j| j.as_str().is_some_and(|j| j.contains("build")))),
            "{d}"
        );
        assert!(d.subject().starts_with("repository app: github (2 files)"));
        // Alone, the callee is a lead for auditors only, not a regular finding.
        let alone = Repository {
            root: ".".into(),
            files: vec![file(
                ".github/workflows/build.yml",
                PipelineFormat::Github,
                CALLEE,
            )],
            skipped: vec![],
        };
        assert!(
            Policy::builtin()
                .check_repository(&alone, options)
                .allowed()
        );
        Ok(())
    }

    #[test]
    fn a_broken_file_is_denied_at_its_line_and_the_others_are_still_checked() -> R {
        let repo = Repository {
            root: ".".into(),
            files: vec![
                file(
                    ".github/workflows/bad.yml",
                    PipelineFormat::Github,
                    "on: [push\n",
                ),
                file(".github/workflows/pr.yml", PipelineFormat::Github, CALLER),
                file(
                    ".github/workflows/build.yml",
                    PipelineFormat::Github,
                    CALLEE,
                ),
                RepoFile {
                    path: "zuul.yaml".into(),
                    format: PipelineFormat::Zuul,
                    bytes: vec![0xff, 0xfe],
                },
            ],
            skipped: vec![],
        };
        let d = Policy::builtin().check_repository(&repo, CheckOptions::default());
        let syntax: Vec<_> = d
            .violations()
            .iter()
            .filter(|v| v.code == codes::IMPORT_SYNTAX)
            .collect();
        assert_eq!(syntax.len(), 2, "{d}");
        // Sets in order: GitHub first, then Zuul.
        assert_eq!(syntax[0].facts["file"], ".github/workflows/bad.yml");
        assert!(syntax[0].facts.get("line").is_some());
        assert_eq!(syntax[1].facts["file"], "zuul.yaml");
        assert!(
            d.violations()
                .iter()
                .any(|v| v.facts.get("file") == Some(&json!(".github/workflows/build.yml")))
        );
        // A syntax error is never accepted as a mere gap.
        let accepted = CheckOptions {
            allow_incomplete: true,
            ..CheckOptions::default()
        };
        assert!(
            Policy::builtin()
                .check_repository(&repo, accepted)
                .has("import/syntax")
        );
        Ok(())
    }

    #[test]
    fn nothing_found_or_something_skipped_is_incomplete_unless_accepted() -> R {
        let policy = Policy::builtin();
        let empty = Repository {
            root: "x".into(),
            ..Repository::default()
        };
        let d = policy.check_repository(&empty, CheckOptions::default());
        assert!(!d.allowed() && d.has("import/incomplete"), "{d}");
        let accepted = CheckOptions {
            allow_incomplete: true,
            ..CheckOptions::default()
        };
        let d = policy.check_repository(&empty, accepted);
        assert!(d.allowed() && d.subject().contains("incomplete, accepted"));

        let clean = "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: make\n";
        let skipped = Repository {
            root: ".".into(),
            files: vec![file(
                ".github/workflows/ci.yml",
                PipelineFormat::Github,
                clean,
            )],
            skipped: vec![Skipped {
                path: "big.yaml".into(),
                reason: "larger than 1 MiB".into(),
            }],
        };
        let d = policy.check_repository(&skipped, CheckOptions::default());
        assert_eq!(d.violations().len(), 1, "{d}");
        assert_eq!(d.violations()[0].facts["file"], "big.yaml");
        let mut whole = skipped.clone();
        whole.skipped.clear();
        assert!(
            policy
                .check_repository(&whole, CheckOptions::default())
                .allowed()
        );
        Ok(())
    }

    #[test]
    fn references_resolve_local_actions_workflows_and_includes() {
        let tree: Vec<String> = [
            ".github/actions/setup/action.yml",
            ".github/workflows/build.yml",
            "ci/a.yml",
            "ci/b.yml",
            "action.yaml",
        ]
        .map(String::from)
        .to_vec();
        let wf = "on: push\njobs:\n  a:\n    uses: ./.github/workflows/build.yml\n  b:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/setup\n      - uses: ./\n      - uses: ./gone\n      - uses: ./../up\n";
        let r = references(PipelineFormat::Github, wf, &tree);
        assert_eq!(
            r.found,
            [
                ".github/workflows/build.yml",
                ".github/actions/setup/action.yml",
                "action.yaml"
            ]
        );
        assert_eq!(
            r.missing
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>(),
            ["gone", "../up"]
        );
        let gl = "include:\n  - local: /ci/*.yml\n  - local: missing.yml\n";
        let r = references(PipelineFormat::Gitlab, gl, &tree);
        assert_eq!(r.found, ["ci/a.yml", "ci/b.yml"]);
        assert!(r.missing.is_empty());
    }
}
