//! Reading a native pipeline file: `Pipeline::import` on the text of `scripts/pipeline-scale.py`
//! (YAML and JSON) at 10^3, 10^4 and 10^5 jobs, next to what bounds the YAML reading from below:
//! granit-parser's events alone (the parser under serde-saphyr) and serde-saphyr deserializing
//! into nothing (`IgnoredAny`), the floor of the reader before the one-pass event reader
//! (`core/src/source/events.rs`). The ratio that matters is import / parser events in one run.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lockkeeper::{Pipeline, PipelineFormat, SourceFile};
use lockkeeper_benches::native_pipeline;

// The CLI's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn import(text: &str) -> usize {
    let files = [SourceFile {
        name: "pipeline",
        text,
    }];
    Pipeline::import(&files, Some(PipelineFormat::Native)).map_or(0, |p| p.len())
}

fn events(text: &str) -> usize {
    granit_parser::Parser::new_from_str(text)
        .take_while(Result::is_ok)
        .count()
}

fn ignored(text: &str) -> bool {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_nodes: usize::MAX,
            max_events: usize::MAX,
            max_total_scalar_bytes: usize::MAX,
        },
    };
    serde_saphyr::from_str_with_options::<serde::de::IgnoredAny>(text, options).is_ok()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("native_read");
    // `cargo test --benches` runs each benchmark once in a debug build: small sizes only.
    let sizes: &[usize] = if cfg!(debug_assertions) {
        &[1_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    for &n in sizes {
        let yaml = native_pipeline(n, false);
        let json = native_pipeline(n, true);
        assert_eq!(import(&yaml), n, "the YAML pipeline must read");
        assert_eq!(import(&json), n, "the JSON pipeline must read");
        if n >= 100_000 {
            group.sample_size(10);
            group.measurement_time(Duration::from_secs(10));
        }
        group.bench_with_input(BenchmarkId::new("yaml/import", n), &yaml, |b, t| {
            b.iter(|| import(black_box(t)))
        });
        group.bench_with_input(BenchmarkId::new("json/import", n), &json, |b, t| {
            b.iter(|| import(black_box(t)))
        });
        group.bench_with_input(BenchmarkId::new("yaml/parser_events", n), &yaml, |b, t| {
            b.iter(|| events(black_box(t)))
        });
        group.bench_with_input(
            BenchmarkId::new("yaml/serde_saphyr_ignored_any", n),
            &yaml,
            |b, t| b.iter(|| ignored(black_box(t))),
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
