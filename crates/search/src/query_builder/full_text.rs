//! Full-text queries on one shard: `match` (+ phrase, phrase_prefix, bool_prefix), `multi_match`,
//! `query_string` and `simple_query_string`.
//!
//! Text fields are analyzed with the field's search analyzer and looked up in
//! `_t.<index analyzer>`; other field kinds get an exact term, as Elasticsearch's `match` does.
//! Owns: analysis-driven query shapes and default-field expansion. Must not depend on collectors.

use super::term_level::{fuzzy_query, terms_query};
use super::values::{keyword_string, FieldKind};
use super::{boosted, build_query, field_kind, minimum_should_match, none, QueryContext};
use crate::dsl::query_string::{parse_query_string, QsNode, QsOccur};
use crate::dsl::{
    BoolQuery, MatchKind, MatchQuery, MultiMatchQuery, MultiMatchType, Operator, PatternKind,
    QueryAst, QueryStringQuery, RangeQuery,
};
use quarry_types::EsError;
use serde_json::Value;
use tantivy::query::{
    AllQuery, BooleanQuery, DisjunctionMaxQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query,
    TermQuery,
};
use tantivy::schema::IndexRecordOption;

pub(super) fn build(ctx: &QueryContext, ast: &QueryAst) -> Result<Box<dyn Query>, EsError> {
    match ast {
        QueryAst::Match(q) => match_query(ctx, q, &q.field),
        QueryAst::MultiMatch(m) => multi_match(ctx, m),
        QueryAst::QueryString(q) => query_string(ctx, q),
        _ => Ok(none()),
    }
}

/// `match`-family query of `q` on `field` (which may differ from `q.field` for multi_match).
fn match_query(ctx: &QueryContext, q: &MatchQuery, field: &str) -> Result<Box<dyn Query>, EsError> {
    if field.starts_with('_') && ctx.field(field).is_none() {
        return Ok(boosted(
            terms_query(ctx, field, std::slice::from_ref(&q.query))?,
            q.boost,
        ));
    }
    let Some(fm) = ctx.field(field) else {
        return Ok(none());
    };
    let kind = field_kind(fm, ctx.default_analyzer);
    let FieldKind::Text {
        index_analyzer,
        search_analyzer,
    } = kind
    else {
        let built = terms_query(ctx, field, std::slice::from_ref(&q.query));
        return match built {
            Ok(query) => Ok(boosted(query, q.boost)),
            Err(_) if q.lenient => Ok(none()),
            Err(e) => Err(e),
        };
    };
    let text = keyword_string(&q.query);
    let analyzer = q.analyzer.as_deref().unwrap_or(&search_analyzer);
    let tokens = (ctx.analyzer)(analyzer, &text);
    if tokens.is_empty() {
        return Ok(if q.zero_terms_all {
            boosted(Box::new(AllQuery), q.boost)
        } else {
            none()
        });
    }
    let layout = ctx.layout;
    let mut terms = Vec::with_capacity(tokens.len());
    for t in &tokens {
        match layout.text_term(&index_analyzer, field, t) {
            Some(term) => terms.push(term),
            None => return Ok(none()),
        }
    }
    let query: Box<dyn Query> = match &q.kind {
        MatchKind::Phrase { slop } => {
            if terms.len() == 1 {
                Box::new(TermQuery::new(
                    terms.remove(0),
                    IndexRecordOption::WithFreqs,
                ))
            } else {
                Box::new(PhraseQuery::new_with_offset_and_slop(
                    terms.into_iter().enumerate().collect(),
                    *slop,
                ))
            }
        }
        MatchKind::PhrasePrefix { max_expansions, .. } => {
            if terms.len() == 1 {
                let last = tokens.last().map(String::as_str).unwrap_or("");
                prefix_on(ctx, field, last)?
            } else {
                let mut p = PhrasePrefixQuery::new(terms);
                p.set_max_expansions(*max_expansions);
                Box::new(p)
            }
        }
        MatchKind::Bool | MatchKind::BoolPrefix => {
            let mut clauses: Vec<Box<dyn Query>> = Vec::with_capacity(terms.len());
            let last = tokens.len() - 1;
            for (i, (term, token)) in terms.into_iter().zip(&tokens).enumerate() {
                let clause = if q.kind == MatchKind::BoolPrefix && i == last {
                    prefix_on(ctx, field, token)?
                } else if let Some(f) = &q.fuzziness {
                    fuzzy_query(ctx, field, token, f, q.prefix_length, 50, true)?
                } else {
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
                };
                clauses.push(clause);
            }
            combine(clauses, q.operator, q.minimum_should_match.as_deref())
        }
    };
    Ok(boosted(query, q.boost))
}

fn prefix_on(ctx: &QueryContext, field: &str, token: &str) -> Result<Box<dyn Query>, EsError> {
    let ast = QueryAst::Pattern {
        kind: PatternKind::Prefix,
        field: field.to_string(),
        value: token.to_string(),
        case_insensitive: false,
        boost: 1.0,
    };
    build_query(ctx, &ast)
}

fn combine(mut clauses: Vec<Box<dyn Query>>, op: Operator, msm: Option<&str>) -> Box<dyn Query> {
    if clauses.len() == 1 {
        return clauses.remove(0);
    }
    let n = clauses.len();
    let occur = if op == Operator::And {
        Occur::Must
    } else {
        Occur::Should
    };
    let mut query = BooleanQuery::new(clauses.into_iter().map(|c| (occur, c)).collect());
    if op == Operator::Or {
        let m = msm.map(|s| minimum_should_match(s, n)).unwrap_or(1).max(1);
        query.set_minimum_number_should_match(m);
    }
    Box::new(query)
}

/// Field patterns (`title^2`, `name.*`, `*`) resolved against the mapping; `lenient` is true
/// when a pattern matched fields of several kinds (the `*` default).
fn resolve_fields(ctx: &QueryContext, patterns: &[(String, f32)]) -> (Vec<(String, f32)>, bool) {
    let mut out: Vec<(String, f32)> = Vec::new();
    let mut lenient = false;
    for (pattern, boost) in patterns {
        if !pattern.contains('*') {
            out.push((pattern.clone(), *boost));
            continue;
        }
        lenient = true;
        let re = regex::Regex::new(&super::expansion::wildcard_to_regex(pattern));
        for (path, fm) in ctx.mapping.leaves() {
            let matches = re.as_ref().map(|r| r.is_match(&path)).unwrap_or(false);
            if matches
                && field_kind(fm, ctx.default_analyzer) != FieldKind::Other
                && fm.is_indexed()
                && !out.iter().any(|(p, _)| *p == path)
            {
                out.push((path, *boost));
            }
        }
    }
    (out, lenient)
}

fn multi_match(ctx: &QueryContext, m: &MultiMatchQuery) -> Result<Box<dyn Query>, EsError> {
    let patterns = if m.fields.is_empty() {
        vec![("*".to_string(), 1.0)]
    } else {
        m.fields.clone()
    };
    let (fields, lenient) = resolve_fields(ctx, &patterns);
    let mut per_field = Vec::with_capacity(fields.len());
    for (field, boost) in &fields {
        let mut q = m.options.clone();
        q.field = field.clone();
        q.query = m.query.clone();
        q.boost = *boost;
        q.lenient = q.lenient || lenient;
        per_field.push(match_query(ctx, &q, field)?);
    }
    if per_field.is_empty() {
        return Ok(none());
    }
    let combined: Box<dyn Query> = if per_field.len() == 1 {
        per_field.remove(0)
    } else if m.match_type == MultiMatchType::MostFields {
        Box::new(BooleanQuery::new(
            per_field.into_iter().map(|q| (Occur::Should, q)).collect(),
        ))
    } else {
        Box::new(DisjunctionMaxQuery::with_tie_breaker(
            per_field,
            m.tie_breaker.unwrap_or(0.0),
        ))
    };
    Ok(boosted(combined, m.options.boost))
}

fn query_string(ctx: &QueryContext, q: &QueryStringQuery) -> Result<Box<dyn Query>, EsError> {
    let node = parse_query_string(&q.query, q.default_operator, q.simple)?;
    let patterns = if !q.fields.is_empty() {
        q.fields.clone()
    } else {
        vec![(
            q.default_field.clone().unwrap_or_else(|| "*".to_string()),
            1.0,
        )]
    };
    let ast = qs_to_ast(ctx, q, &node, &patterns);
    Ok(boosted(build_query(ctx, &ast)?, q.boost))
}

/// One query-string clause on the default fields or on its own field.
fn qs_to_ast(
    ctx: &QueryContext,
    q: &QueryStringQuery,
    node: &QsNode,
    defaults: &[(String, f32)],
) -> QueryAst {
    let per_field =
        |field: &Option<String>, make: &dyn Fn(&str, f32, bool) -> QueryAst| -> QueryAst {
            let patterns = match field {
                Some(f) => vec![(f.clone(), 1.0)],
                None => defaults.to_vec(),
            };
            let (fields, lenient) = resolve_fields(ctx, &patterns);
            let mut queries: Vec<QueryAst> = fields
                .iter()
                .map(|(f, b)| make(f, *b, lenient || q.lenient))
                .collect();
            match queries.len() {
                0 => QueryAst::MatchNone,
                1 => queries.remove(0),
                _ => QueryAst::DisMax {
                    queries,
                    tie_breaker: 0.0,
                    boost: 1.0,
                },
            }
        };
    match node {
        QsNode::MatchAll => QueryAst::match_all(),
        QsNode::Exists { field } => QueryAst::Exists {
            field: field.clone(),
            boost: 1.0,
        },
        QsNode::Boost(inner, b) => QueryAst::Bool(BoolQuery {
            must: vec![qs_to_ast(ctx, q, inner, defaults)],
            boost: *b,
            ..BoolQuery::default()
        }),
        QsNode::Bool(clauses) => {
            let mut b = BoolQuery {
                boost: 1.0,
                ..BoolQuery::default()
            };
            if clauses.is_empty() {
                return QueryAst::MatchNone;
            }
            for (occur, c) in clauses {
                let ast = qs_to_ast(ctx, q, c, defaults);
                match occur {
                    QsOccur::Must => b.must.push(ast),
                    QsOccur::Should => b.should.push(ast),
                    QsOccur::MustNot => b.must_not.push(ast),
                }
            }
            if !b.must.is_empty() && !b.should.is_empty() {
                b.minimum_should_match = Some("0".to_string());
            }
            QueryAst::Bool(b)
        }
        QsNode::Term { field, text } => per_field(field, &|f, boost, lenient| {
            if text.contains('*') || text.contains('?') {
                let is_text = ctx.field(f).is_some_and(|fm| fm.field_type.is_text());
                let value = if is_text {
                    text.to_lowercase()
                } else {
                    text.clone()
                };
                let trailing_only =
                    value.ends_with('*') && !value[..value.len() - 1].contains(['*', '?']);
                let (kind, value) = if trailing_only {
                    (PatternKind::Prefix, value[..value.len() - 1].to_string())
                } else {
                    (PatternKind::Wildcard, value)
                };
                return QueryAst::Pattern {
                    kind,
                    field: f.to_string(),
                    value,
                    case_insensitive: false,
                    boost,
                };
            }
            let mut m = MatchQuery::new(f, Value::String(text.clone()), MatchKind::Bool);
            m.operator = q.default_operator;
            m.analyzer = q.analyzer.clone();
            m.lenient = lenient;
            m.boost = boost;
            QueryAst::Match(m)
        }),
        QsNode::Phrase { field, text, slop } => per_field(field, &|f, boost, lenient| {
            let mut m = MatchQuery::new(
                f,
                Value::String(text.clone()),
                MatchKind::Phrase { slop: *slop },
            );
            m.analyzer = q.analyzer.clone();
            m.lenient = lenient;
            m.boost = boost;
            QueryAst::Match(m)
        }),
        QsNode::Range {
            field,
            lower,
            upper,
            include_lower,
            include_upper,
        } => per_field(field, &|f, boost, _| {
            let v = |s: &Option<String>| s.clone().map(Value::String);
            QueryAst::Range(RangeQuery {
                field: f.to_string(),
                gt: if *include_lower { None } else { v(lower) },
                gte: if *include_lower { v(lower) } else { None },
                lt: if *include_upper { None } else { v(upper) },
                lte: if *include_upper { v(upper) } else { None },
                format: None,
                time_zone: None,
                boost,
            })
        }),
    }
}
