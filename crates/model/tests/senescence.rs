//! The vesicle and senescence layers as a whole: what the issue asks of them beyond the
//! validation targets (O3-O5, S1, S2 are in tests/validation.rs). Each test compares two
//! virtual twins, so a model without the mechanism fails it.

use osteosim_engine::output::Table;
use osteosim_model::builtin::{kernel, model};
use osteosim_model::scenario::{
    DoseAmount, EstrogenProfile, Route, Scenario, Sex, Species, Treatment, DAYS_PER_YEAR,
};

fn table(sc: &Scenario) -> Table {
    osteosim_model::run(model(), kernel(), sc, "senescence test")
        .unwrap_or_else(|e| panic!("the run failed: {e}"))
        .table
}

fn column(t: &Table, name: &str) -> Vec<f64> {
    t.column(name)
        .unwrap_or_else(|| panic!("no output column {name}"))
}

/// Value of `name` at `x` of column `by` (linear interpolation).
fn at(t: &Table, by: &str, name: &str, x: f64) -> f64 {
    let (xs, ys) = (column(t, by), column(t, name));
    let i = xs.iter().position(|&v| v >= x).expect("x inside the run");
    if i == 0 {
        return ys[0];
    }
    let f = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
    ys[i - 1] + f * (ys[i] - ys[i - 1])
}

fn female_mouse(age_weeks: f64, estrogen: EstrogenProfile, days: f64) -> Scenario {
    Scenario::untreated(
        Species::Mouse,
        Sex::Female,
        age_weeks * 7.0 / DAYS_PER_YEAR,
        estrogen,
        days,
        7.0,
    )
}

fn every(drug: &str, dose: DoseAmount, route: Route, days: f64) -> Treatment {
    Treatment {
        drug: drug.into(),
        dose,
        route: Some(route),
        start_day: 0.0,
        every_days: Some(days),
        stop_day: None,
        infusion_hours: None,
    }
}

/// Age in months at which survival first falls to one half.
fn median_months(t: &Table) -> f64 {
    let age = column(t, "age_years");
    let s = column(t, "survival_probability");
    let i = s
        .iter()
        .position(|&v| v <= 0.5)
        .expect("half the mice die within the run");
    let f = (s[i - 1] - 0.5) / (s[i - 1] - s[i]);
    12.0 * (age[i - 1] + f * (age[i] - age[i - 1]))
}

const OVX_WEEKS: f64 = 16.0;
const MOUSE_DAYS: f64 = 3.0 * DAYS_PER_YEAR;

fn inhibitor() -> Treatment {
    every(
        "ev_biogenesis_inhibitor",
        DoseAmount::MgPerKg(2.5),
        Route::Intraperitoneal,
        2.0,
    )
}

#[test]
fn ovariectomy_shortens_mouse_life_and_the_ev_inhibitor_recovers_part_of_it() {
    let sham = table(&female_mouse(
        OVX_WEEKS,
        EstrogenProfile::new("sham"),
        MOUSE_DAYS,
    ));
    let ovx_scenario = female_mouse(
        OVX_WEEKS,
        EstrogenProfile::with("ovariectomy", "ovariectomy_day", 0.0),
        MOUSE_DAYS,
    );
    let ovx = table(&ovx_scenario);
    let mut treated_scenario = ovx_scenario.clone();
    treated_scenario.treatments = vec![inhibitor()];
    let treated = table(&treated_scenario);
    let (m_sham, m_ovx, m_treated) = (
        median_months(&sham),
        median_months(&ovx),
        median_months(&treated),
    );
    eprintln!("median lifespan: sham {m_sham:.2}, OVX {m_ovx:.2}, OVX + EV inhibitor {m_treated:.2} months");
    assert!(
        m_ovx < m_sham,
        "OVX {m_ovx:.2} should die earlier than sham {m_sham:.2}"
    );
    assert!(
        m_treated > m_ovx,
        "the inhibitor ({m_treated:.2}) should recover part of the OVX loss ({m_ovx:.2})"
    );
}

#[test]
fn senescent_cell_clearance_lengthens_mouse_life() {
    let days = 5.0 * DAYS_PER_YEAR;
    let wild = table(&female_mouse(OVX_WEEKS, EstrogenProfile::new("sham"), days));
    let mut sc = female_mouse(OVX_WEEKS, EstrogenProfile::new("sham"), days);
    sc.subject.genotype = vec!["senescent_cell_clearance".to_string()];
    let cleared = table(&sc);
    let gain = median_months(&cleared) / median_months(&wild) - 1.0;
    eprintln!("median lifespan gain with clearance: {:.1}%", 100.0 * gain);
    // Baker 2016 Nature 530:184: +24-35% median lifespan with INK-ATTAC clearance.
    assert!(
        (0.1..=0.4).contains(&gain),
        "clearing senescent cells as they arise should add 10-40% to median life, got {:.0}%",
        100.0 * gain
    );
    let day = 365.0;
    assert!(
        at(&cleared, "day", "senescent_fraction_bone", day)
            < 0.8 * at(&wild, "day", "senescent_fraction_bone", day)
    );
}

fn woman(estradiol: bool) -> Scenario {
    let mut sc = Scenario::default_woman();
    if estradiol {
        // HRT started at menopause (51, i.e. day 6 years) and kept.
        sc.treatments = vec![Treatment {
            start_day: 6.0 * DAYS_PER_YEAR,
            ..every("estradiol", DoseAmount::Mg(1.0), Route::Oral, 1.0)
        }];
    }
    sc.simulation.duration_days = 15.0 * DAYS_PER_YEAR;
    sc.simulation.output_every_days = 30.0;
    sc
}

#[test]
fn evs_and_systemic_senescence_rise_after_menopause_and_hrt_lowers_ev_secretion() {
    let untreated = table(&woman(false));
    let hrt = table(&woman(true));
    let a = |t: &Table, c: &str, age: f64| at(t, "age_years", c, age);
    // Menopause at 51: bone EVs and their cargo rise across it, systemic senescence keeps rising.
    let evs =
        a(&untreated, "circulating_bone_evs", 55.0) / a(&untreated, "circulating_bone_evs", 49.0);
    assert!(evs > 1.2, "bone EVs 49 -> 55 rose only x{evs:.2}");
    let sen = a(&untreated, "senescent_fraction_systemic", 58.0)
        / a(&untreated, "senescent_fraction_systemic", 48.0);
    assert!(
        sen > 1.2,
        "systemic senescence 48 -> 58 rose only x{sen:.2}"
    );
    // HRT from 51 keeps EV secretion near its premenopausal level.
    let secretion = |t: &Table| a(t, "bone_ev_secretion", 56.0);
    assert!(
        secretion(&hrt) < 0.9 * secretion(&untreated),
        "HRT should lower bone EV secretion: {:.3e} vs untreated {:.3e}",
        secretion(&hrt),
        secretion(&untreated)
    );
    assert!(
        a(&hrt, "senescent_fraction_systemic", 60.0)
            < a(&untreated, "senescent_fraction_systemic", 60.0)
    );
}

#[test]
fn bisphosphonates_cut_aged_matrix_evs_and_the_ev_inhibitor_does_not() {
    let mut sc = Scenario::default_woman();
    sc.subject.age_years = 65.0;
    sc.simulation.duration_days = 2.0 * DAYS_PER_YEAR;
    let placebo = table(&sc);
    let mut alendronate = sc.clone();
    alendronate.treatments = vec![every("alendronate", DoseAmount::Mg(10.0), Route::Oral, 1.0)];
    let mut inhibited = sc.clone();
    inhibited.treatments = vec![every(
        "ev_biogenesis_inhibitor",
        DoseAmount::MgPerKg(2.5),
        Route::Intraperitoneal,
        2.0,
    )];
    let (alendronate, inhibited) = (table(&alendronate), table(&inhibited));
    let matrix = |t: &Table, day: f64| at(t, "day", "aged_matrix_evs", day);
    let cells = |t: &Table, day: f64| at(t, "day", "circulating_bone_evs", day) - matrix(t, day);
    // Wang 2022 Nat Commun 13:1453: alendronate lowers release of aged-matrix EVs.
    let year = DAYS_PER_YEAR;
    assert!(matrix(&alendronate, year) < 0.8 * matrix(&placebo, year));
    // The biogenesis inhibitor blocks what cells make at once, not vesicles freed from matrix.
    let month = 28.0;
    assert!(cells(&inhibited, month) < 0.7 * cells(&placebo, month));
    assert!((matrix(&inhibited, month) / matrix(&placebo, month) - 1.0).abs() < 0.05);
}

#[test]
fn the_ev_antibody_spares_other_organs_not_the_marrow() {
    let sc = female_mouse(
        OVX_WEEKS,
        EstrogenProfile::with("ovariectomy", "ovariectomy_day", 0.0),
        56.0,
    );
    let plain = table(&sc);
    let mut treated = sc.clone();
    treated.treatments = vec![every(
        "ev_neutralizing_antibody",
        DoseAmount::MgPerKg(10.0),
        Route::Intraperitoneal,
        7.0,
    )];
    let antibody = table(&treated);
    let day = 28.0;
    let ratio = |c: &str| at(&antibody, "day", c, day) / at(&plain, "day", c, day);
    assert!(
        ratio("circulating_bone_evs") < 0.5,
        "antibody should clear bone EVs"
    );
    assert!(ratio("organ_ev_senescence_dose") < 0.5);
    assert!((ratio("marrow_ev_senescence_dose") - 1.0).abs() < 0.02);
}

#[test]
fn men_die_earlier_than_women_as_the_life_tables_say() {
    // US life tables (2019): of those alive at 45, ~56% of men and ~69% of women reach 80.
    let survival_to_80 = |sex: Sex| {
        let sc = Scenario::untreated(
            Species::Human,
            sex,
            45.0,
            match sex {
                Sex::Female => {
                    EstrogenProfile::with("natural_menopause", "menopause_age_years", 51.0)
                }
                Sex::Male => EstrogenProfile::new("age_related_decline"),
            },
            35.0 * DAYS_PER_YEAR,
            DAYS_PER_YEAR,
        );
        at(&table(&sc), "age_years", "survival_probability", 80.0)
    };
    let (men, women) = (survival_to_80(Sex::Male), survival_to_80(Sex::Female));
    assert!((0.50..=0.62).contains(&men), "men reaching 80: {men:.3}");
    assert!(
        men < women,
        "men {men:.3} should die earlier than women {women:.3}"
    );
}
