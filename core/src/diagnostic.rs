//! Problems found in a document we were asked to read: each with a rule code, the field path and,
//! where the text is known, the line and column.
//!
//! A [`Problem`] is about *input* (a policy that does not hold together); a
//! [`crate::decision::Violation`] is about a *request* the policy denies. Keeping them apart is
//! what lets a caller tell "your policy is broken" (exit 2 for most commands) from "the policy
//! says no" (exit 1).

use std::fmt;

use serde::Serialize;

use crate::rule::Code;
use crate::source::{FieldPath, Location};

/// One thing wrong with a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable rule code, e.g. `policy/undefined-reference` (serialized as that text).
    pub code: Code,
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
        code: Code,
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

/// Every problem found in one document, in the order of the text. There is always at least
/// one: a document with no problem is not an error, so the type cannot say so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problems {
    /// The first problem in the text (boxed to keep `Result<_, Problems>` small).
    first: Box<Problem>,
    /// The others, in the order of the text.
    rest: Vec<Problem>,
}

impl Serialize for Problems {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl Problems {
    /// One problem.
    pub fn one(problem: Problem) -> Self {
        Problems {
            first: Box::new(problem),
            rest: Vec::new(),
        }
    }

    /// `first` and `rest`, ordered by position so reports read top to bottom (problems at the
    /// same position keep their order).
    pub fn new(first: Problem, rest: Vec<Problem>) -> Self {
        let key = |p: &Problem| (p.location.is_none(), p.location);
        let mut first = first;
        let mut rest = rest;
        rest.sort_by_key(key);
        if let Some(head) = rest.first_mut()
            && key(head) < key(&first)
        {
            std::mem::swap(head, &mut first);
            rest.sort_by_key(key);
        }
        Problems {
            first: Box::new(first),
            rest,
        }
    }

    /// The problems of a list, ordered by position; `None` for an empty list (no problem, no
    /// error).
    pub fn from_vec(problems: Vec<Problem>) -> Option<Self> {
        let mut all = problems.into_iter();
        let first = all.next()?;
        Some(Problems::new(first, all.collect()))
    }

    /// The problems, first in the text first.
    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        std::iter::once(&*self.first).chain(&self.rest)
    }

    /// The first problem in the text.
    pub fn first(&self) -> &Problem {
        &self.first
    }

    /// The code of the first problem: the code of the whole error.
    pub fn code(&self) -> Code {
        self.first.code
    }

    /// How many problems there are (at least one).
    #[allow(clippy::len_without_is_empty, reason = "never empty, by construction")]
    pub fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// Renders every problem with `origin` (usually a file name) in front of its position.
    pub fn render(&self, origin: &str) -> String {
        let mut out = String::new();
        for p in self.iter() {
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
        let n = self.len();
        write!(f, "{n} problem{}", if n == 1 { "" } else { "s" })?;
        for p in self.iter() {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

impl IntoIterator for Problems {
    type Item = Problem;
    type IntoIter = std::vec::IntoIter<Problem>;
    fn into_iter(self) -> Self::IntoIter {
        let mut all = self.rest;
        all.insert(0, *self.first);
        all.into_iter()
    }
}

impl std::error::Error for Problems {}
