//! # osteosim-model
//!
//! The biology of osteosim and its binding to the generic engine:
//! - the model files themselves live in `model/` at the repository root, one per layer;
//!   [`builtin`] embeds them and their native code,
//! - [`scenario`] reads and validates scenario files (the public contract),
//! - [`binding`] turns a scenario into an engine simulation,
//! - [`report`] shapes a run into the contract's `timeseries.csv` and `summary.json`,
//! - [`virtual_trial`] reads trial files and runs virtual populations on the generic
//!   machinery of `osteosim-trial`.

pub mod binding;
pub mod builtin;
pub mod catalogue;
pub mod comparison;
pub mod docs;
pub mod ids;
pub mod report;
pub mod scenario;
pub mod sensitivity;
pub mod toml_section;
pub mod validation;
pub mod virtual_trial;

pub use binding::{simulation, BindError};
pub use report::{run, RunOutput, CONTRACT_COLUMNS};
