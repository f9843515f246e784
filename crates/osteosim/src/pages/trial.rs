//! The report of a virtual trial, drawn from the outputs the trial wrote: per arm the mean
//! and the 5th-95th percentile ribbon of the main columns (`arms.csv`), the cumulative
//! incidence of each event by arm (Kaplan-Meier, `events.csv`), the relative risks and the
//! EV biomarker's discrimination (`summary.json`), and the population's baseline
//! distributions (`population.csv`, day 0 of `arms.csv`).

use std::collections::BTreeMap;
use std::path::Path;

use osteosim_engine::Model;
use osteosim_report::{
    Axis, Block, Cell, Column, Dataset, Plot, Report, Section, Series, Style, Table, Tone, Values,
};
use serde_json::Value;

use super::{day_axis, display_unit, format_number, unit_of};

/// The columns drawn per arm, when the model has them.
const MAIN_COLUMNS: [&str; 12] = [
    "bmd_lumbar_spine_g_cm2",
    "bmd_total_hip_g_cm2",
    "bmd_femoral_neck_g_cm2",
    "t_score_femoral_neck",
    "ctx_ng_ml",
    "p1np_ng_ml",
    "estradiol_pg_ml",
    "circulating_evs",
    "ev_cargo_mir34a",
    "senescent_fraction_systemic",
    "fracture_probability_10y_major",
    "survival_probability",
];

/// Bins of the baseline histograms.
const BINS: usize = 16;

/// The dataset of one arm's statistics in the report.
pub fn arm_dataset(arm: &str) -> String {
    format!("arm {arm}")
}

/// One row of `arms.csv`.
struct ArmRow {
    arm: String,
    day: f64,
    column: String,
    mean: f64,
    p5: f64,
    p95: f64,
}

fn read(dir: &Path, name: &str) -> Result<String, String> {
    std::fs::read_to_string(dir.join(name))
        .map_err(|e| format!("{}: {e}", dir.join(name).display()))
}

fn number(field: &str, file: &str, line: usize) -> Result<f64, String> {
    field
        .trim()
        .parse::<f64>()
        .map_err(|_| format!("{file} line {line}: `{field}` is not a number"))
}

/// `arm,day,column,mean,sd,p5,p50,p95`; the arm's name is whatever precedes the last seven
/// fields.
fn arm_rows(text: &str) -> Result<Vec<ArmRow>, String> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.rsplitn(8, ',').collect();
        if fields.len() != 8 {
            return Err(format!("arms.csv line {}: expected 8 fields", i + 1));
        }
        rows.push(ArmRow {
            arm: fields[7].to_string(),
            day: number(fields[6], "arms.csv", i + 1)?,
            column: fields[5].to_string(),
            mean: number(fields[4], "arms.csv", i + 1)?,
            p5: number(fields[2], "arms.csv", i + 1)?,
            p95: number(fields[0], "arms.csv", i + 1)?,
        });
    }
    Ok(rows)
}

/// One row of `events.csv`: (arm, event, day, censored).
fn event_rows(text: &str) -> Result<Vec<(String, String, f64, bool)>, String> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.rsplitn(4, ',').collect();
        if f.len() != 4 {
            return Err(format!("events.csv line {}: expected 5 fields", i + 1));
        }
        let Some((_, arm)) = f[3].split_once(',') else {
            return Err(format!("events.csv line {}: expected 5 fields", i + 1));
        };
        rows.push((
            arm.to_string(),
            f[2].to_string(),
            number(f[1], "events.csv", i + 1)?,
            f[0].trim() == "1",
        ));
    }
    Ok(rows)
}

/// The Kaplan-Meier estimate of the cumulative incidence, 1 - S(t), as a step function
/// starting at (0, 0): (times, values). `times` are event or censoring days; a censored
/// subject leaves the risk set after the events of its day.
pub fn cumulative_incidence(mut records: Vec<(f64, bool)>) -> (Vec<f64>, Vec<f64>) {
    records.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut at_risk = records.len() as f64;
    let mut survival = 1.0;
    let mut xs = vec![0.0];
    let mut ys = vec![0.0];
    let mut i = 0;
    while i < records.len() {
        let day = records[i].0;
        let mut events = 0.0;
        let mut leaving = 0.0;
        while i < records.len() && records[i].0 == day {
            if !records[i].1 {
                events += 1.0;
            }
            leaving += 1.0;
            i += 1;
        }
        if events > 0.0 && at_risk > 0.0 {
            survival *= 1.0 - events / at_risk;
        }
        at_risk -= leaving;
        let value = 1.0 - survival;
        if day == 0.0 {
            ys[0] = value;
        } else if events > 0.0 || i == records.len() {
            xs.push(day);
            ys.push(value);
        }
    }
    (xs, ys)
}

/// Counts in `BINS` equal bins over [min, max], as a step function over the bin edges (the
/// last count repeated at the right edge).
fn histogram(values: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if finite.is_empty() || hi <= lo {
        return None;
    }
    let width = (hi - lo) / BINS as f64;
    let mut counts = vec![0.0; BINS];
    for v in &finite {
        let k = (((v - lo) / width) as usize).min(BINS - 1);
        counts[k] += 1.0;
    }
    let edges: Vec<f64> = (0..=BINS).map(|k| lo + width * k as f64).collect();
    counts.push(counts[BINS - 1]);
    Some((edges, counts))
}

fn ci_text(v: &Value, key: &str, lo: &str, hi: &str) -> String {
    match (v[key].as_f64(), v[lo].as_f64(), v[hi].as_f64()) {
        (Some(x), Some(l), Some(h)) => format!(
            "{} ({} to {})",
            format_number(x),
            format_number(l),
            format_number(h)
        ),
        (Some(x), _, _) => format_number(x),
        _ => "-".to_string(),
    }
}

/// The report page of the trial whose outputs are in `dir`.
pub fn report(model: &Model, label: &str, dir: &Path) -> Result<String, String> {
    build(model, label, dir)?
        .render()
        .map_err(|e| e.to_string())
}

/// The report of the trial whose outputs are in `dir`, to render or to hand its data to a
/// page.
pub fn build(model: &Model, label: &str, dir: &Path) -> Result<Report, String> {
    let summary: Value = serde_json::from_str(&read(dir, "summary.json")?)
        .map_err(|e| format!("summary.json: {e}"))?;
    let rows = arm_rows(&read(dir, "arms.csv")?)?;
    let events = event_rows(&read(dir, "events.csv")?)?;
    let population = read(dir, "population.csv")?;

    let arms: Vec<String> = summary["arms"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|a| a["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let size = summary["population"]["size"]
        .as_u64()
        .map_or("-".into(), |n| n.to_string());
    let mut report = Report::new(
        &format!("osteosim trial: {label}"),
        &format!(
            "{} subjects in each of {} arms ({}); seed {}; osteosim {}, model {} ({})",
            size,
            arms.len(),
            arms.join(", "),
            summary["population"]["seed"],
            env!("CARGO_PKG_VERSION"),
            model.name,
            summary["model"]["content_hash"].as_str().unwrap_or("-"),
        ),
    );

    // arms.csv, one dataset per arm: day, then mean, p5 and p95 of every main column.
    let columns: Vec<&str> = MAIN_COLUMNS
        .iter()
        .copied()
        .filter(|c| rows.iter().any(|r| r.column == *c))
        .collect();
    for arm in &arms {
        let mut days: Vec<f64> = rows
            .iter()
            .filter(|r| &r.arm == arm && r.column == columns.first().copied().unwrap_or(""))
            .map(|r| r.day)
            .collect();
        days.dedup();
        let mut data = Dataset {
            columns: vec![Column {
                name: "day".into(),
                unit: "d".into(),
                values: days.clone(),
            }],
        };
        for c in &columns {
            let of: BTreeMap<u64, &ArmRow> = rows
                .iter()
                .filter(|r| &r.arm == arm && r.column == *c)
                .map(|r| (r.day.to_bits(), r))
                .collect();
            let unit = unit_of(model, c);
            for (suffix, pick) in [
                ("mean", (|r: &ArmRow| r.mean) as fn(&ArmRow) -> f64),
                ("p5", |r: &ArmRow| r.p5),
                ("p95", |r: &ArmRow| r.p95),
            ] {
                data.columns.push(Column {
                    name: format!("{c}_{suffix}"),
                    unit: unit.clone(),
                    values: days
                        .iter()
                        .map(|d| of.get(&d.to_bits()).map_or(f64::NAN, |r| pick(r)))
                        .collect(),
                });
            }
        }
        report.datasets.insert(arm_dataset(arm), data);
    }
    let mut courses = Section::new("Time courses by arm");
    courses.push(Block::Text(
        "Each line is the arm's mean; the shaded ribbon spans its 5th to 95th percentile \
         (arms.csv). Every subject is simulated in every arm."
            .into(),
    ));
    for c in &columns {
        let mut p = Plot::new(c, day_axis(), Axis::new(c, &unit_of(model, c)));
        for (k, arm) in arms.iter().enumerate() {
            let d = arm_dataset(arm);
            p = p.with_series(
                Series::new(
                    arm,
                    Values::column(&d, "day"),
                    Values::column(&d, &format!("{c}_mean")),
                )
                .with_ribbon(
                    Values::column(&d, &format!("{c}_p5")),
                    Values::column(&d, &format!("{c}_p95")),
                )
                .with_colour(k),
            );
        }
        courses.push(Block::Plot(Box::new(p)));
    }
    report.sections.push(courses);

    // Events: cumulative incidence by arm, then the relative risks.
    let mut outcome = Section::new("Fractures and death");
    let mut names: Vec<String> = Vec::new();
    for (_, e, _, _) in &events {
        if !names.contains(e) {
            names.push(e.clone());
        }
    }
    for event in &names {
        let mut p = Plot::new(
            &format!("Cumulative incidence: {}", event.replace('_', " ")),
            day_axis(),
            Axis::new("cumulative incidence", ""),
        )
        .with_caption(
            "One minus the Kaplan-Meier estimate (events.csv); a subject who dies or reaches \
             the end of the trial without the event is censored then.",
        );
        let mut highest: f64 = 0.0;
        for (k, arm) in arms.iter().enumerate() {
            let records: Vec<(f64, bool)> = events
                .iter()
                .filter(|(a, e, _, _)| a == arm && e == event)
                .map(|(_, _, d, c)| (*d, *c))
                .collect();
            if records.is_empty() {
                continue;
            }
            let (xs, ys) = cumulative_incidence(records);
            highest = ys.iter().copied().fold(highest, f64::max);
            p = p.with_series(
                Series::new(arm, Values::inline(xs), Values::inline(ys))
                    .with_style(Style::Step)
                    .with_colour(k),
            );
        }
        if highest == 0.0 {
            p = p.with_y_range(0.0, 0.05);
        }
        outcome.push(Block::Plot(Box::new(p)));
    }
    let mut risk_rows = Vec::new();
    for a in summary["arms"].as_array().into_iter().flatten() {
        let arm = a["name"].as_str().unwrap_or("-");
        for (event, e) in a["events"].as_object().into_iter().flatten() {
            let rr = ci_text(e, "relative_risk", "rr_ci_low", "rr_ci_high");
            let tone = match (e["rr_ci_low"].as_f64(), e["rr_ci_high"].as_f64()) {
                (Some(_), Some(h)) if h < 1.0 => Tone::Good,
                (Some(l), Some(_)) if l > 1.0 => Tone::Bad,
                _ => Tone::Plain,
            };
            risk_rows.push(vec![
                Cell::new(arm),
                Cell::new(event.replace('_', " ")),
                Cell::new(format!(
                    "{} of {}",
                    e["events"].as_u64().unwrap_or(0),
                    e["n"].as_u64().unwrap_or(0)
                )),
                Cell::new(e["incidence"].as_f64().map_or("-".into(), format_number)),
                Cell::toned(rr, tone),
                Cell::new(
                    e["expected_incidence"]
                        .as_f64()
                        .map_or("-".into(), format_number),
                ),
                Cell::new(
                    e["expected_relative_risk"]
                        .as_f64()
                        .map_or("-".into(), format_number),
                ),
            ]);
        }
    }
    outcome.push(Block::Table(Table {
        caption: Some(format!(
            "Events and relative risks against the first arm ({}), with 95% intervals; the \
             expected columns are the mean of each subject's own probability.",
            arms.first().map_or("-", String::as_str)
        )),
        header: [
            "arm",
            "event",
            "events",
            "incidence",
            "relative risk (95% CI)",
            "expected incidence",
            "expected relative risk",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: risk_rows,
    }));
    let mut bmd_rows = Vec::new();
    for a in summary["arms"].as_array().into_iter().flatten() {
        for (site, v) in a["bmd_percent_change"].as_object().into_iter().flatten() {
            bmd_rows.push(vec![
                Cell::new(a["name"].as_str().unwrap_or("-")),
                Cell::new(site.clone()),
                Cell::new(ci_text(v, "mean", "ci_low", "ci_high")),
            ]);
        }
    }
    outcome.push(Block::Table(Table {
        caption: Some("Mean % change of BMD from day 0 to the end, with 95% intervals".into()),
        header: vec!["arm".into(), "site".into(), "% change (95% CI)".into()],
        rows: bmd_rows,
    }));
    report.sections.push(outcome);

    report.sections.push(biomarker(&summary["biomarker"]));
    report
        .sections
        .push(baseline(model, &population, &rows, &columns, arms.first()));

    let mut about = Section::new("The trial");
    let notes: Vec<String> = summary["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(String::from))
        .collect();
    for n in notes {
        about.push(Block::Text(n));
    }
    about.push(Block::Code {
        caption: "summary.json (population and model)".into(),
        text: serde_json::to_string_pretty(&serde_json::json!({
            "trial": summary["trial"],
            "model": summary["model"],
            "population": summary["population"],
        }))
        .unwrap_or_default(),
    });
    report.sections.push(about);
    Ok(report)
}

/// How well each early level predicts fast bone loss and fast ageing, against CTX.
fn biomarker(b: &Value) -> Section {
    let mut section = Section::new("EV biomarker");
    let Some(predictors) = b["predictors"].as_object() else {
        section.push(Block::Text(
            "The trial's summary has no biomarker analysis.".into(),
        ));
        return section;
    };
    for key in ["measured", "fast_bone_loser", "fast_ager", "auc"] {
        if let Some(t) = b[key].as_str() {
            section.push(Block::Text(format!("{}: {t}.", key.replace('_', " "))));
        }
    }
    let outcomes = ["fast_bone_loser", "fast_ager"];
    let reference: Vec<Option<f64>> = outcomes
        .iter()
        .map(|o| b["predictors"]["ctx_ng_ml"][o]["auc"].as_f64())
        .collect();
    let mut rows = Vec::new();
    let mut points: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); outcomes.len()];
    for (k, (name, p)) in predictors.iter().enumerate() {
        let mut row = vec![Cell::new(if name == "ctx_ng_ml" {
            format!("{name} (reference)")
        } else {
            name.clone()
        })];
        for (j, o) in outcomes.iter().enumerate() {
            let auc = p[o]["auc"].as_f64();
            let tone = match (auc, reference[j]) {
                _ if name == "ctx_ng_ml" => Tone::Muted,
                (Some(a), Some(r)) if a > r => Tone::Good,
                _ => Tone::Plain,
            };
            row.push(Cell::toned(
                ci_text(&p[o], "auc", "ci_low", "ci_high"),
                tone,
            ));
            if let Some(a) = auc {
                points[j].0.push(k as f64 + 1.0);
                points[j].1.push(a);
            }
        }
        rows.push(row);
    }
    let mut p = Plot::new(
        "ROC AUC of each early level",
        Axis::counting("predictor (row of the table below)"),
        Axis::new("ROC AUC", ""),
    )
    .with_y_range(0.0, 1.0)
    .with_band(Some(0.0), Some(0.5), "no better than chance", Tone::Muted)
    .with_caption("Points are the area under each ROC curve; the table gives the 95% intervals.");
    for (j, (xs, ys)) in points.into_iter().enumerate() {
        p = p.with_series(
            Series::new(
                &outcomes[j].replace('_', " "),
                Values::inline(xs),
                Values::inline(ys),
            )
            .with_style(Style::Points)
            .with_colour(j),
        );
    }
    section.push(Block::Plot(Box::new(p)));
    section.push(Block::Table(Table {
        caption: Some("ROC AUC (95% CI) in the first arm; green where the level beats CTX.".into()),
        header: vec![
            "predictor".into(),
            "fast bone losers".into(),
            "fast agers".into(),
        ],
        rows,
    }));
    section
}

/// Histograms of what was drawn per subject (`population.csv`), and the day-0 spread of the
/// main columns in the first arm.
fn baseline(
    model: &Model,
    population: &str,
    rows: &[ArmRow],
    columns: &[&str],
    first_arm: Option<&String>,
) -> Section {
    let mut section = Section::new("Baseline");
    let mut lines = population.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let values: Vec<Vec<f64>> = lines
        .map(|l| {
            l.split(',')
                .map(|v| v.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    for (k, name) in header.iter().enumerate() {
        if matches!(*name, "subject" | "draws" | "measured_day") {
            continue;
        }
        let column: Vec<f64> = values
            .iter()
            .map(|r| r.get(k).copied().unwrap_or(f64::NAN))
            .collect();
        let Some((edges, counts)) = histogram(&column) else {
            continue;
        };
        let unit = if name.ends_with("_years") {
            "years".to_string()
        } else {
            model
                .parameters
                .iter()
                .find(|p| p.name == *name)
                .map(|p| display_unit(&p.unit_text))
                .unwrap_or_default()
        };
        let p = Plot::new(
            &format!("Drawn {name}"),
            Axis::new(name, &unit),
            Axis::new("subjects", ""),
        )
        .with_series(
            Series::new("subjects", Values::inline(edges), Values::inline(counts))
                .with_style(Style::Step),
        );
        section.push(Block::Plot(Box::new(p)));
    }
    if let Some(arm) = first_arm {
        let day0: Vec<Vec<Cell>> = columns
            .iter()
            .filter_map(|c| {
                let r = rows
                    .iter()
                    .find(|r| &r.arm == arm && r.column == *c && r.day == 0.0)?;
                let unit = unit_of(model, c);
                Some(vec![
                    Cell::new(*c),
                    Cell::new(unit),
                    Cell::new(format_number(r.mean)),
                    Cell::new(format!(
                        "{} to {}",
                        format_number(r.p5),
                        format_number(r.p95)
                    )),
                ])
            })
            .collect();
        section.push(Block::Table(Table {
            caption: Some(format!(
                "Day 0 in arm {arm}: mean and 5th to 95th percentile"
            )),
            header: vec![
                "column".into(),
                "unit".into(),
                "mean".into(),
                "p5 to p95".into(),
            ],
            rows: day0,
        }));
    }
    section
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kaplan_meier_with_censoring() {
        // 4 subjects: events on days 10 and 30, one censored on day 20, one on day 40.
        let (xs, ys) = cumulative_incidence(vec![
            (30.0, false),
            (10.0, false),
            (20.0, true),
            (40.0, true),
        ]);
        assert_eq!(xs, [0.0, 10.0, 30.0, 40.0]);
        // S(10) = 3/4; at 30 two remain at risk: S = 3/4 * 1/2.
        assert_eq!(ys, [0.0, 0.25, 1.0 - 0.375, 1.0 - 0.375]);
        // No event: flat at zero to the end of follow-up.
        let (xs, ys) = cumulative_incidence(vec![(100.0, true), (100.0, true)]);
        assert_eq!((xs, ys), (vec![0.0, 100.0], vec![0.0, 0.0]));
    }

    #[test]
    fn histograms_count_every_value_once() {
        let v: Vec<f64> = (0..100).map(f64::from).collect();
        let (edges, counts) = histogram(&v).unwrap();
        assert_eq!(edges.len(), BINS + 1);
        assert_eq!(counts[..BINS].iter().sum::<f64>(), 100.0);
        assert_eq!(histogram(&[1.0, 1.0]), None);
    }

    #[test]
    fn rows_of_the_trial_tables() {
        let rows = arm_rows("arm,day,column,mean,sd,p5,p50,p95\nplacebo,30,ctx_ng_ml,1,2,3,4,5\n")
            .unwrap();
        assert_eq!(
            (rows[0].arm.as_str(), rows[0].day, rows[0].column.as_str()),
            ("placebo", 30.0, "ctx_ng_ml")
        );
        assert_eq!((rows[0].mean, rows[0].p5, rows[0].p95), (1.0, 3.0, 5.0));
        let e = event_rows("subject,arm,event,day,censored\n3,a,death,100.5,0\n").unwrap();
        assert_eq!(e, [("a".to_string(), "death".to_string(), 100.5, false)]);
        assert!(arm_rows("h\nplacebo,30\n").is_err());
    }
}
