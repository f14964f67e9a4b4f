//! Argo Workflows: `Workflow`, `WorkflowTemplate`, `ClusterWorkflowTemplate`, `CronWorkflow`.
//!
//! From the entrypoint, `dag` tasks (`dependencies` and `depends` expressions) and `steps` groups
//! are unrolled into jobs; a task that runs another `dag`/`steps` template becomes its own
//! sub-graph (`task/child`), closed by a join job named after the task. `templateRef` and
//! `workflowTemplateRef` resolve against the templates in the given files. Secrets come from
//! `secretKeyRef`, `secretRef`, mounted secret volumes and artifact credentials; artifacts flow
//! along `from: {{tasks.X.outputs.artifacts.Y}}`; shared volumes and keyed S3 caches are
//! workspaces and caches. The zone is the policy's to decide from the contexts each job
//! carries: service account, namespace, node selector and labels (first mapped one wins).

use std::collections::{BTreeMap, BTreeSet};

use super::tree::{NULL, Node, V};
use super::{ImportError, SourceFile, documents};
use crate::pipeline::{PipelineBuilder, ResourceKind};
use crate::source::Location;

const KINDS: [&str; 5] = [
    "Workflow",
    "WorkflowTemplate",
    "ClusterWorkflowTemplate",
    "CronWorkflow",
    "ScheduledWorkflow",
];

/// Whether `api` is the API group of `kind`: Argo's own kinds, and Kubeflow Pipelines'
/// `ScheduledWorkflow`, which wraps an Argo workflow spec and runs it on a schedule.
fn readable(api: &str, kind: &str) -> bool {
    match kind {
        "ScheduledWorkflow" => api.starts_with("kubeflow.org/"),
        _ => api.starts_with("argoproj.io/") && KINDS.contains(&kind),
    }
}

/// What an object of another kind of the Argo family is, for the message that says it was not
/// read: Argo Events objects start workflows from outside events, so what they submit, and
/// with which event data, is part of the trust flow that was not checked.
fn not_read(api: &str, kind: &str) -> String {
    match kind {
        "Sensor" => format!(
            "`{api}` `Sensor` (Argo Events) is not modelled yet: the workflows its triggers submit, and the event parameters (attacker-controlled for webhook, GitHub, GitLab sources) they pass in, are not checked"
        ),
        "EventSource" => format!(
            "`{api}` `EventSource` (Argo Events) is not modelled yet: the events it accepts, and who can send them, are not checked"
        ),
        _ => format!(
            "`{api}` `{kind}` is not an Argo workflow object lockkeeper reads; it is not checked"
        ),
    }
}

const SPEC_KEYS: [&str; 44] = [
    "entrypoint",
    "templates",
    "arguments",
    "serviceAccountName",
    "automountServiceAccountToken",
    "executor",
    "volumes",
    "volumeClaimTemplates",
    "parallelism",
    "artifactRepositoryRef",
    "suspend",
    "nodeSelector",
    "affinity",
    "tolerations",
    "imagePullSecrets",
    "hostNetwork",
    "dnsPolicy",
    "dnsConfig",
    "onExit",
    "ttlStrategy",
    "ttlSecondsAfterFinished",
    "activeDeadlineSeconds",
    "priority",
    "schedulerName",
    "podGC",
    "podPriorityClassName",
    "podPriority",
    "hostAliases",
    "securityContext",
    "podSpecPatch",
    "podDisruptionBudget",
    "metrics",
    "shutdown",
    "workflowTemplateRef",
    "hooks",
    "synchronization",
    "volumeClaimGC",
    "retryStrategy",
    "podMetadata",
    "templateDefaults",
    "archiveLogs",
    "artifactGC",
    "workflowMetadata",
    "serviceAccount",
];

const TEMPLATE_KEYS: [&str; 40] = [
    "name",
    "inputs",
    "outputs",
    "container",
    "script",
    "resource",
    "dag",
    "steps",
    "suspend",
    "http",
    "plugin",
    "containerSet",
    "data",
    "metadata",
    "nodeSelector",
    "affinity",
    "tolerations",
    "serviceAccountName",
    "automountServiceAccountToken",
    "securityContext",
    "volumes",
    "initContainers",
    "sidecars",
    "archiveLocation",
    "activeDeadlineSeconds",
    "retryStrategy",
    "parallelism",
    "failFast",
    "priorityClassName",
    "priority",
    "podSpecPatch",
    "hostAliases",
    "timeout",
    "memoize",
    "synchronization",
    "daemon",
    "executor",
    "schedulerName",
    "metrics",
    "failFast",
];

const TASK_KEYS: [&str; 14] = [
    "name",
    "template",
    "templateRef",
    "dependencies",
    "depends",
    "arguments",
    "when",
    "withItems",
    "withParam",
    "withSequence",
    "continueOn",
    "onExit",
    "hooks",
    "inline",
];

/// Template fields that describe what runs and are mappings in Argo's schema.
const TEMPLATE_MAP_KEYS: [&str; 8] = [
    "container",
    "script",
    "containerSet",
    "dag",
    "resource",
    "data",
    "http",
    "plugin",
];

/// Template fields that describe what runs and are lists in Argo's schema.
const TEMPLATE_SEQ_KEYS: [&str; 3] = ["steps", "initContainers", "sidecars"];

/// Flags that make a build tool push what it built (kaniko, docker buildx), which Argo
/// steps use where a script would run a push command.
const PUSH_FLAGS: [&str; 2] = ["--destination", "--push"];

/// One Argo object of the given files.
struct Object<'a> {
    file: usize,
    kind: String,
    name: String,
    doc: &'a Node,
    spec: &'a Node,
    /// For a workflow an Argo Events Sensor submits: the workflow parameters its trigger fills
    /// from the event, and who sends the event.
    event: Option<(Vec<String>, super::argo_events::Senders)>,
}

struct Expander<'a, 'b> {
    b: &'b mut PipelineBuilder,
    files: &'a [SourceFile<'a>],
    objects: &'a [Object<'a>],
    prefix: String,
    contexts: Vec<String>,
    volumes: BTreeMap<String, String>,
    claims: Vec<String>,
    /// Templates may still be unrolled: nested templates can multiply jobs exponentially.
    budget: usize,
    /// Templates whose code (a script's source, a shell's command line) receives event data,
    /// with where and which reference.
    injected: BTreeMap<String, (String, String)>,
    /// The file the templates come from, and who sends the event, for injection findings.
    event_file: String,
    event_from: String,
    /// Whether a job consumed event data, so the event's source job is needed.
    event_used: bool,
}

/// The text the event reaches in a job, as one resource of the model.
const EVENT_DATA: &str = "event data (attacker-controlled)";

/// Shells that run their `-c` argument as code.
const SHELLS: [&str; 6] = ["sh", "bash", "ash", "dash", "zsh", "ksh"];

/// The templates of `spec` whose code is written with event data: a parameter filled from the
/// event reaches, through `{{workflow.parameters.P}}` or task arguments passed on as
/// `{{inputs.parameters.X}}`, a script's `source` or the command line of a shell run with `-c`.
/// An argument handed to a program that is not a shell (`echo`) is data, not code.
fn injected_templates(spec: &Node, tainted: &[String]) -> BTreeMap<String, (String, String)> {
    let templates = spec.get("templates").map(Node::items).unwrap_or_default();
    let inputs = tainted_inputs(spec, tainted);
    let mut out = BTreeMap::new();
    for t in templates {
        let Some(name) = t.get("name").and_then(Node::scalar) else {
            continue;
        };
        let own = inputs.get(&name).cloned().unwrap_or_default();
        let mut code: Vec<(&str, String)> = Vec::new();
        if let Some(s) = t.get("script") {
            code.extend(
                s.get("source")
                    .and_then(Node::scalar)
                    .map(|x| ("the script's source", x)),
            );
        }
        for k in ["container", "script"] {
            let Some(c) = t.get(k) else { continue };
            let line: Vec<String> = c
                .get("command")
                .map(Node::strings)
                .unwrap_or_default()
                .into_iter()
                .chain(c.get("args").map(Node::strings).unwrap_or_default())
                .collect();
            let shell = line
                .first()
                .is_some_and(|p| SHELLS.contains(&p.rsplit('/').next().unwrap_or_default()))
                && line.iter().any(|a| a == "-c");
            if shell {
                code.extend(line.into_iter().map(|l| ("a shell's command line", l)));
            }
        }
        if let Some((sink, expr)) = code
            .iter()
            .find_map(|(sink, s)| reference(s, tainted, &own).map(|e| (*sink, e)))
        {
            out.insert(name, (sink.to_owned(), expr));
        }
    }
    out
}

/// The first `{{workflow.parameters.P}}` or `{{inputs.parameters.X}}` in `s` that carries
/// event data.
fn reference(s: &str, tainted: &[String], own: &BTreeSet<String>) -> Option<String> {
    tainted
        .iter()
        .map(|p| format!("{{{{workflow.parameters.{p}}}}}"))
        .chain(own.iter().map(|i| format!("{{{{inputs.parameters.{i}}}}}")))
        .find(|r| s.contains(r.as_str()))
}

/// Whether a template of `spec` fetches or checks out git with a revision the event names
/// (a git input artifact's `revision`, or a git command in a template that receives the data).
fn checks_out_event_revision(spec: &Node, tainted: &[String]) -> bool {
    let inputs = tainted_inputs(spec, tainted);
    spec.get("templates")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|t| {
            let own = t
                .get("name")
                .and_then(Node::scalar)
                .and_then(|n| inputs.get(&n).cloned())
                .unwrap_or_default();
            let mut text = Vec::new();
            t.visit_strings(&mut |s| text.push(s.to_owned()));
            let receives = text.iter().any(|s| reference(s, tainted, &own).is_some());
            let git_artifact = t
                .get("inputs")
                .and_then(|i| i.get("artifacts"))
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|a| a.get("git"))
                .any(|g| {
                    ["revision", "branch"].iter().any(|k| {
                        g.get(k)
                            .and_then(Node::scalar)
                            .is_some_and(|r| reference(&r, tainted, &own).is_some())
                    })
                });
            git_artifact || (receives && text.iter().any(|s| super::argo_events::checks_out(s)))
        })
}

/// Per template, the input parameters that carry event data.
fn tainted_inputs(spec: &Node, tainted: &[String]) -> BTreeMap<String, BTreeSet<String>> {
    let templates = spec.get("templates").map(Node::items).unwrap_or_default();
    let mut inputs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if let Some(entry) = spec.get("entrypoint").and_then(Node::scalar) {
        inputs
            .entry(entry)
            .or_default()
            .extend(tainted.iter().cloned());
    }
    let reaches = |s: &str, own: &BTreeSet<String>| {
        tainted
            .iter()
            .any(|p| s.contains(&format!("{{{{workflow.parameters.{p}}}}}")))
            || own
                .iter()
                .any(|i| s.contains(&format!("{{{{inputs.parameters.{i}}}}}")))
    };
    // Arguments pass event data on from template to template; a few rounds reach a fixpoint in
    // any workflow a person writes.
    for _ in 0..8 {
        let mut changed = false;
        for t in templates {
            let Some(name) = t.get("name").and_then(Node::scalar) else {
                continue;
            };
            let own = inputs.get(&name).cloned().unwrap_or_default();
            let mut calls: Vec<&Node> = Vec::new();
            if let Some(d) = t.get("dag") {
                calls.extend(d.get("tasks").map(Node::items).unwrap_or_default());
            }
            for group in t.get("steps").map(Node::items).unwrap_or_default() {
                calls.extend(group.items());
            }
            for call in calls {
                let Some(callee) = call.get("template").and_then(Node::scalar) else {
                    continue;
                };
                for a in call
                    .get("arguments")
                    .and_then(|a| a.get("parameters"))
                    .map(Node::items)
                    .unwrap_or_default()
                {
                    let (Some(n), Some(v)) = (
                        a.get("name").and_then(Node::scalar),
                        a.get("value").and_then(Node::scalar),
                    ) else {
                        continue;
                    };
                    if reaches(&v, &own) {
                        changed |= inputs.entry(callee.clone()).or_default().insert(n);
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    inputs
}

/// A workflow a Sensor submits, with the parameters its trigger fills from the event.
type SensorFlow<'a> = (&'a Node, Vec<String>);
/// A part of a Sensor that is not read: where, and what.
type Unread = (Option<Location>, String);

/// The workflows an Argo Events Sensor submits (`argoWorkflow` or `k8s` triggers whose resource
/// is a Workflow), each with the parameters its trigger fills from the event.
fn sensor_workflows(sensor: &Node) -> (Vec<SensorFlow<'_>>, Vec<Unread>) {
    let spec = sensor.get("spec").unwrap_or(&NULL);
    let mut out = Vec::new();
    let mut unread = Vec::new();
    for t in spec.get("triggers").map(Node::items).unwrap_or_default() {
        let tpl = t.get("template").unwrap_or(&NULL);
        let Some(kind) = ["argoWorkflow", "k8s"]
            .into_iter()
            .find(|k| tpl.get(k).is_some())
        else {
            if tpl.get("log").is_none() {
                let what = tpl
                    .entries()
                    .iter()
                    .map(|e| e.key.clone())
                    .filter(|k| k != "name")
                    .collect::<Vec<_>>()
                    .join(", ");
                unread.push((
                    t.loc,
                    format!(
                        "Sensor trigger `{what}` is not modelled; what it starts is not checked"
                    ),
                ));
            }
            continue;
        };
        let body = tpl.get(kind).unwrap_or(&NULL);
        let Some(resource) = body.get("source").and_then(|s| s.get("resource")) else {
            unread.push((body.loc, format!("Sensor `{kind}` trigger without an inline `source.resource` (a file, URL or git source) is not read; what it submits is not checked")));
            continue;
        };
        let is_workflow = resource
            .get("apiVersion")
            .and_then(Node::scalar)
            .is_some_and(|a| a.starts_with("argoproj.io/"))
            && resource.get("kind").and_then(Node::scalar).as_deref() == Some("Workflow");
        if !is_workflow {
            unread.push((resource.loc, format!("Sensor `{kind}` trigger creates something other than an Argo Workflow; it is not checked")));
            continue;
        }
        let args: Vec<String> = resource
            .get("spec")
            .and_then(|s| s.get("arguments"))
            .and_then(|a| a.get("parameters"))
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .map(|p| p.get("name").and_then(Node::scalar).unwrap_or_default())
            .collect();
        let mut tainted = Vec::new();
        for p in body
            .get("parameters")
            .or_else(|| t.get("parameters"))
            .map(Node::items)
            .unwrap_or_default()
        {
            let dest = p.get("dest").and_then(Node::scalar).unwrap_or_default();
            if let Some(i) = dest
                .strip_prefix("spec.arguments.parameters.")
                .and_then(|r| r.split('.').next())
                .and_then(|n| n.parse::<usize>().ok())
                && let Some(n) = args.get(i)
                && !tainted.contains(n)
            {
                tainted.push(n.clone());
            }
        }
        out.push((resource, tainted));
    }
    (out, unread)
}

/// How many templates one workflow may unroll into jobs.
const EXPANSION_BUDGET: usize = 100_000;

/// Task names a `depends` expression mentions (`A && (B.Succeeded || C.Failed)`).
fn depends_names(expr: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in
        expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
    {
        let name = token.split('.').next().unwrap_or_default();
        if !name.is_empty() && !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    }
    out
}

/// `{{tasks.X.outputs...}}` / `{{steps.X.outputs...}}` references in a text.
fn output_refs(text: &str, out: &mut Vec<String>) {
    for scope in ["tasks.", "steps."] {
        let mut rest = text;
        while let Some(i) = rest.find(scope) {
            rest = &rest[i + scope.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| *c != '.' && *c != '}' && !c.is_whitespace())
                .collect();
            if rest[name.len()..].starts_with(".outputs") && !out.contains(&name) {
                out.push(name);
            }
        }
    }
}

impl<'a> Expander<'a, '_> {
    fn template(&self, obj: usize, name: &str) -> Option<(usize, &'a Node)> {
        let spec = self.objects.get(obj)?.spec;
        spec.get("templates")?
            .items()
            .iter()
            .find(|t| t.get("name").and_then(Node::as_str) == Some(name))
            .map(|t| (obj, t))
    }

    /// The template a task or step runs: `template`, `templateRef` or `inline`.
    fn resolve(&mut self, obj: usize, task: &'a Node, path: &str) -> Option<(usize, &'a Node)> {
        if let Some(inline) = task.get("inline") {
            return Some((obj, inline));
        }
        if let Some(t) = task.get("template").and_then(Node::as_str) {
            let found = self.template(obj, t);
            if found.is_none() {
                self.b.file(self.files[self.objects[obj].file].name);
                self.b.unsupported(
                    task.loc,
                    path,
                    format!("template `{t}` is not defined; what it runs is not checked"),
                );
            }
            return found;
        }
        if let Some(r) = task.get("templateRef") {
            let wanted = r.get("name").and_then(Node::scalar).unwrap_or_default();
            let tname = r.get("template").and_then(Node::scalar).unwrap_or_default();
            let target = self
                .objects
                .iter()
                .position(|o| o.name == wanted && o.kind != "Workflow");
            let found = target.and_then(|o| self.template(o, &tname));
            if found.is_none() {
                self.b.file(self.files[self.objects[obj].file].name);
                self.b.unsupported(
                    task.loc,
                    path,
                    format!(
                        "templateRef `{wanted}`/`{tname}` is not in the given files; what it runs is not checked"
                    ),
                );
            }
            return found;
        }
        None
    }

    /// Expands template `tpl` as job `name` (with `needs`); returns the jobs that end it.
    // The arguments are the recursion's state; a struct for them would only rename them.
    #[allow(clippy::too_many_arguments)]
    fn expand(
        &mut self,
        obj: usize,
        tpl: &'a Node,
        name: &str,
        needs: &[String],
        inputs_from: &[String],
        loc: Option<Location>,
        stack: &mut Vec<String>,
    ) -> Vec<String> {
        let tname = tpl
            .get("name")
            .and_then(Node::scalar)
            .unwrap_or_else(|| "(inline)".to_owned());
        let key = format!("{obj}:{tname}");
        self.b.file(self.files[self.objects[obj].file].name);
        if self.budget == 0 {
            return Vec::new();
        }
        self.budget -= 1;
        if self.budget == 0 {
            self.b.unsupported(
                loc.or(tpl.loc),
                name,
                format!("the workflow unrolls into more than {EXPANSION_BUDGET} steps; the rest is not checked"),
            );
            return Vec::new();
        }
        if stack.contains(&key) || stack.len() > 20 {
            self.b.unsupported(
                loc.or(tpl.loc),
                name,
                format!("template `{tname}` calls itself; the recursion is not unrolled, so the jobs it would add are not checked"),
            );
            return Vec::new();
        }
        for e in tpl.entries() {
            if !TEMPLATE_KEYS.contains(&e.key.as_str()) {
                self.b.unsupported(
                    e.key_loc,
                    format!("templates.{tname}.{}", e.key),
                    format!("`{}` is not a template field lockkeeper knows; what it does is not checked", e.key),
                );
            }
            // A field that says what runs, written with the wrong shape (a `container` given as a
            // string), would otherwise be read as nothing: the job it describes goes unchecked.
            let want_map = TEMPLATE_MAP_KEYS.contains(&e.key.as_str());
            let want_seq = TEMPLATE_SEQ_KEYS.contains(&e.key.as_str());
            if ((want_map && !e.value.is_map()) || (want_seq && !e.value.is_seq()))
                && !e.value.is_null()
            {
                self.b.unsupported(
                    e.key_loc,
                    format!("templates.{tname}.{}", e.key),
                    format!(
                        "`{}` of template `{tname}` is {}, not a {}; what it runs is not checked",
                        e.key,
                        e.value.kind(),
                        if want_map { "mapping" } else { "list" }
                    ),
                );
            }
        }
        if let Some(dag) = tpl.get("dag") {
            stack.push(key);
            let tasks = dag.get("tasks").map(Node::items).unwrap_or_default();
            let mut ends = Vec::new();
            let mut all = Vec::new();
            let names: Vec<String> = tasks
                .iter()
                .filter_map(|t| t.get("name").and_then(Node::scalar))
                .collect();
            let mut depended: Vec<String> = Vec::new();
            for t in tasks {
                let Some(tn) = t.get("name").and_then(Node::scalar) else {
                    continue;
                };
                for e in t.entries() {
                    if !TASK_KEYS.contains(&e.key.as_str()) {
                        self.b.unsupported(
                            e.key_loc,
                            format!("{name}/{tn}.{}", e.key),
                            format!("`{}` is not a task field lockkeeper knows; what it does is not checked", e.key),
                        );
                    }
                }
                let mut deps = t.get("dependencies").map(Node::strings).unwrap_or_default();
                if let Some(expr) = t.get("depends").and_then(Node::scalar) {
                    deps.extend(depends_names(&expr));
                }
                let mut from = Vec::new();
                if let Some(args) = t.get("arguments") {
                    args.visit_strings(&mut |s| output_refs(s, &mut from));
                }
                deps.retain(|d| names.contains(d));
                depended.extend(deps.iter().cloned());
                let job = format!("{name}/{tn}");
                let mut my_needs: Vec<String> =
                    deps.iter().map(|d| format!("{name}/{d}")).collect();
                if deps.is_empty() {
                    my_needs.extend(needs.iter().cloned());
                }
                let from_jobs: Vec<String> = from
                    .iter()
                    .filter(|f| names.contains(f))
                    .map(|f| format!("{name}/{f}"))
                    .collect();
                let ended = match self.resolve(obj, t, &job) {
                    Some((o, tt)) => self.expand(o, tt, &job, &my_needs, &from_jobs, t.loc, stack),
                    None => Vec::new(),
                };
                all.push((tn, ended));
            }
            for (tn, ended) in all {
                if !depended.contains(&tn) {
                    ends.extend(ended);
                }
            }
            stack.pop();
            return self.join(name, ends, loc);
        }
        if let Some(steps) = tpl.get("steps") {
            stack.push(key);
            let mut previous: Vec<String> = needs.to_vec();
            let mut seen: Vec<String> = Vec::new();
            for group in steps.items() {
                let members: Vec<&Node> = match &group.v {
                    V::Seq(items) => items.iter().collect(),
                    V::Map(_) => vec![group],
                    _ => Vec::new(),
                };
                let mut ended_here = Vec::new();
                for s in members {
                    let Some(sn) = s.get("name").and_then(Node::scalar) else {
                        continue;
                    };
                    // A step has a task's fields less the DAG's ordering ones.
                    for e in s.entries() {
                        if !TASK_KEYS.contains(&e.key.as_str())
                            || matches!(e.key.as_str(), "dependencies" | "depends")
                        {
                            self.b.unsupported(
                                e.key_loc,
                                format!("{name}/{sn}.{}", e.key),
                                format!("`{}` is not a step field lockkeeper knows; what it does is not checked", e.key),
                            );
                        }
                    }
                    let job = format!("{name}/{sn}");
                    let mut from = Vec::new();
                    if let Some(args) = s.get("arguments") {
                        args.visit_strings(&mut |x| output_refs(x, &mut from));
                    }
                    let from_jobs: Vec<String> = from
                        .iter()
                        .filter(|f| seen.contains(f))
                        .map(|f| format!("{name}/{f}"))
                        .collect();
                    if let Some((o, tt)) = self.resolve(obj, s, &job) {
                        ended_here
                            .extend(self.expand(o, tt, &job, &previous, &from_jobs, s.loc, stack));
                    }
                    seen.push(sn);
                }
                if !ended_here.is_empty() {
                    previous = ended_here;
                }
            }
            stack.pop();
            return self.join(name, previous, loc);
        }
        self.leaf(tpl, name, needs, inputs_from, loc);
        vec![name.to_owned()]
    }

    /// The job closing a sub-graph, so that what depends on the task waits for all of it.
    fn join(&mut self, name: &str, ends: Vec<String>, loc: Option<Location>) -> Vec<String> {
        let mut jb = self
            .b
            .job(&format!("{}{name}", self.prefix))
            .at(loc)
            .runs_repo_code(false);
        for c in &self.contexts {
            jb = jb.context(c);
        }
        for e in &ends {
            jb = jb.need(&format!("{}{e}", self.prefix)).consume(
                ResourceKind::Artifact,
                &format!("{}outputs of {e}", self.prefix),
            );
        }
        jb.produce(
            ResourceKind::Artifact,
            &format!("{}outputs of {name}", self.prefix),
        );
        vec![name.to_owned()]
    }

    fn leaf(
        &mut self,
        tpl: &'a Node,
        name: &str,
        needs: &[String],
        inputs_from: &[String],
        loc: Option<Location>,
    ) {
        let runs = ["container", "script", "containerSet"]
            .iter()
            .any(|k| tpl.get(k).is_some());
        let mut text = Vec::new();
        for k in [
            "container",
            "script",
            "containerSet",
            "initContainers",
            "sidecars",
        ] {
            if let Some(n) = tpl.get(k) {
                n.visit_strings(&mut |s| text.push(s.to_owned()));
            }
        }
        // BuildKit's `buildctl` pushes an image output marked `push=true`.
        let buildctl_push = text.iter().any(|s| s.contains("buildctl"))
            && text
                .iter()
                .any(|s| s.contains("type=image") && s.contains("push=true"));
        let publishes = buildctl_push || text.iter().any(|s| super::publishes(s, &PUSH_FLAGS));

        // Secrets: env, envFrom, mounted secret volumes, artifact credentials.
        let mut secrets: Vec<String> = Vec::new();
        let mut mounts: Vec<String> = Vec::new();
        let add = |s: String, secrets: &mut Vec<String>| {
            if !secrets.contains(&s) {
                secrets.push(s);
            }
        };
        collect_secrets(tpl, &mut |s| add(s, &mut secrets), &mut mounts);
        let mut volumes = self.volumes.clone();
        for v in tpl.get("volumes").map(Node::items).unwrap_or_default() {
            if let (Some(n), Some(s)) = (
                v.get("name").and_then(Node::scalar),
                v.get("secret")
                    .and_then(|s| s.get("secretName"))
                    .and_then(Node::scalar),
            ) {
                volumes.insert(n, s);
            }
        }
        let mut shared = Vec::new();
        for m in &mounts {
            if let Some(s) = volumes.get(m) {
                add(s.clone(), &mut secrets);
            } else if self.claims.contains(m) {
                shared.push(m.clone());
            }
        }

        let mut contexts = self.contexts.clone();
        if let Some(sa) = tpl.get("serviceAccountName").and_then(Node::scalar) {
            contexts.insert(0, format!("argo/service-account/{sa}"));
        }
        for e in tpl
            .get("nodeSelector")
            .map(Node::entries)
            .unwrap_or_default()
        {
            contexts.insert(
                0,
                format!(
                    "argo/node-selector/{}={}",
                    e.key,
                    e.value.scalar().unwrap_or_default()
                ),
            );
        }
        let p = self.prefix.clone();
        let template = tpl.get("name").and_then(Node::scalar).unwrap_or_default();
        let injection = self.injected.get(&template).cloned();
        let injected = injection.is_some();
        self.event_used |= injected;
        if let Some((sink, expr)) = injection {
            // The template is the code the event's text is spliced into: named as written.
            let mut facts = crate::decision::Facts::new();
            facts.insert("job".into(), serde_json::json!(template));
            facts.insert("node".into(), serde_json::json!(format!("{p}{name}")));
            facts.insert("file".into(), serde_json::json!(self.event_file));
            if let Some(l) = tpl.loc.or(loc) {
                facts.insert("line".into(), serde_json::json!(l.line));
            }
            facts.insert("sink".into(), serde_json::json!(sink));
            facts.insert("expression".into(), serde_json::json!(expr));
            facts.insert("events".into(), serde_json::json!(self.event_from));
            self.b.finding(crate::decision::Violation::new(
                crate::rule::codes::PIPELINE_EXPRESSION_INJECTION,
                format!(
                    "template `{template}` (task `{p}{name}`): event data from {} is spliced into {sink} by `{expr}` before it runs",
                    self.event_from
                ),
                facts,
            ));
        }
        let mut jb = self
            .b
            .job(&format!("{p}{name}"))
            .at(loc.or(tpl.loc))
            .publishes(publishes)
            .runs_repo_code(runs);
        for c in &contexts {
            jb = jb.context(c);
        }
        for n in needs {
            jb = jb
                .need(&format!("{p}{n}"))
                .consume(ResourceKind::Artifact, &format!("{p}outputs of {n}"));
        }
        for f in inputs_from {
            jb = jb.consume(ResourceKind::Artifact, &format!("{p}outputs of {f}"));
        }
        if injected {
            jb = jb.consume(ResourceKind::Artifact, &format!("{p}{EVENT_DATA}"));
        }
        for s in &secrets {
            jb = jb.secret(s);
        }
        for w in &shared {
            jb = jb
                .consume(ResourceKind::Workspace, &format!("{p}volume {w}"))
                .produce(ResourceKind::Workspace, &format!("{p}volume {w}"));
        }
        // Keyed artifacts in a bucket outlive the run: caches.
        for (dir, is_out) in [("inputs", false), ("outputs", true)] {
            for a in tpl
                .get(dir)
                .and_then(|i| i.get("artifacts"))
                .map(Node::items)
                .unwrap_or_default()
            {
                for store in ["s3", "gcs", "oss", "azure", "hdfs", "artifactory"] {
                    if let Some(k) = a
                        .get(store)
                        .and_then(|s| s.get("key"))
                        .and_then(Node::scalar)
                    {
                        let r = format!("{store} {k}");
                        jb = if is_out {
                            jb.produce(ResourceKind::Cache, &r)
                        } else {
                            jb.consume(ResourceKind::Cache, &r)
                        };
                    }
                }
            }
        }
        jb.produce(ResourceKind::Artifact, &format!("{p}outputs of {name}"));
    }
}

/// Secret names a template reads, and the volumes it mounts.
fn collect_secrets(node: &Node, add: &mut dyn FnMut(String), mounts: &mut Vec<String>) {
    match &node.v {
        V::Map(entries) => {
            for e in entries {
                match e.key.as_str() {
                    "secretKeyRef" | "secretRef" => {
                        if let Some(n) = e.value.get("name").and_then(Node::scalar) {
                            add(n);
                        }
                    }
                    "accessKeySecret"
                    | "secretKeySecret"
                    | "usernameSecret"
                    | "passwordSecret"
                    | "sshPrivateKeySecret"
                    | "tokenSecret"
                    | "serviceAccountKeySecret"
                    | "accountKeySecret"
                    | "clientCertSecret"
                    | "clientKeySecret" => {
                        if let Some(n) = e.value.get("name").and_then(Node::scalar) {
                            add(n);
                        }
                    }
                    "volumeMounts" => {
                        for m in e.value.items() {
                            if let Some(n) = m.get("name").and_then(Node::scalar) {
                                mounts.push(n);
                            }
                        }
                    }
                    _ => collect_secrets(&e.value, add, mounts),
                }
            }
        }
        V::Seq(items) => items.iter().for_each(|i| collect_secrets(i, add, mounts)),
        _ => {}
    }
}

pub(crate) fn import(b: &mut PipelineBuilder, files: &[SourceFile<'_>]) -> Result<(), ImportError> {
    let mut errors = Vec::new();
    let mut docs: Vec<(usize, Node)> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        match documents(f) {
            Ok(d) => docs.extend(d.into_iter().filter(|n| !n.is_null()).map(|n| (i, n))),
            Err(e) => errors.extend(e.into_files()),
        }
    }
    if let Some(e) = ImportError::from_files(errors) {
        return Err(e);
    }
    let all: Vec<&Node> = docs
        .iter()
        .filter(|(_, d)| {
            d.get("apiVersion")
                .and_then(Node::as_str)
                .is_some_and(|a| a.starts_with("argoproj.io/"))
        })
        .map(|(_, d)| d)
        .collect();
    let events = super::argo_events::events(&all);
    let sensor_sources: Vec<String> = all
        .iter()
        .filter(|d| d.get("kind").and_then(Node::as_str) == Some("Sensor"))
        .flat_map(|d| {
            d.get("spec")
                .and_then(|s| s.get("dependencies"))
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|x| x.get("eventSourceName").and_then(Node::scalar))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut objects: Vec<Object<'_>> = Vec::new();
    for (file, doc) in &docs {
        let kind = doc.get("kind").and_then(Node::scalar).unwrap_or_default();
        let api = doc
            .get("apiVersion")
            .and_then(Node::scalar)
            .unwrap_or_default();
        b.file(files[*file].name);
        if api.starts_with("argoproj.io/") && kind == "Sensor" {
            let (flows, unread) = sensor_workflows(doc);
            for (loc, msg) in unread {
                b.unsupported(loc, "spec.triggers", msg);
            }
            let sensor = doc
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Node::scalar)
                .unwrap_or_else(|| "sensor".to_owned());
            for (resource, tainted) in flows {
                objects.push(Object {
                    file: *file,
                    kind: "Sensor".to_owned(),
                    name: sensor.clone(),
                    doc: resource,
                    spec: resource.get("spec").unwrap_or(&NULL),
                    event: Some((tainted, super::argo_events::senders(doc, &events))),
                });
            }
            continue;
        }
        // An EventSource is read with the Sensors that wait for its events.
        if api.starts_with("argoproj.io/") && kind == "EventSource" && {
            let name = doc
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Node::scalar)
                .unwrap_or_default();
            sensor_sources.contains(&name)
        } {
            continue;
        }
        // A Katib Experiment runs its trial template, here an Argo Workflow, once per trial.
        if api.starts_with("kubeflow.org/") && kind == "Experiment" {
            let trial = doc
                .get("spec")
                .and_then(|s| s.get("trialTemplate"))
                .and_then(|t| t.get("trialSpec"));
            match trial {
                Some(w)
                    if w.get("apiVersion")
                        .and_then(Node::scalar)
                        .is_some_and(|a| a.starts_with("argoproj.io/"))
                        && w.get("kind").and_then(Node::scalar).as_deref() == Some("Workflow") =>
                {
                    let name = doc
                        .get("metadata")
                        .and_then(|m| m.get("name"))
                        .and_then(Node::scalar)
                        .unwrap_or_else(|| "experiment".to_owned());
                    objects.push(Object {
                        file: *file,
                        kind: "Workflow".to_owned(),
                        name,
                        doc: w,
                        spec: w.get("spec").unwrap_or(&NULL),
                        event: None,
                    });
                }
                _ => b.unsupported(
                    doc.loc,
                    "spec.trialTemplate",
                    format!("`{api}` `Experiment` runs a trial that is not an inline Argo Workflow; it is not checked"),
                ),
            }
            continue;
        }
        if !readable(&api, &kind) {
            b.unsupported(doc.loc, "kind", not_read(&api, &kind));
            continue;
        }
        let meta = doc.get("metadata").unwrap_or(&NULL);
        let name = meta
            .get("name")
            .and_then(Node::scalar)
            .or_else(|| {
                meta.get("generateName")
                    .and_then(Node::scalar)
                    .map(|g| g.trim_end_matches('-').to_owned())
            })
            .unwrap_or_else(|| kind.to_ascii_lowercase());
        let spec = match kind.as_str() {
            "CronWorkflow" => doc.get("spec").and_then(|s| s.get("workflowSpec")),
            "ScheduledWorkflow" => doc
                .get("spec")
                .and_then(|s| s.get("workflow"))
                .and_then(|w| w.get("spec")),
            _ => doc.get("spec"),
        }
        .unwrap_or(&NULL);
        for e in spec.entries() {
            if !SPEC_KEYS.contains(&e.key.as_str()) {
                b.unsupported(
                    e.key_loc,
                    format!("spec.{}", e.key),
                    format!("`{}` is not a workflow field lockkeeper knows; what it does is not checked", e.key),
                );
            }
        }
        objects.push(Object {
            file: *file,
            kind,
            name,
            doc,
            spec,
            event: None,
        });
    }
    let mut runnable: Vec<(usize, Option<String>)> = (0..objects.len())
        .filter(|&i| {
            objects[i].spec.get("entrypoint").is_some()
                || objects[i].spec.get("workflowTemplateRef").is_some()
        })
        .map(|i| (i, None))
        .collect();
    // A template library (a WorkflowTemplate without an entrypoint) runs whatever template a
    // caller names, and the callers are not given: each of its templates is an entry.
    let referenced = |name: &str| {
        runnable.iter().any(|&(r, _)| {
            objects[r]
                .spec
                .get("workflowTemplateRef")
                .and_then(|x| x.get("name"))
                .and_then(Node::scalar)
                .is_some_and(|n| n == name)
        })
    };
    let mut libraries = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        if o.spec.get("entrypoint").is_some()
            || o.spec.get("workflowTemplateRef").is_some()
            || referenced(&o.name)
        {
            continue;
        }
        for t in o.spec.get("templates").map(Node::items).unwrap_or_default() {
            if let Some(n) = t.get("name").and_then(Node::scalar) {
                libraries.push((i, Some(n)));
            }
        }
    }
    runnable.extend(libraries);
    let multi = runnable.len() > 1;
    for (i, chosen) in runnable {
        let obj = &objects[i];
        b.file(files[obj.file].name);
        let meta = obj.doc.get("metadata").unwrap_or(&NULL);
        // The object whose templates run: itself, or the template it refers to.
        let mut target = i;
        let mut spec = obj.spec;
        if let Some(r) = obj.spec.get("workflowTemplateRef") {
            let wanted = r.get("name").and_then(Node::scalar).unwrap_or_default();
            match objects
                .iter()
                .position(|o| o.name == wanted && o.kind != "Workflow")
            {
                Some(t) => {
                    target = t;
                    spec = objects[t].spec;
                }
                None => {
                    b.unsupported(
                        r.loc,
                        "spec.workflowTemplateRef",
                        format!("workflowTemplateRef `{wanted}` is not in the given files; what it runs is not checked"),
                    );
                    continue;
                }
            }
        }
        let mut contexts = Vec::new();
        for s in [obj.spec, spec] {
            if let Some(sa) = s
                .get("serviceAccountName")
                .or_else(|| s.get("serviceAccount"))
                .and_then(Node::scalar)
            {
                contexts.push(format!("argo/service-account/{sa}"));
            }
        }
        if let Some(ns) = meta.get("namespace").and_then(Node::scalar) {
            contexts.push(format!("argo/namespace/{ns}"));
        }
        for s in [obj.spec, spec] {
            for e in s.get("nodeSelector").map(Node::entries).unwrap_or_default() {
                contexts.push(format!(
                    "argo/node-selector/{}={}",
                    e.key,
                    e.value.scalar().unwrap_or_default()
                ));
            }
        }
        for e in meta.get("labels").map(Node::entries).unwrap_or_default() {
            contexts.push(format!(
                "argo/label/{}={}",
                e.key,
                e.value.scalar().unwrap_or_default()
            ));
        }
        contexts.push(format!("argo/kind/{}", obj.kind));
        // A Sensor's workflow that checks out a revision the event names, from a forge's
        // hook, builds the change under review: unreviewed code, as a patchset is.
        if let Some((tainted, from)) = &obj.event
            && from.outside
            && from.forge
            && checks_out_event_revision(spec, tainted)
        {
            contexts.insert(0, format!("{} (change under review)", from.context));
        }
        let mut volumes = BTreeMap::new();
        let mut claims = Vec::new();
        for s in [obj.spec, spec] {
            for v in s.get("volumes").map(Node::items).unwrap_or_default() {
                let Some(n) = v.get("name").and_then(Node::scalar) else {
                    continue;
                };
                match v
                    .get("secret")
                    .and_then(|x| x.get("secretName"))
                    .and_then(Node::scalar)
                {
                    Some(secret) => {
                        volumes.insert(n, secret);
                    }
                    None => claims.push(n),
                }
            }
            for c in s
                .get("volumeClaimTemplates")
                .map(Node::items)
                .unwrap_or_default()
            {
                if let Some(n) = c
                    .get("metadata")
                    .and_then(|m| m.get("name"))
                    .and_then(Node::scalar)
                {
                    claims.push(n);
                }
            }
        }
        let mut ex = Expander {
            b: &mut *b,
            files,
            objects: &objects,
            prefix: match (&chosen, multi) {
                (Some(_), _) => format!("{}: ", obj.name),
                (None, true) => format!("{}: ", obj.name),
                (None, false) => String::new(),
            },
            contexts,
            volumes,
            claims,
            budget: EXPANSION_BUDGET,
            injected: obj
                .event
                .as_ref()
                .filter(|(_, from)| from.outside)
                .map(|(tainted, _)| injected_templates(spec, tainted))
                .unwrap_or_default(),
            event_file: files[objects[target].file].name.to_owned(),
            event_from: obj
                .event
                .as_ref()
                .map(|(_, s)| s.described.join(", "))
                .unwrap_or_default(),
            event_used: false,
        };
        let entry = match &chosen {
            Some(t) => t.clone(),
            None => obj
                .spec
                .get("entrypoint")
                .or_else(|| spec.get("entrypoint"))
                .and_then(Node::scalar)
                .unwrap_or_default(),
        };
        let loc = obj.doc.entry("spec").and_then(|e| e.key_loc);
        let ends = match ex.template(target, &entry) {
            Some((o, t)) => ex.expand(o, t, &entry, &[], &[], loc, &mut Vec::new()),
            None => {
                ex.b.unsupported(
                    loc,
                    "spec.entrypoint",
                    format!(
                        "entrypoint `{entry}` is not a template of the workflow; nothing is checked"
                    ),
                );
                Vec::new()
            }
        };
        let exit = obj
            .spec
            .get("onExit")
            .or_else(|| spec.get("onExit"))
            .and_then(Node::scalar);
        if let Some(exit) = exit
            && let Some((o, t)) = ex.template(target, &exit)
        {
            let name = format!("onExit {exit}");
            ex.expand(o, t, &name, &ends, &[], loc, &mut Vec::new());
        }
        if ex.event_used {
            // Assumed: whoever can send the event (a webhook, a GitHub or GitLab hook on a
            // public project) is an outsider, since the EventSource is not read.
            let (sources, context) = obj
                .event
                .as_ref()
                .map(|(_, s)| (s.described.join(", "), s.context.clone()))
                .unwrap_or_default();
            let p = ex.prefix.clone();
            ex.b.job(&format!("{p}event from {sources}"))
                .at(obj.doc.loc)
                .context(&context)
                .runs_repo_code(false)
                .produce(ResourceKind::Artifact, &format!("{p}{EVENT_DATA}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `buildctl` publishes an image output marked `push=true`, not one without it.
    #[test]
    fn buildctl_image_output_with_push_publishes() -> Result<(), Box<dyn std::error::Error>> {
        let doc = |output: &str| {
            format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {{name: b}}\nspec:\n  entrypoint: image\n  templates:\n    - name: image\n      container:\n        image: moby/buildkit\n        command: [buildctl-daemonless.sh]\n        args: [build, --output, '{output}']\n"
            )
        };
        for (output, expected) in [
            ("type=image,name=docker.io/x/y,push=true", true),
            ("type=image,name=docker.io/x/y", false),
        ] {
            let text = doc(output);
            let file = SourceFile {
                name: "b.yaml",
                text: &text,
            };
            let p = crate::Pipeline::import(&[file], Some(crate::PipelineFormat::Argo))?;
            assert_eq!(p.jobs().any(|j| j.publishes), expected, "{output}");
        }
        Ok(())
    }

    #[test]
    fn exponential_nesting_stops_at_the_budget_and_says_so()
    -> Result<(), Box<dyn std::error::Error>> {
        let mut y = String::from(
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: bomb}\nspec:\n  entrypoint: t0\n  templates:\n",
        );
        for i in 0..30 {
            y.push_str(&format!(
                "    - name: t{i}\n      dag:\n        tasks:\n          - {{name: a, template: t{n}}}\n          - {{name: b, template: t{n}}}\n",
                n = i + 1
            ));
        }
        y.push_str("    - name: t30\n      container: {image: busybox}\n");
        let file = SourceFile {
            name: "bomb.yaml",
            text: &y,
        };
        let p = crate::Pipeline::import(&[file], Some(crate::PipelineFormat::Argo))?;
        assert!(p.len() < 2 * EXPANSION_BUDGET);
        assert!(
            p.unsupported()
                .iter()
                .any(|u| u.message.contains("unrolls into more than"))
        );
        Ok(())
    }

    #[test]
    fn a_run_field_of_the_wrong_shape_is_reported() -> Result<(), Box<dyn std::error::Error>> {
        let head = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n";
        let shape = |body: &str| -> Result<Vec<String>, Box<dyn std::error::Error>> {
            let text = format!("{head}{body}");
            let file = SourceFile {
                name: "wf.yaml",
                text: &text,
            };
            let p = crate::Pipeline::import(&[file], Some(crate::PipelineFormat::Argo))?;
            Ok(p.unsupported()
                .iter()
                .map(|u| u.message.clone())
                .filter(|m| m.contains("what it runs is not checked"))
                .collect())
        };
        assert_eq!(
            shape("    container: alpine\n")?,
            [
                "`container` of template `main` is a string, not a mapping; what it runs is not checked"
            ]
        );
        assert_eq!(
            shape("    steps: {a: b}\n")?,
            ["`steps` of template `main` is a mapping, not a list; what it runs is not checked"]
        );
        assert!(shape("    container: {image: alpine}\n")?.is_empty());
        assert!(shape("    steps: []\n")?.is_empty());
        Ok(())
    }

    #[test]
    fn depends_expressions_name_their_tasks() {
        assert_eq!(
            depends_names("A && (B.Succeeded || C.Failed) && !D.Skipped"),
            vec!["A", "B", "C", "D"]
        );
    }

    #[test]
    fn output_references_name_their_producers() {
        let mut out = Vec::new();
        output_refs(
            "{{tasks.generate.outputs.artifacts.hello}} {{steps.flip.outputs.result}} {{tasks.x.id}}",
            &mut out,
        );
        assert_eq!(out, vec!["generate", "flip"]);
    }
}
