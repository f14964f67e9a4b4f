//! GitLab caches between pipelines on unprotected and protected refs.
//!
//! GitLab keeps the two apart by default (the project setting "Use separate caches for
//! protected branches", on since 15.0, suffixes every key with `-protected` or
//! `-non_protected`), so the trust flow the importer builds has no edge from a merge request's
//! cache to the default branch's. Two things still join them, neither visible in the files: the
//! setting turned off, and a pipeline a Maintainer starts on an unprotected ref (a fork's merge
//! request run in this project included), which GitLab gives the protected cache. Where a job
//! on a protected ref restores a fixed key that jobs on unprotected refs write, that is reported
//! for the auditor, with those assumptions: a lead, not a flow.

use serde_json::json;

use crate::decision::{Facts, Violation};
use crate::pipeline::PipelineBuilder;
use crate::rule::codes;
use crate::source::Location;

/// `$CI_JOB_NAME` (and its slug) in a cache key is the job's own name: jobs with such keys
/// share a cache only with their own runs in other pipelines.
pub(super) fn expand_job_name(key: &str, job: &str) -> String {
    let slug: String = job
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    key.replace("${CI_JOB_NAME_SLUG}", &slug)
        .replace("$CI_JOB_NAME_SLUG", &slug)
        .replace("${CI_JOB_NAME}", job)
        .replace("$CI_JOB_NAME", job)
}

/// Fixed cache keys written on unprotected refs and read on protected ones.
#[derive(Default)]
pub(super) struct SharedKeys {
    writers: Vec<(String, String)>,
    readers: Vec<Reader>,
}

struct Reader {
    key: String,
    job: String,
    file: String,
    loc: Option<Location>,
}

impl SharedKeys {
    pub(super) fn unprotected_writes(&mut self, key: &str, job: &str) {
        if !self.writers.iter().any(|(k, j)| k == key && j == job) {
            self.writers.push((key.to_owned(), job.to_owned()));
        }
    }

    pub(super) fn protected_reads(
        &mut self,
        key: &str,
        job: &str,
        file: &str,
        loc: Option<Location>,
    ) {
        if !self.readers.iter().any(|r| r.key == key && r.job == job) {
            self.readers.push(Reader {
                key: key.to_owned(),
                job: job.to_owned(),
                file: file.to_owned(),
                loc,
            });
        }
    }

    /// One auditor finding per job on a protected ref that restores a key written on
    /// unprotected refs.
    pub(super) fn report(self, b: &mut PipelineBuilder) {
        for r in &self.readers {
            let writers: Vec<&str> = self
                .writers
                .iter()
                .filter(|(k, _)| *k == r.key)
                .map(|(_, j)| j.as_str())
                .collect();
            let Some(first) = writers.first() else {
                continue;
            };
            let mut facts = Facts::new();
            facts.insert("job".into(), json!(r.job));
            facts.insert("file".into(), json!(r.file));
            if let Some(l) = r.loc {
                facts.insert("line".into(), json!(l.line));
            }
            facts.insert("cache".into(), json!(r.key));
            facts.insert("writers".into(), json!(writers));
            facts.insert("persona".into(), json!("auditor"));
            facts.insert("confidence".into(), json!("low"));
            facts.insert(
                "assumptions".into(),
                json!([
                    "the project shares caches between protected and unprotected refs (\"Use separate caches for protected branches\" off; on by default since GitLab 15.0), or a Maintainer starts a pipeline on an unprotected ref, which GitLab gives the protected cache"
                ]),
            );
            b.finding(Violation::new(
                codes::PIPELINE_TAINTED_INPUT,
                format!(
                    "job `{}` restores cache `{}` on protected refs, with the fixed key that `{first}` writes in merge request and branch pipelines; whoever runs code there can plant what the protected pipeline then runs",
                    r.job, r.key
                ),
                facts,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Persona::{Auditor, Pedantic, Regular};
    use crate::import::gitlab::tests::check;

    const MR_AND_MAIN: &str = "workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n";

    /// A fixed key read on the default branch and written in merge requests: a lead for the
    /// auditor (GitLab separates the caches by default), naming the job as written.
    #[test]
    fn a_fixed_key_shared_with_merge_requests_is_an_auditor_lead() -> Result<(), String> {
        let text = format!(
            "{MR_AND_MAIN}test:\n  cache: {{key: deps-v1, paths: [deps/]}}\n  script: [./run-tests]\n"
        );
        assert!(check(&text, Regular)?.allowed());
        let d = check(&text, Auditor)?;
        let v = d
            .violations()
            .iter()
            .find(|v| v.code == "pipeline/tainted-input")
            .ok_or(format!("{d}"))?;
        assert_eq!(v.facts.get("job"), Some(&json!("test")));
        assert!(!v.assumptions.is_empty(), "{v:?}");
        // A key per ref, or per job name in different jobs, is not shared.
        let per_ref = format!(
            "{MR_AND_MAIN}test:\n  cache: {{key: $CI_COMMIT_REF_SLUG, paths: [deps/]}}\n  script: [./run-tests]\n"
        );
        assert!(
            check(&per_ref, Auditor)?.allowed(),
            "{}",
            check(&per_ref, Auditor)?
        );
        Ok(())
    }

    /// `unprotect: true` shares the cache on purpose: a direct flow.
    #[test]
    fn an_unprotected_cache_is_a_direct_flow() -> Result<(), String> {
        let text = format!(
            "{MR_AND_MAIN}test:\n  cache: {{key: deps-v1, paths: [deps/], unprotect: true}}\n  script: [./run-tests]\n"
        );
        let d = check(&text, Regular)?;
        assert!(d.has("pipeline/tainted-input"), "{d}");
        Ok(())
    }

    /// A credential in a merge request pipeline: the variable must be unprotected to reach it,
    /// and a fork's pipeline runs here only when a member runs it, with the fork's own file.
    #[test]
    fn a_credential_on_an_unprotected_ref_is_pedantic() -> Result<(), String> {
        let text = format!("{MR_AND_MAIN}upload:\n  script: [curl -H \"$UPLOAD_TOKEN\" ./x]\n");
        assert!(
            check(&text, Regular)?.allowed(),
            "{}",
            check(&text, Regular)?
        );
        let d = check(&text, Pedantic)?;
        assert!(d.has("pipeline/secret-not-allowed"), "{d}");
        Ok(())
    }

    /// `changes:` depends on the commit's files: a `when: never` on it does not hide the job.
    #[test]
    fn a_changes_rule_is_unknown() -> Result<(), String> {
        let text = format!(
            "{MR_AND_MAIN}upload:\n  rules:\n    - changes: [docs/**]\n      when: never\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n  script: [curl -H \"$UPLOAD_TOKEN\" ./x]\n"
        );
        let d = check(&text, Pedantic)?;
        assert!(d.has("pipeline/secret-not-allowed"), "{d}");
        Ok(())
    }

    #[test]
    fn job_name_keys_are_per_job() {
        assert_eq!(expand_job_name("${CI_JOB_NAME}", "lint"), "lint");
        assert_eq!(
            expand_job_name("go-$CI_JOB_NAME_SLUG", "tests:unit"),
            "go-tests-unit"
        );
        assert_eq!(expand_job_name("fixed", "lint"), "fixed");
    }
}
