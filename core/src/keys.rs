//! ed25519 keys: PEM (SPKI / PKCS#8), raw hex and securesystemslib's JSON key objects, with key
//! ids computed exactly as securesystemslib computes them.
//!
//! Key ids matter for interoperability only: DSSE treats `keyid` as an unauthenticated hint, and
//! so does lockkeeper (a signature is checked against the key, never trusted for its id). But an
//! envelope signed here must name the key the way in-toto's tools name it, and the other way
//! round, so both forms of securesystemslib's id are computed: the current one (canonical JSON of
//! `{keytype, scheme, keyval}`) and the older in-toto one that also hashed
//! `keyid_hash_algorithms` when the key file carries that field.

use std::fmt;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, VerifyingKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::digest::{hex, unhex};

/// Why a key could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a form we read.
    #[error("not a key lockkeeper can read: {0}")]
    Format(String),
    /// A key type other than ed25519.
    #[error("unsupported key type `{0}`: lockkeeper verifies ed25519 keys")]
    Unsupported(String),
    /// A public key of small order or otherwise weak: signatures under it prove nothing.
    #[error("weak ed25519 public key (small-order point) rejected")]
    Weak,
}

/// An ed25519 public key and the ids it is known by.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    /// `keyids[0]` is securesystemslib's current id; a legacy id may follow.
    keyids: Vec<String>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(ed25519, keyid={})", self.keyid())
    }
}

fn canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, olpc_cjson::CanonicalFormatter::new());
    // Serializing a JSON value of strings and arrays into memory cannot fail.
    let _ = serde::Serialize::serialize(value, &mut ser);
    out
}

fn keyid_of(object: &Value) -> String {
    hex(&Sha256::digest(canonical_json(object)))
}

impl PublicKey {
    /// A key from its 32 raw bytes; weak (small-order) keys are refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        let raw: &[u8; 32] = bytes.try_into().map_err(|_| {
            KeyError::Format(format!("ed25519 keys are 32 bytes, got {}", bytes.len()))
        })?;
        let key = VerifyingKey::from_bytes(raw)
            .map_err(|_| KeyError::Format("not a valid ed25519 point".into()))?;
        PublicKey::new(key, None)
    }

    fn new(key: VerifyingKey, legacy_algorithms: Option<&Value>) -> Result<PublicKey, KeyError> {
        if key.is_weak() {
            return Err(KeyError::Weak);
        }
        let public = hex(key.as_bytes());
        let mut object =
            json!({"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": public}});
        let mut keyids = vec![keyid_of(&object)];
        if let (Some(algs), Some(map)) = (legacy_algorithms, object.as_object_mut()) {
            map.insert("keyid_hash_algorithms".into(), algs.clone());
            let legacy = keyid_of(&object);
            if !keyids.contains(&legacy) {
                keyids.push(legacy);
            }
        }
        Ok(PublicKey { key, keyids })
    }

    /// A key from 64 hex characters.
    pub fn from_hex(text: &str) -> Result<PublicKey, KeyError> {
        let bytes = unhex(text.trim()).ok_or_else(|| KeyError::Format("not hex".into()))?;
        PublicKey::from_bytes(&bytes)
    }

    /// A key from a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) block.
    pub fn from_pem(text: &str) -> Result<PublicKey, KeyError> {
        let key = VerifyingKey::from_public_key_pem(text.trim())
            .map_err(|e| KeyError::Format(format!("PEM public key: {e}")))?;
        PublicKey::new(key, None)
    }

    /// A key from securesystemslib's JSON key object
    /// (`{"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": "<hex>"}}`).
    pub fn from_securesystemslib(object: &Value) -> Result<PublicKey, KeyError> {
        let field = |name: &str| object.get(name).and_then(Value::as_str);
        let keytype = field("keytype").ok_or_else(|| KeyError::Format("no `keytype`".into()))?;
        let scheme = field("scheme").ok_or_else(|| KeyError::Format("no `scheme`".into()))?;
        if keytype != "ed25519" || scheme != "ed25519" {
            return Err(KeyError::Unsupported(format!("{keytype}/{scheme}")));
        }
        let public = object
            .get("keyval")
            .and_then(|k| k.get("public"))
            .and_then(Value::as_str)
            .ok_or_else(|| KeyError::Format("no `keyval.public`".into()))?;
        let bytes =
            unhex(public).ok_or_else(|| KeyError::Format("`keyval.public` is not hex".into()))?;
        let raw: &[u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            KeyError::Format(format!("ed25519 keys are 32 bytes, got {}", bytes.len()))
        })?;
        let key = VerifyingKey::from_bytes(raw)
            .map_err(|_| KeyError::Format("not a valid ed25519 point".into()))?;
        PublicKey::new(key, object.get("keyid_hash_algorithms"))
    }

    /// A key in any form lockkeeper reads: PEM, securesystemslib JSON text, or hex.
    pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
        let t = text.trim();
        if t.starts_with("-----BEGIN") {
            PublicKey::from_pem(t)
        } else if t.starts_with('{') {
            let value: Value =
                serde_json::from_str(t).map_err(|e| KeyError::Format(format!("key JSON: {e}")))?;
            PublicKey::from_securesystemslib(&value)
        } else {
            PublicKey::from_hex(t)
        }
    }

    /// securesystemslib's current key id (sha256 of the canonical key object).
    pub fn keyid(&self) -> &str {
        self.keyids.first().map(String::as_str).unwrap_or_default()
    }

    /// Every id this key is known by (the current one first).
    pub fn keyids(&self) -> &[String] {
        &self.keyids
    }

    /// Whether `id` names this key.
    pub fn has_keyid(&self, id: &str) -> bool {
        self.keyids.iter().any(|k| k == id)
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.key.as_bytes()
    }

    /// PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub fn to_pem(&self) -> String {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }

    /// securesystemslib's JSON key object.
    pub fn to_securesystemslib(&self) -> Value {
        json!({"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": hex(self.key.as_bytes())}})
    }

    /// Checks a signature with strict verification: malleable signatures and small-order
    /// components are rejected, so one key cannot produce two valid signatures for one message.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(message, &sig).is_ok()
    }
}

/// An ed25519 private key. `Debug` never shows the secret.
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    public: PublicKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SigningKey(ed25519, keyid={}, secret=<redacted>)",
            self.public.keyid()
        )
    }
}

impl SigningKey {
    /// A key from a 32-byte seed (the ed25519 secret key).
    pub fn from_seed(seed: &[u8; 32]) -> Result<SigningKey, KeyError> {
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        let public = PublicKey::new(key.verifying_key(), None)?;
        Ok(SigningKey { key, public })
    }

    /// A fresh key from the operating system's random source.
    #[cfg(feature = "os-rng")]
    pub fn generate() -> Result<SigningKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| KeyError::Format(format!("no randomness available: {e}")))?;
        let key = SigningKey::from_seed(&seed);
        seed.fill(0);
        key
    }

    /// A key from a PEM `PRIVATE KEY` (PKCS#8) block.
    pub fn from_pem(text: &str) -> Result<SigningKey, KeyError> {
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(text.trim())
            .map_err(|e| KeyError::Format(format!("PEM private key: {e}")))?;
        let public = PublicKey::new(key.verifying_key(), None)?;
        Ok(SigningKey { key, public })
    }

    /// PEM `PRIVATE KEY` (PKCS#8). Handle with care: this is the secret.
    pub fn to_pem(&self) -> String {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|s| s.to_string())
            .unwrap_or_default()
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// securesystemslib's key id of the public key.
    pub fn keyid(&self) -> &str {
        self.public.keyid()
    }

    /// Signs `message` (for DSSE, the PAE of the envelope).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

#[cfg(test)]
mod tests {
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
        let sk = SigningKey::from_seed(&[42; 32])?;
        let pem = sk.to_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let again = SigningKey::from_pem(&pem)?;
        assert_eq!(again.keyid(), sk.keyid());
        let public = PublicKey::from_pem(&sk.public_key().to_pem())?;
        assert_eq!(&public, sk.public_key());
        let sig = sk.sign(b"message");
        assert!(public.verify(b"message", &sig));
        assert!(!public.verify(b"messagf", &sig));
        assert!(!public.verify(b"message", &sig[..63]));
        assert!(!format!("{sk:?}").contains(&pem));
        Ok(())
    }

    #[test]
    fn weak_and_foreign_keys_are_refused() {
        // The identity point (small order).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(&identity), Err(KeyError::Weak));
        let rsa =
            json!({"keytype": "rsa", "scheme": "rsassa-pss-sha256", "keyval": {"public": "x"}});
        assert!(matches!(
            PublicKey::from_securesystemslib(&rsa),
            Err(KeyError::Unsupported(_))
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
}
