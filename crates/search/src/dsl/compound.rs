//! Parsing of compound and trivial queries: `match_all`, `match_none`, `bool`, `constant_score`,
//! `dis_max`, `boosting`, `nested`.
//!
//! Owns: their accepted keys and shapes. Must not depend on mappings or tantivy.

use super::{
    as_object, parse_bool, parse_f32, parse_msm, parse_query, parse_string, unsupported, BoolQuery,
    QueryAst,
};
use quarry_types::EsError;
use serde_json::Value;

pub(super) fn parse(name: &str, body: &Value) -> Result<QueryAst, EsError> {
    let obj = as_object(name, body)?;
    match name {
        "match_all" => {
            let mut boost = 1.0;
            for (k, v) in obj {
                match k.as_str() {
                    "boost" => boost = parse_f32(name, k, v)?,
                    "_name" => {}
                    _ => return Err(unsupported(name, k)),
                }
            }
            Ok(QueryAst::MatchAll { boost })
        }
        "match_none" => {
            for k in obj.keys() {
                if k != "boost" && k != "_name" {
                    return Err(unsupported(name, k));
                }
            }
            Ok(QueryAst::MatchNone)
        }
        "bool" => parse_bool_query(obj),
        "constant_score" => {
            let mut filter = None;
            let mut boost = 1.0;
            for (k, v) in obj {
                match k.as_str() {
                    "filter" => filter = Some(parse_query(v)?),
                    "boost" => boost = parse_f32(name, k, v)?,
                    "_name" => {}
                    _ => return Err(unsupported(name, k)),
                }
            }
            let filter = filter
                .ok_or_else(|| EsError::parsing("[constant_score] requires a 'filter' element"))?;
            Ok(QueryAst::ConstantScore {
                filter: Box::new(filter),
                boost,
            })
        }
        "dis_max" => {
            let mut queries = Vec::new();
            let mut tie_breaker = 0.0;
            let mut boost = 1.0;
            let mut found = false;
            for (k, v) in obj {
                match k.as_str() {
                    "queries" => {
                        found = true;
                        match v {
                            Value::Array(a) => {
                                for q in a {
                                    queries.push(parse_query(q)?);
                                }
                            }
                            Value::Object(_) => queries.push(parse_query(v)?),
                            _ => return Err(unsupported(name, k)),
                        }
                    }
                    "tie_breaker" => tie_breaker = parse_f32(name, k, v)?,
                    "boost" => boost = parse_f32(name, k, v)?,
                    "_name" => {}
                    _ => return Err(unsupported(name, k)),
                }
            }
            if !found {
                return Err(EsError::parsing(
                    "[dis_max] requires 'queries' field with at least one clause",
                ));
            }
            Ok(QueryAst::DisMax {
                queries,
                tie_breaker,
                boost,
            })
        }
        "boosting" => {
            let (mut positive, mut negative, mut negative_boost) = (None, None, None);
            for (k, v) in obj {
                match k.as_str() {
                    "positive" => positive = Some(parse_query(v)?),
                    "negative" => negative = Some(parse_query(v)?),
                    "negative_boost" => negative_boost = Some(parse_f32(name, k, v)?),
                    "boost" | "_name" => {}
                    _ => return Err(unsupported(name, k)),
                }
            }
            let positive = positive
                .ok_or_else(|| EsError::parsing("[boosting] query requires 'positive' query"))?;
            let negative = negative
                .ok_or_else(|| EsError::parsing("[boosting] query requires 'negative' query"))?;
            let negative_boost = negative_boost.ok_or_else(|| {
                EsError::parsing(
                    "[boosting] query requires 'negative_boost' to be set to be a positive value'",
                )
            })?;
            Ok(QueryAst::Boosting {
                positive: Box::new(positive),
                negative: Box::new(negative),
                negative_boost,
            })
        }
        "nested" => {
            let (mut path, mut query, mut ignore_unmapped) = (None, None, false);
            for (k, v) in obj {
                match k.as_str() {
                    "path" => path = Some(parse_string(name, k, v)?),
                    "query" => query = Some(parse_query(v)?),
                    "ignore_unmapped" => ignore_unmapped = parse_bool(name, k, v)?,
                    "score_mode" | "boost" | "_name" | "inner_hits" => {}
                    _ => return Err(unsupported(name, k)),
                }
            }
            let path = path.ok_or_else(|| EsError::parsing("[nested] requires 'path' field"))?;
            let query = query.ok_or_else(|| EsError::parsing("[nested] requires 'query' field"))?;
            Ok(QueryAst::Nested {
                path,
                query: Box::new(query),
                ignore_unmapped,
            })
        }
        _ => Err(EsError::parsing(format!("unknown query [{name}]"))),
    }
}

fn parse_bool_query(obj: &serde_json::Map<String, Value>) -> Result<QueryAst, EsError> {
    let mut b = BoolQuery {
        boost: 1.0,
        ..BoolQuery::default()
    };
    for (k, v) in obj {
        let target = match k.as_str() {
            "must" => &mut b.must,
            "filter" => &mut b.filter,
            "should" => &mut b.should,
            "must_not" | "mustNot" => &mut b.must_not,
            "minimum_should_match" => {
                b.minimum_should_match = Some(parse_msm("bool", v)?);
                continue;
            }
            "boost" => {
                b.boost = parse_f32("bool", k, v)?;
                continue;
            }
            "_name" | "adjust_pure_negative" => continue,
            _ => return Err(unsupported("bool", k)),
        };
        match v {
            Value::Object(_) => target.push(parse_query(v)?),
            Value::Array(items) => {
                for item in items {
                    target.push(parse_query(item)?);
                }
            }
            _ => {
                return Err(EsError::parsing(format!(
                    "[bool] query does not support [{k}]"
                )))
            }
        }
    }
    Ok(QueryAst::Bool(b))
}
