//! Interned names: each distinct name is stored once and handled as a small integer.
//!
//! A pipeline of a million jobs names each job once where it is defined and about three times
//! where it is needed; comparing and hashing integers instead of strings, and keeping every name
//! in one arena instead of one allocation each, is what keeps building it linear and cheap.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// The id of an interned name (an index into its [`Names`] table).
pub(crate) type Sym = u32;

/// An arena of distinct names, each tagged with a one-byte namespace so that a job and an
/// artifact may share a name without being confused.
#[derive(Clone, Default)]
pub(crate) struct Names {
    text: String,
    /// `(start, end)` of each name in `text`, namespace byte excluded, and its namespace.
    spans: Vec<(usize, usize, u8)>,
    hashes: Vec<u64>,
    table: HashTable<Sym>,
    hasher: DefaultHashBuilder,
}

impl std::fmt::Debug for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Names")
            .field("len", &self.spans.len())
            .finish()
    }
}

impl Names {
    pub(crate) fn with_capacity(names: usize, bytes: usize) -> Self {
        Names {
            text: String::with_capacity(bytes),
            spans: Vec::with_capacity(names),
            hashes: Vec::with_capacity(names),
            table: HashTable::with_capacity(names),
            hasher: DefaultHashBuilder::default(),
        }
    }

    fn hash(&self, space: u8, name: &str) -> u64 {
        self.hasher.hash_one((space, name))
    }

    /// The id of `name` in namespace `space`, adding it when new.
    pub(crate) fn intern(&mut self, space: u8, name: &str) -> Sym {
        let hash = self.hash(space, name);
        let Names {
            text,
            spans,
            hashes,
            table,
            ..
        } = self;
        let found = table.find(hash, |&s| {
            let (a, b, sp) = spans[s as usize];
            sp == space && &text[a..b] == name
        });
        if let Some(&sym) = found {
            return sym;
        }
        // More than 4 billion distinct names cannot be held in memory; saturating keeps the
        // arithmetic panic-free without a check per name.
        let sym = Sym::try_from(spans.len()).unwrap_or(Sym::MAX);
        let start = text.len();
        text.push_str(name);
        spans.push((start, text.len(), space));
        hashes.push(hash);
        table.insert_unique(hash, sym, |&s| hashes.get(s as usize).copied().unwrap_or(0));
        sym
    }

    /// The id of `name` in namespace `space`, if it was interned.
    pub(crate) fn get(&self, space: u8, name: &str) -> Option<Sym> {
        let hash = self.hash(space, name);
        self.table
            .find(hash, |&s| {
                let (a, b, sp) = self.spans[s as usize];
                sp == space && &self.text[a..b] == name
            })
            .copied()
    }

    /// The text of a name (empty for an id from another table).
    pub(crate) fn text(&self, sym: Sym) -> &str {
        self.spans
            .get(sym as usize)
            .and_then(|&(a, b, _)| self.text.get(a..b))
            .unwrap_or_default()
    }

    /// The namespace byte of a name.
    pub(crate) fn space(&self, sym: Sym) -> u8 {
        self.spans.get(sym as usize).map(|s| s.2).unwrap_or(0)
    }

    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_stored_once_per_namespace() {
        let mut n = Names::default();
        let a = n.intern(b'j', "build");
        let b = n.intern(b'a', "build");
        assert_ne!(a, b);
        assert_eq!(n.intern(b'j', "build"), a);
        assert_eq!(n.get(b'a', "build"), Some(b));
        assert_eq!(n.get(b'c', "build"), None);
        assert_eq!(n.text(a), "build");
        assert_eq!(n.space(b), b'a');
        assert_eq!(n.text(99), "");
        for i in 0..1000 {
            n.intern(b'j', &format!("job{i}"));
        }
        assert_eq!(n.get(b'j', "job999").map(|s| n.text(s)), Some("job999"));
        assert_eq!(n.len(), 1002);
    }
}
