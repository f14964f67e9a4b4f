//! Where the pipeline benchmark's time goes, and how each part grows from 10^5 to 10^6 jobs:
//! `cargo run --release -p lockkeeper-benches --example phases [JOBS]`. Prints the best of five
//! runs of building (reading names, resolving them, the graph) and of checking, per shape.

use std::time::Instant;

use lockkeeper::Policy;
use lockkeeper_benches::{Shape, SyntheticPipeline};

// The same allocator as the benchmark (see benches/pipeline.rs for why).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = Policy::builtin();
    let only: Option<usize> = std::env::args().nth(1).and_then(|a| a.parse().ok());
    let sizes: Vec<usize> = only.map_or(vec![100_000, 1_000_000], |n| vec![n]);
    for shape in [Shape::Layered, Shape::Random] {
        let mut previous: Option<[f64; 3]> = None;
        for &n in &sizes {
            let s = SyntheticPipeline::with_shape(n, shape);
            let mut best = [f64::MAX; 3];
            for _ in 0..5 {
                let t0 = Instant::now();
                let pipeline = s.build();
                let t1 = Instant::now();
                let decision = policy.check_pipeline(&pipeline);
                let t2 = Instant::now();
                if !decision.allowed() {
                    return Err(format!("synthetic pipeline must check clean:\n{decision}").into());
                }
                let took = [t1 - t0, t2 - t1, t2 - t0].map(|d| d.as_secs_f64() * 1e3);
                for (b, t) in best.iter_mut().zip(took) {
                    *b = b.min(t);
                }
            }
            print!(
                "{shape:?} {n}: build {:.1} ms, check {:.1} ms, total {:.1} ms",
                best[0], best[1], best[2]
            );
            if let Some(p) = previous {
                print!(
                    "  (x{:.1}, x{:.1}, x{:.1})",
                    best[0] / p[0],
                    best[1] / p[1],
                    best[2] / p[2]
                );
            }
            println!();
            previous = Some(best);
        }
    }
    Ok(())
}
