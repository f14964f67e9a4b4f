#![no_main]
// The whole provenance decision on arbitrary envelope bytes: a decision or an error, never a
// panic, and never an allow (no fuzzer can forge the trusted key's signature).
use std::sync::OnceLock;

static POLICY: OnceLock<Option<lockkeeper::Policy>> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let policy = POLICY.get_or_init(|| {
        lockkeeper::Policy::from_yaml(
            "zones: {untrusted: {}, trusted: {dominates: [untrusted]}}\n\
             environments: {production: {min_build_zone: trusted}}\n\
             builders: {\"https://ci/b\": {zone: trusted, keys: [d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a]}}\n",
        )
        .ok()
    });
    let (Some(policy), Ok(artifact)) = (policy, lockkeeper::digest::Digest::parse(
        "sha256:d4f8968f9598a92443ed10908fd854db3399e3c58a0d5f7a61039f14cf52b808",
    )) else {
        return;
    };
    if let Ok(d) = policy.verify_provenance(data, &artifact, Some("production")) {
        assert!(!d.allowed(), "fuzzed evidence was allowed");
    }
});
