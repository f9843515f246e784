//! The treatment comparison of `docs/model.md`: a woman from her menopause at 51 on each of
//! hormone therapy, the EV biogenesis inhibitor, the EV-neutralizing antibody and a senolytic
//! for 10 years, against no treatment, followed to 80. The scenarios are the files of
//! `docs/scenarios/`, so that a user can run each one as it is.

use std::fmt::Write as _;

use crate::builtin::{kernel, model};
use crate::catalogue::Catalogue;
use crate::scenario::Scenario;

pub const BEGIN: &str = "<!-- generated:comparison:begin (do not edit by hand: `OSTEOSIM_UPDATE_DOCS=1 cargo test -p osteosim-model --test docs`) -->";
pub const END: &str = "<!-- generated:comparison:end -->";

/// Day on which the treatments stop (10 years).
pub const TREATMENT_DAYS: f64 = 3652.5;

/// The arms: label and scenario file (under `docs/scenarios/`) with its text.
pub const ARMS: [(&str, &str, &str); 5] = [
    (
        "untreated",
        "women_51_untreated.toml",
        include_str!("../../../docs/scenarios/women_51_untreated.toml"),
    ),
    (
        "estradiol 1 mg/day by mouth",
        "women_51_hrt.toml",
        include_str!("../../../docs/scenarios/women_51_hrt.toml"),
    ),
    (
        "EV biogenesis inhibitor 1600 mg by mouth every 2 days (hypothetical)",
        "women_51_ev_inhibitor.toml",
        include_str!("../../../docs/scenarios/women_51_ev_inhibitor.toml"),
    ),
    (
        "EV-neutralizing antibody 57 mg i.v. weekly (hypothetical)",
        "women_51_ev_antibody.toml",
        include_str!("../../../docs/scenarios/women_51_ev_antibody.toml"),
    ),
    (
        "senolytic 100 mg on 2 days every 28",
        "women_51_senolytic.toml",
        include_str!("../../../docs/scenarios/women_51_senolytic.toml"),
    ),
];

/// What one arm reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArmOutcome {
    /// Lumbar spine BMD change over the 10 treated years, %.
    pub spine_change: f64,
    /// Systemic senescent fraction at 61.
    pub senescence_61: f64,
    /// Serum IL-6 at 61, pg/mL.
    pub il6_61: f64,
    /// Probability of reaching 80 from 51.
    pub survival_80: f64,
}

/// Runs one arm's scenario.
pub fn arm(file: &str, text: &str) -> Result<ArmOutcome, String> {
    let sc = Scenario::parse(text, file, Catalogue::builtin()).map_err(|e| e.to_string())?;
    let table = crate::run(model(), kernel(), &sc, file)
        .map_err(|e| e.to_string())?
        .table;
    let column = |c: &str| table.column(c).ok_or(format!("{file}: no column {c}"));
    let day = column("day")?;
    let i = day
        .iter()
        .position(|&d| d >= TREATMENT_DAYS - 1e-6)
        .ok_or(format!("{file}: the run ends before day {TREATMENT_DAYS}"))?;
    let spine = column("bmd_lumbar_spine_g_cm2")?;
    let survival = column("survival_probability")?;
    Ok(ArmOutcome {
        spine_change: 100.0 * (spine[i] / spine[0] - 1.0),
        senescence_61: column("senescent_fraction_systemic")?[i],
        il6_61: column("il6_pg_ml")?[i],
        survival_80: *survival.last().ok_or(format!("{file}: no rows"))?,
    })
}

/// Every arm, in the order of [`ARMS`].
pub fn outcomes() -> Result<Vec<ArmOutcome>, String> {
    ARMS.iter().map(|(_, file, text)| arm(file, text)).collect()
}

/// The markdown table for `docs/model.md`.
pub fn markdown() -> Result<String, String> {
    let mut s = String::from(
        "| from 51 for 10 years | lumbar spine, % over 10 years | systemic senescent fraction at 61 | serum IL-6 at 61, pg/mL | alive at 80 | scenario |\n|---|---|---|---|---|---|\n",
    );
    for ((label, file, _), o) in ARMS.iter().zip(outcomes()?) {
        let _ = writeln!(
            s,
            "| {label} | {:+.1} | {:.4} | {:.1} | {:.3} | `docs/scenarios/{file}` |",
            o.spine_change, o.senescence_61, o.il6_61, o.survival_80
        );
    }
    Ok(s)
}

/// `text` with the section between [`BEGIN`] and [`END`] replaced by `generated`.
pub fn splice(text: &str, generated: &str) -> Option<String> {
    crate::docs::splice_between(text, BEGIN, END, generated)
}
