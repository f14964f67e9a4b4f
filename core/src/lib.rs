//! lockkeeper decides what may move through a CI/CD pipeline, and explains every denial.
//!
//! The core is pure: it reads bytes it is given, keeps no mutable global state and does no I/O
//! (the one thing it reads from outside is the clock, when a deploy request states no time), so
//! the same rules run in a deployment service, a CLI step, a Python Zuul job or a Node Gerrit
//! bot. docs/rust.md shows a Rust service embedding it; examples/pingee is one.
//!
//! ```
//! use lockkeeper::{AuthorizeRequest, Policy, Scope};
//!
//! let policy = Policy::from_yaml(r#"
//! principals: {alice: {}, mallory: {}}
//! roles: {deployer: {permissions: [merge, deploy]}}
//! bindings:
//!   - role: deployer
//!     principals: [alice]
//!     project: "mediawiki/**"
//!     reason: the seeds' merger/deployer role
//! require: {merge_implies_deploy: true}
//! "#)?;
//! let scope = Scope::any().project("mediawiki/core");
//! let ok = policy.authorize(&AuthorizeRequest::new("alice", "deploy", scope.clone())?)?;
//! assert!(ok.allowed());
//! let no = policy.authorize(&AuthorizeRequest::new("mallory", "deploy", scope)?)?;
//! assert!(!no.allowed());
//! assert_eq!(no.violations()[0].code, "rbac/missing-permission");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attestation;
pub mod audit;
pub mod decision;
pub mod diagnostic;
pub mod digest;
pub mod error;
mod glob;
pub mod image;
pub mod import;
pub mod keys;
pub mod pipeline;
pub mod policy;
pub mod promotion;
pub mod provenance;
pub mod rbac;
pub mod render;
pub mod repository;
pub mod role;
pub mod rule;
pub mod scope;
pub mod sigstore;
pub mod source;
pub mod zone;

// What an embedding service calls, by its plain name: decide (policy, requests, decisions),
// verify (digests, envelopes, statements, keys) and record (the audit log's entries).
pub use attestation::{Envelope, ProvenanceBuilder, Statement};
pub use audit::{AuditError, Entry};
pub use digest::Digest;
/// The time type of requests and decisions, re-exported so that callers need not match our
/// `jiff` version.
pub use jiff::Timestamp;
pub use keys::{PublicKey, SigningKey};
pub use promotion::{
    Approval, DeployOutcome, DeployRequest, Evidence, IgnoredEvidence, ReleasedSecret,
};
/// The version type of requests, re-exported so that callers need not match our `semver`
/// version.
pub use semver::Version;

// docs/rust.md's examples are compiled and run with the doctests, so the guide cannot drift
// from the API; only under rustdoc's doctest pass, so the crate itself never reads the file.
#[cfg(doctest)]
#[doc = include_str!("../../docs/rust.md")]
mod rust_md {}

pub use decision::{Decision, Facts, TimeProof, VerifiedEvidence, VerifiedSigner, Violation};
pub use diagnostic::{Problem, Problems};
pub use error::Error;
pub use import::{ImportError, PipelineFormat, SourceFile};
pub use pipeline::{Pipeline, Trigger};
pub use policy::Policy;
pub use rbac::{ApprovalRequest, AuthorizeRequest};
pub use role::Permission;
pub use rule::{Code, Confidence, Persona, RULES, Rule, RuleKind, Severity};
pub use scope::Scope;
pub use source::{FieldPath, Format, Location};
pub use zone::{ZoneId, Zones};
