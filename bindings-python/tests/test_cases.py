"""The shared scenario files of core/tests/cases, run through the Python binding.

The Rust and Node suites run the same files, so the three front ends cannot disagree.
"""

from __future__ import annotations

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


@pytest.mark.parametrize("name,doc,case", ALL, ids=[c[0] for c in ALL])
def test_case(name: str, doc: dict[str, Any], case: dict[str, Any]) -> None:
    expect = case["expect"]
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

    if "pipeline_yaml" in case:
        run_pipeline_case(doc, case)
        return

    policy = lockkeeper.Policy.from_file(CASES / doc["policy"])
    if "authorize" in case:
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
    decision = lockkeeper.check_pipeline(pipeline, policy)
    assert decision.allowed is expect["allowed"], str(decision)
    assert sorted(decision.codes) == sorted(expect["codes"])
    if "message_contains" in expect:
        assert any(expect["message_contains"] in v.message for v in decision.violations)
    if "path" in expect:
        steps = decision.violations[-1].facts["path"]
        assert [s["job"] if isinstance(s, dict) else s for s in steps] == expect["path"]
