//! The YAML that programs write, read a line at a time: the events granit-parser gives for it,
//! about ten times faster.
//!
//! A generated pipeline of a million jobs is 160 MB of block mappings, one-line flow collections
//! and plain scalars, and granit-parser reads it at about 30 MB/s, which alone took longer than
//! the whole check may. This reader takes a narrow part of YAML, the part such files are written
//! in, and gives up on anything else ([`Bail`]): a tab, a carriage return, a byte order mark,
//! a directive or document marker, an anchor, alias or tag, a block scalar, a scalar or flow
//! collection over more than one line, an escape in a quoted scalar, a sequence not indented
//! under its key, a complex key, a compact mapping in a sequence. The caller then reads the
//! whole text with granit-parser, so what this reader accepts it must read exactly as
//! granit-parser does: the same events, in the same order, at the same lines and columns. The
//! tests hold the two equal on every YAML file of the repository and on generated documents
//! written to probe the edges.

use std::borrow::Cow;
use std::collections::VecDeque;

use granit_parser::ScalarStyle;

use super::{Ev, Token};
use crate::source::Location;

/// This reader does not take the text; granit-parser will.
#[derive(Debug)]
pub(super) struct Bail;

type Result<T> = std::result::Result<T, Bail>;

/// Nesting this reader goes to, well inside granit-parser's limits (serde-saphyr's
/// `flow_nesting_limit` and block nesting), so that no limit of the parser's is reached here.
const MAX_FLOW_DEPTH: usize = 8;
const MAX_BLOCK_DEPTH: usize = 32;

/// The longest key taken here, in bytes from its first character to its `:`: granit-parser
/// looks a bounded distance ahead for the `:` of a key (1024 characters in serde-saphyr's
/// budget), in block and flow mappings alike, so longer keys are left to it.
const MAX_KEY: usize = 256;

/// A block collection being read.
struct Block {
    /// Its column: the column of its keys or of its dashes.
    indent: usize,
    map: bool,
    /// A sequence in its key's column (`key:` then `- item` under the `k`).
    indentless: bool,
    /// A key was read with its value on the lines below; if none comes, the value is null, which
    /// granit-parser places at the key's `:`.
    waiting: Option<Option<Location>>,
}

/// The tokens of one document, produced a line at a time.
pub(super) struct Lines<'a> {
    text: &'a str,
    /// Byte offset of the next line.
    at: usize,
    /// Number of the next line, from 1.
    line: u32,
    stack: Vec<Block>,
    /// Tokens of the lines read, not yet taken.
    queue: VecDeque<Token<'a>>,
    started: bool,
    ended: bool,
}

impl<'a> Lines<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        let mut queue = VecDeque::with_capacity(32);
        queue.push_back(Token::StreamStart);
        queue.push_back(Token::DocumentStart);
        Lines {
            text,
            at: 0,
            line: 1,
            stack: Vec::new(),
            queue,
            started: false,
            ended: false,
        }
    }

    /// The next token; `Ok(None)` after the stream's end.
    pub(super) fn next(&mut self) -> Result<Option<Token<'a>>> {
        loop {
            if let Some(token) = self.queue.pop_front() {
                return Ok(Some(token));
            }
            if self.ended {
                return Ok(None);
            }
            self.read_line()?;
        }
    }

    /// Reads the next line (or the end of the text) into tokens.
    fn read_line(&mut self) -> Result<()> {
        let rest = self.text.get(self.at..).unwrap_or_default();
        if rest.is_empty() {
            return self.end_of_text();
        }
        let (raw, next) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(i) => (rest.get(..i).unwrap_or_default(), self.at + i + 1),
            None => (rest, self.text.len()),
        };
        self.at = next;
        let number = self.line;
        self.line = self.line.saturating_add(1);
        // Tabs, carriage returns, other control characters, a byte order mark and the line
        // separators of YAML 1.1 each have rules of their own: left to the parser.
        let ascii = raw.is_ascii();
        if raw.bytes().any(|b| b < b' ' || b == 0x7f)
            || !ascii
                && raw.chars().any(|c| {
                    matches!(
                        c,
                        '\u{80}'
                            ..='\u{9f}'
                                | '\u{2028}'
                                | '\u{2029}'
                                | '\u{feff}'
                                | '\u{fffe}'
                                | '\u{ffff}'
                    )
                })
        {
            return Err(Bail);
        }
        let indent = raw.bytes().take_while(|&b| b == b' ').count();
        let content = raw.get(indent..).unwrap_or_default();
        if content.is_empty() || content.starts_with('#') {
            return Ok(());
        }
        if indent == 0 && (content.starts_with("---") || content.starts_with("...")) {
            return Err(Bail);
        }
        let line = Line {
            text: raw,
            number,
            ascii,
        };
        self.structure(&line, indent)
    }

    /// Closes the collections the line leaves, opens the one it starts, and reads its entry.
    fn structure(&mut self, line: &Line<'a>, indent: usize) -> Result<()> {
        let dash = line.is_item(indent);
        // A sequence written in its key's column ends at the next key of that column.
        while self.stack.last().is_some_and(|top| {
            top.indent > indent || top.indent == indent && top.indentless && !dash
        }) {
            self.close()?;
        }
        match self.stack.last_mut() {
            None if !self.started && indent == 0 => {
                self.started = true;
                self.open(line, indent, !dash, false)?;
                self.entry(line, indent)
            }
            None => Err(Bail),
            Some(top) if top.indent == indent => {
                if top.map && dash {
                    // The value of the waiting key: a sequence in the key's column.
                    if top.waiting.take().is_none() {
                        return Err(Bail);
                    }
                    self.open(line, indent, false, true)?;
                    return self.entry(line, indent);
                }
                if !top.map && !dash {
                    return Err(Bail);
                }
                if let Some(at) = top.waiting.take() {
                    self.null(at);
                }
                self.entry(line, indent)
            }
            Some(top) => {
                // Deeper than the collection: only the value of a key waiting for it.
                if top.waiting.take().is_none() {
                    return Err(Bail);
                }
                self.open(line, indent, !dash, false)?;
                self.entry(line, indent)
            }
        }
    }

    /// Starts a block collection at the line's first entry. granit-parser places a sequence
    /// in its key's column at its first item's value, any other at its first entry.
    fn open(&mut self, line: &Line<'a>, indent: usize, map: bool, indentless: bool) -> Result<()> {
        if self.stack.len() >= MAX_BLOCK_DEPTH {
            return Err(Bail);
        }
        let at = if indentless {
            line.location(line.skip_spaces(indent + 1))
        } else {
            line.location(indent)
        };
        self.queue.push_back(Token::Node(
            if map { Ev::MapStart } else { Ev::SeqStart },
            at,
        ));
        self.stack.push(Block {
            indent,
            map,
            indentless,
            waiting: None,
        });
        Ok(())
    }

    /// Ends the innermost block collection.
    fn close(&mut self) -> Result<()> {
        let block = self.stack.pop().ok_or(Bail)?;
        if let Some(at) = block.waiting {
            self.null(at);
        }
        let end = if block.map { Ev::MapEnd } else { Ev::SeqEnd };
        self.queue.push_back(Token::Node(end, self.here()));
        Ok(())
    }

    /// Where a collection closed by the line being read ends. The reader does not use where a
    /// collection ends, only that the parser gave a position.
    fn here(&self) -> Option<Location> {
        Some(Location {
            line: self.line,
            column: 1,
        })
    }

    fn null(&mut self, at: Option<Location>) {
        self.queue.push_back(Token::Node(
            Ev::Scalar(Cow::Borrowed("~"), ScalarStyle::Plain),
            at,
        ));
    }

    /// Reads the entry of the innermost collection written on the line: `key: value`, `key:`
    /// with its value below, `- value`, or `- key: value` (a mapping in the sequence, its keys
    /// in the column of the first).
    fn entry(&mut self, line: &Line<'a>, indent: usize) -> Result<()> {
        if self.stack.last().is_some_and(|b| b.map) {
            return self.map_entry(line, indent);
        }
        let start = line.skip_spaces(indent + 1);
        if start == indent + 1 {
            return Err(Bail);
        }
        if line.holds_key(start) {
            self.open(line, start, true, false)?;
            return self.map_entry(line, start);
        }
        let end = self.node(line, start, None)?;
        line.rest_is_comment(end)
    }

    /// Reads `key: value`, or `key:` with its value below, starting at byte `start`.
    fn map_entry(&mut self, line: &Line<'a>, start: usize) -> Result<()> {
        let colon = self.key(line, start)?;
        // `key:` ends the line, or is followed by spaces (the key reader checked the first).
        let start = line.skip_spaces(colon + 1);
        if matches!(line.byte(start), None | Some(b'#')) {
            let at = line.location(colon);
            if let Some(top) = self.stack.last_mut() {
                top.waiting = Some(at);
            }
            return Ok(());
        }
        let end = self.node(line, start, None)?;
        line.rest_is_comment(end)
    }

    /// Reads a block mapping's key and its `:`, followed by a space or the line's end: the byte
    /// offset of the `:`.
    fn key(&mut self, line: &Line<'a>, start: usize) -> Result<usize> {
        let (value, style, end) = match line.byte(start) {
            Some(b'"' | b'\'') => line.quoted(start)?,
            _ => {
                let bytes = line.text.as_bytes();
                let mut i = start;
                // The key ends at the first `:` followed by a space or the line's end.
                let colon = loop {
                    match bytes.get(i) {
                        None => return Err(Bail),
                        Some(b':') if matches!(bytes.get(i + 1), None | Some(b' ')) => break i,
                        Some(b'#') if i > start && bytes.get(i - 1) == Some(&b' ') => {
                            return Err(Bail);
                        }
                        Some(_) => i += 1,
                    }
                };
                let key = line
                    .text
                    .get(start..colon)
                    .ok_or(Bail)?
                    .trim_end_matches(' ');
                if !plain_start(key.as_bytes()) {
                    return Err(Bail);
                }
                (Cow::Borrowed(key), ScalarStyle::Plain, colon)
            }
        };
        let colon = line.skip_spaces(end);
        // Measured to the `:`, spaces before it included: that is the distance granit-parser
        // looks ahead (`"a"`, a thousand spaces, `: 1` is refused).
        if colon - start > MAX_KEY {
            return Err(Bail);
        }
        if line.byte(colon) != Some(b':') || !matches!(line.byte(colon + 1), None | Some(b' ')) {
            return Err(Bail);
        }
        self.queue
            .push_back(Token::Node(Ev::Scalar(value, style), line.location(start)));
        Ok(colon)
    }

    /// Reads a node that ends on its line: a flow collection, a quoted scalar or a plain
    /// scalar, written after `key: ` or `- ` (`flow` is `None`) or inside a flow collection
    /// `flow` deep. Gives the byte offset after it.
    fn node(&mut self, line: &Line<'a>, start: usize, flow: Option<usize>) -> Result<usize> {
        match line.byte(start) {
            Some(b'[' | b'{') => self.flow(line, start, flow.map_or(0, |depth| depth + 1)),
            Some(b'"' | b'\'') => {
                let (value, style, end) = line.quoted(start)?;
                self.scalar(line, start, value, style);
                Ok(end)
            }
            _ => {
                let end = line.plain_end(start, flow.is_some())?;
                let value = line.text.get(start..end).ok_or(Bail)?.trim_end_matches(' ');
                self.scalar(line, start, Cow::Borrowed(value), ScalarStyle::Plain);
                Ok(start + value.len())
            }
        }
    }

    fn scalar(&mut self, line: &Line<'a>, start: usize, value: Cow<'a, str>, style: ScalarStyle) {
        self.queue
            .push_back(Token::Node(Ev::Scalar(value, style), line.location(start)));
    }

    /// Reads a flow collection that ends on its line; gives the byte offset after it.
    fn flow(&mut self, line: &Line<'a>, start: usize, depth: usize) -> Result<usize> {
        if depth >= MAX_FLOW_DEPTH {
            return Err(Bail);
        }
        let map = line.byte(start) == Some(b'{');
        let close = if map { b'}' } else { b']' };
        self.queue.push_back(Token::Node(
            if map { Ev::MapStart } else { Ev::SeqStart },
            line.location(start),
        ));
        let mut i = line.skip_spaces(start + 1);
        if line.byte(i) == Some(close) {
            self.queue.push_back(Token::Node(
                if map { Ev::MapEnd } else { Ev::SeqEnd },
                line.location(i),
            ));
            return Ok(i + 1);
        }
        loop {
            if map {
                // `key: value`, the key a scalar.
                if matches!(line.byte(i), Some(b'[' | b'{')) {
                    return Err(Bail);
                }
                let key = i;
                i = self.node(line, i, Some(depth))?;
                // The parser's lookahead for a key's `:` holds in flow mappings too.
                if line.byte(i) != Some(b':') || line.byte(i + 1) != Some(b' ') || i - key > MAX_KEY
                {
                    return Err(Bail);
                }
                i = line.skip_spaces(i + 1);
            }
            i = self.node(line, i, Some(depth))?;
            i = line.skip_spaces(i);
            match line.byte(i) {
                Some(b',') => {
                    i = line.skip_spaces(i + 1);
                    // A trailing comma, or an empty entry.
                    if matches!(line.byte(i), None | Some(b',' | b']' | b'}')) {
                        return Err(Bail);
                    }
                }
                Some(b) if b == close => {
                    self.queue.push_back(Token::Node(
                        if map { Ev::MapEnd } else { Ev::SeqEnd },
                        line.location(i),
                    ));
                    return Ok(i + 1);
                }
                _ => return Err(Bail),
            }
        }
    }

    /// Closes what is open and ends the document.
    fn end_of_text(&mut self) -> Result<()> {
        if !self.started {
            return Err(Bail);
        }
        while !self.stack.is_empty() {
            self.close()?;
        }
        self.queue.push_back(Token::DocumentEnd);
        self.queue.push_back(Token::StreamEnd);
        self.ended = true;
        Ok(())
    }
}

/// One line of the text, without its line break.
struct Line<'a> {
    text: &'a str,
    number: u32,
    ascii: bool,
}

impl<'a> Line<'a> {
    fn byte(&self, i: usize) -> Option<u8> {
        self.text.as_bytes().get(i).copied()
    }

    /// granit-parser's position of what starts at byte `i`: columns count characters.
    fn location(&self, i: usize) -> Option<Location> {
        let column = if self.ascii {
            i
        } else {
            self.text.get(..i).unwrap_or_default().chars().count()
        };
        Some(Location {
            line: self.number,
            column: u32::try_from(column.saturating_add(1)).unwrap_or(u32::MAX),
        })
    }

    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.byte(i) == Some(b' ') {
            i += 1;
        }
        i
    }

    /// Whether the entry at `indent` is a sequence item (`- ` or a lone `-`).
    fn is_item(&self, indent: usize) -> bool {
        self.byte(indent) == Some(b'-') && matches!(self.byte(indent + 1), None | Some(b' '))
    }

    /// Whether a mapping key starts at byte `start`: a `:` followed by a space or the line's
    /// end comes before any comment (a plain scalar cannot hold one, so the entry would be
    /// refused as a scalar anyway).
    fn holds_key(&self, start: usize) -> bool {
        let bytes = self.text.as_bytes();
        let mut i = start;
        if let Some(quote @ (b'"' | b'\'')) = self.byte(start) {
            match bytes
                .get(start + 1..)
                .and_then(|rest| memchr::memchr(quote, rest))
            {
                Some(len) => i = start + len + 2,
                None => return false,
            }
        }
        while let Some(&b) = bytes.get(i) {
            match b {
                b':' if matches!(bytes.get(i + 1), None | Some(b' ')) => return true,
                b'#' if i > start && bytes.get(i - 1) == Some(&b' ') => return false,
                _ => i += 1,
            }
        }
        false
    }

    /// Where the plain scalar starting at byte `start` ends (its trailing spaces included).
    /// In block context it ends at a comment or the line's end, and `: ` inside it is refused
    /// (`a: b: c`); in a flow collection it also ends at `,` `[` `]` `{` `}` or a `:` before
    /// one of them or a space, and must not reach a comment or the line's end (the collection
    /// would not be closed on this line).
    fn plain_end(&self, start: usize, flow: bool) -> Result<usize> {
        let bytes = self.text.as_bytes();
        if !plain_start(bytes.get(start..).unwrap_or_default()) {
            return Err(Bail);
        }
        let mut i = start;
        loop {
            let next = bytes.get(i + 1).copied();
            match bytes.get(i) {
                None if flow => return Err(Bail),
                None => return Ok(i),
                Some(b',' | b'[' | b']' | b'{' | b'}') if flow => return Ok(i),
                Some(b':') if matches!(next, None | Some(b' ')) => {
                    return if flow { Ok(i) } else { Err(Bail) };
                }
                Some(b':') if flow && matches!(next, Some(b',' | b'[' | b']' | b'{' | b'}')) => {
                    return Ok(i);
                }
                Some(b'#') if i > start && bytes.get(i - 1) == Some(&b' ') => {
                    return if flow { Err(Bail) } else { Ok(i) };
                }
                Some(_) => i += 1,
            }
        }
    }

    /// After a value: nothing, or spaces and a comment.
    fn rest_is_comment(&self, end: usize) -> Result<()> {
        let i = self.skip_spaces(end);
        match self.byte(i) {
            None => Ok(()),
            Some(b'#') if i > end => Ok(()),
            _ => Err(Bail),
        }
    }

    /// A quoted scalar that ends on this line and holds no escape: its value, style and the
    /// byte offset after its closing quote.
    fn quoted(&self, start: usize) -> Result<(Cow<'a, str>, ScalarStyle, usize)> {
        let quote = self.byte(start).ok_or(Bail)?;
        let rest = self.text.get(start + 1..).ok_or(Bail)?;
        let len = memchr::memchr(quote, rest.as_bytes()).ok_or(Bail)?;
        let value = rest.get(..len).ok_or(Bail)?;
        let end = start + 1 + len + 1;
        let style = if quote == b'"' {
            if value.contains('\\') {
                return Err(Bail);
            }
            ScalarStyle::DoubleQuoted
        } else {
            // `''` is a quote inside the scalar.
            if self.byte(end) == Some(b'\'') {
                return Err(Bail);
            }
            ScalarStyle::SingleQuoted
        };
        Ok((Cow::Borrowed(value), style, end))
    }
}

/// Whether a plain scalar may start with the first bytes of `rest`. Indicators are left to the
/// parser, and so is `-`, `?` or `:` before a space; `-` before a letter or digit (`-1`) is
/// taken.
fn plain_start(rest: &[u8]) -> bool {
    match rest.first() {
        None => false,
        Some(b'-') => rest.get(1).is_some_and(u8::is_ascii_alphanumeric),
        Some(
            b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
            | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ',
        ) => false,
        Some(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use granit_parser::{Parser, StrInput};
    use proptest::prelude::*;

    use super::super::{Source, Token, parser_options};
    use super::*;

    /// The tokens of `source` as text, or why it stopped. Where a collection ends is not
    /// compared: the reader does not use it.
    fn tokens(mut source: Source<'_>) -> std::result::Result<Vec<String>, &'static str> {
        let mut out = Vec::new();
        loop {
            let token = match source.next() {
                Ok(Some(token)) => token,
                Ok(None) => return Ok(out),
                Err(_) if source.bailed() => return Err("bailed"),
                Err(_) => return Err("refused"),
            };
            out.push(match token {
                Token::StreamStart => "stream".to_owned(),
                Token::DocumentStart => "document".to_owned(),
                Token::DocumentEnd => "document end".to_owned(),
                Token::StreamEnd => "stream end".to_owned(),
                Token::Node(ev, at) => {
                    let at = at.map(|l| (l.line, l.column));
                    match ev {
                        Ev::Scalar(value, style) => format!("{value:?} {style:?} at {at:?}"),
                        Ev::MapStart => format!("map at {at:?}"),
                        Ev::SeqStart => format!("seq at {at:?}"),
                        Ev::MapEnd => "map end".to_owned(),
                        Ev::SeqEnd => "seq end".to_owned(),
                    }
                }
            });
        }
    }

    /// Whether the line reader takes `text`; when it does, its tokens must be granit-parser's.
    fn agrees(text: &str) -> bool {
        let Ok(lines) = tokens(Source::Lines(Lines::new(text), false)) else {
            return false;
        };
        let parser = Parser::with_options(StrInput::new(text), parser_options());
        let parsed = tokens(Source::Parser(Box::new(parser)));
        assert_eq!(
            Ok(&lines),
            parsed.as_ref(),
            "line reader differs on:\n{text}"
        );
        true
    }

    #[test]
    fn every_yaml_file_of_the_repository_reads_as_granit_parser_reads_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files: Vec<PathBuf> = Vec::new();
        for dir in ["testdata", "examples", "docs", ".github"] {
            super::super::tests::yaml_files(&root.join(dir), &mut files);
        }
        files.sort();
        let mut taken = Vec::new();
        for path in &files {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            if agrees(&text) {
                taken.push(path.display().to_string());
            }
        }
        // The test compares something: the bundled native pipelines and policies are read here.
        assert!(
            taken.iter().any(|p| p.contains("examples/pipelines")),
            "{taken:?}"
        );
        assert!(
            taken.len() * 5 > files.len(),
            "{} of {}",
            taken.len(),
            files.len()
        );
    }

    /// Documents at the edges of what the line reader takes, each either taken and read as the
    /// parser reads it, or left to the parser; the ones marked `true` must be taken.
    #[test]
    fn edges_are_read_as_the_parser_reads_them_or_left_to_it() {
        let docs: &[(&str, bool)] = &[
            ("a: 1\n", true),
            ("a: 1", true),
            ("a:\n", true),
            ("a:\nb: 2\n", true),
            ("a:   # why\nb: 2\n", true),
            ("a: x # why\n", true),
            ("a: x#y\n", true),
            ("a : x\n", true),
            ("a:  x  \n", true),
            ("a: b c d\n", true),
            ("a: http://x/y:z\n", true),
            ("a: -1\n", true),
            ("a: [x, 'y z', \"w\"]\n", true),
            ("a: [ x , y ]\n", true),
            ("a: {b: [c], d: {}}\n", true),
            ("a: []\nb: {}\n", true),
            ("\"a b\": 1\n'c': 2\n", true),
            ("a:\n  b:\n    c: 1\n  d: 2\ne: 3\n", true),
            ("a:\n  - x\n  - y\nb: 1\n", true),
            ("a:\n  b:\n    - [x]\n    - 'q'\n", true),
            ("# head\n\na: 1\n\n   \n# tail\n", true),
            ("a: é\nb: [ü, x]\n", true),
            ("é: [ü, x]\n", true),
            ("a:\n  b:\n", true),
            ("a:\n  b: 1\n  c:\n", true),
            // Left to the parser.
            ("a:\n- x\n", true),
            ("a: x\n  y\n", false),
            ("a: 'x\n  y'\n", false),
            ("a: [x,\n  y]\n", false),
            ("a: |\n  x\n", false),
            ("a: &x 1\nb: *x\n", false),
            ("a: !!str 1\n", false),
            ("a:\tx\n", false),
            ("a: 1\r\n", false),
            ("\u{feff}a: 1\n", false),
            ("---\na: 1\n", false),
            ("a: 1\n...\n", false),
            ("%YAML 1.2\n---\na: 1\n", false),
            ("- a\n", true),
            ("  a: 1\n", false),
            ("? a\n: 1\n", false),
            ("a: b: c\n", false),
            ("a: [x, ]\n", false),
            ("a: [x,, y]\n", false),
            ("a: {x}\n", false),
            ("a: \"x\\ty\"\n", false),
            ("a: 'it''s'\n", false),
            ("a:\n  - b: 1\n", true),
            (
                "a:\n  - b: 1\n    c: [x]\n  - d:\n      e: 2\n  -   f: 3\nz: 4\n",
                true,
            ),
            ("a:\n- x\n- y: 1\n  z: 2\nb: 1\n", true),
            ("a:\n  b:\n  - x\n  c: 1\n", true),
            ("- a\n- b: 1\n", true),
            ("- a\nb: 1\n", false),
            ("a: 1\n- b\n", false),
            ("a:\n  - b\n  c: 1\n", false),
            ("a:\n  -\n", false),
            ("a:\n    b: 1\n  c: 2\n", false),
            ("", false),
            ("# only a comment\n", false),
            ("a: [x] y\n", false),
            ("a: [x]#y\n", false),
            ("a: \"x\" y\n", false),
            ("a: @x\n", false),
            ("a: `x`\n", false),
            ("a: %x\n", false),
            ("a: x\u{85}y\n", false),
            // Probes of session 5: nulls, indentless sequences, plain scalar rules, flow
            // adjacency, non-ASCII columns, document ends.
            ("a:    \n", true),
            ("a: # c", true),
            ("'a'   :\n", true),
            ("- a:\n- b\n", true),
            ("a:\n- b:\n  - c\n- d\n", true),
            ("a:\n- [x]\n", true),
            ("a:\n-   \"x\"\n", true),
            ("- a:\n  - b\n  c: 1\n", true),
            ("a: # c\n  # d\n - x\n", true),
            ("a:\n    \n  - x\n", true),
            ("\n\n\na: 1\n", true),
            ("- a # c\n-  b\n", true),
            ("a:: 1\n", true),
            ("a :b: c\n", true),
            ("a:#b: c\n", true),
            ("a: b:#c\n", true),
            ("'a'  :  1\n", true),
            ("- \"a #b\": c\n", true),
            ("- a #b: c\n", true),
            ("a: b #c: d\n", true),
            ("a:\n  ...: 1\n", true),
            ("k: b]\n", true),
            ("k: b, c\n", true),
            ("b{c}: k\n", true),
            ("k: a\u{a0}#b\n", true),
            ("a:\n\u{a0}b: 1\n", true),
            ("\u{3000}a: 1\n", true),
            ("a: [a :b]\n", true),
            ("a: {a :b: c}\n", true),
            ("a: {a: b:c}\n", true),
            ("a: [a:b]\n", true),
            ("a: [a#b]\n", true),
            ("a: [\"a\",'b']\n", true),
            ("a: [a,b,c]\n", true),
            ("a: {a: b ,c: d}\n", true),
            ("a: [[[[[[[[x]]]]]]]]\n", true),
            ("😀:\n- a: 1\n  b: 😀\n", true),
            ("- 😀\n- 👨\u{200d}👩\u{200d}👧: x\n", true),
            ("x: {\"👨\u{200d}👩\u{200d}👧\": y}\n", true),
            ("e\u{301}: {e\u{301}: e\u{301}}\n", true),
            ("日本語: [日本, 語]\n", true),
            ("k: x\u{10ffff}\n", true),
            ("k: \u{fdd0}\n", true),
            ("a: [a:]\n", false),
            ("a: [a: b]\n", false),
            ("a: {\"a\":b}\n", false),
            ("a: {a:b}\n", false),
            ("a: [-]\n", false),
            ("a: [a #b]\n", false),
            ("a: {a: b]\n", false),
            ("a: [b], [c]\n", false),
            ("a: [[[[[[[[[x]]]]]]]]]\n", false),
            ("a:\n- x\n - y\n", false),
            ("a: b # c\n  d\n", false),
            ("a:\n  b: 1\n  # c\n c: 2\n", false),
            ("k: v\n... # c\n", false),
            ("- a\n- \n", false),
            ("a: x:\n", false),
            ("a: - b\n", false),
            ("- - a\n", false),
            ("a:\u{3000}b\n", false),
            ("a: \u{2029}\n", false),
        ];
        for (doc, taken) in docs {
            let agreed = agrees(doc);
            if *taken {
                assert!(agreed, "not taken: {doc:?}");
            }
            let lines = tokens(Source::Lines(Lines::new(doc), false));
            if !taken {
                assert!(lines.is_err(), "taken: {doc:?}");
            }
        }
    }

    /// Keys whose `:` is near or past granit-parser's lookahead (1024 characters in
    /// serde-saphyr's budget): spaces before a quoted key's `:` count, and flow mappings have
    /// the limit too. The parser refuses the ones past it, so the reader must leave them.
    #[test]
    fn keys_near_the_parsers_lookahead_are_read_as_it_reads_them_or_left_to_it() {
        for n in [100, 250, 256, 300, 1000, 1022, 1023, 1024, 1025, 1100] {
            let pad = " ".repeat(n);
            let long = "a".repeat(n);
            let wide = "é".repeat(n);
            // Each with whether a key that long is in it.
            let docs = [
                (format!("\"a\"{pad}: 1\n"), true),
                (format!("'a'{pad}: 1\n"), true),
                (format!("a{pad}: 1\n"), true),
                (format!("- \"a\"{pad}: 1\n"), true),
                (format!("x:\n  'a'{pad}:\n"), true),
                (format!("\"{long}\": 1\n"), true),
                (format!("x: {{\"{long}\": 1}}\n"), true),
                (format!("x: {{{long}: 1}}\n"), true),
                (format!("x: {{a{pad}b: 1}}\n"), true),
                (format!("x: {{k: v, {long}: [1]}}\n"), true),
                (format!("x: [{{{long}: 1}}]\n"), true),
                (format!("x: {{\"{wide}\": 1}}\n"), true),
                (format!("x: {{{wide}: 1}}\n"), true),
                (format!("x: [{long}]\n"), false),
                (format!("x: {{a: {long}}}\n"), false),
            ];
            for (doc, long_key) in &docs {
                let taken = agrees(doc);
                if n <= 100 || !long_key {
                    assert!(taken, "not taken: {doc:?}");
                }
                if n >= 1000 && *long_key {
                    assert!(!taken, "taken: {doc:?}");
                }
            }
        }
    }

    /// A document's shape, written out by [`write`] in the styles the reader takes.
    #[derive(Clone, Debug)]
    enum Tree {
        Scalar(&'static str),
        Map(Vec<(&'static str, Tree)>),
        Seq(Vec<Tree>),
    }

    /// Scalars, among them ones near the reader's edges.
    fn word() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "a",
            "job-1",
            "x y",
            "é",
            "-1",
            "1.5",
            "~",
            "null",
            "true",
            "yes",
            "0x10",
            "a:b",
            "a#b",
            "C#",
            "'q'",
            "\"d\"",
            "'x y'",
            "'it''s'",
            "\"e\\n\"",
            "http://h/p",
            "a  b",
        ])
    }

    fn tree() -> impl Strategy<Value = Tree> {
        word()
            .prop_map(Tree::Scalar)
            .prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    prop::collection::vec((word(), inner.clone()), 0..4).prop_map(Tree::Map),
                    prop::collection::vec(inner, 0..4).prop_map(Tree::Seq),
                ]
            })
    }

    /// Writes `tree` as the value after `key:` or `- `, taking each choice of style (flow or
    /// block, how deep to indent, a sequence in its key's column, a comment) from `choices`.
    fn write(
        tree: &Tree,
        indent: usize,
        item: bool,
        out: &mut String,
        choices: &mut impl Iterator<Item = u8>,
    ) {
        match tree {
            Tree::Scalar(s) => {
                out.push(' ');
                out.push_str(s);
                if choose(choices, 4) == 0 {
                    out.push_str(" # c");
                }
                out.push('\n');
            }
            Tree::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
            Tree::Seq(items) if items.is_empty() => out.push_str(" []\n"),
            _ if choose(choices, 3) == 0 => {
                out.push(' ');
                flow(tree, out);
                out.push('\n');
            }
            Tree::Map(entries) => {
                // A mapping in a sequence starts on the dash's line.
                let deeper = indent + 1 + usize::from(choose(choices, 3));
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i == 0 && item {
                        out.push_str(&" ".repeat(deeper - indent - 1));
                    } else {
                        if i == 0 {
                            out.push('\n');
                        }
                        out.push_str(&" ".repeat(deeper));
                    }
                    out.push_str(key);
                    out.push(':');
                    write(value, deeper, false, out, choices);
                }
            }
            Tree::Seq(items) => {
                let deeper = if !item && choose(choices, 2) == 0 {
                    indent
                } else {
                    indent + 1 + usize::from(choose(choices, 3))
                };
                out.push('\n');
                for value in items {
                    out.push_str(&" ".repeat(deeper));
                    out.push('-');
                    write(value, deeper, true, out, choices);
                }
            }
        }
    }

    fn choose(choices: &mut impl Iterator<Item = u8>, n: u8) -> u8 {
        choices.next().unwrap_or(0) % n
    }

    fn flow(tree: &Tree, out: &mut String) {
        match tree {
            Tree::Scalar(s) => out.push_str(s),
            Tree::Map(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(key);
                    out.push_str(": ");
                    flow(value, out);
                }
                out.push('}');
            }
            Tree::Seq(items) => {
                out.push('[');
                for (i, value) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    flow(value, out);
                }
                out.push(']');
            }
        }
    }

    /// What a mutation inserts: the characters whose meaning the reader must get right.
    const INSERTS: &[&str] = &[
        " ", "\t", "#", " #", ":", ": ", "- ", "\n", "\n  ", "'", "\"", "[", "]", "{", "}", ",",
        "&a ", "*a", "|", "?", "---\n", "\r",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// Documents written in the reader's styles, some with one character inserted at
        /// random: whatever the reader takes, it reads as the parser does.
        #[test]
        fn generated_documents_are_read_as_the_parser_reads_them(
            root in prop::collection::vec((word(), tree()), 1..5),
            choices in prop::collection::vec(any::<u8>(), 64),
            mutation in prop::option::weighted(0.5, (any::<prop::sample::Index>(), prop::sample::select(INSERTS))),
        ) {
            let mut doc = String::new();
            let mut choices = choices.into_iter().cycle();
            for (key, value) in &root {
                doc.push_str(key);
                doc.push(':');
                write(value, 0, false, &mut doc, &mut choices);
            }
            if let Some((at, insert)) = mutation {
                let mut at = at.index(doc.len() + 1);
                while !doc.is_char_boundary(at) {
                    at -= 1;
                }
                doc.insert_str(at, insert);
            }
            // About a quarter are taken (30,000 cases: 7,475); the rest hold a word or a
            // mutation the reader leaves to the parser.
            agrees(&doc);
        }
    }
}
