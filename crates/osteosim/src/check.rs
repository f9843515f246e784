//! `osteosim check [MODEL_DIR]`: load and check a model, then compile it; one line when it is
//! sound, every problem with its file and line when it is not.

use std::path::Path;

use osteosim_model::builtin::BuiltinKernel;

use crate::failure::{print, Failure};
use crate::models::LoadedModel;

pub fn check(dir: Option<&Path>) -> Result<(), Failure> {
    if let Some(file) = dir.filter(|d| d.is_file()) {
        return Err(Failure::bad_input(format!(
            "{}: `check` reads a model directory (with its model.toml), not a file; a scenario \
             or trial file is checked when it is run (`osteosim run FILE`, `osteosim trial FILE`)",
            file.display()
        )));
    }
    let loaded = LoadedModel::from_option(dir)?;
    let model = loaded.model.as_ref();
    let same_as_builtin =
        if loaded.dir.is_some() && model.content_hash == BuiltinKernel::CONTENT_HASH {
            ", identical to the built-in model"
        } else {
            ""
        };
    let plural = |n: usize, word: &str| {
        let suffix = match (n, word.ends_with('s')) {
            (1, _) => "",
            (_, true) => "es",
            (_, false) => "s",
        };
        format!("{n} {word}{suffix}")
    };
    print(&format!(
        "OK: model `{}` ({}{same_as_builtin}): {}, {}, {}, {}, {}, {}, {}, {} Jacobian non-zeros; content hash {:016x}\n",
        model.name,
        loaded.describe(),
        plural(model.layers.len(), "layer"),
        plural(model.states.len(), "state"),
        plural(model.parameters.len(), "parameter"),
        plural(model.assignments.len(), "assignment"),
        plural(model.processes.len(), "process"),
        plural(model.observables.len(), "observable"),
        plural(model.inputs.len(), "input"),
        loaded.kernel().jacobian_pattern().len(),
        model.content_hash,
    ))
}
