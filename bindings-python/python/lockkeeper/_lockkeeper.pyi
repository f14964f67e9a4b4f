"""Type stubs of the native module; checked against it by mypy.stubtest in the test command."""

import os
from typing import Any, Optional, Sequence, Union, final

__version__: str
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
    "check_pipeline",
    "rules",
]

class LockkeeperError(Exception):
    """Base of every lockkeeper error; ``code`` is the rule code."""

    code: str

class PolicyError(LockkeeperError):
    """A policy with problems. ``code``/``path``/``line``/``column`` describe the first one."""

    path: Optional[str]
    line: Optional[int]
    column: Optional[int]
    problems: list[Problem]

class InvalidRequestError(LockkeeperError):
    """A request naming something that does not exist (an unknown action or role)."""

class PipelineError(LockkeeperError):
    """Pipeline files that cannot be read. ``code``/``file``/``path``/``line``/``column`` describe
    the first problem."""

    file: Optional[str]
    path: Optional[str]
    line: Optional[int]
    column: Optional[int]
    problems: list[Problem]

@final
class Problem:
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def line(self) -> Optional[int]: ...
    @property
    def column(self) -> Optional[int]: ...

@final
class Violation:
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def help(self) -> str: ...
    @property
    def facts(self) -> dict[str, Any]: ...

@final
class Decision:
    @property
    def allowed(self) -> bool: ...
    @property
    def subject(self) -> str: ...
    @property
    def violations(self) -> list[Violation]: ...
    @property
    def passed(self) -> list[str]: ...
    @property
    def codes(self) -> list[str]: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Pipeline:
    @staticmethod
    def from_file(path: Union[str, os.PathLike[str]], format: Optional[str] = None) -> Pipeline: ...
    @staticmethod
    def from_files(
        paths: Sequence[Union[str, os.PathLike[str]]], format: Optional[str] = None
    ) -> Pipeline: ...
    @staticmethod
    def from_yaml(text: str, format: str = "native", name: str = "<yaml>") -> Pipeline: ...
    @property
    def files(self) -> list[str]: ...
    @property
    def jobs(self) -> list[dict[str, Any]]: ...
    @property
    def unsupported(self) -> list[dict[str, Any]]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __len__(self) -> int: ...

@final
class Policy:
    @staticmethod
    def from_file(path: Union[str, os.PathLike[str]]) -> Policy: ...
    @staticmethod
    def builtin() -> Policy: ...
    def check_pipeline(self, pipeline: Pipeline) -> Decision: ...
    @staticmethod
    def from_yaml(text: str) -> Policy: ...
    @staticmethod
    def from_json(text: str) -> Policy: ...
    @property
    def zones(self) -> list[str]: ...
    @property
    def environments(self) -> list[str]: ...
    @property
    def roles(self) -> list[str]: ...
    def authorize(
        self,
        principal: str,
        action: str,
        *,
        project: Optional[str] = None,
        ref: Optional[str] = None,
        environment: Optional[str] = None,
    ) -> Decision: ...
    def check_approvals(
        self,
        approvals: Sequence[str],
        *,
        required: int,
        author: Optional[str] = None,
        role: Optional[str] = None,
        project: Optional[str] = None,
        ref: Optional[str] = None,
        environment: Optional[str] = None,
    ) -> Decision: ...

def check_pipeline(pipeline: Pipeline, policy: Optional[Policy] = None) -> Decision: ...
def rules() -> list[dict[str, str]]: ...
