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


def record_and_verify(policy_path: str, log_path: str, key_pem: str) -> bool:
    key = lockkeeper.SigningKey.from_pem(key_pem)
    decision = lockkeeper.Policy.from_file(policy_path).authorize("alice", "deploy", environment="production")
    log = lockkeeper.AuditLog(log_path)
    entry: lockkeeper.AuditEntry = log.append(decision.to_dict(), key)
    seq: int = entry.seq
    kept: lockkeeper.AuditCheckpoint = log.checkpoint(key)
    again = lockkeeper.AuditCheckpoint.from_json(kept.to_json())
    try:
        log.append('{"note": "text works too"}', key)
    except lockkeeper.AuditLogError as e:
        line: int | None = e.line
        print(e.code, line)
    verified: lockkeeper.Decision = log.verify(key.public_key, checkpoint=again)
    print(seq, entry.hash, kept.count, kept.head)
    return verified.allowed
