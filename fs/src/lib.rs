//! File handling shared by the front ends. The core parses bytes and never touches files;
//! appending to the audit log must nevertheless be crash-safe in the CLI, the Python binding and
//! the Node binding alike, and an OCI layout must be read the same lazy, bounded way by all
//! three, so both are written once, here.
#![forbid(unsafe_code)]

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::Path;

use lockkeeper::audit::{self, AuditError, Entry};
use lockkeeper::keys::SigningKey;

/// Why an append failed.
#[derive(Debug)]
pub enum AppendError {
    /// The file could not be opened, locked, read, written or synced.
    Io(io::Error),
    /// The log's last line or the record was refused (a torn tail, a foreign key, not an object).
    Audit(AuditError),
}

/// Appends `record` to the audit log at `path`: under an exclusive lock (appenders queue rather
/// than fork the chain), after checking the last line, with a single write of the whole line,
/// synced before success is reported. A failed write is cut off again, so nothing partial is
/// left behind by an error we see; a crash can leave a torn line, which is then reported.
pub fn append_audit(path: &Path, record: &[u8], key: &SigningKey) -> Result<Entry, AppendError> {
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

/// Reads a file under a shared lock, so an append in progress is never seen half-written.
pub fn read_locked(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    file.lock_shared()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = Path::new(&tmp);
    let mut file = File::create(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(tmp, path)?;
    sync_dir(path)
}

/// Syncs the directory holding `path`, so a new or renamed entry survives a crash.
fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// Reads an OCI image layout directory lazily: only the files the core asks for, and never more
/// bytes of one than the core's limit, so a huge or hostile blob costs nothing. A missing file is
/// `None` (the core reports what it lacked); any other read error is the core's to report too.
pub fn read_layout(dir: &Path) -> io::Result<lockkeeper::image::ImageSet> {
    if !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "not a directory (expected an OCI image layout)",
        ));
    }
    let source = |rel: &str, limit: u64| -> Result<Option<Vec<u8>>, String> {
        let file = match File::open(dir.join(rel)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let mut bytes = Vec::new();
        file.take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        Ok(Some(bytes))
    };
    Ok(lockkeeper::image::ImageSet::from_layout(
        &dir.display().to_string(),
        &source,
    ))
}
