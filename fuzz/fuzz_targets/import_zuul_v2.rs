#![no_main]
// A Zuul v2 `layout.yaml` and Jenkins Job Builder files (NUL bytes separate them: the first is
// the layout, the others JJB files), each file's format detected as the CLI detects it, then
// checked: a decision or an import error, never a panic (template products and macro nesting
// are bounded).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    lockkeeper_fuzz::import_split(
        text,
        |i| match i {
            0 => "zuul/layout.yaml".to_owned(),
            i => format!("jjb/jobs{i}.yaml"),
        },
        None,
    );
});
