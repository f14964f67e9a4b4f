#![no_main]
// Any bytes read as an audit log (to verify or to append to) or as a checkpoint give a
// decision or an error, never a panic.
use std::sync::OnceLock;

use lockkeeper::audit;
use lockkeeper::keys::SigningKey;

static KEY: OnceLock<Option<SigningKey>> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(key) = KEY.get_or_init(|| SigningKey::from_seed(&[7; 32]).ok()) else {
        return;
    };
    let _ = audit::verify(data, key.public_key(), None);
    let _ = audit::append(data, b"{}", key);
    let _ = audit::append(b"", data, key);
    let _ = audit::Checkpoint::from_json(data);
});
