//! `osteosim run [SCENARIO.toml] [--model DIR] [--out DIR]`: simulate one subject and write
//! `timeseries.csv`, `summary.json` and `report.html`, all or none.

use std::path::Path;
use std::time::Instant;

use osteosim_engine::output::write_all_or_nothing;
use osteosim_engine::SimError;
use osteosim_model::scenario::{Scenario, ScenarioError, DAYS_PER_YEAR};
use osteosim_model::{report, BindError};
use serde_json::Value;

use crate::failure::{note, print, Failure};
use crate::models::LoadedModel;
use crate::pages;

pub const TIMESERIES_FILE: &str = "timeseries.csv";
pub const SUMMARY_FILE: &str = "summary.json";

/// Label of the built-in default scenario in messages and in `summary.json`.
const DEFAULT_SCENARIO_LABEL: &str = "(built-in default scenario)";

pub fn run(
    scenario_path: Option<&Path>,
    model_dir: Option<&Path>,
    out: &Path,
) -> Result<(), Failure> {
    let started = Instant::now();

    // The scenario first: a bad scenario is reported whatever the model.
    let loaded = LoadedModel::from_option(model_dir)?;
    let (scenario, label) = match scenario_path {
        Some(path) => (
            Scenario::read(path, &loaded.catalogue).map_err(scenario_failure)?,
            path.display().to_string(),
        ),
        None => {
            let scenario = Scenario::default_woman();
            note(&format!(
                "no scenario file given: running the built-in default, {}",
                describe_default(&scenario)
            ));
            (scenario, DEFAULT_SCENARIO_LABEL.to_string())
        }
    };

    if loaded.is_interpreted() {
        note(&format!(
            "{} differs from the built-in model: running it on the tape interpreter \
             (slower than the built-in native code)",
            loaded.describe()
        ));
    }
    let model = loaded.model.as_ref();

    let known: Vec<&str> = model.parameter_names().collect();
    scenario
        .check_parameter_names(&known, &label)
        .map_err(|mut e| {
            if let (None, Some(path)) = (e.line, scenario_path) {
                // The file parsed a moment ago; read it again only to point at the line.
                if let Ok(text) = std::fs::read_to_string(path) {
                    e.line = parameter_line(&text, &e.key);
                }
            }
            scenario_failure(e)
        })?;

    let output = report::run(model, loaded.kernel(), &scenario, &label).map_err(|e| match e {
        BindError::Missing { .. } | BindError::Catalogue(_) => {
            Failure::bad_input(format!("{label}: {e}"))
        }
        BindError::Simulation(e) => simulation_failure(&label, &loaded, &scenario, &e),
    })?;

    let mut summary = output.summary;
    if let Some(m) = summary.get_mut("model").and_then(Value::as_object_mut) {
        let source = match &loaded.dir {
            None => "built-in".to_string(),
            Some(dir) => dir.display().to_string(),
        };
        m.insert("source".into(), Value::String(source));
        m.insert(
            "evaluator".into(),
            Value::String(loaded.evaluator_name().to_string()),
        );
    }
    let mut json = serde_json::to_vec_pretty(&summary)
        .map_err(|e| Failure::run_failed(format!("cannot encode {SUMMARY_FILE}: {e}")))?;
    json.push(b'\n');

    let html = pages::run::report(model, &scenario, &label, &output.table, &summary)
        .map_err(|e| Failure::run_failed(format!("cannot draw {}: {e}", pages::REPORT_FILE)))?;

    let files = [
        (TIMESERIES_FILE, output.table.to_csv()),
        (SUMMARY_FILE, json),
        (pages::REPORT_FILE, html.into_bytes()),
    ];
    // The directory is created (and locked) only now that there is something to write; a
    // failure removes it again when it was new, and leaves earlier outputs as they were.
    write_all_or_nothing(out, &files)
        .map_err(|e| Failure::bad_input(format!("cannot write the outputs: {e}")))?;

    let rows = output.table.rows.len();
    let columns = output.table.columns.len();
    let mut report = format!(
        "wrote {} ({rows} rows, {columns} columns)\n",
        out.join(TIMESERIES_FILE).display()
    );
    report.push_str(&format!("wrote {}\n", out.join(SUMMARY_FILE).display()));
    report.push_str(&format!(
        "wrote {}\n",
        out.join(pages::REPORT_FILE).display()
    ));
    report.push_str(&format!(
        "wall time {:.3} s\n",
        started.elapsed().as_secs_f64()
    ));
    print(&report)
}

fn scenario_failure(e: ScenarioError) -> Failure {
    Failure::bad_input(e.to_string())
}

/// Errors raised while the simulation is set up are caused by its input (exit 2); those
/// raised while it is integrated are numerical failures of a valid run (exit 1).
fn simulation_failure(
    label: &str,
    loaded: &LoadedModel,
    scenario: &Scenario,
    e: &SimError,
) -> Failure {
    let message = format!(
        "{label}: the simulation on {} failed: {e}",
        loaded.describe()
    );
    match e {
        SimError::Parameter { .. } | SimError::Dose { .. } | SimError::Settings { .. } => {
            Failure::bad_input(message)
        }
        _ => Failure::run_failed(format!("{message}{}", overrides(scenario))),
    }
}

/// "; with the parameter overrides a = 1, b = 2", the scenario's own values that a numerical
/// failure may come from; empty without any.
fn overrides(scenario: &Scenario) -> String {
    let set: Vec<String> = scenario
        .subject
        .parameters
        .iter()
        .map(|(name, value)| format!("{name} = {value}"))
        .collect();
    if set.is_empty() {
        String::new()
    } else {
        format!("; with the parameter overrides {}", set.join(", "))
    }
}

/// "a 45-year-old human female, estrogen profile natural_menopause (menopause_age_years = 51),
/// 30 years simulated, output every 30 days".
fn describe_default(s: &Scenario) -> String {
    let subject = &s.subject;
    let estrogen = match &s.estrogen.setting {
        Some((key, value)) => format!("estrogen profile {} ({key} = {value})", s.estrogen.id),
        None => format!("estrogen profile {}", s.estrogen.id),
    };
    format!(
        "a {}-year-old {} {}, {estrogen}, {} years simulated, output every {} days",
        subject.age_years,
        subject.species.as_str(),
        subject.sex.as_str(),
        s.simulation.duration_days / DAYS_PER_YEAR,
        s.simulation.output_every_days
    )
}

/// The 1-based line of `subject.parameters.NAME` in a scenario file's text, when it is
/// written under a `[subject.parameters]` header (the usual form).
fn parameter_line(text: &str, key: &str) -> Option<usize> {
    let name = key.strip_prefix("subject.parameters.")?;
    let name = name.trim_matches('"');
    let mut in_table = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            let header: String = line
                .split('#')
                .next()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            in_table = header == "[subject.parameters]";
            continue;
        }
        if !in_table {
            continue;
        }
        let Some((lhs, _)) = line.split_once('=') else {
            continue;
        };
        let lhs = lhs.trim();
        let unquoted = lhs
            .strip_prefix('"')
            .and_then(|l| l.strip_suffix('"'))
            .or_else(|| lhs.strip_prefix('\'').and_then(|l| l.strip_suffix('\'')))
            .unwrap_or(lhs);
        if unquoted == name {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_line_of_a_parameter_override() {
        let text = "[subject]\nspecies = \"human\"\n[subject.parameters]\n\
                    # comment\nfoo = 1.0\n\"bar\" = 2.0\n[estrogen]\nbaz = 3\n";
        assert_eq!(parameter_line(text, "subject.parameters.foo"), Some(5));
        assert_eq!(parameter_line(text, "subject.parameters.bar"), Some(6));
        assert_eq!(parameter_line(text, "subject.parameters.baz"), None);
        assert_eq!(parameter_line(text, "subject.age_years"), None);
    }

    #[test]
    fn the_default_is_described_from_its_values() {
        let d = describe_default(&Scenario::default_woman());
        assert!(d.contains("45-year-old human female"), "{d}");
        assert!(
            d.contains("natural_menopause (menopause_age_years = 51)"),
            "{d}"
        );
        assert!(d.contains("30 years"), "{d}");
    }
}
