//! Signed evidence: DSSE envelopes, in-toto Statements and SLSA provenance predicates.
//!
//! The standard formats are read as their specs require (unknown fields ignored), with two
//! safety rules of our own: signed JSON with duplicate keys is refused, and a payload is parsed
//! only from the exact bytes whose signature was checked, never from a re-encoding.

pub mod dsse;
pub mod slsa;
pub mod statement;
pub(crate) mod strict_json;

pub use dsse::{Envelope, EnvelopeError, EnvelopeSignature, Verified, VerifyError};
pub use slsa::{Provenance, ProvenanceBuilder, Source};
pub use statement::{Statement, StatementError, Subject};

/// The DSSE payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
