//! Printing with the fewest parentheses that read back as the same tree.

use std::fmt;

use super::{BinOp, Expr};

/// Binding strength of the node's top operator; higher binds tighter.
fn prec(e: &Expr) -> u8 {
    match e {
        Expr::Or(..) => 1,
        Expr::And(..) => 2,
        Expr::Not(..) => 3,
        Expr::Cmp(..) => 4,
        Expr::Bin(BinOp::Add | BinOp::Sub, ..) => 5,
        Expr::Bin(BinOp::Mul | BinOp::Div, ..) => 6,
        Expr::Neg(_) => 7,
        // A negative literal prints with a leading `-`, so it is a unary expression.
        Expr::Num(v) if v.is_finite() && v.is_sign_negative() => 7,
        Expr::Bin(BinOp::Pow, ..) => 8,
        _ => 9,
    }
}

fn write_num(f: &mut fmt::Formatter<'_>, v: f64) -> fmt::Result {
    if v.is_nan() {
        f.write_str("(0/0)")
    } else if v.is_infinite() {
        f.write_str(if v > 0.0 { "(1/0)" } else { "(-1/0)" })
    } else {
        let a = v.abs();
        if a == 0.0 || (1e-5..1e16).contains(&a) {
            write!(f, "{v}")
        } else {
            write!(f, "{v:e}")
        }
    }
}

fn write_child(f: &mut fmt::Formatter<'_>, e: &Expr, paren: bool) -> fmt::Result {
    if paren {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num(v) => write_num(f, *v),
            Expr::Var(name) => f.write_str(name),
            Expr::Neg(a) => {
                f.write_str("-")?;
                // `-2` would read back as the literal −2, so negated literals keep parentheses.
                let literal = matches!(**a, Expr::Num(v) if v.is_finite() && !v.is_sign_negative());
                write_child(f, a, literal || prec(a) < 7)
            }
            Expr::Bin(op, a, b) => {
                let (left, right) = match op {
                    // Base is an atom; the exponent is a unary expression.
                    BinOp::Pow => (prec(a) <= 8, prec(b) < 7),
                    _ => {
                        let p = prec(self);
                        (prec(a) < p, prec(b) <= p)
                    }
                };
                write_child(f, a, left)?;
                match op {
                    BinOp::Pow => f.write_str("^")?,
                    _ => write!(f, " {} ", op.symbol())?,
                }
                write_child(f, b, right)
            }
            Expr::Call(func, args) => {
                write!(f, "{}(", func.name())?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            Expr::Cmp(op, a, b) => {
                write_child(f, a, prec(a) < 5)?;
                write!(f, " {} ", op.symbol())?;
                write_child(f, b, prec(b) < 5)
            }
            Expr::And(a, b) => {
                write_child(f, a, prec(a) < 2)?;
                f.write_str(" and ")?;
                write_child(f, b, prec(b) <= 2)
            }
            Expr::Or(a, b) => {
                write_child(f, a, prec(a) < 1)?;
                f.write_str(" or ")?;
                write_child(f, b, prec(b) <= 1)
            }
            Expr::Not(a) => {
                f.write_str("not ")?;
                write_child(f, a, prec(a) < 3)
            }
            Expr::If(c, a, b) => write!(f, "if({c}, {a}, {b})"),
        }
    }
}
