//! Pipelines: DAGs of jobs, with what each job runs, holds, consumes, produces and deploys.
//!
//! A [`Pipeline`] is what the trust-flow checks ([`crate::Policy::check_pipeline`]) read. It comes
//! from lockkeeper's own format ([`Pipeline::from_yaml`]) or from an importer
//! ([`crate::import`]) for Argo Workflows, GitLab CI, Zuul v3 or GitHub Actions, and it says only
//! what the file says: which zone a job runs in is decided when it is checked, from the policy's
//! `pipelines` section, so one imported pipeline can be checked against several policies.
//!
//! The storage is built for size: names are resolved all at once when the pipeline is finished
//! (see `names`), each job's lists live in shared flat arrays, and the job graph is a petgraph
//! compressed-row graph indexed like the jobs. A million-job pipeline costs a few allocations,
//! not millions, and its cost grows with its size, not faster.

pub(crate) mod build;
mod check;
pub(crate) mod defaults;
pub(crate) mod mapping;
mod names;
pub(crate) mod native;

use std::fmt;
use std::str::FromStr;

use petgraph::csr::Csr;
use serde_json::{Value, json};

use crate::source::Location;

pub use build::{BuildIssue, JobBuilder, PipelineBuilder};
pub use check::CheckOptions;
pub use defaults::{DEFAULT_POLICY, context_trigger};
pub use mapping::{ContextRule, PipelineRules};
use names::{NameLog, Names, Sym};

/// What started a job, and so what kind of code it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// A change uploaded for review: unreviewed code (GitHub `pull_request`, Zuul `check`,
    /// GitLab merge-request and branch pipelines).
    Patchset,
    /// A change approved but not merged yet (Zuul `gate`, GitHub merge queues): reviewed is not
    /// merged.
    Approved,
    /// A change merged into a protected branch.
    Merged,
    /// A tag pushed (releases).
    Tag,
    /// Started by hand by someone with the right to do so.
    Manual,
    /// Started by a timer.
    Schedule,
}

impl Trigger {
    /// Every trigger, in order of increasing review.
    pub const ALL: [Trigger; 6] = [
        Trigger::Patchset,
        Trigger::Approved,
        Trigger::Merged,
        Trigger::Tag,
        Trigger::Manual,
        Trigger::Schedule,
    ];

    /// The name used in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Patchset => "patchset",
            Trigger::Approved => "approved",
            Trigger::Merged => "merged",
            Trigger::Tag => "tag",
            Trigger::Manual => "manual",
            Trigger::Schedule => "schedule",
        }
    }

    /// Whether the code this trigger runs has not been merged yet.
    pub fn unmerged(self) -> bool {
        matches!(self, Trigger::Patchset | Trigger::Approved)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The names, comma-separated, for messages.
    pub fn names() -> String {
        Trigger::ALL.map(Trigger::as_str).join(", ")
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Trigger {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Trigger::ALL.into_iter().find(|t| t.as_str() == s).ok_or(())
    }
}

/// What kind of thing passes between jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    /// A build output passed to later jobs of the same run (also job outputs and parameters).
    Artifact,
    /// A cache: written by one run, read by later runs. Taint crosses runs through it.
    Cache,
    /// A shared working directory or volume within one run. Any job using it may write what
    /// another reads, in any order: it adds taint in both directions but no ordering edge
    /// (`needs` order the jobs).
    Workspace,
    /// An artifact one run provides to later runs (Zuul `provides`/`requires`).
    Provided,
}

impl ResourceKind {
    /// Every kind.
    pub const ALL: [ResourceKind; 4] = [
        ResourceKind::Artifact,
        ResourceKind::Cache,
        ResourceKind::Workspace,
        ResourceKind::Provided,
    ];

    /// The singular name used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Artifact => "artifact",
            ResourceKind::Cache => "cache",
            ResourceKind::Workspace => "workspace",
            ResourceKind::Provided => "provided",
        }
    }

    /// Whether it orders jobs: only artifacts are written before they are read within one
    /// run. Caches and provided artifacts cross runs and workspaces are shared without order,
    /// so they add taint but no edge to the job graph.
    pub fn orders_jobs(self) -> bool {
        matches!(self, ResourceKind::Artifact)
    }

    pub(crate) fn space(self) -> u8 {
        match self {
            ResourceKind::Artifact => b'a',
            ResourceKind::Cache => b'c',
            ResourceKind::Workspace => b'w',
            ResourceKind::Provided => b'p',
        }
    }

    pub(crate) fn from_space(space: u8) -> Option<ResourceKind> {
        ResourceKind::ALL.into_iter().find(|k| k.space() == space)
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something passed between jobs: an artifact, cache, workspace or provided artifact.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Resource {
    /// What kind.
    pub kind: ResourceKind,
    /// Its name (for a cache, the cache key as written).
    pub name: String,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`", self.kind, self.name)
    }
}

/// The namespace byte of job names in [`Names`].
pub(crate) const JOB: u8 = b'j';

/// A construct an importer read but could not model. It is never dropped: checking the pipeline
/// reports each one as `import/unsupported`, so a pipeline that was not fully understood is
/// never called safe.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Unsupported {
    /// The file it is in.
    pub file: String,
    /// Where, when known.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The field path, e.g. `jobs.build.steps[2]`.
    pub path: String,
    /// What was not understood and what that means for the check.
    pub message: String,
}

/// Imports `text` as `format` and checks it against the built-in policy: what the fuzz targets
/// call, so that importing and checking any input is exercised in one line. The result says
/// whether the pipeline checked clean; an import error is `None`. Only with the `fuzzing`
/// feature, which the fuzz crate turns on: it is no API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub fn fuzz_check(text: &str, format: crate::PipelineFormat) -> Option<bool> {
    let file = crate::SourceFile {
        name: "fuzz.yaml",
        text,
    };
    let pipeline = Pipeline::import(&[file], Some(format)).ok()?;
    Some(crate::Policy::builtin().check_pipeline(&pipeline).allowed())
}

/// Index ranges into a flat array: item `i` owns `items[offsets[i]..offsets[i + 1]]`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lists {
    offsets: Vec<u32>,
    items: Vec<Sym>,
}

impl Lists {
    fn with_capacity(rows: usize, items: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Lists {
            offsets,
            items: Vec::with_capacity(items),
        }
    }

    /// Closes the current row.
    fn end_row(&mut self) {
        self.offsets
            .push(u32::try_from(self.items.len()).unwrap_or(u32::MAX));
    }

    /// Adds an item to the current (last, open) row.
    fn push(&mut self, item: Sym) {
        self.items.push(item);
    }

    /// Maps every item through `names` (see [`NameLog::resolve`]) and drops repeats
    /// within a row, keeping the first of each.
    fn canonicalize(&mut self, first: &[Sym]) {
        let mut write = 0usize;
        let mut read = 0usize;
        let mut seen: hashbrown::HashSet<Sym> = hashbrown::HashSet::new();
        for r in 1..self.offsets.len() {
            let end = (self.offsets[r] as usize).min(self.items.len());
            let row_start = write;
            // Rows are short; a set only pays for itself on long ones.
            let long = end.saturating_sub(read) > 32;
            seen.clear();
            for i in read..end {
                let s = self.items[i];
                let s = first.get(s as usize).copied().unwrap_or(s);
                let repeat = if long {
                    !seen.insert(s)
                } else {
                    self.items[row_start..write].contains(&s)
                };
                if !repeat {
                    self.items[write] = s;
                    write += 1;
                }
            }
            read = end;
            self.offsets[r] = u32::try_from(write).unwrap_or(u32::MAX);
        }
        self.items.truncate(write);
    }

    /// Items of the still-open last row.
    fn open_row(&self) -> &[Sym] {
        let start = self.offsets.last().copied().unwrap_or(0) as usize;
        self.items.get(start..).unwrap_or_default()
    }

    pub(crate) fn row(&self, i: usize) -> &[Sym] {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.items.get(a as usize..b as usize).unwrap_or_default(),
            _ => &[],
        }
    }
}

/// Per-job scalar facts; lists live in [`Pipeline`]'s flat arrays.
#[derive(Clone, Debug)]
pub(crate) struct JobRecord {
    pub(crate) name: Sym,
    pub(crate) trigger: Option<Trigger>,
    /// Zone name (a term), when the file or importer states it.
    pub(crate) zone: Option<Sym>,
    /// Environment name (a term) the job deploys to.
    pub(crate) deploys: Option<Sym>,
    pub(crate) publishes: bool,
    /// `publishes` rests on a guess (the job's name), not on what the job does.
    pub(crate) publishes_guessed: bool,
    pub(crate) runs_repo_code: bool,
    pub(crate) file: u32,
    pub(crate) location: Option<Location>,
}

/// A pipeline: jobs, the graph between them, and what the importer could not model.
#[derive(Clone, Debug)]
pub struct Pipeline {
    pub(crate) files: Vec<String>,
    /// Job and resource names.
    pub(crate) names: NameLog,
    /// Zones, contexts, environments and secrets: small vocabularies.
    pub(crate) terms: Names,
    pub(crate) jobs: Vec<JobRecord>,
    pub(crate) needs: Lists,
    pub(crate) consumes: Lists,
    pub(crate) produces: Lists,
    pub(crate) secrets: Lists,
    pub(crate) contexts: Lists,
    /// For each resource name id, the jobs producing it.
    pub(crate) producers: Lists,
    /// Needs and same-run data flow, node `i` being job `i`.
    pub(crate) graph: Csr<(), (), petgraph::Directed, u32>,
    pub(crate) unsupported: Vec<Unsupported>,
    /// Facts the importer attached to jobs, by job index.
    pub(crate) notes: std::collections::BTreeMap<usize, crate::decision::Facts>,
    /// Facts the importer attached to resources, by name id: every tainted-input finding
    /// through one carries them.
    pub(crate) resource_notes: std::collections::BTreeMap<u32, crate::decision::Facts>,
    /// Findings the importer made itself.
    pub(crate) findings: Vec<crate::decision::Violation>,
}

/// One job, as read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Job {
    /// Unique name within the pipeline.
    pub name: String,
    /// File the job is defined in.
    pub file: String,
    /// Where in the file.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// What starts it, when the file says.
    pub trigger: Option<Trigger>,
    /// The zone the file puts it in, if any (otherwise the policy decides).
    pub zone: Option<String>,
    /// Platform contexts the policy's `pipelines.contexts` maps to triggers and zones, e.g.
    /// `zuul/gate`, `github/pull_request_target`, `argo/namespace/ci`.
    pub contexts: Vec<String>,
    /// Jobs it runs after.
    pub needs: Vec<String>,
    /// What it reads.
    pub consumes: Vec<Resource>,
    /// What it writes.
    pub produces: Vec<Resource>,
    /// Credentials it asks for.
    pub secrets: Vec<String>,
    /// Whether it publishes to the artifact store.
    pub publishes: bool,
    /// Whether it runs the repository's code (builds, tests), as opposed to vetted tooling only.
    pub runs_repo_code: bool,
    /// The environment it deploys to.
    pub deploys: Option<String>,
}

impl Pipeline {
    /// Starts building a pipeline by hand (importers and tests do).
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder::new()
    }

    /// Like [`Pipeline::builder`], with room for `jobs` jobs and `refs` list entries.
    pub fn builder_with_capacity(jobs: usize, refs: usize) -> PipelineBuilder {
        PipelineBuilder::with_capacity(jobs, refs)
    }

    /// How many jobs.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Whether there is no job.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// The files the pipeline was read from.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// What the importers could not model (each is reported by the check).
    pub fn unsupported(&self) -> &[Unsupported] {
        &self.unsupported
    }

    /// Job names, in definition order.
    pub fn job_names(&self) -> impl Iterator<Item = &str> {
        self.jobs.iter().map(|j| self.names.text(j.name))
    }

    pub(crate) fn job_name(&self, i: usize) -> &str {
        self.jobs
            .get(i)
            .map(|j| self.names.text(j.name))
            .unwrap_or_default()
    }

    pub(crate) fn file_of(&self, i: usize) -> &str {
        self.jobs
            .get(i)
            .and_then(|j| self.files.get(j.file as usize))
            .map(String::as_str)
            .unwrap_or_default()
    }

    fn resource(&self, sym: Sym) -> Resource {
        Resource {
            kind: ResourceKind::from_space(self.names.space(sym)).unwrap_or(ResourceKind::Artifact),
            name: self.names.text(sym).to_owned(),
        }
    }

    /// One job by index, with its lists as owned values.
    pub fn job(&self, i: usize) -> Option<Job> {
        let j = self.jobs.get(i)?;
        let terms = |l: &Lists| {
            l.row(i)
                .iter()
                .map(|&s| self.terms.text(s).to_owned())
                .collect()
        };
        Some(Job {
            name: self.names.text(j.name).to_owned(),
            file: self.file_of(i).to_owned(),
            location: j.location,
            trigger: j.trigger,
            zone: j.zone.map(|z| self.terms.text(z).to_owned()),
            contexts: terms(&self.contexts),
            needs: self
                .needs
                .row(i)
                .iter()
                .map(|&s| self.names.text(s).to_owned())
                .collect(),
            consumes: self
                .consumes
                .row(i)
                .iter()
                .map(|&s| self.resource(s))
                .collect(),
            produces: self
                .produces
                .row(i)
                .iter()
                .map(|&s| self.resource(s))
                .collect(),
            secrets: terms(&self.secrets),
            publishes: j.publishes,
            runs_repo_code: j.runs_repo_code,
            deploys: j.deploys.map(|d| self.terms.text(d).to_owned()),
        })
    }

    /// Every job, as owned values.
    pub fn jobs(&self) -> impl Iterator<Item = Job> + '_ {
        (0..self.jobs.len()).filter_map(|i| self.job(i))
    }

    /// The pipeline as JSON: `{"files", "jobs": [...], "unsupported": [...]}`; what
    /// `lockkeeper check pipeline --dump` prints and the bindings' `jobs` return.
    pub fn to_json_value(&self) -> Value {
        json!({
            "files": self.files,
            "jobs": self.jobs().collect::<Vec<_>>(),
            "unsupported": self.unsupported,
        })
    }
}
