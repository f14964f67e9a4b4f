//! Zuul v3 configuration (`zuul.yaml`, `zuul.d/*.yaml`, `.zuul.yaml`).
//!
//! Every project (and every project-template no given project uses) is expanded per pipeline:
//! a job instance is named `<project> <pipeline>: <job>`, carries the context `zuul/<pipeline>`,
//! and inherits secrets along its `parent` chain. When the pipeline's own definition is among
//! the files, its trigger (patchset uploaded, change approved, merged, tag, timer) decides the
//! job's trigger; otherwise the pipeline's usual meaning (check, gate, post, promote, release,
//! periodic) does, and the policy can map any name. `dependencies` order jobs and carry what
//! `zuul_return` passes; `provides`/`requires` carry artifacts between runs.

use std::collections::{BTreeMap, BTreeSet};

use super::tree::{NULL, Node, V};
use super::{ImportError, SourceFile, documents, shape_error};
use crate::pipeline::{PipelineBuilder, ResourceKind, Trigger};
use crate::source::Location;

/// Configuration objects that are modelled.
const MODELLED: [&str; 5] = ["job", "project", "project-template", "pipeline", "secret"];

/// Whether `key` names a Zuul configuration object: what format detection looks for.
pub(crate) fn is_object_kind(key: &str) -> bool {
    MODELLED.contains(&key) || IRRELEVANT.contains(&key)
}

/// Configuration objects that say nothing about trust flow.
const IRRELEVANT: [&str; 14] = [
    "nodeset",
    "semaphore",
    "queue",
    "pragma",
    "tenant",
    "provider",
    "image",
    "flavor",
    "label",
    "section",
    "authorization-rule",
    "admin-rule",
    "global-semaphore",
    "api-root",
];

const JOB_KEYS: [&str; 52] = [
    "name",
    "parent",
    "description",
    "abstract",
    "final",
    "protected",
    "intermediate",
    "success-message",
    "failure-message",
    "success-url",
    "failure-url",
    "hold-following-changes",
    "voting",
    "semaphore",
    "semaphores",
    "tags",
    "provides",
    "requires",
    "secrets",
    "nodeset",
    "override-checkout",
    "override-branch",
    "timeout",
    "post-timeout",
    "attempts",
    "pre-run",
    "run",
    "post-run",
    "cleanup-run",
    "roles",
    "required-projects",
    "vars",
    "extra-vars",
    "host-vars",
    "group-vars",
    "dependencies",
    "allowed-projects",
    "post-review",
    "branches",
    "files",
    "irrelevant-files",
    "match-on-config-updates",
    "workspace-scheme",
    "deduplicate",
    "image-build-name",
    "ansible-version",
    "ansible-split-streams",
    "variant-description",
    "include-vars",
    "failure-output",
    "workspace-checkout",
    "attribute-name",
];

const PROJECT_KEYS: [&str; 8] = [
    "name",
    "templates",
    "description",
    "default-branch",
    "merge-mode",
    "queue",
    "vars",
    "branch",
];

/// The trigger a pipeline definition's `trigger`/`manager`/`post-review` stand for.
fn pipeline_trigger(p: &Node) -> Option<Trigger> {
    let trigger = p.get("trigger")?;
    let mut found: Vec<Trigger> = Vec::new();
    for (source, events) in trigger.entries().iter().map(|e| (&e.key, &e.value)) {
        if source == "timer" {
            found.push(Trigger::Schedule);
            continue;
        }
        for ev in events.items() {
            let event = ev.get("event").map(Node::strings).unwrap_or_default();
            let refs = ev.get("ref").map(Node::strings).unwrap_or_default();
            let tag = refs.iter().any(|r| r.contains("refs/tags"));
            let approved = ev.get("approval").is_some()
                || ev.get("require-approval").is_some()
                || ev.get("label").is_some()
                || ev.get("state").is_some();
            for e in event {
                let t = match e.as_str() {
                    "ref-updated" | "push" if tag => Trigger::Tag,
                    "ref-updated" | "push" | "change-merged" => Trigger::Merged,
                    "tag" | "create" | "release" => Trigger::Tag,
                    "comment-added" | "pull_request_review" | "pull_request" if approved => {
                        Trigger::Approved
                    }
                    "patchset-created" | "change-restored" | "comment-added" | "pull_request"
                    | "draft-published" | "wip-state-changed" | "merge_request"
                    | "hashtags-changed" | "topic-changed" => Trigger::Patchset,
                    _ => continue,
                };
                found.push(t);
            }
        }
    }
    if p.get("manager").and_then(Node::as_str) == Some("dependent")
        && found
            .iter()
            .all(|t| *t == Trigger::Approved || *t == Trigger::Patchset)
        && !found.is_empty()
    {
        return Some(Trigger::Approved);
    }
    // Several kinds of event: the least reviewed one decides (fail closed).
    found.into_iter().min()
}

struct JobDef {
    node: Node,
}

/// A job reference inside a project pipeline.
struct JobRef {
    name: String,
    loc: Option<Location>,
    deps: Vec<(String, bool)>,
    node: Node,
}

fn job_refs(pipeline: &Node) -> Vec<JobRef> {
    let mut out = Vec::new();
    for item in pipeline.get("jobs").map(Node::items).unwrap_or_default() {
        match &item.v {
            V::Str(s) => out.push(JobRef {
                name: s.clone(),
                loc: item.loc,
                deps: Vec::new(),
                node: NULL.clone(),
            }),
            V::Map(entries) => {
                for e in entries {
                    let deps = e
                        .value
                        .get("dependencies")
                        .map(dependencies)
                        .unwrap_or_default();
                    out.push(JobRef {
                        name: e.key.clone(),
                        loc: e.key_loc,
                        deps,
                        node: e.value.clone(),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// `dependencies`: names, or `{name, soft}`.
fn dependencies(node: &Node) -> Vec<(String, bool)> {
    let items: Vec<&Node> = match &node.v {
        V::Seq(items) => items.iter().collect(),
        _ => vec![node],
    };
    items
        .into_iter()
        .filter_map(|d| match &d.v {
            V::Str(s) => Some((s.clone(), false)),
            V::Map(_) => d
                .get("name")
                .and_then(Node::scalar)
                .map(|n| (n, d.get("soft").and_then(Node::as_bool).unwrap_or(false))),
            _ => None,
        })
        .collect()
}

fn secret_names(node: &Node) -> Vec<String> {
    let items: Vec<&Node> = match &node.v {
        V::Seq(items) => items.iter().collect(),
        V::Null => Vec::new(),
        _ => vec![node],
    };
    items
        .into_iter()
        .filter_map(|s| match &s.v {
            V::Str(n) => Some(n.clone()),
            V::Map(_) => s
                .get("secret")
                .or_else(|| s.get("name"))
                .and_then(Node::scalar),
            _ => None,
        })
        .collect()
}

fn looks_like(name: &str, words: &[&str]) -> bool {
    let n = name.to_ascii_lowercase();
    words.iter().any(|w| n.contains(w))
}

/// Words in a playbook or role name that say it uploads what was built.
const PUBLISHING: [&str; 6] = ["upload", "publish", "promote", "push", "release", "twine"];

/// Whether a job definition runs a playbook or role that publishes (`run`, `pre-run`,
/// `post-run`, `roles`): the evidence of what the job does, not of what it is called.
fn runs_publishing(def: &Node) -> bool {
    fn names(n: &Node) -> Vec<String> {
        let mut out = n.strings();
        for i in n.items() {
            if let Some(s) = i.get("name").and_then(Node::scalar) {
                out.push(s);
            }
        }
        if let Some(s) = n.get("name").and_then(Node::scalar) {
            out.push(s);
        }
        out
    }
    ["run", "pre-run", "post-run"].iter().any(|k| {
        def.get(k)
            .map(names)
            .unwrap_or_default()
            .iter()
            .any(|p| looks_like(p, &PUBLISHING))
    })
}

/// A secret whose name says it is for a package index or an image registry.
fn publishing_secret(name: &str) -> bool {
    looks_like(
        name,
        &[
            "pypi", "registry", "docker", "quay", "npm", "twine", "upload", "publish",
        ],
    )
}

pub(crate) fn import(b: &mut PipelineBuilder, files: &[SourceFile<'_>]) -> Result<(), ImportError> {
    let mut errors = Vec::new();
    let mut items: Vec<(usize, Node)> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        match documents(f) {
            Ok(docs) => {
                for d in docs {
                    match &d.v {
                        V::Seq(list) => items.extend(list.iter().cloned().map(|n| (i, n))),
                        V::Null => {}
                        _ => errors.extend(
                            shape_error(
                                f.name,
                                if super::zuul_v2_layout(&d) {
                                    super::ZUUL_V2.to_owned()
                                } else {
                                    format!("a Zuul configuration file is a list, not {}", d.kind())
                                },
                                d.loc,
                            )
                            .into_files(),
                        ),
                    }
                }
            }
            Err(e) => errors.extend(e.into_files()),
        }
    }
    if let Some(e) = ImportError::from_files(errors) {
        return Err(e);
    }

    let mut jobs: BTreeMap<String, Vec<JobDef>> = BTreeMap::new();
    let mut pipelines: BTreeMap<String, Option<Trigger>> = BTreeMap::new();
    let mut projects: Vec<(usize, &Node, Option<Location>)> = Vec::new();
    let mut templates: BTreeMap<String, (usize, &Node, Option<Location>)> = BTreeMap::new();
    for (file, item) in &items {
        b.file(files[*file].name);
        let Some(entry) = item.entries().first() else {
            b.unsupported(
                item.loc,
                "(item)",
                "a configuration item that is not a mapping is ignored by Zuul and by lockkeeper",
            );
            continue;
        };
        let (kind, body) = (entry.key.as_str(), &entry.value);
        if item.entries().len() > 1 {
            b.unsupported(
                item.loc,
                kind,
                "a configuration item with more than one key: only the first is read",
            );
        }
        match kind {
            "job" => {
                let Some(name) = body.get("name").and_then(Node::scalar) else {
                    b.unsupported(entry.key_loc, "job", "a job without a name cannot be referred to");
                    continue;
                };
                for e in body.entries() {
                    if !JOB_KEYS.contains(&e.key.as_str()) {
                        b.unsupported(
                            e.key_loc,
                            format!("job {name}.{}", e.key),
                            format!("`{}` is not a job attribute lockkeeper knows; what it does is not checked", e.key),
                        );
                    }
                }
                jobs.entry(name).or_default().push(JobDef { node: body.clone() });
            }
            "pipeline" => {
                if let Some(name) = body.get("name").and_then(Node::scalar) {
                    pipelines.insert(name, pipeline_trigger(body));
                }
            }
            "project" => projects.push((*file, body, entry.key_loc)),
            "project-template" => {
                if let Some(name) = body.get("name").and_then(Node::scalar) {
                    templates.insert(name, (*file, body, entry.key_loc));
                }
            }
            "secret" => {}
            k if IRRELEVANT.contains(&k) => {}
            other => b.unsupported(
                entry.key_loc,
                other,
                format!("`{other}` is not a Zuul configuration object lockkeeper knows; it is not checked"),
            ),
        }
    }

    // Templates no given project uses are checked on their own.
    let used: BTreeSet<String> = projects
        .iter()
        .flat_map(|(_, p, _)| p.get("templates").map(Node::strings).unwrap_or_default())
        .collect();
    let mut units: Vec<(String, usize, &Node, Vec<&Node>)> = Vec::new();
    for (file, p, loc) in &projects {
        let name = p
            .get("name")
            .and_then(Node::scalar)
            .unwrap_or_else(|| "(this project)".to_owned());
        let mut tpls = Vec::new();
        for t in p.get("templates").map(Node::strings).unwrap_or_default() {
            match templates.get(&t) {
                Some((_, node, _)) => tpls.push(*node),
                None => {
                    b.file(files[*file].name);
                    b.unsupported(
                        p.entry("templates").and_then(|e| e.key_loc).or(*loc),
                        format!("project {name}.templates"),
                        format!("project-template `{t}` is not in the given files; the jobs it adds are not checked"),
                    );
                }
            }
        }
        units.push((name, *file, *p, tpls));
    }
    for (t, (file, node, _)) in &templates {
        if !used.contains(t) {
            units.push((format!("template {t}"), *file, *node, Vec::new()));
        }
    }

    for (project, file, node, tpls) in units {
        b.file(files[file].name);
        // Pipeline name -> job references, from the project and its templates.
        let mut per_pipeline: BTreeMap<String, (Option<Location>, Vec<JobRef>)> = BTreeMap::new();
        for source in tpls.iter().copied().chain(std::iter::once(node)) {
            for e in source.entries() {
                if PROJECT_KEYS.contains(&e.key.as_str()) {
                    continue;
                }
                if !e.value.is_map() {
                    b.unsupported(
                        e.key_loc,
                        format!("project {project}.{}", e.key),
                        format!(
                            "`{}` is neither a project attribute nor a pipeline with jobs",
                            e.key
                        ),
                    );
                    continue;
                }
                let slot = per_pipeline
                    .entry(e.key.clone())
                    .or_insert_with(|| (e.key_loc, Vec::new()));
                for r in job_refs(&e.value) {
                    slot.1.retain(|x| x.name != r.name);
                    slot.1.push(r);
                }
            }
        }
        for (pipeline, (_, refs)) in &per_pipeline {
            let names: BTreeSet<&str> = refs.iter().map(|r| r.name.as_str()).collect();
            let instance = |job: &str| format!("{project} {pipeline}: {job}");
            for r in refs {
                let chain = ancestry(&jobs, &r.name);
                // `noop` is built into Zuul: it succeeds without a node, running nothing.
                let builtin_noop = chain.is_empty() && r.name == "noop";
                if chain.is_empty() && !builtin_noop {
                    b.unsupported(
                        r.loc,
                        format!("project {project}.{pipeline}.jobs"),
                        format!("job `{}` is not defined in the given files; what it runs and holds is not checked", r.name),
                    );
                }
                let mut secrets: Vec<String> = Vec::new();
                let mut deps = r.deps.clone();
                let mut provides = Vec::new();
                let mut requires = Vec::new();
                let mut post_review = false;
                for def in &chain {
                    for s in def
                        .node
                        .get("secrets")
                        .map(secret_names)
                        .unwrap_or_default()
                    {
                        if !secrets.contains(&s) {
                            secrets.push(s);
                        }
                    }
                    post_review |=
                        def.node.get("post-review").and_then(Node::as_bool) == Some(true);
                    provides.extend(
                        def.node
                            .get("provides")
                            .map(Node::strings)
                            .unwrap_or_default(),
                    );
                    requires.extend(
                        def.node
                            .get("requires")
                            .map(Node::strings)
                            .unwrap_or_default(),
                    );
                }
                if let Some(first) = chain.first()
                    && r.deps.is_empty()
                {
                    deps.extend(
                        first
                            .node
                            .get("dependencies")
                            .map(dependencies)
                            .unwrap_or_default(),
                    );
                }
                for s in r.node.get("secrets").map(secret_names).unwrap_or_default() {
                    if !secrets.contains(&s) {
                        secrets.push(s);
                    }
                }
                let lineage: Vec<&str> = std::iter::once(r.name.as_str())
                    .chain(
                        chain
                            .iter()
                            .filter_map(|d| d.node.get("name").and_then(Node::as_str)),
                    )
                    .collect();
                let promotes = lineage.iter().any(|n| looks_like(n, &["promote"]));
                // What the job does (its playbooks, the secrets it is given) is evidence; its
                // name alone is a guess, reported as such.
                let does_publish = chain.iter().any(|d| runs_publishing(&d.node))
                    || secrets.iter().any(|s| publishing_secret(s));
                let named_publish = lineage
                    .iter()
                    .any(|n| looks_like(n, &["upload", "publish", "release"]));
                b.file(files[file].name);
                let mut jb = b
                    .job(&instance(&r.name))
                    .at(r.loc)
                    .context(&format!("zuul/{pipeline}"))
                    .publishes(promotes || does_publish)
                    .runs_repo_code(!promotes && !builtin_noop);
                if named_publish && !(promotes || does_publish) {
                    jb = jb.publishes_by_name();
                }
                if let Some(t) = pipelines.get(pipeline).copied().flatten() {
                    jb = jb.trigger(t);
                }
                if post_review {
                    // Zuul refuses to run a post-review job before review; lockkeeper checks
                    // where it is configured to run, so the finding shows the intent.
                    jb = jb.context("zuul/post-review job");
                }
                for s in &secrets {
                    jb = jb.secret(s);
                }
                for (d, soft) in &deps {
                    if names.contains(d.as_str()) {
                        jb = jb.need(&instance(d)).consume(
                            ResourceKind::Artifact,
                            &format!("zuul_return of {}", instance(d)),
                        );
                    } else if !soft {
                        // Zuul rejects this configuration; keep the edge so it is reported.
                        jb = jb.need(&instance(d));
                    }
                }
                jb = jb.produce(
                    ResourceKind::Artifact,
                    &format!("zuul_return of {}", instance(&r.name)),
                );
                for p in &provides {
                    jb = jb.produce(ResourceKind::Provided, p);
                }
                for q in &requires {
                    jb = jb.consume(ResourceKind::Provided, q);
                }
            }
        }
    }
    Ok(())
}

/// A job's definition and its ancestors' (first the job), following `parent` (default `base`).
fn ancestry<'a>(jobs: &'a BTreeMap<String, Vec<JobDef>>, name: &str) -> Vec<&'a JobDef> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut current = Some(name.to_owned());
    while let Some(n) = current {
        if !seen.insert(n.clone()) || seen.len() > 64 {
            break;
        }
        let Some(defs) = jobs.get(&n) else { break };
        let Some(def) = defs.first() else { break };
        out.extend(defs.iter());
        current = match def.node.get("parent") {
            Some(p) if p.is_null() => None,
            Some(p) => p.scalar(),
            None if n == "base" => None,
            None => Some("base".to_owned()),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::tree::parse;

    /// A job called `*-release` is a guess (low confidence, pedantic); a job whose playbook
    /// uploads is evidence (no such marks).
    #[test]
    fn publishing_by_name_is_a_guess_and_by_playbook_is_evidence() -> Result<(), String> {
        let text = "- job: {name: releasenotes-release, run: playbooks/notes.yaml}\n\
                    - job: {name: wheel, run: playbooks/upload-pypi.yaml}\n\
                    - project: {check: {jobs: [releasenotes-release, wheel]}}\n";
        let files = [crate::SourceFile {
            name: "zuul.yaml",
            text,
        }];
        let p = crate::Pipeline::import(&files, Some(crate::PipelineFormat::Zuul))
            .map_err(|e| e.to_string())?;
        let d = crate::Policy::builtin().check_pipeline(&p);
        let found: Vec<(String, &str)> = d
            .violations()
            .iter()
            .filter(|v| v.code == "pipeline/build-publishes")
            .map(|v| {
                (
                    v.facts["job"].as_str().unwrap_or_default().to_owned(),
                    v.confidence.as_str(),
                )
            })
            .collect();
        assert!(
            found
                .iter()
                .any(|(j, c)| j.contains("releasenotes") && *c == "low"),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(j, c)| j.contains("wheel") && *c != "low"),
            "{found:?}"
        );
        Ok(())
    }

    #[test]
    fn pipeline_definitions_say_what_triggers_them() -> Result<(), String> {
        let docs = parse(
            "- {name: check, manager: independent, trigger: {gerrit: [{event: patchset-created}, {event: comment-added, comment: recheck}]}}\n\
             - {name: gate, manager: dependent, trigger: {gerrit: [{event: comment-added, approval: [{Workflow: 1}]}]}}\n\
             - {name: post, manager: supercedent, trigger: {gerrit: [{event: ref-updated, ref: '^refs/heads/.*$'}]}}\n\
             - {name: tag, manager: independent, trigger: {gerrit: [{event: ref-updated, ref: '^refs/tags/.*$'}]}}\n\
             - {name: periodic, manager: independent, trigger: {timer: [{time: '0 2 * * *'}]}}\n",
        )
        .map_err(|e| e.0)?;
        let got: Vec<Option<Trigger>> = docs[0].items().iter().map(pipeline_trigger).collect();
        assert_eq!(
            got,
            vec![
                Some(Trigger::Patchset),
                Some(Trigger::Approved),
                Some(Trigger::Merged),
                Some(Trigger::Tag),
                Some(Trigger::Schedule)
            ]
        );
        Ok(())
    }
}
