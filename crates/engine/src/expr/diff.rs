//! Exact symbolic differentiation.

use std::f64::consts::LN_10;

use super::eval::bool_num;
use super::simplify::{
    is_zero, mk_add, mk_call, mk_cmp, mk_div, mk_if, mk_mul, mk_neg, mk_pow, mk_sub, simplify,
};
use super::{BinOp, CmpOp, Expr, Func};

/// The derivative of `e` with respect to the variable `var`, simplified.
///
/// Piecewise functions differentiate piecewise: `abs(u)` gives
/// `if(u >= 0, u', -u')`, `min(a, b)` gives `if(a <= b, a', b')`, `max(a, b)`
/// gives `if(a >= b, a', b')`, `if(c, a, b)` gives `if(c, a', b')`;
/// comparisons and logical operators have derivative 0. A call with the wrong
/// number of arguments (impossible after [`parse`](fn@super::parse)) differentiates to NaN.
pub fn derivative(e: &Expr, var: &str) -> Expr {
    simplify(&diff(e, var))
}

fn diff(e: &Expr, var: &str) -> Expr {
    if !e.contains_symbol(var) {
        return Expr::Num(0.0);
    }
    match e {
        Expr::Num(_) => Expr::Num(0.0),
        Expr::Var(name) => Expr::Num(bool_num(name == var)),
        Expr::Neg(a) => mk_neg(diff(a, var)),
        Expr::Bin(op, a, b) => diff_bin(e, *op, a, b, var),
        Expr::Call(func, args) => diff_call(e, *func, args, var),
        Expr::Cmp(..) | Expr::And(..) | Expr::Or(..) | Expr::Not(..) => Expr::Num(0.0),
        Expr::If(c, a, b) => mk_if((**c).clone(), diff(a, var), diff(b, var)),
    }
}

fn diff_bin(e: &Expr, op: BinOp, a: &Expr, b: &Expr, var: &str) -> Expr {
    match op {
        BinOp::Add => mk_add(diff(a, var), diff(b, var)),
        BinOp::Sub => mk_sub(diff(a, var), diff(b, var)),
        BinOp::Mul => mk_add(
            mk_mul(diff(a, var), b.clone()),
            mk_mul(a.clone(), diff(b, var)),
        ),
        BinOp::Div => {
            let da = diff(a, var);
            let db = diff(b, var);
            if is_zero(&db) {
                mk_div(da, b.clone())
            } else {
                mk_div(
                    mk_sub(mk_mul(da, b.clone()), mk_mul(a.clone(), db)),
                    mk_pow(b.clone(), Expr::Num(2.0)),
                )
            }
        }
        BinOp::Pow if !b.contains_symbol(var) => {
            // d(u^c) = c * u^(c-1) * u'
            let factor = match b {
                Expr::Num(c) => mk_mul(Expr::Num(*c), mk_pow(a.clone(), Expr::Num(c - 1.0))),
                _ => mk_mul(
                    b.clone(),
                    mk_pow(a.clone(), mk_sub(b.clone(), Expr::Num(1.0))),
                ),
            };
            mk_mul(factor, diff(a, var))
        }
        BinOp::Pow => {
            // d(u^v) = u^v * (v' * ln(u) + v * u' / u)
            let du = diff(a, var);
            let dv = diff(b, var);
            let log_term = if is_zero(&dv) {
                Expr::Num(0.0)
            } else {
                mk_mul(dv, mk_call(Func::Ln, vec![a.clone()]))
            };
            let base_term = if is_zero(&du) {
                Expr::Num(0.0)
            } else {
                mk_div(mk_mul(b.clone(), du), a.clone())
            };
            mk_mul(e.clone(), mk_add(log_term, base_term))
        }
    }
}

fn diff_call(e: &Expr, func: Func, args: &[Expr], var: &str) -> Expr {
    match (func, args) {
        (Func::Exp, [u]) => mk_mul(e.clone(), diff(u, var)),
        (Func::Ln, [u]) => mk_div(diff(u, var), u.clone()),
        (Func::Log10, [u]) => mk_div(diff(u, var), mk_mul(u.clone(), Expr::Num(LN_10))),
        (Func::Sqrt, [u]) => mk_div(diff(u, var), mk_mul(Expr::Num(2.0), e.clone())),
        (Func::Abs, [u]) => {
            let du = diff(u, var);
            mk_if(
                mk_cmp(CmpOp::Ge, u.clone(), Expr::Num(0.0)),
                du.clone(),
                mk_neg(du),
            )
        }
        (Func::Min, [a, b]) => mk_if(
            mk_cmp(CmpOp::Le, a.clone(), b.clone()),
            diff(a, var),
            diff(b, var),
        ),
        (Func::Max, [a, b]) => mk_if(
            mk_cmp(CmpOp::Ge, a.clone(), b.clone()),
            diff(a, var),
            diff(b, var),
        ),
        (Func::Hill | Func::Inhibit | Func::Clamp, [_, _, _]) => diff(&e.expand_sugar(), var),
        _ => Expr::Num(f64::NAN),
    }
}
