//! Scenario builders and run helpers shared by the model's integration tests: the virtual
//! subjects (a woman with natural menopause at 51, a man, an ovariectomized or sham mouse), the
//! standard regimens of each drug, and a run's columns read by day.
//!
//! Each test binary uses only part of this module.

#![allow(dead_code)]

use osteosim_engine::output::Table;
use osteosim_model::builtin::{kernel, model};
use osteosim_model::scenario::{
    DoseAmount, EstrogenProfile, Route, Scenario, Sex, Species, Subject, Treatment, DAYS_PER_YEAR,
};

// ---------------------------------------------------------------------------------------------
// Subjects
// ---------------------------------------------------------------------------------------------

/// First treatment day of the regimens below (day 1). A dose on day 0 works as well (see
/// `a_dose_on_day_zero_runs_for_an_older_woman`); one day changes nothing measurable.
pub const START: f64 = 1.0;

/// A woman of `age_years` with natural menopause at 51, untreated for `years`, one output a day.
pub fn woman(age_years: f64, years: f64) -> Scenario {
    woman_every(age_years, years, 1.0)
}

/// As [`woman`], with one output every `every_days` days.
pub fn woman_every(age_years: f64, years: f64, every_days: f64) -> Scenario {
    Scenario::untreated(
        Species::Human,
        Sex::Female,
        age_years,
        EstrogenProfile::with("natural_menopause", "menopause_age_years", 51.0),
        years * DAYS_PER_YEAR,
        every_days,
    )
}

/// A man of `age_years` with the age-related decline of estradiol, untreated for `years`, one
/// output a day.
pub fn man(age_years: f64, years: f64) -> Scenario {
    let mut sc = woman(age_years, years);
    sc.subject.sex = Sex::Male;
    sc.subject.body_weight_kg = Subject::default_body_weight_kg(Species::Human, Sex::Male);
    sc.estrogen = EstrogenProfile::new("age_related_decline");
    sc
}

/// A C57BL/6 female mouse of 16 weeks, ovariectomized (or sham-operated) on day 0, run for
/// `days` with one output a day.
pub fn mouse(ovariectomy: bool, days: f64) -> Scenario {
    let mut sc = woman(16.0 * 7.0 / DAYS_PER_YEAR, days / DAYS_PER_YEAR);
    sc.simulation.duration_days = days;
    sc.subject.species = Species::Mouse;
    sc.subject.body_weight_kg = Subject::default_body_weight_kg(Species::Mouse, Sex::Female);
    sc.estrogen = if ovariectomy {
        EstrogenProfile::with("ovariectomy", "ovariectomy_day", 0.0)
    } else {
        EstrogenProfile::new("sham")
    };
    sc
}

// ---------------------------------------------------------------------------------------------
// Regimens
// ---------------------------------------------------------------------------------------------

/// `mg` by `route` from `START` every `every` days (a single dose when `None`) until `stop`.
pub fn dose(drug: &str, mg: f64, route: Route, every: Option<f64>, stop: Option<f64>) -> Treatment {
    Treatment {
        drug: drug.into(),
        dose: DoseAmount::Mg(mg),
        route: Some(route),
        start_day: START,
        every_days: every,
        stop_day: stop,
        infusion_hours: None,
    }
}

/// Denosumab 60 mg subcutaneously every 182 days.
pub fn denosumab(stop: Option<f64>) -> Treatment {
    dose("denosumab", 60.0, Route::Subcutaneous, Some(182.0), stop)
}

/// Teriparatide's daily dose, 20 ug.
pub const TERIPARATIDE_MG: f64 = 0.02;

/// Teriparatide [`TERIPARATIDE_MG`] subcutaneously a day.
pub fn teriparatide(stop: Option<f64>) -> Treatment {
    dose(
        "teriparatide",
        TERIPARATIDE_MG,
        Route::Subcutaneous,
        Some(1.0),
        stop,
    )
}

/// Alendronate 10 mg by mouth a day.
pub fn alendronate_daily(stop: Option<f64>) -> Treatment {
    dose("alendronate", 10.0, Route::Oral, Some(1.0), stop)
}

/// Zoledronic acid 5 mg as a 15-minute infusion once a year.
pub fn zoledronic_acid(stop: Option<f64>) -> Treatment {
    Treatment {
        infusion_hours: Some(0.25),
        ..dose(
            "zoledronic_acid",
            5.0,
            Route::Intravenous,
            Some(365.25),
            stop,
        )
    }
}

/// Estradiol 1 mg by mouth a day.
pub fn estradiol_oral(stop: Option<f64>) -> Treatment {
    dose("estradiol", 1.0, Route::Oral, Some(1.0), stop)
}

/// Estradiol 0.05 mg a day through the skin (a patch).
pub fn estradiol_transdermal(stop: Option<f64>) -> Treatment {
    dose("estradiol", 0.05, Route::Transdermal, Some(1.0), stop)
}

/// Raloxifene 60 mg by mouth a day.
pub fn raloxifene(stop: Option<f64>) -> Treatment {
    dose("raloxifene", 60.0, Route::Oral, Some(1.0), stop)
}

/// Testosterone gel, 50 mg a day through the skin.
pub fn testosterone_gel(stop: Option<f64>) -> Treatment {
    dose("testosterone", 50.0, Route::Transdermal, Some(1.0), stop)
}

/// A testosterone ester, 100 mg intramuscularly once a week.
pub fn testosterone_im(stop: Option<f64>) -> Treatment {
    dose("testosterone", 100.0, Route::Intramuscular, Some(7.0), stop)
}

/// Romosozumab 210 mg subcutaneously once a month.
pub fn romosozumab(stop: Option<f64>) -> Treatment {
    dose("romosozumab", 210.0, Route::Subcutaneous, Some(30.4), stop)
}

/// Anti-TNF 50 mg subcutaneously once a week.
pub fn anti_tnf(stop: Option<f64>) -> Treatment {
    dose("anti_tnf", 50.0, Route::Subcutaneous, Some(7.0), stop)
}

/// Exercise at `intensity` (1 is usual activity) from `START` until `stop`.
pub fn exercise(intensity: f64, stop: Option<f64>) -> Treatment {
    Treatment {
        drug: "exercise".into(),
        dose: DoseAmount::Intensity(intensity),
        route: None,
        start_day: START,
        every_days: None,
        stop_day: stop,
        infusion_hours: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

pub const SPINE: &str = "bmd_lumbar_spine_g_cm2";
pub const HIP: &str = "bmd_total_hip_g_cm2";
pub const NECK: &str = "bmd_femoral_neck_g_cm2";
pub const CTX: &str = "ctx_ng_ml";

/// A run's columns, with one output per day from day 0.
pub struct Run(pub Table);

impl Run {
    /// Runs `sc` on the built-in model; a failed run panics with the scenario.
    pub fn of(sc: &Scenario) -> Run {
        match osteosim_model::run(model(), kernel(), sc, "test scenario") {
            Ok(out) => Run(out.table),
            Err(e) => panic!("the run failed: {e}\n{}", sc.to_toml_string()),
        }
    }

    /// Runs `sc` with `treatments` in place of its own.
    pub fn treated(mut sc: Scenario, treatments: Vec<Treatment>) -> Run {
        sc.treatments = treatments;
        Run::of(&sc)
    }

    /// Column `name`, every output.
    pub fn col(&self, name: &str) -> Vec<f64> {
        self.0
            .column(name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    /// Column `name` on day `day` (outputs are daily; the day is rounded).
    pub fn at(&self, name: &str, day: f64) -> f64 {
        let c = self.col(name);
        let k = day.round() as usize;
        assert!(k < c.len(), "day {day} is after the end of the run");
        c[k]
    }

    /// Column `name` on day `day` of a run with outputs every `step` days.
    pub fn at_step(&self, name: &str, step: f64, day: f64) -> f64 {
        let c = self.col(name);
        let k = (day / step).round() as usize;
        assert!(k < c.len(), "day {day} is after the end of the run");
        c[k]
    }

    /// Percent change of `name` from day 0 to `day`.
    pub fn change(&self, name: &str, day: f64) -> f64 {
        100.0 * (self.at(name, day) / self.at(name, 0.0) - 1.0)
    }
}

/// `y` years in days.
pub fn years(y: f64) -> f64 {
    y * DAYS_PER_YEAR
}

/// Asserts that the model's `value` of `what` lies within `half_width` of the published
/// `target`.
pub fn within(what: &str, value: f64, target: f64, half_width: f64) {
    assert!(
        (value - target).abs() <= half_width,
        "{what}: model {value:.2}, published {target} +- {half_width}"
    );
}

/// Percent change of `name` from day 0 to `day` on treatment minus that of the untreated twin,
/// in points.
pub fn versus_placebo(treated: &Run, placebo: &Run, name: &str, day: f64) -> f64 {
    treated.change(name, day) - placebo.change(name, day)
}

/// Mean of `name` over `[from, to)` days of a run with outputs every `step` days from day 0.
pub fn mean_over(run: &Run, name: &str, step: f64, from: f64, to: f64) -> f64 {
    let c = run.col(name);
    let (i, j) = ((from / step).round() as usize, (to / step).round() as usize);
    assert!(j <= c.len(), "the run ends before day {to}");
    c[i..j].iter().sum::<f64>() / (j - i) as f64
}
