//! Trial throughput and peak memory (issues 7 and 17).
//!
//! `cargo bench -p osteosim-model --bench throughput` runs each design with 1,000 women
//! aged 55-80 (65 +- 5) followed for 10 years with outputs every 30 days, in two variants
//! interleaved in the same run:
//! - `reference`: every subject integrated as a single run would be (relative tolerance
//!   1e-6, a fixed first step after each dose, steps growing at most twofold), the trials of
//!   before issue 17;
//! - `trial`: the trial's own settings (relative tolerance 1e-4, restart step estimated after
//!   each dose, steps growing up to tenfold).
//!
//! Every run is a child process of its own, so that its peak resident memory (`VmHWM`) and
//! CPU time (`utime + stime` of `/proc/self/stat`, all threads) are its own; it runs on all
//! cores. Printed per run: wall and CPU seconds, subject-years per second, peak memory; per
//! design the ratios reference / trial (wall and CPU, medians over the repeats) and how far
//! the trial's summary moved from the reference's: the largest difference of an arm's mean
//! BMD change over the 95% CI half-width of that mean, and the largest difference of a
//! relative risk (drawn and expected) against the first arm.
//!
//! Designs:
//! - `natural-history`: one untreated arm;
//! - `placebo-vs-denosumab`: the contract's example, 60 mg every 182 days in the second arm;
//! - `teriparatide`: one arm, 20 ug daily for the first year, then untreated; its cost over
//!   `natural-history`'s is the cost of the year of daily injections;
//! - `alendronate`: one arm, 70 mg weekly for 10 years.
//!
//! Environment: `OSTEOSIM_BENCH_SIZES=1000,100000` (100,000 subjects take minutes per
//! design and variant), `OSTEOSIM_BENCH_DESIGNS=natural-history,teriparatide`,
//! `OSTEOSIM_BENCH_VARIANTS=trial` (or `reference`), `OSTEOSIM_BENCH_REPEATS=3`,
//! `OSTEOSIM_BENCH_OUTPUTS=all` to store every column at every output time instead of the
//! lean `[outputs]` of a population run (nine columns once a year; the summaries are the
//! same either way). Nothing is asserted: timings depend on the machine. Run without
//! `--bench` (as `cargo test --benches` does) it runs 8 subjects of each design once per
//! variant as a smoke test.

use std::process::Command;
use std::time::Instant;

use osteosim_model::builtin;
use osteosim_model::virtual_trial::{self, Finished, Numerics, TrialOptions};

const YEARS: f64 = 10.0;

/// The columns a population run stores when lean: BMD, turnover markers, EVs, risks.
const LEAN_COLUMNS: &str = r#"["age_years", "bmd_lumbar_spine_g_cm2", "bmd_total_hip_g_cm2", "bmd_femoral_neck_g_cm2", "t_score_femoral_neck", "ctx_ng_ml", "p1np_ng_ml", "circulating_evs", "fracture_probability_10y_major"]"#;

fn design(name: &str, size: u64, lean: bool) -> Option<String> {
    let population = format!(
        r#"[population]
size = {size}
seed = 2026
species = "human"
sex = "female"
age_years = {{ mean = 65.0, sd = 5.0, min = 55.0, max = 80.0 }}
menopause_age_years = {{ mean = 51.0, sd = 2.0, min = 42.0, max = 58.0 }}
[population.variability]
peak_bmd_femoral_neck = 0.12
osteoclast_apoptosis_rate = 0.2
"#
    );
    let arms = match name {
        "natural-history" => "[[arm]]\nname = \"untreated\"\n",
        "placebo-vs-denosumab" => {
            "[[arm]]\nname = \"placebo\"\n[[arm]]\nname = \"denosumab\"\n[[arm.treatment]]\ndrug = \"denosumab\"\ndose_mg = 60.0\nroute = \"subcutaneous\"\nstart_day = 0.0\nevery_days = 182.0\n"
        }
        "teriparatide" => {
            "[[arm]]\nname = \"teriparatide\"\n[[arm.treatment]]\ndrug = \"teriparatide\"\ndose_mg = 0.02\nroute = \"subcutaneous\"\nstart_day = 0.0\nevery_days = 1.0\nstop_day = 364.0\n"
        }
        "alendronate" => {
            "[[arm]]\nname = \"alendronate\"\n[[arm.treatment]]\ndrug = \"alendronate\"\ndose_mg = 70.0\nroute = \"oral\"\nstart_day = 0.0\nevery_days = 7.0\n"
        }
        _ => return None,
    };
    let outputs = if lean {
        format!("\n[outputs]\ncolumns = {LEAN_COLUMNS}\nevery_days = 360.0\n")
    } else {
        String::new()
    };
    Some(format!(
        "{population}\n{arms}\n[simulation]\nduration_days = {}\noutput_every_days = 30.0\n{outputs}",
        YEARS * 365.25
    ))
}

fn peak_memory_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// User plus system CPU seconds of this process, all threads (clock ticks of 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |k: usize| fields.get(k).and_then(|v| v.parse::<f64>().ok());
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    match (tick(11), tick(12)) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => f64::NAN,
    }
}

/// What a child reports: timings and the summary figures the variants are compared on.
#[derive(Debug, Default, Clone)]
struct Report {
    wall: f64,
    cpu: f64,
    peak_mb: f64,
    arms: f64,
    /// Per arm and site: (mean, CI half-width) of the % BMD change.
    bmd: Vec<(f64, f64)>,
    /// Per treated arm and event: drawn and expected relative risk against the first arm.
    risks: Vec<(f64, f64)>,
}

impl Report {
    fn to_line(&self) -> String {
        let bmd: Vec<String> = self.bmd.iter().map(|(m, h)| format!("{m}:{h}")).collect();
        let risks: Vec<String> = self.risks.iter().map(|(d, e)| format!("{d}:{e}")).collect();
        format!(
            "{} {} {} {} {} {}",
            self.wall,
            self.cpu,
            self.peak_mb,
            self.arms,
            if bmd.is_empty() {
                "-".into()
            } else {
                bmd.join(",")
            },
            if risks.is_empty() {
                "-".into()
            } else {
                risks.join(",")
            }
        )
    }

    fn from_line(line: &str) -> Option<Report> {
        let f: Vec<&str> = line.split_whitespace().collect();
        let pairs = |s: &str| -> Vec<(f64, f64)> {
            s.split(',')
                .filter_map(|p| {
                    let (a, b) = p.split_once(':')?;
                    Some((a.parse().ok()?, b.parse().ok()?))
                })
                .collect()
        };
        Some(Report {
            wall: f.first()?.parse().ok()?,
            cpu: f.get(1)?.parse().ok()?,
            peak_mb: f.get(2)?.parse().ok()?,
            arms: f.get(3)?.parse().ok()?,
            bmd: pairs(f.get(4)?),
            risks: pairs(f.get(5)?),
        })
    }
}

fn summary_figures(summary: &serde_json::Value, report: &mut Report) {
    let Some(arms) = summary["arms"].as_array() else {
        return;
    };
    for arm in arms {
        for site in virtual_trial::BMD_SITES {
            let s = &arm["bmd_percent_change"][site];
            if let (Some(m), Some(lo), Some(hi)) = (
                s["mean"].as_f64(),
                s["ci_low"].as_f64(),
                s["ci_high"].as_f64(),
            ) {
                report.bmd.push((m, 0.5 * (hi - lo)));
            }
        }
    }
    for arm in arms.iter().skip(1) {
        for event in virtual_trial::EVENTS {
            let e = &arm["events"][event];
            report.risks.push((
                e["relative_risk"].as_f64().unwrap_or(f64::NAN),
                e["expected_relative_risk"].as_f64().unwrap_or(f64::NAN),
            ));
        }
    }
}

/// In the child: run one trial and print its report.
fn child(name: &str, size: u64, variant: &str, lean: bool) {
    let Some(text) = design(name, size, lean) else {
        eprintln!("unknown design {name}");
        std::process::exit(2);
    };
    let numerics = match variant {
        "reference" => Numerics::SingleRun,
        "trial" => Numerics::Population,
        _ => {
            eprintln!("unknown variant {variant}");
            std::process::exit(2);
        }
    };
    let out = std::env::temp_dir().join(format!("osteosim-bench-{}", std::process::id()));
    let started = Instant::now();
    let result = virtual_trial::run(
        builtin::model(),
        builtin::kernel(),
        &text,
        name,
        &out,
        &TrialOptions {
            numerics,
            ..TrialOptions::default()
        },
    );
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds();
    let mut report = Report {
        wall,
        cpu,
        peak_mb: peak_memory_mb(),
        ..Report::default()
    };
    if let Ok(bytes) = std::fs::read(out.join(virtual_trial::SUMMARY_FILE)) {
        if let Ok(summary) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            summary_figures(&summary, &mut report);
        }
    }
    let _ = std::fs::remove_dir_all(&out);
    match result {
        Ok(Finished::Complete { arms, .. }) => {
            report.arms = arms as f64;
            println!("{}", report.to_line());
        }
        other => {
            eprintln!("{other:?}");
            std::process::exit(1);
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

fn list(var: &str, default: &[&str]) -> Vec<String> {
    match std::env::var(var) {
        Ok(s) => s.split(',').map(|x| x.trim().to_string()).collect(),
        Err(_) => default.iter().map(|s| s.to_string()).collect(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let arg = |k: usize| args.get(i + k).cloned().unwrap_or_default();
        child(
            &arg(1),
            arg(2).parse().unwrap_or(0),
            &arg(3),
            arg(4) == "lean",
        );
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let sizes: Vec<u64> = match std::env::var("OSTEOSIM_BENCH_SIZES") {
        Ok(s) => s.split(',').filter_map(|x| x.trim().parse().ok()).collect(),
        Err(_) if full => vec![1_000],
        Err(_) => vec![8],
    };
    let designs = list(
        "OSTEOSIM_BENCH_DESIGNS",
        &[
            "natural-history",
            "placebo-vs-denosumab",
            "teriparatide",
            "alendronate",
        ],
    );
    let variants = list("OSTEOSIM_BENCH_VARIANTS", &["reference", "trial"]);
    let repeats: usize = std::env::var("OSTEOSIM_BENCH_REPEATS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1)
        .max(1);
    let lean = std::env::var("OSTEOSIM_BENCH_OUTPUTS").map_or(true, |o| o != "all");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "trial throughput: women 55-80, {YEARS} years, outputs every 30 days ({} stored), \
         {cores} cores, one child process per run, {repeats} repeat(s) interleaved",
        if lean {
            "nine columns yearly"
        } else {
            "every column"
        }
    );
    println!(
        "{:<22} {:>9} {:<10} {:>5} {:>9} {:>9} {:>14} {:>9}",
        "design", "subjects", "variant", "arms", "wall s", "CPU s", "subject-yr/s", "peak MB"
    );
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot find this executable: {e}");
            return;
        }
    };
    // Per design and size: the median CPU seconds of each variant, for the teriparatide line.
    let mut cpu_of: Vec<(String, u64, String, f64)> = Vec::new();
    for d in &designs {
        for &n in &sizes {
            let mut reports: Vec<Vec<Report>> = vec![Vec::new(); variants.len()];
            for _ in 0..repeats {
                for (v, variant) in variants.iter().enumerate() {
                    let output = Command::new(&exe)
                        .arg("--child")
                        .arg(d)
                        .arg(n.to_string())
                        .arg(variant)
                        .arg(if lean { "lean" } else { "all" })
                        .output();
                    let line = match output {
                        Ok(o) if o.status.success() => {
                            String::from_utf8_lossy(&o.stdout).into_owned()
                        }
                        Ok(o) => {
                            println!(
                                "{d:<22} {n:>9} {variant:<10} failed: {}",
                                String::from_utf8_lossy(&o.stderr).trim()
                            );
                            continue;
                        }
                        Err(e) => {
                            println!("{d:<22} {n:>9} {variant:<10} failed: {e}");
                            continue;
                        }
                    };
                    let Some(r) = Report::from_line(&line) else {
                        println!("{d:<22} {n:>9} {variant:<10} unreadable: {line}");
                        continue;
                    };
                    println!(
                        "{d:<22} {n:>9} {variant:<10} {:>5} {:>9.2} {:>9.2} {:>14.0} {:>9.1}",
                        r.arms,
                        r.wall,
                        r.cpu,
                        n as f64 * YEARS / r.wall,
                        r.peak_mb
                    );
                    reports[v].push(r);
                }
            }
            for (v, variant) in variants.iter().enumerate() {
                let cpu = median(reports[v].iter().map(|r| r.cpu).collect());
                cpu_of.push((d.clone(), n, variant.clone(), cpu));
            }
            compare(d, n, &variants, &reports);
        }
    }
    // The year of daily teriparatide against an untreated year of the same subjects.
    for &n in &sizes {
        for variant in &variants {
            let find = |design: &str| {
                cpu_of
                    .iter()
                    .find(|(d, m, v, _)| d == design && *m == n && v == variant)
                    .map(|c| c.3)
            };
            if let (Some(untreated), Some(teriparatide)) =
                (find("natural-history"), find("teriparatide"))
            {
                let year = untreated / YEARS;
                println!(
                    "{n:>9} subjects, {variant}: a year of daily teriparatide costs {:.1} untreated years \
                     ((teriparatide - natural history) / (natural history / {YEARS}) + 1, CPU)",
                    (teriparatide - untreated) / year + 1.0
                );
            }
        }
    }
}

/// Ratios reference / trial and how far the trial's summary moved from the reference's.
fn compare(design: &str, n: u64, variants: &[String], reports: &[Vec<Report>]) {
    let (Some(r), Some(t)) = (
        variants.iter().position(|v| v == "reference"),
        variants.iter().position(|v| v == "trial"),
    ) else {
        return;
    };
    let (Some(reference), Some(trial)) = (reports[r].first(), reports[t].first()) else {
        return;
    };
    let med = |k: usize, f: fn(&Report) -> f64| median(reports[k].iter().map(f).collect());
    let largest_in_ci = reference
        .bmd
        .iter()
        .zip(&trial.bmd)
        .map(|((a, half), (b, _))| (a - b).abs() / half)
        .fold(0.0_f64, f64::max);
    let largest_bmd = reference
        .bmd
        .iter()
        .zip(&trial.bmd)
        .map(|((a, _), (b, _))| (a - b).abs())
        .fold(0.0_f64, f64::max);
    let finite = |x: f64| if x.is_finite() { x } else { 0.0 };
    let largest_rr = reference
        .risks
        .iter()
        .zip(&trial.risks)
        .map(|((a, _), (b, _))| finite((a - b).abs()))
        .fold(0.0_f64, f64::max);
    let largest_expected_rr = reference
        .risks
        .iter()
        .zip(&trial.risks)
        .map(|((_, a), (_, b))| finite((a - b).abs()))
        .fold(0.0_f64, f64::max);
    println!(
        "{design:<22} {n:>9} reference/trial: wall x{:.2}, CPU x{:.2}; BMD means moved by at most \
         {largest_bmd:.4} points ({:.3} of a CI half-width), relative risks by {largest_rr:.4} \
         (expected {largest_expected_rr:.4})",
        med(r, |x| x.wall) / med(t, |x| x.wall),
        med(r, |x| x.cpu) / med(t, |x| x.cpu),
        largest_in_ci,
    );
}
