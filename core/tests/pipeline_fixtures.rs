//! Every Argo, GitLab CI, Zuul and GitHub Actions file of the shared corpus imports without
//! panic, and the check runs on it. What an importer cannot model must be reported as
//! `import/unsupported` with its file and line, and a file with no job or anything unsupported
//! is `import/incomplete`, a denial.
//!
//! The corpus is vendored in `testdata/fixtures` (see its README): Wikimedia's GPL-2.0 `zuul.d`
//! files were left out of it; `lockkeeper check pipeline --format zuul` reads them from a path.

use std::fs;
use std::path::{Path, PathBuf};

use lockkeeper::{Pipeline, PipelineFormat, Policy, SourceFile};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/fixtures")
}

fn files(dir: &str) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let dir = corpus().join(dir);
    let mut out: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| {
            format!(
                "cannot read {} (the vendored corpus, testdata/fixtures): {e}",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    out.sort();
    Ok(out)
}

/// Imports each file of `dir` alone, checks it with the built-in policy, and returns a summary
/// line per file.
fn import_all(
    dir: &str,
    format: PipelineFormat,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let policy = Policy::builtin();
    let mut summary = Vec::new();
    let list = files(dir)?;
    assert!(!list.is_empty(), "no fixtures in {dir}");
    for path in list {
        let text = fs::read_to_string(&path)?;
        let name = path.to_string_lossy().into_owned();
        let source = SourceFile {
            name: &name,
            text: &text,
        };
        match Pipeline::import(&[source], Some(format)) {
            Ok(pipeline) => {
                for u in pipeline.unsupported() {
                    assert_eq!(u.file, name, "unsupported entry names its file");
                    assert!(
                        u.location.is_some(),
                        "{name}: unsupported entry without a line: {u:?}"
                    );
                }
                let decision = policy.check_pipeline(&pipeline);
                let unsupported = decision
                    .violations()
                    .iter()
                    .filter(|v| v.code == "import/unsupported")
                    .count();
                assert_eq!(unsupported, pipeline.unsupported().len());
                // Never a pass on what was not read: no job, or anything unsupported, makes the
                // file incomplete and the check a denial; a file read whole is not incomplete.
                let incomplete = decision.has("import/incomplete");
                assert_eq!(
                    incomplete,
                    pipeline.is_empty() || unsupported > 0,
                    "{name}: import/incomplete iff no job or something unsupported"
                );
                assert!(!incomplete || !decision.allowed(), "{name}");
                summary.push(format!(
                    "{}: {} jobs, {} unsupported, codes {:?}",
                    path.file_name()
                        .and_then(|f| f.to_str())
                        .unwrap_or_default(),
                    pipeline.len(),
                    unsupported,
                    decision
                        .violations()
                        .iter()
                        .map(|v| v.code)
                        .filter(|c| *c != "import/unsupported")
                        .collect::<std::collections::BTreeSet<_>>()
                ));
            }
            Err(lockkeeper::Error::Import(e)) => {
                // Only a file that is not a valid pipeline of its format may fail, and it must
                // say where.
                let (_, first) = e.first();
                assert_eq!(first.code, "import/syntax", "{name}: {e}");
                summary.push(format!(
                    "{}: error {e}",
                    path.file_name()
                        .and_then(|f| f.to_str())
                        .unwrap_or_default()
                ));
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(summary)
}

#[test]
fn github_workflows_import() -> TestResult {
    let s = import_all("github-actions", PipelineFormat::Github)?;
    println!("{}", s.join("\n"));
    assert!(s.iter().all(|l| !l.contains(": error ")), "{s:#?}");
    Ok(())
}

#[test]
fn gitlab_files_import() -> TestResult {
    let s = import_all("gitlab-ci", PipelineFormat::Gitlab)?;
    println!("{}", s.join("\n"));
    Ok(())
}

#[test]
fn zuul_files_import() -> TestResult {
    let s = import_all("zuul", PipelineFormat::Zuul)?;
    println!("{}", s.join("\n"));
    Ok(())
}

#[test]
fn argo_files_import() -> TestResult {
    let s = import_all("argo", PipelineFormat::Argo)?;
    println!("{}", s.join("\n"));
    Ok(())
}
