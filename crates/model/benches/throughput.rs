//! Trial throughput and peak memory (issue items 7b and 7c).
//!
//! `cargo bench -p osteosim-model --bench throughput` runs each design with 1,000 and
//! 100,000 women followed for 10 years, every run in a child process of its own so that its
//! peak resident memory (`VmHWM` of /proc/self/status) is its own, on all cores, and prints
//! wall time, subject-years per second and peak memory. Designs:
//! - `natural-history`: one untreated arm;
//! - `placebo-vs-denosumab`: the contract's example, 60 mg every 182 days in the second arm.
//!
//! `OSTEOSIM_BENCH_SIZES=1000,20000` and `OSTEOSIM_BENCH_DESIGNS=natural-history` choose
//! other sizes and designs; `OSTEOSIM_BENCH_RTOL=1e-4` sets the trial's
//! `[simulation] relative_tolerance` (the engine's 1e-6 otherwise). Nothing is asserted: timings depend on the machine. Run without
//! `--bench` (as `cargo test --benches` does) it runs 20 subjects of each design as a smoke
//! test.

use std::process::Command;
use std::time::Instant;

use osteosim_model::builtin;
use osteosim_model::virtual_trial::{self, Finished, TrialOptions};

const YEARS: f64 = 10.0;

fn design(name: &str, size: u64) -> Option<String> {
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

[[arm]]
name = "placebo"
"#
    );
    let arms = match name {
        "natural-history" => "",
        "placebo-vs-denosumab" => {
            "[[arm]]\nname = \"denosumab\"\n[[arm.treatment]]\ndrug = \"denosumab\"\ndose_mg = 60.0\nevery_days = 182.0\n"
        }
        _ => return None,
    };
    let rtol = std::env::var("OSTEOSIM_BENCH_RTOL")
        .map(|r| format!("relative_tolerance = {r}\n"))
        .unwrap_or_default();
    Some(format!(
        "{population}{arms}\n[simulation]\nduration_days = {}\noutput_every_days = 365.25\n{rtol}",
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

/// In the child: run one trial and print `wall_seconds arms peak_mb`.
fn child(name: &str, size: u64) {
    let Some(text) = design(name, size) else {
        eprintln!("unknown design {name}");
        std::process::exit(2);
    };
    let out = std::env::temp_dir().join(format!("osteosim-bench-{}", std::process::id()));
    let started = Instant::now();
    let result = virtual_trial::run(
        builtin::model(),
        builtin::kernel(),
        &text,
        name,
        &out,
        &TrialOptions::default(),
    );
    let wall = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&out);
    match result {
        Ok(Finished::Complete { arms, .. }) => println!("{wall} {arms} {}", peak_memory_mb()),
        other => {
            eprintln!("{other:?}");
            std::process::exit(1);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let name = args.get(i + 1).cloned().unwrap_or_default();
        let size = args.get(i + 2).and_then(|s| s.parse().ok()).unwrap_or(0);
        child(&name, size);
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let sizes: Vec<u64> = match std::env::var("OSTEOSIM_BENCH_SIZES") {
        Ok(s) => s.split(',').filter_map(|x| x.trim().parse().ok()).collect(),
        Err(_) if full => vec![1_000, 100_000],
        Err(_) => vec![20],
    };
    let designs: Vec<String> = match std::env::var("OSTEOSIM_BENCH_DESIGNS") {
        Ok(s) => s.split(',').map(|x| x.trim().to_string()).collect(),
        Err(_) => vec!["natural-history".into(), "placebo-vs-denosumab".into()],
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rtol = std::env::var("OSTEOSIM_BENCH_RTOL").unwrap_or_else(|_| "1e-6 (default)".into());
    println!(
        "trial throughput, {YEARS} years per subject, {cores} cores, relative tolerance {rtol}, \
         one child process per run"
    );
    println!(
        "{:<22} {:>9} {:>5} {:>10} {:>16} {:>20} {:>10}",
        "design", "subjects", "arms", "wall s", "subject-yr/s", "simulated yr/s", "peak MB"
    );
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot find this executable: {e}");
            return;
        }
    };
    for d in &designs {
        for &n in &sizes {
            let output = Command::new(&exe)
                .arg("--child")
                .arg(d)
                .arg(n.to_string())
                .output();
            let line = match output {
                Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
                Ok(o) => {
                    println!(
                        "{d:<22} {n:>9} failed: {}",
                        String::from_utf8_lossy(&o.stderr).trim()
                    );
                    continue;
                }
                Err(e) => {
                    println!("{d:<22} {n:>9} failed: {e}");
                    continue;
                }
            };
            let f: Vec<f64> = line
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            let [wall, arms, peak] = f[..] else {
                println!("{d:<22} {n:>9} unreadable: {line}");
                continue;
            };
            let subject_years = n as f64 * YEARS;
            println!(
                "{d:<22} {n:>9} {arms:>5} {wall:>10.2} {:>16.0} {:>20.0} {peak:>10.1}",
                subject_years / wall,
                subject_years * arms / wall,
            );
        }
    }
}
