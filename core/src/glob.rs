//! Glob patterns: the one place lockkeeper compiles them. Scopes, image policies and the
//! importers all read patterns here, so a pattern means the same everywhere and the glob
//! library's types and errors stay out of the API (which library compiles globs is not part of
//! it).

use globset::{GlobBuilder, GlobMatcher};

/// How a pattern is read. Backslash always escapes the next character.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Options {
    /// `*` stops at `/` and only `**` crosses it, as in `.gitignore`.
    pub(crate) literal_separator: bool,
    pub(crate) case_insensitive: bool,
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

/// A glob pattern that does not compile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{pattern}` is not a valid glob pattern: {reason}")]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Pattern {
    /// Compiles a pattern the strict way: `*` does not cross `/`, `**` does. A binding for
    /// `refs/heads/release-*` must not also cover `refs/heads/release-1/evil`.
    pub fn new(text: &str) -> Result<Self, PatternError> {
        Pattern::with(
            text,
            Options {
                literal_separator: true,
                case_insensitive: false,
            },
        )
    }

    pub(crate) fn with(text: &str, options: Options) -> Result<Self, PatternError> {
        let glob = GlobBuilder::new(text)
            .literal_separator(options.literal_separator)
            .case_insensitive(options.case_insensitive)
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

    /// A pattern in which only `*` is special, matching anything (`/` too); every other
    /// character stands for itself. For names that are not paths, such as artifact names.
    pub(crate) fn stars(text: &str) -> Result<Self, PatternError> {
        let mut glob = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                // `**` inside a name is no path component; one star matches the same.
                '*' if glob.ends_with('*') && !glob.ends_with("\\*") => {}
                '*' => glob.push('*'),
                '?' | '[' | ']' | '{' | '}' | '\\' => {
                    glob.push('\\');
                    glob.push(c);
                }
                c => glob.push(c),
            }
        }
        let compiled = Pattern::with(&glob, Options::default())?;
        Ok(Pattern {
            text: text.to_owned(),
            matcher: compiled.matcher,
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
        let err = Pattern::new("a[").err().ok_or_else(|| PatternError {
            pattern: "a[".into(),
            reason: "compiled".into(),
        })?;
        assert!(
            err.to_string()
                .starts_with("`a[` is not a valid glob pattern: "),
            "{err}"
        );
        Ok(())
    }

    #[test]
    fn options_choose_case_and_separators() -> Result<(), PatternError> {
        let loose = Options {
            literal_separator: false,
            case_insensitive: true,
        };
        let p = Pattern::with("*_TOKEN", loose)?;
        assert!(p.matches("npm_token"));
        assert!(p.matches("a/b_TOKEN"));
        assert!(!Pattern::new("*_TOKEN")?.matches("a/b_TOKEN"));
        Ok(())
    }

    #[test]
    fn in_star_patterns_only_the_star_is_special() -> Result<(), PatternError> {
        let p = Pattern::stars("wheels-*")?;
        assert!(p.matches("wheels-linux/x86"));
        assert!(!p.matches("sdist"));
        assert_eq!(p.as_str(), "wheels-*");
        let literal = Pattern::stars("a[1]?{b}\\c")?;
        assert!(literal.matches("a[1]?{b}\\c"));
        assert!(!literal.matches("a1xbc"));
        // Two expressions side by side leave `**`, which still matches anything.
        let twice = Pattern::stars("dist-**-x")?;
        assert!(twice.matches("dist-a/b-x"));
        assert!(Pattern::stars("a*b")?.matches("ab"));
        assert!(!Pattern::stars("ab*ba")?.matches("aba"));
        Ok(())
    }
}
