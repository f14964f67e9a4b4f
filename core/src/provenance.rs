//! Provenance verification as a policy decision: may this artifact be trusted as built by one
//! of our builders, from an allowed source, in a zone good enough for the target environment?
//!
//! The order of checks follows DSSE: signatures are checked over the exact bytes received, and
//! only a payload that a trusted key signed is parsed at all. Everything after that is read from
//! the verified statement, so nothing unsigned can influence the answer.

use serde_json::{Value, json};

use crate::attestation::{Envelope, IN_TOTO_PAYLOAD_TYPE, Provenance, Statement};
use crate::decision::{Decision, Violation};
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
            Some(name) => match self.environments.get(name) {
                Some(env) => Some(env.min_build_zone),
                None => {
                    return Err(Error::invalid(
                        codes::PROVENANCE_UNKNOWN_ENVIRONMENT,
                        format!(
                            "environment `{name}` is not defined in the policy (defined: {})",
                            self.environments
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            },
        };
        let subject = match environment {
            Some(e) => format!("provenance of {artifact} for {e}"),
            None => format!("provenance of {artifact}"),
        };
        let mut d = Decision::new(subject).under(self);

        if crate::sigstore::looks_like_bundle(envelope) {
            return Ok(match self.bundle_evidence(envelope, artifact) {
                Err(v) => {
                    d.deny(v);
                    (d, None)
                }
                Ok(evidence) => {
                    d.pass(codes::PROVENANCE_MALFORMED);
                    for code in crate::sigstore::BUNDLE_CODES {
                        d.pass(code);
                    }
                    let trusted = TrustedKeys {
                        keys: evidence.keys,
                        owners: evidence.owners,
                    };
                    let verifying = evidence.envelope.verifying_keys(&trusted.keys);
                    self.judge_provenance(
                        &evidence.envelope,
                        &verifying,
                        &trusted,
                        None,
                        artifact,
                        min_zone.flatten(),
                        environment,
                        d,
                    )
                }
            });
        }

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

        let trusted = self.trusted_keys(false);
        let verifying = envelope.verifying_keys(&trusted.keys);
        Ok(self.judge_provenance(
            &envelope,
            &verifying,
            &trusted,
            None,
            artifact,
            min_zone.flatten(),
            environment,
            d,
        ))
    }

    /// The provenance checks on an envelope whose signatures were already checked against
    /// `trusted` (`verifying[i]` is the key that verified signature `i`). `statement` is the
    /// statement parsed from that envelope's payload, when the caller already has it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn judge_provenance(
        &self,
        envelope: &Envelope,
        verifying: &[Option<usize>],
        trusted: &TrustedKeys<'_>,
        statement: Option<Statement>,
        artifact: &Digest,
        min_zone: Option<ZoneId>,
        environment: Option<&str>,
        mut d: Decision,
    ) -> (Decision, Option<VerifiedProvenance>) {
        let (keys, owners) = (&trusted.keys, &trusted.owners);
        let signature_facts: Vec<Value> = envelope
            .signatures()
            .iter()
            .zip(verifying)
            .map(|(s, v)| {
                json!({
                    "keyid": s.keyid,
                    "verified_by": v.and_then(|i| keys.get(i)).map(PublicKey::keyid),
                    "signer": v.and_then(|i| owners.get(i)).map(Owner::name),
                })
            })
            .collect();
        let base = facts! {
            "artifact" => artifact,
            "payload_type" => envelope.payload_type(),
            "signatures" => signature_facts,
        };
        if verifying.iter().all(Option::is_none) {
            let hinted = envelope.signatures().iter().any(|s| {
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
                        envelope.signatures().len()
                    ),
                    facts,
                ));
            }
            return (d, None);
        }
        d.pass(codes::PROVENANCE_BAD_SIGNATURE);
        d.pass(codes::PROVENANCE_UNTRUSTED_KEY);

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

        let parsed = match statement {
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

        if statement.covers(artifact) {
            d.pass(codes::PROVENANCE_SUBJECT_MISMATCH);
        } else {
            d.deny(Violation::new(
                codes::PROVENANCE_SUBJECT_MISMATCH,
                format!("the statement is not about {artifact}: its subjects are other artifacts"),
                base.clone(),
            ));
        }

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
        let builder_id = provenance.builder_id().to_owned();
        base.insert("builder_id".into(), json!(builder_id));
        let Some(builder) = self.builders.get(&builder_id) else {
            let mut facts = base;
            facts.insert(
                "known_builders".into(),
                json!(self.builders.keys().collect::<Vec<_>>()),
            );
            d.deny(Violation::new(
                codes::PROVENANCE_UNKNOWN_BUILDER,
                format!("builder `{builder_id}` is not declared in the policy's `builders`"),
                facts,
            ));
            return (d, None);
        };
        d.pass(codes::PROVENANCE_UNKNOWN_BUILDER);

        // Distinct keys *of this builder* that verified a signature. A key may be trusted for
        // several builders, so ownership is decided by the key itself, not by which builder's
        // entry happened to verify first.
        let verified: Vec<&PublicKey> = verifying
            .iter()
            .flatten()
            .filter_map(|&i| keys.get(i))
            .collect();
        let mut own: Vec<&PublicKey> = builder
            .keys
            .iter()
            .filter(|k| verified.contains(k))
            .collect();
        // A Sigstore certificate's key is this builder's when the certificate matched the
        // builder's `identity` (it is listed with this builder as owner).
        for &i in verifying.iter().flatten() {
            if let (Some(Owner::Builder(b)), Some(k)) = (owners.get(i), keys.get(i))
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
        } else {
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

        if let Some(min_zone) = min_zone {
            let mut facts = base.clone();
            facts.insert("environment".into(), json!(environment));
            facts.insert("min_build_zone".into(), json!(self.zones.name(min_zone)));
            if self.zones.dominates(builder.zone, min_zone) {
                d.pass(codes::PROVENANCE_BUILD_ZONE_TOO_LOW);
            } else {
                d.deny(Violation::new(
                    codes::PROVENANCE_BUILD_ZONE_TOO_LOW,
                    format!(
                        "built in zone `{}`, but {} requires builds from `{}` or above",
                        self.zones.name(builder.zone),
                        environment.unwrap_or_default(),
                        self.zones.name(min_zone)
                    ),
                    facts,
                ));
            }
        }

        if !self.sources.is_empty() {
            let source = provenance.source();
            let admitted = source.as_ref().is_some_and(|s| {
                self.sources
                    .iter()
                    .any(|r| r.admits(&s.uri, s.git_ref.as_deref()))
            });
            if admitted {
                d.pass(codes::PROVENANCE_SOURCE_NOT_ALLOWED);
            } else {
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
                    None => {
                        "the provenance names no source, and the policy only admits listed sources"
                            .to_owned()
                    }
                };
                d.deny(Violation::new(
                    codes::PROVENANCE_SOURCE_NOT_ALLOWED,
                    what,
                    facts,
                ));
            }
        }

        (
            d,
            Some(VerifiedProvenance {
                statement,
                provenance,
                builder: builder.id.clone(),
            }),
        )
    }
}
