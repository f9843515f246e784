//! Evaluation of a tree to a number, and the truth values of conditions.

use super::{EvalError, Expr};

pub(super) fn bool_num(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// Truth value of a condition; `None` for NaN.
pub(super) fn truth(v: f64) -> Option<bool> {
    if v.is_nan() {
        None
    } else {
        Some(v != 0.0)
    }
}

fn truth_num(v: f64) -> f64 {
    truth(v).map_or(f64::NAN, bool_num)
}
impl Expr {
    /// Evaluates the expression; booleans are 1.0 / 0.0. Variables are looked
    /// up with `lookup`, and an unknown one is an error (only for the branches
    /// actually evaluated: `if`, `and` and `or` are lazy).
    pub fn eval(&self, lookup: &dyn Fn(&str) -> Option<f64>) -> Result<f64, EvalError> {
        Ok(match self {
            Expr::Num(v) => *v,
            Expr::Var(name) => {
                lookup(name).ok_or_else(|| EvalError::UnknownSymbol(name.clone()))?
            }
            Expr::Neg(a) => -a.eval(lookup)?,
            Expr::Bin(op, a, b) => op.apply(a.eval(lookup)?, b.eval(lookup)?),
            Expr::Call(func, args) => {
                let wrong = || EvalError::WrongArity {
                    func: func.name(),
                    expected: func.arity(),
                    found: args.len(),
                };
                let mut vals = [0.0; 3];
                if args.len() > vals.len() {
                    return Err(wrong());
                }
                for (slot, a) in vals.iter_mut().zip(args) {
                    *slot = a.eval(lookup)?;
                }
                func.apply(&vals[..args.len()]).ok_or_else(wrong)?
            }
            Expr::Cmp(op, a, b) => bool_num(op.apply(a.eval(lookup)?, b.eval(lookup)?)),
            Expr::And(a, b) => match truth(a.eval(lookup)?) {
                None => f64::NAN,
                Some(false) => 0.0,
                Some(true) => truth_num(b.eval(lookup)?),
            },
            Expr::Or(a, b) => match truth(a.eval(lookup)?) {
                None => f64::NAN,
                Some(true) => 1.0,
                Some(false) => truth_num(b.eval(lookup)?),
            },
            Expr::Not(a) => truth(a.eval(lookup)?).map_or(f64::NAN, |t| bool_num(!t)),
            Expr::If(c, a, b) => match truth(c.eval(lookup)?) {
                None => f64::NAN,
                Some(true) => a.eval(lookup)?,
                Some(false) => b.eval(lookup)?,
            },
        })
    }
}
