//! Which variable names hold credentials, for the importers that only see a script's text
//! (GitLab CI variables, Jenkins Job Builder shell steps): the platform does not say which
//! variables are secret, so the name is the evidence, read the same way for every format.

/// Endings of variable names that hold credentials (`NPM_TOKEN`, `PYPI_PASSWORD`).
const SUFFIXES: [&str; 7] = [
    "_TOKEN",
    "_PASSWORD",
    "_SECRET",
    "_PRIVATE_KEY",
    "_API_KEY",
    "_CREDENTIALS",
    "_PASS",
];

/// True when `name`, in any case, reads as a credential: a bare `TOKEN`, `PASSWORD` or
/// `SECRET`, or one of the endings above.
pub(crate) fn is_credential_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    SUFFIXES.iter().any(|s| n.ends_with(s)) || matches!(n.as_str(), "TOKEN" | "PASSWORD" | "SECRET")
}

#[cfg(test)]
mod tests {
    use super::is_credential_name;

    #[test]
    fn credential_names_are_read_by_their_ending() {
        for name in [
            "NPM_TOKEN",
            "pypi_password",
            "TOKEN",
            "DEPLOY_PRIVATE_KEY",
            "FTP_PASS",
        ] {
            assert!(is_credential_name(name), "{name}");
        }
        for name in ["TOKENIZER", "PATH", "PASSWORD_HINT_URL", "BYPASS", "HOME"] {
            assert!(!is_credential_name(name), "{name}");
        }
    }
}
