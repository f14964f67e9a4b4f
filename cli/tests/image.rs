//! `lockkeeper image ...`: exit codes, text and JSON output, and real OCI layouts built with
//! `umoci` (Debian package `umoci`), checked against the example image policy.
//!
//! The umoci test skips with a message when umoci is not installed, unless
//! `LOCKKEEPER_REQUIRE_UMOCI=1` (set by scripts/test.sh once it has installed umoci), in which
//! case a missing umoci fails it.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{TestResult, lockkeeper, path, stderr, stdout};

use serde_json::Value;

fn json(out: &Output) -> Result<Value, serde_json::Error> {
    serde_json::from_slice(&out.stdout)
}

fn codes(decision: &Value) -> Vec<String> {
    let mut out: Vec<String> = decision["violations"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .filter_map(|v| v["code"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

const CASE_POLICY: &str = "core/tests/cases/policies/images.yaml";

#[test]
fn image_check_allows_with_0_denies_with_1_and_explains_in_json() -> TestResult {
    let policy = path(CASE_POLICY);
    let ok = lockkeeper(&[
        "image",
        "check",
        "--policy",
        &policy,
        &path("core/tests/cases/images/app"),
        &path("core/tests/cases/images/multi-platform"),
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}{}", stdout(&ok), stderr(&ok));
    assert!(stdout(&ok).contains("ALLOW image "));
    assert!(stdout(&ok).contains("(linux/arm64)"));

    let out = lockkeeper(&[
        "image",
        "check",
        "--policy",
        &policy,
        "--json",
        &path("core/tests/cases/images/app"),
        &path("core/tests/cases/images/app-secret"),
        &path("core/tests/cases/images/tampered"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out)?;
    assert_eq!(v["allowed"], false);
    let decisions = v["decisions"].as_array().ok_or("no decisions")?;
    assert_eq!(decisions.len(), 3);
    assert_eq!(decisions[0]["allowed"], true);
    assert_eq!(codes(&decisions[1]), vec!["image/secret-in-env"]);
    let secret = &decisions[1]["violations"][0];
    assert_eq!(secret["facts"]["variable"], "DB_PASSWORD");
    assert!(
        !out.stdout.windows(7).any(|w| w == b"hunter2"),
        "the secret's value must never be printed"
    );
    assert_eq!(codes(&decisions[2]), vec!["image/blob-digest-mismatch"]);
    assert_eq!(decisions[2]["images"].as_array().map(Vec::len), Some(0));
    Ok(())
}

#[test]
fn image_check_reads_a_manifest_and_config_pair() {
    let policy = path(CASE_POLICY);
    let run = |config: &str| {
        lockkeeper(&[
            "image",
            "check",
            "--policy",
            &policy,
            "--manifest",
            &path("core/tests/cases/images/pair/manifest.json"),
            "--config",
            &path(config),
        ])
    };
    let ok = run("core/tests/cases/images/pair/config.json");
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let bad = run("core/tests/cases/images/pair/config-as-root.json");
    assert_eq!(bad.status.code(), Some(1));
    assert!(stdout(&bad).contains("error[image/blob-digest-mismatch]"));

    let config = "core/tests/cases/images/pair/config-as-root.json";
    let sarif = lockkeeper(&[
        "image",
        "check",
        "--policy",
        &policy,
        "--output",
        "sarif",
        "--manifest",
        &path("core/tests/cases/images/pair/manifest.json"),
        "--config",
        &path(config),
    ]);
    assert_eq!(sarif.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_str(&stdout(&sarif)).unwrap_or_default();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "image/blob-digest-mismatch");
    assert!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
}

#[test]
fn image_commands_exit_2_on_bad_input() {
    let policy = path(CASE_POLICY);
    let out = lockkeeper(&["image", "check", "--policy", &policy, "/nonexistent/layout"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read /nonexistent/layout"));
    let out = lockkeeper(&["image", "check", "--policy", &policy]);
    assert_eq!(out.status.code(), Some(2));
    let out = lockkeeper(&[
        "image",
        "rebuild-plan",
        "--vulnerable",
        "debian:12",
        "--inventory",
        &path("examples/images/inventory.json"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("error[image/invalid-digest]"),
        "{}",
        stderr(&out)
    );
    // A tampered layout cannot be part of an inventory: the plan could miss what is built on it.
    let out = lockkeeper(&[
        "image",
        "rebuild-plan",
        "--vulnerable",
        "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        &path("core/tests/cases/images/tampered"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("error[image/blob-digest-mismatch]"));
    let bad_inventory =
        std::env::temp_dir().join(format!("lk-inventory-{}.json", std::process::id()));
    let _ = fs::write(&bad_inventory, r#"[{"name": "a", "digest": "sha256:12"}]"#);
    let inv = bad_inventory.to_string_lossy().into_owned();
    let out = lockkeeper(&[
        "image",
        "rebuild-plan",
        "--vulnerable",
        "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        "--inventory",
        &inv,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("{inv}:1:26: error[image/invalid-inventory]")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rebuild_plan_from_the_example_inventory() -> TestResult {
    let out = lockkeeper(&[
        "image",
        "rebuild-plan",
        "--vulnerable",
        "sha256:4444444444444444444444444444444444444444444444444444444444444444",
        "--inventory",
        &path("examples/images/inventory.json"),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out)?;
    let waves: Vec<Vec<&str>> = v["waves"]
        .as_array()
        .ok_or("no waves")?
        .iter()
        .map(|w| {
            w.as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["name"].as_str())
                .collect()
        })
        .collect();
    assert_eq!(
        waves,
        vec![
            vec!["docker-registry.example.org/php8.2-fpm:8.2"],
            vec!["docker-registry.example.org/mediawiki:1.45"],
            vec!["docker-registry.example.org/mediawiki-multiversion:2025-11-24"],
        ]
    );
    assert_eq!(v["missing_bases"].as_array().map(Vec::len), Some(2));
    let text = lockkeeper(&[
        "image",
        "rebuild-plan",
        "--vulnerable",
        "sha256:4444444444444444444444444444444444444444444444444444444444444444",
        "--inventory",
        &path("examples/images/inventory.json"),
    ]);
    let text = stdout(&text);
    assert!(text.contains("3 image(s) in 3 wave(s)"), "{text}");
    assert!(text.contains("via docker-registry.example.org/php8.2-fpm:8.2 -> docker-registry.example.org/mediawiki:1.45\n"));
    Ok(())
}

// ---- real layouts built with umoci ----

fn umoci_available() -> bool {
    Command::new("umoci")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn umoci(args: &[&str]) -> Result<(), String> {
    let out = Command::new("umoci")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run umoci: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "umoci {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The manifest digest of the only image in a layout.
fn manifest_digest(layout: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let index: Value = serde_json::from_slice(&fs::read(layout.join("index.json"))?)?;
    let manifests = index["manifests"].as_array().ok_or("no manifests")?;
    assert_eq!(manifests.len(), 1, "{index}");
    Ok(manifests[0]["digest"]
        .as_str()
        .ok_or("no digest")?
        .to_owned())
}

const ROOT_NAME: &str = "docker-registry.example.org/bookworm:20251123";
const TOOLCHAIN: &str = "org.lockkeeper.image.toolchain=house-builder/1.4";

struct Lab {
    dir: PathBuf,
    root_digest: String,
}

impl Lab {
    /// Builds the root: a Debian-like base with one real layer, named by a `ref.name`
    /// annotation in its manifest, labelled by the toolchain, running as nobody.
    fn new() -> Result<Lab, Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("lockkeeper-umoci-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("files"))?;
        fs::write(dir.join("files/debian_version"), "12.8\n")?;
        fs::write(dir.join("files/app"), "#!/bin/sh\necho hello\n")?;
        let root = dir.join("root");
        let r = root.to_string_lossy().into_owned();
        umoci(&["init", "--layout", &r])?;
        umoci(&["new", "--image", &format!("{r}:20251123")])?;
        let version = dir
            .join("files/debian_version")
            .to_string_lossy()
            .into_owned();
        umoci(&[
            "insert",
            "--image",
            &format!("{r}:20251123"),
            &version,
            "/etc/debian_version",
        ])?;
        umoci(&[
            "config",
            "--image",
            &format!("{r}:20251123"),
            "--config.user",
            "65534",
            "--config.label",
            TOOLCHAIN,
            "--config.env",
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "--manifest.annotation",
            &format!("org.opencontainers.image.ref.name={ROOT_NAME}"),
        ])?;
        let root_digest = manifest_digest(&root)?;
        Ok(Lab { dir, root_digest })
    }

    /// An image built on the root: a copy of its layout with a layer added and the config
    /// changed, retagged `1`, with the root's tag removed.
    fn child(&self, name: &str, config: &[String]) -> Result<String, Box<dyn std::error::Error>> {
        let layout = self.dir.join(name);
        copy_dir(&self.dir.join("root"), &layout)?;
        let l = layout.to_string_lossy().into_owned();
        let app = self.dir.join("files/app").to_string_lossy().into_owned();
        umoci(&[
            "insert",
            "--image",
            &format!("{l}:20251123"),
            &app,
            "/srv/app/run",
        ])?;
        let mut args = vec![
            "config".to_owned(),
            "--image".to_owned(),
            format!("{l}:20251123"),
            "--tag".to_owned(),
            "1".to_owned(),
            "--clear=manifest.annotations".to_owned(),
        ];
        args.extend(config.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        umoci(&args)?;
        umoci(&["rm", "--image", &format!("{l}:20251123")])?;
        umoci(&["gc", "--layout", &l])?;
        Ok(l)
    }

    fn based_on_root(&self) -> Vec<String> {
        vec![
            "--manifest.annotation".to_owned(),
            format!("org.opencontainers.image.base.name={ROOT_NAME}"),
            "--manifest.annotation".to_owned(),
            format!("org.opencontainers.image.base.digest={}", self.root_digest),
        ]
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn umoci_built_layouts_are_checked_against_the_example_policy() -> TestResult {
    if !umoci_available() {
        if std::env::var("LOCKKEEPER_REQUIRE_UMOCI").as_deref() == Ok("1") {
            return Err("umoci is required (LOCKKEEPER_REQUIRE_UMOCI=1) but not installed".into());
        }
        eprintln!(
            "SKIPPED umoci_built_layouts_are_checked_against_the_example_policy: umoci is not installed (apt-get install -y umoci)"
        );
        return Ok(());
    }
    let lab = Lab::new()?;
    let base = lab.based_on_root();
    let with = |extra: &[&str]| -> Vec<String> {
        let mut v = base.clone();
        v.extend(extra.iter().map(|s| (*s).to_owned()));
        v
    };
    let app = lab.child(
        "app",
        &with(&["--config.user", "1000", "--config.label", TOOLCHAIN]),
    )?;
    let as_root = lab.child(
        "as-root",
        &with(&["--config.user", "0:0", "--config.label", TOOLCHAIN]),
    )?;
    let secret = lab.child(
        "secret",
        &with(&[
            "--config.user",
            "1000",
            "--config.label",
            TOOLCHAIN,
            "--config.env",
            "MEDIAWIKI_DB_PASSWORD=correct-horse-battery-staple",
        ]),
    )?;
    let external_args: Vec<String> = [
        "--config.user",
        "1000",
        "--config.label",
        TOOLCHAIN,
        "--manifest.annotation",
        "org.opencontainers.image.base.name=docker.io/library/debian:12",
        "--manifest.annotation",
        "org.opencontainers.image.base.digest=sha256:b877a1a3fdf02469440f1768cf69c9771338a875b7add5e80c45b756c92ac20a",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let external = lab.child("external", &external_args)?;
    let root = lab.dir.join("root").to_string_lossy().into_owned();
    let policy = path("examples/images/policy.yaml");

    let out = lockkeeper(&[
        "image", "check", "--policy", &policy, "--json", &root, &app, &as_root, &secret, &external,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out)?;
    let decisions = v["decisions"].as_array().ok_or("no decisions")?;
    let got: Vec<Vec<String>> = decisions.iter().map(codes).collect();
    let none: Vec<String> = Vec::new();
    assert_eq!(
        got,
        vec![
            none.clone(),
            none,
            vec!["image/runs-as-root".to_owned()],
            vec!["image/secret-in-env".to_owned()],
            vec![
                "image/external-base".to_owned(),
                "image/unknown-lineage".to_owned()
            ],
        ],
        "{}",
        serde_json::to_string_pretty(&v)?
    );
    // The root is recognised by the name in its manifest annotation.
    assert_eq!(
        decisions[0]["images"][0]["name"],
        format!("{ROOT_NAME} (linux/amd64)")
    );
    assert_eq!(
        decisions[3]["violations"][0]["facts"]["variable"],
        "MEDIAWIKI_DB_PASSWORD"
    );
    assert!(!stdout(&out).contains("correct-horse"));

    // Each child alone still has a known lineage: its base annotation names the approved root.
    let out = lockkeeper(&["image", "check", "--policy", &policy, &app]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // Tamper with the app's config blob in place: caught, and the config is not used.
    let app_digest = manifest_digest(Path::new(&app))?;
    let manifest: Value = serde_json::from_slice(&fs::read(
        Path::new(&app).join("blobs/sha256").join(&app_digest[7..]),
    )?)?;
    let config_digest = manifest["config"]["digest"].as_str().ok_or("no config")?;
    let config_path = Path::new(&app)
        .join("blobs/sha256")
        .join(&config_digest[7..]);
    let original = fs::read_to_string(&config_path)?;
    fs::write(
        &config_path,
        original.replace("\"User\":\"1000\"", "\"User\":\"0001\""),
    )?;
    let out = lockkeeper(&["image", "check", "--policy", &policy, &app]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("error[image/blob-digest-mismatch]"),
        "{}",
        stdout(&out)
    );
    fs::write(&config_path, original)?;

    // The rebuild plan over the same layouts: the root first, then everything built on it.
    let out = lockkeeper(&[
        "image",
        "rebuild-plan",
        "--vulnerable",
        &lab.root_digest,
        "--json",
        &root,
        &app,
        &as_root,
        &secret,
        &external,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = json(&out)?;
    let waves = plan["waves"].as_array().ok_or("no waves")?;
    assert_eq!(waves.len(), 2, "{plan}");
    assert_eq!(waves[0][0]["digest"], lab.root_digest.as_str());
    assert_eq!(waves[1].as_array().map(Vec::len), Some(3), "{plan}");
    for image in waves[1].as_array().into_iter().flatten() {
        assert_eq!(image["path"][0]["digest"], lab.root_digest.as_str());
    }
    // The image on an external base is reported as having a base outside the inventory.
    assert_eq!(plan["missing_bases"].as_array().map(Vec::len), Some(1));
    Ok(())
}
