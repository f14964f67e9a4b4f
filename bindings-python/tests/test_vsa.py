"""Our promotion record is a SLSA VSA v1 that the in-toto-attestation package's models read
strictly (unknown fields are errors there), and it carries the artifact to the next hop."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from google.protobuf import json_format
from in_toto_attestation.predicates.vsa.v1 import vsa_pb2
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement as PeerStatement

import lockkeeper

CASES = Path(__file__).resolve().parents[2] / "core" / "tests" / "cases"
ARTIFACT = "sha256:d4f8968f9598a92443ed10908fd854db3399e3c58a0d5f7a61039f14cf52b808"
VSA = "https://slsa.dev/verification_summary/v1"


def _outcome() -> lockkeeper.DeployOutcome:
    policy = lockkeeper.Policy.from_file(CASES / "policies" / "promotion.yaml")
    evidence = [(CASES / "envelopes" / "promo-build.json").read_bytes()]
    outcome = policy.promote(
        ARTIFACT, to="testing", by="alice", version="1.4.2", at="2026-11-24T10:00:00Z", evidence=evidence,
    )
    assert outcome.allowed, str(outcome)
    return outcome


def _record() -> lockkeeper.Statement:
    record = _outcome().promotion_record
    assert record is not None
    return record


# in-toto-attestation 0.9.3 (the release on PyPI) declares `verifiedLevels` a single string,
# where the SLSA VSA v1 specification (authoritative, as the maintainers agreed in
# in-toto/attestation#425, fixed after that release) makes it an array; the specification's own
# example fails the same way (pinned below). So the array is checked to hold strings and each
# level is parsed by the model on its own; everything else is parsed as one, strictly.
_LEVELS_SINGULAR = isinstance(vsa_pb2.VerificationSummary().verified_levels, str)  # type: ignore[attr-defined]


def _parse_peer(text: str) -> vsa_pb2.VerificationSummary:  # type: ignore[name-defined]
    statement = json_format.Parse(text, statement_pb2.Statement())  # type: ignore[attr-defined]
    PeerStatement.copy_from_pb(statement).validate()
    assert statement.predicate_type == VSA
    predicate = json.loads(json_format.MessageToJson(statement.predicate))
    levels = predicate.pop("verifiedLevels", []) if _LEVELS_SINGULAR else []
    assert isinstance(levels, list) and all(isinstance(level, str) for level in levels)
    summary = json_format.ParseDict(predicate, vsa_pb2.VerificationSummary())  # type: ignore[attr-defined]
    for level in levels:
        json_format.ParseDict({"verifiedLevels": level}, vsa_pb2.VerificationSummary())  # type: ignore[attr-defined]
    return summary


def test_our_vsa_parses_with_the_in_toto_attestation_vsa_model() -> None:
    outcome = _outcome()
    record = outcome.promotion_record
    assert record is not None
    summary = _parse_peer(record.to_json())
    assert summary.verifier.id == "https://deploy.example.org/pingee"
    assert summary.time_verified.ToJsonString() == "2026-11-24T10:00:00Z"
    assert summary.resource_uri == "lockkeeper:environment/testing"
    assert summary.verification_result == "PASSED"
    assert json.loads(record.to_json())["predicate"]["verifiedLevels"] == ["LOCKKEEPER_ENVIRONMENT_TESTING"]
    assert summary.slsa_version == "1.0"
    policy_digest = json.loads(outcome.to_json())["policy_digest"]
    assert "sha256:" + summary.policy.digest["sha256"] == policy_digest
    build = lockkeeper.digest((CASES / "envelopes" / "promo-build.json").read_bytes())
    assert [(a.uri, "sha256:" + a.digest["sha256"]) for a in summary.input_attestations] == [("evidence[0]", build)]
    # What VSA has no field for rides on the subject, where in-toto allows annotations.
    subject = json.loads(record.to_json())["subject"][0]
    assert subject["annotations"]["lockkeeper.dev/promotion"]["version"] == "1.4.2"


def test_the_peer_model_is_strict_so_the_check_means_something() -> None:
    statement = json.loads(_record().to_json())
    statement["predicate"]["environment"] = "testing"
    with pytest.raises(json_format.ParseError, match="environment"):
        _parse_peer(json.dumps(statement))


def test_our_signed_vsa_is_the_evidence_for_the_next_hop() -> None:
    policy = lockkeeper.Policy.from_file(CASES / "policies" / "promotion.yaml")
    deploy_key = lockkeeper.SigningKey.from_pem((CASES / "keys" / "deploy.TEST-ONLY.key").read_text())
    signed = lockkeeper.Envelope.sign(_record().to_json(), [deploy_key])
    evidence = [(CASES / "envelopes" / n).read_bytes() for n in ("promo-build.json", "promo-tests-passed.json")]
    args = dict(to="staging", by="alice", version="1.4.2", at="2026-11-24T10:00:00Z")
    denied = policy.promote(ARTIFACT, evidence=evidence, **args)  # type: ignore[arg-type]
    assert "promotion/not-in-source" in denied.decision.codes
    allowed = policy.promote(ARTIFACT, evidence=[*evidence, signed.to_json().encode()], **args)  # type: ignore[arg-type]
    assert allowed.allowed, str(allowed)


def test_the_models_singular_verified_levels_refuses_the_specifications_own_example() -> None:
    """Pins the package's divergence that `_parse_peer` works around: when a release of
    in-toto-attestation reads the array, this fails and the workaround can go."""
    text = (Path(__file__).resolve().parents[2] / "testdata" / "fixtures" / "sigstore" / "vsa" /
            "slsa-spec_v1.0_vsa-example.jsonc").read_text()
    text = re.sub(r"^\s*//.*$", "", text, flags=re.M)
    text = re.sub(r",(\s*[}\]])", r"\1", text)
    predicate = json.loads("{" + text + "}")["predicate"]
    assert predicate["verifiedLevels"] == ["SLSA_BUILD_LEVEL_3"]
    assert _LEVELS_SINGULAR
    with pytest.raises(json_format.ParseError, match="verifiedLevels"):
        json_format.ParseDict(predicate, vsa_pb2.VerificationSummary())  # type: ignore[attr-defined]
    del predicate["verifiedLevels"]
    json_format.ParseDict(predicate, vsa_pb2.VerificationSummary())  # type: ignore[attr-defined]


def test_our_vsa_states_slsa_build_levels_and_the_peer_model_reads_them() -> None:
    """A build by a builder the policy declares at SLSA build level 3 is recorded as
    `SLSA_BUILD_LEVEL_3`; the next hop, which checks no build itself, takes the level from that
    record and counts it under `dependencyLevels`. Both records parse with the peer model."""
    text = (CASES / "policies" / "promotion-slsa.yaml").read_text()
    policy = lockkeeper.Policy.from_yaml(re.sub(r"^  policy_digests:.*$", "", text, flags=re.M))
    deploy_key = lockkeeper.SigningKey.from_pem((CASES / "keys" / "deploy.TEST-ONLY.key").read_text())
    build = (CASES / "envelopes" / "promo-build.json").read_bytes()
    args = dict(by="alice", at="2026-11-24T10:00:00Z")
    testing = policy.promote(ARTIFACT, to="testing", evidence=[build], **args)  # type: ignore[arg-type]
    assert testing.allowed and testing.promotion_record is not None, str(testing)
    first = json.loads(testing.promotion_record.to_json())["predicate"]
    assert first["verifiedLevels"] == ["LOCKKEEPER_ENVIRONMENT_TESTING", "SLSA_BUILD_LEVEL_3"]
    assert "dependencyLevels" not in first
    _parse_peer(testing.promotion_record.to_json())
    signed = lockkeeper.Envelope.sign(testing.promotion_record.to_json(), [deploy_key]).to_json().encode()
    staging = policy.promote(ARTIFACT, to="staging", evidence=[signed], **args)  # type: ignore[arg-type]
    assert staging.allowed and staging.promotion_record is not None, str(staging)
    second = json.loads(staging.promotion_record.to_json())["predicate"]
    assert second["verifiedLevels"] == ["LOCKKEEPER_ENVIRONMENT_STAGING", "SLSA_BUILD_LEVEL_3"]
    assert second["dependencyLevels"] == {"SLSA_BUILD_LEVEL_3": 1}
    summary = _parse_peer(staging.promotion_record.to_json())
    assert dict(summary.dependency_levels) == {"SLSA_BUILD_LEVEL_3": 1}
    # The decision says which record it relied on.
    [used] = [e for e in staging.decision.verified if e["used_as"] == "promotion-record"]
    assert used["digest"] == lockkeeper.digest(signed)
    # Below the environment's minimum level: the new rule denies.
    patchset = (CASES / "envelopes" / "promo-build-untrusted.json").read_bytes()
    low = policy.promote(ARTIFACT, to="hardened", evidence=[patchset], **args)  # type: ignore[arg-type]
    assert low.decision.codes == ["promotion/slsa-level-too-low"]
    assert low.decision.violations[0].facts["build_level"] == 1
