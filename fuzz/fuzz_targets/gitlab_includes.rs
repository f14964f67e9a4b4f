#![no_main]
// GitLab include resolution: the paths an include directory would serve, `spec:inputs`
// interpolation with the inputs an include passes, and several files (NUL bytes separate them:
// the first is `.gitlab-ci.yml`, the others local includes, templates and child pipelines)
// imported together and checked give a decision or an import error, never a panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (path, inputs) in lockkeeper::import::gitlab::includes(text) {
        let _ = lockkeeper::import::gitlab::interpolate(text, &inputs);
        let _ = path.len();
    }
    lockkeeper_fuzz::import_split(
        text,
        |i| match i {
            0 => ".gitlab-ci.yml".to_owned(),
            1 => "ci/child.yml".to_owned(),
            2 => "templates/Jobs/Build.gitlab-ci.yml".to_owned(),
            i => format!("group/project/ci/{i}.yml"),
        },
        Some(lockkeeper::PipelineFormat::Gitlab),
    );
});
