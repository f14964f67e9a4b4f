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

/// Whether `kind` is a JJB object Zuul v3 does not have (a macro kind, or one of the other
/// JJB-only kinds): a list file holding one is JJB.
pub(crate) fn is_jjb_only_kind(kind: &str) -> bool {
    MACRO_KINDS.contains(&kind)
        || matches!(kind, "job-template" | "job-group" | "defaults" | "view")
}

/// The job sections whose components are read.
const SECTIONS: [&str; 3] = ["wrappers", "builders", "publishers"];

/// Components Jenkins Job Builder itself provides that bind no credential, start no job and
/// upload nothing beyond what lockkeeper models elsewhere: naming one is not a gap. Any other
/// name that is not a macro of the given files (a macro whose file was not given, `raw` XML,
/// a plugin lockkeeper does not know) may bind or start anything, so it is reported.
const INERT_COMPONENTS: [&str; 62] = [
    // wrappers
    "timeout",
    "timestamps",
    "ansicolor",
    "workspace-cleanup",
    "build-name",
    "build-user-vars",
    "xvfb",
    "xvnc",
    "mask-passwords",
    "pre-scm-buildstep",
    "port-allocator",
    "locks",
    "exclusion",
    "env-script",
    "rbenv",
    "nodejs-installator",
    "jdk-installer",
    "matrix-tie-parent",
    "logstash",
    "custom-tools",
    "ci-skip",
    "build-keeper",
    "live-screenshot",
    // builders
    "batch",
    "powershell",
    "python",
    "system-groovy",
    "groovy",
    "copyartifact",
    "maven-target",
    "ant",
    "gradle",
    "msbuild",
    "cmake",
    "sbt",
    "shining-panda",
    "critical-block-start",
    "critical-block-end",
    "build-name-setter",
    // publishers
    "archive",
    "junit",
    "xunit",
    "email",
    "email-ext",
    "ircbot",
    "html-publisher",
    "cobertura",
    "clover",
    "cloverphp",
    "checkstyle",
    "warnings",
    "jacoco",
    "fingerprint",
    "description-setter",
    "naginator",
    "text-finder",
    "logparser",
    "claim-build",
    "plot",
    "pmd",
    "tap",
    "doxygen",
];

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

/// Object kinds only Zuul v3 has.
const V3_ONLY_KINDS: [&str; 8] = [
    "pipeline",
    "secret",
    "nodeset",
    "semaphore",
    "project-template",
    "queue",
    "pragma",
    "tenant",
];

/// Keys of a JJB `job` that a Zuul v3 job never has (Jenkins' job configuration).
const JJB_JOB_KEYS: [&str; 18] = [
    "builders",
    "wrappers",
    "publishers",
    "project-type",
    "node",
    "scm",
    "triggers",
    "parameters",
    "properties",
    "dsl",
    "pipeline-scm",
    "defaults",
    "concurrent",
    "disabled",
    "display-name",
    "logrotate",
    "block-downstream",
    "axes",
];

/// Keys of a Zuul v3 `job` that JJB does not have.
const V3_JOB_KEYS: [&str; 24] = [
    "parent",
    "run",
    "pre-run",
    "post-run",
    "cleanup-run",
    "vars",
    "extra-vars",
    "host-vars",
    "group-vars",
    "secrets",
    "nodeset",
    "required-projects",
    "roles",
    "branches",
    "files",
    "irrelevant-files",
    "abstract",
    "final",
    "protected",
    "voting",
    "provides",
    "requires",
    "dependencies",
    "post-review",
];

/// Keys of a Zuul v3 `project` (besides pipeline names, whose values hold `jobs`).
const V3_PROJECT_KEYS: [&str; 5] = ["templates", "default-branch", "merge-mode", "queue", "vars"];

/// Which of the two list formats an item belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Jjb,
    V3,
}

/// The format of one `- kind: {...}` item, from its kind and, for the kinds both have (`job`,
/// `project`), its keys: a JJB project lists `jobs` itself, a v3 project lists them per
/// pipeline; a JJB job configures Jenkins (`builders`, `node`, ...), a v3 job names Ansible
/// playbooks, a parent, variables. `None` when the item could be either (a job with only a
/// name and a description).
pub(crate) fn item_side(item: &Node) -> Option<Side> {
    let (kind, body) = match item.entries().first() {
        Some(e) => (e.key.as_str(), &e.value),
        None => return None,
    };
    if is_jjb_only_kind(kind) {
        return Some(Side::Jjb);
    }
    if V3_ONLY_KINDS.contains(&kind) {
        return Some(Side::V3);
    }
    let has = |keys: &[&str]| keys.iter().any(|k| body.get(k).is_some());
    match kind {
        "job" if has(&JJB_JOB_KEYS) => Some(Side::Jjb),
        "job" if has(&V3_JOB_KEYS) => Some(Side::V3),
        "project" if body.get("jobs").is_some() => Some(Side::Jjb),
        "project"
            if has(&V3_PROJECT_KEYS)
                || body
                    .entries()
                    .iter()
                    .any(|e| e.value.get("jobs").is_some() || e.value.get("queue").is_some()) =>
        {
            Some(Side::V3)
        }
        _ => None,
    }
}

/// What a Jenkins job does, as far as lockkeeper models it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct JobSpec {
    /// Credential ids Jenkins binds into the job's environment or agent.
    pub secrets: Vec<String>,
    /// Whether a shell step or a publisher uploads the build's output.
    pub publishes: bool,
    /// Jenkins jobs it starts (`trigger-builds`, `trigger-parameterized-builds`, `trigger`):
    /// they run for the same change, with their own credentials, on what this job hands them.
    pub triggers: Vec<String>,
    /// What could not be read in its definition (path, message).
    pub unread: Vec<(String, String)>,
    /// Credential-looking variables its shell steps use (kept until the bindings are known).
    shell_vars: Vec<String>,
}

type Params = BTreeMap<String, String>;

/// What could not be read: the file's index, where, the path, why.
pub(crate) type Unread = (usize, Option<Location>, String, String);

/// A file JJB takes text from (`!include-raw: x.sh`, `!include: x.yaml`), given with the JJB
/// files or found beside them.
pub(crate) struct IncludeFile<'n> {
    /// The name it was given under, with `/` separators.
    pub name: String,
    pub text: &'n str,
    /// Its first YAML document, when it is YAML (what `!include:` inserts).
    pub yaml: Option<&'n Node>,
}

/// The include files of a run and where JJB looks for them: the directories of the JJB files
/// (JJB's default include path is the directory of the file being read).
#[derive(Default)]
pub(crate) struct Includes<'n> {
    pub files: Vec<IncludeFile<'n>>,
    pub dirs: Vec<String>,
}

impl<'n> Includes<'n> {
    /// The file an include tag names: the one beside a JJB file, else one whose path ends with
    /// the name (JJB's `include_path` can name other directories of the tree).
    fn find(&self, path: &str) -> Option<&IncludeFile<'n>> {
        let path = path.trim().trim_start_matches("./");
        self.dirs
            .iter()
            .find_map(|d| {
                let want = join(d, path);
                self.files.iter().find(|f| f.name == want)
            })
            .or_else(|| {
                self.files
                    .iter()
                    .find(|f| f.name == path || f.name.ends_with(&format!("/{path}")))
            })
    }
}

/// `dir/path` with `/` separators (`path` alone for the current directory).
pub(crate) fn join(dir: &str, path: &str) -> String {
    if dir.is_empty() || dir == "." {
        path.to_owned()
    } else {
        format!("{}/{path}", dir.trim_end_matches('/'))
    }
}

/// What an include tag does with the files it names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    /// `!include-raw` (`-expand`): the text, with the template's `{param}`s filled.
    Raw,
    /// `!include-raw-escape` (`-verbatim`): the text as it is.
    Verbatim,
    /// `!include`: the YAML.
    Yaml,
    /// `!include-jinja2`, `!j2`, `!j2-yaml`: a Jinja2 template, not rendered.
    Jinja,
}

fn tag_of(node: &Node) -> Option<Tag> {
    let tag = node.tag.as_deref()?.trim_end_matches(':');
    Some(match tag {
        "!include-raw" | "!include-raw-expand" => Tag::Raw,
        "!include-raw-escape" | "!include-raw-verbatim" => Tag::Verbatim,
        "!include" => Tag::Yaml,
        t if t.starts_with("!include") || t.starts_with("!j2") => Tag::Jinja,
        _ => return None,
    })
}

/// The files a JJB text takes text from through its include tags (paths as written), for a
/// reader that finds them beside the file. Empty for a text that is not JJB.
pub(crate) fn include_paths(docs: &[Node]) -> Vec<String> {
    fn walk(n: &Node, out: &mut Vec<String>) {
        if matches!(tag_of(n), Some(Tag::Raw | Tag::Verbatim | Tag::Yaml)) {
            for p in n.strings() {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
            return;
        }
        match &n.v {
            V::Map(entries) => entries.iter().for_each(|e| walk(&e.value, out)),
            V::Seq(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for d in docs {
        if d.items().iter().any(|i| item_side(i) == Some(Side::Jjb)) {
            walk(d, &mut out);
        }
    }
    out
}

/// Parameters that hold objects (`'{obj:key}'` inserts the value itself, not its text).
type Objs<'n> = BTreeMap<String, &'n Node>;

/// The objects of the given JJB files.
#[derive(Default)]
pub(crate) struct Jjb<'n> {
    includes: Includes<'n>,
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
    pub(crate) fn read(
        items: impl IntoIterator<Item = (usize, &'n Node)>,
        includes: Includes<'n>,
    ) -> Self {
        let mut j = Jjb {
            includes,
            ..Jjb::default()
        };
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
            let objs = self.base_objs(node);
            out.insert(name.clone(), self.spec(node, &self.base(node), &objs));
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
        for src in self.base_sources(node).into_iter().flatten() {
            for e in src.entries() {
                if let Some(v) = e.value.scalar() {
                    p.insert(e.key.clone(), v);
                }
            }
        }
        p
    }

    /// [`Jjb::base`] as objects, for `'{obj:key}'`.
    fn base_objs(&self, node: &'n Node) -> Objs<'n> {
        let mut p = Objs::new();
        for src in self.base_sources(node).into_iter().flatten() {
            for e in src.entries() {
                p.insert(e.key.clone(), &e.value);
            }
        }
        p
    }

    fn base_sources(&self, node: &'n Node) -> [Option<&'n Node>; 2] {
        let dname = node
            .get("defaults")
            .and_then(Node::scalar)
            .unwrap_or_else(|| "global".into());
        [self.defaults.get(&dname).copied(), Some(node)]
    }

    /// Realises the template (or plain job) `name` listed in a project with the given layers
    /// of parameters (weakest first).
    fn realise(
        &self,
        name: &str,
        layers: &[Vec<(String, &'n Node)>],
        (file, loc): (usize, Option<Location>),
        out: &mut BTreeMap<String, JobSpec>,
        unread: &mut Vec<Unread>,
    ) {
        let Some(tpl) = self.templates.get(name).copied() else {
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
        let mut merged: Objs<'n> = BTreeMap::new();
        for layer in layers {
            for (k, v) in layer {
                merged.insert(k.clone(), v);
            }
        }
        // `exclude:` drops the combinations it matches; it is no parameter.
        let exclude = merged.remove("exclude").map(exclusions).unwrap_or_default();
        // A parameter the template inserts as an object is one value, not one job per item.
        let mut objs = self.base_objs(tpl);
        objs.extend(merged.iter().map(|(k, v)| (k.clone(), *v)));
        let mut scalars = merged;
        for k in obj_keys(tpl) {
            scalars.remove(&k);
        }
        let Some(combos) = product(&scalars) else {
            unread.push((
                file,
                loc,
                format!("project.jobs.{name}"),
                format!("the parameters of `{name}` realise more than {MAX_REALISED} jobs; they are not read"),
            ));
            return;
        };
        for combo in combos {
            if exclude
                .iter()
                .any(|x| x.iter().all(|(k, v)| combo.get(k) == Some(v)))
            {
                continue;
            }
            let mut params = self.base(tpl);
            params.extend(combo);
            let Some(tname) = tpl.get("name").and_then(Node::scalar) else {
                continue;
            };
            let job = subst(&tname, &params);
            let spec = self.spec(tpl, &params, &objs);
            // Realisations that land on one name (a list parameter the name does not use) are
            // one Jenkins job: keep what any of them binds or does.
            let have = out.entry(job).or_default();
            for c in spec.secrets {
                push(&mut have.secrets, c);
            }
            have.publishes |= spec.publishes;
            for t in spec.triggers {
                push(&mut have.triggers, t);
            }
            for u in spec.unread {
                if !have.unread.contains(&u) {
                    have.unread.push(u);
                }
            }
        }
    }

    /// What a value stands for: the YAML an `!include:` names, the parameter an `'{obj:key}'`
    /// names, or itself. `None` (reported) when that is not given.
    fn deref(&self, v: &'n Node, objs: &Objs<'n>, path: &str, s: &mut JobSpec) -> Option<&'n Node> {
        let mut v = v;
        for _ in 0..MAX_DEPTH {
            if tag_of(v) == Some(Tag::Yaml) {
                // A missing or non-YAML file is reported by `check_includes`.
                v = v
                    .scalar()
                    .and_then(|f| self.includes.find(&f))
                    .and_then(|f| f.yaml)?;
                continue;
            }
            let Some(key) = v
                .as_str()
                .map(str::trim)
                .and_then(|t| t.strip_prefix("{obj:"))
                .and_then(|t| t.strip_suffix('}'))
            else {
                return Some(v);
            };
            match objs.get(key) {
                Some(o) => v = o,
                None => {
                    let why = format!(
                        "`{path}` is `{{obj:{key}}}`, a parameter no default, template, project or job entry gives: what it holds is not checked"
                    );
                    if !s.unread.iter().any(|(_, w)| *w == why) {
                        s.unread.push((path.to_owned(), why));
                    }
                    return None;
                }
            }
        }
        None
    }

    /// What a job (or realised template) binds and runs.
    fn spec(&self, node: &'n Node, params: &Params, objs: &Objs<'n>) -> JobSpec {
        let mut s = JobSpec::default();
        if node.get("dsl").is_some() || node.get("pipeline-scm").is_some() {
            s.unread.push((
                "dsl".into(),
                "a Jenkins pipeline job runs a Groovy script lockkeeper does not read: what it runs and which credentials it binds are not checked".into(),
            ));
        }
        self.check_includes(node, "", &mut s.unread);
        let dname = node
            .get("defaults")
            .and_then(Node::scalar)
            .unwrap_or_else(|| "global".into());
        let defaults = self.defaults.get(&dname).copied();
        if let Some(d) = defaults {
            self.check_includes(d, "defaults", &mut s.unread);
        }
        // Build parameters are set by whoever starts the build, not credentials of the agent.
        let mut bound = Vec::new();
        for src in [defaults, Some(node)].into_iter().flatten() {
            for p in src.get("parameters").map(Node::items).unwrap_or_default() {
                for e in p.entries() {
                    if let Some(n) = e.value.get("name").and_then(Node::scalar) {
                        push(&mut bound, n);
                    }
                }
            }
        }
        for section in SECTIONS {
            // A job's own section replaces the defaults' one.
            let list = node
                .get(section)
                .or_else(|| defaults.and_then(|d| d.get(section)));
            let Some(list) = list.and_then(|l| self.deref(l, objs, section, &mut s)) else {
                continue;
            };
            for item in list.items() {
                let Some(item) = self.deref(item, objs, section, &mut s) else {
                    continue;
                };
                // An included or object list of components stands in for one entry.
                let items = if item.is_seq() {
                    item.items()
                } else {
                    std::slice::from_ref(item)
                };
                for i in items {
                    self.component(section, i, params, &mut s, &mut bound, 0);
                }
            }
        }
        // Variables the shell uses that hold credentials and that no binding of the job sets
        // come from the Jenkins agent's environment: the job holds them too.
        let shell = std::mem::take(&mut s.shell_vars);
        for v in shell {
            if !bound.contains(&v) {
                push(
                    &mut s.secrets,
                    format!("${v} (from the Jenkins agent's environment)"),
                );
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
        bound: &mut Vec<String>,
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
            self.check_includes(m, &name, &mut s.unread);
            let mut inner = params.clone();
            for e in body.map(Node::entries).unwrap_or_default() {
                if let Some(v) = e.value.scalar() {
                    inner.insert(e.key.clone(), subst(&v, params));
                }
            }
            for sec in SECTIONS {
                let list = m.get(sec).map(|l| self.yaml_of(l)).unwrap_or(&NULL_NODE);
                for i in list.items() {
                    let i = self.yaml_of(i);
                    let items = if i.is_seq() {
                        i.items()
                    } else {
                        std::slice::from_ref(i)
                    };
                    for i in items {
                        self.component(sec, i, &inner, s, bound, depth + 1);
                    }
                }
            }
            return;
        }
        match name.as_str() {
            "credentials-binding" => {
                for binding in body.map(Node::items).unwrap_or_default() {
                    for e in binding.entries() {
                        for k in ["variable", "username", "password", "key-file-variable"] {
                            if let Some(v) = e.value.get(k).and_then(Node::scalar) {
                                push(bound, subst(&v, params));
                            }
                        }
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
                let text = match body {
                    Some(b) => self.shell_text(b, params),
                    None => String::new(),
                };
                if text.lines().any(|l| super::super::publishes(l, &[])) {
                    s.publishes = true;
                }
                for v in secret_variables(&text) {
                    push(&mut s.shell_vars, v);
                }
            }
            n if section == "publishers" && UPLOADING_PUBLISHERS.contains(&n) => {
                s.publishes = true;
            }
            "trigger-builds" | "trigger-parameterized-builds" => {
                for t in body.map(Node::items).unwrap_or_default() {
                    triggered(t.get("project"), params, &mut s.triggers);
                }
            }
            "trigger" if section == "publishers" => {
                triggered(body.and_then(|b| b.get("project")), params, &mut s.triggers);
            }
            // Steps nested in a component run as the job's own builders.
            "postbuildscript" | "conditional-step" => {
                let groups: Vec<&Node> = match body {
                    Some(b) if name == "postbuildscript" => b
                        .get("builders")
                        .map(Node::items)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|g| g.get("build-steps"))
                        .collect(),
                    Some(b) => b.get("steps").into_iter().collect(),
                    None => Vec::new(),
                };
                for step in groups.into_iter().flat_map(Node::items) {
                    self.component("builders", step, params, s, bound, depth + 1);
                }
            }
            "inject" => {}
            n if UPLOADING_PUBLISHERS.contains(&n) || INERT_COMPONENTS.contains(&n) => {}
            n => {
                let why = format!(
                    "`{n}` is neither a macro of the given Jenkins Job Builder files nor a component lockkeeper models: what it binds, starts or uploads is not checked (give the file that defines it)"
                );
                if !s.unread.iter().any(|(_, w)| *w == why) {
                    s.unread.push((format!("{section}.{n}"), why));
                }
            }
        }
    }

    /// The YAML an `!include:` names (itself otherwise; nothing when missing, reported).
    fn yaml_of<'a>(&'a self, v: &'a Node) -> &'a Node {
        if tag_of(v) == Some(Tag::Yaml) {
            return v
                .scalar()
                .and_then(|f| self.includes.find(&f))
                .and_then(|f| f.yaml)
                .unwrap_or(&NULL_NODE);
        }
        v
    }

    /// The text a `shell` runs: written in place, or the files an `!include-raw` names (with the
    /// template's parameters filled, unless it is the escaping or verbatim form).
    fn shell_text(&self, body: &Node, params: &Params) -> String {
        match tag_of(body) {
            Some(t @ (Tag::Raw | Tag::Verbatim)) => {
                let mut text = String::new();
                for f in body.strings() {
                    if let Some(file) = self.includes.find(&f) {
                        text.push_str(file.text);
                        text.push('\n');
                    }
                }
                if t == Tag::Raw {
                    subst(&text, params)
                } else {
                    text
                }
            }
            _ => subst(&body.scalar().unwrap_or_default(), params),
        }
    }

    /// Reports the files a definition takes text from through include tags that are not given
    /// (nor beside the JJB files), and Jinja2 templates, which are not rendered. Included YAML
    /// is followed for its own includes.
    fn check_includes(&self, node: &Node, path: &str, out: &mut Vec<(String, String)>) {
        self.check_includes_in(node, path, out, &mut Vec::new());
    }

    /// [`Jjb::check_includes`], each included YAML file followed once (a file including itself,
    /// or many times, costs one walk).
    fn check_includes_in<'a>(
        &'a self,
        node: &Node,
        path: &str,
        out: &mut Vec<(String, String)>,
        seen: &mut Vec<&'a str>,
    ) {
        if let Some(tag) = tag_of(node) {
            let written = node.tag.as_deref().unwrap_or_default();
            let report = |out: &mut Vec<(String, String)>, why: String| {
                let entry = (path.to_owned(), why);
                if !out.contains(&entry) {
                    out.push(entry);
                }
            };
            if tag == Tag::Jinja {
                report(
                    out,
                    format!(
                        "`{path}` takes its text from `{}` through `{written}`, a Jinja2 template lockkeeper does not render: what it runs is not checked",
                        node.strings().join(", ")
                    ),
                );
                return;
            }
            for f in node.strings() {
                match self.includes.find(&f) {
                    None => report(
                        out,
                        format!(
                            "`{path}` takes its text from `{f}` through `{written}`, which is neither among the given files nor beside the Jenkins Job Builder files: what it runs is not checked (give it)"
                        ),
                    ),
                    Some(file) if tag == Tag::Yaml => match file.yaml {
                        Some(_) if seen.contains(&file.name.as_str()) => {}
                        Some(y) => {
                            seen.push(file.name.as_str());
                            self.check_includes_in(y, path, out, seen);
                        }
                        None => report(
                            out,
                            format!(
                                "`{path}` includes `{f}` through `{written}`, which is not YAML: what it holds is not checked"
                            ),
                        ),
                    },
                    Some(_) => {}
                }
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
                    self.check_includes_in(&e.value, &p, out, seen);
                }
            }
            V::Seq(items) => {
                for i in items {
                    self.check_includes_in(i, path, out, seen);
                }
            }
            _ => {}
        }
    }
}

static NULL_NODE: Node = Node {
    loc: None,
    tag: None,
    v: V::Null,
};

/// The job names a trigger's `project` gives: a list, or one string of comma-separated names.
fn triggered(project: Option<&Node>, params: &Params, out: &mut Vec<String>) {
    let Some(project) = project else { return };
    let names = if project.is_seq() {
        project.strings()
    } else {
        project.scalar().into_iter().collect()
    };
    for n in names {
        for one in subst(&n, params).split(',') {
            let one = one.trim();
            if !one.is_empty() {
                push(out, one.to_owned());
            }
        }
    }
}

/// The credential-looking variables (`$NPM_TOKEN`, `${PYPI_PASSWORD}`) a shell text uses
/// without assigning them itself.
fn secret_variables(text: &str) -> Vec<String> {
    let mut used = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let rest = &text[i + 1..];
            let rest = rest.strip_prefix('{').unwrap_or(rest);
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                used.push(name);
            }
        }
        i += 1;
    }
    used.retain(|n| {
        crate::import::credential::is_credential_name(n)
            && !text.contains(&format!("{n}="))
            && !text.contains(&format!("read {n}"))
    });
    let mut out = Vec::new();
    for n in used {
        push(&mut out, n);
    }
    out
}

/// The parameters a template inserts as objects (`'{obj:key}'`).
fn obj_keys(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    node.visit_strings(&mut |t| {
        let mut rest = t;
        while let Some(i) = rest.find("{obj:") {
            let tail = &rest[i + 5..];
            match tail.find('}') {
                Some(end) => {
                    push(&mut out, tail[..end].to_owned());
                    rest = &tail[end..];
                }
                None => break,
            }
        }
    });
    out
}

/// A project's `exclude:` list: each entry is a set of parameter values whose combination is
/// not realised.
fn exclusions(node: &Node) -> Vec<Params> {
    node.items()
        .iter()
        .map(|x| {
            x.entries()
                .iter()
                .filter_map(|e| e.value.scalar().map(|v| (e.key.clone(), v)))
                .collect()
        })
        .filter(|x: &Params| !x.is_empty())
        .collect()
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
            let key = key.strip_prefix("obj:").unwrap_or(key);
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

    /// The jobs JJB realises from `text` (one file) with `includes`, and what it could not read.
    fn resolved(
        text: &str,
        includes: Includes<'_>,
    ) -> Result<(BTreeMap<String, JobSpec>, Vec<Unread>), String> {
        let docs = crate::import::tree::parse(text).map_err(|e| e.0)?;
        let mut j = Jjb::read(
            docs.first().ok_or("no doc")?.items().iter().map(|n| (0, n)),
            includes,
        );
        let specs = j.resolve();
        Ok((specs, j.unread))
    }

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
        assert!(items.iter().any(|i| item_side(i) == Some(Side::Jjb)));
        let mut j = Jjb::read(items.iter().map(|n| (0, n)), Includes::default());
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
        let (specs, _) = resolved(&text, Includes::default())?;
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
        let (specs, _) = resolved(text, Includes::default())?;
        let unread = &specs.get("build").ok_or("no job")?.unread;
        assert_eq!(unread.len(), 3, "{unread:?}");
        assert!(unread[0].1.contains("`w.yaml`") && unread[0].0 == "wrappers");
        assert!(unread[1].1.contains("`build.sh`") && unread[1].1.contains("!include-raw"));
        assert!(unread[2].1.contains("`a.sh`"));
        Ok(())
    }

    /// Included files given with the JJB file are read: a raw shell script that publishes, a
    /// YAML list of wrappers binding a credential, a script using an unbound token from the
    /// agent; a missing one is named.
    #[test]
    fn included_files_are_read() -> Result<(), String> {
        let text = "- job:\n    name: build\n    wrappers: !include: w.yaml\n    builders:\n      - shell: !include-raw: build.sh\n      - shell: !include-raw-escape:\n          - a.sh\n- job:\n    name: missing\n    builders:\n      - shell: !include-raw: gone.sh\n";
        let w = crate::import::tree::parse(
            "- credentials-binding:\n    - text: {credential-id: npm-token, variable: NPM_TOKEN}\n",
        )
        .map_err(|e| e.0)?;
        let includes = Includes {
            files: vec![
                IncludeFile {
                    name: "jjb/build.sh".into(),
                    text: "#!/bin/bash\nnpm ci\nnpm publish --token \"$NPM_TOKEN\"\n",
                    yaml: None,
                },
                IncludeFile {
                    name: "jjb/a.sh".into(),
                    text: "curl -u \"bot:${NEXUS_PASSWORD}\" https://x/{name}\n",
                    yaml: None,
                },
                IncludeFile {
                    name: "jjb/w.yaml".into(),
                    text: "",
                    yaml: w.first(),
                },
            ],
            dirs: vec!["jjb".into()],
        };
        let (specs, _) = resolved(text, includes)?;
        let build = specs.get("build").ok_or("no job")?;
        assert!(build.unread.is_empty(), "{:?}", build.unread);
        assert!(build.publishes);
        assert_eq!(
            build.secrets,
            vec![
                "npm-token".to_owned(),
                "$NEXUS_PASSWORD (from the Jenkins agent's environment)".to_owned()
            ]
        );
        let missing = &specs.get("missing").ok_or("no job")?.unread;
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert!(missing[0].1.contains("`gone.sh`") && missing[0].1.contains("give it"));
        Ok(())
    }

    /// A YAML include that includes itself, many times over, is walked once.
    #[test]
    fn a_self_including_file_is_bounded() -> Result<(), String> {
        let text = "- job:\n    name: j\n    builders: !include: a.yaml\n";
        let a_text = "- !include: a.yaml\n".repeat(12);
        let a = crate::import::tree::parse(&a_text).map_err(|e| e.0)?;
        let includes = Includes {
            files: vec![IncludeFile {
                name: "a.yaml".into(),
                text: &a_text,
                yaml: a.first(),
            }],
            dirs: vec![".".into()],
        };
        let (specs, _) = resolved(text, includes)?;
        assert!(specs.contains_key("j"));
        Ok(())
    }

    /// `'{obj:key}'` inserts the parameter's value itself (a list of builders), and is not a
    /// list to realise one job per item; `exclude:` drops the matching combinations.
    #[test]
    fn obj_parameters_and_exclusions() -> Result<(), String> {
        let text = "- job-template:\n    name: '{name}-{py}-{os}'\n    builders: '{obj:steps}'\n    wrappers: '{obj:nothing}'\n- project:\n    name: app\n    py: [py2, py3]\n    os: [bionic, focal]\n    exclude:\n      - py: py2\n        os: focal\n    steps:\n      - shell: make test\n      - shell: twine upload dist/*\n    jobs: ['{name}-{py}-{os}']\n";
        let (specs, _) = resolved(text, Includes::default())?;
        let names: Vec<&String> = specs.keys().collect();
        assert_eq!(names, ["app-py2-bionic", "app-py3-bionic", "app-py3-focal"]);
        let one = specs.get("app-py3-focal").ok_or("no job")?;
        assert!(one.publishes, "{one:?}");
        assert!(
            one.unread.iter().any(|(_, w)| w.contains("{obj:nothing}")),
            "{one:?}"
        );
        Ok(())
    }

    /// JJB and Zuul v3 items are told apart by kind, and by keys where both have the kind.
    #[test]
    fn items_are_told_apart() -> Result<(), String> {
        let text = "- job: {name: a, builders: [{shell: make}]}\n- job: {name: b, parent: base, run: playbooks/b.yaml}\n- project: {name: p, jobs: [a]}\n- project: {name: q, check: {jobs: [b]}}\n- project: {name: r, templates: [t]}\n- job-template: {name: x}\n- nodeset: {name: n}\n- job: {name: c, description: either}\n";
        let docs = crate::import::tree::parse(text).map_err(|e| e.0)?;
        let got: Vec<Option<Side>> = docs
            .first()
            .ok_or("no doc")?
            .items()
            .iter()
            .map(item_side)
            .collect();
        use Side::*;
        assert_eq!(
            got,
            vec![
                Some(Jjb),
                Some(V3),
                Some(Jjb),
                Some(V3),
                Some(V3),
                Some(Jjb),
                Some(V3),
                None
            ]
        );
        Ok(())
    }

    #[test]
    fn a_runaway_product_is_not_read() -> Result<(), String> {
        let text = "- job-template: {name: '{a}{b}{c}'}\n- project:\n    name: p\n    a: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]\n    b: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]\n    c: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]\n    jobs: ['{a}{b}{c}']\n";
        let (specs, unread) = resolved(text, Includes::default())?;
        assert!(specs.is_empty());
        assert_eq!(unread.len(), 1);
        Ok(())
    }
}
