//! Rust source for a compiled model, so that a model built into a binary runs as native code.
//!
//! The generated code is the tapes of [`crate::compile`](mod@crate::compile) written out instruction by
//! instruction, so it computes exactly what the tape interpreter computes (a test checks
//! this for the built-in model). It implements [`crate::Kernel`].

use std::fmt::Write;

use crate::compile::{CompiledModel, Op, Slot, Tape};

/// Rust source defining `pub struct <type_name>;` implementing `osteosim_engine::Kernel`.
pub fn rust_source(compiled: &CompiledModel, type_name: &str, content_hash: u64) -> String {
    let mut s = String::new();
    let n = compiled.rhs.n_states;
    let m = compiled.rhs.n_parameters;
    let _ = writeln!(
        s,
        "// Generated from the model files at build time; do not edit."
    );
    let _ = writeln!(
        s,
        "/// Native right-hand side, Jacobian and observables of the built-in model."
    );
    let _ = writeln!(
        s,
        "#[derive(Debug, Clone, Copy, Default)]\npub struct {type_name};"
    );
    let _ = writeln!(s, "impl {type_name} {{\n    /// Hash of the model files this code was generated from.\n    pub const CONTENT_HASH: u64 = {content_hash:#x};\n}}");
    let _ = write!(
        s,
        "const PATTERN: [(u32, u32); {}] = [",
        compiled.pattern.len()
    );
    for (i, j) in &compiled.pattern {
        let _ = write!(s, "({i}, {j}), ");
    }
    let _ = writeln!(s, "];");
    let _ = writeln!(s, "impl osteosim_engine::Kernel for {type_name} {{");
    let _ = writeln!(s, "    fn n_states(&self) -> usize {{ {n} }}");
    let _ = writeln!(s, "    fn n_parameters(&self) -> usize {{ {m} }}");
    let _ = writeln!(
        s,
        "    fn n_observables(&self) -> usize {{ {} }}",
        compiled.observables.outputs.len()
    );
    let _ = writeln!(s, "    fn n_scratch(&self) -> usize {{ 0 }}");
    let _ = writeln!(
        s,
        "    fn jacobian_pattern(&self) -> &[(u32, u32)] {{ &PATTERN }}"
    );
    for (name, out, tape) in [
        ("rhs", "dy", &compiled.rhs),
        ("jacobian", "values", &compiled.jacobian),
        ("observables", "out", &compiled.observables),
    ] {
        let _ = writeln!(s, "    #[allow(unused_variables, clippy::all)]");
        let _ = writeln!(s, "    fn {name}(&self, t: f64, y: &[f64], p: &[f64], {out}: &mut [f64], _scratch: &mut [f64]) {{");
        body(&mut s, tape, out);
        let _ = writeln!(s, "    }}");
    }
    let _ = writeln!(s, "}}");
    s
}

fn reg(tape: &Tape, slot: Slot) -> String {
    let k = slot as usize;
    if k == 0 {
        "t".into()
    } else if k <= tape.n_states {
        format!("y[{}]", k - 1)
    } else if k < tape.n_inputs() {
        format!("p[{}]", k - 1 - tape.n_states)
    } else {
        format!("r{}", k - tape.n_inputs())
    }
}

fn float(v: f64) -> String {
    if v.is_nan() {
        "f64::NAN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "f64::INFINITY"
        } else {
            "f64::NEG_INFINITY"
        }
        .into()
    } else {
        format!("{v:?}_f64")
    }
}

fn body(s: &mut String, tape: &Tape, out: &str) {
    for (k, op) in tape.ops.iter().enumerate() {
        let r = |x: Slot| reg(tape, x);
        let e = match *op {
            Op::Const(c) => float(c),
            Op::Add(a, c) => format!("{} + {}", r(a), r(c)),
            Op::Sub(a, c) => format!("{} - {}", r(a), r(c)),
            Op::Mul(a, c) => format!("{} * {}", r(a), r(c)),
            Op::Div(a, c) => format!("{} / {}", r(a), r(c)),
            Op::Pow(a, c) => format!("osteosim_engine::compile::power({}, {})", r(a), r(c)),
            Op::Powi(a, n) => format!("{}.powi({n})", r(a)),
            Op::Neg(a) => format!("-{}", r(a)),
            Op::Exp(a) => format!("{}.exp()", r(a)),
            Op::Ln(a) => format!("{}.ln()", r(a)),
            Op::Log10(a) => format!("{}.log10()", r(a)),
            Op::Sqrt(a) => format!("{}.sqrt()", r(a)),
            Op::Abs(a) => format!("{}.abs()", r(a)),
            Op::Min(a, c) => format!("osteosim_engine::compile::nan_min({}, {})", r(a), r(c)),
            Op::Max(a, c) => format!("osteosim_engine::compile::nan_max({}, {})", r(a), r(c)),
            Op::Cmp(c, a, d) => format!(
                "if {} {} {} {{ 1.0 }} else {{ 0.0 }}",
                r(a),
                c.symbol(),
                r(d)
            ),
            Op::And(a, c) => format!(
                "if {} != 0.0 && {} != 0.0 {{ 1.0 }} else {{ 0.0 }}",
                r(a),
                r(c)
            ),
            Op::Or(a, c) => format!(
                "if {} != 0.0 || {} != 0.0 {{ 1.0 }} else {{ 0.0 }}",
                r(a),
                r(c)
            ),
            Op::Not(a) => format!("if {} == 0.0 {{ 1.0 }} else {{ 0.0 }}", r(a)),
            Op::Select(c, a, d) => format!("if {} != 0.0 {{ {} }} else {{ {} }}", r(c), r(a), r(d)),
        };
        let _ = writeln!(s, "        let r{k}: f64 = {e};");
    }
    for (i, o) in tape.outputs.iter().enumerate() {
        let _ = writeln!(s, "        {out}[{i}] = {};", reg(tape, *o));
    }
}
