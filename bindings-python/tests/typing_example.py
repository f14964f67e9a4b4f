"""Checked by mypy in the test command: a typical release script, typed against the stubs."""

from __future__ import annotations

import lockkeeper


def may_deploy(policy_path: str, who: str) -> bool:
    policy = lockkeeper.Policy.from_file(policy_path)
    decision: lockkeeper.Decision = policy.authorize(who, "deploy", project="mediawiki/core", environment="production")
    for v in decision.violations:
        code: str = v.code
        facts: dict[str, object] = v.facts
        print(code, facts)
    try:
        lockkeeper.Policy.from_yaml("zones: {")
    except lockkeeper.PolicyError as e:
        line: int | None = e.line
        print(e.code, e.path, line, [p.message for p in e.problems])
    return decision.allowed


def pipeline_is_safe(policy_path: str, workflow: str) -> bool:
    pipeline: lockkeeper.Pipeline = lockkeeper.Pipeline.from_file(workflow, "github")
    jobs: list[dict[str, object]] = pipeline.jobs
    print(len(pipeline), pipeline.files, jobs, pipeline.unsupported)
    policy = lockkeeper.Policy.from_file(policy_path)
    decision: lockkeeper.Decision = policy.check_pipeline(pipeline)
    default: lockkeeper.Decision = lockkeeper.check_pipeline(pipeline)
    try:
        lockkeeper.Pipeline.from_yaml("jobs: {", "native")
    except lockkeeper.PipelineError as e:
        where: str | None = e.file
        print(e.code, where, e.line, [p.code for p in e.problems])
    lockkeeper.assert_pipeline_safe(policy, [workflow], format="github")
    return decision.allowed and default.allowed
