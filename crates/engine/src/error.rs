//! Errors of the engine. Every variant says where (file, line, symbol) and what was expected.

use std::fmt;

/// Where a declaration lives: the model file (relative to the model directory) and its line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}", self.file, self.line)
        } else {
            write!(f, "{}", self.file)
        }
    }
}

/// A problem found while loading or checking a model. All problems of a model are collected
/// (see [`ModelErrors`]) so that one `osteosim check` shows every one of them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("{origin}: cannot read model file: {message}")]
    Io { origin: Origin, message: String },
    #[error("{origin}: {message}")]
    Syntax { origin: Origin, message: String },
    #[error("{origin}: `{symbol}`: {message}")]
    Declaration {
        origin: Origin,
        symbol: String,
        message: String,
    },
    #[error("{origin}: `{symbol}` is declared twice (first at {first})")]
    Duplicate {
        origin: Origin,
        symbol: String,
        first: Origin,
    },
    #[error("{origin}: in `{symbol}`: unknown name `{name}`{hint}")]
    UnknownName {
        origin: Origin,
        symbol: String,
        name: String,
        hint: String,
    },
    #[error("{origin}: `{symbol}`: cannot parse expression: {message}")]
    Expression {
        origin: Origin,
        symbol: String,
        message: String,
    },
    #[error("{origin}: `{symbol}`: unit error: {message}")]
    Unit {
        origin: Origin,
        symbol: String,
        message: String,
    },
    #[error("{origin}: assignments form a cycle: {cycle}")]
    Cycle { origin: Origin, cycle: String },
}

impl ModelError {
    pub fn origin(&self) -> &Origin {
        match self {
            ModelError::Io { origin, .. }
            | ModelError::Syntax { origin, .. }
            | ModelError::Declaration { origin, .. }
            | ModelError::Duplicate { origin, .. }
            | ModelError::UnknownName { origin, .. }
            | ModelError::Expression { origin, .. }
            | ModelError::Unit { origin, .. }
            | ModelError::Cycle { origin, .. } => origin,
        }
    }
}

/// Every problem found in one model, in file and line order.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelErrors(pub Vec<ModelError>);

impl fmt::Display for ModelErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "the model has {n} error{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ModelErrors {}

/// Why a simulation could not be set up or could not proceed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error("parameter `{name}`: {message}")]
    Parameter { name: String, message: String },
    #[error("state `{name}`: {message}")]
    State { name: String, message: String },
    #[error("dose at t = {time}: {message}")]
    Dose { time: f64, message: String },
    #[error("simulation settings: {message}")]
    Settings { message: String },
    #[error("the solver could not proceed at t = {time}: {message}")]
    Solver { time: f64, message: String },
    #[error("state `{name}` became {value} at t = {time}; check the rates that act on it")]
    NonFinite { name: String, time: f64, value: f64 },
    /// An output computed from finite states is not finite (an overflow or a division by zero
    /// in its formula): nothing non-finite is ever written.
    #[error(
        "output `{name}` is {value} at t = {time}; check its formula and the parameters it uses"
    )]
    NonFiniteOutput { name: String, time: f64, value: f64 },
    #[error("no steady state found: {message}")]
    SteadyState { message: String },
    /// The start state is not finite: `states` names each such state with its value.
    #[error(
        "the initial state at t = {time} is not finite: {states}; check the parameters their \
         initial values and steady state depend on"
    )]
    InitialState { time: f64, states: String },
}

pub use crate::suggest::did_you_mean;
