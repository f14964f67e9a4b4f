//! sigstore-rust's cryptography, served by the RustCrypto crates lockkeeper already uses.
//!
//! sigstore-crypto ships one backend, aws-lc-rs, which needs a C toolchain and links a C
//! library into every wheel and addon. Its `CryptoProvider` trait is the seam it offers for
//! other backends; this one verifies with p256, p384, rsa and ed25519-dalek, the same code
//! that checks DSSE envelopes, and it only verifies (no key generation, no signing).
//!
//! Either backend sits behind a per-bundle memo of successful checks ([`per_bundle`]):
//! sigstore-verify authenticates a Rekor v1 entry's SET once to establish the signing time
//! and again when it checks the log entry, and the leaf certificate's signature once per
//! verified signing time. Each repeat is the same key, bytes and signature, so its answer is
//! already known; the memo lives only while one bundle is verified, so every bundle still
//! pays for every distinct signature it carries.

use std::cell::RefCell;

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
/// set-once slot (with this module's per-thread memo, the only global state the core touches);
/// installing is idempotent, and if an embedding program installed its own backend first, that
/// one stays, without the memo in front of it.
///
/// With the `aws-lc` feature the same provider is installed and hands every operation to
/// sigstore-crypto's aws-lc backend.
pub(crate) fn install() {
    let _ = sigstore_verify::crypto::install_default_provider(&PROVIDER);
}

/// One signature check that succeeded: which operation, scheme, key, signed bytes (or digest)
/// and signature. Only successes are kept; a failure is recomputed, and fails again.
#[derive(PartialEq, Eq)]
struct Checked {
    prehashed: bool,
    scheme: SigningScheme,
    key: Vec<u8>,
    data: Vec<u8>,
    signature: Vec<u8>,
}

/// A bundle carries about six signatures; a bound keeps a hostile bundle from growing the
/// memo past what it saves.
const MEMO_LIMIT: usize = 32;

thread_local! {
    /// The checks of the bundle being verified on this thread; `None` outside [`per_bundle`],
    /// where nothing is remembered. sigstore-verify verifies on the caller's thread.
    static MEMO: RefCell<Option<Vec<Checked>>> = const { RefCell::new(None) };
}

/// Clears the memo when one bundle's verification ends, by return or by unwinding.
struct MemoScope {
    previous: Option<Vec<Checked>>,
}

impl Drop for MemoScope {
    fn drop(&mut self) {
        let previous = self.previous.take();
        MEMO.with(|m| *m.borrow_mut() = previous);
    }
}

/// Runs `f` (the verification of one bundle) with an empty memo, and forgets it afterwards.
pub(crate) fn per_bundle<T>(f: impl FnOnce() -> T) -> T {
    let previous = MEMO.with(|m| m.borrow_mut().replace(Vec::new()));
    let _scope = MemoScope { previous };
    f()
}

/// `check`'s answer, or a remembered success of the very same check in this bundle.
fn remembered(
    prehashed: bool,
    scheme: SigningScheme,
    key: &[u8],
    data: &[u8],
    signature: &[u8],
    check: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let seen = MEMO.with(|m| {
        m.borrow().as_ref().is_some_and(|memo| {
            memo.iter().any(|c| {
                c.prehashed == prehashed
                    && c.scheme == scheme
                    && c.key == key
                    && c.data == data
                    && c.signature == signature
            })
        })
    });
    if seen {
        return Ok(());
    }
    check()?;
    MEMO.with(|m| {
        if let Some(memo) = m.borrow_mut().as_mut()
            && memo.len() < MEMO_LIMIT
        {
            memo.push(Checked {
                prehashed,
                scheme,
                key: key.to_vec(),
                data: data.to_vec(),
                signature: signature.to_vec(),
            });
        }
    });
    Ok(())
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
        #[cfg(feature = "aws-lc")]
        return sigstore_verify::crypto::aws_lc_provider().hash(algorithm);
        #[cfg(not(feature = "aws-lc"))]
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
        remembered(false, scheme, spki_pubkey_bytes, data, signature, || {
            #[cfg(feature = "aws-lc")]
            return sigstore_verify::crypto::aws_lc_provider().verify_raw(
                scheme,
                spki_pubkey_bytes,
                data,
                signature,
            );
            #[cfg(not(feature = "aws-lc"))]
            verify_raw(scheme, spki_pubkey_bytes, data, signature)
        })
    }

    fn verify_prehashed(
        &self,
        scheme: SigningScheme,
        spki_pubkey_bytes: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        remembered(true, scheme, spki_pubkey_bytes, digest, signature, || {
            #[cfg(feature = "aws-lc")]
            return sigstore_verify::crypto::aws_lc_provider().verify_prehashed(
                scheme,
                spki_pubkey_bytes,
                digest,
                signature,
            );
            #[cfg(not(feature = "aws-lc"))]
            verify_digest(scheme, spki_pubkey_bytes, digest, signature)
        })
    }
}

/// A signature over `data`, checked with the RustCrypto crates.
fn verify_raw(scheme: SigningScheme, key: &[u8], data: &[u8], signature: &[u8]) -> Result<()> {
    if scheme == SigningScheme::Ed25519 {
        let bytes: [u8; 32] = key
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
    verify_digest(scheme, key, &digest(algorithm, data)?, signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    const S: SigningScheme = SigningScheme::EcdsaP256Sha256;

    /// Runs one check through the memo, counting the checks that really ran.
    fn check(ran: &Cell<u32>, data: &[u8], sig: &[u8], ok: bool) -> Result<()> {
        remembered(false, S, b"key", data, sig, || {
            ran.set(ran.get() + 1);
            if ok { Ok(()) } else { Err(invalid(S)) }
        })
    }

    #[test]
    fn a_bundle_checks_each_distinct_signature_once() {
        let ran = Cell::new(0);
        per_bundle(|| {
            assert!(check(&ran, b"set", b"sig", true).is_ok());
            assert!(check(&ran, b"set", b"sig", true).is_ok());
            assert_eq!(ran.get(), 1, "the repeat is answered from the memo");
            // Other bytes, another signature, or the prehashed operation: checked afresh.
            assert!(check(&ran, b"other", b"sig", true).is_ok());
            assert!(check(&ran, b"set", b"sig2", true).is_ok());
            assert!(
                remembered(true, S, b"key", b"set", b"sig", || {
                    ran.set(ran.get() + 1);
                    Ok(())
                })
                .is_ok()
            );
            assert_eq!(ran.get(), 4);
        });
    }

    #[test]
    fn failures_are_never_remembered_and_nothing_outlives_the_bundle() {
        let ran = Cell::new(0);
        per_bundle(|| {
            assert!(check(&ran, b"set", b"bad", false).is_err());
            assert!(check(&ran, b"set", b"bad", false).is_err());
            assert_eq!(ran.get(), 2);
            assert!(check(&ran, b"set", b"sig", true).is_ok());
        });
        // The next bundle, and any check outside a bundle, pays again.
        per_bundle(|| assert!(check(&ran, b"set", b"sig", true).is_ok()));
        assert!(check(&ran, b"set", b"sig", true).is_ok());
        assert!(check(&ran, b"set", b"sig", true).is_ok());
        assert_eq!(ran.get(), 6);
    }

    #[test]
    fn the_memo_is_bounded_and_cleared_by_a_panic() {
        let ran = Cell::new(0);
        per_bundle(|| {
            for i in 0..MEMO_LIMIT + 8 {
                assert!(check(&ran, &i.to_le_bytes(), b"sig", true).is_ok());
            }
            assert_eq!(
                MEMO.with(|m| m.borrow().as_ref().map(Vec::len)),
                Some(MEMO_LIMIT)
            );
        });
        let unwound = std::panic::catch_unwind(|| {
            per_bundle(|| {
                let ran = Cell::new(0);
                let _ = check(&ran, b"set", b"sig", true);
                panic!("a check that unwinds");
            })
        });
        assert!(unwound.is_err());
        assert!(MEMO.with(|m| m.borrow().is_none()));
    }

    #[test]
    fn the_provider_still_verifies_and_refuses() {
        let key = p256::ecdsa::SigningKey::from_slice(&[7; 32]).map_err(|e| e.to_string());
        let Ok(key) = key else {
            panic!("a fixed scalar is a key")
        };
        use p256::ecdsa::signature::Signer as _;
        let sig: p256::ecdsa::Signature = key.sign(b"message");
        let der = sig.to_der();
        let point = key.verifying_key().to_sec1_point(false);
        per_bundle(|| {
            for _ in 0..2 {
                assert!(
                    PROVIDER
                        .verify_raw(S, point.as_bytes(), b"message", der.as_bytes())
                        .is_ok()
                );
                assert!(
                    PROVIDER
                        .verify_raw(S, point.as_bytes(), b"messagf", der.as_bytes())
                        .is_err()
                );
            }
        });
    }
}
