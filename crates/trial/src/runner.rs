//! Many independent units run in fixed chunks, in parallel, with a journal that lets a run
//! killed at any moment resume where it stopped.
//!
//! Units `0..n` are cut into chunks of a fixed size that depends only on the plan, never on
//! the thread count. Each chunk is computed by one worker and committed as one file (the
//! caller writes it atomically, see [`crate::store::write_atomically`]): a chunk is done
//! exactly when its file exists. The work directory also holds a manifest with the run's
//! fingerprint (whatever identifies its inputs), so that a resumed run refuses to mix parts
//! of different inputs. Whatever the thread count and wherever a run was stopped, the set of
//! chunk files at the end is the same, and so is everything computed from them in chunk
//! order.

use std::io::IsTerminal;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::store::write_atomically;

/// The journal file of the work directory: the run's fingerprint and plan.
pub const MANIFEST: &str = "manifest.json";

/// The largest thread count a run accepts.
pub const MAX_THREADS: usize = 1024;

/// How units are cut into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub units: u64,
    pub chunk_size: u64,
}

impl Plan {
    pub fn chunks(&self) -> u64 {
        self.units.div_ceil(self.chunk_size.max(1))
    }

    pub fn units_of(&self, chunk: u64) -> Range<u64> {
        let start = chunk * self.chunk_size;
        start..(start + self.chunk_size).min(self.units)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Manifest {
    fingerprint: String,
    plan: Plan,
}

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Worker threads; `None` = rayon's global pool (all cores). At most [`MAX_THREADS`];
    /// never more are started than there are chunks to run or cores to run them on (see
    /// [`worker_threads`]).
    pub threads: Option<usize>,
    /// Continue the chunks already committed in the work directory.
    pub resume: bool,
    /// Stop (as if killed) once this many chunks were committed by this call; for tests.
    pub stop_after_chunks: Option<usize>,
    /// Draw a progress bar on stderr when it is a terminal.
    pub progress: bool,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every chunk is committed; the part files in chunk order.
    Complete(Vec<PathBuf>),
    /// Stopped by `stop_after_chunks`: this many chunks are committed in all.
    Stopped { committed: u64 },
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError<E> {
    #[error("{0}")]
    Work(E),
    #[error("{path}: {message}")]
    Journal { path: PathBuf, message: String },
    #[error("cannot resume in {dir}: {message}")]
    Resume { dir: PathBuf, message: String },
    #[error("{0} threads asked for; at most {MAX_THREADS} are allowed")]
    Threads(usize),
}

fn journal<E>(path: &Path, e: impl std::fmt::Display) -> RunError<E> {
    RunError::Journal {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The threads worth starting for `requested` threads and `chunks` chunks to run: no more
/// than the chunks (each is one task) or than the cores available, and at least one.
pub fn worker_threads(requested: usize, chunks: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    requested.min(chunks).min(cores).max(1)
}

/// The file of chunk `k` in the work directory.
pub fn part_path(work: &Path, chunk: u64) -> PathBuf {
    work.join(format!("part-{chunk:09}.parquet"))
}

/// Prepare the work directory: a fresh one, or on resume the existing one after checking its
/// fingerprint. Returns the chunks already committed.
fn prepare<E>(
    work: &Path,
    fingerprint: &str,
    plan: Plan,
    resume: bool,
) -> Result<Vec<bool>, RunError<E>> {
    let manifest = Manifest {
        fingerprint: fingerprint.to_string(),
        plan,
    };
    let mut done = vec![false; usize::try_from(plan.chunks()).unwrap_or(usize::MAX)];
    let path = work.join(MANIFEST);
    let existing = if resume {
        match std::fs::read(&path) {
            Ok(bytes) => {
                Some(serde_json::from_slice::<Manifest>(&bytes).map_err(|e| journal(&path, e))?)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(journal(&path, e)),
        }
    } else {
        None
    };
    match existing {
        Some(m) if m == manifest => {
            for entry in std::fs::read_dir(work).map_err(|e| journal(work, e))? {
                let entry = entry.map_err(|e| journal(work, e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.ends_with(".tmp") {
                    // A file that was being written when the run stopped.
                    let _ = std::fs::remove_file(entry.path());
                    continue;
                }
                if let Some(k) = name
                    .strip_prefix("part-")
                    .and_then(|n| n.strip_suffix(".parquet"))
                    .and_then(|n| n.parse::<usize>().ok())
                {
                    if let Some(d) = done.get_mut(k) {
                        *d = true;
                    }
                }
            }
        }
        Some(m) => {
            let message = if m.fingerprint != manifest.fingerprint {
                "the trial file (or the model) changed since the interrupted run; run again without --resume to start over".to_string()
            } else {
                "the interrupted run cut its work differently".to_string()
            };
            return Err(RunError::Resume {
                dir: work.to_path_buf(),
                message,
            });
        }
        None => {
            if work.exists() {
                std::fs::remove_dir_all(work).map_err(|e| journal(work, e))?;
            }
            std::fs::create_dir_all(work).map_err(|e| journal(work, e))?;
            let mut bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| journal(&path, e))?;
            bytes.push(b'\n');
            write_atomically(&path, |mut f| {
                use std::io::Write;
                f.write_all(&bytes)
                    .map_err(|e| crate::store::StoreError::File {
                        path: path.clone(),
                        message: e.to_string(),
                    })
            })
            .map_err(|e| journal(&path, e))?;
        }
    }
    Ok(done)
}

/// Run every chunk of `plan` not yet committed in `work`: `work_chunk(k, units, part)` must
/// compute the units and commit the part file `part` atomically.
pub fn run_chunks<E, F>(
    work: &Path,
    fingerprint: &str,
    plan: Plan,
    options: &RunOptions,
    work_chunk: F,
) -> Result<Outcome, RunError<E>>
where
    E: Send,
    F: Fn(u64, Range<u64>, &Path) -> Result<(), E> + Sync,
{
    if let Some(n) = options.threads.filter(|&n| n > MAX_THREADS) {
        return Err(RunError::Threads(n));
    }
    let done = prepare::<E>(work, fingerprint, plan, options.resume)?;
    let todo: Vec<u64> = (0..plan.chunks())
        .filter(|&k| !done.get(k as usize).copied().unwrap_or(false))
        .collect();
    let already: u64 = (0..plan.chunks())
        .filter(|&k| done.get(k as usize).copied().unwrap_or(false))
        .map(|k| plan.units_of(k).end - plan.units_of(k).start)
        .sum();
    let bar = progress_bar(options.progress, plan.units, already);
    let committed = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<(u64, E)>> = Mutex::new(None);
    let body = || {
        todo.par_iter().with_max_len(1).for_each(|&k| {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let units = plan.units_of(k);
            let n = units.end - units.start;
            match work_chunk(k, units, &part_path(work, k)) {
                Ok(()) => {
                    let c = committed.fetch_add(1, Ordering::SeqCst) + 1;
                    if let Some(b) = &bar {
                        b.inc(n);
                    }
                    if options.stop_after_chunks.is_some_and(|s| c >= s) {
                        stop.store(true, Ordering::SeqCst);
                    }
                }
                Err(e) => {
                    stop.store(true, Ordering::SeqCst);
                    let mut f = failure.lock().unwrap_or_else(|p| p.into_inner());
                    // Report the failure of the lowest chunk, whichever thread saw it first.
                    if f.as_ref().is_none_or(|(j, _)| k < *j) {
                        *f = Some((k, e));
                    }
                }
            }
        });
    };
    match options.threads {
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(worker_threads(n, todo.len()))
                .build()
                .map_err(|e| journal(work, e))?;
            pool.install(body);
        }
        None => body(),
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Some((_, e)) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(RunError::Work(e));
    }
    let all_done = (0..plan.chunks()).all(|k| part_path(work, k).exists());
    if !all_done {
        let committed = (0..plan.chunks())
            .filter(|&k| part_path(work, k).exists())
            .count() as u64;
        if options.stop_after_chunks.is_none() {
            // Every chunk was run, yet some part is gone: something else removed it.
            return Err(journal(
                work,
                format!(
                    "{} of {} chunk files are missing after the run (removed by another process?); run again",
                    plan.chunks() - committed,
                    plan.chunks()
                ),
            ));
        }
        return Ok(Outcome::Stopped { committed });
    }
    Ok(Outcome::Complete(
        (0..plan.chunks()).map(|k| part_path(work, k)).collect(),
    ))
}

fn progress_bar(wanted: bool, total: u64, done: u64) -> Option<indicatif::ProgressBar> {
    if !wanted || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} subjects  {rate}  ETA {eta}")
    {
        bar.set_style(style.with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0} subjects/s", state.per_sec());
            },
        ));
    }
    bar.set_position(done);
    bar.reset_eta();
    Some(bar)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("osteosim-runner-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn touch(part: &Path, units: &Range<u64>) -> Result<(), String> {
        std::fs::write(part, format!("{units:?}")).map_err(|e| e.to_string())
    }

    #[test]
    fn threads_are_capped_by_chunks_and_cores_and_refused_above_the_limit() {
        assert_eq!(
            worker_threads(10_000, 3),
            3.min(worker_threads(10_000, 10_000))
        );
        assert!(
            worker_threads(10_000, 10_000) <= std::thread::available_parallelism().unwrap().get()
        );
        assert_eq!(worker_threads(0, 5), 1);
        assert_eq!(worker_threads(4, 0), 1);
        let work = dir("threads");
        let plan = Plan {
            units: 4,
            chunk_size: 2,
        };
        let options = RunOptions {
            threads: Some(10_000),
            ..Default::default()
        };
        let e = run_chunks(&work, "a", plan, &options, |_, u, p| touch(p, &u)).unwrap_err();
        assert!(e.to_string().contains("at most 1024"), "{e}");
        assert!(!work.exists(), "nothing is written for a refused run");
    }

    #[test]
    fn a_part_removed_during_the_run_is_an_error_not_a_stop() {
        let work = dir("vanished");
        let plan = Plan {
            units: 4,
            chunk_size: 2,
        };
        let f = |k: u64, u: Range<u64>, p: &Path| -> Result<(), String> {
            touch(p, &u)?;
            if k == 1 {
                // As another process that removed the work directory's parts.
                std::fs::remove_file(part_path(p.parent().unwrap(), 0))
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        };
        let options = RunOptions {
            threads: Some(1),
            ..Default::default()
        };
        let e = run_chunks(&work, "a", plan, &options, f).unwrap_err();
        assert!(e.to_string().contains("missing"), "{e}");
        let _ = std::fs::remove_dir_all(&work);
    }

    #[test]
    fn chunks_cover_the_units_once() {
        let plan = Plan {
            units: 10,
            chunk_size: 4,
        };
        assert_eq!(plan.chunks(), 3);
        assert_eq!(plan.units_of(2), 8..10);
    }

    #[test]
    fn stop_and_resume_commit_every_chunk_once() {
        let work = dir("resume");
        let plan = Plan {
            units: 20,
            chunk_size: 3,
        };
        let calls = AtomicUsize::new(0);
        let f = |_k: u64, u: Range<u64>, p: &Path| {
            calls.fetch_add(1, Ordering::SeqCst);
            touch(p, &u)
        };
        let first = RunOptions {
            threads: Some(2),
            stop_after_chunks: Some(2),
            ..Default::default()
        };
        let out = run_chunks(&work, "a", plan, &first, f).unwrap();
        let Outcome::Stopped { committed } = out else {
            panic!("{out:?}")
        };
        assert!((2..7).contains(&committed));
        let resume = RunOptions {
            threads: Some(1),
            resume: true,
            ..Default::default()
        };
        let before = calls.load(Ordering::SeqCst);
        let Outcome::Complete(parts) = run_chunks(&work, "a", plan, &resume, f).unwrap() else {
            panic!()
        };
        assert_eq!(parts.len(), 7);
        assert_eq!(
            calls.load(Ordering::SeqCst) - before,
            7 - committed as usize
        );
        assert_eq!(std::fs::read_to_string(&parts[6]).unwrap(), "18..20");
        // Another fingerprint refuses to resume.
        let e = run_chunks(&work, "b", plan, &resume, f).unwrap_err();
        assert!(e.to_string().contains("changed"), "{e}");
        let _ = std::fs::remove_dir_all(&work);
    }
}
