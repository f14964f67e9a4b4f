//! Content digests: `sha256:<64 lowercase hex>` (and `sha512:<128 lowercase hex>`).
//!
//! The digest *is* the artifact's identity: the same bytes are tested, promoted and deployed. So
//! parsing is strict — one spelling per digest (lowercase hex, exact length, known algorithm) —
//! otherwise two strings could name the same artifact and a comparison could be fooled.

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use sha2::{Digest as _, Sha256, Sha512};

/// A hash algorithm lockkeeper accepts for artifact identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    /// SHA-256, the OCI and in-toto default.
    Sha256,
    /// SHA-512 (npm provenance uses it).
    Sha512,
}

impl Algorithm {
    /// The name used before the `:`, and as the key of an in-toto digest map.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Length of the hex encoding.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }

    /// The algorithm named `name`, if we support it.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "sha256" => Some(Algorithm::Sha256),
            "sha512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }
}

/// A digest string that is not `algorithm:hex` in the one accepted spelling.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// No `:` separating algorithm and value.
    #[error("digest `{0}` is not of the form `sha256:<64 lowercase hex>`")]
    Form(String),
    /// An algorithm we do not accept.
    #[error("digest algorithm `{0}` is not supported (use sha256 or sha512)")]
    Algorithm(String),
    /// Wrong length or characters.
    #[error("{algorithm} digest must be {len} lowercase hex characters, got `{value}`")]
    Value {
        /// The algorithm named.
        algorithm: &'static str,
        /// Expected length.
        len: usize,
        /// What was given.
        value: String,
    },
}

/// A content digest in canonical form.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    /// Parses `sha256:<hex>` / `sha512:<hex>`, rejecting any other spelling.
    ///
    /// ```
    /// use lockkeeper::digest::Digest;
    /// let d: Digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".parse()?;
    /// assert_eq!(d, Digest::sha256(b"hello"));
    /// assert!("SHA256:2CF2".parse::<Digest>().is_err());
    /// # Ok::<(), lockkeeper::digest::DigestError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Digest, DigestError> {
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| DigestError::Form(text.to_owned()))?;
        let algorithm =
            Algorithm::from_name(name).ok_or_else(|| DigestError::Algorithm(name.to_owned()))?;
        Digest::from_parts(algorithm, value)
    }

    /// A digest from an algorithm and its hex value (as in an in-toto digest map).
    pub fn from_parts(algorithm: Algorithm, hex: &str) -> Result<Digest, DigestError> {
        if hex.len() != algorithm.hex_len() || !is_lower_hex(hex) {
            return Err(DigestError::Value {
                algorithm: algorithm.as_str(),
                len: algorithm.hex_len(),
                value: hex.to_owned(),
            });
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_owned(),
        })
    }

    /// SHA-256 of `bytes`.
    pub fn sha256(bytes: &[u8]) -> Digest {
        Digest::compute(Algorithm::Sha256, bytes)
    }

    /// The digest of `bytes` with `algorithm`.
    pub fn compute(algorithm: Algorithm, bytes: &[u8]) -> Digest {
        let hex = match algorithm {
            Algorithm::Sha256 => hex(&Sha256::digest(bytes)),
            Algorithm::Sha512 => hex(&Sha512::digest(bytes)),
        };
        Digest { algorithm, hex }
    }

    /// The digest of everything `reader` yields, read in chunks so a multi-gigabyte image layer
    /// never has to sit in memory. The caller opens the file; the core only reads what it is
    /// handed.
    pub fn compute_reader(algorithm: Algorithm, mut reader: impl Read) -> std::io::Result<Digest> {
        let mut buf = vec![0u8; 64 * 1024];
        let hex = match algorithm {
            Algorithm::Sha256 => {
                let mut h = Sha256::new();
                loop {
                    let n = reader.read(&mut buf)?;
                    if n == 0 {
                        break hex(&h.finalize());
                    }
                    h.update(&buf[..n]);
                }
            }
            Algorithm::Sha512 => {
                let mut h = Sha512::new();
                loop {
                    let n = reader.read(&mut buf)?;
                    if n == 0 {
                        break hex(&h.finalize());
                    }
                    h.update(&buf[..n]);
                }
            }
        };
        Ok(Digest { algorithm, hex })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The lowercase hex value.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// Whether `bytes` hash to this digest.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        Digest::compute(self.algorithm, bytes) == *self
    }
}

impl FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::parse(s)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// Bytes of a lowercase or uppercase hex string, `None` if it is not hex.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_the_canonical_spelling() {
        let good = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        assert_eq!(
            Digest::parse(good).map(|d| d.to_string()).as_deref(),
            Ok(good)
        );
        for bad in [
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            "SHA256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            "sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
            "sha256:2cf24dba",
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982g",
            "md5:5d41402abc4b2a76b9719d911017c592",
            "sha256:",
            "",
        ] {
            assert!(Digest::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn stream_and_bytes_agree() -> std::io::Result<()> {
        let data = vec![7u8; 200_000];
        for alg in [Algorithm::Sha256, Algorithm::Sha512] {
            let a = Digest::compute(alg, &data);
            let b = Digest::compute_reader(alg, &data[..])?;
            assert_eq!(a, b);
            assert!(a.matches(&data));
            assert!(!a.matches(b"other"));
        }
        assert_eq!(
            Digest::sha256(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        Ok(())
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(unhex(&hex(&[0, 1, 254, 255])), Some(vec![0, 1, 254, 255]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }
}
