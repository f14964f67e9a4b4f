//! Sigstore bundles for Python: a trusted root, and `verify_bundle`.

use std::path::PathBuf;

use lockkeeper::keys::PublicKey;
use lockkeeper::sigstore::{self as sg, Artifact, IdentityPolicy, SignedBy};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::attestation::{Text, parse_digest, py_to_json};
use crate::decision::{Decision, json_to_py};
use crate::error::{io_error, to_py};

/// A Sigstore trusted root (`trusted_root.json`).
#[pyclass(module = "lockkeeper", frozen)]
pub struct TrustedRoot {
    pub(crate) inner: sg::TrustedRoot,
}

#[pymethods]
impl TrustedRoot {
    /// Reads `trusted_root.json` text.
    #[staticmethod]
    fn from_json(py: Python<'_>, data: Text) -> PyResult<TrustedRoot> {
        let bytes = data.into_bytes();
        py.detach(|| sg::TrustedRoot::from_json(&bytes))
            .map(|inner| TrustedRoot { inner })
            .map_err(|e| to_py(py, e.into()))
    }

    /// Reads a `trusted_root.json` file.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<TrustedRoot> {
        let bytes = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
        Self::from_json(py, Text::Bytes(bytes))
    }

    /// A root shipped with lockkeeper: `public-good`, `staging` or `github` (snapshots).
    #[staticmethod]
    fn builtin(py: Python<'_>, name: &str) -> PyResult<TrustedRoot> {
        match sg::TrustedRoot::builtin(name) {
            Some(r) => r
                .map(|inner| TrustedRoot { inner })
                .map_err(|e| to_py(py, e.into())),
            None => Err(pyo3::exceptions::PyValueError::new_err(format!(
                "no built-in trusted root `{name}`: public-good, staging or github"
            ))),
        }
    }

    /// `public-good`, `staging`, `github`, or `given` for a root read from JSON.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn __repr__(&self) -> String {
        format!("TrustedRoot({})", self.inner.name())
    }
}

/// The outcome of `verify_bundle`: the decision, what verified, and the identity checks.
#[pyclass(module = "lockkeeper", frozen)]
pub struct BundleResult {
    inner: sg::BundleReport,
}

#[pymethods]
impl BundleResult {
    /// Whether a bundle verified and its signer satisfied the requirement.
    #[getter]
    fn allowed(&self) -> bool {
        self.inner.decision.allowed()
    }

    /// The decision (violations with facts, passed codes).
    #[getter]
    fn decision(&self) -> Decision {
        Decision::from(self.inner.decision.clone())
    }

    /// What verified: signer (certificate subject, issuer, Fulcio claims; or key id), times,
    /// which proofs were checked. `None` when nothing verified.
    #[getter]
    fn verified<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &serde_json::json!(self.inner.verified))
    }

    /// Every identity value checked: `{field, expected, actual, ok}`.
    #[getter]
    fn identity_checks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &serde_json::json!(self.inner.identity_checks))
    }

    /// The decision's JSON with `verified` and `identity_checks`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_json_value())
    }

    fn __bool__(&self) -> PyResult<bool> {
        Err(crate::decision::no_truth_value("BundleResult"))
    }

    fn __repr__(&self) -> String {
        format!("BundleResult(allowed={})", self.inner.decision.allowed())
    }
}

/// Verifies the Sigstore bundle(s) in `bundle` (a bundle, `gh attestation download` JSON
/// Lines, npm's attestations document, PEP 740 objects) over `artifact` (bytes) or `digest`,
/// offline against `trusted_root`, signed by `identity` (`{issuer, subject | subject_pattern,
/// <Fulcio claim>: pattern(s)}`) or one of `keys` (PEM / cosign / securesystemslib text).
#[pyfunction]
#[pyo3(signature = (bundle, *, trusted_root, artifact=None, digest=None, identity=None, keys=None))]
#[allow(clippy::too_many_arguments)]
pub fn verify_bundle(
    py: Python<'_>,
    bundle: Text,
    trusted_root: &TrustedRoot,
    artifact: Option<Vec<u8>>,
    digest: Option<&str>,
    identity: Option<&Bound<'_, PyDict>>,
    keys: Option<Vec<Text>>,
) -> PyResult<BundleResult> {
    let identity = identity
        .map(|d| {
            py_to_json(d.as_any())
                .and_then(|v| IdentityPolicy::from_value(&v).map_err(|e| to_py(py, e.into())))
        })
        .transpose()?;
    let keys = keys
        .unwrap_or_default()
        .into_iter()
        .map(|k| PublicKey::parse_bytes(&k.into_bytes()).map_err(|e| to_py(py, e.into())))
        .collect::<PyResult<Vec<_>>>()?;
    let signed_by = match (&identity, keys.is_empty()) {
        (Some(i), true) => SignedBy::Identity(i),
        (None, false) => SignedBy::Key(&keys),
        _ => {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "give exactly one of identity= or keys=",
            ));
        }
    };
    let digest = digest.map(|d| parse_digest(py, d)).transpose()?;
    let input = match (&artifact, &digest) {
        (Some(a), None) => Artifact::Bytes(a),
        (None, Some(d)) => Artifact::Digest(d),
        _ => {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "give exactly one of artifact= (bytes) or digest=",
            ));
        }
    };
    let bytes = bundle.into_bytes();
    let root = &trusted_root.inner;
    let report = py.detach(|| sg::check_bundles(&bytes, input, root, &signed_by));
    Ok(BundleResult { inner: report })
}
