#![no_main]
// A manifest and a config given as files (`manifest \0 config`): any bytes give an image set
// with findings, never a panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |&b| b == 0);
    let (Some(manifest), Some(config)) = (parts.next(), parts.next()) else {
        return;
    };
    let set = lockkeeper::image::ImageSet::from_manifest("fuzz", manifest, config);
    if let Ok(policy) = lockkeeper::Policy::from_yaml("{}") {
        let _ = policy.check_image(&set);
    }
});
