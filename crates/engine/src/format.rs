//! The model file format: a model directory holds `model.toml` (the manifest) and one TOML
//! file per biological layer. This module reads the files into declarations that remember
//! their file and line; [`crate::model`] resolves and checks them. The reference for model
//! authors is `docs/model-format.md`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{did_you_mean, ModelError, Origin};

/// The manifest, `model.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub model: ManifestModel,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestModel {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The unit of the independent variable `t`, e.g. "day".
    pub time_unit: Spanned<String>,
    /// Layer files, relative to the manifest, in reading order.
    pub layers: Vec<Spanned<String>>,
}

/// One layer file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerFile {
    pub layer: LayerMeta,
    #[serde(default)]
    pub states: BTreeMap<Spanned<String>, StateDecl>,
    #[serde(default)]
    pub parameters: BTreeMap<Spanned<String>, ParameterDecl>,
    #[serde(default)]
    pub assignments: BTreeMap<Spanned<String>, ExprDecl>,
    #[serde(default)]
    pub processes: BTreeMap<Spanned<String>, ProcessDecl>,
    #[serde(default)]
    pub observables: BTreeMap<Spanned<String>, ExprDecl>,
    #[serde(default)]
    pub inputs: BTreeMap<Spanned<String>, InputDecl>,
    /// Parameter sets: group (e.g. "species") -> variant (e.g. "mouse") -> parameter -> value.
    #[serde(default)]
    pub sets: BTreeMap<String, BTreeMap<String, BTreeMap<Spanned<String>, SetEntryDecl>>>,
    /// Terms this file adds to open assignments declared anywhere in the model.
    #[serde(default)]
    pub contributions: BTreeMap<Spanned<String>, ContributionDecl>,
    /// Entries for front ends (for osteosim: drugs, genotypes, estrogen profiles). The engine
    /// does not interpret them; a front end reads them from the layer's text
    /// ([`crate::model::Layer::source`]) with its own schema.
    #[serde(default)]
    pub catalogue: Option<toml::Table>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerMeta {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// A number, or an expression given as a string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum NumberOrExpr {
    Number(f64),
    Expr(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDecl {
    pub unit: Spanned<String>,
    /// A number, an expression of parameters, or "steady" (solved for at the start).
    pub initial: Spanned<NumberOrExpr>,
    #[serde(default)]
    pub description: String,
    /// Absolute error tolerance for this state, in its unit (default: the solver's).
    pub tolerance: Option<Spanned<f64>>,
    /// Starting point of the steady-state search when `initial = "steady"` (default 0).
    pub guess: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterDecl {
    pub value: Spanned<f64>,
    pub unit: Spanned<String>,
    #[serde(default)]
    pub description: String,
    /// Citation with table or figure.
    pub source: Option<String>,
    /// What the value was calibrated to, when no paper gives it.
    pub calibrated: Option<String>,
    /// The values it may take, `[lo, hi]` (either end may be `inf` or `-inf`): the declared
    /// value, every parameter set and every override must lie inside.
    #[serde(default)]
    pub range: Option<Spanned<[f64; 2]>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExprDecl {
    pub expr: Spanned<String>,
    pub unit: Spanned<String>,
    #[serde(default)]
    pub description: String,
    /// Assignments only: `"sum"` or `"product"` opens the assignment to
    /// `[contributions]` from other files, added to or multiplied with `expr`.
    pub combine: Option<Spanned<String>>,
}

/// `[contributions.NAME]`: a term added to (or a factor multiplied into) an open assignment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContributionDecl {
    /// The open assignment (declared with `combine`) this term goes into.
    pub to: Spanned<String>,
    pub expr: Spanned<String>,
    #[serde(default)]
    pub description: String,
}

/// Stoichiometry: a list of state names (coefficient 1 each) or a table name -> coefficient.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StoichDecl {
    Names(Vec<String>),
    Table(BTreeMap<String, f64>),
}

impl StoichDecl {
    pub fn entries(&self) -> Vec<(String, f64)> {
        match self {
            StoichDecl::Names(v) => v.iter().map(|n| (n.clone(), 1.0)).collect(),
            StoichDecl::Table(m) => m.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessDecl {
    pub rate: Spanned<String>,
    pub consumes: Option<StoichDecl>,
    pub produces: Option<StoichDecl>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputDecl {
    /// The state a dose goes into.
    pub state: Spanned<String>,
    /// The unit of the dose amount, e.g. "mg"; converted to the state's unit.
    pub unit: Spanned<String>,
    /// Fraction of the dose that reaches the state (expression of parameters; default 1).
    pub bioavailability: Option<Spanned<String>>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetEntryDecl {
    pub value: f64,
    pub source: Option<String>,
    pub calibrated: Option<String>,
}

/// A file's text with its name, able to turn byte offsets into line numbers.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    pub fn origin(&self, offset: usize) -> Origin {
        Origin {
            file: self.name.clone(),
            line: self.line_of(offset),
        }
    }

    /// Parse the file as TOML into `T`, turning serde's message into one with a line and,
    /// for unknown keys, a "did you mean".
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, ModelError> {
        toml::from_str(&self.text).map_err(|e| {
            let line = e.span().map(|s| self.line_of(s.start)).unwrap_or(0);
            ModelError::Syntax {
                origin: Origin {
                    file: self.name.clone(),
                    line,
                },
                message: explain_toml_error(e.message()),
            }
        })
    }
}

/// serde says "unknown field `x`, expected one of `a`, `b`"; add the nearest name.
fn explain_toml_error(message: &str) -> String {
    let message = message.trim().to_string();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((name, tail)) = rest.split_once('`') {
            let expected: Vec<&str> = tail
                .split('`')
                .enumerate()
                .filter(|(i, _)| i % 2 == 1)
                .map(|(_, s)| s)
                .collect();
            return format!(
                "unknown key `{name}`{}{}",
                if expected.is_empty() {
                    String::new()
                } else {
                    format!(", expected one of {}", expected.join(", "))
                },
                did_you_mean(name, expected.iter().copied())
            );
        }
    }
    message
}

/// Largest input file (model layer, scenario, trial file) that is read: far above any real
/// one, and small enough that a wrong path (a device, a log) is refused at once.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// The text of an input file: a regular file (not a directory, FIFO or device, which could
/// block or never end) of at most [`MAX_INPUT_BYTES`], in UTF-8. The error says which rule
/// failed, without the path (the caller names the file).
pub fn read_input_file(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(if meta.is_dir() {
            "is a directory, not a file".to_string()
        } else {
            "is not a regular file (a FIFO, socket or device?)".to_string()
        });
    }
    let too_large = || format!("is larger than {} MiB", MAX_INPUT_BYTES / (1024 * 1024));
    if meta.len() > MAX_INPUT_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| format!("is not UTF-8 text: {e}"))
}

/// Read a text file for the model, as a [`SourceFile`] named relative to the model directory.
/// The path must stay inside the directory: no `..`, no absolute path.
pub fn read_source(dir: &Path, relative: &str) -> Result<SourceFile, ModelError> {
    let path = dir.join(relative);
    let io = |message: String| ModelError::Io {
        origin: Origin {
            file: path.display().to_string(),
            line: 0,
        },
        message,
    };
    let inside = Path::new(relative).components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    if !inside {
        return Err(io(format!(
            "`{relative}` leaves the model directory: layer files are named relative to it, without `..` or a root"
        )));
    }
    read_input_file(&path)
        .map(|text| SourceFile::new(relative, text))
        .map_err(io)
}

/// Entries of a spanned map in declaration order (the map itself sorts by name).
pub fn in_file_order<V>(map: &BTreeMap<Spanned<String>, V>) -> Vec<(&Spanned<String>, &V)> {
    let mut v: Vec<_> = map.iter().collect();
    v.sort_by_key(|(k, _)| k.span().start);
    v
}
