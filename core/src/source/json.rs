//! Positions of the values of a JSON text, in one pass over its bytes.
//!
//! JSON is YAML, and the YAML parser locates it too, but through serde's span protocol at about
//! forty times the cost of reading the JSON itself: for a generated pipeline of a million jobs
//! that was most of the time a check took. JSON's grammar is small enough to walk directly.
//! Positions are those the YAML reader gives (1-based line, 1-based column in characters, a
//! value at its first character), so a document locates the same whichever reader ran.
//!
//! This walker only locates: text it cannot follow gives up (`None`), and the JSON parser that
//! reads the document reports the error.

use super::{Entry, Kind, Location, MapNode, Node, node_budget};

/// Deeper than serde_json reads (128), so a document it accepts is always located.
const MAX_DEPTH: usize = 256;

/// Why no tree came back.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// Text this walker cannot follow.
    NotJson,
    /// More nodes than [`node_budget`] allows for text of this size.
    TooLarge,
    /// A key written twice (or escaped, so not compared here) inside an elided object: only
    /// the whole tree marks it.
    RepeatedInside,
}

/// The tree of positions of `text`.
pub(super) fn locate(text: &str) -> Result<Node, Stop> {
    locate_elided(text, usize::MAX)
}

/// The tree of positions of `text`, with each collection at nesting depth `elide_from` or
/// deeper (the root is at depth 0) kept as its position alone ([`Kind::Elided`]), as the YAML
/// reader elides. The inside is still walked (its syntax, the node budget, and keys written
/// twice, which only the whole tree can mark: [`Stop::RepeatedInside`]).
pub(super) fn locate_elided(text: &str, elide_from: usize) -> Result<Node, Stop> {
    let mut walker = Walker {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        line_start: 0,
        counted: (0, 1),
        depth: 0,
        nodes_left: node_budget(text.len()),
        elide_from,
        repeated_inside: false,
    };
    match walker.document() {
        Some(_) if walker.repeated_inside => Err(Stop::RepeatedInside),
        Some(root) => Ok(root),
        None if walker.nodes_left == 0 => Err(Stop::TooLarge),
        None => Err(Stop::NotJson),
    }
}

impl Walker<'_> {
    fn document(&mut self) -> Option<Node> {
        let walker = self;
        walker.skip_space();
        if walker.bytes.starts_with("\u{feff}".as_bytes()) {
            walker.pos += 3;
            walker.line_start = walker.pos;
            walker.counted = (walker.pos, 1);
            walker.skip_space();
        }
        let root = walker.value()?;
        walker.skip_space();
        (walker.pos == walker.bytes.len()).then_some(root)
    }
}

struct Walker<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
    line_start: usize,
    /// A byte offset on the current line and its column, so that columns are counted
    /// incrementally (a minified document is one long line).
    counted: (usize, usize),
    depth: usize,
    /// Nodes the budget still allows.
    nodes_left: usize,
    /// Collections this deep or deeper are walked, not recorded.
    elide_from: usize,
    /// An elided object wrote a key twice, or escaped one.
    repeated_inside: bool,
}

/// Keys of one elided object, compared as written; a set once there are many.
enum SeenKeys<'a> {
    Few(Vec<&'a str>),
    Many(std::collections::HashSet<&'a str>),
}

impl<'a> SeenKeys<'a> {
    /// Records `key`; whether it was new.
    fn insert(&mut self, key: &'a str) -> bool {
        match self {
            SeenKeys::Few(keys) if keys.len() < 32 => {
                if keys.contains(&key) {
                    return false;
                }
                keys.push(key);
                true
            }
            SeenKeys::Few(keys) => {
                let mut set: std::collections::HashSet<&'a str> = keys.drain(..).collect();
                let new = set.insert(key);
                *self = SeenKeys::Many(set);
                new
            }
            SeenKeys::Many(set) => set.insert(key),
        }
    }
}

impl<'a> Walker<'a> {
    fn location(&mut self) -> Option<Location> {
        // Columns count characters, as the YAML reader's do.
        let (at, column) = self.counted;
        let column = column + self.text.get(at..self.pos)?.chars().count();
        self.counted = (self.pos, column);
        Some(Location {
            line: self.line,
            column: u32::try_from(column).ok()?,
        })
    }

    fn skip_space(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                    self.counted = (self.pos, 1);
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                _ => break,
            }
        }
    }

    fn value(&mut self) -> Option<Node> {
        self.nodes_left = self.nodes_left.checked_sub(1)?;
        let location = self.location();
        let kind = match self.bytes.get(self.pos)? {
            b'{' | b'[' if self.depth >= self.elide_from => {
                self.skip_collection()?;
                Kind::Elided
            }
            b'{' => self.object()?,
            b'[' => self.array()?,
            b'"' => {
                self.string_extent()?;
                Kind::Scalar
            }
            _ => {
                self.scalar()?;
                Kind::Scalar
            }
        };
        Some(Node { location, kind })
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        self.pos += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn object(&mut self) -> Option<Kind> {
        self.enter()?;
        let mut map = MapNode::default();
        self.skip_space();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Some(Kind::Map(map));
        }
        loop {
            self.skip_space();
            let key_location = self.location();
            let key = self.string()?;
            self.skip_space();
            if self.bytes.get(self.pos) != Some(&b':') {
                return None;
            }
            self.pos += 1;
            self.skip_space();
            let value = self.value()?;
            map.push(Entry {
                key: key.into_boxed_str(),
                key_location,
                value,
                repeated: false,
            });
            self.skip_space();
            match self.bytes.get(self.pos)? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Some(Kind::Map(map));
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self) -> Option<Kind> {
        self.enter()?;
        let mut items = Vec::new();
        self.skip_space();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            self.depth -= 1;
            return Some(Kind::Seq(items));
        }
        loop {
            self.skip_space();
            items.push(self.value()?);
            self.skip_space();
            match self.bytes.get(self.pos)? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Some(Kind::Seq(items));
                }
                _ => return None,
            }
        }
    }

    /// Walks past an object or array without recording it: each value counts against the
    /// budget as a recorded one does, and keys are compared as written.
    fn skip_collection(&mut self) -> Option<()> {
        let object = self.bytes.get(self.pos) == Some(&b'{');
        let close = if object { b'}' } else { b']' };
        self.enter()?;
        let mut keys = SeenKeys::Few(Vec::new());
        self.skip_space();
        if self.bytes.get(self.pos) == Some(&close) {
            self.pos += 1;
            self.depth -= 1;
            return Some(());
        }
        loop {
            self.skip_space();
            if object {
                let start = self.pos;
                let escaped = self.string_extent()?;
                let key = self.text.get(start..self.pos)?;
                if escaped || !keys.insert(key) {
                    self.repeated_inside = true;
                }
                self.skip_space();
                if self.bytes.get(self.pos) != Some(&b':') {
                    return None;
                }
                self.pos += 1;
                self.skip_space();
            }
            self.nodes_left = self.nodes_left.checked_sub(1)?;
            match self.bytes.get(self.pos)? {
                b'{' | b'[' => self.skip_collection()?,
                b'"' => {
                    self.string_extent()?;
                }
                _ => self.scalar()?,
            }
            self.skip_space();
            match self.bytes.get(self.pos)? {
                b',' => self.pos += 1,
                b if *b == close => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string, decoded (escapes are rare, and then serde_json decodes it).
    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        let escaped = self.string_extent()?;
        let quoted = self.text.get(start..self.pos)?;
        if escaped {
            serde_json::from_str(quoted).ok()
        } else {
            quoted.get(1..quoted.len() - 1).map(str::to_owned)
        }
    }

    /// Moves past a string, quotes included; whether it holds an escape.
    fn string_extent(&mut self) -> Option<bool> {
        if self.bytes.get(self.pos) != Some(&b'"') {
            return None;
        }
        let mut escaped = false;
        self.pos += 1;
        loop {
            let rest = self.bytes.get(self.pos..)?;
            let i = rest
                .iter()
                .position(|&b| matches!(b, b'"' | b'\\' | b'\n'))?;
            self.pos += i;
            match rest.get(i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.pos += 2;
                }
                _ => return None,
            }
        }
        self.pos += 1;
        Some(escaped)
    }

    /// A number, `true`, `false` or `null`: its extent only (the JSON parser checks it).
    fn scalar(&mut self) -> Option<()> {
        let start = self.pos;
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                break;
            }
            self.pos += 1;
        }
        (self.pos > start).then_some(())
    }
}
