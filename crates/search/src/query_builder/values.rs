//! How a query value becomes tantivy terms for a field of a given mapping type: exact terms,
//! range bounds, and Elasticsearch's errors for values the type cannot hold.
//!
//! Owns: value encoding on the query side (mirrors `quarry_index::layout` on the index side).
//! Must not depend on the DSL structs or collectors.

use super::QueryContext;
use crate::date_math::parse_date_math;
use crate::dsl::value_text;
use quarry_index::layout::{encode_ip, escape_path};
use quarry_types::date::date_from_number;
use quarry_types::{EsError, FieldMapping, FieldType};
use serde_json::Value;
use std::net::IpAddr;
use tantivy::Term;

/// How a mapped field is stored and queried.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    /// Tokens in `_t.<index_analyzer>`; query text analyzed with `search_analyzer`.
    Text {
        index_analyzer: String,
        search_analyzer: String,
    },
    Keyword,
    Integer,
    Float,
    Boolean,
    Date {
        format: Option<String>,
    },
    Ip,
    /// Objects, binary and types with no searchable values.
    Other,
}

pub fn field_kind(fm: &FieldMapping, default_analyzer: &str) -> FieldKind {
    let t = fm.field_type;
    if t.is_text() {
        let index_analyzer = fm.analyzer().unwrap_or(default_analyzer).to_string();
        let search_analyzer = fm.search_analyzer().unwrap_or(&index_analyzer).to_string();
        FieldKind::Text {
            index_analyzer,
            search_analyzer,
        }
    } else if t.is_keyword() {
        FieldKind::Keyword
    } else if t.is_integer() {
        FieldKind::Integer
    } else if t.is_float() {
        FieldKind::Float
    } else if t.is_date() {
        FieldKind::Date {
            format: fm.format().map(str::to_string),
        }
    } else if t == FieldType::Boolean {
        FieldKind::Boolean
    } else if t == FieldType::Ip {
        FieldKind::Ip
    } else {
        FieldKind::Other
    }
}

/// The exact-match form of a value on a non-text field.
pub(crate) enum Exact {
    One(Term),
    /// Inclusive range (dates with rounding, CIDR blocks).
    Range(Term, Term),
    /// The value cannot occur in this field (e.g. `5.5` on a long).
    Nothing,
}

pub(crate) fn keyword_string(v: &Value) -> String {
    value_text(v)
}

fn number_error(ctx: &QueryContext, v: &Value) -> EsError {
    let text = value_text(v);
    let reason = format!("For input string: \"{text}\"");
    ctx.failed_to_create(
        &reason,
        EsError::new("number_format_exception", 400, reason.clone()),
    )
}

/// A numeric query value: `5`, `5.5`, `"5"`.
pub(crate) fn parse_number(ctx: &QueryContext, v: &Value) -> Result<f64, EsError> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| number_error(ctx, v)),
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| number_error(ctx, v)),
        _ => Err(number_error(ctx, v)),
    }
}

/// An integral query value as i64, or `None` when it has a decimal part.
pub(crate) fn parse_integer(ctx: &QueryContext, v: &Value) -> Result<Option<i64>, EsError> {
    if let Value::Number(n) = v {
        if let Some(i) = n.as_i64() {
            return Ok(Some(i));
        }
    }
    if let Value::String(s) = v {
        if let Ok(i) = s.trim().parse::<i64>() {
            return Ok(Some(i));
        }
    }
    let f = parse_number(ctx, v)?;
    if f.fract() != 0.0 || !f.is_finite() {
        return Ok(None);
    }
    Ok(Some(f as i64))
}

pub(crate) fn parse_boolean(ctx: &QueryContext, v: &Value) -> Result<bool, EsError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" || s.is_empty() => Ok(false),
        _ => {
            let reason = format!(
                "Can't parse boolean value [{}], expected [true] or [false]",
                value_text(v)
            );
            Err(ctx.failed_to_create(&reason, EsError::illegal_argument(reason.clone())))
        }
    }
}

pub(crate) fn parse_date_value(
    ctx: &QueryContext,
    v: &Value,
    format: Option<&str>,
    round_up: bool,
) -> Result<i64, EsError> {
    match v {
        Value::Number(n) => Ok(date_from_number(n.as_f64().unwrap_or(0.0), format)),
        Value::String(s) => parse_date_math(s, format, ctx.now_ms, round_up),
        other => parse_date_math(&other.to_string(), format, ctx.now_ms, round_up),
    }
}

fn ip_error(ctx: &QueryContext, text: &str) -> EsError {
    let reason = format!("'{text}' is not an IP string literal.");
    ctx.failed_to_create(&reason, EsError::illegal_argument(reason.clone()))
}

pub(crate) fn parse_ip(ctx: &QueryContext, text: &str) -> Result<IpAddr, EsError> {
    text.trim()
        .parse::<IpAddr>()
        .map_err(|_| ip_error(ctx, text))
}

/// `10.0.0.0/8` -> (first, last) addresses, IPv4 kept IPv4.
pub(crate) fn parse_cidr(ctx: &QueryContext, text: &str) -> Result<(IpAddr, IpAddr), EsError> {
    let (addr, bits) = text.split_once('/').ok_or_else(|| ip_error(ctx, text))?;
    let ip = parse_ip(ctx, addr)?;
    let bits: u32 = bits.parse().map_err(|_| ip_error(ctx, text))?;
    Ok(match ip {
        IpAddr::V4(v4) => {
            if bits > 32 {
                return Err(ip_error(ctx, text));
            }
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            let base = u32::from(v4) & mask;
            (IpAddr::V4(base.into()), IpAddr::V4((base | !mask).into()))
        }
        IpAddr::V6(v6) => {
            if bits > 128 {
                return Err(ip_error(ctx, text));
            }
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            let base = u128::from(v6) & mask;
            (IpAddr::V6(base.into()), IpAddr::V6((base | !mask).into()))
        }
    })
}

/// A `_k` term holding an f64 even when the value is integral (range bounds on float fields).
pub(crate) fn f64_term(ctx: &QueryContext, path: &str, v: f64) -> Term {
    let mut t = Term::from_field_json_path(ctx.layout.keyword, &escape_path(path), false);
    t.append_type_and_fast_value(v);
    t
}

/// The exact-match terms of `v` on a non-text field of kind `kind`.
pub(crate) fn exact_value(
    ctx: &QueryContext,
    path: &str,
    kind: &FieldKind,
    v: &Value,
) -> Result<Exact, EsError> {
    let layout = ctx.layout;
    Ok(match kind {
        FieldKind::Keyword => Exact::One(layout.keyword_term(path, &keyword_string(v))),
        FieldKind::Integer => match parse_integer(ctx, v)? {
            Some(i) => Exact::One(layout.long_term(path, i)),
            None => Exact::Nothing,
        },
        FieldKind::Float => Exact::One(layout.numeric_term(path, parse_number(ctx, v)?)),
        FieldKind::Boolean => Exact::One(layout.bool_term(path, parse_boolean(ctx, v)?)),
        FieldKind::Date { format } => {
            let lo = parse_date_value(ctx, v, format.as_deref(), false)?;
            let hi = parse_date_value(ctx, v, format.as_deref(), true)?;
            if lo == hi {
                Exact::One(layout.long_term(path, lo))
            } else {
                Exact::Range(layout.long_term(path, lo), layout.long_term(path, hi))
            }
        }
        FieldKind::Ip => {
            let text = keyword_string(v);
            if text.contains('/') {
                let (lo, hi) = parse_cidr(ctx, &text)?;
                Exact::Range(
                    layout.keyword_term(path, &encode_ip(lo)),
                    layout.keyword_term(path, &encode_ip(hi)),
                )
            } else {
                Exact::One(layout.keyword_term(path, &encode_ip(parse_ip(ctx, &text)?)))
            }
        }
        FieldKind::Text { index_analyzer, .. } => {
            match layout.text_term(index_analyzer, path, &keyword_string(v)) {
                Some(t) => Exact::One(t),
                None => Exact::Nothing,
            }
        }
        FieldKind::Other => Exact::Nothing,
    })
}
