//! Images: read layout directories and manifest files, check them, plan rebuilds.

use std::path::{Path, PathBuf};

use pyo3::create_exception;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::decision::{Decision, json_to_py};
use crate::error::{LockkeeperError, fill_policy_error, io_error, to_py};

create_exception!(
    lockkeeper,
    ImageError,
    LockkeeperError,
    "An image that cannot be used for a rebuild plan (malformed, or a blob that does not match its digest)."
);

create_exception!(
    lockkeeper,
    InventoryError,
    LockkeeperError,
    "An image inventory with problems: `.code`, `.path`, `.line`, `.column` of the first, `.problems` for all."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ImageError", m.py().get_type::<ImageError>())?;
    m.add("InventoryError", m.py().get_type::<InventoryError>())?;
    m.add_class::<PathStep>()?;
    m.add_class::<PlannedImage>()?;
    m.add_class::<RebuildPlan>()?;
    m.add_function(wrap_pyfunction!(rebuild_plan, m)?)?;
    Ok(())
}

/// Reads an OCI layout directory (see `lockkeeper_fs::read_layout`).
pub(crate) fn read_layout(dir: &Path) -> PyResult<lockkeeper::image::ImageSet> {
    lockkeeper_fs::read_layout(dir).map_err(|e| io_error(dir, e))
}

fn read_bytes(path: &Path) -> PyResult<Vec<u8>> {
    std::fs::read(path).map_err(|e| io_error(path, e))
}

/// Checks layouts together against `policy` (the `Policy` methods call this).
pub(crate) fn check_layouts(
    policy: &lockkeeper::Policy,
    paths: &[PathBuf],
) -> PyResult<Vec<Decision>> {
    let sets = paths
        .iter()
        .map(|p| read_layout(p))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(policy
        .check_images(&sets)
        .into_iter()
        .map(Decision::from)
        .collect())
}

/// Checks a manifest + config pair of files against `policy`.
pub(crate) fn check_manifest(
    policy: &lockkeeper::Policy,
    manifest: &Path,
    config: &Path,
) -> PyResult<Decision> {
    let set = lockkeeper::image::ImageSet::from_manifest(
        &manifest.display().to_string(),
        &read_bytes(manifest)?,
        &read_bytes(config)?,
    );
    Ok(policy.check_image(&set).into())
}

/// One step of the path from the vulnerable digest to an image.
#[pyclass(module = "lockkeeper", frozen)]
pub struct PathStep {
    inner: lockkeeper::image::PathStep,
}

#[pymethods]
impl PathStep {
    /// The image's name (`None` for a vulnerable base outside the inventory).
    #[getter]
    fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// Its digest.
    #[getter]
    fn digest(&self) -> &str {
        &self.inner.digest
    }

    fn __repr__(&self) -> String {
        format!(
            "PathStep(name={:?}, digest={:?})",
            self.inner.name, self.inner.digest
        )
    }
}

/// An image the plan rebuilds.
#[pyclass(module = "lockkeeper", frozen)]
pub struct PlannedImage {
    inner: lockkeeper::image::PlannedImage,
}

#[pymethods]
impl PlannedImage {
    /// The image's name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// Its digest.
    #[getter]
    fn digest(&self) -> &str {
        &self.inner.digest
    }

    /// Its wave (0 first), or `None` when it waits on a loop of bases.
    #[getter]
    fn wave(&self) -> Option<usize> {
        self.inner.wave
    }

    /// From the vulnerable digest down to this image.
    #[getter]
    fn path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(
            py,
            self.inner
                .path
                .iter()
                .map(|s| PathStep { inner: s.clone() }),
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "PlannedImage(name={:?}, wave={:?})",
            self.inner.name, self.inner.wave
        )
    }
}

fn planned(py: Python<'_>, list: &[lockkeeper::image::PlannedImage]) -> PyResult<Py<PyList>> {
    Ok(PyList::new(py, list.iter().map(|i| PlannedImage { inner: i.clone() }))?.unbind())
}

/// Which images to rebuild, in which order, when a base is vulnerable.
#[pyclass(module = "lockkeeper", frozen)]
pub struct RebuildPlan {
    inner: lockkeeper::image::RebuildReport,
}

#[pymethods]
impl RebuildPlan {
    /// The vulnerable digests asked about.
    #[getter]
    fn vulnerable(&self) -> Vec<String> {
        self.inner.vulnerable.clone()
    }

    /// The waves, first to last; the images of one wave can be rebuilt in parallel.
    #[getter]
    fn waves<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let waves = self
            .inner
            .waves
            .iter()
            .map(|w| planned(py, w))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, waves)
    }

    /// Affected images that wait on a loop of bases.
    #[getter]
    fn blocked(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        planned(py, &self.inner.blocked)
    }

    /// Vulnerable digests that match nothing in the inventory.
    #[getter]
    fn unmatched(&self) -> Vec<String> {
        self.inner.unmatched.clone()
    }

    /// Loops of bases in the inventory, as image names.
    #[getter]
    fn cycles(&self) -> Vec<Vec<String>> {
        self.inner.cycles.clone()
    }

    /// Images whose base is not in the inventory: `{"image", "digest", "base_digest"}`.
    #[getter]
    fn missing_bases<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(
            py,
            &serde_json::to_value(&self.inner.missing_bases).unwrap_or_default(),
        )
    }

    /// How many images are affected, blocked ones included.
    #[getter]
    fn affected(&self) -> usize {
        self.inner.affected()
    }

    /// The machine form as JSON text.
    fn to_json(&self) -> String {
        self.inner.to_json_value().to_string()
    }

    /// The machine form as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_json_value())
    }

    fn __str__(&self) -> String {
        self.inner.to_text().trim_end().to_owned()
    }

    fn __repr__(&self) -> String {
        format!(
            "RebuildPlan(affected={}, waves={})",
            self.inner.affected(),
            self.inner.waves.len()
        )
    }
}

fn inventory_error(py: Python<'_>, problems: lockkeeper::Problems, origin: &str) -> PyErr {
    let err = InventoryError::new_err(problems.render(origin).trim_end().to_owned());
    if let Err(e) = fill_policy_error(py, &err, &problems) {
        return e;
    }
    err
}

/// Plans the rebuilds that `vulnerable` digests force, over layout directories or an inventory
/// file (JSON list of `{"name", "digest", "base_digest"}`).
#[pyfunction]
#[pyo3(signature = (vulnerable, *, layouts=None, inventory=None))]
pub fn rebuild_plan(
    py: Python<'_>,
    vulnerable: Vec<String>,
    layouts: Option<Vec<PathBuf>>,
    inventory: Option<PathBuf>,
) -> PyResult<RebuildPlan> {
    let entries = match (layouts, inventory) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "give either layouts=[...] or inventory=PATH",
            ));
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
            let origin = path.display().to_string();
            lockkeeper::image::parse_inventory(&text, lockkeeper::Format::for_path(&origin, &text))
                .map_err(|p| inventory_error(py, p, &origin))?
        }
        (Some(dirs), None) => {
            let sets = dirs
                .iter()
                .map(|d| read_layout(d))
                .collect::<PyResult<Vec<_>>>()?;
            lockkeeper::image::InventoryEntry::from_image_sets(&sets).map_err(|e| {
                let err = ImageError::new_err(e.to_string());
                if let Err(set) = err.value(py).setattr("code", e.code().as_str()) {
                    return set;
                }
                err
            })?
        }
    };
    lockkeeper::image::RebuildReport::plan(&entries, &vulnerable)
        .map(|inner| RebuildPlan { inner })
        .map_err(|e| to_py(py, e))
}
