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
use std::fmt;
use std::path::Path;

use toml::de::DeValue;

use crate::catalogue::{alias_pairs, short, sorted_ids, Catalogue, DrugEntry, Named, SettingKind};
pub use crate::catalogue::{Regimen, UsualDose, MOUSE_PER_HUMAN_MG_PER_KG, REFERENCE_ADULT_KG};
use crate::toml_section::{
    bare_or_quoted, join_key, parse_number, quote, read_document, suggest, type_name, Ctx, Section,
    Value,
};

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
// Ids
// ---------------------------------------------------------------------------

/// An enum whose variants are written in scenario files as fixed ids.
trait Id: Copy + 'static {
    /// What the id names, for messages ("drug", "route", ...).
    const KIND: &'static str;
    fn all() -> &'static [Self];
    fn id(self) -> &'static str;
    /// Common other spellings, used only to suggest the right id.
    fn aliases() -> &'static [(&'static str, &'static str)];
    fn from_id(text: &str) -> Option<Self> {
        Self::all().iter().copied().find(|v| v.id() == text)
    }
}

macro_rules! id_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $id:literal ),+ $(,)?
        }
        aliases { $( $alias:literal => $target:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in contract order.
            $vis const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The id written in scenario files.
            $vis const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $id),+
                }
            }

            /// The variant with this exact id, if any.
            $vis fn from_id(id: &str) -> Option<$name> {
                <$name as Id>::from_id(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Id for $name {
            const KIND: &'static str = $kind;
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn id(self) -> &'static str {
                self.as_str()
            }
            fn aliases() -> &'static [(&'static str, &'static str)] {
                &[$(($alias, $target)),*]
            }
        }
    };
}

id_enum! {
    /// The simulated organism.
    pub enum Species: "species" {
        Human = "human",
        Mouse = "mouse",
    }
    aliases {
        "mice" => "mouse",
        "mus_musculus" => "mouse",
        "homo_sapiens" => "human",
        "woman" => "human",
        "man" => "human",
    }
}

id_enum! {
    /// The subject's sex.
    pub enum Sex: "sex" {
        Female = "female",
        Male = "male",
    }
    aliases {
        "f" => "female",
        "m" => "male",
        "woman" => "female",
        "man" => "male",
    }
}

id_enum! {
    /// A route of administration.
    pub enum Route: "route" {
        Oral = "oral",
        Transdermal = "transdermal",
        Intramuscular = "intramuscular",
        Intravenous = "intravenous",
        Subcutaneous = "subcutaneous",
        Intraperitoneal = "intraperitoneal",
    }
    aliases {
        "po" => "oral",
        "iv" => "intravenous",
        "sc" => "subcutaneous",
        "sq" => "subcutaneous",
        "subq" => "subcutaneous",
        "subcut" => "subcutaneous",
        "ip" => "intraperitoneal",
        "im" => "intramuscular",
        "td" => "transdermal",
        "patch" => "transdermal",
        "topical" => "transdermal",
    }
}

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

/// `[simulation]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Simulation {
    pub duration_days: f64,
    pub output_every_days: f64,
    /// The integrator's relative tolerance; `None` keeps the engine's (1e-6).
    pub relative_tolerance: Option<f64>,
}

impl Default for Simulation {
    /// The values a scenario gets when it has no `[simulation]` table.
    fn default() -> Self {
        Simulation {
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
    pub simulation: Simulation,
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Anything wrong with a scenario file.
///
/// Displays as `FILE[:LINE]: `KEY`: MESSAGE` (the key part is left out when
/// the error is not about a key, e.g. a TOML syntax error or an unreadable
/// file).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}: {}{message}", line_part(.line), key_part(.key))]
pub struct ScenarioError {
    /// The file name as given by the caller.
    pub file: String,
    /// 1-based line of the offending key or value, when known.
    pub line: Option<usize>,
    /// Dotted path of the offending key, arrays as `treatment[0]`; empty when
    /// the error concerns the whole file.
    pub key: String,
    pub message: String,
}

fn line_part(line: &Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

fn key_part(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("`{key}`: ")
    }
}

use crate::toml_section::Res;

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
        read_document(text, file, |root| parse_scenario(root, catalogue))
    }

    /// Reads and parses a scenario file against the built-in catalogue; an unreadable file is
    /// an error naming it.
    pub fn from_path(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::read(path, Catalogue::builtin())
    }

    /// Reads and parses a scenario file against `catalogue`.
    pub fn read(path: &Path, catalogue: &Catalogue) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
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
            simulation: Simulation {
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

    /// Writes the scenario as a scenario file with every value explicit. For
    /// a valid scenario (anything [`Scenario::from_toml_str`] returns) it
    /// parses back to an equal `Scenario`.
    pub fn to_toml_string(&self) -> String {
        let mut out = String::new();
        let s = &self.subject;
        out.push_str("[subject]\n");
        out.push_str(&format!("species = {}\n", quote(s.species.as_str())));
        out.push_str(&format!("sex = {}\n", quote(s.sex.as_str())));
        out.push_str(&format!("age_years = {}\n", float(s.age_years)));
        out.push_str(&format!("body_weight_kg = {}\n", float(s.body_weight_kg)));
        let genotype: Vec<String> = s.genotype.iter().map(|g| quote(g)).collect();
        out.push_str(&format!("genotype = [{}]\n", genotype.join(", ")));
        if !s.parameters.is_empty() {
            out.push_str("\n[subject.parameters]\n");
            for (name, value) in &s.parameters {
                out.push_str(&format!("{} = {}\n", bare_or_quoted(name), float(*value)));
            }
        }

        out.push_str("\n[estrogen]\n");
        out.push_str(&format!("profile = {}\n", quote(&self.estrogen.id)));
        if let Some((key, value)) = &self.estrogen.setting {
            out.push_str(&format!("{} = {}\n", bare_or_quoted(key), float(*value)));
        }

        for t in &self.treatments {
            out.push_str("\n[[treatment]]\n");
            out.push_str(&format!("drug = {}\n", quote(&t.drug)));
            match t.dose {
                DoseAmount::Mg(x) => out.push_str(&format!("dose_mg = {}\n", float(x))),
                DoseAmount::MgPerKg(x) => out.push_str(&format!("dose_mg_per_kg = {}\n", float(x))),
                DoseAmount::Intensity(x) => out.push_str(&format!("intensity = {}\n", float(x))),
            }
            if let Some(route) = t.route {
                out.push_str(&format!("route = {}\n", quote(route.as_str())));
            }
            out.push_str(&format!("start_day = {}\n", float(t.start_day)));
            if let Some(every) = t.every_days {
                out.push_str(&format!("every_days = {}\n", float(every)));
            }
            if let Some(stop) = t.stop_day {
                out.push_str(&format!("stop_day = {}\n", float(stop)));
            }
            if let Some(hours) = t.infusion_hours {
                out.push_str(&format!("infusion_hours = {}\n", float(hours)));
            }
        }

        out.push_str("\n[simulation]\n");
        out.push_str(&format!(
            "duration_days = {}\n",
            float(self.simulation.duration_days)
        ));
        out.push_str(&format!(
            "output_every_days = {}\n",
            float(self.simulation.output_every_days)
        ));
        if let Some(rtol) = self.simulation.relative_tolerance {
            out.push_str(&format!("relative_tolerance = {}\n", float(rtol)));
        }
        out
    }
}

// ---------------------------------------------------------------------------
// TOML writing helpers
// ---------------------------------------------------------------------------

/// A TOML float literal that reads back as exactly `x`.
fn float(x: f64) -> String {
    if x.is_nan() {
        "nan".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        // Debug is the shortest representation that round-trips, always with
        // a fraction or an exponent ("45.0", "1e-7"), both valid TOML floats.
        format!("{x:?}")
    }
}

// ---------------------------------------------------------------------------
// Suggestions
// ---------------------------------------------------------------------------

fn or_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn route_list(drug: &DrugEntry) -> String {
    let ids: Vec<&str> = drug.routes.iter().map(|r| r.route.as_str()).collect();
    or_list(&ids)
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

impl Section<'_, '_, '_> {
    fn id<E: Id>(&self, name: &str) -> Res<Option<E>> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => parse_id(self.ctx, &self.key(name), value).map(Some),
        }
    }

    /// The catalogue entry named by the string at `name`, if the key is present.
    fn entry<'c, T: Named>(&self, name: &str, kind: &str, entries: &'c [T]) -> Res<Option<&'c T>> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => parse_entry(self.ctx, &self.key(name), value, kind, entries).map(Some),
        }
    }
}

fn string_at<'v>(ctx: &Ctx<'_>, key: &str, value: &'v Value<'_>) -> Res<&'v str> {
    match value.get_ref() {
        DeValue::String(s) => Ok(s.as_ref()),
        other => Err(ctx.err(
            Some(&value.span()),
            key,
            format!("expected a string, found {}", type_name(other)),
        )),
    }
}

/// "unknown KIND "TEXT"; expected one of A, B; did you mean "X"?"
fn unknown_id(text: &str, kind: &str, ids: &[&str], aliases: &[(&str, &str)]) -> String {
    let mut message = format!(
        "unknown {kind} {}; expected one of {}",
        quote(text),
        ids.join(", ")
    );
    if let Some(s) = suggest(text, ids.iter().copied(), aliases) {
        message.push_str(&format!("; did you mean {}?", quote(s)));
    }
    message
}

fn parse_id<E: Id>(ctx: &Ctx<'_>, key: &str, value: &Value<'_>) -> Res<E> {
    let text = string_at(ctx, key, value)?;
    if let Some(v) = E::from_id(text) {
        return Ok(v);
    }
    let ids: Vec<&str> = E::all().iter().map(|v| v.id()).collect();
    Err(ctx.err(
        Some(&value.span()),
        key,
        unknown_id(text, E::KIND, &ids, E::aliases()),
    ))
}

fn parse_entry<'c, T: Named>(
    ctx: &Ctx<'_>,
    key: &str,
    value: &Value<'_>,
    kind: &str,
    entries: &'c [T],
) -> Res<&'c T> {
    let text = string_at(ctx, key, value)?;
    if let Some(e) = entries.iter().find(|e| e.id() == text) {
        return Ok(e);
    }
    Err(ctx.err(
        Some(&value.span()),
        key,
        unknown_id(text, kind, &sorted_ids(entries), &alias_pairs(entries)),
    ))
}

fn parse_scenario(root: &Section<'_, '_, '_>, catalogue: &Catalogue) -> Res<Scenario> {
    root.check_keys(&["subject", "estrogen", "treatment", "simulation"])?;
    let Some(subject) = root.sub_table("subject")? else {
        return Err(root.missing("subject", "missing required table [subject]"));
    };
    let subject = parse_subject(&subject, catalogue)?;
    let simulation = match root.sub_table("simulation")? {
        Some(section) => parse_simulation(&section)?,
        None => Simulation::default(),
    };
    let estrogen = match root.sub_table("estrogen")? {
        Some(section) => parse_estrogen(&section, &subject, &simulation, catalogue)?,
        None => EstrogenProfile::default_for(catalogue, subject.species, subject.sex)
            .ok_or_else(|| {
                root.missing(
                    "estrogen",
                    format!(
                        "the model declares no default estrogen profile for a {} {}: give [estrogen] profile",
                        subject.species, subject.sex
                    ),
                )
            })?,
    };
    let treatments = parse_treatments(root, &subject, &simulation, catalogue)?;
    Ok(Scenario {
        subject,
        estrogen,
        treatments,
        simulation,
    })
}

fn parse_subject(s: &Section<'_, '_, '_>, catalogue: &Catalogue) -> Res<Subject> {
    s.check_keys(&[
        "species",
        "sex",
        "age_years",
        "age_weeks",
        "body_weight_kg",
        "genotype",
        "parameters",
    ])?;
    let species: Species = s.id("species")?.ok_or_else(|| {
        s.missing(
            "species",
            "missing required key; expected \"human\" or \"mouse\"",
        )
    })?;
    let sex: Sex = s.id("sex")?.ok_or_else(|| {
        s.missing(
            "sex",
            "missing required key; expected \"female\" or \"male\"",
        )
    })?;

    let years = s.non_negative("age_years")?;
    let weeks = s.non_negative("age_weeks")?;
    let age_years = match (years, weeks) {
        (Some(y), None) => y,
        (None, Some(w)) => w * 7.0 / DAYS_PER_YEAR,
        (Some(_), Some(_)) => {
            // Report at whichever of the two comes second in the file.
            let second = if s.key_span("age_weeks").start > s.key_span("age_years").start {
                "age_weeks"
            } else {
                "age_years"
            };
            return Err(s.err(second, "give either age_years or age_weeks, not both"));
        }
        (None, None) => {
            return Err(s.missing("age_years", "missing age: give age_years or age_weeks"))
        }
    };

    let body_weight_kg = s
        .positive("body_weight_kg")?
        .unwrap_or_else(|| Subject::default_body_weight_kg(species, sex));

    let mut genotype: Vec<String> = Vec::new();
    if let Some(value) = s.get("genotype") {
        let DeValue::Array(items) = value.get_ref() else {
            return Err(s.value_err(
                "genotype",
                value,
                format!(
                    "expected an array of strings, found {}",
                    type_name(value.get_ref())
                ),
            ));
        };
        for (i, item) in items.iter().enumerate() {
            let key = format!("{}[{i}]", s.key("genotype"));
            let g = parse_entry(s.ctx, &key, item, "genotype", &catalogue.genotypes)?;
            if genotype.contains(&g.id) {
                return Err(s.ctx.err(
                    Some(&item.span()),
                    &key,
                    format!("duplicate genotype {}", quote(&g.id)),
                ));
            }
            genotype.push(g.id.clone());
        }
    }

    let mut parameters = BTreeMap::new();
    if let Some(p) = s.sub_table("parameters")? {
        let mut entries: Vec<_> = p.table.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        for (name, value) in entries {
            let name: &str = name.get_ref().as_ref();
            let x = parse_number(s.ctx, &p.key(name), value)?;
            parameters.insert(name.to_string(), x);
        }
    }

    Ok(Subject {
        species,
        sex,
        age_years,
        body_weight_kg,
        genotype,
        parameters,
    })
}

fn parse_simulation(s: &Section<'_, '_, '_>) -> Res<Simulation> {
    s.check_keys(&["duration_days", "output_every_days", "relative_tolerance"])?;
    let duration_days = s
        .positive("duration_days")?
        .unwrap_or(DEFAULT_DURATION_DAYS);
    if duration_days > MAX_DURATION_DAYS {
        return Err(s.bad_value("duration_days", "must be at most 36525 (100 years)"));
    }
    let output_every_days = match s.positive("output_every_days")? {
        Some(x) => x,
        None => DEFAULT_OUTPUT_EVERY_DAYS.min(duration_days),
    };
    if output_every_days > duration_days {
        return Err(s.bad_value(
            "output_every_days",
            &format!("must be at most duration_days ({duration_days})"),
        ));
    }
    if duration_days / output_every_days > MAX_OUTPUT_POINTS {
        return Err(s.bad_value(
            "output_every_days",
            "is too small: at most 1000000 output points per simulation",
        ));
    }
    let relative_tolerance = s.positive("relative_tolerance")?;
    if let Some(r) = relative_tolerance {
        let (lo, hi) = RELATIVE_TOLERANCE_RANGE;
        if !(lo..=hi).contains(&r) {
            return Err(s.bad_value(
                "relative_tolerance",
                &format!("must be between {lo:e} and {hi:e}"),
            ));
        }
    }
    Ok(Simulation {
        duration_days,
        output_every_days,
        relative_tolerance,
    })
}

/// The plural of a sex, for messages ("females").
fn sexes_word(sexes: &[Sex]) -> String {
    let words: Vec<String> = sexes.iter().map(|s| format!("{s}s")).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    or_list(&words)
}

fn parse_estrogen(
    s: &Section<'_, '_, '_>,
    subject: &Subject,
    sim: &Simulation,
    catalogue: &Catalogue,
) -> Res<EstrogenProfile> {
    let profiles = &catalogue.profiles;
    // Every profile's setting key is a key of [estrogen].
    let mut keys = vec!["profile"];
    keys.extend(
        profiles
            .iter()
            .filter_map(|p| p.setting.as_ref().map(|x| x.key.as_str())),
    );
    s.check_keys(&keys)?;
    let profile = s
        .entry("profile", "estrogen profile", profiles)?
        .ok_or_else(|| {
            s.missing(
                "profile",
                format!(
                    "missing required key; expected one of {}",
                    sorted_ids(profiles).join(", ")
                ),
            )
        })?;

    // Keys that belong to another profile.
    for owner in profiles.iter().filter(|p| p.id != profile.id) {
        let Some(key) = owner.setting.as_ref().map(|x| x.key.as_str()) else {
            continue;
        };
        let own = profile.setting.as_ref().is_some_and(|x| x.key == key);
        if !own && s.get(key).is_some() {
            return Err(s.err(
                key,
                format!(
                    "applies only to profile {}, not {}",
                    quote(&owner.id),
                    quote(&profile.id)
                ),
            ));
        }
    }

    if !profile.sexes.contains(&subject.sex) {
        let others: Vec<&str> = sorted_ids(profiles)
            .into_iter()
            .filter(|id| {
                catalogue
                    .profile(id)
                    .is_some_and(|p| p.sexes.contains(&subject.sex))
            })
            .collect();
        return Err(s.err(
            "profile",
            format!(
                "{} applies only to {}; a {} subject follows {}",
                profile.id,
                sexes_word(&profile.sexes),
                subject.sex,
                or_list(&others)
            ),
        ));
    }

    let Some(setting) = &profile.setting else {
        return Ok(EstrogenProfile::new(&profile.id));
    };
    let key = setting.key.as_str();
    let value = match setting.kind {
        SettingKind::Age => s.positive(key)?,
        SettingKind::Day => s.non_negative(key)?,
    };
    let value = match value.or_else(|| setting.default_for(subject.species)) {
        Some(v) => v,
        None => {
            let defaults: Vec<String> = setting
                .defaults
                .iter()
                .map(|(species, v)| format!("{} is for a {species}", short(*v)))
                .collect();
            let message = if defaults.is_empty() {
                format!("required for profile {}", quote(&profile.id))
            } else {
                format!(
                    "required for a {} (the default of {})",
                    subject.species,
                    defaults.join(", ")
                )
            };
            return Err(s.missing(key, message));
        }
    };
    if setting.kind == SettingKind::Day && value > sim.duration_days {
        return Err(s.bad_value(
            key,
            &format!(
                "must be within the simulation (duration_days = {})",
                sim.duration_days
            ),
        ));
    }
    Ok(EstrogenProfile::with(&profile.id, key, value))
}

fn parse_treatments(
    root: &Section<'_, '_, '_>,
    subject: &Subject,
    sim: &Simulation,
    catalogue: &Catalogue,
) -> Res<Vec<Treatment>> {
    match root.get("treatment") {
        Some(value) => parse_treatment_array(
            root.ctx,
            value,
            "treatment",
            "treatment",
            subject,
            sim,
            catalogue,
        ),
        None => Ok(Vec::new()),
    }
}

/// An array of treatment tables at `path`, written `[[header]]` in the file, each parsed as a
/// scenario's `[[treatment]]`; errors name entries as `path[i].KEY`.
fn parse_treatment_array(
    ctx: &Ctx<'_>,
    value: &Value<'_>,
    path: &str,
    header: &str,
    subject: &Subject,
    sim: &Simulation,
    catalogue: &Catalogue,
) -> Res<Vec<Treatment>> {
    let DeValue::Array(items) = value.get_ref() else {
        return Err(ctx.err(
            Some(&value.span()),
            path,
            format!(
                "expected an array of tables ([[{header}]]), found {}",
                type_name(value.get_ref())
            ),
        ));
    };
    let mut treatments = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("{path}[{i}]");
        let DeValue::Table(table) = item.get_ref() else {
            return Err(ctx.err(
                Some(&item.span()),
                &path,
                format!("expected a table, found {}", type_name(item.get_ref())),
            ));
        };
        let section = Section::new(ctx, table, path, item.span());
        treatments.push(parse_treatment(&section, subject, sim, catalogue)?);
    }
    Ok(treatments)
}

fn parse_treatment(
    s: &Section<'_, '_, '_>,
    subject: &Subject,
    sim: &Simulation,
    catalogue: &Catalogue,
) -> Res<Treatment> {
    s.check_keys(&[
        "drug",
        "dose_mg",
        "dose_mg_per_kg",
        "intensity",
        "route",
        "start_day",
        "every_days",
        "stop_day",
        "infusion_hours",
    ])?;
    let drug = s.entry("drug", "drug", &catalogue.drugs)?.ok_or_else(|| {
        s.missing(
            "drug",
            format!(
                "missing required key; expected one of {}",
                sorted_ids(&catalogue.drugs).join(", ")
            ),
        )
    })?;
    let id = drug.id.as_str();
    if !drug.species.contains(&subject.species) {
        return Err(s.bad_value_at(
            "drug",
            format!("{id} is not modelled in the {}", subject.species),
        ));
    }

    // Dose or intensity.
    let dose = if drug.is_intensity() {
        for key in ["dose_mg", "dose_mg_per_kg"] {
            if s.get(key).is_some() {
                return Err(s.err(key, format!("{id} takes `intensity` (>= 0), not a dose")));
            }
        }
        let intensity = s
            .non_negative("intensity")?
            .ok_or_else(|| s.missing("intensity", format!("{id} needs an intensity (>= 0)")))?;
        DoseAmount::Intensity(intensity)
    } else {
        if s.get("intensity").is_some() {
            let given_as: Vec<&str> = catalogue
                .drugs
                .iter()
                .filter(|d| d.is_intensity())
                .map(|d| d.id.as_str())
                .collect();
            return Err(s.err(
                "intensity",
                format!(
                    "applies only to {}; {id} takes dose_mg or dose_mg_per_kg",
                    or_list(&given_as)
                ),
            ));
        }
        let mg = s.non_negative("dose_mg")?;
        let per_kg = s.non_negative("dose_mg_per_kg")?;
        match (mg, per_kg) {
            (Some(x), None) => DoseAmount::Mg(x),
            (None, Some(x)) => DoseAmount::MgPerKg(x),
            (Some(_), Some(_)) => {
                let second = if s.key_span("dose_mg_per_kg").start > s.key_span("dose_mg").start {
                    "dose_mg_per_kg"
                } else {
                    "dose_mg"
                };
                return Err(s.err(second, "give either dose_mg or dose_mg_per_kg, not both"));
            }
            (None, None) => {
                return Err(s.missing("dose_mg", "missing dose: give dose_mg or dose_mg_per_kg"))
            }
        }
    };

    // Route.
    let regimen = if drug.is_intensity() {
        if s.get("route").is_some() {
            return Err(s.err("route", format!("{id} takes no route")));
        }
        None
    } else {
        match s.id::<Route>("route")? {
            Some(route) => match drug.regimen(route) {
                Some(r) => Some(r),
                None => {
                    return Err(s.bad_value_at(
                        "route",
                        format!("{id} is given {}, found {route}", route_list(drug)),
                    ))
                }
            },
            None => match drug.routes.as_slice() {
                [only] => Some(only),
                _ => {
                    return Err(s.missing(
                        "route",
                        format!("missing route: {id} is given {}", route_list(drug)),
                    ))
                }
            },
        }
    };
    let route = regimen.map(|r| r.route);

    // Timing.
    let start_day = s.non_negative("start_day")?.unwrap_or(0.0);
    if start_day > sim.duration_days {
        return Err(s.bad_value(
            "start_day",
            &format!(
                "starts after the simulation ends (duration_days = {})",
                sim.duration_days
            ),
        ));
    }
    let every_days = if drug.is_intensity() {
        if s.get("every_days").is_some() {
            return Err(s.err(
                "every_days",
                format!("not allowed for {id}, which runs continuously from start_day to stop_day"),
            ));
        }
        None
    } else {
        s.positive("every_days")?
    };
    let stop_day = s.non_negative("stop_day")?;
    if let Some(stop) = stop_day {
        if stop < start_day {
            return Err(s.bad_value(
                "stop_day",
                &format!("must not be before start_day ({start_day})"),
            ));
        }
    }
    if let Some(regimen) = regimen {
        check_regimen(s, subject, id, regimen, dose, every_days)?;
    }
    if let Some(every) = every_days {
        let end = stop_day.unwrap_or(sim.duration_days).min(sim.duration_days);
        #[allow(clippy::cast_precision_loss)]
        if (end - start_day) / every >= MAX_DOSES as f64 {
            return Err(s.bad_value(
                "every_days",
                "is too small: at most 1000000 doses per treatment",
            ));
        }
    }

    // Infusion.
    let infusion_hours = s.positive("infusion_hours")?;
    if let Some(hours) = infusion_hours {
        if route != Some(Route::Intravenous) {
            return Err(s.err("infusion_hours", "applies only to route \"intravenous\""));
        }
        if let Some(every) = every_days {
            if hours / 24.0 > every {
                return Err(s.bad_value(
                    "infusion_hours",
                    &format!("must not be longer than the dosing interval (every_days = {every})"),
                ));
            }
        }
    }

    Ok(Treatment {
        drug: drug.id.clone(),
        dose,
        route,
        start_day,
        every_days,
        stop_day,
        infusion_hours,
    })
}

/// The regimen checks of one treatment: the dosing interval against the drug's minimum, the
/// dose against the route's largest multiple of the usual single dose for the subject's
/// species. `dose_mg_per_kg` is allowed for humans too (it is converted with the body weight
/// and checked like a dose in mg).
fn check_regimen(
    s: &Section<'_, '_, '_>,
    subject: &Subject,
    drug: &str,
    regimen: &Regimen,
    dose: DoseAmount,
    every_days: Option<f64>,
) -> Res<()> {
    if let Some(every) = every_days {
        if every < regimen.min_every_days {
            return Err(s.bad_value(
                "every_days",
                &format!(
                    "is too short for {drug} by the {} route ({}; usual regimen {}): give every_days of at least {}",
                    regimen.route,
                    regimen.why,
                    regimen.describe(),
                    short(regimen.min_every_days)
                ),
            ));
        }
    }
    let (key, mg) = match dose {
        DoseAmount::Mg(mg) => ("dose_mg", mg),
        DoseAmount::MgPerKg(x) => ("dose_mg_per_kg", x * subject.body_weight_kg),
        DoseAmount::Intensity(_) => return Ok(()),
    };
    let usual = regimen.usual_mg(subject.species, subject.body_weight_kg);
    if mg > regimen.max_dose_multiple * usual {
        return Err(s.bad_value(
            key,
            &format!(
                "is more than {} times the usual single dose of {drug} for a {} ({}): check the units (mg, not ug) or the dose",
                short(regimen.max_dose_multiple),
                subject.species,
                regimen.usual_for(subject.species, subject.body_weight_kg)
            ),
        ));
    }
    Ok(())
}

impl Section<'_, '_, '_> {
    /// An error with a full message, at the value of `name`.
    fn bad_value_at(&self, name: &str, message: String) -> ScenarioError {
        match self.get(name) {
            Some(value) => self.value_err(name, value, message),
            None => self.err(name, message),
        }
    }
}

// ---------------------------------------------------------------------------
// Scenario parts embedded in other files
// ---------------------------------------------------------------------------

/// The `[simulation]` table of a document that embeds scenario parts (read with
/// [`read_document`]), with a scenario's checks and defaults (the defaults when absent).
pub fn embedded_simulation(root: &Section<'_, '_, '_>) -> Result<Simulation, ScenarioError> {
    match root.sub_table("simulation")? {
        Some(section) => parse_simulation(&section),
        None => Ok(Simulation::default()),
    }
}

/// The `treatment` array of the `index`-th table of the root array of tables `array`
/// (written `[[array.treatment]]`), each entry with the keys and checks of a scenario's
/// `[[treatment]]` against `catalogue`; errors name keys as `array[index].treatment[j].KEY`.
/// Empty when the table has no treatments or does not exist. Regimens are checked for
/// `subject` (species and body weight decide the usual dose).
pub fn embedded_treatments(
    root: &Section<'_, '_, '_>,
    array: &str,
    index: usize,
    subject: &Subject,
    simulation: &Simulation,
    catalogue: &Catalogue,
) -> Result<Vec<Treatment>, ScenarioError> {
    let Some(DeValue::Array(tables)) = root.get(array).map(|v| v.get_ref()) else {
        return Ok(Vec::new());
    };
    let Some(DeValue::Table(table)) = tables.get(index).map(|v| v.get_ref()) else {
        return Ok(Vec::new());
    };
    let Some(value) = table.get("treatment") else {
        return Ok(Vec::new());
    };
    parse_treatment_array(
        root.ctx,
        value,
        &format!("{array}[{index}].treatment"),
        &format!("{array}.treatment"),
        subject,
        simulation,
        catalogue,
    )
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_toml_str(text, "test.toml")
    }

    fn err(text: &str) -> ScenarioError {
        match parse(text) {
            Ok(s) => panic!("expected an error, parsed {s:?}"),
            Err(e) => e,
        }
    }

    const WOMAN: &str = "[subject]\nspecies = \"human\"\nsex = \"female\"\nage_years = 45\n";

    #[test]
    fn dose_days_is_exact() {
        let t = Treatment {
            drug: "denosumab".into(),
            dose: DoseAmount::Mg(60.0),
            route: Some(Route::Subcutaneous),
            start_day: 0.0,
            every_days: Some(182.0),
            stop_day: Some(1095.0),
            infusion_hours: None,
        };
        assert_eq!(
            t.dose_days(3650.0),
            vec![0.0, 182.0, 364.0, 546.0, 728.0, 910.0, 1092.0]
        );
        // The simulation end clips too.
        assert_eq!(t.dose_days(400.0), vec![0.0, 182.0, 364.0]);
        // Both ends are inclusive.
        assert_eq!(t.dose_days(364.0), vec![0.0, 182.0, 364.0]);
        // Single dose.
        let single = Treatment {
            every_days: None,
            start_day: 10.0,
            ..t.clone()
        };
        assert_eq!(single.dose_days(3650.0), vec![10.0]);
        assert_eq!(single.dose_days(5.0), Vec::<f64>::new());
        // Rounding in k * every does not lose the last dose.
        let tenth = Treatment {
            every_days: Some(0.1),
            stop_day: Some(0.3),
            ..t.clone()
        };
        let days = tenth.dose_days(10.0);
        assert_eq!(days.len(), 4);
        assert!(days.iter().all(|&d| d <= 0.3));
        // Exercise has a period, not doses.
        let exercise = Treatment {
            drug: "exercise".into(),
            dose: DoseAmount::Intensity(1.0),
            route: None,
            every_days: None,
            start_day: 30.0,
            stop_day: None,
            infusion_hours: None,
        };
        assert!(exercise.dose_days(100.0).is_empty());
        assert_eq!(exercise.period(100.0), Some((30.0, 100.0)));
        // Programmatic nonsense does not hang or panic.
        let silly = Treatment {
            every_days: Some(1e-300),
            stop_day: None,
            ..t
        };
        assert_eq!(silly.dose_days(f64::INFINITY).len(), MAX_DOSES);
    }

    #[test]
    fn dose_mg_scales_by_weight() {
        let t = Treatment {
            drug: "ev_biogenesis_inhibitor".into(),
            dose: DoseAmount::MgPerKg(2.5),
            route: Some(Route::Intraperitoneal),
            start_day: 0.0,
            every_days: Some(2.0),
            stop_day: None,
            infusion_hours: None,
        };
        let mg = t.dose_mg(0.022).unwrap_or(f64::NAN);
        assert!((mg - 0.055).abs() < 1e-12);
        let exercise = Treatment {
            drug: "exercise".into(),
            dose: DoseAmount::Intensity(1.0),
            route: None,
            ..t
        };
        assert_eq!(exercise.dose_mg(70.0), None);
    }

    #[test]
    fn default_woman_values() {
        let s = Scenario::default_woman();
        assert_eq!(s.subject.species, Species::Human);
        assert_eq!(s.subject.sex, Sex::Female);
        assert_eq!(s.subject.age_years, 45.0);
        assert_eq!(s.subject.body_weight_kg, 70.0);
        assert!(s.subject.genotype.is_empty());
        assert!(s.subject.parameters.is_empty());
        assert_eq!(
            s.estrogen,
            EstrogenProfile::with("natural_menopause", "menopause_age_years", 51.0)
        );
        assert!(s.treatments.is_empty());
        assert_eq!(s.simulation.duration_days, 10957.5);
        assert_eq!(s.simulation.output_every_days, 30.0);
        // And it is a valid scenario that round-trips.
        assert_eq!(parse(&s.to_toml_string()), Ok(s));
    }

    #[test]
    fn defaults_apply() {
        let s = parse(WOMAN).unwrap();
        assert_eq!(s.subject.body_weight_kg, 70.0);
        assert_eq!(
            s.estrogen,
            EstrogenProfile::with("natural_menopause", "menopause_age_years", 51.0)
        );
        assert_eq!(
            s.simulation,
            Simulation {
                duration_days: 3650.0,
                output_every_days: 30.0,
                relative_tolerance: None,
            }
        );
        let man = parse("[subject]\nspecies=\"human\"\nsex=\"male\"\nage_years=60\n").unwrap();
        assert_eq!(man.estrogen, EstrogenProfile::new("age_related_decline"));
        assert_eq!(man.subject.body_weight_kg, 85.0);
        let mouse = parse("[subject]\nspecies=\"mouse\"\nsex=\"female\"\nage_weeks=16\n").unwrap();
        assert_eq!(mouse.estrogen, EstrogenProfile::new("sham"));
        assert_eq!(mouse.subject.body_weight_kg, 0.022);
        assert_eq!(mouse.subject.age_years, 16.0 * 7.0 / 365.25);
        let male_mouse =
            parse("[subject]\nspecies=\"mouse\"\nsex=\"male\"\nage_weeks=16\n").unwrap();
        assert_eq!(male_mouse.subject.body_weight_kg, 0.028);
        assert_eq!(male_mouse.estrogen, EstrogenProfile::new("sham"));
        // A short simulation gets a short default output interval.
        let short = parse(&format!("{WOMAN}[simulation]\nduration_days = 7\n")).unwrap();
        assert_eq!(short.simulation.output_every_days, 7.0);
    }

    #[test]
    fn single_route_defaults_and_multi_route_is_required() {
        let s = parse(&format!(
            "{WOMAN}[[treatment]]\ndrug = \"denosumab\"\ndose_mg = 60\n"
        ))
        .unwrap();
        assert_eq!(s.treatments[0].route, Some(Route::Subcutaneous));
        assert_eq!(s.treatments[0].start_day, 0.0);
        let e = err(&format!(
            "{WOMAN}[[treatment]]\ndrug = \"estradiol\"\ndose_mg = 1\n"
        ));
        assert_eq!(e.key, "treatment[0].route");
        assert!(e.message.contains("oral or transdermal"), "{e}");
        assert_eq!(e.line, Some(5));
    }

    #[test]
    fn display_matches_the_contract() {
        let e = err(&format!(
            "{WOMAN}\n\n[[treatment]]\ndrug = \"denosumb\"\ndose_mg = 60\n"
        ));
        let shown = Scenario::from_toml_str(
            &format!("{WOMAN}\n\n[[treatment]]\ndrug = \"denosumb\"\ndose_mg = 60\n"),
            "trial.toml",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e.line, Some(8));
        assert!(
            shown.starts_with("trial.toml:8: `treatment[0].drug`: unknown drug \"denosumb\"; expected one of alendronate, anti_tnf, "),
            "{shown}"
        );
        assert!(shown.ends_with("; did you mean \"denosumab\"?"), "{shown}");
        let syntax = err("[subject\n");
        assert_eq!(syntax.key, "");
        assert_eq!(syntax.line, Some(1));
        assert!(syntax.to_string().starts_with("test.toml:1: invalid TOML"));
    }

    #[test]
    fn line_numbers_point_at_the_offender() {
        let e = err("[subject]\nspecies = \"human\"\nsex = \"female\"\nage_year = 45\n");
        assert_eq!((e.line, e.key.as_str()), (Some(4), "subject.age_year"));
        assert!(e.message.contains("did you mean \"age_years\"?"));
        let e = err(&format!("{WOMAN}\n[simulaton]\nduration_days = 10\n"));
        assert_eq!((e.line, e.key.as_str()), (Some(6), "simulaton"));
        assert!(e.message.contains("did you mean \"simulation\"?"));
        let e = err(&format!("{WOMAN}[simulation]\nduration_days = \"ten\"\n"));
        assert_eq!(e.line, Some(6));
        assert!(e.message.contains("expected a number, found a string"));
    }

    #[test]
    fn relative_tolerance_is_optional_and_bounded() {
        let s = parse(&format!("{WOMAN}[simulation]\nrelative_tolerance = 1e-4\n")).unwrap();
        assert_eq!(s.simulation.relative_tolerance, Some(1e-4));
        assert_eq!(parse(WOMAN).unwrap().simulation.relative_tolerance, None);
        for bad in ["0.01", "1e-12", "0", "-1e-6"] {
            let e = err(&format!(
                "{WOMAN}[simulation]\nrelative_tolerance = {bad}\n"
            ));
            assert_eq!(
                (e.line, e.key.as_str()),
                (Some(6), "simulation.relative_tolerance"),
                "{e}"
            );
        }
        let e = err(&format!("{WOMAN}[simulation]\nrelative_tolerance = 0.01\n"));
        assert!(e.message.contains("between 1e-10 and 1e-3"), "{e}");
    }

    #[test]
    fn non_finite_numbers_are_rejected_everywhere() {
        for bad in ["nan", "-nan", "inf", "+inf", "-inf", "1e400"] {
            let e = err(&format!("{WOMAN}body_weight_kg = {bad}\n"));
            assert_eq!(e.key, "subject.body_weight_kg");
            assert!(e.message.contains("finite"), "{e}");
            let e = err(&format!("{WOMAN}[subject.parameters]\nk = {bad}\n"));
            assert_eq!(e.key, "subject.parameters.k");
        }
    }

    #[test]
    fn parameter_names_are_checked_against_the_model() {
        let s = parse(&format!(
            "{WOMAN}[subject.parameters]\ntnf_efect_on_rankl = 1.2\n"
        ))
        .unwrap();
        let known = ["tnf_effect_on_rankl", "opg_production"];
        let e = s.check_parameter_names(&known, "x.toml").unwrap_err();
        assert_eq!(e.key, "subject.parameters.tnf_efect_on_rankl");
        assert!(
            e.message.ends_with("did you mean \"tnf_effect_on_rankl\"?"),
            "{e}"
        );
        assert!(Scenario::default_woman()
            .check_parameter_names(&known, "x.toml")
            .is_ok());
    }

    #[test]
    fn unreadable_file_names_it() {
        let e = Scenario::from_path(Path::new("/nonexistent/dir/trial.toml")).unwrap_err();
        assert_eq!(e.file, "/nonexistent/dir/trial.toml");
        assert!(e
            .to_string()
            .starts_with("/nonexistent/dir/trial.toml: cannot read"));
    }

    #[test]
    fn suggestions() {
        let c = Catalogue::builtin();
        let drugs = sorted_ids(&c.drugs);
        let aliases = alias_pairs(&c.drugs);
        assert_eq!(
            suggest("zoledronate", drugs.iter().copied(), &aliases),
            Some("zoledronic_acid")
        );
        assert_eq!(
            suggest("Denosumab", drugs.iter().copied(), &aliases),
            Some("denosumab")
        );
        assert_eq!(suggest("xyzzy", drugs.iter().copied(), &aliases), None);
        assert_eq!(
            suggest("TNF-KO", sorted_ids(&c.genotypes), &[]),
            Some("tnf_knockout")
        );
        assert_eq!(
            suggest(
                "iv",
                Route::ALL.iter().map(|r| r.as_str()),
                Route::aliases()
            ),
            Some("intravenous")
        );
        // An alias of the catalogue is suggested in the message.
        let e = err(&format!(
            "{WOMAN}[[treatment]]\ndrug = \"prolia\"\ndose_mg = 60\n"
        ));
        assert!(e.message.ends_with("did you mean \"denosumab\"?"), "{e}");
    }

    #[test]
    fn ids_round_trip() {
        fn aliases_are_valid<E: Id>() {
            for (alias, target) in E::aliases() {
                assert!(E::from_id(target).is_some(), "{alias} -> {target}");
                assert!(E::from_id(alias).is_none(), "{alias} is an id");
            }
        }
        aliases_are_valid::<Species>();
        aliases_are_valid::<Sex>();
        aliases_are_valid::<Route>();
        assert_eq!(Route::ALL.len(), 6);
        for r in Route::ALL {
            assert_eq!(Route::from_id(r.as_str()), Some(*r));
            assert_eq!(r.to_string(), r.as_str());
        }
    }

    #[test]
    fn every_drug_route_has_a_regimen_and_the_usual_one_parses() {
        for drug in &Catalogue::builtin().drugs {
            assert_eq!(drug.routes.is_empty(), drug.is_intensity(), "{}", drug.id);
            for r in &drug.routes {
                assert!(r.min_every_days > 0.0 && r.min_every_days <= r.usual_every_days);
                for (species, sex) in [(Species::Human, Sex::Female), (Species::Mouse, Sex::Male)] {
                    let weight = Subject::default_body_weight_kg(species, sex);
                    let mg = r.usual_mg(species, weight);
                    let text = format!(
                        "[subject]\nspecies = \"{species}\"\nsex = \"{sex}\"\nage_years = 60\n\n[[treatment]]\ndrug = \"{}\"\nroute = \"{}\"\ndose_mg = {mg:?}\nevery_days = {:?}\n",
                        drug.id, r.route, r.usual_every_days
                    );
                    assert!(
                        parse(&text).is_ok(),
                        "{} {}: {text}\n{:?}",
                        drug.id,
                        r.route,
                        parse(&text)
                    );
                }
            }
        }
    }

    #[test]
    fn regimens_outside_the_usual_are_errors_that_name_it() {
        let e = err(&format!(
            "{WOMAN}[[treatment]]\ndrug = \"romosozumab\"\ndose_mg = 210\nevery_days = 2\n"
        ));
        assert_eq!(e.key, "treatment[0].every_days");
        assert!(e.message.contains("at least 7"), "{e}");
        assert!(
            e.message.contains("210 mg subcutaneous every 30.438 days"),
            "{e}"
        );
        let e = err(&format!(
            "{WOMAN}[[treatment]]\ndrug = \"denosumab\"\ndose_mg = 601\n"
        ));
        assert_eq!(e.key, "treatment[0].dose_mg");
        assert!(
            e.message
                .contains("usual single dose of denosumab for a human (60 mg)"),
            "{e}"
        );
        // Exactly ten times is still allowed.
        assert!(parse(&format!(
            "{WOMAN}[[treatment]]\ndrug = \"denosumab\"\ndose_mg = 600\n"
        ))
        .is_ok());
        // mg/kg for a human is converted with the body weight: 10 mg/kg at 70 kg is 700 mg.
        let e = err(&format!(
            "{WOMAN}[[treatment]]\ndrug = \"denosumab\"\ndose_mg_per_kg = 10\n"
        ));
        assert_eq!(e.key, "treatment[0].dose_mg_per_kg");
        assert!(parse(&format!(
            "{WOMAN}[[treatment]]\ndrug = \"denosumab\"\ndose_mg_per_kg = 1\n"
        ))
        .is_ok());
        // A mouse is checked per kg, scaled by body surface area.
        let mouse = "[subject]\nspecies = \"mouse\"\nsex = \"female\"\nage_weeks = 16\n";
        assert!(parse(&format!(
            "{mouse}[[treatment]]\ndrug = \"anti_tnf\"\ndose_mg_per_kg = 10\nevery_days = 3.5\n"
        ))
        .is_ok());
        let e = err(&format!(
            "{mouse}[[treatment]]\ndrug = \"anti_tnf\"\ndose_mg_per_kg = 100\n"
        ));
        assert!(e.message.contains("mg/kg"), "{e}");
    }

    // --- property tests ---------------------------------------------------

    fn finite() -> impl Strategy<Value = f64> {
        prop_oneof![
            prop::num::f64::NORMAL,
            prop::num::f64::SUBNORMAL,
            Just(0.0),
            -1e6..1e6f64,
        ]
    }

    fn genotype_ids() -> Vec<String> {
        Catalogue::builtin()
            .genotypes
            .iter()
            .map(|g| g.id.clone())
            .collect()
    }

    fn subject() -> impl Strategy<Value = Subject> {
        (
            prop::sample::select(Species::ALL.to_vec()),
            prop::sample::select(Sex::ALL.to_vec()),
            prop_oneof![
                0.0..120.0f64,
                Just(0.0),
                (0u32..500).prop_map(|w| f64::from(w) * 7.0 / 365.25)
            ],
            prop_oneof![1e-3..300.0f64, Just(0.022)],
            prop::sample::subsequence(genotype_ids(), 0..=genotype_ids().len()).prop_shuffle(),
            prop::collection::btree_map(
                prop_oneof!["[a-z_][a-z0-9_]{0,20}", any::<String>(),],
                finite(),
                0..5,
            ),
        )
            .prop_map(
                |(species, sex, age_years, body_weight_kg, genotype, parameters)| Subject {
                    species,
                    sex,
                    age_years,
                    body_weight_kg,
                    genotype,
                    parameters,
                },
            )
    }

    fn simulation() -> impl Strategy<Value = Simulation> {
        (
            prop_oneof![
                1e-3..=MAX_DURATION_DAYS,
                Just(MAX_DURATION_DAYS),
                Just(3650.0)
            ],
            1e-5..=1.0f64,
            proptest::option::of(RELATIVE_TOLERANCE_RANGE.0..=RELATIVE_TOLERANCE_RANGE.1),
        )
            .prop_map(|(duration_days, f, relative_tolerance)| Simulation {
                duration_days,
                output_every_days: duration_days * f,
                relative_tolerance,
            })
    }

    /// Any profile of the catalogue that applies to `sex`, with a valid setting.
    fn estrogen(sex: Sex, duration: f64) -> BoxedStrategy<EstrogenProfile> {
        let profiles: Vec<_> = Catalogue::builtin()
            .profiles
            .iter()
            .filter(|p| p.sexes.contains(&sex))
            .cloned()
            .collect();
        (prop::sample::select(profiles), 0.0..1.0f64)
            .prop_map(move |(p, u)| match &p.setting {
                None => EstrogenProfile::new(&p.id),
                Some(s) => {
                    let value = match s.kind {
                        SettingKind::Age => 1e-3 + u * 100.0,
                        SettingKind::Day => u * duration,
                    };
                    EstrogenProfile::with(&p.id, &s.key, value)
                }
            })
            .boxed()
    }

    /// A treatment that passes the regimen checks for this subject: the
    /// interval no shorter than the drug's minimum, the dose below the largest
    /// multiple of the usual one.
    fn treatment(duration: f64, species: Species, weight: f64) -> impl Strategy<Value = Treatment> {
        (
            prop::sample::select(Catalogue::builtin().drugs.clone()),
            0.0..=duration,
            prop::option::of(0.0..400.0f64),
            prop::option::of(0.0..5000.0f64),
            0.0..0.99f64,
            any::<bool>(),
            any::<prop::sample::Index>(),
            prop::option::of(0.01..48.0f64),
        )
            .prop_map(
                move |(drug, start_day, every, stop_extra, share, per_kg, route_ix, infusion)| {
                    if drug.is_intensity() {
                        return Treatment {
                            drug: drug.id.clone(),
                            dose: DoseAmount::Intensity(share * 3.0),
                            route: None,
                            start_day,
                            every_days: None,
                            stop_day: stop_extra.map(|x| start_day + x),
                            infusion_hours: None,
                        };
                    }
                    let regimen = route_ix.get(&drug.routes);
                    let route = regimen.route;
                    let every = every.map(|e| e + regimen.min_every_days);
                    let limit = regimen.max_dose_multiple * regimen.usual_mg(species, weight);
                    let infusion_hours = match (route, infusion) {
                        (Route::Intravenous, Some(h)) if every.is_none_or(|e| h / 24.0 <= e) => {
                            Some(h)
                        }
                        _ => None,
                    };
                    Treatment {
                        drug: drug.id.clone(),
                        dose: if per_kg {
                            DoseAmount::MgPerKg(share * limit / weight)
                        } else {
                            DoseAmount::Mg(share * limit)
                        },
                        route: Some(route),
                        start_day,
                        every_days: every,
                        stop_day: stop_extra.map(|x| start_day + x),
                        infusion_hours,
                    }
                },
            )
    }

    fn scenario() -> impl Strategy<Value = Scenario> {
        (subject(), simulation()).prop_flat_map(|(subject, simulation)| {
            let estrogen = estrogen(subject.sex, simulation.duration_days);
            let treatments = prop::collection::vec(
                treatment(
                    simulation.duration_days,
                    subject.species,
                    subject.body_weight_kg,
                ),
                0..4,
            );
            (Just(subject), estrogen, treatments, Just(simulation)).prop_map(
                |(subject, estrogen, treatments, simulation)| Scenario {
                    subject,
                    estrogen,
                    treatments,
                    simulation,
                },
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn round_trip(s in scenario()) {
            let text = s.to_toml_string();
            let back = Scenario::from_toml_str(&text, "round_trip.toml");
            prop_assert_eq!(back, Ok(s), "text:\n{}", text);
        }

        #[test]
        fn never_panics_on_any_text(text in any::<String>()) {
            let _ = Scenario::from_toml_str(&text, "fuzz.toml");
        }

        #[test]
        fn never_panics_on_mutated_scenarios(
            s in scenario(),
            line in any::<prop::sample::Index>(),
            replacement in prop_oneof![
                Just("nan".to_string()), Just("-inf".to_string()), Just("-1".to_string()),
                Just("\"x\"".to_string()), Just("[]".to_string()), Just("{}".to_string()),
                Just("0".to_string()), Just("1e400".to_string()), Just("99999999999999999999".to_string()),
                Just("true".to_string()), Just("1979-05-27".to_string()), "[a-z_]{1,12}",
            ],
        ) {
            let text = s.to_toml_string();
            let lines: Vec<&str> = text.lines().collect();
            let i = line.index(lines.len());
            let mutated: Vec<String> = lines.iter().enumerate().map(|(j, l)| {
                match (j == i, l.split_once(" = ")) {
                    (true, Some((k, _))) => format!("{k} = {replacement}"),
                    (true, None) => replacement.clone(),
                    _ => (*l).to_string(),
                }
            }).collect();
            let mutated = mutated.join("\n");
            if let Err(e) = Scenario::from_toml_str(&mutated, "m.toml") {
                prop_assert!(!e.message.is_empty());
                if !e.key.is_empty() && e.key != "subject" {
                    prop_assert!(e.line.is_some(), "no line for {}", e);
                }
            }
        }
    }
}
