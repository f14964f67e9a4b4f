//! Where one keyless bundle verification's time goes: `cargo run --release -p
//! lockkeeper-benches --example sigstore_phases`. The bundle is scripts/bench-sigstore.py's
//! (a GitHub artifact attestation: Fulcio leaf, SCT, Rekor v1 entry with SET, inclusion proof
//! and checkpoint, DSSE). Stages are timed by switching sigstore-verify's own policy checks off
//! one at a time (the difference is the stage's cost), beside the bare signature checks each
//! stage makes: ECDSA P-384 (the leaf under Fulcio's P-384 intermediate) and P-256 (SCT, SET,
//! checkpoint, DSSE). sigstore-verify checks the SET twice (for the signing time, then with the
//! log entry); lockkeeper's provider answers the repeat from its per-bundle memo.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use lockkeeper::digest::Digest;
use lockkeeper::sigstore::{Artifact, Bundle, IdentityPolicy, SignedBy, TrustedRoot};
use p256::ecdsa::signature::hazmat::{PrehashSigner as _, PrehashVerifier as _};
use sigstore_verify::VerificationPolicy;

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const SUBJECT: &str = "https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d";

fn read(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Best of five rounds of `n` calls, in microseconds per call.
fn time(n: u32, mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let dir = "testdata/fixtures/sigstore";
    let root_json = read(&format!("{dir}/trusted-roots/production.trusted_root.json"));
    let bundle_json = read(&format!(
        "{dir}/bundles/gh-cli/reusable-workflow-attestation.sigstore.json"
    ));
    let artifact = read(&format!("{dir}/bundles/gh-cli/reusable-workflow-artifact"));
    let digest = Digest::sha256(&artifact);
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);

    // The whole check, as the bindings call it.
    let root = TrustedRoot::from_json(&root_json).unwrap_or_else(|e| panic!("{e}"));
    let identity =
        IdentityPolicy::from_value(&serde_json::json!({"issuer": ISSUER, "subject": SUBJECT}))
            .unwrap_or_else(|e| panic!("{e}"));
    let signed_by = SignedBy::Identity(&identity);
    let whole = || {
        lockkeeper::sigstore::check_bundles(
            black_box(&bundle_json),
            Artifact::Digest(&digest),
            &root,
            &signed_by,
        )
    };
    assert!(whole().decision.allowed());
    let t_whole = time(n, || {
        black_box(whole());
    });
    let t_load = time(n / 10 + 1, || {
        black_box(TrustedRoot::from_json(black_box(&root_json)).is_ok());
    });
    let t_parse = time(n, || {
        black_box(Bundle::from_json(black_box(&bundle_json)).is_ok());
    });
    let t_parse_direct = time(n, || {
        black_box(
            serde_json::from_slice::<sigstore_verify::types::Bundle>(black_box(&bundle_json))
                .is_ok(),
        );
    });

    // The same bundle through sigstore-verify, one check switched off at a time. (Loading
    // lockkeeper's root above installed lockkeeper's crypto provider.)
    let st_root = sigstore_verify::trust_root::TrustedRoot::from_json(
        std::str::from_utf8(&root_json).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let verifier = sigstore_verify::Verifier::new(&st_root).unwrap_or_else(|e| panic!("{e}"));
    let bundle: sigstore_verify::types::Bundle =
        serde_json::from_slice(&bundle_json).unwrap_or_else(|e| panic!("{e}"));
    let run = |policy: &VerificationPolicy| {
        verifier
            .verify(artifact.as_slice(), black_box(&bundle), policy)
            .unwrap_or_else(|e| panic!("{e}"));
    };
    let full = VerificationPolicy::any_identity();
    let t_full = time(n, || run(&full));
    let t_no_sct = time(n, || run(&VerificationPolicy::any_identity().skip_sct()));
    let t_no_chain = time(n, || {
        run(&VerificationPolicy::any_identity().skip_certificate_chain())
    });
    let t_no_tlog = time(n, || {
        run(&VerificationPolicy::any_identity().skip_tlog_unsafe())
    });
    let t_bare = time(n, || {
        run(&VerificationPolicy::any_identity()
            .skip_certificate_chain()
            .skip_tlog_unsafe())
    });

    // The primitives.
    let msg = [7u8; 32];
    let k256 = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap_or_else(|e| panic!("{e}"));
    let s256: p256::ecdsa::Signature = k256.sign_prehash(&msg).unwrap_or_else(|e| panic!("{e}"));
    let v256 = *k256.verifying_key();
    let sec1_256 = v256.to_sec1_point(false);
    let k384 = p384::ecdsa::SigningKey::from_slice(&[7; 48]).unwrap_or_else(|e| panic!("{e}"));
    let m384 = [7u8; 48];
    let s384: p384::ecdsa::Signature = k384.sign_prehash(&m384).unwrap_or_else(|e| panic!("{e}"));
    let v384 = *k384.verifying_key();
    let t_p256 = time(n * 5, || {
        assert!(v256.verify_prehash(black_box(&msg), &s256).is_ok());
    });
    let t_p256_key = time(n * 5, || {
        black_box(
            p256::ecdsa::VerifyingKey::from_sec1_bytes(black_box(sec1_256.as_bytes())).is_ok(),
        );
    });
    let t_p384 = time(n * 2, || {
        assert!(v384.verify_prehash(black_box(&m384), &s384).is_ok());
    });

    // Again, after everything else: the first rounds of a run are the noisiest.
    let t_whole = t_whole.min(time(n, || {
        black_box(whole());
    }));

    println!("per bundle, best of 5 x {n} (us):");
    println!("  lockkeeper check_bundles (parse, verify, identity):   {t_whole:8.1}");
    println!("    bundle JSON parse (Bundle::from_json):              {t_parse:8.1}");
    println!("    the same, straight into sigstore-verify's type:     {t_parse_direct:8.1}");
    println!("  sigstore-verify alone, every check (no memo):         {t_full:8.1}");
    println!(
        "    SCT, 1 P-256 (full - skip_sct):                     {:8.1}",
        t_full - t_no_sct
    );
    println!(
        "    leaf under the P-384 intermediate (chain - SCT):    {:8.1}",
        t_no_sct - t_no_chain
    );
    println!(
        "    Rekor SET again + inclusion proof + checkpoint:     {:8.1}",
        t_full - t_no_tlog
    );
    println!("    signing time (SET), DSSE, binding, consistency:     {t_bare:8.1}");
    println!("  trusted root load (once per root, not per bundle):    {t_load:8.1}");
    println!("  bare ECDSA P-256 verify (prehashed):                  {t_p256:8.1}");
    println!("  P-256 key decode from SEC1:                           {t_p256_key:8.1}");
    println!("  bare ECDSA P-384 verify (prehashed):                  {t_p384:8.1}");
    println!(
        "  signatures: 1 P-384 + 5 P-256 checks = {:.0}; 4 distinct P-256 = {:.0}",
        t_p384 + 5.0 * t_p256,
        t_p384 + 4.0 * t_p256
    );
    println!("  whole check = {:.1} x one P-256 verify", t_whole / t_p256);
}
