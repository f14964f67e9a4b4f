//! Where reading a native YAML pipeline goes: `cargo run --release -p lockkeeper-benches
//! --example yaml_phases FILE`. Prints the best of three runs of the YAML parser's events alone
//! (granit-parser), serde-saphyr deserializing into nothing (`IgnoredAny`, what reading through
//! serde-saphyr cannot go below), the positions tree alone (one pass over the parser's events),
//! and the whole import (positions and typed schema in that one pass, then the file's checks).

use std::time::Instant;

use lockkeeper::{Pipeline, PipelineFormat, SourceFile};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU time of this process so far (user + system), in ms: on a shared machine the wall time
/// is mostly waiting for a core.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and
    // 13th, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) * 10.0
}

/// Best of three: (wall ms, CPU ms).
fn best<T>(mut f: impl FnMut() -> T) -> (f64, f64) {
    (0..3)
        .map(|_| {
            let (t, c) = (Instant::now(), cpu_ms());
            std::hint::black_box(f());
            (t.elapsed().as_secs_f64() * 1e3, cpu_ms() - c)
        })
        .fold((f64::MAX, f64::MAX), |(w, c), (w2, c2)| {
            (w.min(w2), c.min(c2))
        })
}

fn show(what: &str, (wall, cpu): (f64, f64)) {
    println!("{what:<32} wall {wall:>8.0} ms   CPU {cpu:>8.0} ms");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: yaml_phases FILE")?;
    let text = std::fs::read_to_string(&path)?;
    let events = best(|| {
        let mut n = 0usize;
        for ev in granit_parser::Parser::new_from_str(&text) {
            if ev.is_err() {
                break;
            }
            n += 1;
        }
        n
    });
    show("events (granit-parser)", events);
    let ignored = best(|| {
        let options = serde_saphyr::options! {
            budget: serde_saphyr::budget! { max_nodes: usize::MAX, max_events: usize::MAX, max_total_scalar_bytes: usize::MAX },
        };
        serde_saphyr::from_str_with_options::<serde::de::IgnoredAny>(&text, options)
            .map_err(|e| e.to_string())
    });
    show("serde-saphyr into IgnoredAny", ignored);
    let located = best(|| lockkeeper::source::Locator::new(&text));
    show("positions tree (one event pass)", located);
    let import = best(|| {
        Pipeline::import(
            &[SourceFile {
                name: &path,
                text: &text,
            }],
            Some(PipelineFormat::Native),
        )
        .map(|p| p.len())
    });
    show("import (one event pass, checks)", import);
    Ok(())
}
