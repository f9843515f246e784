//! `report.html` of `osteosim run`: one self-contained file whose plots draw exactly the
//! numbers of `timeseries.csv`, with units, T-score bands and dose marks (issue 18).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_osteosim");

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "osteosim-report-{}-{nanos}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const SCENARIO: &str = r#"
[subject]
species = "human"
sex = "female"
age_years = 62.0

[estrogen]
profile = "ovariectomy"
ovariectomy_day = 0.0

[[treatment]]
drug = "denosumab"
dose_mg = 60.0
route = "subcutaneous"
start_day = 0.0
every_days = 182.0
stop_day = 1095.0

[simulation]
duration_days = 1825.0
output_every_days = 15.0
"#;

fn run(dir: &Path, scenario: &str) -> (String, String) {
    let file = dir.join("scenario.toml");
    fs::write(&file, scenario).expect("write scenario");
    let out = dir.join("out");
    let r = Command::new(BIN)
        .args(["run"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run osteosim");
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(String::from_utf8_lossy(&r.stdout).contains("report.html"));
    (
        fs::read_to_string(out.join("report.html")).expect("report.html"),
        fs::read_to_string(out.join("timeseries.csv")).expect("timeseries.csv"),
    )
}

/// Equal, or apart by the last bit that a best-effort JSON reader may round.
fn same(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 2.0 * f64::EPSILON * a.abs().max(b.abs())
}

fn plots(data: &Value) -> &Vec<Value> {
    data["plots"].as_array().expect("plots")
}

fn plot<'a>(data: &'a Value, title: &str) -> &'a Value {
    plots(data)
        .iter()
        .find(|p| p["title"] == title)
        .unwrap_or_else(|| panic!("no plot `{title}`"))
}

#[test]
fn the_run_report_draws_exactly_the_numbers_of_timeseries_csv() {
    let dir = TempDir::new("csv");
    let (html, csv) = run(&dir.0, SCENARIO);
    let data = osteosim_report::embedded_data(&html).expect("the report embeds its data");

    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().expect("number")).collect())
        .collect();
    let columns = data["datasets"]["run"]["columns"]
        .as_array()
        .expect("the run's dataset");
    let names: Vec<&str> = columns
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, header, "every column of the CSV, in its order");
    for (k, c) in columns.iter().enumerate() {
        let values = c["values"].as_array().expect("values");
        assert_eq!(values.len(), rows.len(), "{}", header[k]);
        for (i, v) in values.iter().enumerate() {
            let expected = rows[i][k];
            match v.as_f64() {
                Some(x) => assert!(
                    same(x, expected),
                    "{} row {i}: report {x}, CSV {expected}",
                    header[k]
                ),
                None => assert!(
                    !expected.is_finite(),
                    "{} row {i}: gap for {expected}",
                    header[k]
                ),
            }
        }
    }

    // Units come from the model's observables.
    let unit = |name: &str| {
        columns
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["unit"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(unit("day").as_deref(), Some("d"));
    assert_eq!(unit("estradiol_pg_ml").as_deref(), Some("pg/mL"));
    assert_eq!(unit("ctx_ng_ml").as_deref(), Some("ng/mL"));
    assert_eq!(unit("bmd_total_hip_g_cm2").as_deref(), Some("g/cm^2"));

    // Every column but `day` is drawn, once, against `day`.
    let mut drawn: Vec<String> = Vec::new();
    for p in plots(&data) {
        assert!(
            !p["x"]["unit"].as_str().unwrap_or("").is_empty(),
            "{}",
            p["title"]
        );
        for s in p["series"].as_array().expect("series") {
            assert_eq!(s["x"]["column"], "day");
            assert_eq!(s["y"]["dataset"], "run");
            drawn.push(s["y"]["column"].as_str().expect("column").to_string());
        }
    }
    let mut expected: Vec<String> = header[1..].iter().map(|s| s.to_string()).collect();
    drawn.sort();
    expected.sort();
    assert_eq!(drawn, expected);

    // The themed plots hold their columns, with units on the axes.
    let bmd = plot(&data, "Areal BMD by site");
    assert_eq!(bmd["y"]["unit"], "g/cm^2");
    assert_eq!(bmd["series"].as_array().map(Vec::len), Some(3));
    let markers = plot(&data, "CTX and P1NP");
    let labels: Vec<&str> = markers["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["ctx_ng_ml", "p1np_ng_ml"]);
    // WHO T-score bands: normal above -1, osteopenia down to -2.5, osteoporosis below.
    let t = plot(&data, "T-scores");
    let bands = t["bands"].as_array().expect("bands");
    assert_eq!(bands.len(), 3);
    assert_eq!(
        (bands[0]["from"].as_f64(), bands[0]["to"].as_f64()),
        (Some(-1.0), None)
    );
    assert_eq!(
        (bands[1]["from"].as_f64(), bands[1]["to"].as_f64()),
        (Some(-2.5), Some(-1.0))
    );
    assert_eq!(
        (bands[2]["from"].as_f64(), bands[2]["to"].as_f64()),
        (None, Some(-2.5))
    );
    // Denosumab every 182 days until day 1095: doses on days 0, 182, ..., 1092, marked on
    // each of its plots (one per unit).
    let dmab: Vec<&Value> = plots(&data)
        .iter()
        .filter(|p| {
            p["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("denosumab"))
        })
        .collect();
    assert!(!dmab.is_empty());
    for d in &dmab {
        let marks: Vec<f64> = d["marks"]
            .as_array()
            .expect("marks")
            .iter()
            .map(|m| m["at"].as_f64().unwrap())
            .collect();
        assert_eq!(marks, [0.0, 182.0, 364.0, 546.0, 728.0, 910.0, 1092.0]);
    }
    assert!(dmab.iter().any(|d| d["series"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["y"]["column"] == "denosumab_ug_ml")));

    // The scenario as run and the solver's statistics are in the page.
    assert!(html.contains("The scenario as run"));
    assert!(html.contains("profile = &quot;ovariectomy&quot;"));
    assert!(html.contains("rhs_evaluations"));
    // Self-contained: nothing loaded from elsewhere.
    assert!(!html.contains(" src=\""));
    assert!(!html.contains("<link"));
}

#[test]
fn a_run_without_treatment_says_so_and_has_no_dose_marks() {
    let dir = TempDir::new("untreated");
    let (html, _) = run(
        &dir.0,
        "[subject]\nspecies = \"human\"\nsex = \"female\"\nage_years = 49.0\n\
         [simulation]\nduration_days = 730.0\noutput_every_days = 30.0\n",
    );
    assert!(html.contains("No treatment in this scenario."));
    let data = osteosim_report::embedded_data(&html).expect("data");
    assert!(plots(&data)
        .iter()
        .all(|p| p["marks"].as_array().is_some_and(Vec::is_empty)));
}

#[test]
fn the_validation_report_shows_each_target_against_its_band_and_the_time_course() {
    let dir = TempDir::new("validate");
    let out = dir.0.join("out");
    let r = Command::new(BIN)
        .args(["validate", "T1", "--out"])
        .arg(&out)
        .output()
        .expect("run osteosim validate");
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(out.join("validation.md").is_file());
    assert!(html.contains("Denosumab, total hip (FREEDOM)"));
    assert!(
        html.contains("<td class=\"good\">pass</td>"),
        "the verdict, toned"
    );
    let data = osteosim_report::embedded_data(&html).expect("data");
    // At a glance: every band of T1 is a point inside [0, 1], its position in the band.
    let glance = &plots(&data)[0];
    assert_eq!(glance["bands"][0]["from"].as_f64(), Some(0.0));
    assert_eq!(glance["bands"][0]["to"].as_f64(), Some(1.0));
    let inside = &glance["series"][0];
    assert_eq!(inside["label"], "inside its band");
    let ys: Vec<f64> = inside["y"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(ys.len(), 6, "three years in each of two arms");
    assert!(ys.iter().all(|y| (0.0..=1.0).contains(y)), "{ys:?}");
    // The time course: the model's curve in each arm over the published points (FREEDOM,
    // Austin 2012: placebo 0.0, -0.7, -1.4 %; denosumab 3.2, 4.4, 5.0 % at 1, 2, 3 years).
    let course = plot(&data, "T1: change of bmd_total_hip_g_cm2 from day 0");
    assert_eq!(course["x"]["unit"], "years");
    assert_eq!(course["y"]["unit"], "%");
    let series = course["series"].as_array().unwrap();
    let published: Vec<&Value> = series.iter().filter(|s| s["style"] == "points").collect();
    assert_eq!(published.len(), 2);
    let mids = |s: &Value| -> Vec<f64> {
        s["y"]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v.as_f64().unwrap() * 10.0).round() / 10.0)
            .collect()
    };
    assert_eq!(mids(published[0]), [0.0, -0.7, -1.4]);
    assert_eq!(mids(published[1]), [3.2, 4.4, 5.0]);
    let model = series
        .iter()
        .find(|s| s["label"] == "model, t1_denosumab")
        .expect("the treated arm's curve");
    let xs = model["x"]["values"].as_array().unwrap();
    let ys = model["y"]["values"].as_array().unwrap();
    assert!(xs.len() > 100, "a curve, not a few points");
    assert_eq!(ys[0].as_f64(), Some(0.0), "a change from day 0 starts at 0");
    let at_three = ys.last().and_then(Value::as_f64).unwrap();
    assert!((3.5..=6.5).contains(&at_three), "{at_three}");
}

const TRIAL: &str = r#"[population]
size = 40
seed = 5
species = "human"
sex = "female"
age_years = { mean = 70.0, sd = 6.0, min = 60.0, max = 85.0 }
menopause_age_years = { mean = 51.0, sd = 2.0, min = 44.0, max = 58.0 }
[population.variability]
osteoclast_apoptosis_rate = 0.2

[[arm]]
name = "placebo"
[[arm]]
name = "zoledronic_acid"
[[arm.treatment]]
drug = "zoledronic_acid"
dose_mg = 5.0
every_days = 365.25

[simulation]
duration_days = 730.0
output_every_days = 30.0
"#;

#[test]
fn the_trial_report_draws_arms_csv_and_the_events_of_events_csv() {
    let dir = TempDir::new("trial");
    let file = dir.0.join("trial.toml");
    fs::write(&file, TRIAL).expect("write trial");
    let out = dir.0.join("out");
    let r = Command::new(BIN)
        .arg("trial")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run osteosim trial");
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    let data = osteosim_report::embedded_data(&html).expect("data");

    // Per arm: mean, p5 and p95 of ctx_ng_ml exactly as arms.csv has them.
    let arms = fs::read_to_string(out.join("arms.csv")).expect("arms.csv");
    for arm in ["placebo", "zoledronic_acid"] {
        let rows: Vec<Vec<&str>> = arms
            .lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| f[0] == arm && f[2] == "ctx_ng_ml")
            .collect();
        assert!(!rows.is_empty());
        let d = &data["datasets"][format!("arm {arm}")]["columns"];
        let col = |name: &str| -> Vec<f64> {
            d.as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == name)
                .unwrap_or_else(|| panic!("no column {name}"))["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        for (k, field) in [
            ("day", 1),
            ("ctx_ng_ml_mean", 3),
            ("ctx_ng_ml_p5", 5),
            ("ctx_ng_ml_p95", 7),
        ] {
            let drawn = col(k);
            assert_eq!(drawn.len(), rows.len(), "{arm} {k}");
            for (x, row) in drawn.iter().zip(&rows) {
                let expected: f64 = row[field].parse().unwrap();
                assert!(same(*x, expected), "{arm} {k}: {x} against {expected}");
            }
        }
    }
    let ctx = plot(&data, "ctx_ng_ml");
    assert_eq!(ctx["y"]["unit"], "ng/mL");
    assert!(ctx["series"][0]["ribbon"].is_array(), "a p5-p95 ribbon");

    // Death: every subject who does not die is followed to the end, so one minus the
    // Kaplan-Meier estimate ends at the share who died.
    let events = fs::read_to_string(out.join("events.csv")).expect("events.csv");
    let km = plot(&data, "Cumulative incidence: death");
    for (k, arm) in ["placebo", "zoledronic_acid"].iter().enumerate() {
        let (mut n, mut died) = (0.0, 0.0);
        for f in events.lines().map(|l| l.split(',').collect::<Vec<_>>()) {
            if f[1] == *arm && f[2] == "death" {
                n += 1.0;
                if f[4] == "0" {
                    died += 1.0;
                }
            }
        }
        let s = &km["series"][k];
        assert_eq!(s["label"], *arm);
        assert_eq!(s["style"], "step");
        let last = s["y"]["values"].as_array().unwrap().last().unwrap();
        // A product of Kaplan-Meier factors: equal up to rounding.
        assert!(
            (last.as_f64().unwrap() - died / n).abs() < 1e-12,
            "{arm}: {last} against {died}/{n}"
        );
    }
    assert!(html.contains("relative risk (95% CI)"));
    assert!(html.contains("ev_cargo_mir34a"));
    assert!(html.contains("ctx_ng_ml (reference)"));
    let auc = plot(&data, "ROC AUC of each early level");
    assert_eq!(auc["series"].as_array().map(Vec::len), Some(2));
    let drawn = plot(&data, "Drawn age_years");
    let counts: f64 = drawn["series"][0]["y"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .skip(1)
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert_eq!(counts, 40.0, "every subject in the age histogram once");
}
