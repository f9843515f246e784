//! Physical units with dimensional analysis for model expressions.
//!
//! Every symbol in a model file carries a unit string such as `"pg/mL"`,
//! `"1/day"`, `"cells/mm^3"` or `"1/(nM*day)"`. [`Unit::parse`] turns such a
//! string into a [`Unit`]: a vector of integer exponents over five base
//! dimensions plus a scale factor relative to the base units. The expression
//! checker multiplies and divides these through expressions and compares
//! them with [`Unit::same_dimension`], [`Unit::same_as`] and
//! [`Unit::factor_to`].
//!
//! # Base units
//!
//! | index | dimension | base unit |
//! |-------|-----------|-----------|
//! | 0     | mass      | `g` (gram) |
//! | 1     | length    | `m` (metre) |
//! | 2     | time      | `day` |
//! | 3     | amount    | `mol` |
//! | 4     | count     | `count` (cells, particles, copies, events...) |
//!
//! A value `v` expressed in a unit `u` is `v * u.scale` in base units; for
//! example `pg/mL` has dimensions `[1, -3, 0, 0, 0]` (mass per volume) and
//! scale `1e-12 / 1e-6 = 1e-6`, so 1 pg/mL = 1e-6 g/m^3.
//!
//! # Grammar
//!
//! ```text
//! unit     := product
//! product  := factor (('*' | '/') factor)*        (left-associative)
//! factor   := atom ['^' exponent]
//!           | '(' product ')' ['^' exponent]
//!           | '1'
//! exponent := ['+' | '-'] digits  |  '(' ['+' | '-'] digits ')'
//! ```
//!
//! Whitespace is ignored between tokens. Because `/` is left-associative,
//! `1/nM/day` means `(1/nM)/day`, the same as `1/(nM*day)`. The only number
//! allowed as a factor is `1` (as in `1/day`); the empty string is an error.
//!
//! # Atoms (case-sensitive)
//!
//! * mass: `g`, `kg`, `mg`, `ug`, `ng`, `pg`, `fg`
//! * length: `m`, `cm`, `mm`, `um`, `nm`
//! * volume: `L`, `dL`, `mL`, `uL`, `nL`, `pL`, `fL` (1 L = 1e-3 m^3)
//! * time: `s`, `min`, `h`, `day`, `d`, `week`, `month` (30.4375 day),
//!   `yr`, `year` (365.25 day), plus the spelled-out and plural aliases
//!   `sec`, `second(s)`, `minute(s)`, `mins`, `hr`, `hrs`, `hour(s)`, `days`,
//!   `weeks`, `months`, `yrs`, `years`
//! * amount: `mol`, `mmol`, `umol`, `nmol`, `pmol`, `fmol` (also `mole`,
//!   `moles`); molar concentration `M`, `mM`, `uM`, `nM`, `pM` (mol/L)
//! * count: `count`, `counts`, `cell`, `cells`, `particle`, `particles`,
//!   `copy`, `copies`, `event`, `events`
//! * dimensionless: `1`, `dimensionless`, `fraction`; `percent` and `%`
//!   (both with scale 0.01)
//!
//! The micro prefix may also be written `µ` (U+00B5) or `μ` (U+03BC) instead
//! of `u`, e.g. `µg/mL`. International units (`IU`, `mIU`, ...) are not
//! supported, because they have no substance-independent conversion to mass
//! or amount.
//!
//! Unknown atoms produce a [`UnitError`] that suggests close known atoms
//! ("did you mean `mL`?").

use std::fmt;
use std::str::FromStr;

use crate::suggest::{alternatives, close_matches};

/// Number of base dimensions: mass, length, time, amount, count.
pub const N_BASE: usize = 5;

/// Base-unit symbols in dimension order, as used by `Display`.
const BASE_NAMES: [&str; N_BASE] = ["g", "m", "day", "mol", "count"];

/// Order of base dimensions in `Display`: time last, so rates read
/// naturally (`m^3/(mol*day)`, `count/(m^3*day)`).
const DISPLAY_ORDER: [usize; N_BASE] = [0, 1, 3, 4, 2];

/// Relative tolerance used by [`Unit::same_as`] and by `Display` to decide
/// whether a scale equals 1.
const REL_TOL: f64 = 1e-12;

/// Maximum nesting depth of parentheses accepted by the parser.
const MAX_DEPTH: usize = 32;

/// A physical unit: integer exponents over the base dimensions and a scale.
///
/// `dims` holds the exponents of (g, m, day, mol, count); a value `v` in this
/// unit equals `v * scale` in the corresponding base units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit {
    /// Exponents of mass, length, time, amount and count.
    pub dims: [i8; N_BASE],
    /// Size of one of this unit in base units (always positive and finite for
    /// units produced by [`Unit::parse`]).
    pub scale: f64,
}

/// Error from [`Unit::parse`].
///
/// `position` is the 0-based character (not byte) index into `input` where
/// the problem was found; the displayed column is `position + 1`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unit `{input}`: {message} (at column {col})", col = .position + 1)]
pub struct UnitError {
    /// The unit string as given.
    pub input: String,
    /// 0-based character index of the offending token.
    pub position: usize,
    /// What is wrong, with a suggestion where one is available.
    pub message: String,
}

impl Unit {
    /// The dimensionless unit with scale 1 (`"1"`).
    pub const DIMENSIONLESS: Unit = Unit {
        dims: [0; N_BASE],
        scale: 1.0,
    };

    /// Parses a unit string; see the [module documentation](self) for the
    /// grammar and the list of atoms.
    pub fn parse(s: &str) -> Result<Unit, UnitError> {
        Parser::new(s)?.parse_unit()
    }

    /// Product of two units. Exponents saturate at the `i8` range (±127),
    /// which no physical unit reaches.
    #[must_use]
    #[allow(clippy::should_implement_trait)] // the trait is implemented too, delegating here
    pub fn mul(self, o: Unit) -> Unit {
        let mut dims = self.dims;
        for (d, e) in dims.iter_mut().zip(o.dims) {
            *d = d.saturating_add(e);
        }
        Unit {
            dims,
            scale: self.scale * o.scale,
        }
    }

    /// Quotient of two units. Exponents saturate at the `i8` range.
    #[must_use]
    #[allow(clippy::should_implement_trait)] // the trait is implemented too, delegating here
    pub fn div(self, o: Unit) -> Unit {
        let mut dims = self.dims;
        for (d, e) in dims.iter_mut().zip(o.dims) {
            *d = d.saturating_sub(e);
        }
        Unit {
            dims,
            scale: self.scale / o.scale,
        }
    }

    /// Integer power. Exponents saturate at the `i8` range.
    #[must_use]
    pub fn powi(self, n: i32) -> Unit {
        let mut dims = self.dims;
        for d in dims.iter_mut() {
            let e = i32::from(*d).saturating_mul(n);
            *d = e.clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8;
        }
        Unit {
            dims,
            scale: self.scale.powi(n),
        }
    }

    /// Square root; `None` if any exponent is odd (e.g. `sqrt(m)`).
    #[must_use]
    pub fn sqrt(self) -> Option<Unit> {
        if self.dims.iter().any(|d| d % 2 != 0) {
            return None;
        }
        let mut dims = self.dims;
        for d in dims.iter_mut() {
            *d /= 2;
        }
        Some(Unit {
            dims,
            scale: self.scale.sqrt(),
        })
    }

    /// True if all exponents are zero. The scale may differ from 1, e.g.
    /// `%` (0.01) or `mg/kg` (1e-6) are dimensionless.
    pub fn is_dimensionless(&self) -> bool {
        self.dims.iter().all(|&d| d == 0)
    }

    /// True if both units have the same exponents (scales may differ).
    pub fn same_dimension(&self, o: &Unit) -> bool {
        self.dims == o.dims
    }

    /// True if both units have the same exponents and scales equal to a
    /// relative tolerance of 1e-12.
    pub fn same_as(&self, o: &Unit) -> bool {
        self.same_dimension(o) && scales_close(self.scale, o.scale)
    }

    /// Conversion factor: multiply a value expressed in `self` by the result
    /// to express it in `target`. `None` if the dimensions differ.
    ///
    /// For example `ng/mL` to `pg/mL` gives 1000.
    pub fn factor_to(&self, target: &Unit) -> Option<f64> {
        if self.same_dimension(target) {
            Some(self.scale / target.scale)
        } else {
            None
        }
    }

    /// Product with exponent overflow and scale range checks (for the parser).
    fn checked_mul(self, o: Unit) -> Option<Unit> {
        let mut dims = self.dims;
        for (d, e) in dims.iter_mut().zip(o.dims) {
            *d = d.checked_add(e)?;
        }
        finite_unit(dims, self.scale * o.scale)
    }

    /// Quotient with exponent overflow and scale range checks.
    fn checked_div(self, o: Unit) -> Option<Unit> {
        let mut dims = self.dims;
        for (d, e) in dims.iter_mut().zip(o.dims) {
            *d = d.checked_sub(e)?;
        }
        finite_unit(dims, self.scale / o.scale)
    }

    /// Power with exponent overflow and scale range checks.
    fn checked_powi(self, n: i32) -> Option<Unit> {
        let mut dims = self.dims;
        for d in dims.iter_mut() {
            *d = i8::try_from(i32::from(*d).checked_mul(n)?).ok()?;
        }
        finite_unit(dims, self.scale.powi(n))
    }
}

/// Builds a unit if the scale is positive and finite.
fn finite_unit(dims: [i8; N_BASE], scale: f64) -> Option<Unit> {
    (scale.is_finite() && scale > 0.0).then_some(Unit { dims, scale })
}

fn scales_close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= REL_TOL * a.abs().max(b.abs())
}

impl std::ops::Mul for Unit {
    type Output = Unit;
    fn mul(self, o: Unit) -> Unit {
        Unit::mul(self, o)
    }
}

impl std::ops::Div for Unit {
    type Output = Unit;
    fn div(self, o: Unit) -> Unit {
        Unit::div(self, o)
    }
}

impl FromStr for Unit {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Unit, UnitError> {
        Unit::parse(s)
    }
}

/// Formats a scale to 12 significant digits, plainly for magnitudes in
/// [1e-3, 1e4) and in exponent notation otherwise (`1e-6`, `1e9`).
fn fmt_scale(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let rounded: f64 = format!("{x:.11e}").parse().unwrap_or(x);
    if (1e-3..1e4).contains(&rounded.abs()) {
        format!("{rounded}")
    } else {
        format!("{rounded:e}")
    }
}

/// Canonical form in base units (order g, m, mol, count, day), with the scale in front when it is not 1:
/// `1/day`, `g/m^3`, `count/m^3`, `1` for dimensionless, `1e-6 g/m^3` for
/// `pg/mL`, `24/day` for `1/h`, `1e6 m^3/(mol*day)` for `1/(nM*day)` and
/// `0.01` for `%`. Base units with scale 1 print in a form [`Unit::parse`]
/// reads back.
impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let term = |i: usize, e: i16| {
            if e == 1 {
                BASE_NAMES[i].to_string()
            } else {
                format!("{}^{}", BASE_NAMES[i], e)
            }
        };
        let mut num = Vec::new();
        let mut den = Vec::new();
        for i in DISPLAY_ORDER {
            let e = i16::from(self.dims[i]);
            if e > 0 {
                num.push(term(i, e));
            } else if e < 0 {
                den.push(term(i, -e));
            }
        }
        let scale = if scales_close(self.scale, 1.0) {
            None
        } else {
            Some(fmt_scale(self.scale))
        };
        let den = match den.len() {
            0 => None,
            1 => Some(den.concat()),
            _ => Some(format!("({})", den.join("*"))),
        };
        let mut out = String::new();
        if num.is_empty() {
            out.push_str(scale.as_deref().unwrap_or("1"));
        } else {
            if let Some(s) = &scale {
                out.push_str(s);
                out.push(' ');
            }
            out.push_str(&num.join("*"));
        }
        if let Some(d) = den {
            out.push('/');
            out.push_str(&d);
        }
        f.write_str(&out)
    }
}

// ---------------------------------------------------------------------------
// Atom table
// ---------------------------------------------------------------------------

struct Atom {
    name: &'static str,
    dims: [i8; N_BASE],
    scale: f64,
}

const fn atom(name: &'static str, dims: [i8; N_BASE], scale: f64) -> Atom {
    Atom { name, dims, scale }
}

const NONE: [i8; N_BASE] = [0, 0, 0, 0, 0];
const MASS: [i8; N_BASE] = [1, 0, 0, 0, 0];
const LENGTH: [i8; N_BASE] = [0, 1, 0, 0, 0];
const VOLUME: [i8; N_BASE] = [0, 3, 0, 0, 0];
const TIME: [i8; N_BASE] = [0, 0, 1, 0, 0];
const AMOUNT: [i8; N_BASE] = [0, 0, 0, 1, 0];
const MOLAR: [i8; N_BASE] = [0, -3, 0, 1, 0];
const COUNT: [i8; N_BASE] = [0, 0, 0, 0, 1];

const SECOND: f64 = 1.0 / 86_400.0;
const MINUTE: f64 = 1.0 / 1_440.0;
const HOUR: f64 = 1.0 / 24.0;
const WEEK: f64 = 7.0;
const MONTH: f64 = 30.4375;
const YEAR: f64 = 365.25;
/// 1 L in m^3.
const LITRE: f64 = 1e-3;
/// 1 mol/L in mol/m^3.
const MOLAR_SCALE: f64 = 1e3;

/// Every accepted atom, aliases included.
const ATOMS: &[Atom] = &[
    // dimensionless
    atom("dimensionless", NONE, 1.0),
    atom("fraction", NONE, 1.0),
    atom("percent", NONE, 0.01),
    atom("%", NONE, 0.01),
    // mass
    atom("g", MASS, 1.0),
    atom("kg", MASS, 1e3),
    atom("mg", MASS, 1e-3),
    atom("ug", MASS, 1e-6),
    atom("ng", MASS, 1e-9),
    atom("pg", MASS, 1e-12),
    atom("fg", MASS, 1e-15),
    // length
    atom("m", LENGTH, 1.0),
    atom("cm", LENGTH, 1e-2),
    atom("mm", LENGTH, 1e-3),
    atom("um", LENGTH, 1e-6),
    atom("nm", LENGTH, 1e-9),
    // volume
    atom("L", VOLUME, LITRE),
    atom("dL", VOLUME, LITRE * 1e-1),
    atom("mL", VOLUME, LITRE * 1e-3),
    atom("uL", VOLUME, LITRE * 1e-6),
    atom("nL", VOLUME, LITRE * 1e-9),
    atom("pL", VOLUME, LITRE * 1e-12),
    atom("fL", VOLUME, LITRE * 1e-15),
    // time
    atom("s", TIME, SECOND),
    atom("sec", TIME, SECOND),
    atom("second", TIME, SECOND),
    atom("seconds", TIME, SECOND),
    atom("min", TIME, MINUTE),
    atom("mins", TIME, MINUTE),
    atom("minute", TIME, MINUTE),
    atom("minutes", TIME, MINUTE),
    atom("h", TIME, HOUR),
    atom("hr", TIME, HOUR),
    atom("hrs", TIME, HOUR),
    atom("hour", TIME, HOUR),
    atom("hours", TIME, HOUR),
    atom("day", TIME, 1.0),
    atom("days", TIME, 1.0),
    atom("d", TIME, 1.0),
    atom("week", TIME, WEEK),
    atom("weeks", TIME, WEEK),
    atom("month", TIME, MONTH),
    atom("months", TIME, MONTH),
    atom("yr", TIME, YEAR),
    atom("yrs", TIME, YEAR),
    atom("year", TIME, YEAR),
    atom("years", TIME, YEAR),
    // amount
    atom("mol", AMOUNT, 1.0),
    atom("mole", AMOUNT, 1.0),
    atom("moles", AMOUNT, 1.0),
    atom("mmol", AMOUNT, 1e-3),
    atom("umol", AMOUNT, 1e-6),
    atom("nmol", AMOUNT, 1e-9),
    atom("pmol", AMOUNT, 1e-12),
    atom("fmol", AMOUNT, 1e-15),
    // molar concentration (mol/L)
    atom("M", MOLAR, MOLAR_SCALE),
    atom("mM", MOLAR, MOLAR_SCALE * 1e-3),
    atom("uM", MOLAR, MOLAR_SCALE * 1e-6),
    atom("nM", MOLAR, MOLAR_SCALE * 1e-9),
    atom("pM", MOLAR, MOLAR_SCALE * 1e-12),
    // count
    atom("count", COUNT, 1.0),
    atom("counts", COUNT, 1.0),
    atom("cell", COUNT, 1.0),
    atom("cells", COUNT, 1.0),
    atom("particle", COUNT, 1.0),
    atom("particles", COUNT, 1.0),
    atom("copy", COUNT, 1.0),
    atom("copies", COUNT, 1.0),
    atom("event", COUNT, 1.0),
    atom("events", COUNT, 1.0),
];

/// Common spellings that are not accepted, with the atom to use instead.
const HINTS: &[(&str, &str)] = &[("mcg", "ug"), ("cc", "mL")];

fn find_atom(name: &str) -> Option<&'static Atom> {
    ATOMS.iter().find(|a| a.name == name)
}

/// Resolves an atom name, or explains why it is not accepted.
fn lookup_atom(name: &str) -> Result<Unit, String> {
    if let Some(a) = find_atom(name) {
        return Ok(Unit {
            dims: a.dims,
            scale: a.scale,
        });
    }
    // Micro sign or Greek mu in place of the `u` prefix.
    if let Some(rest) = name.strip_prefix(['\u{b5}', '\u{3bc}']) {
        if !rest.is_empty() {
            if let Some(a) = find_atom(&format!("u{rest}")) {
                return Ok(Unit {
                    dims: a.dims,
                    scale: a.scale,
                });
            }
        }
    }
    if let Some(prefix) = name.strip_suffix("IU") {
        if ["", "k", "m", "u", "n", "\u{b5}", "\u{3bc}"].contains(&prefix) {
            return Err(format!(
                "international units (`{name}`) are not supported: an IU has no \
                 substance-independent conversion to mass or amount; convert to a mass \
                 (e.g. `ng`) or amount (e.g. `pmol`) with the substance's specific activity"
            ));
        }
    }
    if let Some((_, to)) = HINTS.iter().find(|(from, _)| *from == name) {
        return Err(format!("unknown unit `{name}`; did you mean `{to}`?"));
    }
    let suggestions = close_matches(name, ATOMS.iter().map(|a| a.name));
    if suggestions.is_empty() {
        Err(format!("unknown unit `{name}`"))
    } else {
        Err(format!(
            "unknown unit `{name}`; did you mean {}?",
            alternatives(&suggestions, '`')
        ))
    }
}

// ---------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Number(String),
    Star,
    Slash,
    Caret,
    LParen,
    RParen,
    Plus,
    Minus,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Number(s) => format!("`{s}`"),
            Tok::Star => "`*`".into(),
            Tok::Slash => "`/`".into(),
            Tok::Caret => "`^`".into(),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Plus => "`+`".into(),
            Tok::Minus => "`-`".into(),
            Tok::End => "end of input".into(),
        }
    }
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    /// 0-based character index of the first character.
    start: usize,
    /// 0-based character index one past the last character.
    end: usize,
}

fn lex(input: &str) -> Result<Vec<Token>, (usize, String)> {
    let chars: Vec<char> = input.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let simple = match c {
            '*' => Some(Tok::Star),
            '/' => Some(Tok::Slash),
            '^' => Some(Tok::Caret),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '+' => Some(Tok::Plus),
            '-' => Some(Tok::Minus),
            '%' => Some(Tok::Ident("%".into())),
            _ => None,
        };
        if let Some(tok) = simple {
            i += 1;
            toks.push(Token { tok, start, end: i });
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphabetic() {
            while i < chars.len() && chars[i].is_alphabetic() {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            toks.push(Token {
                tok: Tok::Ident(s),
                start,
                end: i,
            });
        } else if c.is_ascii_digit() || c == '.' {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            toks.push(Token {
                tok: Tok::Number(s),
                start,
                end: i,
            });
        } else {
            let hint = match c {
                '\u{b2}' | '\u{b3}' | '\u{b9}' | '\u{2070}'..='\u{207b}' => {
                    "; write powers with `^`, e.g. `m^2`"
                }
                '\u{b7}' | '\u{d7}' | '\u{22c5}' => "; use `*` for multiplication",
                _ => "",
            };
            return Err((start, format!("unexpected character `{c}`{hint}")));
        }
    }
    toks.push(Token {
        tok: Tok::End,
        start: chars.len(),
        end: chars.len(),
    });
    Ok(toks)
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

struct Parser<'a> {
    input: &'a str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Result<Self, UnitError> {
        let toks = lex(input).map_err(|(position, message)| UnitError {
            input: input.to_string(),
            position,
            message,
        })?;
        Ok(Parser {
            input,
            toks,
            pos: 0,
            depth: 0,
        })
    }

    fn err(&self, position: usize, message: impl Into<String>) -> UnitError {
        UnitError {
            input: self.input.to_string(),
            position,
            message: message.into(),
        }
    }

    fn peek(&self) -> &Token {
        // `lex` always ends the list with `End`, and `bump` never moves past it.
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if t.tok != Tok::End {
            self.pos += 1;
        }
        t
    }

    fn parse_unit(mut self) -> Result<Unit, UnitError> {
        if self.peek().tok == Tok::End {
            return Err(self.err(
                0,
                "empty unit string; write `1` for a dimensionless quantity",
            ));
        }
        let u = self.product("at the start")?;
        match self.peek().tok {
            Tok::End => Ok(u),
            Tok::RParen => Err(self.err(self.peek().start, "unmatched `)`")),
            _ => Err(self.unexpected_after_factor("`*` or `/`")),
        }
    }

    /// Error for a token that cannot follow a complete factor.
    fn unexpected_after_factor(&self, expected: &str) -> UnitError {
        let t = self.peek();
        let prev = self.pos.checked_sub(1).map(|p| &self.toks[p]);
        if let (Tok::Number(n), Some(p)) = (&t.tok, prev) {
            if p.end == t.start {
                if let Tok::Ident(a) = &p.tok {
                    return self.err(
                        t.start,
                        format!("write powers with `^`: `{a}^{n}`, not `{a}{n}`"),
                    );
                }
            }
        }
        self.err(
            t.start,
            format!("expected {expected}, found {}", t.tok.describe()),
        )
    }

    /// `product := factor (('*' | '/') factor)*`, left-associative.
    /// `context` says where the first factor is expected, for messages.
    fn product(&mut self, context: &str) -> Result<Unit, UnitError> {
        let mut acc = self.factor(context)?;
        loop {
            let op = self.peek().clone();
            let combine: fn(Unit, Unit) -> Option<Unit> = match op.tok {
                Tok::Star => Unit::checked_mul,
                Tok::Slash => Unit::checked_div,
                _ => return Ok(acc),
            };
            self.bump();
            let context = format!("after {}", op.tok.describe());
            let rhs = self.factor(&context)?;
            acc = combine(acc, rhs)
                .ok_or_else(|| self.err(op.start, "exponent or scale out of range"))?;
        }
    }

    /// `factor := atom ['^' exponent] | '(' product ')' ['^' exponent] | '1'`.
    fn factor(&mut self, context: &str) -> Result<Unit, UnitError> {
        let t = self.bump();
        match &t.tok {
            Tok::Ident(name) => {
                let u = lookup_atom(name).map_err(|m| self.err(t.start, m))?;
                self.exponent(u)
            }
            Tok::LParen => {
                if self.depth >= MAX_DEPTH {
                    return Err(self.err(t.start, "parentheses nested too deeply"));
                }
                self.depth += 1;
                let inner = self.product("after `(`")?;
                self.depth -= 1;
                match self.peek().tok {
                    Tok::RParen => {
                        self.bump();
                    }
                    Tok::End => {
                        return Err(self.err(t.start, "unclosed `(`: missing `)`"));
                    }
                    _ => return Err(self.unexpected_after_factor("`*`, `/` or `)`")),
                }
                self.exponent(inner)
            }
            Tok::Number(n) if n == "1" => Ok(Unit::DIMENSIONLESS),
            Tok::Number(n) => Err(self.err(
                t.start,
                format!(
                    "numeric factor `{n}` is not allowed; the only number a unit may \
                     contain is `1`, as in `1/day`"
                ),
            )),
            Tok::Star if context == "after `*`" => Err(self.err(
                t.start,
                "expected a unit after `*`, found `*`; write powers with `^`, e.g. `m^2`",
            )),
            other => Err(self.err(
                t.start,
                format!("expected a unit {context}, found {}", other.describe()),
            )),
        }
    }

    /// Optional `'^' exponent` after a factor.
    fn exponent(&mut self, base: Unit) -> Result<Unit, UnitError> {
        if self.peek().tok != Tok::Caret {
            return Ok(base);
        }
        let caret = self.bump();
        let parenthesised = self.peek().tok == Tok::LParen;
        if parenthesised {
            self.bump();
        }
        let negative = match self.peek().tok {
            Tok::Minus => {
                self.bump();
                true
            }
            Tok::Plus => {
                self.bump();
                false
            }
            _ => false,
        };
        let t = self.bump();
        let digits = match &t.tok {
            Tok::Number(n) if n.chars().all(|c| c.is_ascii_digit()) => n.clone(),
            Tok::Number(n) => {
                return Err(self.err(t.start, format!("exponent must be an integer, found `{n}`")))
            }
            other => {
                return Err(self.err(
                    t.start,
                    format!(
                        "expected an integer exponent after `^`, found {}",
                        other.describe()
                    ),
                ))
            }
        };
        if parenthesised {
            let close = self.bump();
            if close.tok != Tok::RParen {
                return Err(self.err(
                    close.start,
                    format!(
                        "expected `)` to close the exponent, found {}",
                        close.tok.describe()
                    ),
                ));
            }
        }
        let out_of_range = || self.err(caret.start, format!("exponent `{digits}` is out of range"));
        let magnitude: i32 = digits.parse().map_err(|_| out_of_range())?;
        let n = if negative { -magnitude } else { magnitude };
        base.checked_powi(n).ok_or_else(out_of_range)
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Unit {
        match Unit::parse(s) {
            Ok(u) => u,
            Err(e) => panic!("`{s}` should parse: {e}"),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
    }

    fn parse_err(s: &str) -> UnitError {
        match Unit::parse(s) {
            Ok(u) => panic!("`{s}` should not parse, got {u:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn parses_with_exact_dims_and_scale() {
        // (input, [g, m, day, mol, count], scale in base units)
        let cases: &[(&str, [i8; N_BASE], f64)] = &[
            ("1", [0, 0, 0, 0, 0], 1.0),
            ("dimensionless", [0, 0, 0, 0, 0], 1.0),
            ("fraction", [0, 0, 0, 0, 0], 1.0),
            ("%", [0, 0, 0, 0, 0], 0.01),
            ("percent", [0, 0, 0, 0, 0], 0.01),
            ("%/day", [0, 0, -1, 0, 0], 0.01),
            ("pg/mL", [1, -3, 0, 0, 0], 1e-6),
            ("ng/mL", [1, -3, 0, 0, 0], 1e-3),
            ("ug/L", [1, -3, 0, 0, 0], 1e-3),
            ("mg/dL", [1, -3, 0, 0, 0], 10.0),
            ("fg/fL", [1, -3, 0, 0, 0], 1e3),
            ("1/day", [0, 0, -1, 0, 0], 1.0),
            ("1/h", [0, 0, -1, 0, 0], 24.0),
            ("1/s", [0, 0, -1, 0, 0], 86_400.0),
            ("1/min", [0, 0, -1, 0, 0], 1_440.0),
            ("cells/mm^3", [0, -3, 0, 0, 1], 1e9),
            ("cells/uL", [0, -3, 0, 0, 1], 1e9),
            ("particles/mL", [0, -3, 0, 0, 1], 1e6),
            ("copies/mL", [0, -3, 0, 0, 1], 1e6),
            ("events/yr", [0, 0, -1, 0, 1], 1.0 / 365.25),
            ("g/cm^2", [1, -2, 0, 0, 0], 1e4),
            ("mg/kg", [0, 0, 0, 0, 0], 1e-6),
            ("kg", [1, 0, 0, 0, 0], 1e3),
            ("fg", [1, 0, 0, 0, 0], 1e-15),
            ("um", [0, 1, 0, 0, 0], 1e-6),
            ("nm", [0, 1, 0, 0, 0], 1e-9),
            ("cm^3", [0, 3, 0, 0, 0], 1e-6),
            ("mL", [0, 3, 0, 0, 0], 1e-6),
            ("nL", [0, 3, 0, 0, 0], 1e-12),
            ("pL", [0, 3, 0, 0, 0], 1e-15),
            ("L/day", [0, 3, -1, 0, 0], 1e-3),
            ("mL/min", [0, 3, -1, 0, 0], 1e-6 * 1_440.0),
            ("M", [0, -3, 0, 1, 0], 1e3),
            ("mM", [0, -3, 0, 1, 0], 1.0),
            ("uM", [0, -3, 0, 1, 0], 1e-3),
            ("nM", [0, -3, 0, 1, 0], 1e-6),
            ("pM", [0, -3, 0, 1, 0], 1e-9),
            ("mmol/L", [0, -3, 0, 1, 0], 1.0),
            ("nmol/L", [0, -3, 0, 1, 0], 1e-6),
            ("fmol", [0, 0, 0, 1, 0], 1e-15),
            ("1/(nM*day)", [0, 3, -1, -1, 0], 1e6),
            ("1/nM/day", [0, 3, -1, -1, 0], 1e6),
            ("s", [0, 0, 1, 0, 0], 1.0 / 86_400.0),
            ("min", [0, 0, 1, 0, 0], 1.0 / 1_440.0),
            ("hours", [0, 0, 1, 0, 0], 1.0 / 24.0),
            ("d", [0, 0, 1, 0, 0], 1.0),
            ("days", [0, 0, 1, 0, 0], 1.0),
            ("week", [0, 0, 1, 0, 0], 7.0),
            ("weeks", [0, 0, 1, 0, 0], 7.0),
            ("month", [0, 0, 1, 0, 0], 30.4375),
            ("yr", [0, 0, 1, 0, 0], 365.25),
            ("years", [0, 0, 1, 0, 0], 365.25),
            ("day^-1", [0, 0, -1, 0, 0], 1.0),
            ("m^(-2)", [0, -2, 0, 0, 0], 1.0),
            ("m^+2", [0, 2, 0, 0, 0], 1.0),
            ("mm^0", [0, 0, 0, 0, 0], 1.0),
            ("(mg/L)^2", [2, -6, 0, 0, 0], 1.0),
            ("(1/day)^-1", [0, 0, 1, 0, 0], 1.0),
            ("  pg  /  mL ", [1, -3, 0, 0, 0], 1e-6),
            ("nM * day", [0, -3, 1, 1, 0], 1e-6),
            ("cells/(mm^3*day)", [0, -3, -1, 0, 1], 1e9),
            ("\u{b5}g/mL", [1, -3, 0, 0, 0], 1.0),
            ("\u{3bc}M", [0, -3, 0, 1, 0], 1e-3),
        ];
        for &(s, dims, scale) in cases {
            let u = p(s);
            assert_eq!(u.dims, dims, "dims of `{s}`");
            assert!(
                close(u.scale, scale),
                "scale of `{s}`: {} != {scale}",
                u.scale
            );
        }
    }

    #[test]
    fn dimensionless_spellings_are_exactly_one() {
        for s in ["1", "dimensionless", "fraction", "(1)", "1/1"] {
            assert_eq!(p(s), Unit::DIMENSIONLESS, "`{s}`");
        }
        assert!(p("mg/kg").is_dimensionless());
        assert!(!p("mg/kg").same_as(&Unit::DIMENSIONLESS));
        assert!(!p("1/day").is_dimensionless());
    }

    #[test]
    fn division_is_left_associative() {
        assert!(p("1/nM/day").same_as(&p("1/(nM*day)")));
        assert!(!p("1/nM/day").same_dimension(&p("1/(nM/day)")));
        assert!(p("g/m/s").same_as(&p("g/(m*s)")));
    }

    #[test]
    fn arithmetic() {
        let pg_ml = p("pg/mL");
        let ml = p("mL");
        let pg = p("pg");
        assert!(pg.div(ml).same_as(&pg_ml));
        assert!(pg_ml.mul(ml).same_as(&pg));
        assert!((pg / ml).same_as(&pg_ml));
        assert!((pg_ml * ml).same_as(&pg));

        let rate = p("1/(nM*day)");
        let conc = p("nM");
        let per_day = rate.mul(conc);
        assert_eq!(per_day.dims, [0, 0, -1, 0, 0]);
        assert!(close(per_day.scale, 1.0));

        let cm = p("cm");
        let cm3 = cm.powi(3);
        assert_eq!(cm3.dims, [0, 3, 0, 0, 0]);
        assert!(close(cm3.scale, 1e-6));
        assert!(cm3.same_as(&p("mL")));
        assert!(cm.powi(-2).same_as(&p("1/cm^2")));
        assert!(cm.powi(0).same_as(&Unit::DIMENSIONLESS));

        let area = p("mm^2");
        let side = area.sqrt().expect("even exponents");
        assert!(side.same_as(&p("mm")));
        assert!(p("mL").sqrt().is_none());
        assert!(p("1/day").sqrt().is_none());
        let var = p("(pg/mL)^2");
        assert!(var.sqrt().expect("even").same_as(&pg_ml));

        // Saturating, not wrapping, on absurd exponents.
        assert_eq!(p("m").powi(1000).dims[1], 127);
        assert_eq!(p("m").powi(-1000).dims[1], -128);
    }

    #[test]
    fn comparisons_and_conversion_factors() {
        let ng = p("ng/mL");
        let pg = p("pg/mL");
        let f = ng.factor_to(&pg).expect("same dims");
        assert!(close(f, 1000.0), "{f}");
        assert!(close(pg.factor_to(&ng).expect("same dims"), 1e-3));
        assert!(close(p("yr").factor_to(&p("day")).expect("time"), 365.25));
        assert!(close(p("1/h").factor_to(&p("1/day")).expect("rate"), 24.0));
        assert!(close(p("nM").factor_to(&p("pM")).expect("conc"), 1e3));
        assert!(close(
            p("%").factor_to(&Unit::DIMENSIONLESS).expect("dl"),
            0.01
        ));
        assert_eq!(ng.factor_to(&p("nM")), None);
        assert!(ng.same_dimension(&pg));
        assert!(!ng.same_as(&pg));
        assert!(p("ug/L").same_as(&ng));
        assert!(p("mmol/L").same_as(&p("mM")));
        let nudged = Unit {
            dims: ng.dims,
            scale: ng.scale * (1.0 + 1e-14),
        };
        assert!(ng.same_as(&nudged));
        let off = Unit {
            dims: ng.dims,
            scale: ng.scale * (1.0 + 1e-9),
        };
        assert!(!ng.same_as(&off));
    }

    #[test]
    fn display_is_canonical_and_readable() {
        let cases = [
            ("1", "1"),
            ("1/day", "1/day"),
            ("g/m^3", "g/m^3"),
            ("cells/m^3", "count/m^3"),
            ("pg/mL", "1e-6 g/m^3"),
            ("cells/mm^3", "1e9 count/m^3"),
            ("1/h", "24/day"),
            ("1/(nM*day)", "1e6 m^3/(mol*day)"),
            ("%", "0.01"),
            ("mg/kg", "1e-6"),
            ("month", "30.4375 day"),
            ("L/day", "0.001 m^3/day"),
            ("g/cm^2", "1e4 g/m^2"),
            ("nM", "1e-6 mol/m^3"),
            ("s", "1.15740740741e-5 day"),
            ("g*m", "g*m"),
        ];
        for (input, shown) in cases {
            assert_eq!(p(input).to_string(), shown, "display of `{input}`");
        }
    }

    #[test]
    fn display_of_base_units_parses_back() {
        for s in [
            "1",
            "g",
            "1/day",
            "g/m^3",
            "count/(m^3*day)",
            "m^3/(mol*day)",
            "g*m/day^2",
            "1/(g*m*day*mol*count)",
        ] {
            let u = p(s);
            let back = p(&u.to_string());
            assert_eq!(back, u, "`{s}` -> `{u}`");
        }
    }

    #[test]
    fn error_empty() {
        for s in ["", "   "] {
            let e = parse_err(s);
            assert_eq!(e.position, 0);
            assert!(e.message.contains("empty"), "{e}");
        }
    }

    #[test]
    fn error_trailing_operator() {
        let e = parse_err("pg/");
        assert_eq!(e.position, 3);
        assert!(e.message.contains("after `/`"), "{e}");
        assert!(e.message.contains("end of input"), "{e}");
        assert_eq!(e.input, "pg/");
    }

    #[test]
    fn error_unknown_atom_with_suggestion() {
        let e = parse_err("mLL");
        assert_eq!(e.position, 0);
        assert!(e.message.contains("unknown unit `mLL`"), "{e}");
        assert!(e.message.contains("did you mean `mL`"), "{e}");
        let shown = e.to_string();
        assert!(
            shown.contains("`mLL`") && shown.contains("did you mean `mL`"),
            "{shown}"
        );

        let e = parse_err("pg/ml");
        assert_eq!(e.position, 3);
        assert!(e.message.contains("did you mean `mL`"), "{e}");

        let e = parse_err("1/Day");
        assert!(e.message.contains("did you mean `day`"), "{e}");

        let e = parse_err("NM");
        assert!(
            e.message.contains("`nm`") && e.message.contains("`nM`"),
            "{e}"
        );

        let e = parse_err("mcg/mL");
        assert!(e.message.contains("did you mean `ug`"), "{e}");

        let e = parse_err("cels/mL");
        assert!(e.message.contains("did you mean `cel"), "{e}");

        let e = parse_err("furlongs");
        assert!(!e.message.contains("did you mean"), "{e}");
    }

    #[test]
    fn error_bad_exponent() {
        let e = parse_err("pg/mL^x");
        assert_eq!(e.position, 6);
        assert!(e.message.contains("exponent"), "{e}");
        assert!(e.message.contains("`x`"), "{e}");

        let e = parse_err("m^1.5");
        assert!(e.message.contains("integer"), "{e}");
        let e = parse_err("m^");
        assert_eq!(e.position, 2);
        let e = parse_err("m^99999999999");
        assert!(e.message.contains("out of range"), "{e}");
        let e = parse_err("(m^100)^2");
        assert!(e.message.contains("out of range"), "{e}");
        let e = parse_err("m^100*m^100");
        assert!(e.message.contains("out of range"), "{e}");
        assert_eq!(e.position, 5);
        let e = parse_err("mm3");
        assert!(e.message.contains("`mm^3`"), "{e}");
        let e = parse_err("m**2");
        assert!(e.message.contains('^'), "{e}");
    }

    #[test]
    fn error_numbers_other_than_one() {
        let e = parse_err("2/day");
        assert_eq!(e.position, 0);
        assert!(e.message.contains("`2`"), "{e}");
        assert!(e.message.contains("`1`"), "{e}");
        for s in ["1000/mL", "1.0", "0.5*g", "mL*10"] {
            parse_err(s);
        }
    }

    #[test]
    fn error_parentheses() {
        let e = parse_err("(pg");
        assert_eq!(e.position, 0);
        assert!(e.message.contains("unclosed `(`"), "{e}");

        let e = parse_err("pg)");
        assert_eq!(e.position, 2);
        assert!(e.message.contains("unmatched `)`"), "{e}");

        let e = parse_err("()");
        assert_eq!(e.position, 1);

        let e = parse_err("(pg mL)");
        assert_eq!(e.position, 4);

        let deep = format!("{}g{}", "(".repeat(100), ")".repeat(100));
        let e = parse_err(&deep);
        assert!(e.message.contains("nested"), "{e}");
        let ok = format!("{}g{}", "(".repeat(10), ")".repeat(10));
        assert_eq!(p(&ok), p("g"));
    }

    #[test]
    fn error_international_units() {
        let e = parse_err("IU/L");
        assert_eq!(e.position, 0);
        assert!(e.message.contains("not supported"), "{e}");
        assert!(e.message.contains("IU"), "{e}");
        let e = parse_err("mIU/mL");
        assert!(e.message.contains("not supported"), "{e}");
    }

    #[test]
    fn error_misc_syntax() {
        let e = parse_err("pg mL");
        assert_eq!(e.position, 3);
        assert!(e.message.contains("`*` or `/`"), "{e}");
        let e = parse_err("m\u{b2}");
        assert_eq!(e.position, 1);
        assert!(e.message.contains('^'), "{e}");
        let e = parse_err("-1/day");
        assert_eq!(e.position, 0);
        let e = parse_err("\u{b5}");
        assert!(e.message.contains("unknown unit"), "{e}");
        let e = parse_err("\u{b5}day");
        assert!(e.message.contains("unknown unit"), "{e}");
    }

    #[test]
    fn error_position_counts_characters_not_bytes() {
        let e = parse_err("\u{b5}g/mLL");
        assert_eq!(e.position, 3);
        assert!(e.to_string().contains("column 4"), "{e}");
    }

    /// Atoms used by the algebraic property tests.
    const SAMPLE: &[&str] = &[
        "1",
        "%",
        "g",
        "kg",
        "pg",
        "fg",
        "m",
        "cm",
        "um",
        "L",
        "mL",
        "fL",
        "s",
        "min",
        "h",
        "day",
        "week",
        "month",
        "yr",
        "mol",
        "nmol",
        "M",
        "nM",
        "pM",
        "cells",
        "copies",
        "pg/mL",
        "1/day",
        "cells/mm^3",
        "g/cm^2",
        "mg/kg",
        "1/(nM*day)",
        "L/day",
    ];

    #[test]
    fn multiply_then_divide_is_identity() {
        for a in SAMPLE {
            for b in SAMPLE {
                let (ua, ub) = (p(a), p(b));
                assert!(ua.mul(ub).div(ub).same_as(&ua), "({a})*({b})/({b})");
                assert!(ua.div(ub).mul(ub).same_as(&ua), "({a})/({b})*({b})");
                let text = p(&format!("({a})*({b})/({b})"));
                assert!(text.same_as(&ua), "parsed ({a})*({b})/({b})");
                assert!(ua.mul(ub).same_as(&ub.mul(ua)), "{a} * {b} commutes");
                if let Some(f) = ua.factor_to(&ub) {
                    let g = ub.factor_to(&ua).expect("symmetric");
                    assert!(close(f * g, 1.0), "{a} <-> {b}");
                }
            }
        }
    }

    #[test]
    fn every_atom_parses_and_is_unique() {
        for (i, a) in ATOMS.iter().enumerate() {
            let u = p(a.name);
            assert_eq!(u.dims, a.dims, "{}", a.name);
            assert_eq!(u.scale, a.scale, "{}", a.name);
            assert!(u.mul(u).sqrt().expect("even").same_as(&u), "{}", a.name);
            assert!(
                u.powi(2).same_as(&p(&format!("{}^2", a.name))),
                "{}",
                a.name
            );
            assert!(
                ATOMS[i + 1..].iter().all(|b| b.name != a.name),
                "duplicate atom {}",
                a.name
            );
        }
    }

    #[test]
    fn from_str_matches_parse() {
        let u: Unit = "pg/mL".parse().expect("valid");
        assert_eq!(u, p("pg/mL"));
        assert!("IU".parse::<Unit>().is_err());
    }
}
