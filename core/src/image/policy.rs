//! The `images:` section of the policy: what an image must be to pass.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::blob::BlobDigest;
use super::reference::Reference;
use crate::rule::{Code, codes};
use crate::source::FieldPath;

/// Environment variable name patterns that must never carry a value, unless the policy says
/// otherwise: the usual names of passwords, tokens, secrets and keys.
pub const DEFAULT_SECRET_ENV: &[&str] = &["*PASSWORD*", "*TOKEN*", "*SECRET*", "*_KEY"];

/// Volumes refused unless the policy says otherwise: the Docker socket hands its holder the host.
pub const DEFAULT_FORBIDDEN_VOLUMES: &[&str] = &["/var/run/docker.sock", "/run/docker.sock"];

/// The `images:` section as written.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawImagePolicy {
    #[serde(default)]
    pub allowed_bases: Vec<String>,
    #[serde(default)]
    pub approved_roots: Vec<RawRoot>,
    #[serde(default)]
    pub toolchain_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub non_root: Option<bool>,
    #[serde(default)]
    pub secret_env: Option<Vec<String>>,
    #[serde(default)]
    pub allowed_env: Vec<String>,
    #[serde(default)]
    pub forbidden_volumes: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawRoot {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A name pattern of the image policy (secret environment names, volumes, toolchain labels).
pub use crate::glob::Pattern as NamePattern;

/// Compiles an image policy pattern.
fn name_pattern(
    text: &str,
    case_insensitive: bool,
    literal_separator: bool,
) -> Result<NamePattern, crate::glob::PatternError> {
    NamePattern::with(
        text,
        crate::glob::Options {
            literal_separator,
            case_insensitive,
        },
    )
}

/// An approved root image: by name, by digest, or both (both must then match).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovedRoot {
    /// Repository, optionally with a tag (`registry.example.org/debian:bookworm`).
    pub name: Option<Reference>,
    /// Manifest or index digest.
    pub digest: Option<String>,
    /// Free text for explanations.
    pub description: Option<String>,
}

impl ApprovedRoot {
    /// Whether an image called `name` (if known) with one of `digests` is this root.
    pub fn approves(&self, name: Option<&Reference>, digests: &[&str]) -> bool {
        let name_ok = match (&self.name, name) {
            (None, _) => true,
            (Some(root), Some(n)) => n.within(root),
            (Some(_), None) => false,
        };
        let digest_ok = match &self.digest {
            None => true,
            Some(d) => digests.contains(&d.as_str()),
        };
        name_ok && digest_ok
    }

    /// The root as written, for explanations.
    pub fn describe(&self) -> String {
        match (&self.name, &self.digest) {
            (Some(n), Some(d)) => format!("{n}@{d}"),
            (Some(n), None) => n.to_string(),
            (None, Some(d)) => d.clone(),
            (None, None) => String::new(),
        }
    }
}

/// The validated `images:` section. Without one, a policy still refuses root users, secrets in
/// the environment and the Docker socket as a volume; base, lineage and toolchain checks run only
/// when their lists are given.
#[derive(Clone, Debug)]
pub struct ImagePolicy {
    /// Prefixes a base image's qualified name must start with (empty: not checked).
    pub allowed_bases: Vec<String>,
    /// Roots every image's lineage must end in (empty: not checked).
    pub approved_roots: Vec<ApprovedRoot>,
    /// Labels the house toolchain sets, with a glob their value must match.
    pub toolchain_labels: BTreeMap<String, NamePattern>,
    /// Whether the default user must not be root. Default true.
    pub non_root: bool,
    /// Environment variable name patterns that must not carry a value (case-insensitive).
    pub secret_env: Vec<NamePattern>,
    /// Variable names exempt from `secret_env` (e.g. `GPG_KEY`, a public key fingerprint).
    pub allowed_env: Vec<String>,
    /// Volume path patterns that are refused.
    pub forbidden_volumes: Vec<NamePattern>,
}

impl Default for ImagePolicy {
    fn default() -> Self {
        ImagePolicy {
            allowed_bases: Vec::new(),
            approved_roots: Vec::new(),
            toolchain_labels: BTreeMap::new(),
            non_root: true,
            secret_env: DEFAULT_SECRET_ENV
                .iter()
                .filter_map(|p| name_pattern(p, true, false).ok())
                .collect(),
            allowed_env: Vec::new(),
            forbidden_volumes: DEFAULT_FORBIDDEN_VOLUMES
                .iter()
                .filter_map(|p| name_pattern(p, false, true).ok())
                .collect(),
        }
    }
}

/// A problem in the `images:` section, for the policy validator to locate and report.
pub(crate) type SectionProblem = (Code, FieldPath, String);

impl ImagePolicy {
    /// Validates the written section; `path` is where it sits in the policy.
    pub(crate) fn from_raw(
        raw: &RawImagePolicy,
        path: &FieldPath,
    ) -> (ImagePolicy, Vec<SectionProblem>) {
        let mut problems = Vec::new();
        let mut policy = ImagePolicy::default();
        let invalid = |problems: &mut Vec<SectionProblem>, p: FieldPath, m: String| {
            problems.push((codes::POLICY_INVALID_VALUE, p, m));
        };

        for (i, prefix) in raw.allowed_bases.iter().enumerate() {
            let p = path.key("allowed_bases").index(i);
            let trimmed = prefix.trim_end_matches('/');
            if trimmed.is_empty() || prefix.chars().any(char::is_whitespace) {
                invalid(
                    &mut problems,
                    p,
                    format!("`{prefix}` is not a registry or name prefix"),
                );
            } else if !trimmed.contains(['.', ':', '/']) && trimmed != "localhost" {
                invalid(
                    &mut problems,
                    p,
                    format!(
                        "`{prefix}` has no registry host; write it in full (e.g. `docker.io/library/{trimmed}` or `registry.example.org/`)"
                    ),
                );
            } else {
                policy.allowed_bases.push(prefix.clone());
            }
        }

        for (i, root) in raw.approved_roots.iter().enumerate() {
            let p = path.key("approved_roots").index(i);
            if root.name.is_none() && root.digest.is_none() {
                problems.push((
                    codes::POLICY_EMPTY_LIST,
                    p.clone(),
                    "an approved root needs a `name`, a `digest` or both".to_owned(),
                ));
                continue;
            }
            let name = match &root.name {
                Some(n) => match Reference::parse(n) {
                    Some(r) => Some(r),
                    None => {
                        invalid(
                            &mut problems,
                            p.key("name"),
                            format!("`{n}` is not an image name"),
                        );
                        continue;
                    }
                },
                None => None,
            };
            if let Some(d) = &root.digest
                && let Err(e) = BlobDigest::parse(d)
            {
                invalid(&mut problems, p.key("digest"), e);
                continue;
            }
            policy.approved_roots.push(ApprovedRoot {
                name,
                digest: root.digest.clone(),
                description: root.description.clone(),
            });
        }

        for (label, pattern) in &raw.toolchain_labels {
            match name_pattern(pattern, false, false) {
                Ok(p) => {
                    policy.toolchain_labels.insert(label.clone(), p);
                }
                Err(e) => invalid(
                    &mut problems,
                    path.key("toolchain_labels").key(label.clone()),
                    e.to_string(),
                ),
            }
        }

        if let Some(non_root) = raw.non_root {
            policy.non_root = non_root;
        }

        if let Some(list) = &raw.secret_env {
            policy.secret_env = patterns(list, path.key("secret_env"), true, false, &mut problems);
        }
        policy.allowed_env = raw.allowed_env.clone();
        if let Some(list) = &raw.forbidden_volumes {
            policy.forbidden_volumes = patterns(
                list,
                path.key("forbidden_volumes"),
                false,
                true,
                &mut problems,
            );
        }
        (policy, problems)
    }

    /// Whether an image with this name and these digests is an approved root.
    pub fn root_for(&self, name: Option<&Reference>, digests: &[&str]) -> Option<&ApprovedRoot> {
        self.approved_roots
            .iter()
            .find(|r| r.approves(name, digests))
    }
}

fn patterns(
    list: &[String],
    path: FieldPath,
    case_insensitive: bool,
    literal_separator: bool,
    problems: &mut Vec<SectionProblem>,
) -> Vec<NamePattern> {
    let mut out = Vec::new();
    for (i, text) in list.iter().enumerate() {
        match name_pattern(text, case_insensitive, literal_separator) {
            Ok(p) => out.push(p),
            Err(e) => problems.push((codes::POLICY_INVALID_VALUE, path.index(i), e.to_string())),
        }
    }
    out
}
