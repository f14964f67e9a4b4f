//! The tenant view: which projects a Zuul tenant trusts, and which given file belongs to which
//! project.
//!
//! Zuul decides what a configuration object may do by the project it was read from: pipelines
//! and base jobs come only from config projects, a job that uses a secret of an untrusted
//! project runs only in post-review pipelines, and an untrusted project's proposed change is
//! run speculatively. Without the tenant file none of that is known, so the importer assumes
//! nothing (every such fact stays unknown and no finding is suppressed on its account).

use std::collections::{BTreeMap, BTreeSet};

use super::super::tree::{Node, V};

/// How a tenant trusts a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Trust {
    /// `config-projects`: changes take effect only once merged; may define pipelines.
    Config,
    /// `untrusted-projects`: proposed configuration runs speculatively, restricted language.
    Untrusted,
}

impl Trust {
    /// The context a job of this project carries, for the policy to map.
    pub(crate) fn context(self) -> &'static str {
        match self {
            Trust::Config => "zuul/config-project",
            Trust::Untrusted => "zuul/untrusted-project",
        }
    }
}

/// A project as the tenant files list it.
#[derive(Clone, Debug, Default)]
pub(crate) struct TenantProject {
    /// Every trust a tenant gives it (a project may be listed by several tenants).
    pub trusts: BTreeSet<Trust>,
    /// Configuration object kinds loaded from it: `None` is all of them.
    pub include: Option<BTreeSet<String>>,
    /// Object kinds not loaded from it.
    pub exclude: BTreeSet<String>,
}

impl TenantProject {
    /// The trust every tenant listing the project agrees on; `None` when they differ.
    pub(crate) fn trust(&self) -> Option<Trust> {
        let mut all = self.trusts.iter().copied();
        let first = all.next()?;
        all.all(|t| t == first).then_some(first)
    }

    /// Whether Zuul loads objects of `kind` from this project.
    pub(crate) fn loads(&self, kind: &str) -> bool {
        !self.exclude.contains(kind) && self.include.as_ref().is_none_or(|i| i.contains(kind))
    }
}

/// What the given tenant files say.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tenant {
    /// Project name (as the tenant spells it) -> trust and load options.
    pub projects: BTreeMap<String, TenantProject>,
    /// `default-parent` of the tenants (Zuul's default is `base`).
    pub default_parent: Option<String>,
    /// The tenants' names, for messages.
    pub names: Vec<String>,
}

impl Tenant {
    /// Whether a tenant file was given at all.
    pub(crate) fn known(&self) -> bool {
        !self.names.is_empty()
    }

    /// Reads one `tenant` object.
    pub(crate) fn read(&mut self, body: &Node) {
        self.names.push(
            body.get("name")
                .and_then(Node::scalar)
                .unwrap_or_else(|| "(unnamed)".to_owned()),
        );
        if let Some(p) = body.get("default-parent").and_then(Node::scalar) {
            self.default_parent = Some(p);
        }
        for source in body.get("source").map(Node::entries).unwrap_or_default() {
            for (key, trust) in [
                ("config-projects", Trust::Config),
                ("untrusted-projects", Trust::Untrusted),
            ] {
                for item in source.value.get(key).map(Node::items).unwrap_or_default() {
                    self.item(item, trust, None, &BTreeSet::new());
                }
            }
        }
    }

    /// A project list entry: a name, `{name: {options}}`, or a group `{projects: [...], options}`.
    fn item(
        &mut self,
        item: &Node,
        trust: Trust,
        include: Option<&BTreeSet<String>>,
        exclude: &BTreeSet<String>,
    ) {
        let kinds = |n: Option<&Node>| -> Option<BTreeSet<String>> {
            n.map(|n| n.strings().into_iter().collect())
        };
        match &item.v {
            V::Str(name) => self.add(name, trust, include.cloned(), exclude.clone()),
            V::Map(_) if item.get("projects").is_some() => {
                let inc = kinds(item.get("include")).or_else(|| include.cloned());
                let mut exc = exclude.clone();
                exc.extend(kinds(item.get("exclude")).unwrap_or_default());
                for p in item.get("projects").map(Node::items).unwrap_or_default() {
                    self.item(p, trust, inc.as_ref(), &exc);
                }
            }
            V::Map(entries) => {
                for e in entries {
                    let inc = kinds(e.value.get("include")).or_else(|| include.cloned());
                    let mut exc = exclude.clone();
                    exc.extend(kinds(e.value.get("exclude")).unwrap_or_default());
                    self.add(&e.key, trust, inc, exc);
                }
            }
            _ => {}
        }
    }

    fn add(
        &mut self,
        name: &str,
        trust: Trust,
        include: Option<BTreeSet<String>>,
        exclude: BTreeSet<String>,
    ) {
        let p = self.projects.entry(name.to_owned()).or_default();
        let first = p.trusts.is_empty();
        p.trusts.insert(trust);
        p.include = match (p.include.take(), include) {
            // Listed once: its own options. Listed again (another tenant): whatever either loads.
            (_, inc) if first => inc,
            (Some(mut a), Some(b)) => {
                a.extend(b);
                Some(a)
            }
            _ => None,
        };
        p.exclude.extend(exclude);
    }

    /// The project a given file belongs to, by its path: the directory holding its
    /// `zuul.yaml`, `.zuul.yaml`, `zuul.d/` or `.zuul.d/` ends with the project's name
    /// (`src/opendev.org/openstack/kolla/zuul.d/jobs.yaml` is `openstack/kolla`), or is named
    /// like it with `/` spelled `__` (`openstack__kolla/`), or by its last component when no
    /// other project of the tenant shares it (`kolla/`). The longest name wins.
    pub(crate) fn project_of(&self, path: &str) -> Option<&str> {
        let norm = path.replace('\\', "/");
        let comps: Vec<&str> = norm
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        let marker = comps.iter().position(|c| {
            matches!(
                *c,
                "zuul.yaml" | ".zuul.yaml" | "zuul.yml" | ".zuul.yml" | "zuul.d" | ".zuul.d"
            )
        })?;
        let root = comps.get(..marker)?;
        let last = root.last()?;
        let mut best: Option<(&str, usize)> = None;
        let mut short: Vec<&str> = Vec::new();
        for name in self.projects.keys() {
            let parts: Vec<&str> = name.split('/').collect();
            let score = if root.ends_with(&parts) || *last == name.replace('/', "__") {
                parts.len() * 2
            } else if parts.last() == Some(last) {
                short.push(name);
                0
            } else {
                continue;
            };
            if score > 0 && best.is_none_or(|(_, s)| score > s) {
                best = Some((name, score));
            }
        }
        match (best, short.as_slice()) {
            (Some((name, _)), _) => Some(name),
            (None, [one]) => Some(one),
            _ => None,
        }
    }

    /// Whether `project` (a name of the tenant) is `name` as a project stanza or
    /// `allowed-projects` entry spells it (full name, or the canonical one ending with it).
    pub(crate) fn same_project(project: &str, name: &str) -> bool {
        project == name
            || project.ends_with(&format!("/{name}"))
            || name.ends_with(&format!("/{project}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::tree::parse;

    fn tenant(text: &str) -> Result<Tenant, String> {
        let docs = parse(text).map_err(|e| e.0)?;
        let mut t = Tenant::default();
        for item in docs.first().map(Node::items).unwrap_or_default() {
            if let Some(body) = item.get("tenant") {
                t.read(body);
            }
        }
        Ok(t)
    }

    #[test]
    fn projects_are_told_apart_and_found_by_path() -> Result<(), String> {
        let t = tenant(
            "- tenant:\n    name: one\n    default-parent: base-minimal\n    source:\n      gerrit:\n        config-projects:\n          - opendev/project-config\n          - zuul/zuul-jobs: {include: [job]}\n        untrusted-projects:\n          - openstack/kolla\n          - include: [job, project]\n            projects: [openstack/nova]\n",
        )?;
        assert_eq!(t.default_parent.as_deref(), Some("base-minimal"));
        let trust = |p: &str| t.projects.get(p).and_then(TenantProject::trust);
        assert_eq!(trust("opendev/project-config"), Some(Trust::Config));
        assert_eq!(trust("openstack/kolla"), Some(Trust::Untrusted));
        assert_eq!(trust("openstack/nova"), Some(Trust::Untrusted));
        let jobs = t.projects.get("zuul/zuul-jobs").ok_or("zuul-jobs")?;
        assert!(jobs.loads("job") && !jobs.loads("pipeline"));
        assert_eq!(
            t.project_of("src/opendev.org/openstack/kolla/zuul.d/base.yaml"),
            Some("openstack/kolla")
        );
        assert_eq!(
            t.project_of("openstack__kolla/zuul.d/base.yaml"),
            Some("openstack/kolla")
        );
        assert_eq!(
            t.project_of("project-config/zuul.d/pipelines.yaml"),
            Some("opendev/project-config")
        );
        assert_eq!(t.project_of("nova/.zuul.yaml"), Some("openstack/nova"));
        assert_eq!(t.project_of("elsewhere/zuul.yaml"), None);
        assert_eq!(t.project_of("main.yaml"), None);
        Ok(())
    }
}
