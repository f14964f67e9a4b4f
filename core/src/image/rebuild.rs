//! The rebuild cascade: when a base image is vulnerable, every image built on it, directly or
//! through other bases, must be rebuilt, each only after the bases it needs.
//!
//! The inventory is a list of `{name, digest, base_digest}`. An image records one base, so the
//! base graph is normally a forest, and one breadth-first walk from the vulnerable images gives
//! every affected image, its wave (its depth below the vulnerable base) and the path that led to
//! it. Only when a digest stands for several images (a multi-platform index used as a base, or
//! an image listed twice with different bases) can an image depend on several affected bases;
//! then the plan takes a second, topological pass so that a wave never comes before a base it
//! needs.

use std::collections::{BTreeMap, HashMap};

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::blob::BlobDigest;
use super::model::ImageSet;
use crate::diagnostic::{Problem, Problems};
use crate::error::Error;
use crate::rule::codes;
use crate::source::{DocumentCodes, FieldPath, Format, parse_document};

const NONE: u32 = u32::MAX;
/// The wave of an image that waits on a cycle of bases: it can never be scheduled.
const BLOCKED: u32 = u32::MAX;

/// One image of an inventory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryEntry {
    /// A name for people (`registry/app:tag`).
    pub name: String,
    /// The image's manifest digest.
    pub digest: String,
    /// The digest of the image it is built on; none for a root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_digest: Option<String>,
    /// The digest of the multi-platform index listing it, if any: a `base_digest` naming the
    /// index names every platform image under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<String>,
}

const INVENTORY_CODES: DocumentCodes = DocumentCodes {
    syntax: codes::IMAGE_INVALID_INVENTORY,
    unknown_field: codes::IMAGE_INVALID_INVENTORY,
    duplicate: codes::IMAGE_INVALID_INVENTORY,
};

/// Reads an inventory: a JSON (or YAML) list of entries. Unknown fields, invalid digests, empty
/// names and a digest listed twice with different bases are reported, each with its position.
///
/// ```
/// let inv = lockkeeper::image::parse_inventory(
///     r#"[{"name": "debian", "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111"}]"#,
///     lockkeeper::Format::Json,
/// )?;
/// assert_eq!(inv[0].name, "debian");
/// # Ok::<(), lockkeeper::Problems>(())
/// ```
pub fn parse_inventory(text: &str, format: Format) -> Result<Vec<InventoryEntry>, Problems> {
    let parsed = parse_document::<Vec<InventoryEntry>>(text, format, &INVENTORY_CODES)?;
    let mut problems = parsed.problems;
    let mut report = |path: FieldPath, message: String| {
        let loc = parsed.locator.locate(&path);
        problems.push(Problem::new(
            codes::IMAGE_INVALID_INVENTORY,
            message,
            path,
            loc,
        ));
    };
    let mut bases: BTreeMap<&str, (usize, Option<&str>)> = BTreeMap::new();
    for (i, e) in parsed.value.iter().enumerate() {
        let at = FieldPath::root().index(i);
        if e.name.trim().is_empty() {
            report(at.key("name"), "an image needs a name".to_owned());
        }
        for (key, value) in [
            ("digest", Some(&e.digest)),
            ("base_digest", e.base_digest.as_ref()),
            ("index_digest", e.index_digest.as_ref()),
        ] {
            if let Some(v) = value
                && let Err(message) = BlobDigest::parse(v)
            {
                report(at.key(key), message);
            }
        }
        match bases.get(e.digest.as_str()) {
            Some((first, base)) if *base != e.base_digest.as_deref() => report(
                at.key("base_digest"),
                format!(
                    "`{}` is listed at [{first}] with another base; an image has one base",
                    e.digest
                ),
            ),
            Some(_) => {}
            None => {
                bases.insert(&e.digest, (i, e.base_digest.as_deref()));
            }
        }
    }
    match Problems::from_vec(problems) {
        None => Ok(parsed.value),
        Some(problems) => Err(problems),
    }
}

impl InventoryEntry {
    /// The inventory of images read from layouts: one entry per platform image. Sets with
    /// findings are refused: a plan built on an image that could not be verified could miss
    /// what depends on it.
    pub fn from_image_sets(sets: &[ImageSet]) -> Result<Vec<InventoryEntry>, Error> {
        let mut out = Vec::new();
        for set in sets {
            if let Some(f) = set.findings.first() {
                return Err(Error::invalid(f.code, f.message.clone()));
            }
            for image in &set.images {
                out.push(InventoryEntry {
                    name: match &image.reference {
                        Some(r) => format!("{}:{r} ({})", set.origin, image.platform),
                        None => format!("{} ({})", set.origin, image.platform),
                    },
                    digest: image.digest.clone(),
                    base_digest: image.lineage.base_digest.clone().or_else(|| {
                        image
                            .lineage
                            .base_name
                            .as_deref()
                            .and_then(super::reference::Reference::parse)
                            .and_then(|r| r.digest)
                    }),
                    index_digest: image.index_digest.clone(),
                });
            }
        }
        Ok(out)
    }
}

/// An image whose base is not in the inventory: a root built on something outside it, or an
/// inventory with a hole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MissingBase {
    /// The image's name.
    pub image: String,
    /// Its digest.
    pub digest: String,
    /// The base digest nobody in the inventory has.
    pub base_digest: String,
}

/// The base-image graph of an inventory, ready to plan any number of rebuilds.
#[derive(Clone, Debug)]
pub struct ImageGraph {
    names: Vec<String>,
    digests: Vec<String>,
    /// Each image's digest, to its node.
    lookup: HashMap<String, u32>,
    /// Index digests, to the platform images they list.
    aliases: HashMap<String, Vec<u32>>,
    /// Images whose base is not in the inventory, by that base digest.
    orphans: HashMap<String, Vec<u32>>,
    child_start: Vec<u32>,
    children: Vec<u32>,
    /// The single parent of each image, when the graph is a forest.
    parent: Vec<u32>,
    /// Whether some image has more than one base in the graph.
    shared_bases: bool,
    on_cycle: Vec<bool>,
    cycles: Vec<Vec<u32>>,
    missing: Vec<MissingBase>,
}

impl ImageGraph {
    /// Builds the graph. Entries with the same digest are one image (the first name is kept);
    /// if they disagree on the base, the image depends on every base given, which can only make
    /// the plan larger, never smaller.
    pub fn new(entries: &[InventoryEntry]) -> ImageGraph {
        let mut names = Vec::new();
        let mut digests = Vec::new();
        let mut bases: Vec<Vec<&str>> = Vec::new();
        let mut lookup: HashMap<String, u32> = HashMap::with_capacity(entries.len());
        let mut aliases: HashMap<String, Vec<u32>> = HashMap::new();
        let mut by_digest: HashMap<&str, u32> = HashMap::with_capacity(entries.len());
        for e in entries {
            let node = match by_digest.get(e.digest.as_str()) {
                Some(&n) => n,
                None => {
                    let n = names.len() as u32;
                    by_digest.insert(&e.digest, n);
                    names.push(e.name.clone());
                    digests.push(e.digest.clone());
                    bases.push(Vec::new());
                    lookup.insert(e.digest.clone(), n);
                    n
                }
            };
            if let Some(b) = &e.base_digest
                && !bases[node as usize].contains(&b.as_str())
            {
                bases[node as usize].push(b);
            }
            if let Some(i) = &e.index_digest {
                let list = aliases.entry(i.clone()).or_default();
                if !list.contains(&node) {
                    list.push(node);
                }
            }
        }
        let n = names.len();
        let mut edges: Vec<(u32, u32)> = Vec::with_capacity(n);
        let mut orphans: HashMap<String, Vec<u32>> = HashMap::new();
        let mut missing = Vec::new();
        let mut in_degree = vec![0u32; n];
        for (child, list) in bases.iter().enumerate() {
            for b in list {
                let parents = match lookup.get(*b) {
                    Some(p) => Some(std::slice::from_ref(p)),
                    None => aliases.get(*b).map(Vec::as_slice),
                };
                match parents {
                    Some(parents) => {
                        for &p in parents {
                            edges.push((p, child as u32));
                            in_degree[child] += 1;
                        }
                    }
                    None => {
                        orphans
                            .entry((*b).to_owned())
                            .or_default()
                            .push(child as u32);
                        missing.push(MissingBase {
                            image: names[child].clone(),
                            digest: digests[child].clone(),
                            base_digest: (*b).to_owned(),
                        });
                    }
                }
            }
        }
        // Compressed adjacency: the children of `p` are children[child_start[p]..child_start[p+1]].
        let mut child_start = vec![0u32; n + 1];
        for &(p, _) in &edges {
            child_start[p as usize + 1] += 1;
        }
        for i in 0..n {
            child_start[i + 1] += child_start[i];
        }
        let mut fill = child_start.clone();
        let mut children = vec![0u32; edges.len()];
        let mut parent = vec![NONE; n];
        for &(p, c) in &edges {
            children[fill[p as usize] as usize] = c;
            fill[p as usize] += 1;
            parent[c as usize] = p;
        }
        let shared_bases = in_degree.iter().any(|&d| d > 1);

        let mut graph = DiGraph::<(), ()>::with_capacity(n, edges.len());
        for _ in 0..n {
            graph.add_node(());
        }
        for &(p, c) in &edges {
            graph.add_edge(p.into(), c.into(), ());
        }
        let mut on_cycle = vec![false; n];
        let mut cycles = Vec::new();
        for scc in tarjan_scc(&graph) {
            let looped = scc.len() > 1
                || scc
                    .first()
                    .is_some_and(|&x| graph.find_edge(x, x).is_some());
            if looped {
                let mut members: Vec<u32> = scc.iter().map(|x| x.index() as u32).collect();
                members.sort_unstable();
                for &m in &members {
                    on_cycle[m as usize] = true;
                }
                cycles.push(members);
            }
        }
        cycles.sort();
        ImageGraph {
            names,
            digests,
            lookup,
            aliases,
            orphans,
            child_start,
            children,
            parent,
            shared_bases,
            on_cycle,
            cycles,
            missing,
        }
    }

    /// How many distinct images the graph holds.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the graph holds no image.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Images whose bases form a loop, each loop as image names (a loop can never be rebuilt in
    /// order).
    pub fn cycles(&self) -> Vec<Vec<String>> {
        self.cycles
            .iter()
            .map(|c| c.iter().map(|&i| self.names[i as usize].clone()).collect())
            .collect()
    }

    /// Images whose base is not in the inventory.
    pub fn missing_bases(&self) -> &[MissingBase] {
        &self.missing
    }

    fn children_of(&self, node: u32) -> &[u32] {
        let start = self.child_start[node as usize] as usize;
        let end = self.child_start[node as usize + 1] as usize;
        self.children.get(start..end).unwrap_or_default()
    }

    /// Plans the rebuilds that the given vulnerable digests force. A digest may name an image
    /// of the inventory (which is rebuilt first), or a base outside it (the images built on it
    /// are rebuilt first).
    pub fn plan<'a>(&'a self, vulnerable: &[&'a str]) -> RebuildPlan<'a> {
        let n = self.names.len();
        let mut visited = vec![0u64; n.div_ceil(64)];
        let seen = |v: &Vec<u64>, i: u32| v[(i / 64) as usize] & (1 << (i % 64)) != 0;
        let mark = |v: &mut Vec<u64>, i: u32| v[(i / 64) as usize] |= 1 << (i % 64);
        let mut entries: Vec<Entry> = Vec::with_capacity(64);
        let mut unmatched = Vec::new();
        let mut starts: Vec<(u32, u32)> = Vec::new();
        for (origin, v) in vulnerable.iter().enumerate() {
            let hit = match self.lookup.get(*v) {
                Some(node) => Some(std::slice::from_ref(node)),
                None => self
                    .aliases
                    .get(*v)
                    .or_else(|| self.orphans.get(*v))
                    .map(Vec::as_slice),
            }
            .filter(|l| !l.is_empty());
            match hit {
                Some(list) => starts.extend(list.iter().map(|&node| (node, origin as u32))),
                None => unmatched.push((*v).to_owned()),
            }
        }
        for &(node, _) in &starts {
            mark(&mut visited, node);
        }
        let mut plan = RebuildPlan {
            graph: self,
            vulnerable: vulnerable.to_vec(),
            unmatched,
            entries: Vec::new(),
            wave_starts: Vec::new(),
            by_wave: Vec::new(),
        };
        if self.shared_bases {
            plan.entries = self.topological(&starts, visited);
        } else {
            // Forest: a start below another start is reached from it, so it is not a start.
            for &(node, origin) in &starts {
                let mut up = self.parent[node as usize];
                let mut steps = 0;
                let mut covered = false;
                // Stop on coming back round a loop of bases: a node does not cover itself.
                while up != NONE && up != node && steps < n {
                    if starts.iter().any(|&(s, _)| s == up) {
                        covered = true;
                        break;
                    }
                    up = self.parent[up as usize];
                    steps += 1;
                }
                if !covered && !entries.iter().any(|e| e.node == node) {
                    let wave = if self.on_cycle[node as usize] {
                        BLOCKED
                    } else {
                        0
                    };
                    entries.push(Entry {
                        node,
                        wave,
                        via: NONE,
                        origin,
                    });
                }
            }
            // Covered starts are unmarked so that the walk reaches them from their base.
            for &(node, _) in &starts {
                if !entries.iter().any(|e| e.node == node) {
                    visited[(node / 64) as usize] &= !(1 << (node % 64));
                }
            }
            let has_cycles = !self.cycles.is_empty();
            let mut k = 0;
            while k < entries.len() {
                let Entry {
                    node, wave, origin, ..
                } = entries[k];
                for &child in self.children_of(node) {
                    if !seen(&visited, child) {
                        mark(&mut visited, child);
                        let wave =
                            if wave == BLOCKED || (has_cycles && self.on_cycle[child as usize]) {
                                BLOCKED
                            } else {
                                wave + 1
                            };
                        entries.push(Entry {
                            node: child,
                            wave,
                            via: k as u32,
                            origin,
                        });
                    }
                }
                k += 1;
            }
            plan.entries = entries;
        }
        plan.group();
        plan
    }

    /// The general case: mark every affected image, then schedule each after all its affected
    /// bases (Kahn's algorithm restricted to the affected images).
    fn topological(&self, starts: &[(u32, u32)], mut visited: Vec<u64>) -> Vec<Entry> {
        let n = self.names.len();
        let seen = |v: &Vec<u64>, i: u32| v[(i / 64) as usize] & (1 << (i % 64)) != 0;
        let mut affected: Vec<u32> = Vec::new();
        let mut first_via: HashMap<u32, (u32, u32)> = HashMap::new();
        for &(node, origin) in starts {
            if !affected.contains(&node) {
                affected.push(node);
                first_via.insert(node, (NONE, origin));
            }
        }
        let mut k = 0;
        while k < affected.len() {
            let node = affected[k];
            let origin = first_via.get(&node).map(|x| x.1).unwrap_or(0);
            for &child in self.children_of(node) {
                if !seen(&visited, child) {
                    visited[(child / 64) as usize] |= 1 << (child % 64);
                    affected.push(child);
                    first_via.insert(child, (node, origin));
                }
            }
            k += 1;
        }
        let mut pending = vec![0u32; n];
        for &node in &affected {
            for &child in self.children_of(node) {
                pending[child as usize] += 1;
            }
        }
        let mut entries: Vec<Entry> = Vec::with_capacity(affected.len());
        let mut entry_of: HashMap<u32, u32> = HashMap::with_capacity(affected.len());
        let mut best: HashMap<u32, (u32, u32)> = HashMap::new();
        let mut ready: Vec<u32> = affected
            .iter()
            .copied()
            .filter(|&a| pending[a as usize] == 0)
            .collect();
        let mut r = 0;
        while r < ready.len() {
            let node = ready[r];
            r += 1;
            let (wave, via) = best.get(&node).copied().unwrap_or((0, NONE));
            let origin = match via {
                NONE => first_via.get(&node).map(|x| x.1).unwrap_or(0),
                v => entries[v as usize].origin,
            };
            let k = entries.len() as u32;
            entries.push(Entry {
                node,
                wave,
                via,
                origin,
            });
            entry_of.insert(node, k);
            for &child in self.children_of(node) {
                let slot = best.entry(child).or_insert((0, k));
                if wave + 1 >= slot.0 {
                    *slot = (wave + 1, k);
                }
                pending[child as usize] -= 1;
                if pending[child as usize] == 0 {
                    ready.push(child);
                }
            }
        }
        // What never became ready waits on a loop of bases.
        for &node in &affected {
            if entry_of.contains_key(&node) {
                continue;
            }
            let (parent, origin) = first_via.get(&node).copied().unwrap_or((NONE, 0));
            let via = entry_of.get(&parent).copied().unwrap_or(NONE);
            let k = entries.len() as u32;
            entries.push(Entry {
                node,
                wave: BLOCKED,
                via,
                origin,
            });
            entry_of.insert(node, k);
        }
        // Blocked entries may point at blocked entries added after them; fix those links now.
        for (i, entry) in entries.iter_mut().enumerate() {
            if entry.wave == BLOCKED && entry.via == NONE {
                let parent = first_via.get(&entry.node).map(|x| x.0).unwrap_or(NONE);
                if let Some(&k) = entry_of.get(&parent)
                    && k as usize != i
                {
                    entry.via = k;
                }
            }
        }
        entries
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    node: u32,
    wave: u32,
    /// The plan entry this one was reached from (`NONE` for a start).
    via: u32,
    /// Index of the vulnerable digest the path starts at.
    origin: u32,
}

/// One step of the path from a vulnerable digest to an affected image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathStep {
    /// The image's name (`None` for a vulnerable base outside the inventory).
    pub name: Option<String>,
    /// Its digest.
    pub digest: String,
}

/// An image the plan rebuilds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedImage {
    /// The image's name.
    pub name: String,
    /// Its digest.
    pub digest: String,
    /// Its wave (0 first), or `None` when it waits on a loop of bases.
    pub wave: Option<usize>,
    /// From the vulnerable digest down to this image.
    pub path: Vec<PathStep>,
}

/// The answer to "this digest is vulnerable: what must be rebuilt, in which order?".
#[derive(Debug)]
pub struct RebuildPlan<'a> {
    graph: &'a ImageGraph,
    vulnerable: Vec<&'a str>,
    unmatched: Vec<String>,
    entries: Vec<Entry>,
    /// Where each wave starts in `by_wave` (one more entry than there are waves).
    wave_starts: Vec<u32>,
    /// Entry indexes ordered by wave; empty when the entries are already in wave order.
    by_wave: Vec<u32>,
}

impl RebuildPlan<'_> {
    /// Orders the entries by wave. A breadth-first walk of a forest already yields them in wave
    /// order, so usually one pass finds where each wave starts; otherwise a counting sort (waves
    /// are few).
    fn group(&mut self) {
        let mut in_order = true;
        let mut starts: Vec<u32> = Vec::new();
        for (k, e) in self.entries.iter().enumerate() {
            let next = starts.len() as u32;
            if e.wave == next {
                starts.push(k as u32);
            } else if e.wave == BLOCKED || e.wave + 1 != next {
                in_order = false;
                break;
            }
        }
        if in_order {
            starts.push(self.entries.len() as u32);
            self.wave_starts = starts;
            return;
        }
        let waves = self
            .entries
            .iter()
            .filter(|e| e.wave != BLOCKED)
            .map(|e| e.wave as usize + 1)
            .max()
            .unwrap_or(0);
        let mut starts = vec![0u32; waves + 1];
        for e in self.entries.iter().filter(|e| e.wave != BLOCKED) {
            starts[e.wave as usize + 1] += 1;
        }
        for w in 0..waves {
            starts[w + 1] += starts[w];
        }
        let mut fill = starts.clone();
        let mut by_wave = vec![0u32; starts[waves] as usize];
        for (k, e) in self.entries.iter().enumerate() {
            if e.wave != BLOCKED {
                by_wave[fill[e.wave as usize] as usize] = k as u32;
                fill[e.wave as usize] += 1;
            }
        }
        self.wave_starts = starts;
        self.by_wave = by_wave;
    }

    /// How many images must be rebuilt (blocked ones included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is affected.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many waves the plan has.
    pub fn wave_count(&self) -> usize {
        self.wave_starts.len().saturating_sub(1)
    }

    /// Vulnerable digests that name neither an image nor a base of the inventory.
    pub fn unmatched(&self) -> &[String] {
        &self.unmatched
    }

    fn planned(&self, k: u32) -> PlannedImage {
        let g = self.graph;
        let mut path = Vec::new();
        let mut at = k;
        let mut origin = 0;
        let mut guard = 0;
        while at != NONE && guard <= self.entries.len() {
            let e = self.entries[at as usize];
            path.push(PathStep {
                name: Some(g.names[e.node as usize].clone()),
                digest: g.digests[e.node as usize].clone(),
            });
            origin = e.origin;
            at = e.via;
            guard += 1;
        }
        let start = self
            .vulnerable
            .get(origin as usize)
            .copied()
            .unwrap_or_default();
        if path.last().is_none_or(|s| s.digest != start) {
            path.push(PathStep {
                name: g.lookup.get(start).map(|&n| g.names[n as usize].clone()),
                digest: start.to_owned(),
            });
        }
        path.reverse();
        let e = self.entries[k as usize];
        PlannedImage {
            name: g.names[e.node as usize].clone(),
            digest: g.digests[e.node as usize].clone(),
            wave: (e.wave != BLOCKED).then_some(e.wave as usize),
            path,
        }
    }

    /// The waves in order; the images of one wave can be rebuilt in parallel, each wave once the
    /// previous ones are done. Within a wave, images are ordered by name.
    pub fn waves(&self) -> Vec<Vec<PlannedImage>> {
        (0..self.wave_count())
            .map(|w| {
                let from = self.wave_starts[w] as usize;
                let to = self.wave_starts[w + 1] as usize;
                let mut wave: Vec<PlannedImage> = if self.by_wave.is_empty() {
                    (from as u32..to as u32).map(|k| self.planned(k)).collect()
                } else {
                    self.by_wave[from..to]
                        .iter()
                        .map(|&k| self.planned(k))
                        .collect()
                };
                wave.sort_by(|a, b| a.name.cmp(&b.name).then(a.digest.cmp(&b.digest)));
                wave
            })
            .collect()
    }

    /// Affected images that wait on a loop of bases and cannot be scheduled.
    pub fn blocked(&self) -> Vec<PlannedImage> {
        let mut out: Vec<PlannedImage> = (0..self.entries.len() as u32)
            .filter(|&k| self.entries[k as usize].wave == BLOCKED)
            .map(|k| self.planned(k))
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The owned, serializable report of the plan with the graph's cycles and missing bases.
    pub fn report(&self) -> RebuildReport {
        RebuildReport {
            vulnerable: self.vulnerable.iter().map(|v| (*v).to_owned()).collect(),
            waves: self.waves(),
            blocked: self.blocked(),
            unmatched: self.unmatched.clone(),
            cycles: self.graph.cycles(),
            missing_bases: self.graph.missing_bases().to_vec(),
        }
    }
}

/// A rebuild plan with everything it was computed from, in an owned form for front ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RebuildReport {
    /// The vulnerable digests asked about.
    pub vulnerable: Vec<String>,
    /// The waves, first to last.
    pub waves: Vec<Vec<PlannedImage>>,
    /// Affected images that wait on a loop of bases.
    pub blocked: Vec<PlannedImage>,
    /// Vulnerable digests that match nothing in the inventory.
    pub unmatched: Vec<String>,
    /// Loops of bases in the inventory.
    pub cycles: Vec<Vec<String>>,
    /// Images whose base is not in the inventory.
    pub missing_bases: Vec<MissingBase>,
}

impl RebuildReport {
    /// Plans the rebuilds forced by `vulnerable` over `inventory`: the whole cascade in one call,
    /// for front ends. Each vulnerable digest must be a valid digest.
    pub fn plan(
        inventory: &[InventoryEntry],
        vulnerable: &[String],
    ) -> Result<RebuildReport, Error> {
        for v in vulnerable {
            BlobDigest::parse(v).map_err(|e| Error::invalid(codes::IMAGE_INVALID_DIGEST, e))?;
        }
        if vulnerable.is_empty() {
            return Err(Error::invalid(
                codes::IMAGE_INVALID_DIGEST,
                "name at least one vulnerable digest",
            ));
        }
        let graph = ImageGraph::new(inventory);
        let vulnerable: Vec<&str> = vulnerable.iter().map(String::as_str).collect();
        Ok(graph.plan(&vulnerable).report())
    }

    /// How many images are affected, blocked ones included.
    pub fn affected(&self) -> usize {
        self.waves.iter().map(Vec::len).sum::<usize>() + self.blocked.len()
    }

    /// The machine form.
    pub fn to_json_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The form for people.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let step = |s: &PathStep| s.name.clone().unwrap_or_else(|| s.digest.clone());
        let _ = writeln!(
            out,
            "rebuild plan for {}: {} image(s) in {} wave(s)",
            self.vulnerable.join(", "),
            self.affected(),
            self.waves.len()
        );
        for (w, wave) in self.waves.iter().enumerate() {
            let _ = writeln!(out, "wave {}:", w + 1);
            for img in wave {
                let path: Vec<String> = img.path.iter().map(step).collect();
                let _ = writeln!(out, "  {}  {}", img.name, img.digest);
                let _ = writeln!(out, "      via {}", path.join(" -> "));
            }
        }
        if !self.blocked.is_empty() {
            let _ = writeln!(out, "blocked (waiting on a loop of bases):");
            for img in &self.blocked {
                let _ = writeln!(out, "  {}  {}", img.name, img.digest);
            }
        }
        for c in &self.cycles {
            let _ = writeln!(
                out,
                "cycle: {} -> {}",
                c.join(" -> "),
                c.first().cloned().unwrap_or_default()
            );
        }
        for m in &self.missing_bases {
            let _ = writeln!(
                out,
                "missing base: {} is built on {}, which is not in the inventory",
                m.image, m.base_digest
            );
        }
        for u in &self.unmatched {
            let _ = writeln!(out, "note: {u} matches no image or base in the inventory");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u32) -> String {
        format!("sha256:{n:064x}")
    }

    fn entry(name: &str, digest: u32, base: Option<u32>) -> InventoryEntry {
        InventoryEntry {
            name: name.to_owned(),
            digest: d(digest),
            base_digest: base.map(d),
            index_digest: None,
        }
    }

    fn names(waves: &[Vec<PlannedImage>]) -> Vec<Vec<String>> {
        waves
            .iter()
            .map(|w| w.iter().map(|i| i.name.clone()).collect())
            .collect()
    }

    #[test]
    fn waves_follow_depth_and_paths_lead_back_to_the_vulnerable_base() {
        let inv = vec![
            entry("debian", 1, Some(100)),
            entry("python", 2, Some(1)),
            entry("node", 3, Some(1)),
            entry("app", 4, Some(2)),
            entry("other-root", 5, None),
            entry("other-app", 6, Some(5)),
        ];
        let g = ImageGraph::new(&inv);
        let v1 = d(1);
        let plan = g.plan(&[v1.as_str()]);
        assert_eq!(
            names(&plan.waves()),
            vec![vec!["debian"], vec!["node", "python"], vec!["app"]]
        );
        let app = &plan.waves()[2][0];
        let path: Vec<&str> = app.path.iter().filter_map(|s| s.name.as_deref()).collect();
        assert_eq!(path, vec!["debian", "python", "app"]);
        // A vulnerable base outside the inventory: what is built on it goes first.
        let v100 = d(100);
        let plan = g.plan(&[v100.as_str()]);
        assert_eq!(plan.waves()[0][0].name, "debian");
        assert_eq!(plan.waves()[0][0].path.len(), 2);
        assert_eq!(plan.waves()[0][0].path[0].name, None);
        assert_eq!(plan.len(), 4);
        assert_eq!(g.missing_bases().len(), 1);
        // Unknown digest.
        let v999 = d(999);
        let plan = g.plan(&[v999.as_str()]);
        assert!(plan.is_empty());
        assert_eq!(plan.unmatched(), &[d(999)]);
    }

    #[test]
    fn a_vulnerable_image_below_another_waits_for_it() {
        let inv = vec![
            entry("a", 1, None),
            entry("b", 2, Some(1)),
            entry("c", 3, Some(2)),
        ];
        let g = ImageGraph::new(&inv);
        let v2 = d(2);
        let v1 = d(1);
        let plan = g.plan(&[v2.as_str(), v1.as_str()]);
        assert_eq!(names(&plan.waves()), vec![vec!["a"], vec!["b"], vec!["c"]]);
    }

    #[test]
    fn cycles_are_reported_and_block_what_is_below_them() {
        let inv = vec![
            entry("x", 1, Some(2)),
            entry("y", 2, Some(1)),
            entry("z", 3, Some(2)),
        ];
        let g = ImageGraph::new(&inv);
        assert_eq!(g.cycles(), vec![vec!["x".to_owned(), "y".to_owned()]]);
        let v1 = d(1);
        let plan = g.plan(&[v1.as_str()]);
        assert!(plan.waves().is_empty());
        let blocked: Vec<String> = plan.blocked().into_iter().map(|p| p.name).collect();
        assert_eq!(blocked, vec!["x", "y", "z"]);
    }

    #[test]
    fn an_index_base_makes_an_image_wait_for_every_platform() {
        // app is built on the index 10, which lists amd64 (1) and arm64 (2); arm64 is built on
        // a runtime (3) that is itself built on amd64, so arm64 comes a wave later.
        let mut inv = vec![
            entry("base-amd64", 1, None),
            entry("runtime", 3, Some(1)),
            entry("base-arm64", 2, Some(3)),
            entry("app", 4, Some(10)),
        ];
        inv[0].index_digest = Some(d(10));
        inv[2].index_digest = Some(d(10));
        let g = ImageGraph::new(&inv);
        let v1 = d(1);
        let plan = g.plan(&[v1.as_str()]);
        assert_eq!(
            names(&plan.waves()),
            vec![
                vec!["base-amd64"],
                vec!["runtime"],
                vec!["base-arm64"],
                vec!["app"]
            ]
        );
        let app = &plan.waves()[3][0];
        assert_eq!(app.path.first().map(|s| s.digest.clone()), Some(d(1)));
    }

    #[test]
    fn inventories_report_each_problem_with_its_position() {
        let text = r#"[
  {"name": "a", "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111"},
  {"name": "", "digest": "sha256:nope", "colour": "red"},
  {"name": "a2", "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111", "base_digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222"}
]"#;
        let Err(problems) = parse_inventory(text, Format::Json) else {
            panic!("inventory should be refused");
        };
        let found: Vec<(String, u32)> = problems
            .iter()
            .map(|p| (p.path.to_string(), p.location.map(|l| l.line).unwrap_or(0)))
            .collect();
        assert_eq!(
            found,
            vec![
                ("[1].name".to_owned(), 3),
                ("[1].digest".to_owned(), 3),
                ("[1].colour".to_owned(), 3),
                ("[2].base_digest".to_owned(), 4),
            ]
        );
        assert!(problems.iter().all(|p| p.code == "image/invalid-inventory"));
    }

    #[test]
    fn the_report_refuses_bad_digests() {
        let inv = vec![entry("a", 1, None)];
        let err = RebuildReport::plan(&inv, &["sha256:xyz".to_owned()]);
        assert!(matches!(
            err,
            Err(Error::InvalidInput {
                code: crate::rule::codes::IMAGE_INVALID_DIGEST,
                ..
            })
        ));
        let ok = RebuildReport::plan(&inv, &[d(1)]).map_err(|e| e.to_string());
        assert_eq!(ok.map(|r| r.affected()), Ok(1));
    }
}
