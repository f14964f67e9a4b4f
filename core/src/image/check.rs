//! The image check: a policy's `images:` rules applied to verified images.

use std::collections::{BTreeSet, HashMap};

use serde_json::json;

use super::model::{Image, ImageSet};
use super::policy::ImagePolicy;
use super::reference::{Reference, has_prefix};
use crate::decision::{Decision, Facts, Violation};
use crate::facts;
use crate::policy::Policy;
use crate::rule::{Code, codes};

impl Policy {
    /// The validated `images:` section (defaults when the policy has none).
    pub fn images(&self) -> &ImagePolicy {
        &self.images
    }

    /// Decides whether the images read from one layout or manifest pass the image policy.
    ///
    /// A set with findings (a tampered blob, a malformed manifest) is denied with them: nothing
    /// unverified passes. Lineage is followed through the set's own images only; use
    /// [`Policy::check_images`] to check images together with the bases they are built on.
    /// This is the check a promotion gate calls for environments that require the image policy:
    /// fold the result into the promotion's decision with [`Decision::absorb`].
    pub fn check_image(&self, set: &ImageSet) -> Decision {
        self.check_images(std::slice::from_ref(set))
            .pop()
            .unwrap_or_else(|| Decision::new(format!("image {}", set.origin)).under(self))
    }

    /// Checks several image sets together, one decision each, in order. An image's base can be
    /// found among all of them, so a chain `app -> runtime -> debian root` checked in one call
    /// has a known lineage even though only the root is approved by the policy.
    pub fn check_images(&self, sets: &[ImageSet]) -> Vec<Decision> {
        let mut known: HashMap<&str, Vec<&Image>> = HashMap::new();
        for image in sets.iter().flat_map(|s| &s.images) {
            known.entry(image.digest.as_str()).or_default().push(image);
            if let Some(index) = &image.index_digest {
                known.entry(index.as_str()).or_default().push(image);
            }
        }
        let checker = Checker {
            policy: &self.images,
            known,
        };
        sets.iter()
            .map(|set| checker.set(set).under(self))
            .collect()
    }
}

struct Checker<'a> {
    policy: &'a ImagePolicy,
    known: HashMap<&'a str, Vec<&'a Image>>,
}

fn image_facts(image: &Image) -> Facts {
    facts! {
        "image" => image.display_name(),
        "digest" => image.digest,
        "platform" => image.platform,
    }
}

/// How far the chain of bases was followed, and where it stopped.
struct Walk {
    chain: Vec<String>,
    outcome: Result<String, String>,
}

impl Checker<'_> {
    fn set(&self, set: &ImageSet) -> Decision {
        let mut decision = Decision::new(format!("image {}", set.origin));
        for finding in &set.findings {
            decision.deny(finding.clone());
        }
        let mut ran = vec![codes::IMAGE_MALFORMED, codes::IMAGE_BLOB_DIGEST_MISMATCH];
        for image in &set.images {
            for (code, violations) in self.image(image) {
                if !ran.contains(&code) {
                    ran.push(code);
                }
                for v in violations {
                    decision.deny(v);
                }
            }
        }
        for code in ran {
            if !decision.has(code) {
                decision.pass(code);
            }
        }
        decision
    }

    /// Every check that applies to `image`, with the violations each found.
    fn image(&self, image: &Image) -> Vec<(Code, Vec<Violation>)> {
        let p = self.policy;
        let mut out = Vec::new();
        let is_root = self.own_root(image).is_some();
        if !p.allowed_bases.is_empty() {
            out.push((
                codes::IMAGE_EXTERNAL_BASE,
                self.external_base(image, is_root),
            ));
        }
        if !p.approved_roots.is_empty() {
            out.push((codes::IMAGE_UNKNOWN_LINEAGE, self.lineage(image)));
        }
        if !p.toolchain_labels.is_empty() {
            out.push((codes::IMAGE_NOT_BUILT_BY_TOOLCHAIN, self.toolchain(image)));
        }
        if p.non_root {
            out.push((codes::IMAGE_RUNS_AS_ROOT, runs_as_root(image)));
        }
        if !p.secret_env.is_empty() {
            out.push((codes::IMAGE_SECRET_IN_ENV, self.secret_env(image)));
        }
        if !p.forbidden_volumes.is_empty() {
            out.push((codes::IMAGE_FORBIDDEN_VOLUME, self.volumes(image)));
        }
        out
    }

    /// The approved root this image itself is, if any: by digest, or by a full name in a
    /// `ref.name` annotation.
    fn own_root(&self, image: &Image) -> Option<String> {
        let mut digests = vec![image.digest.as_str()];
        digests.extend(image.index_digest.as_deref());
        let names: Vec<Reference> = image.full_names().filter_map(Reference::parse).collect();
        if names.is_empty() {
            return self.policy.root_for(None, &digests).map(|r| r.describe());
        }
        names
            .iter()
            .find_map(|n| self.policy.root_for(Some(n), &digests))
            .map(|r| r.describe())
    }

    /// The approved root an image's recorded base is, if any.
    fn base_root(&self, image: &Image) -> Option<String> {
        let lineage = &image.lineage;
        let name = lineage.base_name.as_deref().and_then(Reference::parse);
        let mut digests: Vec<&str> = lineage.base_digest.iter().map(String::as_str).collect();
        digests.extend(name.as_ref().and_then(|n| n.digest.as_deref()));
        self.policy
            .root_for(name.as_ref(), &digests)
            .map(|r| r.describe())
    }

    fn external_base(&self, image: &Image, is_root: bool) -> Vec<Violation> {
        let Some(base) = &image.lineage.base_name else {
            return Vec::new();
        };
        if is_root || self.base_root(image).is_some() {
            return Vec::new();
        }
        let qualified = Reference::parse(base);
        let allowed = qualified.as_ref().is_some_and(|r| {
            self.policy
                .allowed_bases
                .iter()
                .any(|prefix| has_prefix(&r.repository, prefix))
        });
        if allowed {
            return Vec::new();
        }
        let mut facts = image_facts(image);
        facts.insert("base".to_owned(), json!(base));
        facts.insert(
            "qualified_base".to_owned(),
            json!(qualified.map(|r| r.to_string())),
        );
        facts.insert("allowed_bases".to_owned(), json!(self.policy.allowed_bases));
        vec![Violation::new(
            codes::IMAGE_EXTERNAL_BASE,
            format!(
                "{} is built on `{base}`, which is not from an allowed registry",
                image.display_name()
            ),
            facts,
        )]
    }

    fn walk(&self, image: &Image) -> Walk {
        let mut chain = vec![image.digest.clone()];
        let mut seen = BTreeSet::from([image.digest.as_str()]);
        let mut current = image;
        loop {
            if let Some(root) = self.own_root(current) {
                return Walk {
                    chain,
                    outcome: Ok(root),
                };
            }
            let lineage = &current.lineage;
            if let Some(conflict) = lineage.conflicts.first() {
                return Walk {
                    chain,
                    outcome: Err(format!(
                        "{} records two different bases: {conflict}",
                        current.display_name()
                    )),
                };
            }
            if !lineage.has_base() {
                return Walk {
                    chain,
                    outcome: Err(format!(
                        "{} records no base image and is not an approved root",
                        current.display_name()
                    )),
                };
            }
            if let Some(root) = self.base_root(current) {
                return Walk {
                    chain,
                    outcome: Ok(root),
                };
            }
            let next = lineage
                .base_digest
                .as_deref()
                .and_then(|d| self.known.get(d))
                .and_then(|found| found.first());
            let Some(next) = next else {
                // The chain leaves the images we were given: only the toolchain's record of the
                // root can vouch for the rest of it.
                let claimed = lineage.root_name.as_deref().and_then(Reference::parse);
                let digests: Vec<&str> = lineage.root_digest.iter().map(String::as_str).collect();
                if (claimed.is_some() || !digests.is_empty())
                    && let Some(root) = self.policy.root_for(claimed.as_ref(), &digests)
                {
                    return Walk {
                        chain,
                        outcome: Ok(root.describe()),
                    };
                }
                let base = lineage
                    .base_name
                    .clone()
                    .or_else(|| lineage.base_digest.clone())
                    .unwrap_or_default();
                return Walk {
                    chain,
                    outcome: Err(format!(
                        "base `{base}` of {} is not an approved root, and is not among the images checked with it",
                        current.display_name()
                    )),
                };
            };
            if !seen.insert(next.digest.as_str()) {
                chain.push(next.digest.clone());
                return Walk {
                    chain,
                    outcome: Err("the chain of base images loops".to_owned()),
                };
            }
            chain.push(next.digest.clone());
            current = next;
        }
    }

    fn lineage(&self, image: &Image) -> Vec<Violation> {
        let walk = self.walk(image);
        let Err(reason) = walk.outcome else {
            return Vec::new();
        };
        let mut facts = image_facts(image);
        facts.insert("base_name".to_owned(), json!(image.lineage.base_name));
        facts.insert("base_digest".to_owned(), json!(image.lineage.base_digest));
        facts.insert("lineage_source".to_owned(), json!(image.lineage.source));
        facts.insert("chain".to_owned(), json!(walk.chain));
        facts.insert(
            "approved_roots".to_owned(),
            json!(
                self.policy
                    .approved_roots
                    .iter()
                    .map(|r| r.describe())
                    .collect::<Vec<_>>()
            ),
        );
        vec![Violation::new(
            codes::IMAGE_UNKNOWN_LINEAGE,
            format!(
                "{} does not descend from an approved root: {reason}",
                image.display_name()
            ),
            facts,
        )]
    }

    fn toolchain(&self, image: &Image) -> Vec<Violation> {
        let mut missing = Vec::new();
        let mut mismatched = Vec::new();
        for (label, pattern) in &self.policy.toolchain_labels {
            match image.labels.get(label) {
                None => missing.push(label.clone()),
                Some(value) if !pattern.matches(value) => mismatched.push(json!({
                    "label": label,
                    "value": value,
                    "expected": pattern.as_str(),
                })),
                Some(_) => {}
            }
        }
        if missing.is_empty() && mismatched.is_empty() {
            return Vec::new();
        }
        let mut facts = image_facts(image);
        let what = if missing.is_empty() {
            "labels with unexpected values".to_owned()
        } else {
            format!("no label `{}`", missing.join("`, `"))
        };
        facts.insert("missing_labels".to_owned(), json!(missing));
        facts.insert("mismatched_labels".to_owned(), json!(mismatched));
        vec![Violation::new(
            codes::IMAGE_NOT_BUILT_BY_TOOLCHAIN,
            format!(
                "{} was not built by the house toolchain: {what}",
                image.display_name()
            ),
            facts,
        )]
    }

    fn secret_env(&self, image: &Image) -> Vec<Violation> {
        let mut out = Vec::new();
        for var in image.env.iter().filter(|v| v.has_value) {
            if self.policy.allowed_env.contains(&var.name) {
                continue;
            }
            let Some(pattern) = self.policy.secret_env.iter().find(|p| p.matches(&var.name)) else {
                continue;
            };
            let mut facts = image_facts(image);
            facts.insert("variable".to_owned(), json!(var.name));
            facts.insert("pattern".to_owned(), json!(pattern.as_str()));
            out.push(Violation::new(
                codes::IMAGE_SECRET_IN_ENV,
                format!(
                    "{} sets environment variable `{}` (matches `{}`), a secret baked into the image",
                    image.display_name(),
                    var.name,
                    pattern.as_str()
                ),
                facts,
            ));
        }
        out
    }

    fn volumes(&self, image: &Image) -> Vec<Violation> {
        let mut out = Vec::new();
        for volume in &image.volumes {
            let path = match volume.trim_end_matches('/') {
                "" => "/",
                p => p,
            };
            let Some(pattern) = self
                .policy
                .forbidden_volumes
                .iter()
                .find(|p| p.matches(path))
            else {
                continue;
            };
            let mut facts = image_facts(image);
            facts.insert("volume".to_owned(), json!(volume));
            facts.insert("pattern".to_owned(), json!(pattern.as_str()));
            out.push(Violation::new(
                codes::IMAGE_FORBIDDEN_VOLUME,
                format!(
                    "{} declares volume `{volume}`, which the policy forbids",
                    image.display_name()
                ),
                facts,
            ));
        }
        out
    }
}

/// Whether a config `User` means root: unset or empty (the runtime's default is root), the name
/// `root`, or uid 0, with or without a group.
pub(crate) fn is_root_user(user: Option<&str>) -> bool {
    let user = user.map(str::trim).unwrap_or_default();
    let name = user.split(':').next().unwrap_or_default();
    name.is_empty() || name == "root" || name.parse::<u64>() == Ok(0)
}

fn runs_as_root(image: &Image) -> Vec<Violation> {
    if !is_root_user(image.user.as_deref()) {
        return Vec::new();
    }
    let mut facts = image_facts(image);
    facts.insert("user".to_owned(), json!(image.user));
    let shown = match image.user.as_deref() {
        None | Some("") => "no user, so root".to_owned(),
        Some(u) => format!("user `{u}`"),
    };
    vec![Violation::new(
        codes::IMAGE_RUNS_AS_ROOT,
        format!("{} runs as root ({shown})", image.display_name()),
        facts,
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_users() {
        for root in [
            None,
            Some(""),
            Some(" "),
            Some("root"),
            Some("0"),
            Some("0:0"),
            Some("00"),
            Some("root:staff"),
        ] {
            assert!(is_root_user(root), "{root:?}");
        }
        for other in [
            Some("1000"),
            Some("app"),
            Some("65534:65534"),
            Some("rooted"),
        ] {
            assert!(!is_root_user(other), "{other:?}");
        }
    }
}
