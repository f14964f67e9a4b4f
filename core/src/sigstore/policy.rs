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

    /// Verifies the bundles in `bytes` over `artifact` and maps their signer to builders (and,
    /// with `deploy_service`, to the deploy service, whose promotion records the gate reads).
    /// The first bundle that verifies and names a signer wins; if none does, the violation of
    /// the last one is returned (with every bundle's reason in its facts).
    pub(crate) fn bundle_evidence(
        &self,
        bytes: &[u8],
        artifact: &Digest,
        deploy_service: bool,
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
            match self.one_bundle(bundle, artifact, deploy_service) {
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
        deploy_service: bool,
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
        let all_keys = self.trusted_keys(deploy_service);
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
                    // A promotion record (VSA) signed keylessly by the deploy service: its
                    // certificate is matched like a builder's.
                    if deploy_service
                        && let Some(d) = &self.deploy_service
                        && let Some(identity) = &d.identity
                    {
                        reports.insert(d.id.clone(), json!(identity.report(&verified.signer)));
                        if identity.check(&verified.signer).is_ok() {
                            keys.push(key.clone());
                            owners.push(Owner::DeployService(d));
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
                            "the bundle's certificate identity matches no `identity` in the policy (builders, deploy service)",
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

#[cfg(test)]
mod tests {
    use super::*;

    type R = Result<(), Box<dyn std::error::Error>>;

    fn fixture(rel: &str) -> Result<Vec<u8>, std::io::Error> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../testdata/fixtures/sigstore")
                .join(rel),
        )
    }

    /// A deploy service known by a keyless identity: a bundle whose certificate matches it is
    /// the deploy service's (so a VSA in it is a promotion record for the gate); one by another
    /// subject or issuer is refused with `sigstore/identity-mismatch` and every check in the
    /// facts; and only the gate (not `verify_provenance`) maps certificates to the deploy service.
    #[test]
    fn a_deploy_service_identity_owns_the_bundles_its_certificate_signed() -> R {
        let bundle = fixture("bundles/gh-cli/sigstore-js-2.1.0-bundle.json")?;
        let root = super::super::TrustedRoot::from_json(&fixture(
            "trusted-roots/production.trusted_root.json",
        )?)?;
        let artifact = Digest::parse(
            "sha512:90f223f992e4c88dd068cd2a5fc57f9d2b30798343dd6e38f29c240e04ba090ef831f84490847c4e82b9232c78e8a258463b1e55c0f7469f730265008fa6633f",
        )?;
        let policy = |issuer: &str, subject: &str| {
            Policy::from_yaml(&format!(
                "zones: {{deploy: {{}}}}\n\
                 deploy_service:\n  id: https://deploy.example.org/pingee\n  zone: deploy\n  \
                 identity: {{issuer: \"{issuer}\", subject_pattern: \"{subject}\", runner_environment: github-hosted}}\n"
            ))
            .map(|p| p.with_trusted_root(root.clone()))
        };
        let issuer = "https://token.actions.githubusercontent.com";
        let ours = policy(
            issuer,
            "https://github.com/sigstore/sigstore-js/.github/workflows/*@refs/heads/main",
        )?;
        let evidence = ours
            .bundle_evidence(&bundle, &artifact, true)
            .map_err(|v| v.message)?;
        assert!(
            evidence
                .owners
                .iter()
                .any(|o| matches!(o, Owner::DeployService(_))),
            "the certificate should stand for the deploy service"
        );
        // verify_provenance never takes the deploy service's identity for a builder's.
        let Err(v) = ours.bundle_evidence(&bundle, &artifact, false) else {
            return Err("only the gate maps certificates to the deploy service".into());
        };
        assert_eq!(v.code, codes::SIGSTORE_IDENTITY_MISMATCH);

        for (issuer, subject) in [
            (
                issuer,
                "https://github.com/example/other/.github/workflows/*@refs/heads/main",
            ),
            (
                "https://accounts.google.com",
                "https://github.com/sigstore/sigstore-js/.github/workflows/*@refs/heads/main",
            ),
        ] {
            let Err(v) = policy(issuer, subject)?.bundle_evidence(&bundle, &artifact, true) else {
                return Err(format!("{issuer} {subject} should not match").into());
            };
            assert_eq!(v.code, codes::SIGSTORE_IDENTITY_MISMATCH, "{}", v.message);
            let checks = &v.facts["identity_checks"]["https://deploy.example.org/pingee"];
            assert!(
                checks
                    .as_array()
                    .is_some_and(|c| c.iter().any(|c| c["ok"] == json!(false))),
                "{checks}"
            );
        }
        Ok(())
    }
}
