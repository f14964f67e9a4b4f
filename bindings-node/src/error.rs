//! Core errors as JavaScript `Error` objects carrying `code` (and, for policies, `path`, `line`,
//! `column` and `problems`), so a Gerrit bot can branch on `err.code`.

use napi::bindgen_prelude::*;
use serde_json::{Value, json};

/// Builds an `Error` with `name`, `code` and extra properties, ready to be thrown.
pub(crate) fn js_error(env: &Env, name: &str, code: &str, message: String, extra: Value) -> Error {
    let build = || -> Result<Error> {
        let mut obj = env.create_error(Error::new(Status::GenericFailure, message.clone()))?;
        obj.set("name", name)?;
        obj.set("code", code)?;
        if let Value::Object(map) = extra {
            for (k, v) in map {
                obj.set(k, v)?;
            }
        }
        Ok(Error::from(obj.to_unknown()))
    };
    build().unwrap_or_else(|e| e)
}

/// A policy's problems as a `PolicyError`; `origin` (a file name) prefixes positions.
/// An error reading a policy: its problems as a `PolicyError`, anything else as `to_js` does.
pub(crate) fn policy_error(env: &Env, error: lockkeeper::Error, origin: &str) -> Error {
    match error {
        lockkeeper::Error::Problems(p) => problems_error(env, &p, origin),
        other => to_js(env, other),
    }
}

fn problems_error(env: &Env, problems: &lockkeeper::Problems, origin: &str) -> Error {
    let first = problems.first();
    let extra = json!({
        "path": first.path.to_string(),
        "line": first.location.map(|l| l.line),
        "column": first.location.map(|l| l.column),
        "problems": problems,
    });
    js_error(
        env,
        "PolicyError",
        first.code.as_str(),
        problems.render(origin).trim_end().to_owned(),
        extra,
    )
}

/// Any core error as the matching JavaScript error.
pub(crate) fn to_js(env: &Env, error: lockkeeper::Error) -> Error {
    let code = error.code();
    match error {
        lockkeeper::Error::Problems(p) => problems_error(env, &p, "policy"),
        lockkeeper::Error::NotVerified(e) => js_error(
            env,
            "VerificationError",
            code.as_str(),
            e.to_string(),
            json!({"keyids": e.keyids()}),
        ),
        lockkeeper::Error::Import(e) => pipeline_error(env, &e),
        other => js_error(
            env,
            "InvalidRequestError",
            code.as_str(),
            other.to_string(),
            Value::Null,
        ),
    }
}

/// Pipeline files that could not be imported, as a `PipelineError` with `code`, `file`,
/// `path`, `line`, `column` of the first problem and `problems` (each with its `file`).
pub(crate) fn pipeline_error(env: &Env, error: &lockkeeper::ImportError) -> Error {
    let (file, first) = error.first();
    let problems: Vec<Value> = error
        .files()
        .flat_map(|f| {
            f.problems.iter().map(|p| {
                let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
                v["file"] = json!(f.file);
                v
            })
        })
        .collect();
    let extra = json!({
        "file": file,
        "path": first.path.to_string(),
        "line": first.location.map(|l| l.line),
        "column": first.location.map(|l| l.column),
        "problems": problems,
    });
    js_error(
        env,
        "PipelineError",
        error.code().as_str(),
        error.render().trim_end().to_owned(),
        extra,
    )
}
