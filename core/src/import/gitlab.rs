//! GitLab CI (`.gitlab-ci.yml` and the files it includes).
//!
//! The given files are merged in order (what `include: local` would pull in, when the included
//! file is among them); `extends`, `default:` and `!reference` tags are resolved; each job is
//! imported once per pipeline type it runs in (merge request, branch, default branch, tag,
//! schedule, manual/web), as decided by `workflow:rules`, `rules`, `only` and `except`.
//! Stages order jobs without `needs`; artifacts flow along `dependencies`/`needs`/stages; caches
//! are keyed and, as GitLab does unless `unprotect: true`, kept apart between protected and
//! unprotected refs.

use globset::Glob;

use super::tree::{Entry, NULL, Node, V};
use super::{ImportError, SourceFile, documents, shape_error};
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
            "$CI_COMMIT_BRANCH" => Some(matches!(s, Source::Branch | Source::DefaultBranch)),
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

fn refs_match(refs: &[String], s: Source) -> bool {
    refs.iter().any(|r| match r.as_str() {
        "merge_requests" | "external_pull_requests" => s == Source::MergeRequest,
        "branches" => matches!(s, Source::Branch | Source::DefaultBranch),
        "tags" => s == Source::Tag,
        "schedules" => s == Source::Schedule,
        "web" | "api" | "triggers" | "pipelines" | "chat" => s == Source::Web,
        "pushes" => matches!(s, Source::Branch | Source::DefaultBranch | Source::Tag),
        "main" | "master" => s == Source::DefaultBranch,
        other if other.starts_with('/') => {
            matches!(s, Source::Branch | Source::DefaultBranch | Source::Tag)
        }
        _ => matches!(s, Source::Branch),
    })
}

fn only_refs(node: &Node) -> Vec<String> {
    match &node.v {
        V::Map(_) => node.get("refs").map(Node::strings).unwrap_or_default(),
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
        let Some(include) = doc.get("include") else {
            continue;
        };
        let items: Vec<&Node> = match &include.v {
            V::Seq(items) => items.iter().collect(),
            _ => vec![include],
        };
        for item in items {
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
    let glob = Glob::new(&format!("**/{want}"))
        .ok()
        .map(|g| g.compile_matcher());
    files.iter().any(|f| {
        let name = f.name.replace('\\', "/");
        name == want
            || name.ends_with(&format!("/{want}"))
            || glob.as_ref().is_some_and(|g| g.is_match(&name))
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
    [
        "_TOKEN",
        "_PASSWORD",
        "_SECRET",
        "_PRIVATE_KEY",
        "_API_KEY",
        "_CREDENTIALS",
        "_PASS",
    ]
    .iter()
    .any(|s| n.ends_with(s))
        || matches!(n.as_str(), "TOKEN" | "PASSWORD" | "SECRET")
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
    // Read every file; the first document that is not a `spec:` header is the configuration.
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
    if let Some(e) =
        ImportError::from_files(errors.into_iter().flat_map(|e| e.into_files()).collect())
    {
        return Err(e);
    }

    // Includes that name none of the given files are reported where they are written.
    for (i, doc) in &configs {
        b.file(files[*i].name);
        let Some(include) = doc.get("include") else {
            continue;
        };
        let items: Vec<&Node> = match &include.v {
            V::Seq(items) => items.iter().collect(),
            _ => vec![include],
        };
        for item in items {
            let (local, kind) = match (&item.v, item.get("local")) {
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
            };
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

    // One configuration: the files merged in the order given.
    let mut config = Node {
        loc: None,
        tag: None,
        v: V::Map(Vec::new()),
    };
    let mut owner: Vec<(String, usize)> = Vec::new();
    for (i, doc) in &configs {
        for e in doc.entries() {
            owner.retain(|(k, _)| k != &e.key);
            owner.push((e.key.clone(), *i));
        }
        config = merge(&config, doc);
    }
    let file_of = |key: &str| {
        owner
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, i)| files[*i].name)
            .unwrap_or_default()
    };

    let stages: Vec<String> = match config.get("stages") {
        Some(s) => {
            let mut v = vec![".pre".to_owned()];
            v.extend(s.strings());
            v.push(".post".to_owned());
            v
        }
        None => [".pre", "build", "test", "deploy", ".post"]
            .map(str::to_owned)
            .to_vec(),
    };
    let default = config.get("default").cloned().unwrap_or(NULL.clone());
    let workflow_rules = config.get("workflow").and_then(|w| w.get("rules")).cloned();

    let mut reader = Reader {
        config: &config,
        b,
        budget: EXPANSION_BUDGET,
    };
    struct Job {
        name: String,
        file: String,
        loc: Option<Location>,
        node: Node,
    }
    let mut jobs: Vec<Job> = Vec::new();
    for e in config.entries() {
        if GLOBAL.contains(&e.key.as_str()) || e.key.starts_with('.') || !e.value.is_map() {
            if !GLOBAL.contains(&e.key.as_str()) && !e.key.starts_with('.') {
                reader.b.file(file_of(&e.key));
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
        reader.b.file(file_of(&e.key));
        let merged = reader.extended(&e.key, &e.value, 0);
        // `default:` applies unless the job says otherwise or opts out with `inherit`.
        let inherit = merged.get("inherit").and_then(|i| i.get("default"));
        let mut node = merged.clone();
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
        let node = reader.references(&node, &e.key, 0);
        for k in node.entries() {
            if !JOB_KEYS.contains(&k.key.as_str()) {
                reader.b.unsupported(
                    k.key_loc.or(e.key_loc),
                    format!("{}.{}", e.key, k.key),
                    format!(
                        "`{}` is not a job keyword lockkeeper knows; what it does is not checked",
                        k.key
                    ),
                );
            }
        }
        if let Some(t) = node.get("trigger") {
            // A child pipeline from local files that were given is read with the given files
            // (one configuration, the parent's pipeline types); anything else was not given.
            let child: Vec<Option<String>> = match t.get("include").map(|i| &i.v) {
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
            let read = child
                .iter()
                .all(|c| c.as_ref().is_some_and(|l| given_local(files, l)));
            if !read {
                let what = match t.get("project").and_then(Node::scalar).or_else(|| t.scalar()) {
                    Some(project) => format!(
                        "a trigger job starts a downstream pipeline in project `{project}`, whose configuration was not given; its jobs are not checked"
                    ),
                    None => "a trigger job starts a child pipeline whose files are not among the given files (give them: a child pipeline of local files is read with the parent's pipeline types); its jobs are not checked".to_owned(),
                };
                reader
                    .b
                    .unsupported(t.loc.or(e.key_loc), format!("{}.trigger", e.key), what);
            }
        }
        if let Some(needs) = node.get("needs") {
            for n in needs.items() {
                if n.get("project").is_some() || n.get("pipeline").is_some() {
                    reader.b.unsupported(
                        n.loc,
                        format!("{}.needs", e.key),
                        "`needs` from another project or pipeline: what it brings in is not checked",
                    );
                }
            }
        }
        jobs.push(Job {
            name: e.key.clone(),
            file: file_of(&e.key).to_owned(),
            loc: e.key_loc,
            node,
        });
    }
    let b = reader.b;

    // Which pipeline types exist, and which job runs in which.
    let mentions_mr = config_mentions_mr(&config);
    let sources: Vec<Source> = Source::ALL
        .into_iter()
        .filter(|s| match &workflow_rules {
            Some(r) => rules_allow(r, *s),
            None => match s {
                Source::MergeRequest => mentions_mr,
                Source::Schedule | Source::Web => false,
                _ => true,
            },
        })
        .collect();
    let runs = |job: &Job, s: Source| -> bool {
        if let Some(rules) = job.node.get("rules") {
            return rules_allow(rules, s);
        }
        if let Some(only) = job.node.get("only") {
            if !refs_match(&only_refs(only), s) {
                return false;
            }
        } else if s == Source::MergeRequest && workflow_rules.is_none() {
            // Without rules or only, jobs run in branch and tag pipelines; merge-request
            // pipelines get them only when `workflow:rules` creates such pipelines.
            return false;
        }
        if let Some(except) = job.node.get("except")
            && refs_match(&only_refs(except), s)
        {
            return false;
        }
        true
    };
    let stage_of = |job: &Job| {
        let st = job
            .node
            .get("stage")
            .and_then(Node::scalar)
            .unwrap_or_else(|| "test".to_owned());
        stages.iter().position(|x| *x == st).unwrap_or(stages.len())
    };
    let active: Vec<Source> = sources
        .iter()
        .copied()
        .filter(|s| jobs.iter().any(|j| runs(j, *s)))
        .collect();
    let mut shared_keys = super::gitlab_cache::SharedKeys::default();
    for s in &active {
        let sfx = if active.len() > 1 {
            format!(" [{}]", s.key())
        } else {
            String::new()
        };
        let here: Vec<&Job> = jobs.iter().filter(|j| runs(j, *s)).collect();
        for job in &here {
            b.file(&job.file);
            let node = &job.node;
            let name = format!("{}{sfx}", job.name);
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
            let publishes =
                node.get("release").is_some() || script.iter().any(|l| super::publishes(l, &[]));
            let mut jb = b
                .job(&name)
                .at(job.loc)
                .context(&format!("gitlab/{}", s.key()))
                .publishes(publishes)
                .runs_repo_code(!git_none && !script.is_empty())
                .note("job", serde_json::json!(job.name));
            if s.unprotected_ref() {
                jb = unprotected_ref_notes(jb);
            }

            // Order and artifacts.
            let my_stage = stage_of(job);
            let explicit_needs = node.get("needs");
            let needed: Vec<String> = match explicit_needs {
                Some(n) => n
                    .items()
                    .iter()
                    .filter_map(|i| i.scalar().or_else(|| i.get("job").and_then(Node::scalar)))
                    .collect(),
                None => here
                    .iter()
                    .filter(|o| stage_of(o) < my_stage)
                    .map(|o| o.name.clone())
                    .collect(),
            };
            for n in &needed {
                if here.iter().any(|o| &o.name == n) {
                    jb = jb.need(&format!("{n}{sfx}"));
                }
            }
            let artifact_sources: Vec<String> = match node.get("dependencies") {
                Some(d) => d.strings(),
                None => match explicit_needs {
                    Some(n) => n
                        .items()
                        .iter()
                        .filter(|i| i.get("artifacts").and_then(Node::as_bool) != Some(false))
                        .filter_map(|i| i.scalar().or_else(|| i.get("job").and_then(Node::scalar)))
                        .collect(),
                    None => needed.clone(),
                },
            };
            for a in &artifact_sources {
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

            // Caches.
            if let Some(cache) = node.get("cache") {
                let list: Vec<&Node> = match &cache.v {
                    V::Seq(items) => items.iter().collect(),
                    V::Map(_) => vec![cache],
                    _ => Vec::new(),
                };
                for c in list {
                    let key = match c.get("key") {
                        Some(k) if k.is_map() => {
                            let files = k.get("files").map(Node::strings).unwrap_or_default();
                            let prefix = k.get("prefix").and_then(Node::scalar).unwrap_or_default();
                            format!("{prefix}files:{}", files.join(","))
                        }
                        Some(k) => k.scalar().unwrap_or_default(),
                        None => "default".to_owned(),
                    };
                    let key = super::gitlab_cache::expand_job_name(&key, &job.name);
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
                    if policy.contains("pull") {
                        if !per_ref && !unprotect && s.protected() {
                            shared_keys.protected_reads(&key, &job.name, &job.file, job.loc);
                        }
                        jb = jb.consume(ResourceKind::Cache, &resource);
                    }
                    if policy.contains("push") {
                        jb = jb.produce(ResourceKind::Cache, &resource);
                        if !per_ref && !unprotect && s.unprotected_ref() {
                            shared_keys.unprotected_writes(&key, &job.name);
                        }
                    }
                }
            }

            // Credentials.
            if let Some(secrets) = node.get("secrets") {
                for e in secrets.entries() {
                    jb = jb.secret(&e.key);
                }
            }
            if let Some(tokens) = node.get("id_tokens") {
                for e in tokens.entries() {
                    jb = jb.secret(&format!("OIDC id token {}", e.key));
                }
            }
            let mut vars = Vec::new();
            for line in &script {
                variables(line, &mut vars);
            }
            let defined: Vec<String> = node
                .get("variables")
                .map(|v| v.entries().iter().map(|e| e.key.clone()).collect())
                .unwrap_or_default();
            for v in vars {
                if is_secret_variable(&v) && !defined.contains(&v) {
                    jb = jb.secret(&v);
                }
            }

            // Deploys.
            if let Some(env) = node.get("environment") {
                let (env_name, action) = match &env.v {
                    V::Map(_) => (
                        env.get("name").and_then(Node::scalar),
                        env.get("action").and_then(Node::scalar),
                    ),
                    _ => (env.scalar(), None),
                };
                let deploys = !matches!(action.as_deref(), Some("prepare" | "verify" | "access"));
                if let (Some(n), true) = (env_name, deploys) {
                    jb.deploys(&n);
                }
            }
        }
    }
    shared_keys.report(b);
    Ok(())
}

/// What a credential in a pipeline on an unprotected ref means on GitLab. A fork's merge
/// request runs in the fork, without this project's variables, unless a member runs its
/// pipeline here, and then with the fork's own `.gitlab-ci.yml`: this file's rules do not decide
/// what such a run reads. Every other run on an unprotected ref is a member's code (pushing a
/// branch needs the Developer role). A variable reaches these runs only when it is not
/// protected, so a job here that needs one is a design finding (pedantic), as GitHub's
/// same-repository pull requests are.
fn unprotected_ref_notes(jb: crate::pipeline::JobBuilder<'_>) -> crate::pipeline::JobBuilder<'_> {
    jb.note(
        "persona_by_code",
        serde_json::json!({
            "pipeline/secret-not-allowed": "pedantic",
            "pipeline/build-publishes": "pedantic",
        }),
    )
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
mod tests {
    use super::*;

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
        let policy = crate::Policy::builtin().map_err(|e| format!("{e:?}"))?;
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
