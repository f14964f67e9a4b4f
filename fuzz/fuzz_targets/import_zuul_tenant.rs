#![no_main]
// Several Zuul files imported together with a tenant file (NUL bytes separate them: the first
// is `main.yaml`, the others are project directories the tenant may name) and checked give a
// decision or an import error, never a panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    lockkeeper_fuzz::import_split(
        text,
        |i| match i {
            0 => "main.yaml".to_owned(),
            1 => "project-config/zuul.d/pipelines.yaml".to_owned(),
            i => format!("org/p{i}/.zuul.yaml"),
        },
        Some(lockkeeper::PipelineFormat::Zuul),
    );
});
