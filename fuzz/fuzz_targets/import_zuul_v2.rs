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
    for part in text.split('\0') {
        let _ = lockkeeper::import::jjb_include_paths(part);
    }
    let count = text.split('\0').count();
    lockkeeper_fuzz::import_split(
        text,
        |i| match i {
            0 => "zuul/layout.yaml".to_owned(),
            i if i == count - 1 && count >= 3 => "jjb/inc.sh".to_owned(),
            i => format!("jjb/jobs{i}.yaml"),
        },
        None,
    );
});
