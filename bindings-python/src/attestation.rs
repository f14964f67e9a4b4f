//! Keys, digests, DSSE envelopes and in-toto statements for Python.

use std::path::PathBuf;

use lockkeeper::attestation::{self as att, ProvenanceBuilder};
use lockkeeper::digest::{Algorithm, Digest};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::decision::json_to_py;
use crate::error::{io_error, to_py};

/// A `str` or `bytes` argument as bytes (JSON documents arrive either way).
#[derive(FromPyObject)]
pub(crate) enum Text {
    Str(String),
    Bytes(Vec<u8>),
}

impl Text {
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        match self {
            Text::Str(s) => s.into_bytes(),
            Text::Bytes(b) => b,
        }
    }
}

pub(crate) fn py_to_json(value: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    let text: String = value
        .py()
        .import("json")?
        .call_method1("dumps", (value,))?
        .extract()?;
    serde_json::from_str(&text).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

pub(crate) fn parse_digest(py: Python<'_>, text: &str) -> PyResult<Digest> {
    Digest::parse(text).map_err(|e| to_py(py, e.into()))
}

/// The digest (`sha256:<hex>`) of `data`.
#[pyfunction]
#[pyo3(signature = (data, algorithm="sha256"))]
pub fn digest(py: Python<'_>, data: &[u8], algorithm: &str) -> PyResult<String> {
    let alg = Algorithm::from_name(algorithm).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!("unknown algorithm `{algorithm}`"))
    })?;
    Ok(py.detach(|| Digest::compute(alg, data).to_string()))
}

/// The digest of a file's content, read in chunks.
#[pyfunction]
#[pyo3(signature = (path, algorithm="sha256"))]
pub fn digest_file(py: Python<'_>, path: PathBuf, algorithm: &str) -> PyResult<String> {
    let alg = Algorithm::from_name(algorithm).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!("unknown algorithm `{algorithm}`"))
    })?;
    let file = std::fs::File::open(&path).map_err(|e| io_error(&path, e))?;
    py.detach(|| Digest::compute_reader(alg, std::io::BufReader::new(file)))
        .map(|d| d.to_string())
        .map_err(|e| io_error(&path, e))
}

/// A public key: ed25519, ECDSA P-256 / P-384 or RSA (>= 2048 bits). Equal keys are the same
/// key material, whatever their encoding.
#[pyclass(module = "lockkeeper", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PublicKey {
    pub(crate) inner: lockkeeper::keys::PublicKey,
}

#[pymethods]
impl PublicKey {
    /// From a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY` (PKCS#1) block,
    /// optionally restricted to one securesystemslib `scheme`.
    #[staticmethod]
    #[pyo3(signature = (text, scheme=None))]
    fn from_pem(py: Python<'_>, text: &str, scheme: Option<&str>) -> PyResult<PublicKey> {
        let key = lockkeeper::keys::PublicKey::from_pem(text).map_err(|e| to_py(py, e.into()))?;
        match scheme {
            None => Ok(PublicKey { inner: key }),
            Some(name) => PublicKey { inner: key }.with_scheme(py, name),
        }
    }

    /// From SubjectPublicKeyInfo DER bytes.
    #[staticmethod]
    fn from_der(py: Python<'_>, data: &[u8]) -> PyResult<PublicKey> {
        lockkeeper::keys::PublicKey::from_der(data)
            .map(|inner| PublicKey { inner })
            .map_err(|e| to_py(py, e.into()))
    }

    /// From 64 hex characters.
    #[staticmethod]
    fn from_hex(py: Python<'_>, text: &str) -> PyResult<PublicKey> {
        lockkeeper::keys::PublicKey::from_hex(text)
            .map(|inner| PublicKey { inner })
            .map_err(|e| to_py(py, e.into()))
    }

    /// From securesystemslib's key dict (`keytype`, `scheme`, `keyval.public`).
    #[staticmethod]
    fn from_securesystemslib(py: Python<'_>, key: &Bound<'_, PyDict>) -> PyResult<PublicKey> {
        lockkeeper::keys::PublicKey::from_securesystemslib(&py_to_json(key.as_any())?)
            .map(|inner| PublicKey { inner })
            .map_err(|e| to_py(py, e.into()))
    }

    /// From any form lockkeeper reads (PEM, securesystemslib JSON text, hex; DER as bytes).
    #[staticmethod]
    fn parse(py: Python<'_>, data: Text) -> PyResult<PublicKey> {
        lockkeeper::keys::PublicKey::parse_bytes(&data.into_bytes())
            .map(|inner| PublicKey { inner })
            .map_err(|e| to_py(py, e.into()))
    }

    /// The same key, verifying only with securesystemslib's `scheme` (which must fit the key).
    fn with_scheme(&self, py: Python<'_>, scheme: &str) -> PyResult<PublicKey> {
        let scheme = lockkeeper::keys::Scheme::from_name(scheme).ok_or_else(|| {
            to_py(
                py,
                lockkeeper::keys::KeyError::Unsupported(format!("scheme `{scheme}`")).into(),
            )
        })?;
        self.inner
            .clone()
            .with_scheme(scheme)
            .map(|inner| PublicKey { inner })
            .map_err(|e| to_py(py, e.into()))
    }

    /// securesystemslib's name of the scheme signatures are checked with.
    #[getter]
    fn scheme(&self) -> &'static str {
        self.inner.scheme().name()
    }

    /// securesystemslib's key id.
    #[getter]
    fn keyid(&self) -> &str {
        self.inner.keyid()
    }

    /// Every id the key is known by (current securesystemslib id first).
    #[getter]
    fn keyids(&self) -> Vec<String> {
        self.inner.keyids().to_vec()
    }

    /// PEM `PUBLIC KEY`.
    fn to_pem(&self) -> String {
        self.inner.to_pem()
    }

    /// securesystemslib's key dict.
    fn to_securesystemslib<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_securesystemslib())
    }

    fn __repr__(&self) -> String {
        format!(
            "PublicKey(scheme={:?}, keyid={:?})",
            self.inner.scheme().name(),
            self.inner.keyid()
        )
    }
}

/// A private key, ed25519 or ECDSA P-256; `repr()` never shows the secret.
#[pyclass(module = "lockkeeper", frozen)]
pub struct SigningKey {
    pub(crate) inner: lockkeeper::keys::SigningKey,
}

#[pymethods]
impl SigningKey {
    /// A fresh key of `scheme` (`ed25519` or `ecdsa-p256`) from the operating system's
    /// random source.
    #[staticmethod]
    #[pyo3(signature = (scheme="ed25519"))]
    fn generate(py: Python<'_>, scheme: &str) -> PyResult<SigningKey> {
        lockkeeper::keys::SigningScheme::from_name(scheme)
            .and_then(lockkeeper::keys::SigningKey::generate_scheme)
            .map(|inner| SigningKey { inner })
            .map_err(|e| to_py(py, e.into()))
    }

    /// The signing scheme (`ed25519` or `ecdsa-p256`).
    #[getter]
    fn scheme(&self) -> &'static str {
        self.inner.scheme().name()
    }

    /// From a PEM `PRIVATE KEY` (PKCS#8, ed25519 or P-256) or `EC PRIVATE KEY` (P-256).
    #[staticmethod]
    fn from_pem(py: Python<'_>, text: &str) -> PyResult<SigningKey> {
        lockkeeper::keys::SigningKey::from_pem(text)
            .map(|inner| SigningKey { inner })
            .map_err(|e| to_py(py, e.into()))
    }

    /// PEM `PRIVATE KEY` (PKCS#8): the secret.
    fn to_pem(&self) -> String {
        self.inner.to_pem()
    }

    /// The public half.
    #[getter]
    fn public_key(&self) -> PublicKey {
        PublicKey {
            inner: self.inner.public_key().clone(),
        }
    }

    /// securesystemslib's key id of the public half.
    #[getter]
    fn keyid(&self) -> &str {
        self.inner.keyid()
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

/// A DSSE envelope.
#[pyclass(module = "lockkeeper", frozen)]
pub struct Envelope {
    pub(crate) inner: att::Envelope,
}

#[pymethods]
impl Envelope {
    /// Signs `payload` with each key (payload type in-toto by default).
    #[staticmethod]
    #[pyo3(signature = (payload, keys, payload_type="application/vnd.in-toto+json"))]
    fn sign(payload: Text, keys: Vec<PyRef<'_, SigningKey>>, payload_type: &str) -> Envelope {
        let refs: Vec<&lockkeeper::keys::SigningKey> = keys.iter().map(|k| &k.inner).collect();
        Envelope {
            inner: att::Envelope::sign(payload_type, &payload.into_bytes(), &refs),
        }
    }

    /// Reads envelope JSON (`str` or `bytes`).
    #[staticmethod]
    fn from_json(py: Python<'_>, data: Text) -> PyResult<Envelope> {
        att::Envelope::from_json(&data.into_bytes())
            .map(|inner| Envelope { inner })
            .map_err(|e| to_py(py, e.into()))
    }

    /// The JSON form (standard base64, as securesystemslib writes it).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The payload bytes.
    #[getter]
    fn payload<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.payload())
    }

    /// The payload type.
    #[getter]
    fn payload_type(&self) -> &str {
        self.inner.payload_type()
    }

    /// The signatures' key id hints (None where a signature has none).
    #[getter]
    fn keyids(&self) -> Vec<Option<String>> {
        self.inner
            .signatures()
            .iter()
            .map(|s| s.keyid.clone())
            .collect()
    }

    /// Verifies with `keys` and a threshold of distinct keys; returns the key ids that
    /// verified, or raises `VerificationError`.
    #[pyo3(signature = (keys, threshold=1))]
    fn verify(
        &self,
        py: Python<'_>,
        keys: Vec<PyRef<'_, PublicKey>>,
        threshold: usize,
    ) -> PyResult<Vec<String>> {
        let keys: Vec<lockkeeper::keys::PublicKey> = keys.iter().map(|k| k.inner.clone()).collect();
        self.inner
            .verify(&keys, threshold)
            .map(|v| v.keyids)
            .map_err(|e| to_py(py, e.into()))
    }
}

/// Verifies each envelope with `keys` and a threshold of distinct keys, batching ed25519
/// signatures; item `i` is what `envelopes[i].verify(keys, threshold)` returns, or the
/// `VerificationError` it would raise (returned, not raised, so one bad envelope does not hide
/// the others).
#[pyfunction]
#[pyo3(signature = (envelopes, keys, threshold=1))]
pub fn verify_envelopes(
    py: Python<'_>,
    envelopes: Vec<PyRef<'_, Envelope>>,
    keys: Vec<PyRef<'_, PublicKey>>,
    threshold: usize,
) -> Vec<Py<PyAny>> {
    let keys: Vec<lockkeeper::keys::PublicKey> = keys.iter().map(|k| k.inner.clone()).collect();
    let envelopes: Vec<&att::Envelope> = envelopes.iter().map(|e| &e.inner).collect();
    let results = py.detach(|| att::verify_many(&envelopes, &keys, threshold));
    results
        .into_iter()
        .map(|r| match r {
            Ok(v) => v.keyids.into_pyobject(py).map(|l| l.into_any().unbind()),
            Err(e) => Ok(to_py(py, e.into()).into_value(py).into_any()),
        })
        .map(|r| r.unwrap_or_else(|e| e.into_value(py).into_any()))
        .collect()
}

/// An in-toto Statement.
#[pyclass(module = "lockkeeper", frozen)]
pub struct Statement {
    inner: att::Statement,
}

impl From<att::Statement> for Statement {
    fn from(inner: att::Statement) -> Self {
        Statement { inner }
    }
}

#[pymethods]
impl Statement {
    /// Reads statement JSON (`str` or `bytes`).
    #[staticmethod]
    fn from_json(py: Python<'_>, data: Text) -> PyResult<Statement> {
        att::Statement::from_json(&data.into_bytes())
            .map(|inner| Statement { inner })
            .map_err(|e| to_py(py, e.into()))
    }

    /// A SLSA Provenance v1 statement for artifacts (`{name: "sha256:..."}`) built by `builder`.
    #[staticmethod]
    #[pyo3(signature = (builder, subjects, *, source=None, r#ref=None, commit=None, build_type=None))]
    fn provenance(
        py: Python<'_>,
        builder: &str,
        subjects: Vec<(String, String)>,
        source: Option<&str>,
        r#ref: Option<&str>,
        commit: Option<&str>,
        build_type: Option<&str>,
    ) -> PyResult<Statement> {
        let mut b = ProvenanceBuilder::new(builder);
        if let Some(t) = build_type {
            b = b.build_type(t);
        }
        for (name, digest) in subjects {
            b = b.subject(&name, parse_digest(py, &digest)?);
        }
        if let Some(s) = source {
            b = b.source(s, r#ref, commit);
        }
        Ok(Statement { inner: b.build() })
    }

    /// The JSON form (the bytes to sign).
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// `_type`.
    #[getter]
    fn statement_type(&self) -> &str {
        self.inner.statement_type()
    }

    /// `predicateType`.
    #[getter]
    fn predicate_type(&self) -> &str {
        self.inner.predicate_type()
    }

    /// The predicate.
    #[getter]
    fn predicate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, self.inner.predicate())
    }

    /// The subjects, as `{"name": ..., "digest": {...}}` dicts.
    #[getter]
    fn subjects<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for s in self.inner.subjects() {
            list.append(json_to_py(
                py,
                &serde_json::json!({"name": s.name, "digest": s.digest}),
            )?)?;
        }
        Ok(list)
    }

    /// Whether some subject is the artifact `digest` names.
    fn covers(&self, py: Python<'_>, digest: &str) -> PyResult<bool> {
        Ok(self.inner.covers(&parse_digest(py, digest)?))
    }
}
