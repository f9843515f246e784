//! Rate expressions: parsing, printing, evaluation, symbolic differentiation.
//!
//! Model files declare rates, assignments and conditions as strings such as
//! `k_form * RANKL / (K + RANKL) - k_deg * OC`. This module turns such a string
//! into an [`Expr`] tree ([`parse`]), prints it back ([`Expr`]'s `Display`),
//! lists the names it uses ([`Expr::symbols`]), evaluates it ([`Expr::eval`]) and
//! differentiates it exactly ([`derivative`], used for analytic Jacobians),
//! with a small value-preserving [`simplify`]r.
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
//! that [`parse`] can produce (and every tree built from valid names, finite
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
//! through [`simplify`], which folds constants and removes neutral elements.
//! The simplifier never changes the value of an expression at a point where
//! every sub-expression of the input is finite (the only deviation is the sign
//! of a zero result).

use std::collections::BTreeSet;
use std::f64::consts::LN_10;
use std::fmt;

use crate::numeric::{nan_max, nan_min, power};

/// Deepest nesting (parentheses, unary operators, `not`, exponents) accepted by [`parse`].
const MAX_DEPTH: usize = 200;

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
    /// Only possible for hand-built trees; [`parse`] checks argument counts.
    #[error("`{func}` takes {expected} argument(s), found {found}")]
    WrongArity {
        func: &'static str,
        expected: usize,
        found: usize,
    },
}

// ---------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    And,
    Or,
    Not,
    If,
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Cmp(CmpOp),
    Eof,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

fn column_of(src: &str, offset: usize) -> usize {
    src.get(..offset).map_or(offset, |s| s.chars().count()) + 1
}

fn error_at(src: &str, offset: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        offset,
        column: column_of(src, offset),
        message: message.into(),
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// End of a run of identifier characters and dots starting at `i`.
fn word_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && (is_ident_continue(bytes[i]) || bytes[i] == b'.') {
        i += 1;
    }
    i
}

fn digits_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    i
}

fn lex_number(src: &str, start: usize) -> Result<(f64, usize), ParseError> {
    let bytes = src.as_bytes();
    let n = bytes.len();
    let mut i = digits_end(bytes, start);
    if i < n && bytes[i] == b'.' {
        i = digits_end(bytes, i + 1);
    }
    if i < n && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < n && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        let k = digits_end(bytes, j);
        if k == j {
            let end = word_end(bytes, j);
            return Err(error_at(
                src,
                start,
                format!(
                    "malformed number `{}`: expected digits after the exponent `{}`",
                    &src[start..end],
                    &src[i..j]
                ),
            ));
        }
        i = k;
    }
    if i < n && bytes[i] == b'.' {
        let end = word_end(bytes, i);
        return Err(error_at(
            src,
            start,
            format!("malformed number `{}`", &src[start..end]),
        ));
    }
    let text = &src[start..i];
    if i < n && is_ident_start(bytes[i]) {
        let mut end = i;
        while end < n && is_ident_continue(bytes[end]) {
            end += 1;
        }
        let name = &src[i..end];
        return Err(error_at(
            src,
            i,
            format!(
                "expected an operator after number `{text}`, found name `{name}` \
                 (write `{text} * {name}` to multiply)"
            ),
        ));
    }
    let value: f64 = text
        .parse()
        .map_err(|_| error_at(src, start, format!("malformed number `{text}`")))?;
    if !value.is_finite() {
        return Err(error_at(
            src,
            start,
            format!("number `{text}` is out of range"),
        ));
    }
    Ok((value, i))
}

fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let bytes = src.as_bytes();
    let n = bytes.len();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        let start = i;
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if !b.is_ascii() {
            let c = src
                .get(i..)
                .and_then(|s| s.chars().next())
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            if c.is_whitespace() {
                i += c.len_utf8();
                continue;
            }
            return Err(error_at(src, i, format!("unexpected character `{c}`")));
        }
        let next = bytes.get(i + 1).copied();
        if b.is_ascii_digit() || (b == b'.' && next.is_some_and(|c| c.is_ascii_digit())) {
            let (v, end) = lex_number(src, start)?;
            toks.push(Token {
                tok: Tok::Num(v),
                start,
                end,
            });
            i = end;
            continue;
        }
        if is_ident_start(b) {
            let mut end = i + 1;
            while end < n && is_ident_continue(bytes[end]) {
                end += 1;
            }
            let word = &src[start..end];
            let tok = match word {
                "and" => Tok::And,
                "or" => Tok::Or,
                "not" => Tok::Not,
                "if" => Tok::If,
                _ => Tok::Ident(word.to_string()),
            };
            toks.push(Token { tok, start, end });
            i = end;
            continue;
        }
        let (tok, len) = match (b, next) {
            (b'(', _) => (Tok::LParen, 1),
            (b')', _) => (Tok::RParen, 1),
            (b',', _) => (Tok::Comma, 1),
            (b'+', _) => (Tok::Plus, 1),
            (b'-', _) => (Tok::Minus, 1),
            (b'*', Some(b'*')) => {
                return Err(error_at(
                    src,
                    i,
                    "`**` is not an operator; use `^` for powers",
                ))
            }
            (b'*', _) => (Tok::Star, 1),
            (b'/', _) => (Tok::Slash, 1),
            (b'^', _) => (Tok::Caret, 1),
            (b'<', Some(b'=')) => (Tok::Cmp(CmpOp::Le), 2),
            (b'<', _) => (Tok::Cmp(CmpOp::Lt), 1),
            (b'>', Some(b'=')) => (Tok::Cmp(CmpOp::Ge), 2),
            (b'>', _) => (Tok::Cmp(CmpOp::Gt), 1),
            (b'=', Some(b'=')) => (Tok::Cmp(CmpOp::Eq), 2),
            (b'!', Some(b'=')) => (Tok::Cmp(CmpOp::Ne), 2),
            (b'=', _) => return Err(error_at(src, i, "unexpected `=`; use `==` to compare")),
            (b'!', _) => {
                return Err(error_at(
                    src,
                    i,
                    "unexpected `!`; use `not` for negation or `!=` for inequality",
                ))
            }
            (b'&', _) => {
                return Err(error_at(
                    src,
                    i,
                    "unexpected `&`; use `and` to combine conditions",
                ))
            }
            (b'|', _) => {
                return Err(error_at(
                    src,
                    i,
                    "unexpected `|`; use `or` to combine conditions",
                ))
            }
            _ => {
                return Err(error_at(
                    src,
                    i,
                    format!("unexpected character `{}`", b as char),
                ))
            }
        };
        toks.push(Token {
            tok,
            start,
            end: start + len,
        });
        i += len;
    }
    toks.push(Token {
        tok: Tok::Eof,
        start: n,
        end: n,
    });
    Ok(toks)
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

const EXPECTED_OPERAND: &str = "a number, name, function call or `(`";

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != *cb);
            let delete = prev[j + 1] + 1;
            let insert = cur[j] + 1;
            cur.push(substitute.min(delete).min(insert));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn unknown_function_message(name: &str) -> String {
    let hint = match name {
        "log" => Some("did you mean `ln` (natural logarithm) or `log10`?".to_string()),
        "pow" | "power" => Some("write `x^y` for powers".to_string()),
        "clip" => Some("did you mean `clamp`?".to_string()),
        _ => None,
    };
    if let Some(hint) = hint {
        return format!("unknown function `{name}`; {hint}");
    }
    let lower = name.to_ascii_lowercase();
    let candidates = Func::ALL.iter().map(|f| f.name()).chain(["if"]);
    let limit = if name.chars().count() <= 4 { 1 } else { 2 };
    let mut best: Vec<&str> = Vec::new();
    let mut best_d = usize::MAX;
    for cand in candidates {
        let d = levenshtein(&lower, cand);
        if d > limit {
            continue;
        }
        if d < best_d {
            best_d = d;
            best.clear();
        }
        if d == best_d {
            best.push(cand);
        }
    }
    if best.is_empty() {
        let all: Vec<&str> = Func::ALL.iter().map(|f| f.name()).chain(["if"]).collect();
        format!(
            "unknown function `{name}`; expected one of {}",
            all.join(", ")
        )
    } else {
        let quoted: Vec<String> = best.iter().map(|c| format!("`{c}`")).collect();
        format!(
            "unknown function `{name}`; did you mean {}?",
            quoted.join(" or ")
        )
    }
}

fn arity_message(name: &str, params: &[&str], found: usize) -> String {
    let n = params.len();
    format!(
        "`{name}` takes {n} argument{} ({}), found {found}",
        if n == 1 { "" } else { "s" },
        params.join(", ")
    )
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    /// The token `k` places ahead (the final `Eof` repeats forever).
    fn tok(&self, k: usize) -> &Token {
        let last = self.toks.len().saturating_sub(1);
        &self.toks[(self.pos + k).min(last)]
    }

    fn peek(&self) -> &Tok {
        &self.tok(0).tok
    }

    fn advance(&mut self) -> Token {
        let t = self.tok(0).clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn describe(&self, t: &Token) -> String {
        let text = self.src.get(t.start..t.end).unwrap_or("");
        match &t.tok {
            Tok::Num(_) => format!("number `{text}`"),
            Tok::Ident(s) => format!("name `{s}`"),
            Tok::And | Tok::Or | Tok::Not | Tok::If => format!("keyword `{text}`"),
            Tok::Eof => "end of input".to_string(),
            _ => format!("`{text}`"),
        }
    }

    fn err(&self, offset: usize, message: impl Into<String>) -> ParseError {
        error_at(self.src, offset, message)
    }

    /// "expected X, found <current token>".
    fn expected(&self, what: &str) -> ParseError {
        let t = self.tok(0);
        self.err(
            t.start,
            format!("expected {what}, found {}", self.describe(t)),
        )
    }

    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(
                self.tok(0).start,
                format!("expression is nested too deeply (more than {MAX_DEPTH} levels)"),
            ));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn parse_or(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.parse_and()?;
        while *self.peek() == Tok::Or {
            self.advance();
            let rhs = self.parse_and()?;
            lhs = Expr::Or(bx(lhs), bx(rhs));
        }
        Ok(lhs)
    }

    fn parse_and(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.parse_not()?;
        while *self.peek() == Tok::And {
            self.advance();
            let rhs = self.parse_not()?;
            lhs = Expr::And(bx(lhs), bx(rhs));
        }
        Ok(lhs)
    }

    fn parse_not(&mut self) -> Result<Expr, ParseError> {
        if *self.peek() == Tok::Not {
            self.advance();
            let inner = self.nested(Self::parse_not)?;
            Ok(Expr::Not(bx(inner)))
        } else {
            self.parse_cmp()
        }
    }

    fn parse_cmp(&mut self) -> Result<Expr, ParseError> {
        let start = self.tok(0).start;
        let lhs = self.parse_add()?;
        let Tok::Cmp(op) = *self.peek() else {
            return Ok(lhs);
        };
        self.advance();
        let rhs = self.parse_add()?;
        if let Tok::Cmp(op2) = *self.peek() {
            let end = self.toks[self.pos.saturating_sub(1)].end;
            let first = self.src.get(start..end).unwrap_or("");
            return Err(self.err(
                self.tok(0).start,
                format!(
                    "comparisons cannot be chained: `{first}` is followed by `{}`; \
                     combine comparisons with `and`",
                    op2.symbol()
                ),
            ));
        }
        Ok(Expr::Cmp(op, bx(lhs), bx(rhs)))
    }

    fn parse_add(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.parse_mul()?;
        loop {
            let op = match self.peek() {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(lhs),
            };
            self.advance();
            let rhs = self.parse_mul()?;
            lhs = Expr::Bin(op, bx(lhs), bx(rhs));
        }
    }

    fn parse_mul(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.parse_unary()?;
        loop {
            let op = match self.peek() {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => return Ok(lhs),
            };
            self.advance();
            let rhs = self.parse_unary()?;
            lhs = Expr::Bin(op, bx(lhs), bx(rhs));
        }
    }

    fn parse_unary(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            Tok::Minus => {
                self.advance();
                // `-<literal>` is a negative literal unless the literal is a power base.
                if let Tok::Num(v) = self.tok(0).tok {
                    if self.tok(1).tok != Tok::Caret {
                        self.advance();
                        return Ok(Expr::Num(-v));
                    }
                }
                let inner = self.nested(Self::parse_unary)?;
                Ok(Expr::Neg(bx(inner)))
            }
            Tok::Plus => {
                self.advance();
                self.nested(Self::parse_unary)
            }
            _ => self.parse_pow(),
        }
    }

    fn parse_pow(&mut self) -> Result<Expr, ParseError> {
        let base = self.parse_atom()?;
        if *self.peek() == Tok::Caret {
            self.advance();
            let exponent = self.nested(Self::parse_unary)?;
            Ok(Expr::Bin(BinOp::Pow, bx(base), bx(exponent)))
        } else {
            Ok(base)
        }
    }

    fn parse_atom(&mut self) -> Result<Expr, ParseError> {
        let t = self.tok(0).clone();
        match t.tok {
            Tok::Num(v) => {
                self.advance();
                Ok(Expr::Num(v))
            }
            Tok::Ident(name) => {
                self.advance();
                if *self.peek() != Tok::LParen {
                    return Ok(Expr::Var(name));
                }
                let Some(func) = Func::from_name(&name) else {
                    return Err(self.err(t.start, unknown_function_message(&name)));
                };
                let args = self.parse_args(&name)?;
                if args.len() != func.arity() {
                    return Err(self.err(t.start, arity_message(&name, func.params(), args.len())));
                }
                Ok(Expr::Call(func, args))
            }
            Tok::If => {
                self.advance();
                if *self.peek() != Tok::LParen {
                    return Err(self.expected("`(` after `if`"));
                }
                let args = self.parse_args("if")?;
                match <[Expr; 3]>::try_from(args) {
                    Ok([c, a, b]) => Ok(Expr::If(bx(c), bx(a), bx(b))),
                    Err(args) => Err(self.err(
                        t.start,
                        arity_message("if", &["condition", "then", "else"], args.len()),
                    )),
                }
            }
            Tok::LParen => {
                self.advance();
                let inner = self.nested(Self::parse_or)?;
                if *self.peek() == Tok::RParen {
                    self.advance();
                    Ok(inner)
                } else {
                    Err(self.expected(&format!(
                        "`)` to close the `(` at column {}",
                        column_of(self.src, t.start)
                    )))
                }
            }
            _ => Err(self.expected(EXPECTED_OPERAND)),
        }
    }

    /// Parses `( [expr {, expr}] )`; the current token is the `(`.
    fn parse_args(&mut self, name: &str) -> Result<Vec<Expr>, ParseError> {
        let open = self.advance();
        let mut args = Vec::new();
        if *self.peek() == Tok::RParen {
            self.advance();
            return Ok(args);
        }
        loop {
            args.push(self.nested(Self::parse_or)?);
            match self.peek() {
                Tok::Comma => {
                    self.advance();
                }
                Tok::RParen => {
                    self.advance();
                    return Ok(args);
                }
                _ => {
                    return Err(self.expected(&format!(
                        "`,` or `)` after an argument of `{name}` (opened at column {})",
                        column_of(self.src, open.start)
                    )))
                }
            }
        }
    }
}

/// Parses an expression (see the module documentation for the grammar).
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let toks = lex(src)?;
    if matches!(toks.first(), Some(Token { tok: Tok::Eof, .. })) {
        return Err(error_at(
            src,
            0,
            format!("empty expression: expected {EXPECTED_OPERAND}"),
        ));
    }
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        depth: 0,
    };
    let e = p.parse_or()?;
    match p.peek() {
        Tok::Eof => Ok(e),
        Tok::RParen => Err(p.expected("an operator or end of input (unmatched `)`)")),
        _ => Err(p.expected("an operator or end of input")),
    }
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Tree operations and evaluation
// ---------------------------------------------------------------------------

fn bool_num(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// Truth value of a condition; `None` for NaN.
fn truth(v: f64) -> Option<bool> {
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
    /// Calls `f` on each direct child.
    fn for_each_child(&self, f: &mut dyn FnMut(&Expr)) {
        match self {
            Expr::Num(_) | Expr::Var(_) => {}
            Expr::Neg(a) | Expr::Not(a) => f(a),
            Expr::Bin(_, a, b) | Expr::Cmp(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
                f(a);
                f(b);
            }
            Expr::Call(_, args) => args.iter().for_each(f),
            Expr::If(c, a, b) => {
                f(c);
                f(a);
                f(b);
            }
        }
    }

    /// Rebuilds the node with every direct child replaced by `f(child)`.
    fn map_children(&self, f: &mut dyn FnMut(&Expr) -> Expr) -> Expr {
        match self {
            Expr::Num(v) => Expr::Num(*v),
            Expr::Var(s) => Expr::Var(s.clone()),
            Expr::Neg(a) => Expr::Neg(bx(f(a))),
            Expr::Not(a) => Expr::Not(bx(f(a))),
            Expr::Bin(op, a, b) => Expr::Bin(*op, bx(f(a)), bx(f(b))),
            Expr::Cmp(op, a, b) => Expr::Cmp(*op, bx(f(a)), bx(f(b))),
            Expr::And(a, b) => Expr::And(bx(f(a)), bx(f(b))),
            Expr::Or(a, b) => Expr::Or(bx(f(a)), bx(f(b))),
            Expr::Call(func, args) => Expr::Call(*func, args.iter().map(f).collect()),
            Expr::If(c, a, b) => Expr::If(bx(f(c)), bx(f(a)), bx(f(b))),
        }
    }

    /// All variable names used, sorted and without repetitions.
    pub fn symbols(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.visit_symbols(&mut |s| {
            if !out.contains(s) {
                out.insert(s.to_string());
            }
        });
        out
    }

    /// Calls `f` for every variable occurrence, left to right (repeats included).
    pub fn visit_symbols(&self, f: &mut impl FnMut(&str)) {
        if let Expr::Var(name) = self {
            f(name);
        } else {
            self.for_each_child(&mut |c| c.visit_symbols(f));
        }
    }

    /// Whether the variable `name` occurs anywhere in the expression.
    pub fn contains_symbol(&self, name: &str) -> bool {
        match self {
            Expr::Var(v) => v == name,
            _ => {
                let mut found = false;
                self.for_each_child(&mut |c| found = found || c.contains_symbol(name));
                found
            }
        }
    }

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

    /// Replaces every variable for which `f` returns `Some` (the replacement
    /// itself is not substituted again).
    pub fn substitute(&self, f: &dyn Fn(&str) -> Option<Expr>) -> Expr {
        match self {
            Expr::Var(name) => f(name).unwrap_or_else(|| self.clone()),
            _ => self.map_children(&mut |c| c.substitute(f)),
        }
    }

    /// Rewrites `hill`, `inhibit` and `clamp` (everywhere in the tree) into
    /// core operations; evaluates to exactly the same values.
    pub fn expand_sugar(&self) -> Expr {
        if let Expr::Call(func @ (Func::Hill | Func::Inhibit | Func::Clamp), args) = self {
            let args: Vec<Expr> = args.iter().map(Expr::expand_sugar).collect();
            if let [a0, a1, a2] = args.as_slice() {
                let pow = |a: &Expr, b: &Expr| Expr::Bin(BinOp::Pow, bx(a.clone()), bx(b.clone()));
                let sum = |a: Expr, b: Expr| Expr::Bin(BinOp::Add, bx(a), bx(b));
                let div = |a: Expr, b: Expr| Expr::Bin(BinOp::Div, bx(a), bx(b));
                return match func {
                    // hill(x, K, n) = x^n / (K^n + x^n)
                    Func::Hill => div(pow(a0, a2), sum(pow(a1, a2), pow(a0, a2))),
                    // inhibit(x, K, n) = K^n / (K^n + x^n)
                    Func::Inhibit => div(pow(a1, a2), sum(pow(a1, a2), pow(a0, a2))),
                    // clamp(x, lo, hi) = min(max(x, lo), hi)
                    _ => Expr::Call(
                        Func::Min,
                        vec![
                            Expr::Call(Func::Max, vec![a0.clone(), a1.clone()]),
                            a2.clone(),
                        ],
                    ),
                };
            }
            return Expr::Call(*func, args);
        }
        self.map_children(&mut |c| c.expand_sugar())
    }

    /// Whether the top of the tree is boolean-valued (comparison, `and`, `or`, `not`).
    pub fn is_boolean(&self) -> bool {
        matches!(
            self,
            Expr::Cmp(..) | Expr::And(..) | Expr::Or(..) | Expr::Not(..)
        )
    }
}

// ---------------------------------------------------------------------------
// Simplification
// ---------------------------------------------------------------------------

fn is_num(e: &Expr, v: f64) -> bool {
    matches!(e, Expr::Num(x) if *x == v)
}

fn is_zero(e: &Expr) -> bool {
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

fn mk_neg(a: Expr) -> Expr {
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

fn mk_add(a: Expr, b: Expr) -> Expr {
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

fn mk_sub(a: Expr, b: Expr) -> Expr {
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

fn mk_mul(a: Expr, b: Expr) -> Expr {
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

fn mk_div(a: Expr, b: Expr) -> Expr {
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

fn mk_pow(a: Expr, b: Expr) -> Expr {
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

fn mk_call(func: Func, args: Vec<Expr>) -> Expr {
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

fn mk_cmp(op: CmpOp, a: Expr, b: Expr) -> Expr {
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

fn mk_if(c: Expr, a: Expr, b: Expr) -> Expr {
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

// ---------------------------------------------------------------------------
// Differentiation
// ---------------------------------------------------------------------------

/// The derivative of `e` with respect to the variable `var`, simplified.
///
/// Piecewise functions differentiate piecewise: `abs(u)` gives
/// `if(u >= 0, u', -u')`, `min(a, b)` gives `if(a <= b, a', b')`, `max(a, b)`
/// gives `if(a >= b, a', b')`, `if(c, a, b)` gives `if(c, a', b')`;
/// comparisons and logical operators have derivative 0. A call with the wrong
/// number of arguments (impossible after [`parse`]) differentiates to NaN.
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn num(v: f64) -> Expr {
        Expr::Num(v)
    }
    fn var(s: &str) -> Expr {
        Expr::Var(s.to_string())
    }
    fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        Expr::Bin(op, bx(a), bx(b))
    }

    /// Values for every name used in the tests.
    const ENVS: [&[(&str, f64)]; 3] = [
        &[
            ("x", 0.7),
            ("y", 1.3),
            ("t", 2.0),
            ("k", 0.8),
            ("K", 1.1),
            ("n", 2.3),
            ("v", 1.7),
            ("c", 0.4),
            ("w", 0.6),
        ],
        &[
            ("x", 1.9),
            ("y", 0.45),
            ("t", 4.5),
            ("k", 1.6),
            ("K", 0.9),
            ("n", 1.4),
            ("v", 0.3),
            ("c", 1.2),
            ("w", 1.5),
        ],
        &[
            ("x", 2.6),
            ("y", 1.8),
            ("t", 3.7),
            ("k", 0.25),
            ("K", 2.2),
            ("n", 3.1),
            ("v", 2.4),
            ("c", -0.5),
            ("w", 0.35),
        ],
    ];

    fn eval_in(e: &Expr, env: &[(&str, f64)]) -> Result<f64, EvalError> {
        e.eval(&|s| env.iter().find(|(n, _)| *n == s).map(|(_, v)| *v))
    }

    fn eval_str(src: &str, env: &[(&str, f64)]) -> f64 {
        let e = parse(src).unwrap_or_else(|err| panic!("{src}: {err}"));
        eval_in(&e, env).unwrap_or_else(|err| panic!("{src}: {err}"))
    }

    // ----- parsing and precedence -------------------------------------------------

    #[test]
    fn precedence_by_value() {
        let env: &[(&str, f64)] = &[("x", 3.0), ("y", 1.0)];
        let cases: &[(&str, f64)] = &[
            ("-2^2", -4.0),
            ("2^3^2", 512.0),
            ("(2^3)^2", 64.0),
            ("1 - 2 - 3", -4.0),
            ("1 - (2 - 3)", 2.0),
            ("8/2/2", 2.0),
            ("8/(2/2)", 8.0),
            ("2 + 3 * 4", 14.0),
            ("(2 + 3) * 4", 20.0),
            ("2 * 3 + 4", 10.0),
            ("10 - 2 * 3 ^ 2 / 6", 7.0),
            ("2^-1", 0.5),
            ("-2^-2", -0.25),
            ("2^-x^2", 2f64.powf(-9.0)),
            ("-x^2", -9.0),
            ("(-x)^2", 9.0),
            ("--x", 3.0),
            ("-(-2)", 2.0),
            ("+x", 3.0),
            ("- -x", 3.0),
            ("x * -y", -3.0),
            ("x - -y", 4.0),
            ("6 / -2 * 3", -9.0),
            (".5 + 1e-3", 0.501),
            ("2.5E+4", 25000.0),
            ("1.", 1.0),
            ("1.5e2", 150.0),
            ("if(x > 1 and not (y < 0), 3, 4)", 3.0),
            ("if(x > 4 and not (y < 0), 3, 4)", 4.0),
            ("if(x > 1 and not (y < 2), 3, 4)", 4.0),
            ("1 < 2 and 2 < 3", 1.0),
            ("1 > 2 or 3 >= 3", 1.0),
            ("1 > 2 or 3 > 3", 0.0),
            ("0 and 1 or 1", 1.0),
            ("1 or 1 and 0", 1.0),
            ("not 1 > 2", 1.0),
            ("not not 0", 0.0),
            ("x == 3", 1.0),
            ("x != 3", 0.0),
            ("x <= 3", 1.0),
            ("x < 3", 0.0),
            ("x >= 3.5", 0.0),
            ("1 + 2 < 4", 1.0),
            ("hill(2, 2, 3)", 0.5),
            ("inhibit(2, 2, 3)", 0.5),
            ("hill(x, 1, 2)", 0.9),
            ("inhibit(x, 1, 2)", 0.1),
            ("clamp(5, 0, 3)", 3.0),
            ("clamp(-1, 0, 3)", 0.0),
            ("clamp(2, 0, 3)", 2.0),
            ("min(1, 2)", 1.0),
            ("max(1, 2)", 2.0),
            ("log10(1000)", 3.0),
            ("ln(exp(2))", 2.0),
            ("sqrt(16)", 4.0),
            ("abs(-3)", 3.0),
            ("exp(0)", 1.0),
            ("if(y, 5, 6)", 5.0),
            ("if(0, 5, 6)", 6.0),
            ("2 * if(x > 2, x, 0) + 1", 7.0),
        ];
        for (src, want) in cases {
            let got = eval_str(src, env);
            assert!(
                (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                "{src}: got {got}, want {want}"
            );
        }
    }

    #[test]
    fn precedence_by_tree() {
        use BinOp::*;
        let cases: Vec<(&str, Expr)> = vec![
            ("-2", num(-2.0)),
            ("- 2", num(-2.0)),
            ("-x", Expr::Neg(bx(var("x")))),
            ("-2^2", Expr::Neg(bx(bin(Pow, num(2.0), num(2.0))))),
            ("-(2)", Expr::Neg(bx(num(2.0)))),
            ("a - -2", bin(Sub, var("a"), num(-2.0))),
            ("x^-1", bin(Pow, var("x"), num(-1.0))),
            ("a^b^c", bin(Pow, var("a"), bin(Pow, var("b"), var("c")))),
            (
                "a - b - c",
                bin(Sub, bin(Sub, var("a"), var("b")), var("c")),
            ),
            (
                "not a and b",
                Expr::And(bx(Expr::Not(bx(var("a")))), bx(var("b"))),
            ),
            (
                "a or b and c",
                Expr::Or(bx(var("a")), bx(Expr::And(bx(var("b")), bx(var("c"))))),
            ),
            (
                "a < b + 1",
                Expr::Cmp(CmpOp::Lt, bx(var("a")), bx(bin(Add, var("b"), num(1.0)))),
            ),
            ("exp", var("exp")),
            ("_k2", var("_k2")),
            ("+x", var("x")),
            (
                "if(c, a, b)",
                Expr::If(bx(var("c")), bx(var("a")), bx(var("b"))),
            ),
            (
                "hill(x, K, n)",
                Expr::Call(Func::Hill, vec![var("x"), var("K"), var("n")]),
            ),
            (
                "min(a,b)*2",
                bin(
                    Mul,
                    Expr::Call(Func::Min, vec![var("a"), var("b")]),
                    num(2.0),
                ),
            ),
            (
                "  x\t*\n(y + 1)  ",
                bin(Mul, var("x"), bin(Add, var("y"), num(1.0))),
            ),
        ];
        for (src, want) in cases {
            assert_eq!(parse(src), Ok(want), "{src}");
        }
    }

    // ----- errors ---------------------------------------------------------------------

    #[test]
    fn parse_errors_have_message_and_column() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 1, "empty expression: expected a number, name, function call or `(`"),
            ("   ", 1, "empty expression: expected a number, name, function call or `(`"),
            ("1 +", 4, "expected a number, name, function call or `(`, found end of input"),
            ("2 * (x + )", 10, "expected a number, name, function call or `(`, found `)`"),
            ("(1 + 2", 7, "expected `)` to close the `(` at column 1, found end of input"),
            ("((1) + 2 3)", 10, "expected `)` to close the `(` at column 1, found number `3`"),
            (
                "1 + 2)",
                6,
                "expected an operator or end of input (unmatched `)`), found `)`",
            ),
            ("x y", 3, "expected an operator or end of input, found name `y`"),
            ("1.2.3", 1, "malformed number `1.2.3`"),
            ("x + 1e", 5, "malformed number `1e`: expected digits after the exponent `e`"),
            ("2E+ * 3", 1, "malformed number `2E+`: expected digits after the exponent `E+`"),
            ("1e999", 1, "number `1e999` is out of range"),
            (
                "3 + 2x",
                6,
                "expected an operator after number `2`, found name `x` (write `2 * x` to multiply)",
            ),
            ("expp(x)", 1, "unknown function `expp`; did you mean `exp`?"),
            ("1 + Hill(x, K, n)", 5, "unknown function `Hill`; did you mean `hill`?"),
            ("mix(a, b)", 1, "unknown function `mix`; did you mean `min` or `max`?"),
            (
                "2 * log(x)",
                5,
                "unknown function `log`; did you mean `ln` (natural logarithm) or `log10`?",
            ),
            ("pow(x, 2)", 1, "unknown function `pow`; write `x^y` for powers"),
            (
                "foo(1)",
                1,
                "unknown function `foo`; expected one of exp, ln, log10, sqrt, abs, min, max, hill, inhibit, clamp, if",
            ),
            ("hill(x, K)", 1, "`hill` takes 3 arguments (x, K, n), found 2"),
            ("1 + exp()", 5, "`exp` takes 1 argument (x), found 0"),
            ("max(1, 2, 3)", 1, "`max` takes 2 arguments (a, b), found 3"),
            ("if(x > 1, 2)", 1, "`if` takes 3 arguments (condition, then, else), found 2"),
            ("if x > 1", 4, "expected `(` after `if`, found name `x`"),
            (
                "min(x, y",
                9,
                "expected `,` or `)` after an argument of `min` (opened at column 4), found end of input",
            ),
            (
                "a < b < c",
                7,
                "comparisons cannot be chained: `a < b` is followed by `<`; combine comparisons with `and`",
            ),
            ("x = 1", 3, "unexpected `=`; use `==` to compare"),
            ("x ** 2", 3, "`**` is not an operator; use `^` for powers"),
            ("a && b", 3, "unexpected `&`; use `and` to combine conditions"),
            ("!a", 1, "unexpected `!`; use `not` for negation or `!=` for inequality"),
            ("x $ y", 3, "unexpected character `$`"),
            ("and + 1", 1, "expected a number, name, function call or `(`, found keyword `and`"),
            ("x + not y", 5, "expected a number, name, function call or `(`, found keyword `not`"),
            ("min(1,)", 7, "expected a number, name, function call or `(`, found `)`"),
        ];
        for (src, column, message) in cases {
            let err = parse(src).expect_err(src);
            assert_eq!(
                (err.column, err.message.as_str()),
                (*column, *message),
                "input {src:?}"
            );
            assert_eq!(err.to_string(), format!("at column {column}: {message}"));
        }
    }

    #[test]
    fn error_columns_count_characters_not_bytes() {
        // Two no-break spaces (2 bytes each) before the bad character.
        let src = "x +\u{a0}\u{a0}$";
        let err = parse(src).expect_err("bad char");
        assert_eq!(err.offset, 7);
        assert_eq!(err.column, 6);
        assert_eq!(err.message, "unexpected character `$`");
        let err = parse("µ + 1").expect_err("non-ascii");
        assert_eq!(
            (err.column, err.message.as_str()),
            (1, "unexpected character `µ`")
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("{}x{}", "(".repeat(5000), ")".repeat(5000));
        let err = parse(&src).expect_err("too deep");
        assert!(err.message.contains("nested too deeply"), "{}", err.message);
        let src = format!("{}x", "-".repeat(5000));
        assert!(parse(&src).is_err());
        let ok = format!("{}x{}", "(".repeat(50), ")".repeat(50));
        assert_eq!(parse(&ok), Ok(var("x")));
    }

    #[test]
    fn levenshtein_distances() {
        assert_eq!(levenshtein("", ""), 0);
        assert_eq!(levenshtein("exp", "exp"), 0);
        assert_eq!(levenshtein("expp", "exp"), 1);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("inhibt", "inhibit"), 1);
    }

    // ----- evaluation and tree utilities ---------------------------------------------

    #[test]
    fn eval_unknown_symbol_is_named() {
        let e = parse("k * x + missing_one").expect("parses");
        let err = eval_in(&e, &[("k", 1.0), ("x", 2.0)]).expect_err("unknown");
        assert_eq!(err, EvalError::UnknownSymbol("missing_one".into()));
        assert_eq!(err.to_string(), "unknown symbol `missing_one`");
    }

    #[test]
    fn eval_is_lazy_and_propagates_nan_conditions() {
        let e = parse("if(x > 0, x, undefined_name)").expect("parses");
        assert_eq!(eval_in(&e, &[("x", 2.0)]), Ok(2.0));
        let e = parse("if(x, 1, 2)").expect("parses");
        assert!(eval_in(&e, &[("x", f64::NAN)]).expect("ok").is_nan());
        let e = parse("min(x, 1)").expect("parses");
        assert!(eval_in(&e, &[("x", f64::NAN)]).expect("ok").is_nan());
        let e = parse("0 and nothing or 1").expect("parses");
        assert_eq!(eval_in(&e, &[]), Ok(1.0));
    }

    #[test]
    fn eval_wrong_arity_of_hand_built_tree() {
        let e = Expr::Call(Func::Hill, vec![num(1.0)]);
        assert_eq!(
            e.eval(&|_| None),
            Err(EvalError::WrongArity {
                func: "hill",
                expected: 3,
                found: 1
            })
        );
        let e = Expr::Call(Func::Exp, vec![num(1.0); 4]);
        assert!(e.eval(&|_| None).is_err());
        assert!(
            matches!(derivative(&Expr::Call(Func::Min, vec![var("x")]), "x"), Expr::Num(v) if v.is_nan())
        );
    }

    #[test]
    fn symbols_and_visit() {
        let e = parse("k * x + hill(y, K, n) - if(t > 3, x, exp)").expect("parses");
        let syms: Vec<String> = e.symbols().into_iter().collect();
        assert_eq!(syms, ["K", "exp", "k", "n", "t", "x", "y"]);
        let mut seen = Vec::new();
        e.visit_symbols(&mut |s| seen.push(s.to_string()));
        assert_eq!(seen, ["k", "x", "y", "K", "n", "t", "x", "exp"]);
        assert!(e.contains_symbol("t"));
        assert!(!e.contains_symbol("z"));
    }

    #[test]
    fn substitute_replaces_variables() {
        let e = parse("k * x + x^2").expect("parses");
        let s = e.substitute(&|name| (name == "x").then(|| parse("y + 1").expect("parses")));
        assert_eq!(s.to_string(), "k * (y + 1) + (y + 1)^2");
        // The replacement is not substituted again.
        let s = e.substitute(&|name| (name == "x").then(|| var("x")));
        assert_eq!(s, e);
    }

    #[test]
    fn expand_sugar_rewrites_and_preserves_values() {
        let cases = [
            ("hill(x, K, n)", "x^n / (K^n + x^n)"),
            ("inhibit(x, K, n)", "K^n / (K^n + x^n)"),
            ("clamp(x, 0, 1)", "min(max(x, 0), 1)"),
            (
                "1 + hill(clamp(x, c, k), K, 2)",
                "1 + min(max(x, c), k)^2 / (K^2 + min(max(x, c), k)^2)",
            ),
            ("exp(x) + min(x, y)", "exp(x) + min(x, y)"),
        ];
        for (src, want) in cases {
            let e = parse(src).expect("parses");
            let x = e.expand_sugar();
            assert_eq!(x.to_string(), want);
            for env in ENVS {
                assert_eq!(eval_in(&e, env), eval_in(&x, env), "{src}");
            }
        }
    }

    #[test]
    fn is_boolean_looks_at_the_top() {
        for (src, want) in [
            ("x < 1", true),
            ("a and b", true),
            ("a or b", true),
            ("not a", true),
            ("(x < 1)", true),
            ("x + (x < 1)", false),
            ("if(x < 1, 1, 0)", false),
            ("x", false),
        ] {
            assert_eq!(parse(src).expect("parses").is_boolean(), want, "{src}");
        }
    }

    #[test]
    fn func_names_round_trip() {
        for f in Func::ALL {
            assert_eq!(Func::from_name(f.name()), Some(f));
            assert_eq!(f.arity(), f.params().len());
        }
        assert_eq!(Func::from_name("if"), None);
        assert_eq!(Func::from_name("Exp"), None);
        assert_eq!(Func::Hill.arity(), 3);
        assert_eq!(Func::Min.arity(), 2);
        assert_eq!(Func::Sqrt.arity(), 1);
    }

    // ----- printing -------------------------------------------------------------------

    #[test]
    fn display_uses_minimal_parentheses() {
        let cases = [
            ("(a + b) * c", "(a + b) * c"),
            ("a + (b * c)", "a + b * c"),
            ("a - (b - c)", "a - (b - c)"),
            ("(a - b) - c", "a - b - c"),
            ("a / (b * c)", "a / (b * c)"),
            ("(a^b)^c", "(a^b)^c"),
            ("a^(b^c)", "a^b^c"),
            ("-(x^2)", "-x^2"),
            ("(-x)^2", "(-x)^2"),
            ("(-2)^x", "(-2)^x"),
            ("2^(-1)", "2^-1"),
            ("x^(-y)", "x^-y"),
            ("x^(a*b)", "x^(a * b)"),
            ("-(2)", "-(2)"),
            ("-(-2)", "--2"),
            ("-(a+b)", "-(a + b)"),
            ("not (a and b)", "not (a and b)"),
            ("(not a) and b", "not a and b"),
            ("a or (b or c)", "a or (b or c)"),
            ("(a < b) == (c < d)", "(a < b) == (c < d)"),
            ("(a + 1) < b", "a + 1 < b"),
            ("-(not a)", "-(not a)"),
            ("if(a<b,1,2)*3", "if(a < b, 1, 2) * 3"),
            (
                "1e-7 + 2e20 + 0.001 + 123456.5",
                "1e-7 + 2e20 + 0.001 + 123456.5",
            ),
        ];
        for (src, want) in cases {
            let e = parse(src).expect("parses");
            assert_eq!(e.to_string(), want, "{src}");
            assert_eq!(parse(want), Ok(e), "{want}");
        }
        assert_eq!(num(f64::INFINITY).to_string(), "(1/0)");
        assert_eq!(num(f64::NEG_INFINITY).to_string(), "(-1/0)");
        assert!(
            eval_in(&parse(&num(f64::NAN).to_string()).expect("parses"), &[])
                .expect("evaluates")
                .is_nan()
        );
    }

    // ----- simplifier -----------------------------------------------------------------

    #[test]
    fn simplifier_rules() {
        let cases = [
            ("x + 0", "x"),
            ("0 + x", "x"),
            ("x - 0", "x"),
            ("0 - x", "-x"),
            ("x * 1", "x"),
            ("1 * x", "x"),
            ("x * 0", "0"),
            ("0 * x", "0"),
            ("0 / x", "0"),
            ("x / 1", "x"),
            ("x^1", "x"),
            ("x^0", "1"),
            ("1^x", "1"),
            ("--x", "x"),
            ("-(2)", "-2"),
            ("-(-(2))", "2"),
            ("2 * 3 + x", "6 + x"),
            ("x * 2", "2 * x"),
            ("x * -1", "-x"),
            ("-x * y", "-(x * y)"),
            ("-(3 * x)", "-3 * x"),
            ("x + -y", "x - y"),
            ("x - -y", "x + y"),
            ("x + -2", "x - 2"),
            ("-x + y", "y - x"),
            ("exp(0) * x", "x"),
            ("ln(1) + x", "x"),
            ("hill(1, 1, 2)", "0.5"),
            ("min(3, 2 * 4) + max(1, 2)", "5"),
            ("1 / 0", "1 / 0"),
            ("ln(0)", "ln(0)"),
            ("if(x > 1, y, y)", "y"),
            ("if(2 > 1, y, z)", "y"),
            ("if(1 > 2, y, z)", "z"),
            ("if(x > 0, 1 + 1, 2)", "2"),
            ("not (1 > 2)", "1"),
            ("1 < 2 and x > 0", "x > 0"),
            ("1 > 2 and x > 0", "0"),
            ("1 > 2 or x > 0", "x > 0"),
            ("1 < 2 or x > 0", "1"),
            ("1 < 2 and x", "1 and x"),
            ("k * x * (1 + 0 * y) - 0", "k * x"),
        ];
        for (src, want) in cases {
            let e = parse(src).expect("parses");
            assert_eq!(simplify(&e).to_string(), want, "{src}");
        }
    }

    // ----- derivatives ----------------------------------------------------------------

    const DERIV_CASES: &[&str] = &[
        "k * x * hill(y, K, n)",
        "v / (1 + exp(-(x - c) / w))",
        "x^y",
        "min(x, 2 * y)",
        "if(t > 3, x^2, ln(x))",
        "sqrt(x * y)",
        "inhibit(x, K, n)",
        "clamp(x * y, 0.5, 2)",
        "abs(x - y)",
        "max(x^2, y)",
        "log10(x^2 + y)",
        "2^x * x^-1.5",
        "x^n / (K^n + x^n)",
        "exp(-k * t) * x / (1 + y)^2",
        "-x^3 + 4 * x * y - y / x",
        "k * x * (1 - x / K) - v * x * y / (K + x)",
        "if(x > y and not (t < 1), x * y, -x)",
        "hill(x, K, 2) * inhibit(y, K, 3)",
        "(x + y)^(t / 2)",
        "x^0 + x^1 + 3 * x^2 + x^(1/2)",
        "ln(x) * exp(x / y) - sqrt(k) * abs(t)",
        "(x < y) * x + (not (x < y)) * y",
    ];

    /// Fourth-order central difference of `e` in `name` at `env`.
    fn central_difference(e: &Expr, env: &[(&str, f64)], name: &str) -> f64 {
        let x0 = env
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .expect("variable present");
        let h = 1e-3 * x0.abs().max(1.0);
        let at = |x: f64| {
            let shifted: Vec<(&str, f64)> = env
                .iter()
                .map(|(n, v)| (*n, if *n == name { x } else { *v }))
                .collect();
            eval_in(e, &shifted).expect("evaluates")
        };
        (at(x0 - 2.0 * h) - 8.0 * at(x0 - h) + 8.0 * at(x0 + h) - at(x0 + 2.0 * h)) / (12.0 * h)
    }

    /// Patterns the simplifier should have removed.
    fn trivial_pattern(e: &Expr) -> Option<String> {
        let found = match e {
            Expr::Bin(BinOp::Add | BinOp::Sub, a, b) if is_zero(a) || is_zero(b) => true,
            Expr::Bin(BinOp::Mul, a, b)
                if is_zero(a) || is_zero(b) || is_num(a, 1.0) || is_num(b, 1.0) =>
            {
                true
            }
            Expr::Bin(BinOp::Div, a, b) if is_zero(a) || is_num(b, 1.0) => true,
            Expr::Bin(BinOp::Pow, _, b) if is_zero(b) || is_num(b, 1.0) => true,
            Expr::Bin(_, a, b) if matches!((&**a, &**b), (Expr::Num(_), Expr::Num(_))) => true,
            Expr::Neg(a) if matches!(**a, Expr::Neg(_) | Expr::Num(_)) => true,
            Expr::If(_, a, b) if a == b => true,
            _ => false,
        };
        if found {
            return Some(e.to_string());
        }
        let mut out = None;
        e.for_each_child(&mut |c| {
            if out.is_none() {
                out = trivial_pattern(c);
            }
        });
        out
    }

    #[test]
    fn derivatives_match_finite_differences() {
        let mut checked = 0;
        for src in DERIV_CASES {
            let e = parse(src).expect("parses");
            for name in e.symbols() {
                let d = derivative(&e, &name);
                assert_eq!(trivial_pattern(&d), None, "d/d{name} {src} = {d}");
                assert_eq!(parse(&d.to_string()), Ok(d.clone()), "round trip of {d}");
                for env in ENVS {
                    let sym = eval_in(&d, env).expect("derivative evaluates");
                    let fd = central_difference(&e, env, &name);
                    assert!(sym.is_finite(), "d/d{name} {src} = {d} -> {sym}");
                    let tol = 1e-6 * sym.abs().max(fd.abs()) + 1e-9;
                    assert!(
                        (sym - fd).abs() <= tol,
                        "d/d{name} {src} = {d}: symbolic {sym}, finite difference {fd}"
                    );
                    checked += 1;
                }
            }
            // A variable that does not occur differentiates to exactly 0.
            assert_eq!(derivative(&e, "absent"), num(0.0));
        }
        assert!(checked > 150);
    }

    #[test]
    fn derivatives_are_compact() {
        let cases = [
            ("k * x", "x", "k"),
            ("x^2", "x", "2 * x"),
            ("x^3", "x", "3 * x^2"),
            ("x^-1", "x", "-x^-2"),
            ("x^0.5", "x", "0.5 * x^-0.5"),
            ("x^n", "x", "n * x^(n - 1)"),
            ("x^y", "x", "y * x^(y - 1)"),
            ("x^y", "y", "x^y * ln(x)"),
            ("x^x", "x", "x^x * (ln(x) + x / x)"),
            ("k * x * hill(y, K, n)", "x", "k * hill(y, K, n)"),
            ("exp(-k * t)", "t", "-(exp(-(k * t)) * k)"),
            ("ln(x)", "x", "1 / x"),
            ("sqrt(x * y)", "x", "y / (2 * sqrt(x * y))"),
            ("v / (K + x)", "x", "-(v / (K + x)^2)"),
            ("x / K", "x", "1 / K"),
            ("min(x, 2 * y)", "y", "if(x <= 2 * y, 0, 2)"),
            ("abs(x)", "x", "if(x >= 0, 1, -1)"),
            ("if(t > 3, x^2, ln(x))", "x", "if(t > 3, 2 * x, 1 / x)"),
            ("if(t > 3, x^2, ln(x))", "t", "0"),
            ("x < 3", "x", "0"),
            ("3 * x + 2", "x", "3"),
            ("-x", "x", "-1"),
        ];
        for (src, v, want) in cases {
            let e = parse(src).expect("parses");
            assert_eq!(derivative(&e, v).to_string(), want, "d/d{v} {src}");
        }
    }

    #[test]
    fn derivative_of_constant_base_power_has_no_base_term() {
        // d/dx 2^x = 2^x * ln(2): the ln term is folded to a number; no `x' / u` term.
        let d = derivative(&parse("2^x").expect("parses"), "x");
        assert_eq!(d.to_string(), format!("{} * 2^x", std::f64::consts::LN_2));
        // Exponent without the variable: never a ln term.
        let d = derivative(&parse("(x + 1)^k").expect("parses"), "x");
        assert!(!d.to_string().contains("ln"), "{d}");
    }

    // ----- property tests -----------------------------------------------------------

    const NAMES: [&str; 7] = ["x", "y", "k_1", "K", "_a", "exp", "minx"];

    fn arb_num() -> impl Strategy<Value = f64> {
        prop_oneof![
            -1000.0..1000.0f64,
            prop::sample::select(vec![
                0.0, -0.0, 1.0, 2.0, -1.0, 0.5, 1e-20, -3.7e25, 0.1, 3.0
            ]),
            any::<f64>().prop_filter("finite", |v| v.is_finite()),
        ]
    }

    fn arb_expr() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            arb_num().prop_map(Expr::Num),
            prop::sample::select(NAMES.to_vec()).prop_map(var),
        ];
        leaf.prop_recursive(6, 64, 3, |inner| {
            let binop = prop::sample::select(vec![
                BinOp::Add,
                BinOp::Sub,
                BinOp::Mul,
                BinOp::Div,
                BinOp::Pow,
            ]);
            let cmpop = prop::sample::select(vec![
                CmpOp::Lt,
                CmpOp::Le,
                CmpOp::Gt,
                CmpOp::Ge,
                CmpOp::Eq,
                CmpOp::Ne,
            ]);
            prop_oneof![
                inner.clone().prop_map(|a| Expr::Neg(bx(a))),
                (binop, inner.clone(), inner.clone()).prop_map(|(op, a, b)| bin(op, a, b)),
                (
                    prop::sample::select(Func::ALL.to_vec()),
                    prop::collection::vec(inner.clone(), 3)
                )
                    .prop_map(|(f, mut args)| {
                        args.truncate(f.arity());
                        Expr::Call(f, args)
                    }),
                (cmpop, inner.clone(), inner.clone()).prop_map(|(op, a, b)| Expr::Cmp(
                    op,
                    bx(a),
                    bx(b)
                )),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(bx(a), bx(b))),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Or(bx(a), bx(b))),
                inner.clone().prop_map(|a| Expr::Not(bx(a))),
                (inner.clone(), inner.clone(), inner).prop_map(|(c, a, b)| Expr::If(
                    bx(c),
                    bx(a),
                    bx(b)
                )),
            ]
        })
    }

    fn arb_env() -> impl Strategy<Value = Vec<(&'static str, f64)>> {
        prop::collection::vec(-3.0..3.0f64, NAMES.len())
            .prop_map(|vals| NAMES.iter().copied().zip(vals).collect())
    }

    fn same_value(a: f64, b: f64) -> bool {
        a == b || (a.is_nan() && b.is_nan())
    }

    /// Every node of the tree (taken branch or not) evaluates to a finite number.
    fn all_finite(e: &Expr, env: &[(&str, f64)]) -> bool {
        if !matches!(eval_in(e, env), Ok(v) if v.is_finite()) {
            return false;
        }
        let mut ok = true;
        e.for_each_child(&mut |c| ok = ok && all_finite(c, env));
        ok
    }

    fn ev(e: &Expr, env: &[(&str, f64)]) -> Result<f64, TestCaseError> {
        eval_in(e, env).map_err(|err| TestCaseError::fail(err.to_string()))
    }

    #[test]
    fn generated_trees_are_mostly_finite_enough_to_test_the_simplifier() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let mut finite = 0;
        let mut simplified_differently = 0;
        for _ in 0..1000 {
            let e = arb_expr().new_tree(&mut runner).expect("tree").current();
            let env = arb_env().new_tree(&mut runner).expect("env").current();
            if all_finite(&e, &env) {
                finite += 1;
                if simplify(&e) != e {
                    simplified_differently += 1;
                }
            }
        }
        assert!(
            finite > 200,
            "only {finite} of 1000 generated trees are finite"
        );
        assert!(
            simplified_differently > 50,
            "only {simplified_differently} simplified"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn display_round_trips(e in arb_expr(), env in arb_env()) {
            let text = e.to_string();
            let back = parse(&text);
            prop_assert_eq!(back.as_ref(), Ok(&e), "printed as {}", text);
            let back = back.map_err(|err| TestCaseError::fail(err.to_string()))?;
            let (a, b) = (ev(&e, &env)?, ev(&back, &env)?);
            prop_assert!(same_value(a, b), "{}: {} vs {}", text, a, b);
        }

        #[test]
        fn simplify_preserves_defined_values(e in arb_expr(), env in arb_env()) {
            prop_assume!(all_finite(&e, &env));
            let s = simplify(&e);
            let (a, b) = (ev(&e, &env)?, ev(&s, &env)?);
            prop_assert!(a == b, "{} = {} but simplified {} = {}", e, a, s, b);
            prop_assert_eq!(parse(&s.to_string()), Ok(s.clone()));
        }

        #[test]
        fn expand_sugar_preserves_values(e in arb_expr(), env in arb_env()) {
            let (a, b) = (ev(&e, &env)?, ev(&e.expand_sugar(), &env)?);
            prop_assert!(same_value(a, b), "{}: {} vs {}", e, a, b);
        }

        #[test]
        fn parser_never_panics(src in "[-+*/^(),.<>=! a-z0-9_]{0,40}") {
            if let Ok(e) = parse(&src) {
                prop_assert_eq!(parse(&e.to_string()), Ok(e));
            }
        }

        #[test]
        fn derivative_never_panics_and_prints_back(e in arb_expr()) {
            let d = derivative(&e, "x");
            let text = d.to_string();
            if d.symbols().iter().all(|s| NAMES.contains(&s.as_str())) && !text.contains("(0/0)") && !text.contains("1/0)") {
                prop_assert_eq!(parse(&text), Ok(d));
            }
        }
    }
}
