//! Trust zones and their partial order.
//!
//! "trusted dominates untrusted" is not a ranking: two regional zones may be incomparable, and
//! code that mixes their outputs is trusted by neither. So zones are kept as a reflexive,
//! transitive dominance relation, precomputed once, and every question about trust is a lookup.

use std::collections::BTreeMap;

/// Index of a zone in a [`Zones`] table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZoneId(pub(crate) usize);

/// One zone as the policy declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    /// The zone's name.
    pub name: String,
    /// Jobs in this zone may be handed credentials.
    pub credentials: bool,
    /// Jobs in this zone may publish to the artifact store.
    pub publish: bool,
    /// Why the zone exists, for explanations.
    pub description: Option<String>,
}

/// The zones of a policy and their dominance order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Zones {
    zones: Vec<Zone>,
    by_name: BTreeMap<String, ZoneId>,
    /// `dominates[a][b]`: a is at least as trusted as b (reflexive, transitive).
    dominates: Vec<Vec<bool>>,
}

impl Zones {
    /// Builds the table from zones and their direct dominance edges (`a` dominates each of
    /// `edges[a]`). The caller has checked that the edges are acyclic and refer to known zones.
    pub(crate) fn new(zones: Vec<Zone>, edges: &[Vec<ZoneId>]) -> Self {
        let n = zones.len();
        let by_name = zones
            .iter()
            .enumerate()
            .map(|(i, z)| (z.name.clone(), ZoneId(i)))
            .collect();
        let mut dominates = vec![vec![false; n]; n];
        for (start, row) in dominates.iter_mut().enumerate() {
            // Depth-first walk of everything `start` reaches.
            let mut stack = vec![start];
            while let Some(z) = stack.pop() {
                if row[z] {
                    continue;
                }
                row[z] = true;
                if let Some(next) = edges.get(z) {
                    stack.extend(next.iter().map(|id| id.0));
                }
            }
        }
        Zones {
            zones,
            by_name,
            dominates,
        }
    }

    /// Looks a zone up by name.
    pub fn id(&self, name: &str) -> Option<ZoneId> {
        self.by_name.get(name).copied()
    }

    /// The zone behind an id.
    pub fn get(&self, id: ZoneId) -> Option<&Zone> {
        self.zones.get(id.0)
    }

    /// The name of a zone (empty for an id from another table).
    pub fn name(&self, id: ZoneId) -> &str {
        self.get(id).map(|z| z.name.as_str()).unwrap_or_default()
    }

    /// Every zone, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (ZoneId, &Zone)> {
        self.zones.iter().enumerate().map(|(i, z)| (ZoneId(i), z))
    }

    /// How many zones there are.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// Whether the policy declares no zone.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// Whether `a` is at least as trusted as `b`.
    pub fn dominates(&self, a: ZoneId, b: ZoneId) -> bool {
        self.dominates
            .get(a.0)
            .and_then(|row| row.get(b.0))
            .copied()
            .unwrap_or(false)
    }

    /// Whether `a` and `b` are ordered one way or the other.
    pub fn comparable(&self, a: ZoneId, b: ZoneId) -> bool {
        self.dominates(a, b) || self.dominates(b, a)
    }

    /// The least trusted zones: those that dominate no other zone.
    pub fn lowest(&self) -> Vec<ZoneId> {
        (0..self.zones.len())
            .filter(|&a| (0..self.zones.len()).all(|b| a == b || !self.dominates[a][b]))
            .map(ZoneId)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> Zone {
        Zone {
            name: name.into(),
            credentials: false,
            publish: false,
            description: None,
        }
    }

    #[test]
    fn dominance_is_reflexive_transitive_and_partial() {
        // deploy > trusted > untrusted; eu and us both > untrusted, incomparable to each other.
        let zones = vec![
            zone("untrusted"),
            zone("trusted"),
            zone("deploy"),
            zone("eu"),
            zone("us"),
        ];
        let edges = vec![
            vec![],
            vec![ZoneId(0)],
            vec![ZoneId(1)],
            vec![ZoneId(0)],
            vec![ZoneId(0)],
        ];
        let z = Zones::new(zones, &edges);
        let id = |n: &str| z.id(n).unwrap_or(ZoneId(usize::MAX));
        assert!(z.dominates(id("deploy"), id("untrusted")));
        assert!(z.dominates(id("trusted"), id("trusted")));
        assert!(!z.dominates(id("untrusted"), id("trusted")));
        assert!(!z.comparable(id("eu"), id("us")));
        assert!(!z.comparable(id("eu"), id("trusted")));
        assert_eq!(z.lowest(), vec![id("untrusted")]);
        assert!(!z.dominates(ZoneId(99), id("untrusted")));
    }
}
