//! `osteosim export sbml|states [SCENARIO.toml] --out FILE`: one scenario's run in a form
//! other tools read.
//!
//! - `sbml` writes the whole model as SBML Level 3 Version 2 with the scenario's parameter
//!   values, initial (steady) state, doses and switches (see `osteosim_engine::sbml`).
//! - `states` writes the raw state trajectories (`time` in model time, then one column per
//!   state) at the scenario's output times, optionally with tighter solver tolerances: the
//!   unambiguous quantities to compare with another simulator.
//!
//! The hidden `osteosim bench` times repeated runs of one scenario inside one process.
//! Files are written whole or not at all (a temporary file renamed into place).

use std::path::Path;
use std::time::Instant;

use osteosim_engine::output::write_all_or_nothing;
use osteosim_engine::solve::integrate;
use osteosim_engine::{sbml, SimError, Simulation, SolverOptions};
use osteosim_model::scenario::Scenario;
use osteosim_model::{simulation, BindError};

use crate::failure::{note, print, Failure};
use crate::models::LoadedModel;

/// Tolerances for `export states` and `bench`; `None` keeps the engine's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tolerances {
    pub rtol: Option<f64>,
    /// Multiplies every state's absolute tolerance (declared or default).
    pub atol_scale: Option<f64>,
}

impl Tolerances {
    fn check(&self) -> Result<(), Failure> {
        for (name, v) in [("--rtol", self.rtol), ("--atol-scale", self.atol_scale)] {
            if let Some(v) = v {
                if !(v > 0.0 && v.is_finite()) {
                    return Err(Failure::bad_input(format!(
                        "{name} must be a positive number, found {v}"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// A scenario bound to a model, ready to export or run.
struct Bound {
    loaded: LoadedModel,
    scenario: Scenario,
    label: String,
}

impl Bound {
    fn new(scenario_path: Option<&Path>, model_dir: Option<&Path>) -> Result<Bound, Failure> {
        let loaded = LoadedModel::from_option(model_dir)?;
        let (scenario, label) = match scenario_path {
            Some(path) => (
                Scenario::read(path, &loaded.catalogue)
                    .map_err(|e| Failure::bad_input(e.to_string()))?,
                path.display().to_string(),
            ),
            None => (
                Scenario::default_woman(),
                "the built-in default scenario (a 45-year-old woman, natural menopause at 51, 30 years)"
                    .to_string(),
            ),
        };
        let known: Vec<&str> = loaded.model.parameter_names().collect();
        scenario
            .check_parameter_names(&known, &label)
            .map_err(|e| Failure::bad_input(e.to_string()))?;
        Ok(Bound {
            loaded,
            scenario,
            label,
        })
    }

    fn simulation(&self) -> Result<Simulation<'_>, Failure> {
        simulation(
            self.loaded.model.as_ref(),
            self.loaded.kernel(),
            &self.scenario,
        )
        .map_err(|e| self.bind_failure(e))
    }

    fn bind_failure(&self, e: BindError) -> Failure {
        match e {
            BindError::Missing { .. } | BindError::Catalogue(_) => {
                Failure::bad_input(format!("{}: {e}", self.label))
            }
            BindError::Simulation(e) => self.sim_failure(&e),
        }
    }

    fn sim_failure(&self, e: &SimError) -> Failure {
        let message = format!(
            "{}: the simulation on {} failed: {e}",
            self.label,
            self.loaded.describe()
        );
        match e {
            SimError::Parameter { .. } | SimError::Dose { .. } | SimError::Settings { .. } => {
                Failure::bad_input(message)
            }
            _ => Failure::run_failed(message),
        }
    }

    /// Integrate with the given tolerances; returns (times, states, integrator steps).
    fn states(&self, sim: &Simulation<'_>, tol: Tolerances) -> Result<StateRun, Failure> {
        let mut problem = sim.problem().map_err(|e| self.sim_failure(&e))?;
        if let Some(rtol) = tol.rtol {
            problem.options.rtol = rtol;
        }
        if let Some(scale) = tol.atol_scale {
            problem.atol.iter_mut().for_each(|a| *a *= scale);
        }
        let names: Vec<String> = sim.model().states.iter().map(|s| s.name.clone()).collect();
        let traj =
            integrate(self.loaded.kernel(), &problem, &names).map_err(|e| self.sim_failure(&e))?;
        Ok(StateRun {
            times: traj.times,
            states: traj.states,
            steps: traj.stats.steps,
            rhs: traj.stats.rhs_evaluations,
        })
    }
}

struct StateRun {
    times: Vec<f64>,
    states: Vec<Vec<f64>>,
    steps: usize,
    rhs: usize,
}

/// Write `bytes` to `path` whole: a temporary file next to it, then a rename.
fn write_file(path: &Path, bytes: Vec<u8>) -> Result<(), Failure> {
    let fail = |m: String| Failure::bad_input(format!("cannot write `{}`: {m}", path.display()));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| fail("not a file name".into()))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    write_all_or_nothing(dir, &[(name, bytes)])
        .map(|_| ())
        .map_err(|e| Failure::bad_input(format!("cannot write the output: {e}")))
}

/// `osteosim export sbml`.
pub fn sbml(
    scenario_path: Option<&Path>,
    model_dir: Option<&Path>,
    out: &Path,
) -> Result<(), Failure> {
    let bound = Bound::new(scenario_path, model_dir)?;
    let sim = bound.simulation()?;
    let note_text = format!(
        "Exported by osteosim {} from {} for {}.",
        env!("CARGO_PKG_VERSION"),
        bound.loaded.describe(),
        bound.label
    );
    let doc = sbml::to_sbml(&sim, &note_text).map_err(|e| bound.sim_failure(&e))?;
    write_file(out, doc.into_bytes())?;
    let model = sim.model();
    print(&format!(
        "wrote {} (SBML Level 3 Version 2: {} states, {} parameters, {} assignments, {} processes, {} observables, {} doses)\n",
        out.display(),
        model.states.len(),
        model.parameters.len(),
        model.assignments.len(),
        model.processes.len(),
        model.observables.len(),
        sim.doses().len()
    ))
}

/// `osteosim export states`.
pub fn states(
    scenario_path: Option<&Path>,
    model_dir: Option<&Path>,
    out: &Path,
    tol: Tolerances,
) -> Result<(), Failure> {
    tol.check()?;
    let bound = Bound::new(scenario_path, model_dir)?;
    let sim = bound.simulation()?;
    let run = bound.states(&sim, tol)?;
    let model = sim.model();
    let mut csv = String::from("time");
    for s in &model.states {
        csv.push(',');
        csv.push_str(&s.name);
    }
    csv.push('\n');
    for (t, y) in run.times.iter().zip(&run.states) {
        csv.push_str(&format!("{t}"));
        for v in y {
            csv.push_str(&format!(",{v}"));
        }
        csv.push('\n');
    }
    write_file(out, csv.into_bytes())?;
    print(&format!(
        "wrote {} ({} times, {} states; {} steps, {} right-hand side evaluations)\n",
        out.display(),
        run.times.len(),
        model.states.len(),
        run.steps,
        run.rhs
    ))
}

/// `sim` integrated as a virtual trial integrates its subjects, when `trial_settings`.
fn with_settings(sim: Simulation<'_>, trial_settings: bool) -> Simulation<'_> {
    if trial_settings {
        // A trial's default tolerance; --rtol still overrides it.
        let rtol = osteosim_model::virtual_trial::DEFAULT_RELATIVE_TOLERANCE;
        sim.with_options(SolverOptions::for_populations(rtol))
    } else {
        sim
    }
}

/// `osteosim bench`: `runs` runs of one scenario in this process. Prints JSON with the
/// per-run wall time of the whole run (binding, steady state, integration) and of the
/// integration alone. With `trial_settings`, every run is integrated as a virtual trial
/// integrates its subjects.
pub fn bench(
    scenario_path: Option<&Path>,
    model_dir: Option<&Path>,
    runs: usize,
    trial_settings: bool,
    tol: Tolerances,
) -> Result<(), Failure> {
    tol.check()?;
    if runs == 0 {
        return Err(Failure::bad_input("--runs must be at least 1"));
    }
    let bound = Bound::new(scenario_path, model_dir)?;
    if bound.loaded.is_interpreted() {
        note("the model differs from the built-in one: timing the tape interpreter");
    }
    let settings = |sim| with_settings(sim, trial_settings);
    // Warm-up, and the integration problem reused for the integration-only figure.
    let sim = settings(bound.simulation()?);
    let first = bound.states(&sim, tol)?;
    let mut whole = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let sim = settings(bound.simulation()?);
        let run = bound.states(&sim, tol)?;
        whole.push(started.elapsed().as_secs_f64());
        std::hint::black_box(run.states.last().map(|y| y.len()));
    }
    let mut problem = sim.problem().map_err(|e| bound.sim_failure(&e))?;
    if let Some(rtol) = tol.rtol {
        problem.options.rtol = rtol;
    }
    if let Some(scale) = tol.atol_scale {
        problem.atol.iter_mut().for_each(|a| *a *= scale);
    }
    let names: Vec<String> = sim.model().states.iter().map(|s| s.name.clone()).collect();
    let mut integration = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let traj = integrate(bound.loaded.kernel(), &problem, &names)
            .map_err(|e| bound.sim_failure(&e))?;
        integration.push(started.elapsed().as_secs_f64());
        std::hint::black_box(traj.states.len());
    }
    let summary = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        serde_json::json!({
            "median_ms": 1e3 * v[v.len() / 2],
            "mean_ms": 1e3 * mean,
            "min_ms": 1e3 * v[0],
            "max_ms": 1e3 * v[v.len() - 1],
        })
    };
    let options = sim.options();
    let report = serde_json::json!({
        "scenario": bound.label,
        "model": bound.loaded.describe(),
        "evaluator": bound.loaded.evaluator_name(),
        "runs": runs,
        "rtol": tol.rtol.unwrap_or(options.rtol),
        "atol_scale": tol.atol_scale.unwrap_or(1.0),
        "trial_settings": trial_settings,
        "output_times": first.times.len(),
        "steps": first.steps,
        "rhs_evaluations": first.rhs,
        "whole_run": summary(&mut whole),
        "integration_only": summary(&mut integration),
    });
    print(&format!("{report:#}\n"))
}
