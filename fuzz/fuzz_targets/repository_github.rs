#![no_main]
// A repository's GitHub files checked as one set: the input is split at NUL bytes into a
// workflow, a local composite action, a reusable workflow and a GitLab CI file, so caller and
// callee resolution, local-action modelling and repository discovery's reference rules are fuzzed
// together. Any bytes give a decision, never a panic; an incomplete or broken set never allows.
use lockkeeper::PipelineFormat;
use lockkeeper::pipeline::CheckOptions;
use lockkeeper::repository::{RepoFile, Repository, argo_manifest, references};

const PATHS: [(&str, PipelineFormat); 4] = [
    (".github/workflows/ci.yml", PipelineFormat::Github),
    (".github/actions/setup/action.yml", PipelineFormat::Github),
    (".github/workflows/build.yml", PipelineFormat::Github),
    (".gitlab-ci.yml", PipelineFormat::Gitlab),
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let files: Vec<RepoFile> = data
        .split(|&b| b == 0)
        .zip(PATHS)
        .map(|(bytes, (path, format))| RepoFile {
            path: path.to_owned(),
            format,
            bytes: bytes.to_vec(),
        })
        .collect();
    let tree: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    for f in &files {
        let text = String::from_utf8_lossy(&f.bytes);
        let _ = references(f.format, &text, &tree);
        let _ = argo_manifest(&text);
    }
    let policy = lockkeeper::Policy::builtin();
    let repo = Repository {
        root: "fuzz".to_owned(),
        files,
        skipped: Vec::new(),
    };
    let all = CheckOptions::default();
    let decision = policy.check_repository(&repo, all);
    // A set that could not be read whole is never a clean pass.
    if decision.has("import/syntax") || decision.has("import/incomplete") {
        assert!(!decision.allowed());
    }
    let accepted = CheckOptions {
        allow_incomplete: true,
        ..all
    };
    let _ = policy.check_repository(&repo, accepted);
});
