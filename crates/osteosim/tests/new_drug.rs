//! A new drug is one model file: the tutorial of `docs/model-format.md` ("Add a drug in one
//! file") followed step by step, with no Rust change. The built-in model is copied, a
//! hypothetical anti-RANKL antibody is added as a copy of denosumab's file under its own id
//! and its own names, and the copy must run through `--model` and act like denosumab.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use osteosim_model::builtin::MODEL_FILES;

const BIN: &str = env!("CARGO_BIN_EXE_osteosim");
/// The new drug's id.
const NEW: &str = "biosimilar_mab";

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("osteosim-new-drug-{}-{name}", std::process::id()));
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

fn osteosim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run the osteosim binary");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// The names a model file declares: the NAME of every `[parameters.NAME]`, `[states.NAME]`,
/// `[assignments.NAME]`, `[processes.NAME]`, `[observables.NAME]`, `[inputs.NAME]` and
/// `[contributions.NAME]` header.
fn declared_names(text: &str) -> BTreeSet<String> {
    const KINDS: &[&str] = &[
        "parameters",
        "states",
        "assignments",
        "processes",
        "observables",
        "inputs",
        "contributions",
    ];
    text.lines()
        .filter_map(|l| l.trim().strip_prefix('[')?.strip_suffix(']'))
        .filter_map(|h| {
            let (kind, name) = h.split_once('.')?;
            KINDS.contains(&kind).then(|| name.to_string())
        })
        .collect()
}

/// Step 2 of the tutorial: every identifier the file declares gets the new drug's own name
/// (`denosumab` becomes the new id; a name without it is prefixed with the id), and the
/// catalogue entry takes the new id. Names the file uses from other layers are left alone.
fn rename(text: &str, old: &str, new: &str) -> String {
    let declared = declared_names(text);
    let renamed = |word: &str| -> String {
        if word == old {
            new.to_string()
        } else if declared.contains(word) {
            if word.contains(old) {
                word.replace(old, new)
            } else {
                format!("{new}_{word}")
            }
        } else {
            word.to_string()
        }
    };
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            out.push_str(&renamed(&word));
            word.clear();
            out.push(c);
        }
    }
    out.push_str(&renamed(&word));
    out
}

/// Steps 1-3: the built-in model copied into `dir` with the new drug added.
fn model_with_new_drug(dir: &Path) {
    for (name, text) in MODEL_FILES {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().expect("a parent")).expect("create model subdir");
        let text = if *name == "model.toml" {
            // Step 3: list the new file among the layers.
            text.replace(
                "  \"drugs/denosumab.toml\",\n",
                &format!("  \"drugs/denosumab.toml\",\n  \"drugs/{NEW}.toml\",\n"),
            )
        } else {
            text.to_string()
        };
        fs::write(path, text).expect("write model file");
    }
    let denosumab = MODEL_FILES
        .iter()
        .find(|(name, _)| *name == "drugs/denosumab.toml")
        .map(|(_, text)| *text)
        .expect("the built-in model has denosumab");
    let new = rename(denosumab, "denosumab", NEW).replace("aliases = [\"prolia\"]", "aliases = []");
    fs::write(dir.join(format!("drugs/{NEW}.toml")), new).expect("write the new drug");
}

/// Header and rows of a CSV of numbers.
fn csv(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = fs::read_to_string(path).expect("read timeseries");
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("a header")
        .split(',')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(|v| v.parse().expect("a number")).collect())
        .collect();
    (header, rows)
}

fn column(table: &(Vec<String>, Vec<Vec<f64>>), name: &str) -> Vec<f64> {
    let i = table
        .0
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    table.1.iter().map(|r| r[i]).collect()
}

fn scenario(dir: &Path, name: &str, drug: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(
        &path,
        format!(
            "[subject]\nspecies = \"human\"\nsex = \"female\"\nage_years = 65.0\n\n[[treatment]]\ndrug = \"{drug}\"\ndose_mg = 60.0\nevery_days = 182.0\nstop_day = 600.0\n\n[simulation]\nduration_days = 1095.0\noutput_every_days = 30.0\n"
        ),
    )
    .expect("write scenario");
    path
}

#[test]
fn a_drug_added_in_one_file_runs_and_acts_like_the_drug_it_copies() {
    let tmp = TempDir::new("run");
    let model = tmp.0.join("model");
    model_with_new_drug(&model);

    // `osteosim drugs --model DIR` lists it, with the route and regimen of its catalogue entry.
    let (code, stdout, stderr) = osteosim(&["drugs", "--json", "--model", s(&model)]);
    assert_eq!(code, 0, "{stderr}");
    let drugs: serde_json::Value = serde_json::from_str(&stdout).expect("drugs --json");
    let entry = drugs
        .as_array()
        .and_then(|a| a.iter().find(|d| d["id"] == NEW))
        .unwrap_or_else(|| panic!("{NEW} is not listed: {stdout}"));
    assert_eq!(entry["routes"][0]["input"], format!("{NEW}_subcutaneous"));
    assert_eq!(entry["routes"][0]["enters"], format!("{NEW}_depot"));
    assert_eq!(entry["file"], format!("drugs/{NEW}.toml"));

    // The same scenario with the new drug on the extended model and with denosumab on the
    // built-in model.
    let new_out = tmp.0.join("new");
    let (code, _, stderr) = osteosim(&[
        "run",
        s(&scenario(&tmp.0, "new.toml", NEW)),
        "--model",
        s(&model),
        "--out",
        s(&new_out),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let old_out = tmp.0.join("old");
    let (code, _, stderr) = osteosim(&[
        "run",
        s(&scenario(&tmp.0, "old.toml", "denosumab")),
        "--out",
        s(&old_out),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let new = csv(&new_out.join("timeseries.csv"));
    let old = csv(&old_out.join("timeseries.csv"));

    // Its own quantities carry the drug; denosumab's stay empty on the extended model.
    let own = column(&new, &format!("{NEW}_ug_ml"));
    assert!(own.iter().any(|&c| c > 1.0), "{own:?}");
    assert!(column(&new, "denosumab_ug_ml").iter().all(|&c| c == 0.0));
    // And it acts exactly like denosumab (up to the integrator's tolerance: the extended
    // model runs on the tape interpreter with its states in another order).
    for name in [
        "ctx_ng_ml",
        "bmd_lumbar_spine_g_cm2",
        "bmd_total_hip_g_cm2",
        "rankl_pm",
    ] {
        let (a, b) = (column(&new, name), column(&old, name));
        for (day, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-4 * x.abs().max(y.abs()),
                "{name} at row {day}: {x} with {NEW}, {y} with denosumab"
            );
        }
    }
    let ctx = column(&new, "ctx_ng_ml");
    assert!(
        ctx[1] < 0.5 * ctx[0],
        "the antibody must suppress CTX: {ctx:?}"
    );
}

#[test]
fn a_copied_drug_that_keeps_the_original_names_is_refused_at_its_line() {
    let tmp = TempDir::new("clash");
    let model = tmp.0.join("model");
    model_with_new_drug(&model);
    // Skip step 2: the copy keeps denosumab's names.
    let denosumab = fs::read_to_string(model.join("drugs/denosumab.toml")).expect("read");
    fs::write(model.join(format!("drugs/{NEW}.toml")), denosumab).expect("write");
    let (code, _, stderr) = osteosim(&["check", s(&model)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(&format!("drugs/{NEW}.toml")), "{stderr}");
}
