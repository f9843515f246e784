//! Reads: named numbers taken from runs of the scenario files of `validation/`, combined by
//! formulas into each band's value and into the target's requirements.
//!
//! A read names a scenario file, what it reads (an output column, or a formula over the columns
//! evaluated on every output row) and where: on a day, at an age, or a reduction over an age
//! window (mean, lowest, highest, largest rise between outputs, age of the steepest fall, first
//! age at or below a level). A read may first solve for a subject parameter: the value that
//! makes an output on day 0 equal a given number (a woman of 70 with a femoral-neck T-score of
//! -2). Bands and requirements are formulas in the model files' expression language over the
//! target's constants and its reads, so that a target says in data what it computes.

use std::collections::BTreeMap;

use osteosim_engine::expr::{self, Expr};
use osteosim_engine::numeric::{nan_max, nan_min};
use serde::Deserialize;

use super::series::{first_at_or_below, interpolate, time_average, window};
use super::{significant, Finding, Run, Runs, Target, ValidationError, Validator};

/// One named number read from a run (see the module documentation).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Read {
    pub name: String,
    /// The scenario file of `validation/` that is run.
    pub scenario_file: String,
    /// The output column read, or
    #[serde(default)]
    pub column: Option<String>,
    /// a formula over output columns and the target's constants, evaluated on every row.
    #[serde(default)]
    pub row: Option<String>,
    /// The value on this day (interpolated between outputs); or
    #[serde(default)]
    pub day: Option<f64>,
    /// at this age; or
    #[serde(default)]
    pub age: Option<f64>,
    /// a reduction over the rows from `from_age` to `to_age` (the whole run by default).
    #[serde(default)]
    pub over: Option<Reduction>,
    #[serde(default)]
    pub from_age: Option<f64>,
    #[serde(default)]
    pub to_age: Option<f64>,
    /// For `first_age_at_or_below`: the level, a formula over constants and earlier reads.
    #[serde(default)]
    pub level: Option<String>,
    /// A subject parameter solved for before the run.
    #[serde(default)]
    pub solve: Option<Solve>,
}

/// How a read reduces a window of rows to one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reduction {
    /// Time average (trapezoid rule).
    Mean,
    Min,
    Max,
    /// The largest increase from one output to the next (zero or less: never rises).
    LargestRise,
    /// The age midway between the two outputs with the fastest fall per year.
    SteepestFallAge,
    /// The first age at which the value reaches `level` or less (interpolated).
    FirstAgeAtOrBelow,
}

/// Sets subject parameter `parameter` so that output `column` on day 0 equals `equals`, by
/// secant iteration from the two `guesses`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Solve {
    pub parameter: String,
    pub column: String,
    pub equals: f64,
    pub guesses: [f64; 2],
}

/// A condition the target must meet besides its bands: a formula that is true or false.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub name: String,
    pub holds: String,
}

fn formula(target: &Target, what: &str, src: &str) -> Result<Expr, ValidationError> {
    expr::parse(src)
        .map_err(|e| ValidationError::in_target(&target.id, what, format!("`{src}` {e}")))
}

/// The reads of `target` are complete and consistent, and every formula parses and names only
/// constants and reads known where it is used.
pub(super) fn reads_are_complete(
    target: &Target,
    exists: &dyn Fn(&str) -> Result<(), ValidationError>,
) -> Result<(), ValidationError> {
    let err = |read: &Read, message: &str| {
        ValidationError::in_target(&target.id, format!("read `{}`", read.name), message)
    };
    let mut known: Vec<&str> = target.constants.keys().map(String::as_str).collect();
    let names_known = |e: &Expr, known: &[&str], what: &str| -> Result<(), ValidationError> {
        match e
            .symbols()
            .into_iter()
            .find(|s| !known.contains(&s.as_str()))
        {
            Some(s) => Err(ValidationError::in_target(
                &target.id,
                what,
                format!("names `{s}`, which is neither a constant nor an earlier read"),
            )),
            None => Ok(()),
        }
    };
    for read in &target.read {
        if known.contains(&read.name.as_str()) {
            return Err(err(
                read,
                "has the name of a constant or of an earlier read",
            ));
        }
        exists(&read.scenario_file)?;
        if read.column.is_some() == read.row.is_some() {
            return Err(err(read, "needs exactly one of `column` and `row`"));
        }
        if let Some(row) = &read.row {
            formula(target, &format!("read `{}` row", read.name), row)?;
        }
        let selectors = [read.day.is_some(), read.age.is_some(), read.over.is_some()];
        if selectors.iter().filter(|s| **s).count() != 1 {
            return Err(err(read, "needs exactly one of `day`, `age` and `over`"));
        }
        if read.over.is_none() && (read.from_age.is_some() || read.to_age.is_some()) {
            return Err(err(read, "has an age window but no `over` reduction"));
        }
        let wants_level = read.over == Some(Reduction::FirstAgeAtOrBelow);
        match (&read.level, wants_level) {
            (Some(level), true) => {
                let e = formula(target, &format!("read `{}` level", read.name), level)?;
                names_known(&e, &known, &format!("read `{}` level", read.name))?;
            }
            (None, true) => return Err(err(read, "needs a `level` for first_age_at_or_below")),
            (Some(_), false) => return Err(err(read, "has a `level` but reads no crossing")),
            (None, false) => {}
        }
        if let Some(s) = &read.solve {
            if !(s.equals.is_finite() && s.guesses.iter().all(|g| g.is_finite()))
                || s.guesses[0] == s.guesses[1]
            {
                return Err(err(
                    read,
                    "needs a finite `equals` and two distinct finite guesses",
                ));
            }
        }
        known.push(read.name.as_str());
    }
    for band in &target.band {
        let Some(src) = &band.formula else {
            return Err(ValidationError::in_target(
                &target.id,
                format!("band `{}`", band.name),
                "needs a `formula` over the reads",
            ));
        };
        let what = format!("band `{}`", band.name);
        names_known(&formula(target, &what, src)?, &known, &what)?;
    }
    for req in &target.require {
        let what = format!("requirement `{}`", req.name);
        let e = formula(target, &what, &req.holds)?;
        if !e.is_boolean() {
            return Err(ValidationError::in_target(
                &target.id,
                what,
                format!("is not a condition: `{}`", req.holds),
            ));
        }
        names_known(&e, &known, &what)?;
    }
    Ok(())
}

impl Runs<'_> {
    /// The run of `read`'s scenario, with its solved parameter when it has one.
    fn run_for(&mut self, read: &Read) -> Result<&Run, ValidationError> {
        let Some(solve) = &read.solve else {
            return self.run(&read.scenario_file, None);
        };
        let key = format!(
            "{} {} {} {:e}",
            read.scenario_file, solve.parameter, solve.column, solve.equals
        );
        let value = match self.solved.get(&key) {
            Some(v) => *v,
            None => {
                let v = self.secant(&read.scenario_file, solve)?;
                self.solved.insert(key, v);
                v
            }
        };
        self.run(&read.scenario_file, Some((&solve.parameter, value)))
    }

    fn secant(&mut self, file: &str, solve: &Solve) -> Result<f64, ValidationError> {
        let id = self.target.id.clone();
        let fail = move |message: String| {
            ValidationError::reading(
                &id,
                file,
                format!("solve for `{}`", solve.parameter),
                message,
            )
        };
        let mut at = |x: f64| -> Result<f64, ValidationError> {
            let run = self.run(file, Some((&solve.parameter, x)))?;
            Ok(run.first(&solve.column).map_err(&fail)? - solve.equals)
        };
        let (mut a, mut b) = (solve.guesses[0], solve.guesses[1]);
        let (mut fa, mut fb) = (at(a)?, at(b)?);
        for _ in 0..40 {
            if fb.abs() <= 1e-9 {
                return Ok(b);
            }
            let next = b - fb * (b - a) / (fb - fa);
            if !(next.is_finite() && next > 0.0) {
                break;
            }
            (a, fa) = (b, fb);
            b = next;
            fb = at(b)?;
        }
        Err(fail(format!(
            "no value gives `{}` = {} on day 0 (last tried {b:.4}: off by {fb:.2e})",
            solve.column, solve.equals
        )))
    }
}

fn eval(e: &Expr, values: &BTreeMap<&str, f64>) -> Result<f64, String> {
    e.eval(&|name| values.get(name).copied())
        .map_err(|err| err.to_string())
}

/// The series a read reduces: its column, or its row formula on every output row.
fn series(run: &Run, read: &Read, constants: &BTreeMap<String, f64>) -> Result<Vec<f64>, String> {
    if let Some(c) = &read.column {
        return run.col(c);
    }
    let src = read.row.as_deref().unwrap_or_default();
    let e = expr::parse(src).map_err(|err| format!("row formula `{src}` {err}"))?;
    let mut columns = BTreeMap::new();
    for s in e.symbols() {
        if !constants.contains_key(&s) {
            columns.insert(s.clone(), run.col(&s)?);
        }
    }
    let rows = run.col("day")?.len();
    (0..rows)
        .map(|k| {
            e.eval(&|name| {
                columns
                    .get(name)
                    .map(|c| c[k])
                    .or_else(|| constants.get(name).copied())
            })
            .map_err(|err| format!("row formula `{src}`: {err}"))
        })
        .collect()
}

fn read_value(
    runs: &mut Runs<'_>,
    read: &Read,
    values: &BTreeMap<&str, f64>,
) -> Result<f64, ValidationError> {
    let target = runs.target;
    let run = runs.run_for(read)?;
    read_from(run, read, target, values).map_err(|message| {
        ValidationError::reading(
            &target.id,
            &read.scenario_file,
            format!("read `{}`", read.name),
            message,
        )
    })
}

/// The number `read` takes from `run`.
fn read_from(
    run: &Run,
    read: &Read,
    target: &Target,
    values: &BTreeMap<&str, f64>,
) -> Result<f64, String> {
    let ys = series(run, read, &target.constants)?;
    let outside = |by: &str, x: f64| format!("`{by}` = {x} lies outside the run");
    if let Some(d) = read.day {
        return interpolate(&run.col("day")?, &ys, d).ok_or_else(|| outside("day", d));
    }
    let ages = run.col("age_years")?;
    if let Some(a) = read.age {
        return interpolate(&ages, &ys, a).ok_or_else(|| outside("age_years", a));
    }
    let (xs, ys) = window(&ages, &ys, read.from_age, read.to_age)
        .ok_or_else(|| "the age window lies outside the run".to_string())?;
    let none = || format!("the window of read `{}` has too few outputs", read.name);
    match read.over.unwrap_or(Reduction::Mean) {
        Reduction::Mean => time_average(&xs, &ys).ok_or_else(none),
        Reduction::Min => Ok(ys.iter().copied().fold(f64::INFINITY, nan_min)),
        Reduction::Max => Ok(ys.iter().copied().fold(f64::NEG_INFINITY, nan_max)),
        Reduction::LargestRise => ys
            .windows(2)
            .map(|w| w[1] - w[0])
            .reduce(nan_max)
            .ok_or_else(none),
        Reduction::SteepestFallAge => {
            let fastest = (1..xs.len())
                .map(|k| {
                    (
                        (ys[k - 1] - ys[k]) / (xs[k] - xs[k - 1]),
                        0.5 * (xs[k] + xs[k - 1]),
                    )
                })
                .reduce(|a, b| if b.0 > a.0 { b } else { a });
            fastest.map(|(_, age)| age).ok_or_else(none)
        }
        Reduction::FirstAgeAtOrBelow => {
            let src = read.level.as_deref().unwrap_or_default();
            let level = eval(&expr::parse(src).map_err(|e| e.to_string())?, values)?;
            first_at_or_below(&xs, &ys, level).ok_or_else(|| {
                format!(
                    "read `{}`: the value does not fall to {} within the window",
                    read.name,
                    significant(level)
                )
            })
        }
    }
}

/// Runs a target's reads, then evaluates its bands and requirements.
pub(super) fn measured_by_reads(
    v: &Validator<'_>,
    target: &Target,
) -> Result<Finding, ValidationError> {
    let mut runs = Runs::new(v, target);
    let mut values: BTreeMap<&str, f64> = target
        .constants
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    let mut read_text = Vec::new();
    for read in &target.read {
        let x = read_value(&mut runs, read, &values)?;
        values.insert(read.name.as_str(), x);
        read_text.push(format!("{} {}", read.name, significant(x)));
    }
    let mut pass = true;
    let mut shown = Vec::new();
    for band in &target.band {
        let src = band.formula.as_deref().unwrap_or_default();
        let what = format!("band `{}`", band.name);
        let x = eval(&formula(target, &what, src)?, &values)
            .map_err(|e| ValidationError::in_target(&target.id, what, e))?;
        pass &= band.contains(x);
        shown.push(match band.unit.as_str() {
            "1" | "" => format!("{} {}", band.name, significant(x)),
            unit => format!("{} {} {unit}", band.name, significant(x)),
        });
    }
    let mut unmet = Vec::new();
    for req in &target.require {
        let what = format!("requirement `{}`", req.name);
        let holds = eval(&formula(target, &what, &req.holds)?, &values)
            .map_err(|e| ValidationError::in_target(&target.id, what, e))?;
        if holds != 1.0 {
            unmet.push(req.name.as_str());
        }
    }
    pass &= unmet.is_empty();
    match (target.require.len(), unmet.is_empty()) {
        (0, _) => {}
        (1, true) => shown.push("the condition holds".to_string()),
        (n, true) => shown.push(format!("all {n} conditions hold")),
        (_, false) => shown.push(format!("not met: {}", unmet.join("; "))),
    }
    Ok(Finding {
        value: shown.join("; "),
        pass,
        detail: format!("reads: {}", read_text.join(", ")),
    })
}
