//! From committed chunks to the trial's outputs: parts joined into `subjects.parquet`,
//! per-arm statistics by day (`arms.csv`), per-subject events (`events.csv`), the drawn
//! population (`population.csv`) and `summary.json`. Everything is computed from the parts
//! in chunk order, so the outputs do not depend on the thread count or on interruptions.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::subject::{ChunkDocument, SubjectRecord, OUTCOME_WINDOW_DAYS};
use super::{
    Context, TrialError, ARMS_FILE, BMD_SITES, EVENTS, EVENTS_FILE, POPULATION_FILE,
    PREDICTOR_COLUMNS, SUBJECTS_FILE, SUMMARY_FILE,
};
use crate::stats::{in_top_quartile, mean_ci, quantile_sorted, risk, roc_auc};
use crate::store::{concatenate, read_part_document, scan_column, write_atomically, StoreError};

/// Values held at once while computing percentiles (f64 each): 64 MB.
const PERCENTILE_BUDGET_VALUES: usize = 8 * 1024 * 1024;

fn output_error(e: impl std::fmt::Display) -> TrialError {
    TrialError::Output(e.to_string())
}

fn io_error(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// A number for CSV: shortest exact form; empty when absent.
fn num(x: Option<f64>) -> String {
    x.map(|v| format!("{v}")).unwrap_or_default()
}

pub(crate) fn finalize(
    ctx: &Context<'_>,
    parts: &[PathBuf],
    work: &Path,
    out: &Path,
) -> Result<Vec<PathBuf>, TrialError> {
    // The records of every subject, in order.
    let mut records: Vec<SubjectRecord> = Vec::with_capacity(ctx.trial.population.size as usize);
    let mut rows: u64 = 0;
    for part in parts {
        let (n, doc) = read_part_document(part).map_err(output_error)?;
        let doc: ChunkDocument = serde_json::from_str(&doc)
            .map_err(|e| TrialError::Output(format!("{}: {e}", part.display())))?;
        rows += n;
        records.extend(doc.subjects);
    }
    let staging = work.join("staging");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| output_error(io_error(&staging, e)))?;

    let subjects = staging.join(SUBJECTS_FILE);
    concatenate(parts, &ctx.layout, &subjects).map_err(output_error)?;
    write_arms(
        ctx,
        &subjects,
        records.len() as u64,
        rows,
        &staging.join(ARMS_FILE),
    )?;
    write_events(ctx, &records, &staging.join(EVENTS_FILE))?;
    write_population(ctx, &records, &staging.join(POPULATION_FILE))?;
    let summary = summary(ctx, &records);
    let mut bytes = serde_json::to_vec_pretty(&summary).map_err(output_error)?;
    bytes.push(b'\n');
    let summary_path = staging.join(SUMMARY_FILE);
    write_atomically(&summary_path, |mut f| {
        f.write_all(&bytes).map_err(|e| io_error(&summary_path, e))
    })
    .map_err(output_error)?;

    // Every output is complete: move them into place.
    let mut files = Vec::new();
    for name in [
        SUBJECTS_FILE,
        ARMS_FILE,
        EVENTS_FILE,
        POPULATION_FILE,
        SUMMARY_FILE,
    ] {
        let dest = out.join(name);
        std::fs::rename(staging.join(name), &dest).map_err(|e| output_error(io_error(&dest, e)))?;
        files.push(dest);
    }
    Ok(files)
}

/// A text file written through a buffer, synced, renamed into place.
fn write_text(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), TrialError> {
    write_atomically(path, |f| {
        let mut w = BufWriter::new(f);
        fill(&mut w)
            .and_then(|()| w.flush())
            .map_err(|e| io_error(path, e))
    })
    .map_err(output_error)
}

/// `arms.csv`: arm, day, column, mean, sd, p5, p50, p95 of every column but `day`, exact
/// percentiles computed column by column from `subjects.parquet`, with at most
/// [`PERCENTILE_BUDGET_VALUES`] values in memory (days are taken in blocks when needed).
#[allow(clippy::needless_range_loop)] // k names a parquet column as well as a slot
fn write_arms(
    ctx: &Context<'_>,
    subjects: &Path,
    n: u64,
    rows: u64,
    path: &Path,
) -> Result<(), TrialError> {
    let arms = ctx.trial.arms.len();
    let per_subject = rows / n.max(1);
    let days_count = (per_subject / arms.max(1) as u64) as usize;
    let mut days = Vec::with_capacity(days_count);
    scan_column(subjects, &ctx.layout, 0, |row, v| {
        if (row as usize) < days_count {
            days.push(v);
        }
    })
    .map_err(output_error)?;
    let columns = &ctx.layout.value_columns;
    // stats[arm][day][column] = (mean, sd, p5, p50, p95)
    let mut stats = vec![vec![vec![[f64::NAN; 5]; columns.len()]; days_count]; arms];
    let block = (PERCENTILE_BUDGET_VALUES / (n as usize * arms).max(1)).clamp(1, days_count.max(1));
    for k in 1..columns.len() {
        let mut d0 = 0;
        while d0 < days_count {
            let d1 = (d0 + block).min(days_count);
            let mut values: Vec<Vec<f64>> = vec![Vec::with_capacity(n as usize); arms * (d1 - d0)];
            scan_column(subjects, &ctx.layout, k, |row, v| {
                let within = (row % per_subject) as usize;
                let (arm, day) = (within / days_count, within % days_count);
                if (d0..d1).contains(&day) {
                    values[arm * (d1 - d0) + day - d0].push(v);
                }
            })
            .map_err(output_error)?;
            for (g, v) in values.iter_mut().enumerate() {
                let (arm, day) = (g / (d1 - d0), d0 + g % (d1 - d0));
                let len = v.len() as f64;
                let mean = v.iter().sum::<f64>() / len;
                let sd = if v.len() > 1 {
                    (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (len - 1.0)).sqrt()
                } else {
                    0.0
                };
                v.sort_by(f64::total_cmp);
                let q = |p| quantile_sorted(v, p).unwrap_or(f64::NAN);
                stats[arm][day][k] = [mean, sd, q(0.05), q(0.5), q(0.95)];
            }
            d0 = d1;
        }
    }
    write_text(path, |w| {
        writeln!(w, "arm,day,column,mean,sd,p5,p50,p95")?;
        for (a, arm) in ctx.trial.arms.iter().enumerate() {
            for (d, day) in days.iter().enumerate() {
                for (k, column) in columns.iter().enumerate().skip(1) {
                    let [mean, sd, p5, p50, p95] = stats[a][d][k];
                    writeln!(
                        w,
                        "{},{day},{column},{mean},{sd},{p5},{p50},{p95}",
                        arm.name
                    )?;
                }
            }
        }
        Ok(())
    })
}

/// `events.csv`: one row per subject, arm and modelled event: the day it happened, or the
/// day follow-up ended without it (censored = 1: at death or at the end of the trial).
fn write_events(
    ctx: &Context<'_>,
    records: &[SubjectRecord],
    path: &Path,
) -> Result<(), TrialError> {
    let end = ctx.trial.simulation.duration_days;
    let modelled = event_availability(ctx);
    write_text(path, |w| {
        writeln!(w, "subject,arm,event,day,censored")?;
        for r in records {
            for (a, arm) in ctx.trial.arms.iter().enumerate() {
                let rec = &r.arms[a];
                let death = rec.events[2];
                for (e, name) in EVENTS.iter().enumerate() {
                    if !modelled[e] {
                        continue;
                    }
                    match rec.events[e] {
                        Some(day) => writeln!(w, "{},{},{name},{day},0", r.subject, arm.name)?,
                        None => {
                            let until = if e == 2 { end } else { death.unwrap_or(end) };
                            writeln!(w, "{},{},{name},{until},1", r.subject, arm.name)?;
                        }
                    }
                }
            }
        }
        Ok(())
    })
}

/// `population.csv`: who was drawn.
fn write_population(
    ctx: &Context<'_>,
    records: &[SubjectRecord],
    path: &Path,
) -> Result<(), TrialError> {
    write_text(path, |w| {
        write!(
            w,
            "subject,draws,age_years,menopause_age_years,measured_day"
        )?;
        for (name, _) in &ctx.nominal {
            write!(w, ",{name}")?;
        }
        writeln!(w)?;
        for r in records {
            write!(
                w,
                "{},{},{},{},{}",
                r.subject,
                r.attempts,
                r.age_years,
                num(r.menopause_age_years),
                r.measured_day
            )?;
            for p in &r.parameters {
                write!(w, ",{p}")?;
            }
            writeln!(w)?;
        }
        Ok(())
    })
}

/// Which of [`EVENTS`] the model can produce.
fn event_availability(ctx: &Context<'_>) -> [bool; 3] {
    [
        ctx.column("fracture_probability_10y_major").is_some(),
        ctx.column("fracture_probability_10y_hip").is_some(),
        ctx.column("survival_probability").is_some(),
    ]
}

fn describe<T: serde::Serialize>(x: Option<T>) -> Value {
    x.map_or(Value::Null, |v| {
        serde_json::to_value(v).unwrap_or(Value::Null)
    })
}

fn summary(ctx: &Context<'_>, records: &[SubjectRecord]) -> Value {
    let trial = &ctx.trial;
    let p = &trial.population;
    let modelled = event_availability(ctx);
    let mut notes: Vec<String> = Vec::new();
    if !modelled[2] {
        notes.push(
            "the model has no column `survival_probability`: no deaths are drawn".to_string(),
        );
    }
    for (e, name) in EVENTS.iter().enumerate().take(2) {
        if !modelled[e] {
            notes.push(format!(
                "the model has no fracture probability column: no {name} drawn"
            ));
        }
    }
    let n = records.len();
    let counts: Vec<[usize; 3]> = (0..trial.arms.len())
        .map(|a| {
            let mut c = [0usize; 3];
            for r in records {
                for (e, slot) in c.iter_mut().enumerate() {
                    if r.arms[a].events[e].is_some() {
                        *slot += 1;
                    }
                }
            }
            c
        })
        .collect();
    // Mean probability of each event by the end, per arm.
    let expected: Vec<[Option<f64>; 3]> = (0..trial.arms.len())
        .map(|a| {
            let mut m = [None; 3];
            for (e, slot) in m.iter_mut().enumerate() {
                let v: Option<Vec<f64>> = records.iter().map(|r| r.arms[a].risks[e]).collect();
                *slot = v
                    .filter(|v| !v.is_empty())
                    .map(|v| v.iter().sum::<f64>() / v.len() as f64);
            }
            m
        })
        .collect();
    let arms: Vec<Value> = trial
        .arms
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let mut bmd = Map::new();
            for (s, site) in BMD_SITES.iter().enumerate() {
                let v: Vec<f64> = records
                    .iter()
                    .filter_map(|r| r.arms[a].bmd_percent_change[s])
                    .collect();
                if ctx.column(site).is_some() {
                    bmd.insert(site.to_string(), describe(mean_ci(&v)));
                }
            }
            let mut events = Map::new();
            for (e, name) in EVENTS.iter().enumerate() {
                let value = if modelled[e] {
                    let reference = (a > 0).then(|| (counts[0][e], n));
                    let mut v = describe(Some(risk(counts[a][e], n, reference)));
                    if let Some(o) = v.as_object_mut() {
                        o.insert("expected_incidence".into(), describe(expected[a][e]));
                        let ratio = match (a > 0, expected[a][e], expected[0][e]) {
                            (true, Some(x), Some(r)) if r > 0.0 => Some(x / r),
                            _ => None,
                        };
                        o.insert("expected_relative_risk".into(), describe(ratio));
                    }
                    v
                } else {
                    Value::Null
                };
                events.insert(name.to_string(), value);
            }
            json!({
                "name": arm.name,
                "n": n,
                "treatments": arm.treatments.len(),
                "bmd_percent_change": bmd,
                "events": events,
            })
        })
        .collect();

    let draws: u64 = records.iter().map(|r| r.attempts).sum();
    let ages: Vec<f64> = records.iter().map(|r| r.age_years).collect();
    let menopause: Vec<f64> = records
        .iter()
        .filter_map(|r| r.menopause_age_years)
        .collect();
    let population = json!({
        "size": p.size,
        "seed": p.seed,
        "species": p.species.as_str(),
        "sex": p.sex.as_str(),
        "draws": draws,
        "screened_out": draws - n as u64,
        "inclusion": p.inclusion.iter().map(|b| json!({"key": b.key(), "value": b.value})).collect::<Vec<_>>(),
        "age_years": describe(mean_ci(&ages)),
        "menopause_age_years": describe(mean_ci(&menopause)),
        "variability_cv": p.variability,
    });

    json!({
        "osteosim_version": env!("CARGO_PKG_VERSION"),
        "trial": {
            "file": ctx.label,
            "fnv64": format!("{:016x}", ctx.text_hash),
        },
        "model": {
            "name": ctx.model.name,
            "content_hash": format!("{:016x}", ctx.model.content_hash),
        },
        "design": "every subject in every arm (virtual twins) with the same event draws in every arm; relative risks against the first arm, with the unpaired log risk-ratio interval",
        "simulation": {
            "duration_days": trial.simulation.duration_days,
            "output_every_days": trial.simulation.output_every_days,
        },
        "population": population,
        "arms": arms,
        "biomarker": biomarker(ctx, records),
        "notes": notes,
    })
}

/// How well early levels of the predictor columns identify fast bone losers and fast agers
/// in the first arm.
fn biomarker(ctx: &Context<'_>, records: &[SubjectRecord]) -> Value {
    let end = OUTCOME_WINDOW_DAYS.min(ctx.trial.simulation.duration_days);
    let mut notes = Vec::new();
    let present: Vec<(usize, &str)> = PREDICTOR_COLUMNS
        .iter()
        .enumerate()
        .filter(|(_, c)| ctx.column(c).is_some())
        .map(|(i, c)| (i, *c))
        .collect();
    let missing: Vec<&str> = PREDICTOR_COLUMNS
        .iter()
        .filter(|c| ctx.column(c).is_none())
        .copied()
        .collect();
    if !missing.is_empty() {
        notes.push(format!("not in the model, skipped: {}", missing.join(", ")));
    }
    let losers = {
        let v: Option<Vec<f64>> = records.iter().map(|r| r.arms[0].bone_loss).collect();
        v.filter(|v| !v.is_empty()).map(|v| in_top_quartile(&v))
    };
    let agers = {
        let v: Option<Vec<f64>> = records.iter().map(|r| r.arms[0].senescence_rise).collect();
        v.filter(|v| !v.is_empty()).map(|v| in_top_quartile(&v))
    };
    if losers.is_none() {
        notes.push("no fast-bone-loser outcome: the model lacks `bmd_femoral_neck_g_cm2`".into());
    }
    if agers.is_none() {
        notes.push("no fast-ager outcome: the model lacks `senescent_fraction_systemic`".into());
    }
    let measured: Vec<usize> = (0..records.len())
        .filter(|&i| {
            present
                .iter()
                .all(|(p, _)| records[i].arms[0].predictors[*p].is_some())
        })
        .collect();
    if measured.len() < records.len() {
        notes.push(format!(
            "{} subjects left out: their measurement day falls after the end of the trial",
            records.len() - measured.len()
        ));
    }
    let mut predictors = Map::new();
    for (p, name) in &present {
        let scores: Vec<f64> = measured
            .iter()
            .filter_map(|&i| records[i].arms[0].predictors[*p])
            .collect();
        let auc = |flags: &Option<Vec<bool>>| {
            flags.as_ref().map_or(Value::Null, |f| {
                let pick: Vec<bool> = measured.iter().map(|&i| f[i]).collect();
                describe(roc_auc(&scores, &pick))
            })
        };
        predictors.insert(
            name.to_string(),
            json!({ "fast_bone_loser": auc(&losers), "fast_ager": auc(&agers) }),
        );
    }
    json!({
        "arm": ctx.trial.arms[0].name,
        "measured": "level 1 year after menopause, or on day 365.25 when menopause came before day 0 (linear between outputs)",
        "fast_bone_loser": format!("top quartile of femoral-neck BMD loss (% of day 0) from day 0 to day {end}"),
        "fast_ager": format!("top quartile of the rise of senescent_fraction_systemic from day 0 to day {end}"),
        "auc": "probability that a positive subject has the higher level (Mann-Whitney), 95% interval by Hanley and McNeil",
        "subjects_measured": measured.len(),
        "predictors": predictors,
        "notes": notes,
    })
}
