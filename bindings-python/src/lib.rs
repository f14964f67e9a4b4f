//! Python bindings: each function converts its arguments, calls one core function and converts
//! the result. Rules live in the core only.

mod decision;
mod error;
mod pipeline;
mod policy;

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
    m.add_function(wrap_pyfunction!(decision::rules, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
