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
    /// Pipeline text that is not valid YAML/JSON, or a value of the wrong type.
    PIPELINE_SYNTAX = "pipeline/syntax", Problem,
        "A pipeline in lockkeeper's format must be valid YAML or JSON with values of the right type.",
        "Fix the text at the position shown; the message names what the parser expected.";
    /// A field the native pipeline schema does not know.
    PIPELINE_UNKNOWN_FIELD = "pipeline/unknown-field", Problem,
        "Every field of a native pipeline must be known: a misspelt `secrets` would hide a credential.",
        "Correct the field name (see docs/pipelines.md) or remove it.";
    /// A key or job name written twice.
    PIPELINE_DUPLICATE_NAME = "pipeline/duplicate-name", Problem,
        "Each job is defined once, and each key is written once.",
        "Merge the two definitions or rename one of them.";
    /// A `needs` entry naming no job.
    PIPELINE_UNDEFINED_REFERENCE = "pipeline/undefined-reference", Problem,
        "Every job a native pipeline's `needs` names is defined in it.",
        "Define the job, or correct the name.";
    /// A value outside its allowed set (trigger names, empty names, version).
    PIPELINE_INVALID_VALUE = "pipeline/invalid-value", Problem,
        "Triggers are patchset, approved, merged, tag, manual or schedule; names are not empty.",
        "Use one of the values the message lists.";
    /// A file an importer cannot read at all.
    IMPORT_SYNTAX = "import/syntax", Problem,
        "An imported pipeline file must be YAML with the shape its platform expects.",
        "Fix the text at the position shown, or check that the file is in the format given with --format.";
    /// A file whose format cannot be recognised.
    IMPORT_UNKNOWN_FORMAT = "import/unknown-format", Problem,
        "With --format auto every file must be recognisable as native, Argo, GitLab CI, Zuul or GitHub Actions.",
        "Name the format with --format, or check that the file is a pipeline.";
    /// A construct an importer read but could not model.
    IMPORT_UNSUPPORTED = "import/unsupported", Violation,
        "What an importer cannot model is reported, never dropped: a pipeline not fully understood is not called safe.",
        "Rewrite the construct in a form the importer models (see docs/pipelines.md), or check that part by hand and keep the finding in mind.";
    /// Jobs that depend on each other in a loop.
    PIPELINE_CYCLE = "pipeline/cycle", Violation,
        "A pipeline is a DAG: a loop in needs or data flow has no order to run or to check in.",
        "Remove one edge of the cycle shown.";
    /// A job whose zone is not in the policy.
    PIPELINE_UNKNOWN_ZONE = "pipeline/unknown-zone", Violation,
        "Every job runs in a zone the policy defines; a job in an unknown zone is trusted with nothing.",
        "Use a zone the policy defines, or map the job's trigger or context to one in the policy's `pipelines` section.";
    /// Unmerged code running above its zone.
    PIPELINE_UNTRUSTED_CODE_IN_TRUSTED_ZONE = "pipeline/untrusted-code-in-trusted-zone", Violation,
        "Unreviewed code runs only in the lowest zone, and approved but unmerged code no higher than the approved zone.",
        "Run the job in the zone its trigger maps to, or trigger it only after review and merge.";
    /// A secret a job's zone or environment may not receive.
    PIPELINE_SECRET_NOT_ALLOWED = "pipeline/secret-not-allowed", Violation,
        "A secret goes only to the zones (and environments) the policy releases it to; a zone that may not hold credentials gets none.",
        "Move the job (or the part that needs the secret) to a zone that may hold it, or stop asking for the secret.";
    /// An input produced in a less trusted or incomparable zone.
    PIPELINE_TAINTED_INPUT = "pipeline/tainted-input", Violation,
        "Trust only flows down: what a job consumes from a less trusted or incomparable zone makes its output that untrusted.",
        "Stop consuming the input, rebuild it in a zone at least as trusted as the consumer, or move the consumer down.";
    /// A job that runs repository code publishes.
    PIPELINE_BUILD_PUBLISHES = "pipeline/build-publishes", Violation,
        "Builds hold no credentials: only vetted code, never the repository under test, publishes to the artifact store, and only from a zone that may publish.",
        "Split the job: the build produces an artifact, a job running only vetted tooling in a publishing zone uploads it.";
    /// A deploy to an environment the policy does not define.
    PIPELINE_UNKNOWN_ENVIRONMENT = "pipeline/unknown-environment", Violation,
        "A job deploys only to an environment the policy defines (or maps with `pipelines.environments`).",
        "Define the environment in the policy, map the platform's name to one, or allow undeclared environments in `pipelines.undeclared_environments`.";
    /// A deploy whose lineage includes a zone below the environment's minimum.
    PIPELINE_DEPLOY_FROM_UNTRUSTED_BUILD = "pipeline/deploy-from-untrusted-build", Violation,
        "An artifact reaches an environment only if everything it was built from ran in a zone at least as trusted as the environment requires.",
        "Build what is deployed in a zone at least as trusted as the environment's min_build_zone, from inputs of that trust.";
    /// A deploy to a promoted-to environment that rebuilds instead of promoting.
    PIPELINE_REBUILD_ON_PROMOTE = "pipeline/rebuild-on-promote", Violation,
        "Promotion copies: the digest deployed to an environment reached by promotion is the one that passed the previous environment, never a rebuild.",
        "Deploy the promoted digest (from the registry or the previous environment), not an artifact built in this pipeline.";
    /// Deploy credentials outside the deploy zone.
    PIPELINE_CREDENTIALS_OUTSIDE_DEPLOY_ZONE = "pipeline/credentials-outside-deploy-zone", Violation,
        "Deploy credentials are released only to the deploy zone (the deployment service), never to the job that asks.",
        "Deploy through a job in the deploy zone, or hand the deployment to the service that holds the credentials.";
}

/// Looks a code up in the catalogue.
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}
