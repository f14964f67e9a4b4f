//! Who may do what, where: authorization and approval quorums.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::decision::{Decision, Facts, Violation};
use crate::error::Error;
use crate::facts;
use crate::policy::{Binding, Policy};
use crate::role::Permission;
use crate::rule::codes;
use crate::scope::{Pattern, Scope};

/// A request to do something: who, what and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// The account asking.
    pub principal: String,
    /// What it wants to do.
    pub action: Permission,
    /// Where.
    pub scope: Scope,
}

impl AuthorizeRequest {
    /// A request with the action given by name (`deploy`, `merge`, ...).
    pub fn new(principal: &str, action: &str, scope: Scope) -> Result<Self, Error> {
        Ok(AuthorizeRequest {
            principal: principal.to_owned(),
            action: action
                .parse()
                .map_err(|e: crate::role::UnknownPermission| {
                    Error::invalid(codes::RBAC_UNKNOWN_ACTION, e.to_string())
                })?,
            scope,
        })
    }
}

/// A request to count approvals of a change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApprovalRequest {
    /// Who approved, in the order the approvals were given (repeats count once).
    pub approvals: Vec<String>,
    /// The change's author, excluded under separation of duties.
    pub author: Option<String>,
    /// How many distinct qualified approvers are needed.
    pub required: usize,
    /// The role an approver must hold; when `None`, any role granting `approve` qualifies.
    pub role: Option<String>,
    /// Where the change lives (project, ref, target environment).
    pub scope: Scope,
}

impl Policy {
    /// Decides whether `request.principal` may do `request.action` in `request.scope`.
    ///
    /// ```
    /// use lockkeeper::{AuthorizeRequest, Policy, Scope};
    /// let policy = Policy::from_yaml(r#"
    /// principals: {alice: {}}
    /// roles: {merger: {permissions: [merge]}}
    /// bindings: [{role: merger, principals: [alice], project: "mediawiki/*"}]
    /// "#)?;
    /// let ask = |p: &str| AuthorizeRequest::new("alice", "merge", Scope::any().project(p));
    /// assert!(policy.authorize(&ask("mediawiki/core")?)?.allowed());
    /// let denied = policy.authorize(&ask("operations/puppet")?)?;
    /// assert!(denied.has("rbac/missing-permission"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A scope naming an environment the policy does not define is an error
    /// (`rbac/unknown-environment`), not a decision: see [`Policy::check_scope`].
    pub fn authorize(&self, request: &AuthorizeRequest) -> Result<Decision, Error> {
        self.check_scope(&request.scope)?;
        Ok(self.decide(request))
    }

    /// Refuses a scope that names an environment the policy does not define.
    ///
    /// Bindings name environments exactly, and a binding without an environment applies in
    /// every one; so a misspelt environment (`prodution`) would be decided by those bindings
    /// alone and could answer "allowed" for an environment that does not exist. Projects and
    /// refs are not defined by the policy (bindings match them with globs), so any value is
    /// a legitimate question about them.
    pub fn check_scope(&self, scope: &Scope) -> Result<(), Error> {
        match &scope.environment {
            Some(name) => self
                .named_environment(name, codes::RBAC_UNKNOWN_ENVIRONMENT)
                .map(|_| ()),
            None => Ok(()),
        }
    }

    /// [`Policy::authorize`] on a scope already checked.
    pub(crate) fn decide(&self, request: &AuthorizeRequest) -> Decision {
        let AuthorizeRequest {
            principal,
            action,
            scope,
        } = request;
        let mut decision = Decision::new(format!("{principal}: {action} {scope}")).under(self);
        match self.holds(principal, *action, scope) {
            Ok(_) => decision.pass(codes::RBAC_MISSING_PERMISSION),
            Err(facts) => decision.deny(Violation::new(
                codes::RBAC_MISSING_PERMISSION,
                format!("`{principal}` holds no role that grants `{action}` in {scope}"),
                facts,
            )),
        }
        decision
    }

    /// Counts the distinct approvers of a change who hold the required role in its scope.
    ///
    /// The author's own approval never counts when `require.separation_of_duties` is on (the
    /// default). It is reported as `rbac/self-approval` when the quorum fails, since it is then
    /// part of the reason; ignoring it can never turn a denial into an allow.
    pub fn check_approvals(&self, request: &ApprovalRequest) -> Result<Decision, Error> {
        self.check_scope(&request.scope)?;
        if let Some(role) = &request.role
            && !self.roles.contains_key(role)
        {
            return Err(Error::invalid(
                codes::RBAC_UNKNOWN_ROLE,
                format!(
                    "role `{role}` is not defined in the policy (defined roles: {})",
                    self.roles.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let needs = match &request.role {
            Some(role) => format!("role `{role}`"),
            None => "the `approve` permission".to_owned(),
        };
        let mut decision = Decision::new(format!(
            "{} approval(s) by holders of {needs} in {}",
            request.required, request.scope
        ))
        .under(self);
        let sod = self.require.separation_of_duties;
        let mut seen = BTreeSet::new();
        let (mut counted, mut repeated, mut unqualified, mut by_author) =
            (Vec::new(), Vec::new(), Vec::new(), false);
        for approver in &request.approvals {
            if !seen.insert(approver.as_str()) {
                repeated.push(approver.clone());
                continue;
            }
            if sod && request.author.as_deref() == Some(approver.as_str()) {
                by_author = true;
                continue;
            }
            let qualified = match &request.role {
                Some(role) => self.bound_to(approver, role, &request.scope),
                None => self
                    .holds(approver, Permission::Approve, &request.scope)
                    .is_ok(),
            };
            if qualified {
                counted.push(approver.clone());
            } else {
                unqualified.push(approver.clone());
            }
        }
        let enough = counted.len() >= request.required;
        let base = facts! {
            "required" => request.required,
            "counted" => counted,
            "role" => request.role,
            "scope" => request.scope,
            "author" => request.author,
            "separation_of_duties" => sod,
            "repeated_approvals_ignored" => repeated,
            "approvers_without_role" => unqualified,
        };
        if by_author && !enough {
            let author = request.author.clone().unwrap_or_default();
            let mut facts = base.clone();
            facts.insert("principal".into(), json!(author));
            decision.deny(Violation::new(
                codes::RBAC_SELF_APPROVAL,
                format!("`{author}` approved their own change; under separation of duties it does not count"),
                facts,
            ));
        } else {
            decision.pass(codes::RBAC_SELF_APPROVAL);
        }
        if enough {
            decision.pass(codes::RBAC_INSUFFICIENT_APPROVALS);
        } else {
            decision.deny(Violation::new(
                codes::RBAC_INSUFFICIENT_APPROVALS,
                format!(
                    "{} of {} required approvals by distinct holders of {needs}",
                    counted.len(),
                    request.required
                ),
                base,
            ));
        }
        Ok(decision)
    }

    /// Whether `principal` is bound to `role` in `scope`.
    pub(crate) fn bound_to(&self, principal: &str, role: &str, scope: &Scope) -> bool {
        self.grants.of(principal).any(|n| {
            self.bindings
                .get(n)
                .is_some_and(|b| b.role == role && mismatch(b, scope).is_none())
        })
    }

    /// The binding that grants `permission` to `principal` in `scope`, or the facts of why
    /// none does. Deciding looks only at the principal's own bindings and allocates nothing;
    /// the facts are built for a denial alone.
    fn holds(
        &self,
        principal: &str,
        permission: Permission,
        scope: &Scope,
    ) -> Result<usize, Facts> {
        for n in self.grants.of(principal) {
            if let Some(b) = self.bindings.get(n)
                && self.grants.grants(n, permission)
                && mismatch(b, scope).is_none()
            {
                return Ok(b.index);
            }
        }
        Err(self.denial_facts(principal, permission, scope))
    }

    /// Why no binding grants `permission` to `principal` in `scope`: the nearest bindings first
    /// (those naming the principal, whose scope does not cover the request; then those covering
    /// the scope, which do not name it), at most [`SHOWN_BINDINGS`], in policy order, with a
    /// count of the other bindings that grant the permission.
    fn denial_facts(&self, principal: &str, permission: Permission, scope: &Scope) -> Facts {
        let mut own: Vec<usize> = self
            .grants
            .of(principal)
            .filter(|&n| self.grants.grants(n, permission))
            .collect();
        own.sort_unstable();
        own.dedup();
        let granting = self.grants.granting(permission);
        let others = granting
            .iter()
            .map(|&n| n as usize)
            .filter(|n| own.binary_search(n).is_err());
        let covering: Vec<usize> = others
            .clone()
            .filter(|&n| {
                self.bindings
                    .get(n)
                    .is_some_and(|b| mismatch(b, scope).is_none())
            })
            .take(SHOWN_BINDINGS)
            .collect();
        // The principal's own bindings first, leaving a few places to bindings that cover the
        // scope (whose holders could act); then whichever kind has more, then the rest.
        let own_n = own
            .len()
            .min(SHOWN_BINDINGS - covering.len().min(COVERING_KEPT));
        let covering_n = covering.len().min(SHOWN_BINDINGS - own_n);
        let room = SHOWN_BINDINGS - own_n - covering_n;
        let rest: Vec<usize> = others
            .filter(|n| !covering.contains(n))
            .take(room)
            .collect();
        let not_subject = || format!("`{principal}` is not a subject of this binding");
        let mut shown: Vec<(usize, String)> = own[..own_n]
            .iter()
            .filter_map(|&n| {
                let b = self.bindings.get(n)?;
                Some((
                    n,
                    mismatch(b, scope).map_or_else(String::new, |m| m.to_string()),
                ))
            })
            .collect();
        shown.extend(
            covering[..covering_n]
                .iter()
                .chain(&rest)
                .map(|&n| (n, not_subject())),
        );
        shown.sort_unstable_by_key(|(n, _)| *n);
        let considered: Vec<Value> = shown
            .into_iter()
            .filter_map(|(n, why)| Some(binding_fact(self.bindings.get(n)?, why)))
            .collect();
        let mut facts = facts! {
            "principal" => principal,
            "principal_declared" => self.principals.contains_key(principal),
            "groups" => self.grants.groups_of(principal),
            "action" => permission.as_str(),
            "scope" => scope,
            "roles_looked_for" => self.roles_granting(permission),
        };
        let not_shown = granting.len().saturating_sub(considered.len());
        facts.insert("bindings_considered".into(), Value::Array(considered));
        if not_shown > 0 {
            facts.insert("bindings_not_shown".into(), json!(not_shown));
        }
        facts
    }
}

/// How many bindings a denial lists; the others granting the permission are counted. Five is
/// what a person reads in a review comment, and each binding shown is a map of eight to ten
/// fields: with ten, building and dropping them was half of a denial's time.
pub(crate) const SHOWN_BINDINGS: usize = 5;

/// Places in a denial's list kept for bindings that cover the scope but name others.
const COVERING_KEPT: usize = 2;

/// Why a binding's scope does not cover a request; nothing is formatted until it is shown.
enum Mismatch<'a> {
    /// The binding limits a dimension the request leaves out.
    Missing(&'static str, &'a str),
    /// The request's value does not match the binding's pattern.
    Differs(&'static str, &'a str, &'a str),
    /// The request names another environment.
    Environment(&'a str, &'a str),
}

impl std::fmt::Display for Mismatch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::Missing(dim, text) => write!(
                f,
                "binding is limited to {dim} `{text}` and the request names no {dim}"
            ),
            Mismatch::Differs(dim, given, text) => {
                write!(f, "{dim} `{given}` does not match `{text}`")
            }
            Mismatch::Environment(given, env) => write!(f, "environment `{given}` is not `{env}`"),
        }
    }
}

/// The part of a glob before its first special character: a value that does not start with it
/// cannot match, which [`glob_matches`] checks before anything else.
fn literal_prefix(pattern: &str) -> &str {
    // The special characters are ASCII, so a byte position is a character boundary; a scan of
    // bytes is several times faster than `str::find` with a set of characters.
    let end = pattern
        .bytes()
        .position(|b| matches!(b, b'*' | b'?' | b'[' | b']' | b'{' | b'}' | b'\\'))
        .unwrap_or(pattern.len());
    pattern.get(..end).unwrap_or_default()
}

/// Whether `value` matches `pattern`. The shapes bindings are mostly written in (a literal,
/// `prefix/**`, `prefix*`) are decided by comparing text; the others, and any value that passes
/// the literal prefix of a shape not listed, go to the glob matcher. A denial tries every
/// binding that grants the permission, and the matcher's automaton was a tenth of its time.
fn glob_matches(pattern: &Pattern, value: &str) -> bool {
    let text = pattern.as_str();
    let prefix = literal_prefix(text);
    let Some(rest) = value.strip_prefix(prefix) else {
        return false;
    };
    match text.get(prefix.len()..) {
        Some("") => rest.is_empty(),
        // `**` after a separator crosses separators, and matches nothing more as well.
        Some("**") if prefix.is_empty() || prefix.ends_with('/') => true,
        Some("*") => !rest.contains('/'),
        _ => pattern.matches(value),
    }
}

/// The first way `binding`'s scope fails to cover `scope`, or `None` when it covers it.
fn mismatch<'a>(binding: &'a Binding, scope: &'a Scope) -> Option<Mismatch<'a>> {
    let dims = [
        (
            "project",
            binding.project.as_ref(),
            scope.project.as_deref(),
        ),
        ("ref", binding.git_ref.as_ref(), scope.git_ref.as_deref()),
    ];
    for (dim, pattern, given) in dims {
        if let Some(pattern) = pattern {
            match given {
                None => return Some(Mismatch::Missing(dim, pattern.as_str())),
                Some(v) if !glob_matches(pattern, v) => {
                    return Some(Mismatch::Differs(dim, v, pattern.as_str()));
                }
                Some(_) => {}
            }
        }
    }
    if let Some(env) = &binding.environment {
        match scope.environment.as_deref() {
            None => return Some(Mismatch::Missing("environment", env)),
            Some(e) if e != env => return Some(Mismatch::Environment(e, env)),
            Some(_) => {}
        }
    }
    None
}

/// A binding as a denial shows it. Built as a map directly: a denial lists several, and going
/// through `json!` serialised each field into a value first.
fn binding_fact(b: &Binding, why_not: String) -> Value {
    let strings = |list: &[String]| Value::Array(list.iter().cloned().map(Value::String).collect());
    let mut fact = Facts::new();
    let mut put = |key: &str, value: Value| {
        fact.insert(key.to_owned(), value);
    };
    put("binding", Value::String(format!("bindings[{}]", b.index)));
    put("role", Value::String(b.role.clone()));
    put("principals", strings(&b.principals));
    put("groups", strings(&b.groups));
    put("why_not", Value::String(why_not));
    if let Some(p) = &b.project {
        put("project", Value::String(p.as_str().to_owned()));
    }
    if let Some(r) = &b.git_ref {
        put("ref", Value::String(r.as_str().to_owned()));
    }
    if let Some(e) = &b.environment {
        put("environment", Value::String(e.clone()));
    }
    if let Some(r) = &b.reason {
        put("reason", Value::String(r.clone()));
    }
    if let Some(l) = b.location {
        put("line", Value::from(l.line));
    }
    Value::Object(fact)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// `n` bindings granting deploy to team `i % 3` in project `p<i>/**`, then one for `carol`.
    fn policy(n: usize) -> Result<Policy, crate::Error> {
        let mut y = String::from(
            "environments: {staging: {}, production: {from: [staging]}}\n\
             principals: {alice: {}, bob: {}, carol: {}, dave: {}}\n\
             groups: {t0: {members: [alice]}, t1: {members: [bob, alice]}, t2: {members: [carol]}}\n\
             roles: {deployer: {permissions: [deploy]}, approver: {permissions: [approve]}}\n\
             bindings:\n",
        );
        for i in 0..n {
            y.push_str(&format!(
                "  - {{role: deployer, groups: [t{}], project: \"p{i}/**\"}}\n",
                i % 3
            ));
        }
        y.push_str("  - {role: approver, principals: ['*'], environment: staging}\n");
        y.push_str("  - {role: deployer, principals: [carol], environment: production}\n");
        Policy::from_yaml(&y)
    }

    /// The decision made by walking every binding, as `authorize` did before it had an index.
    fn by_scan(policy: &Policy, principal: &str, permission: Permission, scope: &Scope) -> bool {
        policy.bindings().iter().any(|b| {
            let subject = b.principals.iter().any(|p| p == principal || p == "*")
                || b.groups.iter().any(|g| {
                    policy
                        .groups()
                        .get(g)
                        .is_some_and(|m| m.contains(principal))
                });
            subject && policy.roles()[&b.role].grants(permission) && mismatch(b, scope).is_none()
        })
    }

    #[test]
    fn the_index_decides_as_a_scan_of_every_binding_does() -> TestResult {
        let policy = policy(12)?;
        for principal in ["alice", "bob", "carol", "dave", "*", "nobody"] {
            for permission in Permission::ALL {
                for project in [None, Some("p0/x"), Some("p4/x"), Some("p11/y"), Some("q/x")] {
                    for env in [None, Some("staging"), Some("production")] {
                        let mut scope = Scope::any();
                        scope.project = project.map(str::to_owned);
                        scope.environment = env.map(str::to_owned);
                        let request = AuthorizeRequest {
                            principal: principal.to_owned(),
                            action: permission,
                            scope: scope.clone(),
                        };
                        assert_eq!(
                            policy.authorize(&request)?.allowed(),
                            by_scan(&policy, principal, permission, &scope),
                            "{principal} {permission} {scope}"
                        );
                    }
                }
            }
        }
        Ok(())
    }

    #[test]
    fn a_denial_lists_the_nearest_bindings_and_counts_the_rest() -> TestResult {
        let policy = policy(30)?;
        let ask = |who: &str, project: &str| {
            AuthorizeRequest::new(who, "deploy", Scope::any().project(project))
        };
        // bob is in t1: bindings 1, 4, 7, ... name him, none covers p0.
        let denied = policy.authorize(&ask("bob", "p0/x")?)?;
        let facts = &denied.violations()[0].facts;
        let shown: Vec<&str> = facts["bindings_considered"]
            .as_array()
            .ok_or("no list")?
            .iter()
            .filter_map(|b| b["binding"].as_str())
            .collect();
        assert_eq!(shown.len(), SHOWN_BINDINGS);
        // The binding that covers p0 (for t0) is nearer than the later ones naming bob.
        assert!(shown.contains(&"bindings[0]"), "{shown:?}");
        assert!(shown.contains(&"bindings[1]"), "{shown:?}");
        // 30 group bindings plus carol's grant deploy.
        assert_eq!(facts["bindings_not_shown"], json!(31 - SHOWN_BINDINGS));
        let first = &facts["bindings_considered"][0];
        assert_eq!(
            first["why_not"],
            json!("`bob` is not a subject of this binding")
        );
        assert_eq!(
            facts["bindings_considered"][1]["why_not"],
            json!("project `p0/x` does not match `p1/**`")
        );
        assert_eq!(facts["groups"], json!(["t1"]));

        // A short list is shown whole, with no count.
        let small = policy_small()?;
        let denied = small.authorize(&ask("dave", "p0/x")?)?;
        let facts = &denied.violations()[0].facts;
        assert_eq!(
            facts["bindings_considered"].as_array().map(Vec::len),
            Some(3)
        );
        assert!(facts.get("bindings_not_shown").is_none());
        Ok(())
    }

    fn policy_small() -> Result<Policy, crate::Error> {
        policy(2)
    }

    #[test]
    fn a_glob_is_only_matched_past_its_literal_prefix() {
        assert_eq!(literal_prefix("org3/**"), "org3/");
        assert_eq!(
            literal_prefix("refs/heads/release-?"),
            "refs/heads/release-"
        );
        assert_eq!(literal_prefix("a\\*b"), "a");
        assert_eq!(literal_prefix("{x,y}/*"), "");
        assert_eq!(literal_prefix("plain"), "plain");
    }

    #[test]
    fn text_shapes_of_globs_match_as_the_glob_matcher_does() -> TestResult {
        let patterns = [
            "org3/**",
            "org3/*",
            "org3",
            "**",
            "*",
            "refs/heads/*",
            "refs/heads/**",
            "refs/heads/release-*",
            "a\\*b",
            "org3**",
            "org3/**/x",
            "{a,b}/*",
            "org?/app",
            "[ab]/*",
            "",
            "o*/app",
        ];
        let values = [
            "",
            "org3",
            "org3/",
            "org3/app",
            "org3/a/b",
            "org33/app",
            "org3app",
            "refs/heads/",
            "refs/heads/main",
            "refs/heads/a/b",
            "refs/heads/release-1",
            "refs/heads/release-",
            "a*b",
            "a\\xb",
            "a/x",
            "b/y/z",
            "org4/app",
            "o/app",
            "orgX/app",
            "/",
            "x",
        ];
        for p in patterns {
            let pattern = Pattern::new(p)?;
            for v in values {
                assert_eq!(glob_matches(&pattern, v), pattern.matches(v), "{p} on {v}");
            }
        }
        Ok(())
    }

    #[test]
    fn approvals_use_the_same_index() -> TestResult {
        let policy = policy(3)?;
        let request = ApprovalRequest {
            approvals: vec!["dave".into(), "alice".into()],
            required: 2,
            scope: Scope::any().environment("staging"),
            ..ApprovalRequest::default()
        };
        assert!(policy.check_approvals(&request)?.allowed());
        let request = ApprovalRequest {
            role: Some("deployer".into()),
            required: 1,
            approvals: vec!["carol".into()],
            scope: Scope::any().environment("production"),
            ..ApprovalRequest::default()
        };
        assert!(policy.check_approvals(&request)?.allowed());
        let request = ApprovalRequest {
            scope: Scope::any().environment("staging").project("p1/x"),
            approvals: vec!["bob".into()],
            role: Some("deployer".into()),
            required: 1,
            ..ApprovalRequest::default()
        };
        assert!(policy.check_approvals(&request)?.allowed());
        let request = ApprovalRequest {
            scope: Scope::any().project("p2/x"),
            ..request
        };
        assert!(!policy.check_approvals(&request)?.allowed());
        Ok(())
    }
}
