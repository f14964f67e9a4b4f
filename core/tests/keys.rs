//! Keys and signatures written by other tools (`testdata/fixtures/sigstore/keys`, `.../dsse`,
//! `dsse/`, `intoto-layout/`; see their SOURCES.md): every key file parses or is refused for
//! its documented reason, key ids are the ones securesystemslib and in-toto computed, and the
//! ECDSA and RSA signatures over DSSE envelopes and in-toto metablocks verify with their key only.

mod common;

use common::{fixtures, read};
use std::fs;

use lockkeeper::attestation::Envelope;
use lockkeeper::keys::{KeyError, PublicKey, Scheme, SigningKey};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn text(rel: &str) -> Result<String, Box<dyn std::error::Error>> {
    Ok(String::from_utf8(read(rel)?)?)
}

fn key(rel: &str) -> Result<PublicKey, Box<dyn std::error::Error>> {
    Ok(PublicKey::parse_bytes(&read(rel)?)?)
}

/// What each key file under `sigstore/keys` is, per SOURCES.md §4.
enum Expect {
    Public(Scheme),
    Unsupported(&'static str),
    /// Not a public key: a private key (checked again with `SigningKey` below).
    Private,
}

const KEYS: &[(&str, Expect)] = {
    use Expect::*;
    use Scheme::*;
    &[
        (
            "go-securesystemslib/ecdsa-test-key-pem.pub",
            Public(EcdsaP256Sha256),
        ),
        (
            "go-securesystemslib/ecdsa-test-key.pub.json",
            Public(EcdsaP256Sha256),
        ),
        // A private key object still carries its public half, which is what a verifier reads.
        (
            "go-securesystemslib/ecdsa-test-key.TEST-ONLY.json",
            Public(EcdsaP256Sha256),
        ),
        ("go-securesystemslib/rsa-test-key.pub", Public(RsaSha256)),
        ("go-securesystemslib/rsa-test-key.TEST-ONLY.pem", Private),
        (
            "go-securesystemslib/rsa-test-key-pkcs8.TEST-ONLY.pem",
            Private,
        ),
        (
            "sigstore-rs/ECDSA_P256_ASN1_PUBLIC_PEM.pub",
            Public(EcdsaP256Sha256),
        ),
        (
            "sigstore-rs/ECDSA_P256_ASN1_PUBLIC_DER.pub",
            Public(EcdsaP256Sha256),
        ),
        ("sigstore-rs/ecdsa_private.TEST-ONLY.key", Private),
        ("sigstore-rs/ecdsa_encrypted_private.TEST-ONLY.key", Private),
        ("sigstore-rs/rsa_encrypted_private.TEST-ONLY.key", Private),
        (
            "sigstore-rs/ed25519_encrypted_private.TEST-ONLY.key",
            Private,
        ),
        (
            "sigstore-rs/cosign_generated_encrypted_empty_private.TEST-ONLY.key",
            Private,
        ),
        (
            "sigstore-rs/ECDSA_P256_ASN1_ENCRYPTED_PRIVATE_PEM.TEST-ONLY.key",
            Private,
        ),
        ("sigstore-java/test-ec.pub", Public(EcdsaP256Sha256)),
        ("sigstore-java/test-rsa.pub", Public(RsaSha256)),
        ("cosign/cosign-test.pub", Public(EcdsaP256Sha256)),
        ("cosign/release-cosign.pub", Public(EcdsaP256Sha256)),
        ("cosign/rsa_pkcs1_public.pem", Public(RsaSha256)),
        ("cosign/google_rsa_spki.pem", Public(RsaSha256)),
        (
            "securesystemslib/ecdsa_p256_public.pem",
            Public(EcdsaP256Sha256),
        ),
        ("securesystemslib/ecdsa_p256_private.TEST-ONLY.pem", Private),
        (
            "securesystemslib/ecdsa_p384_public.pem",
            Public(EcdsaP384Sha384),
        ),
        ("securesystemslib/ecdsa_p384_private.TEST-ONLY.pem", Private),
        (
            "securesystemslib/ecdsa_p521_public.pem",
            Unsupported("P-521"),
        ),
        ("securesystemslib/rsa_public.pem", Public(RsaSha256)),
        ("securesystemslib/rsa_private.TEST-ONLY.pem", Private),
        (
            "securesystemslib/keystore_ecdsa_key.pub.json",
            Public(EcdsaP256Sha256),
        ),
        (
            "securesystemslib/keystore_rsa_key.pub.pem",
            Public(RsaSha256),
        ),
        (
            "securesystemslib/keystore_ed25519_key.pub.json",
            Public(Ed25519),
        ),
        (
            "securesystemslib/legacy_ecdsa_public.json",
            Public(EcdsaP256Sha256),
        ),
        ("securesystemslib/legacy_rsa_public.pem", Public(RsaSha256)),
        ("in-toto-golang/carol_ed25519.pub", Public(Ed25519)),
        ("in-toto-golang/frank_p521.pub", Unsupported("P-521")),
        ("in-toto-golang/dan_rsa.pub", Public(RsaSha256)),
        ("in-toto-golang/grace_p384.pub", Public(EcdsaP384Sha384)),
        ("in-toto-golang/heidi_p224.pub", Unsupported("P-224")),
        (
            "in-toto-golang/erin_secp256k1.pub",
            Unsupported("secp256k1"),
        ),
    ]
};

#[test]
fn every_vendored_key_parses_or_is_refused_for_its_documented_reason() -> TestResult {
    let dir = fixtures().join("sigstore/keys");
    let mut on_disk = Vec::new();
    for sub in fs::read_dir(&dir)? {
        for file in fs::read_dir(sub?.path())? {
            let path = file?.path();
            on_disk.push(path.strip_prefix(&dir)?.to_string_lossy().into_owned());
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = KEYS.iter().map(|(p, _)| (*p).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every key file has an expected result");

    for (rel, expect) in KEYS {
        let got = PublicKey::parse_bytes(&read(&format!("sigstore/keys/{rel}"))?);
        match (expect, got) {
            (Expect::Public(scheme), Ok(k)) => {
                assert_eq!(k.scheme(), *scheme, "{rel}");
                // Re-encoding keeps the key.
                assert_eq!(PublicKey::from_pem(&k.to_pem())?, k, "{rel}");
                assert_eq!(PublicKey::from_der(k.spki_der())?, k, "{rel}");
                let back = PublicKey::from_securesystemslib(&k.to_securesystemslib())?;
                assert_eq!(back, k, "{rel}");
            }
            (Expect::Unsupported(curve), Err(KeyError::Unsupported(why))) => {
                assert!(why.contains(curve), "{rel}: {why}");
            }
            (Expect::Private, Err(KeyError::Format(why))) => {
                assert!(why.contains("PRIVATE KEY"), "{rel}: {why}");
            }
            (_, other) => panic!("{rel}: unexpected {other:?}"),
        }
    }
    Ok(())
}

#[test]
fn private_keys_sign_with_p256_or_ed25519_and_name_what_they_refuse() -> TestResult {
    let k = SigningKey::from_pem(&text(
        "sigstore/keys/securesystemslib/ecdsa_p256_private.TEST-ONLY.pem",
    )?)?;
    assert_eq!(
        k.public_key(),
        &key("sigstore/keys/securesystemslib/ecdsa_p256_public.pem")?
    );
    let k = SigningKey::from_pem(&text(
        "sigstore/keys/sigstore-rs/ecdsa_private.TEST-ONLY.key",
    )?)?;
    assert_eq!(k.public_key().scheme(), Scheme::EcdsaP256Sha256);
    for (rel, says) in [
        ("securesystemslib/ecdsa_p384_private.TEST-ONLY.pem", "P-384"),
        ("securesystemslib/rsa_private.TEST-ONLY.pem", "RSA"),
        ("go-securesystemslib/rsa-test-key.TEST-ONLY.pem", "RSA"),
        (
            "go-securesystemslib/rsa-test-key-pkcs8.TEST-ONLY.pem",
            "RSA",
        ),
    ] {
        match SigningKey::from_pem(&text(&format!("sigstore/keys/{rel}"))?) {
            Err(KeyError::Unsupported(why)) => assert!(why.contains(says), "{rel}: {why}"),
            other => panic!("{rel}: unexpected {other:?}"),
        }
    }
    // cosign's encrypted format is not read: the error says it is not a plain private key.
    for rel in [
        "sigstore-rs/ecdsa_encrypted_private.TEST-ONLY.key",
        "sigstore-rs/cosign_generated_encrypted_empty_private.TEST-ONLY.key",
    ] {
        assert!(matches!(
            SigningKey::from_pem(&text(&format!("sigstore/keys/{rel}"))?),
            Err(KeyError::Format(_))
        ));
    }
    Ok(())
}

#[test]
fn key_ids_are_the_ones_securesystemslib_and_in_toto_computed() -> TestResult {
    for (rel, id) in [
        (
            "sigstore/keys/go-securesystemslib/ecdsa-test-key.pub.json",
            "98adf38602c48c5479e9a991ee3f8cbf541ee4f985e00f7a5fc4148d9a45b704",
        ),
        (
            "sigstore/keys/securesystemslib/keystore_ecdsa_key.pub.json",
            "985171ff",
        ),
        (
            "sigstore/keys/securesystemslib/legacy_ecdsa_public.json",
            "57b7afab",
        ),
        (
            "intoto-layout/in-toto_bob.pub",
            "776a00e29f3559e0141b3b096f696abc6cfb0c657ab40f441132b345b08453f5",
        ),
        (
            "intoto-layout/in-toto-golang_alice.pub",
            "70ca5750c2eda80b18f41f4ec5f92146789b5d68dd09577be422a0159bd13680",
        ),
        (
            "intoto-layout/in-toto-rs_alice.pub",
            "556caebdc0877eed53d419b60eddb1e57fa773e4e31d70698b588f3e9cc48b35",
        ),
        (
            "sigstore/keys/go-securesystemslib/rsa-test-key.pub",
            "4e8d20af09fcaed6c388a186427f94a5f7ff5591ec295f4aab2cff49ffe39e9b",
        ),
    ] {
        let k = key(rel)?;
        assert!(
            k.keyids().iter().any(|k| k.starts_with(id)),
            "{rel}: {:?}",
            k.keyids()
        );
    }
    Ok(())
}

#[test]
fn one_key_in_any_encoding_is_one_key() -> TestResult {
    let json = key("sigstore/keys/go-securesystemslib/ecdsa-test-key.pub.json")?;
    let pem = key("sigstore/keys/go-securesystemslib/ecdsa-test-key-pem.pub")?;
    assert_eq!(json, pem);
    // SOURCES.md calls sigstore-rs's DER and PEM files "the same key", but their points differ
    // (the example generated each file anew); each equals its own re-encoding instead.
    let der = key("sigstore/keys/sigstore-rs/ECDSA_P256_ASN1_PUBLIC_DER.pub")?;
    assert_eq!(der, PublicKey::from_pem(&der.to_pem())?);
    assert_ne!(
        der,
        key("sigstore/keys/sigstore-rs/ECDSA_P256_ASN1_PUBLIC_PEM.pub")?
    );
    // The same RSA key pinned to another scheme is still the same key.
    let bob = key("intoto-layout/in-toto_bob.pub")?;
    let pkcs1 = bob
        .clone()
        .with_scheme(Scheme::from_name("rsa-pkcs1v15-sha256").ok_or("scheme")?)?;
    assert_eq!(bob, pkcs1);
    Ok(())
}

/// A PKCS#1 `RSAPublicKey` with a modulus of `bits` bits (all ones: only the size matters).
fn pkcs1_pem(bits: usize) -> String {
    let n_len = bits / 8;
    let mut modulus = vec![0u8];
    modulus.extend(std::iter::repeat_n(0xffu8, n_len));
    let int = |bytes: &[u8]| {
        let mut out = vec![0x02];
        out.extend(der_len(bytes.len()));
        out.extend_from_slice(bytes);
        out
    };
    let mut body = int(&modulus);
    body.extend(int(&[0x01, 0x00, 0x01]));
    let mut der = vec![0x30];
    der.extend(der_len(body.len()));
    der.extend(body);
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN RSA PUBLIC KEY-----\n{b64}\n-----END RSA PUBLIC KEY-----\n")
}

fn der_len(len: usize) -> Vec<u8> {
    if len < 128 {
        vec![len as u8]
    } else if len < 256 {
        vec![0x81, len as u8]
    } else {
        vec![0x82, (len >> 8) as u8, len as u8]
    }
}

#[test]
fn rsa_keys_under_2048_bits_are_refused_with_their_size() {
    assert_eq!(
        PublicKey::parse(&pkcs1_pem(1024)),
        Err(KeyError::TooSmall { bits: 1024 })
    );
    assert_eq!(
        PublicKey::parse(&pkcs1_pem(2040)),
        Err(KeyError::TooSmall { bits: 2040 })
    );
    let ok = PublicKey::parse(&pkcs1_pem(2048));
    assert!(ok.is_ok(), "{ok:?}");
    assert!(matches!(
        PublicKey::parse(&pkcs1_pem(8200)),
        Err(KeyError::Unsupported(why)) if why.contains("8200 bits")
    ));
    let err = lockkeeper::Error::from(KeyError::TooSmall { bits: 1024 });
    assert_eq!(err.code(), "input/unsupported-key");
    assert!(err.to_string().contains("1024 bits"));
}

#[test]
fn ecdsa_and_rsa_dsse_envelopes_verify_with_their_key_only() -> TestResult {
    let vector: Value = serde_json::from_slice(&read("dsse/dsse_protocol-test-vector.key.json")?)?;
    let spec_key = PublicKey::parse(vector["public_key_pem"].as_str().ok_or("pem")?)?;
    let vsa_key = key("dsse/slsa-verifier_vsa_signing_public_key.pem")?;
    let bob = key("intoto-layout/in-toto_bob.pub")?;
    let dan = key("sigstore/keys/in-toto-golang/dan_rsa.pub")?;
    let alice = key("intoto-layout/in-toto-golang_alice.pub")?;
    let cases: [(&str, &PublicKey); 5] = [
        // Raw r||s signatures (not DER).
        ("dsse/dsse_protocol-test-vector.envelope.json", &spec_key),
        ("dsse/slsa-verifier_gke-gce-pre.bcid-vsa.jsonl", &vsa_key),
        // RSA-PSS, securesystemslib's default RSA scheme.
        (
            "sigstore/dsse/in-toto-golang_update-version-dsse.776a00e2.link",
            &bob,
        ),
        ("intoto-layout/in-toto_dsse_write-code.776a00e2.link", &bob),
        ("intoto-layout/in-toto-golang_dsse-only.root.layout", &alice),
    ];
    let all = [&spec_key, &vsa_key, &bob, &dan, &alice];
    for (rel, right) in cases {
        let env = Envelope::from_json(read(rel)?.trim_ascii())?;
        let verified = env.verify(std::slice::from_ref(right), 1);
        assert!(verified.is_ok(), "{rel}: {verified:?}");
        for other in all.iter().filter(|k| **k != right) {
            assert!(
                env.verify(&[(*other).clone()], 1).is_err(),
                "{rel} verified with {other:?}"
            );
        }
        // A key given in a second encoding is not a second key.
        let again = PublicKey::from_securesystemslib(&right.to_securesystemslib())?;
        assert!(env.verify(&[right.clone(), again], 2).is_err(), "{rel}");
    }
    // The DSSE spec's key, restricted to PKCS#1 v1.5, no longer verifies bob's PSS signature.
    let env = Envelope::from_json(&read(
        "intoto-layout/in-toto_dsse_write-code.776a00e2.link",
    )?)?;
    let strict = bob
        .clone()
        .with_scheme(Scheme::from_name("rsa-pkcs1v15-sha256").ok_or("scheme")?)?;
    assert!(env.verify(&[strict], 1).is_err());
    let pss = bob.with_scheme(Scheme::from_name("rsassa-pss-sha256").ok_or("scheme")?)?;
    assert!(env.verify(&[pss], 1).is_ok());
    Ok(())
}

#[test]
fn a_layouts_securesystemslib_rsa_keys_verify_its_dsse_links() -> TestResult {
    let layout = Envelope::from_json(&read("intoto-layout/in-toto-golang_dsse-only.root.layout")?)?;
    let payload: Value = serde_json::from_slice(layout.payload())?;
    let keys = payload["keys"].as_object().ok_or("keys")?;
    let mut checked = 0;
    for (id, object) in keys {
        let k = PublicKey::from_securesystemslib(object)?;
        assert!(k.has_keyid(id), "{id}: {:?}", k.keyids());
        assert_eq!(k.scheme().name(), "rsassa-pss-sha256");
        for link in ["clone-dsse", "package-dsse"] {
            let rel = format!("intoto-layout/in-toto-golang_{link}.{}.link", &id[..8]);
            let Ok(bytes) = read(&rel) else { continue };
            let env = Envelope::from_json(&bytes)?;
            assert!(env.verify(std::slice::from_ref(&k), 1).is_ok(), "{rel}");
            checked += 1;
        }
    }
    assert_eq!(checked, 2);
    Ok(())
}

fn canonical(value: &Value) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, olpc_cjson::CanonicalFormatter::new());
    serde::Serialize::serialize(value, &mut ser)?;
    Ok(out)
}

#[test]
fn legacy_metablocks_signed_with_ecdsa_der_and_rsa_pss_verify() -> TestResult {
    for (rel, key_rel) in [
        (
            "sigstore/dsse/go-securesystemslib_test-ecdsa.98adf386.link",
            "sigstore/keys/go-securesystemslib/ecdsa-test-key.pub.json",
        ),
        (
            "sigstore/dsse/go-securesystemslib_test-rsa.4e8d20af.link",
            "sigstore/keys/go-securesystemslib/rsa-test-key.pub",
        ),
    ] {
        let block: Value = serde_json::from_slice(&read(rel)?)?;
        let signed = canonical(&block["signed"])?;
        let sig_hex = block["signatures"][0]["sig"].as_str().ok_or("sig")?;
        let sig: Vec<u8> = (0..sig_hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&sig_hex[i..i + 2], 16))
            .collect::<Result<_, _>>()?;
        let k = key(key_rel)?;
        let hint = block["signatures"][0]["keyid"].as_str().ok_or("keyid")?;
        assert!(k.has_keyid(hint), "{rel}");
        assert!(k.verify(&signed, &sig), "{rel}");
        let mut tampered = signed.clone();
        tampered[10] ^= 1;
        assert!(!k.verify(&tampered, &sig), "{rel}");
    }
    Ok(())
}

#[test]
fn a_p256_envelope_of_ours_verifies_across_schemes_with_distinct_keys() -> TestResult {
    let p256 = SigningKey::from_p256_scalar(&[7; 32])?;
    let ed = SigningKey::from_seed(&[7; 32])?;
    let env = Envelope::sign("t", b"x", &[&p256, &ed]);
    // DER signatures, as securesystemslib expects.
    assert_eq!(env.signatures()[0].sig.first(), Some(&0x30));
    let keys = [p256.public_key().clone(), ed.public_key().clone()];
    assert_eq!(env.verify(&keys, 2)?.keyids.len(), 2);
    let twice = [
        p256.public_key().clone(),
        PublicKey::parse(&p256.public_key().to_pem())?,
    ];
    assert!(env.verify(&twice, 2).is_err());
    Ok(())
}

#[test]
fn an_audit_log_signed_with_a_p256_key_verifies_with_it_only() -> TestResult {
    use lockkeeper::audit;
    let key = SigningKey::from_p256_scalar(&[3; 32])?;
    let mut log = Vec::new();
    for i in 0..3 {
        let appended = audit::append(&log, format!("{{\"i\": {i}}}").as_bytes(), &key)?;
        log.extend_from_slice(appended.line.as_bytes());
    }
    assert!(audit::verify(&log, key.public_key(), None).allowed());
    let other = SigningKey::from_p256_scalar(&[4; 32])?;
    assert!(!audit::verify(&log, other.public_key(), None).allowed());
    Ok(())
}

#[test]
fn policy_builders_trust_ecdsa_and_rsa_keys_and_count_each_key_once() -> TestResult {
    use lockkeeper::Policy;
    use lockkeeper::attestation::ProvenanceBuilder;
    use lockkeeper::digest::Digest;
    let key = SigningKey::from_p256_scalar(&[5; 32])?;
    let pem = serde_json::Value::String(key.public_key().to_pem());
    let object = key.public_key().to_securesystemslib();
    let bob = serde_json::Value::String(text("intoto-layout/in-toto_bob.pub")?);
    let policy = |keys: String, threshold: usize| {
        Policy::from_yaml(&format!(
            "zones: {{trusted: {{}}}}\nenvironments: {{production: {{min_build_zone: trusted}}}}\n\
             builders: {{\"https://ci/b\": {{zone: trusted, threshold: {threshold}, keys: [{keys}]}}}}\n"
        ))
    };
    let artifact = Digest::sha256(b"app");
    let statement = ProvenanceBuilder::new("https://ci/b")
        .subject("app", artifact.clone())
        .build()
        .to_json();
    let envelope = Envelope::sign(
        lockkeeper::attestation::IN_TOTO_PAYLOAD_TYPE,
        statement.as_bytes(),
        &[&key],
    )
    .to_json();
    for keys in [format!("{pem}, {bob}"), format!("{object}, {bob}")] {
        let p = policy(keys, 1).map_err(|e| e.render("policy"))?;
        let d = p.verify_provenance(envelope.as_bytes(), &artifact, Some("production"))?;
        assert!(d.allowed(), "{d:?}");
        // Two keys are trusted, one signed: a threshold of two is not met.
        let two = policy(format!("{pem}, {bob}"), 2).map_err(|e| e.render("policy"))?;
        let d = two.verify_provenance(envelope.as_bytes(), &artifact, Some("production"))?;
        assert!(!d.allowed());
    }
    // The same key as PEM and as a securesystemslib object is listed twice.
    let twice = policy(format!("{pem}, {object}"), 2)
        .err()
        .ok_or("policy accepted")?;
    assert_eq!(twice.code().as_str(), "policy/duplicate-name");
    Ok(())
}
