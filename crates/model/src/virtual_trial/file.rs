//! The virtual trial file (TOML), a public contract:
//!
//! ```toml
//! [population]
//! size = 1000
//! seed = 42                        # same seed, same results, whatever the thread count
//! species = "human"
//! sex = "female"
//! age_years = { mean = 65.0, sd = 5.0, min = 55.0, max = 80.0 }   # truncated normal
//! menopause_age_years = { mean = 51.0, sd = 2.0 }                 # women only
//! [population.variability]         # between-subject spread: lognormal CV per parameter
//! osteoclast_apoptosis_rate = 0.2
//! [population.inclusion]           # screening at day 0 on time-series columns
//! t_score_femoral_neck_max = -2.5  # <column>_max and <column>_min
//! [population.baseline]            # fractions of the admitted subjects on day 0
//! low = { column = "t_score_femoral_neck", max = -1.0 }   # min and/or max, inclusive
//!
//! [[arm]]
//! name = "placebo"                 # the first arm is the reference
//! [[arm]]
//! name = "denosumab"
//! [[arm.treatment]]                # the keys of a scenario's [[treatment]]
//! drug = "denosumab"
//! dose_mg = 60.0
//! every_days = 182.0
//!
//! [simulation]                     # as in a scenario
//! duration_days = 1095.0
//! output_every_days = 30.0
//!
//! [outputs]                        # optional: what subjects.parquet and arms.csv keep
//! columns = ["bmd_femoral_neck_g_cm2", "ctx_ng_ml"]   # default: every time-series column
//! every_days = 360.0               # a whole multiple of output_every_days; default: the same
//! ```
//!
//! Errors are [`ScenarioError`]s (`FILE:LINE: `KEY`: MESSAGE`, with a did-you-mean), so a
//! trial file reads and fails like a scenario file.

use std::collections::BTreeMap;
use std::path::Path;

use crate::catalogue::Catalogue;
use crate::scenario::{
    embedded_simulation, embedded_treatments, ScenarioError, Sex, SimulationSettings, Species,
    Subject, Treatment,
};
use crate::toml_section::{read_document, suggest, type_name, Res, Section};
use toml::de::DeValue;

/// "; did you mean "x"?" when a candidate is close to `input`, else nothing.
fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    suggest(input, candidates, &[])
        .map(|s| format!("; did you mean \"{s}\"?"))
        .unwrap_or_default()
}

/// Longest arm name: it is a column value of every output and names the arm in reports.
pub const MAX_ARM_NAME: usize = 64;

/// Largest population a trial file may ask for.
pub const MAX_POPULATION: u64 = 100_000_000;

/// A normal distribution truncated to `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub max: f64,
}

/// Which side of an inclusion bound a subject must be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundKind {
    /// `<column>_min`: value >= bound.
    Min,
    /// `<column>_max`: value <= bound.
    Max,
}

/// One inclusion criterion on a time-series column at day 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub column: String,
    pub kind: BoundKind,
    pub value: f64,
}

impl Bound {
    pub fn admits(&self, x: f64) -> bool {
        match self.kind {
            BoundKind::Min => x >= self.value,
            BoundKind::Max => x <= self.value,
        }
    }

    pub fn key(&self) -> String {
        match self.kind {
            BoundKind::Min => format!("{}_min", self.column),
            BoundKind::Max => format!("{}_max", self.column),
        }
    }
}

/// One entry of `[population.baseline]`: the fraction of the admitted subjects whose value
/// of `column` on day 0 lies within `[min, max]` (either bound may be absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Fraction {
    pub name: String,
    pub column: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Fraction {
    pub fn contains(&self, x: f64) -> bool {
        self.min.is_none_or(|m| x >= m) && self.max.is_none_or(|m| x <= m)
    }
}

/// `[population]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    pub size: u64,
    pub seed: u64,
    pub species: Species,
    pub sex: Sex,
    pub age_years: Spread,
    /// Women only; `None` = every woman at the scenario default (51).
    pub menopause_age_years: Option<Spread>,
    /// Parameter name -> coefficient of variation, in name order.
    pub variability: BTreeMap<String, f64>,
    pub inclusion: Vec<Bound>,
    /// `[population.baseline]`, in name order.
    pub baseline: Vec<Fraction>,
}

/// One `[[arm]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    pub name: String,
    pub treatments: Vec<Treatment>,
}

/// A whole trial file.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialFile {
    pub population: Population,
    pub arms: Vec<Arm>,
    pub simulation: SimulationSettings,
    pub outputs: Stored,
}

/// `[outputs]`: which time-series columns and rows `subjects.parquet` and `arms.csv` keep.
/// Subjects are simulated, and their events, BMD changes and biomarkers computed, on the
/// whole `[simulation]` grid whatever is stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stored {
    /// The columns kept besides `day`, as written; `None` keeps every column.
    pub columns: Option<Vec<String>>,
    /// Keep every `stride`-th output time from day 0 and the last day (1 keeps all).
    pub stride: usize,
}

impl Stored {
    /// Whether the `k`-th of `n` output times is kept.
    pub fn keeps_row(&self, k: usize, n: usize) -> bool {
        k % self.stride.max(1) == 0 || k + 1 == n
    }
}

/// What the model offers to check names against.
pub struct Names<'a> {
    pub parameters: &'a [&'a str],
    pub columns: &'a [&'a str],
    /// The drugs (and their regimens) arms may give.
    pub catalogue: &'a Catalogue,
}

/// An id among `all` (with their names given by `name`).
fn id<T: Copy>(
    t: &Section<'_, '_, '_>,
    key: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Res<T> {
    let ids: Vec<&str> = all.iter().map(|&v| name(v)).collect();
    let Some((text, value)) = t.string(key)? else {
        return Err(t.missing(
            key,
            format!("missing required key; expected one of {}", ids.join(", ")),
        ));
    };
    match all.iter().find(|&&v| name(v) == text) {
        Some(&v) => Ok(v),
        None => Err(t.value_err(
            key,
            value,
            format!(
                "unknown {key} \"{text}\"; expected one of {}{}",
                ids.join(", "),
                did_you_mean(&text, ids.iter().copied())
            ),
        )),
    }
}

fn spread(t: &Section<'_, '_, '_>, key: &str, min: f64, max: f64) -> Res<Option<Spread>> {
    let Some(s) = t.sub_table(key)? else {
        return Ok(None);
    };
    s.check_keys(&["mean", "sd", "min", "max"])?;
    let mean = s
        .number("mean")?
        .ok_or_else(|| s.missing("mean", "missing required key (a number)"))?;
    let sd = s.number("sd")?.unwrap_or(0.0);
    if sd < 0.0 {
        return Err(s.err("sd", "must not be negative"));
    }
    let lo = s.number("min")?.unwrap_or(min);
    let hi = s.number("max")?.unwrap_or(max);
    if lo < min {
        return Err(s.err("min", format!("must be at least {min}")));
    }
    if hi < lo {
        return Err(s.err("max", format!("must not be below min ({lo})")));
    }
    if sd == 0.0 && !(lo..=hi).contains(&mean) {
        return Err(s.err(
            "mean",
            format!("with sd = 0 the mean must lie within [{lo}, {hi}]"),
        ));
    }
    Ok(Some(Spread {
        mean,
        sd,
        min: lo,
        max: hi,
    }))
}

impl TrialFile {
    /// Reads and checks a trial file; parameter and column names are checked against
    /// `names`. `file` serves error messages only.
    pub fn from_toml_str(
        text: &str,
        file: &str,
        names: &Names<'_>,
    ) -> Result<TrialFile, ScenarioError> {
        read_document(text, file, |root| {
            root.check_keys(&["population", "arm", "simulation", "outputs"])?;
            let population = match root.sub_table("population")? {
                Some(p) => parse_population(&p, names)?,
                None => {
                    return Err(root.missing("population", "missing required table [population]"))
                }
            };
            let simulation = embedded_simulation(root)?;
            let arms = parse_arms(root, &population, &simulation, names.catalogue)?;
            let outputs = match root.sub_table("outputs")? {
                Some(o) => parse_outputs(&o, &simulation, names)?,
                None => Stored {
                    columns: None,
                    stride: 1,
                },
            };
            Ok(TrialFile {
                population,
                arms,
                simulation,
                outputs,
            })
        })
    }

    /// Reads a trial file from disk; an unreadable file is an error naming it.
    pub fn from_path(path: &Path, names: &Names<'_>) -> Result<(TrialFile, String), ScenarioError> {
        let file = path.display().to_string();
        let text = osteosim_engine::format::read_input_file(path).map_err(|e| ScenarioError {
            file: file.clone(),
            line: None,
            key: String::new(),
            message: format!("cannot read trial file: {e}"),
        })?;
        let trial = TrialFile::from_toml_str(&text, &file, names)?;
        Ok((trial, text))
    }
}

fn parse_population(p: &Section<'_, '_, '_>, names: &Names<'_>) -> Res<Population> {
    p.check_keys(&[
        "size",
        "seed",
        "species",
        "sex",
        "age_years",
        "menopause_age_years",
        "variability",
        "inclusion",
        "baseline",
    ])?;
    let size = p
        .integer("size")?
        .ok_or_else(|| p.missing("size", "missing required key: the number of subjects"))?;
    if size == 0 || size > MAX_POPULATION {
        return Err(p.err("size", format!("must be between 1 and {MAX_POPULATION}")));
    }
    let seed = p.integer("seed")?.ok_or_else(|| {
        p.missing(
            "seed",
            format!(
                "missing required key: a whole number from 0 to {}",
                u64::MAX
            ),
        )
    })?;
    let species = id(p, "species", Species::ALL, Species::as_str)?;
    let sex = id(p, "sex", Sex::ALL, Sex::as_str)?;
    let age_years = spread(p, "age_years", 0.0, 120.0)?
        .ok_or_else(|| p.missing("age_years", "missing required key: { mean, sd, min, max }"))?;
    let menopause_age_years = spread(p, "menopause_age_years", 0.0, 120.0)?;
    if menopause_age_years.is_some() && !(species == Species::Human && sex == Sex::Female) {
        return Err(p.err(
            "menopause_age_years",
            "applies only to women (species \"human\", sex \"female\")",
        ));
    }
    let mut variability = BTreeMap::new();
    if let Some(v) = p.sub_table("variability")? {
        for (name, _) in v.keys() {
            if !names.parameters.contains(&name) {
                return Err(v.err(
                    name,
                    format!(
                        "unknown model parameter \"{name}\"{}",
                        did_you_mean(name, names.parameters.iter().copied())
                    ),
                ));
            }
            let cv = v.number(name)?.unwrap_or(0.0);
            if cv < 0.0 {
                return Err(v.err(name, "a coefficient of variation must not be negative"));
            }
            variability.insert(name.to_string(), cv);
        }
    }
    let mut inclusion = Vec::new();
    if let Some(t) = p.sub_table("inclusion")? {
        let keys: Vec<String> = names
            .columns
            .iter()
            .filter(|c| **c != "day")
            .flat_map(|c| [format!("{c}_max"), format!("{c}_min")])
            .collect();
        for (name, _) in t.keys() {
            let parsed = name
                .strip_suffix("_max")
                .map(|c| (c, BoundKind::Max))
                .or_else(|| name.strip_suffix("_min").map(|c| (c, BoundKind::Min)))
                .filter(|(c, _)| *c != "day" && names.columns.contains(c));
            let Some((column, kind)) = parsed else {
                return Err(t.err(
                    name,
                    format!(
                        "unknown inclusion key \"{name}\"; expected <column>_max or <column>_min with a time-series column{}",
                        did_you_mean(name, keys.iter().map(String::as_str))
                    ),
                ));
            };
            let value = t.number(name)?.unwrap_or(f64::NAN);
            inclusion.push(Bound {
                column: column.to_string(),
                kind,
                value,
            });
        }
    }
    let mut baseline = Vec::new();
    if let Some(t) = p.sub_table("baseline")? {
        let mut keys = t.keys();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (name, _) in keys {
            let f = t.sub_table(name)?.ok_or_else(|| {
                t.err(
                    name,
                    "expected a table { column = \"...\", min = ..., max = ... }",
                )
            })?;
            f.check_keys(&["column", "min", "max"])?;
            let (column, value) = f
                .string("column")?
                .ok_or_else(|| f.missing("column", "missing required key: a time-series column"))?;
            if column == "day" || !names.columns.contains(&column.as_str()) {
                return Err(f.value_err(
                    "column",
                    value,
                    format!(
                        "unknown time-series column \"{column}\"{}",
                        did_you_mean(
                            &column,
                            names.columns.iter().copied().filter(|c| *c != "day")
                        )
                    ),
                ));
            }
            let (min, max) = (f.number("min")?, f.number("max")?);
            if min.is_none() && max.is_none() {
                return Err(f.missing("max", "give `min`, `max` or both"));
            }
            if let (Some(lo), Some(hi)) = (min, max) {
                if lo > hi {
                    return Err(f.err("max", "must not be below `min`"));
                }
            }
            baseline.push(Fraction {
                name: name.to_string(),
                column,
                min,
                max,
            });
        }
    }
    Ok(Population {
        size,
        seed,
        species,
        sex,
        age_years,
        menopause_age_years,
        variability,
        inclusion,
        baseline,
    })
}

fn parse_outputs(
    o: &Section<'_, '_, '_>,
    simulation: &SimulationSettings,
    names: &Names<'_>,
) -> Res<Stored> {
    o.check_keys(&["columns", "every_days"])?;
    let mut columns = None;
    if let Some(value) = o.get("columns") {
        let DeValue::Array(items) = value.get_ref() else {
            return Err(o.value_err(
                "columns",
                value,
                format!(
                    "expected an array of time-series column names, found {}",
                    type_name(value.get_ref())
                ),
            ));
        };
        let mut kept: Vec<String> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let key = format!("{}[{i}]", o.key("columns"));
            let DeValue::String(name) = item.get_ref() else {
                return Err(o.ctx().err(
                    Some(&item.span()),
                    &key,
                    format!(
                        "expected a column name, found {}",
                        type_name(item.get_ref())
                    ),
                ));
            };
            let name = name.as_ref();
            let known = names.columns.iter().copied().filter(|c| *c != "day");
            if name == "day" {
                return Err(o.ctx().err(
                    Some(&item.span()),
                    &key,
                    "`day` is always kept; list the other columns",
                ));
            }
            if !known.clone().any(|c| c == name) {
                return Err(o.ctx().err(
                    Some(&item.span()),
                    &key,
                    format!(
                        "unknown time-series column \"{name}\"{}",
                        did_you_mean(name, known)
                    ),
                ));
            }
            if kept.iter().any(|k| k == name) {
                return Err(o.ctx().err(
                    Some(&item.span()),
                    &key,
                    format!("duplicate column \"{name}\""),
                ));
            }
            kept.push(name.to_string());
        }
        columns = Some(kept);
    }
    let stride = match o.positive("every_days")? {
        None => 1,
        Some(every) => {
            let ratio = every / simulation.output_every_days;
            let whole = ratio.round();
            if whole < 1.0 || (ratio - whole).abs() > 1e-9 * whole {
                return Err(o.err(
                    "every_days",
                    format!(
                        "must be a whole multiple of [simulation] output_every_days ({})",
                        simulation.output_every_days
                    ),
                ));
            }
            whole as usize
        }
    };
    Ok(Stored { columns, stride })
}

fn parse_arms(
    root: &Section<'_, '_, '_>,
    population: &Population,
    simulation: &SimulationSettings,
    catalogue: &Catalogue,
) -> Res<Vec<Arm>> {
    // Regimens are checked against a typical subject of the population.
    let subject = Subject {
        species: population.species,
        sex: population.sex,
        age_years: population.age_years.mean,
        body_weight_kg: Subject::default_body_weight_kg(population.species, population.sex),
        genotype: Vec::new(),
        parameters: Default::default(),
    };
    let Some(value) = root.get("arm") else {
        return Err(root.missing("arm", "missing [[arm]]: a trial needs at least one arm"));
    };
    let DeValue::Array(items) = value.get_ref() else {
        return Err(root.value_err(
            "arm",
            value,
            format!(
                "expected an array of tables ([[arm]]), found {}",
                type_name(value.get_ref())
            ),
        ));
    };
    if items.is_empty() {
        return Err(root.value_err("arm", value, "a trial needs at least one arm"));
    }
    let mut arms: Vec<Arm> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("arm[{i}]");
        let DeValue::Table(table) = item.get_ref() else {
            return Err(root.ctx().err(
                Some(&item.span()),
                &path,
                format!("expected a table, found {}", type_name(item.get_ref())),
            ));
        };
        let t = Section::new(root.ctx(), table, path, item.span());
        t.check_keys(&["name", "treatment"])?;
        let Some((name, name_value)) = t.string("name")? else {
            return Err(t.missing("name", "missing required key: the arm's name"));
        };
        let valid = !name.is_empty()
            && name.len() <= MAX_ARM_NAME
            && name.chars().any(|c| c != '.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+'));
        if !valid {
            return Err(t.value_err(
                "name",
                name_value,
                format!(
                    "expected a name of 1 to {MAX_ARM_NAME} letters, digits, _ - . + (not only dots)"
                ),
            ));
        }
        if arms.iter().any(|a| a.name == name) {
            return Err(t.value_err("name", name_value, format!("duplicate arm name \"{name}\"")));
        }
        let treatments = embedded_treatments(root, "arm", i, &subject, simulation, catalogue)?;
        arms.push(Arm { name, treatments });
    }
    Ok(arms)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMETERS: &[&str] = &["osteoclast_apoptosis_rate", "opg_production"];
    const COLUMNS: &[&str] = &["day", "t_score_femoral_neck", "bmd_femoral_neck_g_cm2"];

    fn parse(text: &str) -> Result<TrialFile, ScenarioError> {
        let names = Names {
            parameters: PARAMETERS,
            columns: COLUMNS,
            catalogue: Catalogue::builtin(),
        };
        TrialFile::from_toml_str(text, "t.toml", &names)
    }

    const GOOD: &str = r#"[population]
size = 10
seed = 42
species = "human"
sex = "female"
age_years = { mean = 65.0, sd = 5.0, min = 55.0, max = 80.0 }
menopause_age_years = { mean = 51.0, sd = 2.0 }
[population.variability]
osteoclast_apoptosis_rate = 0.2
[population.inclusion]
t_score_femoral_neck_max = -2.5

[[arm]]
name = "placebo"
[[arm]]
name = "denosumab"
[[arm.treatment]]
drug = "denosumab"
dose_mg = 60.0
route = "subcutaneous"
start_day = 0.0
every_days = 182.0

[simulation]
duration_days = 1095.0
output_every_days = 30.0
"#;

    #[test]
    fn the_contract_example_parses() {
        let t = parse(GOOD).unwrap();
        assert_eq!(t.population.size, 10);
        assert_eq!(t.population.seed, 42);
        assert_eq!(t.population.age_years.max, 80.0);
        assert_eq!(t.population.menopause_age_years.unwrap().sd, 2.0);
        assert_eq!(t.population.variability["osteoclast_apoptosis_rate"], 0.2);
        assert_eq!(t.population.inclusion[0].key(), "t_score_femoral_neck_max");
        assert!(t.population.inclusion[0].admits(-2.6));
        assert!(!t.population.inclusion[0].admits(-2.4));
        assert_eq!(t.arms.len(), 2);
        assert!(t.arms[0].treatments.is_empty());
        assert_eq!(t.arms[1].treatments[0].every_days, Some(182.0));
        assert_eq!(t.simulation.duration_days, 1095.0);
    }

    fn err(text: &str) -> ScenarioError {
        match parse(text) {
            Ok(t) => panic!("expected an error, parsed {t:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn arm_names_are_short_and_not_only_dots() {
        for bad in ["..", ".", "a/b", ""] {
            let e = err(&GOOD.replace("name = \"placebo\"", &format!("name = \"{bad}\"")));
            assert_eq!(e.key, "arm[0].name", "{bad}: {e}");
        }
        let long = "a".repeat(MAX_ARM_NAME + 1);
        let e = err(&GOOD.replace("name = \"placebo\"", &format!("name = \"{long}\"")));
        assert!(e.message.contains("1 to 64"), "{e}");
        assert!(parse(&GOOD.replace("placebo", &"a".repeat(MAX_ARM_NAME))).is_ok());
    }

    #[test]
    fn errors_name_key_and_line() {
        let e = err(&GOOD.replace(
            "osteoclast_apoptosis_rate = 0.2",
            "osteoclast_apoptosis_rat = 0.2",
        ));
        assert_eq!(e.key, "population.variability.osteoclast_apoptosis_rat");
        assert_eq!(e.line, Some(9));
        assert!(
            e.message
                .contains("did you mean \"osteoclast_apoptosis_rate\"?"),
            "{e}"
        );
        let e = err(&GOOD.replace("t_score_femoral_neck_max", "t_score_femoral_nek_max"));
        assert_eq!(e.key, "population.inclusion.t_score_femoral_nek_max");
        assert!(
            e.message
                .contains("did you mean \"t_score_femoral_neck_max\"?"),
            "{e}"
        );
        let e = err(&GOOD.replace("drug = \"denosumab\"", "drug = \"denosumb\""));
        assert_eq!(e.key, "arm[1].treatment[0].drug");
        assert_eq!(e.line, Some(18));
        assert!(
            e.to_string()
                .starts_with("t.toml:18: `arm[1].treatment[0].drug`: unknown drug"),
            "{e}"
        );
        let e = err(&GOOD.replace("size = 10", "size = 0"));
        assert_eq!(e.key, "population.size");
        let e = err(&GOOD.replace("sex = \"female\"", "sex = \"male\""));
        assert_eq!(e.key, "population.menopause_age_years");
        let e = err(&GOOD.replace("name = \"denosumab\"", "name = \"placebo\""));
        assert!(e.message.contains("duplicate arm name"), "{e}");
        let e = err(&GOOD.replace("[population]", "[populaton]"));
        assert_eq!(e.key, "populaton");
        assert!(e.message.contains("did you mean \"population\"?"), "{e}");
        let e = err(&GOOD.replace("duration_days = 1095.0", "duration_days = -1"));
        assert_eq!(e.key, "simulation.duration_days");
        let e = err(&GOOD.replace("min = 55.0, max = 80.0", "min = 85.0, max = 80.0"));
        assert_eq!(e.key, "population.age_years.max");
    }

    const BASELINE: &str = "t_score_femoral_neck_max = -2.5\n[population.baseline]\nlow = { column = \"t_score_femoral_neck\", min = -2.5, max = -1.0 }\nall = { column = \"bmd_femoral_neck_g_cm2\", min = 0.0 }";

    #[test]
    fn baseline_fractions_parse_and_are_checked() {
        let with = |s: &str| GOOD.replace("t_score_femoral_neck_max = -2.5", s);
        let t = parse(&with(BASELINE)).unwrap();
        assert!(t.population.inclusion.len() == 1);
        let names: Vec<&str> = t
            .population
            .baseline
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names, ["all", "low"]);
        let low = &t.population.baseline[1];
        assert_eq!((low.min, low.max), (Some(-2.5), Some(-1.0)));
        assert!(low.contains(-2.0) && low.contains(-2.5) && !low.contains(-2.6));
        assert!(!low.contains(-0.5));
        assert!(t.population.baseline[0].contains(0.7));
        assert!(parse(GOOD).unwrap().population.baseline.is_empty());
        let e = err(&with(
            &BASELINE.replace("\"t_score_femoral_neck\"", "\"t_score_femoral_nek\""),
        ));
        assert_eq!(e.key, "population.baseline.low.column");
        assert!(
            e.message.contains("did you mean \"t_score_femoral_neck\"?"),
            "{e}"
        );
        let e = err(&with(
            &BASELINE.replace("min = -2.5, max = -1.0", "min = -1.0, max = -2.5"),
        ));
        assert_eq!(e.key, "population.baseline.low.max");
        let e = err(&with(
            &BASELINE.replace("min = -2.5, max = -1.0", "mx = -1.0"),
        ));
        assert!(e.key.starts_with("population.baseline.low"), "{e}");
    }
}
