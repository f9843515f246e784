//! Rate expressions: parsing, printing, evaluation, symbolic differentiation.
//!
//! Model files declare rates, assignments and conditions as strings such as
//! `k_form * RANKL / (K + RANKL) - k_deg * OC`. This module turns such a string
//! into an [`Expr`] tree ([`parse`](fn@parse)), prints it back ([`Expr`]'s `Display`),
//! lists the names it uses ([`Expr::symbols`]), evaluates it ([`Expr::eval`]) and
//! differentiates it exactly ([`derivative`], used for analytic Jacobians),
//! with a small value-preserving simplifier ([`simplify`](fn@simplify)).
//!
//! # Expression format
//!
//! Grammar, lowest precedence first (`{ }` = repeated, `[ ]` = optional):
//!
//! ```text
//! expr    = and { "or" and }                      (left-associative)
//! and     = not { "and" not }                     (left-associative)
//! not     = "not" not | compare
//! compare = sum [ ("<" | "<=" | ">" | ">=" | "==" | "!=") sum ]   (no chaining)
//! sum     = product { ("+" | "-") product }       (left-associative)
//! product = unary { ("*" | "/") unary }           (left-associative)
//! unary   = ("-" | "+") unary | power
//! power   = atom [ "^" unary ]                    (right-associative)
//! atom    = number | name | function "(" [ expr { "," expr } ] ")"
//!         | "if" "(" expr "," expr "," expr ")" | "(" expr ")"
//! number  = digits [ "." [ digits ] ] [ exponent ] | "." digits [ exponent ]
//! exponent= ("e" | "E") [ "+" | "-" ] digits
//! name    = [A-Za-z_][A-Za-z0-9_]*   (except the keywords and, or, not, if)
//! ```
//!
//! Consequences worth knowing:
//! * `^` binds tighter than unary minus and groups to the right:
//!   `-x^2` is `-(x^2)`, `2^3^2` is `2^9` = 512, and an exponent may carry its
//!   own sign: `x^-2`, `2^-x^2` (= `2^(-(x^2))`).
//! * `a - b - c` is `(a - b) - c` and `a / b / c` is `(a / b) / c`.
//! * Comparisons do not chain: write `a < b and b < c`, not `a < b < c`.
//! * `not` binds looser than comparisons: `not x > 1` is `not (x > 1)`.
//! * Unary `+` is accepted and dropped. A `-` written directly before a
//!   number literal (and not followed by `^`) becomes part of the literal:
//!   `-2` parses as the number −2, while `-2^2` is `-(2^2)` = −4.
//! * An expression tree may be at most [`MAX_TREE_DEPTH`] nodes deep. Chains of
//!   left-associative operators count: `a1 + a2 + ... + an` is n levels deep, so a sum or
//!   product of more than [`MAX_TREE_DEPTH`] terms is refused; split it into named
//!   definitions.
//! * Whitespace is insignificant. Function names are not reserved: `exp` on its
//!   own (without `(`) is an ordinary variable name.
//!
//! Functions (argument counts are checked when parsing):
//!
//! | call               | meaning                                           |
//! |--------------------|---------------------------------------------------|
//! | `exp(x)`           | e^x                                               |
//! | `ln(x)`            | natural logarithm                                 |
//! | `log10(x)`         | base-10 logarithm                                 |
//! | `sqrt(x)`          | square root                                       |
//! | `abs(x)`           | absolute value                                    |
//! | `min(a, b)`        | smaller of two values (exactly two arguments)     |
//! | `max(a, b)`        | larger of two values (exactly two arguments)      |
//! | `hill(x, K, n)`    | x^n / (K^n + x^n)  (activating Hill function)     |
//! | `inhibit(x, K, n)` | K^n / (K^n + x^n)  (repressing Hill function)     |
//! | `clamp(x, lo, hi)` | min(max(x, lo), hi)                               |
//! | `if(c, a, b)`      | a where the condition c holds, b elsewhere        |
//!
//! There is no `log`: write `ln` for the natural logarithm or `log10`.
//!
//! # Values
//!
//! Everything evaluates to `f64`. Comparisons and `and`/`or`/`not` give 1.0
//! (true) or 0.0 (false); as a condition any non-zero value is true. A NaN
//! condition makes the `if`/`and`/`or`/`not` result NaN rather than silently
//! picking a side, and `min`/`max`/`clamp` propagate NaN as well. `if`, `and`
//! and `or` evaluate lazily (the branch not taken is never evaluated).
//! Type checking (booleans where numbers are expected and vice versa) is not
//! the parser's business; the model checker does it, using
//! [`Expr::is_boolean`].
//!
//! # Printing
//!
//! `Display` prints with the fewest parentheses needed, and for every tree
//! that [`parse`](fn@parse) can produce (and every tree built from valid names, finite
//! numbers and correct argument counts) `parse(&e.to_string()) == Ok(e)`.
//! Non-finite numbers, which the parser never produces, print as `(1/0)`,
//! `(-1/0)` and `(0/0)`: same value, different tree.
//!
//! # Derivatives and simplification
//!
//! [`derivative`] applies the usual rules; `min`, `max`, `abs` and `if`
//! differentiate piecewise (into `if` expressions), comparisons and logical
//! operators have derivative 0, and `hill`/`inhibit`/`clamp` are expanded
//! ([`Expr::expand_sugar`]) before differentiating. The result is passed
//! through [`simplify`](fn@simplify), which folds constants and removes neutral elements.
//! The simplifier never changes the value of an expression at a point where
//! every sub-expression of the input is finite (the only deviation is the sign
//! of a zero result).

use std::fmt;

use crate::numeric::{nan_max, nan_min, power};

mod diff;
mod display;
mod eval;
mod lex;
mod parse;
mod simplify;
mod tree;

#[cfg(test)]
mod tests;

pub use self::diff::derivative;
pub use self::parse::parse;
pub use self::simplify::simplify;

/// Deepest expression tree [`parse`](fn@parse) accepts, counted in nodes from the root to the
/// deepest leaf: a name or number is 1 deep, `a + b + c` (that is `(a + b) + c`) is 3 deep.
/// Every pass over a tree (evaluation, printing, simplification, differentiation, unit checks,
/// compilation, and dropping it) recurses into it, so this bound keeps them within the stack.
/// Real models stay far below it: the deepest expression of the bone model is 10 deep.
pub const MAX_TREE_DEPTH: usize = 1000;

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

impl BinOp {
    /// The operator as written in expressions.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }

    /// Applies the operator to two numbers.
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div => a / b,
            BinOp::Pow => power(a, b),
        }
    }
}

/// Comparison operators (boolean-valued).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    /// The operator as written in expressions.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    /// Applies the comparison with IEEE semantics (any comparison with NaN is
    /// false, except `!=`, which is true).
    pub fn apply(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
        }
    }
}

/// Built-in functions. `if` is not a function but an [`Expr::If`] node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    Exp,
    Ln,
    Log10,
    Sqrt,
    Abs,
    Min,
    Max,
    Hill,
    Inhibit,
    Clamp,
}

impl Func {
    /// Every function, in documentation order.
    pub const ALL: [Func; 10] = [
        Func::Exp,
        Func::Ln,
        Func::Log10,
        Func::Sqrt,
        Func::Abs,
        Func::Min,
        Func::Max,
        Func::Hill,
        Func::Inhibit,
        Func::Clamp,
    ];

    /// The name used in expressions.
    pub fn name(self) -> &'static str {
        match self {
            Func::Exp => "exp",
            Func::Ln => "ln",
            Func::Log10 => "log10",
            Func::Sqrt => "sqrt",
            Func::Abs => "abs",
            Func::Min => "min",
            Func::Max => "max",
            Func::Hill => "hill",
            Func::Inhibit => "inhibit",
            Func::Clamp => "clamp",
        }
    }

    /// Number of arguments the function takes.
    pub fn arity(self) -> usize {
        self.params().len()
    }

    /// Names of the parameters, for messages and documentation.
    pub fn params(self) -> &'static [&'static str] {
        match self {
            Func::Exp | Func::Ln | Func::Log10 | Func::Sqrt | Func::Abs => &["x"],
            Func::Min | Func::Max => &["a", "b"],
            Func::Hill | Func::Inhibit => &["x", "K", "n"],
            Func::Clamp => &["x", "lo", "hi"],
        }
    }

    /// Looks a function up by its expression name (case-sensitive).
    pub fn from_name(s: &str) -> Option<Func> {
        Func::ALL.iter().copied().find(|f| f.name() == s)
    }

    /// Evaluates the function; `None` if `args` has the wrong length.
    pub fn apply(self, args: &[f64]) -> Option<f64> {
        Some(match (self, args) {
            (Func::Exp, [x]) => x.exp(),
            (Func::Ln, [x]) => x.ln(),
            (Func::Log10, [x]) => x.log10(),
            (Func::Sqrt, [x]) => x.sqrt(),
            (Func::Abs, [x]) => x.abs(),
            (Func::Min, [a, b]) => nan_min(*a, *b),
            (Func::Max, [a, b]) => nan_max(*a, *b),
            (Func::Hill, [x, k, n]) => {
                let xn = power(*x, *n);
                xn / (power(*k, *n) + xn)
            }
            (Func::Inhibit, [x, k, n]) => {
                let kn = power(*k, *n);
                kn / (kn + power(*x, *n))
            }
            (Func::Clamp, [x, lo, hi]) => nan_min(nan_max(*x, *lo), *hi),
            _ => return None,
        })
    }
}

impl fmt::Display for Func {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An expression tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Num(f64),
    Var(String),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    /// Boolean-valued.
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    /// Boolean-valued.
    And(Box<Expr>, Box<Expr>),
    /// Boolean-valued.
    Or(Box<Expr>, Box<Expr>),
    /// Boolean-valued.
    Not(Box<Expr>),
    /// `if(cond, then, else)`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

/// A syntax error, located in the source text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("at column {column}: {message}")]
pub struct ParseError {
    /// Byte offset into the source string.
    pub offset: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    pub message: String,
}

/// An evaluation failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    #[error("unknown symbol `{0}`")]
    UnknownSymbol(String),
    /// Only possible for hand-built trees; [`parse`](fn@parse) checks argument counts.
    #[error("`{func}` takes {expected} argument(s), found {found}")]
    WrongArity {
        func: &'static str,
        expected: usize,
        found: usize,
    },
}
