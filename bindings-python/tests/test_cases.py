"""The shared scenario files of core/tests/cases, run through the Python binding.

The Rust and Node suites run the same files, so the three front ends cannot disagree.
"""

from __future__ import annotations

import tempfile
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import lockkeeper

CASES = Path(__file__).resolve().parents[2] / "core" / "tests" / "cases"


def load_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for case in doc["cases"]:
            out.append((f"{path.stem}: {case['name']}", doc, case))
    return out


ALL = load_cases()


def test_the_suite_is_not_empty() -> None:
    assert len(ALL) > 20


ANY_DIGEST = "sha256:" + "0" * 64


def check_plan(expect: dict[str, Any], plan: lockkeeper.RebuildPlan) -> None:
    assert [[i.name for i in w] for w in plan.waves] == expect.get("waves", [])
    assert [i.name for i in plan.blocked] == expect.get("blocked", [])
    assert plan.unmatched == expect.get("unmatched", [])
    if "cycles" in expect:
        assert plan.cycles == expect["cycles"]
    if "path_of_last" in expect:
        assert [s.digest for s in plan.waves[-1][-1].path] == expect["path_of_last"]
    assert plan.to_dict()["waves"] == [[{"name": i.name, "digest": i.digest, "wave": i.wave,
                                          "path": [{"name": s.name, "digest": s.digest} for s in i.path]}
                                         for i in w] for w in plan.waves]


def inventory_path(tmp_path: Path, holder: dict[str, Any]) -> Path:
    for key in ("inventory", "inventory_file"):
        if key in holder:
            return CASES / holder[key]
    path = tmp_path / "inventory.json"
    path.write_text(holder["inventory_json"])
    return path


@pytest.mark.parametrize("name,doc,case", ALL, ids=[c[0] for c in ALL])
def test_case(name: str, doc: dict[str, Any], case: dict[str, Any], tmp_path: Path) -> None:
    expect = case["expect"]
    if "inventory_json" in case or "inventory_file" in case:
        path = inventory_path(tmp_path, case)
        if expect["problems"]:
            with pytest.raises(lockkeeper.InventoryError) as inv:
                lockkeeper.rebuild_plan([ANY_DIGEST], inventory=path)
            assert sorted(p.code for p in inv.value.problems) == sorted(expect["problems"])
            if "at" in expect:
                assert [f"{p.line}:{p.column}" for p in inv.value.problems] == expect["at"]
            if "message_contains" in expect:
                assert any(expect["message_contains"] in p.message for p in inv.value.problems)
        else:
            lockkeeper.rebuild_plan([ANY_DIGEST], inventory=path)
        return
    if "rebuild" in case:
        req = case["rebuild"]
        path = inventory_path(tmp_path, req)
        if "error" in expect:
            with pytest.raises(lockkeeper.InvalidRequestError) as err:
                lockkeeper.rebuild_plan(req["vulnerable"], inventory=path)
            assert err.value.code == expect["error"]
        else:
            check_plan(expect, lockkeeper.rebuild_plan(req["vulnerable"], inventory=path))
        return
    for key, loader in (("policy_yaml", lockkeeper.Policy.from_yaml), ("policy_json", lockkeeper.Policy.from_json)):
        if key in case:
            if expect["problems"]:
                with pytest.raises(lockkeeper.PolicyError) as info:
                    loader(case[key])
                err = info.value
                got = sorted(p.code for p in err.problems)
                assert got == sorted(expect["problems"])
                assert err.code == err.problems[0].code
                if "at" in expect:
                    assert [f"{p.line}:{p.column}" for p in err.problems] == expect["at"]
                    assert (err.line, err.column) == (err.problems[0].line, err.problems[0].column)
                if "message_contains" in expect:
                    assert any(expect["message_contains"] in p.message for p in err.problems)
            else:
                loader(case[key])
            return

    if "bundle_verify" in case:
        req = case["bundle_verify"]
        if "error" in expect:
            with pytest.raises(lockkeeper.InvalidRequestError) as rerr:
                lockkeeper.TrustedRoot.from_file(CASES / req["trusted_root"])
            assert rerr.value.code == expect["error"]
            return
        target: dict[str, Any] = (
            {"digest": req["digest"]} if "digest" in req
            else {"artifact": (CASES / req["artifact"]).read_bytes()}
        )
        signer: dict[str, Any] = (
            {"identity": req["identity"]} if "identity" in req
            else {"keys": [(CASES / k).read_text() for k in req["keys"]]}
        )
        result = lockkeeper.verify_bundle(
            (CASES / req["bundle"]).read_bytes(),
            trusted_root=lockkeeper.TrustedRoot.from_file(CASES / req["trusted_root"]),
            **target,
            **signer,
        )
        assert result.allowed is expect["allowed"], str(result.decision)
        assert sorted(result.decision.codes) == sorted(expect["codes"])
        assert result.to_dict()["allowed"] is result.allowed
        return

    if "envelope_verify" in case:
        req = case["envelope_verify"]
        keys = [lockkeeper.PublicKey.parse((CASES / k).read_text()) for k in req["keys"]]
        envelope = lockkeeper.Envelope.from_json((CASES / req["envelope"]).read_bytes())
        if "error" in expect:
            with pytest.raises(lockkeeper.VerificationError) as verr:
                envelope.verify(keys, req.get("threshold", 1))
            assert verr.value.code == expect["error"]
        else:
            assert envelope.verify(keys, req.get("threshold", 1))
        return
    if "parse" in case:
        req = case["parse"]
        parsers = {
            "key": lambda v: lockkeeper.PublicKey.parse(v),
            "key_file": lambda v: lockkeeper.PublicKey.parse((CASES / v).read_text()),
            "digest": lambda v: lockkeeper.Statement.provenance("b", [("x", v)]),
            "envelope": lambda v: lockkeeper.Envelope.from_json((CASES / v).read_bytes()),
            "statement": lambda v: lockkeeper.Statement.from_json((CASES / v).read_bytes()),
        }
        [(kind, value)] = req.items()
        if "error" in expect:
            with pytest.raises(lockkeeper.InvalidRequestError) as perr:
                parsers[kind](value)
            assert perr.value.code == expect["error"]
        else:
            parsers[kind](value)
        return

    if "audit_verify" in case:
        req = case["audit_verify"]
        public_key = lockkeeper.PublicKey.parse((CASES / req["pub"]).read_text())
        checkpoint = None
        if "checkpoint" in req:
            data = (CASES / req["checkpoint"]).read_bytes()
            if "error" in expect:
                with pytest.raises(lockkeeper.InvalidRequestError) as cerr:
                    lockkeeper.AuditCheckpoint.from_json(data)
                assert cerr.value.code == expect["error"]
                return
            checkpoint = lockkeeper.AuditCheckpoint.from_json(data)
        decision = lockkeeper.AuditLog(CASES / req["log"]).verify(public_key, checkpoint)
        assert decision.allowed is expect["allowed"], str(decision)
        assert sorted(decision.codes) == sorted(expect["codes"])
        assert all(isinstance(v.facts.get("line", 0), int) for v in decision.violations)
        return
    if "audit_append" in case:
        req = case["audit_append"]
        key = lockkeeper.SigningKey.from_pem((CASES / req["key"]).read_text())
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "audit.jsonl"
            original = (CASES / req["log"]).read_bytes()
            path.write_bytes(original)
            log = lockkeeper.AuditLog(path)
            if "error" in expect:
                with pytest.raises(lockkeeper.LockkeeperError) as aerr:
                    log.append(req["record"], key)
                assert aerr.value.code == expect["error"]
                assert path.read_bytes() == original, "a refused append changed the log"
                return
            entry = log.append(req["record"], key)
            assert entry.seq == original.count(b"\n") + 1
            decision = log.verify(key.public_key)
        assert decision.allowed is expect["allowed"], str(decision)
        assert sorted(decision.codes) == sorted(expect["codes"])
        return

    if "pipeline_yaml" in case:
        run_pipeline_case(doc, case)
        return

    policy = lockkeeper.Policy.from_file(CASES / doc["policy"])
    if "gate" in case:
        req = dict(case["gate"])
        method = policy.deploy_request if req.pop("action") == "deploy" else policy.promote
        evidence = [(CASES / e).read_bytes() for e in req.pop("evidence")]
        args = {
            "to": req.pop("environment"),
            "by": req.pop("principal"),
            "at": req.pop("now"),
            "evidence": evidence,
            **req,
            "images": [CASES / d for d in req.get("images", [])],
        }
        artifact = args.pop("artifact")
        if "error" in expect:
            with pytest.raises(lockkeeper.InvalidRequestError) as gerr:
                method(artifact, **args)
            assert gerr.value.code == expect["error"]
            return
        outcome = method(artifact, **args)
        assert outcome.allowed is expect["allowed"], str(outcome)
        assert sorted(outcome.decision.codes) == sorted(expect["codes"])
        assert (outcome.promotion_record is not None) is outcome.allowed
        if "released_secrets" in expect:
            assert [s["name"] for s in outcome.released_secrets] == expect["released_secrets"]
        if "record_emergency" in expect:
            assert outcome.promotion_record is not None
            # A VSA has no emergency field: the flag is in the subject's lockkeeper annotation.
            subject = json.loads(outcome.promotion_record.to_json())["subject"][0]
            assert subject["annotations"]["lockkeeper.dev/promotion"]["emergency"] is expect["record_emergency"]
        assert json.loads(outcome.to_json())["allowed"] is outcome.allowed
        if "verified" in expect:
            assert contains(expect["verified"], outcome.decision.verified), outcome.decision.verified
        return
    if "provenance" in case:
        req = dict(case["provenance"])
        envelope_bytes = (CASES / req.pop("envelope")).read_bytes()
        artifact = req.pop("artifact")
        if "trusted_root" in req:
            policy = policy.with_trusted_root(
                lockkeeper.TrustedRoot.from_file(CASES / req.pop("trusted_root"))
            )
        call = lambda: policy.verify_provenance(envelope_bytes, artifact, **req)  # noqa: E731
    elif "image_layouts" in case:
        call = lambda: policy.check_images([CASES / d for d in case["image_layouts"]])[0]  # noqa: E731
    elif "image_manifest" in case:
        pair = case["image_manifest"]
        call = lambda: policy.check_image_manifest(CASES / pair["manifest"], CASES / pair["config"])  # noqa: E731
    elif "authorize" in case:
        req = dict(case["authorize"])
        call = lambda: policy.authorize(  # noqa: E731
            req.pop("principal"), req.pop("action"), **req
        )
    else:
        req = dict(case["approvals"])
        call = lambda: policy.check_approvals(req.pop("approvals"), **req)  # noqa: E731

    if "error" in expect:
        with pytest.raises(lockkeeper.InvalidRequestError) as info:
            call()
        assert info.value.code == expect["error"]
        return
    decision = call()
    assert decision.allowed is expect["allowed"], str(decision)
    assert sorted(decision.codes) == sorted(expect["codes"])
    assert decision.to_dict()["allowed"] is decision.allowed
    if "verified" in expect:
        assert contains(expect["verified"], decision.verified), decision.verified
        assert decision.to_dict()["verified"] == decision.verified


def contains(want: Any, got: Any) -> bool:
    """Whether `got` holds everything `want` says (object keys, a None one absent; list items
    each somewhere in the list; equal scalars): how `verified` expectations are written."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(
            got.get(k) is None if v is None else k in got and contains(v, got[k])
            for k, v in want.items()
        )
    if isinstance(want, list):
        return isinstance(got, list) and all(any(contains(w, g) for g in got) for w in want)
    return bool(want == got)


def run_pipeline_case(doc: dict[str, Any], case: dict[str, Any]) -> None:
    """Imports `pipeline_yaml` as `format` (default native) and checks it against the file's
    policy, or the built-in one."""
    expect = case["expect"]
    load = lambda: lockkeeper.Pipeline.from_yaml(  # noqa: E731
        case["pipeline_yaml"], case.get("format", "native"), case.get("file", "pipeline.yaml")
    )
    if "problems" in expect:
        if not expect["problems"]:
            load()
            return
        with pytest.raises(lockkeeper.PipelineError) as info:
            load()
        err = info.value
        assert sorted(p.code for p in err.problems) == sorted(expect["problems"])
        assert err.code == err.problems[0].code
        if "at" in expect:
            assert [f"{p.line}:{p.column}" for p in err.problems] == expect["at"]
        if "message_contains" in expect:
            assert any(expect["message_contains"] in p.message for p in err.problems)
        return
    pipeline = load()
    policy = lockkeeper.Policy.from_file(CASES / doc["policy"]) if "policy" in doc else None
    decision = lockkeeper.check_pipeline(
        pipeline,
        policy,
        case.get("persona", "auditor"),
        allow_incomplete=case.get("allow_incomplete", False),
    )
    assert decision.allowed is expect["allowed"], str(decision)
    assert sorted(decision.codes) == sorted(expect["codes"])
    if "message_contains" in expect:
        assert any(expect["message_contains"] in v.message for v in decision.violations)
    if "path" in expect:
        steps = decision.violations[-1].facts["path"]
        assert [s["job"] if isinstance(s, dict) else s for s in steps] == expect["path"]
