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
pub(crate) const BUNDLE_OPTIONS: &[&str] = &["artifact", "digest", "identity", "keys"];
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

/// A count given as a JavaScript number (a threshold, a number of approvals): a whole number
/// from 0 up. napi's own `u32` conversion wraps -1 to 4294967295 and truncates 1.5 to 1, which
/// would quietly ask for another number than the caller wrote: refuse instead.
pub(crate) fn count(value: f64, name: &str) -> Result<usize> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= f64::from(u32::MAX) {
        // Checked just above: a whole number in u32's range converts exactly.
        Ok(value as usize)
    } else {
        Err(Error::new(
            Status::InvalidArg,
            format!("`{name}` must be a whole number from 0 up, got {value}"),
        ))
    }
}

/// Checks the keys of `value`, then converts it as napi would.
pub(crate) fn strict<T: FromNapiValue>(value: Object<'_>, what: &str, known: &[&str]) -> Result<T> {
    strict_nested(value, what, known, &[])
}

/// As [`strict`], and each object of the array fields named in `nested` (field, what it is,
/// its keys) is checked too: napi would drop their unknown keys as well.
pub(crate) fn strict_nested<T: FromNapiValue>(
    value: Object<'_>,
    what: &str,
    known: &[&str],
    nested: &[(&str, &str, &[&str])],
) -> Result<T> {
    check_keys(&value, what, known)?;
    for &(field, item, keys) in nested {
        if !value.has_named_property(field)? {
            continue;
        }
        let list: Unknown<'_> = value.get_named_property(field)?;
        if !list.is_array()? {
            continue;
        }
        let list = Object::from_unknown(list)?;
        for i in 0..list.get_array_length()? {
            let element: Unknown<'_> = list.get_element(i)?;
            if element.get_type()? == ValueType::Object {
                check_keys(&Object::from_unknown(element)?, item, keys)?;
            }
        }
    }
    T::from_unknown(value.to_unknown())
}

/// Refuses keys of `value` outside `known`, naming them and the known ones.
fn check_keys(value: &Object<'_>, what: &str, known: &[&str]) -> Result<()> {
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
    Err(unknown_options(what, &unknown, known))
}

fn unknown_options(what: &str, unknown: &[String], known: &[&str]) -> Error {
    Error::new(
        Status::InvalidArg,
        format!(
            "{what}: unknown option {} (known: {})",
            unknown.join(", "),
            known.join(", ")
        ),
    )
}

/// A scope object (`{project, ref, environment}`, each a string when given), read in one pass
/// over its keys: a key that is not a scope field is refused, as [`strict`] refuses it, and each
/// field's value is read as its key is met. Through [`strict`] the keys were listed, then
/// napi's derived conversion looked every field up again by a name it allocated: about 1.9 µs
/// of an `authorize` call. A field is read only from the keys listed (own or inherited,
/// enumerable), so nothing the key check did not see is read.
pub(crate) fn scope(value: Object<'_>) -> Result<lockkeeper::Scope> {
    let names = value.get_property_names()?;
    let mut fields: [Option<String>; 3] = [None, None, None];
    let mut unknown = Vec::new();
    for i in 0..names.get_array_length_unchecked()? {
        let key: Unknown<'_> = names.get_element(i)?;
        let name = String::from_unknown(key)?;
        let Some(slot) = SCOPE.iter().position(|k| *k == name) else {
            unknown.push(format!("`{name}`"));
            continue;
        };
        let field: Unknown<'_> = value.get_property_unchecked(key)?;
        let text = match field.get_type()? {
            ValueType::Undefined | ValueType::Null => None,
            ValueType::String => Some(String::from_unknown(field)?),
            // napi's own wording, which lockkeeper.js turns into "`scope.<field>` must be a
            // string" as it does for every other options object.
            _ => {
                return Err(Error::new(
                    Status::StringExpected,
                    format!(
                        "Failed to convert JavaScript value into rust type `String` on Scope.{name}"
                    ),
                ));
            }
        };
        if let Some(f) = fields.get_mut(slot) {
            *f = text;
        }
    }
    if !unknown.is_empty() {
        return Err(unknown_options("scope", &unknown, SCOPE));
    }
    let [project, git_ref, environment] = fields;
    Ok(lockkeeper::Scope {
        project,
        git_ref,
        environment,
    })
}
