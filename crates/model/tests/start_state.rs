//! The start state is the intact subject at its start age: an event of an estrogen profile on
//! day 0 (the usual mouse protocol: ovariectomy at 12 weeks, day 0) acts from day 0 on, also
//! when the subject is at or below the model's steady-state age and the run has no run-in.
//! Checked for every profile of the catalogue with a day setting, for every species and sex it
//! applies to, at and below the steady-state age.

use osteosim_engine::output::Table;
use osteosim_model::builtin::{kernel, model};
use osteosim_model::catalogue::{Catalogue, SettingKind};
use osteosim_model::scenario::{EstrogenProfile, Scenario, Sex, Species, DAYS_PER_YEAR};
use osteosim_model::{binding, report};

/// The model's steady-state age for this subject, as the binding resolves it.
fn steady_state_age(species: Species, sex: Sex) -> f64 {
    let m = model();
    let i = m
        .parameter_index("steady_state_age_years")
        .expect("the model starts in steady state");
    let profile = EstrogenProfile::default_for(Catalogue::builtin(), species, sex)
        .expect("every subject has a default profile");
    let sc = Scenario::untreated(species, sex, 1.0, profile, 1.0, 1.0);
    binding::simulation(m, kernel(), &sc)
        .expect("bind")
        .parameters()[i]
}

fn run(sc: &Scenario) -> Table {
    report::run(model(), kernel(), sc, "start_state")
        .expect("the run succeeds")
        .table
}

fn column(t: &Table, name: &str) -> Vec<f64> {
    let k = t
        .columns
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    t.rows.iter().map(|r| r[k]).collect()
}

#[test]
fn a_day_zero_event_starts_from_the_intact_subject() {
    let catalogue = Catalogue::builtin();
    let mut checked = 0;
    for profile in &catalogue.profiles {
        let Some(setting) = profile
            .setting
            .as_ref()
            .filter(|s| s.kind == SettingKind::Day && s.switch.is_some())
        else {
            continue;
        };
        for species in [Species::Human, Species::Mouse] {
            for &sex in &profile.sexes {
                let reference = steady_state_age(species, sex);
                // A year below the steady state for people, four weeks for mice.
                let below = match species {
                    Species::Human => 1.0,
                    Species::Mouse => 28.0 / DAYS_PER_YEAR,
                };
                // 720 days for people, 56 for mice: long enough for bone to follow.
                let days = match species {
                    Species::Human => 720.0,
                    Species::Mouse => 56.0,
                };
                for age in [reference, reference - below] {
                    let on = |day: f64| {
                        let mut sc = Scenario::untreated(
                            species,
                            sex,
                            age,
                            EstrogenProfile::with(&profile.id, &setting.key, day),
                            days,
                            7.0,
                        );
                        sc.simulation.output_every_days = days / 8.0;
                        run(&sc)
                    };
                    let (day0, day1) = (on(0.0), on(1.0));
                    let what = format!("{} on day 0, {species} {sex} aged {age:.3}", profile.id);
                    // Day 0 is the intact subject: every output as with the event on day 1.
                    for (k, name) in day0.columns.iter().enumerate() {
                        let (a, b) = (day0.rows[0][k], day1.rows[0][k]);
                        assert!(
                            (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) || a == b,
                            "{what}: `{name}` on day 0 is {a}, intact {b}"
                        );
                    }
                    // And the event acts: bone follows as it does a day later.
                    let bv = |t: &Table| {
                        let c = column(t, "trabecular_bv_tv");
                        c[c.len() - 1] / c[0] - 1.0
                    };
                    let (loss0, loss1) = (bv(&day0), bv(&day1));
                    assert!(loss0 < -0.02, "{what}: BV/TV changes by {loss0:.4}");
                    assert!(
                        (loss0 - loss1).abs() < 0.1 * loss1.abs(),
                        "{what}: BV/TV {loss0:.4} with the event on day 0, {loss1:.4} on day 1"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(
        checked >= 4,
        "only {checked} cases: the catalogue lost its day events"
    );
}
