//! The recursive-descent parser, with its messages for the usual mistakes.

use super::lex::{column_of, error_at, lex, Tok, Token};
use super::{bx, BinOp, Expr, Func, ParseError, MAX_TREE_DEPTH};
use crate::suggest::{alternatives, close_matches};

/// Deepest nesting (parentheses, unary operators, `not`, exponents) accepted by [`parse`](fn@parse).
const MAX_DEPTH: usize = 200;

const EXPECTED_OPERAND: &str = "a number, name, function call or `(`";

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
    let candidates = Func::ALL.iter().map(|f| f.name()).chain(["if"]);
    let best = close_matches(name, candidates);
    if best.is_empty() {
        let all: Vec<&str> = Func::ALL.iter().map(|f| f.name()).chain(["if"]).collect();
        format!(
            "unknown function `{name}`; expected one of {}",
            all.join(", ")
        )
    } else {
        format!(
            "unknown function `{name}`; did you mean {}?",
            alternatives(&best, '`')
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

/// A parsed subexpression and the depth of its tree (a leaf has depth 1).
struct Tree {
    expr: Expr,
    depth: usize,
}

impl Tree {
    fn leaf(expr: Expr) -> Tree {
        Tree { expr, depth: 1 }
    }
}

fn too_deep_message() -> String {
    format!(
        "expression nests deeper than {MAX_TREE_DEPTH} levels (as a sum or product of more \
         than {MAX_TREE_DEPTH} terms does); split it into named definitions"
    )
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// How deeply the descent is nested (parentheses, arguments, unary operators, `not`,
    /// exponents), capped at [`MAX_DEPTH`].
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

    /// The depth of a node over children of depths `children`, or the error if that is deeper
    /// than [`MAX_TREE_DEPTH`]; `at` is the offset of the operator or call that makes the node.
    fn node_depth(&self, at: usize, children: &[usize]) -> Result<usize, ParseError> {
        let depth = 1 + children.iter().copied().max().unwrap_or(0);
        if depth > MAX_TREE_DEPTH {
            return Err(self.err(at, too_deep_message()));
        }
        Ok(depth)
    }

    /// `lhs <op> rhs` for one of the left-associative operators, `op` at offset `at`.
    fn binary(
        &self,
        at: usize,
        lhs: Tree,
        rhs: Tree,
        make: impl FnOnce(Box<Expr>, Box<Expr>) -> Expr,
    ) -> Result<Tree, ParseError> {
        let depth = self.node_depth(at, &[lhs.depth, rhs.depth])?;
        Ok(Tree {
            expr: make(bx(lhs.expr), bx(rhs.expr)),
            depth,
        })
    }

    fn parse_or(&mut self) -> Result<Tree, ParseError> {
        let mut lhs = self.parse_and()?;
        while *self.peek() == Tok::Or {
            let at = self.advance().start;
            let rhs = self.parse_and()?;
            lhs = self.binary(at, lhs, rhs, Expr::Or)?;
        }
        Ok(lhs)
    }

    fn parse_and(&mut self) -> Result<Tree, ParseError> {
        let mut lhs = self.parse_not()?;
        while *self.peek() == Tok::And {
            let at = self.advance().start;
            let rhs = self.parse_not()?;
            lhs = self.binary(at, lhs, rhs, Expr::And)?;
        }
        Ok(lhs)
    }

    fn parse_not(&mut self) -> Result<Tree, ParseError> {
        if *self.peek() == Tok::Not {
            let at = self.advance().start;
            let inner = self.nested(Self::parse_not)?;
            self.unary(at, inner, Expr::Not)
        } else {
            self.parse_cmp()
        }
    }

    fn parse_cmp(&mut self) -> Result<Tree, ParseError> {
        let start = self.tok(0).start;
        let lhs = self.parse_add()?;
        let Tok::Cmp(op) = *self.peek() else {
            return Ok(lhs);
        };
        let at = self.advance().start;
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
        self.binary(at, lhs, rhs, |a, b| Expr::Cmp(op, a, b))
    }

    fn parse_add(&mut self) -> Result<Tree, ParseError> {
        let mut lhs = self.parse_mul()?;
        loop {
            let op = match self.peek() {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(lhs),
            };
            let at = self.advance().start;
            let rhs = self.parse_mul()?;
            lhs = self.binary(at, lhs, rhs, |a, b| Expr::Bin(op, a, b))?;
        }
    }

    fn parse_mul(&mut self) -> Result<Tree, ParseError> {
        let mut lhs = self.parse_unary()?;
        loop {
            let op = match self.peek() {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => return Ok(lhs),
            };
            let at = self.advance().start;
            let rhs = self.parse_unary()?;
            lhs = self.binary(at, lhs, rhs, |a, b| Expr::Bin(op, a, b))?;
        }
    }

    fn parse_unary(&mut self) -> Result<Tree, ParseError> {
        match self.peek() {
            Tok::Minus => {
                let at = self.advance().start;
                // `-<literal>` is a negative literal unless the literal is a power base.
                if let Tok::Num(v) = self.tok(0).tok {
                    if self.tok(1).tok != Tok::Caret {
                        self.advance();
                        return Ok(Tree::leaf(Expr::Num(-v)));
                    }
                }
                let inner = self.nested(Self::parse_unary)?;
                self.unary(at, inner, Expr::Neg)
            }
            Tok::Plus => {
                self.advance();
                self.nested(Self::parse_unary)
            }
            _ => self.parse_pow(),
        }
    }

    /// `-inner` or `not inner`, the operator at offset `at`.
    fn unary(
        &self,
        at: usize,
        inner: Tree,
        make: impl FnOnce(Box<Expr>) -> Expr,
    ) -> Result<Tree, ParseError> {
        let depth = self.node_depth(at, &[inner.depth])?;
        Ok(Tree {
            expr: make(bx(inner.expr)),
            depth,
        })
    }

    fn parse_pow(&mut self) -> Result<Tree, ParseError> {
        let base = self.parse_atom()?;
        if *self.peek() == Tok::Caret {
            let at = self.advance().start;
            let exponent = self.nested(Self::parse_unary)?;
            self.binary(at, base, exponent, |a, b| Expr::Bin(BinOp::Pow, a, b))
        } else {
            Ok(base)
        }
    }

    // The descent recurses through `parse_atom` once per parenthesis, so its frame is kept
    // small: each kind of atom is parsed by a function of its own.
    fn parse_atom(&mut self) -> Result<Tree, ParseError> {
        let start = self.tok(0).start;
        match self.peek() {
            Tok::Num(v) => {
                let v = *v;
                self.advance();
                Ok(Tree::leaf(Expr::Num(v)))
            }
            Tok::Ident(name) => {
                let name = name.clone();
                self.advance();
                self.parse_name(start, name)
            }
            Tok::If => self.parse_if(start),
            Tok::LParen => self.parse_parenthesized(start),
            _ => Err(self.expected(EXPECTED_OPERAND)),
        }
    }

    /// A variable or, when `(` follows, a function call; `name` started at offset `start`.
    fn parse_name(&mut self, start: usize, name: String) -> Result<Tree, ParseError> {
        if *self.peek() != Tok::LParen {
            return Ok(Tree::leaf(Expr::Var(name)));
        }
        let Some(func) = Func::from_name(&name) else {
            return Err(self.err(start, unknown_function_message(&name)));
        };
        let (args, depths) = self.parse_args(&name)?;
        if args.len() != func.arity() {
            return Err(self.err(start, arity_message(&name, func.params(), args.len())));
        }
        let depth = self.node_depth(start, &depths)?;
        Ok(Tree {
            expr: Expr::Call(func, args),
            depth,
        })
    }

    /// `if(c, a, b)`; the current token is the `if`, at offset `start`.
    fn parse_if(&mut self, start: usize) -> Result<Tree, ParseError> {
        self.advance();
        if *self.peek() != Tok::LParen {
            return Err(self.expected("`(` after `if`"));
        }
        let (args, depths) = self.parse_args("if")?;
        match <[Expr; 3]>::try_from(args) {
            Ok([c, a, b]) => {
                let depth = self.node_depth(start, &depths)?;
                Ok(Tree {
                    expr: Expr::If(bx(c), bx(a), bx(b)),
                    depth,
                })
            }
            Err(args) => Err(self.err(
                start,
                arity_message("if", &["condition", "then", "else"], args.len()),
            )),
        }
    }

    /// `( expr )`; the current token is the `(`, at offset `start`.
    fn parse_parenthesized(&mut self, start: usize) -> Result<Tree, ParseError> {
        self.advance();
        let inner = self.nested(Self::parse_or)?;
        if *self.peek() == Tok::RParen {
            self.advance();
            Ok(inner)
        } else {
            Err(self.expected(&format!(
                "`)` to close the `(` at column {}",
                column_of(self.src, start)
            )))
        }
    }

    /// Parses `( [expr {, expr}] )`; the current token is the `(`. Returns the arguments and
    /// the depths of their trees.
    fn parse_args(&mut self, name: &str) -> Result<(Vec<Expr>, Vec<usize>), ParseError> {
        let open = self.advance();
        let mut args = Vec::new();
        let mut depths = Vec::new();
        if *self.peek() == Tok::RParen {
            self.advance();
            return Ok((args, depths));
        }
        loop {
            let arg = self.nested(Self::parse_or)?;
            args.push(arg.expr);
            depths.push(arg.depth);
            match self.peek() {
                Tok::Comma => {
                    self.advance();
                }
                Tok::RParen => {
                    self.advance();
                    return Ok((args, depths));
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

/// Parses an expression (see the module documentation for the grammar). A tree deeper than
/// [`MAX_TREE_DEPTH`] is refused.
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
    let e = p.parse_or()?.expr;
    match p.peek() {
        Tok::Eof => Ok(e),
        Tok::RParen => Err(p.expected("an operator or end of input (unmatched `)`)")),
        _ => Err(p.expected("an operator or end of input")),
    }
}
