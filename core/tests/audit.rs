//! Properties of the audit log: any change to a logged entry fails verification; removing,
//! reordering or inserting entries fails; cutting entries from the end fails against a
//! checkpoint; appending a valid entry keeps a log valid; a torn last line is reported and
//! never appended to.

use lockkeeper::audit::{self, AuditError, Checkpoint};
use lockkeeper::keys::SigningKey;
use proptest::prelude::*;
use serde_json::{Map, Value};

fn key() -> SigningKey {
    SigningKey::from_seed(&[11; 32]).unwrap_or_else(|e| panic!("{e}"))
}

fn other_key() -> SigningKey {
    SigningKey::from_seed(&[12; 32]).unwrap_or_else(|e| panic!("{e}"))
}

/// A log holding `records`, in order.
fn log_of(records: &[Map<String, Value>], key: &SigningKey) -> Result<Vec<u8>, AuditError> {
    let mut log = Vec::new();
    for r in records {
        let appended = audit::append(&log, Value::Object(r.clone()).to_string().as_bytes(), key)?;
        log.extend_from_slice(appended.line.as_bytes());
    }
    Ok(log)
}

fn intact(log: &[u8], checkpoint: Option<&Checkpoint>) -> bool {
    audit::verify(log, key().public_key(), checkpoint).allowed()
}

fn lines(log: &[u8]) -> Vec<Vec<u8>> {
    log.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| l.iter().copied().chain([b'\n']))
        .collect()
}

/// Any JSON value: unicode strings with control characters, integers at the edges, finite
/// floats of every magnitude, nested arrays and objects.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO)
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn record() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("[a-z_é✓]{0,6}", json_value(), 0..4)
        .prop_map(|m| m.into_iter().collect())
}

fn records(max: usize) -> impl Strategy<Value = Vec<Map<String, Value>>> {
    prop::collection::vec(record(), 1..max)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn records_are_kept_as_given_and_a_valid_log_verifies(rs in records(6)) {
        let log = log_of(&rs, &key())?;
        prop_assert!(intact(&log, None));
        let cp = audit::checkpoint(&log, &key())?;
        prop_assert_eq!(cp.count(), rs.len() as u64);
        prop_assert!(intact(&log, Some(&cp)));
        for (line, want) in lines(&log).iter().zip(&rs) {
            let v: Value = serde_json::from_slice(line).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&v["record"], &Value::Object(want.clone()));
        }
    }

    #[test]
    fn changing_any_byte_of_any_entry_fails(rs in records(5), at in any::<prop::sample::Index>(), to in any::<u8>()) {
        let log = log_of(&rs, &key())?;
        let i = at.index(log.len());
        prop_assume!(log[i] != to);
        let mut changed = log.clone();
        changed[i] = to;
        prop_assert!(!intact(&changed, None), "byte {} -> {:?} still verifies", i, to as char);
    }

    #[test]
    fn removing_reordering_or_inserting_entries_fails(rs in records(6), a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
        let log = log_of(&rs, &key())?;
        let ls = lines(&log);
        let n = ls.len();
        let (i, j) = (a.index(n), b.index(n));
        // Removing any entry but the last breaks the chain; removing the last one shortens it,
        // which only a checkpoint shows.
        let cp = audit::checkpoint(&log, &key())?;
        let mut removed = ls.clone();
        removed.remove(i);
        if i + 1 < n {
            prop_assert!(!intact(&join(&removed), None));
        }
        let d = audit::verify(&join(&removed), key().public_key(), Some(&cp));
        prop_assert!(!d.allowed());
        if i + 1 == n {
            prop_assert!(d.has("audit/truncated"), "{}", d);
        }
        // Reordering.
        if ls[i] != ls[j] {
            let mut swapped = ls.clone();
            swapped.swap(i, j);
            prop_assert!(!intact(&join(&swapped), None));
        }
        // Inserting a copy of an entry anywhere.
        let mut dup = ls.clone();
        dup.insert(j, ls[i].clone());
        prop_assert!(!intact(&join(&dup), None));
        // Inserting an entry of another log signed by the same key, at the same position.
        let mut other_records = rs.clone();
        other_records[i].insert("forged".into(), Value::Bool(true));
        let other = lines(&log_of(&other_records, &key())?);
        let mut spliced = ls.clone();
        spliced.insert(i, other[i].clone());
        prop_assert!(!intact(&join(&spliced), None));
        // Replacing an entry by the other log's entry at the same position (which only the
        // key holder can make): the next entry no longer links to it, and for the last entry
        // the checkpoint kept from before catches it.
        let mut replaced = ls.clone();
        replaced[i] = other[i].clone();
        prop_assert!(!audit::verify(&join(&replaced), key().public_key(), Some(&cp)).allowed());
        if i + 1 < n {
            prop_assert!(!intact(&join(&replaced), None));
        }
    }

    #[test]
    fn appending_a_valid_entry_keeps_the_log_valid(rs in records(5), extra in record()) {
        let log = log_of(&rs, &key())?;
        let cp = audit::checkpoint(&log, &key())?;
        let appended = audit::append(&log, Value::Object(extra.clone()).to_string().as_bytes(), &key())?;
        prop_assert_eq!(appended.entry.seq(), rs.len() as u64 + 1);
        prop_assert_eq!(appended.entry.record(), &extra);
        let mut longer = log.clone();
        longer.extend_from_slice(appended.line.as_bytes());
        prop_assert!(intact(&longer, None));
        // A checkpoint kept from before still holds: the log only grew.
        prop_assert!(intact(&longer, Some(&cp)));
    }

    #[test]
    fn a_torn_last_line_is_reported_and_never_appended_to(rs in records(5), keep in any::<prop::sample::Index>()) {
        let log = log_of(&rs, &key())?;
        let next = audit::append(&log, b"{\"next\": true}", &key())?;
        // Any strict prefix of the next line, newline excluded, as a crash could leave it.
        let cut = 1 + keep.index(next.line.len() - 1);
        let mut torn = log.clone();
        torn.extend_from_slice(&next.line.as_bytes()[..cut]);
        let d = audit::verify(&torn, key().public_key(), None);
        prop_assert!(!d.allowed());
        prop_assert!(d.has("audit/torn-entry"));
        // Nothing else is wrong: the entries before the torn line are intact.
        prop_assert_eq!(d.violations().len(), 1);
        prop_assert_eq!(d.violations()[0].facts.get("line").and_then(Value::as_u64), Some(rs.len() as u64 + 1));
        let err = audit::append(&torn, b"{}", &key()).err();
        prop_assert_eq!(err.as_ref().map(|e| e.code().as_str()), Some("audit/torn-entry"));
        prop_assert_eq!(err.and_then(|e| e.line()), Some(rs.len() + 1));
    }
}

/// Every byte of a small log, changed in a handful of ways: none of them verifies.
#[test]
fn every_single_byte_change_fails_exhaustively() -> Result<(), AuditError> {
    let rs: Vec<Map<String, Value>> = [
        r#"{"allowed": false, "subject": "dave: deploy", "n": 1.5e300, "s": "é\n"}"#,
        r#"{"allowed": true, "codes": [], "facts": {"a": [1, -2, 0.25]}}"#,
        r#"{"x": null}"#,
    ]
    .iter()
    .map(|t| audit::parse_record(t.as_bytes()))
    .collect::<Result<_, _>>()?;
    let log = log_of(&rs, &key())?;
    assert!(intact(&log, None));
    let mut survivors = Vec::new();
    for i in 0..log.len() {
        for to in [
            log[i] ^ 0x01,
            log[i] ^ 0x20,
            log[i] ^ 0x80,
            b'\n',
            b' ',
            b'0',
            b'"',
        ] {
            if to == log[i] {
                continue;
            }
            let mut changed = log.clone();
            changed[i] = to;
            if intact(&changed, None) {
                survivors.push((i, to));
            }
        }
    }
    assert!(survivors.is_empty(), "changes that verify: {survivors:?}");
    Ok(())
}

#[test]
fn a_log_written_with_another_key_fails_on_every_line() -> Result<(), AuditError> {
    let rs = vec![Map::new(), Map::new()];
    let log = log_of(&rs, &other_key())?;
    let d = audit::verify(&log, key().public_key(), None);
    assert_eq!(d.violations().len(), 2);
    assert!(
        d.violations()
            .iter()
            .all(|v| v.code == "audit/bad-signature")
    );
    // And a checkpoint made with another key proves nothing.
    let cp = audit::checkpoint(&log, &other_key())?;
    let mine = log_of(&rs, &key())?;
    let d = audit::verify(&mine, key().public_key(), Some(&cp));
    assert!(d.has("audit/bad-signature"));
    assert!(!d.has("audit/truncated"));
    Ok(())
}

#[test]
fn an_empty_log_is_intact_and_its_checkpoint_is_the_genesis() -> Result<(), AuditError> {
    assert!(intact(b"", None));
    let cp = audit::checkpoint(b"", &key())?;
    assert_eq!(cp.count(), 0);
    assert_eq!(cp.head().hex(), "0".repeat(64));
    assert!(intact(b"", Some(&cp)));
    // A blank line is not an entry.
    let d = audit::verify(b"\n", key().public_key(), None);
    assert!(d.has("audit/broken-chain"));
    Ok(())
}

#[test]
fn a_log_cut_below_its_checkpoint_is_truncated_and_a_rewritten_one_broken() -> Result<(), AuditError>
{
    let rs: Vec<Map<String, Value>> = (0..4)
        .map(|i| {
            let mut m = Map::new();
            m.insert("i".into(), Value::from(i));
            m
        })
        .collect();
    let log = log_of(&rs, &key())?;
    let cp = audit::checkpoint(&log, &key())?;
    let ls = lines(&log);
    let d = audit::verify(&join(&ls[..2]), key().public_key(), Some(&cp));
    assert_eq!(
        d.violations().iter().map(|v| v.code).collect::<Vec<_>>(),
        vec!["audit/truncated"]
    );
    // Whoever holds the key can rewrite history into a consistent chain; the checkpoint still
    // catches it.
    let mut rewritten_records = rs.clone();
    rewritten_records[2].insert("i".into(), Value::from(99));
    let rewritten = log_of(&rewritten_records, &key())?;
    assert!(intact(&rewritten, None));
    let d = audit::verify(&rewritten, key().public_key(), Some(&cp));
    assert_eq!(
        d.violations().iter().map(|v| v.code).collect::<Vec<_>>(),
        vec!["audit/broken-chain"]
    );
    assert_eq!(
        d.violations()[0].facts.get("line").and_then(Value::as_u64),
        Some(4)
    );
    Ok(())
}
