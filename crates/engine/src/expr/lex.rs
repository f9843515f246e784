//! The lexer: source text into tokens, each with its byte span.

use super::{CmpOp, ParseError};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
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
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) start: usize,
    pub(super) end: usize,
}

pub(super) fn column_of(src: &str, offset: usize) -> usize {
    src.get(..offset).map_or(offset, |s| s.chars().count()) + 1
}

pub(super) fn error_at(src: &str, offset: usize, message: impl Into<String>) -> ParseError {
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

pub(super) fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
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
