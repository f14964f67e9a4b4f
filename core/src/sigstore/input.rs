//! The files people already have, read into bundles.
//!
//! - a bundle (`*.sigstore.json`, `cosign sign-blob --bundle`, npm's provenance bundle);
//! - JSON Lines, one bundle per line (`gh attestation download`), where a line may also be an
//!   object with the bundle under `bundle` (the GitHub attestations API's shape);
//! - npm's attestations document (`{"attestations": [{"predicateType", "bundle"}]}`);
//! - PyPI's PEP 740 attestation object, and the provenance object that lists them under
//!   `attestation_bundles[].attestations[]`, each converted as PEP 740 describes: the
//!   certificate and transparency entries become the verification material and the statement
//!   and signature a DSSE envelope with the in-toto payload type.

use serde_json::{Value, json};

use super::{Bundle, SigstoreError};
use crate::rule::codes;

const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

fn malformed(message: impl Into<String>) -> SigstoreError {
    SigstoreError::new(codes::SIGSTORE_MALFORMED_BUNDLE, message)
}

/// Every bundle in `bytes`, in file order, whatever the container; an empty file or a
/// container with no bundle is an error, as is any entry that is not a bundle (one bad line
/// fails the file rather than being skipped).
pub fn parse_bundles(bytes: &[u8]) -> Result<Vec<Bundle>, SigstoreError> {
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("the bundle file is not UTF-8"))?;
    let found = match serde_json::from_str::<Value>(text) {
        Ok(value) => from_document(value, "bundle")?,
        Err(whole) => {
            let mut all = Vec::new();
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let value: Value = serde_json::from_str(line).map_err(|e| {
                    if n == 0 {
                        malformed(format!("not JSON, nor JSON Lines: {whole}"))
                    } else {
                        malformed(format!("line {}: not JSON: {e}", n + 1))
                    }
                })?;
                all.extend(from_document(value, &format!("line {}", n + 1))?);
            }
            all
        }
    };
    if found.is_empty() {
        return Err(malformed("the file holds no Sigstore bundle"));
    }
    Ok(found)
}

fn from_document(value: Value, origin: &str) -> Result<Vec<Bundle>, SigstoreError> {
    let Value::Object(map) = &value else {
        return Err(malformed(format!("{origin}: expected a JSON object")));
    };
    if map.contains_key("mediaType") {
        return Ok(vec![Bundle::from_value(value, origin.to_owned())?]);
    }
    if let Some(bundle) = map.get("bundle") {
        return Ok(vec![Bundle::from_value(
            bundle.clone(),
            format!("{origin} bundle"),
        )?]);
    }
    if let Some(Value::Array(list)) = map.get("attestations") {
        return list
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let where_ = format!("{origin} attestations[{i}]");
                match a.get("bundle") {
                    Some(b) => Bundle::from_value(b.clone(), where_),
                    None => Err(malformed(format!("{where_}: no `bundle`"))),
                }
            })
            .collect();
    }
    if let Some(Value::Array(groups)) = map.get("attestation_bundles") {
        let mut out = Vec::new();
        for (g, group) in groups.iter().enumerate() {
            let Some(Value::Array(list)) = group.get("attestations") else {
                return Err(malformed(format!(
                    "{origin} attestation_bundles[{g}]: no `attestations` list"
                )));
            };
            for (i, a) in list.iter().enumerate() {
                let where_ = format!("{origin} attestation_bundles[{g}].attestations[{i}]");
                out.push(Bundle::from_value(pep740(a, &where_)?, where_)?);
            }
        }
        return Ok(out);
    }
    if map.contains_key("verification_material") && map.contains_key("envelope") {
        let where_ = format!("{origin} (PEP 740)");
        return Ok(vec![Bundle::from_value(pep740(&value, &where_)?, where_)?]);
    }
    Err(malformed(format!(
        "{origin}: not a Sigstore bundle (no `mediaType`), a JSON Lines file of them, an npm attestations document, nor a PEP 740 attestation"
    )))
}

/// A PEP 740 attestation object as the v0.3 bundle it stands for.
fn pep740(attestation: &Value, origin: &str) -> Result<Value, SigstoreError> {
    if attestation.get("version") != Some(&json!(1)) {
        return Err(malformed(format!(
            "{origin}: PEP 740 attestation version {} is not 1",
            attestation.get("version").unwrap_or(&Value::Null)
        )));
    }
    let field = |path: &[&str]| -> Result<&Value, SigstoreError> {
        let mut v = attestation;
        for p in path {
            v = v
                .get(p)
                .ok_or_else(|| malformed(format!("{origin}: missing `{}`", path.join("."))))?;
        }
        Ok(v)
    };
    let certificate = field(&["verification_material", "certificate"])?;
    let entries = field(&["verification_material", "transparency_entries"])?;
    let statement = field(&["envelope", "statement"])?;
    let signature = field(&["envelope", "signature"])?;
    Ok(json!({
        "mediaType": BUNDLE_V03,
        "verificationMaterial": {
            "certificate": {"rawBytes": certificate},
            "tlogEntries": entries,
        },
        "dsseEnvelope": {
            "payload": statement,
            "payloadType": crate::attestation::IN_TOTO_PAYLOAD_TYPE,
            "signatures": [{"sig": signature}],
        },
    }))
}
