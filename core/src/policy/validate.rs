//! From the written document to a [`Policy`]: resolve every name, check the orders, and collect
//! every problem before giving up, so one run of `lockkeeper policy check` shows them all.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;

use super::schema::{RawFreeze, RawPolicy};
use super::{
    Binding, Builder, DeployService, Environment, Policy, Principal, PrincipalKind, Require,
    Secret, SourceRule,
};
use crate::diagnostic::{Problem, Problems};
use crate::keys::{KeyError, PublicKey};
use crate::promotion::rules::{self, ApprovalRule, AttestationRule, FreezeWindow};
use crate::role::{Permission, Role};
use crate::rule::{Code, codes};
use crate::scope::Pattern;
use crate::source::{DocumentCodes, FieldPath, Format, Locator, parse_document};
use crate::zone::{Zone, ZoneId, Zones};

/// In a binding's `principals`, stands for every principal, declared or not (the seeds'
/// "anyone with an account").
pub const WILDCARD: &str = "*";

const POLICY_CODES: DocumentCodes = DocumentCodes {
    syntax: codes::POLICY_SYNTAX,
    unknown_field: codes::POLICY_UNKNOWN_FIELD,
    duplicate: codes::POLICY_DUPLICATE_NAME,
};

pub(super) fn parse(text: &str, format: Format) -> Result<Policy, Problems> {
    let parsed = parse_document::<RawPolicy>(text, format, &POLICY_CODES)?;
    let mut checker = Checker {
        locator: &parsed.locator,
        problems: parsed.problems,
    };
    let mut policy = checker.policy(parsed.value);
    policy.digest = crate::digest::Digest::sha256(text.as_bytes()).to_string();
    match Problems::from_vec(checker.problems) {
        None => Ok(policy),
        Some(problems) => Err(problems),
    }
}

struct Checker<'a> {
    locator: &'a Locator,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, code: Code, path: FieldPath, message: String) {
        let loc = self.locator.locate(&path);
        self.problems.push(Problem::new(code, message, path, loc));
    }

    fn report_key(&mut self, code: Code, path: FieldPath, message: String) {
        let loc = self.locator.locate_key(&path);
        self.problems.push(Problem::new(code, message, path, loc));
    }

    fn undefined(&mut self, path: FieldPath, what: &str, name: &str, known: &[&str]) {
        let hint = if known.is_empty() {
            format!("the policy defines no {what}s")
        } else {
            format!("defined {what}s: {}", known.join(", "))
        };
        self.report(
            codes::POLICY_UNDEFINED_REFERENCE,
            path,
            format!("{what} `{name}` is not defined ({hint})"),
        );
    }

    fn nonempty_name(&mut self, path: FieldPath, what: &str, name: &str) {
        if name.trim().is_empty() {
            self.report_key(
                codes::POLICY_INVALID_VALUE,
                path,
                format!("a {what} name must not be empty"),
            );
        }
    }

    fn policy(&mut self, raw: RawPolicy) -> Policy {
        let root = FieldPath::root();
        if let Some(v) = raw.version
            && v != 1
        {
            self.report(
                codes::POLICY_INVALID_VALUE,
                root.key("version"),
                format!("unsupported policy version {v}: this lockkeeper reads version 1"),
            );
        }

        let zones = self.zones(&raw);
        let zone_names: Vec<&str> = raw.zones.keys().map(String::as_str).collect();
        let env_names: Vec<&str> = raw.environments.keys().map(String::as_str).collect();
        let environments = self.environments(&raw, &zones, &zone_names, &env_names);

        let mut principals = BTreeMap::new();
        for (name, p) in &raw.principals {
            let path = root.key("principals").key(name.clone());
            self.nonempty_name(path.clone(), "principal", name);
            if name == WILDCARD {
                self.report_key(
                    codes::POLICY_INVALID_VALUE,
                    path.clone(),
                    "`*` is reserved for \"every principal\" in bindings".to_owned(),
                );
            }
            let kind = match p.kind.as_deref() {
                None | Some("person") => PrincipalKind::Person,
                Some("bot") => PrincipalKind::Bot,
                Some(other) => {
                    self.report(
                        codes::POLICY_INVALID_VALUE,
                        path.key("kind"),
                        format!("principal kind `{other}` is not one of: person, bot"),
                    );
                    PrincipalKind::Person
                }
            };
            principals.insert(
                name.clone(),
                Principal {
                    name: name.clone(),
                    kind,
                    description: p.description.clone(),
                },
            );
        }
        let principal_names: Vec<&str> = raw.principals.keys().map(String::as_str).collect();

        let mut groups = BTreeMap::new();
        for (name, g) in &raw.groups {
            let path = root.key("groups").key(name.clone());
            self.nonempty_name(path.clone(), "group", name);
            if g.members.is_empty() {
                self.report_key(
                    codes::POLICY_EMPTY_LIST,
                    path.clone(),
                    format!("group `{name}` has no members"),
                );
            }
            for (i, m) in g.members.iter().enumerate() {
                if !raw.principals.contains_key(m) {
                    self.undefined(
                        path.key("members").index(i),
                        "principal",
                        m,
                        &principal_names,
                    );
                }
            }
            groups.insert(name.clone(), g.members.iter().cloned().collect());
        }
        let group_names: Vec<&str> = raw.groups.keys().map(String::as_str).collect();

        let mut roles = BTreeMap::new();
        for (name, r) in &raw.roles {
            let path = root.key("roles").key(name.clone());
            self.nonempty_name(path.clone(), "role", name);
            if r.permissions.is_empty() {
                self.report_key(
                    codes::POLICY_EMPTY_LIST,
                    path.clone(),
                    format!("role `{name}` grants no permission"),
                );
            }
            let mut permissions = BTreeSet::new();
            for (i, p) in r.permissions.iter().enumerate() {
                match p.parse::<Permission>() {
                    Ok(p) => {
                        permissions.insert(p);
                    }
                    Err(_) => self.report(
                        codes::POLICY_INVALID_VALUE,
                        path.key("permissions").index(i),
                        format!(
                            "`{p}` is not a permission; expected one of {}",
                            Permission::names()
                        ),
                    ),
                }
            }
            roles.insert(
                name.clone(),
                Role {
                    name: name.clone(),
                    permissions,
                    description: r.description.clone(),
                },
            );
        }
        let role_names: Vec<&str> = raw.roles.keys().map(String::as_str).collect();

        let require = Require {
            merge_implies_deploy: raw.require.merge_implies_deploy,
            separation_of_duties: raw.require.separation_of_duties,
        };

        let mut bindings = Vec::new();
        for (i, b) in raw.bindings.iter().enumerate() {
            let path = root.key("bindings").index(i);
            if b.role.is_empty() {
                self.report(
                    codes::POLICY_INVALID_VALUE,
                    path.clone(),
                    "a binding must name the `role` it grants".to_owned(),
                );
            } else if let Some(role) = roles.get(&b.role) {
                if require.merge_implies_deploy
                    && role.grants(Permission::Merge) != role.grants(Permission::Deploy)
                {
                    let (has, lacks) = if role.grants(Permission::Merge) {
                        ("merge", "deploy")
                    } else {
                        ("deploy", "merge")
                    };
                    self.report(
                        codes::POLICY_MERGE_IMPLIES_DEPLOY,
                        path.key("role"),
                        format!(
                            "binding grants role `{}`, which has `{has}` but not `{lacks}`; \
                             require.merge_implies_deploy says who may merge may deploy, and only they",
                            b.role
                        ),
                    );
                }
            } else {
                self.undefined(path.key("role"), "role", &b.role, &role_names);
            }
            if b.principals.is_empty() && b.groups.is_empty() {
                self.report(
                    codes::POLICY_EMPTY_LIST,
                    path.clone(),
                    "a binding must name at least one principal or group".to_owned(),
                );
            }
            for (j, p) in b.principals.iter().enumerate() {
                if p != WILDCARD && !raw.principals.contains_key(p) {
                    self.undefined(
                        path.key("principals").index(j),
                        "principal",
                        p,
                        &principal_names,
                    );
                }
            }
            for (j, g) in b.groups.iter().enumerate() {
                if !raw.groups.contains_key(g) {
                    self.undefined(path.key("groups").index(j), "group", g, &group_names);
                }
            }
            let project = self.pattern(path.key("project"), b.project.as_deref());
            let git_ref = self.pattern(path.key("ref"), b.git_ref.as_deref());
            if let Some(env) = &b.environment
                && !raw.environments.contains_key(env)
            {
                self.undefined(path.key("environment"), "environment", env, &env_names);
            }
            bindings.push(Binding {
                index: i,
                role: b.role.clone(),
                principals: b.principals.clone(),
                groups: b.groups.clone(),
                project,
                git_ref,
                environment: b.environment.clone(),
                reason: b.reason.clone(),
                location: self.locator.locate(&path),
            });
        }

        let mut builders = BTreeMap::new();
        for (id, b) in &raw.builders {
            let path = root.key("builders").key(id.clone());
            self.nonempty_name(path.clone(), "builder", id);
            let zone = self.zone_ref(&zones, path.key("zone"), &b.zone, &zone_names);
            let identity = match &b.identity {
                None => None,
                Some(v) => match crate::sigstore::IdentityPolicy::from_value(v) {
                    Ok(i) => Some(i),
                    Err(e) => {
                        self.report(
                            codes::POLICY_INVALID_VALUE,
                            path.key("identity"),
                            e.to_string(),
                        );
                        None
                    }
                },
            };
            if b.keys.is_empty() && b.identity.is_none() {
                self.report_key(
                    codes::POLICY_EMPTY_LIST,
                    path.clone(),
                    format!("builder `{id}` lists no trusted key and no keyless `identity`"),
                );
            }
            let keys = self.keys(&path, id, &b.keys);
            let threshold = b.threshold.unwrap_or(1);
            if threshold == 0 || threshold > b.keys.len().max(1) as u64 {
                self.report(
                    codes::POLICY_INVALID_VALUE,
                    path.key("threshold"),
                    format!(
                        "threshold {threshold} must be between 1 and the number of keys ({})",
                        b.keys.len()
                    ),
                );
            }
            if let Some(zone) = zone {
                builders.insert(
                    id.clone(),
                    Builder {
                        id: id.clone(),
                        zone,
                        keys,
                        threshold: usize::try_from(threshold).unwrap_or(usize::MAX),
                        description: b.description.clone(),
                        identity,
                    },
                );
            }
        }

        let mut secrets = BTreeMap::new();
        for (name, s) in &raw.secrets {
            let path = root.key("secrets").key(name.clone());
            self.nonempty_name(path.clone(), "secret", name);
            if s.zones.is_empty() {
                self.report_key(
                    codes::POLICY_EMPTY_LIST,
                    path.clone(),
                    format!("secret `{name}` names no zone that may receive it"),
                );
            }
            let zone_ids = s
                .zones
                .iter()
                .enumerate()
                .filter_map(|(i, z)| {
                    self.zone_ref(&zones, path.key("zones").index(i), z, &zone_names)
                })
                .collect();
            for (i, e) in s.environments.iter().enumerate() {
                if !raw.environments.contains_key(e) {
                    self.undefined(
                        path.key("environments").index(i),
                        "environment",
                        e,
                        &env_names,
                    );
                }
            }
            secrets.insert(
                name.clone(),
                Secret {
                    name: name.clone(),
                    zones: zone_ids,
                    environments: s.environments.clone(),
                    description: s.description.clone(),
                },
            );
        }

        let mut sources = Vec::new();
        for (i, src) in raw.sources.iter().enumerate() {
            let path = root.key("sources").index(i);
            if src.uri.is_empty() {
                self.report(
                    codes::POLICY_INVALID_VALUE,
                    path.clone(),
                    "a source rule needs a `uri` pattern".to_owned(),
                );
                continue;
            }
            let uri = self.pattern(path.key("uri"), Some(&src.uri));
            let refs: Vec<Pattern> = src
                .refs
                .iter()
                .enumerate()
                .filter_map(|(j, r)| self.pattern(path.key("refs").index(j), Some(r)))
                .collect();
            if let Some(uri) = uri {
                sources.push(SourceRule {
                    uri,
                    refs,
                    description: src.description.clone(),
                });
            }
        }

        let deploy_service = raw.deploy_service.as_ref().and_then(|d| {
            let path = root.key("deploy_service");
            if d.id.is_empty() {
                self.report(
                    codes::POLICY_INVALID_VALUE,
                    path.clone(),
                    "the deploy service needs an `id`".to_owned(),
                );
            }
            if d.keys.is_empty() {
                self.report(
                    codes::POLICY_EMPTY_LIST,
                    path.clone(),
                    "the deploy service lists no key to sign promotion records".to_owned(),
                );
            }
            let keys = self.keys(&path, "deploy_service", &d.keys);
            let zone = self.zone_ref(&zones, path.key("zone"), &d.zone, &zone_names)?;
            Some(DeployService {
                id: d.id.clone(),
                zone,
                keys,
            })
        });

        let images = self.images(&raw);

        let pipelines = crate::pipeline::mapping::validate(
            &raw.pipelines,
            &zones,
            &env_names,
            &mut |code, path, message| self.report(code, path, message),
        );

        let grants = super::grants::Grants::new(&groups, &roles, &bindings);
        Policy {
            digest: String::new(),
            grants,
            images,
            deploy_service,
            sources,
            description: raw.description,
            zones,
            environments,
            principals,
            groups,
            roles,
            bindings,
            builders,
            secrets,
            require,
            pipelines,
            trusted_roots: Vec::new(),
        }
    }

    fn images(&mut self, raw: &RawPolicy) -> crate::image::ImagePolicy {
        let Some(section) = &raw.images else {
            return crate::image::ImagePolicy::default();
        };
        let (images, problems) =
            crate::image::ImagePolicy::from_raw(section, &FieldPath::root().key("images"));
        for (code, path, message) in problems {
            self.report(code, path, message);
        }
        images
    }

    /// Public keys written as PEM/hex text or securesystemslib objects.
    fn keys(
        &mut self,
        path: &FieldPath,
        owner: &str,
        values: &[serde_json::Value],
    ) -> Vec<PublicKey> {
        let mut keys: Vec<PublicKey> = Vec::new();
        for (i, k) in values.iter().enumerate() {
            let parsed = match k {
                serde_json::Value::String(text) => PublicKey::parse(text),
                serde_json::Value::Object(_) => PublicKey::from_securesystemslib(k),
                _ => Err(KeyError::Format(
                    "a key is PEM or hex text, or a securesystemslib key object".into(),
                )),
            };
            match parsed {
                Ok(key) if keys.contains(&key) => self.report(
                    codes::POLICY_DUPLICATE_NAME,
                    path.key("keys").index(i),
                    format!("key {} is listed twice for `{owner}`", key.keyid()),
                ),
                Ok(key) => keys.push(key),
                Err(e) => self.report(
                    codes::POLICY_INVALID_VALUE,
                    path.key("keys").index(i),
                    format!("`{owner}` key {i}: {e}"),
                ),
            }
        }
        keys
    }

    fn duration(&mut self, path: FieldPath, text: Option<&str>) -> Option<jiff::SignedDuration> {
        match rules::parse_duration(text?) {
            Ok(d) => Some(d),
            Err(e) => {
                self.report(codes::POLICY_INVALID_VALUE, path, e.to_string());
                None
            }
        }
    }

    fn freeze(&mut self, path: FieldPath, f: &RawFreeze) -> Option<FreezeWindow> {
        let reason = f.reason.clone();
        match (&f.weekly, &f.from, &f.until) {
            (None, Some(from), Some(until)) => {
                let from_t = rules::parse_time(from)
                    .map_err(|e| {
                        self.report(codes::POLICY_INVALID_VALUE, path.key("from"), e.to_string())
                    })
                    .ok();
                let until_t = rules::parse_time(until)
                    .map_err(|e| {
                        self.report(
                            codes::POLICY_INVALID_VALUE,
                            path.key("until"),
                            e.to_string(),
                        )
                    })
                    .ok();
                let (from, until) = (from_t?, until_t?);
                if until <= from {
                    self.report(
                        codes::POLICY_INVALID_VALUE,
                        path.key("until"),
                        "a freeze window must end after it starts".to_owned(),
                    );
                    return None;
                }
                Some(FreezeWindow::Absolute {
                    from,
                    until,
                    reason,
                })
            }
            (Some(w), None, None) => {
                let wpath = path.key("weekly");
                if w.days.is_empty() {
                    self.report(
                        codes::POLICY_EMPTY_LIST,
                        wpath.key("days"),
                        "a weekly freeze window names its days".to_owned(),
                    );
                }
                let days: Vec<_> = w
                    .days
                    .iter()
                    .enumerate()
                    .filter_map(|(i, d)| {
                        rules::parse_day(d)
                            .map_err(|e| {
                                self.report(
                                    codes::POLICY_INVALID_VALUE,
                                    wpath.key("days").index(i),
                                    e.to_string(),
                                )
                            })
                            .ok()
                    })
                    .collect();
                let from = rules::parse_clock(w.from.as_deref().unwrap_or("00:00"))
                    .map_err(|e| {
                        self.report(
                            codes::POLICY_INVALID_VALUE,
                            wpath.key("from"),
                            e.to_string(),
                        )
                    })
                    .ok();
                let until = rules::parse_clock(w.until.as_deref().unwrap_or("24:00"))
                    .map_err(|e| {
                        self.report(
                            codes::POLICY_INVALID_VALUE,
                            wpath.key("until"),
                            e.to_string(),
                        )
                    })
                    .ok();
                Some(FreezeWindow::Weekly {
                    days,
                    from: from?,
                    until: until?,
                    reason,
                })
            }
            _ => {
                self.report(
                    codes::POLICY_INVALID_VALUE,
                    path,
                    "a freeze window is either `from` + `until` (RFC 3339, UTC) or `weekly: {days, from, until}`".to_owned(),
                );
                None
            }
        }
    }

    fn pattern(&mut self, path: FieldPath, text: Option<&str>) -> Option<Pattern> {
        let text = text?;
        match Pattern::new(text) {
            Ok(p) => Some(p),
            Err(e) => {
                self.report(codes::POLICY_INVALID_VALUE, path, e.to_string());
                None
            }
        }
    }

    fn zone_ref(
        &mut self,
        zones: &Zones,
        path: FieldPath,
        name: &str,
        known: &[&str],
    ) -> Option<ZoneId> {
        let id = zones.id(name);
        if id.is_none() {
            self.undefined(path, "zone", name, known);
        }
        id
    }

    fn zones(&mut self, raw: &RawPolicy) -> Zones {
        let root = FieldPath::root().key("zones");
        let index: BTreeMap<&str, usize> = raw
            .zones
            .keys()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let known: Vec<&str> = raw.zones.keys().map(String::as_str).collect();
        let mut graph = DiGraph::<&str, ()>::new();
        let nodes: Vec<_> = raw
            .zones
            .keys()
            .map(|n| graph.add_node(n.as_str()))
            .collect();
        let mut edges = vec![Vec::new(); raw.zones.len()];
        let mut list = Vec::new();
        for (i, (name, z)) in raw.zones.iter().enumerate() {
            let path = root.key(name.clone());
            self.nonempty_name(path.clone(), "zone", name);
            for (j, d) in z.dominates.iter().enumerate() {
                match index.get(d.as_str()) {
                    Some(&k) => {
                        edges[i].push(ZoneId(k));
                        graph.add_edge(nodes[i], nodes[k], ());
                    }
                    None => self.undefined(path.key("dominates").index(j), "zone", d, &known),
                }
            }
            list.push(Zone {
                name: name.clone(),
                credentials: z.credentials,
                publish: z.publish,
                description: z.description.clone(),
            });
        }
        let cycles = cycles(&graph);
        for cycle in &cycles {
            let first = cycle.first().copied().unwrap_or_default();
            self.report(
                codes::POLICY_CYCLE,
                root.key(first).key("dominates"),
                format!(
                    "zones dominate each other in a cycle: {}; dominance must be a partial order",
                    cycle_text(cycle)
                ),
            );
        }
        if !cycles.is_empty() {
            // Keep going with an empty order so later checks still run without looping.
            edges = vec![Vec::new(); raw.zones.len()];
        }
        Zones::new(list, &edges)
    }

    fn environments(
        &mut self,
        raw: &RawPolicy,
        zones: &Zones,
        zone_names: &[&str],
        env_names: &[&str],
    ) -> BTreeMap<String, Environment> {
        let root = FieldPath::root().key("environments");
        let mut graph = DiGraph::<&str, ()>::new();
        let nodes: BTreeMap<&str, _> = raw
            .environments
            .keys()
            .map(|n| (n.as_str(), graph.add_node(n.as_str())))
            .collect();
        let mut out = BTreeMap::new();
        for (name, e) in &raw.environments {
            let path = root.key(name.clone());
            self.nonempty_name(path.clone(), "environment", name);
            for (j, f) in e.from.iter().enumerate() {
                match (nodes.get(f.as_str()), nodes.get(name.as_str())) {
                    (Some(&from), Some(&to)) => {
                        graph.add_edge(from, to, ());
                    }
                    _ => self.undefined(path.key("from").index(j), "environment", f, env_names),
                }
            }
            let min_build_zone = e
                .min_build_zone
                .as_deref()
                .and_then(|z| self.zone_ref(zones, path.key("min_build_zone"), z, zone_names));
            let mut attestations = Vec::new();
            for (i, a) in e.attestations.iter().enumerate() {
                let apath = path.key("attestations").index(i);
                if a.predicate_type.is_empty() {
                    self.report(
                        codes::POLICY_INVALID_VALUE,
                        apath.clone(),
                        "a required attestation names its `predicate_type`".to_owned(),
                    );
                }
                let signer_zone = a
                    .signer_zone
                    .as_deref()
                    .and_then(|z| self.zone_ref(zones, apath.key("signer_zone"), z, zone_names));
                let max_age = self.duration(apath.key("max_age"), a.max_age.as_deref());
                attestations.push(AttestationRule {
                    predicate_type: a.predicate_type.clone(),
                    signer_zone,
                    max_age,
                    description: a.description.clone(),
                });
            }
            let approvals = e.approvals.as_ref().map(|a| {
                let apath = path.key("approvals");
                if a.required == 0 {
                    self.report(
                        codes::POLICY_INVALID_VALUE,
                        apath.key("required"),
                        "`required` must be at least 1".to_owned(),
                    );
                }
                if let Some(role) = &a.role
                    && !raw.roles.contains_key(role)
                {
                    let known: Vec<&str> = raw.roles.keys().map(String::as_str).collect();
                    self.undefined(apath.key("role"), "role", role, &known);
                }
                ApprovalRule {
                    required: a.required,
                    role: a.role.clone(),
                    max_age: self.duration(apath.key("max_age"), a.max_age.as_deref()),
                }
            });
            let version = e
                .version
                .as_deref()
                .and_then(|v| match semver::VersionReq::parse(v) {
                    Ok(r) => Some(r),
                    Err(err) => {
                        self.report(
                            codes::POLICY_INVALID_VALUE,
                            path.key("version"),
                            format!("`{v}` is not a semver requirement: {err}"),
                        );
                        None
                    }
                });
            let freeze = e
                .freeze
                .iter()
                .enumerate()
                .filter_map(|(i, f)| self.freeze(path.key("freeze").index(i), f))
                .collect();
            if let Some(role) = &e.emergency_role
                && !raw.roles.contains_key(role)
            {
                let known: Vec<&str> = raw.roles.keys().map(String::as_str).collect();
                self.undefined(path.key("emergency_role"), "role", role, &known);
            }
            out.insert(
                name.clone(),
                Environment {
                    name: name.clone(),
                    from: e.from.clone(),
                    min_build_zone,
                    description: e.description.clone(),
                    attestations,
                    approvals,
                    version,
                    freeze,
                    emergency_role: e.emergency_role.clone(),
                    require_image_policy: e.require_image_policy,
                },
            );
        }
        for cycle in cycles(&graph) {
            let first = cycle.first().copied().unwrap_or_default();
            self.report(
                codes::POLICY_CYCLE,
                root.key(first).key("from"),
                format!(
                    "environments promote into each other in a cycle: {}; promotion must flow one way",
                    cycle_text(&cycle)
                ),
            );
        }
        out
    }
}

/// Each cycle of the graph, as the path of names around it (first name repeated at the end).
fn cycles<'g>(graph: &DiGraph<&'g str, ()>) -> Vec<Vec<&'g str>> {
    let mut out: Vec<Vec<&str>> = Vec::new();
    for scc in tarjan_scc(graph) {
        let Some(&start) = scc.iter().min_by_key(|&&n| graph[n]) else {
            continue;
        };
        if scc.len() == 1 && graph.find_edge(start, start).is_none() {
            continue;
        }
        let members: BTreeSet<_> = scc.iter().copied().collect();
        // Breadth-first search inside the component for the shortest way back to `start`.
        let mut previous = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut closing = None;
        while let Some(n) = queue.pop_front() {
            for next in graph.neighbors(n) {
                if next == start {
                    closing = Some(n);
                    break;
                }
                if members.contains(&next) && !previous.contains_key(&next) {
                    previous.insert(next, n);
                    queue.push_back(next);
                }
            }
            if closing.is_some() {
                break;
            }
        }
        let mut path = vec![graph[start]];
        let mut back = Vec::new();
        let mut n = closing.unwrap_or(start);
        while n != start {
            back.push(graph[n]);
            n = previous.get(&n).copied().unwrap_or(start);
        }
        path.extend(back.into_iter().rev());
        path.push(graph[start]);
        out.push(path);
    }
    out.sort();
    out
}

fn cycle_text(cycle: &[&str]) -> String {
    cycle.join(" -> ")
}
