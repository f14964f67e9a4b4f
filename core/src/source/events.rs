//! The fast way to read our own YAML documents: one pass over granit-parser's events (the parser
//! serde-saphyr itself reads) that deserializes the typed document and builds its [`Locator`]
//! together.
//!
//! serde-saphyr costs about twice its parser's time even when it builds nothing, and reading a
//! document with positions took it twice (once with a `Spanned` on every node, once into the
//! typed schema). This pass reads each event once. It covers the documents lockkeeper writes
//! and generates: block and flow collections of scalars whose meaning is not in doubt. Anything
//! else — a parse error, an anchor, an alias, a tag, a merge key, a repeated key, a second
//! document, a scalar whose type serde-saphyr would have to infer (`yes`, `0x10`, `.nan`), a
//! document near its budget, or any error of the typed schema — makes it give up with
//! [`Fallback`], and the caller reads the text with serde-saphyr exactly as before. So this
//! pass never decides a document differently: it either gives serde-saphyr's value and positions,
//! or steps aside, and every message still comes from serde-saphyr. The tests compare the two on
//! every YAML file of the repository's test data.

use std::borrow::Cow;
use std::fmt;

use granit_parser::{Event, Parser, ScalarStyle, Span, StrInput};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{
    Entry, FieldPath, Kind, Location, Locator, MapNode, Node, hasher, key_hash, node_budget,
};

mod lines;

use lines::Lines;

/// The fast path does not read this document; serde-saphyr will.
#[derive(Debug)]
pub(super) struct Fallback;

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to serde-saphyr")
    }
}

impl std::error::Error for Fallback {}

impl de::Error for Fallback {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Fallback
    }
}

type Result<T, E = Fallback> = std::result::Result<T, E>;

/// Reads `text` into `T` with its locator and the paths of the fields `T` does not know.
///
/// The locator records the inside of collections down to nesting depth `elide_from` (the root
/// collection is at depth 0); a collection at that depth or deeper is kept as its position alone
/// ([`Kind::Elided`]). Everything is still read and checked as before; only the positions tree
/// is smaller. `usize::MAX` records everything.
pub(super) fn read<'a, T: Deserialize<'a>>(
    text: &'a str,
    elide_from: usize,
) -> Result<(T, Locator, Vec<FieldPath>)> {
    from_lines_or_parser(text, |source| {
        let mut reader = match Reader::new(text, source, Keys::Unique, elide_from) {
            Ok(reader) => reader,
            Err(e) => return (Err(e), false),
        };
        let mut unknown = Vec::new();
        let value = serde_ignored::deserialize(&mut reader, |p| {
            unknown.push(FieldPath::from_ignored(&p));
        });
        let locator = value.and_then(|value| Ok((value, reader.finish()?)));
        (
            locator.map(|(value, locator)| (value, locator, unknown)),
            reader.source.bailed(),
        )
    })
}

/// The locator alone, as serde-saphyr's positions tree gives it (repeated keys are marked, not
/// refused).
pub(super) fn locate(text: &str) -> Result<Locator> {
    from_lines_or_parser(text, |source| {
        // Repeated keys are marked in the tree, so nothing may be elided.
        let mut reader = match Reader::new(text, source, Keys::Repeatable, usize::MAX) {
            Ok(reader) => reader,
            Err(e) => return (Err(e), false),
        };
        let mut read = || {
            reader.next()?;
            while !reader.builder.stack.is_empty() {
                reader.next()?;
            }
            Ok(())
        };
        let locator = read().and_then(|()| reader.finish());
        (locator, reader.source.bailed())
    })
}

/// Runs `read` on the line reader, and again on granit-parser if the line reader gave up
/// (whether or not the read had failed by then for a reason of its own: that reason is
/// decided on the parser's events).
fn from_lines_or_parser<'a, T>(
    text: &'a str,
    read: impl Fn(Source<'a>) -> (Result<T>, bool),
) -> Result<T> {
    match read(Source::Lines(Lines::new(text), false)) {
        (Err(Fallback), true) => {
            let parser = Parser::with_options(StrInput::new(text), parser_options());
            read(Source::Parser(Box::new(parser))).0
        }
        (result, _) => result,
    }
}

/// Whether a key written twice is left to serde-saphyr (which refuses it in a typed read) or
/// marked, as the positions tree does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    Unique,
    Repeatable,
}

/// serde-saphyr's limits for `text` (see `super::budget_for`): at or past any of them the
/// document is left to serde-saphyr, which decides whether it is refused.
struct Limits {
    nodes: usize,
    events: usize,
    depth: usize,
    scalar_bytes: usize,
}

impl Limits {
    fn for_text(text: &str) -> Self {
        let nodes = node_budget(text.len());
        let defaults = serde_saphyr::Budget::default();
        Limits {
            nodes,
            events: defaults.max_events.max(nodes.saturating_mul(2)),
            depth: defaults.max_depth,
            scalar_bytes: defaults.max_total_scalar_bytes.max(text.len()),
        }
    }
}

/// The parser options serde-saphyr uses (`Budget::parser_options`), so that this pass accepts
/// exactly the syntax serde-saphyr's parser accepts.
fn parser_options() -> granit_parser::Options {
    let defaults = serde_saphyr::Budget::default();
    let block_nesting_limit = granit_parser::Options::default()
        .block_nesting_limit
        .max(defaults.max_depth.saturating_add(1));
    granit_parser::options! {
        simple_key_max_lookahead: defaults.simple_key_max_lookahead,
        flow_nesting_limit: defaults.flow_nesting_limit,
        block_nesting_limit: block_nesting_limit,
        emit_comments: false,
        strict_indentation: false,
        bom_inside_document_as_content: false,
    }
}

/// A node event, without what the fast path refuses (anchors, tags): a fraction of the size of
/// the parser's event, which is moved at every step.
enum Ev<'a> {
    Scalar(Cow<'a, str>, ScalarStyle),
    SeqStart,
    MapStart,
    SeqEnd,
    MapEnd,
}

/// An event as the reader takes it, from either source.
enum Token<'a> {
    StreamStart,
    /// An implicit or `---` start, without a `%YAML` directive.
    DocumentStart,
    DocumentEnd,
    StreamEnd,
    Node(Ev<'a>, Option<Location>),
}

/// Where the events come from: the line reader, which takes the YAML that programs write and
/// gives up on the rest, or granit-parser, which takes all of YAML.
enum Source<'a> {
    /// The line reader, and whether it gave up.
    Lines(Lines<'a>, bool),
    Parser(Box<Parser<'a, StrInput<'a>>>),
}

impl<'a> Source<'a> {
    /// The next event; `None` after the stream's end. An event the fast path does not take (an
    /// alias, an anchor, a tag, a `%YAML` directive) ends it.
    fn next(&mut self) -> Result<Option<Token<'a>>> {
        match self {
            Source::Lines(lines, bailed) => lines.next().map_err(|lines::Bail| {
                *bailed = true;
                Fallback
            }),
            Source::Parser(parser) => {
                let (event, span) = match parser.next_event() {
                    None => return Ok(None),
                    Some(Ok(next)) => next,
                    Some(Err(_)) => return Err(Fallback),
                };
                let node = |ev| Ok(Some(Token::Node(ev, location(&span))));
                match event {
                    Event::StreamStart => Ok(Some(Token::StreamStart)),
                    Event::DocumentStart(_, None) => Ok(Some(Token::DocumentStart)),
                    Event::DocumentEnd => Ok(Some(Token::DocumentEnd)),
                    Event::StreamEnd => Ok(Some(Token::StreamEnd)),
                    Event::Scalar(value, style, 0, None) => node(Ev::Scalar(value, style)),
                    Event::SequenceStart(_, 0, None) => node(Ev::SeqStart),
                    Event::MappingStart(_, 0, None) => node(Ev::MapStart),
                    Event::SequenceEnd => node(Ev::SeqEnd),
                    Event::MappingEnd => node(Ev::MapEnd),
                    _ => Err(Fallback),
                }
            }
        }
    }

    fn bailed(&self) -> bool {
        matches!(self, Source::Lines(_, true))
    }
}

/// The events of one document, pulled one at a time; each event taken is also handed to the
/// [`Builder`] of the locator.
struct Reader<'a> {
    source: Source<'a>,
    peeked: Option<(Ev<'a>, Location)>,
    builder: Builder,
    limits: Limits,
    events: usize,
    nodes: usize,
    depth: usize,
    scalar_bytes: usize,
}

/// serde-saphyr's position of an event (`location_from_span`): 1-based line and column; `None`
/// for line 0, as `super::located::to_location` reads it.
fn location(span: &Span) -> Option<Location> {
    let (line, column) = (span.start.line(), span.start.col().saturating_add(1));
    (line > 0).then_some(Location {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    })
}

impl<'a> Reader<'a> {
    /// Starts the reader at the document's root node.
    fn new(text: &'a str, source: Source<'a>, keys: Keys, elide_from: usize) -> Result<Self> {
        let mut reader = Reader {
            source,
            peeked: None,
            builder: Builder::new(keys, elide_from),
            limits: Limits::for_text(text),
            events: 0,
            nodes: 0,
            depth: 0,
            scalar_bytes: 0,
        };
        match reader.pull()? {
            Token::StreamStart => {}
            _ => return Err(Fallback),
        }
        match reader.pull()? {
            Token::DocumentStart => {}
            _ => return Err(Fallback),
        }
        Ok(reader)
    }

    /// The next event from the source, counted against the limits.
    fn pull(&mut self) -> Result<Token<'a>> {
        let token = self.source.next()?.ok_or(Fallback)?;
        self.events += 1;
        if self.events >= self.limits.events {
            return Err(Fallback);
        }
        Ok(token)
    }

    /// The next node event, without taking it. An empty document, an alias, an anchor or a tag
    /// ends the fast path.
    fn peek(&mut self) -> Result<&Ev<'a>> {
        if self.peeked.is_none() {
            let Token::Node(event, loc) = self.pull()? else {
                return Err(Fallback);
            };
            let loc = loc.ok_or(Fallback)?;
            self.peeked = Some((event, loc));
        }
        match &self.peeked {
            Some((event, _)) => Ok(event),
            None => Err(Fallback),
        }
    }

    /// Takes the next node event, and records it in the locator.
    fn next(&mut self) -> Result<Ev<'a>> {
        self.peek()?;
        let (event, loc) = self.peeked.take().ok_or(Fallback)?;
        match &event {
            Ev::Scalar(value, style) => {
                self.count_node()?;
                self.scalar_bytes = self.scalar_bytes.saturating_add(value.len());
                if self.scalar_bytes >= self.limits.scalar_bytes {
                    return Err(Fallback);
                }
                self.builder.scalar(Some(loc), value, *style)?;
            }
            Ev::SeqStart | Ev::MapStart => {
                self.count_node()?;
                self.depth += 1;
                if self.depth >= self.limits.depth {
                    return Err(Fallback);
                }
                let map = matches!(event, Ev::MapStart);
                self.builder.start(Some(loc), map)?;
            }
            Ev::SeqEnd | Ev::MapEnd => {
                self.depth = self.depth.saturating_sub(1);
                self.builder.end()?;
            }
        }
        Ok(event)
    }

    fn count_node(&mut self) -> Result<()> {
        self.nodes += 1;
        if self.nodes >= self.limits.nodes {
            return Err(Fallback);
        }
        Ok(())
    }

    /// Checks that the document ended and nothing follows it, and gives its locator.
    fn finish(&mut self) -> Result<Locator> {
        if self.peeked.is_some() {
            return Err(Fallback);
        }
        match self.pull()? {
            Token::DocumentEnd => {}
            _ => return Err(Fallback),
        }
        match self.pull()? {
            Token::StreamEnd => {}
            _ => return Err(Fallback),
        }
        if !matches!(self.source.next(), Ok(None)) {
            return Err(Fallback);
        }
        let builder = Builder::new(self.builder.keys, self.builder.elide_from);
        std::mem::replace(&mut self.builder, builder).finish()
    }

    /// Takes a scalar that a typeless read (`deserialize_any`) gives the same value whichever
    /// way serde-saphyr resolves it, and hands it to `visitor`.
    fn any_scalar<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value> {
        let Ev::Scalar(value, style) = self.next()? else {
            return Err(Fallback);
        };
        if style != ScalarStyle::Plain {
            return visit_text(value, visitor);
        }
        match plain(&value) {
            Plain::Null => visitor.visit_unit(),
            Plain::Bool(b) => visitor.visit_bool(b),
            Plain::Unsigned(n) => visitor.visit_u64(n),
            Plain::Text => visit_text(value, visitor),
            Plain::Other => Err(Fallback),
        }
    }

    /// Takes a scalar read as a string: any scalar but a plain null.
    fn text_scalar<V: Visitor<'a>>(&mut self, visitor: V) -> Result<V::Value> {
        match self.peek()? {
            Ev::Scalar(value, ScalarStyle::Plain) if is_null(value) => Err(Fallback),
            Ev::Scalar(..) => match self.next()? {
                Ev::Scalar(value, _) => visit_text(value, visitor),
                _ => Err(Fallback),
            },
            _ => Err(Fallback),
        }
    }

    /// Takes a plain scalar that can only be read one way: `true`/`false` or a decimal number.
    fn typed_scalar(&mut self) -> Result<Plain> {
        match self.peek()? {
            Ev::Scalar(value, ScalarStyle::Plain) => {
                let resolved = plain(value);
                if matches!(resolved, Plain::Bool(_) | Plain::Unsigned(_)) {
                    self.next()?;
                    return Ok(resolved);
                }
                Err(Fallback)
            }
            _ => Err(Fallback),
        }
    }

    fn unsigned(&mut self) -> Result<u64> {
        match self.typed_scalar()? {
            Plain::Unsigned(n) => Ok(n),
            _ => Err(Fallback),
        }
    }
}

fn visit_text<'a, V: Visitor<'a>>(
    value: std::borrow::Cow<'a, str>,
    visitor: V,
) -> Result<V::Value> {
    match value {
        std::borrow::Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
        std::borrow::Cow::Owned(s) => visitor.visit_string(s),
    }
}

/// What a plain scalar means to serde-saphyr, as far as this pass is sure of it.
#[derive(Clone, Copy)]
enum Plain {
    Null,
    Bool(bool),
    /// A decimal number without sign or leading zero that fits in a `u64`.
    Unsigned(u64),
    /// Text that no typed reading could take for anything else.
    Text,
    /// Anything that needs serde-saphyr's resolution rules (`yes`, `0x1F`, `1.5`, `.inf`).
    Other,
}

/// serde-saphyr's plain nulls (`scalar_is_nullish`).
fn is_null(value: &str) -> bool {
    matches!(value, "" | "~" | "null" | "Null" | "NULL")
}

fn plain(value: &str) -> Plain {
    if is_null(value) {
        return Plain::Null;
    }
    match value {
        "true" => return Plain::Bool(true),
        "false" => return Plain::Bool(false),
        _ => {}
    }
    let bytes = value.as_bytes();
    if bytes.iter().all(u8::is_ascii_digit) {
        if bytes.len() > 1 && bytes.first() == Some(&b'0') {
            return Plain::Other;
        }
        return value.parse().map_or(Plain::Other, Plain::Unsigned);
    }
    // A byte no number, boolean or null is written with (a space, `/`, `@`, any non-ASCII)
    // makes text. So does a start no number has (a letter other than in the words YAML 1.1 or
    // Rust's float parser give a meaning: `yes`, `off`, `inf`, `NaN`, ...). What is left (`1.5`,
    // `0x1F`, `+1`, `1_000`, `.inf`) is left to serde-saphyr.
    let numeric =
        |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-' | b':');
    if !bytes.iter().all(numeric) {
        return Plain::Text;
    }
    if !bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        return Plain::Other;
    }
    if bytes.len() <= 8 {
        let lower = value.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "inf" | "infinity" | "nan"
        ) {
            return Plain::Other;
        }
    }
    Plain::Text
}

/// Whether serde-saphyr's typeless read could refuse this plain scalar: it refuses a float that
/// is not finite (`.inf`, `-.NaN`, `1e999`), and reads every other plain scalar as something.
fn may_refuse_typeless(value: &str) -> bool {
    let bytes = value.as_bytes();
    let unsigned = bytes
        .strip_prefix(b"+")
        .or_else(|| bytes.strip_prefix(b"-"))
        .unwrap_or(bytes);
    let number_like = unsigned
        .first()
        .is_some_and(|b| b.is_ascii_digit() || *b == b'.');
    let has = |word: &[u8]| {
        bytes
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word))
    };
    number_like && (has(b"e") || has(b"inf") || has(b"nan"))
}

/// The name of a mapping key, recorded or elided alike: `<<` merges, and a plain key whose type
/// needs resolving (`0x10`, `1.5`), are left to serde-saphyr.
fn key_name(value: &str, style: ScalarStyle) -> Result<&str> {
    let name = match style {
        ScalarStyle::Plain => plain_key(value).ok_or(Fallback)?,
        _ => value,
    };
    if value == "<<" {
        return Err(Fallback);
    }
    Ok(name)
}

/// A plain mapping key as the positions tree names it: it reads keys typelessly and writes
/// the value back as text, so `on` (a YAML 1.1 boolean) is named `true` and `~` is `null`.
fn plain_key(value: &str) -> Option<&str> {
    match plain(value) {
        Plain::Null => Some("null"),
        Plain::Unsigned(_) | Plain::Text => Some(value),
        Plain::Bool(true) => Some("true"),
        Plain::Bool(false) => Some("false"),
        Plain::Other => {
            let words = |list: &[&str]| list.iter().any(|w| value.eq_ignore_ascii_case(w));
            if words(&["true", "yes", "y", "on"]) {
                Some("true")
            } else if words(&["false", "no", "n", "off"]) {
                Some("false")
            } else {
                None
            }
        }
    }
}

impl<'a> Deserializer<'a> for &mut Reader<'a> {
    type Error = Fallback;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.peek()? {
            Ev::Scalar(..) => self.any_scalar(visitor),
            Ev::SeqStart => self.deserialize_seq(visitor),
            Ev::MapStart => self.deserialize_map(visitor),
            _ => Err(Fallback),
        }
    }

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.typed_scalar()? {
            Plain::Bool(b) => visitor.visit_bool(b),
            _ => Err(Fallback),
        }
    }

    fn deserialize_u8<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_u64(visitor)
    }
    fn deserialize_u16<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_u64(visitor)
    }
    fn deserialize_u32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_u64(visitor)
    }
    fn deserialize_u64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        let n = self.unsigned()?;
        visitor.visit_u64(n)
    }
    fn deserialize_i8<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_i16<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_i32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_i64(visitor)
    }
    fn deserialize_i64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        let n = i64::try_from(self.unsigned()?).map_err(|_| Fallback)?;
        visitor.visit_i64(n)
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.text_scalar(visitor)
    }
    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.text_scalar(visitor)
    }
    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        self.text_scalar(visitor)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        match self.peek()? {
            Ev::Scalar(value, ScalarStyle::Plain) if is_null(value) => {
                self.next()?;
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        if !matches!(self.next()?, Ev::SeqStart) {
            return Err(Fallback);
        }
        let mut access = Items {
            reader: self,
            ended: false,
        };
        let value = visitor.visit_seq(&mut access)?;
        if !access.ended {
            return Err(Fallback);
        }
        Ok(value)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        if !matches!(self.next()?, Ev::MapStart) {
            return Err(Fallback);
        }
        let mut access = Items {
            reader: self,
            ended: false,
        };
        let value = visitor.visit_map(&mut access)?;
        if !access.ended {
            return Err(Fallback);
        }
        Ok(value)
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value> {
        // serde-saphyr reads an ignored value as a typeless one, with the same checks.
        self.deserialize_any(visitor)
    }

    // Left to serde-saphyr, whose rules for them are not repeated here.
    fn deserialize_f32<V: Visitor<'a>>(self, _: V) -> Result<V::Value> {
        Err(Fallback)
    }
    fn deserialize_f64<V: Visitor<'a>>(self, _: V) -> Result<V::Value> {
        Err(Fallback)
    }
    fn deserialize_i128<V: Visitor<'a>>(self, _: V) -> Result<V::Value> {
        Err(Fallback)
    }
    fn deserialize_u128<V: Visitor<'a>>(self, _: V) -> Result<V::Value> {
        Err(Fallback)
    }
    fn deserialize_char<V: Visitor<'a>>(self, _: V) -> Result<V::Value> {
        Err(Fallback)
    }
    fn deserialize_bytes<V: Visitor<'a>>(self, _: V) -> Result<V::Value> {
        Err(Fallback)
    }
    fn deserialize_byte_buf<V: Visitor<'a>>(self, _: V) -> Result<V::Value> {
        Err(Fallback)
    }
    fn deserialize_unit<V: Visitor<'a>>(self, _: V) -> Result<V::Value> {
        Err(Fallback)
    }
    fn deserialize_unit_struct<V: Visitor<'a>>(self, _: &'static str, _: V) -> Result<V::Value> {
        Err(Fallback)
    }
    fn deserialize_newtype_struct<V: Visitor<'a>>(self, _: &'static str, _: V) -> Result<V::Value> {
        Err(Fallback)
    }
    fn deserialize_tuple<V: Visitor<'a>>(self, _: usize, _: V) -> Result<V::Value> {
        Err(Fallback)
    }
    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _: &'static str,
        _: usize,
        _: V,
    ) -> Result<V::Value> {
        Err(Fallback)
    }
    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value> {
        Err(Fallback)
    }
}

/// The entries of a sequence or mapping being read.
struct Items<'r, 'a> {
    reader: &'r mut Reader<'a>,
    /// The collection's end event was taken.
    ended: bool,
}

impl Items<'_, '_> {
    /// Whether the collection has more entries; takes its end event when not.
    fn more(&mut self) -> Result<bool> {
        if self.ended {
            return Ok(false);
        }
        if matches!(self.reader.peek()?, Ev::SeqEnd | Ev::MapEnd) {
            self.reader.next()?;
            self.ended = true;
            return Ok(false);
        }
        Ok(true)
    }
}

impl<'a> SeqAccess<'a> for &mut Items<'_, 'a> {
    type Error = Fallback;
    fn next_element_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<Option<S::Value>> {
        if !self.more()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.reader).map(Some)
    }
}

impl<'a> MapAccess<'a> for &mut Items<'_, 'a> {
    type Error = Fallback;
    fn next_key_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<Option<S::Value>> {
        if !self.more()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.reader).map(Some)
    }
    fn next_value_seed<S: DeserializeSeed<'a>>(&mut self, seed: S) -> Result<S::Value> {
        seed.deserialize(&mut *self.reader)
    }
}

/// Builds the locator's tree from the events as they are taken, as `Located<Node>` builds it
/// through serde-saphyr.
///
/// The entries of the collections being read wait on two shared stacks and move into a
/// collection of their exact size when it ends: grown one push at a time, a vector of one to
/// four entries holds room for four to eight, which doubled the tree's memory, and on a large
/// document the kernel's first touch of each page is much of the reading time.
struct Builder {
    keys: Keys,
    /// Collections at this depth or deeper are elided (see [`read`]).
    elide_from: usize,
    /// The hashes of the keys of the elided mappings being read, to find a repeated key without
    /// keeping the key.
    hashes: Vec<u64>,
    /// A key was written twice in one mapping (only with [`Keys::Repeatable`]).
    repeated: bool,
    stack: Vec<Frame>,
    entries: Vec<Entry>,
    items: Vec<Node>,
    root: Option<Node>,
}

enum Frame {
    Map {
        location: Option<Location>,
        /// Where this mapping's entries start in `Builder::entries`.
        start: usize,
        /// The key read, waiting for its value.
        key: Option<(Box<str>, Option<Location>)>,
    },
    Seq {
        location: Option<Location>,
        /// Where this sequence's items start in `Builder::items`.
        start: usize,
    },
    /// A collection whose inside is not recorded: its keys are still checked as a recorded
    /// mapping's are (a key that needs resolving, `<<`, a repeated key).
    Elided {
        location: Option<Location>,
        map: bool,
        /// Where this mapping's key hashes start in `Builder::hashes`.
        start: usize,
        /// A key was read, waiting for its value.
        key: bool,
    },
}

impl Builder {
    /// The most keys an elided mapping may have: its keys are compared with each other, which
    /// costs the square of their number. Past it the document is left to serde-saphyr.
    const ELIDED_KEYS: usize = 256;

    fn new(keys: Keys, elide_from: usize) -> Self {
        Builder {
            keys,
            elide_from,
            hashes: Vec::new(),
            repeated: false,
            stack: Vec::new(),
            entries: Vec::new(),
            items: Vec::new(),
            root: None,
        }
    }

    fn scalar(
        &mut self,
        location: Option<Location>,
        value: &str,
        style: ScalarStyle,
    ) -> Result<()> {
        if let Some(Frame::Elided {
            map: true,
            start,
            key: waiting @ false,
            ..
        }) = self.stack.last_mut()
        {
            let name = key_name(value, style)?;
            // A repeated key, or two keys of the same hash: either way serde-saphyr decides.
            let hash = key_hash(hasher(), name);
            let seen = self.hashes.get(*start..).unwrap_or_default();
            if seen.contains(&hash) || seen.len() >= Self::ELIDED_KEYS {
                return Err(Fallback);
            }
            self.hashes.push(hash);
            *waiting = true;
            return Ok(());
        }
        if let Some(Frame::Map {
            key: key @ None, ..
        }) = self.stack.last_mut()
        {
            let name = key_name(value, style)?;
            *key = Some((name.into(), location));
            return Ok(());
        }
        if style == ScalarStyle::Plain && may_refuse_typeless(value) {
            // The positions tree reads every value typelessly, and serde-saphyr refuses some
            // there (`.nan`): left to it.
            return Err(Fallback);
        }
        self.attach(Node {
            location,
            kind: Kind::Scalar,
        })
    }

    fn start(&mut self, location: Option<Location>, map: bool) -> Result<()> {
        match self.stack.last() {
            Some(
                Frame::Map { key: None, .. }
                | Frame::Elided {
                    map: true,
                    key: false,
                    ..
                },
            ) => {
                // A collection as a mapping key.
                return Err(Fallback);
            }
            Some(Frame::Elided { .. }) => {}
            _ if self.stack.len() >= self.elide_from => {}
            _ => {
                self.stack.push(if map {
                    Frame::Map {
                        location,
                        start: self.entries.len(),
                        key: None,
                    }
                } else {
                    Frame::Seq {
                        location,
                        start: self.items.len(),
                    }
                });
                return Ok(());
            }
        }
        self.stack.push(Frame::Elided {
            location,
            map,
            start: self.hashes.len(),
            key: false,
        });
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        let node = match self.stack.pop() {
            Some(Frame::Map {
                location,
                start,
                key: None,
            }) => {
                let count = self.entries.len().saturating_sub(start);
                let entries = if count > start {
                    // Most of the stack is this mapping's (a pipeline's `jobs`): its entries keep
                    // the stack's buffer, and the few before them move to a new one, rather
                    // than copying the many into fresh memory.
                    let before: Vec<Entry> = self.entries.drain(..start).collect();
                    std::mem::replace(&mut self.entries, before)
                } else {
                    self.entries.drain(start..).collect()
                };
                let (map, repeated) = MapNode::from_entries(entries);
                if repeated {
                    if self.keys == Keys::Unique {
                        return Err(Fallback);
                    }
                    self.repeated = true;
                }
                Node {
                    location,
                    kind: Kind::Map(map),
                }
            }
            Some(Frame::Seq { location, start }) => {
                let items: Vec<Node> = self.items.drain(start..).collect();
                Node {
                    location,
                    kind: Kind::Seq(items),
                }
            }
            Some(Frame::Elided {
                location,
                start,
                key: false,
                ..
            }) => {
                self.hashes.truncate(start);
                Node {
                    location,
                    kind: Kind::Elided,
                }
            }
            _ => return Err(Fallback),
        };
        self.attach(node)
    }

    fn attach(&mut self, node: Node) -> Result<()> {
        match self.stack.last_mut() {
            None if self.root.is_none() => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { .. }) => {
                self.items.push(node);
                Ok(())
            }
            // Inside an elided collection nothing is kept: a mapping's value only ends its entry.
            Some(Frame::Elided { map: false, .. }) => Ok(()),
            Some(Frame::Elided { map: true, key, .. }) => {
                if !*key {
                    return Err(Fallback);
                }
                *key = false;
                Ok(())
            }
            Some(Frame::Map { key, .. }) => {
                let (key, key_location) = key.take().ok_or(Fallback)?;
                self.entries.push(Entry {
                    key,
                    key_location,
                    value: node,
                    repeated: false,
                });
                Ok(())
            }
            None => Err(Fallback),
        }
    }

    fn finish(self) -> Result<Locator> {
        if !self.stack.is_empty() {
            return Err(Fallback);
        }
        let root = self.root.ok_or(Fallback)?;
        if self.repeated {
            return Ok(Locator::from_root(root));
        }
        // No repetition to look for: the walk of the whole tree is skipped.
        Ok(Locator {
            root: Some(root),
            duplicates: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use super::super::located::Located;
    use super::super::tests::same;
    use super::super::{
        DocumentCodes, Format, Positions, Segment, budget_for, parse_document,
        parse_document_elided,
    };
    use super::*;

    /// serde-saphyr's positions tree, as `Locator::read` built it before this pass.
    fn slow_tree(text: &str) -> Option<Node> {
        let options = serde_saphyr::options! {
            duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::PassThrough,
            budget: budget_for(text),
            with_snippet: false,
        };
        serde_saphyr::from_str_with_options::<Located<Node>>(text, options)
            .ok()
            .map(|Located(root)| root)
    }

    /// serde-saphyr's typed read, as `parse_document` does it.
    fn slow_read<T: serde::de::DeserializeOwned>(
        text: &str,
    ) -> Result<(T, Vec<FieldPath>), String> {
        let mut unknown = Vec::new();
        let options = serde_saphyr::options! { with_snippet: false, budget: budget_for(text) };
        let value = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
            serde_ignored::deserialize(de, |p| unknown.push(FieldPath::from_ignored(&p)))
        })
        .map_err(|e| e.to_string())?;
        Ok((value, unknown))
    }

    /// Checks that where the fast path reads `text`, it reads what serde-saphyr reads. Returns
    /// whether the fast path read the positions, and whether it read the value.
    fn agrees(text: &str, name: &str) -> (bool, bool) {
        let fast_tree = locate(text).ok();
        if let Some(fast) = &fast_tree {
            let slow = slow_tree(text);
            let (Some(fast_root), Some(slow_root)) = (&fast.root, &slow) else {
                panic!("{name}: only the fast path located it");
            };
            if let Err(e) = same(fast_root, slow_root, name) {
                panic!("{name}: positions differ: {e}");
            }
            let slow_duplicates = Locator::from_root(slow.unwrap_or_else(|| unreachable!()));
            assert_eq!(fast.duplicates(), slow_duplicates.duplicates(), "{name}");
        }
        let fast_value = read::<serde_json::Value>(text, usize::MAX).ok();
        if let Some((value, locator, unknown)) = &fast_value {
            let slow = slow_read::<serde_json::Value>(text);
            assert_eq!(
                slow.as_ref().ok(),
                Some(&(value.clone(), unknown.clone())),
                "{name}"
            );
            let (Some(fast_root), Some(slow_root)) = (&locator.root, slow_tree(text)) else {
                panic!("{name}: no positions");
            };
            if let Err(e) = same(fast_root, &slow_root, name) {
                panic!("{name}: positions differ: {e}");
            }
            for depth in 0..4 {
                elided_agrees(text, name, depth, (value, unknown), locator);
            }
        }
        (fast_tree.is_some(), fast_value.is_some())
    }

    /// Checks that a read eliding collections from `depth` on gives the same value and unknown
    /// fields as the full read, and that through [`Positions`] every path (and one past the
    /// text below each) is located as the full locator locates it.
    fn elided_agrees(
        text: &str,
        name: &str,
        depth: usize,
        full_read: (&serde_json::Value, &Vec<FieldPath>),
        full: &Locator,
    ) {
        let Ok((value, shallow, unknown)) = read::<serde_json::Value>(text, depth) else {
            panic!("{name}: not read eliding from depth {depth}");
        };
        assert_eq!((&value, &unknown), full_read, "{name} at depth {depth}");
        let mut paths = Vec::new();
        if let Some(root) = &full.root {
            all_paths(root, &FieldPath::root(), &mut paths);
        }
        let positions = Positions::new(text, Format::Yaml, shallow);
        for path in &paths {
            let at = format!("{name} at depth {depth}: {path}");
            if positions.shallow.covers(path) {
                assert_eq!(positions.shallow.locate(path), full.locate(path), "{at}");
                assert_eq!(
                    positions.shallow.locate_key(path),
                    full.locate_key(path),
                    "{at}"
                );
            }
            assert_eq!(positions.locate(path), full.locate(path), "{at}");
            if let Some((Segment::Key(last), parent)) = path.segments().split_last() {
                let parent = FieldPath(parent.to_vec());
                assert_eq!(
                    positions.locate_key_in(&parent, last),
                    full.locate_key(path),
                    "{at}"
                );
            }
        }
    }

    /// Every path of the tree below `node` (at `at`), and for each collection one key and one
    /// index that are not in it.
    fn all_paths(node: &Node, at: &FieldPath, out: &mut Vec<FieldPath>) {
        out.push(at.clone());
        match &node.kind {
            Kind::Map(map) => {
                for entry in &map.entries {
                    all_paths(&entry.value, &at.key(&*entry.key), out);
                }
            }
            Kind::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    all_paths(item, &at.index(i), out);
                }
            }
            Kind::Scalar | Kind::Elided => {}
        }
        out.push(at.key("not-in-the-text"));
        out.push(at.index(1_000_000));
    }

    pub(super) fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        files_ending(dir, &["yaml", "yml"], out);
    }

    fn files_ending(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files_ending(&path, extensions, out);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
            {
                out.push(path);
            }
        }
    }

    /// The JSON walker elides as the YAML reader does: on every JSON file of the repository,
    /// eliding from depth 0 to 3, every path (and one past the text below each) is located
    /// through [`Positions`] as the whole tree locates it; a key repeated (or escaped) inside
    /// an elided object hands the document to the whole tree.
    #[test]
    fn every_json_file_is_located_alike_eliding_or_not() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for dir in ["testdata", "examples", "docs"] {
            files_ending(&root.join(dir), &["json"], &mut files);
        }
        let (mut compared, mut handed_over) = (0, 0);
        for file in &files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            let Ok(whole) = super::super::json::locate(&text) else {
                continue;
            };
            let full = Locator::from_root(whole);
            let mut paths = Vec::new();
            if let Some(root) = &full.root {
                all_paths(root, &FieldPath::root(), &mut paths);
            }
            for depth in 0..4 {
                let name = format!("{} at depth {depth}", file.display());
                let shallow = match super::super::json::locate_elided(&text, depth) {
                    Ok(root) => Locator::from_root(root),
                    Err(super::super::json::Stop::RepeatedInside) => {
                        handed_over += 1;
                        continue;
                    }
                    Err(e) => panic!("{name}: {e:?}"),
                };
                let positions = Positions::new(&text, Format::Json, shallow);
                for path in &paths {
                    assert_eq!(positions.locate(path), full.locate(path), "{name}: {path}");
                    if let Some((Segment::Key(last), parent)) = path.segments().split_last() {
                        let parent = FieldPath(parent.to_vec());
                        assert_eq!(
                            positions.locate_key_in(&parent, last),
                            full.locate_key(path),
                            "{name}: {path}"
                        );
                    }
                }
                compared += 1;
            }
        }
        assert!(compared > 100, "{compared} JSON readings compared");
        // Escaped keys are rare in the test data; the unit test below repeats a key on purpose.
        assert!(handed_over < compared, "{handed_over} of {compared}");
    }

    /// A native pipeline in JSON reports a problem inside a job, and a key written twice
    /// inside one, where the whole tree places them.
    #[test]
    fn json_problems_inside_an_elided_job_are_placed_as_without_elision() {
        let codes = DocumentCodes {
            syntax: crate::rule::codes::PIPELINE_SYNTAX,
            unknown_field: crate::rule::codes::PIPELINE_UNKNOWN_FIELD,
            duplicate: crate::rule::codes::PIPELINE_DUPLICATE_NAME,
        };
        for text in [
            "{\"version\": 1,\n \"jobs\": {\"a\": {\"trigger\": \"merged\",\n  \"extra\": {\"x\": 1}}}}",
            "{\"jobs\": {\"a\": {\"trigger\": \"merged\",\n  \"trigger\": \"patchset\"}}}",
            "{\"jobs\": {\"a\": {\"trigger\": \"merged\"},\n \"a\": {}}}",
        ] {
            let problems = |elide_from| {
                let found =
                    match parse_document_elided::<Doc>(text, Format::Json, &codes, elide_from) {
                        Ok(parsed) => parsed.problems.into_iter().collect::<Vec<_>>(),
                        Err(e) => e.into_iter().collect(),
                    };
                found
                    .iter()
                    .map(|p| (p.code, p.path.to_string(), p.location))
                    .collect::<Vec<_>>()
            };
            let whole = problems(usize::MAX);
            assert!(!whole.is_empty(), "{text}");
            for depth in 0..3 {
                assert_eq!(problems(depth), whole, "{text} at depth {depth}");
            }
        }
    }

    #[test]
    fn every_yaml_file_of_the_repository_reads_as_serde_saphyr_reads_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for dir in ["testdata", "examples", "docs"] {
            yaml_files(&root.join(dir), &mut files);
        }
        files.sort();
        assert!(files.len() > 100, "{} files", files.len());
        let (mut located, mut read) = (0, 0);
        for path in &files {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let (l, r) = agrees(&text, &path.display().to_string());
            located += usize::from(l);
            read += usize::from(r);
        }
        // Most files are plain enough for the fast path: the test compares something.
        assert!(
            located * 2 > files.len(),
            "{located} of {} located",
            files.len()
        );
        assert!(read * 2 > files.len(), "{read} of {} read", files.len());
    }

    #[test]
    fn scalars_whose_type_needs_resolving_agree_or_are_left_to_serde_saphyr() {
        let docs = [
            "a: yes\nb: No\nc: on\nd: y\n",
            "a: 0x1F\nb: 0o17\nc: 010\nd: +1\ne: -1\nf: 1_000\ng: 1.5\nh: 1e3\ni: 1e999\n",
            "a: .inf\nb: -.Inf\nc: .NaN\nd: nan\ne: inf\nf: Infinity\n",
            "a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: ''\ng: \"\"\nh: 'null'\n",
            "a: true\nb: True\nc: TRUE\nd: false\ne: 'true'\n",
            "a: 18446744073709551615\nb: 18446744073709551616\nc: 0\nd: 00\n",
            "a: 3 jobs\nb: job-1\nc: /path/to\nd: $HOME\ne: _x\nf: é\ng: a:b\nh: 12:30\n",
            "a: |\n  line\n  two\nb: >\n  folded\n  text\nc: \"esc\\ttab\\u00e9\"\nd: 'it''s'\n",
            "a: plain\n  continued\nb: [x, y, {c: d}]\nc: {}\nd: []\n",
            "\u{feff}a: 1\n",
            "---\na: 1\n...\n",
            "---\na: 1\n---\nb: 2\n",
            "a: &x 1\nb: *x\n",
            "a: !custom 1\nb: !!str 2\n",
            "<<: {a: 1}\nb: 2\n",
            "a: 1\na: 2\n",
            "? [a, b]\n: c\n",
            "1: a\ntrue: b\n~: c\n0x10: d\n",
            "%YAML 1.2\n---\na: 1\n",
            "",
            "# only a comment\n",
            "just a scalar\n",
            "- a\n- - b\n  - c\n- {d: [e]}\n",
            "a: [1, 2\n",
            "a:\tb\n",
            "a: b # comment\n# another\nc: d\n",
            "jobs:\n  job-0:\n    trigger: merged\n    needs: [job-1, job-2]\n    consumes: {artifacts: [artifact-7]}\n",
        ];
        for doc in docs {
            agrees(doc, &format!("{doc:?}"));
        }
        let read = |text| read::<serde_json::Value>(text, usize::MAX);
        assert!(read("a: yes\n").is_err());
        assert!(read("a: &x 1\nb: *x\n").is_err());
        assert!(read("a: 1\na: 2\n").is_err());
        assert!(locate("a: 1\na: 2\n").is_ok());
        assert!(read("a: [job-1, 2, ~, true, 'x']\n").is_ok());
    }

    #[test]
    fn an_elided_collection_is_checked_as_a_recorded_one() {
        let read = |text: &str, depth| read::<serde_json::Value>(text, depth).is_ok();
        for doc in [
            "jobs:\n  a: {x: {y: 1, y: 2}}\n",
            "jobs:\n  a: {x: [{on: 1, true: 2}]}\n",
            "jobs:\n  a: {x: {<<: {y: 1}}}\n",
            "jobs:\n  a: {x: {0x10: 1}}\n",
            "jobs:\n  a: {x: [.nan]}\n",
            "jobs:\n  a: {x: {? [y]: 1}}\n",
        ] {
            assert!(!read(doc, usize::MAX), "{doc}");
            assert!(!read(doc, 0), "{doc}");
            assert!(!read(doc, 2), "{doc}");
        }
        let mut many = String::from("a:\n  b:\n");
        for i in 0..300 {
            many.push_str(&format!("    k{i}: {i}\n"));
        }
        assert!(read(&many, usize::MAX));
        // Past the keys an elided mapping compares, left to serde-saphyr.
        assert!(!read(&many, 2));
        assert!(read(&many, 3));
    }

    #[test]
    fn a_problem_inside_an_elided_collection_is_placed_as_without_elision() {
        let codes = DocumentCodes {
            syntax: crate::rule::codes::PIPELINE_SYNTAX,
            unknown_field: crate::rule::codes::PIPELINE_UNKNOWN_FIELD,
            duplicate: crate::rule::codes::PIPELINE_DUPLICATE_NAME,
        };
        let text = "version: 1\njobs:\n  a:\n    trigger: merged\n    extra: {x: 1}\n";
        let located =
            |elide_from| match parse_document_elided::<Doc>(text, Format::Yaml, &codes, elide_from)
            {
                Ok(parsed) => parsed
                    .problems
                    .iter()
                    .map(|p| (p.path.to_string(), p.location))
                    .collect::<Vec<_>>(),
                Err(e) => panic!("{e}"),
            };
        let extra = Some(Location { line: 5, column: 5 });
        assert_eq!(located(usize::MAX), [("jobs.a.extra".to_owned(), extra)]);
        for depth in 0..3 {
            assert_eq!(located(depth), located(usize::MAX));
        }
        let Ok(parsed) = parse_document::<Doc>(text, Format::Yaml, &codes) else {
            panic!("not read");
        };
        assert!(
            parsed
                .locator
                .covers(&FieldPath::root().key("jobs").key("a").key("extra"))
        );
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Job {
        #[serde(default)]
        trigger: Option<String>,
        #[serde(default)]
        needs: Vec<String>,
        #[serde(default)]
        publishes: bool,
        #[serde(default)]
        count: u64,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Doc {
        #[serde(default)]
        version: Option<u64>,
        #[serde(default)]
        jobs: BTreeMap<String, Job>,
    }

    #[test]
    fn a_typed_read_gives_serde_saphyrs_value_and_unknown_fields() {
        let docs = [
            "version: 1\njobs:\n  a:\n    trigger: merged\n    needs: [b, c]\n    publishes: true\n    count: 3\n",
            "jobs:\n  a: {trigger: ~, needs: [], extra: {x: [1, why]}}\n  b: {surprise: 1, needs: ['q']}\nother: x\n",
            "jobs:\n  a: {trigger: 12, publishes: yes}\n",
            "jobs:\n  a: {needs: x}\n",
            "jobs:\n  a: {needs: [~]}\n",
            "jobs:\n  a: {trigger: merged, trigger: push}\n",
            "version: 1.0\n",
            "version: -1\n",
            "jobs: ~\n",
            "jobs:\n  a:\n",
            "",
        ];
        for doc in docs {
            let fast = read::<Doc>(doc, usize::MAX).ok();
            let slow = slow_read::<Doc>(doc);
            if let Some((value, _, unknown)) = fast {
                assert_eq!(slow, Ok((value, unknown)), "{doc:?}");
            }
        }
        let (_, _, unknown) = read::<Doc>(docs[1], usize::MAX).unwrap_or_else(|e| panic!("{e}"));
        let paths: Vec<String> = unknown.iter().map(ToString::to_string).collect();
        assert_eq!(paths, ["jobs.a.extra", "jobs.b.surprise", "other"]);
    }

    #[test]
    fn a_document_near_its_budget_is_left_to_serde_saphyr() {
        let mut text = String::from("a: [");
        for _ in 0..140_000 {
            text.push_str("1,");
        }
        text.push_str("1]\n");
        // 280,000 bytes for 140,003 nodes: within the budget, read here.
        assert!(locate(&text).is_ok());
        let mut dense = String::from("a: [");
        for _ in 0..200_000 {
            dense.push_str("[],");
        }
        dense.push_str("[]]\n");
        // 600,000 bytes, 200,003 nodes: still read; an alias bomb never gets here (aliases are
        // left to serde-saphyr).
        assert!(locate(&dense).is_ok());
        assert_eq!(Format::detect(&dense), Format::Yaml);
    }
}
