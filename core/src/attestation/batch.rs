//! Verifying many DSSE envelopes at once.
//!
//! Each envelope gets exactly the result [`Envelope::verify`] would give it alone; the batch is
//! only a cheaper way to reach it. Ed25519 signatures whose hint names a trusted key are checked
//! together with ed25519-dalek's `verify_batch` (one multi-scalar multiplication instead of one
//! per signature, about 0.4x the cost of a single `verify_strict` each at 64). When a batch
//! fails it is halved until the bad signatures are found, and a signature the batch could not
//! confirm goes through the single path (every hinted key, then every other key), so a bad
//! envelope never fails the others and a wrong hint still costs only time. Other schemes,
//! signatures without a usable hint, and sets of one or two are verified singly.
//!
//! One difference is inherent to batch equations: a signature or key built with a small-order
//! (torsion) component on purpose can fail `verify_strict` yet pass a batch, whose random
//! coefficients may cancel that component. Only the holder of a trusted key's secret can build
//! such a signature (the component must be chosen before the challenge is hashed; small-order
//! keys are refused when read), so it lets through nothing that key's holder could not sign
//! anyway; it only means such a crafted envelope could verify here in a batch and not alone.
//! Checking every nonce point for torsion would cost about as much as verifying it singly.

use std::borrow::Borrow;

use ed25519_dalek::{Signature, VerifyingKey};

use super::dsse::{Envelope, Verified, VerifyError, hinted, key_for};
use crate::keys::PublicKey;

/// The largest batch checked in one equation: beyond it the saving per signature is flat while
/// a bad signature makes the search for it longer.
const CHUNK: usize = 256;

/// Below this many, signatures are verified one by one.
const SINGLE: usize = 2;

struct Item<'a> {
    message: &'a [u8],
    signature: Signature,
    key: VerifyingKey,
    /// Where the outcome goes: (envelope, signature).
    slot: (usize, usize),
}

/// Verifies each envelope against trusted `keys` and a threshold of distinct keys. The result
/// at position `i` is what `envelopes[i].verify(keys, threshold)` returns.
pub fn verify_many<E: Borrow<Envelope>>(
    envelopes: &[E],
    keys: &[PublicKey],
    threshold: usize,
) -> Vec<Result<Verified, VerifyError>> {
    if threshold == 0 {
        return envelopes
            .iter()
            .map(|_| Err(VerifyError::ZeroThreshold))
            .collect();
    }
    let messages: Vec<Vec<u8>> = envelopes.iter().map(|e| e.borrow().pae()).collect();
    // The first hinted key of each signature, when the batch can check it.
    let mut items: Vec<Item<'_>> = Vec::new();
    let mut found: Vec<Vec<Option<usize>>> = Vec::with_capacity(envelopes.len());
    let mut settled: Vec<Vec<bool>> = Vec::with_capacity(envelopes.len());
    let mut candidates: Vec<Vec<Option<usize>>> = Vec::with_capacity(envelopes.len());
    for (e, (envelope, message)) in envelopes.iter().zip(&messages).enumerate() {
        let envelope: &Envelope = envelope.borrow();
        let count = envelope.signatures().len();
        found.push(vec![None; count]);
        settled.push(vec![false; count]);
        let mut wanted = vec![None; count];
        for (s, signature) in envelope.signatures().iter().enumerate() {
            let Some(index) = keys.iter().position(|k| hinted(signature, k)) else {
                continue;
            };
            let batchable = keys.get(index).and_then(PublicKey::ed25519_key);
            let parsed = Signature::from_slice(&signature.sig).ok();
            if let (Some(key), Some(parsed)) = (batchable, parsed) {
                wanted[s] = Some(index);
                items.push(Item {
                    message,
                    signature: parsed,
                    key: *key,
                    slot: (e, s),
                });
            }
        }
        candidates.push(wanted);
    }
    let mut confirmed = vec![false; items.len()];
    for (chunk, out) in items.chunks(CHUNK).zip(confirmed.chunks_mut(CHUNK)) {
        settle(chunk, out);
    }
    for (item, ok) in items.iter().zip(confirmed) {
        let (e, s) = item.slot;
        if ok {
            // The first hinted key verified it: what the single path would have found first.
            let index = candidates.get(e).and_then(|c| c.get(s)).copied().flatten();
            if let (Some(slot), Some(done)) = (
                found.get_mut(e).and_then(|f| f.get_mut(s)),
                settled.get_mut(e).and_then(|d| d.get_mut(s)),
            ) {
                *slot = index;
                *done = true;
            }
        }
    }
    envelopes
        .iter()
        .zip(&messages)
        .zip(found.into_iter().zip(settled))
        .map(|((envelope, message), (mut verifying, done))| {
            let envelope: &Envelope = envelope.borrow();
            for ((slot, done), signature) in
                verifying.iter_mut().zip(done).zip(envelope.signatures())
            {
                if !done {
                    *slot = key_for(signature, message, keys);
                }
            }
            envelope.decide(verifying, keys, threshold)
        })
        .collect()
}

/// Sets `ok[i]` when item `i` verifies: the whole set in one equation, halving on failure.
fn settle(items: &[Item<'_>], ok: &mut [bool]) {
    if items.len() <= SINGLE {
        for (item, ok) in items.iter().zip(ok.iter_mut()) {
            *ok = item
                .key
                .verify_strict(item.message, &item.signature)
                .is_ok();
        }
        return;
    }
    let messages: Vec<&[u8]> = items.iter().map(|i| i.message).collect();
    let signatures: Vec<Signature> = items.iter().map(|i| i.signature).collect();
    let keys: Vec<VerifyingKey> = items.iter().map(|i| i.key).collect();
    if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
        ok.fill(true);
        return;
    }
    let half = items.len() / 2;
    let (left, right) = items.split_at(half);
    let (ok_left, ok_right) = ok.split_at_mut(half);
    settle(left, ok_left);
    settle(right, ok_right);
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::keys::{KeyError, SigningKey};

    struct Signers {
        keys: Vec<SigningKey>,
    }

    fn signers() -> Result<Signers, KeyError> {
        Ok(Signers {
            keys: vec![
                SigningKey::from_seed(&[11; 32])?,
                SigningKey::from_seed(&[12; 32])?,
                SigningKey::from_p256_scalar(&[13; 32])?,
                // Not trusted.
                SigningKey::from_seed(&[14; 32])?,
            ],
        })
    }

    /// An envelope over `payload` with one signature per `(signer, damage)`: 0 intact, 1 a
    /// flipped signature byte, 2 a hint naming no key, 3 no hint, 4 a short signature, 5 the
    /// hint of another trusted key.
    fn envelope(s: &Signers, payload: &[u8], sigs: &[(usize, u8)]) -> Option<Envelope> {
        let mut all = Vec::new();
        for &(signer, damage) in sigs {
            let key = s.keys.get(signer % s.keys.len())?;
            let one = Envelope::sign("t", payload, &[key]).to_json_value();
            let mut sig = one["signatures"][0].clone();
            let raw = sig["sig"].as_str()?.to_owned();
            let mut bytes = super::super::dsse::decode_base64(&raw)?;
            match damage {
                1 => bytes[7] ^= 1,
                2 => sig["keyid"] = Value::String("nobody".into()),
                3 => sig["keyid"] = Value::Null,
                4 => bytes.truncate(40),
                5 => sig["keyid"] = Value::String(s.keys[(signer + 1) % 3].keyid().into()),
                _ => {}
            }
            sig["sig"] = Value::String(super::super::dsse::encode_base64(&bytes));
            all.push(sig);
        }
        let mut value = Envelope::sign("t", payload, &[]).to_json_value();
        value["signatures"] = Value::Array(all);
        Envelope::from_value(&value).ok()
    }

    fn trusted(s: &Signers) -> Vec<PublicKey> {
        s.keys[..3].iter().map(|k| k.public_key().clone()).collect()
    }

    #[test]
    fn one_bad_envelope_among_many_fails_alone() -> Result<(), KeyError> {
        let s = signers()?;
        let keys = trusted(&s);
        let mut envelopes: Vec<Envelope> = (0..70u32)
            .filter_map(|i| envelope(&s, &i.to_be_bytes(), &[((i % 2) as usize, 0)]))
            .collect();
        assert_eq!(envelopes.len(), 70);
        let good = verify_many(&envelopes, &keys, 1);
        assert!(good.iter().all(Result::is_ok));
        assert_eq!(good[3].as_ref().map(|v| v.keys.clone()), Ok(vec![1]));
        envelopes[33] = envelope(&s, b"bad", &[(0, 1)]).ok_or(KeyError::Weak)?;
        let results = verify_many(&envelopes, &keys, 1);
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.is_ok(), i != 33, "envelope {i}");
        }
        assert!(matches!(
            results[33],
            Err(VerifyError::ThresholdNotMet { verified: 0, .. })
        ));
        assert!(
            verify_many(&envelopes, &keys, 0)
                .iter()
                .all(|r| r == &Err(VerifyError::ZeroThreshold))
        );
        assert!(verify_many::<Envelope>(&[], &keys, 1).is_empty());
        Ok(())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(48))]
        #[test]
        fn batch_results_equal_single_results(
            specs in proptest::collection::vec(
                proptest::collection::vec((0usize..4, proptest::prop_oneof![
                    6 => proptest::strategy::Just(0u8), 1 => 1u8..6]), 0..4),
                0..90),
            threshold in 1usize..3,
            duplicate_key in proptest::bool::ANY,
        ) {
            let s = signers().map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let mut keys = trusted(&s);
            if duplicate_key {
                keys.push(keys[0].clone());
            }
            let envelopes: Vec<Envelope> = specs
                .iter()
                .enumerate()
                .filter_map(|(i, sigs)| envelope(&s, format!("payload {i}").as_bytes(), sigs))
                .collect();
            proptest::prop_assert_eq!(envelopes.len(), specs.len());
            let single: Vec<_> = envelopes.iter().map(|e| e.verify(&keys, threshold)).collect();
            proptest::prop_assert_eq!(verify_many(&envelopes, &keys, threshold), single);
        }
    }
}
