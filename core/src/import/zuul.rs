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

use super::tree::{self, NULL, Node, V};
use super::{ImportError, SourceFile, documents, shape_error};
use crate::pipeline::{PipelineBuilder, ResourceKind, Trigger};
use crate::source::Location;

mod jjb;
mod tenant;
mod v2;
use tenant::{Tenant, Trust};

/// Configuration objects that are modelled.
const MODELLED: [&str; 5] = ["job", "project", "project-template", "pipeline", "secret"];

/// Whether `key` names a Zuul configuration object: what format detection looks for.
pub(crate) fn is_object_kind(key: &str) -> bool {
    // Jenkins Job Builder files are read with a Zuul v2 layout, as part of its set.
    MODELLED.contains(&key) || IRRELEVANT.contains(&key) || jjb::is_jjb_only_kind(key)
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

/// One definition (variant) of a job, and the project it was read from.
struct JobDef {
    node: Node,
    /// The project of its file, when a tenant file says (else `None`).
    project: Option<String>,
    trust: Option<Trust>,
}

impl JobDef {
    fn secrets(&self) -> Vec<String> {
        self.node
            .get("secrets")
            .map(secret_names)
            .unwrap_or_default()
    }

    fn flag(&self, key: &str) -> Option<bool> {
        self.node.get(key).and_then(Node::as_bool)
    }

    /// `post-review`, explicit or implied: Zuul sets it on a job that uses a secret and is
    /// defined in an untrusted project, and once set nothing unsets it.
    fn post_review(&self) -> bool {
        self.flag("post-review") == Some(true)
            || (self.trust == Some(Trust::Untrusted) && !self.secrets().is_empty())
    }
}

/// A pipeline definition: what triggers it and whether post-review jobs may run in it.
#[derive(Clone, Copy)]
struct PipelineDef {
    trigger: Option<Trigger>,
    post_review: bool,
}

/// Why Zuul itself refuses to run a job instance, if it does.
fn refusal(
    chain: &[&JobDef],
    own: &[&JobDef],
    pipeline: Option<&PipelineDef>,
    pipeline_name: &str,
    project: Option<&str>,
    job: &str,
) -> Option<String> {
    if chain.iter().any(|d| d.post_review())
        && let Some(p) = pipeline
        && !p.post_review
    {
        return Some(format!(
            "Zuul refuses to run post-review job `{job}` (it uses a secret of an untrusted project, or says `post-review: true`) in `{pipeline_name}`, a pipeline without `post-review: true`: the job never runs there, and the change gets a configuration error"
        ));
    }
    let abstract_ = own
        .iter()
        .rev()
        .find_map(|d| d.flag("abstract"))
        .unwrap_or(false);
    if abstract_ {
        return Some(format!(
            "job `{job}` is abstract: Zuul refuses to run it directly (only its children run)"
        ));
    }
    if let Some(project) = project {
        for d in chain {
            if let Some(allowed) = d.node.get("allowed-projects") {
                let allowed = allowed.strings();
                if !allowed.iter().any(|a| Tenant::same_project(project, a)) {
                    return Some(format!(
                        "job `{job}` allows only the projects {allowed:?} (`allowed-projects` of `{}`): Zuul refuses to run it for `{project}`",
                        d.node.get("name").and_then(Node::as_str).unwrap_or(job)
                    ));
                }
            }
        }
    }
    // A protected job may only be inherited by jobs of its own project.
    for (i, d) in chain.iter().enumerate() {
        if d.flag("protected") == Some(true)
            && let Some(owner) = &d.project
            && let Some(child) = chain[..i]
                .iter()
                .find(|c| c.project.as_ref().is_some_and(|p| p != owner))
        {
            return Some(format!(
                "job `{}` is protected: Zuul refuses `{}` of `{}` inheriting from it outside `{owner}`",
                d.node.get("name").and_then(Node::as_str).unwrap_or("?"),
                child.node.get("name").and_then(Node::as_str).unwrap_or(job),
                child.project.as_deref().unwrap_or("?")
            ));
        }
    }
    None
}

/// The directory part of a file name, with `/` separators (`.` for none).
fn dir_of(name: &str) -> String {
    let n = name.replace('\\', "/");
    match n.rfind('/') {
        Some(i) => n[..i].to_owned(),
        None => ".".to_owned(),
    }
}

/// The files JJB text files include, by path as written, for a reader that looks for them
/// beside the file (`lockkeeper_fs`). Empty for a text that is not JJB or not YAML.
pub fn jjb_include_paths(text: &str) -> Vec<String> {
    if !text.contains("!include") {
        return Vec::new();
    }
    tree::parse(text)
        .map(|docs| jjb::include_paths(&docs))
        .unwrap_or_default()
}

/// Which of the given files a JJB file among them includes (matched as `Includes::find` does).
pub(crate) fn jjb_include_targets(files: &[SourceFile<'_>]) -> Vec<bool> {
    let mut wanted: Vec<(String, String)> = Vec::new();
    for f in files {
        for p in jjb_include_paths(f.text) {
            wanted.push((dir_of(f.name), p));
        }
    }
    files
        .iter()
        .map(|f| {
            let name = f.name.replace('\\', "/");
            wanted.iter().any(|(d, p)| {
                let p = p.trim().trim_start_matches("./");
                name == jjb::join(d, p) || name == p || name.ends_with(&format!("/{p}"))
            })
        })
        .collect()
}

pub(crate) fn import(b: &mut PipelineBuilder, files: &[SourceFile<'_>]) -> Result<(), ImportError> {
    let mut errors = Vec::new();
    let mut items: Vec<(usize, Node)> = Vec::new();
    // Files a JJB file takes text from (`!include-raw: build.sh`) are not configuration: they
    // are read as the text they insert, never parsed as Zuul objects.
    let raw = jjb_include_targets(files);
    let mut parsed: Vec<(usize, Vec<Node>)> = Vec::new();
    let mut included: Vec<(usize, Option<Node>)> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        if raw.get(i).copied().unwrap_or(false) {
            let yaml = tree::parse(f.text)
                .ok()
                .and_then(|d| d.into_iter().find(|d| !d.is_null()))
                .map(|mut d| {
                    tree::apply_tagged_merges(&mut d);
                    d
                });
            included.push((i, yaml));
            continue;
        }
        match documents(f) {
            Ok(mut docs) => {
                // Zuul v2 layouts and JJB files write merge keys as `!!merge : *anchor` too.
                docs.iter_mut().for_each(tree::apply_tagged_merges);
                parsed.push((i, docs));
            }
            Err(e) => errors.extend(e.into_files()),
        }
    }
    // A v2 layout runs Jenkins jobs, but a Zuul v3 file may come in the same run: each item
    // goes by what it is (its kind, or the keys of a `job`/`project`); an item that could be
    // either follows the rest of its file, then the layout's presence.
    let has_v2 = parsed
        .iter()
        .any(|(_, docs)| docs.iter().any(super::zuul_v2_layout));
    let mut layouts: Vec<(usize, Node)> = Vec::new();
    let mut jjb_items: Vec<(usize, Node)> = Vec::new();
    for (i, docs) in parsed {
        let f = &files[i];
        let sides: Vec<jjb::Side> = docs
            .iter()
            .flat_map(|d| d.items().iter().filter_map(jjb::item_side))
            .collect();
        let jjb_n = sides.iter().filter(|s| **s == jjb::Side::Jjb).count();
        let v3_n = sides.len() - jjb_n;
        let file_side = match jjb_n.cmp(&v3_n) {
            std::cmp::Ordering::Greater => jjb::Side::Jjb,
            std::cmp::Ordering::Equal if has_v2 => jjb::Side::Jjb,
            _ => jjb::Side::V3,
        };
        for d in docs {
            match &d.v {
                V::Seq(list) => {
                    for n in list {
                        match jjb::item_side(n).unwrap_or(file_side) {
                            jjb::Side::Jjb => jjb_items.push((i, n.clone())),
                            jjb::Side::V3 => items.push((i, n.clone())),
                        }
                    }
                }
                V::Null => {}
                _ if super::zuul_v2_layout(&d) => layouts.push((i, d)),
                _ => errors.extend(
                    shape_error(
                        f.name,
                        format!("a Zuul configuration file is a list, not {}", d.kind()),
                        d.loc,
                    )
                    .into_files(),
                ),
            }
        }
    }
    if !jjb_items.is_empty() || !layouts.is_empty() {
        let mut dirs: Vec<String> = Vec::new();
        for (i, _) in &jjb_items {
            let d = dir_of(files[*i].name);
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
        let includes = jjb::Includes {
            files: included
                .iter()
                .map(|(i, yaml)| jjb::IncludeFile {
                    name: files[*i].name.replace('\\', "/"),
                    text: files[*i].text,
                    yaml: yaml.as_ref(),
                })
                .collect(),
            dirs,
        };
        let mut j = jjb::Jjb::read(jjb_items.iter().map(|(i, n)| (*i, n)), includes);
        let specs = j.resolve();
        if layouts.is_empty() {
            for (i, _) in &jjb_items {
                b.file(files[*i].name);
            }
            b.unsupported(
                None,
                "(file)",
                "Jenkins Job Builder files are read with the Zuul v2 layout.yaml whose pipelines run their jobs; give it too",
            );
        }
        let mut seen = BTreeSet::new();
        for (i, _) in &jjb_items {
            if seen.insert(*i) {
                b.file(files[*i].name);
            }
        }
        for (i, _) in &included {
            b.file(files[*i].name);
        }
        for (i, loc, path, why) in &j.unread {
            b.file(files[*i].name);
            b.unsupported(*loc, path.clone(), why.clone());
        }
        let given = !jjb_items.is_empty();
        for (i, d) in &layouts {
            v2::import(b, files[*i].name, d, given.then_some(&specs));
        }
    } else if let Some((i, _)) = included.first() {
        b.file(files[*i].name);
    }
    if let Some(e) = ImportError::from_files(errors) {
        return Err(e);
    }

    // The tenant view first: it decides what every other object may do.
    let mut tenant = Tenant::default();
    for (_, item) in &items {
        if let Some(body) = item.get("tenant") {
            tenant.read(body);
        }
    }
    let owner: Vec<Option<(String, Option<Trust>)>> = files
        .iter()
        .map(|f| {
            tenant.project_of(f.name).map(|p| {
                let trust = tenant.projects.get(p).and_then(|t| t.trust());
                (p.to_owned(), trust)
            })
        })
        .collect();
    let default_parent = tenant
        .default_parent
        .clone()
        .unwrap_or_else(|| "base".to_owned());

    let mut jobs: BTreeMap<String, Vec<JobDef>> = BTreeMap::new();
    let mut pipelines: BTreeMap<String, PipelineDef> = BTreeMap::new();
    // Project name -> its stanzas (Zuul merges every stanza of one project).
    let mut projects: BTreeMap<String, Vec<Stanza<'_>>> = BTreeMap::new();
    let mut templates: BTreeMap<String, (usize, &Node, Option<Location>)> = BTreeMap::new();
    let mut unowned: BTreeSet<usize> = BTreeSet::new();
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
        let (project, trust) = match &owner[*file] {
            Some((p, t)) => (Some(p.clone()), *t),
            None => (None, None),
        };
        if tenant.known() && kind != "tenant" && project.is_none() && unowned.insert(*file) {
            b.unsupported(
                None,
                "(file)",
                "the tenant file lists no project this file belongs to (lay the files out as <project name>/zuul.d/..., <project name>/zuul.yaml or <project name>/.zuul.yaml); which trust Zuul gives it is not known",
            );
        }
        if let Some(p) = project.as_deref().and_then(|p| tenant.projects.get(p))
            && !p.loads(kind)
            && kind != "tenant"
        {
            // The tenant tells Zuul not to load this kind of object from this project.
            continue;
        }
        match kind {
            "tenant" => {}
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
                if trust == Some(Trust::Untrusted)
                    && body.get("parent").is_some_and(Node::is_null)
                {
                    refused(
                        b,
                        files[*file].name,
                        entry.key_loc,
                        &name,
                        "a base job (`parent: null`) may only be defined in a config project; Zuul refuses this definition".to_owned(),
                    );
                    continue;
                }
                jobs.entry(name).or_default().push(JobDef {
                    node: body.clone(),
                    project,
                    trust,
                });
            }
            "pipeline" => {
                if let Some(name) = body.get("name").and_then(Node::scalar) {
                    if trust == Some(Trust::Untrusted) {
                        refused(
                            b,
                            files[*file].name,
                            entry.key_loc,
                            &name,
                            "pipelines may only be defined in a config project; Zuul refuses this definition".to_owned(),
                        );
                        continue;
                    }
                    pipelines.insert(
                        name,
                        PipelineDef {
                            trigger: pipeline_trigger(body),
                            post_review: body.get("post-review").and_then(Node::as_bool)
                                == Some(true),
                        },
                    );
                }
            }
            "project" => {
                let named = body.get("name").and_then(Node::scalar);
                if trust == Some(Trust::Untrusted)
                    && let (Some(n), Some(own)) = (&named, &project)
                    && !Tenant::same_project(own, n)
                {
                    refused(
                        b,
                        files[*file].name,
                        entry.key_loc,
                        n,
                        format!("an untrusted project (`{own}`) may only configure itself; Zuul refuses its stanza for `{n}`"),
                    );
                    continue;
                }
                let name = named
                    .or_else(|| project.clone())
                    .unwrap_or_else(|| "(this project)".to_owned());
                projects
                    .entry(name)
                    .or_default()
                    .push((*file, body, entry.key_loc));
            }
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
        .values()
        .flatten()
        .flat_map(|(_, p, _)| p.get("templates").map(Node::strings).unwrap_or_default())
        .collect();
    struct Unit<'n> {
        name: String,
        file: usize,
        /// Templates first, then every stanza of the project, in the order read.
        sources: Vec<&'n Node>,
        /// The project's name when it is a real project of a known tenant.
        project: Option<String>,
    }
    let mut units: Vec<Unit<'_>> = Vec::new();
    for (name, stanzas) in &projects {
        let mut sources = Vec::new();
        for (file, p, loc) in stanzas {
            for t in p.get("templates").map(Node::strings).unwrap_or_default() {
                match templates.get(&t) {
                    Some((_, node, _)) => sources.push(*node),
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
        }
        sources.extend(stanzas.iter().map(|(_, p, _)| *p));
        let known = tenant
            .projects
            .keys()
            .find(|p| Tenant::same_project(p, name))
            .cloned();
        units.push(Unit {
            name: name.clone(),
            file: stanzas.first().map_or(0, |s| s.0),
            sources,
            project: known,
        });
    }
    for (t, (file, node, _)) in &templates {
        if !used.contains(t) {
            units.push(Unit {
                name: format!("template {t}"),
                file: *file,
                sources: vec![*node],
                project: None,
            });
        }
    }

    for unit in units {
        let project = unit.name.as_str();
        b.file(files[unit.file].name);
        let project_trust = unit
            .project
            .as_deref()
            .and_then(|p| tenant.projects.get(p))
            .and_then(|t| t.trust());
        // Pipeline name -> job references, from the templates and the project's stanzas.
        let mut per_pipeline: BTreeMap<String, (Option<Location>, Vec<JobRef>)> = BTreeMap::new();
        for source in &unit.sources {
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
                let (chain, unknown_parents) = freeze(&jobs, &r.name, &default_parent);
                let own: Vec<&JobDef> = jobs
                    .get(&r.name)
                    .map(|v| v.iter().collect())
                    .unwrap_or_default();
                // `noop` is built into Zuul: it succeeds without a node, running nothing.
                let builtin_noop = chain.is_empty() && r.name == "noop";
                if chain.is_empty() && !builtin_noop {
                    b.file(files[unit.file].name);
                    b.unsupported(
                        r.loc,
                        format!("project {project}.{pipeline}.jobs"),
                        format!("job `{}` is not defined in the given files; what it runs and holds is not checked", r.name),
                    );
                }
                if let Some(why) = refusal(
                    &chain,
                    &own,
                    pipelines.get(pipeline),
                    pipeline,
                    unit.project.as_deref(),
                    &r.name,
                ) {
                    refused(b, files[unit.file].name, r.loc, &instance(&r.name), why);
                    continue;
                }
                let mut secrets: Vec<String> = Vec::new();
                let mut deps = r.deps.clone();
                let mut provides = Vec::new();
                let mut requires = Vec::new();
                let mut post_review = false;
                for def in &chain {
                    for s in def.secrets() {
                        if !secrets.contains(&s) {
                            secrets.push(s);
                        }
                    }
                    post_review |= def.post_review();
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
                if r.deps.is_empty() {
                    // The last variant that says `dependencies` decides.
                    if let Some(d) = own.iter().rev().find_map(|d| d.node.get("dependencies")) {
                        deps.extend(dependencies(d));
                    }
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
                // The job is reported where the project lists it.
                b.file(files[unit.file].name);
                let mut jb = b
                    .job(&instance(&r.name))
                    .at(r.loc)
                    .context(&format!("zuul/{pipeline}"))
                    .publishes(promotes || does_publish)
                    .runs_repo_code(!promotes && !builtin_noop);
                if let Some(t) = project_trust {
                    jb = jb.context(t.context());
                }
                if named_publish && !(promotes || does_publish) {
                    jb = jb.publishes_by_name();
                }
                if let Some(t) = pipelines.get(pipeline).and_then(|p| p.trigger) {
                    jb = jb.trigger(t);
                }
                if !unknown_parents.is_empty() {
                    let assumed: Vec<String> = unknown_parents
                        .iter()
                        .map(|p| format!("parent job `{p}` is not in the given files: taken to add no restriction (post-review, protected, branches), secret or upload of its own"))
                        .collect();
                    jb = jb
                        .note("assumptions", serde_json::json!(assumed))
                        .note("confidence", serde_json::json!("medium"));
                }
                if post_review {
                    // Zuul refuses a post-review job in a pre-review pipeline; where the
                    // pipeline's definition was not given, the finding shows the intent.
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

/// A `project` stanza: its file, its body and where it starts.
type Stanza<'n> = (usize, &'n Node, Option<Location>);

/// Records that Zuul refuses a configuration object (so it never runs): a note for auditors,
/// not a flaw.
fn refused(b: &mut PipelineBuilder, file: &str, loc: Option<Location>, what: &str, why: String) {
    let mut facts = crate::decision::Facts::new();
    facts.insert("file".into(), serde_json::json!(file));
    if let Some(l) = loc {
        facts.insert("line".into(), serde_json::json!(l.line));
    }
    facts.insert("job".into(), serde_json::json!(what));
    b.finding(crate::decision::Violation::new(
        crate::rule::codes::PIPELINE_REFUSED_BY_PLATFORM,
        why,
        facts,
    ));
}

/// Every variant of a job and of its ancestors, the job's own first, as Zuul freezes a job:
/// each variant that may match (branch matchers are not decided: the change's branch is not
/// known, so every variant may apply) brings its `parent`'s variants, the first variant
/// without `parent` the tenant's default parent. Attributes that combine (secrets,
/// `post-review`, `provides`/`requires`) are taken from all of them.
///
/// Also returned: the parents a variant names that the given files do not define. Zuul gives a
/// parent's secrets to the parent's own playbooks only, so the job is still checked on what it
/// brings itself; what such a parent adds (post-review, protected, its own secrets and
/// uploads) is unknown, and the job's findings say they rest on it adding nothing. The tenant's
/// implicit default parent is not listed: it is the base job of a config project, which every
/// job has and no repository file defines.
fn freeze<'a>(
    jobs: &'a BTreeMap<String, Vec<JobDef>>,
    name: &str,
    default_parent: &str,
) -> (Vec<&'a JobDef>, Vec<String>) {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue = std::collections::VecDeque::from([(name.to_owned(), false)]);
    while let Some((n, named)) = queue.pop_front() {
        if !seen.insert(n.clone()) || seen.len() > 256 {
            continue;
        }
        let Some(defs) = jobs.get(&n) else {
            if named {
                missing.push(n);
            }
            continue;
        };
        for (i, def) in defs.iter().enumerate() {
            out.push(def);
            let parent = match def.node.get("parent") {
                Some(p) if p.is_null() => None,
                Some(p) => p.scalar().map(|p| (p, true)),
                None if i == 0 && n != default_parent && n != "base" => {
                    Some((default_parent.to_owned(), false))
                }
                None => None,
            };
            if let Some(p) = parent {
                queue.push_back(p);
            }
        }
    }
    (out, missing)
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

    fn check(files: &[(&str, &str)]) -> Result<crate::Decision, String> {
        let files: Vec<crate::SourceFile<'_>> = files
            .iter()
            .map(|(name, text)| crate::SourceFile { name, text })
            .collect();
        let p = crate::Pipeline::import(&files, Some(crate::PipelineFormat::Zuul))
            .map_err(|e| e.to_string())?;
        Ok(crate::Policy::builtin().check_pipeline(&p))
    }

    fn codes(d: &crate::Decision) -> Vec<String> {
        d.violations().iter().map(|v| v.code.to_string()).collect()
    }

    const TENANT: &str = "- tenant:\n    name: t\n    source:\n      gerrit:\n        config-projects: [opendev/project-config]\n        untrusted-projects: [org/app]\n";
    const PIPELINES: &str = "- pipeline: {name: check, manager: independent, trigger: {gerrit: [{event: patchset-created}]}}\n\
        - pipeline: {name: gate, manager: dependent, post-review: true, trigger: {gerrit: [{event: comment-added, approval: [{Workflow: 1}]}]}}\n\
        - job: {name: base, parent: null}\n";

    /// Two definitions of one job are variants, not duplicates: the second's secret and its
    /// parent's secret both reach the job (the change's branch is unknown, so both may match).
    #[test]
    fn job_variants_merge_and_bring_their_parents() -> Result<(), String> {
        let text = "- job: {name: base, parent: null}\n\
                    - job: {name: creds, secrets: [cloud]}\n\
                    - job: {name: e2e, run: playbooks/e2e.yaml}\n\
                    - job: {name: e2e, branches: stable/.*, parent: creds}\n\
                    - project: {check: {jobs: [e2e]}}\n\
                    - project: {periodic: {jobs: [e2e]}}\n";
        let d = check(&[("zuul.yaml", text)])?;
        assert!(!d.to_text().contains("more than once"), "{d}");
        assert!(d.has("pipeline/secret-not-allowed"), "{d}");
        let v = d
            .violations()
            .iter()
            .find(|v| v.code == "pipeline/secret-not-allowed")
            .ok_or("no secret finding")?;
        assert!(
            v.facts["job"]
                .as_str()
                .unwrap_or_default()
                .contains("check: e2e"),
            "{d}"
        );
        Ok(())
    }

    /// A parent named but not given is an assumption on the job's findings (lower confidence,
    /// said in words); a parent that is given, and the implicit base job, are not.
    #[test]
    fn a_parent_not_given_is_an_assumption_of_the_jobs_findings() -> Result<(), String> {
        let finding = |text: &str| -> Result<crate::decision::Violation, String> {
            let d = check(&[("zuul.yaml", text)])?;
            d.violations()
                .iter()
                .find(|v| v.code == "pipeline/secret-not-allowed")
                .cloned()
                .ok_or_else(|| format!("no secret finding:\n{d}"))
        };
        let unknown = finding(
            "- secret: {name: cloud, data: {token: x}}\n\
             - job: {name: e2e, parent: upstream-devstack, run: e.yaml, secrets: [cloud]}\n\
             - project: {check: {jobs: [e2e]}}\n",
        )?;
        assert_eq!(unknown.confidence, crate::rule::Confidence::Medium);
        assert!(
            unknown
                .assumptions
                .iter()
                .any(|a| a.contains("upstream-devstack")),
            "{unknown:?}"
        );
        let known = finding(
            "- secret: {name: cloud, data: {token: x}}\n\
             - job: {name: devstack, run: d.yaml}\n\
             - job: {name: e2e, parent: devstack, run: e.yaml, secrets: [cloud]}\n\
             - project: {check: {jobs: [e2e]}}\n",
        )?;
        assert_eq!(known.confidence, crate::rule::Confidence::High);
        assert!(known.assumptions.is_empty(), "{known:?}");
        Ok(())
    }

    /// With the tenant file, a job of an untrusted project that uses a secret is post-review:
    /// Zuul refuses it in `check` (no secret reaches unreviewed code) and runs it in `gate`.
    #[test]
    fn an_untrusted_projects_secret_job_is_refused_in_check() -> Result<(), String> {
        let app = "- secret: {name: registry, data: {password: x}}\n\
                   - job: {name: push-image, run: playbooks/build.yaml, secrets: [registry]}\n\
                   - project: {check: {jobs: [push-image]}, gate: {jobs: [push-image]}}\n";
        let d = check(&[
            ("main.yaml", TENANT),
            ("project-config/zuul.d/pipelines.yaml", PIPELINES),
            ("org/app/.zuul.yaml", app),
        ])?;
        let refused: Vec<&crate::decision::Violation> = d
            .violations()
            .iter()
            .filter(|v| v.code == "pipeline/refused-by-platform")
            .collect();
        assert_eq!(refused.len(), 1, "{d}");
        assert!(
            refused[0].facts["job"]
                .as_str()
                .unwrap_or_default()
                .contains("check: push-image")
        );
        // The gate instance runs, holding the secret in the approved zone.
        assert!(
            d.violations()
                .iter()
                .any(|v| v.code == "pipeline/secret-not-allowed"
                    && v.facts["job"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("gate: push-image")),
            "{d}"
        );
        assert!(
            !d.violations()
                .iter()
                .any(|v| v.code != "pipeline/refused-by-platform"
                    && v.facts["job"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("check:")),
            "{d}"
        );
        Ok(())
    }

    /// The same job in a config project is not post-review by itself: Zuul runs it in
    /// `check`, so the secret reaches a patchset run and is reported.
    #[test]
    fn a_config_projects_secret_job_runs_in_check_and_is_reported() -> Result<(), String> {
        let cfg = format!(
            "{PIPELINES}- secret: {{name: registry, data: {{password: x}}}}\n\
             - job: {{name: push-image, run: playbooks/build.yaml, secrets: [registry]}}\n\
             - project: {{name: opendev/project-config, check: {{jobs: [push-image]}}}}\n"
        );
        let d = check(&[
            ("main.yaml", TENANT),
            ("project-config/zuul.d/all.yaml", &cfg),
        ])?;
        assert!(!d.has("pipeline/refused-by-platform"), "{d}");
        assert!(d.has("pipeline/secret-not-allowed"), "{d}");
        let files = [
            crate::SourceFile {
                name: "main.yaml",
                text: TENANT,
            },
            crate::SourceFile {
                name: "project-config/zuul.d/all.yaml",
                text: &cfg,
            },
        ];
        let p = crate::Pipeline::import(&files, Some(crate::PipelineFormat::Zuul))
            .map_err(|e| e.to_string())?;
        assert!(
            p.to_json_value()
                .to_string()
                .contains("zuul/config-project")
        );
        Ok(())
    }

    /// An untrusted project cannot define pipelines: its `check` that claims post-review is
    /// refused, and the config project's definition decides.
    #[test]
    fn an_untrusted_project_cannot_redefine_a_pipeline() -> Result<(), String> {
        let app = "- pipeline: {name: check, manager: independent, post-review: true, trigger: {gerrit: [{event: patchset-created}]}}\n\
                   - secret: {name: registry, data: {password: x}}\n\
                   - job: {name: push-image, run: playbooks/build.yaml, secrets: [registry]}\n\
                   - project: {check: {jobs: [push-image]}}\n";
        let d = check(&[
            ("main.yaml", TENANT),
            ("project-config/zuul.d/pipelines.yaml", PIPELINES),
            ("org/app/zuul.d/all.yaml", app),
        ])?;
        let msgs: Vec<&str> = d
            .violations()
            .iter()
            .filter(|v| v.code == "pipeline/refused-by-platform")
            .map(|v| v.message.as_str())
            .collect();
        assert!(
            msgs.iter()
                .any(|m| m.contains("pipelines may only be defined")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("post-review job")),
            "{msgs:?}"
        );
        Ok(())
    }

    /// A file the tenant lists no project for is not silently given a trust.
    #[test]
    fn a_file_of_no_tenant_project_is_incomplete() -> Result<(), String> {
        let d = check(&[
            ("main.yaml", TENANT),
            (
                "elsewhere/zuul.yaml",
                "- job: {name: base, parent: null}\n- project: {check: {jobs: [base]}}\n",
            ),
        ])?;
        assert!(d.has("import/incomplete"), "{d}");
        assert!(
            d.to_text()
                .contains("lists no project this file belongs to"),
            "{d}"
        );
        Ok(())
    }

    /// An abstract job listed directly is refused; its concrete child runs.
    #[test]
    fn an_abstract_job_is_not_run_directly() -> Result<(), String> {
        let text = "- job: {name: base, parent: null}\n\
                    - job: {name: build-image, abstract: true}\n\
                    - job: {name: build-app, parent: build-image}\n\
                    - project: {check: {jobs: [build-image, build-app]}}\n";
        let d = check(&[("zuul.yaml", text)])?;
        assert_eq!(
            codes(&d),
            vec!["pipeline/refused-by-platform".to_owned()],
            "{d}"
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
