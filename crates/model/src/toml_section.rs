//! Reading TOML documents with errors that name the file, the line and the dotted key: the
//! helpers shared by the scenario parser and the files that embed scenario parts (virtual
//! trials).

use std::ops::Range;

use osteosim_engine::suggest::close_matches;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Anything wrong with a scenario file, or with another TOML input document that embeds scenario
/// parts (a virtual trial).
///
/// Displays as `FILE[:LINE]: `KEY`: MESSAGE` (the key part is left out when
/// the error is not about a key, e.g. a TOML syntax error or an unreadable
/// file).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}: {}{message}", line_part(.line), key_part(.key))]
pub struct ScenarioError {
    /// The file name as given by the caller.
    pub file: String,
    /// 1-based line of the offending key or value, when known.
    pub line: Option<usize>,
    /// Dotted path of the offending key, arrays as `treatment[0]`; empty when
    /// the error concerns the whole file.
    pub key: String,
    pub message: String,
}

fn line_part(line: &Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

fn key_part(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("`{key}`: ")
    }
}

/// A result whose error names where in the document it lies.
pub type Res<T> = Result<T, ScenarioError>;

/// Parses `text` (a leading byte-order mark is ignored) and hands its root table to `read`;
/// a syntax error is reported at its line, as `invalid TOML: ...`. `file` serves messages only.
pub fn read_document<T>(
    text: &str,
    file: &str,
    read: impl FnOnce(&Section<'_, '_, '_>) -> Res<T>,
) -> Res<T> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let ctx = Ctx::new(text, file);
    let root = DeTable::parse(text).map_err(|e| {
        ctx.err(
            e.span().as_ref(),
            "",
            format!("invalid TOML: {}", e.message().trim()),
        )
    })?;
    read(&Section::root(&ctx, root.get_ref()))
}

/// A TOML basic string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_bare_key(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub fn bare_or_quoted(s: &str) -> String {
    if is_bare_key(s) {
        s.to_string()
    } else {
        quote(s)
    }
}

pub fn join_key(path: &str, name: &str) -> String {
    let name = bare_or_quoted(name);
    if path.is_empty() {
        name
    } else {
        format!("{path}.{name}")
    }
}

/// The candidate closest to `input`, if close enough to be worth suggesting: a known alias,
/// `x_ko` for `x_knockout`, or the best of the engine's [`close_matches`].
pub fn suggest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
    aliases: &[(&str, &'a str)],
) -> Option<&'a str> {
    let norm: String = input
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == '-' || c == ' ' { '_' } else { c })
        .collect();
    if let Some((_, target)) = aliases.iter().find(|(alias, _)| *alias == norm) {
        return Some(target);
    }
    let expanded = norm
        .strip_suffix("_ko")
        .map(|stem| format!("{stem}_knockout"));
    for c in candidates.clone() {
        if c == norm || expanded.as_deref() == Some(c) {
            return Some(c);
        }
    }
    close_matches(&norm, candidates).first().copied()
}

pub fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// A TOML document being read: its text (for line numbers and snippets) and its file name.
pub struct Ctx<'a> {
    text: &'a str,
    file: &'a str,
}

impl<'a> Ctx<'a> {
    pub fn new(text: &'a str, file: &'a str) -> Ctx<'a> {
        Ctx { text, file }
    }

    pub fn line_of(&self, span: &Range<usize>) -> Option<usize> {
        if span.start == 0 && span.end == 0 {
            return None; // the document root, or a span we do not know
        }
        let before = self
            .text
            .as_bytes()
            .get(..span.start.min(self.text.len()))?;
        Some(before.iter().filter(|&&b| b == b'\n').count() + 1)
    }

    pub fn err(
        &self,
        span: Option<&Range<usize>>,
        key: &str,
        message: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError {
            file: self.file.to_string(),
            line: span.and_then(|s| self.line_of(s)),
            key: key.to_string(),
            message: message.into(),
        }
    }

    /// The source text of a value, for messages.
    pub fn snippet(&self, span: &Range<usize>) -> String {
        let s = self.text.get(span.clone()).unwrap_or("").trim();
        if s.chars().count() > 40 {
            let cut: String = s.chars().take(40).collect();
            format!("{cut}...")
        } else {
            s.to_string()
        }
    }
}

/// A value with its span in the document.
pub type Value<'i> = Spanned<DeValue<'i>>;

/// A table being read, with its dotted path and the span of its header.
pub struct Section<'c, 't, 'i> {
    pub(crate) ctx: &'c Ctx<'c>,
    pub(crate) table: &'t DeTable<'i>,
    path: String,
    span: Range<usize>,
}

impl<'c, 't, 'i> Section<'c, 't, 'i> {
    pub fn key(&self, name: &str) -> String {
        join_key(&self.path, name)
    }

    pub fn get(&self, name: &str) -> Option<&'t Value<'i>> {
        self.table.get(name)
    }

    /// Span of a key in this table (for errors about the key itself).
    pub fn key_span(&self, name: &str) -> Range<usize> {
        match self.table.get_key_value(name) {
            Some((k, _)) => k.span(),
            None => self.span.clone(),
        }
    }

    /// An error about key `name` of this table, at the key's line (or the
    /// table's header when the key is absent).
    pub fn err(&self, name: &str, message: impl Into<String>) -> ScenarioError {
        let span = self.key_span(name);
        self.ctx.err(Some(&span), &self.key(name), message)
    }

    /// An error about the value of key `name`, at the value's line.
    pub fn value_err(
        &self,
        name: &str,
        value: &Value<'_>,
        message: impl Into<String>,
    ) -> ScenarioError {
        self.ctx.err(Some(&value.span()), &self.key(name), message)
    }

    pub fn check_keys(&self, allowed: &[&str]) -> Res<()> {
        self.check_keys_with_aliases(allowed, &[])
    }

    /// As [`Section::check_keys`], with further (alias, key) spellings to suggest from.
    pub fn check_keys_with_aliases(&self, allowed: &[&str], aliases: &[(&str, &str)]) -> Res<()> {
        let mut unknown: Vec<&Spanned<_>> = self
            .table
            .keys()
            .filter(|k| !allowed.contains(&k.get_ref().as_ref()))
            .collect();
        unknown.sort_by_key(|k| k.span().start);
        if let Some(k) = unknown.first() {
            let name: &str = k.get_ref().as_ref();
            let mut message = format!(
                "unknown key {}; expected one of {}",
                quote(name),
                allowed.join(", ")
            );
            let all: Vec<(&str, &str)> = KEY_ALIASES.iter().chain(aliases).copied().collect();
            if let Some(s) = suggest(name, allowed.iter().copied(), &all) {
                message.push_str(&format!("; did you mean {}?", quote(s)));
            }
            return Err(self.ctx.err(Some(&k.span()), &self.key(name), message));
        }
        Ok(())
    }

    pub fn sub_table(&self, name: &str) -> Res<Option<Section<'c, 't, 'i>>> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        match value.get_ref() {
            DeValue::Table(table) => Ok(Some(Section {
                ctx: self.ctx,
                table,
                path: self.key(name),
                span: value.span(),
            })),
            other => Err(self.value_err(
                name,
                value,
                format!("expected a table, found {}", type_name(other)),
            )),
        }
    }

    /// A finite number (integers accepted).
    pub fn number(&self, name: &str) -> Res<Option<f64>> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => parse_number(self.ctx, &self.key(name), value).map(Some),
        }
    }

    /// A finite number >= 0.
    pub fn non_negative(&self, name: &str) -> Res<Option<f64>> {
        let Some(x) = self.number(name)? else {
            return Ok(None);
        };
        if x < 0.0 {
            return Err(self.bad_value(name, "must not be negative"));
        }
        Ok(Some(x))
    }

    /// A finite number > 0.
    pub fn positive(&self, name: &str) -> Res<Option<f64>> {
        let Some(x) = self.number(name)? else {
            return Ok(None);
        };
        if x <= 0.0 {
            return Err(self.bad_value(name, "must be greater than 0"));
        }
        Ok(Some(x))
    }

    /// "`RULE`, found WHAT THE FILE SAYS", at the value.
    pub fn bad_value(&self, name: &str, rule: &str) -> ScenarioError {
        match self.get(name) {
            Some(value) => {
                let found = self.ctx.snippet(&value.span());
                self.value_err(name, value, format!("{rule}, found {found}"))
            }
            None => self.err(name, rule.to_string()),
        }
    }

    pub fn missing(&self, name: &str, message: impl Into<String>) -> ScenarioError {
        self.ctx.err(Some(&self.span), &self.key(name), message)
    }

    /// The root table of a document.
    pub fn root(ctx: &'c Ctx<'c>, table: &'t DeTable<'i>) -> Section<'c, 't, 'i> {
        Section::new(ctx, table, String::new(), 0..0)
    }

    /// A table at dotted key `path` (such as `arm[0]`), whose header spans `span`.
    pub fn new(
        ctx: &'c Ctx<'c>,
        table: &'t DeTable<'i>,
        path: String,
        span: Range<usize>,
    ) -> Section<'c, 't, 'i> {
        Section {
            ctx,
            table,
            path,
            span,
        }
    }

    /// The document this table belongs to.
    pub fn ctx(&self) -> &'c Ctx<'c> {
        self.ctx
    }

    /// Keys in file order, with their spans.
    pub fn keys(&self) -> Vec<(&'t str, Range<usize>)> {
        let mut keys: Vec<(&str, Range<usize>)> = self
            .table
            .keys()
            .map(|k| (k.get_ref().as_ref(), k.span()))
            .collect();
        keys.sort_by_key(|(_, s)| s.start);
        keys
    }

    /// A whole number from 0 to `u64::MAX`.
    pub fn integer(&self, name: &str) -> Res<Option<u64>> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        match value.get_ref() {
            DeValue::Integer(i) => {
                u64::from_str_radix(i.as_str().trim_start_matches('+'), i.radix())
                    .map(Some)
                    .map_err(|_| {
                        self.value_err(
                            name,
                            value,
                            format!("expected a whole number from 0 to {}", u64::MAX),
                        )
                    })
            }
            other => Err(self.value_err(
                name,
                value,
                format!("expected an integer, found {}", type_name(other)),
            )),
        }
    }

    /// A string, with its value (for errors about it).
    pub fn string(&self, name: &str) -> Res<Option<(String, &'t Value<'i>)>> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        match value.get_ref() {
            DeValue::String(s) => Ok(Some((s.to_string(), value))),
            other => Err(self.value_err(
                name,
                value,
                format!("expected a string, found {}", type_name(other)),
            )),
        }
    }
}

/// Common misnamings of scenario keys, for "did you mean".
pub const KEY_ALIASES: &[(&str, &str)] = &[
    ("age", "age_years"),
    ("weight", "body_weight_kg"),
    ("weight_kg", "body_weight_kg"),
    ("body_weight", "body_weight_kg"),
    ("genotypes", "genotype"),
    ("params", "parameters"),
    ("treatments", "treatment"),
    ("dose", "dose_mg"),
    ("interval_days", "every_days"),
    ("duration", "duration_days"),
    ("output_every", "output_every_days"),
    ("sim", "simulation"),
];

pub fn parse_number(ctx: &Ctx<'_>, key: &str, value: &Value<'_>) -> Res<f64> {
    let span = value.span();
    let x = match value.get_ref() {
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            // Precision loss above 2^53 is irrelevant for these quantities.
            #[allow(clippy::cast_precision_loss)]
            Ok(n) => n as f64,
            Err(_) => {
                return Err(ctx.err(
                    Some(&span),
                    key,
                    format!("integer out of range, found {}", ctx.snippet(&span)),
                ))
            }
        },
        DeValue::Float(f) => {
            let s = f.as_str();
            if s.contains("nan") {
                f64::NAN
            } else {
                s.parse::<f64>().unwrap_or(f64::NAN)
            }
        }
        other => {
            return Err(ctx.err(
                Some(&span),
                key,
                format!("expected a number, found {}", type_name(other)),
            ))
        }
    };
    if !x.is_finite() {
        return Err(ctx.err(
            Some(&span),
            key,
            format!("expected a finite number, found {}", ctx.snippet(&span)),
        ));
    }
    Ok(x)
}
