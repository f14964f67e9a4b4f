"""Checked by mypy in the test command: a typical release script, typed against the stubs."""

from __future__ import annotations

from pathlib import Path

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
    for ev in decision.verified:
        for s in ev["signers"]:
            who_signed: str = s["keyid"] if s["kind"] == "key" else s["subject"]
            print(ev["used_as"], ev["digest"], who_signed)
        if "time" in ev and "log_index" in ev["time"]:
            index: int = ev["time"]["log_index"]
            print(index)
    return decision.allowed


def pipeline_is_safe(policy_path: str, workflow: str) -> bool:
    pipeline: lockkeeper.Pipeline = lockkeeper.Pipeline.from_file(workflow, "github")
    jobs: list[dict[str, object]] = pipeline.jobs
    print(len(pipeline), pipeline.files, jobs, pipeline.unsupported)
    policy = lockkeeper.Policy.from_file(policy_path)
    decision: lockkeeper.Decision = policy.check_pipeline(pipeline)
    default: lockkeeper.Decision = lockkeeper.check_pipeline(pipeline)
    pedantic: lockkeeper.Decision = lockkeeper.check_pipeline(pipeline, persona="pedantic")
    try:
        lockkeeper.Pipeline.from_yaml("jobs: {", "native")
    except lockkeeper.PipelineError as e:
        where: str | None = e.file
        print(e.code, where, e.line, [p.code for p in e.problems])
    lockkeeper.assert_pipeline_safe(policy, [workflow], format="github")
    repository: lockkeeper.Decision = lockkeeper.check_repository(".", policy, "auditor", allow_incomplete=True)
    lockkeeper.assert_pipeline_safe(None, Path("."), persona="pedantic")
    return decision.allowed and default.allowed and repository.allowed


def images(policy_path: str, layouts: list[str], vulnerable: str, inventory: str) -> int:
    policy = lockkeeper.Policy.from_file(policy_path)
    decisions: list[lockkeeper.Decision] = policy.check_images(layouts)
    one: lockkeeper.Decision = policy.check_image(layouts[0])
    pair: lockkeeper.Decision = policy.check_image_manifest("manifest.json", "config.json")
    try:
        plan: lockkeeper.RebuildPlan = lockkeeper.rebuild_plan([vulnerable], inventory=inventory)
    except lockkeeper.InventoryError as e:
        print(e.code, e.line, [p.path for p in e.problems])
        return 2
    except lockkeeper.ImageError as e:
        print(e.code)
        return 2
    for wave in plan.waves:
        for image in wave:
            wave_no: int | None = image.wave
            steps: list[str] = [s.name or s.digest for s in image.path]
            print(image.name, image.digest, wave_no, " -> ".join(steps))
    missing: list[dict[str, str]] = plan.missing_bases
    print(len(decisions), one.allowed, pair.allowed, plan.affected, plan.cycles, missing)
    return 0 if all(d.allowed for d in decisions) else 1
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


def promote_now(policy_path: str, artifact: str, evidence: list[bytes]) -> list[dict[str, str]]:
    from datetime import datetime, timezone

    policy = lockkeeper.Policy.from_file(policy_path)
    now = datetime.now(timezone.utc)
    outcome: lockkeeper.DeployOutcome = policy.promote(
        artifact,
        to="staging",
        by="alice",
        at=now,
        evidence=evidence,
        approvals=[{"principal": "bob", "at": now}, {"principal": "carol", "at": "2026-11-24T10:00:00Z"}],
    )
    return outcome.evidence_ignored


def keys_of_every_scheme(pem: str, der: bytes) -> bool:
    p256 = lockkeeper.SigningKey.generate(scheme="ecdsa-p256")
    scheme: str = p256.scheme
    public: lockkeeper.PublicKey = lockkeeper.PublicKey.from_pem(pem, scheme="rsassa-pss-sha256")
    pinned: lockkeeper.PublicKey = public.with_scheme("rsa-pkcs1v15-sha256")
    from_der: lockkeeper.PublicKey = lockkeeper.PublicKey.from_der(der)
    print(scheme, pinned.scheme, p256.public_key.scheme)
    return lockkeeper.PublicKey.parse(der) == from_der
