//! Names of jobs, resources and terms, each handled as a small integer.
//!
//! Terms (zones, secrets, contexts, environments) are few and are interned as they are read, in
//! [`Names`]. Job and resource names are as many as the jobs, and a pipeline names each job once
//! where it is defined and about three times where it is needed. Interning those one by one in a
//! hash table costs a cache miss per name once the table outgrows the cache (a million jobs
//! means two million names): the build then grows faster than the pipeline. So [`NameLog`] only
//! appends each occurrence while the pipeline is read and resolves them all at the end, in
//! cache-sized partitions of the hash space, which keeps every pass sequential or local.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// The id of an interned name (an index into its [`Names`] table).
pub(crate) type Sym = u32;

/// An arena of distinct names (the terms), each tagged with a one-byte namespace so that a job and an
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

/// Every occurrence of a job or resource name, in the order they were added; see the module
/// documentation. Before [`NameLog::resolve`] a [`Sym`] is an occurrence; after it, a name:
/// names are numbered densely in the order of their first occurrence, so that tables indexed by
/// name are as small as the number of names and a pipeline written in order is read in order.
///
/// Entry `k` is `text[offsets[k]..offsets[k + 1]]` (namespace byte, then the name): occurrence
/// `k`, whose hash is `hashes[k]`, until [`NameLog::resolve`] keeps one entry per name.
#[derive(Clone)]
pub(crate) struct NameLog {
    text: String,
    offsets: Vec<u32>,
    hashes: Vec<u64>,
    hasher: DefaultHashBuilder,
    /// Set when more than 4 GiB of names or 4 billion occurrences were added: positions no
    /// longer fit and names could be confused, so the pipeline must not be called safe.
    overflowed: bool,
    /// Set by [`NameLog::resolve`]: from then on entries are names, not occurrences.
    resolved: bool,
}

impl std::fmt::Debug for NameLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NameLog")
            .field("occurrences", &self.len())
            .finish()
    }
}

impl Default for NameLog {
    fn default() -> Self {
        NameLog::with_capacity(0, 0)
    }
}

/// Occurrences per partition when resolving: a partition's records and hash table then stay in
/// the per-core cache.
const PARTITION: usize = 1 << 14;

impl NameLog {
    pub(crate) fn with_capacity(occurrences: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(occurrences + 1);
        offsets.push(0);
        NameLog {
            text: String::with_capacity(bytes + occurrences),
            offsets,
            hashes: Vec::with_capacity(occurrences),
            hasher: DefaultHashBuilder::default(),
            overflowed: false,
            resolved: false,
        }
    }

    /// Records an occurrence of `name` in namespace `space` (an ASCII byte).
    pub(crate) fn add(&mut self, space: u8, name: &str) -> Sym {
        let sym = match Sym::try_from(self.hashes.len()) {
            Ok(s) if s < Sym::MAX => s,
            _ => {
                self.overflowed = true;
                Sym::MAX
            }
        };
        self.hashes.push(Names::hash(&self.hasher, space, name));
        self.text.push(char::from(space & 0x7f));
        self.text.push_str(name);
        let end = u32::try_from(self.text.len()).unwrap_or_else(|_| {
            self.overflowed = true;
            u32::MAX
        });
        self.offsets.push(end);
        sym
    }

    /// Whether positions overflowed (see the field).
    pub(crate) fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// The text of a name (empty for an id from another table).
    pub(crate) fn text(&self, sym: Sym) -> &str {
        split(entry(&self.text, &self.offsets, sym)).1
    }

    /// The namespace byte of a name.
    pub(crate) fn space(&self, sym: Sym) -> u8 {
        split(entry(&self.text, &self.offsets, sym)).0
    }

    /// How many ids there are: occurrences before [`NameLog::resolve`], names after.
    pub(crate) fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Numbers the names: returns the name of each occurrence, and from then on ids are names.
    ///
    /// Which occurrences come first is marked in a bitmap with a running count per 64 bits, so
    /// numbering an occurrence looks at two small arrays (an eighth of a byte and half a byte
    /// per occurrence) that stay in cache however large the pipeline is.
    pub(crate) fn resolve(&mut self) -> Vec<Sym> {
        if self.resolved {
            // Already numbered: ids are names, and each stands for itself.
            return (0..self.len() as Sym).collect();
        }
        let mut names = self.first_occurrences();
        let mut firsts = vec![0u64; names.len().div_ceil(64)];
        let mut holders = Vec::new();
        for (k, &f) in names.iter().enumerate() {
            if f as usize == k {
                if let Some(word) = firsts.get_mut(k / 64) {
                    *word |= 1 << (k % 64);
                }
                holders.push(k as Sym);
            }
        }
        let mut before = Vec::with_capacity(firsts.len());
        let mut count = 0u32;
        for word in &firsts {
            before.push(count);
            count = count.saturating_add(word.count_ones());
        }
        for name in &mut names {
            let k = *name as usize;
            let below = firsts
                .get(k / 64)
                .map_or(0, |w| w & ((1u64 << (k % 64)) - 1));
            *name = before
                .get(k / 64)
                .copied()
                .unwrap_or(0)
                .saturating_add(below.count_ones());
        }
        // Keep the text of each name once, in name order: entry `i` is now name `i`.
        let mut text = String::with_capacity(self.text.len().min(holders.len() * 16));
        let mut offsets = Vec::with_capacity(holders.len() + 1);
        offsets.push(0);
        for &k in &holders {
            text.push_str(entry(&self.text, &self.offsets, k));
            offsets.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        self.text = text;
        self.offsets = offsets;
        self.resolved = true;
        // Only ever needed to group occurrences.
        self.hashes = Vec::new();
        names
    }

    /// For each occurrence, the first occurrence of the same name in the same namespace.
    ///
    /// Small logs use one hash table. Large ones are grouped by hash alone, in partitions that
    /// stay in cache (see [`NameLog::group_by_hash`]), and the grouping is then checked name by
    /// name in occurrence order; if two different names ever shared a 64-bit hash, the check
    /// fails and the exact method runs instead. Either way the answer is exact.
    pub(crate) fn first_occurrences(&self) -> Vec<Sym> {
        let parts = (self.len() / PARTITION).next_power_of_two();
        if parts > 1 {
            let first = self.group_by_hash(parts);
            if self.same_names(&first) {
                return first;
            }
        }
        self.group_by_name()
    }

    fn bytes(&self, k: usize) -> &[u8] {
        entry(&self.text, &self.offsets, k as Sym).as_bytes()
    }

    /// Exact grouping with one table keyed by hash and compared by name.
    fn group_by_name(&self) -> Vec<Sym> {
        let hashes = &self.hashes;
        let mut table: HashTable<Sym> = HashTable::with_capacity(hashes.len());
        let mut first = Vec::with_capacity(hashes.len());
        for (k, &h) in hashes.iter().enumerate() {
            let name = self.bytes(k);
            let found = table.find(h, |&q| {
                hashes.get(q as usize) == Some(&h) && self.bytes(q as usize) == name
            });
            first.push(match found {
                Some(&q) => q,
                None => {
                    table.insert_unique(h, k as Sym, |&q| {
                        hashes.get(q as usize).copied().unwrap_or(0)
                    });
                    k as Sym
                }
            });
        }
        first
    }

    /// Groups occurrences by hash in four sequential passes: count per partition (the top bits
    /// of the hash), scatter `(hash, occurrence)` into partitions (occurrence order is kept
    /// within each), group each partition with a table that fits in cache, and gather the
    /// answers back into occurrence order.
    fn group_by_hash(&self, parts: usize) -> Vec<Sym> {
        let hashes = &self.hashes;
        let shift = 64 - parts.trailing_zeros();
        let part = |h: u64| (h >> shift) as usize;
        let mut starts = vec![0usize; parts + 1];
        for &h in hashes {
            if let Some(c) = starts.get_mut(part(h) + 1) {
                *c += 1;
            }
        }
        for p in 0..parts {
            starts[p + 1] += starts[p];
        }
        let mut records: Vec<(u64, Sym)> = vec![(0, 0); hashes.len()];
        let mut at = starts.clone();
        for (k, &h) in hashes.iter().enumerate() {
            if let Some(c) = at.get_mut(part(h)) {
                if let Some(slot) = records.get_mut(*c) {
                    *slot = (h, k as Sym);
                }
                *c += 1;
            }
        }
        // Within a partition the top bits are all alike; the table hashes on the others.
        let inner = |h: u64| h.rotate_left(32);
        // Clearing a table costs its capacity: one oversized partition (a name used a million
        // times) gets a table of its own instead of growing the shared one.
        let typical = 2 * hashes.len() / parts;
        let mut shared: HashTable<(u64, Sym)> = HashTable::with_capacity(typical);
        for p in 0..parts {
            let Some(region) = records.get_mut(starts[p]..starts[p + 1]) else {
                continue;
            };
            let mut own;
            let table = if region.len() > typical {
                // Grows with the names it holds, not the occurrences (often one name).
                own = HashTable::new();
                &mut own
            } else {
                shared.clear();
                &mut shared
            };
            for record in region {
                let h = record.0;
                match table.find(inner(h), |e| e.0 == h) {
                    Some(e) => record.1 = e.1,
                    None => {
                        table.insert_unique(inner(h), *record, |e| inner(e.0));
                    }
                }
            }
        }
        let mut at = starts;
        hashes
            .iter()
            .enumerate()
            .map(|(k, &h)| {
                let Some(c) = at.get_mut(part(h)) else {
                    return k as Sym;
                };
                let answer = records.get(*c).map_or(k as Sym, |r| r.1);
                *c += 1;
                answer
            })
            .collect()
    }

    /// Whether every occurrence has the same name as the one it was grouped with.
    fn same_names(&self, first: &[Sym]) -> bool {
        first.len() == self.len()
            && first
                .iter()
                .enumerate()
                .all(|(k, &f)| f as usize == k || self.bytes(k) == self.bytes(f as usize))
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
        assert_eq!(n.intern(b'a', "build"), b);
        assert_eq!(n.text(a), "build");
        assert_eq!(n.space(b), b'a');
        assert_eq!(n.text(99), "");
        for i in 0..1000 {
            n.intern(b'j', &format!("job{i}"));
        }
        let last = n.intern(b'j', "job999");
        assert_eq!(n.text(last), "job999");
        assert_eq!(n.len(), 1002);
    }

    /// The first occurrence of each name, computed the obvious way.
    fn naive(log: &NameLog) -> Vec<Sym> {
        let mut seen = std::collections::HashMap::new();
        (0..log.len() as Sym)
            .map(|k| *seen.entry((log.space(k), log.text(k))).or_insert(k))
            .collect()
    }

    #[test]
    fn occurrences_resolve_to_the_first_in_small_and_partitioned_logs() {
        for n in [0usize, 1, 10, 5_000, PARTITION + 17] {
            let mut log = NameLog::default();
            for i in 0..n {
                // Three uses of earlier names per new one, in two namespaces.
                log.add(b'j', &format!("job-{i}"));
                log.add(b'a', &format!("job-{}", i / 2));
                log.add(b'j', &format!("job-{}", i * 7 % (i + 1)));
                log.add(b'j', "");
            }
            let first = log.first_occurrences();
            assert_eq!(first, naive(&log), "n = {n}");
            // The fast path itself, not only the answer (which could come from the fallback).
            let parts = (log.len() / PARTITION).next_power_of_two();
            if parts > 1 {
                assert_eq!(log.group_by_hash(parts), first, "n = {n}");
            }
            assert!(!log.overflowed());
            if n > 1 {
                // Occurrence 5 is the artifact `job-0`, first added as occurrence 1.
                assert_eq!(first[5], 1);
                assert_eq!((log.space(1), log.text(1)), (b'a', "job-0"));
            }
        }
    }

    #[test]
    fn names_are_numbered_in_order_of_first_occurrence() {
        let mut log = NameLog::default();
        for (space, name) in [
            (b'j', "b"),
            (b'j', "a"),
            (b'a', "b"),
            (b'j', "b"),
            (b'a', "b"),
        ] {
            log.add(space, name);
        }
        assert_eq!(log.resolve(), [0, 1, 2, 0, 2]);
        assert_eq!(log.len(), 3);
        assert_eq!((log.space(2), log.text(2)), (b'a', "b"));
        assert_eq!(log.text(1), "a");
        assert_eq!(log.text(3), "");
        assert_eq!(log.resolve(), [0, 1, 2]);
    }

    #[test]
    fn a_shared_hash_never_merges_two_names() {
        let mut log = NameLog::default();
        for i in 0..3 * PARTITION {
            log.add(b'j', &format!("job-{i}"));
        }
        log.add(b'j', "job-7");
        // Make two different names collide: grouping by hash would merge them.
        log.hashes[11] = log.hashes[10];
        assert!(!log.same_names(&log.group_by_hash(4)));
        let first = log.first_occurrences();
        assert_eq!(first, naive(&log));
        assert_eq!(first[11], 11);
        assert_eq!(first[3 * PARTITION], 7);
    }

    proptest::proptest! {
        // Each partitioned case resolves some 33,000 names; 64 cases keep it to a few seconds.
        #![proptest_config(proptest::test_runner::Config::with_cases(64))]
        #[test]
        fn resolution_matches_a_plain_map(
            names in proptest::collection::vec((0u8..3, "[ab]{0,3}"), 0..200),
            partitioned in proptest::bool::ANY,
        ) {
            let mut log = NameLog::default();
            // Padding pushes the log past one partition so both paths are exercised.
            let pad = if partitioned { 2 * PARTITION } else { 0 };
            for i in 0..pad {
                log.add(b'p', &i.to_string());
            }
            for (space, name) in &names {
                log.add(b'a' + space, name);
            }
            let expected = naive(&log);
            if partitioned {
                proptest::prop_assert_eq!(log.group_by_hash(2), expected.clone());
            }
            proptest::prop_assert_eq!(log.first_occurrences(), expected.clone());
            // Dense numbering: ids in order of first occurrence, one per distinct name.
            let distinct: Vec<Sym> = (0..expected.len()).filter(|&k| expected[k] as usize == k).map(|k| k as Sym).collect();
            let texts: Vec<String> = (0..log.len() as Sym).map(|k| log.text(k).to_owned()).collect();
            let names = log.resolve();
            proptest::prop_assert_eq!(log.len(), distinct.len());
            for (k, &name) in names.iter().enumerate() {
                proptest::prop_assert_eq!(distinct.get(name as usize).copied(), Some(expected[k]));
                proptest::prop_assert_eq!(log.text(name), texts[k].as_str());
            }
        }
    }
}
