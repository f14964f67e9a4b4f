//! Typed exceptions: every error crosses into Python with its rule code.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::policy::Problem;

create_exception!(
    lockkeeper,
    LockkeeperError,
    PyException,
    "Base of every lockkeeper error; `.code` is the rule code."
);
create_exception!(
    lockkeeper,
    PolicyError,
    LockkeeperError,
    "A policy with problems: `.code`, `.path`, `.line`, `.column` of the first, `.problems` for all."
);
create_exception!(
    lockkeeper,
    InvalidRequestError,
    LockkeeperError,
    "A request naming something that does not exist (an unknown action or role)."
);

create_exception!(
    lockkeeper,
    VerificationError,
    LockkeeperError,
    "An envelope that did not verify against the given keys and threshold; `.keyids` verified."
);

create_exception!(
    lockkeeper,
    PipelineError,
    LockkeeperError,
    "Pipeline files that cannot be read: `.code`, `.file`, `.path`, `.line`, `.column` of the first problem, `.problems` for all."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("LockkeeperError", py.get_type::<LockkeeperError>())?;
    m.add("PolicyError", py.get_type::<PolicyError>())?;
    m.add("InvalidRequestError", py.get_type::<InvalidRequestError>())?;
    m.add("PipelineError", py.get_type::<PipelineError>())?;
    m.add("VerificationError", py.get_type::<VerificationError>())?;
    Ok(())
}

/// Pipeline files that could not be imported, as a `PipelineError`.
pub(crate) fn pipeline_error(py: Python<'_>, error: lockkeeper::ImportError) -> PyErr {
    let err = PipelineError::new_err(error.render().trim_end().to_owned());
    let fill = || -> PyResult<()> {
        let value = err.value(py);
        let (file, first) = error.first();
        value.setattr("code", error.code().as_str())?;
        value.setattr("file", file)?;
        value.setattr("path", first.path.to_string())?;
        value.setattr("line", first.location.map(|l| l.line))?;
        value.setattr("column", first.location.map(|l| l.column))?;
        let list = PyList::empty(py);
        for f in error.files() {
            for p in f.problems.iter() {
                list.append(Problem::from(p.clone()))?;
            }
        }
        value.setattr("problems", list)?;
        Ok(())
    };
    if let Err(e) = fill() {
        return e;
    }
    err
}

/// A policy's problems as a `PolicyError`; `origin` (a file name) prefixes positions.
/// An error reading a policy: its problems as a `PolicyError`, anything else as `to_py` does.
pub(crate) fn policy_error(py: Python<'_>, error: lockkeeper::Error, origin: &str) -> PyErr {
    match error {
        lockkeeper::Error::Problems(p) => problems_error(py, p, origin),
        other => to_py(py, other),
    }
}

fn problems_error(py: Python<'_>, problems: lockkeeper::Problems, origin: &str) -> PyErr {
    let err = PolicyError::new_err(problems.render(origin).trim_end().to_owned());
    if let Err(e) = fill_policy_error(py, &err, &problems) {
        return e;
    }
    err
}

pub(crate) fn fill_policy_error(
    py: Python<'_>,
    err: &PyErr,
    problems: &lockkeeper::Problems,
) -> PyResult<()> {
    let value = err.value(py);
    let first = problems.first();
    value.setattr("code", first.code.as_str())?;
    value.setattr("path", first.path.to_string())?;
    value.setattr("line", first.location.map(|l| l.line))?;
    value.setattr("column", first.location.map(|l| l.column))?;
    let list = PyList::empty(py);
    for p in problems.iter() {
        list.append(Problem::from(p.clone()))?;
    }
    value.setattr("problems", list)?;
    Ok(())
}

/// Any core error as the matching Python exception.
pub(crate) fn to_py(py: Python<'_>, error: lockkeeper::Error) -> PyErr {
    let code = error.code();
    match error {
        lockkeeper::Error::Problems(p) => problems_error(py, p, "policy"),
        lockkeeper::Error::NotVerified(e) => {
            let err = VerificationError::new_err(e.to_string());
            let value = err.value(py);
            if let Err(set) = value
                .setattr("code", code.as_str())
                .and_then(|()| value.setattr("keyids", e.keyids().to_vec()))
            {
                return set;
            }
            err
        }
        lockkeeper::Error::Import(e) => pipeline_error(py, e),
        other => {
            let err = InvalidRequestError::new_err(other.to_string());
            if let Err(e) = err.value(py).setattr("code", code.as_str()) {
                return e;
            }
            err
        }
    }
}

/// An I/O failure reading a file the caller named.
pub(crate) fn io_error(path: &std::path::Path, e: std::io::Error) -> PyErr {
    match e.kind() {
        std::io::ErrorKind::NotFound => pyo3::exceptions::PyFileNotFoundError::new_err(format!(
            "cannot read {}: {e}",
            path.display()
        )),
        _ => PyValueError::new_err(format!("cannot read {}: {e}", path.display())),
    }
}
