//! The audit log's costs against the ed25519 operations underneath them: appending one decision
//! to a log of 1,000 (check the last entry: one verify; make the new one: one sign) against a
//! bare sign + verify, and verifying the whole log per entry against a bare verify. Then the
//! file append the front ends use (lock, read the tail, append, fsync) on logs of 10^3 and 10^5
//! entries in one run: it must cost the same on both, since only the last line is read.
//! Criterion reports each; the ratios are printed at the end
//! (`cargo bench -p lockkeeper-benches --bench audit`).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use lockkeeper::audit;
use lockkeeper::keys::SigningKey;

const ENTRIES: usize = 1_000;

/// Log lengths the file append is measured at.
const FILE_ENTRIES: [usize; 2] = [1_000, 100_000];

/// A denial as `lockkeeper authorize --json` prints it (about 700 bytes).
const DECISION: &str = r#"{"allowed":false,"passed":[],"subject":"dave: deploy project=mediawiki/core environment=production","violations":[{"code":"rbac/missing-permission","facts":{"action":"deploy","bindings_considered":[{"binding":"bindings[0]","groups":["mediawiki-mergers"],"line":58,"project":"mediawiki/**","role":"merger","why_not":"`dave` is not a subject of this binding"},{"binding":"bindings[1]","groups":["ops"],"line":63,"project":"operations/**","role":"deployer","why_not":"the scope does not cover project=mediawiki/core"}],"principal":"dave","scope":{"environment":"production","project":"mediawiki/core"}},"help":"Add a binding for the principal (or a group it belongs to) whose scope covers the request, or ask someone who holds it.","message":"`dave` holds no role that grants `deploy` in project=mediawiki/core environment=production"}]}"#;

fn best_of<F: FnMut()>(rounds: u32, mut f: F) -> u128 {
    let mut best = u128::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..rounds {
            f();
        }
        best = best.min(t.elapsed().as_nanos() / u128::from(rounds));
    }
    best
}

fn bench(c: &mut Criterion) {
    let key = SigningKey::from_seed(&[7; 32]).unwrap_or_else(|e| panic!("{e}"));
    let mut log = Vec::new();
    for _ in 0..ENTRIES {
        let a = audit::append(&log, DECISION.as_bytes(), &key).unwrap_or_else(|e| panic!("{e}"));
        log.extend_from_slice(a.line.as_bytes());
    }
    assert!(audit::verify(&log, key.public_key(), None).allowed());
    let message = vec![7u8; 800];
    let sig = key.sign(&message);

    let append = || audit::append(black_box(&log), DECISION.as_bytes(), &key).is_ok();
    let bare_sign_verify = || {
        key.public_key()
            .verify(&message, &key.sign(black_box(&message)))
    };
    let verify_all = || audit::verify(black_box(&log), key.public_key(), None).allowed();
    let bare_verify = || {
        key.public_key()
            .verify(black_box(&message), black_box(&sig))
    };

    c.bench_function("audit/append_to_1000", |b| b.iter(append));
    c.bench_function("audit/bare_sign_and_verify", |b| b.iter(bare_sign_verify));
    let mut group = c.benchmark_group("audit/verify");
    group.sample_size(10);
    group.bench_function("log_of_1000", |b| b.iter(verify_all));
    group.finish();
    c.bench_function("audit/bare_ed25519_verify", |b| b.iter(bare_verify));

    let append_ns = best_of(200, || {
        black_box(append());
    });
    let sign_verify_ns = best_of(200, || {
        black_box(bare_sign_verify());
    });
    let verify_ns = best_of(3, || {
        black_box(verify_all());
    }) / ENTRIES as u128;
    let bare_ns = best_of(500, || {
        black_box(bare_verify());
    });
    println!(
        "append to a log of {ENTRIES} ({} bytes): {append_ns} ns vs bare sign+verify {sign_verify_ns} ns: ratio {:.2}x",
        log.len(),
        append_ns as f64 / sign_verify_ns.max(1) as f64
    );
    println!(
        "verify per entry: {verify_ns} ns vs bare ed25519 verify {bare_ns} ns: ratio {:.2}x",
        verify_ns as f64 / bare_ns.max(1) as f64
    );
}

/// Writes a valid log of `n` entries to a fresh file. Each entry is chained from the last line
/// alone (what `audit::append` checks), so building a long log costs one sign and one verify an
/// entry.
fn log_file(n: usize, key: &SigningKey) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "lockkeeper-bench-audit-{}-{n}.jsonl",
        std::process::id()
    ));
    let mut log = Vec::with_capacity(n * (DECISION.len() + 300));
    let mut last = 0;
    for _ in 0..n {
        let a =
            audit::append(&log[last..], DECISION.as_bytes(), key).unwrap_or_else(|e| panic!("{e}"));
        last = log.len();
        log.extend_from_slice(a.line.as_bytes());
    }
    std::fs::write(&path, &log).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

fn append_file(path: &Path, key: &SigningKey) -> bool {
    lockkeeper_fs::append_audit(black_box(path), DECISION.as_bytes(), key).is_ok()
}

fn bench_file(c: &mut Criterion) {
    let key = SigningKey::from_seed(&[9; 32]).unwrap_or_else(|e| panic!("{e}"));
    // `cargo test --benches` runs each benchmark once to see that it works: a short log will do.
    let measuring = std::env::args().any(|a| a == "--bench");
    let logs: Vec<(usize, PathBuf)> = FILE_ENTRIES
        .iter()
        .map(|&n| if measuring { n } else { n / 100 })
        .map(|n| (n, log_file(n, &key)))
        .collect();
    let mut group = c.benchmark_group("audit/append_file");
    for (n, path) in &logs {
        assert!(append_file(path, &key));
        group.bench_function(format!("log_of_{n}"), |b| {
            b.iter(|| append_file(path, &key))
        });
    }
    group.finish();
    let times: Vec<(usize, u64, u128)> = logs
        .iter()
        .map(|(n, path)| {
            let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
            let ns = best_of(50, || assert!(black_box(append_file(path, &key))));
            (*n, bytes, ns)
        })
        .collect();
    for (n, bytes, ns) in &times {
        println!("file append to a log of {n} entries ({bytes} bytes): {ns} ns");
    }
    if let [(small, _, a), (large, _, b)] = times[..] {
        println!(
            "file append, log of {large} vs {small} entries: ratio {:.2}x (flat is 1.0)",
            b as f64 / a.max(1) as f64
        );
    }
    for (_, path) in logs {
        let _ = std::fs::remove_file(path);
    }
}

criterion_group!(benches, bench, bench_file);
criterion_main!(benches);
