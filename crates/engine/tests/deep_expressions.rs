//! Model files with very long flat expressions (thousands of terms joined by `+` or `*`) are
//! refused with an error that names the symbol, instead of overflowing the stack in one of
//! the passes that walk expression trees.

use osteosim_engine::expr::MAX_TREE_DEPTH;
use osteosim_engine::format::SourceFile;
use osteosim_engine::{Kernel, Model, ModelError, ModelErrors};

const MANIFEST: &str = r#"[model]
name = "deep"
time_unit = "day"
layers = ["layer.toml"]
"#;

const HEAD: &str = r#"[layer]
name = "deep"

[parameters.k]
value = 0.5
unit = "1/day"
source = "illustrative value"

[states.x]
unit = "mg"
initial = 1.0
"#;

/// `first op term op term ...` with `n` terms in all.
fn chain(n: usize, first: &str, op: &str, term: &str) -> String {
    let mut s = first.to_string();
    for _ in 1..n {
        s.push_str(&format!(" {op} {term}"));
    }
    s
}

/// A spawned thread's default stack: refusing a long expression must fit in it.
const SMALL_STACK: usize = 2 * 1024 * 1024;

/// A main thread's stack (as `osteosim` runs): an accepted tree near [`MAX_TREE_DEPTH`] is
/// walked some 1000 frames deep by each pass, which an unoptimised build needs about 4 MiB for
/// (an optimised one well under 2 MiB).
const MAIN_STACK: usize = 8 * 1024 * 1024;

/// Builds the model from `layer` on a thread with a stack of `stack` bytes, so that unbounded
/// recursion would crash the test.
fn build_on(stack: usize, layer: String) -> Result<Model, ModelErrors> {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            Model::from_sources(
                SourceFile::new("model.toml", MANIFEST),
                vec![SourceFile::new("layer.toml", layer)],
            )
        })
        .expect("spawn")
        .join()
        .expect("no crash")
}

/// The start of each error, for assertion messages (the errors quote the long expressions).
fn brief(errors: &[ModelError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string().chars().take(160).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn line_of(text: &str, needle: &str) -> usize {
    1 + text
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle in text")
}

#[test]
fn a_15000_term_sum_is_a_model_error_naming_the_symbol() {
    let layer = format!(
        "{HEAD}\n[assignments.long_sum]\nexpr = \"{}\"\nunit = \"1/day\"\n\n\
         [processes.loss]\nrate = \"long_sum * x\"\nconsumes = [\"x\"]\n",
        chain(15_000, "k", "+", "k")
    );
    let errors = build_on(SMALL_STACK, layer.clone()).expect_err("refused").0;
    // The process that uses `long_sum` also reports it as unknown; the first error is the cause.
    match &errors[0] {
        ModelError::Expression {
            origin,
            symbol,
            message,
        } => {
            assert_eq!(symbol, "long_sum");
            assert_eq!(origin.file, "layer.toml");
            assert_eq!(origin.line, line_of(&layer, "expr = \"k + k"));
            assert!(
                message.starts_with(&format!(
                    "at column 3999: expression nests deeper than {MAX_TREE_DEPTH} levels"
                )),
                "{}",
                &message[..200]
            );
            assert!(
                message.contains("split it into named definitions"),
                "{}",
                &message[..200]
            );
        }
        other => panic!("unexpected error: {}", brief(std::slice::from_ref(other))),
    }
    let shown = errors[0].to_string();
    assert!(shown.starts_with("layer.toml:"), "{}", &shown[..200]);
    assert!(
        shown.contains("`long_sum`: cannot parse expression"),
        "{}",
        &shown[..200]
    );
}

#[test]
fn a_15000_long_product_rate_is_a_model_error_naming_the_process() {
    let layer = format!(
        "{HEAD}\n[processes.loss]\nrate = \"{}\"\nconsumes = [\"x\"]\n",
        chain(15_000, "k * x", "*", "1")
    );
    let errors = build_on(SMALL_STACK, layer).expect_err("refused").0;
    assert_eq!(errors.len(), 1, "{}", brief(&errors));
    match &errors[0] {
        ModelError::Expression {
            symbol, message, ..
        } => {
            assert_eq!(symbol, "loss");
            assert!(message.contains("nests deeper than"), "{}", &message[..200]);
        }
        other => panic!("unexpected error: {}", brief(std::slice::from_ref(other))),
    }
}

#[test]
fn too_many_contributions_to_one_assignment_are_a_model_error() {
    let mut layer = format!(
        "{HEAD}\n[assignments.total]\nexpr = \"k\"\nunit = \"1/day\"\ncombine = \"sum\"\n\n\
         [processes.loss]\nrate = \"total * x\"\nconsumes = [\"x\"]\n"
    );
    for i in 1..=1_500 {
        layer.push_str(&format!(
            "\n[contributions.c{i}]\nto = \"total\"\nexpr = \"k\"\n"
        ));
    }
    let errors = build_on(SMALL_STACK, layer.clone()).expect_err("refused").0;
    assert_eq!(errors.len(), 1, "one error for the target: {errors:?}");
    match &errors[0] {
        ModelError::Declaration {
            origin,
            symbol,
            message,
        } => {
            // `k` and the first 999 contributions make a sum of 1000 terms.
            assert_eq!(symbol, "c1000");
            assert_eq!(origin.line, line_of(&layer, "[contributions.c1000]") + 2);
            assert!(
                message.contains(&format!(
                    "`total` nests deeper than {MAX_TREE_DEPTH} levels"
                )),
                "{message}"
            );
        }
        other => panic!("unexpected error: {other}"),
    }
}

#[test]
fn a_long_but_accepted_sum_loads_and_compiles() {
    let layer = format!(
        "{HEAD}\n[assignments.long_sum]\nexpr = \"{}\"\nunit = \"1/day\"\n\n\
         [processes.loss]\nrate = \"long_sum * x\"\nconsumes = [\"x\"]\n",
        chain(900, "k", "+", "k")
    );
    let model = build_on(MAIN_STACK, layer).expect("900 terms load");
    let compiled = osteosim_engine::compile(&model);
    let mut dy = [0.0];
    let mut scratch = vec![0.0; compiled.n_scratch()];
    compiled.rhs(
        0.0,
        &[2.0],
        &model.default_parameters(),
        &mut dy,
        &mut scratch,
    );
    assert!((dy[0] + 900.0 * 0.5 * 2.0).abs() < 1e-9, "{}", dy[0]);
}
