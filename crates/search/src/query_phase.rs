//! The query phase on one shard: run the query, count matches, keep the shard's top
//! `from + size` hits by score or by the sort fields (doc values), honour `search_after`,
//! `min_score`, `terminate_after`, and collect intermediate aggregations.
//!
//! Owns: [`QuerySearchResult`], [`ShardDoc`] and the top-k collector. Must not render JSON hits
//! (fetch phase) nor merge shards (reduce).

use crate::doc_values::{DocValue, PathValues};
use crate::query_builder::{build_query, field_kind, filter_clause, FieldKind, QueryContext};
use crate::search_request::SearchRequest;
use crate::shard_target::ShardTarget;
use crate::sort::{
    compare_sort_values, Missing, SortField, SortKey, SortMode, SortOrder, SortValue,
};
use quarry_types::EsError;
use std::cmp::Ordering;
use std::sync::Arc;
use tantivy::aggregation::intermediate_agg_result::IntermediateAggregationResults;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// One candidate hit of a shard.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardDoc {
    pub doc: DocAddress,
    /// `NaN` when scores were not computed (sorted by field without `track_scores`).
    pub score: f32,
    /// One value per effective sort field (`_score` when the request has no sort).
    pub sort_values: Vec<SortValue>,
}

/// What one shard returns from the query phase.
#[derive(Debug)]
pub struct QuerySearchResult {
    /// Position of the shard in the search (ties between shards break on it).
    pub shard_index: usize,
    pub total_hits: u64,
    pub max_score: Option<f32>,
    pub top: Vec<ShardDoc>,
    pub aggregations: Option<IntermediateAggregationResults>,
    pub terminated_early: bool,
}

/// How a sort field reads its values.
#[derive(Debug, Clone, PartialEq)]
enum SortSource {
    Score,
    Doc,
    Long(String),
    Double(String),
    Str(String),
    /// Unmapped with `unmapped_type`: every doc is missing.
    Missing,
}

#[derive(Debug, Clone)]
struct ResolvedSort {
    field: SortField,
    source: SortSource,
    missing_value: Option<SortValue>,
}

/// The sort the shard actually applies: the request's, or `_score` descending.
pub fn effective_sort(req: &SearchRequest) -> Vec<SortField> {
    if req.sort.is_empty() {
        vec![SortField::new(SortKey::Score)]
    } else {
        req.sort.clone()
    }
}

fn resolve_sort(target: &ShardTarget, sort: &[SortField]) -> Result<Vec<ResolvedSort>, EsError> {
    let mut out = Vec::with_capacity(sort.len());
    for f in sort {
        let source = match &f.key {
            SortKey::Score => SortSource::Score,
            SortKey::Doc => SortSource::Doc,
            SortKey::Field(path) => match target.mapping.field(path) {
                None if f.unmapped_type.is_some() => SortSource::Missing,
                None => {
                    return Err(EsError::new(
                        "query_shard_exception",
                        400,
                        format!("No mapping found for [{path}] in order to sort on"),
                    )
                    .with("index_uuid", "_na_")
                    .with("index", target.index_name.to_string()))
                }
                Some(fm) => match field_kind(fm, target.default_analyzer) {
                    FieldKind::Integer | FieldKind::Date { .. } | FieldKind::Boolean => {
                        SortSource::Long(path.clone())
                    }
                    FieldKind::Float => SortSource::Double(path.clone()),
                    FieldKind::Keyword | FieldKind::Ip => SortSource::Str(path.clone()),
                    FieldKind::Text { .. } => {
                        return Err(EsError::illegal_argument(fielddata_message(path)))
                    }
                    FieldKind::Other => SortSource::Missing,
                },
            },
        };
        let missing_value = match (&f.missing, &source) {
            (Missing::Value(v), SortSource::Long(_)) => v
                .as_i64()
                .or_else(|| v.as_f64().map(|x| x as i64))
                .map(SortValue::Long),
            (Missing::Value(v), SortSource::Double(_)) => v.as_f64().map(SortValue::Double),
            (Missing::Value(v), SortSource::Str(_)) => {
                Some(SortValue::Str(crate::dsl::value_text(v)))
            }
            // Elasticsearch reports a missing long as the extreme value that orders it.
            (m, SortSource::Long(_)) => {
                let last = *m != Missing::First;
                Some(SortValue::Long(if last == (f.order == SortOrder::Asc) {
                    i64::MAX
                } else {
                    i64::MIN
                }))
            }
            _ => None,
        };
        out.push(ResolvedSort {
            field: f.clone(),
            source,
            missing_value,
        });
    }
    Ok(out)
}

/// Elasticsearch's error for sorting or aggregating on a text field.
pub fn fielddata_message(path: &str) -> String {
    format!(
        "Text fields are not optimised for operations that require per-document field data like aggregations and \
         sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, \
         set fielddata=true on [{path}] in order to load field data by uninverting the inverted index. Note that this \
         can use significant memory."
    )
}

/// The query a shard runs for hits: the request query, filtered by `post_filter`.
pub fn hits_query(ctx: &QueryContext, req: &SearchRequest) -> Result<Box<dyn Query>, EsError> {
    let main = build_query(ctx, &req.query)?;
    Ok(match &req.post_filter {
        Some(pf) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, main),
            (Occur::Must, filter_clause(build_query(ctx, pf)?)),
        ])),
        None => main,
    })
}

/// Runs the query phase of `req` on one shard.
pub fn execute_query_phase(
    target: &ShardTarget,
    shard_index: usize,
    req: &SearchRequest,
    now_ms: i64,
) -> Result<QuerySearchResult, EsError> {
    let ctx = QueryContext::for_shard(target, now_ms);
    let sort = effective_sort(req);
    let resolved = resolve_sort(target, &sort)?;
    let search_after = req
        .search_after
        .as_ref()
        .map(|vals| vals.iter().map(SortValue::from_json).collect::<Vec<_>>());
    let collector = TopDocsCollector {
        sort: Arc::new(resolved),
        k: req.from + req.size,
        search_after: search_after.map(Arc::new),
        min_score: req.min_score,
        scoring: req.sorts_by_score() || req.track_scores || req.min_score.is_some(),
        terminate_after: req.terminate_after,
    };
    let query = hits_query(&ctx, req)?;
    let tantivy_err =
        |e: tantivy::TantivyError| EsError::internal(format!("shard search failed: {e}"));
    let (fruit, aggregations) = match &req.aggs {
        Some(aggs) if req.post_filter.is_none() => {
            let agg = crate::aggregations::shard_collector(target, aggs)?;
            let (fruit, aggs) = target
                .searcher
                .search(query.as_ref(), &(collector, agg))
                .map_err(tantivy_err)?;
            (fruit, Some(aggs))
        }
        Some(aggs) => {
            let fruit = target
                .searcher
                .search(query.as_ref(), &collector)
                .map_err(tantivy_err)?;
            let main = build_query(&ctx, &req.query)?;
            let agg = crate::aggregations::shard_collector(target, aggs)?;
            (
                fruit,
                Some(
                    target
                        .searcher
                        .search(main.as_ref(), &agg)
                        .map_err(tantivy_err)?,
                ),
            )
        }
        None => (
            target
                .searcher
                .search(query.as_ref(), &collector)
                .map_err(tantivy_err)?,
            None,
        ),
    };
    let max_score = if req.sorts_by_score() || req.track_scores {
        fruit
            .docs
            .iter()
            .map(|d| d.score)
            .filter(|s| !s.is_nan())
            .reduce(f32::max)
            .or(fruit.max_score)
    } else {
        None
    };
    let mut top = fruit.docs;
    top.truncate(req.from + req.size);
    Ok(QuerySearchResult {
        shard_index,
        total_hits: fruit.count,
        max_score,
        top,
        aggregations,
        terminated_early: fruit.terminated,
    })
}

/// Orders two docs of one shard: by sort values, then by doc address.
pub fn compare_shard_docs(sort: &[SortField], a: &ShardDoc, b: &ShardDoc) -> Ordering {
    compare_sort_values(sort, &a.sort_values, &b.sort_values)
        .then(a.doc.segment_ord.cmp(&b.doc.segment_ord))
        .then(a.doc.doc_id.cmp(&b.doc.doc_id))
}

struct TopDocsCollector {
    sort: Arc<Vec<ResolvedSort>>,
    k: usize,
    search_after: Option<Arc<Vec<SortValue>>>,
    min_score: Option<f32>,
    scoring: bool,
    terminate_after: Option<u64>,
}

struct TopDocsFruit {
    count: u64,
    docs: Vec<ShardDoc>,
    max_score: Option<f32>,
    terminated: bool,
}

struct TopDocsSegment {
    segment_ord: SegmentOrdinal,
    sort: Arc<Vec<ResolvedSort>>,
    fields: Vec<SortField>,
    columns: Vec<Option<PathValues>>,
    k: usize,
    search_after: Option<Arc<Vec<SortValue>>>,
    min_score: Option<f32>,
    scoring: bool,
    terminate_after: Option<u64>,
    count: u64,
    max_score: Option<f32>,
    buffer: Vec<ShardDoc>,
    terminated: bool,
}

impl Collector for TopDocsCollector {
    type Fruit = TopDocsFruit;
    type Child = TopDocsSegment;

    fn for_segment(
        &self,
        segment_ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<TopDocsSegment> {
        let mut columns = Vec::with_capacity(self.sort.len());
        for s in self.sort.iter() {
            columns.push(match &s.source {
                SortSource::Long(p) | SortSource::Double(p) | SortSource::Str(p) => Some(
                    PathValues::open(segment, p)
                        .map_err(|e| tantivy::TantivyError::InternalError(e.reason))?,
                ),
                _ => None,
            });
        }
        Ok(TopDocsSegment {
            segment_ord,
            sort: self.sort.clone(),
            fields: self.sort.iter().map(|s| s.field.clone()).collect(),
            columns,
            k: self.k,
            search_after: self.search_after.clone(),
            min_score: self.min_score,
            scoring: self.scoring,
            terminate_after: self.terminate_after,
            count: 0,
            max_score: None,
            buffer: Vec::new(),
            terminated: false,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scoring
    }

    fn merge_fruits(&self, fruits: Vec<TopDocsFruit>) -> tantivy::Result<TopDocsFruit> {
        let mut merged = TopDocsFruit {
            count: 0,
            docs: Vec::new(),
            max_score: None,
            terminated: false,
        };
        for f in fruits {
            merged.count += f.count;
            merged.docs.extend(f.docs);
            merged.terminated |= f.terminated;
            merged.max_score = match (merged.max_score, f.max_score) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        }
        if let Some(limit) = self.terminate_after {
            merged.count = merged.count.min(limit);
        }
        let fields: Vec<SortField> = self.sort.iter().map(|s| s.field.clone()).collect();
        merged
            .docs
            .sort_by(|a, b| compare_shard_docs(&fields, a, b));
        merged.docs.truncate(self.k);
        Ok(merged)
    }
}

impl TopDocsSegment {
    fn sort_value(&self, i: usize, doc: DocId, score: Score) -> SortValue {
        let s = &self.sort[i];
        let values: Vec<DocValue> = self.columns[i]
            .as_ref()
            .map(|c| c.values(doc))
            .unwrap_or_default();
        let mode = s.field.mode.unwrap_or(if s.field.order == SortOrder::Desc {
            SortMode::Max
        } else {
            SortMode::Min
        });
        let picked = match &s.source {
            SortSource::Score => Some(SortValue::Double(f64::from(score))),
            SortSource::Doc => Some(SortValue::Long(
                (i64::from(self.segment_ord) << 32) | i64::from(doc),
            )),
            SortSource::Missing => None,
            SortSource::Long(_) => pick_numeric(values.iter().filter_map(DocValue::as_f64), mode)
                .map(|_| {
                    let ints: Vec<i64> = values.iter().filter_map(DocValue::as_i64).collect();
                    SortValue::Long(match mode {
                        SortMode::Max => ints.iter().copied().max().unwrap_or(0),
                        SortMode::Sum => ints.iter().sum(),
                        SortMode::Avg | SortMode::Median => {
                            pick_numeric(ints.iter().map(|v| *v as f64), mode).unwrap_or(0.0) as i64
                        }
                        SortMode::Min => ints.iter().copied().min().unwrap_or(0),
                    })
                }),
            SortSource::Double(_) => pick_numeric(values.iter().filter_map(DocValue::as_f64), mode)
                .map(SortValue::Double),
            SortSource::Str(_) => {
                let strs = values.into_iter().filter_map(|v| match v {
                    DocValue::Str(s) => Some(s),
                    _ => None,
                });
                let chosen = if mode == SortMode::Max {
                    strs.max()
                } else {
                    strs.min()
                };
                chosen.map(SortValue::Str)
            }
        };
        picked
            .or_else(|| s.missing_value.clone())
            .unwrap_or(SortValue::Null)
    }

    fn compact(&mut self) {
        let fields = &self.fields;
        self.buffer.sort_by(|a, b| compare_shard_docs(fields, a, b));
        self.buffer.truncate(self.k);
    }
}

fn pick_numeric(values: impl Iterator<Item = f64>, mode: SortMode) -> Option<f64> {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
    Some(match mode {
        SortMode::Min => v[0],
        SortMode::Max => v[v.len() - 1],
        SortMode::Sum => v.iter().sum(),
        SortMode::Avg => v.iter().sum::<f64>() / v.len() as f64,
        SortMode::Median => {
            let n = v.len();
            if n % 2 == 1 {
                v[n / 2]
            } else {
                (v[n / 2 - 1] + v[n / 2]) / 2.0
            }
        }
    })
}

impl SegmentCollector for TopDocsSegment {
    type Fruit = TopDocsFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        if self.terminated {
            return;
        }
        let score = if self.scoring { score } else { f32::NAN };
        if let Some(min) = self.min_score {
            if score < min {
                return;
            }
        }
        self.count += 1;
        if let Some(limit) = self.terminate_after {
            if self.count >= limit {
                self.terminated = true;
            }
        }
        if !score.is_nan() {
            self.max_score = Some(self.max_score.map_or(score, |m| m.max(score)));
        }
        if self.k == 0 {
            return;
        }
        let sort_values: Vec<SortValue> = (0..self.sort.len())
            .map(|i| self.sort_value(i, doc, score))
            .collect();
        if let Some(after) = &self.search_after {
            if compare_sort_values(&self.fields, &sort_values, after) != Ordering::Greater {
                return;
            }
        }
        self.buffer.push(ShardDoc {
            doc: DocAddress::new(self.segment_ord, doc),
            score,
            sort_values,
        });
        if self.buffer.len() >= self.k.saturating_mul(2).max(64) {
            self.compact();
        }
    }

    fn harvest(mut self) -> TopDocsFruit {
        self.compact();
        TopDocsFruit {
            count: self.count,
            docs: self.buffer,
            max_score: self.max_score,
            terminated: self.terminated,
        }
    }
}
