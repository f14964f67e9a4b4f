//! GitLab CI (`.gitlab-ci.yml` and the files it includes).
//!
//! The given files are merged in order (what `include: local` would pull in, when the included
//! file is among them); `extends`, `default:` and `!reference` tags are resolved; each job is
//! imported once per pipeline type it runs in (merge request, branch, default branch, tag,
//! schedule, manual/web), as decided by `workflow:rules`, `rules`, `only` and `except`.
//! Stages order jobs without `needs`; artifacts flow along `dependencies`/`needs`/stages; caches
//! are keyed and, as GitLab does unless `unprotect: true`, kept apart between protected and
//! unprotected refs.

use super::tree::{Entry, NULL, Node, V};
use super::{ImportError, SourceFile, documents, shape_error};
use crate::glob::{Options, Pattern};
use crate::pipeline::{PipelineBuilder, ResourceKind};
use crate::source::Location;

/// Top-level keys that are not jobs.
const GLOBAL: [&str; 13] = [
    "stages",
    "variables",
    "default",
    "workflow",
    "include",
    "image",
    "services",
    "before_script",
    "after_script",
    "cache",
    "spec",
    "types",
    "pages:deploy",
];

const JOB_KEYS: [&str; 36] = [
    "script",
    "before_script",
    "after_script",
    "stage",
    "image",
    "services",
    "variables",
    "rules",
    "only",
    "except",
    "needs",
    "dependencies",
    "artifacts",
    "cache",
    "environment",
    "when",
    "allow_failure",
    "tags",
    "retry",
    "timeout",
    "interruptible",
    "extends",
    "trigger",
    "resource_group",
    "release",
    "coverage",
    "parallel",
    "secrets",
    "id_tokens",
    "inherit",
    "pages",
    "hooks",
    "start_in",
    "dast_configuration",
    "identity",
    "manual_confirmation",
];

/// The pipeline types GitLab runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    MergeRequest,
    Branch,
    DefaultBranch,
    Tag,
    Schedule,
    Web,
}

impl Source {
    const ALL: [Source; 6] = [
        Source::MergeRequest,
        Source::Branch,
        Source::DefaultBranch,
        Source::Tag,
        Source::Schedule,
        Source::Web,
    ];

    fn key(self) -> &'static str {
        match self {
            Source::MergeRequest => "merge_request",
            Source::Branch => "branch",
            Source::DefaultBranch => "default_branch",
            Source::Tag => "tag",
            Source::Schedule => "schedule",
            Source::Web => "web",
        }
    }

    /// Whether runs of this type are on a protected ref (GitLab keeps their caches apart).
    fn protected(self) -> bool {
        !matches!(self, Source::MergeRequest | Source::Branch)
    }

    /// Pipelines on unprotected refs of the project: a member's branch (pushing needs the
    /// Developer role) or a merge request, a fork's only when a member runs it here.
    fn unprotected_ref(self) -> bool {
        !self.protected()
    }
}

/// Evaluates one `if:` atom for a pipeline type: `Some(false)` when it cannot hold.
fn atom(a: &str, s: Source) -> Option<bool> {
    let a = a
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim();
    let (neg, a) = match a.strip_prefix('!') {
        Some(rest) if !rest.starts_with('=') => (true, rest.trim()),
        _ => (false, a),
    };
    let norm = a.replace('\'', "\"").replace("${", "$").replace('}', "");
    let eq = |op: &str| -> Option<(String, String)> {
        norm.split_once(op)
            .map(|(l, r)| (l.trim().to_owned(), r.trim().trim_matches('"').to_owned()))
    };
    let mr = s == Source::MergeRequest;
    // A scheduled or manually run pipeline runs on the branch its owner chose (usually the
    // default branch): which branch it is, the file does not say. (Either may target a tag
    // too; the tag pipeline type already stands for runs on tags.)
    let chosen_ref = matches!(s, Source::Schedule | Source::Web);
    let result = if let Some((l, r)) = eq("==").or_else(|| eq("!=")) {
        let is_eq = norm.contains("==");
        let holds = match l.as_str() {
            "$CI_PIPELINE_SOURCE" => Some(match r.as_str() {
                "merge_request_event" | "external_pull_request_event" => mr,
                "push" => matches!(s, Source::Branch | Source::DefaultBranch | Source::Tag),
                "schedule" => s == Source::Schedule,
                "web" | "api" | "trigger" | "pipeline" | "parent_pipeline" | "chat" => {
                    s == Source::Web
                }
                _ => false,
            }),
            "$CI_COMMIT_BRANCH" | "$CI_COMMIT_REF_NAME" if chosen_ref && r != "null" => None,
            "$CI_COMMIT_BRANCH" | "$CI_COMMIT_REF_NAME" => {
                if r == "$CI_DEFAULT_BRANCH" || r == "main" || r == "master" {
                    Some(s == Source::DefaultBranch)
                } else if r == "null" {
                    Some(matches!(s, Source::Tag | Source::MergeRequest))
                } else {
                    None
                }
            }
            "$CI_COMMIT_TAG" if r == "null" => Some(s != Source::Tag),
            "$CI_COMMIT_REF_PROTECTED" => Some(s.protected() == (r == "true")),
            "$CI_MERGE_REQUEST_EVENT_TYPE" if !mr => Some(false),
            _ => None,
        };
        holds.map(|h| if is_eq { h } else { !h })
    } else if norm.contains("=~") || norm.contains("!~") {
        let (l, _) = norm
            .split_once("=~")
            .or_else(|| norm.split_once("!~"))
            .unwrap_or((&norm, ""));
        match (l.trim(), norm.contains("=~")) {
            ("$CI_COMMIT_BRANCH" | "$CI_COMMIT_REF_NAME", _) if chosen_ref => None,
            ("$CI_COMMIT_TAG", true) => Some(s == Source::Tag),
            ("$CI_COMMIT_BRANCH", true) => {
                Some(matches!(s, Source::Branch | Source::DefaultBranch))
            }
            _ => None,
        }
    } else {
        // A variable on its own: set or not.
        match norm.trim() {
            "$CI_MERGE_REQUEST_ID" | "$CI_MERGE_REQUEST_IID" | "$CI_MERGE_REQUEST_EVENT_TYPE" => {
                Some(mr)
            }
            "$CI_COMMIT_TAG" => Some(s == Source::Tag),
            "$CI_COMMIT_BRANCH" => Some(!matches!(s, Source::Tag | Source::MergeRequest)),
            "$CI_OPEN_MERGE_REQUESTS" => Some(matches!(s, Source::Branch | Source::MergeRequest)),
            _ => None,
        }
    };
    result.map(|r| r != neg)
}

/// What an `if:` expression says for a pipeline type, in Kleene's three-valued logic: `Some`
/// when the pipeline type decides it, `None` when it depends on something not known here (a
/// project variable, a branch name). An unknown condition must keep both of its branches open.
fn condition(expr: &str, s: Source) -> Option<bool> {
    // Parentheses around mixed operators are beyond this reading: the value is unknown.
    if expr.contains('(') && expr.contains("||") && expr.contains("&&") {
        return None;
    }
    let conj = |d: &str| {
        d.split("&&")
            .map(|c| atom(c, s))
            .try_fold(true, |acc, v| match v {
                Some(false) => Err(()),
                Some(true) => Ok(acc),
                None => Ok(false),
            })
    };
    // Err: some conjunct is false. Ok(true): all true. Ok(false): none false, some unknown.
    let mut any_unknown = false;
    for d in expr.split("||") {
        match conj(d) {
            Ok(true) => return Some(true),
            Ok(false) => any_unknown = true,
            Err(()) => {}
        }
    }
    if any_unknown { None } else { Some(false) }
}

/// Whether a `rules:` list may let a job (or pipeline) run for a pipeline type. A rule whose
/// condition is unknown may match or not: if it would run the job, the job may run; if it would
/// not (`when: never`), the rules after it still decide the case where it does not match. The
/// job runs if any branch could let it, so an unknown variable never makes a job vanish.
fn rules_allow(rules: &Node, s: Source) -> bool {
    for rule in rules.items() {
        let mut matches = match rule.get("if").and_then(Node::scalar) {
            Some(expr) => condition(&expr, s),
            None => Some(true),
        };
        // `changes:` and `exists:` depend on the commit's files, which the author controls:
        // whether they hold is unknown here.
        if matches == Some(true) && (rule.get("changes").is_some() || rule.get("exists").is_some())
        {
            matches = None;
        }
        let runs = rule.get("when").and_then(Node::as_str) != Some("never");
        match matches {
            Some(true) => return runs,
            None if runs => return true,
            _ => {}
        }
    }
    false
}

/// Whether `only:`/`except:` refs may match pipelines of type `s`. A ref may name a project
/// (`master@group/project`: only in that project, never in a fork), which does not change which
/// ref it is. Keywords decide; a branch name or a `/regex/` only may match (`only:` keeps such
/// a job, `except:` does not drop it: excepting one branch never excepts every branch).
fn refs_match(refs: &[String], s: Source, definite: bool) -> bool {
    refs.iter().any(|r| match strip_project(r) {
        "merge_requests" | "external_pull_requests" => s == Source::MergeRequest,
        "branches" => matches!(s, Source::Branch | Source::DefaultBranch),
        "tags" => s == Source::Tag,
        "schedules" => s == Source::Schedule,
        "web" | "api" | "triggers" | "pipelines" | "chat" => s == Source::Web,
        "pushes" => matches!(s, Source::Branch | Source::DefaultBranch | Source::Tag),
        "main" | "master" => s == Source::DefaultBranch,
        _ if definite => false,
        other if other.starts_with('/') => {
            matches!(s, Source::Branch | Source::DefaultBranch | Source::Tag)
        }
        _ => matches!(s, Source::Branch),
    })
}

/// Whether `except:` drops the job whenever its refs match: in the mapping form, `variables:`
/// or `changes:` beside the refs must hold too, which is not known here.
fn except_applies(except: &Node) -> bool {
    match &except.v {
        V::Map(_) => except.get("refs").is_some() && except.entries().len() == 1,
        _ => true,
    }
}

/// A ref of `only:`/`except:` without its `@project` restriction.
fn strip_project(r: &str) -> &str {
    match r.rsplit_once('@') {
        Some((reference, project))
            if !project.is_empty()
                && !project.ends_with('/')
                && (!reference.starts_with('/') || reference.ends_with('/')) =>
        {
            reference
        }
        _ => r,
    }
}

/// The refs of `only:`/`except:`. The mapping form without `refs:` (only `variables:`,
/// `changes:`, `kubernetes:`) keeps GitLab's default refs, branches and tags; the conditions it
/// adds depend on what is not known here.
fn only_refs(node: &Node) -> Vec<String> {
    match &node.v {
        V::Map(_) => node
            .get("refs")
            .map(Node::strings)
            .unwrap_or_else(|| vec!["branches".to_owned(), "tags".to_owned()]),
        _ => node.strings(),
    }
}

/// Deep merge: mappings merge key by key, anything else is replaced (GitLab's `extends`).
fn merge(base: &Node, over: &Node) -> Node {
    match (&base.v, &over.v) {
        (V::Map(a), V::Map(b)) => {
            let mut out: Vec<Entry> = a.clone();
            for e in b {
                match out.iter_mut().find(|x| x.key == e.key) {
                    Some(x) => {
                        x.value = merge(&x.value, &e.value);
                        x.key_loc = e.key_loc;
                    }
                    None => out.push(e.clone()),
                }
            }
            Node {
                loc: over.loc,
                tag: over.tag.clone(),
                v: V::Map(out),
            }
        }
        _ => over.clone(),
    }
}

struct Reader<'a> {
    config: &'a Node,
    b: &'a mut PipelineBuilder,
    /// Nodes `extends` and `!reference` may still produce: both can multiply a file's size
    /// exponentially.
    budget: usize,
}

/// How many nodes resolving `extends` and `!reference` may visit in one import.
const EXPANSION_BUDGET: usize = 2_000_000;

impl Reader<'_> {
    /// Resolves `!reference [a, b, ...]` tags below `node`; unresolved ones are reported.
    fn references(&mut self, node: &Node, path: &str, depth: usize) -> Node {
        if self.budget == 0 {
            return NULL.clone();
        }
        self.budget -= 1;
        if self.budget == 0 {
            self.b.unsupported(
                node.loc,
                path,
                format!("`extends` and `!reference` expand to more than {EXPANSION_BUDGET} nodes; the rest is not checked"),
            );
            return NULL.clone();
        }
        if node.tag.as_deref() == Some("!reference") {
            let keys = node.strings();
            let mut target = Some(self.config);
            for k in &keys {
                target = target.and_then(|t| t.get(k));
            }
            return match target {
                Some(t) if depth < 10 => self.references(t, path, depth + 1),
                _ => {
                    self.b.unsupported(
                        node.loc,
                        path,
                        format!(
                            "`!reference [{}]` points at nothing in the given files; what it would insert is not checked",
                            keys.join(", ")
                        ),
                    );
                    NULL.clone()
                }
            };
        }
        match &node.v {
            V::Map(entries) => Node {
                v: V::Map(
                    entries
                        .iter()
                        .map(|e| Entry {
                            key: e.key.clone(),
                            key_loc: e.key_loc,
                            value: self.references(&e.value, &format!("{path}.{}", e.key), depth),
                        })
                        .collect(),
                ),
                ..node.clone()
            },
            V::Seq(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let was_ref = item.tag.as_deref() == Some("!reference");
                    let r = self.references(item, &format!("{path}[{i}]"), depth);
                    // A referenced list inside a list is spliced in, as GitLab does for scripts.
                    match (was_ref, r.v) {
                        (true, V::Seq(inner)) => out.extend(inner),
                        (_, v) => out.push(Node { v, ..r }),
                    }
                }
                Node {
                    v: V::Seq(out),
                    ..node.clone()
                }
            }
            _ => node.clone(),
        }
    }

    /// The job with its `extends` chain merged in (templates first).
    fn extended(&mut self, name: &str, node: &Node, depth: usize) -> Node {
        if self.budget == 0 {
            return node.clone();
        }
        self.budget = self.budget.saturating_sub(1);
        let parents = node.get("extends").map(Node::strings).unwrap_or_default();
        let mut base = Node {
            loc: node.loc,
            tag: None,
            v: V::Map(Vec::new()),
        };
        for p in parents {
            match self.config.get(&p) {
                Some(parent) if depth < 11 && p != name => {
                    let resolved = self.extended(&p, parent, depth + 1);
                    base = merge(&base, &resolved);
                }
                _ => {
                    let loc = node.entry("extends").and_then(|e| e.key_loc).or(node.loc);
                    self.b.unsupported(
                        loc,
                        format!("{name}.extends"),
                        format!(
                            "`extends: {p}` names nothing in the given files (or nests too deep); what it would add is not checked"
                        ),
                    );
                }
            }
        }
        merge(&base, node)
    }
}

/// Where, under an include directory, the file(s) of one `include:` entry are found:
/// `project:` + `file:` at `<project path>/<file>` (whatever the `ref`), `template:` at
/// `templates/<name>`, `component:` (`host/group/project/name@version`) at
/// `<host/group/project>/templates/<name>.yml`. Local and remote includes have no place there.
fn include_dir_paths(item: &Node) -> Vec<String> {
    let clean = |s: &str| s.trim_start_matches('/').to_owned();
    if let Some(project) = item.get("project").and_then(Node::scalar) {
        return item
            .get("file")
            .map(Node::strings)
            .unwrap_or_default()
            .iter()
            .map(|f| format!("{}/{}", clean(&project), clean(f)))
            .collect();
    }
    if let Some(t) = item.get("template").and_then(Node::scalar) {
        return vec![format!("templates/{}", clean(&t))];
    }
    if let Some(c) = item.get("component").and_then(Node::scalar) {
        let path = c.split('@').next().unwrap_or_default();
        if let Some((project, name)) = path.rsplit_once('/') {
            return vec![format!("{project}/templates/{name}.yml")];
        }
    }
    Vec::new()
}

/// The paths, relative to an include directory (`--include-dir DIR`), of the files a GitLab CI
/// text includes through `project:`, `template:` and `component:` (see docs/pipelines.md for the
/// layout). The CLI reads those that exist and imports them with the given files; an include
/// that is still not among them leaves the result incomplete.
///
/// ```
/// let text = "include:\n  - project: group/ci\n    file: [/build.yml]\n  - template: Jobs/SAST.gitlab-ci.yml\n";
/// assert_eq!(
///     lockkeeper::import::gitlab::include_paths(text),
///     ["group/ci/build.yml", "templates/Jobs/SAST.gitlab-ci.yml"]
/// );
/// ```
pub fn include_paths(text: &str) -> Vec<String> {
    includes(text).into_iter().map(|(p, _)| p).collect()
}

/// [`include_paths`] with the `inputs:` each include passes (for `spec:inputs` interpolation
/// with [`interpolate`]).
pub fn includes(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let Ok(docs) = super::tree::parse(text) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for doc in &docs {
        for item in include_items(doc) {
            let inputs: Vec<(String, String)> = item
                .get("inputs")
                .map(Node::entries)
                .unwrap_or_default()
                .iter()
                .map(|e| (e.key.clone(), e.value.scalar().unwrap_or_default()))
                .collect();
            for p in include_dir_paths(item) {
                if !out.iter().any(|(q, _)| *q == p) {
                    out.push((p, inputs.clone()));
                }
            }
        }
    }
    out
}

/// The local files a GitLab CI text names: `include:` entries that are local (`local:` or a
/// path that is no URL) and the local files of child pipelines (`trigger: include:`), as
/// written (a leading `/` is the repository root; `*` and `**` are globs). Used to find, in a
/// repository, the files that are checked with `.gitlab-ci.yml`.
///
/// ```
/// let text = "include:\n  - local: /ci/build.yml\n  - 'https://example.org/x.yml'\n  - /ci/*.yml\nchild:\n  trigger:\n    include: ci/child.yml\n";
/// assert_eq!(
///     lockkeeper::import::gitlab::local_includes(text),
///     ["/ci/build.yml", "/ci/*.yml", "ci/child.yml"]
/// );
/// ```
pub fn local_includes(text: &str) -> Vec<String> {
    let Ok(docs) = super::tree::parse(text) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    let mut add = |item: &Node| {
        let local = match (&item.v, item.get("local")) {
            (V::Str(s), _) if !s.contains("://") => Some(s.clone()),
            (_, Some(l)) => l.scalar(),
            _ => None,
        };
        if let Some(l) = local
            && !l.is_empty()
            && !out.contains(&l)
        {
            out.push(l);
        }
    };
    fn list(node: &Node) -> Vec<&Node> {
        match &node.v {
            V::Seq(items) => items.iter().collect(),
            _ => vec![node],
        }
    }
    for doc in &docs {
        if let Some(include) = doc.get("include") {
            list(include).into_iter().for_each(&mut add);
        }
        for job in doc.entries() {
            if let Some(include) = job.value.get("trigger").and_then(|t| t.get("include")) {
                list(include).into_iter().for_each(&mut add);
            }
        }
    }
    out
}

/// Fills a GitLab file's `$[[ inputs.NAME ]]` placeholders the way an include does: from the
/// `inputs` the include passes, else the `default` of the file's `spec:inputs` header. A
/// placeholder with neither (or with a function, `| expand_vars`) stays as written.
///
/// ```
/// let text = "spec:\n  inputs:\n    stage: {default: test}\n    image: {}\n---\nlint:\n  stage: $[[ inputs.stage ]]\n  image: $[[ inputs.image ]]\n";
/// let out = lockkeeper::import::gitlab::interpolate(text, &[("image".into(), "alpine".into())]);
/// assert!(out.contains("stage: test") && out.contains("image: alpine"));
/// ```
pub fn interpolate(text: &str, inputs: &[(String, String)]) -> String {
    let mut values: Vec<(String, String)> = inputs.to_vec();
    if let Ok(docs) = super::tree::parse(text)
        && let Some(spec) = docs.first().and_then(|d| d.get("spec"))
    {
        for e in spec.get("inputs").map(Node::entries).unwrap_or_default() {
            if values.iter().any(|(k, _)| *k == e.key) {
                continue;
            }
            if let Some(d) = e.value.get("default").and_then(Node::scalar) {
                values.push((e.key.clone(), d));
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("$[[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 3..];
        let Some(j) = after.find("]]") else {
            out.push_str(&rest[i..]);
            return out;
        };
        let inner = after[..j].trim();
        let value = inner
            .strip_prefix("inputs.")
            .and_then(|name| values.iter().find(|(k, _)| k == name.trim()))
            .map(|(_, v)| v.clone());
        match value {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[i..i + 3 + j + 2]),
        }
        rest = &after[j + 2..];
    }
    out.push_str(rest);
    out
}

/// Whether a local include (or child pipeline file) is among the given files: by path, by
/// suffix, or by glob.
fn given_local(files: &[SourceFile<'_>], local: &str) -> bool {
    let want = local.trim_start_matches('/');
    let glob = Pattern::with(&format!("**/{want}"), Options::default()).ok();
    files.iter().any(|f| {
        let name = f.name.replace('\\', "/");
        name == want
            || name.ends_with(&format!("/{want}"))
            || glob.as_ref().is_some_and(|g| g.matches(&name))
    })
}

fn is_secret_variable(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    // GitLab's predefined variables (`CI_REGISTRY_PASSWORD`, `CI_JOB_TOKEN`,
    // `CI_DEPENDENCY_PROXY_PASSWORD`, ...) are the job token under other names: every job of
    // every pipeline gets them, so they are no secret a policy releases. A deploy token is.
    if (n.starts_with("CI_") || n.starts_with("GITLAB_")) && n != "CI_DEPLOY_PASSWORD" {
        return false;
    }
    super::credential::is_credential_name(&n)
}

/// `$NAME` and `${NAME}` references in a script line.
fn variables(text: &str, out: &mut Vec<String>) {
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        rest = &rest[i + 1..];
        let r = rest.strip_prefix('{').unwrap_or(rest);
        let name: String = r
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
}

pub(crate) fn import(b: &mut PipelineBuilder, files: &[SourceFile<'_>]) -> Result<(), ImportError> {
    let docs = read_configs(files)?;
    for (i, doc) in &docs {
        b.file(files[*i].name);
        report_missing_includes(b, files, doc);
    }
    let config = Config::merge(files, &docs);
    let stages = stages(&config.node);
    let workflow_rules = config.node.get("workflow").and_then(|w| w.get("rules"));
    let jobs = read_jobs(b, files, &config);

    let active: Vec<Source> = pipeline_sources(&config.node, workflow_rules)
        .into_iter()
        .filter(|s| jobs.iter().any(|j| j.runs(*s, workflow_rules)))
        .collect();
    let mut shared_keys = super::gitlab_cache::SharedKeys::default();
    for s in &active {
        let sfx = if active.len() > 1 {
            format!(" [{}]", s.key())
        } else {
            String::new()
        };
        let here: Vec<&Job> = jobs.iter().filter(|j| j.runs(*s, workflow_rules)).collect();
        for job in &here {
            add_job(b, job, &here, (*s, &sfx), &stages, &mut shared_keys);
        }
    }
    shared_keys.report(b);
    Ok(())
}

/// Reads every file; the first document that is not a `spec:` header is its configuration.
fn read_configs(files: &[SourceFile<'_>]) -> Result<Vec<(usize, Node)>, ImportError> {
    let mut configs: Vec<(usize, Node)> = Vec::new();
    let mut errors = Vec::new();
    for (i, f) in files.iter().enumerate() {
        match documents(f) {
            Ok(docs) => {
                let doc = docs
                    .into_iter()
                    .filter(|d| !d.is_null())
                    .find(|d| !(d.entries().len() == 1 && d.get("spec").is_some()));
                match doc {
                    Some(d) if d.is_map() => configs.push((i, d)),
                    Some(d) => errors.push(shape_error(
                        f.name,
                        format!("a GitLab CI file is a mapping, not {}", d.kind()),
                        d.loc,
                    )),
                    None => configs.push((
                        i,
                        Node {
                            loc: None,
                            tag: None,
                            v: V::Map(Vec::new()),
                        },
                    )),
                }
            }
            Err(e) => errors.push(e),
        }
    }
    match ImportError::from_files(errors.into_iter().flat_map(|e| e.into_files()).collect()) {
        Some(e) => Err(e),
        None => Ok(configs),
    }
}

/// The items of a document's `include:` (one item or a list of them).
fn include_items(doc: &Node) -> Vec<&Node> {
    match doc.get("include") {
        Some(Node {
            v: V::Seq(items), ..
        }) => items.iter().collect(),
        Some(include) => vec![include],
        None => Vec::new(),
    }
}

/// Reports, where they are written, the includes that name none of the given files: the jobs
/// they bring are not checked.
fn report_missing_includes(b: &mut PipelineBuilder, files: &[SourceFile<'_>], doc: &Node) {
    for item in include_items(doc) {
        let (local, kind) = include_kind(item);
        let wanted = include_dir_paths(item);
        let found = wanted.iter().any(|w| {
            files.iter().any(|f| {
                let name = f.name.replace('\\', "/");
                name == *w || name.ends_with(&format!("/{w}"))
            })
        }) || local.as_ref().is_some_and(|l| given_local(files, l));
        if !found {
            b.unsupported(
                item.loc,
                "include",
                format!(
                    "`include` ({kind}{}) is not among the given files; the jobs and templates it brings are not checked{}",
                    local.map(|l| format!(": {l}")).unwrap_or_default(),
                    match wanted.first() {
                        Some(w) => format!(" (give it, or put it at DIR/{w} and pass --include-dir DIR)"),
                        None => String::new(),
                    }
                ),
            );
        }
    }
}

/// The local path an `include` item names, if any, and what kind of include it is.
fn include_kind(item: &Node) -> (Option<String>, &'static str) {
    match (&item.v, item.get("local")) {
        (V::Str(s), _) if !s.contains("://") => (Some(s.clone()), "local"),
        (V::Str(_), _) => (None, "remote"),
        (_, Some(l)) => (l.scalar(), "local"),
        _ => (
            None,
            ["project", "remote", "template", "component"]
                .into_iter()
                .find(|k| item.get(k).is_some())
                .unwrap_or("unknown"),
        ),
    }
}

/// One configuration: the given files merged in the order given.
struct Config<'a> {
    node: Node,
    /// The file each top-level key was last written in.
    owner: Vec<(String, &'a str)>,
}

impl<'a> Config<'a> {
    fn merge(files: &[SourceFile<'a>], docs: &[(usize, Node)]) -> Self {
        let mut node = Node {
            loc: None,
            tag: None,
            v: V::Map(Vec::new()),
        };
        let mut owner: Vec<(String, &'a str)> = Vec::new();
        for (i, doc) in docs {
            for e in doc.entries() {
                owner.retain(|(k, _)| k != &e.key);
                owner.push((e.key.clone(), files[*i].name));
            }
            node = merge(&node, doc);
        }
        Config { node, owner }
    }

    fn file_of(&self, key: &str) -> &'a str {
        self.owner
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, f)| *f)
            .unwrap_or_default()
    }
}

/// The stages in order, with GitLab's `.pre` and `.post` around them.
fn stages(config: &Node) -> Vec<String> {
    match config.get("stages") {
        Some(s) => {
            let mut v = vec![".pre".to_owned()];
            v.extend(s.strings());
            v.push(".post".to_owned());
            v
        }
        None => [".pre", "build", "test", "deploy", ".post"]
            .map(str::to_owned)
            .to_vec(),
    }
}

/// A job with `extends`, `default:`, the global keywords and `!reference` resolved.
struct Job {
    name: String,
    file: String,
    loc: Option<Location>,
    node: Node,
}

impl Job {
    /// Whether the job runs in pipelines of type `s`: its `rules`, else `only` and `except`.
    fn runs(&self, s: Source, workflow_rules: Option<&Node>) -> bool {
        if let Some(rules) = self.node.get("rules") {
            return rules_allow(rules, s);
        }
        if let Some(only) = self.node.get("only") {
            if !refs_match(&only_refs(only), s, false) {
                return false;
            }
        } else if s == Source::MergeRequest && workflow_rules.is_none() {
            // Without rules or only, jobs run in branch and tag pipelines; merge-request
            // pipelines get them only when `workflow:rules` creates such pipelines.
            return false;
        }
        if let Some(except) = self.node.get("except")
            && except_applies(except)
            && refs_match(&only_refs(except), s, true)
        {
            return false;
        }
        true
    }

    /// The position of the job's stage (`test` when it names none; past the end when unknown).
    fn stage(&self, stages: &[String]) -> usize {
        let st = self
            .node
            .get("stage")
            .and_then(Node::scalar)
            .unwrap_or_else(|| "test".to_owned());
        stages.iter().position(|x| *x == st).unwrap_or(stages.len())
    }
}

/// The jobs of the configuration; what lockkeeper does not know in them is reported.
fn read_jobs(b: &mut PipelineBuilder, files: &[SourceFile<'_>], config: &Config<'_>) -> Vec<Job> {
    let default = config.node.get("default").unwrap_or(&NULL);
    let mut reader = Reader {
        config: &config.node,
        b,
        budget: EXPANSION_BUDGET,
    };
    let mut jobs: Vec<Job> = Vec::new();
    for e in config.node.entries() {
        let keyword = GLOBAL.contains(&e.key.as_str()) || e.key.starts_with('.');
        if keyword || !e.value.is_map() {
            if !keyword {
                reader.b.file(config.file_of(&e.key));
                reader.b.unsupported(
                    e.key_loc,
                    e.key.clone(),
                    format!(
                        "top-level `{}` is neither a job nor a keyword lockkeeper knows",
                        e.key
                    ),
                );
            }
            continue;
        }
        reader.b.file(config.file_of(&e.key));
        let merged = reader.extended(&e.key, &e.value, 0);
        let node = with_defaults(&merged, default, &config.node);
        let node = reader.references(&node, &e.key, 0);
        report_unknown_keys(reader.b, e, &node);
        if let Some(t) = node.get("trigger") {
            report_unread_trigger(reader.b, files, e, t);
        }
        report_foreign_needs(reader.b, e, &node);
        jobs.push(Job {
            name: e.key.clone(),
            file: config.file_of(&e.key).to_owned(),
            loc: e.key_loc,
            node,
        });
    }
    jobs
}

/// `default:` applies unless the job says otherwise or opts out with `inherit`; the global
/// `cache`, `image`, `services` and scripts unless the job has its own.
fn with_defaults(job: &Node, default: &Node, config: &Node) -> Node {
    let inherit = job.get("inherit").and_then(|i| i.get("default"));
    let mut node = job.clone();
    if !matches!(inherit.and_then(Node::as_bool), Some(false)) {
        let keep: Vec<String> = inherit.map(Node::strings).unwrap_or_default();
        for d in default.entries() {
            let allowed = keep.is_empty() || keep.contains(&d.key);
            if allowed
                && node.get(&d.key).is_none()
                && let V::Map(entries) = &mut node.v
            {
                entries.push(d.clone());
            }
        }
    }
    for k in [
        "cache",
        "image",
        "services",
        "before_script",
        "after_script",
    ] {
        if node.get(k).is_none()
            && let Some(g) = config.get(k)
            && let V::Map(entries) = &mut node.v
        {
            entries.push(Entry {
                key: k.to_owned(),
                key_loc: None,
                value: g.clone(),
            });
        }
    }
    node
}

/// Job keywords lockkeeper does not know: what they do is not checked.
fn report_unknown_keys(b: &mut PipelineBuilder, job: &Entry, node: &Node) {
    for k in node.entries() {
        if !JOB_KEYS.contains(&k.key.as_str()) {
            b.unsupported(
                k.key_loc.or(job.key_loc),
                format!("{}.{}", job.key, k.key),
                format!(
                    "`{}` is not a job keyword lockkeeper knows; what it does is not checked",
                    k.key
                ),
            );
        }
    }
}

/// A child pipeline from local files that were given is read with the given files (one
/// configuration, the parent's pipeline types); anything else was not given and is reported.
fn report_unread_trigger(
    b: &mut PipelineBuilder,
    files: &[SourceFile<'_>],
    job: &Entry,
    trigger: &Node,
) {
    if child_pipeline_given(files, trigger) {
        return;
    }
    let what = match trigger
        .get("project")
        .and_then(Node::scalar)
        .or_else(|| trigger.scalar())
    {
        Some(project) => format!(
            "a trigger job starts a downstream pipeline in project `{project}`, whose configuration was not given; its jobs are not checked"
        ),
        None => "a trigger job starts a child pipeline whose files are not among the given files (give them: a child pipeline of local files is read with the parent's pipeline types); its jobs are not checked".to_owned(),
    };
    b.unsupported(
        trigger.loc.or(job.key_loc),
        format!("{}.trigger", job.key),
        what,
    );
}

/// Whether every file of the child pipeline a `trigger` starts is among the given files.
fn child_pipeline_given(files: &[SourceFile<'_>], trigger: &Node) -> bool {
    let child: Vec<Option<String>> = match trigger.get("include").map(|i| &i.v) {
        Some(V::Str(s)) => vec![Some(s.clone())],
        Some(V::Seq(items)) => items
            .iter()
            .map(|i| {
                i.get("local")
                    .and_then(Node::scalar)
                    .or_else(|| i.as_str().map(str::to_owned))
            })
            .collect(),
        _ => vec![None],
    };
    child
        .iter()
        .all(|c| c.as_ref().is_some_and(|l| given_local(files, l)))
}

/// `needs` from another project or pipeline: what it brings in is not checked.
fn report_foreign_needs(b: &mut PipelineBuilder, job: &Entry, node: &Node) {
    let Some(needs) = node.get("needs") else {
        return;
    };
    for n in needs.items() {
        if n.get("project").is_some() || n.get("pipeline").is_some() {
            b.unsupported(
                n.loc,
                format!("{}.needs", job.key),
                "`needs` from another project or pipeline: what it brings in is not checked",
            );
        }
    }
}

/// Whether a script line builds an image and pushes it in one command, as GitLab's documented
/// image builds do: kaniko's executor pushes to every `--destination` unless `--no-push`, and
/// `docker buildx build --push` (or `buildctl ... push=true`) pushes what it built.
fn image_push(line: &str) -> bool {
    let kaniko = line.contains("executor") && line.contains("--destination");
    let buildx = line.contains("buildx") && line.contains("--push");
    let buildctl = line.contains("buildctl") && line.contains("push=true");
    (kaniko || buildx || buildctl) && !line.contains("--no-push")
}

/// Which pipeline types exist: those `workflow:rules` allow, else branch, default branch and
/// tag pipelines, and merge-request pipelines when the configuration speaks of them. A
/// scheduled or manually run pipeline runs on a branch the project chose, usually the default
/// one, with the jobs of a push there unless a rule (or `only:`) tells the sources apart: those
/// types are modelled where the configuration names them, so a job reserved for them never
/// vanishes, and are otherwise the default-branch pipeline over again.
fn pipeline_sources(config: &Node, workflow_rules: Option<&Node>) -> Vec<Source> {
    let mentions_mr = config_mentions_mr(config);
    let (mentions_schedule, mentions_web) = config_mentions_schedule_web(config);
    Source::ALL
        .into_iter()
        .filter(|s| match s {
            Source::Schedule if !mentions_schedule => false,
            Source::Web if !mentions_web => false,
            _ => true,
        })
        .filter(|s| match workflow_rules {
            Some(r) => rules_allow(r, *s),
            None => *s != Source::MergeRequest || mentions_mr,
        })
        .collect()
}

/// Whether a rule or `only:`/`except:` of the configuration names scheduled pipelines, and
/// whether one names pipelines a person or the API starts (`web`, `api`, `trigger`, ...).
fn config_mentions_schedule_web(config: &Node) -> (bool, bool) {
    const WEB: [&str; 5] = ["web", "api", "trigger", "pipeline", "chat"];
    let (mut schedule, mut web) = (false, false);
    config.visit_strings(&mut |s| {
        if s.contains("CI_PIPELINE_SOURCE") {
            let norm = s.replace('\'', "\"");
            schedule |= norm.contains("\"schedule\"");
            web |= WEB.iter().any(|w| norm.contains(&format!("\"{w}\"")));
        }
        schedule |= s == "schedules";
        web |= matches!(s, "web" | "api" | "triggers" | "pipelines" | "chat");
    });
    (schedule, web)
}

/// Adds `job` as it runs in pipelines of type `s`, beside the other jobs `here` of that type;
/// `sfx` tells the pipeline types apart in job names.
fn add_job(
    b: &mut PipelineBuilder,
    job: &Job,
    here: &[&Job],
    (s, sfx): (Source, &str),
    stages: &[String],
    shared_keys: &mut super::gitlab_cache::SharedKeys,
) {
    b.file(&job.file);
    let node = &job.node;
    let script: Vec<String> = ["before_script", "script", "after_script"]
        .iter()
        .filter_map(|k| node.get(k))
        .flat_map(Node::strings)
        .collect();
    let git_none = node
        .get("variables")
        .and_then(|v| v.get("GIT_STRATEGY"))
        .and_then(Node::as_str)
        == Some("none");
    let publishes = node.get("release").is_some()
        || script
            .iter()
            .any(|l| super::publishes(l, &[]) || image_push(l));
    let mut jb = b
        .job(&format!("{}{sfx}", job.name))
        .at(job.loc)
        .context(&format!("gitlab/{}", s.key()))
        .publishes(publishes)
        .runs_repo_code(!git_none && !script.is_empty())
        .note("job", serde_json::json!(job.name));
    if s.unprotected_ref() {
        jb = unprotected_ref_notes(jb);
    }

    // Order and artifacts.
    let needed = needed(job, here, stages);
    for n in &needed {
        if here.iter().any(|o| &o.name == n) {
            jb = jb.need(&format!("{n}{sfx}"));
        }
    }
    for a in &artifact_sources(node, &needed) {
        if let Some(o) = here.iter().find(|o| &o.name == a)
            && o.node.get("artifacts").is_some()
        {
            jb = jb.consume(ResourceKind::Artifact, &format!("artifacts of {a}{sfx}"));
        }
    }
    if node.get("artifacts").is_some() {
        jb = jb.produce(
            ResourceKind::Artifact,
            &format!("artifacts of {}{sfx}", job.name),
        );
    }

    for c in caches(node) {
        let cache = cache_use(c, s, &job.name);
        if cache.pulls {
            if cache.shared && s.protected() {
                shared_keys.protected_reads(&cache.key, &job.name, &job.file, job.loc);
            }
            jb = jb.consume(ResourceKind::Cache, &cache.resource);
        }
        if cache.pushes {
            jb = jb.produce(ResourceKind::Cache, &cache.resource);
            if cache.shared && s.unprotected_ref() {
                shared_keys.unprotected_writes(&cache.key, &job.name);
            }
        }
    }
    for secret in credentials(node, &script) {
        jb = jb.secret(&secret);
    }
    if let Some(env) = deployed_environment(node) {
        jb.deploys(&env);
    }
}

/// The jobs `job` waits for: its `needs`, or without them every job of an earlier stage.
fn needed(job: &Job, here: &[&Job], stages: &[String]) -> Vec<String> {
    match job.node.get("needs") {
        Some(n) => n
            .items()
            .iter()
            .filter_map(|i| i.scalar().or_else(|| i.get("job").and_then(Node::scalar)))
            .collect(),
        None => {
            let mine = job.stage(stages);
            here.iter()
                .filter(|o| o.stage(stages) < mine)
                .map(|o| o.name.clone())
                .collect()
        }
    }
}

/// The jobs whose artifacts a job downloads: its `dependencies`, else the `needs` that do not
/// say `artifacts: false`, else every job it waits for.
fn artifact_sources(node: &Node, needed: &[String]) -> Vec<String> {
    match node.get("dependencies") {
        Some(d) => d.strings(),
        None => match node.get("needs") {
            Some(n) => n
                .items()
                .iter()
                .filter(|i| i.get("artifacts").and_then(Node::as_bool) != Some(false))
                .filter_map(|i| i.scalar().or_else(|| i.get("job").and_then(Node::scalar)))
                .collect(),
            None => needed.to_vec(),
        },
    }
}

/// The caches a job's `cache:` names (one mapping or a list of them).
fn caches(node: &Node) -> Vec<&Node> {
    match node.get("cache").map(|c| (c, &c.v)) {
        Some((_, V::Seq(items))) => items.iter().collect(),
        Some((cache, V::Map(_))) => vec![cache],
        _ => Vec::new(),
    }
}

/// One `cache:` entry as a job in pipelines of type `s` uses it.
struct CacheUse {
    /// The key as written, `$CI_JOB_NAME` filled in.
    key: String,
    /// The cache the pipeline graph wires: the key plus the refs that share it.
    resource: String,
    pulls: bool,
    pushes: bool,
    /// One cache for every ref of its protection class (not per ref, not `unprotect`).
    shared: bool,
}

/// The cache one `cache:` entry names in pipelines of type `s`, and whether the job pulls and
/// pushes it. As GitLab does, a key naming the ref is one cache per ref, and otherwise protected
/// and unprotected refs get separate caches unless the entry says `unprotect: true`.
fn cache_use(c: &Node, s: Source, job: &str) -> CacheUse {
    let key = match c.get("key") {
        Some(k) if k.is_map() => {
            let files = k.get("files").map(Node::strings).unwrap_or_default();
            let prefix = k.get("prefix").and_then(Node::scalar).unwrap_or_default();
            format!("{prefix}files:{}", files.join(","))
        }
        Some(k) => k.scalar().unwrap_or_default(),
        None => "default".to_owned(),
    };
    let key = super::gitlab_cache::expand_job_name(&key, job);
    let per_ref = [
        "CI_COMMIT_REF",
        "CI_COMMIT_BRANCH",
        "CI_MERGE_REQUEST",
        "CI_COMMIT_SHA",
        "CI_PIPELINE_ID",
        "CI_JOB_ID",
    ]
    .iter()
    .any(|v| key.contains(v));
    let unprotect = c.get("unprotect").and_then(Node::as_bool) == Some(true);
    let mut resource = format!("cache {key}");
    if per_ref {
        resource.push_str(&format!(" ({})", s.key()));
    } else if !unprotect {
        resource.push_str(if s.protected() {
            " (protected refs)"
        } else {
            " (unprotected refs)"
        });
    }
    let policy = c
        .get("policy")
        .and_then(Node::scalar)
        .unwrap_or_else(|| "pull-push".into());
    CacheUse {
        key,
        resource,
        pulls: policy.contains("pull"),
        pushes: policy.contains("push"),
        shared: !per_ref && !unprotect,
    }
}

/// The credentials a job holds: its `secrets`, its OIDC `id_tokens`, and the secret-looking
/// variables its scripts use without defining them.
fn credentials(node: &Node, script: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(secrets) = node.get("secrets") {
        out.extend(secrets.entries().iter().map(|e| e.key.clone()));
    }
    if let Some(tokens) = node.get("id_tokens") {
        out.extend(
            tokens
                .entries()
                .iter()
                .map(|e| format!("OIDC id token {}", e.key)),
        );
    }
    let mut vars = Vec::new();
    for line in script {
        variables(line, &mut vars);
    }
    let defined: Vec<String> = node
        .get("variables")
        .map(|v| v.entries().iter().map(|e| e.key.clone()).collect())
        .unwrap_or_default();
    out.extend(
        vars.into_iter()
            .filter(|v| is_secret_variable(v) && !defined.contains(v)),
    );
    out
}

/// The environment a job deploys to; `prepare`, `verify`, `access` and `stop` actions deploy
/// nothing (`stop` tears the environment down: it runs the stop job, not a build).
fn deployed_environment(node: &Node) -> Option<String> {
    let env = node.get("environment")?;
    let (name, action) = match &env.v {
        V::Map(_) => (
            env.get("name").and_then(Node::scalar),
            env.get("action").and_then(Node::scalar),
        ),
        _ => (env.scalar(), None),
    };
    if matches!(
        action.as_deref(),
        Some("prepare" | "verify" | "access" | "stop")
    ) {
        return None;
    }
    name
}

/// What a credential in a pipeline on an unprotected ref means on GitLab. A fork's merge
/// request runs in the fork, without this project's variables, unless a member runs its
/// pipeline here, and then with the fork's own `.gitlab-ci.yml`: this file's rules do not decide
/// what such a run reads. Every other run on an unprotected ref is a member's code (pushing a
/// branch needs the Developer role). A variable reaches these runs only when it is not
/// protected, so a job here that needs one is a design finding (pedantic), as GitHub's
/// same-repository pull requests are.
///
/// A deploy there, and a deploy credential asked for there, are the same kind of finding: the
/// environment's credentials reach such a run only when they are not protected, a protected
/// environment refuses deployers it does not allow, and a per-ref environment (a review app)
/// exists to show that ref's unreviewed code.
fn unprotected_ref_notes(jb: crate::pipeline::JobBuilder<'_>) -> crate::pipeline::JobBuilder<'_> {
    let by_code = serde_json::json!({
        "pipeline/secret-not-allowed": "pedantic",
        "pipeline/build-publishes": "pedantic",
        "pipeline/deploy-from-untrusted-build": "pedantic",
        "pipeline/credentials-outside-deploy-zone": "pedantic",
    });
    jb.note("persona_by_code", by_code)
    .note(
        "assumptions",
        serde_json::json!([
            "a pipeline on an unprotected ref runs a member's branch, or a fork's merge request only when a member runs it in this project (with the fork's own CI file); it gets a variable only if the variable is not protected"
        ]),
    )
}

fn config_mentions_mr(config: &Node) -> bool {
    let mut found = false;
    config.visit_strings(&mut |s| {
        if s.contains("merge_request_event")
            || s.contains("CI_MERGE_REQUEST")
            || s == "merge_requests"
        {
            found = true;
        }
    });
    found
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn yaml(text: &str) -> Result<Node, String> {
        super::super::tree::parse(text)
            .map_err(|(m, _)| m)?
            .into_iter()
            .next()
            .ok_or_else(|| "no document".to_owned())
    }

    fn job(text: &str) -> Result<Job, String> {
        Ok(Job {
            name: "j".to_owned(),
            file: String::new(),
            loc: None,
            node: yaml(text)?,
        })
    }

    #[test]
    fn include_kinds() -> Result<(), String> {
        let kind = |t: &str| yaml(t).map(|n| include_kind(&n));
        assert_eq!(kind("ci/a.yml")?, (Some("ci/a.yml".to_owned()), "local"));
        assert_eq!(kind("https://x/a.yml")?, (None, "remote"));
        assert_eq!(kind("{local: b.yml}")?, (Some("b.yml".to_owned()), "local"));
        assert_eq!(kind("{project: g/p, file: a.yml}")?, (None, "project"));
        assert_eq!(
            kind("{template: Auto-DevOps.gitlab-ci.yml}")?,
            (None, "template")
        );
        assert_eq!(kind("{what: x}")?, (None, "unknown"));
        Ok(())
    }

    #[test]
    fn later_files_override_and_own_their_keys() -> Result<(), String> {
        let files = [
            SourceFile {
                name: "a.yml",
                text: "",
            },
            SourceFile {
                name: "b.yml",
                text: "",
            },
        ];
        let docs = vec![
            (0, yaml("build: {script: [a]}\ntest: {script: [t]}")?),
            (1, yaml("build: {script: [b]}")?),
        ];
        let config = Config::merge(&files, &docs);
        assert_eq!(config.file_of("build"), "b.yml");
        assert_eq!(config.file_of("test"), "a.yml");
        assert_eq!(config.file_of("missing"), "");
        let script = config.node.get("build").and_then(|b| b.get("script"));
        assert_eq!(script.map(Node::strings), Some(vec!["b".to_owned()]));
        Ok(())
    }

    #[test]
    fn stages_have_pre_and_post_around_them() -> Result<(), String> {
        assert_eq!(
            stages(&yaml("stages: [a, b]")?),
            [".pre", "a", "b", ".post"]
        );
        assert_eq!(
            stages(&yaml("x: 1")?),
            [".pre", "build", "test", "deploy", ".post"]
        );
        let stages = stages(&yaml("stages: [a, b]")?);
        assert_eq!(job("stage: b")?.stage(&stages), 2);
        // No stage is `test`, which this pipeline does not have: after every stage.
        assert_eq!(job("script: [x]")?.stage(&stages), 4);
        Ok(())
    }

    #[test]
    fn defaults_apply_unless_the_job_has_its_own_or_opts_out() -> Result<(), String> {
        let default = yaml("image: d\nbefore_script: [setup]")?;
        let config = yaml("cache: {key: k}\nimage: global")?;
        let keys =
            |n: &Node| -> Vec<String> { n.entries().iter().map(|e| e.key.clone()).collect() };
        let plain = with_defaults(&yaml("script: [x]")?, &default, &config);
        assert_eq!(keys(&plain), ["script", "image", "before_script", "cache"]);
        assert_eq!(plain.get("image").and_then(Node::as_str), Some("d"));
        let own = with_defaults(&yaml("image: mine")?, &default, &config);
        assert_eq!(own.get("image").and_then(Node::as_str), Some("mine"));
        let out = with_defaults(&yaml("inherit: {default: false}")?, &default, &config);
        assert_eq!(out.get("image").and_then(Node::as_str), Some("global"));
        assert!(out.get("before_script").is_none());
        let some = with_defaults(&yaml("inherit: {default: [image]}")?, &default, &config);
        assert!(some.get("before_script").is_none());
        assert_eq!(some.get("image").and_then(Node::as_str), Some("d"));
        Ok(())
    }

    #[test]
    fn jobs_run_by_rules_else_only_and_except() -> Result<(), String> {
        let plain = job("script: [x]")?;
        assert!(plain.runs(Source::Branch, None));
        assert!(!plain.runs(Source::MergeRequest, None));
        let workflow = yaml("[{when: always}]")?;
        assert!(plain.runs(Source::MergeRequest, Some(&workflow)));
        let only_tags = job("only: [tags]")?;
        assert!(only_tags.runs(Source::Tag, None));
        assert!(!only_tags.runs(Source::Branch, None));
        let except_tags = job("except: [tags]")?;
        assert!(!except_tags.runs(Source::Tag, None));
        assert!(except_tags.runs(Source::Branch, None));
        let mr = job("rules: [{if: '$CI_PIPELINE_SOURCE == \"merge_request_event\"'}]")?;
        assert!(mr.runs(Source::MergeRequest, None));
        assert!(!mr.runs(Source::DefaultBranch, None));
        Ok(())
    }

    #[test]
    fn pipeline_types_follow_workflow_rules_or_mentions() -> Result<(), String> {
        use Source::*;
        let plain = yaml("build: {script: [x]}")?;
        assert_eq!(pipeline_sources(&plain, None), [Branch, DefaultBranch, Tag]);
        let mr = yaml("build: {script: [echo $CI_MERGE_REQUEST_IID]}")?;
        assert_eq!(
            pipeline_sources(&mr, None),
            [MergeRequest, Branch, DefaultBranch, Tag]
        );
        let tags = yaml("[{if: $CI_COMMIT_TAG}]")?;
        assert_eq!(pipeline_sources(&plain, Some(&tags)), [Tag]);
        Ok(())
    }

    #[test]
    fn image_builds_that_push_publish() {
        assert!(image_push(
            "/kaniko/executor --context $CI_PROJECT_DIR --destination $CI_REGISTRY_IMAGE:x"
        ));
        assert!(image_push("docker buildx build --push -t $IMAGE ."));
        assert!(!image_push(
            "/kaniko/executor --context . --no-push --destination image:x"
        ));
        assert!(!image_push("docker buildx build -t image ."));
    }

    /// `except:` drops a job only where it surely applies; `@project` names which project, not
    /// which ref; `only:` with conditions but no refs keeps GitLab's default refs.
    #[test]
    fn only_and_except_refs_as_gitlab_reads_them() -> Result<(), String> {
        use Source::*;
        let docs = job("except: ['/(^docs[\\/-].*|.*-docs$)/']")?;
        assert!(docs.runs(Branch, None) && docs.runs(DefaultBranch, None));
        let one_branch = job("except: [stable-1.0]")?;
        assert!(one_branch.runs(Branch, None));
        let not_master = job("except: ['master@tezos/tezos']")?;
        assert!(!not_master.runs(DefaultBranch, None));
        assert!(not_master.runs(Branch, None));
        let master = job("only: ['master@tezos/tezos']")?;
        assert!(master.runs(DefaultBranch, None));
        assert!(!master.runs(Branch, None));
        let forks_too = job("only: ['/.*/@gitlab-org/gitlab-runner']")?;
        assert!(forks_too.runs(Branch, None) && forks_too.runs(Tag, None));
        let by_variable = job("only: {variables: [$ENABLED]}")?;
        assert!(by_variable.runs(Branch, None) && by_variable.runs(Tag, None));
        assert!(!by_variable.runs(MergeRequest, None));
        let except_tags = job("except: [tags]")?;
        assert!(!except_tags.runs(Tag, None));
        let except_changes = job("except: {refs: [tags], changes: [docs/*]}")?;
        assert!(except_changes.runs(Tag, None));
        assert_eq!(strip_project("/^foo@bar$/"), "/^foo@bar$/");
        Ok(())
    }

    #[test]
    fn scheduled_and_web_pipelines_exist_when_a_job_is_reserved_for_them() -> Result<(), String> {
        use Source::*;
        let sched = yaml(
            "tag: {rules: [{if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == \"schedule\"'}], script: [x]}",
        )?;
        assert_eq!(
            pipeline_sources(&sched, None),
            [Branch, DefaultBranch, Tag, Schedule]
        );
        let web = yaml("release: {only: [web], script: [x]}")?;
        assert_eq!(
            pipeline_sources(&web, None),
            [Branch, DefaultBranch, Tag, Web]
        );
        // A schedule runs on a ref its owner chose: the default branch is possible, not known.
        let j = job(
            "rules: [{if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == \"schedule\"'}]",
        )?;
        assert!(j.runs(Schedule, None));
        assert!(!j.runs(DefaultBranch, None));
        assert!(!j.runs(MergeRequest, None));
        // Named by no rule, they are the default-branch pipeline over again: not modelled.
        let main_only = yaml("[{if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH}]")?;
        assert_eq!(
            pipeline_sources(&sched, Some(&main_only)),
            [DefaultBranch, Schedule]
        );
        let plain = yaml("build: {script: [x]}")?;
        assert_eq!(pipeline_sources(&plain, Some(&main_only)), [DefaultBranch]);
        let default_only = job("rules: [{if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH}]")?;
        assert!(default_only.runs(Web, None));
        assert!(!default_only.runs(Branch, None));
        let on_branch = job("rules: [{if: $CI_COMMIT_BRANCH}]")?;
        assert!(on_branch.runs(Schedule, None));
        assert!(!on_branch.runs(Tag, None));
        Ok(())
    }

    #[test]
    fn order_and_artifacts_follow_needs_dependencies_and_stages() -> Result<(), String> {
        let stages = stages(&yaml("x: 1")?);
        let named = |name: &str, text: &str| -> Result<Job, String> {
            Ok(Job {
                name: name.to_owned(),
                ..job(text)?
            })
        };
        let build = named("build", "stage: build")?;
        let lint = named("lint", "stage: test")?;
        let deploy = named("deploy", "stage: deploy")?;
        let here = [&build, &lint, &deploy];
        assert_eq!(needed(&deploy, &here, &stages), ["build", "lint"]);
        assert_eq!(needed(&build, &here, &stages), Vec::<String>::new());
        let pinned = named("deploy", "needs: [build, {job: lint, artifacts: false}]")?;
        let needs = needed(&pinned, &here, &stages);
        assert_eq!(needs, ["build", "lint"]);
        assert_eq!(artifact_sources(&pinned.node, &needs), ["build"]);
        let deps = yaml("dependencies: [lint]")?;
        assert_eq!(artifact_sources(&deps, &needs), ["lint"]);
        assert_eq!(artifact_sources(&deploy.node, &needs), ["build", "lint"]);
        Ok(())
    }

    #[test]
    fn caches_are_kept_apart_as_gitlab_keeps_them() -> Result<(), String> {
        let node = yaml(
            "cache:\n  - {key: deps}\n  - {key: $CI_COMMIT_REF_SLUG, policy: pull}\n  - {key: {files: [Cargo.lock], prefix: rs}, unprotect: true, policy: push}\n",
        )?;
        let list = caches(&node);
        assert_eq!(list.len(), 3);
        let uses: Vec<_> = list
            .iter()
            .map(|c| {
                let u = cache_use(c, Source::Branch, "build");
                (u.resource, u.pulls, u.pushes, u.shared)
            })
            .collect();
        assert_eq!(
            uses[0],
            ("cache deps (unprotected refs)".to_owned(), true, true, true)
        );
        assert_eq!(
            uses[1],
            (
                "cache $CI_COMMIT_REF_SLUG (branch)".to_owned(),
                true,
                false,
                false
            )
        );
        assert_eq!(
            uses[2],
            ("cache rsfiles:Cargo.lock".to_owned(), false, true, false)
        );
        let protected = cache_use(list[0], Source::DefaultBranch, "build");
        assert_eq!(protected.resource, "cache deps (protected refs)");
        let per_job = yaml("cache: {key: $CI_JOB_NAME-deps}")?;
        let per_job = cache_use(caches(&per_job)[0], Source::Branch, "build");
        assert_eq!(per_job.key, "build-deps");
        assert_eq!(caches(&yaml("cache: {key: k}")?).len(), 1);
        assert!(caches(&yaml("script: [x]")?).is_empty());
        Ok(())
    }

    #[test]
    fn credentials_are_secrets_id_tokens_and_undefined_secret_variables() -> Result<(), String> {
        let node = yaml(
            "secrets: {DB: {vault: db/pw}}\nid_tokens: {AWS: {aud: sts}}\nvariables: {LOCAL_TOKEN: x}\n",
        )?;
        let script = ["push $NPM_TOKEN $LOCAL_TOKEN $CI_JOB_TOKEN $HOME".to_owned()];
        assert_eq!(
            credentials(&node, &script),
            ["DB", "OIDC id token AWS", "NPM_TOKEN"]
        );
        Ok(())
    }

    /// One `.gitlab-ci.yml` imported and checked for `persona` (also the cache rules' tests).
    pub(crate) fn check(text: &str, persona: crate::Persona) -> Result<crate::Decision, String> {
        let files = [crate::SourceFile {
            name: ".gitlab-ci.yml",
            text,
        }];
        let p = crate::Pipeline::import(&files, Some(crate::PipelineFormat::Gitlab))
            .map_err(|e| e.to_string())?;
        Ok(crate::Policy::builtin()
            .check_pipeline(&p)
            .for_persona(persona))
    }

    /// A deploy in a pipeline on an unprotected ref (a review app, or any environment) rests on
    /// the environment and its credentials being unprotected: pedantic, with the assumption.
    #[test]
    fn deploys_on_unprotected_refs_are_pedantic() -> Result<(), String> {
        use crate::Persona::{Pedantic, Regular};
        let deploy = |env: &str| {
            format!(
                "build: {{stage: build, script: [make], artifacts: {{paths: [out]}}}}\nreview:\n  stage: deploy\n  script: [./deploy out]\n  environment: {{name: '{env}'}}\n"
            )
        };
        let code = "pipeline/deploy-from-untrusted-build";
        let found = |d: &crate::Decision| {
            d.violations()
                .iter()
                .filter(|v| v.code == code)
                .map(|v| v.facts["node"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        };
        for env in ["review/$CI_COMMIT_REF_SLUG", "staging"] {
            let text = deploy(env);
            assert!(
                found(&check(&text, Regular)?).is_empty(),
                "{}",
                check(&text, Regular)?
            );
            assert_eq!(found(&check(&text, Pedantic)?), ["review [branch]"]);
        }
        // Its deploy credential too.
        let token = format!(
            "{}  before_script: [echo $REVIEW_DEPLOY_TOKEN]\n",
            deploy("staging")
        );
        assert!(
            check(&token, Regular)?.allowed(),
            "{}",
            check(&token, Regular)?
        );
        assert!(
            check(&token, Pedantic)?
                .violations()
                .iter()
                .any(|v| v.code == "pipeline/credentials-outside-deploy-zone")
        );
        Ok(())
    }

    #[test]
    fn environments_deploy_unless_the_action_says_otherwise() -> Result<(), String> {
        let env = |t: &str| yaml(t).map(|n| deployed_environment(&n));
        assert_eq!(env("environment: prod")?, Some("prod".to_owned()));
        assert_eq!(
            env("environment: {name: prod, action: start}")?,
            Some("prod".to_owned())
        );
        assert_eq!(env("environment: {name: prod, action: prepare}")?, None);
        assert_eq!(env("environment: {name: review/x, action: stop}")?, None);
        assert_eq!(env("script: [x]")?, None);
        Ok(())
    }

    #[test]
    fn a_child_pipeline_is_given_when_every_local_file_is() -> Result<(), String> {
        let files = [SourceFile {
            name: "ci/child.yml",
            text: "",
        }];
        let given = |t: &str| yaml(t).map(|n| child_pipeline_given(&files, &n));
        assert!(given("include: ci/child.yml")?);
        assert!(given("include: [{local: ci/child.yml}]")?);
        assert!(!given(
            "include: [{local: ci/child.yml}, {local: ci/other.yml}]"
        )?);
        assert!(!given("{project: ops/deploy}")?);
        Ok(())
    }

    #[test]
    fn rules_conditions_split_pipeline_types() {
        let mr = "$CI_PIPELINE_SOURCE == \"merge_request_event\"";
        assert_eq!(condition(mr, Source::MergeRequest), Some(true));
        assert_eq!(condition(mr, Source::DefaultBranch), Some(false));
        let main = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH";
        assert_eq!(condition(main, Source::DefaultBranch), Some(true));
        assert_eq!(condition(main, Source::MergeRequest), Some(false));
        assert_eq!(condition("$CI_COMMIT_TAG", Source::Tag), Some(true));
        assert_eq!(condition("$CI_COMMIT_TAG", Source::Branch), Some(false));
        assert_eq!(condition("$CUSTOM == \"x\"", Source::Branch), None);
        assert_eq!(
            condition(&format!("{main} || $CI_COMMIT_TAG"), Source::Tag),
            Some(true)
        );
        assert_eq!(
            condition(&format!("{main} && $CI_COMMIT_TAG"), Source::Branch),
            Some(false)
        );
        // Kleene: false && unknown is false, true || unknown is true, unknown || false unknown.
        assert_eq!(
            condition("$CUSTOM == \"x\" && $CI_COMMIT_TAG", Source::Branch),
            Some(false)
        );
        assert_eq!(
            condition("$CUSTOM == \"x\" || $CI_COMMIT_TAG", Source::Tag),
            Some(true)
        );
        assert_eq!(
            condition("$CUSTOM == \"x\" || $CI_COMMIT_TAG", Source::Branch),
            None
        );
    }

    /// A child pipeline of local files is read when its file is given (its publishing job is
    /// checked), and incomplete when it is not; a downstream project always is.
    #[test]
    fn child_pipelines_are_read_from_the_given_files() -> Result<(), String> {
        let parent = "deploy:\n  trigger:\n    include: ci/child.yml\n    strategy: depend\n";
        let child = "publish:\n  script: [npm publish]\n";
        let policy = crate::Policy::builtin();
        let check = |files: &[crate::SourceFile<'_>]| -> Result<crate::Decision, String> {
            let p = crate::Pipeline::import(files, Some(crate::PipelineFormat::Gitlab))
                .map_err(|e| e.to_string())?;
            Ok(policy.check_pipeline(&p))
        };
        let both = check(&[
            crate::SourceFile {
                name: ".gitlab-ci.yml",
                text: parent,
            },
            crate::SourceFile {
                name: "ci/child.yml",
                text: child,
            },
        ])?;
        assert!(!both.has("import/unsupported"), "{both}");
        assert!(both.has("pipeline/build-publishes"), "{both}");
        let alone = check(&[crate::SourceFile {
            name: ".gitlab-ci.yml",
            text: parent,
        }])?;
        assert!(alone.has("import/incomplete"), "{alone}");
        let downstream = check(&[crate::SourceFile {
            name: ".gitlab-ci.yml",
            text: "deploy:\n  trigger: {project: ops/deploy}\n",
        }])?;
        assert!(
            downstream
                .violations()
                .iter()
                .any(|v| v.message.contains("`ops/deploy`")),
            "{downstream}"
        );
        Ok(())
    }

    #[test]
    fn secret_looking_variables() {
        let mut v = Vec::new();
        variables(
            "docker login -u $CI_REGISTRY_USER -p ${CI_REGISTRY_PASSWORD} $CI_JOB_TOKEN",
            &mut v,
        );
        let secret: Vec<&String> = v.iter().filter(|n| is_secret_variable(n)).collect();
        // Predefined variables hold the job token, not a project's secret.
        assert!(secret.is_empty(), "{secret:?}");
        assert!(is_secret_variable("NPM_TOKEN"));
        assert!(is_secret_variable("CI_DEPLOY_PASSWORD"));
    }
}
