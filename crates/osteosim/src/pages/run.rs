//! The report of one run: the time series grouped by theme, the doses, the scenario as run
//! and the solver's statistics.

use std::collections::{BTreeMap, BTreeSet};

use osteosim_engine::output::Table;
use osteosim_engine::Model;
use osteosim_model::scenario::{DoseAmount, Scenario};
use osteosim_report::{
    Axis, Block, Cell, Dataset, Mark, Plot, Report, ReportError, Section, Series, Span, Tone,
    Values,
};
use serde_json::Value;

use super::{day_axis, format_number, key_value_table, unit_of};

/// The dataset of the run's time series in the report (one column per `timeseries.csv`
/// column, in its order).
pub const DATASET: &str = "run";

/// More doses than this are shown as a shaded period instead of one mark each.
const MAX_MARKS: usize = 80;

/// A plot of the layout: its title, the y axis label, and the columns it shows (exact names,
/// or prefixes ending in `*`). Columns of different units are split into one plot per unit.
struct Layout {
    title: &'static str,
    y: &'static str,
    columns: &'static [&'static str],
    /// Shaded bands of the WHO T-score categories.
    t_score_bands: bool,
}

const fn plot(title: &'static str, y: &'static str, columns: &'static [&'static str]) -> Layout {
    Layout {
        title,
        y,
        columns,
        t_score_bands: false,
    }
}

/// The themed sections; every other column goes to "Other outputs", by model layer.
const SECTIONS: &[(&str, &[Layout])] = &[
    (
        "Estrogen",
        &[
            plot(
                "Serum estradiol",
                "estradiol",
                &["estradiol_pg_ml", "estradiol_endogenous_pg_ml"],
            ),
            plot("Estrogen receptor occupancy", "occupancy", &["er_*"]),
        ],
    ),
    (
        "Bone density",
        &[
            plot("Areal BMD by site", "BMD", &["bmd_*"]),
            Layout {
                title: "T-scores",
                y: "T-score",
                columns: &["t_score_*"],
                t_score_bands: true,
            },
            plot(
                "Trabecular and cortical bone",
                "fraction",
                &["trabecular_bv_tv", "cortical_porosity"],
            ),
            plot(
                "Matrix mineralization",
                "mineralization",
                &["mineralization_*"],
            ),
            plot(
                "10-year fracture probability",
                "probability",
                &["fracture_probability_*"],
            ),
        ],
    ),
    (
        "Turnover markers",
        &[plot(
            "CTX and P1NP",
            "serum level",
            &["ctx_ng_ml", "p1np_ng_ml"],
        )],
    ),
    (
        "RANKL, OPG and other signals",
        &[
            plot("RANKL/OPG ratio", "ratio", &["rankl_opg_ratio"]),
            plot(
                "Signalling proteins",
                "concentration",
                &["rankl_pm", "opg_pm", "sclerostin_pm", "tgfb_pm"],
            ),
        ],
    ),
    (
        "Cytokines",
        &[plot(
            "Cytokines",
            "concentration",
            &["tnf_alpha_pg_ml", "il6_pg_ml", "il7_pg_ml", "il1_pg_ml"],
        )],
    ),
    (
        "Immune cells",
        &[plot(
            "Bone-marrow immune cells",
            "cells",
            &["tnf_producing_t_cells", "regulatory_t_cells", "b_cells"],
        )],
    ),
    (
        "Bone cells",
        &[
            plot(
                "Bone cells",
                "cells",
                &["osteoclasts_active", "osteoblasts_active", "osteocytes"],
            ),
            plot("Marrow adiposity", "fat fraction", &["marrow_adiposity"]),
        ],
    ),
    (
        "Extracellular vesicles",
        &[
            plot(
                "Circulating EVs",
                "EVs",
                &["circulating_evs", "circulating_bone_evs", "aged_matrix_evs"],
            ),
            plot("EV cargo", "cargo", &["ev_cargo_*"]),
        ],
    ),
    (
        "Senescence",
        &[
            plot(
                "Senescent fraction by organ",
                "senescent fraction",
                &["senescent_fraction_*"],
            ),
            plot(
                "Systemic senescent burden",
                "burden",
                &["senescent_burden_*"],
            ),
        ],
    ),
    (
        "Survival",
        &[
            plot("Survival", "probability", &["survival_probability"]),
            plot("Mortality hazard", "hazard", &["mortality_hazard_per_year"]),
        ],
    ),
];

fn matches(pattern: &str, column: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => column.starts_with(prefix),
        None => pattern == column,
    }
}

/// The plots of `columns` (in their table order), one per unit.
fn plots_by_unit(
    model: &Model,
    title: &str,
    y: &str,
    columns: &[String],
    taken: &mut BTreeSet<String>,
) -> Vec<Plot> {
    let mut by_unit: Vec<(String, Vec<String>)> = Vec::new();
    for c in columns {
        let unit = unit_of(model, c);
        match by_unit.iter_mut().find(|(u, _)| *u == unit) {
            Some((_, cols)) => cols.push(c.clone()),
            None => by_unit.push((unit, vec![c.clone()])),
        }
        taken.insert(c.clone());
    }
    let split = by_unit.len() > 1;
    by_unit
        .into_iter()
        .map(|(unit, cols)| {
            let title = if split && !unit.is_empty() {
                format!("{title} ({unit})")
            } else {
                title.to_string()
            };
            let mut p = Plot::new(&title, day_axis(), Axis::new(y, &unit));
            for c in cols {
                p = p.with_series(Series::new(
                    &c,
                    Values::column(DATASET, "day"),
                    Values::column(DATASET, &c),
                ));
            }
            p
        })
        .collect()
}

/// The run's report page: `table` is exactly what `timeseries.csv` holds, `summary` what
/// `summary.json` holds.
pub fn report(
    model: &Model,
    scenario: &Scenario,
    label: &str,
    table: &Table,
    summary: &Value,
) -> Result<String, ReportError> {
    build(model, scenario, label, table, summary).render()
}

/// The run's report, to render or to hand its data to a page.
pub fn build(
    model: &Model,
    scenario: &Scenario,
    label: &str,
    table: &Table,
    summary: &Value,
) -> Report {
    let mut report = Report::new(
        &format!("osteosim run: {label}"),
        &format!(
            "{} {}, {} years old at day 0, estrogen profile {}; {} days simulated; osteosim {}, model {} ({})",
            scenario.subject.species.as_str(),
            scenario.subject.sex.as_str(),
            format_number(scenario.subject.age_years),
            scenario.estrogen.id,
            format_number(scenario.simulation.duration_days),
            env!("CARGO_PKG_VERSION"),
            model.name,
            summary["model"]["content_hash"].as_str().unwrap_or("-"),
        ),
    );
    report.datasets.insert(
        DATASET.to_string(),
        Dataset::from_rows(&table.columns, &table.rows, |c| unit_of(model, c)),
    );
    if let Some(changes) = summary["bmd_percent_change"].as_object() {
        for (site, change) in changes {
            if let Some(x) = change.as_f64() {
                report.facts.push((
                    format!("{site}, change over the run"),
                    Cell::new(format!("{}%", format_number(x))),
                ));
            }
        }
    }

    let columns: Vec<String> = table.columns.iter().skip(1).cloned().collect();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    taken.insert("day".into());
    for (title, layouts) in SECTIONS {
        let mut section = Section::new(title);
        for l in *layouts {
            let chosen: Vec<String> = columns
                .iter()
                .filter(|c| !taken.contains(*c) && l.columns.iter().any(|p| matches(p, c)))
                .cloned()
                .collect();
            for mut p in plots_by_unit(model, l.title, l.y, &chosen, &mut taken) {
                if l.t_score_bands {
                    p = p
                        .with_band(Some(-1.0), None, "normal (T > -1)", Tone::Good)
                        .with_band(
                            Some(-2.5),
                            Some(-1.0),
                            "osteopenia (-2.5 to -1)",
                            Tone::Warn,
                        )
                        .with_band(None, Some(-2.5), "osteoporosis (T < -2.5)", Tone::Bad)
                        .with_caption(
                            "WHO categories of the T-score; sites without a young-adult \
                             reference in the model have no T-score column.",
                        );
                }
                section.push(Block::Plot(Box::new(p)));
            }
        }
        if !section.is_empty() {
            report.sections.push(section);
        }
    }

    report
        .sections
        .push(treatments(model, scenario, &columns, &mut taken));

    // Whatever no theme took, by the layer that declares it.
    let mut by_layer: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for c in &columns {
        if taken.contains(c) {
            continue;
        }
        let layer = model
            .observables
            .iter()
            .find(|o| &o.name == c)
            .map_or(usize::MAX, |o| o.layer);
        by_layer.entry(layer).or_default().push(c.clone());
    }
    if !by_layer.is_empty() {
        let mut section = Section::new("Other outputs");
        for (layer, cols) in by_layer {
            let name = model
                .layers
                .get(layer)
                .map_or("other", |l| l.name.as_str())
                .to_string();
            for p in plots_by_unit(model, &format!("Layer {name}"), "value", &cols, &mut taken) {
                section.push(Block::Plot(Box::new(p)));
            }
        }
        report.sections.push(section);
    }

    let mut run = Section::new("The run");
    run.push(Block::Code {
        caption: "The scenario as run (every default filled in)".into(),
        text: summary["scenario"]["toml"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    });
    run.push(Block::Table(key_value_table(
        "Solver statistics",
        &summary["solver"],
    )));
    run.push(Block::Table(key_value_table("Model", &summary["model"])));
    run.push(Block::Text(format!(
        "{} output times, {} columns; the plots draw exactly the numbers of timeseries.csv.",
        table.rows.len(),
        table.columns.len()
    )));
    report.sections.push(run);
    report
}

/// Drug concentrations with their doses marked, one plot per drug given.
fn treatments(
    model: &Model,
    scenario: &Scenario,
    columns: &[String],
    taken: &mut BTreeSet<String>,
) -> Section {
    let mut section = Section::new("Treatments");
    if scenario.treatments.is_empty() {
        section.push(Block::Text("No treatment in this scenario.".into()));
        return section;
    }
    let duration = scenario.simulation.duration_days;
    let mut drugs: Vec<&str> = Vec::new();
    for t in &scenario.treatments {
        if !drugs.contains(&t.drug.as_str()) {
            drugs.push(&t.drug);
        }
    }
    let mut rows = Vec::new();
    for t in &scenario.treatments {
        let days = t.dose_days(duration);
        rows.push(vec![
            Cell::new(t.drug.clone()),
            Cell::new(t.route.map_or("-", |r| r.as_str())),
            Cell::new(match t.dose {
                DoseAmount::Mg(x) => format!("{} mg", format_number(x)),
                DoseAmount::MgPerKg(x) => format!("{} mg/kg", format_number(x)),
                DoseAmount::Intensity(x) => format!("intensity {}", format_number(x)),
            }),
            Cell::new(format_number(t.start_day)),
            Cell::new(t.every_days.map_or("single dose".into(), format_number)),
            Cell::new(t.stop_day.map_or("end of run".into(), format_number)),
            Cell::new(days.len().to_string()),
        ]);
    }
    section.push(Block::Table(osteosim_report::Table {
        caption: Some("Treatments as scheduled".into()),
        header: [
            "drug",
            "route",
            "dose",
            "start day",
            "every (d)",
            "stop day",
            "doses",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows,
    }));
    for drug in drugs {
        let file = format!("drugs/{drug}.toml");
        let prefix = format!("{drug}_");
        let chosen: Vec<String> = columns
            .iter()
            .filter(|c| {
                !taken.contains(*c)
                    && (c.starts_with(&prefix)
                        || model.observables.iter().any(|o| {
                            &o.name == *c
                                && model.layers.get(o.layer).is_some_and(|l| l.file == file)
                        }))
            })
            .cloned()
            .collect();
        if chosen.is_empty() {
            section.push(Block::Text(format!(
                "{drug}: the model writes no concentration column of its own (its effect shows in the plots above)."
            )));
            continue;
        }
        let mut marks = Vec::new();
        let mut spans = Vec::new();
        for t in scenario.treatments.iter().filter(|t| t.drug == drug) {
            let days = t.dose_days(duration);
            let label = format!("{drug} dose");
            if days.len() > MAX_MARKS {
                if let (Some(first), Some(last)) = (days.first(), days.last()) {
                    spans.push(Span {
                        from: *first,
                        to: *last,
                        label: format!(
                            "{drug} dosed every {} d ({} doses)",
                            t.every_days.map_or("-".into(), format_number),
                            days.len()
                        ),
                    });
                }
            } else if let Some((from, to)) = t.period(duration).filter(|_| days.is_empty()) {
                spans.push(Span {
                    from,
                    to,
                    label: format!("{drug} period"),
                });
            } else {
                marks.extend(days.into_iter().map(|at| Mark {
                    at,
                    label: label.clone(),
                }));
            }
        }
        for mut p in plots_by_unit(model, drug, "level", &chosen, taken) {
            p.marks = marks.clone();
            p.spans = spans.clone();
            section.push(Block::Plot(Box::new(p)));
        }
    }
    section
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::scalar;

    #[test]
    fn patterns_match_prefixes_and_names() {
        assert!(matches("bmd_*", "bmd_total_hip_g_cm2"));
        assert!(!matches("bmd_*", "t_score_femoral_neck"));
        assert!(matches("ctx_ng_ml", "ctx_ng_ml"));
        assert!(!matches("ctx_ng_ml", "ctx_ng_ml_2"));
    }

    #[test]
    fn scalars_read_as_text() {
        assert_eq!(scalar(&serde_json::json!("BDF")), "BDF");
        assert_eq!(scalar(&serde_json::json!(245)), "245");
        assert_eq!(scalar(&serde_json::json!(0.5)), "0.5");
    }
}
