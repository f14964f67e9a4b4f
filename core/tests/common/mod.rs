//! What the test files that read the vendored third-party corpus share.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The vendored corpus, inside the repository (see testdata/README.md).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/fixtures")
}

/// A corpus file's bytes; the error names the path.
pub fn read(rel: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let path = fixtures().join(rel);
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()).into())
}
