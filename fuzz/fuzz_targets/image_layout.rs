#![no_main]
// A whole OCI layout from one input: `index.json \0 manifest \0 config`. The harness fills in
// `@MANIFEST_DIGEST@`/`@MANIFEST_SIZE@` (in the index) and `@CONFIG_DIGEST@`/`@CONFIG_SIZE@` (in
// the manifest) with the real values, so the fuzzer gets past digest verification into the
// index, manifest and config parsers and the image check. Never a panic.
use std::collections::BTreeMap;

use lockkeeper::image::{ImageSet, blob_path, sha256_digest};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0);
    let (Some(index), Some(manifest), Some(config)) = (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let fill = |template: &[u8], digest: &str, size: usize, d: &str, s: &str| -> Vec<u8> {
        String::from_utf8_lossy(template)
            .replace(d, digest)
            .replace(s, &size.to_string())
            .into_bytes()
    };
    let config_digest = sha256_digest(config);
    let manifest = fill(manifest, &config_digest, config.len(), "@CONFIG_DIGEST@", "@CONFIG_SIZE@");
    let manifest_digest = sha256_digest(&manifest);
    let index = fill(index, &manifest_digest, manifest.len(), "@MANIFEST_DIGEST@", "@MANIFEST_SIZE@");
    let mut files = BTreeMap::new();
    files.insert("oci-layout".to_owned(), br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec());
    files.insert("index.json".to_owned(), index);
    if let (Some(m), Some(c)) = (blob_path(&manifest_digest), blob_path(&config_digest)) {
        files.insert(m, manifest);
        files.insert(c, config.to_vec());
    }
    let set = ImageSet::from_layout("fuzz", &files);
    if let Ok(policy) = lockkeeper::Policy::from_yaml("{}") {
        let _ = policy.check_image(&set).to_json();
    }
});
