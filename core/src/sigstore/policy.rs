//! Bundles as provenance evidence: the hooks `verify_provenance` and the promotion gate call
//! when the evidence is a Sigstore bundle rather than a bare DSSE envelope.
//!
//! A bundle is verified first (chain, transparency proof, signature); then its signer is
//! mapped to the policy's builders (a certificate by each builder's `identity`, a key by the
//! builders' `keys`), and the DSSE envelope inside goes through the same statement checks as
//! any other envelope, with the certificate's key standing for the builder that matched.

use serde_json::{Value, json};

use super::{Artifact, Bundle, SignedBy, Signer, parse_bundles, verify_bundle};
use crate::attestation::Envelope;
use crate::decision::Violation;
use crate::digest::Digest;
use crate::keys::PublicKey;
use crate::policy::Policy;
use crate::provenance::Owner;
use crate::rule::codes;

/// What a verified bundle contributes: its envelope and the keys (with owners) that count as
/// having signed it.
pub(crate) struct BundleEvidence<'p> {
    pub(crate) envelope: Envelope,
    /// Where the bundle that verified sits in its file (`bundle`, `jsonl line 3`, ...).
    pub(crate) origin: String,
    /// What verifying it established: signer, log entry, times.
    pub(crate) verified: super::Verified,
    pub(crate) keys: Vec<PublicKey>,
    pub(crate) owners: Vec<Owner<'p>>,
}

/// Whether `bytes` are meant as a Sigstore bundle (or a file of them) rather than a DSSE
/// envelope: only then is the bundle path taken, so a malformed DSSE envelope is still
/// reported as one.
pub(crate) fn looks_like_bundle(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let head: String = text.chars().take(4096).collect();
    head.trim_start().starts_with('{')
        && (head.contains("application/vnd.dev.sigstore.bundle")
            || head.contains("\"verification_material\"")
            || head.contains("\"attestation_bundles\""))
}

impl Policy {
    /// Adds a Sigstore trusted root that bundles given as evidence are verified against (the
    /// public-good one, GitHub's, or a private deployment's). Without one, every bundle is
    /// refused.
    pub fn with_trusted_root(mut self, root: super::TrustedRoot) -> Policy {
        self.trusted_roots.push(root);
        self
    }

    /// The trusted roots added with [`Policy::with_trusted_root`].
    pub fn trusted_roots(&self) -> &[super::TrustedRoot] {
        &self.trusted_roots
    }

    /// Verifies the bundles in `bytes` over `artifact` and maps their signer to builders. The
    /// first bundle that verifies and names a builder wins; if none does, the violation of the
    /// last one is returned (with every bundle's reason in its facts).
    pub(crate) fn bundle_evidence(
        &self,
        bytes: &[u8],
        artifact: &Digest,
    ) -> Result<BundleEvidence<'_>, Violation> {
        let bundles = parse_bundles(bytes).map_err(|e| {
            Violation::new(e.code, e.message, crate::facts! {"artifact" => artifact})
        })?;
        if self.trusted_roots.is_empty() {
            return Err(Violation::new(
                codes::SIGSTORE_UNTRUSTED_CERTIFICATE,
                "the evidence is a Sigstore bundle, but no trusted root was given to verify it against",
                crate::facts! {"artifact" => artifact},
            ));
        }
        let mut reasons: Vec<Value> = Vec::new();
        let mut last = None;
        for bundle in &bundles {
            match self.one_bundle(bundle, artifact) {
                Ok(evidence) => return Ok(evidence),
                Err(v) => {
                    reasons.push(
                        json!({"bundle": bundle.origin(), "code": v.code, "message": v.message}),
                    );
                    last = Some(v);
                }
            }
        }
        let mut v = last.unwrap_or_else(|| {
            Violation::new(
                codes::SIGSTORE_MALFORMED_BUNDLE,
                "no bundle",
                crate::facts! {"artifact" => artifact},
            )
        });
        if bundles.len() > 1 {
            v.facts.insert("bundles".into(), json!(reasons));
        }
        Err(v)
    }

    fn one_bundle(
        &self,
        bundle: &Bundle,
        artifact: &Digest,
    ) -> Result<BundleEvidence<'_>, Violation> {
        let base = |extra: Value| {
            let mut f = crate::facts! {
                "artifact" => artifact,
                "bundle" => bundle.origin(),
                "media_type" => bundle.media_type(),
            };
            if let Value::Object(m) = extra {
                f.extend(m);
            }
            f
        };
        let Some(envelope_json) = bundle.dsse_envelope_json() else {
            return Err(Violation::new(
                codes::PROVENANCE_MALFORMED,
                "the bundle signs the artifact directly (message signature), not a provenance statement",
                base(json!({})),
            ));
        };
        let envelope = Envelope::from_json(&envelope_json).map_err(|e| {
            Violation::new(
                codes::SIGSTORE_MALFORMED_BUNDLE,
                format!("the bundle's DSSE envelope: {e}"),
                base(json!({})),
            )
        })?;
        let all_keys = self.trusted_keys(false);
        let mut last = None;
        for root in &self.trusted_roots {
            let signed_by = if bundle.is_keyless() {
                SignedBy::AnyIdentity
            } else {
                SignedBy::Key(&all_keys.keys)
            };
            let verified = match verify_bundle(bundle, Artifact::Digest(artifact), root, &signed_by)
            {
                Ok(v) => v,
                Err(e) => {
                    last = Some(Violation::new(
                        e.code,
                        e.message,
                        base(json!({"trusted_root": format!("{root:?}")})),
                    ));
                    continue;
                }
            };
            match &verified.signer {
                Signer::Key { .. } => {
                    return Ok(BundleEvidence {
                        envelope,
                        origin: bundle.origin().to_owned(),
                        verified,
                        keys: all_keys.keys,
                        owners: all_keys.owners,
                    });
                }
                Signer::Certificate { spki, .. } => {
                    let key = PublicKey::from_der(spki).map_err(|e| {
                        Violation::new(
                            codes::SIGSTORE_BAD_SIGNATURE,
                            format!("the certificate's key: {e}"),
                            base(json!({})),
                        )
                    })?;
                    let mut keys = Vec::new();
                    let mut owners = Vec::new();
                    let mut reports = serde_json::Map::new();
                    for b in self.builders.values() {
                        let Some(identity) = &b.identity else {
                            continue;
                        };
                        reports.insert(b.id.clone(), json!(identity.report(&verified.signer)));
                        if identity.check(&verified.signer).is_ok() {
                            keys.push(key.clone());
                            owners.push(Owner::Builder(b));
                        }
                    }
                    if keys.is_empty() {
                        let claims = reports
                            .values()
                            .flat_map(|r| r.as_array().cloned().unwrap_or_default())
                            .any(|c| {
                                c["ok"] == json!(false)
                                    && !matches!(
                                        c["field"].as_str(),
                                        Some("issuer" | "subject" | "subject_pattern")
                                    )
                            });
                        let identity_ok_somewhere = reports.values().any(|r| {
                            r.as_array().is_some_and(|checks| {
                                checks
                                    .iter()
                                    .filter(|c| {
                                        matches!(
                                            c["field"].as_str(),
                                            Some("issuer" | "subject" | "subject_pattern")
                                        )
                                    })
                                    .all(|c| c["ok"] == json!(true))
                            })
                        });
                        let code = if claims && identity_ok_somewhere {
                            codes::SIGSTORE_CLAIM_MISMATCH
                        } else {
                            codes::SIGSTORE_IDENTITY_MISMATCH
                        };
                        return Err(Violation::new(
                            code,
                            "the bundle's certificate identity matches no builder's `identity` in the policy",
                            base(json!({"signer": verified.signer, "identity_checks": reports})),
                        ));
                    }
                    return Ok(BundleEvidence {
                        envelope,
                        origin: bundle.origin().to_owned(),
                        verified,
                        keys,
                        owners,
                    });
                }
            }
        }
        Err(last.unwrap_or_else(|| {
            Violation::new(
                codes::SIGSTORE_UNTRUSTED_CERTIFICATE,
                "no trusted root",
                base(json!({})),
            )
        }))
    }
}
