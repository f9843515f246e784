//! Shared helpers for the engine's tests.
#![allow(dead_code)]

use std::path::PathBuf;

use osteosim_engine::{compile, CompiledModel, Model};

pub fn model_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("models")
        .join(name)
}

pub fn load(name: &str) -> (Model, CompiledModel) {
    let model = match Model::load(&model_dir(name)) {
        Ok(m) => m,
        Err(e) => panic!("test model `{name}` does not load:\n{e}"),
    };
    let compiled = compile(&model);
    (model, compiled)
}

/// Relative error with a floor for values near zero.
pub fn rel_err(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1e-12)
}
