//! Verify-and-decide for one envelope (parse + ed25519 verify + policy decision) against a bare
//! ed25519 verify of the same PAE bytes. Criterion reports both; the ratio is printed at the end
//! (`cargo bench -p lockkeeper-benches --bench provenance`).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use lockkeeper::Policy;
use lockkeeper::attestation::{Envelope, IN_TOTO_PAYLOAD_TYPE, ProvenanceBuilder};
use lockkeeper::digest::Digest;
use lockkeeper::keys::SigningKey;

struct Fixture {
    policy: Policy,
    envelope: Vec<u8>,
    artifact: Digest,
    key: lockkeeper::keys::PublicKey,
    pae: Vec<u8>,
    sig: Vec<u8>,
}

fn fixture() -> Fixture {
    let key = SigningKey::from_seed(&[7; 32]).unwrap_or_else(|e| panic!("{e}"));
    let hex: String = key.public_key().to_securesystemslib()["keyval"]["public"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let policy = Policy::from_yaml(&format!(
        "zones: {{untrusted: {{}}, trusted: {{dominates: [untrusted]}}}}\n\
         environments: {{production: {{min_build_zone: trusted}}}}\n\
         builders: {{\"https://ci/trusted\": {{zone: trusted, keys: [\"{hex}\"]}}}}\n\
         sources: [{{uri: \"git+https://g/r/**\", refs: [\"refs/heads/main\"]}}]\n"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let artifact = Digest::sha256(b"app");
    let statement = ProvenanceBuilder::new("https://ci/trusted")
        .subject("app.tar.gz", artifact.clone())
        .source(
            "git+https://g/r/app",
            Some("refs/heads/main"),
            Some(&"a".repeat(40)),
        )
        .build()
        .to_json();
    let env = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, statement.as_bytes(), &[&key]);
    let sig = env.signatures()[0].sig.clone();
    Fixture {
        pae: env.pae(),
        envelope: env.to_json().into_bytes(),
        policy,
        artifact,
        key: key.public_key().clone(),
        sig,
    }
}

fn decide(f: &Fixture) -> bool {
    f.policy
        .verify_provenance(black_box(&f.envelope), &f.artifact, Some("production"))
        .map(|d| d.allowed())
        .unwrap_or(false)
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    assert!(decide(&f), "the fixture must be allowed");
    assert!(f.key.verify(&f.pae, &f.sig));
    c.bench_function("provenance/verify_and_decide", |b| b.iter(|| decide(&f)));
    c.bench_function("provenance/bare_ed25519_verify", |b| {
        b.iter(|| f.key.verify(black_box(&f.pae), black_box(&f.sig)))
    });

    // The ratio, measured here in one run so both sides see the same machine state.
    let rounds = 2_000;
    let (mut decide_ns, mut bare_ns) = (u128::MAX, u128::MAX);
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..rounds {
            black_box(decide(&f));
        }
        decide_ns = decide_ns.min(t.elapsed().as_nanos() / rounds);
        let t = Instant::now();
        for _ in 0..rounds {
            black_box(f.key.verify(black_box(&f.pae), black_box(&f.sig)));
        }
        bare_ns = bare_ns.min(t.elapsed().as_nanos() / rounds);
    }
    println!(
        "verify-and-decide {decide_ns} ns, bare ed25519 verify {bare_ns} ns: ratio {:.2}x \
         (envelope {} bytes)",
        decide_ns as f64 / bare_ns.max(1) as f64,
        f.envelope.len()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
