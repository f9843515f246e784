//! Steady states: Newton's method on the states marked `steady`, the others held at their
//! values, with the model's exact Jacobian; when Newton fails from the given guess, the system
//! is relaxed by integration with time held fixed, and Newton is tried again from there.

use nalgebra::{DMatrix, DVector};

use crate::compile::Kernel;
use crate::error::SimError;
use crate::solve::{integrate_with, Problem, SolverOptions};

/// How hard to look for a steady state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SteadyOptions {
    pub max_newton_iterations: usize,
    /// Relative size of the last Newton step at which the iteration has converged.
    pub step_tolerance: f64,
    /// Time span of the relaxation fallback, in model time units.
    pub relaxation_time: f64,
}

impl Default for SteadyOptions {
    fn default() -> Self {
        SteadyOptions {
            max_newton_iterations: 60,
            step_tolerance: 1e-10,
            relaxation_time: 1e5,
        }
    }
}

/// Solve f(t, y) = 0 for the states where `solve_for` is true.
#[allow(clippy::too_many_arguments)]
pub fn steady_state(
    kernel: &dyn Kernel,
    t: f64,
    parameters: &[f64],
    guess: &[f64],
    solve_for: &[bool],
    atol: &[f64],
    state_names: &[String],
    options: SteadyOptions,
) -> Result<Vec<f64>, SimError> {
    if !solve_for.iter().any(|m| *m) {
        return Ok(guess.to_vec());
    }
    match newton(kernel, t, parameters, guess, solve_for, atol, options) {
        Ok(y) => Ok(y),
        Err(first) => {
            let relaxed = relax(
                kernel,
                t,
                parameters,
                guess,
                solve_for,
                atol,
                state_names,
                options,
            )
            .map_err(|e| SimError::SteadyState {
                message: format!("Newton failed ({first}) and relaxation failed too: {e}"),
            })?;
            newton(kernel, t, parameters, &relaxed, solve_for, atol, options).map_err(|second| {
                let worst = worst_residual(kernel, t, parameters, &relaxed, solve_for, atol, state_names);
                SimError::SteadyState {
                    message: format!(
                        "Newton from the guess: {first}; after relaxing for {} time units: {second}; {worst}",
                        options.relaxation_time
                    ),
                }
            })
        }
    }
}

fn residual(kernel: &dyn Kernel, t: f64, p: &[f64], y: &[f64], scratch: &mut [f64], f: &mut [f64]) {
    kernel.rhs(t, y, p, f, scratch);
}

/// A state's rate of change relative to what counts as zero for it.
fn scaled_residual(f: &[f64], y: &[f64], atol: &[f64], i: usize) -> f64 {
    f[i].abs() / (atol[i] + 1e-6 * y[i].abs())
}

/// Scaled max-norm of the residual over the solved states.
fn norm(f: &[f64], y: &[f64], idx: &[usize], atol: &[f64]) -> f64 {
    idx.iter()
        .map(|&i| scaled_residual(f, y, atol, i))
        .fold(0.0, f64::max)
}

fn newton(
    kernel: &dyn Kernel,
    t: f64,
    p: &[f64],
    guess: &[f64],
    solve_for: &[bool],
    atol: &[f64],
    options: SteadyOptions,
) -> Result<Vec<f64>, String> {
    let n = kernel.n_states();
    let idx: Vec<usize> = (0..n).filter(|&i| solve_for[i]).collect();
    let mut pos = vec![usize::MAX; n];
    for (k, &i) in idx.iter().enumerate() {
        pos[i] = k;
    }
    let m = idx.len();
    let mut scratch = vec![0.0; kernel.n_scratch()];
    let mut jac = vec![0.0; kernel.jacobian_pattern().len()];
    let mut f = vec![0.0; n];
    let mut y = guess.to_vec();
    let mut trial = y.clone();
    residual(kernel, t, p, &y, &mut scratch, &mut f);
    let mut fnorm = norm(&f, &y, &idx, atol);
    for _ in 0..options.max_newton_iterations {
        if !fnorm.is_finite() {
            return Err("the residual is not finite".into());
        }
        kernel.jacobian(t, &y, p, &mut jac, &mut scratch);
        let mut a = DMatrix::<f64>::zeros(m, m);
        for (&(i, j), &v) in kernel.jacobian_pattern().iter().zip(&jac) {
            let (pi, pj) = (pos[i as usize], pos[j as usize]);
            if pi != usize::MAX && pj != usize::MAX {
                a[(pi, pj)] += v;
            }
        }
        let b = DVector::from_iterator(m, idx.iter().map(|&i| -f[i]));
        let Some(dz) = a.lu().solve(&b) else {
            return Err("the Jacobian is singular (a solved state may take part in no process, or two states may be locked together)".into());
        };
        // Damped step: shrink until the residual falls and no state turns negative.
        let mut lambda = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            trial.copy_from_slice(&y);
            for (k, &i) in idx.iter().enumerate() {
                trial[i] = y[i] + lambda * dz[k];
            }
            let negative = idx.iter().any(|&i| trial[i] < 0.0 && y[i] >= 0.0);
            if !negative {
                residual(kernel, t, p, &trial, &mut scratch, &mut f);
                let tn = norm(&f, &trial, &idx, atol);
                if tn.is_finite() && (tn < fnorm || tn <= 1.0) {
                    fnorm = tn;
                    accepted = true;
                    break;
                }
            }
            lambda *= 0.5;
        }
        if !accepted {
            return Err("no damped Newton step reduces the residual".into());
        }
        let step = idx
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                (lambda * dz[k]).abs() / (options.step_tolerance * trial[i].abs() + 1e-3 * atol[i])
            })
            .fold(0.0, f64::max);
        std::mem::swap(&mut y, &mut trial);
        if step <= 1.0 && fnorm <= 1.0 {
            return Ok(y);
        }
    }
    Err(format!(
        "no convergence in {} iterations",
        options.max_newton_iterations
    ))
}

#[allow(clippy::too_many_arguments)]
fn relax(
    kernel: &dyn Kernel,
    t: f64,
    p: &[f64],
    guess: &[f64],
    solve_for: &[bool],
    atol: &[f64],
    state_names: &[String],
    options: SteadyOptions,
) -> Result<Vec<f64>, SimError> {
    let problem = Problem {
        t0: 0.0,
        t_end: options.relaxation_time,
        y0: guess.to_vec(),
        parameters: p.to_vec(),
        output_times: vec![options.relaxation_time],
        events: Vec::new(),
        atol: atol.to_vec(),
        options: SolverOptions::default(),
    };
    let traj = integrate_with(kernel, &problem, state_names, Some((t, solve_for.to_vec())))?;
    traj.states
        .last()
        .cloned()
        .ok_or_else(|| SimError::SteadyState {
            message: "relaxation produced no state".into(),
        })
}

fn worst_residual(
    kernel: &dyn Kernel,
    t: f64,
    p: &[f64],
    y: &[f64],
    solve_for: &[bool],
    atol: &[f64],
    names: &[String],
) -> String {
    let mut scratch = vec![0.0; kernel.n_scratch()];
    let mut f = vec![0.0; kernel.n_states()];
    residual(kernel, t, p, y, &mut scratch, &mut f);
    let worst = (0..f.len()).filter(|&i| solve_for[i]).max_by(|&a, &b| {
        let sa = f[a].abs() / (atol[a] + 1e-6 * y[a].abs());
        let sb = f[b].abs() / (atol[b] + 1e-6 * y[b].abs());
        sa.total_cmp(&sb)
    });
    match worst {
        Some(i) => format!(
            "the largest remaining rate of change is that of `{}`: {:e} at value {:e}",
            names.get(i).map_or("?", |s| s.as_str()),
            f[i],
            y[i]
        ),
        None => String::new(),
    }
}
