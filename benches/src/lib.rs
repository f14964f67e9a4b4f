//! Generators of synthetic inputs shared by the benchmarks.

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
    let perms = ["submit", "review", "approve", "merge, deploy", "promote"];
    for r in 0..50 {
        y.push_str(&format!(
            "  role{r}: {{permissions: [{}]}}\n",
            perms[r % perms.len()]
        ));
    }
    y.push_str("bindings:\n");
    for b in 0..bindings {
        y.push_str(&format!(
            "  - {{role: role{}, groups: [team{}], principals: [user{}], project: \"org{}/**\", ref: \"refs/heads/*\"}}\n",
            b % 50,
            b % 100,
            (b * 7) % principals.max(1),
            b % 20
        ));
    }
    y
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
pub struct SyntheticPipeline {
    /// Job names.
    pub names: Vec<String>,
    /// Artifact each job produces.
    pub artifacts: Vec<String>,
    /// For each job, the indices of the jobs it needs (0 to 2).
    pub needs: Vec<[Option<u32>; 2]>,
    /// For each job, the index of the job whose artifact it consumes.
    pub consumes: Vec<Option<u32>>,
    /// Whether the job is a pull-request job.
    pub patchset: Vec<bool>,
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

impl SyntheticPipeline {
    /// Generates the pipeline deterministically.
    pub fn new(n: usize) -> Self {
        Self::with_shape(n, Shape::Random)
    }

    /// Generates the pipeline deterministically with the given shape.
    pub fn with_shape(n: usize, shape: Shape) -> Self {
        let mut s = SyntheticPipeline {
            names: Vec::with_capacity(n),
            artifacts: Vec::with_capacity(n),
            needs: Vec::with_capacity(n),
            consumes: Vec::with_capacity(n),
            patchset: Vec::with_capacity(n),
        };
        for i in 0..n {
            s.names.push(format!("job-{i}"));
            s.artifacts.push(format!("artifact-{i}"));
            match shape {
                Shape::Random => {
                    let earlier = |k: usize| (i > 0).then(|| ((i * k + 7) % i) as u32);
                    s.needs.push([earlier(31), earlier(17)]);
                    s.consumes.push((i > 0).then(|| (i - 1) as u32));
                }
                Shape::Layered => {
                    let stage = i / STAGE;
                    let previous = |k: usize| {
                        (stage > 0).then(|| ((stage - 1) * STAGE + (i * k + 7) % STAGE) as u32)
                    };
                    s.needs.push([previous(31), previous(17)]);
                    s.consumes.push(previous(13));
                }
            }
            s.patchset.push(i % 100 == 99);
        }
        s
    }

    /// Number of graph edges (needs plus data flow).
    pub fn edges(&self) -> usize {
        self.needs.iter().flatten().flatten().count() + self.consumes.iter().flatten().count()
    }
}
