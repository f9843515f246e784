//! # osteosim-engine
//!
//! A generic engine for mechanistic ODE models declared in readable files. It knows nothing
//! of bone: the biology lives in model directories.
//!
//! The path from files to numbers:
//! 1. [`format`](mod@format) reads a model directory (a manifest and one TOML file per layer) into
//!    declarations that remember their file and line.
//! 2. [`model`] resolves names, orders assignments, checks every expression's units
//!    ([`units`]) and collects every problem with its position.
//! 3. [`compile`](mod@compile) lowers the equations into flat instruction tapes (right-hand side, exact
//!    sparse Jacobian from symbolic differentiation in [`expr`], observables); [`codegen`]
//!    turns the same tapes into Rust source for models built into a binary.
//! 4. [`simulate`] binds parameters, initial states (steady states by Newton), doses and
//!    parameter switches to a [`solve::Problem`]; [`solve`] integrates it with diffsol's
//!    BDF, stopping exactly at every event, with the kernel's exact sparse Jacobian and the
//!    static-pivot sparse LU of [`linalg`].
//! 5. [`output`] writes tables and JSON whole or not at all; [`sbml`] writes a bound run as
//!    an SBML document for other simulators.

pub mod codegen;
pub mod compile;
pub mod error;
pub mod expr;
pub mod format;
pub mod linalg;
pub mod model;
pub mod numeric;
pub mod output;
pub mod sbml;
pub mod simulate;
pub mod solve;
pub mod steady;
pub mod suggest;
pub mod units;

pub use compile::{compile, CompiledModel, Kernel, Tape};
pub use error::{ModelError, ModelErrors, Origin, SimError};
pub use model::Model;
pub use simulate::{Dose, Simulation};
pub use solve::{SolverOptions, SolverStats, Trajectory};
