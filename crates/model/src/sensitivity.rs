//! Local sensitivity of the main outputs to the parameters that rest on a direction from the
//! literature rather than a number (their source says "direction only"). `docs/model.md`
//! carries the table this module makes, regenerated with the model docs.
//!
//! Each parameter is raised by 10% with everything else (the reference parameters included)
//! held, in a woman followed from 45 to 80 with natural menopause at 51; the table gives how
//! much each output moves.

use std::fmt::Write;

use crate::builtin::{kernel, model};
use crate::scenario::{Scenario, DAYS_PER_YEAR};

/// Markers between which `docs/model.md` holds the generated sensitivity table.
pub const BEGIN: &str = "<!-- generated:sensitivity:begin (do not edit by hand: `OSTEOSIM_UPDATE_DOCS=1 cargo test -p osteosim-model --test docs`) -->";
pub const END: &str = "<!-- generated:sensitivity:end -->";

/// Relative step of each parameter.
pub const STEP: f64 = 0.1;

/// The outputs read from one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outputs {
    /// Femoral neck BMD change from 46 to 61 (FMP-5 to FMP+10), %.
    pub neck_loss: f64,
    /// Bone-derived plasma EVs at 56 over 46.
    pub ev_rise: f64,
    /// All plasma EVs at 75 over 46.
    pub plasma_ev_rise: f64,
    /// Systemic senescent fraction at 75.
    pub senescence_75: f64,
    /// Probability of reaching 80 from 45.
    pub survival_80: f64,
}

fn outputs(overrides: &[(&str, f64)]) -> Result<Outputs, String> {
    let mut sc = Scenario::default_woman();
    sc.simulation.duration_days = 35.0 * DAYS_PER_YEAR;
    sc.simulation.output_every_days = DAYS_PER_YEAR / 4.0;
    for (name, value) in overrides {
        sc.subject.parameters.insert(name.to_string(), *value);
    }
    let table = crate::run(model(), kernel(), &sc, "sensitivity")
        .map_err(|e| e.to_string())?
        .table;
    let column = |c: &str| table.column(c).ok_or(format!("no column {c}"));
    let age = column("age_years")?;
    let at = |c: &str, a: f64| -> Result<f64, String> {
        let ys = column(c)?;
        let i = age
            .iter()
            .position(|&x| x >= a - 1e-9)
            .ok_or(format!("age {a} outside the run"))?;
        Ok(ys[i])
    };
    let neck = "bmd_femoral_neck_g_cm2";
    Ok(Outputs {
        neck_loss: 100.0 * (at(neck, 61.0)? / at(neck, 46.0)? - 1.0),
        ev_rise: at("circulating_bone_evs", 56.0)? / at("circulating_bone_evs", 46.0)?,
        plasma_ev_rise: at("circulating_evs", 75.0)? / at("circulating_evs", 46.0)?,
        senescence_75: at("senescent_fraction_systemic", 75.0)?,
        survival_80: at("survival_probability", 80.0)?,
    })
}

/// Names of the direction-only parameters, in model order.
pub fn direction_only() -> Vec<&'static str> {
    model()
        .parameters
        .iter()
        .filter(|p| p.source.to_string().contains("direction only"))
        .map(|p| p.name.as_str())
        .collect()
}

/// Baseline outputs, and for every direction-only parameter the outputs with it raised by
/// [`STEP`].
pub struct Sensitivity {
    pub baseline: Outputs,
    pub rows: Vec<(&'static str, Outputs)>,
}

/// The sensitivity of the outputs to every direction-only parameter.
pub fn table() -> Result<Sensitivity, String> {
    let base = outputs(&[])?;
    let m = model();
    let rows = direction_only()
        .into_iter()
        .map(|name| {
            let value = m.parameters[m.parameter_index(name).expect("declared")].value;
            outputs(&[(name, value * (1.0 + STEP))]).map(|o| (name, o))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Sensitivity {
        baseline: base,
        rows,
    })
}

/// The markdown table for `docs/model.md`.
pub fn markdown() -> Result<String, String> {
    let Sensitivity { baseline: b, rows } = table()?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Baseline (woman 45 to 80, menopause at 51): femoral neck {:+.2}% from 46 to 61; bone EVs x{:.3} from 46 to 56; all plasma EVs x{:.3} from 46 to 75; systemic senescent fraction {:.4} at 75; survival to 80 {:.4}.\n",
        b.neck_loss, b.ev_rise, b.plasma_ev_rise, b.senescence_75, b.survival_80
    );
    let _ = writeln!(
        s,
        "| parameter (+{}%) | femoral neck 46-61, points | bone EVs 56/46, % | plasma EVs 75/46, % | senescence at 75, % | survival to 80, points |\n|---|---|---|---|---|---|",
        100.0 * STEP
    );
    for (name, o) in rows {
        let _ = writeln!(
            s,
            "| `{name}` | {:+.3} | {:+.2} | {:+.2} | {:+.2} | {:+.3} |",
            o.neck_loss - b.neck_loss,
            100.0 * (o.ev_rise / b.ev_rise - 1.0),
            100.0 * (o.plasma_ev_rise / b.plasma_ev_rise - 1.0),
            100.0 * (o.senescence_75 / b.senescence_75 - 1.0),
            100.0 * (o.survival_80 - b.survival_80),
        );
    }
    Ok(s)
}

/// `text` with the section between [`BEGIN`] and [`END`] replaced by `generated`.
pub fn splice(text: &str, generated: &str) -> Option<String> {
    crate::docs::splice_between(text, BEGIN, END, generated)
}
