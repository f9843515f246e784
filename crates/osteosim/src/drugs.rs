//! `osteosim drugs [--json] [--model DIR]`: every drug id of the scenario contract, what it is,
//! its routes with their usual regimens and minimum dosing intervals, whether the model can
//! give it yet, and the parameters of its layer (value, unit, source) read from the model files.
//!
//! A drug is modelled by a route when the model declares the input `<drug>_<route>`; exercise
//! is modelled when the model declares `exercise_intensity`. A drug's parameters are those of the
//! layer named after it (`model/drugs/<drug>.toml`) and of the layers it shares with other drugs
//! (the bisphosphonates' bone pools); exercise lists the loading parameters of the signalling
//! layer.

use osteosim_engine::model::{Parameter, Source};
use osteosim_engine::Model;
use osteosim_model::scenario::{Drug, Regimen};
use serde_json::{json, Value};

use crate::failure::{print, print_json, Failure};
use crate::models::LoadedModel;
use crate::params::format_value;

/// What each drug is, as the scenario contract describes it.
fn what_it_is(drug: Drug) -> &'static str {
    match drug {
        Drug::Estradiol => "17beta-estradiol replacement (HRT)",
        Drug::Raloxifene => "SERM: ER agonist in bone, antagonist in breast and uterus",
        Drug::Testosterone => "testosterone, aromatized to estradiol in bone and fat",
        Drug::Alendronate => "bisphosphonate; also cuts aged-matrix EV release",
        Drug::ZoledronicAcid => "bisphosphonate",
        Drug::Denosumab => "anti-RANKL antibody; rebound when stopped",
        Drug::Teriparatide => "intermittent PTH(1-34), anabolic",
        Drug::Romosozumab => "anti-sclerostin antibody",
        Drug::AntiTnf => "TNF-alpha blocker (etanercept-like)",
        Drug::EvBiogenesisInhibitor => "blocks exosome biogenesis (nSMase2, GW4869-like)",
        Drug::EvNeutralizingAntibody => "binds circulating bone EVs",
        Drug::Senolytic => {
            "dasatinib + quercetin, intermittent; the dose is dasatinib's, quercetin comes at 10x"
        }
        Drug::CalciumVitaminD => {
            "supplement; the dose is calcium's, vitamin D comes at 20 ug per 1000 mg"
        }
        Drug::Exercise => "mechanical loading through osteocytes (intensity 1 = usual activity)",
    }
}

/// Layers a drug shares with others, besides its own.
fn shared_layers(drug: Drug) -> &'static [&'static str] {
    match drug {
        Drug::Alendronate | Drug::ZoledronicAcid => &["bisphosphonates"],
        _ => &[],
    }
}

/// Parameters that carry exercise (it has no layer of its own).
const EXERCISE_PARAMETERS: &[&str] = &["exercise_intensity", "loading_half_effect"];

/// One route of one drug.
struct RouteRow {
    route: &'static str,
    input: String,
    modelled: bool,
    enters: Option<String>,
    bioavailability: Option<String>,
    regimen: Option<&'static Regimen>,
}

/// What the model holds for one drug.
struct DrugRow {
    drug: Drug,
    routes: Vec<RouteRow>,
    modelled: bool,
    layers: Vec<(String, String)>,
    parameters: Vec<usize>,
}

fn describe_drug(model: &Model, drug: Drug) -> DrugRow {
    let routes: Vec<RouteRow> = drug
        .routes()
        .iter()
        .map(|route| {
            let input = format!("{}_{}", drug.as_str(), route.as_str());
            let found = model.input_index(&input).map(|i| &model.inputs[i]);
            RouteRow {
                route: route.as_str(),
                modelled: found.is_some(),
                enters: found.map(|inp| model.states[inp.state].name.clone()),
                bioavailability: found.map(|inp| match &inp.bioavailability {
                    None => "1".to_string(),
                    Some(e) => {
                        let text = e.to_string();
                        match model.parameter_index(&text) {
                            Some(i) => {
                                format!("{} = {}", text, format_value(model.parameters[i].value))
                            }
                            None => text,
                        }
                    }
                }),
                regimen: Regimen::of(drug, *route),
                input,
            }
        })
        .collect();
    let mut layer_names: Vec<&str> = vec![drug.as_str()];
    layer_names.extend_from_slice(shared_layers(drug));
    let layer_ix: Vec<usize> = (0..model.layers.len())
        .filter(|&i| layer_names.contains(&model.layers[i].name.as_str()))
        .collect();
    let parameters: Vec<usize> = if drug.is_exercise() {
        EXERCISE_PARAMETERS
            .iter()
            .filter_map(|name| model.parameter_index(name))
            .collect()
    } else {
        (0..model.parameters.len())
            .filter(|&i| layer_ix.contains(&model.parameters[i].layer))
            .collect()
    };
    let modelled = if drug.is_exercise() {
        model.parameter_index("exercise_intensity").is_some()
    } else {
        routes.iter().any(|r| r.modelled)
    };
    DrugRow {
        drug,
        routes,
        modelled,
        layers: layer_ix
            .iter()
            .map(|&i| (model.layers[i].name.clone(), model.layers[i].file.clone()))
            .collect(),
        parameters,
    }
}

/// Whitespace runs as single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn layer_name(model: &Model, p: &Parameter) -> String {
    model
        .layers
        .get(p.layer)
        .map(|l| l.name.clone())
        .unwrap_or_default()
}

fn source_line(p: &Parameter) -> String {
    match &p.source {
        Source::Cited(s) => format!("source: {}", one_line(s)),
        Source::Calibrated(_) => one_line(&p.source.to_string()),
    }
}

/// An array with one object per drug id, in contract order.
pub fn to_json(model: &Model) -> Value {
    Value::Array(
        Drug::ALL
            .iter()
            .map(|&drug| {
                let row = describe_drug(model, drug);
                json!({
                    "id": drug.as_str(),
                    "description": what_it_is(drug),
                    "modelled": row.modelled,
                    "layers": row.layers.iter().map(|(name, file)| json!({"name": name, "file": file})).collect::<Vec<_>>(),
                    "routes": row.routes.iter().map(|r| json!({
                        "route": r.route,
                        "input": r.input,
                        "modelled": r.modelled,
                        "enters": r.enters,
                        "bioavailability": r.bioavailability,
                        "usual_regimen": r.regimen.map(Regimen::describe),
                        "usual_every_days": r.regimen.map(|g| g.usual_every_days),
                        "min_every_days": r.regimen.map(|g| g.min_every_days),
                    })).collect::<Vec<_>>(),
                    "parameters": row.parameters.iter().map(|&i| {
                        let p = &model.parameters[i];
                        json!({
                            "name": p.name,
                            "value": p.value,
                            "unit": p.unit_text,
                            "source": one_line(&p.source.to_string()),
                            "layer": layer_name(model, p),
                            "description": one_line(&p.description),
                        })
                    }).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// The human form: one block per drug.
pub fn table(model: &Model, which: &str) -> String {
    let rows: Vec<DrugRow> = Drug::ALL.iter().map(|&d| describe_drug(model, d)).collect();
    let modelled = rows.iter().filter(|r| r.modelled).count();
    let mut out = format!(
        "{} drug ids of the scenario contract, {modelled} modelled in {which}\n",
        rows.len()
    );
    for row in &rows {
        out.push('\n');
        out.push_str(&format!(
            "{}: {}\n",
            row.drug.as_str(),
            what_it_is(row.drug)
        ));
        let status = if !row.modelled {
            "no (refused until its layer exists)".to_string()
        } else if row.layers.is_empty() {
            "yes".to_string()
        } else {
            let files: Vec<String> = row
                .layers
                .iter()
                .map(|(name, file)| format!("{name} ({file})"))
                .collect();
            format!("yes, layer {}", files.join(", "))
        };
        out.push_str(&format!("  modelled: {status}\n"));
        if row.drug.is_exercise() {
            out.push_str(
                "  given as `intensity` from start_day to stop_day (parameter exercise_intensity)\n",
            );
        }
        for r in &row.routes {
            let usual = r
                .regimen
                .map(|g| {
                    format!(
                        "usual {}; every_days at least {}",
                        g.describe(),
                        format_value(g.min_every_days)
                    )
                })
                .unwrap_or_default();
            let input = if r.modelled {
                format!(
                    "input {} -> {} (bioavailability {})",
                    r.input,
                    r.enters.as_deref().unwrap_or("?"),
                    r.bioavailability.as_deref().unwrap_or("1")
                )
            } else {
                format!("input {} not in the model", r.input)
            };
            out.push_str(&format!("  route {}: {usual}\n    {input}\n", r.route));
        }
        if row.parameters.is_empty() {
            continue;
        }
        let cells: Vec<[String; 3]> = row
            .parameters
            .iter()
            .map(|&i| {
                let p = &model.parameters[i];
                [p.name.clone(), format_value(p.value), p.unit_text.clone()]
            })
            .collect();
        let mut widths = [0usize; 3];
        for c in &cells {
            for (w, s) in widths.iter_mut().zip(c) {
                *w = (*w).max(s.chars().count());
            }
        }
        out.push_str("  parameters:\n");
        for (c, &i) in cells.iter().zip(&row.parameters) {
            let mut line = String::from("    ");
            for (s, w) in c.iter().zip(widths) {
                line.push_str(s);
                line.push_str(&" ".repeat(w.saturating_sub(s.chars().count()) + 2));
            }
            line.push_str(&source_line(&model.parameters[i]));
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

pub fn drugs(loaded: &LoadedModel, as_json: bool) -> Result<(), Failure> {
    let model = loaded.model.as_ref();
    if as_json {
        print_json(&to_json(model), "the drug list")
    } else {
        print(&table(model, &loaded.describe()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_model_gives_the_drugs_it_has_layers_for() {
        let model = osteosim_model::builtin::model();
        let rows: Vec<DrugRow> = Drug::ALL.iter().map(|&d| describe_drug(model, d)).collect();
        for row in &rows {
            // A modelled drug lists parameters, each with a source.
            if row.modelled {
                assert!(!row.parameters.is_empty(), "{}", row.drug);
            }
            // Every route has a usual regimen.
            assert!(row.routes.iter().all(|r| r.regimen.is_some()));
        }
        let modelled = |d: Drug| rows.iter().any(|r| r.drug == d && r.modelled);
        for d in [
            Drug::Denosumab,
            Drug::Testosterone,
            Drug::Romosozumab,
            Drug::AntiTnf,
            Drug::Exercise,
        ] {
            assert!(modelled(d), "{d} should be modelled");
        }
        let zol = rows
            .iter()
            .find(|r| r.drug == Drug::ZoledronicAcid)
            .expect("zoledronic acid");
        let names: Vec<&str> = zol
            .parameters
            .iter()
            .map(|&i| model.parameters[i].name.as_str())
            .collect();
        assert!(names.contains(&"zoledronic_acid_surface_ec50"));
        assert!(names.contains(&"bisphosphonate_apoptosis_gain"));
    }
}
