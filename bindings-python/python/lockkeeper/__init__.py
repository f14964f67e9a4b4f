"""lockkeeper: decide what may move through a CI/CD pipeline, and explain every denial.

Everything here is implemented in Rust (``lockkeeper._lockkeeper``); this package re-exports it
so that ``import lockkeeper`` is all a release script needs.
"""

from lockkeeper._lockkeeper import (
    Decision,
    ImageError,
    InvalidRequestError,
    InventoryError,
    LockkeeperError,
    PathStep,
    PlannedImage,
    Policy,
    PolicyError,
    Problem,
    RebuildPlan,
    Violation,
    __version__,
    rebuild_plan,
    rules,
)

__all__ = [
    "Decision",
    "ImageError",
    "InvalidRequestError",
    "InventoryError",
    "LockkeeperError",
    "PathStep",
    "PlannedImage",
    "Policy",
    "PolicyError",
    "Problem",
    "RebuildPlan",
    "Violation",
    "__version__",
    "rebuild_plan",
    "rules",
]
