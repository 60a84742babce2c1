//! Multi-term expansion: walks the term dictionary of every segment under one JSON path and
//! keeps the string values a predicate accepts (prefix, wildcard, regexp, fuzzy,
//! case-insensitive term). The caller turns them into a term set.
//!
//! Why not tantivy's `RegexQuery`: its automaton runs over the whole JSON key (path included),
//! while Elasticsearch patterns apply to the value only. Must not depend on the DSL.

use quarry_types::EsError;
use std::collections::BTreeSet;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

/// Upper bound of expanded terms (Elasticsearch's `indices.query.bool.max_clause_count` default).
pub const MAX_EXPANSIONS: usize = 4096;

/// String values under `prefix_term` (a JSON term with an empty string value) that `accept`
/// takes, at most `max` of them, in term order.
pub fn expand(
    searcher: &Searcher,
    field: Field,
    prefix_term: &Term,
    value_prefix: &str,
    max: usize,
    accept: &dyn Fn(&str) -> bool,
) -> Result<BTreeSet<String>, EsError> {
    let path_prefix = prefix_term.serialized_value_bytes().to_vec();
    let mut lower = path_prefix.clone();
    lower.extend_from_slice(value_prefix.as_bytes());
    let upper = prefix_end(&path_prefix);
    let mut found = BTreeSet::new();
    for segment in searcher.segment_readers() {
        let inverted = segment
            .inverted_index(field)
            .map_err(|e| EsError::internal(e.to_string()))?;
        let dict = inverted.terms();
        let mut builder = dict.range().ge(&lower);
        if let Some(end) = &upper {
            builder = builder.lt(end);
        }
        let mut stream = builder
            .into_stream()
            .map_err(|e| EsError::internal(e.to_string()))?;
        while stream.advance() {
            let key = stream.key();
            let Some(rest) = key.strip_prefix(path_prefix.as_slice()) else {
                break;
            };
            if !rest.starts_with(value_prefix.as_bytes()) {
                break;
            }
            if let Ok(s) = std::str::from_utf8(rest) {
                if accept(s) {
                    found.insert(s.to_string());
                    if found.len() >= max {
                        break;
                    }
                }
            }
        }
    }
    while found.len() > max {
        found.pop_last();
    }
    Ok(found)
}

/// The smallest byte string greater than every string starting with `prefix`.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Elasticsearch wildcard (`*`, `?`, `\` escapes) as an anchored regex.
pub fn wildcard_to_regex(pattern: &str) -> String {
    let mut out = String::from("^(?s:");
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push_str(&regex::escape(&n.to_string()));
                }
            }
            other => out.push_str(&regex::escape(&other.to_string())),
        }
    }
    out.push_str(")$");
    out
}

/// The literal part of a wildcard before its first metacharacter (narrows the dictionary walk).
pub fn wildcard_literal_prefix(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' | '?' => break,
            '\\' => match chars.next() {
                Some(n) => out.push(n),
                None => break,
            },
            other => out.push(other),
        }
    }
    out
}

/// Optimal-string-alignment distance (Levenshtein with adjacent transpositions), bounded.
pub fn edit_distance(a: &str, b: &str, transpositions: bool) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if transpositions && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// Elasticsearch `fuzziness` for a term: `AUTO` (0..2 => 0, 3..5 => 1, else 2), `AUTO:low,high`,
/// or a number of edits (at most 2).
pub fn fuzziness_edits(spec: &str, term: &str) -> usize {
    let len = term.chars().count();
    let upper = spec.to_ascii_uppercase();
    if let Some(rest) = upper.strip_prefix("AUTO") {
        let (low, high) = rest
            .strip_prefix(':')
            .and_then(|r| r.split_once(','))
            .and_then(|(l, h)| Some((l.trim().parse().ok()?, h.trim().parse().ok()?)))
            .unwrap_or((3usize, 6usize));
        return if len < low {
            0
        } else if len < high {
            1
        } else {
            2
        };
    }
    spec.trim()
        .parse::<f64>()
        .map(|f| (f as usize).min(2))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_distances() {
        let re = regex::Regex::new(&wildcard_to_regex("qu?ck*")).unwrap();
        assert!(re.is_match("quick brown"));
        assert!(!re.is_match("xquick"));
        assert_eq!(wildcard_literal_prefix("ab\\*c*d"), "ab*c");
        assert_eq!(edit_distance("quikc", "quick", true), 1);
        assert_eq!(edit_distance("quikc", "quick", false), 2);
        assert_eq!(fuzziness_edits("AUTO", "ab"), 0);
        assert_eq!(fuzziness_edits("AUTO", "abcd"), 1);
        assert_eq!(fuzziness_edits("AUTO", "abcdefg"), 2);
        assert_eq!(fuzziness_edits("1", "abcdefg"), 1);
    }
}
