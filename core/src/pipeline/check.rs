//! The trust-flow checks: where each job runs, what reaches it, and what it may hold.
//!
//! One topological pass over the job graph propagates taint: a job's *effective* zone is the
//! meet of its own zone and the effective zones of everything it consumes, and it remembers the
//! one input that lowered it. Paths are rebuilt from those pointers only when a finding is
//! reported, so a clean million-job pipeline allocates no path at all. Caches and provided
//! artifacts cross runs, not the graph; when a pipeline has any, passes repeat until nothing
//! changes (each pass can only lower zones, so this ends).

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::{Value, json};

use super::build::ZONE;
use super::defaults::context_trigger;
use super::names::Sym;
use super::{Pipeline, ResourceKind, Trigger};
use crate::decision::{Decision, Facts, Violation};
use crate::policy::Policy;
use crate::rule::{Code, Confidence, Persona, codes};
use crate::zone::ZoneId;

/// Below every zone: the effective zone of anything mixing incomparable inputs with no common
/// lower zone, and of jobs whose zone is unknown (fail closed).
const BOTTOM: u16 = u16::MAX;
const NONE: u32 = u32::MAX;
/// Reported paths keep their last steps and their source; a million-job chain does not make a
/// million-step fact (nor quadratic work).
const PATH_LIMIT: usize = 32;
/// Stands for the steps left out of a long path.
const GAP: usize = usize::MAX;

/// The zones as a lattice with flat lookup tables.
struct Lattice {
    n: usize,
    dom: Vec<bool>,
    meet: Vec<u16>,
    lowest: Vec<bool>,
}

const UNSET: u16 = u16::MAX - 1;

impl Lattice {
    fn new(policy: &Policy) -> Self {
        let zones = policy.zones();
        // Zones beyond u16 are not meaningful for a policy; they are left out of the table and
        // behave as unknown.
        let n = zones.len().min(UNSET as usize);
        let mut dom = vec![false; n * n];
        for a in 0..n {
            for b in 0..n {
                dom[a * n + b] = zones.dominates(ZoneId(a), ZoneId(b));
            }
        }
        let lowest = (0..n)
            .map(|a| (0..n).all(|b| a == b || !dom[a * n + b]))
            .collect();
        Lattice {
            n,
            dom,
            meet: vec![UNSET; n * n],
            lowest,
        }
    }

    fn dominates(&self, a: u16, b: u16) -> bool {
        if b == BOTTOM {
            return true;
        }
        if a == BOTTOM {
            return false;
        }
        self.dom
            .get(a as usize * self.n + b as usize)
            .copied()
            .unwrap_or(false)
    }

    /// The greatest zone both dominate, or BOTTOM when there is none or it is not unique.
    fn meet(&mut self, a: u16, b: u16) -> u16 {
        if a == b {
            return a;
        }
        if a == BOTTOM || b == BOTTOM {
            return BOTTOM;
        }
        if self.dominates(a, b) {
            return b;
        }
        if self.dominates(b, a) {
            return a;
        }
        let at = a as usize * self.n + b as usize;
        match self.meet.get(at) {
            Some(&m) if m != UNSET => return m,
            None => return BOTTOM,
            _ => {}
        }
        let below: Vec<u16> = (0..self.n as u16)
            .filter(|&c| self.dominates(a, c) && self.dominates(b, c))
            .collect();
        let greatest: Vec<u16> = below
            .iter()
            .copied()
            .filter(|&g| below.iter().all(|&c| self.dominates(g, c)))
            .collect();
        let m = match greatest[..] {
            [g] => g,
            _ => BOTTOM,
        };
        if let Some(slot) = self.meet.get_mut(at) {
            *slot = m;
        }
        m
    }

    fn is_lowest(&self, z: u16) -> bool {
        self.lowest.get(z as usize).copied().unwrap_or(false)
    }
}

struct Checker<'a> {
    policy: &'a Policy,
    p: &'a Pipeline,
    lattice: Lattice,
    zone: Vec<u16>,
    trigger: Vec<Trigger>,
    /// Jobs whose trigger nothing stated (treated as patchset).
    guessed: Vec<bool>,
    eff: Vec<u16>,
    from: Vec<u32>,
    from_res: Vec<Sym>,
    /// The job where the taint of each job starts.
    source: Vec<u32>,
    built_from: Vec<u32>,
    /// The job of each job's lineage that built (ran the repository's code).
    builder: Vec<u32>,
    decision: Decision,
}

impl Policy {
    /// Checks a pipeline against this policy: every job's zone, trigger, secrets, inputs,
    /// publishing and deploys, plus everything the importer could not model. A denial lists
    /// every violation; paths of jobs are in the facts.
    ///
    /// ```
    /// use lockkeeper::{Policy, pipeline::Pipeline};
    /// let pipeline = Pipeline::from_yaml(r#"
    /// jobs:
    ///   test: {trigger: patchset, produces: {caches: [deps]}}
    ///   release: {trigger: tag, consumes: {caches: [deps]}, publishes: true, runs_repo_code: false}
    /// "#)?;
    /// let decision = Policy::builtin().check_pipeline(&pipeline);
    /// assert!(decision.has("pipeline/tainted-input"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_pipeline(&self, pipeline: &Pipeline) -> Decision {
        self.check_pipeline_with(pipeline, CheckOptions::default())
    }

    /// [`Policy::check_pipeline`] with options. The one place that decides what an incomplete
    /// reading means: by default a pipeline with no job, with constructs the importer could not
    /// model, or with references to configuration that was not given is denied
    /// (`import/incomplete`); with `allow_incomplete` those findings are accepted and the
    /// decision's subject says what was not read.
    ///
    /// ```
    /// use lockkeeper::{Policy, pipeline::{CheckOptions, Pipeline}};
    /// let pipeline = Pipeline::from_yaml("jobs: {}")?;
    /// let policy = Policy::builtin();
    /// assert!(policy.check_pipeline(&pipeline).has("import/incomplete"));
    /// let options = CheckOptions { allow_incomplete: true, ..CheckOptions::default() };
    /// let accepted = policy.check_pipeline_with(&pipeline, options);
    /// assert!(accepted.allowed() && accepted.subject().contains("incomplete"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_pipeline_with(&self, pipeline: &Pipeline, options: CheckOptions) -> Decision {
        let decision = self.check_unfiltered(pipeline, options);
        if options.persona == Persona::Auditor {
            // Every finding is the auditor's: nothing to filter.
            return decision;
        }
        decision.for_persona(options.persona)
    }

    fn check_unfiltered(&self, pipeline: &Pipeline, options: CheckOptions) -> Decision {
        let n = pipeline.len();
        let mut checker = Checker {
            policy: self,
            p: pipeline,
            lattice: Lattice::new(self),
            zone: vec![BOTTOM; n],
            trigger: vec![Trigger::Patchset; n],
            guessed: vec![false; n],
            eff: Vec::new(),
            from: vec![NONE; n],
            from_res: vec![0; n],
            source: vec![NONE; n],
            built_from: vec![NONE; n],
            builder: vec![NONE; n],
            decision: Decision::new(subject(pipeline)).under(self),
        };
        checker.run();
        let gaps = incomplete(pipeline);
        if gaps.is_empty() {
            checker.decision.pass(codes::IMPORT_INCOMPLETE);
            return checker.decision;
        }
        if !options.allow_incomplete {
            for v in gaps {
                checker.decision.deny(v);
            }
            return checker.decision;
        }
        // Accepted: the gaps leave the denial but stay in the subject, so the verdict never
        // hides that it covers less than was asked.
        let old = checker.decision;
        let mut accepted = Decision::new(format!(
            "{} (incomplete, accepted: {})",
            old.subject(),
            gaps.iter()
                .map(|v| v.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ));
        for v in old.violations() {
            if v.code != codes::IMPORT_UNSUPPORTED {
                accepted.deny(v.clone());
            }
        }
        for &code in old.passed() {
            accepted.pass(code);
        }
        accepted
    }
}

/// How a pipeline check treats what it could not read, and whose findings it keeps.
///
/// Every front end makes its pipeline check one call with these options, so the persona is
/// applied in one place, after the check, the same way everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// Accept an incomplete reading (`import/incomplete`, `import/unsupported`) instead of
    /// denying it.
    pub allow_incomplete: bool,
    /// Whose findings the decision keeps (and so whether it allows): those of this persona and
    /// below. The default is [`Persona::Auditor`], every finding, which is what
    /// [`Policy::check_pipeline`] has always returned; the CLI and the bindings default to
    /// [`Persona::Regular`] instead, the findings that should block.
    pub persona: Persona,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            allow_incomplete: false,
            persona: Persona::Auditor,
        }
    }
}

/// The `import/incomplete` findings of a pipeline: one when no job was read, one per file with
/// constructs or references the importer could not follow, each saying what was not read.
fn incomplete(p: &Pipeline) -> Vec<Violation> {
    let mut out = Vec::new();
    if p.is_empty() {
        let mut facts = Facts::new();
        // With several files no `file` fact: every given file is part of what was not read.
        if let [one] = &p.files[..] {
            facts.insert("file".into(), json!(one));
        } else {
            facts.insert("files".into(), json!(p.files));
        }
        // A file whose only content could not be modelled (an Argo Events HTTP trigger, a
        // malformed object) has no caller to give: say so rather than ask for one.
        let why = if p.unsupported.is_empty() {
            "give the files that use it (the project or pipeline running a job library, template or fragment) with it"
        } else {
            "what it holds is not modelled (its import/unsupported findings say what), or it runs only through files that were not given (give them with it)"
        };
        out.push(Violation::new(
            codes::IMPORT_INCOMPLETE,
            format!(
                "no job was read from {}: nothing was checked; {why}, or accept the gap with --allow-incomplete",
                if p.files.is_empty() { "the input".to_owned() } else { p.files.join(", ") }
            ),
            facts,
        ));
    }
    // What the importer could not model: its `Unsupported` entries, and the `import/unsupported`
    // findings an importer reports itself for the regular persona. A note the importer made for
    // auditors only (it read the construct and judged it, e.g. an unprivileged job reading
    // another run's artifacts) is a lead, not a gap in the reading.
    struct Gap<'a> {
        file: &'a str,
        line: Option<u64>,
        path: &'a str,
        message: &'a str,
    }
    let mut gaps_all: Vec<Gap<'_>> = p
        .unsupported
        .iter()
        .map(|u| Gap {
            file: &u.file,
            line: u.location.map(|l| u64::from(l.line)),
            path: u.path.as_str(),
            message: &u.message,
        })
        .collect();
    for f in p.findings.iter().filter(|f| {
        f.code == codes::IMPORT_UNSUPPORTED && f.persona == crate::rule::Persona::Regular
    }) {
        gaps_all.push(Gap {
            file: f
                .facts
                .get("file")
                .and_then(Value::as_str)
                .unwrap_or("<pipeline>"),
            line: f.facts.get("line").and_then(Value::as_u64),
            path: f
                .facts
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            message: &f.message,
        });
    }
    let mut files: Vec<&str> = Vec::new();
    for g in &gaps_all {
        if !files.contains(&g.file) {
            files.push(g.file);
        }
    }
    for file in files {
        let gaps: Vec<&Gap<'_>> = gaps_all.iter().filter(|g| g.file == file).collect();
        let mut facts = Facts::new();
        facts.insert("file".into(), json!(file));
        if let Some(l) = gaps.first().and_then(|g| g.line) {
            facts.insert("line".into(), json!(l));
        }
        facts.insert(
            "not_read".into(),
            json!(gaps.iter().map(|g| g.path).collect::<Vec<_>>()),
        );
        let first = gaps.first().map(|g| g.message).unwrap_or_default();
        out.push(Violation::new(
            codes::IMPORT_INCOMPLETE,
            format!(
                "{file} was not read whole: {} part(s) not modelled or not given, first {}: {first}; give the files it refers to with it (GitLab includes also through --include-dir DIR), or accept the gap with --allow-incomplete",
                gaps.len(),
                gaps.first().map(|g| g.path).unwrap_or_default()
            ),
            facts,
        ));
    }
    out
}

impl Policy {
    /// [`Policy::check_pipeline`] as `persona` sees it: only the findings for that persona
    /// (see [`crate::Persona`]), so the decision, and an exit code that follows it, counts
    /// only those. What the CLI's `--persona` and the bindings' `persona` argument call.
    ///
    /// ```
    /// use lockkeeper::{Persona, Policy, PipelineFormat, SourceFile, pipeline::Pipeline};
    /// let text = "on: pull_request\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: make\n        env: {T: '${{ secrets.T }}'}\n";
    /// let file = SourceFile { name: "ci.yml", text };
    /// let pipeline = Pipeline::import(&[file], Some(PipelineFormat::Github))?;
    /// let policy = Policy::builtin();
    /// // A fork's pull request gets no secrets: a same-repository concern is pedantic.
    /// assert!(policy.check_pipeline_as(&pipeline, Persona::Regular).allowed());
    /// assert!(!policy.check_pipeline_as(&pipeline, Persona::Pedantic).allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_pipeline_as(&self, pipeline: &Pipeline, persona: crate::Persona) -> Decision {
        let options = CheckOptions {
            persona,
            ..CheckOptions::default()
        };
        self.check_pipeline_with(pipeline, options)
    }
}

fn subject(p: &Pipeline) -> String {
    let files = match p.files.len() {
        0 => "<pipeline>".to_owned(),
        1..=3 => p.files.join(", "),
        k => format!("{} and {} more files", p.files[..2].join(", "), k - 2),
    };
    format!("pipeline {files} ({} jobs)", p.len())
}

impl Checker<'_> {
    fn run(&mut self) {
        self.resolve();
        let order = self.order();
        self.propagate(&order);
        self.check_jobs();
        for v in &self.p.findings {
            self.decision.deny(v.clone());
        }
        for u in &self.p.unsupported {
            let mut facts = Facts::new();
            facts.insert("file".into(), json!(u.file));
            if let Some(l) = u.location {
                facts.insert("line".into(), json!(l.line));
                facts.insert("column".into(), json!(l.column));
            }
            facts.insert("path".into(), json!(u.path));
            self.decision.deny(Violation::new(
                codes::IMPORT_UNSUPPORTED,
                u.message.clone(),
                facts,
            ));
        }
        if !self.p.is_empty() {
            // Every job was modelled (or reported), ordered and given a zone.
            for code in [
                codes::IMPORT_UNSUPPORTED,
                codes::PIPELINE_CYCLE,
                codes::PIPELINE_UNKNOWN_ZONE,
            ] {
                self.ran(code);
            }
        }
    }

    /// Records that the check of `code` ran on something; it is listed as passed unless it
    /// also denied (the decision never lists a code as both).
    fn ran(&mut self, code: Code) {
        self.decision.pass(code);
    }

    fn zone_name(&self, z: u16) -> &str {
        if z == BOTTOM {
            return "(none)";
        }
        self.policy.zones().name(ZoneId(z as usize))
    }

    fn zone_info(&self, z: u16) -> Option<&crate::zone::Zone> {
        if z == BOTTOM {
            None
        } else {
            self.policy.zones().get(ZoneId(z as usize))
        }
    }

    /// The facts every finding about job `j` starts with.
    fn job_facts(&self, j: usize) -> Facts {
        let mut f = Facts::new();
        f.insert("job".into(), json!(self.p.job_name(j)));
        f.insert("file".into(), json!(self.p.file_of(j)));
        if let Some(l) = self.p.jobs.get(j).and_then(|r| r.location) {
            f.insert("line".into(), json!(l.line));
        }
        f.insert("zone".into(), json!(self.zone_name(self.zone[j])));
        let t = self.trigger[j].as_str();
        let t = if self.guessed[j] {
            format!("{t} (assumed: nothing says what starts this job)")
        } else {
            t.to_owned()
        };
        f.insert("trigger".into(), json!(t));
        let contexts: Vec<&str> = self
            .p
            .contexts
            .row(j)
            .iter()
            .map(|&c| self.p.terms.text(c))
            .collect();
        if !contexts.is_empty() {
            f.insert("contexts".into(), json!(contexts));
        }
        if let Some(notes) = self.p.notes.get(&j) {
            if notes.contains_key("job") {
                f.insert("node".into(), json!(self.p.job_name(j)));
            }
            for (k, v) in notes {
                f.insert(k.clone(), v.clone());
            }
        }
        f
    }

    fn deny(&mut self, code: Code, message: String, mut facts: Facts) {
        persona_by_code(code, &mut facts);
        self.decision.deny(Violation::new(code, message, facts));
    }

    /// Decides each job's trigger and zone.
    fn resolve(&mut self) {
        let rules = self.policy.pipeline_rules();
        let terms = &self.p.terms;
        // Per term: the policy's context rule, the platform meaning, the zone it names.
        let rule_of: Vec<_> = (0..terms.len() as Sym)
            .map(|t| rules.context(terms.text(t)).copied())
            .collect();
        let builtin_of: Vec<_> = (0..terms.len() as Sym)
            .map(|t| context_trigger(terms.text(t)))
            .collect();
        let zone_of: Vec<Option<u16>> = (0..terms.len() as Sym)
            .map(|t| {
                (terms.space(t) == ZONE)
                    .then(|| self.policy.zones().id(terms.text(t)))
                    .flatten()
                    .and_then(|z| u16::try_from(z.0).ok())
                    .filter(|&z| (z as usize) < self.lattice.n)
            })
            .collect();
        let deploy_zone = rules.deploy_zone().and_then(|z| u16::try_from(z.0).ok());
        let mut unknown = Vec::new();
        for (j, job) in self.p.jobs.iter().enumerate() {
            let ctx = self.p.contexts.row(j);
            let rule = |f: &dyn Fn(&crate::pipeline::mapping::ContextRule) -> bool| {
                ctx.iter()
                    .filter_map(|&c| rule_of.get(c as usize).copied().flatten())
                    .find(|r| f(r))
            };
            let trigger = rule(&|r| r.trigger.is_some())
                .and_then(|r| r.trigger)
                .or(job.trigger)
                .or_else(|| {
                    ctx.iter()
                        .find_map(|&c| builtin_of.get(c as usize).copied().flatten())
                });
            self.guessed[j] = trigger.is_none();
            let trigger = trigger.unwrap_or(Trigger::Patchset);
            self.trigger[j] = trigger;
            let zone = if let Some(z) = job.zone {
                match zone_of.get(z as usize).copied().flatten() {
                    Some(z) => Ok(z),
                    None => Err(format!(
                        "job `{}` runs in zone `{}`, which the policy does not define",
                        self.p.job_name(j),
                        terms.text(z)
                    )),
                }
            } else if let Some(z) = rule(&|r| r.zone.is_some()).and_then(|r| r.zone) {
                u16::try_from(z.0).map_err(|_| String::new())
            } else if let (Some(_), Some(dz), false) =
                (job.deploys, deploy_zone, trigger.unmerged())
            {
                Ok(dz)
            } else {
                match rules
                    .trigger_zone(trigger)
                    .and_then(|z| u16::try_from(z.0).ok())
                {
                    Some(z) => Ok(z),
                    None => Err(format!(
                        "no zone for trigger `{trigger}` of job `{}`: the policy has no zone of the default name and no `pipelines.triggers.{trigger}`",
                        self.p.job_name(j)
                    )),
                }
            };
            match zone {
                Ok(z) => self.zone[j] = z,
                Err(message) => unknown.push((j, message)),
            }
        }
        let known: Vec<&str> = self
            .policy
            .zones()
            .iter()
            .map(|(_, z)| z.name.as_str())
            .collect();
        for (j, message) in unknown {
            let mut facts = self.job_facts(j);
            facts.insert("zones".into(), json!(known));
            self.deny(codes::PIPELINE_UNKNOWN_ZONE, message, facts);
        }
    }

    /// A topological order of the jobs (Kahn's algorithm over the compressed rows: a queue
    /// and sequential scans, so a pipeline written in order is walked in order); with cycles,
    /// an order of their strongly connected components, each cycle reported.
    fn order(&mut self) -> Vec<u32> {
        let graph = &self.p.graph;
        let n = graph.node_count();
        let mut waiting = vec![0u32; n];
        for j in 0..n as u32 {
            for &next in graph.neighbors_slice(j) {
                if let Some(w) = waiting.get_mut(next as usize) {
                    *w += 1;
                }
            }
        }
        let mut order: Vec<u32> = (0..n as u32)
            .filter(|&j| waiting.get(j as usize) == Some(&0))
            .collect();
        let mut head = 0;
        while let Some(&j) = order.get(head) {
            head += 1;
            for &next in graph.neighbors_slice(j) {
                if let Some(w) = waiting.get_mut(next as usize) {
                    *w -= 1;
                    if *w == 0 {
                        order.push(next);
                    }
                }
            }
        }
        if order.len() == n {
            return order;
        }
        // Only with a cycle: petgraph's Kosaraju is iterative (its Tarjan recurses once per job
        // of a path, which a long chain into a cycle turns into a stack overflow) and wants
        // incoming edges, so it runs on an adjacency-list copy of the graph.
        let mut full = DiGraph::<(), (), u32>::with_capacity(n, graph.edge_count());
        for _ in 0..n {
            full.add_node(());
        }
        for j in 0..n as u32 {
            for &next in graph.neighbors_slice(j) {
                full.add_edge(
                    NodeIndex::new(j as usize),
                    NodeIndex::new(next as usize),
                    (),
                );
            }
        }
        let sccs: Vec<Vec<u32>> = kosaraju_scc(&full)
            .into_iter()
            .map(|scc| scc.into_iter().map(|j| j.index() as u32).collect())
            .collect();
        for scc in &sccs {
            let cyclic = scc.len() > 1 || scc.first().is_some_and(|&j| graph.contains_edge(j, j));
            if cyclic {
                self.report_cycle(scc);
            }
        }
        sccs.into_iter().rev().flatten().collect()
    }

    fn report_cycle(&mut self, scc: &[u32]) {
        let members: std::collections::BTreeSet<u32> = scc.iter().copied().collect();
        let Some(&start) = members.iter().next() else {
            return;
        };
        // Shortest way back to `start` inside the component.
        let mut previous = std::collections::BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut closing = None;
        'search: while let Some(x) = queue.pop_front() {
            for &next in self.p.graph.neighbors_slice(x) {
                if next == start {
                    closing = Some(x);
                    break 'search;
                }
                if members.contains(&next) && !previous.contains_key(&next) {
                    previous.insert(next, x);
                    queue.push_back(next);
                }
            }
        }
        let mut back = Vec::new();
        let mut x = closing.unwrap_or(start);
        while x != start && back.len() <= members.len() {
            back.push(x);
            x = previous.get(&x).copied().unwrap_or(start);
        }
        let mut path = vec![start];
        path.extend(back.into_iter().rev());
        path.push(start);
        let names: Vec<&str> = path.iter().map(|&j| self.p.job_name(j as usize)).collect();
        let mut facts = self.job_facts(start as usize);
        facts.insert("cycle".into(), json!(names));
        self.deny(
            codes::PIPELINE_CYCLE,
            format!(
                "jobs depend on each other in a cycle: {}; a pipeline must be a DAG",
                names.join(" -> ")
            ),
            facts,
        );
    }

    /// Effective zones and build lineage, in topological order.
    fn propagate(&mut self, order: &[u32]) {
        self.eff = self.zone.clone();
        for (j, job) in self.p.jobs.iter().enumerate() {
            if job.runs_repo_code {
                self.built_from[j] = j as u32;
                self.builder[j] = j as u32;
            }
        }
        loop {
            let mut changed = false;
            let mut crossing = false;
            for &j in order {
                let j = j as usize;
                for &r in self.p.consumes.row(j) {
                    let crosses = !ResourceKind::from_space(self.p.names.space(r))
                        .is_none_or(ResourceKind::orders_jobs);
                    crossing |= crosses;
                    for &p in self.p.producers.row(r as usize) {
                        let p = p as usize;
                        if p == j {
                            continue;
                        }
                        let (a, b) = (self.eff[j], self.eff[p]);
                        let m = self.lattice.meet(a, b);
                        if m != a {
                            self.eff[j] = m;
                            self.from[j] = p as u32;
                            self.from_res[j] = r;
                            self.source[j] = if self.from[p] == NONE {
                                p as u32
                            } else {
                                self.source[p]
                            };
                            changed = true;
                        }
                        if !crosses && self.built_from[j] == NONE && self.built_from[p] != NONE {
                            self.built_from[j] = p as u32;
                            self.builder[j] = self.builder[p];
                        }
                    }
                }
            }
            // With only artifact inputs one pass in topological order is exact.
            if !(changed && crossing) {
                break;
            }
        }
    }

    /// The chain of jobs that carried taint to job `j`, source first (rebuilt from pointers).
    fn taint_path(&self, j: usize) -> Vec<usize> {
        let mut chain = vec![j];
        let mut x = j;
        while let Some(&p) = self.from.get(x) {
            if p == NONE {
                break;
            }
            if chain.len() >= PATH_LIMIT {
                chain.push(GAP);
                if let Some(&s) = self.source.get(j).filter(|&&s| s != NONE) {
                    chain.push(s as usize);
                }
                break;
            }
            x = p as usize;
            chain.push(x);
        }
        chain.reverse();
        chain
    }

    fn path_facts(&self, chain: &[usize], last_via: Option<Sym>) -> Value {
        let steps: Vec<Value> = chain
            .iter()
            .enumerate()
            .map(|(k, &x)| {
                if x == GAP {
                    return json!({"job": "...", "omitted": "earlier steps of a long path"});
                }
                let mut step = json!({
                    "job": self.p.job_name(x),
                    "zone": self.zone_name(self.zone[x]),
                });
                if let Some(l) = self.p.jobs.get(x).and_then(|r| r.location) {
                    step["line"] = json!(l.line);
                }
                let via = if k + 1 == chain.len() {
                    last_via
                } else {
                    chain
                        .get(k + 1)
                        .filter(|&&next| next != GAP)
                        .and_then(|&next| self.from_res.get(next).copied())
                };
                if let Some(r) = via
                    && (k + 1 < chain.len() || last_via.is_some())
                {
                    step["passes"] = json!(self.resource_text(r));
                }
                step
            })
            .collect();
        Value::Array(steps)
    }

    fn resource_text(&self, r: Sym) -> String {
        let kind = ResourceKind::from_space(self.p.names.space(r))
            .map(ResourceKind::as_str)
            .unwrap_or("artifact");
        format!("{kind} `{}`", self.p.names.text(r))
    }

    fn check_jobs(&mut self) {
        let rules = self.policy.pipeline_rules().clone();
        let approved_zone = rules
            .trigger_zone(Trigger::Approved)
            .and_then(|z| u16::try_from(z.0).ok());
        let deploy_zone = rules.deploy_zone().and_then(|z| u16::try_from(z.0).ok());
        for j in 0..self.p.len() {
            self.check_untrusted_code(j, approved_zone);
            self.check_secrets(j, deploy_zone);
            // A deploy's inputs are judged against its environment's minimum build zone instead
            // (deploy-from-untrusted-build): the deployment service is meant to consume what
            // trusted builds made.
            let deploy = self
                .p
                .jobs
                .get(j)
                .and_then(|r| r.deploys)
                .map(|e| self.environment(e, &rules));
            if !matches!(deploy, Some(Ok((Some(_), _, _)))) {
                self.check_inputs(j);
            }
            self.check_publishes(j);
            if let Some(env) = deploy {
                self.check_deploy(j, env);
            }
        }
    }

    /// Unmerged code above its zone: a patchset anywhere but the lowest zone, approved code
    /// above the zone the policy gives approved code.
    fn check_untrusted_code(&mut self, j: usize, approved_zone: Option<u16>) {
        let z = self.zone[j];
        let known = z != BOTTOM;
        let t = self.trigger[j];
        if known {
            self.ran(codes::PIPELINE_UNTRUSTED_CODE_IN_TRUSTED_ZONE);
        }
        let above = match t {
            Trigger::Patchset => known && !self.lattice.is_lowest(z),
            Trigger::Approved => {
                approved_zone.is_some_and(|a| known && a != z && self.lattice.dominates(z, a))
            }
            _ => false,
        };
        if !above {
            return;
        }
        let name = self.p.job_name(j);
        let what = if t == Trigger::Patchset {
            "unreviewed code"
        } else {
            "approved but unmerged code"
        };
        let mut v = Violation::new(
            codes::PIPELINE_UNTRUSTED_CODE_IN_TRUSTED_ZONE,
            format!(
                "job `{name}` runs {what} (trigger `{t}`) in zone `{}`",
                self.zone_name(z)
            ),
            self.job_facts(j),
        );
        if self.guessed.get(j).copied().unwrap_or(false) {
            // Failing closed treats an unstated trigger as unreviewed code; say so.
            v = v.assuming(
                Confidence::Medium,
                format!(
                    "nothing says what starts job `{name}`: it is taken to run unreviewed code"
                ),
            );
        }
        self.decision.deny(v);
    }

    /// Inputs from less trusted or incomparable zones.
    fn check_inputs(&mut self, j: usize) {
        let z = self.zone[j];
        if z == BOTTOM {
            return;
        }
        if !self.p.consumes.row(j).is_empty() {
            self.ran(codes::PIPELINE_TAINTED_INPUT);
        }
        for &r in self.p.consumes.row(j) {
            let bad = self
                .p
                .producers
                .row(r as usize)
                .iter()
                .map(|&p| p as usize)
                .find(|&p| p != j && !self.lattice.dominates(self.eff[p], z));
            if let Some(p) = bad {
                self.tainted_input(j, r, p);
            }
        }
    }

    /// Job `j` consumes `r` from `p`, whose output is less trusted than `j`'s zone: the finding
    /// names the path the taint took.
    fn tainted_input(&mut self, j: usize, r: Sym, p: usize) {
        let (z, name) = (self.zone[j], self.p.job_name(j));
        let mut chain = self.taint_path(p);
        chain.push(j);
        let mut facts = self.job_facts(j);
        facts.insert("input".into(), json!(self.resource_text(r)));
        facts.insert("producer".into(), json!(self.p.job_name(p)));
        facts.insert("input_zone".into(), json!(self.zone_name(self.eff[p])));
        let source = chain.first().copied().unwrap_or(p);
        // The step before `j` passes `r`; earlier steps pass what lowered them.
        let mut steps = self.path_facts(&chain[..chain.len() - 1], Some(r));
        if let Value::Array(items) = &mut steps {
            items.push(json!({"job": name, "zone": self.zone_name(z)}));
        }
        facts.insert("path".into(), steps);
        if let Some(notes) = self.p.resource_notes.get(&r) {
            for (k, v) in notes {
                facts.insert(k.clone(), v.clone());
            }
        }
        let relation = if self.lattice.dominates(z, self.eff[p]) {
            "less trusted"
        } else {
            "incomparable"
        };
        self.deny(
            codes::PIPELINE_TAINTED_INPUT,
            format!(
                "job `{name}` in zone `{}` consumes {} from `{}`, whose output is only as trusted as zone `{}` ({relation}; tainted by `{}`)",
                self.zone_name(z),
                self.resource_text(r),
                self.p.job_name(p),
                self.zone_name(self.eff[p]),
                self.p.job_name(source),
            ),
            facts,
        );
    }

    /// A build that publishes: only vetted extraction, which runs none of the repository's
    /// code, publishes, and only from a zone that may.
    fn check_publishes(&mut self, j: usize) {
        let Some(job) = self.p.jobs.get(j) else {
            return;
        };
        if !job.publishes {
            return;
        }
        let z = self.zone[j];
        self.ran(codes::PIPELINE_BUILD_PUBLISHES);
        let may = self.zone_info(z).is_some_and(|zz| zz.publish);
        if !job.runs_repo_code && may {
            return;
        }
        let mut facts = self.job_facts(j);
        facts.insert("runs_repo_code".into(), json!(job.runs_repo_code));
        facts.insert("zone_may_publish".into(), json!(may));
        if job.publishes_guessed {
            facts.insert("evidence".into(), json!("the job's name only"));
            facts.insert("persona".into(), json!("pedantic"));
            facts.insert("confidence".into(), json!("low"));
        }
        let why = if job.runs_repo_code {
            "runs the repository's code and publishes to the artifact store: a build must hand its output to vetted extraction instead"
        } else {
            "publishes from a zone that may not publish"
        };
        self.deny(
            codes::PIPELINE_BUILD_PUBLISHES,
            format!(
                "job `{}` {why} (zone `{}`)",
                self.p.job_name(j),
                self.zone_name(z)
            ),
            facts,
        );
    }

    fn check_secrets(&mut self, j: usize, deploy_zone: Option<u16>) {
        let deploys = self.p.jobs.get(j).and_then(|r| r.deploys);
        let rules = self.policy.pipeline_rules();
        let env = deploys.map(|e| rules.environment(self.p.terms.text(e)).to_owned());
        for &s in self.p.secrets.row(j) {
            let secret = self.p.terms.text(s);
            let declared = self.policy.secrets().get(secret);
            let mut facts = self.job_facts(j);
            facts.insert("secret".into(), json!(secret));
            facts.insert("declared".into(), json!(declared.is_some()));
            let deploy_credential =
                declared.map_or(deploys.is_some(), |d| !d.environments.is_empty());
            if deploy_credential {
                self.check_deploy_credential(
                    j,
                    secret,
                    declared,
                    deploy_zone,
                    env.as_deref(),
                    facts,
                );
            } else {
                self.check_secret_zone(j, secret, declared, facts);
            }
        }
    }

    /// Whether the policy releases `secret` to job `j`'s zone: the zones it lists when declared,
    /// else any zone that may hold credentials.
    fn secret_zone_listed(&self, j: usize, declared: Option<&crate::policy::Secret>) -> bool {
        let z = self.zone[j];
        match declared {
            Some(d) => d.zones.iter().any(|id| u16::try_from(id.0).ok() == Some(z)),
            None => self.zone_info(z).is_some_and(|zz| zz.credentials),
        }
    }

    /// A deploy credential (declared for environments, or undeclared in a deploying job) only
    /// in the deploy zone, and only for a job deploying to one of its environments.
    fn check_deploy_credential(
        &mut self,
        j: usize,
        secret: &str,
        declared: Option<&crate::policy::Secret>,
        deploy_zone: Option<u16>,
        env: Option<&str>,
        mut facts: Facts,
    ) {
        let z = self.zone[j];
        let name = self.p.job_name(j);
        self.ran(codes::PIPELINE_CREDENTIALS_OUTSIDE_DEPLOY_ZONE);
        let in_deploy_zone = match deploy_zone {
            Some(dz) => z == dz,
            None => self.zone_info(z).is_some_and(|zz| zz.credentials),
        };
        if !in_deploy_zone || (declared.is_some() && !self.secret_zone_listed(j, declared)) {
            facts.insert(
                "deploy_zone".into(),
                json!(deploy_zone.map(|d| self.zone_name(d))),
            );
            persona_by_code(codes::PIPELINE_CREDENTIALS_OUTSIDE_DEPLOY_ZONE, &mut facts);
            let mut v = Violation::new(
                codes::PIPELINE_CREDENTIALS_OUTSIDE_DEPLOY_ZONE,
                format!(
                    "job `{name}` asks for deploy credential `{secret}` in zone `{}`; only the deploy zone may hold it",
                    self.zone_name(z)
                ),
                facts,
            );
            if declared.is_none() {
                // Undeclared: only the job's deploying says it is a deploy credential.
                v = v.assuming(
                    Confidence::Medium,
                    format!("`{secret}` is not declared in the policy; as a secret of a deploying job it is taken to be a deploy credential"),
                );
            }
            self.decision.deny(v);
            return;
        }
        let Some(d) = declared.filter(|d| !d.environments.is_empty()) else {
            return;
        };
        self.ran(codes::PIPELINE_SECRET_NOT_ALLOWED);
        if env.is_some_and(|e| d.environments.iter().any(|x| x == e)) {
            return;
        }
        facts.insert("environments".into(), json!(d.environments));
        facts.insert("deploys".into(), json!(env));
        self.deny(
            codes::PIPELINE_SECRET_NOT_ALLOWED,
            format!(
                "job `{name}` asks for `{secret}`, which belongs to {} but the job deploys to {}",
                d.environments.join(", "),
                env.unwrap_or("no environment")
            ),
            facts,
        );
    }

    /// Any other secret only in a zone the policy releases it to.
    fn check_secret_zone(
        &mut self,
        j: usize,
        secret: &str,
        declared: Option<&crate::policy::Secret>,
        facts: Facts,
    ) {
        self.ran(codes::PIPELINE_SECRET_NOT_ALLOWED);
        if self.secret_zone_listed(j, declared) {
            return;
        }
        let why = match declared {
            Some(d) => format!(
                "the policy releases it only to zone(s) {}",
                d.zones
                    .iter()
                    .map(|id| self.policy.zones().name(*id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "the zone may not hold credentials".to_owned(),
        };
        self.deny(
            codes::PIPELINE_SECRET_NOT_ALLOWED,
            format!(
                "job `{}` in zone `{}` asks for secret `{secret}`: {why}",
                self.p.job_name(j),
                self.zone_name(self.zone[j])
            ),
            facts,
        );
    }

    /// The policy environment a job deploys to: its name, minimum build zone and whether it is
    /// reached by promotion; `Err(name)` when the policy does not know it.
    fn environment(
        &self,
        env_term: Sym,
        rules: &super::PipelineRules,
    ) -> Result<(Option<u16>, bool, String), String> {
        let written = self.p.terms.text(env_term);
        let env_name = rules.environment(written).to_owned();
        let min = |z: Option<ZoneId>| z.and_then(|m| u16::try_from(m.0).ok());
        match self.policy.environments().get(&env_name) {
            Some(e) => Ok((min(e.min_build_zone), !e.from.is_empty(), env_name)),
            None => match rules.undeclared_environments {
                Some(m) => Ok((min(m), false, env_name)),
                None => Err(env_name),
            },
        }
    }

    fn check_deploy(&mut self, j: usize, env: Result<(Option<u16>, bool, String), String>) {
        let name = self.p.job_name(j).to_owned();
        self.ran(codes::PIPELINE_UNKNOWN_ENVIRONMENT);
        let (min, promoted, env_name) = match env {
            Ok(e) => e,
            Err(env_name) => {
                let mut facts = self.job_facts(j);
                facts.insert("environment".into(), json!(env_name));
                facts.insert(
                    "environments".into(),
                    json!(self.policy.environments().keys().collect::<Vec<_>>()),
                );
                self.deny(
                    codes::PIPELINE_UNKNOWN_ENVIRONMENT,
                    format!(
                        "job `{name}` deploys to `{env_name}`, which the policy does not define"
                    ),
                    facts,
                );
                return;
            }
        };
        if min.is_some() {
            self.ran(codes::PIPELINE_DEPLOY_FROM_UNTRUSTED_BUILD);
        }
        if promoted {
            self.ran(codes::PIPELINE_REBUILD_ON_PROMOTE);
        }
        if let Some(m) = min
            && !self.lattice.dominates(self.eff[j], m)
        {
            let chain = self.taint_path(j);
            let mut facts = self.job_facts(j);
            facts.insert("environment".into(), json!(env_name));
            facts.insert("min_build_zone".into(), json!(self.zone_name(m)));
            facts.insert("lineage_zone".into(), json!(self.zone_name(self.eff[j])));
            facts.insert("path".into(), self.path_facts(&chain, None));
            self.deny(
                codes::PIPELINE_DEPLOY_FROM_UNTRUSTED_BUILD,
                format!(
                    "job `{name}` deploys to `{env_name}`, which needs builds from zone `{}` or above, but what it deploys is only as trusted as zone `{}`",
                    self.zone_name(m),
                    self.zone_name(self.eff[j])
                ),
                facts,
            );
        }
        if promoted && self.built_from[j] != NONE {
            // Follow the lineage back to the job that built (the last steps of a long one).
            let mut chain = vec![j];
            let mut x = j;
            while let Some(&p) = self.built_from.get(x) {
                if p == NONE || p as usize == x {
                    break;
                }
                if chain.len() >= PATH_LIMIT {
                    chain.push(GAP);
                    break;
                }
                x = p as usize;
                chain.push(x);
            }
            chain.reverse();
            let builder = self.builder.get(j).map(|&b| b as usize).unwrap_or(j);
            let mut facts = self.job_facts(j);
            facts.insert("environment".into(), json!(env_name));
            facts.insert("built_by".into(), json!(self.p.job_name(builder)));
            facts.insert(
                "path".into(),
                json!(
                    chain
                        .iter()
                        .map(|&x| if x == GAP { "..." } else { self.p.job_name(x) })
                        .collect::<Vec<_>>()
                ),
            );
            self.deny(
                codes::PIPELINE_REBUILD_ON_PROMOTE,
                format!(
                    "job `{name}` deploys to `{env_name}`, which is reached by promotion, but deploys what `{}` built in this pipeline instead of the promoted digest",
                    self.p.job_name(builder)
                ),
                facts,
            );
        }
    }
}

/// An importer may say which findings are advice for a job (`persona_by_code`): the finding's
/// persona is the less shown of the job's and the code's.
fn persona_by_code(code: Code, facts: &mut Facts) {
    if let Some(by_code) = facts.remove("persona_by_code")
        && let Some(p) = by_code
            .get(code.as_str())
            .and_then(serde_json::Value::as_str)
    {
        let mine = facts
            .get("persona")
            .and_then(serde_json::Value::as_str)
            .and_then(|s| s.parse::<crate::rule::Persona>().ok())
            .unwrap_or(crate::rule::Persona::Regular);
        if let Ok(theirs) = p.parse::<crate::rule::Persona>() {
            facts.insert("persona".into(), json!(mine.max(theirs).as_str()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::ResourceKind;

    #[test]
    fn secrets_go_where_the_policy_releases_them() -> Result<(), Box<dyn std::error::Error>> {
        let policy = Policy::from_yaml(
            "zones:\n  untrusted: {}\n  trusted: {dominates: [untrusted], credentials: true}\n  deploy: {dominates: [trusted], credentials: true}\n\
             environments: {prod: {}, qa: {}}\n\
             secrets:\n  NPM: {zones: [trusted]}\n  PROD_KEY: {zones: [deploy], environments: [prod]}\n\
             pipelines: {triggers: {patchset: untrusted, merged: trusted}, deploy_zone: deploy}\n",
        )?;
        let found = |job: &str| -> Result<Vec<Code>, Box<dyn std::error::Error>> {
            let p = Pipeline::from_yaml(&format!("jobs: {{j: {job}}}"))?;
            let d = policy.check_pipeline(&p);
            Ok(d.violations().iter().map(|v| v.code).collect())
        };
        let none: Vec<Code> = Vec::new();
        assert_eq!(found("{trigger: merged, secrets: [NPM]}")?, none);
        assert_eq!(
            found("{trigger: patchset, secrets: [NPM]}")?,
            [codes::PIPELINE_SECRET_NOT_ALLOWED]
        );
        assert_eq!(
            found("{trigger: merged, zone: deploy, deploys: prod, secrets: [PROD_KEY]}")?,
            none
        );
        assert_eq!(
            found("{trigger: merged, secrets: [PROD_KEY]}")?,
            [codes::PIPELINE_CREDENTIALS_OUTSIDE_DEPLOY_ZONE]
        );
        assert_eq!(
            found("{trigger: merged, zone: deploy, deploys: qa, secrets: [PROD_KEY]}")?,
            [codes::PIPELINE_SECRET_NOT_ALLOWED]
        );
        Ok(())
    }

    fn codes_of(yaml: &str) -> Result<Vec<crate::rule::Code>, Box<dyn std::error::Error>> {
        let d = Policy::builtin().check_pipeline(&Pipeline::from_yaml(yaml)?);
        Ok(d.violations().iter().map(|v| v.code).collect())
    }

    #[test]
    fn approved_code_above_the_approved_zone_is_untrusted_code()
    -> Result<(), Box<dyn std::error::Error>> {
        let code = codes::PIPELINE_UNTRUSTED_CODE_IN_TRUSTED_ZONE;
        assert!(codes_of("jobs: {gate: {trigger: approved, zone: trusted}}")?.contains(&code));
        assert!(!codes_of("jobs: {gate: {trigger: approved, zone: approved}}")?.contains(&code));
        assert!(!codes_of("jobs: {build: {trigger: merged, zone: trusted}}")?.contains(&code));
        Ok(())
    }

    #[test]
    fn only_vetted_extraction_publishes_and_only_from_a_zone_that_may()
    -> Result<(), Box<dyn std::error::Error>> {
        let code = codes::PIPELINE_BUILD_PUBLISHES;
        let build = "jobs: {release: {trigger: tag, publishes: true}}";
        assert!(codes_of(build)?.contains(&code));
        let extract = "jobs: {release: {trigger: tag, publishes: true, runs_repo_code: false}}";
        assert!(!codes_of(extract)?.contains(&code));
        let low = "jobs: {release: {trigger: patchset, publishes: true, runs_repo_code: false}}";
        assert!(codes_of(low)?.contains(&code));
        Ok(())
    }

    #[test]
    fn an_input_from_a_less_trusted_zone_is_tainted_unless_a_deploy_judges_it()
    -> Result<(), Box<dyn std::error::Error>> {
        let code = codes::PIPELINE_TAINTED_INPUT;
        let pr = "pr: {trigger: patchset, produces: {artifacts: [x]}}";
        let tainted =
            format!("jobs: {{{pr}, build: {{trigger: merged, consumes: {{artifacts: [x]}}}}}}");
        assert!(codes_of(&tainted)?.contains(&code));
        let clean = "jobs: {a: {trigger: merged, produces: {artifacts: [x]}}, b: {trigger: tag, consumes: {artifacts: [x]}}}";
        assert!(!codes_of(clean)?.contains(&code));
        // A deploy's inputs are judged against its environment's minimum build zone instead.
        let deploy = format!(
            "jobs: {{{pr}, ship: {{trigger: merged, deploys: production, consumes: {{artifacts: [x]}}}}}}"
        );
        let found = codes_of(&deploy)?;
        assert!(!found.contains(&code), "{found:?}");
        assert!(
            found.contains(&codes::PIPELINE_DEPLOY_FROM_UNTRUSTED_BUILD),
            "{found:?}"
        );
        Ok(())
    }

    #[test]
    fn long_tainted_chains_report_bounded_paths_that_start_at_the_source()
    -> Result<(), Box<dyn std::error::Error>> {
        let n = 5_000;
        let mut b = Pipeline::builder();
        b.job("pr")
            .trigger(Trigger::Patchset)
            .produce(ResourceKind::Artifact, "a0");
        for i in 1..n {
            b.job(&format!("j{i}"))
                .trigger(Trigger::Merged)
                .consume(ResourceKind::Artifact, &format!("a{}", i - 1))
                .produce(ResourceKind::Artifact, &format!("a{i}"));
        }
        b.job("release")
            .trigger(Trigger::Tag)
            .consume(ResourceKind::Artifact, &format!("a{}", n - 1));
        let (p, issues) = b.finish();
        assert!(issues.is_empty());
        let d = Policy::builtin().check_pipeline(&p);
        // Every trusted job downstream of the pull request is tainted.
        assert_eq!(d.violations().len(), n);
        let last = d.violations().last().ok_or("no violation")?;
        let path = last.facts["path"].as_array().cloned().unwrap_or_default();
        assert!(path.len() <= PATH_LIMIT + 3, "{}", path.len());
        assert_eq!(path[0]["job"], "pr");
        assert_eq!(path[1]["job"], "...");
        assert_eq!(path[path.len() - 1]["job"], "release");
        Ok(())
    }

    #[test]
    fn a_long_chain_into_a_cycle_is_reported_without_exhausting_the_stack()
    -> Result<(), Box<dyn std::error::Error>> {
        // Each job needs the previous one and the first needs the last: one cycle of n jobs,
        // behind which a recursive strongly-connected-components search would recurse n deep.
        let n = 200_000;
        let mut b = Pipeline::builder();
        b.job("j0")
            .trigger(Trigger::Merged)
            .need(&format!("j{}", n - 1));
        for i in 1..n {
            b.job(&format!("j{i}"))
                .trigger(Trigger::Merged)
                .need(&format!("j{}", i - 1));
        }
        b.job("self").trigger(Trigger::Merged).need("self");
        b.job("after").trigger(Trigger::Merged).need("j5");
        let (p, issues) = b.finish();
        assert!(issues.is_empty());
        let d = Policy::builtin().check_pipeline(&p);
        let cycles: Vec<_> = d
            .violations()
            .iter()
            .filter(|v| v.code == codes::PIPELINE_CYCLE)
            .collect();
        assert_eq!(cycles.len(), 2, "{d}");
        let lengths: Vec<usize> = cycles
            .iter()
            .map(|v| v.facts["cycle"].as_array().map_or(0, Vec::len))
            .collect();
        assert!(lengths.contains(&(n + 1)), "{lengths:?}");
        assert!(lengths.contains(&2), "{lengths:?}");
        Ok(())
    }

    #[test]
    fn jobs_written_out_of_order_are_ordered_by_their_edges()
    -> Result<(), Box<dyn std::error::Error>> {
        let mut b = Pipeline::builder();
        b.job("deploy")
            .trigger(Trigger::Merged)
            .need("test")
            .need("test");
        b.job("test").trigger(Trigger::Merged).need("build");
        b.job("build").trigger(Trigger::Merged);
        b.job("lone").trigger(Trigger::Merged);
        let (p, issues) = b.finish();
        assert!(issues.is_empty());
        let policy = Policy::builtin();
        let mut checker = Checker {
            policy,
            p: &p,
            lattice: Lattice::new(policy),
            zone: vec![BOTTOM; 4],
            trigger: vec![Trigger::Patchset; 4],
            guessed: vec![false; 4],
            eff: Vec::new(),
            from: vec![NONE; 4],
            from_res: vec![0; 4],
            source: vec![NONE; 4],
            built_from: vec![NONE; 4],
            builder: vec![NONE; 4],
            decision: Decision::new("test"),
        };
        assert_eq!(checker.order(), [2, 3, 1, 0]);
        assert!(checker.decision.violations().is_empty());
        Ok(())
    }

    #[test]
    fn only_the_checks_that_ran_on_something_are_passed() -> Result<(), Box<dyn std::error::Error>>
    {
        let policy = Policy::builtin();
        // Nothing read is not safe: the only finding is that nothing was read, and no check
        // claims to have passed on it.
        let empty = policy.check_pipeline(&Pipeline::builder().finish().0);
        assert!(!empty.allowed());
        let codes_found: Vec<_> = empty.violations().iter().map(|v| v.code).collect();
        assert_eq!(codes_found, [codes::IMPORT_INCOMPLETE], "{empty}");
        assert!(empty.passed().is_empty(), "{empty}");

        let quiet = Pipeline::from_yaml("jobs: {lint: {trigger: merged}}")?;
        let d = policy.check_pipeline(&quiet);
        assert!(d.allowed(), "{d}");
        for ran in [
            codes::PIPELINE_CYCLE,
            codes::PIPELINE_UNKNOWN_ZONE,
            codes::PIPELINE_UNTRUSTED_CODE_IN_TRUSTED_ZONE,
        ] {
            assert!(d.passed().contains(&ran), "{ran} should have run:\n{d}");
        }
        for idle in [
            codes::PIPELINE_SECRET_NOT_ALLOWED,
            codes::PIPELINE_TAINTED_INPUT,
            codes::PIPELINE_BUILD_PUBLISHES,
            codes::PIPELINE_UNKNOWN_ENVIRONMENT,
            codes::PIPELINE_DEPLOY_FROM_UNTRUSTED_BUILD,
            codes::PIPELINE_REBUILD_ON_PROMOTE,
            codes::PIPELINE_CREDENTIALS_OUTSIDE_DEPLOY_ZONE,
        ] {
            assert!(
                !d.passed().contains(&idle),
                "{idle} had nothing to check:\n{d}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_finding_on_a_guessed_trigger_says_what_it_assumed()
    -> Result<(), Box<dyn std::error::Error>> {
        let policy = Policy::builtin();
        let mut b = Pipeline::builder();
        b.job("build").trigger(Trigger::Patchset).zone("trusted");
        let stated = b.finish().0;
        // Importers leave the trigger unstated when nothing in the file says what starts a job.
        let mut b = Pipeline::builder();
        b.job("build").zone("trusted");
        let unstated = b.finish().0;
        let find = |p: &Pipeline| {
            policy
                .check_pipeline(p)
                .violations()
                .iter()
                .find(|v| v.code == codes::PIPELINE_UNTRUSTED_CODE_IN_TRUSTED_ZONE)
                .cloned()
        };
        let stated = find(&stated).ok_or("a patchset job in a trusted zone is a finding")?;
        assert_eq!(stated.confidence, Confidence::High);
        assert!(stated.assumptions.is_empty());
        let unstated = find(&unstated).ok_or("an unstated trigger fails closed")?;
        assert_eq!(unstated.confidence, Confidence::Medium);
        assert_eq!(unstated.assumptions.len(), 1);
        Ok(())
    }

    #[test]
    fn an_undeclared_secret_of_a_deploying_job_is_a_deploy_credential_by_assumption()
    -> Result<(), Box<dyn std::error::Error>> {
        let policy = Policy::builtin();
        let pipeline = Pipeline::from_yaml(
            "jobs: {preview: {trigger: patchset, deploys: preview, secrets: [DEPLOY_KEY]}}",
        )?;
        let d = policy.check_pipeline(&pipeline);
        let v = d
            .violations()
            .iter()
            .find(|v| v.code == codes::PIPELINE_CREDENTIALS_OUTSIDE_DEPLOY_ZONE)
            .ok_or("a deploy credential in a pull-request job is a finding")?;
        assert_eq!(v.confidence, Confidence::Medium);
        assert!(v.assumptions[0].contains("DEPLOY_KEY"), "{v:?}");
        Ok(())
    }
}
