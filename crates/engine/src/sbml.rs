//! Export of a bound simulation as SBML Level 3 Version 2, for other simulators
//! (libRoadRunner, COPASI, AMICI) and for cross-checks against an independent solver.
//!
//! # What the document holds
//!
//! | model | SBML |
//! |---|---|
//! | state | `parameter` with `constant="false"`, its value the initial state of the run (steady states solved), and a `rateRule` |
//! | parameter | `parameter` with `constant="true"` and its value as bound for the run (parameter sets and overrides applied); `constant="false"` when a switch changes it |
//! | assignment | `parameter` with an `assignmentRule` |
//! | process | `parameter` holding its rate, with an `assignmentRule`; each state's `rateRule` sums the signed rates of the processes that change it |
//! | observable | `parameter` with an `assignmentRule` (none when the observable is just the symbol of the same name) |
//! | bolus dose | `event` adding amount x bioavailability to the state |
//! | zero-order infusion | a rate parameter added to the state's `rateRule`, raised and lowered by two `event`s |
//! | parameter switch | `event` setting the parameter |
//! | condition on `t` that flips within the run | `event` without assignments: a solver restart, as the engine makes one |
//! | unit | `unitDefinition` in SI base units (1 day = 86400 s, a count is an `item`); the model's time unit is `timeUnits` |
//!
//! Every symbol carries an `<annotation>` in the namespace [`ANNOTATION_NS`] with its kind,
//! its unit as written in the model files, its layer and description, and for parameters
//! the source or what the value was calibrated to.
//!
//! # Time
//!
//! SBML time starts at 0; a run may start anywhere (for example years before day 0, to
//! carry a subject from a steady state to the start of a scenario). The document declares
//! the constant `time_start` (the run's start in model time) and the variable `t` with the
//! rule `t = time + time_start`; every expression of the model uses `t`, so model time is
//! `t` and SBML time is model time minus `time_start`. Event triggers are written in SBML
//! time.
//!
//! # Expressions
//!
//! Arithmetic, `exp`, `ln`, `log10`, `sqrt`, `abs`, comparisons and `and`/`or`/`not` map to
//! their MathML elements and `if` to `piecewise`. `hill`, `inhibit`, `clamp`, `min` and `max`
//! become function definitions (`lambda`; `piecewise` for the last three) under the same
//! names, or a free name when the model uses those. Numbers other than 0 carry
//! `sbml:units="dimensionless"`, as they are dimensionless in model files.
//!
//! # Differences from the engine worth knowing
//!
//! - The bioavailability of a dose is written as an expression and evaluated by the SBML
//!   simulator when the dose is given; the engine evaluates it with the run's parameters
//!   before any switch. The two differ only if a switch changes a bioavailability parameter.
//! - Simultaneous SBML events have no defined order, so everything that happens at one time
//!   is one event (doses into the same state are summed; of two switches of one parameter at
//!   one time the later given wins, as in the engine).
//! - The engine reports an output at an event's time before the event; SBML simulators
//!   usually report it after.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use crate::error::SimError;
use crate::expr::{BinOp, CmpOp, Expr, Func};
use crate::model::{Model, Source, TIME};
use crate::simulate::Simulation;
use crate::solve::EventKind;
use crate::units::Unit;

/// Namespace of the annotations this exporter writes.
pub const ANNOTATION_NS: &str = "urn:osteosim:sbml:annotation:1";
const SBML_NS: &str = "http://www.sbml.org/sbml/level3/version2/core";
const MATHML_NS: &str = "http://www.w3.org/1998/Math/MathML";
const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";
const TIME_URL: &str = "http://www.sbml.org/sbml/symbols/time";

/// The SBML document (Level 3 Version 2) for `sim`: its model with the run's parameter
/// values, initial state, doses, switches and time span. `note` is prose for the document's
/// `<notes>` (what the run is, e.g. the scenario).
pub fn to_sbml(sim: &Simulation<'_>, note: &str) -> Result<String, SimError> {
    Exporter::new(sim)?.document(note)
}

/// MathML (without the enclosing `<math>`) of an expression, with the default names of the
/// function definitions and of model time (`hill`, `inhibit`, `clamp`, `min`, `max`, `t`).
pub fn mathml(e: &Expr) -> String {
    let names = Names::default_names();
    let mut out = String::new();
    names.write(&mut out, e, None);
    out
}

/// SBML ids: model names are kept; generated names take a free variant of the preferred one.
#[derive(Default)]
struct IdPool {
    used: HashSet<String>,
}

impl IdPool {
    fn reserve(&mut self, id: &str) {
        self.used.insert(id.to_string());
    }

    fn take(&mut self, preferred: &str) -> String {
        let base = sanitize(preferred);
        let mut id = base.clone();
        let mut k = 2;
        while self.used.contains(&id) {
            id = format!("{base}_{k}");
            k += 1;
        }
        self.used.insert(id.clone());
        id
    }
}

/// A valid SBML SId from any text.
fn sanitize(s: &str) -> String {
    let mut id: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        id.insert(0, '_');
    }
    id
}

/// How the expression writer names model time and the function definitions.
struct Names {
    time: String,
    hill: String,
    inhibit: String,
    clamp: String,
    min: String,
    max: String,
}

impl Names {
    fn default_names() -> Names {
        Names {
            time: TIME.into(),
            hill: "hill".into(),
            inhibit: "inhibit".into(),
            clamp: "clamp".into(),
            min: "min".into(),
            max: "max".into(),
        }
    }

    fn function(&self, f: Func) -> Option<&str> {
        Some(match f {
            Func::Hill => &self.hill,
            Func::Inhibit => &self.inhibit,
            Func::Clamp => &self.clamp,
            Func::Min => &self.min,
            Func::Max => &self.max,
            _ => return None,
        })
    }

    /// MathML of `e`. `units` tags the numbers at the top of a sum or product in an event
    /// amount; elsewhere numbers are dimensionless (0 fits any unit and stays untagged).
    fn write(&self, out: &mut String, e: &Expr, units: Option<&str>) {
        match e {
            Expr::Num(v) => cn(out, *v, units),
            Expr::Var(name) if name == TIME => ci(out, &self.time),
            Expr::Var(name) => ci(out, name),
            Expr::Neg(a) => self.apply(out, "minus", &[a]),
            Expr::Bin(op, a, b) => {
                let tag = match op {
                    BinOp::Add => "plus",
                    BinOp::Sub => "minus",
                    BinOp::Mul => "times",
                    BinOp::Div => "divide",
                    BinOp::Pow => "power",
                };
                self.apply(out, tag, &[a, b]);
            }
            Expr::Call(f, args) => {
                let args: Vec<&Expr> = args.iter().collect();
                match self.function(*f) {
                    Some(id) => {
                        out.push_str("<apply>");
                        ci(out, id);
                        for a in args {
                            self.write(out, a, None);
                        }
                        out.push_str("</apply>");
                    }
                    None => {
                        let tag = match f {
                            Func::Exp => "exp",
                            Func::Ln => "ln",
                            Func::Log10 => "log",
                            Func::Sqrt => "root",
                            _ => "abs",
                        };
                        self.apply(out, tag, &args);
                    }
                }
            }
            Expr::Cmp(op, a, b) => {
                let tag = match op {
                    CmpOp::Lt => "lt",
                    CmpOp::Le => "leq",
                    CmpOp::Gt => "gt",
                    CmpOp::Ge => "geq",
                    CmpOp::Eq => "eq",
                    CmpOp::Ne => "neq",
                };
                self.apply(out, tag, &[a, b]);
            }
            Expr::And(a, b) => self.apply(out, "and", &[a, b]),
            Expr::Or(a, b) => self.apply(out, "or", &[a, b]),
            Expr::Not(a) => self.apply(out, "not", &[a]),
            Expr::If(c, a, b) => {
                out.push_str("<piecewise><piece>");
                self.write(out, a, None);
                self.write(out, c, None);
                out.push_str("</piece><otherwise>");
                self.write(out, b, None);
                out.push_str("</otherwise></piecewise>");
            }
        }
    }

    fn apply(&self, out: &mut String, tag: &str, args: &[&Expr]) {
        let _ = write!(out, "<apply><{tag}/>");
        for a in args {
            self.write(out, a, None);
        }
        out.push_str("</apply>");
    }

    /// The function definitions: (id, parameters, MathML body).
    fn function_definitions(&self) -> Vec<(String, &'static [&'static str], String)> {
        let (x, k, n, a, b, lo, hi) = (
            "<ci>x</ci>",
            "<ci>K</ci>",
            "<ci>n</ci>",
            "<ci>a</ci>",
            "<ci>b</ci>",
            "<ci>lo</ci>",
            "<ci>hi</ci>",
        );
        let pow = |base: &str| format!("<apply><power/>{base}{n}</apply>");
        let ratio = |top: &str| {
            format!(
                "<apply><divide/>{}<apply><plus/>{}{}</apply></apply>",
                pow(top),
                pow(k),
                pow(x)
            )
        };
        let pick = |then: &str, cond: &str, otherwise: &str| {
            format!("<piecewise><piece>{then}{cond}</piece><otherwise>{otherwise}</otherwise></piecewise>")
        };
        let cmp = |op: &str, l: &str, r: &str| format!("<apply><{op}/>{l}{r}</apply>");
        vec![
            (self.hill.clone(), Func::Hill.params(), ratio(x)),
            (self.inhibit.clone(), Func::Inhibit.params(), ratio(k)),
            // min(max(x, lo), hi)
            (
                self.clamp.clone(),
                Func::Clamp.params(),
                pick(
                    &pick(hi, &cmp("gt", lo, hi), lo),
                    &cmp("lt", x, lo),
                    &pick(hi, &cmp("gt", x, hi), x),
                ),
            ),
            (
                self.min.clone(),
                Func::Min.params(),
                pick(a, &cmp("leq", a, b), b),
            ),
            (
                self.max.clone(),
                Func::Max.params(),
                pick(a, &cmp("geq", a, b), b),
            ),
        ]
    }
}

fn ci(out: &mut String, id: &str) {
    let _ = write!(out, "<ci>{}</ci>", escape(id));
}

/// A number: integers as such, others in e-notation, each exactly as the f64 it came from.
fn cn(out: &mut String, v: f64, units: Option<&str>) {
    let units = match (units, v == 0.0) {
        (Some(u), _) => format!(" sbml:units=\"{}\"", escape(u)),
        (None, true) => String::new(),
        (None, false) => " sbml:units=\"dimensionless\"".to_string(),
    };
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(out, "<cn{units} type=\"integer\">{}</cn>", v as i64);
        return;
    }
    let s = format!("{v:e}");
    match s.split_once('e') {
        Some((m, "0")) => {
            let _ = write!(out, "<cn{units}>{m}</cn>");
        }
        Some((m, e)) => {
            let _ = write!(out, "<cn{units} type=\"e-notation\">{m}<sep/>{e}</cn>");
        }
        None => {
            let _ = write!(out, "<cn{units}>{s}</cn>");
        }
    }
}

/// A number for an XML attribute (xsd:double), exact: integers plainly, others in
/// e-notation.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:e}")
    }
}

/// A time for a human-readable event name.
fn readable_time(t: f64) -> String {
    let rounded = (t * 1e6).round() / 1e6;
    if rounded == 0.0 {
        "0".into()
    } else {
        format!("{rounded}")
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// Unit definitions, one per distinct unit.
#[derive(Default)]
struct Units {
    ids: HashSet<String>,
    defs: Vec<(String, String, Unit)>,
}

impl Units {
    fn id(&mut self, text: &str, unit: Unit) -> String {
        if unit.is_dimensionless() && (unit.scale - 1.0).abs() <= 1e-12 {
            return "dimensionless".into();
        }
        if let Some((id, _, _)) = self.defs.iter().find(|(_, _, u)| u.same_as(&unit)) {
            return id.clone();
        }
        let readable: String = text
            .replace(' ', "")
            .replace('/', "_per_")
            .replace('*', "_")
            .replace('^', "")
            .replace('%', "percent")
            .replace(['(', ')'], "")
            .replace('-', "minus");
        let base = sanitize(&format!("unit_{readable}"));
        let mut id = base.clone();
        let mut k = 2;
        while self.ids.contains(&id) {
            id = format!("{base}_{k}");
            k += 1;
        }
        self.ids.insert(id.clone());
        self.defs.push((id.clone(), text.to_string(), unit));
        id
    }

    fn write(&self, out: &mut String) {
        if self.defs.is_empty() {
            return;
        }
        out.push_str("    <listOfUnitDefinitions>\n");
        const KINDS: [(&str, f64); 5] = [
            ("gram", 1.0),
            ("metre", 1.0),
            ("second", 86400.0),
            ("mole", 1.0),
            ("item", 1.0),
        ];
        for (id, name, unit) in &self.defs {
            let _ = writeln!(
                out,
                "      <unitDefinition id=\"{}\" name=\"{}\">\n        <listOfUnits>",
                escape(id),
                escape(name)
            );
            for (k, (kind, multiplier)) in KINDS.iter().enumerate() {
                let e = unit.dims[k];
                if e != 0 {
                    let _ = writeln!(
                        out,
                        "          <unit kind=\"{kind}\" exponent=\"{e}\" scale=\"0\" multiplier=\"{}\"/>",
                        number(*multiplier)
                    );
                }
            }
            if (unit.scale - 1.0).abs() > 1e-12 || unit.is_dimensionless() {
                let _ = writeln!(
                    out,
                    "          <unit kind=\"dimensionless\" exponent=\"1\" scale=\"0\" multiplier=\"{}\"/>",
                    number(unit.scale)
                );
            }
            out.push_str("        </listOfUnits>\n      </unitDefinition>\n");
        }
        out.push_str("    </listOfUnitDefinitions>\n");
    }
}

/// What happens at one event time.
#[derive(Default)]
struct Happening {
    /// State index -> MathML terms added to it.
    bolus: BTreeMap<usize, Vec<String>>,
    /// State index -> MathML terms added to its infusion rate.
    infusion: BTreeMap<usize, Vec<String>>,
    /// Parameter index -> new value.
    set: BTreeMap<usize, f64>,
    /// Human-readable parts of the event's name.
    labels: Vec<String>,
}

struct Exporter<'s, 'a> {
    sim: &'s Simulation<'a>,
    model: &'s Model,
    names: Names,
    ids: IdPool,
    units: Units,
    time_start_id: String,
    process_ids: Vec<String>,
    /// None: the observable is the symbol of the same name.
    observable_ids: Vec<Option<String>>,
    /// State index -> id of its infusion rate parameter.
    infusion_ids: BTreeMap<usize, String>,
    switched: HashSet<usize>,
}

impl<'s, 'a> Exporter<'s, 'a> {
    fn new(sim: &'s Simulation<'a>) -> Result<Self, SimError> {
        let model = sim.model();
        let mut ids = IdPool::default();
        for s in &model.states {
            ids.reserve(&s.name);
        }
        for p in &model.parameters {
            ids.reserve(&p.name);
        }
        for a in &model.assignments {
            ids.reserve(&a.name);
        }
        let names = Names {
            time: ids.take(TIME),
            hill: ids.take("hill"),
            inhibit: ids.take("inhibit"),
            clamp: ids.take("clamp"),
            min: ids.take("min"),
            max: ids.take("max"),
        };
        let time_start_id = ids.take("time_start");
        let process_ids = model
            .processes
            .iter()
            .map(|p| {
                if ids.used.contains(&p.name) {
                    ids.take(&format!("{}_rate", p.name))
                } else {
                    ids.take(&p.name)
                }
            })
            .collect();
        let observable_ids = model
            .observables
            .iter()
            .map(|o| match &o.expr {
                Expr::Var(v) if *v == o.name && model.symbol(v).is_some() => None,
                _ if ids.used.contains(&o.name) => Some(ids.take(&format!("{}_output", o.name))),
                _ => Some(ids.take(&o.name)),
            })
            .collect();
        let (t0, t_end) = sim.time_span();
        let mut infusion_ids = BTreeMap::new();
        for (input, d) in sim.doses() {
            if d.duration > 0.0 && d.time >= t0 && d.time <= t_end {
                let state = model.inputs[*input].state;
                infusion_ids.entry(state).or_insert_with(|| {
                    ids.take(&format!("infusion_rate_{}", model.states[state].name))
                });
            }
        }
        let switched = sim
            .switches()
            .iter()
            .filter(|(_, time, _)| *time >= t0 && *time <= t_end)
            .map(|(p, _, _)| *p)
            .collect();
        Ok(Exporter {
            sim,
            model,
            names,
            ids,
            units: Units::default(),
            time_start_id,
            process_ids,
            observable_ids,
            infusion_ids,
            switched,
        })
    }

    fn math(&self, e: &Expr) -> String {
        let mut out = format!("<math xmlns=\"{MATHML_NS}\">");
        self.names.write(&mut out, e, None);
        out.push_str("</math>");
        out
    }

    fn document(mut self, note: &str) -> Result<String, SimError> {
        let model = self.model;
        let problem = self.sim.problem()?;
        let (t0, t_end) = (problem.t0, problem.t_end);
        let time_units = self.units.id(&model.time_unit_text, model.time_unit);

        // Parameters, in the order a reader meets them.
        let mut params = String::new();
        let annotation = |fields: &[(&str, &str)]| -> String {
            let mut a = format!("<annotation><osteosim:symbol xmlns:osteosim=\"{ANNOTATION_NS}\"");
            for (k, v) in fields {
                if !v.is_empty() {
                    let _ = write!(a, " {k}=\"{}\"", escape(v));
                }
            }
            a.push_str("/></annotation>");
            a
        };
        let layer = |i: usize| model.layers.get(i).map_or("", |l| l.name.as_str());
        let param = |out: &mut String,
                     id: &str,
                     name: &str,
                     value: Option<f64>,
                     units: &str,
                     constant: bool,
                     annotation: String| {
            let value = value.map_or(String::new(), |v| format!(" value=\"{}\"", number(v)));
            let _ = writeln!(
                out,
                "      <parameter id=\"{}\" name=\"{}\"{value} units=\"{}\" constant=\"{constant}\">\n        {annotation}\n      </parameter>",
                escape(id),
                escape(name),
                escape(units),
            );
        };
        let time_unit_text = model.time_unit_text.clone();
        param(
            &mut params,
            &self.time_start_id.clone(),
            "start of the run in model time",
            Some(t0),
            &time_units,
            true,
            annotation(&[
                ("kind", "time_start"),
                ("unit", &time_unit_text),
                (
                    "description",
                    "Model time at SBML time 0: model time t = time + time_start.",
                ),
            ]),
        );
        param(
            &mut params,
            &self.names.time.clone(),
            "model time",
            None,
            &time_units,
            false,
            annotation(&[
                ("kind", "time"),
                ("unit", &time_unit_text),
                (
                    "description",
                    "Model time, the `t` of the model's expressions.",
                ),
            ]),
        );
        for (i, s) in model.states.iter().enumerate() {
            let units = self.units.id(&s.unit_text, s.unit);
            let tolerance = s.tolerance.map(number).unwrap_or_default();
            param(
                &mut params,
                &s.name,
                &s.name,
                Some(problem.y0[i]),
                &units,
                false,
                annotation(&[
                    ("kind", "state"),
                    ("unit", &s.unit_text),
                    ("layer", layer(s.layer)),
                    ("description", &s.description),
                    ("tolerance", &tolerance),
                ]),
            );
        }
        for (i, p) in model.parameters.iter().enumerate() {
            let units = self.units.id(&p.unit_text, p.unit);
            let (source, calibrated) = match &p.source {
                Source::Cited(s) => (s.as_str(), ""),
                Source::Calibrated(c) => ("", c.as_str()),
            };
            let declared = if problem.parameters[i] == p.value {
                String::new()
            } else {
                number(p.value)
            };
            param(
                &mut params,
                &p.name,
                &p.name,
                Some(problem.parameters[i]),
                &units,
                !self.switched.contains(&i),
                annotation(&[
                    ("kind", "parameter"),
                    ("unit", &p.unit_text),
                    ("layer", layer(p.layer)),
                    ("description", &p.description),
                    ("source", source),
                    ("calibrated", calibrated),
                    ("declared_value", &declared),
                ]),
            );
        }
        for a in &model.assignments {
            let units = self.units.id(&a.unit_text, a.unit);
            param(
                &mut params,
                &a.name,
                &a.name,
                None,
                &units,
                false,
                annotation(&[
                    ("kind", "assignment"),
                    ("unit", &a.unit_text),
                    ("layer", layer(a.layer)),
                    ("description", &a.description),
                    ("expression", &a.text),
                ]),
            );
        }
        for (p, id) in model.processes.iter().zip(&self.process_ids) {
            // A process's unit is that of the states it changes per time unit.
            let (unit, text) = p
                .stoichiometry
                .first()
                .map(|&(s, _)| {
                    let st = &model.states[s];
                    (
                        st.unit.div(model.time_unit),
                        format!("{}/{}", st.unit_text, model.time_unit_text),
                    )
                })
                .unwrap_or((Unit::DIMENSIONLESS, "1".into()));
            let units = self.units.id(&text, unit);
            let stoichiometry = p
                .stoichiometry
                .iter()
                .map(|&(s, c)| format!("{} {c}", model.states[s].name))
                .collect::<Vec<_>>()
                .join(", ");
            param(
                &mut params,
                id,
                &p.name,
                None,
                &units,
                false,
                annotation(&[
                    ("kind", "process"),
                    ("unit", &text),
                    ("layer", layer(p.layer)),
                    ("description", &p.description),
                    ("expression", &p.text),
                    ("stoichiometry", &stoichiometry),
                ]),
            );
        }
        for (o, id) in model.observables.iter().zip(&self.observable_ids) {
            let Some(id) = id else { continue };
            let units = self.units.id(&o.unit_text, o.unit);
            param(
                &mut params,
                id,
                &o.name,
                None,
                &units,
                false,
                annotation(&[
                    ("kind", "observable"),
                    ("unit", &o.unit_text),
                    ("layer", layer(o.layer)),
                    ("description", &o.description),
                    ("expression", &o.text),
                ]),
            );
        }
        for (&state, id) in &self.infusion_ids.clone() {
            let st = &model.states[state];
            let text = format!("{}/{}", st.unit_text, model.time_unit_text);
            let units = self.units.id(&text, st.unit.div(model.time_unit));
            param(
                &mut params,
                id,
                &format!("infusion rate into {}", st.name),
                Some(0.0),
                &units,
                false,
                annotation(&[
                    ("kind", "infusion_rate"),
                    ("unit", &text),
                    (
                        "description",
                        "Sum of the zero-order infusions running into the state; set by events.",
                    ),
                ]),
            );
        }

        // Rules.
        let mut rules = String::new();
        let assignment_rule = |out: &mut String, id: &str, math: String| {
            let _ = writeln!(
                out,
                "      <assignmentRule variable=\"{}\">\n        {math}\n      </assignmentRule>",
                escape(id)
            );
        };
        let time_math = format!(
            "<math xmlns=\"{MATHML_NS}\"><apply><plus/><csymbol encoding=\"text\" definitionURL=\"{TIME_URL}\">time</csymbol><ci>{}</ci></apply></math>",
            escape(&self.time_start_id)
        );
        assignment_rule(&mut rules, &self.names.time, time_math);
        for a in &model.assignments {
            assignment_rule(&mut rules, &a.name, self.math(&a.expr));
        }
        for (p, id) in model.processes.iter().zip(&self.process_ids) {
            assignment_rule(&mut rules, id, self.math(&p.rate));
        }
        for (o, id) in model.observables.iter().zip(&self.observable_ids) {
            if let Some(id) = id {
                assignment_rule(&mut rules, id, self.math(&o.expr));
            }
        }
        for (i, s) in model.states.iter().enumerate() {
            let mut plus = Vec::new();
            let mut minus = Vec::new();
            for (p, id) in model.processes.iter().zip(&self.process_ids) {
                for &(state, coef) in &p.stoichiometry {
                    if state != i {
                        continue;
                    }
                    let mut term = String::new();
                    if coef.abs() == 1.0 {
                        ci(&mut term, id);
                    } else {
                        term.push_str("<apply><times/>");
                        cn(&mut term, coef.abs(), None);
                        ci(&mut term, id);
                        term.push_str("</apply>");
                    }
                    if coef > 0.0 {
                        plus.push(term);
                    } else {
                        minus.push(term);
                    }
                }
            }
            if let Some(id) = self.infusion_ids.get(&i) {
                let mut term = String::new();
                ci(&mut term, id);
                plus.push(term);
            }
            let sum = |terms: &[String]| match terms {
                [one] => one.clone(),
                many => format!("<apply><plus/>{}</apply>", many.concat()),
            };
            let body = match (plus.is_empty(), minus.is_empty()) {
                (true, true) => "<cn type=\"integer\">0</cn>".to_string(),
                (false, true) => sum(&plus),
                (true, false) => format!("<apply><minus/>{}</apply>", sum(&minus)),
                (false, false) => format!("<apply><minus/>{}{}</apply>", sum(&plus), sum(&minus)),
            };
            let _ = writeln!(
                rules,
                "      <rateRule variable=\"{}\">\n        <math xmlns=\"{MATHML_NS}\">{body}</math>\n      </rateRule>",
                escape(&s.name)
            );
        }

        let events = self.events(&problem.events, t0, t_end)?;

        // Assemble.
        let mut doc = String::new();
        let _ = writeln!(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        let _ = writeln!(
            doc,
            "<sbml xmlns=\"{SBML_NS}\" xmlns:sbml=\"{SBML_NS}\" level=\"3\" version=\"2\">"
        );
        let model_id = sanitize(&model.name);
        let _ = writeln!(
            doc,
            "  <model id=\"{}\" name=\"{}\" timeUnits=\"{}\">",
            escape(&model_id),
            escape(&model.name),
            escape(&time_units)
        );
        let _ = writeln!(doc, "    <notes>\n      <body xmlns=\"{XHTML_NS}\">");
        for paragraph in [
            model.description.as_str(),
            note,
            &format!(
                "Model time t = time + time_start: SBML time 0 is t = {} {}, the start of the run; it ends at t = {} {} (SBML time {}). States start at their values at the start of the run (steady states solved). Events carry the doses and parameter switches of the run; events without assignments mark times at which a condition on t flips, where a solver should restart.",
                number(t0),
                model.time_unit_text,
                number(t_end),
                model.time_unit_text,
                number(t_end - t0)
            ),
        ] {
            if !paragraph.trim().is_empty() {
                let _ = writeln!(doc, "        <p>{}</p>", escape(paragraph.trim()));
            }
        }
        let _ = writeln!(doc, "      </body>\n    </notes>");
        let _ = writeln!(
            doc,
            "    <annotation><osteosim:run xmlns:osteosim=\"{ANNOTATION_NS}\" time_start=\"{}\" time_end=\"{}\" time_unit=\"{}\" content_hash=\"{:016x}\"/></annotation>",
            number(t0),
            number(t_end),
            escape(&model.time_unit_text),
            model.content_hash
        );
        doc.push_str("    <listOfFunctionDefinitions>\n");
        for (id, params, body) in self.names.function_definitions() {
            let bvars: String = params
                .iter()
                .map(|p| format!("<bvar><ci>{p}</ci></bvar>"))
                .collect();
            let _ = writeln!(
                doc,
                "      <functionDefinition id=\"{}\">\n        <math xmlns=\"{MATHML_NS}\"><lambda>{bvars}{body}</lambda></math>\n      </functionDefinition>",
                escape(&id)
            );
        }
        doc.push_str("    </listOfFunctionDefinitions>\n");
        self.units.write(&mut doc);
        let _ = write!(
            doc,
            "    <listOfParameters>\n{params}    </listOfParameters>\n"
        );
        let _ = write!(doc, "    <listOfRules>\n{rules}    </listOfRules>\n");
        if !events.is_empty() {
            let _ = write!(doc, "    <listOfEvents>\n{events}    </listOfEvents>\n");
        }
        doc.push_str("  </model>\n</sbml>\n");
        Ok(doc)
    }

    /// One SBML event per distinct time at which something happens.
    fn events(
        &mut self,
        problem_events: &[crate::solve::Event],
        t0: f64,
        t_end: f64,
    ) -> Result<String, SimError> {
        let model = self.model;
        let mut at: Vec<(f64, Happening)> = Vec::new();
        // Times closer than the solver can resolve share one event, as they share one stop
        // in the engine.
        fn slot(at: &mut Vec<(f64, Happening)>, time: f64) -> &mut Happening {
            let close = |t: f64| (t - time).abs() <= 1e-9 * time.abs().max(1.0);
            let i = match at.iter().position(|(t, _)| close(*t)) {
                Some(i) => i,
                None => {
                    at.push((time, Happening::default()));
                    at.len() - 1
                }
            };
            &mut at[i].1
        }
        for (input, d) in self.sim.doses() {
            if d.time < t0 || d.time > t_end {
                continue;
            }
            let inp = &model.inputs[*input];
            let st = &model.states[inp.state];
            let state_units = self.units.id(&st.unit_text, st.unit);
            let amount = d.amount * inp.factor_to_state;
            let term = |scale: f64, units: &str| {
                let mut t = String::new();
                match &inp.bioavailability {
                    Some(f) => {
                        t.push_str("<apply><times/>");
                        cn(&mut t, scale, Some(units));
                        self.names.write(&mut t, f, None);
                        t.push_str("</apply>");
                    }
                    None => cn(&mut t, scale, Some(units)),
                }
                t
            };
            if d.duration == 0.0 {
                let h = slot(&mut at, d.time);
                h.bolus
                    .entry(inp.state)
                    .or_default()
                    .push(term(amount, &state_units));
                h.labels
                    .push(format!("{} {} {}", inp.name, d.amount, inp.unit_text));
            } else {
                let rate = amount / d.duration;
                let text = format!("{}/{}", st.unit_text, model.time_unit_text);
                let rate_units = self.units.id(&text, st.unit.div(model.time_unit));
                let h = slot(&mut at, d.time);
                h.infusion
                    .entry(inp.state)
                    .or_default()
                    .push(term(rate, &rate_units));
                h.labels.push(format!(
                    "start of {} {} {} over {} {}",
                    inp.name, d.amount, inp.unit_text, d.duration, model.time_unit_text
                ));
                let end = d.time + d.duration;
                if end <= t_end {
                    let h = slot(&mut at, end);
                    h.infusion
                        .entry(inp.state)
                        .or_default()
                        .push(term(-rate, &rate_units));
                    h.labels.push(format!("end of {} infusion", inp.name));
                }
            }
        }
        for &(parameter, time, value) in self.sim.switches() {
            if time >= t0 && time <= t_end {
                let h = slot(&mut at, time);
                h.set.insert(parameter, value);
                h.labels
                    .push(format!("{} = {value}", model.parameters[parameter].name));
            }
        }
        for e in problem_events {
            if matches!(e.kind, EventKind::Restart) {
                let h = slot(&mut at, e.time);
                if h.labels.is_empty() {
                    h.labels
                        .push("a condition on t flips (solver restart)".into());
                }
            }
        }
        at.sort_by(|a, b| a.0.total_cmp(&b.0));

        let mut out = String::new();
        let time_units = self.units.id(&model.time_unit_text, model.time_unit);
        for (k, (time, h)) in at.iter().enumerate() {
            let id = self.ids.take(&format!("event_{}", k + 1));
            let mut trigger = format!(
                "<math xmlns=\"{MATHML_NS}\"><apply><geq/><csymbol encoding=\"text\" definitionURL=\"{TIME_URL}\">time</csymbol>"
            );
            cn(&mut trigger, time - t0, Some(&time_units));
            trigger.push_str("</apply></math>");
            let name = format!("t = {}: {}", readable_time(*time), h.labels.join("; "));
            let _ = writeln!(
                out,
                "      <event id=\"{}\" name=\"{}\" useValuesFromTriggerTime=\"true\">\n        <trigger initialValue=\"false\" persistent=\"true\">\n          {trigger}\n        </trigger>",
                escape(&id),
                escape(&name)
            );
            let mut assignments = Vec::new();
            let add = |var: &str, terms: &[String]| {
                let mut m = format!("<math xmlns=\"{MATHML_NS}\"><apply><plus/>");
                ci(&mut m, var);
                for t in terms {
                    m.push_str(t);
                }
                m.push_str("</apply></math>");
                (var.to_string(), m)
            };
            for (state, terms) in &h.bolus {
                assignments.push(add(&model.states[*state].name, terms));
            }
            for (state, terms) in &h.infusion {
                assignments.push(add(&self.infusion_ids[state], terms));
            }
            for (parameter, value) in &h.set {
                let p = &model.parameters[*parameter];
                let units = self.units.id(&p.unit_text, p.unit);
                let mut m = format!("<math xmlns=\"{MATHML_NS}\">");
                cn(&mut m, *value, Some(&units));
                m.push_str("</math>");
                assignments.push((p.name.clone(), m));
            }
            if !assignments.is_empty() {
                out.push_str("        <listOfEventAssignments>\n");
                for (var, m) in assignments {
                    let _ = writeln!(
                        out,
                        "          <eventAssignment variable=\"{}\">\n            {m}\n          </eventAssignment>",
                        escape(&var)
                    );
                }
                out.push_str("        </listOfEventAssignments>\n");
            }
            out.push_str("      </event>\n");
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn m(src: &str) -> String {
        mathml(&parse(src).expect("parses"))
    }

    #[test]
    fn numbers_are_exact_and_tagged() {
        assert_eq!(m("2.5"), "<cn sbml:units=\"dimensionless\">2.5</cn>");
        assert_eq!(m("0"), "<cn type=\"integer\">0</cn>");
        assert_eq!(
            m("1.5e-7"),
            "<cn sbml:units=\"dimensionless\" type=\"e-notation\">1.5<sep/>-7</cn>"
        );
        assert_eq!(
            m("3"),
            "<cn sbml:units=\"dimensionless\" type=\"integer\">3</cn>"
        );
    }

    #[test]
    fn every_construct_has_its_element() {
        assert_eq!(
            m("a - b / c ^ d"),
            "<apply><minus/><ci>a</ci><apply><divide/><ci>b</ci><apply><power/><ci>c</ci><ci>d</ci></apply></apply></apply>"
        );
        assert_eq!(m("-x"), "<apply><minus/><ci>x</ci></apply>");
        assert_eq!(
            m("hill(x, K, n)"),
            "<apply><ci>hill</ci><ci>x</ci><ci>K</ci><ci>n</ci></apply>"
        );
        assert_eq!(
            m("if(t >= a and not b < c, x, y)"),
            "<piecewise><piece><ci>x</ci><apply><and/><apply><geq/><ci>t</ci><ci>a</ci></apply><apply><not/><apply><lt/><ci>b</ci><ci>c</ci></apply></apply></apply></piece><otherwise><ci>y</ci></otherwise></piecewise>"
        );
        assert_eq!(m("log10(x)"), "<apply><log/><ci>x</ci></apply>");
        assert_eq!(m("sqrt(x)"), "<apply><root/><ci>x</ci></apply>");
        assert_eq!(m("ln(x)"), "<apply><ln/><ci>x</ci></apply>");
        assert_eq!(
            m("a == b or a != c"),
            "<apply><or/><apply><eq/><ci>a</ci><ci>b</ci></apply><apply><neq/><ci>a</ci><ci>c</ci></apply></apply>"
        );
    }

    #[test]
    fn ids_are_valid_and_unique() {
        let mut pool = IdPool::default();
        pool.reserve("t");
        assert_eq!(pool.take("t"), "t_2");
        assert_eq!(pool.take("t"), "t_3");
        assert_eq!(pool.take("9 lives"), "_9_lives");
        assert_eq!(sanitize("osteosim-bone"), "osteosim_bone");
    }

    #[test]
    fn units_map_to_si_with_a_scale() {
        let mut units = Units::default();
        let pg_ml = Unit::parse("pg/mL").expect("unit");
        let id = units.id("pg/mL", pg_ml);
        assert_eq!(id, "unit_pg_per_mL");
        assert_eq!(units.id("ng/L", Unit::parse("ng/L").expect("unit")), id);
        assert_eq!(units.id("1", Unit::DIMENSIONLESS), "dimensionless");
        let mut out = String::new();
        units.write(&mut out);
        assert!(out.contains("<unit kind=\"gram\" exponent=\"1\""), "{out}");
        assert!(
            out.contains("<unit kind=\"metre\" exponent=\"-3\""),
            "{out}"
        );
        assert!(out.contains("multiplier=\"1e-6\""), "{out}");
    }
}
