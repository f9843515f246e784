//! Antiresorptives: denosumab, alendronate and zoledronic acid, and the switch from denosumab to
//! zoledronic acid, against the published figures they are meant to reproduce, and the behaviour
//! each must show (onset, offset, rebound, persistence). Each test compares the model with a
//! figure or a property from outside it, so a wrong drug layer makes it fail. A published figure
//! the model cannot meet is kept as an ignored test that says why.

mod common;

use common::{
    alendronate_daily, denosumab, dose, versus_placebo, within, woman, years, zoledronic_acid, Run,
    CTX, HIP, NECK, SPINE, START,
};
use osteosim_model::scenario::{Route, Treatment};

// ---------------------------------------------------------------------------------------------
// Denosumab
// ---------------------------------------------------------------------------------------------

#[test]
fn denosumab_serum_levels_follow_the_label() {
    let single = Treatment {
        every_days: None,
        ..denosumab(None)
    };
    let run = Run::treated(woman(72.0, 1.0), vec![single]);
    let c = run.col("denosumab_ug_ml");
    let (k_max, c_max) = c
        .iter()
        .enumerate()
        .fold((0, 0.0), |a, (k, v)| if *v > a.1 { (k, *v) } else { a });
    // Prolia label: Cmax 6.75 (SD 1.89) ug/mL reached in 10 days (range 3-21).
    within("denosumab Cmax (ug/mL)", c_max, 6.75, 1.89);
    let t_max = k_max as f64 - START;
    assert!((3.0..=21.0).contains(&t_max), "Tmax {t_max} days");
    // Half-life after Cmax 25.4 (SD 8.5) days, read between days 30 and 90.
    let half_life = 60.0 * 2f64.ln()
        / (run.at("denosumab_ug_ml", 30.0 + START) / run.at("denosumab_ug_ml", 90.0 + START)).ln();
    within("denosumab half-life (days)", half_life, 25.4, 2.0 * 8.5);
    // Target-mediated clearance: the fall accelerates at low concentrations; little is left
    // 9 months after a dose.
    assert!(
        run.at("denosumab_ug_ml", 270.0) < 1e-3,
        "denosumab at 9 months {:e} ug/mL",
        run.at("denosumab_ug_ml", 270.0)
    );
}

#[test]
fn denosumab_suppresses_ctx_within_days() {
    let run = Run::treated(woman(72.0, 1.0), vec![denosumab(None)]);
    let before = run.at(CTX, 0.0);
    // Prolia label: CTX about 85% down by day 3, maximal by one month.
    let day3 = 1.0 - run.at(CTX, START + 3.0) / before;
    let day14 = 1.0 - run.at(CTX, START + 14.0) / before;
    let month1 = 1.0 - run.at(CTX, START + 30.0) / before;
    assert!(day3 > 0.6, "CTX only {:.0}% down on day 3", 100.0 * day3);
    assert!(day14 > 0.5, "CTX only {:.0}% down on day 14", 100.0 * day14);
    assert!(
        month1 > 0.85,
        "CTX only {:.0}% down at one month",
        100.0 * month1
    );
    // Still suppressed, though less, at the end of the 6-month interval (45-80% in the label).
    let trough = 1.0 - run.at(CTX, START + 181.0) / before;
    assert!(
        (0.45..=0.95).contains(&trough),
        "CTX {:.0}% down at the end of the interval",
        100.0 * trough
    );
}

#[test]
fn continued_denosumab_keeps_resorption_below_its_pretreatment_level() {
    let run = Run::treated(woman(72.0, 3.0), vec![denosumab(None)]);
    let before = run.at(CTX, 0.0);
    let ctx = run.col(CTX);
    let worst = ctx[START as usize + 1..]
        .iter()
        .fold(0.0_f64, |a, v| a.max(*v));
    assert!(
        worst < before,
        "CTX reaches {worst:.3} ng/mL on treatment, pretreatment {before:.3}"
    );
    for y in [1.0, 2.0, 3.0] {
        assert!(run.change(HIP, years(y)) > 0.0 && run.change(SPINE, years(y)) > 0.0);
    }
}

// T1 (FREEDOM, total hip on denosumab and placebo) is a validation target: validation/targets.toml.

/// Denosumab stops resorption within days while formation goes on for months, so bone takes up
/// calcium it no longer releases. Deposition slows when ionized calcium falls, so calcium dips
/// and PTH rises (as in FREEDOM's first month), but calcium never runs away: the first dose
/// leaves it above 0.9 mM and back within 10% of its pretreatment level by 3 months.
#[test]
fn denosumab_lowers_calcium_and_raises_pth_without_running_away() {
    let run = Run::treated(woman(72.0, 0.5), vec![denosumab(None)]);
    let (ca0, pth0) = (run.at("calcium_ionized_mm", 0.0), run.at("pth_pg_ml", 0.0));
    let ca = run.col("calcium_ionized_mm");
    let lowest = ca[..120].iter().copied().fold(f64::INFINITY, f64::min);
    assert!(
        lowest > 0.9 && lowest < ca0,
        "ionized calcium: {ca0:.3} mM before, lowest {lowest:.3} mM in the first 4 months"
    );
    let pth_peak = run.col("pth_pg_ml")[..120]
        .iter()
        .copied()
        .fold(0.0, f64::max);
    assert!(
        pth_peak > 1.2 * pth0,
        "PTH {pth0:.1} pg/mL before, peak {pth_peak:.1} in the first 4 months"
    );
    let late = run.at("calcium_ionized_mm", 91.0);
    assert!(
        (late / ca0 - 1.0).abs() < 0.1,
        "ionized calcium {late:.3} mM at 3 months, {ca0:.3} before"
    );
}

#[test]
fn stopping_denosumab_loses_the_gain_and_resorption_overshoots() {
    // Four injections (2 years), then none.
    let last = START + 3.0 * 182.0;
    let run = Run::treated(woman(72.0, 5.0), vec![denosumab(Some(last))]);
    let before = run.at(CTX, 0.0);
    let ctx = run.col(CTX);
    let (k_peak, peak) = ctx
        .iter()
        .enumerate()
        .skip(last as usize)
        .fold((0, 0.0), |a, (k, v)| if *v > a.1 { (k, *v) } else { a });
    // Bone 2011 J Clin Endocrinol Metab 96:972: markers rise above pretreatment within months
    // of the missed dose and return to it within about two years.
    assert!(
        peak > 1.2 * before,
        "CTX peaks at {:.0}% of its pretreatment level after stopping",
        100.0 * peak / before
    );
    let months_after_last = (k_peak as f64 - last) / 30.44;
    assert!(
        (6.0..=15.0).contains(&months_after_last),
        "CTX peaks {months_after_last:.1} months after the last injection"
    );
    let late = run.at(CTX, last + years(2.5));
    assert!(
        (late / before - 1.0).abs() < 0.1,
        "CTX {late:.3} 2.5 years after the last injection, pretreatment {before:.3}"
    );
    // The gain (largest at the end of the last interval) is mostly lost within 1-2 years.
    let gain = run.change(HIP, last + 182.0);
    assert!(gain > 1.0, "no hip gain on treatment ({gain:.2}%)");
    let after_1y = run.change(HIP, last + 182.0 + 365.0);
    let after_2y = run.change(HIP, last + 182.0 + 730.0);
    assert!(
        after_1y < 0.6 * gain && after_2y < 0.3 * gain,
        "hip gain {gain:.2}% at the missed dose, {after_1y:.2}% one year later, {after_2y:.2}% two years later"
    );
}

/// After stopping, BMD goes back to about its pretreatment level, not well below it (Bone 2011 J
/// Clin Endocrinol Metab 96:972: back to about baseline within 12-24 months of the last dose).
#[test]
#[ignore = "the model overshoots the loss: total hip 3.4% below its pretreatment level a year after the missed dose and 2.6% two years after; the rebound replaces matrix that matured under treatment with young, less mineralized matrix in a fast-remodelling 72-year-old skeleton (docs/model.md, known discrepancies)"]
fn stopping_denosumab_returns_the_hip_to_about_its_baseline() {
    let last = START + 3.0 * 182.0;
    let run = Run::treated(woman(72.0, 5.0), vec![denosumab(Some(last))]);
    for (after, label) in [(365.0, "a year"), (730.0, "two years")] {
        let change = run.change(HIP, last + 182.0 + after);
        assert!(
            change > -1.5,
            "total hip {change:.2}% from its pretreatment level {label} after the missed dose"
        );
    }
}

/// A switch: denosumab for two years, then one zoledronic acid infusion when the next injection
/// was due. The bisphosphonate holds resorption down while the osteoclast reserve returns, so
/// the rebound is blunted and most of the gain is kept a year later, where stopping outright
/// loses all of it (zoledronic acid after denosumab limits the loss: Anastasilakis 2019 J Bone
/// Miner Res, a 2-year prospective trial; Everts-Graber 2020 J Bone Miner Res).
#[test]
fn zoledronic_acid_after_denosumab_blunts_the_rebound() {
    let last = START + 3.0 * 182.0;
    let missed = last + 182.0;
    let stop = Run::treated(woman(72.0, 4.0), vec![denosumab(Some(last))]);
    let switch = Run::treated(
        woman(72.0, 4.0),
        vec![
            denosumab(Some(last)),
            Treatment {
                start_day: missed,
                every_days: None,
                ..zoledronic_acid(None)
            },
        ],
    );
    let before = stop.at(CTX, 0.0);
    let peak = |run: &Run| {
        run.col(CTX)[missed as usize..]
            .iter()
            .fold(0.0_f64, |a, v| a.max(*v))
    };
    assert!(
        peak(&switch) < before && peak(&stop) > before,
        "CTX peak after the missed dose: {:.3} with zoledronic acid, {:.3} without, {before:.3} before treatment",
        peak(&switch),
        peak(&stop)
    );
    let (gain, kept, lost) = (
        switch.change(HIP, missed),
        switch.change(HIP, missed + 365.0),
        stop.change(HIP, missed + 365.0),
    );
    assert!(
        kept > 0.5 * gain && kept > lost + 2.0,
        "total hip {gain:.2}% at the switch, {kept:.2}% a year later ({lost:.2}% without it)"
    );
}

// ---------------------------------------------------------------------------------------------
// Bisphosphonates
// ---------------------------------------------------------------------------------------------

/// Alendronate 10 mg/day lowers resorption by about half at a year (Bauer 2004 J Bone Miner Res
/// 19:1250). Its spine gain over placebo (Liberman 1995) is validation target T2.
#[test]
fn alendronate_halves_resorption_at_one_year() {
    let sc = woman(64.0, 1.0);
    let placebo = Run::of(&sc);
    let treated = Run::treated(sc, vec![alendronate_daily(None)]);
    let ctx = treated.at(CTX, years(1.0)) / placebo.at(CTX, years(1.0));
    assert!(
        (0.3..=0.6).contains(&ctx),
        "CTX at 1 year is {:.0}% of placebo",
        100.0 * ctx
    );
}

#[test]
fn weekly_and_daily_alendronate_are_equivalent() {
    // 70 mg once a week and 10 mg a day give the same gains (Schnitzer 2000 Aging (Milano)
    // 12:1).
    let sc = woman(64.0, 2.0);
    let daily = Run::treated(sc.clone(), vec![alendronate_daily(None)]);
    let weekly = Run::treated(
        sc,
        vec![dose("alendronate", 70.0, Route::Oral, Some(7.0), None)],
    );
    let (a, b) = (
        daily.change(SPINE, years(2.0)),
        weekly.change(SPINE, years(2.0)),
    );
    assert!((a - b).abs() < 1.0, "daily {a:.2}%, weekly {b:.2}%");
}

#[test]
fn bisphosphonate_doses_split_between_bone_and_urine() {
    // Alendronate: ~0.64% absorbed (Gertz 1995), half of it retained by bone.
    let sc = woman(64.0, 0.1);
    let run = Run::treated(
        sc.clone(),
        vec![dose("alendronate", 70.0, Route::Oral, None, None)],
    );
    let retained = run.at("alendronate_skeletal_mg", START + 3.0);
    within(
        "alendronate retained 3 days after 70 mg (mg)",
        retained,
        70.0 * 0.0064 * 0.5,
        0.03,
    );
    // Zoledronic acid: 39 +- 16% of a dose in urine within 24 h (Chen 2002).
    let run = Run::treated(sc, vec![zoledronic_acid(None)]);
    let retained = run.at("zoledronic_acid_skeletal_mg", START + 2.0) / 5.0;
    within(
        "zoledronic acid share retained at 2 days",
        retained,
        0.61,
        0.16,
    );
}

#[test]
fn alendronate_effect_outlasts_the_last_dose_by_years() {
    let sc = woman(64.0, 6.0);
    let placebo = Run::of(&sc);
    let treated = Run::treated(sc, vec![alendronate_daily(Some(years(3.0)))]);
    // Three years after the last tablet, resorption is still below the untreated twin's and
    // most of the spine gain is kept (FLEX: Black 2006 JAMA 296:2927, markers rise only slowly
    // and BMD drifts down over years after stopping).
    let ctx = treated.at(CTX, years(6.0)) / placebo.at(CTX, years(6.0));
    assert!(
        ctx < 0.85,
        "CTX 3 years after stopping is {:.0}% of placebo",
        100.0 * ctx
    );
    let at_stop = versus_placebo(&treated, &placebo, SPINE, years(3.0));
    let later = versus_placebo(&treated, &placebo, SPINE, years(6.0));
    assert!(
        later > 0.5 * at_stop,
        "spine gain {at_stop:.2} points at the last dose, {later:.2} three years later"
    );
    assert!(
        treated.at("alendronate_skeletal_mg", years(6.0))
            > 0.5 * treated.at("alendronate_skeletal_mg", years(3.0))
    );
}

#[test]
fn one_zoledronic_acid_infusion_acts_for_years() {
    let sc = woman(73.0, 3.0);
    let placebo = Run::of(&sc);
    let single = Treatment {
        every_days: None,
        ..zoledronic_acid(None)
    };
    let treated = Run::treated(sc, vec![single]);
    // A single infusion keeps resorption down for at least a year (Reid 2002 N Engl J Med
    // 346:653: one 4 mg infusion as effective over a year as more frequent dosing); the drug
    // buried in bone keeps acting after that.
    for y in [1.0, 2.0, 3.0] {
        let ctx = treated.at(CTX, years(y)) / placebo.at(CTX, years(y));
        assert!(
            ctx < 0.9,
            "CTX {:.0}% of placebo {y} years after one infusion",
            100.0 * ctx
        );
        assert!(versus_placebo(&treated, &placebo, NECK, years(y)) > 1.0);
    }
}
