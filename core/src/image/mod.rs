//! Container images: reading OCI images, the image policy, and the rebuild cascade.
//!
//! * [`ImageSet::from_layout`] reads an OCI image layout through a [`LayoutSource`] (the core
//!   never opens files), verifying each index, manifest and config blob against its digest and
//!   size before parsing it with `oci-spec`; [`ImageSet::from_manifest`] reads a manifest and
//!   config pair.
//! * [`crate::Policy::check_image`] applies the policy's `images:` rules: base registries,
//!   approved roots, toolchain labels, non-root user, no secrets in the environment, no
//!   forbidden volumes.
//! * [`ImageGraph`] and [`RebuildReport`] plan the rebuilds a vulnerable base forces, in waves.
//!
//! ```
//! use lockkeeper::image::{ImageGraph, InventoryEntry};
//!
//! let d = |n: u32| format!("sha256:{n:064x}");
//! let inventory = vec![
//!     InventoryEntry { name: "debian".into(), digest: d(1), base_digest: None, index_digest: None },
//!     InventoryEntry { name: "python".into(), digest: d(2), base_digest: Some(d(1)), index_digest: None },
//! ];
//! let graph = ImageGraph::new(&inventory);
//! let vulnerable = d(1);
//! let plan = graph.plan(&[vulnerable.as_str()]);
//! assert_eq!(plan.wave_count(), 2);
//! assert_eq!(plan.waves()[1][0].name, "python");
//! ```

mod blob;
mod check;
mod layout;
pub mod lineage;
mod model;
mod policy;
mod rebuild;
mod reference;

pub use blob::{blob_path, sha256_digest};
pub use layout::{LayoutSource, MAX_DOCUMENT_BYTES};
pub use lineage::Lineage;
pub use model::{EnvVar, Image, ImageSet, Skipped};
pub(crate) use policy::RawImagePolicy;
pub use policy::{
    ApprovedRoot, DEFAULT_FORBIDDEN_VOLUMES, DEFAULT_SECRET_ENV, ImagePolicy, NamePattern,
};
pub use rebuild::{
    ImageGraph, InventoryEntry, MissingBase, PathStep, PlannedImage, RebuildPlan, RebuildReport,
    parse_inventory,
};
pub use reference::Reference;
