//! Anti-TNF: its serum levels after a single dose, TNF blockade after ovariectomy in mice and
//! after estrogen withdrawal in women, and its modest effect on resorption after the menopause.
//! Each test compares the model with a figure or a property from outside it, so a wrong drug
//! layer makes it fail.

mod common;

use common::{anti_tnf, dose, mouse, within, woman, Run, CTX, START};
use osteosim_model::scenario::{DoseAmount, EstrogenProfile, Route, Treatment};

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
