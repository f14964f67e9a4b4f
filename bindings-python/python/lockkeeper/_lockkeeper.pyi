"""Type stubs of the native module; checked against it by mypy.stubtest in the test command."""

import os
from datetime import datetime
from typing import Any, Literal, Mapping, NoReturn, Optional, Sequence, TypedDict, Union, final

from typing_extensions import NotRequired

__version__: str
__all__ = [
    "BUILD_PROFILE",
    "IN_TOTO_PAYLOAD_TYPE",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditLog",
    "AuditLogError",
    "Decision",
    "DeployOutcome",
    "Envelope",
    "ImageError",
    "InvalidRequestError",
    "InventoryError",
    "LockkeeperError",
    "PathStep",
    "Pipeline",
    "PipelineError",
    "PlannedImage",
    "Policy",
    "PolicyError",
    "Problem",
    "PublicKey",
    "RebuildPlan",
    "BundleResult",
    "TrustedRoot",
    "verify_bundle",
    "verify_envelopes",
    "SigningKey",
    "Statement",
    "VerificationError",
    "Violation",
    "__version__",
    "check_pipeline",
    "check_repository",
    "digest",
    "digest_file",
    "rebuild_plan",
    "rules",
    "_violation_list",
]

IN_TOTO_PAYLOAD_TYPE: str
BUILD_PROFILE: str

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

class VerificationError(LockkeeperError):
    """An envelope that did not verify; ``keyids`` lists the keys that did."""

    keyids: list[str]
class ImageError(LockkeeperError):
    """An image that cannot be used for a rebuild plan (malformed, or a blob that does not match)."""

class InventoryError(LockkeeperError):
    """An image inventory with problems. ``code``/``path``/``line``/``column`` describe the first."""

    path: Optional[str]
    line: Optional[int]
    column: Optional[int]
    problems: list[Problem]

class AuditLogError(LockkeeperError):
    """A log that cannot be appended to or checkpointed as it is (torn, broken, another key)."""

    line: Optional[int]

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
    def severity(self) -> Literal["error", "warning", "note"]: ...
    @property
    def confidence(self) -> Literal["high", "medium", "low"]: ...
    @property
    def persona(self) -> Literal["regular", "pedantic", "auditor"]: ...
    @property
    def assumptions(self) -> list[str]: ...
    @property
    def facts(self) -> dict[str, Any]: ...

class _KeySigner(TypedDict):
    kind: Literal["key"]
    keyid: str
    owner: str

class _CertificateSigner(TypedDict):
    kind: Literal["certificate"]
    issuer: str
    subject: str
    claims: dict[str, str]
    owner: str

class _TimeProof(TypedDict):
    log_index: NotRequired[int]
    integrated_time: NotRequired[str]
    rfc3161_timestamps: int
    verified_times: list[str]

class _VerifiedEvidence(TypedDict):
    evidence: str
    digest: str
    used_as: Literal["provenance", "promotion-record", "attestation"]
    predicate_type: str
    builder: NotRequired[str]
    signers: list[Union[_KeySigner, _CertificateSigner]]
    time: NotRequired[_TimeProof]

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
    def verified(self) -> list[_VerifiedEvidence]:
        """The signed evidence the decision relied on, and what about it was verified."""
    @property
    def codes(self) -> list[str]: ...
    def to_sarif(self) -> str: ...
    def summary(self) -> str: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __bool__(self) -> NoReturn:
        """Raises TypeError: test `.allowed` (a denial is an object, and objects are true)."""

@final
class DeployOutcome:
    @property
    def decision(self) -> Decision: ...
    @property
    def allowed(self) -> bool: ...
    @property
    def released_secrets(self) -> list[dict[str, str]]: ...
    @property
    def promotion_record(self) -> Optional[Statement]: ...
    @property
    def evidence_ignored(self) -> list[dict[str, str]]: ...
    def to_json(self) -> str: ...
    def __bool__(self) -> NoReturn:
        """Raises TypeError: test `.allowed`."""

@final
class Pipeline:
    @staticmethod
    def from_file(
        path: Union[str, os.PathLike[str]],
        format: Optional[str] = None,
        *,
        include_dir: Optional[Union[str, os.PathLike[str]]] = None,
    ) -> Pipeline: ...
    @staticmethod
    def from_files(
        paths: Sequence[Union[str, os.PathLike[str]]],
        format: Optional[str] = None,
        *,
        include_dir: Optional[Union[str, os.PathLike[str]]] = None,
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
    def check_pipeline(self, pipeline: Pipeline, *, allow_incomplete: bool = False) -> Decision: ...
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
    def verify_provenance(
        self,
        envelope: Union[str, bytes],
        artifact: str,
        *,
        environment: Optional[str] = None,
    ) -> Decision: ...
    def with_trusted_root(self, root: TrustedRoot) -> Policy: ...
    def promote(
        self,
        artifact: str,
        *,
        to: str,
        by: str,
        evidence: Sequence[Union[str, bytes]] = ...,
        approvals: Optional[list[Mapping[str, Union[str, datetime]]]] = None,
        author: Optional[str] = None,
        version: Optional[str] = None,
        last_version: Optional[str] = None,
        at: Union[str, datetime, None] = None,
        project: Optional[str] = None,
        ref: Optional[str] = None,
        rollback: bool = False,
        emergency: bool = False,
        images: Sequence[Union[str, os.PathLike[str]]] = ...,
    ) -> DeployOutcome: ...
    def deploy_request(
        self,
        artifact: str,
        *,
        to: str,
        by: str,
        evidence: Sequence[Union[str, bytes]] = ...,
        approvals: Optional[list[Mapping[str, Union[str, datetime]]]] = None,
        author: Optional[str] = None,
        version: Optional[str] = None,
        last_version: Optional[str] = None,
        at: Union[str, datetime, None] = None,
        project: Optional[str] = None,
        ref: Optional[str] = None,
        rollback: bool = False,
        emergency: bool = False,
        images: Sequence[Union[str, os.PathLike[str]]] = ...,
    ) -> DeployOutcome: ...
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
    def check_image(self, path: Union[str, os.PathLike[str]]) -> Decision: ...
    def check_images(self, paths: Sequence[Union[str, os.PathLike[str]]]) -> list[Decision]: ...
    def check_image_manifest(
        self, manifest: Union[str, os.PathLike[str]], config: Union[str, os.PathLike[str]]
    ) -> Decision: ...

@final
class PathStep:
    @property
    def name(self) -> Optional[str]: ...
    @property
    def digest(self) -> str: ...

@final
class PlannedImage:
    @property
    def name(self) -> str: ...
    @property
    def digest(self) -> str: ...
    @property
    def wave(self) -> Optional[int]: ...
    @property
    def path(self) -> list[PathStep]: ...

@final
class RebuildPlan:
    @property
    def vulnerable(self) -> list[str]: ...
    @property
    def waves(self) -> list[list[PlannedImage]]: ...
    @property
    def blocked(self) -> list[PlannedImage]: ...
    @property
    def unmatched(self) -> list[str]: ...
    @property
    def cycles(self) -> list[list[str]]: ...
    @property
    def missing_bases(self) -> list[dict[str, str]]: ...
    @property
    def affected(self) -> int: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

def rebuild_plan(
    vulnerable: Sequence[str],
    *,
    layouts: Optional[Sequence[Union[str, os.PathLike[str]]]] = None,
    inventory: Union[str, os.PathLike[str], None] = None,
) -> RebuildPlan: ...
def rules() -> list[dict[str, str]]: ...
def _violation_list(decision: Decision) -> str: ...

def digest(data: bytes, algorithm: str = "sha256") -> str: ...
def verify_envelopes(
    envelopes: Sequence[Envelope], keys: Sequence[PublicKey], threshold: int = 1
) -> list[Union[list[str], VerificationError]]: ...

@final
class TrustedRoot:
    """A Sigstore trusted root (``trusted_root.json``)."""

    @staticmethod
    def from_json(data: Union[str, bytes]) -> TrustedRoot: ...
    @staticmethod
    def from_file(path: Union[str, os.PathLike[str]]) -> TrustedRoot: ...
    @staticmethod
    def builtin(name: Literal["public-good", "staging", "github"]) -> TrustedRoot: ...
    @property
    def name(self) -> str: ...

@final
class BundleResult:
    """What ``verify_bundle`` found: a decision, what verified, and every identity check."""

    @property
    def allowed(self) -> bool: ...
    @property
    def decision(self) -> Decision: ...
    @property
    def verified(self) -> Optional[dict[str, Any]]: ...
    @property
    def identity_checks(self) -> list[dict[str, Any]]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __bool__(self) -> NoReturn: ...

def verify_bundle(
    bundle: Union[str, bytes],
    *,
    trusted_root: TrustedRoot,
    artifact: Optional[bytes] = None,
    digest: Optional[str] = None,
    identity: Optional[Mapping[str, Union[str, Sequence[str]]]] = None,
    keys: Optional[Sequence[Union[str, bytes]]] = None,
) -> BundleResult: ...
def digest_file(path: Union[str, os.PathLike[str]], algorithm: str = "sha256") -> str: ...

@final
class PublicKey:
    @staticmethod
    def from_pem(text: str, scheme: Optional[str] = None) -> PublicKey: ...
    @staticmethod
    def from_der(data: bytes) -> PublicKey: ...
    @staticmethod
    def from_hex(text: str) -> PublicKey: ...
    @staticmethod
    def from_securesystemslib(key: dict[str, Any]) -> PublicKey: ...
    @staticmethod
    def parse(data: Union[str, bytes]) -> PublicKey: ...
    def with_scheme(self, scheme: str) -> PublicKey: ...
    @property
    def scheme(self) -> str: ...
    @property
    def keyid(self) -> str: ...
    @property
    def keyids(self) -> list[str]: ...
    def to_pem(self) -> str: ...
    def to_securesystemslib(self) -> dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class SigningKey:
    @staticmethod
    def generate(scheme: str = "ed25519") -> SigningKey: ...
    @property
    def scheme(self) -> str: ...
    @staticmethod
    def from_pem(text: str) -> SigningKey: ...
    def to_pem(self) -> str: ...
    @property
    def public_key(self) -> PublicKey: ...
    @property
    def keyid(self) -> str: ...

@final
class Envelope:
    @staticmethod
    def sign(
        payload: Union[str, bytes],
        keys: Sequence[SigningKey],
        payload_type: str = "application/vnd.in-toto+json",
    ) -> Envelope: ...
    @staticmethod
    def from_json(data: Union[str, bytes]) -> Envelope: ...
    def to_json(self) -> str: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def payload_type(self) -> str: ...
    @property
    def keyids(self) -> list[Optional[str]]: ...
    def verify(self, keys: Sequence[PublicKey], threshold: int = 1) -> list[str]: ...

@final
class Statement:
    @staticmethod
    def from_json(data: Union[str, bytes]) -> Statement: ...
    @staticmethod
    def provenance(
        builder: str,
        subjects: Sequence[tuple[str, str]],
        *,
        source: Optional[str] = None,
        ref: Optional[str] = None,
        commit: Optional[str] = None,
        build_type: Optional[str] = None,
    ) -> Statement: ...
    def to_json(self) -> str: ...
    @property
    def statement_type(self) -> str: ...
    @property
    def predicate_type(self) -> str: ...
    @property
    def predicate(self) -> dict[str, Any]: ...
    @property
    def subjects(self) -> list[dict[str, Any]]: ...
    def covers(self, digest: str) -> bool: ...

@final
class AuditEntry:
    @property
    def seq(self) -> int: ...
    @property
    def hash(self) -> str: ...
    @property
    def prev(self) -> str: ...
    @property
    def record(self) -> dict[str, Any]: ...

@final
class AuditCheckpoint:
    @staticmethod
    def from_json(data: Union[str, bytes]) -> AuditCheckpoint: ...
    @property
    def count(self) -> int: ...
    @property
    def head(self) -> str: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class AuditLog:
    def __new__(cls, path: Union[str, os.PathLike[str]]) -> AuditLog: ...
    @property
    def path(self) -> str: ...
    def append(self, record: Union[Mapping[str, Any], str, bytes], key: SigningKey) -> AuditEntry: ...
    def checkpoint(self, key: SigningKey) -> AuditCheckpoint: ...
    def verify(self, public_key: PublicKey, checkpoint: Optional[AuditCheckpoint] = None) -> Decision: ...

def check_pipeline(
    pipeline: Pipeline,
    policy: Optional[Policy] = None,
    persona: str = "regular",
    *,
    allow_incomplete: bool = False,
) -> Decision: ...
def check_repository(
    path: Union[str, os.PathLike[str]],
    policy: Optional[Policy] = None,
    persona: str = "regular",
    *,
    allow_incomplete: bool = False,
) -> Decision: ...
