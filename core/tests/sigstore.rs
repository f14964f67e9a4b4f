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

#[allow(dead_code)]
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
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or_default();
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

