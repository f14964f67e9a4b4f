"""The audit log from Python: appending decisions, verifying offline, checkpoints, a torn tail,
and an entry checked independently with hashlib and securesystemslib's DSSE verifier."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.signer import Signature, SSlibKey

import lockkeeper
from test_provenance import cli

ENTRY_PAYLOAD_TYPE = "application/vnd.lockkeeper.audit-entry.v1+json"


def decisions(example_policy_path: Path) -> list[lockkeeper.Decision]:
    policy = lockkeeper.Policy.from_file(example_policy_path)
    scope = {"project": "mediawiki/core", "environment": "production"}
    return [policy.authorize(who, "deploy", **scope) for who in ("alice", "dave", "alice")]


def test_decisions_are_appended_verified_and_checkpointed(tmp_path: Path, example_policy_path: Path) -> None:
    key = lockkeeper.SigningKey.generate()
    log = lockkeeper.AuditLog(tmp_path / "audit.jsonl")
    assert log.path == str(tmp_path / "audit.jsonl")
    entries = [log.append(d.to_dict(), key) for d in decisions(example_policy_path)]
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev == "sha256:" + "0" * 64
    assert [e.prev for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert entries[1].record["allowed"] is False
    assert entries[1].record["violations"][0]["code"] == "rbac/missing-permission"
    assert repr(entries[0]).startswith("AuditEntry(seq=1, hash='sha256:")

    assert log.verify(key.public_key).allowed
    checkpoint = log.checkpoint(key)
    assert (checkpoint.count, checkpoint.head) == (3, entries[-1].hash)
    assert lockkeeper.AuditCheckpoint.from_json(checkpoint.to_json()) == checkpoint
    assert checkpoint.to_dict()["count"] == 3
    # JSON text is kept as given too; the log grows past the checkpoint and still verifies.
    assert log.append('{"note": "free text", "n": 0.1}', key).record == {"note": "free text", "n": 0.1}
    decision = log.verify(key.public_key, checkpoint)
    assert decision.allowed, str(decision)

    # Cut the log back below the checkpoint.
    lines = (tmp_path / "audit.jsonl").read_bytes().splitlines(keepends=True)
    (tmp_path / "cut.jsonl").write_bytes(b"".join(lines[:2]))
    cut = lockkeeper.AuditLog(tmp_path / "cut.jsonl").verify(key.public_key, checkpoint)
    assert cut.codes == ["audit/truncated"]


def test_an_edited_decision_is_reported_with_its_line(tmp_path: Path, example_policy_path: Path) -> None:
    key = lockkeeper.SigningKey.generate()
    path = tmp_path / "audit.jsonl"
    log = lockkeeper.AuditLog(path)
    for d in decisions(example_policy_path):
        log.append(d.to_dict(), key)
    text = path.read_text()
    path.write_text(text.replace('"allowed":false', '"allowed":true', 1))
    decision = log.verify(key.public_key)
    assert not decision.allowed
    assert sorted(decision.codes) == ["audit/bad-signature", "audit/broken-chain"]
    assert {v.facts["line"] for v in decision.violations} == {2}
    with pytest.raises(lockkeeper.AuditLogError) as err:
        log.checkpoint(key)
    assert err.value.code == "audit/broken-chain"
    assert err.value.line == 2


def test_a_torn_tail_is_reported_and_the_append_refused(tmp_path: Path) -> None:
    key = lockkeeper.SigningKey.generate()
    path = tmp_path / "audit.jsonl"
    log = lockkeeper.AuditLog(path)
    log.append({"n": 1}, key)
    with path.open("ab") as f:
        f.write(b'{"hash":"sha256:ab')
    before = path.read_bytes()
    with pytest.raises(lockkeeper.AuditLogError) as err:
        log.append({"n": 2}, key)
    assert isinstance(err.value, lockkeeper.LockkeeperError)
    assert (err.value.code, err.value.line) == ("audit/torn-entry", 2)
    assert path.read_bytes() == before
    decision = log.verify(key.public_key)
    assert decision.codes == ["audit/torn-entry"]
    assert decision.violations[0].facts == {"line": 2, "bytes": 18}


def test_another_key_and_bad_records_are_refused(tmp_path: Path) -> None:
    key, other = lockkeeper.SigningKey.generate(), lockkeeper.SigningKey.generate()
    log = lockkeeper.AuditLog(tmp_path / "audit.jsonl")
    log.append({}, key)
    with pytest.raises(lockkeeper.AuditLogError) as err:
        log.append({}, other)
    assert err.value.code == "audit/bad-signature"
    assert log.verify(other.public_key).codes == ["audit/bad-signature"]
    for bad in ([1, 2], "[]", b'{"a": 1, "a": 2}', {"x": float("nan")}):
        with pytest.raises(lockkeeper.InvalidRequestError) as rerr:
            log.append(bad, key)  # type: ignore[arg-type]
        assert rerr.value.code == "input/malformed-audit-record"
    with pytest.raises(lockkeeper.InvalidRequestError) as cerr:
        lockkeeper.AuditCheckpoint.from_json("{}")
    assert cerr.value.code == "input/malformed-checkpoint"
    with pytest.raises(FileNotFoundError):
        lockkeeper.AuditLog(tmp_path / "missing.jsonl").verify(key.public_key)


def test_an_entry_checks_out_with_hashlib_and_securesystemslib(tmp_path: Path) -> None:
    key = lockkeeper.SigningKey.generate()
    log = lockkeeper.AuditLog(tmp_path / "audit.jsonl")
    entry = log.append({"allowed": True, "who": "é"}, key)
    line = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").rstrip("\n")
    # The signed body is the line without its first (`hash`) and last (`sig`) members.
    body = ("{" + line[line.index(',"prev"') + 1 : line.rindex(',"sig"')] + "}").encode()
    assert json.loads(body) == {"prev": entry.prev, "record": entry.record, "seq": 1}
    assert "sha256:" + hashlib.sha256(body).hexdigest() == entry.hash
    sig = json.loads(line)["sig"]
    theirs = SSlibKey.from_crypto(load_pem_public_key(key.public_key.to_pem().encode()))
    envelope = SslibEnvelope(body, ENTRY_PAYLOAD_TYPE, {theirs.keyid: Signature(theirs.keyid, base64.b64decode(sig).hex())})
    assert list(envelope.verify([theirs], 1)) == [theirs.keyid]


def test_python_and_the_cli_read_each_others_logs(tmp_path: Path) -> None:
    key = lockkeeper.SigningKey.generate()
    (tmp_path / "svc.key").write_text(key.to_pem())
    (tmp_path / "svc.pub").write_text(key.public_key.to_pem())
    path = tmp_path / "audit.jsonl"
    lockkeeper.AuditLog(path).append({"from": "python"}, key)
    appended = subprocess.run(
        [cli(), "audit", "append", "--log", str(path), "--key", str(tmp_path / "svc.key")],
        input='{"from": "cli"}', capture_output=True, text=True,
    )
    assert appended.returncode == 0, appended.stderr
    assert appended.stdout.startswith("2 sha256:")
    assert lockkeeper.AuditLog(path).append({"from": "python"}, key).seq == 3
    checkpoint = lockkeeper.AuditLog(path).checkpoint(key)
    (tmp_path / "cp.json").write_text(checkpoint.to_json())
    verified = subprocess.run(
        [cli(), "audit", "verify", "--log", str(path), "--pub", str(tmp_path / "svc.pub"),
         "--checkpoint", str(tmp_path / "cp.json"), "--json"],
        capture_output=True, text=True,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["allowed"] is True
