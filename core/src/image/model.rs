//! What lockkeeper keeps of an image once its blobs are verified: the facts the image policy and
//! the rebuild cascade look at, and nothing that could leak (environment values are dropped).

use std::collections::BTreeMap;

use serde::Serialize;

use super::lineage::Lineage;

/// The annotation naming an image (a tag, or a full reference).
const REF_NAME: &str = "org.opencontainers.image.ref.name";
use crate::decision::Violation;

/// One environment variable of an image's config. Only the name is kept: the value may be the
/// very secret the policy is looking for, and must not end up in logs or review comments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    /// The variable's name.
    pub name: String,
    /// Whether the image gives it a non-empty value.
    pub has_value: bool,
}

/// A runnable container image (one platform): a verified manifest and config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Image {
    /// Where it was read from, as the caller named it (a layout directory, a manifest file).
    pub origin: String,
    /// `org.opencontainers.image.ref.name` of the `index.json` entry it was reached through.
    pub reference: Option<String>,
    /// Digest of the image manifest: the image's identity.
    pub digest: String,
    /// Digest of the image index blob that lists it, for a multi-platform image.
    pub index_digest: Option<String>,
    /// `os/architecture[/variant]` from the config.
    pub platform: String,
    /// Digest of the config blob.
    pub config_digest: String,
    /// The default user (`User`), if the config sets one.
    pub user: Option<String>,
    /// Environment variable names.
    pub env: Vec<EnvVar>,
    /// Declared volumes.
    pub volumes: Vec<String>,
    /// Config labels.
    pub labels: BTreeMap<String, String>,
    /// Manifest annotations (the verified ones; `index.json` is not content-addressed).
    pub annotations: BTreeMap<String, String>,
    /// Base and root, from annotations and labels.
    pub lineage: Lineage,
}

impl Image {
    /// A short name for people: the image's full name if it records one, else `origin:ref` or
    /// `origin@digest`, with the platform.
    pub fn display_name(&self) -> String {
        let short = self.digest.get(..19).unwrap_or(&self.digest);
        match (self.full_names().next(), &self.reference) {
            (Some(name), _) => format!("{name} ({})", self.platform),
            (None, Some(r)) => format!("{}:{r} ({})", self.origin, self.platform),
            (None, None) => format!("{}@{short} ({})", self.origin, self.platform),
        }
    }

    /// Full image names (`registry/path:tag`) the image is given: the `ref.name` annotation of
    /// its manifest (verified content) and of its `index.json` entry, where they hold a name
    /// rather than a bare tag.
    pub fn full_names(&self) -> impl Iterator<Item = &str> {
        self.annotations
            .get(REF_NAME)
            .map(String::as_str)
            .into_iter()
            .chain(self.reference.as_deref())
            .filter(|n| n.contains('/'))
    }

    /// Whether `digest` names this image: its manifest or the index that lists it.
    pub fn answers_to(&self, digest: &str) -> bool {
        self.digest == digest || self.index_digest.as_deref() == Some(digest)
    }
}

/// Something in a layout that was verified but is not a runnable image (a signature, an
/// attestation, an artifact, an entry of unknown media type).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Its digest.
    pub digest: String,
    /// Its media type, as the descriptor gives it.
    pub media_type: String,
    /// Why it is not treated as an image.
    pub reason: String,
}

/// The images read from one layout directory or manifest file, with everything that was wrong
/// reading them. Reading never fails: a broken image is a set with findings, which the image
/// check turns into a denial.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImageSet {
    /// Where it was read from.
    pub origin: String,
    /// The runnable images found, one per platform manifest, each listed once.
    pub images: Vec<Image>,
    /// `image/malformed` and `image/blob-digest-mismatch` findings.
    pub findings: Vec<Violation>,
    /// Verified entries that are not images.
    pub skipped: Vec<Skipped>,
}

impl ImageSet {
    /// Whether every blob touched was present, verified and parsed.
    pub fn is_intact(&self) -> bool {
        self.findings.is_empty()
    }
}
