use super::*;
use crate::catalogue::{alias_pairs, sorted_ids, SettingKind};
use crate::ids::Id;
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
        SimulationSettings {
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
    let male_mouse = parse("[subject]\nspecies=\"mouse\"\nsex=\"male\"\nage_weeks=16\n").unwrap();
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
fn profile_setting_aliases_come_from_the_catalogue() {
    let e = err(&format!(
        "{WOMAN}[estrogen]\nprofile = \"ovariectomy\"\novx_day = 3\n"
    ));
    assert!(
        e.message.ends_with("did you mean \"ovariectomy_day\"?"),
        "{e}"
    );
    let e = err(&format!(
        "{WOMAN}[estrogen]\nprofile = \"natural_menopause\"\nmenopause_age = 50\n"
    ));
    assert!(
        e.message.ends_with("did you mean \"menopause_age_years\"?"),
        "{e}"
    );
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
                let age = species.age_range_years().1 / 2.0;
                let text = format!(
                    "[subject]\nspecies = \"{species}\"\nsex = \"{sex}\"\nage_years = {age}\n\n[[treatment]]\ndrug = \"{}\"\nroute = \"{}\"\ndose_mg = {mg:?}\nevery_days = {:?}\n",
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
    prop::sample::select(Species::ALL.to_vec()).prop_flat_map(|species| {
        let (age_lo, age_hi) = species.age_range_years();
        let (kg_lo, kg_hi) = species.body_weight_range_kg();
        (
            Just(species),
            prop::sample::select(Sex::ALL.to_vec()),
            prop_oneof![
                age_lo..=age_hi,
                Just(age_lo),
                Just(age_hi),
                // Whole weeks, as `age_weeks` is written.
                ((age_lo * 365.25 / 7.0).ceil() as u32..=(age_hi * 365.25 / 7.0).floor() as u32)
                    .prop_map(|w| f64::from(w) * 7.0 / 365.25)
            ],
            kg_lo..=kg_hi,
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
    })
}

fn simulation() -> impl Strategy<Value = SimulationSettings> {
    (
        prop_oneof![
            1e-3..=MAX_DURATION_DAYS,
            Just(MAX_DURATION_DAYS),
            Just(3650.0)
        ],
        1e-5..=1.0f64,
        proptest::option::of(RELATIVE_TOLERANCE_RANGE.0..=RELATIVE_TOLERANCE_RANGE.1),
    )
        .prop_map(
            |(duration_days, f, relative_tolerance)| SimulationSettings {
                duration_days,
                output_every_days: duration_days * f,
                relative_tolerance,
            },
        )
}

/// Any profile of the catalogue that applies to `sex`, with a valid setting.
fn estrogen(species: Species, sex: Sex, duration: f64) -> BoxedStrategy<EstrogenProfile> {
    let (age_lo, age_hi) = species.age_range_years();
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
                    SettingKind::Age => age_lo + u * (age_hi - age_lo),
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
                    (Route::Intravenous, Some(h)) if every.is_none_or(|e| h / 24.0 <= e) => Some(h),
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
        let estrogen = estrogen(subject.species, subject.sex, simulation.duration_days);
        let treatments = prop::collection::vec(
            treatment(
                simulation.duration_days,
                subject.species,
                subject.body_weight_kg,
            ),
            0..4,
        );
        (Just(subject), estrogen, treatments, Just(simulation)).prop_map(
            |(subject, estrogen, mut treatments, simulation)| {
                // One entry per drug and route: several would have to keep the minimum
                // interval between each other too.
                let mut seen = Vec::new();
                treatments.retain(|t| {
                    let key = (t.drug.clone(), t.route);
                    let first = !seen.contains(&key);
                    seen.push(key);
                    first
                });
                Scenario {
                    subject,
                    estrogen,
                    treatments,
                    simulation,
                }
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

#[test]
fn parameters_the_scenario_sets_itself_are_refused_with_the_key_to_use() {
    let e = err(&format!(
        "{WOMAN}[subject.parameters]\nage_at_start_years = 90\n"
    ));
    assert_eq!(e.key, "subject.parameters.age_at_start_years");
    assert!(e.message.contains("use `age_years`"), "{e}");
    let e = err(&format!(
        "{WOMAN}[subject.parameters]\nmenopause_age_years = 45\n"
    ));
    assert!(
        e.message.contains("`menopause_age_years` of [estrogen]"),
        "{e}"
    );
    let e = err(&format!(
        "{WOMAN}[subject.parameters]\novariectomy_on = 1\n"
    ));
    assert!(e.message.contains("`profile` of [estrogen]"), "{e}");
    // A model parameter that no scenario key sets may still be overridden.
    let ok = parse(&format!(
        "{WOMAN}[subject.parameters]\npeak_bmd_femoral_neck = 0.8\n"
    ));
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn the_minimum_interval_holds_across_treatment_entries() {
    let mut text = WOMAN.to_string();
    for day in 0..3 {
        text.push_str(&format!(
            "[[treatment]]\ndrug = \"denosumab\"\ndose_mg = 60\nstart_day = {day}\n"
        ));
    }
    let e = err(&text);
    assert_eq!(e.key, "treatment[1]");
    assert!(
        e.message
            .contains("from treatment[0] and treatment[1] fall 1 days apart"),
        "{e}"
    );
    assert!(e.message.contains("at least 7 days"), "{e}");
    // Entries far enough apart are one schedule.
    let ok = parse(&format!(
        "{WOMAN}[[treatment]]\ndrug = \"denosumab\"\ndose_mg = 60\n[[treatment]]\ndrug = \"denosumab\"\ndose_mg = 60\nstart_day = 182\n"
    ));
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn subjects_outside_the_species_limits_are_refused() {
    let human = |line: &str| format!("[subject]\nspecies = \"human\"\nsex = \"female\"\n{line}\n");
    let e = err(&human("age_years = 200"));
    assert_eq!(e.key, "subject.age_years");
    assert!(e.message.contains("18 to 110 years"), "{e}");
    assert!(err(&human("age_years = 0")).message.contains("18 to 110"));
    let e = err(&human("age_years = 50\nbody_weight_kg = 10000"));
    assert!(e.message.contains("25 to 300 kg"), "{e}");
    let e = err("[subject]\nspecies = \"mouse\"\nsex = \"female\"\nage_years = 90\n");
    assert!(e.message.contains("ages a mouse may start at"), "{e}");
    let e = err(&format!(
        "{WOMAN}[estrogen]\nprofile = \"natural_menopause\"\nmenopause_age_years = 500\n"
    ));
    assert_eq!(e.key, "estrogen.menopause_age_years");
    let e = err(&format!(
        "{WOMAN}[[treatment]]\ndrug = \"exercise\"\nintensity = 1e308\n"
    ));
    assert!(
        e.message.contains("largest intensity of exercise, 5"),
        "{e}"
    );
}

#[test]
fn an_override_outside_a_parameters_range_is_refused_naming_it() {
    let scenario = parse(&format!(
        "{WOMAN}[subject.parameters]\npeak_bmd_femoral_neck = -1\n[simulation]\nduration_days = 1\noutput_every_days = 1\n"
    ))
    .expect("the scenario parses; the model refuses the value");
    let Err(e) = crate::run(
        crate::builtin::model(),
        crate::builtin::kernel(),
        &scenario,
        "s",
    ) else {
        panic!("a negative peak BMD must be refused");
    };
    let shown = e.to_string();
    assert!(
        shown.contains("peak_bmd_femoral_neck") && shown.contains("outside the range [0, inf]"),
        "{shown}"
    );
}
