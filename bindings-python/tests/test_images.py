"""Images through the Python binding: layouts, manifest pairs, typed rebuild plans, errors."""

from __future__ import annotations

import filecmp
import json
import runpy
import shutil
import sys
from pathlib import Path

import pytest

import lockkeeper

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "core" / "tests" / "cases"
IMAGES = CASES / "images"
EXAMPLE_POLICY = ROOT / "examples" / "images" / "policy.yaml"
EXAMPLE_INVENTORY = ROOT / "examples" / "images" / "inventory.json"


def test_the_committed_layouts_are_what_the_generator_writes(tmp_path: Path) -> None:
    argv = sys.argv
    sys.argv = ["generate_images.py", str(tmp_path)]
    try:
        runpy.run_path(str(CASES / "generate_images.py"), run_name="__main__")
    finally:
        sys.argv = argv
    cmp = filecmp.dircmp(tmp_path / "images", IMAGES)
    def differences(c: filecmp.dircmp[str]) -> list[str]:
        out = c.left_only + c.right_only + c.diff_files
        for sub in c.subdirs.values():
            out += differences(sub)
        return out
    assert differences(cmp) == []
    assert (tmp_path / "policies" / "images.yaml").read_text() == (CASES / "policies" / "images.yaml").read_text()


def test_the_example_policy_checks_layouts_one_decision_each() -> None:
    policy = lockkeeper.Policy.from_file(EXAMPLE_POLICY)
    decisions = policy.check_images([IMAGES / "app-on-app", IMAGES / "app", str(IMAGES / "app-secret")])
    assert [d.allowed for d in decisions] == [True, True, False]
    [violation] = decisions[2].violations
    assert violation.code == "image/secret-in-env"
    assert violation.facts["variable"] == "DB_PASSWORD"
    assert "hunter2" not in decisions[2].to_json()
    single = policy.check_image(IMAGES / "app-as-root")
    assert single.codes == ["image/runs-as-root"]
    assert single.subject.startswith("image ")


def test_a_tampered_copy_of_a_layout_is_caught(tmp_path: Path) -> None:
    policy = lockkeeper.Policy.from_file(EXAMPLE_POLICY)
    copy = tmp_path / "app"
    shutil.copytree(IMAGES / "app", copy)
    index = json.loads((copy / "index.json").read_text())
    manifest_path = copy / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]
    manifest = json.loads(manifest_path.read_text())
    config_path = copy / "blobs" / "sha256" / manifest["config"]["digest"][7:]
    assert policy.check_image(copy).allowed
    config_path.write_bytes(config_path.read_bytes().replace(b'"User":"1000"', b'"User":"0000"'))
    decision = policy.check_image(copy)
    assert decision.codes == ["image/blob-digest-mismatch"]
    with pytest.raises(lockkeeper.ImageError) as err:
        lockkeeper.rebuild_plan(["sha256:" + "1" * 64], layouts=[copy])
    assert err.value.code == "image/blob-digest-mismatch"
    assert isinstance(err.value, lockkeeper.LockkeeperError)


def test_manifest_pairs() -> None:
    policy = lockkeeper.Policy.from_file(EXAMPLE_POLICY)
    pair = IMAGES / "pair"
    assert policy.check_image_manifest(pair / "manifest.json", pair / "config.json").allowed
    bad = policy.check_image_manifest(pair / "manifest.json", pair / "config-as-root.json")
    assert bad.codes == ["image/blob-digest-mismatch"]


def test_rebuild_plan_from_layouts_is_typed() -> None:
    root_digest = json.loads((IMAGES / "root" / "index.json").read_text())["manifests"][0]["digest"]
    plan = lockkeeper.rebuild_plan(
        [root_digest], layouts=[IMAGES / "root", IMAGES / "app", IMAGES / "app-on-app", IMAGES / "multi-platform"]
    )
    assert isinstance(plan, lockkeeper.RebuildPlan)
    assert [len(w) for w in plan.waves] == [1, 3, 1]
    first = plan.waves[0][0]
    assert isinstance(first, lockkeeper.PlannedImage)
    assert first.digest == root_digest and first.wave == 0
    last = plan.waves[2][0]
    assert last.wave == 2
    assert [s.digest for s in last.path][0] == root_digest
    assert all(isinstance(s, lockkeeper.PathStep) for s in last.path)
    assert plan.affected == 5
    assert plan.blocked == [] and plan.cycles == [] and plan.unmatched == []
    assert json.loads(plan.to_json()) == plan.to_dict()
    assert str(plan).startswith(f"rebuild plan for {root_digest}: 5 image(s) in 3 wave(s)")
    assert repr(plan) == "RebuildPlan(affected=5, waves=3)"


def test_rebuild_plan_from_the_example_inventory() -> None:
    plan = lockkeeper.rebuild_plan(["sha256:" + "a" * 64], inventory=EXAMPLE_INVENTORY)
    assert [len(w) for w in plan.waves] == [1, 3, 3, 1]
    assert plan.waves[0][0].path[0].name is None  # the upstream base is not in the inventory
    assert {m["base_digest"] for m in plan.missing_bases} == {"sha256:" + "a" * 64, "sha256:" + "b" * 64}


def test_errors_are_typed() -> None:
    with pytest.raises(lockkeeper.InvalidRequestError) as err:
        lockkeeper.rebuild_plan(["debian:12"], inventory=EXAMPLE_INVENTORY)
    assert err.value.code == "image/invalid-digest"
    with pytest.raises(TypeError):
        lockkeeper.rebuild_plan(["sha256:" + "1" * 64])
    with pytest.raises(FileNotFoundError):
        lockkeeper.rebuild_plan(["sha256:" + "1" * 64], inventory=ROOT / "nope.json")
    policy = lockkeeper.Policy.from_file(EXAMPLE_POLICY)
    with pytest.raises(FileNotFoundError):
        policy.check_image(ROOT / "no-such-layout")
    with pytest.raises(TypeError):
        policy.check_images(str(IMAGES / "app"))  # type: ignore[arg-type]


def test_inventory_problems_carry_positions(tmp_path: Path) -> None:
    path = tmp_path / "inv.json"
    path.write_text('[{"name": "a", "digest": "sha256:12"}]')
    with pytest.raises(lockkeeper.InventoryError) as err:
        lockkeeper.rebuild_plan(["sha256:" + "1" * 64], inventory=path)
    assert err.value.code == "image/invalid-inventory"
    assert (err.value.line, err.value.column) == (1, 26)
    assert err.value.path == "[0].digest"
    assert str(path) in str(err.value)


def test_an_images_section_with_problems_is_a_policy_error() -> None:
    with pytest.raises(lockkeeper.PolicyError) as err:
        lockkeeper.Policy.from_yaml("images:\n  approved_roots: [{digest: sha256:xyz}]\n  secret_env: ['[']\n")
    assert [p.code for p in err.value.problems] == ["policy/invalid-value", "policy/invalid-value"]
