//! Private keys lockkeeper signs with: ed25519 and ECDSA P-256.

use std::fmt;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rsa::signature::Signer as _;

use super::{KeyError, PublicKey, SigningScheme, pem};

enum Secret {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

/// A private key. `Debug` never shows the secret.
pub struct SigningKey {
    secret: Secret,
    public: PublicKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SigningKey({}, keyid={}, secret=<redacted>)",
            self.scheme().name(),
            self.public.keyid()
        )
    }
}

impl SigningKey {
    fn ed25519(key: ed25519_dalek::SigningKey) -> Result<SigningKey, KeyError> {
        let public = PublicKey::from_bytes(key.verifying_key().as_bytes())?;
        Ok(SigningKey {
            secret: Secret::Ed25519(key),
            public,
        })
    }

    fn p256(key: p256::ecdsa::SigningKey) -> Result<SigningKey, KeyError> {
        use p256::pkcs8::EncodePublicKey as _;
        let der = key
            .verifying_key()
            .to_public_key_der()
            .map_err(|e| KeyError::Format(format!("cannot encode the key: {e}")))?;
        let public = PublicKey::from_der(der.as_bytes())?;
        Ok(SigningKey {
            secret: Secret::P256(key),
            public,
        })
    }

    /// An ed25519 key from a 32-byte seed (the ed25519 secret key).
    pub fn from_seed(seed: &[u8; 32]) -> Result<SigningKey, KeyError> {
        SigningKey::ed25519(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// An ECDSA P-256 key from its 32-byte big-endian scalar (refused when zero or not below
    /// the group order).
    pub fn from_p256_scalar(scalar: &[u8; 32]) -> Result<SigningKey, KeyError> {
        let key = p256::ecdsa::SigningKey::from_slice(scalar)
            .map_err(|_| KeyError::Format("not a valid P-256 private scalar".into()))?;
        SigningKey::p256(key)
    }

    /// A fresh ed25519 key from the operating system's random source.
    #[cfg(feature = "os-rng")]
    pub fn generate() -> Result<SigningKey, KeyError> {
        SigningKey::generate_scheme(SigningScheme::Ed25519)
    }

    /// A fresh key of `scheme` from the operating system's random source.
    #[cfg(feature = "os-rng")]
    pub fn generate_scheme(scheme: SigningScheme) -> Result<SigningKey, KeyError> {
        // A random 256-bit value is a valid P-256 scalar except with probability ~2^-32;
        // drawing again then is rejection sampling, which keeps the scalar uniform.
        for _ in 0..64 {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed)
                .map_err(|e| KeyError::Format(format!("no randomness available: {e}")))?;
            let key = match scheme {
                SigningScheme::Ed25519 => SigningKey::from_seed(&seed),
                SigningScheme::EcdsaP256 => SigningKey::from_p256_scalar(&seed),
            };
            seed.fill(0);
            if let Ok(key) = key {
                return Ok(key);
            }
        }
        Err(KeyError::Format(
            "the random source gave no valid key".into(),
        ))
    }

    /// A key from a PEM `PRIVATE KEY` (PKCS#8) block, ed25519 or P-256, or a P-256
    /// `EC PRIVATE KEY` (SEC1) block.
    pub fn from_pem(text: &str) -> Result<SigningKey, KeyError> {
        let text = text.trim();
        let (label, der) = pem::decode(text)?;
        match label.as_str() {
            "PRIVATE KEY" => {
                if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_der(&der) {
                    return SigningKey::ed25519(key);
                }
                if let Ok(key) = p256::SecretKey::from_pkcs8_der(&der) {
                    return SigningKey::p256(key.into());
                }
                Err(unsupported_private(&der))
            }
            "EC PRIVATE KEY" => match p256::SecretKey::from_pem(text) {
                Ok(key) => SigningKey::p256(key.into()),
                Err(_) => Err(KeyError::Unsupported(
                    "an EC private key not on P-256: lockkeeper signs with ed25519 or ECDSA P-256"
                        .into(),
                )),
            },
            "RSA PRIVATE KEY" => Err(KeyError::Unsupported(
                "an RSA private key: lockkeeper verifies RSA but signs with ed25519 or ECDSA P-256"
                    .into(),
            )),
            l => Err(KeyError::Format(format!(
                "PEM block `{l}` is not an unencrypted private key (`PRIVATE KEY`)"
            ))),
        }
    }

    /// PEM `PRIVATE KEY` (PKCS#8). Handle with care: this is the secret.
    pub fn to_pem(&self) -> String {
        match &self.secret {
            Secret::Ed25519(k) => k
                .to_pkcs8_pem(LineEnding::LF)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            Secret::P256(k) => {
                use p256::pkcs8::EncodePrivateKey as _;
                p256::SecretKey::from(k)
                    .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            }
        }
    }

    /// The scheme the key signs with.
    pub fn scheme(&self) -> SigningScheme {
        match self.secret {
            Secret::Ed25519(_) => SigningScheme::Ed25519,
            Secret::P256(_) => SigningScheme::EcdsaP256,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// securesystemslib's key id of the public key.
    pub fn keyid(&self) -> &str {
        self.public.keyid()
    }

    /// Signs `message` (for DSSE, the PAE of the envelope): 64 bytes for ed25519, a DER
    /// signature (RFC 6979 deterministic, low-S) for P-256.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.secret {
            Secret::Ed25519(k) => ed25519_dalek::Signer::sign(k, message).to_bytes().to_vec(),
            Secret::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.normalize_s().to_der().as_bytes().to_vec()
            }
        }
    }
}

/// Names the key type of PKCS#8 DER lockkeeper cannot sign with.
fn unsupported_private(der: &[u8]) -> KeyError {
    use p384::pkcs8::DecodePrivateKey as _;
    if p384::SecretKey::from_pkcs8_der(der).is_ok() {
        return KeyError::Unsupported(
            "an ECDSA P-384 private key: lockkeeper signs with ed25519 or ECDSA P-256".into(),
        );
    }
    if rsa::pkcs8::PrivateKeyInfoRef::try_from(der).is_ok_and(|info| {
        info.algorithm.oid == spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1")
    }) {
        return KeyError::Unsupported(
            "an RSA private key: lockkeeper verifies RSA but signs with ed25519 or ECDSA P-256"
                .into(),
        );
    }
    KeyError::Format("PKCS#8 private key lockkeeper cannot read".into())
}
