//! Speed of the built-in model: the native kernel generated at build time against the tape
//! interpreter that runs edited models.
//!
//! `cargo bench -p osteosim-model --bench speed` prints
//! (a) right-hand-side and Jacobian evaluations per second for both kernels, and
//! (b) the wall time of the full default run (`Scenario::default_woman()`) with both kernels,
//!     with the solver's step and evaluation counts.
//!
//! Every figure is the median of several repetitions. Nothing is asserted: timings depend on
//! the machine. A plain `main` (no benchmark framework) keeps CI builds light. Run without
//! `--bench` (as `cargo test --benches` does) it takes one short repetition of everything, as
//! a smoke test.

use std::hint::black_box;
use std::time::{Duration, Instant};

use osteosim_engine::{compile, Kernel, Model, Simulation, SolverStats};
use osteosim_model::builtin;
use osteosim_model::report;
use osteosim_model::scenario::Scenario;

/// How much work each figure gets.
struct Effort {
    /// Repetitions whose median is reported.
    repetitions: usize,
    /// Smallest duration of one timed batch of kernel evaluations.
    batch: Duration,
    /// Repetitions of the full run (fewer when one run is slow).
    run_repetitions: usize,
}

impl Effort {
    fn from_args() -> Effort {
        if std::env::args().any(|a| a == "--bench") {
            Effort {
                repetitions: 9,
                batch: Duration::from_millis(100),
                run_repetitions: 7,
            }
        } else {
            Effort {
                repetitions: 1,
                batch: Duration::from_millis(1),
                run_repetitions: 1,
            }
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
}

/// Evaluations per second of `eval`: a batch size is doubled until one batch lasts at least
/// `effort.batch`, then batches of that size are timed and the median rate is returned.
fn rate(effort: &Effort, mut eval: impl FnMut()) -> f64 {
    let timed = |eval: &mut dyn FnMut(), n: u64| {
        let start = Instant::now();
        for _ in 0..n {
            eval();
        }
        start.elapsed()
    };
    let mut n: u64 = 1;
    loop {
        if timed(&mut eval, n) >= effort.batch || n >= 1 << 40 {
            break;
        }
        n *= 2;
    }
    let rates = (0..effort.repetitions)
        .map(|_| n as f64 / timed(&mut eval, n).as_secs_f64().max(1e-12))
        .collect();
    median(rates)
}

/// A point at which to evaluate the kernels: the default woman's parameters and initial
/// state when the model can bind that scenario, otherwise the model's declared values.
struct Point {
    t: f64,
    y: Vec<f64>,
    p: Vec<f64>,
    /// Where the point comes from.
    origin: &'static str,
    /// Why a better point was not available.
    note: Option<String>,
}

fn point(model: &Model, kernel: &dyn Kernel) -> Point {
    let scenario = Scenario::default_woman();
    let bound = osteosim_model::simulation(model, kernel, &scenario)
        .map_err(|e| e.to_string())
        .and_then(|sim| {
            let y = sim.initial_state().map_err(|e| e.to_string())?;
            Ok((y, sim.parameters().to_vec()))
        });
    match bound {
        Ok((y, p)) => Point {
            t: 0.0,
            y,
            p,
            origin: "the default woman's initial state",
            note: None,
        },
        Err(why) => {
            let sim = Simulation::new(model, kernel);
            let p = sim.parameters().to_vec();
            match sim.initial_state() {
                Ok(y) => Point {
                    t: 0.0,
                    y,
                    p,
                    origin: "the model's declared parameters and initial state",
                    note: Some(format!("the default woman cannot be set up: {why}")),
                },
                Err(e) => Point {
                    t: 0.0,
                    y: vec![1.0; model.states.len()],
                    p,
                    origin: "the declared parameters with every state at 1",
                    note: Some(format!(
                        "the default woman cannot be set up: {why}; nor the declared initial state: {e}"
                    )),
                },
            }
        }
    }
}

/// Right-hand side and Jacobian evaluations per second of `kernel` at `at`.
fn kernel_rates(effort: &Effort, kernel: &dyn Kernel, at: &Point) -> (f64, f64) {
    let mut dy = vec![0.0; kernel.n_states()];
    let mut jac = vec![0.0; kernel.jacobian_pattern().len()];
    let mut scratch = vec![0.0; kernel.n_scratch()];
    let rhs = rate(effort, || {
        black_box(kernel).rhs(
            black_box(at.t),
            black_box(&at.y),
            black_box(&at.p),
            &mut dy,
            &mut scratch,
        );
        black_box(&mut dy);
    });
    let jacobian = rate(effort, || {
        black_box(kernel).jacobian(
            black_box(at.t),
            black_box(&at.y),
            black_box(&at.p),
            &mut jac,
            &mut scratch,
        );
        black_box(&mut jac);
    });
    (rhs, jacobian)
}

/// One full default run: its wall time, the solver's counts and the output table's rows.
struct FullRun {
    seconds: f64,
    stats: SolverStats,
    rows: Vec<Vec<f64>>,
}

fn count(summary: &serde_json::Value, key: &str) -> usize {
    summary["solver"][key].as_u64().unwrap_or(0) as usize
}

fn full_run(model: &Model, kernel: &dyn Kernel, effort: &Effort) -> Result<FullRun, String> {
    let scenario = Scenario::default_woman();
    let once = || -> Result<(f64, report::RunOutput), String> {
        let start = Instant::now();
        let out = report::run(
            black_box(model),
            black_box(kernel),
            black_box(&scenario),
            "default woman",
        )
        .map_err(|e| e.to_string())?;
        Ok((start.elapsed().as_secs_f64(), black_box(out)))
    };
    // The first run also tells how many more are affordable.
    let (first, out) = once()?;
    let repetitions = if first > 10.0 {
        1
    } else if first > 2.0 {
        effort.run_repetitions.min(3)
    } else {
        effort.run_repetitions
    };
    let mut times = vec![first];
    for _ in 1..repetitions {
        times.push(once()?.0);
    }
    let s = &out.summary;
    Ok(FullRun {
        seconds: median(times),
        stats: SolverStats {
            steps: count(s, "steps"),
            rhs_evaluations: count(s, "rhs_evaluations"),
            jacobian_evaluations: count(s, "jacobian_evaluations"),
            error_test_failures: count(s, "error_test_failures"),
            nonlinear_solver_failures: count(s, "nonlinear_solver_failures"),
            restarts: count(s, "restarts"),
            wall_seconds: s["solver"]["wall_seconds"].as_f64().unwrap_or(f64::NAN),
        },
        rows: out.table.rows,
    })
}

/// Largest difference between two tables relative to the larger magnitude (0 when equal).
fn largest_difference(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    if a.len() != b.len() {
        return f64::INFINITY;
    }
    a.iter()
        .zip(b)
        .flat_map(|(ra, rb)| ra.iter().zip(rb))
        .map(|(x, y)| {
            if x == y || (x.is_nan() && y.is_nan()) {
                0.0
            } else {
                (x - y).abs() / x.abs().max(y.abs())
            }
        })
        .fold(0.0, f64::max)
}

fn main() {
    let effort = Effort::from_args();
    let model = builtin::model();
    let native = builtin::kernel();
    let tapes = compile(model);

    println!(
        "osteosim speed: model `{}` ({} states, {} parameters, {} assignments, {} processes, {} observables)",
        model.name,
        model.states.len(),
        model.parameters.len(),
        model.assignments.len(),
        model.processes.len(),
        model.observables.len(),
    );
    println!(
        "tapes: {} right-hand-side, {} Jacobian ({} non-zero entries), {} observable instructions",
        tapes.rhs.ops.len(),
        tapes.jacobian.ops.len(),
        tapes.pattern.len(),
        tapes.observables.ops.len(),
    );
    if effort.repetitions == 1 {
        println!("(smoke mode: one short repetition each; run with `cargo bench` for figures)");
    }

    // (a) Kernel evaluations.
    let at = point(model, native);
    let (native_rhs, native_jac) = kernel_rates(&effort, native, &at);
    let (tape_rhs, tape_jac) = kernel_rates(&effort, &tapes, &at);
    println!();
    println!(
        "kernel evaluations per second (median of {}), at {}",
        effort.repetitions, at.origin
    );
    if let Some(note) = &at.note {
        println!("  ({note})");
    }
    println!(
        "  {:<22} {:>14} {:>14} {:>14}",
        "", "native", "tape", "native/tape"
    );
    for (what, n, t) in [
        ("right-hand side", native_rhs, tape_rhs),
        ("Jacobian", native_jac, tape_jac),
    ] {
        println!("  {what:<22} {n:>14.4e} {t:>14.4e} {:>14.2}", n / t);
    }

    // (b) The full default run.
    println!();
    let runs = full_run(model, native, &effort).and_then(|n| {
        let t = full_run(model, &tapes, &effort)?;
        Ok((n, t))
    });
    match runs {
        Ok((n, t)) => {
            println!(
                "full default run (Scenario::default_woman(), report::run; median of up to {})",
                effort.run_repetitions
            );
            println!(
                "  {:<22} {:>14} {:>14} {:>14}",
                "", "native", "tape", "tape/native"
            );
            println!(
                "  {:<22} {:>14.2} {:>14.2} {:>14.2}",
                "wall time (ms)",
                1e3 * n.seconds,
                1e3 * t.seconds,
                t.seconds / n.seconds
            );
            for (what, a, b) in [
                ("solver steps", n.stats.steps, t.stats.steps),
                (
                    "rhs evaluations",
                    n.stats.rhs_evaluations,
                    t.stats.rhs_evaluations,
                ),
                (
                    "Jacobian evaluations",
                    n.stats.jacobian_evaluations,
                    t.stats.jacobian_evaluations,
                ),
                (
                    "error test failures",
                    n.stats.error_test_failures,
                    t.stats.error_test_failures,
                ),
                ("restarts (events)", n.stats.restarts, t.stats.restarts),
            ] {
                println!("  {what:<22} {a:>14} {b:>14}");
            }
            let diff = largest_difference(&n.rows, &t.rows);
            if diff == 0.0 {
                println!("  native and tape outputs are identical");
            } else {
                println!(
                    "  native and tape outputs differ: largest relative difference {diff:.3e}"
                );
            }
        }
        Err(why) => {
            println!("full default run: not possible with this model: {why}");
        }
    }
}
