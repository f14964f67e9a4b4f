//! Offline verification of a whole log, with the service's public key only.
//!
//! Every line is checked and every problem reported with its line number; nothing stops at the
//! first finding, because whoever investigates a tampered log needs to know which entries are
//! still good. A link is checked against the *recorded* hash of the entry before, so one
//! altered entry is reported once (its content no longer matches its hash) rather than again
//! on every line after it.

use serde_json::json;

use super::checkpoint::Checkpoint;
use super::entry::{Entry, Head};
use crate::decision::{Decision, Facts, Violation};
use crate::facts;
use crate::keys::PublicKey;
use crate::rule::codes;

/// Verifies `log` and returns the decision with the head of the last readable entry.
pub(crate) fn check(
    log: &[u8],
    key: &PublicKey,
    checkpoint: Option<&Checkpoint>,
) -> (Decision, Head) {
    // Every append ends with a newline; bytes after the last one are an interrupted append.
    let (lines, torn): (Vec<&[u8]>, &[u8]) = match log.iter().rposition(|&b| b == b'\n') {
        Some(i) => (log[..i].split(|&b| b == b'\n').collect(), &log[i + 1..]),
        None => (Vec::new(), log),
    };

    let mut violations = Vec::new();
    let mut expected = Head::genesis();
    let mut last = Head::genesis();
    let mut entries = 0usize;
    let mut at_checkpoint = None;
    for (index, line) in lines.iter().enumerate() {
        let n = index + 1;
        let parsed = match Entry::parse(line) {
            Ok(p) => p,
            Err(reason) => {
                violations.push(Violation::new(
                    codes::AUDIT_BROKEN_CHAIN,
                    format!("line {n} is not a log entry: {reason}"),
                    facts! {"line" => n, "error" => reason},
                ));
                // The next entry is checked against the last good one: an inserted line is
                // reported once, a garbled entry also breaks the link after it.
                continue;
            }
        };
        entries += 1;
        let entry = &parsed.entry;
        let mut reasons = Vec::new();
        let mut facts = facts! {"line" => n, "seq" => entry.seq()};
        if !parsed.canonical {
            reasons.push("it is not in the one spelling lockkeeper writes (keys sorted, no whitespace, minimal escapes): its bytes were edited".to_owned());
        }
        let want_seq = expected.count.saturating_add(1);
        if entry.seq() != want_seq {
            reasons.push(format!(
                "seq is {}, expected {want_seq}: entries were removed, inserted or reordered",
                entry.seq()
            ));
            facts.insert("expected_seq".into(), json!(want_seq));
        }
        if *entry.prev() != expected.hash {
            reasons.push("its `prev` is not the hash of the entry before it".to_owned());
            facts.insert("prev".into(), json!(entry.prev().to_string()));
            facts.insert("expected_prev".into(), json!(expected.hash.to_string()));
        }
        if parsed.computed != *entry.hash() {
            reasons.push(format!(
                "its content was altered: it hashes to {}, not the {} it records",
                parsed.computed,
                entry.hash()
            ));
            facts.insert("hash".into(), json!(entry.hash().to_string()));
            facts.insert("computed_hash".into(), json!(parsed.computed.to_string()));
        }
        if !reasons.is_empty() {
            violations.push(Violation::new(
                codes::AUDIT_BROKEN_CHAIN,
                format!("line {n} (seq {}): {}", entry.seq(), reasons.join("; ")),
                facts,
            ));
        }
        if !parsed.signed_by(key) {
            violations.push(Violation::new(
                codes::AUDIT_BAD_SIGNATURE,
                format!(
                    "the signature of line {n} (seq {}) does not verify under key {}: the entry was forged, or the log was written with another key",
                    entry.seq(),
                    key.keyid()
                ),
                facts! {"line" => n, "seq" => entry.seq(), "keyid" => key.keyid()},
            ));
        }
        if checkpoint.is_some_and(|c| c.count() == entry.seq()) && at_checkpoint.is_none() {
            at_checkpoint = Some((n, entry.hash().clone()));
        }
        expected = entry.head();
        last = entry.head();
    }

    if !torn.is_empty() {
        let n = lines.len() + 1;
        violations.push(Violation::new(
            codes::AUDIT_TORN_ENTRY,
            format!(
                "line {n} is incomplete ({} bytes without a final newline): an append was interrupted; the entries before it are intact",
                torn.len()
            ),
            facts! {"line" => n, "bytes" => torn.len()},
        ));
    }

    if let Some(cp) = checkpoint {
        let facts: Facts = facts! {
            "checkpoint_count" => cp.count(),
            "checkpoint_head" => cp.head().to_string(),
            "entries" => entries,
        };
        if !cp.signed_by(key) {
            let mut facts = facts;
            facts.insert("keyid".into(), json!(key.keyid()));
            violations.push(Violation::new(
                codes::AUDIT_BAD_SIGNATURE,
                format!(
                    "the checkpoint's signature does not verify under key {}: it was altered or made with another key, so it proves nothing",
                    key.keyid()
                ),
                facts,
            ));
        } else if cp.count() == 0 {
            if *cp.head() != Head::genesis().hash {
                violations.push(Violation::new(
                    codes::AUDIT_BROKEN_CHAIN,
                    "the checkpoint of an empty log names a head other than the all-zero hash",
                    facts,
                ));
            }
        } else {
            match at_checkpoint {
                None => violations.push(Violation::new(
                    codes::AUDIT_TRUNCATED,
                    format!(
                        "the checkpoint vouches for {} entries, but the log holds no entry {} (it has {entries}): entries were cut from the log",
                        cp.count(),
                        cp.count()
                    ),
                    facts,
                )),
                Some((line, hash)) if hash != *cp.head() => {
                    let mut facts = facts;
                    facts.insert("line".into(), json!(line));
                    facts.insert("hash".into(), json!(hash.to_string()));
                    violations.push(Violation::new(
                        codes::AUDIT_BROKEN_CHAIN,
                        format!(
                            "entry {} (line {line}) has hash {hash}, but the checkpoint recorded {}: the log was rewritten after the checkpoint",
                            cp.count(),
                            cp.head()
                        ),
                        facts,
                    ));
                }
                Some(_) => {}
            }
        }
    }

    let mut decision = Decision::new(format!(
        "audit log of {entries} entries (head {})",
        last.hash
    ));
    for v in violations {
        decision.deny(v);
    }
    let mut checks = vec![
        codes::AUDIT_BROKEN_CHAIN,
        codes::AUDIT_BAD_SIGNATURE,
        codes::AUDIT_TORN_ENTRY,
    ];
    if checkpoint.is_some() {
        checks.push(codes::AUDIT_TRUNCATED);
    }
    for code in checks {
        if !decision.has(code) {
            decision.pass(code);
        }
    }
    (decision, last)
}
