//! Validation: the built-in model against published figures.
//!
//! The figures, their citations, the scenario each is read from and the band the model must
//! hit are data, in `validation/targets.toml` at the repository root, embedded here at build
//! time, with the scenario and trial files of `validation/` that the targets name. One generic
//! checker runs every target; this module names no drug, genotype or estrogen profile. A target
//! says how its value is computed in one of two ways:
//!
//! - `[[target.read]]` entries take named numbers from runs of scenario files (a column on a
//!   day or at an age, or a reduction over an age window; see [`reads`]), and each band's
//!   `formula` and each `[[target.require]]` condition combines them;
//! - a `[target.measure]` is a shorthand for the common treatment and ageing figures (a change
//!   since day 0 against placebo, a yearly loss from an age, a crossing, a value at an age, or
//!   a virtual trial's `summary.json`).
//!
//! ```no_run
//! let outcomes = osteosim_model::validation::run_all();
//! print!("{}", osteosim_model::validation::text_table(&outcomes));
//! ```
//!
//! A target marked `calibrated` had model parameters fitted to it: passing it shows that the
//! calibration still holds, not that the model predicts it. The others are independent
//! checks (or, for F1, a definition checked to rounding).

use std::collections::BTreeMap;

use osteosim_engine::output::Table;
use osteosim_engine::{Kernel, Model};
use serde::Deserialize;

mod error;
pub mod reads;
mod series;

pub use error::ValidationError;

use reads::{Read, Requirement};
use series::{first_at_or_below, interpolate};

use crate::builtin::{kernel, model};
use crate::catalogue::Catalogue;
use crate::scenario::{Scenario, DAYS_PER_YEAR};

/// The target file, as shipped in the repository.
pub const TARGETS_TOML: &str = include_str!("../../../../validation/targets.toml");

// ---------------------------------------------------------------------------------------------
// The target file
// ---------------------------------------------------------------------------------------------

/// An interval the model value must fall in (both ends included).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub name: String,
    pub lo: f64,
    pub hi: f64,
    pub unit: String,
    /// For a `change` measure: when the change is read, in years from day 0.
    #[serde(default)]
    pub at_years: Option<f64>,
    /// For a `change` measure: the scenario file of this band, instead of the measure's.
    #[serde(default)]
    pub scenario_file: Option<String>,
    /// For a `trial` measure: the JSON pointer of the value in the trial's `summary.json`.
    #[serde(default)]
    pub value: Option<String>,
    /// For a `trial` measure: the trial file of this band, instead of the measure's.
    #[serde(default)]
    pub trial_file: Option<String>,
    /// For a `difference` measure: the age at which the window starts.
    #[serde(default)]
    pub at_age: Option<f64>,
    /// For a `difference` measure: a second scenario file whose difference over the same
    /// window divides this band's (a ratio, such as users over non-users).
    #[serde(default)]
    pub divide_by: Option<String>,
    /// For a target with reads: the band's value, a formula over the target's constants and
    /// reads.
    #[serde(default)]
    pub formula: Option<String>,
}

impl Band {
    /// True when `x` lies in [lo, hi]; never for NaN.
    pub fn contains(&self, x: f64) -> bool {
        x >= self.lo && x <= self.hi
    }

    fn text(&self) -> String {
        let range = format!("{} {} to {}", self.name, number(self.lo), number(self.hi));
        match self.unit.as_str() {
            // A pure number carries no unit in words.
            "1" | "" => range,
            unit => format!("{range} {unit}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub id: String,
    pub section: String,
    pub title: String,
    pub figure: String,
    pub citation: String,
    pub scenario: String,
    pub quantity: String,
    #[serde(default)]
    pub rule: Option<String>,
    pub calibrated: bool,
    pub calibration: String,
    /// Why the model misses this target, for a documented gap: the target is still run and
    /// reported as missed, but `osteosim validate` does not fail on it. A gap that starts to
    /// pass is reported too, so that the documentation is brought up to date.
    #[serde(default)]
    pub known_gap: Option<String>,
    #[serde(default)]
    pub band: Vec<Band>,
    #[serde(default)]
    pub constants: BTreeMap<String, f64>,
    /// Named numbers read from runs, for the bands' formulas (see [`reads`]).
    #[serde(default)]
    pub read: Vec<Read>,
    /// Conditions besides the bands, as formulas over the constants and reads.
    #[serde(default)]
    pub require: Vec<Requirement>,
    /// A shorthand for how the value is computed (see [`Measure`]), for a target without reads.
    #[serde(default)]
    pub measure: Option<Measure>,
}

/// A generic way to read a target's value from scenario or trial files of `validation/`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Measure {
    /// The percent change of `column` from day 0 to each band's `at_years`, in the run of the
    /// band's `scenario_file` (or this one); with `versus`, minus the same change in that run
    /// (points over placebo).
    Change {
        #[serde(default)]
        scenario_file: Option<String>,
        #[serde(default)]
        versus: Option<String>,
        column: String,
    },
    /// The change of `column` over `over_years` from each band's `at_age`, in the run of the
    /// band's `scenario_file` (or this one), times `scale` (a unit factor; negative to report
    /// a loss as a positive number), per year when `per_year`; divided by the same quantity in
    /// the band's `divide_by` run when it names one.
    Difference {
        #[serde(default)]
        scenario_file: Option<String>,
        column: String,
        over_years: f64,
        #[serde(default = "one")]
        scale: f64,
        #[serde(default)]
        per_year: bool,
    },
    /// The first age at which `column` falls to `level` (interpolated), in the run of the
    /// band's `scenario_file` (or this one); with the band's `divide_by`, how much later it
    /// comes than in that run, in percent. (A median lifespan: `survival_probability` at 0.5.)
    Crossing {
        #[serde(default)]
        scenario_file: Option<String>,
        column: String,
        level: f64,
    },
    /// `column` at each band's `at_age` (or one minus it, with `complement`: mortality from
    /// survival), in the run of the band's `scenario_file` (or this one); divided by the same
    /// in the band's `divide_by` run when it names one.
    ValueAt {
        #[serde(default)]
        scenario_file: Option<String>,
        column: String,
        #[serde(default)]
        complement: bool,
    },
    /// A virtual trial: each band's `value` is a JSON pointer into the `summary.json` of the
    /// band's own `trial_file`, or of the measure's.
    Trial { trial_file: String },
}

fn one() -> f64 {
    1.0
}

impl Target {
    /// The pass criterion in words: the bands, then the rule.
    pub fn criterion(&self) -> String {
        let mut parts: Vec<String> = self.band.iter().map(Band::text).collect();
        match &self.rule {
            Some(rule) => parts.push(rule.clone()),
            None => parts.extend(self.require.iter().map(|r| r.name.clone())),
        }
        parts.join("; ")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsFile {
    target: Vec<Target>,
}

/// Parses [`TARGETS_TOML`] and checks it: ids unique, bands finite with lo <= hi.
pub fn targets() -> Result<Vec<Target>, ValidationError> {
    let file: TargetsFile = toml::from_str(TARGETS_TOML).map_err(|e| ValidationError {
        file: "targets.toml".into(),
        line: e
            .span()
            .map(|s| TARGETS_TOML[..s.start].matches('\n').count() + 1),
        target: None,
        item: String::new(),
        message: e.message().to_string(),
    })?;
    let mut seen = Vec::new();
    for t in &file.target {
        if seen.contains(&t.id.as_str()) {
            return Err(ValidationError::in_target(
                &t.id,
                "",
                "the id appears twice",
            ));
        }
        seen.push(t.id.as_str());
        for b in &t.band {
            if !(b.lo.is_finite() && b.hi.is_finite() && b.lo <= b.hi) {
                return Err(ValidationError::in_target(
                    &t.id,
                    format!("band `{}`", b.name),
                    "needs finite lo <= hi",
                ));
            }
        }
        match (&t.measure, t.read.is_empty()) {
            (Some(m), true) => measure_is_complete(t, m)?,
            (None, false) => reads::reads_are_complete(t, &|f| embedded(t, f).map(|_| ()))?,
            (Some(_), false) => {
                return Err(ValidationError::in_target(
                    &t.id,
                    "",
                    "has both a measure and reads",
                ))
            }
            (None, true) => {
                return Err(ValidationError::in_target(
                    &t.id,
                    "",
                    "says neither how its value is read ([[target.read]]) nor measured ([target.measure])",
                ))
            }
        }
        if t.band.is_empty() && t.require.is_empty() {
            return Err(ValidationError::in_target(
                &t.id,
                "",
                "has no band and no requirement",
            ));
        }
    }
    Ok(file.target)
}

// ---------------------------------------------------------------------------------------------
// Outcomes and reports
// ---------------------------------------------------------------------------------------------

/// The verdict on one target.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub id: String,
    pub title: String,
    pub citation: String,
    /// What the model gives, formatted with units.
    pub model_value: String,
    /// The pass criterion in words.
    pub band: String,
    pub pass: bool,
    /// Whether model parameters were fitted to this target.
    pub calibrated: bool,
    /// The documented reason the model misses it, for a known gap.
    pub known_gap: Option<String>,
    /// Intermediate numbers, errors, and what was (or was not) calibrated to the target.
    pub note: String,
    /// Why the value could not be computed, when it could not.
    pub error: Option<ValidationError>,
}

impl Outcome {
    /// "pass", "FAIL", "known gap" (a documented miss) or "PASS (gap closed?)".
    pub fn verdict(&self) -> &'static str {
        match (self.pass, self.known_gap.is_some()) {
            (true, false) => "pass",
            (true, true) => "PASS (gap closed?)",
            (false, true) => "known gap",
            (false, false) => "FAIL",
        }
    }

    /// True when this outcome should fail a validation run: a missed target that is not a
    /// documented gap, or a documented gap that now passes (its documentation is stale).
    pub fn is_unexpected(&self) -> bool {
        self.pass == self.known_gap.is_some()
    }
}

/// What a check finds.
struct Finding {
    value: String,
    pass: bool,
    detail: String,
}

fn evaluate(v: &Validator<'_>, target: &Target) -> Outcome {
    let found = match &target.measure {
        Some(measure) => measured(v, target, measure),
        None => reads::measured_by_reads(v, target),
    };
    let (model_value, pass, detail, error) = match found {
        Ok(f) => (f.value, f.pass, f.detail, None),
        Err(e) => ("error".to_string(), false, e.to_string(), Some(e)),
    };
    let mut note = detail;
    if !note.is_empty() && !note.ends_with('.') {
        note.push('.');
    }
    if !note.is_empty() {
        note.push(' ');
    }
    note.push_str(if target.calibrated {
        "Fitted to this target: "
    } else {
        "Not fitted to this target: "
    });
    note.push_str(&target.calibration);
    if let Some(gap) = &target.known_gap {
        note.push_str(" Known gap: ");
        note.push_str(gap);
    }
    Outcome {
        id: target.id.clone(),
        title: target.title.clone(),
        citation: target.citation.clone(),
        model_value,
        band: target.criterion(),
        pass,
        calibrated: target.calibrated,
        known_gap: target.known_gap.clone(),
        note,
        error,
    }
}

fn unreadable(error: ValidationError) -> Outcome {
    Outcome {
        id: "targets.toml".into(),
        title: "the validation target file".into(),
        citation: String::new(),
        model_value: "error".into(),
        band: "a readable target file".into(),
        pass: false,
        calibrated: false,
        known_gap: None,
        note: error.to_string(),
        error: Some(error),
    }
}

/// Every target of the target file against the built-in model, in the file's order.
pub fn run_all() -> Vec<Outcome> {
    Validator::builtin().run_all()
}

/// The target with this id (case-insensitive) against the built-in model, or `None` when
/// the target file has no such id.
pub fn run(id: &str) -> Option<Outcome> {
    Validator::builtin().run(id)
}

fn verdict(o: &Outcome) -> &'static str {
    o.verdict()
}

fn gaps(outcomes: &[Outcome]) -> usize {
    outcomes.iter().filter(|o| o.known_gap.is_some()).count()
}

fn calibrated_word(o: &Outcome) -> &'static str {
    if o.calibrated {
        "yes"
    } else {
        "no (check)"
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown report: one table row per target, then a line per target with its citation and
/// note.
pub fn markdown_report(outcomes: &[Outcome]) -> String {
    let passed = outcomes.iter().filter(|o| o.pass).count();
    let mut out = String::new();
    out.push_str("| target | model value | band | verdict | calibrated? |\n");
    out.push_str("|---|---|---|---|---|\n");
    for o in outcomes {
        out.push_str(&format!(
            "| {} {} | {} | {} | {} | {} |\n",
            cell(&o.id),
            cell(&o.title),
            cell(&o.model_value),
            cell(&o.band),
            verdict(o),
            calibrated_word(o)
        ));
    }
    out.push_str(&format!(
        "\n{passed} of {} targets pass; {} of them were used for calibration; {} are documented gaps.\n\n",
        outcomes.len(),
        outcomes.iter().filter(|o| o.calibrated).count(),
        gaps(outcomes)
    ));
    for o in outcomes {
        out.push_str(&format!("- **{}** ({}): {}\n", o.id, o.citation, o.note));
    }
    out
}

/// A plain-text table for a terminal: id, title, model value, band, verdict, calibrated.
pub fn text_table(outcomes: &[Outcome]) -> String {
    let header = [
        "id",
        "target",
        "model value",
        "band",
        "verdict",
        "calibrated",
    ];
    let rows: Vec<[String; 6]> = outcomes
        .iter()
        .map(|o| {
            [
                o.id.clone(),
                o.title.clone(),
                o.model_value.clone(),
                o.band.clone(),
                verdict(o).to_string(),
                calibrated_word(o).to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(&header.map(String::from));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(&rule));
    for r in &rows {
        out.push_str(&line(r));
    }
    let passed = outcomes.iter().filter(|o| o.pass).count();
    out.push_str(&format!(
        "{passed} of {} targets pass; {} are documented gaps\n",
        outcomes.len(),
        gaps(outcomes)
    ));
    out
}

// ---------------------------------------------------------------------------------------------
// Running the model
// ---------------------------------------------------------------------------------------------

/// Shortest decimal for a band end: "60", "-12.6", "1e-9".
fn number(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 {
        format!("{x:e}")
    } else {
        let s = format!("{x:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".to_string()
        } else {
            s.to_string()
        }
    }
}

/// A finished run: its output table.
struct Run {
    table: Table,
}

/// The model a validation runs against: the built-in one, or one loaded from a directory.
#[derive(Clone, Copy)]
pub struct Validator<'a> {
    pub model: &'a Model,
    pub kernel: &'a dyn Kernel,
    /// The model's catalogue, against which the scenario files of `validation/` are read.
    pub catalogue: &'a Catalogue,
}

impl Validator<'static> {
    /// The built-in model and its compiled kernel.
    pub fn builtin() -> Self {
        Validator {
            model: model(),
            kernel: kernel(),
            catalogue: Catalogue::builtin(),
        }
    }
}

impl Validator<'_> {
    fn simulate(&self, scenario: &Scenario) -> Result<Run, String> {
        crate::run(self.model, self.kernel, scenario, "validation")
            .map(|o| Run { table: o.table })
            .map_err(|e| format!("the simulation failed: {e}"))
    }

    /// Every target of the target file, in its order; targets are evaluated in parallel on
    /// rayon's pool (each one's runs are independent of the others').
    pub fn run_all(&self) -> Vec<Outcome> {
        use rayon::prelude::*;
        match targets() {
            Ok(ts) => ts.par_iter().map(|t| evaluate(self, t)).collect(),
            Err(e) => vec![unreadable(e)],
        }
    }

    /// The target with this id (case-insensitive), or `None` when the target file has no
    /// such id.
    pub fn run(&self, id: &str) -> Option<Outcome> {
        match targets() {
            Ok(ts) => ts
                .iter()
                .find(|t| t.id.eq_ignore_ascii_case(id.trim()))
                .map(|t| evaluate(self, t)),
            Err(e) => Some(unreadable(e)),
        }
    }
}

impl Run {
    fn col(&self, name: &str) -> Result<Vec<f64>, String> {
        let c = self
            .table
            .column(name)
            .ok_or_else(|| format!("the model has no output column `{name}`"))?;
        if c.is_empty() {
            return Err(format!("output column `{name}` is empty"));
        }
        Ok(c)
    }

    /// Column `name` at `x` of column `by`, linearly interpolated.
    fn at_by(&self, by: &str, name: &str, x: f64) -> Result<f64, String> {
        interpolate(&self.col(by)?, &self.col(name)?, x)
            .ok_or_else(|| format!("`{by}` = {x} lies outside the run"))
    }

    /// Column `name` at this age.
    fn at(&self, name: &str, age: f64) -> Result<f64, String> {
        self.at_by("age_years", name, age)
    }

    /// The first row's value of `name`.
    fn first(&self, name: &str) -> Result<f64, String> {
        Ok(self.col(name)?[0])
    }
}

// ---------------------------------------------------------------------------------------------
// Measures: shorthands for the common treatment and ageing figures
// ---------------------------------------------------------------------------------------------

include!(concat!(env!("OUT_DIR"), "/validation_files.rs"));

/// The text of `validation/<name>`, as embedded at build time.
pub fn validation_file(name: &str) -> Option<&'static str> {
    VALIDATION_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

fn embedded(target: &Target, name: &str) -> Result<&'static str, ValidationError> {
    validation_file(name).ok_or_else(|| {
        ValidationError::in_target(
            &target.id,
            "",
            format!("names `{name}`, which is not a file of validation/"),
        )
    })
}

/// The band's scenario file (its own or the measure's) and its `divide_by` file exist.
fn band_files_exist(t: &Target, b: &Band, default: Option<&String>) -> Result<(), ValidationError> {
    let Some(f) = b.scenario_file.as_ref().or(default) else {
        return Err(ValidationError::in_target(
            &t.id,
            format!("band `{}`", b.name),
            "needs `scenario_file`",
        ));
    };
    embedded(t, f)?;
    if let Some(f) = &b.divide_by {
        embedded(t, f)?;
    }
    Ok(())
}

/// Every band of a measured target says where its value comes from, and every file exists.
fn measure_is_complete(t: &Target, m: &Measure) -> Result<(), ValidationError> {
    let missing = |what: &str, band: &Band| {
        ValidationError::in_target(
            &t.id,
            format!("band `{}`", band.name),
            format!("needs `{what}`"),
        )
    };
    if t.band.is_empty() {
        return Err(ValidationError::in_target(
            &t.id,
            "",
            "has a measure but no band",
        ));
    }
    match m {
        Measure::Change {
            scenario_file,
            versus,
            ..
        } => {
            for b in &t.band {
                if b.at_years.is_none() {
                    return Err(missing("at_years", b));
                }
                match b.scenario_file.as_ref().or(scenario_file.as_ref()) {
                    Some(f) => embedded(t, f).map(|_| ())?,
                    None => return Err(missing("scenario_file (or the measure's)", b)),
                }
            }
            if let Some(v) = versus {
                embedded(t, v)?;
            }
        }
        Measure::Difference {
            scenario_file,
            over_years,
            scale,
            ..
        } => {
            if !(over_years.is_finite() && *over_years > 0.0 && scale.is_finite()) {
                return Err(ValidationError::in_target(
                    &t.id,
                    "measure",
                    "needs a finite over_years > 0 and a finite scale",
                ));
            }
            for b in &t.band {
                if b.at_age.is_none() {
                    return Err(missing("at_age", b));
                }
                band_files_exist(t, b, scenario_file.as_ref())?;
            }
        }
        Measure::Crossing { scenario_file, .. } | Measure::ValueAt { scenario_file, .. } => {
            let needs_age = matches!(m, Measure::ValueAt { .. });
            for b in &t.band {
                if needs_age && b.at_age.is_none() {
                    return Err(missing("at_age", b));
                }
                band_files_exist(t, b, scenario_file.as_ref())?;
            }
        }
        Measure::Trial { trial_file } => {
            embedded(t, trial_file)?;
            for b in &t.band {
                if let Some(f) = &b.trial_file {
                    embedded(t, f)?;
                }
                if b.value.is_none() {
                    return Err(missing("value (a JSON pointer into summary.json)", b));
                }
            }
        }
    }
    Ok(())
}

/// Runs the scenario file `name` of `validation/` on the validator's model, with these subject
/// parameters set on top of the file's own.
fn scenario_run(
    v: &Validator<'_>,
    target: &Target,
    name: &str,
    parameters: &[(String, f64)],
) -> Result<Run, ValidationError> {
    let text = embedded(target, name)?;
    let mut scenario = Scenario::parse(text, name, v.catalogue)
        .map_err(|e| ValidationError::scenario(&target.id, e))?;
    scenario
        .subject
        .parameters
        .extend(parameters.iter().cloned());
    v.simulate(&scenario)
        .map_err(|e| ValidationError::reading(&target.id, name, "", e))
}

/// Percent change of `column` from day 0 to `day`, interpolated on the output days.
fn change_since_start(run: &Run, column: &str, day: f64) -> Result<f64, String> {
    let start = run.first(column)?;
    let now = run.at_by("day", column, day)?;
    Ok(100.0 * (now - start) / start)
}

/// The runs of a target's scenario files, each simulated once: keyed by the scenario file
/// and, for a read that solves for a subject parameter, that parameter's value (the solved
/// values are kept too; see [`reads`]).
struct Runs<'a> {
    validator: &'a Validator<'a>,
    target: &'a Target,
    runs: BTreeMap<String, Run>,
    solved: BTreeMap<String, f64>,
}

impl<'a> Runs<'a> {
    fn new(validator: &'a Validator<'a>, target: &'a Target) -> Self {
        Runs {
            validator,
            target,
            runs: BTreeMap::new(),
            solved: BTreeMap::new(),
        }
    }

    /// The run of scenario file `name` as written.
    fn get(&mut self, name: &str) -> Result<&Run, ValidationError> {
        self.run(name, None)
    }

    /// The run of scenario file `file`, with subject parameter `set` on top when given.
    fn run(&mut self, file: &str, set: Option<(&str, f64)>) -> Result<&Run, ValidationError> {
        let key = match set {
            Some((p, v)) => format!("{file} with {p} = {v:e}"),
            None => file.to_string(),
        };
        if !self.runs.contains_key(&key) {
            let overrides: Vec<(String, f64)> =
                set.map(|(p, v)| (p.to_string(), v)).into_iter().collect();
            let run = scenario_run(self.validator, self.target, file, &overrides)?;
            self.runs.insert(key.clone(), run);
        }
        Ok(&self.runs[&key])
    }
}

/// How a band's own value is combined with the same quantity in its `divide_by` run.
fn relative(measure: &Measure, value: f64, other: f64) -> f64 {
    match measure {
        // How much later, in percent.
        Measure::Crossing { .. } => 100.0 * (value / other - 1.0),
        _ => value / other,
    }
}

/// A failure reading `band`'s value from the run of `file`.
fn band_error<'b>(
    target: &'b Target,
    file: &'b str,
    band: &'b Band,
) -> impl Fn(String) -> ValidationError + 'b {
    move |message| {
        ValidationError::reading(&target.id, file, format!("band `{}`", band.name), message)
    }
}

/// The quantity a scenario measure reads from the run of `name` for `band`.
fn quantity(
    measure: &Measure,
    runs: &mut Runs<'_>,
    name: &str,
    band: &Band,
) -> Result<f64, ValidationError> {
    let target = runs.target;
    let fail = band_error(target, name, band);
    match measure {
        Measure::Change { versus, column, .. } => {
            let day = band.at_years.unwrap_or(f64::NAN) * DAYS_PER_YEAR;
            let mut value = change_since_start(runs.get(name)?, column, day).map_err(&fail)?;
            if let Some(placebo) = versus {
                value -= change_since_start(runs.get(placebo)?, column, day)
                    .map_err(band_error(target, placebo, band))?;
            }
            Ok(value)
        }
        Measure::Difference {
            column,
            over_years,
            scale,
            per_year,
            ..
        } => {
            let age = band.at_age.unwrap_or(f64::NAN);
            let run = runs.get(name)?;
            let d = run.at(column, age + over_years).map_err(&fail)?
                - run.at(column, age).map_err(&fail)?;
            Ok(scale * d / if *per_year { *over_years } else { 1.0 })
        }
        Measure::Crossing { column, level, .. } => {
            let run = runs.get(name)?;
            let (ages, ys) = (
                run.col("age_years").map_err(&fail)?,
                run.col(column).map_err(&fail)?,
            );
            first_at_or_below(&ages, &ys, *level).ok_or_else(|| {
                fail(format!(
                    "`{column}` does not fall to {level} within the run"
                ))
            })
        }
        Measure::ValueAt {
            column, complement, ..
        } => {
            let x = runs
                .get(name)?
                .at(column, band.at_age.unwrap_or(f64::NAN))
                .map_err(&fail)?;
            Ok(if *complement { 1.0 - x } else { x })
        }
        Measure::Trial { .. } => Err(fail("a trial measure reads no scenario".to_string())),
    }
}

fn measured(
    v: &Validator<'_>,
    target: &Target,
    measure: &Measure,
) -> Result<Finding, ValidationError> {
    let mut values = Vec::new();
    let mut pass = true;
    let scenario_file = match measure {
        Measure::Change { scenario_file, .. }
        | Measure::Difference { scenario_file, .. }
        | Measure::Crossing { scenario_file, .. }
        | Measure::ValueAt { scenario_file, .. } => scenario_file,
        Measure::Trial { trial_file } => {
            // Each trial file runs once, however many bands read it.
            let mut summaries: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
            for band in &target.band {
                let file = band.trial_file.as_deref().unwrap_or(trial_file);
                if !summaries.contains_key(file) {
                    summaries.insert(file, trial_summary(v, target, file)?);
                }
                let summary = &summaries[file];
                let pointer = band.value.as_deref().unwrap_or("");
                let value = summary
                    .pointer(pointer)
                    .and_then(serde_json::Value::as_f64)
                    .ok_or_else(|| {
                        band_error(target, trial_file, band)(format!(
                            "the trial's summary.json has no number at `{pointer}`"
                        ))
                    })?;
                pass &= band.contains(value);
                values.push(format!("{} {value:.3}", band.name));
            }
            return Ok(Finding {
                value: values.join("; "),
                pass,
                detail: String::new(),
            });
        }
    };
    let mut runs = Runs::new(v, target);
    for band in &target.band {
        let name = band.scenario_file.as_ref().or(scenario_file.as_ref());
        let mut value = quantity(measure, &mut runs, name.map_or("", String::as_str), band)?;
        if let Some(other) = &band.divide_by {
            value = relative(measure, value, quantity(measure, &mut runs, other, band)?);
        }
        pass &= band.contains(value);
        values.push(match measure {
            Measure::Change { .. } => format!("{} {value:+.2}", band.name),
            _ => format!("{} {}", band.name, significant(value)),
        });
    }
    Ok(Finding {
        value: values.join("; "),
        pass,
        detail: String::new(),
    })
}

/// Three significant digits: "2.87", "0.0093", "12.3".
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (2 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

/// Runs the trial file `name` of `validation/` in a temporary directory and reads its
/// `summary.json`.
fn trial_summary(
    v: &Validator<'_>,
    target: &Target,
    name: &str,
) -> Result<serde_json::Value, ValidationError> {
    // One directory per call: two checks of the same target may run at once.
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let text = embedded(target, name)?;
    let out = std::env::temp_dir().join(format!(
        "osteosim-validation-{}-{}-{}",
        target.id,
        std::process::id(),
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&out);
    let result = crate::virtual_trial::run(
        v.model,
        v.kernel,
        text,
        name,
        &out,
        &crate::virtual_trial::TrialOptions::default(),
    )
    .map_err(|e| e.to_string())
    .and_then(|_| {
        let bytes = std::fs::read(out.join("summary.json"))
            .map_err(|e| format!("cannot read the trial's summary.json: {e}"))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("the trial's summary.json: {e}"))
    });
    let _ = std::fs::remove_dir_all(&out);
    result.map_err(|message| ValidationError::reading(&target.id, name, "", message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_file_parses_and_every_target_says_how_it_is_computed() {
        for t in &targets().unwrap() {
            assert!(
                t.measure.is_some() == t.read.is_empty(),
                "{}: a target has either reads or a measure",
                t.id
            );
            assert!(!t.citation.is_empty() && !t.figure.is_empty(), "{}", t.id);
        }
    }

    fn one_target(reads_and_bands: &str) -> Result<(), String> {
        let text = format!(
            r#"
id = "X1"
section = "s"
title = "t"
figure = "f"
citation = "c"
scenario = "s"
quantity = "q"
calibrated = false
calibration = "none"
[constants]
fmp = 51.0
{reads_and_bands}"#
        );
        let target: Target = toml::from_str(&text).map_err(|e| e.to_string())?;
        reads::reads_are_complete(&target, &|f| embedded(&target, f).map(|_| ()))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn reads_that_cannot_be_computed_are_refused_by_name() {
        let read = r#"
[[read]]
name = "onset"
scenario_file = "scenarios/woman_40_to_95.toml"
column = "estradiol_pg_ml"
over = "steepest_fall_age"
"#;
        let band = |formula: &str| {
            format!("{read}[[band]]\nname = \"b\"\nlo = 0.0\nhi = 1.0\nunit = \"yr\"\nformula = \"{formula}\"\n")
        };
        assert_eq!(one_target(&band("onset - fmp")), Ok(()));
        let e = one_target(&band("onset - fnp")).unwrap_err();
        assert!(e.contains("band `b`: names `fnp`"), "{e}");
        let e = one_target(&band("onset -")).unwrap_err();
        assert!(e.contains("band `b`"), "{e}");
        let e = one_target(&read.replace("woman_40_to_95", "nobody")).unwrap_err();
        assert!(e.contains("scenarios/nobody.toml"), "{e}");
        let e = one_target(
            &band("onset").replace("over = \"steepest_fall_age\"", "day = 1.0\nage = 2.0"),
        )
        .unwrap_err();
        assert!(e.contains("exactly one of `day`, `age` and `over`"), "{e}");
        let e = one_target(&band("onset").replace("steepest_fall_age", "first_age_at_or_below"))
            .unwrap_err();
        assert!(e.contains("needs a `level`"), "{e}");
        let e = one_target(&format!(
            "{}[[require]]\nname = \"r\"\nholds = \"onset + 1\"\n",
            band("onset")
        ))
        .unwrap_err();
        assert!(e.contains("requirement `r`: is not a condition"), "{e}");
    }

    #[test]
    fn a_read_that_fails_names_its_file_target_and_read() {
        let text = r#"
id = "X2"
section = "s"
title = "t"
figure = "f"
citation = "c"
scenario = "s"
quantity = "q"
calibrated = false
calibration = "none"
[[read]]
name = "bmd"
scenario_file = "scenarios/woman_60_one_day.toml"
column = "bmd_of_the_moon"
day = 0.0
[[band]]
name = "b"
formula = "bmd"
lo = 0.0
hi = 1.0
unit = "g/cm2"
"#;
        let target: Target = toml::from_str(text).unwrap();
        let e = match reads::measured_by_reads(&Validator::builtin(), &target) {
            Err(e) => e,
            Ok(_) => panic!("a missing column must fail"),
        };
        assert_eq!(e.file, "scenarios/woman_60_one_day.toml");
        assert_eq!(e.target.as_deref(), Some("X2"));
        assert_eq!(e.item, "read `bmd`");
        assert!(
            e.message.contains("no output column `bmd_of_the_moon`"),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with("validation/scenarios/woman_60_one_day.toml: target X2 read `bmd`: "),
            "{e}"
        );
    }

    #[test]
    fn significant_digits() {
        assert_eq!(significant(2.8712), "2.87");
        assert_eq!(significant(0.009312), "0.00931");
        assert_eq!(significant(12.34), "12.3");
        assert_eq!(significant(-0.5), "-0.500");
    }

    #[test]
    fn band_and_number_formatting() {
        assert_eq!(number(60.0), "60");
        assert_eq!(number(-12.6), "-12.6");
        assert_eq!(number(1e-9), "1e-9");
        assert_eq!(number(0.0), "0");
        let b = Band {
            name: "x".into(),
            lo: -1.0,
            hi: 2.5,
            unit: "%".into(),
            at_years: None,
            scenario_file: None,
            value: None,
            trial_file: None,
            at_age: None,
            divide_by: None,
            formula: None,
        };
        assert_eq!(b.text(), "x -1 to 2.5 %");
        let ratio = Band {
            unit: "1".into(),
            ..b.clone()
        };
        assert_eq!(ratio.text(), "x -1 to 2.5");
        assert!(b.contains(-1.0) && b.contains(2.5) && !b.contains(f64::NAN));
    }
}
