#![no_main]
// Any bytes read as a Sigstore bundle file (bundle, JSON Lines, npm document, PEP 740) and
// verified against the public-good root give a decision, never a panic; read as a trusted root
// they give a root or an error.
use std::sync::OnceLock;

use lockkeeper::sigstore::{Artifact, SignedBy, TrustedRoot, check_bundles};

static ROOT: OnceLock<Option<TrustedRoot>> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = TrustedRoot::from_json(data);
    if let Some(root) = ROOT.get_or_init(|| TrustedRoot::public_good().ok()) {
        let report = check_bundles(data, Artifact::Bytes(b"artifact"), root, &SignedBy::AnyIdentity);
        // Nothing a fuzzer writes is signed by Fulcio and logged in Rekor over these bytes.
        assert!(!report.decision.allowed());
    }
});
