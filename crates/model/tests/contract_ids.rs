//! The ids of the public scenario contract: every drug with its routes, every genotype and
//! every estrogen profile (with the sexes it applies to and whom it is the default for) of the
//! built-in model's catalogue. They live in the model files, so a change there would change the
//! contract silently; this snapshot makes it deliberate.

use osteosim_model::catalogue::{sorted_ids, Catalogue};

#[test]
fn drug_ids_and_routes_are_the_contract() {
    let c = Catalogue::builtin();
    let drugs: Vec<String> = sorted_ids(&c.drugs)
        .into_iter()
        .filter_map(|id| c.drug(id))
        .map(|d| {
            let routes: Vec<&str> = d.routes.iter().map(|r| r.route.as_str()).collect();
            format!("{}: {}", d.id, routes.join(" "))
        })
        .collect();
    assert_eq!(
        drugs,
        [
            "alendronate: oral",
            "anti_tnf: subcutaneous",
            "calcium_vitamin_d: oral",
            "denosumab: subcutaneous",
            "estradiol: oral transdermal",
            "ev_biogenesis_inhibitor: intraperitoneal oral",
            "ev_neutralizing_antibody: intravenous intraperitoneal",
            "exercise: ",
            "raloxifene: oral",
            "romosozumab: subcutaneous",
            "senolytic: oral",
            "teriparatide: subcutaneous",
            "testosterone: transdermal intramuscular",
            "zoledronic_acid: intravenous",
        ]
    );
    assert_eq!(
        c.drug("exercise")
            .and_then(|d| d.intensity_parameter.as_deref()),
        Some("exercise_intensity")
    );
}

#[test]
fn genotype_ids_are_the_contract() {
    assert_eq!(
        sorted_ids(&Catalogue::builtin().genotypes),
        [
            "b_cell_deficient",
            "er_alpha_knockout",
            "er_beta_knockout",
            "il7_knockout",
            "opg_knockout",
            "senescent_cell_clearance",
            "t_cell_deficient",
            "tnf_knockout",
        ]
    );
}

#[test]
fn estrogen_profiles_are_the_contract() {
    let c = Catalogue::builtin();
    let profiles: Vec<String> = sorted_ids(&c.profiles)
        .into_iter()
        .filter_map(|id| c.profile(id))
        .map(|p| {
            let sexes: Vec<&str> = p.sexes.iter().map(|s| s.as_str()).collect();
            let defaults: Vec<String> = p
                .default_for
                .iter()
                .map(|(species, sex)| format!("{species}_{sex}"))
                .collect();
            let setting = p.setting.as_ref().map_or(String::new(), |s| s.key.clone());
            format!(
                "{} [{}] default for [{}] setting {setting}",
                p.id,
                sexes.join(" "),
                defaults.join(" ")
            )
        })
        .collect();
    assert_eq!(
        profiles,
        [
            "age_related_decline [male] default for [human_male] setting ",
            "constant [female male] default for [] setting ",
            "natural_menopause [female] default for [human_female] setting menopause_age_years",
            "ovariectomy [female] default for [] setting ovariectomy_day",
            "sham [female male] default for [mouse_female mouse_male] setting ",
        ]
    );
}
