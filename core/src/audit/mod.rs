//! The audit log: an append-only JSON Lines file of records (normally decisions), each entry
//! chained to the one before by its sha256 and signed by the service key, so that anyone with
//! the public key can check offline that nothing was changed, removed, inserted or reordered.
//!
//! The core computes and checks entries from bytes; opening, locking, appending and syncing the
//! file is the job of the CLI and the bindings (see `docs/audit.md`). A line is
//!
//! ```json
//! {"hash":"sha256:…","prev":"sha256:…","record":{…},"seq":1,"sig":"<base64>"}
//! ```
//!
//! in canonical form (keys sorted, no whitespace), so the bytes on disk are the only spelling a
//! verifier accepts: changing any byte of an entry fails verification, whether or not it
//! changes what the JSON means.
//!
//! ```
//! use lockkeeper::audit;
//! use lockkeeper::keys::SigningKey;
//!
//! let key = SigningKey::from_seed(&[1; 32])?;
//! let mut log = Vec::new();
//! for record in [r#"{"allowed": true}"#, r#"{"allowed": false}"#] {
//!     let appended = audit::append(&log, record.as_bytes(), &key)?;
//!     log.extend_from_slice(appended.line.as_bytes());
//! }
//! assert!(audit::verify(&log, key.public_key(), None).allowed());
//!
//! let checkpoint = audit::checkpoint(&log, &key)?;
//! log.truncate(log.len() - 1); // a crash in the middle of writing the last newline
//! let d = audit::verify(&log, key.public_key(), Some(&checkpoint));
//! assert!(d.has("audit/torn-entry") && d.has("audit/truncated"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod canonical;
mod checkpoint;
mod entry;
mod verify;

use serde_json::{Map, Value};

pub use checkpoint::{CHECKPOINT_PAYLOAD_TYPE, Checkpoint};
pub use entry::{ENTRY_PAYLOAD_TYPE, Entry, Head};

use crate::attestation::strict_json;
use crate::decision::Decision;
use crate::keys::{PublicKey, SigningKey};
use crate::rule::{Code, codes};

/// Why a record could not be appended, or a checkpoint made or read.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The record is not one JSON object (or has duplicate keys).
    #[error("the audit record must be one JSON object: {0}")]
    Record(String),
    /// Checkpoint bytes that are not a checkpoint.
    #[error("not an audit checkpoint: {0}")]
    Checkpoint(String),
    /// The log ends with a partial line: an earlier append was interrupted.
    #[error(
        "line {line} of the log is incomplete ({bytes} bytes without a final newline): an earlier append was interrupted; move that line out of the log before appending"
    )]
    Torn {
        /// 1-based line number.
        line: usize,
        /// Bytes of the partial line.
        bytes: usize,
    },
    /// The last entry cannot be chained onto: unreadable, or its content does not match its
    /// hash.
    #[error("line {line} of the log is not a valid entry: {reason}")]
    Broken {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The last entry is not signed by the key appending (another key wrote the log, or the
    /// entry was forged).
    #[error(
        "the signature of line {line} does not verify under key {keyid}: the log was written with another key, or the entry was forged"
    )]
    BadSignature {
        /// 1-based line number.
        line: usize,
        /// Key id of the key tried.
        keyid: String,
    },
    /// A checkpoint was asked for a log that does not verify; the decision says why.
    #[error("the log does not verify, so it cannot be checkpointed:\n{decision}")]
    NotIntact {
        /// The code of the first violation: the code of the error.
        code: Code,
        /// The verification, a denial.
        decision: Box<Decision>,
    },
    /// The log holds `u64::MAX` entries.
    #[error("the log is full (seq would overflow)")]
    Full,
}

impl AuditError {
    /// The rule code.
    pub fn code(&self) -> Code {
        match self {
            AuditError::Record(_) => codes::INPUT_MALFORMED_AUDIT_RECORD,
            AuditError::Checkpoint(_) => codes::INPUT_MALFORMED_CHECKPOINT,
            AuditError::Torn { .. } => codes::AUDIT_TORN_ENTRY,
            AuditError::Broken { .. } | AuditError::Full => codes::AUDIT_BROKEN_CHAIN,
            AuditError::BadSignature { .. } => codes::AUDIT_BAD_SIGNATURE,
            AuditError::NotIntact { code, .. } => *code,
        }
    }

    /// The line of the log the error is about, when there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            AuditError::Torn { line, .. }
            | AuditError::Broken { line, .. }
            | AuditError::BadSignature { line, .. } => Some(*line),
            AuditError::NotIntact { decision: d, .. } => d
                .violations()
                .first()
                .and_then(|v| v.facts.get("line"))
                .and_then(Value::as_u64)
                .and_then(|l| usize::try_from(l).ok()),
            _ => None,
        }
    }
}

/// Reads a record: exactly one JSON object, duplicate keys refused (two readers could
/// otherwise disagree about what was logged).
pub fn parse_record(bytes: &[u8]) -> Result<Map<String, Value>, AuditError> {
    match strict_json::parse(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(AuditError::Record(format!(
            "got {}, not an object",
            match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
            }
        ))),
        Err(e) => Err(AuditError::Record(e.to_string())),
    }
}

/// A new entry and the exact bytes to append for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Appended {
    /// The entry.
    pub entry: Entry,
    /// Its line, newline included: write it with a single append and sync.
    pub line: String,
}

/// The head of `log`, checking its last line only: complete, a valid entry, and signed by
/// `key`. This is what an appender needs (cheap however long the log is); [`verify`] checks
/// every entry.
pub fn head(log: &[u8], key: &PublicKey) -> Result<Head, AuditError> {
    let Some((&last_byte, complete)) = log.split_last() else {
        return Ok(Head::genesis());
    };
    // Line numbers are only needed for an error: counting them is the one cost that grows with
    // the log, so it is paid only then.
    let lines = || log.iter().filter(|&&b| b == b'\n').count();
    if last_byte != b'\n' {
        let start = log.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        return Err(AuditError::Torn {
            line: lines() + 1,
            bytes: log.len() - start,
        });
    }
    let start = complete
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let broken = |reason: String| AuditError::Broken {
        line: lines(),
        reason,
    };
    let parsed = Entry::parse(&complete[start..]).map_err(broken)?;
    if !parsed.canonical {
        return Err(broken(
            "it is not in the one spelling lockkeeper writes: its bytes were edited".into(),
        ));
    }
    if parsed.computed != *parsed.entry.hash() {
        return Err(broken(format!(
            "its content hashes to {}, not the {} it records",
            parsed.computed,
            parsed.entry.hash()
        )));
    }
    if !parsed.signed_by(key) {
        return Err(AuditError::BadSignature {
            line: lines(),
            keyid: key.keyid().to_owned(),
        });
    }
    Ok(parsed.entry.head())
}

/// The entry that appends `record` (JSON bytes: one object, kept as given) to `log`, signed
/// with `key`. The last line of `log` must be a complete entry signed by the same key: a torn
/// line is reported, never built upon.
pub fn append(log: &[u8], record: &[u8], key: &SigningKey) -> Result<Appended, AuditError> {
    let record = parse_record(record)?;
    let head = head(log, key.public_key())?;
    let entry = Entry::new(&head, record, key).ok_or(AuditError::Full)?;
    let line = entry.to_line();
    // A record must read back exactly as it was hashed, or the entry would fail verification
    // later; refuse it now instead (a number serde_json cannot write back exactly, say).
    match Entry::parse(line.as_bytes()) {
        Ok(p) if p.canonical && p.entry == entry && p.computed == *entry.hash() => {}
        _ => {
            return Err(AuditError::Record(
                "it does not read back exactly as written (a number beyond 64-bit precision?)"
                    .into(),
            ));
        }
    }
    Ok(Appended {
        entry,
        line: line + "\n",
    })
}

/// Verifies a whole log with the service's public key and, optionally, against a checkpoint
/// kept from earlier. The decision is allowed exactly when the log is intact; each problem is
/// a violation whose facts include its line number.
pub fn verify(log: &[u8], key: &PublicKey, checkpoint: Option<&Checkpoint>) -> Decision {
    verify::check(log, key, checkpoint).0
}

/// A signed checkpoint of `log`, made only after the whole log verified under `key`.
pub fn checkpoint(log: &[u8], key: &SigningKey) -> Result<Checkpoint, AuditError> {
    let (decision, head) = verify::check(log, key.public_key(), None);
    // A decision is allowed exactly when it has no violation, so this is the denial test.
    if let Some(code) = decision.violations().first().map(|v| v.code) {
        return Err(AuditError::NotIntact {
            code,
            decision: Box::new(decision),
        });
    }
    Ok(Checkpoint::sign(&head, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of(n: usize, key: &SigningKey) -> Result<Vec<u8>, AuditError> {
        let mut log = Vec::new();
        for i in 0..n {
            let a = append(&log, format!("{{\"i\": {i}}}").as_bytes(), key)?;
            log.extend_from_slice(a.line.as_bytes());
        }
        Ok(log)
    }

    #[test]
    fn records_must_be_one_object() {
        for bad in [
            "[1]",
            "1",
            "\"x\"",
            "null",
            "{\"a\":1,\"a\":2}",
            "{} {}",
            "{",
            "",
        ] {
            assert!(
                matches!(parse_record(bad.as_bytes()), Err(AuditError::Record(_))),
                "{bad}"
            );
        }
        assert!(parse_record(b" {\"a\": [1, 2]}\n").is_ok());
    }

    #[test]
    fn append_chains_and_refuses_a_torn_or_foreign_tail() -> Result<(), Box<dyn std::error::Error>>
    {
        let key = SigningKey::from_seed(&[1; 32])?;
        let log = log_of(3, &key)?;
        let h = head(&log, key.public_key())?;
        assert_eq!(h.count, 3);
        let next = append(&log, b"{}", &key)?;
        assert_eq!(next.entry.seq(), 4);
        assert_eq!(next.entry.prev(), &h.hash);
        assert!(next.line.ends_with('\n'));

        let mut torn = log.clone();
        torn.extend_from_slice(&next.line.as_bytes()[..10]);
        let err = append(&torn, b"{}", &key).err();
        assert_eq!(err, Some(AuditError::Torn { line: 4, bytes: 10 }));
        assert_eq!(err.map(|e| e.code().as_str()), Some("audit/torn-entry"));

        let other = SigningKey::from_seed(&[2; 32])?;
        let err = append(&log, b"{}", &other).err();
        assert_eq!(
            err.as_ref().map(|e| e.code().as_str()),
            Some("audit/bad-signature")
        );
        assert_eq!(err.and_then(|e| e.line()), Some(3));

        // The last record changed (2 -> 7): its content no longer matches its hash.
        let garbled = String::from_utf8(log.clone())?.replace("{\"i\":2}", "{\"i\":7}");
        let err = append(garbled.as_bytes(), b"{}", &key).err();
        assert_eq!(
            err.as_ref().map(|e| e.code().as_str()),
            Some("audit/broken-chain")
        );
        assert_eq!(err.and_then(|e| e.line()), Some(3));
        // A changed signature character.
        let mut resigned = log.clone();
        let at = resigned.len() - 20;
        resigned[at] ^= 1;
        let err = append(&resigned, b"{}", &key).err();
        assert_eq!(err.map(|e| e.code().as_str()), Some("audit/bad-signature"));
        Ok(())
    }

    #[test]
    fn checkpoints_are_refused_for_a_log_that_does_not_verify()
    -> Result<(), Box<dyn std::error::Error>> {
        let key = SigningKey::from_seed(&[1; 32])?;
        let mut log = log_of(2, &key)?;
        let cp = checkpoint(&log, &key)?;
        assert_eq!(cp.count(), 2);
        assert!(verify(&log, key.public_key(), Some(&cp)).allowed());
        log[5] ^= 1;
        let err = checkpoint(&log, &key).err();
        assert_eq!(
            err.as_ref().map(|e| e.code().as_str()),
            Some("audit/broken-chain")
        );
        assert_eq!(err.and_then(|e| e.line()), Some(1));
        assert_eq!(checkpoint(b"", &key)?.count(), 0);
        Ok(())
    }

    #[test]
    fn verification_reports_each_problem_with_its_line() -> Result<(), Box<dyn std::error::Error>> {
        let key = SigningKey::from_seed(&[1; 32])?;
        let log = log_of(4, &key)?;
        let text = String::from_utf8(log)?;
        let lines: Vec<&str> = text.lines().collect();
        // Swap entries 2 and 3.
        let swapped = format!("{}\n{}\n{}\n{}\n", lines[0], lines[2], lines[1], lines[3]);
        let d = verify(swapped.as_bytes(), key.public_key(), None);
        assert!(!d.allowed());
        let bad_lines: Vec<u64> = d
            .violations()
            .iter()
            .filter_map(|v| v.facts.get("line").and_then(Value::as_u64))
            .collect();
        assert_eq!(bad_lines, vec![2, 3, 4]);
        assert!(
            d.violations()
                .iter()
                .all(|v| v.code == "audit/broken-chain")
        );
        // Another key: every line is reported, and nothing else.
        let other = SigningKey::from_seed(&[2; 32])?;
        let d = verify(text.as_bytes(), other.public_key(), None);
        assert_eq!(d.violations().len(), 4);
        assert!(
            d.violations()
                .iter()
                .all(|v| v.code == "audit/bad-signature")
        );
        Ok(())
    }
}
