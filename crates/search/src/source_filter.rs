//! `_source` filtering as Elasticsearch does it for search hits and the GET API: `_source: false`,
//! include/exclude lists with `*` wildcards (`obj.*`, `*.name`), an included object brings its
//! whole subtree, excludes win, arrays are filtered element by element, emptied objects vanish.
//!
//! Owns: [`SourceFilter`]. Pure; must not depend on tantivy or the request types.

use quarry_types::xcontent::token_name;
use quarry_types::EsError;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct SourceFilter {
    /// `false` when `_source: false`: the hit carries no `_source`.
    pub fetch: bool,
    pub includes: Vec<String>,
    pub excludes: Vec<String>,
}

impl Default for SourceFilter {
    fn default() -> Self {
        SourceFilter {
            fetch: true,
            includes: Vec::new(),
            excludes: Vec::new(),
        }
    }
}

impl SourceFilter {
    /// The body form: `true`, `false`, `"a.*"`, `["a", "b"]`, or
    /// `{"includes": [...], "excludes": [...]}` (also `include`/`exclude`).
    pub fn parse(v: &Value) -> Result<SourceFilter, EsError> {
        match v {
            Value::Bool(b) => Ok(SourceFilter { fetch: *b, ..SourceFilter::default() }),
            Value::String(s) => Ok(SourceFilter { includes: vec![s.clone()], ..SourceFilter::default() }),
            Value::Array(_) => Ok(SourceFilter { includes: string_list(v, "_source")?, ..SourceFilter::default() }),
            Value::Object(o) => {
                let mut f = SourceFilter::default();
                for (k, v) in o {
                    match k.as_str() {
                        "includes" | "include" => f.includes = string_list(v, k)?,
                        "excludes" | "exclude" => f.excludes = string_list(v, k)?,
                        other => {
                            return Err(EsError::parsing(format!("Unknown key for a {} in [{other}].", token_name(v))));
                        }
                    }
                }
                Ok(f)
            }
            Value::Null => Ok(SourceFilter::default()),
            Value::Number(_) => Err(EsError::parsing(
                "Expected one of [VALUE_BOOLEAN, VALUE_STRING, START_ARRAY, START_OBJECT] but found [VALUE_NUMBER]",
            )),
        }
    }

    /// The URL form: `_source=false|true|a,b`, `_source_includes=a,b`, `_source_excludes=c`.
    /// `None` when none of them is given.
    pub fn from_params(
        source: Option<&str>,
        includes: Option<&str>,
        excludes: Option<&str>,
    ) -> Option<SourceFilter> {
        if source.is_none() && includes.is_none() && excludes.is_none() {
            return None;
        }
        let split = |s: &str| -> Vec<String> {
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        };
        let mut f = SourceFilter::default();
        match source {
            Some("false") => f.fetch = false,
            Some("true") | None => {}
            Some(list) => f.includes = split(list),
        }
        if let Some(i) = includes {
            f.includes = split(i);
            f.fetch = true;
        }
        if let Some(e) = excludes {
            f.excludes = split(e);
            f.fetch = true;
        }
        Some(f)
    }

    /// Whether filtering leaves the source untouched.
    pub fn is_noop(&self) -> bool {
        self.fetch
            && self.excludes.is_empty()
            && (self.includes.is_empty() || self.includes.iter().any(|i| i == "*"))
    }

    /// The filtered source (the input unchanged when nothing is filtered).
    pub fn filter(&self, source: &Value) -> Value {
        if self.is_noop() {
            return source.clone();
        }
        match source {
            Value::Object(map) => Value::Object(self.filter_map(map, "", self.includes.is_empty())),
            other => other.clone(),
        }
    }

    fn filter_map(
        &self,
        map: &Map<String, Value>,
        prefix: &str,
        included: bool,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        for (k, v) in map {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if let Some(kept) = self.filter_value(v, &path, included) {
                out.insert(k.clone(), kept);
            }
        }
        out
    }

    fn filter_value(&self, v: &Value, path: &str, parent_included: bool) -> Option<Value> {
        if self.excludes.iter().any(|e| glob_full(e, path)) {
            return None;
        }
        let included = parent_included || self.includes.iter().any(|i| glob_full(i, path));
        let may_descend = included
            || self
                .includes
                .iter()
                .any(|i| glob_prefix_alive(i, &format!("{path}.")));
        match v {
            Value::Object(m) => {
                if !may_descend {
                    return None;
                }
                let filtered = self.filter_map(m, path, included);
                if filtered.is_empty() && !(included && m.is_empty()) {
                    return None;
                }
                Some(Value::Object(filtered))
            }
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::Object(_) | Value::Array(_) => {
                            if let Some(kept) = self.filter_value_in_array(item, path, included) {
                                out.push(kept);
                            }
                        }
                        scalar if included => out.push(scalar.clone()),
                        _ => {}
                    }
                }
                if out.is_empty() && !included {
                    return None;
                }
                Some(Value::Array(out))
            }
            scalar => included.then(|| scalar.clone()),
        }
    }

    /// Array elements share the array's path.
    fn filter_value_in_array(&self, v: &Value, path: &str, included: bool) -> Option<Value> {
        match v {
            Value::Object(m) => {
                let filtered = self.filter_map(m, path, included);
                (!filtered.is_empty() || (included && m.is_empty()))
                    .then_some(Value::Object(filtered))
            }
            other => self.filter_value(other, path, included),
        }
    }
}

fn string_list(v: &Value, key: &str) -> Result<Vec<String>, EsError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str().map(str::to_string).ok_or_else(|| {
                    EsError::parsing(format!("Unknown key for a {} in [{key}].", token_name(x)))
                })
            })
            .collect(),
        other => Err(EsError::parsing(format!(
            "Unknown key for a {} in [{key}].",
            token_name(other)
        ))),
    }
}

/// Glob states after reading `text` (`*` matches any run of characters, dots included).
fn glob_states(pattern: &[char], text: &str) -> Vec<usize> {
    let closure = |mut states: Vec<usize>| {
        let mut i = 0;
        while i < states.len() {
            let s = states[i];
            if s < pattern.len() && pattern[s] == '*' && !states.contains(&(s + 1)) {
                states.push(s + 1);
            }
            i += 1;
        }
        states
    };
    let mut states = closure(vec![0]);
    for c in text.chars() {
        let mut next = Vec::new();
        for &s in &states {
            if s < pattern.len() {
                if pattern[s] == '*' {
                    if !next.contains(&s) {
                        next.push(s);
                    }
                } else if pattern[s] == c && !next.contains(&(s + 1)) {
                    next.push(s + 1);
                }
            }
        }
        states = closure(next);
        if states.is_empty() {
            break;
        }
    }
    states
}

/// `pattern` matches the whole of `path`.
pub fn glob_full(pattern: &str, path: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    glob_states(&p, path).contains(&p.len())
}

/// Some extension of `prefix` could still match `pattern`.
fn glob_prefix_alive(pattern: &str, prefix: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    !glob_states(&p, prefix).is_empty()
}

#[cfg(test)]
#[path = "source_filter_test.rs"]
mod source_filter_test;
