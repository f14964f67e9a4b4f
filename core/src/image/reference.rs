//! Image references (`registry/path/name:tag@digest`) in the fully qualified form registries use.
//!
//! A base image written as `debian:12` is really `docker.io/library/debian:12`: comparing the
//! short form against an allowed prefix would let an external base pass as a local one, so every
//! name is qualified before it is compared.

use std::fmt;

/// The registry a name without a registry part refers to.
const DEFAULT_REGISTRY: &str = "docker.io";

/// A parsed, fully qualified image reference.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference {
    /// Registry and repository path, e.g. `docker.io/library/debian`.
    pub repository: String,
    /// The tag, if one is written.
    pub tag: Option<String>,
    /// The digest after `@`, if one is written.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses and qualifies a reference. `None` for text that cannot be a reference (empty
    /// parts, whitespace, upper-case repository).
    pub fn parse(text: &str) -> Option<Reference> {
        let text = text.trim();
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return None;
        }
        let (name, digest) = match text.split_once('@') {
            Some((n, d)) if !d.is_empty() => (n, Some(d.to_owned())),
            Some(_) => return None,
            None => (text, None),
        };
        let last_slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (path, tag) = match name[last_slash..].rfind(':') {
            Some(i) => {
                let split = last_slash + i;
                let tag = &name[split + 1..];
                if tag.is_empty() {
                    return None;
                }
                (&name[..split], Some(tag.to_owned()))
            }
            None => (name, None),
        };
        let mut parts: Vec<&str> = path.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        let has_registry = parts.len() > 1
            && parts
                .first()
                .is_some_and(|first| first.contains(['.', ':']) || *first == "localhost");
        let mut repository = String::new();
        if has_registry {
            let registry = parts.remove(0);
            repository.push_str(if registry == "index.docker.io" {
                DEFAULT_REGISTRY
            } else {
                registry
            });
        } else {
            repository.push_str(DEFAULT_REGISTRY);
            if parts.len() == 1 {
                repository.push_str("/library");
            }
        }
        for p in &parts {
            if p.chars().any(|c| c.is_ascii_uppercase()) {
                return None;
            }
            repository.push('/');
            repository.push_str(p);
        }
        Some(Reference {
            repository,
            tag,
            digest,
        })
    }

    /// Whether this reference names the same repository as `other` and, where `other` gives a
    /// tag or digest, the same tag or digest.
    pub fn within(&self, other: &Reference) -> bool {
        self.repository == other.repository
            && other
                .tag
                .as_ref()
                .is_none_or(|t| self.tag.as_ref() == Some(t))
            && other
                .digest
                .as_ref()
                .is_none_or(|d| self.digest.as_ref() == Some(d))
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Whether a qualified repository starts with an allowed prefix. A prefix that does not end in
/// `/` matches whole path components only, so `registry.example.org` does not allow
/// `registry.example.org.evil.com/x`.
pub(crate) fn has_prefix(repository: &str, prefix: &str) -> bool {
    if prefix.ends_with('/') {
        repository.starts_with(prefix)
    } else {
        repository == prefix
            || repository
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> String {
        Reference::parse(text)
            .map(|r| r.to_string())
            .unwrap_or_else(|| "INVALID".to_owned())
    }

    #[test]
    fn short_names_are_qualified_like_docker_does() {
        assert_eq!(r("debian"), "docker.io/library/debian");
        assert_eq!(r("debian:12"), "docker.io/library/debian:12");
        assert_eq!(r("bitnami/redis"), "docker.io/bitnami/redis");
        assert_eq!(
            r("index.docker.io/library/debian"),
            "docker.io/library/debian"
        );
        assert_eq!(
            r("registry.example.org:5000/base/debian:bookworm@sha256:abc"),
            "registry.example.org:5000/base/debian:bookworm@sha256:abc"
        );
        assert_eq!(r("localhost/x"), "localhost/x");
        for bad in ["", "a b", "Debian", "x:", "x@", "a//b"] {
            assert_eq!(r(bad), "INVALID", "{bad:?}");
        }
    }

    #[test]
    fn prefixes_match_whole_components() {
        assert!(has_prefix(
            "registry.example.org/base/debian",
            "registry.example.org"
        ));
        assert!(has_prefix(
            "registry.example.org/base/debian",
            "registry.example.org/base/"
        ));
        assert!(!has_prefix(
            "registry.example.org.evil.com/x",
            "registry.example.org"
        ));
        assert!(!has_prefix(
            "registry.example.org/basement/x",
            "registry.example.org/base"
        ));
    }

    #[test]
    fn within_compares_repository_then_given_tag() -> Result<(), String> {
        let p = |t: &str| Reference::parse(t).ok_or(format!("{t} does not parse"));
        assert!(p("r.org/debian:12")?.within(&p("r.org/debian")?));
        assert!(p("r.org/debian:12")?.within(&p("r.org/debian:12")?));
        assert!(!p("r.org/debian:11")?.within(&p("r.org/debian:12")?));
        assert!(!p("r.org/debian-evil")?.within(&p("r.org/debian")?));
        Ok(())
    }
}
