//! Options objects are read strictly: a key the binding does not know is an `InvalidArg` error,
//! as an unknown keyword is a `TypeError` in Python. napi's own conversion drops unknown keys, so
//! a misspelt or snake_case option (`last_version` for `lastVersion`) would silently skip the
//! check it asks for: fail closed instead.

use napi::bindgen_prelude::*;

/// The keys of each options object, as JavaScript spells them (a test compares these with
/// `index.d.ts`, so they cannot drift from the structs).
pub(crate) const SCOPE: &[&str] = &["project", "ref", "environment"];
pub(crate) const APPROVAL_OPTIONS: &[&str] = &[
    "required",
    "author",
    "role",
    "project",
    "ref",
    "environment",
];
pub(crate) const PROVENANCE_OPTIONS: &[&str] = &["source", "ref", "commit", "buildType"];
pub(crate) const REBUILD_OPTIONS: &[&str] = &["layouts", "inventory"];
pub(crate) const GATE_REQUEST: &[&str] = &[
    "artifact",
    "to",
    "by",
    "evidence",
    "approvals",
    "author",
    "version",
    "lastVersion",
    "at",
    "project",
    "ref",
    "rollback",
    "emergency",
    "images",
];
pub(crate) const APPROVAL_INPUT: &[&str] = &["principal", "at"];

/// Checks the keys of `value`, then converts it as napi would.
pub(crate) fn strict<T: FromNapiValue>(value: Object<'_>, what: &str, known: &[&str]) -> Result<T> {
    check_keys(&value, what, known)?;
    T::from_unknown(value.to_unknown())
}

/// Refuses keys of `value` outside `known`, naming them and the known ones.
pub(crate) fn check_keys(value: &Object<'_>, what: &str, known: &[&str]) -> Result<()> {
    let names = value.get_property_names()?;
    let mut unknown = Vec::new();
    for i in 0..names.get_array_length()? {
        let key: String = names.get_element(i)?;
        if !known.contains(&key.as_str()) {
            unknown.push(format!("`{key}`"));
        }
    }
    if unknown.is_empty() {
        return Ok(());
    }
    Err(Error::new(
        Status::InvalidArg,
        format!(
            "{what}: unknown option {} (known: {})",
            unknown.join(", "),
            known.join(", ")
        ),
    ))
}

/// A gate request, with each of its approvals checked too.
pub(crate) fn gate_request<T: FromNapiValue>(value: Object<'_>) -> Result<T> {
    check_keys(&value, "request", GATE_REQUEST)?;
    if value.has_named_property("approvals")? {
        let approvals: Unknown<'_> = value.get_named_property("approvals")?;
        if approvals.is_array()? {
            let approvals = Object::from_unknown(approvals)?;
            for i in 0..approvals.get_array_length()? {
                let approval: Unknown<'_> = approvals.get_element(i)?;
                if approval.get_type()? == ValueType::Object {
                    check_keys(&Object::from_unknown(approval)?, "approval", APPROVAL_INPUT)?;
                }
            }
        }
    }
    T::from_unknown(value.to_unknown())
}
