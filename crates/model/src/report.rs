//! One subject's run as the contract's outputs: `timeseries.csv` columns and the
//! `summary.json` document.

use osteosim_engine::output::Table;
use osteosim_engine::{Kernel, Model, Trajectory};
use serde_json::{json, Map, Value};

use crate::binding::{simulation, BindError};
use crate::scenario::Scenario;

/// The time series columns of the public contract, in their order. A model may write more;
/// those follow in declaration order.
pub const CONTRACT_COLUMNS: [&str; 25] = [
    "day",
    "age_years",
    "estradiol_pg_ml",
    "bmd_lumbar_spine_g_cm2",
    "bmd_total_hip_g_cm2",
    "bmd_femoral_neck_g_cm2",
    "t_score_lumbar_spine",
    "t_score_femoral_neck",
    "trabecular_bv_tv",
    "cortical_porosity",
    "ctx_ng_ml",
    "p1np_ng_ml",
    "rankl_opg_ratio",
    "tnf_alpha_pg_ml",
    "osteoclasts_active",
    "osteoblasts_active",
    "osteocytes",
    "circulating_evs",
    "senescent_fraction_bone",
    "senescent_fraction_systemic",
    "marrow_adiposity",
    "fracture_probability_10y_major",
    "fracture_probability_10y_hip",
    "survival_probability",
    "il6_pg_ml",
];

/// Output column order: `day`, the contract's columns the model has, then its other
/// observables. Returns (column name, observable index or None for `day`).
pub fn column_order(model: &Model) -> Vec<(String, Option<usize>)> {
    let mut cols = vec![("day".to_string(), None)];
    let index = |name: &str| model.observables.iter().position(|o| o.name == name);
    for c in &CONTRACT_COLUMNS[1..] {
        if let Some(i) = index(c) {
            cols.push((c.to_string(), Some(i)));
        }
    }
    for (i, o) in model.observables.iter().enumerate() {
        if !CONTRACT_COLUMNS.contains(&o.name.as_str()) {
            cols.push((o.name.clone(), Some(i)));
        }
    }
    cols
}

/// The trajectory as a table in the contract's column order; only times at or after day 0.
pub fn table(model: &Model, traj: &Trajectory) -> Table {
    let cols = column_order(model);
    let rows = traj
        .times
        .iter()
        .zip(&traj.observables)
        .filter(|(t, _)| **t >= 0.0)
        .map(|(t, obs)| cols.iter().map(|(_, i)| i.map_or(*t, |i| obs[i])).collect())
        .collect();
    Table {
        columns: cols.into_iter().map(|(c, _)| c).collect(),
        rows,
    }
}

/// Start, end, min and max of every column, and the % change of each BMD site.
pub fn column_summary(table: &Table) -> (Value, Value) {
    let mut stats = Map::new();
    let mut bmd = Map::new();
    for (k, name) in table.columns.iter().enumerate() {
        let col: Vec<f64> = table.rows.iter().map(|r| r[k]).collect();
        let (Some(first), Some(last)) = (col.first(), col.last()) else {
            continue;
        };
        let min = col.iter().copied().fold(f64::INFINITY, f64::min);
        let max = col.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        stats.insert(
            name.clone(),
            json!({ "start": first, "end": last, "min": min, "max": max }),
        );
        if name.starts_with("bmd_") && *first != 0.0 {
            bmd.insert(name.clone(), json!(100.0 * (last - first) / first));
        }
    }
    (Value::Object(stats), Value::Object(bmd))
}

/// Everything a run produces, ready to be written.
pub struct RunOutput {
    pub table: Table,
    pub summary: Value,
}

/// Simulate one subject and assemble the outputs.
pub fn run(
    model: &Model,
    kernel: &dyn Kernel,
    scenario: &Scenario,
    scenario_file: &str,
) -> Result<RunOutput, BindError> {
    let started = std::time::Instant::now();
    let sim = simulation(model, kernel, scenario)?;
    let traj = sim.run()?;
    let table = table(model, &traj);
    let (columns, bmd) = column_summary(&table);
    let summary = json!({
        "osteosim_version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "file": scenario_file,
            "toml": scenario.to_toml_string(),
        },
        "model": {
            "name": model.name,
            "content_hash": format!("{:016x}", model.content_hash),
            "states": model.states.len(),
            "parameters": model.parameters.len(),
        },
        "bmd_percent_change": bmd,
        "columns": columns,
        "solver": {
            "method": "BDF (diffsol 0.18), exact sparse Jacobian",
            "rtol": sim_options(&sim).0,
            "atol": sim_options(&sim).1,
            "steps": traj.stats.steps,
            "rhs_evaluations": traj.stats.rhs_evaluations,
            "jacobian_evaluations": traj.stats.jacobian_evaluations,
            "error_test_failures": traj.stats.error_test_failures,
            "nonlinear_solver_failures": traj.stats.nonlinear_solver_failures,
            "restarts": traj.stats.restarts,
            "integration_seconds": traj.stats.wall_seconds,
            "wall_seconds": started.elapsed().as_secs_f64(),
        },
    });
    Ok(RunOutput { table, summary })
}

fn sim_options(sim: &osteosim_engine::Simulation<'_>) -> (f64, f64) {
    let o = sim.options();
    (o.rtol, o.atol)
}
