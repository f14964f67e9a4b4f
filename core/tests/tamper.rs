//! Property: a single-bit change anywhere in a signed envelope turns an allow into a denial.
//! The one exception is the `keyid` hint, which DSSE leaves unauthenticated: changing it must
//! not change the decision either way.

use lockkeeper::Policy;
use lockkeeper::attestation::{Envelope, IN_TOTO_PAYLOAD_TYPE, ProvenanceBuilder};
use lockkeeper::digest::Digest;
use lockkeeper::keys::SigningKey;
use proptest::prelude::*;

struct Setup {
    policy: Policy,
    artifact: Digest,
    plain: Vec<u8>,
    hinted: Vec<u8>,
}

fn setup() -> Setup {
    let key = SigningKey::from_seed(&[9; 32]).unwrap_or_else(|e| panic!("{e}"));
    let policy = Policy::from_yaml(&format!(
        "zones: {{trusted: {{}}}}\nenvironments: {{production: {{min_build_zone: trusted}}}}\n\
         builders: {{\"https://ci/b\": {{zone: trusted, keys: [\"{}\"]}}}}\n",
        key.public_key().to_securesystemslib()["keyval"]["public"]
            .as_str()
            .unwrap_or_default()
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let artifact = Digest::sha256(b"app");
    let statement = ProvenanceBuilder::new("https://ci/b")
        .subject("app", artifact.clone())
        .source("git+https://g/r/app", Some("refs/heads/main"), None)
        .build()
        .to_json();
    let hinted = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, statement.as_bytes(), &[&key]);
    let mut plain = hinted.to_json_value();
    if let Some(sig) = plain["signatures"][0].as_object_mut() {
        sig.remove("keyid");
    }
    Setup {
        policy,
        artifact,
        plain: plain.to_string().into_bytes(),
        hinted: hinted.to_json().into_bytes(),
    }
}

fn allowed(s: &Setup, bytes: &[u8]) -> bool {
    s.policy
        .verify_provenance(bytes, &s.artifact, Some("production"))
        .map(|d| d.allowed())
        .unwrap_or(false)
}

fn flip(bytes: &[u8], bit: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[bit / 8] ^= 1 << (bit % 8);
    out
}

/// The bytes of the hint: the whole `"keyid":"..."` member (renaming the field drops the hint,
/// which must not matter either) or, with `value_only`, just its value.
fn keyid_range(bytes: &[u8], value_only: bool) -> std::ops::Range<usize> {
    let text = String::from_utf8_lossy(bytes);
    let member = text.find("\"keyid\":\"").unwrap_or(0);
    let value = member + 9;
    let end = text[value..].find('"').map(|i| value + i).unwrap_or(value);
    if value_only {
        value..end
    } else {
        member..end + 1
    }
}

#[test]
fn the_untouched_envelopes_are_allowed() {
    let s = setup();
    assert!(allowed(&s, &s.plain));
    assert!(allowed(&s, &s.hinted));
}

#[test]
fn every_single_bit_flip_of_an_envelope_without_hint_is_denied() {
    // Exhaustive: every bit of the envelope.
    let s = setup();
    for bit in 0..s.plain.len() * 8 {
        assert!(
            !allowed(&s, &flip(&s.plain, bit)),
            "bit {bit} flipped and still allowed"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_bit_flip_outside_the_hint_is_denied(bit in 0usize..100_000) {
        let s = setup();
        let bit = bit % (s.hinted.len() * 8);
        let hint = keyid_range(&s.hinted, false);
        prop_assume!(!hint.contains(&(bit / 8)));
        prop_assert!(!allowed(&s, &flip(&s.hinted, bit)));
    }

    #[test]
    fn changing_the_hint_changes_nothing(offset in 0usize..64, mask in 1u8..=255) {
        let s = setup();
        let hint = keyid_range(&s.hinted, true);
        let i = hint.start + offset % hint.len().max(1);
        let mut bytes = s.hinted.clone();
        // Keep it a printable hex-ish character so the JSON stays valid.
        bytes[i] = b"0123456789abcdef"[usize::from(mask % 16)];
        prop_assert!(allowed(&s, &bytes));
    }
}
