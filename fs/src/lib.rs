//! File handling shared by the front ends. The core parses bytes and never touches files;
//! appending to the audit log must nevertheless be crash-safe in the CLI, the Python binding and
//! the Node binding alike, and an OCI layout must be read the same lazy, bounded way by all
//! three, so both are written once, here. So is finding a repository's pipeline files
//! ([`repository::discover`]).
#![forbid(unsafe_code)]

pub mod repository;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::Path;

use lockkeeper::audit::{self, AuditError, Entry};
use lockkeeper::keys::SigningKey;

/// Why an append failed. The cause is the error's `source()`, so that a caller printing the
/// chain (`anyhow`, `eyre`, a service's logger) shows both what failed and why.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The file could not be opened, locked, read, written or synced.
    #[error("the audit log could not be read or written")]
    Io(#[source] io::Error),
    /// The log's last line or the record was refused (a torn tail, a foreign key, not an object).
    #[error("the audit log refused the record (code {})", .0.code())]
    Audit(#[source] AuditError),
}

/// Appends `record` to the audit log at `path`: under an exclusive lock (appenders queue rather
/// than fork the chain), after checking the last line, with a single write of the whole line,
/// synced before success is reported. A failed write is cut off again, so nothing partial is
/// left behind by an error we see; a crash can leave a torn line, which is then reported.
///
/// Only the log's tail is read: the chain is extended from the last entry alone, so an append
/// costs the same on a log of a thousand entries and on one of millions. When that last line is
/// refused (torn, edited, another key's), the whole log is read once more, so that the error
/// names the line by its number; that cost falls on the failure only.
pub fn append_audit(path: &Path, record: &[u8], key: &SigningKey) -> Result<Entry, AppendError> {
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(AppendError::Io)?;
    file.lock().map_err(AppendError::Io)?;
    let len = file.metadata().map_err(AppendError::Io)?.len();
    let tail = last_line(&mut file, len).map_err(AppendError::Io)?;
    let appended = match audit::append(&tail, record, key) {
        Ok(appended) => appended,
        Err(_) => {
            // Re-decide on the whole log: the same verdict, with the right line number.
            let mut log = Vec::new();
            file.seek(SeekFrom::Start(0)).map_err(AppendError::Io)?;
            file.read_to_end(&mut log).map_err(AppendError::Io)?;
            audit::append(&log, record, key).map_err(AppendError::Audit)?
        }
    };
    if let Err(e) = file
        .write_all(appended.line.as_bytes())
        .and_then(|()| file.sync_data())
    {
        let _ = file.set_len(len);
        return Err(AppendError::Io(e));
    }
    if len == 0 {
        // A new file: make its directory entry durable too.
        sync_dir(path).map_err(AppendError::Io)?;
    }
    Ok(appended.entry)
}

/// The first tail read; doubled until the last line fits. An entry is a few hundred bytes to a
/// few kilobytes, so one read is the rule.
const TAIL_CHUNK: u64 = 8 * 1024;

/// The last line of a file of `len` bytes, newline included, read backwards from the end in
/// growing chunks. A file that does not end in a newline (a torn append) is returned as its
/// partial last line, which the core refuses; an empty file is empty.
fn last_line(file: &mut File, len: u64) -> io::Result<Vec<u8>> {
    let mut chunk = TAIL_CHUNK;
    loop {
        let start = len.saturating_sub(chunk);
        let mut tail = Vec::new();
        file.seek(SeekFrom::Start(start))?;
        (&mut *file).take(len - start).read_to_end(&mut tail)?;
        if tail.len() as u64 != len - start {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the audit log shrank while locked",
            ));
        }
        // The newline ending the line before the last one; the final byte is skipped, since it
        // is the last line's own newline when the log is whole.
        let body = tail.split_last().map_or(&[][..], |(_, body)| body);
        if let Some(i) = body.iter().rposition(|&b| b == b'\n') {
            tail.drain(..=i);
            return Ok(tail);
        }
        if start == 0 {
            // The log holds a single line.
            return Ok(tail);
        }
        chunk = chunk.saturating_mul(2);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn fresh_log(name: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("lockkeeper-fs-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("audit.jsonl");
        if path.exists() {
            std::fs::remove_file(&path)?;
        }
        Ok(path)
    }

    /// A record whose entry line is several times the first tail read.
    fn long_record(i: usize) -> Vec<u8> {
        let filler = "x".repeat(3 * TAIL_CHUNK as usize + i);
        format!(r#"{{"n":{i},"filler":"{filler}"}}"#).into_bytes()
    }

    /// A script a JJB file includes is read from beside it; one outside its directory is not.
    #[test]
    fn jjb_includes_are_read_from_beside_the_file() -> TestResult {
        let dir = std::env::temp_dir().join(format!("lockkeeper-fs-{}-jjb", std::process::id()));
        std::fs::create_dir_all(dir.join("jjb/scripts"))?;
        std::fs::write(
            dir.join("jjb/jobs.yaml"),
            "- job:\n    name: a\n    builders:\n      - shell: !include-raw: scripts/a.sh\n      - shell: !include-raw: ../outside.sh\n",
        )?;
        std::fs::write(dir.join("jjb/scripts/a.sh"), "make\n")?;
        std::fs::write(dir.join("outside.sh"), "make\n")?;
        let files = read_pipeline_files(&[dir.join("jjb/jobs.yaml")], None)
            .map_err(|e| e.error.to_string())?;
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names[1].ends_with("scripts/a.sh"), "{names:?}");
        Ok(())
    }

    #[test]
    fn an_append_error_is_a_std_error_whose_source_is_the_cause() -> TestResult {
        use std::error::Error as _;
        let path = fresh_log("source")?;
        let key = SigningKey::from_seed(&[5; 32])?;
        std::fs::write(&path, "not an entry\n")?;
        let err = append_audit(&path, br#"{"n":1}"#, &key)
            .err()
            .ok_or("a foreign line was accepted")?;
        let boxed: Box<dyn std::error::Error> = Box::new(err);
        assert!(boxed.to_string().contains("refused"), "{boxed}");
        let source = boxed.source().ok_or("no source")?;
        assert!(source.downcast_ref::<AuditError>().is_some(), "{source:?}");

        let missing = Path::new("/nonexistent-lockkeeper-dir/audit.jsonl");
        let err = append_audit(missing, b"{}", &key)
            .err()
            .ok_or("appended to a missing directory")?;
        assert!(
            err.source()
                .and_then(|s| s.downcast_ref::<io::Error>())
                .is_some()
        );
        Ok(())
    }

    #[test]
    fn a_last_line_longer_than_the_first_read_is_found_and_chained() -> TestResult {
        let path = fresh_log("long")?;
        let key = SigningKey::from_seed(&[3; 32])?;
        append_audit(&path, br#"{"n":"short"}"#, &key).map_err(|e| format!("{e:?}"))?;
        for i in 0..3 {
            let entry = append_audit(&path, &long_record(i), &key).map_err(|e| format!("{e:?}"))?;
            assert_eq!(entry.seq(), i as u64 + 2);
        }
        let log = std::fs::read(&path)?;
        assert!(
            log.rsplit(|&b| b == b'\n').nth(1).map_or(0, <[u8]>::len) > 3 * TAIL_CHUNK as usize
        );
        assert!(audit::verify(&log, key.public_key(), None).allowed());
        Ok(())
    }

    #[test]
    fn a_torn_or_edited_long_tail_is_refused_with_its_line_number() -> TestResult {
        let path = fresh_log("torn-long")?;
        let key = SigningKey::from_seed(&[4; 32])?;
        for i in 0..3 {
            append_audit(&path, &long_record(i), &key).map_err(|e| format!("{e:?}"))?;
        }
        let whole = std::fs::read(&path)?;

        // A crash in the middle of the fourth line: a partial line longer than the first read.
        let mut torn = whole.clone();
        torn.extend_from_slice(&long_record(9)[..2 * TAIL_CHUNK as usize]);
        std::fs::write(&path, &torn)?;
        match append_audit(&path, br#"{"n":4}"#, &key) {
            Err(AppendError::Audit(AuditError::Torn { line: 4, .. })) => {}
            other => panic!("expected a torn fourth line, got {other:?}"),
        }
        assert_eq!(
            std::fs::read(&path)?,
            torn,
            "nothing is built on a torn line"
        );

        // The last entry edited in place: refused, and named as line 3.
        let edited = String::from_utf8(whole)?.replacen(r#""n":2"#, r#""n":7"#, 1);
        std::fs::write(&path, &edited)?;
        match append_audit(&path, br#"{"n":4}"#, &key) {
            Err(AppendError::Audit(AuditError::Broken { line: 3, .. })) => {}
            other => panic!("expected a broken third line, got {other:?}"),
        }
        assert_eq!(std::fs::read(&path)?, edited.as_bytes());
        Ok(())
    }
}

/// A pipeline file that could not be read, with its path.
#[derive(Debug)]
pub struct ReadError {
    /// The file.
    pub path: std::path::PathBuf,
    /// Why.
    pub error: io::Error,
}

/// Reads pipeline files as (name, text) pairs, then, with `include_dir`, the GitLab includes
/// from elsewhere (`include: project|template|component`) that the directory holds at the
/// documented layout (`DIR/<project path>/<file>`, `DIR/templates/<name>`,
/// `DIR/<component project>/templates/<name>.yml`), transitively, with their `spec:inputs`
/// filled. One place for the CLI and both bindings, so `--include-dir`, `include_dir=` and
/// `includeDir` read the same files. An include the directory does not hold is left out: the
/// import then reports it as not read. A path with `..` is never followed out of the directory.
pub fn read_pipeline_files<P: AsRef<Path>>(
    paths: &[P],
    include_dir: Option<&Path>,
) -> Result<Vec<(String, String)>, ReadError> {
    let read = |p: &Path| {
        fs::read_to_string(p).map_err(|error| ReadError {
            path: p.to_path_buf(),
            error,
        })
    };
    let mut texts = paths
        .iter()
        .map(|p| read(p.as_ref()).map(|t| (p.as_ref().display().to_string(), t)))
        .collect::<Result<Vec<_>, _>>()?;
    // Jenkins Job Builder reads `!include-raw: x.sh` and `!include: x.yaml` from beside the
    // file (its default include path): read them from there when not given.
    let given = texts.len();
    for i in 0..given {
        let Some(parent) = paths.get(i).and_then(|p| p.as_ref().parent()) else {
            continue;
        };
        for rel in lockkeeper::import::jjb_include_paths(&texts[i].1) {
            let rel = rel.trim().trim_start_matches("./");
            if rel.is_empty() || Path::new(rel).is_absolute() || rel.split('/').any(|c| c == "..") {
                continue;
            }
            let path = parent.join(rel);
            let name = path.display().to_string();
            let already = texts.iter().any(|(n, _)| {
                let n = n.replace('\\', "/");
                n == name.replace('\\', "/") || n.ends_with(&format!("/{rel}"))
            });
            if !already && path.is_file() {
                texts.push((name, read(&path)?));
            }
        }
    }
    let Some(dir) = include_dir else {
        return Ok(texts);
    };
    let mut next = 0;
    while next < texts.len() {
        let wanted = lockkeeper::import::gitlab::includes(&texts[next].1);
        next += 1;
        for (rel, inputs) in wanted {
            let path = dir.join(&rel);
            let name = path.to_string_lossy().into_owned();
            if rel.split('/').any(|c| c == "..") || texts.iter().any(|(n, _)| *n == name) {
                continue;
            }
            if path.is_file() {
                let text = lockkeeper::import::gitlab::interpolate(&read(&path)?, &inputs);
                texts.push((name, text));
            }
        }
    }
    Ok(texts)
}
