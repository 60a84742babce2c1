//! Parsing of term-level queries: `term`, `terms`, `range`, `exists`, `ids`, `prefix`,
//! `wildcard`, `regexp`, `fuzzy`, including their short forms (`{"term": {"f": "v"}}`).
//!
//! Owns: accepted keys and value shapes. Must not depend on mappings or tantivy.

use super::{
    as_object, parse_bool, parse_f32, parse_string, parse_u32, single_field, unsupported,
    PatternKind, QueryAst, RangeQuery,
};
use quarry_types::EsError;
use serde_json::Value;

pub(super) fn parse(name: &str, body: &Value) -> Result<QueryAst, EsError> {
    let obj = as_object(name, body)?;
    match name {
        "term" => parse_term(obj),
        "terms" => parse_terms(obj),
        "range" => parse_range(obj),
        "exists" => {
            let mut field = None;
            let mut boost = 1.0;
            for (k, v) in obj {
                match k.as_str() {
                    "field" => field = Some(parse_string(name, k, v)?),
                    "boost" => boost = parse_f32(name, k, v)?,
                    "_name" => {}
                    _ => return Err(unsupported(name, k)),
                }
            }
            let field = field
                .ok_or_else(|| EsError::parsing("[exists] must be provided with a [field]"))?;
            Ok(QueryAst::Exists { field, boost })
        }
        "ids" => {
            let mut values = Vec::new();
            let mut boost = 1.0;
            for (k, v) in obj {
                match k.as_str() {
                    "values" => {
                        let arr = v.as_array().ok_or_else(|| unsupported(name, k))?;
                        for id in arr {
                            match id {
                                Value::String(s) => values.push(s.clone()),
                                Value::Number(n) => values.push(n.to_string()),
                                _ => {
                                    return Err(EsError::parsing(
                                        "[ids] failed to parse field [values]",
                                    ))
                                }
                            }
                        }
                    }
                    "boost" => boost = parse_f32(name, k, v)?,
                    "_name" | "type" | "types" => {}
                    _ => return Err(unsupported(name, k)),
                }
            }
            Ok(QueryAst::Ids { values, boost })
        }
        "prefix" => parse_pattern(name, PatternKind::Prefix, obj),
        "wildcard" => parse_pattern(name, PatternKind::Wildcard, obj),
        "regexp" => parse_pattern(name, PatternKind::Regexp, obj),
        "fuzzy" => parse_fuzzy(obj),
        _ => Err(EsError::parsing(format!("unknown query [{name}]"))),
    }
}

fn parse_term(obj: &serde_json::Map<String, Value>) -> Result<QueryAst, EsError> {
    let (field, spec, _) = single_field("term", obj, &[])?;
    let (mut value, mut boost, mut case_insensitive) = (None, 1.0, false);
    match spec {
        Value::Object(o) => {
            for (k, v) in o {
                match k.as_str() {
                    "value" => value = Some(v.clone()),
                    "boost" => boost = parse_f32("term", k, v)?,
                    "case_insensitive" => case_insensitive = parse_bool("term", k, v)?,
                    "_name" => {}
                    _ => return Err(unsupported("term", k)),
                }
            }
        }
        Value::Array(_) => {
            return Err(EsError::parsing(
                "[term] query does not support array of values",
            ))
        }
        other => value = Some(other.clone()),
    }
    let value = match value {
        Some(Value::Array(_)) => {
            return Err(EsError::parsing(
                "[term] query does not support array of values",
            ))
        }
        Some(Value::Null) | None => return Err(EsError::illegal_argument("value cannot be null")),
        Some(v) => v,
    };
    Ok(QueryAst::Term {
        field: field.clone(),
        value,
        boost,
        case_insensitive,
    })
}

fn parse_terms(obj: &serde_json::Map<String, Value>) -> Result<QueryAst, EsError> {
    let mut field: Option<(&String, &Vec<Value>)> = None;
    let mut boost = 1.0;
    for (k, v) in obj {
        match (k.as_str(), v) {
            ("boost", _) => boost = parse_f32("terms", k, v)?,
            ("_name", _) => {}
            (_, Value::Array(values)) => {
                if let Some((prev, _)) = field {
                    return Err(EsError::parsing(format!(
                        "[terms] query does not support multiple fields, found [{prev}] and [{k}]"
                    )));
                }
                field = Some((k, values));
            }
            (_, Value::Object(_)) => {
                return Err(EsError::parsing(
                    "[terms] query does not support terms lookup",
                ));
            }
            _ => return Err(unsupported("terms", k)),
        }
    }
    let (field, values) =
        field.ok_or_else(|| EsError::parsing("[terms] query requires a field"))?;
    if values.iter().any(Value::is_null) {
        return Err(EsError::illegal_argument(
            "No value specified for terms query",
        ));
    }
    Ok(QueryAst::Terms {
        field: field.clone(),
        values: values.clone(),
        boost,
    })
}

fn parse_range(obj: &serde_json::Map<String, Value>) -> Result<QueryAst, EsError> {
    let (field, spec, _) = single_field("range", obj, &[])?;
    let spec = spec
        .as_object()
        .ok_or_else(|| EsError::parsing(format!("[range] query does not support [{field}]")))?;
    let mut r = RangeQuery {
        field: field.clone(),
        gt: None,
        gte: None,
        lt: None,
        lte: None,
        format: None,
        time_zone: None,
        boost: 1.0,
    };
    // `from`/`to` with `include_lower`/`include_upper` (defaults true) are the legacy spelling.
    let (mut from, mut to, mut include_lower, mut include_upper) = (None, None, true, true);
    for (k, v) in spec {
        let bound = if v.is_null() { None } else { Some(v.clone()) };
        match k.as_str() {
            "gt" => r.gt = bound,
            "gte" => r.gte = bound,
            "lt" => r.lt = bound,
            "lte" => r.lte = bound,
            "from" => from = Some(bound),
            "to" => to = Some(bound),
            "include_lower" => include_lower = parse_bool("range", k, v)?,
            "include_upper" => include_upper = parse_bool("range", k, v)?,
            "format" => r.format = Some(parse_string("range", k, v)?),
            "time_zone" => r.time_zone = Some(parse_string("range", k, v)?),
            "boost" => r.boost = parse_f32("range", k, v)?,
            "relation" | "_name" => {}
            _ => return Err(unsupported("range", k)),
        }
    }
    if let Some(Some(f)) = from {
        if include_lower {
            r.gte = Some(f);
        } else {
            r.gt = Some(f);
        }
    }
    if let Some(Some(t)) = to {
        if include_upper {
            r.lte = Some(t);
        } else {
            r.lt = Some(t);
        }
    }
    Ok(QueryAst::Range(r))
}

fn parse_pattern(
    name: &str,
    kind: PatternKind,
    obj: &serde_json::Map<String, Value>,
) -> Result<QueryAst, EsError> {
    let (field, spec, _) = single_field(name, obj, &[])?;
    let (mut value, mut boost, mut case_insensitive) = (None, 1.0, false);
    match spec {
        Value::Object(o) => {
            for (k, v) in o {
                match k.as_str() {
                    "value" => value = Some(parse_string(name, k, v)?),
                    "wildcard" if kind == PatternKind::Wildcard => {
                        value = Some(parse_string(name, k, v)?)
                    }
                    "boost" => boost = parse_f32(name, k, v)?,
                    "case_insensitive" => case_insensitive = parse_bool(name, k, v)?,
                    "rewrite" | "_name" | "flags" | "flags_value" | "max_determinized_states" => {}
                    _ => return Err(unsupported(name, k)),
                }
            }
        }
        other => value = Some(parse_string(name, field, other)?),
    }
    let value = value.ok_or_else(|| EsError::parsing(format!("[{name}] requires a value")))?;
    Ok(QueryAst::Pattern {
        kind,
        field: field.clone(),
        value,
        case_insensitive,
        boost,
    })
}

fn parse_fuzzy(obj: &serde_json::Map<String, Value>) -> Result<QueryAst, EsError> {
    let (field, spec, _) = single_field("fuzzy", obj, &[])?;
    let mut value = None;
    let (mut fuzziness, mut prefix_length, mut max_expansions, mut transpositions, mut boost) =
        (None, 0, 50, true, 1.0);
    match spec {
        Value::Object(o) => {
            for (k, v) in o {
                match k.as_str() {
                    "value" => value = Some(v.clone()),
                    "fuzziness" => fuzziness = Some(parse_string("fuzzy", k, v)?),
                    "prefix_length" => prefix_length = parse_u32("fuzzy", k, v)?,
                    "max_expansions" => max_expansions = parse_u32("fuzzy", k, v)?,
                    "transpositions" => transpositions = parse_bool("fuzzy", k, v)?,
                    "boost" => boost = parse_f32("fuzzy", k, v)?,
                    "rewrite" | "_name" => {}
                    _ => return Err(unsupported("fuzzy", k)),
                }
            }
        }
        other => value = Some(other.clone()),
    }
    let value = value.ok_or_else(|| EsError::parsing("[fuzzy] query requires a value"))?;
    Ok(QueryAst::Fuzzy {
        field: field.clone(),
        value,
        fuzziness,
        prefix_length,
        max_expansions,
        transpositions,
        boost,
    })
}
