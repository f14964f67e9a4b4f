//! Finding a repository's pipeline files on disk, for `check repo` and the bindings'
//! `check_repository`: the walk and the reading are here, what counts as a pipeline file and
//! what a file names are the core's ([`lockkeeper::repository`]), and so is the check.

use std::fs::{self, File};
use std::io::{self, Read as _};
use std::path::Path;

use lockkeeper::PipelineFormat;
use lockkeeper::repository::{
    EXCLUDED_DIRS, Manifest, RepoFile, Repository, Skipped, argo_manifest, pipeline_path,
    references,
};

/// How far discovery goes; past any of these it stops and says so (the check is then
/// incomplete), so a huge tree costs bounded time and memory and nothing is silently missed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Directory entries visited in the walk.
    pub max_entries: usize,
    /// Bytes of one file.
    pub max_file_bytes: u64,
    /// Bytes read in all (pipeline files and YAML files scanned for Argo manifests).
    pub max_total_bytes: u64,
    /// YAML files outside the known places read to look for Argo manifests.
    pub max_scanned: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 200_000,
            max_file_bytes: 4 * 1024 * 1024,
            max_total_bytes: 256 * 1024 * 1024,
            max_scanned: 5_000,
        }
    }
}

/// [`discover_with`] with the default [`Limits`].
pub fn discover(dir: &Path) -> io::Result<Repository> {
    discover_with(dir, Limits::default())
}

/// Walks the repository at `dir` (not entering [`EXCLUDED_DIRS`] nor following symbolic links
/// to directories) and reads its pipeline files: GitHub workflows and local actions, GitLab's
/// `.gitlab-ci.yml`, Zuul's configuration, Argo manifests anywhere in the tree, and what those
/// name (local actions and reusable workflows a workflow `uses: ./`, GitLab local includes).
/// Fails only when `dir` is not a readable directory; anything else that cannot be read is
/// in [`Repository::skipped`].
pub fn discover_with(dir: &Path, limits: Limits) -> io::Result<Repository> {
    if !fs::metadata(dir)?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", dir.display()),
        ));
    }
    let mut repo = Repository {
        root: dir.to_string_lossy().into_owned(),
        ..Repository::default()
    };
    let tree = walk(dir, limits, &mut repo.skipped)?;
    let mut budget = Budget {
        left: limits.max_total_bytes,
        stopped: false,
    };
    let mut scanned = 0usize;
    for rel in &tree {
        if let Some(format) = pipeline_path(rel) {
            if let Some(bytes) = read(dir, rel, limits, &mut budget, &mut repo.skipped) {
                repo.files.push(RepoFile {
                    path: rel.clone(),
                    format,
                    bytes,
                });
            }
            continue;
        }
        if !(rel.ends_with(".yml") || rel.ends_with(".yaml")) {
            continue;
        }
        if scanned == limits.max_scanned {
            repo.skipped.push(Skipped {
                path: rel.clone(),
                reason: format!(
                    "the scan for Argo manifests stopped after {} YAML files; this file and those after it were not looked at",
                    limits.max_scanned
                ),
            });
            scanned += 1;
            continue;
        }
        if scanned > limits.max_scanned {
            continue;
        }
        scanned += 1;
        let Some(bytes) = read(dir, rel, limits, &mut budget, &mut repo.skipped) else {
            continue;
        };
        match argo_manifest(&String::from_utf8_lossy(&bytes)) {
            Manifest::Argo => repo.files.push(RepoFile {
                path: rel.clone(),
                format: PipelineFormat::Argo,
                bytes,
            }),
            Manifest::Unreadable => repo.skipped.push(Skipped {
                path: rel.clone(),
                reason: "it names an Argo workflow kind but is not YAML (a template?)".into(),
            }),
            Manifest::Other => {}
        }
    }
    // What the files found name, transitively (a composite action using another).
    let mut next = 0;
    while next < repo.files.len() {
        let (format, text, from) = {
            let f = &repo.files[next];
            (
                f.format,
                String::from_utf8_lossy(&f.bytes).into_owned(),
                f.path.clone(),
            )
        };
        next += 1;
        let refs = references(format, &text, &tree);
        for (wanted, why) in refs.missing {
            let path = format!("{from} -> {wanted}");
            if !repo.skipped.iter().any(|s| s.path == path) {
                repo.skipped.push(Skipped { path, reason: why });
            }
        }
        for rel in refs.found {
            if repo.files.iter().any(|f| f.path == rel) {
                continue;
            }
            if let Some(bytes) = read(dir, &rel, limits, &mut budget, &mut repo.skipped) {
                repo.files.push(RepoFile {
                    path: rel,
                    format,
                    bytes,
                });
            }
        }
    }
    Ok(repo)
}

/// Discovers the repository at `dir` and checks it: what the bindings' `check_repository` and
/// `check pipeline DIR` call, one call for a front end. Returns what was found with the decision
/// (the CLI lists the files and what was skipped in its JSON).
pub fn check(
    dir: &Path,
    policy: &lockkeeper::Policy,
    options: lockkeeper::pipeline::CheckOptions,
) -> io::Result<(Repository, lockkeeper::Decision)> {
    let repo = discover(dir)?;
    let decision = policy.check_repository(&repo, options);
    Ok((repo, decision))
}

struct Budget {
    left: u64,
    stopped: bool,
}

/// Reads one file within the limits; what cannot be read is recorded as skipped.
fn read(
    dir: &Path,
    rel: &str,
    limits: Limits,
    budget: &mut Budget,
    skipped: &mut Vec<Skipped>,
) -> Option<Vec<u8>> {
    let mut skip = |reason: String| {
        skipped.push(Skipped {
            path: rel.to_owned(),
            reason,
        });
        None
    };
    if budget.stopped {
        return skip("discovery had already read its limit of bytes".into());
    }
    let file = match File::open(dir.join(rel)) {
        Ok(f) => f,
        Err(e) => return skip(format!("cannot read it: {e}")),
    };
    let cap = limits.max_file_bytes.min(budget.left);
    let mut bytes = Vec::new();
    if let Err(e) = file.take(cap.saturating_add(1)).read_to_end(&mut bytes) {
        return skip(format!("cannot read it: {e}"));
    }
    if bytes.len() as u64 > cap {
        if cap < limits.max_file_bytes {
            budget.stopped = true;
            return skip(format!(
                "discovery reads at most {} bytes in all",
                limits.max_total_bytes
            ));
        }
        return skip(format!(
            "larger than {} bytes, the limit for one file",
            limits.max_file_bytes
        ));
    }
    budget.left -= bytes.len() as u64;
    Some(bytes)
}

/// Every file under `dir` (relative, `/`-separated, sorted), within the entry limit.
fn walk(dir: &Path, limits: Limits, skipped: &mut Vec<Skipped>) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack: Vec<String> = vec![String::new()];
    let mut seen = 0usize;
    while let Some(rel) = stack.pop() {
        let here = if rel.is_empty() {
            dir.to_path_buf()
        } else {
            dir.join(&rel)
        };
        let entries = match fs::read_dir(&here) {
            Ok(e) => e,
            // The root itself must be readable; a subdirectory that is not is a gap.
            Err(e) if rel.is_empty() => return Err(e),
            Err(e) => {
                skipped.push(Skipped {
                    path: rel,
                    reason: format!("cannot list the directory: {e}"),
                });
                continue;
            }
        };
        let mut names: Vec<(String, bool)> = Vec::new();
        for entry in entries {
            seen += 1;
            if seen > limits.max_entries {
                skipped.push(Skipped {
                    path: if rel.is_empty() { ".".into() } else { rel },
                    reason: format!(
                        "the walk stopped after {} directory entries; the rest of the tree was not looked at",
                        limits.max_entries
                    ),
                });
                out.sort();
                return Ok(out);
            }
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    skipped.push(Skipped {
                        path: if rel.is_empty() {
                            ".".into()
                        } else {
                            rel.clone()
                        },
                        reason: format!("an entry of the directory cannot be read: {e}"),
                    });
                    continue;
                }
            };
            let Ok(name) = entry.file_name().into_string() else {
                skipped.push(Skipped {
                    path: format!("{rel}/{}", entry.file_name().to_string_lossy()),
                    reason: "its name is not UTF-8".into(),
                });
                continue;
            };
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            // A symbolic link is followed to a file, never to a directory (no loops, no leaving
            // the tree by a link).
            let Ok(kind) = entry.file_type() else {
                skipped.push(Skipped {
                    path,
                    reason: "its file type cannot be read".into(),
                });
                continue;
            };
            let is_dir = kind.is_dir();
            let is_file = kind.is_file()
                || (kind.is_symlink() && fs::metadata(entry.path()).is_ok_and(|m| m.is_file()));
            if is_dir && EXCLUDED_DIRS.contains(&name.as_str()) {
                continue;
            }
            if is_dir || is_file {
                names.push((path, is_dir));
            }
        }
        names.sort();
        for (path, is_dir) in names.into_iter().rev() {
            if is_dir {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    type R = Result<(), Box<dyn std::error::Error>>;

    fn tree(name: &str, files: &[(&str, &str)]) -> Result<PathBuf, Box<dyn std::error::Error>> {
        let dir =
            std::env::temp_dir().join(format!("lockkeeper-repo-{}-{name}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        for (path, text) in files {
            let p = dir.join(path);
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(p, text)?;
        }
        fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    #[test]
    fn finds_every_format_and_what_workflows_name() -> R {
        let dir = tree(
            "all",
            &[
                (
                    ".github/workflows/ci.yml",
                    "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: ./tools/setup\n      - uses: ./gone\n",
                ),
                (".github/workflows/nested/old.yml", "on: push\n"),
                (
                    ".github/actions/cache/action.yml",
                    "runs: {using: composite, steps: []}\n",
                ),
                (
                    "tools/setup/action.yaml",
                    "runs: {using: composite, steps: [{uses: ./tools/inner}]}\n",
                ),
                (
                    "tools/inner/action.yml",
                    "runs: {using: composite, steps: []}\n",
                ),
                (".gitlab-ci.yml", "include: [{local: /ci/*.yml}]\n"),
                ("ci/build.yml", "build: {script: [make]}\n"),
                ("zuul.d/jobs.yaml", "- job: {name: x}\n"),
                (
                    "deploy/wf.yaml",
                    "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec: {}\n",
                ),
                (
                    "deploy/app.yaml",
                    "apiVersion: argoproj.io/v1alpha1\nkind: Application\n",
                ),
                (
                    "chart/templates/wf.yaml",
                    "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\n{{ .Values }}\n",
                ),
                (
                    "node_modules/x/wf.yaml",
                    "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\n",
                ),
            ],
        )?;
        let repo = discover(&dir)?;
        let found: Vec<(&str, PipelineFormat)> = repo
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.format))
            .collect();
        assert_eq!(
            found,
            [
                (".github/actions/cache/action.yml", PipelineFormat::Github),
                (".github/workflows/ci.yml", PipelineFormat::Github),
                (".gitlab-ci.yml", PipelineFormat::Gitlab),
                ("deploy/wf.yaml", PipelineFormat::Argo),
                ("zuul.d/jobs.yaml", PipelineFormat::Zuul),
                ("tools/setup/action.yaml", PipelineFormat::Github),
                ("ci/build.yml", PipelineFormat::Gitlab),
                ("tools/inner/action.yml", PipelineFormat::Github),
            ]
        );
        let skipped: Vec<&str> = repo.skipped.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(
            skipped,
            [
                "chart/templates/wf.yaml",
                ".github/workflows/ci.yml -> gone"
            ]
        );
        fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn limits_are_reported_not_silent() -> R {
        let dir = tree(
            "limits",
            &[
                (".github/workflows/a.yml", "on: push\njobs: {}\n"),
                (".github/workflows/b.yml", &"#".repeat(100)),
                ("x/1.yaml", "a: 1\n"),
                ("x/2.yaml", "a: 1\n"),
            ],
        )?;
        let limits = Limits {
            max_file_bytes: 50,
            max_scanned: 1,
            ..Limits::default()
        };
        let repo = discover_with(&dir, limits)?;
        assert_eq!(repo.files.len(), 1);
        let skipped: Vec<&str> = repo.skipped.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(skipped, [".github/workflows/b.yml", "x/2.yaml"]);
        let few = Limits {
            max_entries: 2,
            ..Limits::default()
        };
        assert!(
            discover_with(&dir, few)?
                .skipped
                .iter()
                .any(|s| s.reason.contains("walk stopped"))
        );
        assert!(discover(&dir.join(".github/workflows/a.yml")).is_err());
        fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
