//! The `osteosim` binary as a user meets it: files written, exit codes, messages on stderr.
//! Every test works in a directory of its own under the system's temporary directory and
//! removes it when done.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use osteosim_model::builtin::MODEL_FILES;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_osteosim");
const CONTRACT_PREFIX: &str = "day,age_years,estradiol_pg_ml";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "osteosim-cli-{}-{n}-{nanos}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
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

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "exit code {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, Some(code), "{}", self.describe());
        if code != 0 {
            assert!(
                self.stderr.lines().any(|l| l.starts_with("error: ")),
                "stderr must have a line starting with `error: `\n{}",
                self.describe()
            );
        }
        assert!(
            !self.stderr.contains("panicked"),
            "the binary panicked\n{}",
            self.describe()
        );
        self
    }
}

fn osteosim(args: &[&str], cwd: &Path) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run the osteosim binary");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// Every file in `dir` (no subdirectories expected) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .expect("read output dir")
        .map(|e| {
            let e = e.expect("dir entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).expect("read output file"),
            )
        })
        .collect()
}

/// Header and rows of a CSV of numbers.
fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("a header line")
        .split(',')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| {
            l.split(',')
                .map(|v| {
                    v.parse::<f64>()
                        .unwrap_or_else(|_| panic!("not a number: {v}"))
                })
                .collect()
        })
        .collect();
    (header, rows)
}

fn assert_close_tables(a: &str, b: &str, rtol: f64) {
    let (ha, ra) = parse_csv(a);
    let (hb, rb) = parse_csv(b);
    assert_eq!(ha, hb, "same columns");
    assert_eq!(ra.len(), rb.len(), "same number of rows");
    for (i, (x, y)) in ra.iter().zip(&rb).enumerate() {
        for (k, (u, v)) in x.iter().zip(y).enumerate() {
            let scale = u.abs().max(v.abs());
            assert!(
                (u - v).abs() <= rtol * scale || (u - v).abs() <= 1e-300 || u == v,
                "row {i}, column `{}`: {u} vs {v}",
                ha[k]
            );
        }
    }
}

/// Write the built-in model's files into `dir`.
fn copy_builtin_model(dir: &Path) {
    for (name, text) in MODEL_FILES {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create model subdir");
        }
        fs::write(path, text).expect("write model file");
    }
}

/// A one-state model that runs the `human` / `female` / `natural_menopause` scenario
/// combination, with `rate` as the only process producing `x` (unit 1, x(0) = 1).
fn toy_model(dir: &Path, rate: &str) {
    fs::create_dir_all(dir).expect("create model dir");
    fs::write(
        dir.join("model.toml"),
        "[model]\nname = \"toy\"\ndescription = \"One state.\"\ntime_unit = \"day\"\n\
         layers = [\"growth.toml\"]\n",
    )
    .expect("write manifest");
    fs::write(
        dir.join("growth.toml"),
        format!(
            "[layer]\nname = \"growth\"\n\n\
             [parameters.k]\nvalue = 1.0\nunit = \"1/day\"\nsource = \"test\"\n\n\
             [states.x]\nunit = \"1\"\ninitial = 1.0\n\n\
             [processes.change]\nrate = \"{rate}\"\nproduces = [\"x\"]\n\n\
             [observables.x_level]\nexpr = \"x\"\nunit = \"1\"\n\n\
             [sets.subject.human_female.k]\nvalue = 1.0\nsource = \"test\"\n\n\
             [sets.estrogen.natural_menopause.k]\nvalue = 1.0\nsource = \"test\"\n\n\
             [catalogue.estrogen_profile.natural_menopause]\ndescription = \"toy\"\n\
             sexes = [\"female\"]\ndefault_for = [\"human_female\", \"mouse_female\"]\n"
        ),
    )
    .expect("write layer");
}

fn params_json(cwd: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["params", "--json"];
    args.extend_from_slice(extra);
    let run = osteosim(&args, cwd);
    run.assert_code(0);
    match serde_json::from_str(&run.stdout) {
        Ok(Value::Array(v)) => v,
        other => panic!("params --json is not an array: {other:?}\n{}", run.stdout),
    }
}

fn short_scenario(dir: &TempDir, extra: &str) -> PathBuf {
    let path = dir.join("scenario.toml");
    fs::write(
        &path,
        format!(
            "[subject]\nspecies = \"human\"\nsex = \"female\"\nage_years = 49.0\n{extra}\n\
             [simulation]\nduration_days = 1095.0\noutput_every_days = 91.0\n"
        ),
    )
    .expect("write scenario");
    path
}

// ---------------------------------------------------------------------------------------------
// run
// ---------------------------------------------------------------------------------------------

#[test]
fn default_run_writes_both_files() {
    let tmp = TempDir::new("default");
    let run = osteosim(&["run", "--out", "out"], tmp.path());
    run.assert_code(0);
    assert!(
        run.stderr.contains("built-in default"),
        "{}",
        run.describe()
    );
    let csv_path = tmp.join("out").join("timeseries.csv");
    let json_path = tmp.join("out").join("summary.json");
    assert!(run.stdout.contains("timeseries.csv"), "{}", run.describe());
    assert!(run.stdout.contains("summary.json"), "{}", run.describe());
    assert!(run.stdout.contains("wall time"), "{}", run.describe());

    let csv = fs::read_to_string(&csv_path).expect("timeseries.csv");
    assert!(
        csv.starts_with(CONTRACT_PREFIX),
        "header: {:?}",
        csv.lines().next()
    );
    let (header, rows) = parse_csv(&csv);
    assert!(
        rows.len() > 300,
        "30 years every 30 days: {} rows",
        rows.len()
    );
    assert!(rows.iter().all(|r| r.len() == header.len()));
    assert_eq!(rows[0][0], 0.0, "first output at day 0");
    assert_eq!(rows[0][1], 45.0, "the default woman is 45 at day 0");

    let summary: Value =
        serde_json::from_str(&fs::read_to_string(&json_path).expect("summary.json"))
            .expect("summary.json is JSON");
    assert!(summary.get("scenario").is_some(), "{summary}");
    assert!(
        summary["model"]["content_hash"].is_string(),
        "model.content_hash: {summary}"
    );
    assert!(summary["columns"].is_object(), "columns: {summary}");
    assert!(summary["solver"]["steps"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(summary["model"]["evaluator"], "native");
    // Nothing else in the output directory: no temporary files left behind.
    let names: Vec<String> = snapshot(&tmp.join("out")).into_keys().collect();
    assert_eq!(names, ["report.html", "summary.json", "timeseries.csv"]);
}

#[test]
fn every_bad_scenario_exits_2_with_its_message() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("model")
        .join("tests")
        .join("scenarios")
        .join("bad");
    let mut files: Vec<PathBuf> = fs::read_dir(&corpus)
        .expect("the bad scenario corpus")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 25, "only {} bad scenarios", files.len());
    let tmp = TempDir::new("bad");
    let mut failures = Vec::new();
    for path in &files {
        let text = fs::read_to_string(path).expect("corpus file");
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect:"))
            .map(str::trim)
            .unwrap_or_else(|| panic!("{}: no `# expect:` line", path.display()));
        let run = osteosim(&["run", s(path), "--out", "out"], tmp.path());
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        if run.code != Some(2)
            || !run.stderr.starts_with("error: ")
            || !run.stderr.contains(expect)
            || !run.stderr.contains(&name)
            || run.stderr.contains("panicked")
        {
            failures.push(format!(
                "{}: expected exit 2 and `{expect}`\n{}",
                path.display(),
                run.describe()
            ));
        }
    }
    assert!(
        !tmp.join("out").exists(),
        "a bad scenario must not create outputs"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn unknown_parameter_name_exits_2_with_a_suggestion() {
    let tmp = TempDir::new("unknown-param");
    let params = params_json(tmp.path(), &[]);
    let real = params
        .iter()
        .filter_map(|p| p["name"].as_str())
        .find(|n| n.len() >= 8)
        .expect("a parameter with a long enough name");
    // Drop one letter from the middle.
    let mut typo = real.to_string();
    typo.remove(real.len() / 2);
    let scenario = short_scenario(&tmp, &format!("\n[subject.parameters]\n{typo} = 1.0\n"));
    let run = osteosim(&["run", s(&scenario), "--out", "out"], tmp.path());
    run.assert_code(2);
    for needle in [
        s(&scenario),
        &format!("subject.parameters.{typo}"),
        "did you mean",
        real,
    ] {
        assert!(
            run.stderr.contains(needle),
            "missing `{needle}`\n{}",
            run.describe()
        );
    }
    // The line of the override (line 7 of the file written above).
    assert!(
        run.stderr.contains(&format!("{}:7:", s(&scenario))),
        "{}",
        run.describe()
    );
    assert!(!tmp.join("out").exists());
}

#[test]
fn a_scenario_the_model_cannot_run_exits_2() {
    let tmp = TempDir::new("missing");
    toy_model(&tmp.join("toy"), "-0.01 * k * x");
    // The toy model has no parameter set for mice.
    let scenario = tmp.join("mouse.toml");
    fs::write(
        &scenario,
        "[subject]\nspecies = \"mouse\"\nsex = \"female\"\nage_weeks = 12.0\n",
    )
    .expect("write scenario");
    let run = osteosim(
        &["run", s(&scenario), "--model", "toy", "--out", "out"],
        tmp.path(),
    );
    run.assert_code(2);
    assert!(run.stderr.contains("mouse.toml"), "{}", run.describe());
    assert!(
        run.stderr.contains("subject.mouse_female"),
        "{}",
        run.describe()
    );
    assert!(
        run.stderr.contains("tape interpreter"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_run_that_fails_numerically_exits_1() {
    let tmp = TempDir::new("blowup");
    // dx/dt = x^2 with x(0) = 1 goes to infinity at t = 1 day.
    toy_model(&tmp.join("toy"), "k * x * x");
    let run = osteosim(&["run", "--model", "toy", "--out", "out"], tmp.path());
    run.assert_code(1);
    assert!(run.stderr.contains("error: "), "{}", run.describe());
    assert!(!tmp.join("out").exists());
}

#[test]
fn a_non_finite_initial_state_exits_1_and_names_the_state() {
    let tmp = TempDir::new("initial_nan");
    // The model is valid; its parameter value makes the start state 0/0.
    toy_model(&tmp.join("toy"), "k * x");
    let layer = tmp.join("toy").join("growth.toml");
    let text = fs::read_to_string(&layer).expect("read layer");
    let text = text.replace(
        "initial = 1.0\n",
        "initial = \"scale / scale\"\n\n[parameters.scale]\nvalue = 0.0\nunit = \"1\"\n\
         source = \"test\"\n",
    );
    fs::write(&layer, text).expect("write layer");
    let run = osteosim(&["run", "--model", "toy", "--out", "out"], tmp.path());
    run.assert_code(1);
    assert!(
        run.stderr.contains("`x` = NaN") && run.stderr.contains("t = 0"),
        "{}",
        run.describe()
    );
    assert!(!tmp.join("out").exists());
}

#[test]
fn unreadable_inputs_and_unwritable_outputs_exit_2() {
    let tmp = TempDir::new("io");
    let run = osteosim(&["run", "no_such_file.toml", "--out", "out"], tmp.path());
    run.assert_code(2);
    assert!(
        run.stderr.contains("no_such_file.toml"),
        "{}",
        run.describe()
    );

    let run = osteosim(
        &["run", "--model", "no_such_dir", "--out", "out"],
        tmp.path(),
    );
    run.assert_code(2);
    assert!(run.stderr.contains("no_such_dir"), "{}", run.describe());

    // --out names an existing file, not a directory.
    fs::write(tmp.join("a_file"), "x").expect("write file");
    let scenario = short_scenario(&tmp, "");
    let run = osteosim(&["run", s(&scenario), "--out", "a_file"], tmp.path());
    run.assert_code(2);
    assert!(run.stderr.contains("a_file"), "{}", run.describe());
    assert_eq!(fs::read(tmp.join("a_file")).expect("still there"), b"x");
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let tmp = TempDir::new("usage");
    assert_eq!(osteosim(&[], tmp.path()).code, Some(2));
    assert_eq!(osteosim(&["run", "--bogus"], tmp.path()).code, Some(2));
    assert_eq!(osteosim(&["simulate"], tmp.path()).code, Some(2));
    let help = osteosim(&["--help"], tmp.path());
    assert_eq!(help.code, Some(0));
    for command in ["run", "params", "check"] {
        assert!(help.stdout.contains(command), "{}", help.describe());
    }
}

#[test]
fn a_failing_run_leaves_earlier_outputs_untouched() {
    let tmp = TempDir::new("untouched");
    let good = short_scenario(&tmp, "");
    osteosim(&["run", s(&good), "--out", "out"], tmp.path()).assert_code(0);
    let before = snapshot(&tmp.join("out"));
    assert_eq!(before.len(), 3);

    // A bad scenario (exit 2).
    let bad = tmp.join("bad.toml");
    fs::write(
        &bad,
        "[subject]\nspecies = \"human\"\nsex = \"female\"\nage_years = -1.0\n",
    )
    .expect("write bad scenario");
    osteosim(&["run", s(&bad), "--out", "out"], tmp.path()).assert_code(2);
    assert_eq!(snapshot(&tmp.join("out")), before);

    // A model that does not check (exit 2).
    toy_model(&tmp.join("broken"), "kk * x");
    osteosim(
        &["run", s(&good), "--model", "broken", "--out", "out"],
        tmp.path(),
    )
    .assert_code(2);
    assert_eq!(snapshot(&tmp.join("out")), before);

    // A valid run that fails numerically (exit 1).
    toy_model(&tmp.join("blowup"), "k * x * x");
    osteosim(
        &["run", s(&good), "--model", "blowup", "--out", "out"],
        tmp.path(),
    )
    .assert_code(1);
    assert_eq!(snapshot(&tmp.join("out")), before);
}

// ---------------------------------------------------------------------------------------------
// --model: native code and tape interpreter agree; edits take effect
// ---------------------------------------------------------------------------------------------

#[test]
fn a_copy_of_the_builtin_model_gives_the_same_results() {
    let tmp = TempDir::new("copy");
    osteosim(&["run", "--out", "builtin"], tmp.path()).assert_code(0);
    let builtin = fs::read_to_string(tmp.join("builtin").join("timeseries.csv")).expect("csv");

    // An exact copy: recognised as the built-in model, run on native code, same bytes.
    copy_builtin_model(&tmp.join("exact"));
    let check = osteosim(&["check", "exact"], tmp.path());
    check.assert_code(0);
    assert!(
        check.stdout.contains("identical to the built-in model"),
        "{}",
        check.describe()
    );
    let run = osteosim(&["run", "--model", "exact", "--out", "o_exact"], tmp.path());
    run.assert_code(0);
    assert!(
        !run.stderr.contains("tape interpreter"),
        "{}",
        run.describe()
    );
    let exact = fs::read_to_string(tmp.join("o_exact").join("timeseries.csv")).expect("csv");
    assert_eq!(exact, builtin);

    // The same equations with a comment added: a different file, so the tape interpreter.
    copy_builtin_model(&tmp.join("commented"));
    let manifest = tmp.join("commented").join("model.toml");
    let mut text = fs::read_to_string(&manifest).expect("manifest");
    text.push_str("\n# a copy, run on the tape interpreter\n");
    fs::write(&manifest, text).expect("write manifest");
    let run = osteosim(
        &["run", "--model", "commented", "--out", "o_tape"],
        tmp.path(),
    );
    run.assert_code(0);
    assert!(
        run.stderr.contains("tape interpreter"),
        "{}",
        run.describe()
    );
    let tape = fs::read_to_string(tmp.join("o_tape").join("timeseries.csv")).expect("csv");
    assert_close_tables(&builtin, &tape, 1e-9);
    let summary: Value = serde_json::from_str(
        &fs::read_to_string(tmp.join("o_tape").join("summary.json")).expect("json"),
    )
    .expect("summary.json is JSON");
    assert_eq!(summary["model"]["evaluator"], "tape interpreter");
}

/// Replace the first `value = NUMBER` at or after `line` (1-based) with `NUMBER * factor`.
fn edit_value(text: &str, line: usize, factor: f64) -> Option<String> {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for l in lines.iter_mut().skip(line.saturating_sub(1)) {
        let Some(at) = l.find("value") else { continue };
        let rest = &l[at + "value".len()..];
        let Some(eq) = rest.find('=') else { continue };
        if !rest[..eq].trim().is_empty() {
            continue;
        }
        let after = &rest[eq + 1..];
        let number: String = after
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || "+-.eE_".contains(*c))
            .collect();
        let Ok(old) = number.replace('_', "").parse::<f64>() else {
            continue;
        };
        let new = if old == 0.0 { 1.0 } else { old * factor };
        let start = at + "value".len() + eq + 1 + (after.len() - after.trim_start().len());
        l.replace_range(start..start + number.len(), &format!("{new:?}"));
        let mut out = lines.join("\n");
        out.push('\n');
        return Some(out);
    }
    None
}

#[test]
fn an_edited_copy_of_the_builtin_model_gives_different_results() {
    let tmp = TempDir::new("edited");
    let scenario = short_scenario(&tmp, "");
    osteosim(&["run", s(&scenario), "--out", "builtin"], tmp.path()).assert_code(0);
    let builtin = fs::read(tmp.join("builtin").join("timeseries.csv")).expect("csv");

    // Estradiol parameters first: the scenario spans the menopause, so a change in one of
    // them shows in `estradiol_pg_ml`. A few tries, since a parameter set may override one.
    let mut params = params_json(tmp.path(), &[]);
    params.sort_by_key(|p| !p["name"].as_str().unwrap_or("").contains("estradiol"));
    let mut tried = Vec::new();
    for p in params.iter().take(4) {
        let (Some(name), Some(file), Some(line)) =
            (p["name"].as_str(), p["file"].as_str(), p["line"].as_u64())
        else {
            continue;
        };
        let dir = tmp.join(&format!("edited_{name}"));
        copy_builtin_model(&dir);
        let path = dir.join(file);
        let text = fs::read_to_string(&path).expect("layer file");
        let edited = edit_value(&text, line as usize, 1.5)
            .unwrap_or_else(|| panic!("no `value =` after {file}:{line}"));
        fs::write(&path, edited).expect("write edited layer");
        let out = format!("out_{name}");
        let run = osteosim(
            &["run", s(&scenario), "--model", s(&dir), "--out", &out],
            tmp.path(),
        );
        run.assert_code(0);
        assert!(
            run.stderr.contains("tape interpreter"),
            "{}",
            run.describe()
        );
        let csv = fs::read(tmp.join(&out).join("timeseries.csv")).expect("csv");
        if csv != builtin {
            return;
        }
        tried.push(name.to_string());
    }
    panic!("editing none of {tried:?} changed timeseries.csv");
}

#[test]
fn edit_value_changes_only_the_value() {
    let text = "[parameters.a]\nvalue = 2.0\nunit = \"1\"\n[parameters.b]\nvalue = 10\n";
    let edited = edit_value(text, 4, 1.5).expect("edited");
    assert_eq!(
        edited,
        "[parameters.a]\nvalue = 2.0\nunit = \"1\"\n[parameters.b]\nvalue = 15.0\n"
    );
}

// ---------------------------------------------------------------------------------------------
// params and check
// ---------------------------------------------------------------------------------------------

#[test]
fn params_json_lists_every_parameter_with_its_source() {
    let tmp = TempDir::new("params");
    let params = params_json(tmp.path(), &[]);
    assert!(!params.is_empty());
    for p in &params {
        for key in ["name", "unit", "source", "layer", "file"] {
            assert!(
                p[key].as_str().is_some_and(|v| !v.trim().is_empty()),
                "`{key}` missing or empty in {p}"
            );
        }
        assert!(p["value"].is_number(), "{p}");
        assert!(p["description"].is_string(), "{p}");
        assert!(p["line"].as_u64().is_some_and(|l| l > 0), "{p}");
    }

    // The human form names every parameter, grouped under its layer.
    let table = osteosim(&["params"], tmp.path());
    table.assert_code(0);
    for p in &params {
        let name = p["name"].as_str().unwrap_or_default();
        assert!(
            table
                .stdout
                .lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "`{name}` missing from\n{}",
            table.stdout
        );
    }

    // --model works too.
    let toy = TempDir::new("params-toy");
    toy_model(&toy.join("toy"), "-0.01 * k * x");
    let params = params_json(toy.path(), &["--model", "toy"]);
    assert_eq!(params.len(), 1);
    assert_eq!(params[0]["name"], "k");
    assert_eq!(params[0]["layer"], "growth");
    assert_eq!(params[0]["file"], "growth.toml");
}

#[test]
fn check_accepts_good_models() {
    let tmp = TempDir::new("check-ok");
    let run = osteosim(&["check"], tmp.path());
    run.assert_code(0);
    assert!(run.stdout.starts_with("OK"), "{}", run.describe());
    assert!(
        run.stdout.contains("Jacobian non-zeros"),
        "{}",
        run.describe()
    );
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.describe());

    toy_model(&tmp.join("toy"), "-0.01 * k * x");
    let run = osteosim(&["check", "toy"], tmp.path());
    run.assert_code(0);
    assert!(run.stdout.contains("1 state,"), "{}", run.describe());
    assert!(run.stdout.contains("1 parameter,"), "{}", run.describe());
}

#[test]
fn check_names_file_and_line_of_every_error() {
    let tmp = TempDir::new("check-broken");
    let dir = tmp.join("broken");
    toy_model(&dir, "kk * x");
    // A second error in the same file: an observable with the wrong unit.
    let layer = dir.join("growth.toml");
    let mut text = fs::read_to_string(&layer).expect("layer");
    text.push_str("\n[observables.wrong]\nexpr = \"k\"\nunit = \"mg\"\n");
    fs::write(&layer, &text).expect("write layer");
    let rate_line = text
        .lines()
        .position(|l| l.starts_with("rate ="))
        .map(|i| i + 1)
        .expect("rate line");
    let process_line = text
        .lines()
        .position(|l| l.starts_with("[processes.change]"))
        .map(|i| i + 1)
        .expect("process line");

    let run = osteosim(&["check", "broken"], tmp.path());
    run.assert_code(2);
    assert!(run.stderr.contains("broken"), "{}", run.describe());
    assert!(
        run.stderr.contains(&format!("growth.toml:{rate_line}:"))
            || run.stderr.contains(&format!("growth.toml:{process_line}:")),
        "file:line of the unknown name\n{}",
        run.describe()
    );
    assert!(run.stderr.contains("`kk`"), "{}", run.describe());
    assert!(run.stderr.contains("`wrong`"), "{}", run.describe());

    let run = osteosim(&["check", "no_such_dir"], tmp.path());
    run.assert_code(2);
    assert!(run.stderr.contains("no_such_dir"), "{}", run.describe());
}

#[test]
fn validate_prints_every_target_and_writes_the_report() {
    let dir = TempDir::new("validate");
    let run = osteosim(&["validate", "--out", "report"], dir.path());
    run.assert_code(0);
    let report = std::fs::read_to_string(dir.path().join("report").join("validation.md"))
        .expect("validation.md is written");
    for id in [
        "E1", "E2", "E3", "E4", "B1", "B2", "B3", "B4", "M1", "F1", "F2", "F3", "O1", "O2",
    ] {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(&format!("{id} "))),
            "target {id} missing from the table\n{}",
            run.describe()
        );
        assert!(report.contains(id), "target {id} missing from the report");
    }
    let one = osteosim(&["validate", "B1", "--out", "one"], dir.path());
    one.assert_code(0);
    assert!(
        one.stdout.contains("B1") && !one.stdout.contains("\nB2 "),
        "{}",
        one.describe()
    );
    let unknown = osteosim(&["validate", "Z9", "--out", "one"], dir.path());
    unknown.assert_code(2);
    assert!(
        unknown.stderr.contains("no validation target `Z9`"),
        "{}",
        unknown.describe()
    );
}

/// `validate --model DIR` holds an edited model to the published figures: a copy of the
/// built-in model passes, and one whose premenopausal estradiol is tripled misses E1.
#[test]
fn validate_runs_against_an_edited_model() {
    let dir = TempDir::new("validate-model");
    let copy = dir.path().join("copy");
    copy_builtin_model(&copy);
    let same = osteosim(
        &["validate", "E1", "--model", s(&copy), "--out", "same"],
        dir.path(),
    );
    same.assert_code(0);
    assert!(same.stdout.contains("pass"), "{}", same.describe());

    let edited = dir.path().join("edited");
    copy_builtin_model(&edited);
    let endocrine = edited.join("endocrine.toml");
    let text = fs::read_to_string(&endocrine).expect("endocrine.toml");
    let changed = text.replacen(
        "[parameters.estradiol_premenopausal]\nvalue = 100.0",
        "[parameters.estradiol_premenopausal]\nvalue = 300.0",
        1,
    );
    assert_ne!(changed, text, "the parameter to edit was not found");
    fs::write(&endocrine, changed).expect("write endocrine.toml");
    let missed = osteosim(
        &["validate", "E1", "--model", s(&edited), "--out", "edited"],
        dir.path(),
    );
    missed.assert_code(1);
    assert!(
        missed.stdout.contains("FAIL") && missed.stderr.contains("E1"),
        "{}",
        missed.describe()
    );
}

// ---------------------------------------------------------------------------------------------
// Outputs change as a set
// ---------------------------------------------------------------------------------------------

/// Names in a directory, sorted (hidden ones too).
fn entry_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_summary_that_cannot_be_written_fails_naming_it_and_keeps_earlier_outputs() {
    let tmp = TempDir::new("summary-dir");
    let good = short_scenario(&tmp, "");
    osteosim(&["run", s(&good), "--out", "out"], tmp.path()).assert_code(0);
    let out = tmp.join("out");
    let before = fs::read(out.join("timeseries.csv")).expect("timeseries.csv");
    fs::remove_file(out.join("summary.json")).expect("remove summary.json");
    fs::create_dir(out.join("summary.json")).expect("summary.json as a directory");

    // Another subject: its time series differs from the earlier one.
    let other = tmp.join("other.toml");
    fs::write(
        &other,
        "[subject]\nspecies = \"human\"\nsex = \"female\"\nage_years = 55.0\n\
         [simulation]\nduration_days = 1095.0\noutput_every_days = 91.0\n",
    )
    .expect("write scenario");
    let run = osteosim(&["run", s(&other), "--out", "out"], tmp.path());
    run.assert_code(2);
    assert!(
        run.stderr
            .contains(s(&Path::new("out").join("summary.json"))),
        "the message names the file\n{}",
        run.describe()
    );
    assert!(run.stderr.contains("is a directory"), "{}", run.describe());
    assert_eq!(
        fs::read(out.join("timeseries.csv")).expect("timeseries.csv"),
        before,
        "the earlier timeseries.csv is kept byte for byte"
    );
    assert_eq!(
        entry_names(&out),
        ["report.html", "summary.json", "timeseries.csv"]
    );
}

#[test]
fn a_run_that_cannot_write_leaves_no_new_directory() {
    let tmp = TempDir::new("no-new-dir");
    let good = short_scenario(&tmp, "");
    // A file where a parent directory should be: nothing can be created under it.
    fs::write(tmp.join("blocker"), "x").expect("write file");
    let run = osteosim(&["run", s(&good), "--out", "blocker/out"], tmp.path());
    run.assert_code(2);
    assert!(run.stderr.contains("blocker"), "{}", run.describe());
    assert_eq!(entry_names(tmp.path()), ["blocker", "scenario.toml"]);
}

#[test]
fn a_numerical_failure_names_the_parameter_overrides_involved() {
    let tmp = TempDir::new("override_failure");
    fs::write(
        tmp.join("s.toml"),
        "[subject]\nspecies = \"human\"\nsex = \"female\"\nage_years = 50\n\
         [subject.parameters]\ntnf_scale = 0.0\n\
         [simulation]\nduration_days = 30\noutput_every_days = 10\n",
    )
    .expect("write scenario");
    let run = osteosim(&["run", "s.toml", "--out", "out"], tmp.path());
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("with the parameter overrides tnf_scale = 0"),
        "{}",
        run.describe()
    );
    assert!(!tmp.join("out").exists());
}

#[test]
fn an_override_outside_its_range_exits_2_naming_the_parameter() {
    let tmp = TempDir::new("range");
    fs::write(
        tmp.join("s.toml"),
        "[subject]\nspecies = \"human\"\nsex = \"female\"\nage_years = 50\n\
         [subject.parameters]\npeak_bmd_femoral_neck = -1\n",
    )
    .expect("write scenario");
    let run = osteosim(&["run", "s.toml", "--out", "out"], tmp.path());
    run.assert_code(2);
    assert!(
        run.stderr.contains("peak_bmd_femoral_neck") && run.stderr.contains("outside the range"),
        "{}",
        run.describe()
    );
    assert!(!tmp.join("out").exists());
}

#[test]
fn an_output_that_overflows_exits_1_and_writes_nothing() {
    let tmp = TempDir::new("overflow");
    // x grows slowly and stays finite; the output x * 1e308 does not.
    toy_model(&tmp.join("toy"), "1e-3 * k * x");
    let layer = tmp.join("toy").join("growth.toml");
    let text = fs::read_to_string(&layer).expect("read layer");
    fs::write(
        &layer,
        text.replace("expr = \"x\"", "expr = \"x * 1e308 * 10\""),
    )
    .expect("write");
    let run = osteosim(&["run", "--model", "toy", "--out", "out"], tmp.path());
    run.assert_code(1);
    assert!(
        run.stderr.contains("output `x_level` is inf"),
        "{}",
        run.describe()
    );
    assert!(!tmp.join("out").exists());
}

#[test]
fn inputs_outside_the_model_directory_or_not_regular_files_exit_2() {
    let tmp = TempDir::new("inputs");
    toy_model(&tmp.join("toy"), "k * x");
    let manifest = tmp.join("toy").join("model.toml");
    let text = fs::read_to_string(&manifest).expect("read manifest");
    fs::write(
        &manifest,
        text.replace("\"growth.toml\"", "\"../../../../etc/passwd\""),
    )
    .expect("write");
    let run = osteosim(&["check", "toy"], tmp.path());
    run.assert_code(2);
    assert!(
        run.stderr.contains("leaves the model directory"),
        "{}",
        run.describe()
    );

    let run = osteosim(&["run", "/dev/zero", "--out", "out"], tmp.path());
    run.assert_code(2);
    assert!(
        run.stderr.contains("not a regular file"),
        "{}",
        run.describe()
    );
    let run = osteosim(&["trial", "/dev/zero", "--out", "out"], tmp.path());
    run.assert_code(2);
    assert!(
        run.stderr.contains("not a regular file"),
        "{}",
        run.describe()
    );
    assert!(!tmp.join("out").exists());
}

#[test]
fn check_on_a_file_says_it_takes_a_model_directory() {
    let tmp = TempDir::new("check_file");
    fs::write(tmp.join("s.toml"), "[subject]\n").expect("write");
    let run = osteosim(&["check", "s.toml"], tmp.path());
    run.assert_code(2);
    assert!(
        run.stderr.contains("reads a model directory") && run.stderr.contains("osteosim run FILE"),
        "{}",
        run.describe()
    );
}
