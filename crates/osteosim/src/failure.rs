//! How a command fails: a message for stderr and the process exit code.
//!
//! Exit codes are part of the command line contract:
//! - 0: success,
//! - 1: a valid run failed while it was being computed (the solver could not proceed, a
//!   state became non-finite, no steady state was found),
//! - 2: bad input: a scenario or model file that does not check, an unknown parameter name,
//!   a scenario the model cannot run, a file or directory that cannot be read or written.
//!
//! Usage errors found by the argument parser also exit with 2.

use std::io::Write;

/// Exit code of a run that failed numerically.
pub const EXIT_RUN_FAILED: u8 = 1;
/// Exit code of any bad input.
pub const EXIT_BAD_INPUT: u8 = 2;

/// A failed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: u8,
    /// Printed after `error: `; may span several lines.
    pub message: String,
}

impl Failure {
    pub fn bad_input(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_BAD_INPUT,
            message: message.into(),
        }
    }

    pub fn run_failed(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_RUN_FAILED,
            message: message.into(),
        }
    }
}

/// Write `text` to stdout. A closed pipe (`osteosim params | head`) is not an error.
/// Writes `value` to standard output as pretty JSON; `what` names it in an error.
pub fn print_json(value: &serde_json::Value, what: &str) -> Result<(), Failure> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::run_failed(format!("cannot encode {what}: {e}")))?;
    text.push('\n');
    print(&text)
}

pub fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::run_failed(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// Write one line to stderr; a failure to do so is ignored (there is nowhere to report it).
pub fn note(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", text.trim_end());
}
