//! Problems found in a document we were asked to read: each with a rule code, the field path and,
//! where the text is known, the line and column.
//!
//! A [`Problem`] is about *input* (a policy that does not hold together); a
//! [`crate::decision::Violation`] is about a *request* the policy denies. Keeping them apart is
//! what lets a caller tell "your policy is broken" (exit 2 for most commands) from "the policy
//! says no" (exit 1).

use std::fmt;

use serde::Serialize;

use crate::source::{FieldPath, Location};

/// One thing wrong with a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable rule code, e.g. `policy/undefined-reference`.
    pub code: &'static str,
    /// What is wrong, for a person.
    pub message: String,
    /// Where in the document, e.g. `bindings[2].role`.
    #[serde(serialize_with = "serialize_path")]
    pub path: FieldPath,
    /// Line and column in the text, when the document came from text.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

fn serialize_path<S: serde::Serializer>(path: &FieldPath, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(path)
}

impl Problem {
    /// A problem at `path`.
    pub fn new(
        code: &'static str,
        message: impl Into<String>,
        path: FieldPath,
        location: Option<Location>,
    ) -> Self {
        Problem {
            code,
            message: message.into(),
            path,
            location,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = self.location {
            write!(f, "{loc}: ")?;
        }
        write!(f, "error[{}] at {}: {}", self.code, self.path, self.message)
    }
}

/// Every problem found in one document, in the order of the text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Problems(Vec<Problem>);

impl Problems {
    /// Wraps a list of problems, ordering them by position so reports read top to bottom.
    pub fn new(mut problems: Vec<Problem>) -> Self {
        problems.sort_by(|a, b| {
            let key = |p: &Problem| (p.location.is_none(), p.location);
            key(a).cmp(&key(b))
        });
        Problems(problems)
    }

    /// The problems, first in the text first.
    pub fn as_slice(&self) -> &[Problem] {
        &self.0
    }

    /// The first problem; every `Problems` holds at least one when it reaches a caller.
    pub fn first(&self) -> Option<&Problem> {
        self.0.first()
    }

    /// How many problems there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Renders every problem with `origin` (usually a file name) in front of its position.
    pub fn render(&self, origin: &str) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match p.location {
                Some(loc) => out.push_str(&format!("{origin}:{loc}: ")),
                None => out.push_str(&format!("{origin}: ")),
            }
            out.push_str(&format!("error[{}] at {}: {}\n", p.code, p.path, p.message));
        }
        out
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} problem{}", if n == 1 { "" } else { "s" })?;
        for p in &self.0 {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl IntoIterator for Problems {
    type Item = Problem;
    type IntoIter = std::vec::IntoIter<Problem>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl std::error::Error for Problems {}
