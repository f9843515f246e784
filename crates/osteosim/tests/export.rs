//! `osteosim export sbml|states` and `osteosim bench` as a user meets them: files written
//! whole, every state and parameter of the built-in model declared, the SBML start state equal
//! to the first row of the raw states, bad input refused without a file.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use osteosim_model::builtin;

const BIN: &str = env!("CARGO_BIN_EXE_osteosim");

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "osteosim-export-{}-{nanos}-{name}",
            std::process::id()
        ));
        fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn osteosim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().expect("run osteosim");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn scenario(dir: &TempDir) -> PathBuf {
    let path = dir.join("denosumab.toml");
    fs::write(
        &path,
        "[subject]\nspecies = \"human\"\nsex = \"female\"\nage_years = 60.0\n\
         [[treatment]]\ndrug = \"denosumab\"\ndose_mg = 60.0\nroute = \"subcutaneous\"\n\
         start_day = 0.0\nevery_days = 182.0\n\
         [simulation]\nduration_days = 400.0\noutput_every_days = 50.0\n",
    )
    .expect("write scenario");
    path
}

/// The `value` attribute of `<parameter id="ID" ...>`.
fn value_of(doc: &str, id: &str) -> Option<f64> {
    let start = doc.find(&format!("<parameter id=\"{id}\""))?;
    let tag = &doc[start..start + doc[start..].find('>')?];
    let v = tag.split("value=\"").nth(1)?.split('"').next()?;
    v.parse().ok()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn the_default_exports_every_state_and_parameter() {
    let dir = TempDir::new("default");
    let out = dir.join("default.xml");
    let (code, stdout, stderr) = osteosim(&["export", "sbml", "--out", path_str(&out)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("SBML Level 3 Version 2"), "{stdout}");
    let doc = fs::read_to_string(&out).expect("document written");
    assert!(doc.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(doc.contains("level=\"3\" version=\"2\""));
    assert!(doc.trim_end().ends_with("</sbml>"));
    let model = builtin::model();
    for s in &model.states {
        assert!(value_of(&doc, &s.name).is_some(), "state `{}`", s.name);
        assert!(
            doc.contains(&format!("<rateRule variable=\"{}\">", s.name)),
            "rate rule of `{}`",
            s.name
        );
    }
    for p in &model.parameters {
        assert!(value_of(&doc, &p.name).is_some(), "parameter `{}`", p.name);
    }
    for a in &model.assignments {
        assert!(
            doc.contains(&format!("<assignmentRule variable=\"{}\">", a.name)),
            "assignment `{}`",
            a.name
        );
    }
    // The default woman starts at 40, five years before day 0.
    assert_eq!(value_of(&doc, "time_start"), Some(-5.0 * 365.25));
    // No temporary file is left behind.
    let names: Vec<String> = fs::read_dir(&dir.0)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, vec!["default.xml".to_string()]);
}

#[test]
fn a_dosing_scenario_exports_its_doses_and_its_start_state() {
    let dir = TempDir::new("dosing");
    let scenario = scenario(&dir);
    let sbml = dir.join("run.xml");
    let states = dir.join("states.csv");
    let (code, _, stderr) = osteosim(&[
        "export",
        "sbml",
        path_str(&scenario),
        "--out",
        path_str(&sbml),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = osteosim(&[
        "export",
        "states",
        path_str(&scenario),
        "--out",
        path_str(&states),
        "--rtol",
        "1e-8",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let doc = fs::read_to_string(&sbml).expect("document");
    // Doses on days 0, 182 and 364: three events adding to the depot.
    assert_eq!(
        doc.matches("denosumab_subcutaneous 60 mg").count(),
        3,
        "{doc}"
    );
    assert_eq!(
        doc.matches("<eventAssignment variable=\"denosumab_depot\">")
            .count(),
        3
    );
    let csv = fs::read_to_string(&states).expect("states");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(header[0], "time");
    assert_eq!(header.len(), builtin::model().states.len() + 1);
    // Outputs from day 0; the run starts at 40 in steady state and is integrated to day 0,
    // so day 0 differs from the SBML start state but the depot is still empty (the day-0
    // dose comes after the output at its time).
    let first: Vec<f64> = lines
        .next()
        .expect("a row")
        .split(',')
        .map(|v| v.parse().expect("number"))
        .collect();
    assert_eq!(first[0], 0.0);
    let depot = header
        .iter()
        .position(|h| *h == "denosumab_depot")
        .expect("depot");
    assert_eq!(first[depot], 0.0);
    assert_eq!(value_of(&doc, "denosumab_depot"), Some(0.0));
    assert_eq!(csv.lines().count(), 1 + 9);
}

#[test]
fn bench_prints_its_figures() {
    let (code, stdout, stderr) = osteosim(&["bench", "--runs", "2"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(v["runs"], 2);
    assert!(v["whole_run"]["median_ms"]
        .as_f64()
        .is_some_and(|x| x > 0.0));
    assert!(v["integration_only"]["median_ms"].as_f64().is_some());
}

#[test]
fn bad_input_writes_nothing() {
    let dir = TempDir::new("bad");
    let out = dir.join("never.xml");
    let missing = dir.join("missing.toml");
    let (code, _, stderr) = osteosim(&[
        "export",
        "sbml",
        path_str(&missing),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("missing.toml"), "{stderr}");
    assert!(!out.exists());
    let (code, _, stderr) = osteosim(&[
        "export",
        "states",
        "--out",
        path_str(&dir.join("s.csv")),
        "--rtol=-1",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--rtol"), "{stderr}");
}
