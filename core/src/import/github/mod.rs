//! GitHub Actions workflows (`.github/workflows/*.yml`).
//!
//! The typed reading is `github-actions-models` (the models zizmor is built on); positions and
//! unknown keys come from the located YAML tree. Each job is imported once per *trigger
//! context* it runs in (`pull_request`, `push (default branch)`, `pull_request_target`, ...),
//! because the same job holds different privileges in each. The GitHub classics become
//! trust flow:
//!
//! * a `pull_request_target` / `workflow_run` / `issue_comment` job that checks out the pull
//!   request's head, downloads the triggering run's artifacts, or pastes attacker-controlled
//!   event text into a script *consumes* output of an untrusted job (`pipeline/tainted-input`
//!   when the job holds secrets or write permissions, which puts it in a trusted zone);
//! * caches live in one scope shared by every run on the default branch (and by those
//!   privileged events), so a tainted job that saves a cache taints every job that restores it.

mod expressions;
mod injection;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use github_actions_models::common::{BasePermission, Permission, Permissions, Uses};
use github_actions_models::workflow::job::{NormalJob, ReusableWorkflowCallJob, Secrets};
use github_actions_models::workflow::{Job as GhJob, Workflow};

use super::tree::{Node, V};
use super::{ImportError, SourceFile, documents, shape_error};
use crate::pipeline::{PipelineBuilder, ResourceKind};
use crate::source::Location;

/// Events whose workflow runs from the default branch with the base repository's privileges,
/// while the event itself carries untrusted input.
const PRIVILEGED: [&str; 6] = [
    "pull_request_target",
    "workflow_run",
    "issue_comment",
    "issues",
    "discussion",
    "discussion_comment",
];

/// Actions that publish to a package registry or a release.
const PUBLISH_ACTIONS: [&str; 10] = [
    "pypa/gh-action-pypi-publish",
    "softprops/action-gh-release",
    "actions/create-release",
    "actions/upload-release-asset",
    "ncipollo/release-action",
    "svenstaro/upload-release-action",
    "goreleaser/goreleaser-action",
    "js-devtools/npm-publish",
    "peaceiris/actions-gh-pages",
    "katyo/publish-crates",
];

// `on` may come back as `true`: YAML 1.1 reads the bare word as a boolean.
const WORKFLOW_KEYS: [&str; 9] = [
    "true",
    "name",
    "run-name",
    "on",
    "permissions",
    "env",
    "defaults",
    "concurrency",
    "jobs",
];

const JOB_KEYS: [&str; 20] = [
    "name",
    "permissions",
    "needs",
    "if",
    "runs-on",
    "environment",
    "concurrency",
    "outputs",
    "env",
    "defaults",
    "steps",
    "timeout-minutes",
    "strategy",
    "continue-on-error",
    "container",
    "services",
    "uses",
    "with",
    "secrets",
    "cache-mode",
];

const STEP_KEYS: [&str; 14] = [
    "id",
    "if",
    "name",
    "uses",
    "run",
    "shell",
    "with",
    "env",
    "continue-on-error",
    "timeout-minutes",
    "working-directory",
    "background",
    "wait",
    "parallel",
];

/// One trigger context of a workflow.
#[derive(Clone, Debug)]
struct Context {
    /// Context key after `github/`, e.g. `push (default branch)`.
    key: String,
    /// The event name.
    event: String,
    /// Runs default-branch code with the base repository's privileges on untrusted input.
    privileged: bool,
    /// Its runs read and write the cache scope of the default branch.
    default_scope: bool,
    /// Runs for a tag.
    tag: bool,
}

fn is_default_branch(pattern: &str) -> bool {
    let p = pattern.trim();
    matches!(
        p,
        "main" | "master" | "trunk" | "develop" | "default" | "$default-branch"
    ) || ["release", "stable", "maint", "hotfix"]
        .iter()
        .any(|s| p.starts_with(s))
}

/// The contexts a workflow's `on` gives its jobs.
fn contexts(on: &Node) -> Vec<Context> {
    let mut events: Vec<(String, &Node)> = Vec::new();
    match &on.v {
        V::Str(s) => events.push((s.clone(), &super::tree::NULL)),
        V::Seq(items) => events.extend(
            items
                .iter()
                .filter_map(Node::scalar)
                .map(|s| (s, &super::tree::NULL)),
        ),
        V::Map(entries) => events.extend(entries.iter().map(|e| (e.key.clone(), &e.value))),
        _ => {}
    }
    let mut out = Vec::new();
    for (event, body) in events {
        let mk = |key: String, default_scope: bool, tag: bool| Context {
            key,
            event: event.clone(),
            privileged: PRIVILEGED.contains(&event.as_str()),
            default_scope,
            tag,
        };
        match event.as_str() {
            "push" => {
                let branches = body.get("branches").map(Node::strings);
                let tags = body.get("tags").map(Node::strings);
                let any_branch_filter =
                    body.get("branches").is_some() || body.get("branches-ignore").is_some();
                let any_tag_filter = tags.is_some() || body.get("tags-ignore").is_some();
                if let Some(b) = &branches {
                    if !b.is_empty() && b.iter().all(|p| is_default_branch(p)) {
                        out.push(mk("push (default branch)".into(), true, false));
                    } else if !b.is_empty() {
                        out.push(mk("push".into(), false, false));
                    }
                } else if body.get("branches-ignore").is_some() || !any_tag_filter {
                    out.push(mk("push".into(), false, false));
                }
                if any_tag_filter || !any_branch_filter {
                    out.push(mk("push (tags)".into(), false, true));
                }
            }
            "pull_request"
            | "pull_request_review"
            | "pull_request_review_comment"
            | "merge_group" => out.push(mk(event.clone(), false, false)),
            "release" | "create" => out.push(mk(event.clone(), false, true)),
            // Called by a workflow not given: the caller's context (and so its cache scope)
            // is unknown; its jobs are checked for the auditor only.
            "workflow_call" => out.push(mk(event.clone(), false, false)),
            _ => out.push(mk(event.clone(), true, false)),
        }
    }
    out
}

/// Whether a job-level `if:` can hold in a context, for the conditions people write to split
/// jobs by event; anything else is assumed to hold.
fn runs_in(condition: &str, ctx: &Context) -> bool {
    let c = condition
        .trim()
        .trim_start_matches("${{")
        .trim_end_matches("}}")
        .trim();
    if c.contains("||") {
        return true;
    }
    let squash = |s: &str| s.replace([' ', '"'], "").replace('\'', "\"");
    for part in c.split("&&") {
        let p = squash(part.trim().trim_start_matches('(').trim_end_matches(')'));
        if let Some(ev) = p.strip_prefix("github.event_name==") {
            if ev.trim_matches('"') != ctx.event {
                return false;
            }
        } else if let Some(ev) = p.strip_prefix("github.event_name!=") {
            if ev.trim_matches('"') == ctx.event {
                return false;
            }
        } else if p.starts_with("startsWith(github.ref,\"refs/tags") {
            if !ctx.tag {
                return false;
            }
        } else if p.starts_with("!startsWith(github.ref,\"refs/tags") {
            if ctx.tag {
                return false;
            }
        } else if let Some(r) = p.strip_prefix("github.ref==\"refs/heads/") {
            let branch = r.trim_end_matches('"');
            if ctx.tag
                || ctx.event.starts_with("pull_request") && ctx.event != "pull_request_target"
            {
                return false;
            }
            if ctx.key == "push" && is_default_branch(branch) {
                // A push to any branch includes the default one; keep it.
            }
        }
    }
    true
}

fn tolerant(condition: &str) -> bool {
    condition.contains("always()")
        || condition.contains("!cancelled()")
        || condition.contains("failure()")
}

/// `secrets.NAME` and `secrets['NAME']` references in a text.
fn secret_refs(text: &str, out: &mut Vec<String>) {
    let mut rest = text;
    while let Some(i) = rest.find("secrets") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "secrets".len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
            continue;
        }
        let name: String = if let Some(r) = rest.strip_prefix('.') {
            r.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect()
        } else if let Some(r) = rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")) {
            r.chars()
                .take_while(|c| *c != '\'' && *c != '"' && *c != ']')
                .collect()
        } else {
            continue;
        };
        if !name.is_empty() && name != "GITHUB_TOKEN" && !out.contains(&name) {
            out.push(name);
        }
    }
}

/// Whether a `ref`/`repository` input or a command fetches the pull request's head.
fn untrusted_ref(text: &str) -> bool {
    const HEAD: [&str; 9] = [
        "github.event.pull_request.head.sha",
        "github.event.pull_request.head.ref",
        "github.event.pull_request.head.repo",
        "github.head_ref",
        "github.event.workflow_run.head_sha",
        "github.event.workflow_run.head_branch",
        "github.event.workflow_run.head_repository",
        "github.event.issue.pull_request",
        "refs/pull/",
    ];
    HEAD.iter().any(|h| text.contains(h))
}

fn fetches_pr_head(run: &str) -> bool {
    run.contains("gh pr checkout")
        || run.contains("git fetch") && (run.contains("pull/") || untrusted_ref(run))
        || run.contains("git checkout") && untrusted_ref(run)
}

/// The cache key of an artifact name with expressions: each expression matches anything.
fn name_pattern(name: &str) -> String {
    let mut out = String::new();
    let mut rest = name;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        out.push('*');
        rest = rest[i..]
            .find("}}")
            .map(|j| &rest[i + j + 2..])
            .unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Glob match with `*` only (enough for artifact names and patterns).
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !text.starts_with(part) {
                return false;
            }
            pos = part.len();
        } else if i == parts.len() - 1 {
            return text.len() >= pos + part.len() && text[pos..].ends_with(part);
        } else {
            match text[pos..].find(part) {
                Some(k) => pos += k + part.len(),
                None => return false,
            }
        }
    }
    true
}

fn names_match(a: &str, b: &str) -> bool {
    wildcard(a, b) || wildcard(b, a)
}

/// What the importer learnt about one job, independent of context.
#[derive(Default)]
struct JobFacts {
    secrets: Vec<String>,
    write_token: Option<bool>,
    id_token: bool,
    inherit_secrets: bool,
    environment: Option<String>,
    publishes: bool,
    checks_out: bool,
    runs_code: bool,
    pr_head: bool,
    downloads_run: bool,
    /// Downloads another run's artifacts to a temporary directory, read as data only.
    downloads_data: bool,
    /// What keeps outsiders out of the job, when something does.
    gate: Option<String>,
    /// The gate of the step that checks out the pull request's head, when only such a step does.
    pr_head_gate: Option<String>,
    injections: Vec<injection::Injection>,
    cache_restore: bool,
    cache_save: bool,
    uploads: Vec<String>,
    downloads: Vec<Option<String>>,
    has_outputs: bool,
    needs: Vec<String>,
    condition: Option<String>,
}

fn permissions_facts(p: &Permissions, f: &mut JobFacts) {
    match p {
        Permissions::Base(BasePermission::Default) => {}
        Permissions::Base(BasePermission::ReadAll) => f.write_token = Some(false),
        Permissions::Base(BasePermission::WriteAll) => {
            f.write_token = Some(true);
            f.id_token = true;
        }
        Permissions::Explicit(map) => {
            f.write_token = Some(
                map.iter()
                    .any(|(k, v)| k != "id-token" && *v == Permission::Write),
            );
            f.id_token = map.get("id-token").is_some_and(|v| *v == Permission::Write);
        }
    }
}

fn with_str<'a>(step: &'a Node, key: &str) -> Option<&'a str> {
    step.get("with")
        .and_then(|w| w.get(key))
        .and_then(Node::as_str)
}

fn with_scalar(step: &Node, key: &str) -> Option<String> {
    step.get("with")
        .and_then(|w| w.get(key))
        .and_then(Node::scalar)
}

/// The literal `env:` bindings of a node, added to `into`.
fn env_map(node: Option<&Node>, into: &mut BTreeMap<String, String>) {
    for e in node.map(Node::entries).unwrap_or_default() {
        into.insert(e.key.clone(), e.value.scalar().unwrap_or_default());
    }
}

/// Whether a download path is outside the workspace (a temporary directory), so the files
/// are read as data rather than run or built as the repository.
fn outside_workspace(path: &str) -> bool {
    let p = path.trim();
    p.starts_with("${{ runner.temp }}")
        || p.starts_with("${{runner.temp}}")
        || p.starts_with("/tmp")
        || p.starts_with("$RUNNER_TEMP")
        || p.starts_with("${RUNNER_TEMP}")
}

/// Local composite actions given among the files: the directory each is in (as a
/// `uses: ./dir` names it) and its `runs` node, whose steps run as if written in the job.
type LocalActions = Vec<(String, Node)>;

fn is_action_file(name: &str) -> bool {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    file == "action.yml" || file == "action.yaml"
}

fn local_actions(files: &[SourceFile<'_>]) -> LocalActions {
    let mut out = Vec::new();
    for f in files.iter().filter(|f| is_action_file(f.name)) {
        let Ok(docs) = super::tree::parse(f.text) else {
            continue;
        };
        if let Some(doc) = docs.into_iter().find(|d| !d.is_null())
            && let Some(runs) = doc.get("runs")
        {
            let name = f.name.replace('\\', "/");
            let dir = name
                .rsplit_once('/')
                .map(|(d, _)| d)
                .unwrap_or("")
                .to_owned();
            out.push((dir, runs.clone()));
        }
    }
    out
}

/// Reads the steps of a normal job (or of a local composite action it uses, to a small depth).
fn step_facts(
    node: &Node,
    f: &mut JobFacts,
    base_env: &BTreeMap<String, String>,
    actions: &LocalActions,
    depth: u8,
) {
    let mut job_env = base_env.clone();
    env_map(node.get("env"), &mut job_env);
    for step in node.get("steps").map(Node::items).unwrap_or_default() {
        let mut env = job_env.clone();
        env_map(step.get("env"), &mut env);
        let resolve = |name: &str| env.get(name).cloned();
        let uses_raw = step.get("uses").and_then(Node::as_str).unwrap_or_default();
        let text = step
            .get("run")
            .and_then(Node::scalar)
            .or_else(|| with_scalar(step, "script"))
            .unwrap_or_default();
        if f.gate.is_none()
            && expressions::permission_check(uses_raw.split('@').next().unwrap_or_default(), &text)
        {
            f.gate = Some("collaborator permission check".into());
        }
        if f.gate.is_none()
            && let Some(g) = step
                .get("if")
                .and_then(Node::scalar)
                .and_then(|c| expressions::gate(&c))
            && step
                .get("run")
                .is_some_and(|r| r.scalar().is_some_and(|t| t.contains("exit 1")))
        {
            // A step that fails the job unless the gate holds gates the rest of the job.
            f.gate = Some(g.into());
        }
        if let Some(run) = step.get("run").and_then(Node::scalar) {
            f.runs_code = true;
            if super::publishes(&run, &[]) {
                f.publishes = true;
            }
            if fetches_pr_head(&run) {
                f.pr_head = true;
            }
            if run.contains("gh run download") {
                f.downloads_run = true;
            }
        }
        let Some(raw) = step.get("uses").and_then(Node::as_str) else {
            continue;
        };
        let slug = match Uses::parse(raw) {
            Ok(Uses::Repository(r)) => {
                let s = match r.subpath() {
                    Some(sub) => format!("{}/{sub}", r.slug()),
                    None => r.slug().to_owned(),
                };
                s.to_ascii_lowercase()
            }
            Ok(Uses::Local(_)) => {
                // A local action is code from the checked-out workspace; when it is given,
                // its steps (caches, checkouts, publishes) count as the job's.
                f.runs_code = true;
                let wanted = raw.trim_start_matches("./").trim_end_matches('/');
                if depth < 4
                    && let Some((_, runs)) = actions
                        .iter()
                        .find(|(dir, _)| dir == wanted || dir.ends_with(&format!("/{wanted}")))
                {
                    step_facts(runs, f, &env, actions, depth + 1);
                }
                continue;
            }
            Ok(Uses::Docker(_)) | Err(_) => continue,
        };
        let truthy = |k: &str| {
            with_scalar(step, k).is_some_and(|v| !v.is_empty() && v != "false" && v != "''")
        };
        match slug.as_str() {
            "actions/checkout" => {
                f.checks_out = true;
                let r = with_str(step, "ref").unwrap_or_default();
                let repo = with_str(step, "repository").unwrap_or_default();
                // Fail closed: a ref or repository not provably the base repository's (a step
                // output, an input, an env value set elsewhere, event fields) is the pull
                // request's as far as a privileged job is concerned.
                if untrusted_ref(r)
                    || untrusted_ref(repo)
                    || !expressions::provably_base(r, &resolve, 0)
                    || !expressions::provably_base(repo, &resolve, 0)
                    || truthy("allow-unsafe-pr-checkout")
                {
                    // A checkout that only happens behind a gate of its own (`if:` on the
                    // step) is the gated flow, decided like a job-level gate.
                    match step
                        .get("if")
                        .and_then(Node::scalar)
                        .and_then(|c| expressions::gate(&c))
                    {
                        Some(g) if !f.pr_head => f.pr_head_gate = Some(g.into()),
                        _ => f.pr_head = true,
                    }
                }
            }
            "actions/cache" => {
                f.cache_restore = true;
                f.cache_save = true;
            }
            "actions/cache/restore" => f.cache_restore = true,
            "actions/cache/save" => f.cache_save = true,
            "actions/setup-node"
            | "actions/setup-python"
            | "actions/setup-java"
            | "actions/setup-dotnet"
            | "actions/setup-go"
            | "astral-sh/setup-uv"
            | "ruby/setup-ruby" => {
                // Setup actions cache when asked (setup-go unless told not to).
                let on = match slug.as_str() {
                    "actions/setup-go" => with_scalar(step, "cache").as_deref() != Some("false"),
                    "astral-sh/setup-uv" => truthy("enable-cache"),
                    "ruby/setup-ruby" => truthy("bundler-cache"),
                    _ => truthy("cache"),
                };
                f.cache_restore |= on;
                f.cache_save |= on;
            }
            "satackey/action-docker-layer-caching" | "jpribyl/action-docker-layer-caching" => {
                f.cache_restore = true;
                f.cache_save = with_scalar(step, "skip-save").as_deref() != Some("true");
            }
            "swatinem/rust-cache" | "mozilla-actions/sccache-action" => {
                f.cache_restore = true;
                f.cache_save = with_scalar(step, "save-if").as_deref() != Some("false");
            }
            "actions/upload-artifact" => {
                let name = with_scalar(step, "name").unwrap_or_else(|| "artifact".into());
                f.uploads.push(name_pattern(&name));
            }
            "actions/download-artifact" => {
                if with_str(step, "run-id").is_some() || with_str(step, "github-token").is_some() {
                    if with_str(step, "path").is_some_and(outside_workspace) {
                        f.downloads_data = true;
                    } else {
                        f.downloads_run = true;
                    }
                } else {
                    let name = with_scalar(step, "name").or_else(|| with_scalar(step, "pattern"));
                    f.downloads.push(name.map(|n| name_pattern(&n)));
                }
            }
            "dawidd6/action-download-artifact" => {
                if with_str(step, "path").is_some_and(outside_workspace) {
                    f.downloads_data = true;
                } else {
                    f.downloads_run = true;
                }
            }
            "actions/github-script" => {
                if let Some(script) = with_scalar(step, "script") {
                    if fetches_pr_head(&script) {
                        f.pr_head = true;
                    }
                    if script.contains("downloadArtifact") {
                        f.downloads_run = true;
                    }
                }
            }
            "docker/build-push-action" => {
                f.runs_code = true;
                if with_scalar(step, "push").as_deref() == Some("true") {
                    f.publishes = true;
                }
                let from = with_scalar(step, "cache-from").unwrap_or_default();
                let to = with_scalar(step, "cache-to").unwrap_or_default();
                f.cache_restore |= from.contains("type=gha");
                f.cache_save |= to.contains("type=gha");
            }
            s if PUBLISH_ACTIONS.contains(&s) => f.publishes = true,
            _ => {}
        }
    }
}

fn report_unknown(b: &mut PipelineBuilder, node: &Node, known: &[&str], path: &str, what: &str) {
    for e in node.entries() {
        if !known.contains(&e.key.as_str()) {
            b.unsupported(
                e.key_loc,
                format!("{path}.{}", e.key),
                format!(
                    "`{}` is not a {what} key lockkeeper knows; whatever it does is not checked",
                    e.key
                ),
            );
        }
    }
}

/// For each local reusable workflow (`uses: ./.github/workflows/x.yml`, or the self-repository
/// form `$/.github/workflows/x.yml`) called from the given
/// files: the path it is called by, and the contexts of the callers. A called workflow runs in
/// its caller's context, not in a `workflow_call` context of its own.
fn callers(files: &[SourceFile<'_>]) -> Vec<(String, Context)> {
    let mut out: Vec<(String, Context)> = Vec::new();
    for f in files {
        let Ok(docs) = super::tree::parse(f.text) else {
            continue;
        };
        let Some(doc) = docs.into_iter().find(|d| !d.is_null()) else {
            continue;
        };
        let on = doc
            .get("on")
            .or_else(|| doc.get("true"))
            .unwrap_or(&super::tree::NULL);
        let ctxs = contexts(on);
        for job in doc.get("jobs").map(Node::entries).unwrap_or_default() {
            if let Some(uses) = job.value.get("uses").and_then(Node::as_str)
                && let Some(path) = uses.strip_prefix("./").or_else(|| uses.strip_prefix("$/"))
            {
                let path = path.split('@').next().unwrap_or(path).to_owned();
                // Only the contexts the calling job runs in flow down.
                let condition = job.value.get("if").and_then(Node::scalar);
                for c in ctxs
                    .iter()
                    .filter(|c| condition.as_deref().is_none_or(|x| runs_in(x, c)))
                {
                    if !out.iter().any(|(p, x)| *p == path && x.key == c.key) {
                        out.push((path.clone(), c.clone()));
                    }
                }
            }
        }
    }
    out
}

/// The repository paths a workflow or action names with `uses: ./PATH` (a local action
/// directory, or a reusable workflow file) or the self-repository form `uses: $/PATH`, in jobs,
/// steps and a composite action's `runs.steps`, without the `./` and any `@ref`. Used to find,
/// in a repository, the local actions and reusable workflows that are checked with it.
///
/// ```
/// let text = "on: push\njobs:\n  a:\n    uses: ./.github/workflows/build.yml\n  b:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/setup/\n      - uses: actions/checkout@v4\n";
/// assert_eq!(
///     lockkeeper::import::github::local_uses(text),
///     [".github/workflows/build.yml", ".github/actions/setup"]
/// );
/// ```
pub fn local_uses(text: &str) -> Vec<String> {
    let Ok(docs) = super::tree::parse(text) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    let mut add = |node: &Node| {
        let Some(uses) = node.get("uses").and_then(Node::as_str) else {
            return;
        };
        let Some(path) = uses.strip_prefix("./").or_else(|| uses.strip_prefix("$/")) else {
            return;
        };
        let path = path.split('@').next().unwrap_or(path).trim_end_matches('/');
        if !out.iter().any(|p| p == path) {
            out.push(path.to_owned());
        }
    };
    for doc in &docs {
        for job in doc.get("jobs").map(Node::entries).unwrap_or_default() {
            add(&job.value);
            for step in job.value.get("steps").map(Node::items).unwrap_or_default() {
                add(step);
            }
        }
        let steps = doc.get("runs").and_then(|r| r.get("steps"));
        for step in steps.map(Node::items).unwrap_or_default() {
            add(step);
        }
    }
    out
}

pub(crate) fn import(b: &mut PipelineBuilder, files: &[SourceFile<'_>]) -> Result<(), ImportError> {
    let mut errors = Vec::new();
    let multi = files.len() > 1;
    let called = callers(files);
    let actions = local_actions(files);
    for f in files.iter().filter(|f| !is_action_file(f.name)) {
        let name = f.name.replace('\\', "/");
        let inherited: Vec<Context> = called
            .iter()
            .filter(|(p, _)| name == *p || name.ends_with(&format!("/{p}")))
            .map(|(_, c)| c.clone())
            .collect();
        if let Err(e) = import_file(b, f, multi, &inherited, &actions) {
            errors.extend(e.into_files());
        }
    }
    match ImportError::from_files(errors) {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

fn stem(name: &str) -> &str {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    file.strip_suffix(".yml")
        .or_else(|| file.strip_suffix(".yaml"))
        .unwrap_or(file)
}

fn import_file(
    b: &mut PipelineBuilder,
    f: &SourceFile<'_>,
    multi: bool,
    inherited: &[Context],
    actions: &LocalActions,
) -> Result<(), ImportError> {
    let docs = documents(f)?;
    let Some(doc) = docs.iter().find(|d| !d.is_null()) else {
        return Err(shape_error(
            f.name,
            "the file holds no workflow".into(),
            None,
        ));
    };
    if !doc.is_map() {
        return Err(shape_error(
            f.name,
            format!("a workflow is a mapping, not {}", doc.kind()),
            doc.loc,
        ));
    }
    let options = serde_saphyr::options! { with_snippet: false };
    let workflow: Workflow = serde_saphyr::from_str_with_options(f.text, options).map_err(|e| {
        let loc = e.location().and_then(|l| {
            (l.line() > 0).then(|| Location {
                line: u32::try_from(l.line()).unwrap_or(u32::MAX),
                column: u32::try_from(l.column()).unwrap_or(u32::MAX),
            })
        });
        let message = e.to_string();
        let first = message.lines().next().unwrap_or_default().trim().to_owned();
        shape_error(
            f.name,
            format!("not a valid GitHub Actions workflow: {first}"),
            loc,
        )
    })?;

    b.file(f.name);
    report_unknown(b, doc, &WORKFLOW_KEYS, "(workflow)", "workflow");
    let on = doc
        .get("on")
        .or_else(|| doc.get("true"))
        .unwrap_or(&super::tree::NULL);
    let on_loc = doc
        .entry("on")
        .or_else(|| doc.entry("true"))
        .and_then(|e| e.key_loc);
    let mut ctxs = contexts(on);
    if !inherited.is_empty() && ctxs.iter().any(|c| c.event == "workflow_call") {
        // Called by the given workflows: their contexts replace `workflow_call`.
        ctxs.retain(|c| c.event != "workflow_call");
        for c in inherited {
            if !ctxs.iter().any(|x| x.key == c.key) {
                ctxs.push(c.clone());
            }
        }
    }
    if ctxs.is_empty() {
        b.unsupported(
            on_loc,
            "on",
            "no trigger event could be read from `on`; no job is checked",
        );
    }
    let prefix = if multi {
        format!("{}: ", stem(f.name))
    } else {
        String::new()
    };
    let mut workflow_secrets = Vec::new();
    if let Some(env) = doc.get("env") {
        env.visit_strings(&mut |s| secret_refs(s, &mut workflow_secrets));
    }
    let mut workflow_perms = JobFacts::default();
    permissions_facts(&workflow.permissions, &mut workflow_perms);

    let mut workflow_env = BTreeMap::new();
    env_map(doc.get("env"), &mut workflow_env);
    let jobs_node = doc.get("jobs").unwrap_or(&super::tree::NULL);
    // Facts per job, in file order.
    let mut facts: Vec<(String, Option<Location>, JobFacts, bool)> = Vec::new();
    for (id, job) in &workflow.jobs {
        let node = jobs_node.get(id).unwrap_or(&super::tree::NULL);
        let loc = jobs_node.entry(id).and_then(|e| e.key_loc);
        report_unknown(b, node, &JOB_KEYS, &format!("jobs.{id}"), "job");
        let mut jf = JobFacts::default();
        let mut strings = Vec::new();
        node.visit_strings(&mut |s| strings.push(s));
        for s in &strings {
            secret_refs(s, &mut jf.secrets);
        }
        for s in &workflow_secrets {
            if !jf.secrets.contains(s) {
                jf.secrets.push(s.clone());
            }
        }
        let reusable = match job {
            GhJob::NormalJob(n) => {
                normal(n, node, &mut jf, &workflow_env, actions);
                for (i, step) in node
                    .get("steps")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    report_unknown(
                        b,
                        step,
                        &STEP_KEYS,
                        &format!("jobs.{id}.steps[{i}]"),
                        "step",
                    );
                }
                false
            }
            GhJob::ReusableWorkflowCallJob(r) => {
                reusable(r, &mut jf);
                true
            }
        };
        if matches!(
            job_permissions(job),
            Permissions::Base(BasePermission::Default)
        ) {
            // Jobs without `permissions` get the workflow's.
            jf.write_token = workflow_perms.write_token;
            jf.id_token = workflow_perms.id_token;
        }
        let plain = ctxs
            .iter()
            .any(|c| !c.privileged && !c.event.starts_with("pull_request"));
        if jf.downloads_run && plain {
            // Outside the privileged events the other run is not known to be the pull
            // request's; it is not modelled, so it is reported: for every reader when the job
            // holds credentials or publishes, as a coverage note otherwise.
            let holds = !jf.secrets.is_empty()
                || jf.inherit_secrets
                || jf.id_token
                || jf.publishes
                || jf.write_token != Some(false);
            let mut m = crate::decision::Facts::new();
            m.insert("file".into(), json!(f.name));
            if let Some(l) = loc {
                m.insert("line".into(), json!(l.line));
                m.insert("column".into(), json!(l.column));
            }
            m.insert("path".into(), json!(format!("jobs.{id}")));
            m.insert("job".into(), json!(id));
            if !holds {
                m.insert("persona".into(), json!("auditor"));
            }
            b.finding(crate::decision::Violation::new(
                crate::rule::codes::IMPORT_UNSUPPORTED,
                "downloads artifacts of another workflow run; which run, and how trusted its output is, is not modelled",
                m,
            ));
        }
        facts.push((id.clone(), loc, jf, reusable));
    }

    // Attacker text through job outputs: a fixpoint over `needs` (a few passes suffice for
    // the chains people write; each pass can only add taint).
    let mut tainted_outputs: BTreeSet<String> = BTreeSet::new();
    for _ in 0..4 {
        let before = tainted_outputs.len();
        for (id, ..) in &facts {
            let node = jobs_node.get(id).unwrap_or(&super::tree::NULL);
            let t = injection::analyse(doc.get("env"), node, &tainted_outputs);
            for o in t.outputs {
                tainted_outputs.insert(format!("{id}.{o}"));
            }
        }
        if tainted_outputs.len() == before {
            break;
        }
    }
    for (id, _, jf, _) in &mut facts {
        let node = jobs_node.get(id).unwrap_or(&super::tree::NULL);
        jf.injections = injection::analyse(doc.get("env"), node, &tainted_outputs).injections;
    }
    // A job that needs a gated job runs only when the gate held (an authorisation job). An
    // environment is no gate here: its protection rules are not in the workflow.
    for _ in 0..facts.len() {
        let mut changed = false;
        for k in 0..facts.len() {
            if facts[k].2.gate.is_some() {
                continue;
            }
            let inherited = facts[k].2.needs.iter().find_map(|need| {
                facts
                    .iter()
                    .find(|(i, ..)| i == need)
                    .and_then(|(_, _, f2, _)| f2.gate.clone())
            });
            if let Some(g) = inherited {
                facts[k].2.gate = Some(format!("{g}, via `needs`"));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // A checkout gated on its own step is the job's gated flow, when the gate is all that
    // matters in the job (no injection to keep regular).
    for (_, _, jf, _) in &mut facts {
        if let Some(g) = jf.pr_head_gate.take()
            && !jf.pr_head
        {
            jf.pr_head = true;
            if jf.gate.is_none() && jf.injections.is_empty() {
                jf.gate = Some(g);
            }
        }
    }
    // `needs` ancestry: an artifact can come only from a job that finished before.
    let ancestors: Vec<BTreeSet<usize>> = (0..facts.len())
        .map(|k| {
            let mut seen = BTreeSet::new();
            let mut stack = vec![k];
            while let Some(j) = stack.pop() {
                for need in &facts[j].2.needs {
                    if let Some(m) = facts.iter().position(|(i, ..)| i == need)
                        && seen.insert(m)
                    {
                        stack.push(m);
                    }
                }
            }
            seen
        })
        .collect();

    // Which job runs in which context: job-level `if` and `needs` of jobs that do not run.
    let n = facts.len();
    let mut runs = vec![vec![true; ctxs.len()]; n];
    for (k, (_, _, jf, _)) in facts.iter().enumerate() {
        if let Some(c) = &jf.condition {
            for (x, ctx) in ctxs.iter().enumerate() {
                runs[k][x] = runs_in(c, ctx);
            }
        }
    }
    loop {
        let mut changed = false;
        for k in 0..n {
            let (_, _, jf, _) = &facts[k];
            let lenient = jf.condition.as_deref().is_some_and(tolerant);
            for (x, _) in ctxs.iter().enumerate() {
                if !runs[k][x] || lenient {
                    continue;
                }
                let missing = jf.needs.iter().any(|need| {
                    facts
                        .iter()
                        .position(|(id, ..)| id == need)
                        .is_some_and(|m| !runs[m][x])
                });
                if missing {
                    runs[k][x] = false;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }

    let suffix = |ctx: &Context| {
        if ctxs.len() > 1 {
            format!(" [{}]", ctx.key)
        } else {
            String::new()
        }
    };
    let source = format!("{prefix}pull request (untrusted)");
    let mut source_needed = false;
    let repo = repository_of(f.name);
    let mut gated: BTreeSet<usize> = BTreeSet::new();
    let mut data_reads: BTreeSet<usize> = BTreeSet::new();
    let mut poisons: BTreeSet<usize> = BTreeSet::new();
    for (x, ctx) in ctxs.iter().enumerate() {
        let sfx = suffix(ctx);
        for (k, (id, loc, jf, reusable)) in facts.iter().enumerate() {
            if !runs[k][x] {
                continue;
            }
            let holds = !jf.secrets.is_empty()
                || jf.inherit_secrets
                || jf.id_token
                || jf.environment.is_some()
                || jf.write_token.unwrap_or(ctx.privileged);
            // A privileged event's job that holds nothing runs the base repository's code;
            // only when it also runs the pull request's (a checkout, another run's artifacts)
            // is it checked as unreviewed code, whose output is untrusted but which itself
            // risks nothing.
            let context = if ctx.privileged && !holds && (jf.pr_head || jf.downloads_run) {
                format!("github/{} (read-only)", ctx.event)
            } else {
                format!("github/{}", ctx.key)
            };
            let name = format!("{prefix}{id}{sfx}");
            let mut jb = b
                .job(&name)
                .at(*loc)
                .context(&context)
                .publishes(jf.publishes)
                .runs_repo_code(jf.runs_code || *reusable)
                .note("job", json!(id))
                .note(
                    "persona_by_code",
                    design_lints(ctx.privileged && (jf.pr_head || jf.downloads_run)),
                );
            if fork_rules(&ctx.event) {
                jb = jb.note("persona", json!("pedantic")).note(
                    "assumptions",
                    json!([
                        "the pull request comes from a branch of this repository: a fork's pull request gets a read-only token and no secrets"
                    ]),
                );
            } else if ctx.event == "workflow_call" {
                jb = jb.note("persona", json!("auditor")).note(
                    "assumptions",
                    json!([
                        "called by workflows not given here: checked as if its caller ran unreviewed code"
                    ]),
                );
            }
            for need in &jf.needs {
                jb = jb.need(&format!("{prefix}{need}{sfx}"));
                if let Some((_, _, nf, _)) = facts.iter().find(|(i, ..)| i == need)
                    && nf.has_outputs
                {
                    jb = jb.consume(
                        ResourceKind::Artifact,
                        &format!("{prefix}outputs of {need}{sfx}"),
                    );
                }
            }
            if jf.has_outputs {
                jb = jb.produce(
                    ResourceKind::Artifact,
                    &format!("{prefix}outputs of {id}{sfx}"),
                );
            }
            for s in &jf.secrets {
                jb = jb.secret(s);
            }
            if jf.inherit_secrets {
                jb = jb.secret("every repository secret (secrets: inherit)");
            }
            if jf.write_token.unwrap_or(ctx.privileged) {
                jb = jb.secret("GITHUB_TOKEN (write)");
            }
            if jf.id_token {
                jb = jb.secret("OIDC id-token");
            }
            if let Some(env) = &jf.environment {
                jb = jb.deploys(env);
            }
            // A gate approves a request, not the code: the head can still move after it (and
            // a stolen long-lived secret outlives the run), and a cache written by that code
            // is read by later runs nobody approved. Only without either does it protect.
            let gate_protects = jf.gate.is_some()
                && jf.secrets.is_empty()
                && !jf.inherit_secrets
                && !(jf.cache_save && ctx.default_scope);
            if ctx.privileged && gate_protects && (jf.pr_head || jf.downloads_run) {
                gated.insert(k);
            }
            if ctx.privileged
                && !gate_protects
                && let Some(g) = &jf.gate
            {
                jb = jb.note(
                    "gate",
                    json!(format!(
                        "{g} (does not protect: long-lived secrets or a shared cache reach the pull request's code)"
                    )),
                );
                jb = jb.note("confidence", json!("medium"));
            }
            if ctx.privileged && ctx.default_scope && !gated.contains(&k) && jf.pr_head {
                poisons.insert(k);
            }
            if ctx.privileged && jf.downloads_data {
                data_reads.insert(k);
            }
            if ctx.privileged && !gated.contains(&k) {
                if jf.pr_head {
                    jb = jb.consume(
                        ResourceKind::Workspace,
                        &format!("{prefix}pull request head (checked out)"),
                    );
                    source_needed = true;
                }
                if jf.downloads_run {
                    jb = jb.consume(
                        ResourceKind::Artifact,
                        &format!("{prefix}artifacts of the triggering run"),
                    );
                    source_needed = true;
                }
            }
            // One cache scope is shared by every run on the default branch.
            let cache = format!("GitHub Actions cache of {repo} (default-branch scope)");
            let cache = cache.as_str();
            if jf.cache_restore {
                jb = jb.consume(ResourceKind::Cache, cache);
            }
            if jf.cache_save && ctx.default_scope {
                jb = jb.produce(ResourceKind::Cache, cache);
            }
            for up in &jf.uploads {
                jb = jb.produce(ResourceKind::Artifact, &format!("{prefix}{up}{sfx}"));
            }
            for down in &jf.downloads {
                let matching: Vec<&String> = facts
                    .iter()
                    .enumerate()
                    .filter(|(m, _)| runs[*m][x] && ancestors[k].contains(m))
                    .flat_map(|(_, (_, _, f2, _))| f2.uploads.iter())
                    .filter(|u| down.as_ref().is_none_or(|d| names_match(d, u)))
                    .collect();
                for u in matching {
                    jb = jb.consume(ResourceKind::Artifact, &format!("{prefix}{u}{sfx}"));
                }
            }
        }
    }
    for (k, (id, loc, jf, _)) in facts.iter().enumerate() {
        let facts_of = |persona: &str| {
            let mut m = crate::decision::Facts::new();
            m.insert("job".into(), json!(id));
            m.insert("file".into(), json!(f.name));
            if let Some(l) = loc {
                m.insert("line".into(), json!(l.line));
            }
            m.insert("persona".into(), json!(persona));
            m
        };
        if gated.contains(&k) {
            let mut m = facts_of("auditor");
            let gate = jf.gate.clone().unwrap_or_default();
            m.insert("gate".into(), json!(gate));
            m.insert("confidence".into(), json!("low"));
            b.finding(crate::decision::Violation::new(
                crate::rule::codes::PIPELINE_TAINTED_INPUT,
                format!(
                    "job `{id}` runs with the base repository's privileges and checks out or downloads the pull request's code, behind a gate ({gate}); safe only if the gate keeps outsiders out"
                ),
                m,
            ));
        }
        if poisons.contains(&k) && !(jf.secrets.is_empty() && jf.write_token == Some(false)) {
            // Holding credentials, the job is reported by the trust flow already.
        } else if poisons.contains(&k) {
            // The run's runtime token writes the default branch's cache scope whatever the
            // job's permissions: the pull request's code can plant entries that later trusted
            // runs restore by their predictable keys. A cache action makes that certain.
            let persona = if jf.cache_save { "regular" } else { "auditor" };
            let mut m = facts_of(persona);
            m.insert(
                "cache".into(),
                json!(format!(
                    "GitHub Actions cache of {repo} (default-branch scope)"
                )),
            );
            m.insert(
                "confidence".into(),
                json!(if jf.cache_save { "high" } else { "low" }),
            );
            b.finding(crate::decision::Violation::new(
                crate::rule::codes::PIPELINE_UNTRUSTED_CODE_IN_TRUSTED_ZONE,
                format!(
                    "job `{id}` runs the pull request's code in the default branch's cache scope; what it writes there, later trusted runs restore"
                ),
                m,
            ));
        }
        let releases = ctxs.iter().enumerate().any(|(x, c)| runs[k][x] && c.tag);
        if jf.cache_restore
            && (jf.publishes || releases)
            && (!jf.secrets.is_empty() || jf.inherit_secrets || jf.id_token)
        {
            // Who else writes the default branch's cache scope is only known when every
            // workflow of the repository is given; a release restoring it rests on that.
            let mut m = facts_of("auditor");
            m.insert("confidence".into(), json!("low"));
            m.insert(
                "assumptions".into(),
                json!(["another workflow of the repository may run untrusted code in the default-branch cache scope"]),
            );
            b.finding(crate::decision::Violation::new(
                crate::rule::codes::PIPELINE_TAINTED_INPUT,
                format!(
                    "job `{id}` releases with credentials and restores a cache from the default-branch scope, which any workflow of {repo} running untrusted code there could have written"
                ),
                m,
            ));
        }
        if data_reads.contains(&k) {
            let mut m = facts_of("auditor");
            m.insert("confidence".into(), json!("low"));
            m.insert(
                "assumptions".into(),
                json!(["the artifacts are parsed as data, never executed"]),
            );
            b.finding(crate::decision::Violation::new(
                crate::rule::codes::PIPELINE_TAINTED_INPUT,
                format!(
                    "job `{id}` downloads another run's artifacts to a temporary directory with the base repository's privileges; what it does with their content is trusted"
                ),
                m,
            ));
        }
        // Injection: regular where outsiders trigger the job with privileges and no gate;
        // pedantic where only committers or a fork's own read-only run reach it.
        let privileged = ctxs
            .iter()
            .enumerate()
            .any(|(x, c)| runs[k][x] && c.privileged);
        let any = ctxs.iter().enumerate().any(|(x, _)| runs[k][x]);
        if !any {
            continue;
        }
        for inj in &jf.injections {
            // A label approves the request, not the text it carries: injection stays.
            let gate = jf.gate.as_deref().filter(|g| !g.contains("label"));
            let persona = match (gate, privileged) {
                _ if inj.confidence == "low" => "auditor",
                (Some(_), _) => "auditor",
                (None, true) => "regular",
                (None, false) => "pedantic",
            };
            let mut m = facts_of(persona);
            if let Some(l) = inj.location {
                m.insert("line".into(), json!(l.line));
            }
            m.insert("step".into(), json!(inj.step));
            m.insert("sink".into(), json!(inj.sink));
            m.insert("expression".into(), json!(inj.value));
            m.insert("confidence".into(), json!(inj.confidence));
            let events: Vec<&str> = ctxs
                .iter()
                .enumerate()
                .filter(|(x, _)| runs[k][*x])
                .map(|(_, c)| c.event.as_str())
                .collect();
            m.insert("events".into(), json!(events));
            if let Some(g) = &jf.gate {
                m.insert("gate".into(), json!(g));
            }
            b.finding(crate::decision::Violation::new(
                crate::rule::codes::PIPELINE_EXPRESSION_INJECTION,
                format!(
                    "job `{id}`, step {}: attacker-controlled `{}` is expanded into {} before it runs",
                    inj.step, inj.value, inj.sink
                ),
                m,
            ));
        }
    }
    if source_needed {
        b.job(&source)
            .at(on_loc)
            .context("github/pull_request")
            .produce(
                ResourceKind::Workspace,
                &format!("{prefix}pull request head (checked out)"),
            )
            .produce(
                ResourceKind::Artifact,
                &format!("{prefix}artifacts of the triggering run"),
            );
    }
    Ok(())
}

/// Events whose pull requests may come from forks: GitHub gives a fork's run a read-only token
/// and no secrets, so what only a same-repository branch could exploit is a pedantic finding.
fn fork_rules(event: &str) -> bool {
    matches!(
        event,
        "pull_request" | "pull_request_review" | "pull_request_review_comment"
    )
}

/// Findings that are design advice on GitHub rather than an exploitable flow: a release job
/// that builds and publishes (goreleaser, cargo-dist), deploy credentials outside a deploy
/// service, an environment named by an expression.
/// When the job runs the pull request's code with privileges, a deploy from it is that flow
/// itself, not a design question.
fn design_lints(runs_pull_request: bool) -> serde_json::Value {
    if runs_pull_request {
        return json!({
            "pipeline/build-publishes": "pedantic",
            "pipeline/unknown-environment": "pedantic",
        });
    }
    json!({
        "pipeline/build-publishes": "pedantic",
        "pipeline/deploy-from-untrusted-build": "pedantic",
        "pipeline/credentials-outside-deploy-zone": "pedantic",
        "pipeline/unknown-environment": "pedantic",
    })
}

/// The repository a workflow file belongs to, for scoping caches: the path before
/// `.github/` (or its flattened form `__.github__`), else one shared scope.
fn repository_of(name: &str) -> String {
    let n = name.replace('\\', "/");
    if let Some(i) = n.find(".github/") {
        return n[..i].trim_end_matches('/').to_owned();
    }
    if let Some(i) = n.find("__.github__") {
        let file = n[..i].rsplit('/').next().unwrap_or_default();
        return file.to_owned();
    }
    "this repository".into()
}

fn job_permissions(job: &GhJob) -> &Permissions {
    match job {
        GhJob::NormalJob(n) => &n.permissions,
        GhJob::ReusableWorkflowCallJob(r) => &r.permissions,
    }
}

fn normal(
    job: &NormalJob,
    node: &Node,
    f: &mut JobFacts,
    base_env: &BTreeMap<String, String>,
    actions: &LocalActions,
) {
    permissions_facts(&job.permissions, f);
    if matches!(job.permissions, Permissions::Base(BasePermission::Default)) {
        f.write_token = None;
    }
    f.needs = job.needs.clone();
    f.condition = node.get("if").and_then(Node::scalar);
    f.environment = job.environment.as_ref().map(|e| match e {
        github_actions_models::workflow::job::DeploymentEnvironment::Name(n) => n.clone(),
        github_actions_models::workflow::job::DeploymentEnvironment::NameURL { name, .. } => {
            name.clone()
        }
    });
    f.has_outputs = !job.outputs.is_empty();
    if let Some(g) = f.condition.as_deref().and_then(expressions::gate) {
        f.gate = Some(g.into());
    }
    step_facts(node, f, base_env, actions, 0);
    if !f.checks_out {
        // Without a checkout the repository's code is not there to run.
        f.runs_code = false;
    }
}

fn reusable(job: &ReusableWorkflowCallJob, f: &mut JobFacts) {
    permissions_facts(&job.permissions, f);
    if matches!(job.permissions, Permissions::Base(BasePermission::Default)) {
        f.write_token = None;
    }
    f.needs = job.needs.clone();
    f.condition = job.r#if.as_ref().and_then(|c| match c {
        github_actions_models::common::If::Expr(e) => Some(e.clone()),
        github_actions_models::common::If::Bool(_) => None,
    });
    f.inherit_secrets = matches!(job.secrets, Some(Secrets::Inherit));
    // A called workflow's jobs are its own; what it publishes is not visible from here.
    f.runs_code = true;
    f.has_outputs = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_called_workflow_runs_in_its_callers_context() -> Result<(), Box<dyn std::error::Error>> {
        let caller = "on: {push: {tags: ['v*']}}\njobs:\n  release:\n    uses: ./.github/workflows/publish.yml\n    secrets: inherit\n";
        let callee = "on: {workflow_call: {}}\njobs:\n  upload:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ secrets.TOKEN }}\n";
        let files = [
            SourceFile {
                name: "repo/.github/workflows/release.yml",
                text: caller,
            },
            SourceFile {
                name: "repo/.github/workflows/publish.yml",
                text: callee,
            },
        ];
        let p = crate::Pipeline::import(&files, None)?;
        let upload = p
            .jobs()
            .find(|j| j.name == "publish: upload")
            .ok_or("no upload job")?;
        assert_eq!(upload.contexts, vec!["github/push (tags)".to_owned()]);
        // Alone, the called workflow's trigger is unknown, which fails closed.
        let alone = crate::Pipeline::import(&files[1..], None)?;
        let decision = crate::Policy::builtin()?.check_pipeline(&alone);
        assert!(decision.has("pipeline/secret-not-allowed"), "{decision}");
        let both = crate::Policy::builtin()?.check_pipeline(&p);
        assert!(both.allowed(), "{both}");
        Ok(())
    }

    type R = Result<(), Box<dyn std::error::Error>>;

    /// Checks workflows with the built-in policy, as the persona sees them.
    fn check(
        files: &[(&str, &str)],
        persona: crate::Persona,
    ) -> Result<crate::Decision, Box<dyn std::error::Error>> {
        let files: Vec<SourceFile<'_>> = files
            .iter()
            .map(|(name, text)| SourceFile { name, text })
            .collect();
        let p = crate::Pipeline::import(&files, Some(crate::PipelineFormat::Github))?;
        Ok(crate::Policy::builtin()?
            .check_pipeline(&p)
            .for_persona(persona))
    }

    fn one(
        text: &str,
        persona: crate::Persona,
    ) -> Result<crate::Decision, Box<dyn std::error::Error>> {
        check(&[(".github/workflows/w.yml", text)], persona)
    }

    use crate::Persona::{Auditor, Pedantic, Regular};

    #[test]
    fn a_push_to_any_branch_is_committer_code() -> R {
        let w = "on: {push: {branches: ['feature/*']}}\njobs:\n  deploy:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - run: ./deploy.sh\n        env: {T: '${{ secrets.TOKEN }}'}\n";
        assert!(one(w, Regular)?.allowed());
        Ok(())
    }

    #[test]
    fn a_pull_request_follows_the_fork_rules() -> R {
        let w = "on: pull_request\njobs:\n  test:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n        env: {T: '${{ secrets.TOKEN }}'}\n";
        assert!(one(w, Regular)?.allowed());
        let pedantic = one(w, Pedantic)?;
        assert!(pedantic.has("pipeline/secret-not-allowed"), "{pedantic}");
        Ok(())
    }

    #[test]
    fn a_privileged_checkout_of_a_ref_not_provably_base_fails_closed() -> R {
        // The tj-actions root cause: the ref comes from a step output.
        let bad = "on: pull_request_target\njobs:\n  build:\n    runs-on: x\n    steps:\n      - id: condval\n        run: echo value=x >> $GITHUB_OUTPUT\n      - uses: actions/checkout@v4\n        with: {ref: '${{ steps.condval.outputs.value }}'}\n      - run: npm ci\n        env: {NPM_TOKEN: '${{ secrets.PAT }}'}\n";
        let d = one(bad, Regular)?;
        assert!(d.has("pipeline/tainted-input"), "{d}");
        assert!(
            d.violations()
                .iter()
                .any(|v| v.facts.get("job") == Some(&json!("build")))
        );
        let good = bad.replace(
            "${{ steps.condval.outputs.value }}",
            "${{ github.event.pull_request.base.sha }}",
        );
        assert!(one(&good, Regular)?.allowed());
        Ok(())
    }

    #[test]
    fn artifacts_flow_only_from_jobs_that_ran_before() -> R {
        let w = "on: {push: {branches: [main]}}\npermissions: {contents: read}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/download-artifact@v4\n        with: {pattern: 'artifacts-*'}\n  b:\n    needs: a\n    runs-on: x\n    steps:\n      - uses: actions/upload-artifact@v4\n        with: {name: artifacts-b, path: out}\n";
        let d = one(w, Auditor)?;
        assert!(!d.has("pipeline/cycle"), "{d}");
        Ok(())
    }

    #[test]
    fn another_runs_artifacts_read_as_data_are_an_auditor_note() -> R {
        let w = "on: {workflow_run: {workflows: [ci], types: [completed]}}\npermissions: {pull-requests: write}\njobs:\n  report:\n    runs-on: x\n    steps:\n      - uses: actions/download-artifact@v4\n        with: {run-id: '${{ github.event.workflow_run.id }}', github-token: '${{ github.token }}', path: '${{ runner.temp }}/a'}\n      - run: cat ${{ runner.temp }}/a/report.txt\n";
        assert!(one(w, Regular)?.allowed());
        let a = one(w, Auditor)?;
        assert!(
            a.violations()
                .iter()
                .any(|v| v.confidence == crate::rule::Confidence::Low),
            "{a}"
        );
        let executed = w.replace(", path: '${{ runner.temp }}/a'", "");
        assert!(!one(&executed, Regular)?.allowed());
        Ok(())
    }

    #[test]
    fn a_gate_suppresses_unless_long_lived_secrets_reach_the_code() -> R {
        let w = "on: pull_request_target\npermissions: {contents: read, pull-requests: write}\njobs:\n  test:\n    if: github.event.pull_request.head.repo.full_name == github.repository\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n        with: {ref: '${{ github.event.pull_request.head.sha }}'}\n      - run: make test\n";
        assert!(one(w, Regular)?.allowed());
        let a = one(w, Auditor)?;
        assert!(
            a.violations()
                .iter()
                .any(|v| v.facts.get("gate") == Some(&json!("same-repository check"))),
            "{a}"
        );
        let with_secret = w.replace(
            "      - run: make test\n",
            "      - run: make test\n        env: {T: '${{ secrets.DEPLOY }}'}\n",
        );
        assert!(!one(&with_secret, Regular)?.allowed());
        let ungated = w.replace(
            "    if: github.event.pull_request.head.repo.full_name == github.repository\n",
            "",
        );
        assert!(!one(&ungated, Regular)?.allowed());
        Ok(())
    }

    #[test]
    fn a_checkout_gated_on_its_own_step_is_the_gated_flow() -> R {
        let w = "on: pull_request_target\npermissions: {contents: read, pull-requests: write}\njobs:\n  test:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n        if: github.event.pull_request.head.repo.full_name == github.repository\n        with: {ref: '${{ github.event.pull_request.head.sha }}'}\n      - run: make test\n";
        assert!(one(w, Regular)?.allowed());
        assert!(!one(w, Auditor)?.allowed());
        let ungated = w.replace(
            "        if: github.event.pull_request.head.repo.full_name == github.repository\n",
            "",
        );
        assert!(!one(&ungated, Regular)?.allowed());
        Ok(())
    }

    #[test]
    fn a_called_workflow_alone_is_an_auditor_note() -> R {
        let w = "on: {workflow_call: {}}\njobs:\n  up:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - run: ./up.sh\n        env: {T: '${{ secrets.TOKEN }}'}\n";
        assert!(one(w, Regular)?.allowed());
        assert!(!one(w, Auditor)?.allowed());
        Ok(())
    }

    #[test]
    fn callers_pass_down_only_the_contexts_their_job_runs_in() -> R {
        let caller = "on: [push, pull_request_target]\njobs:\n  call:\n    if: github.event_name == 'push'\n    uses: $/.github/workflows/callee.yml\n    secrets: inherit\n";
        let callee = "on: {workflow_call: {}}\njobs:\n  up:\n    runs-on: x\n    steps:\n      - run: echo ${{ secrets.TOKEN }}\n";
        let files = [
            SourceFile {
                name: "r/.github/workflows/caller.yml",
                text: caller,
            },
            SourceFile {
                name: "r/.github/workflows/callee.yml",
                text: callee,
            },
        ];
        let p = crate::Pipeline::import(&files, Some(crate::PipelineFormat::Github))?;
        let up = p
            .jobs()
            .find(|j| j.name.starts_with("callee: up"))
            .ok_or("no job")?;
        assert_eq!(up.contexts, vec!["github/push".to_owned()]);
        Ok(())
    }

    #[test]
    fn design_lints_are_pedantic() -> R {
        let w = "on: {push: {tags: ['v*']}}\njobs:\n  release:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - run: make dist\n      - uses: goreleaser/goreleaser-action@v6\n        env: {GITHUB_TOKEN: '${{ secrets.RELEASE_TOKEN }}'}\n";
        assert!(one(w, Regular)?.allowed());
        assert!(one(w, Pedantic)?.has("pipeline/build-publishes"));
        Ok(())
    }

    #[test]
    fn pull_request_code_in_the_default_branch_cache_scope_poisons_it() -> R {
        let w = "on: pull_request_target\npermissions: {contents: read}\njobs:\n  lint:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n        with: {ref: '${{ github.event.pull_request.head.sha }}'}\n      - uses: actions/setup-node@v4\n        with: {cache: npm}\n      - run: npm ci && npm run lint\n";
        let d = one(w, Regular)?;
        assert!(d.has("pipeline/untrusted-code-in-trusted-zone"), "{d}");
        let no_cache = w.replace("        with: {cache: npm}\n", "");
        assert!(one(&no_cache, Regular)?.allowed());
        Ok(())
    }

    #[test]
    fn a_release_restoring_a_cache_with_no_writer_given_is_an_auditor_note() -> R {
        let w = "on: {push: {tags: ['v*']}}\njobs:\n  publish:\n    runs-on: x\n    steps:\n      - uses: actions/setup-node@v4\n        with: {cache: npm}\n      - run: npm publish\n        env: {NODE_AUTH_TOKEN: '${{ secrets.NPM }}'}\n";
        assert!(one(w, Regular)?.allowed());
        let a = one(w, Auditor)?;
        assert!(a.has("pipeline/tainted-input"), "{a}");
        let no_cache = w.replace("        with: {cache: npm}\n", "");
        assert!(one(&no_cache, Auditor)?.allowed());
        Ok(())
    }

    #[test]
    fn local_composite_actions_are_read() -> R {
        let w = "on: pull_request_target\njobs:\n  build:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - uses: ./.github/actions/setup\n      - run: make\n        env: {T: '${{ secrets.TOKEN }}'}\n";
        let action = "runs:\n  using: composite\n  steps:\n    - uses: actions/checkout@v4\n      with: {ref: '${{ github.event.pull_request.head.sha }}'}\n";
        let with = check(
            &[
                ("r/.github/workflows/w.yml", w),
                ("r/.github/actions/setup/action.yml", action),
            ],
            Regular,
        )?;
        assert!(with.has("pipeline/tainted-input"), "{with}");
        assert!(check(&[("r/.github/workflows/w.yml", w)], Regular)?.allowed());
        Ok(())
    }

    #[test]
    fn secret_references_are_found_in_any_spelling() {
        let mut out = Vec::new();
        secret_refs(
            "${{ secrets.PYPI_TOKEN }} ${{ secrets['NPM-TOKEN'] }} ${{secrets.GITHUB_TOKEN}} mysecrets.X",
            &mut out,
        );
        assert_eq!(out, vec!["PYPI_TOKEN", "NPM-TOKEN"]);
    }

    #[test]
    fn artifact_names_with_expressions_match_as_wildcards() {
        assert_eq!(name_pattern("wheels-${{ matrix.os }}"), "wheels-*");
        assert!(names_match("wheels-*", "wheels-linux"));
        assert!(names_match("pypi_files", "pypi_files"));
        assert!(!names_match("sdist", "wheels-*"));
    }

    #[test]
    fn job_conditions_split_by_event() {
        let ctx = |key: &str, event: &str, tag: bool| Context {
            key: key.into(),
            event: event.into(),
            privileged: false,
            default_scope: false,
            tag,
        };
        let pr = ctx("pull_request", "pull_request", false);
        let tag = ctx("push (tags)", "push", true);
        assert!(!runs_in("startsWith(github.ref, 'refs/tags/')", &pr));
        assert!(runs_in("${{ startsWith(github.ref, 'refs/tags/') }}", &tag));
        assert!(!runs_in("github.event_name == 'push'", &pr));
        assert!(runs_in(
            "github.event_name == 'push' || github.event_name == 'pull_request'",
            &pr
        ));
        assert!(!runs_in(
            "github.repository == 'a/b' && github.event_name != 'pull_request'",
            &pr
        ));
    }
}
