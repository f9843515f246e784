//! Compiles the built-in model (the files in `model/` at the repository root) into native Rust
//! at build time, and embeds the files' text so that the binary carries its model; embeds the
//! validation suite's scenario and trial files (`validation/` at the repository root) too.

use std::path::{Path, PathBuf};

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
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    write(&out_dir.join("builtin.rs"), &src);
    let validation_dir = crate_dir.join("..").join("..").join("validation");
    write(
        &out_dir.join("validation_files.rs"),
        &validation_files(&validation_dir),
    );
}

fn write(path: &Path, text: &str) {
    if let Err(e) = std::fs::write(path, text) {
        eprintln!("cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
}

/// `VALIDATION_FILES`: every `.toml` file below `dir` (name relative to `dir` with `/`, text),
/// sorted by name.
fn validation_files(dir: &Path) -> String {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) {
        println!("cargo:rerun-if-changed={}", dir.display());
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if path.is_dir() {
                walk(&path, &format!("{name}/"), out);
            } else if name.ends_with(".toml") {
                println!("cargo:rerun-if-changed={}", path.display());
                out.push((name, path));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, "", &mut files);
    files.sort();
    let mut src = String::from(
        "/// The validation suite's files: (name relative to `validation/`, text), by name.\n",
    );
    src.push_str("pub const VALIDATION_FILES: &[(&str, &str)] = &[\n");
    for (name, path) in files {
        src.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    src.push_str("];\n");
    src
}
