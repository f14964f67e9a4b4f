//! `lockkeeper audit ...`: the file side of the audit log. The core computes and checks
//! entries from bytes; here the log file is locked, read, appended to with one write and
//! synced, so that a crash can at worst leave a torn last line, which the next append and
//! every verification report.

use std::fs;
use std::io::{self, Read as _};
use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;
use lockkeeper::audit::{self, AuditError, Checkpoint};
use lockkeeper::keys::{PublicKey, SigningKey};

use lockkeeper_fs::{AppendError, append_audit, read_locked, write_atomically};

use crate::{Failure, print_decision, read};

#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// Append one JSON object read from stdin (normally a decision, kept as given) to the log,
    /// signed with KEY; prints the new entry's seq and hash.
    Append {
        /// The log file (JSON Lines); created if missing.
        #[arg(long)]
        log: String,
        /// The service's private key (PKCS#8 PEM).
        #[arg(long)]
        key: String,
        /// Print `{"seq", "hash", "prev"}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify every entry of the log with the service's public key (and against a checkpoint).
    Verify {
        /// The log file.
        #[arg(long)]
        log: String,
        /// The service's public key (PEM, securesystemslib JSON or hex).
        #[arg(long = "pub")]
        public: String,
        /// A checkpoint kept from earlier: detects entries cut from the end.
        #[arg(long)]
        checkpoint: Option<String>,
        /// Print the decision as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify the log, then sign a checkpoint of it (entry count and head hash).
    Checkpoint {
        /// The log file.
        #[arg(long)]
        log: String,
        /// The service's private key (PKCS#8 PEM).
        #[arg(long)]
        key: String,
        /// Write the checkpoint to this file (atomically) instead of stdout.
        #[arg(long)]
        out: Option<String>,
    },
}

pub(crate) fn run(command: AuditCommand) -> Result<ExitCode, Failure> {
    match command {
        AuditCommand::Append { log, key, json } => {
            let key = signing_key(&key)?;
            let mut record = Vec::new();
            io::stdin()
                .read_to_end(&mut record)
                .map_err(|e| Failure(format!("error: cannot read stdin: {e}")))?;
            let entry = append_audit(Path::new(&log), &record, &key)
                .map_err(|e| append_failure(e, &log))?;
            if json {
                outln!(
                    "{}",
                    serde_json::json!({"seq": entry.seq(), "hash": entry.hash().to_string(),
                        "prev": entry.prev().to_string()})
                );
            } else {
                outln!("{} {}", entry.seq(), entry.hash());
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify {
            log,
            public,
            checkpoint,
            json,
        } => {
            let key = PublicKey::parse(&read(&public)?)
                .map_err(|e| Failure(format!("error[input/invalid-key]: {public}: {e}")))?;
            let checkpoint = match &checkpoint {
                Some(path) => Some(
                    Checkpoint::from_json(&read_file(path)?)
                        .map_err(|e| append_failure(AppendError::Audit(e), path))?,
                ),
                None => None,
            };
            let bytes = read_locked(Path::new(&log))
                .map_err(|e| Failure(format!("error: cannot read {log}: {e}")))?;
            let decision = audit::verify(&bytes, &key, checkpoint.as_ref());
            Ok(print_decision(&decision, json))
        }
        AuditCommand::Checkpoint { log, key, out } => {
            let key = signing_key(&key)?;
            let bytes = read_locked(Path::new(&log))
                .map_err(|e| Failure(format!("error: cannot read {log}: {e}")))?;
            let checkpoint = match audit::checkpoint(&bytes, &key) {
                Ok(c) => c,
                Err(AuditError::NotIntact { decision, .. }) => {
                    eprintln!("error: {log} does not verify; no checkpoint was made");
                    return Ok(print_decision(&decision, false));
                }
                Err(e) => return Err(append_failure(AppendError::Audit(e), &log)),
            };
            let text = checkpoint.to_json() + "\n";
            match out {
                Some(path) => write_atomically(Path::new(&path), text.as_bytes())
                    .map_err(|e| Failure(format!("error: cannot write {path}: {e}")))?,
                None => out!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn signing_key(path: &str) -> Result<SigningKey, Failure> {
    SigningKey::from_pem(&read(path)?)
        .map_err(|e| Failure(format!("error[input/invalid-key]: {path}: {e}")))
}

fn read_file(path: &str) -> Result<Vec<u8>, Failure> {
    fs::read(path).map_err(|e| Failure(format!("error: cannot read {path}: {e}")))
}

/// An append failure as a CLI error (exit 2), with the rule code where there is one.
fn append_failure(e: AppendError, path: &str) -> Failure {
    match e {
        AppendError::Io(e) => Failure(format!("error: {path}: {e}")),
        AppendError::Audit(e) => Failure(format!("error[{}]: {path}: {e}", e.code())),
    }
}
