//! What the test files share: the vendored third-party corpus, and the JSON Schemas outputs
//! and documents are checked against.
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

/// A JSON Schema of the repository (`rel` to the core crate), compiled; `mend` rewrites what the
/// validator cannot read before it compiles.
pub fn schema(rel: &str, mend: &dyn Fn(String) -> String) -> Result<jsonschema::Validator, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let schema: serde_json::Value = serde_json::from_str(&mend(text)).map_err(|e| e.to_string())?;
    jsonschema::validator_for(&schema).map_err(|e| e.to_string())
}

/// What a schema says is wrong with `doc` (the first three), or why it did not compile.
pub fn schema_errors(
    schema: &Result<jsonschema::Validator, String>,
    doc: &serde_json::Value,
) -> Vec<String> {
    match schema {
        Ok(v) => v.iter_errors(doc).take(3).map(|e| e.to_string()).collect(),
        Err(e) => vec![e.clone()],
    }
}
