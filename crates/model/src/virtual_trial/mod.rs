//! A virtual trial of the osteosim model: every subject of a drawn population is simulated
//! in every arm (virtual twins), fractures and deaths are drawn from each subject's own
//! hazards with the same random numbers in every arm, and the results are written as
//! `subjects.parquet`, `arms.csv`, `events.csv`, `population.csv` and `summary.json`.
//!
//! See `docs/trials.md` for the file format, the outputs and every choice made here.

pub mod file;
mod outputs;
mod subject;

use std::path::{Path, PathBuf};

use crate::binding::BindError;
use crate::catalogue::Catalogue;
use crate::report;
use crate::toml_section::ScenarioError;
use osteosim_engine::output::{OutputDir, OutputError};
use osteosim_engine::{Kernel, Model, SimError, SolverOptions};

pub use file::{Arm, Bound, BoundKind, Fraction, Names, Population, Spread, Stored, TrialFile};
pub use subject::{ArmRecord, SubjectRecord};

/// The largest `threads` a trial accepts.
pub use osteosim_trial::runner::MAX_THREADS;
use osteosim_trial::runner::{self, Outcome, Plan, RunError, RunOptions};
use osteosim_trial::store::{Layout, StoreError};

/// Files written into the output directory.
pub const SUBJECTS_FILE: &str = "subjects.parquet";
pub const ARMS_FILE: &str = "arms.csv";
pub const EVENTS_FILE: &str = "events.csv";
pub const POPULATION_FILE: &str = "population.csv";
pub const SUMMARY_FILE: &str = "summary.json";
/// The work directory (chunk parts and journal) inside the output directory, removed when
/// the trial completes, and when it fails before any chunk was committed or for a reason
/// that a resumed run would meet again.
pub const WORK_DIR: &str = ".osteosim-trial";

/// Columns whose level early after menopause is tested as a predictor, when the model has
/// them.
pub const PREDICTOR_COLUMNS: [&str; 9] = [
    "circulating_evs",
    "ev_cargo_mir34a",
    "ev_cargo_mir183_cluster",
    "ev_cargo_mir483_5p",
    "ev_cargo_mir2861",
    "ev_cargo_mir20a",
    "ev_cargo_rankl",
    "ev_cargo_oxidative",
    "ctx_ng_ml",
];

/// The three DXA sites whose % change is reported.
pub const BMD_SITES: [&str; 3] = [
    "bmd_lumbar_spine_g_cm2",
    "bmd_total_hip_g_cm2",
    "bmd_femoral_neck_g_cm2",
];

/// Events drawn per subject and arm, in the order of [`ArmRecord::events`].
pub const EVENTS: [&str; 3] = ["major_osteoporotic_fracture", "hip_fracture", "death"];

/// Largest number of draws for one subject before inclusion is declared impossible.
pub const MAX_ATTEMPTS: u64 = 2_000;

/// How a trial failed.
#[derive(Debug, thiserror::Error)]
pub enum TrialError {
    /// The trial file is not valid: its file, line, key and what was expected (exit code 2).
    #[error(transparent)]
    File(#[from] ScenarioError),
    /// The population cannot be drawn as the file asks: the key of the population section
    /// at fault and why (exit code 2).
    #[error("{label}: `{key}`: {message}")]
    Population {
        label: String,
        key: String,
        message: String,
    },
    /// A valid trial file asks for what the model cannot give (exit code 2).
    #[error("{label}: {message}")]
    Model { label: String, message: String },
    /// One subject cannot run in one arm: exit code 1 when the simulation failed numerically
    /// ([`TrialError::is_numerical`]), 2 when what the subject was given is invalid.
    #[error("{label}: subject {subject}, arm `{arm}`: {error}")]
    Subject {
        label: String,
        subject: u64,
        arm: String,
        error: BindError,
    },
    /// `--resume` on a directory whose work belongs to another trial (exit code 2).
    #[error("cannot resume in {}: {message}", dir.display())]
    Resume { dir: PathBuf, message: String },
    /// A file of the output directory cannot be written or read (exit code 2).
    #[error("{}: {message}", path.display())]
    Output { path: PathBuf, message: String },
    /// Another process is writing to the output directory (exit code 2).
    #[error("{}: another osteosim process (a trial or a run) is writing to this directory; wait for it to finish or choose another output directory", dir.display())]
    Busy { dir: PathBuf },
    /// The options cannot be used (exit code 2).
    #[error("{0}")]
    Options(String),
}

impl TrialError {
    /// True when a subject's simulation failed numerically (exit code 1); every other error is
    /// about the input or the output directory (exit code 2).
    pub fn is_numerical(&self) -> bool {
        match self {
            TrialError::Subject {
                error: BindError::Simulation(e),
                ..
            } => !matches!(
                e,
                SimError::Parameter { .. } | SimError::Dose { .. } | SimError::Settings { .. }
            ),
            _ => false,
        }
    }
}

impl From<OutputError> for TrialError {
    fn from(e: OutputError) -> Self {
        match e {
            OutputError::File { path, message } => TrialError::Output { path, message },
            OutputError::Busy { dir } => TrialError::Busy { dir },
        }
    }
}

impl From<StoreError> for TrialError {
    fn from(e: StoreError) -> Self {
        let StoreError::File { path, message } = e;
        TrialError::Output { path, message }
    }
}

/// A trial's relative tolerance when its file sets no `[simulation] relative_tolerance`.
///
/// Looser than a single run's 1e-6: on the 10-year placebo-vs-denosumab design of 1,000 women,
/// with the rest of the population settings, arm means of % BMD change moved by at most 0.007
/// points (0.06 of their 95% CI half-width), the drawn relative risks not at all and the
/// expected ones by 1e-4, and the validation suite's trial targets kept their values and
/// verdicts (`docs/performance.md`).
pub const DEFAULT_RELATIVE_TOLERANCE: f64 = 1e-4;

/// How the subjects' runs are integrated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Numerics {
    /// The trial's settings: `[simulation] relative_tolerance` or
    /// [`DEFAULT_RELATIVE_TOLERANCE`], with the restart step after each dose estimated from
    /// the new state and steps that may grow tenfold (`SolverOptions::for_populations`).
    #[default]
    Population,
    /// As a single run of each subject would be integrated: the file's relative tolerance or
    /// the engine's (1e-6), fixed restart steps. The reference the benchmark compares with.
    SingleRun,
}

/// How to run a trial.
#[derive(Debug, Clone, Default)]
pub struct TrialOptions {
    pub threads: Option<usize>,
    pub resume: bool,
    /// Stop after this many chunks were committed, as if killed (tests).
    pub stop_after_chunks: Option<usize>,
    pub progress: bool,
    pub numerics: Numerics,
    /// Subjects per chunk instead of [`chunk_size`] (tests and benchmarks: per-subject
    /// results do not depend on it).
    pub chunk_size: Option<u64>,
}

/// How a trial ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Finished {
    Complete {
        subjects: u64,
        arms: usize,
        files: Vec<PathBuf>,
    },
    Stopped {
        committed_chunks: u64,
        chunks: u64,
    },
}

/// True when `work` holds at least one committed chunk.
fn has_parts(work: &Path) -> bool {
    std::fs::read_dir(work).is_ok_and(|d| {
        d.filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with("part-"))
    })
}

/// Subjects per chunk: a function of the population size only (never of the thread count),
/// between 4 and 256, about 512 chunks for large populations.
pub fn chunk_size(size: u64) -> u64 {
    size.div_ceil(512).clamp(4, 256)
}

/// FNV-1a, 64 bits: the fingerprint of a trial file's bytes.
pub fn fnv64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Everything fixed for the whole trial.
pub(crate) struct Context<'a> {
    pub model: &'a Model,
    pub kernel: &'a dyn Kernel,
    pub trial: TrialFile,
    pub label: String,
    pub text_hash: u64,
    /// Output columns: name and observable index (None for `day`).
    pub columns: Vec<(String, Option<usize>)>,
    /// Varied parameters with their value for this species and sex before variation.
    pub nominal: Vec<(String, f64)>,
    /// Indices into `columns` of the columns `subjects.parquet` keeps, `day` first.
    pub stored: Vec<usize>,
    pub layout: Layout,
    pub solver: SolverOptions,
    /// Settings a subject's run is retried with when it fails under `solver` (the population
    /// settings' larger steps can take the integrator where a single run's would not go):
    /// single-run numerics at a single run's tolerance (or the file's, when tighter). None when
    /// `solver` already is that.
    pub fallback: Option<SolverOptions>,
}

impl Context<'_> {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(c, _)| c == name)
    }
}

/// Run the trial file `text` (named `label` in messages) on `model` into `out`.
pub fn run(
    model: &Model,
    kernel: &dyn Kernel,
    text: &str,
    label: &str,
    out: &Path,
    options: &TrialOptions,
) -> Result<Finished, TrialError> {
    let columns = report::column_order(model);
    let parameter_names: Vec<&str> = model.parameter_names().collect();
    let column_names: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
    let catalogue = Catalogue::of(model).map_err(|e| TrialError::Model {
        label: label.to_string(),
        message: e.to_string(),
    })?;
    let names = Names {
        parameters: &parameter_names,
        columns: &column_names,
        catalogue: &catalogue,
    };
    let trial = TrialFile::from_toml_str(text, label, &names)?;
    let nominal = subject::nominal_values(model, kernel, &trial, label)?;
    // Stored columns in the model's column order, whatever order the file lists them in.
    let stored: Vec<usize> = (0..columns.len())
        .filter(|&k| {
            k == 0
                || trial
                    .outputs
                    .columns
                    .as_ref()
                    .is_none_or(|kept| kept.contains(&columns[k].0))
        })
        .collect();
    let layout = Layout {
        unit_column: "subject".into(),
        group_column: "arm".into(),
        groups: trial.arms.iter().map(|a| a.name.clone()).collect(),
        value_columns: stored.iter().map(|&k| columns[k].0.clone()).collect(),
    };
    let rtol = trial.simulation.relative_tolerance;
    let single_run = |rtol: f64| SolverOptions {
        rtol,
        ..SolverOptions::default()
    };
    let (solver, fallback) = match options.numerics {
        Numerics::Population => {
            let rtol = rtol.unwrap_or(DEFAULT_RELATIVE_TOLERANCE);
            let tighter = rtol.min(SolverOptions::default().rtol);
            (
                SolverOptions::for_populations(rtol),
                Some(single_run(tighter)),
            )
        }
        Numerics::SingleRun => (
            single_run(rtol.unwrap_or(SolverOptions::default().rtol)),
            None,
        ),
    };
    let ctx = Context {
        model,
        kernel,
        solver,
        label: label.to_string(),
        text_hash: fnv64(text.as_bytes()),
        trial,
        columns,
        nominal,
        stored,
        layout,
        fallback,
    };
    let plan = Plan {
        units: ctx.trial.population.size,
        chunk_size: options
            .chunk_size
            .unwrap_or_else(|| chunk_size(ctx.trial.population.size))
            .max(1),
    };
    let fingerprint = format!(
        "trial {:016x}, model {:016x}, osteosim {}, numerics {:?}",
        ctx.text_hash,
        model.content_hash,
        env!("CARGO_PKG_VERSION"),
        options.numerics
    );
    // One trial per output directory, locked until its outputs are in place; the lock is
    // released (and a directory created here but left empty is removed) on return.
    let out_dir = OutputDir::lock(out)?;
    let work = out.join(WORK_DIR);
    let run_options = RunOptions {
        threads: options.threads,
        resume: options.resume,
        stop_after_chunks: options.stop_after_chunks,
        progress: options.progress,
    };
    // A work directory this run starts (rather than one it resumes) is its own to remove.
    let fresh = !(options.resume && work.join(runner::MANIFEST).is_file());
    let outcome = runner::run_chunks(&work, &fingerprint, plan, &run_options, |k, units, part| {
        subject::run_chunk(&ctx, k, units, part)
    })
    .map_err(|e| match e {
        RunError::Work(e) => e,
        RunError::Resume { dir, message } => TrialError::Resume { dir, message },
        RunError::Journal { path, message } => TrialError::Output { path, message },
        RunError::Threads(_) => TrialError::Options(e.to_string()),
    });
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            if fresh && !(matches!(e, TrialError::Output { .. }) && has_parts(&work)) {
                // Nothing a resumed run could use: leave the directory as it was found.
                let _ = std::fs::remove_dir_all(&work);
            }
            return Err(e);
        }
    };
    match outcome {
        Outcome::Stopped { committed } => Ok(Finished::Stopped {
            committed_chunks: committed,
            chunks: plan.chunks(),
        }),
        Outcome::Complete(parts) => {
            let files = outputs::finalize(&ctx, &parts, &work, &out_dir)?;
            let _ = std::fs::remove_dir_all(&work);
            Ok(Finished::Complete {
                subjects: plan.units,
                arms: ctx.trial.arms.len(),
                files,
            })
        }
    }
}
