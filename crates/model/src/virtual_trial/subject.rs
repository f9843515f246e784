//! One subject: drawn from the population (and redrawn until she passes screening), run in
//! every arm from the same state on day 0, her events drawn, her rows written.

use std::ops::Range;
use std::path::Path;

use crate::binding::{self, BindError};
use crate::catalogue::Catalogue;
use crate::report;
use crate::scenario::{EstrogenProfile, Scenario, Treatment, DAYS_PER_YEAR};
use osteosim_engine::{Kernel, Model, SimError, Simulation, SolverOptions, Trajectory};
use serde::{Deserialize, Serialize};

use super::{Context, TrialError, TrialFile, BMD_SITES, MAX_ATTEMPTS, PREDICTOR_COLUMNS};
use osteosim_trial::hazard::{
    event_from_hazard, event_from_survival, probability_by_end, rate_from_probability,
};
use osteosim_trial::rng::Stream;
use osteosim_trial::store::{write_part, Block};

/// Stream purposes: the subject's characteristics, and her event draws.
const PURPOSE_CHARACTERISTICS: u64 = 1;
const PURPOSE_EVENTS: u64 = 2;
/// Tries of the truncated normal for one characteristic.
const TRUNCATION_TRIES: usize = 10_000;
/// Horizon of the model's fracture probabilities, in years.
const FRACTURE_HORIZON_YEARS: f64 = 10.0;
/// Window of the bone-loss and senescence outcomes of the biomarker analysis.
pub const OUTCOME_WINDOW_DAYS: f64 = 5.0 * DAYS_PER_YEAR;

/// What is kept of one subject in one arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmRecord {
    /// % change from day 0 to the end, per [`BMD_SITES`] (None when the model lacks it).
    pub bmd_percent_change: Vec<Option<f64>>,
    /// Day of each of [`super::EVENTS`], None when it did not happen.
    pub events: Vec<Option<f64>>,
    /// Probability of each of [`super::EVENTS`] by the end from its own hazard (no
    /// competing death): the expectation the drawn events scatter around.
    pub risks: Vec<Option<f64>>,
    /// Level of each of [`PREDICTOR_COLUMNS`] on the measurement day.
    pub predictors: Vec<Option<f64>>,
    /// Femoral-neck BMD loss (% of day 0) over the outcome window.
    pub bone_loss: Option<f64>,
    /// Rise of `senescent_fraction_systemic` over the outcome window.
    pub senescence_rise: Option<f64>,
}

/// What is kept of one subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubjectRecord {
    pub subject: u64,
    /// Draws needed to pass screening (1 = the first).
    pub attempts: u64,
    pub age_years: f64,
    pub menopause_age_years: Option<f64>,
    /// Values of the varied parameters, in the order of `[population.variability]`.
    pub parameters: Vec<f64>,
    /// Day of the predictor measurement.
    pub measured_day: f64,
    /// Whether the subject's day-0 value lies in each fraction of `[population.baseline]`.
    #[serde(default)]
    pub baseline: Vec<bool>,
    pub arms: Vec<ArmRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ChunkDocument {
    pub chunk: u64,
    pub subjects: Vec<SubjectRecord>,
}

/// A subject's characteristics.
#[derive(Debug, Clone)]
struct Drawn {
    age_years: f64,
    menopause_age_years: Option<f64>,
    parameters: Vec<f64>,
}

fn population_error(ctx: &Context<'_>, key: &str, message: String) -> TrialError {
    TrialError::Population {
        label: ctx.label.clone(),
        key: key.to_string(),
        message,
    }
}

fn bind_error(ctx: &Context<'_>, subject: u64, arm: &str, error: BindError) -> TrialError {
    TrialError::Subject {
        label: ctx.label.clone(),
        subject,
        arm: arm.to_string(),
        error,
    }
}

/// An untreated subject of the population on its default estrogen course, with the drawn value
/// of the course's setting (the age at menopause for women) when there is one.
fn untreated(
    model: &Model,
    trial: &TrialFile,
    label: &str,
    age: f64,
    setting: Option<f64>,
) -> Result<Scenario, TrialError> {
    let p = &trial.population;
    let model_error = |message: String| TrialError::Model {
        label: label.to_string(),
        message,
    };
    let catalogue = Catalogue::of(model).map_err(|e| model_error(e.to_string()))?;
    let mut estrogen =
        EstrogenProfile::default_for(&catalogue, p.species, p.sex).ok_or_else(|| {
            model_error(format!(
                "the model has no default estrogen profile for a {} {}",
                p.species, p.sex
            ))
        })?;
    if let (Some((_, value)), Some(drawn)) = (estrogen.setting.as_mut(), setting) {
        *value = drawn;
    }
    let mut scenario = Scenario::untreated(
        p.species,
        p.sex,
        age,
        estrogen,
        trial.simulation.duration_days,
        trial.simulation.output_every_days,
    );
    scenario.simulation = trial.simulation;
    Ok(scenario)
}

/// The value each varied parameter has for this population's species and sex.
pub(crate) fn nominal_values(
    model: &Model,
    kernel: &dyn Kernel,
    trial: &TrialFile,
    label: &str,
) -> Result<Vec<(String, f64)>, TrialError> {
    let base = untreated(
        model,
        trial,
        label,
        trial.population.age_years.mean.max(0.0),
        None,
    )?;
    let sim = binding::simulation(model, kernel, &base).map_err(|e| TrialError::Model {
        label: label.to_string(),
        message: format!("the population cannot run on this model: {e}"),
    })?;
    Ok(trial
        .population
        .variability
        .keys()
        .filter_map(|name| {
            let i = model.parameter_index(name)?;
            Some((name.clone(), sim.parameters()[i]))
        })
        .collect())
}

fn draw(ctx: &Context<'_>, subject: u64, attempt: u64) -> Result<Drawn, TrialError> {
    let p = &ctx.trial.population;
    let mut s = Stream::new(p.seed, subject, attempt, PURPOSE_CHARACTERISTICS);
    let truncated = |s: &mut Stream, key: &str, d: &super::Spread| {
        s.truncated_normal(d.mean, d.sd, d.min, d.max, TRUNCATION_TRIES)
            .ok_or_else(|| {
                population_error(
                    ctx,
                    &format!("population.{key}"),
                    format!(
                        "no draw fell within [{}, {}] in {TRUNCATION_TRIES} tries; widen the bounds or move the mean",
                        d.min, d.max
                    ),
                )
            })
    };
    let age_years = truncated(&mut s, "age_years", &p.age_years)?;
    let menopause_age_years = match &p.menopause_age_years {
        Some(d) => Some(truncated(&mut s, "menopause_age_years", d)?),
        // The default course's own setting (51 years for women), if it has one.
        None => Catalogue::of(ctx.model)
            .ok()
            .and_then(|c| EstrogenProfile::default_for(&c, p.species, p.sex))
            .and_then(|e| e.value()),
    };
    let parameters = ctx
        .nominal
        .iter()
        .map(|(name, value)| value * s.lognormal_factor(p.variability[name]))
        .collect();
    Ok(Drawn {
        age_years,
        menopause_age_years,
        parameters,
    })
}

fn scenario(
    ctx: &Context<'_>,
    d: &Drawn,
    treatments: &[Treatment],
) -> Result<Scenario, TrialError> {
    let mut s = untreated(
        ctx.model,
        &ctx.trial,
        &ctx.label,
        d.age_years,
        d.menopause_age_years,
    )?;
    for ((name, _), value) in ctx.nominal.iter().zip(&d.parameters) {
        s.subject.parameters.insert(name.clone(), *value);
    }
    s.treatments = treatments.to_vec();
    Ok(s)
}

/// Runs the scenario bound to the model, set up by `setup`, with the trial's solver settings;
/// when the integrator cannot proceed, once more with the fallback settings
/// ([`Context::fallback`]). Which settings a subject needed depends only on the subject, so
/// results stay independent of chunking and threads.
fn integrate(
    ctx: &Context<'_>,
    s: &Scenario,
    setup: impl Fn(Simulation<'_>) -> Result<Simulation<'_>, BindError>,
) -> Result<Trajectory, BindError> {
    let attempt = |options: SolverOptions| -> Result<Trajectory, BindError> {
        let sim = binding::simulation(ctx.model, ctx.kernel, s)?.with_options(options);
        Ok(setup(sim)?.run()?)
    };
    match (attempt(ctx.solver), ctx.fallback) {
        (Err(BindError::Simulation(_)), Some(fallback)) => attempt(fallback),
        (result, _) => result,
    }
}

/// State and observables on day 0: the model's steady state at its reference age carried
/// forward to the subject's age, untreated.
fn day_zero(ctx: &Context<'_>, s: &Scenario) -> Result<(Vec<f64>, Vec<f64>), BindError> {
    let sim = binding::simulation(ctx.model, ctx.kernel, s)?;
    let t0 = match ctx.model.parameter_index("steady_state_age_years") {
        Some(i) => (-(s.subject.age_years - sim.parameters()[i]) * DAYS_PER_YEAR).min(0.0),
        None => 0.0,
    };
    if t0 < 0.0 {
        let traj = integrate(ctx, s, |sim| {
            Ok(sim.with_time_span(t0, 0.0)?.with_output_times(vec![0.0])?)
        })?;
        match (
            traj.states.into_iter().last(),
            traj.observables.into_iter().last(),
        ) {
            (Some(y), Some(o)) => Ok((y, o)),
            _ => Err(BindError::Simulation(SimError::Settings {
                message: "no state on day 0".into(),
            })),
        }
    } else {
        let y = sim.initial_state()?;
        let mut obs = vec![0.0; ctx.kernel.n_observables()];
        let mut scratch = vec![0.0; ctx.kernel.n_scratch()];
        ctx.kernel
            .observables(0.0, &y, sim.parameters(), &mut obs, &mut scratch);
        Ok((y, obs))
    }
}

/// Day-0 value of the time-series column `column`, when the model has it.
fn observed(ctx: &Context<'_>, observables: &[f64], column: &str) -> Option<f64> {
    ctx.columns
        .iter()
        .find(|(c, _)| c == column)
        .and_then(|(_, i)| *i)
        .and_then(|i| observables.get(i).copied())
}

/// Whether the day-0 observables lie in each fraction of `[population.baseline]`.
fn baseline(ctx: &Context<'_>, observables: &[f64]) -> Vec<bool> {
    ctx.trial
        .population
        .baseline
        .iter()
        .map(|f| observed(ctx, observables, &f.column).is_some_and(|x| f.contains(x)))
        .collect()
}

fn passes(ctx: &Context<'_>, observables: &[f64]) -> bool {
    ctx.trial
        .population
        .inclusion
        .iter()
        .all(|b| observed(ctx, observables, &b.column).is_some_and(|x| b.admits(x)))
}

/// Linear interpolation of column `k` of `rows` at `day`; None outside the rows.
fn value_at(rows: &[Vec<f64>], k: usize, day: f64) -> Option<f64> {
    let first = rows.first()?;
    if day < first[0] {
        return None;
    }
    for w in rows.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if day <= b[0] {
            let f = if b[0] == a[0] {
                1.0
            } else {
                (day - a[0]) / (b[0] - a[0])
            };
            return Some(a[k] + f * (b[k] - a[k]));
        }
    }
    (rows.len() == 1 && day == first[0]).then(|| first[k])
}

fn arm_record(
    ctx: &Context<'_>,
    rows: &[Vec<f64>],
    uniforms: &[f64; 3],
    measured_day: f64,
) -> ArmRecord {
    let col = |name: &str| ctx.column(name);
    let first = |k: usize| rows.first().map(|r| r[k]);
    let last = |k: usize| rows.last().map(|r| r[k]);
    let bmd_percent_change = BMD_SITES
        .iter()
        .map(|site| {
            let k = col(site)?;
            let (a, b) = (first(k)?, last(k)?);
            (a != 0.0).then(|| 100.0 * (b - a) / a)
        })
        .collect();
    let days: Vec<f64> = rows.iter().map(|r| r[0]).collect();
    let years: Vec<f64> = days.iter().map(|d| d / DAYS_PER_YEAR).collect();
    let survival: Option<Vec<f64>> =
        col("survival_probability").map(|k| rows.iter().map(|r| r[k]).collect());
    let death = survival
        .as_ref()
        .and_then(|s| event_from_survival(&days, s, uniforms[2]));
    let death_risk = survival.as_ref().and_then(|s| {
        let (first, last) = (*s.first()?, *s.last()?);
        (first > 0.0).then(|| 1.0 - last / first)
    });
    let rates = |name: &str| -> Option<Vec<f64>> {
        let k = col(name)?;
        Some(
            rows.iter()
                .map(|r| rate_from_probability(r[k], FRACTURE_HORIZON_YEARS))
                .collect(),
        )
    };
    let major = rates("fracture_probability_10y_major");
    let hip = rates("fracture_probability_10y_hip");
    let fracture = |rates: &Option<Vec<f64>>, u: f64| {
        let t = event_from_hazard(&years, rates.as_ref()?, u)? * DAYS_PER_YEAR;
        // A fracture after death does not happen.
        death.is_none_or(|d| t <= d).then_some(t)
    };
    let events = vec![
        fracture(&major, uniforms[0]),
        fracture(&hip, uniforms[1]),
        death,
    ];
    let risks = vec![
        major.as_ref().map(|r| probability_by_end(&years, r)),
        hip.as_ref().map(|r| probability_by_end(&years, r)),
        death_risk,
    ];
    let predictors = PREDICTOR_COLUMNS
        .iter()
        .map(|c| value_at(rows, col(c)?, measured_day))
        .collect();
    let end = OUTCOME_WINDOW_DAYS.min(ctx.trial.simulation.duration_days);
    let bone_loss = col("bmd_femoral_neck_g_cm2").and_then(|k| {
        let (a, b) = (first(k)?, value_at(rows, k, end)?);
        (a != 0.0).then(|| 100.0 * (a - b) / a)
    });
    let senescence_rise =
        col("senescent_fraction_systemic").and_then(|k| Some(value_at(rows, k, end)? - first(k)?));
    ArmRecord {
        bmd_percent_change,
        events,
        risks,
        predictors,
        bone_loss,
        senescence_rise,
    }
}

/// The rows and columns of one subject's table that `subjects.parquet` keeps.
fn stored_rows(ctx: &Context<'_>, rows: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let outputs = &ctx.trial.outputs;
    if outputs.stride <= 1 && ctx.stored.len() == ctx.columns.len() {
        return rows;
    }
    let n = rows.len();
    rows.into_iter()
        .enumerate()
        .filter(|(k, _)| outputs.keeps_row(*k, n))
        .map(|(_, r)| ctx.stored.iter().map(|&c| r[c]).collect())
        .collect()
}

/// Simulate units `units` and commit them as the part file `part`.
pub(crate) fn run_chunk(
    ctx: &Context<'_>,
    chunk: u64,
    units: Range<u64>,
    part: &Path,
) -> Result<(), TrialError> {
    let trial = &ctx.trial;
    let mut tables: Vec<(u64, usize, Vec<Vec<f64>>)> = Vec::new();
    let mut records = Vec::with_capacity((units.end - units.start) as usize);
    for i in units {
        // Draw until the subject passes screening.
        let mut found = None;
        for attempt in 0..MAX_ATTEMPTS {
            let drawn = draw(ctx, i, attempt)?;
            let base = scenario(ctx, &drawn, &[])?;
            let (y0, obs0) = day_zero(ctx, &base).map_err(|e| bind_error(ctx, i, "(day 0)", e))?;
            if passes(ctx, &obs0) {
                found = Some((attempt + 1, drawn, y0, baseline(ctx, &obs0)));
                break;
            }
        }
        let Some((attempts, drawn, y0, in_baseline)) = found else {
            let criteria: Vec<String> = trial
                .population
                .inclusion
                .iter()
                .map(|b| format!("{} = {}", b.key(), b.value))
                .collect();
            return Err(population_error(
                ctx,
                "population.inclusion",
                format!(
                    "subject {i} failed screening in {MAX_ATTEMPTS} draws ({}); the criteria are impossible or too rare for this population",
                    criteria.join(", ")
                ),
            ));
        };
        let mut ev = Stream::new(trial.population.seed, i, 0, PURPOSE_EVENTS);
        let uniforms = [ev.uniform(), ev.uniform(), ev.uniform()];
        let measured_day = match drawn.menopause_age_years {
            Some(m) if m > drawn.age_years => (m - drawn.age_years + 1.0) * DAYS_PER_YEAR,
            _ => DAYS_PER_YEAR,
        };
        let mut arms = Vec::with_capacity(trial.arms.len());
        for (a, arm) in trial.arms.iter().enumerate() {
            let s = scenario(ctx, &drawn, &arm.treatments)?;
            let traj = integrate(ctx, &s, |sim| {
                Ok(sim
                    .with_time_span(0.0, trial.simulation.duration_days)?
                    .with_initial_state(y0.clone())?)
            })
            .map_err(|e| bind_error(ctx, i, &arm.name, e))?;
            let table = report::table(ctx.model, &traj);
            arms.push(arm_record(ctx, &table.rows, &uniforms, measured_day));
            tables.push((i, a, stored_rows(ctx, table.rows)));
        }
        records.push(SubjectRecord {
            subject: i,
            attempts,
            age_years: drawn.age_years,
            menopause_age_years: drawn.menopause_age_years,
            parameters: drawn.parameters,
            measured_day,
            baseline: in_baseline,
            arms,
        });
    }
    let document = serde_json::to_string(&ChunkDocument {
        chunk,
        subjects: records,
    })
    .map_err(|e| TrialError::Output {
        path: part.to_path_buf(),
        message: format!("cannot encode chunk {chunk}: {e}"),
    })?;
    let blocks: Vec<Block<'_>> = tables
        .iter()
        .map(|(unit, group, rows)| Block {
            unit: *unit,
            group: *group,
            rows,
        })
        .collect();
    Ok(write_part(part, &ctx.layout, &blocks, &document)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_on_the_output_grid() {
        let rows = vec![vec![0.0, 1.0], vec![10.0, 2.0], vec![20.0, 4.0]];
        assert_eq!(value_at(&rows, 1, 5.0), Some(1.5));
        assert_eq!(value_at(&rows, 1, 20.0), Some(4.0));
        assert_eq!(value_at(&rows, 1, 0.0), Some(1.0));
        assert_eq!(value_at(&rows, 1, 21.0), None);
    }
}
