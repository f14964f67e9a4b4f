//! lockkeeper's own pipeline format: the model written down, in YAML or JSON.
//!
//! It is read like the policy: unknown fields, duplicate keys, undefined `needs` and invalid
//! values are all reported at once, each with its line and column.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{PipelineBuilder, ResourceKind, Trigger};
use crate::diagnostic::{Problem, Problems};
use crate::rule::{Code, codes};
use crate::source::{DocumentCodes, FieldPath, Format, Location, Locator, parse_document};

const CODES: DocumentCodes = DocumentCodes {
    syntax: codes::PIPELINE_SYNTAX,
    unknown_field: codes::PIPELINE_UNKNOWN_FIELD,
    duplicate: codes::PIPELINE_DUPLICATE_NAME,
};

#[derive(Debug, Default, Deserialize)]
struct RawPipeline {
    #[serde(default)]
    version: Option<u64>,
    // Accepted for people reading the file; the check does not need them.
    #[serde(default)]
    #[allow(dead_code)]
    name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    jobs: BTreeMap<String, RawJob>,
}

#[derive(Debug, Deserialize)]
struct RawJob {
    #[serde(default)]
    trigger: Option<String>,
    #[serde(default)]
    zone: Option<String>,
    #[serde(default)]
    needs: Vec<String>,
    #[serde(default)]
    consumes: RawResources,
    #[serde(default)]
    produces: RawResources,
    #[serde(default)]
    secrets: Vec<String>,
    #[serde(default)]
    publishes: bool,
    #[serde(default = "yes")]
    runs_repo_code: bool,
    #[serde(default)]
    deploys: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
struct RawResources {
    #[serde(default)]
    artifacts: Vec<String>,
    #[serde(default)]
    caches: Vec<String>,
    #[serde(default)]
    workspaces: Vec<String>,
    #[serde(default)]
    provided: Vec<String>,
}

impl RawResources {
    fn all(&self) -> impl Iterator<Item = (ResourceKind, &'static str, usize, &String)> {
        [
            (ResourceKind::Artifact, "artifacts", &self.artifacts),
            (ResourceKind::Cache, "caches", &self.caches),
            (ResourceKind::Workspace, "workspaces", &self.workspaces),
            (ResourceKind::Provided, "provided", &self.provided),
        ]
        .into_iter()
        .flat_map(|(k, field, list)| list.iter().enumerate().map(move |(i, n)| (k, field, i, n)))
    }
}

/// What the reader keeps of one native file to place problems found after all files are read.
pub(crate) struct NativeFile {
    pub locator: Locator,
    /// Index of the file's first job in the builder, and its job names in that order.
    pub first_job: usize,
    pub jobs: Vec<String>,
}

impl NativeFile {
    /// The problem for something wrong at `path` in this file.
    pub fn problem(&self, code: Code, path: FieldPath, message: String) -> Problem {
        let loc = self.locator.locate(&path);
        Problem::new(code, message, path, loc)
    }
}

/// Reads one native file into the builder. Problems that need every file (undefined `needs`)
/// are found by the caller after [`PipelineBuilder::finish`].
pub(crate) fn read(
    builder: &mut PipelineBuilder,
    first_job: usize,
    file: &str,
    text: &str,
    format: Format,
) -> Result<NativeFile, Problems> {
    let parsed = parse_document::<RawPipeline>(text, format, &CODES)?;
    let locator = parsed.locator;
    let mut problems = parsed.problems;
    let mut report = |code, path: FieldPath, message: String| {
        let loc = locator.locate(&path);
        problems.push(Problem::new(code, message, path, loc));
    };
    let raw = parsed.value;
    if let Some(v) = raw.version
        && v != 1
    {
        report(
            codes::PIPELINE_INVALID_VALUE,
            FieldPath::root().key("version"),
            format!("unsupported pipeline version {v}: this lockkeeper reads version 1"),
        );
    }
    // Jobs in the order they are written, so reports read top to bottom.
    let root = FieldPath::root().key("jobs");
    let mut jobs: Vec<(Option<Location>, &String, &RawJob)> = raw
        .jobs
        .iter()
        .map(|(name, job)| (locator.locate_key(&root.key(name.clone())), name, job))
        .collect();
    jobs.sort_by_key(|(loc, _, _)| *loc);

    builder.file(file);
    let mut names = Vec::new();
    for (loc, name, job) in jobs {
        let path = root.key(name.clone());
        if name.trim().is_empty() {
            report(
                codes::PIPELINE_INVALID_VALUE,
                path.clone(),
                "a job name must not be empty".to_owned(),
            );
        }
        let trigger = match job.trigger.as_deref() {
            None => {
                report(
                    codes::PIPELINE_INVALID_VALUE,
                    path.clone(),
                    format!(
                        "job `{name}` has no `trigger`; say what starts it: {}",
                        Trigger::names()
                    ),
                );
                None
            }
            Some(t) => match t.parse::<Trigger>() {
                Ok(t) => Some(t),
                Err(()) => {
                    report(
                        codes::PIPELINE_INVALID_VALUE,
                        path.key("trigger"),
                        format!(
                            "`{t}` is not a trigger; expected one of {}",
                            Trigger::names()
                        ),
                    );
                    None
                }
            },
        };
        for (field, list) in [("needs", &job.needs), ("secrets", &job.secrets)] {
            for (i, item) in list.iter().enumerate() {
                if item.trim().is_empty() {
                    report(
                        codes::PIPELINE_INVALID_VALUE,
                        path.key(field).index(i),
                        format!("an entry of `{field}` must not be empty"),
                    );
                }
            }
        }
        for (dir, res) in [("consumes", &job.consumes), ("produces", &job.produces)] {
            for (_, field, i, item) in res.all() {
                if item.trim().is_empty() {
                    report(
                        codes::PIPELINE_INVALID_VALUE,
                        path.key(dir).key(field).index(i),
                        format!("a name in `{dir}.{field}` must not be empty"),
                    );
                }
            }
        }
        let mut jb = builder
            .job(name)
            .at(loc)
            .publishes(job.publishes)
            .runs_repo_code(job.runs_repo_code);
        if let Some(t) = trigger {
            jb = jb.trigger(t);
        }
        if let Some(z) = &job.zone {
            jb = jb.zone(z);
        }
        for n in &job.needs {
            jb = jb.need(n);
        }
        for (k, _, _, n) in job.consumes.all() {
            jb = jb.consume(k, n);
        }
        for (k, _, _, n) in job.produces.all() {
            jb = jb.produce(k, n);
        }
        for s in &job.secrets {
            jb = jb.secret(s);
        }
        if let Some(d) = &job.deploys {
            jb.deploys(d);
        }
        names.push(name.clone());
    }
    match Problems::from_vec(problems) {
        None => Ok(NativeFile {
            locator,
            first_job,
            jobs: names,
        }),
        Some(problems) => Err(problems),
    }
}
