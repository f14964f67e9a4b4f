//! Reading our own documents (policy, native pipeline) from YAML or JSON text.
//!
//! Both formats go through the same typed schema, so a policy means the same thing whichever way
//! it was written. Two things the plain serde path does not give us are added here:
//!
//! * every unknown field is reported, not just the first one, by collecting the keys serde would
//!   ignore ([`serde_ignored`]) instead of stopping at `deny_unknown_fields`;
//! * a problem found *after* parsing (an undefined reference, a cycle) still points at a line and
//!   column, through a [`Locator`] built from the same text. JSON is valid YAML 1.2, so one
//!   span-aware YAML parse locates fields in both formats.

use std::collections::BTreeSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::diagnostic::{Problem, Problems};
use crate::rule::Code;

/// The text formats our own documents can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// YAML 1.2, read with serde-saphyr.
    Yaml,
    /// JSON, read with serde_json.
    Json,
}

impl Format {
    /// Guesses the format from the text: JSON documents start with `{` or `[`.
    ///
    /// YAML can start with `{` too, but such a file is also meant to be read as JSON far more
    /// often than not, and JSON parsing fails loudly rather than misreading it.
    pub fn detect(text: &str) -> Format {
        match text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .as_bytes()
            .first()
        {
            Some(b'{') | Some(b'[') => Format::Json,
            _ => Format::Yaml,
        }
    }

    /// Chooses the format from a file name's extension, falling back to [`Format::detect`].
    pub fn for_path(path: &str, text: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Format::Json
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Format::Yaml
        } else {
            Format::detect(text)
        }
    }
}

/// A 1-based line and column in a source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Location {
    /// Line, starting at 1.
    pub line: u32,
    /// Column, starting at 1.
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One step into a document: a mapping key or a sequence index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// A key of a mapping.
    Key(String),
    /// An index into a sequence.
    Index(usize),
}

/// Where a value sits in a document, e.g. `bindings[2].scope.project`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The document root.
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// This path extended by a mapping key.
    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut next = self.0.clone();
        next.push(Segment::Key(key.into()));
        FieldPath(next)
    }

    /// This path extended by a sequence index.
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.0.clone();
        next.push(Segment::Index(index));
        FieldPath(next)
    }

    /// The steps of the path, from the root.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    fn from_ignored(path: &serde_ignored::Path<'_>) -> Self {
        let mut segments = Vec::new();
        let mut current = path;
        loop {
            match current {
                serde_ignored::Path::Root => break,
                serde_ignored::Path::Seq { parent, index } => {
                    segments.push(Segment::Index(*index));
                    current = parent;
                }
                serde_ignored::Path::Map { parent, key } => {
                    segments.push(Segment::Key(key.clone()));
                    current = parent;
                }
                serde_ignored::Path::Some { parent }
                | serde_ignored::Path::NewtypeStruct { parent }
                | serde_ignored::Path::NewtypeVariant { parent } => current = parent,
            }
        }
        segments.reverse();
        FieldPath(segments)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Key(k) if is_plain_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Key(k) => write!(f, "[{}]", serde_json::Value::String(k.clone()))?,
            }
        }
        Ok(())
    }
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Finds the line and column of a [`FieldPath`] in the text a document was read from.
#[derive(Debug, Default)]
pub struct Locator {
    root: Option<Node>,
    duplicates: Vec<(FieldPath, Location)>,
}

impl Locator {
    /// Builds a locator for YAML or JSON text. Text that cannot be read gives a locator that
    /// knows no positions: locations are a help for people, never a reason to fail.
    pub fn new(text: &str) -> Self {
        let options = serde_saphyr::options! {
            duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::PassThrough,
        };
        let root = serde_saphyr::from_str_with_options::<Node>(text, options).ok();
        let mut duplicates = Vec::new();
        if let Some(root) = &root {
            root.collect_duplicates(&FieldPath::root(), &mut duplicates);
        }
        Locator { root, duplicates }
    }

    /// Where the value at `path` starts; for a path that goes past the text, the nearest
    /// enclosing value that exists.
    pub fn locate(&self, path: &FieldPath) -> Option<Location> {
        let mut node = self.root.as_ref()?;
        let mut best = node.location;
        for segment in path.segments() {
            let next = match (&node.kind, segment) {
                (Kind::Map(entries), Segment::Key(k)) => {
                    // The last entry wins, as it does for serde_json and for maps in serde.
                    entries.iter().rev().find(|e| &e.key == k).map(|e| {
                        best = e.key_location;
                        &e.value
                    })
                }
                (Kind::Seq(items), Segment::Index(i)) => items.get(*i),
                _ => None,
            };
            match next {
                Some(n) => {
                    node = n;
                    best = n.location;
                }
                None => break,
            }
        }
        best
    }

    /// Where the mapping key at the end of `path` is written (falls back to [`Locator::locate`]).
    pub fn locate_key(&self, path: &FieldPath) -> Option<Location> {
        let Some((Segment::Key(last), parent)) = path.segments().split_last() else {
            return self.locate(path);
        };
        let mut node = self.root.as_ref()?;
        for segment in parent {
            node = match (&node.kind, segment) {
                (Kind::Map(entries), Segment::Key(k)) => {
                    &entries.iter().rev().find(|e| &e.key == k)?.value
                }
                (Kind::Seq(items), Segment::Index(i)) => items.get(*i)?,
                _ => return self.locate(path),
            };
        }
        match &node.kind {
            Kind::Map(entries) => entries
                .iter()
                .rev()
                .find(|e| &e.key == last)
                .and_then(|e| e.key_location),
            _ => self.locate(path),
        }
    }

    /// Mapping keys written more than once, with the place of each repetition.
    pub fn duplicates(&self) -> &[(FieldPath, Location)] {
        &self.duplicates
    }
}

#[derive(Debug)]
struct Node {
    location: Option<Location>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Map(Vec<Entry>),
    Seq(Vec<Node>),
    Scalar,
}

#[derive(Debug)]
struct Entry {
    key: String,
    key_location: Option<Location>,
    value: Node,
}

impl Node {
    fn collect_duplicates(&self, path: &FieldPath, out: &mut Vec<(FieldPath, Location)>) {
        match &self.kind {
            Kind::Map(entries) => {
                let mut seen = BTreeSet::new();
                for entry in entries {
                    let child = path.key(entry.key.clone());
                    if !seen.insert(&entry.key)
                        && let Some(loc) = entry.key_location.or(entry.value.location)
                    {
                        out.push((child.clone(), loc));
                    }
                    entry.value.collect_duplicates(&child, out);
                }
            }
            Kind::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    item.collect_duplicates(&path.index(i), out);
                }
            }
            Kind::Scalar => {}
        }
    }
}

fn to_location(loc: &serde_saphyr::Location) -> Option<Location> {
    let (line, column) = (loc.line(), loc.column());
    (line > 0).then_some(Location {
        line: line as u32,
        column: column as u32,
    })
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Kind>::deserialize(deserializer)?;
        Ok(Node {
            location: to_location(&spanned.referenced),
            kind: spanned.value,
        })
    }
}

/// A mapping key as text, whatever scalar type YAML gave it.
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

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KindVisitor;
        impl<'de> Visitor<'de> for KindVisitor {
            type Value = Kind;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML or JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
                    let value = map.next_value::<Node>()?;
                    entries.push(Entry {
                        key: key.value.0,
                        key_location: to_location(&key.referenced),
                        value,
                    });
                }
                Ok(Kind::Map(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Node>()? {
                    items.push(item);
                }
                Ok(Kind::Seq(items))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_none<E: de::Error>(self) -> Result<Kind, E> {
                Ok(Kind::Scalar)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
                Kind::deserialize(d)
            }
        }
        deserializer.deserialize_any(KindVisitor)
    }
}

/// A document read into its typed schema, with the locator for its text and the problems found
/// so far (unknown fields, duplicate keys): the caller adds its own checks to those, so that one
/// report shows everything.
pub struct Parsed<T> {
    /// The typed document.
    pub value: T,
    /// Positions of the fields in the text.
    pub locator: Locator,
    /// Unknown fields and duplicate keys.
    pub problems: Vec<Problem>,
}

/// Reads `text` as `format` into `T`. Syntax and type errors stop the reading and come back as
/// [`Problems`]; unknown fields and duplicate keys are returned with the value, as problems with
/// positions, so that the caller's own checks can still run and add theirs.
///
/// `syntax_code` and `unknown_code`/`duplicate_code` are the rule codes of the document kind
/// (for a policy: `policy/syntax`, `policy/unknown-field`, `policy/duplicate-name`).
pub fn parse_document<T: DeserializeOwned>(
    text: &str,
    format: Format,
    codes: &DocumentCodes,
) -> Result<Parsed<T>, Problems> {
    let locator = Locator::new(text);
    let mut unknown: Vec<FieldPath> = Vec::new();
    let result: Result<T, (String, Option<Location>)> = match format {
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            serde_ignored::deserialize(&mut de, |p| unknown.push(FieldPath::from_ignored(&p)))
                .and_then(|v| de.end().map(|()| v))
                .map_err(|e| {
                    let loc = (e.line() > 0).then_some(Location {
                        line: e.line() as u32,
                        column: e.column() as u32,
                    });
                    (json_message(&e), loc)
                })
        }
        Format::Yaml => {
            let options = serde_saphyr::options! { with_snippet: false };
            serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
                serde_ignored::deserialize(de, |p| unknown.push(FieldPath::from_ignored(&p)))
            })
            .map_err(|e| {
                let loc = e.location().and_then(|l| to_location(&l));
                (yaml_message(&e), loc)
            })
        }
    };
    let mut problems = Vec::new();
    for (path, loc) in locator.duplicates() {
        problems.push(Problem::new(
            codes.duplicate,
            format!("`{path}` is written more than once; each name may appear only once"),
            path.clone(),
            Some(*loc),
        ));
    }
    match result {
        Ok(value) => {
            for path in unknown {
                let loc = locator.locate_key(&path);
                problems.push(Problem::new(
                    codes.unknown_field,
                    unknown_field_message(&path),
                    path,
                    loc,
                ));
            }
            Ok(Parsed {
                value,
                locator,
                problems,
            })
        }
        Err((message, loc)) => {
            // A duplicate key makes serde-saphyr fail too; that failure says nothing new.
            let syntax = Problem::new(codes.syntax, message.clone(), FieldPath::root(), loc);
            Err(match Problems::from_vec(problems) {
                Some(problems) if message.contains("duplicate") => problems,
                Some(problems) => Problems::new(syntax, problems.into_iter().collect()),
                None => Problems::one(syntax),
            })
        }
    }
}

fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    text.lines().next().unwrap_or_default().trim().to_owned()
}

fn unknown_field_message(path: &FieldPath) -> String {
    let last = match path.segments().last() {
        Some(Segment::Key(k)) => k.as_str(),
        _ => "",
    };
    if last.contains(' ') {
        // `{description: a, b}` in YAML makes ` b` a key: a comma ends a value in `{...}`.
        format!(
            "unknown field `{path}`: if this is the rest of a text value, quote the value (in YAML a comma ends a value inside {{...}})"
        )
    } else {
        format!("unknown field `{path}`: it is not part of the schema (a typo?)")
    }
}

fn json_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; we report the position separately.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// The rule codes a document kind uses for problems found while reading it.
#[derive(Clone, Copy, Debug)]
pub struct DocumentCodes {
    /// Text that is not valid YAML/JSON, or a value of the wrong type.
    pub syntax: Code,
    /// A field the schema does not know.
    pub unknown_field: Code,
    /// A key written twice in one mapping.
    pub duplicate: Code,
}
