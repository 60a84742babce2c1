//! The coordinator's reduce of the query phase: total hits, max score and the global top
//! `from..from+size`, ties broken by shard index then doc, as Elasticsearch does.
//!
//! PURE: no I/O, no tantivy searcher; must not depend on shards or the fetch phase.

use crate::query_phase::{QuerySearchResult, ShardDoc};
use crate::sort::{compare_sort_values, SortField};
use std::cmp::Ordering;

/// `hits.total.relation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalRelation {
    Eq,
    Gte,
}

impl TotalRelation {
    pub fn as_str(self) -> &'static str {
        match self {
            TotalRelation::Eq => "eq",
            TotalRelation::Gte => "gte",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReducedQueryPhase {
    pub total_hits: u64,
    pub relation: TotalRelation,
    pub max_score: Option<f32>,
    /// The page of hits in order: (shard index, doc).
    pub hits: Vec<(usize, ShardDoc)>,
    pub terminated_early: bool,
}

/// Orders hits across shards: sort values, then shard index, then doc address.
pub fn compare_hits(sort: &[SortField], a: &(usize, ShardDoc), b: &(usize, ShardDoc)) -> Ordering {
    compare_sort_values(sort, &a.1.sort_values, &b.1.sort_values)
        .then(a.0.cmp(&b.0))
        .then(a.1.doc.segment_ord.cmp(&b.1.doc.segment_ord))
        .then(a.1.doc.doc_id.cmp(&b.1.doc.doc_id))
}

/// Merges per-shard results. `sort` is the effective sort the shards used
/// ([`crate::query_phase::effective_sort`]); `track_total_hits` as in the request.
pub fn reduce(
    results: &[QuerySearchResult],
    from: usize,
    size: usize,
    sort: &[SortField],
    track_total_hits: Option<u64>,
) -> ReducedQueryPhase {
    let mut total: u64 = 0;
    let mut max_score: Option<f32> = None;
    let mut terminated_early = false;
    let mut all: Vec<(usize, ShardDoc)> = Vec::new();
    for r in results {
        total = total.saturating_add(r.total_hits);
        terminated_early |= r.terminated_early;
        if let Some(s) = r.max_score {
            max_score = Some(max_score.map_or(s, |m: f32| m.max(s)));
        }
        all.extend(r.top.iter().cloned().map(|d| (r.shard_index, d)));
    }
    all.sort_by(|a, b| compare_hits(sort, a, b));
    let hits: Vec<(usize, ShardDoc)> = all.into_iter().skip(from).take(size).collect();
    let (total_hits, relation) = match track_total_hits {
        Some(limit) if total > limit => (limit, TotalRelation::Gte),
        _ => (total, TotalRelation::Eq),
    };
    ReducedQueryPhase {
        total_hits,
        relation,
        max_score,
        hits,
        terminated_early,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sort::{SortKey, SortOrder, SortValue};
    use tantivy::DocAddress;

    fn doc(seg: u32, id: u32, v: i64) -> ShardDoc {
        ShardDoc {
            doc: DocAddress::new(seg, id),
            score: 1.0,
            sort_values: vec![SortValue::Long(v)],
        }
    }

    fn shard(index: usize, docs: Vec<ShardDoc>) -> QuerySearchResult {
        QuerySearchResult {
            shard_index: index,
            total_hits: docs.len() as u64,
            max_score: Some(1.0),
            top: docs,
            aggregations: None,
            terminated_early: false,
        }
    }

    #[test]
    fn reduce_over_shards_equals_single_shard_order() {
        let mut sort = SortField::new(SortKey::Field("n".into()));
        sort.order = SortOrder::Desc;
        let sort = vec![sort];
        // Values 0..30 spread over 3 shards round robin, with a tie on 7.
        let mut shards: Vec<Vec<ShardDoc>> = vec![Vec::new(), Vec::new(), Vec::new()];
        let mut single = Vec::new();
        for v in 0..30i64 {
            let value = if v == 8 { 7 } else { v };
            shards[(v % 3) as usize].push(doc(0, v as u32, value));
            single.push(value);
        }
        let results: Vec<QuerySearchResult> = shards
            .into_iter()
            .enumerate()
            .map(|(i, d)| shard(i, d))
            .collect();
        let reduced = reduce(&results, 5, 10, &sort, Some(10_000));
        single.sort_by(|a, b| b.cmp(a));
        let got: Vec<i64> = reduced
            .hits
            .iter()
            .map(|(_, d)| match d.sort_values[0] {
                SortValue::Long(v) => v,
                _ => -1,
            })
            .collect();
        assert_eq!(got, single[5..15].to_vec());
        assert_eq!(reduced.total_hits, 30);
        // The tie on 7: shard 1 (value 7 from v=7) before shard 2 (v=8).
        let all = reduce(&results, 0, 30, &sort, Some(10_000));
        let sevens: Vec<usize> = all
            .hits
            .iter()
            .filter(|(_, d)| d.sort_values[0] == SortValue::Long(7))
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(sevens, vec![1, 2]);
    }

    #[test]
    fn total_is_capped_by_track_total_hits() {
        let results = vec![
            shard(0, vec![doc(0, 0, 1), doc(0, 1, 2)]),
            shard(1, vec![doc(0, 0, 3)]),
        ];
        let r = reduce(&results, 0, 10, &[], Some(2));
        assert_eq!((r.total_hits, r.relation), (2, TotalRelation::Gte));
        let r = reduce(&results, 0, 10, &[], None);
        assert_eq!((r.total_hits, r.relation), (3, TotalRelation::Eq));
    }
}
