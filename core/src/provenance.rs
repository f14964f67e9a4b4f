//! Provenance verification as a policy decision: may this artifact be trusted as built by one
//! of our builders, from an allowed source, in a zone good enough for the target environment?
//!
//! The order of checks follows DSSE: signatures are checked over the exact bytes received, and
//! only a payload that a trusted key signed is parsed at all. Everything after that is read from
//! the verified statement, so nothing unsigned can influence the answer.

use serde_json::{Value, json};

use crate::attestation::{Envelope, IN_TOTO_PAYLOAD_TYPE, Provenance, Statement};
use crate::decision::{Decision, Facts, VerifiedEvidence, VerifiedSigner, Violation};
use crate::digest::Digest;
use crate::error::Error;
use crate::facts;
use crate::keys::PublicKey;
use crate::policy::{Builder, Policy};
use crate::rule::codes;
use crate::zone::ZoneId;

/// Who a trusted key belongs to.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Owner<'p> {
    /// A builder of the policy.
    Builder(&'p Builder),
    /// The deployment service (signs promotion records).
    DeployService(&'p crate::policy::DeployService),
}

impl<'p> Owner<'p> {
    pub(crate) fn name(&self) -> &'p str {
        match self {
            Owner::Builder(b) => &b.id,
            Owner::DeployService(d) => &d.id,
        }
    }

    pub(crate) fn zone(&self) -> ZoneId {
        match self {
            Owner::Builder(b) => b.zone,
            Owner::DeployService(d) => d.zone,
        }
    }

    /// The keyless identity the owner is known by, if any.
    pub(crate) fn identity(&self) -> Option<&'p crate::sigstore::IdentityPolicy> {
        match self {
            Owner::Builder(b) => b.identity.as_ref(),
            Owner::DeployService(d) => d.identity.as_ref(),
        }
    }
}

/// `used_as` of provenance a decision relied on.
pub(crate) const USED_AS_PROVENANCE: &str = "provenance";

/// Each distinct trusted signer whose signature verified, as a decision lists it: a key by its
/// id, a Sigstore certificate by its identity and the claims its owner's `identity`
/// constrained (`certificate` is the bundle's signer, whose key stands in `trusted`).
pub(crate) fn verified_signers(
    verifying: &[Option<usize>],
    trusted: &TrustedKeys<'_>,
    certificate: Option<&crate::sigstore::Signer>,
) -> Vec<VerifiedSigner> {
    let mut out: Vec<VerifiedSigner> = Vec::new();
    let mut seen: Vec<usize> = Vec::new();
    for &i in verifying.iter().flatten() {
        if seen.contains(&i) {
            continue;
        }
        seen.push(i);
        let (Some(key), Some(owner)) = (trusted.keys.get(i), trusted.owners.get(i)) else {
            continue;
        };
        let signer = match certificate {
            Some(crate::sigstore::Signer::Certificate {
                subject,
                issuer,
                claims,
                ..
            }) => VerifiedSigner::Certificate {
                issuer: issuer.clone(),
                subject: subject.clone(),
                claims: owner
                    .identity()
                    .into_iter()
                    .flat_map(|p| p.constrained_claims())
                    .filter_map(|c| {
                        claims
                            .get(c.name())
                            .map(|v| (c.name().to_owned(), v.clone()))
                    })
                    .collect(),
                owner: owner.name().to_owned(),
            },
            _ => VerifiedSigner::Key {
                keyid: key.keyid().to_owned(),
                owner: owner.name().to_owned(),
            },
        };
        if !out.contains(&signer) {
            out.push(signer);
        }
    }
    out
}

/// Where a piece of evidence came from, for the decision's list of what it relied on.
pub(crate) struct Origin<'a> {
    pub(crate) name: &'a str,
    pub(crate) bytes: &'a [u8],
    /// What verifying it as a Sigstore bundle established.
    pub(crate) bundle: Option<&'a crate::sigstore::Verified>,
}

/// Every key the policy trusts, each with its owner; one list so that each signature is
/// checked once whatever the evidence turns out to be.
pub(crate) struct TrustedKeys<'p> {
    pub(crate) keys: Vec<PublicKey>,
    pub(crate) owners: Vec<Owner<'p>>,
}

impl Policy {
    /// The builders' keys and, with `deploy_service`, the deployment service's.
    pub(crate) fn trusted_keys(&self, deploy_service: bool) -> TrustedKeys<'_> {
        let mut keys = Vec::new();
        let mut owners = Vec::new();
        for b in self.builders.values() {
            for k in &b.keys {
                keys.push(k.clone());
                owners.push(Owner::Builder(b));
            }
        }
        if deploy_service && let Some(d) = &self.deploy_service {
            for k in &d.keys {
                keys.push(k.clone());
                owners.push(Owner::DeployService(d));
            }
        }
        TrustedKeys { keys, owners }
    }
}

/// What a successful signature check established, for callers that go on deciding (the deploy
/// gate reads the builder zone and the statement from here).
#[derive(Clone, Debug)]
pub struct VerifiedProvenance {
    /// The statement, parsed from the verified payload bytes.
    pub statement: Statement,
    /// The SLSA predicate.
    pub provenance: Provenance,
    /// The policy builder the provenance names (and whose keys signed it).
    pub builder: String,
}

impl Policy {
    /// Decides whether `envelope` (DSSE JSON bytes) proves that `artifact` was built by a builder
    /// this policy trusts, from an allowed source, and — when `environment` is given — in a zone
    /// at least as trusted as that environment's `min_build_zone`.
    ///
    /// Unknown environment names are an error (`provenance/unknown-environment`); everything
    /// wrong with the evidence is a denial.
    pub fn verify_provenance(
        &self,
        envelope: &[u8],
        artifact: &Digest,
        environment: Option<&str>,
    ) -> Result<Decision, Error> {
        self.check_provenance(envelope, artifact, environment)
            .map(|(decision, _)| decision)
    }

    /// [`Policy::verify_provenance`], also returning what was verified when the signatures held.
    pub fn check_provenance(
        &self,
        envelope: &[u8],
        artifact: &Digest,
        environment: Option<&str>,
    ) -> Result<(Decision, Option<VerifiedProvenance>), Error> {
        let min_zone = match environment {
            None => None,
            Some(name) => Some(
                self.named_environment(name, codes::PROVENANCE_UNKNOWN_ENVIRONMENT)?
                    .min_build_zone,
            ),
        };
        let subject = match environment {
            Some(e) => format!("provenance of {artifact} for {e}"),
            None => format!("provenance of {artifact}"),
        };
        let mut d = Decision::new(subject).under(self);
        let claim = Claim {
            artifact,
            environment,
            min_zone: min_zone.flatten(),
        };

        if crate::sigstore::looks_like_bundle(envelope) {
            return Ok(match self.bundle_evidence(envelope, artifact, false) {
                Err(v) => {
                    d.deny(v);
                    (d, None)
                }
                Ok(evidence) => {
                    d.pass(codes::PROVENANCE_MALFORMED);
                    for code in crate::sigstore::BUNDLE_CODES {
                        d.pass(code);
                    }
                    // The bundle's own key verifies its envelope, and nothing else.
                    let trusted = TrustedKeys {
                        keys: evidence.keys,
                        owners: evidence.owners,
                    };
                    let origin = Origin {
                        name: &evidence.origin,
                        bytes: envelope,
                        bundle: Some(&evidence.verified),
                    };
                    self.judge_signed(&evidence.envelope, &trusted, &claim, d, &origin)
                }
            });
        }

        let origin = Origin {
            name: "envelope",
            bytes: envelope,
            bundle: None,
        };
        let envelope = match Envelope::from_json(envelope) {
            Ok(e) => e,
            Err(e) => {
                d.deny(Violation::new(
                    codes::PROVENANCE_MALFORMED,
                    format!("the evidence is not a DSSE envelope: {e}"),
                    facts! {"artifact" => artifact, "error" => e.to_string()},
                ));
                return Ok((d, None));
            }
        };
        d.pass(codes::PROVENANCE_MALFORMED);

        Ok(self.judge_signed(&envelope, &self.trusted_keys(false), &claim, d, &origin))
    }

    /// [`Policy::judge_provenance`] of `envelope` with the signatures checked against `trusted`
    /// (the policy's builder keys, or a Sigstore bundle's own key); provenance whose signers and
    /// builder were accepted is listed as relied on, with what verified it.
    fn judge_signed(
        &self,
        envelope: &Envelope,
        trusted: &TrustedKeys<'_>,
        claim: &Claim<'_>,
        d: Decision,
        origin: &Origin<'_>,
    ) -> (Decision, Option<VerifiedProvenance>) {
        let verifying = envelope.verifying_keys(&trusted.keys);
        let checked = CheckedEnvelope {
            envelope,
            verifying: &verifying,
            trusted,
            statement: None,
        };
        let (mut d, verified) = self.judge_provenance(checked, claim, d);
        if let Some(v) = &verified {
            d.relied_on(VerifiedEvidence {
                evidence: origin.name.to_owned(),
                digest: Digest::sha256(origin.bytes).to_string(),
                used_as: USED_AS_PROVENANCE,
                predicate_type: v.statement.predicate_type().to_owned(),
                builder: Some(v.builder.clone()),
                signers: verified_signers(&verifying, trusted, origin.bundle.map(|b| &b.signer)),
                time: origin.bundle.map(crate::sigstore::Verified::time_proof),
            });
        }
        (d, verified)
    }

    /// The provenance checks, one rule each, on an envelope whose signatures were already
    /// checked; each check that fails closed ends the decision there.
    pub(crate) fn judge_provenance(
        &self,
        mut checked: CheckedEnvelope<'_, '_>,
        claim: &Claim<'_>,
        mut d: Decision,
    ) -> (Decision, Option<VerifiedProvenance>) {
        let envelope = checked.envelope;
        let base = facts! {
            "artifact" => claim.artifact,
            "payload_type" => envelope.payload_type(),
            "signatures" => checked.signature_facts(),
        };
        if !checked.check_signatures(&base, &mut d) {
            return (d, None);
        }
        if envelope.payload_type() != IN_TOTO_PAYLOAD_TYPE {
            d.deny(Violation::new(
                codes::PROVENANCE_WRONG_PAYLOAD_TYPE,
                format!(
                    "payloadType is `{}`, not `{IN_TOTO_PAYLOAD_TYPE}`",
                    envelope.payload_type()
                ),
                base,
            ));
            return (d, None);
        }
        d.pass(codes::PROVENANCE_WRONG_PAYLOAD_TYPE);

        let parsed = match checked.statement.take() {
            Some(s) => Ok(s),
            None => Statement::from_json(envelope.payload()).map_err(|e| e.to_string()),
        };
        let statement = match parsed {
            Ok(s) => s,
            Err(e) => {
                let mut facts = base;
                facts.insert("error".into(), json!(e));
                d.deny(Violation::new(
                    codes::PROVENANCE_MALFORMED,
                    format!("the signed payload is not an in-toto statement: {e}"),
                    facts,
                ));
                return (d, None);
            }
        };
        let mut base = base;
        base.insert("predicate_type".into(), json!(statement.predicate_type()));
        base.insert("subjects".into(), json!(statement.subject_digests()));
        check_subject(&statement, claim.artifact, &base, &mut d);

        let provenance = match Provenance::from_statement(&statement) {
            Ok(p) => p,
            Err(e) => {
                let mut facts = base;
                facts.insert("error".into(), json!(e.to_string()));
                d.deny(Violation::new(
                    codes::PROVENANCE_MALFORMED,
                    format!("the statement is not SLSA provenance: {e}"),
                    facts,
                ));
                return (d, None);
            }
        };
        let Some(builder) = self.provenance_builder(&provenance, &mut base, &mut d) else {
            return (d, None);
        };
        self.check_builder_keys(builder, &checked, &mut base, &mut d);
        self.check_build_zone(builder, claim, &base, &mut d);
        self.check_source(&provenance, &base, &mut d);
        (
            d,
            Some(VerifiedProvenance {
                statement,
                provenance,
                builder: builder.id.clone(),
            }),
        )
    }

    /// The policy builder the provenance names; one the policy does not declare is denied.
    fn provenance_builder(
        &self,
        provenance: &Provenance,
        base: &mut Facts,
        d: &mut Decision,
    ) -> Option<&Builder> {
        let builder_id = provenance.builder_id().to_owned();
        base.insert("builder_id".into(), json!(builder_id));
        let Some(builder) = self.builders.get(&builder_id) else {
            let mut facts = base.clone();
            facts.insert(
                "known_builders".into(),
                json!(self.builders.keys().collect::<Vec<_>>()),
            );
            d.deny(Violation::new(
                codes::PROVENANCE_UNKNOWN_BUILDER,
                format!("builder `{builder_id}` is not declared in the policy's `builders`"),
                facts,
            ));
            return None;
        };
        d.pass(codes::PROVENANCE_UNKNOWN_BUILDER);
        Some(builder)
    }

    /// Distinct keys *of this builder* must have signed, as many as its threshold. A key may be
    /// trusted for several builders, so ownership is decided by the key itself, not by which
    /// builder's entry happened to verify first.
    fn check_builder_keys(
        &self,
        builder: &Builder,
        checked: &CheckedEnvelope<'_, '_>,
        base: &mut Facts,
        d: &mut Decision,
    ) {
        let builder_id = &builder.id;
        let verified: Vec<&PublicKey> = checked
            .verifying
            .iter()
            .flatten()
            .filter_map(|&i| checked.trusted.keys.get(i))
            .collect();
        let mut own: Vec<&PublicKey> = builder
            .keys
            .iter()
            .filter(|k| verified.contains(k))
            .collect();
        // A Sigstore certificate's key is this builder's when the certificate matched the
        // builder's `identity` (it is listed with this builder as owner).
        for &i in checked.verifying.iter().flatten() {
            if let (Some(Owner::Builder(b)), Some(k)) =
                (checked.trusted.owners.get(i), checked.trusted.keys.get(i))
                && b.id == builder.id
                && b.identity.is_some()
                && !own.contains(&k)
            {
                own.push(k);
            }
        }
        base.insert("builder_zone".into(), json!(self.zones.name(builder.zone)));
        base.insert("builder_threshold".into(), json!(builder.threshold));
        base.insert(
            "builder_keys_verified".into(),
            json!(own.iter().map(|k| k.keyid()).collect::<Vec<_>>()),
        );
        if own.is_empty() {
            d.deny(Violation::new(
                codes::PROVENANCE_BUILDER_KEY_MISMATCH,
                format!(
                    "the provenance claims builder `{builder_id}`, but it was signed only by keys of other builders"
                ),
                base.clone(),
            ));
            return;
        }
        d.pass(codes::PROVENANCE_BUILDER_KEY_MISMATCH);
        if own.len() < builder.threshold {
            d.deny(Violation::new(
                codes::PROVENANCE_THRESHOLD_NOT_MET,
                format!(
                    "{} of {} required distinct keys of builder `{builder_id}` signed",
                    own.len(),
                    builder.threshold
                ),
                base.clone(),
            ));
        } else {
            d.pass(codes::PROVENANCE_THRESHOLD_NOT_MET);
        }
    }

    /// The builder's zone must be at least the environment's minimum build zone, when asked.
    fn check_build_zone(
        &self,
        builder: &Builder,
        claim: &Claim<'_>,
        base: &Facts,
        d: &mut Decision,
    ) {
        let Some(min_zone) = claim.min_zone else {
            return;
        };
        let mut facts = base.clone();
        facts.insert("environment".into(), json!(claim.environment));
        facts.insert("min_build_zone".into(), json!(self.zones.name(min_zone)));
        if self.zones.dominates(builder.zone, min_zone) {
            d.pass(codes::PROVENANCE_BUILD_ZONE_TOO_LOW);
        } else {
            d.deny(Violation::new(
                codes::PROVENANCE_BUILD_ZONE_TOO_LOW,
                format!(
                    "built in zone `{}`, but {} requires builds from `{}` or above",
                    self.zones.name(builder.zone),
                    claim.environment.unwrap_or_default(),
                    self.zones.name(min_zone)
                ),
                facts,
            ));
        }
    }

    /// The source the provenance names must be one the policy admits, when it lists any.
    fn check_source(&self, provenance: &Provenance, base: &Facts, d: &mut Decision) {
        if self.sources.is_empty() {
            return;
        }
        let source = provenance.source();
        let admitted = source.as_ref().is_some_and(|s| {
            self.sources
                .iter()
                .any(|r| r.admits(&s.uri, s.git_ref.as_deref()))
        });
        if admitted {
            d.pass(codes::PROVENANCE_SOURCE_NOT_ALLOWED);
            return;
        }
        let mut facts = base.clone();
        facts.insert("source".into(), json!(source));
        facts.insert(
            "allowed_sources".into(),
            json!(self
                .sources
                .iter()
                .map(|r| json!({"uri": r.uri.as_str(), "refs": r.refs.iter().map(|p| p.as_str()).collect::<Vec<_>>()}))
                .collect::<Vec<_>>()),
        );
        let what = match &source {
            Some(s) => format!(
                "source `{}`{} is not among the policy's allowed sources",
                s.uri,
                s.git_ref
                    .as_ref()
                    .map(|r| format!(" at `{r}`"))
                    .unwrap_or_default()
            ),
            None => "the provenance names no source, and the policy only admits listed sources"
                .to_owned(),
        };
        d.deny(Violation::new(
            codes::PROVENANCE_SOURCE_NOT_ALLOWED,
            what,
            facts,
        ));
    }
}

/// An envelope whose signatures were checked against the policy's trusted keys.
pub(crate) struct CheckedEnvelope<'a, 'p> {
    pub(crate) envelope: &'a Envelope,
    /// `verifying[i]` is the index in `trusted.keys` of the key that verified signature `i`.
    pub(crate) verifying: &'a [Option<usize>],
    pub(crate) trusted: &'a TrustedKeys<'p>,
    /// The statement parsed from the envelope's payload, when the caller already has it.
    pub(crate) statement: Option<Statement>,
}

/// What the provenance is to prove: it is about `artifact`, and, for an environment with a
/// minimum build zone, that it was built in that zone or above.
pub(crate) struct Claim<'a> {
    pub(crate) artifact: &'a Digest,
    pub(crate) environment: Option<&'a str>,
    pub(crate) min_zone: Option<ZoneId>,
}

impl CheckedEnvelope<'_, '_> {
    /// Each signature: the key id it names, and the trusted key and owner that verified it.
    fn signature_facts(&self) -> Vec<Value> {
        let (keys, owners) = (&self.trusted.keys, &self.trusted.owners);
        self.envelope
            .signatures()
            .iter()
            .zip(self.verifying)
            .map(|(s, v)| {
                json!({
                    "keyid": s.keyid,
                    "verified_by": v.and_then(|i| keys.get(i)).map(PublicKey::keyid),
                    "signer": v.and_then(|i| owners.get(i)).map(Owner::name),
                })
            })
            .collect()
    }

    /// At least one signature must verify with a trusted key. When none does, a signature that
    /// names a trusted key is a bad signature (altered, or signed by another key); otherwise the
    /// signers are untrusted.
    fn check_signatures(&self, base: &Facts, d: &mut Decision) -> bool {
        let keys = &self.trusted.keys;
        if self.verifying.iter().any(Option::is_some) {
            d.pass(codes::PROVENANCE_BAD_SIGNATURE);
            d.pass(codes::PROVENANCE_UNTRUSTED_KEY);
            return true;
        }
        let signatures = self.envelope.signatures();
        let hinted = signatures.iter().any(|s| {
            s.keyid
                .as_deref()
                .is_some_and(|id| keys.iter().any(|k| k.has_keyid(id)))
        });
        let trusted: Vec<String> = keys.iter().map(|k| k.keyid().to_owned()).collect();
        let mut facts = base.clone();
        facts.insert("trusted_keyids".into(), json!(trusted));
        if hinted {
            d.deny(Violation::new(
                codes::PROVENANCE_BAD_SIGNATURE,
                "a signature names a trusted key but does not verify: the envelope was altered or signed by another key",
                facts,
            ));
        } else {
            d.deny(Violation::new(
                codes::PROVENANCE_UNTRUSTED_KEY,
                format!(
                    "none of the envelope's {} signature(s) is by a key the policy trusts for any builder",
                    signatures.len()
                ),
                facts,
            ));
        }
        false
    }
}

/// The statement must be about the artifact asked about.
fn check_subject(statement: &Statement, artifact: &Digest, base: &Facts, d: &mut Decision) {
    if statement.covers(artifact) {
        d.pass(codes::PROVENANCE_SUBJECT_MISMATCH);
    } else {
        d.deny(Violation::new(
            codes::PROVENANCE_SUBJECT_MISMATCH,
            format!("the statement is not about {artifact}: its subjects are other artifacts"),
            base.clone(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attestation::ProvenanceBuilder;
    use crate::keys::SigningKey;

    type R = Result<(), Box<dyn std::error::Error>>;

    fn hex(key: &SigningKey) -> String {
        key.public_key().to_securesystemslib()["keyval"]["public"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Two builders: `ci` in the trusted zone with two keys and a threshold of two, `dev` in a
    /// lower zone; only `git+https://g/app` on `main` is an allowed source.
    fn setup() -> Result<(Policy, [SigningKey; 3]), Box<dyn std::error::Error>> {
        let keys = [
            SigningKey::from_seed(&[1; 32])?,
            SigningKey::from_seed(&[2; 32])?,
            SigningKey::from_seed(&[3; 32])?,
        ];
        let policy = Policy::from_yaml(&format!(
            "zones: {{trusted: {{dominates: [dev]}}, dev: {{}}}}\n\
             environments: {{production: {{min_build_zone: trusted}}}}\n\
             builders:\n  ci: {{zone: trusted, keys: [\"{}\", \"{}\"], threshold: 2}}\n  dev: {{zone: dev, keys: [\"{}\"]}}\n\
             sources: [{{uri: \"git+https://g/app\", refs: [refs/heads/main]}}]\n",
            hex(&keys[0]),
            hex(&keys[1]),
            hex(&keys[2]),
        ))?;
        Ok((policy, keys))
    }

    fn envelope(builder: &str, artifact: &Digest, git_ref: &str, keys: &[&SigningKey]) -> Envelope {
        let statement = ProvenanceBuilder::new(builder)
            .subject("app", artifact.clone())
            .source("git+https://g/app", Some(git_ref), None)
            .build()
            .to_json();
        Envelope::sign(IN_TOTO_PAYLOAD_TYPE, statement.as_bytes(), keys)
    }

    fn judge(
        policy: &Policy,
        env: &Envelope,
        verifying: Option<Vec<Option<usize>>>,
        claim: &Claim<'_>,
    ) -> Decision {
        let trusted = policy.trusted_keys(false);
        let verifying = verifying.unwrap_or_else(|| env.verifying_keys(&trusted.keys));
        let checked = CheckedEnvelope {
            envelope: env,
            verifying: &verifying,
            trusted: &trusted,
            statement: None,
        };
        policy
            .judge_provenance(checked, claim, Decision::new("test"))
            .0
    }

    fn claim(artifact: &Digest) -> Claim<'_> {
        Claim {
            artifact,
            environment: Some("production"),
            min_zone: None,
        }
    }

    #[test]
    fn a_signature_naming_a_trusted_key_that_does_not_verify_is_bad_else_untrusted() -> R {
        let (policy, keys) = setup()?;
        let artifact = Digest::sha256(b"app");
        let env = envelope("ci", &artifact, "refs/heads/main", &[&keys[0]]);
        let bad = judge(&policy, &env, Some(vec![None]), &claim(&artifact));
        assert!(bad.has(codes::PROVENANCE_BAD_SIGNATURE), "{bad}");
        let stranger = SigningKey::from_seed(&[7; 32])?;
        let env = envelope("ci", &artifact, "refs/heads/main", &[&stranger]);
        let untrusted = judge(&policy, &env, None, &claim(&artifact));
        assert!(
            untrusted.has(codes::PROVENANCE_UNTRUSTED_KEY),
            "{untrusted}"
        );
        assert!(
            !untrusted.has(codes::PROVENANCE_BAD_SIGNATURE),
            "{untrusted}"
        );
        Ok(())
    }

    #[test]
    fn the_builders_own_keys_must_meet_its_threshold() -> R {
        let (policy, keys) = setup()?;
        let artifact = Digest::sha256(b"app");
        let both = envelope("ci", &artifact, "refs/heads/main", &[&keys[0], &keys[1]]);
        let ok = judge(&policy, &both, None, &claim(&artifact));
        assert!(ok.allowed(), "{ok}");
        let one = envelope("ci", &artifact, "refs/heads/main", &[&keys[0]]);
        let short = judge(&policy, &one, None, &claim(&artifact));
        assert!(short.has(codes::PROVENANCE_THRESHOLD_NOT_MET), "{short}");
        let other = envelope("ci", &artifact, "refs/heads/main", &[&keys[2]]);
        let foreign = judge(&policy, &other, None, &claim(&artifact));
        assert!(
            foreign.has(codes::PROVENANCE_BUILDER_KEY_MISMATCH),
            "{foreign}"
        );
        assert!(
            !foreign.has(codes::PROVENANCE_THRESHOLD_NOT_MET),
            "{foreign}"
        );
        let unknown = envelope("nobody", &artifact, "refs/heads/main", &[&keys[2]]);
        let d = judge(&policy, &unknown, None, &claim(&artifact));
        assert!(d.has(codes::PROVENANCE_UNKNOWN_BUILDER), "{d}");
        Ok(())
    }

    #[test]
    fn subject_zone_and_source_are_each_checked() -> R {
        let (policy, keys) = setup()?;
        let artifact = Digest::sha256(b"app");
        let env = envelope("dev", &artifact, "refs/heads/feature", &[&keys[2]]);
        let d = judge(&policy, &env, None, &claim(&artifact));
        // No minimum zone asked for: only the source is wrong.
        assert!(d.has(codes::PROVENANCE_SOURCE_NOT_ALLOWED), "{d}");
        assert!(!d.has(codes::PROVENANCE_BUILD_ZONE_TOO_LOW), "{d}");
        assert!(!d.has(codes::PROVENANCE_SUBJECT_MISMATCH), "{d}");
        let min = Claim {
            min_zone: policy
                .environments
                .get("production")
                .and_then(|e| e.min_build_zone),
            ..claim(&artifact)
        };
        let low = judge(&policy, &env, None, &min);
        assert!(low.has(codes::PROVENANCE_BUILD_ZONE_TOO_LOW), "{low}");
        let other = Digest::sha256(b"other");
        let wrong = judge(&policy, &env, None, &claim(&other));
        assert!(wrong.has(codes::PROVENANCE_SUBJECT_MISMATCH), "{wrong}");
        let main = envelope("dev", &artifact, "refs/heads/main", &[&keys[2]]);
        let fine = judge(&policy, &main, None, &claim(&artifact));
        assert!(fine.allowed(), "{fine}");
        Ok(())
    }
}
