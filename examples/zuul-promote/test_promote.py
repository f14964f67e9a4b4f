"""The promote job against the shared promotion case policy and evidence: testing -> staging
with the same digest, a signed record for the next hop, and a verifiable audit log."""

from __future__ import annotations

import shutil
from pathlib import Path

import lockkeeper
import promote

CASES = Path(__file__).resolve().parents[2] / "core" / "tests" / "cases"


def test_promotes_to_staging_signs_the_record_and_logs_it(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for name in ["build", "in-testing", "tests-passed"]:
        shutil.copy(CASES / "envelopes" / f"promo-{name}.json", evidence / f"{name}.json")
    artifact = tmp_path / "web-app.tar.gz"
    artifact.write_bytes(b"web-app-1.4.2.tar.gz")  # the bytes whose digest the evidence names
    log = tmp_path / "audit.jsonl"
    common = [
        "--policy", str(CASES / "policies" / "promotion.yaml"), "--artifact", str(artifact),
        "--evidence", str(evidence), "--deploy-key", str(CASES / "keys" / "deploy.TEST-ONLY.key"),
        "--audit-log", str(log), "--by", "alice", "--version", "1.4.2", "--at", "2026-11-24T10:00:00Z",
    ]
    assert promote.main(common + ["--to", "staging"]) == 0
    record = lockkeeper.Envelope.from_json((evidence / "promotion-staging.json").read_text())
    deploy_pub = lockkeeper.PublicKey.parse((CASES / "keys" / "deploy.pub").read_text())
    assert record.verify([deploy_pub]) == [deploy_pub.keyid]
    statement = lockkeeper.Statement.from_json(record.payload)
    assert statement.predicate_type == "https://slsa.dev/verification_summary/v1"
    assert statement.predicate["resourceUri"] == "lockkeeper:environment/staging"
    assert statement.covers(lockkeeper.digest_file(artifact))

    # The next hop: production needs two approvals, so the job is denied, and says why.
    assert promote.main(common + ["--to", "production"]) == 1
    audit = lockkeeper.AuditLog(log).verify(deploy_pub)
    assert audit.allowed, str(audit)
    lines = log.read_text().splitlines()
    assert len(lines) == 2


def test_a_rebuilt_artifact_is_not_promoted(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for name in ["build", "in-testing", "tests-passed"]:
        shutil.copy(CASES / "envelopes" / f"promo-{name}.json", evidence / f"{name}.json")
    artifact = tmp_path / "web-app.tar.gz"
    artifact.write_bytes(b"web-app-1.4.2.tar.gz rebuilt")
    code = promote.main([
        "--policy", str(CASES / "policies" / "promotion.yaml"), "--artifact", str(artifact),
        "--evidence", str(evidence), "--deploy-key", str(CASES / "keys" / "deploy.TEST-ONLY.key"),
        "--audit-log", str(tmp_path / "audit.jsonl"), "--by", "alice", "--to", "staging",
        "--at", "2026-11-24T10:00:00Z",
    ])
    assert code == 1
    assert not (evidence / "promotion-staging.json").exists()
