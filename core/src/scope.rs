//! Where an action happens: project, ref and environment.
//!
//! Patterns are globs in which `*` stops at `/` and `**` crosses it, as in `.gitignore`. That is
//! the strict reading: a binding for `refs/heads/release-*` does not also cover
//! `refs/heads/release-1/evil`. A binding that restricts a dimension never matches a request that
//! leaves that dimension out: missing information does not widen a grant.

use std::fmt;

pub use crate::glob::{Pattern, PatternError};

/// The scope a request is made in. Every part is optional; a binding limited to a part only
/// applies when the request gives it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Project or repository, e.g. `mediawiki/core`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Git ref, e.g. `refs/heads/main`.
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// Target environment, e.g. `production`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

impl Scope {
    /// A scope limited to nothing.
    pub fn any() -> Self {
        Scope::default()
    }

    /// This scope with a project.
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// This scope with a ref.
    pub fn git_ref(mut self, git_ref: impl Into<String>) -> Self {
        self.git_ref = Some(git_ref.into());
        self
    }

    /// This scope with an environment.
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(p) = &self.project {
            parts.push(format!("project={p}"));
        }
        if let Some(r) = &self.git_ref {
            parts.push(format!("ref={r}"));
        }
        if let Some(e) = &self.environment {
            parts.push(format!("environment={e}"));
        }
        if parts.is_empty() {
            f.write_str("(any scope)")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_displays_its_parts() {
        let s = Scope::any().project("p").environment("prod");
        assert_eq!(s.to_string(), "project=p environment=prod");
        assert_eq!(Scope::any().to_string(), "(any scope)");
    }
}
