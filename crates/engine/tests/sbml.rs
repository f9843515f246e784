//! The SBML export, read back with an independent XML parser: the document is well-formed,
//! declares every state and parameter with the run's values, and its MathML, evaluated by a
//! small MathML interpreter written here, gives the same numbers as the engine (expression by
//! expression, and the whole right-hand side of every test model).

mod common;

use std::collections::{BTreeMap, HashMap};

use osteosim_engine::expr::parse;
use osteosim_engine::sbml::{mathml, to_sbml};
use osteosim_engine::{Dose, Kernel, Simulation};
use quick_xml::events::Event;
use quick_xml::Reader;

// ---------------------------------------------------------------------------------------------
// A minimal DOM and MathML interpreter
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Node {
    Element {
        name: String,
        attributes: BTreeMap<String, String>,
        children: Vec<Node>,
    },
    Text(String),
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => name.to_string(),
    }
}

/// Parse a whole document; panics (failing the test) when it is not well-formed.
fn parse_xml(text: &str) -> Node {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = vec![Node::Element {
        name: "#document".into(),
        attributes: BTreeMap::new(),
        children: Vec::new(),
    }];
    let element = |e: &quick_xml::events::BytesStart<'_>| {
        let mut attributes = BTreeMap::new();
        for a in e.attributes() {
            let a = a.expect("well-formed attribute");
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .expect("attribute value")
                .to_string();
            attributes.insert(local(a.key.as_ref()), value);
        }
        Node::Element {
            name: local(e.name().as_ref()),
            attributes,
            children: Vec::new(),
        }
    };
    let push = |stack: &mut Vec<Node>, node: Node| {
        if let Some(Node::Element { children, .. }) = stack.last_mut() {
            children.push(node);
        }
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let node = element(&e);
                push(&mut stack, node);
            }
            Event::End(_) => {
                let node = stack.pop().expect("balanced");
                push(&mut stack, node);
            }
            Event::Text(t) => {
                let text = t
                    .xml_content(quick_xml::XmlVersion::Implicit1_0)
                    .to_string();
                if !text.trim().is_empty() {
                    push(&mut stack, Node::Text(text.trim().to_string()));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    match stack.pop() {
        Some(Node::Element { mut children, .. }) => {
            assert_eq!(children.len(), 1, "one root element");
            children.remove(0)
        }
        _ => unreachable!(),
    }
}

impl Node {
    fn name(&self) -> &str {
        match self {
            Node::Element { name, .. } => name,
            Node::Text(_) => "#text",
        }
    }
    fn attr(&self, key: &str) -> Option<&str> {
        match self {
            Node::Element { attributes, .. } => attributes.get(key).map(|s| s.as_str()),
            Node::Text(_) => None,
        }
    }
    fn elements(&self) -> Vec<&Node> {
        match self {
            Node::Element { children, .. } => children
                .iter()
                .filter(|c| matches!(c, Node::Element { .. }))
                .collect(),
            Node::Text(_) => Vec::new(),
        }
    }
    fn child(&self, name: &str) -> Option<&Node> {
        self.elements().into_iter().find(|c| c.name() == name)
    }
    fn text(&self) -> Vec<String> {
        match self {
            Node::Element { children, .. } => children
                .iter()
                .filter_map(|c| match c {
                    Node::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect(),
            Node::Text(t) => vec![t.clone()],
        }
    }
    /// Every descendant element with this name.
    fn all(&self, name: &str) -> Vec<&Node> {
        let mut out = Vec::new();
        fn go<'a>(n: &'a Node, name: &str, out: &mut Vec<&'a Node>) {
            for c in n.elements() {
                if c.name() == name {
                    out.push(c);
                }
                go(c, name, out);
            }
        }
        go(self, name, &mut out);
        out
    }
}

type Functions = HashMap<String, (Vec<String>, Node)>;

fn functions(doc: &Node) -> Functions {
    doc.all("functionDefinition")
        .into_iter()
        .map(|f| {
            let lambda = f
                .child("math")
                .and_then(|m| m.child("lambda"))
                .expect("lambda");
            let parts = lambda.elements();
            let params = parts
                .iter()
                .filter(|p| p.name() == "bvar")
                .map(|b| b.child("ci").expect("bvar ci").text().join(""))
                .collect();
            let body = (*parts.last().expect("body")).clone();
            (f.attr("id").expect("id").to_string(), (params, body))
        })
        .collect()
}

fn truth(v: f64) -> bool {
    v != 0.0
}

/// Evaluate a MathML element; `None` when a name is not (yet) known.
fn eval(n: &Node, env: &HashMap<String, f64>, time: f64, funcs: &Functions) -> Option<f64> {
    let b = |v: bool| if v { 1.0 } else { 0.0 };
    match n.name() {
        "math" => eval(n.elements()[0], env, time, funcs),
        "cn" => {
            let parts = n.text();
            let mantissa: f64 = parts[0].parse().expect("number");
            Some(match n.attr("type") {
                Some("e-notation") => {
                    let exponent: i32 = parts[1].parse().expect("exponent");
                    format!("{mantissa}e{exponent}").parse().expect("number")
                }
                _ => mantissa,
            })
        }
        "ci" => env.get(&n.text().join("")).copied(),
        "csymbol" => Some(time),
        "piecewise" => {
            for piece in n.elements() {
                let parts = piece.elements();
                match piece.name() {
                    "piece" => {
                        if truth(eval(parts[1], env, time, funcs)?) {
                            return eval(parts[0], env, time, funcs);
                        }
                    }
                    _ => return eval(parts[0], env, time, funcs),
                }
            }
            None
        }
        "apply" => {
            let parts = n.elements();
            let head = parts[0];
            let args = &parts[1..];
            if head.name() == "ci" {
                let (params, body) = funcs.get(&head.text().join("")).expect("a function");
                let mut local = HashMap::new();
                for (p, a) in params.iter().zip(args) {
                    local.insert(p.clone(), eval(a, env, time, funcs)?);
                }
                return eval(body, &local, time, funcs);
            }
            let v: Vec<f64> = args
                .iter()
                .map(|a| eval(a, env, time, funcs))
                .collect::<Option<_>>()?;
            Some(match (head.name(), v.as_slice()) {
                ("plus", _) => v.iter().sum(),
                ("times", _) => v.iter().product(),
                ("minus", [x]) => -x,
                ("minus", [x, y]) => x - y,
                ("divide", [x, y]) => x / y,
                ("power", [x, y]) => x.powf(*y),
                ("exp", [x]) => x.exp(),
                ("ln", [x]) => x.ln(),
                ("log", [x]) => x.log10(),
                ("root", [x]) => x.sqrt(),
                ("abs", [x]) => x.abs(),
                ("lt", [x, y]) => b(x < y),
                ("leq", [x, y]) => b(x <= y),
                ("gt", [x, y]) => b(x > y),
                ("geq", [x, y]) => b(x >= y),
                ("eq", [x, y]) => b(x == y),
                ("neq", [x, y]) => b(x != y),
                ("and", _) => b(v.iter().all(|x| truth(*x))),
                ("or", _) => b(v.iter().any(|x| truth(*x))),
                ("not", [x]) => b(!truth(*x)),
                (other, _) => panic!("unexpected MathML operator `{other}`"),
            })
        }
        other => panic!("unexpected MathML element `{other}`"),
    }
}

/// Values of every parameter and rule variable at SBML time `time`, states at their initial
/// values.
fn evaluate_document(doc: &Node, time: f64) -> HashMap<String, f64> {
    let funcs = functions(doc);
    let mut env = HashMap::new();
    for p in doc.all("parameter") {
        if let Some(v) = p.attr("value") {
            env.insert(
                p.attr("id").expect("id").to_string(),
                v.parse().expect("value"),
            );
        }
    }
    let mut pending: Vec<&Node> = doc.all("assignmentRule");
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|rule| {
            let math = rule.child("math").expect("math");
            match eval(math, &env, time, &funcs) {
                Some(v) => {
                    env.insert(rule.attr("variable").expect("variable").to_string(), v);
                    false
                }
                None => true,
            }
        });
        assert!(pending.len() < before, "assignment rules do not resolve");
    }
    env
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300) || a == b
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn every_expression_form_evaluates_as_in_the_engine() {
    // The function definitions come from an exported document.
    let (model, compiled) = common::load("decay");
    let sim = Simulation::new(&model, &compiled);
    let doc = parse_xml(&to_sbml(&sim, "test").expect("export"));
    let funcs = functions(&doc);
    let env: HashMap<String, f64> = [
        ("x", 1.7),
        ("y", -0.4),
        ("K", 2.5),
        ("n", 3.0),
        ("z", 0.0),
        ("t", 12.5),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for src in [
        "x + y * K - n / 2",
        "-x^2 + 2^-y",
        "exp(y) + ln(x) + log10(K) + sqrt(x) + abs(y)",
        "min(x, y) + max(x, y) + min(K, K)",
        "hill(x, K, n) + inhibit(x, K, n)",
        "clamp(x, 0, 1) + clamp(y, 0, 1) + clamp(x, K, 2) + clamp(z, 1, 0.5)",
        "if(x > y and not (K <= n), 1.5e-7, -3e12)",
        "if(x == y or z != 0, 1, if(t >= 12.5, 2, 3))",
        "if(x < y, x, y) * 0.1 + 1e-300",
    ] {
        let e = parse(src).expect("parses");
        let want = e.eval(&|name| env.get(name).copied()).expect("evaluates");
        let xml = format!(
            "<math xmlns=\"http://www.w3.org/1998/Math/MathML\" xmlns:sbml=\"http://www.sbml.org/sbml/level3/version2/core\">{}</math>",
            mathml(&e)
        );
        let got = eval(&parse_xml(&xml), &env, 0.0, &funcs).expect("evaluates");
        assert!(
            close(got, want),
            "`{src}`: MathML gives {got}, engine {want}"
        );
    }
}

/// Export each test model (with a dose and a switch where it has inputs), then check the
/// document declares everything and its rules give the engine's right-hand side.
#[test]
fn documents_of_the_test_models_reproduce_the_right_hand_side() {
    for name in [
        "decay",
        "infusion",
        "logistic",
        "pk2",
        "quadratic",
        "switch",
        "nosteady",
    ] {
        let (model, compiled) = common::load(name);
        let mut sim = Simulation::new(&model, &compiled)
            .with_time_span(-2.0, 10.0)
            .expect("span");
        for (k, input) in model.inputs.iter().enumerate() {
            sim = sim
                .with_dose(Dose {
                    input: input.name.clone(),
                    time: 1.0 + k as f64,
                    amount: 3.0,
                    duration: if k % 2 == 0 { 0.0 } else { 0.5 },
                })
                .expect("dose");
        }
        if let Some(p) = model.parameters.first() {
            sim = sim
                .with_switch(&p.name, 5.0, p.value * 1.5)
                .expect("switch");
        }
        let problem = match sim.problem() {
            Ok(p) => p,
            // A model without a steady state cannot start there; nothing to export.
            Err(_) => {
                assert_eq!(name, "nosteady", "{name} does not start");
                continue;
            }
        };
        let text = to_sbml(&sim, "test run").expect("export");
        let doc = parse_xml(&text);
        assert_eq!(doc.name(), "sbml");
        assert_eq!(doc.attr("level"), Some("3"));
        assert_eq!(doc.attr("version"), Some("2"));

        // Declarations and values.
        let declared: HashMap<&str, &Node> = doc
            .all("parameter")
            .into_iter()
            .map(|p| (p.attr("id").expect("id"), p))
            .collect();
        for (i, s) in model.states.iter().enumerate() {
            let p = declared
                .get(s.name.as_str())
                .unwrap_or_else(|| panic!("{name}: state `{}` is not declared", s.name));
            assert_eq!(p.attr("constant"), Some("false"));
            let v: f64 = p.attr("value").expect("value").parse().expect("number");
            assert_eq!(v, problem.y0[i], "{name}: initial `{}`", s.name);
            assert!(p.attr("units").is_some());
        }
        for (i, par) in model.parameters.iter().enumerate() {
            let p = declared
                .get(par.name.as_str())
                .unwrap_or_else(|| panic!("{name}: parameter `{}` is not declared", par.name));
            let v: f64 = p.attr("value").expect("value").parse().expect("number");
            assert_eq!(v, problem.parameters[i], "{name}: `{}`", par.name);
            let note = p
                .child("annotation")
                .and_then(|a| a.child("symbol"))
                .expect("annotation");
            assert_eq!(note.attr("unit"), Some(par.unit_text.as_str()));
            assert!(note.attr("source").is_some() || note.attr("calibrated").is_some());
        }
        let rate_rules: HashMap<&str, &Node> = doc
            .all("rateRule")
            .into_iter()
            .map(|r| (r.attr("variable").expect("variable"), r))
            .collect();
        assert_eq!(
            rate_rules.len(),
            model.states.len(),
            "{name}: one rate rule per state"
        );
        let units: Vec<&str> = doc
            .all("unitDefinition")
            .into_iter()
            .map(|u| u.attr("id").expect("id"))
            .collect();
        for p in doc.all("parameter") {
            let u = p.attr("units").expect("units");
            assert!(
                u == "dimensionless" || units.contains(&u),
                "{name}: unit `{u}`"
            );
        }

        // Events: the doses and the switch.
        let events = doc.all("event");
        assert!(
            events.len() > model.inputs.len(),
            "{name}: {} events for {} doses and a switch",
            events.len(),
            model.inputs.len()
        );

        // The right-hand side at several times, states at their initial values.
        let funcs = functions(&doc);
        for tau in [0.0, 2.5, 3.9, 11.0] {
            let env = evaluate_document(&doc, tau);
            let t = problem.t0 + tau;
            assert!(close(env["t"], t), "{name}: model time");
            let mut dy = vec![0.0; model.states.len()];
            let mut scratch = vec![0.0; compiled.n_scratch()];
            compiled.rhs(t, &problem.y0, &problem.parameters, &mut dy, &mut scratch);
            for (i, s) in model.states.iter().enumerate() {
                let math = rate_rules[s.name.as_str()].child("math").expect("math");
                let got = eval(math, &env, tau, &funcs).expect("evaluates");
                let tol = 1e-12 * dy[i].abs().max(1e-9);
                assert!(
                    (got - dy[i]).abs() <= tol,
                    "{name}: d{}/dt at t = {t}: SBML {got}, engine {}",
                    s.name,
                    dy[i]
                );
            }
        }
    }
}

#[test]
fn names_that_clash_with_generated_ones_are_kept_apart() {
    // `time_start`, `hill_x` style names and an observable named like a state.
    let manifest = osteosim_engine::format::SourceFile::new(
        "model.toml",
        "[model]\nname = \"clash\"\ntime_unit = \"day\"\nlayers = [\"a.toml\"]\n",
    );
    let layer = osteosim_engine::format::SourceFile::new(
        "a.toml",
        r#"[layer]
name = "a"
[parameters.time_start]
value = 2.0
unit = "1/day"
source = "test"
[parameters.event_1]
value = 1.0
unit = "mg"
source = "test"
[states.x]
unit = "mg"
initial = "steady"
[processes.x]
rate = "event_1 * time_start - time_start * x"
produces = ["x"]
[observables.x]
expr = "2 * x"
unit = "mg"
[inputs.dose]
state = "x"
unit = "mg"
"#,
    );
    let model = osteosim_engine::Model::from_sources(manifest, vec![layer]).expect("model checks");
    let compiled = osteosim_engine::compile(&model);
    let sim = Simulation::new(&model, &compiled)
        .with_time_span(0.0, 5.0)
        .expect("span")
        .with_dose(Dose {
            input: "dose".into(),
            time: 1.0,
            amount: 1.0,
            duration: 0.0,
        })
        .expect("dose");
    let doc = parse_xml(&to_sbml(&sim, "").expect("export"));
    let mut ids: Vec<&str> = doc
        .all("parameter")
        .into_iter()
        .chain(doc.all("functionDefinition"))
        .chain(doc.all("event"))
        .map(|p| p.attr("id").expect("id"))
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "ids are unique: {ids:?}");
    for id in [
        "time_start",
        "event_1",
        "x",
        "x_rate",
        "x_output",
        "time_start_2",
    ] {
        assert!(ids.contains(&id), "`{id}` in {ids:?}");
    }
    let env = evaluate_document(&doc, 0.0);
    assert_eq!(env["x"], 1.0);
    assert_eq!(env["x_output"], 2.0);
    assert!(env["x_rate"].abs() < 1e-12);
}
