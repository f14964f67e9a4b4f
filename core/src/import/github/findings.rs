//! Findings the GitHub importer reports itself, one function per rule: flows the trust model
//! does not express (a gate that keeps outsiders out, the default branch's cache scope, another
//! run's artifacts, attacker text expanded into a script).

use serde_json::json;

use super::{Context, FileJobs, Flows, WorkflowJob};
use crate::decision::{Facts, Violation};
use crate::pipeline::PipelineBuilder;
use crate::rule::codes;

/// The facts every finding about a job carries.
fn job_facts(file: &str, job: &WorkflowJob, persona: &str) -> Facts {
    let mut m = Facts::new();
    m.insert("job".into(), json!(job.id));
    m.insert("file".into(), json!(file));
    if let Some(l) = job.loc {
        m.insert("line".into(), json!(l.line));
    }
    m.insert("persona".into(), json!(persona));
    m
}

/// A tainted input whose harm rests on an assumption the workflow cannot show: an auditor's
/// finding of low confidence that names it.
fn resting_on(file: &str, job: &WorkflowJob, message: String, assumption: &str) -> Violation {
    let mut m = job_facts(file, job, "auditor");
    m.insert("confidence".into(), json!("low"));
    m.insert("assumptions".into(), json!([assumption]));
    Violation::new(codes::PIPELINE_TAINTED_INPUT, message, m)
}

/// Outside the privileged events the other run a job downloads from is not known to be the
/// pull request's; it is not modelled, so it is reported: for every reader when the job holds
/// credentials or publishes, as a coverage note otherwise.
pub(super) fn other_run_download(
    b: &mut PipelineBuilder,
    file: &str,
    job: &WorkflowJob,
    ctxs: &[Context],
) {
    let jf = &job.facts;
    let plain = ctxs
        .iter()
        .any(|c| !c.privileged && !c.event.starts_with("pull_request"));
    // A job that also runs on `workflow_run` downloads the triggering run's artifacts there,
    // a flow that is modelled; a dispatch naming the run by hand (how such workflows are
    // re-run) reads the same kind of run.
    let follows_runs = ctxs.iter().any(|c| {
        c.event == "workflow_run" && jf.condition.as_deref().is_none_or(|x| super::runs_in(x, c))
    });
    if !(jf.downloads_run && plain) || follows_runs {
        return;
    }
    let holds = !jf.secrets.is_empty()
        || jf.inherit_secrets
        || jf.id_token
        || jf.publishes
        || jf.write_token != Some(false);
    let mut m = Facts::new();
    m.insert("file".into(), json!(file));
    if let Some(l) = job.loc {
        m.insert("line".into(), json!(l.line));
        m.insert("column".into(), json!(l.column));
    }
    m.insert("path".into(), json!(format!("jobs.{}", job.id)));
    m.insert("job".into(), json!(job.id));
    if !holds {
        m.insert("persona".into(), json!("auditor"));
    }
    b.finding(Violation::new(
        codes::IMPORT_UNSUPPORTED,
        "downloads artifacts of another workflow run; which run, and how trusted its output is, is not modelled",
        m,
    ));
}

/// The findings about job `k` of a file, once its flows in every context are known.
pub(super) fn report(b: &mut PipelineBuilder, wf: &FileJobs<'_>, k: usize, flows: &Flows) {
    let job = &wf.jobs[k];
    if flows.gated.contains(&k) {
        gated_checkout(b, wf.file, job);
    }
    if flows.poisons.contains(&k) {
        cache_poisoning(b, wf, job);
    }
    let releases = wf
        .ctxs
        .iter()
        .enumerate()
        .any(|(x, c)| wf.runs[k][x] && c.tag);
    release_restores_cache(b, wf, job, releases);
    if flows.data_reads.contains(&k) {
        artifacts_read_as_data(b, wf.file, job);
    }
    let events: Vec<&str> = wf
        .ctxs
        .iter()
        .enumerate()
        .filter(|(x, _)| wf.runs[k][*x])
        .map(|(_, c)| c.event.as_str())
        .collect();
    let privileged = wf
        .ctxs
        .iter()
        .enumerate()
        .any(|(x, c)| wf.runs[k][x] && c.privileged);
    if !events.is_empty() {
        injections(b, wf.file, job, &events, privileged);
    }
    let on_pull_requests: Vec<&str> = events
        .iter()
        .copied()
        .filter(|e| matches!(*e, "pull_request_target" | "workflow_run" | "issue_comment"))
        .collect();
    if let Some(event) = on_pull_requests.first() {
        secrets_to_unseen_actions(b, wf.file, job, event);
    }
}

/// A job run for a pull request with the base repository's privileges that hands long-lived
/// secrets to an action whose steps are not given: if the action checks out and runs the pull
/// request's code (a formatter, a linter, a builder would), the secrets reach it. The workflow
/// cannot show whether it does, so this is a lead for the auditor. A job that fetches the
/// pull request itself is reported on that direct flow instead, and a gate that keeps
/// outsiders out (a permission check, a same-repository condition) answers it.
fn secrets_to_unseen_actions(b: &mut PipelineBuilder, file: &str, job: &WorkflowJob, event: &str) {
    let jf = &job.facts;
    // A direct flow in the same job (its own checkout of the pull request, event text spliced
    // into a script or an agent's prompt) is the finding; the lead would only repeat it.
    if jf.pr_head || jf.gate.is_some() || !jf.injections.is_empty() {
        return;
    }
    for (action, secrets) in &jf.opaque_actions {
        let mut v = resting_on(
            file,
            job,
            format!(
                "job `{}` runs on `{event}` with the base repository's privileges and hands {} to `{action}`, whose steps are not given; if it checks out or runs the pull request's code, they reach it",
                job.id,
                secrets.join(", ")
            ),
            &format!(
                "`{action}` may check out and run the pull request's code (its steps are not given)"
            ),
        );
        v.facts.insert("action".into(), json!(action));
        v.facts.insert("secrets".into(), json!(secrets));
        b.finding(v);
    }
}

/// The pull request's code with privileges behind a gate: safe only if the gate keeps
/// outsiders out, which the workflow cannot show.
fn gated_checkout(b: &mut PipelineBuilder, file: &str, job: &WorkflowJob) {
    let mut m = job_facts(file, job, "auditor");
    let gate = job.facts.gate.clone().unwrap_or_default();
    m.insert("gate".into(), json!(gate));
    m.insert("confidence".into(), json!("low"));
    b.finding(Violation::new(
        codes::PIPELINE_TAINTED_INPUT,
        format!(
            "job `{}` runs with the base repository's privileges and checks out or downloads the pull request's code, behind a gate ({gate}); safe only if the gate keeps outsiders out",
            job.id
        ),
        m,
    ));
}

/// The run's runtime token writes the default branch's cache scope whatever the job's
/// permissions: the pull request's code can plant entries that later trusted runs restore by
/// their predictable keys. A cache action makes that certain. A job that holds credentials is
/// reported by the trust flow already.
fn cache_poisoning(b: &mut PipelineBuilder, wf: &FileJobs<'_>, job: &WorkflowJob) {
    let jf = &job.facts;
    if !(jf.secrets.is_empty() && jf.write_token == Some(false)) {
        return;
    }
    let persona = if jf.cache_save { "regular" } else { "auditor" };
    let mut m = job_facts(wf.file, job, persona);
    m.insert(
        "cache".into(),
        json!(format!(
            "GitHub Actions cache of {} (default-branch scope)",
            wf.repo
        )),
    );
    m.insert(
        "confidence".into(),
        json!(if jf.cache_save { "high" } else { "low" }),
    );
    b.finding(Violation::new(
        codes::PIPELINE_UNTRUSTED_CODE_IN_TRUSTED_ZONE,
        format!(
            "job `{}` runs the pull request's code in the default branch's cache scope; what it writes there, later trusted runs restore",
            job.id
        ),
        m,
    ));
}

/// Who else writes the default branch's cache scope is only known when every workflow of the
/// repository is given; a release with credentials restoring it rests on that.
fn release_restores_cache(
    b: &mut PipelineBuilder,
    wf: &FileJobs<'_>,
    job: &WorkflowJob,
    releases: bool,
) {
    let jf = &job.facts;
    if !(jf.cache_restore
        && (jf.publishes || releases)
        && (!jf.secrets.is_empty() || jf.inherit_secrets || jf.id_token))
    {
        return;
    }
    let message = format!(
        "job `{}` releases with credentials and restores a cache from the default-branch scope, which any workflow of {} running untrusted code there could have written",
        job.id, wf.repo
    );
    let assumption = "another workflow of the repository may run untrusted code in the default-branch cache scope";
    b.finding(resting_on(wf.file, job, message, assumption));
}

/// Another run's artifacts downloaded outside the workspace with privileges: trusted as data.
fn artifacts_read_as_data(b: &mut PipelineBuilder, file: &str, job: &WorkflowJob) {
    let message = format!(
        "job `{}` downloads another run's artifacts to a temporary directory with the base repository's privileges; what it does with their content is trusted",
        job.id
    );
    let assumption = "the artifacts are parsed as data, never executed";
    b.finding(resting_on(file, job, message, assumption));
}

/// Who an injection is reported to: regular where outsiders trigger the job with privileges and
/// no gate; pedantic where only committers or a fork's own read-only run reach it. A label
/// approves the request, not the text it carries: it is no gate for injection.
fn injection_persona(confidence: &str, gate: Option<&str>, privileged: bool) -> &'static str {
    let gate = gate.filter(|g| !g.contains("label"));
    match (gate, privileged) {
        _ if confidence == "low" => "auditor",
        (Some(_), _) => "auditor",
        (None, true) => "regular",
        (None, false) => "pedantic",
    }
}

/// Attacker-controlled text expanded into a script of a job that runs in `events`.
fn injections(
    b: &mut PipelineBuilder,
    file: &str,
    job: &WorkflowJob,
    events: &[&str],
    privileged: bool,
) {
    let jf = &job.facts;
    for inj in &jf.injections {
        let persona = injection_persona(inj.confidence, jf.gate.as_deref(), privileged);
        let mut m = job_facts(file, job, persona);
        if let Some(l) = inj.location {
            m.insert("line".into(), json!(l.line));
        }
        m.insert("step".into(), json!(inj.step));
        m.insert("sink".into(), json!(inj.sink));
        m.insert("expression".into(), json!(inj.value));
        m.insert("confidence".into(), json!(inj.confidence));
        m.insert("events".into(), json!(events));
        if let Some(g) = &jf.gate {
            m.insert("gate".into(), json!(g));
        }
        b.finding(Violation::new(
            codes::PIPELINE_EXPRESSION_INJECTION,
            format!(
                "job `{}`, step {}: attacker-controlled `{}` is expanded into {} before it runs",
                job.id, inj.step, inj.value, inj.sink
            ),
            m,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injection_personas_follow_privilege_gates_and_confidence() {
        assert_eq!(injection_persona("high", None, true), "regular");
        assert_eq!(injection_persona("high", None, false), "pedantic");
        assert_eq!(
            injection_persona("high", Some("actor check"), true),
            "auditor"
        );
        // A label is no gate for the text the request carries.
        assert_eq!(
            injection_persona("high", Some("label `safe`"), true),
            "regular"
        );
        assert_eq!(injection_persona("low", None, true), "auditor");
    }
}
