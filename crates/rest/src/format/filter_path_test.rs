//! Tests of `filter_path` against the behaviour the Elasticsearch docs describe.

use super::filter_path::{apply, simple_match};
use serde_json::json;

fn search_response() -> serde_json::Value {
    json!({
        "took": 3,
        "timed_out": false,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {
            "total": {"value": 2, "relation": "eq"},
            "max_score": 1.0,
            "hits": [
                {"_index": "t", "_id": "1", "_score": 1.0, "_source": {"title": "a", "n": 1}},
                {"_index": "t", "_id": "2", "_score": 0.5, "_source": {"title": "b"}}
            ]
        }
    })
}

#[test]
fn include_paths_through_arrays() {
    let v = apply(&search_response(), "took,hits.hits._id,hits.hits._score");
    assert_eq!(
        v,
        json!({"took": 3, "hits": {"hits": [{"_id": "1", "_score": 1.0}, {"_id": "2", "_score": 0.5}]}})
    );
}

#[test]
fn wildcards_within_a_segment() {
    let v = apply(&search_response(), "hits.hits._s*.ti*");
    assert_eq!(
        v,
        json!({"hits": {"hits": [{"_source": {"title": "a"}}, {"_source": {"title": "b"}}]}})
    );
    let v = apply(&search_response(), "_sh*.*ful");
    assert_eq!(v, json!({"_shards": {"successful": 1}}));
}

#[test]
fn double_star_matches_any_depth() {
    let v = apply(&search_response(), "**.title");
    assert_eq!(
        v,
        json!({"hits": {"hits": [{"_source": {"title": "a"}}, {"_source": {"title": "b"}}]}})
    );
    let v = apply(&json!({"a": {"b": {"c": 1, "d": 2}}, "c": 3}), "**.c");
    assert_eq!(v, json!({"a": {"b": {"c": 1}}, "c": 3}));
    let v = apply(
        &json!({"nodes": {"x": {"name": "n", "os": {}}}}),
        "nodes.**",
    );
    assert_eq!(v, json!({"nodes": {"x": {"name": "n", "os": {}}}}));
}

#[test]
fn exclusions_remove_subtrees() {
    let v = apply(
        &search_response(),
        "-hits.hits._source,-_shards,-hits.total",
    );
    assert_eq!(
        v,
        json!({"took": 3, "timed_out": false, "hits": {"max_score": 1.0, "hits": [
            {"_index": "t", "_id": "1", "_score": 1.0},
            {"_index": "t", "_id": "2", "_score": 0.5}
        ]}})
    );
}

#[test]
fn include_then_exclude() {
    let v = apply(&search_response(), "hits.hits._source,-hits.hits._source.n");
    assert_eq!(
        v,
        json!({"hits": {"hits": [{"_source": {"title": "a"}}, {"_source": {"title": "b"}}]}})
    );
}

#[test]
fn nothing_matching_gives_an_empty_object() {
    assert_eq!(apply(&search_response(), "nope"), json!({}));
    assert_eq!(apply(&search_response(), "took.deeper"), json!({}));
    // An empty parameter filters nothing.
    assert_eq!(apply(&json!({"a": 1}), ""), json!({"a": 1}));
}

#[test]
fn objects_emptied_by_filtering_disappear_but_matched_empty_ones_stay() {
    let v = json!({"a": [{"b": 1}, {"c": 2}], "e": {}});
    assert_eq!(apply(&v, "a.b"), json!({"a": [{"b": 1}]}));
    assert_eq!(apply(&v, "e"), json!({"e": {}}));
    assert_eq!(apply(&v, "a.c,-a.c"), json!({}));
}

#[test]
fn top_level_arrays_like_cat_json() {
    let v = json!([{"index": "a", "health": "green"}, {"index": "b", "health": "red"}]);
    assert_eq!(apply(&v, "index"), json!([{"index": "a"}, {"index": "b"}]));
    assert_eq!(
        apply(&v, "-health"),
        json!([{"index": "a"}, {"index": "b"}])
    );
}

#[test]
fn simple_match_semantics() {
    assert!(simple_match("*", ""));
    assert!(simple_match("a*", "abc"));
    assert!(simple_match("*c", "abc"));
    assert!(simple_match("a*c", "abc"));
    assert!(simple_match("a*b*c", "aXbYc"));
    assert!(!simple_match("a*b*c", "aXc"));
    assert!(!simple_match("ab*ba", "aba"));
    assert!(simple_match("abc", "abc"));
    assert!(!simple_match("abc", "abcd"));
}
