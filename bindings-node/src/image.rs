//! Images: read layout directories and manifest files, check them, plan rebuilds.

use std::path::Path;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::json;

use crate::decision::Decision;
use crate::error::{js_error, to_js};
use crate::policy::Policy;

fn io_error(path: &str, e: impl std::fmt::Display) -> Error {
    Error::new(Status::InvalidArg, format!("cannot read {path}: {e}"))
}

/// Reads an OCI layout directory (see `lockkeeper_fs::read_layout`).
pub(crate) fn read_layout(dir: &str) -> Result<lockkeeper::image::ImageSet> {
    lockkeeper_fs::read_layout(Path::new(dir)).map_err(|e| io_error(dir, e))
}

fn read_bytes(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io_error(path, e))
}

#[napi]
impl Policy {
    /// Checks an OCI image layout directory against the `images:` rules.
    #[napi]
    pub fn check_image(&self, path: String) -> Result<Decision> {
        let set = read_layout(&path)?;
        Ok(self.inner.check_image(&set).into())
    }

    /// Checks layout directories together (an image's base can be among them), one decision
    /// each.
    #[napi]
    pub fn check_images(&self, paths: Vec<String>) -> Result<Vec<Decision>> {
        let sets = paths
            .iter()
            .map(|p| read_layout(p))
            .collect::<Result<Vec<_>>>()?;
        Ok(self
            .inner
            .check_images(&sets)
            .into_iter()
            .map(Decision::from)
            .collect())
    }

    /// Checks an image given as a manifest file and its config file.
    #[napi]
    pub fn check_image_manifest(&self, manifest: String, config: String) -> Result<Decision> {
        let set = lockkeeper::image::ImageSet::from_manifest(
            &manifest,
            &read_bytes(&manifest)?,
            &read_bytes(&config)?,
        );
        Ok(self.inner.check_image(&set).into())
    }
}

/// Where the inventory of a rebuild plan comes from: layouts or an inventory file.
#[napi(object)]
pub struct RebuildOptions {
    /// OCI image layout directories.
    pub layouts: Option<Vec<String>>,
    /// A JSON inventory file: `[{"name", "digest", "base_digest"}]`.
    pub inventory: Option<String>,
}

/// One step of the path from the vulnerable digest to an image.
#[napi(object)]
pub struct PathStep {
    /// The image's name (absent for a vulnerable base outside the inventory).
    pub name: Option<String>,
    /// Its digest.
    pub digest: String,
}

/// An image the plan rebuilds.
#[napi(object)]
pub struct PlannedImage {
    /// The image's name.
    pub name: String,
    /// Its digest.
    pub digest: String,
    /// Its wave (0 first); absent when it waits on a loop of bases.
    pub wave: Option<u32>,
    /// From the vulnerable digest down to this image.
    pub path: Vec<PathStep>,
}

/// An image whose base is not in the inventory.
#[napi(object)]
pub struct MissingBase {
    /// The image's name.
    pub image: String,
    /// Its digest.
    pub digest: String,
    /// The base digest nobody in the inventory has.
    pub base_digest: String,
}

/// Which images to rebuild, in which order, when a base is vulnerable.
#[napi(object)]
pub struct RebuildPlan {
    /// The vulnerable digests asked about.
    pub vulnerable: Vec<String>,
    /// The waves, first to last; the images of one wave can be rebuilt in parallel.
    pub waves: Vec<Vec<PlannedImage>>,
    /// Affected images that wait on a loop of bases.
    pub blocked: Vec<PlannedImage>,
    /// Vulnerable digests that match nothing in the inventory.
    pub unmatched: Vec<String>,
    /// Loops of bases in the inventory, as image names.
    pub cycles: Vec<Vec<String>>,
    /// Images whose base is not in the inventory.
    pub missing_bases: Vec<MissingBase>,
    /// How many images are affected, blocked ones included.
    pub affected: u32,
    /// The explanation for people.
    pub text: String,
}

fn planned(i: &lockkeeper::image::PlannedImage) -> PlannedImage {
    PlannedImage {
        name: i.name.clone(),
        digest: i.digest.clone(),
        wave: i.wave.map(|w| w as u32),
        path: i
            .path
            .iter()
            .map(|s| PathStep {
                name: s.name.clone(),
                digest: s.digest.clone(),
            })
            .collect(),
    }
}

impl From<lockkeeper::image::RebuildReport> for RebuildPlan {
    fn from(r: lockkeeper::image::RebuildReport) -> Self {
        RebuildPlan {
            waves: r
                .waves
                .iter()
                .map(|w| w.iter().map(planned).collect())
                .collect(),
            blocked: r.blocked.iter().map(planned).collect(),
            missing_bases: r
                .missing_bases
                .iter()
                .map(|m| MissingBase {
                    image: m.image.clone(),
                    digest: m.digest.clone(),
                    base_digest: m.base_digest.clone(),
                })
                .collect(),
            affected: r.affected() as u32,
            text: r.to_text(),
            vulnerable: r.vulnerable,
            unmatched: r.unmatched,
            cycles: r.cycles,
        }
    }
}

/// Plans the rebuilds that `vulnerable` digests force, over `options.layouts` or the
/// `options.inventory` file.
#[napi]
pub fn rebuild_plan(
    env: Env,
    vulnerable: Vec<String>,
    #[napi(ts_arg_type = "RebuildOptions")] options: Object<'_>,
) -> Result<RebuildPlan> {
    let options: RebuildOptions =
        crate::options::strict(options, "options", crate::options::REBUILD_OPTIONS)?;
    let entries = match (options.layouts, options.inventory) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(Error::new(
                Status::InvalidArg,
                "give either layouts or inventory".to_owned(),
            ));
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
            lockkeeper::image::parse_inventory(&text, lockkeeper::Format::for_path(&path, &text))
                .map_err(|p| {
                    let first = p.first();
                    js_error(
                        &env,
                        "InventoryError",
                        first.code.as_str(),
                        p.render(&path).trim_end().to_owned(),
                        json!({
                            "path": first.path.to_string(),
                            "line": first.location.map(|l| l.line),
                            "column": first.location.map(|l| l.column),
                            "problems": p,
                        }),
                    )
                })?
        }
        (Some(dirs), None) => {
            let sets = dirs
                .iter()
                .map(|d| read_layout(d))
                .collect::<Result<Vec<_>>>()?;
            lockkeeper::image::InventoryEntry::from_image_sets(&sets).map_err(|e| {
                js_error(
                    &env,
                    "ImageError",
                    e.code().as_str(),
                    e.to_string(),
                    serde_json::Value::Null,
                )
            })?
        }
    };
    lockkeeper::image::RebuildReport::plan(&entries, &vulnerable)
        .map(RebuildPlan::from)
        .map_err(|e| to_js(&env, e))
}
