//! `osteosim drugs [--json] [--model DIR]`: every drug id the model's catalogue declares, what
//! it is, its routes with their usual regimens and minimum dosing intervals, and the parameters
//! of its layer (value, unit, source), all read from the model files.
//!
//! A drug's parameters are those of the file that declares it and of the layers it shares with
//! other drugs (`shared_layers`, e.g. the bisphosphonates' bone pools); a treatment with no
//! file of its own (exercise) lists the `parameters` its catalogue entry names.

use osteosim_engine::Model;
use osteosim_model::catalogue::{sorted_ids, Catalogue, DrugEntry, Regimen};
use serde_json::{json, Value};

use crate::failure::{print, print_json, Failure};
use crate::models::LoadedModel;
use crate::params::{format_value, one_line, parameter_json, source_line};

/// One route of one drug.
struct RouteRow<'c> {
    regimen: &'c Regimen,
    enters: Option<String>,
    bioavailability: Option<String>,
}

/// What the model holds for one drug.
struct DrugRow<'c> {
    drug: &'c DrugEntry,
    routes: Vec<RouteRow<'c>>,
    layers: Vec<(String, String)>,
    parameters: Vec<usize>,
}

fn describe_drug<'c>(model: &Model, drug: &'c DrugEntry) -> DrugRow<'c> {
    let routes: Vec<RouteRow> = drug
        .routes
        .iter()
        .map(|regimen| {
            let found = model.input_index(&regimen.input).map(|i| &model.inputs[i]);
            RouteRow {
                regimen,
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
            }
        })
        .collect();
    // Its own file, unless that file is a core layer that declares it in passing (exercise).
    let layer_ix: Vec<usize> = (0..model.layers.len())
        .filter(|&i| {
            let layer = &model.layers[i];
            (drug.parameters.is_empty() && layer.file == drug.file)
                || drug.shared_layers.contains(&layer.name)
        })
        .collect();
    let parameters: Vec<usize> = if drug.parameters.is_empty() {
        (0..model.parameters.len())
            .filter(|&i| layer_ix.contains(&model.parameters[i].layer))
            .collect()
    } else {
        drug.parameters
            .iter()
            .filter_map(|name| model.parameter_index(name))
            .collect()
    };
    DrugRow {
        drug,
        routes,
        layers: layer_ix
            .iter()
            .map(|&i| (model.layers[i].name.clone(), model.layers[i].file.clone()))
            .collect(),
        parameters,
    }
}

/// Every drug of the catalogue, in id order.
fn rows<'c>(model: &Model, catalogue: &'c Catalogue) -> Vec<DrugRow<'c>> {
    sorted_ids(&catalogue.drugs)
        .into_iter()
        .filter_map(|id| catalogue.drug(id))
        .map(|d| describe_drug(model, d))
        .collect()
}

/// An array with one object per drug id, in id order.
pub fn to_json(model: &Model, catalogue: &Catalogue) -> Value {
    Value::Array(
        rows(model, catalogue)
            .iter()
            .map(|row| {
                let drug = row.drug;
                json!({
                    "id": drug.id,
                    "description": drug.description,
                    "aliases": drug.aliases,
                    "species": drug.species.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                    "file": drug.file,
                    "modelled": true,
                    "intensity_parameter": drug.intensity_parameter,
                    "layers": row.layers.iter().map(|(name, file)| json!({"name": name, "file": file})).collect::<Vec<_>>(),
                    "routes": row.routes.iter().map(|r| json!({
                        "route": r.regimen.route.as_str(),
                        "input": r.regimen.input,
                        "modelled": r.enters.is_some(),
                        "enters": r.enters,
                        "bioavailability": r.bioavailability,
                        "usual_regimen": r.regimen.describe(),
                        "usual_every_days": r.regimen.usual_every_days,
                        "min_every_days": r.regimen.min_every_days,
                        "max_dose_multiple": r.regimen.max_dose_multiple,
                        "why": r.regimen.why,
                        "source": r.regimen.source,
                    })).collect::<Vec<_>>(),
                    "parameters": row.parameters.iter().map(|&i| parameter_json(model, &model.parameters[i])).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// The human form: one block per drug.
pub fn table(model: &Model, catalogue: &Catalogue, which: &str) -> String {
    let rows = rows(model, catalogue);
    let mut out = format!("{} drugs in {which}\n", rows.len());
    for row in &rows {
        let drug = row.drug;
        out.push('\n');
        out.push_str(&format!("{}: {}\n", drug.id, drug.description));
        if !drug.aliases.is_empty() {
            out.push_str(&format!("  also written: {}\n", drug.aliases.join(", ")));
        }
        let files: Vec<String> = row
            .layers
            .iter()
            .map(|(name, file)| format!("{name} ({file})"))
            .collect();
        if files.is_empty() {
            out.push_str(&format!("  declared in {}\n", drug.file));
        } else {
            out.push_str(&format!("  layer {}\n", files.join(", ")));
        }
        if let Some(p) = &drug.intensity_parameter {
            out.push_str(&format!(
                "  given as `intensity` from start_day to stop_day (parameter {p})\n"
            ));
        }
        for r in &row.routes {
            let g = r.regimen;
            out.push_str(&format!(
                "  route {}: usual {}; every_days at least {}\n    input {} -> {} (bioavailability {})\n    source: {}\n",
                g.route,
                g.describe(),
                format_value(g.min_every_days),
                g.input,
                r.enters.as_deref().unwrap_or("?"),
                r.bioavailability.as_deref().unwrap_or("1"),
                one_line(&g.source),
            ));
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
        print_json(&to_json(model, &loaded.catalogue), "the drug list")
    } else {
        print(&table(model, &loaded.catalogue, &loaded.describe()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_drug_lists_parameters_with_sources_and_shared_pools() {
        let model = osteosim_model::builtin::model();
        let catalogue = Catalogue::builtin();
        let rows = rows(model, catalogue);
        assert_eq!(rows.len(), catalogue.drugs.len());
        for row in &rows {
            assert!(!row.parameters.is_empty(), "{}", row.drug.id);
            assert!(
                row.routes.iter().all(|r| r.enters.is_some()),
                "{}",
                row.drug.id
            );
        }
        // A drug sharing a layer lists its own parameters and the shared ones.
        let shared = rows
            .iter()
            .find(|r| !r.drug.shared_layers.is_empty())
            .expect("a drug with a shared layer");
        let layers: Vec<usize> = row_layers(model, shared);
        assert!(layers.len() >= 2, "{layers:?}");
    }

    fn row_layers(model: &Model, row: &DrugRow<'_>) -> Vec<usize> {
        let mut v: Vec<usize> = row
            .parameters
            .iter()
            .map(|&i| model.parameters[i].layer)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}
