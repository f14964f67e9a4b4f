//! Python bindings: each function converts its arguments, calls one core function and converts
//! the result. Rules live in the core only.

mod attestation;
mod audit;
mod decision;
mod error;
mod image;
mod pipeline;
mod policy;
mod promotion;
mod sigstore;

use pyo3::prelude::*;

/// The native module; `lockkeeper/__init__.py` re-exports it.
#[pymodule]
fn _lockkeeper(m: &Bound<'_, PyModule>) -> PyResult<()> {
    error::register(m)?;
    m.add_class::<decision::Decision>()?;
    m.add_class::<decision::Violation>()?;
    m.add_class::<policy::Problem>()?;
    m.add_class::<policy::Policy>()?;
    m.add_class::<pipeline::Pipeline>()?;
    m.add_function(wrap_pyfunction!(pipeline::check_pipeline, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::check_repository, m)?)?;
    m.add_function(wrap_pyfunction!(decision::rules, m)?)?;
    m.add_function(wrap_pyfunction!(decision::_violation_list, m)?)?;
    image::register(m)?;
    m.add_class::<attestation::PublicKey>()?;
    m.add_class::<attestation::SigningKey>()?;
    m.add_class::<attestation::Envelope>()?;
    m.add_class::<attestation::Statement>()?;
    m.add_class::<promotion::DeployOutcome>()?;
    m.add_function(wrap_pyfunction!(attestation::digest, m)?)?;
    m.add_function(wrap_pyfunction!(attestation::verify_envelopes, m)?)?;
    m.add_function(wrap_pyfunction!(attestation::digest_file, m)?)?;
    m.add(
        "IN_TOTO_PAYLOAD_TYPE",
        lockkeeper::attestation::IN_TOTO_PAYLOAD_TYPE,
    )?;
    audit::register(m)?;
    m.add_class::<sigstore::TrustedRoot>()?;
    m.add_class::<sigstore::BundleResult>()?;
    m.add_function(wrap_pyfunction!(sigstore::verify_bundle, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // Benchmarks report it: a debug build's timings say little about production speed.
    m.add(
        "BUILD_PROFILE",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    )?;
    Ok(())
}
