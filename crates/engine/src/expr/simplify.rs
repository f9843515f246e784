//! The value-preserving simplifier and the smart constructors it is built from.

use super::eval::{bool_num, truth};
use super::{bx, BinOp, CmpOp, Expr, Func};

pub(super) fn is_num(e: &Expr, v: f64) -> bool {
    matches!(e, Expr::Num(x) if *x == v)
}

pub(super) fn is_zero(e: &Expr) -> bool {
    is_num(e, 0.0)
}

/// Truth of a constant condition (`None` if not a constant or NaN).
fn const_truth(e: &Expr) -> Option<bool> {
    match e {
        Expr::Num(v) => truth(*v),
        _ => None,
    }
}

/// Folds a binary operation on two literals, unless the result is not finite.
fn fold_bin(op: BinOp, a: &Expr, b: &Expr) -> Option<Expr> {
    match (a, b) {
        (Expr::Num(x), Expr::Num(y)) => {
            let r = op.apply(*x, *y);
            Some(if r.is_finite() {
                Expr::Num(r)
            } else {
                Expr::Bin(op, bx(a.clone()), bx(b.clone()))
            })
        }
        _ => None,
    }
}

pub(super) fn mk_neg(a: Expr) -> Expr {
    match a {
        Expr::Num(v) => Expr::Num(-v),
        Expr::Neg(x) => *x,
        Expr::Bin(BinOp::Mul, l, r) => match *l {
            Expr::Num(c) => mk_mul(Expr::Num(-c), *r),
            l => Expr::Neg(bx(Expr::Bin(BinOp::Mul, bx(l), r))),
        },
        a => Expr::Neg(bx(a)),
    }
}

pub(super) fn mk_add(a: Expr, b: Expr) -> Expr {
    if let Some(r) = fold_bin(BinOp::Add, &a, &b) {
        return r;
    }
    if is_zero(&b) {
        return a;
    }
    if is_zero(&a) {
        return b;
    }
    match (a, b) {
        (a, Expr::Neg(y)) => mk_sub(a, *y),
        (a, Expr::Num(v)) if v < 0.0 => mk_sub(a, Expr::Num(-v)),
        (Expr::Neg(x), b) => mk_sub(b, *x),
        (a, b) => Expr::Bin(BinOp::Add, bx(a), bx(b)),
    }
}

pub(super) fn mk_sub(a: Expr, b: Expr) -> Expr {
    if let Some(r) = fold_bin(BinOp::Sub, &a, &b) {
        return r;
    }
    if is_zero(&b) {
        return a;
    }
    if is_zero(&a) {
        return mk_neg(b);
    }
    match (a, b) {
        (a, Expr::Neg(y)) => mk_add(a, *y),
        (a, Expr::Num(v)) if v < 0.0 => mk_add(a, Expr::Num(-v)),
        (a, b) => Expr::Bin(BinOp::Sub, bx(a), bx(b)),
    }
}

pub(super) fn mk_mul(a: Expr, b: Expr) -> Expr {
    if let Some(r) = fold_bin(BinOp::Mul, &a, &b) {
        return r;
    }
    if is_zero(&a) || is_zero(&b) {
        return Expr::Num(0.0);
    }
    if is_num(&a, 1.0) {
        return b;
    }
    if is_num(&b, 1.0) {
        return a;
    }
    if is_num(&a, -1.0) {
        return mk_neg(b);
    }
    if is_num(&b, -1.0) {
        return mk_neg(a);
    }
    match (a, b) {
        // Constant factors go first (`2 * x`, not `x * 2`).
        (a, Expr::Num(c)) => mk_mul(Expr::Num(c), a),
        (Expr::Num(c), Expr::Neg(y)) => mk_mul(Expr::Num(-c), *y),
        (Expr::Neg(x), b) => mk_neg(mk_mul(*x, b)),
        (a, Expr::Neg(y)) => mk_neg(mk_mul(a, *y)),
        (a, b) => Expr::Bin(BinOp::Mul, bx(a), bx(b)),
    }
}

pub(super) fn mk_div(a: Expr, b: Expr) -> Expr {
    if let Some(r) = fold_bin(BinOp::Div, &a, &b) {
        return r;
    }
    if is_zero(&a) {
        return Expr::Num(0.0);
    }
    if is_num(&b, 1.0) {
        return a;
    }
    if is_num(&b, -1.0) {
        return mk_neg(a);
    }
    match (a, b) {
        (Expr::Num(c), b) if c < 0.0 => mk_neg(mk_div(Expr::Num(-c), b)),
        (Expr::Neg(x), b) => mk_neg(mk_div(*x, b)),
        (a, Expr::Neg(y)) => mk_neg(mk_div(a, *y)),
        (a, b) => Expr::Bin(BinOp::Div, bx(a), bx(b)),
    }
}

pub(super) fn mk_pow(a: Expr, b: Expr) -> Expr {
    if let Some(r) = fold_bin(BinOp::Pow, &a, &b) {
        return r;
    }
    if is_num(&b, 1.0) {
        return a;
    }
    if is_zero(&b) || is_num(&a, 1.0) {
        return Expr::Num(1.0);
    }
    Expr::Bin(BinOp::Pow, bx(a), bx(b))
}

fn mk_bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    match op {
        BinOp::Add => mk_add(a, b),
        BinOp::Sub => mk_sub(a, b),
        BinOp::Mul => mk_mul(a, b),
        BinOp::Div => mk_div(a, b),
        BinOp::Pow => mk_pow(a, b),
    }
}

pub(super) fn mk_call(func: Func, args: Vec<Expr>) -> Expr {
    let mut vals = Vec::with_capacity(args.len());
    for a in &args {
        match a {
            Expr::Num(v) => vals.push(*v),
            _ => return Expr::Call(func, args),
        }
    }
    match func.apply(&vals) {
        Some(r) if r.is_finite() => Expr::Num(r),
        _ => Expr::Call(func, args),
    }
}

pub(super) fn mk_cmp(op: CmpOp, a: Expr, b: Expr) -> Expr {
    match (&a, &b) {
        (Expr::Num(x), Expr::Num(y)) => Expr::Num(bool_num(op.apply(*x, *y))),
        _ => Expr::Cmp(op, bx(a), bx(b)),
    }
}

/// `b` reduced to a truth value (1/0 or a boolean-valued tree), or `b` back
/// if that is not possible (for the right side of `and`/`or`).
fn truth_of(b: Expr) -> Result<Expr, Expr> {
    match const_truth(&b) {
        Some(t) => Ok(Expr::Num(bool_num(t))),
        None if b.is_boolean() => Ok(b),
        None => Err(b),
    }
}

fn mk_and(a: Expr, b: Expr) -> Expr {
    match const_truth(&a) {
        Some(false) => Expr::Num(0.0),
        Some(true) => truth_of(b).unwrap_or_else(|b| Expr::And(bx(a), bx(b))),
        None => Expr::And(bx(a), bx(b)),
    }
}

fn mk_or(a: Expr, b: Expr) -> Expr {
    match const_truth(&a) {
        Some(true) => Expr::Num(1.0),
        Some(false) => truth_of(b).unwrap_or_else(|b| Expr::Or(bx(a), bx(b))),
        None => Expr::Or(bx(a), bx(b)),
    }
}

fn mk_not(a: Expr) -> Expr {
    match const_truth(&a) {
        Some(t) => Expr::Num(bool_num(!t)),
        None => Expr::Not(bx(a)),
    }
}

pub(super) fn mk_if(c: Expr, a: Expr, b: Expr) -> Expr {
    match const_truth(&c) {
        Some(true) => a,
        Some(false) => b,
        None if a == b => a,
        None => Expr::If(bx(c), bx(a), bx(b)),
    }
}

/// Simplifies bottom-up: folds constants (never into a non-finite number),
/// drops `+0`, `-0`, `*1`, `/1`, `^1`, turns `*0`, `0*`, `0/` into 0 and
/// `^0` into 1, cancels double negation, moves constant factors first and
/// signs outwards, and resolves `if`/`and`/`or`/`not` with constant conditions
/// and `if`s with identical branches.
pub fn simplify(e: &Expr) -> Expr {
    match e {
        Expr::Num(v) => Expr::Num(*v),
        Expr::Var(s) => Expr::Var(s.clone()),
        Expr::Neg(a) => mk_neg(simplify(a)),
        Expr::Bin(op, a, b) => mk_bin(*op, simplify(a), simplify(b)),
        Expr::Call(func, args) => mk_call(*func, args.iter().map(simplify).collect()),
        Expr::Cmp(op, a, b) => mk_cmp(*op, simplify(a), simplify(b)),
        Expr::And(a, b) => mk_and(simplify(a), simplify(b)),
        Expr::Or(a, b) => mk_or(simplify(a), simplify(b)),
        Expr::Not(a) => mk_not(simplify(a)),
        Expr::If(c, a, b) => mk_if(simplify(c), simplify(a), simplify(b)),
    }
}
