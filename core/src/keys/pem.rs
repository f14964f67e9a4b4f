//! PEM armour, read leniently (any line length, CRLF) and strictly in what matters: exactly one
//! block, with matching labels and valid base64. The DER inside is checked by its parser.

use super::KeyError;
use crate::attestation::dsse::decode_base64;

/// The label and DER bytes of the one PEM block in `text`.
pub(super) fn decode(text: &str) -> Result<(String, Vec<u8>), KeyError> {
    let text = text.trim();
    let rest = text
        .strip_prefix("-----BEGIN ")
        .ok_or_else(|| KeyError::Format("PEM text must start with `-----BEGIN`".into()))?;
    let (label, rest) = rest
        .split_once("-----")
        .ok_or_else(|| KeyError::Format("PEM header is not closed".into()))?;
    let footer = format!("-----END {label}-----");
    let (body, after) = rest
        .split_once(&footer)
        .ok_or_else(|| KeyError::Format(format!("PEM block `{label}` has no `{footer}`")))?;
    if !after.trim().is_empty() {
        return Err(KeyError::Format(
            "more than one PEM block: give one key per file or string".into(),
        ));
    }
    if body.contains(':') {
        return Err(KeyError::Format(format!(
            "PEM block `{label}` has headers (an encrypted legacy key?): give an unencrypted key"
        )));
    }
    let joined: String = body.split_whitespace().collect();
    let der = decode_base64(&joined)
        .ok_or_else(|| KeyError::Format(format!("PEM block `{label}` is not base64")))?;
    Ok((label.to_owned(), der))
}

/// `der` as a PEM block with 64-character lines and a final newline (as OpenSSL and Python's
/// `cryptography` write it).
pub(super) fn encode(label: &str, der: &[u8]) -> String {
    let b64 = crate::attestation::dsse::encode_base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
