//! lockkeeper's own pipeline format: the model written down, in YAML or JSON.
//!
//! It is read like the policy: unknown fields, duplicate keys, undefined `needs` and invalid
//! values are all reported at once, each with its line and column.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::{PipelineBuilder, ResourceKind, Trigger};
use crate::diagnostic::{Problem, Problems};
use crate::rule::{Code, codes};
use crate::source::{DocumentCodes, FieldPath, Format, Location, Positions, parse_document_elided};

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
    jobs: RawJobs,
}

/// The jobs in the order written. A name written twice (JSON allows it; the locator reports it
/// as a duplicate) keeps its last job, as a map keeps it.
///
/// Read as a `BTreeMap` before: at a million jobs its nodes were hundreds of MiB more than the
/// jobs themselves, and sorted by name, not in the order the importer wants them.
#[derive(Debug, Default)]
struct RawJobs(Vec<Option<(String, Box<RawJob>)>>);

impl<'de> Deserialize<'de> for RawJobs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(JobsVisitor)
    }
}

struct JobsVisitor;

impl<'de> Visitor<'de> for JobsVisitor {
    type Value = RawJobs;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What serde's own map says, so that a wrong type reads as it did.
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawJobs, A::Error> {
        use std::hash::BuildHasher as _;
        let state = hashbrown::DefaultHashBuilder::default();
        let mut jobs: Vec<Option<(String, Box<RawJob>)>> =
            Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        // Positions in `jobs` by name.
        let mut index = hashbrown::HashTable::<usize>::new();
        while let Some((name, job)) = map.next_entry::<String, Box<RawJob>>()? {
            let hash = state.hash_one(name.as_str());
            let same = |&i: &usize| {
                jobs.get(i)
                    .and_then(Option::as_ref)
                    .is_some_and(|(n, _)| *n == name)
            };
            let rehash = |&i: &usize| {
                jobs.get(i)
                    .and_then(Option::as_ref)
                    .map_or(0, |(n, _)| state.hash_one(n.as_str()))
            };
            let earlier = match index.entry(hash, same, rehash) {
                hashbrown::hash_table::Entry::Occupied(mut o) => {
                    Some(std::mem::replace(o.get_mut(), jobs.len()))
                }
                hashbrown::hash_table::Entry::Vacant(v) => {
                    v.insert(jobs.len());
                    None
                }
            };
            if let Some(slot) = earlier.and_then(|i| jobs.get_mut(i)) {
                *slot = None;
            }
            jobs.push(Some((name, job)));
        }
        Ok(RawJobs(jobs))
    }
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
pub(crate) struct NativeFile<'a> {
    pub positions: Positions<'a>,
    /// Index of the file's first job in the builder, and its job names in that order.
    pub first_job: usize,
    pub jobs: Vec<String>,
}

impl NativeFile<'_> {
    /// The problem for something wrong at `path` in this file.
    pub fn problem(&self, code: Code, path: FieldPath, message: String) -> Problem {
        let loc = self.positions.locate(&path);
        Problem::new(code, message, path, loc)
    }
}

/// Reads one native file into the builder. Problems that need every file (undefined `needs`)
/// are found by the caller after [`PipelineBuilder::finish`].
pub(crate) fn read<'a>(
    builder: &mut PipelineBuilder,
    first_job: usize,
    file: &str,
    text: &'a str,
    format: Format,
) -> Result<NativeFile<'a>, Problems> {
    // The positions of the jobs (the keys of `jobs`, at depth 1) are kept; those inside a job
    // are read again from the text if a problem needs them.
    let parsed = parse_document_elided::<RawPipeline>(text, format, &CODES, 2)?;
    let positions = Positions::new(text, format, parsed.locator);
    let mut problems = parsed.problems;
    let mut report = |code, path: FieldPath, message: String| {
        let loc = positions.locate(&path);
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
    let mut jobs = raw.jobs.0;
    // The order is by position, then by name (jobs at one position: none known), as it was
    // when they were read into a map sorted by name. In the order written, that is one pass.
    // The jobs stay where they are (a job is a few hundred bytes, and a copy of a million is
    // as many fresh pages for the kernel to clear); only their places are sorted.
    let mut order: Vec<(Option<Location>, usize)> = jobs
        .iter()
        .enumerate()
        .filter_map(|(i, job)| {
            let (name, _) = job.as_ref()?;
            Some((positions.locate_key_in(&root, name), i))
        })
        .collect();
    order.sort_by(|(a, i), (b, j)| {
        let name = |k: &usize| jobs.get(*k).and_then(Option::as_ref).map(|(n, _)| n);
        a.cmp(b).then_with(|| name(i).cmp(&name(j)))
    });

    builder.file(file);
    let mut names = Vec::with_capacity(order.len());
    for (loc, i) in order {
        // Taken, so that each job's own allocations are freed as it is added.
        let Some((name, job)) = jobs.get_mut(i).and_then(Option::take) else {
            continue;
        };
        let name = &name;
        let job = &job;
        let path = || root.key(name.clone());
        if name.trim().is_empty() {
            report(
                codes::PIPELINE_INVALID_VALUE,
                path(),
                "a job name must not be empty".to_owned(),
            );
        }
        let trigger = match job.trigger.as_deref() {
            None => {
                report(
                    codes::PIPELINE_INVALID_VALUE,
                    path(),
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
                        path().key("trigger"),
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
                        path().key(field).index(i),
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
                        path().key(dir).key(field).index(i),
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
            positions,
            first_job,
            jobs: names,
        }),
        Some(problems) => Err(problems),
    }
}
