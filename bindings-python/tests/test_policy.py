from __future__ import annotations

import json
from pathlib import Path

import pytest

import lockkeeper


def test_loads_the_example_from_a_path_or_str(example_policy_path: Path) -> None:
    policy = lockkeeper.Policy.from_file(example_policy_path)
    assert set(policy.zones) == {"untrusted", "approved", "trusted", "deploy"}
    assert policy.environments == ["production", "staging", "testing"]
    again = lockkeeper.Policy.from_file(str(example_policy_path))
    assert repr(again) == repr(policy)


def test_a_denial_explains_itself(example_policy_path: Path) -> None:
    policy = lockkeeper.Policy.from_file(example_policy_path)
    decision = policy.authorize("dave", "deploy", project="mediawiki/core", environment="production")
    assert decision.allowed is False
    [violation] = decision.violations
    assert violation.code == "rbac/missing-permission"
    assert "dave" in violation.message
    assert violation.help
    facts = violation.facts
    assert facts["principal"] == "dave"
    assert facts["action"] == "deploy"
    assert facts["scope"] == {"project": "mediawiki/core", "environment": "production"}
    assert facts["roles_looked_for"] == ["incident-commander", "merger-deployer"]
    assert [b["binding"] for b in facts["bindings_considered"]] == ["bindings[1]", "bindings[2]", "bindings[4]"]
    machine = json.loads(decision.to_json())
    assert machine["allowed"] is False
    assert machine["violations"][0]["code"] == "rbac/missing-permission"
    assert str(decision).startswith("DENY dave: deploy")
    assert repr(decision) == "Decision(allowed=False, codes=['rbac/missing-permission'])"


def test_an_allow_lists_the_checks_that_passed(example_policy_path: Path) -> None:
    policy = lockkeeper.Policy.from_file(example_policy_path)
    decision = policy.authorize("alice", "merge", project="mediawiki/core", ref="refs/heads/master")
    assert decision.allowed is True
    assert decision.violations == []
    assert decision.passed == ["rbac/missing-permission"]


def test_policy_errors_carry_code_path_and_position() -> None:
    text = "zones:\n  trusted: {dominates: [untrusted]}\nroles: {dev: {permissions: [fly]}}\n"
    with pytest.raises(lockkeeper.PolicyError) as info:
        lockkeeper.Policy.from_yaml(text)
    err = info.value
    assert isinstance(err, lockkeeper.LockkeeperError)
    assert err.code == "policy/undefined-reference"
    assert err.path == "zones.trusted.dominates[0]"
    assert (err.line, err.column) == (2, 25)
    assert [p.code for p in err.problems] == ["policy/undefined-reference", "policy/invalid-value"]
    assert "<yaml>:2:25" in str(err)


def test_a_missing_file_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        lockkeeper.Policy.from_file(tmp_path / "nope.yaml")


def test_json_file_is_read_as_json(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"zones": {"a": {"dominates": ["b"]}}}')
    with pytest.raises(lockkeeper.PolicyError) as info:
        lockkeeper.Policy.from_file(path)
    assert info.value.code == "policy/undefined-reference"
    assert str(path) in str(info.value)


def test_unknown_action_is_a_typed_error(example_policy_path: Path) -> None:
    policy = lockkeeper.Policy.from_file(example_policy_path)
    with pytest.raises(lockkeeper.InvalidRequestError) as info:
        policy.authorize("alice", "fly")
    assert info.value.code == "rbac/unknown-action"


def test_a_string_is_not_taken_for_a_list_of_approvers(example_policy_path: Path) -> None:
    policy = lockkeeper.Policy.from_file(example_policy_path)
    with pytest.raises(TypeError):
        policy.check_approvals("bob", required=1)  # type: ignore[arg-type]


def test_rules_lists_the_catalogue() -> None:
    codes = {r["code"] for r in lockkeeper.rules()}
    assert {"rbac/missing-permission", "policy/cycle", "rbac/self-approval"} <= codes
    assert all(r["help"] for r in lockkeeper.rules())
    publishes = next(r for r in lockkeeper.rules() if r["code"] == "pipeline/build-publishes")
    assert (publishes["severity"], publishes["persona"]) == ("warning", "pedantic")


def test_a_violation_carries_its_severity_confidence_and_persona(example_policy_path: Path) -> None:
    policy = lockkeeper.Policy.from_file(example_policy_path)
    decision = policy.authorize("dave", "deploy", project="mediawiki/core", environment="production")
    v = decision.violations[0]
    assert v.code == "rbac/missing-permission"
    assert (v.severity, v.confidence, v.persona, v.assumptions) == ("error", "high", "regular", [])
    assert decision.to_dict()["violations"][0]["severity"] == "error"
    machine = decision.to_dict()
    assert machine["schema_version"] == 1
    assert machine["policy_digest"].startswith("sha256:")
    assert machine["decided_at"].endswith("Z")


def test_an_approval_with_an_unknown_key_is_refused(example_policy_path: Path) -> None:
    # `when` for `at` would otherwise be dropped, and with it the approval's age.
    policy = lockkeeper.Policy.from_file(example_policy_path)
    artifact = "sha256:" + "a" * 64
    with pytest.raises(TypeError, match=r"unknown key `when` \(known: principal, at\)"):
        policy.promote(
            artifact, to="staging", by="alice", approvals=[{"principal": "bob", "when": "2026-11-24T12:00:00Z"}]
        )
    # The known keys are accepted: the answer is a decision, not an error.
    outcome = policy.promote(
        artifact, to="staging", by="alice", approvals=[{"principal": "bob", "at": "2026-11-24T12:00:00Z"}]
    )
    assert outcome.decision.violations
