//! Outputs: tables as CSV and documents as JSON, written whole or not at all.
//!
//! An output directory is written by one process at a time: [`OutputDir::lock`] takes an
//! exclusive lock on a lock file inside it for as long as the handle lives. The files of a
//! result set change together: each is first written completely next to its destination
//! under a temporary name; only when every one is written, a commit journal naming them is
//! written and they are renamed into place, the journal last removed. A failure before the
//! journal leaves the earlier results untouched; a failed rename puts the earlier files
//! back; a process killed during the renames leaves the journal, and the next writer that
//! locks the directory completes the commit before anything else, so that the directory
//! never keeps a mix of two result sets.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};

/// The lock file of an output directory, present while a writer holds it.
pub const LOCK_FILE: &str = ".osteosim.lock";
/// The commit journal of an output directory, present only while a commit renames files.
pub const JOURNAL_FILE: &str = ".osteosim-commit.json";

/// Named columns of numbers, one row per output time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<f64>>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let i = self.columns.iter().position(|c| c == name)?;
        Some(self.rows.iter().map(|r| r[i]).collect())
    }

    /// CSV with a header line; numbers in their shortest exact form.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 * self.columns.len() * (self.rows.len() + 1));
        let _ = writeln!(out, "{}", self.columns.join(","));
        for row in &self.rows {
            for (k, v) in row.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                let _ = write!(out, "{v}");
            }
            out.push(b'\n');
        }
        out
    }
}

/// Why outputs could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// One file (or the directory itself) cannot be written: its path and why.
    #[error("{}: {message}", path.display())]
    File { path: PathBuf, message: String },
    /// Another process holds the directory's lock.
    #[error("{}: another osteosim process is writing to this directory", dir.display())]
    Busy { dir: PathBuf },
}

impl OutputError {
    fn file(path: &Path, e: impl std::fmt::Display) -> OutputError {
        OutputError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// The renames of one commit, relative to the output directory.
#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    /// (staged file, relative to the directory when inside it; destination file name).
    renames: Vec<(PathBuf, String)>,
}

/// An output directory locked for writing; the lock is released when the handle is dropped.
///
/// When the lock is released, the lock file is removed, and a directory that
/// [`OutputDir::lock`] created is removed again if nothing was written into it.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    lock: Option<File>,
    created: bool,
}

impl OutputDir {
    /// Create `dir` when missing and lock it, failing at once with [`OutputError::Busy`]
    /// when another process holds the lock. A commit that an earlier writer left half done
    /// is completed first.
    pub fn lock(dir: &Path) -> Result<OutputDir, OutputError> {
        let created = !dir.exists();
        std::fs::create_dir_all(dir).map_err(|e| {
            OutputError::file(dir, format!("cannot create the output directory: {e}"))
        })?;
        let mut handle = OutputDir {
            dir: dir.to_path_buf(),
            lock: None,
            created,
        };
        let path = dir.join(LOCK_FILE);
        // The lock file is removed by the writer that releases it: a file locked after it
        // was removed is stale, and the lock is taken again on the current one.
        for _ in 0..100 {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| OutputError::file(&path, e))?;
            match FileExt::try_lock_exclusive(&file) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(OutputError::Busy {
                        dir: dir.to_path_buf(),
                    })
                }
                Err(e) => return Err(OutputError::file(&path, e)),
            }
            if same_file(&file, &path) {
                handle.lock = Some(file);
                handle.recover()?;
                return Ok(handle);
            }
        }
        Err(OutputError::Busy {
            dir: dir.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// True when [`OutputDir::lock`] created the directory.
    pub fn created(&self) -> bool {
        self.created
    }

    /// Write `files` into the directory so that either all of them appear complete or none
    /// changes. An error names the file that could not be written.
    pub fn write_all(&self, files: &[(&str, Vec<u8>)]) -> Result<Vec<PathBuf>, OutputError> {
        let pid = std::process::id();
        let mut staged: Vec<(&str, PathBuf)> = Vec::with_capacity(files.len());
        let result = (|| {
            for (name, bytes) in files {
                let dest = self.dir.join(name);
                let tmp = self.dir.join(format!(".{name}.{pid}.tmp"));
                staged.push((name, tmp.clone()));
                write_synced(&tmp, bytes).map_err(|e| OutputError::file(&dest, e))?;
            }
            self.commit(&staged)
        })();
        if result.is_err() {
            for (_, tmp) in &staged {
                let _ = std::fs::remove_file(tmp);
            }
        }
        result
    }

    /// Move files written completely elsewhere on the same file system (`(name, staged
    /// path)`) into the directory as one set: all of them replace their destinations, or,
    /// on an error (which names the file), none does. Returns the destinations.
    pub fn commit(&self, staged: &[(&str, PathBuf)]) -> Result<Vec<PathBuf>, OutputError> {
        let dests: Vec<PathBuf> = staged.iter().map(|(n, _)| self.dir.join(n)).collect();
        for dest in &dests {
            check_destination(dest)?;
        }
        // The earlier files, kept under a second name until every rename succeeded.
        let pid = std::process::id();
        let mut backups: Vec<Option<PathBuf>> = Vec::with_capacity(staged.len());
        let cleanup = |backups: &[Option<PathBuf>]| {
            for b in backups.iter().flatten() {
                let _ = std::fs::remove_file(b);
            }
        };
        for ((name, _), dest) in staged.iter().zip(&dests) {
            if dest.is_file() {
                let backup = self.dir.join(format!(".{name}.{pid}.old"));
                let _ = std::fs::remove_file(&backup);
                if let Err(e) = std::fs::hard_link(dest, &backup)
                    .or_else(|_| std::fs::copy(dest, &backup).map(|_| ()))
                {
                    cleanup(&backups);
                    return Err(OutputError::file(
                        dest,
                        format!("cannot keep the earlier file: {e}"),
                    ));
                }
                backups.push(Some(backup));
            } else {
                backups.push(None);
            }
        }
        let journal_path = self.dir.join(JOURNAL_FILE);
        let journal = Journal {
            renames: staged
                .iter()
                .map(|(n, p)| {
                    let within = p.strip_prefix(&self.dir).unwrap_or(p);
                    (within.to_path_buf(), n.to_string())
                })
                .collect(),
        };
        let written = serde_json::to_vec_pretty(&journal)
            .map_err(std::io::Error::other)
            .and_then(|bytes| write_synced(&journal_path, &bytes));
        if let Err(e) = written {
            cleanup(&backups);
            let _ = std::fs::remove_file(&journal_path);
            return Err(OutputError::file(&journal_path, e));
        }
        for (i, ((_, from), dest)) in staged.iter().zip(&dests).enumerate() {
            if let Err(e) = std::fs::rename(from, dest) {
                // Put the earlier files back, and remove the new ones that had none.
                for (j, d) in dests.iter().enumerate().take(i) {
                    match &backups[j] {
                        Some(b) => {
                            let _ = std::fs::rename(b, d);
                        }
                        None => {
                            let _ = std::fs::remove_file(d);
                        }
                    }
                }
                cleanup(&backups);
                let _ = std::fs::remove_file(&journal_path);
                return Err(OutputError::file(dest, e));
            }
        }
        sync_dir(&self.dir);
        let _ = std::fs::remove_file(&journal_path);
        cleanup(&backups);
        sync_dir(&self.dir);
        Ok(dests)
    }

    /// Complete a commit that a killed writer left: every staged file it named that is
    /// still there is moved into place (the journal is written only once all of them are
    /// complete).
    fn recover(&self) -> Result<(), OutputError> {
        let journal_path = self.dir.join(JOURNAL_FILE);
        let bytes = match std::fs::read(&journal_path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(OutputError::file(&journal_path, e)),
        };
        if let Ok(journal) = serde_json::from_slice::<Journal>(&bytes) {
            for (from, name) in &journal.renames {
                let from = self.dir.join(from);
                if from.is_file() {
                    let dest = self.dir.join(name);
                    std::fs::rename(&from, &dest).map_err(|e| OutputError::file(&dest, e))?;
                }
            }
            sync_dir(&self.dir);
        }
        // Backups of the earlier files are not needed any more.
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.ends_with(".old") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        std::fs::remove_file(&journal_path).map_err(|e| OutputError::file(&journal_path, e))
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if let Some(lock) = self.lock.take() {
            // Removed while still locked: a writer waiting on this file sees it is stale.
            let _ = std::fs::remove_file(self.dir.join(LOCK_FILE));
            drop(lock);
        }
        if self.created {
            // Only succeeds when the directory is empty.
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

/// A destination must be absent or a regular file.
fn check_destination(dest: &Path) -> Result<(), OutputError> {
    match std::fs::symlink_metadata(dest) {
        Ok(m) if m.is_dir() => Err(OutputError::file(
            dest,
            "is a directory, not a file: remove it or choose another output directory",
        )),
        _ => Ok(()),
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Make renames in `dir` durable (best effort; not every platform syncs directories).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// True when the open `file` is the file now at `path`.
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

/// Lock `dir` and write `files` into it, all or nothing (see [`OutputDir::write_all`]).
pub fn write_all_or_nothing(
    dir: &Path,
    files: &[(&str, Vec<u8>)],
) -> Result<Vec<PathBuf>, OutputError> {
    OutputDir::lock(dir)?.write_all(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("osteosim-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_directory_in_the_way_changes_nothing_and_is_named() {
        let dir = temp("in-the-way");
        write_all_or_nothing(
            &dir,
            &[("a.csv", b"old a".to_vec()), ("b.json", b"old b".to_vec())],
        )
        .unwrap();
        std::fs::remove_file(dir.join("b.json")).unwrap();
        std::fs::create_dir(dir.join("b.json")).unwrap();
        let e = write_all_or_nothing(
            &dir,
            &[("a.csv", b"new a".to_vec()), ("b.json", b"new b".to_vec())],
        )
        .unwrap_err();
        assert!(e.to_string().contains("b.json"), "{e}");
        assert_eq!(std::fs::read(dir.join("a.csv")).unwrap(), b"old a");
        assert_eq!(names(&dir), ["a.csv", "b.json"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_rename_puts_the_earlier_files_back() {
        let dir = temp("rollback");
        write_all_or_nothing(&dir, &[("a.csv", b"old a".to_vec())]).unwrap();
        let out = OutputDir::lock(&dir).unwrap();
        let staged = dir.join(".a.staged");
        std::fs::write(&staged, b"new a").unwrap();
        // The second staged file does not exist: its rename fails after the first one's.
        let e = out
            .commit(&[("a.csv", staged.clone()), ("b.json", dir.join(".missing"))])
            .unwrap_err();
        assert!(e.to_string().contains("b.json"), "{e}");
        assert_eq!(std::fs::read(dir.join("a.csv")).unwrap(), b"old a");
        drop(out);
        let _ = std::fs::remove_file(&staged);
        assert_eq!(names(&dir), ["a.csv"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_commit_left_by_a_killed_writer_is_completed_by_the_next() {
        let dir = temp("recover");
        write_all_or_nothing(
            &dir,
            &[("a.csv", b"old a".to_vec()), ("b.json", b"old b".to_vec())],
        )
        .unwrap();
        // As a writer killed after renaming a.csv, before b.json.
        std::fs::write(dir.join("a.csv"), b"new a").unwrap();
        let staged = dir.join(".b.json.1.tmp");
        std::fs::write(&staged, b"new b").unwrap();
        let journal = Journal {
            renames: vec![
                (".a.csv.1.tmp".into(), "a.csv".into()),
                (staged, "b.json".into()),
            ],
        };
        std::fs::write(
            dir.join(JOURNAL_FILE),
            serde_json::to_vec(&journal).unwrap(),
        )
        .unwrap();
        drop(OutputDir::lock(&dir).unwrap());
        assert_eq!(std::fs::read(dir.join("b.json")).unwrap(), b"new b");
        assert_eq!(names(&dir), ["a.csv", "b.json"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn one_writer_at_a_time_and_a_failed_write_leaves_no_new_directory() {
        let dir = temp("lock");
        let first = OutputDir::lock(&dir).unwrap();
        assert!(first.created());
        let e = OutputDir::lock(&dir).unwrap_err();
        assert!(matches!(e, OutputError::Busy { .. }), "{e}");
        assert!(e.to_string().contains("another osteosim process"), "{e}");
        // A file that cannot be created fails the write, naming it.
        let e = first
            .write_all(&[("no/such/dir.csv", b"x".to_vec())])
            .unwrap_err();
        assert!(e.to_string().contains("dir.csv"), "{e}");
        drop(first);
        assert!(!dir.exists(), "the new directory is removed again");
        // Once released, the next writer gets the lock.
        let again = OutputDir::lock(&dir).unwrap();
        again.write_all(&[("a.csv", b"a".to_vec())]).unwrap();
        drop(again);
        assert_eq!(names(&dir), ["a.csv"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
