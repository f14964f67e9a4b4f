//! Public and private keys: ed25519, ECDSA P-256 and P-384, and RSA (>= 2048 bits), read from
//! PEM (SPKI, PKCS#1 `RSA PUBLIC KEY`, PKCS#8 / SEC1 private keys), DER, hex (ed25519) and
//! securesystemslib's JSON key objects, with key ids computed exactly as securesystemslib
//! computes them.
//!
//! Key ids matter for interoperability only: DSSE treats `keyid` as an unauthenticated hint, and
//! so does lockkeeper (a signature is checked against the key, never trusted for its id). But an
//! envelope signed here must name the key the way in-toto's tools name it, and the other way
//! round, so both forms of securesystemslib's id are known: the current one (canonical JSON of
//! `{keytype, scheme, keyval}`) and the older in-toto one that also hashed
//! `keyid_hash_algorithms`.
//!
//! A key is its material: two encodings of one key (PEM and JSON, SPKI and PKCS#1) are equal, so
//! a threshold of distinct keys can never be met by one key written twice.

mod keyid;
mod pem;
mod public;
mod signing;

pub use public::PublicKey;
pub(crate) use public::rsa_from_pkcs1;
pub use signing::SigningKey;

/// Why a key could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a form we read, or a key object that contradicts itself.
    #[error("not a key lockkeeper can read: {0}")]
    Format(String),
    /// A readable key of a type, curve or scheme lockkeeper does not accept.
    #[error(
        "unsupported key: {0} (lockkeeper accepts ed25519, ECDSA P-256 and P-384, and RSA of at least 2048 bits)"
    )]
    Unsupported(String),
    /// An RSA key too short to be trusted.
    #[error("RSA key of {bits} bits refused: RSA keys must have at least 2048 bits")]
    TooSmall {
        /// Bits in the modulus.
        bits: usize,
    },
    /// A public key of small order or otherwise weak: signatures under it prove nothing.
    #[error("weak ed25519 public key (small-order point) rejected")]
    Weak,
}

impl KeyError {
    /// The rule code: a key lockkeeper reads but does not accept is `input/unsupported-key`,
    /// anything unreadable or weak is `input/invalid-key`.
    pub fn code(&self) -> crate::rule::Code {
        match self {
            KeyError::Unsupported(_) | KeyError::TooSmall { .. } => {
                crate::rule::codes::INPUT_UNSUPPORTED_KEY
            }
            KeyError::Format(_) | KeyError::Weak => crate::rule::codes::INPUT_INVALID_KEY,
        }
    }
}

/// The signature scheme a public key verifies with, named as securesystemslib names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Ed25519 (strict verification).
    Ed25519,
    /// ECDSA over P-256 with SHA-256 (`ecdsa-sha2-nistp256`).
    EcdsaP256Sha256,
    /// ECDSA over P-384 with SHA-384 (`ecdsa-sha2-nistp384`).
    EcdsaP384Sha384,
    /// RSASSA-PSS with MGF1 and the given hash; any salt length (`rsassa-pss-sha256`, ...).
    RsaPss(RsaHash),
    /// RSASSA-PKCS1-v1_5 with the given hash (`rsa-pkcs1v15-sha256`, ...).
    RsaPkcs1v15(RsaHash),
    /// An RSA key read without a stated scheme (a PEM file): PSS or PKCS#1 v1.5, over SHA-256.
    /// securesystemslib reads such a key as `rsassa-pss-sha256`, cosign as PKCS#1 v1.5; both
    /// paddings are sound, so both are accepted rather than guessing. Name the scheme in a
    /// securesystemslib key object to allow only one.
    RsaSha256,
}

/// The hash of an RSA scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RsaHash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Scheme {
    /// securesystemslib's name of the scheme (`RsaSha256` is named `rsassa-pss-sha256`, the
    /// scheme securesystemslib gives an RSA key read from PEM).
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Ed25519 => "ed25519",
            Scheme::EcdsaP256Sha256 => "ecdsa-sha2-nistp256",
            Scheme::EcdsaP384Sha384 => "ecdsa-sha2-nistp384",
            Scheme::RsaPss(RsaHash::Sha256) | Scheme::RsaSha256 => "rsassa-pss-sha256",
            Scheme::RsaPss(RsaHash::Sha384) => "rsassa-pss-sha384",
            Scheme::RsaPss(RsaHash::Sha512) => "rsassa-pss-sha512",
            Scheme::RsaPkcs1v15(RsaHash::Sha256) => "rsa-pkcs1v15-sha256",
            Scheme::RsaPkcs1v15(RsaHash::Sha384) => "rsa-pkcs1v15-sha384",
            Scheme::RsaPkcs1v15(RsaHash::Sha512) => "rsa-pkcs1v15-sha512",
        }
    }

    /// securesystemslib's `keytype` for keys of this scheme.
    pub fn keytype(self) -> &'static str {
        match self {
            Scheme::Ed25519 => "ed25519",
            Scheme::EcdsaP256Sha256 | Scheme::EcdsaP384Sha384 => "ecdsa",
            Scheme::RsaPss(_) | Scheme::RsaPkcs1v15(_) | Scheme::RsaSha256 => "rsa",
        }
    }

    /// The scheme securesystemslib calls `name`, if lockkeeper verifies it.
    pub fn from_name(name: &str) -> Option<Scheme> {
        let rsa = |rest: &str| match rest {
            "sha256" => Some(RsaHash::Sha256),
            "sha384" => Some(RsaHash::Sha384),
            "sha512" => Some(RsaHash::Sha512),
            _ => None,
        };
        match name {
            "ed25519" => Some(Scheme::Ed25519),
            "ecdsa-sha2-nistp256" => Some(Scheme::EcdsaP256Sha256),
            "ecdsa-sha2-nistp384" => Some(Scheme::EcdsaP384Sha384),
            _ => {
                if let Some(rest) = name.strip_prefix("rsassa-pss-") {
                    rsa(rest).map(Scheme::RsaPss)
                } else if let Some(rest) = name.strip_prefix("rsa-pkcs1v15-") {
                    rsa(rest).map(Scheme::RsaPkcs1v15)
                } else {
                    None
                }
            }
        }
    }
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scheme::RsaSha256 => f.write_str("rsa-sha256 (PSS or PKCS#1 v1.5)"),
            other => f.write_str(other.name()),
        }
    }
}

/// The schemes lockkeeper can sign with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SigningScheme {
    /// Ed25519, the default.
    #[default]
    Ed25519,
    /// ECDSA over P-256 with SHA-256; signatures are DER, as securesystemslib and cosign write
    /// them.
    EcdsaP256,
}

impl SigningScheme {
    /// Reads `ed25519` or `ecdsa-p256` (securesystemslib's `ecdsa-sha2-nistp256` too).
    pub fn from_name(name: &str) -> Result<SigningScheme, KeyError> {
        match name {
            "ed25519" => Ok(SigningScheme::Ed25519),
            "ecdsa-p256" | "ecdsa-sha2-nistp256" => Ok(SigningScheme::EcdsaP256),
            other => Err(KeyError::Unsupported(format!(
                "signing scheme `{other}` (lockkeeper signs with `ed25519` or `ecdsa-p256`)"
            ))),
        }
    }

    /// The name [`SigningScheme::from_name`] reads.
    pub fn name(self) -> &'static str {
        match self {
            SigningScheme::Ed25519 => "ed25519",
            SigningScheme::EcdsaP256 => "ecdsa-p256",
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::keyid::{canonical_json, keyid_of};
    use super::*;

    #[test]
    fn keyid_matches_securesystemslib_for_a_known_key() -> Result<(), KeyError> {
        // RFC 8032 test vector 1 public key; the expected id was computed by securesystemslib
        // 1.6 (`signer._utils.compute_default_keyid("ed25519", "ed25519", {"public": hex})`).
        let key = PublicKey::from_hex(
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        )?;
        let expected_object = br#"{"keytype":"ed25519","keyval":{"public":"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"},"scheme":"ed25519"}"#;
        assert_eq!(
            canonical_json(&key.to_securesystemslib()),
            expected_object.to_vec()
        );
        assert_eq!(
            key.keyid(),
            "74c181c7ad8a0855d4b55e44d2ba87aabdddb196832571f15f92fece332e4916"
        );
        Ok(())
    }

    #[test]
    fn pem_round_trips_and_signatures_verify_strictly() -> Result<(), KeyError> {
        for sk in [
            SigningKey::from_seed(&[42; 32])?,
            SigningKey::from_p256_scalar(&[42; 32])?,
        ] {
            let pem = sk.to_pem();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
            let again = SigningKey::from_pem(&pem)?;
            assert_eq!(again.keyid(), sk.keyid());
            assert_eq!(again.scheme(), sk.scheme());
            let public = PublicKey::from_pem(&sk.public_key().to_pem())?;
            assert_eq!(&public, sk.public_key());
            let sig = sk.sign(b"message");
            assert!(public.verify(b"message", &sig));
            assert!(!public.verify(b"messagf", &sig));
            assert!(!public.verify(b"message", &sig[..sig.len() - 1]));
            assert!(!format!("{sk:?}").contains(&pem));
        }
        Ok(())
    }

    #[test]
    fn weak_and_foreign_keys_are_refused() {
        // The identity point (small order).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(&identity), Err(KeyError::Weak));
        let sm2 = json!({"keytype": "sm2", "scheme": "sm2-sm3", "keyval": {"public": "x"}});
        assert!(matches!(
            PublicKey::from_securesystemslib(&sm2),
            Err(KeyError::Unsupported(_))
        ));
        // A scheme that contradicts the key type is a malformed object.
        let mixed =
            json!({"keytype": "rsa", "scheme": "ecdsa-sha2-nistp256", "keyval": {"public": "x"}});
        assert!(matches!(
            PublicKey::from_securesystemslib(&mixed),
            Err(KeyError::Format(_))
        ));
        assert!(PublicKey::parse("not a key").is_err());
        assert!(PublicKey::parse("{\"keytype\": \"ed25519\"}").is_err());
    }

    #[test]
    fn legacy_keyid_is_known_when_the_file_carries_hash_algorithms() -> Result<(), KeyError> {
        let object = json!({
            "keytype": "ed25519", "scheme": "ed25519",
            "keyid_hash_algorithms": ["sha256", "sha512"],
            "keyval": {"public": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"}
        });
        let key = PublicKey::from_securesystemslib(&object)?;
        assert_eq!(key.keyids().len(), 2);
        assert_eq!(key.keyids()[1], keyid_of(&object));
        assert!(key.has_keyid(&keyid_of(&object)));
        Ok(())
    }

    #[test]
    fn scheme_names_round_trip() {
        for name in [
            "ed25519",
            "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp384",
            "rsassa-pss-sha256",
            "rsassa-pss-sha384",
            "rsassa-pss-sha512",
            "rsa-pkcs1v15-sha256",
            "rsa-pkcs1v15-sha384",
            "rsa-pkcs1v15-sha512",
        ] {
            assert_eq!(Scheme::from_name(name).map(Scheme::name), Some(name));
        }
        assert_eq!(Scheme::from_name("ecdsa-sha2-nistp521"), None);
        assert_eq!(Scheme::from_name("rsassa-pss-sha224"), None);
        assert_eq!(
            SigningScheme::from_name("ecdsa-p256"),
            Ok(SigningScheme::EcdsaP256)
        );
        assert!(SigningScheme::from_name("rsa").is_err());
    }
}
