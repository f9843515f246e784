//! The recursive-descent parser, with its messages for the usual mistakes.

use super::lex::{column_of, error_at, lex, Tok, Token};
use super::{bx, BinOp, Expr, Func, ParseError};

/// Deepest nesting (parentheses, unary operators, `not`, exponents) accepted by [`parse`](fn@parse).
const MAX_DEPTH: usize = 200;

const EXPECTED_OPERAND: &str = "a number, name, function call or `(`";

pub(super) fn levenshtein(a: &str, b: &str) -> usize {
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
