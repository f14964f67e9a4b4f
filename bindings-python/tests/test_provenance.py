"""Keys, envelopes, statements and provenance decisions, including interoperability with
securesystemslib (the reference DSSE implementation in Python) in both directions."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib import exceptions as sslib_exceptions
from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.signer import CryptoSigner, SSlibKey

import lockkeeper

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "testdata" / "fixtures"
BUILDER = "https://ci.example.org/builders/trusted"


def provenance_for(artifact: str, builder: str = BUILDER) -> lockkeeper.Statement:
    return lockkeeper.Statement.provenance(
        builder,
        [("app.tar.gz", artifact)],
        source="git+https://gerrit.example.org/r/web/app",
        ref="refs/heads/main",
    )


def policy_trusting(key: lockkeeper.PublicKey, extra: str = "") -> lockkeeper.Policy:
    ssl = json.dumps(key.to_securesystemslib())
    return lockkeeper.Policy.from_yaml(
        "zones: {untrusted: {}, trusted: {dominates: [untrusted]}}\n"
        "environments: {production: {min_build_zone: trusted}}\n"
        f"builders: {{'{BUILDER}': {{zone: trusted, keys: [{ssl}]}}}}\n" + extra
    )


def test_digest_helpers(tmp_path: Path) -> None:
    assert lockkeeper.digest(b"") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    f = tmp_path / "a"
    f.write_bytes(b"x" * 100_000)
    assert lockkeeper.digest_file(f) == lockkeeper.digest(b"x" * 100_000)
    assert lockkeeper.digest_file(f, "sha512").startswith("sha512:")


def test_keys_round_trip_and_never_print_the_secret() -> None:
    key = lockkeeper.SigningKey.generate()
    again = lockkeeper.SigningKey.from_pem(key.to_pem())
    assert again.keyid == key.keyid
    assert lockkeeper.PublicKey.from_pem(key.public_key.to_pem()) == key.public_key
    assert "PRIVATE" not in repr(key) and key.to_pem() not in repr(key)
    with pytest.raises(lockkeeper.InvalidRequestError) as err:
        lockkeeper.PublicKey.from_hex("00" * 31)
    assert err.value.code == "input/invalid-key"


def test_lockkeeper_signs_and_decides() -> None:
    key = lockkeeper.SigningKey.generate()
    artifact = lockkeeper.digest(b"app")
    statement = provenance_for(artifact)
    envelope = lockkeeper.Envelope.sign(statement.to_json(), [key])
    assert envelope.verify([key.public_key]) == [key.public_key.keyid]
    policy = policy_trusting(key.public_key)
    decision = policy.verify_provenance(envelope.to_json(), artifact, environment="production")
    assert decision.allowed, str(decision)
    other = policy.verify_provenance(envelope.to_json(), lockkeeper.digest(b"rebuilt"), environment="production")
    assert other.codes == ["provenance/subject-mismatch"]


def test_a_threshold_failure_is_a_typed_error() -> None:
    a, b = lockkeeper.SigningKey.generate(), lockkeeper.SigningKey.generate()
    env = lockkeeper.Envelope.sign(b"{}", [a], payload_type="text/plain")
    with pytest.raises(lockkeeper.VerificationError) as err:
        env.verify([a.public_key, b.public_key], threshold=2)
    assert err.value.code == "envelope/threshold-not-met"
    assert err.value.keyids == [a.public_key.keyid]


# --- securesystemslib -> lockkeeper -------------------------------------------------------


def sslib_signed(payload: bytes) -> tuple[CryptoSigner, dict[str, object]]:
    signer = CryptoSigner.generate_ed25519()
    env = SslibEnvelope(payload, lockkeeper.IN_TOTO_PAYLOAD_TYPE, {})
    env.sign(signer)
    return signer, env.to_dict()


def test_securesystemslib_envelopes_verify_here_with_the_same_keyid() -> None:
    artifact = lockkeeper.digest(b"app")
    signer, env = sslib_signed(provenance_for(artifact).to_json().encode())
    key = lockkeeper.PublicKey.from_securesystemslib(signer.public_key.to_dict())
    # Key ids agree, so envelopes match keys by keyid in both tools.
    assert key.keyid == signer.public_key.keyid
    assert env["signatures"][0]["keyid"] == key.keyid  # type: ignore[index]
    ours = lockkeeper.Envelope.from_json(json.dumps(env))
    assert ours.verify([key]) == [key.keyid]
    decision = policy_trusting(key).verify_provenance(json.dumps(env), artifact, environment="production")
    assert decision.allowed, str(decision)


@pytest.mark.parametrize("field", ["payload", "payloadType", "sig"])
def test_tampering_with_a_securesystemslib_envelope_fails_in_both_tools(field: str) -> None:
    artifact = lockkeeper.digest(b"app")
    signer, env = sslib_signed(provenance_for(artifact).to_json().encode())
    tampered = json.loads(json.dumps(env))
    if field == "payload":
        raw = base64.b64decode(tampered["payload"]).replace(b"refs/heads/main", b"refs/heads/evil")
        tampered["payload"] = base64.b64encode(raw).decode()
    elif field == "payloadType":
        tampered["payloadType"] = "application/vnd.in-toto+jsom"
    else:
        sig = bytearray(base64.b64decode(tampered["signatures"][0]["sig"]))
        sig[0] ^= 1
        tampered["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    key = lockkeeper.PublicKey.from_securesystemslib(signer.public_key.to_dict())
    with pytest.raises(lockkeeper.VerificationError):
        lockkeeper.Envelope.from_json(json.dumps(tampered)).verify([key])
    decision = policy_trusting(key).verify_provenance(json.dumps(tampered), artifact)
    assert not decision.allowed
    assert decision.codes == ["provenance/bad-signature"]
    with pytest.raises(sslib_exceptions.VerificationError):
        SslibEnvelope.from_dict(tampered).verify([signer.public_key], 1)


# --- lockkeeper -> securesystemslib -------------------------------------------------------


def sslib_key_from_our_pem(key: lockkeeper.SigningKey) -> SSlibKey:
    return SSlibKey.from_crypto(load_pem_public_key(key.public_key.to_pem().encode()))


def test_our_envelopes_verify_in_securesystemslib() -> None:
    key = lockkeeper.SigningKey.generate()
    env = lockkeeper.Envelope.sign(provenance_for(lockkeeper.digest(b"app")).to_json(), [key])
    theirs = sslib_key_from_our_pem(key)
    assert theirs.keyid == key.keyid
    accepted = SslibEnvelope.from_dict(json.loads(env.to_json())).verify([theirs], 1)
    assert list(accepted) == [key.keyid]


@pytest.mark.parametrize("field", ["payload", "payloadType", "sig"])
def test_tampering_with_our_envelope_fails_in_securesystemslib(field: str) -> None:
    key = lockkeeper.SigningKey.generate()
    env = json.loads(lockkeeper.Envelope.sign(provenance_for(lockkeeper.digest(b"app")).to_json(), [key]).to_json())
    if field == "payload":
        env["payload"] = base64.b64encode(base64.b64decode(env["payload"]) + b" ").decode()
    elif field == "payloadType":
        env["payloadType"] = "text/plain"
    else:
        sig = bytearray(base64.b64decode(env["signatures"][0]["sig"]))
        sig[-1] ^= 0x80
        env["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    with pytest.raises(sslib_exceptions.VerificationError):
        SslibEnvelope.from_dict(json.loads(json.dumps(env))).verify([sslib_key_from_our_pem(key)], 1)
    with pytest.raises(lockkeeper.VerificationError):
        lockkeeper.Envelope.from_json(json.dumps(env)).verify([key.public_key])


# --- files written by others ---------------------------------------------------------------


def test_attestation_verifier_fixtures_verify_with_their_securesystemslib_key() -> None:
    key_dict = json.loads((FIXTURES / "dsse" / "attestation-verifier_key.pub").read_text())
    key = lockkeeper.PublicKey.from_securesystemslib(key_dict)
    for name in ["build", "clone", "test", "npm-build", "npm-publish"]:
        env = lockkeeper.Envelope.from_json((FIXTURES / "dsse" / f"attestation-verifier_{name}.fe1c6281.json").read_bytes())
        assert env.verify([key]) == [key.keyid]
        assert env.keyids == ["fe1c6281c5ff13e35286cc67e5a1fb3e6575b840a6c39ca4267d3805eb17288a"]
        assert env.keyids[0] in key.keyids


def cli() -> str:
    import os
    import shutil

    explicit = os.environ.get("LOCKKEEPER_BIN")
    if explicit:
        return explicit
    for candidate in sorted(ROOT.glob("target/*/debug/lockkeeper")) + [ROOT / "target" / "debug" / "lockkeeper"]:
        if candidate.exists():
            return str(candidate)
    found = shutil.which("lockkeeper")
    if not found:
        pytest.skip("the lockkeeper CLI is not built (scripts/test.sh sets LOCKKEEPER_BIN)")
    return found


def test_the_cli_verifies_a_securesystemslib_envelope(tmp_path: Path) -> None:
    import subprocess

    artifact = lockkeeper.digest(b"app")
    signer, env = sslib_signed(provenance_for(artifact).to_json().encode())
    (tmp_path / "env.json").write_text(json.dumps(env))
    (tmp_path / "key.json").write_text(json.dumps(signer.public_key.to_dict()))
    ok = subprocess.run(
        [cli(), "envelope", "verify", "--pub", str(tmp_path / "key.json"), str(tmp_path / "env.json")],
        capture_output=True, text=True,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert signer.public_key.keyid in ok.stdout

    key = lockkeeper.PublicKey.from_securesystemslib(signer.public_key.to_dict())
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "zones: {trusted: {}}\nenvironments: {production: {min_build_zone: trusted}}\n"
        f"builders: {{'{BUILDER}': {{zone: trusted, keys: [{json.dumps(key.to_pem())}]}}}}\n"
    )
    decided = subprocess.run(
        [cli(), "verify", "--policy", str(policy), "--envelope", str(tmp_path / "env.json"),
         "--artifact", artifact, "--environment", "production", "--json"],
        capture_output=True, text=True,
    )
    assert decided.returncode == 0, decided.stdout + decided.stderr
    assert json.loads(decided.stdout)["allowed"] is True

    other = CryptoSigner.generate_ed25519()
    (tmp_path / "other.json").write_text(json.dumps(other.public_key.to_dict()))
    denied = subprocess.run(
        [cli(), "envelope", "verify", "--pub", str(tmp_path / "other.json"), str(tmp_path / "env.json")],
        capture_output=True, text=True,
    )
    assert denied.returncode == 1
    assert "NOT VERIFIED" in denied.stdout
