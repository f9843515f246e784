//! Validation: the built-in model against published figures.
//!
//! The figures, their citations, the scenario each is read from and the band the model must
//! hit are data, in `validation/targets.toml` at the repository root, embedded here at build
//! time. A target with a `[target.measure]` names scenario or trial files of `validation/`
//! (embedded too) and how its value is read from them; one generic checker runs those (the
//! treatment trials T1-T3 and FIT-1). The older targets, whose values need computations of
//! their own (timing of a fall, a FRAX table, lifespans), have one check each here that builds
//! the target's scenario(s), runs the built-in model and compares what comes out with the band.
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

use crate::builtin::{kernel, model};
use crate::catalogue::Catalogue;
use crate::scenario::{
    DoseAmount, EstrogenProfile, Route, Scenario, Sex, SimulationSettings, Species, Subject,
    Treatment, DAYS_PER_YEAR, DEFAULT_MENOPAUSE_AGE_YEARS,
};

/// The target file, as shipped in the repository.
pub const TARGETS_TOML: &str = include_str!("../../../validation/targets.toml");

/// Target ids that have a check of their own in this module, in the order of the target file;
/// the other targets carry a [`Measure`] that the generic checker runs.
pub const IMPLEMENTED: [&str; 19] = [
    "E1", "E2", "E3", "E4", "B1", "B2", "B3", "B4", "M1", "F1", "F2", "F3", "O1", "O2", "O3", "O4",
    "O5", "S1", "S2",
];

/// The final menstrual period of the simulated women (the scenario default).
const FMP: f64 = DEFAULT_MENOPAUSE_AGE_YEARS;
/// Output interval of the women's menopause runs: monthly.
const MONTH_DAYS: f64 = DAYS_PER_YEAR / 12.0;
/// Age at which the women's runs start: the model's premenopausal steady state.
const WOMAN_START_AGE: f64 = 40.0;

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
    /// For a `difference` measure: the age at which the window starts.
    #[serde(default)]
    pub at_age: Option<f64>,
    /// For a `difference` measure: a second scenario file whose difference over the same
    /// window divides this band's (a ratio, such as users over non-users).
    #[serde(default)]
    pub divide_by: Option<String>,
}

impl Band {
    /// True when `x` lies in [lo, hi]; never for NaN.
    pub fn contains(&self, x: f64) -> bool {
        x >= self.lo && x <= self.hi
    }

    fn text(&self) -> String {
        format!(
            "{} {} to {} {}",
            self.name,
            number(self.lo),
            number(self.hi),
            self.unit
        )
    }
}

/// One entry of the FRAX table of target F2.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FraxPoint {
    pub age_years: f64,
    pub t_score: f64,
    /// 10-year probability of a major osteoporotic fracture (0-1).
    pub major: f64,
    /// 10-year probability of a hip fracture (0-1).
    pub hip: f64,
}

/// One published figure and how the model is held to it (see `validation/targets.toml`).
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
    #[serde(default)]
    pub point: Vec<FraxPoint>,
    /// How the value is computed, for targets the generic checker runs (see [`Measure`]);
    /// `None` for the targets with a check of their own in this module.
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
    /// A virtual trial: each band's `value` is a JSON pointer into its `summary.json`.
    Trial { trial_file: String },
}

fn one() -> f64 {
    1.0
}

impl Target {
    fn band(&self, name: &str) -> Result<&Band, String> {
        self.band
            .iter()
            .find(|b| b.name == name)
            .ok_or_else(|| format!("targets.toml: target {} has no band `{name}`", self.id))
    }

    fn constant(&self, name: &str) -> Result<f64, String> {
        self.constants.get(name).copied().ok_or_else(|| {
            format!(
                "targets.toml: target {} has no constant `{name}` in [target.constants]",
                self.id
            )
        })
    }

    /// The pass criterion in words: the bands, then the rule.
    pub fn criterion(&self) -> String {
        let mut parts: Vec<String> = self.band.iter().map(Band::text).collect();
        if !self.point.is_empty() {
            let tol = self.constants.get("relative_tolerance").copied();
            let rel = tol.map_or(String::new(), |r| format!("+-{}% of ", number(100.0 * r)));
            let major: Vec<String> = self.point.iter().map(|p| number(100.0 * p.major)).collect();
            let hip: Vec<String> = self.point.iter().map(|p| number(100.0 * p.hip)).collect();
            parts.push(format!(
                "{rel}major {}%, hip {}%",
                major.join("/"),
                hip.join("/")
            ));
        }
        if let Some(rule) = &self.rule {
            parts.push(rule.clone());
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
pub fn targets() -> Result<Vec<Target>, String> {
    let file: TargetsFile =
        toml::from_str(TARGETS_TOML).map_err(|e| format!("validation/targets.toml: {e}"))?;
    let mut seen = Vec::new();
    for t in &file.target {
        if seen.contains(&t.id.as_str()) {
            return Err(format!(
                "validation/targets.toml: id {} appears twice",
                t.id
            ));
        }
        seen.push(t.id.as_str());
        for b in &t.band {
            if !(b.lo.is_finite() && b.hi.is_finite() && b.lo <= b.hi) {
                return Err(format!(
                    "validation/targets.toml: target {} band `{}` needs finite lo <= hi",
                    t.id, b.name
                ));
            }
        }
        if let Some(m) = &t.measure {
            measure_is_complete(t, m)?;
        }
        if t.band.is_empty() && t.rule.is_none() && t.point.is_empty() {
            return Err(format!(
                "validation/targets.toml: target {} has no band, rule or table point",
                t.id
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

type Check = fn(&Validator<'_>, &Target) -> Result<Finding, String>;

fn check_for(id: &str) -> Option<Check> {
    let check: Check = match id {
        "E1" => e1,
        "E2" => e2,
        "E3" => e3,
        "E4" => e4,
        "B1" => b1,
        "B2" => b2,
        "B3" => b3,
        "B4" => b4,
        "M1" => m1,
        "F1" => f1,
        "F2" => f2,
        "F3" => f3,
        "O1" => o1,
        "O2" => o2,
        "O3" => o3,
        "O4" => o4,
        "O5" => o5,
        "S1" => s1,
        "S2" => s2,
        _ => return None,
    };
    Some(check)
}

fn evaluate(v: &Validator<'_>, target: &Target) -> Outcome {
    let check = match &target.measure {
        Some(m) => Some(Ok(m)),
        None => check_for(&target.id).map(Err),
    };
    let (model_value, pass, detail) = match check {
        Some(Ok(measure)) => match measured(v, target, measure) {
            Ok(f) => (f.value, f.pass, f.detail),
            Err(e) => ("error".to_string(), false, e),
        },
        None => (
            "not computed".to_string(),
            false,
            "no check is implemented for this id".to_string(),
        ),
        Some(Err(check)) => match check(v, target) {
            Ok(f) => (f.value, f.pass, f.detail),
            Err(e) => ("error".to_string(), false, e),
        },
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
    }
}

fn unreadable(error: String) -> Outcome {
    Outcome {
        id: "targets.toml".into(),
        title: "the validation target file".into(),
        citation: String::new(),
        model_value: "error".into(),
        band: "a readable target file".into(),
        pass: false,
        calibrated: false,
        known_gap: None,
        note: error,
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

fn human(sex: Sex, age_years: f64, estrogen: EstrogenProfile, years: f64, every: f64) -> Scenario {
    Scenario::untreated(
        Species::Human,
        sex,
        age_years,
        estrogen,
        years * DAYS_PER_YEAR,
        every,
    )
}

fn natural_menopause() -> EstrogenProfile {
    EstrogenProfile::with("natural_menopause", "menopause_age_years", FMP)
}

/// A woman with natural menopause at the FMP, from the premenopausal steady state.
fn menopausal_woman(until_age: f64, every: f64) -> Scenario {
    human(
        Sex::Female,
        WOMAN_START_AGE,
        natural_menopause(),
        until_age - WOMAN_START_AGE,
        every,
    )
}

fn man(age_years: f64, years: f64) -> Scenario {
    human(
        Sex::Male,
        age_years,
        EstrogenProfile::new("age_related_decline"),
        years,
        MONTH_DAYS,
    )
}

fn female_mouse(
    age_weeks: f64,
    estrogen: EstrogenProfile,
    genotype: Vec<String>,
    days: f64,
) -> Scenario {
    Scenario {
        subject: Subject {
            species: Species::Mouse,
            sex: Sex::Female,
            age_years: age_weeks * 7.0 / DAYS_PER_YEAR,
            body_weight_kg: Subject::default_body_weight_kg(Species::Mouse, Sex::Female),
            genotype,
            parameters: BTreeMap::new(),
        },
        estrogen,
        treatments: Vec::new(),
        simulation: SimulationSettings {
            duration_days: days,
            output_every_days: 7.0_f64.min(days),
            relative_tolerance: None,
        },
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

    /// Every target of the target file, in its order.
    pub fn run_all(&self) -> Vec<Outcome> {
        match targets() {
            Ok(ts) => ts.iter().map(|t| evaluate(self, t)).collect(),
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

    /// Percent change of column `name` from age `a` to age `b`.
    fn change(&self, name: &str, a: f64, b: f64) -> Result<f64, String> {
        let (va, vb) = (self.at(name, a)?, self.at(name, b)?);
        Ok(100.0 * (vb - va) / va)
    }

    /// The first row's value of `name`.
    fn first(&self, name: &str) -> Result<f64, String> {
        Ok(self.col(name)?[0])
    }
}

/// Linear interpolation of (xs, ys) at `x`; xs increasing. `None` outside [first, last]
/// (with a rounding allowance) or for mismatched inputs.
fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> Option<f64> {
    if xs.len() != ys.len() || xs.is_empty() || !x.is_finite() {
        return None;
    }
    let (first, last) = (xs[0], xs[xs.len() - 1]);
    let slack = 1e-9 * (last - first).abs().max(first.abs()).max(1.0);
    if x < first - slack || x > last + slack {
        return None;
    }
    if xs.len() == 1 {
        return Some(ys[0]);
    }
    let k = xs.partition_point(|v| *v <= x).clamp(1, xs.len() - 1);
    let (x0, x1, y0, y1) = (xs[k - 1], xs[k], ys[k - 1], ys[k]);
    if x1 == x0 {
        return Some(y1);
    }
    let w = ((x - x0) / (x1 - x0)).clamp(0.0, 1.0);
    Some(y0 + w * (y1 - y0))
}

/// Time average of ys over xs by the trapezoid rule.
fn time_average(xs: &[f64], ys: &[f64]) -> Option<f64> {
    if xs.len() < 2 || xs.len() != ys.len() {
        return None;
    }
    let span = xs[xs.len() - 1] - xs[0];
    if span <= 0.0 {
        return None;
    }
    let area: f64 = xs
        .windows(2)
        .zip(ys.windows(2))
        .map(|(x, y)| 0.5 * (y[0] + y[1]) * (x[1] - x[0]))
        .sum();
    Some(area / span)
}

/// The first x at which the falling series ys reaches `level` (interpolated), if it does.
fn first_at_or_below(xs: &[f64], ys: &[f64], level: f64) -> Option<f64> {
    let k = ys.iter().position(|y| *y <= level)?;
    if k == 0 {
        return Some(xs[0]);
    }
    let (x0, x1, y0, y1) = (xs[k - 1], xs[k], ys[k - 1], ys[k]);
    Some(x0 + (x1 - x0) * (y0 - level) / (y0 - y1))
}

/// Smallest and largest value; NaN when any value is NaN.
fn min_max(ys: &[f64]) -> (f64, f64) {
    if ys.is_empty() || ys.iter().any(|y| y.is_nan()) {
        return (f64::NAN, f64::NAN);
    }
    let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

// ---------------------------------------------------------------------------------------------
// Endocrine
// ---------------------------------------------------------------------------------------------

fn e1(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let band = t.band("mean estradiol")?;
    let mut means = Vec::new();
    for profile in [natural_menopause(), EstrogenProfile::new("constant")] {
        let run = v.simulate(&human(
            Sex::Female,
            WOMAN_START_AGE,
            profile,
            5.0,
            MONTH_DAYS,
        ))?;
        let mean = time_average(&run.col("age_years")?, &run.col("estradiol_pg_ml")?)
            .ok_or("the run has too few outputs for a time average")?;
        means.push(mean);
    }
    let (natural, constant) = (means[0], means[1]);
    Ok(Finding {
        value: format!("{natural:.1} pg/mL (constant profile {constant:.1})"),
        pass: band.contains(natural) && band.contains(constant),
        detail: String::new(),
    })
}

fn e2(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let band = t.band("estradiol")?;
    let (from, to) = (FMP + 3.0, FMP + 20.0);
    let run = v.simulate(&menopausal_woman(to, MONTH_DAYS))?;
    let (age, e) = (run.col("age_years")?, run.col("estradiol_pg_ml")?);
    let mut window: Vec<f64> = age
        .iter()
        .zip(&e)
        .filter(|(a, _)| **a >= from && **a <= to)
        .map(|(_, v)| *v)
        .collect();
    window.push(run.at("estradiol_pg_ml", from)?);
    window.push(run.at("estradiol_pg_ml", to)?);
    let (lo, hi) = min_max(&window);
    Ok(Finding {
        value: format!("{lo:.2} to {hi:.2} pg/mL"),
        pass: band.contains(lo) && band.contains(hi),
        detail: format!(
            "estradiol from FMP+3 to FMP+20 yr ({} outputs)",
            window.len()
        ),
    })
}

fn e3(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let (onset_band, plateau_band, steep_band) = (
        t.band("onset")?,
        t.band("plateau")?,
        t.band("steepest fall")?,
    );
    let run = v.simulate(&menopausal_woman(FMP + 20.0, 7.0))?;
    let (age, e) = (run.col("age_years")?, run.col("estradiol_pg_ml")?);
    let pre = e[0];
    let post = run.at("estradiol_pg_ml", FMP + 20.0)?;
    let fall = pre - post;
    if fall.is_nan() || fall <= 0.0 {
        return Ok(Finding {
            value: format!("no fall ({pre:.1} -> {post:.1} pg/mL)"),
            pass: false,
            detail: "estradiol does not fall across the menopause".into(),
        });
    }
    let onset = first_at_or_below(&age, &e, pre - 0.05 * fall).map_or(f64::NAN, |a| a - FMP);
    let plateau = first_at_or_below(&age, &e, pre - 0.95 * fall).map_or(f64::NAN, |a| a - FMP);
    let mut steepest = (f64::NAN, f64::NEG_INFINITY);
    for k in 1..age.len() {
        let rate = (e[k - 1] - e[k]) / (age[k] - age[k - 1]);
        if rate > steepest.1 {
            steepest = (0.5 * (age[k] + age[k - 1]) - FMP, rate);
        }
    }
    Ok(Finding {
        value: format!(
            "onset {onset:+.2}, plateau {plateau:+.2}, steepest {:+.2} yr from FMP",
            steepest.0
        ),
        pass: onset_band.contains(onset)
            && plateau_band.contains(plateau)
            && steep_band.contains(steepest.0),
        detail: format!(
            "estradiol {pre:.1} pg/mL at {WOMAN_START_AGE}, {post:.2} pg/mL at FMP+20; fastest fall {:.1} pg/mL per yr",
            steepest.1
        ),
    })
}

fn e4(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let band = t.band("total estradiol")?;
    let run = v.simulate(&man(60.0, 30.0))?;
    let e = run.col("estradiol_pg_ml")?;
    let (lo, hi) = min_max(&e);
    let never_rises = e.windows(2).all(|w| w[1] <= w[0]);
    let (first, last) = (e[0], e[e.len() - 1]);
    let falls = never_rises && last < first;
    Ok(Finding {
        value: format!(
            "{lo:.1} to {hi:.1} pg/mL; {first:.1} at 60, {last:.1} at 90{}",
            if falls { "" } else { " (does not fall)" }
        ),
        pass: band.contains(lo) && band.contains(hi) && falls,
        detail: String::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// Bone loss and turnover markers (one menopausal woman, monthly output)
// ---------------------------------------------------------------------------------------------

fn woman_through_menopause(v: &Validator<'_>) -> Result<Run, String> {
    v.simulate(&menopausal_woman(WOMAN_START_AGE + 40.0, MONTH_DAYS))
}

const SPINE: &str = "bmd_lumbar_spine_g_cm2";
const NECK: &str = "bmd_femoral_neck_g_cm2";

fn b1(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let band = t.band("spine")?;
    let c = woman_through_menopause(v)?.change(SPINE, FMP - 5.0, FMP + 5.0)?;
    Ok(Finding {
        value: format!("{c:.2} %"),
        pass: band.contains(c),
        detail: String::new(),
    })
}

fn b2(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let band = t.band("femoral neck")?;
    let c = woman_through_menopause(v)?.change(NECK, FMP - 5.0, FMP + 5.0)?;
    Ok(Finding {
        value: format!("{c:.2} %"),
        pass: band.contains(c),
        detail: String::new(),
    })
}

fn b3(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let (spine_band, neck_band) = (t.band("spine")?, t.band("femoral neck")?);
    let run = woman_through_menopause(v)?;
    let spine = run.change(SPINE, FMP - 1.0, FMP + 2.0)?;
    let neck = run.change(NECK, FMP - 1.0, FMP + 2.0)?;
    Ok(Finding {
        value: format!("spine {spine:.2} %, femoral neck {neck:.2} %"),
        pass: spine_band.contains(spine) && neck_band.contains(neck),
        detail: String::new(),
    })
}

fn b4(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let max_ratio = t.constant("max_late_to_early_ratio")?;
    let run = woman_through_menopause(v)?;
    let early = -run.change(SPINE, FMP, FMP + 2.0)? / 2.0;
    let late = -run.change(SPINE, FMP + 3.0, FMP + 5.0)? / 2.0;
    let ratio = late / early;
    let before = -run.change(SPINE, FMP - 2.0, FMP - 1.0)?;
    let last_year = -run.change(SPINE, FMP - 1.0, FMP)?;
    Ok(Finding {
        value: format!(
            "spine loss {early:.2} %/yr (FMP..+2), {late:.2} %/yr (FMP+3..+5); ratio {ratio:.2}"
        ),
        pass: late > 0.0 && late < max_ratio * early,
        detail: format!(
            "spine loss from FMP-2 to FMP-1 {before:.2} %, from FMP-1 to FMP {last_year:.2} %"
        ),
    })
}

fn m1(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let (ctx_band, p1np_band) = (t.band("CTX")?, t.band("P1NP")?);
    let run = woman_through_menopause(v)?;
    let ctx = run.change("ctx_ng_ml", FMP - 5.0, FMP + 3.0)?;
    let p1np = run.change("p1np_ng_ml", FMP - 5.0, FMP + 3.0)?;
    Ok(Finding {
        value: format!("CTX {ctx:+.1} %, P1NP {p1np:+.1} %"),
        pass: ctx_band.contains(ctx) && p1np_band.contains(p1np),
        detail: format!(
            "CTX {:.3} -> {:.3} ng/mL, P1NP {:.1} -> {:.1} ng/mL",
            run.at("ctx_ng_ml", FMP - 5.0)?,
            run.at("ctx_ng_ml", FMP + 3.0)?,
            run.at("p1np_ng_ml", FMP - 5.0)?,
            run.at("p1np_ng_ml", FMP + 3.0)?
        ),
    })
}

// ---------------------------------------------------------------------------------------------
// Fracture risk
// ---------------------------------------------------------------------------------------------

fn f1(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let band = t.band("deviation")?;
    let mean = t.constant("reference_mean_g_cm2")?;
    let sd = t.constant("reference_sd_g_cm2")?;
    let mut worst = 0.0_f64;
    let mut rows = 0;
    for scenario in [
        human(Sex::Female, 45.0, natural_menopause(), 30.0, MONTH_DAYS),
        man(50.0, 30.0),
    ] {
        let run = v.simulate(&scenario)?;
        let (bmd, score) = (run.col(NECK)?, run.col("t_score_femoral_neck")?);
        for (b, s) in bmd.iter().zip(&score) {
            let d = (s - (b - mean) / sd).abs();
            worst = if d.is_nan() || worst.is_nan() {
                f64::NAN
            } else {
                worst.max(d)
            };
            rows += 1;
        }
    }
    Ok(Finding {
        value: if worst == 0.0 {
            "max deviation 0 (exact)".to_string()
        } else {
            format!("max deviation {worst:.1e}")
        },
        pass: band.contains(worst),
        detail: format!("{rows} output rows of a woman (45-75) and a man (50-80)"),
    })
}

/// The fracture outputs of a woman of this age whose femoral neck T-score is `t_score` then:
/// `peak_bmd_femoral_neck` is solved for by secant iteration.
struct FractureSubject {
    peak_bmd_femoral_neck: f64,
    t_score: f64,
    major: f64,
    hip: f64,
}

fn woman_with_t_score(
    v: &Validator<'_>,
    age: f64,
    t_score: f64,
) -> Result<FractureSubject, String> {
    let at_peak = |peak: f64| -> Result<FractureSubject, String> {
        let mut sc = human(
            Sex::Female,
            age,
            natural_menopause(),
            1.0 / DAYS_PER_YEAR,
            1.0,
        );
        sc.subject
            .parameters
            .insert("peak_bmd_femoral_neck".into(), peak);
        let run = v.simulate(&sc)?;
        Ok(FractureSubject {
            peak_bmd_femoral_neck: peak,
            t_score: run.first("t_score_femoral_neck")?,
            major: run.first("fracture_probability_10y_major")?,
            hip: run.first("fracture_probability_10y_hip")?,
        })
    };
    let mut a = at_peak(0.858)?;
    let mut b = at_peak(0.8 * 0.858)?;
    for _ in 0..40 {
        if (b.t_score - t_score).abs() <= 1e-9 {
            return Ok(b);
        }
        let slope = (b.t_score - a.t_score) / (b.peak_bmd_femoral_neck - a.peak_bmd_femoral_neck);
        let next = b.peak_bmd_femoral_neck - (b.t_score - t_score) / slope;
        if !(next.is_finite() && next > 0.0) {
            break;
        }
        a = b;
        b = at_peak(next)?;
    }
    Err(format!(
        "no peak femoral neck BMD gives a T-score of {t_score} at age {age} (last tried {:.4} g/cm2 -> T {:.4})",
        b.peak_bmd_femoral_neck, b.t_score
    ))
}

fn f2(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let tol = t.constant("relative_tolerance")?;
    if t.point.is_empty() {
        return Err("targets.toml: F2 has no [[target.point]] entries".into());
    }
    let mut pass = true;
    let (mut major, mut hip, mut detail) = (Vec::new(), Vec::new(), Vec::new());
    for p in &t.point {
        let s = woman_with_t_score(v, p.age_years, p.t_score)?;
        let within = |model: f64, table: f64| (model / table - 1.0).abs() <= tol;
        pass &= within(s.major, p.major) && within(s.hip, p.hip);
        major.push(format!("{:.1}", 100.0 * s.major));
        hip.push(format!("{:.1}", 100.0 * s.hip));
        detail.push(format!(
            "age {} T {}: major {:+.0}%, hip {:+.0}% vs table (peak FN BMD {:.3})",
            number(p.age_years),
            number(p.t_score),
            100.0 * (s.major / p.major - 1.0),
            100.0 * (s.hip / p.hip - 1.0),
            s.peak_bmd_femoral_neck
        ));
    }
    Ok(Finding {
        value: format!("major {}%, hip {}%", major.join("/"), hip.join("/")),
        pass,
        detail: detail.join("; "),
    })
}

fn f3(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let band = t.band("risk ratio per SD")?;
    let age = t.constant("age_years")?;
    let higher = woman_with_t_score(v, age, t.constant("t_score_higher")?)?;
    let lower = woman_with_t_score(v, age, t.constant("t_score_lower")?)?;
    let ratio = lower.hip / higher.hip;
    Ok(Finding {
        value: format!("x{ratio:.2}"),
        pass: band.contains(ratio),
        detail: format!(
            "10-year hip probability at {}: {:.2}% (T {:.1}) vs {:.2}% (T {:.1})",
            number(age),
            100.0 * lower.hip,
            lower.t_score,
            100.0 * higher.hip,
            higher.t_score
        ),
    })
}

// ---------------------------------------------------------------------------------------------
// Mouse
// ---------------------------------------------------------------------------------------------

/// Ovariectomy and sham twins of one genotype: (sham, ovariectomy) values of `columns` on the
/// given day.
fn ovariectomy_pair(
    v: &Validator<'_>,
    t: &Target,
    genotype: Vec<String>,
    columns: &[&str],
) -> Result<Vec<(f64, f64)>, String> {
    let age_weeks = t.constant("age_weeks")?;
    let days = t.constant("days_after_surgery")?;
    let sham = v.simulate(&female_mouse(
        age_weeks,
        EstrogenProfile::new("sham"),
        genotype.clone(),
        days,
    ))?;
    let ovx = v.simulate(&female_mouse(
        age_weeks,
        EstrogenProfile::with("ovariectomy", "ovariectomy_day", 0.0),
        genotype,
        days,
    ))?;
    columns
        .iter()
        .map(|c| Ok((sham.at_by("day", c, days)?, ovx.at_by("day", c, days)?)))
        .collect()
}

fn o1(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let band = t.band("BV/TV vs sham")?;
    let v = ovariectomy_pair(v, t, Vec::new(), &["trabecular_bv_tv"])?;
    let (sham, ovx) = v[0];
    let change = 100.0 * (ovx - sham) / sham;
    Ok(Finding {
        value: format!("{change:.1} %"),
        pass: band.contains(change),
        detail: format!("BV/TV sham {sham:.4}, ovariectomy {ovx:.4}"),
    })
}

fn o2(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let band = t.band("TNF-producing T cells, OVX / sham")?;
    let max_fraction = t.constant("max_knockout_loss_fraction")?;
    let cols = ["tnf_producing_t_cells", "trabecular_bv_tv"];
    let wild = ovariectomy_pair(v, t, Vec::new(), &cols)?;
    let knockout = ovariectomy_pair(v, t, vec!["tnf_knockout".to_string()], &cols)?;
    let t_cells = wild[0].1 / wild[0].0;
    let loss = |(sham, ovx): (f64, f64)| 100.0 * (sham - ovx) / sham;
    let (wild_loss, ko_loss) = (loss(wild[1]), loss(knockout[1]));
    let fraction = ko_loss / wild_loss;
    Ok(Finding {
        value: format!(
            "T cells x{t_cells:.2}; knockout loss {ko_loss:.1} % vs wild type {wild_loss:.1} % ({fraction:.2})"
        ),
        pass: band.contains(t_cells) && wild_loss > 0.0 && fraction < max_fraction,
        detail: "TNF per T cell is a fixed model constant, so ovariectomy cannot raise it"
            .to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// Senescence, vesicles and survival
// ---------------------------------------------------------------------------------------------

/// Weeks of age at which the mouse model is in its young-adult steady state.
const MOUSE_STEADY_WEEKS: f64 = 12.0;
const WEEKS_PER_MONTH: f64 = DAYS_PER_YEAR / 12.0 / 7.0;

/// An intact female mouse from `start_weeks` of age for `days`, with monthly output.
fn intact_mouse(start_weeks: f64, days: f64) -> Scenario {
    let mut sc = female_mouse(start_weeks, EstrogenProfile::new("sham"), Vec::new(), days);
    sc.simulation.output_every_days = MONTH_DAYS.min(days);
    sc
}

/// A dose per kg every `every` days from day 0 to the end.
fn per_kg(drug: &str, route: Route, mg_per_kg: f64, every: f64) -> Treatment {
    Treatment {
        drug: drug.to_string(),
        dose: DoseAmount::MgPerKg(mg_per_kg),
        route: Some(route),
        start_day: 0.0,
        every_days: Some(every),
        stop_day: None,
        infusion_hours: None,
    }
}

/// Age (in the unit of `ages`) at which `survival` first falls to one half.
fn median_survival(ages: &[f64], survival: &[f64]) -> Option<f64> {
    let i = survival.iter().position(|&s| s <= 0.5)?;
    if i == 0 {
        return Some(ages[0]);
    }
    let (s0, s1) = (survival[i - 1], survival[i]);
    Some(ages[i - 1] + (s0 - 0.5) / (s0 - s1) * (ages[i] - ages[i - 1]))
}

fn o3(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let band = t.band("senescent osteocytes, 24 / 6 months")?;
    let (young, old) = (t.constant("young_months")?, t.constant("old_months")?);
    let days = (old * WEEKS_PER_MONTH - MOUSE_STEADY_WEEKS) * 7.0;
    let aging = v.simulate(&intact_mouse(MOUSE_STEADY_WEEKS, days))?;
    let years = |months: f64| months / 12.0;
    let (s_young, s_old) = (
        aging.at("senescent_fraction_bone", years(young))?,
        aging.at("senescent_fraction_bone", years(old))?,
    );
    let ratio = s_old / s_young;

    let start = t.constant("clearance_start_months")? * WEEKS_PER_MONTH;
    let span = t.constant("clearance_months")? * MONTH_DAYS;
    let vehicle_scenario = intact_mouse(start, span);
    let mut treated_scenario = vehicle_scenario.clone();
    treated_scenario.treatments = vec![per_kg(
        "senolytic",
        Route::Oral,
        t.constant("senolytic_mg_per_kg")?,
        t.constant("senolytic_every_days")?,
    )];
    let (vehicle, treated) = (
        v.simulate(&vehicle_scenario)?,
        v.simulate(&treated_scenario)?,
    );
    let end = |r: &Run, c: &str| r.at_by("day", c, span);
    let bv = (
        end(&vehicle, "trabecular_bv_tv")?,
        end(&treated, "trabecular_bv_tv")?,
    );
    let oc = (
        end(&vehicle, "osteoclasts_active")?,
        end(&treated, "osteoclasts_active")?,
    );
    let sn = (
        end(&vehicle, "senescent_fraction_bone")?,
        end(&treated, "senescent_fraction_bone")?,
    );
    let bv_gain = 100.0 * (bv.1 - bv.0) / bv.0;
    let oc_change = 100.0 * (oc.1 - oc.0) / oc.0;
    Ok(Finding {
        value: format!(
            "x{ratio:.2} ({:.1}% to {:.1}%); senolytic BV/TV {bv_gain:+.1}%, osteoclasts {oc_change:+.1}%",
            100.0 * s_young,
            100.0 * s_old
        ),
        pass: band.contains(ratio) && bv.1 > bv.0 && oc.1 < oc.0,
        detail: format!(
            "senescent bone cells after 4 months: vehicle {:.1}%, senolytic {:.1}%",
            100.0 * sn.0,
            100.0 * sn.1
        ),
    })
}

fn o4(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let band = t.band("half-life, old / young")?;
    let (young, old) = (t.constant("young_months")?, t.constant("old_months")?);
    let days = (old * WEEKS_PER_MONTH - MOUSE_STEADY_WEEKS) * 7.0;
    let run = v.simulate(&intact_mouse(MOUSE_STEADY_WEEKS, days))?;
    let h = |months: f64| run.at("senescent_cell_half_life_days", months / 12.0);
    let (h_young, h_old) = (h(young)?, h(old)?);
    let ratio = h_old / h_young;
    Ok(Finding {
        value: format!("x{ratio:.1} ({h_young:.1} d at {young} months, {h_old:.1} d at {old})"),
        pass: band.contains(ratio),
        detail: String::new(),
    })
}

fn o5(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let age = t.constant("age_weeks")?;
    let (ev_day, sen_day, surv_day) = (
        t.constant("ev_days")?,
        t.constant("senescence_days")?,
        t.constant("survival_days")?,
    );
    let group = |estrogen: EstrogenProfile, treated: bool| -> Result<Run, String> {
        let mut sc = female_mouse(age, estrogen, Vec::new(), surv_day);
        sc.simulation.output_every_days = 7.0;
        if treated {
            sc.treatments = vec![per_kg(
                "ev_biogenesis_inhibitor",
                Route::Intraperitoneal,
                t.constant("inhibitor_mg_per_kg")?,
                t.constant("inhibitor_every_days")?,
            )];
        }
        v.simulate(&sc)
    };
    let sham = group(EstrogenProfile::new("sham"), false)?;
    let ovx = group(
        EstrogenProfile::with("ovariectomy", "ovariectomy_day", 0.0),
        false,
    )?;
    let inhibited = group(
        EstrogenProfile::with("ovariectomy", "ovariectomy_day", 0.0),
        true,
    )?;
    let at = |r: &Run, c: &str, d: f64| r.at_by("day", c, d);
    let bone_evs =
        at(&ovx, "circulating_bone_evs", ev_day)? / at(&sham, "circulating_bone_evs", ev_day)?;
    let all_evs = at(&ovx, "circulating_evs", ev_day)? / at(&sham, "circulating_evs", ev_day)?;
    let senescence = at(&ovx, "senescent_fraction_systemic", sen_day)?
        / at(&sham, "senescent_fraction_systemic", sen_day)?;
    let bone_day = t.constant("bone_days")?;
    let bv = (
        at(&ovx, "trabecular_bv_tv", bone_day)?,
        at(&inhibited, "trabecular_bv_tv", bone_day)?,
    );
    let surv = (
        at(&sham, "survival_probability", surv_day)?,
        at(&ovx, "survival_probability", surv_day)?,
        at(&inhibited, "survival_probability", surv_day)?,
    );
    let pass =
        bone_evs > 1.0 && all_evs > 1.0 && senescence > 1.0 && bv.1 > bv.0 && surv.2 > surv.1;
    Ok(Finding {
        value: format!(
            "OVX/sham: bone EVs x{bone_evs:.2}, all EVs x{all_evs:.4}, systemic senescence x{senescence:.3}; inhibitor: BV/TV {:+.2}%, survival {:.3} vs {:.3}",
            100.0 * (bv.1 - bv.0) / bv.0,
            surv.2,
            surv.1
        ),
        pass,
        detail: format!("survival at {surv_day} days after surgery: sham {:.3}", surv.0),
    })
}

fn s1(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let band = t.band("median lifespan")?;
    let start = t.constant("start_weeks")?;
    let days = (t.constant("end_months")? * WEEKS_PER_MONTH - start) * 7.0;
    let run = v.simulate(&intact_mouse(start, days))?;
    let months: Vec<f64> = run.col("age_years")?.iter().map(|a| 12.0 * a).collect();
    let median = median_survival(&months, &run.col("survival_probability")?)
        .ok_or("survival does not fall to one half within the run")?;
    Ok(Finding {
        value: format!("{median:.1} months"),
        pass: band.contains(median),
        detail: String::new(),
    })
}

fn s2(v: &Validator<'_>, t: &Target) -> Result<Finding, String> {
    let band = t.band("alive at 80")?;
    let (start, end) = (t.constant("start_age")?, t.constant("end_age")?);
    let run = v.simulate(&human(
        Sex::Female,
        start,
        natural_menopause(),
        end - start,
        MONTH_DAYS,
    ))?;
    let alive = run.at("survival_probability", end)?;
    let at70 = run.at("survival_probability", 70.0)?;
    Ok(Finding {
        value: format!("{alive:.3} (at 70: {at70:.3})"),
        pass: band.contains(alive),
        detail: String::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// The generic checker: targets whose value is read from files of `validation/`
// ---------------------------------------------------------------------------------------------

include!(concat!(env!("OUT_DIR"), "/validation_files.rs"));

/// The text of `validation/<name>`, as embedded at build time.
pub fn validation_file(name: &str) -> Option<&'static str> {
    VALIDATION_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

fn embedded(target: &Target, name: &str) -> Result<&'static str, String> {
    validation_file(name).ok_or_else(|| {
        format!(
            "validation/targets.toml: target {} names `{name}`, which is not a file of validation/",
            target.id
        )
    })
}

/// The band's scenario file (its own or the measure's) and its `divide_by` file exist.
fn band_files_exist(t: &Target, b: &Band, default: Option<&String>) -> Result<(), String> {
    let Some(f) = b.scenario_file.as_ref().or(default) else {
        return Err(format!(
            "validation/targets.toml: target {} band `{}` needs `scenario_file`",
            t.id, b.name
        ));
    };
    embedded(t, f)?;
    if let Some(f) = &b.divide_by {
        embedded(t, f)?;
    }
    Ok(())
}

/// Every band of a measured target says where its value comes from, and every file exists.
fn measure_is_complete(t: &Target, m: &Measure) -> Result<(), String> {
    let missing = |what: &str, band: &Band| {
        format!(
            "validation/targets.toml: target {} band `{}` needs `{what}`",
            t.id, band.name
        )
    };
    if t.band.is_empty() {
        return Err(format!(
            "validation/targets.toml: target {} has a measure but no band",
            t.id
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
                return Err(format!(
                    "validation/targets.toml: target {} needs a finite over_years > 0 and a finite scale",
                    t.id
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
                if b.value.is_none() {
                    return Err(missing("value (a JSON pointer into summary.json)", b));
                }
            }
        }
    }
    Ok(())
}

/// Runs the scenario file `name` of `validation/` on the built-in model.
fn scenario_run(v: &Validator<'_>, target: &Target, name: &str) -> Result<Run, String> {
    let text = embedded(target, name)?;
    let scenario = Scenario::parse(text, name, v.catalogue).map_err(|e| e.to_string())?;
    v.simulate(&scenario)
}

/// Percent change of `column` from day 0 to `day`, interpolated on the output days.
fn change_since_start(run: &Run, column: &str, day: f64) -> Result<f64, String> {
    let start = run.first(column)?;
    let now = run.at_by("day", column, day)?;
    Ok(100.0 * (now - start) / start)
}

/// The runs of a target's scenario files, each simulated once.
struct Runs<'a> {
    validator: &'a Validator<'a>,
    target: &'a Target,
    runs: BTreeMap<String, Run>,
}

impl Runs<'_> {
    fn get(&mut self, name: &str) -> Result<&Run, String> {
        if !self.runs.contains_key(name) {
            let run = scenario_run(self.validator, self.target, name)?;
            self.runs.insert(name.to_string(), run);
        }
        Ok(&self.runs[name])
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

/// The quantity a scenario measure reads from the run of `name` for `band`.
fn quantity(
    measure: &Measure,
    runs: &mut Runs<'_>,
    name: &str,
    band: &Band,
) -> Result<f64, String> {
    match measure {
        Measure::Change { versus, column, .. } => {
            let day = band.at_years.unwrap_or(f64::NAN) * DAYS_PER_YEAR;
            let mut value = change_since_start(runs.get(name)?, column, day)?;
            if let Some(placebo) = versus {
                value -= change_since_start(runs.get(placebo)?, column, day)?;
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
            let d = run.at(column, age + over_years)? - run.at(column, age)?;
            Ok(scale * d / if *per_year { *over_years } else { 1.0 })
        }
        Measure::Crossing { column, level, .. } => {
            let run = runs.get(name)?;
            first_at_or_below(&run.col("age_years")?, &run.col(column)?, *level).ok_or_else(|| {
                format!("`{column}` does not fall to {level} within the run of `{name}`")
            })
        }
        Measure::ValueAt {
            column, complement, ..
        } => {
            let x = runs
                .get(name)?
                .at(column, band.at_age.unwrap_or(f64::NAN))?;
            Ok(if *complement { 1.0 - x } else { x })
        }
        Measure::Trial { .. } => Err("a trial measure reads no scenario".to_string()),
    }
}

fn measured(v: &Validator<'_>, target: &Target, measure: &Measure) -> Result<Finding, String> {
    let mut values = Vec::new();
    let mut pass = true;
    let scenario_file = match measure {
        Measure::Change { scenario_file, .. }
        | Measure::Difference { scenario_file, .. }
        | Measure::Crossing { scenario_file, .. }
        | Measure::ValueAt { scenario_file, .. } => scenario_file,
        Measure::Trial { trial_file } => {
            let summary = trial_summary(v, target, trial_file)?;
            for band in &target.band {
                let pointer = band.value.as_deref().unwrap_or("");
                let value = summary
                    .pointer(pointer)
                    .and_then(serde_json::Value::as_f64)
                    .ok_or_else(|| {
                        format!("the trial's summary.json has no number at `{pointer}`")
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
    let mut runs = Runs {
        validator: v,
        target,
        runs: BTreeMap::new(),
    };
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
) -> Result<serde_json::Value, String> {
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
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_file_parses_and_every_target_has_a_check() {
        let ts = targets().unwrap();
        let ids: Vec<&str> = ts
            .iter()
            .filter(|t| t.measure.is_none())
            .map(|t| t.id.as_str())
            .collect();
        assert_eq!(ids, IMPLEMENTED);
        for t in &ts {
            assert!(
                check_for(&t.id).is_some() != t.measure.is_some(),
                "{}: a target has either a check of its own or a measure",
                t.id
            );
            assert!(!t.citation.is_empty() && !t.figure.is_empty(), "{}", t.id);
        }
    }

    #[test]
    fn interpolation() {
        let xs = [0.0, 1.0, 3.0];
        let ys = [10.0, 20.0, 0.0];
        assert_eq!(interpolate(&xs, &ys, 0.5), Some(15.0));
        assert_eq!(interpolate(&xs, &ys, 2.0), Some(10.0));
        assert_eq!(interpolate(&xs, &ys, 3.0), Some(0.0));
        assert_eq!(interpolate(&xs, &ys, 0.0), Some(10.0));
        assert_eq!(interpolate(&xs, &ys, 3.1), None);
        assert_eq!(interpolate(&xs, &ys, -0.1), None);
        assert_eq!(time_average(&xs, &ys), Some((15.0 + 20.0) / 3.0));
        assert_eq!(first_at_or_below(&xs, &ys, 5.0), Some(2.5));
        assert_eq!(first_at_or_below(&xs, &ys, -1.0), None);
        let (lo, hi) = min_max(&[1.0, f64::NAN]);
        assert!(lo.is_nan() && hi.is_nan());
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
            at_age: None,
            divide_by: None,
        };
        assert_eq!(b.text(), "x -1 to 2.5 %");
        assert!(b.contains(-1.0) && b.contains(2.5) && !b.contains(f64::NAN));
    }
}
