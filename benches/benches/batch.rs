//! Many envelopes at once: `verify_many` (ed25519 batch verification) per envelope against a
//! bare ed25519 `verify_strict` of one PAE, for batches of 1, 16, 64 and 256 provenance
//! envelopes. Criterion reports each; the per-envelope ratios are printed at the end, measured
//! in the same run (`cargo bench -p lockkeeper-benches --bench batch`).

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lockkeeper::attestation::{Envelope, IN_TOTO_PAYLOAD_TYPE, ProvenanceBuilder, verify_many};
use lockkeeper::digest::Digest;
use lockkeeper::keys::{PublicKey, SigningKey};

const SIZES: [usize; 4] = [1, 16, 64, 256];

struct Fixture {
    keys: Vec<PublicKey>,
    envelopes: Vec<Envelope>,
    json: Vec<Vec<u8>>,
}

/// `n` distinct provenance envelopes (one artifact each), signed by one of two trusted keys.
fn fixture(n: usize) -> Fixture {
    let signers: Vec<SigningKey> = [[7u8; 32], [8u8; 32]]
        .iter()
        .map(|seed| SigningKey::from_seed(seed).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let envelopes: Vec<Envelope> = (0..n)
        .map(|i| {
            let statement = ProvenanceBuilder::new("https://ci/trusted")
                .subject("app.tar.gz", Digest::sha256(format!("app {i}").as_bytes()))
                .source(
                    "git+https://g/r/app",
                    Some("refs/heads/main"),
                    Some(&"a".repeat(40)),
                )
                .build()
                .to_json();
            Envelope::sign(
                IN_TOTO_PAYLOAD_TYPE,
                statement.as_bytes(),
                &[&signers[i % 2]],
            )
        })
        .collect();
    Fixture {
        keys: signers.iter().map(|s| s.public_key().clone()).collect(),
        json: envelopes.iter().map(|e| e.to_json().into_bytes()).collect(),
        envelopes,
    }
}

fn batch(f: &Fixture) -> usize {
    verify_many(black_box(&f.envelopes), &f.keys, 1)
        .iter()
        .filter(|r| r.is_ok())
        .count()
}

fn parse_and_batch(f: &Fixture) -> usize {
    let parsed: Vec<Envelope> = f
        .json
        .iter()
        .filter_map(|j| Envelope::from_json(black_box(j)).ok())
        .collect();
    verify_many(&parsed, &f.keys, 1)
        .iter()
        .filter(|r| r.is_ok())
        .count()
}

/// Bare `verify_strict` (through `PublicKey::verify`) of each envelope's one signature.
fn bare(f: &Fixture, pae: &[Vec<u8>]) -> usize {
    f.envelopes
        .iter()
        .zip(pae)
        .zip(f.keys.iter().cycle())
        .filter(|((e, m), k)| k.verify(black_box(m), &e.signatures()[0].sig))
        .count()
}

/// Best-of-five nanoseconds per envelope of `run` over `n` envelopes.
fn per_envelope(n: usize, rounds: usize, mut run: impl FnMut() -> usize) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..rounds {
            assert_eq!(black_box(run()), n);
        }
        best = best.min(t.elapsed().as_nanos() as f64 / (rounds * n) as f64);
    }
    best
}

fn bench(c: &mut Criterion) {
    let fixtures: Vec<(usize, Fixture)> = SIZES.iter().map(|&n| (n, fixture(n))).collect();
    let mut group = c.benchmark_group("batch");
    for (n, f) in &fixtures {
        let pae: Vec<Vec<u8>> = f.envelopes.iter().map(Envelope::pae).collect();
        assert_eq!(batch(f), *n);
        assert_eq!(bare(f, &pae), *n);
        group.throughput(Throughput::Elements(*n as u64));
        group.bench_with_input(BenchmarkId::new("verify_many", n), f, |b, f| {
            b.iter(|| batch(f))
        });
        group.bench_with_input(BenchmarkId::new("bare_verify_strict", n), f, |b, f| {
            b.iter(|| bare(f, &pae))
        });
    }
    group.finish();

    // The ratios, measured here in one run so both sides see the same machine state.
    for (n, f) in &fixtures {
        let pae: Vec<Vec<u8>> = f.envelopes.iter().map(Envelope::pae).collect();
        let rounds = (4096 / n).max(4);
        let bare_ns = per_envelope(*n, rounds, || bare(f, &pae));
        let batch_ns = per_envelope(*n, rounds, || batch(f));
        let parsed_ns = per_envelope(*n, rounds, || parse_and_batch(f));
        println!(
            "batch of {n:>3}: verify_many {batch_ns:>7.0} ns/envelope ({:.2}x bare), with JSON \
             parsing {parsed_ns:>7.0} ns ({:.2}x); bare verify_strict {bare_ns:>7.0} ns",
            batch_ns / bare_ns,
            parsed_ns / bare_ns,
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
