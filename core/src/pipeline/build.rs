//! Building a [`Pipeline`] job by job: what the native reader, the importers, the tests and the
//! benchmark all use.
//!
//! Each job's lists are appended to shared flat arrays while the job is the last one added, so
//! a job costs no allocation of its own. Names are resolved once, in [`PipelineBuilder::finish`], all together
//! (see `names`), and repeated entries of a job's lists are dropped there.

use petgraph::csr::Csr;

use super::names::{NameLog, Names};
use super::{JOB, JobRecord, Lists, Pipeline, ResourceKind, Trigger, Unsupported};
use crate::source::Location;

/// Namespaces of terms.
pub(crate) const ZONE: u8 = b'z';
pub(crate) const CONTEXT: u8 = b'x';
pub(crate) const ENVIRONMENT: u8 = b'e';
pub(crate) const SECRET: u8 = b's';

/// Something [`PipelineBuilder::finish`] could not resolve; the job is kept, the reference is
/// not. The native reader turns these into problems, the importers into `import/unsupported`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildIssue {
    /// A second job with a name already used; it is kept, but `needs` resolve to the first.
    DuplicateJob {
        /// Index of the second job.
        job: usize,
        /// The name.
        name: String,
    },
    /// A `needs` entry naming no job.
    UndefinedNeed {
        /// Index of the job.
        job: usize,
        /// Position in the job's `needs`.
        index: usize,
        /// The name that was not found.
        name: String,
    },
}

/// Collects jobs; see [`Pipeline::builder`].
///
/// ```
/// use lockkeeper::pipeline::{Pipeline, ResourceKind, Trigger};
/// let mut b = Pipeline::builder();
/// b.file("pipeline.yaml");
/// b.job("build").trigger(Trigger::Patchset).produce(ResourceKind::Artifact, "app");
/// b.job("publish").trigger(Trigger::Merged).need("build")
///     .consume(ResourceKind::Artifact, "app").publishes(true).runs_repo_code(false);
/// let (pipeline, issues) = b.finish();
/// assert!(issues.is_empty());
/// assert_eq!(pipeline.len(), 2);
/// ```
#[derive(Debug)]
pub struct PipelineBuilder {
    files: Vec<String>,
    file: u32,
    names: NameLog,
    terms: Names,
    jobs: Vec<JobRecord>,
    needs: Lists,
    consumes: Lists,
    produces: Lists,
    secrets: Lists,
    contexts: Lists,
    unsupported: Vec<Unsupported>,
    notes: Vec<(u32, crate::decision::Facts)>,
    resource_notes: std::collections::BTreeMap<u32, crate::decision::Facts>,
    findings: Vec<crate::decision::Violation>,
}

impl Default for PipelineBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PipelineBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::with_capacity(0, 0)
    }

    /// An empty builder with room for `jobs` jobs and `refs` list entries (needs, consumes,
    /// produces) in all.
    pub fn with_capacity(jobs: usize, refs: usize) -> Self {
        PipelineBuilder {
            files: Vec::new(),
            file: 0,
            names: NameLog::with_capacity(jobs * 2 + refs, (jobs * 2 + refs) * 12),
            terms: Names::default(),
            jobs: Vec::with_capacity(jobs),
            needs: Lists::with_capacity(jobs, refs / 2),
            consumes: Lists::with_capacity(jobs, refs / 4),
            produces: Lists::with_capacity(jobs, refs / 4),
            secrets: Lists::with_capacity(jobs, 0),
            contexts: Lists::with_capacity(jobs, 0),
            unsupported: Vec::new(),
            notes: Vec::new(),
            resource_notes: std::collections::BTreeMap::new(),
            findings: Vec::new(),
        }
    }

    /// A fact every finding about reading the resource `name` carries (`persona`,
    /// `confidence`, `assumptions`): where the flow through it rests on something the file does
    /// not show (a self-hosted runner that keeps state between jobs), the finding says so and
    /// is shown to the persona that judges such things.
    pub(crate) fn resource_note(
        &mut self,
        kind: ResourceKind,
        name: &str,
        key: &str,
        value: serde_json::Value,
    ) {
        let s = self.names.add(kind.space(), name);
        self.resource_notes
            .entry(s)
            .or_default()
            .insert(key.to_owned(), value);
    }

    /// Records a finding the importer made itself (one the job graph cannot express, such as
    /// an expression injected into a script); checking the pipeline reports it as is.
    pub fn finding(&mut self, violation: crate::decision::Violation) {
        self.findings.push(violation);
    }

    /// Jobs and unsupported constructs added from now on belong to this file.
    pub fn file(&mut self, name: &str) -> &mut Self {
        self.file = match self.files.iter().position(|f| f == name) {
            Some(i) => u32::try_from(i).unwrap_or(u32::MAX),
            None => {
                self.files.push(name.to_owned());
                u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self
    }

    fn current_file(&mut self) -> String {
        if self.files.is_empty() {
            self.file("<pipeline>");
        }
        self.files
            .get(self.file as usize)
            .cloned()
            .unwrap_or_default()
    }

    /// Records a construct that could not be modelled, in the current file.
    pub fn unsupported(
        &mut self,
        location: Option<Location>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        let file = self.current_file();
        self.unsupported.push(Unsupported {
            file,
            location,
            path: path.into(),
            message: message.into(),
        });
    }

    /// How many jobs were added so far.
    pub fn job_count(&self) -> usize {
        self.jobs.len()
    }

    fn end_rows(&mut self) {
        self.needs.end_row();
        self.consumes.end_row();
        self.produces.end_row();
        self.secrets.end_row();
        self.contexts.end_row();
    }

    /// Adds a job; the returned builder adds to it. Runs the repository's code unless told
    /// otherwise.
    pub fn job(&mut self, name: &str) -> JobBuilder<'_> {
        if !self.jobs.is_empty() {
            self.end_rows();
        }
        if self.files.is_empty() {
            self.file("<pipeline>");
        }
        let name = self.names.add(JOB, name);
        self.jobs.push(JobRecord {
            name,
            trigger: None,
            zone: None,
            deploys: None,
            publishes: false,
            publishes_guessed: false,
            runs_repo_code: true,
            file: self.file,
            location: None,
        });
        JobBuilder { b: self }
    }

    /// Resolves every name and builds the job graph. Problems with names do not stop the build:
    /// they come back as [`BuildIssue`]s next to the pipeline.
    pub fn finish(mut self) -> (Pipeline, Vec<BuildIssue>) {
        if !self.jobs.is_empty() {
            self.end_rows();
        }
        let n = self.jobs.len();
        if self.names.overflowed() {
            self.unsupported(
                None,
                "",
                "more than 4 GiB of job and resource names or 4 billion of them: names could not \
                 be told apart, so the pipeline cannot be checked",
            );
        }
        // Occurrences become names: equal names are equal ids from here on.
        let first = self.names.resolve();
        for job in &mut self.jobs {
            job.name = first.get(job.name as usize).copied().unwrap_or(job.name);
        }
        self.needs.canonicalize(&first);
        self.consumes.canonicalize(&first);
        self.produces.canonicalize(&first);
        // Notes were recorded under an occurrence; the name's id holds all of them.
        let mut resource_notes: std::collections::BTreeMap<u32, crate::decision::Facts> =
            std::collections::BTreeMap::new();
        for (occurrence, facts) in std::mem::take(&mut self.resource_notes) {
            let id = first
                .get(occurrence as usize)
                .copied()
                .unwrap_or(occurrence);
            resource_notes.entry(id).or_default().extend(facts);
        }
        self.resource_notes = resource_notes;
        let mut issues = Vec::new();
        let mut job_of = vec![u32::MAX; self.names.len()];
        for (i, job) in self.jobs.iter().enumerate() {
            match job_of.get_mut(job.name as usize) {
                Some(slot) if *slot == u32::MAX => *slot = i as u32,
                _ => issues.push(BuildIssue::DuplicateJob {
                    job: i,
                    name: self.names.text(job.name).to_owned(),
                }),
            }
        }

        // Producers of each resource, as lists indexed by resource name id (a counting sort).
        let mut counts = vec![0u32; self.names.len() + 1];
        for i in 0..n {
            for &r in self.produces.row(i) {
                if let Some(c) = counts.get_mut(r as usize + 1) {
                    *c += 1;
                }
            }
        }
        for k in 1..counts.len() {
            counts[k] += counts[k - 1];
        }
        let mut fill = counts.clone();
        let mut items = vec![0u32; counts.last().copied().unwrap_or(0) as usize];
        for i in 0..n {
            for &r in self.produces.row(i) {
                if let Some(at) = fill.get_mut(r as usize)
                    && let Some(slot) = items.get_mut(*at as usize)
                {
                    *slot = i as u32;
                    *at += 1;
                }
            }
        }
        let producers = Lists {
            offsets: counts,
            items,
        };

        let edges = self.needs.items.len() + self.consumes.items.len();
        // Edges are found job by job, so grouped by target; the graph wants them by source.
        let mut by_target: Vec<(u32, u32)> = Vec::with_capacity(edges);
        for i in 0..n {
            for (k, &s) in self.needs.row(i).iter().enumerate() {
                match job_of.get(s as usize) {
                    Some(&t) if t != u32::MAX => by_target.push((t, i as u32)),
                    _ => issues.push(BuildIssue::UndefinedNeed {
                        job: i,
                        index: k,
                        name: self.names.text(s).to_owned(),
                    }),
                }
            }
            for &r in self.consumes.row(i) {
                let orders = ResourceKind::from_space(self.names.space(r))
                    .is_none_or(ResourceKind::orders_jobs);
                if !orders {
                    continue;
                }
                for &p in producers.row(r as usize) {
                    if p != i as u32 {
                        by_target.push((p, i as u32));
                    }
                }
            }
        }
        let graph = match job_graph(n, &by_target) {
            Some(graph) => graph,
            None => {
                self.unsupported(
                    None,
                    "",
                    "internal error: the job graph could not be built, so the pipeline cannot \
                     be checked",
                );
                Csr::with_nodes(n)
            }
        };

        let pipeline = Pipeline {
            files: self.files,
            names: self.names,
            terms: self.terms,
            jobs: self.jobs,
            needs: self.needs,
            consumes: self.consumes,
            produces: self.produces,
            secrets: self.secrets,
            contexts: self.contexts,
            producers,
            graph,
            unsupported: self.unsupported,
            notes: self
                .notes
                .into_iter()
                .map(|(j, f)| (j as usize, f))
                .collect(),
            resource_notes: self.resource_notes,
            findings: self.findings,
        };
        (pipeline, issues)
    }
}

/// The job graph in compressed rows, from edges listed in order of target: a stable counting
/// sort by source keeps each row's targets ascending, which is the order petgraph requires, and
/// repeated edges are dropped. `None` only if that order were broken (a bug, reported as such).
fn job_graph(n: usize, by_target: &[(u32, u32)]) -> Option<Csr<(), (), petgraph::Directed, u32>> {
    let mut starts = vec![0usize; n + 1];
    for &(p, _) in by_target {
        *starts.get_mut(p as usize + 1)? += 1;
    }
    for k in 0..n {
        starts[k + 1] += starts[k];
    }
    let mut by_source = vec![(0u32, 0u32); by_target.len()];
    for &edge in by_target {
        let at = starts.get_mut(edge.0 as usize)?;
        *by_source.get_mut(*at)? = edge;
        *at += 1;
    }
    by_source.dedup();
    let mut graph = Csr::from_sorted_edges(&by_source).ok()?;
    while graph.node_count() < n {
        graph.add_node(());
    }
    Some(graph)
}

/// Adds to the job just added (see [`PipelineBuilder::job`]).
#[derive(Debug)]
pub struct JobBuilder<'b> {
    b: &'b mut PipelineBuilder,
}

impl JobBuilder<'_> {
    fn record(&mut self) -> Option<&mut JobRecord> {
        self.b.jobs.last_mut()
    }

    /// Where the job is written.
    pub fn at(mut self, location: Option<Location>) -> Self {
        if let Some(j) = self.record() {
            j.location = location;
        }
        self
    }

    /// What starts it.
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        if let Some(j) = self.record() {
            j.trigger = Some(trigger);
        }
        self
    }

    /// The zone it runs in, when the file says.
    pub fn zone(mut self, zone: &str) -> Self {
        let z = self.b.terms.intern(ZONE, zone);
        if let Some(j) = self.record() {
            j.zone = Some(z);
        }
        self
    }

    /// A platform context for the policy's `pipelines.contexts` (first match wins).
    pub fn context(self, context: &str) -> Self {
        let c = self.b.terms.intern(CONTEXT, context);
        if !self.b.contexts.open_row().contains(&c) {
            self.b.contexts.push(c);
        }
        self
    }

    /// A job it runs after.
    pub fn need(self, job: &str) -> Self {
        let s = self.b.names.add(JOB, job);
        self.b.needs.push(s);
        self
    }

    /// Something it reads.
    pub fn consume(self, kind: ResourceKind, name: &str) -> Self {
        let s = self.b.names.add(kind.space(), name);
        self.b.consumes.push(s);
        self
    }

    /// Something it writes.
    pub fn produce(self, kind: ResourceKind, name: &str) -> Self {
        let s = self.b.names.add(kind.space(), name);
        self.b.produces.push(s);
        self
    }

    /// A fact of a resource it reads or writes (see [`PipelineBuilder::resource_note`]).
    pub(crate) fn resource_note(
        self,
        kind: ResourceKind,
        name: &str,
        key: &str,
        value: serde_json::Value,
    ) -> Self {
        self.b.resource_note(kind, name, key, value);
        self
    }

    /// A credential it asks for.
    pub fn secret(self, name: &str) -> Self {
        let s = self.b.terms.intern(SECRET, name);
        if !self.b.secrets.open_row().contains(&s) {
            self.b.secrets.push(s);
        }
        self
    }

    /// Whether it publishes to the artifact store.
    pub fn publishes(mut self, yes: bool) -> Self {
        if let Some(j) = self.record() {
            j.publishes = yes;
            j.publishes_guessed = false;
        }
        self
    }

    /// It may publish, but only its name says so: findings about it are low-confidence and
    /// pedantic, since a name (`releasenotes`, `test-release`) is weak evidence.
    pub fn publishes_by_name(mut self) -> Self {
        if let Some(j) = self.record()
            && !j.publishes
        {
            j.publishes = true;
            j.publishes_guessed = true;
        }
        self
    }

    /// Whether it runs the repository's code (the default) rather than vetted tooling only.
    pub fn runs_repo_code(mut self, yes: bool) -> Self {
        if let Some(j) = self.record() {
            j.runs_repo_code = yes;
        }
        self
    }

    /// A fact every finding about this job carries (e.g. `persona`, `confidence`, or the
    /// platform's own name of the job); it overrides the checker's fact of the same key.
    pub fn note(self, key: &str, value: serde_json::Value) -> Self {
        let j = u32::try_from(self.b.jobs.len().saturating_sub(1)).unwrap_or(u32::MAX);
        match self.b.notes.last_mut() {
            Some((last, facts)) if *last == j => {
                facts.insert(key.to_owned(), value);
            }
            _ => {
                let mut facts = crate::decision::Facts::new();
                facts.insert(key.to_owned(), value);
                self.b.notes.push((j, facts));
            }
        }
        self
    }

    /// The environment it deploys to.
    pub fn deploys(mut self, environment: &str) -> Self {
        let e = self.b.terms.intern(ENVIRONMENT, environment);
        if let Some(j) = self.record() {
            j.deploys = Some(e);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_and_data_flow_adds_edges() {
        let mut b = Pipeline::builder();
        b.file("a.yaml");
        b.job("build")
            .produce(ResourceKind::Artifact, "app")
            .produce(ResourceKind::Cache, "deps");
        b.job("test")
            .need("build")
            .need("build")
            .consume(ResourceKind::Artifact, "app");
        b.job("lint")
            .consume(ResourceKind::Cache, "deps")
            .need("nope");
        b.job("build");
        let (p, issues) = b.finish();
        assert_eq!(p.len(), 4);
        // needs build->test and data build->test are one edge; the cache adds none.
        assert_eq!(p.graph.edge_count(), 1);
        assert_eq!(p.graph.neighbors_slice(0), [1]);
        assert_eq!(
            issues,
            vec![
                BuildIssue::DuplicateJob {
                    job: 3,
                    name: "build".into()
                },
                BuildIssue::UndefinedNeed {
                    job: 2,
                    index: 0,
                    name: "nope".into()
                },
            ]
        );
        let test = p.job(1).ok_or("no job").map_err(|e| e.to_string());
        assert_eq!(test.map(|j| j.needs), Ok(vec!["build".to_owned()]));
        assert_eq!(p.job(2).map(|j| j.consumes.len()), Some(1));
        assert_eq!(p.files(), ["a.yaml"]);
    }

    #[test]
    fn the_job_graph_keeps_self_loops_drops_repeats_and_has_a_node_per_job() {
        let g = job_graph(5, &[(1, 0), (3, 3), (1, 0), (0, 2), (1, 2)]);
        let g = g.map(|g| {
            (
                g.node_count(),
                g.edge_count(),
                (0..5)
                    .map(|j| g.neighbors_slice(j).to_vec())
                    .collect::<Vec<_>>(),
            )
        });
        assert_eq!(
            g,
            Some((5, 4, vec![vec![2], vec![0, 2], vec![], vec![3], vec![]]))
        );
        let empty = job_graph(0, &[]).map(|g| g.node_count());
        assert_eq!(empty, Some(0));
        // An edge naming a job that does not exist is a bug, not a graph.
        assert!(job_graph(2, &[(0, 1), (7, 0)]).is_none());
    }
}
