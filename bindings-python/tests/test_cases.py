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

    policy = lockkeeper.Policy.from_file(CASES / doc["policy"])
    if "image_layouts" in case:
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
