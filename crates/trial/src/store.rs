//! Long tables of many units in parquet: one part file per chunk of units, written whole or
//! not at all; parts joined in order into one file without decoding; columns read back one
//! at a time.
//!
//! A table has a unit column (INT64), a group column (UTF-8 text) and any number of value
//! columns (DOUBLE), all required. Rows come in blocks: one block per (unit, group), each
//! with the same number of rows in unit-major, then group, then row order. A part file is
//! one row group and may carry a text document in its key-value metadata (under
//! [`PART_METADATA_KEY`]), so that whatever is known about its units travels with their
//! rows in the same atomic file.
//!
//! Files are uncompressed, without dictionaries (except for the group column) or page
//! indexes, with chunk-level statistics: their bytes depend only on their content.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::{ConvertedType, Repetition, Type as PhysicalType};
use parquet::column::reader::ColumnReader;
use parquet::column::writer::ColumnCloseResult;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnPath, Type};

/// The key-value metadata key of a part's document.
pub const PART_METADATA_KEY: &str = "osteosim.part";

/// Anything that went wrong reading or writing a table file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The columns of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub unit_column: String,
    pub group_column: String,
    /// Group names; blocks refer to them by index.
    pub groups: Vec<String>,
    pub value_columns: Vec<String>,
}

/// The rows of one (unit, group).
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    pub unit: u64,
    pub group: usize,
    /// One row per output, `value_columns.len()` values each.
    pub rows: &'a [Vec<f64>],
}

impl Layout {
    fn schema(&self) -> Result<Arc<Type>, parquet::errors::ParquetError> {
        let mut fields = vec![
            Arc::new(
                Type::primitive_type_builder(&self.unit_column, PhysicalType::INT64)
                    .with_repetition(Repetition::REQUIRED)
                    .build()?,
            ),
            Arc::new(
                Type::primitive_type_builder(&self.group_column, PhysicalType::BYTE_ARRAY)
                    .with_repetition(Repetition::REQUIRED)
                    .with_converted_type(ConvertedType::UTF8)
                    .build()?,
            ),
        ];
        for c in &self.value_columns {
            fields.push(Arc::new(
                Type::primitive_type_builder(c, PhysicalType::DOUBLE)
                    .with_repetition(Repetition::REQUIRED)
                    .build()?,
            ));
        }
        Ok(Arc::new(
            Type::group_type_builder("table")
                .with_fields(fields)
                .build()?,
        ))
    }

    fn properties(&self) -> Arc<WriterProperties> {
        Arc::new(
            WriterProperties::builder()
                .set_created_by(concat!("osteosim-trial ", env!("CARGO_PKG_VERSION")).into())
                .set_dictionary_enabled(false)
                .set_column_dictionary_enabled(ColumnPath::from(self.group_column.as_str()), true)
                .set_statistics_enabled(EnabledStatistics::Chunk)
                .set_offset_index_disabled(true)
                .set_max_row_group_size(usize::MAX)
                .build(),
        )
    }
}

/// The temporary name of a file being written: hidden, next to its destination.
pub fn temporary_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Write `path` from a temporary file that is synced and then renamed into place: after a
/// crash at any moment `path` is either absent (or as before) or complete.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(File) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let tmp = temporary_path(path);
    let result = (|| {
        let file = File::create(&tmp).map_err(|e| file_error(&tmp, e))?;
        write(file)?;
        File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| file_error(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| file_error(path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Write one part: the blocks as one row group, `document` in the key-value metadata.
pub fn write_part(
    path: &Path,
    layout: &Layout,
    blocks: &[Block<'_>],
    document: &str,
) -> Result<(), StoreError> {
    let err = |e: parquet::errors::ParquetError| file_error(path, e);
    write_atomically(path, |file| {
        let mut writer =
            SerializedFileWriter::new(file, layout.schema().map_err(err)?, layout.properties())
                .map_err(err)?;
        writer.append_key_value_metadata(KeyValue::new(
            PART_METADATA_KEY.to_string(),
            document.to_string(),
        ));
        let rows: usize = blocks.iter().map(|b| b.rows.len()).sum();
        let mut group = writer.next_row_group().map_err(err)?;
        // Unit column.
        let units: Vec<i64> = blocks
            .iter()
            .flat_map(|b| std::iter::repeat_n(b.unit as i64, b.rows.len()))
            .collect();
        let mut col = group
            .next_column()
            .map_err(err)?
            .ok_or_else(|| file_error(path, "schema has no unit column"))?;
        col.typed::<Int64Type>()
            .write_batch(&units, None, None)
            .map_err(err)?;
        col.close().map_err(err)?;
        // Group column.
        let names: Vec<ByteArray> = layout
            .groups
            .iter()
            .map(|g| ByteArray::from(g.as_str()))
            .collect();
        let groups: Vec<ByteArray> = blocks
            .iter()
            .flat_map(|b| std::iter::repeat_n(names[b.group].clone(), b.rows.len()))
            .collect();
        let mut col = group
            .next_column()
            .map_err(err)?
            .ok_or_else(|| file_error(path, "schema has no group column"))?;
        col.typed::<ByteArrayType>()
            .write_batch(&groups, None, None)
            .map_err(err)?;
        col.close().map_err(err)?;
        // Value columns.
        let mut values = Vec::with_capacity(rows);
        for k in 0..layout.value_columns.len() {
            values.clear();
            for b in blocks {
                for r in b.rows {
                    values.push(r.get(k).copied().unwrap_or(f64::NAN));
                }
            }
            let mut col = group
                .next_column()
                .map_err(err)?
                .ok_or_else(|| file_error(path, "schema is missing a value column"))?;
            col.typed::<DoubleType>()
                .write_batch(&values, None, None)
                .map_err(err)?;
            col.close().map_err(err)?;
        }
        group.close().map_err(err)?;
        writer.close().map_err(err)?;
        Ok(())
    })
}

/// The number of rows and the document of a part file.
pub fn read_part_document(path: &Path) -> Result<(u64, String), StoreError> {
    let file = File::open(path).map_err(|e| file_error(path, e))?;
    let reader = SerializedFileReader::new(file).map_err(|e| file_error(path, e))?;
    let meta = reader.metadata().file_metadata();
    let rows = u64::try_from(meta.num_rows()).unwrap_or(0);
    let document = meta
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == PART_METADATA_KEY))
        .and_then(|k| k.value.clone())
        .ok_or_else(|| file_error(path, "not a part file: no part document"))?;
    Ok((rows, document))
}

/// Join part files, in the given order, into `dest` (written atomically). Column chunks are
/// copied as bytes; the parts' documents are left out. An error names the file at fault: the
/// part that cannot be read, or `dest` when writing fails (a full disk, say).
pub fn concatenate(parts: &[PathBuf], layout: &Layout, dest: &Path) -> Result<(), StoreError> {
    write_atomically(dest, |file| concatenate_into(parts, layout, file, dest))
}

/// A writer that remembers its first failure, so that an error surfacing while a part is
/// copied can be told apart from one of the part being read.
struct Probe<W> {
    inner: W,
    failure: Arc<std::sync::Mutex<Option<String>>>,
}

impl<W: std::io::Write> std::io::Write for Probe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| self.record(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| self.record(e))
    }
}

impl<W> Probe<W> {
    fn record(&self, e: &std::io::Error) {
        let mut f = self.failure.lock().unwrap_or_else(|p| p.into_inner());
        f.get_or_insert_with(|| e.to_string());
    }
}

/// [`concatenate`] into any writer; `dest` names it in errors.
fn concatenate_into<W: std::io::Write + Send>(
    parts: &[PathBuf],
    layout: &Layout,
    output: W,
    dest: &Path,
) -> Result<(), StoreError> {
    let failure = Arc::new(std::sync::Mutex::new(None));
    let probe = Probe {
        inner: output,
        failure: Arc::clone(&failure),
    };
    let write_failure = || failure.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let err = |e: parquet::errors::ParquetError| match write_failure() {
        Some(m) => file_error(dest, m),
        None => file_error(dest, e),
    };
    let mut writer =
        SerializedFileWriter::new(probe, layout.schema().map_err(err)?, layout.properties())
            .map_err(err)?;
    for part in parts {
        // Copying reads the part and writes `dest`: a failed write is `dest`'s.
        let perr = |e: parquet::errors::ParquetError| match write_failure() {
            Some(m) => file_error(dest, m),
            None => file_error(part, e),
        };
        let input = File::open(part).map_err(|e| file_error(part, e))?;
        let reader = SerializedFileReader::new(input.try_clone().map_err(|e| file_error(part, e))?)
            .map_err(perr)?;
        for rg in reader.metadata().row_groups() {
            let mut out = writer.next_row_group().map_err(err)?;
            for column in rg.columns() {
                let close = ColumnCloseResult {
                    bytes_written: u64::try_from(column.compressed_size()).unwrap_or(0),
                    rows_written: u64::try_from(rg.num_rows()).unwrap_or(0),
                    metadata: column.clone(),
                    bloom_filter: None,
                    column_index: None,
                    offset_index: None,
                };
                out.append_column(&input, close).map_err(perr)?;
            }
            out.close().map_err(err)?;
        }
    }
    writer.close().map_err(err)?;
    Ok(())
}

/// A table file opened for reading columns: its footer (one entry per row group and column)
/// is parsed once, however many columns are read.
pub struct TableReader {
    path: PathBuf,
    value_columns: usize,
    reader: SerializedFileReader<File>,
}

impl TableReader {
    pub fn open(path: &Path, layout: &Layout) -> Result<TableReader, StoreError> {
        let file = File::open(path).map_err(|e| file_error(path, e))?;
        let reader = SerializedFileReader::new(file).map_err(|e| file_error(path, e))?;
        Ok(TableReader {
            path: path.to_path_buf(),
            value_columns: layout.value_columns.len(),
            reader,
        })
    }

    /// Call `visit(row, value)` for every value of value column `k`, in row order, holding
    /// one batch in memory at a time.
    pub fn scan(&self, k: usize, mut visit: impl FnMut(u64, f64)) -> Result<(), StoreError> {
        let path = &self.path;
        let err = |e: parquet::errors::ParquetError| file_error(path, e);
        if k >= self.value_columns {
            return Err(file_error(path, format!("no value column {k}")));
        }
        let index = 2 + k;
        let mut row: u64 = 0;
        let mut buffer: Vec<f64> = Vec::with_capacity(65_536);
        for g in 0..self.reader.num_row_groups() {
            let group = self.reader.get_row_group(g).map_err(err)?;
            let ColumnReader::DoubleColumnReader(mut column) =
                group.get_column_reader(index).map_err(err)?
            else {
                return Err(file_error(path, format!("column {index} is not DOUBLE")));
            };
            loop {
                buffer.clear();
                let (records, _, _) = column
                    .read_records(65_536, None, None, &mut buffer)
                    .map_err(err)?;
                if records == 0 {
                    break;
                }
                for &v in &buffer {
                    visit(row, v);
                    row += 1;
                }
            }
        }
        Ok(())
    }
}

/// Call `visit(row, value)` for every value of value column `k` of a table file, in row
/// order (see [`TableReader`] to read several columns).
pub fn scan_column(
    path: &Path,
    layout: &Layout,
    k: usize,
    visit: impl FnMut(u64, f64),
) -> Result<(), StoreError> {
    TableReader::open(path, layout)?.scan(k, visit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            unit_column: "unit".into(),
            group_column: "group".into(),
            groups: vec!["a".into(), "b".into()],
            value_columns: vec!["t".into(), "x".into()],
        }
    }

    #[test]
    fn parts_join_and_read_back() {
        let dir = std::env::temp_dir().join(format!("osteosim-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let l = layout();
        let rows = |u: f64| vec![vec![0.0, u], vec![1.0, u + 0.5]];
        let (r0, r1, r2) = (rows(0.0), rows(10.0), rows(20.0));
        let p0 = dir.join("p0.parquet");
        let p1 = dir.join("p1.parquet");
        write_part(
            &p0,
            &l,
            &[
                Block {
                    unit: 0,
                    group: 0,
                    rows: &r0,
                },
                Block {
                    unit: 0,
                    group: 1,
                    rows: &r1,
                },
            ],
            "first",
        )
        .unwrap();
        write_part(
            &p1,
            &l,
            &[Block {
                unit: 1,
                group: 0,
                rows: &r2,
            }],
            "second",
        )
        .unwrap();
        assert_eq!(read_part_document(&p0).unwrap(), (4, "first".to_string()));
        let all = dir.join("all.parquet");
        concatenate(&[p0.clone(), p1.clone()], &l, &all).unwrap();
        let mut xs = Vec::new();
        scan_column(&all, &l, 1, |row, v| xs.push((row, v))).unwrap();
        assert_eq!(
            xs,
            vec![
                (0, 0.0),
                (1, 0.5),
                (2, 10.0),
                (3, 10.5),
                (4, 20.0),
                (5, 20.5)
            ]
        );
        // Written twice, byte for byte the same.
        let again = dir.join("again.parquet");
        concatenate(&[p0.clone(), p1.clone()], &l, &again).unwrap();
        assert_eq!(std::fs::read(&all).unwrap(), std::fs::read(&again).unwrap());
        assert!(read_part_document(&all).is_err());

        // A full disk while joining: the error names the file being written, not a part.
        struct Full(usize);
        impl std::io::Write for Full {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if self.0 < buf.len() {
                    return Err(std::io::Error::other("No space left on device"));
                }
                self.0 -= buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        // Parts larger than the writer's buffer, so that the copy itself meets the full disk.
        let big_rows: Vec<Vec<f64>> = (0..4000).map(|i| vec![i as f64, 0.5 * i as f64]).collect();
        let big = dir.join("big.parquet");
        write_part(
            &big,
            &l,
            &[Block {
                unit: 0,
                group: 0,
                rows: &big_rows,
            }],
            "big",
        )
        .unwrap();
        let dest = dir.join("full.parquet");
        let part_size = std::fs::metadata(&big).unwrap().len() as usize;
        for room in [0, 8, part_size / 2, part_size, 3 * part_size / 2] {
            let parts = [big.clone(), big.clone(), p1.clone()];
            let e = concatenate_into(&parts, &l, Full(room), &dest).unwrap_err();
            let StoreError::File { path, message } = &e;
            assert_eq!(path, &dest, "room {room}: {e}");
            assert!(message.contains("No space left"), "room {room}: {e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
