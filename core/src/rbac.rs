//! Who may do what, where: authorization and approval quorums.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::decision::{Decision, Facts, Violation};
use crate::error::Error;
use crate::facts;
use crate::policy::{Binding, Policy, WILDCARD};
use crate::role::Permission;
use crate::rule::codes;
use crate::scope::Scope;

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

/// Why a binding did or did not apply to a request.
struct BindingMatch {
    applies: bool,
    why_not: Option<String>,
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
            Some(name) if !self.environments.contains_key(name) => Err(Error::invalid(
                codes::RBAC_UNKNOWN_ENVIRONMENT,
                format!(
                    "environment `{name}` is not defined in the policy (defined: {})",
                    if self.environments.is_empty() {
                        "none".to_owned()
                    } else {
                        self.environments
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            )),
            _ => Ok(()),
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

    /// Whether `principal` is a subject of `binding` (directly, by wildcard or by group).
    fn is_subject(&self, principal: &str, binding: &Binding) -> bool {
        binding
            .principals
            .iter()
            .any(|p| p == principal || p == WILDCARD)
            || binding.groups.iter().any(|g| {
                self.groups
                    .get(g)
                    .is_some_and(|members| members.contains(principal))
            })
    }

    fn scope_match(binding: &Binding, scope: &Scope) -> BindingMatch {
        let dims = [
            (
                "project",
                binding.project.as_ref().map(|p| p.as_str()),
                binding
                    .project
                    .as_ref()
                    .map(|p| (p, scope.project.as_deref())),
            ),
            (
                "ref",
                binding.git_ref.as_ref().map(|p| p.as_str()),
                binding
                    .git_ref
                    .as_ref()
                    .map(|p| (p, scope.git_ref.as_deref())),
            ),
        ];
        for (dim, text, check) in dims {
            if let (Some(text), Some((pattern, given))) = (text, check) {
                match given {
                    None => {
                        return BindingMatch {
                            applies: false,
                            why_not: Some(format!(
                                "binding is limited to {dim} `{text}` and the request names no {dim}"
                            )),
                        };
                    }
                    Some(v) if !pattern.matches(v) => {
                        return BindingMatch {
                            applies: false,
                            why_not: Some(format!("{dim} `{v}` does not match `{text}`")),
                        };
                    }
                    Some(_) => {}
                }
            }
        }
        if let Some(env) = &binding.environment {
            match scope.environment.as_deref() {
                None => {
                    return BindingMatch {
                        applies: false,
                        why_not: Some(format!(
                            "binding is limited to environment `{env}` and the request names no environment"
                        )),
                    };
                }
                Some(e) if e != env => {
                    return BindingMatch {
                        applies: false,
                        why_not: Some(format!("environment `{e}` is not `{env}`")),
                    };
                }
                Some(_) => {}
            }
        }
        BindingMatch {
            applies: true,
            why_not: None,
        }
    }

    /// Whether `principal` is bound to `role` in `scope`.
    pub(crate) fn bound_to(&self, principal: &str, role: &str, scope: &Scope) -> bool {
        self.bindings.iter().any(|b| {
            b.role == role && self.is_subject(principal, b) && Self::scope_match(b, scope).applies
        })
    }

    /// The binding that grants `permission` to `principal` in `scope`, or the facts of why
    /// none does.
    fn holds(
        &self,
        principal: &str,
        permission: Permission,
        scope: &Scope,
    ) -> Result<usize, Facts> {
        let mut considered = Vec::new();
        for b in &self.bindings {
            let Some(role) = self.roles.get(&b.role) else {
                continue;
            };
            if !role.grants(permission) {
                continue;
            }
            let m = if self.is_subject(principal, b) {
                Self::scope_match(b, scope)
            } else {
                BindingMatch {
                    applies: false,
                    why_not: Some(format!("`{principal}` is not a subject of this binding")),
                }
            };
            if m.applies {
                return Ok(b.index);
            }
            considered.push(binding_fact(b, m.why_not));
        }
        Err(facts! {
            "principal" => principal,
            "principal_declared" => self.principals.contains_key(principal),
            "groups" => self.groups_of(principal),
            "action" => permission.as_str(),
            "scope" => scope,
            "roles_looked_for" => self.roles_granting(permission),
            "bindings_considered" => considered,
        })
    }
}

fn binding_fact(b: &Binding, why_not: Option<String>) -> Value {
    let mut v = json!({
        "binding": format!("bindings[{}]", b.index),
        "role": b.role,
        "principals": b.principals,
        "groups": b.groups,
        "why_not": why_not,
    });
    if let Some(obj) = v.as_object_mut() {
        if let Some(p) = &b.project {
            obj.insert("project".into(), json!(p.as_str()));
        }
        if let Some(r) = &b.git_ref {
            obj.insert("ref".into(), json!(r.as_str()));
        }
        if let Some(e) = &b.environment {
            obj.insert("environment".into(), json!(e));
        }
        if let Some(r) = &b.reason {
            obj.insert("reason".into(), json!(r));
        }
        if let Some(l) = b.location {
            obj.insert("line".into(), json!(l.line));
        }
    }
    v
}
