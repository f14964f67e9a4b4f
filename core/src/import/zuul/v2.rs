//! Zuul v2's `layout.yaml` (as Wikimedia's CI still runs it): one mapping with `pipelines`,
//! `project-templates`, `projects` and `jobs`.
//!
//! v2 runs Jenkins jobs: what a job does and which credentials it binds live in Jenkins Job
//! Builder files, not in the layout. The layout says which pipeline runs which job for which
//! project and what triggers each pipeline, which is what decides how trusted the code a job
//! runs is; the JJB files given with it (`jjb.rs`) say which credentials each job holds and
//! whether it publishes. A job reference with no definition among them is reported as not
//! read, so the result stays incomplete.

use std::collections::BTreeMap;

use super::super::tree::{Node, V};
use super::jjb::JobSpec;
use crate::pipeline::{PipelineBuilder, ResourceKind, Trigger};
use crate::source::Location;

/// A job a project runs in a pipeline: its name, the job it runs after, where it is listed.
type JobRef = (String, Option<String>, Option<Location>);

/// The trigger of a v2 pipeline: its Gerrit events, where an event restricted to some
/// accounts (`email`, `username` and their `_filter` spellings) is started by a trusted person
/// (Wikimedia's `test` pipeline runs patchsets of whitelisted authors), so it counts as
/// approved; the least reviewed event decides.
fn trigger(p: &Node) -> Option<Trigger> {
    let mut found = Vec::new();
    for e in p.get("trigger").map(Node::entries).unwrap_or_default() {
        if e.key == "timer" {
            found.push(Trigger::Schedule);
            continue;
        }
        for ev in e.value.items() {
            let trusted_only = ["email", "email_filter", "username", "username_filter"]
                .iter()
                .any(|k| ev.get(k).is_some_and(allow_list));
            let approved = ev.get("approval").is_some() || trusted_only;
            let tag = ev
                .get("ref")
                .map(Node::strings)
                .unwrap_or_default()
                .iter()
                .any(|r| r.contains("refs/tags"));
            for event in ev.get("event").map(Node::strings).unwrap_or_default() {
                found.push(match event.as_str() {
                    "ref-updated" if tag => Trigger::Tag,
                    "ref-updated" | "change-merged" => Trigger::Merged,
                    "patchset-created" | "comment-added" | "change-restored"
                    | "draft-published"
                        if approved =>
                    {
                        Trigger::Approved
                    }
                    _ => Trigger::Patchset,
                });
            }
        }
    }
    found.into_iter().min()
}

/// Whether an account filter lets only the accounts it names in. Zuul matches each pattern as
/// a regex and lets in an account any of them matches, so one deny-list pattern
/// (`^(?!l10n-bot@).*$`, Wikimedia's gate filter) or a match-all (`.*`) lets nearly anyone in:
/// such a filter does not make the event trusted.
fn allow_list(filter: &Node) -> bool {
    let patterns = filter.strings();
    !patterns.is_empty()
        && patterns.iter().all(|p| {
            let body = p.strip_prefix('^').unwrap_or(p);
            !body.starts_with("(?!")
                && !matches!(body, "" | ".*" | ".*$" | ".+" | ".+$" | ".*?" | ".*?$")
        })
}

/// A job reference in a project's pipeline: a name, or `{name: [jobs that run after it]}`.
fn refs(
    list: &Node,
    parent: Option<&str>,
    out: &mut Vec<(String, Option<String>, Option<Location>)>,
) {
    for item in list.items() {
        match &item.v {
            V::Str(s) => out.push((s.clone(), parent.map(str::to_owned), item.loc)),
            V::Map(entries) => {
                for e in entries {
                    out.push((e.key.clone(), parent.map(str::to_owned), e.key_loc));
                    refs(&e.value, Some(&e.key), out);
                }
            }
            _ => {}
        }
    }
}

/// Fills a template's `{param}` placeholders.
fn expand(name: &str, params: &BTreeMap<String, String>) -> String {
    let mut out = name.to_owned();
    for (k, v) in params {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

const PROJECT_KEYS: [&str; 2] = ["name", "template"];

pub(crate) fn import(
    b: &mut PipelineBuilder,
    file: &str,
    doc: &Node,
    jjb: Option<&BTreeMap<String, JobSpec>>,
) {
    b.file(file);
    let mut pipelines: BTreeMap<String, Option<Trigger>> = BTreeMap::new();
    for p in doc.get("pipelines").map(Node::items).unwrap_or_default() {
        if let Some(name) = p.get("name").and_then(Node::scalar) {
            let t = trigger(p);
            if t.is_none() {
                b.unsupported(
                    p.loc,
                    format!("pipeline {name}.trigger"),
                    format!("pipeline `{name}` has no trigger event lockkeeper reads: its jobs are taken as run for anyone's change"),
                );
            }
            pipelines.insert(name, t);
        }
    }
    let mut templates: BTreeMap<String, &Node> = BTreeMap::new();
    for t in doc
        .get("project-templates")
        .map(Node::items)
        .unwrap_or_default()
    {
        if let Some(name) = t.get("name").and_then(Node::scalar) {
            templates.insert(name, t);
        }
    }
    for key in doc.entries() {
        if !matches!(
            key.key.as_str(),
            "pipelines" | "projects" | "project-templates" | "jobs" | "includes"
        ) {
            b.unsupported(
                key.key_loc,
                key.key.clone(),
                format!(
                    "`{}` is not a Zuul v2 layout section lockkeeper knows; it is not checked",
                    key.key
                ),
            );
        }
    }
    let mut gaps = Gaps::default();
    for project in doc.get("projects").map(Node::items).unwrap_or_default() {
        let Some(name) = project.get("name").and_then(Node::scalar) else {
            b.unsupported(project.loc, "projects", "a project without a name");
            continue;
        };
        let short = name.rsplit('/').next().unwrap_or(&name).to_owned();
        // Pipeline -> (job, job it runs after, where).
        let mut per: BTreeMap<String, Vec<JobRef>> = BTreeMap::new();
        for t in project.get("template").map(Node::items).unwrap_or_default() {
            let Some(tname) = t.get("name").and_then(Node::scalar) else {
                continue;
            };
            let Some(body) = templates.get(&tname) else {
                b.unsupported(
                    t.loc,
                    format!("project {name}.template"),
                    format!("project-template `{tname}` is not in the given layout; the jobs it adds are not checked"),
                );
                continue;
            };
            let mut params: BTreeMap<String, String> = BTreeMap::new();
            params.insert("name".into(), short.clone());
            for e in t.entries().iter().filter(|e| e.key != "name") {
                if let Some(v) = e.value.scalar() {
                    params.insert(e.key.clone(), v);
                }
            }
            for e in body.entries().iter().filter(|e| e.key != "name") {
                let mut found = Vec::new();
                refs(&e.value, None, &mut found);
                per.entry(e.key.clone()).or_default().extend(
                    found
                        .into_iter()
                        .map(|(j, p, l)| (expand(&j, &params), p.map(|p| expand(&p, &params)), l)),
                );
            }
        }
        for e in project.entries() {
            if PROJECT_KEYS.contains(&e.key.as_str()) {
                continue;
            }
            refs(&e.value, None, per.entry(e.key.clone()).or_default());
        }
        for (pipeline, jobs) in &per {
            if !pipelines.contains_key(pipeline) {
                b.unsupported(
                    project.loc,
                    format!("project {name}.{pipeline}"),
                    format!("pipeline `{pipeline}` is not defined in the layout"),
                );
            }
            let instance = |job: &str| format!("{name} {pipeline}: {job}");
            let mut seen = std::collections::BTreeSet::new();
            for (job, after, loc) in jobs {
                // Zuul's built-in `noop` succeeds without running anything (Wikimedia lists it
                // where a pipeline must have a job): no Jenkins job to look for.
                if !seen.insert(job.clone()) || job == "noop" {
                    continue;
                }
                let spec = jjb.and_then(|j| j.get(job));
                match (spec, jjb) {
                    (None, None) => gaps.note(
                        job,
                        *loc,
                        format!("project {name}.{pipeline}.{job}"),
                        format!("Jenkins job `{job}` is defined in Jenkins Job Builder files, which were not given: what it runs and which credentials it binds are not checked (give the JJB files with the layout)"),
                    ),
                    (None, Some(_)) => gaps.note(
                        job,
                        *loc,
                        format!("project {name}.{pipeline}.{job}"),
                        format!("Jenkins job `{job}` is not defined in the given Jenkins Job Builder files: what it runs and which credentials it binds are not checked"),
                    ),
                    (Some(s), _) => {
                        for (path, why) in &s.unread {
                            gaps.note(
                                &format!("{job}.{path}"),
                                *loc,
                                format!("project {name}.{pipeline}.{job}.{path}"),
                                why.clone(),
                            );
                        }
                    }
                }
                let named_publish = named_publish(job);
                let mut jb = b
                    .job(&instance(job))
                    .at(*loc)
                    .context(&format!("zuul/{pipeline}"));
                match spec {
                    Some(s) => {
                        jb = holds(jb, s, named_publish);
                        if !s.triggers.is_empty() {
                            jb = jb.produce(ResourceKind::Artifact, &workspace(&instance(job)));
                        }
                    }
                    None if named_publish => jb = jb.publishes_by_name(),
                    None => {}
                }
                let started_by = pipelines.get(pipeline).copied().flatten();
                if let Some(t) = started_by {
                    jb = jb.trigger(t);
                }
                if let Some(a) = after {
                    jb.need(&instance(a));
                }
                if let (Some(s), Some(specs)) = (spec, jjb) {
                    let from = Started {
                        job: instance(job),
                        path: format!("project {name}.{pipeline}.{job}"),
                        loc: *loc,
                        context: format!("zuul/{pipeline}"),
                        trigger: started_by,
                    };
                    start(b, &mut gaps, specs, &from, s);
                }
            }
        }
    }
    gaps.report(b);
}

/// What could not be read about the Jenkins jobs, once per job and reason. A large layout
/// lists the same job for hundreds of projects and pipelines (Wikimedia's lists ~50 000 job
/// uses): one gap per use would bury the few distinct ones, so each is reported where it is
/// first used, with how many uses share it.
#[derive(Default)]
struct Gaps {
    seen: BTreeMap<(String, String), usize>,
    /// (where first used, path of that use, why, uses).
    gaps: Vec<(Option<Location>, String, String, usize)>,
}

impl Gaps {
    fn note(&mut self, what: &str, loc: Option<Location>, path: String, why: String) {
        let key = (what.to_owned(), why);
        if let Some(&i) = self.seen.get(&key) {
            if let Some(g) = self.gaps.get_mut(i) {
                g.3 += 1;
            }
            return;
        }
        self.seen.insert(key.clone(), self.gaps.len());
        self.gaps.push((loc, path, key.1, 1));
    }

    fn report(self, b: &mut PipelineBuilder) {
        for (loc, path, why, uses) in self.gaps {
            let why = if uses > 1 {
                format!("{why} ({uses} uses; the first is shown)")
            } else {
                why
            };
            b.unsupported(loc, path, why);
        }
    }
}

/// What a job binds and does, on its builder: its credentials, and whether it publishes (what
/// it binds and runs is evidence; its name alone is a guess).
fn holds<'b>(
    mut jb: crate::pipeline::JobBuilder<'b>,
    s: &JobSpec,
    named_publish: bool,
) -> crate::pipeline::JobBuilder<'b> {
    let does_publish = s.publishes || s.secrets.iter().any(|c| super::publishing_secret(c));
    jb = jb.publishes(does_publish);
    if named_publish && !does_publish {
        jb = jb.publishes_by_name();
    }
    for c in &s.secrets {
        jb = jb.secret(c);
    }
    jb
}

/// Whether a Jenkins job's name alone says it publishes: a guess, reported as one.
fn named_publish(job: &str) -> bool {
    super::looks_like(job, &["publish", "upload", "release", "deploy"])
}

/// The workspace a Jenkins job leaves for the jobs it starts.
fn workspace(job: &str) -> String {
    format!("workspace of {job}")
}

/// A layout job that starts other Jenkins jobs, as the started ones see it.
struct Started {
    job: String,
    path: String,
    loc: Option<Location>,
    context: String,
    trigger: Option<Trigger>,
}

/// Jobs started by another (`trigger-builds`: Wikimedia's `doc-publish` starts
/// `publish-to-doc`, which holds the deploy key and rsyncs the starting build's files to
/// doc.wikimedia.org) run for the same change as the job that starts them, so they take its
/// pipeline's trigger and context, and consume what it leaves. Each holds its own credentials:
/// a credential that the job of a patchset pipeline reaches this way is reported like one
/// bound directly. Followed transitively, each job once; a started job JJB does not define
/// keeps the result incomplete.
fn start(
    b: &mut PipelineBuilder,
    gaps: &mut Gaps,
    specs: &BTreeMap<String, JobSpec>,
    from: &Started,
    spec: &JobSpec,
) {
    const MAX_STARTED: usize = 64;
    let mut seen = std::collections::BTreeSet::new();
    let mut queue: std::collections::VecDeque<(String, &str)> = spec
        .triggers
        .iter()
        .map(|t| (from.job.clone(), t.as_str()))
        .collect();
    while let Some((parent, target)) = queue.pop_front() {
        if !seen.insert(target.to_owned()) || seen.len() > MAX_STARTED {
            continue;
        }
        let path = format!("{}.starts.{target}", from.path);
        let Some(s) = specs.get(target) else {
            gaps.note(
                &format!("{parent} -> {target}"),
                from.loc,
                path,
                format!("Jenkins job `{target}`, which `{parent}` starts, is not defined in the given Jenkins Job Builder files: what it runs and which credentials it binds are not checked"),
            );
            continue;
        };
        for (p, why) in &s.unread {
            gaps.note(
                &format!("{target}.{p}"),
                from.loc,
                format!("{path}.{p}"),
                why.clone(),
            );
        }
        let name = format!("{parent} -> {target}");
        let named_publish = named_publish(target);
        let mut jb = b
            .job(&name)
            .at(from.loc)
            .context(&from.context)
            .need(&parent)
            .consume(ResourceKind::Artifact, &workspace(&parent));
        jb = holds(jb, s, named_publish);
        if let Some(t) = from.trigger {
            jb = jb.trigger(t);
        }
        if !s.triggers.is_empty() {
            jb.produce(ResourceKind::Artifact, &workspace(&name));
            queue.extend(s.triggers.iter().map(|t| (name.clone(), t.as_str())));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Pipeline, PipelineFormat, SourceFile};

    const LAYOUT: &str = "pipelines:\n  - name: check\n    manager: IndependentPipelineManager\n    trigger:\n      gerrit:\n        - event: patchset-created\n  - name: test\n    manager: IndependentPipelineManager\n    trigger:\n      gerrit:\n        - event: patchset-created\n          email_filter: ^.*@wikimedia\\.org$\n  - name: gate-and-submit\n    manager: DependentPipelineManager\n    trigger:\n      gerrit:\n        - event: comment-added\n          approval:\n            - code-review: 2\n  - name: postmerge\n    manager: IndependentPipelineManager\n    trigger:\n      gerrit:\n        - event: change-merged\nproject-templates:\n  - name: doc-publish\n    postmerge:\n      - '{name}-doc-publish'\nprojects:\n  - name: mediawiki/core\n    template:\n      - name: doc-publish\n    check:\n      - lint\n    test:\n      - phpunit\n    gate-and-submit:\n      - phpunit:\n          - selenium\n";

    /// A v2 layout is recognised and read: pipelines with their triggers (an author filter is a
    /// trusted person's act), templates expanded with the project's short name, nested jobs
    /// ordered; every Jenkins job is reported as not read, so the result is incomplete.
    #[test]
    fn a_v2_layout_is_read_and_incomplete() -> Result<(), String> {
        assert_eq!(
            PipelineFormat::detect("zuul/layout.yaml", LAYOUT),
            Some(PipelineFormat::Zuul)
        );
        let p = Pipeline::import(
            &[SourceFile {
                name: "zuul/layout.yaml",
                text: LAYOUT,
            }],
            None,
        )
        .map_err(|e| e.to_string())?;
        let json = p.to_json_value().to_string();
        for job in [
            "mediawiki/core check: lint",
            "mediawiki/core test: phpunit",
            "mediawiki/core gate-and-submit: selenium",
            "mediawiki/core postmerge: core-doc-publish",
        ] {
            assert!(json.contains(job), "{job} in {json}");
        }
        let d = crate::Policy::builtin().check_pipeline(&p);
        assert!(d.has("import/incomplete"), "{d}");
        assert!(d.to_text().contains("Jenkins Job Builder"), "{d}");
        Ok(())
    }

    const JJB: &str = "- wrapper:\n    name: npm-token\n    wrappers:\n      - credentials-binding:\n          - text:\n              credential-id: '{cred}'\n              variable: NPM_TOKEN\n- job-template:\n    name: '{name}-npm-publish'\n    cred: npm-publish-token\n    wrappers:\n      - npm-token\n    builders:\n      - shell: 'npm publish'\n- job:\n    name: lint\n    wrappers:\n      - credentials-binding:\n          - username-password-separated:\n              credential-id: sonar-login\n              username: U\n              password: P\n    builders:\n      - shell: make lint\n- job: {name: phpunit, builders: [{shell: composer test}]}\n- project:\n    name: core\n    jobs: ['{name}-npm-publish']\n";

    fn check_with_jjb(layout: &str) -> Result<crate::Decision, String> {
        assert_eq!(
            PipelineFormat::detect("jjb/jobs.yaml", JJB),
            Some(PipelineFormat::Zuul)
        );
        Ok(layout_with(layout, JJB)?.1)
    }

    /// A layout and one JJB file, imported as one set (the format detected) and checked with
    /// the built-in policy.
    fn layout_with(layout: &str, jjb: &str) -> Result<(Pipeline, crate::Decision), String> {
        let files = [
            SourceFile {
                name: "zuul/layout.yaml",
                text: layout,
            },
            SourceFile {
                name: "jjb/jobs.yaml",
                text: jjb,
            },
        ];
        let p = Pipeline::import(&files, None).map_err(|e| e.to_string())?;
        let d = crate::Policy::builtin().check_pipeline(&p);
        Ok((p, d))
    }

    /// With the JJB files, a check (patchset) job that binds a credential holds it in an
    /// untrusted run and is reported by name; a template realised for the project is found and
    /// publishes; a layout job JJB does not define keeps the result incomplete.
    #[test]
    fn jjb_credentials_are_secrets_of_the_layout_jobs() -> Result<(), String> {
        let layout = LAYOUT.replace(
            "      - '{name}-doc-publish'",
            "      - '{name}-npm-publish'",
        );
        let d = check_with_jjb(&layout)?;
        let secret = d
            .violations()
            .iter()
            .filter(|v| v.code == "pipeline/secret-not-allowed")
            .map(|v| v.message.clone())
            .collect::<Vec<_>>();
        assert!(
            secret
                .iter()
                .any(|m| m.contains("mediawiki/core check: lint") && m.contains("sonar-login")),
            "{d}"
        );
        // The templated job ran only post-merge, so its token is not reported as reaching
        // unreviewed code.
        assert!(
            !secret.iter().any(|m| m.contains("npm-publish-token")),
            "{d}"
        );
        let text = d.to_text();
        // `selenium` has no JJB definition: still not read.
        assert!(d.has("import/incomplete"), "{d}");
        assert!(
            text.contains("`selenium` is not defined in the given Jenkins Job Builder files"),
            "{d}"
        );
        assert!(!text.contains("`lint` is not defined"), "{d}");
        assert!(!text.contains("`core-npm-publish` is not defined"), "{d}");
        Ok(())
    }

    /// Jobs another job starts (`trigger-builds`, also inside `postbuildscript`) run for the
    /// same change with their own credentials: the deploy key a check (patchset) job reaches
    /// through `publish-to-doc` is reported on the started job; the post-merge one is not; a
    /// started job JJB does not define keeps the set incomplete.
    #[test]
    fn jobs_a_job_starts_hold_their_credentials_in_its_pipeline() -> Result<(), String> {
        let layout = LAYOUT.replace("      - lint\n", "      - lint\n      - coverage\n");
        let jjb = "- builder:\n    name: doc-publish\n    builders:\n      - trigger-builds:\n          - project: publish-to-doc\n            block: true\n\
                   - job:\n    name: publish-to-doc\n    wrappers:\n      - ssh-agent-credentials: {users: [jenkins-deploy]}\n    builders:\n      - shell: rsync -a . rsync://doc/\n\
                   - job-template:\n    name: '{name}-doc-publish'\n    builders: [doc-publish]\n\
                   - job:\n    name: lint\n    builders:\n      - shell: make lint\n    publishers:\n      - postbuildscript:\n          builders:\n            - build-on: [SUCCESS]\n              build-steps: [doc-publish]\n\
                   - job:\n    name: coverage\n    builders:\n      - trigger-builds:\n          - project: 'publish-coverage, publish-to-doc'\n\
                   - job: {name: phpunit, builders: [{shell: composer test}]}\n\
                   - job: {name: selenium, builders: [{shell: composer selenium}]}\n\
                   - project:\n    name: core\n    jobs: ['{name}-doc-publish']\n";
        let (_, d) = layout_with(&layout, jjb)?;
        let secret: Vec<String> = d
            .violations()
            .iter()
            .filter(|v| v.code == "pipeline/secret-not-allowed")
            .map(|v| v.facts["job"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(
            secret.contains(&"mediawiki/core check: lint -> publish-to-doc".to_owned()),
            "{d}"
        );
        assert!(!secret.iter().any(|j| j.contains("postmerge")), "{d}");
        assert!(
            d.to_text().contains(
                "`publish-coverage`, which `mediawiki/core check: coverage` starts, is not defined"
            ),
            "{d}"
        );
        // Without any started job missing, the same set is complete.
        let complete = jjb.replace("'publish-coverage, publish-to-doc'", "publish-to-doc");
        let (_, d) = layout_with(&layout, &complete)?;
        assert!(!d.has("import/incomplete"), "{d}");
        assert!(
            d.violations()
                .iter()
                .any(|v| v.facts["job"] == "mediawiki/core check: coverage -> publish-to-doc"),
            "{d}"
        );
        Ok(())
    }

    /// Every layout job defined in JJB, the v2 set is fully read.
    #[test]
    fn a_fully_defined_v2_set_is_complete() -> Result<(), String> {
        let layout = LAYOUT
            .replace(
                "      - '{name}-doc-publish'",
                "      - '{name}-npm-publish'",
            )
            .replace(
                "      - phpunit:\n          - selenium\n",
                "      - phpunit\n",
            );
        let d = check_with_jjb(&layout)?;
        assert!(!d.has("import/incomplete"), "{d}");
        assert!(!d.has("import/unsupported"), "{d}");
        Ok(())
    }

    /// What JJB cannot read is reported in its own file, and keeps the set incomplete.
    #[test]
    fn an_unknown_jjb_object_is_reported_in_its_file() -> Result<(), String> {
        let files = [
            SourceFile {
                name: "zuul/layout.yaml",
                text: LAYOUT,
            },
            SourceFile {
                name: "jjb/jobs.yaml",
                text: JJB,
            },
            SourceFile {
                name: "jjb/other.yaml",
                text: "- mystery: {name: x}\n",
            },
        ];
        let p = Pipeline::import(&files, Some(PipelineFormat::Zuul)).map_err(|e| e.to_string())?;
        let u = p
            .unsupported
            .iter()
            .find(|u| u.path == "mystery")
            .ok_or("no unsupported entry")?;
        assert_eq!(u.file, "jjb/other.yaml");
        assert_eq!(u.location.map(|l| l.line), Some(1));
        Ok(())
    }

    /// A Zuul v3 file in the same run as a v2 layout and JJB files is read as v3 (its project
    /// lists jobs per pipeline, its job runs a playbook), not as Jenkins Job Builder.
    #[test]
    fn a_v3_file_beside_a_v2_layout_is_read_as_v3() -> Result<(), String> {
        let v3 = "- job:\n    name: tox-py3\n    parent: tox\n    run: playbooks/tox.yaml\n- project:\n    name: other/service\n    check:\n      jobs:\n        - tox-py3\n";
        let files = [
            SourceFile {
                name: "zuul/layout.yaml",
                text: LAYOUT,
            },
            SourceFile {
                name: "jjb/jobs.yaml",
                text: JJB,
            },
            SourceFile {
                name: "zuul.d/project.yaml",
                text: v3,
            },
        ];
        let p = Pipeline::import(&files, None).map_err(|e| e.to_string())?;
        let json = p.to_json_value().to_string();
        assert!(json.contains("other/service check: tox-py3"), "{json}");
        assert!(
            !p.unsupported
                .iter()
                .any(|u| u.file == "zuul.d/project.yaml" && u.message.contains("Jenkins")),
            "{:?}",
            p.unsupported
        );
        // And the JJB file is still JJB: its job binds its credential in the layout's check.
        let d = crate::Policy::builtin().check_pipeline(&p);
        assert!(d.to_text().contains("sonar-login"), "{d}");
        Ok(())
    }

    /// A script a JJB job includes (`!include-raw:`), given in the same run, is its shell text:
    /// a check job whose script publishes with an agent's token is reported; without the
    /// script, the set is incomplete and names it.
    #[test]
    fn an_included_script_given_with_the_jjb_file_is_read() -> Result<(), String> {
        let jjb =
            "- job:\n    name: lint\n    builders:\n      - shell: !include-raw: scripts/lint.sh\n";
        let script = "#!/bin/bash\nset -e\nmake lint\nnpm publish --//registry.npmjs.org/:_authToken=$NPM_TOKEN\n";
        let layout = "pipelines:\n  - name: check\n    manager: IndependentPipelineManager\n    trigger:\n      gerrit:\n        - event: patchset-created\nprojects:\n  - name: app\n    check:\n      - lint\n";
        let with = [
            SourceFile {
                name: "zuul/layout.yaml",
                text: layout,
            },
            SourceFile {
                name: "jjb/lint.yaml",
                text: jjb,
            },
            SourceFile {
                name: "jjb/scripts/lint.sh",
                text: script,
            },
        ];
        let p = Pipeline::import(&with, None).map_err(|e| e.to_string())?;
        let d = crate::Policy::builtin().check_pipeline(&p);
        assert!(!d.has("import/incomplete"), "{d}");
        assert!(d.to_text().contains("NPM_TOKEN"), "{d}");
        let p = Pipeline::import(&with[..2], None).map_err(|e| e.to_string())?;
        let d = crate::Policy::builtin().check_pipeline(&p);
        assert!(d.has("import/incomplete"), "{d}");
        assert!(d.to_text().contains("`scripts/lint.sh`"), "{d}");
        Ok(())
    }

    /// A job realised from a template starts the jobs its template starts: Wikimedia's
    /// `generic-{node_version}-docs-docker-publish` hands its docs to `publish-to-doc` like the
    /// plain `mwext-node18-docs-docker-publish` does. From a check (patchset) pipeline the
    /// deploy key is reported; from postmerge it is not.
    #[test]
    fn a_templated_job_starts_the_jobs_its_template_starts() -> Result<(), String> {
        let layout = "pipelines:\n  - name: check\n    trigger:\n      gerrit:\n        - event: patchset-created\n  - name: postmerge\n    trigger:\n      gerrit:\n        - event: change-merged\nprojects:\n  - name: oojs/core\n    check: [generic-node18-docs-publish]\n  - name: oojs/router\n    postmerge: [generic-node18-docs-publish]\n";
        let jjb = "- builder:\n    name: doc-publish\n    builders:\n      - trigger-builds:\n          - project: publish-to-doc\n- job:\n    name: publish-to-doc\n    wrappers:\n      - ssh-agent-credentials: {users: [jenkins-deploy]}\n- job-template:\n    name: 'generic-{node_version}-docs-publish'\n    builders:\n      - doc-publish:\n          docsrc: src/docs\n- project:\n    name: generic\n    jobs:\n      - 'generic-{node_version}-docs-publish':\n          node_version:\n            - node18: {image: node18}\n            - node20: {image: node20}\n";
        let (p, d) = layout_with(layout, jjb)?;
        let json = p.to_json_value().to_string();
        for started in [
            "oojs/core check: generic-node18-docs-publish -> publish-to-doc",
            "oojs/router postmerge: generic-node18-docs-publish -> publish-to-doc",
        ] {
            assert!(json.contains(started), "{started} in {json}");
        }
        let secret: Vec<String> = d
            .violations()
            .iter()
            .filter(|v| v.code == "pipeline/secret-not-allowed")
            .map(|v| v.message.clone())
            .collect();
        assert!(
            secret
                .iter()
                .any(|m| m.contains("oojs/core check") && m.contains("jenkins-deploy")),
            "{d}"
        );
        assert!(!secret.iter().any(|m| m.contains("oojs/router")), "{d}");
        Ok(())
    }

    /// A component that is no macro of the given files (its file was not given: Wikimedia's
    /// `setup` and `teardown` live in `castor.yaml`) may bind or start anything: it is a gap,
    /// not a step that does nothing. Components JJB provides and that bind nothing are not.
    #[test]
    fn a_macro_not_given_is_a_gap_and_a_known_component_is_not() -> Result<(), String> {
        let layout = "pipelines:\n  - name: check\n    trigger:\n      gerrit:\n        - event: patchset-created\nprojects:\n  - name: app\n    check: [lint, unit]\n";
        let jjb = "- job:\n    name: lint\n    wrappers: [timestamps, {timeout: {timeout: 30}}]\n    builders:\n      - setup\n      - shell: make lint\n    publishers: [teardown, {archive: {artifacts: 'log/'}}]\n- job:\n    name: unit\n    wrappers: [timestamps, workspace-cleanup]\n    builders: [{shell: make test}]\n    publishers: [{junit: {results: 'log/*.xml'}}, {email-ext: {recipients: a@b}}]\n";
        let (p, _) = layout_with(layout, jjb)?;
        let gaps: Vec<String> = p
            .unsupported()
            .iter()
            .map(|u| format!("{} {}", u.path, u.message))
            .collect();
        for m in [
            "`setup` is neither a macro",
            "`teardown` is neither a macro",
        ] {
            assert!(
                gaps.iter()
                    .any(|g| g.contains("app.check.lint") && g.contains(m)),
                "{m} in {gaps:?}"
            );
        }
        assert!(
            !gaps.iter().any(|g| g.contains("app.check.unit")),
            "{gaps:?}"
        );
        assert!(
            !gaps
                .iter()
                .any(|g| g.contains("`timestamps`") || g.contains("`archive`")),
            "{gaps:?}"
        );
        Ok(())
    }

    fn trigger_of(layout: &str) -> Result<Vec<Option<crate::pipeline::Trigger>>, String> {
        let mut docs = crate::import::tree::parse(layout).map_err(|e| e.0)?;
        docs.iter_mut()
            .for_each(crate::import::tree::apply_tagged_merges);
        let doc = docs.first().ok_or("no document")?;
        Ok(doc
            .get("pipelines")
            .map(super::super::super::tree::Node::items)
            .unwrap_or_default()
            .iter()
            .map(super::trigger)
            .collect())
    }

    /// Wikimedia writes each pipeline variant as `- !!merge : *test_pipeline` and each event as
    /// `- !!merge : *test-event-patchset-created` with another branch: the variants keep the
    /// author filter (approved) instead of losing their trigger (and being taken as anyone's).
    #[test]
    fn pipelines_merged_with_the_tagged_merge_key_keep_their_trigger() -> Result<(), String> {
        let layout = "pipelines:\n  - &test_pipeline\n    name: test\n    manager: IndependentPipelineManager\n    trigger:\n      gerrit:\n        - &ev\n          event: patchset-created\n          email: &allow\n            - .*?@wikimedia\\.org$\n  - !!merge : *test_pipeline\n    name: test-prio\n  - !!merge : *test_pipeline\n    name: test-1_39\n    trigger:\n      gerrit:\n        - !!merge : *ev\n          branch: ^REL1_39$\n  - name: check\n    trigger:\n      gerrit:\n        - event: patchset-created\n          branch: ^REL1_39$\n";
        use crate::pipeline::Trigger::*;
        assert_eq!(
            trigger_of(layout)?,
            vec![
                Some(Approved),
                Some(Approved),
                Some(Approved),
                Some(Patchset)
            ]
        );
        Ok(())
    }

    /// An author filter makes an event a trusted person's only when it lists who may start
    /// it: a deny-list (`^(?!bot@).*$`) or a match-all lets anyone in, so the event stays a
    /// patchset one; an allow-list of domains and addresses is approved.
    #[test]
    fn a_deny_list_author_filter_is_not_a_trusted_start() -> Result<(), String> {
        let event = |filter: &str| {
            format!(
                "pipelines:\n  - name: p\n    trigger:\n      gerrit:\n        - event: patchset-created\n          email: {filter}\n"
            )
        };
        use crate::pipeline::Trigger::*;
        for deny in [
            "^(?!l10n-bot@translatewiki\\.net).*$",
            "'.*'",
            "['^alice@example\\.org$', '(?!bot).*']",
        ] {
            assert_eq!(trigger_of(&event(deny))?, vec![Some(Patchset)], "{deny}");
        }
        for allow in [
            "['.*?@wikimedia\\.org$', '^alice@example\\.org$']",
            "^hashar@free\\.fr$",
        ] {
            assert_eq!(trigger_of(&event(allow))?, vec![Some(Approved)], "{allow}");
        }
        Ok(())
    }

    /// A pipeline whose trigger lockkeeper cannot read is reported (its jobs are taken as run
    /// for anyone's change), and a Jenkins job many projects list is one gap, with its count.
    #[test]
    fn unread_pipelines_are_reported_and_gaps_counted_once() -> Result<(), String> {
        let layout = "pipelines:\n  - name: check\n    trigger:\n      gerrit:\n        - event: patchset-created\n  - name: odd\n    manager: IndependentPipelineManager\nprojects:\n  - name: a\n    check: [tox]\n    odd: [tox]\n  - name: b\n    check: [tox, lint, noop]\n";
        let p = Pipeline::import(
            &[SourceFile {
                name: "zuul/layout.yaml",
                text: layout,
            }],
            None,
        )
        .map_err(|e| e.to_string())?;
        let gaps: Vec<String> = p.unsupported().iter().map(|u| u.message.clone()).collect();
        assert!(
            gaps.iter()
                .any(|m| m.contains("pipeline `odd` has no trigger event")),
            "{gaps:?}"
        );
        let tox: Vec<&String> = gaps.iter().filter(|m| m.contains("`tox`")).collect();
        assert_eq!(tox.len(), 1, "{gaps:?}");
        assert!(tox[0].contains("(3 uses; the first is shown)"), "{gaps:?}");
        assert!(!gaps.iter().any(|m| m.contains("`noop`")), "{gaps:?}");
        let lint: Vec<&String> = gaps.iter().filter(|m| m.contains("`lint`")).collect();
        assert_eq!(lint.len(), 1, "{gaps:?}");
        assert!(!lint[0].contains("uses;"), "{gaps:?}");
        Ok(())
    }

    #[test]
    fn v2_triggers() -> Result<(), String> {
        let docs = crate::import::tree::parse(LAYOUT).map_err(|e| e.0)?;
        let doc = docs.first().ok_or("no document")?;
        let got: Vec<Option<crate::pipeline::Trigger>> = doc
            .get("pipelines")
            .map(super::super::super::tree::Node::items)
            .unwrap_or_default()
            .iter()
            .map(super::trigger)
            .collect();
        use crate::pipeline::Trigger::*;
        assert_eq!(
            got,
            vec![Some(Patchset), Some(Approved), Some(Approved), Some(Merged)]
        );
        Ok(())
    }
}
