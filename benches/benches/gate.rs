//! A full deploy-request decision with three envelopes (build provenance, the source
//! environment's promotion record, test results) against three bare ed25519 verifies of the
//! same PAE bytes. Target: at most 1.5x. The ratio is printed at the end
//! (`cargo bench -p lockkeeper-benches --bench gate`).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use lockkeeper::Policy;
use lockkeeper::attestation::Envelope;
use lockkeeper::digest::Digest;
use lockkeeper::keys::PublicKey;
use lockkeeper::promotion::{DeployRequest, Evidence};

const POLICY: &str = include_str!("../../core/tests/cases/policies/promotion.yaml");
const EVIDENCE: [&[u8]; 3] = [
    include_bytes!("../../core/tests/cases/envelopes/promo-build.json"),
    include_bytes!("../../core/tests/cases/envelopes/promo-in-testing.json"),
    include_bytes!("../../core/tests/cases/envelopes/promo-tests-passed.json"),
];
const KEYS: [&str; 3] = [
    include_str!("../../core/tests/cases/keys/trusted-a.pub"),
    include_str!("../../core/tests/cases/keys/deploy.pub"),
    include_str!("../../core/tests/cases/keys/tests.pub"),
];
const ARTIFACT: &str = include_str!("../../core/tests/cases/envelopes/promo-artifact.txt");

fn bench(c: &mut Criterion) {
    let policy = Policy::from_yaml(POLICY).unwrap_or_else(|e| panic!("{e}"));
    let artifact = Digest::parse(ARTIFACT.trim()).unwrap_or_else(|e| panic!("{e}"));
    let request = DeployRequest::new("alice", artifact, "staging")
        .with_version(lockkeeper::Version::new(1, 4, 2))
        .with_evidence(Evidence::numbered(EVIDENCE.iter().map(|e| e.to_vec())))
        .at("2026-11-24T10:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}")));
    let decide = || {
        policy
            .deploy_request(black_box(&request))
            .map(|o| o.decision.allowed())
            .unwrap_or(false)
    };
    assert!(decide(), "the benchmark request must be allowed");
    // The same signature checks, bare: PAE bytes and signature of each envelope, its key.
    let bare: Vec<(PublicKey, Vec<u8>, Vec<u8>)> = EVIDENCE
        .iter()
        .zip(KEYS)
        .map(|(e, k)| {
            let env = Envelope::from_json(e).unwrap_or_else(|e| panic!("{e}"));
            let key = PublicKey::parse(k).unwrap_or_else(|e| panic!("{e}"));
            (key, env.pae(), env.signatures()[0].sig.clone())
        })
        .collect();
    let verify3 = || {
        bare.iter()
            .all(|(k, m, s)| k.verify(black_box(m), black_box(s)))
    };
    assert!(verify3());

    c.bench_function("gate/deploy_request_3_envelopes", |b| b.iter(decide));
    c.bench_function("gate/three_bare_ed25519_verifies", |b| b.iter(verify3));

    let rounds = 1_000;
    let (mut gate_ns, mut bare_ns) = (u128::MAX, u128::MAX);
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..rounds {
            black_box(decide());
        }
        gate_ns = gate_ns.min(t.elapsed().as_nanos() / rounds);
        let t = Instant::now();
        for _ in 0..rounds {
            black_box(verify3());
        }
        bare_ns = bare_ns.min(t.elapsed().as_nanos() / rounds);
    }
    println!(
        "deploy-request with 3 envelopes {gate_ns} ns, 3 bare ed25519 verifies {bare_ns} ns: ratio {:.2}x (target <= 1.5x)",
        gate_ns as f64 / bare_ns.max(1) as f64
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
