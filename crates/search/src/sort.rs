//! Sorting: the parsed `sort` specification ([`SortField`]), sort values ([`SortValue`]) and the
//! comparison shared by the shard collectors and the coordinator's reduce.
//!
//! Owns: ordering rules (asc/desc, `missing: _last|_first`, ties by shard then doc).
//! Must not depend on tantivy readers; pure data and functions.

use quarry_types::EsError;
use serde_json::Value;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    Score,
    Doc,
    Field(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Missing {
    Last,
    First,
    Value(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortMode {
    Min,
    Max,
    Sum,
    Avg,
    Median,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortField {
    pub key: SortKey,
    pub order: SortOrder,
    pub missing: Missing,
    pub mode: Option<SortMode>,
    pub unmapped_type: Option<String>,
    pub format: Option<String>,
}

impl SortField {
    pub fn new(key: SortKey) -> Self {
        let order = if key == SortKey::Score {
            SortOrder::Desc
        } else {
            SortOrder::Asc
        };
        SortField {
            key,
            order,
            missing: Missing::Last,
            mode: None,
            unmapped_type: None,
            format: None,
        }
    }
}

/// One sort value of a hit, rendered in the hit's `sort` array.
#[derive(Debug, Clone, PartialEq)]
pub enum SortValue {
    Null,
    Long(i64),
    Double(f64),
    Str(String),
}

impl SortValue {
    pub fn to_json(&self) -> Value {
        match self {
            SortValue::Null => Value::Null,
            SortValue::Long(v) => Value::from(*v),
            SortValue::Double(v) => serde_json::Number::from_f64(*v)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            SortValue::Str(s) => Value::String(s.clone()),
        }
    }

    /// A `search_after` value as given by the client.
    pub fn from_json(v: &Value) -> SortValue {
        match v {
            Value::Null => SortValue::Null,
            Value::Number(n) => match n.as_i64() {
                Some(i) => SortValue::Long(i),
                None => SortValue::Double(n.as_f64().unwrap_or(0.0)),
            },
            Value::String(s) => SortValue::Str(s.clone()),
            Value::Bool(b) => SortValue::Long(i64::from(*b)),
            other => SortValue::Str(other.to_string()),
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            SortValue::Long(v) => Some(*v as f64),
            SortValue::Double(v) => Some(*v),
            _ => None,
        }
    }
}

/// Natural order of two non-null values (numbers across long/double, strings by bytes).
fn compare_values(a: &SortValue, b: &SortValue) -> Ordering {
    match (a, b) {
        (SortValue::Long(x), SortValue::Long(y)) => x.cmp(y),
        (SortValue::Str(x), SortValue::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (SortValue::Str(_), _) => Ordering::Greater,
        (_, SortValue::Str(_)) => Ordering::Less,
        _ => {
            let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
    }
}

/// Compares two hits by the sort fields: `Less` means `a` comes first.
pub fn compare_sort_values(fields: &[SortField], a: &[SortValue], b: &[SortValue]) -> Ordering {
    for (i, f) in fields.iter().enumerate() {
        let (x, y) = (
            a.get(i).unwrap_or(&SortValue::Null),
            b.get(i).unwrap_or(&SortValue::Null),
        );
        let ord = match (x, y) {
            (SortValue::Null, SortValue::Null) => Ordering::Equal,
            // Missing values go last (or first) whatever the order.
            (SortValue::Null, _) => {
                if f.missing == Missing::First {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (_, SortValue::Null) => {
                if f.missing == Missing::First {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            _ => {
                let o = compare_values(x, y);
                if f.order == SortOrder::Desc {
                    o.reverse()
                } else {
                    o
                }
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// Parses the `sort` value of a search body: a string, an object or an array of them.
pub fn parse_sort(v: &Value) -> Result<Vec<SortField>, EsError> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::String(s) => out.push(SortField::new(key_of(s))),
            Value::Object(o) => {
                for (name, spec) in o {
                    let mut f = SortField::new(key_of(name));
                    match spec {
                        Value::String(order) => f.order = parse_order(order)?,
                        Value::Object(opts) => {
                            for (k, v) in opts {
                                match k.as_str() {
                                    "order" => f.order = parse_order(v.as_str().unwrap_or(""))?,
                                    "missing" => {
                                        f.missing = match v.as_str() {
                                            Some("_last") => Missing::Last,
                                            Some("_first") => Missing::First,
                                            _ => Missing::Value(v.clone()),
                                        }
                                    }
                                    "mode" => f.mode = Some(parse_mode(v.as_str().unwrap_or(""))?),
                                    "unmapped_type" => {
                                        f.unmapped_type = v.as_str().map(str::to_string)
                                    }
                                    "format" => f.format = v.as_str().map(str::to_string),
                                    "numeric_type" | "nested" | "nested_path" | "nested_filter" => {
                                    }
                                    other => {
                                        return Err(EsError::parsing(format!(
                                            "[field_sort] unknown field [{other}]"
                                        )))
                                    }
                                }
                            }
                        }
                        _ => {
                            return Err(EsError::parsing(format!(
                                "[sort] unexpected value for [{name}]"
                            )))
                        }
                    }
                    out.push(f);
                }
            }
            _ => {
                return Err(EsError::parsing(
                    "[sort] malformed sort format, expected string or object",
                ))
            }
        }
    }
    Ok(out)
}

/// `sort=a:asc,b:desc` from a URL.
pub fn parse_sort_param(param: &str) -> Result<Vec<SortField>, EsError> {
    let mut out = Vec::new();
    for part in param.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, order) = match part.rsplit_once(':') {
            Some((n, o)) => (n, Some(o)),
            None => (part, None),
        };
        let mut f = SortField::new(key_of(name));
        if let Some(o) = order {
            f.order = parse_order(o)?;
        }
        out.push(f);
    }
    Ok(out)
}

fn key_of(name: &str) -> SortKey {
    match name {
        "_score" => SortKey::Score,
        "_doc" => SortKey::Doc,
        other => SortKey::Field(other.to_string()),
    }
}

fn parse_order(s: &str) -> Result<SortOrder, EsError> {
    match s.to_ascii_lowercase().as_str() {
        "asc" => Ok(SortOrder::Asc),
        "desc" => Ok(SortOrder::Desc),
        _ => Err(EsError::illegal_argument(format!(
            "Unknown SortOrder [{s}]"
        ))),
    }
}

fn parse_mode(s: &str) -> Result<SortMode, EsError> {
    match s {
        "min" => Ok(SortMode::Min),
        "max" => Ok(SortMode::Max),
        "sum" => Ok(SortMode::Sum),
        "avg" => Ok(SortMode::Avg),
        "median" => Ok(SortMode::Median),
        _ => Err(EsError::illegal_argument(format!("Unknown SortMode [{s}]"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_every_form() {
        let s = parse_sort(
            &json!(["a", {"b": "desc"}, {"c": {"order": "desc", "missing": "_first"}}, "_score"]),
        )
        .unwrap();
        assert_eq!(s[0].key, SortKey::Field("a".into()));
        assert_eq!(s[1].order, SortOrder::Desc);
        assert_eq!(s[2].missing, Missing::First);
        assert_eq!(s[3].key, SortKey::Score);
        assert_eq!(s[3].order, SortOrder::Desc);
        let p = parse_sort_param("x:desc,y").unwrap();
        assert_eq!((p[0].order, p[1].order), (SortOrder::Desc, SortOrder::Asc));
        assert!(parse_sort(&json!({"a": "up"})).is_err());
    }

    #[test]
    fn missing_goes_last_in_both_orders() {
        let mut f = SortField::new(SortKey::Field("k".into()));
        let (a, null) = ([SortValue::Str("a".into())], [SortValue::Null]);
        assert_eq!(
            compare_sort_values(std::slice::from_ref(&f), &a, &null),
            Ordering::Less
        );
        f.order = SortOrder::Desc;
        assert_eq!(
            compare_sort_values(std::slice::from_ref(&f), &a, &null),
            Ordering::Less
        );
        f.missing = Missing::First;
        assert_eq!(compare_sort_values(&[f], &a, &null), Ordering::Greater);
    }
}
