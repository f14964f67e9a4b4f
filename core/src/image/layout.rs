//! Reading OCI image layouts (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`) and manifest +
//! config pairs into [`ImageSet`]s.
//!
//! Every blob is checked against the size and digest of the descriptor that names it *before* it
//! is parsed, so nothing unverified is ever interpreted. Only what the policy needs is read:
//! indexes, manifests and configs; layers are never fetched. A document's own `mediaType` must
//! agree with the descriptor that pointed at it, so an index cannot pass for a manifest (the
//! ambiguity behind CVE-2021-41190).

use std::collections::{BTreeMap, BTreeSet};

use oci_spec::image::{
    Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType, OciLayout,
};
use serde_json::json;

use super::blob::{self, BlobDigest, Mismatch};
use super::lineage::Lineage;
use super::model::{EnvVar, Image, ImageSet, Skipped};
use crate::decision::{Facts, Violation};
use crate::facts;
use crate::rule::codes;

/// The largest index, manifest or config lockkeeper will read. The distribution spec lets
/// registries refuse manifests over 4 MiB; configs are larger only in pathological images.
pub const MAX_DOCUMENT_BYTES: u64 = 16 * 1024 * 1024;

/// How deep image indexes may nest (an index listing an index listing ...).
const MAX_DEPTH: usize = 8;

const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Where the files of a layout come from. The core never opens files: the CLI and the bindings
/// implement this over a directory, tests over a map.
pub trait LayoutSource {
    /// The bytes of the file at `path`, relative to the layout root and `/`-separated:
    /// `oci-layout`, `index.json` or `blobs/<alg>/<hex>` (built from a validated digest, so it
    /// never leaves the layout). `Ok(None)` when the file does not exist; `Err` with a reason
    /// when it exists but cannot be read.
    ///
    /// `limit` is the most bytes the caller needs: a reader may stop after `limit` bytes, since
    /// a longer blob is reported as a size mismatch either way. That keeps a tampered "manifest"
    /// of many gigabytes from being read into memory.
    fn read(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, String>;
}

impl<F> LayoutSource for F
where
    F: Fn(&str, u64) -> Result<Option<Vec<u8>>, String>,
{
    fn read(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, String> {
        self(path, limit)
    }
}

impl LayoutSource for BTreeMap<String, Vec<u8>> {
    fn read(&self, path: &str, _limit: u64) -> Result<Option<Vec<u8>>, String> {
        Ok(self.get(path).cloned())
    }
}

impl ImageSet {
    /// Reads an OCI image layout. `origin` names it in findings (usually the directory).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use lockkeeper::image::ImageSet;
    ///
    /// let mut files = BTreeMap::new();
    /// files.insert("oci-layout".to_owned(), br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec());
    /// files.insert("index.json".to_owned(), br#"{"schemaVersion":2,"manifests":[]}"#.to_vec());
    /// let set = ImageSet::from_layout("empty", &files);
    /// assert!(set.images.is_empty());
    /// assert_eq!(set.findings[0].code, "image/malformed"); // a layout with no image at all
    /// ```
    pub fn from_layout(origin: &str, source: &dyn LayoutSource) -> ImageSet {
        let mut reader = Reader::new(origin, source);
        reader.layout();
        reader.finish()
    }

    /// Reads an image given as a manifest and its config (e.g. `skopeo inspect --raw` and
    /// `--config` output). The config is verified against the manifest's config descriptor; the
    /// manifest's digest is computed from its bytes.
    pub fn from_manifest(origin: &str, manifest: &[u8], config: &[u8]) -> ImageSet {
        let config_bytes = config.to_vec();
        let source = move |_: &str, _: u64| Ok(Some(config_bytes.clone()));
        let mut reader = Reader::new(origin, &source);
        let digest = BlobDigest::sha256_of(manifest);
        let at = Place {
            file: "manifest".to_owned(),
            reference: None,
            index_digest: None,
        };
        reader.manifest_bytes(&at, &digest, None, manifest);
        reader.finish()
    }
}

/// Where in the layout a descriptor was found, for findings and for the image's name.
#[derive(Clone)]
struct Place {
    /// The file or blob that holds the descriptor (`index.json`, `sha256:...`).
    file: String,
    reference: Option<String>,
    index_digest: Option<String>,
}

struct Reader<'a> {
    origin: String,
    source: &'a dyn LayoutSource,
    images: Vec<Image>,
    findings: Vec<Violation>,
    skipped: Vec<Skipped>,
    seen: BTreeSet<String>,
}

impl<'a> Reader<'a> {
    fn new(origin: &str, source: &'a dyn LayoutSource) -> Self {
        Reader {
            origin: origin.to_owned(),
            source,
            images: Vec::new(),
            findings: Vec::new(),
            skipped: Vec::new(),
            seen: BTreeSet::new(),
        }
    }

    fn finish(mut self) -> ImageSet {
        if self.images.is_empty() && self.findings.is_empty() {
            let skipped: Vec<String> = self
                .skipped
                .iter()
                .map(|s| format!("{} ({})", s.digest, s.reason))
                .collect();
            self.malformed(
                "(layout)",
                format!("`{}` holds no runnable container image", self.origin),
                facts! {"skipped" => skipped},
            );
        }
        ImageSet {
            origin: self.origin,
            images: self.images,
            findings: self.findings,
            skipped: self.skipped,
        }
    }

    fn malformed(&mut self, file: &str, message: String, mut facts: Facts) {
        facts.insert("origin".to_owned(), json!(self.origin));
        facts.insert("file".to_owned(), json!(file));
        self.findings.push(Violation::new(
            codes::IMAGE_MALFORMED,
            format!("{}: {message}", self.origin),
            facts,
        ));
    }

    fn read_file(&mut self, path: &str) -> Option<Vec<u8>> {
        match self.source.read(path, MAX_DOCUMENT_BYTES + 1) {
            Ok(Some(bytes)) if bytes.len() as u64 > MAX_DOCUMENT_BYTES => {
                self.malformed(
                    path,
                    format!("`{path}` is larger than {MAX_DOCUMENT_BYTES} bytes"),
                    Facts::new(),
                );
                None
            }
            Ok(Some(bytes)) => Some(bytes),
            Ok(None) => {
                self.malformed(
                    path,
                    format!("`{path}` is missing: this is not an OCI image layout"),
                    Facts::new(),
                );
                None
            }
            Err(e) => {
                self.malformed(path, format!("`{path}` cannot be read: {e}"), Facts::new());
                None
            }
        }
    }

    fn layout(&mut self) {
        if let Some(bytes) = self.read_file("oci-layout") {
            match serde_json::from_slice::<OciLayout>(&bytes) {
                Ok(l) if l.image_layout_version() == "1.0.0" => {}
                Ok(l) => self.malformed(
                    "oci-layout",
                    format!(
                        "image layout version `{}` is not supported (expected 1.0.0)",
                        l.image_layout_version()
                    ),
                    Facts::new(),
                ),
                Err(e) => self.malformed(
                    "oci-layout",
                    format!("`oci-layout` is not a layout marker: {e}"),
                    Facts::new(),
                ),
            }
        }
        let Some(bytes) = self.read_file("index.json") else {
            return;
        };
        let index = match serde_json::from_slice::<ImageIndex>(&bytes) {
            Ok(i) => i,
            Err(e) => {
                self.malformed(
                    "index.json",
                    format!("`index.json` is not an OCI image index: {e}"),
                    Facts::new(),
                );
                return;
            }
        };
        if !self.schema_version("index.json", index.schema_version()) {
            return;
        }
        let at = Place {
            file: "index.json".to_owned(),
            reference: None,
            index_digest: None,
        };
        self.descriptors(&at, index.manifests(), 0);
    }

    fn schema_version(&mut self, file: &str, version: u32) -> bool {
        if version == 2 {
            return true;
        }
        self.malformed(
            file,
            format!("schemaVersion is {version}; OCI and Docker v2 documents have 2"),
            Facts::new(),
        );
        false
    }

    fn descriptors(&mut self, at: &Place, list: &[Descriptor], depth: usize) {
        for d in list {
            let mut here = at.clone();
            if here.reference.is_none() {
                here.reference = d
                    .annotations()
                    .as_ref()
                    .and_then(|a| a.get(ANNOTATION_REF_NAME))
                    .cloned();
            }
            let media = d.media_type().to_string();
            let is_index =
                matches!(d.media_type(), MediaType::ImageIndex) || media == DOCKER_MANIFEST_LIST;
            let is_manifest =
                matches!(d.media_type(), MediaType::ImageManifest) || media == DOCKER_MANIFEST;
            if !is_index && !is_manifest {
                self.skipped.push(Skipped {
                    digest: d.digest().to_string(),
                    media_type: media,
                    reason: "not an image index or manifest media type".to_owned(),
                });
                continue;
            }
            if !self.seen.insert(d.digest().to_string()) {
                continue;
            }
            let Some((digest, bytes)) = self.fetch(&here.file, d) else {
                continue;
            };
            if is_index {
                if depth >= MAX_DEPTH {
                    self.malformed(
                        digest.as_str(),
                        format!("image indexes nest more than {MAX_DEPTH} deep"),
                        Facts::new(),
                    );
                    continue;
                }
                self.index_bytes(&here, &digest, &media, &bytes, depth + 1);
            } else {
                self.manifest_bytes(&here, &digest, Some(&media), &bytes);
            }
        }
    }

    /// Fetches and verifies the blob a descriptor names.
    fn fetch(&mut self, referenced_by: &str, d: &Descriptor) -> Option<(BlobDigest, Vec<u8>)> {
        let text = d.digest().to_string();
        let digest = match BlobDigest::parse(&text) {
            Ok(digest) => digest,
            Err(e) => {
                self.malformed(referenced_by, e, facts! {"blob" => text});
                return None;
            }
        };
        self.fetch_digest(referenced_by, digest, d.size())
    }

    fn fetch_digest(
        &mut self,
        referenced_by: &str,
        digest: BlobDigest,
        size: u64,
    ) -> Option<(BlobDigest, Vec<u8>)> {
        if size > MAX_DOCUMENT_BYTES {
            self.malformed(
                referenced_by,
                format!("`{digest}` claims {size} bytes, more than any index, manifest or config may have ({MAX_DOCUMENT_BYTES})"),
                facts! {"blob" => digest.as_str()},
            );
            return None;
        }
        let path = digest.layout_path();
        let bytes = match self.source.read(&path, size.saturating_add(1)) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                self.malformed(
                    referenced_by,
                    format!("blob `{digest}`, referenced by {referenced_by}, is not in the layout"),
                    facts! {"blob" => digest.as_str(), "path" => path},
                );
                return None;
            }
            Err(e) => {
                self.malformed(
                    referenced_by,
                    format!("blob `{digest}` cannot be read: {e}"),
                    facts! {"blob" => digest.as_str(), "path" => path},
                );
                return None;
            }
        };
        match blob::verify(&digest, size, &bytes) {
            Ok(()) => Some((digest, bytes)),
            Err(mismatch) => {
                let mut facts = facts! {
                    "origin" => self.origin,
                    "blob" => digest.as_str(),
                    "path" => path,
                    "referenced_by" => referenced_by,
                };
                let why = match mismatch {
                    Mismatch::Size { expected, actual } => {
                        facts.insert("expected_size".to_owned(), json!(expected));
                        facts.insert("actual_size".to_owned(), json!(actual));
                        format!(
                            "is {actual}{} bytes, but {referenced_by} says {expected}",
                            if actual > expected { "+" } else { "" }
                        )
                    }
                    Mismatch::Digest { expected, actual } => {
                        facts.insert("expected_digest".to_owned(), json!(expected));
                        facts.insert("actual_digest".to_owned(), json!(actual));
                        format!("hashes to `{actual}`")
                    }
                };
                self.findings.push(Violation::new(
                    codes::IMAGE_BLOB_DIGEST_MISMATCH,
                    format!("{}: blob `{digest}` {why}", self.origin),
                    facts,
                ));
                None
            }
        }
    }

    /// A document's own `mediaType`, when it has one, must be the descriptor's.
    fn media_type_agrees(
        &mut self,
        digest: &BlobDigest,
        expected: Option<&str>,
        own: Option<&MediaType>,
    ) -> bool {
        match (expected, own) {
            (Some(expected), Some(own)) if own.to_string() != expected => {
                self.malformed(
                    digest.as_str(),
                    format!(
                        "`{digest}` says it is `{own}`, but the descriptor pointing at it says `{expected}`"
                    ),
                    facts! {"blob" => digest.as_str()},
                );
                false
            }
            _ => true,
        }
    }

    fn index_bytes(
        &mut self,
        at: &Place,
        digest: &BlobDigest,
        media: &str,
        bytes: &[u8],
        depth: usize,
    ) {
        let index = match serde_json::from_slice::<ImageIndex>(bytes) {
            Ok(i) => i,
            Err(e) => {
                self.malformed(
                    digest.as_str(),
                    format!("`{digest}` is not an image index: {e}"),
                    facts! {"blob" => digest.as_str()},
                );
                return;
            }
        };
        if !self.schema_version(digest.as_str(), index.schema_version())
            || !self.media_type_agrees(digest, Some(media), index.media_type().as_ref())
        {
            return;
        }
        let here = Place {
            file: digest.to_string(),
            reference: at.reference.clone(),
            index_digest: Some(digest.to_string()),
        };
        self.descriptors(&here, index.manifests(), depth);
    }

    fn manifest_bytes(
        &mut self,
        at: &Place,
        digest: &BlobDigest,
        media: Option<&str>,
        bytes: &[u8],
    ) {
        let manifest = match serde_json::from_slice::<ImageManifest>(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.malformed(
                    digest.as_str(),
                    format!("`{digest}` is not an image manifest: {e}"),
                    facts! {"blob" => digest.as_str()},
                );
                return;
            }
        };
        let own = manifest.media_type().as_ref();
        if !self.schema_version(digest.as_str(), manifest.schema_version())
            || !self.media_type_agrees(digest, media, own)
        {
            return;
        }
        if media.is_none()
            && let Some(own) = own
            && !matches!(own, MediaType::ImageManifest)
            && own.to_string() != DOCKER_MANIFEST
        {
            self.malformed(
                digest.as_str(),
                format!("`{digest}` has media type `{own}`, not an image manifest"),
                facts! {"blob" => digest.as_str()},
            );
            return;
        }
        let config_media = manifest.config().media_type().to_string();
        let media_text = media
            .map(str::to_owned)
            .or_else(|| own.map(ToString::to_string))
            .unwrap_or_else(|| MediaType::ImageManifest.to_string());
        if !matches!(manifest.config().media_type(), MediaType::ImageConfig)
            && config_media != DOCKER_CONFIG
        {
            self.skipped.push(Skipped {
                digest: digest.to_string(),
                media_type: media_text,
                reason: format!("an artifact: config media type `{config_media}`"),
            });
            return;
        }
        if let Some(layer) = manifest.layers().iter().find(|l| !is_layer(l.media_type())) {
            self.skipped.push(Skipped {
                digest: digest.to_string(),
                media_type: media_text,
                reason: format!(
                    "a signature or attestation: layer media type `{}`",
                    layer.media_type()
                ),
            });
            return;
        }
        let Some((config_digest, config_bytes)) = self.fetch(digest.as_str(), manifest.config())
        else {
            return;
        };
        let config = match serde_json::from_slice::<ImageConfiguration>(&config_bytes) {
            Ok(c) => c,
            Err(e) => {
                self.malformed(
                    config_digest.as_str(),
                    format!("`{config_digest}` is not an image configuration: {e}"),
                    facts! {"blob" => config_digest.as_str()},
                );
                return;
            }
        };
        let annotations: BTreeMap<String, String> = manifest
            .annotations()
            .as_ref()
            .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        self.images.push(image(
            &self.origin,
            at,
            digest,
            &config_digest,
            &config,
            annotations,
        ));
    }
}

fn is_layer(media: &MediaType) -> bool {
    matches!(
        media,
        MediaType::ImageLayer
            | MediaType::ImageLayerGzip
            | MediaType::ImageLayerZstd
            | MediaType::ImageLayerNonDistributable
            | MediaType::ImageLayerNonDistributableGzip
            | MediaType::ImageLayerNonDistributableZstd
    ) || {
        let text = media.to_string();
        text.starts_with("application/vnd.oci.image.layer.")
            || text.starts_with("application/vnd.docker.image.rootfs.")
    }
}

fn image(
    origin: &str,
    at: &Place,
    digest: &BlobDigest,
    config_digest: &BlobDigest,
    config: &ImageConfiguration,
    annotations: BTreeMap<String, String>,
) -> Image {
    let run = config.config().as_ref();
    let labels: BTreeMap<String, String> = run
        .and_then(|c| c.labels().as_ref())
        .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let env = run
        .and_then(|c| c.env().as_ref())
        .map(|vars| {
            vars.iter()
                .map(|entry| match entry.split_once('=') {
                    Some((name, value)) => EnvVar {
                        name: name.to_owned(),
                        has_value: !value.is_empty(),
                    },
                    None => EnvVar {
                        name: entry.clone(),
                        has_value: false,
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let mut volumes: Vec<String> = run.and_then(|c| c.volumes().clone()).unwrap_or_default();
    volumes.sort();
    let mut platform = format!("{}/{}", config.os(), config.architecture());
    if let Some(v) = config.variant() {
        platform.push('/');
        platform.push_str(v);
    }
    Image {
        origin: origin.to_owned(),
        reference: at.reference.clone(),
        digest: digest.to_string(),
        index_digest: at.index_digest.clone(),
        platform,
        config_digest: config_digest.to_string(),
        user: run.and_then(|c| c.user().clone()),
        env,
        volumes,
        lineage: Lineage::read(&annotations, &labels),
        labels,
        annotations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const CONFIG: &str = r#"{"architecture":"amd64","os":"linux","config":{"User":"1000","Env":["PATH=/bin","API_TOKEN="]},"rootfs":{"type":"layers","diff_ids":[]}}"#;

    fn manifest(config: &str, annotations: &str) -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[],"annotations":{{{annotations}}}}}"#,
            blob::sha256_digest(config.as_bytes()),
            config.len()
        )
    }

    fn layout(manifest: &str, config: &str) -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        let m = BlobDigest::sha256_of(manifest.as_bytes());
        let c = BlobDigest::sha256_of(config.as_bytes());
        files.insert(
            "oci-layout".into(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        );
        files.insert(
            "index.json".into(),
            format!(
                r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{m}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"v1"}}}}]}}"#,
                manifest.len()
            )
            .into_bytes(),
        );
        files.insert(m.layout_path(), manifest.as_bytes().to_vec());
        files.insert(c.layout_path(), config.as_bytes().to_vec());
        files
    }

    #[test]
    fn a_layout_gives_its_verified_image() -> TestResult {
        let m = manifest(
            CONFIG,
            r#""org.opencontainers.image.base.name":"r.org/debian:12""#,
        );
        let set = ImageSet::from_layout("app", &layout(&m, CONFIG));
        assert!(set.is_intact(), "{:?}", set.findings);
        let [img] = set.images.as_slice() else {
            return Err("one image expected".into());
        };
        assert_eq!(img.reference.as_deref(), Some("v1"));
        assert_eq!(img.platform, "linux/amd64");
        assert_eq!(img.user.as_deref(), Some("1000"));
        assert_eq!(
            img.env,
            vec![
                EnvVar {
                    name: "PATH".into(),
                    has_value: true
                },
                EnvVar {
                    name: "API_TOKEN".into(),
                    has_value: false
                },
            ]
        );
        assert_eq!(img.lineage.base_name.as_deref(), Some("r.org/debian:12"));
        assert_eq!(img.digest, blob::sha256_digest(m.as_bytes()));
        Ok(())
    }

    #[test]
    fn a_tampered_config_is_a_digest_mismatch_and_is_not_parsed() {
        let m = manifest(CONFIG, "");
        let mut files = layout(&m, CONFIG);
        let path = BlobDigest::sha256_of(CONFIG.as_bytes()).layout_path();
        let tampered = CONFIG.replace("\"1000\"", "\"0000\"");
        files.insert(path, tampered.into_bytes());
        let set = ImageSet::from_layout("app", &files);
        assert!(set.images.is_empty());
        assert_eq!(set.findings.len(), 1);
        assert_eq!(set.findings[0].code, "image/blob-digest-mismatch");
        assert!(set.findings[0].facts.contains_key("actual_digest"));
    }

    #[test]
    fn a_padded_blob_is_a_size_mismatch() {
        let m = manifest(CONFIG, "");
        let mut files = layout(&m, CONFIG);
        let path = BlobDigest::sha256_of(CONFIG.as_bytes()).layout_path();
        files.insert(path, format!("{CONFIG} ").into_bytes());
        let set = ImageSet::from_layout("app", &files);
        assert_eq!(set.findings[0].code, "image/blob-digest-mismatch");
        assert_eq!(
            set.findings[0].facts["actual_size"],
            json!(CONFIG.len() + 1)
        );
    }

    #[test]
    fn missing_files_and_bad_json_are_malformed() {
        let m = manifest(CONFIG, "");
        for remove in ["oci-layout", "index.json"] {
            let mut files = layout(&m, CONFIG);
            files.remove(remove);
            let set = ImageSet::from_layout("app", &files);
            assert!(
                set.findings
                    .iter()
                    .any(|f| f.code == "image/malformed" && f.message.contains(remove)),
                "{remove}: {:?}",
                set.findings
            );
        }
        let mut files = layout(&m, CONFIG);
        files.insert("index.json".into(), b"{".to_vec());
        let set = ImageSet::from_layout("app", &files);
        assert_eq!(set.findings[0].code, "image/malformed");
        assert!(set.images.is_empty());
    }

    #[test]
    fn an_index_posing_as_a_manifest_is_malformed() {
        let fake = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        let set = ImageSet::from_layout("x", &layout(fake, CONFIG));
        assert!(
            set.findings[0].message.contains("says it is"),
            "{:?}",
            set.findings
        );
    }

    #[test]
    fn a_manifest_pair_verifies_the_config() {
        let m = manifest(CONFIG, "");
        let set = ImageSet::from_manifest("m.json", m.as_bytes(), CONFIG.as_bytes());
        assert!(set.is_intact());
        assert_eq!(set.images.len(), 1);
        let set = ImageSet::from_manifest("m.json", m.as_bytes(), b"{}");
        assert_eq!(set.findings[0].code, "image/blob-digest-mismatch");
    }
}
