//! Sigstore bundles, verified offline against a trusted root.
//!
//! What sigstore-rust (`sigstore-verify` and the crates under it) does here: parse bundles of
//! media types v0.1 to v0.3, check the Fulcio chain against the root's certificate authorities
//! at every verified signing time, the SCT, the Rekor entry (inclusion proof with its signed
//! checkpoint, or the SET; Rekor v1 and v2), RFC 3161 timestamps from the root's TSAs, the
//! consistency of the log entry with the bundle, and the signature over the artifact or the DSSE
//! payload. What lockkeeper adds around it:
//! - a pure-Rust crypto backend ([`provider`]), so no C library is built or linked, and a
//!   memo that spares a bundle the signature checks sigstore-verify repeats;
//! - the inputs people have: JSON Lines from `gh attestation download`, npm's attestations
//!   document, PyPI's PEP 740 attestation and provenance objects ([`input`]);
//! - identity as policy: subject globs and constraints on Fulcio's extensions ([`identity`]),
//!   with every checked value in the decision's facts;
//! - keys in every form lockkeeper reads (PEM, PKCS#1, cosign, securesystemslib JSON) for keyed
//!   bundles;
//! - errors mapped to stable rule codes.

mod identity;
mod input;
mod policy;
// With aws-lc the RustCrypto half of the provider is unused; the memo stays.
#[cfg_attr(feature = "aws-lc", allow(dead_code))]
mod provider;

pub(crate) use policy::looks_like_bundle;

/// The checks a verified bundle has passed.
pub(crate) const BUNDLE_CODES: [Code; 7] = [
    codes::SIGSTORE_MALFORMED_BUNDLE,
    codes::SIGSTORE_BAD_SIGNATURE,
    codes::SIGSTORE_ARTIFACT_MISMATCH,
    codes::SIGSTORE_UNTRUSTED_CERTIFICATE,
    codes::SIGSTORE_CERTIFICATE_EXPIRED,
    codes::SIGSTORE_MISSING_TRANSPARENCY_PROOF,
    codes::SIGSTORE_BAD_TRANSPARENCY_PROOF,
];

use std::sync::Arc;

use serde_json::{Value, json};
use sigstore_verify::types as st;

use crate::decision::{Decision, Violation};
use crate::digest::Digest;
use crate::facts;
use crate::keys::PublicKey;
use crate::rule::{Code, codes};

pub use identity::{ClaimCheck, FulcioClaim, IdentityPolicy, IdentityPolicyError};
pub use input::parse_bundles;

/// A Sigstore trusted root (`trusted_root.json`): the Fulcio CAs, Rekor keys, CT logs and TSAs
/// a deployment trusts, each with its validity window.
#[derive(Clone)]
pub struct TrustedRoot {
    verifier: Arc<sigstore_verify::Verifier>,
    /// The root lists no transparency log (GitHub's private instance): signing time comes from
    /// RFC 3161 timestamps alone, and a bundle need not carry a Rekor entry.
    no_tlog: bool,
    /// The root lists no CT log: certificates carry no SCT to check.
    no_ct: bool,
    name: String,
}

impl std::fmt::Debug for TrustedRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustedRoot({})", self.name)
    }
}

/// Why a bundle, key or trusted root was refused, with the rule code that names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SigstoreError {
    /// The rule code.
    pub code: Code,
    /// What went wrong, for a person.
    pub message: String,
}

impl SigstoreError {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Self {
        SigstoreError {
            code,
            message: message.into(),
        }
    }
}

impl TrustedRoot {
    /// Reads `trusted_root.json` (the format every Sigstore client reads). A root that does not
    /// parse, or whose keys, certificates or windows are unusable, is refused as a whole.
    pub fn from_json(bytes: &[u8]) -> Result<TrustedRoot, SigstoreError> {
        let text = std::str::from_utf8(bytes).map_err(|_| {
            SigstoreError::new(
                codes::INPUT_MALFORMED_TRUSTED_ROOT,
                "the trusted root is not UTF-8 JSON",
            )
        })?;
        let root = sigstore_verify::trust_root::TrustedRoot::from_json(text).map_err(|e| {
            SigstoreError::new(
                codes::INPUT_MALFORMED_TRUSTED_ROOT,
                format!("not a Sigstore trusted root: {e}"),
            )
        })?;
        Self::from_root(root, "given")
    }

    /// The Sigstore public-good production root as shipped with sigstore-rust (a snapshot: pass
    /// a fresh `trusted_root.json` to follow key rotations).
    pub fn public_good() -> Result<TrustedRoot, SigstoreError> {
        Self::embedded(
            sigstore_verify::trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT,
            "public-good",
        )
    }

    /// The Sigstore staging root as shipped with sigstore-rust.
    pub fn staging() -> Result<TrustedRoot, SigstoreError> {
        Self::embedded(
            sigstore_verify::trust_root::SIGSTORE_STAGING_TRUSTED_ROOT,
            "staging",
        )
    }

    /// GitHub's Sigstore instance (artifact attestations of private repositories) as shipped with
    /// sigstore-rust.
    pub fn github() -> Result<TrustedRoot, SigstoreError> {
        Self::embedded(
            sigstore_verify::trust_root::SIGSTORE_GITHUB_TRUSTED_ROOT,
            "github",
        )
    }

    fn embedded(json: &str, name: &str) -> Result<TrustedRoot, SigstoreError> {
        let root = sigstore_verify::trust_root::TrustedRoot::from_json(json)
            .map_err(|e| SigstoreError::new(codes::INPUT_MALFORMED_TRUSTED_ROOT, e.to_string()))?;
        Self::from_root(root, name)
    }

    fn from_root(
        root: sigstore_verify::trust_root::TrustedRoot,
        name: &str,
    ) -> Result<TrustedRoot, SigstoreError> {
        provider::install();
        let no_tlog = root.tlogs.is_empty();
        let no_ct = root.ctlogs.is_empty();
        let verifier = sigstore_verify::Verifier::new(&root).map_err(|e| {
            SigstoreError::new(
                codes::INPUT_MALFORMED_TRUSTED_ROOT,
                format!("the trusted root cannot be used: {e}"),
            )
        })?;
        Ok(TrustedRoot {
            verifier: Arc::new(verifier),
            no_tlog,
            no_ct,
            name: name.to_owned(),
        })
    }
}

/// A Sigstore bundle as read, and the form it came in.
#[derive(Clone, Debug)]
pub struct Bundle {
    inner: st::Bundle,
    /// Where it came from: `bundle`, `jsonl line 3`, `pep740`, `npm attestations[0]`, ...
    origin: String,
}

impl Bundle {
    /// Reads one bundle (`*.sigstore.json`, or a PEP 740 attestation object, which is converted
    /// as the PEP describes). Files that hold several bundles go through [`parse_bundles`].
    pub fn from_json(bytes: &[u8]) -> Result<Bundle, SigstoreError> {
        let mut all = parse_bundles(bytes)?;
        if all.len() != 1 {
            return Err(SigstoreError::new(
                codes::SIGSTORE_MALFORMED_BUNDLE,
                format!("expected one Sigstore bundle, found {}", all.len()),
            ));
        }
        Ok(all.remove(0))
    }

    pub(crate) fn from_value(value: Value, origin: String) -> Result<Bundle, SigstoreError> {
        let inner: st::Bundle = serde_json::from_value(value).map_err(|e| {
            SigstoreError::new(
                codes::SIGSTORE_MALFORMED_BUNDLE,
                format!("{origin}: not a Sigstore bundle: {e}"),
            )
        })?;
        Ok(Bundle { inner, origin })
    }

    /// The bundle's `mediaType`.
    pub fn media_type(&self) -> String {
        self.inner.media_type.as_str().to_owned()
    }

    /// Where the bundle came from in its file.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether the bundle signs with a Fulcio certificate (keyless) rather than a key.
    pub fn is_keyless(&self) -> bool {
        self.inner.signing_certificate().is_some()
    }

    /// The DSSE envelope the bundle carries, as standard DSSE JSON (for the in-toto checks that
    /// follow verification); `None` for a message-signature bundle.
    pub fn dsse_envelope_json(&self) -> Option<Vec<u8>> {
        match &self.inner.content {
            st::SignatureContent::DsseEnvelope(env) => serde_json::to_vec(env).ok(),
            _ => None,
        }
    }
}

/// What a bundle signs: the artifact's bytes, or its SHA-256 digest.
#[derive(Clone, Copy, Debug)]
pub enum Artifact<'a> {
    /// The artifact itself.
    Bytes(&'a [u8]),
    /// Its `sha256:` digest (for a DSSE bundle, the digest of one of the statement's subjects).
    Digest(&'a Digest),
}

/// Who signed a bundle.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Signer {
    /// A Fulcio certificate: the identity and the claims it carries.
    Certificate {
        /// The SAN (an email address or a URI).
        subject: String,
        /// The OIDC issuer (Fulcio's issuer extension).
        issuer: String,
        /// The Fulcio extensions present, by their lockkeeper name.
        claims: std::collections::BTreeMap<String, String>,
        /// The certificate's public key, SPKI DER.
        #[serde(skip)]
        spki: Vec<u8>,
    },
    /// A key the caller supplied.
    Key {
        /// Its securesystemslib key id.
        keyid: String,
    },
}

/// A bundle that verified.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Verified {
    /// Who signed it.
    pub signer: Signer,
    /// The bundle's media type.
    pub media_type: String,
    /// The Rekor v1 integrated time, when inclusion was verified (RFC 3339).
    pub integrated_time: Option<String>,
    /// The Rekor entry's log index, when the transparency-log proof was verified.
    pub log_index: Option<u64>,
    /// How many RFC 3161 timestamps the bundle carries (each verified against the root's TSAs).
    pub rfc3161_timestamps: usize,
    /// Every authenticated time the checks used (Rekor, RFC 3161), RFC 3339.
    pub verified_times: Vec<String>,
    /// Whether the transparency-log proof was checked (false only with a root that has no log).
    pub tlog_verified: bool,
    /// Whether the certificate's SCT was checked (false for keys and roots without CT logs).
    pub sct_verified: bool,
    /// Whether the bundle carries a DSSE envelope (rather than a signature over the artifact).
    pub dsse: bool,
}

impl Verified {
    /// Facts for a decision: signer, times, which proofs were checked.
    pub fn facts(&self) -> Value {
        json!(self)
    }

    /// How the signing time was proven, as a decision states it.
    pub fn time_proof(&self) -> crate::decision::TimeProof {
        crate::decision::TimeProof {
            log_index: self.log_index,
            integrated_time: self.integrated_time.clone(),
            rfc3161_timestamps: self.rfc3161_timestamps,
            verified_times: self.verified_times.clone(),
        }
    }
}

impl Bundle {
    /// The first transparency-log entry's index, for a bundle whose log proof was verified.
    fn log_index(&self, tlog_verified: bool) -> Option<u64> {
        if !tlog_verified {
            return None;
        }
        self.inner
            .verification_material
            .tlog_entries
            .first()
            .map(|e| e.log_index.get())
    }

    fn rfc3161_timestamps(&self) -> usize {
        self.inner
            .verification_material
            .timestamp_verification_data
            .rfc3161_timestamps
            .len()
    }
}

/// How a bundle must be signed.
#[derive(Clone, Debug)]
pub enum SignedBy<'a> {
    /// A Fulcio certificate whose identity satisfies the policy.
    Identity(&'a IdentityPolicy),
    /// Any Fulcio certificate that chains to the root (the caller authorizes the identity
    /// afterwards, from [`Verified::signer`]).
    AnyIdentity,
    /// One of these keys.
    Key(&'a [PublicKey]),
}

/// Verifies `bundle` over `artifact` against `root`, offline, and checks its signer.
///
/// Every check sigstore-verify makes is required; the only relaxations are those the root
/// itself implies (no Rekor log listed: no inclusion proof, a TSA time instead; no CT log: no
/// SCT), as the Sigstore clients do for GitHub's private instance.
pub fn verify_bundle(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    root: &TrustedRoot,
    signed_by: &SignedBy<'_>,
) -> Result<Verified, SigstoreError> {
    let verified = verify_signature(bundle, artifact, root, signed_by)?;
    if let SignedBy::Identity(wanted) = signed_by {
        wanted
            .check(&verified.signer)
            .map_err(|mismatch| mismatch.into_error())?;
    }
    Ok(verified)
}

/// Everything but the identity check.
fn verify_signature(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    root: &TrustedRoot,
    signed_by: &SignedBy<'_>,
) -> Result<Verified, SigstoreError> {
    provider::install();
    provider::per_bundle(|| verify_signature_once(bundle, artifact, root, signed_by))
}

/// [`verify_signature`] inside one bundle's memo of signature checks.
fn verify_signature_once(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    root: &TrustedRoot,
    signed_by: &SignedBy<'_>,
) -> Result<Verified, SigstoreError> {
    let input: st::Artifact<'_> = match artifact {
        Artifact::Bytes(b) => b.into(),
        Artifact::Digest(d) => {
            let algorithm = match d.algorithm() {
                crate::digest::Algorithm::Sha256 => st::HashAlgorithm::Sha2256,
                crate::digest::Algorithm::Sha512 => st::HashAlgorithm::Sha2512,
            };
            let bytes = crate::digest::unhex(d.hex()).ok_or_else(|| {
                SigstoreError::new(codes::INPUT_INVALID_DIGEST, format!("{d} is not hex"))
            })?;
            st::ArtifactDigest::new(algorithm, st::DigestBytes::new(bytes))
                .map_err(|e| SigstoreError::new(codes::INPUT_INVALID_DIGEST, format!("{d}: {e}")))?
                .into()
        }
    };
    let dsse = matches!(bundle.inner.content, st::SignatureContent::DsseEnvelope(_));
    let media_type = bundle.media_type();
    match signed_by {
        SignedBy::Key(keys) => {
            if bundle.is_keyless() {
                return Err(SigstoreError::new(
                    codes::SIGSTORE_KEY_MISMATCH,
                    "the bundle is signed with a Fulcio certificate, but a key was required",
                ));
            }
            let mut last = None;
            for key in keys.iter() {
                let der = st::DerPublicKey::new(key.spki_der().to_vec());
                let mut policy = sigstore_verify::PublicKeyVerificationPolicy::new(der);
                if root.no_tlog {
                    policy = policy.skip_tlog_unsafe();
                }
                match root.verifier.verify(input.clone(), &bundle.inner, &policy) {
                    Ok(r) => {
                        return Ok(Verified {
                            signer: Signer::Key {
                                keyid: key.keyid().to_owned(),
                            },
                            media_type,
                            integrated_time: r.integrated_time().map(|t| t.to_string()),
                            log_index: bundle.log_index(r.tlog_verified()),
                            rfc3161_timestamps: bundle.rfc3161_timestamps(),
                            verified_times: r
                                .verified_timestamps()
                                .iter()
                                .map(ToString::to_string)
                                .collect(),
                            tlog_verified: r.tlog_verified(),
                            sct_verified: false,
                            dsse,
                        });
                    }
                    Err(e) => last = Some(e),
                }
            }
            Err(match last {
                None => SigstoreError::new(codes::SIGSTORE_KEY_MISMATCH, "no key was given"),
                Some(e) => {
                    let mapped = map_error(&e);
                    if mapped.code == codes::SIGSTORE_BAD_SIGNATURE && keys.len() > 1 {
                        SigstoreError::new(
                            codes::SIGSTORE_KEY_MISMATCH,
                            format!(
                                "the bundle is not signed by any of the {} keys given",
                                keys.len()
                            ),
                        )
                    } else {
                        mapped
                    }
                }
            })
        }
        SignedBy::Identity(_) | SignedBy::AnyIdentity => {
            if !bundle.is_keyless() {
                return Err(SigstoreError::new(
                    codes::SIGSTORE_KEY_MISMATCH,
                    "the bundle is signed with a key, not a Fulcio certificate: verify it with the key",
                ));
            }
            let mut policy = sigstore_verify::VerificationPolicy::any_identity();
            if root.no_tlog {
                policy = policy.skip_tlog_unsafe();
            }
            if root.no_ct {
                policy = policy.skip_sct();
            }
            let r = root
                .verifier
                .verify(input, &bundle.inner, &policy)
                .map_err(|e| map_error(&e))?;
            let cert = r.certificate().ok_or_else(|| {
                SigstoreError::new(
                    codes::SIGSTORE_UNTRUSTED_CERTIFICATE,
                    "the verifier returned no certificate",
                )
            })?;
            if !r.certificate_verified() {
                return Err(SigstoreError::new(
                    codes::SIGSTORE_UNTRUSTED_CERTIFICATE,
                    "the certificate chain was not verified",
                ));
            }
            let signer = Signer::Certificate {
                subject: cert
                    .identity
                    .as_ref()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                issuer: cert.issuer.clone().unwrap_or_default(),
                claims: identity::claims_of(&cert.ci_claims),
                spki: cert.public_key.as_bytes().to_vec(),
            };
            Ok(Verified {
                signer,
                media_type,
                integrated_time: r.integrated_time().map(|t| t.to_string()),
                log_index: bundle.log_index(r.tlog_verified()),
                rfc3161_timestamps: bundle.rfc3161_timestamps(),
                verified_times: r
                    .verified_timestamps()
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                tlog_verified: r.tlog_verified(),
                sct_verified: r.sct_verified(),
                dsse,
            })
        }
    }
}

/// A bundle file checked: the decision, what verified, and every identity value checked.
#[derive(Clone, Debug)]
pub struct BundleReport {
    /// Allowed when a bundle of the file verified and its signer satisfied the requirement.
    pub decision: Decision,
    /// The bundle that verified, if one did.
    pub verified: Option<Verified>,
    /// The identity policy's checks on the signer (issuer, subject, each Fulcio claim), with
    /// expected and actual values, for the bundle that verified or else the last one tried.
    pub identity_checks: Vec<Value>,
}

impl BundleReport {
    /// The decision's JSON with `verified` and `identity_checks` beside it.
    pub fn to_json_value(&self) -> Value {
        let mut v = self.decision.to_json_value();
        if let Value::Object(m) = &mut v {
            m.insert("verified".into(), json!(self.verified));
            m.insert("identity_checks".into(), json!(self.identity_checks));
        }
        v
    }
}

/// Checks every bundle in `bytes` (one bundle, JSON Lines, an npm attestations document, PEP
/// 740 objects) over `artifact`: allowed when one of them verifies and satisfies `signed_by`,
/// as `gh attestation verify` accepts a download that holds several attestations. Each
/// bundle's failure is in the facts.
pub fn check_bundles(
    bytes: &[u8],
    artifact: Artifact<'_>,
    root: &TrustedRoot,
    signed_by: &SignedBy<'_>,
) -> BundleReport {
    let what = match artifact {
        Artifact::Bytes(b) => Digest::sha256(b).to_string(),
        Artifact::Digest(d) => d.to_string(),
    };
    let mut decision = Decision::new(format!("Sigstore bundle for {what}"));
    let mut report = BundleReport {
        decision: Decision::new(String::new()),
        verified: None,
        identity_checks: Vec::new(),
    };
    let bundles = match parse_bundles(bytes) {
        Ok(b) => b,
        Err(e) => {
            decision.deny(Violation::new(
                e.code,
                e.message,
                facts! {"artifact" => what},
            ));
            report.decision = decision;
            return report;
        }
    };
    let mut failures: Vec<(SigstoreError, Value)> = Vec::new();
    for bundle in &bundles {
        let outcome = verify_signature(bundle, artifact, root, signed_by).and_then(|v| {
            if let SignedBy::Identity(wanted) = signed_by {
                report.identity_checks = wanted.report(&v.signer);
                if let Err(m) = wanted.check(&v.signer) {
                    return Err(m.into_error());
                }
            }
            Ok(v)
        });
        match outcome {
            Ok(v) => {
                for code in BUNDLE_CODES {
                    decision.pass(code);
                }
                match signed_by {
                    SignedBy::Identity(_) => {
                        decision.pass(codes::SIGSTORE_IDENTITY_MISMATCH);
                        decision.pass(codes::SIGSTORE_CLAIM_MISMATCH);
                    }
                    SignedBy::Key(_) => decision.pass(codes::SIGSTORE_KEY_MISMATCH),
                    SignedBy::AnyIdentity => {}
                }
                report.verified = Some(v);
                report.decision = decision;
                return report;
            }
            Err(e) => {
                let mut facts = facts! {
                    "artifact" => what,
                    "bundle" => bundle.origin(),
                    "media_type" => bundle.media_type(),
                    "trusted_root" => root.name,
                };
                if !report.identity_checks.is_empty() {
                    facts.insert("identity_checks".into(), json!(report.identity_checks));
                }
                failures.push((e, Value::Object(facts)));
            }
        }
    }
    let many = failures.len() > 1;
    for (i, (e, facts)) in failures.into_iter().enumerate() {
        let message = if many {
            format!("bundle {} of {}: {}", i + 1, bundles.len(), e.message)
        } else {
            e.message
        };
        let facts = match facts {
            Value::Object(m) => m,
            _ => Default::default(),
        };
        decision.deny(Violation::new(e.code, message, facts));
    }
    report.decision = decision;
    report
}

/// sigstore-verify's error, as the rule that names it.
fn map_error(e: &sigstore_verify::Error) -> SigstoreError {
    use sigstore_verify::{CertificateError as C, Error as E, TimestampError as T};
    let code = match e {
        E::IdentityMismatch { .. } | E::IssuerMismatch { .. } => codes::SIGSTORE_IDENTITY_MISMATCH,
        E::SignatureInvalid(_) | E::Crypto(_) => codes::SIGSTORE_BAD_SIGNATURE,
        E::ArtifactMismatch(_) | E::UnsupportedArtifact(_) => codes::SIGSTORE_ARTIFACT_MISMATCH,
        E::Certificate(C::Expired { .. } | C::NotYetValid { .. } | C::NoValidAuthority { .. }) => {
            codes::SIGSTORE_CERTIFICATE_EXPIRED
        }
        // webpki reports the leaf's lifetime as a chain error; it is still a question of time.
        E::Certificate(C::ChainInvalid(text))
            if text.contains("CertExpired") || text.contains("CertNotValidYet") =>
        {
            codes::SIGSTORE_CERTIFICATE_EXPIRED
        }
        E::Certificate(_) | E::TrustedCertificate(_) => codes::SIGSTORE_UNTRUSTED_CERTIFICATE,
        E::TransparencyLog(_) => codes::SIGSTORE_BAD_TRANSPARENCY_PROOF,
        E::Timestamp(T::NoVerifiedTimestamp(_)) => codes::SIGSTORE_MISSING_TRANSPARENCY_PROOF,
        E::Timestamp(_) => codes::SIGSTORE_BAD_TRANSPARENCY_PROOF,
        E::InvalidTrustRoot(_) | E::TrustRoot(_) => codes::INPUT_MALFORMED_TRUSTED_ROOT,
        E::Bundle(b) => {
            let text = b.to_string();
            let about_proof = ["inclusion", "checkpoint", "tlog", "timestamp"]
                .iter()
                .any(|w| text.contains(w));
            let absent = ["must have", "has no", "missing", "no tlog"]
                .iter()
                .any(|w| text.contains(w));
            match (about_proof, absent) {
                (true, true) => codes::SIGSTORE_MISSING_TRANSPARENCY_PROOF,
                (true, false) => codes::SIGSTORE_BAD_TRANSPARENCY_PROOF,
                _ => codes::SIGSTORE_MALFORMED_BUNDLE,
            }
        }
        _ => codes::SIGSTORE_MALFORMED_BUNDLE,
    };
    SigstoreError::new(code, e.to_string())
}

impl From<SigstoreError> for crate::Error {
    fn from(e: SigstoreError) -> Self {
        crate::Error::invalid(e.code, e.message)
    }
}

impl From<IdentityPolicyError> for crate::Error {
    fn from(e: IdentityPolicyError) -> Self {
        crate::Error::invalid(codes::POLICY_INVALID_VALUE, e.to_string())
    }
}

impl TrustedRoot {
    /// A root shipped with lockkeeper by name (`public-good`, `staging`, `github`).
    pub fn builtin(name: &str) -> Option<Result<TrustedRoot, SigstoreError>> {
        match name {
            "public-good" => Some(Self::public_good()),
            "staging" => Some(Self::staging()),
            "github" => Some(Self::github()),
            _ => None,
        }
    }

    /// What the root is called in facts: `public-good`, `staging`, `github`, or `given`.
    pub fn name(&self) -> &str {
        &self.name
    }
}
