//! YAML as the importers see it: every node with its line, column and tag.
//!
//! CI files are messy: GitLab's `!reference`, Zuul's `!encrypted/pkcs1-oaep`, anchors and merge
//! keys, several documents in one file. serde-saphyr resolves anchors and merge keys, keeps
//! custom tags (instead of failing on them) and gives each node its position, so an importer
//! can say exactly where a construct it does not understand is.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Spanned, Tagged};

use crate::source::Location;

/// One YAML node.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub loc: Option<Location>,
    /// A custom tag such as `!reference` (core tags like `!!str` are dropped).
    pub tag: Option<String>,
    pub v: V,
}

/// A node's value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum V {
    Map(Vec<Entry>),
    Seq(Vec<Node>),
    Str(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    Null,
}

/// One mapping entry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_loc: Option<Location>,
    pub value: Node,
}

pub(crate) static NULL: Node = Node {
    loc: None,
    tag: None,
    v: V::Null,
};

impl Node {
    /// The value of `key` in a mapping (the last one, if written twice).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.v {
            V::Map(entries) => entries
                .iter()
                .rev()
                .find(|e| e.key == key)
                .map(|e| &e.value),
            _ => None,
        }
    }

    /// The entry of `key`, for its position.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.v {
            V::Map(entries) => entries.iter().rev().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Mapping entries (none for other nodes).
    pub fn entries(&self) -> &[Entry] {
        match &self.v {
            V::Map(entries) => entries,
            _ => &[],
        }
    }

    /// Sequence items (none for other nodes).
    pub fn items(&self) -> &[Node] {
        match &self.v {
            V::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.v, V::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.v, V::Seq(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.v, V::Null)
    }

    /// A string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.v {
            V::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Any scalar as text (numbers and booleans spelt the YAML way).
    pub fn scalar(&self) -> Option<String> {
        match &self.v {
            V::Str(s) => Some(s.clone()),
            V::Bool(b) => Some(b.to_string()),
            V::Int(i) => Some(i.to_string()),
            V::Float(f) => Some(f.to_string()),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.v {
            V::Bool(b) => Some(*b),
            V::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            V::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// A scalar or a list of scalars, as texts (what "one or many" fields accept).
    pub fn strings(&self) -> Vec<String> {
        match &self.v {
            V::Seq(items) => items.iter().filter_map(Node::scalar).collect(),
            V::Null => Vec::new(),
            _ => self.scalar().into_iter().collect(),
        }
    }

    /// What kind of node, for messages.
    pub fn kind(&self) -> &'static str {
        match &self.v {
            V::Map(_) => "a mapping",
            V::Seq(_) => "a list",
            V::Str(_) => "a string",
            V::Bool(_) => "a boolean",
            V::Int(_) | V::Float(_) => "a number",
            V::Null => "empty",
        }
    }

    /// Every string anywhere below this node (for scanning scripts and expressions).
    pub fn visit_strings<'a>(&'a self, f: &mut dyn FnMut(&'a str)) {
        match &self.v {
            V::Str(s) => f(s),
            V::Seq(items) => items.iter().for_each(|i| i.visit_strings(f)),
            V::Map(entries) => entries.iter().for_each(|e| e.value.visit_strings(f)),
            _ => {}
        }
    }
}

/// Reads every document of a YAML stream. The error is the parser's message and position.
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, (String, Option<Location>)> {
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::LastWins,
        with_snippet: false,
    };
    serde_saphyr::from_str_multiple_with_options::<Node, Vec<Node>>(text, options).map_err(|e| {
        let loc = e.location().and_then(|l| to_location(&l));
        let message = e.to_string();
        let first = message.lines().next().unwrap_or_default().trim().to_owned();
        (first, loc)
    })
}

fn to_location(loc: &serde_saphyr::Location) -> Option<Location> {
    let (line, column) = (loc.line(), loc.column());
    (line > 0).then_some(Location {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    })
}

fn custom_tag(tag: Option<String>) -> Option<String> {
    tag.filter(|t| !t.starts_with("tag:yaml.org,2002:"))
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Tagged<V>>::deserialize(deserializer)?;
        let Tagged(v, tag) = spanned.value;
        Ok(Node {
            loc: to_location(&spanned.referenced),
            tag: custom_tag(tag),
            v,
        })
    }
}

/// A mapping key as text, whatever scalar type YAML gave it.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
                Ok(Key("null".to_owned()))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for V {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = V;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<Key>>()? {
                    let value = map.next_value::<Node>()?;
                    entries.push(Entry {
                        key: key.value.0,
                        key_loc: to_location(&key.referenced),
                        value,
                    });
                }
                Ok(V::Map(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Node>()? {
                    items.push(item);
                }
                Ok(V::Seq(items))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<V, E> {
                Ok(V::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<V, E> {
                Ok(V::Str(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<V, E> {
                Ok(V::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<V, E> {
                Ok(V::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<V, E> {
                Ok(i64::try_from(v).map(V::Int).unwrap_or(V::Float(v as f64)))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<V, E> {
                Ok(i64::try_from(v).map(V::Int).unwrap_or(V::Float(v as f64)))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<V, E> {
                Ok(i64::try_from(v).map(V::Int).unwrap_or(V::Float(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<V, E> {
                Ok(V::Float(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<V, E> {
                Ok(V::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<V, E> {
                Ok(V::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V, D::Error> {
                V::deserialize(d)
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<V, E> {
                Ok(V::Str(String::from_utf8_lossy(v).into_owned()))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type R = Result<(), Box<dyn std::error::Error>>;

    fn one(text: &str) -> Result<Node, Box<dyn std::error::Error>> {
        let docs = parse(text).map_err(|(m, l)| format!("{m} at {l:?}"))?;
        docs.into_iter().next().ok_or_else(|| "no document".into())
    }

    #[test]
    fn custom_tags_are_kept_not_fatal() -> R {
        let doc = one(
            "secret:\n  data:\n    password: !encrypted/pkcs1-oaep\n      - abc\n      - def\njob:\n  script: !reference [.setup, script]\n",
        )?;
        let pw = doc
            .get("secret")
            .and_then(|s| s.get("data"))
            .and_then(|d| d.get("password"))
            .ok_or("no password")?;
        assert_eq!(pw.tag.as_deref(), Some("!encrypted/pkcs1-oaep"));
        assert_eq!(pw.items().len(), 2);
        let script = doc
            .get("job")
            .and_then(|j| j.get("script"))
            .ok_or("no script")?;
        assert_eq!(script.tag.as_deref(), Some("!reference"));
        assert_eq!(script.strings(), vec![".setup", "script"]);
        assert_eq!(script.loc.map(|l| l.line), Some(7));
        Ok(())
    }

    #[test]
    fn anchors_merge_keys_and_documents() -> R {
        let docs = parse(
            ".base: &base\n  image: debian\n  tags: [a]\njob:\n  <<: *base\n  script: [make]\n---\nsecond: 2\n",
        )
        .map_err(|(m, _)| m)?;
        assert_eq!(docs.len(), 2);
        let job = docs[0].get("job").ok_or("no job")?;
        assert_eq!(job.get("image").and_then(Node::as_str), Some("debian"));
        assert_eq!(
            job.get("script").map(Node::strings),
            Some(vec!["make".into()])
        );
        assert_eq!(
            docs[1].get("second").and_then(Node::scalar),
            Some("2".into())
        );
        let entry = docs[0].entry("job").ok_or("no entry")?;
        assert_eq!(entry.key_loc.map(|l| l.line), Some(4));
        Ok(())
    }

    #[test]
    fn broken_yaml_is_an_error_with_a_position() {
        let err = parse("a: [1, 2\nb: c\n");
        assert!(err.is_err());
    }
}
