//! The errors of the library: input that cannot be understood.
//!
//! A denial is not an error (see [`crate::Decision`]). An `Error` means lockkeeper could not
//! decide at all, and every caller must treat it as "no": fail closed.

use crate::diagnostic::Problems;

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
            Error::InvalidInput { code, .. } => code,
        }
    }
}
