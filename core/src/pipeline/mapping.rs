//! The policy's `pipelines` section: how triggers and platform contexts map to zones, which zone
//! deploys, and how platform environment names map to the policy's environments.
//!
//! Importers record what a file says (`zuul/gate`, `github/pull_request_target`, a namespace);
//! this section decides what that means, so the same import can be checked against the built-in
//! defaults or a site's own policy.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Trigger;
use crate::rule::{Code, codes};
use crate::source::FieldPath;
use crate::zone::{ZoneId, Zones};

/// The section as written.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawPipelines {
    #[serde(default)]
    pub triggers: BTreeMap<String, String>,
    #[serde(default)]
    pub deploy_zone: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, RawContext>,
    #[serde(default)]
    pub environments: BTreeMap<String, String>,
    #[serde(default)]
    pub undeclared_environments: Option<RawUndeclared>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawContext {
    #[serde(default)]
    pub trigger: Option<String>,
    #[serde(default)]
    pub zone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawUndeclared {
    #[serde(default)]
    pub min_build_zone: Option<String>,
}

/// What a platform context means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContextRule {
    /// The trigger it stands for, if the policy says.
    pub trigger: Option<Trigger>,
    /// The zone its jobs run in, if the policy says.
    pub zone: Option<ZoneId>,
}

/// The validated `pipelines` section (defaults filled in from zone names when absent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PipelineRules {
    /// Zone of each trigger, by [`Trigger::ALL`] order.
    pub(crate) triggers: [Option<ZoneId>; 6],
    /// Where deploying jobs run and the only zone that may hold deploy credentials (when unset,
    /// zones with `credentials: true`).
    pub(crate) deploy_zone: Option<ZoneId>,
    pub(crate) contexts: BTreeMap<String, ContextRule>,
    pub(crate) environments: BTreeMap<String, String>,
    /// When set, environments the policy does not declare are accepted, needing builds from at
    /// least this zone (`Some(None)`: from any zone).
    pub(crate) undeclared_environments: Option<Option<ZoneId>>,
}

impl PipelineRules {
    /// The zone jobs of `trigger` run in when nothing more specific says.
    pub fn trigger_zone(&self, trigger: Trigger) -> Option<ZoneId> {
        self.triggers.get(trigger.index()).copied().flatten()
    }

    /// The deploy zone.
    pub fn deploy_zone(&self) -> Option<ZoneId> {
        self.deploy_zone
    }

    /// What the policy says about a context.
    pub fn context(&self, context: &str) -> Option<&ContextRule> {
        self.contexts.get(context)
    }

    /// The policy environment a platform environment name stands for.
    pub fn environment<'a>(&'a self, name: &'a str) -> &'a str {
        self.environments
            .get(name)
            .map(String::as_str)
            .unwrap_or(name)
    }
}

/// The zone name each trigger defaults to when the policy has a zone of that name.
fn default_zone_name(trigger: Trigger) -> &'static str {
    match trigger {
        Trigger::Patchset => "untrusted",
        Trigger::Approved => "approved",
        _ => "trusted",
    }
}

/// Checks the section against the policy's zones and environments. `report` receives each
/// problem (code, path, message).
pub(crate) fn validate(
    raw: &RawPipelines,
    zones: &Zones,
    environments: &[&str],
    report: &mut dyn FnMut(Code, FieldPath, String),
) -> PipelineRules {
    let root = FieldPath::root().key("pipelines");
    let zone_ref =
        |path: FieldPath, name: &str, report: &mut dyn FnMut(Code, FieldPath, String)| {
            let id = zones.id(name);
            if id.is_none() {
                let known: Vec<&str> = zones.iter().map(|(_, z)| z.name.as_str()).collect();
                report(
                    codes::POLICY_UNDEFINED_REFERENCE,
                    path,
                    format!(
                        "zone `{name}` is not defined (defined zones: {})",
                        known.join(", ")
                    ),
                );
            }
            id
        };

    let mut rules = PipelineRules::default();
    for t in Trigger::ALL {
        rules.triggers[t.index()] = zones.id(default_zone_name(t));
    }
    if rules.triggers[Trigger::Patchset.index()].is_none()
        && let [only] = zones.lowest()[..]
    {
        rules.triggers[Trigger::Patchset.index()] = Some(only);
    }
    for (name, zone) in &raw.triggers {
        let path = root.key("triggers").key(name.clone());
        match name.parse::<Trigger>() {
            Ok(t) => rules.triggers[t.index()] = zone_ref(path, zone, report),
            Err(()) => report(
                codes::POLICY_INVALID_VALUE,
                path,
                format!(
                    "`{name}` is not a trigger; expected one of {}",
                    Trigger::names()
                ),
            ),
        }
    }
    rules.deploy_zone = match &raw.deploy_zone {
        Some(z) => zone_ref(root.key("deploy_zone"), z, report),
        None => zones.id("deploy"),
    };
    for (name, c) in &raw.contexts {
        let path = root.key("contexts").key(name.clone());
        let trigger = c
            .trigger
            .as_deref()
            .and_then(|t| match t.parse::<Trigger>() {
                Ok(t) => Some(t),
                Err(()) => {
                    report(
                        codes::POLICY_INVALID_VALUE,
                        path.key("trigger"),
                        format!(
                            "`{t}` is not a trigger; expected one of {}",
                            Trigger::names()
                        ),
                    );
                    None
                }
            });
        let zone = c
            .zone
            .as_deref()
            .and_then(|z| zone_ref(path.key("zone"), z, report));
        rules
            .contexts
            .insert(name.clone(), ContextRule { trigger, zone });
    }
    for (name, env) in &raw.environments {
        if !environments.contains(&env.as_str()) {
            report(
                codes::POLICY_UNDEFINED_REFERENCE,
                root.key("environments").key(name.clone()),
                format!(
                    "environment `{env}` is not defined (defined environments: {})",
                    environments.join(", ")
                ),
            );
        }
        rules.environments.insert(name.clone(), env.clone());
    }
    if let Some(u) = &raw.undeclared_environments {
        let min = u.min_build_zone.as_deref().and_then(|z| {
            zone_ref(
                root.key("undeclared_environments").key("min_build_zone"),
                z,
                report,
            )
        });
        rules.undeclared_environments = Some(min);
    }
    rules
}
