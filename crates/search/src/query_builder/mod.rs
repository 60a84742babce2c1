//! [`QueryAst`] + mapping + shard layout -> a tantivy [`Query`].
//!
//! The mapping decides how a path is queried (text tokens in `_t.<analyzer>`, exact values in
//! `_k`); an unmapped field matches nothing, as in Elasticsearch. Compound queries live here,
//! term-level ones in `term_level.rs`, full-text ones in `full_text.rs`, value encoding in
//! `values.rs`, term-dictionary expansion (prefix, wildcard, fuzzy) in `expansion.rs`.
//!
//! Owns: the translation. Must not depend on request parsing, collectors or the node layer.

mod expansion;
mod full_text;
mod term_level;
mod values;

use crate::dsl::{BoolQuery, QueryAst};
use crate::shard_target::{AnalyzeFn, ShardTarget};
use quarry_index::layout::ShardLayout;
use quarry_types::{EsError, FieldMapping, Mapping};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery, Occur,
    Query,
};

pub use values::field_kind;
pub use values::FieldKind;

/// Everything a query needs to know about the shard it runs on.
#[derive(Clone, Copy)]
pub struct QueryContext<'a> {
    pub index_name: &'a str,
    pub layout: &'a ShardLayout,
    pub mapping: &'a Mapping,
    pub analyzer: &'a AnalyzeFn,
    pub default_analyzer: &'a str,
    /// Used to expand prefix/wildcard/regexp/fuzzy terms from the term dictionaries.
    pub searcher: &'a tantivy::Searcher,
    /// `now` for date math, epoch millis.
    pub now_ms: i64,
}

impl<'a> QueryContext<'a> {
    pub fn for_shard(target: &ShardTarget<'a>, now_ms: i64) -> Self {
        QueryContext {
            index_name: target.index_name,
            layout: target.layout,
            mapping: target.mapping,
            analyzer: target.analyzer,
            default_analyzer: target.default_analyzer,
            searcher: target.searcher,
            now_ms,
        }
    }

    pub fn field(&self, path: &str) -> Option<&'a FieldMapping> {
        self.mapping.field(path)
    }

    /// `query_shard_exception` "failed to create query: ..." with the index, as Elasticsearch.
    pub fn failed_to_create(&self, reason: &str, cause: EsError) -> EsError {
        EsError::new(
            "query_shard_exception",
            400,
            format!("failed to create query: {reason}"),
        )
        .with("index_uuid", "_na_")
        .with("index", self.index_name.to_string())
        .caused_by(cause)
    }
}

/// Builds the tantivy query for `ast` on one shard.
pub fn build_query(ctx: &QueryContext, ast: &QueryAst) -> Result<Box<dyn Query>, EsError> {
    match ast {
        QueryAst::MatchAll { boost } => Ok(boosted(Box::new(AllQuery), *boost)),
        QueryAst::MatchNone => Ok(none()),
        QueryAst::Bool(b) => build_bool(ctx, b),
        QueryAst::ConstantScore { filter, boost } => Ok(Box::new(ConstScoreQuery::new(
            build_query(ctx, filter)?,
            *boost,
        ))),
        QueryAst::DisMax {
            queries,
            tie_breaker,
            boost,
        } => {
            let mut disjuncts = Vec::with_capacity(queries.len());
            for q in queries {
                disjuncts.push(build_query(ctx, q)?);
            }
            if disjuncts.is_empty() {
                return Ok(none());
            }
            Ok(boosted(
                Box::new(DisjunctionMaxQuery::with_tie_breaker(
                    disjuncts,
                    *tie_breaker,
                )),
                *boost,
            ))
        }
        QueryAst::Boosting {
            positive,
            negative,
            negative_boost,
        } => {
            // Documents matching `negative` keep their score times `negative_boost`:
            // positive AND NOT negative, OR (positive AND negative) * negative_boost.
            let pos = build_query(ctx, positive)?;
            let neg = build_query(ctx, negative)?;
            let plain = BooleanQuery::new(vec![
                (Occur::Must, pos.box_clone()),
                (Occur::MustNot, neg.box_clone()),
            ]);
            let demoted =
                BooleanQuery::new(vec![(Occur::Must, pos), (Occur::Must, filter_clause(neg))]);
            Ok(Box::new(DisjunctionMaxQuery::new(vec![
                Box::new(plain),
                Box::new(BoostQuery::new(Box::new(demoted), *negative_boost)),
            ])))
        }
        QueryAst::Nested {
            path,
            query,
            ignore_unmapped,
        } => {
            if ctx.field(path).is_none() && !ignore_unmapped {
                return Err(ctx.failed_to_create(
                    &format!("[nested] failed to find nested object under path [{path}]"),
                    EsError::illegal_state(format!(
                        "[nested] failed to find nested object under path [{path}]"
                    )),
                ));
            }
            build_query(ctx, query)
        }
        QueryAst::Match(_) | QueryAst::MultiMatch(_) | QueryAst::QueryString(_) => {
            full_text::build(ctx, ast)
        }
        _ => term_level::build(ctx, ast),
    }
}

fn build_bool(ctx: &QueryContext, b: &BoolQuery) -> Result<Box<dyn Query>, EsError> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for q in &b.must {
        clauses.push((Occur::Must, build_query(ctx, q)?));
    }
    for q in &b.filter {
        clauses.push((Occur::Must, filter_clause(build_query(ctx, q)?)));
    }
    let should_count = b.should.len();
    for q in &b.should {
        clauses.push((Occur::Should, build_query(ctx, q)?));
    }
    for q in &b.must_not {
        clauses.push((Occur::MustNot, build_query(ctx, q)?));
    }
    // Elasticsearch: without must/filter, at least one should clause must match.
    let msm = match &b.minimum_should_match {
        Some(spec) => minimum_should_match(spec, should_count),
        None if b.must.is_empty() && b.filter.is_empty() && should_count > 0 => 1,
        None => 0,
    };
    if msm > should_count {
        return Ok(none());
    }
    if clauses.is_empty() {
        return Ok(boosted(Box::new(AllQuery), b.boost));
    }
    if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(Box::new(AllQuery), 0.0)),
        ));
    }
    let mut query = BooleanQuery::new(clauses);
    if msm > 0 {
        query.set_minimum_number_should_match(msm);
    }
    Ok(boosted(Box::new(query), b.boost))
}

/// A clause that must match but does not score (`bool.filter`).
pub(crate) fn filter_clause(q: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(q, 0.0))
}

pub(crate) fn none() -> Box<dyn Query> {
    Box::new(EmptyQuery)
}

pub(crate) fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, boost))
    }
}

/// Elasticsearch's `minimum_should_match`: `3`, `-2`, `75%`, `-25%`, and `2<75%` combinations.
pub fn minimum_should_match(spec: &str, optional: usize) -> usize {
    let spec = spec.trim();
    if let Some((threshold, rest)) = spec.split_once('<') {
        let threshold: usize = threshold.trim().parse().unwrap_or(0);
        return if optional <= threshold {
            optional
        } else {
            minimum_should_match(rest, optional)
        };
    }
    let n = optional as i64;
    let result = if let Some(p) = spec.strip_suffix('%') {
        let pct: i64 = p.trim().parse().unwrap_or(0);
        let calc = n * pct.abs() / 100;
        if pct < 0 {
            n - calc
        } else {
            calc
        }
    } else {
        let v: i64 = spec.parse().unwrap_or(0);
        if v < 0 {
            n + v
        } else {
            v
        }
    };
    result.clamp(0, n) as usize
}

#[cfg(test)]
mod tests {
    use super::minimum_should_match;

    #[test]
    fn minimum_should_match_forms() {
        assert_eq!(minimum_should_match("2", 4), 2);
        assert_eq!(minimum_should_match("-1", 4), 3);
        assert_eq!(minimum_should_match("75%", 4), 3);
        assert_eq!(minimum_should_match("-25%", 4), 3);
        assert_eq!(minimum_should_match("3<90%", 2), 2);
        assert_eq!(minimum_should_match("3<90%", 10), 9);
        assert_eq!(minimum_should_match("10", 3), 3);
    }
}
