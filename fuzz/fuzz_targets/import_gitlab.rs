#![no_main]
// Any bytes imported as a Gitlab pipeline and checked give a decision or an import error, never a panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = lockkeeper::pipeline::fuzz_check(text, lockkeeper::PipelineFormat::Gitlab);
    }
});
