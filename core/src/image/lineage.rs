//! Where an image comes from: its base image, and the root its chain of bases ends in.
//!
//! The OCI annotations `org.opencontainers.image.base.name` and `.base.digest` on the image
//! manifest are the standard record. They are lost when a tool rewrites the manifest, so the
//! house toolchain also writes lockkeeper's own labels into the image config, which travels with
//! the image wherever it is copied (see [`labels`]). Both are claims written by the builder:
//! signed provenance is what proves them.

use std::collections::BTreeMap;

use serde::Serialize;

/// The standard annotation naming an image's base.
pub const BASE_NAME_ANNOTATION: &str = "org.opencontainers.image.base.name";
/// The standard annotation giving the digest of an image's base.
pub const BASE_DIGEST_ANNOTATION: &str = "org.opencontainers.image.base.digest";

/// lockkeeper's own config labels, set by the house toolchain.
pub mod labels {
    /// The base image's name, as the standard annotation would give it.
    pub const BASE_NAME: &str = "org.lockkeeper.image.base.name";
    /// The base image's manifest (or index) digest.
    pub const BASE_DIGEST: &str = "org.lockkeeper.image.base.digest";
    /// The name of the root image the whole chain of bases starts from.
    pub const ROOT_NAME: &str = "org.lockkeeper.image.root.name";
    /// The digest of that root image.
    pub const ROOT_DIGEST: &str = "org.lockkeeper.image.root.digest";
    /// Which toolchain built the image (a typical `images.toolchain_labels` key).
    pub const TOOLCHAIN: &str = "org.lockkeeper.image.toolchain";
}

/// An image's recorded ancestry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Lineage {
    /// The base image's name.
    pub base_name: Option<String>,
    /// The base image's digest.
    pub base_digest: Option<String>,
    /// The root of the chain, as the toolchain recorded it.
    pub root_name: Option<String>,
    /// The root's digest, as the toolchain recorded it.
    pub root_digest: Option<String>,
    /// Where the base was read from: `annotation` or `label`.
    pub source: Option<&'static str>,
    /// Sources that disagree, e.g. an annotation and a label naming different bases. A lineage
    /// with a conflict is never trusted.
    pub conflicts: Vec<String>,
}

impl Lineage {
    /// Reads the lineage from a manifest's annotations and a config's labels.
    pub fn read(annotations: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> Self {
        let mut lineage = Lineage::default();
        // In order of trust: manifest annotation, our label, the standard key used as a label.
        let sources: [(&'static str, &BTreeMap<String, String>, &str, &str); 3] = [
            (
                "annotation",
                annotations,
                BASE_NAME_ANNOTATION,
                BASE_DIGEST_ANNOTATION,
            ),
            ("label", labels, labels::BASE_NAME, labels::BASE_DIGEST),
            (
                "label",
                labels,
                BASE_NAME_ANNOTATION,
                BASE_DIGEST_ANNOTATION,
            ),
        ];
        for (source, map, name_key, digest_key) in sources {
            let name = nonempty(map.get(name_key));
            let digest = nonempty(map.get(digest_key));
            if name.is_none() && digest.is_none() {
                continue;
            }
            if lineage.source.is_none() {
                lineage.base_name = name;
                lineage.base_digest = digest;
                lineage.source = Some(source);
                continue;
            }
            for (key, value, known) in [
                (name_key, name, &lineage.base_name),
                (digest_key, digest, &lineage.base_digest),
            ] {
                if let (Some(v), Some(k)) = (value, known)
                    && &v != k
                {
                    lineage.conflicts.push(format!(
                        "{source} `{key}` says `{v}`, but `{k}` was recorded first"
                    ));
                }
            }
        }
        lineage.root_name = nonempty(labels.get(labels::ROOT_NAME));
        lineage.root_digest = nonempty(labels.get(labels::ROOT_DIGEST));
        lineage
    }

    /// Whether the image records any base at all.
    pub fn has_base(&self) -> bool {
        self.base_name.is_some() || self.base_digest.is_some()
    }
}

fn nonempty(value: Option<&String>) -> Option<String> {
    value
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn annotations_come_first_and_labels_fill_in() {
        let l = Lineage::read(
            &map(&[(BASE_NAME_ANNOTATION, "r.org/debian:12")]),
            &map(&[(labels::ROOT_DIGEST, "sha256:aa")]),
        );
        assert_eq!(l.base_name.as_deref(), Some("r.org/debian:12"));
        assert_eq!(l.base_digest, None);
        assert_eq!(l.source, Some("annotation"));
        assert_eq!(l.root_digest.as_deref(), Some("sha256:aa"));
        assert!(l.conflicts.is_empty());

        let l = Lineage::read(&map(&[]), &map(&[(labels::BASE_DIGEST, "sha256:bb")]));
        assert_eq!(l.source, Some("label"));
        assert_eq!(l.base_digest.as_deref(), Some("sha256:bb"));
        assert!(!Lineage::read(&map(&[]), &map(&[])).has_base());
    }

    #[test]
    fn disagreeing_sources_are_a_conflict() {
        let l = Lineage::read(
            &map(&[(BASE_DIGEST_ANNOTATION, "sha256:aa")]),
            &map(&[(labels::BASE_DIGEST, "sha256:bb")]),
        );
        assert_eq!(l.conflicts.len(), 1, "{l:?}");
        assert!(l.conflicts[0].contains("sha256:bb"));
    }
}
