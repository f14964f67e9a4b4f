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
///
/// Entry `i` is `text[offsets[i]..offsets[i + 1]]`: its namespace byte, then the name. Four bytes
/// of index per name and one contiguous text keep lookups to few cache lines.
#[derive(Clone)]
pub(crate) struct Names {
    text: String,
    offsets: Vec<u32>,
    table: HashTable<Sym>,
    hasher: DefaultHashBuilder,
}

impl Default for Names {
    fn default() -> Self {
        Names::with_capacity(0, 0)
    }
}

impl std::fmt::Debug for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Names").field("len", &self.len()).finish()
    }
}

/// The text of entry `sym` (namespace byte included).
fn entry<'t>(text: &'t str, offsets: &[u32], sym: Sym) -> &'t str {
    match (offsets.get(sym as usize), offsets.get(sym as usize + 1)) {
        (Some(&a), Some(&b)) => text.get(a as usize..b as usize).unwrap_or_default(),
        _ => "",
    }
}

fn split(entry: &str) -> (u8, &str) {
    match entry.as_bytes().first() {
        Some(&space) => (space, entry.get(1..).unwrap_or_default()),
        None => (0, ""),
    }
}

impl Names {
    pub(crate) fn with_capacity(names: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(names + 1);
        offsets.push(0);
        Names {
            text: String::with_capacity(bytes + names),
            offsets,
            table: HashTable::with_capacity(names),
            hasher: DefaultHashBuilder::default(),
        }
    }

    fn hash(hasher: &DefaultHashBuilder, space: u8, name: &str) -> u64 {
        hasher.hash_one((space, name))
    }

    /// The id of `name` in namespace `space` (an ASCII byte), adding it when new.
    pub(crate) fn intern(&mut self, space: u8, name: &str) -> Sym {
        let Names {
            text,
            offsets,
            table,
            hasher,
        } = self;
        let hash = Self::hash(hasher, space, name);
        let found = table.find(hash, |&s| split(entry(text, offsets, s)) == (space, name));
        if let Some(&sym) = found {
            return sym;
        }
        // More than 4 billion names (or 4 GB of them) cannot be held; saturating keeps the
        // arithmetic panic-free without a check per name.
        let sym = Sym::try_from(offsets.len() - 1).unwrap_or(Sym::MAX);
        text.push(char::from(space & 0x7f));
        text.push_str(name);
        offsets.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        table.insert_unique(hash, sym, |&s| {
            let (sp, n) = split(entry(text, offsets, s));
            Self::hash(hasher, sp, n)
        });
        sym
    }

    /// The id of `name` in namespace `space`, if it was interned.
    pub(crate) fn get(&self, space: u8, name: &str) -> Option<Sym> {
        let hash = Self::hash(&self.hasher, space, name);
        self.table
            .find(hash, |&s| {
                split(entry(&self.text, &self.offsets, s)) == (space, name)
            })
            .copied()
    }

    /// The text of a name (empty for an id from another table).
    pub(crate) fn text(&self, sym: Sym) -> &str {
        split(entry(&self.text, &self.offsets, sym)).1
    }

    /// The namespace byte of a name.
    pub(crate) fn space(&self, sym: Sym) -> u8 {
        split(entry(&self.text, &self.offsets, sym)).0
    }

    pub(crate) fn len(&self) -> usize {
        self.offsets.len() - 1
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
