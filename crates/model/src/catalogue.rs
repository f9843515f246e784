//! The catalogue: which drugs, genotypes and estrogen profiles a scenario may name, read from
//! the model's own files.
//!
//! Each model file may carry a `[catalogue]` table next to its equations; the engine keeps it
//! as opaque text and this module reads it. A drug file declares its id, what it is, the
//! aliases a user may type, the species it can be given to and, per route, the model input a
//! dose enters, the usual regimen, the shortest dosing interval and the largest plausible
//! single dose, each with its source:
//!
//! ```toml
//! [catalogue.drug.denosumab]
//! description = "anti-RANKL antibody; rebound when stopped"
//! aliases = ["prolia"]
//! species = ["human", "mouse"]          # optional; both when omitted
//!
//! [catalogue.drug.denosumab.route.subcutaneous]
//! input = "denosumab_subcutaneous"      # optional; `<drug>_<route>` when omitted
//! usual_dose_mg = 60.0                  # or mouse_dose_mg_per_kg, for drugs with no human regimen
//! # mouse_dose_mg_per_kg = 0.1          # with usual_dose_mg: the usual mouse dose, with mouse_source
//! usual_every_days = 182.0
//! min_every_days = 7.0
//! why = "a 6-monthly antibody"
//! max_dose_multiple = 10.0              # optional; 10 when omitted
//! source = "Prolia prescribing information (Amgen 2010), section 2"
//! ```
//!
//! A treatment given as an intensity over a period (exercise) names the parameter it sets
//! instead of routes: `intensity_parameter = "exercise_intensity"`.
//!
//! Genotypes are named perturbations, each the parameter set `genotype.<id>`:
//! `[catalogue.genotype.<id>]` with `description` and `aliases`.
//!
//! Estrogen profiles are the parameter sets `estrogen.<id>`: `[catalogue.estrogen_profile.<id>]`
//! with `description`, `aliases`, the `sexes` it applies to, `default_for` (the subjects, as
//! `<species>_<sex>`, that follow it when a scenario has no `[estrogen]` table) and at most one
//! `setting`: a scenario key that sets a model parameter, either an age in years or a day of
//! the simulation; a day setting may also name a `switch` parameter, set to 1 from that day on
//! (an exact event), and 0 before.
//!
//! The catalogue is checked against the model when it is read: every input, parameter and
//! parameter set it names must exist, ids must be unique and aliases must not shadow ids.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use osteosim_engine::format::SourceFile;
use osteosim_engine::Model;
use serde::Deserialize;
use toml::Spanned;

use crate::ids::{Route, Sex, Species};

/// Mouse-to-human dose conversion by body surface area: a mouse dose in mg/kg is about 12.3
/// times the human one (FDA 2005 guidance on the maximum safe starting dose, Table 1: Km 3 for
/// the mouse, 37 for the adult human).
pub const MOUSE_PER_HUMAN_MG_PER_KG: f64 = 37.0 / 3.0;
/// The adult body weight the usual human doses are written for.
pub const REFERENCE_ADULT_KG: f64 = 70.0;
/// A single dose above this multiple of the usual one is refused unless the drug's route says
/// otherwise (`max_dose_multiple`).
pub const DEFAULT_MAX_DOSE_MULTIPLE: f64 = 10.0;

// ---------------------------------------------------------------------------
// What the catalogue holds
// ---------------------------------------------------------------------------

/// The usual single dose of a regimen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UsualDose {
    /// An adult human dose in mg (mouse doses are scaled by body surface area).
    HumanMg(f64),
    /// A mouse dose in mg/kg, for drugs with no human regimen (human doses are scaled by body
    /// surface area).
    MouseMgPerKg(f64),
}

/// One route of one drug: where a dose goes, the usual regimen and the limits a treatment is
/// checked against.
#[derive(Clone, Debug, PartialEq)]
pub struct Regimen {
    pub route: Route,
    /// The model input a dose by this route enters (amount in mg).
    pub input: String,
    pub usual_dose: UsualDose,
    /// The usual mouse dose in mg/kg of a drug that also has a human regimen (`usual_dose` a
    /// human dose): mice get it instead of the human dose scaled by body surface area.
    pub mouse_mg_per_kg: Option<f64>,
    /// Where the usual mouse dose comes from (with `mouse_mg_per_kg`).
    pub mouse_source: Option<String>,
    /// The usual dosing interval in days.
    pub usual_every_days: f64,
    /// A shorter `every_days` is an error: the drug is not given that often.
    pub min_every_days: f64,
    /// Why the minimum interval is what it is.
    pub why: String,
    /// A single dose above this multiple of the usual one is an error.
    pub max_dose_multiple: f64,
    /// Where the usual regimen comes from.
    pub source: String,
}

/// A drug, or a treatment given as an intensity (exercise).
#[derive(Clone, Debug, PartialEq)]
pub struct DrugEntry {
    pub id: String,
    pub description: String,
    pub aliases: Vec<String>,
    /// The species it can be given to.
    pub species: Vec<Species>,
    /// Its routes, in file order; empty for a treatment given as an intensity.
    pub routes: Vec<Regimen>,
    /// For a treatment given as an intensity: the parameter it sets over its period.
    pub intensity_parameter: Option<String>,
    /// For a treatment given as an intensity: the largest a scenario may ask for.
    pub max_intensity: Option<f64>,
    /// Layers whose parameters belong to this drug besides its own file (shared pools).
    pub shared_layers: Vec<String>,
    /// Parameters that carry it when it has no layer of its own (exercise).
    pub parameters: Vec<String>,
    /// The model file that declares it.
    pub file: String,
}

impl DrugEntry {
    /// True when it is given as an intensity over a period, not as doses.
    pub fn is_intensity(&self) -> bool {
        self.intensity_parameter.is_some()
    }

    /// The regimen by `route`, if the drug is given by it.
    pub fn regimen(&self, route: Route) -> Option<&Regimen> {
        self.routes.iter().find(|r| r.route == route)
    }

    /// Its routes, in file order.
    pub fn route_ids(&self) -> Vec<Route> {
        self.routes.iter().map(|r| r.route).collect()
    }
}

/// A genotype: the parameter set `genotype.<id>`.
#[derive(Clone, Debug, PartialEq)]
pub struct GenotypeEntry {
    pub id: String,
    pub description: String,
    pub aliases: Vec<String>,
    pub file: String,
}

/// What an estrogen profile's setting is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingKind {
    /// An age in years (> 0).
    Age,
    /// A day of the simulation (>= 0, within the run).
    Day,
}

/// The one scenario key an estrogen profile may take.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileSetting {
    /// The key in `[estrogen]`.
    pub key: String,
    /// The model parameter it sets.
    pub parameter: String,
    pub kind: SettingKind,
    /// Its value when the scenario omits it, per species; a species without one must give it.
    pub defaults: Vec<(Species, f64)>,
    /// For a day: the parameter that goes from 0 to 1 on that day.
    pub switch: Option<String>,
    /// Other spellings users write for the key, suggested back as the key.
    pub aliases: Vec<String>,
    pub description: String,
}

impl ProfileSetting {
    pub fn default_for(&self, species: Species) -> Option<f64> {
        self.defaults
            .iter()
            .find(|(s, _)| *s == species)
            .map(|(_, v)| *v)
    }
}

/// An estrogen profile: the parameter set `estrogen.<id>` and at most one setting.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileEntry {
    pub id: String,
    pub description: String,
    pub aliases: Vec<String>,
    /// The sexes it applies to.
    pub sexes: Vec<Sex>,
    /// Subjects that follow it when a scenario has no `[estrogen]` table.
    pub default_for: Vec<(Species, Sex)>,
    pub setting: Option<ProfileSetting>,
    pub file: String,
}

/// Every drug, genotype and estrogen profile of a model, in the order of its files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalogue {
    pub drugs: Vec<DrugEntry>,
    pub genotypes: Vec<GenotypeEntry>,
    pub profiles: Vec<ProfileEntry>,
    /// Model parameters that a scenario sets through one of its own keys, with that key: the
    /// subject's age and weight, each profile's setting and switch, and every parameter of the
    /// estrogen profiles' sets. `[subject.parameters]` may not override them.
    pub scenario_inputs: Vec<(String, String)>,
}

/// The model parameter that the binding sets to the subject's age on day 0.
pub const AGE_AT_START: &str = "age_at_start_years";
/// The model parameter that the binding sets to the subject's body weight.
pub const BODY_WEIGHT: &str = "body_weight_kg";
/// The model parameter that the binding switches on at day 0 (deaths count from then on).
pub const MORTALITY_COUNTING: &str = "mortality_counting";

/// Parameters the scenario binding sets from `[subject]` and from the run itself, with what a
/// scenario uses instead.
pub const SUBJECT_INPUTS: &[(&str, &str)] = &[
    (AGE_AT_START, "`age_years` (or `age_weeks`) of [subject]"),
    (BODY_WEIGHT, "`body_weight_kg` of [subject]"),
    (
        MORTALITY_COUNTING,
        "nothing: the run starts counting deaths on day 0",
    ),
];

/// A malformed catalogue entry: the file, the line when known, and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}: {message}", .line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct CatalogueError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

// ---------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------

/// An entry with an id and aliases, for lookups and suggestions.
pub trait Named {
    fn id(&self) -> &str;
    fn aliases(&self) -> &[String];
}

macro_rules! named {
    ($($t:ty),*) => {$(
        impl Named for $t {
            fn id(&self) -> &str {
                &self.id
            }
            fn aliases(&self) -> &[String] {
                &self.aliases
            }
        }
    )*};
}
named!(DrugEntry, GenotypeEntry, ProfileEntry);

/// Ids in alphabetical order (the order of messages and listings, independent of file order).
pub fn sorted_ids<T: Named>(entries: &[T]) -> Vec<&str> {
    let mut ids: Vec<&str> = entries.iter().map(Named::id).collect();
    ids.sort_unstable();
    ids
}

/// `(alias, id)` pairs, for suggestions.
pub fn alias_pairs<T: Named>(entries: &[T]) -> Vec<(&str, &str)> {
    entries
        .iter()
        .flat_map(|e| e.aliases().iter().map(move |a| (a.as_str(), e.id())))
        .collect()
}

fn find<'a, T: Named>(entries: &'a [T], id: &str) -> Option<&'a T> {
    entries.iter().find(|e| e.id() == id)
}

impl Catalogue {
    pub fn drug(&self, id: &str) -> Option<&DrugEntry> {
        find(&self.drugs, id)
    }

    pub fn genotype(&self, id: &str) -> Option<&GenotypeEntry> {
        find(&self.genotypes, id)
    }

    pub fn profile(&self, id: &str) -> Option<&ProfileEntry> {
        find(&self.profiles, id)
    }

    /// The profile a subject follows when its scenario has no `[estrogen]` table.
    pub fn default_profile(&self, species: Species, sex: Sex) -> Option<&ProfileEntry> {
        self.profiles
            .iter()
            .find(|p| p.default_for.contains(&(species, sex)))
    }

    /// The catalogue of the built-in model.
    pub fn builtin() -> &'static Catalogue {
        static BUILTIN: OnceLock<Catalogue> = OnceLock::new();
        BUILTIN.get_or_init(|| match Catalogue::from_model(crate::builtin::model()) {
            Ok(c) => c,
            // A test reads the built-in catalogue; reaching this is a defect of the model files.
            Err(e) => panic!("the built-in model's catalogue is malformed: {e}"),
        })
    }

    /// The catalogue of `model`, read once per model content (a trial binds thousands of
    /// subjects to one model).
    pub fn of(model: &Model) -> Result<Arc<Catalogue>, CatalogueError> {
        static CACHE: OnceLock<Mutex<HashMap<u64, Arc<Catalogue>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        if let Some(c) = cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&model.content_hash)
        {
            return Ok(Arc::clone(c));
        }
        let catalogue = Arc::new(Catalogue::from_model(model)?);
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(model.content_hash, Arc::clone(&catalogue));
        Ok(catalogue)
    }

    /// Reads and checks the `[catalogue]` tables of every file of `model`.
    pub fn from_model(model: &Model) -> Result<Catalogue, CatalogueError> {
        let mut catalogue = Catalogue::default();
        for layer in &model.layers {
            read_file(&layer.source, &mut catalogue)?;
        }
        check(model, &catalogue)?;
        catalogue.scenario_inputs = scenario_inputs(model, &catalogue);
        Ok(catalogue)
    }
}

/// The parameters a scenario sets through its own keys (see [`Catalogue::scenario_inputs`]).
fn scenario_inputs(model: &Model, catalogue: &Catalogue) -> Vec<(String, String)> {
    let mut inputs: Vec<(String, String)> = SUBJECT_INPUTS
        .iter()
        .filter(|(p, _)| model.parameter_index(p).is_some())
        .map(|(p, key)| (p.to_string(), key.to_string()))
        .collect();
    let mut add = |parameter: &str, key: String| {
        if !inputs.iter().any(|(p, _)| p == parameter) {
            inputs.push((parameter.to_string(), key));
        }
    };
    for profile in &catalogue.profiles {
        if let Some(s) = &profile.setting {
            add(&s.parameter, format!("`{}` of [estrogen]", s.key));
            if let Some(switch) = &s.switch {
                add(switch, "`profile` of [estrogen]".to_string());
            }
        }
    }
    for set in model.sets.iter().filter(|s| s.group == "estrogen") {
        for v in &set.values {
            add(
                &model.parameters[v.parameter].name,
                "`profile` of [estrogen]".to_string(),
            );
        }
    }
    inputs
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct FileRaw {
    #[serde(default)]
    catalogue: Option<CatalogueRaw>,
}

type Entries<T> = BTreeMap<Spanned<String>, T>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CatalogueRaw {
    #[serde(default)]
    drug: Entries<DrugRaw>,
    #[serde(default)]
    genotype: Entries<GenotypeRaw>,
    #[serde(default)]
    estrogen_profile: Entries<ProfileRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DrugRaw {
    description: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    species: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    route: Entries<RouteRaw>,
    #[serde(default)]
    intensity_parameter: Option<String>,
    #[serde(default)]
    max_intensity: Option<f64>,
    #[serde(default)]
    shared_layers: Vec<String>,
    #[serde(default)]
    parameters: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteRaw {
    #[serde(default)]
    input: Option<String>,
    #[serde(default)]
    usual_dose_mg: Option<f64>,
    #[serde(default)]
    mouse_dose_mg_per_kg: Option<f64>,
    usual_every_days: f64,
    min_every_days: f64,
    why: String,
    #[serde(default)]
    max_dose_multiple: Option<f64>,
    source: String,
    #[serde(default)]
    mouse_source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenotypeRaw {
    description: String,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileRaw {
    description: String,
    #[serde(default)]
    aliases: Vec<String>,
    sexes: Vec<Spanned<String>>,
    #[serde(default)]
    default_for: Vec<Spanned<String>>,
    #[serde(default)]
    setting: Option<SettingRaw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingRaw {
    key: String,
    parameter: String,
    kind: Spanned<String>,
    #[serde(default)]
    default: Entries<f64>,
    #[serde(default)]
    switch: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    description: String,
}

/// Error construction for one file: byte offsets become 1-based lines.
struct Reader<'a> {
    source: &'a SourceFile,
}

impl Reader<'_> {
    fn err(&self, at: usize, message: impl fmt::Display) -> CatalogueError {
        let end = at.min(self.source.text.len());
        CatalogueError {
            file: self.source.name.clone(),
            line: Some(self.source.text[..end].matches('\n').count() + 1),
            message: message.to_string(),
        }
    }

    /// The words of `words` parsed with `parse`; the first that fails is an error at its place.
    fn words<T>(
        &self,
        words: &[Spanned<String>],
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<T>, CatalogueError> {
        words
            .iter()
            .map(|w| {
                parse(w.get_ref()).ok_or_else(|| {
                    self.err(
                        w.span().start,
                        format!("unknown {what} \"{}\"", w.get_ref()),
                    )
                })
            })
            .collect()
    }
}

/// Entries in the order they appear in the file.
fn in_file_order<T>(entries: Entries<T>) -> Vec<(Spanned<String>, T)> {
    let mut v: Vec<_> = entries.into_iter().collect();
    v.sort_by_key(|(k, _)| k.span().start);
    v
}

fn read_file(source: &SourceFile, catalogue: &mut Catalogue) -> Result<(), CatalogueError> {
    // Only files that mention a catalogue are read a second time.
    if !source.text.contains("[catalogue") {
        return Ok(());
    }
    let reader = Reader { source };
    let raw: FileRaw = toml::from_str(&source.text)
        .map_err(|e| reader.err(e.span().map_or(0, |s| s.start), e.message().trim_end()))?;
    let Some(raw) = raw.catalogue else {
        return Ok(());
    };
    for (id, d) in in_file_order(raw.drug) {
        let at = id.span().start;
        let id = id.into_inner();
        let species = match &d.species {
            Some(words) => reader.words(words, "species", Species::from_id)?,
            None => vec![Species::Human, Species::Mouse],
        };
        let mut routes = Vec::new();
        for (route_id, r) in in_file_order(d.route) {
            let at = route_id.span().start;
            let route = Route::from_id(route_id.get_ref()).ok_or_else(|| {
                reader.err(at, format!("unknown route \"{}\"", route_id.get_ref()))
            })?;
            let bad = |m: &str| reader.err(at, format!("drug `{id}` by the {route} route: {m}"));
            let (usual_dose, mouse_mg_per_kg) = match (r.usual_dose_mg, r.mouse_dose_mg_per_kg) {
                (Some(mg), None) => (UsualDose::HumanMg(mg), None),
                (None, Some(x)) => (UsualDose::MouseMgPerKg(x), None),
                (Some(mg), Some(x)) => (UsualDose::HumanMg(mg), Some(x)),
                (None, None) => {
                    return Err(bad(
                        "give usual_dose_mg, mouse_dose_mg_per_kg, or both (a human and a mouse regimen)",
                    ))
                }
            };
            match (&mouse_mg_per_kg, &r.mouse_source) {
                (Some(x), _) if !(x.is_finite() && *x > 0.0) => {
                    return Err(bad("mouse_dose_mg_per_kg must be finite and positive"))
                }
                (Some(_), None) => {
                    return Err(bad(
                        "a mouse dose next to the human one needs mouse_source (where the mouse regimen comes from)",
                    ))
                }
                (None, Some(_)) => {
                    return Err(bad(
                        "mouse_source goes with both usual_dose_mg and mouse_dose_mg_per_kg",
                    ))
                }
                _ => {}
            }
            let max_dose_multiple = r.max_dose_multiple.unwrap_or(DEFAULT_MAX_DOSE_MULTIPLE);
            let (UsualDose::HumanMg(dose) | UsualDose::MouseMgPerKg(dose)) = usual_dose;
            let positive = [
                dose,
                r.usual_every_days,
                r.min_every_days,
                max_dose_multiple,
            ];
            if !positive.iter().all(|x| x.is_finite() && *x > 0.0) {
                return Err(bad("the usual dose, the intervals and max_dose_multiple must be finite and positive"));
            }
            if r.min_every_days > r.usual_every_days {
                return Err(bad("min_every_days is longer than usual_every_days"));
            }
            routes.push(Regimen {
                route,
                input: r.input.unwrap_or_else(|| format!("{id}_{route}")),
                usual_dose,
                mouse_mg_per_kg,
                mouse_source: r.mouse_source,
                usual_every_days: r.usual_every_days,
                min_every_days: r.min_every_days,
                why: r.why,
                max_dose_multiple,
                source: r.source,
            });
        }
        if routes.is_empty() == d.intensity_parameter.is_none() {
            return Err(reader.err(
                at,
                format!("drug `{id}`: give either routes ([catalogue.drug.{id}.route.ROUTE]) or intensity_parameter, not both or neither"),
            ));
        }
        catalogue.drugs.push(DrugEntry {
            id,
            description: d.description,
            aliases: d.aliases,
            species,
            routes,
            intensity_parameter: d.intensity_parameter,
            max_intensity: d.max_intensity,
            shared_layers: d.shared_layers,
            parameters: d.parameters,
            file: source.name.clone(),
        });
    }
    for (id, g) in in_file_order(raw.genotype) {
        catalogue.genotypes.push(GenotypeEntry {
            id: id.into_inner(),
            description: g.description,
            aliases: g.aliases,
            file: source.name.clone(),
        });
    }
    for (id, p) in in_file_order(raw.estrogen_profile) {
        let sexes = reader.words(&p.sexes, "sex", Sex::from_id)?;
        let default_for = reader.words(&p.default_for, "subject (species_sex)", |w| {
            let (species, sex) = w.split_once('_')?;
            Some((Species::from_id(species)?, Sex::from_id(sex)?))
        })?;
        let setting = match p.setting {
            None => None,
            Some(s) => {
                let kind = match s.kind.get_ref().as_str() {
                    "age" => SettingKind::Age,
                    "day" => SettingKind::Day,
                    other => {
                        return Err(reader.err(
                            s.kind.span().start,
                            format!("setting kind must be \"age\" or \"day\", found \"{other}\""),
                        ))
                    }
                };
                let mut defaults = Vec::new();
                for (species, value) in in_file_order(s.default) {
                    let sp = Species::from_id(species.get_ref()).ok_or_else(|| {
                        reader.err(
                            species.span().start,
                            format!("unknown species \"{}\"", species.get_ref()),
                        )
                    })?;
                    defaults.push((sp, value));
                }
                Some(ProfileSetting {
                    key: s.key,
                    parameter: s.parameter,
                    kind,
                    defaults,
                    switch: s.switch,
                    aliases: s.aliases,
                    description: s.description,
                })
            }
        };
        catalogue.profiles.push(ProfileEntry {
            id: id.into_inner(),
            description: p.description,
            aliases: p.aliases,
            sexes,
            default_for,
            setting,
            file: source.name.clone(),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Checks against the model
// ---------------------------------------------------------------------------

fn check(model: &Model, c: &Catalogue) -> Result<(), CatalogueError> {
    let fail = |file: &str, message: String| CatalogueError {
        file: file.to_string(),
        line: None,
        message,
    };
    let parameter = |file: &str, what: &str, name: &str| {
        if model.parameter_index(name).is_some() {
            Ok(())
        } else {
            Err(fail(
                file,
                format!("{what} names parameter `{name}`, which the model does not declare"),
            ))
        }
    };
    let set = |file: &str, what: &str, group: &str, id: &str| {
        if model.set(group, id).is_some() {
            Ok(())
        } else {
            Err(fail(file, format!("{what} needs the parameter set [sets.{group}.{id}], which the model does not declare")))
        }
    };
    unique(&c.drugs, "drug")?;
    unique(&c.genotypes, "genotype")?;
    unique(&c.profiles, "estrogen profile")?;
    for d in &c.drugs {
        let what = format!("drug `{}`", d.id);
        for r in &d.routes {
            if model.input_index(&r.input).is_none() {
                return Err(fail(&d.file, format!("{what} by the {} route enters input `{}`, which the model does not declare", r.route, r.input)));
            }
        }
        if let Some(p) = &d.intensity_parameter {
            parameter(&d.file, &what, p)?;
        }
        for p in &d.parameters {
            parameter(&d.file, &what, p)?;
        }
        for l in &d.shared_layers {
            if !model.layers.iter().any(|layer| &layer.name == l) {
                return Err(fail(
                    &d.file,
                    format!("{what} shares layer `{l}`, which the model does not have"),
                ));
            }
        }
    }
    for g in &c.genotypes {
        set(&g.file, &format!("genotype `{}`", g.id), "genotype", &g.id)?;
    }
    for p in &c.profiles {
        let what = format!("estrogen profile `{}`", p.id);
        set(&p.file, &what, "estrogen", &p.id)?;
        if let Some(s) = &p.setting {
            parameter(&p.file, &what, &s.parameter)?;
            if let Some(sw) = &s.switch {
                parameter(&p.file, &what, sw)?;
            }
        }
        for (species, sex) in &p.default_for {
            if !p.sexes.contains(sex) {
                return Err(fail(
                    &p.file,
                    format!(
                        "{what} is the default for {species} {sex}s but does not apply to them"
                    ),
                ));
            }
            if let Some(other) = c
                .profiles
                .iter()
                .find(|o| o.id != p.id && o.default_for.contains(&(*species, *sex)))
            {
                return Err(fail(
                    &p.file,
                    format!(
                        "{what} and `{}` are both the default for {species} {sex}s",
                        other.id
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn unique<T: Named>(entries: &[T], what: &str) -> Result<(), CatalogueError> {
    for (i, e) in entries.iter().enumerate() {
        let clash = entries[..i].iter().find(|o| {
            o.id() == e.id()
                || o.aliases().iter().any(|a| a == e.id())
                || e.aliases().iter().any(|a| a == o.id())
        });
        if let Some(o) = clash {
            return Err(CatalogueError {
                file: String::new(),
                line: None,
                message: format!(
                    "{what} `{}` clashes with `{}` (an id or alias used twice)",
                    e.id(),
                    o.id()
                ),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Regimens in words and numbers
// ---------------------------------------------------------------------------

/// A number with at most 3 significant decimals, without trailing zeros.
pub(crate) fn short(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

impl Regimen {
    /// The usual single dose in mg/kg for `species`.
    pub fn usual_mg_per_kg(&self, species: Species) -> f64 {
        if let (Species::Mouse, Some(x)) = (species, self.mouse_mg_per_kg) {
            return x;
        }
        let human = match self.usual_dose {
            UsualDose::HumanMg(mg) => mg / REFERENCE_ADULT_KG,
            UsualDose::MouseMgPerKg(x) => x / MOUSE_PER_HUMAN_MG_PER_KG,
        };
        match species {
            Species::Human => human,
            Species::Mouse => human * MOUSE_PER_HUMAN_MG_PER_KG,
        }
    }

    /// The usual single dose in mg for a subject of `species` weighing `body_weight_kg` (an
    /// adult human's is the usual dose itself, whatever the weight).
    pub fn usual_mg(&self, species: Species, body_weight_kg: f64) -> f64 {
        match (species, self.usual_dose) {
            (Species::Human, UsualDose::HumanMg(mg)) => mg,
            _ => self.usual_mg_per_kg(species) * body_weight_kg,
        }
    }

    /// The usual regimen in words, e.g. "210 mg subcutaneous every 30.438 days", with the usual
    /// mouse dose when the route names one: "1 mg oral every day (mouse 0.056 mg/kg)".
    pub fn describe(&self) -> String {
        match self.mouse_mg_per_kg {
            Some(x) => format!(
                "{} (mouse {} mg/kg)",
                self.describe_for(Species::Human),
                short(x)
            ),
            None => self.describe_for(Species::Human),
        }
    }

    /// The usual regimen of `species` in words: the mouse dose for a mouse when the route names
    /// one, otherwise the regimen as the catalogue writes it.
    pub fn describe_for(&self, species: Species) -> String {
        let dose = match (species, self.mouse_mg_per_kg, self.usual_dose) {
            (Species::Mouse, Some(x), _) | (_, _, UsualDose::MouseMgPerKg(x)) => {
                format!("mouse {} mg/kg", short(x))
            }
            (_, _, UsualDose::HumanMg(mg)) => format!("{} mg", short(mg)),
        };
        let every = if self.usual_every_days == 1.0 {
            "every day".to_string()
        } else {
            format!("every {} days", short(self.usual_every_days))
        };
        format!("{dose} {} {every}", self.route)
    }

    /// The usual dose for this species, in words.
    pub fn usual_for(&self, species: Species, body_weight_kg: f64) -> String {
        match (species, self.usual_dose) {
            (Species::Human, UsualDose::HumanMg(mg)) => format!("{} mg", short(mg)),
            (Species::Mouse, UsualDose::MouseMgPerKg(x)) => format!("{} mg/kg", short(x)),
            (Species::Mouse, _) if self.mouse_mg_per_kg.is_some() => {
                format!("{} mg/kg", short(self.usual_mg_per_kg(species)))
            }
            _ => format!(
                "{} mg/kg ({} mg at {} kg), scaled by body surface area from {}",
                short(self.usual_mg_per_kg(species)),
                short(self.usual_mg(species, body_weight_kg)),
                short(body_weight_kg),
                self.describe()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_reads_and_checks() {
        let c = Catalogue::builtin();
        assert!(!c.drugs.is_empty() && !c.genotypes.is_empty() && !c.profiles.is_empty());
        // Every subject has exactly one default profile that applies to its sex.
        for species in [Species::Human, Species::Mouse] {
            for sex in [Sex::Female, Sex::Male] {
                let p = c.default_profile(species, sex).expect("a default profile");
                assert!(p.sexes.contains(&sex));
            }
        }
    }

    #[test]
    fn regimen_scaling_by_body_surface_area() {
        let r = Regimen {
            route: Route::Subcutaneous,
            input: "x_subcutaneous".into(),
            usual_dose: UsualDose::HumanMg(50.0),
            mouse_mg_per_kg: None,
            mouse_source: None,
            usual_every_days: 7.0,
            min_every_days: 3.0,
            why: String::new(),
            max_dose_multiple: 10.0,
            source: String::new(),
        };
        assert!((r.usual_mg_per_kg(Species::Human) - 50.0 / 70.0).abs() < 1e-12);
        assert!((r.usual_mg_per_kg(Species::Mouse) - 50.0 / 70.0 * 37.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.usual_mg(Species::Human, 90.0), 50.0);
        assert_eq!(r.describe(), "50 mg subcutaneous every 7 days");
    }

    #[test]
    fn a_mouse_regimen_next_to_the_human_one_replaces_the_scaled_dose() {
        let r = Regimen {
            route: Route::Oral,
            input: "x_oral".into(),
            usual_dose: UsualDose::HumanMg(1.0),
            mouse_mg_per_kg: Some(0.05),
            mouse_source: Some("a mouse study".into()),
            usual_every_days: 1.0,
            min_every_days: 0.5,
            why: String::new(),
            max_dose_multiple: 10.0,
            source: String::new(),
        };
        assert_eq!(r.usual_mg(Species::Human, 90.0), 1.0);
        assert!((r.usual_mg_per_kg(Species::Human) - 1.0 / 70.0).abs() < 1e-12);
        assert!((r.usual_mg_per_kg(Species::Mouse) - 0.05).abs() < 1e-15);
        assert!((r.usual_mg(Species::Mouse, 0.02) - 0.001).abs() < 1e-15);
        assert_eq!(r.describe(), "1 mg oral every day (mouse 0.05 mg/kg)");
        assert_eq!(r.describe_for(Species::Human), "1 mg oral every day");
        assert_eq!(
            r.describe_for(Species::Mouse),
            "mouse 0.05 mg/kg oral every day"
        );
        assert_eq!(r.usual_for(Species::Mouse, 0.02), "0.05 mg/kg");
    }

    fn with_extra(file: &str, text: &str) -> Result<Catalogue, CatalogueError> {
        let model = crate::builtin::model();
        let mut files: Vec<SourceFile> = model.layers.iter().map(|l| l.source.clone()).collect();
        files.push(SourceFile::new(file, text));
        let mut manifest = String::from(
            "[model]\nname = \"t\"\ndescription = \"t\"\ntime_unit = \"day\"\nlayers = [",
        );
        for f in &files {
            manifest.push_str(&format!("\"{}\", ", f.name));
        }
        manifest.push_str("]\n");
        let m = Model::from_sources(SourceFile::new("model.toml", manifest), files).expect("model");
        Catalogue::from_model(&m)
    }

    #[test]
    fn a_mouse_dose_next_to_the_human_one_needs_its_source() {
        let layer = "[layer]\nname = \"extra\"\ndescription = \"x\"\n";
        let route = "[catalogue.drug.estradiol_copy]\ndescription = \"x\"\n[catalogue.drug.estradiol_copy.route.oral]\ninput = \"estradiol_oral\"\nusual_dose_mg = 1.0\nmouse_dose_mg_per_kg = 0.05\nusual_every_days = 1.0\nmin_every_days = 1.0\nwhy = \"w\"\nsource = \"s\"\n";
        let e = with_extra("extra.toml", &format!("{layer}{route}")).unwrap_err();
        assert!(e.message.contains("needs mouse_source"), "{e}");
        let c = with_extra(
            "extra.toml",
            &format!("{layer}{route}mouse_source = \"m\"\n"),
        )
        .expect("reads");
        let r = c.drug("estradiol_copy").expect("listed").routes[0].clone();
        assert_eq!(r.mouse_mg_per_kg, Some(0.05));
        assert_eq!(r.usual_dose, UsualDose::HumanMg(1.0));
    }

    #[test]
    fn malformed_entries_name_their_file_and_problem() {
        let layer = "[layer]\nname = \"extra\"\ndescription = \"x\"\n";
        let e = with_extra("extra.toml", &format!("{layer}[catalogue.drug.newdrug]\ndescription = \"x\"\n[catalogue.drug.newdrug.route.subcutaneous]\nusual_dose_mg = 1.0\nusual_every_days = 1.0\nmin_every_days = 1.0\nwhy = \"w\"\nsource = \"s\"\n")).unwrap_err();
        assert_eq!(e.file, "extra.toml");
        assert!(e.message.contains("newdrug_subcutaneous"), "{e}");
        let e = with_extra(
            "extra.toml",
            &format!("{layer}[catalogue.genotype.no_such_line]\ndescription = \"x\"\n"),
        )
        .unwrap_err();
        assert!(e.message.contains("[sets.genotype.no_such_line]"), "{e}");
        let e = with_extra(
            "extra.toml",
            &format!("{layer}[catalogue.genotype.x]\ndescription = \"x\"\ncolour = 1\n"),
        )
        .unwrap_err();
        assert!(e.message.contains("colour") && e.line == Some(6), "{e}");
        let e = with_extra("extra.toml", &format!("{layer}[catalogue.drug.prolia]\ndescription = \"x\"\nintensity_parameter = \"exercise_intensity\"\n")).unwrap_err();
        assert!(e.message.contains("clashes"), "{e}");
    }
}
