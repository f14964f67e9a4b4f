"""Requests that would be answered about something other than what they ask are refused, and a
decision cannot be mistaken for a boolean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lockkeeper


def test_authorize_refuses_an_environment_the_policy_does_not_define(example_policy_path: Path) -> None:
    policy = lockkeeper.Policy.from_file(example_policy_path)
    for principal in ("dave", "alice"):
        with pytest.raises(lockkeeper.InvalidRequestError, match="`prodution` is not defined") as info:
            policy.authorize(principal, "deploy", project="mediawiki/core", environment="prodution")
        assert info.value.code == "rbac/unknown-environment"
    assert policy.authorize("alice", "deploy", project="mediawiki/core", environment="production").allowed


def test_check_approvals_refuses_an_environment_the_policy_does_not_define(example_policy_path: Path) -> None:
    policy = lockkeeper.Policy.from_file(example_policy_path)
    with pytest.raises(lockkeeper.InvalidRequestError) as info:
        policy.check_approvals(["bob"], required=1, project="mediawiki/core", environment="prodution")
    assert info.value.code == "rbac/unknown-environment"
    assert policy.check_approvals(["bob"], required=1, project="mediawiki/core", environment="production").allowed


def test_a_decision_has_no_truth_value(example_policy_path: Path) -> None:
    policy = lockkeeper.Policy.from_file(example_policy_path)
    denied = policy.authorize("dave", "deploy", project="mediawiki/core", environment="production")
    assert not denied.allowed
    with pytest.raises(TypeError, match=r"test `\.allowed` instead"):
        if denied:  # the mistake this guards against
            pytest.fail("a denial was taken for true")
    with pytest.raises(TypeError):
        bool(policy.authorize("alice", "deploy", project="mediawiki/core", environment="production"))
    outcome = policy.promote("sha256:" + "a" * 64, to="staging", by="alice", at="2026-11-24T12:00:00Z")
    assert not outcome.allowed
    with pytest.raises(TypeError, match=r"\.allowed"):
        bool(outcome)


CASES = Path(__file__).resolve().parents[2] / "core" / "tests" / "cases"
ARTIFACT = "sha256:d4f8968f9598a92443ed10908fd854db3399e3c58a0d5f7a61039f14cf52b808"
APPROVALS = [{"principal": "bob", "at": "2026-11-23T10:00:00Z"}, {"principal": "carol", "at": "2026-11-23T10:00:00Z"}]


def test_ignored_evidence_is_listed_on_allow_too() -> None:
    policy = lockkeeper.Policy.from_file(CASES / "policies" / "promotion.yaml")
    evidence = [
        (CASES / "envelopes" / name).read_bytes()
        for name in ("not-an-envelope.json", "promo-build.json", "untrusted-key.json", "promo-in-staging.json")
    ]
    outcome = policy.promote(
        ARTIFACT, to="production", by="alice", version="1.4.2", at="2026-11-24T10:00:00Z",
        evidence=evidence, approvals=APPROVALS,
    )
    assert outcome.allowed
    ignored = outcome.evidence_ignored
    assert [e["evidence"] for e in ignored] == ["evidence[0]", "evidence[2]"]
    assert ignored[1]["why"] == "no signature by a key the policy trusts"
    assert json.loads(outcome.to_json())["evidence_ignored"] == ignored
    assert "evidence ignored: evidence[2]: no signature by a key the policy trusts" in str(outcome)


def test_times_are_rfc_3339_strings_or_aware_datetimes() -> None:
    from datetime import datetime, timedelta, timezone

    policy = lockkeeper.Policy.from_file(CASES / "policies" / "promotion.yaml")
    evidence = [(CASES / "envelopes" / n).read_bytes() for n in ("promo-build.json", "promo-in-staging.json")]

    def promote(at: object, approvals: list[dict[str, object]]) -> lockkeeper.DeployOutcome:
        return policy.promote(
            ARTIFACT, to="production", by="alice", version="1.4.2", at=at,  # type: ignore[arg-type]
            evidence=evidence, approvals=approvals,  # type: ignore[arg-type]
        )

    as_text = promote("2026-11-24T10:00:00Z", APPROVALS)
    assert as_text.allowed
    cet = timezone(timedelta(hours=1))
    at = datetime(2026, 11, 24, 11, 0, tzinfo=cet)  # 10:00 UTC
    approved = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    as_datetime = promote(at, [{"principal": "bob", "at": approved}, {"principal": "carol", "at": approved}])
    assert as_datetime.allowed
    record = as_datetime.promotion_record
    assert record is not None and record.predicate["timeVerified"] == "2026-11-24T10:00:00Z"
    assert as_datetime.to_json() == as_text.to_json()

    # A naive datetime has no offset from UTC: a guess could move a freeze window. Refused.
    with pytest.raises(lockkeeper.InvalidRequestError, match="naive datetime") as info:
        promote(datetime(2026, 11, 24, 10, 0), APPROVALS)
    assert info.value.code == "input/invalid-time"
    with pytest.raises(lockkeeper.InvalidRequestError) as info:
        promote("2026-11-24T10:00:00Z", [{"principal": "bob", "at": datetime(2026, 11, 23)}])
    assert info.value.code == "input/invalid-time"
    with pytest.raises(lockkeeper.InvalidRequestError) as info:
        promote("yesterday", APPROVALS)
    assert info.value.code == "input/invalid-time"
    with pytest.raises(TypeError, match="RFC 3339 str or a timezone-aware datetime"):
        promote(1764000000, APPROVALS)


def test_a_datetime_is_read_to_the_microsecond_and_no_time_means_now() -> None:
    from datetime import datetime, timedelta, timezone

    policy = lockkeeper.Policy.from_file(CASES / "policies" / "promotion.yaml")
    build = (CASES / "envelopes" / "promo-build.json").read_bytes()
    cet = timezone(timedelta(hours=1))
    exact = policy.promote(
        ARTIFACT, to="testing", by="alice", evidence=[build],
        at=datetime(2026, 11, 24, 11, 0, 0, 123456, tzinfo=cet),
    )
    assert exact.allowed
    assert json.loads(exact.to_json())["decided_at"] == "2026-11-24T10:00:00.123456Z"

    # Without `at` the core decides at the present: one clock, not one per front end.
    before = datetime.now(timezone.utc)
    now = policy.promote(ARTIFACT, to="testing", by="alice", evidence=[build])
    after = datetime.now(timezone.utc)
    decided = datetime.fromisoformat(json.loads(now.to_json())["decided_at"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= decided <= after + timedelta(seconds=1)

    with pytest.raises(lockkeeper.InvalidRequestError) as info:
        policy.promote(ARTIFACT, to="testing", by="alice", version="1.x", at="2026-11-24T10:00:00Z")
    assert info.value.code == "input/invalid-version"
