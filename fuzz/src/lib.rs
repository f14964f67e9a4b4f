//! What the multi-file fuzz targets share: one input becomes several files, split at NUL bytes,
//! so that one byte string exercises how the files of a set resolve each other.

use lockkeeper::{Pipeline, PipelineFormat, Policy, SourceFile};

/// Splits `text` at NUL bytes into files named by `name(index)`, imports them as one set in
/// `format` (`None` detects each file's format as the CLI does) and checks what imported.
/// The target's property is that this returns: a decision or an import error, never a panic.
pub fn import_split(text: &str, name: impl Fn(usize) -> String, format: Option<PipelineFormat>) {
    let names: Vec<String> = (0..text.split('\0').count()).map(name).collect();
    let files: Vec<SourceFile<'_>> = text
        .split('\0')
        .zip(&names)
        .map(|(text, name)| SourceFile { name, text })
        .collect();
    if let Ok(p) = Pipeline::import(&files, format) {
        let _ = Policy::builtin().check_pipeline(&p).allowed();
    }
}
