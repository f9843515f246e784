//! A scenario written back as a scenario file, every value explicit.

use super::{DoseAmount, Scenario};
use crate::toml_section::{bare_or_quoted, quote};

impl Scenario {
    /// Writes the scenario as a scenario file with every value explicit. For
    /// a valid scenario (anything [`Scenario::from_toml_str`] returns) it
    /// parses back to an equal `Scenario`.
    pub fn to_toml_string(&self) -> String {
        let mut out = String::new();
        let s = &self.subject;
        out.push_str("[subject]\n");
        out.push_str(&format!("species = {}\n", quote(s.species.as_str())));
        out.push_str(&format!("sex = {}\n", quote(s.sex.as_str())));
        out.push_str(&format!("age_years = {}\n", float(s.age_years)));
        out.push_str(&format!("body_weight_kg = {}\n", float(s.body_weight_kg)));
        let genotype: Vec<String> = s.genotype.iter().map(|g| quote(g)).collect();
        out.push_str(&format!("genotype = [{}]\n", genotype.join(", ")));
        if !s.parameters.is_empty() {
            out.push_str("\n[subject.parameters]\n");
            for (name, value) in &s.parameters {
                out.push_str(&format!("{} = {}\n", bare_or_quoted(name), float(*value)));
            }
        }

        out.push_str("\n[estrogen]\n");
        out.push_str(&format!("profile = {}\n", quote(&self.estrogen.id)));
        if let Some((key, value)) = &self.estrogen.setting {
            out.push_str(&format!("{} = {}\n", bare_or_quoted(key), float(*value)));
        }

        for t in &self.treatments {
            out.push_str("\n[[treatment]]\n");
            out.push_str(&format!("drug = {}\n", quote(&t.drug)));
            match t.dose {
                DoseAmount::Mg(x) => out.push_str(&format!("dose_mg = {}\n", float(x))),
                DoseAmount::MgPerKg(x) => out.push_str(&format!("dose_mg_per_kg = {}\n", float(x))),
                DoseAmount::Intensity(x) => out.push_str(&format!("intensity = {}\n", float(x))),
            }
            if let Some(route) = t.route {
                out.push_str(&format!("route = {}\n", quote(route.as_str())));
            }
            out.push_str(&format!("start_day = {}\n", float(t.start_day)));
            if let Some(every) = t.every_days {
                out.push_str(&format!("every_days = {}\n", float(every)));
            }
            if let Some(stop) = t.stop_day {
                out.push_str(&format!("stop_day = {}\n", float(stop)));
            }
            if let Some(hours) = t.infusion_hours {
                out.push_str(&format!("infusion_hours = {}\n", float(hours)));
            }
        }

        out.push_str("\n[simulation]\n");
        out.push_str(&format!(
            "duration_days = {}\n",
            float(self.simulation.duration_days)
        ));
        out.push_str(&format!(
            "output_every_days = {}\n",
            float(self.simulation.output_every_days)
        ));
        if let Some(rtol) = self.simulation.relative_tolerance {
            out.push_str(&format!("relative_tolerance = {}\n", float(rtol)));
        }
        out
    }
}
// ---------------------------------------------------------------------------
// TOML writing helpers
// ---------------------------------------------------------------------------

/// A TOML float literal that reads back as exactly `x`.
fn float(x: f64) -> String {
    if x.is_nan() {
        "nan".to_string()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        // Debug is the shortest representation that round-trips, always with
        // a fraction or an exponent ("45.0", "1e-7"), both valid TOML floats.
        format!("{x:?}")
    }
}
