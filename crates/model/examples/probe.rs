//! Prints the quantities the validation targets look at, for quick calibration work:
//! `cargo run --release -p osteosim-model --example probe`.

use osteosim_model::builtin::{kernel, model};
use osteosim_model::scenario::Scenario;

fn main() {
    let m = model();
    let mut sc = Scenario::default_woman();
    sc.subject.age_years = 40.0;
    sc.simulation.duration_days = 40.0 * 365.25;
    sc.simulation.output_every_days = 365.25 / 12.0;
    let sim = match osteosim_model::simulation(m, kernel(), &sc) {
        Ok(s) => s,
        Err(e) => return eprintln!("{e}"),
    };
    let y0 = match sim.initial_state() {
        Ok(y) => y,
        Err(e) => return eprintln!("{e}"),
    };
    for (s, v) in m.states.iter().zip(&y0) {
        println!("{:32} {v:.6e}", s.name);
    }
    let out = match osteosim_model::run(m, kernel(), &sc, "probe") {
        Ok(o) => o,
        Err(e) => return eprintln!("{e}"),
    };
    let t = &out.table;
    let col = |n: &str| t.column(n).unwrap_or_default();
    let age = col("age_years");
    let at = |c: &[f64], a: f64| {
        let i = age
            .iter()
            .position(|x| *x >= a - 1e-6)
            .unwrap_or(age.len() - 1);
        c[i]
    };
    let fmp = 51.0;
    let (ls, fn_, ctx, p1np, e2) = (
        col("bmd_lumbar_spine_g_cm2"),
        col("bmd_femoral_neck_g_cm2"),
        col("ctx_ng_ml"),
        col("p1np_ng_ml"),
        col("estradiol_pg_ml"),
    );
    let pct = |c: &[f64], a: f64, b: f64| 100.0 * (at(c, b) - at(c, a)) / at(c, a);
    println!(
        "E2 at 45 {:.1}, at 49 {:.1}, 51 {:.1}, 53.2 {:.1}, 60 {:.1}",
        at(&e2, 45.0),
        at(&e2, 49.0),
        at(&e2, 51.0),
        at(&e2, 53.2),
        at(&e2, 60.0)
    );
    println!(
        "B1 spine FMP-5..+5 {:.2}% (target -10.6)",
        pct(&ls, fmp - 5.0, fmp + 5.0)
    );
    println!(
        "B2 FN FMP-5..+5 {:.2}% (target -9.1)",
        pct(&fn_, fmp - 5.0, fmp + 5.0)
    );
    println!(
        "B3 spine FMP-1..+2 {:.2}% (-7.4), FN {:.2}% (-5.8)",
        pct(&ls, fmp - 1.0, fmp + 2.0),
        pct(&fn_, fmp - 1.0, fmp + 2.0)
    );
    println!(
        "B4 spine annual FMP..+2 {:.2}, FMP+3..+5 {:.2}",
        pct(&ls, fmp, fmp + 2.0) / 2.0,
        pct(&ls, fmp + 3.0, fmp + 5.0) / 2.0
    );
    println!(
        "M1 CTX FMP+3 vs FMP-5 {:.1}% (60..110), P1NP {:.1}% (25..65)",
        pct(&ctx, fmp - 5.0, fmp + 3.0),
        pct(&p1np, fmp - 5.0, fmp + 3.0)
    );
    for a in [45.0, 50.0, 55.0, 60.0, 65.0, 70.0, 75.0, 80.0] {
        println!(
            "age {a}: LS {:.3} FN {:.3} TH {:.3} T_FN {:.2} BV {:.3} Po {:.3} CTX {:.2} P1NP {:.1} TNF {:.2} IL6 {:.2} fat {:.3} MOF {:.3} hip {:.3}",
            at(&ls, a), at(&fn_, a), at(&col("bmd_total_hip_g_cm2"), a), at(&col("t_score_femoral_neck"), a), at(&col("trabecular_bv_tv"), a),
            at(&col("cortical_porosity"), a), at(&ctx, a), at(&p1np, a), at(&col("tnf_alpha_pg_ml"), a), at(&col("il6_pg_ml"), a),
            at(&col("marrow_adiposity"), a), at(&col("fracture_probability_10y_major"), a), at(&col("fracture_probability_10y_hip"), a)
        );
    }
    println!("{}", out.summary["solver"]);
}
