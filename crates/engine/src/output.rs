//! Outputs: tables as CSV and documents as JSON, written whole or not at all. Every file of a
//! result set is first written next to its destination under a temporary name, then all are
//! renamed into place; a failure removes the temporary files and leaves earlier results
//! untouched.

use std::io::Write;
use std::path::{Path, PathBuf};

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

/// Write several files into `dir` so that either all of them appear complete or none changes.
pub fn write_all_or_nothing(dir: &Path, files: &[(&str, Vec<u8>)]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let pid = std::process::id();
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(files.len());
    let result = (|| {
        for (name, bytes) in files {
            let dest = dir.join(name);
            let tmp = dir.join(format!(".{name}.{pid}.tmp"));
            temps.push((tmp.clone(), dest));
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        for (tmp, dest) in &temps {
            std::fs::rename(tmp, dest)?;
        }
        Ok(())
    })();
    if result.is_err() {
        for (tmp, _) in &temps {
            let _ = std::fs::remove_file(tmp);
        }
    }
    result
}
