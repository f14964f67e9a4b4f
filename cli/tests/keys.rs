//! Keys beyond ed25519 on the command line: P-256 key pairs, envelopes signed by other tools
//! with ECDSA and RSA keys, and keys refused with their rule code.

mod common;

use common::{TestResult, lockkeeper, path, stderr, stdout};

#[test]
fn a_p256_key_pair_signs_and_verifies_alongside_ed25519() -> TestResult {
    let dir = std::env::temp_dir().join(format!("lockkeeper-cli-p256-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let p256 = dir.join("p256").to_string_lossy().into_owned();
    let ed = dir.join("ed").to_string_lossy().into_owned();
    let out = lockkeeper(&["keygen", "--out", &p256, "--scheme", "ecdsa-p256"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let p256_id = stdout(&out).trim().to_owned();
    let out = lockkeeper(&["keygen", "--out", &ed]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::read_to_string(format!("{p256}.pub"))?.contains("BEGIN PUBLIC KEY"));

    let statement = dir.join("statement.json");
    std::fs::write(
        &statement,
        r#"{"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "a", "digest": {"sha256": "0000000000000000000000000000000000000000000000000000000000000000"}}], "predicateType": "https://example.org/p", "predicate": {}}"#,
    )?;
    let statement = statement.to_string_lossy().into_owned();
    let out = lockkeeper(&[
        "sign",
        "--key",
        &format!("{p256}.key"),
        "--key",
        &format!("{ed}.key"),
        "--statement",
        &statement,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let envelope = dir.join("envelope.json");
    std::fs::write(&envelope, stdout(&out))?;
    let envelope = envelope.to_string_lossy().into_owned();
    let (p256_pub, ed_pub) = (format!("{p256}.pub"), format!("{ed}.pub"));
    let out = lockkeeper(&[
        "envelope",
        "verify",
        "--pub",
        &p256_pub,
        "--pub",
        &ed_pub,
        "--threshold",
        "2",
        &envelope,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains(&p256_id));
    // The P-256 key given twice is one key.
    let out = lockkeeper(&[
        "envelope",
        "verify",
        "--pub",
        &p256_pub,
        "--pub",
        &p256_pub,
        "--threshold",
        "2",
        &envelope,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let out = lockkeeper(&["keygen", "--out", &p256, "--scheme", "rsa", "--force"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("input/unsupported-key"),
        "{}",
        stderr(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn envelopes_signed_by_other_tools_with_ecdsa_and_rsa_verify() {
    for (envelope, key) in [
        (
            "testdata/fixtures/dsse/slsa-verifier_gke-gce-pre.bcid-vsa.jsonl",
            "testdata/fixtures/dsse/slsa-verifier_vsa_signing_public_key.pem",
        ),
        (
            "testdata/fixtures/intoto-layout/in-toto_dsse_write-code.776a00e2.link",
            "testdata/fixtures/intoto-layout/in-toto_bob.pub",
        ),
    ] {
        let out = lockkeeper(&["envelope", "verify", "--pub", &path(key), &path(envelope)]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{envelope}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let wrong = path("testdata/fixtures/sigstore/keys/in-toto-golang/dan_rsa.pub");
        let out = lockkeeper(&["envelope", "verify", "--pub", &wrong, &path(envelope)]);
        assert_eq!(out.status.code(), Some(1), "{envelope}");
    }
    // A raw DER key file is read too.
    let der = path("testdata/fixtures/sigstore/keys/sigstore-rs/ECDSA_P256_ASN1_PUBLIC_DER.pub");
    let out = lockkeeper(&[
        "envelope",
        "verify",
        "--pub",
        &der,
        &path("testdata/fixtures/dsse/slsa-verifier_gke-gce-pre.bcid-vsa.jsonl"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn refused_keys_exit_2_with_their_rule_code() {
    let envelope = path("testdata/fixtures/dsse/dsse_protocol-test-vector.envelope.json");
    for (key, code) in [
        (
            "testdata/fixtures/sigstore/keys/in-toto-golang/frank_p521.pub",
            "error[input/unsupported-key]",
        ),
        (
            "testdata/fixtures/sigstore/keys/securesystemslib/ecdsa_p256_private.TEST-ONLY.pem",
            "error[input/invalid-key]",
        ),
    ] {
        let out = lockkeeper(&["envelope", "verify", "--pub", &path(key), &envelope]);
        assert_eq!(out.status.code(), Some(2), "{key}");
        assert!(stderr(&out).contains(code), "{key}: {}", stderr(&out));
    }
}
