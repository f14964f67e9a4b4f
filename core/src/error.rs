//! The errors of the library: input that cannot be understood.
//!
//! A denial is not an error (see [`crate::Decision`]). An `Error` means lockkeeper could not
//! decide at all, and every caller must treat it as "no": fail closed.
//!
//! Each module owns its error type; [`Error`] wraps them all, so an entry point returns one type
//! whose [`Error::code`] is a rule code and whose `source()` is the module's typed error.

use crate::attestation::{EnvelopeError, StatementError, VerifyError};
use crate::audit::AuditError;
use crate::diagnostic::Problems;
use crate::digest::DigestError;
use crate::import::ImportError;
use crate::keys::KeyError;
use crate::promotion::ValueError;
use crate::rule::{Code, codes};
use crate::scope::PatternError;

/// Why lockkeeper could not answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A policy (or other document of ours) with problems; each carries code, path and position.
    #[error("{0}")]
    Problems(#[source] Problems),
    /// Pipeline files that cannot be read as pipelines.
    #[error("{0}")]
    Import(#[source] ImportError),
    /// A key that cannot be read (`input/invalid-key`).
    #[error("{0}")]
    Key(#[source] KeyError),
    /// A digest not in the one accepted spelling (`input/invalid-digest`).
    #[error("{0}")]
    Digest(#[source] DigestError),
    /// Bytes that are not a DSSE envelope (`input/malformed-envelope`).
    #[error("{0}")]
    Envelope(#[source] EnvelopeError),
    /// Bytes that are not an in-toto Statement (`input/malformed-statement`).
    #[error("{0}")]
    Statement(#[source] StatementError),
    /// An envelope checked without a policy did not verify (`envelope/threshold-not-met`).
    #[error("{0}")]
    NotVerified(#[source] VerifyError),
    /// An audit log or record that cannot be used as it is.
    #[error("{0}")]
    Audit(#[source] AuditError),
    /// A time, duration, clock time or day that does not parse.
    #[error("{0}")]
    Value(#[source] ValueError),
    /// A glob pattern that does not compile.
    #[error("{0}")]
    Pattern(#[source] PatternError),
    /// A request naming something that does not exist (an unknown action, role or
    /// environment).
    #[error("{message}")]
    InvalidInput {
        /// Rule code, e.g. `rbac/unknown-action`.
        code: Code,
        /// What was wrong.
        message: String,
    },
}

macro_rules! wraps {
    ($($ty:ty => $variant:ident),* $(,)?) => {
        $(
            impl From<$ty> for Error {
                fn from(e: $ty) -> Self {
                    Error::$variant(e)
                }
            }
        )*
    };
}

wraps! {
    Problems => Problems,
    ImportError => Import,
    KeyError => Key,
    DigestError => Digest,
    EnvelopeError => Envelope,
    StatementError => Statement,
    VerifyError => NotVerified,
    AuditError => Audit,
    ValueError => Value,
    PatternError => Pattern,
}

impl Error {
    pub(crate) fn invalid(code: Code, message: impl Into<String>) -> Self {
        Error::InvalidInput {
            code,
            message: message.into(),
        }
    }

    /// The error for a person: a document's problems one a line, each with `origin` (usually
    /// the file's name) and its position in front; any other error as `origin: error[CODE]: ...`.
    pub fn render(&self, origin: &str) -> String {
        match self {
            Error::Problems(p) => p.render(origin),
            Error::Import(e) => e.render(),
            other => format!("{origin}: error[{}]: {other}\n", other.code()),
        }
    }

    /// The problems of a document, when that is what the error is.
    pub fn problems(&self) -> Option<&Problems> {
        match self {
            Error::Problems(p) => Some(p),
            _ => None,
        }
    }

    /// The rule code of the error (the first problem's code for a document).
    pub fn code(&self) -> Code {
        match self {
            Error::Problems(p) => p.code(),
            Error::Import(e) => e.code(),
            Error::Key(e) => e.code(),
            Error::Digest(_) => codes::INPUT_INVALID_DIGEST,
            Error::Envelope(_) => codes::INPUT_MALFORMED_ENVELOPE,
            Error::Statement(_) => codes::INPUT_MALFORMED_STATEMENT,
            Error::NotVerified(_) => codes::ENVELOPE_THRESHOLD_NOT_MET,
            Error::Audit(e) => e.code(),
            Error::Value(e) => e.code(),
            Error::Pattern(_) => codes::POLICY_INVALID_VALUE,
            Error::InvalidInput { code, .. } => *code,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn each_sub_error_keeps_its_type_as_the_source_and_gives_its_code() {
        let digest = crate::digest::Digest::parse("sha256:xyz").map_err(Error::from);
        let Err(e) = digest else {
            panic!("a short digest should not parse");
        };
        assert_eq!(e.code(), codes::INPUT_INVALID_DIGEST);
        assert!(
            e.source()
                .is_some_and(|s| s.downcast_ref::<DigestError>().is_some())
        );
        let time = crate::promotion::parse_time("yesterday");
        assert_eq!(time.map_err(|e| e.code()), Err(codes::INPUT_INVALID_TIME));
        let key = crate::keys::PublicKey::parse("not a key").map_err(Error::from);
        assert_eq!(key.map_err(|e| e.code()), Err(codes::INPUT_INVALID_KEY));
    }
}
