//! Signed checkpoints: "this log had `count` entries and ended at `head`".
//!
//! A hash chain proves the order of what is there, not that nothing is missing at the end:
//! dropping the last entries leaves a shorter chain that is perfectly consistent. A reader who
//! keeps a checkpoint (somewhere the log's writer cannot change it) can later prove that the
//! log still holds everything the checkpoint vouched for.

use serde_json::{Value, json};

use super::AuditError;
use super::canonical;
use super::entry::Head;
use crate::attestation::dsse::{decode_base64, encode_base64, pae};
use crate::attestation::strict_json;
use crate::digest::{Algorithm, Digest};
use crate::keys::{PublicKey, SigningKey};

/// The DSSE payload type checkpoint signatures are bound to.
pub const CHECKPOINT_PAYLOAD_TYPE: &str = "application/vnd.lockkeeper.audit-checkpoint.v1+json";

/// A signed statement of a log's length and head hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    count: u64,
    head: Digest,
    sig: Vec<u8>,
}

fn body(count: u64, head: &Digest) -> Vec<u8> {
    canonical::to_vec(&json!({"count": count, "head": head.to_string()}))
}

impl Checkpoint {
    /// Signs `head` as it is. To checkpoint a log, use [`super::checkpoint`], which verifies
    /// the whole log first so that a checkpoint never vouches for a tampered one.
    pub fn sign(head: &Head, key: &SigningKey) -> Checkpoint {
        let sig = key
            .sign(&pae(CHECKPOINT_PAYLOAD_TYPE, &body(head.count, &head.hash)))
            .to_vec();
        Checkpoint {
            count: head.count,
            head: head.hash.clone(),
            sig,
        }
    }

    /// Number of entries the log had.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Hash of its last entry (all zeros for an empty log).
    pub fn head(&self) -> &Digest {
        &self.head
    }

    /// Whether `key` signed this checkpoint.
    pub fn signed_by(&self, key: &PublicKey) -> bool {
        key.verify(
            &pae(CHECKPOINT_PAYLOAD_TYPE, &body(self.count, &self.head)),
            &self.sig,
        )
    }

    /// Reads a checkpoint (`{"count", "head", "sig"}`); unknown fields and duplicate keys are
    /// refused, as in every format of our own.
    pub fn from_json(bytes: &[u8]) -> Result<Checkpoint, AuditError> {
        let bad = |m: String| AuditError::Checkpoint(m);
        let value = strict_json::parse(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        let map = value
            .as_object()
            .ok_or_else(|| bad("not a JSON object".into()))?;
        if let Some(k) = map
            .keys()
            .find(|k| !["count", "head", "sig"].contains(&k.as_str()))
        {
            return Err(bad(format!("unknown field `{k}`")));
        }
        let count = map
            .get("count")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("`count` is missing or not a non-negative integer".into()))?;
        let head = map
            .get("head")
            .and_then(Value::as_str)
            .and_then(|t| Digest::parse(t).ok())
            .filter(|d| d.algorithm() == Algorithm::Sha256)
            .ok_or_else(|| bad("`head` is missing or not sha256:<64 lowercase hex>".into()))?;
        let sig = map
            .get("sig")
            .and_then(Value::as_str)
            .and_then(decode_base64)
            .ok_or_else(|| bad("`sig` is missing or not base64".into()))?;
        Ok(Checkpoint { count, head, sig })
    }

    /// The JSON form.
    pub fn to_json_value(&self) -> Value {
        json!({"count": self.count, "head": self.head.to_string(), "sig": encode_base64(&self.sig)})
    }

    /// [`Checkpoint::to_json_value`] as one line of canonical JSON.
    pub fn to_json(&self) -> String {
        String::from_utf8(canonical::to_vec(&self.to_json_value())).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_round_trips_and_verifies_only_under_its_key()
    -> Result<(), Box<dyn std::error::Error>> {
        let key = SigningKey::from_seed(&[5; 32])?;
        let head = Head {
            count: 3,
            hash: Digest::sha256(b"x"),
        };
        let cp = Checkpoint::sign(&head, &key);
        let back = Checkpoint::from_json(cp.to_json().as_bytes())?;
        assert_eq!(back, cp);
        assert!(back.signed_by(key.public_key()));
        assert!(!back.signed_by(SigningKey::from_seed(&[6; 32])?.public_key()));
        let mut shorter = back.to_json_value();
        shorter["count"] = json!(2);
        assert!(
            !Checkpoint::from_json(shorter.to_string().as_bytes())?.signed_by(key.public_key())
        );
        for bad in [
            "[]",
            "{}",
            r#"{"count": -1, "head": "sha256:00", "sig": ""}"#,
            r#"{"count": 1, "count": 1}"#,
        ] {
            assert!(
                matches!(
                    Checkpoint::from_json(bad.as_bytes()),
                    Err(AuditError::Checkpoint(_))
                ),
                "{bad}"
            );
        }
        let mut extra = cp.to_json_value();
        extra["note"] = json!("x");
        assert!(Checkpoint::from_json(extra.to_string().as_bytes()).is_err());
        Ok(())
    }
}
