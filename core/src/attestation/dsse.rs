//! DSSE v1 envelopes: `{"payload", "payloadType", "signatures": [{"keyid", "sig"}]}`.
//!
//! Signatures cover PAE(payloadType, payload), not the payload alone, so a signature for one
//! payload type can never be replayed as another. A threshold counts *distinct trusted keys*
//! that verified some signature: a key listed twice, or two signatures by one key, count once
//! (Connaisseur once counted signatures and let one key meet a quorum). `keyid` is a hint for
//! which key to try first, never a reason to trust.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Value, json};

use super::strict_json;
use crate::keys::{PublicKey, SigningKey};

const DECODE: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, DECODE);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, DECODE);

/// Decodes standard or URL-safe base64, padded or not, as the DSSE spec requires verifiers to.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .ok()
}

/// Standard, padded base64 (what securesystemslib writes).
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The DSSE pre-authentication encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// An envelope that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not JSON, duplicate keys, or not an object.
    #[error("envelope is not valid JSON: {0}")]
    Json(String),
    /// A required field is missing or has the wrong type.
    #[error("envelope field `{0}` is missing or not a {1}")]
    Field(&'static str, &'static str),
    /// A base64 field that does not decode.
    #[error("envelope field `{0}` is not base64")]
    Base64(String),
}

/// Why an envelope did not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The threshold must be at least one.
    #[error("threshold must be at least 1")]
    ZeroThreshold,
    /// Fewer distinct trusted keys verified than the threshold.
    #[error(
        "{verified} of {threshold} required distinct trusted keys verified ({signatures} signature(s) in the envelope)"
    )]
    ThresholdNotMet {
        /// Distinct keys that verified.
        verified: usize,
        /// Required.
        threshold: usize,
        /// Signatures in the envelope.
        signatures: usize,
        /// Key ids of the keys that verified.
        keyids: Vec<String>,
    },
}

impl VerifyError {
    /// Key ids of the keys that did verify (fewer than required).
    pub fn keyids(&self) -> &[String] {
        match self {
            VerifyError::ThresholdNotMet { keyids, .. } => keyids,
            VerifyError::ZeroThreshold => &[],
        }
    }
}

/// One signature of an envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeSignature {
    /// The signer's hint of which key made it (unauthenticated).
    pub keyid: Option<String>,
    /// The raw signature bytes.
    pub sig: Vec<u8>,
}

/// A DSSE envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    payload_type: String,
    payload: Vec<u8>,
    signatures: Vec<EnvelopeSignature>,
}

/// The outcome of a successful verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Indexes (into the keys given) of the distinct keys that verified a signature.
    pub keys: Vec<usize>,
    /// Their key ids.
    pub keyids: Vec<String>,
}

impl Envelope {
    /// Reads an envelope. Unknown fields are ignored (as the spec requires); duplicate keys are
    /// refused.
    pub fn from_json(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        let value = strict_json::parse(bytes).map_err(|e| EnvelopeError::Json(e.to_string()))?;
        Envelope::from_value(&value)
    }

    /// Reads an envelope from an already parsed JSON value (e.g. one embedded in a bundle).
    pub fn from_value(value: &Value) -> Result<Envelope, EnvelopeError> {
        if !value.is_object() {
            return Err(EnvelopeError::Json("not a JSON object".into()));
        }
        let payload_type = value
            .get("payloadType")
            .and_then(Value::as_str)
            .ok_or(EnvelopeError::Field("payloadType", "string"))?
            .to_owned();
        let payload_text = value
            .get("payload")
            .and_then(Value::as_str)
            .ok_or(EnvelopeError::Field("payload", "string"))?;
        let payload =
            decode_base64(payload_text).ok_or_else(|| EnvelopeError::Base64("payload".into()))?;
        let mut signatures = Vec::new();
        let list = match value.get("signatures") {
            None | Some(Value::Null) => &Vec::new(),
            Some(Value::Array(a)) => a,
            Some(_) => return Err(EnvelopeError::Field("signatures", "list")),
        };
        for (i, s) in list.iter().enumerate() {
            let sig_text = s
                .get("sig")
                .and_then(Value::as_str)
                .ok_or(EnvelopeError::Field("signatures[].sig", "string"))?;
            let sig = decode_base64(sig_text)
                .ok_or_else(|| EnvelopeError::Base64(format!("signatures[{i}].sig")))?;
            let keyid = match s.get("keyid") {
                None | Some(Value::Null) => None,
                Some(Value::String(k)) if k.is_empty() => None,
                Some(Value::String(k)) => Some(k.clone()),
                Some(_) => return Err(EnvelopeError::Field("signatures[].keyid", "string")),
            };
            signatures.push(EnvelopeSignature { keyid, sig });
        }
        Ok(Envelope {
            payload_type,
            payload,
            signatures,
        })
    }

    /// Signs `payload` with each key (one signature per distinct key), naming each by its
    /// securesystemslib key id.
    pub fn sign(payload_type: &str, payload: &[u8], keys: &[&SigningKey]) -> Envelope {
        let message = pae(payload_type, payload);
        let mut signatures: Vec<EnvelopeSignature> = Vec::new();
        for key in keys {
            let keyid = key.keyid().to_owned();
            if signatures
                .iter()
                .any(|s| s.keyid.as_deref() == Some(keyid.as_str()))
            {
                continue;
            }
            signatures.push(EnvelopeSignature {
                keyid: Some(keyid),
                sig: key.sign(&message).to_vec(),
            });
        }
        Envelope {
            payload_type: payload_type.to_owned(),
            payload: payload.to_vec(),
            signatures,
        }
    }

    /// The JSON form, with standard padded base64 (as securesystemslib writes it).
    pub fn to_json_value(&self) -> Value {
        let signatures: Vec<Value> = self
            .signatures
            .iter()
            .map(|s| match &s.keyid {
                Some(k) => json!({"keyid": k, "sig": encode_base64(&s.sig)}),
                None => json!({"sig": encode_base64(&s.sig)}),
            })
            .collect();
        json!({
            "payload": encode_base64(&self.payload),
            "payloadType": self.payload_type,
            "signatures": signatures,
        })
    }

    /// [`Envelope::to_json_value`] as text.
    pub fn to_json(&self) -> String {
        self.to_json_value().to_string()
    }

    /// The payload type.
    pub fn payload_type(&self) -> &str {
        &self.payload_type
    }

    /// The payload bytes, exactly as received.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The signatures.
    pub fn signatures(&self) -> &[EnvelopeSignature] {
        &self.signatures
    }

    /// The bytes each signature must cover.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// For each signature, the index of the first key (of `keys`) that verifies it. Keys whose
    /// id matches the signature's hint are tried first, then the others: a wrong or missing
    /// hint costs time, never correctness.
    pub fn verifying_keys(&self, keys: &[PublicKey]) -> Vec<Option<usize>> {
        let message = self.pae();
        self.signatures
            .iter()
            .map(|s| key_for(s, &message, keys))
            .collect()
    }

    /// Verifies against trusted `keys` and a threshold of distinct keys, as securesystemslib's
    /// `Envelope.verify` does (but trying every key, not only those named by the hint).
    pub fn verify(&self, keys: &[PublicKey], threshold: usize) -> Result<Verified, VerifyError> {
        if threshold == 0 {
            return Err(VerifyError::ZeroThreshold);
        }
        self.decide(self.verifying_keys(keys), keys, threshold)
    }

    /// The threshold decision over the verifying key of each signature (as
    /// [`Envelope::verifying_keys`] gives them); shared by single and batch verification so the
    /// two cannot drift apart.
    pub(crate) fn decide(
        &self,
        verifying: Vec<Option<usize>>,
        keys: &[PublicKey],
        threshold: usize,
    ) -> Result<Verified, VerifyError> {
        let mut distinct: Vec<usize> = Vec::new();
        for index in verifying.into_iter().flatten() {
            // The same key given twice, in whatever encoding or scheme, is one key.
            let key = keys.get(index);
            if !distinct.iter().any(|&d| keys.get(d) == key) {
                distinct.push(index);
            }
        }
        let keyids: Vec<String> = distinct
            .iter()
            .filter_map(|&i| keys.get(i).map(|k| k.keyid().to_owned()))
            .collect();
        if distinct.len() < threshold {
            return Err(VerifyError::ThresholdNotMet {
                verified: distinct.len(),
                threshold,
                signatures: self.signatures.len(),
                keyids,
            });
        }
        Ok(Verified {
            keys: distinct,
            keyids,
        })
    }
}

/// Whether `key` is one the signature's hint names.
pub(crate) fn hinted(signature: &EnvelopeSignature, key: &PublicKey) -> bool {
    signature
        .keyid
        .as_deref()
        .is_some_and(|id| key.has_keyid(id))
}

/// The index of the first key that verifies `signature` over `message`, hinted keys first.
pub(crate) fn key_for(
    signature: &EnvelopeSignature,
    message: &[u8],
    keys: &[PublicKey],
) -> Option<usize> {
    let first = keys
        .iter()
        .position(|k| hinted(signature, k) && k.verify(message, &signature.sig));
    first.or_else(|| {
        keys.iter()
            .position(|k| !hinted(signature, k) && k.verify(message, &signature.sig))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyError;

    #[test]
    fn pae_matches_the_spec_example() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("t", b""), b"DSSEv1 1 t 0 ".to_vec());
    }

    #[test]
    fn threshold_counts_distinct_keys() -> Result<(), KeyError> {
        let a = SigningKey::from_seed(&[1; 32])?;
        let b = SigningKey::from_seed(&[2; 32])?;
        let env = Envelope::sign("t", b"x", &[&a, &b]);
        let keys = [a.public_key().clone(), b.public_key().clone()];
        assert_eq!(env.verify(&keys, 2).map(|v| v.keys.len()), Ok(2));
        // Two signatures by one key, and the key listed twice: one key.
        let mut twice = Envelope::sign("t", b"x", &[&a]);
        twice.signatures.push(twice.signatures[0].clone());
        let same = [a.public_key().clone(), a.public_key().clone()];
        assert!(matches!(
            twice.verify(&same, 2),
            Err(VerifyError::ThresholdNotMet { verified: 1, .. })
        ));
        assert_eq!(env.verify(&keys, 0), Err(VerifyError::ZeroThreshold));
        Ok(())
    }

    #[test]
    fn json_round_trip_and_base64_variants() -> Result<(), Box<dyn std::error::Error>> {
        let a = SigningKey::from_seed(&[3; 32])?;
        let env = Envelope::sign("application/vnd.in-toto+json", b"{\"a\":\"\xff?>\"}", &[&a]);
        let back = Envelope::from_json(env.to_json().as_bytes())?;
        assert_eq!(back, env);
        // URL-safe and unpadded forms decode to the same bytes.
        let v = env.to_json_value();
        let std_payload = v["payload"].as_str().unwrap_or_default().to_owned();
        let url = std_payload
            .replace('+', "-")
            .replace('/', "_")
            .trim_end_matches('=')
            .to_owned();
        let mut other = v.clone();
        other["payload"] = Value::String(url);
        let back = Envelope::from_json(other.to_string().as_bytes())?;
        assert_eq!(back.payload(), env.payload());
        assert!(back.verify(&[a.public_key().clone()], 1).is_ok());
        assert!(Envelope::from_json(br#"{"payload": "!!", "payloadType": "t"}"#).is_err());
        assert!(
            Envelope::from_json(br#"{"payload": "", "payloadType": "t", "payloadType": "u"}"#)
                .is_err()
        );
        Ok(())
    }

    #[test]
    fn a_wrong_hint_does_not_stop_verification() -> Result<(), KeyError> {
        let a = SigningKey::from_seed(&[4; 32])?;
        let mut env = Envelope::sign("t", b"x", &[&a]);
        env.signatures[0].keyid = Some("not-the-key".into());
        assert!(env.verify(&[a.public_key().clone()], 1).is_ok());
        env.signatures[0].keyid = None;
        assert!(env.verify(&[a.public_key().clone()], 1).is_ok());
        Ok(())
    }
}
