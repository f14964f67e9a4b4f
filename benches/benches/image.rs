//! The rebuild cascade on inventories of 10^3 to 10^5 images: planning the rebuild for one
//! vulnerable root, against petgraph walking the same descendants breadth-first on the same
//! graph (the bar: within 2x). Graph construction is measured separately: it is paid
//! once per inventory, not per vulnerability.
//!
//! `cargo bench -p lockkeeper-benches --bench image`; the ratio is
//! `rebuild_plan/one_root/N` over `petgraph_bfs/one_root/N`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lockkeeper::image::{ImageGraph, InventoryEntry};
use lockkeeper_benches::synthetic_inventory;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Bfs;

const ROOTS: usize = 10;

/// The same base graph as petgraph sees it: an edge from each base to the images built on it.
fn petgraph_of(inventory: &[InventoryEntry]) -> DiGraph<(), ()> {
    let mut g = DiGraph::with_capacity(inventory.len(), inventory.len());
    let index: std::collections::HashMap<&str, NodeIndex> = inventory
        .iter()
        .map(|e| (e.digest.as_str(), g.add_node(())))
        .collect();
    for e in inventory {
        if let (Some(b), Some(&child)) = (&e.base_digest, index.get(e.digest.as_str()))
            && let Some(&base) = index.get(b.as_str())
        {
            g.add_edge(base, child, ());
        }
    }
    g
}

fn bfs_count(g: &DiGraph<(), ()>, start: NodeIndex) -> usize {
    let mut bfs = Bfs::new(g, start);
    let mut n = 0;
    while bfs.next(g).is_some() {
        n += 1;
    }
    n
}

fn bench(c: &mut Criterion) {
    for size in [1_000usize, 10_000, 100_000] {
        let inventory = synthetic_inventory(size, ROOTS);
        let root = inventory[0].digest.clone();
        let graph = ImageGraph::new(&inventory);
        let pg = petgraph_of(&inventory);
        let start = NodeIndex::new(0);
        // Both must visit the same images, or the comparison means nothing.
        let plan = graph.plan(&[root.as_str()]);
        let walked = bfs_count(&pg, start);
        assert_eq!(plan.len(), walked, "plan and BFS disagree at {size}");
        eprintln!(
            "inventory {size}: root {root} has {walked} descendants (itself included) in {} waves",
            plan.wave_count()
        );

        let mut group = c.benchmark_group("rebuild_plan/one_root");
        group.bench_with_input(BenchmarkId::from_parameter(size), &root, |b, root| {
            b.iter(|| graph.plan(black_box(&[root.as_str()])).len())
        });
        group.finish();

        let mut group = c.benchmark_group("petgraph_bfs/one_root");
        group.bench_with_input(BenchmarkId::from_parameter(size), &start, |b, &start| {
            b.iter(|| bfs_count(black_box(&pg), start))
        });
        group.finish();

        let mut group = c.benchmark_group("image_graph/build");
        if size >= 100_000 {
            group.sample_size(10);
        }
        group.bench_with_input(BenchmarkId::from_parameter(size), &inventory, |b, inv| {
            b.iter(|| ImageGraph::new(black_box(inv)).len())
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
