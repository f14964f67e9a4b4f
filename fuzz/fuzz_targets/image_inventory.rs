#![no_main]
// Any text as a rebuild inventory: problems or a plan (for the first image and for every base),
// never a panic or a hang.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(inventory) = lockkeeper::image::parse_inventory(text, lockkeeper::Format::Json) else {
        return;
    };
    let mut vulnerable: Vec<String> = inventory.iter().take(1).map(|e| e.digest.clone()).collect();
    vulnerable.extend(inventory.iter().filter_map(|e| e.base_digest.clone()));
    if let Ok(report) = lockkeeper::image::RebuildReport::plan(&inventory, &vulnerable) {
        let _ = report.to_text();
    }
});
