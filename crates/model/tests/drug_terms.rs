//! What holds for every drug layer at once: without a dose every drug term is exactly zero, a
//! dose on day 0 runs, and a looser solver tolerance stays close to the default.
//!
//! `docs/treatments.md` carries tables generated here (the drug layers' parameters and the
//! simulated standard regimens); regenerate them with
//! `OSTEOSIM_UPDATE_DOCS=1 cargo test -p osteosim-model --release --test drug_terms`.

mod common;

use std::fmt::Write;
use std::path::PathBuf;

use common::{
    alendronate_daily, anti_tnf, denosumab, dose, estradiol_oral, estradiol_transdermal, exercise,
    man, raloxifene, romosozumab, teriparatide, testosterone_gel, testosterone_im, woman, years,
    zoledronic_acid, Run, CTX, HIP, NECK, SPINE,
};
use osteosim_model::builtin::{kernel, model};
use osteosim_model::scenario::{Route, Scenario, Treatment};

// ---------------------------------------------------------------------------------------------
// No drug, no effect
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Solver tolerance
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// docs/treatments.md: generated tables
// ---------------------------------------------------------------------------------------------

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
        "docs/treatments.md is out of date with the model; run OSTEOSIM_UPDATE_DOCS=1 cargo test -p osteosim-model --release --test drug_terms"
    );
}
