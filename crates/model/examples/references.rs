//! Reference parameters: the model normalizes several quantities by their value in a young adult
//! at steady state (`osteoclasts_reference`, `senescent_fraction_bone_reference`, ...). Those
//! values depend on the rest of the model, so after a change they must be recomputed, and since
//! they feed back, a few rounds are needed.
//!
//! `cargo run --release -p osteosim-model --example references` prints each reference next to
//! the steady-state value it stands for; with `--write` it also rewrites the model files
//! (the base parameter for women, the `[sets.subject.mouse_*]` entries for mice). The built-in
//! model is compiled in, so repeat `--write` (each run rebuilds) until it reports convergence.

use std::fs;
use std::path::{Path, PathBuf};

use osteosim_model::builtin::{kernel, model};
use osteosim_model::scenario::{EstrogenProfile, Scenario, Sex, Species};

/// Reference parameter and the output column it must equal in the reference subject.
const REFERENCES: &[(&str, &str)] = &[
    ("osteoclasts_reference", "osteoclasts_active"),
    ("osteoblasts_reference", "osteoblasts_active"),
    ("bv_tv_reference", "trabecular_bv_tv"),
    ("porosity_reference", "cortical_porosity"),
    (
        "mineralization_trabecular_reference",
        "mineralization_trabecular",
    ),
    (
        "mineralization_cortical_reference",
        "mineralization_cortical",
    ),
    (
        "senescent_fraction_bone_reference",
        "senescent_fraction_bone",
    ),
    ("senescent_burden_reference", "senescent_burden_systemic"),
    (
        "anti_osteogenic_cargo_reference",
        "anti_osteogenic_secretion",
    ),
    (
        "aged_matrix_mirna_reference",
        "aged_matrix_mirna_secretion",
    ),
    ("osteogenic_cargo_reference", "osteogenic_secretion"),
    ("rankl_ev_reference", "rankl_ev_secretion"),
];

/// The reference subjects: women at their steady-state age (natural menopause far ahead);
/// intact young mice. Men use the women's references.
const SUBJECTS: &[(Species, Sex, Option<&str>)] = &[
    (Species::Human, Sex::Female, None),
    (Species::Mouse, Sex::Female, Some("mouse_female")),
    (Species::Mouse, Sex::Male, Some("mouse_male")),
];

fn steady_values(species: Species, sex: Sex) -> Result<Vec<(String, f64, f64)>, String> {
    let m = model();
    let set = format!("{}_{}", species.as_str(), sex.as_str());
    let index = m.parameter_index("steady_state_age_years");
    let age = m
        .set("subject", &set)
        .and_then(|s| s.values.iter().find(|e| Some(e.parameter) == index))
        .map(|e| e.value)
        .ok_or_else(|| format!("no steady_state_age_years in subject set {set}"))?;
    let estrogen = match species {
        Species::Human => EstrogenProfile::with("natural_menopause", "menopause_age_years", 51.0),
        Species::Mouse => EstrogenProfile::new("sham"),
    };
    let scenario = Scenario::untreated(species, sex, age, estrogen, 1.0, 1.0);
    let sim = osteosim_model::simulation(m, kernel(), &scenario).map_err(|e| e.to_string())?;
    let out =
        osteosim_model::run(m, kernel(), &scenario, "references").map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for (param, column) in REFERENCES {
        let Some(i) = m.parameter_index(param) else {
            continue;
        };
        let current = sim.parameters()[i];
        let value = out
            .table
            .column(column)
            .and_then(|c| c.first().copied())
            .ok_or_else(|| format!("no output column {column}"))?;
        rows.push((param.to_string(), current, value));
    }
    Ok(rows)
}

fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../model")
}

/// Rewrites `value = ...` under `header` in whichever model file holds it; appends a set entry
/// to subjects.toml when a mouse set does not have it yet.
fn write_value(header: &str, value: f64, set_entry: bool) -> Result<(), String> {
    let dir = model_dir();
    let mut files = vec![];
    for entry in fs::read_dir(&dir).map_err(|e| e.to_string())? {
        let p = entry.map_err(|e| e.to_string())?.path();
        if p.extension().is_some_and(|x| x == "toml") {
            files.push(p);
        }
    }
    let needle = format!("[{header}]\nvalue = ");
    for p in &files {
        let text = fs::read_to_string(p).map_err(|e| e.to_string())?;
        if let Some(at) = text.find(&needle) {
            let start = at + needle.len();
            let end = start + text[start..].find('\n').unwrap_or(text.len() - start);
            let new = format!("{}{value:.7e}{}", &text[..start], &text[end..]);
            return fs::write(p, new).map_err(|e| e.to_string());
        }
    }
    if !set_entry {
        return Err(format!("no `[{header}]` in the model files"));
    }
    let subjects = dir.join("subjects.toml");
    let mut text = fs::read_to_string(&subjects).map_err(|e| e.to_string())?;
    text.push_str(&format!(
        "\n[{header}]\nvalue = {value:.7e}\ncalibrated = \"steady state of the young intact mouse (references example)\"\n"
    ));
    fs::write(&subjects, text).map_err(|e| e.to_string())
}

fn main() {
    let write = std::env::args().any(|a| a == "--write");
    let mut worst: f64 = 0.0;
    for (species, sex, set) in SUBJECTS {
        let rows = match steady_values(*species, *sex) {
            Ok(r) => r,
            Err(e) => return eprintln!("{}_{}: {e}", species.as_str(), sex.as_str()),
        };
        for (param, current, value) in rows {
            let rel = (value - current) / value.abs().max(1e-300);
            worst = worst.max(rel.abs());
            println!(
                "{:14} {param:38} model {current:.7e}  steady {value:.7e}  ({rel:+.2e})",
                set.unwrap_or("human_female"),
            );
            if write && rel.abs() > 1e-9 {
                let (header, set_entry) = match set {
                    None => (format!("parameters.{param}"), false),
                    Some(s) => (format!("sets.subject.{s}.{param}"), true),
                };
                if let Err(e) = write_value(&header, value, set_entry) {
                    return eprintln!("{e}");
                }
            }
        }
    }
    if worst < 1e-7 {
        println!("references converged (largest relative gap {worst:.1e})");
    } else if write {
        println!("largest relative gap {worst:.1e}: written; run again to converge");
    } else {
        println!("largest relative gap {worst:.1e}: run with --write to update the model files");
    }
}
