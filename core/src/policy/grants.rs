//! The bindings indexed by who they name and what they grant, prepared once when a policy is
//! validated.
//!
//! An authorization asks about one principal and one permission, and a policy may hold thousands
//! of bindings of which a handful name that principal. Walking them all per request made a
//! decision cost grow with the policy; looking up the principal's own bindings keeps an allow
//! to a few glob matches however large the policy is.

use std::collections::{BTreeMap, BTreeSet};

use hashbrown::HashMap;

use super::{Binding, WILDCARD};
use crate::role::{Permission, Role};

/// What one principal is a subject of, besides the bindings for everyone.
#[derive(Clone, Debug, Default)]
struct Subject {
    /// Bindings that name the principal itself.
    direct: Vec<u32>,
    /// The groups it belongs to, as positions in the policy's group order (sorted by name).
    groups: Vec<u32>,
}

/// The policy's bindings indexed by subject and by permission. Binding numbers are positions in
/// the policy's `bindings` list.
#[derive(Clone, Debug, Default)]
pub(crate) struct Grants {
    /// Per binding, the permissions its role grants, one bit per [`Permission`].
    permissions: Vec<u8>,
    /// Bindings that name `*`.
    everyone: Vec<u32>,
    /// Per principal named by a binding or a group.
    subjects: HashMap<String, Subject>,
    /// Per group (in name order), its name and the bindings that name it.
    groups: Vec<(String, Vec<u32>)>,
    /// Per permission, the bindings granting it, in policy order.
    by_permission: [Vec<u32>; Permission::ALL.len()],
}

/// The bit of `permission` in [`Grants::permissions`].
fn bit(permission: Permission) -> u8 {
    1 << (permission as u8)
}

impl Grants {
    /// Indexes `bindings`. Every role and group they name exists (the policy is validated).
    pub(crate) fn new(
        groups: &BTreeMap<String, BTreeSet<String>>,
        roles: &BTreeMap<String, Role>,
        bindings: &[Binding],
    ) -> Grants {
        let mut grants = Grants::default();
        let group_ids: BTreeMap<&str, u32> = groups
            .keys()
            .zip(0..)
            .map(|(name, id)| (name.as_str(), id))
            .collect();
        grants.groups = groups.keys().map(|g| (g.clone(), Vec::new())).collect();
        for (name, members) in groups {
            let Some(&id) = group_ids.get(name.as_str()) else {
                continue;
            };
            for member in members {
                grants
                    .subjects
                    .entry(member.clone())
                    .or_default()
                    .groups
                    .push(id);
            }
        }
        for (position, b) in bindings.iter().enumerate() {
            let Ok(n) = u32::try_from(position) else {
                break;
            };
            let mask = roles.get(&b.role).map_or(0, |role| {
                Permission::ALL
                    .into_iter()
                    .filter(|p| role.grants(*p))
                    .fold(0, |m, p| m | bit(p))
            });
            grants.permissions.push(mask);
            for p in Permission::ALL {
                if mask & bit(p) != 0 {
                    grants.by_permission[p as usize].push(n);
                }
            }
            for p in &b.principals {
                if p == WILDCARD {
                    grants.everyone.push(n);
                } else {
                    grants.subjects.entry(p.clone()).or_default().direct.push(n);
                }
            }
            for g in &b.groups {
                if let Some(&id) = group_ids.get(g.as_str())
                    && let Some((_, list)) = grants.groups.get_mut(id as usize)
                {
                    list.push(n);
                }
            }
        }
        grants
    }

    /// Every binding `principal` is a subject of (directly, by wildcard or through a group), in
    /// no particular order and possibly more than once.
    pub(crate) fn of(&self, principal: &str) -> impl Iterator<Item = usize> + '_ {
        let subject = self.subjects.get(principal);
        let direct = subject.map_or(&[][..], |s| &s.direct[..]);
        let groups = subject.map_or(&[][..], |s| &s.groups[..]);
        self.everyone
            .iter()
            .chain(direct)
            .chain(groups.iter().flat_map(|&g| {
                self.groups
                    .get(g as usize)
                    .map_or(&[][..], |(_, list)| &list[..])
            }))
            .map(|&n| n as usize)
    }

    /// Whether binding `n` grants `permission`.
    pub(crate) fn grants(&self, n: usize, permission: Permission) -> bool {
        self.permissions
            .get(n)
            .is_some_and(|m| m & bit(permission) != 0)
    }

    /// The bindings granting `permission`, in policy order.
    pub(crate) fn granting(&self, permission: Permission) -> &[u32] {
        &self.by_permission[permission as usize]
    }

    /// The groups `principal` belongs to, by name.
    pub(crate) fn groups_of(&self, principal: &str) -> Vec<&str> {
        self.subjects.get(principal).map_or_else(Vec::new, |s| {
            s.groups
                .iter()
                .filter_map(|&g| self.groups.get(g as usize).map(|(name, _)| name.as_str()))
                .collect()
        })
    }
}
