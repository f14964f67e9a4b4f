//! The catalogue of rule codes.
//!
//! A code is a promise: scripts match on it, docs explain it, tests trigger it. It never changes
//! meaning once released. `docs/rules.md` documents each entry of [`RULES`], and a test keeps the
//! two in step.

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

/// One entry of the catalogue.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Rule {
    /// Stable code, `area/kebab-name`.
    pub code: &'static str,
    /// Problem, violation or error.
    pub kind: RuleKind,
    /// One line: what the rule protects.
    pub summary: &'static str,
    /// How to fix a finding of this rule.
    pub help: &'static str,
}

macro_rules! catalogue {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, $kind:ident, $summary:literal, $help:literal; )*) => {
        /// Rule codes as constants, so core code cannot misspell one.
        pub mod codes {
            $( $(#[$doc])* pub const $name: &str = $code; )*
        }
        /// Every rule lockkeeper knows, in documentation order.
        pub const RULES: &[Rule] = &[
            $( Rule { code: $code, kind: RuleKind::$kind, summary: $summary, help: $help }, )*
        ];
    };
}

catalogue! {
    /// Text that is not valid YAML/JSON, or a value of the wrong type.
    POLICY_SYNTAX = "policy/syntax", Problem,
        "The policy must be valid YAML or JSON with values of the right type.",
        "Fix the text at the position shown; the message names what the parser expected.";
    /// A field the policy schema does not know.
    POLICY_UNKNOWN_FIELD = "policy/unknown-field", Problem,
        "Every field of the policy must be known: a misspelt field would silently change nothing.",
        "Correct the field name (see docs/policy.md for the schema) or remove it.";
    /// A name defined twice.
    POLICY_DUPLICATE_NAME = "policy/duplicate-name", Problem,
        "Each zone, environment, principal, group, role, builder and secret is defined once.",
        "Merge the two definitions into one, or rename one of them.";
    /// A reference to something not defined.
    POLICY_UNDEFINED_REFERENCE = "policy/undefined-reference", Problem,
        "Every zone, environment, role, group and principal the policy refers to is defined in it.",
        "Define the missing name, or correct the reference.";
    /// A cycle in the zone order or in promotion edges.
    POLICY_CYCLE = "policy/cycle", Problem,
        "Zone dominance and environment promotion are partial orders: they cannot loop.",
        "Remove one edge of the cycle shown.";
    /// A list that must not be empty.
    POLICY_EMPTY_LIST = "policy/empty-list", Problem,
        "Roles need permissions, groups need members, bindings need subjects, builders need keys, secrets need zones.",
        "Add at least one entry, or remove the definition.";
    /// A value outside its allowed set (permission names, globs, version).
    POLICY_INVALID_VALUE = "policy/invalid-value", Problem,
        "Values such as permission names, glob patterns and the schema version must be valid.",
        "Use one of the values the message lists.";
    /// A binding that breaks `require.merge_implies_deploy`.
    POLICY_MERGE_IMPLIES_DEPLOY = "policy/merge-implies-deploy", Problem,
        "With require.merge_implies_deploy, every binding that grants merge also grants deploy, and the reverse: so who may merge may deploy, and only they.",
        "Give the bound role both `merge` and `deploy`, or neither; or turn the switch off.";
    /// The principal holds no role granting the action in the scope.
    RBAC_MISSING_PERMISSION = "rbac/missing-permission", Violation,
        "An action is allowed only if a binding gives the principal a role with that permission in the scope.",
        "Add a binding for the principal (or a group it belongs to) whose scope covers the request, or ask someone who holds it.";
    /// The author approved their own change.
    RBAC_SELF_APPROVAL = "rbac/self-approval", Violation,
        "Under separation of duties the author's own approval does not count.",
        "Ask another principal holding the approving role to review the change.";
    /// Fewer distinct qualified approvers than required.
    RBAC_INSUFFICIENT_APPROVALS = "rbac/insufficient-approvals", Violation,
        "k approvals means k distinct principals who hold the approving role in the scope.",
        "Collect approvals from more distinct principals holding the role; duplicates and unqualified approvals do not count.";
    /// The evidence is not a DSSE envelope / in-toto statement / SLSA provenance.
    PROVENANCE_MALFORMED = "provenance/malformed", Violation,
        "Evidence must be a DSSE envelope whose signed payload is an in-toto Statement with a SLSA provenance predicate (v1 or v0.2).",
        "Produce the evidence with an in-toto/SLSA tool or `lockkeeper sign`; the message names the part that did not parse.";
    /// The envelope's payloadType is not in-toto's.
    PROVENANCE_WRONG_PAYLOAD_TYPE = "provenance/wrong-payload-type", Violation,
        "A provenance envelope's payloadType must be application/vnd.in-toto+json; signatures cover the type, so it cannot be swapped.",
        "Sign the statement with payload type application/vnd.in-toto+json.";
    /// Signatures name trusted keys but do not verify.
    PROVENANCE_BAD_SIGNATURE = "provenance/bad-signature", Violation,
        "Signatures are checked over the exact bytes received; a signature that claims a trusted key but does not verify means tampering.",
        "Re-sign the unmodified statement with the builder's key; check nothing rewrote the envelope in transit.";
    /// No signature by any key the policy trusts.
    PROVENANCE_UNTRUSTED_KEY = "provenance/untrusted-key", Violation,
        "Only keys declared under a builder in the policy can make evidence trusted.",
        "Sign with a key listed in the policy's `builders`, or add the builder's public key to the policy.";
    /// Fewer distinct keys of the builder than its threshold.
    PROVENANCE_THRESHOLD_NOT_MET = "provenance/threshold-not-met", Violation,
        "A builder with `threshold: k` needs k distinct keys of its own to sign; one key signing twice counts once.",
        "Collect signatures from more distinct keys of the builder.";
    /// The artifact's digest is not a subject of the statement.
    PROVENANCE_SUBJECT_MISMATCH = "provenance/subject-mismatch", Violation,
        "Provenance vouches only for the artifacts named (by digest) in its subjects.",
        "Use the provenance generated for this exact artifact; a rebuilt artifact has a different digest and needs its own.";
    /// The builder id is not in the policy.
    PROVENANCE_UNKNOWN_BUILDER = "provenance/unknown-builder", Violation,
        "The provenance's builder id must be one the policy declares under `builders`.",
        "Declare the builder (with its zone and keys) or use evidence from a declared builder.";
    /// Signed by another builder's keys than the one it names.
    PROVENANCE_BUILDER_KEY_MISMATCH = "provenance/builder-key-mismatch", Violation,
        "A builder may only vouch for itself: provenance naming builder X must be signed by X's keys.",
        "Sign with the named builder's key; an untrusted builder cannot claim a trusted builder's id.";
    /// The builder's zone is below the environment's minimum.
    PROVENANCE_BUILD_ZONE_TOO_LOW = "provenance/build-zone-too-low", Violation,
        "An artifact reaches an environment only if built in a zone at least as trusted as its min_build_zone.",
        "Rebuild from reviewed, merged code on a builder in a trusted zone.";
    /// The source is not among the allowed sources.
    PROVENANCE_SOURCE_NOT_ALLOWED = "provenance/source-not-allowed", Violation,
        "When the policy lists `sources`, the provenance's source repository and ref must match one of them.",
        "Build from an allowed repository and ref, or add the source to the policy's `sources`.";
    /// An envelope checked against keys and a threshold did not verify.
    ENVELOPE_THRESHOLD_NOT_MET = "envelope/threshold-not-met", Error,
        "Without a policy, an envelope verifies when at least `threshold` distinct given keys each verified a signature over its PAE.",
        "Sign with more distinct keys, or check that the envelope was not altered and the keys are the right ones.";
    /// A key that cannot be read.
    INPUT_INVALID_KEY = "input/invalid-key", Error,
        "Keys are ed25519, as PEM (SPKI public / PKCS#8 private), 64 hex characters or securesystemslib JSON; weak keys are refused.",
        "Export the key in one of those forms; lockkeeper does not verify RSA or ECDSA.";
    /// A digest not in the one accepted spelling.
    INPUT_INVALID_DIGEST = "input/invalid-digest", Error,
        "Digests are written `sha256:<64 lowercase hex>` (or sha512), exactly one spelling per artifact.",
        "Use `lockkeeper digest FILE` to compute the digest in canonical form.";
    /// Envelope bytes that are not a DSSE envelope.
    INPUT_MALFORMED_ENVELOPE = "input/malformed-envelope", Error,
        "A DSSE envelope is a JSON object with base64 `payload`, `payloadType` and `signatures[{keyid, sig}]`, without duplicate keys.",
        "Pass the envelope file itself (for a Sigstore bundle, its `dsseEnvelope`).";
    /// Statement bytes that are not an in-toto Statement.
    INPUT_MALFORMED_STATEMENT = "input/malformed-statement", Error,
        "An in-toto Statement has `_type` v1 (or v0.1), a non-empty `subject` with well-formed digests and a `predicateType`.",
        "Fix the field the message names; `lockkeeper statement provenance` writes a valid one.";
    /// An environment name the policy does not define.
    PROVENANCE_UNKNOWN_ENVIRONMENT = "provenance/unknown-environment", Error,
        "A provenance check for an environment needs that environment to exist in the policy.",
        "Use an environment defined in the policy's `environments`.";
    /// The request names an action that does not exist.
    RBAC_UNKNOWN_ACTION = "rbac/unknown-action", Error,
        "Actions are the permission names: submit, review, merge, approve, deploy, promote, admin.",
        "Use one of the listed action names.";
    /// The request names a role the policy does not define.
    RBAC_UNKNOWN_ROLE = "rbac/unknown-role", Error,
        "An approval check that names a role needs that role to exist in the policy.",
        "Use a role defined in the policy's `roles`.";
    /// An audit log entry that is unreadable, altered, or out of place in the hash chain.
    AUDIT_BROKEN_CHAIN = "audit/broken-chain", Violation,
        "Each audit log entry records its position, the hash of the entry before it and its own hash, in one canonical spelling: a modified, removed, inserted or reordered entry breaks the chain.",
        "Treat the entries from the reported line on as untrusted: restore the log from a copy or replica you trust and find out who changed it.";
    /// An audit log entry or checkpoint whose signature does not verify under the given key.
    AUDIT_BAD_SIGNATURE = "audit/bad-signature", Violation,
        "Every audit log entry and every checkpoint is signed by the service key; a signature that does not verify means a forged entry, or a log written with another key.",
        "Check that the public key is the one of the service that wrote the log; if it is, the entry was forged or altered: restore it from a copy you trust.";
    /// A log that no longer holds every entry a signed checkpoint vouches for.
    AUDIT_TRUNCATED = "audit/truncated", Violation,
        "A signed checkpoint vouches for a log's first N entries: a log without entry N lost history at its end, which the hash chain alone cannot show.",
        "Restore the missing entries from a copy or replica; keep checkpoints where the log's writer cannot change them.";
    /// A partial last line: an append interrupted by a crash.
    AUDIT_TORN_ENTRY = "audit/torn-entry", Violation,
        "Every append writes one complete line ending in a newline; a partial last line is an interrupted append, reported and never silently accepted or built upon.",
        "The entries before it are intact: move the partial line out of the log (its append never reported success) and append that record again.";
    /// A record to log that is not one JSON object.
    INPUT_MALFORMED_AUDIT_RECORD = "input/malformed-audit-record", Error,
        "An audit record is one JSON object (normally a decision) without duplicate keys; it is logged as given.",
        "Pass exactly one JSON object, e.g. the output of `lockkeeper authorize --json`.";
    /// Checkpoint bytes that are not an audit checkpoint.
    INPUT_MALFORMED_CHECKPOINT = "input/malformed-checkpoint", Error,
        "An audit checkpoint is the JSON object `lockkeeper audit checkpoint` writes: `count`, `head` and `sig`, nothing else.",
        "Pass the checkpoint file itself, unchanged.";
}

/// Looks a code up in the catalogue.
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}
