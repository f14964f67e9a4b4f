//! Generators of synthetic inputs shared by the benchmarks.

/// A request measured on [`synthetic_policy`] (10,000 principals, 1,000 bindings): who asks
/// to deploy where, and whether it is allowed.
pub struct AuthorizeCase {
    /// Name in the benchmark's output.
    pub name: &'static str,
    /// Who asks.
    pub principal: &'static str,
    /// The project.
    pub project: &'static str,
    /// The expected decision.
    pub allowed: bool,
}

/// The ref every [`AUTHORIZE_CASES`] request names.
pub const AUTHORIZE_REF: &str = "refs/heads/main";

/// `user3` may deploy through the first binding that grants deploy to its group; `user6986`
/// only through binding 998, the last one granting deploy; `outsider` is declared nowhere;
/// `user3` in a project none of its ten bindings covers is the denial with the most to explain.
pub const AUTHORIZE_CASES: [AuthorizeCase; 4] = [
    AuthorizeCase {
        name: "allow_first_binding",
        principal: "user3",
        project: "org3/app",
        allowed: true,
    },
    AuthorizeCase {
        name: "allow_last_binding",
        principal: "user6986",
        project: "org18/app",
        allowed: true,
    },
    AuthorizeCase {
        name: "deny_undeclared",
        principal: "outsider",
        project: "org3/app",
        allowed: false,
    },
    AuthorizeCase {
        name: "deny_own_bindings_elsewhere",
        principal: "user3",
        project: "org5/app",
        allowed: false,
    },
];

/// Permissions of role `r` in the synthetic policy: the roles cycle through these.
const ROLE_PERMISSIONS: [&[&str]; 5] = [
    &["submit"],
    &["review"],
    &["approve"],
    &["merge", "deploy"],
    &["promote"],
];

/// Binding `b` of the synthetic policy: (role, group, principal, project number).
fn synthetic_binding(b: usize, principals: usize) -> (usize, usize, usize, usize) {
    (b % 50, b % 100, (b * 7) % principals.max(1), b % 20)
}

/// A policy with `principals` principals in 100 groups and `bindings` bindings over 50 roles,
/// scoped to project and ref globs, in YAML.
pub fn synthetic_policy(principals: usize, bindings: usize) -> String {
    let mut y = String::from(
        "zones: {untrusted: {}, trusted: {dominates: [untrusted]}, deploy: {dominates: [trusted], credentials: true}}\n\
         environments: {staging: {}, production: {from: [staging]}}\nprincipals:\n",
    );
    for i in 0..principals {
        y.push_str(&format!("  user{i}: {{}}\n"));
    }
    y.push_str("groups:\n");
    for g in 0..100 {
        let members: Vec<String> = (0..principals)
            .filter(|i| i % 100 == g)
            .map(|i| format!("user{i}"))
            .collect();
        y.push_str(&format!(
            "  team{g}: {{members: [{}]}}\n",
            members.join(", ")
        ));
    }
    y.push_str("roles:\n");
    for r in 0..50 {
        y.push_str(&format!(
            "  role{r}: {{permissions: [{}]}}\n",
            ROLE_PERMISSIONS[r % ROLE_PERMISSIONS.len()].join(", ")
        ));
    }
    y.push_str("bindings:\n");
    for b in 0..bindings {
        let (role, group, user, project) = synthetic_binding(b, principals);
        y.push_str(&format!(
            "  - {{role: role{role}, groups: [team{group}], principals: [user{user}], project: \"org{project}/**\", ref: \"refs/heads/*\"}}\n"
        ));
    }
    y
}

/// The same policy as [`synthetic_policy`] for Cedar: each binding becomes two `permit`s (one
/// for its group, one for its principal) over the actions its role grants, with the project and
/// ref in the request's context. Returns the policies and the entities (users in their groups)
/// as Cedar JSON. Cedar's `like` lets `*` cross `/`, which the requests measured do not tell
/// apart from lockkeeper's globs.
pub fn synthetic_cedar(principals: usize, bindings: usize) -> (String, String) {
    let mut policies = String::new();
    for b in 0..bindings {
        let (role, group, user, project) = synthetic_binding(b, principals);
        let actions: Vec<String> = ROLE_PERMISSIONS[role % ROLE_PERMISSIONS.len()]
            .iter()
            .map(|a| format!("Action::\"{a}\""))
            .collect();
        let actions = actions.join(", ");
        let when = format!(
            "when {{ context.project like \"org{project}/*\" && context.ref like \"refs/heads/*\" }}"
        );
        policies.push_str(&format!(
            "permit(principal in Group::\"team{group}\", action in [{actions}], resource) {when};\n\
             permit(principal == User::\"user{user}\", action in [{actions}], resource) {when};\n"
        ));
    }
    let mut entities: Vec<String> = (0..100)
        .map(|g| {
            format!(r#"{{"uid":{{"type":"Group","id":"team{g}"}},"attrs":{{}},"parents":[]}}"#)
        })
        .collect();
    entities.extend((0..principals).map(|i| {
        format!(
            r#"{{"uid":{{"type":"User","id":"user{i}"}},"attrs":{{}},"parents":[{{"type":"Group","id":"team{}"}}]}}"#,
            i % 100
        )
    }));
    (policies, format!("[{}]", entities.join(",")))
}

/// The same policy as [`synthetic_policy`] in Rego (for regorus): the policy text, and the data
/// document (roles, each principal's groups, bindings). `glob.match` with `/` as the delimiter
/// reads `*` and `**` as lockkeeper does.
pub fn synthetic_rego(principals: usize, bindings: usize) -> (String, String) {
    let rego = r#"package lockkeeper.bench

import rego.v1

default allow := false

allow if {
	some b in data.bindings
	input.action in data.roles[b.role]
	subject(b)
	glob.match(b.project, ["/"], input.project)
	glob.match(b.ref, ["/"], input.ref)
}

subject(b) if input.principal in b.principals

subject(b) if {
	some g in data.member_of[input.principal]
	g in b.groups
}
"#
    .to_owned();
    let roles: Vec<String> = (0..50)
        .map(|r| {
            let perms: Vec<String> = ROLE_PERMISSIONS[r % ROLE_PERMISSIONS.len()]
                .iter()
                .map(|p| format!("\"{p}\""))
                .collect();
            format!("\"role{r}\":[{}]", perms.join(","))
        })
        .collect();
    let member_of: Vec<String> = (0..principals)
        .map(|i| format!("\"user{i}\":[\"team{}\"]", i % 100))
        .collect();
    let binding_list: Vec<String> = (0..bindings)
        .map(|b| {
            let (role, group, user, project) = synthetic_binding(b, principals);
            format!(
                r#"{{"role":"role{role}","groups":["team{group}"],"principals":["user{user}"],"project":"org{project}/**","ref":"refs/heads/*"}}"#
            )
        })
        .collect();
    let data = format!(
        r#"{{"roles":{{{}}},"member_of":{{{}}},"bindings":[{}]}}"#,
        roles.join(","),
        member_of.join(","),
        binding_list.join(",")
    );
    (rego, data)
}

/// An inventory of `images` images over `roots` root images: image `i` is built on a
/// pseudo-random earlier image (deterministic), so the base graph is a forest of bushy trees a
/// few levels deep, like a registry of language runtimes and the services built on them.
pub fn synthetic_inventory(images: usize, roots: usize) -> Vec<lockkeeper::image::InventoryEntry> {
    let roots = roots.clamp(1, images.max(1));
    let digest = |i: usize| format!("sha256:{i:064x}");
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        // xorshift64*: enough to spread bases without a dependency.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    (0..images)
        .map(|i| lockkeeper::image::InventoryEntry {
            name: format!("registry.example.org/image-{i}:1"),
            digest: digest(i),
            base_digest: (i >= roots).then(|| digest((next() % i as u64) as usize)),
            index_digest: None,
        })
        .collect()
}

/// A synthetic pipeline: `n` jobs named `job-<i>`, each after about three earlier jobs (two
/// `needs` and one artifact it consumes), 1% of them pull-request jobs that only consume, one in
/// 50 holding a secret. Pull-request jobs produce nothing, so every consumed artifact is made by
/// a merged job. Built so that it checks clean: the benchmark measures the work, not the
/// cost of reporting.
///
/// Each job owns the text of what it refers to, as a parsed file does (`needs: [job-12]` is
/// read where it is written), so reading the input is sequential and what the benchmark
/// measures is how the graph is resolved, not how the harness reaches its own strings.
pub struct SyntheticPipeline {
    /// The jobs, in file order.
    pub jobs: Vec<SyntheticJob>,
}

/// One job of a [`SyntheticPipeline`].
pub struct SyntheticJob {
    /// Its name.
    pub name: String,
    /// Names of the jobs it needs (0 to 2).
    pub needs: [Option<String>; 2],
    /// The artifact it consumes.
    pub consumes: Option<String>,
    /// The artifact it produces (none for pull-request jobs).
    pub produces: Option<String>,
    /// Whether it is a pull-request job.
    pub patchset: bool,
    /// Whether it holds the registry secret.
    pub secret: bool,
}

/// A fixed pseudo-random function of `x` (splitmix64's finalizer): spreads references
/// uniformly without a dependency or state.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// How a synthetic job picks the jobs it depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Stages of 100 jobs, each job after jobs of the previous stage, as CI pipelines are
    /// (GitLab stages, Zuul dependencies, Argo DAG levels).
    Layered,
    /// Each job after uniformly random earlier jobs: the worst case for memory locality.
    Random,
}

/// Jobs per stage of [`Shape::Layered`].
pub const STAGE: usize = 100;

/// Pull-request jobs: one in a hundred.
fn is_patchset(i: usize) -> bool {
    i % 100 == 99
}

impl SyntheticPipeline {
    /// Generates the pipeline deterministically with the given shape.
    pub fn with_shape(n: usize, shape: Shape) -> Self {
        let job = |i: usize| format!("job-{i}");
        let artifact = |i: usize| format!("artifact-{i}");
        let jobs = (0..n)
            .map(|i| {
                let (needs, consumed) = match shape {
                    Shape::Random => {
                        let earlier =
                            |k: u64| (i > 0).then(|| (mix(i as u64 * 3 + k) % i as u64) as usize);
                        // Only merged jobs produce: a pull-request job's artifact is not there.
                        let c = earlier(2).map(|c| if is_patchset(c) { c - 1 } else { c });
                        ([earlier(0), earlier(1)], c)
                    }
                    Shape::Layered => {
                        let stage = i / STAGE;
                        let previous = |k: usize| {
                            (stage > 0).then(|| (stage - 1) * STAGE + (i * k + 7) % STAGE)
                        };
                        let c = previous(13).map(|c| if is_patchset(c) { c - 1 } else { c });
                        ([previous(31), previous(17)], c)
                    }
                };
                let patchset = is_patchset(i);
                SyntheticJob {
                    name: job(i),
                    needs: needs.map(|k| k.map(job)),
                    consumes: consumed.map(artifact),
                    produces: (!patchset).then(|| artifact(i)),
                    patchset,
                    secret: !patchset && i % 50 == 0,
                }
            })
            .collect();
        SyntheticPipeline { jobs }
    }

    /// Number of graph edges (needs plus data flow).
    pub fn edges(&self) -> usize {
        self.jobs
            .iter()
            .map(|j| j.needs.iter().flatten().count() + usize::from(j.consumes.is_some()))
            .sum()
    }

    /// Builds the lockkeeper pipeline from the jobs' names, as an importer would.
    pub fn build(&self) -> lockkeeper::pipeline::Pipeline {
        use lockkeeper::Trigger;
        use lockkeeper::pipeline::{Pipeline, ResourceKind};
        let mut b = Pipeline::builder_with_capacity(self.jobs.len(), self.edges());
        b.file("synthetic.yaml");
        for j in &self.jobs {
            let trigger = if j.patchset {
                Trigger::Patchset
            } else {
                Trigger::Merged
            };
            let mut jb = b.job(&j.name).trigger(trigger);
            for need in j.needs.iter().flatten() {
                jb = jb.need(need);
            }
            if let Some(c) = &j.consumes {
                jb = jb.consume(ResourceKind::Artifact, c);
            }
            if let Some(p) = &j.produces {
                jb = jb.produce(ResourceKind::Artifact, p);
            }
            if j.secret {
                jb.secret("registry-push");
            }
        }
        b.finish().0
    }
}

/// The fields of job `i` of [`native_pipeline`], in the shape of `scripts/pipeline-scale.py`:
/// a trigger, two `needs` and one consumed artifact from the previous stage of [`STAGE`] jobs,
/// one produced artifact, and a secret in one job of 50.
fn native_job(i: usize) -> (Option<[usize; 3]>, bool) {
    let stage = i / STAGE;
    let from = (stage > 0).then(|| {
        let prev = (stage - 1) * STAGE;
        [
            prev + (i * 31 + 7) % STAGE,
            prev + (i * 17 + 7) % STAGE,
            prev + (i * 13 + 7) % STAGE,
        ]
    });
    (from, i % 50 == 49)
}

/// A native pipeline of `n` jobs as text, in YAML or JSON, byte for byte what
/// `scripts/pipeline-scale.py` writes, so that in-process and whole-process figures compare.
pub fn native_pipeline(n: usize, json: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(n * 160);
    if json {
        out.push_str("{\"version\": 1, \"jobs\": {\n");
    } else {
        out.push_str("version: 1\njobs:\n");
    }
    for i in 0..n {
        let (from, secret) = native_job(i);
        if json {
            let _ = write!(out, "\"job-{i}\": {{\"trigger\": \"merged\"");
            if let Some([a, b, c]) = from {
                let _ = write!(
                    out,
                    ", \"needs\": [\"job-{a}\", \"job-{b}\"], \"consumes\": {{\"artifacts\": [\"artifact-{c}\"]}}"
                );
            }
            let _ = write!(out, ", \"produces\": {{\"artifacts\": [\"artifact-{i}\"]}}");
            if secret {
                out.push_str(", \"secrets\": [\"registry-push\"]");
            }
            out.push('}');
            out.push_str(if i + 1 < n { ",\n" } else { "\n" });
        } else {
            let _ = write!(out, "  job-{i}:\n    trigger: merged\n");
            if let Some([a, b, c]) = from {
                let _ = write!(
                    out,
                    "    needs: [job-{a}, job-{b}]\n    consumes: {{artifacts: [artifact-{c}]}}\n"
                );
            }
            let _ = writeln!(out, "    produces: {{artifacts: [artifact-{i}]}}");
            if secret {
                out.push_str("    secrets: [registry-push]\n");
            }
        }
    }
    if json {
        out.push_str("}}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::native_pipeline;

    #[test]
    fn native_pipelines_are_written_as_pipeline_scale_writes_them() {
        let yaml = native_pipeline(150, false);
        assert!(yaml.starts_with("version: 1\njobs:\n  job-0:\n    trigger: merged\n"));
        assert!(yaml.ends_with(
            "  job-149:\n    trigger: merged\n    needs: [job-26, job-40]\n    consumes: {artifacts: [artifact-44]}\n    produces: {artifacts: [artifact-149]}\n    secrets: [registry-push]\n"
        ));
        let json = native_pipeline(150, true);
        assert!(json.ends_with(
            "\"job-149\": {\"trigger\": \"merged\", \"needs\": [\"job-26\", \"job-40\"], \"consumes\": {\"artifacts\": [\"artifact-44\"]}, \"produces\": {\"artifacts\": [\"artifact-149\"]}, \"secrets\": [\"registry-push\"]}\n}}\n"
        ));
    }
}
