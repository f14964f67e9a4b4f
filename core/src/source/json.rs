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
}

/// The tree of positions of `text`.
pub(super) fn locate(text: &str) -> Result<Node, Stop> {
    let mut walker = Walker {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        line_start: 0,
        counted: (0, 1),
        depth: 0,
        nodes_left: node_budget(text.len()),
    };
    match walker.document() {
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
}

impl Walker<'_> {
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
