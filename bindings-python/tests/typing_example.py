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
