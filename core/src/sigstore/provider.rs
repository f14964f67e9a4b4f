//! sigstore-rust's cryptography, served by the RustCrypto crates lockkeeper already uses.
//!
//! sigstore-crypto ships one backend, aws-lc-rs, which needs a C toolchain and links a C
//! library into every wheel and addon. Its `CryptoProvider` trait is the seam it offers for
//! other backends; this one verifies with p256, p384, rsa and ed25519-dalek, the same code
//! that checks DSSE envelopes, and it only verifies (no key generation, no signing).

use rsa::signature::hazmat::PrehashVerifier as _;
use sha2::Digest as _;
use sigstore_verify::crypto::{CryptoProvider, Error, HashContext, Result, SigningScheme};
use sigstore_verify::types::HashAlgorithm;

/// The verification-only provider lockkeeper installs before any Sigstore check.
#[derive(Debug)]
pub(crate) struct RustCryptoProvider;

/// The one instance, with a `'static` lifetime as `install_default_provider` requires.
pub(crate) static PROVIDER: RustCryptoProvider = RustCryptoProvider;

/// Makes sigstore-crypto use [`PROVIDER`]. sigstore-crypto keeps its backend in a process-wide
/// set-once slot (the one piece of global state the core touches); installing is idempotent, and
/// if an embedding program installed its own backend first, that one stays.
///
/// With the `aws-lc` feature nothing is installed: sigstore-crypto then uses aws-lc.
pub(crate) fn install() {
    #[cfg(not(feature = "aws-lc"))]
    let _ = sigstore_verify::crypto::install_default_provider(&PROVIDER);
}

enum Hasher {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl HashContext for Hasher {
    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    fn finalize(self: Box<Self>) -> Vec<u8> {
        match *self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

fn digest(algorithm: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>> {
    Ok(match algorithm {
        HashAlgorithm::Sha2256 => sha2::Sha256::digest(data).to_vec(),
        HashAlgorithm::Sha2384 => sha2::Sha384::digest(data).to_vec(),
        HashAlgorithm::Sha2512 => sha2::Sha512::digest(data).to_vec(),
        other => {
            return Err(Error::UnsupportedAlgorithm(format!(
                "cannot compute {other} digests"
            )));
        }
    })
}

fn invalid(scheme: SigningScheme) -> Error {
    Error::Verification(format!("{} signature invalid", scheme.name()))
}

/// ECDSA (DER signatures, as X.509, Rekor and Fulcio write them) and RSA over a digest.
fn verify_digest(scheme: SigningScheme, key: &[u8], digest: &[u8], signature: &[u8]) -> Result<()> {
    use SigningScheme as S;
    let ok = match scheme {
        S::EcdsaP256Sha256 | S::EcdsaP256Sha384 => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                .map_err(|e| Error::InvalidKey(format!("ECDSA P-256 key: {e}")))?;
            p256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|sig| key.verify_prehash(digest, &sig).is_ok())
        }
        S::EcdsaP384Sha256 | S::EcdsaP384Sha384 => {
            let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(key)
                .map_err(|e| Error::InvalidKey(format!("ECDSA P-384 key: {e}")))?;
            p384::ecdsa::Signature::from_der(signature)
                .is_ok_and(|sig| key.verify_prehash(digest, &sig).is_ok())
        }
        S::RsaPkcs1Sha256 | S::RsaPkcs1Sha384 | S::RsaPkcs1Sha512 => {
            let key = crate::keys::rsa_from_pkcs1(key)
                .map_err(|e| Error::InvalidKey(format!("RSA key: {e}")))?;
            let Ok(sig) = rsa::pkcs1v15::Signature::try_from(signature) else {
                return Err(invalid(scheme));
            };
            match scheme {
                S::RsaPkcs1Sha256 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key)
                    .verify_prehash(digest, &sig)
                    .is_ok(),
                S::RsaPkcs1Sha384 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha384>::new(key)
                    .verify_prehash(digest, &sig)
                    .is_ok(),
                _ => rsa::pkcs1v15::VerifyingKey::<sha2::Sha512>::new(key)
                    .verify_prehash(digest, &sig)
                    .is_ok(),
            }
        }
        S::RsaPssSha256 | S::RsaPssSha384 | S::RsaPssSha512 => {
            let key = crate::keys::rsa_from_pkcs1(key)
                .map_err(|e| Error::InvalidKey(format!("RSA key: {e}")))?;
            let Ok(sig) = rsa::pss::Signature::try_from(signature) else {
                return Err(invalid(scheme));
            };
            match scheme {
                S::RsaPssSha256 => rsa::pss::VerifyingKey::<sha2::Sha256>::new(key)
                    .verify_prehash(digest, &sig)
                    .is_ok(),
                S::RsaPssSha384 => rsa::pss::VerifyingKey::<sha2::Sha384>::new(key)
                    .verify_prehash(digest, &sig)
                    .is_ok(),
                _ => rsa::pss::VerifyingKey::<sha2::Sha512>::new(key)
                    .verify_prehash(digest, &sig)
                    .is_ok(),
            }
        }
        other => {
            return Err(Error::UnsupportedAlgorithm(format!(
                "{} is not supported by lockkeeper's verifier",
                other.name()
            )));
        }
    };
    if ok { Ok(()) } else { Err(invalid(scheme)) }
}

impl CryptoProvider for RustCryptoProvider {
    fn hash(&self, algorithm: HashAlgorithm) -> Result<Box<dyn HashContext>> {
        Ok(Box::new(match algorithm {
            HashAlgorithm::Sha2256 => Hasher::Sha256(sha2::Sha256::new()),
            HashAlgorithm::Sha2384 => Hasher::Sha384(sha2::Sha384::new()),
            HashAlgorithm::Sha2512 => Hasher::Sha512(sha2::Sha512::new()),
            other => {
                return Err(Error::UnsupportedAlgorithm(format!(
                    "cannot compute {other} digests"
                )));
            }
        }))
    }

    fn verify_raw(
        &self,
        scheme: SigningScheme,
        spki_pubkey_bytes: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        if scheme == SigningScheme::Ed25519 {
            let bytes: [u8; 32] = spki_pubkey_bytes
                .try_into()
                .map_err(|_| Error::InvalidKey("an Ed25519 key is 32 bytes".into()))?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .map_err(|e| Error::InvalidKey(format!("Ed25519 key: {e}")))?;
            let ok = ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|sig| key.verify_strict(data, &sig).is_ok());
            return if ok { Ok(()) } else { Err(invalid(scheme)) };
        }
        let Some(algorithm) = scheme.hash_algorithm() else {
            return Err(Error::UnsupportedAlgorithm(format!(
                "{} is not supported by lockkeeper's verifier",
                scheme.name()
            )));
        };
        verify_digest(
            scheme,
            spki_pubkey_bytes,
            &digest(algorithm, data)?,
            signature,
        )
    }

    fn verify_prehashed(
        &self,
        scheme: SigningScheme,
        spki_pubkey_bytes: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        verify_digest(scheme, spki_pubkey_bytes, digest, signature)
    }
}
