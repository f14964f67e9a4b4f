//! Signed evidence: DSSE envelopes, in-toto Statements and SLSA provenance predicates.
//!
//! The standard formats are read as their specs require (unknown fields ignored), with two
//! safety rules of our own: signed JSON with duplicate keys is refused, and a payload is parsed
//! only from the exact bytes whose signature was checked, never from a re-encoding.

pub mod batch;
pub mod dsse;
pub mod slsa;
pub mod statement;
pub(crate) mod strict_json;

pub use batch::verify_many;
pub use dsse::{Envelope, EnvelopeError, EnvelopeSignature, Verified, VerifyError};
pub use slsa::{Provenance, ProvenanceBuilder, Source};
pub use statement::{Statement, StatementError, Subject};

/// The DSSE payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The in-toto test-result predicate, v0.1 (`result` is `PASSED`, `WARNED` or `FAILED`).
pub const TEST_RESULT_V01: &str = "https://in-toto.io/attestation/test-result/v0.1";

/// Every predicate type lockkeeper reads as test results. Matched exactly: a predicate type that
/// merely mentions "test-result" is some other attestation, whose `result` field means
/// something else or nothing.
pub const TEST_RESULT_PREDICATE_TYPES: &[&str] = &[TEST_RESULT_V01];

/// Whether `predicate_type` is one of [`TEST_RESULT_PREDICATE_TYPES`].
pub fn is_test_result(predicate_type: &str) -> bool {
    TEST_RESULT_PREDICATE_TYPES.contains(&predicate_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_results_are_recognised_by_their_exact_predicate_type() {
        assert!(is_test_result(
            "https://in-toto.io/attestation/test-result/v0.1"
        ));
        for other in [
            "https://in-toto.io/attestation/test-result/v0.1/",
            "https://example.org/not-a-test-result/v1",
            "https://in-toto.io/attestation/test-result",
            "test-result",
        ] {
            assert!(!is_test_result(other), "{other}");
        }
    }
}
