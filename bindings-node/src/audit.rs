//! The audit log for Node. `AuditLog` does the file side (an exclusive lock, one appending
//! write, fsync); the core computes and checks every entry.

use std::io;
use std::path::Path;

use lockkeeper::audit::{self, AuditError, Checkpoint, Entry};
use lockkeeper_fs::{AppendError, append_audit, read_locked};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{Value, json};

use crate::attestation::{PublicKey, SigningKey};
use crate::decision::Decision;
use crate::error::{js_error, to_js};

/// A core audit error as a JavaScript error: problems with the log throw `AuditLogError`
/// (with `code` and `line`), unreadable records and checkpoints `InvalidRequestError`.
fn audit_error(env: &Env, error: AuditError) -> Error {
    if matches!(error, AuditError::Record(_) | AuditError::Checkpoint(_)) {
        return to_js(env, error.into());
    }
    js_error(
        env,
        "AuditLogError",
        error.code().as_str(),
        error.to_string(),
        json!({"line": error.line()}),
    )
}

fn io_failure(what: &str, path: &str, e: io::Error) -> Error {
    Error::new(Status::GenericFailure, format!("cannot {what} {path}: {e}"))
}

/// One entry of the log.
#[napi(object)]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: i64,
    /// `sha256:<hex>` of the entry.
    pub hash: String,
    /// The hash of the entry before it (all zeros for the first).
    pub prev: String,
    /// The record, as given.
    #[napi(ts_type = "Record<string, unknown>")]
    pub record: Value,
}

impl From<Entry> for AuditEntry {
    fn from(e: Entry) -> Self {
        AuditEntry {
            seq: i64::try_from(e.seq()).unwrap_or(i64::MAX),
            hash: e.hash().to_string(),
            prev: e.prev().to_string(),
            record: Value::Object(e.record().clone()),
        }
    }
}

/// A signed checkpoint: the log's entry count and head hash.
#[napi]
pub struct AuditCheckpoint {
    inner: Checkpoint,
}

#[napi]
impl AuditCheckpoint {
    /// Reads a checkpoint, as `toJson()` writes it.
    #[napi(factory)]
    pub fn from_json(env: Env, data: Either<String, Buffer>) -> Result<AuditCheckpoint> {
        Checkpoint::from_json(&crate::attestation::bytes(data))
            .map(|inner| AuditCheckpoint { inner })
            .map_err(|e| audit_error(&env, e))
    }

    /// Number of entries the log had.
    #[napi(getter)]
    pub fn count(&self) -> i64 {
        i64::try_from(self.inner.count()).unwrap_or(i64::MAX)
    }

    /// Hash of its last entry.
    #[napi(getter)]
    pub fn head(&self) -> String {
        self.inner.head().to_string()
    }

    /// One line of JSON, to keep where the log's writer cannot change it.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The JSON form as an object (used by `JSON.stringify`).
    #[napi(
        js_name = "toJSON",
        ts_return_type = "{ count: number; head: string; sig: string }"
    )]
    pub fn to_json_value(&self) -> Value {
        self.inner.to_json_value()
    }
}

/// An append-only, hash-chained, signed JSON Lines log on disk.
#[napi]
pub struct AuditLog {
    path: String,
}

#[napi]
impl AuditLog {
    /// A log at `path` (created by the first append).
    #[napi(constructor)]
    pub fn new(path: String) -> AuditLog {
        AuditLog { path }
    }

    /// The log file.
    #[napi(getter)]
    pub fn path(&self) -> String {
        self.path.clone()
    }

    /// Appends `record` (one JSON object, or its JSON text) signed with `key`. Throws an
    /// `AuditLogError` if the last line is torn, broken or signed by another key.
    #[napi]
    pub fn append(
        &self,
        env: Env,
        #[napi(ts_arg_type = "Record<string, unknown> | string")] record: Value,
        key: &SigningKey,
    ) -> Result<AuditEntry> {
        let bytes = match record {
            Value::String(text) => text.into_bytes(),
            other => other.to_string().into_bytes(),
        };
        match append_audit(Path::new(&self.path), &bytes, &key.inner) {
            Ok(entry) => Ok(entry.into()),
            Err(AppendError::Io(e)) => Err(io_failure("append to", &self.path, e)),
            Err(AppendError::Audit(e)) => Err(audit_error(&env, e)),
        }
    }

    /// Verifies the whole log, then signs a checkpoint of it with `key`.
    #[napi]
    pub fn checkpoint(&self, env: Env, key: &SigningKey) -> Result<AuditCheckpoint> {
        let log =
            read_locked(Path::new(&self.path)).map_err(|e| io_failure("read", &self.path, e))?;
        audit::checkpoint(&log, &key.inner)
            .map(|inner| AuditCheckpoint { inner })
            .map_err(|e| audit_error(&env, e))
    }

    /// Verifies every entry with `publicKey` (and against `checkpoint`, kept from earlier):
    /// allowed exactly when the log is intact, each problem a violation with its `line`.
    #[napi]
    pub fn verify(
        &self,
        public_key: &PublicKey,
        checkpoint: Option<&AuditCheckpoint>,
    ) -> Result<Decision> {
        let log =
            read_locked(Path::new(&self.path)).map_err(|e| io_failure("read", &self.path, e))?;
        Ok(audit::verify(&log, &public_key.inner, checkpoint.map(|c| &c.inner)).into())
    }
}
