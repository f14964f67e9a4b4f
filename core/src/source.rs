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

use std::fmt;

use serde::de::{Deserialize, DeserializeOwned};

use crate::diagnostic::{Problem, Problems};
use crate::rule::Code;

mod events;
mod json;
pub(crate) mod located;

use located::{Located, to_location};

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
///
/// The text is read once into a tree of positions; a large mapping (a pipeline's `jobs`) keeps a
/// hash index of its keys, so that locating every job of a pipeline costs one lookup each
/// rather than a scan of all the others.
#[derive(Debug, Default)]
pub struct Locator {
    root: Option<Node>,
    duplicates: Vec<(FieldPath, Location)>,
}

impl Locator {
    /// Builds a locator for YAML or JSON text. Text that cannot be read gives a locator that
    /// knows no positions: locations are a help for people, never a reason to fail.
    pub fn new(text: &str) -> Self {
        Locator::read(text, Format::Yaml).unwrap_or_default()
    }

    /// Builds a locator, failing only when the text is past the size lockkeeper reads (see
    /// [`node_budget`]): a document too large to locate is too large to read, and is refused
    /// rather than read without positions. Text that is not YAML gives an empty locator (JSON
    /// that YAML cannot read still parses, without positions).
    fn read(text: &str, format: Format) -> Result<Self, String> {
        if format == Format::Json {
            match json::locate(text) {
                Ok(root) => return Ok(Locator::from_root(root)),
                Err(json::Stop::TooLarge) => return Err(too_large(text)),
                // Left to the YAML reader, and then to the JSON parser to report (nothing is
                // elided here, so nothing is repeated inside an elided object).
                Err(json::Stop::NotJson | json::Stop::RepeatedInside) => {}
            }
        }
        if let Ok(locator) = events::locate(text) {
            return Ok(locator);
        }
        let options = serde_saphyr::options! {
            duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::PassThrough,
            budget: budget_for(text),
            with_snippet: false,
        };
        let root = match serde_saphyr::from_str_with_options::<Located<Node>>(text, options) {
            Ok(Located(root)) => root,
            Err(e) => {
                return match budget_message(&e, text) {
                    Some(message) => Err(message),
                    None => Ok(Locator::default()),
                };
            }
        };
        Ok(Locator::from_root(root))
    }

    fn from_root(root: Node) -> Self {
        let mut duplicates = Vec::new();
        root.collect_duplicates(&mut Vec::new(), &mut duplicates);
        Locator {
            root: Some(root),
            duplicates,
        }
    }

    /// Where the value at `path` starts; for a path that goes past the text, the nearest
    /// enclosing value that exists.
    pub fn locate(&self, path: &FieldPath) -> Option<Location> {
        let mut node = self.root.as_ref()?;
        let mut best = node.location;
        for segment in path.segments() {
            let next = match (&node.kind, segment) {
                (Kind::Map(map), Segment::Key(k)) => map.get(k).map(|e| {
                    best = e.key_location;
                    &e.value
                }),
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
                (Kind::Map(map), Segment::Key(k)) => &map.get(k)?.value,
                (Kind::Seq(items), Segment::Index(i)) => items.get(*i)?,
                _ => return self.locate(path),
            };
        }
        match &node.kind {
            Kind::Map(map) => map.get(last).and_then(|e| e.key_location),
            _ => self.locate(path),
        }
    }

    /// Mapping keys written more than once, with the place of each repetition.
    pub fn duplicates(&self) -> &[(FieldPath, Location)] {
        &self.duplicates
    }

    /// Whether [`Locator::locate`] and [`Locator::locate_key`] answer for `path` as they would
    /// with nothing elided: the way to it passes no elided collection before its end.
    fn covers(&self, path: &FieldPath) -> bool {
        let Some(mut node) = self.root.as_ref() else {
            return true;
        };
        for segment in path.segments() {
            let next = match (&node.kind, segment) {
                (Kind::Elided, _) => return false,
                (Kind::Map(map), Segment::Key(k)) => map.get(k).map(|e| &e.value),
                (Kind::Seq(items), Segment::Index(i)) => items.get(*i),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                // Past the text: the nearest enclosing value is the same with nothing elided.
                None => return true,
            }
        }
        true
    }

    /// Where the key `key` of the mapping at `parent` is written: `locate_key` of
    /// `parent.key(key)`, without building that path (one call per job of a pipeline). `None`
    /// when `parent` is not a recorded mapping, for the caller to ask the long way.
    fn locate_key_in(&self, parent: &FieldPath, key: &str) -> Option<Option<Location>> {
        let mut node = self.root.as_ref()?;
        for segment in parent.segments() {
            node = match (&node.kind, segment) {
                (Kind::Map(map), Segment::Key(k)) => &map.get(k)?.value,
                (Kind::Seq(items), Segment::Index(i)) => items.get(*i)?,
                _ => return None,
            };
        }
        match &node.kind {
            Kind::Map(map) => Some(map.get(key).and_then(|e| e.key_location)),
            _ => None,
        }
    }
}

/// The positions of a document that may have elided the inside of its deeper collections (see
/// [`parse_document_elided`]), with the text to read them from: a position inside an elided
/// collection is asked for only to report a problem, and the first such question reads the
/// whole tree once.
pub(crate) struct Positions<'a> {
    text: &'a str,
    format: Format,
    shallow: Locator,
    full: std::cell::OnceCell<Locator>,
}

impl<'a> Positions<'a> {
    pub(crate) fn new(text: &'a str, format: Format, locator: Locator) -> Self {
        Positions {
            text,
            format,
            shallow: locator,
            full: std::cell::OnceCell::new(),
        }
    }

    /// The locator that answers for `path` as a complete one would.
    fn for_path(&self, path: &FieldPath) -> &Locator {
        if self.shallow.covers(path) {
            return &self.shallow;
        }
        self.full.get_or_init(|| {
            // Read before, within its budget: a failure here cannot be the budget's, and a
            // locator that knows nothing only loses positions.
            Locator::read(self.text, self.format).unwrap_or_default()
        })
    }

    /// As [`Locator::locate`].
    pub(crate) fn locate(&self, path: &FieldPath) -> Option<Location> {
        self.for_path(path).locate(path)
    }

    /// As [`Locator::locate_key`] of `parent.key(key)`.
    pub(crate) fn locate_key_in(&self, parent: &FieldPath, key: &str) -> Option<Location> {
        match self.shallow.locate_key_in(parent, key) {
            Some(location) => location,
            None => {
                let path = parent.key(key);
                self.for_path(&path).locate_key(&path)
            }
        }
    }
}

/// The fewest nodes (values, lists and maps) any document may have, whatever its size: the
/// parser's own default, ample for a hand-written policy.
pub const MIN_NODES: usize = 250_000;

/// The most nodes a document may have: 40 million, a generated pipeline of about two million
/// jobs. Reading one costs a few GiB of memory; past it a document is refused with a clear
/// error instead of exhausting the machine.
pub const MAX_NODES: usize = 40_000_000;

/// How many nodes a document of `bytes` bytes may have: one per byte of text (a value takes at
/// least a byte, so only aliases can reach it), at least [`MIN_NODES`], at most [`MAX_NODES`].
/// The budget grows with the input so that a large generated pipeline reads as a small one
/// does, while an alias bomb still stops after work proportional to its text.
pub fn node_budget(bytes: usize) -> usize {
    bytes.clamp(MIN_NODES, MAX_NODES)
}

/// The parser budget for `text` (see [`node_budget`]); the other limits scale alongside.
pub(crate) fn budget_for(text: &str) -> Option<serde_saphyr::Budget> {
    let nodes = node_budget(text.len());
    let defaults = serde_saphyr::Budget::default();
    serde_saphyr::budget! {
        max_nodes: nodes,
        // A collection is two events (start and end), a scalar one.
        max_events: defaults.max_events.max(nodes.saturating_mul(2)),
        max_total_scalar_bytes: defaults.max_total_scalar_bytes.max(text.len()),
        max_reader_input_bytes: None,
    }
}

/// The message for a document refused by its budget, or `None` for any other error.
pub(crate) fn budget_message(e: &serde_saphyr::Error, text: &str) -> Option<String> {
    let mut e = e;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = e
    {
        e = error;
    }
    match e {
        serde_saphyr::Error::Budget { .. } => Some(too_large(text)),
        _ => None,
    }
}

/// The message for a document past its budget.
fn too_large(text: &str) -> String {
    format!(
        "the document is larger than lockkeeper reads: a document of {} bytes may have up to {} nodes (values, lists and maps, aliases expanded; one per byte of text, at least {MIN_NODES}, at most {MAX_NODES}); split it into several files",
        text.len(),
        node_budget(text.len()),
    )
}

#[derive(Debug)]
struct Node {
    location: Option<Location>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Map(MapNode),
    Seq(Vec<Node>),
    Scalar,
    /// A collection whose inside was not recorded (see [`parse_document_elided`]): only its
    /// position is known.
    Elided,
}

/// A mapping's entries in the order written, with a hash index once it has more than
/// [`MapNode::INDEXED`] of them.
#[derive(Debug, Default)]
struct MapNode {
    entries: Vec<Entry>,
    /// Positions in `entries` by key; for a repeated key, its last entry.
    /// Boxed: most mappings are small, and every node of the tree pays for its inline size.
    index: Option<Box<hashbrown::HashTable<u32>>>,
}

#[derive(Debug)]
struct Entry {
    key: Box<str>,
    key_location: Option<Location>,
    value: Node,
    /// The key was written earlier in the same mapping.
    repeated: bool,
}

fn key_hash(state: &hashbrown::DefaultHashBuilder, key: &str) -> u64 {
    use std::hash::BuildHasher as _;
    state.hash_one(key)
}

/// One hasher for every index: its seed only has to be stable within a process.
fn hasher() -> &'static hashbrown::DefaultHashBuilder {
    static HASHER: std::sync::OnceLock<hashbrown::DefaultHashBuilder> = std::sync::OnceLock::new();
    HASHER.get_or_init(hashbrown::DefaultHashBuilder::default)
}

/// Records entry `i` of `entries` under its key in `index`, the latest position winning (as
/// [`MapNode::get`] reads a key written twice); whether the key was there already.
fn index_entry(index: &mut hashbrown::HashTable<u32>, entries: &[Entry], i: u32) -> bool {
    let state = hasher();
    let Some(key) = entries.get(i as usize).map(|e| &e.key) else {
        return false;
    };
    match index.entry(
        key_hash(state, key),
        |&j| entries.get(j as usize).is_some_and(|e| e.key == *key),
        |&j| {
            entries
                .get(j as usize)
                .map_or(0, |e| key_hash(state, &e.key))
        },
    ) {
        hashbrown::hash_table::Entry::Occupied(mut o) => {
            *o.get_mut() = i;
            true
        }
        hashbrown::hash_table::Entry::Vacant(v) => {
            v.insert(i);
            false
        }
    }
}

impl MapNode {
    /// Small mappings are searched in place; larger ones through the index.
    const INDEXED: usize = 16;

    /// The entry for `key`; the last one when the key is written twice, as serde_json and
    /// serde read it.
    fn get(&self, key: &str) -> Option<&Entry> {
        match &self.index {
            Some(index) => {
                let position = index.find(key_hash(hasher(), key), |&i| {
                    self.entries.get(i as usize).is_some_and(|e| *e.key == *key)
                })?;
                self.entries.get(*position as usize)
            }
            None => self.entries.iter().rev().find(|e| *e.key == *key),
        }
    }

    /// The mapping of `entries` in the order written, each marked when its key was written
    /// before it; says whether any was. As [`MapNode::push`] of each in turn, with the index
    /// made at its final size at once.
    fn from_entries(mut entries: Vec<Entry>) -> (MapNode, bool) {
        let mut any = false;
        if entries.len() <= Self::INDEXED {
            for i in 1..entries.len() {
                let (before, rest) = entries.split_at_mut(i);
                if let Some(entry) = rest.first_mut() {
                    entry.repeated = before.iter().any(|e| e.key == entry.key);
                    any |= entry.repeated;
                }
            }
            return (
                MapNode {
                    entries,
                    index: None,
                },
                any,
            );
        }
        if u32::try_from(entries.len()).is_err() {
            // More entries than the node budget allows: never reached.
            let mut map = MapNode::default();
            for entry in entries {
                any |= map.push(entry);
            }
            return (map, any);
        }
        let mut index = hashbrown::HashTable::with_capacity(entries.len());
        for i in 0..entries.len() {
            // Fits: the length was checked above.
            if index_entry(&mut index, &entries, i as u32)
                && let Some(entry) = entries.get_mut(i)
            {
                entry.repeated = true;
                any = true;
            }
        }
        (
            MapNode {
                entries,
                index: Some(Box::new(index)),
            },
            any,
        )
    }

    /// Adds an entry, marking it when its key was seen before; says whether it was.
    fn push(&mut self, entry: Entry) -> bool {
        let Ok(position) = u32::try_from(self.entries.len()) else {
            // More entries than the node budget allows: never reached; keep the first ones.
            return false;
        };
        self.entries.push(entry);
        let repeated = match &mut self.index {
            Some(index) => index_entry(index, &self.entries, position),
            None => {
                let (last, before) = match self.entries.split_last() {
                    Some(split) => split,
                    None => return false,
                };
                before.iter().any(|e| e.key == last.key)
            }
        };
        if let Some(last) = self.entries.last_mut() {
            last.repeated = repeated;
        }
        if self.index.is_none() && self.entries.len() > Self::INDEXED {
            let mut index = hashbrown::HashTable::with_capacity(self.entries.len() * 2);
            for i in (0u32..).take(self.entries.len()) {
                index_entry(&mut index, &self.entries, i);
            }
            self.index = Some(Box::new(index));
        }
        repeated
    }
}

/// A [`Segment`] borrowed from the tree, while walking it.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

impl Node {
    /// Reports every repeated key below this node; `path` is the way here, extended and cut
    /// back as the walk goes, so that only a repetition costs a path of its own.
    fn collect_duplicates<'a>(
        &'a self,
        path: &mut Vec<Step<'a>>,
        out: &mut Vec<(FieldPath, Location)>,
    ) {
        match &self.kind {
            Kind::Map(map) => {
                for entry in &map.entries {
                    path.push(Step::Key(&entry.key));
                    if entry.repeated
                        && let Some(loc) = entry.key_location.or(entry.value.location)
                    {
                        let segments = path.iter().map(|s| match s {
                            Step::Key(k) => Segment::Key((*k).to_owned()),
                            Step::Index(i) => Segment::Index(*i),
                        });
                        out.push((FieldPath(segments.collect()), loc));
                    }
                    entry.value.collect_duplicates(path, out);
                    path.pop();
                }
            }
            Kind::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    item.collect_duplicates(path, out);
                    path.pop();
                }
            }
            Kind::Scalar | Kind::Elided => {}
        }
    }
}

impl located::Tree for Node {
    const TAGS: bool = false;
    type Map = MapNode;
    type Value = Kind;

    fn entry(map: &mut MapNode, key: String, key_location: Option<Location>, value: Node) {
        let _repeated = map.push(Entry {
            key: key.into_boxed_str(),
            key_location,
            value,
            repeated: false,
        });
    }
    fn map(map: MapNode) -> Kind {
        Kind::Map(map)
    }
    fn seq(items: Vec<Node>) -> Kind {
        Kind::Seq(items)
    }
    fn scalar(_: located::Scalar<'_>) -> Kind {
        Kind::Scalar
    }
    fn node(location: Option<Location>, _: Option<String>, kind: Kind) -> Node {
        Node { location, kind }
    }
}

/// A document read into its typed schema, with the locator for its text and the problems found
/// so far (unknown fields, duplicate keys): the caller adds its own checks to those, so that one
/// report shows everything.
pub(crate) struct Parsed<T> {
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
pub(crate) fn parse_document<T: DeserializeOwned>(
    text: &str,
    format: Format,
    codes: &DocumentCodes,
) -> Result<Parsed<T>, Problems> {
    parse_document_elided(text, format, codes, usize::MAX)
}

/// [`parse_document`], whose locator may keep only the position of the collections at nesting
/// depth `elide_from` or deeper (the root collection is at depth 0), not their inside; read it
/// through [`Positions`]. A pipeline of a million jobs needs the position of each job, while
/// the positions of every value of every job, a tree several times the size of the text, are
/// needed only to report a problem. What is read, and every problem and position reported, is
/// the same as with [`parse_document`].
pub(crate) fn parse_document_elided<'a, T: Deserialize<'a>>(
    text: &'a str,
    format: Format,
    codes: &DocumentCodes,
    elide_from: usize,
) -> Result<Parsed<T>, Problems> {
    if format == Format::Yaml
        && let Ok((value, mut locator, unknown)) = events::read::<T>(text, elide_from)
    {
        // No repeated key and no error, or the fast path would have stepped aside.
        if !unknown.iter().all(|path| locator.covers(path)) {
            // Read before, within its budget: this cannot fail on the budget.
            locator = Locator::read(text, format).unwrap_or_default();
        }
        let problems = unknown_fields(unknown, &locator, codes);
        return Ok(Parsed {
            value,
            locator,
            problems,
        });
    }
    let refused =
        |message| Problems::one(Problem::new(codes.syntax, message, FieldPath::root(), None));
    // JSON elides as the YAML fast path does; a key repeated inside an elided object (which
    // only the whole tree marks) or text the walker cannot follow takes the whole reading.
    let elided = match format {
        Format::Json if elide_from != usize::MAX => match json::locate_elided(text, elide_from) {
            Ok(root) => Some(Locator::from_root(root)),
            Err(json::Stop::TooLarge) => return Err(refused(too_large(text))),
            Err(json::Stop::NotJson | json::Stop::RepeatedInside) => None,
        },
        _ => None,
    };
    let mut locator = match elided {
        Some(locator) => locator,
        None => Locator::read(text, format).map_err(refused)?,
    };
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
            let options = serde_saphyr::options! {
                with_snippet: false,
                budget: budget_for(text),
            };
            serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
                serde_ignored::deserialize(de, |p| unknown.push(FieldPath::from_ignored(&p)))
            })
            .map_err(|e| {
                let loc = e.location().and_then(|l| to_location(&l));
                (
                    budget_message(&e, text).unwrap_or_else(|| yaml_message(&e)),
                    loc,
                )
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
            if !unknown.iter().all(|path| locator.covers(path)) {
                // Read before, within its budget: this cannot fail on the budget.
                locator = Locator::read(text, format).unwrap_or_default();
            }
            problems.extend(unknown_fields(unknown, &locator, codes));
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

/// The problems for the fields the schema does not know, each where its key is written.
fn unknown_fields(
    unknown: Vec<FieldPath>,
    locator: &Locator,
    codes: &DocumentCodes,
) -> Vec<Problem> {
    unknown
        .into_iter()
        .map(|path| {
            let loc = locator.locate_key(&path);
            Problem::new(codes.unknown_field, unknown_field_message(&path), path, loc)
        })
        .collect()
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
pub(crate) struct DocumentCodes {
    /// Text that is not valid YAML/JSON, or a value of the wrong type.
    pub syntax: Code,
    /// A field the schema does not know.
    pub unknown_field: Code,
    /// A key written twice in one mapping.
    pub duplicate: Code,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mapping of `n` keys, each a small map, in JSON or YAML.
    fn big(n: usize, json: bool) -> String {
        if json {
            let items: Vec<String> = (0..n)
                .map(|i| format!("\"k{i}\": [1, 2, 3, 4, 5, 6, 7, 8]"))
                .collect();
            format!("{{\"jobs\": {{\n{}\n}}}}", items.join(",\n"))
        } else {
            let mut y = String::from("jobs:\n");
            for i in 0..n {
                y.push_str(&format!("  k{i}: [1, 2, 3, 4, 5, 6, 7, 8]\n"));
            }
            y
        }
    }

    #[test]
    fn a_large_document_is_located_by_key_past_the_fixed_budget() {
        // 26,000 keys of 10 nodes each: past the parser's default budget of 250,000 nodes, where
        // JSON used to be read without positions. (YAML goes through the same locator.)
        let text = big(26_000, true);
        let locator = Locator::read(&text, Format::Json).unwrap_or_default();
        let jobs = FieldPath::root().key("jobs");
        let line = |i: usize| {
            locator
                .locate_key(&jobs.key(format!("k{i}")))
                .map(|l| l.line)
        };
        assert_eq!(line(0), Some(2));
        assert_eq!(line(25_999), Some(26_001));
        assert_eq!(line(26_000), None);
        assert!(locator.duplicates().is_empty());
    }

    #[test]
    fn repeated_keys_are_found_in_small_and_indexed_maps_and_the_last_one_wins() {
        let mut text = big(40, false);
        text.push_str("  k3: [9]\n  k3: [8]\nsmall: {a: 1, b: 2, a: 3}\n");
        let locator = Locator::new(&text);
        let found: Vec<String> = locator
            .duplicates()
            .iter()
            .map(|(p, l)| format!("{p}@{}", l.line))
            .collect();
        assert_eq!(found, ["jobs.k3@42", "jobs.k3@43", "small.a@44"]);
        let k3 = FieldPath::root().key("jobs").key("k3");
        assert_eq!(locator.locate_key(&k3).map(|l| l.line), Some(43));
        assert_eq!(
            locator
                .locate(&FieldPath::root().key("small").key("a"))
                .map(|l| l.column),
            Some(24)
        );
    }

    /// Whether two trees hold the same keys and positions.
    pub(super) fn same(a: &Node, b: &Node, at: &str) -> Result<(), String> {
        if a.location != b.location {
            return Err(format!("{at}: {:?} vs {:?}", a.location, b.location));
        }
        match (&a.kind, &b.kind) {
            (Kind::Scalar, Kind::Scalar) | (Kind::Elided, Kind::Elided) => Ok(()),
            (Kind::Seq(x), Kind::Seq(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .try_for_each(|(i, (x, y))| same(x, y, &format!("{at}[{i}]"))),
            (Kind::Map(x), Kind::Map(y)) if x.entries.len() == y.entries.len() => {
                x.entries.iter().zip(&y.entries).try_for_each(|(x, y)| {
                    let here = format!("{at}.{}", x.key);
                    if x.key != y.key
                        || x.key_location != y.key_location
                        || x.repeated != y.repeated
                    {
                        return Err(format!(
                            "{here}: {:?} vs {:?}",
                            x.key_location, y.key_location
                        ));
                    }
                    same(&x.value, &y.value, &here)
                })
            }
            _ => Err(format!("{at}: different shapes")),
        }
    }

    #[test]
    fn json_is_located_where_the_yaml_reader_locates_it() -> Result<(), String> {
        let docs = [
            "{\"a\": 1, \"b\": [true, null, -2.5e3, \"x\"], \"c\": {}}",
            "\n  {\n\t\"jobs\": {\"é\\u00e9\": {\"needs\": [\"ü\", \"b\\\"q\"]},\r\n \"k\": [[], [{}]]}, \"jobs\": 3}\n",
            "[1,2,{\"x\":{\"y\":[\"z\"]}}]",
            "\"just a string\"",
        ];
        for doc in docs {
            let options = serde_saphyr::options! {
                duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::PassThrough,
            };
            let Located(by_yaml) =
                serde_saphyr::from_str_with_options::<Located<Node>>(doc, options)
                    .map_err(|e| e.to_string())?;
            let by_json = json::locate(doc).map_err(|e| format!("{doc}: {e:?}"))?;
            same(&by_yaml, &by_json, doc)?;
        }
        for not_json in ["{\"a\": }", "[1, 2", "{\"a\" 1}", "", "{\"a\": 1} x"] {
            assert!(json::locate(not_json).is_err(), "{not_json}");
        }
        Ok(())
    }

    #[test]
    fn the_budget_grows_with_the_text_up_to_its_cap() {
        assert_eq!(node_budget(10), MIN_NODES);
        assert_eq!(node_budget(3_000_000), 3_000_000);
        assert_eq!(node_budget(usize::MAX), MAX_NODES);
    }

    #[test]
    fn an_alias_bomb_is_refused_with_a_clear_error() {
        // Each level doubles: 2^20 sequences from a few hundred bytes of text.
        let mut y = String::from("a0: &a0 [x, x]\n");
        for i in 1..=20 {
            y.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
        }
        let codes = DocumentCodes {
            syntax: crate::rule::codes::POLICY_SYNTAX,
            unknown_field: crate::rule::codes::POLICY_UNKNOWN_FIELD,
            duplicate: crate::rule::codes::POLICY_DUPLICATE_NAME,
        };
        let Err(problems) = parse_document::<serde_json::Value>(&y, Format::Yaml, &codes) else {
            panic!("an alias bomb was read");
        };
        let text = problems.to_string();
        assert!(text.contains("larger than lockkeeper reads"), "{text}");
    }
}
