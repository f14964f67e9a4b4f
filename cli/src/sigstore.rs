//! Sigstore bundles on the command line: `lockkeeper verify --bundle` and the hidden
//! `verify-bundle` subcommand that speaks sigstore-conformance's CLI protocol.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use lockkeeper::digest::Digest;
use lockkeeper::keys::PublicKey;
use lockkeeper::sigstore::{Artifact, IdentityPolicy, SignedBy, TrustedRoot, check_bundles};

use crate::{Failure, read, read_bytes};

/// `--trusted-root`: a `trusted_root.json` file, or a root shipped with lockkeeper by name.
pub(crate) fn load_root(spec: &str) -> Result<TrustedRoot, Failure> {
    if !Path::new(spec).exists()
        && let Some(builtin) = TrustedRoot::builtin(spec)
    {
        return builtin.map_err(|e| Failure(format!("error[{}]: {e}", e.code)));
    }
    let bytes = read_bytes(spec)?;
    TrustedRoot::from_json(&bytes).map_err(|e| Failure(format!("error[{}]: {spec}: {e}", e.code)))
}

/// The conformance protocol's rule: `sha256:` + 64 hex characters that is not a file is a
/// digest; anything else is a file.
pub(crate) fn is_digest(text: &str) -> bool {
    (text.starts_with("sha256:") || text.starts_with("sha512:"))
        && Digest::parse(text).is_ok()
        && !Path::new(text).exists()
}

/// Options of `verify` that only apply to bundles.
#[derive(Args, Debug, Default)]
pub(crate) struct BundleArgs {
    /// Sigstore bundle file (`*.sigstore.json`, `gh attestation download` JSON Lines, npm
    /// attestations, a PEP 740 attestation or provenance object). Instead of --envelope.
    #[arg(long, conflicts_with = "envelope")]
    pub(crate) bundle: Option<String>,
    /// `trusted_root.json` of the Sigstore instance, or `public-good`, `staging`, `github` for
    /// the roots shipped with lockkeeper (snapshots: pass a fresh file to follow rotations).
    #[arg(long, requires = "bundle")]
    pub(crate) trusted_root: Option<String>,
    /// The artifact's digest (instead of --artifact FILE).
    #[arg(long, conflicts_with = "artifact")]
    pub(crate) digest: Option<String>,
    /// Without --policy: the certificate's subject (SAN), exactly.
    #[arg(long, requires = "bundle")]
    pub(crate) certificate_identity: Option<String>,
    /// Without --policy: a glob the subject must match (`*` stops at `/`, `**` crosses it).
    #[arg(long, requires = "bundle", conflicts_with = "certificate_identity")]
    pub(crate) certificate_identity_pattern: Option<String>,
    /// Without --policy: the certificate's OIDC issuer, exactly.
    #[arg(long, requires = "bundle")]
    pub(crate) certificate_oidc_issuer: Option<String>,
    /// Without --policy: CLAIM=GLOB on a Fulcio extension, e.g.
    /// `runner_environment=github-hosted`, `source_repository_ref=refs/tags/*`; repeatable.
    #[arg(long = "claim", requires = "bundle")]
    pub(crate) claims: Vec<String>,
    /// Without --policy: a public key for a keyed bundle (PEM, cosign .pub, securesystemslib
    /// JSON); repeatable.
    #[arg(long = "key", requires = "bundle")]
    pub(crate) keys: Vec<String>,
}

/// The identity requirement the flags spell, if any.
fn identity(args: &BundleArgs) -> Result<Option<IdentityPolicy>, Failure> {
    let subject = match (
        &args.certificate_identity,
        &args.certificate_identity_pattern,
    ) {
        (Some(s), _) => Some(("subject", s)),
        (None, Some(p)) => Some(("subject_pattern", p)),
        (None, None) => None,
    };
    if subject.is_none() && args.certificate_oidc_issuer.is_none() && args.claims.is_empty() {
        return Ok(None);
    }
    let mut map = serde_json::Map::new();
    if let Some((field, value)) = subject {
        map.insert(field.into(), value.clone().into());
    }
    if let Some(i) = &args.certificate_oidc_issuer {
        map.insert("issuer".into(), i.clone().into());
    }
    for c in &args.claims {
        let (name, pattern) = c
            .split_once('=')
            .ok_or_else(|| Failure(format!("error: --claim `{c}` is not CLAIM=GLOB")))?;
        match map.get_mut(name) {
            Some(serde_json::Value::Array(list)) => list.push(pattern.into()),
            _ => {
                map.insert(name.into(), vec![serde_json::Value::from(pattern)].into());
            }
        }
    }
    IdentityPolicy::from_value(&serde_json::Value::Object(map))
        .map(Some)
        .map_err(|e| Failure(format!("error[policy/invalid-value]: {e}")))
}

/// `verify --bundle` without a policy: the bundle file checked against an identity or keys.
pub(crate) fn verify_standalone(
    args: &BundleArgs,
    bundle: &str,
    artifact: Option<&str>,
    json: bool,
) -> Result<ExitCode, Failure> {
    let root = load_root(args.trusted_root.as_deref().ok_or_else(|| {
        Failure(
            "error: --bundle needs --trusted-root (a file, or public-good, staging, github)".into(),
        )
    })?)?;
    let bytes = read_bytes(bundle)?;
    let keys = args
        .keys
        .iter()
        .map(|k| PublicKey::parse(&read(k)?).map_err(|e| Failure(format!("error: {k}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let identity = identity(args)?;
    let signed_by = match (&identity, keys.is_empty()) {
        (Some(_), false) => {
            return Err(Failure(
                "error: give a certificate identity or --key, not both".into(),
            ));
        }
        (Some(i), true) => SignedBy::Identity(i),
        (None, false) => SignedBy::Key(&keys),
        (None, true) => {
            return Err(Failure(
                "error: say who must have signed: --certificate-identity[-pattern] with --certificate-oidc-issuer, --key, or --policy".into(),
            ));
        }
    };
    let digest;
    let content;
    let input = match (&args.digest, artifact) {
        (Some(d), _) => {
            digest = crate::parse_digest(d)?;
            Artifact::Digest(&digest)
        }
        (None, Some(a)) if is_digest(a) => {
            digest = crate::parse_digest(a)?;
            Artifact::Digest(&digest)
        }
        (None, Some(a)) => {
            content = read_bytes(a)?;
            Artifact::Bytes(&content)
        }
        (None, None) => {
            return Err(Failure(
                "error: --bundle needs --artifact FILE or --digest sha256:<hex>".into(),
            ));
        }
    };
    let report = check_bundles(&bytes, input, &root, &signed_by);
    if json {
        let mut report = report.clone();
        report.decision.decided_at(jiff::Timestamp::now());
        outln!("{}", report.to_json_value());
    } else {
        outln!("{}", report.decision);
        if let Some(v) = &report.verified {
            outln!("verified: {}", v.facts());
        }
        for c in &report.identity_checks {
            outln!("  {c}");
        }
    }
    Ok(if report.decision.allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `verify-bundle`, exactly as sigstore-conformance calls it (see
/// testdata/fixtures/sigstore/conformance/cli_protocol.md): exit 0 when the bundle verifies,
/// 1 otherwise.
#[derive(Args, Debug)]
pub(crate) struct ConformanceArgs {
    #[arg(long)]
    staging: bool,
    #[arg(long)]
    bundle: String,
    #[arg(long)]
    certificate_identity: Option<String>,
    #[arg(long)]
    certificate_oidc_issuer: Option<String>,
    #[arg(long)]
    key: Option<String>,
    #[arg(long)]
    trusted_root: Option<String>,
    file_or_digest: String,
}

pub(crate) fn conformance(args: &ConformanceArgs) -> Result<ExitCode, Failure> {
    let root = match &args.trusted_root {
        Some(path) => load_root(path)?,
        None if args.staging => load_root("staging")?,
        None => load_root("public-good")?,
    };
    let standalone = BundleArgs {
        bundle: Some(args.bundle.clone()),
        certificate_identity: args.certificate_identity.clone(),
        certificate_oidc_issuer: args.certificate_oidc_issuer.clone(),
        keys: args.key.iter().cloned().collect(),
        ..BundleArgs::default()
    };
    let keys = standalone
        .keys
        .iter()
        .map(|k| PublicKey::parse(&read(k)?).map_err(|e| Failure(format!("error: {k}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let identity = identity(&standalone)?;
    let signed_by = match (&identity, &args.key) {
        (Some(i), None) => SignedBy::Identity(i),
        (None, Some(_)) => SignedBy::Key(&keys),
        _ => {
            return Err(Failure(
                "error: pass --certificate-identity and --certificate-oidc-issuer, or --key".into(),
            ));
        }
    };
    let bytes = read_bytes(&args.bundle)?;
    let digest;
    let content;
    let input = if is_digest(&args.file_or_digest) {
        digest = crate::parse_digest(&args.file_or_digest)?;
        Artifact::Digest(&digest)
    } else {
        content = read_bytes(&args.file_or_digest)?;
        Artifact::Bytes(&content)
    };
    let report = check_bundles(&bytes, input, &root, &signed_by);
    for v in report.decision.violations() {
        eprintln!("error[{}]: {}", v.code, v.message);
    }
    Ok(if report.decision.allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
