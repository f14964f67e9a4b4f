//! Content digests of blobs: parse `algorithm:hex`, compute, and compare.
//!
//! Kept private to the image module on purpose: a crate-wide `crate::digest::Digest` newtype is
//! being added separately. Once it is merged, this module should shrink to the blob-specific
//! parts (the layout path and the size/digest check) and use that type instead.

use std::fmt;

use sha2::{Digest as _, Sha256, Sha512};

/// The digest algorithms a blob may be addressed with. The image spec registers these two; any
/// other algorithm is refused (fail closed) rather than trusted unverified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// A checked `algorithm:hex` digest: the algorithm is known and the hex part has the right length
/// and only lowercase hex digits, so it is also safe to use as a file name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct BlobDigest {
    algorithm: Algorithm,
    text: String,
}

impl BlobDigest {
    /// Parses `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>`.
    pub(crate) fn parse(text: &str) -> Result<BlobDigest, String> {
        let Some((alg, hex)) = text.split_once(':') else {
            return Err(format!(
                "`{text}` is not a digest (expected `sha256:<hex>`)"
            ));
        };
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            other if hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                return Err(format!(
                    "digest algorithm `{other}` is not supported (use sha256 or sha512)"
                ));
            }
            _ => {
                return Err(format!(
                    "`{text}` is not a digest (expected `sha256:<hex>`)"
                ));
            }
        };
        if hex.len() != algorithm.hex_len()
            || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(format!(
                "`{text}` is not a {alg} digest: expected {} lowercase hex digits",
                algorithm.hex_len()
            ));
        }
        Ok(BlobDigest {
            algorithm,
            text: text.to_owned(),
        })
    }

    /// The digest of `bytes` with the sha256 algorithm.
    pub(crate) fn sha256_of(bytes: &[u8]) -> BlobDigest {
        BlobDigest {
            algorithm: Algorithm::Sha256,
            text: format!("sha256:{}", hex(&Sha256::digest(bytes))),
        }
    }

    /// The digest of `bytes` with this digest's algorithm.
    fn same_algorithm_of(&self, bytes: &[u8]) -> String {
        let hex = match self.algorithm {
            Algorithm::Sha256 => hex(&Sha256::digest(bytes)),
            Algorithm::Sha512 => hex(&Sha512::digest(bytes)),
        };
        format!("{}:{hex}", self.algorithm.name())
    }

    /// Where the blob lives inside an OCI image layout.
    pub(crate) fn layout_path(&self) -> String {
        let hex = self
            .text
            .split_once(':')
            .map(|(_, h)| h)
            .unwrap_or_default();
        format!("blobs/{}/{hex}", self.algorithm.name())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for BlobDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why fetched bytes are not the blob a descriptor names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Mismatch {
    Size { expected: u64, actual: u64 },
    Digest { expected: String, actual: String },
}

/// Checks `bytes` against the size and digest a descriptor promised. Size first: it is free and
/// catches a truncated or padded blob before any hashing.
pub(crate) fn verify(expected: &BlobDigest, size: u64, bytes: &[u8]) -> Result<(), Mismatch> {
    let actual_size = bytes.len() as u64;
    if actual_size != size {
        return Err(Mismatch::Size {
            expected: size,
            actual: actual_size,
        });
    }
    let actual = expected.same_algorithm_of(bytes);
    if actual != expected.text {
        return Err(Mismatch::Digest {
            expected: expected.text.clone(),
            actual,
        });
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// The layout path of a blob digest, for readers of layout directories: `blobs/sha256/<hex>`.
/// `None` when the text is not a supported digest, so a caller can never be steered outside the
/// layout by a crafted digest.
pub fn blob_path(digest: &str) -> Option<String> {
    BlobDigest::parse(digest).ok().map(|d| d.layout_path())
}

/// The sha256 digest of `bytes` as `sha256:<hex>`: what a descriptor pointing at them says.
pub fn sha256_digest(bytes: &[u8]) -> String {
    BlobDigest::sha256_of(bytes).text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_of_known_bytes() -> Result<(), String> {
        // The empty JSON object `{}` has a well-known digest (image-spec, "empty descriptor").
        let empty = BlobDigest::sha256_of(b"{}");
        assert_eq!(
            empty.as_str(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        verify(&empty, 2, b"{}").map_err(|e| format!("{e:?}"))?;
        assert!(matches!(
            verify(&empty, 2, b"[]"),
            Err(Mismatch::Digest { .. })
        ));
        assert!(matches!(
            verify(&empty, 3, b"{}"),
            Err(Mismatch::Size {
                expected: 3,
                actual: 2
            })
        ));
        let d512 = BlobDigest::parse(&format!("sha512:{}", "0".repeat(128)))?;
        let name = BlobDigest::parse("debian:12").err().unwrap_or_default();
        assert!(name.contains("is not a digest"), "{name}");
        let md5 = BlobDigest::parse("md5:d41d8cd98f00b204e9800998ecf8427e")
            .err()
            .unwrap_or_default();
        assert!(md5.contains("`md5` is not supported"), "{md5}");
        assert!(matches!(
            verify(&d512, 2, b"{}"),
            Err(Mismatch::Digest { .. })
        ));
        Ok(())
    }

    #[test]
    fn only_well_formed_digests_parse() {
        for bad in [
            "",
            "sha256",
            "sha256:",
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha256:44136FA355B3678A1146AD16F7E8649E94FB4FC21FE77E8310C060F61CAAFF8A",
            "sha256:../../../../etc/passwd",
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8",
        ] {
            assert!(BlobDigest::parse(bad).is_err(), "{bad}");
            assert!(blob_path(bad).is_none(), "{bad}");
        }
        assert_eq!(
            blob_path("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
                .as_deref(),
            Some("blobs/sha256/44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
        );
    }
}
