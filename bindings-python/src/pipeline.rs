//! `Pipeline`: import pipeline files (native, Argo, GitLab CI, Zuul, GitHub Actions) and check
//! them against a policy, or against the built-in defaults.

use std::path::PathBuf;

use pyo3::prelude::*;

use crate::decision::{Decision, json_to_py};
use crate::error::{io_error, to_py};
use crate::policy::Policy;

fn format(format: Option<&str>) -> PyResult<Option<lockkeeper::PipelineFormat>> {
    format
        .map_or(Ok(None), lockkeeper::PipelineFormat::named)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

/// A pipeline read from files or text, ready to be checked.
#[pyclass(module = "lockkeeper", frozen)]
pub struct Pipeline {
    pub(crate) inner: lockkeeper::Pipeline,
}

#[pymethods]
impl Pipeline {
    /// Reads one pipeline file; `format` is `auto` (by path and content) or a format name;
    /// `include_dir` serves GitLab includes from elsewhere (see `from_files`).
    #[staticmethod]
    #[pyo3(signature = (path, format=None, *, include_dir=None))]
    fn from_file(
        py: Python<'_>,
        path: PathBuf,
        format: Option<&str>,
        include_dir: Option<PathBuf>,
    ) -> PyResult<Pipeline> {
        Pipeline::from_files(py, vec![path], format, include_dir)
    }

    /// Reads several files into one pipeline (files of one format are imported together).
    /// `include_dir` is where GitLab includes from elsewhere are read, as the CLI's
    /// `--include-dir` (docs/pipelines.md has the layout).
    #[staticmethod]
    #[pyo3(signature = (paths, format=None, *, include_dir=None))]
    fn from_files(
        py: Python<'_>,
        paths: Vec<PathBuf>,
        format: Option<&str>,
        include_dir: Option<PathBuf>,
    ) -> PyResult<Pipeline> {
        let fmt = self::format(format)?;
        let texts = lockkeeper_fs::read_pipeline_files(&paths, include_dir.as_deref())
            .map_err(|e| io_error(&e.path, e.error))?;
        lockkeeper::Pipeline::import_named(&texts, fmt)
            .map(|inner| Pipeline { inner })
            .map_err(|e| to_py(py, e))
    }

    /// Reads a pipeline from YAML (or JSON) text; `format` defaults to lockkeeper's own.
    #[staticmethod]
    #[pyo3(signature = (text, format="native", name="<yaml>"))]
    fn from_yaml(py: Python<'_>, text: &str, format: &str, name: &str) -> PyResult<Pipeline> {
        let fmt = self::format(Some(format))?;
        lockkeeper::Pipeline::import(&[lockkeeper::SourceFile { name, text }], fmt)
            .map(|inner| Pipeline { inner })
            .map_err(|e| to_py(py, e))
    }

    /// The files it was read from.
    #[getter]
    fn files(&self) -> Vec<String> {
        self.inner.files().to_vec()
    }

    /// Every job as a dict (name, file, line, trigger, zone, contexts, needs, consumes,
    /// produces, secrets, publishes, runs_repo_code, deploys).
    #[getter]
    fn jobs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_json_value()["jobs"])
    }

    /// What the importers could not model (each is reported by the check).
    #[getter]
    fn unsupported<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_json_value()["unsupported"])
    }

    /// The whole model as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_json_value())
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "Pipeline(files={:?}, jobs={}, unsupported={})",
            self.inner.files(),
            self.inner.len(),
            self.inner.unsupported().len()
        )
    }
}

/// What a check shows (`persona`) and whether it accepts an incomplete reading.
fn check_options(
    persona: &str,
    allow_incomplete: bool,
) -> PyResult<lockkeeper::pipeline::CheckOptions> {
    let persona: lockkeeper::Persona = persona
        .parse()
        .map_err(pyo3::exceptions::PyValueError::new_err)?;
    Ok(lockkeeper::pipeline::CheckOptions {
        allow_incomplete,
        persona,
    })
}

/// Checks a pipeline against `policy`, or the built-in policy when it is `None`, showing the
/// findings `persona` sees (`regular`, `pedantic` or `auditor`).
#[pyfunction]
#[pyo3(signature = (pipeline, policy=None, persona="regular", *, allow_incomplete=false))]
pub fn check_pipeline(
    pipeline: &Pipeline,
    policy: Option<&Policy>,
    persona: &str,
    allow_incomplete: bool,
) -> PyResult<Decision> {
    let options = check_options(persona, allow_incomplete)?;
    match policy {
        Some(p) => Ok(p.inner.check_pipeline_with(&pipeline.inner, options).into()),
        None => Ok(lockkeeper::Policy::builtin()
            .check_pipeline_with(&pipeline.inner, options)
            .into()),
    }
}

/// Finds every pipeline file of the repository at `path` (GitHub workflows and local actions,
/// GitLab CI and its local includes, Zuul, Argo manifests) and checks each format's files
/// together, as `lockkeeper check repo` does.
#[pyfunction]
#[pyo3(signature = (path, policy=None, persona="regular", *, allow_incomplete=false))]
pub fn check_repository(
    path: PathBuf,
    policy: Option<&Policy>,
    persona: &str,
    allow_incomplete: bool,
) -> PyResult<Decision> {
    let options = check_options(persona, allow_incomplete)?;
    let policy = match policy {
        Some(p) => &p.inner,
        None => lockkeeper::Policy::builtin(),
    };
    lockkeeper_fs::repository::check(&path, policy, options)
        .map(|(_, decision)| decision.into())
        .map_err(|e| io_error(&path, e))
}
