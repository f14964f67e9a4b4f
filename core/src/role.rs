//! Permissions and roles.

use std::fmt;
use std::str::FromStr;

use std::collections::BTreeSet;

/// What a principal may do. Actions in requests are these names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Upload a change for review.
    Submit,
    /// Comment on and vote on a change (without the power to approve it).
    Review,
    /// Merge a reviewed change.
    Merge,
    /// Give an approval that counts towards a quorum.
    Approve,
    /// Deploy an artifact to an environment.
    Deploy,
    /// Promote an artifact from one environment to the next.
    Promote,
    /// Administer the policy itself. It grants nothing else: an admin who wants to deploy
    /// needs a deploy binding like anyone else.
    Admin,
}

impl Permission {
    /// Every permission, in a stable order.
    pub const ALL: [Permission; 7] = [
        Permission::Submit,
        Permission::Review,
        Permission::Merge,
        Permission::Approve,
        Permission::Deploy,
        Permission::Promote,
        Permission::Admin,
    ];

    /// The permission's name as written in policies and requests.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Submit => "submit",
            Permission::Review => "review",
            Permission::Merge => "merge",
            Permission::Approve => "approve",
            Permission::Deploy => "deploy",
            Permission::Promote => "promote",
            Permission::Admin => "admin",
        }
    }

    /// The names of all permissions, for messages.
    pub fn names() -> String {
        Permission::ALL.map(Permission::as_str).join(", ")
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a permission.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown action `{0}`: expected one of {names}", names = Permission::names())]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPermission(s.to_owned()))
    }
}

/// A named set of permissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    /// The role's name.
    pub name: String,
    /// What the role grants.
    pub permissions: BTreeSet<Permission>,
    /// Why the role exists, for explanations.
    pub description: Option<String>,
}

impl Role {
    /// Whether the role grants `p`.
    pub fn grants(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>(), Ok(p));
        }
        let err = "deplyo".parse::<Permission>().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "unknown action `deplyo`: expected one of submit, review, merge, approve, deploy, promote, admin"
            )
        );
    }
}
