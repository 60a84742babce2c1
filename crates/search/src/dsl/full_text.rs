//! Parsing of full-text queries: `match`, `match_phrase`, `match_phrase_prefix`,
//! `match_bool_prefix`, `multi_match`, `query_string`, `simple_query_string`.
//!
//! Owns: their accepted keys and short forms. The query-string *syntax* lives in
//! `query_string.rs`. Must not depend on mappings or tantivy.

use super::{
    as_object, parse_bool, parse_f32, parse_fields, parse_msm, parse_operator, parse_string,
    parse_u32, single_field, unsupported, MatchKind, MatchQuery, MultiMatchQuery, MultiMatchType,
    Operator, QueryAst, QueryStringQuery,
};
use quarry_types::EsError;
use serde_json::{Map, Value};

pub(super) fn parse(name: &str, body: &Value) -> Result<QueryAst, EsError> {
    let obj = as_object(name, body)?;
    match name {
        "match" => parse_match(name, obj, MatchKind::Bool),
        "match_phrase" => parse_match(name, obj, MatchKind::Phrase { slop: 0 }),
        "match_phrase_prefix" => parse_match(
            name,
            obj,
            MatchKind::PhrasePrefix {
                slop: 0,
                max_expansions: 50,
            },
        ),
        "match_bool_prefix" => parse_match(name, obj, MatchKind::BoolPrefix),
        "multi_match" => parse_multi_match(obj),
        "query_string" => parse_query_string(name, obj, false),
        "simple_query_string" => parse_query_string(name, obj, true),
        _ => Err(EsError::parsing(format!("unknown query [{name}]"))),
    }
}

fn parse_match(name: &str, obj: &Map<String, Value>, kind: MatchKind) -> Result<QueryAst, EsError> {
    let (field, spec, _) = single_field(name, obj, &[])?;
    let mut q = MatchQuery::new(field, Value::Null, kind);
    match spec {
        Value::Object(o) => {
            for (k, v) in o {
                if k == "query" {
                    q.query = v.clone();
                } else {
                    apply_match_option(name, &mut q, k, v)?;
                }
            }
        }
        Value::Array(_) => {
            return Err(EsError::parsing(format!(
                "[{name}] unknown token [START_ARRAY] after [{field}]"
            )))
        }
        other => q.query = other.clone(),
    }
    if q.query.is_null() {
        return Err(EsError::parsing("No text specified for text query"));
    }
    Ok(QueryAst::Match(q))
}

/// Options shared by `match` and `multi_match`; an unknown key is a parsing error.
fn apply_match_option(name: &str, q: &mut MatchQuery, k: &str, v: &Value) -> Result<(), EsError> {
    match k {
        "operator" => q.operator = parse_operator(v)?,
        "minimum_should_match" => q.minimum_should_match = Some(parse_msm(name, v)?),
        "fuzziness" => q.fuzziness = Some(parse_string(name, k, v)?),
        "prefix_length" => q.prefix_length = parse_u32(name, k, v)?,
        "analyzer" => q.analyzer = Some(parse_string(name, k, v)?),
        "zero_terms_query" => {
            q.zero_terms_all = match parse_string(name, k, v)?.to_ascii_lowercase().as_str() {
                "all" => true,
                "none" => false,
                other => {
                    return Err(EsError::parsing(format!(
                        "Unsupported zero_terms_query value [{other}]"
                    )));
                }
            }
        }
        "lenient" => q.lenient = parse_bool(name, k, v)?,
        "boost" => q.boost = parse_f32(name, k, v)?,
        "slop" => {
            let slop = parse_u32(name, k, v)?;
            match &mut q.kind {
                MatchKind::Phrase { slop: s } | MatchKind::PhrasePrefix { slop: s, .. } => {
                    *s = slop
                }
                _ if name == "multi_match" => {}
                _ => return Err(unsupported(name, k)),
            }
        }
        "max_expansions" => {
            let max = parse_u32(name, k, v)?;
            if let MatchKind::PhrasePrefix { max_expansions, .. } = &mut q.kind {
                *max_expansions = max;
            }
        }
        "_name"
        | "auto_generate_synonyms_phrase_query"
        | "fuzzy_transpositions"
        | "fuzzy_rewrite"
        | "cutoff_frequency" => {}
        _ => return Err(unsupported(name, k)),
    }
    Ok(())
}

fn parse_multi_match(obj: &Map<String, Value>) -> Result<QueryAst, EsError> {
    let name = "multi_match";
    let mut fields = Vec::new();
    let mut query = Value::Null;
    let mut match_type = MultiMatchType::BestFields;
    let mut tie_breaker = None;
    let mut options = MatchQuery::new("", Value::Null, MatchKind::Bool);
    // `type` decides which options are valid (slop), so read it first.
    if let Some(t) = obj.get("type") {
        match_type = match parse_string(name, "type", t)?.as_str() {
            "best_fields" => MultiMatchType::BestFields,
            "most_fields" => MultiMatchType::MostFields,
            "cross_fields" => MultiMatchType::CrossFields,
            "phrase" => MultiMatchType::Phrase,
            "phrase_prefix" => MultiMatchType::PhrasePrefix,
            "bool_prefix" => MultiMatchType::BoolPrefix,
            other => {
                return Err(EsError::parsing(format!(
                    "[multi_match] query does not support type {other}"
                )));
            }
        };
    }
    options.kind = match match_type {
        MultiMatchType::Phrase => MatchKind::Phrase { slop: 0 },
        MultiMatchType::PhrasePrefix => MatchKind::PhrasePrefix {
            slop: 0,
            max_expansions: 50,
        },
        MultiMatchType::BoolPrefix => MatchKind::BoolPrefix,
        _ => MatchKind::Bool,
    };
    for (k, v) in obj {
        match k.as_str() {
            "query" => query = v.clone(),
            "fields" => fields = parse_fields(name, v)?,
            "type" => {}
            "tie_breaker" => tie_breaker = Some(parse_f32(name, k, v)?),
            _ => apply_match_option(name, &mut options, k, v)?,
        }
    }
    if query.is_null() {
        return Err(EsError::parsing("[multi_match] requires query value"));
    }
    Ok(QueryAst::MultiMatch(MultiMatchQuery {
        fields,
        query,
        match_type,
        tie_breaker,
        options,
    }))
}

fn parse_query_string(
    name: &str,
    obj: &Map<String, Value>,
    simple: bool,
) -> Result<QueryAst, EsError> {
    let mut q = QueryStringQuery {
        query: String::new(),
        default_field: None,
        fields: Vec::new(),
        default_operator: Operator::Or,
        analyzer: None,
        lenient: false,
        simple,
        boost: 1.0,
    };
    let mut has_query = false;
    for (k, v) in obj {
        match k.as_str() {
            "query" => {
                q.query = parse_string(name, k, v)?;
                has_query = true;
            }
            "default_field" if !simple => q.default_field = Some(parse_string(name, k, v)?),
            "fields" => q.fields = parse_fields(name, v)?,
            "default_operator" => q.default_operator = parse_operator(v)?,
            "analyzer" => q.analyzer = Some(parse_string(name, k, v)?),
            "lenient" => q.lenient = parse_bool(name, k, v)?,
            "boost" => q.boost = parse_f32(name, k, v)?,
            "_name"
            | "analyze_wildcard"
            | "allow_leading_wildcard"
            | "flags"
            | "fuzziness"
            | "fuzzy_prefix_length"
            | "fuzzy_max_expansions"
            | "fuzzy_transpositions"
            | "auto_generate_synonyms_phrase_query"
            | "minimum_should_match"
            | "quote_field_suffix"
            | "phrase_slop"
            | "time_zone"
            | "tie_breaker"
            | "type"
            | "escape"
            | "max_determinized_states"
            | "enable_position_increments"
            | "quote_analyzer"
            | "rewrite"
            | "fuzzy_rewrite"
            | "analyze_wildcards" => {}
            _ => return Err(unsupported(name, k)),
        }
    }
    if !has_query {
        return Err(EsError::parsing(format!(
            "[{name}] must be provided with a [query]"
        )));
    }
    Ok(QueryAst::QueryString(q))
}
