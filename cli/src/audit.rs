//! `lockkeeper audit ...`: the file side of the audit log. The core computes and checks
//! entries from bytes; here the log file is locked, read, appended to with one write and
//! synced, so that a crash can at worst leave a torn last line, which the next append and
//! every verification report.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;
use lockkeeper::audit::{self, AuditError, Checkpoint, Entry};
use lockkeeper::keys::{PublicKey, SigningKey};

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
            let entry = append_file(Path::new(&log), &record, &key).map_err(|e| e.fail(&log))?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"seq": entry.seq(), "hash": entry.hash().to_string(),
                        "prev": entry.prev().to_string()})
                );
            } else {
                println!("{} {}", entry.seq(), entry.hash());
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
                        .map_err(|e| AppendError::Audit(e).fail(path))?,
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
                Err(AuditError::NotIntact(decision)) => {
                    eprintln!("error: {log} does not verify; no checkpoint was made");
                    return Ok(print_decision(&decision, false));
                }
                Err(e) => return Err(AppendError::Audit(e).fail(&log)),
            };
            let text = checkpoint.to_json() + "\n";
            match out {
                Some(path) => write_atomically(Path::new(&path), text.as_bytes())
                    .map_err(|e| Failure(format!("error: cannot write {path}: {e}")))?,
                None => print!("{text}"),
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

/// Why an append failed.
enum AppendError {
    Io(io::Error),
    Audit(AuditError),
}

impl AppendError {
    fn fail(self, path: &str) -> Failure {
        match self {
            AppendError::Io(e) => Failure(format!("error: {path}: {e}")),
            AppendError::Audit(e) => Failure(format!("error[{}]: {path}: {e}", e.code())),
        }
    }
}

/// Appends `record` to the log at `path`: under an exclusive lock (appenders queue rather than
/// fork the chain), after checking the last line, with a single write of the whole line,
/// synced before success is reported. A failed write is cut off again, so nothing partial is
/// left behind by an error we see; a crash can leave a torn line, which is then reported.
fn append_file(path: &Path, record: &[u8], key: &SigningKey) -> Result<Entry, AppendError> {
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(AppendError::Io)?;
    file.lock().map_err(AppendError::Io)?;
    let mut log = Vec::new();
    file.read_to_end(&mut log).map_err(AppendError::Io)?;
    let appended = audit::append(&log, record, key).map_err(AppendError::Audit)?;
    if let Err(e) = file
        .write_all(appended.line.as_bytes())
        .and_then(|()| file.sync_data())
    {
        let _ = file.set_len(log.len() as u64);
        return Err(AppendError::Io(e));
    }
    if log.is_empty() {
        // A new file: make its directory entry durable too.
        sync_dir(path).map_err(AppendError::Io)?;
    }
    Ok(appended.entry)
}

fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// Reads the log under a shared lock, so an append in progress is never seen half-written.
fn read_locked(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    file.lock_shared()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Writes through a temporary file and a rename, so a reader never sees half a checkpoint.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = Path::new(&tmp);
    let mut file = File::create(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(tmp, path)?;
    sync_dir(path)
}
