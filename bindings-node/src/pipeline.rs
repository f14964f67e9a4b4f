//! `Pipeline`: import pipeline files (native, Argo, GitLab CI, Zuul, GitHub Actions) and check
//! them against a policy, or against the built-in defaults.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{Value, json};

use crate::decision::Decision;
use crate::error::{js_error, policy_error, to_js};
use crate::policy::Policy;

fn format(env: &Env, format: Option<&str>) -> Result<Option<lockkeeper::PipelineFormat>> {
    format
        .map_or(Ok(None), lockkeeper::PipelineFormat::named)
        .map_err(|e| {
            js_error(
                env,
                "TypeError",
                "invalid-format",
                e.to_string(),
                Value::Null,
            )
        })
}

fn read(paths: &[String], include_dir: Option<&str>) -> Result<Vec<(String, String)>> {
    lockkeeper_fs::read_pipeline_files(paths, include_dir.map(std::path::Path::new)).map_err(|e| {
        Error::new(
            Status::InvalidArg,
            format!("cannot read {}: {}", e.path.display(), e.error),
        )
    })
}

fn import(env: &Env, texts: &[(String, String)], fmt: Option<&str>) -> Result<Pipeline> {
    let fmt = format(env, fmt)?;
    lockkeeper::Pipeline::import_named(texts, fmt)
        .map(|inner| Pipeline { inner })
        .map_err(|e| to_js(env, e))
}

/// A pipeline read from files or text, ready to be checked.
#[napi]
pub struct Pipeline {
    pub(crate) inner: lockkeeper::Pipeline,
}

#[napi]
impl Pipeline {
    /// Reads one pipeline file; `format` is `auto` (by path and content, the default) or a name;
    /// `includeDir` serves GitLab includes from elsewhere (see `fromFiles`).
    #[napi(factory)]
    pub fn from_file(
        env: Env,
        path: String,
        format: Option<String>,
        include_dir: Option<String>,
    ) -> Result<Pipeline> {
        import(
            &env,
            &read(&[path], include_dir.as_deref())?,
            format.as_deref(),
        )
    }

    /// Reads several files into one pipeline (files of one format are imported together).
    /// `includeDir` is where GitLab includes from elsewhere are read, as the CLI's
    /// `--include-dir` (docs/pipelines.md has the layout).
    #[napi(factory)]
    pub fn from_files(
        env: Env,
        paths: Vec<String>,
        format: Option<String>,
        include_dir: Option<String>,
    ) -> Result<Pipeline> {
        import(
            &env,
            &read(&paths, include_dir.as_deref())?,
            format.as_deref(),
        )
    }

    /// Reads a pipeline from YAML (or JSON) text; `format` defaults to lockkeeper's own.
    #[napi(factory)]
    pub fn from_yaml(
        env: Env,
        text: String,
        format: Option<String>,
        name: Option<String>,
    ) -> Result<Pipeline> {
        let name = name.unwrap_or_else(|| "<yaml>".to_owned());
        import(
            &env,
            &[(name, text)],
            Some(format.as_deref().unwrap_or("native")),
        )
    }

    /// The files it was read from.
    #[napi(getter)]
    pub fn files(&self) -> Vec<String> {
        self.inner.files().to_vec()
    }

    /// How many jobs.
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }

    /// Every job (name, file, line, trigger, zone, contexts, needs, consumes, produces,
    /// secrets, publishes, runs_repo_code, deploys).
    #[napi(getter, ts_return_type = "Array<Record<string, unknown>>")]
    pub fn jobs(&self) -> Value {
        self.inner.to_json_value()["jobs"].take()
    }

    /// What the importers could not model (each is reported by the check).
    #[napi(
        getter,
        ts_return_type = "Array<{ file: string; line?: number; column?: number; path: string; message: string }>"
    )]
    pub fn unsupported(&self) -> Value {
        self.inner.to_json_value()["unsupported"].take()
    }

    /// The whole model (used by `JSON.stringify`).
    #[napi(js_name = "toJSON", ts_return_type = "Record<string, unknown>")]
    pub fn to_json_value(&self) -> Value {
        self.inner.to_json_value()
    }
}

fn parse_persona(name: Option<&str>) -> Result<lockkeeper::Persona> {
    name.unwrap_or("regular")
        .parse()
        .map_err(|e: String| Error::new(Status::InvalidArg, e))
}

/// Checks a pipeline against `policy`, or the built-in policy when it is omitted, showing the
/// findings `persona` sees (`regular`, the default, `pedantic` or `auditor`). An incomplete
/// reading (`import/incomplete`) is denied unless `allowIncomplete`.
#[napi]
pub fn check_pipeline(
    pipeline: &Pipeline,
    policy: Option<&Policy>,
    persona: Option<String>,
    allow_incomplete: Option<bool>,
) -> Result<Decision> {
    let persona = parse_persona(persona.as_deref())?;
    let options = lockkeeper::pipeline::CheckOptions {
        allow_incomplete: allow_incomplete.unwrap_or(false),
        persona,
    };
    Ok(match policy {
        Some(p) => p.inner.check_pipeline_with(&pipeline.inner, options).into(),
        None => lockkeeper::Policy::builtin()
            .check_pipeline_with(&pipeline.inner, options)
            .into(),
    })
}

/// Imports the pipeline file(s) at `path` and checks them against `policy` (a `Policy`, a
/// policy file, or null for the built-in defaults), counting the findings `persona` sees; throws
/// an `AssertionError` listing every violation, so a repository's test is one line. A single
/// directory is checked as a repository (`checkRepository`).
#[napi]
pub fn assert_pipeline_safe(
    env: Env,
    policy: Option<Either<&Policy, String>>,
    path: Either<String, Vec<String>>,
    format: Option<String>,
    persona: Option<String>,
    allow_incomplete: Option<bool>,
) -> Result<()> {
    let persona = parse_persona(persona.as_deref())?;
    let owned;
    let policy: &lockkeeper::Policy = match &policy {
        Some(Either::A(p)) => &p.inner,
        Some(Either::B(file)) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Error::new(Status::InvalidArg, format!("cannot read {file}: {e}")))?;
            owned = lockkeeper::Policy::parse(&text, lockkeeper::Format::for_path(file, &text))
                .map_err(|p| policy_error(&env, p, file))?;
            &owned
        }
        None => lockkeeper::Policy::builtin(),
    };
    let paths = match path {
        Either::A(p) => vec![p],
        Either::B(ps) => ps,
    };
    let options = lockkeeper::pipeline::CheckOptions {
        allow_incomplete: allow_incomplete.unwrap_or(false),
        persona,
    };
    let decision = match &paths[..] {
        // One directory: the repository's pipeline files, as `checkRepository` finds them.
        [dir]
            if matches!(format.as_deref(), None | Some("auto"))
                && std::path::Path::new(dir).is_dir() =>
        {
            repository(dir, policy, options)?
        }
        _ => {
            let pipeline = import(&env, &read(&paths, None)?, format.as_deref())?;
            policy.check_pipeline_with(&pipeline.inner, options)
        }
    };
    if decision.allowed() {
        return Ok(());
    }
    let message = lockkeeper::render::violation_list(&decision);
    Err(js_error(
        &env,
        "AssertionError",
        "ERR_ASSERTION",
        message,
        json!({ "violations": decision.to_json_value()["violations"] }),
    ))
}

fn repository(
    dir: &str,
    policy: &lockkeeper::Policy,
    options: lockkeeper::pipeline::CheckOptions,
) -> Result<lockkeeper::Decision> {
    lockkeeper_fs::repository::check(std::path::Path::new(dir), policy, options)
        .map(|(_, decision)| decision)
        .map_err(|e| Error::new(Status::InvalidArg, format!("cannot read {dir}: {e}")))
}

/// Finds every pipeline file of the repository at `path` (GitHub workflows and local actions,
/// GitLab CI and its local includes, Zuul, Argo manifests) and checks each format's files
/// together against `policy` (the built-in one when omitted), showing the findings `persona`
/// sees, as `lockkeeper check repo` does. A repository with no pipeline file, or with a file
/// that could not be read, is denied (`import/incomplete`) unless `allowIncomplete`.
#[napi]
pub fn check_repository(
    path: String,
    policy: Option<&Policy>,
    persona: Option<String>,
    allow_incomplete: Option<bool>,
) -> Result<Decision> {
    let options = lockkeeper::pipeline::CheckOptions {
        allow_incomplete: allow_incomplete.unwrap_or(false),
        persona: parse_persona(persona.as_deref())?,
    };
    let policy = match policy {
        Some(p) => &p.inner,
        None => lockkeeper::Policy::builtin(),
    };
    repository(&path, policy, options).map(Decision::from)
}
