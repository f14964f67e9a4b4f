"""lockkeeper: decide what may move through a CI/CD pipeline, and explain every denial.

Everything here is implemented in Rust (``lockkeeper._lockkeeper``); this package re-exports it
so that ``import lockkeeper`` is all a release script needs.
"""

from lockkeeper._lockkeeper import (
    Decision,
    InvalidRequestError,
    LockkeeperError,
    Pipeline,
    PipelineError,
    Policy,
    PolicyError,
    Problem,
    Violation,
    __version__,
    check_pipeline,
    rules,
)
from lockkeeper._testing import assert_pipeline_safe

__all__ = [
    "Decision",
    "InvalidRequestError",
    "LockkeeperError",
    "Pipeline",
    "PipelineError",
    "Policy",
    "PolicyError",
    "Problem",
    "Violation",
    "__version__",
    "assert_pipeline_safe",
    "check_pipeline",
    "rules",
]
