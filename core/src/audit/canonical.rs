//! The one byte form of a JSON value that hashes and signatures cover.
//!
//! A hash over JSON is only as good as the agreement on which bytes it covers. Entries are
//! written, and must be found on disk, in exactly one form: object keys in byte order, no
//! whitespace, strings with the minimal escapes serde_json writes, numbers as serde_json writes
//! them (integers as integers, floats in their shortest round-trip form). Keys are sorted here
//! explicitly rather than trusting the map type, so a build that turns on serde_json's
//! `preserve_order` (feature unification can do that behind our back) still writes the same
//! bytes.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

/// A value serialized with sorted keys.
struct Sorted<'a>(&'a Value);

/// An object serialized with sorted keys (for callers holding a map, not a value).
pub(crate) struct SortedMap<'a>(pub &'a Map<String, Value>);

impl Serialize for SortedMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<(&String, &Value)> = self.0.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = serializer.serialize_map(Some(entries.len()))?;
        for (key, value) in entries {
            out.serialize_entry(key, &Sorted(value))?;
        }
        out.end()
    }
}

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => SortedMap(map).serialize(serializer),
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Sorted(item))?;
                }
                out.end()
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

/// The canonical bytes of `value`.
pub(crate) fn to_vec(value: &Value) -> Vec<u8> {
    to_vec_of(&Sorted(value))
}

/// The bytes serde_json writes for `value`, which must itself sort any map it holds.
pub(crate) fn to_vec_of<T: Serialize>(value: &T) -> Vec<u8> {
    // Writing JSON (string keys only) into memory cannot fail; if it ever did, the empty result
    // would not match any line on disk and verification would report it.
    serde_json::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attestation::strict_json;

    fn round_trip(text: &str) -> Result<(), Box<dyn std::error::Error>> {
        let first = to_vec(&strict_json::parse(text.as_bytes())?);
        let second = to_vec(&strict_json::parse(&first)?);
        assert_eq!(
            String::from_utf8_lossy(&first),
            String::from_utf8_lossy(&second),
            "from {text}"
        );
        Ok(())
    }

    #[test]
    fn keys_are_sorted_at_every_depth_and_whitespace_dropped()
    -> Result<(), Box<dyn std::error::Error>> {
        let v =
            strict_json::parse(br#"{ "b": [ {"z": 1, "a": 2} ], "a": {"y": null, "x": true} }"#)?;
        assert_eq!(
            String::from_utf8(to_vec(&v))?,
            r#"{"a":{"x":true,"y":null},"b":[{"a":2,"z":1}]}"#
        );
        Ok(())
    }

    #[test]
    fn parse_and_reserialize_is_stable() -> Result<(), Box<dyn std::error::Error>> {
        for text in [
            r#"{"f": [0.1, 1.5e300, -0.0, 1e-7, 123456789.123456789, 5e-324, 1.7976931348623157e308]}"#,
            r#"{"i": [0, -1, 9007199254740993, 18446744073709551615, -9223372036854775808]}"#,
            r#"{"big": 18446744073709551616, "tiny": 1e-400}"#,
            r#"{"s": "é ✓ 𝄞 \u00e9 \ud834\udd1e \" \\ \/ \b\f\n\r\t \u0001 \u007f \u2028"}"#,
            r#"{"nested": {"a": [[], {}, [{"b": {"c": [1, "2", null, false]}}]]}}"#,
            r#"{"ключ": 1, "Z": 2, "a": 3, "é": 4, "": 5}"#,
        ] {
            round_trip(text)?;
        }
        Ok(())
    }

    #[test]
    fn unicode_is_written_raw_and_control_characters_escaped()
    -> Result<(), Box<dyn std::error::Error>> {
        let v = strict_json::parse(br#"{"s": "\u00e9\u0001\n"}"#)?;
        assert_eq!(String::from_utf8(to_vec(&v))?, "{\"s\":\"é\\u0001\\n\"}");
        Ok(())
    }
}
