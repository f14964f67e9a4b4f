//! `Policy`: load from a file or text, then ask it questions.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::attestation::{Text, parse_digest};
use crate::decision::Decision;
use crate::error::{io_error, policy_error, to_py};
use crate::promotion::{DeployOutcome, request};

/// One problem found in a policy.
#[pyclass(module = "lockkeeper", frozen)]
pub struct Problem {
    inner: lockkeeper::Problem,
}

impl From<lockkeeper::Problem> for Problem {
    fn from(inner: lockkeeper::Problem) -> Self {
        Problem { inner }
    }
}

#[pymethods]
impl Problem {
    /// Rule code, e.g. `policy/undefined-reference`.
    #[getter]
    fn code(&self) -> &'static str {
        self.inner.code.as_str()
    }

    /// What is wrong.
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }

    /// Field path, e.g. `bindings[2].role`.
    #[getter]
    fn path(&self) -> String {
        self.inner.path.to_string()
    }

    /// Line (1-based), when known.
    #[getter]
    fn line(&self) -> Option<u32> {
        self.inner.location.map(|l| l.line)
    }

    /// Column (1-based), when known.
    #[getter]
    fn column(&self) -> Option<u32> {
        self.inner.location.map(|l| l.column)
    }

    fn __repr__(&self) -> String {
        format!(
            "Problem(code={:?}, path={:?}, line={:?})",
            self.inner.code,
            self.path(),
            self.line()
        )
    }
}

fn scope(
    project: Option<String>,
    git_ref: Option<String>,
    environment: Option<String>,
) -> lockkeeper::Scope {
    lockkeeper::Scope {
        project,
        git_ref,
        environment,
    }
}

/// A validated policy.
#[pyclass(module = "lockkeeper", frozen)]
pub struct Policy {
    pub(crate) inner: lockkeeper::Policy,
}

#[pymethods]
impl Policy {
    /// Reads a policy file (YAML or JSON, by extension or content).
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Policy> {
        let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
        let origin = path.display().to_string();
        let format = lockkeeper::Format::for_path(&origin, &text);
        lockkeeper::Policy::parse(&text, format)
            .map(|inner| Policy { inner })
            .map_err(|p| policy_error(py, p, &origin))
    }

    /// Reads a policy from YAML text.
    #[staticmethod]
    fn from_yaml(py: Python<'_>, text: &str) -> PyResult<Policy> {
        lockkeeper::Policy::from_yaml(text)
            .map(|inner| Policy { inner })
            .map_err(|p| policy_error(py, p, "<yaml>"))
    }

    /// Reads a policy from JSON text.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Policy> {
        lockkeeper::Policy::from_json(text)
            .map(|inner| Policy { inner })
            .map_err(|p| policy_error(py, p, "<json>"))
    }

    /// The built-in policy pipeline checks use when none is given.
    #[staticmethod]
    fn builtin() -> Policy {
        Policy {
            inner: lockkeeper::Policy::builtin().clone(),
        }
    }

    /// Checks a pipeline's trust flow against this policy; an incomplete reading is denied
    /// unless `allow_incomplete`.
    #[pyo3(signature = (pipeline, *, allow_incomplete=false))]
    fn check_pipeline(
        &self,
        pipeline: &crate::pipeline::Pipeline,
        allow_incomplete: bool,
    ) -> Decision {
        let options = lockkeeper::pipeline::CheckOptions {
            allow_incomplete,
            ..lockkeeper::pipeline::CheckOptions::default()
        };
        self.inner
            .check_pipeline_with(&pipeline.inner, options)
            .into()
    }

    /// Names of the trust zones.
    #[getter]
    fn zones(&self) -> Vec<String> {
        self.inner
            .zones()
            .iter()
            .map(|(_, z)| z.name.clone())
            .collect()
    }

    /// Names of the environments.
    #[getter]
    fn environments(&self) -> Vec<String> {
        self.inner.environments().keys().cloned().collect()
    }

    /// Names of the roles.
    #[getter]
    fn roles(&self) -> Vec<String> {
        self.inner.roles().keys().cloned().collect()
    }

    /// May `principal` do `action` in the scope?
    #[pyo3(signature = (principal, action, *, project=None, r#ref=None, environment=None))]
    fn authorize(
        &self,
        py: Python<'_>,
        principal: &str,
        action: &str,
        project: Option<String>,
        r#ref: Option<String>,
        environment: Option<String>,
    ) -> PyResult<Decision> {
        let request = lockkeeper::AuthorizeRequest::new(
            principal,
            action,
            scope(project, r#ref, environment),
        )
        .map_err(|e| to_py(py, e))?;
        self.inner
            .authorize(&request)
            .map(Decision::from)
            .map_err(|e| to_py(py, e))
    }

    /// Do the approvals reach `required` distinct qualified approvers?
    #[pyo3(signature = (approvals, *, required, author=None, role=None, project=None, r#ref=None, environment=None))]
    #[allow(clippy::too_many_arguments)]
    fn check_approvals(
        &self,
        py: Python<'_>,
        approvals: Vec<String>,
        required: usize,
        author: Option<String>,
        role: Option<String>,
        project: Option<String>,
        r#ref: Option<String>,
        environment: Option<String>,
    ) -> PyResult<Decision> {
        let request = lockkeeper::ApprovalRequest {
            approvals,
            author,
            required,
            role,
            scope: scope(project, r#ref, environment),
        };
        self.inner
            .check_approvals(&request)
            .map(Decision::from)
            .map_err(|e| to_py(py, e))
    }

    /// Does the DSSE envelope prove `artifact` was built by a trusted builder (from an allowed
    /// source, in a zone good enough for `environment`)?
    #[pyo3(signature = (envelope, artifact, *, environment=None))]
    fn verify_provenance(
        &self,
        py: Python<'_>,
        envelope: Text,
        artifact: &str,
        environment: Option<&str>,
    ) -> PyResult<Decision> {
        let artifact = parse_digest(py, artifact)?;
        let bytes = envelope.into_bytes();
        py.detach(|| self.inner.verify_provenance(&bytes, &artifact, environment))
            .map(Decision::from)
            .map_err(|e| to_py(py, e))
    }

    /// The same policy, also verifying Sigstore bundles given as evidence against `root`.
    fn with_trusted_root(&self, root: &crate::sigstore::TrustedRoot) -> Policy {
        Policy {
            inner: self.inner.clone().with_trusted_root(root.inner.clone()),
        }
    }

    /// Checks an OCI image layout directory against the `images:` rules.
    fn check_image(&self, path: PathBuf) -> PyResult<Decision> {
        crate::image::check_layouts(&self.inner, std::slice::from_ref(&path))?
            .pop()
            .ok_or_else(|| pyo3::exceptions::PyValueError::new_err("no decision"))
    }

    /// Checks layout directories together (an image's base can be among them), one decision each.
    fn check_images(&self, paths: Vec<PathBuf>) -> PyResult<Vec<Decision>> {
        crate::image::check_layouts(&self.inner, &paths)
    }

    /// Checks an image given as a manifest file and its config file.
    fn check_image_manifest(&self, manifest: PathBuf, config: PathBuf) -> PyResult<Decision> {
        crate::image::check_manifest(&self.inner, &manifest, &config)
    }

    /// May `artifact` be promoted into environment `to`?
    #[pyo3(signature = (artifact, *, to, by, evidence=Vec::new(), approvals=None, author=None, version=None, last_version=None, at=None, project=None, r#ref=None, rollback=false, emergency=false, images=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn promote(
        &self,
        py: Python<'_>,
        artifact: &str,
        to: &str,
        by: &str,
        evidence: Vec<Text>,
        approvals: Option<&Bound<'_, PyList>>,
        author: Option<String>,
        version: Option<String>,
        last_version: Option<String>,
        at: Option<Bound<'_, PyAny>>,
        project: Option<String>,
        r#ref: Option<String>,
        rollback: bool,
        emergency: bool,
        images: Vec<PathBuf>,
    ) -> PyResult<DeployOutcome> {
        let req = request(
            py,
            artifact,
            to,
            evidence,
            by,
            approvals,
            author,
            version,
            last_version,
            at,
            project,
            r#ref,
            rollback,
            emergency,
            images,
        )?;
        py.detach(|| self.inner.promote(&req))
            .map(DeployOutcome::from)
            .map_err(|e| to_py(py, e))
    }

    /// May `artifact` be deployed to environment `to`, and which secrets are released?
    #[pyo3(signature = (artifact, *, to, by, evidence=Vec::new(), approvals=None, author=None, version=None, last_version=None, at=None, project=None, r#ref=None, rollback=false, emergency=false, images=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn deploy_request(
        &self,
        py: Python<'_>,
        artifact: &str,
        to: &str,
        by: &str,
        evidence: Vec<Text>,
        approvals: Option<&Bound<'_, PyList>>,
        author: Option<String>,
        version: Option<String>,
        last_version: Option<String>,
        at: Option<Bound<'_, PyAny>>,
        project: Option<String>,
        r#ref: Option<String>,
        rollback: bool,
        emergency: bool,
        images: Vec<PathBuf>,
    ) -> PyResult<DeployOutcome> {
        let req = request(
            py,
            artifact,
            to,
            evidence,
            by,
            approvals,
            author,
            version,
            last_version,
            at,
            project,
            r#ref,
            rollback,
            emergency,
            images,
        )?;
        py.detach(|| self.inner.deploy_request(&req))
            .map(DeployOutcome::from)
            .map_err(|e| to_py(py, e))
    }

    fn __repr__(&self) -> String {
        format!(
            "Policy(zones={}, environments={}, roles={}, bindings={})",
            self.inner.zones().len(),
            self.inner.environments().len(),
            self.inner.roles().len(),
            self.inner.bindings().len()
        )
    }
}
