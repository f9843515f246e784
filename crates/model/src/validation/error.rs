//! What went wrong with a target: where (the file of `validation/`, the line, the target and
//! the band, read or key) and what, in the shape of a scenario error.

use std::fmt;

use crate::toml_section::ScenarioError;

/// A target that cannot be read or computed.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationError {
    /// The file, relative to `validation/`: `targets.toml`, or a scenario or trial file a
    /// target names.
    pub file: String,
    /// 1-based line in `file`, when known.
    pub line: Option<usize>,
    /// The target's id; `None` for the target file as a whole.
    pub target: Option<String>,
    /// What in the target or file: a band, read or requirement (with its name), or a scenario
    /// key; empty for the target as a whole.
    pub item: String,
    pub message: String,
}

impl ValidationError {
    /// A fault of the target file in `target`'s `item`.
    pub(super) fn in_target(
        target: &str,
        item: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ValidationError::reading(target, "targets.toml", item, message)
    }

    /// A failure while `target` reads `file` (a scenario or trial file, or the run of one).
    pub(super) fn reading(
        target: &str,
        file: &str,
        item: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ValidationError {
            file: file.to_string(),
            line: None,
            target: Some(target.to_string()),
            item: item.into(),
            message: message.into(),
        }
    }

    /// A scenario file of `validation/` that does not parse.
    pub(super) fn scenario(target: &str, e: ScenarioError) -> Self {
        ValidationError {
            file: e.file,
            line: e.line,
            target: Some(target.to_string()),
            item: e.key,
            message: e.message,
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "validation/{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        f.write_str(":")?;
        if let Some(t) = &self.target {
            write!(f, " target {t}")?;
        }
        if !self.item.is_empty() {
            write!(f, " {}", self.item)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ValidationError {}
