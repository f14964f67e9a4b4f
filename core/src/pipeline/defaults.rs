//! What a pipeline check assumes when no policy is given, and what each platform's contexts
//! usually mean.
//!
//! The default makes `lockkeeper check pipeline .github/workflows/*.yml` useful on day one: four
//! zones (`untrusted < approved < trusted < deploy`), unreviewed code in `untrusted`, approved but
//! unmerged code (Zuul `gate`, merge queues) in `approved`, merged code in `trusted`, deploying jobs
//! in `deploy`; secrets belong to `trusted` and `deploy`. A site's policy refines it.

use super::Trigger;
use crate::policy::Policy;

/// The built-in policy, as a document (also shown in docs/pipelines.md).
pub const DEFAULT_POLICY: &str = r#"# lockkeeper's built-in policy for pipeline checks (used when no policy is given).
version: 1
description: built-in defaults for pipeline checks
zones:
  untrusted:
    description: unreviewed code (patchsets, pull requests, merge-request and branch pipelines)
  approved:
    dominates: [untrusted]
    description: reviewed but not merged (Zuul gate, merge queues)
  trusted:
    dominates: [approved]
    publish: true
    credentials: true
    description: merged code, tags, schedules and manual runs
  deploy:
    dominates: [trusted]
    credentials: true
    publish: true
    description: jobs that deploy to an environment (publishing to a registry counts)
pipelines:
  triggers:
    patchset: untrusted
    approved: approved
    merged: trusted
    tag: trusted
    manual: trusted
    schedule: trusted
  deploy_zone: deploy
  undeclared_environments:
    min_build_zone: trusted
"#;

/// [`DEFAULT_POLICY`], read once on first use and shared: it is immutable, so sharing it is no
/// global state, and a pipeline check does not pay for parsing it again.
static BUILTIN: std::sync::LazyLock<Policy> =
    std::sync::LazyLock::new(|| match Policy::from_yaml(DEFAULT_POLICY) {
        Ok(policy) => policy,
        // A constant of this file, parsed by `the_builtin_policy_parses_with_four_zones` on every test run: no
        // input reaches here, so a failure is a bug in this file, found before any release.
        Err(e) => unreachable!("the built-in policy does not parse: {e:?}"),
    });

impl Policy {
    /// The built-in policy pipeline checks use when none is given (see [`DEFAULT_POLICY`]).
    ///
    /// ```
    /// let p = lockkeeper::Policy::builtin();
    /// assert_eq!(p.zones().len(), 4);
    /// ```
    pub fn builtin() -> &'static Policy {
        &BUILTIN
    }
}

/// The trigger a platform context usually stands for, when neither the policy nor the importer
/// says. `None` means unknown, which the check treats as unreviewed code (fail closed).
pub fn context_trigger(context: &str) -> Option<Trigger> {
    let (platform, rest) = context.split_once('/')?;
    match platform {
        "github" => github(rest),
        "zuul" => zuul(rest),
        "gitlab" => gitlab(rest),
        "argo" => argo(rest),
        _ => None,
    }
}

fn github(event: &str) -> Option<Trigger> {
    // A privileged event's job that holds nothing (no secret, no write token, no environment):
    // checked as if it ran the pull request's code, so what it hands on counts as untrusted.
    if event.ends_with(" (read-only)") {
        return Some(Trigger::Patchset);
    }
    Some(match event {
        // Code from the pull request runs.
        "pull_request" | "pull_request_review" | "pull_request_review_comment" => Trigger::Patchset,
        // Pushing needs write access: a push to any branch is a committer's code.
        "push" => Trigger::Merged,
        "merge_group" => Trigger::Approved,
        // The default branch's workflow runs, with the base repository's privileges; what it
        // reads from the event (or checks out) is untrusted, which the importer models as input.
        "pull_request_target"
        | "workflow_run"
        | "issue_comment"
        | "issues"
        | "discussion"
        | "discussion_comment"
        | "push (default branch)"
        | "check_run"
        | "check_suite"
        | "status"
        | "deployment"
        | "deployment_status"
        | "label"
        | "milestone"
        | "watch"
        | "fork"
        | "gollum"
        | "page_build"
        | "public"
        | "branch_protection_rule"
        | "registry_package"
        | "delete" => Trigger::Merged,
        "push (tags)" | "release" | "create" => Trigger::Tag,
        "workflow_dispatch" | "repository_dispatch" => Trigger::Manual,
        "schedule" => Trigger::Schedule,
        // A called workflow's trigger is its caller's, unknown here.
        "workflow_call" => return None,
        // Every other event runs the default branch's workflow with the base repository's
        // privileges (GitHub's events are a closed list; project, member, ... all do).
        e if !e.is_empty() && e.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
            Trigger::Merged
        }
        _ => return None,
    })
}

fn zuul(pipeline: &str) -> Option<Trigger> {
    let p = pipeline.to_ascii_lowercase();
    Some(match p.as_str() {
        "check" | "check-arm64" | "experimental" | "third-party-check" | "test" => {
            Trigger::Patchset
        }
        "gate" | "gate-and-submit" | "merge-check" => Trigger::Approved,
        "post" | "promote" | "deploy" | "postmerge" | "post-merge" => Trigger::Merged,
        "release" | "tag" | "pre-release" | "release-approval" => Trigger::Tag,
        _ if p.contains("periodic") || p.contains("hourly") || p.contains("daily") => {
            Trigger::Schedule
        }
        _ if p.starts_with("check") || p.ends_with("-check") || p.contains("experimental") => {
            Trigger::Patchset
        }
        _ if p.starts_with("gate") => Trigger::Approved,
        _ => return None,
    })
}

fn gitlab(source: &str) -> Option<Trigger> {
    Some(match source {
        "merge_request" | "branch" | "external_pull_request" => Trigger::Patchset,
        "merge_train" => Trigger::Approved,
        "default_branch" | "protected_branch" => Trigger::Merged,
        "tag" => Trigger::Tag,
        "schedule" => Trigger::Schedule,
        "web" | "api" | "trigger" | "pipeline" | "parent_pipeline" | "chat" => Trigger::Manual,
        _ => return None,
    })
}

fn argo(kind: &str) -> Option<Trigger> {
    match kind {
        "kind/CronWorkflow" | "kind/ScheduledWorkflow" => Some(Trigger::Schedule),
        // Submitting a workflow needs cluster credentials: a deliberate, authorised act.
        "kind/Workflow" | "kind/WorkflowTemplate" | "kind/ClusterWorkflowTemplate" => {
            Some(Trigger::Manual)
        }
        // A Sensor's workflow is fixed by whoever deployed the Sensor; the event that starts
        // it comes from outside (an EventSource not read: assumed anyone can send it).
        "kind/Sensor" => Some(Trigger::Manual),
        "event-source" => Some(Trigger::Patchset),
        // An EventSource that was read says who sends the event: a clock, the cluster, or
        // (webhooks, forges, queues) someone outside.
        k if k.starts_with("event-source/calendar") => Some(Trigger::Schedule),
        k if k.starts_with("event-source/resource") => Some(Trigger::Manual),
        k if k.starts_with("event-source/") => Some(Trigger::Patchset),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_policy_parses_with_four_zones() -> Result<(), crate::Error> {
        let p = Policy::from_yaml(DEFAULT_POLICY)?;
        let z = p.zones();
        let id = |n: &str| z.id(n);
        assert_eq!(z.len(), 4);
        let (Some(u), Some(a), Some(t), Some(d)) =
            (id("untrusted"), id("approved"), id("trusted"), id("deploy"))
        else {
            panic!("zones missing");
        };
        assert!(z.dominates(d, t) && z.dominates(t, a) && z.dominates(a, u));
        let rules = p.pipeline_rules();
        assert_eq!(rules.trigger_zone(Trigger::Patchset), Some(u));
        assert_eq!(rules.trigger_zone(Trigger::Approved), Some(a));
        assert_eq!(rules.deploy_zone(), Some(d));
        assert_eq!(Policy::builtin().zones().len(), 4);
        assert!(
            std::ptr::eq(Policy::builtin(), Policy::builtin()),
            "read once"
        );
        Ok(())
    }

    #[test]
    fn contexts_keep_their_platform_meaning() {
        assert_eq!(
            context_trigger("github/pull_request"),
            Some(Trigger::Patchset)
        );
        assert_eq!(context_trigger("zuul/gate"), Some(Trigger::Approved));
        assert_eq!(
            context_trigger("github/pull_request_target"),
            Some(Trigger::Merged)
        );
        assert_eq!(
            context_trigger("github/workflow_run (read-only)"),
            Some(Trigger::Patchset)
        );
        assert_eq!(
            context_trigger("zuul/opendev-prod-hourly"),
            Some(Trigger::Schedule)
        );
        assert_eq!(
            context_trigger("gitlab/default_branch"),
            Some(Trigger::Merged)
        );
        assert_eq!(context_trigger("zuul/whatever"), None);
        assert_eq!(
            context_trigger("github/project_card"),
            Some(Trigger::Merged)
        );
        assert_eq!(context_trigger("github/push"), Some(Trigger::Merged));
        assert_eq!(context_trigger("github/workflow_call"), None);
        assert_eq!(context_trigger("nonsense"), None);
        assert_eq!(
            context_trigger("argo/event-source/github (change under review)"),
            Some(Trigger::Patchset)
        );
        assert_eq!(
            context_trigger("argo/event-source/calendar"),
            Some(Trigger::Schedule)
        );
    }
}
