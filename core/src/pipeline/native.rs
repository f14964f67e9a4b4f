//! lockkeeper's own pipeline format: the model written down, in YAML or JSON.
//!
//! It is read like the policy: unknown fields, duplicate keys, undefined `needs` and invalid
//! values are all reported at once, each with its line and column.

use std::borrow::Cow;
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
struct RawPipeline<'a> {
    #[serde(default)]
    version: Option<u64>,
    // Accepted for people reading the file; the check does not need them.
    #[serde(default)]
    #[allow(dead_code)]
    name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default, borrow)]
    jobs: Jobs<'a>,
}

/// A name or value from the text: borrowed from it unless it had to be unescaped. A million jobs
/// hold some six million of them, each an allocation of its own when read as a `String`.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// Which list of a job an item is in, in the order the job's problems are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum List {
    Needs,
    Secrets,
    Consumes(ResourceKind),
    Produces(ResourceKind),
}

impl List {
    /// The item's path under its job, at `index` within its list.
    fn path(self, job: FieldPath, index: usize) -> FieldPath {
        match self {
            List::Needs => job.key("needs").index(index),
            List::Secrets => job.key("secrets").index(index),
            List::Consumes(kind) => job.key("consumes").key(resource_field(kind)).index(index),
            List::Produces(kind) => job.key("produces").key(resource_field(kind)).index(index),
        }
    }

    fn message(self) -> String {
        match self {
            List::Needs => "an entry of `needs` must not be empty".to_owned(),
            List::Secrets => "an entry of `secrets` must not be empty".to_owned(),
            List::Consumes(kind) => {
                format!(
                    "a name in `consumes.{}` must not be empty",
                    resource_field(kind)
                )
            }
            List::Produces(kind) => {
                format!(
                    "a name in `produces.{}` must not be empty",
                    resource_field(kind)
                )
            }
        }
    }
}

fn resource_field(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Artifact => "artifacts",
        ResourceKind::Cache => "caches",
        ResourceKind::Workspace => "workspaces",
        ResourceKind::Provided => "provided",
    }
}

/// One job as kept until the builder takes it: its lists are a range of [`Jobs::items`].
#[derive(Debug)]
struct Job<'a> {
    name: Text<'a>,
    trigger: Option<Text<'a>>,
    zone: Option<Text<'a>>,
    deploys: Option<Text<'a>>,
    publishes: bool,
    runs_repo_code: bool,
    items: ItemsAt,
}

/// The jobs in the order written, and the items of their lists one after the other. A name
/// written twice (JSON allows it; the locator reports it as a duplicate) keeps its last job, as
/// a map keeps it.
///
/// Each job is read into a [`RawJob`] and moved here at once, so that a million jobs are not a
/// million structs of ten lists each, every list an allocation: read that way (and into a
/// `BTreeMap` before that), the jobs took several times the memory of the text, and on a large
/// document the kernel's first touch of each page is much of the reading time.
#[derive(Debug, Default)]
struct Jobs<'a> {
    jobs: Blocks<Option<Job<'a>>>,
    /// The items of each job together, in blocks of about [`BLOCK`] items.
    items: Vec<Vec<(List, Text<'a>)>>,
}

/// Entries per block of [`Blocks`] and [`Jobs::items`].
const BLOCK: usize = 1 << 14;

/// A list that grows by blocks that never move. A vector of a million jobs grown by doubling is
/// copied at each step into fresh memory (mimalloc's realloc copies), which the kernel clears
/// page by page: at a million jobs that was a fifth of the whole check.
#[derive(Debug)]
struct Blocks<T> {
    /// Every block but the last holds exactly [`BLOCK`] entries.
    blocks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Blocks<T> {
    fn default() -> Self {
        Blocks {
            blocks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Blocks<T> {
    fn push(&mut self, value: T) {
        match self.blocks.last_mut() {
            Some(block) if block.len() < BLOCK => block.push(value),
            last => {
                // The first block grows as a vector does, so that a small pipeline stays small.
                let mut block = Vec::with_capacity(if last.is_some() { BLOCK } else { 0 });
                block.push(value);
                self.blocks.push(block);
            }
        }
        self.len += 1;
    }

    fn get(&self, i: usize) -> Option<&T> {
        self.blocks.get(i / BLOCK)?.get(i % BLOCK)
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.blocks.get_mut(i / BLOCK)?.get_mut(i % BLOCK)
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.blocks.iter().flatten()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Jobs<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(JobsVisitor(std::marker::PhantomData))
    }
}

struct JobsVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for JobsVisitor<'a> {
    type Value = Jobs<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What serde's own map says, so that a wrong type reads as it did.
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Jobs<'a>, A::Error> {
        use std::hash::BuildHasher as _;
        let state = hashbrown::DefaultHashBuilder::default();
        let mut read = Jobs::default();
        // Positions in `jobs` by name.
        let mut index = hashbrown::HashTable::<usize>::new();
        while let Some((name, job)) = map.next_entry::<Text<'a>, RawJob<'a>>()? {
            let jobs = &mut read.jobs;
            let hash = state.hash_one(&*name);
            let same = |&i: &usize| {
                jobs.get(i)
                    .and_then(Option::as_ref)
                    .is_some_and(|j| *j.name == *name)
            };
            let rehash = |&i: &usize| {
                jobs.get(i)
                    .and_then(Option::as_ref)
                    .map_or(0, |j| state.hash_one(&*j.name))
            };
            let earlier = match index.entry(hash, same, rehash) {
                hashbrown::hash_table::Entry::Occupied(mut o) => {
                    Some(std::mem::replace(o.get_mut(), jobs.len))
                }
                hashbrown::hash_table::Entry::Vacant(v) => {
                    v.insert(jobs.len);
                    None
                }
            };
            if let Some(slot) = earlier.and_then(|i| jobs.get_mut(i)) {
                *slot = None;
            }
            read.push(name, job);
        }
        Ok(read)
    }
}

impl<'a> Jobs<'a> {
    fn push(&mut self, name: Text<'a>, job: RawJob<'a>) {
        // Counted first, so that the lists go straight into their block: this runs once per
        // job, and collecting them first was an allocation per job.
        let count = job.needs.len() + job.secrets.len() + job.consumes.len() + job.produces.len();
        // A job's items stay together in one block. The first block grows as a vector does,
        // so that a small pipeline stays small.
        let mut block = match self.items.pop() {
            Some(block) if block.len() + count <= BLOCK => block,
            Some(full) => {
                self.items.push(full);
                Vec::with_capacity(count.max(BLOCK))
            }
            None => Vec::new(),
        };
        let start = block.len();
        let lists = [(List::Needs, job.needs), (List::Secrets, job.secrets)]
            .into_iter()
            .chain(job.consumes.lists().map(|(k, l)| (List::Consumes(k), l)))
            .chain(job.produces.lists().map(|(k, l)| (List::Produces(k), l)));
        for (list, items) in lists {
            block.extend(items.into_iter().map(|item| (list, item)));
        }
        self.items.push(block);
        let items = ItemsAt {
            block: self.items.len().saturating_sub(1),
            range: start..start + count,
        };
        self.jobs.push(Some(Job {
            name,
            trigger: job.trigger,
            zone: job.zone,
            deploys: job.deploys,
            publishes: job.publishes,
            runs_repo_code: job.runs_repo_code,
            items,
        }));
    }

    fn items(&self, at: &ItemsAt) -> &[(List, Text<'a>)] {
        self.items
            .get(at.block)
            .and_then(|block| block.get(at.range.clone()))
            .unwrap_or_default()
    }
}

/// Where a job's items are in [`Jobs::items`].
#[derive(Debug)]
struct ItemsAt {
    block: usize,
    range: std::ops::Range<usize>,
}

#[derive(Debug, Deserialize)]
struct RawJob<'a> {
    #[serde(default, borrow)]
    trigger: Option<Text<'a>>,
    #[serde(default, borrow)]
    zone: Option<Text<'a>>,
    #[serde(default, borrow)]
    needs: Vec<Text<'a>>,
    #[serde(default, borrow)]
    consumes: RawResources<'a>,
    #[serde(default, borrow)]
    produces: RawResources<'a>,
    #[serde(default, borrow)]
    secrets: Vec<Text<'a>>,
    #[serde(default)]
    publishes: bool,
    #[serde(default = "yes")]
    runs_repo_code: bool,
    #[serde(default, borrow)]
    deploys: Option<Text<'a>>,
    #[serde(default, borrow)]
    #[allow(dead_code)]
    description: Option<Text<'a>>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
struct RawResources<'a> {
    #[serde(default, borrow)]
    artifacts: Vec<Text<'a>>,
    #[serde(default, borrow)]
    caches: Vec<Text<'a>>,
    #[serde(default, borrow)]
    workspaces: Vec<Text<'a>>,
    #[serde(default, borrow)]
    provided: Vec<Text<'a>>,
}

impl<'a> RawResources<'a> {
    /// The lists in the order their items are added and reported.
    fn len(&self) -> usize {
        self.artifacts.len() + self.caches.len() + self.workspaces.len() + self.provided.len()
    }

    fn lists(self) -> impl Iterator<Item = (ResourceKind, Vec<Text<'a>>)> {
        [
            (ResourceKind::Artifact, self.artifacts),
            (ResourceKind::Cache, self.caches),
            (ResourceKind::Workspace, self.workspaces),
            (ResourceKind::Provided, self.provided),
        ]
        .into_iter()
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
    let mut read = raw.jobs;
    // The order is by position, then by name (jobs at one position: none known), as it was
    // when they were read into a map sorted by name. In the order written, that is one pass.
    // The jobs stay where they are (a copy of a million is as many fresh pages for the kernel
    // to clear); only their places are sorted.
    let mut order: Vec<(Option<Location>, usize)> = read
        .jobs
        .iter()
        .enumerate()
        .filter_map(|(i, job)| Some((positions.locate_key_in(&root, &job.as_ref()?.name), i)))
        .collect();
    order.sort_by(|(a, i), (b, j)| {
        let name = |k: &usize| {
            read.jobs
                .get(*k)
                .and_then(Option::as_ref)
                .map(|job| &*job.name)
        };
        a.cmp(b).then_with(|| name(i).cmp(&name(j)))
    });

    builder.file(file);
    let mut names = Vec::with_capacity(order.len());
    for (loc, i) in order {
        let Some(job) = read.jobs.get_mut(i).and_then(Option::take) else {
            continue;
        };
        let name: &str = &job.name;
        let items = read.items(&job.items);
        let path = || root.key(name.to_owned());
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
        // Each item's index within its list: the items of one list are together.
        let mut index = 0;
        for (k, (list, item)) in items.iter().enumerate() {
            index = match k.checked_sub(1).and_then(|p| items.get(p)) {
                Some((before, _)) if before == list => index + 1,
                _ => 0,
            };
            if item.trim().is_empty() {
                report(
                    codes::PIPELINE_INVALID_VALUE,
                    list.path(path(), index),
                    list.message(),
                );
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
        // Names are added in the order they were before (needs, consumes, produces), and the
        // secrets after them.
        for (list, item) in items {
            jb = match *list {
                List::Needs => jb.need(item),
                List::Consumes(kind) => jb.consume(kind, item),
                List::Produces(kind) => jb.produce(kind, item),
                List::Secrets => jb,
            };
        }
        for (_, item) in items.iter().filter(|(list, _)| *list == List::Secrets) {
            jb = jb.secret(item);
        }
        if let Some(d) = &job.deploys {
            jb.deploys(d);
        }
        names.push(name.to_owned());
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Where each empty item of a job's lists is reported, in YAML and JSON: its own list and
    /// its index within that list, at its line and column.
    #[test]
    fn an_empty_item_is_reported_at_its_place_in_its_list() {
        let yaml = "version: 1\njobs:\n  j:\n    trigger: merged\n    needs: [a, '']\n    consumes: {artifacts: [x], caches: [y, '']}\n    secrets: ['']\n  a:\n    trigger: merged\n    produces: {artifacts: [x]}\n";
        let json = r#"{"version": 1, "jobs": {"j": {"trigger": "merged", "needs": ["a", ""], "consumes": {"artifacts": ["x"], "caches": ["y", ""]}, "secrets": [""]}, "a": {"trigger": "merged", "produces": {"artifacts": ["x"]}}}}"#;
        for (text, format) in [(yaml, Format::Yaml), (json, Format::Json)] {
            let Err(problems) = read(&mut PipelineBuilder::new(), 0, "p", text, format) else {
                panic!("empty items were taken: {text}");
            };
            let found: Vec<String> = problems
                .iter()
                .map(|p| {
                    let at = p.location.map(|l| (l.line, l.column));
                    format!("{} {at:?} {}", p.path, p.message)
                })
                .collect();
            let expected = match format {
                Format::Yaml => [
                    "jobs.j.needs[1] Some((5, 16)) an entry of `needs` must not be empty",
                    "jobs.j.consumes.caches[1] Some((6, 44)) a name in `consumes.caches` must not be empty",
                    "jobs.j.secrets[0] Some((7, 15)) an entry of `secrets` must not be empty",
                ],
                Format::Json => [
                    "jobs.j.needs[1] Some((1, 67)) an entry of `needs` must not be empty",
                    "jobs.j.consumes.caches[1] Some((1, 121)) a name in `consumes.caches` must not be empty",
                    "jobs.j.secrets[0] Some((1, 139)) an entry of `secrets` must not be empty",
                ],
            };
            assert_eq!(found, expected, "{text}");
        }
    }

    /// Past one block of jobs and of items: every job is kept in the order written, and a late
    /// job's items are its own.
    #[test]
    fn many_jobs_keep_their_order_and_their_own_items() {
        let n = 2 * BLOCK + 100;
        let mut text = String::from("{\"jobs\": {");
        for i in 0..n {
            let needs = match i {
                0 => String::new(),
                i if i == n - 7 => format!(r#", "needs": ["job-{}", ""]"#, i - 1),
                i => format!(r#", "needs": ["job-{}"]"#, i - 1),
            };
            text.push_str(&format!(
                r#""job-{i}": {{"trigger": "merged"{needs}, "produces": {{"artifacts": ["a-{i}"]}}}},"#
            ));
        }
        // `job-5` again, last: JSON allows it; it is reported.
        text.push_str(r#""job-5": {"trigger": "merged"}}}"#);
        let Err(problems) = read(&mut PipelineBuilder::new(), 0, "p", &text, Format::Json) else {
            panic!("the empty need was taken");
        };
        let found: Vec<String> = problems
            .iter()
            .map(|p| format!("{} {}", p.code, p.path))
            .collect();
        for expected in [
            format!("pipeline/invalid-value jobs.job-{}.needs[1]", n - 7),
            "pipeline/duplicate-name jobs.job-5".to_owned(),
        ] {
            assert!(found.contains(&expected), "{expected} not in {found:?}");
        }
        let text = text
            .replace(r#", """#, "")
            .replace(r#","job-5": {"trigger": "merged"}}}"#, "}}");
        let file = match read(&mut PipelineBuilder::new(), 0, "p", &text, Format::Json) {
            Ok(file) => file,
            Err(problems) => panic!(
                "{:?}",
                problems.iter().map(|p| &p.message).collect::<Vec<_>>()
            ),
        };
        let expected: Vec<String> = (0..n).map(|i| format!("job-{i}")).collect();
        assert!(
            file.jobs == expected,
            "{} jobs, not in the order written",
            file.jobs.len()
        );
    }
}
