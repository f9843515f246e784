//! The compiled Jacobian of every test model equals central finite differences of the compiled
//! right-hand side, entry by entry, and entries outside the sparsity pattern are zero.

mod common;

use common::load;
use osteosim_engine::{Kernel, Simulation};

fn check_model(name: &str) {
    let (model, kernel) = load(name);
    let n = kernel.n_states();
    let p = model.default_parameters();
    let mut scratch = vec![0.0; kernel.n_scratch()];
    let mut values = vec![0.0; kernel.jacobian_pattern().len()];
    // A few states: the initial guess scaled and shifted so that every state is non-zero.
    for (k, scale) in [0.5, 1.0, 3.0].iter().enumerate() {
        let y: Vec<f64> = (0..n)
            .map(|i| scale * (1.0 + i as f64 * 0.37) + k as f64 * 0.1)
            .collect();
        let t = 0.75 + k as f64;
        kernel.jacobian(t, &y, &p, &mut values, &mut scratch);
        let mut dense = vec![vec![0.0; n]; n];
        for (&(i, j), v) in kernel.jacobian_pattern().iter().zip(&values) {
            dense[i as usize][j as usize] += v;
        }
        for j in 0..n {
            let h = 1e-6 * y[j].abs().max(1.0);
            let (mut yp, mut ym) = (y.clone(), y.clone());
            yp[j] += h;
            ym[j] -= h;
            let (mut fp, mut fm) = (vec![0.0; n], vec![0.0; n]);
            kernel.rhs(t, &yp, &p, &mut fp, &mut scratch);
            kernel.rhs(t, &ym, &p, &mut fm, &mut scratch);
            for i in 0..n {
                let fd = (fp[i] - fm[i]) / (2.0 * h);
                let exact = dense[i][j];
                assert!(
                    (fd - exact).abs() <= 1e-6 * (fd.abs() + exact.abs()) + 1e-9,
                    "{name}: d f[{}] / d y[{}]: exact {exact}, finite difference {fd}",
                    model.states[i].name,
                    model.states[j].name
                );
            }
        }
    }
}

#[test]
fn jacobians_of_all_test_models_match_finite_differences() {
    for name in [
        "decay",
        "logistic",
        "pk2",
        "infusion",
        "switch",
        "nosteady",
        "quadratic",
    ] {
        check_model(name);
    }
}

#[test]
fn a_model_without_steady_state_says_so() {
    let (model, kernel) = load("nosteady");
    let err = Simulation::new(&model, &kernel)
        .with_time_span(0.0, 1.0)
        .and_then(|s| s.initial_state())
        .expect_err("no steady state");
    let text = err.to_string();
    assert!(text.contains("no steady state found"), "{text}");
    assert!(
        text.contains("`x`"),
        "names the state that will not settle: {text}"
    );
}
