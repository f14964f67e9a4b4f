"""One-line pipeline assertions for a repository's own unit tests."""

from __future__ import annotations

import os
from typing import Optional, Sequence, Union

from lockkeeper._lockkeeper import (
    Pipeline,
    Policy,
    _violation_list,
    check_pipeline,
    check_repository,
)

PathLike = Union[str, "os.PathLike[str]"]


def assert_pipeline_safe(
    policy: Union[Policy, PathLike, None],
    path: Union[PathLike, Sequence[PathLike]],
    *,
    format: Optional[str] = None,
    persona: str = "regular",
    allow_incomplete: bool = False,
) -> None:
    """Imports the pipeline file(s) at ``path`` and checks them against ``policy`` (a ``Policy``,
    a policy file, or ``None`` for the built-in defaults), counting the findings ``persona``
    sees (``regular``, ``pedantic`` or ``auditor``). A single directory is checked as a
    repository (``check_repository``): every pipeline file in it, each format's files together.

    Raises ``AssertionError`` listing every violation, one line each with file, line, job, code
    and message, so a failing test says what to fix::

        def test_ci_is_safe():
            lockkeeper.assert_pipeline_safe("policy.yaml", ".github/workflows/release.yml")

        def test_repository_is_safe():
            lockkeeper.assert_pipeline_safe(None, ".")

    A pipeline that was not read whole (no job, a construct not modelled, an include or job
    definition not given) fails with ``import/incomplete`` unless ``allow_incomplete``.
    """
    if policy is not None and not isinstance(policy, Policy):
        policy = Policy.from_file(policy)
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    if len(paths) == 1 and format in (None, "auto") and os.path.isdir(paths[0]):
        decision = check_repository(paths[0], policy, persona, allow_incomplete=allow_incomplete)
    else:
        pipeline = Pipeline.from_files(paths, format)
        decision = check_pipeline(pipeline, policy, persona, allow_incomplete=allow_incomplete)
    if decision.allowed:
        return
    raise AssertionError(_violation_list(decision))
