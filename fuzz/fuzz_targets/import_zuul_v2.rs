#![no_main]
// A Zuul v2 `layout.yaml` and Jenkins Job Builder files (NUL bytes separate them: the first is
// the layout, the others JJB files, and with three or more the last is `jjb/inc.sh`, which
// `!include-raw: inc.sh` and `!include: inc.sh` resolve to), each file's format detected as the
// CLI detects it, then checked: a decision or an import error, never a panic (template
// products, macro nesting and include chains are bounded).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let count = text.split('\0').count();
    let names: Vec<String> = (0..count)
        .map(|i| match i {
            0 => "zuul/layout.yaml".to_owned(),
            i if i == count - 1 && count >= 3 => "jjb/inc.sh".to_owned(),
            i => format!("jjb/jobs{i}.yaml"),
        })
        .collect();
    for part in text.split('\0') {
        let _ = lockkeeper::import::jjb_include_paths(part);
    }
    let files: Vec<lockkeeper::SourceFile<'_>> = text
        .split('\0')
        .zip(&names)
        .map(|(text, name)| lockkeeper::SourceFile { name, text })
        .collect();
    if let Ok(p) = lockkeeper::Pipeline::import(&files, None) {
        let _ = lockkeeper::Policy::builtin().check_pipeline(&p).allowed();
    }
});
