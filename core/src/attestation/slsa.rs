//! SLSA Provenance predicates: v1 (`https://slsa.dev/provenance/v1`) and v0.2, which much
//! real-world evidence still uses.
//!
//! Both are read into typed structs (unknown fields ignored, as the spec requires) and exposed
//! through the two facts a policy decides on: who built it (`builder_id`) and from what
//! (`source`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::statement::Statement;
use crate::digest::Digest;

/// `predicateType` of SLSA Provenance v1.
pub const PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// `predicateType` of SLSA Provenance v0.2.
pub const PROVENANCE_V02: &str = "https://slsa.dev/provenance/v0.2";

/// An artifact reference (in-toto ResourceDescriptor).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDescriptor {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// URI, e.g. `git+https://gerrit.example.org/r/project@refs/heads/main`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Algorithm -> value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digest: BTreeMap<String, String>,
    /// Where to download it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_location: Option<String>,
    /// Media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// `buildDefinition` of v1.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildDefinition {
    /// What kind of build.
    pub build_type: String,
    /// Inputs under the control of whoever started the build. Required by the spec, but some
    /// published evidence leaves it out; reading it as empty loses nothing, because a policy that
    /// pins sources then finds no source and denies.
    #[serde(default)]
    pub external_parameters: Value,
    /// Inputs the build platform chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_parameters: Option<Value>,
    /// Artifacts the build consumed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved_dependencies: Vec<ResourceDescriptor>,
}

/// `runDetails.builder` of v1.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuilderRef {
    /// The builder's identity: the id a policy's `builders` is keyed by.
    pub id: String,
    /// Component versions.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub version: BTreeMap<String, String>,
    /// The builder's own dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub builder_dependencies: Vec<ResourceDescriptor>,
}

/// `runDetails.metadata` of v1.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildMetadata {
    /// Identifies this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<String>,
    /// RFC 3339 start time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<String>,
    /// RFC 3339 end time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<String>,
}

/// `runDetails` of v1.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDetails {
    /// Who built it.
    pub builder: BuilderRef,
    /// Run metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BuildMetadata>,
    /// Other outputs of the build.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub byproducts: Vec<ResourceDescriptor>,
}

/// SLSA Provenance v1 predicate.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvenanceV1 {
    /// What was built and from what.
    pub build_definition: BuildDefinition,
    /// Who built it and how the run went.
    pub run_details: RunDetails,
}

/// v0.2 `invocation.configSource`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSource {
    /// Source URI.
    #[serde(default)]
    pub uri: Option<String>,
    /// Source digest.
    #[serde(default)]
    pub digest: BTreeMap<String, String>,
    /// Entry point (e.g. workflow path).
    #[serde(default)]
    pub entry_point: Option<String>,
}

/// v0.2 `invocation`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    /// Where the build configuration came from.
    #[serde(default)]
    pub config_source: ConfigSource,
    /// User parameters.
    #[serde(default)]
    pub parameters: Value,
}

/// v0.2 `builder`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct BuilderV02 {
    /// The builder's identity.
    pub id: String,
}

/// v0.2 material.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Material {
    /// Material URI.
    #[serde(default)]
    pub uri: Option<String>,
    /// Material digest.
    #[serde(default)]
    pub digest: BTreeMap<String, String>,
}

/// SLSA Provenance v0.2 predicate.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvenanceV02 {
    /// Who built it.
    pub builder: BuilderV02,
    /// What kind of build.
    #[serde(default)]
    pub build_type: String,
    /// How it was started.
    #[serde(default)]
    pub invocation: Invocation,
    /// What went in.
    #[serde(default)]
    pub materials: Vec<Material>,
}

/// A provenance predicate of either supported version.
#[derive(Clone, Debug, PartialEq)]
pub enum Provenance {
    /// SLSA Provenance v1.
    V1(ProvenanceV1),
    /// SLSA Provenance v0.2.
    V02(ProvenanceV02),
}

/// Where a build's source came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Source {
    /// Repository URI without the ref, e.g. `git+https://gerrit.example.org/r/mediawiki/core`.
    pub uri: String,
    /// Git ref, when the provenance names one.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// Commit or content digest, when given.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub digest: BTreeMap<String, String>,
}

impl Source {
    /// Splits `uri@ref` as SLSA writes it (`git+https://host/repo@refs/heads/main`). Only a
    /// suffix that starts with `refs/` is a ref, so `git+ssh://git@host/repo` stays whole.
    pub fn from_uri(uri: &str, digest: BTreeMap<String, String>) -> Source {
        match uri.rsplit_once('@') {
            Some((base, r)) if r.starts_with("refs/") => Source {
                uri: base.to_owned(),
                git_ref: Some(r.to_owned()),
                digest,
            },
            _ => Source {
                uri: uri.to_owned(),
                git_ref: None,
                digest,
            },
        }
    }
}

/// A predicate that is not provenance we can read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProvenanceError {
    /// Another predicate type.
    #[error("predicateType `{0}` is not SLSA provenance v1 or v0.2")]
    PredicateType(String),
    /// The predicate does not have the SLSA shape.
    #[error("malformed SLSA provenance: {0}")]
    Shape(String),
}

impl Provenance {
    /// Reads the predicate of `statement`.
    pub fn from_statement(statement: &Statement) -> Result<Provenance, ProvenanceError> {
        let shape = |e: serde_json::Error| ProvenanceError::Shape(e.to_string());
        match statement.predicate_type() {
            PROVENANCE_V1 => serde_json::from_value(statement.predicate().clone())
                .map(Provenance::V1)
                .map_err(shape),
            PROVENANCE_V02 => serde_json::from_value(statement.predicate().clone())
                .map(Provenance::V02)
                .map_err(shape),
            other => Err(ProvenanceError::PredicateType(other.to_owned())),
        }
    }

    /// The builder's identity.
    pub fn builder_id(&self) -> &str {
        match self {
            Provenance::V1(p) => &p.run_details.builder.id,
            Provenance::V02(p) => &p.builder.id,
        }
    }

    /// The build type.
    pub fn build_type(&self) -> &str {
        match self {
            Provenance::V1(p) => &p.build_definition.build_type,
            Provenance::V02(p) => &p.build_type,
        }
    }

    /// The source the build says it came from, looked up where the common build types put it:
    /// v1 `externalParameters.source` (a `uri@ref` string or `{uri, ref}`),
    /// `externalParameters.workflow.{repository, ref}` (GitHub Actions), else the first resolved
    /// dependency; v0.2 `invocation.configSource`, else the first material.
    pub fn source(&self) -> Option<Source> {
        match self {
            Provenance::V1(p) => {
                let ext = &p.build_definition.external_parameters;
                let first_dep = p.build_definition.resolved_dependencies.first();
                let dep_digest = first_dep.map(|d| d.digest.clone()).unwrap_or_default();
                if let Some(s) = ext.get("source") {
                    if let Some(uri) = s.as_str() {
                        return Some(Source::from_uri(uri, dep_digest));
                    }
                    if let Some(uri) = s.get("uri").and_then(Value::as_str) {
                        let mut src = Source::from_uri(uri, dep_digest);
                        if let Some(r) = s.get("ref").and_then(Value::as_str) {
                            src.git_ref = Some(r.to_owned());
                        }
                        return Some(src);
                    }
                }
                if let Some(w) = ext.get("workflow")
                    && let Some(repo) = w.get("repository").and_then(Value::as_str)
                {
                    return Some(Source {
                        uri: format!("git+{repo}"),
                        git_ref: w.get("ref").and_then(Value::as_str).map(str::to_owned),
                        digest: dep_digest,
                    });
                }
                first_dep
                    .and_then(|d| d.uri.as_deref())
                    .map(|uri| Source::from_uri(uri, dep_digest.clone()))
            }
            Provenance::V02(p) => {
                let cs = &p.invocation.config_source;
                match &cs.uri {
                    Some(uri) => Some(Source::from_uri(uri, cs.digest.clone())),
                    None => p.materials.first().and_then(|m| {
                        m.uri
                            .as_ref()
                            .map(|u| Source::from_uri(u, m.digest.clone()))
                    }),
                }
            }
        }
    }
}

/// Builds SLSA v1 provenance statements for our own builders.
///
/// ```
/// use lockkeeper::attestation::ProvenanceBuilder;
/// use lockkeeper::digest::Digest;
/// let statement = ProvenanceBuilder::new("https://ci.example.org/builders/trusted")
///     .subject("app.tar.gz", Digest::sha256(b"app"))
///     .source("git+https://gerrit.example.org/r/app", Some("refs/heads/main"), None)
///     .build();
/// assert_eq!(statement.predicate_type(), "https://slsa.dev/provenance/v1");
/// ```
#[derive(Clone, Debug, Default)]
pub struct ProvenanceBuilder {
    builder_id: String,
    build_type: String,
    subjects: Vec<(String, Digest)>,
    source: Option<(String, Option<String>, Option<String>)>,
    invocation_id: Option<String>,
}

/// The build type lockkeeper writes when the caller gives none.
pub const DEFAULT_BUILD_TYPE: &str = "https://lockkeeper.dev/build/v1";

impl ProvenanceBuilder {
    /// Provenance made by `builder_id`.
    pub fn new(builder_id: &str) -> Self {
        ProvenanceBuilder {
            builder_id: builder_id.to_owned(),
            build_type: DEFAULT_BUILD_TYPE.to_owned(),
            ..Default::default()
        }
    }

    /// Sets the build type URI.
    pub fn build_type(mut self, build_type: &str) -> Self {
        self.build_type = build_type.to_owned();
        self
    }

    /// Adds an artifact the build produced.
    pub fn subject(mut self, name: &str, digest: Digest) -> Self {
        self.subjects.push((name.to_owned(), digest));
        self
    }

    /// Sets the source repository, ref and commit.
    pub fn source(mut self, uri: &str, git_ref: Option<&str>, commit: Option<&str>) -> Self {
        self.source = Some((
            uri.to_owned(),
            git_ref.map(str::to_owned),
            commit.map(str::to_owned),
        ));
        self
    }

    /// Sets the run's invocation id.
    pub fn invocation_id(mut self, id: &str) -> Self {
        self.invocation_id = Some(id.to_owned());
        self
    }

    /// The statement (to be signed by the builder's key).
    pub fn build(self) -> Statement {
        let mut external = json!({});
        let mut deps = Vec::new();
        if let Some((uri, git_ref, commit)) = &self.source {
            let full = match git_ref {
                Some(r) => format!("{uri}@{r}"),
                None => uri.clone(),
            };
            external = json!({"source": full});
            deps.push(ResourceDescriptor {
                uri: Some(full),
                digest: commit
                    .iter()
                    .map(|c| ("gitCommit".to_owned(), c.clone()))
                    .collect(),
                ..Default::default()
            });
        }
        let predicate = ProvenanceV1 {
            build_definition: BuildDefinition {
                build_type: self.build_type,
                external_parameters: external,
                internal_parameters: None,
                resolved_dependencies: deps,
            },
            run_details: RunDetails {
                builder: BuilderRef {
                    id: self.builder_id,
                    ..Default::default()
                },
                metadata: self.invocation_id.map(|id| BuildMetadata {
                    invocation_id: Some(id),
                    ..Default::default()
                }),
                byproducts: Vec::new(),
            },
        };
        Statement::new(
            self.subjects,
            PROVENANCE_V1,
            serde_json::to_value(predicate).unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_statements_read_back_with_builder_and_source() -> Result<(), Box<dyn std::error::Error>>
    {
        let s = ProvenanceBuilder::new("https://ci/b")
            .subject("a", Digest::sha256(b"a"))
            .source(
                "git+https://g/r/app",
                Some("refs/heads/main"),
                Some(&"c".repeat(40)),
            )
            .build();
        let back = Statement::from_json(s.to_json().as_bytes())?;
        let p = Provenance::from_statement(&back)?;
        assert_eq!(p.builder_id(), "https://ci/b");
        let src = p.source().ok_or("no source")?;
        assert_eq!(src.uri, "git+https://g/r/app");
        assert_eq!(src.git_ref.as_deref(), Some("refs/heads/main"));
        assert_eq!(src.digest.get("gitCommit"), Some(&"c".repeat(40)));
        Ok(())
    }

    #[test]
    fn source_uri_splitting_keeps_userinfo() {
        let s = Source::from_uri("git+ssh://git@host/repo", BTreeMap::new());
        assert_eq!(s.uri, "git+ssh://git@host/repo");
        assert_eq!(s.git_ref, None);
        let s = Source::from_uri("git+ssh://git@host/repo@refs/tags/v1", BTreeMap::new());
        assert_eq!(s.uri, "git+ssh://git@host/repo");
        assert_eq!(s.git_ref.as_deref(), Some("refs/tags/v1"));
    }
}
