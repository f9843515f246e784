//! `osteosim`: the command line of the osteosim simulator of bone remodelling after estrogen
//! loss. A thin layer over `osteosim-model` (scenarios, the built-in model, reports) and
//! `osteosim-engine` (model files, solver, outputs).
//!
//! Exit codes: 0 success, 1 a valid run failed numerically, 2 bad input (see [`failure`]).

mod check;
mod drugs;
mod export;
mod failure;
mod models;
mod pages;
mod params;
mod run;
mod serve;
mod trial;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::failure::{note, Failure};
use crate::models::LoadedModel;

/// Mechanistic simulator of bone remodelling after estrogen loss: endocrine, immune,
/// signalling, bone cell, tissue, vesicle and senescence layers in women, men and mice.
#[derive(Debug, Parser)]
#[command(name = "osteosim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate one subject and write DIR/timeseries.csv, DIR/summary.json and DIR/report.html.
    ///
    /// Without a scenario file, runs the built-in default: a 45-year-old woman, natural
    /// menopause at 51, 30 years. Outputs are written whole or not at all.
    Run {
        /// Scenario file (TOML); see the README for its keys.
        #[arg(value_name = "SCENARIO.toml")]
        scenario: Option<PathBuf>,
        /// Model directory (model.toml and its layer files) instead of the built-in model.
        #[arg(long, value_name = "DIR")]
        model: Option<PathBuf>,
        /// Directory for timeseries.csv, summary.json and report.html (created if missing).
        #[arg(long, value_name = "DIR", default_value = "out")]
        out: PathBuf,
    },
    /// List every model parameter: value, unit, source, layer and description.
    Params {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
        /// Model directory instead of the built-in model.
        #[arg(long, value_name = "DIR")]
        model: Option<PathBuf>,
    },
    /// List every drug id: what it is, routes, usual regimen, whether the model gives it yet,
    /// and the parameters of its layer with values, units and sources.
    Drugs {
        /// Print a JSON array instead of text.
        #[arg(long)]
        json: bool,
        /// Model directory instead of the built-in model.
        #[arg(long, value_name = "DIR")]
        model: Option<PathBuf>,
    },
    /// Run the validation suite: every published target against the built-in model (or an
    /// edited one). Prints target, model value, band and verdict, and writes DIR/validation.md
    /// and DIR/report.html.
    Validate {
        /// Only this target (e.g. B1).
        #[arg(value_name = "TARGET")]
        target: Option<String>,
        /// Model directory instead of the built-in model.
        #[arg(long, value_name = "DIR")]
        model: Option<PathBuf>,
        /// Directory for validation.md and report.html (created if missing).
        #[arg(long, value_name = "DIR", default_value = "out")]
        out: PathBuf,
    },
    /// Run a virtual trial: every subject of a drawn population in every arm. Writes
    /// DIR/subjects.parquet, arms.csv, events.csv, population.csv, summary.json and report.html.
    Trial {
        /// Virtual trial file (TOML); see docs/trials.md.
        #[arg(value_name = "TRIAL.toml")]
        file: PathBuf,
        /// Directory for the outputs (created if missing).
        #[arg(long, value_name = "DIR", default_value = "out")]
        out: PathBuf,
        /// Continue an interrupted run of the same trial file in DIR.
        #[arg(long)]
        resume: bool,
        /// Worker threads, 1 to 1024 (default: all cores). No more are started than there
        /// are cores and chunks of subjects to run. Results do not depend on it.
        #[arg(long, value_name = "N",
              value_parser = clap::value_parser!(u64).range(1..=osteosim_model::virtual_trial::MAX_THREADS as u64))]
        threads: Option<u64>,
    },
    /// Serve a local web page to build scenarios, run and compare them and run small trials.
    ///
    /// Listens on 127.0.0.1 (this machine only) unless --host names another address; it has
    /// no authentication.
    Serve {
        /// TCP port (0 picks a free one; the address is printed).
        #[arg(long, value_name = "N", default_value_t = 8018)]
        port: u16,
        /// IP address to listen on; anything but a loopback address serves other machines.
        #[arg(long, value_name = "H", default_value = "127.0.0.1")]
        host: String,
    },
    /// Load and check a model directory (the built-in model when omitted).
    Check {
        /// Model directory (holding model.toml).
        #[arg(value_name = "MODEL_DIR")]
        model_dir: Option<PathBuf>,
    },
    /// Write one scenario's run for other tools: the model as SBML, or raw state trajectories.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// Time repeated runs of one scenario inside one process (prints JSON).
    #[command(hide = true)]
    Bench {
        /// Scenario file (TOML); the built-in default when omitted.
        #[arg(value_name = "SCENARIO.toml")]
        scenario: Option<PathBuf>,
        /// Model directory instead of the built-in model.
        #[arg(long, value_name = "DIR")]
        model: Option<PathBuf>,
        /// Number of timed runs.
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Integrate as a virtual trial integrates its subjects (relative tolerance 1e-4
        /// unless --rtol, restart step estimated after each dose, steps growing up to
        /// tenfold, dosed states to 1e-4 of a dose).
        #[arg(long)]
        trial_settings: bool,
        #[command(flatten)]
        tolerances: ToleranceArgs,
    },
}

#[derive(Debug, Subcommand)]
enum ExportCommand {
    /// The whole model as SBML Level 3 Version 2, with the scenario's parameter values,
    /// initial steady state, doses and switches (built-in default scenario when omitted).
    Sbml {
        /// Scenario file (TOML); the built-in default when omitted.
        #[arg(value_name = "SCENARIO.toml")]
        scenario: Option<PathBuf>,
        /// Model directory instead of the built-in model.
        #[arg(long, value_name = "DIR")]
        model: Option<PathBuf>,
        /// The SBML file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Raw state trajectories (CSV: model time, then one column per state) at the
    /// scenario's output times.
    States {
        /// Scenario file (TOML); the built-in default when omitted.
        #[arg(value_name = "SCENARIO.toml")]
        scenario: Option<PathBuf>,
        /// Model directory instead of the built-in model.
        #[arg(long, value_name = "DIR")]
        model: Option<PathBuf>,
        /// The CSV file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        tolerances: ToleranceArgs,
    },
}

/// Solver tolerances (the engine's defaults when omitted).
#[derive(Debug, clap::Args)]
struct ToleranceArgs {
    /// Relative tolerance of the integrator.
    #[arg(long, value_name = "X")]
    rtol: Option<f64>,
    /// Factor applied to every state's absolute tolerance.
    #[arg(long, value_name = "X")]
    atol_scale: Option<f64>,
}

impl From<ToleranceArgs> for export::Tolerances {
    fn from(a: ToleranceArgs) -> Self {
        export::Tolerances {
            rtol: a.rtol,
            atol_scale: a.atol_scale,
        }
    }
}

fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Run {
            scenario,
            model,
            out,
        } => run::run(scenario.as_deref(), model.as_deref(), &out),
        Command::Params { json, model } => {
            let loaded = LoadedModel::from_option(model.as_deref())?;
            params::params(&loaded, json)
        }
        Command::Drugs { json, model } => {
            let loaded = LoadedModel::from_option(model.as_deref())?;
            drugs::drugs(&loaded, json)
        }
        Command::Trial {
            file,
            out,
            resume,
            threads,
        } => trial::trial(
            &file,
            &out,
            resume,
            threads.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        ),
        Command::Check { model_dir } => check::check(model_dir.as_deref()),
        Command::Serve { port, host } => serve::serve(&host, port),
        Command::Validate { target, model, out } => {
            let loaded = LoadedModel::from_option(model.as_deref())?;
            validate::validate(&loaded, target.as_deref(), &out)
        }
        Command::Export { what } => match what {
            ExportCommand::Sbml {
                scenario,
                model,
                out,
            } => export::sbml(scenario.as_deref(), model.as_deref(), &out),
            ExportCommand::States {
                scenario,
                model,
                out,
                tolerances,
            } => export::states(
                scenario.as_deref(),
                model.as_deref(),
                &out,
                tolerances.into(),
            ),
        },
        Command::Bench {
            scenario,
            model,
            runs,
            trial_settings,
            tolerances,
        } => export::bench(
            scenario.as_deref(),
            model.as_deref(),
            runs,
            trial_settings,
            tolerances.into(),
        ),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with code 0; usage errors to stderr with code 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(failure::EXIT_BAD_INPUT));
        }
    };
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            note(&format!("error: {}", f.message));
            ExitCode::from(f.code)
        }
    }
}
