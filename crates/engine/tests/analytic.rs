//! Reference problems with closed-form solutions: the integrator, the events and the unit
//! conversions must reproduce them to 1e-6 relative.

mod common;

use common::{load, rel_err};
use osteosim_engine::{Dose, Simulation, SolverOptions};

fn tight() -> SolverOptions {
    SolverOptions {
        rtol: 1e-10,
        atol: 1e-12,
        ..SolverOptions::default()
    }
}

#[test]
fn exponential_decay_matches_closed_form() {
    let (model, kernel) = load("decay");
    let traj = Simulation::new(&model, &kernel)
        .with_time_span(0.0, 20.0)
        .and_then(|s| s.with_output_every(0.25))
        .map(|s| s.with_options(tight()))
        .and_then(|s| s.run())
        .expect("decay runs");
    assert_eq!(traj.times.len(), 81);
    for (t, obs) in traj.times.iter().zip(&traj.observables) {
        let want = 5.0 * (-0.3 * t).exp();
        assert!(
            rel_err(obs[0], want) < 1e-6,
            "t = {t}: {} vs {want}",
            obs[0]
        );
    }
}

#[test]
fn logistic_growth_matches_closed_form() {
    let (model, kernel) = load("logistic");
    let traj = Simulation::new(&model, &kernel)
        .with_time_span(0.0, 15.0)
        .and_then(|s| s.with_output_every(0.5))
        .map(|s| s.with_options(tight()))
        .and_then(|s| s.run())
        .expect("logistic runs");
    for (t, obs) in traj.times.iter().zip(&traj.observables) {
        let want = 1000.0 / (1.0 + (1000.0 / 10.0 - 1.0) * (-0.8 * t).exp());
        assert!(
            rel_err(obs[0], want) < 1e-6,
            "t = {t}: {} vs {want}",
            obs[0]
        );
    }
}

/// Two-compartment model, intravenous boluses: superposition of biexponentials.
fn two_compartment(t: f64, doses: &[(f64, f64)]) -> f64 {
    let (cl, q, v1, v2): (f64, f64, f64, f64) = (2.0, 1.5, 4.0, 10.0);
    let (k10, k12, k21) = (cl / v1, q / v1, q / v2);
    let sum = k10 + k12 + k21;
    let disc = (sum * sum - 4.0 * k10 * k21).sqrt();
    let (alpha, beta) = (0.5 * (sum + disc), 0.5 * (sum - disc));
    let a = (alpha - k21) / (alpha - beta);
    let b = (k21 - beta) / (alpha - beta);
    doses
        .iter()
        .filter(|(td, _)| *td <= t)
        .map(|(td, amount)| {
            amount / v1 * (a * (-alpha * (t - td)).exp() + b * (-beta * (t - td)).exp())
        })
        .sum()
}

#[test]
fn two_compartment_repeated_bolus_matches_closed_form() {
    let (model, kernel) = load("pk2");
    // 7 daily doses of 1000 ug (the input's unit; the state is in mg).
    let doses: Vec<(f64, f64)> = (0..7).map(|d| (d as f64 * 1.0, 1.0)).collect();
    let mut sim = Simulation::new(&model, &kernel)
        .with_time_span(0.0, 12.0)
        .and_then(|s| s.with_output_every(0.1))
        .map(|s| s.with_options(tight()))
        .expect("settings");
    for (t, _) in &doses {
        sim = sim
            .with_dose(Dose {
                input: "iv".into(),
                time: *t,
                amount: 1000.0,
                duration: 0.0,
            })
            .expect("dose");
    }
    let traj = sim.run().expect("pk2 runs");
    assert_eq!(traj.stats.restarts, 7, "one restart per dose");
    for (t, obs) in traj.times.iter().zip(&traj.observables) {
        // An output at a dose time reports the state before that dose.
        let given: Vec<(f64, f64)> = doses.iter().copied().filter(|(td, _)| td < t).collect();
        let want = two_compartment(*t, &given);
        if want == 0.0 {
            assert_eq!(obs[0], 0.0);
            continue;
        }
        assert!(
            rel_err(obs[0], want) < 1e-6,
            "t = {t}: {} vs {want}",
            obs[0]
        );
    }
}

/// Issue 17: the population settings (restart step estimated after each dose, steps that may
/// grow tenfold) keep the closed form of repeated doses as well as the fixed restart does at
/// the same tolerance, in fewer steps; a growth bound below 1 is refused.
#[test]
fn population_settings_keep_repeated_doses_exact_in_fewer_steps() {
    let (model, kernel) = load("pk2");
    let doses: Vec<f64> = (0..7).map(|d| d as f64 * 1.5).collect();
    let run = |options: SolverOptions| {
        let mut sim = Simulation::new(&model, &kernel)
            .with_time_span(0.0, 14.0)
            .and_then(|s| s.with_output_every(0.1))
            .map(|s| s.with_options(options))
            .expect("settings");
        for t in &doses {
            sim = sim
                .with_dose(Dose {
                    input: "iv".into(),
                    time: *t,
                    amount: 1000.0,
                    duration: 0.0,
                })
                .expect("dose");
        }
        let traj = sim.run().expect("pk2 runs");
        let worst = traj
            .times
            .iter()
            .zip(&traj.observables)
            .map(|(t, obs)| {
                let given: Vec<(f64, f64)> = doses
                    .iter()
                    .filter(|td| *td < t)
                    .map(|td| (*td, 1.0))
                    .collect();
                let want = two_compartment(*t, &given);
                if want == 0.0 {
                    obs[0].abs()
                } else {
                    rel_err(obs[0], want)
                }
            })
            .fold(0.0_f64, f64::max);
        (worst, traj.stats)
    };
    let options = SolverOptions {
        rtol: 1e-6,
        atol: 1e-9,
        ..SolverOptions::default()
    };
    let (fixed_error, fixed) = run(options);
    let (population_error, population) = run(SolverOptions {
        atol: 1e-9,
        ..SolverOptions::for_populations(1e-6)
    });
    assert_eq!(population.restarts, doses.len());
    assert!(fixed_error < 1e-4, "fixed restart: {fixed_error}");
    assert!(
        population_error < 1e-4,
        "population settings: {population_error}"
    );
    assert!(
        population.steps < fixed.steps,
        "population settings took {} steps, the fixed restart {}",
        population.steps,
        fixed.steps
    );
    let refused = Simulation::new(&model, &kernel)
        .with_time_span(0.0, 1.0)
        .map(|s| {
            s.with_options(SolverOptions {
                max_step_growth: Some(0.5),
                ..SolverOptions::default()
            })
        })
        .and_then(|s| s.run());
    assert!(
        refused.is_err_and(|e| e.to_string().contains("step growth")),
        "a growth bound below 1 must be refused"
    );
}

#[test]
fn zero_order_infusion_and_oral_bioavailability_match_closed_form() {
    let (model, kernel) = load("infusion");
    let k: f64 = 0.25;
    let traj = Simulation::new(&model, &kernel)
        .with_time_span(0.0, 24.0)
        .and_then(|s| s.with_output_every(0.25))
        .map(|s| s.with_options(tight()))
        .and_then(|s| {
            s.with_dose(Dose {
                input: "infusion".into(),
                time: 1.0,
                amount: 10.0,
                duration: 4.0,
            })
        })
        .and_then(|s| {
            s.with_dose(Dose {
                input: "oral".into(),
                time: 10.0,
                amount: 8.0,
                duration: 0.0,
            })
        })
        .and_then(|s| s.run())
        .expect("infusion runs");
    let rate = 10.0 / 4.0;
    let at_end = rate / k * (1.0 - (-k * 4.0).exp());
    for (t, obs) in traj.times.iter().zip(&traj.observables) {
        let t = *t;
        let mut want = if t <= 1.0 {
            0.0
        } else if t <= 5.0 {
            rate / k * (1.0 - (-k * (t - 1.0)).exp())
        } else {
            at_end * (-k * (t - 5.0)).exp()
        };
        if t > 10.0 {
            want += 0.5 * 8.0 * (-k * (t - 10.0)).exp();
        }
        if want == 0.0 {
            assert!(obs[0].abs() < 1e-12, "t = {t}: {}", obs[0]);
        } else {
            assert!(
                rel_err(obs[0], want) < 1e-6,
                "t = {t}: {} vs {want}",
                obs[0]
            );
        }
    }
}

#[test]
fn time_condition_and_parameter_switch_are_exact_to_1e_9() {
    let (model, kernel) = load("switch");
    let start = 1.2345678901;
    let sim = Simulation::new(&model, &kernel)
        .with_time_span(0.0, 3.0)
        .and_then(|s| s.with_output_times(vec![0.0, 1.0, 2.0, 2.5, 3.0]))
        .and_then(|s| s.with_switch("speed", 2.0, 3.0))
        .expect("settings");
    let stops = sim.discontinuities();
    assert_eq!(stops.len(), 1);
    assert!(
        (stops[0] - start).abs() < 1e-9,
        "found the condition's time {}",
        stops[0]
    );
    let traj = sim.run().expect("switch runs");
    let clock: Vec<f64> = traj.observables.iter().map(|o| o[0]).collect();
    assert_eq!(clock[0], 0.0);
    assert!(
        clock[1].abs() < 1e-12,
        "nothing runs before the start: {}",
        clock[1]
    );
    assert!((clock[2] - (2.0 - start)).abs() < 1e-9, "{}", clock[2]);
    assert!(
        (clock[3] - (2.0 - start + 1.5)).abs() < 1e-9,
        "{}",
        clock[3]
    );
    assert!(
        (clock[4] - (2.0 - start + 3.0)).abs() < 1e-9,
        "{}",
        clock[4]
    );
}

#[test]
fn steady_state_is_solved_and_stays() {
    let (model, kernel) = load("switch");
    let sim = Simulation::new(&model, &kernel)
        .with_time_span(0.0, 100.0)
        .and_then(|s| s.with_output_every(10.0))
        .expect("settings");
    let y0 = sim.initial_state().expect("steady state");
    let level = model.state_index("level").expect("level");
    assert!((y0[level] - 4.0).abs() < 1e-10, "{}", y0[level]);
    let traj = sim.run().expect("runs");
    for row in &traj.states {
        assert!((row[level] - 4.0).abs() < 1e-9);
    }
}

#[test]
fn negative_or_nan_doses_are_refused_with_their_time() {
    let (model, kernel) = load("pk2");
    let sim = Simulation::new(&model, &kernel);
    let err = sim
        .clone()
        .with_dose(Dose {
            input: "iv".into(),
            time: 2.0,
            amount: -1.0,
            duration: 0.0,
        })
        .err()
        .expect("negative dose is an error");
    assert!(err.to_string().contains("dose at t = 2"), "{err}");
    assert!(err.to_string().contains("non-negative"), "{err}");
    let err = sim
        .clone()
        .with_dose(Dose {
            input: "iv".into(),
            time: 0.0,
            amount: f64::NAN,
            duration: 0.0,
        })
        .err()
        .expect("NaN dose is an error");
    assert!(err.to_string().contains("NaN"), "{err}");
    let err = sim
        .with_dose(Dose {
            input: "i_v".into(),
            time: 0.0,
            amount: 1.0,
            duration: 0.0,
        })
        .err()
        .expect("unknown input");
    assert!(err.to_string().contains("did you mean `iv`"), "{err}");
}

#[test]
fn a_dose_at_the_time_a_condition_flips_is_applied_once_and_exactly() {
    let (model, kernel) = load("switch");
    let start = 1.2345678901;
    let sim = Simulation::new(&model, &kernel)
        .with_time_span(0.0, 3.0)
        .and_then(|s| s.with_output_times(vec![start, 3.0]))
        .and_then(|s| {
            s.with_dose(Dose {
                input: "bolus".into(),
                time: start,
                amount: 2.0,
                duration: 0.0,
            })
        })
        .expect("settings");
    let traj = sim.run().expect("a dose on the condition's time runs");
    let level = model.state_index("level").expect("level");
    // Before the dose at its own time; then 2 mg above the set point of 4, decaying at 0.5/day.
    assert!((traj.states[0][level] - 4.0).abs() < 1e-9);
    let want = 4.0 + 2.0 * (-0.5 * (3.0 - start)).exp();
    assert!(
        (traj.states[1][level] - want).abs() < 1e-6 * want,
        "{} vs {want}",
        traj.states[1][level]
    );
    // The clock still starts at the condition's time.
    assert!(
        (traj.observables[1][0] - (3.0 - start)).abs() < 1e-9,
        "{}",
        traj.observables[1][0]
    );
}

#[test]
fn a_condition_that_is_not_affine_in_time_is_found_by_the_grid() {
    let (model, kernel) = load("quadratic");
    let sim = Simulation::new(&model, &kernel)
        .with_time_span(0.0, 3.0)
        .and_then(|s| s.with_output_times(vec![1.0, 3.0]))
        .expect("settings");
    let stops = sim.discontinuities();
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert!((stops[0] - 1.5).abs() < 1e-9, "{}", stops[0]);
    let traj = sim.run().expect("runs");
    assert!(traj.observables[0][0].abs() < 1e-12);
    assert!(
        (traj.observables[1][0] - 1.5).abs() < 1e-9,
        "{}",
        traj.observables[1][0]
    );
}

#[test]
fn an_output_that_overflows_is_a_numerical_error_naming_it() {
    let (model, kernel) = load("overflow");
    let err = Simulation::new(&model, &kernel)
        .with_time_span(0.0, 5.0)
        .and_then(|s| s.with_output_every(1.0))
        .and_then(|s| s.run())
        .expect_err("an infinite output must fail the run");
    assert!(
        matches!(&err, osteosim_engine::SimError::NonFiniteOutput { name, time, .. } if name == "scaled" && *time == 0.0),
        "{err}"
    );
    assert!(
        err.to_string().contains("output `scaled` is inf at t = 0"),
        "{err}"
    );
}
