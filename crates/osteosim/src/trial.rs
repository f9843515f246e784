//! `osteosim trial TRIAL.toml --out DIR [--resume] [--threads N]`: run a virtual trial and
//! write `subjects.parquet`, `arms.csv`, `events.csv`, `population.csv` and `summary.json`,
//! then `report.html`, drawn from them.

use std::path::Path;
use std::time::Instant;

use osteosim_model::builtin;
use osteosim_model::virtual_trial::{self, Finished, TrialOptions};

use osteosim_engine::output::write_all_or_nothing;

use crate::failure::{print, Failure};
use crate::pages;

pub fn trial(file: &Path, out: &Path, resume: bool, threads: Option<usize>) -> Result<(), Failure> {
    let started = Instant::now();
    let label = file.display().to_string();
    let text = osteosim_engine::format::read_input_file(file)
        .map_err(|e| Failure::bad_input(format!("{label}: cannot read trial file: {e}")))?;
    let options = TrialOptions {
        threads,
        resume,
        stop_after_chunks: None,
        progress: true,
        ..TrialOptions::default()
    };
    let finished = virtual_trial::run(
        builtin::model(),
        builtin::kernel(),
        &text,
        &label,
        out,
        &options,
    )
    .map_err(|e| {
        if e.is_numerical() {
            Failure::run_failed(e.to_string())
        } else {
            Failure::bad_input(e.to_string())
        }
    })?;
    let mut report = String::new();
    match finished {
        Finished::Complete {
            subjects,
            arms,
            files,
        } => {
            report.push_str(&format!("{subjects} subjects x {arms} arms\n"));
            for f in files {
                report.push_str(&format!("wrote {}\n", f.display()));
            }
            let html = pages::trial::report(builtin::model(), &label, out).map_err(|e| {
                Failure::run_failed(format!("cannot draw {}: {e}", pages::REPORT_FILE))
            })?;
            write_all_or_nothing(out, &[(pages::REPORT_FILE, html.into_bytes())]).map_err(|e| {
                Failure::bad_input(format!("cannot write {}: {e}", pages::REPORT_FILE))
            })?;
            report.push_str(&format!(
                "wrote {}\n",
                out.join(pages::REPORT_FILE).display()
            ));
        }
        Finished::Stopped {
            committed_chunks,
            chunks,
        } => report.push_str(&format!(
            "stopped after {committed_chunks} of {chunks} chunks; continue with --resume\n"
        )),
    }
    report.push_str(&format!(
        "wall time {:.3} s\n",
        started.elapsed().as_secs_f64()
    ));
    print(&report)
}
