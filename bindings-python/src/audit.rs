//! The audit log for Python. `AuditLog(path)` does the file side (an exclusive lock, one
//! appending write, fsync); the core computes and checks every entry.

use std::path::PathBuf;

use lockkeeper::audit::{self, AuditError, Checkpoint, Entry};
use lockkeeper_fs::{AppendError, append_audit, read_locked};
use pyo3::create_exception;
use pyo3::prelude::*;

use crate::attestation::{PublicKey, SigningKey, Text};
use crate::decision::{Decision, json_to_py};
use crate::error::{LockkeeperError, io_error, to_py};

create_exception!(
    lockkeeper,
    AuditLogError,
    LockkeeperError,
    "A log that cannot be appended to or checkpointed as it is; `.code` and `.line` say where."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("AuditLogError", m.py().get_type::<AuditLogError>())?;
    m.add_class::<AuditLog>()?;
    m.add_class::<AuditEntry>()?;
    m.add_class::<AuditCheckpoint>()?;
    Ok(())
}

/// A core audit error as a Python exception: problems with the log raise `AuditLogError`,
/// unreadable records and checkpoints `InvalidRequestError`.
fn audit_error(py: Python<'_>, error: AuditError) -> PyErr {
    if matches!(error, AuditError::Record(_) | AuditError::Checkpoint(_)) {
        return to_py(py, error.into());
    }
    let err = AuditLogError::new_err(error.to_string());
    let value = err.value(py);
    if let Err(e) = value
        .setattr("code", error.code().as_str())
        .and_then(|()| value.setattr("line", error.line()))
    {
        return e;
    }
    err
}

/// A record as given: JSON text (`str` or `bytes`) or a JSON-serializable object.
#[derive(FromPyObject)]
pub(crate) enum Record<'py> {
    Text(Text),
    Object(Bound<'py, PyAny>),
}

impl Record<'_> {
    fn into_bytes(self) -> PyResult<Vec<u8>> {
        match self {
            Record::Text(t) => Ok(t.into_bytes()),
            Record::Object(o) => {
                let text: String = o
                    .py()
                    .import("json")?
                    .call_method1("dumps", (o,))?
                    .extract()?;
                Ok(text.into_bytes())
            }
        }
    }
}

/// One entry of the log.
#[pyclass(module = "lockkeeper", frozen)]
pub struct AuditEntry {
    inner: Entry,
}

#[pymethods]
impl AuditEntry {
    /// Position in the log, from 1.
    #[getter]
    fn seq(&self) -> u64 {
        self.inner.seq()
    }

    /// `sha256:<hex>` of the entry.
    #[getter]
    fn hash(&self) -> String {
        self.inner.hash().to_string()
    }

    /// The hash of the entry before it (all zeros for the first).
    #[getter]
    fn prev(&self) -> String {
        self.inner.prev().to_string()
    }

    /// The record, as given.
    #[getter]
    fn record<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &serde_json::Value::Object(self.inner.record().clone()))
    }

    fn __repr__(&self) -> String {
        format!(
            "AuditEntry(seq={}, hash='{}')",
            self.inner.seq(),
            self.inner.hash()
        )
    }
}

/// A signed checkpoint: the log's entry count and head hash.
#[pyclass(module = "lockkeeper", frozen, eq)]
#[derive(PartialEq)]
pub struct AuditCheckpoint {
    inner: Checkpoint,
}

#[pymethods]
impl AuditCheckpoint {
    /// Reads a checkpoint (`str` or `bytes`), as `to_json()` writes it.
    #[staticmethod]
    fn from_json(py: Python<'_>, data: Text) -> PyResult<AuditCheckpoint> {
        Checkpoint::from_json(&data.into_bytes())
            .map(|inner| AuditCheckpoint { inner })
            .map_err(|e| audit_error(py, e))
    }

    /// Number of entries the log had.
    #[getter]
    fn count(&self) -> u64 {
        self.inner.count()
    }

    /// Hash of its last entry.
    #[getter]
    fn head(&self) -> String {
        self.inner.head().to_string()
    }

    /// One line of JSON, to keep where the log's writer cannot change it.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The JSON form as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_json_value())
    }

    fn __repr__(&self) -> String {
        format!(
            "AuditCheckpoint(count={}, head='{}')",
            self.inner.count(),
            self.inner.head()
        )
    }
}

/// An append-only, hash-chained, signed JSON Lines log on disk.
#[pyclass(module = "lockkeeper", frozen)]
pub struct AuditLog {
    path: PathBuf,
}

#[pymethods]
impl AuditLog {
    #[new]
    fn new(path: PathBuf) -> AuditLog {
        AuditLog { path }
    }

    /// The log file.
    #[getter]
    fn path(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }

    /// Appends `record` (one JSON object: a dict, or JSON text) signed with `key`; the file is
    /// created if missing. Raises `AuditLogError` if the last line is torn, broken or signed by
    /// another key.
    fn append(
        &self,
        py: Python<'_>,
        record: Record<'_>,
        key: PyRef<'_, SigningKey>,
    ) -> PyResult<AuditEntry> {
        let record = record.into_bytes()?;
        let key = &key.inner;
        let path = self.path.as_path();
        match py.detach(|| append_audit(path, &record, key)) {
            Ok(inner) => Ok(AuditEntry { inner }),
            Err(AppendError::Io(e)) => Err(pyo3::exceptions::PyOSError::new_err(format!(
                "cannot append to {}: {e}",
                path.display()
            ))),
            Err(AppendError::Audit(e)) => Err(audit_error(py, e)),
        }
    }

    /// Verifies the whole log, then signs a checkpoint of it with `key`.
    fn checkpoint(&self, py: Python<'_>, key: PyRef<'_, SigningKey>) -> PyResult<AuditCheckpoint> {
        let key = &key.inner;
        let path = self.path.as_path();
        let log = py
            .detach(|| read_locked(path))
            .map_err(|e| io_error(path, e))?;
        py.detach(|| audit::checkpoint(&log, key))
            .map(|inner| AuditCheckpoint { inner })
            .map_err(|e| audit_error(py, e))
    }

    /// Verifies every entry with `public_key` (and against `checkpoint`, kept from earlier):
    /// allowed exactly when the log is intact, each problem a violation with its `line`.
    #[pyo3(signature = (public_key, checkpoint=None))]
    fn verify(
        &self,
        py: Python<'_>,
        public_key: PyRef<'_, PublicKey>,
        checkpoint: Option<PyRef<'_, AuditCheckpoint>>,
    ) -> PyResult<Decision> {
        let key = &public_key.inner;
        let checkpoint = checkpoint.as_ref().map(|c| &c.inner);
        let path = self.path.as_path();
        let log = py
            .detach(|| read_locked(path))
            .map_err(|e| io_error(path, e))?;
        Ok(py.detach(|| audit::verify(&log, key, checkpoint)).into())
    }

    fn __repr__(&self) -> String {
        format!("AuditLog({:?})", self.path.to_string_lossy())
    }
}
