//! Treatments: romosozumab, anti-TNF and exercise against the
//! published figures they are meant to reproduce, and the behaviour each must show (onset,
//! offset, rebound, persistence, partial agonism). Each test compares the model with a figure or
//! a property from outside it, so a wrong drug layer makes it fail. A published figure the model
//! cannot meet is kept as an ignored test that says why.
//!
//! `docs/treatments.md` carries tables generated here (the drug layers' parameters and the
//! simulated standard regimens); regenerate them with
//! `OSTEOSIM_UPDATE_DOCS=1 cargo test -p osteosim-model --release --test treatments`.

mod common;

use std::fmt::Write;
use std::path::PathBuf;

use common::{
    alendronate_daily, anti_tnf, denosumab, dose, estradiol_oral, estradiol_transdermal, exercise,
    man, mouse, raloxifene, romosozumab, teriparatide, testosterone_gel, testosterone_im,
    versus_placebo, within, woman, years, zoledronic_acid, Run, CTX, HIP, NECK, SPINE, START,
};
use osteosim_model::builtin::{kernel, model};
use osteosim_model::scenario::{DoseAmount, EstrogenProfile, Route, Scenario, Treatment};

/// Every state a drug layer declares, by prefix.
fn is_drug_state(name: &str) -> bool {
    [
        "denosumab_",
        "osteomorphs",
        "alendronate_",
        "zoledronic_acid_",
        "estradiol_gut",
        "estradiol_skin",
        "estradiol_exogenous",
        "raloxifene_",
        "testosterone_",
        "romosozumab_",
        "dkk1_compensation",
        "anti_tnf_",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

#[test]
fn without_a_dose_every_drug_term_is_exactly_zero() {
    let m = model();
    let drug_states: Vec<usize> = (0..m.states.len())
        .filter(|&i| is_drug_state(&m.states[i].name))
        .collect();
    assert!(
        drug_states.len() >= 21,
        "only {} drug states",
        drug_states.len()
    );
    let mut sc = woman(45.0, 30.0);
    sc.simulation.output_every_days = 30.0;
    let sim = osteosim_model::simulation(m, kernel(), &sc).unwrap_or_else(|e| panic!("{e}"));
    let traj = sim.run().unwrap_or_else(|e| panic!("{e}"));
    for (t, y) in traj.times.iter().zip(&traj.states) {
        for &i in &drug_states {
            assert!(
                y[i] == 0.0,
                "{} = {:e} at t = {t} without a dose",
                m.states[i].name,
                y[i]
            );
        }
    }
    let run = Run::of(&sc);
    for name in [
        "rankl_held_by_denosumab",
        "bisphosphonate_load",
        "denosumab_ug_ml",
        "raloxifene_ng_ml",
        "osteomorphs",
        "testosterone_exogenous_ng_dl",
        "romosozumab_ug_ml",
        "sclerostin_held_by_romosozumab",
        "anti_tnf_ug_ml",
        "tnf_held_by_anti_tnf",
    ] {
        assert!(
            run.col(name).iter().all(|v| *v == 0.0),
            "{name} is not 0 without a dose"
        );
    }
    // The receptor occupancy is the endogenous estradiol's alone.
    let e2 = run.col("estradiol_pg_ml");
    assert_eq!(e2, run.col("estradiol_endogenous_pg_ml"));
    let ec50 = m.parameters[m.parameter_index("estradiol_ec50_alpha").expect("ec50")].value;
    for (e, occ) in e2.iter().zip(run.col("er_alpha_occupancy")) {
        let plain = e / (ec50 + e);
        assert!((occ - plain).abs() <= 1e-15, "occupancy {occ} vs {plain}");
    }
}

/// A dose on day 0 for a subject older than the steady-state age, whose run starts years before
/// day 0: the dose shares its stop with the switch that starts the counting of deaths. (Once,
/// conditions on t in the model put a second stop within rounding of it and the solver refused
/// to step; the model now switches parameters at exact events instead.)
#[test]
fn a_dose_on_day_zero_runs_for_an_older_woman() {
    let mut sc = woman(72.0, 1.0);
    sc.treatments = vec![Treatment {
        start_day: 0.0,
        ..denosumab(None)
    }];
    let run = Run::of(&sc);
    assert!(run.at("denosumab_ug_ml", 10.0) > 1.0);
}

/// Overlapping drugs: denosumab and teriparatide together for a year gain more at the spine and
/// the hip than either alone (DATA, Tsai 2013 Lancet 382:50: spine +9.1 against 6.2 and 5.5%,
/// total hip +4.9 against 0.7 and 2.5%).
#[test]
fn denosumab_and_teriparatide_together_gain_more_than_either() {
    let sc = woman(66.0, 1.0);
    let alone_d = Run::treated(sc.clone(), vec![denosumab(None)]);
    let alone_t = Run::treated(sc.clone(), vec![teriparatide(None)]);
    let both = Run::treated(sc, vec![denosumab(None), teriparatide(None)]);
    for site in [SPINE, HIP] {
        let (d, t, c) = (
            alone_d.change(site, years(1.0)),
            alone_t.change(site, years(1.0)),
            both.change(site, years(1.0)),
        );
        assert!(
            c > d.max(t) + 1.0,
            "{site} at 12 months: both {c:.2}%, denosumab {d:.2}%, teriparatide {t:.2}%"
        );
    }
}

/// DATA (Tsai 2013 Lancet 382:50): in the first year teriparatide alone gains little at the
/// total hip (+0.7%), less than denosumab (+2.5%).
#[test]
#[ignore = "teriparatide's first-year hip gain is far too high (+4.6% against DATA's +0.7%; denosumab +4.0%): its trabecular gain comes too early (spine +8.7% in a year against DATA's 6.2) and the cortex does not first lose to new intracortical remodelling, as in patients"]
fn teriparatide_gains_less_than_denosumab_at_the_hip_in_the_first_year() {
    let sc = woman(66.0, 1.0);
    let d = Run::treated(sc.clone(), vec![denosumab(None)]).change(HIP, years(1.0));
    let t = Run::treated(sc, vec![teriparatide(None)]).change(HIP, years(1.0));
    assert!(
        t < d && t < 2.5,
        "total hip teriparatide {t:.2}%, denosumab {d:.2}%"
    );
}

/// `[simulation] relative_tolerance` trades accuracy for speed: at 1e-4 instead of the default
/// 1e-6, three years of denosumab take far fewer solver steps and every BMD column stays within
/// 1e-4 of the default run, CTX within 1%.
#[test]
fn a_looser_relative_tolerance_is_faster_and_still_close() {
    let mut sc = woman(72.0, 3.0);
    sc.simulation.output_every_days = 30.0;
    sc.treatments = vec![denosumab(None)];
    let mut loose = sc.clone();
    loose.simulation.relative_tolerance = Some(1e-4);
    let steps = |sc: &Scenario| {
        let out = osteosim_model::run(model(), kernel(), sc, "treatments").unwrap();
        assert_eq!(
            out.summary["solver"]["rtol"].as_f64(),
            Some(sc.simulation.relative_tolerance.unwrap_or(1e-6))
        );
        (
            out.summary["solver"]["steps"].as_u64().unwrap(),
            Run(out.table),
        )
    };
    let ((tight_steps, tight), (loose_steps, coarse)) = (steps(&sc), steps(&loose));
    assert!(
        (loose_steps as f64) < 0.75 * tight_steps as f64,
        "{loose_steps} steps at 1e-4 against {tight_steps} at 1e-6"
    );
    for (name, bound) in [(HIP, 1e-4), (SPINE, 1e-4), (CTX, 1e-2)] {
        let worst = tight
            .col(name)
            .iter()
            .zip(coarse.col(name))
            .map(|(a, b)| ((a - b) / a).abs())
            .fold(0.0, f64::max);
        assert!(worst < bound, "{name}: relative difference {worst:.2e}");
    }
}

#[test]
fn romosozumab_serum_levels_follow_the_label() {
    let single = Treatment {
        every_days: None,
        ..romosozumab(None)
    };
    let run = Run::treated(woman(70.0, 0.3), vec![single]);
    let c = run.col("romosozumab_ug_ml");
    let (k_max, c_max) = c
        .iter()
        .enumerate()
        .fold((0, 0.0), |a, (k, v)| if *v > a.1 { (k, *v) } else { a });
    // Evenity label: Cmax 22.2 (SD 5.8) ug/mL, median Tmax 5 days (2-7), AUC 389 (SD 127)
    // ug*day/mL, effective half-life 12.8 days.
    within("romosozumab Cmax (ug/mL)", c_max, 22.2, 5.8);
    let t_max = k_max as f64 - START;
    assert!((2.0..=7.0).contains(&t_max), "Tmax {t_max} days");
    let auc: f64 = c.iter().sum();
    within("romosozumab AUC (ug*day/mL)", auc, 389.0, 2.0 * 127.0);
    let half_life = 20.0 * 2f64.ln()
        / (run.at("romosozumab_ug_ml", t_max + START + 5.0)
            / run.at("romosozumab_ug_ml", t_max + START + 25.0))
        .ln();
    within(
        "romosozumab effective half-life (days)",
        half_life,
        12.8,
        4.0,
    );
}

#[test]
fn romosozumab_raises_formation_first_then_it_wanes_while_resorption_stays_down() {
    let sc = woman(70.0, 1.0);
    let placebo = Run::of(&sc);
    let treated = Run::treated(sc, vec![romosozumab(None)]);
    let rel = |name: &str, day: f64| treated.at(name, day) / placebo.at(name, day) - 1.0;
    // P1NP peaks within the first three months, more than +60% (McClung 2014 N Engl J Med
    // 370:412; Padhi 2014 J Clin Pharmacol 54:168: +66 to +147%).
    let (peak_day, peak) = (1..=90)
        .map(|d| (d, rel("p1np_ng_ml", f64::from(d))))
        .fold((0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
    assert!(
        peak > 0.6 && (14..=75).contains(&peak_day),
        "P1NP peak {:+.0}% on day {peak_day}",
        100.0 * peak
    );
    // Formation leads: two weeks in, P1NP has moved more than CTX.
    assert!(rel("p1np_ng_ml", 15.0) > rel(CTX, 15.0).abs());
    // Then formation wanes on continued dosing: back below a third of its peak rise at 12
    // months (FRAME: P1NP near baseline by month 9-12).
    let late = rel("p1np_ng_ml", years(1.0));
    assert!(late < peak / 3.0, "P1NP {:+.0}% at 12 months", 100.0 * late);
    // Resorption falls (CTX -15 to -50%, Padhi 2014) and stays below placebo through the year.
    for m in [2.0, 6.0, 12.0] {
        let ctx = rel(CTX, m * 30.44);
        assert!(
            (-0.6..=-0.15).contains(&ctx),
            "CTX {:+.0}% at month {m}",
            100.0 * ctx
        );
    }
}

/// FRAME (Cosman 2016 N Engl J Med 375:1532): romosozumab 210 mg monthly for 12 months, lumbar
/// spine +13.3% and total hip +6.8% over placebo. A generous band: the model must give a large
/// gain at both sites, spine 7-20 points and hip 4-10 points.
#[test]
fn romosozumab_frame_large_gain_at_twelve_months() {
    let sc = woman(70.0, 1.0);
    let placebo = Run::of(&sc);
    let treated = Run::treated(sc, vec![romosozumab(None)]);
    let spine = versus_placebo(&treated, &placebo, SPINE, years(1.0));
    let hip = versus_placebo(&treated, &placebo, HIP, years(1.0));
    assert!((7.0..=20.0).contains(&spine), "spine {spine:.1} points");
    assert!((4.0..=10.0).contains(&hip), "hip {hip:.1} points");
    assert!(
        spine > hip,
        "spine {spine:.1} should gain more than hip {hip:.1}"
    );
}

/// FRAME spine at its published spread: +13.3 +- 2.5 points.
#[test]
#[ignore = "spine +10.4 points against 13.3 +- 2.5 (hip +6.9 against 6.8): the formation surge is brief (P1NP back near baseline by 12 months) and the remodelling space left by lower resorption is small"]
fn romosozumab_frame_lumbar_spine_cosman_2016() {
    let sc = woman(70.0, 1.0);
    let placebo = Run::of(&sc);
    let treated = Run::treated(sc, vec![romosozumab(None)]);
    let spine = versus_placebo(&treated, &placebo, SPINE, years(1.0));
    within(
        "romosozumab spine vs placebo at 12 months",
        spine,
        13.3,
        2.5,
    );
}

#[test]
fn anti_tnf_serum_levels_follow_single_dose_studies() {
    let single = dose("anti_tnf", 25.0, Route::Subcutaneous, None, None);
    let run = Run::treated(woman(40.0, 0.1), vec![single]);
    let c = run.col("anti_tnf_ug_ml");
    let (k_max, c_max) = c
        .iter()
        .enumerate()
        .fold((0, 0.0), |a, (k, v)| if *v > a.1 { (k, *v) } else { a });
    // Korth-Bradley 2000 Ann Pharmacother 34:161: 25 mg SC, Cmax 1.46 +- 0.72 mg/L at 51 +- 14
    // h, half-life 68 +- 19 h.
    within("anti-TNF Cmax (mg/L)", c_max, 1.46, 0.72);
    let t_max = k_max as f64 - START;
    assert!((1.0..=4.0).contains(&t_max), "Tmax {t_max} days");
    let half_life = 7.0 * 2f64.ln()
        / (run.at("anti_tnf_ug_ml", START + 7.0) / run.at("anti_tnf_ug_ml", START + 14.0)).ln();
    within("anti-TNF half-life (h)", 24.0 * half_life, 68.0, 2.0 * 19.0);
}

fn mouse_anti_tnf() -> Treatment {
    Treatment {
        dose: DoseAmount::MgPerKg(1.0),
        start_day: 0.0,
        ..dose("anti_tnf", 0.0, Route::Subcutaneous, Some(3.5), None)
    }
}

/// TNF blockade from the day of ovariectomy prevents the trabecular loss (Kimble 1997 J Bone
/// Miner Res 12:935, TNF binding protein for 2 weeks; Roggia 2001 PNAS 98:13960, TNF-deficient
/// mice): anti-TNF 1 mg/kg twice a week keeps at least two thirds of what ovariectomy takes.
#[test]
fn anti_tnf_prevents_most_trabecular_loss_after_ovariectomy_in_mice() {
    let days = 28.0;
    let sham = Run::of(&mouse(false, days));
    let ovx = Run::of(&mouse(true, days));
    let treated = Run::treated(mouse(true, days), vec![mouse_anti_tnf()]);
    let bv = |r: &Run| r.at("trabecular_bv_tv", days);
    let loss = bv(&sham) - bv(&ovx);
    let treated_loss = bv(&sham) - bv(&treated);
    assert!(loss > 0.1 * bv(&sham), "untreated loss only {loss:.4}");
    assert!(
        treated_loss < loss / 3.0,
        "BV/TV sham {:.4}, ovariectomy {:.4}, ovariectomy + anti-TNF {:.4}",
        bv(&sham),
        bv(&ovx),
        bv(&treated)
    );
}

/// Kimble 1997 saw no effect of TNF blockade in sham-operated mice.
#[test]
fn anti_tnf_leaves_sham_mice_unchanged_kimble_1997() {
    let days = 28.0;
    let sham = Run::of(&mouse(false, days));
    let treated = Run::treated(mouse(false, days), vec![mouse_anti_tnf()]);
    let change = treated.at("trabecular_bv_tv", days) / sham.at("trabecular_bv_tv", days) - 1.0;
    eprintln!(
        "anti-TNF in sham mice: BV/TV {:+.1}% at 4 weeks",
        100.0 * change
    );
    assert!(change.abs() < 0.05, "BV/TV {:+.0}%", 100.0 * change);
}

/// Charatcharoenwitthaya 2007 J Bone Miner Res 22:724: after estrogen withdrawal in early
/// postmenopausal women, etanercept 25 mg twice a week cut the 3-week rise of serum CTX by about
/// half. Here: a 50-year-old woman whose estrogen is withdrawn on day 0 (surgically), with and
/// without etanercept from the same day; the rise is cut by 30-75%.
#[test]
fn anti_tnf_halves_the_resorption_rise_after_estrogen_withdrawal() {
    let mut replete = woman(50.0, 0.2);
    replete.estrogen = EstrogenProfile::new("constant");
    let mut withdrawn = replete.clone();
    withdrawn.estrogen = EstrogenProfile::with("ovariectomy", "ovariectomy_day", 0.0);
    let before = Run::of(&replete);
    let untreated = Run::of(&withdrawn);
    let treated = Run::treated(
        withdrawn,
        vec![Treatment {
            start_day: 0.0,
            ..dose("anti_tnf", 25.0, Route::Subcutaneous, Some(3.5), None)
        }],
    );
    let day = 21.0;
    let rise = |r: &Run| r.at(CTX, day) / before.at(CTX, day) - 1.0;
    let (without, with) = (rise(&untreated), rise(&treated));
    assert!(without > 0.15, "CTX rise without treatment {without:.2}");
    let cut = 1.0 - with / without;
    assert!(
        (0.3..=0.75).contains(&cut),
        "CTX rise at 3 weeks: {:+.0}% untreated, {:+.0}% on etanercept",
        100.0 * without,
        100.0 * with
    );
}

#[test]
fn anti_tnf_lowers_resorption_modestly_in_postmenopausal_women() {
    let sc = woman(60.0, 0.5);
    let placebo = Run::of(&sc);
    let treated = Run::treated(sc, vec![anti_tnf(None)]);
    let ctx = treated.at(CTX, 180.0) / placebo.at(CTX, 180.0) - 1.0;
    assert!(
        (-0.4..=-0.1).contains(&ctx),
        "CTX {:+.0}% at 6 months",
        100.0 * ctx
    );
    assert!(treated.at("tnf_alpha_pg_ml", 180.0) < 0.6 * placebo.at("tnf_alpha_pg_ml", 180.0));
}

/// Exercise programmes in postmenopausal women raise lumbar spine BMD by about 1% over usual
/// activity in a year (Howe 2011 Cochrane Database Syst Rev CD000333: +0.85%, 95% CI 0.62-1.07,
/// all programmes; up to +3.2% for combined programmes). Intensity 1.5 for a year: +0.5 to +3
/// points, through formation (sclerostin down, P1NP up), not resorption.
#[test]
fn exercise_gives_a_modest_spine_gain_through_formation() {
    let sc = woman(65.0, 1.0);
    let usual = Run::of(&sc);
    let active = Run::treated(sc.clone(), vec![exercise(1.5, None)]);
    let d = versus_placebo(&active, &usual, SPINE, years(1.0));
    assert!((0.5..=3.0).contains(&d), "spine {d:.2} points");
    let rel = |name: &str| active.at(name, 180.0) / usual.at(name, 180.0) - 1.0;
    assert!(
        rel("sclerostin_pm") < -0.2,
        "sclerostin {:+.2}",
        rel("sclerostin_pm")
    );
    assert!(rel("p1np_ng_ml") > 0.05, "P1NP {:+.2}", rel("p1np_ng_ml"));
    assert!(rel(CTX).abs() < 0.05, "CTX {:+.2}", rel(CTX));
    // Usual activity as a treatment changes nothing; less activity loses bone.
    let same = Run::treated(sc.clone(), vec![exercise(1.0, None)]);
    let drift = versus_placebo(&same, &usual, SPINE, years(1.0));
    assert!(
        drift.abs() < 1e-3,
        "usual activity as a treatment: {drift:e} points"
    );
    let idle = Run::treated(sc, vec![exercise(0.5, None)]);
    assert!(versus_placebo(&idle, &usual, SPINE, years(1.0)) < -0.5);
}

/// Parameters of the drug layer `layer`: | parameter | value | unit | source |.
fn parameter_table(layer: &str) -> String {
    let m = model();
    let li = m
        .layers
        .iter()
        .position(|l| l.name == layer)
        .unwrap_or_else(|| panic!("no layer {layer}"));
    let mut s = String::from("| parameter | value | unit | source |\n|---|---|---|---|\n");
    for p in m.parameters.iter().filter(|p| p.layer == li) {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} |",
            p.name,
            p.value,
            p.unit_text.replace('|', "\\|"),
            p.source.to_string().replace('|', "\\|")
        );
    }
    s
}

/// The standard regimen `treatments` for a woman of `age`: BMD change from baseline, treated
/// and untreated, at 1, 2 and 3 years, and CTX against the untreated twin.
fn regimen_table(age: f64, treatments: Vec<Treatment>) -> String {
    regimen_table_for(woman(age, 3.0), treatments)
}

/// As [`regimen_table`], for any three-year scenario.
fn regimen_table_for(sc: Scenario, treatments: Vec<Treatment>) -> String {
    let placebo = Run::of(&sc);
    let treated = Run::treated(sc, treatments);
    let mut s = String::from(
        "| year | lumbar spine % | (untreated) | total hip % | (untreated) | femoral neck % | (untreated) | CTX vs untreated % |\n|---|---|---|---|---|---|---|---|\n",
    );
    for y in [1.0, 2.0, 3.0] {
        let d = years(y);
        let _ = writeln!(
            s,
            "| {y} | {:+.1} | {:+.1} | {:+.1} | {:+.1} | {:+.1} | {:+.1} | {:+.0} |",
            treated.change(SPINE, d),
            placebo.change(SPINE, d),
            treated.change(HIP, d),
            placebo.change(HIP, d),
            treated.change(NECK, d),
            placebo.change(NECK, d),
            100.0 * (treated.at(CTX, d) / placebo.at(CTX, d) - 1.0)
        );
    }
    s
}

/// Every generated block of `docs/treatments.md`, by its marker id.
fn generated_blocks() -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    for layer in [
        "denosumab",
        "bisphosphonates",
        "alendronate",
        "zoledronic_acid",
        "estradiol",
        "raloxifene",
        "testosterone",
        "romosozumab",
        "anti_tnf",
        "teriparatide",
        "calcium_vitamin_d",
        "ev_biogenesis_inhibitor",
        "ev_neutralizing_antibody",
        "senolytic",
    ] {
        blocks.push((format!("parameters:{layer}"), parameter_table(layer)));
    }
    let regimens: Vec<(&str, f64, Vec<Treatment>)> = vec![
        ("denosumab", 72.0, vec![denosumab(None)]),
        ("alendronate", 64.0, vec![alendronate_daily(None)]),
        ("zoledronic_acid", 73.0, vec![zoledronic_acid(None)]),
        ("estradiol_oral", 51.0, vec![estradiol_oral(None)]),
        (
            "estradiol_transdermal",
            51.0,
            vec![estradiol_transdermal(None)],
        ),
        ("raloxifene", 66.0, vec![raloxifene(None)]),
        ("romosozumab", 70.0, vec![romosozumab(None)]),
        ("anti_tnf", 60.0, vec![anti_tnf(None)]),
        ("exercise", 65.0, vec![exercise(1.5, None)]),
        ("teriparatide", 69.0, vec![teriparatide(None)]),
        (
            "calcium_vitamin_d",
            60.0,
            vec![dose(
                "calcium_vitamin_d",
                1000.0,
                Route::Oral,
                Some(1.0),
                None,
            )],
        ),
    ];
    for (id, age, t) in regimens {
        blocks.push((format!("regimen:{id}"), regimen_table(age, t)));
    }
    for (id, t) in [
        ("testosterone_transdermal", testosterone_gel(None)),
        ("testosterone_intramuscular", testosterone_im(None)),
    ] {
        blocks.push((
            format!("regimen:{id}"),
            regimen_table_for(man(70.0, 3.0), vec![t]),
        ));
    }
    blocks
}

/// `text` with the block between `<!-- generated:ID -->` and `<!-- /generated:ID -->` replaced.
fn splice(text: &str, id: &str, body: &str) -> Option<String> {
    let begin = format!("<!-- generated:{id} -->\n");
    let end = format!("<!-- /generated:{id} -->");
    let i = text.find(&begin)? + begin.len();
    let j = i + text[i..].find(&end)?;
    Some(format!("{}{}{}", &text[..i], body, &text[j..]))
}

#[test]
fn treatments_doc_tables_match_the_model() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/treatments.md");
    let text = std::fs::read_to_string(&path).expect("docs/treatments.md exists");
    let mut expected = text.clone();
    for (id, body) in generated_blocks() {
        expected = splice(&expected, &id, &body)
            .unwrap_or_else(|| panic!("docs/treatments.md has no block `{id}`"));
    }
    if std::env::var_os("OSTEOSIM_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).expect("write docs/treatments.md");
        return;
    }
    assert!(
        text == expected,
        "docs/treatments.md is out of date with the model; run OSTEOSIM_UPDATE_DOCS=1 cargo test -p osteosim-model --release --test treatments"
    );
}
