//! Reference tables of `docs/model.md`, generated from the model files so that they cannot
//! drift: per layer, its states, its processes (the equations), its assignments and its
//! parameters with value, unit and source.

use std::fmt::Write;

use osteosim_engine::model::{Initial, Model};

/// Markers between which `docs/model.md` holds the generated reference.
pub const BEGIN: &str = "<!-- generated:begin (do not edit by hand: `OSTEOSIM_UPDATE_DOCS=1 cargo test -p osteosim-model --test docs`) -->";
pub const END: &str = "<!-- generated:end -->";

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The generated reference section for `model`.
pub fn reference(model: &Model) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Model `{}`: {} states, {} parameters, {} assignments, {} processes, {} observables.\n",
        model.name,
        model.states.len(),
        model.parameters.len(),
        model.assignments.len(),
        model.processes.len(),
        model.observables.len()
    );
    for (li, layer) in model.layers.iter().enumerate() {
        let _ = writeln!(s, "### Layer `{}` ({})\n", layer.name, layer.file);
        let states: Vec<_> = model.states.iter().filter(|x| x.layer == li).collect();
        if !states.is_empty() {
            let _ = writeln!(
                s,
                "**States**\n\n| state | unit | initial | description |\n|---|---|---|---|"
            );
            for st in states {
                let init = match &st.initial {
                    Initial::Steady { .. } => "steady state".to_string(),
                    Initial::Value(e) => format!("`{e}`"),
                };
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {} | {} |",
                    st.name,
                    cell(&st.unit_text),
                    init,
                    cell(&st.description)
                );
            }
            let _ = writeln!(s);
        }
        let procs: Vec<_> = model.processes.iter().filter(|x| x.layer == li).collect();
        if !procs.is_empty() {
            let _ = writeln!(s, "**Processes** (rate, and the states it changes)\n\n| process | rate | changes |\n|---|---|---|");
            for p in procs {
                let changes: Vec<String> = p
                    .stoichiometry
                    .iter()
                    .map(|(i, c)| {
                        let sign = if *c < 0.0 { "-" } else { "+" };
                        let mag = c.abs();
                        if mag == 1.0 {
                            format!("{sign}`{}`", model.states[*i].name)
                        } else {
                            format!("{sign}{mag} `{}`", model.states[*i].name)
                        }
                    })
                    .collect();
                let _ = writeln!(
                    s,
                    "| `{}` | `{}` | {} |",
                    p.name,
                    cell(p.text.trim()),
                    changes.join(" ")
                );
            }
            let _ = writeln!(s);
        }
        let assigns: Vec<_> = model.assignments.iter().filter(|x| x.layer == li).collect();
        if !assigns.is_empty() {
            let _ = writeln!(
                s,
                "**Assignments**\n\n| name | expression | unit |\n|---|---|---|"
            );
            let mut assigns = assigns;
            assigns.sort_by_key(|a| (a.origin.line, a.name.clone()));
            for a in assigns {
                let _ = writeln!(
                    s,
                    "| `{}` | `{}` | {} |",
                    a.name,
                    cell(a.text.trim()),
                    cell(&a.unit_text)
                );
            }
            let _ = writeln!(s);
        }
        let params: Vec<_> = model.parameters.iter().filter(|x| x.layer == li).collect();
        if !params.is_empty() {
            let _ = writeln!(s, "**Parameters**\n\n| parameter | value | unit | source | description |\n|---|---|---|---|---|");
            for p in params {
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {} | {} | {} |",
                    p.name,
                    p.value,
                    cell(&p.unit_text),
                    cell(&p.source.to_string()),
                    cell(&p.description)
                );
            }
            let _ = writeln!(s);
        }
        let sets: Vec<_> = model.sets.iter().filter(|x| x.layer == li).collect();
        if !sets.is_empty() {
            let _ = writeln!(
                s,
                "**Parameter sets**\n\n| set | parameter | value | source |\n|---|---|---|---|"
            );
            for set in sets {
                for v in &set.values {
                    let _ = writeln!(
                        s,
                        "| `{}.{}` | `{}` | {} | {} |",
                        set.group,
                        set.variant,
                        model.parameters[v.parameter].name,
                        v.value,
                        cell(&v.source.to_string())
                    );
                }
            }
            let _ = writeln!(s);
        }
    }
    s
}

/// `text` with the part between [`BEGIN`] and [`END`] replaced by `generated`; None if the
/// markers are missing.
pub fn splice(text: &str, generated: &str) -> Option<String> {
    splice_between(text, BEGIN, END, generated)
}

/// `text` with the section between the markers `begin` and `end` replaced by `generated`
/// (`None` when a marker is missing).
pub fn splice_between(text: &str, begin: &str, end: &str, generated: &str) -> Option<String> {
    let start = text.find(begin)? + begin.len();
    let stop = text[start..].find(end)? + start;
    Some(format!(
        "{}\n\n{}\n{}",
        &text[..start],
        generated.trim_end(),
        &text[stop..]
    ))
}

/// The README's list of what the built-in catalogue holds, between these markers.
pub const CATALOGUE_BEGIN: &str = "<!-- catalogue: generated from the model files; do not edit -->";
pub const CATALOGUE_END: &str = "<!-- end of catalogue -->";

/// The drugs (with routes and usual regimens), genotypes and estrogen profiles of `catalogue`,
/// as Markdown, in id order.
pub fn catalogue_markdown(catalogue: &crate::catalogue::Catalogue) -> String {
    use crate::catalogue::sorted_ids;
    let mut s = String::new();
    let _ = writeln!(s, "| drug | what it is | usual regimen |");
    let _ = writeln!(s, "|---|---|---|");
    for id in sorted_ids(&catalogue.drugs) {
        let Some(d) = catalogue.drug(id) else {
            continue;
        };
        let regimen = match &d.intensity_parameter {
            Some(p) => format!("`intensity` (parameter `{p}`)"),
            None => d
                .routes
                .iter()
                .map(|r| r.describe())
                .collect::<Vec<_>>()
                .join("; "),
        };
        let _ = writeln!(s, "| `{id}` | {} | {regimen} |", d.description);
    }
    let _ = writeln!(s);
    let genotypes: Vec<String> = sorted_ids(&catalogue.genotypes)
        .iter()
        .map(|g| format!("`{g}`"))
        .collect();
    let _ = writeln!(s, "Genotypes: {}.", genotypes.join(", "));
    let _ = writeln!(s);
    let profiles: Vec<String> = sorted_ids(&catalogue.profiles)
        .iter()
        .map(|p| format!("`{p}`"))
        .collect();
    let _ = writeln!(s, "Estrogen profiles: {}.", profiles.join(", "));
    s
}

/// `text` with the part between the catalogue markers replaced by `generated`; None if the
/// markers are missing.
pub fn splice_catalogue(text: &str, generated: &str) -> Option<String> {
    let start = text.find(CATALOGUE_BEGIN)? + CATALOGUE_BEGIN.len();
    let end = text[start..].find(CATALOGUE_END)? + start;
    Some(format!(
        "{}\n\n{}\n\n{}",
        &text[..start],
        generated.trim_end(),
        &text[end..]
    ))
}
