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
mod findings;
mod injection;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use github_actions_models::common::{BasePermission, Permission, Permissions, Uses};
use github_actions_models::workflow::job::{NormalJob, ReusableWorkflowCallJob, Secrets};
use github_actions_models::workflow::{Job as GhJob, Workflow};

use super::tree::{Node, V};
use super::{ImportError, SourceFile, documents, shape_error};
use crate::pipeline::{JobBuilder, PipelineBuilder, ResourceKind};
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
        } else if let Some(root) = payload_root(&p)
            && let Some(events) = payload_events(&root)
            && ctx.event != "workflow_call"
            && !events.contains(&ctx.event.as_str())
        {
            return false;
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

/// The events whose payload has a top-level field: a condition that needs the field to be
/// there (GitHub's webhook payloads) cannot hold for any other event.
fn payload_events(root: &str) -> Option<&'static [&'static str]> {
    Some(match root {
        "comment" => &[
            "issue_comment",
            "pull_request_review_comment",
            "commit_comment",
            "discussion_comment",
        ],
        "issue" => &["issues", "issue_comment"],
        "pull_request" => &[
            "pull_request",
            "pull_request_target",
            "pull_request_review",
            "pull_request_review_comment",
        ],
        "review" => &["pull_request_review"],
        "workflow_run" => &["workflow_run"],
        "release" => &["release"],
        "inputs" => &["workflow_dispatch"],
        "client_payload" => &["repository_dispatch"],
        "discussion" => &["discussion", "discussion_comment"],
        _ => return None,
    })
}

/// The payload field (`github.event.ROOT…`) a squashed condition term needs to be there to
/// hold: the field alone (true only when set), `startsWith`/`endsWith`/`contains` of it with a
/// non-empty text, or an equality with a text no number reads as. A missing field is null,
/// which is falsy, turns into the empty text and compares as 0; `!=`, a negation or an
/// equality with `0` or `false` can hold on null, and give nothing.
fn payload_root(term: &str) -> Option<String> {
    let root = |t: &str| -> Option<String> {
        let rest = t.strip_prefix("github.event.")?;
        let plain = rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        (plain && !rest.is_empty()).then(|| rest.split('.').next().unwrap_or(rest).to_owned())
    };
    fn text(lit: &str) -> Option<&str> {
        lit.strip_prefix('"').and_then(|l| l.strip_suffix('"'))
    }
    let call = ["startsWith(", "endsWith(", "contains("]
        .iter()
        .find_map(|f| term.strip_prefix(f))
        // The caller trims a term's outer parentheses, the call's own closing one with them.
        .map(|a| a.strip_suffix(')').unwrap_or(a));
    if let Some(args) = call {
        let (subject, lit) = args.split_once(',')?;
        return text(lit)
            .is_some_and(|t| !t.is_empty())
            .then(|| root(subject))?;
    }
    if let Some((subject, lit)) = term.split_once("==") {
        let not_a_number = text(lit).is_some_and(|t| {
            t.chars()
                .any(|c| !(c.is_ascii_digit() || "xXbBoOeE.+- \t".contains(c)))
        });
        return (!subject.ends_with('!') && not_a_number).then(|| root(subject))?;
    }
    root(term)
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

/// Whether two artifact names (either a pattern in which `*` matches anything) can be the
/// same artifact.
fn names_match(a: &str, b: &str) -> bool {
    let matches = |pattern: &str, text: &str| {
        crate::glob::Pattern::stars(pattern).is_ok_and(|p| p.matches(text))
    };
    matches(a, b) || matches(b, a)
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
    /// The step conditions under which the pull request's head is fetched, when every step
    /// that fetches it has one (`None`: in every run of the job). A condition on the event
    /// (`github.event_name == 'pull_request_target'`) keeps the fetch out of other contexts.
    pr_head_when: Option<Vec<String>>,
    /// The `if:` of the step being read.
    step_if: Option<String>,
    /// The last step checked out the pull request's head to this path and nothing has run
    /// since; with what was known of the head before it (undone if the base replaces it).
    head_checkout: Option<(String, bool, Option<Vec<String>>)>,
    downloads_run: bool,
    /// The step conditions under which another run's artifacts are downloaded to be run, when
    /// every such download has one (`None`: in every run of the job), as for the head.
    downloads_run_when: Option<Vec<String>>,
    /// Downloads another run's artifacts to a temporary directory, read as data only.
    downloads_data: bool,
    /// Another run's artifacts downloaded into the workspace (under the download step's
    /// condition) that no step has run or read yet, and whether a reporter read them as data.
    pending_download: Option<(Option<String>, bool)>,
    /// What keeps outsiders out of the job, when something does.
    gate: Option<String>,
    /// The gate of the step that checks out the pull request's head, when only such a step does.
    pr_head_gate: Option<String>,
    injections: Vec<injection::Injection>,
    /// Actions of other owners whose behaviour is not modelled, with the long-lived secrets a
    /// step hands them (`with:` or `env:`): code we do not see, run with what it is passed.
    opaque_actions: Vec<(String, Vec<String>)>,
    cache_restore: bool,
    cache_save: bool,
    uploads: Vec<String>,
    downloads: Vec<Option<String>>,
    has_outputs: bool,
    /// The labels of the self-hosted runner the job asks for (`runs-on` naming `self-hosted`).
    runner: Option<BTreeSet<String>>,
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
/// `uses: ./dir` names it) and its document, whose `runs.steps` run as if written in the job.
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
            && doc.get("runs").is_some()
        {
            let name = f.name.replace('\\', "/");
            let dir = name
                .rsplit_once('/')
                .map(|(d, _)| d)
                .unwrap_or("")
                .to_owned();
            out.push((dir, doc));
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
    let outer_if = f.step_if.clone();
    for step in node.get("steps").map(Node::items).unwrap_or_default() {
        if step
            .get("if")
            .and_then(Node::scalar)
            .is_some_and(|c| expressions::never(&c))
        {
            continue;
        }
        if let Some((when, _)) = f.pending_download.take() {
            if reports_as_data(step) {
                f.pending_download = Some((when, true));
            } else {
                // This step may run or read what was downloaded into the workspace.
                mark_run_download(f, when);
            }
        }
        let mut env = job_env.clone();
        env_map(step.get("env"), &mut env);
        // A composite action's steps run under the step that uses it: its condition holds.
        f.step_if.clone_from(&outer_if);
        if let Some(c) = step.get("if").and_then(Node::scalar) {
            f.step_if = Some(c);
        }
        let checkout = step
            .get("uses")
            .and_then(Node::as_str)
            .and_then(|u| u.split('@').next())
            .is_some_and(|u| u.eq_ignore_ascii_case("actions/checkout"));
        if !checkout {
            // Something ran while the pull request's files were there.
            f.head_checkout = None;
        }
        step_gate(step, f);
        if let Some(run) = step.get("run").and_then(Node::scalar) {
            run_facts(&run, f);
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
                    && let Some(runs) = actions
                        .iter()
                        .find(|(dir, _)| dir == wanted || dir.ends_with(&format!("/{wanted}")))
                        .and_then(|(_, doc)| doc.get("runs"))
                {
                    step_facts(runs, f, &env, actions, depth + 1);
                }
                continue;
            }
            Ok(Uses::Docker(_)) | Err(_) => continue,
        };
        if !action_facts(&slug, step, f, &env) {
            opaque_action(slug, step, f);
        }
    }
    f.step_if = outer_if;
    if depth == 0
        && let Some((when, reported)) = f.pending_download.take()
    {
        if reported {
            // Nothing ran or read the files but actions that report them as data.
            f.downloads_data = true;
        } else {
            // Nothing is seen to read them: as before, they are there to be run.
            mark_run_download(f, when);
        }
    }
}

/// Actions that read the files they are given as data and report them (coverage, test
/// results) without running anything from the workspace: another run's artifacts handed only
/// to them are data.
const DATA_REPORTERS: [&str; 6] = [
    "codecov/codecov-action",
    "coverallsapp/github-action",
    "enricomi/publish-unit-test-result-action",
    "dorny/test-reporter",
    "mikepenz/action-junit-report",
    "actions/upload-artifact",
];

/// Whether a step only reports files as data (see [`DATA_REPORTERS`]).
fn reports_as_data(step: &Node) -> bool {
    step.get("run").is_none()
        && step
            .get("uses")
            .and_then(Node::as_str)
            .and_then(|u| u.split('@').next())
            .is_some_and(|u| {
                let u = u.to_ascii_lowercase();
                DATA_REPORTERS
                    .iter()
                    .any(|r| u == *r || u.starts_with(&format!("{r}/")))
            })
}

/// What keeps outsiders out of the rest of the job: a collaborator permission check, or a step
/// that fails the job unless its gate holds.
fn step_gate(step: &Node, f: &mut JobFacts) {
    if f.gate.is_some() {
        return;
    }
    let uses = step.get("uses").and_then(Node::as_str).unwrap_or_default();
    let text = step
        .get("run")
        .and_then(Node::scalar)
        .or_else(|| with_scalar(step, "script"))
        .unwrap_or_default();
    if expressions::permission_check(uses.split('@').next().unwrap_or_default(), &text) {
        f.gate = Some("collaborator permission check".into());
        return;
    }
    if let Some(g) = step
        .get("if")
        .and_then(Node::scalar)
        .and_then(|c| expressions::gate(&c))
        && step
            .get("run")
            .is_some_and(|r| r.scalar().is_some_and(|t| t.contains("exit 1")))
    {
        f.gate = Some(g.into());
    }
}

/// The step being read fetches the pull request's head.
fn mark_pr_head(f: &mut JobFacts) {
    match (&f.step_if, f.pr_head) {
        (Some(c), false) => f.pr_head_when = Some(vec![c.clone()]),
        (Some(c), true) => {
            if let Some(when) = &mut f.pr_head_when {
                when.push(c.clone());
            }
        }
        (None, _) => f.pr_head_when = None,
    }
    f.pr_head = true;
}

/// The job downloads another run's artifacts where they can be run, under the step condition
/// `when` (the downloading step's, or that of the step that reads the files).
fn mark_run_download(f: &mut JobFacts, when: Option<String>) {
    match (when, f.downloads_run) {
        (Some(c), false) => f.downloads_run_when = Some(vec![c]),
        (Some(c), true) => {
            if let Some(conditions) = &mut f.downloads_run_when {
                conditions.push(c);
            }
        }
        (None, _) => f.downloads_run_when = None,
    }
    f.downloads_run = true;
}

/// Whether the job downloads another run's artifacts in a context: a step that does so only
/// for another event (`if: github.event_name == 'workflow_run'`) downloads nothing here.
fn run_download_in(jf: &JobFacts, ctx: &Context) -> bool {
    jf.downloads_run
        && jf
            .downloads_run_when
            .as_ref()
            .is_none_or(|when| when.iter().any(|c| runs_in(c, ctx)))
}

/// Whether the job fetches the pull request's head in a context.
fn pr_head_in(jf: &JobFacts, ctx: &Context) -> bool {
    jf.pr_head
        && jf
            .pr_head_when
            .as_ref()
            .is_none_or(|when| when.iter().any(|c| runs_in(c, ctx)))
}

/// What a `run:` script does: runs code, publishes, fetches the pull request's head, downloads
/// another run's artifacts.
fn run_facts(run: &str, f: &mut JobFacts) {
    f.runs_code = true;
    if super::publishes(run, &[]) {
        f.publishes = true;
    }
    if fetches_pr_head(run) {
        mark_pr_head(f);
    }
    if run.contains("gh run download") {
        mark_run_download(f, f.step_if.clone());
    }
}

/// Whether a `with:` input is set to something true.
fn truthy(step: &Node, key: &str) -> bool {
    with_scalar(step, key).is_some_and(|v| !v.is_empty() && v != "false" && v != "''")
}

/// What a step that uses the action `slug` (lower case, `owner/repo[/path]`) does.
/// False for an action whose behaviour is not modelled here.
fn action_facts(slug: &str, step: &Node, f: &mut JobFacts, env: &BTreeMap<String, String>) -> bool {
    match slug {
        "actions/checkout" => checkout_facts(step, f, env),
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
            let on = match slug {
                "actions/setup-go" => with_scalar(step, "cache").as_deref() != Some("false"),
                "astral-sh/setup-uv" => truthy(step, "enable-cache"),
                "ruby/setup-ruby" => truthy(step, "bundler-cache"),
                _ => truthy(step, "cache"),
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
                other_run_download(step, f);
            } else {
                let name = with_scalar(step, "name").or_else(|| with_scalar(step, "pattern"));
                f.downloads.push(name.map(|n| name_pattern(&n)));
            }
        }
        "dawidd6/action-download-artifact" => other_run_download(step, f),
        "actions/github-script" => {
            if let Some(script) = with_scalar(step, "script") {
                if fetches_pr_head(&script) {
                    mark_pr_head(f);
                }
                if script.contains("downloadArtifact") {
                    mark_run_download(f, f.step_if.clone());
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
        _ => return false,
    }
    true
}

/// An action not modelled here, handed long-lived secrets. GitHub's own actions
/// (`actions/*`, `github/*`) never run the repository's code unless they check it out, which
/// is modelled; any other action may, so what it is handed is recorded for the contexts in
/// which the pull request's code is there to be run.
fn opaque_action(slug: String, step: &Node, f: &mut JobFacts) {
    if slug.starts_with("actions/") || slug.starts_with("github/") {
        return;
    }
    let mut handed = Vec::new();
    for key in ["with", "env"] {
        if let Some(n) = step.get(key) {
            n.visit_strings(&mut |t| secret_refs(t, &mut handed));
        }
    }
    if !handed.is_empty() {
        f.opaque_actions.push((slug, handed));
    }
}

/// A checkout of a ref or repository not provably the base repository's (a step output, an
/// input, an env value set elsewhere, event fields) is the pull request's as far as a
/// privileged job is concerned: fail closed. One that only happens behind a gate of its own
/// (`if:` on the step) is the gated flow, decided like a job-level gate.
fn checkout_facts(step: &Node, f: &mut JobFacts, env: &BTreeMap<String, String>) {
    f.checks_out = true;
    let resolve = |name: &str| env.get(name).cloned();
    let r = with_str(step, "ref").unwrap_or_default();
    let repo = with_str(step, "repository").unwrap_or_default();
    let untrusted = untrusted_ref(r)
        || untrusted_ref(repo)
        || !expressions::provably_base(r, &resolve, 0)
        || !expressions::provably_base(repo, &resolve, 0)
        || truthy(step, "allow-unsafe-pr-checkout");
    let path = with_str(step, "path")
        .unwrap_or_default()
        .trim()
        .trim_start_matches("./")
        .trim_end_matches('/')
        .to_owned();
    let unconditional = step.get("if").is_none();
    let pending = f.head_checkout.take();
    if !untrusted {
        // The base checked out over the pull request's files before anything ran: checkout
        // cleans the directory (unless told not to) and nothing of the head is left to run.
        if let Some((p, before, when)) = pending
            && p == path
            && unconditional
            && with_scalar(step, "clean").as_deref() != Some("false")
        {
            f.pr_head = before;
            f.pr_head_when = when;
        }
        return;
    }
    match step
        .get("if")
        .and_then(Node::scalar)
        .and_then(|c| expressions::gate(&c))
    {
        Some(g) if !f.pr_head => f.pr_head_gate = Some(g.into()),
        _ => {
            let before = (f.pr_head, f.pr_head_when.clone());
            mark_pr_head(f);
            if unconditional {
                f.head_checkout = Some((path, before.0, before.1));
            }
        }
    }
}

/// Another run's artifacts: read as data when downloaded outside the workspace, else run.
fn other_run_download(step: &Node, f: &mut JobFacts) {
    if with_str(step, "path").is_some_and(outside_workspace) {
        f.downloads_data = true;
    } else {
        // Into the workspace: run when a later step runs or reads what is there.
        f.pending_download = Some((f.step_if.clone(), false));
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
                if condition.as_deref().is_some_and(expressions::never) {
                    continue;
                }
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

/// For each local reusable workflow called from the given files, the inputs some caller fills
/// with event text an outsider writes: inside the called workflow `inputs.<name>` carries it.
fn inputs_given_event_text(files: &[SourceFile<'_>]) -> Vec<(String, BTreeSet<String>)> {
    let mut out: Vec<(String, BTreeSet<String>)> = Vec::new();
    for f in files {
        let Ok(docs) = super::tree::parse(f.text) else {
            continue;
        };
        let Some(doc) = docs.into_iter().find(|d| !d.is_null()) else {
            continue;
        };
        for job in doc.get("jobs").map(Node::entries).unwrap_or_default() {
            let Some(path) = job
                .value
                .get("uses")
                .and_then(Node::as_str)
                .and_then(|u| u.strip_prefix("./").or_else(|| u.strip_prefix("$/")))
            else {
                continue;
            };
            if job
                .value
                .get("if")
                .and_then(Node::scalar)
                .is_some_and(|c| expressions::never(&c))
            {
                continue;
            }
            let names: BTreeSet<String> = job
                .value
                .get("with")
                .map(Node::entries)
                .unwrap_or_default()
                .iter()
                .filter(|e| injection::carries_event_text(&e.value.scalar().unwrap_or_default()))
                .map(|e| e.key.clone())
                .collect();
            if !names.is_empty() {
                let path = path.split('@').next().unwrap_or(path).to_owned();
                out.push((path, names));
            }
        }
    }
    out
}

/// The repository paths a workflow or action names with `uses: ./PATH` (a local action
/// directory, or a reusable workflow file) or the self-repository form `uses: $/PATH`, in jobs,
/// steps and a composite action's `runs.steps`, without the `./` and any `@ref`. Used to find,
/// in a repository, the local actions and reusable workflows that are checked with it.
pub(crate) fn local_uses(text: &str) -> Vec<String> {
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
    let given = inputs_given_event_text(files);
    let actions = local_actions(files);
    for f in files.iter().filter(|f| !is_action_file(f.name)) {
        let name = f.name.replace('\\', "/");
        let names = |p: &String| name == *p || name.ends_with(&format!("/{p}"));
        let inherited: Vec<Context> = called
            .iter()
            .filter(|(p, _)| names(p))
            .map(|(_, c)| c.clone())
            .collect();
        let inputs: BTreeSet<String> = given
            .iter()
            .filter(|(p, _)| names(p))
            .flat_map(|(_, i)| i.iter().cloned())
            .collect();
        if let Err(e) = import_file(b, f, multi, &inherited, &actions, &inputs) {
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

/// One job of a workflow file and what was learnt about it.
struct WorkflowJob {
    id: String,
    loc: Option<Location>,
    facts: JobFacts,
    /// Calls a reusable workflow.
    reusable: bool,
}

/// A workflow file's jobs, the contexts they may run in, and which job runs in which.
struct FileJobs<'f> {
    file: &'f str,
    /// Put before job names when several files are imported together.
    prefix: String,
    /// The repository whose default-branch cache scope the runs share.
    repo: String,
    ctxs: Vec<Context>,
    jobs: Vec<WorkflowJob>,
    /// `runs[k][x]`: job `k` runs in context `x`.
    runs: Vec<Vec<bool>>,
}

impl FileJobs<'_> {
    fn suffix(&self, ctx: &Context) -> String {
        if self.ctxs.len() > 1 {
            format!(" [{}]", ctx.key)
        } else {
            String::new()
        }
    }
}

/// What adding the jobs found that the file-level findings and the pull request's source job
/// need. Kept across contexts: a job gated in one context stays gated in the next.
#[derive(Default)]
struct Flows {
    /// Jobs that run the pull request's code with privileges behind a gate that protects.
    gated: BTreeSet<usize>,
    /// Jobs that read another run's artifacts as data with privileges.
    data_reads: BTreeSet<usize>,
    /// Jobs that run the pull request's code in the default branch's cache scope.
    poisons: BTreeSet<usize>,
    /// Some job consumes the pull request's head or the triggering run's artifacts.
    source_needed: bool,
}

fn import_file(
    b: &mut PipelineBuilder,
    f: &SourceFile<'_>,
    multi: bool,
    inherited: &[Context],
    actions: &LocalActions,
    inputs: &BTreeSet<String>,
) -> Result<(), ImportError> {
    let (doc, workflow) = read_workflow(f)?;
    b.file(f.name);
    report_unknown(b, &doc, &WORKFLOW_KEYS, "(workflow)", "workflow");
    let on_loc = doc
        .entry("on")
        .or_else(|| doc.entry("true"))
        .and_then(|e| e.key_loc);
    let ctxs = file_contexts(&doc, inherited);
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
    let mut jobs = read_jobs(b, f.name, &doc, &workflow, &ctxs, actions);
    find_injections(&doc, &mut jobs, actions, inputs);
    inherit_gates(&mut jobs);
    adopt_checkout_gates(&mut jobs);
    let runs = job_runs(&jobs, &ctxs);
    let wf = FileJobs {
        file: f.name,
        prefix,
        repo: repository_of(f.name),
        ctxs,
        jobs,
        runs,
    };
    let ancestors = ancestors(&wf.jobs);
    let mut flows = Flows::default();
    for x in 0..wf.ctxs.len() {
        for k in 0..wf.jobs.len() {
            if wf.runs[k][x] {
                add_job(b, &wf, x, k, &ancestors, &mut flows);
            }
        }
    }
    for k in 0..wf.jobs.len() {
        findings::report(b, &wf, k, &flows);
    }
    if flows.source_needed {
        let prefix = &wf.prefix;
        b.job(&format!("{prefix}pull request (untrusted)"))
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

/// The file's workflow document (located) and its typed reading.
fn read_workflow(f: &SourceFile<'_>) -> Result<(Node, Workflow), ImportError> {
    let docs = documents(f)?;
    let Some(doc) = docs.into_iter().find(|d| !d.is_null()) else {
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
    Ok((doc, workflow))
}

/// The contexts the workflow's jobs run in. Called by the given workflows, their contexts
/// replace `workflow_call`.
fn file_contexts(doc: &Node, inherited: &[Context]) -> Vec<Context> {
    let on = doc
        .get("on")
        .or_else(|| doc.get("true"))
        .unwrap_or(&super::tree::NULL);
    let mut ctxs = contexts(on);
    if !inherited.is_empty() && ctxs.iter().any(|c| c.event == "workflow_call") {
        ctxs.retain(|c| c.event != "workflow_call");
        for c in inherited {
            if !ctxs.iter().any(|x| x.key == c.key) {
                ctxs.push(c.clone());
            }
        }
    }
    ctxs
}

/// What each job holds and does, in file order; unknown keys are reported.
fn read_jobs(
    b: &mut PipelineBuilder,
    file: &str,
    doc: &Node,
    workflow: &Workflow,
    ctxs: &[Context],
    actions: &LocalActions,
) -> Vec<WorkflowJob> {
    let mut workflow_secrets = Vec::new();
    if let Some(env) = doc.get("env") {
        env.visit_strings(&mut |s| secret_refs(s, &mut workflow_secrets));
    }
    let mut workflow_perms = JobFacts::default();
    permissions_facts(&workflow.permissions, &mut workflow_perms);
    let mut workflow_env = BTreeMap::new();
    env_map(doc.get("env"), &mut workflow_env);
    let jobs_node = doc.get("jobs").unwrap_or(&super::tree::NULL);
    let mut jobs = Vec::new();
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
        let switched_off = jf.condition.as_deref().is_some_and(expressions::never);
        if switched_off {
            // Switched off (`if: false`): GitHub skips it in every run, so it holds and does
            // nothing; it stays in the pipeline so the file still counts as read.
            jf = JobFacts {
                write_token: Some(false),
                condition: jf.condition,
                needs: jf.needs,
                ..JobFacts::default()
            };
        }
        let job = WorkflowJob {
            id: id.clone(),
            loc,
            facts: jf,
            reusable: reusable && !switched_off,
        };
        findings::other_run_download(b, file, &job, ctxs);
        jobs.push(job);
    }
    jobs
}

/// Attacker text into scripts, also through job outputs: a fixpoint over `needs` (a few passes
/// suffice for the chains people write; each pass can only add taint).
fn find_injections(
    doc: &Node,
    jobs: &mut [WorkflowJob],
    actions: &LocalActions,
    inputs: &BTreeSet<String>,
) {
    let jobs_node = doc.get("jobs").unwrap_or(&super::tree::NULL);
    let mut tainted_outputs: BTreeSet<String> = BTreeSet::new();
    for _ in 0..4 {
        let before = tainted_outputs.len();
        for job in jobs.iter() {
            let node = jobs_node.get(&job.id).unwrap_or(&super::tree::NULL);
            let t =
                injection::analyse_with(doc.get("env"), node, &tainted_outputs, actions, inputs);
            for o in t.outputs {
                tainted_outputs.insert(format!("{}.{o}", job.id));
            }
        }
        if tainted_outputs.len() == before {
            break;
        }
    }
    for job in jobs {
        if job
            .facts
            .condition
            .as_deref()
            .is_some_and(expressions::never)
        {
            continue;
        }
        let node = jobs_node.get(&job.id).unwrap_or(&super::tree::NULL);
        job.facts.injections =
            injection::analyse_with(doc.get("env"), node, &tainted_outputs, actions, inputs)
                .injections;
    }
}

/// A job that needs a gated job runs only when the gate held (an authorisation job). An
/// environment is no gate here: its protection rules are not in the workflow.
fn inherit_gates(jobs: &mut [WorkflowJob]) {
    for _ in 0..jobs.len() {
        let mut changed = false;
        for k in 0..jobs.len() {
            if jobs[k].facts.gate.is_some() {
                continue;
            }
            let inherited = jobs[k].facts.needs.iter().find_map(|need| {
                jobs.iter()
                    .find(|j| &j.id == need)
                    .and_then(|j| j.facts.gate.clone())
            });
            if let Some(g) = inherited {
                jobs[k].facts.gate = Some(format!("{g}, via `needs`"));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

/// A checkout gated on its own step is the job's gated flow, when the gate is all that matters
/// in the job (no injection to keep regular).
fn adopt_checkout_gates(jobs: &mut [WorkflowJob]) {
    for jf in jobs.iter_mut().map(|j| &mut j.facts) {
        if let Some(g) = jf.pr_head_gate.take()
            && !jf.pr_head
        {
            jf.pr_head = true;
            if jf.gate.is_none() && jf.injections.is_empty() {
                jf.gate = Some(g);
            }
        }
    }
}

/// `needs` ancestry: an artifact can come only from a job that finished before.
fn ancestors(jobs: &[WorkflowJob]) -> Vec<BTreeSet<usize>> {
    (0..jobs.len())
        .map(|k| {
            let mut seen = BTreeSet::new();
            let mut stack = vec![k];
            while let Some(j) = stack.pop() {
                for need in &jobs[j].facts.needs {
                    if let Some(m) = jobs.iter().position(|o| &o.id == need)
                        && seen.insert(m)
                    {
                        stack.push(m);
                    }
                }
            }
            seen
        })
        .collect()
}

/// Which job runs in which context: its job-level `if`, and no job runs whose `needs` do not
/// (unless its condition runs it anyway, as `always()` does).
fn job_runs(jobs: &[WorkflowJob], ctxs: &[Context]) -> Vec<Vec<bool>> {
    let mut runs = vec![vec![true; ctxs.len()]; jobs.len()];
    for (k, job) in jobs.iter().enumerate() {
        if let Some(c) = &job.facts.condition {
            for (x, ctx) in ctxs.iter().enumerate() {
                runs[k][x] = runs_in(c, ctx);
            }
        }
    }
    loop {
        let mut changed = false;
        for (k, job) in jobs.iter().enumerate() {
            let jf = &job.facts;
            let lenient = jf.condition.as_deref().is_some_and(tolerant);
            for (x, _) in ctxs.iter().enumerate() {
                if !runs[k][x] || lenient {
                    continue;
                }
                let missing = jf.needs.iter().any(|need| {
                    jobs.iter()
                        .position(|o| &o.id == need)
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
    runs
}

/// Whether a job holds anything worth stealing in a context.
fn holds_credentials(jf: &JobFacts, ctx: &Context) -> bool {
    !jf.secrets.is_empty()
        || jf.inherit_secrets
        || jf.id_token
        || jf.environment.is_some()
        || jf.write_token.unwrap_or(ctx.privileged)
}

/// The trust context a job runs in. A privileged event's job that holds nothing runs the base
/// repository's code; only when it also runs the pull request's (a checkout, another run's
/// artifacts) is it checked as unreviewed code, whose output is untrusted but which itself
/// risks nothing.
fn job_context(jf: &JobFacts, ctx: &Context) -> String {
    if ctx.privileged
        && !holds_credentials(jf, ctx)
        && (pr_head_in(jf, ctx) || run_download_in(jf, ctx))
    {
        format!("github/{} (read-only)", ctx.event)
    } else {
        format!("github/{}", ctx.key)
    }
}

/// A gate approves a request, not the code: the head can still move after it (and a stolen
/// long-lived secret outlives the run), and a cache written by that code is read by later runs
/// nobody approved. Only without either does it protect.
fn gate_protects(jf: &JobFacts, ctx: &Context) -> bool {
    jf.gate.is_some()
        && jf.secrets.is_empty()
        && !jf.inherit_secrets
        && !(jf.cache_save && ctx.default_scope)
}

/// What an event's runs may assume, and for which persona: a fork's pull request gets a
/// read-only token and no secrets; a called workflow's callers were not given.
fn event_notes<'b>(jb: JobBuilder<'b>, ctx: &Context) -> JobBuilder<'b> {
    if fork_rules(&ctx.event) {
        jb.note("persona", json!("pedantic")).note(
            "assumptions",
            json!([
                "the pull request comes from a branch of this repository: a fork's pull request gets a read-only token and no secrets"
            ]),
        )
    } else if ctx.event == "workflow_call" {
        jb.note("persona", json!("auditor")).note(
            "assumptions",
            json!([
                "called by workflows not given here: checked as if its caller ran unreviewed code"
            ]),
        )
    } else {
        jb
    }
}

/// The credentials a job holds in a context.
fn credentials(jf: &JobFacts, ctx: &Context) -> Vec<String> {
    let mut out = jf.secrets.clone();
    if jf.inherit_secrets {
        out.push("every repository secret (secrets: inherit)".to_owned());
    }
    if jf.write_token.unwrap_or(ctx.privileged) {
        out.push("GITHUB_TOKEN (write)".to_owned());
    }
    if jf.id_token {
        out.push("OIDC id-token".to_owned());
    }
    out
}

/// Adds job `k` as it runs in context `x`, with what it needs, holds, reads and writes.
fn add_job(
    b: &mut PipelineBuilder,
    wf: &FileJobs<'_>,
    x: usize,
    k: usize,
    ancestors: &[BTreeSet<usize>],
    flows: &mut Flows,
) {
    let ctx = &wf.ctxs[x];
    let WorkflowJob {
        id,
        loc,
        facts: jf,
        reusable,
    } = &wf.jobs[k];
    let (prefix, sfx) = (&wf.prefix, wf.suffix(ctx));
    let jb = b
        .job(&format!("{prefix}{id}{sfx}"))
        .at(*loc)
        .context(&job_context(jf, ctx))
        .publishes(jf.publishes)
        .runs_repo_code(jf.runs_code || *reusable)
        .note("job", json!(id))
        .note(
            "persona_by_code",
            design_lints(
                ctx.privileged && (pr_head_in(jf, ctx) || run_download_in(jf, ctx)),
                ctx.event == "merge_group",
            ),
        );
    let mut jb = with_needs(event_notes(jb, ctx), wf, k, &sfx);
    for c in credentials(jf, ctx) {
        jb = jb.secret(&c);
    }
    if let Some(env) = &jf.environment {
        jb = jb.deploys(env);
    }
    if let Some(note) = unprotecting_gate(jf, ctx) {
        jb = jb
            .note("gate", json!(note))
            .note("confidence", json!("medium"));
    }
    let sources = record_flows(jf, ctx, k, flows);
    if sources && pr_head_in(jf, ctx) {
        jb = jb.consume(
            ResourceKind::Workspace,
            &format!("{prefix}pull request head (checked out)"),
        );
    }
    if sources && run_download_in(jf, ctx) {
        jb = jb.consume(
            ResourceKind::Artifact,
            &format!("{prefix}artifacts of the triggering run"),
        );
    }
    with_caches_and_artifacts(jb, wf, x, k, ancestors);
}

/// The jobs `k` needs, the outputs of theirs it reads, and its own outputs.
fn with_needs<'b>(
    mut jb: JobBuilder<'b>,
    wf: &FileJobs<'_>,
    k: usize,
    sfx: &str,
) -> JobBuilder<'b> {
    let (prefix, jf) = (&wf.prefix, &wf.jobs[k].facts);
    for need in &jf.needs {
        jb = jb.need(&format!("{prefix}{need}{sfx}"));
        if wf
            .jobs
            .iter()
            .find(|j| &j.id == need)
            .is_some_and(|j| j.facts.has_outputs)
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
            &format!("{prefix}outputs of {}{sfx}", wf.jobs[k].id),
        );
    }
    jb
}

/// A gate of a privileged job that does not protect, said beside the job's findings.
fn unprotecting_gate(jf: &JobFacts, ctx: &Context) -> Option<String> {
    let g = jf.gate.as_ref()?;
    (ctx.privileged && !gate_protects(jf, ctx)).then(|| {
        format!(
            "{g} (does not protect: long-lived secrets or a shared cache reach the pull request's code)"
        )
    })
}

/// Records what job `k` does in a privileged context for the file-level findings (a job gated
/// in one context stays gated); whether it reads the pull request's head or the triggering
/// run's artifacts ungated, which the pull request's source job then provides.
fn record_flows(jf: &JobFacts, ctx: &Context, k: usize, flows: &mut Flows) -> bool {
    if !ctx.privileged {
        return false;
    }
    let pr_head = pr_head_in(jf, ctx);
    let run_download = run_download_in(jf, ctx);
    if gate_protects(jf, ctx) && (pr_head || run_download) {
        flows.gated.insert(k);
    }
    let gated = flows.gated.contains(&k);
    if ctx.default_scope && !gated && pr_head {
        flows.poisons.insert(k);
    }
    if jf.downloads_data {
        flows.data_reads.insert(k);
    }
    let sources = !gated && (pr_head || run_download);
    flows.source_needed |= sources;
    sources
}

/// The default branch's cache scope (shared by every run there) and the artifacts job `k`
/// uploads and downloads in context `x`.
fn with_caches_and_artifacts<'b>(
    mut jb: JobBuilder<'b>,
    wf: &FileJobs<'_>,
    x: usize,
    k: usize,
    ancestors: &[BTreeSet<usize>],
) -> JobBuilder<'b> {
    let (ctx, jf) = (&wf.ctxs[x], &wf.jobs[k].facts);
    let (prefix, sfx) = (&wf.prefix, wf.suffix(ctx));
    let cache = format!("GitHub Actions cache of {} (default-branch scope)", wf.repo);
    if jf.cache_restore {
        jb = jb.consume(ResourceKind::Cache, &cache);
    }
    if jf.cache_save && ctx.default_scope {
        jb = jb.produce(ResourceKind::Cache, &cache);
    }
    for up in &jf.uploads {
        jb = jb.produce(ResourceKind::Artifact, &format!("{prefix}{up}{sfx}"));
    }
    for u in downloaded(wf, x, k, ancestors) {
        jb = jb.consume(ResourceKind::Artifact, &format!("{prefix}{u}{sfx}"));
    }
    if let Some(labels) = &jf.runner {
        jb = with_self_hosted_runner(jb, wf, x, k, labels);
    }
    jb
}

/// A self-hosted runner keeps what a job leaves on it (files in its home, caches, processes)
/// for the jobs it runs next unless it is ephemeral, and GitHub runs a fork's pull request on
/// it like any other (their documentation advises against them on public repositories). A job
/// running the pull request's code there writes that state for every runner its labels may
/// land on; a job holding credentials or publishing reads its own runner's.
fn with_self_hosted_runner<'b>(
    mut jb: JobBuilder<'b>,
    wf: &FileJobs<'_>,
    x: usize,
    k: usize,
    labels: &BTreeSet<String>,
) -> JobBuilder<'b> {
    let (ctx, jf) = (&wf.ctxs[x], &wf.jobs[k].facts);
    let name = |set: &BTreeSet<String>| {
        let list: Vec<&str> = set.iter().map(String::as_str).collect();
        format!(
            "self-hosted runner [{}] of {} (its state kept between jobs unless ephemeral)",
            list.join(", "),
            wf.repo
        )
    };
    // A pull request's run takes the workflow itself from the pull request: every step of the
    // job is the author's to write, checkout or not.
    let runs_pull_request = fork_rules(&ctx.event)
        || jf.runs_code && ctx.privileged && (pr_head_in(jf, ctx) || run_download_in(jf, ctx));
    if runs_pull_request {
        // A runner that serves either job's labels may serve both.
        let mut shared: BTreeSet<String> = BTreeSet::new();
        for other in wf.jobs.iter().filter_map(|j| j.facts.runner.as_ref()) {
            if other.is_subset(labels) || labels.is_subset(other) {
                shared.insert(name(other));
            }
        }
        for r in shared {
            jb = assumed_persistent(jb.produce(ResourceKind::Cache, &r), &r);
        }
    } else if holds_credentials(jf, ctx) || jf.publishes {
        let r = name(labels);
        jb = assumed_persistent(jb.consume(ResourceKind::Cache, &r), &r);
    }
    jb
}

/// A flow through a self-hosted runner rests on the runner keeping state between jobs, which
/// no workflow says (runners started per job, as actions-runner-controller and most autoscaled
/// fleets do, keep nothing): a design concern for the pedantic persona, at medium confidence,
/// with that assumption named, as zizmor and poutine treat self-hosted runners.
fn assumed_persistent<'b>(jb: JobBuilder<'b>, runner: &str) -> JobBuilder<'b> {
    jb.resource_note(ResourceKind::Cache, runner, "persona", json!("pedantic"))
        .resource_note(ResourceKind::Cache, runner, "confidence", json!("medium"))
        .resource_note(
            ResourceKind::Cache,
            runner,
            "assumptions",
            json!([
                "the self-hosted runner is not ephemeral: it keeps what one job leaves for the next"
            ]),
        )
}

/// The artifacts job `k` downloads in context `x`: those its downloads name, uploaded by a job
/// that ran before it there.
fn downloaded<'w>(
    wf: &'w FileJobs<'_>,
    x: usize,
    k: usize,
    ancestors: &[BTreeSet<usize>],
) -> Vec<&'w String> {
    let mut out = Vec::new();
    for down in &wf.jobs[k].facts.downloads {
        out.extend(
            wf.jobs
                .iter()
                .enumerate()
                .filter(|(m, _)| wf.runs[*m][x] && ancestors[k].contains(m))
                .flat_map(|(_, j)| j.facts.uploads.iter())
                .filter(|u| down.as_ref().is_none_or(|d| names_match(d, u))),
        );
    }
    out
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
///
/// A merge queue's run holding credentials is advice too: only users with write access add a
/// change to the queue, and it runs what they are about to merge, code that holds the same
/// credentials on the default branch moments later (GitHub gives `merge_group` runs the
/// repository's secrets, as it does pushes).
fn design_lints(runs_pull_request: bool, merge_queue: bool) -> serde_json::Value {
    let mut lints = if runs_pull_request {
        json!({
            "pipeline/build-publishes": "pedantic",
            "pipeline/unknown-environment": "pedantic",
        })
    } else {
        json!({
            "pipeline/build-publishes": "pedantic",
            "pipeline/deploy-from-untrusted-build": "pedantic",
            "pipeline/credentials-outside-deploy-zone": "pedantic",
            "pipeline/unknown-environment": "pedantic",
        })
    };
    if merge_queue && let Some(map) = lints.as_object_mut() {
        map.insert("pipeline/secret-not-allowed".into(), json!("pedantic"));
    }
    lints
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
    f.runner = self_hosted_labels(node.get("runs-on"));
    if let Some(g) = f.condition.as_deref().and_then(expressions::gate) {
        f.gate = Some(g.into());
    }
    step_facts(node, f, base_env, actions, 0);
    if !f.checks_out {
        // Without a checkout the repository's code is not there to run.
        f.runs_code = false;
    }
}

/// The labels of a `runs-on` that asks for a self-hosted runner (a list or `labels:` naming
/// `self-hosted`, with its `group:`); none for GitHub's runners or labels computed at run time.
fn self_hosted_labels(runs_on: Option<&Node>) -> Option<BTreeSet<String>> {
    let node = runs_on?;
    let mut labels: BTreeSet<String> = match node.get("labels") {
        Some(l) => l.strings().into_iter().collect(),
        None if node.get("group").is_some() => BTreeSet::new(),
        None => node.strings().into_iter().collect(),
    };
    if let Some(g) = node.get("group").and_then(Node::scalar) {
        labels.insert(format!("group:{g}"));
    }
    let labels: BTreeSet<String> = labels.iter().map(|l| l.to_ascii_lowercase()).collect();
    (labels.contains("self-hosted") && !labels.iter().any(|l| l.contains("${{"))).then_some(labels)
}

fn reusable(job: &ReusableWorkflowCallJob, f: &mut JobFacts) {
    permissions_facts(&job.permissions, f);
    if matches!(job.permissions, Permissions::Base(BasePermission::Default)) {
        f.write_token = None;
    }
    f.needs = job.needs.clone();
    f.condition = job.r#if.as_ref().and_then(|c| match c {
        github_actions_models::common::If::Expr(e) => Some(e.clone()),
        github_actions_models::common::If::Bool(b) => (!b).then(|| "false".to_owned()),
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
    fn local_uses_names_local_actions_and_reusable_workflows_only() {
        let text = "on: push\njobs:\n  a:\n    uses: ./.github/workflows/build.yml\n  b:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/setup/\n      - uses: $/.github/actions/lint@v1\n      - uses: actions/checkout@v4\n";
        assert_eq!(
            local_uses(text),
            [
                ".github/workflows/build.yml",
                ".github/actions/setup",
                ".github/actions/lint"
            ]
        );
    }

    fn step(text: &str) -> Result<Node, String> {
        let docs = super::super::tree::parse(text).map_err(|(m, _)| m)?;
        docs.into_iter()
            .next()
            .ok_or_else(|| "no document".to_owned())
    }

    #[test]
    fn a_step_that_fails_unless_its_gate_holds_gates_the_job() -> Result<(), String> {
        let mut f = JobFacts::default();
        step_gate(&step("{run: echo hi}")?, &mut f);
        assert_eq!(f.gate, None);
        let check = "{if: \"github.actor == 'octocat'\", run: exit 1}";
        step_gate(&step(check)?, &mut f);
        assert_eq!(f.gate.as_deref(), Some("actor check"));
        Ok(())
    }

    #[test]
    fn setup_actions_cache_only_when_asked() -> Result<(), String> {
        let env = BTreeMap::new();
        let cached = |slug: &str, with: &str| -> Result<(bool, bool), String> {
            let mut f = JobFacts::default();
            let _ = action_facts(slug, &step(with)?, &mut f, &env);
            Ok((f.cache_restore, f.cache_save))
        };
        assert_eq!(
            cached("actions/setup-node", "{with: {node-version: 20}}")?,
            (false, false)
        );
        assert_eq!(
            cached("actions/setup-node", "{with: {cache: npm}}")?,
            (true, true)
        );
        // setup-go caches unless told not to.
        assert_eq!(cached("actions/setup-go", "{}")?, (true, true));
        assert_eq!(
            cached("actions/setup-go", "{with: {cache: false}}")?,
            (false, false)
        );
        assert_eq!(
            cached("swatinem/rust-cache", "{with: {save-if: false}}")?,
            (true, false)
        );
        assert_eq!(cached("actions/cache/restore", "{}")?, (true, false));
        Ok(())
    }

    #[test]
    fn checkouts_not_provably_of_the_base_are_the_pull_requests() -> Result<(), String> {
        let env = BTreeMap::new();
        let mut base = JobFacts::default();
        checkout_facts(&step("{uses: actions/checkout@v4}")?, &mut base, &env);
        assert!(base.checks_out && !base.pr_head);
        let mut head = JobFacts::default();
        let pr = "{with: {ref: '${{ github.event.pull_request.head.sha }}'}}";
        checkout_facts(&step(pr)?, &mut head, &env);
        assert!(head.pr_head);
        let mut output = JobFacts::default();
        checkout_facts(
            &step("{with: {ref: '${{ steps.pr.outputs.sha }}'}}")?,
            &mut output,
            &env,
        );
        assert!(output.pr_head, "a step output is not provably the base");
        Ok(())
    }

    #[test]
    fn another_runs_artifacts_are_data_only_outside_the_workspace() -> Result<(), String> {
        let mut data = JobFacts::default();
        other_run_download(&step("{with: {path: '${{ runner.temp }}/a'}}")?, &mut data);
        assert!(data.downloads_data && !data.downloads_run);
        let mut run = JobFacts::default();
        other_run_download(&step("{with: {path: dist}}")?, &mut run);
        assert!(run.pending_download.is_some() && !run.downloads_run && !run.downloads_data);
        // Read by nothing seen, the files are there to be run (fail closed).
        let nothing = "on: {workflow_run: {workflows: [ci], types: [completed]}}\npermissions: {contents: write}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/download-artifact@v4\n        with: {run-id: '${{ github.event.workflow_run.id }}', github-token: '${{ github.token }}'}\n";
        assert!(!one(nothing, Regular).map_err(|e| e.to_string())?.allowed());
        let mut script = JobFacts::default();
        run_facts("gh run download $ID && gh pr checkout 1", &mut script);
        assert!(script.downloads_run && script.pr_head && script.runs_code);
        Ok(())
    }

    fn wjob(id: &str, needs: &[&str]) -> WorkflowJob {
        WorkflowJob {
            id: id.to_owned(),
            loc: None,
            facts: JobFacts {
                needs: needs.iter().map(|n| (*n).to_owned()).collect(),
                ..JobFacts::default()
            },
            reusable: false,
        }
    }

    fn on(text: &str) -> Result<Vec<Context>, String> {
        let docs = super::super::tree::parse(text).map_err(|(m, _)| m)?;
        let doc = docs.into_iter().next().ok_or("no document")?;
        Ok(file_contexts(&doc, &[]))
    }

    #[test]
    fn callers_contexts_replace_workflow_call() -> Result<(), String> {
        let docs = super::super::tree::parse("on: [workflow_call, push]").map_err(|(m, _)| m)?;
        let doc = docs.into_iter().next().ok_or("no document")?;
        let keys = |c: &[Context]| c.iter().map(|c| c.key.clone()).collect::<Vec<_>>();
        assert_eq!(
            keys(&file_contexts(&doc, &[])),
            ["workflow_call", "push", "push (tags)"]
        );
        let caller = on("on: pull_request_target")?;
        assert_eq!(
            keys(&file_contexts(&doc, &caller)),
            ["push", "push (tags)", "pull_request_target"]
        );
        Ok(())
    }

    #[test]
    fn gates_pass_down_needs_and_checkout_gates_become_the_jobs() {
        let mut jobs = vec![
            wjob("auth", &[]),
            wjob("build", &["auth"]),
            wjob("test", &["build"]),
        ];
        jobs[0].facts.gate = Some("actor check".into());
        inherit_gates(&mut jobs);
        assert_eq!(
            jobs[2].facts.gate.as_deref(),
            Some("actor check, via `needs`, via `needs`")
        );
        let mut own = vec![wjob("a", &[]), wjob("b", &[])];
        own[0].facts.pr_head_gate = Some("label".into());
        own[1].facts.pr_head_gate = Some("label".into());
        own[1].facts.injections.push(injection::Injection {
            step: "0".into(),
            location: None,
            sink: "run".into(),
            value: "x".into(),
            confidence: "high",
        });
        adopt_checkout_gates(&mut own);
        assert!(own[0].facts.pr_head && own[1].facts.pr_head);
        assert_eq!(own[0].facts.gate.as_deref(), Some("label"));
        // An injection keeps the job ungated.
        assert_eq!(own[1].facts.gate, None);
    }

    #[test]
    fn ancestry_and_runs_follow_needs() -> Result<(), String> {
        let mut jobs = vec![
            wjob("a", &[]),
            wjob("b", &["a"]),
            wjob("c", &["b"]),
            wjob("d", &["a"]),
        ];
        let anc = ancestors(&jobs);
        assert_eq!(anc[2], BTreeSet::from([0, 1]));
        assert!(anc[0].is_empty());
        let ctxs = on("on: [push, pull_request]")?;
        jobs[0].facts.condition = Some("github.event_name == 'push'".into());
        jobs[3].facts.condition = Some("always()".into());
        let runs = job_runs(&jobs, &ctxs);
        let pr = ctxs
            .iter()
            .position(|c| c.event == "pull_request")
            .ok_or("no pr")?;
        assert!(!runs[0][pr] && !runs[1][pr] && !runs[2][pr]);
        // `always()` runs whether or not its needs ran.
        assert!(runs[3][pr]);
        assert!(runs.iter().all(|r| r[0]));
        Ok(())
    }

    #[test]
    fn privileged_flows_are_recorded_and_a_gate_stays_gated_across_contexts() -> Result<(), String>
    {
        let ctxs = on("on: [pull_request_target, workflow_run]")?;
        let mut flows = Flows::default();
        let jf = JobFacts {
            pr_head: true,
            gate: Some("actor check".into()),
            ..JobFacts::default()
        };
        // Gated: no source consumed, no poisoning.
        assert!(!record_flows(&jf, &ctxs[0], 0, &mut flows));
        assert!(flows.gated.contains(&0) && !flows.source_needed);
        assert_eq!(unprotecting_gate(&jf, &ctxs[0]), None);
        let open = JobFacts {
            pr_head: true,
            cache_save: true,
            ..jf
        };
        assert!(record_flows(&open, &ctxs[1], 1, &mut flows));
        assert!(flows.source_needed && flows.poisons.contains(&1));
        let note = unprotecting_gate(&open, &ctxs[1]).ok_or("a gate that does not protect")?;
        assert!(note.starts_with("actor check (does not protect"), "{note}");
        let plain = on("on: pull_request")?;
        assert!(!record_flows(&open, &plain[0], 2, &mut flows));
        Ok(())
    }

    #[test]
    fn privileged_jobs_holding_nothing_run_read_only_and_gates_protect_only_without_secrets()
    -> Result<(), String> {
        let ctxs = on("on: [pull_request_target, push]")?;
        let prt = &ctxs[0];
        let mut jf = JobFacts {
            pr_head: true,
            write_token: Some(false),
            ..JobFacts::default()
        };
        assert_eq!(
            job_context(&jf, prt),
            "github/pull_request_target (read-only)"
        );
        assert_eq!(job_context(&jf, &ctxs[1]), "github/push");
        jf.gate = Some("actor check".into());
        assert!(gate_protects(&jf, prt));
        jf.cache_save = true;
        assert!(!gate_protects(&jf, prt), "a shared cache outlives the gate");
        jf.cache_save = false;
        jf.secrets.push("NPM_TOKEN".into());
        assert!(
            !gate_protects(&jf, prt),
            "a stolen secret outlives the gate"
        );
        assert_eq!(job_context(&jf, prt), "github/pull_request_target");
        jf.write_token = None;
        jf.id_token = true;
        assert_eq!(
            credentials(&jf, prt),
            ["NPM_TOKEN", "GITHUB_TOKEN (write)", "OIDC id-token"]
        );
        assert_eq!(credentials(&jf, &ctxs[1]), ["NPM_TOKEN", "OIDC id-token"]);
        Ok(())
    }

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
        let decision = crate::Policy::builtin().check_pipeline(&alone);
        assert!(decision.has("pipeline/secret-not-allowed"), "{decision}");
        let both = crate::Policy::builtin().check_pipeline(&p);
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
        Ok(crate::Policy::builtin()
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
    fn a_download_kept_to_one_event_reads_the_triggering_run_only_there() -> R {
        // aws-cdk's PR linter: the same job on `pull_request_target` and `workflow_run`; only
        // the latter downloads the triggering run's artifact, the former has none to read.
        let w = "on:\n  pull_request_target: {types: [opened]}\n  workflow_run: {workflows: [trigger], types: [completed]}\njobs:\n  lint:\n    runs-on: x\n    permissions: {pull-requests: write}\n    steps:\n      - uses: dawidd6/action-download-artifact@v7\n        if: github.event_name == 'workflow_run'\n        with: {run_id: '${{ github.event.workflow_run.id }}', name: pr_info, path: pr/}\n      - run: echo \"n=$(cat pr/pr_number)\" >> \"$GITHUB_OUTPUT\"\n";
        let d = one(w, Regular)?;
        let jobs: Vec<String> = d.violations().iter().map(|v| v.message.clone()).collect();
        assert!(
            jobs.iter().any(|m| m.contains("lint [workflow_run]")),
            "{d}"
        );
        assert!(
            !jobs.iter().any(|m| m.contains("[pull_request_target]")),
            "{d}"
        );
        // Without the condition both runs download it.
        let both = one(
            &w.replace("        if: github.event_name == 'workflow_run'\n", ""),
            Regular,
        )?;
        assert!(
            both.violations()
                .iter()
                .any(|v| v.message.contains("lint [pull_request_target]")),
            "{both}"
        );
        Ok(())
    }

    #[test]
    fn artifacts_handed_only_to_a_coverage_reporter_are_data() -> R {
        // aws-cdk's Codecov upload: the pull request's coverage goes to Codecov, nothing of
        // it runs; a step that runs after the download may run what it brought.
        let w = "on: {workflow_run: {workflows: [collect], types: [completed]}}\npermissions: {contents: write, id-token: write}\njobs:\n  upload:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v5\n      - uses: actions/download-artifact@v5\n        with: {name: coverage, path: ./coverage, run-id: '${{ github.event.workflow_run.id }}', github-token: '${{ secrets.GITHUB_TOKEN }}'}\n      - uses: codecov/codecov-action@v5\n        with: {files: ./coverage/cobertura.xml, use_oidc: true}\n";
        assert!(one(w, Regular)?.allowed(), "{}", one(w, Regular)?);
        assert!(!one(w, Auditor)?.allowed());
        let ran = w.replace(
            "      - uses: codecov/codecov-action@v5\n",
            "      - run: ./coverage/fix-paths.sh\n      - uses: codecov/codecov-action@v5\n",
        );
        assert!(!one(&ran, Regular)?.allowed());
        Ok(())
    }

    #[test]
    fn a_dispatch_rerunning_a_workflow_run_reads_the_same_kind_of_run() -> R {
        // ruff's ecosystem comment: on `workflow_run`, or by hand with a run id.
        let w = "on:\n  workflow_run: {workflows: [CI], types: [completed]}\n  workflow_dispatch: {inputs: {run_id: {required: true}}}\njobs:\n  comment:\n    runs-on: x\n    permissions: {pull-requests: write}\n    steps:\n      - uses: dawidd6/action-download-artifact@v8\n        with: {name: pr-number, run_id: '${{ github.event.workflow_run.id || inputs.run_id }}'}\n      - run: cat pr-number\n";
        let d = one(w, Regular)?;
        assert!(d.has("pipeline/tainted-input"), "{d}");
        assert!(
            !d.has("import/unsupported") && !d.has("import/incomplete"),
            "{d}"
        );
        // Without `workflow_run`, which run a dispatch names is not modelled.
        let by_hand = w.replace(
            "  workflow_run: {workflows: [CI], types: [completed]}\n",
            "",
        );
        assert!(one(&by_hand, Regular)?.has("import/unsupported"));
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
    fn a_workflow_run_from_this_repository_only_is_the_gated_flow() -> R {
        // grafana's backport workflow: the triggering run's head must not be a fork.
        let w = "on: {workflow_run: {workflows: [trigger], types: [completed]}}\npermissions: {}\njobs:\n  backport:\n    if: github.event.workflow_run.head_repository.fork == false && github.event.workflow_run.conclusion == 'success'\n    runs-on: x\n    permissions: {contents: read, id-token: write}\n    steps:\n      - uses: actions/download-artifact@v4\n        with: {run-id: '${{ github.event.workflow_run.id }}', github-token: '${{ github.token }}', name: pr_info}\n      - run: jq -r . pr_info.json\n";
        assert!(one(w, Regular)?.allowed());
        let a = one(w, Auditor)?;
        assert!(
            a.violations()
                .iter()
                .any(|v| v.facts.get("gate") == Some(&json!("same-repository check"))),
            "{a}"
        );
        let ungated = w.replace(
            "github.event.workflow_run.head_repository.fork == false && ",
            "",
        );
        assert!(!one(&ungated, Regular)?.allowed());
        Ok(())
    }

    /// An action of another owner handed long-lived secrets on `pull_request_target` may run
    /// the pull request's code (the December 2024 ultralytics shape): an auditor lead naming
    /// the assumption; GitHub's own actions, the runtime token, a gate, and events that carry
    /// no pull request are not.
    #[test]
    fn secrets_handed_to_an_unseen_action_on_pull_requests_are_an_auditor_lead() -> R {
        let w = "on: {pull_request_target: {branches: [main]}}\njobs:\n  format:\n    runs-on: x\n    steps:\n      - uses: someorg/actions@main\n        with: {token: '${{ secrets.BOT_PAT }}', python: true}\n";
        assert!(one(w, Regular)?.allowed());
        let a = one(w, Auditor)?;
        let lead = a
            .violations()
            .iter()
            .find(|v| v.facts.get("action") == Some(&json!("someorg/actions")))
            .ok_or_else(|| format!("no lead: {a}"))?;
        assert_eq!(lead.facts.get("secrets"), Some(&json!(["BOT_PAT"])));
        assert_eq!(lead.confidence, crate::rule::Confidence::Low);
        assert!(!lead.assumptions.is_empty());
        for quiet in [
            w.replace("someorg/actions@main", "actions/labeler@v5"),
            w.replace("secrets.BOT_PAT", "secrets.GITHUB_TOKEN"),
            w.replace("pull_request_target", "issues"),
            w.replace(
                "    runs-on: x\n",
                "    runs-on: x\n    if: github.event.pull_request.head.repo.full_name == github.repository\n",
            ),
        ] {
            let d = one(&quiet, Auditor)?;
            assert!(
                !d.violations().iter().any(|v| v.facts.contains_key("action")),
                "{quiet}\n{d}"
            );
        }
        Ok(())
    }

    #[test]
    fn what_is_switched_off_with_if_false_never_runs() -> R {
        // vscode's API proposal check, disabled for a while with `if: false`.
        let w = "on: {issue_comment: {types: [created]}}\npermissions: {pull-requests: write}\njobs:\n  check:\n    if: false # temporarily disabled\n    runs-on: x\n    steps:\n      - uses: actions/github-script@v7\n        with: {script: 'console.log(\"${{ github.event.comment.body }}\")'}\n";
        assert!(one(w, Auditor)?.allowed());
        let on = w.replace("    if: false # temporarily disabled\n", "");
        assert!(!one(&on, Regular)?.allowed());
        let expr = w.replace("if: false", "if: ${{ false }}");
        assert!(one(&expr, Auditor)?.allowed());
        // A step switched off checks nothing out.
        let step = "on: pull_request_target\npermissions: {contents: write}\njobs:\n  build:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n        if: false\n        with: {ref: '${{ github.event.pull_request.head.sha }}'}\n      - run: make\n";
        assert!(one(step, Regular)?.allowed());
        assert!(!one(&step.replace("        if: false\n", ""), Regular)?.allowed());
        Ok(())
    }

    #[test]
    fn a_checkout_only_for_one_event_fetches_the_head_only_there() -> R {
        // A job on two events whose checkout of a ref from the dispatcher's input is kept to
        // `workflow_dispatch`; in the comment-triggered runs it checks out the base.
        let w = "on:\n  workflow_dispatch: {inputs: {ref: {type: string}}}\n  issue_comment: {types: [created]}\npermissions: {contents: write}\njobs:\n  build:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n        if: github.event_name == 'workflow_dispatch'\n        with: {ref: '${{ inputs.ref }}'}\n      - uses: actions/checkout@v4\n        if: github.event_name != 'workflow_dispatch'\n      - run: make\n";
        assert!(one(w, Regular)?.allowed());
        // Kept to the comment, the same checkout is the pull request's code with privileges.
        let bad = w.replacen(
            "github.event_name == 'workflow_dispatch'",
            "github.event_name == 'issue_comment'",
            1,
        );
        assert!(!one(&bad, Regular)?.allowed());
        Ok(())
    }

    #[test]
    fn a_head_checkout_replaced_by_the_base_before_anything_runs_runs_nothing() -> R {
        // airflow's selective checks: fetch the incoming commit, then check out the base again
        // to run the base's scripts.
        let w = "on: {workflow_run: {workflows: [ci], types: [requested]}}\npermissions: {pull-requests: write}\njobs:\n  label:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/checkout@v4\n        with: {ref: '${{ github.event.workflow_run.head_sha }}', fetch-depth: 2}\n      - uses: actions/checkout@v4\n      - run: ./scripts/selective-checks.sh\n";
        assert!(one(w, Regular)?.allowed());
        // Something run in between, a checkout that keeps the files, or another path: the
        // head's code is there.
        for bad in [
            w.replace(
                "      - uses: actions/checkout@v4\n      - run:",
                "      - run: make\n      - uses: actions/checkout@v4\n      - run:",
            ),
            w.replace(
                "      - uses: actions/checkout@v4\n      - run:",
                "      - uses: actions/checkout@v4\n        with: {clean: false}\n      - run:",
            ),
            w.replace(", fetch-depth: 2}", ", path: pr}"),
        ] {
            assert!(!one(&bad, Regular)?.allowed(), "{bad}");
        }
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
    fn pull_requests_on_a_self_hosted_runner_poison_what_it_runs_next() -> R {
        // llama.cpp's GPU CI: fork pull requests and default-branch pushes share persistent
        // runners; the push run holds a write token for a shared cache.
        let w = "on:\n  push: {branches: [master]}\n  pull_request: {}\njobs:\n  gpu:\n    runs-on: [self-hosted, Linux, NVIDIA]\n    steps:\n      - uses: actions/checkout@v6\n      - run: bash ./ci/run.sh ~/results\n      - run: ./upload-cache.sh\n        if: github.event_name == 'push'\n        env: {HF_TOKEN: '${{ secrets.HF_TOKEN_CACHE_OUTPUT }}'}\n";
        let d = one(w, Pedantic)?;
        let finding = d
            .violations()
            .iter()
            .find(|v| {
                v.code.as_str() == "pipeline/tainted-input"
                    && v.message.contains("gpu [push (default branch)]")
                    && v.message.contains("self-hosted runner")
            })
            .ok_or_else(|| format!("no runner finding:\n{d}"))?;
        // It rests on the runner keeping state, which the file does not say: pedantic, medium,
        // the assumption named; the regular persona is not shown it.
        assert_eq!(finding.persona, Pedantic);
        assert_eq!(finding.confidence, crate::rule::Confidence::Medium);
        assert!(
            finding
                .assumptions
                .iter()
                .any(|a| a.contains("not ephemeral")),
            "{finding:?}"
        );
        assert!(one(w, Regular)?.allowed(), "{}", one(w, Regular)?);
        // Whether any persona is shown a flow through a runner.
        let through_runner = |text: &str| -> Result<bool, Box<dyn std::error::Error>> {
            Ok(one(text, Auditor)?
                .violations()
                .iter()
                .any(|v| v.message.contains("self-hosted runner")))
        };
        // GitHub's runners start clean; a self-hosted runner no pull request reaches is the
        // committers' own.
        assert!(!through_runner(
            &w.replace("[self-hosted, Linux, NVIDIA]", "ubuntu-latest")
        )?);
        assert!(!through_runner(&w.replace("  pull_request: {}\n", ""))?);
        // The pull request brings its own copy of the workflow: no checkout is needed.
        let bare = w.replace("      - uses: actions/checkout@v6\n", "");
        assert!(through_runner(&bare)?);
        // A pull request's job on a runner with fewer labels may land on the same machine.
        let split = w.replace(
            "      - run: ./upload-cache.sh\n        if: github.event_name == 'push'\n        env: {HF_TOKEN: '${{ secrets.HF_TOKEN_CACHE_OUTPUT }}'}\n",
            "  upload:\n    if: github.event_name == 'push'\n    runs-on: {group: gpu, labels: [self-hosted, linux, nvidia, big]}\n    steps:\n      - run: ./upload-cache.sh\n        env: {HF_TOKEN: '${{ secrets.HF_TOKEN_CACHE_OUTPUT }}'}\n",
        );
        assert!(through_runner(&split)?, "{}", one(&split, Auditor)?);
        Ok(())
    }

    #[test]
    fn a_merge_queue_holding_credentials_is_advice() -> R {
        // astro's preview release: the merge queue runs approved changes a writer enqueued,
        // with the repository's secrets, as a push would.
        let w = "on: {merge_group: {}, push: {branches: [main]}}\npermissions: {contents: read, actions: write}\nenv: {TURBO_TOKEN: '${{ secrets.TURBO_TOKEN }}'}\njobs:\n  preview:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - run: pnpm install && pnpm run build\n";
        assert!(one(w, Regular)?.allowed(), "{}", one(w, Regular)?);
        let p = one(w, Pedantic)?;
        assert!(
            p.violations()
                .iter()
                .any(|v| v.code.as_str() == "pipeline/secret-not-allowed"
                    && v.message.contains("[merge_group]")),
            "{p}"
        );
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
    fn injections_inside_local_composite_actions_are_found() -> R {
        // The shape of the Dec 2024 ultralytics attack: the formatting action pulled the pull
        // request's branch by pasting `github.head_ref` into its shell.
        let w = "on: pull_request_target\npermissions: {contents: write}\njobs:\n  format:\n    runs-on: x\n    steps:\n      - id: fmt\n        uses: ./.github/actions/format\n        with: {title: '${{ github.event.pull_request.title }}', num: '${{ github.event.number }}'}\n";
        let action = "inputs: {title: {}, num: {}}\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: git pull origin ${{ github.head_ref }}\n";
        fn files<'a>(w: &'a str, a: &'a str) -> [(&'a str, &'a str); 2] {
            [
                ("r/.github/workflows/w.yml", w),
                ("r/.github/actions/format/action.yml", a),
            ]
        }
        let d = check(&files(w, action), Regular)?;
        assert!(d.has("pipeline/expression-injection"), "{d}");
        assert!(
            d.violations()
                .iter()
                .any(|v| v.facts.get("step") == Some(&json!("fmt > steps[0]"))),
            "{d}"
        );
        // An input carries the caller's text into the action's shell; a number does not.
        let by_input = action.replace("${{ github.head_ref }}", "${{ inputs.title }}");
        assert!(check(&files(w, &by_input), Regular)?.has("pipeline/expression-injection"));
        let number = action.replace("${{ github.head_ref }}", "${{ inputs.num }}");
        assert!(!check(&files(w, &number), Regular)?.has("pipeline/expression-injection"));
        let via_env = action.replace(
            "run: git pull origin ${{ github.head_ref }}\n",
            "run: git pull origin \"$REF\"\n      env: {REF: '${{ github.head_ref }}'}\n",
        );
        assert!(!check(&files(w, &via_env), Regular)?.has("pipeline/expression-injection"));
        Ok(())
    }

    #[test]
    fn event_text_passed_to_a_called_workflow_is_injected_where_it_pastes_its_input() -> R {
        let caller = "on: pull_request_target\npermissions: {pull-requests: write}\njobs:\n  call:\n    uses: ./.github/workflows/callee.yml\n    with: {title: '${{ github.event.pull_request.title }}', number: '${{ github.event.number }}'}\n";
        let callee = "on: {workflow_call: {inputs: {title: {type: string}, number: {type: number}}}}\njobs:\n  greet:\n    runs-on: x\n    steps:\n      - run: echo \"${{ inputs.title }}\"\n";
        let files = |c: &str| -> Result<crate::Decision, Box<dyn std::error::Error>> {
            check(
                &[
                    ("r/.github/workflows/caller.yml", caller),
                    ("r/.github/workflows/callee.yml", c),
                ],
                Regular,
            )
        };
        let d = files(callee)?;
        assert!(d.has("pipeline/expression-injection"), "{d}");
        // A number is no text; through `env:` the shell reads a variable.
        assert!(files(&callee.replace("inputs.title", "inputs.number"))?.allowed());
        let via_env = callee.replace(
            "      - run: echo \"${{ inputs.title }}\"\n",
            "      - run: echo \"$T\"\n        env: {T: '${{ inputs.title }}'}\n",
        );
        assert!(files(&via_env)?.allowed());
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

    #[test]
    fn a_condition_needing_an_event_payload_field_holds_only_for_events_that_have_it() {
        let ctx = |event: &str| Context {
            key: event.into(),
            event: event.into(),
            privileged: false,
            default_scope: false,
            tag: false,
        };
        let comment = "${{ github.repository_owner == 'withastro' && github.event.issue.pull_request && startsWith(github.event.comment.body, '!preview') }}";
        assert!(runs_in(comment, &ctx("issue_comment")));
        assert!(!runs_in(comment, &ctx("workflow_dispatch")));
        assert!(!runs_in(
            "contains(github.event.comment.body, '/retest')",
            &ctx("push")
        ));
        assert!(!runs_in(
            "github.event.workflow_run.event == 'pull_request'",
            &ctx("pull_request_target")
        ));
        assert!(!runs_in("github.event.inputs.pr", &ctx("schedule")));
        assert!(runs_in("github.event.inputs.pr", &ctx("workflow_dispatch")));
        // A called workflow's payload is its caller's: nothing is known.
        assert!(runs_in(
            "github.event.issue.pull_request",
            &ctx("workflow_call")
        ));
        // Null compares as 0, is not equal to itself negated, and `!=` holds on it.
        assert!(runs_in(
            "github.event.pull_request.head.repo.fork == false",
            &ctx("push")
        ));
        assert!(runs_in(
            "github.event.pull_request.number == '0'",
            &ctx("push")
        ));
        assert!(runs_in("github.event.label.name != 'x'", &ctx("push")));
        assert!(runs_in("!github.event.pull_request", &ctx("push")));
        assert!(runs_in(
            "contains(github.event.comment.body, '')",
            &ctx("push")
        ));
        // An unknown payload field or an alternative says nothing.
        assert!(runs_in("github.event.label.name == 'deploy'", &ctx("push")));
        assert!(runs_in(
            "github.event.comment || github.event_name == 'push'",
            &ctx("push")
        ));
    }
}
