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
