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
    /// The request names an action that does not exist.
    RBAC_UNKNOWN_ACTION = "rbac/unknown-action", Error,
        "Actions are the permission names: submit, review, merge, approve, deploy, promote, admin.",
        "Use one of the listed action names.";
    /// The request names a role the policy does not define.
    RBAC_UNKNOWN_ROLE = "rbac/unknown-role", Error,
        "An approval check that names a role needs that role to exist in the policy.",
        "Use a role defined in the policy's `roles`.";
    /// An image layout, index, manifest or config that cannot be read as OCI.
    IMAGE_MALFORMED = "image/malformed", Violation,
        "Every part of an image that is checked must be well-formed OCI: layout marker, index, manifests and configs, each blob present and of a known kind.",
        "Rebuild or re-export the image with an OCI-compliant tool (e.g. `umoci`, `skopeo copy oci:`); the facts name the file and what the parser expected.";
    /// A blob whose bytes do not match the digest or size that points at it.
    IMAGE_BLOB_DIGEST_MISMATCH = "image/blob-digest-mismatch", Violation,
        "Content is identified by its digest: every blob read is checked against the digest and size of the descriptor that names it.",
        "The layout was altered or corrupted after it was written: fetch the image again from the registry and do not use this copy.";
    /// A base image from outside the allowed registries.
    IMAGE_EXTERNAL_BASE = "image/external-base", Violation,
        "Images are built on bases from our own registries (`images.allowed_bases`), never pulled straight from outside.",
        "Mirror the base into an allowed registry (and have it approved), then rebuild on the mirrored name.";
    /// An image whose base chain does not end in an approved root.
    IMAGE_UNKNOWN_LINEAGE = "image/unknown-lineage", Violation,
        "Every image descends from an approved root image (`images.approved_roots`), as its base annotations or labels record.",
        "Build on an approved base with a toolchain that records `org.opencontainers.image.base.name` and `.base.digest`, or check the base image together with this one.";
    /// An image without the labels the house toolchain sets.
    IMAGE_NOT_BUILT_BY_TOOLCHAIN = "image/not-built-by-toolchain", Violation,
        "Images are built by the house toolchain, which sets the labels `images.toolchain_labels` requires.",
        "Build the image with the house toolchain; adding the labels by hand does not make a build reproducible.";
    /// An image whose default user is root.
    IMAGE_RUNS_AS_ROOT = "image/runs-as-root", Violation,
        "With `images.non_root` (on by default) an image's default user is not root: an empty `User`, `root` or uid 0 is refused.",
        "Set a non-root user in the image (`USER 65534` in a Dockerfile, `--config.user` with umoci).";
    /// An environment variable whose name says it holds a secret.
    IMAGE_SECRET_IN_ENV = "image/secret-in-env", Violation,
        "Secrets never live in an image: environment variables whose names match `images.secret_env` must not carry a value.",
        "Remove the value from the image and have the deployment inject it at run time; rotate the secret, since the image has published it.";
    /// A volume the policy forbids (e.g. the Docker socket).
    IMAGE_FORBIDDEN_VOLUME = "image/forbidden-volume", Violation,
        "Images do not declare volumes the policy forbids (`images.forbidden_volumes`), such as the Docker socket, which hands the container the host.",
        "Remove the volume from the image configuration.";
    /// An image inventory that cannot be used to plan rebuilds.
    IMAGE_INVALID_INVENTORY = "image/invalid-inventory", Problem,
        "An image inventory is a list of {name, digest, base_digest} with valid digests, each digest listed once with one base.",
        "Fix the entry at the position shown; see docs/images.md for the inventory format.";
    /// A digest argument that is not `sha256:<hex>`.
    IMAGE_INVALID_DIGEST = "image/invalid-digest", Error,
        "Digests given to image commands are `sha256:<64 lowercase hex>` (or sha512).",
        "Pass the full digest, e.g. from `skopeo inspect` or the inventory.";
}

/// Looks a code up in the catalogue.
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}
