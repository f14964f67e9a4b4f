//! One entry of the log: a record, chained to the entry before it and signed.
//!
//! The signed *body* is the canonical JSON of `{"prev", "record", "seq"}`; `hash` is its sha256
//! and `sig` a signature (ed25519, or DER ECDSA P-256) over the DSSE pre-authentication
//! encoding of the body with the payload type [`ENTRY_PAYLOAD_TYPE`]. Signing the PAE rather
//! than the bare hash gives the service key domain separation for free (the same key signs
//! promotion records as DSSE envelopes, and no signature over one kind of payload can pass for
//! another), and any DSSE library can check an entry on its own.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::canonical;
use crate::attestation::dsse::pae;
use crate::attestation::strict_json;
use crate::digest::{Algorithm, Digest};
use crate::keys::{PublicKey, SigningKey};

/// The DSSE payload type the entries' signatures are bound to.
pub const ENTRY_PAYLOAD_TYPE: &str = "application/vnd.lockkeeper.audit-entry.v1+json";

/// The fields of an entry line, in the order they appear (sorted).
const FIELDS: [&str; 5] = ["hash", "prev", "record", "seq", "sig"];

/// Where a log ends: how many entries it has and the hash of the last one. An empty log's head
/// is count 0 and the all-zero sha256, which is what the first entry records as `prev`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// Number of entries (the `seq` of the last one).
    pub count: u64,
    /// `hash` of the last entry.
    pub hash: Digest,
}

impl Head {
    /// The head of an empty log.
    pub fn genesis() -> Head {
        Head {
            count: 0,
            hash: zero_hash(),
        }
    }
}

fn zero_hash() -> Digest {
    Digest::from_parts(Algorithm::Sha256, &"0".repeat(64)).unwrap_or_else(|_| Digest::sha256(b""))
}

/// A log entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    seq: u64,
    prev: Digest,
    record: Map<String, Value>,
    hash: Digest,
    sig: Vec<u8>,
}

/// An entry read from a line, with what its content actually hashes to.
pub(crate) struct Parsed {
    pub entry: Entry,
    /// sha256 of the body as found (equal to `entry.hash` unless the entry was altered).
    pub computed: Digest,
    /// Whether the line is the one spelling lockkeeper writes. Another spelling of the same
    /// entry means its bytes were edited, even if what they say was not.
    pub canonical: bool,
    body: Vec<u8>,
}

impl Parsed {
    /// Whether the signature verifies over the body as found.
    pub fn signed_by(&self, key: &PublicKey) -> bool {
        key.verify(&pae(ENTRY_PAYLOAD_TYPE, &self.body), &self.entry.sig)
    }
}

/// The signed body, `{"prev","record","seq"}` in canonical form.
struct Body<'a> {
    seq: u64,
    prev: &'a Digest,
    record: &'a Map<String, Value>,
}

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_map(Some(3))?;
        out.serialize_entry("prev", self.prev)?;
        out.serialize_entry("record", &canonical::SortedMap(self.record))?;
        out.serialize_entry("seq", &self.seq)?;
        out.end()
    }
}

fn body(seq: u64, prev: &Digest, record: &Map<String, Value>) -> Vec<u8> {
    canonical::to_vec_of(&Body { seq, prev, record })
}

/// The canonical line of an entry, built around its body: the keys sort as `hash`, `prev`,
/// `record`, `seq`, `sig`, so the line is the body with `hash` in front and `sig` behind (a
/// test checks this against serializing the whole entry). Hex and base64 need no escaping.
fn line(hash: &Digest, body: &[u8], sig: &str) -> Vec<u8> {
    let inner = body
        .get(1..body.len().saturating_sub(1))
        .unwrap_or_default();
    let mut out = Vec::with_capacity(body.len() + sig.len() + 96);
    out.extend_from_slice(b"{\"hash\":\"");
    out.extend_from_slice(hash.to_string().as_bytes());
    out.extend_from_slice(b"\",");
    out.extend_from_slice(inner);
    out.extend_from_slice(b",\"sig\":\"");
    out.extend_from_slice(sig.as_bytes());
    out.extend_from_slice(b"\"}");
    out
}

impl Entry {
    /// The entry that follows `prev`, holding `record`, signed with `key`. `None` only when
    /// the log already holds `u64::MAX` entries.
    pub fn new(prev: &Head, record: Map<String, Value>, key: &SigningKey) -> Option<Entry> {
        let seq = prev.count.checked_add(1)?;
        let body = body(seq, &prev.hash, &record);
        let hash = Digest::sha256(&body);
        let sig = key.sign(&pae(ENTRY_PAYLOAD_TYPE, &body)).to_vec();
        Some(Entry {
            seq,
            prev: prev.hash.clone(),
            record,
            hash,
            sig,
        })
    }

    /// Position in the log, from 1.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The hash of the entry before (all zeros for the first).
    pub fn prev(&self) -> &Digest {
        &self.prev
    }

    /// The record, as given.
    pub fn record(&self) -> &Map<String, Value> {
        &self.record
    }

    /// sha256 of the body, as recorded in the entry.
    pub fn hash(&self) -> &Digest {
        &self.hash
    }

    /// The raw signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.sig
    }

    /// The head of a log ending with this entry.
    pub fn head(&self) -> Head {
        Head {
            count: self.seq,
            hash: self.hash.clone(),
        }
    }

    /// The entry as one line of JSON, without the newline: canonical, so the bytes on disk are
    /// the only spelling a verifier accepts.
    pub fn to_line(&self) -> String {
        let body = body(self.seq, &self.prev, &self.record);
        let sig = crate::attestation::dsse::encode_base64(&self.sig);
        String::from_utf8(line(&self.hash, &body, &sig)).unwrap_or_default()
    }

    /// Reads one line (without its newline): an entry with exactly the five fields. Whether it
    /// is in canonical form, its hash and its signature are for the caller to check.
    pub(crate) fn parse(line: &[u8]) -> Result<Parsed, String> {
        let value = strict_json::parse(line).map_err(|e| format!("not JSON: {e}"))?;
        let Value::Object(map) = &value else {
            return Err("not a JSON object".into());
        };
        if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(format!("unknown field `{unknown}`"));
        }
        let field = |name: &str| map.get(name).ok_or_else(|| format!("no `{name}`"));
        let seq = field("seq")?
            .as_u64()
            .filter(|&s| s > 0)
            .ok_or("`seq` is not a positive integer")?;
        let digest = |name: &str| -> Result<Digest, String> {
            let text = field(name)?
                .as_str()
                .ok_or_else(|| format!("`{name}` is not a string"))?;
            Digest::parse(text)
                .ok()
                .filter(|d| d.algorithm() == Algorithm::Sha256)
                .ok_or_else(|| format!("`{name}` is not sha256:<64 lowercase hex>"))
        };
        let prev = digest("prev")?;
        let hash = digest("hash")?;
        let record = field("record")?
            .as_object()
            .ok_or("`record` is not a JSON object")?
            .clone();
        let sig_text = field("sig")?.as_str().ok_or("`sig` is not a string")?;
        let sig = decode_sig(sig_text).ok_or("`sig` is not standard padded base64")?;
        let body = body(seq, &prev, &record);
        let canonical = self::line(&hash, &body, sig_text) == line;
        let computed = Digest::sha256(&body);
        Ok(Parsed {
            entry: Entry {
                seq,
                prev,
                record,
                hash,
                sig,
            },
            computed,
            canonical,
            body,
        })
    }
}

/// Standard padded base64, in its one canonical spelling: a signature re-encoded in another
/// alphabet or padding would decode to the same bytes and hide an edit to the line.
fn decode_sig(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    (crate::attestation::dsse::encode_base64(&bytes) == text).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> Result<SigningKey, crate::keys::KeyError> {
        SigningKey::from_seed(&[7; 32])
    }

    #[test]
    fn a_written_line_reads_back_as_the_same_entry() -> Result<(), Box<dyn std::error::Error>> {
        let key = key()?;
        let record =
            json!({"allowed": false, "n": 0.1, "who": "é", "nested": {"b": [1, {"a": null}]}});
        let Value::Object(record) = record else {
            return Err("not an object".into());
        };
        let entry = Entry::new(&Head::genesis(), record, &key).ok_or("full")?;
        assert_eq!(entry.seq(), 1);
        assert_eq!(entry.prev().hex(), "0".repeat(64));
        let line = entry.to_line();
        assert!(!line.contains('\n'));
        let parsed = Entry::parse(line.as_bytes())?;
        assert_eq!(parsed.entry, entry);
        assert_eq!(parsed.computed, *entry.hash());
        assert!(parsed.signed_by(key.public_key()));
        assert!(!parsed.signed_by(SigningKey::from_seed(&[8; 32])?.public_key()));
        // The body is the line without its first (`hash`) and last (`sig`) members.
        let body = String::from_utf8(body(1, entry.prev(), entry.record()))?;
        let start = line.find(",\"prev\"").ok_or("no prev")? + 1;
        let end = line.rfind(",\"sig\"").ok_or("no sig")?;
        assert_eq!(body, format!("{{{}}}", &line[start..end]));
        // The line built around the body is the canonical form of the whole entry.
        let whole = serde_json::json!({
            "hash": entry.hash().to_string(), "prev": entry.prev().to_string(),
            "record": entry.record(), "seq": entry.seq(),
            "sig": crate::attestation::dsse::encode_base64(entry.signature()),
        });
        assert_eq!(canonical::to_vec(&whole), line.as_bytes());
        Ok(())
    }

    #[test]
    fn other_spellings_of_the_same_entry_are_refused() -> Result<(), Box<dyn std::error::Error>> {
        let key = key()?;
        let entry = Entry::new(&Head::genesis(), Map::new(), &key).ok_or("full")?;
        let line = entry.to_line();
        assert!(Entry::parse(line.as_bytes())?.canonical);
        let spaced = line.replacen(",", ", ", 1);
        assert!(!Entry::parse(spaced.as_bytes())?.canonical);
        let escaped = line.replacen("\"prev\"", "\"\\u0070rev\"", 1);
        assert!(!Entry::parse(escaped.as_bytes())?.canonical);
        let sig = crate::attestation::dsse::encode_base64(entry.signature());
        let unpadded = line.replace(&sig, sig.trim_end_matches('='));
        assert!(Entry::parse(unpadded.as_bytes()).is_err());
        let extra = line.replacen("{", "{\"extra\":1,", 1);
        assert!(Entry::parse(extra.as_bytes()).is_err());
        let dup = line.replacen("{", "{\"seq\":1,", 1);
        assert!(Entry::parse(dup.as_bytes()).is_err());
        Ok(())
    }
}
