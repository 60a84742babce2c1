//! Queries against real shards: term/range on every field kind, text match, bool, exists, ids.

mod common;
use common::{docs, Fixture};
use serde_json::json;

fn fx() -> Fixture {
    Fixture::new(&docs(), 1)
}

#[test]
fn term_and_terms_on_each_kind() {
    let f = fx();
    assert_eq!(f.matching(json!({"term": {"tag": "red"}})), ["0", "2", "4"]);
    assert_eq!(
        f.matching(json!({"term": {"tag": {"value": "green", "case_insensitive": true}}})),
        ["3"]
    );
    assert_eq!(f.matching(json!({"term": {"n": 5}})), ["0"]);
    assert_eq!(f.matching(json!({"term": {"n": "7"}})), ["4"]);
    assert!(f.matching(json!({"term": {"n": 5.5}})).is_empty());
    assert_eq!(f.matching(json!({"term": {"price": 2}})), ["1"]);
    assert_eq!(f.matching(json!({"term": {"price": 0.25}})), ["2"]);
    assert_eq!(f.matching(json!({"term": {"ok": true}})), ["0", "3"]);
    assert_eq!(f.matching(json!({"term": {"ok": "false"}})), ["1"]);
    assert_eq!(
        f.matching(json!({"term": {"date": "2024-01-01T00:00:00Z"}})),
        ["0"]
    );
    assert_eq!(f.matching(json!({"term": {"ip": "10.0.0.1"}})), ["0"]);
    assert_eq!(
        f.matching(json!({"term": {"ip": "10.0.0.0/24"}})),
        ["0", "1"]
    );
    assert_eq!(f.matching(json!({"term": {"user.name": "bob"}})), ["2"]);
    assert_eq!(f.matching(json!({"term": {"title": "quick"}})), ["0", "2"]);
    assert_eq!(
        f.matching(json!({"term": {"title.keyword": "Brown bear"}})),
        ["3"]
    );
    assert!(f.matching(json!({"term": {"unmapped": "x"}})).is_empty());
    assert_eq!(
        f.matching(json!({"terms": {"tag": ["blue", "Green"]}})),
        ["1", "3", "4"]
    );
    assert_eq!(
        f.matching(json!({"terms": {"_id": ["1", "5"]}})),
        ["1", "5"]
    );
}

#[test]
fn bad_values_are_elasticsearch_errors() {
    let f = fx();
    let e = f
        .search(json!({"query": {"term": {"n": "abc"}}}))
        .unwrap_err();
    assert_eq!(e.error_type, "search_phase_execution_exception");
    let cause = e.caused_by.unwrap();
    assert_eq!(cause.error_type, "query_shard_exception");
    assert_eq!(
        cause.reason,
        "failed to create query: For input string: \"abc\""
    );
    assert_eq!(cause.status, 400);
    let e = f
        .search(json!({"query": {"term": {"ip": "nope"}}}))
        .unwrap_err();
    assert_eq!(
        e.caused_by.unwrap().reason,
        "failed to create query: 'nope' is not an IP string literal."
    );
}

#[test]
fn ranges_on_numeric_date_keyword_ip() {
    let f = fx();
    assert_eq!(
        f.matching(json!({"range": {"n": {"gte": 5, "lt": 42}}})),
        ["0", "1", "4"]
    );
    assert_eq!(
        f.matching(json!({"range": {"n": {"gt": 5.5}}})),
        ["1", "3", "4"]
    );
    assert_eq!(f.matching(json!({"range": {"n": {"lte": "-3"}}})), ["2"]);
    assert_eq!(
        f.matching(json!({"range": {"price": {"gt": 1.5}}})),
        ["1", "4"]
    );
    assert_eq!(
        f.matching(json!({"range": {"price": {"gte": 1, "lte": 2}}})),
        ["0", "1"]
    );
    assert_eq!(
        f.matching(json!({"range": {"date": {"gte": "2024-01-01", "lt": "2024-02-01"}}})),
        ["0", "1"]
    );
    assert_eq!(
        f.matching(json!({"range": {"date": {"lte": "2024-01-01||/d"}}})),
        ["0", "2"]
    );
    assert_eq!(
        f.matching(json!({"range": {"date": {"gt": "2024-01-01||/d"}}})),
        ["1", "4"]
    );
    assert_eq!(
        f.matching(json!({"range": {"date": {"gte": "02/01/2024", "format": "dd/MM/yyyy"}}})),
        ["1", "4"]
    );
    assert_eq!(
        f.matching(json!({"range": {"date": {"lt": "now"}}})),
        ["0", "1", "2", "4"]
    );
    assert_eq!(
        f.matching(json!({"range": {"tag": {"gte": "blue", "lt": "red"}}})),
        ["1", "4", "5"]
    );
    assert_eq!(
        f.matching(json!({"range": {"ip": {"gte": "10.0.0.2", "lte": "10.0.0.255"}}})),
        ["1"]
    );
    assert_eq!(
        f.matching(json!({"range": {"ok": {"gt": false}}})),
        ["0", "3"]
    );
    assert_eq!(
        f.matching(json!({"range": {"n": {}}})),
        ["0", "1", "2", "3", "4"]
    );
}

#[test]
fn text_match_operators_and_phrases() {
    let f = fx();
    assert_eq!(
        f.matching(json!({"match": {"title": "quick dog"}})),
        ["0", "1", "2", "4"]
    );
    assert_eq!(
        f.matching(json!({"match": {"title": {"query": "quick dog", "operator": "and"}}})),
        ["2"]
    );
    assert_eq!(
        f.matching(
            json!({"match": {"title": {"query": "quick dog fox", "minimum_should_match": 2}}})
        ),
        ["0", "2", "4"]
    );
    assert_eq!(
        f.matching(json!({"match_phrase": {"title": "quick dog"}})),
        ["2"]
    );
    assert_eq!(
        f.matching(json!({"match_phrase": {"title": {"query": "quick fox", "slop": 1}}})),
        ["0"]
    );
    assert_eq!(
        f.matching(json!({"match_phrase_prefix": {"title": "brown b"}})),
        ["3"]
    );
    assert_eq!(
        f.matching(json!({"match": {"title": {"query": "quikc", "fuzziness": "AUTO"}}})),
        ["0", "2"]
    );
    assert_eq!(
        f.matching(json!({"match": {"tag": "red"}})),
        ["0", "2", "4"]
    );
    assert_eq!(
        f.matching(json!({"multi_match": {"query": "red fox", "fields": ["title", "tag"]}})),
        ["0", "4"]
    );
    assert_eq!(
        f.matching(json!({"multi_match": {"query": "red", "fields": ["title", "t*"]}})),
        ["0", "2", "4"]
    );
    assert_eq!(
        f.matching(json!({"match": {"title": {"query": "", "zero_terms_query": "all"}}}))
            .len(),
        6
    );
    let top = f.ids(json!({"query": {"match": {"title": "quick fox"}}}));
    assert_eq!(top[0], "0");
}

#[test]
fn bool_exists_ids_patterns() {
    let f = fx();
    let q = json!({"bool": {"must": {"match": {"title": "dog"}}, "filter": [{"term": {"tag": "red"}}], "must_not": {"term": {"n": 7}}}});
    assert_eq!(f.matching(q), ["2"]);
    assert_eq!(
        f.matching(json!({"bool": {"must_not": {"term": {"tag": "red"}}}})),
        ["1", "3", "5"]
    );
    assert_eq!(
        f.matching(json!({"bool": {"should": [{"term": {"tag": "blue"}}, {"term": {"n": 42}}]}})),
        ["1", "3", "4"]
    );
    assert_eq!(
        f.matching(json!({"bool": {"filter": {"term": {"tag": "red"}}, "should": [{"term": {"n": 5}}], "minimum_should_match": 1}})),
        ["0"]
    );
    assert_eq!(
        f.matching(json!({"exists": {"field": "price"}})),
        ["0", "1", "2", "4"]
    );
    assert_eq!(f.matching(json!({"exists": {"field": "user"}})), ["0", "2"]);
    assert_eq!(
        f.matching(json!({"ids": {"values": ["3", "4", "99"]}})),
        ["3", "4"]
    );
    assert_eq!(
        f.matching(json!({"prefix": {"tag": "re"}})),
        ["0", "2", "4"]
    );
    assert_eq!(f.matching(json!({"wildcard": {"tag": "b?u*"}})), ["1", "4"]);
    assert_eq!(f.matching(json!({"regexp": {"tag": "Gr.*n"}})), ["3"]);
    assert_eq!(f.matching(json!({"prefix": {"title": "bro"}})), ["0", "3"]);
    assert_eq!(
        f.matching(json!({"fuzzy": {"tag": "rad"}})),
        ["0", "2", "4"]
    );
    assert_eq!(
        f.matching(json!({"constant_score": {"filter": {"term": {"tag": "blue"}}}})),
        ["1", "4"]
    );
    assert_eq!(
        f.matching(
            json!({"dis_max": {"queries": [{"term": {"tag": "blue"}}, {"term": {"n": 5}}]}})
        ),
        ["0", "1", "4"]
    );
    assert_eq!(
        f.matching(json!({"nested": {"path": "user", "query": {"term": {"user.name": "alice"}}}})),
        ["0"]
    );
    assert_eq!(f.matching(json!({"match_none": {}})).len(), 0);
}

#[test]
fn query_strings() {
    let f = fx();
    assert_eq!(
        f.matching(json!({"query_string": {"query": "title:quick AND tag:red"}})),
        ["0", "2"]
    );
    assert_eq!(
        f.matching(json!({"query_string": {"query": "fox -dog"}})),
        ["0"]
    );
    assert_eq!(
        f.matching(json!({"query_string": {"query": "\"lazy dog\" OR n:42"}})),
        ["1", "3"]
    );
    assert_eq!(
        f.matching(json!({"query_string": {"query": "n:[5 TO 10]"}})),
        ["0", "1", "4"]
    );
    assert_eq!(
        f.matching(json!({"query_string": {"query": "bro*", "default_field": "title"}})),
        ["0", "3"]
    );
    assert_eq!(
        f.matching(json!({"query_string": {"query": "_exists_:user"}})),
        ["0", "2"]
    );
    assert_eq!(
        f.matching(json!({"query_string": {"query": "quick dog", "default_operator": "AND"}})),
        ["2"]
    );
    assert_eq!(
        f.matching(json!({"simple_query_string": {"query": "quick + dog", "fields": ["title"]}})),
        ["2"]
    );
    let uri = f.search(json!({})).unwrap();
    assert_eq!(uri.total_hits, 6);
}
