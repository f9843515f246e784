//! Compilation of a checked [`Model`] into flat instruction tapes: one for the right-hand
//! side, one for the exact Jacobian, one for the observables.
//!
//! Every expression is lowered once into a register machine with common subexpressions
//! shared (hash-consing) and constants folded; evaluating a tape is a single pass over a
//! `Vec<Op>` writing into a caller-owned register file, so the solver's inner loop neither
//! allocates nor walks a tree. The Jacobian is symbolic: the chain rule runs through the
//! assignment graph (d a / d y_j = sum over a's symbols s of (d a / d s)(d s / d y_j)), only
//! for the entries that can be non-zero, and its expressions are lowered into the same kind
//! of tape. [`crate::codegen`] turns the tapes into Rust source for the built-in model.

use std::collections::{BTreeMap, HashMap};

use crate::expr::{self, BinOp, CmpOp, Expr, Func};
use crate::model::{Model, Symbol, TIME};
/// The numeric helpers the tapes (and the Rust source generated from them) call.
pub use crate::numeric::{nan_max, nan_min, power};

pub type Slot = u32;

/// One instruction; its result goes into the next register.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Const(f64),
    Add(Slot, Slot),
    Sub(Slot, Slot),
    Mul(Slot, Slot),
    Div(Slot, Slot),
    Pow(Slot, Slot),
    Powi(Slot, i32),
    Neg(Slot),
    Exp(Slot),
    Ln(Slot),
    Log10(Slot),
    Sqrt(Slot),
    Abs(Slot),
    Min(Slot, Slot),
    Max(Slot, Slot),
    Cmp(CmpOp, Slot, Slot),
    And(Slot, Slot),
    Or(Slot, Slot),
    Not(Slot),
    /// `if c != 0 then a else b`
    Select(Slot, Slot, Slot),
}

#[derive(PartialEq, Eq, Hash)]
enum Key {
    Const(u64),
    Op(u8, Slot, Slot, Slot, i64),
}

fn key(op: &Op) -> Key {
    let k = |tag, a, b, c, i| Key::Op(tag, a, b, c, i);
    match *op {
        Op::Const(v) => Key::Const(v.to_bits()),
        Op::Add(a, b) => k(1, a.min(b), a.max(b), 0, 0),
        Op::Sub(a, b) => k(2, a, b, 0, 0),
        Op::Mul(a, b) => k(3, a.min(b), a.max(b), 0, 0),
        Op::Div(a, b) => k(4, a, b, 0, 0),
        Op::Pow(a, b) => k(5, a, b, 0, 0),
        Op::Powi(a, n) => k(6, a, 0, 0, i64::from(n)),
        Op::Neg(a) => k(7, a, 0, 0, 0),
        Op::Exp(a) => k(8, a, 0, 0, 0),
        Op::Ln(a) => k(9, a, 0, 0, 0),
        Op::Log10(a) => k(10, a, 0, 0, 0),
        Op::Sqrt(a) => k(11, a, 0, 0, 0),
        Op::Abs(a) => k(12, a, 0, 0, 0),
        Op::Min(a, b) => k(13, a, b, 0, 0),
        Op::Max(a, b) => k(14, a, b, 0, 0),
        Op::Cmp(c, a, b) => k(15, a, b, 0, c as i64),
        Op::And(a, b) => k(16, a, b, 0, 0),
        Op::Or(a, b) => k(17, a, b, 0, 0),
        Op::Not(a) => k(18, a, 0, 0, 0),
        Op::Select(c, a, b) => k(19, c, a, b, 0),
    }
}

/// A straight-line program. Registers `0` is `t`, `1..=n_states` the states, then the
/// parameters, then one register per instruction.
#[derive(Debug, Clone, PartialEq)]
pub struct Tape {
    pub n_states: usize,
    pub n_parameters: usize,
    pub ops: Vec<Op>,
    pub outputs: Vec<Slot>,
}

impl Tape {
    pub fn n_inputs(&self) -> usize {
        1 + self.n_states + self.n_parameters
    }

    pub fn n_registers(&self) -> usize {
        self.n_inputs() + self.ops.len()
    }

    /// Evaluate into `out` (one value per output). `regs` must hold [`Self::n_registers`].
    #[inline]
    pub fn eval(&self, t: f64, y: &[f64], p: &[f64], regs: &mut [f64], out: &mut [f64]) {
        let ni = self.n_inputs();
        regs[0] = t;
        regs[1..=self.n_states].copy_from_slice(&y[..self.n_states]);
        regs[1 + self.n_states..ni].copy_from_slice(&p[..self.n_parameters]);
        for (k, op) in self.ops.iter().enumerate() {
            let r = |s: Slot| regs[s as usize];
            let v = match *op {
                Op::Const(c) => c,
                Op::Add(a, b) => r(a) + r(b),
                Op::Sub(a, b) => r(a) - r(b),
                Op::Mul(a, b) => r(a) * r(b),
                Op::Div(a, b) => r(a) / r(b),
                Op::Pow(a, b) => power(r(a), r(b)),
                Op::Powi(a, n) => r(a).powi(n),
                Op::Neg(a) => -r(a),
                Op::Exp(a) => r(a).exp(),
                Op::Ln(a) => r(a).ln(),
                Op::Log10(a) => r(a).log10(),
                Op::Sqrt(a) => r(a).sqrt(),
                Op::Abs(a) => r(a).abs(),
                Op::Min(a, b) => nan_min(r(a), r(b)),
                Op::Max(a, b) => nan_max(r(a), r(b)),
                Op::Cmp(c, a, b) => f64::from(u8::from(c.apply(r(a), r(b)))),
                Op::And(a, b) => f64::from(u8::from(r(a) != 0.0 && r(b) != 0.0)),
                Op::Or(a, b) => f64::from(u8::from(r(a) != 0.0 || r(b) != 0.0)),
                Op::Not(a) => f64::from(u8::from(r(a) == 0.0)),
                Op::Select(c, a, b) => {
                    if r(c) != 0.0 {
                        r(a)
                    } else {
                        r(b)
                    }
                }
            };
            regs[ni + k] = v;
        }
        for (o, s) in out.iter_mut().zip(&self.outputs) {
            *o = regs[*s as usize];
        }
    }
}

/// What the solver needs from a model: right-hand side, Jacobian and observables, each
/// evaluated without allocation into caller-owned buffers.
pub trait Kernel: Send + Sync {
    fn n_states(&self) -> usize;
    fn n_parameters(&self) -> usize;
    fn n_observables(&self) -> usize;
    /// Length of the scratch buffer the evaluation functions need.
    fn n_scratch(&self) -> usize;
    /// (row, column) of each Jacobian entry that can be non-zero, in the order
    /// [`Kernel::jacobian`] writes them.
    fn jacobian_pattern(&self) -> &[(u32, u32)];
    fn rhs(&self, t: f64, y: &[f64], p: &[f64], dy: &mut [f64], scratch: &mut [f64]);
    fn jacobian(&self, t: f64, y: &[f64], p: &[f64], values: &mut [f64], scratch: &mut [f64]);
    fn observables(&self, t: f64, y: &[f64], p: &[f64], out: &mut [f64], scratch: &mut [f64]);
}

/// The tapes of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledModel {
    pub rhs: Tape,
    pub jacobian: Tape,
    pub observables: Tape,
    pub pattern: Vec<(u32, u32)>,
}

impl Kernel for CompiledModel {
    fn n_states(&self) -> usize {
        self.rhs.n_states
    }
    fn n_parameters(&self) -> usize {
        self.rhs.n_parameters
    }
    fn n_observables(&self) -> usize {
        self.observables.outputs.len()
    }
    fn n_scratch(&self) -> usize {
        self.rhs
            .n_registers()
            .max(self.jacobian.n_registers())
            .max(self.observables.n_registers())
    }
    fn jacobian_pattern(&self) -> &[(u32, u32)] {
        &self.pattern
    }
    fn rhs(&self, t: f64, y: &[f64], p: &[f64], dy: &mut [f64], scratch: &mut [f64]) {
        self.rhs.eval(t, y, p, scratch, dy)
    }
    fn jacobian(&self, t: f64, y: &[f64], p: &[f64], values: &mut [f64], scratch: &mut [f64]) {
        self.jacobian.eval(t, y, p, scratch, values)
    }
    fn observables(&self, t: f64, y: &[f64], p: &[f64], out: &mut [f64], scratch: &mut [f64]) {
        self.observables.eval(t, y, p, scratch, out)
    }
}

/// Compile a checked model.
pub fn compile(model: &Model) -> CompiledModel {
    let defs: HashMap<String, Expr> = model
        .assignments
        .iter()
        .map(|a| (a.name.clone(), a.expr.expand_sugar()))
        .collect();
    let rates: Vec<Expr> = model
        .processes
        .iter()
        .map(|p| p.rate.expand_sugar())
        .collect();

    // Right-hand side: dy_i = sum_k stoich_ik * rate_k.
    let mut rhs_terms: Vec<Vec<(f64, usize)>> = vec![Vec::new(); model.states.len()];
    for (k, p) in model.processes.iter().enumerate() {
        for &(i, c) in &p.stoichiometry {
            rhs_terms[i].push((c, k));
        }
    }
    let none = HashMap::new();
    let mut l = Lowerer::new(model, &defs, &none);
    let rate_slots: Vec<Slot> = rates.iter().map(|r| l.lower(r)).collect();
    let outputs = rhs_terms
        .iter()
        .map(|terms| l.linear_combination(terms, &rate_slots))
        .collect();
    let rhs = l.finish(outputs);

    // Jacobian.
    let JacobianExpressions {
        pattern,
        entries,
        synthetic,
    } = jacobian_expressions(model, &defs, &rates);
    let mut l = Lowerer::new(model, &defs, &synthetic);
    let outputs = entries.iter().map(|e| l.lower(e)).collect();
    let jacobian = l.finish(outputs);

    // Observables.
    let mut l = Lowerer::new(model, &defs, &none);
    let outputs = model
        .observables
        .iter()
        .map(|o| l.lower(&o.expr.expand_sugar()))
        .collect();
    let observables = l.finish(outputs);

    CompiledModel {
        rhs,
        jacobian,
        observables,
        pattern,
    }
}

/// The sparse Jacobian as expressions.
struct JacobianExpressions {
    /// (row, column) of each entry that can be non-zero.
    pattern: Vec<(u32, u32)>,
    /// One expression per entry of `pattern`.
    entries: Vec<Expr>,
    /// Definitions of the synthetic symbols `d#<assignment>#<state>` (d assignment / d state)
    /// that the entries use.
    synthetic: HashMap<String, Expr>,
}

fn jacobian_expressions(
    model: &Model,
    defs: &HashMap<String, Expr>,
    rates: &[Expr],
) -> JacobianExpressions {
    // Gradient of each assignment w.r.t. states, as references to synthetic symbols.
    let mut grads: Vec<BTreeMap<usize, Expr>> = Vec::with_capacity(model.assignments.len());
    let mut synthetic: HashMap<String, Expr> = HashMap::new();
    let gradient = |e: &Expr, grads: &[BTreeMap<usize, Expr>]| -> BTreeMap<usize, Expr> {
        let mut acc: BTreeMap<usize, Vec<Expr>> = BTreeMap::new();
        for s in e.symbols() {
            match model.symbol(&s) {
                Some(Symbol::State(j)) => acc.entry(j).or_default().push(expr::derivative(e, &s)),
                Some(Symbol::Assignment(b)) => {
                    if grads[b].is_empty() {
                        continue;
                    }
                    let d = expr::derivative(e, &s);
                    if d == Expr::Num(0.0) {
                        continue;
                    }
                    for (j, g) in &grads[b] {
                        acc.entry(*j).or_default().push(Expr::Bin(
                            BinOp::Mul,
                            Box::new(d.clone()),
                            Box::new(g.clone()),
                        ));
                    }
                }
                _ => {}
            }
        }
        acc.into_iter()
            .filter_map(|(j, terms)| {
                let sum = terms
                    .into_iter()
                    .reduce(|a, b| Expr::Bin(BinOp::Add, Box::new(a), Box::new(b)))?;
                let sum = expr::simplify(&sum);
                (sum != Expr::Num(0.0)).then_some((j, sum))
            })
            .collect()
    };
    for a in &model.assignments {
        let g = gradient(&defs[&a.name], &grads);
        let mut refs = BTreeMap::new();
        for (j, e) in g {
            let name = format!("d#{}#{}", a.name, j);
            synthetic.insert(name.clone(), e);
            refs.insert(j, Expr::Var(name));
        }
        grads.push(refs);
    }
    let rate_grads: Vec<BTreeMap<usize, Expr>> =
        rates.iter().map(|r| gradient(r, &grads)).collect();
    let mut entries: BTreeMap<(usize, usize), Vec<(f64, usize)>> = BTreeMap::new();
    for (k, p) in model.processes.iter().enumerate() {
        for &(i, c) in &p.stoichiometry {
            for j in rate_grads[k].keys() {
                entries.entry((i, *j)).or_default().push((c, k));
            }
        }
    }
    let mut pattern = Vec::with_capacity(entries.len());
    let mut exprs = Vec::with_capacity(entries.len());
    for ((i, j), terms) in entries {
        let sum = terms
            .into_iter()
            .map(|(c, k)| scaled(c, rate_grads[k][&j].clone()))
            .reduce(|a, b| Expr::Bin(BinOp::Add, Box::new(a), Box::new(b)))
            .unwrap_or(Expr::Num(0.0));
        pattern.push((i as u32, j as u32));
        exprs.push(sum);
    }
    JacobianExpressions {
        pattern,
        entries: exprs,
        synthetic,
    }
}

fn scaled(c: f64, e: Expr) -> Expr {
    if c == 1.0 {
        e
    } else if c == -1.0 {
        Expr::Neg(Box::new(e))
    } else {
        Expr::Bin(BinOp::Mul, Box::new(Expr::Num(c)), Box::new(e))
    }
}

struct Lowerer<'a> {
    model: &'a Model,
    defs: &'a HashMap<String, Expr>,
    synthetic: &'a HashMap<String, Expr>,
    n_inputs: usize,
    ops: Vec<Op>,
    cse: HashMap<Key, Slot>,
    memo: HashMap<String, Slot>,
}

impl<'a> Lowerer<'a> {
    fn new(
        model: &'a Model,
        defs: &'a HashMap<String, Expr>,
        synthetic: &'a HashMap<String, Expr>,
    ) -> Self {
        Lowerer {
            model,
            defs,
            synthetic,
            n_inputs: 1 + model.states.len() + model.parameters.len(),
            ops: Vec::new(),
            cse: HashMap::new(),
            memo: HashMap::new(),
        }
    }

    fn finish(self, outputs: Vec<Slot>) -> Tape {
        Tape {
            n_states: self.model.states.len(),
            n_parameters: self.model.parameters.len(),
            ops: self.ops,
            outputs,
        }
    }

    fn constant_of(&self, s: Slot) -> Option<f64> {
        let i = (s as usize).checked_sub(self.n_inputs)?;
        match self.ops[i] {
            Op::Const(c) => Some(c),
            _ => None,
        }
    }

    fn emit(&mut self, op: Op) -> Slot {
        // Fold operations on constants.
        let c = |s| self.constant_of(s);
        let folded = match op {
            Op::Const(_) => None,
            Op::Add(a, b) => match (c(a), c(b)) {
                (Some(x), Some(y)) => Some(x + y),
                (Some(0.0), None) => return b,
                (None, Some(0.0)) => return a,
                _ => None,
            },
            Op::Sub(a, b) => match (c(a), c(b)) {
                (Some(x), Some(y)) => Some(x - y),
                (None, Some(0.0)) => return a,
                _ => None,
            },
            Op::Mul(a, b) => match (c(a), c(b)) {
                (Some(x), Some(y)) => Some(x * y),
                (Some(1.0), None) => return b,
                (None, Some(1.0)) => return a,
                _ => None,
            },
            Op::Div(a, b) => match (c(a), c(b)) {
                (Some(x), Some(y)) => Some(x / y),
                (None, Some(1.0)) => return a,
                _ => None,
            },
            Op::Neg(a) => c(a).map(|x| -x),
            _ => None,
        };
        let op = match folded {
            Some(v) => Op::Const(v),
            None => op,
        };
        let k = key(&op);
        if let Some(&s) = self.cse.get(&k) {
            return s;
        }
        let s = (self.n_inputs + self.ops.len()) as Slot;
        self.ops.push(op);
        self.cse.insert(k, s);
        s
    }

    fn linear_combination(&mut self, terms: &[(f64, usize)], slots: &[Slot]) -> Slot {
        let mut acc: Option<Slot> = None;
        for &(c, k) in terms {
            let s = slots[k];
            acc = Some(match (acc, c) {
                (None, 1.0) => s,
                (None, -1.0) => self.emit(Op::Neg(s)),
                (None, c) => {
                    let cs = self.emit(Op::Const(c));
                    self.emit(Op::Mul(cs, s))
                }
                (Some(a), 1.0) => self.emit(Op::Add(a, s)),
                (Some(a), -1.0) => self.emit(Op::Sub(a, s)),
                (Some(a), c) => {
                    let cs = self.emit(Op::Const(c));
                    let m = self.emit(Op::Mul(cs, s));
                    self.emit(Op::Add(a, m))
                }
            });
        }
        acc.unwrap_or_else(|| self.emit(Op::Const(0.0)))
    }

    fn symbol(&mut self, name: &str) -> Slot {
        if let Some(&s) = self.memo.get(name) {
            return s;
        }
        let n_states = self.model.states.len();
        let slot = if name == TIME {
            0
        } else {
            match self.model.symbol(name) {
                Some(Symbol::State(i)) => (1 + i) as Slot,
                Some(Symbol::Parameter(i)) => (1 + n_states + i) as Slot,
                Some(Symbol::Time) => 0,
                Some(Symbol::Assignment(_)) | None => {
                    let e = self
                        .defs
                        .get(name)
                        .or_else(|| self.synthetic.get(name))
                        .cloned()
                        .unwrap_or(Expr::Num(f64::NAN));
                    self.lower(&e)
                }
            }
        };
        self.memo.insert(name.to_string(), slot);
        slot
    }

    fn lower(&mut self, e: &Expr) -> Slot {
        match e {
            Expr::Num(v) => self.emit(Op::Const(*v)),
            Expr::Var(n) => self.symbol(n),
            Expr::Neg(a) => {
                let a = self.lower(a);
                self.emit(Op::Neg(a))
            }
            Expr::Bin(BinOp::Pow, a, b) => {
                let base = self.lower(a);
                match **b {
                    Expr::Num(n) if n.fract() == 0.0 && n.abs() <= 64.0 => {
                        if n == 1.0 {
                            base
                        } else {
                            self.emit(Op::Powi(base, n as i32))
                        }
                    }
                    Expr::Num(0.5) => self.emit(Op::Sqrt(base)),
                    _ => {
                        let ex = self.lower(b);
                        match self.constant_of(ex) {
                            Some(n) if n.fract() == 0.0 && n.abs() <= 64.0 => {
                                self.emit(Op::Powi(base, n as i32))
                            }
                            _ => self.emit(Op::Pow(base, ex)),
                        }
                    }
                }
            }
            Expr::Bin(op, a, b) => {
                let (a, b) = (self.lower(a), self.lower(b));
                self.emit(match op {
                    BinOp::Add => Op::Add(a, b),
                    BinOp::Sub => Op::Sub(a, b),
                    BinOp::Mul => Op::Mul(a, b),
                    BinOp::Div => Op::Div(a, b),
                    BinOp::Pow => Op::Pow(a, b),
                })
            }
            Expr::Call(f, args) => {
                let s: Vec<Slot> = args.iter().map(|a| self.lower(a)).collect();
                match f {
                    Func::Exp => self.emit(Op::Exp(s[0])),
                    Func::Ln => self.emit(Op::Ln(s[0])),
                    Func::Log10 => self.emit(Op::Log10(s[0])),
                    Func::Sqrt => self.emit(Op::Sqrt(s[0])),
                    Func::Abs => self.emit(Op::Abs(s[0])),
                    Func::Min => self.emit(Op::Min(s[0], s[1])),
                    Func::Max => self.emit(Op::Max(s[0], s[1])),
                    // Sugar is expanded before lowering; these are kept for robustness.
                    Func::Clamp => {
                        let m = self.emit(Op::Max(s[0], s[1]));
                        self.emit(Op::Min(m, s[2]))
                    }
                    Func::Hill | Func::Inhibit => {
                        let e = e.expand_sugar();
                        self.lower(&e)
                    }
                }
            }
            Expr::Cmp(c, a, b) => {
                let (a, b) = (self.lower(a), self.lower(b));
                self.emit(Op::Cmp(*c, a, b))
            }
            Expr::And(a, b) => {
                let (a, b) = (self.lower(a), self.lower(b));
                self.emit(Op::And(a, b))
            }
            Expr::Or(a, b) => {
                let (a, b) = (self.lower(a), self.lower(b));
                self.emit(Op::Or(a, b))
            }
            Expr::Not(a) => {
                let a = self.lower(a);
                self.emit(Op::Not(a))
            }
            Expr::If(c, a, b) => {
                let (c, a, b) = (self.lower(c), self.lower(a), self.lower(b));
                match self.constant_of(c) {
                    Some(v) if v != 0.0 => a,
                    Some(_) => b,
                    None if a == b => a,
                    None => self.emit(Op::Select(c, a, b)),
                }
            }
        }
    }
}
