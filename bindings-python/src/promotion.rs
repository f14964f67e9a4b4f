//! The deploy gate for Python: `policy.promote(...)` and `policy.deploy_request(...)`.

use lockkeeper::promotion::{
    Approval, DeployOutcome as CoreOutcome, DeployRequest, Evidence, parse_time, parse_version,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::attestation::{Statement, Text};
use crate::decision::{Decision, json_to_py};

/// The gate's answer: the decision, the secrets released and the promotion record to sign.
#[pyclass(module = "lockkeeper", frozen)]
pub struct DeployOutcome {
    inner: CoreOutcome,
}

#[pymethods]
impl DeployOutcome {
    /// Allow or deny, with every failed rule.
    #[getter]
    fn decision(&self) -> Decision {
        self.inner.decision.clone().into()
    }

    /// Shorthand for `decision.allowed`.
    #[getter]
    fn allowed(&self) -> bool {
        self.inner.decision.allowed()
    }

    /// On an allowed deploy: `[{"name", "zone"}]`.
    #[getter]
    fn released_secrets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &serde_json::json!(self.inner.released_secrets))
    }

    /// On allow: the promotion record, to be signed with the deploy service's key.
    #[getter]
    fn promotion_record(&self) -> Option<Statement> {
        self.inner.promotion_record.clone().map(Statement::from)
    }

    /// Evidence not used (unreadable, untrusted, not in-toto): `[{"evidence": "evidence[i]",
    /// "why"}]`, on allow as on deny.
    #[getter]
    fn evidence_ignored<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &serde_json::json!(self.inner.evidence_ignored))
    }

    /// The machine form (decision JSON plus `released_secrets`, `promotion_record` and
    /// `evidence_ignored`).
    fn to_json(&self) -> String {
        self.inner.to_json_value().to_string()
    }

    /// As for `Decision`: `.allowed` says allow or deny, the object itself has no truth value.
    fn __bool__(&self) -> PyResult<bool> {
        Err(crate::decision::no_truth_value("DeployOutcome"))
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "DeployOutcome(allowed={}, released_secrets={})",
            if self.inner.decision.allowed() {
                "True"
            } else {
                "False"
            },
            self.inner.released_secrets.len()
        )
    }
}

/// The request from Python arguments, each read into its type once; without `at` the core
/// decides at the present time.
#[allow(clippy::too_many_arguments)]
pub(crate) fn request(
    py: Python<'_>,
    artifact: &str,
    to: &str,
    evidence: Vec<Text>,
    by: &str,
    approvals: Option<&Bound<'_, PyList>>,
    author: Option<String>,
    version: Option<String>,
    last_version: Option<String>,
    at: Option<Bound<'_, PyAny>>,
    project: Option<String>,
    git_ref: Option<String>,
    rollback: bool,
    emergency: bool,
    images: Vec<std::path::PathBuf>,
) -> PyResult<DeployRequest> {
    let images = images
        .iter()
        .map(|p| crate::image::read_layout(p))
        .collect::<PyResult<Vec<_>>>()?;
    let mut list = Vec::new();
    for item in approvals.into_iter().flatten() {
        let d = item.cast::<PyDict>().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(
                "approvals are dicts {\"principal\": ..., \"at\": ...}",
            )
        })?;
        // As the keyword arguments are: a misspelt key (`when` for `at`) is refused, not
        // dropped with the check it asked for.
        for key in d.keys() {
            let key: String = key.extract()?;
            if key != "principal" && key != "at" {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "an approval has the unknown key `{key}` (known: principal, at)"
                )));
            }
        }
        let principal: String = d
            .get_item("principal")?
            .ok_or_else(|| {
                pyo3::exceptions::PyValueError::new_err("an approval without `principal`")
            })?
            .extract()?;
        let at = match d.get_item("at")? {
            Some(v) if !v.is_none() => Some(time(py, &v, "an approval's `at`")?),
            _ => None,
        };
        list.push(Approval::new(principal, at));
    }
    let version_of = |text: Option<String>| {
        text.as_deref()
            .map(parse_version)
            .transpose()
            .map_err(|e| crate::error::to_py(py, e))
    };
    let mut request = DeployRequest::new(by, crate::attestation::parse_digest(py, artifact)?, to)
        .with_evidence(Evidence::numbered(
            evidence.into_iter().map(Text::into_bytes),
        ))
        .with_approvals(list)
        .with_rollback(rollback)
        .with_emergency(emergency)
        .with_images(images);
    request.version = version_of(version)?;
    request.last_version = version_of(last_version)?;
    request.at = match at {
        Some(at) if !at.is_none() => Some(time(py, &at, "`at`")?),
        _ => None,
    };
    request.author = author;
    request.project = project;
    request.git_ref = git_ref;
    Ok(request)
}

/// A time from Python: an RFC 3339 `str` or an aware `datetime`, converted once into the typed
/// time the core takes. A naive `datetime` is refused: its offset from UTC is a guess, and a
/// guess can move a decision in or out of a freeze window or an approval's `max_age`.
pub(crate) fn time(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<jiff::Timestamp> {
    let invalid = |message: String| {
        let err = crate::error::InvalidRequestError::new_err(message);
        match err
            .value(py)
            .setattr("code", lockkeeper::rule::codes::INPUT_INVALID_TIME.as_str())
        {
            Ok(()) => err,
            Err(e) => e,
        }
    };
    if let Ok(text) = value.extract::<String>() {
        return parse_time(&text).map_err(|e| crate::error::to_py(py, e));
    }
    let datetime = py.import("datetime")?.getattr("datetime")?;
    if !value.is_instance(&datetime)? {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "{what} must be an RFC 3339 str or a timezone-aware datetime, not {}",
            value.get_type().name()?
        )));
    }
    if value.call_method0("utcoffset")?.is_none() {
        return Err(invalid(format!(
            "{what} is a naive datetime: give it a timezone (e.g. datetime.now(timezone.utc))"
        )));
    }
    // The exact instant, from integers: the time since the Unix epoch as a `timedelta`
    // (days, seconds, microseconds), with no detour through text or a float.
    let utc = py.import("datetime")?.getattr("timezone")?.getattr("utc")?;
    let epoch = datetime.call1((1970, 1, 1, 0, 0, 0, 0, utc))?;
    let since = value.sub(&epoch)?;
    let days: i64 = since.getattr("days")?.extract()?;
    let seconds: i64 = since.getattr("seconds")?.extract()?;
    let micros: i32 = since.getattr("microseconds")?.extract()?;
    days.checked_mul(86_400)
        .and_then(|s| s.checked_add(seconds))
        .and_then(|s| jiff::Timestamp::new(s, micros * 1_000).ok())
        .ok_or_else(|| invalid(format!("{what} is out of range")))
}

impl From<CoreOutcome> for DeployOutcome {
    fn from(inner: CoreOutcome) -> Self {
        DeployOutcome { inner }
    }
}
