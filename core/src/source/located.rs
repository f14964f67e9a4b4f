//! One walk of a YAML document that keeps where each node is written, shared by the two trees
//! built from it: the [`Locator`](super::Locator) of our own documents and the importers' tree
//! (`import::tree`).
//!
//! serde-saphyr gives positions through its `Spanned` wrapper and custom tags through `Tagged`;
//! the walk asks for them on every node and every mapping key and hands the pieces to a
//! [`Tree`], which decides what to keep. The two trees differ only in that: the locator keeps
//! positions and keys, the importers also keep tags and scalar values.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Spanned, Tagged};

use super::Location;

/// A scalar as the parser resolved it.
pub(crate) enum Scalar<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Int(i64),
    /// Also an integer too large for `i64`.
    Float(f64),
    Null,
}

/// What a located walk builds: a node from its position, custom tag and value.
pub(crate) trait Tree: Sized {
    /// Whether custom tags are asked for (`!reference`); each node pays for the request.
    const TAGS: bool;
    /// A mapping being filled.
    type Map: Default;
    /// A node's value.
    type Value;

    /// Adds an entry to a mapping, in the order written.
    fn entry(map: &mut Self::Map, key: String, key_location: Option<Location>, value: Self);
    fn map(map: Self::Map) -> Self::Value;
    fn seq(items: Vec<Self>) -> Self::Value;
    fn scalar(scalar: Scalar<'_>) -> Self::Value;
    /// The node; `tag` is a custom tag (core tags such as `!!str` are dropped), always `None`
    /// unless [`Tree::TAGS`].
    fn node(location: Option<Location>, tag: Option<String>, value: Self::Value) -> Self;
}

/// A node of tree `T` read with its position.
pub(crate) struct Located<T>(pub T);

impl<'de, T: Tree> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let node = if T::TAGS {
            let spanned = Spanned::<Tagged<ValueOf<T>>>::deserialize(deserializer)?;
            let Tagged(value, tag) = spanned.value;
            let tag = tag.filter(|t| !t.starts_with("tag:yaml.org,2002:"));
            T::node(to_location(&spanned.referenced), tag, value.0)
        } else {
            let spanned = Spanned::<ValueOf<T>>::deserialize(deserializer)?;
            T::node(to_location(&spanned.referenced), None, spanned.value.0)
        };
        Ok(Located(node))
    }
}

/// serde-saphyr's position as ours; `None` for a node it could not place (line 0).
pub(crate) fn to_location(loc: &serde_saphyr::Location) -> Option<Location> {
    let (line, column) = (loc.line(), loc.column());
    (line > 0).then_some(Location {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    })
}

/// The value of a node of tree `T`.
struct ValueOf<T: Tree>(T::Value);

impl<'de, T: Tree> Deserialize<'de> for ValueOf<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(ValueVisitor::<T>(PhantomData))
            .map(ValueOf)
    }
}

struct ValueVisitor<T>(PhantomData<T>);

impl<'de, T: Tree> Visitor<'de> for ValueVisitor<T> {
    type Value = T::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML or JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<T::Value, A::Error> {
        let mut map = T::Map::default();
        while let Some(key) = access.next_key::<Spanned<KeyText>>()? {
            let Located(value) = access.next_value::<Located<T>>()?;
            T::entry(&mut map, key.value.0, to_location(&key.referenced), value);
        }
        Ok(T::map(map))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<T::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Located(item)) = access.next_element::<Located<T>>()? {
            items.push(item);
        }
        Ok(T::seq(items))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T::Value, E> {
        Ok(T::scalar(Scalar::Str(Cow::Borrowed(v))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<T::Value, E> {
        Ok(T::scalar(Scalar::Str(Cow::Owned(v))))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<T::Value, E> {
        Ok(T::scalar(Scalar::Str(String::from_utf8_lossy(v))))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T::Value, E> {
        Ok(T::scalar(Scalar::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T::Value, E> {
        Ok(T::scalar(Scalar::Int(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T::Value, E> {
        Ok(T::scalar(
            i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int),
        ))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<T::Value, E> {
        Ok(T::scalar(
            i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int),
        ))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<T::Value, E> {
        Ok(T::scalar(
            i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int),
        ))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T::Value, E> {
        Ok(T::scalar(Scalar::Float(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T::Value, E> {
        Ok(T::scalar(Scalar::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<T::Value, E> {
        Ok(T::scalar(Scalar::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// A mapping key as text, whatever scalar type YAML gave it (`true`, `1`, `~`).
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<KeyText, E> {
                Ok(KeyText(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".to_owned()))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}
