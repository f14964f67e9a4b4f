use std::time::Instant;
use lockkeeper::pipeline::{Pipeline, ResourceKind};
use lockkeeper::{Policy, Trigger};
use lockkeeper_benches::{Shape, SyntheticPipeline};

fn main() {
    let policy = Policy::builtin().unwrap();
    let args: Vec<String> = std::env::args().collect();
    let only: Option<usize> = args.get(1).and_then(|a| a.parse().ok());
    for shape in [Shape::Layered, Shape::Random] {
        if only.is_some() && shape == Shape::Random { continue; }
        let mut prev: Option<[f64; 4]> = None;
        for n in [100_000usize, 1_000_000] {
            if only.is_some_and(|o| o != n) { continue; }
            let s = SyntheticPipeline::with_shape(n, shape);
            let mut best = [f64::MAX; 4];
            for _ in 0..5 {
                let t0 = Instant::now();
                let mut b = Pipeline::builder_with_capacity(s.names.len(), s.edges());
                b.file("synthetic.yaml");
                for i in 0..s.names.len() {
                    let trigger = if s.patchset[i] { Trigger::Patchset } else { Trigger::Merged };
                    let mut jb = b.job(&s.names[i]).trigger(trigger);
                    for k in s.needs[i].iter().flatten() { jb = jb.need(&s.names[*k as usize]); }
                    if let Some(c) = s.consumes[i] { jb = jb.consume(ResourceKind::Artifact, &s.artifacts[c as usize]); }
                    if !s.patchset[i] {
                        jb = jb.produce(ResourceKind::Artifact, &s.artifacts[i]);
                        if i % 50 == 0 { jb.secret("registry-push"); }
                    }
                }
                let t1 = Instant::now();
                let (p, _) = b.finish();
                let t2 = Instant::now();
                let d = policy.check_pipeline(&p);
                let t3 = Instant::now();
                assert!(d.allowed());
                drop(p);
                let t = [t1 - t0, t2 - t1, t3 - t2, t3 - t0].map(|d| d.as_secs_f64() * 1e3);
                for k in 0..4 { best[k] = best[k].min(t[k]); }
            }
            print!("{shape:?} {n}: builder {:.1} ms, finish {:.1} ms, check {:.1} ms, total {:.1} ms", best[0], best[1], best[2], best[3]);
            if let Some(p) = prev { print!("  ratios {:.1} {:.1} {:.1} {:.1}", best[0]/p[0], best[1]/p[1], best[2]/p[2], best[3]/p[3]); }
            println!();
            prev = Some(best);
        }
    }
}
