//! Public keys of every scheme lockkeeper verifies.

use std::fmt;

use ed25519_dalek::pkcs8::DecodePublicKey as _;
use rsa::pkcs1::RsaPublicKeyRef;
use rsa::signature::Verifier as _;
use serde_json::{Value, json};
use spki::der::Decode as _;
use spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};

type RsaKey = rsa::PublicKey;

use super::keyid::{keyids, pem_keyids};
use super::{KeyError, RsaHash, Scheme, pem};
use crate::digest::{hex, unhex};

const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// Curves seen in the wild that lockkeeper refuses, named so the error says which one it was.
fn curve_name(oid: &ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.132.0.35" => "ECDSA P-521 (ecdsa-sha2-nistp521)".into(),
        "1.3.132.0.34" => "ECDSA P-384".into(),
        "1.3.132.0.33" => "ECDSA P-224".into(),
        "1.3.132.0.10" => "ECDSA secp256k1".into(),
        "1.2.840.10045.3.1.1" => "ECDSA P-192".into(),
        other => format!("ECDSA on the curve with OID {other}"),
    }
}

/// The smallest RSA modulus accepted (NIST SP 800-131A: 2048 bits since 2014).
const RSA_MIN_BITS: usize = 2048;
/// The largest the `rsa` crate verifies with; larger moduli only cost time.
const RSA_MAX_BITS: usize = 8192;

#[derive(Clone)]
enum Material {
    Ed25519(ed25519_dalek::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Rsa(RsaKey),
}

/// A public key, the scheme it verifies with, and the ids it is known by.
///
/// Equality is equality of the key material (its SubjectPublicKeyInfo): the same key read from
/// PEM and from a securesystemslib object, or with two RSA schemes, is one key.
#[derive(Clone)]
pub struct PublicKey {
    material: Material,
    scheme: Scheme,
    /// The canonical SubjectPublicKeyInfo DER, the key's identity.
    spki: Vec<u8>,
    /// `keyids[0]` is securesystemslib's current id; legacy ids may follow.
    keyids: Vec<String>,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki == other.spki
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, keyid={})", self.scheme, self.keyid())
    }
}

fn spki_der(key: &impl spki::EncodePublicKey) -> Result<Vec<u8>, KeyError> {
    key.to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .map_err(|e| KeyError::Format(format!("cannot encode the key: {e}")))
}

/// An RSA key from its PKCS#1 `RSAPublicKey` DER, refusing short moduli with their size.
pub(crate) fn rsa_from_pkcs1(der: &[u8]) -> Result<RsaKey, KeyError> {
    let parsed = RsaPublicKeyRef::from_der(der)
        .map_err(|e| KeyError::Format(format!("RSA public key: {e}")))?;
    let modulus = parsed.modulus.as_bytes();
    let bits = match modulus.first() {
        Some(&top) => (modulus.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    };
    if bits < RSA_MIN_BITS {
        return Err(KeyError::TooSmall { bits });
    }
    if bits > RSA_MAX_BITS {
        return Err(KeyError::Unsupported(format!(
            "an RSA key of {bits} bits (at most {RSA_MAX_BITS})"
        )));
    }
    RsaKey::try_from(parsed).map_err(|e| KeyError::Format(format!("RSA public key: {e}")))
}

impl PublicKey {
    fn ed25519(
        key: ed25519_dalek::VerifyingKey,
        legacy_algorithms: Option<&Value>,
    ) -> Result<PublicKey, KeyError> {
        if key.is_weak() {
            return Err(KeyError::Weak);
        }
        let public = hex(key.as_bytes());
        let ids = keyids("ed25519", "ed25519", &public, legacy_algorithms);
        Ok(PublicKey {
            spki: spki_der(&key)?,
            material: Material::Ed25519(key),
            scheme: Scheme::Ed25519,
            keyids: ids,
        })
    }

    /// A key of `material` read from SPKI DER, with the scheme its type implies.
    fn from_material(material: Material, scheme: Scheme) -> Result<PublicKey, KeyError> {
        let spki = match &material {
            Material::Ed25519(k) => return PublicKey::ed25519(*k, None),
            Material::P256(k) => spki_der(k)?,
            Material::P384(k) => spki_der(k)?,
            Material::Rsa(k) => spki_der(k)?,
        };
        let pem = pem::encode("PUBLIC KEY", &spki);
        Ok(PublicKey {
            keyids: pem_keyids(scheme.keytype(), scheme.name(), &pem),
            material,
            scheme,
            spki,
        })
    }

    /// An ed25519 key from its 32 raw bytes; weak (small-order) keys are refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        let raw: &[u8; 32] = bytes.try_into().map_err(|_| {
            KeyError::Format(format!("ed25519 keys are 32 bytes, got {}", bytes.len()))
        })?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(raw)
            .map_err(|_| KeyError::Format("not a valid ed25519 point".into()))?;
        PublicKey::ed25519(key, None)
    }

    /// An ed25519 key from 64 hex characters.
    pub fn from_hex(text: &str) -> Result<PublicKey, KeyError> {
        let bytes = unhex(text.trim()).ok_or_else(|| KeyError::Format("not hex".into()))?;
        PublicKey::from_bytes(&bytes)
    }

    /// A key from SubjectPublicKeyInfo DER (ed25519, ECDSA P-256/P-384, RSA).
    pub fn from_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        let (material, scheme) = material_from_spki(der)?;
        PublicKey::from_material(material, scheme)
    }

    /// A key from a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY` (PKCS#1) block.
    /// An RSA key read this way verifies PSS and PKCS#1 v1.5 signatures over SHA-256
    /// ([`Scheme::RsaSha256`]).
    pub fn from_pem(text: &str) -> Result<PublicKey, KeyError> {
        let (label, der) = pem::decode(text)?;
        match label.as_str() {
            "PUBLIC KEY" => PublicKey::from_der(&der),
            "RSA PUBLIC KEY" => {
                PublicKey::from_material(Material::Rsa(rsa_from_pkcs1(&der)?), Scheme::RsaSha256)
            }
            l if l.contains("PRIVATE KEY") => Err(KeyError::Format(format!(
                "`{l}` is a private key: give the public key (`PUBLIC KEY`)"
            ))),
            "CERTIFICATE" => Err(KeyError::Format(
                "a certificate is not a key: give its public key (`PUBLIC KEY`)".into(),
            )),
            l => Err(KeyError::Format(format!(
                "PEM block `{l}` is not a public key"
            ))),
        }
    }

    /// A key from a PEM block, verifying only with `scheme` (which must fit the key).
    pub fn from_pem_with_scheme(text: &str, scheme: Scheme) -> Result<PublicKey, KeyError> {
        let key = PublicKey::from_pem(text)?;
        key.with_scheme(scheme)
    }

    /// This key restricted to `scheme`, which must fit its type (an RSA key takes any RSA
    /// scheme, an ECDSA key only its curve's).
    pub fn with_scheme(self, scheme: Scheme) -> Result<PublicKey, KeyError> {
        let fits = matches!(
            (&self.material, scheme),
            (Material::Ed25519(_), Scheme::Ed25519)
                | (Material::P256(_), Scheme::EcdsaP256Sha256)
                | (Material::P384(_), Scheme::EcdsaP384Sha384)
                | (
                    Material::Rsa(_),
                    Scheme::RsaPss(_) | Scheme::RsaPkcs1v15(_) | Scheme::RsaSha256
                )
        );
        if !fits {
            return Err(KeyError::Format(format!(
                "scheme `{}` does not fit a {} key",
                scheme.name(),
                self.describe()
            )));
        }
        if scheme == self.scheme {
            return Ok(self);
        }
        PublicKey::from_material(self.material, scheme)
    }

    fn describe(&self) -> &'static str {
        match &self.material {
            Material::Ed25519(_) => "ed25519",
            Material::P256(_) => "ECDSA P-256",
            Material::P384(_) => "ECDSA P-384",
            Material::Rsa(_) => "RSA",
        }
    }

    /// A key from securesystemslib's JSON key object: `{"keytype", "scheme", "keyval":
    /// {"public"}}`, with hex for ed25519 and PEM for ECDSA and RSA. Both spellings of the
    /// ECDSA key type (`ecdsa` and the older `ecdsa-sha2-nistp256`) are read.
    pub fn from_securesystemslib(object: &Value) -> Result<PublicKey, KeyError> {
        let field = |name: &str| object.get(name).and_then(Value::as_str);
        let keytype = field("keytype").ok_or_else(|| KeyError::Format("no `keytype`".into()))?;
        let scheme_name = field("scheme").ok_or_else(|| KeyError::Format("no `scheme`".into()))?;
        let public = object
            .get("keyval")
            .and_then(|k| k.get("public"))
            .and_then(Value::as_str)
            .ok_or_else(|| KeyError::Format("no `keyval.public`".into()))?;
        let legacy = object.get("keyid_hash_algorithms");
        let scheme = Scheme::from_name(scheme_name)
            .ok_or_else(|| KeyError::Unsupported(format!("{keytype}/{scheme_name}")))?;
        let keytype_fits = match scheme {
            Scheme::Ed25519 => keytype == "ed25519",
            Scheme::EcdsaP256Sha256 | Scheme::EcdsaP384Sha384 => {
                keytype == "ecdsa" || keytype == scheme_name
            }
            _ => keytype == "rsa",
        };
        if !keytype_fits {
            return Err(KeyError::Format(format!(
                "key type `{keytype}` does not go with scheme `{scheme_name}`"
            )));
        }
        if scheme == Scheme::Ed25519 {
            let bytes = unhex(public)
                .ok_or_else(|| KeyError::Format("`keyval.public` is not hex".into()))?;
            let raw: &[u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                KeyError::Format(format!("ed25519 keys are 32 bytes, got {}", bytes.len()))
            })?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(raw)
                .map_err(|_| KeyError::Format("not a valid ed25519 point".into()))?;
            return PublicKey::ed25519(key, legacy);
        }
        let key = PublicKey::from_pem(public)?.with_scheme(scheme)?;
        // The ids hash the PEM text exactly as the object holds it.
        Ok(PublicKey {
            keyids: keyids(keytype, scheme_name, public, legacy),
            ..key
        })
    }

    /// A key in any text form lockkeeper reads: PEM, securesystemslib JSON, or hex (ed25519).
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

    /// A key file's bytes: DER SubjectPublicKeyInfo, or any text form [`PublicKey::parse`]
    /// reads.
    pub fn parse_bytes(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        if bytes.first() == Some(&0x30) {
            return PublicKey::from_der(bytes);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| KeyError::Format("neither DER nor text".into()))?;
        PublicKey::parse(text)
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

    /// The scheme signatures are checked with.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The canonical SubjectPublicKeyInfo DER (what makes two keys the same key).
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub fn to_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.spki)
    }

    /// securesystemslib's JSON key object (PEM `keyval.public` for ECDSA and RSA, hex for
    /// ed25519).
    pub fn to_securesystemslib(&self) -> Value {
        let public = match &self.material {
            Material::Ed25519(k) => hex(k.as_bytes()),
            _ => self.to_pem(),
        };
        json!({"keytype": self.scheme.keytype(), "scheme": self.scheme.name(), "keyval": {"public": public}})
    }

    /// The ed25519 key, for batch verification.
    pub(crate) fn ed25519_key(&self) -> Option<&ed25519_dalek::VerifyingKey> {
        match &self.material {
            Material::Ed25519(k) => Some(k),
            _ => None,
        }
    }

    /// Checks `signature` over `message` under the key's scheme. Ed25519 is verified strictly
    /// (malleable signatures and small-order components are rejected); ECDSA signatures are
    /// accepted DER-encoded (securesystemslib, Go, cosign) or as raw `r || s` (the DSSE spec's
    /// test vector, slsa-verifier's VSAs).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            Material::Ed25519(k) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|sig| k.verify_strict(message, &sig).is_ok()),
            Material::P256(k) => p256::ecdsa::Signature::from_der(signature)
                .or_else(|_| p256::ecdsa::Signature::from_slice(signature))
                .is_ok_and(|sig| k.verify(message, &sig).is_ok()),
            Material::P384(k) => p384::ecdsa::Signature::from_der(signature)
                .or_else(|_| p384::ecdsa::Signature::from_slice(signature))
                .is_ok_and(|sig| k.verify(message, &sig).is_ok()),
            Material::Rsa(k) => rsa_verify(k, self.scheme, message, signature),
        }
    }
}

fn rsa_verify(key: &RsaKey, scheme: Scheme, message: &[u8], signature: &[u8]) -> bool {
    use sha2::{Sha256, Sha384, Sha512};
    fn pss<D>(key: &RsaKey, message: &[u8], signature: &[u8]) -> bool
    where
        D: sha2::Digest + sha2::digest::FixedOutputReset,
    {
        let Ok(sig) = rsa::pss::Signature::try_from(signature) else {
            return false;
        };
        rsa::pss::VerifyingKey::<D>::new_with_auto_salt_len(key.clone())
            .verify(message, &sig)
            .is_ok()
    }
    fn pkcs1<D>(key: &RsaKey, message: &[u8], signature: &[u8]) -> bool
    where
        D: sha2::Digest + spki::der::oid::AssociatedOid,
    {
        let Ok(sig) = rsa::pkcs1v15::Signature::try_from(signature) else {
            return false;
        };
        rsa::pkcs1v15::VerifyingKey::<D>::new(key.clone())
            .verify(message, &sig)
            .is_ok()
    }
    match scheme {
        Scheme::RsaPss(RsaHash::Sha256) => pss::<Sha256>(key, message, signature),
        Scheme::RsaPss(RsaHash::Sha384) => pss::<Sha384>(key, message, signature),
        Scheme::RsaPss(RsaHash::Sha512) => pss::<Sha512>(key, message, signature),
        Scheme::RsaPkcs1v15(RsaHash::Sha256) => pkcs1::<Sha256>(key, message, signature),
        Scheme::RsaPkcs1v15(RsaHash::Sha384) => pkcs1::<Sha384>(key, message, signature),
        Scheme::RsaPkcs1v15(RsaHash::Sha512) => pkcs1::<Sha512>(key, message, signature),
        Scheme::RsaSha256 => {
            pss::<Sha256>(key, message, signature) || pkcs1::<Sha256>(key, message, signature)
        }
        Scheme::Ed25519 | Scheme::EcdsaP256Sha256 | Scheme::EcdsaP384Sha384 => false,
    }
}

/// The key material of SubjectPublicKeyInfo DER and the scheme its type implies.
fn material_from_spki(der: &[u8]) -> Result<(Material, Scheme), KeyError> {
    let info = SubjectPublicKeyInfoRef::from_der(der)
        .map_err(|e| KeyError::Format(format!("SubjectPublicKeyInfo: {e}")))?;
    let oid = info.algorithm.oid;
    if oid == ED25519 {
        let key = ed25519_dalek::VerifyingKey::from_public_key_der(der)
            .map_err(|e| KeyError::Format(format!("ed25519 public key: {e}")))?;
        Ok((Material::Ed25519(key), Scheme::Ed25519))
    } else if oid == EC_PUBLIC_KEY {
        let curve = info
            .algorithm
            .parameters_oid()
            .map_err(|_| KeyError::Format("EC key without a named curve".into()))?;
        if curve == P256 {
            use p256::pkcs8::DecodePublicKey as _;
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(der)
                .map_err(|e| KeyError::Format(format!("ECDSA P-256 public key: {e}")))?;
            Ok((Material::P256(key), Scheme::EcdsaP256Sha256))
        } else if curve == P384 {
            use p384::pkcs8::DecodePublicKey as _;
            let key = p384::ecdsa::VerifyingKey::from_public_key_der(der)
                .map_err(|e| KeyError::Format(format!("ECDSA P-384 public key: {e}")))?;
            Ok((Material::P384(key), Scheme::EcdsaP384Sha384))
        } else {
            Err(KeyError::Unsupported(curve_name(&curve)))
        }
    } else if oid == RSA_ENCRYPTION {
        let key = rsa_from_pkcs1(info.subject_public_key.raw_bytes())?;
        Ok((Material::Rsa(key), Scheme::RsaSha256))
    } else if oid == RSASSA_PSS {
        Err(KeyError::Unsupported(
            "an RSASSA-PSS-restricted key (id-RSASSA-PSS); export it as an rsaEncryption key"
                .into(),
        ))
    } else if oid == ED448 {
        Err(KeyError::Unsupported("Ed448".into()))
    } else {
        Err(KeyError::Unsupported(format!("key algorithm OID {oid}")))
    }
}
