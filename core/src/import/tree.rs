//! YAML as the importers see it: every node with its line, column and tag.
//!
//! CI files are messy: GitLab's `!reference`, Zuul's `!encrypted/pkcs1-oaep`, anchors and merge
//! keys, several documents in one file. serde-saphyr resolves anchors and merge keys, keeps
//! custom tags (instead of failing on them) and gives each node its position, so an importer
//! can say exactly where a construct it does not understand is.

use crate::source::Location;
use crate::source::located::{Located, Scalar, Tree, to_location};

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
    // The same budget as every other reader: it scales with the text up to a documented cap,
    // so a large pipeline is read (or refused with the same message) whichever way it comes in.
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::LastWins,
        budget: crate::source::budget_for(text),
        with_snippet: false,
    };
    let docs = serde_saphyr::from_str_multiple_with_options::<Located<Node>, Vec<Located<Node>>>(
        text, options,
    );
    docs.map(|docs| docs.into_iter().map(|Located(doc)| doc).collect())
        .map_err(|e| {
            let loc = e.location().and_then(|l| to_location(&l));
            let first = crate::source::budget_message(&e, text).unwrap_or_else(|| {
                let message = e.to_string();
                message.lines().next().unwrap_or_default().trim().to_owned()
            });
            (first, loc)
        })
}

/// The key serde-saphyr leaves for a merge key written with its explicit tag (`!!merge : *a`,
/// YAML 1.1's other spelling of `<<: *a`, which Wikimedia's Zuul layout uses for every
/// variant of its `test` and `gate-and-submit` pipelines): it resolves `<<` itself but reads
/// this one as an empty key, `null`, left as a plain entry.
const TAGGED_MERGE_KEY: &str = "null";

/// Applies, through the whole document, the merge entries serde-saphyr left unresolved: the
/// merged mapping's keys (the first mapping of a list wins) come after the mapping's own,
/// which win, as for `<<`. Only a mapping (or a list of mappings) under that key is merged.
/// A literal `null:` key reads the same, so only the formats that use this spelling (Zuul v2
/// layouts and Jenkins Job Builder, where a `null` key means nothing) call it.
pub(crate) fn apply_tagged_merges(node: &mut Node) {
    match &mut node.v {
        V::Seq(items) => items.iter_mut().for_each(apply_tagged_merges),
        V::Map(entries) => {
            for e in entries.iter_mut() {
                apply_tagged_merges(&mut e.value);
            }
            let is_merge = |e: &Entry| {
                e.key == TAGGED_MERGE_KEY
                    && match &e.value.v {
                        V::Map(_) => true,
                        V::Seq(items) => !items.is_empty() && items.iter().all(Node::is_map),
                        _ => false,
                    }
            };
            if !entries.iter().any(is_merge) {
                return;
            }
            let (merges, mut own): (Vec<Entry>, Vec<Entry>) =
                std::mem::take(entries).into_iter().partition(is_merge);
            for m in merges {
                let sources = match m.value.v {
                    V::Seq(items) => items,
                    v => vec![Node {
                        loc: m.value.loc,
                        tag: m.value.tag,
                        v,
                    }],
                };
                for source in sources {
                    if let V::Map(inherited) = source.v {
                        for e in inherited {
                            if !own.iter().any(|o| o.key == e.key) {
                                own.push(e);
                            }
                        }
                    }
                }
            }
            *entries = own;
        }
        _ => {}
    }
}

impl Tree for Node {
    const TAGS: bool = true;
    type Map = Vec<Entry>;
    type Value = V;

    fn entry(map: &mut Vec<Entry>, key: String, key_loc: Option<Location>, value: Node) {
        map.push(Entry {
            key,
            key_loc,
            value,
        });
    }
    fn map(entries: Vec<Entry>) -> V {
        V::Map(entries)
    }
    fn seq(items: Vec<Node>) -> V {
        V::Seq(items)
    }
    fn scalar(scalar: Scalar<'_>) -> V {
        match scalar {
            Scalar::Str(s) => V::Str(s.into_owned()),
            Scalar::Bool(b) => V::Bool(b),
            Scalar::Int(i) => V::Int(i),
            Scalar::Float(f) => V::Float(f),
            Scalar::Null => V::Null,
        }
    }
    fn node(loc: Option<Location>, tag: Option<String>, v: V) -> Node {
        Node { loc, tag, v }
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

    /// The importers' tree has the same budget as every other reader: it scales with the text
    /// past the 250,000-node floor (a 10^5-job pipeline auto-detected used to be refused here).
    #[test]
    fn the_budget_scales_with_the_text() -> R {
        let n = crate::source::MIN_NODES + 50_000;
        let text = format!("items: [{}]\n", vec!["1"; n].join(","));
        let doc = one(&text)?;
        assert_eq!(doc.get("items").map(|i| i.items().len()), Some(n));
        Ok(())
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
    fn a_merge_key_written_with_its_tag_merges_like_the_short_form() -> R {
        let mut doc = one(
            "base: &base\n  manager: independent\n  trigger: {gerrit: [{event: patchset-created, email: [a]}]}\nvariant:\n  !!merge : *base\n  name: v\n  manager: dependent\nevents:\n  - &ev {event: comment-added, email: [b]}\n  - !!merge : *ev\n    branch: REL\n",
        )?;
        apply_tagged_merges(&mut doc);
        let variant = doc.get("variant").ok_or("no variant")?;
        assert_eq!(variant.get("name").and_then(Node::as_str), Some("v"));
        // The mapping's own key wins over the merged one.
        assert_eq!(
            variant.get("manager").and_then(Node::as_str),
            Some("dependent")
        );
        assert!(variant.get("trigger").is_some_and(Node::is_map));
        assert!(variant.get(TAGGED_MERGE_KEY).is_none());
        let merged = doc.get("events").map(Node::items).ok_or("no events")?;
        assert_eq!(
            merged[1].get("email").map(Node::strings),
            Some(vec!["b".into()])
        );
        assert_eq!(merged[1].get("branch").and_then(Node::as_str), Some("REL"));
        Ok(())
    }

    #[test]
    fn a_null_key_with_a_scalar_is_not_a_merge() -> R {
        let mut doc = one("job:\n  ~: text\n  name: j\n")?;
        apply_tagged_merges(&mut doc);
        let job = doc.get("job").ok_or("no job")?;
        assert_eq!(job.get("null").and_then(Node::as_str), Some("text"));
        assert_eq!(job.entries().len(), 2);
        Ok(())
    }

    #[test]
    fn broken_yaml_is_an_error_with_a_position() {
        let err = parse("a: [1, 2\nb: c\n");
        assert!(err.is_err());
    }
}
