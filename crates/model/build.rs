//! Compiles the built-in model (the files in `model/` at the repository root) into native Rust
//! at build time, and embeds the files' text so that the binary carries its model.

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let model_dir = crate_dir.join("..").join("..").join("model");
    println!("cargo:rerun-if-changed={}", model_dir.display());
    let model = match osteosim_engine::Model::load(&model_dir) {
        Ok(m) => m,
        Err(errors) => {
            eprintln!(
                "the built-in model in {} does not check:\n{errors}",
                model_dir.display()
            );
            std::process::exit(1);
        }
    };
    let compiled = osteosim_engine::compile(&model);
    let mut src =
        osteosim_engine::codegen::rust_source(&compiled, "BuiltinKernel", model.content_hash);
    src.push_str(
        "\n/// The built-in model's files: (name relative to the model directory, text).\n",
    );
    src.push_str("pub const MODEL_FILES: &[(&str, &str)] = &[\n");
    let mut names = vec!["model.toml".to_string()];
    names.extend(model.layers.iter().map(|l| l.file.clone()));
    for name in names {
        let path = model_dir.join(&name);
        println!("cargo:rerun-if-changed={}", path.display());
        src.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    src.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("builtin.rs");
    if let Err(e) = std::fs::write(&out, src) {
        eprintln!("cannot write {}: {e}", out.display());
        std::process::exit(1);
    }
}
