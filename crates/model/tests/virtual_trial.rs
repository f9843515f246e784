//! Virtual trials end to end on the built-in model: the same files whatever the thread count
//! and wherever a run was stopped, screening that holds, twins that share their draws.

use std::path::{Path, PathBuf};

use osteosim_model::builtin;
use osteosim_model::virtual_trial::{self, Finished, Numerics, TrialError, TrialOptions, WORK_DIR};
use osteosim_trial::store::{scan_column, Layout};

const FILES: [&str; 5] = [
    "subjects.parquet",
    "arms.csv",
    "events.csv",
    "population.csv",
    "summary.json",
];

const TRIAL: &str = r#"
[population]
size = 30
seed = 7
species = "human"
sex = "female"
age_years = { mean = 62.0, sd = 6.0, min = 50.0, max = 75.0 }
menopause_age_years = { mean = 51.0, sd = 2.5, min = 42.0, max = 58.0 }
[population.variability]
osteoclast_apoptosis_rate = 0.25
[population.inclusion]
t_score_femoral_neck_max = -0.2

[[arm]]
name = "placebo"
[[arm]]
name = "denosumab"
[[arm.treatment]]
drug = "denosumab"
dose_mg = 60.0
every_days = 182.0

[simulation]
duration_days = 730.0
output_every_days = 91.25
"#;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("osteosim-trial-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run(text: &str, out: &Path, options: &TrialOptions) -> Result<Finished, TrialError> {
    virtual_trial::run(
        builtin::model(),
        builtin::kernel(),
        text,
        "trial.toml",
        out,
        options,
    )
}

fn threads(n: usize) -> TrialOptions {
    TrialOptions {
        threads: Some(n),
        ..Default::default()
    }
}

fn assert_same_files(a: &Path, b: &Path) {
    for f in FILES {
        let (x, y) = (
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
        );
        assert!(!x.is_empty(), "{f} is empty");
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn one_and_two_threads_give_byte_identical_outputs() {
    let (one, two) = (dir("one"), dir("two"));
    let a = run(TRIAL, &one, &threads(1)).unwrap();
    let b = run(TRIAL, &two, &threads(2)).unwrap();
    assert_eq!(a, b.clone().rename(&one));
    assert_same_files(&one, &two);
    assert!(
        !one.join(WORK_DIR).exists(),
        "the work directory is removed at the end"
    );

    // The table has every subject in every arm on the whole grid: 30 x 2 x 9 rows.
    let s = summary(&one);
    assert_eq!(s["arms"][0]["n"], 30);
    assert_eq!(s["arms"][1]["name"], "denosumab");
    let layout = Layout {
        unit_column: "subject".into(),
        group_column: "arm".into(),
        groups: vec!["placebo".into(), "denosumab".into()],
        value_columns: vec!["day".into()],
    };
    let mut days = Vec::new();
    scan_column(&one.join("subjects.parquet"), &layout, 0, |_, v| {
        days.push(v)
    })
    .unwrap();
    assert_eq!(days.len(), 30 * 2 * 9);
    assert_eq!(
        &days[..9],
        &[0.0, 91.25, 182.5, 273.75, 365.0, 456.25, 547.5, 638.75, 730.0]
    );

    // Denosumab raises BMD against placebo at every site, as the arms' summaries say.
    for site in [
        "bmd_lumbar_spine_g_cm2",
        "bmd_total_hip_g_cm2",
        "bmd_femoral_neck_g_cm2",
    ] {
        let p = s["arms"][0]["bmd_percent_change"][site]["mean"]
            .as_f64()
            .unwrap();
        let d = s["arms"][1]["bmd_percent_change"][site]["mean"]
            .as_f64()
            .unwrap();
        assert!(d > p + 1.0, "{site}: denosumab {d} vs placebo {p}");
    }
    let _ = std::fs::remove_dir_all(&one);
    let _ = std::fs::remove_dir_all(&two);
}

trait Rename {
    fn rename(self, dir: &Path) -> Finished;
}

impl Rename for Finished {
    /// The same outcome with its file paths moved to `dir`.
    fn rename(self, dir: &Path) -> Finished {
        match self {
            Finished::Complete {
                subjects,
                arms,
                files,
            } => Finished::Complete {
                subjects,
                arms,
                files: files
                    .iter()
                    .map(|f| dir.join(f.file_name().unwrap()))
                    .collect(),
            },
            other => other,
        }
    }
}

#[test]
fn stopped_and_resumed_equals_uninterrupted() {
    let (whole, resumed) = (dir("whole"), dir("resumed"));
    run(TRIAL, &whole, &threads(2)).unwrap();
    let stop = TrialOptions {
        threads: Some(2),
        stop_after_chunks: Some(2),
        ..Default::default()
    };
    let Finished::Stopped {
        committed_chunks,
        chunks,
    } = run(TRIAL, &resumed, &stop).unwrap()
    else {
        panic!("expected a stopped run");
    };
    assert!(
        committed_chunks >= 2 && committed_chunks < chunks,
        "{committed_chunks}/{chunks}"
    );
    assert!(
        !resumed.join("summary.json").exists(),
        "nothing is written before the end"
    );
    // A changed trial file refuses to resume.
    let changed = TRIAL.replace("seed = 7", "seed = 8");
    let resume = TrialOptions {
        threads: Some(1),
        resume: true,
        ..Default::default()
    };
    match run(&changed, &resumed, &resume) {
        Err(e @ TrialError::Resume { .. }) => assert!(e.to_string().contains("changed"), "{e}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Stop once more, then finish.
    let again = TrialOptions {
        resume: true,
        ..stop
    };
    run(TRIAL, &resumed, &again).unwrap();
    assert!(matches!(
        run(TRIAL, &resumed, &resume).unwrap(),
        Finished::Complete { .. }
    ));
    assert_same_files(&whole, &resumed);
    let _ = std::fs::remove_dir_all(&whole);
    let _ = std::fs::remove_dir_all(&resumed);
}

#[test]
fn screening_holds_and_twins_share_their_draws() {
    // Two identical arms under different names: every subject's events must coincide.
    let text = TRIAL
        .replace("size = 30", "size = 16")
        .replace("name = \"denosumab\"\n[[arm.treatment]]\ndrug = \"denosumab\"\ndose_mg = 60.0\nevery_days = 182.0\n", "name = \"placebo_again\"\n")
        .replace("duration_days = 730.0", "duration_days = 3652.5")
        .replace("output_every_days = 91.25", "output_every_days = 365.25")
        .replace("t_score_femoral_neck_max = -0.2", "t_score_femoral_neck_max = -0.5\nage_years_min = 60.0");
    let out = dir("twins");
    run(&text, &out, &threads(2)).unwrap();
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    let mut by_arm: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    for line in events.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let k = usize::from(f[1] == "placebo_again");
        by_arm[k].push(format!("{},{},{},{}", f[0], f[2], f[3], f[4]));
    }
    assert_eq!(
        by_arm[0].len(),
        16 * 3,
        "two fracture types and death per subject"
    );
    assert_eq!(by_arm[0], by_arm[1]);
    let s = summary(&out);
    for e in ["major_osteoporotic_fracture", "hip_fracture", "death"] {
        let r = &s["arms"][1]["events"][e];
        assert_eq!(r["events"], s["arms"][0]["events"][e]["events"]);
        if !r["relative_risk"].is_null() {
            assert_eq!(r["relative_risk"].as_f64(), Some(1.0));
        }
    }
    // Deaths come from the model's survival curve: over ten years some of these women die.
    assert!(s["arms"][0]["events"]["death"]["events"].as_u64().is_some());
    // Screening: every subject's day-0 femoral-neck T-score and age pass.
    let layout = Layout {
        unit_column: "subject".into(),
        group_column: "arm".into(),
        groups: vec![],
        value_columns: vec!["day".into(), "age_years".into()],
    };
    let columns = osteosim_model::report::column_order(builtin::model());
    let t_score = columns
        .iter()
        .position(|(c, _)| c == "t_score_femoral_neck")
        .unwrap();
    let mut checked = 0;
    let per_subject_arm = 11;
    let wide = Layout {
        value_columns: columns.iter().map(|(c, _)| c.clone()).collect(),
        ..layout.clone()
    };
    scan_column(&out.join("subjects.parquet"), &wide, t_score, |row, v| {
        if row % per_subject_arm == 0 {
            assert!(v <= -0.5, "row {row}: T-score {v}");
            checked += 1;
        }
    })
    .unwrap();
    assert_eq!(checked, 32);
    scan_column(&out.join("subjects.parquet"), &layout, 1, |row, v| {
        if row % per_subject_arm == 0 {
            assert!((60.0..=75.0).contains(&v), "row {row}: age {v}");
        }
    })
    .unwrap();
    // Screening redrew some subjects.
    assert!(s["population"]["screened_out"].as_u64().unwrap() > 0);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn arms_csv_agrees_with_the_subjects_table() {
    let text = TRIAL.replace("size = 30", "size = 12");
    let out = dir("arms");
    run(&text, &out, &threads(2)).unwrap();
    let columns = osteosim_model::report::column_order(builtin::model());
    let names: Vec<String> = columns.iter().map(|(c, _)| c.clone()).collect();
    let k = names
        .iter()
        .position(|c| c == "bmd_femoral_neck_g_cm2")
        .unwrap();
    let layout = Layout {
        unit_column: "subject".into(),
        group_column: "arm".into(),
        groups: vec![],
        value_columns: names,
    };
    // Denosumab arm (second block of 9 rows per subject) on day 365 (5th row).
    let mut v = Vec::new();
    scan_column(&out.join("subjects.parquet"), &layout, k, |row, x| {
        if row % 18 == 9 + 4 {
            v.push(x);
        }
    })
    .unwrap();
    assert_eq!(v.len(), 12);
    let mean = v.iter().sum::<f64>() / 12.0;
    v.sort_by(f64::total_cmp);
    let median = 0.5 * (v[5] + v[6]);
    let csv = std::fs::read_to_string(out.join("arms.csv")).unwrap();
    let line = csv
        .lines()
        .find(|l| l.starts_with("denosumab,365,bmd_femoral_neck_g_cm2,"))
        .unwrap();
    let f: Vec<f64> = line
        .split(',')
        .skip(3)
        .map(|x| x.parse().unwrap())
        .collect();
    assert!((f[0] - mean).abs() < 1e-12 * mean, "{line}");
    assert!((f[3] - median).abs() < 1e-12 * median, "{line}");
    assert!(f[2] <= f[3] && f[3] <= f[4]);
    let _ = std::fs::remove_dir_all(&out);
}

/// `[simulation] relative_tolerance` reaches every subject, and without it a trial runs at its
/// own looser default with the population settings (issue 17): the outputs move (the solver
/// took other steps), but only within what the looser tolerance allows.
#[test]
fn the_trials_relative_tolerance_reaches_the_subjects() {
    let (tight, loose, reference) = (dir("rtol-tight"), dir("rtol-loose"), dir("rtol-ref"));
    let text = TRIAL.replace(
        "output_every_days = 91.25\n",
        "output_every_days = 91.25\nrelative_tolerance = 1e-6\n",
    );
    run(&text, &tight, &threads(2)).unwrap();
    run(TRIAL, &loose, &threads(2)).unwrap();
    // The same file as a single run of each subject would integrate it.
    let single_run = TrialOptions {
        numerics: Numerics::SingleRun,
        ..threads(2)
    };
    run(&text, &reference, &single_run).unwrap();
    let (tight_summary, reference_summary) = (summary(&tight), summary(&reference));
    assert_ne!(
        tight_summary["arms"], reference_summary["arms"],
        "the population settings changed nothing at 1e-6"
    );
    let (a, b) = (summary(&reference), summary(&loose));
    let mut largest: f64 = 0.0;
    for arm in 0..2 {
        for site in [
            "bmd_lumbar_spine_g_cm2",
            "bmd_total_hip_g_cm2",
            "bmd_femoral_neck_g_cm2",
        ] {
            let mean = |s: &serde_json::Value| {
                s["arms"][arm]["bmd_percent_change"][site]["mean"]
                    .as_f64()
                    .unwrap()
            };
            largest = largest.max((mean(&a) - mean(&b)).abs());
        }
    }
    assert!(largest > 0.0, "the tolerance changed nothing");
    assert!(
        largest < 0.01,
        "mean BMD changes differ by {largest} points"
    );
    for d in [tight, loose, reference] {
        let _ = std::fs::remove_dir_all(&d);
    }
}

/// Issue 17: a subject's results do not depend on how the population is cut into chunks
/// (batches) nor on the thread count: every file but `subjects.parquet` is the same byte for
/// byte, and `subjects.parquet` holds the same values in the same order.
#[test]
fn chunking_and_threads_leave_every_subject_unchanged() {
    let text = TRIAL.replace("size = 30", "size = 13");
    let runs = [(None, 2), (Some(5), 1), (Some(13), 2), (Some(1), 2)];
    let dirs: Vec<PathBuf> = runs
        .iter()
        .map(|(chunk, threads)| dir(&format!("chunks-{chunk:?}-{threads}")))
        .collect();
    for ((chunk, n), out) in runs.iter().zip(&dirs) {
        let options = TrialOptions {
            chunk_size: *chunk,
            ..threads(*n)
        };
        run(&text, out, &options).unwrap();
    }
    let names: Vec<String> = osteosim_model::report::column_order(builtin::model())
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let layout = Layout {
        unit_column: "subject".into(),
        group_column: "arm".into(),
        groups: vec![],
        value_columns: names.clone(),
    };
    let table = |out: &Path| {
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
        for (k, column) in values.iter_mut().enumerate() {
            scan_column(&out.join("subjects.parquet"), &layout, k, |_, v| {
                column.push(v)
            })
            .unwrap();
        }
        values
    };
    let first = table(&dirs[0]);
    assert_eq!(first[0].len(), 13 * 2 * 9, "13 subjects, 2 arms, 9 rows");
    for other in &dirs[1..] {
        for f in &FILES[1..] {
            assert_eq!(
                std::fs::read(dirs[0].join(f)).unwrap(),
                std::fs::read(other.join(f)).unwrap(),
                "{f} differs in {}",
                other.display()
            );
        }
        let values = table(other);
        for (k, (a, b)) in first.iter().zip(&values).enumerate() {
            assert!(
                a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()) && a.len() == b.len(),
                "column {} differs in {}",
                names[k],
                other.display()
            );
        }
    }
    for d in dirs {
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[test]
fn baseline_fractions_count_the_subjects_day_0_values() {
    let text = r#"
[population]
size = 40
seed = 11
species = "human"
sex = "female"
age_years = { mean = 70.0, sd = 10.0, min = 50.0, max = 90.0 }
[population.variability]
peak_bmd_femoral_neck = 0.14
[population.baseline]
low = { column = "t_score_femoral_neck", max = -1.0 }
middle = { column = "t_score_femoral_neck", min = -1.5, max = -0.5 }

[[arm]]
name = "untreated"

[simulation]
duration_days = 30.0
output_every_days = 30.0
"#;
    let out = dir("baseline");
    run(text, &out, &threads(2)).unwrap();
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let columns = osteosim_model::report::column_order(builtin::model());
    let t_score = columns
        .iter()
        .position(|(c, _)| c == "t_score_femoral_neck")
        .unwrap();
    let wide = Layout {
        unit_column: "subject".into(),
        group_column: "arm".into(),
        groups: vec![],
        value_columns: columns.iter().map(|(c, _)| c.clone()).collect(),
    };
    // Two output rows per subject (days 0 and 30): the even rows are day 0.
    let (mut low, mut middle, mut n) = (0, 0, 0);
    scan_column(&out.join("subjects.parquet"), &wide, t_score, |row, v| {
        if row % 2 == 0 {
            n += 1;
            low += usize::from(v <= -1.0);
            middle += usize::from((-1.5..=-0.5).contains(&v));
        }
    })
    .unwrap();
    assert_eq!(n, 40);
    let b = &s["population"]["baseline"];
    assert_eq!(b["low"]["count"].as_u64(), Some(low as u64));
    assert_eq!(b["middle"]["count"].as_u64(), Some(middle as u64));
    assert_eq!(b["low"]["fraction"].as_f64(), Some(low as f64 / 40.0));
    assert_eq!(b["low"]["column"], "t_score_femoral_neck");
    assert!(b["low"]["min"].is_null());
    assert!(low > 0 && low < 40 && middle > 0, "{low} {middle}");
    let _ = std::fs::remove_dir_all(&out);
}

/// `[outputs]` keeps chosen columns on a coarser grid: the stored values are those of the full
/// run, the summary and events are the full run's (they are computed on the simulation grid),
/// and one and two threads still write the same bytes.
#[test]
fn lean_outputs_keep_the_full_runs_values_and_summary() {
    let text = TRIAL.replace("size = 30", "size = 12");
    let lean_text = format!(
        "{text}\n[outputs]\ncolumns = [\"ctx_ng_ml\", \"bmd_femoral_neck_g_cm2\"]\nevery_days = 365.0\n"
    );
    let (full, lean, lean2) = (dir("full"), dir("lean"), dir("lean2"));
    run(&text, &full, &threads(2)).unwrap();
    run(&lean_text, &lean, &threads(1)).unwrap();
    run(&lean_text, &lean2, &threads(2)).unwrap();
    assert_same_files(&lean, &lean2);
    // The summary differs only in the trial file's fingerprint.
    let (mut a, mut b) = (summary(&full), summary(&lean));
    assert_ne!(a["trial"], b["trial"]);
    a["trial"] = serde_json::Value::Null;
    b["trial"] = serde_json::Value::Null;
    assert_eq!(a, b, "the summary depends on what is stored");
    for f in ["events.csv", "population.csv"] {
        assert_eq!(
            std::fs::read(full.join(f)).unwrap(),
            std::fs::read(lean.join(f)).unwrap(),
            "{f} depends on what is stored"
        );
    }
    let names: Vec<String> = osteosim_model::report::column_order(builtin::model())
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    let full_layout = Layout {
        unit_column: "subject".into(),
        group_column: "arm".into(),
        groups: vec![],
        value_columns: names.clone(),
    };
    // Stored in the model's column order, whatever order the file lists them in.
    let lean_layout = Layout {
        value_columns: vec![
            "day".into(),
            "bmd_femoral_neck_g_cm2".into(),
            "ctx_ng_ml".into(),
        ],
        ..full_layout.clone()
    };
    assert!(
        names.iter().position(|c| c == "bmd_femoral_neck_g_cm2")
            < names.iter().position(|c| c == "ctx_ng_ml")
    );
    let column = |path: &Path, layout: &Layout, k: usize| {
        let mut v = Vec::new();
        scan_column(path, layout, k, |_, x| v.push(x)).unwrap();
        v
    };
    // Full grid: 9 rows per subject and arm (days 0 to 730 every 91.25); kept: rows 0, 4
    // and 8 (days 0, 365 and 730).
    let kept = |v: Vec<f64>| -> Vec<f64> {
        v.into_iter()
            .enumerate()
            .filter(|(r, _)| matches!(r % 9, 0 | 4 | 8))
            .map(|(_, x)| x)
            .collect()
    };
    let (fp, lp) = (full.join("subjects.parquet"), lean.join("subjects.parquet"));
    for (lean_k, name) in lean_layout.value_columns.iter().enumerate() {
        let full_k = names.iter().position(|c| c == name).unwrap();
        assert_eq!(
            kept(column(&fp, &full_layout, full_k)),
            column(&lp, &lean_layout, lean_k),
            "{name}"
        );
    }
    assert_eq!(column(&lp, &lean_layout, 0)[..3], [0.0, 365.0, 730.0]);
    let csv = std::fs::read_to_string(lean.join("arms.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * 3 * 2, "{csv}");
    let full_csv = std::fs::read_to_string(full.join("arms.csv")).unwrap();
    for line in csv.lines().skip(1) {
        assert!(full_csv.lines().any(|l| l == line), "{line}");
    }
    for d in [full, lean, lean2] {
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[test]
fn lean_outputs_are_checked() {
    let cases = [
        ("columns = [\"bmd_femoral_nek_g_cm2\"]", "did you mean"),
        ("columns = [\"day\"]", "always kept"),
        ("columns = [\"ctx_ng_ml\", \"ctx_ng_ml\"]", "duplicate"),
        ("every_days = 100.0", "whole multiple"),
        ("rows = 3", "rows"),
    ];
    for (line, expected) in cases {
        let text = format!("{TRIAL}\n[outputs]\n{line}\n");
        let e = run(&text, &dir("lean-bad"), &threads(1))
            .unwrap_err()
            .to_string();
        assert!(e.contains(expected), "{line}: {e}");
        assert!(e.contains("outputs."), "{line}: {e}");
    }
}
