//! Evidence written by other tools (`testdata/fixtures`, see each folder's SOURCES.md): every
//! DSSE / in-toto / SLSA file parses, or fails for the documented reason; the ed25519-signed
//! envelopes verify with their key and with no other.

mod common;

use common::{fixtures, read};
use std::fs;

use lockkeeper::attestation::slsa::Provenance;
use lockkeeper::attestation::statement::StatementError;
use lockkeeper::attestation::{Envelope, Statement};
use lockkeeper::keys::PublicKey;
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn key(rel: &str) -> Result<PublicKey, Box<dyn std::error::Error>> {
    Ok(PublicKey::parse(std::str::from_utf8(&read(rel)?)?)?)
}

const AV: [&str; 5] = ["build", "clone", "test", "npm-build", "npm-publish"];

#[test]
fn attestation_verifier_envelopes_verify_with_their_key_only() -> TestResult {
    let right = key("dsse/attestation-verifier_key.pub")?;
    let wrong = key("dsse/in-toto--in-toto--demo_files--danny.pub")?;
    // The key file carries keyid_hash_algorithms, so the older in-toto key id is known too:
    // it is the id these envelopes name.
    assert!(right.has_keyid("fe1c6281c5ff13e35286cc67e5a1fb3e6575b840a6c39ca4267d3805eb17288a"));
    assert!(wrong.has_keyid("36a5529f72cf3b1cc096a28887350969212f9d6c46529658ab186fc0cb781699"));
    for name in AV {
        let env = Envelope::from_json(&read(&format!(
            "dsse/attestation-verifier_{name}.fe1c6281.json"
        ))?)?;
        let verified = env.verify(std::slice::from_ref(&right), 1)?;
        assert_eq!(verified.keys, vec![0], "{name}");
        assert!(
            env.verify(std::slice::from_ref(&wrong), 1).is_err(),
            "{name} verified with danny's key"
        );
    }
    Ok(())
}

#[test]
fn attestation_verifier_payloads_parse_as_documented() -> TestResult {
    for name in AV {
        let env = Envelope::from_json(&read(&format!(
            "dsse/attestation-verifier_{name}.fe1c6281.json"
        ))?)?;
        let statement = Statement::from_json(env.payload());
        match name {
            // Uses `type` instead of `_type` (SOURCES: malformed on purpose).
            "clone" => assert!(
                matches!(statement, Err(StatementError::Type(_))),
                "{statement:?}"
            ),
            "build" => {
                let s = statement?;
                let p = Provenance::from_statement(&s)?;
                assert!(matches!(p, Provenance::V1(_)));
                assert!(!p.builder_id().is_empty());
            }
            "npm-build" => {
                let s = statement?;
                assert_eq!(s.statement_type(), "https://in-toto.io/Statement/v0.1");
                let p = Provenance::from_statement(&s)?;
                assert!(matches!(p, Provenance::V02(_)));
                assert!(p.source().is_some(), "v0.2 configSource gives the source");
                assert!(s.subjects()[0].digest.contains_key("sha512"));
            }
            _ => {
                statement?;
            }
        }
    }
    Ok(())
}

#[test]
fn bare_statements_parse_or_fail_for_their_documented_reason() -> TestResult {
    let expectations: [(&str, Option<&str>); 10] = [
        ("attestation-spec_npm-publish-example.json", Some("digest")), // placeholder sha512
        ("attestation-spec_reference-example.json", None),
        ("attestation-spec_release-example.json", Some("digest")), // placeholder digest
        ("attestation-spec_svr-example.json", Some("digest")),     // truncated, uppercase
        ("attestation-spec_test-result-example.json", None),
        ("attestation-verifier_raw-build.json", None),
        ("attestation-verifier_raw-clone.json", Some("type")), // `type` for `_type`
        ("attestation-verifier_raw-npm-build.json", None),
        ("attestation-verifier_raw-npm-publish.json", None),
        ("attestation-verifier_raw-test.json", None),
    ];
    for (file, reason) in expectations {
        let result = Statement::from_json(&read(&format!("intoto-statement/{file}"))?);
        match (reason, &result) {
            (None, Ok(_)) => {}
            (Some("digest"), Err(StatementError::Digest { .. })) => {}
            (Some("type"), Err(StatementError::Type(_))) => {}
            _ => panic!("{file}: expected {reason:?}, got {result:?}"),
        }
    }
    Ok(())
}

/// Every DSSE envelope inside a file, wherever the tool that wrote it put it.
fn envelopes_in(bytes: &[u8]) -> Result<Vec<Envelope>, Box<dyn std::error::Error>> {
    let text = std::str::from_utf8(bytes)?;
    let docs: Vec<Value> = match serde_json::from_str::<Value>(text) {
        Ok(v) => vec![v],
        // JSON Lines.
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?,
    };
    let mut out = Vec::new();
    for doc in &docs {
        let mut candidates: Vec<&Value> = vec![doc, &doc["dsseEnvelope"]];
        if let Some(list) = doc
            .pointer("/provenance_summary/provenance")
            .and_then(Value::as_array)
        {
            candidates.extend(list.iter().map(|p| &p["envelope"]));
        }
        if let Some(list) = doc.get("attestations").and_then(Value::as_array) {
            candidates.extend(list.iter().map(|a| &a["bundle"]["dsseEnvelope"]));
        }
        for c in candidates {
            if c.get("payloadType").is_some() {
                out.push(Envelope::from_value(c)?);
            }
        }
    }
    Ok(out)
}

#[test]
fn slsa_provenance_files_parse() -> TestResult {
    let dir = fixtures().join("slsa-provenance");
    let mut checked = 0;
    for entry in fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if name.starts_with("SOURCES") {
            continue;
        }
        let bytes = fs::read(&path)?;
        if name.contains("no-signature") {
            // SOURCES: a trailing comma makes it invalid JSON.
            assert!(envelopes_in(&bytes).is_err(), "{name} parsed");
            continue;
        }
        if name.contains("invalid-signature-encoding") {
            // SOURCES: `sig` is the literal text "invalid encoding".
            assert!(envelopes_in(&bytes).is_err(), "{name} parsed");
            continue;
        }
        let envelopes = envelopes_in(&bytes)?;
        let statements: Vec<Statement> = if envelopes.is_empty() {
            let result = Statement::from_json(&bytes);
            if name.contains("draft") {
                // The v1 draft example uses `.../Statement/v1?draft`, which is not Statement v1.
                assert!(
                    matches!(result, Err(StatementError::Type(_))),
                    "{name}: {result:?}"
                );
                checked += 1;
                continue;
            }
            vec![result?]
        } else {
            envelopes
                .iter()
                .map(|e| Statement::from_json(e.payload()))
                .collect::<Result<_, _>>()?
        };
        for s in &statements {
            match s.predicate_type() {
                "https://slsa.dev/provenance/v1" | "https://slsa.dev/provenance/v0.2" => {
                    let p = Provenance::from_statement(s)?;
                    assert!(!p.builder_id().is_empty(), "{name}: empty builder id");
                }
                // GCB's SLSA v0.1 and npm's publish attestation are read as statements only.
                _ => {}
            }
        }
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} files checked");
    Ok(())
}

#[test]
fn ed25519_pem_fixture_has_securesystemslib_keyid() -> TestResult {
    // securesystemslib 1.6 `SSlibKey.from_crypto` default keyid for this PEM.
    let k = key("dsse/in-toto--in-toto--pems--ed25519_public.pem")?;
    assert_eq!(
        k.keyid(),
        "c6d8bf2e4f48b41ac2ce8eca21415ca8ef68c133b47fc33df03d4070a7e1e9cc"
    );
    Ok(())
}

#[test]
fn the_dsse_spec_vector_parses_and_its_pae_is_the_documented_one() -> TestResult {
    let env = Envelope::from_json(&read("dsse/dsse_protocol-test-vector.envelope.json")?)?;
    assert_eq!(env.payload(), b"hello world");
    assert_eq!(
        env.pae(),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
    );
    // ECDSA P-256 with a raw r||s signature and no keyid: it verifies with the spec's key
    // (see tests/keys.rs), and with no ed25519 key.
    assert_eq!(env.signatures().len(), 1);
    assert!(env.signatures()[0].keyid.is_none());
    let ed25519 = key("dsse/attestation-verifier_key.pub")?;
    assert!(env.verify(&[ed25519], 1).is_err());
    Ok(())
}
