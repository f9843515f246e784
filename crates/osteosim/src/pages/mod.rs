//! The `report.html` of `run`, `trial` and `validate`: which columns go on which plot, with
//! the units the model's observables declare. The drawing and the page are the generic
//! `osteosim-report` crate's; this module only chooses what to show.

pub mod run;
pub mod trial;
pub mod validate;

use osteosim_engine::Model;
use osteosim_report::{Axis, Cell, Table};
use serde_json::Value;

/// The file name of every report.
pub const REPORT_FILE: &str = "report.html";

/// The unit of a column as its observable declares it, empty for dimensionless ones and for
/// names the model does not declare (`day` is the model's time unit).
pub fn unit_of(model: &Model, column: &str) -> String {
    if column == "day" {
        return "d".to_string();
    }
    model
        .observables
        .iter()
        .find(|o| o.name == column)
        .map(|o| display_unit(&o.unit_text))
        .unwrap_or_default()
}

/// "1" (dimensionless) shows as no unit; "^" powers as written.
pub fn display_unit(unit: &str) -> String {
    match unit.trim() {
        "1" | "" => String::new(),
        u => u.to_string(),
    }
}

/// The x axis of time courses.
pub fn day_axis() -> Axis {
    Axis::new("time since day 0", "d")
}

/// A two-column table of a JSON object's scalar members (solver statistics).
pub fn key_value_table(caption: &str, object: &Value) -> Table {
    let rows = object
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| vec![Cell::new(k.clone()), Cell::new(scalar(v))])
                .collect()
        })
        .unwrap_or_default();
    Table {
        caption: Some(caption.to_string()),
        header: vec!["quantity".into(), "value".into()],
        rows,
    }
}

/// A JSON scalar as text: strings unquoted, numbers in their shortest form.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(x) if n.is_f64() => format_number(x),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// A number with at most four significant digits, for tables.
pub fn format_number(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    let magnitude = x.abs().log10().floor();
    if !(-3.0..6.0).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    let decimals = (3.0 - magnitude).max(0.0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(format_number(1.23456), "1.235");
        assert_eq!(format_number(-2.5), "-2.5");
        assert_eq!(format_number(1234.5678), "1235");
        assert_eq!(format_number(0.012345), "0.01235");
        assert_eq!(format_number(1e-9), "1.000e-9");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(display_unit("1"), "");
        assert_eq!(display_unit("pg/mL"), "pg/mL");
    }
}
