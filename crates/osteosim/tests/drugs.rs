//! `osteosim drugs`: the drug ids of the scenario contract with their routes, usual regimens,
//! whether the model gives them, and their parameters with sources, as text and as JSON.

use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_osteosim");

fn osteosim(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run the osteosim binary");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn drugs_json() -> Vec<Value> {
    let (code, stdout, stderr) = osteosim(&["drugs", "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    match serde_json::from_str(&stdout) {
        Ok(Value::Array(v)) => v,
        other => panic!("drugs --json is not an array: {other:?}\n{stdout}"),
    }
}

fn find<'a>(drugs: &'a [Value], id: &str) -> &'a Value {
    drugs
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("no drug {id}"))
}

#[test]
fn json_lists_every_contract_drug_with_routes_and_regimens() {
    let drugs = drugs_json();
    let ids: Vec<&str> = drugs.iter().filter_map(|d| d["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            "alendronate",
            "anti_tnf",
            "calcium_vitamin_d",
            "denosumab",
            "estradiol",
            "ev_biogenesis_inhibitor",
            "ev_neutralizing_antibody",
            "exercise",
            "raloxifene",
            "romosozumab",
            "senolytic",
            "teriparatide",
            "testosterone",
            "zoledronic_acid"
        ]
    );
    for d in &drugs {
        assert!(
            d["description"].as_str().is_some_and(|s| !s.is_empty()),
            "{d}"
        );
        assert!(d["modelled"].is_boolean(), "{d}");
        for r in d["routes"].as_array().expect("routes") {
            assert!(
                r["usual_regimen"]
                    .as_str()
                    .is_some_and(|s| s.contains("every")),
                "{r}"
            );
            let (usual, min) = (r["usual_every_days"].as_f64(), r["min_every_days"].as_f64());
            assert!(
                usual.zip(min).is_some_and(|(u, m)| m > 0.0 && m <= u),
                "{r}"
            );
            // A modelled route names the state its dose enters.
            assert_eq!(
                r["modelled"].as_bool() == Some(true),
                r["enters"].is_string(),
                "{r}"
            );
        }
        if d["modelled"] == true {
            let params = d["parameters"].as_array().expect("parameters");
            assert!(!params.is_empty(), "{d}");
            for p in params {
                assert!(p["value"].is_number(), "{p}");
                for key in ["name", "unit", "source", "layer"] {
                    assert!(
                        p[key].as_str().is_some_and(|s| !s.trim().is_empty()),
                        "{key}: {p}"
                    );
                }
            }
        }
    }
}

#[test]
fn json_reports_the_new_drug_layers_and_their_pk() {
    let drugs = drugs_json();
    let romo = find(&drugs, "romosozumab");
    assert_eq!(romo["modelled"], true);
    let route = &romo["routes"][0];
    assert_eq!(route["input"], "romosozumab_subcutaneous");
    assert_eq!(route["enters"], "romosozumab_depot");
    assert_eq!(
        route["bioavailability"],
        "romosozumab_bioavailability = 0.81"
    );
    assert_eq!(route["min_every_days"], 7.0);
    let bio = romo["parameters"]
        .as_array()
        .and_then(|ps| {
            ps.iter()
                .find(|p| p["name"] == "romosozumab_bioavailability")
        })
        .expect("romosozumab_bioavailability listed");
    assert_eq!(bio["value"], 0.81);
    assert!(bio["source"]
        .as_str()
        .is_some_and(|s| s.contains("Evenity")));

    let testosterone = find(&drugs, "testosterone");
    let routes: Vec<&str> = testosterone["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .filter_map(|r| r["route"].as_str())
        .collect();
    assert_eq!(routes, ["transdermal", "intramuscular"]);
    assert!(testosterone["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .all(|r| r["modelled"] == true));
    assert_eq!(find(&drugs, "anti_tnf")["modelled"], true);
    // Exercise is a parameter switch: modelled, no routes, its loading parameters listed.
    let exercise = find(&drugs, "exercise");
    assert_eq!(exercise["modelled"], true);
    assert_eq!(exercise["routes"].as_array().map(Vec::len), Some(0));
    assert!(exercise["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .any(|p| p["name"] == "exercise_intensity"));
    // Every drug of the contract has its layer, with its PK parameters.
    assert!(drugs.iter().all(|d| d["modelled"] == true));
    assert!(find(&drugs, "teriparatide")["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .any(|p| p["name"] == "teriparatide_clearance_per_kg"));
}

#[test]
fn text_names_each_drug_its_status_and_sources() {
    let (code, stdout, stderr) = osteosim(&["drugs"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.starts_with("14 drugs in the built-in model"),
        "{stdout}"
    );
    assert!(stdout.contains("\nromosozumab: anti-sclerostin antibody\n  also written: evenity\n  layer romosozumab (drugs/romosozumab.toml)"), "{stdout}");
    assert!(
        stdout.contains("\nteriparatide: intermittent PTH(1-34), anabolic\n  also written: forteo, pth\n  layer teriparatide (drugs/teriparatide.toml)"),
        "{stdout}"
    );
    assert!(stdout.contains(
        "route subcutaneous: usual 60 mg subcutaneous every 182 days; every_days at least 7"
    ));
    assert!(stdout
        .lines()
        .any(|l| l.trim_start().starts_with("anti_tnf_clearance_per_kg")
            && l.contains("source: Korth-Bradley 2000")));
}

#[test]
fn a_bad_model_directory_is_bad_input() {
    let (code, _, stderr) = osteosim(&["drugs", "--model", "/nonexistent/model/dir"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("error: "), "{stderr}");
}
