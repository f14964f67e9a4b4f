#![no_main]
// Several Zuul files imported together with a tenant file (NUL bytes separate them: the first
// is `main.yaml`, the others are project directories the tenant may name) and checked give a
// decision or an import error, never a panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let names: Vec<String> = (0..text.split('\0').count())
        .map(|i| match i {
            0 => "main.yaml".to_owned(),
            1 => "project-config/zuul.d/pipelines.yaml".to_owned(),
            i => format!("org/p{i}/.zuul.yaml"),
        })
        .collect();
    let files: Vec<lockkeeper::SourceFile<'_>> = text
        .split('\0')
        .zip(&names)
        .map(|(text, name)| lockkeeper::SourceFile { name, text })
        .collect();
    if let Ok(p) = lockkeeper::Pipeline::import(&files, Some(lockkeeper::PipelineFormat::Zuul))
    {
        let _ = lockkeeper::Policy::builtin().check_pipeline(&p).allowed();
    }
});
