//! From committed chunks to the trial's outputs: parts joined into `subjects.parquet`,
//! per-arm statistics by day (`arms.csv`), per-subject events (`events.csv`), the drawn
//! population (`population.csv`) and `summary.json`. Everything is computed from the parts
//! in chunk order, so the outputs do not depend on the thread count or on interruptions.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use osteosim_engine::output::OutputDir;

use super::subject::{ChunkDocument, SubjectRecord, OUTCOME_WINDOW_DAYS};
use super::{
    Context, TrialError, ARMS_FILE, BMD_SITES, EVENTS, EVENTS_FILE, POPULATION_FILE,
    PREDICTOR_COLUMNS, SUBJECTS_FILE, SUMMARY_FILE,
};
use osteosim_trial::stats::{in_top_quartile, quantile_sorted, risk, roc_auc, MeanCi, Z_95};
use osteosim_trial::store::{
    concatenate, read_part_document, write_atomically, StoreError, TableReader,
};

/// Values held at once while computing percentiles (f64 each): 64 MB.
const PERCENTILE_BUDGET_VALUES: usize = 8 * 1024 * 1024;

fn output_error(e: StoreError) -> TrialError {
    TrialError::from(e)
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
    out: &OutputDir,
) -> Result<Vec<PathBuf>, TrialError> {
    let staging = work.join("staging");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| output_error(io_error(&staging, e)))?;

    // One pass over the parts' records, in subject order: events.csv and population.csv are
    // streamed, the summary keeps running sums and, for the biomarker, a few numbers per
    // subject.
    let mut events = Lines::create(&staging.join(EVENTS_FILE))?;
    let mut population = Lines::create(&staging.join(POPULATION_FILE))?;
    events.header("subject,arm,event,day,censored")?;
    let mut header = "subject,draws,age_years,menopause_age_years,measured_day".to_string();
    for (name, _) in &ctx.nominal {
        header.push(',');
        header.push_str(name);
    }
    population.header(&header)?;
    let mut totals = Totals::new(ctx);
    let mut rows: u64 = 0;
    for part in parts {
        let (n, doc) = read_part_document(part).map_err(output_error)?;
        let doc: ChunkDocument = serde_json::from_str(&doc).map_err(|e| TrialError::Output {
            path: part.to_path_buf(),
            message: e.to_string(),
        })?;
        rows += n;
        for r in &doc.subjects {
            write_events(ctx, r, &mut events)?;
            write_population(r, &mut population)?;
            totals.add(r);
        }
    }
    events.finish()?;
    population.finish()?;

    let subjects = staging.join(SUBJECTS_FILE);
    concatenate(parts, &ctx.layout, &subjects).map_err(output_error)?;
    write_arms(
        ctx,
        &subjects,
        totals.n as u64,
        rows,
        &staging.join(ARMS_FILE),
    )?;
    let summary = summary(ctx, &totals);
    let summary_path = staging.join(SUMMARY_FILE);
    let mut bytes = serde_json::to_vec_pretty(&summary).map_err(|e| TrialError::Output {
        path: summary_path.clone(),
        message: format!("cannot encode: {e}"),
    })?;
    bytes.push(b'\n');
    write_atomically(&summary_path, |mut f| {
        f.write_all(&bytes).map_err(|e| io_error(&summary_path, e))
    })
    .map_err(output_error)?;

    // Every output is complete: move them into place, all or none.
    let staged: Vec<(&str, PathBuf)> = [
        SUBJECTS_FILE,
        ARMS_FILE,
        EVENTS_FILE,
        POPULATION_FILE,
        SUMMARY_FILE,
    ]
    .into_iter()
    .map(|name| (name, staging.join(name)))
    .collect();
    Ok(out.commit(&staged)?)
}

/// A text file in the staging directory, written line by line, synced when finished.
struct Lines {
    path: PathBuf,
    writer: BufWriter<std::fs::File>,
}

impl Lines {
    fn create(path: &Path) -> Result<Lines, TrialError> {
        let file = std::fs::File::create(path).map_err(|e| output_error(io_error(path, e)))?;
        Ok(Lines {
            path: path.to_path_buf(),
            writer: BufWriter::new(file),
        })
    }

    fn header(&mut self, line: &str) -> Result<(), TrialError> {
        writeln!(self.writer, "{line}").map_err(|e| output_error(io_error(&self.path, e)))
    }

    fn write(&mut self, args: std::fmt::Arguments<'_>) -> Result<(), TrialError> {
        self.writer
            .write_fmt(args)
            .map_err(|e| output_error(io_error(&self.path, e)))
    }

    fn finish(mut self) -> Result<(), TrialError> {
        let path = self.path.clone();
        self.writer
            .flush()
            .and_then(|()| self.writer.get_ref().sync_all())
            .map_err(|e| output_error(io_error(&path, e)))
    }
}

/// Mean and variance by Welford's update, one value at a time.
#[derive(Debug, Clone, Copy, Default)]
struct Running {
    n: usize,
    mean: f64,
    m2: f64,
}

impl Running {
    fn add(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Mean with its 95% interval, as [`osteosim_trial::stats::mean_ci`]; `None` below two values.
    fn mean_ci(&self) -> Option<MeanCi> {
        if self.n < 2 || !self.mean.is_finite() {
            return None;
        }
        let sd = (self.m2 / (self.n as f64 - 1.0)).max(0.0).sqrt();
        let half = Z_95 * sd / (self.n as f64).sqrt();
        Some(MeanCi {
            n: self.n,
            mean: self.mean,
            sd,
            ci_low: self.mean - half,
            ci_high: self.mean + half,
        })
    }
}

/// What the summary needs, accumulated subject by subject.
struct Totals {
    n: usize,
    draws: u64,
    age: Running,
    menopause: Running,
    /// [arm][site]
    bmd: Vec<[Running; 3]>,
    /// [arm][event]
    counts: Vec<[usize; 3]>,
    /// [arm][event]: sum of the subjects' probabilities, None once one is missing.
    risk_sums: Vec<[Option<f64>; 3]>,
    /// First arm, per subject: the present predictors' levels (NaN when not measured).
    predictors: Vec<Vec<f64>>,
    present: Vec<usize>,
    bone_loss: Vec<Option<f64>>,
    senescence_rise: Vec<Option<f64>>,
    /// Subjects in each fraction of `[population.baseline]` on day 0.
    baseline: Vec<usize>,
}

impl Totals {
    fn new(ctx: &Context<'_>) -> Totals {
        let arms = ctx.trial.arms.len();
        Totals {
            n: 0,
            draws: 0,
            age: Running::default(),
            menopause: Running::default(),
            bmd: vec![[Running::default(); 3]; arms],
            counts: vec![[0; 3]; arms],
            risk_sums: vec![[Some(0.0); 3]; arms],
            predictors: Vec::new(),
            present: PREDICTOR_COLUMNS
                .iter()
                .enumerate()
                .filter(|(_, c)| ctx.column(c).is_some())
                .map(|(i, _)| i)
                .collect(),
            bone_loss: Vec::new(),
            senescence_rise: Vec::new(),
            baseline: vec![0; ctx.trial.population.baseline.len()],
        }
    }

    fn add(&mut self, r: &SubjectRecord) {
        self.n += 1;
        self.draws += r.attempts;
        self.age.add(r.age_years);
        if let Some(m) = r.menopause_age_years {
            self.menopause.add(m);
        }
        for (count, inside) in self.baseline.iter_mut().zip(&r.baseline) {
            *count += usize::from(*inside);
        }
        for (a, rec) in r.arms.iter().enumerate() {
            for (s, x) in rec.bmd_percent_change.iter().enumerate().take(3) {
                if let Some(x) = x {
                    self.bmd[a][s].add(*x);
                }
            }
            for e in 0..3 {
                if rec.events.get(e).copied().flatten().is_some() {
                    self.counts[a][e] += 1;
                }
                let risk = rec.risks.get(e).copied().flatten();
                self.risk_sums[a][e] = self.risk_sums[a][e].zip(risk).map(|(s, x)| s + x);
            }
        }
        if let Some(first) = r.arms.first() {
            self.predictors.push(
                self.present
                    .iter()
                    .map(|&p| {
                        first
                            .predictors
                            .get(p)
                            .copied()
                            .flatten()
                            .unwrap_or(f64::NAN)
                    })
                    .collect(),
            );
            self.bone_loss.push(first.bone_loss);
            self.senescence_rise.push(first.senescence_rise);
        }
    }
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
    let table = TableReader::open(subjects, &ctx.layout).map_err(output_error)?;
    table
        .scan(0, |row, v| {
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
            table
                .scan(k, |row, v| {
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
fn write_events(ctx: &Context<'_>, r: &SubjectRecord, w: &mut Lines) -> Result<(), TrialError> {
    let end = ctx.trial.simulation.duration_days;
    let modelled = event_availability(ctx);
    for (a, arm) in ctx.trial.arms.iter().enumerate() {
        let rec = &r.arms[a];
        let death = rec.events[2];
        for (e, name) in EVENTS.iter().enumerate() {
            if !modelled[e] {
                continue;
            }
            match rec.events[e] {
                Some(day) => {
                    w.write(format_args!("{},{},{name},{day},0\n", r.subject, arm.name))?
                }
                None => {
                    let until = if e == 2 { end } else { death.unwrap_or(end) };
                    w.write(format_args!(
                        "{},{},{name},{until},1\n",
                        r.subject, arm.name
                    ))?;
                }
            }
        }
    }
    Ok(())
}

/// `population.csv`: who was drawn.
fn write_population(r: &SubjectRecord, w: &mut Lines) -> Result<(), TrialError> {
    w.write(format_args!(
        "{},{},{},{},{}",
        r.subject,
        r.attempts,
        r.age_years,
        num(r.menopause_age_years),
        r.measured_day
    ))?;
    for p in &r.parameters {
        w.write(format_args!(",{p}"))?;
    }
    w.write(format_args!("\n"))
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

fn summary(ctx: &Context<'_>, t: &Totals) -> Value {
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
    let n = t.n;
    let expected = |a: usize, e: usize| t.risk_sums[a][e].filter(|_| n > 0).map(|s| s / n as f64);
    let arms: Vec<Value> = trial
        .arms
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let mut bmd = Map::new();
            for (s, site) in BMD_SITES.iter().enumerate() {
                if ctx.column(site).is_some() {
                    bmd.insert(site.to_string(), describe(t.bmd[a][s].mean_ci()));
                }
            }
            let mut events = Map::new();
            for (e, name) in EVENTS.iter().enumerate() {
                let value = if modelled[e] {
                    let reference = (a > 0).then(|| (t.counts[0][e], n));
                    let mut v = describe(Some(risk(t.counts[a][e], n, reference)));
                    if let Some(o) = v.as_object_mut() {
                        o.insert("expected_incidence".into(), describe(expected(a, e)));
                        let ratio = match (a > 0, expected(a, e), expected(0, e)) {
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

    let population = json!({
        "size": p.size,
        "seed": p.seed,
        "species": p.species.as_str(),
        "sex": p.sex.as_str(),
        "draws": t.draws,
        "screened_out": t.draws - n as u64,
        "inclusion": p.inclusion.iter().map(|b| json!({"key": b.key(), "value": b.value})).collect::<Vec<_>>(),
        "age_years": describe(t.age.mean_ci()),
        "menopause_age_years": describe(t.menopause.mean_ci()),
        "variability_cv": p.variability,
        "baseline": p
            .baseline
            .iter()
            .zip(&t.baseline)
            .map(|(f, &count)| {
                let fraction = (n > 0).then(|| count as f64 / n as f64);
                (
                    f.name.clone(),
                    json!({
                        "column": f.column,
                        "min": f.min,
                        "max": f.max,
                        "count": count,
                        "fraction": fraction,
                    }),
                )
            })
            .collect::<Map<String, Value>>(),
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
        "biomarker": biomarker(ctx, t),
        "notes": notes,
    })
}

/// How well early levels of the predictor columns identify fast bone losers and fast agers
/// in the first arm.
fn biomarker(ctx: &Context<'_>, t: &Totals) -> Value {
    let end = OUTCOME_WINDOW_DAYS.min(ctx.trial.simulation.duration_days);
    let mut notes = Vec::new();
    let missing: Vec<&str> = PREDICTOR_COLUMNS
        .iter()
        .filter(|c| ctx.column(c).is_none())
        .copied()
        .collect();
    if !missing.is_empty() {
        notes.push(format!("not in the model, skipped: {}", missing.join(", ")));
    }
    let top_quartile = |v: &[Option<f64>]| {
        let v: Option<Vec<f64>> = v.iter().copied().collect();
        v.filter(|v| !v.is_empty()).map(|v| in_top_quartile(&v))
    };
    let losers = top_quartile(&t.bone_loss);
    let agers = top_quartile(&t.senescence_rise);
    if losers.is_none() {
        notes.push("no fast-bone-loser outcome: the model lacks `bmd_femoral_neck_g_cm2`".into());
    }
    if agers.is_none() {
        notes.push("no fast-ager outcome: the model lacks `senescent_fraction_systemic`".into());
    }
    let measured: Vec<usize> = (0..t.predictors.len())
        .filter(|&i| t.predictors[i].iter().all(|x| x.is_finite()))
        .collect();
    if measured.len() < t.predictors.len() {
        notes.push(format!(
            "{} subjects left out: their measurement day falls after the end of the trial",
            t.predictors.len() - measured.len()
        ));
    }
    let mut predictors = Map::new();
    for (j, &p) in t.present.iter().enumerate() {
        let scores: Vec<f64> = measured.iter().map(|&i| t.predictors[i][j]).collect();
        let auc = |flags: &Option<Vec<bool>>| {
            flags.as_ref().map_or(Value::Null, |f| {
                let pick: Vec<bool> = measured.iter().map(|&i| f[i]).collect();
                describe(roc_auc(&scores, &pick))
            })
        };
        predictors.insert(
            PREDICTOR_COLUMNS[p].to_string(),
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
