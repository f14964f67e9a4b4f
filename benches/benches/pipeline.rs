//! Pipeline scale: build a pipeline of 10^3, 10^5 and 10^6 jobs (about three edges each) from
//! job names and run every check, against petgraph building the same graph from names plus one
//! topological sort. Two shapes: `layered` (stages of 100 jobs, each job after jobs of the
//! previous stage, as CI pipelines are) and `random` (each job after uniformly random earlier
//! jobs, the worst case for memory locality). The targets (issue 4): linear growth (10^6 at
//! most 12x 10^5), 10^6 under 2 s, and within 2x of the petgraph baseline.
//!
//! The benchmark runs on mimalloc. With glibc's allocator, every buffer above 32 MiB is mapped
//! afresh on each call and the kernel zeroes its pages on first touch (about 100,000 page faults
//! per million-job run, `perf stat -e page-faults`), while the smaller sizes reuse freed heap
//! memory: that measures glibc's mmap threshold, not the work. A one-shot CLI run pays the page
//! faults at every size alike. `examples/phases.rs` splits the time into build and check.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lockkeeper::{Decision, Policy};
use lockkeeper_benches::{Shape, SyntheticPipeline};
use petgraph::algo::toposort;
use petgraph::graph::{DiGraph, NodeIndex};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Builds the pipeline from names and checks it with the built-in policy.
fn build_and_check(s: &SyntheticPipeline, policy: &Policy) -> Decision {
    policy.check_pipeline(&s.build())
}

/// petgraph from the same names: a name -> node map, every edge, one topological sort.
fn petgraph_baseline(s: &SyntheticPipeline) -> usize {
    let n = s.jobs.len();
    let mut graph = DiGraph::<(), ()>::with_capacity(n, s.edges());
    let mut jobs: HashMap<&str, NodeIndex> = HashMap::with_capacity(n);
    let mut artifacts: HashMap<&str, NodeIndex> = HashMap::with_capacity(n);
    for j in &s.jobs {
        let node = graph.add_node(());
        jobs.insert(&j.name, node);
        if let Some(p) = &j.produces {
            artifacts.insert(p, node);
        }
    }
    for j in &s.jobs {
        let me = jobs[j.name.as_str()];
        for need in j.needs.iter().flatten() {
            graph.add_edge(jobs[need.as_str()], me, ());
        }
        if let Some(c) = &j.consumes
            && let Some(&from) = artifacts.get(c.as_str())
        {
            graph.add_edge(from, me, ());
        }
    }
    toposort(&graph, None).map(|o| o.len()).unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let policy = Policy::builtin();
    let mut group = c.benchmark_group("pipeline");
    // `cargo test --benches` (the test script) runs each benchmark once in a debug build: the
    // million-job size would only make it slow, so it runs in optimised builds only.
    let sizes: &[usize] = if cfg!(debug_assertions) {
        &[1_000, 100_000]
    } else {
        &[1_000, 100_000, 1_000_000]
    };
    for (shape, label) in [(Shape::Layered, "layered"), (Shape::Random, "random")] {
        for &n in sizes {
            run(&mut group, policy, shape, label, n);
        }
    }
    group.finish();
}

fn run(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    policy: &Policy,
    shape: Shape,
    label: &str,
    n: usize,
) {
    {
        let s = SyntheticPipeline::with_shape(n, shape);
        let check = build_and_check(&s, policy);
        assert!(
            check.allowed(),
            "synthetic pipeline must check clean:\n{check}"
        );
        assert_eq!(petgraph_baseline(&s), n);
        if n >= 100_000 {
            group.sample_size(10);
            group.measurement_time(Duration::from_secs(if n >= 1_000_000 { 20 } else { 5 }));
        }
        group.bench_with_input(
            BenchmarkId::new(format!("{label}/build_and_check"), n),
            &s,
            |b, s| b.iter(|| build_and_check(black_box(s), policy)),
        );
        group.bench_with_input(
            BenchmarkId::new(format!("{label}/petgraph_from_names_toposort"), n),
            &s,
            |b, s| b.iter(|| petgraph_baseline(black_box(s))),
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
