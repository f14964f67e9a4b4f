"""check_repository and assert_pipeline_safe on a directory: a repository built in a temporary
directory from the example repository and the labeled corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import lockkeeper

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "repo"
CORPUS = ROOT / "testdata" / "fixtures" / "realworld" / "github"
# The corpus's pwn request (labeled job `quality`) and its fixed twin.
PWN = CORPUS / "avelino__awesome-go__.github__workflows__pr-quality-check@470fa15543.yaml"
FIXED = CORPUS / "avelino__awesome-go__.github__workflows__pr-quality-check@24273bf86b.yaml"


def build(tmp: Path, files: dict[str, Path]) -> Path:
    for rel, source in files.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, tmp / rel)
    return tmp


@pytest.fixture
def vulnerable(tmp_path: Path) -> Path:
    files = {str(p.relative_to(EXAMPLE)): p for p in EXAMPLE.rglob("*.yml")}
    files[".github/workflows/pr-quality-check.yaml"] = PWN
    return build(tmp_path, files)


def places(decision: lockkeeper.Decision, root: Path) -> set[tuple[str, str, str]]:
    return {
        (str(Path(v.facts["file"]).relative_to(root)), v.facts.get("job", ""), v.code) for v in decision.violations
    }


def test_a_repository_is_checked_with_its_local_actions_and_reusable_workflows(vulnerable: Path) -> None:
    decision = lockkeeper.check_repository(vulnerable)
    assert not decision.allowed
    assert decision.subject.startswith(f"repository {vulnerable}: github (5 files)")
    found = places(decision, vulnerable)
    # The local composite action caches under pull_request_target; the release restores it.
    assert (".github/workflows/release.yml", "publish", "pipeline/tainted-input") in found
    # The reusable workflow called with `./` from a privileged event.
    assert (".github/workflows/build.yml", "build", "pipeline/tainted-input") in found
    # The corpus's pwn request, at its labeled job.
    assert any(f == ".github/workflows/pr-quality-check.yaml" and j == "quality" for f, j, _ in found)
    # The same, by a policy and a persona; the auditor sees at least as much.
    auditor = lockkeeper.check_repository(str(vulnerable), lockkeeper.Policy.builtin(), "auditor")
    assert len(auditor.violations) >= len(decision.violations)
    with pytest.raises(ValueError, match="persona"):
        lockkeeper.check_repository(vulnerable, None, "loud")


def test_assert_pipeline_safe_takes_a_directory(vulnerable: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with pytest.raises(AssertionError) as info:
        lockkeeper.assert_pipeline_safe(None, vulnerable)
    assert f"{vulnerable}/.github/workflows/release.yml:10: error[pipeline/tainted-input] job `publish`" in str(info.value)
    clean = build(tmp_path_factory.mktemp("clean"), {".github/workflows/pr-quality-check.yaml": FIXED})
    lockkeeper.assert_pipeline_safe(None, clean)
    assert lockkeeper.check_repository(clean).allowed


def test_an_empty_repository_is_never_a_clean_pass(tmp_path: Path) -> None:
    decision = lockkeeper.check_repository(tmp_path)
    assert not decision.allowed
    assert decision.codes == ["import/incomplete"]
    with pytest.raises(AssertionError, match="no pipeline file was found"):
        lockkeeper.assert_pipeline_safe(None, tmp_path)
    accepted = lockkeeper.check_repository(tmp_path, allow_incomplete=True)
    assert accepted.allowed and "incomplete, accepted" in accepted.subject
    with pytest.raises(FileNotFoundError):
        lockkeeper.check_repository(tmp_path / "missing")
