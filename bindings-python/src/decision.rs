//! `Decision` and `Violation` as read-only Python objects.

use pyo3::prelude::*;
use pyo3::types::PyList;

/// Turns JSON into Python objects with the standard `json` module: exact, and no second
/// converter to keep in step with serde_json.
pub(crate) fn json_to_py<'py>(
    py: Python<'py>,
    value: &serde_json::Value,
) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?
        .call_method1("loads", (value.to_string(),))
}

/// One failed rule of a decision.
#[pyclass(module = "lockkeeper", frozen)]
pub struct Violation {
    inner: lockkeeper::Violation,
}

#[pymethods]
impl Violation {
    /// Stable rule code, e.g. `rbac/missing-permission`.
    #[getter]
    fn code(&self) -> &'static str {
        self.inner.code.as_str()
    }

    /// What was denied and why.
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }

    /// How to fix it.
    #[getter]
    fn help(&self) -> &str {
        self.inner.help
    }

    /// How much it matters, in SARIF's levels: `error`, `warning` or `note`.
    #[getter]
    fn severity(&self) -> &'static str {
        self.inner.severity.as_str()
    }

    /// How sure the finding is: `high`, `medium` or `low` (lowered when it rests on
    /// assumptions).
    #[getter]
    fn confidence(&self) -> &'static str {
        self.inner.confidence.as_str()
    }

    /// Who the finding is for: `regular`, `pedantic` or `auditor`.
    #[getter]
    fn persona(&self) -> &'static str {
        self.inner.persona.as_str()
    }

    /// What the finding takes for granted; empty when it rests only on what was read.
    #[getter]
    fn assumptions(&self) -> Vec<String> {
        self.inner.assumptions.clone()
    }

    /// The facts the rule looked at.
    #[getter]
    fn facts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &serde_json::Value::Object(self.inner.facts.clone()))
    }

    fn __repr__(&self) -> String {
        format!(
            "Violation(code={:?}, message={:?})",
            self.inner.code, self.inner.message
        )
    }
}

/// Allow or deny, with every failed rule and the facts behind it.
#[pyclass(module = "lockkeeper", frozen)]
pub struct Decision {
    inner: lockkeeper::Decision,
}

impl From<lockkeeper::Decision> for Decision {
    /// Stamps the time it crosses into the caller's hands, unless the decision states its own
    /// (a gate's request time).
    fn from(mut inner: lockkeeper::Decision) -> Self {
        inner.stamp_now();
        Decision { inner }
    }
}

#[pymethods]
impl Decision {
    /// True exactly when there is no violation.
    #[getter]
    fn allowed(&self) -> bool {
        self.inner.allowed()
    }

    /// What was asked.
    #[getter]
    fn subject(&self) -> &str {
        self.inner.subject()
    }

    /// Every failed rule.
    #[getter]
    fn violations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(
            py,
            self.inner
                .violations()
                .iter()
                .map(|v| Violation { inner: v.clone() }),
        )
    }

    /// Codes of the checks that passed.
    #[getter]
    fn passed(&self) -> Vec<&'static str> {
        self.inner.passed().iter().map(|c| c.as_str()).collect()
    }

    /// The signed evidence the decision relied on: name, digest, signers (key id, or
    /// certificate issuer, subject and constrained claims), how the signing time was proven.
    #[getter]
    fn verified<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(
            py,
            &serde_json::to_value(self.inner.verified()).unwrap_or_default(),
        )
    }

    /// Codes of the failed rules.
    #[getter]
    fn codes(&self) -> Vec<&'static str> {
        self.inner
            .violations()
            .iter()
            .map(|v| v.code.as_str())
            .collect()
    }

    /// The machine form as JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// SARIF 2.1.0 as JSON text, for code scanning (one result per violation).
    fn to_sarif(&self) -> String {
        self.inner.to_sarif().to_string()
    }

    /// One line: the verdict, the subject and the codes that denied.
    fn summary(&self) -> String {
        self.inner.summary()
    }

    /// The machine form as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_json_value())
    }

    /// A decision has no truth value: `if policy.authorize(...):` would be true for a denial.
    fn __bool__(&self) -> PyResult<bool> {
        Err(no_truth_value("Decision"))
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        let codes: Vec<String> = self.codes().iter().map(|c| format!("'{c}'")).collect();
        format!(
            "Decision(allowed={}, codes=[{}])",
            if self.inner.allowed() {
                "True"
            } else {
                "False"
            },
            codes.join(", ")
        )
    }
}

/// The error `bool(decision)` raises: an object is always true in Python, so a denial tested
/// with `if` would pass. Pointing at `.allowed` makes the mistake loud instead.
pub(crate) fn no_truth_value(class: &str) -> PyErr {
    pyo3::exceptions::PyTypeError::new_err(format!(
        "a {class} has no truth value (a denial is an object too): test `.allowed` instead"
    ))
}

/// The message of a failed pipeline assertion: the subject, the count, and one
/// `FILE:LINE: level[CODE] job `NAME`: message` line per violation.
#[pyfunction]
pub fn _violation_list(decision: &Decision) -> String {
    lockkeeper::render::violation_list(&decision.inner)
}

/// The rule catalogue: every code with its kind, severity, confidence, persona, summary and
/// help.
#[pyfunction]
pub fn rules<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    json_to_py(
        py,
        &serde_json::to_value(lockkeeper::RULES).unwrap_or_default(),
    )
}
