//! Male and female mice differ as C57BL/6J mice do: males carry more trabecular bone (Glatt
//! 2007 J Bone Miner Res 22:1197), and both sexes lose trabecular bone with age from young
//! adulthood on (Halloran 2002 J Bone Miner Res 17:1044, male tibia -60% from 6 weeks to 24
//! months; Glatt 2007 in both sexes).

use osteosim_model::builtin::{kernel, model, REFERENCES};
use osteosim_model::scenario::{EstrogenProfile, Scenario, Sex, Species, DAYS_PER_YEAR};

const WEEK: f64 = 7.0 / DAYS_PER_YEAR;

/// An intact mouse from 12 weeks of age for `days`, weekly output.
fn mouse(sex: Sex, days: f64) -> Scenario {
    Scenario::untreated(
        Species::Mouse,
        sex,
        12.0 * WEEK,
        EstrogenProfile::new("sham"),
        days,
        7.0,
    )
}

fn bv_tv(sc: &Scenario) -> Vec<f64> {
    let out = osteosim_model::run(model(), kernel(), sc, "mouse sex test")
        .unwrap_or_else(|e| panic!("the run failed: {e}"));
    out.table
        .column("trabecular_bv_tv")
        .expect("trabecular_bv_tv column")
}

#[test]
fn male_mice_carry_more_trabecular_bone_than_females() {
    let female = bv_tv(&mouse(Sex::Female, 28.0));
    let male = bv_tv(&mouse(Sex::Male, 28.0));
    let (f, m) = (female[4], male[4]);
    assert!(
        m > 1.2 * f && m < 2.0 * f,
        "16-week BV/TV: male {m:.4}, female {f:.4}"
    );
}

#[test]
fn both_sexes_lose_trabecular_bone_with_age() {
    for sex in [Sex::Female, Sex::Male] {
        let b = bv_tv(&mouse(sex, 600.0));
        let loss = 1.0 - b[b.len() - 1] / b[0];
        assert!(
            (0.2..0.7).contains(&loss),
            "{sex:?}: BV/TV from 12 weeks to about 22 months falls by {:.0}%",
            100.0 * loss
        );
    }
}

#[test]
#[ignore = "known gap: both sexes lose the same share of trabecular bone with age (41% from 12 weeks to 22 months), because the loss comes from bone senescence with the same kinetics in both; Glatt 2007 finds larger declines in females, whose reproductive ageing (irregular cycles from about 12 months) the model does not have"]
fn female_mice_lose_more_trabecular_bone_with_age_than_males() {
    let relative_loss = |sex| {
        let b = bv_tv(&mouse(sex, 600.0));
        1.0 - b[b.len() - 1] / b[0]
    };
    let (female, male) = (relative_loss(Sex::Female), relative_loss(Sex::Male));
    assert!(
        female > male + 0.05,
        "female loss {female:.2}, male loss {male:.2}"
    );
}

/// Regression for issue 14: the male mouse's BV/TV reference was the female's (0.077 against
/// its own 0.112), so its bone indices and calcium fluxes were normalized by another animal.
/// Every mouse, of either sex, is its own reference at its steady-state age.
#[test]
fn each_mouse_sex_is_normalized_by_its_own_steady_state() {
    let m = model();
    for sex in [Sex::Female, Sex::Male] {
        let sc = Scenario::untreated(
            Species::Mouse,
            sex,
            0.23,
            EstrogenProfile::new("sham"),
            1.0,
            1.0,
        );
        let sim = osteosim_model::simulation(m, kernel(), &sc).expect("bind");
        let out = osteosim_model::run(m, kernel(), &sc, "mouse references").expect("run");
        for (param, column) in REFERENCES {
            let i = m
                .parameter_index(param)
                .unwrap_or_else(|| panic!("no parameter {param}"));
            let reference = sim.parameters()[i];
            let steady = out.table.column(column).expect("column")[0];
            let gap = (reference / steady - 1.0).abs();
            assert!(
                gap < 1e-4,
                "{sex:?} mouse: {param} = {reference:.6e}, its steady {column} = {steady:.6e}"
            );
        }
    }
}
