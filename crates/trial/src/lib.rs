//! # osteosim-trial
//!
//! Virtual populations and trials. The generic machinery knows nothing of bone:
//! - [`rng`]: counter-based random streams, one per (seed, unit, attempt, purpose),
//! - [`stats`]: means with intervals, risk ratios, quantiles, ROC AUC,
//! - [`hazard`]: event times from hazards or survival curves on a grid,
//! - [`store`]: long tables as parquet part files, joined without decoding, read back by
//!   column,
//! - [`runner`]: fixed chunks run in parallel with a journal that resumes after a kill.
//!
//! The osteosim application of it (the trial file, drawing a subject and running her in
//! every arm, the bone outputs) is `osteosim_model::virtual_trial`; this crate does not
//! depend on the model.

pub mod hazard;
pub mod rng;
pub mod runner;
pub mod stats;
pub mod store;
