//! From a scenario (subject, estrogen profile, treatments, simulation settings) to an engine
//! [`Simulation`]. This is where the contract's words meet the model's names:
//!
//! | scenario | model |
//! |---|---|
//! | species and sex | parameter set `subject.<species>_<sex>` |
//! | estrogen profile | parameter set `estrogen.<profile>`; its setting's parameter (and switch), from the catalogue |
//! | genotype | parameter set `genotype.<id>` |
//! | age, body weight | parameters `age_at_start_years`, `body_weight_kg` |
//! | `[subject.parameters]` | any parameter, applied last |
//! | a dose of drug D by route R | the input the catalogue names for D by R (amount in mg) |
//! | a treatment given as an intensity | the catalogue's `intensity_parameter`, switched at start and stop |
//!
//! Day 0 of the scenario is t = 0. When the model declares `steady_state_age_years`, the run
//! starts at that age in steady state and is integrated up to day 0 before outputs begin, so
//! a 65-year-old carries the bone she lost since menopause.

use osteosim_engine::units::Unit;
use osteosim_engine::{Dose, Kernel, Model, SimError, Simulation, SolverOptions};

use crate::catalogue::{
    Catalogue, CatalogueError, SettingKind, AGE_AT_START, BODY_WEIGHT, MORTALITY_COUNTING,
};
use crate::scenario::DAYS_PER_YEAR;
use crate::scenario::{DoseAmount, Scenario, Treatment};

/// Why a valid scenario cannot run on a given model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BindError {
    #[error("the model `{model}` has no {what}; it cannot run this scenario")]
    Missing { model: String, what: String },
    #[error("the model's catalogue: {0}")]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Simulation(#[from] SimError),
}

fn set_if_declared<'a>(
    sim: Simulation<'a>,
    name: &str,
    value: f64,
) -> Result<Simulation<'a>, BindError> {
    if sim.model().parameter_index(name).is_some() {
        Ok(sim.with_parameter(name, value)?)
    } else {
        Ok(sim)
    }
}

fn apply_set<'a>(
    sim: Simulation<'a>,
    group: &str,
    variant: &str,
) -> Result<Simulation<'a>, BindError> {
    if sim.model().set(group, variant).is_none() {
        return Err(BindError::Missing {
            model: sim.model().name.clone(),
            what: format!("parameter set `[sets.{group}.{variant}]`"),
        });
    }
    Ok(sim.with_parameter_set(group, variant)?)
}

/// The simulation for `scenario` (time in days, day 0 = scenario start).
pub fn simulation<'a>(
    model: &'a Model,
    kernel: &'a dyn Kernel,
    scenario: &Scenario,
) -> Result<Simulation<'a>, BindError> {
    let catalogue = Catalogue::of(model)?;
    let subject = &scenario.subject;
    let profile = catalogue.profile(&scenario.estrogen.id).ok_or_else(|| {
        missing(
            model,
            format!(
                "estrogen profile `{}` in its catalogue",
                scenario.estrogen.id
            ),
        )
    })?;
    // The profile's setting and the day it switches on, when it has them.
    let setting = profile.setting.as_ref().zip(scenario.estrogen.value());
    let mut sim = Simulation::new(model, kernel);
    sim = apply_set(
        sim,
        "subject",
        &format!("{}_{}", subject.species.as_str(), subject.sex.as_str()),
    )?;
    sim = apply_set(sim, "estrogen", &profile.id)?;
    for g in &subject.genotype {
        sim = apply_set(sim, "genotype", g)?;
    }
    sim = set_if_declared(sim, AGE_AT_START, subject.age_years)?;
    sim = set_if_declared(sim, BODY_WEIGHT, subject.body_weight_kg)?;
    if let Some((setting, value)) = setting {
        sim = set_if_declared(sim, &setting.parameter, value)?;
    }
    for (name, value) in &subject.parameters {
        sim = sim.with_parameter(name, *value)?;
    }
    let duration = scenario.simulation.duration_days;
    // Start in steady state at the model's reference age, if it declares one and the subject
    // is older.
    let t0 = match model.parameter_index("steady_state_age_years") {
        Some(i) => {
            let reference = sim.parameters()[i];
            (-(subject.age_years - reference) * DAYS_PER_YEAR).min(0.0)
        }
        None => 0.0,
    };
    sim = sim.with_time_span(t0, duration)?;
    if let Some((setting, day)) = setting.filter(|(s, _)| s.kind == SettingKind::Day) {
        if let Some(switch) = setting
            .switch
            .as_deref()
            .filter(|name| model.parameter_index(name).is_some())
        {
            // The event (a surgery) is exact on its day, also on day 0: the subject starts
            // intact at its start age (the steady state and the run-in are before it).
            sim = sim
                .with_parameter(switch, 0.0)?
                .with_switch(switch, day, 1.0)?;
        }
    }
    if t0 < 0.0 && model.parameter_index(MORTALITY_COUNTING).is_some() {
        // Deaths count from day 0: off during the run-in, switched on (an exact event) at 0.
        sim = sim.with_parameter(MORTALITY_COUNTING, 0.0)?.with_switch(
            MORTALITY_COUNTING,
            0.0,
            1.0,
        )?;
    }
    if let Some(rtol) = scenario.simulation.relative_tolerance {
        let options = sim.options();
        sim = sim.with_options(SolverOptions { rtol, ..options });
    }
    let every = scenario.simulation.output_every_days;
    let n = (duration / every + 1e-9).floor() as usize;
    let mut times: Vec<f64> = (0..=n).map(|k| k as f64 * every).collect();
    if times.last().is_some_and(|&t| t < duration - 1e-9 * every) {
        times.push(duration);
    }
    sim = sim.with_output_times(times)?;
    for tr in &scenario.treatments {
        sim = bind_treatment(model, &catalogue, sim, tr, subject.body_weight_kg, duration)?;
    }
    Ok(sim)
}

fn missing(model: &Model, what: String) -> BindError {
    BindError::Missing {
        model: model.name.clone(),
        what,
    }
}

/// Doses (or, for a treatment given as an intensity, parameter switches) of one treatment.
fn bind_treatment<'a>(
    model: &Model,
    catalogue: &Catalogue,
    mut sim: Simulation<'a>,
    tr: &Treatment,
    body_weight_kg: f64,
    duration: f64,
) -> Result<Simulation<'a>, BindError> {
    let drug = catalogue
        .drug(&tr.drug)
        .ok_or_else(|| missing(model, format!("drug `{}` in its catalogue", tr.drug)))?;
    if let DoseAmount::Intensity(level) = tr.dose {
        let name = drug.intensity_parameter.as_deref().ok_or_else(|| {
            missing(
                model,
                format!(
                    "intensity parameter for `{}` (it is given as doses)",
                    tr.drug
                ),
            )
        })?;
        let usual = model
            .parameter_index(name)
            .map(|i| sim.parameters()[i])
            .ok_or_else(|| missing(model, format!("parameter `{name}`")))?;
        sim = sim.with_switch(name, tr.start_day, level)?;
        if let Some(stop) = tr.stop_day {
            sim = sim.with_switch(name, stop, usual)?;
        }
        return Ok(sim);
    }
    let route = tr.route.map_or("", |r| r.as_str());
    let regimen = tr.route.and_then(|r| drug.regimen(r)).ok_or_else(|| {
        missing(
            model,
            format!("route {route} for `{}` in its catalogue", tr.drug),
        )
    })?;
    let input = regimen.input.clone();
    let index = model.input_index(&input).ok_or_else(|| {
        missing(
            model,
            format!(
                "input `{input}` ({} by the {route} route is not modelled yet)",
                tr.drug
            ),
        )
    })?;
    // Doses arrive in mg; the input may declare any mass unit.
    let input_unit = &model.inputs[index].unit_text;
    let per_mg = Unit::parse("mg")
        .ok()
        .zip(Unit::parse(input_unit).ok())
        .and_then(|(mg, unit)| mg.factor_to(&unit))
        .ok_or_else(|| {
            missing(
                model,
                format!(
                    "mass unit on input `{input}` (it declares `{input_unit}`; doses are in mg)"
                ),
            )
        })?;
    let Some(amount_mg) = tr.dose_mg(body_weight_kg) else {
        return Ok(sim);
    };
    let infusion_days = tr.infusion_hours.map_or(0.0, |h| h / 24.0);
    for day in tr.dose_days(duration) {
        sim = sim.with_dose(Dose {
            input: input.clone(),
            time: day,
            amount: amount_mg * per_mg,
            duration: infusion_days,
        })?;
    }
    Ok(sim)
}
