//! Bone-forming treatments: romosozumab (serum levels, formation first and then waning, the
//! twelve-month gain), and teriparatide together with and against denosumab. Each test compares
//! the model with a figure or a property from outside it, so a wrong drug layer makes it fail.
//! A published figure the model cannot meet is kept as an ignored test that says why.
//! Teriparatide alone is in `pth.rs`.

mod common;

use common::{
    denosumab, romosozumab, teriparatide, versus_placebo, within, woman, years, Run, CTX, HIP,
    SPINE, START,
};
use osteosim_model::scenario::Treatment;

// ---------------------------------------------------------------------------------------------
// Romosozumab
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Teriparatide and denosumab
// ---------------------------------------------------------------------------------------------

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
