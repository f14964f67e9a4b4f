"""lockkeeper: decide what may move through a CI/CD pipeline, and explain every denial.

Everything here is implemented in Rust (``lockkeeper._lockkeeper``); this package re-exports it
so that ``import lockkeeper`` is all a release script needs.
"""

from lockkeeper._lockkeeper import (
    BUILD_PROFILE,
    IN_TOTO_PAYLOAD_TYPE,
    AuditCheckpoint,
    AuditEntry,
    AuditLog,
    AuditLogError,
    Decision,
    Envelope,
    InvalidRequestError,
    LockkeeperError,
    Policy,
    PolicyError,
    Problem,
    PublicKey,
    SigningKey,
    Statement,
    VerificationError,
    Violation,
    __version__,
    digest,
    digest_file,
    rules,
)

__all__ = [
    "BUILD_PROFILE",
    "IN_TOTO_PAYLOAD_TYPE",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditLog",
    "AuditLogError",
    "Decision",
    "Envelope",
    "InvalidRequestError",
    "LockkeeperError",
    "Policy",
    "PolicyError",
    "Problem",
    "PublicKey",
    "SigningKey",
    "Statement",
    "VerificationError",
    "Violation",
    "__version__",
    "digest",
    "digest_file",
    "rules",
]
