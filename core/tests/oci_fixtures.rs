//! Real OCI documents from other projects (`testdata/fixtures/oci/`, see SOURCES.md there) read
//! through lockkeeper's image reader: layouts with their blobs verified, manifests, indexes and
//! configs parsed with `oci-spec`, and a tampered copy of a real layout caught.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use lockkeeper::image::{ImageSet, sha256_digest};
use lockkeeper::{Decision, Policy};
use oci_spec::image::{ImageConfiguration, ImageIndex, ImageManifest};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fixtures() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/fixtures/oci");
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(format!(
            "the vendored OCI fixtures are missing: expected {} (testdata/fixtures/oci)",
            dir.display()
        ))
    }
}

fn read(name: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    Ok(fs::read(fixtures()?.join(name))?)
}

/// Reads every file under `dir` into a map keyed by its path relative to `dir`.
fn load_dir(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, Box<dyn std::error::Error>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir)?.to_string_lossy().replace('\\', "/");
                files.insert(rel, fs::read(&path)?);
            }
        }
    }
    Ok(files)
}

/// The slsa-verifier layout is stored flattened (`...--oci-layout`, `...--index.json`,
/// `...--blob-sha256-<hex>`); put it back together.
fn slsa_layout() -> Result<BTreeMap<String, Vec<u8>>, Box<dyn std::error::Error>> {
    let prefix = "slsa-framework--slsa-verifier--slsa-verifier-oci-layout--";
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(fixtures()?)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        let key = match rest.strip_prefix("blob-sha256-") {
            Some(hex) => format!("blobs/sha256/{hex}"),
            None => rest.to_owned(),
        };
        files.insert(key, fs::read(&path)?);
    }
    Ok(files)
}

fn default_policy() -> Result<Policy, lockkeeper::Error> {
    Policy::from_yaml("{}")
}

fn codes(d: &Decision) -> Vec<&str> {
    d.violations().iter().map(|v| v.code.as_str()).collect()
}

#[test]
fn the_slsa_verifier_layout_reads_its_image_and_skips_signatures_and_attestations() -> TestResult {
    let files = slsa_layout()?;
    assert_eq!(files.len(), 11, "{:?}", files.keys().collect::<Vec<_>>());
    // The flattened names are the blobs' digests: check that before anything else.
    for (path, bytes) in &files {
        if let Some(hex) = path.strip_prefix("blobs/sha256/") {
            assert_eq!(sha256_digest(bytes), format!("sha256:{hex}"));
        }
    }
    let set = ImageSet::from_layout("slsa-verifier", &files);
    assert!(set.is_intact(), "{:?}", set.findings);
    let [image] = set.images.as_slice() else {
        return Err(format!("one image expected, got {:?}", set.images).into());
    };
    assert_eq!(
        image.digest,
        "sha256:ae01bed04d3f41efa80182824a50345cd1430f4d1a9308eda4369122bd94c85e"
    );
    assert_eq!(
        image.index_digest.as_deref(),
        Some("sha256:e0a0a765d690a5104331cfbac88ebbbf01736c1f87aaa3cd455c516a5ea586a5")
    );
    assert_eq!(image.platform, "linux/amd64");
    assert_eq!(image.user.as_deref(), Some("0"));
    assert!(image.env.iter().any(|v| v.name == "SSL_CERT_FILE"));
    assert_eq!(
        image
            .labels
            .get("org.opencontainers.image.source")
            .map(String::as_str),
        Some("https://github.com/slsa-framework/example-package")
    );
    // The cosign attestation manifest and BuildKit's attestation manifest are verified, then
    // skipped as not runnable.
    let mut skipped: Vec<&str> = set.skipped.iter().map(|s| s.digest.as_str()).collect();
    skipped.sort();
    assert_eq!(
        skipped,
        vec![
            "sha256:31cc4fb663c8d34e2e6a0bd5f183d576c2811ee286e0998b4c2965e3b35a0d86",
            "sha256:b276155e3c74e740a8bff1dd562f028dc0107551c97776c44246cb2dce55092c",
        ]
    );
    // User "0": the default image policy refuses it.
    let d = default_policy()?.check_image(&set);
    assert_eq!(codes(&d), vec!["image/runs-as-root"]);
    Ok(())
}

#[test]
fn a_tampered_blob_in_a_real_layout_is_caught() -> TestResult {
    let mut files = slsa_layout()?;
    let config = "blobs/sha256/c317e96c3edb7271ab734e75c589c324ca34795f948382a7a2aeaaf6eba89041";
    let original = files.get(config).cloned().ok_or("config blob missing")?;
    let text = String::from_utf8(original)?;
    assert!(text.contains(r#""User":"0""#));
    // Same length, so only the digest can tell.
    files.insert(
        config.to_owned(),
        text.replace(r#""User":"0""#, r#""User":"1""#).into_bytes(),
    );
    let set = ImageSet::from_layout("slsa-verifier", &files);
    assert!(set.images.is_empty(), "a tampered config must not be used");
    let d = default_policy()?.check_image(&set);
    assert!(!d.allowed());
    assert_eq!(codes(&d), vec!["image/blob-digest-mismatch"]);
    let facts = &d.violations()[0].facts;
    assert_eq!(facts["blob"], format!("sha256:{}", &config[13..]));
    assert_ne!(facts["actual_digest"], facts["expected_digest"]);
    Ok(())
}

#[test]
fn the_go_containerregistry_layout_is_verified_and_its_contradiction_refused() -> TestResult {
    let files = load_dir(&fixtures()?.join("go-containerregistry_test_index"))?;
    let set = ImageSet::from_layout("test_index", &files);
    // Every blob it touches hashes to its name; the first entry is listed as an OCI manifest but
    // is a Docker manifest, which lockkeeper does not let pass for the other.
    assert!(
        set.findings
            .iter()
            .all(|f| f.code == "image/malformed" && f.message.contains("says it is")),
        "{:?}",
        set.findings
    );
    assert_eq!(set.findings.len(), 1);
    let kinds: Vec<&str> = set.skipped.iter().map(|s| s.media_type.as_str()).collect();
    assert_eq!(kinds, vec!["application/vnd.oci.descriptor.v1+json"]);

    // The Docker manifest and its config read fine as a manifest + config pair.
    let manifest =
        &files["blobs/sha256/eebff607b1628d67459b0596643fc07de70d702eccf030f0bc7bb6fc2b278650"];
    let config =
        &files["blobs/sha256/6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e"];
    let pair = ImageSet::from_manifest("eebff", manifest, config);
    assert!(pair.is_intact(), "{:?}", pair.findings);
    assert_eq!(pair.images.len(), 1);
    assert_eq!(pair.images[0].user, None);
    // Corrupt one byte of the config: caught.
    let mut bad = config.clone();
    bad[0] = b' ';
    let pair = ImageSet::from_manifest("eebff", manifest, &bad);
    assert_eq!(pair.findings[0].code, "image/blob-digest-mismatch");
    Ok(())
}

#[test]
fn every_standalone_document_parses_as_what_it_is() -> TestResult {
    let manifests = [
        "containers--image--ociv1.manifest.json",
        "containers--image--ociv1.artifact.json",
        "containers--image--ociv1nomime.manifest.json",
        "containers--image--ociv1.encrypted.manifest.json",
        "containers-image_oci1-artifact.json",
        "containers-image_ociv1.everything.json",
        "containers-image_ociv1.invalid.mediatype.manifest.json",
        "image-spec_manifest-example.json",
        "image-spec_manifest-minimal-artifact.json",
        "oci-spec-rs_manifest.json",
    ];
    let indexes = [
        "containers--image--ociv1.image.index.json",
        "containers-image_name_lookups.index.json",
        "image-spec_image-layout-index.json",
        "image-spec_index-example.json",
        "image-spec_index-nested-example.json",
        "oci-spec-rs_index.json",
    ];
    let configs = [
        "containers-image_oci1-config.json",
        "image-spec_config-example.json",
        "oci-spec-rs_config.json",
    ];
    let mut refused = Vec::new();
    for name in manifests {
        if let Err(e) = serde_json::from_slice::<ImageManifest>(&read(name)?) {
            refused.push(format!("{name}: {e}"));
        }
    }
    for name in indexes {
        if let Err(e) = serde_json::from_slice::<ImageIndex>(&read(name)?) {
            refused.push(format!("{name}: {e}"));
        }
    }
    for name in configs {
        if let Err(e) = serde_json::from_slice::<ImageConfiguration>(&read(name)?) {
            refused.push(format!("{name}: {e}"));
        }
    }
    // containers/image's artifact fixture has `"digest": ""`, which no descriptor may have:
    // oci-spec refuses it, and so does lockkeeper (as `image/malformed` inside a layout).
    assert_eq!(
        refused,
        vec!["containers--image--ociv1.artifact.json: missing ':' in digest at line 6 column 16"]
    );
    // The withdrawn artifact manifest type has no config: not an image manifest.
    assert!(
        serde_json::from_slice::<ImageManifest>(&read("oci-spec-rs_artifact_manifest.json")?)
            .is_err()
    );
    Ok(())
}

/// A manifest for `config`, so a config fixture can go through the verified reader.
fn manifest_for(config: &[u8]) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[]}}"#,
        sha256_digest(config),
        config.len()
    )
    .into_bytes()
}

#[test]
fn the_config_fixtures_go_through_the_image_check() -> TestResult {
    let policy = default_policy()?;
    // httpd's config: no User, so root.
    let httpd = read("containers-image_oci1-config.json")?;
    let set = ImageSet::from_manifest("httpd", &manifest_for(&httpd), &httpd);
    assert!(set.is_intact(), "{:?}", set.findings);
    assert!(set.images[0].env.iter().any(|v| v.name == "HTTPD_VERSION"));
    assert_eq!(codes(&policy.check_image(&set)), vec!["image/runs-as-root"]);
    // The spec's example runs as alice, declares /var/job-result-data and /var/log/my-app-logs.
    for name in ["image-spec_config-example.json", "oci-spec-rs_config.json"] {
        let config = read(name)?;
        let set = ImageSet::from_manifest(name, &manifest_for(&config), &config);
        let image = set.images.first().ok_or("no image")?;
        assert_eq!(image.user.as_deref(), Some("alice"));
        assert_eq!(
            image.volumes,
            vec!["/var/job-result-data", "/var/log/my-app-logs"]
        );
        let d = policy.check_image(&set);
        assert!(d.allowed(), "{d}");
        // ... and is refused once the policy forbids its log volume.
        let strict = Policy::from_yaml("images: {forbidden_volumes: [\"/var/log/**\"]}")?;
        assert_eq!(
            codes(&strict.check_image(&set)),
            vec!["image/forbidden-volume"]
        );
    }
    Ok(())
}

#[test]
fn index_fixtures_with_fake_digests_are_refused_for_their_missing_blobs() -> TestResult {
    // As a layout's index.json, the spec's multi-platform example points at blobs that are not
    // there: every one is reported, none is trusted.
    let mut files = BTreeMap::new();
    files.insert(
        "oci-layout".to_owned(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    );
    files.insert(
        "index.json".to_owned(),
        read("image-spec_index-example.json")?,
    );
    let set = ImageSet::from_layout("spec-index", &files);
    assert_eq!(set.findings.len(), 2, "{:?}", set.findings);
    assert!(
        set.findings
            .iter()
            .all(|f| f.message.contains("is not in the layout"))
    );
    Ok(())
}
