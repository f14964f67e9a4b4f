//! Jenkins Job Builder files, read next to a Zuul v2 `layout.yaml`: the layout says which
//! pipeline runs which Jenkins job, JJB says what the job runs and which credentials Jenkins
//! binds into it.
//!
//! Templates are realised the way JJB realises them: a `project` lists jobs, job-templates and
//! job-groups; a template's `{param}` placeholders take their values from, weakest first, the
//! `defaults` it names (`global` otherwise), the template's own keys, the project, the
//! job-group, then the entry in the `jobs` list. A parameter whose value is a list realises one
//! job per value (the cartesian product over every list-valued parameter). Macros (`- builder:`,
//! `- wrapper:`, `- publisher:` ...) are followed, with the arguments of the call as parameters.

use std::collections::BTreeMap;

use super::super::tree::{Node, V};
use crate::source::Location;

/// Kinds of JJB objects that Zuul v3 does not have: a list file holding one is JJB.
pub(crate) const JJB_ONLY_KINDS: [&str; 12] = [
    "job-template",
    "job-group",
    "defaults",
    "builder",
    "publisher",
    "wrapper",
    "scm",
    "trigger",
    "parameter",
    "property",
    "reporter",
    "view",
];

/// Macro kinds: a named list of components used like a built-in one.
const MACRO_KINDS: [&str; 8] = [
    "builder",
    "publisher",
    "wrapper",
    "scm",
    "trigger",
    "parameter",
    "property",
    "reporter",
];

/// The job sections whose components are read.
const SECTIONS: [&str; 3] = ["wrappers", "builders", "publishers"];

/// Publishers that upload the build's output somewhere: evidence of publishing.
const UPLOADING_PUBLISHERS: [&str; 8] = [
    "scp",
    "ssh",
    "ftp",
    "cifs",
    "s3",
    "artifactory",
    "maven-deploy",
    "docker-build-publish",
];

/// Realised job-template instances are capped: a product past this is not read.
const MAX_REALISED: usize = 4096;
/// Macro calls nest at most this deep (a macro calling itself is not read past it).
const MAX_DEPTH: usize = 16;
/// Components read in all, over every job: macros that fan out are not followed past it.
const MAX_STEPS: usize = 200_000;

/// Whether a JJB item (one `- kind: {...}` entry) uses a JJB-only kind, or a `job` with
/// Jenkins sections, which a Zuul v3 job never has.
pub(crate) fn is_jjb_item(item: &Node) -> bool {
    item.entries().iter().any(|e| {
        JJB_ONLY_KINDS.contains(&e.key.as_str())
            || (e.key == "job"
                && ["builders", "wrappers", "publishers", "project-type", "node"]
                    .iter()
                    .any(|k| e.value.get(k).is_some()))
    })
}

/// What a Jenkins job does, as far as lockkeeper models it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct JobSpec {
    /// Credential ids Jenkins binds into the job's environment or agent.
    pub secrets: Vec<String>,
    /// Whether a shell step or a publisher uploads the build's output.
    pub publishes: bool,
    /// What could not be read in its definition (path, message).
    pub unread: Vec<(String, String)>,
}

type Params = BTreeMap<String, String>;

/// What could not be read: the file's index, where, the path, why.
pub(crate) type Unread = (usize, Option<Location>, String, String);

/// The objects of the given JJB files.
#[derive(Default)]
pub(crate) struct Jjb<'n> {
    jobs: BTreeMap<String, &'n Node>,
    templates: BTreeMap<String, &'n Node>,
    groups: BTreeMap<String, &'n Node>,
    defaults: BTreeMap<String, &'n Node>,
    macros: BTreeMap<String, &'n Node>,
    projects: Vec<(usize, &'n Node)>,
    /// Components read so far (bounded by [`MAX_STEPS`]).
    steps: std::cell::Cell<usize>,
    /// Items that could not be read: the file (its index among the given ones), where, what,
    /// why.
    pub unread: Vec<Unread>,
}

impl<'n> Jjb<'n> {
    /// Collects the objects of JJB list items, each with the index of its file.
    pub(crate) fn read(items: impl IntoIterator<Item = (usize, &'n Node)>) -> Self {
        let mut j = Jjb::default();
        for (file, item) in items {
            let Some(entry) = item.entries().first() else {
                j.unread.push((
                    file,
                    item.loc,
                    "(item)".into(),
                    "a Jenkins Job Builder item that is not a mapping".into(),
                ));
                continue;
            };
            let (kind, body) = (entry.key.as_str(), &entry.value);
            if kind == "view" {
                continue;
            }
            if kind == "project" {
                j.projects.push((file, body));
                continue;
            }
            let Some(name) = body.get("name").and_then(Node::scalar) else {
                j.unread.push((
                    file,
                    entry.key_loc,
                    kind.to_owned(),
                    format!("a Jenkins Job Builder `{kind}` without a name"),
                ));
                continue;
            };
            let map = match kind {
                "job" => &mut j.jobs,
                "job-template" => &mut j.templates,
                "job-group" => &mut j.groups,
                "defaults" => &mut j.defaults,
                k if MACRO_KINDS.contains(&k) => &mut j.macros,
                _ => {
                    j.unread.push((
                        file,
                        entry.key_loc,
                        kind.to_owned(),
                        format!("`{kind}` is not a Jenkins Job Builder object lockkeeper knows; it is not checked"),
                    ));
                    continue;
                }
            };
            map.insert(name, body);
        }
        j
    }

    /// Every job the files define, by name: plain jobs and realised templates.
    pub(crate) fn resolve(&mut self) -> BTreeMap<String, JobSpec> {
        let mut out = BTreeMap::new();
        for (name, node) in &self.jobs {
            out.insert(name.clone(), self.spec(node, &self.base(node)));
        }
        let mut unread = Vec::new();
        for &(file, project) in &self.projects {
            let mut pparams: Vec<(String, &Node)> = Vec::new();
            for e in project.entries() {
                if e.key != "jobs" {
                    pparams.push((e.key.clone(), &e.value));
                }
            }
            for entry in project.get("jobs").map(Node::items).unwrap_or_default() {
                let Some((jname, eparams)) = job_entry(entry) else {
                    unread.push((
                        file,
                        entry.loc,
                        "project.jobs".into(),
                        "a job entry that is neither a name nor a name with parameters".into(),
                    ));
                    continue;
                };
                let mut layers = vec![pparams.clone()];
                if let Some(group) = self.groups.get(&jname) {
                    let gparams: Vec<(String, &Node)> = group
                        .entries()
                        .iter()
                        .filter(|e| e.key != "jobs" && e.key != "name")
                        .map(|e| (e.key.clone(), &e.value))
                        .collect();
                    layers.push(gparams);
                    layers.push(eparams);
                    for g in group.get("jobs").map(Node::items).unwrap_or_default() {
                        let Some((gname, gp)) = job_entry(g) else {
                            continue;
                        };
                        let mut l = layers.clone();
                        l.push(gp);
                        self.realise(&gname, &l, (file, entry.loc), &mut out, &mut unread);
                    }
                } else {
                    layers.push(eparams);
                    self.realise(&jname, &layers, (file, entry.loc), &mut out, &mut unread);
                }
            }
        }
        self.unread.extend(unread);
        out
    }

    /// The parameters a job or template starts from: its defaults, then its own scalar keys.
    fn base(&self, node: &Node) -> Params {
        let mut p = Params::new();
        let dname = node
            .get("defaults")
            .and_then(Node::scalar)
            .unwrap_or_else(|| "global".into());
        for src in [self.defaults.get(&dname).copied(), Some(node)]
            .into_iter()
            .flatten()
        {
            for e in src.entries() {
                if let Some(v) = e.value.scalar() {
                    p.insert(e.key.clone(), v);
                }
            }
        }
        p
    }

    /// Realises the template (or plain job) `name` listed in a project with the given layers
    /// of parameters (weakest first).
    fn realise(
        &self,
        name: &str,
        layers: &[Vec<(String, &Node)>],
        (file, loc): (usize, Option<Location>),
        out: &mut BTreeMap<String, JobSpec>,
        unread: &mut Vec<Unread>,
    ) {
        let Some(tpl) = self.templates.get(name) else {
            if !self.jobs.contains_key(name) {
                unread.push((
                    file,
                    loc,
                    format!("project.jobs.{name}"),
                    format!("`{name}` is no job-template, job-group or job of the given Jenkins Job Builder files"),
                ));
            }
            return;
        };
        let mut merged: BTreeMap<String, &Node> = BTreeMap::new();
        for layer in layers {
            for (k, v) in layer {
                merged.insert(k.clone(), v);
            }
        }
        let Some(combos) = product(&merged) else {
            unread.push((
                file,
                loc,
                format!("project.jobs.{name}"),
                format!("the parameters of `{name}` realise more than {MAX_REALISED} jobs; they are not read"),
            ));
            return;
        };
        for combo in combos {
            let mut params = self.base(tpl);
            params.extend(combo);
            let Some(tname) = tpl.get("name").and_then(Node::scalar) else {
                continue;
            };
            let job = subst(&tname, &params);
            let spec = self.spec(tpl, &params);
            // Realisations that land on one name (a list parameter the name does not use) are
            // one Jenkins job: keep what any of them binds or does.
            let have = out.entry(job).or_default();
            for c in spec.secrets {
                push(&mut have.secrets, c);
            }
            have.publishes |= spec.publishes;
            for u in spec.unread {
                if !have.unread.contains(&u) {
                    have.unread.push(u);
                }
            }
        }
    }

    /// What a job (or realised template) binds and runs.
    fn spec(&self, node: &Node, params: &Params) -> JobSpec {
        let mut s = JobSpec::default();
        if node.get("dsl").is_some() || node.get("pipeline-scm").is_some() {
            s.unread.push((
                "dsl".into(),
                "a Jenkins pipeline job runs a Groovy script lockkeeper does not read: what it runs and which credentials it binds are not checked".into(),
            ));
        }
        included(node, "", &mut s.unread);
        let dname = node
            .get("defaults")
            .and_then(Node::scalar)
            .unwrap_or_else(|| "global".into());
        let defaults = self.defaults.get(&dname).copied();
        if let Some(d) = defaults {
            included(d, "defaults", &mut s.unread);
        }
        for section in SECTIONS {
            // A job's own section replaces the defaults' one.
            let list = node
                .get(section)
                .or_else(|| defaults.and_then(|d| d.get(section)));
            for item in list.map(Node::items).unwrap_or_default() {
                self.component(section, item, params, &mut s, 0);
            }
        }
        s
    }

    /// One component of a section: a built-in one lockkeeper models, or a macro.
    fn component(
        &self,
        section: &str,
        item: &Node,
        params: &Params,
        s: &mut JobSpec,
        depth: usize,
    ) {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if steps > MAX_STEPS {
            let why = format!(
                "the Jenkins Job Builder files expand to more than {MAX_STEPS} components; the rest is not read"
            );
            if !s.unread.iter().any(|(_, w)| *w == why) {
                s.unread.push((section.to_owned(), why));
            }
            return;
        }
        let (name, body) = match &item.v {
            V::Str(n) => (subst(n, params), None),
            V::Map(entries) => match entries.first() {
                Some(e) => (subst(&e.key, params), Some(&e.value)),
                None => return,
            },
            _ => return,
        };
        if let Some(m) = self.macros.get(&name) {
            if depth >= MAX_DEPTH {
                s.unread.push((
                    format!("{section}.{name}"),
                    format!("macro `{name}` nests more than {MAX_DEPTH} deep; it is not read"),
                ));
                return;
            }
            included(m, &name, &mut s.unread);
            let mut inner = params.clone();
            for e in body.map(Node::entries).unwrap_or_default() {
                if let Some(v) = e.value.scalar() {
                    inner.insert(e.key.clone(), subst(&v, params));
                }
            }
            for sec in SECTIONS {
                for i in m.get(sec).map(Node::items).unwrap_or_default() {
                    self.component(sec, i, &inner, s, depth + 1);
                }
            }
            return;
        }
        match name.as_str() {
            "credentials-binding" => {
                for binding in body.map(Node::items).unwrap_or_default() {
                    for e in binding.entries() {
                        match e.value.get("credential-id").and_then(Node::scalar) {
                            Some(id) => push(&mut s.secrets, subst(&id, params)),
                            None => s.unread.push((
                                format!("wrappers.credentials-binding.{}", e.key),
                                format!("a `{}` binding without a `credential-id`", e.key),
                            )),
                        }
                    }
                }
            }
            "ssh-agent-credentials" => {
                let mut ids = Vec::new();
                if let Some(b) = body {
                    ids.extend(b.get("users").map(Node::strings).unwrap_or_default());
                    ids.extend(b.get("user").and_then(Node::scalar));
                }
                if ids.is_empty() {
                    s.unread.push((
                        "wrappers.ssh-agent-credentials".into(),
                        "an `ssh-agent-credentials` wrapper without `users`".into(),
                    ));
                }
                for id in ids {
                    push(&mut s.secrets, subst(&id, params));
                }
            }
            "shell" => {
                let text = body.and_then(Node::scalar).unwrap_or_default();
                let text = subst(&text, params);
                if text.lines().any(|l| super::super::publishes(l, &[])) {
                    s.publishes = true;
                }
            }
            n if section == "publishers" && UPLOADING_PUBLISHERS.contains(&n) => {
                s.publishes = true;
            }
            _ => {}
        }
    }
}

/// Text JJB takes from other files of its tree (`!include-raw:`, `!include:`, `!j2:` ...),
/// which were not given: each is reported once as not read.
fn included(node: &Node, path: &str, out: &mut Vec<(String, String)>) {
    if let Some(tag) = node
        .tag
        .as_deref()
        .filter(|t| t.starts_with("!include") || t.starts_with("!j2"))
    {
        let files = node.strings().join(", ");
        let entry = (
            path.to_owned(),
            format!(
                "`{path}` takes its text from `{files}` through `{tag}`, which lockkeeper does not read: what it runs is not checked"
            ),
        );
        if !out.contains(&entry) {
            out.push(entry);
        }
        return;
    }
    match &node.v {
        V::Map(entries) => {
            for e in entries {
                let p = if path.is_empty() {
                    e.key.clone()
                } else {
                    format!("{path}.{}", e.key)
                };
                included(&e.value, &p, out);
            }
        }
        V::Seq(items) => {
            for i in items {
                included(i, path, out);
            }
        }
        _ => {}
    }
}

fn push(list: &mut Vec<String>, v: String) {
    if !list.contains(&v) {
        list.push(v);
    }
}

/// A `jobs:` entry: a name, or `{name: {parameters}}`.
fn job_entry(entry: &Node) -> Option<(String, Vec<(String, &Node)>)> {
    match &entry.v {
        V::Str(s) => Some((s.clone(), Vec::new())),
        V::Map(entries) => {
            let e = entries.first()?;
            let params = e
                .value
                .entries()
                .iter()
                .map(|p| (p.key.clone(), &p.value))
                .collect();
            Some((e.key.clone(), params))
        }
        _ => None,
    }
}

/// Every combination of parameter values: a list-valued parameter takes each of its values in
/// turn (a value `{v: {k: x}}` also sets `k`). `None` past [`MAX_REALISED`] combinations.
fn product(params: &BTreeMap<String, &Node>) -> Option<Vec<Params>> {
    let mut combos: Vec<Params> = vec![Params::new()];
    for (k, v) in params {
        if let Some(s) = v.scalar() {
            for c in &mut combos {
                c.insert(k.clone(), s.clone());
            }
            continue;
        }
        if !v.is_seq() {
            continue;
        }
        let mut choices: Vec<Params> = Vec::new();
        for item in v.items() {
            let mut c = Params::new();
            if let Some(s) = item.scalar() {
                c.insert(k.clone(), s);
            } else if let Some(e) = item.entries().first() {
                c.insert(k.clone(), e.key.clone());
                for extra in e.value.entries() {
                    if let Some(x) = extra.value.scalar() {
                        c.insert(extra.key.clone(), x);
                    }
                }
            } else {
                continue;
            }
            choices.push(c);
        }
        if choices.is_empty() {
            continue;
        }
        if combos.len().saturating_mul(choices.len()) > MAX_REALISED {
            return None;
        }
        let mut next = Vec::with_capacity(combos.len() * choices.len());
        for c in &combos {
            for ch in &choices {
                let mut n = c.clone();
                n.extend(ch.clone());
                next.push(n);
            }
        }
        combos = next;
    }
    Some(combos)
}

/// JJB's substitution: `{key}` takes the parameter's value, `{{`/`}}` are literal braces; a
/// placeholder with no value stays as written.
fn subst(s: &str, params: &Params) -> String {
    if !s.contains('{') && !s.contains('}') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('{')
            && let Some(end) = tail.find('}')
        {
            let key = &tail[1..end];
            match params.get(key) {
                Some(v) => out.push_str(v),
                None => out.push_str(&tail[..=end]),
            }
            rest = &tail[end + 1..];
            continue;
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_follows_jjb() {
        let mut p = Params::new();
        p.insert("name".into(), "core".into());
        assert_eq!(subst("{name}-tox", &p), "core-tox");
        assert_eq!(
            subst("echo ${{HOME}} {name} {missing}", &p),
            "echo ${HOME} core {missing}"
        );
        assert_eq!(subst("}{", &p), "}{");
        assert_eq!(subst("é{name}é", &p), "écoreé");
    }

    #[test]
    fn templates_realise_the_cartesian_product() -> Result<(), String> {
        let text = "- defaults: {name: global, wrappers: [timestamps]}\n\
                    - wrapper:\n    name: npm-creds\n    wrappers:\n      - credentials-binding:\n          - text: {credential-id: '{cred}', variable: NPM_TOKEN}\n\
                    - job-template:\n    name: '{name}-{env}-deploy'\n    cred: default-cred\n    wrappers:\n      - npm-creds:\n          cred: '{env}-npm'\n      - ssh-agent-credentials: {users: [deploy-key]}\n    builders:\n      - shell: 'npm publish'\n\
                    - job-template: {name: '{name}-lint', builders: [{shell: 'make lint'}]}\n\
                    - job-group: {name: grp, jobs: ['{name}-lint']}\n\
                    - job: {name: plain, wrappers: [{credentials-binding: [{file: {credential-id: kubeconfig, variable: K}}]}]}\n\
                    - project:\n    name: app\n    env: [prod, staging]\n    jobs: ['{name}-{env}-deploy', grp]\n";
        let docs = crate::import::tree::parse(text).map_err(|e| e.0)?;
        let items = docs.first().ok_or("no doc")?.items();
        assert!(items.iter().any(is_jjb_item));
        let mut j = Jjb::read(items.iter().map(|n| (0, n)));
        let specs = j.resolve();
        assert!(j.unread.is_empty(), "{:?}", j.unread);
        let prod = specs.get("app-prod-deploy").ok_or("no prod")?;
        assert_eq!(
            prod.secrets,
            vec!["prod-npm".to_owned(), "deploy-key".to_owned()]
        );
        assert!(prod.publishes);
        assert!(specs.contains_key("app-staging-deploy"));
        let lint = specs.get("app-lint").ok_or("no lint")?;
        assert!(lint.secrets.is_empty() && !lint.publishes);
        assert_eq!(
            specs.get("plain").map(|s| s.secrets.clone()),
            Some(vec!["kubeconfig".to_owned()])
        );
        Ok(())
    }

    #[test]
    fn macros_that_fan_out_are_bounded() -> Result<(), String> {
        let mut text = String::new();
        for i in 0..15 {
            text.push_str(&format!(
                "- builder: {{name: m{i}, builders: [m{n}, m{n}]}}\n",
                n = i + 1
            ));
        }
        text.push_str("- builder: {name: m15, builders: [{shell: make}]}\n");
        text.push_str("- job-template: {name: '{name}-{v}', builders: [m0]}\n");
        text.push_str("- project: {name: p, v: [a, b, c, d, e, f, g, h], jobs: ['{name}-{v}']}\n");
        let docs = crate::import::tree::parse(&text).map_err(|e| e.0)?;
        let mut j = Jjb::read(docs.first().ok_or("no doc")?.items().iter().map(|n| (0, n)));
        let specs = j.resolve();
        assert_eq!(specs.len(), 8);
        assert!(
            specs
                .values()
                .any(|s| s.unread.iter().any(|(_, w)| w.contains("more than 200000"))),
            "{specs:?}"
        );
        Ok(())
    }

    #[test]
    fn an_included_script_is_not_read() -> Result<(), String> {
        let text = "- job:\n    name: build\n    wrappers: !include: w.yaml\n    builders:\n      - shell: !include-raw: build.sh\n      - shell: !include-raw-escape:\n          - a.sh\n";
        let docs = crate::import::tree::parse(text).map_err(|e| e.0)?;
        let mut j = Jjb::read(docs.first().ok_or("no doc")?.items().iter().map(|n| (0, n)));
        let specs = j.resolve();
        let unread = &specs.get("build").ok_or("no job")?.unread;
        assert_eq!(unread.len(), 3, "{unread:?}");
        assert!(unread[0].1.contains("`w.yaml`") && unread[0].0 == "wrappers");
        assert!(unread[1].1.contains("`build.sh`") && unread[1].1.contains("!include-raw"));
        assert!(unread[2].1.contains("`a.sh`"));
        Ok(())
    }

    #[test]
    fn a_runaway_product_is_not_read() -> Result<(), String> {
        let text = "- job-template: {name: '{a}{b}{c}'}\n- project:\n    name: p\n    a: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]\n    b: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]\n    c: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]\n    jobs: ['{a}{b}{c}']\n";
        let docs = crate::import::tree::parse(text).map_err(|e| e.0)?;
        let mut j = Jjb::read(docs.first().ok_or("no doc")?.items().iter().map(|n| (0, n)));
        assert!(j.resolve().is_empty());
        assert_eq!(j.unread.len(), 1);
        Ok(())
    }
}
