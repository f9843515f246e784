//! Mouse ovariectomy quantities (targets O1, O2):
//! `cargo run --release -p osteosim-model --example mouse`.

use osteosim_model::builtin::{kernel, model};
use osteosim_model::scenario::{EstrogenProfile, Scenario, Species};

fn last(sc: &Scenario, col: &str) -> f64 {
    match osteosim_model::run(model(), kernel(), sc, "mouse") {
        Ok(o) => o
            .table
            .column(col)
            .and_then(|c| c.last().copied())
            .unwrap_or(f64::NAN),
        Err(e) => {
            eprintln!("{e}");
            f64::NAN
        }
    }
}

fn main() {
    let mut sc = Scenario::default_woman();
    sc.subject.species = Species::Mouse;
    sc.subject.age_years = 16.0 * 7.0 / 365.25;
    sc.subject.body_weight_kg = 0.022;
    sc.simulation.duration_days = 28.0;
    sc.simulation.output_every_days = 7.0;
    sc.estrogen = EstrogenProfile::new("sham");
    if let Ok(sim) = osteosim_model::simulation(model(), kernel(), &sc) {
        if let Ok(y0) = sim.initial_state() {
            for (s, v) in model().states.iter().zip(&y0) {
                println!("{:32} {v:.7e}", s.name);
            }
        }
    }
    for geno in [vec![], vec!["tnf_knockout".to_string()]] {
        sc.subject.genotype = geno.clone();
        sc.estrogen = EstrogenProfile::new("sham");
        let sham_bv = last(&sc, "trabecular_bv_tv");
        let sham_t = last(&sc, "tnf_producing_t_cells");
        sc.estrogen = EstrogenProfile::with("ovariectomy", "ovariectomy_day", 0.0);
        let ovx_bv = last(&sc, "trabecular_bv_tv");
        let ovx_t = last(&sc, "tnf_producing_t_cells");
        println!(
            "{geno:?}: BV/TV sham {sham_bv:.4} ovx {ovx_bv:.4} change {:.1}% (O1 -12..-25); TNF T cells x{:.2} (O2 1.5-3)",
            100.0 * (ovx_bv - sham_bv) / sham_bv,
            ovx_t / sham_t
        );
    }
}
