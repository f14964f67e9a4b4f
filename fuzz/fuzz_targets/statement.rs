#![no_main]
// Any bytes read as an in-toto statement (and its SLSA predicate) never panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = lockkeeper::attestation::Statement::from_json(data) {
        if let Ok(p) = lockkeeper::attestation::Provenance::from_statement(&s) {
            let _ = p.source();
        }
    }
});
