#![no_main]
// A Zuul v2 `layout.yaml` and Jenkins Job Builder files (NUL bytes separate them: the first is
// the layout, the others JJB files), each file's format detected as the CLI detects it, then
// checked: a decision or an import error, never a panic (template products and macro nesting
// are bounded).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let names: Vec<String> = (0..text.split('\0').count())
        .map(|i| match i {
            0 => "zuul/layout.yaml".to_owned(),
            i => format!("jjb/jobs{i}.yaml"),
        })
        .collect();
    let files: Vec<lockkeeper::SourceFile<'_>> = text
        .split('\0')
        .zip(&names)
        .map(|(text, name)| lockkeeper::SourceFile { name, text })
        .collect();
    if let Ok(p) = lockkeeper::Pipeline::import(&files, None) {
        let _ = lockkeeper::Policy::builtin().check_pipeline(&p).allowed();
    }
});
