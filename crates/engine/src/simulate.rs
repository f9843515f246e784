//! Binding a model to one run: parameters, initial state, time span, output grid, doses and
//! parameter switches, all by name and all validated when given.

use crate::compile::Kernel;
use crate::error::{did_you_mean, SimError};
use crate::expr::Expr;
use crate::model::{time_conditions, Initial, Model, Symbol, TIME};
use crate::solve::{integrate, Event, EventKind, Problem, SolverOptions, Trajectory};
use crate::steady::{steady_state, SteadyOptions};

/// A dose record, as NONMEM reads one: time, amount, compartment (a model input) and
/// duration (0 for a bolus, otherwise a zero-order infusion over that time).
#[derive(Debug, Clone, PartialEq)]
pub struct Dose {
    pub input: String,
    pub time: f64,
    /// In the input's declared unit.
    pub amount: f64,
    pub duration: f64,
}

/// One run of a model. Build it with the `with_*` methods, then [`Simulation::run`].
#[derive(Clone)]
pub struct Simulation<'a> {
    model: &'a Model,
    kernel: &'a dyn Kernel,
    parameters: Vec<f64>,
    t0: f64,
    t_end: f64,
    output_times: Option<Vec<f64>>,
    output_every: Option<f64>,
    doses: Vec<(usize, Dose)>,
    switches: Vec<(usize, f64, f64)>,
    initial: Option<Vec<f64>>,
    options: SolverOptions,
    steady: SteadyOptions,
}

fn finite(what: &str, v: f64) -> Result<f64, SimError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(SimError::Settings {
            message: format!("{what} must be a finite number, found {v}"),
        })
    }
}

impl<'a> Simulation<'a> {
    /// A run of `model` (compiled into `kernel`) with its declared parameter values, from
    /// t = 0 to t = 1.
    pub fn new(model: &'a Model, kernel: &'a dyn Kernel) -> Self {
        Simulation {
            model,
            kernel,
            parameters: model.default_parameters(),
            t0: 0.0,
            t_end: 1.0,
            output_times: None,
            output_every: None,
            doses: Vec::new(),
            switches: Vec::new(),
            initial: None,
            options: SolverOptions::default(),
            steady: SteadyOptions::default(),
        }
    }

    pub fn model(&self) -> &Model {
        self.model
    }

    pub fn parameters(&self) -> &[f64] {
        &self.parameters
    }

    pub fn options(&self) -> SolverOptions {
        self.options
    }

    /// Start and end of the run, in model time units.
    pub fn time_span(&self) -> (f64, f64) {
        (self.t0, self.t_end)
    }

    /// The doses given so far, each with the index of its model input.
    pub fn doses(&self) -> &[(usize, Dose)] {
        &self.doses
    }

    /// The parameter switches given so far: (parameter index, time, value).
    pub fn switches(&self) -> &[(usize, f64, f64)] {
        &self.switches
    }

    fn parameter_index(&self, name: &str) -> Result<usize, SimError> {
        self.model
            .parameter_index(name)
            .ok_or_else(|| SimError::Parameter {
                name: name.to_string(),
                message: format!(
                    "no such parameter{}",
                    did_you_mean(name, self.model.parameter_names())
                ),
            })
    }

    /// Set one parameter by name.
    pub fn with_parameter(mut self, name: &str, value: f64) -> Result<Self, SimError> {
        let i = self.parameter_index(name)?;
        let value = finite(&format!("parameter `{name}`"), value)?;
        if let Some(message) = self.model.parameters[i].refuses(value) {
            return Err(SimError::Parameter {
                name: name.to_string(),
                message,
            });
        }
        self.parameters[i] = value;
        Ok(self)
    }

    /// Apply the parameter set `group.variant` declared in the model files.
    pub fn with_parameter_set(mut self, group: &str, variant: &str) -> Result<Self, SimError> {
        let set = self
            .model
            .set(group, variant)
            .ok_or_else(|| SimError::Parameter {
                name: format!("{group}.{variant}"),
                message: format!(
                    "no such parameter set{}",
                    did_you_mean(
                        variant,
                        self.model
                            .sets
                            .iter()
                            .filter(|s| s.group == group)
                            .map(|s| s.variant.as_str())
                    )
                ),
            })?;
        for v in &set.values {
            self.parameters[v.parameter] = v.value;
        }
        Ok(self)
    }

    pub fn with_time_span(mut self, t0: f64, t_end: f64) -> Result<Self, SimError> {
        let (t0, t_end) = (finite("start time", t0)?, finite("end time", t_end)?);
        if t_end <= t0 {
            return Err(SimError::Settings {
                message: format!("end time {t_end} must come after start time {t0}"),
            });
        }
        self.t0 = t0;
        self.t_end = t_end;
        Ok(self)
    }

    /// Outputs at t0, t0 + dt, ... and at the end time.
    pub fn with_output_every(mut self, dt: f64) -> Result<Self, SimError> {
        if !(dt > 0.0 && dt.is_finite()) {
            return Err(SimError::Settings {
                message: format!("output interval must be a positive number, found {dt}"),
            });
        }
        self.output_every = Some(dt);
        self.output_times = None;
        Ok(self)
    }

    pub fn with_output_times(mut self, mut times: Vec<f64>) -> Result<Self, SimError> {
        if let Some(t) = times.iter().find(|t| !t.is_finite()) {
            return Err(SimError::Settings {
                message: format!("output time {t} is not finite"),
            });
        }
        times.sort_by(f64::total_cmp);
        times.dedup();
        self.output_times = Some(times);
        self.output_every = None;
        Ok(self)
    }

    /// Add a dose (see [`Dose`]).
    pub fn with_dose(mut self, dose: Dose) -> Result<Self, SimError> {
        let err = |m: String| SimError::Dose {
            time: dose.time,
            message: m,
        };
        let input = self.model.input_index(&dose.input).ok_or_else(|| {
            err(format!(
                "no model input `{}`{}",
                dose.input,
                did_you_mean(
                    &dose.input,
                    self.model.inputs.iter().map(|i| i.name.as_str())
                )
            ))
        })?;
        if !(dose.amount >= 0.0 && dose.amount.is_finite()) {
            return Err(err(format!(
                "amount must be a non-negative number, found {}",
                dose.amount
            )));
        }
        if !(dose.duration >= 0.0 && dose.duration.is_finite()) {
            return Err(err(format!(
                "infusion duration must be a non-negative number, found {}",
                dose.duration
            )));
        }
        if !dose.time.is_finite() {
            return Err(err("dose time is not finite".into()));
        }
        self.doses.push((input, dose));
        Ok(self)
    }

    /// Set parameter `name` to `value` from time `time` on.
    pub fn with_switch(mut self, name: &str, time: f64, value: f64) -> Result<Self, SimError> {
        let i = self.parameter_index(name)?;
        let value = finite(&format!("switched value of `{name}`"), value)?;
        let time = finite(&format!("switch time of `{name}`"), time)?;
        self.switches.push((i, time, value));
        Ok(self)
    }

    /// Start from this state instead of the model's initial declarations.
    pub fn with_initial_state(mut self, y0: Vec<f64>) -> Result<Self, SimError> {
        if y0.len() != self.model.states.len() {
            return Err(SimError::Settings {
                message: format!(
                    "expected {} initial values, found {}",
                    self.model.states.len(),
                    y0.len()
                ),
            });
        }
        if let Some(i) = y0.iter().position(|v| !v.is_finite()) {
            return Err(SimError::State {
                name: self.model.states[i].name.clone(),
                message: format!("initial value {} is not finite", y0[i]),
            });
        }
        self.initial = Some(y0);
        Ok(self)
    }

    pub fn with_options(mut self, options: SolverOptions) -> Self {
        self.options = options;
        self
    }

    pub fn with_steady_options(mut self, options: SteadyOptions) -> Self {
        self.steady = options;
        self
    }

    fn atol(&self) -> Vec<f64> {
        self.model
            .states
            .iter()
            .map(|s| s.tolerance.unwrap_or(self.options.atol))
            .collect()
    }

    fn state_names(&self) -> Vec<String> {
        self.model.states.iter().map(|s| s.name.clone()).collect()
    }

    /// Evaluate an expression of parameters (and clock-like assignments) at time `t`.
    pub fn evaluate(&self, e: &Expr, t: f64) -> Result<f64, SimError> {
        evaluate(self.model, &self.parameters, e, t)
    }

    /// The initial state: the given one, or the model's declarations with steady states solved
    /// at the start time.
    pub fn initial_state(&self) -> Result<Vec<f64>, SimError> {
        if let Some(y0) = &self.initial {
            return Ok(y0.clone());
        }
        let mut y = Vec::with_capacity(self.model.states.len());
        let mut solve_for = Vec::with_capacity(self.model.states.len());
        for s in &self.model.states {
            match &s.initial {
                Initial::Value(e) => {
                    let v = self.evaluate(e, self.t0).map_err(|e| SimError::State {
                        name: s.name.clone(),
                        message: format!("initial value: {e}"),
                    })?;
                    y.push(v);
                    solve_for.push(false);
                }
                Initial::Steady { guess } => {
                    y.push(*guess);
                    solve_for.push(true);
                }
            }
        }
        let y = steady_state(
            self.kernel,
            self.t0,
            &self.parameters,
            &y,
            &solve_for,
            &self.atol(),
            &self.state_names(),
            self.steady,
        )?;
        self.check_finite(&y)?;
        Ok(y)
    }

    /// A non-finite start is a numerical failure of the model as parameterized (a rate or an
    /// initial value divides by zero, a steady state does not exist): name every such state.
    fn check_finite(&self, y: &[f64]) -> Result<(), SimError> {
        let bad: Vec<usize> = (0..y.len()).filter(|&i| !y[i].is_finite()).collect();
        if bad.is_empty() {
            return Ok(());
        }
        const SHOWN: usize = 8;
        let mut states = bad
            .iter()
            .take(SHOWN)
            .map(|&i| format!("`{}` = {}", self.model.states[i].name, y[i]))
            .collect::<Vec<_>>()
            .join(", ");
        if bad.len() > SHOWN {
            states.push_str(&format!(" and {} more", bad.len() - SHOWN));
        }
        Err(SimError::InitialState {
            time: self.t0,
            states,
        })
    }

    fn outputs(&self) -> Vec<f64> {
        if let Some(t) = &self.output_times {
            return t
                .iter()
                .copied()
                .filter(|&t| t >= self.t0 && t <= self.t_end)
                .collect();
        }
        let dt = self.output_every.unwrap_or(self.t_end - self.t0);
        let n = ((self.t_end - self.t0) / dt + 1e-9).floor() as usize;
        let mut v: Vec<f64> = (0..=n).map(|k| self.t0 + k as f64 * dt).collect();
        if let Some(last) = v.last_mut() {
            if (self.t_end - *last).abs() <= 1e-9 * dt {
                *last = self.t_end;
            } else if *last < self.t_end {
                v.push(self.t_end);
            }
        }
        v
    }

    /// Times within the run at which a condition on time in the model flips.
    pub fn discontinuities(&self) -> Vec<f64> {
        let conds = time_conditions(self.model);
        let mut out = Vec::new();
        const GRID: usize = 4096;
        let (a, b) = (self.t0, self.t_end);
        for (lhs, rhs) in conds {
            let g = |t: f64| -> Option<f64> {
                Some(
                    evaluate(self.model, &self.parameters, lhs, t).ok()?
                        - evaluate(self.model, &self.parameters, rhs, t).ok()?,
                )
            };
            let sign = |t: f64| g(t).map(|v| v >= 0.0);
            // Most conditions compare time with a constant: their difference is affine in t
            // and flips at most once, so the whole span is one bracket. Anything else is
            // scanned on a grid.
            let affine = (|| {
                let (ga, gb) = (g(a)?, g(b)?);
                let scale = ga.abs() + gb.abs() + 1.0;
                let on_line = |f: f64| -> Option<bool> {
                    Some((g(a + f * (b - a))? - (ga + f * (gb - ga))).abs() <= 1e-12 * scale)
                };
                Some(on_line(0.25)? && on_line(0.5)? && on_line(0.875)?)
            })()
            .unwrap_or(false);
            let grid = if affine { 1 } else { GRID };
            let mut prev_t = a;
            let Some(mut prev) = sign(a) else { continue };
            for k in 1..=grid {
                let t = a + (b - a) * k as f64 / grid as f64;
                let Some(s) = sign(t) else { break };
                if s != prev {
                    let (mut lo, mut hi) = (prev_t, t);
                    while hi - lo > 1e-13 * hi.abs().max(1.0) {
                        let mid = 0.5 * (lo + hi);
                        if sign(mid) == Some(prev) {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                    // Stop on the old side of the flip: an implicit step evaluates the
                    // right-hand side at its end point, which must not see the new branch.
                    out.push(lo);
                }
                prev = s;
                prev_t = t;
            }
        }
        out.sort_by(f64::total_cmp);
        out.dedup();
        out
    }

    /// The integration problem in indices: for inspection, or to run with other tooling.
    pub fn problem(&self) -> Result<Problem, SimError> {
        let y0 = self.initial_state()?;
        let mut events = Vec::new();
        for (input, d) in &self.doses {
            if d.time < self.t0 || d.time > self.t_end {
                continue;
            }
            let inp = &self.model.inputs[*input];
            let f = match &inp.bioavailability {
                Some(e) => self.evaluate(e, d.time)?,
                None => 1.0,
            };
            let amount = d.amount * inp.factor_to_state * f;
            if d.duration == 0.0 {
                events.push(Event {
                    time: d.time,
                    kind: EventKind::Bolus {
                        state: inp.state,
                        amount,
                    },
                });
            } else {
                let rate = amount / d.duration;
                events.push(Event {
                    time: d.time,
                    kind: EventKind::InfusionRate {
                        state: inp.state,
                        rate,
                    },
                });
                events.push(Event {
                    time: d.time + d.duration,
                    kind: EventKind::InfusionRate {
                        state: inp.state,
                        rate: -rate,
                    },
                });
            }
        }
        for &(parameter, time, value) in &self.switches {
            if time >= self.t0 && time <= self.t_end {
                events.push(Event {
                    time,
                    kind: EventKind::SetParameter { parameter, value },
                });
            }
        }
        for time in self.discontinuities() {
            events.push(Event {
                time,
                kind: EventKind::Restart,
            });
        }
        events.sort_by(|a, b| a.time.total_cmp(&b.time));
        let mut atol = self.atol();
        if let Some(fraction) = self.options.dose_tolerance_fraction {
            for e in &events {
                if let EventKind::Bolus { state, amount } = e.kind {
                    atol[state] = atol[state].max(fraction * amount);
                }
            }
            // An infusion's whole amount.
            for (input, d) in &self.doses {
                let inp = &self.model.inputs[*input];
                if d.duration > 0.0 && d.time >= self.t0 && d.time <= self.t_end {
                    let f = match &inp.bioavailability {
                        Some(e) => self.evaluate(e, d.time)?,
                        None => 1.0,
                    };
                    let amount = d.amount * inp.factor_to_state * f;
                    atol[inp.state] = atol[inp.state].max(fraction * amount);
                }
            }
        }
        Ok(Problem {
            t0: self.t0,
            t_end: self.t_end,
            y0,
            parameters: self.parameters.clone(),
            output_times: self.outputs(),
            events,
            atol,
            options: self.options,
        })
    }

    pub fn run(&self) -> Result<Trajectory, SimError> {
        let problem = self.problem()?;
        let traj = integrate(self.kernel, &problem, &self.state_names())?;
        for (t, row) in traj.times.iter().zip(&traj.observables) {
            if let Some(k) = row.iter().position(|v| !v.is_finite()) {
                return Err(SimError::NonFiniteOutput {
                    name: self
                        .model
                        .observables
                        .get(k)
                        .map_or_else(|| format!("#{k}"), |o| o.name.clone()),
                    time: *t,
                    value: row[k],
                });
            }
        }
        Ok(traj)
    }
}

/// Evaluate an expression that depends only on `t`, parameters and assignments of those.
pub fn evaluate(model: &Model, parameters: &[f64], e: &Expr, t: f64) -> Result<f64, SimError> {
    fn go(model: &Model, p: &[f64], e: &Expr, t: f64, depth: usize) -> Result<f64, String> {
        if depth > 64 {
            return Err("assignments nest too deeply".into());
        }
        e.eval(&|name: &str| {
            if name == TIME {
                return Some(t);
            }
            match model.symbol(name) {
                Some(Symbol::Parameter(i)) => Some(p[i]),
                Some(Symbol::Assignment(i)) => {
                    go(model, p, &model.assignments[i].expr, t, depth + 1).ok()
                }
                _ => None,
            }
        })
        .map_err(|e| e.to_string())
    }
    go(model, parameters, e, t, 0).map_err(|m| SimError::Settings {
        message: format!("cannot evaluate `{e}` from parameters alone: {m}"),
    })
}
