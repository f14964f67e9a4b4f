#![no_main]
// Any bytes read as a YAML policy give a policy or problems, never a panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = lockkeeper::Policy::from_yaml(text);
    }
});
