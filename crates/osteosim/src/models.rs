//! Which model a command works on: the built-in one (embedded files, native code) or a model
//! directory given on the command line (checked at load time, run on the engine's tape
//! interpreter unless its files are exactly the built-in ones).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use osteosim_engine::{compile, CompiledModel, Kernel, Model};
use osteosim_model::builtin::{self, BuiltinKernel};
use osteosim_model::catalogue::Catalogue;

use crate::failure::Failure;

/// How the equations are evaluated.
pub enum Evaluator {
    /// Rust code generated from the built-in model at build time.
    Native,
    /// The engine's instruction tapes, compiled from the loaded files at run time.
    Tape(Box<CompiledModel>),
}

/// A checked model, where it came from and how to evaluate it.
pub struct LoadedModel {
    pub model: Cow<'static, Model>,
    /// The drugs, genotypes and estrogen profiles its files declare.
    pub catalogue: Arc<Catalogue>,
    /// `None` for the built-in model.
    pub dir: Option<PathBuf>,
    pub evaluator: Evaluator,
}

impl LoadedModel {
    /// The built-in model with its native code.
    pub fn builtin() -> LoadedModel {
        LoadedModel {
            model: Cow::Borrowed(builtin::model()),
            catalogue: Arc::new(Catalogue::builtin().clone()),
            dir: None,
            evaluator: Evaluator::Native,
        }
    }

    /// The model in `dir`. When its files are exactly the built-in model's (same content
    /// hash) the native code is used; otherwise the model is compiled to tapes.
    pub fn load(dir: &Path) -> Result<LoadedModel, Failure> {
        let model = Model::load(dir).map_err(|errors| {
            Failure::bad_input(format!(
                "model directory `{}`: {}",
                dir.display(),
                errors.to_string().trim_end()
            ))
        })?;
        let catalogue = Catalogue::of(&model)
            .map_err(|e| Failure::bad_input(format!("model directory `{}`: {e}", dir.display())))?;
        let evaluator = if model.content_hash == BuiltinKernel::CONTENT_HASH {
            Evaluator::Native
        } else {
            Evaluator::Tape(Box::new(compile(&model)))
        };
        Ok(LoadedModel {
            model: Cow::Owned(model),
            catalogue,
            dir: Some(dir.to_path_buf()),
            evaluator,
        })
    }

    /// `--model DIR` when given, the built-in model otherwise.
    pub fn from_option(dir: Option<&Path>) -> Result<LoadedModel, Failure> {
        match dir {
            Some(dir) => LoadedModel::load(dir),
            None => Ok(LoadedModel::builtin()),
        }
    }

    pub fn kernel(&self) -> &dyn Kernel {
        match &self.evaluator {
            Evaluator::Native => builtin::kernel(),
            Evaluator::Tape(compiled) => compiled.as_ref(),
        }
    }

    /// "the built-in model" or "the model in `DIR`".
    pub fn describe(&self) -> String {
        match &self.dir {
            None => "the built-in model".to_string(),
            Some(dir) => format!("the model in `{}`", dir.display()),
        }
    }

    /// "native" or "tape interpreter".
    pub fn evaluator_name(&self) -> &'static str {
        match self.evaluator {
            Evaluator::Native => "native",
            Evaluator::Tape(_) => "tape interpreter",
        }
    }

    /// True when a model directory was given and its files are not the built-in ones.
    pub fn is_interpreted(&self) -> bool {
        matches!(self.evaluator, Evaluator::Tape(_))
    }
}
