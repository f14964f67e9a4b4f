#![no_main]
// Any bytes read as a DSSE envelope give an envelope or an error, never a panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = lockkeeper::attestation::Envelope::from_json(data);
});
