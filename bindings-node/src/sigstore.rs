//! Sigstore bundles for Node: a trusted root, and `verifyBundle`.

use lockkeeper::keys::PublicKey;
use lockkeeper::sigstore::{self as sg, Artifact, IdentityPolicy, SignedBy};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::attestation::{bytes, parse_digest};
use crate::decision::Decision;
use crate::error::to_js;

/// A Sigstore trusted root (`trusted_root.json`).
#[napi]
pub struct TrustedRoot {
    pub(crate) inner: sg::TrustedRoot,
}

#[napi]
impl TrustedRoot {
    /// Reads `trusted_root.json` text.
    #[napi(factory)]
    pub fn from_json(env: Env, data: Either<String, Buffer>) -> Result<TrustedRoot> {
        sg::TrustedRoot::from_json(&bytes(data))
            .map(|inner| TrustedRoot { inner })
            .map_err(|e| to_js(&env, e.into()))
    }

    /// Reads a `trusted_root.json` file.
    #[napi(factory)]
    pub fn from_file(env: Env, path: String) -> Result<TrustedRoot> {
        let data = std::fs::read(&path)
            .map_err(|e| Error::new(Status::InvalidArg, format!("cannot read {path}: {e}")))?;
        Self::from_json(env, Either::B(data.into()))
    }

    /// A root shipped with lockkeeper: `public-good`, `staging` or `github` (snapshots).
    #[napi(factory)]
    pub fn builtin(
        env: Env,
        #[napi(ts_arg_type = "'public-good' | 'staging' | 'github'")] name: String,
    ) -> Result<TrustedRoot> {
        match sg::TrustedRoot::builtin(&name) {
            Some(r) => r
                .map(|inner| TrustedRoot { inner })
                .map_err(|e| to_js(&env, e.into())),
            None => Err(Error::new(
                Status::InvalidArg,
                format!("no built-in trusted root `{name}`: public-good, staging or github"),
            )),
        }
    }

    /// `public-good`, `staging`, `github`, or `given` for a root read from JSON.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_owned()
    }
}

/// What `verifyBundle` is checked against: the artifact (or its digest), and who must have
/// signed (an identity or keys).
#[napi(object)]
pub struct BundleOptions {
    /// The artifact's bytes.
    pub artifact: Option<Buffer>,
    /// Or its digest, `sha256:<hex>` (a subject's digest for DSSE bundles).
    pub digest: Option<String>,
    /// `{issuer, subject | subject_pattern, <Fulcio claim>: pattern | pattern[]}`.
    #[napi(ts_type = "Record<string, string | string[]>")]
    pub identity: Option<Value>,
    /// Public keys (PEM, cosign `.pub`, securesystemslib JSON text) for keyed bundles.
    pub keys: Option<Vec<String>>,
}

/// The outcome of `verifyBundle`.
#[napi]
pub struct BundleResult {
    inner: sg::BundleReport,
}

#[napi]
impl BundleResult {
    /// Whether a bundle verified and its signer satisfied the requirement.
    #[napi(getter)]
    pub fn allowed(&self) -> bool {
        self.inner.decision.allowed()
    }

    /// The decision (violations with facts, passed codes).
    #[napi(getter)]
    pub fn decision(&self) -> Decision {
        self.inner.decision.clone().into()
    }

    /// Signer (certificate subject, issuer, Fulcio claims; or key id), times, proofs checked;
    /// `null` when nothing verified.
    #[napi(getter, ts_return_type = "Record<string, unknown> | null")]
    pub fn verified(&self) -> Value {
        serde_json::json!(self.inner.verified)
    }

    /// Every identity value checked: `{field, expected, actual, ok}`.
    #[napi(getter, ts_return_type = "Array<Record<string, unknown>>")]
    pub fn identity_checks(&self) -> Value {
        serde_json::json!(self.inner.identity_checks)
    }

    /// The decision's machine form with `verified` and `identity_checks` (used by
    /// `JSON.stringify`).
    #[napi(js_name = "toJSON", ts_return_type = "Record<string, unknown>")]
    pub fn to_json_value(&self) -> Value {
        self.inner.to_json_value()
    }

    /// The decision's explanation for people.
    #[napi(js_name = "toString")]
    pub fn to_text(&self) -> String {
        self.inner.decision.to_string()
    }
}

/// Verifies the Sigstore bundle(s) in `bundle` (a bundle, `gh attestation download` JSON
/// Lines, npm's attestations document, PEP 740 objects) offline against `trustedRoot`.
#[napi]
pub fn verify_bundle(
    env: Env,
    bundle: Either<String, Buffer>,
    trusted_root: &TrustedRoot,
    #[napi(ts_arg_type = "BundleOptions")] options: Object<'_>,
) -> Result<BundleResult> {
    let options: BundleOptions =
        crate::options::strict(options, "options", crate::options::BUNDLE_OPTIONS)?;
    let identity = options
        .identity
        .as_ref()
        .map(|v| IdentityPolicy::from_value(v).map_err(|e| to_js(&env, e.into())))
        .transpose()?;
    let keys = options
        .keys
        .unwrap_or_default()
        .iter()
        .map(|k| PublicKey::parse(k).map_err(|e| to_js(&env, e.into())))
        .collect::<Result<Vec<_>>>()?;
    let signed_by = match (&identity, keys.is_empty()) {
        (Some(i), true) => SignedBy::Identity(i),
        (None, false) => SignedBy::Key(&keys),
        _ => {
            return Err(Error::new(
                Status::InvalidArg,
                "give exactly one of options.identity or options.keys",
            ));
        }
    };
    let digest = options
        .digest
        .as_deref()
        .map(|d| parse_digest(&env, d))
        .transpose()?;
    let input = match (&options.artifact, &digest) {
        (Some(a), None) => Artifact::Bytes(a),
        (None, Some(d)) => Artifact::Digest(d),
        _ => {
            return Err(Error::new(
                Status::InvalidArg,
                "give exactly one of options.artifact (a Buffer) or options.digest",
            ));
        }
    };
    let inner = sg::check_bundles(&bytes(bundle), input, &trusted_root.inner, &signed_by);
    Ok(BundleResult { inner })
}
