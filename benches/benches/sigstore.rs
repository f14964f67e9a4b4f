//! A keyless GitHub-built npm provenance bundle (Fulcio chain + SCT + Rekor SET and inclusion
//! proof + DSSE + policy decision) against one bare ECDSA P-256 verify, the floor of any
//! Sigstore check. Criterion reports both; the ratio is printed at the end
//! (`cargo bench -p lockkeeper-benches --bench sigstore`). scripts/bench-sigstore.py compares
//! the same bundle with sigstore-python in-process.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use lockkeeper::Policy;
use lockkeeper::digest::{Algorithm, Digest};
use lockkeeper::keys::SigningKey;
use lockkeeper::sigstore::TrustedRoot;

struct Fixture {
    policy: Policy,
    bundle: Vec<u8>,
    artifact: Digest,
    key: lockkeeper::keys::PublicKey,
    message: Vec<u8>,
    sig: Vec<u8>,
}

fn read(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture() -> Fixture {
    let fixtures = "testdata/fixtures/sigstore";
    let root = TrustedRoot::from_json(&read(&format!(
        "{fixtures}/trusted-roots/production.trusted_root.json"
    )))
    .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8(read("core/tests/cases/policies/sigstore.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let policy = Policy::from_yaml(&text)
        .unwrap_or_else(|e| panic!("{e}"))
        .with_trusted_root(root);
    let tgz = read(&format!("{fixtures}/bundles/gh-cli/sigstore-js-2.1.0.tgz"));
    let key = SigningKey::from_p256_scalar(&[7; 32]).unwrap_or_else(|e| panic!("{e}"));
    let message = b"a message the size of a DSSE PAE header and more".repeat(8);
    Fixture {
        policy,
        bundle: read(&format!(
            "{fixtures}/bundles/gh-cli/sigstore-js-2.1.0-bundle.json"
        )),
        artifact: Digest::compute(Algorithm::Sha512, &tgz),
        sig: key.sign(&message),
        key: key.public_key().clone(),
        message,
    }
}

fn decide(f: &Fixture) -> bool {
    f.policy
        .verify_provenance(black_box(&f.bundle), &f.artifact, Some("production"))
        .is_ok_and(|d| d.allowed())
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    assert!(decide(&f), "the bundle must verify");
    assert!(f.key.verify(&f.message, &f.sig));
    c.bench_function(
        "sigstore: keyless npm provenance bundle, verify and decide",
        |b| b.iter(|| decide(&f)),
    );
    c.bench_function("sigstore: bare ECDSA P-256 verify", |b| {
        b.iter(|| f.key.verify(black_box(&f.message), black_box(&f.sig)))
    });
    let n = 200;
    let t = Instant::now();
    for _ in 0..n {
        black_box(decide(&f));
    }
    let bundle = t.elapsed() / n;
    let t = Instant::now();
    for _ in 0..n * 10 {
        black_box(f.key.verify(&f.message, &f.sig));
    }
    let bare = t.elapsed() / (n * 10);
    println!(
        "one keyless bundle verified and decided: {bundle:?}; one bare P-256 verify: {bare:?}; ratio {:.1}x",
        bundle.as_secs_f64() / bare.as_secs_f64()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
