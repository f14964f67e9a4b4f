//! Sigstore bundles through the CLI: sigstore-conformance's `verify-bundle` protocol over all
//! 70 bundle-verify cases (each as a file and as a digest), and `verify --bundle`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{TestResult, lockkeeper, path, root};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// Cases known not to pass, with the reason; only must-verify cases may be listed (every
/// `_fail` case must fail).
const EXPECTED_FAIL: &[(&str, &str)] = &[];

/// Runs one case as the suite would: `ENTRYPOINT verify-bundle ...` with the suite's argument
/// order, through scripts/sigstore-conformance.
fn run(case: &Path, by_digest: bool) -> Result<bool, Box<dyn std::error::Error>> {
    let text = |name: &str| std::fs::read_to_string(case.join(name)).ok();
    let artifact = if case.join("artifact").exists() {
        case.join("artifact")
    } else {
        case.join("../a.txt")
    };
    let subject = if by_digest {
        let out = lockkeeper(&["digest", &artifact.to_string_lossy()]);
        String::from_utf8(out.stdout)?
            .split_whitespace()
            .next()
            .ok_or("no digest")?
            .to_owned()
    } else {
        artifact.to_string_lossy().into_owned()
    };
    let mut args: Vec<String> = vec!["verify-bundle".into(), "--bundle".into()];
    args.push(
        case.join("bundle.sigstore.json")
            .to_string_lossy()
            .into_owned(),
    );
    if case.join("key.pub").exists() {
        args.extend([
            "--key".into(),
            case.join("key.pub").to_string_lossy().into_owned(),
        ]);
    } else {
        let identity = text("identity").unwrap_or_else(|| DEFAULT_IDENTITY.into());
        let issuer = text("issuer").unwrap_or_else(|| DEFAULT_ISSUER.into());
        args.extend([
            "--certificate-identity".into(),
            identity.trim().to_owned(),
            "--certificate-oidc-issuer".into(),
            issuer.trim().to_owned(),
        ]);
    }
    let trusted_root = if case.join("trusted_root.json").exists() {
        case.join("trusted_root.json")
            .to_string_lossy()
            .into_owned()
    } else {
        path("testdata/fixtures/sigstore/trusted-roots/production.trusted_root.json")
    };
    args.extend(["--trusted-root".into(), trusted_root, subject]);
    let status = Command::new("sh")
        .arg(root().join("scripts/sigstore-conformance"))
        .args(&args)
        .env("LOCKKEEPER_BIN", env!("CARGO_BIN_EXE_lockkeeper"))
        .output()?;
    match status.status.code() {
        Some(0) => Ok(true),
        // The protocol: any other status is a failure (2 is a key or root that cannot be read).
        Some(1 | 2) => Ok(false),
        other => Err(format!(
            "{}: exit {other:?}: {}",
            case.display(),
            String::from_utf8_lossy(&status.stderr)
        )
        .into()),
    }
}

#[test]
fn conformance_bundle_verify_through_the_entrypoint() -> TestResult {
    let dir = root().join("testdata/fixtures/sigstore/conformance/assets/bundle-verify");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let (mut passed, mut xfail, mut failed) = (0, 0, Vec::new());
    let (mut verify_ok, mut fail_ok) = (0, 0);
    for case in &cases {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let must_fail = name.ends_with("_fail");
        let mut both = true;
        for by_digest in [false, true] {
            let verified = run(case, by_digest)?;
            if verified != must_fail {
                passed += 1;
            } else if !must_fail && EXPECTED_FAIL.iter().any(|(n, _)| *n == name) {
                xfail += 1;
                both = false;
            } else {
                failed.push(format!(
                    "{name}[{}]",
                    if by_digest { "DIGEST" } else { "PATH" }
                ));
                both = false;
            }
        }
        if both {
            if must_fail {
                fail_ok += 1;
            } else {
                verify_ok += 1;
            }
        }
    }
    println!(
        "sigstore-conformance bundle-verify: {} cases: {verify_ok}/21 must-verify and {fail_ok}/49 must-fail passed; runs (PATH and DIGEST): {passed} passed, {xfail} expected-fail, {} failed",
        cases.len(),
        failed.len()
    );
    assert_eq!(cases.len(), 70);
    assert!(failed.is_empty(), "failed: {failed:?}");
    Ok(())
}

#[test]
fn verify_bundle_with_identity_flags_and_claims() -> TestResult {
    let f = "testdata/fixtures/sigstore/bundles/python";
    let base = [
        "verify",
        "--bundle",
        &path(&format!("{f}/bundle_v3_github.whl.sigstore")),
        "--trusted-root",
        "public-good",
        "--artifact",
        &path(&format!("{f}/bundle_v3_github.whl")),
        "--certificate-identity-pattern",
        "https://github.com/trailofbits/rfc8785.py/**",
        "--certificate-oidc-issuer",
        "https://token.actions.githubusercontent.com",
        "--json",
    ]
    .map(str::to_owned);
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = base.iter().map(String::as_str).collect();
        args.extend_from_slice(extra);
        lockkeeper(&args)
    };
    let ok = run(&[
        "--claim",
        "runner_environment=github-hosted",
        "--claim",
        "source_repository_ref=refs/tags/*",
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&ok.stdout)?;
    assert_eq!(json["allowed"], true);
    assert_eq!(
        json["verified"]["signer"]["claims"]["runner_environment"],
        "github-hosted"
    );
    assert_eq!(json["identity_checks"].as_array().map(Vec::len), Some(4));

    let denied = run(&["--claim", "runner_environment=self-hosted"]);
    assert_eq!(denied.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&denied.stdout)?;
    assert_eq!(json["violations"][0]["code"], "sigstore/claim-mismatch");
    assert_eq!(
        json["violations"][0]["facts"]["identity_checks"][2]["actual"],
        "github-hosted"
    );

    // No identity, no key, no policy: refused as a usage error, never an allow.
    let out = lockkeeper(&[
        "verify",
        "--bundle",
        &path(&format!("{f}/bundle_v3_github.whl.sigstore")),
        "--trusted-root",
        "public-good",
        "--artifact",
        &path(&format!("{f}/bundle_v3_github.whl")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    Ok(())
}
