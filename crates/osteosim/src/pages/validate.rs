//! The report of a validation: every target with the model's value against its published
//! band, grouped by area; where a target follows a time course (a change from day 0 read at
//! several times), the model's curve over the published points.

use std::collections::BTreeMap;

use osteosim_engine::{Kernel, Model};
use osteosim_model::catalogue::Catalogue;
use osteosim_model::scenario::{Scenario, DAYS_PER_YEAR};
use osteosim_model::validation::{self, Measure, Outcome, Target};
use osteosim_report::{
    Axis, Block, Cell, Plot, Report, ReportError, Section, Series, Style, Table, Tone, Values,
};

use super::format_number;

/// The model a validation ran against, to draw its time courses again.
pub struct Against<'a> {
    pub model: &'a Model,
    pub kernel: &'a dyn Kernel,
    pub catalogue: &'a Catalogue,
    /// "the built-in model" or the directory.
    pub label: String,
}

fn tone(o: &Outcome) -> Tone {
    match (o.pass, o.known_gap.is_some()) {
        (true, false) => Tone::Good,
        (false, false) => Tone::Bad,
        (false, true) => Tone::Warn,
        (true, true) => Tone::Warn,
    }
}

/// The model's number for a band, read from the outcome's text: the part
/// "`<band name> <number> ...`" of "`part; part; ...`".
fn value_of(model_value: &str, band_name: &str) -> Option<f64> {
    let prefix = format!("{band_name} ");
    model_value.split("; ").find_map(|part| {
        let rest = part.strip_prefix(&prefix)?;
        let token = rest.split_whitespace().next()?;
        token.trim_start_matches('+').parse::<f64>().ok()
    })
}

/// Where `x` lies in [lo, hi]: 0 at lo, 1 at hi.
fn position(x: f64, lo: f64, hi: f64) -> f64 {
    if hi > lo {
        (x - lo) / (hi - lo)
    } else if x == lo {
        0.5
    } else if x < lo {
        -1.0
    } else {
        2.0
    }
}

/// Shown positions are clipped to this range; the tables give the real values.
const SHOWN: (f64, f64) = (-1.5, 2.5);

pub fn report(outcomes: &[Outcome], against: &Against<'_>) -> Result<String, ReportError> {
    let targets: BTreeMap<String, Target> = validation::targets()
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.id.clone(), t))
        .collect();
    let passed = outcomes.iter().filter(|o| o.pass).count();
    let failed = outcomes.iter().filter(|o| o.is_unexpected()).count();
    let gaps = outcomes.iter().filter(|o| o.known_gap.is_some()).count();
    let mut report = Report::new(
        "osteosim validation",
        &format!(
            "{} published targets against {}; osteosim {}, model {} ({:016x})",
            outcomes.len(),
            against.label,
            env!("CARGO_PKG_VERSION"),
            against.model.name,
            against.model.content_hash
        ),
    );
    report.facts.push((
        "targets passed".into(),
        Cell::toned(
            format!("{passed} of {}", outcomes.len()),
            if failed == 0 { Tone::Good } else { Tone::Bad },
        ),
    ));
    report.facts.push((
        "missed (not documented)".into(),
        Cell::toned(
            failed.to_string(),
            if failed == 0 { Tone::Good } else { Tone::Bad },
        ),
    ));
    report
        .facts
        .push(("documented gaps".into(), Cell::new(gaps.to_string())));

    // Areas in the order they first appear.
    let mut areas: Vec<(String, Vec<&Outcome>)> = Vec::new();
    for o in outcomes {
        let area = targets
            .get(&o.id)
            .map_or("Other".to_string(), |t| t.section.clone());
        match areas.iter_mut().find(|(a, _)| *a == area) {
            Some((_, list)) => list.push(o),
            None => areas.push((area, vec![o])),
        }
    }

    let mut overview = Section::new("At a glance");
    overview.push(Block::Table(Table {
        caption: Some(
            "Every target: the model's value, the published band and the verdict. A documented \
             gap is a known miss that does not fail the validation."
                .into(),
        ),
        header: [
            "id",
            "area",
            "target",
            "model value",
            "band",
            "verdict",
            "calibrated",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: areas
            .iter()
            .flat_map(|(area, list)| {
                list.iter().map(move |o| {
                    vec![
                        Cell::new(o.id.clone()),
                        Cell::new(area.clone()),
                        Cell::new(o.title.clone()),
                        Cell::new(o.model_value.clone()),
                        Cell::new(o.band.clone()),
                        Cell::toned(o.verdict(), tone(o)),
                        Cell::toned(
                            if o.calibrated { "fitted" } else { "not fitted" },
                            Tone::Muted,
                        ),
                    ]
                })
            })
            .collect(),
    }));
    report.sections.push(overview);

    for (area, list) in &areas {
        let mut section = Section::new(area);
        // Every band of the area as one point: where the model's value lies in the band.
        let mut rows = Vec::new();
        let mut xs = Vec::new();
        let mut inside = (Vec::new(), Vec::new());
        let mut outside = (Vec::new(), Vec::new());
        for o in list {
            let Some(t) = targets.get(&o.id) else {
                continue;
            };
            for b in &t.band {
                let Some(v) = value_of(&o.model_value, &b.name) else {
                    continue;
                };
                let k = xs.len() as f64 + 1.0;
                xs.push(k);
                let p = position(v, b.lo, b.hi).clamp(SHOWN.0, SHOWN.1);
                let list = if b.contains(v) {
                    &mut inside
                } else {
                    &mut outside
                };
                list.0.push(k);
                list.1.push(p);
                let unit = if b.unit == "1" { "" } else { b.unit.as_str() };
                rows.push(vec![
                    Cell::new(format!("{}", xs.len())),
                    Cell::new(o.id.clone()),
                    Cell::new(b.name.clone()),
                    Cell::new(format!("{} {unit}", format_number(v))),
                    Cell::new(format!(
                        "{} to {} {unit}",
                        format_number(b.lo),
                        format_number(b.hi)
                    )),
                    if b.contains(v) {
                        Cell::toned("inside", Tone::Good)
                    } else {
                        Cell::toned("outside", Tone::Bad)
                    },
                ]);
            }
        }
        if !xs.is_empty() {
            let mut p = Plot::new(
                &format!("{area}: the model's value in each published band"),
                Axis::counting("band (row of the table below)"),
                Axis::new("position in band", ""),
            )
            .with_band(Some(0.0), Some(1.0), "the published band", Tone::Good)
            .with_y_range(SHOWN.0, SHOWN.1)
            .with_caption(
                "Where the model's value lies in each band: 0 is the band's low end, 1 its \
                 high end; values far outside are drawn at the plot's edge.",
            );
            if !inside.0.is_empty() {
                p = p.with_series(
                    Series::new(
                        "inside its band",
                        Values::inline(inside.0),
                        Values::inline(inside.1),
                    )
                    .with_style(Style::Points)
                    .with_colour(2),
                );
            }
            if !outside.0.is_empty() {
                p = p.with_series(
                    Series::new(
                        "outside its band",
                        Values::inline(outside.0),
                        Values::inline(outside.1),
                    )
                    .with_style(Style::Points)
                    .with_colour(1),
                );
            }
            section.push(Block::Plot(Box::new(p)));
            section.push(Block::Table(Table {
                caption: Some(format!("{area}: band by band")),
                header: ["#", "target", "band", "model", "published band", ""]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                rows,
            }));
        }
        for o in list {
            section.push(Block::Text(format!(
                "{} {} ({}): {} - {}",
                o.id,
                o.title,
                o.verdict(),
                o.citation,
                o.note
            )));
            if let Some(t) = targets.get(&o.id) {
                if let Some(p) = time_course(t, against) {
                    section.push(Block::Plot(Box::new(p)));
                }
            }
        }
        report.sections.push(section);
    }
    report.render()
}

/// The change from day 0 of a `change` target's column in each of its runs, over the
/// published points (band midpoints, the band as a ribbon). `None` for other targets, and
/// when a run cannot be repeated.
fn time_course(t: &Target, against: &Against<'_>) -> Option<Plot> {
    let Some(Measure::Change {
        scenario_file,
        versus,
        column,
    }) = &t.measure
    else {
        return None;
    };
    // The runs, in the order their bands come.
    let mut files: Vec<String> = Vec::new();
    for b in &t.band {
        let f = b.scenario_file.clone().or_else(|| scenario_file.clone())?;
        if !files.contains(&f) {
            files.push(f);
        }
    }
    let baseline = match versus {
        Some(v) => Some(change_curve(v, column, against)?),
        None => None,
    };
    let unit = t.band.first().map_or("%", |b| b.unit.as_str());
    let title = match versus {
        Some(v) => format!("{}: change of {column} from day 0, minus {v}", t.id),
        None => format!("{}: change of {column} from day 0", t.id),
    };
    let mut plot = Plot::new(
        &title,
        Axis::new("time since day 0", "years"),
        Axis::new("change", unit),
    )
    .with_caption(
        "Lines: the model; points: the middle of each published band, shaded to its ends.",
    );
    for (k, f) in files.iter().enumerate() {
        let (years, mut change) = change_curve(f, column, against)?;
        if let Some((base_years, base)) = &baseline {
            for (i, y) in years.iter().enumerate() {
                change[i] -= interpolate(base_years, base, *y).unwrap_or(f64::NAN);
            }
        }
        let name = f.rsplit('/').next().unwrap_or(f).trim_end_matches(".toml");
        plot = plot.with_series(
            Series::new(
                &format!("model, {name}"),
                Values::inline(years),
                Values::inline(change),
            )
            .with_colour(k),
        );
        let bands: Vec<_> = t
            .band
            .iter()
            .filter(|b| b.scenario_file.as_ref().or(scenario_file.as_ref()) == Some(f))
            .filter_map(|b| Some((b.at_years?, b.lo, b.hi)))
            .collect();
        if !bands.is_empty() {
            plot = plot.with_series(
                Series::new(
                    &format!("published, {name}"),
                    Values::inline(bands.iter().map(|b| b.0).collect()),
                    Values::inline(bands.iter().map(|b| 0.5 * (b.1 + b.2)).collect()),
                )
                .with_ribbon(
                    Values::inline(bands.iter().map(|b| b.1).collect()),
                    Values::inline(bands.iter().map(|b| b.2).collect()),
                )
                .with_style(Style::Points)
                .with_colour(k),
            );
        }
    }
    Some(plot)
}

/// (years from day 0, percent change of `column` from day 0) of one validation scenario.
fn change_curve(file: &str, column: &str, against: &Against<'_>) -> Option<(Vec<f64>, Vec<f64>)> {
    let text = validation::validation_file(file)?;
    let scenario = Scenario::parse(text, file, against.catalogue).ok()?;
    let out = osteosim_model::run(against.model, against.kernel, &scenario, file).ok()?;
    let days = out.table.column("day")?;
    let values = out.table.column(column)?;
    let first = *values.first()?;
    if first == 0.0 {
        return None;
    }
    Some((
        days.iter().map(|d| d / DAYS_PER_YEAR).collect(),
        values.iter().map(|v| 100.0 * (v - first) / first).collect(),
    ))
}

fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> Option<f64> {
    let i = xs.iter().position(|&v| v >= x)?;
    if xs[i] == x || i == 0 {
        return Some(ys[i]);
    }
    let (x0, x1, y0, y1) = (xs[i - 1], xs[i], ys[i - 1], ys[i]);
    Some(y0 + (y1 - y0) * (x - x0) / (x1 - x0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_values_are_read_from_the_outcome_text() {
        let text = "placebo, year 1 -0.41; placebo, year 2 -0.83; denosumab, year 1 +3.95";
        assert_eq!(value_of(text, "placebo, year 2"), Some(-0.83));
        assert_eq!(value_of(text, "denosumab, year 1"), Some(3.95));
        assert_eq!(value_of(text, "denosumab, year 2"), None);
        assert_eq!(value_of("spine -10.7 %", "spine"), Some(-10.7));
    }

    #[test]
    fn positions_in_a_band() {
        assert_eq!(position(5.0, 0.0, 10.0), 0.5);
        assert_eq!(position(-5.0, 0.0, 10.0), -0.5);
        assert_eq!(position(1.0, 1.0, 1.0), 0.5);
        assert_eq!(
            interpolate(&[0.0, 1.0, 2.0], &[0.0, 10.0, 30.0], 1.5),
            Some(20.0)
        );
        assert_eq!(interpolate(&[0.0, 1.0], &[0.0, 10.0], 2.0), None);
    }
}
