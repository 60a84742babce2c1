//! Term-level queries on one shard: `term`, `terms`, `range`, `exists`, `ids`, `prefix`,
//! `wildcard`, `regexp`, `fuzzy`, including the metadata fields `_id` and `_index`.
//!
//! Owns: the choice of tantivy query per field kind. Must not depend on collectors.

use super::expansion::{
    self, edit_distance, fuzziness_edits, wildcard_literal_prefix, wildcard_to_regex,
};
use super::values::{
    exact_value, f64_term, keyword_string, parse_boolean, parse_date_value, parse_integer,
    parse_ip, parse_number, Exact, FieldKind,
};
use super::{boosted, field_kind, none, QueryContext};
use crate::dsl::{PatternKind, QueryAst, RangeQuery as RangeAst};
use quarry_index::layout::encode_ip;
use quarry_types::EsError;
use serde_json::Value;
use std::ops::Bound;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

pub(super) fn build(ctx: &QueryContext, ast: &QueryAst) -> Result<Box<dyn Query>, EsError> {
    match ast {
        QueryAst::Term {
            field,
            value,
            boost,
            case_insensitive,
        } => {
            let q = if *case_insensitive {
                case_insensitive_term(ctx, field, value)?
            } else {
                terms_query(ctx, field, std::slice::from_ref(value))?
            };
            Ok(boosted(q, *boost))
        }
        QueryAst::Terms {
            field,
            values,
            boost,
        } => Ok(boosted(terms_query(ctx, field, values)?, *boost)),
        QueryAst::Range(r) => Ok(boosted(range_query(ctx, r)?, r.boost)),
        QueryAst::Exists { field, boost } => {
            let q: Box<dyn Query> = if field == "_id" || field == "_index" || field == "_source" {
                Box::new(AllQuery)
            } else if ctx.field(field).is_none() {
                none()
            } else {
                term_query(ctx.layout.field_name_term(field))
            };
            Ok(boosted(constant(q), *boost))
        }
        QueryAst::Ids { values, boost } => {
            let terms: Vec<Term> = values.iter().map(|id| ctx.layout.id_term(id)).collect();
            Ok(boosted(term_set(terms), *boost))
        }
        QueryAst::Pattern {
            kind,
            field,
            value,
            case_insensitive,
            boost,
        } => Ok(boosted(
            pattern_query(ctx, *kind, field, value, *case_insensitive)?,
            *boost,
        )),
        QueryAst::Fuzzy {
            field,
            value,
            fuzziness,
            prefix_length,
            max_expansions,
            transpositions,
            boost,
        } => {
            let spec = fuzziness.as_deref().unwrap_or("AUTO");
            let q = fuzzy_query(
                ctx,
                field,
                &keyword_string(value),
                spec,
                *prefix_length,
                *max_expansions,
                *transpositions,
            )?;
            Ok(boosted(q, *boost))
        }
        _ => Ok(none()),
    }
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
}

/// Elasticsearch's `terms`/multi-term queries score a constant 1 (times boost).
fn term_set(terms: Vec<Term>) -> Box<dyn Query> {
    constant(Box::new(TermSetQuery::new(terms)))
}

fn constant(q: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(q, 1.0))
}

fn inclusive_range(lo: Term, hi: Term) -> Box<dyn Query> {
    Box::new(RangeQuery::new(Bound::Included(lo), Bound::Included(hi)))
}

/// `term` (one value) and `terms` on any field kind.
pub(crate) fn terms_query(
    ctx: &QueryContext,
    field: &str,
    values: &[Value],
) -> Result<Box<dyn Query>, EsError> {
    match field {
        "_id" => {
            let terms: Vec<Term> = values
                .iter()
                .map(|v| ctx.layout.id_term(&keyword_string(v)))
                .collect();
            return Ok(term_set(terms));
        }
        "_index" => {
            let hit = values.iter().any(|v| keyword_string(v) == ctx.index_name);
            return Ok(if hit {
                constant(Box::new(AllQuery))
            } else {
                none()
            });
        }
        "_routing" => {
            let terms: Vec<Term> = values
                .iter()
                .map(|v| Term::from_field_text(ctx.layout.routing, &keyword_string(v)))
                .collect();
            return Ok(term_set(terms));
        }
        _ => {}
    }
    let Some(fm) = ctx.field(field) else {
        return Ok(none());
    };
    let kind = field_kind(fm, ctx.default_analyzer);
    let mut terms = Vec::new();
    let mut ranges: Vec<Box<dyn Query>> = Vec::new();
    for v in values {
        match exact_value(ctx, field, &kind, v)? {
            Exact::One(t) => terms.push(t),
            Exact::Range(lo, hi) => ranges.push(inclusive_range(lo, hi)),
            Exact::Nothing => {}
        }
    }
    if ranges.is_empty() && terms.len() == 1 {
        // A single term scores like Elasticsearch's term query.
        return Ok(term_query(terms.remove(0)));
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> =
        ranges.into_iter().map(|q| (Occur::Should, q)).collect();
    if !terms.is_empty() {
        clauses.push((Occur::Should, term_set(terms)));
    }
    Ok(match clauses.len() {
        0 => none(),
        1 => clauses.remove(0).1,
        _ => constant(Box::new(BooleanQuery::new(clauses))),
    })
}

fn case_insensitive_term(
    ctx: &QueryContext,
    field: &str,
    value: &Value,
) -> Result<Box<dyn Query>, EsError> {
    let text = keyword_string(value);
    let pattern = format!("(?i)^(?s:{})$", regex::escape(&text));
    expanded(ctx, field, "", &pattern, "term")
}

fn pattern_query(
    ctx: &QueryContext,
    kind: PatternKind,
    field: &str,
    value: &str,
    case_insensitive: bool,
) -> Result<Box<dyn Query>, EsError> {
    let (regex, literal_prefix) = match kind {
        PatternKind::Prefix => (
            format!("^(?s:{}).*$", regex::escape(value)),
            value.to_string(),
        ),
        PatternKind::Wildcard => (wildcard_to_regex(value), wildcard_literal_prefix(value)),
        PatternKind::Regexp => (format!("^(?:{value})$"), String::new()),
    };
    let (regex, literal_prefix) = if case_insensitive {
        (format!("(?i){regex}"), String::new())
    } else {
        (regex, literal_prefix)
    };
    let name = match kind {
        PatternKind::Prefix => "prefix",
        PatternKind::Wildcard => "wildcard",
        PatternKind::Regexp => "regexp",
    };
    expanded(ctx, field, &literal_prefix, &regex, name)
}

/// The term dictionary of `field` filtered by `regex`, as a constant-score term set.
fn expanded(
    ctx: &QueryContext,
    field: &str,
    literal_prefix: &str,
    regex: &str,
    name: &str,
) -> Result<Box<dyn Query>, EsError> {
    let re = regex::Regex::new(regex).map_err(|e| {
        ctx.failed_to_create(
            &format!("invalid {name} pattern"),
            EsError::illegal_argument(e.to_string()),
        )
    })?;
    let Some((tantivy_field, prefix_term, make)) = expansion_target(ctx, field, name)? else {
        return Ok(none());
    };
    let found = expansion::expand(
        ctx.searcher,
        tantivy_field,
        &prefix_term,
        literal_prefix,
        expansion::MAX_EXPANSIONS,
        &|s| re.is_match(s),
    )?;
    let terms: Vec<Term> = found.iter().filter_map(|s| make(s)).collect();
    if terms.is_empty() {
        return Ok(none());
    }
    Ok(term_set(terms))
}

type MakeTerm<'a> = Box<dyn Fn(&str) -> Option<Term> + 'a>;

/// Which tantivy field and path a multi-term query walks, and how to rebuild a found term.
fn expansion_target<'a>(
    ctx: &QueryContext<'a>,
    field: &'a str,
    name: &str,
) -> Result<Option<(Field, Term, MakeTerm<'a>)>, EsError> {
    let layout = ctx.layout;
    if field == "_id" {
        return Ok(Some((
            layout.id,
            Term::from_field_text(layout.id, ""),
            Box::new(move |s| Some(layout.id_term(s))),
        )));
    }
    let Some(fm) = ctx.field(field) else {
        return Ok(None);
    };
    match field_kind(fm, ctx.default_analyzer) {
        FieldKind::Keyword => Ok(Some((
            layout.keyword,
            layout.keyword_term(field, ""),
            Box::new(move |s| Some(layout.keyword_term(field, s))),
        ))),
        FieldKind::Text { index_analyzer, .. } => {
            let (Some(tf), Some(prefix)) = (
                layout.text_field(&index_analyzer),
                layout.text_term(&index_analyzer, field, ""),
            ) else {
                return Ok(None);
            };
            Ok(Some((
                tf,
                prefix,
                Box::new(move |s| layout.text_term(&index_analyzer, field, s)),
            )))
        }
        _ => {
            let reason = format!(
                "Can only use {name} queries on keyword and text fields - not on [{field}] which is of type [{}]",
                fm.field_type.name()
            );
            Err(ctx.failed_to_create(&reason, EsError::illegal_argument(reason.clone())))
        }
    }
}

pub(crate) fn fuzzy_query(
    ctx: &QueryContext,
    field: &str,
    text: &str,
    fuzziness: &str,
    prefix_length: u32,
    max_expansions: u32,
    transpositions: bool,
) -> Result<Box<dyn Query>, EsError> {
    let Some((tantivy_field, prefix_term, make)) = expansion_target(ctx, field, "fuzzy")? else {
        return Ok(none());
    };
    let edits = fuzziness_edits(fuzziness, text);
    let literal: String = text.chars().take(prefix_length as usize).collect();
    let found = expansion::expand(
        ctx.searcher,
        tantivy_field,
        &prefix_term,
        &literal,
        expansion::MAX_EXPANSIONS,
        &|s| edit_distance(s, text, transpositions) <= edits,
    )?;
    // Closest terms first, as Lucene's top-terms rewrite keeps them.
    let mut ranked: Vec<(usize, &String)> = found
        .iter()
        .map(|s| (edit_distance(s, text, transpositions), s))
        .collect();
    ranked.sort();
    ranked.truncate(max_expansions.max(1) as usize);
    let clauses: Vec<(Occur, Box<dyn Query>)> = ranked
        .iter()
        .filter_map(|(_, s)| make(s))
        .map(|t| (Occur::Should, term_query(t)))
        .collect();
    Ok(match clauses.len() {
        0 => none(),
        _ => Box::new(BooleanQuery::new(clauses)),
    })
}

fn range_query(ctx: &QueryContext, r: &RangeAst) -> Result<Box<dyn Query>, EsError> {
    let path = r.field.as_str();
    let Some(fm) = ctx.field(path) else {
        return Ok(none());
    };
    let layout = ctx.layout;
    let kind = field_kind(fm, ctx.default_analyzer);
    let (lower, upper): (Bound<Term>, Bound<Term>) = match &kind {
        FieldKind::Integer => {
            let lo = match (&r.gt, &r.gte) {
                (Some(v), _) => Some(integer_bound(ctx, v, true, true)?),
                (None, Some(v)) => Some(integer_bound(ctx, v, true, false)?),
                _ => None,
            };
            let hi = match (&r.lt, &r.lte) {
                (Some(v), _) => Some(integer_bound(ctx, v, false, true)?),
                (None, Some(v)) => Some(integer_bound(ctx, v, false, false)?),
                _ => None,
            };
            if let (Some(l), Some(h)) = (lo, hi) {
                if l > h {
                    return Ok(none());
                }
            }
            (
                lo.map_or(Bound::Unbounded, |v| {
                    Bound::Included(layout.long_term(path, v))
                }),
                hi.map_or(Bound::Unbounded, |v| {
                    Bound::Included(layout.long_term(path, v))
                }),
            )
        }
        FieldKind::Float => {
            let mk = |v: &Value| -> Result<Term, EsError> {
                Ok(f64_term(ctx, path, parse_number(ctx, v)?))
            };
            bounds(r, &mk, &mk)?
        }
        FieldKind::Date { format } => {
            let fmt = r.format.as_deref().or(format.as_deref());
            // gt and lte round up to the end of a rounded unit; gte and lt round down.
            let lo = match (&r.gt, &r.gte) {
                (Some(v), _) => {
                    Bound::Excluded(layout.long_term(path, parse_date_value(ctx, v, fmt, true)?))
                }
                (None, Some(v)) => {
                    Bound::Included(layout.long_term(path, parse_date_value(ctx, v, fmt, false)?))
                }
                _ => Bound::Unbounded,
            };
            let hi = match (&r.lt, &r.lte) {
                (Some(v), _) => {
                    Bound::Excluded(layout.long_term(path, parse_date_value(ctx, v, fmt, false)?))
                }
                (None, Some(v)) => {
                    Bound::Included(layout.long_term(path, parse_date_value(ctx, v, fmt, true)?))
                }
                _ => Bound::Unbounded,
            };
            (lo, hi)
        }
        FieldKind::Keyword => {
            let mk = |v: &Value| -> Result<Term, EsError> {
                Ok(layout.keyword_term(path, &keyword_string(v)))
            };
            bounds(r, &mk, &mk)?
        }
        FieldKind::Ip => {
            let mk = |v: &Value| -> Result<Term, EsError> {
                Ok(layout.keyword_term(path, &encode_ip(parse_ip(ctx, &keyword_string(v))?)))
            };
            bounds(r, &mk, &mk)?
        }
        FieldKind::Boolean => return boolean_range(ctx, path, r),
        FieldKind::Text { .. } | FieldKind::Other => return Ok(none()),
    };
    if matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded)) {
        return Ok(constant(term_query(layout.field_name_term(path))));
    }
    Ok(Box::new(RangeQuery::new(lower, upper)))
}

type MkTerm<'a> = dyn Fn(&Value) -> Result<Term, EsError> + 'a;

fn bounds(r: &RangeAst, lo: &MkTerm, hi: &MkTerm) -> Result<(Bound<Term>, Bound<Term>), EsError> {
    let lower = match (&r.gt, &r.gte) {
        (Some(v), _) => Bound::Excluded(lo(v)?),
        (None, Some(v)) => Bound::Included(lo(v)?),
        _ => Bound::Unbounded,
    };
    let upper = match (&r.lt, &r.lte) {
        (Some(v), _) => Bound::Excluded(hi(v)?),
        (None, Some(v)) => Bound::Included(hi(v)?),
        _ => Bound::Unbounded,
    };
    Ok((lower, upper))
}

/// An inclusive i64 bound for an integer field: `gt 5` -> `>= 6`, `gte 5.5` -> `>= 6`,
/// `lt 5` -> `<= 4`, `lte 5.5` -> `<= 5`.
fn integer_bound(
    ctx: &QueryContext,
    v: &Value,
    lower: bool,
    exclusive: bool,
) -> Result<i64, EsError> {
    if let Some(i) = parse_integer(ctx, v)? {
        return Ok(match (lower, exclusive) {
            (true, true) => i.saturating_add(1),
            (false, true) => i.saturating_sub(1),
            _ => i,
        });
    }
    let f = parse_number(ctx, v)?;
    Ok(if lower {
        f.ceil() as i64
    } else {
        f.floor() as i64
    })
}

fn boolean_range(ctx: &QueryContext, path: &str, r: &RangeAst) -> Result<Box<dyn Query>, EsError> {
    let as_num = |v: &Value| -> Result<i32, EsError> { Ok(i32::from(parse_boolean(ctx, v)?)) };
    let lo = match (&r.gt, &r.gte) {
        (Some(v), _) => as_num(v)? + 1,
        (None, Some(v)) => as_num(v)?,
        _ => 0,
    };
    let hi = match (&r.lt, &r.lte) {
        (Some(v), _) => as_num(v)? - 1,
        (None, Some(v)) => as_num(v)?,
        _ => 1,
    };
    let terms: Vec<Term> = (lo.max(0)..=hi.min(1))
        .map(|b| ctx.layout.bool_term(path, b == 1))
        .collect();
    Ok(if terms.is_empty() {
        none()
    } else {
        term_set(terms)
    })
}
