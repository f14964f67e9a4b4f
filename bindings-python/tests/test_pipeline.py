from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import lockkeeper

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "pipelines"
EXPECTED = yaml.safe_load((EXAMPLES / "expected.yaml").read_text())


def _names(entry: dict[str, object]) -> list[str]:
    files = entry.get("files")
    return [str(f) for f in files] if isinstance(files, list) else [str(entry["file"])]


@pytest.mark.parametrize("entry", EXPECTED, ids=["+".join(_names(e)) for e in EXPECTED])
def test_examples_give_the_expected_codes(entry: dict[str, object]) -> None:
    pipeline = lockkeeper.Pipeline.from_files([EXAMPLES / n for n in _names(entry)])
    site = lockkeeper.Policy.from_file(EXAMPLES / "policy.yaml")
    assert sorted(set(site.check_pipeline(pipeline).codes)) == entry["with_policy"]
    assert sorted(set(lockkeeper.check_pipeline(pipeline, persona="auditor").codes)) == entry["builtin"]


def test_assert_pipeline_safe_passes_on_a_clean_pipeline() -> None:
    lockkeeper.assert_pipeline_safe(EXAMPLES / "policy.yaml", EXAMPLES / "native" / "clean.yaml")
    lockkeeper.assert_pipeline_safe(None, str(EXAMPLES / "github" / "release.yml"))
    policy = lockkeeper.Policy.from_file(EXAMPLES / "policy.yaml")
    lockkeeper.assert_pipeline_safe(policy, [EXAMPLES / "zuul" / "zuul.yaml", EXAMPLES / "argo" / "clean.yaml"])


def test_assert_pipeline_safe_lists_every_violation() -> None:
    path = EXAMPLES / "native" / "violations.yaml"
    with pytest.raises(AssertionError) as info:
        lockkeeper.assert_pipeline_safe(EXAMPLES / "policy.yaml", path)
    text = str(info.value)
    # The helper counts what the default (regular) persona is shown; design lints are pedantic.
    decision = lockkeeper.check_pipeline(
        lockkeeper.Pipeline.from_file(path), lockkeeper.Policy.from_file(EXAMPLES / "policy.yaml")
    )
    assert f"{len(decision.violations)} violations" in text
    for v in decision.violations:
        assert f"{v.severity}[{v.code}]" in text
    assert f"{path}:5: error[pipeline/untrusted-code-in-trusted-zone] job `lint`" in text
    with pytest.raises(AssertionError) as every:
        lockkeeper.assert_pipeline_safe(EXAMPLES / "policy.yaml", path, persona="pedantic")
    assert "11 violations" in str(every.value)


def test_to_sarif_gives_a_sarif_log_with_each_violation_located() -> None:
    path = EXAMPLES / "native" / "violations.yaml"
    decision = lockkeeper.Policy.from_file(EXAMPLES / "policy.yaml").check_pipeline(
        lockkeeper.Pipeline.from_file(path)
    )
    log = json.loads(decision.to_sarif())
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in run["tool"]["driver"]["rules"]}
    assert levels["pipeline/build-publishes"] == "warning"
    assert [r["ruleId"] for r in run["results"]] == decision.codes
    assert [r["level"] for r in run["results"]] == [v.severity for v in decision.violations]
    assert all(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(path)
        for r in run["results"]
    )
    assert decision.summary().startswith("DENY pipeline ")


def test_a_pull_request_target_checkout_is_tainted_input_with_its_path() -> None:
    pipeline = lockkeeper.Pipeline.from_file(EXAMPLES / "github" / "pr-target.yml")
    assert pipeline.files == [str(EXAMPLES / "github" / "pr-target.yml")]
    preview = next(j for j in pipeline.jobs if j["name"] == "preview")
    assert preview["contexts"] == ["github/pull_request_target"]
    assert "NETLIFY_TOKEN" in preview["secrets"]
    decision = lockkeeper.check_pipeline(pipeline)
    [v] = decision.violations
    assert v.code == "pipeline/tainted-input"
    assert v.facts["job"] == "preview"
    assert [step["job"] for step in v.facts["path"]] == ["pull request (untrusted)", "preview"]


def test_formats_from_text_and_detection() -> None:
    gitlab = "test:\n  script: [make test]\n"
    assert len(lockkeeper.Pipeline.from_yaml(gitlab, "gitlab")) == 3
    auto = lockkeeper.Pipeline.from_yaml(gitlab, "auto", ".gitlab-ci.yml")
    assert [j["name"] for j in auto.jobs] == ["test [branch]", "test [default_branch]", "test [tag]"]
    with pytest.raises(ValueError):
        lockkeeper.Pipeline.from_yaml(gitlab, "jenkins")


def test_pipeline_errors_carry_file_code_and_position(tmp_path: Path) -> None:
    bad = tmp_path / "pipeline.yaml"
    bad.write_text("jobs:\n  build: {trigger: merged, needs: [biuld]}\n")
    with pytest.raises(lockkeeper.PipelineError) as info:
        lockkeeper.Pipeline.from_file(bad)
    err = info.value
    assert isinstance(err, lockkeeper.LockkeeperError)
    assert err.code == "pipeline/undefined-reference"
    assert err.file == str(bad)
    assert (err.line, err.column) == (2, 36)
    assert err.path == "jobs.build.needs[0]"
    assert f"{bad}:2:36" in str(err)
    with pytest.raises(FileNotFoundError):
        lockkeeper.Pipeline.from_file(tmp_path / "missing.yml")


def test_unsupported_constructs_are_listed_and_deny() -> None:
    pipeline = lockkeeper.Pipeline.from_file(EXAMPLES / "gitlab" / "unsupported.gitlab-ci.yml")
    assert [u["line"] for u in pipeline.unsupported] == [4, 15]
    assert lockkeeper.check_pipeline(pipeline).codes == [
        "import/unsupported",
        "import/unsupported",
        "import/incomplete",
    ]
    accepted = lockkeeper.check_pipeline(pipeline, allow_incomplete=True)
    assert accepted.allowed and "incomplete, accepted" in accepted.subject


def test_builtin_policy_zones() -> None:
    assert set(lockkeeper.Policy.builtin().zones) == {"untrusted", "approved", "trusted", "deploy"}


FORK_PR = """on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make test
        env: {T: "${{ secrets.TOKEN }}"}
"""


def test_persona_filters_the_findings_shown(tmp_path: Path) -> None:
    pipeline = lockkeeper.Pipeline.from_yaml(FORK_PR, "github", "ci.yml")
    # A fork's pull request gets no secrets: a same-repository concern is pedantic.
    assert lockkeeper.check_pipeline(pipeline).allowed
    assert lockkeeper.check_pipeline(pipeline, persona="pedantic").codes == ["pipeline/secret-not-allowed"]
    with pytest.raises(ValueError, match="unknown persona"):
        lockkeeper.check_pipeline(pipeline, persona="loud")
    path = tmp_path / "ci.yml"
    path.write_text(FORK_PR)
    lockkeeper.assert_pipeline_safe(None, path, format="github")
    with pytest.raises(AssertionError, match="secret-not-allowed"):
        lockkeeper.assert_pipeline_safe(None, path, format="github", persona="auditor")


def test_include_dir_serves_gitlab_includes_from_elsewhere(tmp_path: Path) -> None:
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text("include:\n  - project: group/ci\n    file: /publish.yml\n")
    alone = lockkeeper.Pipeline.from_files([ci], "gitlab")
    assert "import/incomplete" in lockkeeper.check_pipeline(alone).codes
    shared = tmp_path / "includes" / "group" / "ci"
    shared.mkdir(parents=True)
    (shared / "publish.yml").write_text("publish:\n  rules: [{if: $CI_COMMIT_TAG}]\n  script: [npm publish]\n")
    both = lockkeeper.Pipeline.from_files([ci], "gitlab", include_dir=tmp_path / "includes")
    assert any(f.endswith("group/ci/publish.yml") for f in both.files)
    decision = lockkeeper.check_pipeline(both, persona="auditor")
    assert "import/incomplete" not in decision.codes
    assert "pipeline/build-publishes" in decision.codes
