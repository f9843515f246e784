//! Fracture risk (model/fracture.toml) under treatment: the same virtual woman with and without
//! a drug, her 3-year fracture risk from the hazards behind the model's 10-year probabilities.
//! The FRAX regression itself is validation target F2 (tests/validation.rs); the relative risk
//! in a virtual FIT-1 is crates/trial/tests/fit1.rs.

mod common;

use common::{denosumab, woman, zoledronic_acid, Run};
use osteosim_model::builtin::{kernel, model};
use osteosim_model::scenario::{Scenario, Treatment, DAYS_PER_YEAR};

const MAJOR: &str = "fracture_probability_10y_major";
const HIP: &str = "fracture_probability_10y_hip";

/// The probability of at least one fracture over the run, from the hazard that each output's
/// 10-year probability stands for (`-ln(1 - p) / 10 years`), integrated day by day.
fn risk_over_run(sc: &Scenario, column: &str) -> f64 {
    let p = Run::of(sc).col(column);
    let hazard: f64 = p[1..]
        .iter()
        .map(|p| -(1.0 - p).ln() / (10.0 * DAYS_PER_YEAR))
        .sum();
    1.0 - (-hazard).exp()
}

/// Treated over untreated 3-year risk of a woman of `age`.
fn relative_risk(age: f64, treatment: Treatment, column: &str) -> f64 {
    let placebo = woman(age, 3.0);
    let mut treated = placebo.clone();
    treated.treatments = vec![treatment];
    risk_over_run(&treated, column) / risk_over_run(&placebo, column)
}

/// FREEDOM (Cummings 2009 N Engl J Med 361:756), women 60-90 (mean 72), 3 years of denosumab
/// 60 mg every 6 months: hip fracture relative risk 0.60 (95% CI 0.37-0.97). Resorption falls
/// by ~90%, but the turnover part of the risk levels off at the premenopausal level, so the
/// model's hip risk must fall within FREEDOM's interval, not far below it.
#[test]
fn denosumab_hip_fracture_risk_within_freedom() {
    let rr = relative_risk(72.0, denosumab(None), HIP);
    eprintln!("denosumab, 3 years: hip fracture relative risk {rr:.2}");
    assert!((0.37..=0.97).contains(&rr), "hip fracture RR {rr:.2}");
}

/// HORIZON-PFT (Black 2007 N Engl J Med 356:1809), women 65-89 (mean 73), zoledronic acid 5 mg
/// yearly for 3 years: hip fracture relative risk 0.59 (0.42-0.83).
#[test]
fn zoledronic_acid_hip_fracture_risk_within_horizon() {
    let rr = relative_risk(73.0, zoledronic_acid(None), HIP);
    eprintln!("zoledronic acid, 3 years: hip fracture relative risk {rr:.2}");
    assert!((0.42..=0.83).contains(&rr), "hip fracture RR {rr:.2}");
}

/// Turnover is a risk factor of its own: at the same BMD, a woman whose resorption is higher
/// has a higher fracture probability (Garnero 1996 J Bone Miner Res 11:1531). Two twins of 70
/// differ only in osteoclast survival (apoptosis 0.022 instead of 0.033 per day); the one with
/// more resorption is given a higher peak BMD
/// so that her femoral neck T-score on day 0 is the same.
#[test]
fn higher_turnover_raises_fracture_risk_at_equal_bmd() {
    let first = |sc: &Scenario, column: &str| -> f64 {
        let table = osteosim_model::run(model(), kernel(), sc, "fracture test")
            .unwrap_or_else(|e| panic!("the run failed: {e}"))
            .table;
        table.column(column).expect("column")[0]
    };
    let base = woman(70.0, 1.0 / DAYS_PER_YEAR);
    let mut fast = base.clone();
    fast.subject
        .parameters
        .insert("osteoclast_apoptosis_rate".into(), 0.022);
    // Match the T-score: scale peak femoral neck BMD by the ratio of the day-0 BMDs.
    let ratio = first(&base, "bmd_femoral_neck_g_cm2") / first(&fast, "bmd_femoral_neck_g_cm2");
    fast.subject
        .parameters
        .insert("peak_bmd_femoral_neck".into(), 0.858 * ratio);
    let (t0, t1) = (
        first(&base, "t_score_femoral_neck"),
        first(&fast, "t_score_femoral_neck"),
    );
    assert!((t0 - t1).abs() < 1e-6, "T-scores {t0:.6} and {t1:.6}");
    let (c0, c1) = (first(&base, "ctx_ng_ml"), first(&fast, "ctx_ng_ml"));
    assert!(
        c1 > 1.2 * c0,
        "CTX {c0:.3} and {c1:.3}: the twin is not faster"
    );
    for column in [MAJOR, HIP] {
        let (p0, p1) = (first(&base, column), first(&fast, column));
        assert!(p1 > p0, "{column}: {p0:.4} usual turnover, {p1:.4} faster");
    }
}
