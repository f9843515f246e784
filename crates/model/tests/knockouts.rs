//! Knockout and deficient mice against the published mice: a genotype's skeleton before
//! ovariectomy (against wild type, both sham-operated) and its loss after ovariectomy (against
//! its own sham, as a fraction of the wild type's). Female C57BL/6 mice of 16 weeks, 28 days
//! after surgery, as in targets O1 and O2. Bands come from the spread the papers report.

mod common;

use common::{mouse, Run, CTX};

const BV_TV: &str = "trabecular_bv_tv";
const DAY: f64 = 28.0;

/// A female mouse of 16 weeks with `genotype`, ovariectomized or sham-operated on day 0.
fn run(genotype: &str, ovariectomy: bool) -> Run {
    let mut sc = mouse(ovariectomy, DAY);
    if !genotype.is_empty() {
        sc.subject.genotype = vec![genotype.to_string()];
    }
    Run::of(&sc)
}

/// Percent difference of `name` on day 28, `genotype` over wild type, both sham-operated.
fn versus_wild_type(genotype: &str, name: &str) -> f64 {
    100.0 * (run(genotype, false).at(name, DAY) / run("", false).at(name, DAY) - 1.0)
}

/// Trabecular BV/TV loss after ovariectomy against the own sham on day 28, in percent (a loss
/// is positive).
fn ovariectomy_loss(genotype: &str) -> f64 {
    100.0 * (1.0 - run(genotype, true).at(BV_TV, DAY) / run(genotype, false).at(BV_TV, DAY))
}

/// The knockout's ovariectomy loss as a fraction of the wild type's.
fn loss_fraction(genotype: &str) -> f64 {
    let wild = ovariectomy_loss("");
    assert!(wild > 10.0, "wild-type ovariectomy loss only {wild:.1}%");
    ovariectomy_loss(genotype) / wild
}

/// Roggia 2001 PNAS 98:13960 (sham-operated TNF-/- mice against sham wild type) and Ammann 1997
/// J Clin Invest 99:1699 (mice neutralizing TNF with a soluble p55 receptor are identical to
/// their littermates in BMD and bone strength): without TNF the skeleton is normal before
/// ovariectomy. Band: no difference beyond the ~10% spread of BV/TV between groups of mice, and
/// resorption within a quarter of wild type.
#[test]
fn tnf_knockout_skeleton_is_normal_before_ovariectomy() {
    let bv = versus_wild_type("tnf_knockout", BV_TV);
    let ctx = versus_wild_type("tnf_knockout", CTX);
    eprintln!("tnf_knockout vs wild type, sham: BV/TV {bv:+.1}%, CTX {ctx:+.1}%");
    assert!(
        bv.abs() <= 10.0,
        "TNF-/- BV/TV {bv:+.1}% vs wild type (band +-10%)"
    );
    assert!(
        ctx.abs() <= 25.0,
        "TNF-/- CTX {ctx:+.1}% vs wild type (band +-25%)"
    );
}

/// Roggia 2001 PNAS 98:13960: ovariectomy fails to induce bone loss in TNF-/- mice (as O2).
#[test]
fn tnf_knockout_is_protected_from_ovariectomy() {
    let f = loss_fraction("tnf_knockout");
    eprintln!("tnf_knockout ovariectomy loss / wild type: {f:.2}");
    assert!(
        f < 0.25,
        "TNF-/- lose {f:.2} of the wild-type loss (band < 0.25)"
    );
}

/// Cenci 2000 J Clin Invest 106:1229 and Roggia 2001 PNAS 98:13960: ovariectomy fails to induce
/// bone loss or to raise resorption in T-cell-deficient nude mice.
#[test]
fn nude_mice_are_protected_from_ovariectomy() {
    let f = loss_fraction("t_cell_deficient");
    eprintln!("t_cell_deficient ovariectomy loss / wild type: {f:.2}");
    assert!(
        f < 0.25,
        "nude mice lose {f:.2} of the wild-type loss (band < 0.25)"
    );
}

/// Weitzmann 2002 J Clin Invest 110:1643 (neutralizing IL-7 prevents ovariectomy-induced
/// trabecular loss) and Ryan 2005 PNAS 102:16735 (blunting the IL-7 rise completely prevents the
/// T-cell expansion and the bone loss): without IL-7 ovariectomy takes little bone.
#[test]
fn il7_knockout_is_protected_from_ovariectomy() {
    let f = loss_fraction("il7_knockout");
    eprintln!("il7_knockout ovariectomy loss / wild type: {f:.2}");
    assert!(
        f < 0.25,
        "IL-7-/- lose {f:.2} of the wild-type loss (band < 0.25)"
    );
}

/// Bucay 1998 Genes Dev 12:1260: OPG-/- mice are osteoporotic with trabecular bone almost
/// absent by 1-2 months (metaphyseal trabecular density about half of wild type at 2 months by
/// pQCT; proximal tibial trabecular area about a sixth) and tibial osteoclast surface about
/// 3-fold; Meijome 2015 J Cell Physiol 230:783, Table 1: femoral trabecular BV/TV 0.4 +- 0.2% in
/// OPG-/- against 3.9 +- 0.3% in C57BL/6 by micro-CT. Band: BV/TV 40-95% below wild type and
/// resorption at least 1.5 times wild type.
#[test]
fn opg_knockout_is_osteoporotic_with_high_resorption() {
    let bv = versus_wild_type("opg_knockout", BV_TV);
    let ctx = versus_wild_type("opg_knockout", CTX);
    eprintln!("opg_knockout vs wild type, sham: BV/TV {bv:+.1}%, CTX {ctx:+.1}%");
    assert!(
        (-95.0..=-40.0).contains(&bv),
        "OPG-/- BV/TV {bv:+.1}% vs wild type (band -95 to -40%)"
    );
    assert!(
        ctx >= 50.0,
        "OPG-/- CTX {ctx:+.1}% vs wild type (band >= +50%)"
    );
}
