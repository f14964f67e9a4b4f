#![no_main]
// Any bytes as an image config, behind a manifest that names them correctly, so every input
// reaches the config parser and the image check under a strict policy. Never a panic.
use lockkeeper::image::{ImageSet, sha256_digest};

const POLICY: &str = r#"
images:
  allowed_bases: [registry.example.org/]
  approved_roots: [{name: registry.example.org/debian}]
  toolchain_labels: {org.lockkeeper.image.toolchain: "house-*"}
"#;

libfuzzer_sys::fuzz_target!(|config: &[u8]| {
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[]}}"#,
        sha256_digest(config),
        config.len()
    );
    let set = ImageSet::from_manifest("fuzz", manifest.as_bytes(), config);
    if let Ok(policy) = lockkeeper::Policy::from_yaml(POLICY) {
        let _ = policy.check_image(&set).to_text();
    }
});
