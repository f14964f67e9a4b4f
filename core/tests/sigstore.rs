//! Sigstore bundles written by others (`testdata/fixtures/sigstore`, see its README and
//! SOURCES.md), verified offline against the trusted roots shipped beside them.

mod common;

use std::path::Path;

use common::{fixtures, read};
use lockkeeper::digest::Digest;
use lockkeeper::keys::PublicKey;
use lockkeeper::sigstore::{
    Artifact, Bundle, IdentityPolicy, SignedBy, TrustedRoot, parse_bundles, verify_bundle,
};

type R = Result<(), Box<dyn std::error::Error>>;

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn root(rel: &str) -> Result<TrustedRoot, Box<dyn std::error::Error>> {
    Ok(TrustedRoot::from_json(&read(rel)?)?)
}

/// One conformance case, as the adapter runs it: `Ok(())` when the bundle verifies.
fn run_case(dir: &Path, by_digest: bool) -> Result<(), String> {
    let file = |name: &str| std::fs::read(dir.join(name)).ok();
    let text = |name: &str| file(name).and_then(|b| String::from_utf8(b).ok());
    let bundle = file("bundle.sigstore.json").ok_or("no bundle")?;
    let artifact = match file("artifact") {
        Some(a) => a,
        None => std::fs::read(dir.join("../a.txt")).map_err(|e| e.to_string())?,
    };
    let root = match file("trusted_root.json") {
        Some(r) => TrustedRoot::from_json(&r),
        None => TrustedRoot::from_json(
            &std::fs::read(fixtures().join("sigstore/trusted-roots/production.trusted_root.json"))
                .map_err(|e| e.to_string())?,
        ),
    }
    .map_err(|e| format!("{}: {e}", e.code))?;
    let bundle = Bundle::from_json(&bundle).map_err(|e| format!("{}: {e}", e.code))?;
    let digest = Digest::sha256(&artifact);
    let input = if by_digest {
        Artifact::Digest(&digest)
    } else {
        Artifact::Bytes(&artifact)
    };
    let result = if let Some(key) = text("key.pub") {
        let key = PublicKey::parse(&key).map_err(|e| e.to_string())?;
        verify_bundle(&bundle, input, &root, &SignedBy::Key(&[key]))
    } else {
        let identity = text("identity").unwrap_or_else(|| DEFAULT_IDENTITY.into());
        let issuer = text("issuer").unwrap_or_else(|| DEFAULT_ISSUER.into());
        let policy = IdentityPolicy::exact(issuer.trim(), identity.trim());
        verify_bundle(&bundle, input, &root, &SignedBy::Identity(&policy))
    };
    result.map(|_| ()).map_err(|e| format!("{}: {e}", e.code))
}

/// Cases lockkeeper is known to get wrong, each with the reason. Only must-verify cases may be
/// listed: every `_fail` case must fail.
const EXPECTED_FAIL: &[(&str, &str)] = &[];

#[test]
fn conformance_bundle_verify_cases() -> R {
    let dir = fixtures().join("sigstore/conformance/assets/bundle-verify");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let (mut passed, mut failed, mut xfail) = (0, Vec::new(), 0);
    let (mut must_verify, mut must_fail) = (0, 0);
    for case in &cases {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let should_fail = name.ends_with("_fail");
        if should_fail {
            must_fail += 1;
        } else {
            must_verify += 1;
        }
        for by_digest in [false, true] {
            let outcome = run_case(case, by_digest);
            let ok = outcome.is_ok() != should_fail;
            let mode = if by_digest { "DIGEST" } else { "PATH" };
            if ok {
                passed += 1;
            } else if !should_fail && EXPECTED_FAIL.iter().any(|(n, _)| *n == name) {
                xfail += 1;
            } else {
                failed.push(format!("{name}[{mode}]: {outcome:?}"));
            }
        }
    }
    println!(
        "conformance bundle-verify: {} cases ({must_verify} must verify, {must_fail} must fail), {} runs: {passed} passed, {xfail} expected-fail, {} failed",
        cases.len(),
        cases.len() * 2,
        failed.len()
    );
    assert_eq!(cases.len(), 70);
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    Ok(())
}

const PROD: &str = "sigstore/trusted-roots/production.trusted_root.json";
const GITHUB: &str = "sigstore/trusted-roots/github.trusted_root.json";

fn check(
    bundle: &str,
    artifact: &str,
    root_file: &str,
    by: &SignedBy<'_>,
) -> Result<lockkeeper::sigstore::BundleReport, Box<dyn std::error::Error>> {
    let root = root(root_file)?;
    let art = read(&format!("sigstore/{artifact}"))?;
    Ok(lockkeeper::sigstore::check_bundles(
        &read(&format!("sigstore/{bundle}"))?,
        Artifact::Bytes(&art),
        &root,
        by,
    ))
}

fn violation_codes(r: &lockkeeper::sigstore::BundleReport) -> Vec<String> {
    r.decision
        .violations()
        .iter()
        .map(|v| v.code.to_string())
        .collect()
}

/// What users already have verifies: npm provenance, `gh attestation download` JSON Lines (on
/// the public-good and on GitHub's instance), PyPI PEP 740 attestations, a PyPI wheel bundle,
/// keyless RSA leaf certificates.
#[test]
fn real_bundles_verify_offline() -> R {
    let any = SignedBy::AnyIdentity;
    for (bundle, artifact, root) in [
        (
            "bundles/gh-cli/sigstore-js-2.1.0-bundle.json",
            "bundles/gh-cli/sigstore-js-2.1.0.tgz",
            PROD,
        ),
        (
            "bundles/gh-cli/sigstore-js-2.1.0_with_2_bundles.jsonl",
            "bundles/gh-cli/sigstore-js-2.1.0.tgz",
            PROD,
        ),
        (
            "bundles/gh-cli/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl",
            "bundles/gh-cli/github_provenance_demo-0.0.12-py3-none-any.whl",
            GITHUB,
        ),
        (
            "bundles/gh-cli/reusable-workflow-attestation.sigstore.json",
            "bundles/gh-cli/reusable-workflow-artifact",
            PROD,
        ),
        (
            "bundles/python/bundle_v3_github.whl.sigstore",
            "bundles/python/bundle_v3_github.whl",
            PROD,
        ),
        (
            "bundles/pypi/warehouse/sampleproject-3.0.0.tar.gz.publish.attestation",
            "bundles/pypi/warehouse/sampleproject-3.0.0.tar.gz",
            PROD,
        ),
        (
            "bundles/pypi/pypi-attestations/pypi_attestations-0.0.19.tar.gz.publish.attestation",
            "bundles/pypi/pypi-attestations/pypi_attestations-0.0.19.tar.gz",
            PROD,
        ),
        (
            "bundles/java/PKIX_RSA_PKCS1V15_2048_SHA256.sigstore.json",
            "conformance/assets/a.txt",
            PROD,
        ),
        (
            "bundles/java/PKIX_RSA_PKCS1V15_3072_SHA256.sigstore.json",
            "conformance/assets/a.txt",
            PROD,
        ),
        (
            "bundles/java/PKIX_RSA_PKCS1V15_4096_SHA256.sigstore.json",
            "conformance/assets/a.txt",
            PROD,
        ),
        (
            "bundles/java/PKIX_ECDSA_P256_SHA_256.sigstore.json",
            "conformance/assets/a.txt",
            PROD,
        ),
    ] {
        let r = check(bundle, artifact, root, &any)?;
        assert!(
            r.decision.allowed(),
            "{bundle}: {:?}",
            r.decision.violations()
        );
    }
    // The wrong instance's root refuses them.
    let r = check(
        "bundles/gh-cli/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl",
        "bundles/gh-cli/github_provenance_demo-0.0.12-py3-none-any.whl",
        PROD,
        &any,
    )?;
    assert!(!r.decision.allowed());
    // P-521 leaf certificates are not supported (fail closed).
    let r = check(
        "bundles/java/PKIX_ECDSA_P521_SHA_512.sigstore.json",
        "conformance/assets/a.txt",
        PROD,
        &any,
    )?;
    assert!(!r.decision.allowed());
    // A PEP 740 provenance object holds its attestations; each converts to a v0.3 bundle.
    let all = parse_bundles(&read(
        "sigstore/bundles/pypi/warehouse/sampleproject-4.0.0.tar.gz.provenance",
    )?)?;
    assert_eq!(all.len(), 1);
    assert!(all[0].media_type().contains("v0.3"));
    Ok(())
}

#[test]
fn identity_policy_checks_subject_issuer_and_fulcio_claims() -> R {
    let bundle = "bundles/python/bundle_v3_github.whl.sigstore";
    let artifact = "bundles/python/bundle_v3_github.whl";
    let policy = IdentityPolicy::from_value(&serde_json::json!({
        "issuer": "https://token.actions.githubusercontent.com",
        "subject_pattern": "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/*",
        "source_repository": "https://github.com/trailofbits/rfc8785.py",
        "source_repository_ref": "refs/tags/*",
        "runner_environment": "github-hosted",
        "build_trigger": ["release", "push"],
    }))?;
    let r = check(bundle, artifact, PROD, &SignedBy::Identity(&policy))?;
    assert!(r.decision.allowed(), "{:?}", r.decision.violations());
    assert_eq!(r.identity_checks.len(), 6);
    assert!(r.identity_checks.iter().all(|c| c["ok"] == true));
    let runner = r
        .identity_checks
        .iter()
        .find(|c| c["field"] == "runner_environment")
        .ok_or("no runner fact")?;
    assert_eq!(runner["actual"], "github-hosted");

    // Only branch builds: the tag build is refused, and the facts say why.
    let branches = IdentityPolicy::from_value(&serde_json::json!({
        "issuer": "https://token.actions.githubusercontent.com",
        "subject_pattern": "https://github.com/trailofbits/**",
        "source_repository_ref": "refs/heads/*",
    }))?;
    let r = check(bundle, artifact, PROD, &SignedBy::Identity(&branches))?;
    assert_eq!(violation_codes(&r), ["sigstore/claim-mismatch"]);
    assert_eq!(
        r.decision.violations()[0].facts["identity_checks"][2]["actual"],
        "refs/tags/v0.1.2"
    );

    // Self-hosted runners only: refused.
    let selfhosted = IdentityPolicy::from_value(&serde_json::json!({
        "issuer": "https://token.actions.githubusercontent.com",
        "subject_pattern": "https://github.com/trailofbits/**",
        "runner_environment": "self-hosted",
    }))?;
    let r = check(bundle, artifact, PROD, &SignedBy::Identity(&selfhosted))?;
    assert_eq!(violation_codes(&r), ["sigstore/claim-mismatch"]);

    // Another subject, another issuer.
    let other = IdentityPolicy::exact(
        "https://token.actions.githubusercontent.com",
        "https://github.com/evil/repo/.github/workflows/release.yml@refs/tags/v0.1.2",
    );
    assert_eq!(
        violation_codes(&check(bundle, artifact, PROD, &SignedBy::Identity(&other))?),
        ["sigstore/identity-mismatch"]
    );
    let issuer = IdentityPolicy::exact(
        "https://accounts.google.com",
        "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
    );
    assert_eq!(
        violation_codes(&check(
            bundle,
            artifact,
            PROD,
            &SignedBy::Identity(&issuer)
        )?),
        ["sigstore/identity-mismatch"]
    );

    // `*` does not cross `/`: a pattern for one repository admits no other.
    let narrow = IdentityPolicy::from_value(&serde_json::json!({
        "issuer": "https://token.actions.githubusercontent.com",
        "subject_pattern": "https://github.com/trailofbits/*/.github/workflows/other.yml@*",
    }))?;
    assert_eq!(
        violation_codes(&check(
            bundle,
            artifact,
            PROD,
            &SignedBy::Identity(&narrow)
        )?),
        ["sigstore/identity-mismatch"]
    );

    // Policy text errors are reported, never read as looser.
    for bad in [
        serde_json::json!({"subject": "x"}),
        serde_json::json!({"issuer": "i"}),
        serde_json::json!({"issuer": "i", "subject": "s", "subject_pattern": "p"}),
        serde_json::json!({"issuer": "i", "subject": "s", "runner": "github-hosted"}),
        serde_json::json!({"issuer": "i", "subject": "s", "build_trigger": []}),
    ] {
        assert!(IdentityPolicy::from_value(&bad).is_err(), "{bad}");
    }
    Ok(())
}

/// Changing any byte of the certificate, signature, payload, inclusion proof or checkpoint
/// makes verification deny.
#[test]
fn tampered_bundles_deny() -> R {
    let root = root(PROD)?;
    let artifact = read("sigstore/bundles/python/bundle_v3_github.whl")?;
    let text = String::from_utf8(read(
        "sigstore/bundles/python/bundle_v3_github.whl.sigstore",
    )?)?;
    let original: serde_json::Value = serde_json::from_str(&text)?;
    let pointers = [
        "/verificationMaterial/x509CertificateChain/certificates/0/rawBytes",
        "/messageSignature/signature",
        "/messageSignature/messageDigest/digest",
        "/verificationMaterial/tlogEntries/0/inclusionProof/rootHash",
        "/verificationMaterial/tlogEntries/0/inclusionProof/hashes/0",
        "/verificationMaterial/tlogEntries/0/inclusionProof/checkpoint/envelope",
        "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
        "/verificationMaterial/tlogEntries/0/canonicalizedBody",
    ];
    let ok = lockkeeper::sigstore::check_bundles(
        text.as_bytes(),
        Artifact::Bytes(&artifact),
        &root,
        &SignedBy::AnyIdentity,
    );
    assert!(ok.decision.allowed());
    let mut tried = 0;
    for pointer in pointers {
        let Some(field) = original.pointer(pointer).and_then(|v| v.as_str()) else {
            return Err(format!("{pointer} missing").into());
        };
        // Flip one character at two places. For the checkpoint: in the signed note body and in
        // the signature (the signer's name on the signature line is a label, not signed data).
        let places = if pointer.ends_with("checkpoint/envelope") {
            [60, field.len() - 10]
        } else {
            [field.len() / 2, field.len() / 3]
        };
        for at in places {
            let mut chars: Vec<char> = field.chars().collect();
            chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
            let mut tampered = original.clone();
            if let Some(slot) = tampered.pointer_mut(pointer) {
                *slot = serde_json::Value::String(chars.into_iter().collect());
            }
            let r = lockkeeper::sigstore::check_bundles(
                tampered.to_string().as_bytes(),
                Artifact::Bytes(&artifact),
                &root,
                &SignedBy::AnyIdentity,
            );
            assert!(!r.decision.allowed(), "{pointer}@{at} still verifies");
            tried += 1;
        }
    }
    assert_eq!(tried, 16);
    // A different artifact is refused.
    let r = lockkeeper::sigstore::check_bundles(
        text.as_bytes(),
        Artifact::Bytes(b"other"),
        &root,
        &SignedBy::AnyIdentity,
    );
    assert_eq!(violation_codes(&r), ["sigstore/artifact-mismatch"]);
    Ok(())
}

/// Keyed bundles take the key in any form lockkeeper reads; another key is refused.
#[test]
fn keyed_bundles_verify_with_the_given_key_only() -> R {
    let dir = "sigstore/conformance/assets/bundle-verify/managed-key-happy-path";
    let root = root(&format!("{dir}/trusted_root.json")).or_else(|_| root(PROD))?;
    let key = PublicKey::parse(&String::from_utf8(read(&format!("{dir}/key.pub"))?)?)?;
    let artifact = read("sigstore/conformance/assets/bundle-verify/a.txt")?;
    let bundle = read(&format!("{dir}/bundle.sigstore.json"))?;
    let r = lockkeeper::sigstore::check_bundles(
        &bundle,
        Artifact::Bytes(&artifact),
        &root,
        &SignedBy::Key(std::slice::from_ref(&key)),
    );
    assert!(r.decision.allowed(), "{:?}", r.decision.violations());
    let other = PublicKey::parse(&String::from_utf8(read(
        "sigstore/bundles/go/publish_key.pub",
    )?)?)?;
    let r = lockkeeper::sigstore::check_bundles(
        &bundle,
        Artifact::Bytes(&artifact),
        &root,
        &SignedBy::Key(&[other]),
    );
    assert!(!r.decision.allowed());
    // A keyed bundle is not accepted where an identity is required.
    let policy = IdentityPolicy::exact(DEFAULT_ISSUER, DEFAULT_IDENTITY);
    let r = lockkeeper::sigstore::check_bundles(
        &bundle,
        Artifact::Bytes(&artifact),
        &root,
        &SignedBy::Identity(&policy),
    );
    assert_eq!(violation_codes(&r), ["sigstore/key-mismatch"]);
    Ok(())
}

/// The promotion gate takes a bundle as build evidence, as it takes a DSSE envelope; without a
/// trusted root, or for a builder identity the policy does not trust, the bundle is ignored
/// (and the gate denies for want of provenance).
#[test]
fn the_gate_takes_bundles_as_build_evidence() -> R {
    use lockkeeper::promotion::{DeployRequest, Evidence, parse_time};
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/policies/sigstore.yaml"),
    )?;
    let policy = lockkeeper::Policy::from_yaml(&text)?;
    let npm = read("sigstore/bundles/gh-cli/sigstore-js-2.1.0.tgz")?;
    let artifact = Digest::compute(lockkeeper::digest::Algorithm::Sha512, &npm);
    let at = parse_time("2026-11-24T10:00:00Z")?;
    let request = |evidence: Vec<Evidence>| {
        DeployRequest::new("alice", artifact.clone(), "testing")
            .with_evidence(evidence)
            .at(at)
    };
    let bundle = read("sigstore/bundles/gh-cli/sigstore-js-2.1.0-bundle.json")?;
    let without_root = policy.promote(&request(vec![Evidence::new(
        "npm.sigstore.json",
        bundle.clone(),
    )]))?;
    assert!(!without_root.decision.allowed());
    let with_root = policy.clone().with_trusted_root(root(PROD)?);
    let outcome = with_root.promote(&request(vec![Evidence::new("npm.sigstore.json", bundle)]))?;
    assert!(outcome.decision.allowed(), "{}", outcome.decision);
    // A bundle by another identity is ignored: the gate finds no provenance.
    let other =
        read("sigstore/bundles/gh-cli/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl")?;
    let outcome = with_root
        .clone()
        .with_trusted_root(root(GITHUB)?)
        .promote(&request(vec![Evidence::new("demo.jsonl", other)]))?;
    assert!(!outcome.decision.allowed());
    Ok(())
}
