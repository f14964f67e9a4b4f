//! securesystemslib's key ids: sha256 of the OLPC canonical JSON of the key object.

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::digest::hex;

/// The hash algorithms in-toto's older key files listed, and hashed into the id.
const LEGACY_HASH_ALGORITHMS: [&str; 2] = ["sha256", "sha512"];

pub(super) fn canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, olpc_cjson::CanonicalFormatter::new());
    // Serializing a JSON value of strings and arrays into memory cannot fail.
    let _ = serde::Serialize::serialize(value, &mut ser);
    out
}

pub(super) fn keyid_of(object: &Value) -> String {
    hex(&Sha256::digest(canonical_json(object)))
}

/// The ids a key object is known by: the current one, then the legacy one when `legacy`
/// (the file's `keyid_hash_algorithms`) is given and differs.
pub(super) fn keyids(
    keytype: &str,
    scheme: &str,
    public: &str,
    legacy: Option<&Value>,
) -> Vec<String> {
    let mut object = json!({"keytype": keytype, "scheme": scheme, "keyval": {"public": public}});
    let mut ids = vec![keyid_of(&object)];
    if let (Some(algs), Some(map)) = (legacy, object.as_object_mut()) {
        map.insert("keyid_hash_algorithms".into(), algs.clone());
        let old = keyid_of(&object);
        if !ids.contains(&old) {
            ids.push(old);
        }
    }
    ids
}

/// The ids of a PEM key read from a file: securesystemslib's `from_pem` writes the PEM with its
/// final newline; in-toto's older tools stripped it and hashed the default hash algorithms too.
pub(super) fn pem_keyids(keytype: &str, scheme: &str, pem: &str) -> Vec<String> {
    let mut ids = keyids(keytype, scheme, pem, None);
    let legacy = keyids(
        keytype,
        scheme,
        pem.trim_end(),
        Some(&json!(LEGACY_HASH_ALGORITHMS)),
    );
    for id in legacy.into_iter().skip(1) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}
