//! `docs/model.md` carries tables generated from the model files; this test fails when they
//! drift. Regenerate with `OSTEOSIM_UPDATE_DOCS=1 cargo test -p osteosim-model --test docs`.

use std::path::PathBuf;

#[test]
fn model_reference_sensitivity_and_comparison_in_docs_match_the_model_files() {
    // One test writes every generated section, so that updating never races with itself.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/model.md");
    let text = std::fs::read_to_string(&path).expect("docs/model.md exists");
    let generated = osteosim_model::docs::reference(osteosim_model::builtin::model());
    let expected = osteosim_model::docs::splice(&text, &generated)
        .expect("docs/model.md has the generated-section markers");
    let sensitivity =
        osteosim_model::sensitivity::markdown().expect("the sensitivity runs succeed");
    let expected = osteosim_model::sensitivity::splice(&expected, &sensitivity)
        .expect("docs/model.md has the sensitivity markers");
    let comparison =
        osteosim_model::comparison::markdown().expect("the treatment comparison runs succeed");
    let expected = osteosim_model::comparison::splice(&expected, &comparison)
        .expect("docs/model.md has the treatment comparison markers");
    if std::env::var_os("OSTEOSIM_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).expect("write docs/model.md");
        return;
    }
    assert!(
        text == expected,
        "docs/model.md is out of date with the model files; run OSTEOSIM_UPDATE_DOCS=1 cargo test -p osteosim-model --test docs"
    );
}

#[test]
fn every_parameter_appears_in_the_docs_with_its_source() {
    let generated = osteosim_model::docs::reference(osteosim_model::builtin::model());
    for p in &osteosim_model::builtin::model().parameters {
        let prefix = format!("| `{}` | {} |", p.name, p.value);
        let source = p.source.to_string().replace('|', "\\|");
        assert!(
            generated
                .lines()
                .any(|l| l.starts_with(&prefix) && l.contains(&source)),
            "no parameter row for `{}` with its source",
            p.name
        );
    }
}

#[test]
fn every_direction_only_parameter_moves_something() {
    // A parameter that moves no output at all is either dead or unconnected.
    let osteosim_model::sensitivity::Sensitivity {
        baseline: base,
        rows,
    } = osteosim_model::sensitivity::table().expect("runs succeed");
    assert!(
        rows.len() >= 10,
        "only {} direction-only parameters",
        rows.len()
    );
    for (name, o) in rows {
        assert!(o != base, "`{name}` changes none of the outputs");
    }
}

#[test]
fn the_readme_lists_the_catalogue_of_the_model_files() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(&path).expect("README.md exists");
    let generated =
        osteosim_model::docs::catalogue_markdown(osteosim_model::catalogue::Catalogue::builtin());
    let expected = osteosim_model::docs::splice_catalogue(&text, &generated)
        .expect("README.md has the catalogue markers");
    if std::env::var_os("OSTEOSIM_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).expect("write README.md");
        return;
    }
    assert!(
        text == expected,
        "README.md's catalogue is out of date with the model files; run OSTEOSIM_UPDATE_DOCS=1 cargo test -p osteosim-model --test docs"
    );
}
