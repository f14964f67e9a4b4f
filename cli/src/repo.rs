//! `check repo [DIR]` (and `check pipeline DIR`): a repository's pipeline files, found by
//! `lockkeeper-fs` and checked by the core in one call.

use std::path::Path;
use std::process::ExitCode;

use lockkeeper::Policy;
use lockkeeper::pipeline::CheckOptions;
use lockkeeper::render::Output;

use crate::{Failure, load_policy};

/// What was asked.
pub(crate) struct Request<'a> {
    pub(crate) policy: Option<&'a str>,
    pub(crate) dir: &'a str,
    pub(crate) output: Output,
    pub(crate) allow_incomplete: bool,
    pub(crate) persona: &'a str,
}

pub(crate) fn check(request: &Request<'_>) -> Result<ExitCode, Failure> {
    let persona: lockkeeper::Persona = request
        .persona
        .parse()
        .map_err(|e| Failure(format!("error: {e}")))?;
    let policy = match request.policy {
        Some(path) => load_policy(path)?,
        None => Policy::builtin().clone(),
    };
    let options = CheckOptions {
        allow_incomplete: request.allow_incomplete,
        persona,
    };
    let (repo, mut decision) =
        lockkeeper_fs::repository::check(Path::new(request.dir), &policy, options).map_err(
            |e| {
                Failure(format!(
                    "error: cannot read the repository {}: {e}",
                    request.dir
                ))
            },
        )?;
    decision.stamp_now();
    Ok(crate::emit_check(&decision, request.output, |value| {
        value["files"] = serde_json::json!(
            repo.files
                .iter()
                .map(|f| repo.display_name(&f.path))
                .collect::<Vec<_>>()
        );
        value["skipped"] = serde_json::json!(
            repo.skipped
                .iter()
                .map(
                    |s| serde_json::json!({"path": repo.display_name(&s.path), "reason": s.reason})
                )
                .collect::<Vec<_>>()
        );
    }))
}
