#![no_main]
// Any bytes read as a public or private key give a key or an error, never a panic; a key that
// was read survives its own PEM and securesystemslib forms, and verifying with it never panics.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    use lockkeeper::keys::{PublicKey, SigningKey};
    if let Ok(key) = PublicKey::parse_bytes(data) {
        assert_eq!(PublicKey::from_pem(&key.to_pem()).ok().as_ref(), Some(&key));
        let object = key.to_securesystemslib();
        assert_eq!(PublicKey::from_securesystemslib(&object).ok().as_ref(), Some(&key));
        let _ = key.verify(data, data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = SigningKey::from_pem(text);
    }
});
