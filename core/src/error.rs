//! The errors of the library: input that cannot be understood.
//!
//! A denial is not an error (see [`crate::Decision`]). An `Error` means lockkeeper could not
//! decide at all, and every caller must treat it as "no": fail closed.

use crate::diagnostic::Problems;
use crate::rule::codes;

/// Why lockkeeper could not answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A policy (or other document of ours) with problems; each carries code, path and position.
    #[error("{0}")]
    Problems(#[from] Problems),
    /// A request naming something that does not exist (an unknown action or role).
    #[error("{message}")]
    InvalidInput {
        /// Rule code, e.g. `rbac/unknown-action`.
        code: &'static str,
        /// What was wrong.
        message: String,
    },
    /// An envelope checked without a policy did not verify.
    #[error("{message}")]
    NotVerified {
        /// Rule code, `envelope/threshold-not-met`.
        code: &'static str,
        /// What failed.
        message: String,
        /// Key ids that did verify (fewer than required).
        keyids: Vec<String>,
    },
}

impl From<crate::keys::KeyError> for Error {
    fn from(e: crate::keys::KeyError) -> Self {
        use crate::keys::KeyError;
        let code = match e {
            KeyError::Unsupported(_) | KeyError::TooSmall { .. } => codes::INPUT_UNSUPPORTED_KEY,
            KeyError::Format(_) | KeyError::Weak => codes::INPUT_INVALID_KEY,
        };
        Error::invalid(code, e.to_string())
    }
}

impl From<crate::digest::DigestError> for Error {
    fn from(e: crate::digest::DigestError) -> Self {
        Error::invalid(codes::INPUT_INVALID_DIGEST, e.to_string())
    }
}

impl From<crate::attestation::EnvelopeError> for Error {
    fn from(e: crate::attestation::EnvelopeError) -> Self {
        Error::invalid(codes::INPUT_MALFORMED_ENVELOPE, e.to_string())
    }
}

impl From<crate::attestation::StatementError> for Error {
    fn from(e: crate::attestation::StatementError) -> Self {
        Error::invalid(codes::INPUT_MALFORMED_STATEMENT, e.to_string())
    }
}

impl From<crate::attestation::VerifyError> for Error {
    fn from(e: crate::attestation::VerifyError) -> Self {
        let keyids = match &e {
            crate::attestation::VerifyError::ThresholdNotMet { keyids, .. } => keyids.clone(),
            crate::attestation::VerifyError::ZeroThreshold => Vec::new(),
        };
        Error::NotVerified {
            code: codes::ENVELOPE_THRESHOLD_NOT_MET,
            message: e.to_string(),
            keyids,
        }
    }
}

impl Error {
    pub(crate) fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidInput {
            code,
            message: message.into(),
        }
    }

    /// The rule code of the error (the first problem's code for a document).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Problems(p) => p.first().map(|p| p.code).unwrap_or("policy/syntax"),
            Error::InvalidInput { code, .. } | Error::NotVerified { code, .. } => code,
        }
    }
}
