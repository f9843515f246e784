//! `osteosim params [--json] [--model DIR]`: every parameter with its value, unit, source,
//! layer and description.

use osteosim_engine::model::{Parameter, Source};
use osteosim_engine::Model;
use serde_json::{json, Value};

use crate::failure::{print, print_json, Failure};
use crate::models::LoadedModel;

pub fn params(loaded: &LoadedModel, as_json: bool) -> Result<(), Failure> {
    let model = loaded.model.as_ref();
    if as_json {
        print_json(&to_json(model), "the parameters")
    } else {
        print(&table(model, &loaded.describe()))
    }
}

fn layer_name(model: &Model, p: &Parameter) -> String {
    model
        .layers
        .get(p.layer)
        .map(|l| l.name.clone())
        .unwrap_or_default()
}

/// An array of [`parameter_json`] objects, one per parameter.
pub fn to_json(model: &Model) -> Value {
    Value::Array(
        model
            .parameters
            .iter()
            .map(|p| parameter_json(model, p))
            .collect(),
    )
}

/// One parameter as {name, value, unit, source, layer, description, file, line}: the one
/// JSON form of a parameter, used by `params --json` and `drugs --json`.
pub fn parameter_json(model: &Model, p: &Parameter) -> Value {
    json!({
        "name": p.name,
        "value": p.value,
        "unit": p.unit_text,
        "source": one_line(&p.source.to_string()),
        "layer": layer_name(model, p),
        "description": one_line(&p.description),
        "file": p.origin.file,
        "line": p.origin.line,
    })
}

/// A number as short as it can be written: plain for ordinary magnitudes, exponent otherwise.
pub fn format_value(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 || !v.is_finite() || (1e-4..1e7).contains(&a) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// Whitespace runs (including the line breaks of multi-line TOML strings) as single spaces.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "source: CITATION" or "calibrated: WHAT".
pub fn source_line(p: &Parameter) -> String {
    match &p.source {
        Source::Cited(s) => format!("source: {}", one_line(s)),
        Source::Calibrated(_) => one_line(&p.source.to_string()),
    }
}

const HEADER: [&str; 4] = ["name", "value", "unit", "description / source"];

/// The human form: one block per layer in manifest order; per parameter a line with name,
/// value, unit and description, and under the description its source. Columns are aligned
/// across the whole table.
pub fn table(model: &Model, which: &str) -> String {
    let cells: Vec<[String; 3]> = model
        .parameters
        .iter()
        .map(|p| [p.name.clone(), format_value(p.value), p.unit_text.clone()])
        .collect();
    let mut widths = [HEADER[0], HEADER[1], HEADER[2]].map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let indent = 2 + widths.iter().map(|w| w + 2).sum::<usize>();
    let line = |row: &[String; 3], last: &str| -> String {
        let mut s = String::from("  ");
        for (cell, w) in row.iter().zip(widths) {
            s.push_str(cell);
            s.push_str(&" ".repeat(w.saturating_sub(cell.chars().count()) + 2));
        }
        s.push_str(last);
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    };

    let n = model.parameters.len();
    let mut out = format!(
        "{} parameter{} of model `{}` ({which}), by layer\n",
        n,
        if n == 1 { "" } else { "s" },
        model.name
    );
    let header = [HEADER[0], HEADER[1], HEADER[2]].map(String::from);
    // Layers in manifest order; a parameter whose layer index is unknown goes last.
    let mut groups: Vec<(String, Vec<usize>)> = model
        .layers
        .iter()
        .map(|l| {
            let title = if l.description.trim().is_empty() {
                format!("{} ({})", l.name, l.file)
            } else {
                format!("{} ({}): {}", l.name, l.file, one_line(&l.description))
            };
            (title, Vec::new())
        })
        .collect();
    groups.push(("(no layer)".to_string(), Vec::new()));
    let last = groups.len() - 1;
    for (i, p) in model.parameters.iter().enumerate() {
        groups[p.layer.min(last)].1.push(i);
    }
    for (title, members) in groups {
        if members.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&title);
        out.push('\n');
        out.push_str(&line(&header, HEADER[3]));
        for i in members {
            let p = &model.parameters[i];
            out.push_str(&line(&cells[i], &one_line(&p.description)));
            out.push_str(&" ".repeat(indent));
            out.push_str(&source_line(p));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_short_and_exact() {
        assert_eq!(format_value(45.0), "45");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(1e-7), "1e-7");
        assert_eq!(format_value(2.5e9), "2.5e9");
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(-365.25), "-365.25");
    }

    #[test]
    fn the_builtin_table_lists_every_parameter_aligned() {
        let model = osteosim_model::builtin::model();
        let text = table(model, "the built-in model");
        for p in &model.parameters {
            assert!(
                text.lines()
                    .any(|l| l.split_whitespace().next() == Some(p.name.as_str())),
                "{} missing",
                p.name
            );
        }
        // Every header line starts its "value" column at the same place.
        let starts: Vec<usize> = text
            .lines()
            .filter(|l| l.trim_start().starts_with("name "))
            .filter_map(|l| l.find("value"))
            .collect();
        assert!(!starts.is_empty());
        assert!(starts.windows(2).all(|w| w[0] == w[1]));
    }
}
