//! Scenario files: what is simulated (who, which estrogen course, which
//! treatments, for how long).
//!
//! Scenario files are TOML and are a **public contract**: the key names, the
//! ids of species, sexes, genotypes, drugs, routes and estrogen profiles, and
//! the defaults documented here must not change without a migration.
//!
//! ```toml
//! [subject]
//! species = "human"            # "human" | "mouse"
//! sex = "female"               # "female" | "male"
//! age_years = 45.0             # age at day 0 (or age_weeks; exactly one)
//! body_weight_kg = 70.0        # optional; defaults per species and sex
//! genotype = []                # optional perturbations, e.g. ["tnf_knockout"]
//! [subject.parameters]         # optional: override named model parameters
//! # tnf_effect_on_rankl = 1.2
//!
//! [estrogen]                   # optional; see `EstrogenProfile` for defaults
//! profile = "natural_menopause"
//! menopause_age_years = 51.0
//!
//! [[treatment]]                # zero or more
//! drug = "denosumab"
//! dose_mg = 60.0               # or dose_mg_per_kg; exercise: intensity
//! route = "subcutaneous"
//! start_day = 0.0
//! every_days = 182.0
//! stop_day = 1095.0
//!
//! [simulation]                 # optional
//! duration_days = 3650.0
//! output_every_days = 30.0
//! relative_tolerance = 1e-6    # optional: the integrator's rtol, 1e-10 to 1e-3
//! ```
//!
//! Parsing never panics. Every problem is reported as a [`ScenarioError`]
//! naming the file, the line (when known), the dotted key
//! (`treatment[0].drug`) and what is wrong, with a "did you mean" suggestion
//! for misspelt keys and ids.
//!
//! Treatments are also checked against the model's catalogue
//! ([`crate::catalogue`]), one regimen per drug and route: an `every_days` shorter than the drug's
//! minimum interval (7 days for a monthly or 6-monthly antibody, 30 days for
//! zoledronic acid) and a single dose above 10 times the usual one are errors
//! whose message names the usual regimen. `dose_mg_per_kg` is allowed for
//! humans as for mice: it is multiplied by the body weight and checked like a
//! dose in mg; a mouse's usual dose per kg is the human one scaled by body
//! surface area, or the contract's mouse dose for drugs with no human regimen.
use std::collections::BTreeMap;
use std::path::Path;

use crate::catalogue::Catalogue;
pub use crate::catalogue::{Regimen, UsualDose, MOUSE_PER_HUMAN_MG_PER_KG, REFERENCE_ADULT_KG};
pub use crate::toml_section::ScenarioError;
use crate::toml_section::{join_key, quote, read_document, suggest};

mod parse;
#[cfg(test)]
mod tests;
mod write;

pub use crate::ids::{Route, Sex, Species};
pub use parse::{embedded_simulation, embedded_treatments};

/// Days per (Julian) year, used for every year/day conversion.
pub const DAYS_PER_YEAR: f64 = 365.25;
/// Longest simulation a scenario may ask for: 100 years.
pub const MAX_DURATION_DAYS: f64 = 36_525.0;
/// `[simulation] duration_days` when omitted (10 years).
pub const DEFAULT_DURATION_DAYS: f64 = 3_650.0;
/// `[simulation] output_every_days` when omitted (capped at the duration).
pub const DEFAULT_OUTPUT_EVERY_DAYS: f64 = 30.0;
/// Age at the final menstrual period when `menopause_age_years` is omitted
/// (humans only).
pub const DEFAULT_MENOPAUSE_AGE_YEARS: f64 = 51.0;
/// Most output points a scenario may ask for (`duration / output_every`).
pub const MAX_OUTPUT_POINTS: f64 = 1_000_000.0;
/// Most administrations one treatment may have within the simulation;
/// [`Treatment::dose_days`] never returns more than this.
pub const MAX_DOSES: usize = 1_000_000;
// ---------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------

/// How much of a treatment is given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DoseAmount {
    /// `dose_mg`: an absolute dose per administration.
    Mg(f64),
    /// `dose_mg_per_kg`: scaled by the subject's body weight.
    MgPerKg(f64),
    /// `intensity`: exercise only, dimensionless, >= 0.
    Intensity(f64),
}

/// One `[[treatment]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Treatment {
    /// A drug id of the model's catalogue.
    pub drug: String,
    pub dose: DoseAmount,
    /// `None` only for exercise; for a drug with a single route it is that
    /// route even when the file omits it.
    pub route: Option<Route>,
    /// First administration (drugs) or start of the period (exercise), in
    /// simulation days; 0 when omitted.
    pub start_day: f64,
    /// Dosing interval; `None` for a single dose (always `None` for
    /// exercise).
    pub every_days: Option<f64>,
    /// Last day a dose may be given (drugs) or end of the period (exercise);
    /// `None` = until the simulation ends.
    pub stop_day: Option<f64>,
    /// Zero-order infusion duration in hours (intravenous only); `None` =
    /// bolus.
    pub infusion_hours: Option<f64>,
}

impl Treatment {
    /// The interval `[start_day, min(stop_day, duration_days)]` over which
    /// this treatment acts, or `None` when it starts after it would end.
    pub fn period(&self, duration_days: f64) -> Option<(f64, f64)> {
        let start = self.start_day;
        let end = match self.stop_day {
            Some(stop) => stop.min(duration_days),
            None => duration_days,
        };
        if start.is_finite() && start <= end {
            Some((start, end))
        } else {
            None
        }
    }

    /// Every administration day within `[start_day, min(stop_day,
    /// duration_days)]`, in increasing order: `start_day + k * every_days`
    /// for k = 0, 1, ... (computed by multiplication, not accumulation, so
    /// integer schedules are exact). A single dose gives `[start_day]`.
    /// Empty for exercise (see [`Treatment::period`]) and when the treatment
    /// starts after the end. At most [`MAX_DOSES`] days.
    pub fn dose_days(&self, duration_days: f64) -> Vec<f64> {
        if matches!(self.dose, DoseAmount::Intensity(_)) {
            return Vec::new();
        }
        let Some((start, end)) = self.period(duration_days) else {
            return Vec::new();
        };
        let every = match self.every_days {
            Some(every) if every.is_finite() && every > 0.0 => every,
            _ => return vec![start],
        };
        // Tolerate rounding in k * every (e.g. 3 * 0.1 > 0.3).
        let tolerance = 1e-9 * end.abs().max(every).max(1.0);
        let mut days = Vec::new();
        let mut k: u32 = 0;
        while days.len() < MAX_DOSES {
            let day = start + f64::from(k) * every;
            if day > end + tolerance || day.is_nan() {
                break;
            }
            days.push(day.min(end));
            k = k.saturating_add(1);
        }
        days
    }

    /// The dose of one administration in mg for a subject of this weight;
    /// `None` for exercise.
    pub fn dose_mg(&self, body_weight_kg: f64) -> Option<f64> {
        match self.dose {
            DoseAmount::Mg(mg) => Some(mg),
            DoseAmount::MgPerKg(mg_per_kg) => Some(mg_per_kg * body_weight_kg),
            DoseAmount::Intensity(_) => None,
        }
    }
}

/// The estrogen course (`[estrogen]`): a profile of the model's catalogue and the value of its
/// setting, when it has one (`menopause_age_years`, `ovariectomy_day`, ...).
///
/// When the section is absent, the subject follows the profile its catalogue names as the
/// default for its species and sex, with the setting's default for its species.
#[derive(Clone, Debug, PartialEq)]
pub struct EstrogenProfile {
    /// A profile id of the catalogue.
    pub id: String,
    /// The profile's setting: its key in `[estrogen]` and its value.
    pub setting: Option<(String, f64)>,
}

impl EstrogenProfile {
    /// A profile without a setting.
    pub fn new(id: &str) -> EstrogenProfile {
        EstrogenProfile {
            id: id.to_string(),
            setting: None,
        }
    }

    /// A profile with its setting `key = value`.
    pub fn with(id: &str, key: &str, value: f64) -> EstrogenProfile {
        EstrogenProfile {
            id: id.to_string(),
            setting: Some((key.to_string(), value)),
        }
    }

    /// The setting's value, if the profile has one.
    pub fn value(&self) -> Option<f64> {
        self.setting.as_ref().map(|(_, v)| *v)
    }

    /// The default course of a subject of `species` and `sex` in `catalogue`.
    pub fn default_for(
        catalogue: &Catalogue,
        species: Species,
        sex: Sex,
    ) -> Option<EstrogenProfile> {
        let entry = catalogue.default_profile(species, sex)?;
        let setting = match &entry.setting {
            None => None,
            Some(s) => Some((s.key.clone(), s.default_for(species)?)),
        };
        Some(EstrogenProfile {
            id: entry.id.clone(),
            setting,
        })
    }
}

/// `[subject]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Subject {
    pub species: Species,
    pub sex: Sex,
    /// Age at day 0; `age_weeks` in the file is converted with 7 / 365.25.
    pub age_years: f64,
    pub body_weight_kg: f64,
    /// Genotype ids of the model's catalogue, each applied in order.
    pub genotype: Vec<String>,
    /// `[subject.parameters]`: model parameter overrides, name -> value.
    pub parameters: BTreeMap<String, f64>,
}

impl Subject {
    /// Body weight when `body_weight_kg` is omitted. Mice: C57BL/6 adults,
    /// from the Jackson Laboratory body weight chart for C57BL/6J (16 weeks).
    pub const fn default_body_weight_kg(species: Species, sex: Sex) -> f64 {
        match (species, sex) {
            (Species::Human, Sex::Female) => 70.0,
            (Species::Human, Sex::Male) => 85.0,
            (Species::Mouse, Sex::Female) => 0.022,
            (Species::Mouse, Sex::Male) => 0.028,
        }
    }
}

/// `[simulation]`: how long to run, how often to write a row, the solver tolerance. (The
/// engine's prepared run is `osteosim_engine::Simulation`.)
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimulationSettings {
    pub duration_days: f64,
    pub output_every_days: f64,
    /// The integrator's relative tolerance; `None` keeps the engine's (1e-6).
    pub relative_tolerance: Option<f64>,
}

impl Default for SimulationSettings {
    /// The values a scenario gets when it has no `[simulation]` table.
    fn default() -> Self {
        SimulationSettings {
            duration_days: DEFAULT_DURATION_DAYS,
            output_every_days: DEFAULT_OUTPUT_EVERY_DAYS,
            relative_tolerance: None,
        }
    }
}

/// Range of `[simulation] relative_tolerance`: tighter than 1e-10 is below what double
/// precision carries through a long run; looser than 1e-3 no longer resolves a dose.
pub const RELATIVE_TOLERANCE_RANGE: (f64, f64) = (1e-10, 1e-3);

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub subject: Subject,
    pub estrogen: EstrogenProfile,
    pub treatments: Vec<Treatment>,
    pub simulation: SimulationSettings,
}

// ---------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------

impl Scenario {
    /// Parses and validates a scenario file's text against the built-in model's catalogue.
    /// `file` is only used in error messages.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(text, file, Catalogue::builtin())
    }

    /// Parses and validates a scenario file's text against `catalogue` (the drug, genotype and
    /// estrogen profile ids a model knows). `file` is only used in error messages.
    pub fn parse(text: &str, file: &str, catalogue: &Catalogue) -> Result<Scenario, ScenarioError> {
        read_document(text, file, |root| parse::parse_scenario(root, catalogue))
    }

    /// Reads and parses a scenario file against the built-in catalogue; an unreadable file is
    /// an error naming it.
    pub fn from_path(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::read(path, Catalogue::builtin())
    }

    /// Reads and parses a scenario file against `catalogue`.
    pub fn read(path: &Path, catalogue: &Catalogue) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        match osteosim_engine::format::read_input_file(path) {
            Ok(text) => Scenario::parse(&text, &file, catalogue),
            Err(e) => Err(ScenarioError {
                file,
                line: None,
                key: String::new(),
                message: format!("cannot read scenario file: {e}"),
            }),
        }
    }

    /// The built-in default: a 45-year-old woman of 70 kg on the default estrogen course of the
    /// built-in model (natural menopause at 51), no treatment, 30 years simulated, output every
    /// 30 days.
    pub fn default_woman() -> Scenario {
        let estrogen =
            EstrogenProfile::default_for(Catalogue::builtin(), Species::Human, Sex::Female)
                .unwrap_or_else(|| {
                    unreachable!("the built-in catalogue has a default for women (tested)")
                });
        Scenario::untreated(
            Species::Human,
            Sex::Female,
            45.0,
            estrogen,
            30.0 * DAYS_PER_YEAR,
            DEFAULT_OUTPUT_EVERY_DAYS,
        )
    }

    /// An untreated wild-type subject with the default body weight of its species and sex.
    pub fn untreated(
        species: Species,
        sex: Sex,
        age_years: f64,
        estrogen: EstrogenProfile,
        duration_days: f64,
        output_every_days: f64,
    ) -> Scenario {
        Scenario {
            subject: Subject {
                species,
                sex,
                age_years,
                body_weight_kg: Subject::default_body_weight_kg(species, sex),
                genotype: Vec::new(),
                parameters: BTreeMap::new(),
            },
            estrogen,
            treatments: Vec::new(),
            simulation: SimulationSettings {
                duration_days,
                output_every_days,
                relative_tolerance: None,
            },
        }
    }

    /// Checks `[subject.parameters]` names against the model's parameter
    /// names; the first unknown one is an error with a did-you-mean.
    pub fn check_parameter_names(&self, known: &[&str], file: &str) -> Result<(), ScenarioError> {
        for name in self.subject.parameters.keys() {
            if known.contains(&name.as_str()) {
                continue;
            }
            let mut message = format!("unknown model parameter {}", quote(name));
            if known.len() <= 30 {
                message.push_str("; expected one of ");
                message.push_str(&known.join(", "));
            }
            if let Some(s) = suggest(name, known.iter().copied(), &[]) {
                message.push_str(&format!("; did you mean {}?", quote(s)));
            }
            return Err(ScenarioError {
                file: file.to_string(),
                line: None,
                key: join_key("subject.parameters", name),
                message,
            });
        }
        Ok(())
    }
}
