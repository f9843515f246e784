//! `osteosim trial` as a user meets it: bad trial files exit 2 naming file and key, and a run
//! killed with SIGKILL mid-way and resumed ends with exactly the files of an uninterrupted run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_osteosim");
const OUTPUTS: [&str; 6] = [
    "subjects.parquet",
    "arms.csv",
    "events.csv",
    "population.csv",
    "summary.json",
    "report.html",
];

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("osteosim-trial-cli-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

const GOOD: &str = r#"[population]
size = 200
seed = 11
species = "human"
sex = "female"
age_years = { mean = 63.0, sd = 6.0, min = 50.0, max = 78.0 }
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
duration_days = 1461.0
output_every_days = 30.0
"#;

fn trial(file: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("trial")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn bad_trial_files_exit_2_naming_file_and_key() {
    let dir = temp("bad");
    // (change to the good file, key named in the message, expected line)
    let corpus: &[(&str, &str, &str, Option<usize>)] = &[
        ("size = 200", "size = -3", "population.size", Some(2)),
        ("seed = 11", "seed = \"x\"", "population.seed", Some(3)),
        (
            "species = \"human\"",
            "species = \"humna\"",
            "population.species",
            Some(4),
        ),
        (
            "osteoclast_apoptosis_rate = 0.2",
            "osteoclast_apoptosis_rat = 0.2",
            "population.variability.osteoclast_apoptosis_rat",
            Some(9),
        ),
        (
            "osteoclast_apoptosis_rate = 0.2",
            "osteoclast_apoptosis_rate = 0.2\n[population.inclusion]\nt_score_femur_max = -2.5",
            "population.inclusion.t_score_femur_max",
            Some(11),
        ),
        (
            "dose_mg = 5.0",
            "dose_mg = 5.0\nroute = \"oral\"",
            "arm[1].treatment[0].route",
            Some(18),
        ),
        (
            "drug = \"zoledronic_acid\"",
            "drug = \"zoledronate\"",
            "arm[1].treatment[0].drug",
            Some(16),
        ),
        (
            "name = \"placebo\"",
            "nme = \"placebo\"",
            "arm[0].nme",
            Some(12),
        ),
        (
            "duration_days = 1461.0",
            "duration_days = 0",
            "simulation.duration_days",
            Some(21),
        ),
        ("[population]", "[populaton]", "populaton", Some(1)),
        ("name = \"placebo\"", "name = \"..\"", "arm[0].name", Some(12)),
        (
            "name = \"placebo\"",
            "name = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
            "arm[0].name",
            Some(12),
        ),
        (
            "sd = 6.0, min = 50.0",
            "sd = 6.0, min = 90.0",
            "population.age_years.max",
            Some(6),
        ),
    ];
    for (i, (from, to, key, line)) in corpus.iter().enumerate() {
        assert!(GOOD.contains(from), "{from}");
        let file = dir.join(format!("bad{i}.toml"));
        fs::write(&file, GOOD.replacen(from, to, 1)).unwrap();
        let out = dir.join(format!("out{i}"));
        let r = trial(&file, &out, &[]);
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{to}: {stderr}");
        let at = match line {
            Some(l) => format!("{}:{l}: `{key}`", file.display()),
            None => format!("`{key}`"),
        };
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains(&at), "{to}: expected {at} in {stderr}");
        assert!(!out.join("summary.json").exists());
    }
    // Impossible screening is bad input too, and says which criterion.
    let file = dir.join("impossible.toml");
    fs::write(
        &file,
        GOOD.replace(
            "osteoclast_apoptosis_rate = 0.2",
            "osteoclast_apoptosis_rate = 0.2\n[population.inclusion]\nt_score_femoral_neck_max = -20",
        ),
    )
    .unwrap();
    let r = trial(&file, &dir.join("impossible"), &[]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("population.inclusion")
            && stderr.contains("t_score_femoral_neck_max = -20"),
        "{stderr}"
    );
    // It failed in its first chunks: the directory it created is gone again, manifest and all.
    assert!(
        !dir.join("impossible").exists(),
        "a failed trial leaves no directory it created"
    );
    // The same failure in an existing directory leaves it as it was.
    let existing = dir.join("existing");
    fs::create_dir_all(&existing).unwrap();
    fs::write(existing.join("notes.txt"), "mine").unwrap();
    let r = trial(&file, &existing, &[]);
    assert_eq!(r.status.code(), Some(2));
    let names: Vec<String> = fs::read_dir(&existing)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["notes.txt"]);
    // A seed beyond the range says the range.
    let file = dir.join("seed.toml");
    fs::write(
        &file,
        GOOD.replace("seed = 11", "seed = 18446744073709551616"),
    )
    .unwrap();
    let r = trial(&file, &dir.join("seed"), &[]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`population.seed`") && stderr.contains("0 to 18446744073709551615"),
        "{stderr}"
    );
    // A missing file.
    let r = trial(&dir.join("absent.toml"), &dir.join("absent"), &[]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("absent.toml"));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn killed_with_sigkill_and_resumed_gives_the_uninterrupted_files() {
    let dir = temp("kill");
    let file = dir.join("trial.toml");
    fs::write(&file, GOOD).unwrap();
    let whole = dir.join("whole");
    let r = trial(&file, &whole, &["--threads", "1"]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );

    let killed = dir.join("killed");
    let mut kills = 0;
    // Kill as soon as a few parts are committed, until the run no longer gets that far.
    for round in 0..3 {
        let mut cmd = Command::new(BIN);
        cmd.arg("trial").arg(&file).arg("--out").arg(&killed);
        if round > 0 {
            cmd.arg("--resume");
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let work = killed.join(".osteosim-trial");
        let start = Instant::now();
        let target = 3 + 5 * round;
        loop {
            let parts = fs::read_dir(&work)
                .map(|d| {
                    d.filter_map(Result::ok)
                        .filter(|e| e.file_name().to_string_lossy().starts_with("part-"))
                        .count()
                })
                .unwrap_or(0);
            if parts >= target || start.elapsed() > Duration::from_secs(60) {
                break;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        let _ = child.wait();
    }
    assert!(kills >= 1, "the run finished before it could be killed");
    assert!(!killed.join("summary.json").exists() || kills < 3);

    // A changed file refuses to resume.
    let changed = dir.join("changed.toml");
    fs::write(&changed, GOOD.replace("seed = 11", "seed = 12")).unwrap();
    if killed.join(".osteosim-trial").exists() {
        let r = trial(&changed, &killed, &["--resume"]);
        assert_eq!(r.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&r.stderr).contains("changed"));
    }

    let r = trial(&file, &killed, &["--resume", "--threads", "2"]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    for f in OUTPUTS {
        let (a, b) = (
            fs::read(whole.join(f)).unwrap(),
            fs::read(killed.join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs after kill and resume");
    }
    assert!(!killed.join(".osteosim-trial").exists());
    let _ = fs::remove_dir_all(&dir);
}

/// A small, quick trial: `seed` changes every output.
fn small(seed: u64) -> String {
    GOOD.replace("size = 200", "size = 24")
        .replace("seed = 11", &format!("seed = {seed}"))
        .replace("duration_days = 1461.0", "duration_days = 400.0")
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_summary_that_cannot_be_written_keeps_every_earlier_output() {
    let dir = temp("summary-dir");
    let (first, second) = (dir.join("first.toml"), dir.join("second.toml"));
    fs::write(&first, small(1)).unwrap();
    fs::write(&second, small(2)).unwrap();
    let out = dir.join("out");
    let r = trial(&first, &out, &[]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let before: Vec<Vec<u8>> = OUTPUTS[..4]
        .iter()
        .map(|f| fs::read(out.join(f)).unwrap())
        .collect();
    fs::remove_file(out.join("summary.json")).unwrap();
    fs::create_dir(out.join("summary.json")).unwrap();

    let r = trial(&second, &out, &[]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&out.join("summary.json").display().to_string())
            && stderr.contains("is a directory"),
        "the message names the file: {stderr}"
    );
    for (f, b) in OUTPUTS[..4].iter().zip(&before) {
        assert!(&fs::read(out.join(f)).unwrap() == b, "{f} changed");
    }
    // The computed chunks are kept: once the way is clear, --resume finishes the run.
    fs::remove_dir(out.join("summary.json")).unwrap();
    let r = trial(&second, &out, &["--resume"]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let fresh = dir.join("fresh");
    let r = trial(&second, &fresh, &[]);
    assert_eq!(r.status.code(), Some(0));
    for f in OUTPUTS {
        assert!(
            fs::read(out.join(f)).unwrap() == fs::read(fresh.join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(names(&out), names(&fresh));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_second_trial_on_the_same_directory_is_refused_and_the_first_completes() {
    let dir = temp("two");
    let file = dir.join("trial.toml");
    fs::write(&file, GOOD).unwrap();
    let out = dir.join("out");
    let first = Command::new(BIN)
        .arg("trial")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--threads")
        .arg("1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first is computing.
    let start = Instant::now();
    while !out.join(".osteosim-trial").join("manifest.json").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the first trial never started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    for extra in [&[][..], &["--resume"][..]] {
        let r = trial(&file, &out, extra);
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(
            stderr.contains(&out.display().to_string())
                && stderr.contains(
                    "another osteosim process (a trial or a run) is writing to this directory"
                ),
            "{stderr}"
        );
    }
    let r = first.wait_with_output().unwrap();
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let mut expected: Vec<String> = OUTPUTS.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names(&out), expected, "complete outputs, nothing else left");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn thread_counts_outside_1_to_1024_exit_2() {
    let dir = temp("threads");
    let file = dir.join("trial.toml");
    fs::write(&file, small(1)).unwrap();
    for n in ["10000", "0"] {
        let out = dir.join(format!("out{n}"));
        let r = trial(&file, &out, &["--threads", n]);
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{n}: {stderr}");
        assert!(
            stderr.contains("--threads") && stderr.contains("1..=1024"),
            "{stderr}"
        );
        assert!(!out.exists());
    }
    // More threads than chunks or cores is fine: no more are started than help.
    let r = trial(&file, &dir.join("many"), &["--threads", "1024"]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let _ = fs::remove_dir_all(&dir);
}
