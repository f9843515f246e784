//! The built-in model: its files embedded in the binary and its equations compiled to native
//! code at build time (see `build.rs`).

use std::sync::OnceLock;

use osteosim_engine::format::SourceFile;
use osteosim_engine::{Kernel, Model};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/builtin.rs"));
}

pub use generated::{BuiltinKernel, MODEL_FILES};

/// The built-in model, checked once.
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let mut files = MODEL_FILES
            .iter()
            .map(|(name, text)| SourceFile::new(*name, *text));
        let manifest = files
            .next()
            .unwrap_or_else(|| SourceFile::new("model.toml", ""));
        match Model::from_sources(manifest, files.collect()) {
            Ok(m) => m,
            // build.rs checked these very files; reaching this is a build defect.
            Err(e) => unreachable!("the embedded model was checked at build time: {e}"),
        }
    })
}

/// Native code for the built-in model.
pub fn kernel() -> &'static dyn Kernel {
    &BuiltinKernel
}

/// Each `*_reference` parameter of the built-in model and the output column it must equal in
/// the reference subject at steady state (the young adult woman; each mouse sex in its own
/// subject set). `examples/references.rs` recomputes them; the tests hold them to it.
pub const REFERENCES: &[(&str, &str)] = &[
    ("osteoclasts_reference", "osteoclasts_active"),
    ("osteoblasts_reference", "osteoblasts_active"),
    ("bv_tv_reference", "trabecular_bv_tv"),
    ("porosity_reference", "cortical_porosity"),
    (
        "mineralization_trabecular_reference",
        "mineralization_trabecular",
    ),
    (
        "mineralization_cortical_reference",
        "mineralization_cortical",
    ),
    (
        "senescent_fraction_bone_reference",
        "senescent_fraction_bone",
    ),
    ("senescent_burden_reference", "senescent_burden_systemic"),
    (
        "anti_osteogenic_cargo_reference",
        "anti_osteogenic_secretion",
    ),
    ("aged_matrix_mirna_reference", "aged_matrix_mirna_secretion"),
    ("osteogenic_cargo_reference", "osteogenic_secretion"),
    ("rankl_ev_reference", "rankl_ev_secretion"),
];
