//! The scenario-file corpus: every file in `tests/scenarios/bad/` must fail
//! with the message substring, key (and line, when given) its header names;
//! every file in `tests/scenarios/good/` must parse and round-trip.
//!
//! Header of a bad file:
//! ```toml
//! # expect: <substring of the error message>
//! # key: <dotted key, empty for whole-file errors>
//! # line: <1-based line>          (optional)
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use osteosim_model::scenario::*;

fn corpus(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("scenarios")
        .join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

struct Expectation {
    message: String,
    key: String,
    line: Option<usize>,
}

fn expectation(path: &Path, text: &str) -> Expectation {
    let header = |name: &str| -> Option<String> {
        let prefix = format!("# {name}:");
        text.lines()
            .take_while(|l| l.starts_with('#'))
            .find_map(|l| l.strip_prefix(&prefix).map(|v| v.trim().to_string()))
    };
    assert!(
        text.starts_with("# expect:"),
        "{}: must start with `# expect: <substring>`",
        path.display()
    );
    Expectation {
        message: header("expect").unwrap_or_default(),
        key: header("key").unwrap_or_else(|| panic!("{}: no `# key:` line", path.display())),
        line: header("line").map(|l| {
            l.parse()
                .unwrap_or_else(|_| panic!("{}: bad `# line:` {l:?}", path.display()))
        }),
    }
}

#[test]
fn bad_scenarios_fail_as_expected() {
    let files = corpus("bad");
    assert!(files.len() >= 25, "only {} bad scenarios", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let text = fs::read_to_string(path).expect("readable corpus file");
        let want = expectation(path, &text);
        assert!(
            !want.message.is_empty(),
            "{}: empty `# expect:`",
            path.display()
        );
        match Scenario::from_path(path) {
            Ok(s) => failures.push(format!(
                "{}: parsed, but should fail: {s:?}",
                path.display()
            )),
            Err(e) => {
                let shown = e.to_string();
                let ok = e.message.contains(&want.message)
                    && e.key == want.key
                    && want.line.is_none_or(|l| e.line == Some(l))
                    && shown.starts_with(&e.file)
                    && e.file == path.display().to_string();
                if !ok {
                    failures.push(format!(
                        "{}:\n  want key {:?} line {:?} message containing {:?}\n  got  {shown}\n       (key {:?}, line {:?})",
                        path.display(),
                        want.key,
                        want.line,
                        want.message,
                        e.key,
                        e.line
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn good_scenarios_parse_and_round_trip() {
    let files = corpus("good");
    assert!(files.len() >= 3, "only {} good scenarios", files.len());
    for path in &files {
        let scenario = Scenario::from_path(path).unwrap_or_else(|e| panic!("{e}"));
        let text = scenario.to_toml_string();
        let back = Scenario::from_toml_str(&text, "round-trip")
            .unwrap_or_else(|e| panic!("{}: round trip: {e}\n{text}", path.display()));
        assert_eq!(back, scenario, "{}: round trip changed it", path.display());
    }
}

fn good(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios/good")
        .join(name);
    Scenario::from_path(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn contract_example_values() {
    let s = good("contract_denosumab.toml");
    assert_eq!(s.subject.species, Species::Human);
    assert_eq!(s.subject.sex, Sex::Female);
    assert_eq!(s.subject.age_years, 45.0);
    assert_eq!(
        s.estrogen,
        EstrogenProfile::with("natural_menopause", "menopause_age_years", 51.0)
    );
    assert_eq!(s.treatments.len(), 1);
    let t = &s.treatments[0];
    assert_eq!(t.drug, "denosumab");
    assert_eq!(t.route, Some(Route::Subcutaneous));
    assert_eq!(t.dose_mg(s.subject.body_weight_kg), Some(60.0));
    assert_eq!(
        t.dose_days(s.simulation.duration_days),
        vec![0.0, 182.0, 364.0, 546.0, 728.0, 910.0, 1092.0]
    );
    assert_eq!(
        s.simulation,
        SimulationSettings {
            duration_days: 3650.0,
            output_every_days: 30.0,
            relative_tolerance: None,
        }
    );
}

#[test]
fn mouse_example_values() {
    let s = good("mouse_ovariectomy_ev_inhibitor.toml");
    assert_eq!(s.subject.species, Species::Mouse);
    assert_eq!(s.subject.age_years, 16.0 * 7.0 / 365.25);
    assert_eq!(s.subject.body_weight_kg, 0.022);
    assert_eq!(
        s.estrogen,
        EstrogenProfile::with("ovariectomy", "ovariectomy_day", 0.0)
    );
    let t = &s.treatments[0];
    assert_eq!(t.drug, "ev_biogenesis_inhibitor");
    assert_eq!(t.dose, DoseAmount::MgPerKg(2.5));
    assert_eq!(t.route, Some(Route::Intraperitoneal));
    let days = t.dose_days(s.simulation.duration_days);
    assert_eq!(days.len(), 29);
    assert_eq!(days.last(), Some(&56.0));
    let mg = t.dose_mg(s.subject.body_weight_kg).unwrap_or(f64::NAN);
    assert!((mg - 0.055).abs() < 1e-12, "{mg}");
}

#[test]
fn man_example_values() {
    let s = good("man_aged_60.toml");
    assert_eq!(s.subject.sex, Sex::Male);
    assert_eq!(s.subject.age_years, 60.0);
    assert_eq!(s.subject.body_weight_kg, 85.0);
    assert_eq!(s.estrogen, EstrogenProfile::new("age_related_decline"));
    let t = &s.treatments[0];
    assert_eq!(t.drug, "exercise");
    assert_eq!(t.route, None);
    assert_eq!(t.dose, DoseAmount::Intensity(0.5));
    assert_eq!(t.period(s.simulation.duration_days), Some((365.0, 3652.5)));
    assert!(t.dose_days(s.simulation.duration_days).is_empty());
}
