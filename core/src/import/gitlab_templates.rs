//! GitLab's own CI templates that real pipelines include, vendored (MIT, see
//! `core/templates/gitlab/`), so that `include: template:` resolves without an include
//! directory. A template given among the files (or through `--include-dir`) wins.

use super::SourceFile;

/// Name (as `include: template:` spells it) and text of each vendored template.
const TEMPLATES: [(&str, &str); 10] = [
    (
        "Workflows/MergeRequest-Pipelines.gitlab-ci.yml",
        include_str!("../../templates/gitlab/Workflows/MergeRequest-Pipelines.gitlab-ci.yml"),
    ),
    (
        "Workflows/Branch-Pipelines.gitlab-ci.yml",
        include_str!("../../templates/gitlab/Workflows/Branch-Pipelines.gitlab-ci.yml"),
    ),
    (
        "Jobs/Secret-Detection.gitlab-ci.yml",
        include_str!("../../templates/gitlab/Jobs/Secret-Detection.gitlab-ci.yml"),
    ),
    (
        "Security/Secret-Detection.gitlab-ci.yml",
        include_str!("../../templates/gitlab/Security/Secret-Detection.gitlab-ci.yml"),
    ),
    (
        "Jobs/Secret-Detection.latest.gitlab-ci.yml",
        include_str!("../../templates/gitlab/Jobs/Secret-Detection.latest.gitlab-ci.yml"),
    ),
    (
        "Jobs/SAST.latest.gitlab-ci.yml",
        include_str!("../../templates/gitlab/Jobs/SAST.latest.gitlab-ci.yml"),
    ),
    (
        "Jobs/Dependency-Scanning.latest.gitlab-ci.yml",
        include_str!("../../templates/gitlab/Jobs/Dependency-Scanning.latest.gitlab-ci.yml"),
    ),
    (
        "Jobs/SAST.gitlab-ci.yml",
        include_str!("../../templates/gitlab/Jobs/SAST.gitlab-ci.yml"),
    ),
    (
        "Jobs/Dependency-Scanning.gitlab-ci.yml",
        include_str!("../../templates/gitlab/Jobs/Dependency-Scanning.gitlab-ci.yml"),
    ),
    (
        "Security/Coverage-Fuzzing.latest.gitlab-ci.yml",
        include_str!("../../templates/gitlab/Security/Coverage-Fuzzing.latest.gitlab-ci.yml"),
    ),
];

/// Where a vendored template is reported: a name that says it is GitLab's, ending in the
/// `templates/<name>` the include resolves to.
const PREFIX: &str = "(gitlab)/templates/";

/// The vendored templates the files include, transitively, that are not among them, as extra
/// files named `(gitlab)/templates/<name>` (owned strings: the caller adds them to the set).
pub(crate) fn vendored_includes(files: &[SourceFile<'_>]) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    let mut texts: Vec<&str> = files.iter().map(|f| f.text).collect();
    let mut next = 0;
    while next < texts.len() {
        let wanted = super::gitlab::includes(texts[next]);
        next += 1;
        for (path, _) in wanted {
            let Some(name) = path.strip_prefix("templates/") else {
                continue;
            };
            let given = files.iter().any(|f| {
                let n = f.name.replace('\\', "/");
                n == path || n.ends_with(&format!("/{path}"))
            }) || out.iter().any(|(n, _)| n.ends_with(&path));
            if given {
                continue;
            }
            if let Some((_, text)) = TEMPLATES.iter().find(|(t, _)| *t == name) {
                out.push((format!("{PREFIX}{name}"), text));
                texts.push(text);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::{Pipeline, PipelineFormat, SourceFile};

    /// `text` imported as a project's `.gitlab-ci.yml`, alone.
    fn root(text: &str) -> Result<Pipeline, String> {
        let files = [SourceFile {
            name: ".gitlab-ci.yml",
            text,
        }];
        Pipeline::import(&files, Some(PipelineFormat::Gitlab)).map_err(|e| e.to_string())
    }

    /// `include: template:` of a vendored template is read (its jobs and `workflow:rules`
    /// join the pipeline) and is not reported as missing.
    #[test]
    fn a_vendored_template_resolves() -> Result<(), String> {
        let text = "include:\n  - template: Security/Secret-Detection.gitlab-ci.yml\n  - template: Workflows/MergeRequest-Pipelines.gitlab-ci.yml\ntest:\n  script: [make test]\n";
        let p = root(text)?;
        let json = p.to_json_value().to_string();
        assert!(json.contains("secret_detection"), "{json}");
        let d = crate::Policy::builtin().check_pipeline(&p);
        assert!(!d.has("import/incomplete"), "{d}");
        Ok(())
    }

    /// A template that is not vendored is still reported as not read (`Security/SAST`: only a
    /// stale revision was available, see `core/templates/gitlab/SOURCES.md`).
    #[test]
    fn a_template_not_vendored_is_incomplete() -> Result<(), String> {
        let text =
            "include:\n  - template: Security/SAST.gitlab-ci.yml\ntest:\n  script: [make test]\n";
        let p = root(text)?;
        let d = crate::Policy::builtin().check_pipeline(&p);
        assert!(d.has("import/incomplete"), "{d}");
        Ok(())
    }

    /// The security job templates real pipelines include are read whole: their analyzer jobs
    /// join the pipeline, with nothing left unread.
    #[test]
    fn the_latest_security_templates_are_read_whole() -> Result<(), String> {
        for stable in [
            "Jobs/SAST.gitlab-ci.yml",
            "Jobs/Dependency-Scanning.gitlab-ci.yml",
            "Security/Coverage-Fuzzing.latest.gitlab-ci.yml",
        ] {
            let text = format!(
                "include:\n  - template: {stable}\nstages: [test, fuzz]\nfuzz:\n  extends: .fuzz_base\n  script: [./gitlab-cov-fuzz run -- ./fuzz]\n"
            );
            let p = root(&text)?;
            let d = crate::Policy::builtin().check_pipeline(&p);
            let fuzz = stable.contains("Fuzzing");
            // Without the fuzzing template `.fuzz_base` is missing: the only gap.
            assert_eq!(d.has("import/incomplete"), !fuzz, "{stable}: {d}");
        }
        let text = "include:\n  - template: Jobs/SAST.latest.gitlab-ci.yml\n  - template: Jobs/Dependency-Scanning.latest.gitlab-ci.yml\n  - template: Jobs/Secret-Detection.latest.gitlab-ci.yml\nworkflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n";
        let p = root(text)?;
        let json = p.to_json_value().to_string();
        for job in [
            "semgrep-sast",
            "gemnasium-dependency_scanning",
            "secret_detection",
        ] {
            assert!(json.contains(job), "{job}: {json}");
        }
        let d = crate::Policy::builtin().check_pipeline(&p);
        assert!(!d.has("import/incomplete"), "{d}");
        assert!(!d.has("import/unsupported"), "{d}");
        Ok(())
    }
}
