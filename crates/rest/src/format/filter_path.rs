//! `filter_path`: Elasticsearch's response filtering.
//!
//! A comma-separated list of dotted paths. A segment may contain `*` wildcards, `**` matches any
//! number of levels (including none), and a path starting with `-` excludes instead of includes.
//! Arrays are transparent: a path continues into every element. With inclusions, only matching
//! subtrees are kept; with exclusions, matching subtrees are removed; with both, the inclusions
//! are applied first. Objects and arrays emptied by filtering disappear, and an empty result is
//! `{}`.

use serde_json::{Map, Value};

/// One compiled path: its segments (`**` kept as a segment of its own).
#[derive(Debug, Clone)]
struct FilterPath {
    segments: Vec<String>,
}

/// A position inside a path: the next segment to match.
type Cursor<'a> = (&'a FilterPath, usize);

/// What a key does against a set of cursors.
enum KeyMatch<'a> {
    /// Some path ends here: the whole subtree matches.
    Full,
    /// Paths continue below the key.
    Partial(Vec<Cursor<'a>>),
    /// No path goes through the key.
    None,
}

/// Filters `value` by `filters` (the raw `filter_path` parameter). An empty parameter changes
/// nothing.
pub fn apply(value: &Value, filters: &str) -> Value {
    let (includes, excludes) = compile(filters);
    if includes.is_empty() && excludes.is_empty() {
        return value.clone();
    }
    let mut current = Some(value.clone());
    if !includes.is_empty() {
        let cursors: Vec<Cursor> = includes.iter().map(|p| (p, 0)).collect();
        current = current.and_then(|v| filter_container(&v, &cursors, true));
    }
    if !excludes.is_empty() {
        let cursors: Vec<Cursor> = excludes.iter().map(|p| (p, 0)).collect();
        current = current.and_then(|v| filter_container(&v, &cursors, false));
    }
    current.unwrap_or_else(|| Value::Object(Map::new()))
}

fn compile(filters: &str) -> (Vec<FilterPath>, Vec<FilterPath>) {
    let mut includes = Vec::new();
    let mut excludes = Vec::new();
    for raw in filters.split(',') {
        let raw = raw.trim();
        let (exclude, path) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let segments: Vec<String> = path
            .split('.')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if segments.is_empty() {
            continue;
        }
        let compiled = FilterPath { segments };
        if exclude {
            excludes.push(compiled);
        } else {
            includes.push(compiled);
        }
    }
    (includes, excludes)
}

/// Filters an object or array under partially matched cursors. `None` means "nothing left".
fn filter_container(value: &Value, cursors: &[Cursor], inclusive: bool) -> Option<Value> {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, child) in map {
                match match_key(cursors, key) {
                    KeyMatch::Full => {
                        if inclusive {
                            out.insert(key.clone(), child.clone());
                        }
                    }
                    KeyMatch::None => {
                        if !inclusive {
                            out.insert(key.clone(), child.clone());
                        }
                    }
                    KeyMatch::Partial(next) => {
                        if let Some(v) = filter_container(child, &next, inclusive) {
                            out.insert(key.clone(), v);
                        }
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        Value::Array(items) => {
            let out: Vec<Value> = items
                .iter()
                .filter_map(|item| filter_container(item, cursors, inclusive))
                .collect();
            (!out.is_empty()).then_some(Value::Array(out))
        }
        // A scalar where a path still expects children: kept only when excluding.
        scalar => (!inclusive).then(|| scalar.clone()),
    }
}

/// Advances every cursor over `key`.
fn match_key<'a>(cursors: &[Cursor<'a>], key: &str) -> KeyMatch<'a> {
    let mut next: Vec<Cursor<'a>> = Vec::new();
    let push = |c: Cursor<'a>, next: &mut Vec<Cursor<'a>>| {
        if !next.iter().any(|(p, i)| std::ptr::eq(*p, c.0) && *i == c.1) {
            next.push(c);
        }
    };
    for &(path, pos) in cursors {
        let segs = &path.segments;
        let seg = segs[pos].as_str();
        if seg == "**" {
            // `**` consumes this key and stays...
            if pos + 1 == segs.len() {
                return KeyMatch::Full;
            }
            push((path, pos), &mut next);
            // ...or matches nothing, letting the following segment take the key.
            if simple_match(&segs[pos + 1], key) {
                if pos + 2 == segs.len() {
                    return KeyMatch::Full;
                }
                push((path, pos + 2), &mut next);
            }
        } else if simple_match(seg, key) {
            if pos + 1 == segs.len() {
                return KeyMatch::Full;
            }
            push((path, pos + 1), &mut next);
        }
    }
    if next.is_empty() {
        KeyMatch::None
    } else {
        KeyMatch::Partial(next)
    }
}

/// Elasticsearch's `Regex.simpleMatch`: `*` matches any run of characters, everything else is
/// literal.
pub fn simple_match(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == text;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if text.len() < first.len() + last.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}
