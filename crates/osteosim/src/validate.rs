//! `osteosim validate [--model DIR]`: every published target of the validation suite against
//! the built-in model (or an edited one), as a table on the terminal, a markdown report and
//! `report.html`.

use std::path::Path;

use osteosim_engine::output::write_all_or_nothing;
use osteosim_model::validation::{self, Validator};

use crate::failure::{print, Failure};
use crate::models::LoadedModel;
use crate::pages;

/// Run the targets (all, or the one named) against `loaded`, print the table, write the
/// markdown report into `out`, and fail with code 1 when a target is missed that is not a
/// documented gap (or a documented gap passes).
pub fn validate(loaded: &LoadedModel, only: Option<&str>, out: &Path) -> Result<(), Failure> {
    let validator = Validator {
        model: &loaded.model,
        kernel: loaded.kernel(),
        catalogue: &loaded.catalogue,
    };
    let outcomes = match only {
        Some(id) => vec![validator.run(id).ok_or_else(|| {
            let ids: Vec<String> = validation::targets()
                .map(|t| t.into_iter().map(|t| t.id).collect())
                .unwrap_or_default();
            Failure::bad_input(format!(
                "no validation target `{id}`; the targets are {}",
                ids.join(", ")
            ))
        })?],
        None => validator.run_all(),
    };
    print(&validation::text_table(&outcomes))?;
    let report = validation::markdown_report(&outcomes);
    let against = pages::validate::Against {
        model: &loaded.model,
        kernel: loaded.kernel(),
        catalogue: &loaded.catalogue,
        label: loaded.describe(),
    };
    let html = pages::validate::report(&outcomes, &against)
        .map_err(|e| Failure::run_failed(format!("cannot draw {}: {e}", pages::REPORT_FILE)))?;
    write_all_or_nothing(
        out,
        &[
            ("validation.md", report.into_bytes()),
            (pages::REPORT_FILE, html.into_bytes()),
        ],
    )
    .map_err(|e| Failure::bad_input(format!("cannot write the report: {e}")))?;
    let missed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.is_unexpected())
        .map(|o| o.id.as_str())
        .collect();
    print(&format!(
        "report written to {} and {}\n",
        out.join("validation.md").display(),
        out.join(pages::REPORT_FILE).display()
    ))?;
    if missed.is_empty() {
        Ok(())
    } else {
        Err(Failure::run_failed(format!(
            "targets missed, or documented gaps that now pass: {}",
            missed.join(", ")
        )))
    }
}
