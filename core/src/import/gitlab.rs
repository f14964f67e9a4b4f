//! Importer stub.

use super::{ImportError, SourceFile};
use crate::pipeline::PipelineBuilder;

/// Imports the files.
pub(crate) fn import(
    _b: &mut PipelineBuilder,
    _files: &[SourceFile<'_>],
) -> Result<(), ImportError> {
    Ok(())
}
