//! Reading a scenario file: every key, id and number checked against the contract and the
//! model's catalogue, with errors that name the file, the line and the dotted key.

use std::collections::BTreeMap;

use toml::de::DeValue;

use super::*;
use crate::catalogue::{alias_pairs, short, sorted_ids, Catalogue, DrugEntry, Named, SettingKind};
use crate::ids::Id;
use crate::toml_section::{parse_number, quote, suggest, type_name, Ctx, Res, Section, Value};

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

pub(super) fn parse_scenario(root: &Section<'_, '_, '_>, catalogue: &Catalogue) -> Res<Scenario> {
    root.check_keys(&["subject", "estrogen", "treatment", "simulation"])?;
    let Some(subject) = root.sub_table("subject")? else {
        return Err(root.missing("subject", "missing required table [subject]"));
    };
    let subject = parse_subject(&subject, catalogue)?;
    let simulation = match root.sub_table("simulation")? {
        Some(section) => parse_simulation(&section)?,
        None => SimulationSettings::default(),
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

    let (lo, hi) = species.age_range_years();
    if !(lo..=hi).contains(&age_years) {
        let key = if years.is_some() {
            "age_years"
        } else {
            "age_weeks"
        };
        return Err(s.bad_value_at(
            key,
            format!(
                "is outside the ages a {species} may start at: {} to {} years",
                short(lo),
                short(hi)
            ),
        ));
    }

    let body_weight_kg = s
        .positive("body_weight_kg")?
        .unwrap_or_else(|| Subject::default_body_weight_kg(species, sex));
    let (lo, hi) = species.body_weight_range_kg();
    if !(lo..=hi).contains(&body_weight_kg) {
        return Err(s.bad_value_at(
            "body_weight_kg",
            format!(
                "is outside the body weights of a {species}: {} to {} kg",
                short(lo),
                short(hi)
            ),
        ));
    }

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
            if let Some((_, instead)) = catalogue.scenario_inputs.iter().find(|(q, _)| q == name) {
                return Err(p.err(
                    name,
                    format!("is set by the scenario itself; use {instead}"),
                ));
            }
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

fn parse_simulation(s: &Section<'_, '_, '_>) -> Res<SimulationSettings> {
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
    Ok(SimulationSettings {
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
    sim: &SimulationSettings,
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
    let aliases: Vec<(&str, &str)> = profiles
        .iter()
        .filter_map(|p| p.setting.as_ref())
        .flat_map(|x| x.aliases.iter().map(|a| (a.as_str(), x.key.as_str())))
        .collect();
    s.check_keys_with_aliases(&keys, &aliases)?;
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
    if let (Some(age), SettingKind::Age) = (value, setting.kind) {
        let (lo, hi) = subject.species.age_range_years();
        if !(lo..=hi).contains(&age) {
            return Err(s.bad_value_at(
                key,
                format!(
                    "is outside the ages of a {}: {} to {} years",
                    subject.species,
                    short(lo),
                    short(hi)
                ),
            ));
        }
    }
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
    sim: &SimulationSettings,
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
    sim: &SimulationSettings,
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
    check_combined_schedules(ctx, items, path, &treatments, sim, catalogue)?;
    Ok(treatments)
}

/// Doses of one drug by one route keep the route's minimum interval across entries too, not
/// only within each (each entry was checked on its own already).
fn check_combined_schedules(
    ctx: &Ctx<'_>,
    items: &[Value<'_>],
    path: &str,
    treatments: &[Treatment],
    sim: &SimulationSettings,
    catalogue: &Catalogue,
) -> Res<()> {
    for (first, t) in treatments.iter().enumerate() {
        let same = |u: &Treatment| u.drug == t.drug && u.route == t.route;
        // Each drug and route once: at its first entry, and only when it has several.
        if treatments[..first].iter().any(same) || treatments[first + 1..].iter().all(|u| !same(u))
        {
            continue;
        }
        let Some(regimen) = catalogue
            .drug(&t.drug)
            .zip(t.route)
            .and_then(|(d, r)| d.regimen(r))
        else {
            continue;
        };
        let mut days: Vec<(f64, usize)> = treatments
            .iter()
            .enumerate()
            .filter(|(_, u)| same(u))
            .flat_map(|(i, u)| {
                u.dose_days(sim.duration_days)
                    .into_iter()
                    .map(move |d| (d, i))
            })
            .collect();
        days.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let slack = 1e-9 * regimen.min_every_days.max(1.0);
        for w in days.windows(2) {
            let ((d0, i), (d1, j)) = (w[0], w[1]);
            if d1 - d0 < regimen.min_every_days - slack {
                let (i, j) = (i.min(j), i.max(j));
                return Err(ctx.err(
                    Some(&items[j].span()),
                    &format!("{path}[{j}]"),
                    format!(
                        "doses of {} by the {} route from {path}[{i}] and {path}[{j}] fall {} days apart (days {} and {}); together they must keep at least {} days between doses ({})",
                        t.drug,
                        regimen.route,
                        short(d1 - d0),
                        short(d0),
                        short(d1),
                        short(regimen.min_every_days),
                        regimen.why
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn parse_treatment(
    s: &Section<'_, '_, '_>,
    subject: &Subject,
    sim: &SimulationSettings,
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
        if let Some(max) = drug.max_intensity.filter(|max| intensity > *max) {
            return Err(s.bad_value_at(
                "intensity",
                format!("is more than the largest intensity of {id}, {}", short(max)),
            ));
        }
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
                    regimen.describe_for(subject.species),
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
pub fn embedded_simulation(
    root: &Section<'_, '_, '_>,
) -> Result<SimulationSettings, ScenarioError> {
    match root.sub_table("simulation")? {
        Some(section) => parse_simulation(&section),
        None => Ok(SimulationSettings::default()),
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
    simulation: &SimulationSettings,
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
