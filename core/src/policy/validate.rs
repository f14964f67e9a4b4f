//! From the written document to a [`Policy`]: resolve every name, check the orders, and collect
//! every problem before giving up, so one run of `lockkeeper policy check` shows them all.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;

use super::schema::{
    RawApprovalRule, RawAttestationRule, RawEnvironment, RawFreeze, RawPolicy, RawWeekly,
};
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

/// The names each section of the document defines, for the references between sections.
struct Names<'r> {
    zones: Vec<&'r str>,
    environments: Vec<&'r str>,
    principals: Vec<&'r str>,
    groups: Vec<&'r str>,
    roles: Vec<&'r str>,
}

impl<'r> Names<'r> {
    fn of(raw: &'r RawPolicy) -> Self {
        Names {
            zones: raw.zones.keys().map(String::as_str).collect(),
            environments: raw.environments.keys().map(String::as_str).collect(),
            principals: raw.principals.keys().map(String::as_str).collect(),
            groups: raw.groups.keys().map(String::as_str).collect(),
            roles: raw.roles.keys().map(String::as_str).collect(),
        }
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

    /// A keyless `identity:` (of a builder or the deploy service), read once for both: an
    /// identity that does not parse is reported at its path and trusts nothing.
    fn identity(
        &mut self,
        path: &FieldPath,
        raw: Option<&serde_json::Value>,
    ) -> Option<crate::sigstore::IdentityPolicy> {
        match crate::sigstore::IdentityPolicy::from_value(raw?) {
            Ok(i) => Some(i),
            Err(e) => {
                self.report(
                    codes::POLICY_INVALID_VALUE,
                    path.key("identity"),
                    e.to_string(),
                );
                None
            }
        }
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
        self.version(raw.version);
        let zones = self.zones(&raw);
        let names = Names::of(&raw);
        let environments = self.environments(&raw, &zones, &names.zones, &names.environments);
        let principals = self.principals(&raw);
        let groups = self.groups(&raw, &names);
        let roles = self.roles(&raw);
        let require = Require {
            merge_implies_deploy: raw.require.merge_implies_deploy,
            separation_of_duties: raw.require.separation_of_duties,
        };
        let bindings = self.bindings(&raw, &roles, &require, &names);
        let builders = self.builders(&raw, &zones, &names);
        let secrets = self.secrets(&raw, &zones, &names);
        let sources = self.sources(&raw);
        let deploy_service = self.deploy_service(&raw, &zones, &names);
        let images = self.images(&raw);
        let pipelines = crate::pipeline::mapping::validate(
            &raw.pipelines,
            &zones,
            &names.environments,
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

    /// This lockkeeper reads version 1 (and a document that does not say).
    fn version(&mut self, version: Option<u64>) {
        if let Some(v) = version
            && v != 1
        {
            self.report(
                codes::POLICY_INVALID_VALUE,
                FieldPath::root().key("version"),
                format!("unsupported policy version {v}: this lockkeeper reads version 1"),
            );
        }
    }

    /// Principals: named, not `*` (which bindings use for everyone), of a known kind.
    fn principals(&mut self, raw: &RawPolicy) -> BTreeMap<String, Principal> {
        let mut principals = BTreeMap::new();
        for (name, p) in &raw.principals {
            let path = FieldPath::root().key("principals").key(name.clone());
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
        principals
    }

    /// Groups: named, with members, each a defined principal.
    fn groups(&mut self, raw: &RawPolicy, names: &Names<'_>) -> BTreeMap<String, BTreeSet<String>> {
        let mut groups = BTreeMap::new();
        for (name, g) in &raw.groups {
            let path = FieldPath::root().key("groups").key(name.clone());
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
                        &names.principals,
                    );
                }
            }
            groups.insert(name.clone(), g.members.iter().cloned().collect());
        }
        groups
    }

    /// Roles: named, granting at least one permission, each one lockkeeper knows.
    fn roles(&mut self, raw: &RawPolicy) -> BTreeMap<String, Role> {
        let mut roles = BTreeMap::new();
        for (name, r) in &raw.roles {
            let path = FieldPath::root().key("roles").key(name.clone());
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
        roles
    }

    /// Bindings: a defined role granted to defined principals or groups, scoped by valid
    /// patterns and a defined environment.
    fn bindings(
        &mut self,
        raw: &RawPolicy,
        roles: &BTreeMap<String, Role>,
        require: &Require,
        names: &Names<'_>,
    ) -> Vec<Binding> {
        let mut bindings = Vec::new();
        for (i, b) in raw.bindings.iter().enumerate() {
            let path = FieldPath::root().key("bindings").index(i);
            if b.role.is_empty() {
                self.report(
                    codes::POLICY_INVALID_VALUE,
                    path.clone(),
                    "a binding must name the `role` it grants".to_owned(),
                );
            } else if let Some(role) = roles.get(&b.role) {
                if require.merge_implies_deploy {
                    self.merge_implies_deploy(path.key("role"), role);
                }
            } else {
                self.undefined(path.key("role"), "role", &b.role, &names.roles);
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
                        &names.principals,
                    );
                }
            }
            for (j, g) in b.groups.iter().enumerate() {
                if !raw.groups.contains_key(g) {
                    self.undefined(path.key("groups").index(j), "group", g, &names.groups);
                }
            }
            let project = self.pattern(path.key("project"), b.project.as_deref());
            let git_ref = self.pattern(path.key("ref"), b.git_ref.as_deref());
            if let Some(env) = &b.environment
                && !raw.environments.contains_key(env)
            {
                self.undefined(
                    path.key("environment"),
                    "environment",
                    env,
                    &names.environments,
                );
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
        bindings
    }

    /// Under `require.merge_implies_deploy`, a bound role grants both merge and deploy, or
    /// neither.
    fn merge_implies_deploy(&mut self, path: FieldPath, role: &Role) {
        if role.grants(Permission::Merge) == role.grants(Permission::Deploy) {
            return;
        }
        let (has, lacks) = if role.grants(Permission::Merge) {
            ("merge", "deploy")
        } else {
            ("deploy", "merge")
        };
        self.report(
            codes::POLICY_MERGE_IMPLIES_DEPLOY,
            path,
            format!(
                "binding grants role `{}`, which has `{has}` but not `{lacks}`; \
                 require.merge_implies_deploy says who may merge may deploy, and only they",
                role.name
            ),
        );
    }

    /// Builders: named, in a defined zone, with keys and a threshold they can meet.
    fn builders(
        &mut self,
        raw: &RawPolicy,
        zones: &Zones,
        names: &Names<'_>,
    ) -> BTreeMap<String, Builder> {
        let mut builders = BTreeMap::new();
        for (id, b) in &raw.builders {
            let path = FieldPath::root().key("builders").key(id.clone());
            self.nonempty_name(path.clone(), "builder", id);
            let zone = self.zone_ref(zones, path.key("zone"), &b.zone, &names.zones);
            let identity = self.identity(&path, b.identity.as_ref());
            if b.keys.is_empty() && b.identity.is_none() {
                self.report_key(
                    codes::POLICY_EMPTY_LIST,
                    path.clone(),
                    format!("builder `{id}` lists no trusted key and no keyless `identity`"),
                );
            }
            let keys = self.keys(&path, id, &b.keys);
            let slsa_build_level =
                self.slsa_level(path.key("slsa_build_level"), b.slsa_build_level);
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
                        slsa_build_level,
                    },
                );
            }
        }
        builders
    }

    /// Secrets: named, released to at least one defined zone, for defined environments.
    fn secrets(
        &mut self,
        raw: &RawPolicy,
        zones: &Zones,
        names: &Names<'_>,
    ) -> BTreeMap<String, Secret> {
        let mut secrets = BTreeMap::new();
        for (name, s) in &raw.secrets {
            let path = FieldPath::root().key("secrets").key(name.clone());
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
                    self.zone_ref(zones, path.key("zones").index(i), z, &names.zones)
                })
                .collect();
            for (i, e) in s.environments.iter().enumerate() {
                if !raw.environments.contains_key(e) {
                    self.undefined(
                        path.key("environments").index(i),
                        "environment",
                        e,
                        &names.environments,
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
        secrets
    }

    /// Source rules: a `uri` pattern and `refs` patterns, each a valid glob.
    fn sources(&mut self, raw: &RawPolicy) -> Vec<SourceRule> {
        let mut sources = Vec::new();
        for (i, src) in raw.sources.iter().enumerate() {
            let path = FieldPath::root().key("sources").index(i);
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
        sources
    }

    /// The deployment service: an `id`, keys to sign promotion records, a defined zone.
    fn deploy_service(
        &mut self,
        raw: &RawPolicy,
        zones: &Zones,
        names: &Names<'_>,
    ) -> Option<DeployService> {
        let d = raw.deploy_service.as_ref()?;
        let path = FieldPath::root().key("deploy_service");
        if d.id.is_empty() {
            self.report(
                codes::POLICY_INVALID_VALUE,
                path.clone(),
                "the deploy service needs an `id`".to_owned(),
            );
        }
        if d.keys.is_empty() && d.identity.is_none() {
            self.report(
                codes::POLICY_EMPTY_LIST,
                path.clone(),
                "the deploy service lists no key and no keyless `identity` to sign promotion records"
                    .to_owned(),
            );
        }
        let identity = self.identity(&path, d.identity.as_ref());
        let keys = self.keys(&path, "deploy_service", &d.keys);
        let mut policy_digests = Vec::new();
        for (i, text) in d.policy_digests.iter().enumerate() {
            match crate::digest::Digest::parse(text) {
                Ok(digest) => policy_digests.push(digest),
                Err(e) => self.report(
                    codes::POLICY_INVALID_VALUE,
                    path.key("policy_digests").index(i),
                    format!("`{text}` is not a digest: {e}"),
                ),
            }
        }
        let zone = self.zone_ref(zones, path.key("zone"), &d.zone, &names.zones)?;
        Some(DeployService {
            id: d.id.clone(),
            zone,
            keys,
            identity,
            policy_digests,
        })
    }

    /// An SLSA build level: 0 to 3 (the levels of the SLSA v1 build track).
    fn slsa_level(&mut self, path: FieldPath, level: Option<i64>) -> Option<u8> {
        let level = level?;
        match u8::try_from(level) {
            Ok(l) if l <= 3 => Some(l),
            _ => {
                self.report(
                    codes::POLICY_INVALID_VALUE,
                    path,
                    format!("SLSA build level {level} is not one of 0, 1, 2, 3"),
                );
                None
            }
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

    /// The value, or an invalid-value problem at `path` saying why there is none.
    fn valid<T, E: std::fmt::Display>(&mut self, path: FieldPath, r: Result<T, E>) -> Option<T> {
        r.map_err(|e| self.report(codes::POLICY_INVALID_VALUE, path, e.to_string()))
            .ok()
    }

    /// A freeze window: either `from` + `until` or `weekly`, never both.
    fn freeze(&mut self, path: FieldPath, f: &RawFreeze) -> Option<FreezeWindow> {
        match (&f.weekly, &f.from, &f.until) {
            (None, Some(from), Some(until)) => self.absolute_freeze(path, from, until, f),
            (Some(w), None, None) => self.weekly_freeze(path.key("weekly"), w, f),
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

    /// From one instant (RFC 3339, UTC) until a later one.
    fn absolute_freeze(
        &mut self,
        path: FieldPath,
        from: &str,
        until: &str,
        f: &RawFreeze,
    ) -> Option<FreezeWindow> {
        let from_t = self.valid(path.key("from"), rules::parse_time(from));
        let until_t = self.valid(path.key("until"), rules::parse_time(until));
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
            reason: f.reason.clone(),
        })
    }

    /// On the named days, between two clock times (UTC; the whole day by default).
    fn weekly_freeze(
        &mut self,
        path: FieldPath,
        w: &RawWeekly,
        f: &RawFreeze,
    ) -> Option<FreezeWindow> {
        if w.days.is_empty() {
            self.report(
                codes::POLICY_EMPTY_LIST,
                path.key("days"),
                "a weekly freeze window names its days".to_owned(),
            );
        }
        let days: Vec<_> = w
            .days
            .iter()
            .enumerate()
            .filter_map(|(i, d)| self.valid(path.key("days").index(i), rules::parse_day(d)))
            .collect();
        let from = self.valid(
            path.key("from"),
            rules::parse_clock(w.from.as_deref().unwrap_or("00:00")),
        );
        let until = self.valid(
            path.key("until"),
            rules::parse_clock(w.until.as_deref().unwrap_or("24:00")),
        );
        Some(FreezeWindow::Weekly {
            days,
            from: from?,
            until: until?,
            reason: f.reason.clone(),
        })
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
            out.insert(
                name.clone(),
                self.environment(raw, name, e, &path, zones, zone_names),
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

    /// One environment: its minimum build zone, required attestations and approvals, version
    /// requirement, freeze windows and emergency role, each checked.
    fn environment(
        &mut self,
        raw: &RawPolicy,
        name: &str,
        e: &RawEnvironment,
        path: &FieldPath,
        zones: &Zones,
        zone_names: &[&str],
    ) -> Environment {
        let min_build_zone = e
            .min_build_zone
            .as_deref()
            .and_then(|z| self.zone_ref(zones, path.key("min_build_zone"), z, zone_names));
        let attestations = e
            .attestations
            .iter()
            .enumerate()
            .map(|(i, a)| {
                self.attestation_rule(path.key("attestations").index(i), a, zones, zone_names)
            })
            .collect();
        let approvals = e
            .approvals
            .as_ref()
            .map(|a| self.approval_rule(raw, path.key("approvals"), a));
        let version = self.version_requirement(path.key("version"), e.version.as_deref());
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
        let min_slsa_build_level =
            self.slsa_level(path.key("min_slsa_build_level"), e.min_slsa_build_level);
        Environment {
            name: name.to_owned(),
            from: e.from.clone(),
            min_build_zone,
            description: e.description.clone(),
            attestations,
            approvals,
            version,
            freeze,
            emergency_role: e.emergency_role.clone(),
            require_image_policy: e.require_image_policy,
            min_slsa_build_level,
        }
    }

    /// A required attestation names its predicate type; its signer zone is defined and its
    /// maximum age a duration.
    fn attestation_rule(
        &mut self,
        path: FieldPath,
        a: &RawAttestationRule,
        zones: &Zones,
        zone_names: &[&str],
    ) -> AttestationRule {
        if a.predicate_type.is_empty() {
            self.report(
                codes::POLICY_INVALID_VALUE,
                path.clone(),
                "a required attestation names its `predicate_type`".to_owned(),
            );
        }
        let signer_zone = a
            .signer_zone
            .as_deref()
            .and_then(|z| self.zone_ref(zones, path.key("signer_zone"), z, zone_names));
        let max_age = self.duration(path.key("max_age"), a.max_age.as_deref());
        AttestationRule {
            predicate_type: a.predicate_type.clone(),
            signer_zone,
            max_age,
            description: a.description.clone(),
        }
    }

    /// Required approvals: at least one, by a defined role, within a maximum age.
    fn approval_rule(
        &mut self,
        raw: &RawPolicy,
        path: FieldPath,
        a: &RawApprovalRule,
    ) -> ApprovalRule {
        if a.required == 0 {
            self.report(
                codes::POLICY_INVALID_VALUE,
                path.key("required"),
                "`required` must be at least 1".to_owned(),
            );
        }
        if let Some(role) = &a.role
            && !raw.roles.contains_key(role)
        {
            let known: Vec<&str> = raw.roles.keys().map(String::as_str).collect();
            self.undefined(path.key("role"), "role", role, &known);
        }
        ApprovalRule {
            required: a.required,
            role: a.role.clone(),
            max_age: self.duration(path.key("max_age"), a.max_age.as_deref()),
        }
    }

    /// The versions an environment admits: a semver requirement.
    fn version_requirement(
        &mut self,
        path: FieldPath,
        text: Option<&str>,
    ) -> Option<semver::VersionReq> {
        let v = text?;
        match semver::VersionReq::parse(v) {
            Ok(r) => Some(r),
            Err(err) => {
                self.report(
                    codes::POLICY_INVALID_VALUE,
                    path,
                    format!("`{v}` is not a semver requirement: {err}"),
                );
                None
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The problems a policy document has, as `code at path`.
    fn problems(yaml: &str) -> Vec<String> {
        match parse(yaml, Format::Yaml) {
            Ok(_) => Vec::new(),
            Err(p) => p
                .iter()
                .map(|p| format!("{} at {}", p.code, p.path))
                .collect(),
        }
    }

    #[test]
    fn only_version_1_is_read() {
        assert!(problems("version: 1").is_empty());
        assert_eq!(problems("version: 2"), ["policy/invalid-value at version"]);
    }

    #[test]
    fn principals_are_not_the_wildcard_and_of_a_known_kind() {
        assert_eq!(
            problems("principals: {'*': {}, ci: {kind: robot}, bob: {kind: bot}}"),
            [
                "policy/invalid-value at principals[\"*\"]",
                "policy/invalid-value at principals.ci.kind"
            ]
        );
    }

    #[test]
    fn groups_have_defined_members() {
        assert_eq!(
            problems(
                "principals: {bob: {}}\ngroups: {none: {members: []}, ops: {members: [bob, eve]}}"
            ),
            [
                "policy/empty-list at groups.none",
                "policy/undefined-reference at groups.ops.members[1]"
            ]
        );
    }

    #[test]
    fn roles_grant_known_permissions() {
        assert_eq!(
            problems("roles: {idle: {permissions: []}, dev: {permissions: [merge, fly]}}"),
            [
                "policy/empty-list at roles.idle",
                "policy/invalid-value at roles.dev.permissions[1]"
            ]
        );
    }

    #[test]
    fn bindings_name_defined_roles_subjects_and_environments() {
        let doc = "principals: {bob: {}}\nroles: {dev: {permissions: [merge]}}\n\
                   bindings:\n  - {principals: [bob]}\n  - {role: ops, principals: [eve]}\n  - {role: dev, groups: [g], environment: prod}\n  - {role: dev}\n";
        assert_eq!(
            problems(doc),
            [
                "policy/invalid-value at bindings[0]",
                "policy/undefined-reference at bindings[1].role",
                "policy/undefined-reference at bindings[1].principals[0]",
                "policy/undefined-reference at bindings[2].groups[0]",
                "policy/undefined-reference at bindings[2].environment",
                "policy/empty-list at bindings[3]",
            ]
        );
    }

    #[test]
    fn merge_implies_deploy_holds_for_every_bound_role() {
        let doc = "require: {merge_implies_deploy: true}\nprincipals: {bob: {}}\n\
                   roles: {dev: {permissions: [merge]}, both: {permissions: [merge, deploy]}}\n\
                   bindings: [{role: dev, principals: [bob]}, {role: both, principals: [bob]}]\n";
        assert_eq!(
            problems(doc),
            ["policy/merge-implies-deploy at bindings[0].role"]
        );
    }

    #[test]
    fn builders_are_in_a_zone_with_keys_they_can_meet_a_threshold_with() {
        assert_eq!(
            problems("builders: {ci: {zone: nowhere, keys: [], threshold: 2}}"),
            [
                "policy/empty-list at builders.ci",
                "policy/undefined-reference at builders.ci.zone",
                "policy/invalid-value at builders.ci.threshold"
            ]
        );
    }

    #[test]
    fn secrets_go_to_defined_zones_and_environments() {
        assert_eq!(
            problems(
                "zones: {z: {}}\nsecrets: {a: {zones: []}, b: {zones: [z, y], environments: [prod]}}"
            ),
            [
                "policy/empty-list at secrets.a",
                "policy/undefined-reference at secrets.b.zones[1]",
                "policy/undefined-reference at secrets.b.environments[0]"
            ]
        );
    }

    #[test]
    fn source_rules_have_a_uri() {
        assert_eq!(
            problems("sources: [{refs: [main]}, {uri: 'git+https://g/*'}]"),
            ["policy/invalid-value at sources[0]"]
        );
    }

    #[test]
    fn the_deploy_service_has_an_id_keys_and_a_zone() {
        assert_eq!(
            problems("zones: {z: {}}\ndeploy_service: {zone: z}"),
            [
                "policy/invalid-value at deploy_service",
                "policy/empty-list at deploy_service"
            ]
        );
    }

    #[test]
    fn slsa_build_levels_are_0_to_3_and_pinned_policies_are_digests() {
        assert!(
            problems(
                "zones: {z: {}}\nbuilders: {b: {zone: z, keys: [4970cb2dece5841a107a57fc77af83d754bd6bbe81bdb584ad50ca7cd05011cd], slsa_build_level: 3}}\nenvironments: {e: {min_slsa_build_level: 2}}"
            )
            .is_empty()
        );
        assert_eq!(
            problems(
                "zones: {z: {}}\nbuilders: {b: {zone: z, keys: [4970cb2dece5841a107a57fc77af83d754bd6bbe81bdb584ad50ca7cd05011cd], slsa_build_level: 4}}\nenvironments: {e: {min_slsa_build_level: -1}}\n\
                 deploy_service: {id: d, zone: z, keys: [4970cb2dece5841a107a57fc77af83d754bd6bbe81bdb584ad50ca7cd05011cd], policy_digests: ['sha256:00', 'sha256:0000000000000000000000000000000000000000000000000000000000000000']}"
            ),
            [
                "policy/invalid-value at builders.b.slsa_build_level",
                "policy/invalid-value at environments.e.min_slsa_build_level",
                "policy/invalid-value at deploy_service.policy_digests[0]",
            ]
        );
    }

    #[test]
    fn a_deploy_service_may_sign_keylessly_by_identity() {
        let with = |identity: &str| {
            problems(&format!(
                "zones: {{z: {{}}}}\ndeploy_service: {{id: d, zone: z, identity: {identity}}}"
            ))
        };
        assert!(
            with("{issuer: 'https://token.actions.githubusercontent.com', subject: s}").is_empty()
        );
        assert_eq!(
            with("{subject: s}"),
            ["policy/invalid-value at deploy_service.identity"]
        );
    }

    #[test]
    fn freeze_windows_are_absolute_or_weekly_and_well_formed() {
        let env =
            |freeze: &str| problems(&format!("environments: {{prod: {{freeze: [{freeze}]}}}}"));
        assert!(env("{from: '2026-12-20T00:00:00Z', until: '2027-01-02T00:00:00Z'}").is_empty());
        assert!(env("{weekly: {days: [fri, Saturday], from: '16:00'}}").is_empty());
        assert_eq!(
            env("{from: '2026-12-20T00:00:00Z', until: '2026-12-19T00:00:00Z'}"),
            ["policy/invalid-value at environments.prod.freeze[0].until"]
        );
        assert_eq!(
            env("{from: '2026-12-20T00:00:00Z', weekly: {days: [fri]}}"),
            ["policy/invalid-value at environments.prod.freeze[0]"]
        );
        assert_eq!(
            env("{weekly: {days: [], until: '25:00'}}"),
            [
                "policy/empty-list at environments.prod.freeze[0].weekly.days",
                "policy/invalid-value at environments.prod.freeze[0].weekly.until"
            ]
        );
        assert_eq!(
            env("{weekly: {days: [someday]}}"),
            ["policy/invalid-value at environments.prod.freeze[0].weekly.days[0]"]
        );
    }

    #[test]
    fn environments_check_attestations_approvals_and_versions() {
        let doc = "environments:\n  prod:\n    attestations: [{signer_zone: z}]\n    approvals: {required: 0, role: boss}\n    version: 'not semver'\n    emergency_role: boss\n";
        assert_eq!(
            problems(doc),
            [
                "policy/invalid-value at environments.prod.attestations[0]",
                "policy/undefined-reference at environments.prod.attestations[0].signer_zone",
                "policy/invalid-value at environments.prod.approvals.required",
                "policy/undefined-reference at environments.prod.approvals.role",
                "policy/invalid-value at environments.prod.version",
                "policy/undefined-reference at environments.prod.emergency_role",
            ]
        );
    }
}
