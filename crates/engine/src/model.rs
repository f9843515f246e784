//! A resolved, checked model: every name declared once, every expression parsed and
//! dimensionally consistent, assignments in dependency order.
//!
//! [`Model::load`] reads a model directory; [`Model::from_sources`] takes the files' text (the
//! built-in model embeds its files). Both collect every problem before failing, so a modeller
//! sees all of them at once.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use crate::error::{did_you_mean, ModelError, ModelErrors, Origin};
use crate::expr::{self, BinOp, Expr, Func};
use crate::format::{
    in_file_order, read_source, ExprDecl, LayerFile, ManifestFile, NumberOrExpr, SourceFile,
};
use crate::units::Unit;

/// The name of the independent variable in every expression.
pub const TIME: &str = "t";

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A citation with its table or figure.
    Cited(String),
    /// "Calibrated to ...": what the value was fitted to.
    Calibrated(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Cited(s) => write!(f, "{s}"),
            Source::Calibrated(s) => write!(f, "calibrated: {s}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Layer {
    pub name: String,
    pub description: String,
    pub file: String,
    /// The file's text, for front ends that read their own sections (`[catalogue]`) from it.
    pub source: SourceFile,
}

/// How an open assignment (`combine = ...`) joins the contributions of other files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// `expr + c1 + c2 + ...`: each contribution in the assignment's unit.
    Sum,
    /// `expr * c1 * c2 * ...`: each contribution dimensionless.
    Product,
}

impl Combine {
    pub const fn as_str(self) -> &'static str {
        match self {
            Combine::Sum => "sum",
            Combine::Product => "product",
        }
    }
}

/// A term one file adds to an open assignment declared in another (`[contributions.NAME]`).
#[derive(Debug, Clone)]
pub struct Contribution {
    pub name: String,
    /// The open assignment it goes into.
    pub target: String,
    pub expr: Expr,
    pub text: String,
    pub description: String,
    pub layer: usize,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub enum Initial {
    /// An expression of parameters.
    Value(Expr),
    /// Solved for: the state starts where its derivative is zero; the search starts at
    /// `guess`.
    Steady { guess: f64 },
}

#[derive(Debug, Clone)]
pub struct State {
    pub name: String,
    pub unit: Unit,
    pub unit_text: String,
    pub initial: Initial,
    pub tolerance: Option<f64>,
    pub description: String,
    pub layer: usize,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    pub value: f64,
    pub unit: Unit,
    pub unit_text: String,
    pub description: String,
    pub source: Source,
    /// The values it may take (both ends included), when the file declares them.
    pub range: Option<(f64, f64)>,
    pub layer: usize,
    pub origin: Origin,
}

impl Parameter {
    /// Why `value` is not allowed for this parameter, if it is not: outside its range.
    pub fn refuses(&self, value: f64) -> Option<String> {
        let (lo, hi) = self.range?;
        (!(lo..=hi).contains(&value)).then(|| {
            format!(
                "{value} is outside the range [{lo}, {hi}] declared at {}",
                self.origin
            )
        })
    }
}

/// A named expression: an assignment (usable in other expressions) or an observable (an
/// output column).
#[derive(Debug, Clone)]
pub struct Definition {
    pub name: String,
    /// The whole expression: for an open assignment, its own expression combined with every
    /// contribution.
    pub expr: Expr,
    pub text: String,
    /// `Some` for an open assignment (assignments only).
    pub combine: Option<Combine>,
    pub unit: Unit,
    pub unit_text: String,
    pub description: String,
    pub layer: usize,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct Process {
    pub name: String,
    pub rate: Expr,
    pub text: String,
    /// (state index, signed coefficient)
    pub stoichiometry: Vec<(usize, f64)>,
    pub description: String,
    pub layer: usize,
    pub origin: Origin,
}

/// Where a dose goes: NONMEM's CMT, with the dose unit and bioavailability.
#[derive(Debug, Clone)]
pub struct Input {
    pub name: String,
    pub state: usize,
    pub unit_text: String,
    /// Multiplies a dose amount in the input's unit to give the state's unit.
    pub factor_to_state: f64,
    pub bioavailability: Option<Expr>,
    pub description: String,
    pub layer: usize,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct SetValue {
    pub parameter: usize,
    pub value: f64,
    pub source: Source,
    pub origin: Origin,
}

/// A named group of parameter values, e.g. group "species", variant "mouse".
#[derive(Debug, Clone)]
pub struct ParameterSet {
    pub group: String,
    pub variant: String,
    pub values: Vec<SetValue>,
    pub layer: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbol {
    Time,
    State(usize),
    Parameter(usize),
    Assignment(usize),
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub description: String,
    pub time_unit: Unit,
    pub time_unit_text: String,
    pub layers: Vec<Layer>,
    pub states: Vec<State>,
    pub parameters: Vec<Parameter>,
    /// In dependency order: each uses only those before it.
    pub assignments: Vec<Definition>,
    pub processes: Vec<Process>,
    pub observables: Vec<Definition>,
    pub inputs: Vec<Input>,
    pub sets: Vec<ParameterSet>,
    /// Terms added to open assignments, in layer and file order (already part of their
    /// targets' expressions).
    pub contributions: Vec<Contribution>,
    /// FNV-1a of the files' names and text: which model produced a result.
    pub content_hash: u64,
    symbols: HashMap<String, Symbol>,
    /// [`time_conditions`], found once: every subject of a trial asks for them.
    time_conditions: std::sync::OnceLock<Vec<(Expr, Expr)>>,
}

impl Model {
    /// Read and check the model in `dir` (its `model.toml` and the layer files it lists).
    pub fn load(dir: &Path) -> Result<Model, ModelErrors> {
        let manifest = read_source(dir, "model.toml").map_err(|e| ModelErrors(vec![e]))?;
        let parsed: ManifestFile = manifest.parse().map_err(|e| ModelErrors(vec![e]))?;
        let mut layers = Vec::new();
        let mut errors = Vec::new();
        for l in &parsed.model.layers {
            match read_source(dir, l.get_ref()) {
                Ok(f) => layers.push(f),
                Err(ModelError::Io { message, .. }) => errors.push(ModelError::Io {
                    origin: manifest.origin(l.span().start),
                    message: format!("layer file `{}`: {message}", l.get_ref()),
                }),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(ModelErrors(errors));
        }
        Model::from_sources(manifest, layers)
    }

    /// Check a model given as file texts: the manifest and the layer files (in manifest order).
    pub fn from_sources(
        manifest: SourceFile,
        layers: Vec<SourceFile>,
    ) -> Result<Model, ModelErrors> {
        Builder::default().build(manifest, layers)
    }

    pub fn symbol(&self, name: &str) -> Option<Symbol> {
        self.symbols.get(name).copied()
    }

    pub fn parameter_index(&self, name: &str) -> Option<usize> {
        match self.symbol(name) {
            Some(Symbol::Parameter(i)) => Some(i),
            _ => None,
        }
    }

    pub fn state_index(&self, name: &str) -> Option<usize> {
        match self.symbol(name) {
            Some(Symbol::State(i)) => Some(i),
            _ => None,
        }
    }

    pub fn input_index(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|i| i.name == name)
    }

    /// The declared parameter values, in declaration order.
    pub fn default_parameters(&self) -> Vec<f64> {
        self.parameters.iter().map(|p| p.value).collect()
    }

    /// The parameter set `group.variant`, if declared.
    pub fn set(&self, group: &str, variant: &str) -> Option<&ParameterSet> {
        self.sets
            .iter()
            .find(|s| s.group == group && s.variant == variant)
    }

    /// Names of all parameters (for "did you mean" in front ends).
    pub fn parameter_names(&self) -> impl Iterator<Item = &str> {
        self.parameters.iter().map(|p| p.name.as_str())
    }
}

/// FNV-1a, 64 bit: stable across platforms and releases, unlike `DefaultHasher`.
pub fn fnv1a(bytes: &[u8], mut hash: u64) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty {
    Num(Unit),
    /// The literal 0, which fits any unit (`max(x, 0)`, `x > 0`).
    Zero,
    Bool,
}

/// Names live in four namespaces: symbols usable in expressions (states, parameters,
/// assignments), processes, observables (output columns) and inputs. A process or an
/// observable may share its name with a symbol (`osteocytes` the state and the column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Namespace {
    Symbol,
    Process,
    Observable,
    Input,
    Contribution,
}

#[derive(Default)]
struct Builder {
    errors: Vec<ModelError>,
    origins: HashMap<(Namespace, String), Origin>,
    symbols: HashMap<String, Symbol>,
}

/// What [`Builder::combine_contributions`] finds.
struct Combined {
    combines: HashMap<String, Combine>,
    contributions: Vec<Contribution>,
    own_expressions: HashMap<String, Expr>,
}

/// What [`Builder::declare_layers`] reads.
struct Declared<'a> {
    layers: Vec<Layer>,
    states: Vec<State>,
    parameters: Vec<Parameter>,
    /// Assignments and observables declared, their expressions not yet parsed.
    assignments: Vec<PendingDef<'a>>,
    observables: Vec<PendingDef<'a>>,
}

struct PendingDef<'a> {
    name: String,
    decl: &'a ExprDecl,
    layer: usize,
    origin: Origin,
}

impl Builder {
    fn declare(
        &mut self,
        space: Namespace,
        name: &str,
        origin: &Origin,
        symbol: Option<Symbol>,
    ) -> bool {
        if !is_identifier(name) {
            self.errors.push(ModelError::Declaration {
                origin: origin.clone(),
                symbol: name.to_string(),
                message: "a name starts with a letter or `_` and has only letters, digits and `_`"
                    .into(),
            });
            return false;
        }
        if name == TIME
            || matches!(name, "and" | "or" | "not" | "if")
            || Func::from_name(name).is_some()
        {
            self.errors.push(ModelError::Declaration {
                origin: origin.clone(),
                symbol: name.to_string(),
                message: "this name is reserved (time, a keyword or a function)".into(),
            });
            return false;
        }
        if let Some(first) = self.origins.get(&(space, name.to_string())) {
            self.errors.push(ModelError::Duplicate {
                origin: origin.clone(),
                symbol: name.to_string(),
                first: first.clone(),
            });
            return false;
        }
        self.origins
            .insert((space, name.to_string()), origin.clone());
        if let Some(s) = symbol {
            self.symbols.insert(name.to_string(), s);
        }
        true
    }

    fn unit(&mut self, text: &str, origin: &Origin, symbol: &str) -> Unit {
        match Unit::parse(text) {
            Ok(u) => u,
            Err(e) => {
                self.errors.push(ModelError::Unit {
                    origin: origin.clone(),
                    symbol: symbol.to_string(),
                    message: e.to_string(),
                });
                Unit::DIMENSIONLESS
            }
        }
    }

    fn expression(&mut self, text: &str, origin: &Origin, symbol: &str) -> Option<Expr> {
        match expr::parse(text) {
            Ok(e) => Some(e),
            Err(e) => {
                self.errors.push(ModelError::Expression {
                    origin: origin.clone(),
                    symbol: symbol.to_string(),
                    message: format!("{e} in `{text}`"),
                });
                None
            }
        }
    }

    fn source(
        &mut self,
        cited: &Option<String>,
        calibrated: &Option<String>,
        origin: &Origin,
        symbol: &str,
    ) -> Source {
        match (cited, calibrated) {
            (Some(s), None) if !s.trim().is_empty() => Source::Cited(s.clone()),
            (None, Some(c)) if !c.trim().is_empty() => Source::Calibrated(c.clone()),
            (Some(_), Some(_)) => {
                self.errors.push(ModelError::Declaration {
                    origin: origin.clone(),
                    symbol: symbol.to_string(),
                    message: "give either `source` or `calibrated`, not both".into(),
                });
                Source::Cited(String::new())
            }
            _ => {
                self.errors.push(ModelError::Declaration {
                    origin: origin.clone(),
                    symbol: symbol.to_string(),
                    message: "every number needs `source = \"paper, table\"` or `calibrated = \"to what\"`".into(),
                });
                Source::Cited(String::new())
            }
        }
    }

    /// Reads and checks the model: each pass below adds to `self.errors`, and the model is
    /// returned only if none found a problem.
    fn build(mut self, manifest: SourceFile, files: Vec<SourceFile>) -> Result<Model, ModelErrors> {
        let parsed: ManifestFile = manifest.parse().map_err(|e| ModelErrors(vec![e]))?;
        let (parsed_layers, hash) = self.parse_layers(&manifest, &files);
        let (time_unit, time_unit_text) = self.time_unit(&manifest, &parsed);
        let Declared {
            layers,
            states,
            parameters,
            assignments: pending_assign,
            observables: pending_obs,
        } = self.declare_layers(&parsed_layers);
        let mut parsed_assign = self.parse_assignments(&parsed_layers, pending_assign);
        let Combined {
            combines,
            contributions,
            own_expressions,
        } = self.combine_contributions(&parsed_layers, &mut parsed_assign);
        let order = self.order_assignments(&parsed_assign);
        let assignments = self.number_assignments(
            &parsed_layers,
            &parsed_assign,
            order,
            &combines,
            &contributions,
        );
        let mut model = Model {
            name: parsed.model.name.clone(),
            description: parsed.model.description.clone(),
            time_unit,
            time_unit_text,
            layers,
            states,
            parameters,
            assignments,
            processes: Vec::new(),
            observables: Vec::new(),
            inputs: Vec::new(),
            sets: Vec::new(),
            contributions,
            content_hash: hash,
            symbols: self.symbols.clone(),
            time_conditions: std::sync::OnceLock::new(),
        };

        // Check every expression's names and units; an open assignment's contributions each
        // on their own, at their own line.
        self.check_contributions(&model);
        self.check_assignments(&model, &own_expressions);
        self.check_initial_values(&model);
        for (li, (file, l)) in parsed_layers.iter().enumerate() {
            self.read_processes(&mut model, li, file, l);
            self.read_inputs(&mut model, li, file, l);
            self.read_sets(&mut model, li, file, l);
        }
        self.read_observables(&mut model, &parsed_layers, pending_obs);
        self.finish(model)
    }

    /// Parses every layer file, and hashes the manifest and each file's name and text.
    fn parse_layers<'f>(
        &mut self,
        manifest: &SourceFile,
        files: &'f [SourceFile],
    ) -> (Vec<(&'f SourceFile, LayerFile)>, u64) {
        let mut hash = fnv1a(manifest.text.as_bytes(), FNV_OFFSET);
        let mut parsed_layers = Vec::new();
        for f in files {
            hash = fnv1a(f.name.as_bytes(), hash);
            hash = fnv1a(f.text.as_bytes(), hash);
            match f.parse::<LayerFile>() {
                Ok(l) => parsed_layers.push((f, l)),
                Err(e) => self.errors.push(e),
            }
        }
        (parsed_layers, hash)
    }

    /// Reads the manifest's time unit and checks that it is a unit of time.
    fn time_unit(&mut self, manifest: &SourceFile, parsed: &ManifestFile) -> (Unit, String) {
        let time_origin = manifest.origin(parsed.model.time_unit.span().start);
        let time_unit_text = parsed.model.time_unit.get_ref().clone();
        let time_unit = self.unit(&time_unit_text, &time_origin, "time_unit");
        if !time_unit.is_dimensionless()
            && time_unit.dims != Unit::parse("day").map(|u| u.dims).unwrap_or(time_unit.dims)
        {
            self.errors.push(ModelError::Unit {
                origin: time_origin.clone(),
                symbol: "time_unit".into(),
                message: format!("`{time_unit_text}` is not a unit of time"),
            });
        }
        (time_unit, time_unit_text)
    }

    /// Declares every name of every layer, so that files can use each other's names; reads
    /// the layers, parameters and states whole and keeps assignments and observables for later.
    fn declare_layers<'a>(
        &mut self,
        parsed_layers: &'a [(&SourceFile, LayerFile)],
    ) -> Declared<'a> {
        let mut layers = Vec::new();
        let mut states = Vec::new();
        let mut parameters = Vec::new();
        let mut pending_assign = Vec::new();
        let mut pending_obs = Vec::new();
        for (li, (file, l)) in parsed_layers.iter().enumerate() {
            layers.push(Layer {
                name: l.layer.name.clone(),
                description: l.layer.description.clone(),
                file: file.name.clone(),
                source: (*file).clone(),
            });
            self.declare_parameters(li, file, l, &mut parameters);
            self.declare_states(li, file, l, &mut states);
            for (name, d) in in_file_order(&l.assignments) {
                let origin = file.origin(name.span().start);
                let name = name.get_ref().clone();
                // Assignment indices are fixed after sorting; declare with a placeholder.
                if self.declare(Namespace::Symbol, &name, &origin, None) {
                    pending_assign.push(PendingDef {
                        name,
                        decl: d,
                        layer: li,
                        origin,
                    });
                }
            }
            for (name, _) in in_file_order(&l.processes) {
                let origin = file.origin(name.span().start);
                self.declare(Namespace::Process, name.get_ref(), &origin, None);
            }
            for (name, d) in in_file_order(&l.observables) {
                let origin = file.origin(name.span().start);
                let name = name.get_ref().clone();
                if self.declare(Namespace::Observable, &name, &origin, None) {
                    pending_obs.push(PendingDef {
                        name,
                        decl: d,
                        layer: li,
                        origin,
                    });
                }
            }
            for (name, _) in in_file_order(&l.inputs) {
                let origin = file.origin(name.span().start);
                self.declare(Namespace::Input, name.get_ref(), &origin, None);
            }
            for (name, _) in in_file_order(&l.contributions) {
                let origin = file.origin(name.span().start);
                self.declare(Namespace::Contribution, name.get_ref(), &origin, None);
            }
        }
        Declared {
            layers,
            states,
            parameters,
            assignments: pending_assign,
            observables: pending_obs,
        }
    }

    /// Declares and reads the parameters of layer `li`.
    fn declare_parameters(
        &mut self,
        li: usize,
        file: &SourceFile,
        l: &LayerFile,
        parameters: &mut Vec<Parameter>,
    ) {
        for (name, d) in in_file_order(&l.parameters) {
            let origin = file.origin(name.span().start);
            let name = name.get_ref().clone();
            if !self.declare(
                Namespace::Symbol,
                &name,
                &origin,
                Some(Symbol::Parameter(parameters.len())),
            ) {
                continue;
            }
            let unit = self.unit(d.unit.get_ref(), &file.origin(d.unit.span().start), &name);
            let source = self.source(&d.source, &d.calibrated, &origin, &name);
            let value = *d.value.get_ref();
            if !value.is_finite() {
                self.errors.push(ModelError::Declaration {
                    origin: file.origin(d.value.span().start),
                    symbol: name.clone(),
                    message: format!("value must be a finite number, found {value}"),
                });
            }
            let range = d.range.as_ref().map(|r| (r.get_ref()[0], r.get_ref()[1]));
            if let Some((lo, hi)) = range {
                let at = file.origin(d.range.as_ref().map_or(0, |r| r.span().start));
                if lo.is_nan() || hi.is_nan() || lo > hi {
                    self.errors.push(ModelError::Declaration {
                        origin: at,
                        symbol: name.clone(),
                        message: format!(
                            "range must be [lo, hi] with lo <= hi, found [{lo}, {hi}]"
                        ),
                    });
                } else if !(lo..=hi).contains(&value) {
                    self.errors.push(ModelError::Declaration {
                        origin: file.origin(d.value.span().start),
                        symbol: name.clone(),
                        message: format!("value {value} is outside its range [{lo}, {hi}]"),
                    });
                }
            }
            parameters.push(Parameter {
                name,
                value,
                unit,
                unit_text: d.unit.get_ref().clone(),
                description: d.description.clone(),
                source,
                range,
                layer: li,
                origin,
            });
        }
    }

    /// Declares and reads the states of layer `li`, parsing their initial values.
    fn declare_states(
        &mut self,
        li: usize,
        file: &SourceFile,
        l: &LayerFile,
        states: &mut Vec<State>,
    ) {
        for (name, d) in in_file_order(&l.states) {
            let origin = file.origin(name.span().start);
            let name = name.get_ref().clone();
            if !self.declare(
                Namespace::Symbol,
                &name,
                &origin,
                Some(Symbol::State(states.len())),
            ) {
                continue;
            }
            let unit = self.unit(d.unit.get_ref(), &file.origin(d.unit.span().start), &name);
            let init_origin = file.origin(d.initial.span().start);
            let initial = match d.initial.get_ref() {
                NumberOrExpr::Number(v) => Initial::Value(Expr::Num(*v)),
                NumberOrExpr::Expr(s) if s.trim() == "steady" => Initial::Steady {
                    guess: d.guess.unwrap_or(0.0),
                },
                NumberOrExpr::Expr(s) => match self.expression(s, &init_origin, &name) {
                    Some(e) => Initial::Value(e),
                    None => Initial::Value(Expr::Num(0.0)),
                },
            };
            let tolerance = d.tolerance.as_ref().map(|t| *t.get_ref());
            if let Some(tol) = tolerance {
                if !(tol > 0.0 && tol.is_finite()) {
                    self.errors.push(ModelError::Declaration {
                        origin: origin.clone(),
                        symbol: name.clone(),
                        message: format!("`tolerance` must be a positive number, found {tol}"),
                    });
                }
            }
            states.push(State {
                name,
                unit,
                unit_text: d.unit.get_ref().clone(),
                initial,
                tolerance,
                description: d.description.clone(),
                layer: li,
                origin,
            });
        }
    }

    /// Parses each assignment's expression; one that does not parse is left out.
    fn parse_assignments<'a>(
        &mut self,
        parsed_layers: &[(&SourceFile, LayerFile)],
        pending_assign: Vec<PendingDef<'a>>,
    ) -> Vec<(PendingDef<'a>, Expr, Origin)> {
        let mut parsed_assign: Vec<(PendingDef, Expr, Origin)> = Vec::new();
        for p in pending_assign {
            let file = &parsed_layers[p.layer].0;
            let eorigin = file.origin(p.decl.expr.span().start);
            if let Some(e) = self.expression(p.decl.expr.get_ref(), &eorigin, &p.name) {
                parsed_assign.push((p, e, eorigin));
            }
        }
        parsed_assign
    }

    /// The assignments in dependency `order`, each registered under its index, with its unit.
    fn number_assignments(
        &mut self,
        parsed_layers: &[(&SourceFile, LayerFile)],
        parsed_assign: &[(PendingDef, Expr, Origin)],
        order: Vec<usize>,
        combines: &HashMap<String, Combine>,
        contributions: &[Contribution],
    ) -> Vec<Definition> {
        let mut assignments = Vec::new();
        for i in order {
            let (p, e, _) = &parsed_assign[i];
            self.symbols
                .insert(p.name.clone(), Symbol::Assignment(assignments.len()));
            let file = &parsed_layers[p.layer].0;
            let unit = self.unit(
                p.decl.unit.get_ref(),
                &file.origin(p.decl.unit.span().start),
                &p.name,
            );
            let combine = combines.get(&p.name).copied();
            let text = if contributions.iter().any(|c| c.target == p.name) {
                e.to_string()
            } else {
                p.decl.expr.get_ref().clone()
            };
            assignments.push(Definition {
                name: p.name.clone(),
                expr: e.clone(),
                text,
                combine,
                unit,
                unit_text: p.decl.unit.get_ref().clone(),
                description: p.decl.description.clone(),
                layer: p.layer,
                origin: p.origin.clone(),
            });
        }
        assignments
    }

    /// Checks each contribution's names, and its unit against its target's.
    fn check_contributions(&mut self, model: &Model) {
        for c in model.contributions.clone() {
            let Some(target) = model.assignments.iter().find(|a| a.name == c.target) else {
                continue;
            };
            let (want, want_text, what) = match target.combine {
                Some(Combine::Product) => (
                    Unit::DIMENSIONLESS,
                    "1".to_string(),
                    format!("a factor of the product `{}`", c.target),
                ),
                _ => (
                    target.unit,
                    target.unit_text.clone(),
                    format!("a term of the sum `{}`", c.target),
                ),
            };
            if let Some(ty) = self.infer_checked(model, &c.expr, &c.origin, &c.name) {
                self.expect_unit(ty, want, &want_text, &c.origin, &c.name, &what);
            }
        }
    }

    /// Checks each assignment's names and unit; an open one by its own expression.
    fn check_assignments(&mut self, model: &Model, own_expressions: &HashMap<String, Expr>) {
        for a in model.assignments.clone() {
            let mut own = a.clone();
            if let Some(base) = own_expressions.get(&a.name) {
                own.expr = base.clone();
            }
            self.check_definition(model, &own, &own.origin, "assignment");
        }
    }

    /// Checks the states' initial values: their units, and that they use only parameters.
    fn check_initial_values(&mut self, model: &Model) {
        for s in model.states.clone().iter() {
            if let Initial::Value(e) = &s.initial {
                // A plain number is in the state's own unit.
                if matches!(e, Expr::Num(_)) {
                    continue;
                }
                if let Some(ty) = self.infer_checked(model, e, &s.origin, &s.name) {
                    self.expect_unit(
                        ty,
                        s.unit,
                        &s.unit_text,
                        &s.origin,
                        &s.name,
                        "its initial value",
                    );
                }
                for name in e.symbols() {
                    if !matches!(model.symbol(&name), Some(Symbol::Parameter(_)) | None) {
                        self.errors.push(ModelError::Declaration {
                            origin: s.origin.clone(),
                            symbol: s.name.clone(),
                            message: format!(
                                "an initial value may use only parameters, found `{name}`"
                            ),
                        });
                    }
                }
            }
        }
    }

    /// Reads and checks the processes of layer `li`: rates, units and stoichiometry.
    fn read_processes(&mut self, model: &mut Model, li: usize, file: &SourceFile, l: &LayerFile) {
        for (name, d) in in_file_order(&l.processes) {
            let origin = file.origin(d.rate.span().start);
            let name = name.get_ref().clone();
            let Some(rate) = self.expression(d.rate.get_ref(), &origin, &name) else {
                continue;
            };
            let rate_ty = self.infer_checked(model, &rate, &origin, &name);
            let mut stoichiometry = Vec::new();
            for (decl, sign) in [(&d.consumes, -1.0), (&d.produces, 1.0)] {
                for (state, coef) in decl.iter().flat_map(|s| s.entries()) {
                    match model.state_index(&state) {
                        Some(si) => {
                            if !(coef.is_finite() && coef > 0.0) {
                                self.errors.push(ModelError::Declaration {
                                    origin: origin.clone(),
                                    symbol: name.clone(),
                                    message: format!("coefficient of `{state}` must be a positive number, found {coef}"),
                                });
                            }
                            stoichiometry.push((si, sign * coef));
                            if let Some(ty) = rate_ty {
                                let st = &model.states[si];
                                let want = st.unit.div(model.time_unit);
                                let want_text =
                                    format!("{}/{}", st.unit_text, model.time_unit_text);
                                self.expect_unit(
                                    ty,
                                    want,
                                    &want_text,
                                    &origin,
                                    &name,
                                    &format!("the rate of change of state `{state}`"),
                                );
                            }
                        }
                        None => self.errors.push(ModelError::UnknownName {
                            origin: origin.clone(),
                            symbol: name.clone(),
                            name: state.clone(),
                            hint: format!(
                                " (not a state){}",
                                did_you_mean(&state, model.states.iter().map(|s| s.name.as_str()))
                            ),
                        }),
                    }
                }
            }
            if stoichiometry.is_empty() {
                self.errors.push(ModelError::Declaration {
                    origin: origin.clone(),
                    symbol: name.clone(),
                    message: "a process needs `consumes` or `produces`".into(),
                });
            }
            model.processes.push(Process {
                name,
                rate,
                text: d.rate.get_ref().clone(),
                stoichiometry,
                description: d.description.clone(),
                layer: li,
                origin,
            });
        }
    }

    /// Reads and checks the dose inputs of layer `li`.
    fn read_inputs(&mut self, model: &mut Model, li: usize, file: &SourceFile, l: &LayerFile) {
        for (name, d) in in_file_order(&l.inputs) {
            let origin = file.origin(name.span().start);
            let name = name.get_ref().clone();
            let amount_unit = self.unit(d.unit.get_ref(), &file.origin(d.unit.span().start), &name);
            let Some(si) = model.state_index(d.state.get_ref()) else {
                self.errors.push(ModelError::UnknownName {
                    origin: file.origin(d.state.span().start),
                    symbol: name.clone(),
                    name: d.state.get_ref().clone(),
                    hint: format!(
                        " (not a state){}",
                        did_you_mean(
                            d.state.get_ref(),
                            model.states.iter().map(|s| s.name.as_str())
                        )
                    ),
                });
                continue;
            };
            let factor = amount_unit
                .factor_to(&model.states[si].unit)
                .unwrap_or_else(|| {
                    self.errors.push(ModelError::Unit {
                        origin: origin.clone(),
                        symbol: name.clone(),
                        message: format!(
                            "a dose in `{}` cannot go into state `{}` in `{}`",
                            d.unit.get_ref(),
                            d.state.get_ref(),
                            model.states[si].unit_text
                        ),
                    });
                    1.0
                });
            let bioavailability = d.bioavailability.as_ref().and_then(|b| {
                let borigin = file.origin(b.span().start);
                let e = self.expression(b.get_ref(), &borigin, &name)?;
                if let Some(ty) = self.infer_checked(model, &e, &borigin, &name) {
                    self.expect_unit(
                        ty,
                        Unit::DIMENSIONLESS,
                        "1",
                        &borigin,
                        &name,
                        "bioavailability",
                    );
                }
                for n in e.symbols() {
                    if !matches!(model.symbol(&n), Some(Symbol::Parameter(_))) {
                        self.errors.push(ModelError::Declaration {
                            origin: borigin.clone(),
                            symbol: name.clone(),
                            message: format!(
                                "bioavailability may use only parameters, found `{n}`"
                            ),
                        });
                    }
                }
                Some(e)
            });
            model.inputs.push(Input {
                name,
                state: si,
                unit_text: d.unit.get_ref().clone(),
                factor_to_state: factor,
                bioavailability,
                description: d.description.clone(),
                layer: li,
                origin,
            });
        }
    }

    /// Reads the parameter sets of layer `li`, merging variants declared in several layers.
    fn read_sets(&mut self, model: &mut Model, li: usize, file: &SourceFile, l: &LayerFile) {
        for (group, variants) in &l.sets {
            for (variant, entries) in variants {
                let mut values = Vec::new();
                for (pname, entry) in in_file_order(entries) {
                    let origin = file.origin(pname.span().start);
                    let symbol = format!("sets.{group}.{variant}.{}", pname.get_ref());
                    let source = self.source(&entry.source, &entry.calibrated, &origin, &symbol);
                    let index = model.parameter_index(pname.get_ref());
                    if let Some(message) =
                        index.and_then(|pi| model.parameters[pi].refuses(entry.value))
                    {
                        self.errors.push(ModelError::Declaration {
                            origin,
                            symbol,
                            message,
                        });
                        continue;
                    }
                    match index {
                        Some(pi) if entry.value.is_finite() => values.push(SetValue {
                            parameter: pi,
                            value: entry.value,
                            source,
                            origin,
                        }),
                        Some(_) => self.errors.push(ModelError::Declaration {
                            origin,
                            symbol,
                            message: format!(
                                "value must be a finite number, found {}",
                                entry.value
                            ),
                        }),
                        None => self.errors.push(ModelError::UnknownName {
                            origin,
                            symbol,
                            name: pname.get_ref().clone(),
                            hint: format!(
                                " (not a parameter){}",
                                did_you_mean(pname.get_ref(), model.parameter_names())
                            ),
                        }),
                    }
                }
                if let Some(existing) = model
                    .sets
                    .iter_mut()
                    .find(|s| &s.group == group && &s.variant == variant)
                {
                    existing.values.extend(values);
                } else {
                    model.sets.push(ParameterSet {
                        group: group.clone(),
                        variant: variant.clone(),
                        values,
                        layer: li,
                    });
                }
            }
        }
    }

    /// Parses and checks the observables.
    fn read_observables(
        &mut self,
        model: &mut Model,
        parsed_layers: &[(&SourceFile, LayerFile)],
        pending_obs: Vec<PendingDef>,
    ) {
        let mut observables = Vec::new();
        for p in pending_obs {
            let file = &parsed_layers[p.layer].0;
            let eorigin = file.origin(p.decl.expr.span().start);
            if let Some(c) = &p.decl.combine {
                self.errors.push(ModelError::Declaration {
                    origin: file.origin(c.span().start),
                    symbol: p.name.clone(),
                    message: "`combine` applies to assignments only, not to observables".into(),
                });
            }
            let Some(e) = self.expression(p.decl.expr.get_ref(), &eorigin, &p.name) else {
                continue;
            };
            let unit = self.unit(
                p.decl.unit.get_ref(),
                &file.origin(p.decl.unit.span().start),
                &p.name,
            );
            let def = Definition {
                name: p.name.clone(),
                expr: e,
                text: p.decl.expr.get_ref().clone(),
                combine: None,
                unit,
                unit_text: p.decl.unit.get_ref().clone(),
                description: p.decl.description.clone(),
                layer: p.layer,
                origin: p.origin.clone(),
            };
            self.check_definition(model, &def, &eorigin, "observable");
            observables.push(def);
        }
        model.observables = observables;
    }

    /// The model, or every error found: root causes first (a file that cannot be read or
    /// parsed explains the unknown names elsewhere), then in file and line order.
    fn finish(mut self, model: Model) -> Result<Model, ModelErrors> {
        if self.errors.is_empty() {
            Ok(model)
        } else {
            let root =
                |e: &ModelError| !matches!(e, ModelError::Io { .. } | ModelError::Syntax { .. });
            self.errors.sort_by(|a, b| {
                let (oa, ob) = (a.origin(), b.origin());
                (root(a), oa.file.as_str(), oa.line).cmp(&(root(b), ob.file.as_str(), ob.line))
            });
            self.errors.dedup();
            Err(ModelErrors(self.errors))
        }
    }

    /// Reads every `[contributions]` entry and folds it into the open assignment it names, in
    /// layer and file order: `own + c1 + c2` or `own * c1 * c2`. Returns which assignments are
    /// open, the contributions, and each open assignment's own expression (for unit checks).
    fn combine_contributions(
        &mut self,
        layers: &[(&SourceFile, LayerFile)],
        assignments: &mut [(PendingDef, Expr, Origin)],
    ) -> Combined {
        let mut combines = HashMap::new();
        for (p, _, _) in assignments.iter() {
            let Some(c) = &p.decl.combine else { continue };
            let file = &layers[p.layer].0;
            match c.get_ref().as_str() {
                "sum" => {
                    combines.insert(p.name.clone(), Combine::Sum);
                }
                "product" => {
                    combines.insert(p.name.clone(), Combine::Product);
                }
                other => self.errors.push(ModelError::Declaration {
                    origin: file.origin(c.span().start),
                    symbol: p.name.clone(),
                    message: format!(
                        "`combine` is \"sum\" or \"product\", found {other:?}{}",
                        did_you_mean(other, ["sum", "product"])
                    ),
                }),
            }
        }
        let own_expressions: HashMap<String, Expr> = assignments
            .iter()
            .filter(|(p, _, _)| combines.contains_key(&p.name))
            .map(|(p, e, _)| (p.name.clone(), e.clone()))
            .collect();
        let mut contributions = Vec::new();
        // Depth of each open assignment's tree as contributions are folded into it; `None` once
        // a contribution made it too deep (reported once; the later ones are left out).
        let mut depths: HashMap<usize, Option<usize>> = HashMap::new();
        for (li, (file, l)) in layers.iter().enumerate() {
            for (name, d) in in_file_order(&l.contributions) {
                let name = name.get_ref().clone();
                let target = d.to.get_ref().clone();
                let eorigin = file.origin(d.expr.span().start);
                let Some(expr) = self.expression(d.expr.get_ref(), &eorigin, &name) else {
                    continue;
                };
                let Some(slot) = assignments.iter().position(|(p, _, _)| p.name == target) else {
                    let open = combines.keys().map(String::as_str);
                    self.errors.push(ModelError::UnknownName {
                        origin: file.origin(d.to.span().start),
                        symbol: name.clone(),
                        name: target.clone(),
                        hint: format!(" (not an assignment){}", did_you_mean(&target, open)),
                    });
                    continue;
                };
                let Some(&combine) = combines.get(&target) else {
                    self.errors.push(ModelError::Declaration {
                        origin: file.origin(d.to.span().start),
                        symbol: name.clone(),
                        message: format!(
                            "assignment `{target}` is not open to contributions; declare it with `combine = \"sum\"` or `combine = \"product\"`"
                        ),
                    });
                    continue;
                };
                let op = match combine {
                    Combine::Sum => BinOp::Add,
                    Combine::Product => BinOp::Mul,
                };
                let depth = depths
                    .entry(slot)
                    .or_insert_with(|| Some(assignments[slot].1.depth()));
                let Some(so_far) = *depth else { continue };
                let combined_depth = 1 + so_far.max(expr.depth());
                if combined_depth > expr::MAX_TREE_DEPTH {
                    self.errors.push(ModelError::Declaration {
                        origin: eorigin,
                        symbol: name,
                        message: format!(
                            "with this contribution `{target}` nests deeper than {} levels; \
                             collect some of its contributions in another open assignment",
                            expr::MAX_TREE_DEPTH
                        ),
                    });
                    *depth = None;
                    continue;
                }
                *depth = Some(combined_depth);
                let own = std::mem::replace(&mut assignments[slot].1, Expr::Num(0.0));
                assignments[slot].1 = Expr::Bin(op, Box::new(own), Box::new(expr.clone()));
                contributions.push(Contribution {
                    name,
                    target,
                    expr,
                    text: d.expr.get_ref().clone(),
                    description: d.description.clone(),
                    layer: li,
                    origin: eorigin,
                });
            }
        }
        Combined {
            combines,
            contributions,
            own_expressions,
        }
    }

    fn check_definition(&mut self, model: &Model, d: &Definition, origin: &Origin, what: &str) {
        if let Some(ty) = self.infer_checked(model, &d.expr, origin, &d.name) {
            self.expect_unit(
                ty,
                d.unit,
                &d.unit_text,
                origin,
                &d.name,
                &format!("the declared unit of this {what}"),
            );
        }
    }

    fn expect_unit(
        &mut self,
        ty: Ty,
        want: Unit,
        want_text: &str,
        origin: &Origin,
        symbol: &str,
        what: &str,
    ) {
        let message = match ty {
            Ty::Zero => return,
            Ty::Bool => format!("expected a number in `{want_text}` for {what}, found a condition"),
            Ty::Num(u) if u.same_as(&want) => return,
            Ty::Num(u) if u.same_dimension(&want) => format!(
                "the expression is in {u}, {what} is `{want_text}` ({want}): same dimension, different scale; convert explicitly"
            ),
            Ty::Num(u) => format!("the expression is in {u}, but {what} is `{want_text}` ({want})"),
        };
        self.errors.push(ModelError::Unit {
            origin: origin.clone(),
            symbol: symbol.to_string(),
            message,
        });
    }

    /// Check names and infer the unit of `e`; records errors and returns None on failure.
    fn infer_checked(
        &mut self,
        model: &Model,
        e: &Expr,
        origin: &Origin,
        symbol: &str,
    ) -> Option<Ty> {
        let mut unknown = false;
        e.visit_symbols(&mut |name| {
            if name != TIME && model.symbol(name).is_none() {
                unknown = true;
                let known: Vec<&str> = model.symbols.keys().map(|s| s.as_str()).collect();
                let elsewhere = [Namespace::Process, Namespace::Observable, Namespace::Input]
                    .iter()
                    .any(|space| self.origins.contains_key(&(*space, name.to_string())));
                let what = if elsewhere {
                    " (a process, observable or input cannot be used in expressions)".to_string()
                } else {
                    did_you_mean(name, known)
                };
                self.errors.push(ModelError::UnknownName {
                    origin: origin.clone(),
                    symbol: symbol.to_string(),
                    name: name.to_string(),
                    hint: what,
                });
            }
        });
        if unknown {
            return None;
        }
        match infer(model, e) {
            Ok(ty) => Some(ty),
            Err(message) => {
                self.errors.push(ModelError::Unit {
                    origin: origin.clone(),
                    symbol: symbol.to_string(),
                    message,
                });
                None
            }
        }
    }

    /// Topological order of assignments; a cycle is an error naming its members.
    fn order_assignments(&mut self, defs: &[(PendingDef, Expr, Origin)]) -> Vec<usize> {
        let index: HashMap<&str, usize> = defs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.0.name.as_str(), i))
            .collect();
        let deps: Vec<Vec<usize>> = defs
            .iter()
            .map(|(_, e, _)| {
                e.symbols()
                    .iter()
                    .filter_map(|s| index.get(s.as_str()).copied())
                    .collect()
            })
            .collect();
        // 0 = unvisited, 1 = on stack, 2 = done
        let mut mark = vec![0u8; defs.len()];
        let mut order = Vec::new();
        let mut reported = BTreeSet::new();
        for start in 0..defs.len() {
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            if mark[start] != 0 {
                continue;
            }
            mark[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if *next < deps[node].len() {
                    let d = deps[node][*next];
                    *next += 1;
                    match mark[d] {
                        0 => {
                            mark[d] = 1;
                            stack.push((d, 0));
                        }
                        1 => {
                            let pos = stack.iter().position(|(n, _)| *n == d).unwrap_or(0);
                            let mut members: Vec<usize> =
                                stack[pos..].iter().map(|(n, _)| *n).collect();
                            let key: BTreeSet<usize> = members.iter().copied().collect();
                            if reported.insert(key.into_iter().collect::<Vec<_>>()) {
                                members.push(d);
                                let cycle = members
                                    .iter()
                                    .map(|m| defs[*m].0.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(" -> ");
                                self.errors.push(ModelError::Cycle {
                                    origin: defs[d].2.clone(),
                                    cycle,
                                });
                            }
                        }
                        _ => {}
                    }
                } else {
                    mark[node] = 2;
                    order.push(node);
                    stack.pop();
                }
            }
        }
        order
    }
}

pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn symbol_unit(model: &Model, name: &str) -> Unit {
    match model.symbol(name) {
        Some(Symbol::State(i)) => model.states[i].unit,
        Some(Symbol::Parameter(i)) => model.parameters[i].unit,
        Some(Symbol::Assignment(i)) => model.assignments[i].unit,
        Some(Symbol::Time) | None => model.time_unit,
    }
}

fn show(u: &Ty) -> String {
    match u {
        Ty::Num(u) => u.to_string(),
        Ty::Zero => "0".into(),
        Ty::Bool => "a condition".into(),
    }
}

/// The unit of an expression, or a message saying which part is inconsistent.
fn infer(model: &Model, e: &Expr) -> Result<Ty, String> {
    let num = |t: Ty, part: &Expr| -> Result<Option<Unit>, String> {
        match t {
            Ty::Num(u) => Ok(Some(u)),
            Ty::Zero => Ok(None),
            Ty::Bool => Err(format!(
                "`{part}` is a condition where a number is expected"
            )),
        }
    };
    let same = |a: Ty, b: Ty, what: &str, whole: &Expr| -> Result<Ty, String> {
        match (a, b) {
            (Ty::Bool, _) | (_, Ty::Bool) => Err(format!(
                "`{whole}`: {what} needs numbers, found a condition"
            )),
            (Ty::Zero, x) | (x, Ty::Zero) => Ok(x),
            (Ty::Num(x), Ty::Num(y)) if x.same_as(&y) => Ok(Ty::Num(x)),
            (Ty::Num(x), Ty::Num(y)) => Err(format!(
                "`{whole}`: {what} needs the same unit on both sides, found {x} and {y}"
            )),
        }
    };
    let dimensionless = |t: Ty, part: &Expr, f: &str| -> Result<(), String> {
        match t {
            Ty::Zero => Ok(()),
            Ty::Num(u) if u.same_as(&Unit::DIMENSIONLESS) => Ok(()),
            other => Err(format!(
                "`{f}` needs a dimensionless argument, `{part}` is {}",
                show(&other)
            )),
        }
    };
    Ok(match e {
        Expr::Num(v) if *v == 0.0 => Ty::Zero,
        Expr::Num(_) => Ty::Num(Unit::DIMENSIONLESS),
        Expr::Var(n) => Ty::Num(symbol_unit(model, n)),
        Expr::Neg(a) => {
            let t = infer(model, a)?;
            num(t, a)?;
            t
        }
        Expr::Bin(op, a, b) => {
            let (ta, tb) = (infer(model, a)?, infer(model, b)?);
            match op {
                BinOp::Add | BinOp::Sub => same(ta, tb, "adding or subtracting", e)?,
                BinOp::Mul | BinOp::Div => {
                    let (ua, ub) = (num(ta, a)?, num(tb, b)?);
                    match (ua, ub) {
                        (None, _) if *op == BinOp::Mul => Ty::Zero,
                        (None, _) => Ty::Zero,
                        (Some(_), None) if *op == BinOp::Mul => Ty::Zero,
                        (Some(_), None) => return Err(format!("`{e}` divides by zero")),
                        (Some(x), Some(y)) => Ty::Num(if *op == BinOp::Mul {
                            x.mul(y)
                        } else {
                            x.div(y)
                        }),
                    }
                }
                BinOp::Pow => {
                    let ub = num(tb, b)?;
                    if let Some(u) = ub {
                        if !u.same_as(&Unit::DIMENSIONLESS) {
                            return Err(format!(
                                "the exponent `{b}` must be dimensionless, found {u}"
                            ));
                        }
                    }
                    match num(ta, a)? {
                        None => Ty::Zero,
                        Some(u) if u.same_as(&Unit::DIMENSIONLESS) => Ty::Num(Unit::DIMENSIONLESS),
                        Some(u) => match literal(b) {
                            Some(n) if n.fract() == 0.0 && n.abs() < 64.0 => Ty::Num(u.powi(n as i32)),
                            Some(n) if (2.0 * n).fract() == 0.0 => match u.powi((2.0 * n) as i32).sqrt() {
                                Some(r) => Ty::Num(r),
                                None => return Err(format!("`{e}`: {u} has no power {n}")),
                            },
                            _ => return Err(format!(
                                "`{e}`: a base with a unit ({u}) needs a constant integer exponent; make the base dimensionless (divide by a reference)"
                            )),
                        },
                    }
                }
            }
        }
        Expr::Call(f, args) => {
            let tys = args
                .iter()
                .map(|a| infer(model, a))
                .collect::<Result<Vec<_>, _>>()?;
            match f {
                Func::Exp | Func::Ln | Func::Log10 => {
                    dimensionless(tys[0], &args[0], f.name())?;
                    Ty::Num(Unit::DIMENSIONLESS)
                }
                Func::Sqrt => match num(tys[0], &args[0])? {
                    None => Ty::Zero,
                    Some(u) => Ty::Num(
                        u.sqrt()
                            .ok_or_else(|| format!("`{e}`: {u} has no square root"))?,
                    ),
                },
                Func::Abs => {
                    num(tys[0], &args[0])?;
                    tys[0]
                }
                Func::Min | Func::Max => same(tys[0], tys[1], f.name(), e)?,
                Func::Clamp => {
                    let t = same(tys[0], tys[1], "clamp", e)?;
                    same(t, tys[2], "clamp", e)?
                }
                Func::Hill | Func::Inhibit => {
                    same(tys[0], tys[1], f.name(), e)?;
                    dimensionless(tys[2], &args[2], f.name())?;
                    Ty::Num(Unit::DIMENSIONLESS)
                }
            }
        }
        Expr::Cmp(_, a, b) => {
            same(infer(model, a)?, infer(model, b)?, "a comparison", e)?;
            Ty::Bool
        }
        Expr::And(a, b) | Expr::Or(a, b) => {
            for x in [a, b] {
                if infer(model, x)? != Ty::Bool {
                    return Err(format!("`{x}` is a number where a condition is expected"));
                }
            }
            Ty::Bool
        }
        Expr::Not(a) => {
            if infer(model, a)? != Ty::Bool {
                return Err(format!("`{a}` is a number where a condition is expected"));
            }
            Ty::Bool
        }
        Expr::If(c, a, b) => {
            if infer(model, c)? != Ty::Bool {
                return Err(format!(
                    "the first argument of `if` must be a condition, found `{c}`"
                ));
            }
            same(
                infer(model, a)?,
                infer(model, b)?,
                "the two branches of `if`",
                e,
            )?
        }
    })
}

fn literal(e: &Expr) -> Option<f64> {
    match e {
        Expr::Num(v) => Some(*v),
        Expr::Neg(a) => literal(a).map(|v| -v),
        _ => None,
    }
}

/// Which comparisons in a model depend on time and parameters only: the candidates for
/// exact solver stops.
pub fn time_conditions(model: &Model) -> &[(Expr, Expr)] {
    model
        .time_conditions
        .get_or_init(|| find_time_conditions(model))
}

fn find_time_conditions(model: &Model) -> Vec<(Expr, Expr)> {
    // An assignment is "clock-like" when it depends only on t, parameters and clock-like
    // assignments.
    let mut clock = vec![false; model.assignments.len()];
    for (i, a) in model.assignments.iter().enumerate() {
        clock[i] = a.expr.symbols().iter().all(|s| match model.symbol(s) {
            Some(Symbol::Parameter(_)) => true,
            Some(Symbol::Assignment(j)) => clock[j],
            _ => s == TIME,
        });
    }
    let is_clock = |e: &Expr| {
        e.symbols().iter().all(|s| match model.symbol(s) {
            Some(Symbol::Parameter(_)) => true,
            Some(Symbol::Assignment(j)) => clock[j],
            _ => s == TIME,
        })
    };
    let mut out = Vec::new();
    let visit = |e: &Expr, out: &mut Vec<(Expr, Expr)>| collect_cmp(e, &is_clock, out);
    for a in &model.assignments {
        visit(&a.expr, &mut out);
    }
    for p in &model.processes {
        visit(&p.rate, &mut out);
    }
    out
}

fn collect_cmp(e: &Expr, is_clock: &dyn Fn(&Expr) -> bool, out: &mut Vec<(Expr, Expr)>) {
    match e {
        Expr::Cmp(_, a, b) => {
            if is_clock(a) && is_clock(b) {
                out.push(((**a).clone(), (**b).clone()));
            }
            collect_cmp(a, is_clock, out);
            collect_cmp(b, is_clock, out);
        }
        Expr::Num(_) | Expr::Var(_) => {}
        Expr::Neg(a) | Expr::Not(a) => collect_cmp(a, is_clock, out),
        Expr::Bin(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
            collect_cmp(a, is_clock, out);
            collect_cmp(b, is_clock, out);
        }
        Expr::Call(_, args) => args.iter().for_each(|a| collect_cmp(a, is_clock, out)),
        Expr::If(c, a, b) => {
            collect_cmp(c, is_clock, out);
            collect_cmp(a, is_clock, out);
            collect_cmp(b, is_clock, out);
        }
    }
}

/// Parameter values with the named overrides applied; unknown names are an error.
pub fn parameters_with(
    model: &Model,
    overrides: &BTreeMap<String, f64>,
) -> Result<Vec<f64>, crate::error::SimError> {
    let mut p = model.default_parameters();
    for (name, v) in overrides {
        let i = model
            .parameter_index(name)
            .ok_or_else(|| crate::error::SimError::Parameter {
                name: name.clone(),
                message: format!(
                    "no such parameter{}",
                    did_you_mean(name, model.parameter_names())
                ),
            })?;
        p[i] = *v;
    }
    Ok(p)
}
