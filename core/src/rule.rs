//! The catalogue of rule codes.
//!
//! A code is a promise: scripts match on it, docs explain it, tests trigger it. It never changes
//! meaning once released. `docs/rules.md` documents each entry of [`RULES`], and a test keeps the
//! two in step.
//!
//! In Rust a code is a [`Code`], so no finding can carry a misspelt one; its kebab-case text
//! (`rbac/missing-permission`) is the wire form every other front end sees (JSON, SARIF, Python,
//! Node), and it never changes.

use std::fmt;
use std::str::FromStr;

/// What kind of finding a code names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// Something wrong in a document lockkeeper reads (policy, pipeline): it is not used.
    Problem,
    /// A request the policy denies: part of a [`crate::Decision`].
    Violation,
    /// A request that cannot be understood (an unknown action or role name).
    Error,
}

/// How much a finding matters, in SARIF's levels, so a code scanner shows it as it should.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// A hint worth knowing; never the only reason to look twice.
    Note,
    /// A weakness that is not by itself a breach (a design lint).
    Warning,
    /// A breach of the policy, or input that cannot be trusted.
    Error,
}

/// How sure lockkeeper is that a finding is real: a rule that infers (from command text, from
/// names) says so, and so does a finding that rests on assumptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// An inference that may well be wrong.
    Low,
    /// An inference from indirect evidence (a name, a command line).
    Medium,
    /// Follows from what was read.
    High,
}

/// Who wants to see a rule's findings (zizmor's scheme): everyone, people who want design
/// lints too, or auditors who want every lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Persona {
    /// Shown to everyone: the findings that should block.
    Regular,
    /// Also shown to those who want design lints.
    Pedantic,
    /// Also shown to auditors, who want leads that may be false.
    Auditor,
}

impl RuleKind {
    /// The kebab-case name, as JSON spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            RuleKind::Problem => "problem",
            RuleKind::Violation => "violation",
            RuleKind::Error => "error",
        }
    }
}

macro_rules! level_text {
    ($ty:ty { $($variant:ident => $text:literal),* }) => {
        impl $ty {
            /// The kebab-case name, as JSON and SARIF spell it.
            pub const fn as_str(self) -> &'static str {
                match self { $( <$ty>::$variant => $text, )* }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = String;
            /// Reads the kebab-case name back; anything else is refused, never guessed.
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $( $text => Ok(<$ty>::$variant), )*
                    other => Err(format!(
                        "unknown {} `{other}`: expected {}",
                        stringify!($ty).to_lowercase(),
                        [$($text),*].join(", ")
                    )),
                }
            }
        }
    };
}
level_text!(Severity { Note => "note", Warning => "warning", Error => "error" });
level_text!(Confidence { Low => "low", Medium => "medium", High => "high" });
level_text!(Persona { Regular => "regular", Pedantic => "pedantic", Auditor => "auditor" });

/// One entry of the catalogue.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Rule {
    /// Stable code, `area/kebab-name`.
    pub code: Code,
    /// Problem, violation or error.
    pub kind: RuleKind,
    /// How much a finding of this rule matters.
    pub severity: Severity,
    /// How sure a finding of this rule is, unless the finding itself says less.
    pub confidence: Confidence,
    /// Who the rule's findings are for.
    pub persona: Persona,
    /// One line: what the rule protects.
    pub summary: &'static str,
    /// How to fix a finding of this rule.
    pub help: &'static str,
}

macro_rules! catalogue {
    ($( $(#[$doc:meta])* $name:ident / $variant:ident = $code:literal, $kind:ident, $severity:ident,
        $confidence:ident, $persona:ident, $summary:literal, $help:literal; )*) => {
        /// A rule code. Matches are not exhaustive: new rules are added in minor releases.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable kebab-case text, e.g. `rbac/missing-permission`.
            pub const fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// The catalogue entry.
            pub const fn rule(self) -> &'static Rule {
                match self {
                    $( Code::$variant => &Rule {
                        code: Code::$variant,
                        kind: RuleKind::$kind,
                        severity: Severity::$severity,
                        confidence: Confidence::$confidence,
                        persona: Persona::$persona,
                        summary: $summary,
                        help: $help,
                    }, )*
                }
            }
        }

        /// Rule codes as constants, so call sites read as the code they name.
        pub mod codes {
            use super::Code;
            $( $(#[$doc])* pub const $name: Code = Code::$variant; )*
        }

        /// Every rule lockkeeper knows, in documentation order.
        pub const RULES: &[Rule] = &[ $( *Code::$variant.rule(), )* ];
    };
}

catalogue! {
    /// Text that is not valid YAML/JSON, or a value of the wrong type.
    POLICY_SYNTAX / PolicySyntax = "policy/syntax", Problem, Error, High, Regular,
        "The policy must be valid YAML or JSON with values of the right type.",
        "Fix the text at the position shown; the message names what the parser expected.";
    /// A field the policy schema does not know.
    POLICY_UNKNOWN_FIELD / PolicyUnknownField = "policy/unknown-field", Problem, Error, High, Regular,
        "Every field of the policy must be known: a misspelt field would silently change nothing.",
        "Correct the field name (see docs/policy.md for the schema) or remove it.";
    /// A name defined twice.
    POLICY_DUPLICATE_NAME / PolicyDuplicateName = "policy/duplicate-name", Problem, Error, High, Regular,
        "Each zone, environment, principal, group, role, builder and secret is defined once.",
        "Merge the two definitions into one, or rename one of them.";
    /// A reference to something not defined.
    POLICY_UNDEFINED_REFERENCE / PolicyUndefinedReference = "policy/undefined-reference", Problem, Error, High, Regular,
        "Every zone, environment, role, group and principal the policy refers to is defined in it.",
        "Define the missing name, or correct the reference.";
    /// A cycle in the zone order or in promotion edges.
    POLICY_CYCLE / PolicyCycle = "policy/cycle", Problem, Error, High, Regular,
        "Zone dominance and environment promotion are partial orders: they cannot loop.",
        "Remove one edge of the cycle shown.";
    /// A list that must not be empty.
    POLICY_EMPTY_LIST / PolicyEmptyList = "policy/empty-list", Problem, Error, High, Regular,
        "Roles need permissions, groups need members, bindings need subjects, builders need keys, secrets need zones.",
        "Add at least one entry, or remove the definition.";
    /// A value outside its allowed set (permission names, globs, version).
    POLICY_INVALID_VALUE / PolicyInvalidValue = "policy/invalid-value", Problem, Error, High, Regular,
        "Values such as permission names, glob patterns and the schema version must be valid.",
        "Use one of the values the message lists.";
    /// A binding that breaks `require.merge_implies_deploy`.
    POLICY_MERGE_IMPLIES_DEPLOY / PolicyMergeImpliesDeploy = "policy/merge-implies-deploy", Problem, Error, High, Regular,
        "With require.merge_implies_deploy, every binding that grants merge also grants deploy, and the reverse: so who may merge may deploy, and only they.",
        "Give the bound role both `merge` and `deploy`, or neither; or turn the switch off.";
    /// The principal holds no role granting the action in the scope.
    RBAC_MISSING_PERMISSION / RbacMissingPermission = "rbac/missing-permission", Violation, Error, High, Regular,
        "An action is allowed only if a binding gives the principal a role with that permission in the scope.",
        "Add a binding for the principal (or a group it belongs to) whose scope covers the request, or ask someone who holds it.";
    /// The author approved their own change.
    RBAC_SELF_APPROVAL / RbacSelfApproval = "rbac/self-approval", Violation, Error, High, Regular,
        "Under separation of duties the author's own approval does not count.",
        "Ask another principal holding the approving role to review the change.";
    /// Fewer distinct qualified approvers than required.
    RBAC_INSUFFICIENT_APPROVALS / RbacInsufficientApprovals = "rbac/insufficient-approvals", Violation, Error, High, Regular,
        "k approvals means k distinct principals who hold the approving role in the scope.",
        "Collect approvals from more distinct principals holding the role; duplicates and unqualified approvals do not count.";
    /// The evidence is not a DSSE envelope / in-toto statement / SLSA provenance.
    PROVENANCE_MALFORMED / ProvenanceMalformed = "provenance/malformed", Violation, Error, High, Regular,
        "Evidence must be a DSSE envelope whose signed payload is an in-toto Statement with a SLSA provenance predicate (v1 or v0.2).",
        "Produce the evidence with an in-toto/SLSA tool or `lockkeeper sign`; the message names the part that did not parse.";
    /// The envelope's payloadType is not in-toto's.
    PROVENANCE_WRONG_PAYLOAD_TYPE / ProvenanceWrongPayloadType = "provenance/wrong-payload-type", Violation, Error, High, Regular,
        "A provenance envelope's payloadType must be application/vnd.in-toto+json; signatures cover the type, so it cannot be swapped.",
        "Sign the statement with payload type application/vnd.in-toto+json.";
    /// Signatures name trusted keys but do not verify.
    PROVENANCE_BAD_SIGNATURE / ProvenanceBadSignature = "provenance/bad-signature", Violation, Error, High, Regular,
        "Signatures are checked over the exact bytes received; a signature that claims a trusted key but does not verify means tampering.",
        "Re-sign the unmodified statement with the builder's key; check nothing rewrote the envelope in transit.";
    /// No signature by any key the policy trusts.
    PROVENANCE_UNTRUSTED_KEY / ProvenanceUntrustedKey = "provenance/untrusted-key", Violation, Error, High, Regular,
        "Only keys declared under a builder in the policy can make evidence trusted.",
        "Sign with a key listed in the policy's `builders`, or add the builder's public key to the policy.";
    /// Fewer distinct keys of the builder than its threshold.
    PROVENANCE_THRESHOLD_NOT_MET / ProvenanceThresholdNotMet = "provenance/threshold-not-met", Violation, Error, High, Regular,
        "A builder with `threshold: k` needs k distinct keys of its own to sign; one key signing twice counts once.",
        "Collect signatures from more distinct keys of the builder.";
    /// The artifact's digest is not a subject of the statement.
    PROVENANCE_SUBJECT_MISMATCH / ProvenanceSubjectMismatch = "provenance/subject-mismatch", Violation, Error, High, Regular,
        "Provenance vouches only for the artifacts named (by digest) in its subjects.",
        "Use the provenance generated for this exact artifact; a rebuilt artifact has a different digest and needs its own.";
    /// The builder id is not in the policy.
    PROVENANCE_UNKNOWN_BUILDER / ProvenanceUnknownBuilder = "provenance/unknown-builder", Violation, Error, High, Regular,
        "The provenance's builder id must be one the policy declares under `builders`.",
        "Declare the builder (with its zone and keys) or use evidence from a declared builder.";
    /// Signed by another builder's keys than the one it names.
    PROVENANCE_BUILDER_KEY_MISMATCH / ProvenanceBuilderKeyMismatch = "provenance/builder-key-mismatch", Violation, Error, High, Regular,
        "A builder may only vouch for itself: provenance naming builder X must be signed by X's keys.",
        "Sign with the named builder's key; an untrusted builder cannot claim a trusted builder's id.";
    /// The builder's zone is below the environment's minimum.
    PROVENANCE_BUILD_ZONE_TOO_LOW / ProvenanceBuildZoneTooLow = "provenance/build-zone-too-low", Violation, Error, High, Regular,
        "An artifact reaches an environment only if built in a zone at least as trusted as its min_build_zone.",
        "Rebuild from reviewed, merged code on a builder in a trusted zone.";
    /// The source is not among the allowed sources.
    PROVENANCE_SOURCE_NOT_ALLOWED / ProvenanceSourceNotAllowed = "provenance/source-not-allowed", Violation, Error, High, Regular,
        "When the policy lists `sources`, the provenance's source repository and ref must match one of them.",
        "Build from an allowed repository and ref, or add the source to the policy's `sources`.";
    /// No promotion edge leads from where the artifact has been to the target.
    PROMOTION_NO_EDGE / PromotionNoEdge = "promotion/no-edge", Violation, Error, High, Regular,
        "Artifacts move only along the promotion edges (`from`): testing -> staging -> production, no skipping.",
        "Promote the artifact into one of the target's `from` environments first.";
    /// No record shows the digest passed a source environment.
    PROMOTION_NOT_IN_SOURCE / PromotionNotInSource = "promotion/not-in-source", Violation, Error, High, Regular,
        "An environment with `from` admits only a digest that a deploy-service promotion record shows in one of those environments.",
        "Promote to the source environment first, and pass its signed promotion record as evidence.";
    /// A different digest of the artifact passed the source environment.
    PROMOTION_DIGEST_MISMATCH / PromotionDigestMismatch = "promotion/digest-mismatch", Violation, Error, High, Regular,
        "Promotion copies: the digest deployed is the digest that passed the previous environment, never a rebuild.",
        "Deploy the digest named in the source environment's promotion record.";
    /// Built in a zone below the environment's minimum (from verified provenance).
    PROMOTION_BUILD_ZONE_TOO_LOW / PromotionBuildZoneTooLow = "promotion/build-zone-too-low", Violation, Error, High, Regular,
        "An environment's min_build_zone is checked against the zone of the builder whose verified provenance covers the digest.",
        "Deploy an artifact built by a builder in a zone at least as trusted as min_build_zone.";
    /// The verified build's SLSA build level is below the environment's minimum.
    PROMOTION_SLSA_LEVEL_TOO_LOW / PromotionSlsaLevelTooLow = "promotion/slsa-level-too-low", Violation, Error, High, Regular,
        "An environment's min_slsa_build_level is checked against the slsa_build_level the policy declares for the builder whose verified provenance covers the digest, or, without one, the SLSA_BUILD_LEVEL_n the deploy service's promotion record states.",
        "Deploy an artifact built by a builder declared at that SLSA build level or above, or lower the environment's min_slsa_build_level.";
    /// Required evidence (provenance or an attestation) is missing.
    PROMOTION_MISSING_ATTESTATION / PromotionMissingAttestation = "promotion/missing-attestation", Violation, Error, High, Regular,
        "Build provenance (for entry environments and wherever min_build_zone is set) and each required attestation must be present, signed by a trusted signer, about this digest.",
        "Pass the signed attestation as evidence; check its subject digest and its signer's zone.";
    /// Required evidence is older than its max_age or states no time.
    PROMOTION_STALE_EVIDENCE / PromotionStaleEvidence = "promotion/stale-evidence", Violation, Error, High, Regular,
        "A required attestation with max_age must state a time (timestamp/finishedOn) no older than that.",
        "Re-run the check that produces the attestation and pass the fresh one.";
    /// The test results do not say they passed.
    PROMOTION_TEST_FAILED / PromotionTestFailed = "promotion/test-failed", Violation, Error, High, Regular,
        "A required test-result attestation must say `result: PASSED`.",
        "Fix the failing tests and pass a passing test-result attestation for this digest.";
    /// Not enough distinct, fresh approvals by holders of the role.
    PROMOTION_INSUFFICIENT_APPROVALS / PromotionInsufficientApprovals = "promotion/insufficient-approvals", Violation, Error, High, Regular,
        "An environment's `approvals` needs k distinct principals holding the role, the author excluded, each approval within max_age.",
        "Collect fresh approvals from more distinct principals holding the role.";
    /// The version does not satisfy the environment's requirement.
    PROMOTION_VERSION_CONSTRAINT / PromotionVersionConstraint = "promotion/version-constraint", Violation, Error, High, Regular,
        "An environment's `version` is a semver requirement every artifact it receives must satisfy.",
        "Deploy a version matching the requirement (and give it with --version).";
    /// The version is below what the environment last received.
    PROMOTION_VERSION_DOWNGRADE / PromotionVersionDowngrade = "promotion/version-downgrade", Violation, Error, High, Regular,
        "An environment never goes below the last version it received, unless the request is a declared rollback.",
        "Deploy a newer version, or declare the rollback explicitly (--rollback).";
    /// The environment is in a freeze window.
    PROMOTION_FREEZE_WINDOW / PromotionFreezeWindow = "promotion/freeze-window", Violation, Error, High, Regular,
        "Nothing enters an environment during its freeze windows, except an emergency override by a holder of its emergency role (recorded).",
        "Wait until the window ends, or have a holder of the emergency role request an emergency override.";
    /// A promotion names an environment the policy does not define.
    PROMOTION_UNKNOWN_ENVIRONMENT / PromotionUnknownEnvironment = "promotion/unknown-environment", Error, Error, High, Regular,
        "A promotion or deploy request targets an environment defined in the policy.",
        "Use an environment defined in the policy's `environments`.";
    /// A time that is not RFC 3339.
    INPUT_INVALID_TIME / InputInvalidTime = "input/invalid-time", Error, Error, High, Regular,
        "Times are RFC 3339 (2026-11-24T12:00:00Z).",
        "Write the time in RFC 3339 with a UTC offset.";
    /// A version that is not semver.
    INPUT_INVALID_VERSION / InputInvalidVersion = "input/invalid-version", Error, Error, High, Regular,
        "Versions are semantic versions (1.4.2; a leading v is accepted).",
        "Give the artifact's semantic version.";
    /// An envelope checked against keys and a threshold did not verify.
    ENVELOPE_THRESHOLD_NOT_MET / EnvelopeThresholdNotMet = "envelope/threshold-not-met", Error, Error, High, Regular,
        "Without a policy, an envelope verifies when at least `threshold` distinct given keys each verified a signature over its PAE.",
        "Sign with more distinct keys, or check that the envelope was not altered and the keys are the right ones.";
    /// A key that cannot be read.
    INPUT_INVALID_KEY / InputInvalidKey = "input/invalid-key", Error, Error, High, Regular,
        "Keys are read from PEM (SPKI or PKCS#1 public, PKCS#8 or SEC1 private), DER, hex (ed25519) or securesystemslib JSON; weak ed25519 keys are refused.",
        "Export the key in one of those forms (a public key where a public key is asked for).";
    /// A readable key of a type, curve or size lockkeeper does not accept.
    INPUT_UNSUPPORTED_KEY / InputUnsupportedKey = "input/unsupported-key", Error, Error, High, Regular,
        "Keys are ed25519, ECDSA P-256 or P-384, or RSA of at least 2048 bits; lockkeeper signs with ed25519 or ECDSA P-256.",
        "Use a key of a supported type and size (P-521, secp256k1, P-224 and RSA under 2048 bits are refused).";
    /// A digest not in the one accepted spelling.
    INPUT_INVALID_DIGEST / InputInvalidDigest = "input/invalid-digest", Error, Error, High, Regular,
        "Digests are written `sha256:<64 lowercase hex>` (or sha512), exactly one spelling per artifact.",
        "Use `lockkeeper digest FILE` to compute the digest in canonical form.";
    /// Envelope bytes that are not a DSSE envelope.
    INPUT_MALFORMED_ENVELOPE / InputMalformedEnvelope = "input/malformed-envelope", Error, Error, High, Regular,
        "A DSSE envelope is a JSON object with base64 `payload`, `payloadType` and `signatures[{keyid, sig}]`, without duplicate keys.",
        "Pass the envelope file itself (for a Sigstore bundle, its `dsseEnvelope`).";
    /// Statement bytes that are not an in-toto Statement.
    INPUT_MALFORMED_STATEMENT / InputMalformedStatement = "input/malformed-statement", Error, Error, High, Regular,
        "An in-toto Statement has `_type` v1 (or v0.1), a non-empty `subject` with well-formed digests and a `predicateType`.",
        "Fix the field the message names; `lockkeeper statement provenance` writes a valid one.";
    /// An environment name the policy does not define.
    PROVENANCE_UNKNOWN_ENVIRONMENT / ProvenanceUnknownEnvironment = "provenance/unknown-environment", Error, Error, High, Regular,
        "A provenance check for an environment needs that environment to exist in the policy.",
        "Use an environment defined in the policy's `environments`.";
    /// The request names an action that does not exist.
    RBAC_UNKNOWN_ACTION / RbacUnknownAction = "rbac/unknown-action", Error, Error, High, Regular,
        "Actions are the permission names: submit, review, merge, approve, deploy, promote, admin.",
        "Use one of the listed action names.";
    /// The request names a role the policy does not define.
    RBAC_UNKNOWN_ROLE / RbacUnknownRole = "rbac/unknown-role", Error, Error, High, Regular,
        "An approval check that names a role needs that role to exist in the policy.",
        "Use a role defined in the policy's `roles`.";
    /// The request names an environment the policy does not define.
    RBAC_UNKNOWN_ENVIRONMENT / RbacUnknownEnvironment = "rbac/unknown-environment", Error, Error, High, Regular,
        "An authorization or approval check that names an environment needs that environment to exist in the policy: a misspelt one would be decided by the bindings that ignore environments.",
        "Use an environment defined in the policy's `environments`, or leave the environment out.";
    /// An image layout, index, manifest or config that cannot be read as OCI.
    IMAGE_MALFORMED / ImageMalformed = "image/malformed", Violation, Error, High, Regular,
        "Every part of an image that is checked must be well-formed OCI: layout marker, index, manifests and configs, each blob present and of a known kind.",
        "Rebuild or re-export the image with an OCI-compliant tool (e.g. `umoci`, `skopeo copy oci:`); the facts name the file and what the parser expected.";
    /// A blob whose bytes do not match the digest or size that points at it.
    IMAGE_BLOB_DIGEST_MISMATCH / ImageBlobDigestMismatch = "image/blob-digest-mismatch", Violation, Error, High, Regular,
        "Content is identified by its digest: every blob read is checked against the digest and size of the descriptor that names it.",
        "The layout was altered or corrupted after it was written: fetch the image again from the registry and do not use this copy.";
    /// A base image from outside the allowed registries.
    IMAGE_EXTERNAL_BASE / ImageExternalBase = "image/external-base", Violation, Error, High, Regular,
        "Images are built on bases from our own registries (`images.allowed_bases`), never pulled straight from outside.",
        "Mirror the base into an allowed registry (and have it approved), then rebuild on the mirrored name.";
    /// An image whose base chain does not end in an approved root.
    IMAGE_UNKNOWN_LINEAGE / ImageUnknownLineage = "image/unknown-lineage", Violation, Error, Medium, Regular,
        "Every image descends from an approved root image (`images.approved_roots`), as its base annotations or labels record.",
        "Build on an approved base with a toolchain that records `org.opencontainers.image.base.name` and `.base.digest`, or check the base image together with this one.";
    /// An image without the labels the house toolchain sets.
    IMAGE_NOT_BUILT_BY_TOOLCHAIN / ImageNotBuiltByToolchain = "image/not-built-by-toolchain", Violation, Error, Medium, Regular,
        "Images are built by the house toolchain, which sets the labels `images.toolchain_labels` requires.",
        "Build the image with the house toolchain; adding the labels by hand does not make a build reproducible.";
    /// An image whose default user is root.
    IMAGE_RUNS_AS_ROOT / ImageRunsAsRoot = "image/runs-as-root", Violation, Error, High, Regular,
        "With `images.non_root` (on by default) an image's default user is not root: an empty `User`, `root` or uid 0 is refused.",
        "Set a non-root user in the image (`USER 65534` in a Dockerfile, `--config.user` with umoci).";
    /// An environment variable whose name says it holds a secret.
    IMAGE_SECRET_IN_ENV / ImageSecretInEnv = "image/secret-in-env", Violation, Error, Medium, Regular,
        "Secrets never live in an image: environment variables whose names match `images.secret_env` must not carry a value.",
        "Remove the value from the image and have the deployment inject it at run time; rotate the secret, since the image has published it.";
    /// A volume the policy forbids (e.g. the Docker socket).
    IMAGE_FORBIDDEN_VOLUME / ImageForbiddenVolume = "image/forbidden-volume", Violation, Error, High, Regular,
        "Images do not declare volumes the policy forbids (`images.forbidden_volumes`), such as the Docker socket, which hands the container the host.",
        "Remove the volume from the image configuration.";
    /// An image inventory that cannot be used to plan rebuilds.
    IMAGE_INVALID_INVENTORY / ImageInvalidInventory = "image/invalid-inventory", Problem, Error, High, Regular,
        "An image inventory is a list of {name, digest, base_digest} with valid digests, each digest listed once with one base.",
        "Fix the entry at the position shown; see docs/images.md for the inventory format.";
    /// A digest argument that is not `sha256:<hex>`.
    IMAGE_INVALID_DIGEST / ImageInvalidDigest = "image/invalid-digest", Error, Error, High, Regular,
        "Digests given to image commands are `sha256:<64 lowercase hex>` (or sha512).",
        "Pass the full digest, e.g. from `skopeo inspect` or the inventory.";
    /// An audit log entry that is unreadable, altered, or out of place in the hash chain.
    AUDIT_BROKEN_CHAIN / AuditBrokenChain = "audit/broken-chain", Violation, Error, High, Regular,
        "Each audit log entry records its position, the hash of the entry before it and its own hash, in one canonical spelling: a modified, removed, inserted or reordered entry breaks the chain.",
        "Treat the entries from the reported line on as untrusted: restore the log from a copy or replica you trust and find out who changed it.";
    /// An audit log entry or checkpoint whose signature does not verify under the given key.
    AUDIT_BAD_SIGNATURE / AuditBadSignature = "audit/bad-signature", Violation, Error, High, Regular,
        "Every audit log entry and every checkpoint is signed by the service key; a signature that does not verify means a forged entry, or a log written with another key.",
        "Check that the public key is the one of the service that wrote the log; if it is, the entry was forged or altered: restore it from a copy you trust.";
    /// A log that no longer holds every entry a signed checkpoint vouches for.
    AUDIT_TRUNCATED / AuditTruncated = "audit/truncated", Violation, Error, High, Regular,
        "A signed checkpoint vouches for a log's first N entries: a log without entry N lost history at its end, which the hash chain alone cannot show.",
        "Restore the missing entries from a copy or replica; keep checkpoints where the log's writer cannot change them.";
    /// A partial last line: an append interrupted by a crash.
    AUDIT_TORN_ENTRY / AuditTornEntry = "audit/torn-entry", Violation, Error, High, Regular,
        "Every append writes one complete line ending in a newline; a partial last line is an interrupted append, reported and never silently accepted or built upon.",
        "The entries before it are intact: move the partial line out of the log (its append never reported success) and append that record again.";
    /// A record to log that is not one JSON object.
    INPUT_MALFORMED_AUDIT_RECORD / InputMalformedAuditRecord = "input/malformed-audit-record", Error, Error, High, Regular,
        "An audit record is one JSON object (normally a decision) without duplicate keys; it is logged as given.",
        "Pass exactly one JSON object, e.g. the output of `lockkeeper authorize --json`.";
    /// Checkpoint bytes that are not an audit checkpoint.
    INPUT_MALFORMED_CHECKPOINT / InputMalformedCheckpoint = "input/malformed-checkpoint", Error, Error, High, Regular,
        "An audit checkpoint is the JSON object `lockkeeper audit checkpoint` writes: `count`, `head` and `sig`, nothing else.",
        "Pass the checkpoint file itself, unchanged.";
    /// Pipeline text that is not valid YAML/JSON, or a value of the wrong type.
    PIPELINE_SYNTAX / PipelineSyntax = "pipeline/syntax", Problem, Error, High, Regular,
        "A pipeline in lockkeeper's format must be valid YAML or JSON with values of the right type.",
        "Fix the text at the position shown; the message names what the parser expected.";
    /// A field the native pipeline schema does not know.
    PIPELINE_UNKNOWN_FIELD / PipelineUnknownField = "pipeline/unknown-field", Problem, Error, High, Regular,
        "Every field of a native pipeline must be known: a misspelt `secrets` would hide a credential.",
        "Correct the field name (see docs/pipelines.md) or remove it.";
    /// A key or job name written twice.
    PIPELINE_DUPLICATE_NAME / PipelineDuplicateName = "pipeline/duplicate-name", Problem, Error, High, Regular,
        "Each job is defined once, and each key is written once.",
        "Merge the two definitions or rename one of them.";
    /// A `needs` entry naming no job.
    PIPELINE_UNDEFINED_REFERENCE / PipelineUndefinedReference = "pipeline/undefined-reference", Problem, Error, High, Regular,
        "Every job a native pipeline's `needs` names is defined in it.",
        "Define the job, or correct the name.";
    /// A value outside its allowed set (trigger names, empty names, version).
    PIPELINE_INVALID_VALUE / PipelineInvalidValue = "pipeline/invalid-value", Problem, Error, High, Regular,
        "Triggers are patchset, approved, merged, tag, manual or schedule; names are not empty.",
        "Use one of the values the message lists.";
    /// A file an importer cannot read at all.
    IMPORT_SYNTAX / ImportSyntax = "import/syntax", Problem, Error, High, Regular,
        "An imported pipeline file must be YAML with the shape its platform expects.",
        "Fix the text at the position shown, or check that the file is in the format given with --format.";
    /// A file whose format cannot be recognised.
    IMPORT_UNKNOWN_FORMAT / ImportUnknownFormat = "import/unknown-format", Problem, Error, High, Regular,
        "With --format auto every file must be recognisable as native, Argo, GitLab CI, Zuul or GitHub Actions.",
        "Name the format with --format, or check that the file is a pipeline.";
    /// A construct an importer read but could not model.
    IMPORT_UNSUPPORTED / ImportUnsupported = "import/unsupported", Violation, Warning, High, Regular,
        "What an importer cannot model is reported, never dropped: a pipeline not fully understood is not called safe.",
        "Rewrite the construct in a form the importer models (see docs/pipelines.md), or check that part by hand and keep the finding in mind.";
    /// A file or set the check could not read whole: no job, constructs not modelled, or
    /// references to configuration that was not given.
    IMPORT_INCOMPLETE / ImportIncomplete = "import/incomplete", Violation, Error, High, Regular,
        "A check covers only what it read: a pipeline with no job, with constructs the importer could not model, or resolving to configuration that was not given is not called safe.",
        "Give the files the message names (included files, templates, job definitions; for GitLab also --include-dir DIR), or accept the gap knowingly with --allow-incomplete.";
    /// Jobs that depend on each other in a loop.
    PIPELINE_CYCLE / PipelineCycle = "pipeline/cycle", Violation, Error, High, Regular,
        "A pipeline is a DAG: a loop in needs or data flow has no order to run or to check in.",
        "Remove one edge of the cycle shown.";
    /// A job whose zone is not in the policy.
    PIPELINE_UNKNOWN_ZONE / PipelineUnknownZone = "pipeline/unknown-zone", Violation, Error, High, Regular,
        "Every job runs in a zone the policy defines; a job in an unknown zone is trusted with nothing.",
        "Use a zone the policy defines, or map the job's trigger or context to one in the policy's `pipelines` section.";
    /// Unmerged code running above its zone.
    PIPELINE_UNTRUSTED_CODE_IN_TRUSTED_ZONE / PipelineUntrustedCodeInTrustedZone = "pipeline/untrusted-code-in-trusted-zone", Violation, Error, High, Regular,
        "Unreviewed code runs only in the lowest zone, and approved but unmerged code no higher than the approved zone.",
        "Run the job in the zone its trigger maps to, or trigger it only after review and merge.";
    /// A secret a job's zone or environment may not receive.
    PIPELINE_SECRET_NOT_ALLOWED / PipelineSecretNotAllowed = "pipeline/secret-not-allowed", Violation, Error, High, Regular,
        "A secret goes only to the zones (and environments) the policy releases it to; a zone that may not hold credentials gets none.",
        "Move the job (or the part that needs the secret) to a zone that may hold it, or stop asking for the secret.";
    /// An input produced in a less trusted or incomparable zone.
    PIPELINE_TAINTED_INPUT / PipelineTaintedInput = "pipeline/tainted-input", Violation, Error, Medium, Regular,
        "Trust only flows down: what a job consumes from a less trusted or incomparable zone makes its output that untrusted.",
        "Stop consuming the input, rebuild it in a zone at least as trusted as the consumer, or move the consumer down.";
    /// Attacker-controlled event text expanded into something that executes it.
    PIPELINE_EXPRESSION_INJECTION / PipelineExpressionInjection = "pipeline/expression-injection", Violation, Error, High, Regular,
        "Text an outsider writes (titles, bodies, branch names, commit messages) never becomes code: expressions are expanded before a shell, a script or an agent reads them.",
        "Pass the value through an `env:` variable and quote it (`\"$TITLE\"`), or do not use it; never write it to $GITHUB_ENV or $GITHUB_PATH.";
    /// A job that runs repository code publishes.
    PIPELINE_BUILD_PUBLISHES / PipelineBuildPublishes = "pipeline/build-publishes", Violation, Warning, Medium, Pedantic,
        "Builds hold no credentials: only vetted code, never the repository under test, publishes to the artifact store, and only from a zone that may publish.",
        "Split the job: the build produces an artifact, a job running only vetted tooling in a publishing zone uploads it.";
    /// A deploy to an environment the policy does not define.
    PIPELINE_UNKNOWN_ENVIRONMENT / PipelineUnknownEnvironment = "pipeline/unknown-environment", Violation, Error, High, Regular,
        "A job deploys only to an environment the policy defines (or maps with `pipelines.environments`).",
        "Define the environment in the policy, map the platform's name to one, or allow undeclared environments in `pipelines.undeclared_environments`.";
    /// A deploy whose lineage includes a zone below the environment's minimum.
    PIPELINE_DEPLOY_FROM_UNTRUSTED_BUILD / PipelineDeployFromUntrustedBuild = "pipeline/deploy-from-untrusted-build", Violation, Error, High, Regular,
        "An artifact reaches an environment only if everything it was built from ran in a zone at least as trusted as the environment requires.",
        "Build what is deployed in a zone at least as trusted as the environment's min_build_zone, from inputs of that trust.";
    /// A deploy to a promoted-to environment that rebuilds instead of promoting.
    PIPELINE_REBUILD_ON_PROMOTE / PipelineRebuildOnPromote = "pipeline/rebuild-on-promote", Violation, Warning, Medium, Pedantic,
        "Promotion copies: the digest deployed to an environment reached by promotion is the one that passed the previous environment, never a rebuild.",
        "Deploy the promoted digest (from the registry or the previous environment), not an artifact built in this pipeline.";
    /// Deploy credentials outside the deploy zone.
    PIPELINE_CREDENTIALS_OUTSIDE_DEPLOY_ZONE / PipelineCredentialsOutsideDeployZone = "pipeline/credentials-outside-deploy-zone", Violation, Error, High, Regular,
        "Deploy credentials are released only to the deploy zone (the deployment service), never to the job that asks.",
        "Deploy through a job in the deploy zone, or hand the deployment to the service that holds the credentials.";
    /// Configuration the platform itself refuses to run (a Zuul post-review job in a
    /// pre-review pipeline, an abstract job run directly).
    PIPELINE_REFUSED_BY_PLATFORM / PipelineRefusedByPlatform = "pipeline/refused-by-platform", Violation, Note, High, Auditor,
        "What the platform refuses never runs: the check does not count it as a flow, and says so, because the configuration is broken rather than unsafe.",
        "Fix the configuration so the platform accepts it (attach the job to a pipeline that allows it), or remove the reference.";
    /// A file that holds no usable Sigstore bundle.
    SIGSTORE_MALFORMED_BUNDLE / SigstoreMalformedBundle = "sigstore/malformed-bundle", Violation, Error, High, Regular,
        "A Sigstore bundle (media type v0.1 to v0.3), a JSON Lines file of them, an npm attestations document or a PEP 740 attestation must parse and hold exactly the parts its media type requires.",
        "Pass the file the signer wrote, unchanged (`gh attestation download`, `cosign ... --bundle`, the registry's attestation endpoint).";
    /// The signature does not verify over the artifact or the DSSE payload.
    SIGSTORE_BAD_SIGNATURE / SigstoreBadSignature = "sigstore/bad-signature", Violation, Error, High, Regular,
        "The bundle's signature must verify under its certificate's (or the given) key over the exact artifact or DSSE payload.",
        "The bundle or its payload was altered, or it belongs to another artifact: fetch it again from its source.";
    /// The artifact is not what the bundle signs.
    SIGSTORE_ARTIFACT_MISMATCH / SigstoreArtifactMismatch = "sigstore/artifact-mismatch", Violation, Error, High, Regular,
        "A bundle proves something only about the artifact it signs: the artifact's digest must equal the signed digest, or be a subject of the signed statement.",
        "Check that the bundle belongs to this artifact (same file, same digest); download the bundle for this version.";
    /// The certificate does not chain to a certificate authority of the trusted root.
    SIGSTORE_UNTRUSTED_CERTIFICATE / SigstoreUntrustedCertificate = "sigstore/untrusted-certificate", Violation, Error, High, Regular,
        "A keyless signature counts only when its certificate chains to a Fulcio CA of the given trusted root, is a code-signing certificate, and carries a valid SCT when the root lists CT logs.",
        "Verify with the trusted root of the Sigstore instance that issued the certificate (public-good, GitHub's, or your own Fulcio's `trusted_root.json`).";
    /// The certificate (or its CA) was not valid when the signature was made.
    SIGSTORE_CERTIFICATE_EXPIRED / SigstoreCertificateExpired = "sigstore/certificate-expired", Violation, Error, High, Regular,
        "Fulcio certificates live minutes: the signing time proven by the transparency log or a timestamp authority must lie within the certificate's validity and its CA's window in the trusted root.",
        "The signature was made outside the certificate's lifetime; have the artifact signed again, or use a trusted root whose CA window covers the signing time.";
    /// No transparency-log entry or trusted timestamp proves when the signature was made.
    SIGSTORE_MISSING_TRANSPARENCY_PROOF / SigstoreMissingTransparencyProof = "sigstore/missing-transparency-proof", Violation, Error, High, Regular,
        "A bundle must prove its signing time: a Rekor entry with an inclusion proof and signed checkpoint (or, for v0.1 bundles, a SET), or an RFC 3161 timestamp from a TSA of the trusted root when the root lists no log.",
        "Sign with transparency-log upload enabled (the default of every Sigstore client), or with a timestamp authority listed in your trusted root.";
    /// The transparency-log entry, its proof, checkpoint or SET, or a timestamp does not verify.
    SIGSTORE_BAD_TRANSPARENCY_PROOF / SigstoreBadTransparencyProof = "sigstore/bad-transparency-proof", Violation, Error, High, Regular,
        "The Rekor entry must be from a log of the trusted root, describe this bundle, and carry a valid inclusion proof, checkpoint or SET; RFC 3161 timestamps must be signed by a TSA of the root.",
        "The bundle was altered, or it was logged in a log your trusted root does not list: use the root of the instance that logged it.";
    /// The certificate's issuer or subject is not the one the policy names.
    SIGSTORE_IDENTITY_MISMATCH / SigstoreIdentityMismatch = "sigstore/identity-mismatch", Violation, Error, High, Regular,
        "A keyless signature is trusted only for the identity the policy names: the OIDC issuer exactly, and the subject (SAN) exactly or by `subject_pattern`.",
        "Compare the certificate's subject and issuer in the facts with the policy's `identity`; fix the policy if the workflow moved, otherwise the artifact was signed by someone else.";
    /// A Fulcio extension of the certificate does not satisfy the policy.
    SIGSTORE_CLAIM_MISMATCH / SigstoreClaimMismatch = "sigstore/claim-mismatch", Violation, Error, High, Regular,
        "Each Fulcio claim the policy constrains (source repository, ref, trigger, runner environment, ...) must be present in the certificate and match one of the policy's patterns.",
        "Build from the repository, ref, trigger and runner the policy requires (e.g. a tag on a GitHub-hosted runner), or widen the policy deliberately.";
    /// A keyed bundle not signed by a trusted key, or a bundle of the other kind than required.
    SIGSTORE_KEY_MISMATCH / SigstoreKeyMismatch = "sigstore/key-mismatch", Violation, Error, High, Regular,
        "A bundle signed with a key must verify under one of the keys given (or trusted for the builder); a certificate bundle is not accepted where a key is required, nor the reverse.",
        "Pass the signer's public key (PEM, cosign `.pub` or securesystemslib JSON), or verify a keyless bundle with an identity.";
    /// A trusted root that cannot be read or used.
    INPUT_MALFORMED_TRUSTED_ROOT / InputMalformedTrustedRoot = "input/malformed-trusted-root", Error, Error, High, Regular,
        "A trusted root is a Sigstore `trusted_root.json` whose keys, certificates and validity windows are all usable.",
        "Pass the `trusted_root.json` of your Sigstore instance (`sigstore` clients fetch it by TUF; self-hosted deployments publish theirs).";
}

impl Code {
    /// The help text: how to fix a finding of this code.
    pub const fn help(self) -> &'static str {
        self.rule().help
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

/// A text that names no rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a lockkeeper rule code")]
pub struct UnknownCode(pub String);

impl FromStr for Code {
    type Err = UnknownCode;
    fn from_str(text: &str) -> Result<Code, UnknownCode> {
        rule(text)
            .map(|r| r.code)
            .ok_or_else(|| UnknownCode(text.to_owned()))
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Looks a code up in the catalogue by its text.
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code.as_str() == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_text_and_the_catalogue_is_in_order() {
        assert_eq!(RULES.len(), Code::ALL.len());
        for (rule, code) in RULES.iter().zip(Code::ALL) {
            assert_eq!(rule.code, *code);
            assert_eq!(code.as_str().parse::<Code>(), Ok(*code));
            assert_eq!(serde_json::json!(code), serde_json::json!(code.as_str()));
        }
        // Parsing is exact: a code in another case, or with stray spaces, is no code.
        assert!("RBAC/Missing-Permission".parse::<Code>().is_err());
        assert!(" rbac/missing-permission".parse::<Code>().is_err());
    }

    #[test]
    fn design_lints_are_pedantic_warnings_and_denials_are_regular_errors() {
        let build_publishes = codes::PIPELINE_BUILD_PUBLISHES.rule();
        assert_eq!(build_publishes.severity, Severity::Warning);
        assert_eq!(build_publishes.persona, Persona::Pedantic);
        let missing = codes::RBAC_MISSING_PERMISSION.rule();
        assert_eq!(
            (missing.severity, missing.confidence, missing.persona),
            (Severity::Error, Confidence::High, Persona::Regular)
        );
    }
}
