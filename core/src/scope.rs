//! Where an action happens: project, ref and environment.
//!
//! Patterns are globs in which `*` stops at `/` and `**` crosses it, as in `.gitignore`. That is
//! the strict reading: a binding for `refs/heads/release-*` does not also cover
//! `refs/heads/release-1/evil`. A binding that restricts a dimension never matches a request that
//! leaves that dimension out: missing information does not widen a grant.

use std::fmt;

use globset::{Glob, GlobBuilder, GlobMatcher};

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

/// A compiled glob pattern that remembers how it was written.
#[derive(Clone, Debug)]
pub struct Pattern {
    text: String,
    matcher: GlobMatcher,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// A glob pattern that does not compile. The glob library's own error stays inside: which
/// library compiles globs is not part of the API.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{pattern}` is not a valid glob pattern: {reason}")]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Pattern {
    /// Compiles a pattern; `*` does not cross `/`, `**` does.
    pub fn new(text: &str) -> Result<Self, PatternError> {
        let glob: Glob = GlobBuilder::new(text)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| PatternError {
                pattern: text.to_owned(),
                reason: e.kind().to_string(),
            })?;
        Ok(Pattern {
            text: text.to_owned(),
            matcher: glob.compile_matcher(),
        })
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        self.matcher.is_match(value)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_stops_at_slash_and_double_star_crosses_it() -> Result<(), PatternError> {
        let p = Pattern::new("refs/heads/release-*")?;
        assert!(p.matches("refs/heads/release-1.2"));
        assert!(!p.matches("refs/heads/release-1/evil"));
        let all = Pattern::new("**")?;
        assert!(all.matches("mediawiki/extensions/Foo"));
        let one = Pattern::new("mediawiki/*")?;
        assert!(one.matches("mediawiki/core"));
        assert!(!one.matches("mediawiki/extensions/Foo"));
        assert!(Pattern::new("a[").is_err());
        Ok(())
    }

    #[test]
    fn scope_displays_its_parts() {
        let s = Scope::any().project("p").environment("prod");
        assert_eq!(s.to_string(), "project=p environment=prod");
        assert_eq!(Scope::any().to_string(), "(any scope)");
    }
}
