"""Sigstore bundles through the Python binding, and the same bundles through sigstore-python
(the reference client, pinned in requirements-test.txt): both must agree."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from sigstore.models import Bundle as PyBundle
from sigstore.models import TrustedRoot as PyTrustedRoot
from sigstore.verify import Verifier, policy as pypolicy

import lockkeeper

FIXTURES = Path(__file__).resolve().parents[2] / "testdata" / "fixtures" / "sigstore"
PROD = FIXTURES / "trusted-roots" / "production.trusted_root.json"
WHEEL = FIXTURES / "bundles" / "python" / "bundle_v3_github.whl"
WHEEL_BUNDLE = FIXTURES / "bundles" / "python" / "bundle_v3_github.whl.sigstore"
ISSUER = "https://token.actions.githubusercontent.com"
SUBJECT = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"


def root() -> lockkeeper.TrustedRoot:
    return lockkeeper.TrustedRoot.from_file(PROD)


def test_a_github_built_wheel_verifies_with_identity_and_claims() -> None:
    result = lockkeeper.verify_bundle(
        WHEEL_BUNDLE.read_bytes(),
        trusted_root=root(),
        artifact=WHEEL.read_bytes(),
        identity={
            "issuer": ISSUER,
            "subject_pattern": "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/*",
            "runner_environment": "github-hosted",
            "source_repository_ref": ["refs/tags/*"],
        },
    )
    assert result.allowed
    assert result.verified is not None
    assert result.verified["signer"]["subject"] == SUBJECT
    assert result.verified["signer"]["claims"]["source_repository"] == "https://github.com/trailofbits/rfc8785.py"
    assert [c["field"] for c in result.identity_checks] == [
        "issuer", "subject_pattern", "runner_environment", "source_repository_ref",
    ]
    assert all(c["ok"] for c in result.identity_checks)
    with pytest.raises(TypeError):
        bool(result)


def test_a_claim_the_policy_refuses_is_a_denial_with_its_facts() -> None:
    result = lockkeeper.verify_bundle(
        WHEEL_BUNDLE.read_bytes(),
        trusted_root=root(),
        digest=lockkeeper.digest(WHEEL.read_bytes()),
        identity={"issuer": ISSUER, "subject": SUBJECT, "runner_environment": "self-hosted"},
    )
    assert not result.allowed
    assert result.decision.codes == ["sigstore/claim-mismatch"]
    assert result.verified is None
    check = result.identity_checks[-1]
    assert (check["field"], check["actual"], check["ok"]) == ("runner_environment", "github-hosted", False)


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        lockkeeper.verify_bundle(WHEEL_BUNDLE.read_bytes(), trusted_root=root(), artifact=b"x")
    with pytest.raises(lockkeeper.InvalidRequestError) as err:
        lockkeeper.verify_bundle(
            WHEEL_BUNDLE.read_bytes(), trusted_root=root(), artifact=b"x",
            identity={"issuer": ISSUER, "subject": SUBJECT, "runner": "github-hosted"},
        )
    assert err.value.code == "policy/invalid-value"
    with pytest.raises(lockkeeper.InvalidRequestError) as rerr:
        lockkeeper.TrustedRoot.from_json("{}")
    assert rerr.value.code == "input/malformed-trusted-root"
    assert lockkeeper.TrustedRoot.builtin("public-good").name == "public-good"


def test_pep740_and_gh_jsonl_inputs() -> None:
    pypi = FIXTURES / "bundles" / "pypi" / "warehouse"
    result = lockkeeper.verify_bundle(
        (pypi / "sampleproject-3.0.0.tar.gz.publish.attestation").read_bytes(),
        trusted_root=root(),
        artifact=(pypi / "sampleproject-3.0.0.tar.gz").read_bytes(),
        identity={"issuer": "https://accounts.google.com", "subject": "919436158236-compute@developer.gserviceaccount.com"},
    )
    assert result.allowed, str(result.decision)
    gh = FIXTURES / "bundles" / "gh-cli"
    result = lockkeeper.verify_bundle(
        (gh / "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl").read_bytes(),
        trusted_root=lockkeeper.TrustedRoot.from_file(FIXTURES / "trusted-roots" / "github.trusted_root.json"),
        artifact=(gh / "github_provenance_demo-0.0.12-py3-none-any.whl").read_bytes(),
        identity={"issuer": ISSUER, "subject_pattern": "https://github.com/actions/attest-demo/**"},
    )
    assert result.allowed, str(result.decision)


def test_a_policy_with_a_trusted_root_takes_a_bundle_as_provenance() -> None:
    policy = lockkeeper.Policy.from_file(
        Path(__file__).resolve().parents[2] / "core" / "tests" / "cases" / "policies" / "sigstore.yaml"
    )
    bundle = (FIXTURES / "bundles" / "gh-cli" / "sigstore-js-2.1.0-bundle.json").read_bytes()
    npm = lockkeeper.digest((FIXTURES / "bundles" / "gh-cli" / "sigstore-js-2.1.0.tgz").read_bytes(), "sha512")
    without = policy.verify_provenance(bundle, npm, environment="production")
    assert without.codes == ["sigstore/untrusted-certificate"]
    decision = policy.with_trusted_root(root()).verify_provenance(bundle, npm, environment="production")
    assert decision.allowed, str(decision)


# --- The reference client agrees ----------------------------------------------------------------


def tamper(bundle: bytes, pointer: list[Any]) -> bytes:
    doc = json.loads(bundle)
    node = doc
    for key in pointer[:-1]:
        node = node[key]
    raw = bytearray(base64.b64decode(node[pointer[-1]]))
    raw[len(raw) // 2] ^= 0x01
    node[pointer[-1]] = base64.b64encode(bytes(raw)).decode()
    return json.dumps(doc).encode()


CHAIN = ["verificationMaterial", "x509CertificateChain", "certificates", 0, "rawBytes"]
CASES = [
    ("untouched", None, True),
    ("certificate", CHAIN, False),
    ("signature", ["messageSignature", "signature"], False),
    ("message digest", ["messageSignature", "messageDigest", "digest"], False),
    ("inclusion proof", ["verificationMaterial", "tlogEntries", 0, "inclusionProof", "hashes", 0], False),
    ("SET", ["verificationMaterial", "tlogEntries", 0, "inclusionPromise", "signedEntryTimestamp"], False),
]


def sigstore_python_verifies(bundle: bytes, artifact: bytes) -> bool:
    verifier = Verifier(trusted_root=PyTrustedRoot.from_file(str(PROD)))
    try:
        parsed = PyBundle.from_json(bundle)
        verifier.verify_artifact(artifact, parsed, pypolicy.Identity(identity=SUBJECT, issuer=ISSUER))
    except Exception:  # noqa: BLE001 - any failure of the peer is a "does not verify"
        return False
    return True


def peer_verifies(bundle: bytes, artifact: bytes, root_file: Path, identity: str, issuer: str) -> bool:
    """sigstore-python's verdict, as its CLI gives it: a DSSE bundle verifies and one of its
    statement's subjects is the artifact; any other bundle verifies over the artifact."""
    import hashlib

    try:
        verifier = Verifier(trusted_root=PyTrustedRoot.from_file(str(root_file)))
        parsed = PyBundle.from_json(bundle)
        wanted = pypolicy.Identity(identity=identity, issuer=issuer)
        if "dsseEnvelope" in json.loads(bundle):
            _, payload = verifier.verify_dsse(parsed, wanted)
            digest = hashlib.sha256(artifact).hexdigest()
            return any(s.get("digest", {}).get("sha256") == digest for s in json.loads(payload)["subject"])
        verifier.verify_artifact(artifact, parsed, wanted)
    except Exception:  # noqa: BLE001 - any failure of the peer is a "does not verify"
        return False
    return True


@pytest.mark.parametrize(("what", "pointer", "verifies"), CASES, ids=[c[0] for c in CASES])
def test_sigstore_python_and_lockkeeper_agree(what: str, pointer: list[Any] | None, verifies: bool) -> None:
    bundle = WHEEL_BUNDLE.read_bytes() if pointer is None else tamper(WHEEL_BUNDLE.read_bytes(), pointer)
    artifact = WHEEL.read_bytes()
    ours = lockkeeper.verify_bundle(
        bundle, trusted_root=root(), artifact=artifact, identity={"issuer": ISSUER, "subject": SUBJECT}
    ).allowed
    theirs = sigstore_python_verifies(bundle, artifact)
    assert (ours, theirs) == (verifies, verifies), what


def test_sigstore_python_and_lockkeeper_agree_on_conformance_cases() -> None:
    """Every conformance case sigstore-python 4.5.1 runs with an identity and a given root."""
    base = FIXTURES / "conformance" / "assets" / "bundle-verify"
    agree, disagree = 0, []
    for case in sorted(p for p in base.iterdir() if p.is_dir()):
        if (case / "key.pub").exists():
            continue
        artifact = ((case / "artifact") if (case / "artifact").exists() else base / "a.txt").read_bytes()
        identity = (case / "identity").read_text().strip() if (case / "identity").exists() else \
            "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
        issuer = (case / "issuer").read_text().strip() if (case / "issuer").exists() else ISSUER
        root_file = case / "trusted_root.json" if (case / "trusted_root.json").exists() else PROD
        bundle = (case / "bundle.sigstore.json").read_bytes()
        try:
            ours = lockkeeper.verify_bundle(
                bundle, trusted_root=lockkeeper.TrustedRoot.from_file(root_file), artifact=artifact,
                identity={"issuer": issuer, "subject": identity},
            ).allowed
        except lockkeeper.LockkeeperError:
            ours = False
        theirs = peer_verifies(bundle, artifact, root_file, identity, issuer)
        if ours == theirs:
            agree += 1
        else:
            disagree.append((case.name, ours, theirs))
    print(f"sigstore-python agrees on {agree} of {agree + len(disagree)} conformance cases; differs: {disagree}")
    # The two known differences (fixtures README): sigstore-python 4.x refuses legacy intoto
    # entries and does not yet pass trust-root-tsa-validity-end-inclusive; lockkeeper verifies
    # both as the suite expects.
    assert sorted(d[0] for d in disagree) == ["intoto-with-custom-trust-root", "trust-root-tsa-validity-end-inclusive"]
    assert all(ours for _, ours, _ in disagree)
    assert agree == 65


def test_the_promotion_gate_takes_a_bundle_as_build_evidence() -> None:
    policy = lockkeeper.Policy.from_file(
        Path(__file__).resolve().parents[2] / "core" / "tests" / "cases" / "policies" / "sigstore.yaml"
    )
    bundle = (FIXTURES / "bundles" / "gh-cli" / "sigstore-js-2.1.0-bundle.json").read_bytes()
    npm = lockkeeper.digest((FIXTURES / "bundles" / "gh-cli" / "sigstore-js-2.1.0.tgz").read_bytes(), "sha512")
    ignored = policy.promote(npm, to="testing", by="alice", evidence=[bundle], at="2026-11-24T10:00:00Z")
    assert not ignored.allowed
    assert "sigstore/untrusted-certificate" in ignored.evidence_ignored[0]["why"]
    outcome = policy.with_trusted_root(root()).promote(
        npm, to="testing", by="alice", evidence=[bundle], at="2026-11-24T10:00:00Z"
    )
    assert outcome.allowed, str(outcome)
