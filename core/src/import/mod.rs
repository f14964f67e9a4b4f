//! Reading the pipeline files people already have: Argo Workflows, GitLab CI, Zuul v3 and
//! GitHub Actions, plus lockkeeper's own format, into one [`Pipeline`].
//!
//! An importer records what the file says, in the platform's own terms (a Zuul pipeline name, a
//! GitHub event, a namespace) as *contexts*; the policy's `pipelines` section, or the built-in
//! defaults, decide at check time which trigger and zone each context means. Whatever an
//! importer reads but cannot model becomes an [`crate::pipeline::Unsupported`] entry with file and
//! line, which the check reports as `import/unsupported`: nothing is silently dropped.

mod argo;
mod argo_events;
mod credential;
pub(crate) mod github;
pub mod gitlab;
mod gitlab_cache;
mod gitlab_templates;
mod glance;
mod tree;
mod zuul;
pub use zuul::jjb_include_paths;

use std::fmt;
use std::str::FromStr;

use crate::diagnostic::{Problem, Problems};
use crate::pipeline::build::BuildIssue;
use crate::pipeline::{Pipeline, PipelineBuilder, Unsupported, native};
use crate::rule::{Code, codes};
use crate::source::{FieldPath, Format, Location};

pub(crate) use tree::Node;

/// The YAML documents of a text, for callers outside the importers (repository discovery).
pub(crate) fn parse_documents(text: &str) -> Result<Vec<Node>, String> {
    tree::parse(text).map_err(|(message, _)| message)
}

/// The formats lockkeeper reads pipelines in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PipelineFormat {
    /// lockkeeper's own format (YAML or JSON).
    Native,
    /// Argo Workflows `Workflow`, `WorkflowTemplate`, `ClusterWorkflowTemplate`, `CronWorkflow`.
    Argo,
    /// `.gitlab-ci.yml` and the files it includes.
    Gitlab,
    /// Zuul v3 configuration (`zuul.yaml`, `zuul.d/*.yaml`, `.zuul.yaml`).
    Zuul,
    /// GitHub Actions workflows (`.github/workflows/*.yml`).
    Github,
}

impl PipelineFormat {
    /// Every format.
    pub const ALL: [PipelineFormat; 5] = [
        PipelineFormat::Native,
        PipelineFormat::Argo,
        PipelineFormat::Gitlab,
        PipelineFormat::Zuul,
        PipelineFormat::Github,
    ];

    /// The name used on the command line and in the bindings.
    pub fn as_str(self) -> &'static str {
        match self {
            PipelineFormat::Native => "native",
            PipelineFormat::Argo => "argo",
            PipelineFormat::Gitlab => "gitlab",
            PipelineFormat::Zuul => "zuul",
            PipelineFormat::Github => "github",
        }
    }

    /// A format name as the front ends take it, where `auto` (`None`) asks for detection, so
    /// that the CLI and both bindings read the same names the same way.
    ///
    /// ```
    /// use lockkeeper::import::PipelineFormat;
    /// assert_eq!(PipelineFormat::named("auto"), Ok(None));
    /// assert_eq!(PipelineFormat::named("gitlab-ci"), Ok(Some(PipelineFormat::Gitlab)));
    /// assert!(PipelineFormat::named("travis").is_err());
    /// ```
    pub fn named(name: &str) -> Result<Option<PipelineFormat>, UnknownFormat> {
        match name {
            "auto" => Ok(None),
            other => other.parse().map(Some),
        }
    }

    /// Recognises a file by its path, then by its content.
    ///
    /// ```
    /// use lockkeeper::import::PipelineFormat;
    /// assert_eq!(PipelineFormat::detect(".gitlab-ci.yml", ""), Some(PipelineFormat::Gitlab));
    /// assert_eq!(PipelineFormat::detect("x.yml", "on: push\njobs: {}\n"), Some(PipelineFormat::Github));
    /// ```
    pub fn detect(path: &str, text: &str) -> Option<PipelineFormat> {
        let p = path.replace('\\', "/").to_ascii_lowercase();
        let file = p.rsplit('/').next().unwrap_or(&p);
        if p.contains(".github/workflows/") {
            return Some(PipelineFormat::Github);
        }
        if file.ends_with(".gitlab-ci.yml") || file.ends_with(".gitlab-ci.yaml") {
            return Some(PipelineFormat::Gitlab);
        }
        if matches!(file, "zuul.yaml" | ".zuul.yaml" | "zuul.yml" | ".zuul.yml")
            || p.contains("zuul.d/")
        {
            return Some(PipelineFormat::Zuul);
        }
        if glance::surely_native(text) {
            return Some(PipelineFormat::Native);
        }
        detect_by_content(text)
    }
}

/// What a file's parsed content says it is (its path said nothing).
fn detect_by_content(text: &str) -> Option<PipelineFormat> {
    let docs = tree::parse(text).ok()?;
    if gitlab_header(&docs).is_some() {
        return Some(PipelineFormat::Gitlab);
    }
    let doc = docs.iter().find(|d| !d.is_null())?;
    if docs.iter().any(|d| {
        let api = d.get("apiVersion").and_then(Node::as_str);
        api.is_some_and(|v| v.starts_with("argoproj.io/"))
            || (api.is_some_and(|v| v.starts_with("kubeflow.org/"))
                && match d.get("kind").and_then(Node::as_str) {
                    Some("ScheduledWorkflow") => true,
                    // A Katib Experiment whose trials are Argo Workflows.
                    Some("Experiment") => d
                        .get("spec")
                        .and_then(|s| s.get("trialTemplate"))
                        .and_then(|t| t.get("trialSpec"))
                        .and_then(|w| w.get("apiVersion"))
                        .and_then(Node::as_str)
                        .is_some_and(|v| v.starts_with("argoproj.io/")),
                    _ => false,
                })
    }) {
        return Some(PipelineFormat::Argo);
    }
    if zuul_v2_layout(doc) {
        return Some(PipelineFormat::Zuul);
    }
    if doc.is_seq() {
        let zuulish = doc
            .items()
            .iter()
            .any(|i| i.entries().iter().any(|e| zuul::is_object_kind(&e.key)));
        return zuulish.then_some(PipelineFormat::Zuul);
    }
    if doc.get("jobs").is_some() && (doc.get("on").is_some() || doc.get("true").is_some()) {
        return Some(PipelineFormat::Github);
    }
    if doc.get("jobs").is_some_and(Node::is_map) {
        return Some(PipelineFormat::Native);
    }
    if doc.is_map() {
        // GitLab's top level is job names plus a few keywords; any of those is enough.
        const GITLAB: [&str; 8] = [
            "stages",
            "include",
            "default",
            "workflow",
            "variables",
            "image",
            "before_script",
            "services",
        ];
        // A fragment holds hidden jobs (`.name`) only; a template's keys say it is GitLab.
        let looks = doc.entries().iter().any(|e| {
            GITLAB.contains(&e.key.as_str())
                || e.value.get("script").is_some()
                || (e.key.starts_with('.')
                    && [
                        "before_script",
                        "after_script",
                        "rules",
                        "image",
                        "needs",
                        "variables",
                    ]
                    .iter()
                    .any(|k| e.value.get(k).is_some()))
                || e.value.get("stage").is_some()
                || e.value.get("extends").is_some()
                || e.value.get("trigger").is_some()
        });
        return looks.then_some(PipelineFormat::Gitlab);
    }
    None
}

/// Zuul v2's `layout.yaml`: one mapping with `pipelines` and `projects` lists (v3 is a list of
/// objects).
pub(crate) fn zuul_v2_layout(doc: &Node) -> bool {
    doc.get("pipelines").is_some_and(Node::is_seq) && doc.get("projects").is_some_and(Node::is_seq)
}

/// A GitLab CI file that starts with a `spec:` header (inputs of an included file or a CI/CD
/// component) then `---`: the pipeline is the document after the header.
fn gitlab_header(docs: &[Node]) -> Option<&Node> {
    let mut rest = docs.iter().filter(|d| !d.is_null());
    let first = rest.next()?;
    let header = first.is_map()
        && !first.entries().is_empty()
        && first.entries().iter().all(|e| e.key == "spec");
    if header { rest.next() } else { None }
}

impl fmt::Display for PipelineFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that names no pipeline format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown pipeline format `{0}`: expected auto, native, argo, gitlab, zuul or github")]
pub struct UnknownFormat(pub String);

impl FromStr for PipelineFormat {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, UnknownFormat> {
        match s {
            "gitlab-ci" | "gitlab" => Ok(PipelineFormat::Gitlab),
            "github-actions" | "github" => Ok(PipelineFormat::Github),
            "argo-workflows" | "argo" => Ok(PipelineFormat::Argo),
            _ => PipelineFormat::ALL
                .into_iter()
                .find(|f| f.as_str() == s)
                .ok_or_else(|| UnknownFormat(s.to_owned())),
        }
    }
}

/// One file to import: its name (used in reports and for `include`) and its text.
#[derive(Clone, Copy, Debug)]
pub struct SourceFile<'a> {
    /// Path as the user gave it.
    pub name: &'a str,
    /// Contents.
    pub text: &'a str,
}

/// The problems of one file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileProblems {
    /// The file.
    pub file: String,
    /// What is wrong in it.
    pub problems: Problems,
}

/// Files that could not be read as pipelines at all (a syntax error, an unknown format, a native
/// file with problems). Constructs an importer merely does not model are not errors: they are
/// reported by the check. There is always at least one file with at least one problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// The first file with problems (boxed to keep `Result<_, ImportError>` small).
    first: Box<FileProblems>,
    /// The others, in the order they were read.
    rest: Vec<FileProblems>,
}

impl serde::Serialize for ImportError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.files())
    }
}

impl ImportError {
    fn one(file: &str, problem: Problem) -> Self {
        ImportError::new(FileProblems {
            file: file.to_owned(),
            problems: Problems::one(problem),
        })
    }

    /// The problems of one file.
    pub fn new(first: FileProblems) -> Self {
        ImportError {
            first: Box::new(first),
            rest: Vec::new(),
        }
    }

    /// The problems of several files; `None` when there are none (no problem, no error).
    pub fn from_files(files: Vec<FileProblems>) -> Option<Self> {
        let mut all = files.into_iter();
        let first = all.next()?;
        Some(ImportError {
            first: Box::new(first),
            rest: all.collect(),
        })
    }

    /// The code of the first problem: the code of the whole error.
    pub fn code(&self) -> Code {
        self.first.problems.code()
    }

    /// The first problem and its file.
    pub fn first(&self) -> (&str, &Problem) {
        (self.first.file.as_str(), self.first.problems.first())
    }

    /// The files with problems, in the order they were read.
    pub fn files(&self) -> impl Iterator<Item = &FileProblems> {
        std::iter::once(&*self.first).chain(&self.rest)
    }

    /// The files with problems, to merge into another error.
    pub fn into_files(self) -> Vec<FileProblems> {
        let mut all = self.rest;
        all.insert(0, *self.first);
        all
    }

    /// Every problem as `FILE:LINE:COLUMN: error[CODE] at PATH: message` lines.
    pub fn render(&self) -> String {
        self.files().map(|f| f.problems.render(&f.file)).collect()
    }

    /// How many problems in all (at least one).
    #[allow(clippy::len_without_is_empty, reason = "never empty, by construction")]
    pub fn len(&self) -> usize {
        self.files().map(|f| f.problems.len()).sum()
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render().trim_end())
    }
}

impl std::error::Error for ImportError {}

/// The error for a file that is not YAML at all.
fn syntax(file: &str, (message, loc): (String, Option<Location>)) -> ImportError {
    ImportError::one(
        file,
        Problem::new(codes::IMPORT_SYNTAX, message, FieldPath::root(), loc),
    )
}

/// Reads the YAML documents of an imported file.
/// Commands that publish to a package registry, image store or release, whichever CI runs them:
/// a job whose script contains one publishes (`pipeline/build-publishes` if it also runs the
/// repository's code). Each importer adds what only its platform spells that way.
const PUBLISH_COMMANDS: [&str; 23] = [
    "twine upload",
    "npm publish",
    "yarn publish",
    "pnpm publish",
    "cargo publish",
    "gem push",
    "flit publish",
    "poetry publish",
    "uv publish",
    "mvn deploy",
    "gradle publish",
    "docker push",
    "buildah push",
    "podman push",
    "crane push",
    "skopeo copy",
    "oras push",
    "helm push",
    "goreleaser release",
    "gh release create",
    "gh release upload",
    "release-cli",
    "/packages/generic/",
];

/// Whether a script line publishes: a shared command, or one of the platform's `extra` ones.
pub(crate) fn publishes(line: &str, extra: &[&str]) -> bool {
    PUBLISH_COMMANDS
        .iter()
        .chain(extra)
        .any(|command| line.contains(command))
}

pub(crate) fn documents(file: &SourceFile<'_>) -> Result<Vec<Node>, ImportError> {
    tree::parse(file.text).map_err(|e| syntax(file.name, e))
}

/// An error for a whole file (wrong top-level shape).
pub(crate) fn shape_error(file: &str, message: String, loc: Option<Location>) -> ImportError {
    ImportError::one(
        file,
        Problem::new(codes::IMPORT_SYNTAX, message, FieldPath::root(), loc),
    )
}

impl Pipeline {
    /// Reads a pipeline in lockkeeper's own format from YAML text.
    pub fn from_yaml(text: &str) -> Result<Pipeline, crate::Error> {
        Pipeline::import(
            &[SourceFile {
                name: "<yaml>",
                text,
            }],
            Some(PipelineFormat::Native),
        )
    }

    /// Reads a pipeline in lockkeeper's own format from JSON text.
    pub fn from_json(text: &str) -> Result<Pipeline, crate::Error> {
        Pipeline::import(
            &[SourceFile {
                name: "<json>",
                text,
            }],
            Some(PipelineFormat::Native),
        )
    }

    /// Reads one or more files into one pipeline. With `format` `None`, each file's format is
    /// detected ([`PipelineFormat::detect`]); files of one format are imported together (GitLab
    /// `include: local`, Zuul `parent` and GitHub `workflow_run` links resolve across them).
    ///
    /// Files that cannot be read as pipelines are [`crate::Error::Import`], every problem with
    /// its file and position.
    pub fn import(
        files: &[SourceFile<'_>],
        format: Option<PipelineFormat>,
    ) -> Result<Pipeline, crate::Error> {
        Ok(Pipeline::import_files(files, format)?)
    }

    /// [`Pipeline::import`] of `(name, text)` pairs, the form file readers return them in
    /// (`lockkeeper_fs::read_pipeline_files`), so that no front end rebuilds the borrowed view.
    pub fn import_named(
        files: &[(String, String)],
        format: Option<PipelineFormat>,
    ) -> Result<Pipeline, crate::Error> {
        let files: Vec<SourceFile<'_>> = files
            .iter()
            .map(|(name, text)| SourceFile { name, text })
            .collect();
        Pipeline::import(&files, format)
    }

    fn import_files(
        files: &[SourceFile<'_>],
        format: Option<PipelineFormat>,
    ) -> Result<Pipeline, ImportError> {
        let mut groups: Vec<(PipelineFormat, Vec<SourceFile<'_>>)> = Vec::new();
        let mut errors = Vec::new();
        // A script a Jenkins Job Builder file includes belongs to its Zuul v2 set.
        let jjb_included = if format.is_none() {
            zuul::jjb_include_targets(files)
        } else {
            Vec::new()
        };
        for (i, f) in files.iter().enumerate() {
            let detected = format.or_else(|| {
                if jjb_included.get(i).copied().unwrap_or(false) {
                    Some(PipelineFormat::Zuul)
                } else {
                    PipelineFormat::detect(f.name, f.text)
                }
            });
            match detected {
                Some(fmt) => match groups.iter_mut().find(|(g, _)| *g == fmt) {
                    Some((_, list)) => list.push(*f),
                    None => groups.push((fmt, vec![*f])),
                },
                // Text that is not YAML says so: the syntax error is the reason no format
                // could be told, and naming one would only lead to the same error.
                None => errors.extend(
                    match tree::parse(f.text) {
                        Err(e) => syntax(f.name, e),
                        Ok(_) => ImportError::one(
                            f.name,
                            Problem::new(
                                codes::IMPORT_UNKNOWN_FORMAT,
                                "cannot tell which pipeline format this file is in; name it with --format (native, argo, gitlab, zuul, github)",
                                FieldPath::root(),
                                None,
                            ),
                        ),
                    }
                    .into_files(),
                ),
            }
        }
        if let Some(e) = ImportError::from_files(errors) {
            return Err(e);
        }
        let mut errors = Vec::new();
        let mut b = PipelineBuilder::new();
        let mut natives = Vec::new();
        let mut added = 0usize;
        for (fmt, list) in &groups {
            let result = match fmt {
                PipelineFormat::Native => {
                    for f in list {
                        match native::read(
                            &mut b,
                            added,
                            f.name,
                            f.text,
                            Format::for_path(f.name, f.text),
                        ) {
                            Ok(n) => {
                                added += n.jobs.len();
                                natives.push((f.name.to_owned(), n));
                            }
                            Err(problems) => errors.push(FileProblems {
                                file: f.name.to_owned(),
                                problems,
                            }),
                        }
                    }
                    Ok(())
                }
                PipelineFormat::Argo => argo::import(&mut b, list),
                PipelineFormat::Gitlab => {
                    // GitLab's own templates the files include, from the vendored copies.
                    let extra = gitlab_templates::vendored_includes(list);
                    let mut all = list.clone();
                    all.extend(extra.iter().map(|(name, text)| SourceFile { name, text }));
                    gitlab::import(&mut b, &all)
                }
                PipelineFormat::Zuul => zuul::import(&mut b, list),
                PipelineFormat::Github => github::import(&mut b, list),
            };
            if let Err(e) = result {
                errors.extend(e.into_files());
            }
            added = b.job_count();
        }
        if let Some(e) = ImportError::from_files(errors) {
            return Err(e);
        }
        let (mut pipeline, issues) = b.finish();
        let mut native_problems: Vec<(usize, Problem)> = Vec::new();
        for issue in issues {
            let (job, message, index) = match &issue {
                BuildIssue::DuplicateJob { job, name } => (
                    *job,
                    format!("a job named `{name}` is defined more than once"),
                    None,
                ),
                BuildIssue::UndefinedNeed { job, index, name } => (
                    *job,
                    format!("`needs` names `{name}`, which is not a job of this pipeline"),
                    Some(*index),
                ),
            };
            // A native job: a problem in its file. An imported one: unsupported.
            let native = natives
                .iter()
                .enumerate()
                .find(|(_, (_, n))| job >= n.first_job && job < n.first_job + n.jobs.len());
            if let Some((k, (_, n))) = native {
                let name = n.jobs.get(job - n.first_job).cloned().unwrap_or_default();
                let path = FieldPath::root().key("jobs").key(name);
                let (code, path) = match index {
                    Some(i) => (
                        codes::PIPELINE_UNDEFINED_REFERENCE,
                        path.key("needs").index(i),
                    ),
                    None => (codes::PIPELINE_DUPLICATE_NAME, path),
                };
                native_problems.push((k, n.problem(code, path, message)));
            } else {
                let file = pipeline.file_of(job).to_owned();
                let location = pipeline.jobs.get(job).and_then(|j| j.location);
                pipeline.unsupported.push(Unsupported {
                    file,
                    location,
                    path: pipeline.job_name(job).to_owned(),
                    message: format!(
                        "{message}; the link is not modelled, so what flows along it is not checked"
                    ),
                });
            }
        }
        if !native_problems.is_empty() {
            let mut files = Vec::new();
            for (k, (name, _)) in natives.iter().enumerate() {
                let problems: Vec<Problem> = native_problems
                    .iter()
                    .filter(|(i, _)| *i == k)
                    .map(|(_, p)| p.clone())
                    .collect();
                if let Some(problems) = Problems::from_vec(problems) {
                    files.push(FileProblems {
                        file: name.clone(),
                        problems,
                    });
                }
            }
            if let Some(e) = ImportError::from_files(files) {
                return Err(e);
            }
        }
        Ok(pipeline)
    }
}
